// A hostile peer against a real engine: an endless recovery loop
// (docs/risks.md#endless-recovery-loop).  Run by tests/paychan/run-e2e.sh
// (XRPSE_E2E_TEST) with XRPSE_DEV_RECOVER_ALERT_MS=6000 and
// XRPSE_DEV_CLAIM_RESEND_MS=2000.
//
// Bob pays alice.  The peer's answers reach bob as the bodies of its
// message POSTs to connector B, which the script takes over (a fault with
// a scripted body): every message of bob's is answered 201 with a
// claim_reply saying the peer holds far more than bob signed (a drop less than the Amount).  That starts
// a recovery: bob asks for the peer's last claim, and the answer (the same
// claim_reply, not a last_claim_reply) is unusable.  Bob used to ask again
// every claim_resend_ms forever, each answer stored with the outbox row
// for 30 days.  Now it asks again later each time, alerts once (BROKEN)
// when the recovery has waited recover_alert_ms, and stops asking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './wait.mjs';
import { bobLog, bobSettles, bobsChannel, env, json, lastClaimAsks, until }
	from './peer.mjs';

const B = () => env('CONNECTOR_B_CONTROL');

const alerts = () => bobLog().split('\n').filter((l) =>
	l.includes('**BROKEN**') && l.includes('payments held')).length;

test('junk answers to a recovery are asked again with backoff, then alerted once and no more',
	async () => {
		assert.equal(env('ENGINES_RUNNING'), '1');
		await bobSettles('2000000');
		const ours = await bobsChannel();
		const chan = ours.channel_id;
		// A lie within the channel's Amount: above it, no claim of
		// bob's could exist and it starts no recovery at all.
		const lie = String(BigInt(ours.amount) - 1n);
		await sleep(1000);

		// From now on the "peer" answers every message of bob's with a
		// claim_reply for far more than bob signed (a drop less than the
		// Amount).
		const body = JSON.stringify({ type: 'claim_reply', channel: chan,
					      accepted: true,
					      amount: lie });
		await json(`${B()}/faults`, { route: 'messages', fail: 100000,
					      status: 201, body });
		await bobSettles('1000000');
		await until('the recovery starts', async () => ({
			ok: /above the \d+ we signed: our store lost claims/
				.test(bobLog()),
		}));
		await until('bob asks for the last claim', async () => {
			const n = await lastClaimAsks();
			return { ok: n >= 1, n };
		});

		// The alert comes once, and then the questions stop.
		await until('the recovery alerts', async () => ({
			ok: alerts() >= 1,
		}), 20000);
		const n = await lastClaimAsks();
		assert.ok(n <= 4, `${n} last_claim questions before the alert`);
		await sleep(8000);
		assert.equal(await lastClaimAsks(), n, 'asked again after the alert');
		assert.equal(alerts(), 1);
		assert.match(bobLog(), /unusable last_claim answer/);
	});
