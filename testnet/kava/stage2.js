#!/usr/bin/env node
'use strict';
/*
 * Stage 2 of the Kava plugin scenario: xrpse takes over the plugins'
 * channels. It runs stage 1 (stage1.js: the real plugin settles, stops, its
 * stores are dumped and checked), then on the same ledger:
 *
 *   1. `xrpse import kava` for each side with the plugin's seed and store:
 *      alice's account `peer` → id UUID_A, bob's `alice` → UUID_B (bob's
 *      engine puts the plugin's claim on the ledger at its first policy
 *      check); each report names both channels adopted with
 *      the plugin's claims, and a second import of alice's store reports
 *      everything already_imported;
 *   2. refusals, on fresh databases while the channels are as the plugins
 *      left them: `xrpse import kava` exits 1 and its report refuses, with
 *      the exact reason, a tampered incoming claim (incoming bad_signature),
 *      an account whose outgoing channel has a foreign PublicKey (the
 *      plugin's channel under another account name, so the derived key
 *      differs: outgoing foreign_key), an incoming channel closing too soon
 *      (carol's channel to alice with a CancelAfter an hour away: incoming
 *      cancel_after) and a peer the ledger does not know (an unfunded
 *      xrpAddress in bob's store: account unknown_account); with the seed of
 *      an unfunded account (our own account unknown) it prints no report
 *      and says so on stderr;
 *   3. two `xrpse run` engines behind two connector stand-ins (rs flavour,
 *      scale 6 = drops), as testnet/scripts/local-net.sh runs them, with the
 *      accounts created on the engines under those ids; they pair and settle
 *      SETTLEMENTS random amounts each way;
 *   4. the checks:
 *      - bob's first policy check put the plugin's claim on the ledger;
 *      - on each connector, the credits after the switch equal the
 *        settlements after the switch on the other one, to the drop (what
 *        the plugin credited is not credited again);
 *      - no channel was opened: each side still owns exactly the channel
 *        the plugin opened (account_channels);
 *      - each engine redeems (--redeem-threshold 1 drop), and each
 *        channel's Balance on the ledger ends at the plugin's claim plus
 *        the claims xrpse signed on it;
 *      - no **BROKEN** line or sanitizer report in the engines' logs.
 *
 * usage: node testnet/kava/stage2.js --xrpse PATH [--out DIR] [--packets N]
 *          [--settlements N] [--seed N] [--store redis|file] [--keep]
 * Exit 0 when every check holds, 1 on a failed check, 77 (skipped) when
 * there is no redis-server for --store redis (1 with XRPSE_REQUIRE_REDIS set,
 * as scripts/test sets it).
 */
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const keypairs = require('ripple-keypairs');
const codec = require('ripple-binary-codec');
const addressCodec = require('ripple-address-codec');

const net = require('./net');
const { stage1, haveRedis, redisOrSkip } = require('./stage1');
const { freePorts } = require('../scripts/free-ports');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, pred, ms) {
	const t0 = Date.now();
	for (;;) {
		const v = await pred();
		if (v) return v;
		if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
		await sleep(200);
	}
}

async function http(method, url, body) {
	const r = await fetch(url, {
		method,
		headers: { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text}`);
	return text ? JSON.parse(text) : null;
}

/* Runs `xrpse import kava ARGS`; { status, stdout, stderr, report } */
function importKava(xrpse, args) {
	const r = spawnSync(xrpse, ['import', 'kava', ...args], { encoding: 'utf8', timeout: 60000 });
	let report = null;
	try {
		report = JSON.parse(r.stdout);
	} catch (e) {
		/* not JSON: a usage error or -H */
	}
	return { status: r.status, stdout: r.stdout, stderr: r.stderr, report };
}

/* The refusals in an import report, as "where:reason" strings: "account:R"
 * for an account refused whole, "incoming:R" / "outgoing:R" for a channel. */
function refusals(report) {
	const out = [];
	for (const a of (report && report.accounts) || []) {
		if (a.status === 'refused') out.push(`account:${a.reason}`);
		for (const dir of ['incoming', 'outgoing'])
			if (a[dir] && a[dir].status === 'refused') out.push(`${dir}:${a[dir].reason}`);
	}
	return out;
}

/* Whether the report refuses something: an account or a channel refused, or
 * a non-zero summary.refused. */
function refusesSomething(report) {
	return refusals(report).length > 0 || !!(report && report.summary && report.summary.refused > 0);
}

/* Signs TX (a JSON transaction) with SEED and submits it; waits until validated. */
async function submit(ledger, seed, tx) {
	const kp = keypairs.deriveKeypair(seed);
	const account = keypairs.deriveAddress(kp.publicKey);
	const info = await net.rpc(ledger, 'account_info', { account, ledger_index: 'current' });
	const cur = await net.rpc(ledger, 'ledger_current', {});
	const full = {
		...tx, Account: account, Fee: '12', Sequence: info.account_data.Sequence,
		LastLedgerSequence: cur.ledger_current_index + 20, SigningPubKey: kp.publicKey,
	};
	full.TxnSignature = keypairs.sign(codec.encodeForSigning(full), kp.privateKey);
	const blob = codec.encode(full);
	const r = await net.rpc(ledger, 'submit', { tx_blob: blob });
	if (r.engine_result !== 'tesSUCCESS') throw new Error(`submit ${tx.TransactionType}: ${r.engine_result}`);
	const hash = r.tx_json.hash;
	await until(`${tx.TransactionType} validated`, async () => {
		const t = await net.rpc(ledger, 'tx', { transaction: hash });
		return t.validated ? t : null;
	}, 20000);
	return { sequence: full.Sequence, hash };
}

/* A channel's id: SHA-512Half(0x0078 + owner + destination + sequence). */
function channelId(owner, dest, seq) {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(seq);
	const id = (a) => Buffer.from(addressCodec.decodeAccountID(a));
	return crypto.createHash('sha512').update(Buffer.concat([Buffer.from([0, 0x78]), id(owner), id(dest), b]))
		.digest().subarray(0, 32).toString('hex').toUpperCase();
}

/* A plugin-style claim: ed25519 over CLM\0 + channel id + u64 drops. */
function signClaim(seed32, id, drops) {
	const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed32]);
	const key = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
	const amt = Buffer.alloc(8);
	amt.writeBigUInt64BE(BigInt(drops));
	const msg = Buffer.concat([Buffer.from('CLM\0'), Buffer.from(id, 'hex'), amt]);
	const pub = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
	return { signature: crypto.sign(null, msg, key).toString('hex'), publicKey: 'ED' + pub.toString('hex').toUpperCase() };
}

/* An import report of one account, every part of it STATUS (channels CHAN):
 * the plugin's channels and claims, our address, the summary. */
function checkReport(report, side, s1, acct, id, status, chan) {
	const what = `${side}'s ${status} report`;
	assert.ok(report, `${what}: JSON`);
	assert.equal(report.address, s1.addresses[side], `${what}: address`);
	assert.ok(Number.isInteger(report.ledger_index) && report.ledger_index > 0, `${what}: ledger_index`);
	assert.equal(report.accounts.length, 1, `${what}: one account`);
	const a = report.accounts[0];
	assert.equal(a.plugin_account, s1.accounts[side], `${what}: plugin_account`);
	assert.equal(a.account, id, `${what}: account`);
	assert.equal(a.peer_address, acct.xrpAddress, `${what}: peer_address`);
	assert.equal(a.status, status, `${what}: account status: ${JSON.stringify(a)}`);
	for (const dir of ['incoming', 'outgoing']) {
		assert.equal(a[dir].channel.toUpperCase(), acct[dir].channelId.toUpperCase(), `${what}: ${dir} channel`);
		assert.equal(a[dir].claim, acct[dir].spent, `${what}: ${dir} claim`);
		assert.equal(a[dir].status, chan, `${what}: ${dir} status: ${JSON.stringify(a[dir])}`);
	}
	const want = { imported: 0, already_imported: 0, refused: 0 };
	want[status] = 1;
	assert.deepEqual({ imported: report.summary.imported, already_imported: report.summary.already_imported,
		refused: report.summary.refused }, want, `${what}: summary`);
}

async function ledgerChannel(ledger, id) {
	const r = await net.rpc(ledger, 'ledger_entry', { index: id, ledger_index: 'validated' });
	return r.status === 'success' ? r.node : null;
}

async function waitPort(port, child, ms = 20000) {
	const t0 = Date.now();
	for (;;) {
		const ok = await new Promise((res) => {
			const c = require('net').connect(port, '127.0.0.1', () => {
				c.end();
				res(true);
			});
			c.on('error', () => res(false));
		});
		if (ok) return;
		if (child.exitCode !== null) throw new Error(`process on port ${port} exited (${child.exitCode})`);
		if (Date.now() - t0 > ms) throw new Error(`nothing listens on ${port}`);
		await sleep(100);
	}
}

async function stage2(o, dir, ledger, redis, children) {
	const s1 = await stage1({ dir, ledger, redis, packets: o.packets, seed: o.seed });
	const f = (n) => path.join(dir, n);
	const stores = { alice: JSON.parse(fs.readFileSync(f('alice-store.json'))), bob: JSON.parse(fs.readFileSync(f('bob-store.json'))) };
	const acctOf = (n) => JSON.parse(stores[n][`${s1.accounts[n]}:account`]);
	const plugin = {
		// what the plugin's claims hold on each channel, by payer
		alice: { channel: acctOf('alice').outgoing.channelId, claimed: BigInt(acctOf('alice').outgoing.spent) },
		bob: { channel: acctOf('bob').outgoing.channelId, claimed: BigInt(acctOf('bob').outgoing.spent) },
	};
	const ids = { alice: crypto.randomUUID(), bob: crypto.randomUUID() };

	// 1. the imports
	const common = ['--rippled-url', ledger.wsUrl];
	const imp = {
		alice: importKava(o.xrpse, ['--store', f('alice-store.json'), '--seed-file', f('alice.seed'),
			'--db', f('alice.db'), '--account', `${s1.accounts.alice}=${ids.alice}`, ...common]),
		bob: importKava(o.xrpse, ['--store', f('bob-store.json'), '--seed-file', f('bob.seed'),
			'--db', f('bob.db'), '--account', `${s1.accounts.bob}=${ids.bob}`, ...common]),
	};
	for (const [n, r] of Object.entries(imp)) {
		fs.writeFileSync(f(`import-${n}.out`), r.stdout + r.stderr);
		assert.equal(r.status, 0, `import of ${n}'s store: exit ${r.status}: ${r.stderr}`);
		assert.ok(r.report, `import of ${n}'s store prints a JSON report`);
		assert.ok(!refusesSomething(r.report), `import of ${n}'s store refuses nothing: ${r.stdout}`);
		checkReport(r.report, n, s1, acctOf(n), ids[n], 'imported', 'adopted');
	}
	// a second run changes nothing and says so (the database's dump is the same)
	const dumpDb = (db) => spawnSync('sqlite3', [db, '.dump'], { encoding: 'utf8' });
	const before = dumpDb(f('alice.db'));
	const again = importKava(o.xrpse, ['--store', f('alice-store.json'), '--seed-file', f('alice.seed'),
		'--db', f('alice.db'), '--account', `${s1.accounts.alice}=${ids.alice}`, ...common]);
	fs.writeFileSync(f('import-alice-again.out'), again.stdout + again.stderr);
	assert.equal(again.status, 0, `a second import of alice's store: exit ${again.status}: ${again.stderr}`);
	checkReport(again.report, 'alice', s1, acctOf('alice'), ids.alice, 'already_imported', 'already_imported');
	if (before.status === 0) // sqlite3 is there (scripts/install-deps installs it)
		assert.ok(dumpDb(f('alice.db')).stdout === before.stdout, 'a second import leaves alice\'s database as it was');
	// refusals, on fresh databases, while the channels are as the plugins
	// left them (once xrpse redeemed, every plugin claim is stale)
	const refused = await refusalCases(o, dir, ledger, s1, stores, common);

	// the import itself submits nothing: both channels as the plugin left them
	for (const n of ['alice', 'bob'])
		assert.equal((await ledgerChannel(ledger, plugin[n].channel)).Balance, '0', `${n}'s channel: Balance 0 after the import`);

	// 2. engines and connectors
	const [ea, eb, ca, cb] = await freePorts(4);
	const engineArgs = (n, port, cport) => ['run', '--listen', `127.0.0.1:${port}`,
		'--connector-url', `http://127.0.0.1:${cport}`, '--rippled-url', ledger.wsUrl,
		'--seed-file', f(`${n}.seed`), '--db', f(`${n}.db`), '--network-id', '1',
		'--redeem-threshold', '1', '--redeem-check', '1s', '--tx-retry', '2s',
		'--dev-poll-ms', '500', '--dev-hello-retry-ms', '100', '--dev-claim-resend-ms', '1000'];
	const engA = net.startLogged(dir, 'engine-alice', o.xrpse, engineArgs('alice', ea, ca));
	children.push(engA.child);
	const engB = net.startLogged(dir, 'engine-bob', o.xrpse, engineArgs('bob', eb, cb));
	children.push(engB.child);
	await waitPort(ea, engA.child);
	await waitPort(eb, engB.child);
	// bob's engine puts alice's plugin claim on the ledger
	// at its first check, before any settlement
	await until('bob\'s first redeem on the ledger', async () => {
		const c = await ledgerChannel(ledger, plugin.alice.channel);
		return c && BigInt(c.Balance) === plugin.alice.claimed;
	}, 20000);
	const conn = (name, port, eport, pport) => net.startLogged(dir, `connector-${name}`, process.execPath, [
		path.join(net.testnet, 'connector', 'server.js'), '--port', String(port), '--name', name,
		'--engine-url', `http://127.0.0.1:${eport}`, '--peer-url', `http://127.0.0.1:${pport}`,
		'--flavor', 'rs', '--scale', '6']);
	const cA = conn('a', ca, ea, cb);
	children.push(cA.child);
	const cB = conn('b', cb, eb, ca);
	children.push(cB.child);
	await waitPort(ca, cA.child);
	await waitPort(cb, cB.child);
	const A = `http://127.0.0.1:${ca}/control`;
	const B = `http://127.0.0.1:${cb}/control`;
	// connector A's account "b" (toward B) is engine alice's account ids.alice, and so on
	await http('POST', `${A}/accounts`, { name: 'b', id: ids.alice, peer: 'a', createOnEngine: true });
	await http('POST', `${B}/accounts`, { name: 'a', id: ids.bob, peer: 'b', createOnEngine: true });

	// 3. settle both ways: A→B pays on alice's adopted channel, B→A on bob's
	let seed = BigInt(o.seed) | 1n;
	const rand = (n) => {
		seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
		return Number((seed >> 33n) % BigInt(n));
	};
	const settled = { alice: 0n, bob: 0n };
	for (let i = 0; i < o.settlements * 2; i++) {
		const from = i % 2 === 0 ? 'alice' : 'bob';
		const amount = BigInt(1 + rand(100000));
		const r = await http('POST', `${from === 'alice' ? A : B}/accounts/${from === 'alice' ? 'b' : 'a'}/settle`,
			{ amount: amount.toString(), wait: true });
		const st = r.settlement || r;
		assert.equal(st.state, 'done', `settlement ${i} from ${from}: ${JSON.stringify(r)}`);
		settled[from] += amount;
	}
	const credited = async () => ({
		bob: BigInt((await http('GET', `${B}/accounts/a`)).credited || 0),
		alice: BigInt((await http('GET', `${A}/accounts/b`)).credited || 0),
	});
	await until('every settlement credited', async () => {
		const c = await credited();
		return c.bob >= settled.alice && c.alice >= settled.bob;
	}, 60000);
	await sleep(1000);
	const c = await credited();
	assert.equal(c.bob, settled.alice, 'connector B credited exactly what connector A settled after the switch');
	assert.equal(c.alice, settled.bob, 'connector A credited exactly what connector B settled after the switch');

	// no new channel: each side owns the plugin's channel only
	for (const [n, other] of [['alice', 'bob'], ['bob', 'alice']]) {
		const chans = await net.accountChannels(ledger, s1.addresses[n]);
		assert.deepEqual(chans.map((x) => x.channel_id), [plugin[n].channel],
			`${n} owns only the channel the plugin opened to ${other}`);
	}
	// every claim redeemed: Balance = the plugin's claims + xrpse's
	const want = { alice: plugin.alice.claimed + settled.alice, bob: plugin.bob.claimed + settled.bob };
	const seen = {};
	await until('each channel redeemed to plugin + xrpse claims', async () => {
		for (const n of ['alice', 'bob']) {
			const ch = await ledgerChannel(ledger, plugin[n].channel);
			seen[n] = ch ? ch.Balance : 'gone';
		}
		return ['alice', 'bob'].every((n) => seen[n] === want[n].toString());
	}, 60000).catch((e) => {
		throw new Error(`${e.message}: Balance of alice's channel ${seen.alice}, of bob's ${seen.bob}; ` +
			`want ${want.alice} (plugin ${plugin.alice.claimed} + xrpse ${settled.alice}) and ` +
			`${want.bob} (plugin ${plugin.bob.claimed} + xrpse ${settled.bob})`);
	});

	return { s1, settled, want, refused };
}

async function refusalCases(o, dir, ledger, s1, stores, common) {
	const f = (n) => path.join(dir, n);
	const cases = [];
	const tamper = (n, fn) => {
		const st = JSON.parse(JSON.stringify(stores[n]));
		fn(st);
		return st;
	};
	const key = (n) => `${s1.accounts[n]}:account`;
	const edit = (st, k, fn) => {
		const a = JSON.parse(st[k]);
		fn(a);
		st[k] = JSON.stringify(a);
	};
	// a tampered claim: alice's incoming claim raised by one drop
	cases.push(['tampered-claim', 'alice', tamper('alice', (st) =>
		edit(st, key('alice'), (a) => { a.incoming.spent = (BigInt(a.incoming.spent) + 1n).toString(); }))]);
	// a foreign PublicKey: bob's account "alice" renamed "eve"; the key derived for "eve" is not the channel's
	cases.push(['foreign-public-key', 'bob', tamper('bob', (st) => {
		st['eve:account'] = st[key('bob')].replace('"accountName":"alice"', '"accountName":"eve"');
		delete st[key('bob')];
		st.accounts = JSON.stringify(['eve']);
	}), ['--account', `eve=${crypto.randomUUID()}`]]);
	// a channel closing too soon: carol opens a channel to alice with CancelAfter an hour away
	const carol = keypairs.generateSeed({ algorithm: 'ecdsa-secp256k1' });
	const carolAddr = keypairs.deriveAddress(keypairs.deriveKeypair(carol).publicKey);
	await net.fund(ledger, carolAddr, 100);
	const carolKey = crypto.randomBytes(32);
	const pk = signClaim(carolKey, '00'.repeat(32), 0).publicKey;
	const now = Math.floor(Date.now() / 1000) - 946684800;
	const created = await submit(ledger, carol, {
		TransactionType: 'PaymentChannelCreate', Amount: '5000000', Destination: s1.addresses.alice,
		SettleDelay: 518400, PublicKey: pk, CancelAfter: now + 3600,
	});
	const soonId = channelId(carolAddr, s1.addresses.alice, created.sequence);
	assert.ok(await ledgerChannel(ledger, soonId), 'carol\'s short-lived channel is on the ledger');
	const soonClaim = signClaim(carolKey, soonId, 1000);
	const v = await net.rpc(ledger, 'channel_verify', { channel_id: soonId, amount: '1000', public_key: pk, signature: soonClaim.signature });
	assert.equal(v.signature_verified, true, 'carol\'s claim verifies: only the CancelAfter is wrong with it');
	cases.push(['closing-too-soon', 'alice', tamper('alice', (st) => {
		edit(st, key('alice'), (a) => {
			Object.assign(a.incoming, {
				channelId: soonId, sender: carolAddr, publicKey: pk, value: '5000000', balance: '0',
				spent: '1000', signature: soonClaim.signature, expiresAt: String((now + 3600 + 946684800) * 1000),
			});
			a.xrpAddress = carolAddr;
			delete a.outgoing;
		});
		st[`${soonId}:incoming-channel`] = s1.accounts.alice;
	})]);
	// an account the ledger does not know: bob's peer address replaced by an unfunded one
	const ghost = keypairs.deriveAddress(keypairs.deriveKeypair(keypairs.generateSeed()).publicKey);
	cases.push(['unknown-peer-account', 'bob', tamper('bob', (st) =>
		edit(st, key('bob'), (a) => { a.xrpAddress = ghost; }))]);

	// an account the ledger does not know: bob's store imported with the seed of an unfunded account
	const ghostSeed = keypairs.generateSeed({ algorithm: 'ed25519' });
	fs.writeFileSync(f('ghost.seed'), ghostSeed + '\n', { mode: 0o600 });
	cases.push(['unknown-own-account', 'ghost', stores.bob, ['--account', `${s1.accounts.bob}=${crypto.randomUUID()}`]]);

	// What each import must refuse, and why ("where:reason" as refusals() has it).
	const want = {
		'tampered-claim': 'incoming:bad_signature',
		'foreign-public-key': 'outgoing:foreign_key',
		'closing-too-soon': 'incoming:cancel_after',
		'unknown-peer-account': 'account:unknown_account',
	};
	const out = {};
	for (const [name, side, store, extra] of cases) {
		fs.writeFileSync(f(`refuse-${name}.json`), JSON.stringify(store, null, 2) + '\n');
		const db = f(`refuse-${name}.db`);
		const r = importKava(o.xrpse, ['--store', f(`refuse-${name}.json`), '--seed-file', f(`${side}.seed`),
			'--db', db, ...(extra || ['--account', `${s1.accounts[side]}=${crypto.randomUUID()}`]), ...common]);
		fs.writeFileSync(f(`refuse-${name}.out`), `exit ${r.status}\n${r.stdout}${r.stderr}`);
		assert.equal(r.status, 1, `the import of ${name} exits 1: exit ${r.status}: ${r.stdout}${r.stderr}`);
		if (name === 'unknown-own-account') {
			// our own account unknown: nothing to report per account, the import stops
			assert.equal(r.report, null, `${name}: no report: ${r.stdout}`);
			assert.match(r.stderr, /our account r\w+ is unknown to the validated ledger/, `${name}: the reason`);
			out[name] = 'unknown_account (ours)';
			continue;
		}
		const got = refusals(r.report);
		assert.ok(got.includes(want[name]), `the import refuses ${name} as ${want[name]}: got ${JSON.stringify(got)}: ${r.stdout}`);
		assert.equal(r.report.summary.refused, got.filter((x) => x.startsWith('account:')).length,
			`${name}: summary.refused counts the accounts refused whole`);
		out[name] = want[name];
	}
	return out;
}

function parseArgs(argv) {
	const o = { xrpse: null, out: null, packets: 300, settlements: 20, seed: Date.now() % 100000,
		store: haveRedis() ? 'redis' : 'file', keep: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--xrpse') o.xrpse = argv[++i];
		else if (a === '--out') o.out = argv[++i];
		else if (a === '--packets') o.packets = parseInt(argv[++i], 10);
		else if (a === '--settlements') o.settlements = parseInt(argv[++i], 10);
		else if (a === '--seed') o.seed = parseInt(argv[++i], 10);
		else if (a === '--store') o.store = argv[++i];
		else if (a === '--keep') o.keep = true;
		else {
			console.error(`stage2: unknown argument ${a}`);
			process.exit(2);
		}
	}
	if (!o.xrpse || !['redis', 'file'].includes(o.store) || !(o.packets > 0) || !(o.settlements > 0)) {
		console.error('usage: stage2.js --xrpse PATH [--out DIR] [--packets N] [--settlements N] [--seed N] [--store redis|file] [--keep]');
		process.exit(2);
	}
	return o;
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	redisOrSkip('stage2', o);
	const help = spawnSync(o.xrpse, ['import', 'kava', '--help'], { encoding: 'utf8' });
	if (help.status !== 0) {
		console.log(`stage2: FAILED: \`${o.xrpse} import kava --help\` exits ${help.status}`);
		process.exit(1);
	}
	await net.runScenario('stage2', o, async (dir, ledger, redis, children) => {
		const r = await stage2(o, dir, ledger, redis, children);
		return `plugin settled ${r.s1.packets} packets (seed ${r.s1.seed}); after the import xrpse settled ` +
			`${r.settled.alice} drops alice→bob and ${r.settled.bob} bob→alice on the plugin's channels, credited to the drop; ` +
			`ledger Balances ${r.want.alice} and ${r.want.bob}; refused: ${JSON.stringify(r.refused)}`;
	}, (dir) => {
		for (const n of ['engine-alice', 'engine-bob']) {
			const f = path.join(dir, `${n}.log`);
			const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
			if (/\*\*BROKEN\*\*|ERROR: (Address|Leak)Sanitizer|runtime error:/.test(t))
				return `a BROKEN line or sanitizer report in ${n}.log`;
		}
		return null;
	});
}

module.exports = { stage2, refusalCases, refusesSomething, importKava };

if (require.main === module) main();
