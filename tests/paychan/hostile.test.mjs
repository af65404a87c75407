// A hostile peer against a real engine: the SettleDelay wrap attack.
// Run by tests/paychan/run-e2e.sh (XRPSE_E2E_TEST) inside
// testnet/scripts/local-net.sh: the ledger stand-in, two connector
// stand-ins and two xrpse daemons; the attacker is this script, talking to
// bob's engine as its peer's engine would (through connector B's account
// "evil", whose messages it posts straight to the engine's
// POST /accounts/:id/messages as the connector would relay them).
//
// rippled sets an owner close's Expiration to parentCloseTime +
// SettleDelay in 32-bit unsigned arithmetic (PayChanClaim::doApply,
// NetClock::rep is std::uint32_t).  With SettleDelay 4,000,000,000 the sum
// wraps into the past.  The attacker opens a channel to bob with that
// SettleDelay, pairs, sends channel_update and one claim for the whole
// Amount: if bob's engine accepted it, bob's connector would be credited
// the Amount, and the attacker's owner tfClose plus any transaction
// touching the channel would close it at once with nothing redeemed, the
// Amount back with the attacker.  The engine must refuse the claim
// (settle_delay) and credit nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, until as untilEvery } from './wait.mjs';

const until = (what, fn, ms = 30000) => untilEvery(what, fn, ms, 100);
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const nm = path.join(process.env.XRPSE_SOURCE_DIR || process.cwd(),
		     'testnet/node_modules');
const WebSocket = require(path.join(nm, 'ws'));
const codec = require(path.join(nm, 'ripple-binary-codec'));
const keypairs = require(path.join(nm, 'ripple-keypairs'));

const env = (k) => {
	const v = process.env[k];
	if (!v)
		throw new Error(`${k} is not set (run through run-e2e.sh)`);
	return v;
};


function rpc(req) {
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

async function json(url, body) {
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
async function attacker() {
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
async function submit(w, tx) {
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

async function channels(from, to) {
	const r = await rpc({ command: 'account_channels', account: from,
			      destination_account: to,
			      ledger_index: 'validated' });
	return r.result ? r.result.channels : [];
}

// Posts a peer message to bob's engine for `account`, as connector B
// relays one from the peer.
async function toEngine(account, msg) {
	const r = await fetch(`${env('ENGINE_B_URL')}/accounts/${account}/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/octet-stream' },
		body: JSON.stringify(msg),
	});
	return { status: r.status, body: await r.text() };
}

// A claim until it is not answered 503 (the engine looks the channel up).
async function claim(account, channel, drops, w) {
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

test('a SettleDelay that wraps the ledger\'s 32-bit time is refused and credits nothing',
	async () => {
		const B = env('CONNECTOR_B_CONTROL');
		const bob = env('BOB_ADDRESS');
		assert.equal(env('ENGINES_RUNNING'), '1');
		const evil = await attacker();
		const AMOUNT = 10000000n;
		const DELAY = 4000000000;

		// Connector B gets a peer account "evil" (created on bob's
		// engine as the rs connector does), and the attacker pairs.
		const acct = await json(`${B}/accounts`,
					{ name: 'evil', peer: 'evil' });
		const id = acct.id;
		const hello = await toEngine(id, {
			type: 'hello', version: 1, address: evil.address,
			key_type: 'ed25519', min_settle_delay: 259200,
		});
		assert.equal(hello.status, 201, hello.body);
		assert.equal(JSON.parse(hello.body).type, 'hello_reply');

		// The channel to bob, SettleDelay 4,000,000,000 s.
		await submit(evil, {
			TransactionType: 'PaymentChannelCreate',
			Destination: bob, Amount: AMOUNT.toString(),
			SettleDelay: DELAY, PublicKey: evil.publicKey,
		});
		const [ch] = (await until('the channel on the ledger',
			async () => {
				const c = await channels(evil.address, bob);
				return { ok: c.length === 1, c };
			})).c;
		assert.equal(ch.settle_delay, DELAY);
		const chan = ch.channel_id;

		// channel_update, then one claim for the whole Amount.
		const up = await toEngine(id, { type: 'channel_update',
						channel: chan });
		assert.equal(up.status, 201, up.body);
		const r = await claim(id, chan, AMOUNT, evil);
		assert.ok(r.status >= 200 && r.status < 300, r.body);
		const reply = JSON.parse(r.body);
		assert.equal(reply.type, 'claim_reply');
		assert.equal(reply.accepted, false,
			     `the engine accepted the claim: ${r.body}`);
		assert.equal(reply.code, 'settle_delay');
		assert.match(reply.message, /settle delay above our maximum/);
		assert.equal(reply.amount, '0');

		// The rest of the attack, on the ledger: the owner closes, the
		// Expiration wraps into the past, the next transaction touching
		// the channel deletes it with nothing redeemed.
		const before = await rpc({ command: 'account_info',
					   account: evil.address,
					   ledger_index: 'validated' });
		await submit(evil, { TransactionType: 'PaymentChannelClaim',
				     Channel: chan, Flags: 0x00020000 });
		const closing = (await until('Expiration on the ledger',
			async () => {
				const [c] = await channels(evil.address, bob);
				return { ok: c && c.expiration !== undefined, c };
			})).c;
		const now = (await rpc({ command: 'ledger',
					 ledger_index: 'validated' }))
			.result.ledger.close_time;
		assert.ok(closing.expiration <= now,
			  `Expiration ${closing.expiration} not in the past (${now})`);
		await submit(evil, { TransactionType: 'PaymentChannelFund',
				     Channel: chan, Amount: '1' });
		await until('the channel gone', async () => {
			const c = await channels(evil.address, bob);
			return { ok: c.length === 0, c };
		});
		const after = await rpc({ command: 'account_info',
					  account: evil.address,
					  ledger_index: 'validated' });
		assert.equal(BigInt(after.result.account_data.Balance) -
			     BigInt(before.result.account_data.Balance),
			     AMOUNT - 24n, 'the Amount went back to the attacker');

		// Bob's connector was credited nothing, and never asked to be.
		await sleep(1500);
		const a = await json(`${B}/accounts/evil`);
		assert.equal(a.credited, '0', JSON.stringify(a));
		const log = await json(`${B}/log?route=settlements`);
		assert.deepEqual(log.filter((e) =>
			String(e.path).includes(id)), []);
		const h = (await json(`${env('ENGINE_B_URL')}/health`)).channels;
		assert.ok(h.claims_rejected >= 1, JSON.stringify(h));
		const text = fs.readFileSync(path.join(env('XRPSE_NET_DIR'),
						       'engine-bob.log'), 'utf8');
		assert.match(text, /refused: settle_delay: settle delay above our maximum/);
	});
