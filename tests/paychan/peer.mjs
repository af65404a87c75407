// A scripted hostile peer for the end-to-end suites of tests/paychan
// (hostile*.test.mjs, run by run-e2e.sh with XRPSE_E2E_TEST inside
// testnet/scripts/local-net.sh): the attacker is the test script, talking
// to bob's engine as its peer's engine would (through connector B's
// account "evil", whose messages it posts straight to the engine's
// POST /accounts/:id/messages as the connector would relay them), and
// using the ledger stand-in with its own wallet, signed by the
// independent XRPL libraries.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, until as untilEvery } from './wait.mjs';

export const until = (what, fn, ms = 30000) => untilEvery(what, fn, ms, 100);
const require = createRequire(import.meta.url);
const nm = path.join(process.env.XRPSE_SOURCE_DIR || process.cwd(),
		     'testnet/node_modules');
const WebSocket = require(path.join(nm, 'ws'));
export const codec = require(path.join(nm, 'ripple-binary-codec'));
export const keypairs = require(path.join(nm, 'ripple-keypairs'));

export const env = (k) => {
	const v = process.env[k];
	if (!v)
		throw new Error(`${k} is not set (run through run-e2e.sh)`);
	return v;
};


export function rpc(req) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(env('LEDGER_WS_URL'));
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

export async function json(url, body) {
	const r = await fetch(url, {
		method: body === undefined ? 'GET' : 'POST',
		headers: { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const t = await r.text();
	if (r.status >= 300)
		throw new Error(`${url}: ${r.status} ${t}`);
	return JSON.parse(t);
}

// The attacker: a fresh wallet from the faucet, signing with the
// independent XRPL libraries.
export async function attacker() {
	const f = await json(env('FAUCET_URL'), { xrpAmount: '100' });
	const seed = f.seed || f.account.secret;
	const kp = keypairs.deriveKeypair(seed);
	const address = keypairs.deriveAddress(kp.publicKey);
	assert.equal(address, f.account.classicAddress || f.account.address);
	await until('attacker funded', async () => {
		const r = await rpc({ command: 'account_info', account: address,
				      ledger_index: 'validated' });
		return { ok: !!r.result && !!r.result.account_data, r };
	});
	return { address, ...kp };
}

// Signs tx as w and submits it; resolves the preliminary result.
export async function submit(w, tx) {
	const info = await rpc({ command: 'account_info', account: w.address,
				 ledger_index: 'current' });
	const t = {
		Fee: '12', Flags: 0, ...tx, Account: w.address,
		Sequence: info.result.account_data.Sequence,
		LastLedgerSequence: info.result.ledger_current_index + 20,
		SigningPubKey: w.publicKey,
	};
	t.TxnSignature = keypairs.sign(codec.encodeForSigning(t), w.privateKey);
	const r = await rpc({ command: 'submit', tx_blob: codec.encode(t) });
	assert.equal(r.result.engine_result, 'tesSUCCESS', JSON.stringify(r));
	return r.result;
}

export async function channels(from, to) {
	const r = await rpc({ command: 'account_channels', account: from,
			      destination_account: to,
			      ledger_index: 'validated' });
	return r.result ? r.result.channels : [];
}

// Posts a peer message to bob's engine for `account`, as connector B
// relays one from the peer.
export async function toEngine(account, msg) {
	const r = await fetch(`${env('ENGINE_B_URL')}/accounts/${account}/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/octet-stream' },
		body: JSON.stringify(msg),
	});
	return { status: r.status, body: await r.text() };
}

// A claim until it is not answered 503 (the engine looks the channel up).
export async function claim(account, channel, drops, w) {
	const msg = {
		type: 'claim', channel, amount: drops.toString(),
		signature: keypairs.sign(codec.encodeForSigningClaim({
			channel, amount: drops.toString() }), w.privateKey),
	};
	for (let i = 0; i < 100; i++) {
		const r = await toEngine(account, msg);
		if (r.status !== 503)
			return r;
		await sleep(100);
	}
	throw new Error('claim still answered 503');
}


// Bob's engine log so far.
export function bobLog() {
	return fs.readFileSync(path.join(env('XRPSE_NET_DIR'),
					 'engine-bob.log'), 'utf8');
}

// An attacker paired with bob's engine as connector B's account `name`:
// returns {evil (its wallet), id (the account id on bob's engine)}.
export async function pairedAttacker(name) {
	assert.equal(env('ENGINES_RUNNING'), '1');
	const evil = await attacker();
	const acct = await json(`${env('CONNECTOR_B_CONTROL')}/accounts`,
				{ name, peer: name });
	const hello = await toEngine(acct.id, {
		type: 'hello', version: 1, address: evil.address,
		key_type: 'ed25519', min_settle_delay: 259200,
	});
	assert.equal(hello.status, 201, hello.body);
	assert.equal(JSON.parse(hello.body).type, 'hello_reply');
	return { evil, id: acct.id };
}

// A new channel of the attacker's to bob (Amount `amount` drops,
// SettleDelay delay s), on the ledger and announced with channel_update:
// returns its id.
export async function openChannel(evil, id, delay, amount = '10000000') {
	const bob = env('BOB_ADDRESS');
	const before = new Set((await channels(evil.address, bob))
		.map((c) => c.channel_id));
	await submit(evil, {
		TransactionType: 'PaymentChannelCreate',
		Destination: bob, Amount: amount,
		SettleDelay: delay, PublicKey: evil.publicKey,
	});
	const chan = (await until('the channel on the ledger', async () => {
		const c = (await channels(evil.address, bob))
			.filter((x) => !before.has(x.channel_id));
		return { ok: c.length === 1, c };
	})).c[0].channel_id;
	// A peer naming many new channels at once meets the engine's lookup
	// budget (a retryable 503); an honest engine's outbox retries.
	let up;
	for (let i = 0; i < 60; i++) {
		up = await toEngine(id, { type: 'channel_update', channel: chan });
		if (up.status !== 503)
			break;
		await new Promise((r) => setTimeout(r, 500));
	}
	assert.equal(up.status, 201, up.body);
	return chan;
}

// Bob's last_claim questions as connector B received them.
export async function lastClaimAsks() {
	const log = await json(`${env('CONNECTOR_B_CONTROL')}/log?route=messages`);
	return log.filter((e) => e.dir === 'in' &&
		String(e.body).includes('"last_claim"')).length;
}

// Bob pays alice `amount` drops through connector B, waiting until done.
export async function bobSettles(amount) {
	const r = await json(`${env('CONNECTOR_B_CONTROL')}/accounts/a/settle`,
			     { amount, wait: true });
	if (r.settlement.state !== 'done')
		throw new Error(`settlement: ${JSON.stringify(r.settlement)}`);
}

// Bob's one channel to alice (account_channels entry), once it is open.
export async function bobsChannel() {
	const bob = env('BOB_ADDRESS'), alice = env('ALICE_ADDRESS');
	return (await until('bob\'s channel to alice', async () => {
		const c = await channels(bob, alice);
		return { ok: c.length === 1, c };
	})).c[0];
}
