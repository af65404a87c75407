'use strict';
// The flood benchmark (scripts/bench-flood): a hostile peer floods bob's
// engine with peer messages naming random channel ids while the honest
// link (alice <-> bob through the two connector stand-ins) settles at a
// steady rate, driven by driver.js.  It measures what the defence of
// docs/risks.md#random-channel-id-lookup-storms promises: the honest
// settlements' latency during the flood (the driver's percentiles:
// connector settlement request -> peer connector credit, which includes
// the claim's answer), bob's CPU in the 10 s after the flood, and bob's
// RSS before and after.
//
// The hostile peer is connector B's account "flood", paired with bob's
// engine by a hello from a fresh faucet wallet; its messages go straight
// to bob's POST /accounts/:id/messages (as a connector relays them, only
// faster than one would), `concurrency` in flight.
//
// Runs inside testnet/scripts/local-net.sh (its environment); usage:
//   node flood.js [--messages N (100000)] [--concurrency C (16)]
//                 [--start S (5): seconds of honest traffic first]
//                 -- DRIVER_ARGS...  (given to driver.js, e.g. --bench
//                 --rate 100 --duration 60)
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const nm = path.join(__dirname, '..', 'node_modules');
const keypairs = require(path.join(nm, 'ripple-keypairs'));

function env(k) {
	const v = process.env[k];
	if (!v)
		throw new Error(`${k} is not set (run inside local-net.sh)`);
	return v;
}

function parse(argv) {
	const o = { messages: 100000, concurrency: 16, start: 5, driver: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--') {
			o.driver = argv.slice(i + 1);
			break;
		}
		const k = a.replace(/^--/, '');
		if (!(k in o) || i + 1 >= argv.length)
			throw new Error(`flood: unknown or incomplete argument ${a}`);
		o[k] = Number(argv[++i]);
		if (!Number.isFinite(o[k]) || o[k] < 0)
			throw new Error(`flood: bad value for ${a}`);
	}
	return o;
}

async function post(url, body, ctype = 'application/json') {
	const r = await fetch(url, { method: 'POST', headers: { 'content-type': ctype },
				     body: typeof body === 'string' ? body : JSON.stringify(body) });
	return { status: r.status, text: await r.text() };
}

// Process CPU seconds (user + system) and RSS (kB) of pid, from /proc.
function usage(pid) {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const ticks = Number(f[11]) + Number(f[12]);
	const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
	return { cpu: ticks / 100, rss };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function pairHostile() {
	const f = JSON.parse((await post(env('FAUCET_URL'), { xrpAmount: '100' })).text);
	const seed = f.seed || f.account.secret;
	const kp = keypairs.deriveKeypair(seed);
	const address = keypairs.deriveAddress(kp.publicKey);
	const acct = JSON.parse((await post(`${env('CONNECTOR_B_CONTROL')}/accounts`,
					    { name: 'flood', peer: 'flood' })).text);
	const url = `${env('ENGINE_B_URL')}/accounts/${acct.id}/messages`;
	for (let i = 0; i < 100; i++) {
		const r = await post(url, { type: 'hello', version: 1, address, key_type: 'ed25519',
					    min_settle_delay: 259200 }, 'application/octet-stream');
		if (r.status === 201)
			return url;
		await sleep(200);
	}
	throw new Error('flood: the hostile peer could not pair with bob');
}

async function flood(url, o) {
	const counts = {};
	let sent = 0;
	const t0 = Date.now();
	async function worker() {
		while (sent < o.messages) {
			const i = sent++;
			const channel = crypto.randomBytes(32).toString('hex').toUpperCase();
			const msg = i % 2 ? { type: 'channel_update', version: 1, channel }
				: { type: 'claim', version: 1, channel, amount: '1',
				    signature: crypto.randomBytes(64).toString('hex').toUpperCase() };
			let st;
			try {
				st = (await post(url, msg, 'application/octet-stream')).status;
			} catch (e) {
				st = 'error';
			}
			counts[st] = (counts[st] || 0) + 1;
		}
	}
	await Promise.all(Array.from({ length: o.concurrency }, worker));
	return { secs: (Date.now() - t0) / 1000, counts };
}

async function main() {
	const o = parse(process.argv.slice(2));
	const pid = Number(env('ENGINE_B_PID'));
	const url = await pairHostile();
	const driver = spawn(process.execPath, [path.join(__dirname, 'driver.js'), ...o.driver],
			     { stdio: 'inherit', env: process.env });
	const done = new Promise((resolve) => driver.on('exit', (code) => resolve(code)));
	await sleep(o.start * 1000);
	const before = usage(pid);
	const f = await flood(url, o);
	const after = usage(pid);
	await sleep(10000);
	const idle = usage(pid);
	const code = await done;
	const rate = Math.round(o.messages / f.secs);
	console.log(`flood: ${o.messages} messages naming random channel ids in ${f.secs.toFixed(1)} s ` +
		    `(${rate}/s, ${o.concurrency} in flight), answers ${JSON.stringify(f.counts)}`);
	console.log(`flood: bob's CPU ${(100 * (after.cpu - before.cpu) / f.secs).toFixed(0)}% during the flood, ` +
		    `${(100 * (idle.cpu - after.cpu) / 10).toFixed(1)}% in the 10 s after it`);
	console.log(`flood: bob's RSS ${(before.rss / 1024).toFixed(1)} MB before, ` +
		    `${(after.rss / 1024).toFixed(1)} MB after, ${(idle.rss / 1024).toFixed(1)} MB 10 s later`);
	process.exit(code);
}

main().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
