#!/usr/bin/env node
'use strict';
/*
 * The settlement driver of the demo and the end-to-end benchmark.  It runs
 * inside a network started by testnet/scripts/local-net.sh (whose
 * addresses it reads from the environment), and drives settlements both
 * ways through the connectors' control API as real traffic would ("bob
 * forwarded N drops worth of alice's packets"): connector A settles with
 * engine alice, whose claims reach engine bob, which credits connector B;
 * and the other way round.  It shows a live progress line and ends with a
 * summary: settlements per second, latency percentiles from a connector's
 * settlement request to its engine to the peer connector's credit, measured
 * on the connectors' request logs; the redemption transactions and channels
 * seen on the ledger; and the checks "credits == settlements to the drop" on
 * the connectors' books and "channel balance on the ledger == credits" after
 * the final redemption.  Exit status: 0 all OK, 1 a MISMATCH or a failed
 * settlement, 2 usage, 3 the engines never paired, 130 interrupted.
 *
 * usage: node testnet/driver/driver.js [--settlements N] [--bench]
 *        [--duration S] [--concurrency C] [--batch K] [--window W] [--rate R] [--warmup S]
 *        [--min-drops D] [--max-drops D]
 *        [--seed N] [--pair-timeout S] [--drain-timeout S]
 *        [--redeem close|wait|none] [--redeem-wait S] [--json FILE] [--quiet]
 */

const fs = require('fs');
const http = require('http');
const path = require('path');
const S = require('./stats');
const { StallProbe, stallLine } = require('./stallprobe');

let WebSocket;
try {
	WebSocket = require(path.join(__dirname, '..', 'node_modules', 'ws'));
} catch (e) {
	WebSocket = null;
}

const USAGE = `usage: driver.js [--settlements N (200)] [--bench] [--duration S (10, bench)]
       [--concurrency C (demo 4, bench 32; per direction)] [--batch K (demo 1, bench 8)]
       [--window W (64: at most W settlements requested but not yet credited
        per direction; 0 = unlimited)]
       [--rate R (open loop: R settlement requests per second per direction,
        each on its own schedule whatever the engines do; --concurrency,
        --batch and --window do not apply)]
       [--pace connector|driver (connector: with --rate, each connector
        generates its packets itself (POST /control/accounts/ID/load), as a
        real connector's traffic would; driver: one control call per packet
        from this process, which costs the shared cores about a third of one)]
       [--warmup S (bench of 15 s or more: 5; else 0): latency also over the
        settlements requested after the first S seconds] [--min-drops D (1)]
       [--max-drops D (demo 1000, bench 10)] [--seed N (1)] [--pair-timeout S (120)]
       [--drain-timeout S (60)] [--redeem close|wait|none (close)] [--redeem-wait S (60)]
       [--json FILE] [--quiet]
       [--links N (many peers, links.js: N links between the two engines,
        accounts peer-1..N on each side; --duration 0: no settlement run;
        --rate default 500 per direction, spread over the links)]
       [--restart (links: SIGTERM engine bob, restart it, time its resync)]
       [--idle S (links: each engine's CPU over S s without settlements)]
       [--pair-rate R (links: first drops per second per side, 1000)]
       [--restart-timeout S (links: 600)]
environment (local-net.sh): CONNECTOR_A_CONTROL CONNECTOR_B_CONTROL LEDGER_WS_URL
       ALICE_ADDRESS BOB_ADDRESS ENGINE_A_URL ENGINE_B_URL ENGINE_A_ACCOUNT ENGINE_B_ACCOUNT`;

function parseArgs(argv) {
	const o = {
		settlements: 200, bench: false, duration: 10, concurrency: null, batch: null, window: 64,
		rate: 0, warmup: null, pace: 'connector',
		'min-drops': 1, 'max-drops': null, seed: 1, 'pair-timeout': 120,
		'drain-timeout': 60, redeem: 'close', 'redeem-wait': 60,
		json: null, quiet: false,
		links: 0, restart: false, idle: 0, 'pair-rate': 1000, 'restart-timeout': 600,
	};
	const nums = new Set(['settlements', 'duration', 'concurrency', 'batch', 'window', 'rate', 'warmup',
			      'min-drops', 'max-drops', 'seed', 'pair-timeout',
			      'drain-timeout', 'redeem-wait', 'links', 'idle', 'pair-rate',
			      'restart-timeout']);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-h' || a === '--help') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		}
		if (a === '--bench' || a === '--quiet' || a === '--restart') {
			o[a.slice(2)] = true;
			continue;
		}
		const m = a.match(/^--([a-z-]+)$/);
		if (!m || !(m[1] in o) || i + 1 >= argv.length)
			throw new Error(`bad argument ${a}`);
		let v = argv[++i];
		if (nums.has(m[1])) {
			if (!/^[0-9]+$/.test(v))
				throw new Error(`--${m[1]} must be a whole number`);
			v = Number(v);
		}
		o[m[1]] = v;
	}
	if (!['connector', 'driver'].includes(o.pace))
		throw new Error('--pace connector|driver');
	if (!['close', 'wait', 'none'].includes(o.redeem))
		throw new Error('--redeem close|wait|none');
	if (o.links) {
		/* links.js: the connectors pace the load, one open loop per
		 * side spread over the links */
		if (o.links > 100000 || o.redeem === 'wait')
			throw new Error('--links at most 100000, with --redeem close|none');
		if (!o.rate)
			o.rate = 500;
		if (o['max-drops'] === null)
			o['max-drops'] = 10;
		return o;
	}
	if (o.restart || o.idle)
		throw new Error('--restart and --idle need --links');
	if (o.concurrency === null)
		o.concurrency = o.bench ? 32 : 4;
	if (o.batch === null)
		o.batch = o.bench && !o.rate ? 8 : 1;
	/* bench: latency also without the first seconds (JIT warm-up of the
	 * Node.js stand-ins, connection pools growing), when the run is long
	 * enough for that to leave most of it */
	if (o.warmup === null)
		o.warmup = o.bench && o.duration >= 15 ? 5 : 0;
	if (o.warmup && o.warmup * 2 > o.duration)
		throw new Error('--warmup must be at most half of --duration');
	if (o.rate && (o.rate > 100000 || !o.bench))
		throw new Error('--rate needs --bench and at most 100000');
	if (o['max-drops'] === null)
		o['max-drops'] = o.bench ? 10 : 1000;
	if (o['min-drops'] < 1 || o['max-drops'] < o['min-drops'] ||
	    o.concurrency < 1 || o.batch < 1 || o.batch > 10000 || (!o.bench && o.settlements < 1) ||
	    (o.bench && o.duration < 1))
		throw new Error('need 1 <= min-drops <= max-drops, concurrency >= 1, settlements/duration >= 1');
	return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/* One keep-alive agent for every control call: the driver shares the two
 * cores with what it measures, so it should cost as little as it can
 * (http.request is several times cheaper than fetch here). */
const AGENT = new http.Agent({ keepAlive: true, maxSockets: 512 });

/* Resolves the JSON answer, or {json, headers} with withHeaders.  A call
 * on a kept-alive socket that the connector closed as idle just before
 * (its keep-alive timeout, 5 s, is the period of the driver's progress
 * polls) ends in ECONNRESET before the connector read it: that one is
 * made again, on a new socket, once (Node's documented answer to this
 * race, `request.reusedSocket`). */
function call(url, method = 'GET', body, withHeaders = false, again = true) {
	const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
	return new Promise((resolve, reject) => {
		const req = http.request(url, {
			method, agent: AGENT,
			headers: payload ? { 'content-type': 'application/json',
					     'content-length': payload.length } : {},
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('error', reject);
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json = null;
				try {
					json = JSON.parse(text);
				} catch (e) { /* not JSON */ }
				if (res.statusCode >= 300)
					reject(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 200)}`));
				else
					resolve(withHeaders ? { json, headers: res.headers } : json);
			});
		});
		req.on('error', (e) => {
			if (again && req.reusedSocket && e.code === 'ECONNRESET')
				call(url, method, body, withHeaders, false).then(resolve, reject);
			else
				reject(e);
		});
		req.end(payload || undefined);
	});
}

/* ---------- the engines' own share: GET /metrics ---------- */

/* The engines' histograms of a settlement's stages (src/api/metrics.c),
 * in the order of the path; `per` says what one observation is. */
const STAGES = [
	{ name: 'settlement_answer_seconds', label: 'settlement request read -> acknowledged (payer)',
	  per: 'settlement', sum: true },
	{ name: 'settlement_handoff_seconds', label: '(a) acknowledged -> claim handed to the connector',
	  per: 'settlement', sum: true },
	{ name: 'claim_round_trip_seconds', label: '(b) claim sent -> claim_reply (payer\'s view)',
	  per: 'claim', sum: false },
	{ name: 'message_answer_seconds', label: '(b\') within (b): peer message read -> answered',
	  per: 'message', sum: false },
	{ name: 'claim_credit_seconds', label: '(c) claim read -> credit 2xx recorded (payee)',
	  per: 'credit', sum: true },
	/* Not stages: the loop serves nothing else meanwhile, so their
	 * tails are a floor under the settlements'. */
	{ name: 'tick_seconds', label: 'the periodic tick, each slice (not a stage)',
	  per: 'tick', sum: false, stage: false },
	{ name: 'store_commit_seconds', label: 'the group commit, fsync included (not a stage)',
	  per: 'commit', sum: false, stage: false },
];

/* The stage histograms of each engine URL (null where unreachable). */
function scrapeEngines(urls) {
	return Promise.all(urls.map((u) => new Promise((resolve) => {
		http.get(`${u}/metrics`, { agent: AGENT }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('error', () => resolve(null));
			res.on('end', () => resolve(res.statusCode === 200 ?
				S.parseHistograms(Buffer.concat(chunks).toString('utf8'),
						  STAGES.map((s) => s.name)) : null));
		}).on('error', () => resolve(null));
	})));
}

/* What the histograms `after` counted since `before` (one per process,
 * null where unreachable), merged: {n, meanMs, p50Ms, p99Ms}, or null when
 * nothing was counted. */
function summary(before, after) {
	const h = S.histMerge(after.map((a, i) => a && S.histDelta(a, before[i])));
	if (!h || !h.count)
		return null;
	return { n: h.count, meanMs: (h.sum / h.count) * 1000,
		 p50Ms: S.histQuantile(h, 0.5) * 1000, p99Ms: S.histQuantile(h, 0.99) * 1000 };
}

/* A table row: label, n, mean, p50, p99. */
function row(label, x) {
	return `  ${label.padEnd(52)} ${String(x.n).padStart(7)} ${S.ms(x.meanMs).padStart(9)} ` +
		`${S.ms(x.p50Ms).padStart(9)} ${S.ms(x.p99Ms).padStart(9)}`;
}

/* Lines (and JSON) of the engines' share of e2eMean (ms): each stage
 * counted by both engines between the scrapes before and after. */
function breakdown(before, after, e2eMean) {
	const lines = [];
	const json = {};
	let engines = 0;
	lines.push(`  ${'stage (both engines)'.padEnd(52)} ${'n'.padStart(7)} ${'mean'.padStart(9)} ` +
		   `${'p50'.padStart(9)} ${'p99'.padStart(9)}  share of e2e mean`);
	for (const st of STAGES) {
		const x = summary(before.map((b) => b && b[st.name]), after.map((a) => a && a[st.name]));
		if (!x) {
			lines.push(`  ${st.label.padEnd(52)} ${'-'.padStart(7)}`);
			continue;
		}
		const share = e2eMean && st.stage !== false ? x.meanMs / e2eMean : null;
		if (st.sum)
			engines += x.meanMs;
		json[st.name] = { n: x.n, per: st.per, meanMs: x.meanMs, p50Ms: x.p50Ms, p99Ms: x.p99Ms, share };
		lines.push(`${row(st.label, x)}  ` +
			   `${share === null ? '-' : (share * 100).toFixed(0) + ' %'}` +
			   `${st.per === 'settlement' ? '' : ' (per ' + st.per + ')'}`);
	}
	if (e2eMean) {
		const rest = e2eMean - engines;
		json.rest = { meanMs: rest, share: rest / e2eMean };
		lines.push(`  ${'the rest: the stand-ins (e2e mean - answer - a - c)'.padEnd(52)} ${''.padStart(7)} ` +
			   `${S.ms(rest).padStart(9)} ${''.padStart(19)}  ${(rest / e2eMean * 100).toFixed(0)} %`);
	}
	return { lines, json };
}

/* ---------- the stand-ins' own share: GET /control/timings ---------- */

/* The connectors' hops (testnet/connector/timings.js), in the order of a
 * claim's way: the payer's connector takes its engine's message and calls
 * the peer connector, which takes the peer hop and calls its engine. */
const HOPS = [
	{ name: 'messages', label: "payer's connector: engine's message in -> answered" },
	{ name: 'call peer', label: '  its call to the peer connector' },
	{ name: 'peer', label: "payee's connector: peer hop in -> answered" },
	{ name: 'call engine messages', label: '  its call to its engine (b\' and the HTTP)' },
	{ name: 'settlements', label: "payee's connector: its engine's credit -> answered" },
	{ name: 'call engine settlements', label: "payer's connector: its settlement call to its engine" },
];

/* Each connector's timings (null where unreachable); reset: their loop
 * delay and collections start over after this answer. */
function scrapeConnectors(controls, reset) {
	return Promise.all(controls.map((c) =>
		call(`${c}/timings${reset ? '?reset=1' : ''}`).catch(() => null)));
}

/* Lines (and JSON) of the stand-ins' hops between two scrapes, both
 * connectors together, and each one's loop delay and collections. */
function standIns(before, after) {
	const lines = [];
	const json = { hops: {}, connectors: [] };
	const hist = (t, k) => {
		const h = t && t.hops[k];
		return h && { buckets: h.buckets.map((x) => ({ le: Number(x.le), n: x.n })),
			      sum: h.sum, count: h.count };
	};
	lines.push(`  ${'stand-ins (both connectors)'.padEnd(52)} ${'n'.padStart(7)} ${'mean'.padStart(9)} ` +
		   `${'p50'.padStart(9)} ${'p99'.padStart(9)}`);
	for (const hop of HOPS) {
		const x = summary(before.map((b) => hist(b, hop.name)),
				  after.map((a) => hist(a, hop.name)));
		if (!x)
			continue;
		json.hops[hop.name] = x;
		lines.push(row(hop.label, x));
	}
	after.forEach((a, i) => {
		if (!a)
			return;
		const name = 'AB'[i] || String(i);
		json.connectors.push(Object.assign({ name }, a.loop, { gc: a.gc }));
		lines.push(`  connector ${name}: event loop delay p50 ${S.ms(a.loop.p50Ms)}, p99 ${S.ms(a.loop.p99Ms)}, ` +
			   `max ${S.ms(a.loop.maxMs)}; ${a.gc.count} garbage collections, ${S.ms(a.gc.ms)} in all, ` +
			   `longest ${S.ms(a.gc.maxMs)}`);
	});
	return { lines, json };
}

/* ---------- the ledger: tx stream and channels ---------- */

class Ledger {
	constructor(url, accounts) {
		this.url = url;
		this.accounts = accounts;
		this.channels = new Map(); /* id -> {account, destination, amount, balance, expiration, deleted} */
		this.txs = []; /* {type, account, result, redeem, close} */
		this.pending = new Map();
		this.nextId = 1;
	}

	async open() {
		if (!WebSocket)
			throw new Error('testnet/node_modules/ws missing: run scripts/install-deps');
		this.ws = new WebSocket(this.url);
		await new Promise((res, rej) => {
			this.ws.once('open', res);
			this.ws.once('error', rej);
		});
		this.ws.on('message', (d) => this._message(JSON.parse(d.toString())));
		this.ws.on('error', () => {});
		this.ws.on('close', () => {
			this.closed = true;
			for (const p of this.pending.values())
				p.rej(new Error('ledger connection closed'));
			this.pending.clear();
		});
		await this.rpc({ command: 'subscribe', accounts: this.accounts });
		for (const a of this.accounts)
			await this.refresh(a);
	}

	rpc(req) {
		const id = this.nextId++;
		if (this.closed)
			return Promise.reject(new Error('ledger connection closed'));
		return new Promise((res, rej) => {
			this.pending.set(id, { res, rej });
			this.ws.send(JSON.stringify(Object.assign({ id }, req)));
		});
	}

	_message(m) {
		if (m.type === 'response' || m.id !== undefined && this.pending.has(m.id)) {
			const p = this.pending.get(m.id);
			this.pending.delete(m.id);
			if (p)
				(m.status === 'success' ? p.res : p.rej)(m.status === 'success' ? m.result : new Error(m.error_message || m.error));
			return;
		}
		if (m.type !== 'transaction' || !m.validated)
			return;
		const tx = m.transaction || m.tx_json || {};
		const meta = m.meta || {};
		const rec = {
			type: tx.TransactionType, account: tx.Account,
			result: meta.TransactionResult || m.engine_result,
			redeem: tx.TransactionType === 'PaymentChannelClaim' &&
				tx.Balance !== undefined,
			close: tx.TransactionType === 'PaymentChannelClaim' &&
				((Number(tx.Flags || 0) & 0x00020000) !== 0),
			hash: m.hash || tx.hash,
		};
		if (this.txs.some((x) => x.hash && x.hash === rec.hash))
			return;
		this.txs.push(rec);
		for (const n of meta.AffectedNodes || []) {
			const node = n.CreatedNode || n.ModifiedNode || n.DeletedNode;
			if (!node || node.LedgerEntryType !== 'PayChannel')
				continue;
			const f = node.NewFields || node.FinalFields || {};
			this._update(node.LedgerIndex, {
				account: f.Account, destination: f.Destination,
				amount: f.Amount !== undefined ? BigInt(f.Amount) : undefined,
				balance: f.Balance !== undefined ? BigInt(f.Balance) : undefined,
				expiration: f.Expiration, deleted: !!n.DeletedNode,
			});
		}
		/* A successful claim proves the channel paid at least its
		 * Balance, whatever the metadata of a channel it also closed
		 * shows. */
		if (rec.redeem && rec.result === 'tesSUCCESS' && tx.Channel)
			this._update(String(tx.Channel).toUpperCase(), { balance: BigInt(tx.Balance) });
	}

	/* Merges what is known of a channel; its balance only grows. */
	_update(id, f) {
		const ch = this.channels.get(id) || { balance: 0n, deleted: false };
		for (const k of ['account', 'destination', 'amount', 'expiration'])
			if (f[k] !== undefined)
				ch[k] = f[k];
		if (f.balance !== undefined && f.balance > ch.balance)
			ch.balance = f.balance;
		ch.deleted = ch.deleted || !!f.deleted;
		this.channels.set(id, ch);
	}

	async refresh(account) {
		const r = await this.rpc({ command: 'account_channels', account,
					   ledger_index: 'validated' });
		for (const c of r.channels || [])
			this._update(c.channel_id, {
				account: c.account, destination: c.destination_account,
				amount: BigInt(c.amount), balance: BigInt(c.balance),
				expiration: c.expiration,
			});
	}

	/* Channels from `from` to `to`, live first. */
	between(from, to) {
		return [...this.channels.entries()]
			.filter(([, c]) => c.account === from && c.destination === to)
			.map(([id, c]) => Object.assign({ id }, c));
	}

	count(pred) {
		return this.txs.filter(pred).length;
	}

	close() {
		if (this.ws)
			this.ws.terminate();
	}
}

/* ---------- one connector's request log, read incrementally ---------- */

class LogReader {
	constructor(control) {
		this.control = control;
		this.sinceOf = {};
		this.seen = new Set();
		this.settlements = new Map(); /* key -> {t, amount, scale, status} */
		this.credits = []; /* {t, amount, scale, key} */
		this.creditSum = 0n; /* common scale */
	}

	/* Reads new entries of the engine-settlements (out) and settlements
	 * (in) log routes, or of settlements alone with creditsOnly (cheap
	 * enough to run every 20 ms under load: engine-settlements entries
	 * stay in progress until the engine answers, and each poll reads
	 * everything from the oldest one in progress again); entries still in
	 * progress are read again next time.  Each route set has its own
	 * position in the log. */
	async poll(creditsOnly = false) {
		const routes = creditsOnly ? 'settlements' : 'engine-settlements,settlements';
		const since = this.sinceOf[routes] || 0;
		const r = await call(`${this.control}/log?since=${since}&route=${routes}`,
				     'GET', undefined, true);
		const entries = r.json;
		/* the connector keeps its last --log-max entries: ones this
		 * reader had not seen yet would be missing from the books */
		const dropped = Number(r.headers['log-dropped-through'] || 0);
		if (dropped > since)
			throw new Error(`${this.control}: the connector dropped log entries up to ` +
					`#${dropped} before they were read (from #${since + 1}); ` +
					'raise its --log-max');
		let done = true;
		for (const e of entries) {
			const finished = e.status !== undefined || e.fault || e.error;
			if (!finished) {
				done = false;
				continue;
			}
			if (done)
				this.sinceOf[routes] = e.seq;
			if (this.seen.has(e.seq))
				continue;
			this.seen.add(e.seq);
			let body = null;
			try {
				body = JSON.parse(e.body);
			} catch (x) { /* not JSON */ }
			const key = e.headers && e.headers['idempotency-key'];
			if (e.route === 'engine-settlements' && e.dir === 'out' && body) {
				const prev = this.settlements.get(key);
				const ok = e.status >= 200 && e.status < 300;
				if (!prev)
					this.settlements.set(key, { t: e.t, amount: BigInt(body.amount),
								     scale: body.scale, ok });
				else if (ok)
					prev.ok = true;
			} else if (e.route === 'settlements' && e.dir === 'in' &&
				   e.credited !== undefined && !e.replay && body) {
				this.credits.push({ t: e.t, amount: BigInt(body.amount),
						    scale: body.scale, key });
				this.creditSum += S.toCommon(body.amount, body.scale);
			}
		}
		if (this.seen.size > 200000)
			for (const s of this.seen)
				if (s <= Math.min(...Object.values(this.sinceOf)))
					this.seen.delete(s);
	}
}

/* ---------- a direction: payer connector account -> payee ---------- */

class Direction {
	constructor(label, payer, payee) {
		this.label = label; /* "alice→bob" */
		this.payer = payer; /* {control, account, log} */
		this.payee = payee;
		this.issued = 0;
		this.failed = 0;
		this.done = 0; /* settlement requests answered 2xx (the pairing drop included) */
		this.cumIssued = []; /* cumulative requested amounts (common scale) */
		this.warmKeys = new Set(); /* the pairing drops' keys: no latency sample */
	}

	/* Requested here but not yet covered by the payee's credits (the
	 * pairing drop included). */
	outstanding() {
		const c = this.payee.log.creditSum;
		let lo = 0;
		let hi = this.cumIssued.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (this.cumIssued[mid] <= c)
				lo = mid + 1;
			else
				hi = mid;
		}
		return this.cumIssued.length - lo;
	}

	request(amount, count) {
		let cum = this.cumIssued.length ? this.cumIssued[this.cumIssued.length - 1] : 0n;
		for (let i = 0; i < count; i++) {
			cum += amount;
			this.cumIssued.push(cum);
		}
	}

	settled() {
		let n = 0;
		let sum = 0n;
		for (const s of this.payer.log.settlements.values())
			if (s.ok) {
				n++;
				sum += S.toCommon(s.amount, s.scale);
			}
		return { n, sum };
	}

	credited() {
		let sum = 0n;
		for (const c of this.payee.log.credits)
			sum += S.toCommon(c.amount, c.scale);
		return { n: this.payee.log.credits.length, sum };
	}

	/* Latencies of the settlements requested from `from` on (epoch ms;
	 * the earlier ones still count for the pairing with credits). */
	latency(from = 0) {
		const set = [];
		for (const [key, s] of this.payer.log.settlements)
			if (s.ok)
				set.push({ t: s.t, amount: S.toCommon(s.amount, s.scale),
					   sample: !this.warmKeys.has(key) && s.t >= from });
		const cr = this.payee.log.credits.map((c) => ({
			t: c.t, amount: S.toCommon(c.amount, c.scale) }));
		return S.pairLatencies(set, cr);
	}
}

/* ---------- the run ---------- */

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`driver: ${e.message}\n${USAGE}\n`);
		process.exit(2);
	}
	const env = process.env;
	for (const k of ['CONNECTOR_A_CONTROL', 'CONNECTOR_B_CONTROL', 'LEDGER_WS_URL',
			 'ALICE_ADDRESS', 'BOB_ADDRESS'])
		if (!env[k]) {
			process.stderr.write(`driver: ${k} is not set (run me under testnet/scripts/local-net.sh --run)\n`);
			process.exit(2);
		}
	const tty = process.stdout.isTTY && !o.quiet;
	const say = (s) => process.stdout.write(`${tty ? '\r\x1b[K' : ''}${s}\n`);
	let stopping = false;
	let interrupted = false;
	process.on('SIGINT', () => {
		if (interrupted)
			process.exit(130);
		interrupted = stopping = true;
		say('driver: interrupted; summary of what ran so far (Ctrl-C again to quit at once)');
	});
	process.on('SIGTERM', () => { interrupted = stopping = true; });

	if (o.links) {
		const r = await require('./links').run(o, env, { call, Ledger, say, scrapeEngines, breakdown,
									scrapeConnectors, standIns });
		process.exit(r.code);
	}

	const A = { control: env.CONNECTOR_A_CONTROL, account: 'b', log: new LogReader(env.CONNECTOR_A_CONTROL) };
	const B = { control: env.CONNECTOR_B_CONTROL, account: 'a', log: new LogReader(env.CONNECTOR_B_CONTROL) };
	const ab = new Direction('alice→bob', A, B);
	const ba = new Direction('bob→alice', B, A);
	const dirs = [ab, ba];

	/* each packets call settles exactly its amount */
	for (const side of [A, B]) {
		const acct = await call(`${side.control}/accounts/${side.account}`);
		side.scale = acct.scale;
		side.flavor = (await call(`${side.control}/health`)).flavor;
		await call(`${side.control}/accounts/${side.account}/config`, 'POST',
			   { threshold: '1', settleTo: '0' });
	}
	const ledger = new Ledger(env.LEDGER_WS_URL, [env.ALICE_ADDRESS, env.BOB_ADDRESS]);
	await ledger.open();
	say(`driver: connector A (${A.flavor}, scale ${A.scale}) fronts alice ${env.ALICE_ADDRESS}; ` +
	    `connector B (${B.flavor}, scale ${B.scale}) fronts bob ${env.BOB_ADDRESS}`);

	/* `count` packets of `drops` each, every one settling on its own */
	const pay = async (d, drops, warm, count = 1) => {
		d.request(S.toCommon(drops, 6), count);
		const r = await call(`${d.payer.control}/accounts/${d.payer.account}/packets`, 'POST', {
			amount: S.dropsToUnits(drops, d.payer.scale).toString(),
			count, wait: true, brief: true,
		});
		const all = r.settlements || (r.settlement ? [r.settlement] : []);
		const ok = all.filter((s) => s.state === 'done').length;
		d.failed += count - ok;
		d.done += ok;
		if (warm)
			for (const s of all)
				if (s.attempts && s.attempts[0])
					d.warmKeys.add(s.attempts[0].key);
		return all;
	};
	const pollAll = () => Promise.all([A.log.poll(), B.log.poll()]);
	const pollCredits = () => Promise.all([A.log.poll(true), B.log.poll(true)]);

	/* 1. pairing: one drop each way must arrive as a credit */
	const t0 = now();
	say('driver: waiting for the engines to pair and carry a first claim each way...');
	await Promise.all(dirs.map((d) => pay(d, 1n, true)));
	for (;;) {
		await pollAll();
		if (dirs.every((d) => d.credited().sum > 0n && d.credited().sum >= d.settled().sum))
			break;
		if (stopping || now() - t0 > o['pair-timeout'] * 1000) {
			say(`driver: ${stopping ? 'interrupted' : 'no credit after ' + o['pair-timeout'] + ' s'} while pairing: ` +
			    dirs.map((d) => `${d.label} settled ${d.settled().n} credited ${d.credited().n}`).join(', '));
			ledger.close();
			process.exit(stopping ? 130 : 3);
		}
		await sleep(100);
	}
	say(`driver: paired; first claims credited both ways after ${S.ms(now() - t0)}`);

	/* 2. traffic, with a progress line */
	const next = S.amounts(o.seed, o['min-drops'], o['max-drops']);
	const tStart = now();
	/* the machine's own stalls over the measured window */
	const probe = o.bench ? sleep(o.warmup * 1000).then(() => new StallProbe().start()) : null;
	/* the engines' counters when the measured window opens */
	const engineUrls = [env.ENGINE_A_URL, env.ENGINE_B_URL].filter(Boolean);
	const metricsBefore = o.bench && engineUrls.length ?
		sleep(o.warmup * 1000).then(() => scrapeEngines(engineUrls)) : null;
	const controls = [A.control, B.control];
	const timingsBefore = metricsBefore ?
		sleep(o.warmup * 1000).then(() => scrapeConnectors(controls, true)) : null;
	const tEnd = tStart + o.duration * 1000;
	const more = (d) => !stopping && (o.bench ? now() < tEnd : d.issued < o.settlements);
	const worker = async (d) => {
		while (more(d)) {
			const k = o.bench ? o.batch : Math.min(o.batch, o.settlements - d.issued);
			/* a bounded backlog (settlement requests are answered
			 * before the claim travels), so the figures are the
			 * throughput the engines sustain at bounded latency */
			while (o.window && d.outstanding() + k > o.window && more(d))
				await sleep(2);
			if (!more(d))
				break;
			d.issued += k;
			try {
				await pay(d, next(), false, k);
			} catch (e) {
				d.failed += k;
				say(`driver: ${d.label}: ${e.message}`);
				await sleep(200);
			}
		}
	};
	let last = { t: tStart, n: 0 };
	let rate = 0;
	const progress = () => {
		const parts = dirs.map((d) => {
			const cr = d.credited();
			return `${d.label} ${d.done - 1}${o.bench ? '' : '/' + o.settlements} settled, ${cr.n} credits`;
		});
		const n = dirs.reduce((a, d) => a + d.done, 0);
		const t = now();
		if (t - last.t >= 900) {
			rate = (n - last.n) / ((t - last.t) / 1000);
			last = { t, n };
		}
		const line = `${parts.join(' | ')} | ${rate.toFixed(0)}/s | ledger: ` +
			`${ledger.count((x) => x.type === 'PaymentChannelCreate')} opened, ` +
			`${ledger.count((x) => x.redeem && x.result === 'tesSUCCESS')} redeemed`;
		if (tty)
			process.stdout.write(`\r\x1b[K${line}`);
		else if (!o.quiet)
			process.stdout.write(`${line}\n`);
	};
	let polling = true;
	let lost = null; /* a log gap: the figures would be wrong */
	const poller = (async () => {
		let lastPrint = 0;
		let n = 0;
		/* The connectors time every entry themselves, so polling
		 * only moves the progress line and, driver-paced with a
		 * --window, the backlog bound: credits alone every 20 ms
		 * (cheap) then, settlement requests too every 0.5 s so the
		 * connectors need only keep a bounded log.  Paced by the
		 * connectors nothing waits on it: everything every 0.25 s. */
		const lazy = o.rate && o.pace === 'connector';
		while (polling) {
			try {
				await (lazy || ++n % 25 === 0 ? pollAll() : pollCredits());
			} catch (e) {
				say(`driver: log poll: ${e.message}`);
				if (/dropped log entries/.test(e.message))
					lost = e.message;
			}
			if (now() - lastPrint >= (tty ? 250 : 2000)) {
				progress();
				lastPrint = now();
			}
			await sleep(lazy ? 250 : o.bench ? 20 : 100);
		}
	})();
	/* open loop: request i of a direction is due at tStart + i / rate,
	 * sent when due whether or not earlier ones were answered, so a slow
	 * engine shows as latency, never as a lower offered rate */
	const paced = async (d) => {
		const inflight = new Set();
		const total = o.rate * o.duration; /* exactly: late is not fewer */
		let i = 0;
		while (!stopping && i < total) {
			const due = tStart + (i * 1000) / o.rate;
			if (due > now()) {
				await sleep(Math.max(0, Math.min(5, due - now())));
				continue;
			}
			i++;
			d.issued++;
			const p = pay(d, next(), false, 1).catch((e) => {
				d.failed++;
				say(`driver: ${d.label}: ${e.message}`);
			}).finally(() => inflight.delete(p));
			inflight.add(p);
		}
		await Promise.all([...inflight]);
	};
	/* open loop in the payer connector itself: the whole schedule is
	 * handed over at once, then only its counters are read */
	const connectorPaced = async (d) => {
		const total = o.rate * o.duration;
		const amounts = [];
		for (let i = 0; i < total; i++) {
			const drops = next();
			d.request(S.toCommon(drops, 6), 1);
			amounts.push(S.dropsToUnits(drops, d.payer.scale).toString());
		}
		const url = `${d.payer.control}/accounts/${d.payer.account}/load`;
		const done0 = d.done; /* the pairing drop */
		const failed0 = d.failed;
		await call(url, 'POST', { rate: o.rate, amounts });
		d.issued += total;
		for (;;) {
			const L = await call(url);
			d.done = done0 + L.done;
			d.failed = failed0 + L.failed;
			d.maxLateMs = L.maxLateMs;
			if (!L.running && L.done + L.failed >= L.sent)
				return;
			if (stopping)
				return; /* the connector finishes its schedule */
			await sleep(100);
		}
	};
	const workers = [];
	for (const d of dirs)
		if (o.rate && o.pace === 'connector')
			workers.push(connectorPaced(d));
		else if (o.rate)
			workers.push(paced(d));
		else
			for (let i = 0; i < o.concurrency; i++)
				workers.push(worker(d));
	await Promise.all(workers);
	const tIssued = now();

	/* 3. drain: every settled drop credited */
	const drainEnd = now() + o['drain-timeout'] * 1000;
	for (;;) {
		await pollAll();
		if (dirs.every((d) => d.credited().sum >= d.settled().sum))
			break;
		if (now() > drainEnd || (interrupted && now() > tIssued + 3000))
			break;
		await sleep(100);
	}
	polling = false;
	await poller;
	const machine = probe ? await (await probe).stop() : null;
	const metricsAfter = metricsBefore ? await scrapeEngines(engineUrls) : null;
	const timingsAfter = timingsBefore ? await scrapeConnectors(controls, false) : null;
	progress();
	if (tty)
		process.stdout.write('\n');

	/* 4. books, from the connectors' own account state */
	const books = {};
	for (const d of dirs) {
		let payer;
		let payee;
		try {
			payer = await call(`${d.payer.control}/accounts/${d.payer.account}`);
			payee = await call(`${d.payee.control}/accounts/${d.payee.account}`);
		} catch (e) {
			/* a connector is gone (e.g. stopped by the Ctrl-C): use
			 * what its request log showed */
			say(`driver: ${e.message}; books from the request logs`);
			books[d.label] = { settled: d.settled().sum, credited: d.credited().sum,
					   refunded: 0, pending: 0, n: d.settled().n };
			continue;
		}
		let settled = 0n;
		let refunded = 0;
		for (const s of payer.settlements) {
			if (s.state === 'done')
				settled += S.toCommon(s.committed !== null ? s.committed : s.amount, s.scale);
			else if (s.state === 'refunded')
				refunded++;
		}
		/* the payee's books: units credited at its account scale */
		const credited = S.toCommon(payee.credited, payee.scale);
		const pending = payer.settlements.filter((s) => s.state === 'pending').length;
		books[d.label] = { settled, credited, refunded, pending,
				   n: payer.settlements.length };
	}

	/* 5. the ledger: final redemption and channel balances */
	const accountsOf = [[ab, env.ENGINE_B_URL, env.ENGINE_B_ACCOUNT],
			    [ba, env.ENGINE_A_URL, env.ENGINE_A_ACCOUNT]];
	if (o.redeem === 'close' && !interrupted) {
		say('driver: closing the link: DELETE /accounts/:id on both engines (each redeems what it holds)');
		for (const [, url, id] of accountsOf)
			if (url && id)
				try {
					await fetch(`${url}/accounts/${encodeURIComponent(id)}`, { method: 'DELETE' });
				} catch (e) {
					say(`driver: DELETE on ${url}: ${e.message}`);
				}
	}
	const redeemedOf = (d) => {
		const [from, to] = d === ab ? [env.ALICE_ADDRESS, env.BOB_ADDRESS] :
			[env.BOB_ADDRESS, env.ALICE_ADDRESS];
		const chans = ledger.between(from, to);
		return { chans, redeemed: chans.reduce((a, c) => a + (c.balance || 0n), 0n),
			 amount: chans.reduce((a, c) => a + (c.amount || 0n), 0n) };
	};
	const creditedDrops = (d) => S.commonToDrops(books[d.label].credited).drops;
	if (o.redeem !== 'none' && !interrupted) {
		say(`driver: waiting up to ${o['redeem-wait']} s for the ledger to show every credited drop redeemed...`);
		const end = now() + o['redeem-wait'] * 1000;
		while (now() < end && !stopping) {
			if (dirs.every((d) => redeemedOf(d).redeemed >= creditedDrops(d)))
				break;
			await sleep(250);
		}
	}
	for (const a of [env.ALICE_ADDRESS, env.BOB_ADDRESS])
		try {
			await ledger.refresh(a);
		} catch (e) { /* reported through the checks */ }

	/* 6. summary */
	let ok = true;
	const lines = [];
	const out = { mode: o.bench ? 'bench' : 'demo', flavors: { a: A.flavor, b: B.flavor },
		      concurrency: o.concurrency, batch: o.batch, window: o.window, rate: o.rate,
		      directions: {} };
	lines.push('');
	lines.push(`== xrpse ${o.bench ? 'benchmark' : 'demo'} summary ==`);
	let total = 0;
	const allLat = [];
	const steadyLat = [];
	let lastCredit = tStart;
	for (const d of dirs) {
		const b = books[d.label];
		const n = b.n - 1; /* without the pairing drop */
		total += Math.max(0, d.settled().n - 1);
		const lat = d.latency();
		allLat.push(...lat.latencies);
		if (o.warmup)
			steadyLat.push(...d.latency(tStart + o.warmup * 1000).latencies);
		for (const c of d.payee.log.credits)
			if (c.t > lastCredit)
				lastCredit = c.t;
		const sd = S.commonToDrops(b.settled);
		const cd = S.commonToDrops(b.credited);
		const match = b.settled === b.credited;
		const fine = match && b.refunded === 0 && b.pending === 0 && d.failed === 0;
		ok = ok && fine;
		lines.push(`${d.label.padEnd(10)} ${n} settlements (+1 pairing drop), ${b.refunded} refunded, ` +
			   `${b.pending} pending; settled ${S.group(sd.drops)} drops, credited ` +
			   `${S.group(cd.drops)} drops${sd.rest || cd.rest ? ' (+ sub-drop remainders)' : ''}  ` +
			   `${match ? 'OK' : 'MISMATCH'}`);
		out.directions[d.label] = {
			settlements: n, refunded: b.refunded, pending: b.pending,
			failed: d.failed, settledDrops: sd.drops.toString(),
			creditedDrops: cd.drops.toString(), booksMatch: match,
			p50: S.percentile(lat.latencies, 50), p99: S.percentile(lat.latencies, 99),
		};
	}
	const secs = Math.max(1e-3, (lastCredit - tStart) / 1000);
	const tput = total / secs;
	const p = (q) => S.percentile(allLat, q);
	lines.push(`throughput  ${tput.toFixed(1)} settlements/s (${total} both ways, first request to last credit ` +
		   `${secs.toFixed(2)} s, ` +
		   (o.rate ? `open loop at ${o.rate}/s per direction, paced by the ` +
		    (o.pace === 'connector' ? `connectors (latest packet ` +
		     `${S.ms(Math.max(...dirs.map((d) => d.maxLateMs || 0)))} behind schedule))` :
		     'driver)') :
		    `concurrency ${o.concurrency}x${o.batch}` +
		    `${o.window ? ', window ' + o.window : ''} per direction)`));
	lines.push(`latency     p50 ${S.ms(p(50))}  p90 ${S.ms(p(90))}  p99 ${S.ms(p(99))}  max ${S.ms(p(100))}  ` +
		   `(n=${allLat.length}; connector settlement request -> peer connector credit)`);
	out.throughput = tput;
	out.pace = o.rate ? o.pace : null;
	out.latencyMs = { p50: p(50), p90: p(90), p99: p(99), max: p(100), n: allLat.length };
	if (o.warmup) {
		const q = (x) => S.percentile(steadyLat, x);
		lines.push(`  after ${o.warmup} s p50 ${S.ms(q(50))}  p90 ${S.ms(q(90))}  p99 ${S.ms(q(99))}  max ${S.ms(q(100))}  ` +
			   `(n=${steadyLat.length}; settlements requested after the first ${o.warmup} s)`);
		out.steadyLatencyMs = { warmup: o.warmup, p50: q(50), p90: q(90), p99: q(99), max: q(100),
					n: steadyLat.length };
	}
	if (machine) {
		lines.push(stallLine(machine));
		out.machine = machine;
	}
	if (metricsAfter) {
		const lat = o.warmup ? steadyLat : allLat;
		const mean = lat.length ? lat.reduce((a, x) => a + x, 0) / lat.length : null;
		const b = breakdown(await metricsBefore, metricsAfter, mean);
		lines.push(`engines     their share of the end-to-end mean ${S.ms(mean)} (GET /metrics of both, ` +
			   `${o.warmup ? 'after the first ' + o.warmup + ' s' : 'the whole run'} to the last credit):`);
		lines.push(...b.lines);
		out.engines = Object.assign({ e2eMeanMs: mean }, b.json);
		const t = standIns(await timingsBefore, timingsAfter);
		lines.push(...t.lines);
		out.standIns = t.json;
	}
	const creates = ledger.count((x) => x.type === 'PaymentChannelCreate' && x.result === 'tesSUCCESS');
	const funds = ledger.count((x) => x.type === 'PaymentChannelFund' && x.result === 'tesSUCCESS');
	const redeems = ledger.count((x) => x.redeem && x.result === 'tesSUCCESS');
	const failedTx = ledger.count((x) => x.result && x.result !== 'tesSUCCESS');
	/* a failed transaction cost a fee for nothing: the engines must not
	 * send one in this run (pairing, paying, redeeming, closing) */
	lines.push(`ledger      ${creates} channel(s) opened, ${funds} top-up(s), ${redeems} claim(s) redeemed, ` +
		   `${failedTx} failed transaction(s)${failedTx ? '  MISMATCH' : ''}`);
	ok = ok && failedTx === 0;
	if (lost) {
		lines.push(`log         ${lost}  MISMATCH`);
		ok = false;
	}
	out.ledger = { creates, funds, redeems, failedTx, channels: {} };
	for (const d of dirs) {
		const r = redeemedOf(d);
		const cd = creditedDrops(d);
		const covered = r.amount >= cd;
		const match = r.redeemed === cd;
		let verdict = '';
		if (o.redeem !== 'none' && !interrupted) {
			verdict = match && covered ? 'OK' : 'MISMATCH';
			ok = ok && match && covered;
		} else if (!covered || r.redeemed > cd) {
			verdict = 'MISMATCH';
			ok = false;
		}
		const ids = r.chans.map((c) => c.id.slice(0, 8) + (c.deleted ? ' (closed)' : '')).join(', ') || 'none';
		lines.push(`  ${d.label.padEnd(10)} channel ${ids}: funded ${S.xrp(r.amount)}, redeemed on ledger ` +
			   `${S.group(r.redeemed)} drops of ${S.group(cd)} credited  ${verdict}`);
		out.ledger.channels[d.label] = { ids: r.chans.map((c) => c.id), funded: r.amount.toString(),
						 redeemed: r.redeemed.toString(), credited: cd.toString(), verdict };
	}
	if (dirs.some((d) => d.failed))
		lines.push(`failed settlement requests: ${dirs.map((d) => `${d.label} ${d.failed}`).join(', ')}`);
	lines.push(`result: ${interrupted ? 'INTERRUPTED' : ok ? 'OK' : 'MISMATCH'}`);
	out.ok = ok && !interrupted;
	process.stdout.write(lines.join('\n') + '\n');
	if (o.json)
		fs.writeFileSync(o.json, JSON.stringify(out, null, 1) + '\n');
	ledger.close();
	process.exit(interrupted ? 130 : ok ? 0 : 1);
}

main().catch((e) => {
	process.stderr.write(`driver: ${e.stack || e}\n`);
	process.exit(1);
});
