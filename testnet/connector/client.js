'use strict';
/*
 * The stand-in's own calls to its engine and its peer (requests with a
 * body to http:// URLs), on undici's keep-alive connection pools (the
 * npm package of node's HTTP client team): node's ClientRequest,
 * IncomingMessage streams and Agent bookkeeping were most of the
 * stand-in's CPU per request.  One pool per origin keeps up to
 * MAX_SOCKETS connections, the idle ones dropped after IDLE_MS, like
 * node's Agent({keepAlive, maxSockets: 256, timeout: 60000}) before it.
 * Failures come out as node's client gave them, which the stand-in's
 * callers tell apart: ETIMEDOUT "timeout after N ms", ECONNREFUSED, and
 * ECONNRESET "socket hang up" for a connection closed before the answer.
 * eligible() says which requests go this way; the caller sends the
 * others through node's http.
 */

const { Pool } = require('undici');
const { parseHeaders } = require('undici/lib/core/util');

const MAX_SOCKETS = 256;
const IDLE_MS = 60000;
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE_RE = /^[\t\x20-\x7e]*$/;
/* headers the pool writes itself, or that change the framing */
const OWN = new Set(['host', 'connection', 'content-length',
		     'transfer-encoding', 'expect', 'upgrade', 'te',
		     'trailer', 'keep-alive']);

/* Whether this client takes the request: http:// URL, a body (string or
 * Buffer), and plain headers. */
function eligible(url, method, headers, body) {
	if (body === undefined || !url.startsWith('http://') ||
	    !TOKEN_RE.test(method))
		return false;
	if (typeof body !== 'string' && !Buffer.isBuffer(body))
		return false;
	for (const k in headers) {
		const v = headers[k];
		if (typeof v !== 'string' || !VALUE_RE.test(v) || !plainName(k))
			return false;
	}
	return true;
}

/* Header names seen, and whether each is one this client takes (the
 * stand-in sends the same few on every request). */
const names = new Map();

function plainName(k) {
	let ok = names.get(k);
	if (ok === undefined) {
		ok = TOKEN_RE.test(k) && !OWN.has(k.toLowerCase());
		if (names.size < 1000)
			names.set(k, ok);
	}
	return ok;
}

const pools = new Map();
const parts = new Map();

/* The pool and path of a URL, parsed once (a handful of URLs per account
 * are called thousands of times). */
function partsOf(url) {
	let p = parts.get(url);
	if (p === undefined) {
		const u = new URL(url);
		let pool = pools.get(u.origin);
		if (!pool) {
			pool = new Pool(u.origin, {
				connections: MAX_SOCKETS, pipelining: 1,
				keepAliveTimeout: IDLE_MS,
				keepAliveMaxTimeout: IDLE_MS,
				headersTimeout: 0, bodyTimeout: 0,
			});
			pools.set(u.origin, pool);
		}
		p = { pool, path: u.pathname + u.search };
		if (parts.size >= 20000)
			parts.clear();
		parts.set(url, p);
	}
	return p;
}

function coded(code, msg) {
	const e = new Error(msg);
	e.code = code;
	return e;
}

/* The answer of leanRequest: headers are parsed (as undici's request()
 * gives them) only when read; the stand-in's own calls never read them. */
class Answer {
	constructor(status, raw, body) {
		this.status = status;
		this.raw = raw;
		this.body = body;
		this.parsed = null;
	}

	get headers() {
		if (this.parsed === null)
			this.parsed = parseHeaders(this.raw);
		return this.parsed;
	}
}

/* One request as an undici dispatch handler.  undici's request() wraps
 * the same handler in an async resource, an AbortSignal for the timeout
 * and a Readable for the answer's body, which were about a tenth of the
 * stand-in's CPU per request; this collects the body's chunks itself and
 * aborts through the handle onConnect gives. */
class Call {
	constructor(resolve, reject, timeoutMs) {
		this.resolve = resolve;
		this.reject = reject;
		this.timeoutMs = timeoutMs;
		this.abort = null;
		this.timedOut = false;
		this.status = 0;
		this.raw = null;
		this.chunks = [];
		this.timer = setTimeout(() => this.onTimeout(), timeoutMs);
	}

	onTimeout() {
		this.timedOut = true;
		const e = coded('ETIMEDOUT', `timeout after ${this.timeoutMs} ms`);
		/* not yet on a connection: it is aborted when it gets one */
		if (this.abort !== null)
			this.abort(e);
		this.reject(e);
	}

	onConnect(abort) {
		if (this.timedOut)
			abort(coded('ETIMEDOUT', `timeout after ${this.timeoutMs} ms`));
		else
			this.abort = abort;
	}

	onHeaders(status, raw) {
		/* 1xx: informational, the answer follows */
		if (status >= 200) {
			this.status = status;
			this.raw = raw;
		}
		return true;
	}

	onData(chunk) {
		this.chunks.push(chunk);
		return true;
	}

	onComplete() {
		clearTimeout(this.timer);
		if (this.timedOut)
			return;
		const c = this.chunks;
		/* a chunk is a view of its own socket read, not of a buffer
		 * reused later: one is kept as it is */
		const body = c.length === 1 ? c[0] : Buffer.concat(c);
		this.resolve(new Answer(this.status, this.raw, body));
	}

	onError(e) {
		clearTimeout(this.timer);
		if (this.timedOut)
			return;
		const code = e.code || (e.cause && e.cause.code);
		if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' ||
		    code === 'ECONNRESET')
			this.reject(coded('ECONNRESET', 'socket hang up'));
		else if (e.cause && e.cause.code && !e.code)
			this.reject(e.cause);
		else
			this.reject(e);
	}
}

/*
 * One request on a pooled connection: resolves {status, headers, body:
 * Buffer}; rejects with err.code 'ETIMEDOUT' after timeoutMs, with the
 * connection's error (ECONNREFUSED), or with ECONNRESET "socket hang up"
 * when the server closes before the answer is complete.
 */
function leanRequest(url, method, headers, body, timeoutMs) {
	const { pool, path } = partsOf(url);
	return new Promise((resolve, reject) => {
		pool.dispatch({ path, method, headers, body },
			      new Call(resolve, reject, timeoutMs));
	});
}

module.exports = { eligible, leanRequest };
