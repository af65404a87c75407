'use strict';
/*
 * Test helpers for the connector stand-in: a tiny fake settlement engine (an
 * http server that records every request and answers per a programmable
 * handler), JSON/HTTP shortcuts and a poller.  Not a test file itself.
 */

const http = require('http');
const crypto = require('crypto');
const { httpRequest } = require('../connector');

/*
 * Starts a fake engine on 127.0.0.1.  Default answers are what a plain
 * engine gives: POST /accounts 201 {"id"} (minting a UUID for null),
 * .../settlements 201 echoing the Quantity, .../messages 201 echoing
 * "reply:" + body.  Override per route with engine.on.accounts /
 * settlements / messages = (req, body) => ({status, headers?, body?}) or a
 * Promise of it.
 */
async function fakeEngine() {
	const e = { requests: [], on: {} };
	e.server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			const body = Buffer.concat(chunks);
			const r = { method: req.method, path: req.url,
				    headers: req.headers, body };
			e.requests.push(r);
			let m;
			let route = null;
			if (req.url === '/accounts')
				route = 'accounts';
			else if ((m = req.url.match(/^\/accounts\/[^/]+\/(settlements|messages)$/)))
				route = m[1];
			let out;
			if (route && e.on[route])
				out = await e.on[route](r, body);
			else if (route === 'accounts') {
				const j = JSON.parse(body.toString());
				out = { status: 201, headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ id: j.id || crypto.randomUUID() }) };
			} else if (route === 'settlements')
				out = { status: 201, headers: { 'content-type': 'application/json' },
					body: body.toString() };
			else if (route === 'messages')
				out = { status: 201, headers: { 'content-type': 'application/octet-stream' },
					body: Buffer.concat([Buffer.from('reply:'), body]) };
			else
				out = { status: 404, body: '' };
			if (out === 'hang')
				return;
			res.writeHead(out.status, out.headers || {});
			res.end(out.body || '');
		});
	});
	await new Promise((r) => e.server.listen(0, '127.0.0.1', r));
	e.url = `http://127.0.0.1:${e.server.address().port}`;
	e.close = async () => {
		e.server.closeAllConnections();
		await new Promise((r) => e.server.close(() => r()));
	};
	e.of = (route) => e.requests.filter((r) => r.path === '/accounts' ?
		route === 'accounts' : r.path.endsWith('/' + route));
	return e;
}

/* JSON request; resolves {status, headers, json, text}. */
async function call(url, method = 'GET', obj, headers = {}) {
	const h = Object.assign({}, headers);
	let body;
	if (obj !== undefined) {
		body = typeof obj === 'string' || Buffer.isBuffer(obj) ? obj :
		       JSON.stringify(obj);
		if (!h['content-type'])
			h['content-type'] = 'application/json';
	}
	const r = await httpRequest(url, { method, headers: h, body,
					   timeoutMs: 20000 });
	const text = r.body.toString('utf8');
	let json = null;
	try {
		json = JSON.parse(text);
	} catch (e) { /* not JSON */ }
	return { status: r.status, headers: r.headers, json, text, body: r.body };
}

/* Polls fn() every 20 ms until it returns truthy or ms elapse. */
async function until(fn, ms = 5000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('condition not met in time');
		await new Promise((r) => setTimeout(r, 20));
	}
}

module.exports = { fakeEngine, call, until };
