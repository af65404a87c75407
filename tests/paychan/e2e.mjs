// End-to-end test of the payment-channel service, run by
// tests/paychan/run-e2e.sh inside testnet/scripts/local-net.sh: the ledger
// stand-in, two connector stand-ins and two real xrpse daemons.
//
// It settles payments both ways through the connectors' control API and
// checks, to the drop, that each connector was credited exactly what its
// peer settled; that the channels exist on the validated ledger from each
// engine's address to the other's, funded beyond the first 10 XRP (a
// top-up happened) and with claims redeemed (Balance > 0); and that every
// settlement request was answered 201.  Also: a sender whose store is
// restored from a backup recovers the claims it lost from the peer
// (last_claim) and pays the new settlements exactly once; deleting the
// account on both engines at once closes both channels without a single
// failed transaction on the ledger during the whole run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, until as untilEvery } from './wait.mjs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const WebSocket = require(path.join(process.env.XRPSE_SOURCE_DIR ||
	process.cwd(), 'testnet/node_modules/ws'));

const env = (k) => {
	const v = process.env[k];
	if (!v)
		throw new Error(`${k} is not set (run through run-e2e.sh)`);
	return v;
};

async function post(url, body) {
	const r = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const t = await r.text();
	if (r.status >= 300)
		throw new Error(`${url}: ${r.status} ${t}`);
	return JSON.parse(t);
}

async function get(url) {
	const r = await fetch(url);
	if (r.status >= 300)
		throw new Error(`${url}: ${r.status}`);
	return r.json();
}

// GET /health's body: 200, or 503 while one of its checks fails (a
// stopped rippled or connector, drops unpaid past --owed-alert).
async function health(url) {
	const r = await fetch(`${url}/health`);
	if (r.status !== 200 && r.status !== 503)
		throw new Error(`${url}/health: ${r.status}`);
	return r.json();
}

// Account units per drop: 1 at scale 6 (rs), 1000 at scale 9 (java).
const until = (what, fn, ms = 40000) => untilEvery(what, fn, ms, 200);
const UNIT = BigInt(process.env.XRPSE_E2E_UNIT || '1');


function rpc(url, req) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		ws.on('open', () => ws.send(JSON.stringify({ id: 1, ...req })));
		ws.on('message', (d) => {
			const m = JSON.parse(d.toString());
			if (m.id !== 1)
				return;
			ws.close();
			resolve(m);
		});
		ws.on('error', reject);
	});
}

// Every validated transaction of alice and bob, from the start of the run
// (the last test asserts that none failed).
const txs = [];
let txStream = null;
before(async () => {
	txStream = new WebSocket(env('LEDGER_WS_URL'));
	await new Promise((res, rej) => {
		txStream.once('open', res);
		txStream.once('error', rej);
	});
	txStream.on('message', (d) => {
		const m = JSON.parse(d.toString());
		if (m.type !== 'transaction' || !m.validated)
			return;
		const tx = m.transaction || m.tx_json || {};
		if (!txs.some((x) => x.hash === (m.hash || tx.hash)))
			txs.push({ hash: m.hash || tx.hash, type: tx.TransactionType,
				   account: tx.Account, flags: tx.Flags,
				   result: (m.meta || {}).TransactionResult ||
					   m.engine_result });
	});
	txStream.send(JSON.stringify({ id: 1, command: 'subscribe', accounts:
		[env('ALICE_ADDRESS'), env('BOB_ADDRESS')] }));
});
after(() => {
	if (txStream)
		txStream.terminate();
});

async function channels(from, to) {
	const r = await rpc(env('LEDGER_WS_URL'), {
		command: 'account_channels', account: from,
		destination_account: to, ledger_index: 'validated',
	});
	return r.result ? r.result.channels : [];
}

// Settles n amounts from connector `ctl` on account `name`.
async function settleMany(ctl, name, amounts) {
	let sum = 0n;
	for (const a of amounts) {
		const r = await post(`${ctl}/accounts/${name}/settle`,
				     { amount: a.toString(), wait: true });
		assert.equal(r.settlement.state, 'done',
			     JSON.stringify(r.settlement));
		assert.equal(r.settlement.committed, a.toString());
		sum += a;
	}
	return sum;
}

// Waits until connector B has credited bWant (alice->bob) and A aWant
// (bob->alice), then checks that after quietMs (late answers, resends)
// both are still exactly that: every drop once.
async function creditedExactly(what, bWant, aWant, quietMs) {
	const A = env('CONNECTOR_A_CONTROL'), B = env('CONNECTOR_B_CONTROL');
	const both = async () => [
		BigInt((await get(`${B}/accounts/a`)).credited),
		BigInt((await get(`${A}/accounts/b`)).credited),
	];
	await until(what, async () => {
		const [b, a] = await both();
		return { ok: b >= bWant && a >= aWant, b: b.toString(),
			 a: a.toString() };
	});
	await sleep(quietMs);
	const [b, a] = await both();
	assert.equal(b, bWant);
	assert.equal(a, aWant);
}

test('two engines settle both ways through payment channels', async () => {
	const A = env('CONNECTOR_A_CONTROL'), B = env('CONNECTOR_B_CONTROL');
	const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
	assert.equal(env('ENGINES_RUNNING'), '1');

	// A owes B: 9 settlements of ~1.23 XRP (11.1 XRP: more than the first
	// 10 XRP channel holds, so a top-up is needed); B owes A: 7 smaller.
	const ab = Array.from({ length: 9 }, (_, i) =>
		(1234567n + BigInt(i) * 1001n) * UNIT);
	const ba = Array.from({ length: 7 }, (_, i) =>
		(345678n + BigInt(i) * 7n) * UNIT);
	const [sumAB, sumBA] = await Promise.all([
		settleMany(A, 'b', ab), settleMany(B, 'a', ba),
	]);

	// Each connector credited exactly what its peer settled, in drops
	// (rs flavour: account scale 6).
	const credB = await until('B credited', async () => {
		const a = await get(`${B}/accounts/a`);
		return { ok: BigInt(a.credited) >= sumAB, credited: a.credited,
			 want: sumAB.toString() };
	});
	const credA = await until('A credited', async () => {
		const a = await get(`${A}/accounts/b`);
		return { ok: BigInt(a.credited) >= sumBA, credited: a.credited,
			 want: sumBA.toString() };
	});
	await sleep(1500); // nothing more may arrive
	assert.equal((await get(`${B}/accounts/a`)).credited, sumAB.toString(),
		     JSON.stringify(credB));
	assert.equal((await get(`${A}/accounts/b`)).credited, sumBA.toString(),
		     JSON.stringify(credA));

	// The channels on the validated ledger: alice -> bob topped up past
	// 10 XRP; both redeemed by their destination.
	const ab1 = await until('channel alice -> bob redeemed', async () => {
		const c = await channels(alice, bob);
		return { ok: c.length === 1 && BigInt(c[0].amount) > 10000000n &&
			     BigInt(c[0].balance) > 0n, c };
	});
	assert.ok(BigInt(ab1.c[0].balance) * UNIT <= sumAB);
	const ba1 = await until('channel bob -> alice redeemed', async () => {
		const c = await channels(bob, alice);
		return { ok: c.length === 1 && BigInt(c[0].balance) > 0n, c };
	});
	assert.ok(BigInt(ba1.c[0].balance) * UNIT <= sumBA);
	assert.ok(BigInt(ba1.c[0].amount) >= 10000000n);

	// /health reports the channels.
	const ha = (await health(env('ENGINE_A_URL'))).channels;
	const hb = (await health(env('ENGINE_B_URL'))).channels;
	assert.equal(ha.outgoing.open, 1, JSON.stringify(ha));
	assert.equal(ha.incoming.open, 1, JSON.stringify(ha));
	assert.equal(ha.unpaired, 0);
	assert.ok(ha.claims_signed > 0 && hb.claims_accepted > 0);
	assert.equal(BigInt(hb.credited_drops) * UNIT, sumAB);
	assert.equal(BigInt(ha.paid_drops) * UNIT, sumAB);
});

test('hundreds of settlements both ways, credits equal to the drop',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const a0 = BigInt((await get(`${A}/accounts/b`)).credited);
		const b0 = BigInt((await get(`${B}/accounts/a`)).credited);
		// 4 concurrent streams each way, 40 settlements each.
		const stream = (ctl, name, seed) => settleMany(ctl, name,
			Array.from({ length: 40 }, (_, i) =>
				(10007n + BigInt(seed * 1000 + i)) * UNIT));
		const sums = await Promise.all([0, 1, 2, 3].flatMap((k) => [
			stream(A, 'b', k), stream(B, 'a', k + 4)]));
		let ab = 0n, ba = 0n;
		sums.forEach((x, i) => { if (i % 2 === 0) ab += x; else ba += x; });
		await creditedExactly('all credited', b0 + ab, a0 + ba, 1000);
	});

// Claims are in-memory outbox messages (one per account in flight): a
// connector that fails them (502) or never answers some (hung) costs time,
// never a drop, and nothing is credited twice.
test('claims through failing and hanging message routes: every drop once',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const a0 = BigInt((await get(`${A}/accounts/b`)).credited);
		const b0 = BigInt((await get(`${B}/accounts/a`)).credited);
		// alice's claims: the next 6 fail at connector A (502), then
		// bob's: the next 2 reaching connector B's engine route hang.
		await post(`${A}/faults`, { route: 'messages', fail: 6,
					   status: 502 });
		const ab1 = settleMany(A, 'b', Array.from({ length: 10 },
			(_, i) => (40001n + BigInt(i)) * UNIT));
		await post(`${B}/faults`, { route: 'messages', hang: 2 });
		const ba1 = settleMany(B, 'a', Array.from({ length: 10 },
			(_, i) => (50001n + BigInt(i)) * UNIT));
		const [sab, sba] = await Promise.all([ab1, ba1]);
		await sleep(1500);
		const r = await fetch(`${B}/faults?releaseHung=1`,
				      { method: 'DELETE' });
		assert.equal(r.status, 200);
		await fetch(`${A}/faults`, { method: 'DELETE' });
		// late answers and resends must not count
		await creditedExactly('all credited', b0 + sab, a0 + sba, 1500);
	});

// ---- bad claims, sent straight to bob's engine as if from alice's ------

const keypairs = require(path.join(process.env.XRPSE_SOURCE_DIR ||
	process.cwd(), 'testnet/node_modules/ripple-keypairs'));
const fs = require('node:fs');
const crypto = require('node:crypto');

function claimHex(channel, drops) {
	return '434C4D00' + channel + BigInt(drops).toString(16)
		.padStart(16, '0').toUpperCase();
}

async function sendToBob(msg) {
	const url = `${env('ENGINE_B_URL')}/accounts/${env('ENGINE_B_ACCOUNT')}/messages`;
	const r = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/octet-stream' },
		body: typeof msg === 'string' ? msg : JSON.stringify(msg),
	});
	return { status: r.status, body: await r.text() };
}

// Sends a claim until it is not answered 503 (channel lookup).
async function claimToBob(channel, drops, privateKey) {
	const msg = {
		type: 'claim', channel, amount: drops.toString(),
		signature: keypairs.sign(claimHex(channel, drops), privateKey),
	};
	for (let i = 0; i < 50; i++) {
		const r = await sendToBob(msg);
		if (r.status !== 503) {
			assert.equal(r.status, 201, r.body);
			return JSON.parse(r.body);
		}
		await sleep(200);
	}
	throw new Error('claim still answered 503');
}

test('bad claims are refused with the reason and credit nothing', async () => {
	const B = env('CONNECTOR_B_CONTROL');
	const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
	const seed = fs.readFileSync(path.join(env('XRPSE_NET_DIR'),
		'config/alice.seed'), 'utf8').trim();
	const aliceKey = keypairs.deriveKeypair(seed).privateKey;
	const other = keypairs.deriveKeypair(keypairs.generateSeed()).privateKey;
	const [ch] = await channels(alice, bob);
	const id = ch.channel_id;
	const before = (await get(`${B}/accounts/a`)).credited;

	let r = await claimToBob(id, 1000n, other);
	assert.equal(r.accepted, false);
	assert.equal(r.code, 'bad_signature');
	r = await claimToBob(id, BigInt(ch.amount) + 1n, aliceKey);
	assert.equal(r.code, 'above_capacity');
	r = await claimToBob(id, 1n, aliceKey);
	assert.equal(r.code, 'not_increasing');
	const unknown = crypto.randomBytes(32).toString('hex').toUpperCase();
	r = await claimToBob(unknown, 1000n, aliceKey);
	assert.equal(r.code, 'no_channel');
	// Malformed messages: 400.
	assert.equal((await sendToBob({ type: 'claim', channel: id })).status, 400);
	assert.equal((await sendToBob('{"type":"claim"')).status, 400);

	await sleep(1000);
	assert.equal((await get(`${B}/accounts/a`)).credited, before);
});

// ---- crash: bob's engine killed with claims and credits in flight ------

const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
let restarted = null; // bob's engine started by this test
let aliceAgain = null; // alice's engine started by the restore test
let bobAgain = null; // bob's engine started by the payee restore test

after(() => {
	for (const p of [restarted, aliceAgain, bobAgain])
		if (p)
			p.kill('SIGTERM');
});

function portOpen(port) {
	return new Promise((resolve) => {
		const c = net.connect(port, '127.0.0.1');
		c.on('connect', () => { c.destroy(); resolve(true); });
		c.on('error', () => resolve(false));
	});
}

test('kill -9 of an engine loses no claim and credits nothing twice',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const cfg = path.join(env('XRPSE_NET_DIR'), 'config');
		const pid = Number(fs.readFileSync(path.join(cfg, 'bob.db.lock'),
						   'utf8').trim());
		const port = Number(new URL(env('ENGINE_B_URL')).port);
		const creditedB = BigInt((await get(`${B}/accounts/a`)).credited);
		const creditedA = BigInt((await get(`${A}/accounts/b`)).credited);
		// Settlements both ways; bob dies right after committing his.
		const ab = Array.from({ length: 5 }, (_, i) =>
			(200001n + BigInt(i)) * UNIT);
		const ba = Array.from({ length: 5 }, (_, i) =>
			(300003n + BigInt(i)) * UNIT);
		const [sumAB, sumBA] = await Promise.all([
			settleMany(A, 'b', ab), settleMany(B, 'a', ba),
		]);
		process.kill(pid, 'SIGKILL');
		await until('bob down', async () => ({ ok: !(await portOpen(port)) }));
		await sleep(500);
		const args = fs.readFileSync(path.join(cfg, 'bob.args'), 'utf8')
			.split(/\s+/).filter((x) => x);
		const log = fs.openSync(path.join(env('XRPSE_NET_DIR'),
						  'engine-bob-restarted.log'), 'a');
		restarted = spawn(process.env.XRPSE_BIN, ['run', ...args],
				  { stdio: ['ignore', log, log] });
		restarted.unref();
		await until('bob up again', async () => ({ ok: await portOpen(port) }));
		// resends after the restart must not count
		await creditedExactly('credits after the restart',
				      creditedB + sumAB, creditedA + sumBA, 2500);
	});

// ---- a sender's store restored from a backup --------------------------
// (docs/risks.md#restore-from-backup-paying-twice)

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return false;
	}
}

// Alice pays bob `before`, `name`'s store is backed up online (README:
// sqlite3 .backup), alice pays `lost` (lost with the backup), the backup
// replaces the store and `name` starts again (its process goes into
// `keep`), alice pays `fresh`.  Checks bob's connector credited exactly
// every settlement once; returns the lost sum and the restarted engine's
// log text.
async function restoreScenario(name, engineUrl, amounts, keep) {
	const A = env('CONNECTOR_A_CONTROL'), B = env('CONNECTOR_B_CONTROL');
	const dir = env('XRPSE_NET_DIR');
	const cfg = path.join(dir, 'config');
	const db = path.join(cfg, `${name}.db`);
	const backup = path.join(dir, `${name}-backup.db`);
	const port = Number(new URL(engineUrl).port);
	const credited = async () =>
		BigInt((await get(`${B}/accounts/a`)).credited);
	const settleAndWait = async (xs) => {
		const before = await credited();
		const sum = await settleMany(A, 'b', xs.map((x) => x * UNIT));
		await until('B credited', async () => {
			const c = await credited();
			return { ok: c >= before + sum, c: c.toString() };
		});
		return sum;
	};
	await settleAndWait(amounts.before);
	execFileSync('sqlite3', [db, `.backup '${backup}'`]);
	const lost = await settleAndWait(amounts.lost);
	const c2 = await credited();
	const pid = Number(fs.readFileSync(`${db}.lock`, 'utf8').trim());
	process.kill(pid, 'SIGTERM');
	await until(`${name} stopped`, async () => ({ ok: !alive(pid) }));
	for (const f of [db, `${db}-wal`, `${db}-shm`])
		fs.rmSync(f, { force: true });
	fs.copyFileSync(backup, db);
	const args = fs.readFileSync(path.join(cfg, `${name}.args`), 'utf8')
		.split(/\s+/).filter((x) => x);
	const logPath = path.join(dir, `engine-${name}-restored.log`);
	const log = fs.openSync(logPath, 'a');
	const p = spawn(process.env.XRPSE_BIN, ['run', ...args],
			{ stdio: ['ignore', log, log] });
	p.unref();
	keep(p);
	await until(`${name} up again`, async () => ({ ok: await portOpen(port) }));
	const sum = await settleMany(A, 'b', amounts.fresh.map((x) => x * UNIT));
	await until('new settlements credited', async () => {
		const c = await credited();
		return { ok: c >= c2 + sum, c: c.toString(),
			 want: (c2 + sum).toString() };
	});
	await sleep(2500); // resends after the restart must not count
	assert.equal(await credited(), c2 + sum);
	return { lost, text: fs.readFileSync(logPath, 'utf8') };
}

// New settlements are credited exactly: not swallowed by claims the peer
// already holds, and the lost ones are not paid again.
test('a restored store recovers the claims it lost: no divergence, no double pay',
	async () => {
		const { lost, text } = await restoreScenario('alice',
			env('ENGINE_A_URL'), {
				before: [111111n, 111112n],
				lost: [222221n, 222222n, 222223n],
				fresh: [333331n, 333332n],
			}, (p) => { aliceAgain = p; });
		const m = /recovered (\d+) drops of claims our store had lost/
			.exec(text);
		assert.ok(m, 'the log names the recovery');
		assert.equal(BigInt(m[1]) * UNIT, lost);
		assert.match(text, /0 of them paid settlements still owed here/);
		const h = (await health(env('ENGINE_A_URL'))).channels;
		assert.equal(BigInt(h.recovered_drops) * UNIT, lost);
		assert.equal(h.recovering, 0);
		assert.doesNotMatch(text, /\*\*BROKEN\*\*/);
	});

// ---- a payee's store restored from a backup: no credit twice ----------

// Alice's next claim carries what bob had acknowledged ("acked"): only the
// new settlements are credited.
test('a payee store restored from a backup credits nothing twice',
	async () => {
		const { lost, text } = await restoreScenario('bob',
			env('ENGINE_B_URL'), {
				before: [444441n],
				lost: [555551n, 555552n],
				fresh: [666661n, 666662n],
			}, (p) => { bobAgain = p; });
		// The lost drops are named, unless bob had redeemed them on the
		// ledger before the restore (its Balance protects them too).
		const m = /ALERT credits_lost channel [0-9A-F]+: the peer says we acknowledged (\d+) drops more/
			.exec(text);
		if (m)
			assert.ok(BigInt(m[1]) * UNIT <= lost, m[0]);
		assert.doesNotMatch(text, /tecUNFUNDED_PAYMENT/);
	});

// ---- a server without the ledger ----------------------------------------

test('lgrNotFound from a server without the ledger closes no channel',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
		const ws = env('LEDGER_WS_URL');
		const engines = [env('ENGINE_A_URL'), env('ENGINE_B_URL')];
		const closed = async () => Promise.all(engines.map(async (u) => {
			const h = (await health(u)).channels;
			return [h.outgoing.closed || 0, h.incoming.closed || 0];
		}));
		const before = await closed();
		const ab = await channels(alice, bob), ba = await channels(bob, alice);
		assert.equal(ab.length, 1);
		assert.equal(ba.length, 1);
		// The engines' next 40 requests (their lookups every second
		// among them) are answered lgrNotFound.
		await rpc(ws, { command: 'testnet_too_busy', count: 40,
				error: 'lgrNotFound' });
		await until('the lgrNotFound answers given', async () => {
			const st = (await rpc(ws, { command: 'testnet_status' }))
				.result;
			return { ok: st.too_busy === 0, st };
		});
		await sleep(1500); /* the next polls, answered */
		assert.deepEqual(await closed(), before);
		// Both channels still pay: no new channel either way.
		const a0 = BigInt((await get(`${A}/accounts/b`)).credited);
		const b0 = BigInt((await get(`${B}/accounts/a`)).credited);
		await settleMany(A, 'b', [777771n * UNIT]);
		await settleMany(B, 'a', [777772n * UNIT]);
		await creditedExactly('paid after the lgrNotFound answers',
				      b0 + 777771n * UNIT,
				      a0 + 777772n * UNIT, 500);
		assert.deepEqual((await channels(alice, bob)).map((c) => c.channel_id),
				 ab.map((c) => c.channel_id));
		assert.deepEqual((await channels(bob, alice)).map((c) => c.channel_id),
				 ba.map((c) => c.channel_id));
	});

// ---- the peer closes its channel behind our back -----------------------

test('a close by the peer is answered by a redemption before expiry',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
		const ws = env('LEDGER_WS_URL');
		// Alice holds claims the ledger has not paid yet.
		const before = BigInt((await get(`${A}/accounts/b`)).credited);
		const more = 123457n * UNIT;
		await settleMany(B, 'a', [more]);
		await until('A credited', async () => {
			const c = BigInt((await get(`${A}/accounts/b`)).credited);
			return { ok: c === before + more, c: c.toString() };
		});
		const total = before + more;
		const [ch] = await channels(bob, alice);
		assert.ok(BigInt(ch.balance) * UNIT < total);
		// Bob closes it as owner, signing outside his engine: the
		// ledger sets Expiration = now + SettleDelay.
		const info = await rpc(ws, { command: 'account_info', account: bob,
					     ledger_index: 'current' });
		// Above the open-ledger fee, escalated or not (a queued close
		// would wait while the ledger under load fills).
		const fee = await rpc(ws, { command: 'fee' });
		const tx = {
			TransactionType: 'PaymentChannelClaim', Account: bob,
			Channel: ch.channel_id, Flags: 0x00020000,
			Fee: String(Math.max(12,
				4 * Number(fee.result.drops.open_ledger_fee))),
			Sequence: info.result.account_data.Sequence,
			LastLedgerSequence: info.result.ledger_current_index + 20,
		};
		const signed = JSON.parse(require('node:child_process')
			.execFileSync(process.env.XRPSE_BIN, ['tx', 'sign',
				'--seed-file', path.join(env('XRPSE_NET_DIR'),
							 'config/bob.seed'),
				'--tx', JSON.stringify(tx)]).toString());
		const sub = await rpc(ws, { command: 'submit',
					    tx_blob: signed.tx_blob });
		assert.equal(sub.result.engine_result, 'tesSUCCESS',
			     JSON.stringify(sub));
		// Most of the settle delay passes; alice must redeem it all
		// before the Expiration.
		const expiring = await until('Expiration on the ledger', async () => {
			const [c] = await channels(bob, alice);
			return { ok: c && c.expiration !== undefined, c };
		});
		await rpc(ws, { command: 'testnet_advance_time',
				seconds: ch.settle_delay - 20 * 3600 });
		await until('alice redeemed everything', async () => {
			const [c] = await channels(bob, alice);
			return { ok: c && BigInt(c.balance) * UNIT === total, c,
				 want: total.toString() };
		});
		// Past the Expiration bob's engine finalizes the close.
		await rpc(ws, { command: 'testnet_advance_time',
				seconds: 21 * 3600 });
		await until('channel gone', async () => {
			const c = await channels(bob, alice);
			return { ok: c.length === 0, c, expiring: expiring.c };
		});
	});

test('DELETE /accounts on both engines at once: both channels closed, all redeemed',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'), B = env('CONNECTOR_B_CONTROL');
		const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
		const creditedA = (await get(`${A}/accounts/b`)).credited;
		const creditedB = (await get(`${B}/accounts/a`)).credited;
		// As the demo closes the link: both at the same moment.  Each
		// engine redeems what it holds with tfClose (closing the peer's
		// channel as destination) and asks the peer to close its own;
		// neither closes its own as owner (close_wait_s,
		// docs/risks.md#our-owner-close-before-the-peer-redeems), so no
		// close can fail with tecNO_TARGET.
		const del = (url, id) => fetch(`${url}/accounts/${id}`,
					       { method: 'DELETE' });
		const [ra, rb] = await Promise.all([
			del(env('ENGINE_A_URL'), env('ENGINE_A_ACCOUNT')),
			del(env('ENGINE_B_URL'), env('ENGINE_B_ACCOUNT'))]);
		assert.equal(ra.status, 204);
		assert.equal(rb.status, 204);
		await until('both channels closed', async () => {
			const ab = await channels(alice, bob);
			const ba = await channels(bob, alice);
			return { ok: ab.length === 0 && ba.length === 0, ab, ba };
		});
		// Everything credited was redeemed: the last redeem of alice ->
		// bob paid bob what his connector was credited.
		const redeemed = txs.filter((t) => t.type === 'PaymentChannelClaim' &&
					    t.account === bob && t.result === 'tesSUCCESS');
		assert.ok(redeemed.length > 0);
		assert.equal((await get(`${A}/accounts/b`)).credited, creditedA);
		assert.equal((await get(`${B}/accounts/a`)).credited, creditedB);
	});

// risks.md#delete-then-recreate-pays-nothing, black box: after the
// deletions above (both channels gone), the accounts are created again on
// both engines; every later settlement is paid, through a new channel.
test('accounts deleted and created again pay again, through a new channel',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
		await post(`${env('ENGINE_A_URL')}/accounts`,
			   { id: env('ENGINE_A_ACCOUNT') });
		await post(`${env('ENGINE_B_URL')}/accounts`,
			   { id: env('ENGINE_B_ACCOUNT') });
		const a0 = BigInt((await get(`${A}/accounts/b`)).credited);
		const b0 = BigInt((await get(`${B}/accounts/a`)).credited);
		const [ab, ba] = await Promise.all([
			settleMany(A, 'b', [1000003n * UNIT, 2000005n * UNIT]),
			settleMany(B, 'a', [300007n * UNIT]),
		]);
		await creditedExactly('credited after the re-creation',
				      b0 + ab, a0 + ba, 1000);
		assert.equal((await channels(alice, bob)).length, 1);
		assert.equal((await channels(bob, alice)).length, 1);
	});

// docs/api.md#messages-and-the-connectors-answer-caches: the rs connector
// keeps every answer per Idempotency-Key for a day, a Reject's 502
// included.  Alice restarts while the hop to bob fails: her first
// last_claim questions are answered 502 (kept by connector A), and she
// holds every claim until one is answered.  Each attempt carries a new
// key, so once the hop is back she is answered and pays.
let aliceLast = null; // alice's engine started by this test
after(() => {
	if (aliceLast)
		aliceLast.kill('SIGTERM');
});
test('a restart that first meets the peer down pays once the peer is back',
	async () => {
		const A = env('CONNECTOR_A_CONTROL'),
		      B = env('CONNECTOR_B_CONTROL');
		const dir = env('XRPSE_NET_DIR');
		const cfg = path.join(dir, 'config');
		const pid = Number(fs.readFileSync(path.join(cfg, 'alice.db.lock'),
						   'utf8').trim());
		const port = Number(new URL(env('ENGINE_A_URL')).port);
		const b0 = BigInt((await get(`${B}/accounts/a`)).credited);
		const seq = (await get(`${A}/log`)).at(-1)?.seq || 0;
		process.kill(pid, 'SIGTERM');
		await until('alice stopped', async () => ({ ok: !alive(pid) }));
		await post(`${B}/faults`, { route: 'peer', fail: 3, status: 503 });
		const args = fs.readFileSync(path.join(cfg, 'alice.args'), 'utf8')
			.split(/\s+/).filter((x) => x);
		const log = fs.openSync(path.join(dir, 'engine-alice-last.log'),
					'a');
		aliceLast = spawn(process.env.XRPSE_BIN, ['run', ...args],
				  { stdio: ['ignore', log, log] });
		aliceLast.unref();
		await until('alice up again', async () => ({ ok: await portOpen(port) }));
		const sum = await settleMany(A, 'b', [888881n * UNIT]);
		await creditedExactly('paid after the peer came back', b0 + sum,
				      BigInt((await get(`${A}/accounts/b`)).credited),
				      500);
		const msgs = (await get(`${A}/log?since=${seq}&route=messages`))
			.filter((e) => e.dir === 'in');
		// rs answers a Reject 502; java 200 with the Reject's empty data
		const refused = (e) => (process.env.FLAVOR_A === 'java' ?
			e.status === 200 && !e.response : e.status === 502);
		assert.ok(msgs.some(refused), 'the peer was down');
		assert.ok(!msgs.some((e) => e.replay), 'no answer replayed');
		await fetch(`${B}/faults`, { method: 'DELETE' });
	});

test('no transaction of either engine failed during the run', async () => {
	await sleep(1000); // the last validated ledgers reach the stream
	assert.ok(txs.length > 0);
	const failed = txs.filter((t) => t.result !== 'tesSUCCESS');
	assert.deepEqual(failed, [], JSON.stringify(failed));
});
