// A hostile peer against a real engine: one-drop redeem storms
// (docs/risks.md#one-drop-redeem-storms).  Run by tests/paychan/run-e2e.sh
// (XRPSE_E2E_TEST); the scripted peer is tests/paychan/peer.mjs.
//
// The attacker opens a channel to bob with a long SettleDelay, closes it
// as owner (the Expiration days away), then pays bob one drop at a time.
// Each accepted claim on a closing channel used to make bob submit a
// priority redeem at once, a fee (10+ drops) for every drop collected,
// for as long as the attacker went on.  Bob must hold the claims until
// they pay for the fee (or the deadline is near), then redeem the newest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './wait.mjs';
import { bobLog, channels, claim, env, openChannel, pairedAttacker, submit,
	 until } from './peer.mjs';

const redeemsQueued = (id) => bobLog().split('\n').filter((l) =>
	l.includes(`${id}: queued redeem:`)).length;

test('one-drop claims on a closing channel are not redeemed one by one',
	async () => {
		const bob = env('BOB_ADDRESS');
		const { evil, id } = await pairedAttacker('storm');
		const DELAY = 7 * 86400;
		const STORM = 40;

		const chan = await openChannel(evil, id, DELAY);
		let r = await claim(id, chan, 1n, evil);
		assert.equal(JSON.parse(r.body).accepted, true, r.body);

		// The owner close: Expiration = now + 7 days.
		await submit(evil, { TransactionType: 'PaymentChannelClaim',
				     Channel: chan, Flags: 0x00020000 });
		await until('bob sees the channel closing', async () => ({
			ok: bobLog().includes(`${id}: incoming open -> closing`),
		}));

		// The storm: one more drop per claim, one claim per ledger.
		for (let a = 2n; a < 2n + BigInt(STORM); a++) {
			r = await claim(id, chan, a, evil);
			assert.equal(JSON.parse(r.body).accepted, true, r.body);
			await sleep(120);
		}
		await sleep(2000);
		const storm = redeemsQueued(id);
		const [c] = await channels(evil.address, bob);
		assert.equal(storm, 0,
			     `${storm} redeems for ${STORM} one-drop claims`);
		assert.equal(c.balance, '0');

		// A claim worth its fee is redeemed at once, the newest only.
		const worth = BigInt(STORM) + 1n + 5000n;
		r = await claim(id, chan, worth, evil);
		assert.equal(JSON.parse(r.body).accepted, true, r.body);
		await until('the worthwhile claim redeemed', async () => {
			const [x] = await channels(evil.address, bob);
			return { ok: x && x.balance === worth.toString(), x };
		}, 15000);
		assert.equal(redeemsQueued(id), 1);
	});
