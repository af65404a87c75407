// A hostile peer against a real engine: a flood of channel ids nobody
// has (docs/risks.md#random-channel-id-lookup-storms).  Run by
// tests/paychan/run-e2e.sh (XRPSE_E2E_TEST); the scripted peer is
// tests/paychan/peer.mjs.  (scripts/bench-flood measures the same at
// 100,000 messages; this test keeps it short.)
//
// Every channel_update or claim naming an unknown id used to make bob's
// engine ask rippled for it, without limit: a peer naming random ids
// could keep the engine and its rippled busy for as long as it liked.
// Now an account gets a few lookups of unknown ids per window and the
// rest are answered 503 at once; the honest link's claims are untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { json, env, pairedAttacker, toEngine, until } from './peer.mjs';

const N = 300;

test('a peer naming random channel ids gets a few lookups; honest claims go on',
	async () => {
		const { id } = await pairedAttacker('storm');
		const status = {};
		for (let i = 0; i < N; i++) {
			const channel = crypto.randomBytes(32).toString('hex')
				.toUpperCase();
			const msg = i % 2
				? { type: 'channel_update', version: 1, channel }
				: { type: 'claim', version: 1, channel,
				    amount: '1', signature: crypto.randomBytes(64)
					.toString('hex').toUpperCase() };
			const r = await toEngine(id, msg);
			status[r.status] = (status[r.status] || 0) + 1;
		}
		// At most the burst (8 a window) was looked up; the rest were
		// answered 503 with nothing asked of rippled.
		assert.ok((status[201] || 0) <= 8, JSON.stringify(status));
		assert.ok((status[503] || 0) >= N - 8, JSON.stringify(status));
		// The honest link still settles: a settlement of connector A is
		// credited at connector B.
		const credited = async () => BigInt((await json(
			`${env('CONNECTOR_B_CONTROL')}/accounts/a`)).credited || 0);
		const before = await credited();
		await json(`${env('CONNECTOR_A_CONTROL')}/accounts/b/packets`,
			   { xrp: '1', wait: true });
		await until('the honest settlement credited', async () => {
			const now = await credited();
			return { ok: now > before, now };
		});
	});
