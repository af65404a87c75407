'use strict';
/*
 * Runs two instances of Kava's @kava-labs/ilp-plugin-xrp-paychan (the
 * published 0.4.5 from npm, as a connector would run them) against the
 * ledger stand-in:
 *
 *   - "bob" runs the plugin as a `server` (ilp-plugin-mini-accounts over BTP
 *     on a 127.0.0.1 port); "alice" runs it as a `client` connected to it
 *     with the BTP username "alice". So bob's store holds account `alice`,
 *     alice's store holds account `peer` (the client plugin's fixed name).
 *   - alice opens a channel to bob through the plugin's account API, bob's
 *     plugin opens one back by itself (minIncomingChannelAmount), and then
 *     both settle PACKETS random amounts: alice through `sendMoney(amount)`
 *     (the connector's settlement call), bob by forwarding ILP PREPAREs to
 *     alice that alice fulfills (a server plugin refuses sendMoney and
 *     settles what fulfilled packets owe by itself).
 *   - each side records what it sent and what its money handler credited;
 *     the run waits until every side credited exactly what the other sent,
 *     then disconnects both plugins (which flushes their stores).
 *
 * The plugins' stores are ilp-store-redis stores in a real redis-server
 * (prefix "alice" / "bob"), or, without redis, a store object kept in memory
 * and written to the same dump format.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const pluginDir = path.dirname(require.resolve('@kava-labs/ilp-plugin-xrp-paychan/package.json'));
const fromPlugin = (m) => require(require.resolve(m, { paths: [pluginDir] }));
const XrpPlugin = require('@kava-labs/ilp-plugin-xrp-paychan').default;
const IlpPacket = fromPlugin('ilp-packet');
const sodium = fromPlugin('libsodium-wrappers');
const RedisStore = require('ilp-store-redis').default;

const { freePorts } = require('../scripts/free-ports');
const { rpc } = require('./net');

const PREFIX = 'test.bob';

/* The store the plugin takes when there is no redis: get/put/del as
 * ilp-store-redis, keeping the string values the plugin wrote. */
class FileStore {
	constructor() {
		this.map = new Map();
	}
	async get(k) {
		return this.map.get(k);
	}
	async put(k, v) {
		this.map.set(k, String(v));
	}
	async del(k) {
		this.map.delete(k);
	}
	dump() {
		return Object.fromEntries([...this.map.entries()].sort());
	}
}

/* Every key of the redis store with prefix NAME, as the plugin wrote it. */
async function dumpRedis(port, name) {
	const IoRedis = require('ioredis');
	const r = new IoRedis({ port, host: '127.0.0.1' });
	const full = `ilp:${name}:`;
	const keys = (await r.keys(`${full}*`)).sort();
	const out = {};
	for (const k of keys) out[k.slice(full.length)] = await r.get(k);
	await r.quit();
	return out;
}

function logger(file, name) {
	const fd = fs.openSync(file, 'a');
	const line = (level) => (...args) =>
		fs.writeSync(fd, `${new Date().toISOString()} ${name} ${level} ${args.map((a) =>
			a instanceof Error ? a.stack : typeof a === 'string' ? a : JSON.stringify(a)).join(' ')}\n`);
	return { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: () => {} };
}

/* A deterministic random source, so that a failing run can be replayed. */
function rng(seed) {
	let s = BigInt(seed) | 1n;
	return (n) => {
		s ^= (s << 13n) & 0xffffffffffffffffn;
		s ^= s >> 7n;
		s ^= (s << 17n) & 0xffffffffffffffffn;
		return Number(s % BigInt(n));
	};
}

async function until(what, pred, ms = 60000) {
	const t0 = Date.now();
	while (!(await pred())) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/*
 * Runs the plugins. opts: ledger (from net.startLedger), redisPort (or null
 * for the file store), dir (logs), seeds {alice, bob}, packets, seed (rng),
 * aliceChannelDrops, bobChannelDrops, maxPacketDrops.
 * Resolves to { stores: {alice, bob}, sums, accounts, btpPort }.
 */
async function runPlugins(opts) {
	const {
		ledger, redisPort = null, dir, seeds, packets = 300, seed = 1,
		aliceChannelDrops = 60000000, bobChannelDrops = 10000000, maxPacketDrops = 100000,
	} = opts;
	await sodium.ready;
	const rand = rng(seed);
	const [btpPort] = await freePorts(1);
	const log = path.join(dir, 'plugins.log');

	const stores = {};
	const makeStore = (name) => {
		stores[name] = redisPort ? new RedisStore({ port: redisPort, host: '127.0.0.1', prefix: name }) : new FileStore();
		return stores[name];
	};

	const bob = new XrpPlugin({
		role: 'server',
		xrpSecret: seeds.bob,
		xrpServer: ledger.wsUrl,
		port: btpPort,
		debugHostIldcpInfo: { clientAddress: PREFIX, assetCode: 'XRP', assetScale: 6 },
		outgoingChannelAmount: bobChannelDrops,
		minIncomingChannelAmount: 1000000,
		channelWatcherInterval: 5000,
	}, { store: makeStore('bob'), log: logger(log, 'bob') });
	const alice = new XrpPlugin({
		role: 'client',
		xrpSecret: seeds.alice,
		xrpServer: ledger.wsUrl,
		server: `btp+ws://alice:alice-token@127.0.0.1:${btpPort}`,
		channelWatcherInterval: 5000,
	}, { store: makeStore('alice'), log: logger(log, 'alice') });

	const sums = {
		alice: { sent: 0n, credited: 0n, packets: 0 },
		bob: { sent: 0n, credited: 0n, packets: 0 },
	};
	alice.registerMoneyHandler(async (amount) => {
		sums.alice.credited += BigInt(amount);
	});
	bob.registerMoneyHandler(async (amount) => {
		sums.bob.credited += BigInt(amount);
	});
	// alice fulfills what bob forwards to her; bob forwards nothing of alice's
	const fulfillments = new Map();
	alice.registerDataHandler(async (data) => {
		const prepare = IlpPacket.deserializeIlpPrepare(data);
		const f = fulfillments.get(prepare.executionCondition.toString('hex'));
		if (!f) return IlpPacket.serializeIlpReject({ code: 'F06', triggeredBy: '', message: 'unknown condition', data: Buffer.alloc(0) });
		return IlpPacket.serializeIlpFulfill({ fulfillment: f, data: Buffer.alloc(0) });
	});
	bob.registerDataHandler(async () =>
		IlpPacket.serializeIlpReject({ code: 'F02', triggeredBy: PREFIX, message: 'no route', data: Buffer.alloc(0) }));

	await bob.connect();
	await alice.connect();

	// channels both ways: alice funds hers, bob's plugin answers with one
	await alice._accounts.get('peer').fundOutgoingChannel(aliceChannelDrops);
	await until('channels both ways', () => {
		const a = alice._accounts.get('peer');
		const b = bob._accounts.get('alice');
		return a && b && a.account.outgoing.state && b.account.outgoing.state &&
			a.account.incoming.state && b.account.incoming.state;
	});

	for (let i = 0; i < packets; i++) {
		const amount = 1 + rand(maxPacketDrops);
		if (rand(2) === 0) {
			sums.alice.sent += BigInt(amount);
			sums.alice.packets++;
			await alice.sendMoney(String(amount));
		} else {
			const fulfillment = crypto.randomBytes(32);
			const condition = crypto.createHash('sha256').update(fulfillment).digest();
			fulfillments.set(condition.toString('hex'), fulfillment);
			const reply = IlpPacket.deserializeIlpReply(await bob.sendData(IlpPacket.serializeIlpPrepare({
				amount: String(amount),
				executionCondition: condition,
				expiresAt: new Date(Date.now() + 30000),
				destination: `${PREFIX}.alice`,
				data: Buffer.alloc(0),
			})));
			if (!IlpPacket.isFulfill(reply)) throw new Error(`bob's packet ${i} was not fulfilled: ${JSON.stringify(reply)}`);
			sums.bob.sent += BigInt(amount);
			sums.bob.packets++;
		}
	}
	await until('every claim credited', () =>
		sums.bob.credited === sums.alice.sent && sums.alice.credited === sums.bob.sent, 60000);
	// and no top-up in flight: each plugin's cached channel value is the ledger's Amount
	// A top-up the last claims triggered runs as a task of the outgoing
	// channel's queue, and while it runs the claims go to a fork of the
	// channel that is written back (and persisted) only when the deposit is
	// validated: stopping the plugin before then leaves a store with the
	// old Amount and a stale claim. Wait until each queue is idle.
	await until('top-ups settled', async () => {
		for (const [p, name] of [[alice, 'peer'], [bob, 'alice']]) {
			const acct = p._accounts.get(name);
			await acct.account.outgoing.add(async (state) => state);
			if (acct.depositQueue || acct.account.outgoing.queue.length) return false;
			// and the peer learnt of it (the channelDeposit message
			// refreshes its incoming channel): both caches = the ledger
			for (const dir of ['outgoing', 'incoming']) {
				const c = acct.account[dir].state;
				const r = await rpc(ledger, 'ledger_entry', { index: c.channelId, ledger_index: 'validated' });
				if (!r.node || r.node.Amount !== c.value.toString()) return false;
			}
		}
		return true;
	}, 60000);

	await alice.disconnect();
	await bob.disconnect();
	const dumps = {};
	for (const name of ['alice', 'bob']) {
		if (redisPort) {
			await stores[name]._redis.quit();
			dumps[name] = await dumpRedis(redisPort, name);
		} else {
			dumps[name] = stores[name].dump();
		}
	}
	await alice._api.disconnect().catch(() => {});
	await bob._api.disconnect().catch(() => {});
	return { stores: dumps, sums, btpPort };
}

module.exports = { runPlugins, dumpRedis, FileStore };
