'use strict';
/*
 * An ILP connector stand-in for testing settlement engines (RFC 0038).  One
 * Connector plays one node of a bilateral link: it serves the accounting-
 * system API its engine calls (credits and outgoing peer messages), relays
 * messages to the peer connector over a simulated `peer.settle` ILP hop,
 * keeps a balance per account and asks its engine to settle (with an
 * Idempotency-Key) when the balance passes a threshold.  Two flavours copy
 * what interledger-rs ("rs") and the Java ilpv4-connector ("java") do on the
 * wire; see README.md next to this file.  Everything binds to 127.0.0.1.
 * Amounts are BigInt; there is no floating point anywhere near an amount.
 */

const http = require('http');
const crypto = require('crypto');
const { isUtf8 } = require('buffer');
const { eligible, leanRequest } = require('./client');
const { parseQuantity, rescale, parseDecimal, Leftovers } =
	require('./quantity');
const { Timings } = require('./timings');

const PEER_CONDITION =
	'66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925';
const ZERO_FULFILLMENT = Buffer.alloc(32);
const ZERO_FULFILLMENT_HEX = ZERO_FULFILLMENT.toString('hex');
/* _takeFault's answer when no fault is set (not to be changed) */
const NO_FAULT = Object.freeze({ delayMs: 0, hang: false, fail: false,
				 lose: false, status: 500 });
const UUID_RE =
	/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BODY = 1 << 20;
const CONTROL_RE = /[\x00-\x08\x0e-\x1f]/;
/* A request target the URL parser leaves as it is: one of the engine's or
 * the peer's routes whose account segment starts with no dot (so is no dot
 * segment) and holds only unreserved characters. */
const PLAIN_PATH_RE =
	/^\/(peer\/)?accounts\/([A-Za-z0-9_~-][A-Za-z0-9._~-]*)\/(settlements|messages|settle)$/;
const LOG_MAX = 5000;
/* the routes of the request log's entries: requests in, then out */
const LOG_ROUTES = ['settlements', 'messages', 'peer', 'unknown', 'engine-accounts',
		    'engine-settlements', 'engine-messages'];
const JAVA_IDEM_TTL_MS = 5 * 60 * 1000;
/* interledger-rs keeps every answer to the engine's calls per key a day
 * (idempotency.rs), errors included. */
const RS_IDEM_TTL_MS = 24 * 3600 * 1000;
const FLAVORS = {
	/* interledger-rs: engine client timeout 5 s; the account scale is
	 * per account, 6 in its examples/xrp-settlement. */
	rs: { engineTimeoutMs: 5000, scale: 6, retries: 10, retryKey: 'fresh' },
	/* ilpv4-connector: OkHttp read timeout 30 s; XRP accounts at scale 9
	 * as in the JavaScript/Java connector configurations. */
	java: { engineTimeoutMs: 30000, scale: 9, retries: 0, retryKey: 'same' },
};

/* Spring's content negotiation: an Accept that admits none of what the
 * route produces is a 406 (no Accept admits anything). */
function javaAccepts(req, produces) {
	const h = req.headers.accept;
	if (!h)
		return;
	const [type] = produces.split('/');
	const ok = h.split(',').some((x) => {
		const t = mediaType(x);
		return t === produces || t === '*/*' || t === `${type}/*`;
	});
	if (!ok)
		throw new HttpError(406, 'Not Acceptable',
				    `cannot produce ${produces} for Accept: ${h}`);
}

class HttpError extends Error {
	constructor(status, title, detail) {
		super(detail || title);
		this.status = status;
		this.title = title;
		this.detail = detail;
	}
}

/* Media type of a Content-Type header, lower-cased, parameters dropped;
 * '' when absent. */
function mediaType(h) {
	return (h || '').split(';')[0].trim().toLowerCase();
}

/* A body for the request log: UTF-8 text without control characters as
 * is (cut at 4096 characters), anything else base64.  isUtf8 checks what
 * decoding and encoding again and comparing did, without the copies. */
function bodyForLog(buf) {
	if (!buf || buf.length === 0)
		return { body: '' };
	if (isUtf8(buf)) {
		const s = buf.toString('utf8');
		if (!CONTROL_RE.test(s))
			return { body: s.length > 4096 ? s.slice(0, 4096) + '...' : s };
	}
	return { body: buf.toString('base64'), bodyEncoding: 'base64' };
}

/* bodyForLog of a string body we send: the same as of its UTF-8 bytes
 * (a string that is not well-formed UTF-16 goes the Buffer way). */
function stringBodyForLog(s) {
	if (s.length === 0 || !s.isWellFormed())
		return bodyForLog(Buffer.from(s, 'utf8'));
	if (CONTROL_RE.test(s))
		return { body: Buffer.from(s, 'utf8').toString('base64'),
			 bodyEncoding: 'base64' };
	return { body: s.length > 4096 ? s.slice(0, 4096) + '...' : s };
}

function pickHeaders(h) {
	const out = {};
	for (const k of ['content-type', 'accept', 'idempotency-key',
			 'location'])
		if (h[k] !== undefined)
			out[k] = h[k];
	return out;
}

/* pickHeaders of an answer's headers (any case), kept per headers object:
 * the stand-in answers with a few constant ones (CT_*), and log entries
 * only read what they are given. */
const picked = new WeakMap();

function pickedOf(headers) {
	let p = picked.get(headers);
	if (p === undefined) {
		const lower = {};
		for (const k in headers)
			lower[k.toLowerCase()] = headers[k];
		p = pickHeaders(lower);
		picked.set(headers, p);
	}
	return p;
}

/* Answer headers used on every request; never changed. */
const CT_OCTET = Object.freeze({ 'content-type': 'application/octet-stream' });
const CT_JSON = Object.freeze({ 'content-type': 'application/json' });
const CT_PROBLEM = Object.freeze({ 'content-type': 'application/problem+json' });
const NO_HEADERS = Object.freeze({});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Pooled keep-alive connections, like the real connectors' HTTP clients
 * (reqwest, OkHttp); idle ones are dropped after 60 s, before the engine
 * (120 s idle timeout) would close them under us. */
const AGENT = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 60000 });

/* host, port and path of each URL requested, parsed once: the benchmarks
 * call a handful of URLs per account thousands of times, and a URL parse
 * per request was a visible share of the stand-in's CPU. */
const urlParts = new Map();

function partsOf(url) {
	let p = urlParts.get(url);
	if (p === undefined) {
		const u = new URL(url);
		p = { host: u.hostname, port: u.port, path: u.pathname + u.search };
		if (urlParts.size >= 20000)
			urlParts.clear();
		urlParts.set(url, p);
	}
	return p;
}

/*
 * One HTTP request to 127.0.0.1-style URLs.  Resolves {status, headers,
 * body: Buffer}; rejects with err.code 'ETIMEDOUT' after timeoutMs or with
 * the socket error.  A string body is sent as UTF-8 as is (no copy into a
 * Buffer first).  Requests with a body and plain headers (all the
 * stand-in's own) go through client.js (undici's pools) for less CPU; the
 * others through node's http.
 */
function httpRequest(url, { method = 'POST', headers = {}, body, timeoutMs }) {
	if (eligible(url, method, headers, body))
		return leanRequest(url, method, headers, body, timeoutMs);
	return new Promise((resolve, reject) => {
		const u = partsOf(url);
		const h = Object.assign({}, headers);
		if (body !== undefined)
			h['content-length'] = String(typeof body === 'string' ?
				Buffer.byteLength(body) : body.length);
		const req = http.request({
			host: u.host, port: u.port, method, path: u.path,
			headers: h, agent: AGENT,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				clearTimeout(timer);
				resolve({ status: res.statusCode, headers: res.headers,
					  body: chunks.length === 1 ? chunks[0] :
						Buffer.concat(chunks) });
			});
			res.on('error', (e) => { clearTimeout(timer); reject(e); });
		});
		const timer = setTimeout(() => {
			const e = new Error(`timeout after ${timeoutMs} ms`);
			e.code = 'ETIMEDOUT';
			req.destroy(e);
		}, timeoutMs);
		req.on('error', (e) => { clearTimeout(timer); reject(e); });
		req.end(body);
	});
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let n = 0;
		req.on('data', (c) => {
			n += c.length;
			if (n > MAX_BODY) {
				reject(new HttpError(413, 'Payload Too Large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		/* node's parser copies each body chunk out of the read
		 * buffer: a lone one is the body as it is */
		req.on('end', () => resolve(chunks.length === 1 ? chunks[0] :
					    Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function bigOrNull(v, what) {
	if (v === undefined || v === null || v === '')
		return null;
	if (typeof v === 'bigint')
		return v;
	if (typeof v === 'number' && Number.isSafeInteger(v))
		return BigInt(v);
	if (typeof v === 'string' && /^-?[0-9]+$/.test(v))
		return BigInt(v);
	throw new HttpError(400, 'Bad Request',
			    `${what} must be an integer (string)`);
}

class Connector {
	/*
	 * opts: port (0 = any), engineUrl, peerUrl (optional), flavor 'rs' |
	 * 'java', threshold (account units, null = never settle
	 * automatically), settleTo (default 0), scale (account scale),
	 * controlPort (undefined = control API under /control on the main
	 * port), expiryMs (Prepare expiry, 30000), retries (extra attempts for
	 * a failed settlement, default 10 rs / 0 java), retryDelayMs (1000),
	 * retryKey 'same' | 'fresh' (default fresh rs / same java),
	 * engineTimeoutMs, errorCache (rs: keep error answers and message
	 * answers per key too, default true), name (for logs), logRoutes
	 * (the routes whose requests the log keeps, e.g. ['engine-settlements',
	 * 'settlements'] for a benchmark's driver; default all).
	 */
	constructor(opts = {}) {
		this.flavor = opts.flavor || 'rs';
		if (!FLAVORS[this.flavor])
			throw new Error(`unknown flavor ${this.flavor}`);
		const fl = FLAVORS[this.flavor];
		this.opts = {
			port: opts.port || 0,
			engineUrl: (opts.engineUrl || '').replace(/\/+$/, ''),
			peerUrl: (opts.peerUrl || '').replace(/\/+$/, ''),
			threshold: bigOrNull(opts.threshold, 'threshold'),
			settleTo: bigOrNull(opts.settleTo, 'settleTo') || 0n,
			scale: opts.scale === undefined ? fl.scale : opts.scale,
			controlPort: opts.controlPort,
			expiryMs: opts.expiryMs || 30000,
			retries: opts.retries === undefined ? fl.retries :
				 opts.retries,
			retryDelayMs: opts.retryDelayMs === undefined ? 1000 :
				      opts.retryDelayMs,
			retryKey: opts.retryKey || fl.retryKey,
			errorCache: opts.errorCache === undefined ? true :
				    !!opts.errorCache,
			engineTimeoutMs: opts.engineTimeoutMs ||
					 fl.engineTimeoutMs,
			name: opts.name || `${this.flavor}-connector`,
			verbose: !!opts.verbose,
			logMax: opts.logMax || LOG_MAX,
			logRoutes: opts.logRoutes ? new Set(opts.logRoutes) : null,
		};
		if (!['same', 'fresh'].includes(this.opts.retryKey))
			throw new Error('retryKey must be same or fresh');
		for (const r of this.opts.logRoutes || [])
			if (!LOG_ROUTES.includes(r))
				throw new Error(`no log route ${r} (${LOG_ROUTES.join(', ')})`);
		this.accounts = new Map(); /* name -> account */
		this.byEngineId = new Map(); /* engine account id -> account */
		this.idem = new Map(); /* Idempotency-Key -> stored reply */
		this.answers = new Map(); /* rs: Idempotency-Key -> any answer */
		this.log = [];
		this.droppedThrough = 0; /* seq of the newest entry dropped */
		this.seq = 0;
		this.settleSeq = 0;
		this.faults = new Map(); /* route -> {fail, status, hang, lose, delayMs} */
		this.hung = new Set();
		this.jobs = new Set();
		this.closed = false;
		this.timings = new Timings();
	}

	/* ---------- lifecycle ---------- */

	async start() {
		this.server = http.createServer((q, s) => this._dispatch(q, s, false));
		this.server.keepAliveTimeout = 5000;
		await new Promise((r, j) => {
			this.server.once('error', j);
			this.server.listen(this.opts.port, '127.0.0.1', r);
		});
		this.port = this.server.address().port;
		if (this.opts.controlPort !== undefined &&
		    this.opts.controlPort !== null) {
			this.controlServer = http.createServer(
				(q, s) => this._dispatch(q, s, true));
			await new Promise((r, j) => {
				this.controlServer.once('error', j);
				this.controlServer.listen(this.opts.controlPort,
							  '127.0.0.1', r);
			});
			this.controlPort = this.controlServer.address().port;
		} else {
			this.controlPort = this.port;
		}
		return this;
	}

	async stop() {
		this.closed = true;
		for (const s of [this.server, this.controlServer]) {
			if (!s)
				continue;
			s.closeAllConnections();
			await new Promise((r) => s.close(() => r()));
		}
		for (const res of this.hung)
			res.destroy();
		this.hung.clear();
		this.timings.close();
	}

	get url() {
		return `http://127.0.0.1:${this.port}`;
	}

	get controlUrl() {
		return `http://127.0.0.1:${this.controlPort}/control`;
	}

	/* ---------- request log ---------- */

	/* Every entry gets `seq`, `time` (ISO) and `t`: epoch milliseconds
	 * with sub-millisecond precision (performance.timeOrigin + now()),
	 * comparable between the two connector processes on one machine (the
	 * demo driver measures settlement latency with it).  The oldest
	 * entries are dropped in chunks beyond opts.logMax.  With
	 * opts.logRoutes, an entry of another route is numbered and returned
	 * (its request fills it in as usual) but not kept: the peer hop's and
	 * the messages' bodies were most of a benchmark's heap, and the
	 * longer garbage collections that heap brings are a latency tail of
	 * their own. */
	_log(entry) {
		entry.seq = ++this.seq;
		entry.t = performance.timeOrigin + performance.now();
		if (this.opts.logRoutes && !this.opts.logRoutes.has(entry.route))
			return entry;
		entry.time = new Date(entry.t).toISOString();
		this.log.push(entry);
		if (this.log.length > this.opts.logMax + 1024) {
			const drop = this.log.length - this.opts.logMax;
			this.droppedThrough = this.log[drop - 1].seq;
			this.log.splice(0, drop);
		}
		return entry;
	}

	/* Log entries with seq > since, optionally only those whose route is
	 * in the comma-separated list `routes`. */
	_logSince(since, routes) {
		let lo = 0;
		let hi = this.log.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (this.log[mid].seq <= since)
				lo = mid + 1;
			else
				hi = mid;
		}
		const want = routes ? new Set(routes.split(',')) : null;
		const out = [];
		for (let i = lo; i < this.log.length; i++)
			if (!want || want.has(this.log[i].route))
				out.push(this.log[i]);
		return out;
	}

	/* With opts.verbose, one line per finished request on stderr (the
	 * log entry in short: direction, route, method, path, key, status,
	 * fault). */
	_trace(e) {
		if (!this.opts.verbose)
			return;
		const key = e.headers && e.headers['idempotency-key'];
		const what = e.fault || e.error || e.status || 'no answer';
		process.stderr.write(`[${this.opts.name}] #${e.seq} ${e.dir === 'in' ? '<-' : '->'} ` +
			`${e.route} ${e.method} ${e.path || e.url}` +
			`${key ? ' key=' + key : ''} : ${what}` +
			`${e.ilp ? ' ilp=' + e.ilp.type + (e.ilp.code ? ' ' + e.ilp.code : '') : ''}` +
			`${e.credited ? ' credited=' + e.credited : ''}${e.replay ? ' (replay)' : ''}\n`);
	}

	/* ---------- dispatch ---------- */

	async _dispatch(req, res, controlOnly) {
		const t0 = Timings.now();
		/* The engine's and the peer's routes with a plain account
		 * segment are taken as they are: the URL parser would leave
		 * them unchanged, and parsing one per request was a visible
		 * share of the stand-in's CPU. */
		const pm = PLAIN_PATH_RE.exec(req.url);
		const url = pm ? null : new URL(req.url, 'http://x');
		const path = url ? url.pathname : req.url;
		let route = null;
		let m = null;
		if (pm) {
			if (!controlOnly &&
			    (pm[1] ? pm[3] === 'settle' : pm[3] !== 'settle'))
				route = pm[1] ? 'peer' : pm[3];
		} else if (!controlOnly &&
		    (m = path.match(/^\/accounts\/([^/]+)\/settlements$/)))
			route = 'settlements';
		else if (!controlOnly &&
			 (m = path.match(/^\/accounts\/([^/]+)\/messages$/)))
			route = 'messages';
		else if (!controlOnly &&
			 (m = path.match(/^\/peer\/accounts\/([^/]+)\/settle$/)))
			route = 'peer';
		else if (path.startsWith('/control/') || path === '/control')
			route = (controlOnly || this.controlPort === this.port) ?
				'control' : null;

		if (route === 'control')
			return this._control(req, res, url || new URL(req.url, 'http://x'));
		/* the account segment as in the path */
		const seg = pm ? pm[2] : m && m[1];
		/* _reply times the answer from here (the request's arrival) */
		if (route) {
			res.timedAs = route;
			res.timedFrom = t0;
		}

		let body;
		try {
			body = await readBody(req);
		} catch (e) {
			return this._problem(res, e.status || 400,
					     e.title || 'Bad Request');
		}
		const entry = this._log({
			dir: 'in', route: route || 'unknown', method: req.method,
			path, headers: pickHeaders(req.headers),
			...bodyForLog(body),
		});
		/* (entry.status is set by _reply as it answers) */
		if (this.opts.verbose)
			res.on('close', () => this._trace(entry));

		if (!route || req.method !== 'POST')
			return this._problem(res, 404, 'Not Found',
					     `no route for ${req.method} ${path}`,
					     entry);

		/* rs: every answer is kept per key, errors included, and
		 * replayed (idempotency.rs wraps both engine routes); the same
		 * key with another input is a 409. */
		const key = req.headers['idempotency-key'];
		if (this.flavor === 'rs' && this.opts.errorCache && key &&
		    route !== 'peer') {
			const fp = `${route}|${seg}|` + crypto.hash('sha256', body);
			const prev = this.answers.get(key);
			if (prev && Date.now() - prev.time < RS_IDEM_TTL_MS) {
				entry.replay = true;
				if (prev.fp !== fp)
					return this._problem(res, 409, 'Idempotency Error',
						'Provided idempotency key is tied to other input',
						entry);
				return this._reply(res, prev.status, prev.headers,
						   prev.body, entry);
			}
			entry.keep = { key, fp };
		}

		/* Fault injection: delay, then hang or fail. */
		const f = this._takeFault(route, body);
		if (f.delayMs)
			await sleep(f.delayMs);
		if (f.hang) {
			entry.fault = 'hang';
			this.hung.add(res);
			res.on('close', () => this.hung.delete(res));
			return;
		}
		if (f.fail && f.body !== undefined) {
			entry.fault = `fail ${f.status} with a scripted body`;
			return this._reply(res, f.status,
					   { 'content-type': 'application/octet-stream' },
					   f.body, entry);
		}
		if (f.fail) {
			entry.fault = `fail ${f.status}`;
			return this._problem(res, f.status, 'Injected Fault',
					     'fault injected by test control',
					     entry);
		}
		/* lose: handled as usual, its answer lost (the connection
		 * drops instead): the engine cannot tell whether it was
		 * applied. */
		if (f.lose)
			entry.lose = true;

		let id;
		try {
			id = decodeURIComponent(seg);
		} catch (e) {
			return this._problem(res, 400, 'Bad Request',
					     'bad account id encoding', entry);
		}
		try {
			/* (a credit is answered at once: no promise) */
			if (route === 'settlements')
				this._incomingSettlement(req, res, id, body, entry);
			else if (route === 'messages')
				await this._outgoingMessage(req, res, id, body,
							    entry);
			else
				await this._peerSettle(req, res, id, body, entry);
		} catch (e) {
			if (e instanceof HttpError)
				return this._problem(res, e.status, e.title,
						     e.detail, entry);
			entry.error = String(e && e.stack || e);
			return this._problem(res, 500, 'Internal Server Error',
					     String(e.message || e), entry);
		}
	}

	/* The fault due for a request on route with this body: a fault with
	 * `match` applies only to bodies containing that text (e.g. one
	 * peer message type). */
	_takeFault(route, body) {
		if (this.faults.size === 0)
			return NO_FAULT;
		const out = { delayMs: 0, hang: false, fail: false, lose: false,
			      status: 500 };
		for (const r of [route, 'all']) {
			const f = this.faults.get(r);
			if (!f)
				continue;
			if (f.match !== undefined &&
			    !(body && body.includes(f.match)))
				continue;
			out.delayMs += f.delayMs || 0;
			if (!out.hang && !out.fail && f.hang > 0) {
				f.hang--;
				out.hang = true;
			} else if (!out.hang && !out.fail && f.fail > 0) {
				f.fail--;
				out.fail = true;
				out.status = f.status || 500;
				out.body = f.body;
			} else if (!out.hang && !out.fail && !out.lose &&
				   f.lose > 0) {
				f.lose--;
				out.lose = true;
			}
		}
		return out;
	}

	/* A string body is written as it is: node then sends head and body
	 * in one write instead of gathering a Buffer behind the head. */
	_reply(res, status, headers, body, entry) {
		const text = typeof body === 'string';
		const out = text ? body : body === undefined || body === null ?
			    Buffer.alloc(0) : Buffer.isBuffer(body) ? body :
			    Buffer.from(body);
		if (entry && entry.keep && !entry.replay)
			this.answers.set(entry.keep.key, {
				fp: entry.keep.fp, status, headers, body: out,
				time: Date.now(),
			});
		if (entry && entry.lose) {
			entry.fault = `answer ${status} lost`;
			entry.status = 0;
			res.socket.destroy();
			return;
		}
		if (entry) {
			entry.status = status;
			entry.response = (text ? stringBodyForLog(out) :
					  bodyForLog(out)).body;
			entry.responseHeaders = pickedOf(headers);
		}
		res.writeHead(status, Object.assign(
			{ 'content-length': String(text ? Buffer.byteLength(out) :
						      out.length) }, headers));
		res.end(out);
		if (res.timedAs !== undefined)
			this.timings.took(res.timedAs, res.timedFrom);
	}

	/* RFC 7807 problem, shaped like the flavour's (rs adds `datetime`). */
	_problem(res, status, title, detail, entry) {
		const p = { type: 'about:blank', title, status };
		if (detail)
			p.detail = detail;
		if (this.flavor === 'rs')
			p.datetime = new Date().toISOString();
		this._reply(res, status, CT_PROBLEM,
			    JSON.stringify(p), entry);
	}

	/* ---------- POST /accounts/:id/settlements (engine credits us) ---- */

	_incomingSettlement(req, res, id, body, entry) {
		const key = req.headers['idempotency-key'];
		const ct = mediaType(req.headers['content-type']);
		if (this.flavor === 'rs') {
			/* interledger-rs node_api: ids are connector UUIDs. */
			if (!UUID_RE.test(id))
				throw new HttpError(400, 'Bad Request',
						    `${id} is an invalid account ID`);
			const acct = this.byEngineId.get(id);
			if (!acct)
				throw new HttpError(404, 'Account Not Found',
						    `Account ${id} was not found`);
			if (ct && ct !== 'application/json')
				throw new HttpError(415, 'Unsupported Media Type',
						    `expected application/json, got ${ct}`);
			const q = this._parseQuantityBody(body);
			if (key === undefined) {
				/* The real node unwraps the missing key in its
				 * Redis store and the request dies with the
				 * connection. */
				entry.fault = 'missing Idempotency-Key: connection dropped like the rs node';
				entry.status = 0;
				req.socket.destroy();
				return;
			}
			const fp = `${id}|${q.amount}|${q.scale}`;
			const prev = this.idem.get(key);
			if (prev) {
				entry.replay = true;
				if (prev.fp !== fp)
					throw new HttpError(409, 'Idempotency Error',
							    'Provided idempotency key is tied to other input');
				return this._reply(res, prev.status, prev.headers,
						   prev.body, entry);
			}
			const credited = this._credit(acct, q, key, true);
			entry.credited = credited.toString();
			const rep = { fp, status: 201, headers: NO_HEADERS, body: 'RECEIVED',
				      time: Date.now() };
			this.idem.set(key, rep);
			return this._reply(res, 201, rep.headers, rep.body, entry);
		}

		/* java: SettlementController consumes and produces
		 * application/json and requires the key; replays the cached
		 * answer for any body. */
		if (ct !== 'application/json')
			throw new HttpError(415, 'Unsupported Media Type',
					    `expected application/json, got ${ct || 'none'}`);
		javaAccepts(req, 'application/json');
		if (!key)
			throw new HttpError(400, 'Bad Request',
					    'Idempotency-Key header is required');
		const prev = this.idem.get(key);
		if (prev && Date.now() - prev.time < JAVA_IDEM_TTL_MS) {
			entry.replay = true;
			return this._reply(res, prev.status, prev.headers,
					   prev.body, entry);
		}
		const acct = this.byEngineId.get(id);
		if (!acct)
			throw new HttpError(404, 'Not Found',
					    `Account not found for settlement engine account id ${id}`);
		const q = this._parseQuantityBody(body);
		const credited = this._credit(acct, q, key, false);
		entry.credited = credited.toString();
		const rep = {
			status: 200,
			headers: {
				'content-type': 'application/json',
				'idempotency-key': key,
				location: `/accounts/${encodeURIComponent(id)}/settlements/${encodeURIComponent(key)}`,
			},
			body: JSON.stringify({ amount: credited.toString(),
					       scale: acct.scale }),
			time: Date.now(),
		};
		this.idem.set(key, rep);
		return this._reply(res, 200, rep.headers, rep.body, entry);
	}

	_parseQuantityBody(body) {
		let j;
		try {
			j = JSON.parse(body.toString('utf8'));
		} catch (e) {
			throw new HttpError(400, 'Bad Request',
					    'request body is not valid JSON');
		}
		try {
			return parseQuantity(j);
		} catch (e) {
			throw new HttpError(400, 'Bad Request', e.message);
		}
	}

	/* Credits an incoming settlement; returns the units credited at the
	 * account scale.  rs keeps sub-unit leftovers, java drops them. */
	_credit(acct, q, key, keepLeftovers) {
		let units;
		if (keepLeftovers) {
			units = acct.leftovers.add(q.amount, q.scale, acct.scale);
		} else {
			const r = rescale(q.amount, q.scale, acct.scale);
			units = r.value;
			if (r.remainder !== 0n)
				acct.dropped.push({ amount: r.remainder.toString(),
						    scale: q.scale });
		}
		/* process_incoming_settlement.lua: pay down a negative
		 * balance first, the rest becomes prepaid. */
		if (acct.balance < 0n) {
			const pay = units < -acct.balance ? units : -acct.balance;
			acct.balance += pay;
			acct.prepaid += units - pay;
		} else {
			acct.prepaid += units;
		}
		acct.credited += units;
		acct.credits.push({ key, amount: q.amount.toString(),
				    scale: q.scale, credited: units.toString(),
				    time: new Date().toISOString() });
		return units;
	}

	/* ---------- POST /accounts/:id/messages (engine -> peer) -------- */

	async _outgoingMessage(req, res, id, data, entry) {
		if (this.flavor === 'rs' && !UUID_RE.test(id))
			throw new HttpError(400, 'Bad Request',
					    `${id} is an invalid account ID`);
		if (this.flavor === 'java') {
			/* consumes and produces application/octet-stream */
			const ct = mediaType(req.headers['content-type']);
			if (ct !== 'application/octet-stream')
				throw new HttpError(415, 'Unsupported Media Type',
						    `expected application/octet-stream, got ${ct || 'none'}`);
			javaAccepts(req, 'application/octet-stream');
		}
		const acct = this.byEngineId.get(id);
		if (!acct)
			throw new HttpError(404, 'Account Not Found',
					    `Account ${id} was not found`);
		const reply = await this._sendPeerSettle(acct, data);
		entry.ilp = { type: reply.type, code: reply.code };
		if (this.flavor === 'java') {
			/* DefaultSettlementService: 200 + the packet's data,
			 * rejects included. */
			return this._reply(res, 200, CT_OCTET, reply.data, entry);
		}
		if (reply.type === 'fulfill')
			return this._reply(res, 201, CT_OCTET, reply.data, entry);
		return this._problem(res, 502, 'Error sending message to peer engine',
				     `Error sending message to peer engine: ${reply.code} ${reply.message}`,
				     entry);
	}

	/* Sends a Prepare to peer.settle over the link to the peer connector
	 * and resolves to {type: 'fulfill'|'reject', data: Buffer, code?,
	 * message?}; never rejects. */
	async _sendPeerSettle(acct, data) {
		const expiresAt = new Date(Date.now() + this.opts.expiryMs);
		const prepare = {
			destination: 'peer.settle', amount: '0',
			expiresAt: expiresAt.toISOString(),
			executionCondition: PEER_CONDITION,
			data: data.toString('base64'),
		};
		const reject = (code, message) => ({
			type: 'reject', code, message, data: Buffer.alloc(0),
			triggeredBy: this.flavor === 'rs' ? 'peer.settle' :
				     `test.${this.opts.name}`,
		});
		if (!this.opts.peerUrl)
			return reject('F02', 'No route to peer (no --peer-url)');
		const url = this._urls(acct).peer;
		const prepareJSON = JSON.stringify(prepare);
		const out = this._log({
			dir: 'out', route: 'peer', method: 'POST', url,
			headers: CT_JSON, body: prepareJSON,
		});
		let r;
		const t0 = Timings.now();
		try {
			r = await httpRequest(url, {
				headers: CT_JSON,
				body: prepareJSON,
				timeoutMs: this.opts.expiryMs,
			});
			this.timings.took('call peer', t0);
		} catch (e) {
			out.error = e.code || e.message;
			this._trace(out);
			if (e.code === 'ETIMEDOUT')
				return reject('R00', 'Transfer timed out');
			return reject('T01', `Peer unreachable: ${e.message}`);
		}
		out.status = r.status;
		out.response = r.body.toString('utf8');
		this._trace(out);
		let p;
		try {
			p = JSON.parse(r.body.toString('utf8'));
		} catch (e) {
			p = null;
		}
		if (r.status !== 200 || !p || !['fulfill', 'reject'].includes(p.type))
			return reject('T00', `bad peer reply (HTTP ${r.status})`);
		if (p.type === 'reject')
			return { type: 'reject', code: p.code, message: p.message,
				 triggeredBy: p.triggeredBy,
				 data: Buffer.from(p.data || '', 'base64') };
		/* the 32 zero bytes in lower-case hex hash to the condition:
		 * only another text is decoded and hashed */
		if (p.fulfillment !== ZERO_FULFILLMENT_HEX) {
			const ful = Buffer.from(p.fulfillment || '', 'hex');
			const h = crypto.hash('sha256', ful);
			if (h !== PEER_CONDITION)
				return reject('F09', 'Fulfillment did not match condition');
		}
		return { type: 'fulfill', data: Buffer.from(p.data || '', 'base64') };
	}

	/* ---------- peer hop: POST /peer/accounts/:name/settle --------- */

	async _peerSettle(req, res, name, body, entry) {
		const send = (pkt) => {
			const o = Object.assign({}, pkt);
			o.data = (pkt.data || Buffer.alloc(0)).toString('base64');
			return this._reply(res, 200, CT_JSON, JSON.stringify(o),
					   entry);
		};
		const reject = (code, message) => send({
			type: 'reject', code, message,
			triggeredBy: this.flavor === 'rs' ? 'peer.settle' :
				     `test.${this.opts.name}`,
		});
		let p;
		try {
			p = JSON.parse(body.toString('utf8'));
		} catch (e) {
			return reject('F01', 'Invalid packet');
		}
		if (!p || p.destination !== 'peer.settle' || p.amount !== '0' ||
		    typeof p.data !== 'string')
			return reject('F01', 'Invalid packet');
		const acct = this.accounts.get(name);
		if (!acct || !acct.engineId)
			/* message_service.rs: only accounts with an engine
			 * catch peer.settle. */
			return reject(this.flavor === 'rs' ? 'F02' : 'T00',
				      'No other incoming handler');
		const left = Date.parse(p.expiresAt) - Date.now();
		if (!(left > 0))
			return reject('R00', 'Packet expired');
		const data = Buffer.from(p.data, 'base64');
		const er = await this._callEngineMessage(acct, data, left);
		entry.engineStatus = er.status;
		if (er.status >= 200 && er.status < 300)
			return send({ type: 'fulfill',
				      fulfillment: ZERO_FULFILLMENT_HEX,
				      data: er.body });
		if (this.flavor === 'rs' && er.status >= 400 && er.status < 500)
			return reject('F00', `Settlement engine rejected the message: HTTP ${er.status}`);
		return reject('T00', er.status ?
			      `Settlement engine error: HTTP ${er.status}` :
			      `Settlement engine unreachable: ${er.error}`);
	}

	/* A peer message to our engine (POST /accounts/:id/messages).  rs:
	 * 5 s per attempt, a random Idempotency-Key per attempt, retries only
	 * transport errors (up to 10) while the Prepare lives; java: one
	 * attempt, no key.  Resolves {status, body}
	 * or {status: 0, error}. */
	async _callEngineMessage(acct, data, leftMs) {
		const deadline = Date.now() + leftMs;
		const url = this._urls(acct).messages;
		const attempts = this.flavor === 'rs' ? 11 : 1;
		let last = { status: 0, error: 'no attempt' };
		for (let i = 0; i < attempts; i++) {
			const left = deadline - Date.now();
			if (left <= 0)
				break;
			const headers = {
				'content-type': 'application/octet-stream',
				accept: 'application/octet-stream',
			};
			if (this.flavor === 'rs')
				headers['idempotency-key'] = crypto.randomUUID();
			const out = this._log({ dir: 'out', route: 'engine-messages',
						method: 'POST', url, headers,
						...bodyForLog(data) });
			const t0 = Timings.now();
			try {
				const r = await httpRequest(url, {
					headers, body: data,
					timeoutMs: Math.min(left, this.opts.engineTimeoutMs),
				});
				this.timings.took('call engine messages', t0);
				out.status = r.status;
				out.response = bodyForLog(r.body).body;
				this._trace(out);
				return { status: r.status, body: r.body };
			} catch (e) {
				out.error = e.code || e.message;
				this._trace(out);
				last = { status: 0, error: e.code || e.message };
			}
			if (this.closed)
				break;
			await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
		}
		return last;
	}

	/* ---------- accounts and their creation on the engine ---------- */

	/* The URLs the stand-in calls for an account, made once (its engine
	 * id and peer name do not change once it is added). */
	_urls(a) {
		if (a.urls === undefined || a.urls.id !== a.engineId) {
			const id = encodeURIComponent(a.engineId);
			a.urls = {
				id: a.engineId,
				settlements: `/accounts/${id}/settlements`,
				messages: `${this.opts.engineUrl}/accounts/${id}/messages`,
				peer: `${this.opts.peerUrl}/peer/accounts/${encodeURIComponent(a.peer)}/settle`,
			};
		}
		return a.urls;
	}

	_accountJSON(a) {
		return {
			name: a.name, id: a.engineId, peer: a.peer, scale: a.scale,
			threshold: a.threshold === null ? null : a.threshold.toString(),
			settleTo: a.settleTo.toString(),
			balance: a.balance.toString(), prepaid: a.prepaid.toString(),
			credited: a.credited.toString(),
			leftovers: a.leftovers.toJSON(), dropped: a.dropped,
			packetsOut: a.packetsOut.toString(),
			packetsIn: a.packetsIn.toString(),
			credits: a.credits,
			settlements: a.settlements.map((s) => this._settlementJSON(s)),
			engineCreate: a.engineCreate,
		};
	}

	/* An account's books in short (GET /control/accounts?brief=1, for
	 * many accounts at once): units settled (committed by the engine),
	 * credited, and its settlements per state. */
	_accountBrief(a) {
		let settled = 0n;
		const n = { done: 0, refunded: 0, pending: 0, failed: 0 };
		for (const s of a.settlements) {
			n[s.state] = (n[s.state] || 0) + 1;
			if (s.state === 'done')
				settled += s.committed !== null ? s.committed : s.amount;
		}
		return { name: a.name, id: a.engineId, scale: a.scale,
			 settled: settled.toString(), credited: a.credited.toString(),
			 ...n };
	}

	_settlementJSON(s) {
		return {
			id: s.id, amount: s.amount.toString(), scale: s.scale,
			state: s.state, committed: s.committed === null ? null :
						    s.committed.toString(),
			refunded: s.refunded.toString(), attempts: s.attempts,
		};
	}

	/*
	 * Adds an account and creates it on the engine (POST /accounts) the
	 * way the flavour does.  spec: {name, id?, peer?, threshold?,
	 * settleTo?, scale?, createOnEngine? (default true)}.  Resolves the account;
	 * throws HttpError when the java engine call fails (the java
	 * connector aborts account creation then).
	 */
	async addAccount(spec) {
		const name = spec.name;
		if (typeof name !== 'string' || !/^[A-Za-z0-9._~-]{1,64}$/.test(name))
			throw new HttpError(400, 'Bad Request',
					    'name must be 1-64 URL-safe characters');
		if (this.accounts.has(name))
			throw new HttpError(409, 'Conflict', `account ${name} exists`);
		const scale = spec.scale === undefined ? this.opts.scale : spec.scale;
		if (!Number.isInteger(scale) || scale < 0 || scale > 255)
			throw new HttpError(400, 'Bad Request', 'bad scale');
		const a = {
			name, peer: spec.peer || name, scale,
			threshold: spec.threshold === undefined ? this.opts.threshold :
				   bigOrNull(spec.threshold, 'threshold'),
			settleTo: spec.settleTo === undefined ? this.opts.settleTo :
				  bigOrNull(spec.settleTo, 'settleTo') || 0n,
			engineId: null, balance: 0n, prepaid: 0n, credited: 0n,
			leftovers: new Leftovers(), dropped: [], credits: [],
			settlements: [], packetsOut: 0n, packetsIn: 0n,
			engineCreate: null, urls: undefined,
		};
		const create = spec.createOnEngine !== false;
		if (this.flavor === 'rs') {
			const id = spec.id || crypto.randomUUID();
			if (!UUID_RE.test(id))
				throw new HttpError(400, 'Bad Request',
						    'rs account ids are UUIDs');
			a.engineId = id;
			if (create) {
				/* routes/accounts.rs: logs a non-2xx, keeps the
				 * account anyway. */
				const r = await this._engineCall('accounts', '/accounts', {
					'content-type': 'application/json',
				}, JSON.stringify({ id }));
				a.engineCreate = r;
			}
		} else if (create) {
			const r = await this._engineCall('accounts', '/accounts', {
				'content-type': 'application/json; charset=utf-8',
				accept: 'application/json',
			}, JSON.stringify({ id: null }));
			a.engineCreate = r;
			let j = null;
			try {
				j = JSON.parse(r.body);
			} catch (e) { /* handled below */ }
			if (!(r.status >= 200 && r.status < 300) || !j ||
			    typeof j.id !== 'string' || j.id === '')
				throw new HttpError(502, 'Bad Gateway',
						    `engine account creation failed: HTTP ${r.status || r.error} ${r.body || ''}`);
			a.engineId = j.id;
		} else {
			a.engineId = spec.id || null;
		}
		if (a.engineId && this.byEngineId.has(a.engineId))
			throw new HttpError(409, 'Conflict',
					    `engine id ${a.engineId} already used`);
		this.accounts.set(name, a);
		if (a.engineId)
			this.byEngineId.set(a.engineId, a);
		/* rs prefunds at creation when settle_to < 0
		 * (interledger/interledger-rs#622). */
		if (this.flavor === 'rs' && a.settleTo < 0n && a.engineId)
			this._maybeSettle(a);
		return a;
	}

	/* A plain call to the engine; resolves {status, body (utf8)} or
	 * {status: 0, error}. */
	async _engineCall(route, path, headers, body) {
		const url = `${this.opts.engineUrl}${path}`;
		const out = this._log({ dir: 'out', route: `engine-${route}`,
					method: 'POST', url, headers,
					...stringBodyForLog(body) });
		if (!this.opts.engineUrl) {
			out.error = 'no --engine-url';
			this._trace(out);
			return { status: 0, error: 'no --engine-url' };
		}
		const t0 = Timings.now();
		try {
			const r = await httpRequest(url, {
				headers, body, timeoutMs: this.opts.engineTimeoutMs,
			});
			this.timings.took(`call engine ${route}`, t0);
			out.status = r.status;
			out.response = r.body.toString('utf8');
			this._trace(out);
			return { status: r.status, body: r.body.toString('utf8') };
		} catch (e) {
			out.error = e.code || e.message;
			this._trace(out);
			return { status: 0, error: e.code || e.message };
		}
	}

	/* ---------- balances and outgoing settlement (POST to the engine's
	 * /accounts/:id/settlements) ---------- */

	/* Records packets through `a`: direction 'out' means the peer
	 * fulfilled packets we sent (we owe it, balance up, which may trigger
	 * a settlement); 'in' means it sent us packets (balance down).
	 * Returns the settlement job started, or null. */
	packets(a, amount, direction) {
		if (amount < 0n)
			throw new HttpError(400, 'Bad Request', 'negative amount');
		if (direction === 'in') {
			/* prepaid is consumed first, like the rs balance
			 * service. */
			const use = amount < a.prepaid ? amount : a.prepaid;
			a.prepaid -= use;
			a.balance -= amount - use;
			a.packetsIn += amount;
			return null;
		}
		if (direction !== 'out')
			throw new HttpError(400, 'Bad Request',
					    'direction is out or in');
		a.balance += amount;
		a.packetsOut += amount;
		return this._maybeSettle(a);
	}

	/* process_fulfill.lua: when balance >= threshold > settle_to, settle
	 * balance - settle_to and set the balance to settle_to before the
	 * call. */
	_maybeSettle(a) {
		const prefund = this.flavor === 'rs' && a.settleTo < 0n &&
				a.balance === 0n && a.settlements.length === 0;
		if (!prefund) {
			if (a.threshold === null || a.balance < a.threshold ||
			    a.threshold <= a.settleTo)
				return null;
		}
		const amount = a.balance - a.settleTo;
		if (amount <= 0n)
			return null;
		a.balance = a.settleTo;
		return this._startSettlement(a, amount);
	}

	/* Requests a settlement of `amount` units now (balance already
	 * adjusted by the caller). */
	_startSettlement(a, amount) {
		const s = {
			id: ++this.settleSeq, amount, scale: a.scale,
			state: 'pending', committed: null, refunded: 0n,
			attempts: [], promise: null,
		};
		a.settlements.push(s);
		s.promise = this._runSettlement(a, s).catch((e) => {
			s.state = 'failed';
			s.error = String(e);
		});
		this.jobs.add(s.promise);
		s.promise.finally(() => this.jobs.delete(s.promise));
		return s;
	}

	async _runSettlement(a, s) {
		const body = this.flavor === 'rs' ?
			JSON.stringify({ amount: s.amount.toString(), scale: s.scale }) :
			JSON.stringify({ scale: s.scale, amount: s.amount.toString() });
		const headers = this.flavor === 'rs' ?
			{ 'content-type': 'application/json',
			  accept: 'application/json' } :
			{ 'content-type': 'application/json; charset=utf-8',
			  accept: 'application/json' };
		let key = crypto.randomUUID();
		const refund = (amt, why) => {
			a.balance += amt;
			s.refunded += amt;
			s.state = 'refunded';
			s.reason = why;
		};
		for (let i = 0; i <= this.opts.retries; i++) {
			if (this.closed)
				return;
			if (i > 0 && this.opts.retryKey === 'fresh')
				key = crypto.randomUUID();
			const r = await this._engineCall('settlements',
				this._urls(a).settlements,
				Object.assign({ 'idempotency-key': key }, headers), body);
			s.attempts.push({ key, status: r.status, error: r.error });
			if (r.status >= 200 && r.status < 300) {
				if (this.flavor === 'rs') {
					s.state = 'done';
					s.committed = s.amount;
					return;
				}
				/* java requires a Quantity back: the amount
				 * the engine committed. */
				let q;
				try {
					q = parseQuantity(JSON.parse(r.body));
				} catch (e) {
					return refund(s.amount,
						      `unparsable engine reply: ${e.message}`);
				}
				const c = rescale(q.amount, q.scale, a.scale).value;
				s.committed = c < s.amount ? c : s.amount;
				s.state = 'done';
				if (c < s.amount)
					refund(s.amount - c, 'engine committed less');
				return;
			}
			if (r.status >= 400 && r.status < 500)
				return refund(s.amount, `engine answered ${r.status}`);
			if (i < this.opts.retries)
				await sleep(this.opts.retryDelayMs);
		}
		refund(s.amount, 'retries exhausted');
	}

	/* Open-loop load from the connector's own accounting: packet i of
	 * `amounts` (units) is recorded at t0 + i / rate seconds, whether or
	 * not earlier settlements have been answered, like packets flowing
	 * through a busy link; with the threshold at 1 unit each one settles
	 * on its own.  Replaces a per-packet control call when a benchmark
	 * must not spend the machine on its own requests.  One load at a time
	 * per account; a.load tracks it (loadJSON). */
	startLoad(a, amounts, rate) {
		if (a.load && a.load.running)
			throw new HttpError(409, 'Conflict',
					    'a load is already running on this account');
		a.load = this._openLoop(() => a, amounts, rate);
		return a.load;
	}

	/* The same open loop spread over many accounts (the links benchmark,
	 * testnet/driver/links.js): packet i of `amounts` goes through
	 * account `accts[i]`.  One such load at a time per connector;
	 * this.multiLoad tracks it (loadJSON(null)). */
	startMultiLoad(accts, amounts, rate) {
		if (this.multiLoad && this.multiLoad.running)
			throw new HttpError(409, 'Conflict',
					    'a multi-account load is already running');
		this.multiLoad = this._openLoop((i) => accts[i], amounts, rate);
		return this.multiLoad;
	}

	/* Packet i (amounts[i] units through account accountOf(i)) at t0 +
	 * i / rate seconds; returns the load's counters. */
	_openLoop(accountOf, amounts, rate) {
		const L = { total: amounts.length, rate, sent: 0, done: 0,
			    failed: 0, maxLateMs: 0, running: true,
			    t0: performance.now() };
		const finished = (s) => {
			if (s.state === 'done' && s.committed === s.amount)
				L.done++;
			else
				L.failed++;
		};
		const tick = () => {
			if (this.closed || !L.running) {
				L.running = false;
				return;
			}
			const t = performance.now();
			while (L.sent < L.total) {
				const due = L.t0 + (L.sent * 1000) / rate;
				if (due > t)
					break;
				if (t - due > L.maxLateMs)
					L.maxLateMs = t - due;
				const i = L.sent++;
				const x = this.packets(accountOf(i), amounts[i], 'out');
				if (x)
					x.promise.then(() => finished(x));
				else
					L.done++; /* below the threshold: nothing to settle */
			}
			if (L.sent >= L.total) {
				L.running = false;
				return;
			}
			const next = L.t0 + (L.sent * 1000) / rate;
			setTimeout(tick, Math.max(0, next - performance.now()));
		};
		tick();
		return L;
	}

	loadJSON(a) {
		const L = a ? a.load : this.multiLoad;
		if (!L)
			return null;
		return { total: L.total, rate: L.rate, sent: L.sent, done: L.done,
			 failed: L.failed, running: L.running,
			 maxLateMs: Math.round(L.maxLateMs * 1000) / 1000 };
	}

	/* Resolves once every settlement in flight has finished. */
	async idle() {
		while (this.jobs.size)
			await Promise.all([...this.jobs]);
	}

	/* ---------- control API ---------- */

	async _control(req, res, url) {
		/* compact: no indentation (the request log, read every few
		 * hundred ms under load, is the bulk of what this serves) */
		const send = (status, obj, compact) => this._reply(res, status,
			{ 'content-type': 'application/json' },
			compact ? JSON.stringify(obj) : JSON.stringify(obj, null, 1));
		try {
			const body = await readBody(req);
			let j = {};
			if (body.length) {
				try {
					j = JSON.parse(body.toString('utf8'));
				} catch (e) {
					throw new HttpError(400, 'Bad Request',
							    'control body is not JSON');
				}
			}
			const p = url.pathname.replace(/^\/control/, '') || '/';
			const M = req.method;
			let m;
			if (M === 'GET' && p === '/health')
				return send(200, {
					ok: true, flavor: this.flavor, port: this.port,
					controlPort: this.controlPort,
					engineUrl: this.opts.engineUrl,
					peerUrl: this.opts.peerUrl, scale: this.opts.scale,
				});
			/* where the stand-in's time goes (timings.js); with
			 * ?reset=1 the loop's delay and the collections start
			 * over after this answer */
			if (M === 'GET' && p === '/timings') {
				const t = this.timings.toJSON();
				if (url.searchParams.get('reset'))
					this.timings.reset();
				return send(200, t);
			}
			if (M === 'GET' && p === '/accounts')
				return send(200, [...this.accounts.values()]
					.map((a) => url.searchParams.get('brief') ?
					     this._accountBrief(a) : this._accountJSON(a)));
			if (M === 'POST' && p === '/accounts') {
				const a = await this.addAccount(j);
				return send(201, this._accountJSON(a));
			}
			if ((m = p.match(/^\/accounts\/([^/]+)(\/[a-z]+)?$/))) {
				const a = this.accounts.get(decodeURIComponent(m[1]));
				if (!a)
					throw new HttpError(404, 'Not Found',
							    'no such account');
				const sub = m[2] || '';
				if (M === 'GET' && sub === '')
					return send(200, this._accountJSON(a));
				if (M === 'POST' && sub === '/packets') {
					const amt = this._controlAmount(j, a);
					/* count: that many packets in a row (each
					 * may trigger its own settlement) */
					const count = j.count === undefined ? 1 : j.count;
					if (!Number.isInteger(count) || count < 1 || count > 10000)
						throw new HttpError(400, 'Bad Request',
								    'count is a whole number 1..10000');
					const all = [];
					for (let i = 0; i < count; i++) {
						const x = this.packets(a, amt, j.direction || 'out');
						if (x)
							all.push(x);
					}
					if (j.wait)
						await Promise.all(all.map((x) => x.promise));
					const s = all.length ? all[all.length - 1] : null;
					/* brief: no account (its lists grow
					 * with every settlement) */
					return send(200, {
						settlement: s ? this._settlementJSON(s) : null,
						settlements: all.map((x) => this._settlementJSON(x)),
						account: j.brief ? null : this._accountJSON(a),
					});
				}
				if (M === 'POST' && sub === '/load') {
					const rate = j.rate;
					if (!Number.isInteger(rate) || rate < 1 || rate > 100000)
						throw new HttpError(400, 'Bad Request',
								    'rate is a whole number 1..100000 (packets per second)');
					if (!Array.isArray(j.amounts) || j.amounts.length < 1 ||
					    j.amounts.length > 100000 ||
					    !j.amounts.every((x) => typeof x === 'string' && /^[0-9]{1,30}$/.test(x)))
						throw new HttpError(400, 'Bad Request',
								    'amounts is a list of 1..100000 unit amounts (strings of digits)');
					this.startLoad(a, j.amounts.map((x) => BigInt(x)), rate);
					return send(202, this.loadJSON(a));
				}
				if (M === 'GET' && sub === '/load') {
					const L = this.loadJSON(a);
					if (!L)
						throw new HttpError(404, 'Not Found',
								    'no load was started on this account');
					return send(200, L);
				}
				if (M === 'POST' && sub === '/settle') {
					const amt = j.amount === undefined &&
						    j.xrp === undefined ?
						a.balance - a.settleTo :
						this._controlAmount(j, a);
					if (amt <= 0n)
						throw new HttpError(400, 'Bad Request',
								    'nothing to settle');
					a.balance -= amt;
					const s = this._startSettlement(a, amt);
					if (j.wait)
						await s.promise;
					return send(200, {
						settlement: this._settlementJSON(s),
						account: this._accountJSON(a),
					});
				}
				if (M === 'POST' && sub === '/config') {
					if (j.threshold !== undefined)
						a.threshold = bigOrNull(j.threshold, 'threshold');
					if (j.settleTo !== undefined)
						a.settleTo = bigOrNull(j.settleTo, 'settleTo') || 0n;
					/* rs: every account update creates it on
					 * the engine again (routes/accounts.rs) */
					if (this.flavor === 'rs' && a.engineId)
						a.engineCreate = await this._engineCall(
							'accounts', '/accounts',
							{ 'content-type': 'application/json' },
							JSON.stringify({ id: a.engineId }));
					return send(200, this._accountJSON(a));
				}
			}
			if (M === 'POST' && p === '/load') {
				/* {rate, names: [account names], picks: [index
				 * into names per packet], amounts: [units per
				 * packet]} (indices keep the body small) */
				const rate = j.rate;
				if (!Number.isInteger(rate) || rate < 1 || rate > 100000)
					throw new HttpError(400, 'Bad Request',
							    'rate is a whole number 1..100000 (packets per second)');
				const n = Array.isArray(j.amounts) ? j.amounts.length : 0;
				if (n < 1 || n > 1000000 || !Array.isArray(j.names) ||
				    !Array.isArray(j.picks) || j.picks.length !== n ||
				    !j.amounts.every((x) => typeof x === 'string' && /^[0-9]{1,30}$/.test(x)))
					throw new HttpError(400, 'Bad Request',
							    'amounts: 1..1000000 unit amounts (strings of digits), picks: as many indices into names');
				const byIdx = j.names.map((name) => {
					const a = this.accounts.get(name);
					if (!a)
						throw new HttpError(404, 'Not Found',
								    `no such account ${name}`);
					return a;
				});
				const accts = j.picks.map((i) => {
					if (!Number.isInteger(i) || !byIdx[i])
						throw new HttpError(400, 'Bad Request',
								    'picks are indices into names');
					return byIdx[i];
				});
				this.startMultiLoad(accts, j.amounts.map((x) => BigInt(x)), rate);
				return send(202, this.loadJSON(null));
			}
			if (M === 'GET' && p === '/load') {
				const L = this.loadJSON(null);
				if (!L)
					throw new HttpError(404, 'Not Found',
							    'no multi-account load was started');
				return send(200, L);
			}
			if (M === 'GET' && p === '/log') {
				const since = Number(url.searchParams.get('since') || 0);
				/* a reader behind the dropped entries learns
				 * it from this header */
				res.setHeader('log-dropped-through',
					      String(this.droppedThrough));
				res.setHeader('log-seq', String(this.seq));
				return send(200, this._logSince(since,
					url.searchParams.get('route')), true);
			}
			if (M === 'DELETE' && p === '/log') {
				this.log = [];
				return send(200, { ok: true });
			}
			if (M === 'GET' && p === '/faults')
				return send(200, Object.fromEntries(this.faults));
			if (M === 'POST' && p === '/faults') {
				const route = j.route || 'all';
				if (!['all', 'settlements', 'messages', 'peer'].includes(route))
					throw new HttpError(400, 'Bad Request',
							    'route is all|settlements|messages|peer');
				const f = this.faults.get(route) ||
					  { fail: 0, status: 500, hang: 0, lose: 0,
					    delayMs: 0 };
				for (const k of ['fail', 'hang', 'lose', 'delayMs',
						 'status']) {
					if (j[k] === undefined)
						continue;
					if (!Number.isInteger(j[k]) || j[k] < 0)
						throw new HttpError(400, 'Bad Request',
								    `${k} must be a non-negative integer`);
					f[k] = j[k];
				}
				for (const k of ['body', 'match']) {
					if (j[k] === undefined)
						continue;
					if (typeof j[k] !== 'string')
						throw new HttpError(400, 'Bad Request',
								    `${k} must be a string`);
					f[k] = j[k];
				}
				this.faults.set(route, f);
				return send(200, Object.fromEntries(this.faults));
			}
			if (M === 'DELETE' && p === '/faults') {
				this.faults.clear();
				if (j.releaseHung || url.searchParams.get('releaseHung')) {
					for (const r of this.hung)
						r.destroy();
					this.hung.clear();
				}
				return send(200, { ok: true });
			}
			if (M === 'POST' && p === '/idle') {
				await this.idle();
				return send(200, { ok: true });
			}
			throw new HttpError(404, 'Not Found',
					    `no control route ${M} ${p}`);
		} catch (e) {
			if (e instanceof HttpError)
				return send(e.status, { error: e.detail || e.title });
			return send(500, { error: String(e.message || e) });
		}
	}

	/* {amount: "<units>"} or {xrp: "<decimal standard units>"}. */
	_controlAmount(j, a) {
		try {
			if (j.xrp !== undefined)
				return parseDecimal(String(j.xrp), a.scale);
			if (typeof j.amount === 'string' && /^[0-9]+$/.test(j.amount))
				return BigInt(j.amount);
		} catch (e) {
			throw new HttpError(400, 'Bad Request', e.message);
		}
		throw new HttpError(400, 'Bad Request',
				    'give amount (units, string) or xrp (decimal string)');
	}
}

module.exports = { Connector, httpRequest, PEER_CONDITION, UUID_RE };
