// A hostile peer against a real engine: the lower-answer recovery loop
// (docs/risks.md#endless-recovery-loop).  Run by tests/paychan/run-e2e.sh
// (XRPSE_E2E_TEST).
//
// Bob pays alice.  Connector B answers every claim of bob's itself (a
// fault matching the claim message, with a scripted body): a claim_reply
// saying the peer holds far more than bob signed (a drop less than the Amount).  That starts a
// recovery; bob's last_claim question goes through to alice, whose
// honest answer is lower than the claim_reply said.  The recovery ends,
// bob's claim goes again, the same lie comes back: bob used to start a
// recovery on every claim_reply, asking and resending in a loop as fast as
// the messages went.  Now each piece of evidence starts one recovery: the
// lie, once answered lower, asks nothing more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './wait.mjs';
import { bobLog, bobSettles, bobsChannel, env, json, lastClaimAsks, until }
	from './peer.mjs';

const B = () => env('CONNECTOR_B_CONTROL');

test('a peer that claims more than it then admits to holding is asked once',
	async () => {
		assert.equal(env('ENGINES_RUNNING'), '1');
		await bobSettles('2000000');
		const ours = await bobsChannel();
		const chan = ours.channel_id;
		// A lie within the channel's Amount: above it, no claim of
		// bob's could exist and it starts no recovery at all.
		const lie = String(BigInt(ours.amount) - 1n);
		await sleep(1000);
		assert.equal(await lastClaimAsks(), 0);

		// From now on every claim of bob's is answered by connector B
		// with a claim_reply for far more than bob signed (a drop less
		// than the Amount); other messages (last_claim) reach alice,
		// who answers honestly.
		const body = JSON.stringify({ type: 'claim_reply', channel: chan,
					      accepted: true,
					      amount: lie });
		await json(`${B()}/faults`, { route: 'messages', fail: 100000,
					      status: 201, body,
					      match: '"type":"claim"' });
		await bobSettles('1000000');
		await bobSettles('1000000');
		await until('bob asks for the last claim', async () => {
			const n = await lastClaimAsks();
			return { ok: n >= 1, n };
		});
		await sleep(2000);
		// More claims, each answered with the same lie.
		for (let i = 0; i < 5; i++) {
			await bobSettles('100000');
			await sleep(300);
		}
		await sleep(6000);
		const n = await lastClaimAsks();
		assert.equal(n, 1, `${n} last_claim questions for one lie`);
		const lies = bobLog().split('\n').filter((l) =>
			/above the \d+ we signed: our store lost claims/
				.test(l)).length;
		assert.ok(lies >= 1, 'the lie was seen');
	});
