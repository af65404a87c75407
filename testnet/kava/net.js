'use strict';
/*
 * Helpers of the Kava plugin scenario: start the ledger stand-in and a
 * throwaway redis-server on free loopback ports, fund accounts through the
 * faucet, and ask the ledger over its JSON-RPC port.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freePorts } = require('../scripts/free-ports');

const testnet = path.resolve(__dirname, '..');

/* Resolves once FILE (the child's log) has a line matching RE; the match. */
function waitLine(child, file, re, ms = 20000) {
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const poll = () => {
			let text = '';
			try {
				text = fs.readFileSync(file, 'utf8');
			} catch (e) {
				/* not yet written */
			}
			const m = re.exec(text);
			if (m) return resolve(m);
			if (child.exitCode !== null || child.signalCode !== null)
				return reject(new Error(`${path.basename(file)}: process exited early:\n${text}`));
			if (Date.now() - t0 > ms) return reject(new Error(`${path.basename(file)}: timed out waiting for ${re}`));
			setTimeout(poll, 50);
		};
		poll();
	});
}

function startLogged(dir, name, cmd, args) {
	const log = path.join(dir, `${name}.log`);
	const fd = fs.openSync(log, 'w');
	const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	return { child, log };
}

/* Stops a child: TERM, then KILL after 5 s. */
function stop(child) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const t = setTimeout(() => child.kill('SIGKILL'), 5000);
		child.once('exit', () => {
			clearTimeout(t);
			resolve();
		});
		child.kill('SIGTERM');
	});
}

/* The ledger stand-in, as testnet/scripts/local-net.sh starts it. */
async function startLedger(dir, { closeMs = 1000 } = {}) {
	const { child, log } = startLogged(dir, 'ledger', process.execPath, [
		path.join(testnet, 'ledger', 'server.js'), '--port', '0', '--faucet-port', '0',
		'--network-id', '1', '--close-ms', String(closeMs)]);
	const m = await waitLine(child, log, /listening ws=(\d+) faucet=(\d+)/);
	return {
		child,
		wsUrl: `ws://127.0.0.1:${m[1]}`,
		httpUrl: `http://127.0.0.1:${m[1]}`,
		faucetUrl: `http://127.0.0.1:${m[2]}/accounts`,
	};
}

/* A redis-server on a free loopback port, with no persistence, in DIR. */
async function startRedis(dir) {
	const [port] = await freePorts(1);
	const data = path.join(dir, 'redis');
	fs.mkdirSync(data, { recursive: true });
	const { child, log } = startLogged(dir, 'redis', 'redis-server', [
		'--port', String(port), '--bind', '127.0.0.1', '--dir', data, '--save', '',
		'--appendonly', 'no', '--protected-mode', 'yes']);
	await waitLine(child, log, /Ready to accept connections/);
	return { child, port };
}

async function rpc(ledger, method, params = {}) {
	const r = await fetch(ledger.httpUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ method, params: [params] }),
	});
	const body = await r.json();
	return body.result;
}

/* Funds ADDRESS with XRP whole XRP and waits until it is validated. */
async function fund(ledger, address, xrp) {
	const r = await fetch(ledger.faucetUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ destination: address, xrpAmount: String(xrp) }),
	});
	if (r.status !== 200) throw new Error(`faucet: ${r.status} ${await r.text()}`);
	for (let i = 0; i < 200; i++) {
		const info = await rpc(ledger, 'account_info', { account: address, ledger_index: 'validated' });
		if (info.account_data) return;
		await new Promise((res) => setTimeout(res, 100));
	}
	throw new Error(`faucet: ${address} not validated`);
}

/* Every channel ACCOUNT owns, from the validated ledger. */
async function accountChannels(ledger, account) {
	const r = await rpc(ledger, 'account_channels', { account, ledger_index: 'validated', limit: 400 });
	if (r.status !== 'success') throw new Error(`account_channels: ${r.error}`);
	return r.channels;
}

/*
 * Runs a scenario's BODY(dir, ledger, redis, children) on a fresh ledger
 * (and redis-server when o.store is "redis") in o.out or a temporary
 * directory; prints "NAME: OK: <what BODY resolved to>" or the failure,
 * stops the children BODY pushed, redis and the ledger, runs AFTER(dir)
 * (a failure message or null), removes a temporary directory on success
 * unless o.keep, and exits 0 or 1.
 */
async function runScenario(name, o, body, after = () => null) {
	const dir = o.out ? path.resolve(o.out) : fs.mkdtempSync(path.join(os.tmpdir(), `xrpse-${name}.`));
	fs.mkdirSync(dir, { recursive: true });
	const children = [];
	let ledger = null;
	let redis = null;
	let ok = false;
	try {
		ledger = await startLedger(dir);
		if (o.store === 'redis') redis = await startRedis(dir);
		else console.error(`${name}: file store (no redis)`);
		console.log(`${name}: OK: ${await body(dir, ledger, redis, children)}`);
		ok = true;
	} catch (e) {
		console.error(`${name}: FAILED: ${e.stack || e}`);
	} finally {
		for (const c of children.reverse()) await stop(c);
		await stop(redis && redis.child);
		await stop(ledger && ledger.child);
	}
	const err = ok ? after(dir) : null;
	if (err) {
		console.error(`${name}: FAILED: ${err}`);
		ok = false;
	}
	if (ok && !o.out && !o.keep) fs.rmSync(dir, { recursive: true, force: true });
	else console.error(`${name}: files in ${dir}`);
	process.exit(ok ? 0 : 1);
}

module.exports = { testnet, startLedger, startRedis, startLogged, stop, rpc, fund, accountChannels, waitLine, runScenario };
