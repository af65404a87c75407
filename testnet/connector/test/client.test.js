'use strict';
/*
 * client.js, the stand-in's calls on undici's pools: the request arrives
 * as given, every framing of an answer is read, connections are kept and
 * bounded, and failures come out as node's client gave them (timeout,
 * refused, hang-up).
 */

const test = require('node:test');
const assert = require('node:assert');
const net = require('net');
const http = require('http');
const { eligible, leanRequest } = require('../client');

/* A raw TCP server: records each request's bytes (head + Content-Length
 * body) and answers it with answer(i) (raw bytes; 'hang': none; 'close':
 * drop the connection). */
async function rawServer(answer) {
	const srv = { requests: [], conns: 0, sockets: new Set() };
	srv.server = net.createServer((s) => {
		srv.conns++;
		srv.sockets.add(s);
		s.on('close', () => srv.sockets.delete(s));
		let b = Buffer.alloc(0);
		s.on('data', (d) => {
			b = Buffer.concat([b, d]);
			for (;;) {
				const i = b.indexOf('\r\n\r\n');
				if (i < 0)
					return;
				const m = /content-length: ([0-9]+)/i.exec(b.toString('latin1', 0, i));
				const end = i + 4 + (m ? Number(m[1]) : 0);
				if (b.length < end)
					return;
				srv.requests.push(b.subarray(0, end).toString('latin1'));
				b = b.subarray(end);
				const a = answer(srv.requests.length - 1);
				if (a === 'close')
					s.destroy();
				else if (a !== 'hang')
					s.write(a);
			}
		});
	});
	await new Promise((r) => srv.server.listen(0, '127.0.0.1', r));
	srv.port = srv.server.address().port;
	srv.url = `http://127.0.0.1:${srv.port}`;
	srv.close = async () => {
		for (const s of srv.sockets)
			s.destroy();
		await new Promise((r) => srv.server.close(r));
	};
	return srv;
}

const OK = 'HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nRECEIVED';

test('sends the method, path, headers and body; reads the answer', async () => {
	const srv = await rawServer(() => OK);
	const headers = { 'content-type': 'application/json', accept: 'application/json',
			  'idempotency-key': 'k-1' };
	for (const body of ['{"amount":"1","scale":9}', 'é€', Buffer.from([0, 1, 2, 255]), '']) {
		const r = await leanRequest(`${srv.url}/accounts/a/settlements?x=1`, 'POST',
					    headers, body, 5000);
		assert.equal(r.status, 201);
		assert.equal(r.body.toString(), 'RECEIVED');
		assert.equal(r.headers['content-type'], 'text/plain');
		const req = srv.requests[srv.requests.length - 1];
		const [head, got] = [req.slice(0, req.indexOf('\r\n\r\n')),
				     req.slice(req.indexOf('\r\n\r\n') + 4)];
		assert.match(head, /^POST \/accounts\/a\/settlements\?x=1 HTTP\/1.1\r\n/);
		assert.match(head, /\r\ncontent-type: application\/json\r\n/i);
		assert.match(head, /\r\nidempotency-key: k-1\r\n/i);
		assert.match(head, new RegExp(`\r\nhost: 127.0.0.1:${srv.port}\r\n`, 'i'));
		assert.equal(Buffer.from(got, 'latin1').toString('hex'),
			     Buffer.from(body).toString('hex'));
	}
	/* kept alive: a second may open while the first finishes its answer */
	assert.ok(srv.conns <= 2, `${srv.conns} connections for 4 requests in a row`);
	await srv.close();
});

test('reads chunked and empty answers on one kept-alive connection', async () => {
	const answers = [
		'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: a\r\n\r\n' +
		'3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n',
		'HTTP/1.1 204 No Content\r\n\r\n',
		'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
	];
	const srv = await rawServer((i) => answers[i]);
	let r = await leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000);
	assert.equal(r.status, 200);
	assert.equal(r.body.toString(), 'abcde');
	assert.equal(r.headers['content-type'], 'a');
	r = await leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000);
	assert.equal(r.status, 204);
	assert.equal(r.body.length, 0);
	r = await leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000);
	assert.equal(r.status, 200);
	assert.equal(r.body.length, 0);
	assert.ok(srv.conns <= 2, `${srv.conns} connections for 3 requests in a row`);
	await srv.close();
});

test('an answer split into single bytes is read whole', async () => {
	const srv = await rawServer(() => 'hang');
	const p = leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000);
	await new Promise((res) => setTimeout(res, 50));
	const [s] = srv.sockets;
	for (const c of 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')
		await new Promise((res) => s.write(c, res));
	const r = await p;
	assert.equal(r.body.toString(), 'hello');
	await srv.close();
});

test('fails like node: timeout, refused, hang-up; a dropped connection is not reused', async () => {
	const srv = await rawServer((i) => (i === 0 ? 'hang' : i === 1 ? 'close' : OK));
	await assert.rejects(leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 100),
			     (e) => e.code === 'ETIMEDOUT' && /timeout after 100 ms/.test(e.message));
	await assert.rejects(leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000),
			     (e) => e.code === 'ECONNRESET' && e.message === 'socket hang up');
	const r = await leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000);
	assert.equal(r.status, 201);
	assert.equal(srv.conns, 3);
	await srv.close();
	/* (the pooled connection's close reaches the client first) */
	await new Promise((res) => setTimeout(res, 50));
	await assert.rejects(leanRequest(`${srv.url}/m`, 'POST', {}, 'x', 5000),
			     (e) => e.code === 'ECONNREFUSED');
});

test('many requests at once share a bounded pool and all get their own answer', async () => {
	const srv = await rawServer((i) => {
		const b = `answer ${i}`;
		return `HTTP/1.1 200 OK\r\nContent-Length: ${b.length}\r\n\r\n${b}`;
	});
	const all = await Promise.all(Array.from({ length: 300 }, (_, i) =>
		leanRequest(`${srv.url}/m`, 'POST', {}, `q${i}`, 5000)));
	assert.equal(new Set(all.map((r) => r.body.toString())).size, 300);
	assert.ok(srv.conns <= 256, `${srv.conns} connections`);
	await srv.close();
});

test('takes only plain requests with a body', () => {
	assert.ok(eligible('http://127.0.0.1:1/a', 'POST', { 'content-type': 'x' }, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'GET', {}, undefined));
	assert.ok(!eligible('https://127.0.0.1:1/a', 'POST', {}, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'POST', { host: 'h' }, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'POST', { 'Content-Length': '1' }, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'POST', { 'x-k': 'é' }, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'POST', { 'x-k': 5 }, ''));
	assert.ok(!eligible('http://127.0.0.1:1/a', 'POST', {}, 5));
});
