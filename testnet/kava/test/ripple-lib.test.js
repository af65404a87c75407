'use strict';
/*
 * ripple-lib 1.10.1 (the XRP library of Kava's plugin, installed with it)
 * against the ledger stand-in: every RippleAPI call the plugin makes, on the
 * paths stage 1 does not reach too (a top-up, a destination's claim, an
 * owner's close with its Expiration, a channel gone), answered as rippled
 * answers them.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { RippleAPI } = require('ripple-lib');
const keypairs = require('ripple-keypairs');
const net = require('../net');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The plugin's sendTransaction: sign, submit, poll getTransaction until validated. */
async function send(api, txJSON, secret) {
	const { id, signedTransaction } = api.sign(txJSON, secret);
	await api.submit(signedTransaction);
	for (let i = 0; i < 100; i++) {
		try {
			const { outcome } = await api.getTransaction(id);
			return outcome;
		} catch (e) {
			if (!(e instanceof api.errors.MissingLedgerHistoryError || e instanceof api.errors.NotFoundError)) throw e;
		}
		await sleep(100);
	}
	throw new Error(`transaction ${id} never validated`);
}

async function waitChannel(api, id, pred) {
	for (let i = 0; i < 100; i++) {
		const c = await api.getPaymentChannel(id).catch((e) => e);
		if (pred(c)) return c;
		await sleep(100);
	}
	throw new Error(`channel ${id}: condition never met`);
}

test('ripple-lib drives a payment channel through its whole life on the stand-in', async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xrpse-ripple-lib.'));
	const ledger = await net.startLedger(dir);
	const api = new RippleAPI({ server: ledger.wsUrl });
	t.after(async () => {
		await api.disconnect().catch(() => {});
		await net.stop(ledger.child);
		fs.rmSync(dir, { recursive: true, force: true });
	});
	await api.connect();

	const info = await api.getServerInfo();
	assert.equal(info.serverState, 'full');
	assert.ok(Number(await api.getFee()) > 0, 'getFee from server_info');
	assert.ok((await api.getLedgerVersion()) >= 2, 'ledger version from the ledger stream');

	const alice = keypairs.generateSeed({ algorithm: 'ecdsa-secp256k1' });
	const bob = keypairs.generateSeed({ algorithm: 'ed25519' });
	const addr = (s) => keypairs.deriveAddress(keypairs.deriveKeypair(s).publicKey);
	await net.fund(ledger, addr(alice), 100);
	await net.fund(ledger, addr(bob), 100);
	const chanKeys = api.generateAddress({ algorithm: 'ed25519' });
	const chanPub = keypairs.deriveKeypair(chanKeys.secret).publicKey;

	// create, as the plugin opens a channel
	const create = await api.preparePaymentChannelCreate(addr(alice), {
		amount: '10', destination: addr(bob), settleDelay: 3600, publicKey: chanPub,
	});
	assert.equal((await send(api, create.txJSON, alice)).result, 'tesSUCCESS');
	const [listed] = (await net.accountChannels(ledger, addr(alice)));
	const id = listed.channel_id;
	let ch = await api.getPaymentChannel(id);
	assert.equal(ch.account, addr(alice));
	assert.equal(ch.destination, addr(bob));
	assert.equal(ch.amount, '10');
	assert.equal(ch.balance, '0');
	assert.equal(ch.settleDelay, 3600);
	assert.equal(ch.publicKey, chanPub);
	assert.equal(ch.expiration, undefined);
	assert.equal(ch.cancelAfter, undefined);

	// top-up, as the plugin's depositToChannel
	const fund = await api.preparePaymentChannelFund(addr(alice), { channel: id, amount: '5' });
	assert.equal((await send(api, fund.txJSON, alice)).result, 'tesSUCCESS');
	ch = await waitChannel(api, id, (c) => c.amount === '15');

	// the destination redeems a claim, as the plugin's claimChannel (without close)
	const signature = api.signPaymentChannelClaim(id, '1.5', keypairs.deriveKeypair(chanKeys.secret).privateKey);
	assert.equal(api.verifyPaymentChannelClaim(id, '1.5', signature, chanPub), true);
	const claim = await api.preparePaymentChannelClaim(addr(bob), { channel: id, balance: '1.5', signature, publicKey: chanPub });
	assert.equal((await send(api, claim.txJSON, bob)).result, 'tesSUCCESS');
	ch = await waitChannel(api, id, (c) => c.balance === '1.5');

	// the owner asks to close: Expiration = close time + SettleDelay, which the plugin reads as a dispute
	const close = await api.preparePaymentChannelClaim(addr(alice), { channel: id, close: true });
	assert.equal((await send(api, close.txJSON, alice)).result, 'tesSUCCESS');
	ch = await waitChannel(api, id, (c) => c.expiration !== undefined);
	const left = Date.parse(ch.expiration) - Date.now();
	assert.ok(left > 3500 * 1000 && left <= 3620 * 1000, `Expiration ${ch.expiration} is SettleDelay away`);

	// the destination closes it with its best claim: the channel is gone
	const sig2 = api.signPaymentChannelClaim(id, '2', keypairs.deriveKeypair(chanKeys.secret).privateKey);
	const final = await api.preparePaymentChannelClaim(addr(bob), { channel: id, balance: '2', signature: sig2, publicKey: chanPub, close: true });
	assert.equal((await send(api, final.txJSON, bob)).result, 'tesSUCCESS');
	const gone = await waitChannel(api, id, (c) => c instanceof Error);
	// rippled's error_message: ripple-lib names the error by it, so the
	// plugin's `err.message === 'entryNotFound'` does not match it
	assert.ok(gone instanceof api.errors.RippledError, gone.stack);
	assert.equal(gone.message, 'Entry not found.');
	assert.equal(gone.data.error, 'entryNotFound');
});
