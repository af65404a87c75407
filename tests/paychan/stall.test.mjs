// Settlements while alice's store is locked by another process
// (docs/risks.md#late-settlement-answers), against the connector
// stand-in's flavour given to run-e2e.sh: the sqlite3 shell holds
// BEGIN IMMEDIATE on alice's database for 3 s while connector A settles
// a steady stream.  Every settlement request is answered before the
// connector's timeout (no attempt times out); the rs flavour sends each
// 503 again under a new key until it is taken, the java flavour refunds
// it; and connector B is credited exactly what A's settlements committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './wait.mjs';
import { env, until } from './peer.mjs';

const UNIT = BigInt(process.env.XRPSE_E2E_UNIT || '1');

async function post(url, body) {
	const r = await fetch(url, { method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body) });
	const t = await r.text();
	if (r.status >= 300)
		throw new Error(`${url}: ${r.status} ${t}`);
	return JSON.parse(t);
}

// Holds the write lock of db for ms; resolves once it is taken, with a
// promise of its release.
async function holdWriteLock(db, ms) {
	const p = spawn('sqlite3', ['-bail', db],
			{ stdio: ['pipe', 'pipe', 'inherit'] });
	p.stdin.write(".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
	await new Promise((resolve, reject) => {
		p.stdout.on('data', (d) => {
			if (String(d).includes('locked'))
				resolve();
		});
		p.on('exit', () => reject(new Error('sqlite3 exited')));
	});
	return new Promise((resolve) => setTimeout(() => {
		p.stdin.end('COMMIT;\n');
		p.on('exit', resolve);
	}, ms));
}

test('a store locked 3 s under settlement load: answered in time, paid once',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'), B = env('CONNECTOR_B_CONTROL');
		const args = fs.readFileSync(path.join(env('XRPSE_NET_DIR'),
					     'config', 'alice.args'), 'utf8')
			.trim().split(/\s+/);
		const db = args[args.indexOf('--db') + 1];
		const acct = await (await fetch(`${A}/accounts/b`)).json();
		const before = BigInt((await (await fetch(`${B}/accounts/a`)).json()).credited);
		const runs = [];
		let lock = null;
		for (let i = 0; i < 40; i++) {
			if (i === 8)
				lock = await holdWriteLock(db, 3000);
			runs.push(post(`${A}/accounts/b/settle`,
				       { amount: (1000n * UNIT).toString(), wait: true }));
			await sleep(100);
		}
		await lock;
		const done = (await Promise.all(runs)).map((r) => r.settlement);
		const attempts = done.flatMap((s) => s.attempts);
		const timedOut = attempts.filter((a) => a.error);
		assert.deepEqual(timedOut, [], 'attempts that got no answer');
		assert.ok(attempts.some((a) => a.status === 503),
			  'no settlement met the locked store');
		const committed = done.reduce((n, s) =>
			n + BigInt(s.committed || '0'), 0n);
		const refunded = done.filter((s) => s.state === 'refunded').length;
		const retried = done.filter((s) => s.state === 'done' &&
			s.attempts.length > 1).length;
		console.log(`# ${done.length} settlements, ${attempts.length} ` +
			    `attempts, ${refunded} refunded, ${retried} taken ` +
			    `after a 503, account scale ${acct.scale}`);
		assert.ok(refunded > 0 || retried > 0);
		await until('B credited what A committed', async () => {
			const c = BigInt((await (await fetch(`${B}/accounts/a`)).json()).credited);
			return { ok: c - before >= committed, c: c.toString() };
		}, 60000);
		await sleep(2000); // nothing more may arrive
		const c = BigInt((await (await fetch(`${B}/accounts/a`)).json()).credited);
		assert.equal(c - before, committed);
	});
