#!/usr/bin/env node
'use strict';
/*
 * Makes funded XRP Ledger accounts for a pair of xrpse engines and writes
 * their configuration:
 *
 *   node testnet/scripts/setup-testnet.js --out DIR
 *        [--rippled-url wss://s.altnet.rippletest.net:51233]
 *        [--faucet-url https://faucet.altnet.rippletest.net/accounts]
 *        [--network-id 1] [--names alice,bob] [--xrp-amount 1000]
 *        [--key-type secp256k1|ed25519[,...]] [--listen 127.0.0.1:3000,127.0.0.1:3001]
 *        [--connector-urls http://127.0.0.1:7771,http://127.0.0.1:8771]
 *        [--timeout-ms 20000] [--poll-ms 1000] [--force]
 *
 * Steps: (1) server_info over the WebSocket and the same network check the
 * engine does at start (an absent network_id counts as 0; it must equal
 * --network-id); (2) per name, a fresh seed generated HERE with
 * ripple-keypairs (the seed never leaves the machine) and a faucet
 * `POST /accounts {"destination", "xrpAmount", "userAgent"}`; (3) poll
 * account_info on the validated ledger until the account exists; (4) write
 * NAME.seed (mode 0600), NAME.env (XRPSE_* variables), NAME.args (`xrpse
 * run` flags, one per line) and accounts.json (addresses, no secrets).
 * The defaults are the public XRPL testnet; the tests run the same script
 * against the local ledger stand-in and its faucet look-alike.
 * Prints a JSON summary on stdout; exits 1 on any failure, 2 on bad usage.
 */

const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');
const keypairs = require('ripple-keypairs');

const DEFAULTS = {
	'rippled-url': 'wss://s.altnet.rippletest.net:51233',
	'faucet-url': 'https://faucet.altnet.rippletest.net/accounts',
	'network-id': '1',
	names: 'alice,bob',
	'xrp-amount': '1000',
	'key-type': 'secp256k1',
	listen: '127.0.0.1:3000,127.0.0.1:3001',
	'connector-urls': 'http://127.0.0.1:7771,http://127.0.0.1:8771',
	'timeout-ms': '20000',
	'poll-ms': '1000',
};
const USAGE = `usage: node testnet/scripts/setup-testnet.js --out DIR [--rippled-url URL]
       [--faucet-url URL] [--network-id N] [--names a,b] [--xrp-amount XRP]
       [--key-type secp256k1|ed25519[,...]] [--listen HOST:PORT,HOST:PORT]
       [--connector-urls URL,URL] [--timeout-ms MS] [--poll-ms MS] [--force]`;

class UsageError extends Error {}

function parseArgs(argv) {
	const o = Object.assign({}, DEFAULTS);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-h' || a === '--help') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		}
		if (a === '--force') {
			o.force = true;
			continue;
		}
		const m = a.match(/^--([a-z-]+)(?:=(.*))?$/);
		if (!m || !(m[1] in DEFAULTS || m[1] === 'out'))
			throw new UsageError(`unknown argument ${a}`);
		let v = m[2];
		if (v === undefined) {
			if (i + 1 >= argv.length)
				throw new UsageError(`${a} needs a value`);
			v = argv[++i];
		}
		o[m[1]] = v;
	}
	if (!o.out)
		throw new UsageError('--out DIR is required');
	for (const k of ['network-id', 'xrp-amount', 'timeout-ms', 'poll-ms'])
		if (!/^[0-9]+$/.test(o[k]))
			throw new UsageError(`--${k} must be a non-negative integer`);
	o.networkId = Number(o['network-id']);
	if (o.networkId > 0xffffffff)
		throw new UsageError('--network-id is out of range');
	o.names = o.names.split(',');
	o.listen = o.listen.split(',');
	o.connectorUrls = o['connector-urls'].split(',');
	if (o.names.some((n) => !/^[a-z0-9_-]{1,32}$/.test(n)) ||
	    new Set(o.names).size !== o.names.length)
		throw new UsageError('--names: distinct [a-z0-9_-] names');
	if (o.listen.length !== o.names.length ||
	    o.connectorUrls.length !== o.names.length)
		throw new UsageError('--listen and --connector-urls need one entry per name');
	/* one key type for all, or one per name */
	o.keyTypes = o['key-type'].split(',');
	if (o.keyTypes.length === 1)
		o.keyTypes = o.names.map(() => o.keyTypes[0]);
	if (o.keyTypes.length !== o.names.length ||
	    o.keyTypes.some((k) => !['secp256k1', 'ed25519'].includes(k)))
		throw new UsageError('--key-type is secp256k1 or ed25519 (or one per name, comma-separated)');
	if (!/^wss?:\/\//.test(o['rippled-url']))
		throw new UsageError('--rippled-url must be ws:// or wss://');
	if (!/^https?:\/\//.test(o['faucet-url']))
		throw new UsageError('--faucet-url must be http:// or https://');
	return o;
}

function isLoopback(url) {
	const h = new URL(url).hostname;
	return h === 'localhost' || h === '[::1]' || h.startsWith('127.');
}

/* A minimal rippled WebSocket client: request(cmd) resolves the response
 * envelope's `result` or rejects with rippled's error. */
async function connect(url, timeoutMs) {
	const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
	});
	let id = 0;
	const pending = new Map();
	ws.on('message', (data) => {
		let m;
		try {
			m = JSON.parse(data.toString());
		} catch (e) {
			return;
		}
		const p = pending.get(m.id);
		if (!p)
			return;
		pending.delete(m.id);
		clearTimeout(p.timer);
		if (m.status === 'success')
			p.resolve(m.result);
		else
			p.reject(Object.assign(new Error(
				`${p.cmd}: ${m.error || 'error'}${m.error_message ? ': ' + m.error_message : ''}`),
				{ rippled: m.error }));
	});
	ws.on('close', () => {
		for (const p of pending.values()) {
			clearTimeout(p.timer);
			p.reject(new Error(`${p.cmd}: connection closed`));
		}
		pending.clear();
	});
	return {
		request(cmd, params = {}) {
			return new Promise((resolve, reject) => {
				const rid = ++id;
				const timer = setTimeout(() => {
					pending.delete(rid);
					reject(new Error(`${cmd}: no answer in ${timeoutMs} ms`));
				}, timeoutMs);
				pending.set(rid, { resolve, reject, timer, cmd });
				ws.send(JSON.stringify(Object.assign({ id: rid, command: cmd },
								     params)));
			});
		},
		close() {
			ws.close();
		},
	};
}

/* The engine's check (ledger/net/client.c): server_info's network_id,
 * absent = 0, must equal the configured id. Returns the served id. */
async function checkNetwork(rpc, expected) {
	const r = await rpc.request('server_info');
	const info = r && r.info;
	if (!info || typeof info !== 'object')
		throw new Error('server_info: no info object');
	let nid = 0;
	if (info.network_id !== undefined) {
		if (!Number.isInteger(info.network_id) || info.network_id < 0 ||
		    info.network_id > 0xffffffff)
			throw new Error('server_info: malformed network_id');
		nid = info.network_id;
	}
	if (nid !== expected)
		throw new Error(`rippled serves network id ${nid} but --network-id is ${expected}`);
	return { networkId: nid, buildVersion: info.build_version,
		 validatedLedger: info.validated_ledger &&
				  info.validated_ledger.seq };
}

/* A fresh wallet from local randomness. */
function makeWallet(keyType) {
	const seed = keypairs.generateSeed({
		algorithm: keyType === 'ed25519' ? 'ed25519' : 'ecdsa-secp256k1' });
	const kp = keypairs.deriveKeypair(seed);
	return { seed, address: keypairs.deriveAddress(kp.publicKey),
		 keyType: kp.publicKey.startsWith('ED') ? 'ed25519' : 'secp256k1' };
}

/* POST to the faucet; resolves its JSON answer or throws with its error. */
async function fund(faucetUrl, address, xrp, timeoutMs) {
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), timeoutMs);
	let r;
	try {
		r = await fetch(faucetUrl, {
			method: 'POST', signal: ctl.signal,
			headers: { 'content-type': 'application/json',
				   accept: 'application/json' },
			body: JSON.stringify({ destination: address,
					       xrpAmount: xrp,
					       userAgent: 'xrpse-setup-testnet' }),
		});
	} catch (e) {
		throw new Error(`faucet ${faucetUrl}: ${e.cause ? e.cause.message || e.cause.code : e.message}`);
	} finally {
		clearTimeout(timer);
	}
	const text = await r.text();
	let j = null;
	try {
		j = JSON.parse(text);
	} catch (e) { /* reported below */ }
	if (r.status !== 200 || !j)
		throw new Error(`faucet answered HTTP ${r.status}: ${text.slice(0, 200)}`);
	const acct = j.account || {};
	const got = acct.classicAddress || acct.address;
	if (got !== address)
		throw new Error(`faucet funded ${got}, not ${address}`);
	return j;
}

/* Polls account_info on the validated ledger until the account exists;
 * resolves its Balance in drops (string). */
async function waitFunded(rpc, address, timeoutMs, pollMs) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		try {
			const r = await rpc.request('account_info', {
				account: address, ledger_index: 'validated' });
			if (r.account_data && r.account_data.Balance !== undefined)
				return r.account_data.Balance;
		} catch (e) {
			if (e.rippled !== 'actNotFound')
				throw e;
		}
		if (Date.now() + pollMs > end)
			throw new Error(`${address} not funded in a validated ledger after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, pollMs));
	}
}

function writeFile(file, text, mode, force) {
	if (!force && fs.existsSync(file))
		throw new Error(`${file} exists (use --force to overwrite)`);
	fs.writeFileSync(file, text, { mode });
	fs.chmodSync(file, mode);
}

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		if (!(e instanceof UsageError))
			throw e;
		process.stderr.write(`setup-testnet: ${e.message}\n${USAGE}\n`);
		process.exit(2);
	}
	if (o.networkId === 0 && !isLoopback(o['rippled-url']))
		throw new Error('network id 0 is mainnet, which has no faucet; refusing');
	const timeoutMs = Number(o['timeout-ms']);
	const out = path.resolve(o.out);
	fs.mkdirSync(out, { recursive: true, mode: 0o700 });

	const rpc = await connect(o['rippled-url'], timeoutMs);
	try {
		const net = await checkNetwork(rpc, o.networkId);
		process.stderr.write(`setup-testnet: ${o['rippled-url']} serves network id ${net.networkId}\n`);
		const engines = [];
		for (let i = 0; i < o.names.length; i++) {
			const name = o.names[i];
			const w = makeWallet(o.keyTypes[i]);
			const f = await fund(o['faucet-url'], w.address,
					     o['xrp-amount'], timeoutMs);
			process.stderr.write(`setup-testnet: ${name}: faucet funded ${w.address} (tx ${f.transactionHash || '?'})\n`);
			const balance = await waitFunded(rpc, w.address, timeoutMs,
							 Number(o['poll-ms']));
			const files = {
				seed: path.join(out, `${name}.seed`),
				env: path.join(out, `${name}.env`),
				args: path.join(out, `${name}.args`),
				db: path.join(out, `${name}.db`),
			};
			const cfg = {
				listen: o.listen[i],
				'connector-url': o.connectorUrls[i],
				'rippled-url': o['rippled-url'],
				'seed-file': files.seed,
				db: files.db,
				'network-id': String(o.networkId),
				'key-type': w.keyType,
			};
			writeFile(files.seed, w.seed + '\n', 0o600, o.force);
			writeFile(files.env, Object.entries(cfg).map(([k, v]) =>
				`XRPSE_${k.toUpperCase().replace(/-/g, '_')}=${v}\n`).join(''),
				  0o644, o.force);
			writeFile(files.args, Object.entries(cfg).map(([k, v]) =>
				`--${k} ${v}\n`).join(''), 0o644, o.force);
			engines.push({ name, address: w.address, keyType: w.keyType,
				       balanceDrops: balance,
				       faucetTx: f.transactionHash || null,
				       seedFile: files.seed, envFile: files.env,
				       argsFile: files.args, config: cfg });
		}
		const summary = { networkId: net.networkId,
				  rippledUrl: o['rippled-url'],
				  faucetUrl: o['faucet-url'], engines };
		writeFile(path.join(out, 'accounts.json'),
			  JSON.stringify(summary, null, 2) + '\n', 0o644, o.force);
		process.stdout.write(JSON.stringify(summary) + '\n');
	} finally {
		rpc.close();
	}
}

main().catch((e) => {
	process.stderr.write(`setup-testnet: ${e.message}\n`);
	process.exit(1);
});
