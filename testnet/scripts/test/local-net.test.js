'use strict';
/*
 * Tests of testnet/scripts/local-net.sh: it brings up the ledger stand-in,
 * two funded accounts and two peered connector stand-ins (optionally two
 * engines, here a fake `xrpse run`), hands their addresses to --run, and
 * stops everything it started, on exit and on SIGTERM.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');

const SCRIPT = path.join(__dirname, '..', 'local-net.sh');
const LEDGER = path.join(__dirname, '..', '..', 'ledger', 'server.js');
const FAKE = path.join(__dirname, 'fake-xrpse.js');
const skip = !fs.existsSync(LEDGER) && 'testnet/ledger/server.js does not exist yet';

/* A --run command: a node program that prints the environment and checks
 * the network from inside. */
const CHECK = `
const WebSocket = require(${JSON.stringify(path.join(__dirname, '..', '..', 'node_modules', 'ws'))});
const rpc = (cmd, p = {}) => new Promise((res, rej) => {
	const ws = new WebSocket(process.env.LEDGER_WS_URL);
	ws.on('error', rej);
	ws.on('open', () => ws.send(JSON.stringify(Object.assign({ id: 1, command: cmd }, p))));
	ws.on('message', (d) => { ws.close(); res(JSON.parse(d.toString())); });
});
(async () => {
	const out = { env: {} };
	for (const k of Object.keys(process.env))
		if (/^(LEDGER|FAUCET|CONNECTOR|ENGINE|ALICE|BOB|XRPSE_NET)/.test(k))
			out.env[k] = process.env[k];
	out.networkId = (await rpc('server_info')).result.info.network_id;
	out.alice = (await rpc('account_info', { account: process.env.ALICE_ADDRESS,
		ledger_index: 'validated' })).result.account_data.Balance;
	out.health = await (await fetch(process.env.CONNECTOR_B_CONTROL + '/health')).json();
	out.link = await (await fetch(process.env.CONNECTOR_A_CONTROL + '/accounts/b')).json();
	const r = await fetch(process.env.CONNECTOR_A_URL + '/accounts/' +
		process.env.ENGINE_A_ACCOUNT + '/messages', { method: 'POST',
		headers: { 'content-type': 'application/octet-stream' }, body: 'ping' });
	out.message = { status: r.status, body: await r.text() };
	console.log(JSON.stringify(out));
	process.exit(Number(process.env.CHECK_EXIT || 0));
})().catch((e) => { console.error(e); process.exit(9); });`;

function run(args, env = {}) {
	return new Promise((resolve) => {
		const p = spawn('bash', [SCRIPT, ...args], {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: Object.assign({}, process.env, env),
		});
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { err += d; });
		p.on('exit', (code) => resolve({ code, out, err }));
	});
}

function portOpen(port) {
	return new Promise((r) => {
		const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); });
		c.on('error', () => r(false));
	});
}

async function allClosed(env) {
	for (const k of ['LEDGER_WS_URL', 'CONNECTOR_A_URL', 'CONNECTOR_B_URL',
			 'ENGINE_A_URL', 'ENGINE_B_URL'])
		assert.equal(await portOpen(Number(new URL(env[k]).port)), false, k);
}

test('without engines: ledger, funded accounts, peered connectors; all stopped after',
     { skip }, async () => {
	const r = await run(['--engines', 'no', '--close-ms', '200', '--run',
			     process.execPath, '-e', CHECK], { CHECK_EXIT: '3' });
	assert.equal(r.code, 3, r.err);
	const o = JSON.parse(r.out);
	assert.equal(o.networkId, 1);
	assert.equal(o.alice, '1000000000');
	assert.equal(o.env.ENGINES_RUNNING, '0');
	assert.equal(o.health.flavor, 'rs');
	assert.equal(o.link.threshold, '1000000', '1 XRP at scale 6');
	assert.equal(o.link.scale, 6);
	assert.equal(o.link.peer, 'a');
	/* A relayed to B, whose engine is absent: a T00 reject from B */
	assert.equal(o.message.status, 502);
	assert.match(o.message.body, /T00 Settlement engine unreachable/);
	const envsh = fs.readFileSync(path.join(o.env.XRPSE_NET_DIR, 'env.sh'), 'utf8');
	assert.match(envsh, /^export CONNECTOR_A_URL=http:\/\/127\.0\.0\.1:\d+$/m);
	await allClosed(o.env);
	fs.rmSync(o.env.XRPSE_NET_DIR, { recursive: true, force: true });
});

test('with engines (a fake xrpse run): configs passed, accounts created on them',
     { skip }, async () => {
	const r = await run(['--engines', 'yes', '--xrpse', FAKE, '--flavor', 'java',
			     '--close-ms', '200', '--run', process.execPath, '-e', CHECK]);
	assert.equal(r.code, 0, r.err);
	const o = JSON.parse(r.out);
	assert.equal(o.env.ENGINES_RUNNING, '1');
	assert.equal(o.health.flavor, 'java');
	assert.equal(o.link.threshold, '1000000000', '1 XRP at scale 9');
	assert.equal(o.link.id, o.env.ENGINE_A_ACCOUNT);
	assert.equal(o.message.status, 200);
	assert.equal(o.message.body, `${new URL(o.env.ENGINE_B_URL).host} got ping`);
	const dir = o.env.XRPSE_NET_DIR;
	const alog = fs.readFileSync(path.join(dir, 'engine-alice.log'), 'utf8');
	assert.match(alog, /^POST \/accounts \{"id":null\}$/m);
	assert.match(fs.readFileSync(path.join(dir, 'engine-bob.log'), 'utf8'),
		     /^POST \/accounts\/[^/]+\/messages ping$/m);
	await allClosed(o.env);
	fs.rmSync(dir, { recursive: true, force: true });
});

test('an engine that cannot start: --engines yes fails, auto carries on',
     { skip }, async () => {
	const bad = path.join(__dirname, 'no-such-xrpse');
	let r = await run(['--engines', 'yes', '--xrpse', bad, '--close-ms', '200',
			   '--run', 'true']);
	assert.equal(r.code, 1);
	assert.match(r.err, /cannot start the engines/);
	r = await run(['--engines', 'auto', '--xrpse', bad, '--close-ms', '200',
		       '--run', 'true']);
	assert.equal(r.code, 0, r.err);
	assert.match(r.err, /continuing without engines/);
});

test('foreground mode stops everything on SIGTERM', { skip }, async () => {
	const dir = fs.mkdtempSync('/tmp/xrpse-net-test-');
	const p = spawn('bash', [SCRIPT, '--engines', 'no', '--dir', dir,
				 '--close-ms', '200'], { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	await new Promise((resolve, reject) => {
		p.stderr.on('data', (d) => {
			err += d;
			if (/running until SIGINT/.test(err))
				resolve();
		});
		p.on('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
	});
	const env = {};
	for (const m of fs.readFileSync(path.join(dir, 'env.sh'), 'utf8')
		.matchAll(/^export (\w+)=(.*)$/gm))
		env[m[1]] = m[2];
	assert.equal(await portOpen(Number(new URL(env.CONNECTOR_A_URL).port)), true);
	const code = await new Promise((r) => {
		p.removeAllListeners('exit');
		p.on('exit', (c) => r(c));
		p.kill('SIGTERM');
	});
	assert.equal(code, 143);
	await allClosed(env);
	fs.rmSync(dir, { recursive: true, force: true });
});

test('bad arguments exit 2', async () => {
	for (const args of [['--bogus'], ['--engines', 'maybe'], ['--flavor', 'go']]) {
		const r = await run(args);
		assert.equal(r.code, 2, args.join(' '));
	}
});
