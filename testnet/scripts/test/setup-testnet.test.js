'use strict';
/*
 * Tests of testnet/scripts/setup-testnet.js.  First against an in-test fake
 * rippled (a `ws` server answering server_info/account_info) and fake
 * faucet, to pin the network check, the faucet request and the files
 * written; then against the real local ledger stand-in and its faucet
 * look-alike (testnet/ledger/server.js).  Nothing here leaves 127.0.0.1.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');
const WebSocket = require('ws');
const keypairs = require('ripple-keypairs');

const SCRIPT = path.join(__dirname, '..', 'setup-testnet.js');
const LEDGER = path.join(__dirname, '..', '..', 'ledger', 'server.js');

function run(args) {
	return new Promise((resolve) => {
		const p = spawn(process.execPath, [SCRIPT, ...args],
				{ stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { err += d; });
		p.on('exit', (code) => resolve({ code, out, err }));
	});
}

function tmpdir(t) {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'xrpse-setup-'));
	t.after(() => fs.rmSync(d, { recursive: true, force: true }));
	return d;
}

/* Fake rippled: server_info with `networkId` (undefined = absent);
 * account_info answers actNotFound `pending` times per account, then a
 * balance, for accounts the faucet funded. */
async function fakeNet(t, { networkId, faucet } = {}) {
	const funded = new Map();
	const seen = { faucet: [], ws: [] };
	const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0 });
	await new Promise((r) => wss.on('listening', r));
	wss.on('connection', (ws) => ws.on('message', (d) => {
		const m = JSON.parse(d.toString());
		seen.ws.push(m);
		const reply = (o) => ws.send(JSON.stringify(Object.assign(
			{ id: m.id, type: 'response' }, o)));
		if (m.command === 'server_info') {
			const info = { build_version: 'fake', validated_ledger: { seq: 7 } };
			if (networkId !== undefined)
				info.network_id = networkId;
			return reply({ status: 'success', result: { info } });
		}
		if (m.command === 'account_info') {
			const f = funded.get(m.account);
			if (!f || f.pending-- > 0)
				return reply({ status: 'error', error: 'actNotFound',
					       error_code: 19,
					       error_message: 'Account not found.',
					       request: m });
			return reply({ status: 'success', result: {
				account_data: { Account: m.account,
						Balance: f.drops },
				validated: true } });
		}
		reply({ status: 'error', error: 'unknownCmd' });
	}));
	const srv = http.createServer((req, res) => {
		let b = '';
		req.on('data', (d) => { b += d; });
		req.on('end', () => {
			const j = JSON.parse(b);
			seen.faucet.push({ path: req.url, headers: req.headers, body: j });
			const o = (faucet || ((jj) => ({ status: 200, body: {
				account: { xAddress: 'T...', address: jj.destination,
					   classicAddress: jj.destination },
				amount: Number(jj.xrpAmount),
				transactionHash: 'AB'.repeat(32) } })))(j);
			if (o.status === 200 && o.fund !== false)
				funded.set(o.body.account.classicAddress,
					   { pending: 2, drops: String(BigInt(j.xrpAmount) * 1000000n) });
			res.writeHead(o.status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(o.body));
		});
	});
	await new Promise((r) => srv.listen(0, '127.0.0.1', r));
	t.after(async () => {
		for (const c of wss.clients)
			c.terminate();
		await new Promise((r) => wss.close(r));
		srv.closeAllConnections();
		await new Promise((r) => srv.close(r));
	});
	return {
		seen,
		args: ['--rippled-url', `ws://127.0.0.1:${wss.address().port}`,
		       '--faucet-url', `http://127.0.0.1:${srv.address().port}/accounts`,
		       '--poll-ms', '20', '--timeout-ms', '5000'],
	};
}

test('funds two accounts and writes seed, env, args and summary files', async (t) => {
	const n = await fakeNet(t, { networkId: 1 });
	const dir = tmpdir(t);
	const r = await run([...n.args, '--out', dir, '--xrp-amount', '50',
			     '--listen', '127.0.0.1:4000,127.0.0.1:4001',
			     '--connector-urls', 'http://127.0.0.1:5000,http://127.0.0.1:5001']);
	assert.equal(r.code, 0, r.err);
	const sum = JSON.parse(r.out);
	assert.equal(sum.networkId, 1);
	assert.deepEqual(sum.engines.map((e) => e.name), ['alice', 'bob']);
	assert.equal(n.seen.faucet.length, 2);
	for (const [i, e] of sum.engines.entries()) {
		const f = n.seen.faucet[i];
		assert.equal(f.path, '/accounts');
		assert.equal(f.body.destination, e.address);
		assert.equal(f.body.xrpAmount, '50');
		assert.ok(f.body.userAgent);
		assert.equal(f.body.seed, undefined);
		assert.equal(e.balanceDrops, '50000000');
		const seed = fs.readFileSync(path.join(dir, `${e.name}.seed`), 'utf8').trim();
		assert.equal(fs.statSync(path.join(dir, `${e.name}.seed`)).mode & 0o777, 0o600);
		assert.equal(keypairs.deriveAddress(keypairs.deriveKeypair(seed).publicKey),
			     e.address);
		assert.equal(e.keyType, 'secp256k1');
		const env = fs.readFileSync(path.join(dir, `${e.name}.env`), 'utf8');
		assert.match(env, new RegExp(`^XRPSE_LISTEN=127.0.0.1:400${i}$`, 'm'));
		assert.match(env, new RegExp(`^XRPSE_CONNECTOR_URL=http://127.0.0.1:500${i}$`, 'm'));
		assert.match(env, /^XRPSE_RIPPLED_URL=ws:\/\/127\.0\.0\.1:\d+$/m);
		assert.match(env, /^XRPSE_NETWORK_ID=1$/m);
		assert.match(env, /^XRPSE_KEY_TYPE=secp256k1$/m);
		assert.match(env, new RegExp(`^XRPSE_SEED_FILE=${dir}/${e.name}.seed$`, 'm'));
		assert.match(env, new RegExp(`^XRPSE_DB=${dir}/${e.name}.db$`, 'm'));
		const args = fs.readFileSync(path.join(dir, `${e.name}.args`), 'utf8')
			.trim().split('\n');
		assert.deepEqual(args.map((l) => l.split(' ')[0]),
				 ['--listen', '--connector-url', '--rippled-url',
				  '--seed-file', '--db', '--network-id', '--key-type']);
	}
	const saved = fs.readFileSync(path.join(dir, 'accounts.json'), 'utf8');
	assert.deepEqual(JSON.parse(saved), sum);
	assert.doesNotMatch(saved, /"s[1-9A-HJ-NP-Za-km-z]{24,}"/, 'no seed in the summary');
	/* the network was checked before anything was funded */
	assert.equal(n.seen.ws[0].command, 'server_info');
	/* the files are not overwritten without --force */
	const again = await run([...n.args, '--out', dir]);
	assert.equal(again.code, 1);
	assert.match(again.err, /exists/);
	const forced = await run([...n.args, '--out', dir, '--force', '--key-type', 'ed25519',
				  '--names', 'x']);
	assert.equal(forced.code, 2, 'one name needs one listen entry');
	const forced2 = await run([...n.args, '--out', dir, '--force', '--key-type', 'ed25519']);
	assert.equal(forced2.code, 0, forced2.err);
	assert.equal(JSON.parse(forced2.out).engines[0].keyType, 'ed25519');
	const mixed = await run([...n.args, '--out', dir, '--force', '--key-type', 'ed25519,secp256k1']);
	assert.equal(mixed.code, 0, mixed.err);
	assert.deepEqual(JSON.parse(mixed.out).engines.map((e) => e.keyType), ['ed25519', 'secp256k1']);
});

test('refuses a rippled serving another network id, before the faucet', async (t) => {
	for (const [served, wanted] of [[2, '1'], [undefined, '1'], [1, '2']]) {
		const n = await fakeNet(t, { networkId: served });
		const r = await run([...n.args, '--out', tmpdir(t), '--network-id', wanted]);
		assert.equal(r.code, 1, `${served} vs ${wanted}`);
		assert.match(r.err, new RegExp(`serves network id ${served || 0} but --network-id is ${wanted}`));
		assert.equal(n.seen.faucet.length, 0);
	}
	/* absent network_id is 0, accepted on a loopback rippled */
	const n = await fakeNet(t, {});
	const r = await run([...n.args, '--out', tmpdir(t), '--network-id', '0',
			     '--names', 'solo', '--listen', '127.0.0.1:1',
			     '--connector-urls', 'http://127.0.0.1:2']);
	assert.equal(r.code, 0, r.err);
});

test('faucet errors and a wrongly funded address fail the run', async (t) => {
	let n = await fakeNet(t, { networkId: 1, faucet: () => ({ status: 500,
		body: { error: 'Unable to fund account. Try again later' } }) });
	let r = await run([...n.args, '--out', tmpdir(t)]);
	assert.equal(r.code, 1);
	assert.match(r.err, /HTTP 500.*Unable to fund/);
	n = await fakeNet(t, { networkId: 1, faucet: () => ({ status: 200,
		body: { account: { classicAddress: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' },
			amount: 1000 } }) });
	r = await run([...n.args, '--out', tmpdir(t)]);
	assert.equal(r.code, 1);
	assert.match(r.err, /faucet funded rHb9/);
	/* funded per the faucet but never in a validated ledger */
	n = await fakeNet(t, { networkId: 1, faucet: (j) => ({ status: 200, fund: false,
		body: { account: { classicAddress: j.destination }, amount: 1 } }) });
	r = await run([...n.args, '--out', tmpdir(t), '--timeout-ms', '300']);
	assert.equal(r.code, 1);
	assert.match(r.err, /not funded in a validated ledger/);
});

test('usage errors exit 2; mainnet and unreachable servers exit 1', async (t) => {
	for (const args of [[], ['--out'], ['--out', 'x', '--bogus'],
			    ['--out', 'x', '--network-id', 'one'],
			    ['--out', 'x', '--key-type', 'rsa'],
			    ['--out', 'x', '--key-type', 'ed25519,ed25519,ed25519'],
			    ['--out', 'x', '--rippled-url', 'http://127.0.0.1:1'],
			    ['--out', 'x', '--names', 'a,a']]) {
		const r = await run(args);
		assert.equal(r.code, 2, args.join(' '));
		assert.match(r.err, /usage:/);
	}
	let r = await run(['--out', tmpdir(t), '--network-id', '0']);
	assert.equal(r.code, 1);
	assert.match(r.err, /mainnet/);
	r = await run(['--out', tmpdir(t), '--rippled-url', 'ws://127.0.0.1:1',
		       '--timeout-ms', '2000']);
	assert.equal(r.code, 1);
	assert.match(r.err, /ECONNREFUSED/);
});

/* ---------- against the local ledger stand-in ---------- */

function serverInfo(url) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		ws.on('error', reject);
		ws.on('open', () => ws.send(JSON.stringify({ id: 1, command: 'server_info' })));
		ws.on('message', (d) => {
			ws.close();
			resolve(JSON.parse(d.toString()).result.info);
		});
	});
}

test('runs against the local ledger and its faucet look-alike',
     { skip: !fs.existsSync(LEDGER) &&
	     'testnet/ledger/server.js does not exist yet' }, async (t) => {
	/* network id 1 like the public testnet, so the script runs with its
	 * defaults and only the URLs differ */
	const p = spawn(process.execPath, [LEDGER, '--port', '0', '--faucet-port', '0',
					   '--close-ms', '200', '--network-id', '1'],
			{ stdio: ['ignore', 'pipe', 'pipe'] });
	let lerr = '';
	p.stderr.on('data', (d) => { lerr += d; });
	t.after(() => p.kill('SIGTERM'));
	const [port, fport] = await new Promise((resolve, reject) => {
		let out = '';
		p.stdout.on('data', (d) => {
			out += d;
			const m = out.match(/listening ws=(\d+) faucet=(\d+)/);
			if (m)
				resolve([Number(m[1]), Number(m[2])]);
		});
		p.on('exit', (c) => reject(new Error(`ledger exited ${c}: ${lerr}`)));
	});
	const url = `ws://127.0.0.1:${port}`;
	assert.equal((await serverInfo(url)).network_id, 1);
	const base = ['--rippled-url', url,
		      '--faucet-url', `http://127.0.0.1:${fport}/accounts`,
		      '--poll-ms', '100', '--timeout-ms', '20000'];
	const dir = tmpdir(t);
	const r = await run([...base, '--out', dir, '--xrp-amount', '1000']);
	assert.equal(r.code, 0, r.err + lerr);
	const sum = JSON.parse(r.out);
	assert.equal(sum.engines.length, 2);
	assert.equal(sum.networkId, 1);
	for (const e of sum.engines) {
		assert.equal(e.balanceDrops, '1000000000');
		assert.equal(e.config['network-id'], '1');
		const seed = fs.readFileSync(e.seedFile, 'utf8').trim();
		assert.equal(keypairs.deriveAddress(keypairs.deriveKeypair(seed).publicKey),
			     e.address);
	}
	/* the same network check as the engine: a wrong id is refused */
	const bad = await run([...base, '--out', tmpdir(t), '--network-id', '2']);
	assert.equal(bad.code, 1);
	assert.match(bad.err, /serves network id/);
});
