#!/usr/bin/env node
'use strict';
/*
 * Stage 1 of the Kava plugin scenario: the real @kava-labs/ilp-plugin-xrp-paychan
 * 0.4.5 opens channels both ways on the ledger stand-in and settles PACKETS
 * random amounts (plugins.js), then its stores are dumped and checked:
 *
 *   - each store holds `NAME:account` (bob's: `alice`, alice's: `peer`),
 *     listed under `accounts`, and `CHANNELID:incoming-channel` → NAME;
 *   - each channel exists on the validated ledger, one per direction, with
 *     the stored sender, receiver, Amount, SettleDelay and PublicKey, an
 *     untouched Balance, and no Expiration or CancelAfter;
 *   - each outgoing channel's PublicKey is the plugin's per-account key,
 *     ED + the ed25519 key of HMAC-SHA256(xrpSecret, "ilp-plugin-xrp-paychan-channel" + NAME);
 *   - outgoing.spent is what that side sent, incoming.spent what the other
 *     side sent and this side's money handler credited, to the drop, and
 *     both claims verify on the ledger (channel_verify).
 *
 * usage: node testnet/kava/stage1.js [--out DIR] [--packets N] [--seed N]
 *          [--store redis|file] [--keep]
 * Writes to DIR: alice.seed, bob.seed (the plugins' xrpSecret, for
 * `xrpse import kava --seed-file`), alice-store.json, bob-store.json (the
 * stores: an object of keys → the string values the plugin wrote) and
 * summary.json (addresses, channel ids, sums in drops). Without --out, a
 * temporary directory, removed on success unless --keep.
 * Exit status 0 when every check holds.
 */
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const keypairs = require('ripple-keypairs');

const net = require('./net');
const { runPlugins } = require('./plugins');

/* The plugin's key for the channels it opens toward account NAME. */
function channelPublicKey(xrpSecret, name) {
	const seed = crypto.createHmac('sha256', xrpSecret).update('ilp-plugin-xrp-paychan-channel' + name).digest();
	const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
	const pub = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
	const raw = pub.export({ format: 'der', type: 'spki' }).subarray(-32);
	return 'ED' + raw.toString('hex').toUpperCase();
}

function haveRedis() {
	try {
		execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
		return true;
	} catch (e) {
		return false;
	}
}

/* The side of the scenario: who is who, and which account NAME each store uses. */
const SIDES = {
	alice: { role: 'client', account: 'peer', other: 'bob' },
	bob: { role: 'server', account: 'alice', other: 'alice' },
};

async function ledgerChannel(ledger, id) {
	const r = await net.rpc(ledger, 'ledger_entry', { index: id, ledger_index: 'validated' });
	return r.status === 'success' ? r.node : null;
}

/*
 * Checks the dumped stores against the ledger and the sums; throws an
 * AssertionError naming the first check that fails.
 */
async function check(ledger, out) {
	const { seeds, addresses, stores, sums } = out;
	for (const [name, side] of Object.entries(SIDES)) {
		const store = stores[name];
		const other = side.other;
		const key = `${side.account}:account`;
		assert.ok(typeof store[key] === 'string', `${name}'s store has ${key}`);
		assert.deepEqual(JSON.parse(store.accounts), [side.account], `${name}'s store lists its account`);
		const acct = JSON.parse(store[key]);
		assert.equal(acct.xrpAddress, addresses[other], `${name}'s ${key} links ${other}'s address`);
		const { incoming, outgoing } = acct;
		assert.ok(incoming && outgoing, `${name}'s ${key} has both channels`);
		assert.equal(store[`${incoming.channelId}:incoming-channel`], side.account,
			`${name}'s store links its incoming channel to ${side.account}`);

		// outgoing: ours, with the per-account key, and the claim we sent
		const pk = channelPublicKey(seeds[name], side.account);
		assert.equal(outgoing.publicKey, pk, `${name}'s outgoing channel uses the plugin's per-account key`);
		assert.equal(outgoing.spent, String(sums[name].sent), `${name}'s outgoing claim = what ${name} sent`);
		// incoming: the best claim held = what the other side sent = what we credited
		assert.equal(incoming.spent, String(sums[other].sent), `${name}'s incoming claim = what ${other} sent`);
		assert.equal(String(sums[name].credited), String(sums[other].sent), `${name} credited what ${other} sent`);

		for (const [dir, c, sender, receiver] of [
			['outgoing', outgoing, name, other], ['incoming', incoming, other, name]]) {
			const node = await ledgerChannel(ledger, c.channelId);
			assert.ok(node, `${name}'s ${dir} channel ${c.channelId} is on the ledger`);
			assert.equal(node.Account, addresses[sender], `${dir} channel of ${name}: sender`);
			assert.equal(node.Destination, addresses[receiver], `${dir} channel of ${name}: receiver`);
			assert.equal(node.PublicKey, c.publicKey, `${dir} channel of ${name}: PublicKey`);
			assert.equal(node.Amount, c.value, `${dir} channel of ${name}: Amount = the cached value`);
			assert.equal(node.Balance, '0', `${dir} channel of ${name}: nothing redeemed yet`);
			assert.equal(String(node.SettleDelay), c.disputeDelay, `${dir} channel of ${name}: SettleDelay`);
			assert.equal(node.Expiration, undefined, `${dir} channel of ${name}: no Expiration`);
			assert.equal(node.CancelAfter, undefined, `${dir} channel of ${name}: no CancelAfter`);
			const v = await net.rpc(ledger, 'channel_verify', {
				channel_id: c.channelId, amount: c.spent, public_key: node.PublicKey, signature: c.signature,
			});
			assert.equal(v.signature_verified, true, `${dir} claim of ${name} verifies on the ledger`);
		}
	}
	// one channel each way, and nothing else
	for (const [name, side] of Object.entries(SIDES)) {
		const chans = await net.accountChannels(ledger, addresses[name]);
		assert.equal(chans.length, 1, `${name} owns one channel`);
		assert.equal(chans[0].destination_account, addresses[side.other], `${name}'s channel pays ${side.other}`);
	}
}

/*
 * Runs stage 1 in DIR against LEDGER (and REDIS, or null for the file
 * store) and checks it. Resolves to the summary (also in DIR).
 */
async function stage1({ dir, ledger, redis, packets = 300, seed = 1 }) {
	const seeds = {
		alice: keypairs.generateSeed({ algorithm: 'ed25519' }),
		bob: keypairs.generateSeed({ algorithm: 'ecdsa-secp256k1' }),
	};
	const addresses = {};
	for (const name of Object.keys(seeds)) {
		addresses[name] = keypairs.deriveAddress(keypairs.deriveKeypair(seeds[name]).publicKey);
		await net.fund(ledger, addresses[name], 1000);
		fs.writeFileSync(path.join(dir, `${name}.seed`), seeds[name] + '\n', { mode: 0o600 });
	}
	const t0 = Date.now();
	const r = await runPlugins({ ledger, redisPort: redis ? redis.port : null, dir, seeds, packets, seed });
	const ms = Date.now() - t0;
	for (const name of Object.keys(seeds))
		fs.writeFileSync(path.join(dir, `${name}-store.json`), JSON.stringify(r.stores[name], null, 2) + '\n');
	const sums = {};
	for (const [name, s] of Object.entries(r.sums))
		sums[name] = { sent: s.sent.toString(), credited: s.credited.toString(), packets: s.packets };
	const channels = {};
	for (const [name, side] of Object.entries(SIDES)) {
		const acct = JSON.parse(r.stores[name][`${side.account}:account`] || '{}');
		channels[name] = { account: side.account, outgoing: acct.outgoing && acct.outgoing.channelId };
	}
	const summary = {
		store: redis ? 'redis' : 'file', packets, seed, ms, addresses, sums, channels,
		stores: { alice: 'alice-store.json', bob: 'bob-store.json' },
		seedFiles: { alice: 'alice.seed', bob: 'bob.seed' },
		accounts: Object.fromEntries(Object.entries(SIDES).map(([n, s]) => [n, s.account])),
	};
	fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
	await check(ledger, { seeds, addresses, stores: r.stores, sums: r.sums });
	return summary;
}

function parseArgs(argv) {
	const o = { out: null, packets: 300, seed: Date.now() % 100000, store: haveRedis() ? 'redis' : 'file', keep: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--out') o.out = argv[++i];
		else if (a === '--packets') o.packets = parseInt(argv[++i], 10);
		else if (a === '--seed') o.seed = parseInt(argv[++i], 10);
		else if (a === '--store') o.store = argv[++i];
		else if (a === '--keep') o.keep = true;
		else if (a === '-h' || a === '--help') {
			console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(19, 27).map((l) => l.replace(/^ \* ?/, '')).join('\n'));
			process.exit(0);
		} else {
			console.error(`stage1: unknown argument ${a}`);
			process.exit(2);
		}
	}
	if (!['redis', 'file'].includes(o.store) || !(o.packets > 0)) {
		console.error('stage1: --store redis|file, --packets N > 0');
		process.exit(2);
	}
	return o;
}

/*
 * --store redis without a redis-server: exit 77 (ctest's skip) with the
 * reason, or 1 when XRPSE_REQUIRE_REDIS is set (scripts/test sets it after
 * scripts/install-deps installed redis-server, so CI never skips).
 */
function redisOrSkip(name, o) {
	if (o.store !== 'redis' || haveRedis()) return;
	const required = !!process.env.XRPSE_REQUIRE_REDIS;
	console.log(`${name}: ${required ? 'FAILED' : 'SKIPPED'}: no redis-server on PATH ` +
		'(scripts/install-deps installs it; --store file runs without it)');
	process.exit(required ? 1 : 77);
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	redisOrSkip('stage1', o);
	await net.runScenario('stage1', o, async (dir, ledger, redis) => {
		const s = await stage1({ dir, ledger, redis, packets: o.packets, seed: o.seed });
		return `${s.packets} packets (seed ${s.seed}, ${s.store} store) in ${s.ms} ms; ` +
			`alice sent ${s.sums.alice.sent} drops in ${s.sums.alice.packets}, bob sent ${s.sums.bob.sent} in ${s.sums.bob.packets}`;
	});
}

module.exports = { stage1, check, channelPublicKey, SIDES, haveRedis, redisOrSkip };

if (require.main === module) main();
