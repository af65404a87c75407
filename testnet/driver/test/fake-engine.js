#!/usr/bin/env node
'use strict';
/*
 * A deliberately small settlement engine in JavaScript, with the command
 * line of `xrpse run`, used to test the demo driver and scripts/demo
 * independently of the C daemon.  It really settles on the ledger
 * stand-in: a hello through the connectors pairs it with its peer; the
 * first settlement opens a 10 XRP payment channel (PaymentChannelCreate,
 * signed with ripple-keypairs); every settlement adds its drops to the
 * cumulative claim, which is signed and sent as a message; a received claim
 * is verified against the channel on the ledger and its increase credited
 * to the connector (Idempotency-Key channel:amount); DELETE /accounts/:id
 * redeems the best claim held (PaymentChannelClaim).  No persistence, no
 * top-ups, no watching: a test double, not an engine.
 *
 * Options it can be told to misbehave with (environment):
 * FAKE_ENGINE_SKIM=N credits N drops less than each claim's increase
 * larger than N.
 */
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const path = require('path');

const NM = path.join(__dirname, '..', '..', 'node_modules');
const codec = require(path.join(NM, 'ripple-binary-codec'));
const keypairs = require(path.join(NM, 'ripple-keypairs'));

if (process.argv[2] !== 'run')
	process.exit(0);
const o = {};
for (let i = 3; i < process.argv.length; i++) {
	const m = process.argv[i].match(/^--([a-z-]+)$/);
	if (m && i + 1 < process.argv.length && !process.argv[i + 1].startsWith('--'))
		o[m[1]] = process.argv[++i];
	else if (m)
		o[m[1]] = true;
}
const seed = fs.readFileSync(o['seed-file'], 'utf8').trim();
const kp = keypairs.deriveKeypair(seed);
const me = keypairs.deriveAddress(kp.publicKey);
const rpcUrl = o['rippled-url'].replace(/^ws/, 'http');
const connector = o['connector-url'];
const [host, port] = o.listen.split(':');
const skim = BigInt(process.env.FAKE_ENGINE_SKIM || 0);
const log = (s) => process.stderr.write(`${new Date().toISOString()} fake-engine ${me}: ${s}\n`);

async function rpc(method, params) {
	const r = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ method, params: [params] }) });
	return (await r.json()).result;
}

/* one transaction at a time, until validated; resolves the tx result */
let txChain = Promise.resolve();
function submit(tx) {
	const run = async () => {
		const info = await rpc('account_info', { account: me, ledger_index: 'current' });
		const cur = await rpc('ledger_current', {});
		Object.assign(tx, { Account: me, Fee: '10', Sequence: info.account_data.Sequence,
				    SigningPubKey: kp.publicKey,
				    LastLedgerSequence: cur.ledger_current_index + 20 });
		tx.TxnSignature = keypairs.sign(codec.encodeForSigning(tx), kp.privateKey);
		const r = await rpc('submit', { tx_blob: codec.encode(tx) });
		const hash = r.tx_json && r.tx_json.hash;
		for (;;) {
			await new Promise((res) => setTimeout(res, 100));
			const t = await rpc('tx', { transaction: hash });
			if (t.validated)
				return t;
		}
	};
	const p = txChain.then(run);
	txChain = p.catch(() => {});
	return p;
}

const accounts = new Map(); /* id -> {peer, peerKey, out: {channel, cum}, in: Map channel -> best} */
const channelInfo = new Map(); /* channel id -> Promise of ledger node */

function send(res, status, body, type = 'application/json') {
	res.writeHead(status, { 'content-type': type });
	res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function message(id, m) {
	for (let i = 0; ; i++) {
		try {
			const r = await fetch(`${connector}/accounts/${id}/messages`, {
				method: 'POST', headers: { 'content-type': 'application/octet-stream' },
				body: Buffer.from(JSON.stringify(m)) });
			const t = await r.text();
			if (r.status < 300 && t)
				return JSON.parse(t);
		} catch (e) { /* retry */ }
		await new Promise((res) => setTimeout(res, Math.min(1000, 50 * (i + 1))));
	}
}

async function pair(id) {
	const r = await message(id, { type: 'hello', address: me, publicKey: kp.publicKey });
	accounts.get(id).peer = r.address;
	log(`paired with ${r.address} on account ${id}`);
}

async function settle(id, drops) {
	const a = accounts.get(id);
	while (!a.peer)
		await new Promise((res) => setTimeout(res, 50));
	if (!a.out.open)
		a.out.open = submit({ TransactionType: 'PaymentChannelCreate', Amount: '10000000',
				      Destination: a.peer, SettleDelay: 86400, PublicKey: kp.publicKey })
			.then((t) => {
				const n = t.meta.AffectedNodes.find((x) => x.CreatedNode &&
					x.CreatedNode.LedgerEntryType === 'PayChannel');
				a.out.channel = n.CreatedNode.LedgerIndex;
				log(`channel ${a.out.channel} opened`);
			});
	await a.out.open;
	a.out.cum += drops;
	const amount = a.out.cum.toString();
	const signature = keypairs.sign(codec.encodeForSigningClaim({ channel: a.out.channel, amount }),
					kp.privateKey);
	await message(id, { type: 'claim', channel: a.out.channel, amount, signature, publicKey: kp.publicKey });
}

async function onClaim(id, m) {
	const a = accounts.get(id);
	if (!channelInfo.has(m.channel))
		channelInfo.set(m.channel, rpc('ledger_entry', { payment_channel: m.channel, ledger_index: 'validated' }));
	const node = (await channelInfo.get(m.channel)).node;
	if (!node || node.Destination !== me || node.PublicKey !== m.publicKey ||
	    BigInt(m.amount) > BigInt(node.Amount) ||
	    !keypairs.verify(codec.encodeForSigningClaim({ channel: m.channel, amount: m.amount }),
			     m.signature, m.publicKey))
		return { type: 'claim_reply', accepted: false };
	const best = a.in.get(m.channel) || { amount: 0n };
	const amount = BigInt(m.amount);
	if (amount <= best.amount)
		return { type: 'claim_reply', accepted: true, duplicate: true };
	a.in.set(m.channel, { amount, signature: m.signature, publicKey: m.publicKey });
	const inc = amount - best.amount > skim ? amount - best.amount - skim : amount - best.amount;
	for (;;) {
		const r = await fetch(`${connector}/accounts/${id}/settlements`, {
			method: 'POST', headers: { 'content-type': 'application/json',
						   'idempotency-key': `${m.channel}:${m.amount}` },
			body: JSON.stringify({ amount: inc.toString(), scale: 6 }) }).catch(() => null);
		if (r && r.status < 300)
			break;
		await new Promise((res) => setTimeout(res, 100));
	}
	return { type: 'claim_reply', accepted: true };
}

async function redeem(id) {
	const a = accounts.get(id);
	for (const [channel, c] of a.in) {
		const t = await submit({ TransactionType: 'PaymentChannelClaim', Channel: channel,
					 Balance: c.amount.toString(), Amount: c.amount.toString(),
					 Signature: c.signature, PublicKey: c.publicKey });
		log(`redeemed ${c.amount} on ${channel}: ${t.meta.TransactionResult}`);
	}
}

const srv = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (d) => chunks.push(d));
	req.on('end', async () => {
		const body = Buffer.concat(chunks).toString();
		let m;
		try {
			if (req.method === 'POST' && req.url === '/accounts') {
				const id = (JSON.parse(body || '{}').id) || crypto.randomUUID();
				if (!accounts.has(id)) {
					accounts.set(id, { out: { cum: 0n }, in: new Map() });
					pair(id);
				}
				return send(res, 201, { id });
			}
			if ((m = req.url.match(/^\/accounts\/([^/]+)$/)) && req.method === 'DELETE') {
				if (!accounts.has(m[1]))
					return send(res, 404, { title: 'no such account' });
				redeem(m[1]).catch((e) => log(`redeem: ${e.message}`));
				res.writeHead(204);
				return res.end();
			}
			if ((m = req.url.match(/^\/accounts\/([^/]+)\/settlements$/))) {
				if (!accounts.has(m[1]))
					return send(res, 404, { title: 'no such account' });
				const q = JSON.parse(body);
				const a = accounts.get(m[1]);
				const key = req.headers['idempotency-key'];
				a.keys = a.keys || new Set();
				if (key && a.keys.has(key))
					return send(res, 201, { amount: q.amount, scale: q.scale });
				a.keys.add(key);
				const scale = Number(q.scale);
				const nano = BigInt(q.amount) * 10n ** BigInt(9 - scale) + (a.left || 0n);
				a.left = nano % 1000n;
				const drops = nano / 1000n;
				if (drops > 0n)
					settle(m[1], drops).catch((e) => log(`settle: ${e.message}`));
				return send(res, 201, { amount: q.amount, scale: q.scale });
			}
			if ((m = req.url.match(/^\/accounts\/([^/]+)\/messages$/))) {
				if (!accounts.has(m[1]))
					return send(res, 404, { title: 'no such account' });
				const j = JSON.parse(body);
				let reply;
				if (j.type === 'hello') {
					accounts.get(m[1]).peer = j.address;
					reply = { type: 'hello', address: me, publicKey: kp.publicKey };
				} else if (j.type === 'claim') {
					reply = await onClaim(m[1], j);
				} else {
					return send(res, 400, { title: 'unknown message type' });
				}
				return send(res, 200, JSON.stringify(reply), 'application/octet-stream');
			}
			send(res, 404, { title: 'not found' });
		} catch (e) {
			log(`${req.method} ${req.url}: ${e.stack}`);
			send(res, 500, { title: e.message });
		}
	});
});
srv.listen(Number(port), host, () => log(`listening on ${o.listen}`));
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
process.on('SIGINT', () => srv.close(() => process.exit(0)));
