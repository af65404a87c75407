'use strict';
/*
 * A lean HTTP/1.1 keep-alive client for the stand-in's hot path: requests
 * with a body to http:// URLs, with plain header names and values.  It
 * writes the very bytes node's http client (with a keep-alive Agent) writes
 * for such a request, in one write:
 *
 *   METHOD PATH HTTP/1.1\r\n
 *   <the caller's headers, in order>\r\n
 *   content-length: N\r\n
 *   Host: HOST:PORT\r\n
 *   Connection: keep-alive\r\n
 *   \r\n
 *   BODY
 *
 * and reads the answer itself (status line, headers, a Content-Length,
 * chunked or close-delimited body), keeping up to MAX_SOCKETS connections
 * per host and port, the idle ones last-in first-out and dropped after
 * IDLE_MS, like node's Agent({keepAlive, maxSockets: 256, timeout: 60000,
 * scheduling: 'lifo'}).  node's ClientRequest, IncomingMessage streams and
 * Agent bookkeeping were most of the stand-in's CPU per request; this does
 * the same work without them.  eligible() says which requests it takes;
 * the caller sends the others through node's http.
 */

const net = require('net');

const MAX_SOCKETS = 256;
const IDLE_MS = 60000;
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE_RE = /^[\t\x20-\x7e]*$/;
/* headers this client writes itself, or that change the framing */
const OWN = new Set(['host', 'connection', 'content-length',
		     'transfer-encoding', 'expect', 'upgrade', 'te',
		     'trailer', 'keep-alive']);
/* node keeps the first of these when an answer repeats them
 * (IncomingMessage's matchKnownFields); other repeats are joined with ", " */
const FIRST_WINS = new Set(['content-type', 'content-length', 'user-agent',
			    'referer', 'host', 'authorization',
			    'proxy-authorization', 'if-modified-since',
			    'if-unmodified-since', 'from', 'location',
			    'max-forwards', 'retry-after', 'etag',
			    'last-modified', 'server', 'age', 'expires']);
const CRLFCRLF = Buffer.from('\r\n\r\n');

/* Whether this client takes the request: http:// URL, a body (string or
 * Buffer), and headers node would write as given. */
function eligible(url, method, headers, body) {
	if (body === undefined || !url.startsWith('http://') ||
	    !TOKEN_RE.test(method))
		return false;
	if (typeof body !== 'string' && !Buffer.isBuffer(body))
		return false;
	for (const k in headers) {
		const v = headers[k];
		if (typeof v !== 'string' || !TOKEN_RE.test(k) ||
		    !VALUE_RE.test(v) || OWN.has(k.toLowerCase()))
			return false;
	}
	return true;
}

/* The Host header node writes for host and port (port 80 left out, an
 * IPv6 literal in brackets). */
function hostHeader(host, port) {
	const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
	return port && Number(port) !== 80 ? `${h}:${port}` : h;
}

class Pool {
	constructor(host, port) {
		this.host = host;
		this.port = port;
		this.hostHeader = hostHeader(host, port);
		this.connectHost = host.startsWith('[') ? host.slice(1, -1) : host;
		this.idle = []; /* sockets, the newest last */
		this.open = 0; /* sockets connecting, busy or idle */
		this.waiting = []; /* requests for a socket, oldest first */
	}

	/* Hands a socket to run(socket) now or once one is free. */
	acquire(job) {
		while (this.idle.length) {
			const s = this.idle.pop();
			if (s.destroyed)
				continue;
			s.setTimeout(0);
			job.run(s);
			return;
		}
		if (this.open < MAX_SOCKETS) {
			this.open++;
			const s = net.connect({ host: this.connectHost,
						port: Number(this.port) || 80,
						noDelay: true, keepAlive: true,
						keepAliveInitialDelay: 1000 });
			s.once('close', () => {
				this.open--;
				const i = this.idle.indexOf(s);
				if (i >= 0)
					this.idle.splice(i, 1);
				this._next();
			});
			/* an error while idle: the socket closes, nobody
			 * waits on it */
			s.on('error', () => {});
			/* only idle sockets have a timeout set */
			s.on('timeout', () => s.destroy());
			job.run(s);
			return;
		}
		this.waiting.push(job);
	}

	/* A socket done with its answer and fit for another request. */
	release(s) {
		if (s.destroyed)
			return;
		const job = this.waiting.shift();
		if (job) {
			job.run(s);
			return;
		}
		s.setTimeout(IDLE_MS);
		this.idle.push(s);
	}

	_next() {
		if (this.waiting.length && this.open < MAX_SOCKETS)
			this.acquire(this.waiting.shift());
	}
}

const pools = new Map();
const parts = new Map();

function partsOf(url) {
	let p = parts.get(url);
	if (p === undefined) {
		const u = new URL(url);
		const key = `${u.hostname}:${u.port}`;
		let pool = pools.get(key);
		if (!pool) {
			pool = new Pool(u.hostname, u.port);
			pools.set(key, pool);
		}
		p = { pool, path: u.pathname + u.search };
		if (parts.size >= 20000)
			parts.clear();
		parts.set(url, p);
	}
	return p;
}

function hangUp(msg) {
	const e = new Error(msg);
	e.code = 'ECONNRESET';
	return e;
}

/*
 * One request on a pooled connection: resolves {status, headers, body:
 * Buffer}; rejects with err.code 'ETIMEDOUT' after timeoutMs (the
 * connection is dropped), with the socket's error, or with ECONNRESET
 * "socket hang up" ("aborted" once the head was in) when the peer closes
 * before the answer is complete.
 */
function leanRequest(url, method, headers, body, timeoutMs) {
	const { pool, path } = partsOf(url);
	let head = `${method} ${path} HTTP/1.1\r\n`;
	for (const k in headers)
		head += `${k}: ${headers[k]}\r\n`;
	const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
	head += `content-length: ${len}\r\nHost: ${pool.hostHeader}\r\nConnection: keep-alive\r\n\r\n`;
	const data = typeof body === 'string' ? head + body :
		     Buffer.concat([Buffer.from(head, 'latin1'), body]);
	return new Promise((resolve, reject) => {
		let sock = null;
		let done = false;
		let buf = null; /* bytes not parsed yet */
		let res = null; /* {status, headers, keepAlive, framing, left} */
		const bodyParts = [];
		const job = { run: null };
		const finish = (err, value) => {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			if (sock) {
				sock.removeListener('data', onData);
				sock.removeListener('close', onClose);
				sock.removeListener('error', onError);
			}
			if (err) {
				if (sock)
					sock.destroy();
				const i = pool.waiting.indexOf(job);
				if (i >= 0)
					pool.waiting.splice(i, 1);
				reject(err);
				return;
			}
			resolve(value);
		};
		const complete = () => {
			const value = { status: res.status, headers: res.headers,
					body: bodyParts.length === 1 ? bodyParts[0] :
					      Buffer.concat(bodyParts) };
			const s = sock;
			const reuse = res.keepAlive && (buf === null || buf.length === 0);
			finish(null, value);
			if (reuse)
				pool.release(s);
			else
				s.destroy();
		};
		const onError = (e) => finish(e);
		const onClose = () => {
			if (res && res.framing === 'close') {
				res.keepAlive = false;
				complete();
				return;
			}
			finish(hangUp(res ? 'aborted' : 'socket hang up'));
		};
		/* Moves up to res.left body bytes from buf to the body; true
		 * once res.left is 0. */
		const take = () => {
			const n = Math.min(buf.length, res.left);
			if (n > 0) {
				bodyParts.push(buf.subarray(0, n));
				res.left -= n;
				buf = buf.subarray(n);
			}
			return res.left === 0;
		};
		/* Parses what there is (a protocol error rejects). */
		const parse = () => {
			for (;;) {
				if (!res) {
					const end = buf.indexOf(CRLFCRLF);
					if (end < 0) {
						if (buf.length > 65536)
							finish(new Error('Header overflow'));
						return;
					}
					const r = parseHead(buf.toString('latin1', 0, end), method);
					if (!r) {
						finish(new Error('Parse Error: bad response head'));
						return;
					}
					buf = buf.subarray(end + 4);
					if (r.status >= 100 && r.status < 200 && r.status !== 101)
						continue; /* informational: the answer follows */
					res = r;
					if (r.framing === 'length' && r.left === 0) {
						complete();
						return;
					}
				}
				if (res.framing === 'length') {
					if (take())
						complete();
					return;
				}
				if (res.framing === 'close') {
					if (buf.length)
						bodyParts.push(buf);
					buf = null;
					return;
				}
				/* chunked */
				if (res.left > 0) {
					if (!take())
						return;
					res.left = -2; /* the CRLF after the data */
				}
				if (res.left === -2) {
					if (buf.length < 2)
						return;
					if (buf[0] !== 13 || buf[1] !== 10) {
						finish(new Error('Parse Error: bad chunk end'));
						return;
					}
					buf = buf.subarray(2);
					res.left = 0;
				}
				if (res.last) {
					/* trailers, then an empty line */
					const end = buf.indexOf('\r\n');
					if (end < 0)
						return;
					buf = buf.subarray(end + 2);
					if (end === 0) {
						complete();
						return;
					}
					continue;
				}
				const end = buf.indexOf('\r\n');
				if (end < 0) {
					if (buf.length > 1024)
						finish(new Error('Parse Error: bad chunk size'));
					return;
				}
				const size = buf.toString('latin1', 0, end).split(';')[0].trim();
				if (!/^[0-9a-fA-F]{1,12}$/.test(size)) {
					finish(new Error('Parse Error: bad chunk size'));
					return;
				}
				buf = buf.subarray(end + 2);
				res.left = parseInt(size, 16);
				if (res.left === 0)
					res.last = true;
			}
		};
		const onData = (chunk) => {
			buf = buf === null || buf.length === 0 ? chunk :
			      Buffer.concat([buf, chunk]);
			if (res && res.framing === 'close') {
				bodyParts.push(buf);
				buf = null;
				return;
			}
			parse();
		};
		job.run = (s) => {
			if (done) {
				pool.release(s);
				return;
			}
			sock = s;
			s.on('data', onData);
			s.on('close', onClose);
			s.on('error', onError);
			s.write(data);
		};
		const timer = setTimeout(() => {
			const e = new Error(`timeout after ${timeoutMs} ms`);
			e.code = 'ETIMEDOUT';
			finish(e);
		}, timeoutMs);
		pool.acquire(job);
	});
}

/* Status line and headers of an answer to a `method` request: {status,
 * headers (lower-case names, repeats as node joins them), keepAlive,
 * framing 'length' | 'chunked' | 'close', left (bytes of a Content-Length
 * body; 0 for an answer that has none)}, or null. */
function parseHead(text, method) {
	const lines = text.split('\r\n');
	const m = /^HTTP\/1\.([01]) ([0-9]{3})(?: .*)?$/.exec(lines[0]);
	if (!m)
		return null;
	const headers = {};
	for (let i = 1; i < lines.length; i++) {
		const l = lines[i];
		const c = l.indexOf(':');
		if (c <= 0)
			return null;
		const k = l.slice(0, c).toLowerCase();
		if (!TOKEN_RE.test(k))
			return null;
		const v = l.slice(c + 1).trim();
		const prev = headers[k];
		if (prev === undefined)
			headers[k] = k === 'set-cookie' ? [v] : v;
		else if (k === 'set-cookie')
			prev.push(v);
		else if (!FIRST_WINS.has(k))
			headers[k] = `${prev}, ${v}`;
	}
	const conn = (headers.connection || '').toLowerCase();
	let keepAlive = m[1] === '1' ? !/(^|,)\s*close\s*(,|$)/.test(conn) :
		/(^|,)\s*keep-alive\s*(,|$)/.test(conn);
	let framing = 'close';
	let left = 0;
	const te = headers['transfer-encoding'];
	const status = Number(m[2]);
	if (method === 'HEAD' || status === 204 || status === 304 ||
	    status < 200) {
		framing = 'length';
	} else if (te !== undefined) {
		if (!/(^|,)\s*chunked\s*$/i.test(te))
			return null;
		framing = 'chunked';
	} else if (headers['content-length'] !== undefined) {
		if (!/^[0-9]{1,15}$/.test(headers['content-length']))
			return null;
		framing = 'length';
		left = Number(headers['content-length']);
	}
	if (framing === 'close')
		keepAlive = false;
	return { status, headers, keepAlive, framing, left };
}

module.exports = { eligible, leanRequest };
