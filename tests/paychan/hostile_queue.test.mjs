// A hostile peer against a real engine: priority redeems starving the
// submission queue (docs/risks.md#one-drop-redeem-storms).  Run by
// tests/paychan/run-e2e.sh (XRPSE_E2E_TEST); the scripted peer is
// tests/paychan/peer.mjs.
//
// The attacker opens 12 channels to bob, closes them as owner and lets
// the ledger clock run until each deadline is near (a redeem is then
// worth submitting whatever the fee), then pays one drop at a time on all
// of them.  Each channel keeps one priority redeem in flight, more than
// bob's queue has slots, so priority entries are always waiting.  The
// queue used to serve priority first: a PaymentChannelCreate bob needed
// (to pay alice) waited as long as the storm lasted.  Now a normal
// transaction waits for at most 4 priority builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channels, claim, env, json, openChannel, pairedAttacker, rpc,
	 submit, until } from './peer.mjs';

const N = 12;
const DELAY = 3 * 86400;

test('a storm of deadline redeems does not hold back the engine\'s own transactions',
	async () => {
		const bob = env('BOB_ADDRESS'), alice = env('ALICE_ADDRESS');
		const { evil, id } = await pairedAttacker('flood');
		const chans = [];
		for (let k = 0; k < N; k++) {
			chans.push(await openChannel(evil, id, DELAY, '2000000'));
			const r = await claim(id, chans[k], 1000n, evil);
			assert.equal(JSON.parse(r.body).accepted, true, r.body);
		}
		for (const chan of chans)
			await submit(evil, { TransactionType: 'PaymentChannelClaim',
					     Channel: chan, Flags: 0x00020000 });
		await until('every Expiration set', async () => {
			const c = await channels(evil.address, bob);
			return { ok: c.length === N && c.every((x) =>
				x.expiration !== undefined), n: c.length };
		});
		// 40,000 s left: above the close margin (claims are still
		// taken), within twice it (redeems go whatever the fee).
		await rpc({ command: 'testnet_advance_time',
			    seconds: DELAY - 40000 });
		await rpc({ command: 'ledger_accept' });

		// The storm, on every channel at once, until told to stop.
		let stop = false;
		const storm = chans.map(async (chan) => {
			let a = 1000n;
			while (!stop) {
				const r = await claim(id, chan, ++a, evil);
				if (!JSON.parse(r.body).accepted)
					break;
			}
			return a;
		});
		try {
			// Let the priority lane fill, then bob needs a channel.
			await until('the storm under way', async () => {
				const h = (await json(
					`${env('ENGINE_B_URL')}/health`)).channels;
				return { ok: h.txs_submitted >= 3 * N, h };
			}, 30000);
			const start = Date.now();
			const r = await json(
				`${env('CONNECTOR_B_CONTROL')}/accounts/a/settle`,
				{ amount: '1000000', wait: true });
			assert.equal(r.settlement.state, 'done',
				     JSON.stringify(r.settlement));
			await until('bob\'s channel to alice', async () => {
				const c = await channels(bob, alice);
				return { ok: c.length === 1, n: c.length };
			}, 10000);
			const ms = Date.now() - start;
			console.log(`PaymentChannelCreate validated after ${ms} ms ` +
				    'of the storm');
		} finally {
			stop = true;
			await Promise.all(storm);
		}
	});
