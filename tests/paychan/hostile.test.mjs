// A hostile peer against a real engine: the SettleDelay wrap attack.
// Run by tests/paychan/run-e2e.sh (XRPSE_E2E_TEST) inside
// testnet/scripts/local-net.sh: the ledger stand-in, two connector
// stand-ins and two xrpse daemons; the attacker is this script, talking to
// bob's engine as its peer's engine would (through connector B's account
// "evil", whose messages it posts straight to the engine's
// POST /accounts/:id/messages as the connector would relay them).
//
// rippled sets an owner close's Expiration to parentCloseTime +
// SettleDelay in 32-bit unsigned arithmetic (PayChanClaim::doApply,
// NetClock::rep is std::uint32_t).  With SettleDelay 4,000,000,000 the sum
// wraps into the past.  The attacker opens a channel to bob with that
// SettleDelay, pairs, sends channel_update and one claim for the whole
// Amount: if bob's engine accepted it, bob's connector would be credited
// the Amount, and the attacker's owner tfClose plus any transaction
// touching the channel would close it at once with nothing redeemed, the
// Amount back with the attacker.  The engine must refuse the claim
// (settle_delay) and credit nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './wait.mjs';
import { bobLog, channels, claim, env, json, pairedAttacker, rpc, submit,
	 toEngine, until } from './peer.mjs';

test('a SettleDelay that wraps the ledger\'s 32-bit time is refused and credits nothing',
	async () => {
		const B = env('CONNECTOR_B_CONTROL');
		const bob = env('BOB_ADDRESS');
		const AMOUNT = 10000000n;
		const DELAY = 4000000000;

		// Connector B gets a peer account "evil" (created on bob's
		// engine as the rs connector does), and the attacker pairs.
		const { evil, id } = await pairedAttacker('evil');

		// The channel to bob, SettleDelay 4,000,000,000 s.
		await submit(evil, {
			TransactionType: 'PaymentChannelCreate',
			Destination: bob, Amount: AMOUNT.toString(),
			SettleDelay: DELAY, PublicKey: evil.publicKey,
		});
		const [ch] = (await until('the channel on the ledger',
			async () => {
				const c = await channels(evil.address, bob);
				return { ok: c.length === 1, c };
			})).c;
		assert.equal(ch.settle_delay, DELAY);
		const chan = ch.channel_id;

		// channel_update, then one claim for the whole Amount.
		const up = await toEngine(id, { type: 'channel_update',
						channel: chan });
		assert.equal(up.status, 201, up.body);
		const r = await claim(id, chan, AMOUNT, evil);
		assert.ok(r.status >= 200 && r.status < 300, r.body);
		const reply = JSON.parse(r.body);
		assert.equal(reply.type, 'claim_reply');
		assert.equal(reply.accepted, false,
			     `the engine accepted the claim: ${r.body}`);
		assert.equal(reply.code, 'settle_delay');
		assert.match(reply.message, /settle delay above our maximum/);
		assert.equal(reply.amount, '0');

		// The rest of the attack, on the ledger: the owner closes, the
		// Expiration wraps into the past, the next transaction touching
		// the channel deletes it with nothing redeemed.
		const before = await rpc({ command: 'account_info',
					   account: evil.address,
					   ledger_index: 'validated' });
		await submit(evil, { TransactionType: 'PaymentChannelClaim',
				     Channel: chan, Flags: 0x00020000 });
		const closing = (await until('Expiration on the ledger',
			async () => {
				const [c] = await channels(evil.address, bob);
				return { ok: c && c.expiration !== undefined, c };
			})).c;
		const now = (await rpc({ command: 'ledger',
					 ledger_index: 'validated' }))
			.result.ledger.close_time;
		assert.ok(closing.expiration <= now,
			  `Expiration ${closing.expiration} not in the past (${now})`);
		await submit(evil, { TransactionType: 'PaymentChannelFund',
				     Channel: chan, Amount: '1' });
		await until('the channel gone', async () => {
			const c = await channels(evil.address, bob);
			return { ok: c.length === 0, c };
		});
		const after = await rpc({ command: 'account_info',
					  account: evil.address,
					  ledger_index: 'validated' });
		assert.equal(BigInt(after.result.account_data.Balance) -
			     BigInt(before.result.account_data.Balance),
			     AMOUNT - 24n, 'the Amount went back to the attacker');

		// Bob's connector was credited nothing, and never asked to be.
		await sleep(1500);
		const a = await json(`${B}/accounts/evil`);
		assert.equal(a.credited, '0', JSON.stringify(a));
		const log = await json(`${B}/log?route=settlements`);
		assert.deepEqual(log.filter((e) =>
			String(e.path).includes(id)), []);
		// 200, or 503 while a check fails: the body says either way.
		const h = (await (await fetch(
		    `${env('ENGINE_B_URL')}/health`)).json()).channels;
		assert.ok(h.claims_rejected >= 1, JSON.stringify(h));
		assert.match(bobLog(), /refused: settle_delay: settle delay above our maximum/);
	});
