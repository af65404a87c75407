'use strict';
/*
 * Tests of the message relay between two connector stand-ins: engine A's
 * message goes A -> peer.settle hop -> B -> engine B and the reply comes
 * back; engine errors become ILP rejects, answered the way each flavour
 * does (rs: 502 problem, java: 200 with the empty reject data).  Also runs
 * server.js as a process.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { spawn } = require('child_process');
const { Connector, PEER_CONDITION } = require('../connector');
const { fakeEngine, call } = require('./helpers');

/* Two engines, two connectors peered with each other; account "b" on A is
 * the link to B and account "a" on B the link to A. */
async function pair(t, flavor = 'rs', opts = {}) {
	const ea = await fakeEngine();
	const eb = await fakeEngine();
	const ca = await new Connector(Object.assign({ engineUrl: ea.url, flavor },
						     opts)).start();
	const cb = await new Connector(Object.assign({ engineUrl: eb.url, flavor,
						       peerUrl: ca.url }, opts)).start();
	ca.opts.peerUrl = cb.url;
	t.after(async () => {
		await ca.stop();
		await cb.stop();
		await ea.close();
		await eb.close();
	});
	const a = (await call(`${ca.controlUrl}/accounts`, 'POST',
			      { name: 'b', peer: 'a' })).json;
	const b = (await call(`${cb.controlUrl}/accounts`, 'POST',
			      { name: 'a', peer: 'b' })).json;
	return { ea, eb, ca, cb, idA: a.id, idB: b.id };
}

const send = (c, id, bytes, headers = {}) =>
	call(`${c.url}/accounts/${id}/messages`, 'POST', bytes,
	     Object.assign({ 'content-type': 'application/octet-stream' }, headers));

for (const flavor of ['rs', 'java']) {
	test(`${flavor}: a message reaches the peer engine and the reply comes back`, async (t) => {
		const { eb, ca, cb, idA, idB } = await pair(t, flavor);
		const msg = Buffer.from([0x7b, 0x00, 0xff, 0x10, 0x7d]);
		const r = await send(ca, idA, msg);
		assert.equal(r.status, flavor === 'rs' ? 201 : 200);
		assert.equal(r.headers['content-type'], 'application/octet-stream');
		assert.deepEqual(r.body, Buffer.concat([Buffer.from('reply:'), msg]));
		const [e4] = eb.of('messages');
		assert.equal(e4.path, `/accounts/${idB}/messages`);
		assert.deepEqual(e4.body, msg);
		assert.equal(e4.headers['content-type'], 'application/octet-stream');
		assert.equal(e4.headers.accept, 'application/octet-stream');
		if (flavor === 'rs')
			assert.match(e4.headers['idempotency-key'], /^[0-9a-f-]{36}$/);
		else
			assert.equal(e4.headers['idempotency-key'], undefined);
		/* the hop carried a peer.settle Prepare with the right condition */
		const hop = (await call(`${ca.controlUrl}/log?route=peer`)).json[0];
		const prepare = JSON.parse(hop.body);
		assert.equal(prepare.destination, 'peer.settle');
		assert.equal(prepare.amount, '0');
		assert.equal(prepare.executionCondition, PEER_CONDITION);
		const left = Date.parse(prepare.expiresAt) - Date.parse(hop.time);
		assert.ok(left > 25000 && left <= 30000, `expiry ${left}`);
		const inB = (await call(`${cb.controlUrl}/log?route=peer`)).json[0];
		assert.equal(inB.status, 200);
		assert.equal(inB.engineStatus, 201);
	});

	test(`${flavor}: the timings count each hop of a relayed message`, async (t) => {
		const { eb, ca, cb, idA } = await pair(t, flavor);
		/* the peer engine answers after 20 ms: every hop that waits
		 * for it takes at least that */
		eb.on.messages = async () => {
			await new Promise((r) => setTimeout(r, 20));
			return { status: 201, body: 'ok' };
		};
		for (let i = 0; i < 3; i++)
			assert.equal((await send(ca, idA, 'hi')).status, flavor === 'rs' ? 201 : 200);
		const a = (await call(`${ca.controlUrl}/timings?reset=1`)).json;
		const b = (await call(`${cb.controlUrl}/timings`)).json;
		const slow = (h) => h.count - h.buckets.find((x) => x.le === 0.015).n;
		for (const [h, name] of [[a.hops.messages, 'A messages'], [a.hops['call peer'], 'A call peer'],
					 [b.hops.peer, 'B peer'], [b.hops['call engine messages'], 'B call engine']]) {
			assert.equal(h.count, 3, name);
			assert.equal(slow(h), 3, `${name}: each waited for the engine`);
			assert.ok(h.sum >= 0.06 && h.sum < 5, `${name}: ${h.sum} s`);
			assert.equal(h.buckets.at(-1).le, 'Infinity');
			assert.equal(h.buckets.at(-1).n, 3);
		}
		assert.equal(a.hops.peer, undefined);
		assert.equal(b.hops.messages, undefined);
		/* the account's creation on each engine was timed too */
		assert.equal(a.hops['call engine accounts'].count, 1);
		for (const x of [a, b]) {
			assert.ok(x.loop.p99Ms >= 0 && x.loop.maxMs >= x.loop.p99Ms);
			assert.ok(x.gc.count >= 0 && x.gc.ms >= 0);
		}
		/* reset (?reset=1 above): the hops are kept; the loop's delay
		 * and the collections start over (checked in-process, where no
		 * collection can be observed between the two calls) */
		const a2 = (await call(`${ca.controlUrl}/timings`)).json;
		assert.equal(a2.hops.messages.count, 3);
		ca.timings.gc.count = 7;
		ca.timings.reset();
		const a3 = ca.timings.toJSON();
		assert.deepEqual(a3.gc, { count: 0, ms: 0, maxMs: 0 });
		assert.equal(a3.loop.maxMs, 0);
		assert.equal(a3.hops.messages.count, 3);
	});

	test(`${flavor}: engine 4xx becomes a reject`, async (t) => {
		const { eb, ca, idA } = await pair(t, flavor);
		eb.on.messages = () => ({ status: 400, body: 'bad message' });
		const r = await send(ca, idA, 'hello');
		if (flavor === 'rs') {
			assert.equal(r.status, 502);
			assert.equal(r.headers['content-type'], 'application/problem+json');
			assert.equal(r.json.title, 'Error sending message to peer engine');
			assert.match(r.json.detail, /F00/);
		} else {
			assert.equal(r.status, 200);
			assert.equal(r.body.length, 0);
		}
		const log = (await call(`${ca.controlUrl}/log?route=messages`)).json;
		assert.deepEqual(log[0].ilp, { type: 'reject',
			code: flavor === 'rs' ? 'F00' : 'T00' });
	});
}

test('rs: engine 5xx and an unreachable engine become T00 rejects', async (t) => {
	const { ea, eb, ca, cb, idA } = await pair(t, 'rs');
	eb.on.messages = () => ({ status: 500 });
	let r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /T00/);
	cb.opts.engineUrl = 'http://127.0.0.1:1';
	r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /T00/);
	void ea;
});

test('rs: a hung peer engine runs into the Prepare expiry', async (t) => {
	const { eb, ca, idA } = await pair(t, 'rs', { expiryMs: 400 });
	eb.on.messages = () => 'hang';
	const r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /R00|T00/);
});

test('rs: unknown peer account and unreachable peer are rejects', async (t) => {
	const { ca, cb, idA } = await pair(t, 'rs');
	ca.accounts.get('b').peer = 'nobody';
	let r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /F02/);
	ca.accounts.get('b').peer = 'a';
	await cb.stop();
	r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /T01/);
});

test('messages: unknown account 404, rs non-UUID 400, peer fault', async (t) => {
	const { ca, cb, idA } = await pair(t, 'rs');
	assert.equal((await send(ca, '00000000-0000-4000-8000-000000000000', 'x')).status, 404);
	assert.equal((await send(ca, 'alice', 'x')).status, 400);
	await call(`${cb.controlUrl}/faults`, 'POST', { route: 'peer', fail: 1 });
	const r = await send(ca, idA, 'x');
	assert.equal(r.status, 502);
	assert.match(r.json.detail, /T00/);
	assert.equal((await send(ca, idA, 'x')).status, 201);
});

test('rs keeps every message answer per key, a Reject\'s 502 included', async (t) => {
	const { eb, ca, idA } = await pair(t, 'rs');
	eb.on.messages = () => ({ status: 503 });
	const k = { 'idempotency-key': 'm-1' };
	assert.equal((await send(ca, idA, 'x', k)).status, 502);
	eb.on.messages = null;
	/* the peer is back: the same key still gets its 502 (a day), a new
	 * key goes through; another body under the key is a 409 */
	let r = await send(ca, idA, 'x', k);
	assert.equal(r.status, 502);
	assert.equal((await send(ca, idA, 'y', k)).status, 409);
	assert.equal(eb.of('messages').length, 1);
	r = await send(ca, idA, 'x', { 'idempotency-key': 'm-2' });
	assert.equal(r.status, 201);
	assert.equal((await send(ca, idA, 'x', { 'idempotency-key': 'm-2' })).status, 201);
	assert.equal(eb.of('messages').length, 2);
});

test('rs with errorCache off (a focused test): errors and messages are not kept', async (t) => {
	const { eb, ca, idA } = await pair(t, 'rs', { errorCache: false });
	eb.on.messages = () => ({ status: 503 });
	const k = { 'idempotency-key': 'm-1' };
	assert.equal((await send(ca, idA, 'x', k)).status, 502);
	eb.on.messages = null;
	assert.equal((await send(ca, idA, 'x', k)).status, 201);
});

test('java refuses a wrong Content-Type (415) or Accept (406), messages and credits', async (t) => {
	const { ca, idA } = await pair(t, 'java');
	assert.equal((await send(ca, idA, 'x', { 'content-type': 'text/plain' })).status, 415);
	assert.equal((await send(ca, idA, 'x', { accept: 'application/json' })).status, 406);
	assert.equal((await send(ca, idA, 'x', { accept: '*/*' })).status, 200);
	const credit = (headers) => call(`${ca.url}/accounts/${idA}/settlements`, 'POST',
		'{"amount":"1","scale":9}', Object.assign({
			'content-type': 'application/json', 'idempotency-key': `c${Math.random()}`,
		}, headers));
	assert.equal((await credit({ accept: 'text/plain' })).status, 406);
	assert.equal((await credit({ 'content-type': 'text/plain' })).status, 415);
	assert.equal((await credit({ accept: 'application/json' })).status, 200);
	assert.equal(ca.opts.retries, 0);
});

test('the peer hop rejects a malformed Prepare', async (t) => {
	const { cb } = await pair(t, 'rs');
	const r = await call(`${cb.url}/peer/accounts/a/settle`, 'POST',
			     { destination: 'g.other', amount: '0', data: '' });
	assert.equal(r.status, 200);
	assert.equal(r.json.type, 'reject');
	assert.equal(r.json.code, 'F01');
	const r2 = await call(`${cb.url}/peer/accounts/a/settle`, 'POST', {
		destination: 'peer.settle', amount: '0', data: '',
		expiresAt: new Date(Date.now() - 1000).toISOString() });
	assert.equal(r2.json.code, 'R00');
});

function startCli(args) {
	const p = spawn(process.execPath, [path.join(__dirname, '..', 'server.js'),
					   ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let err = '';
	p.stderr.on('data', (d) => { err += d; });
	const ready = new Promise((resolve, reject) => {
		let out = '';
		p.stdout.on('data', (d) => {
			out += d;
			const nl = out.indexOf('\n');
			if (nl >= 0)
				resolve(JSON.parse(out.slice(0, nl)));
		});
		p.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
	});
	const exited = new Promise((r) => p.on('exit', (code) => r(code)));
	return { p, ready, exited, stderr: () => err };
}

test('server.js: listens, announces its ports, stops on SIGTERM', async (t) => {
	const engine = await fakeEngine();
	t.after(() => engine.close());
	const s = startCli(['--port', '0', '--engine-url', engine.url,
			    '--flavor', 'java', '--threshold', '10',
			    '--control-port', '0', '--account', 'alice:eng-1:bob',
			    '--verbose', '--name', 'cli']);
	const info = await s.ready;
	assert.equal(info.event, 'listening');
	assert.equal(info.flavor, 'java');
	assert.notEqual(info.port, info.controlPort);
	assert.deepEqual(info.accounts, [{ name: 'alice', id: 'eng-1' }]);
	const acct = (await call(`${info.controlUrl}/accounts/alice`)).json;
	assert.equal(acct.peer, 'bob');
	assert.equal(acct.threshold, '10');
	await call(`${info.controlUrl}/accounts/alice/packets`, 'POST',
		   { amount: '10', wait: true });
	assert.equal(engine.of('settlements')[0].path, '/accounts/eng-1/settlements');
	const key = engine.of('settlements')[0].headers['idempotency-key'];
	assert.match(s.stderr(), new RegExp(`^\\[cli\\] #\\d+ -> engine-settlements POST http://127\\.0\\.0\\.1:\\d+/accounts/eng-1/settlements key=${key} : 201$`, 'm'));
	s.p.kill('SIGTERM');
	assert.equal(await s.exited, 0);
});

test('server.js: bad arguments exit 2 with usage', async () => {
	for (const args of [[], ['--port', '0'], ['--port', 'x', '--engine-url', 'u'],
			    ['--bogus', '1']]) {
		const s = startCli(args);
		s.ready.catch(() => {});
		assert.equal(await s.exited, 2, args.join(' '));
		assert.match(s.stderr(), /usage:/);
	}
});
