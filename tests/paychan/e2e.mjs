// End-to-end test of the payment-channel service (issue 7), run by
// tests/paychan/run-e2e.sh inside testnet/scripts/local-net.sh: the ledger
// stand-in, two connector stand-ins and two real xrpse daemons.
//
// It settles payments both ways through the connectors' control API and
// checks, to the drop, that each connector was credited exactly what its
// peer settled; that the channels exist on the validated ledger from each
// engine's address to the other's, funded beyond the first 10 XRP (a
// top-up happened) and with claims redeemed (Balance > 0); and that every
// settlement request was answered 201.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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

// Account units per drop: 1 at scale 6 (rs), 1000 at scale 9 (java).
const UNIT = BigInt(process.env.XRPSE_E2E_UNIT || '1');

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function until(what, fn, ms = 40000) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		last = await fn();
		if (last.ok)
			return last;
		await sleep(200);
	}
	throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

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
	const ha = (await get(`${env('ENGINE_A_URL')}/health`)).channels;
	const hb = (await get(`${env('ENGINE_B_URL')}/health`)).channels;
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
		await until('all credited', async () => {
			const b = BigInt((await get(`${B}/accounts/a`)).credited);
			const a = BigInt((await get(`${A}/accounts/b`)).credited);
			return { ok: b >= b0 + ab && a >= a0 + ba };
		});
		await sleep(1000);
		assert.equal(BigInt((await get(`${B}/accounts/a`)).credited),
			     b0 + ab);
		assert.equal(BigInt((await get(`${A}/accounts/b`)).credited),
			     a0 + ba);
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

const { spawn } = require('node:child_process');
const net = require('node:net');
let restarted = null; // bob's engine started by this test

after(() => {
	if (restarted)
		restarted.kill('SIGTERM');
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
		await until('credits after the restart', async () => {
			const b = BigInt((await get(`${B}/accounts/a`)).credited);
			const a = BigInt((await get(`${A}/accounts/b`)).credited);
			return { ok: b >= creditedB + sumAB && a >= creditedA + sumBA,
				 b: b.toString(), a: a.toString() };
		});
		await sleep(2500); // resends after the restart must not count
		assert.equal(BigInt((await get(`${B}/accounts/a`)).credited),
			     creditedB + sumAB);
		assert.equal(BigInt((await get(`${A}/accounts/b`)).credited),
			     creditedA + sumBA);
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
		const tx = {
			TransactionType: 'PaymentChannelClaim', Account: bob,
			Channel: ch.channel_id, Flags: 0x00020000, Fee: '12',
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

test('DELETE /accounts closes our channel; what we hold is redeemed', async () => {
	const A = env('CONNECTOR_A_CONTROL');
	const alice = env('ALICE_ADDRESS'), bob = env('BOB_ADDRESS');
	const creditedA = (await get(`${A}/accounts/b`)).credited;
	const url = `${env('ENGINE_A_URL')}/accounts/${env('ENGINE_A_ACCOUNT')}`;
	const r = await fetch(url, { method: 'DELETE' });
	assert.equal(r.status, 204);
	// Alice closes her channel as owner and asks bob to close it as
	// destination (he redeems and closes it at once); every claim alice
	// holds on bob's channel is redeemed (the channel is bob's to close).
	await until('alice -> bob closed, bob -> alice fully redeemed',
		async () => {
			const ab = await channels(alice, bob);
			const ba = await channels(bob, alice);
			// Gone: alice held more than the ledger paid and
			// redeemed it with tfClose, which pays and closes.
			return { ok: ab.length === 0 && (ba.length === 0 ||
				     BigInt(ba[0].balance) * UNIT ===
				     BigInt(creditedA)), ab, ba };
		});
	assert.equal((await get(`${A}/accounts/b`)).credited, creditedA);
});
