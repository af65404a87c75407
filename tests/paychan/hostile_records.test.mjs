// A hostile peer against a real engine: channel records that are never
// deleted (docs/risks.md#closed-records-never-pruned).  Run by
// tests/paychan/run-e2e.sh (XRPSE_E2E_TEST) with XRPSE_DEV_CLOSED_KEEP=0
// (prune a closed record as soon as it is final).
//
// The attacker opens small channels to bob and lets them go (a
// CancelAfter a few seconds away, then a PaymentChannelFund that finds it
// passed and deletes the channel), over and over, for about a fee each.
// Bob kept every closed record forever and its 1 s tick read them all.
// Now a closed record whose last redemption is final leaves pc_in for a
// summary row in pc_in_closed (what the books need), and /health still
// counts it as closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { channels, env, json, pairedAttacker, rpc, submit, toEngine,
	 until } from './peer.mjs';

const K = 4;

// A query on bob's store (the sqlite3 shell; WAL lets it read beside the
// engine).
function bobSql(sql) {
	const db = path.join(env('XRPSE_NET_DIR'), 'config', 'bob.db');
	return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
}

test('closed incoming records of a peer\'s throwaway channels are pruned, their summaries kept',
	async () => {
		const bob = env('BOB_ADDRESS');
		const { evil, id } = await pairedAttacker('churn');
		// The open ledger checks CancelAfter against its parent, the
		// last closed ledger (the validated one may trail it).
		const now = (await rpc({ command: 'ledger',
					 ledger_index: 'closed' }))
			.result.ledger.close_time;
		for (let k = 0; k < K; k++)
			await submit(evil, {
				TransactionType: 'PaymentChannelCreate',
				Destination: bob, Amount: '1000000',
				SettleDelay: 7 * 86400, PublicKey: evil.publicKey,
				CancelAfter: now + 4,
			});
		const chans = (await until('the channels on the ledger',
			async () => {
				const c = await channels(evil.address, bob);
				return { ok: c.length === K, c };
			})).c.map((c) => c.channel_id);
		for (const chan of chans) {
			const r = await toEngine(id, { type: 'channel_update',
						       channel: chan });
			assert.equal(r.status, 201, r.body);
		}
		await until('bob holds a record of each', async () => {
			const n = Number(bobSql(
				`SELECT count(*) FROM pc_in WHERE account = '${id}'`));
			return { ok: n === K, n };
		});

		// CancelAfter passes; touching each channel deletes it.
		await until('CancelAfter passed', async () => {
			const t = (await rpc({ command: 'ledger',
					       ledger_index: 'validated' }))
				.result.ledger.close_time;
			return { ok: t > now + 4, t };
		});
		for (const chan of chans)
			await submit(evil, { TransactionType: 'PaymentChannelFund',
					     Channel: chan, Amount: '1' });
		await until('the channels gone', async () => {
			const c = await channels(evil.address, bob);
			return { ok: c.length === 0, c };
		});

		// Bob sees them gone, closes the records, and prunes them.
		await until('the records gone from pc_in', async () => {
			const live = Number(bobSql(
				`SELECT count(*) FROM pc_in WHERE account = '${id}'`));
			return { ok: live === 0, live };
		}, 30000);
		assert.equal(Number(bobSql(
			`SELECT count(*) FROM pc_in_closed WHERE account = '${id}'`)),
			     K);
		const h = (await json(`${env('ENGINE_B_URL')}/health`)).channels;
		assert.ok(h.incoming.closed >= K, JSON.stringify(h));
	});
