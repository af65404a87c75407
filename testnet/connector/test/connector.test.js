'use strict';
/*
 * Tests of the connector stand-in against a fake engine: both flavours'
 * account creation and credit handling, idempotency replays, leftovers,
 * thresholds and same-key settlement retries, and the control API.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { Connector, UUID_RE } = require('../connector');
const { fakeEngine, call, until } = require('./helpers');

async function setup(t, opts = {}) {
	const engine = await fakeEngine();
	const c = await new Connector(Object.assign({
		engineUrl: engine.url, retryDelayMs: 5, scale: 9,
	}, opts)).start();
	t.after(async () => {
		await c.stop();
		await engine.close();
	});
	return { engine, c };
}

const credit = (c, id, q, key, headers = {}) =>
	call(`${c.url}/accounts/${id}/settlements`, 'POST', q,
	     Object.assign(key === undefined ? {} : { 'idempotency-key': key },
			   headers));

test('rs creates engine accounts with an explicit UUID and no key', async (t) => {
	const { engine, c } = await setup(t);
	const r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'alice' });
	assert.equal(r.status, 201);
	assert.match(r.json.id, UUID_RE);
	const [e1] = engine.of('accounts');
	assert.deepEqual(JSON.parse(e1.body), { id: r.json.id });
	assert.equal(e1.headers['content-type'], 'application/json');
	assert.equal(e1.headers['idempotency-key'], undefined);
});

test('rs keeps the account when the engine fails to create it', async (t) => {
	const { engine, c } = await setup(t);
	engine.on.accounts = () => ({ status: 500, body: 'boom' });
	const r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	assert.equal(r.status, 201);
	assert.equal(r.json.engineCreate.status, 500);
	assert.equal((await call(`${c.controlUrl}/accounts/a`)).status, 200);
});

test('java creates accounts with id null and remembers the engine id', async (t) => {
	const { engine, c } = await setup(t, { flavor: 'java' });
	engine.on.accounts = () => ({ status: 201,
		headers: { 'content-type': 'application/json' },
		body: '{"id":"eng-7"}' });
	const r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'bob' });
	assert.equal(r.status, 201);
	assert.equal(r.json.id, 'eng-7');
	const [e1] = engine.of('accounts');
	assert.equal(e1.body.toString(), '{"id":null}');
	assert.equal(e1.headers.accept, 'application/json');
	assert.equal(e1.headers['content-type'], 'application/json; charset=utf-8');
	/* later calls use the engine's id */
	await call(`${c.controlUrl}/accounts/bob/settle`, 'POST',
		   { amount: '5', wait: true });
	assert.equal(engine.of('settlements')[0].path, '/accounts/eng-7/settlements');
});

test('java aborts account creation without a JSON id', async (t) => {
	const { engine, c } = await setup(t, { flavor: 'java' });
	engine.on.accounts = () => ({ status: 201, body: 'CREATED' });
	let r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'bob' });
	assert.equal(r.status, 502);
	assert.equal((await call(`${c.controlUrl}/accounts/bob`)).status, 404);
	engine.on.accounts = () => ({ status: 500, body: '{"id":"x"}' });
	r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'bob' });
	assert.equal(r.status, 502);
});

test('rs credit: 201 RECEIVED, no content type, errors like the node', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	let r = await credit(c, a.id, { amount: '5', scale: 9 }, 'k1');
	assert.equal(r.status, 201);
	assert.equal(r.text, 'RECEIVED');
	assert.equal(r.headers['content-type'], undefined);
	r = await credit(c, 'alice', { amount: '5', scale: 9 }, 'k2');
	assert.equal(r.status, 400);
	assert.match(r.json.detail, /alice is an invalid account ID/);
	r = await credit(c, '00000000-0000-4000-8000-000000000000',
			 { amount: '5', scale: 9 }, 'k3');
	assert.equal(r.status, 404);
	assert.equal(r.headers['content-type'], 'application/problem+json');
	r = await credit(c, a.id, { amount: '5', scale: 9 }, 'k4',
			 { 'content-type': 'text/plain' });
	assert.equal(r.status, 415);
	for (const bad of [{ amount: 5, scale: 9 }, { amount: '-5', scale: 9 },
			   { amount: '5', scale: 256 }, { amount: '1.5', scale: 1 },
			   '{"amount":']) {
		/* a key each: rs keeps every answer per key */
		r = await credit(c, a.id, bad, `kb${JSON.stringify(bad)}`);
		assert.equal(r.status, 400, JSON.stringify(bad));
	}
	/* missing key: the real node drops the connection */
	await assert.rejects(credit(c, a.id, { amount: '5', scale: 9 }));
	const acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.credited, '5');
});

test('rs credit idempotency: replay same input, 409 on other input', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	const q = { amount: '7', scale: 9 };
	assert.equal((await credit(c, a.id, q, 'K')).status, 201);
	const r2 = await credit(c, a.id, q, 'K');
	assert.equal(r2.status, 201);
	assert.equal(r2.text, 'RECEIVED');
	const r3 = await credit(c, a.id, { amount: '70', scale: 10 }, 'K');
	assert.equal(r3.status, 409);
	assert.equal(r3.json.detail, 'Provided idempotency key is tied to other input');
	const acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.credited, '7');
	assert.equal(acct.credits.length, 1);
	const log = (await call(`${c.controlUrl}/log?route=settlements`)).json;
	assert.equal(log.filter((e) => e.replay).length, 2);
});

test('rs leftovers follow node_api.rs settlement_leftovers', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	const steps = [[205, 11, 2], [855, 12, 0], [110, 11, 1], [5, 9, 6],
		       [2, 7, 200]];
	let i = 0;
	for (const [amount, scale, want] of steps) {
		const r = await credit(c, a.id, { amount: String(amount), scale },
				       `L${i++}`);
		assert.equal(r.status, 201);
		const log = (await call(`${c.controlUrl}/log?route=settlements`)).json;
		assert.equal(log.at(-1).credited, String(want));
	}
	const acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.credited, '209');
	assert.deepEqual(acct.leftovers, { amount: '5', scale: 12 });
});

test('java credit: 200 with the rounded-down Quantity, key echoed', async (t) => {
	const { c } = await setup(t, { flavor: 'java' });
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', id: 'eng-1', createOnEngine: false })).json;
	assert.equal(a.id, 'eng-1');
	let r = await credit(c, 'eng-1', { amount: '1234567', scale: 12 }, 'j1');
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, { amount: '1234', scale: 9 });
	assert.equal(r.headers['idempotency-key'], 'j1');
	assert.match(r.headers.location, /eng-1/);
	/* replay of the first answer for any body */
	r = await credit(c, 'eng-1', { amount: '99', scale: 0 }, 'j1');
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, { amount: '1234', scale: 9 });
	r = await credit(c, 'eng-1', { amount: '1', scale: 9 });
	assert.equal(r.status, 400);
	r = await credit(c, 'eng-1', { amount: '1', scale: 9 }, '');
	assert.equal(r.status, 400);
	r = await call(`${c.url}/accounts/eng-1/settlements`, 'POST',
		       '{"amount":"1","scale":9}', { 'idempotency-key': 'j9',
						      'content-type': 'text/plain' });
	assert.equal(r.status, 415);
	r = await credit(c, 'nobody', { amount: '1', scale: 9 }, 'j2');
	assert.equal(r.status, 404);
	const acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.credited, '1234');
	assert.deepEqual(acct.dropped, [{ amount: '567', scale: 12 }]);
	assert.deepEqual(acct.leftovers, { amount: '0', scale: 0 });
});

test('credit pays down a negative balance, the rest is prepaid', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		   { amount: '100', direction: 'in' });
	await credit(c, a.id, { amount: '150', scale: 9 }, 'p1');
	let acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.balance, '0');
	assert.equal(acct.prepaid, '50');
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		   { amount: '80', direction: 'in' });
	acct = (await call(`${c.controlUrl}/accounts/a`)).json;
	assert.equal(acct.prepaid, '0');
	assert.equal(acct.balance, '-30');
});

test('threshold: settle balance minus settle_to once it is reached', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1000', settleTo: '100' });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	let r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			   { amount: '999', wait: true });
	assert.equal(r.json.settlement, null);
	assert.equal(engine.of('settlements').length, 0);
	r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		       { amount: '1', wait: true });
	assert.equal(r.json.settlement.state, 'done');
	assert.equal(r.json.account.balance, '100');
	const [e3] = engine.of('settlements');
	assert.deepEqual(JSON.parse(e3.body), { amount: '900', scale: 9 });
	assert.match(e3.headers['idempotency-key'], UUID_RE);
	assert.equal(e3.headers['content-type'], 'application/json');
	/* 5 XRP worth of packets at scale 9 */
	r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		       { xrp: '5', wait: true });
	assert.equal(r.json.settlement.amount, '5000000000');
	const keys = engine.of('settlements').map((x) => x.headers['idempotency-key']);
	assert.equal(new Set(keys).size, 2, 'each settlement has a fresh key');
	/* incoming packets never trigger a settlement */
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		   { xrp: '50', direction: 'in' });
	await c.idle();
	assert.equal(engine.of('settlements').length, 2);
});

test('per-account threshold and config; no threshold never settles', async (t) => {
	const { engine, c } = await setup(t);
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { amount: '10000' });
	await c.idle();
	assert.equal(engine.of('settlements').length, 0);
	const r = await call(`${c.controlUrl}/accounts/a/config`, 'POST',
			     { threshold: '10' });
	assert.equal(r.json.threshold, '10');
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		   { amount: '1', wait: true });
	assert.deepEqual(JSON.parse(engine.of('settlements')[0].body),
			 { amount: '10001', scale: 9 });
});

test('retry-key same: failed settlements are retried with the same key and body', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1', retryKey: 'same' });
	let n = 0;
	engine.on.settlements = (r, body) => (++n <= 2 ?
		{ status: 500, body: 'no' } :
		{ status: 201, body: body.toString() });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	const r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			     { amount: '42', wait: true });
	assert.equal(r.json.settlement.state, 'done');
	const reqs = engine.of('settlements');
	assert.equal(reqs.length, 3);
	assert.equal(new Set(reqs.map((x) => x.headers['idempotency-key'])).size, 1);
	assert.equal(new Set(reqs.map((x) => x.body.toString())).size, 1);
	assert.equal(r.json.account.balance, '0');
});

test('rs by default: a new key per settlement attempt, like the node', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1' });
	let n = 0;
	engine.on.settlements = () => (++n <= 1 ? { status: 503 } : { status: 201 });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		   { amount: '42', wait: true });
	const keys = engine.of('settlements').map((x) => x.headers['idempotency-key']);
	assert.equal(keys.length, 2);
	assert.notEqual(keys[0], keys[1]);
});

test('4xx is not retried and refunds; exhausted retries refund too', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1', retries: 2 });
	engine.on.settlements = () => ({ status: 404 });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	let r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			   { amount: '42', wait: true });
	assert.equal(r.json.settlement.state, 'refunded');
	assert.equal(r.json.account.balance, '42');
	assert.equal(engine.of('settlements').length, 1);
	engine.on.settlements = () => ({ status: 500 });
	r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		       { amount: '8', wait: true });
	assert.equal(r.json.settlement.state, 'refunded');
	assert.equal(r.json.settlement.amount, '50');
	assert.equal(r.json.account.balance, '50');
	assert.equal(engine.of('settlements').length, 1 + 3);
});

test('retry-key same, engine down: transport errors are retried with the same key', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1', retries: 50,
					       retryDelayMs: 20, retryKey: 'same' });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	const port = new URL(engine.url).port;
	await engine.close();
	const pending = call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			     { amount: '3', wait: true });
	await until(() => c.accounts.get('a').settlements[0]?.attempts.length >= 2);
	/* bring a fresh engine up on the same port */
	const http = require('http');
	const seen = [];
	const srv = http.createServer((req, res) => {
		seen.push(req.headers['idempotency-key']);
		req.resume();
		req.on('end', () => { res.writeHead(201); res.end(); });
	});
	await new Promise((r) => srv.listen(Number(port), '127.0.0.1', r));
	t.after(() => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }));
	const r = await pending;
	assert.equal(r.json.settlement.state, 'done');
	const keys = r.json.settlement.attempts.map((a) => a.key);
	assert.equal(new Set(keys).size, 1);
	assert.deepEqual(seen, [keys[0]]);
});

test('java settlement request: scale-first body, charset, needs a Quantity back', async (t) => {
	const { engine, c } = await setup(t, { flavor: 'java', threshold: '1' });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	let r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			   { amount: '500', wait: true });
	assert.equal(r.json.settlement.state, 'done');
	const [e3] = engine.of('settlements');
	assert.equal(e3.body.toString(), '{"scale":9,"amount":"500"}');
	assert.equal(e3.headers['content-type'], 'application/json; charset=utf-8');
	assert.equal(e3.headers.accept, 'application/json');
	/* the rs-style text body is a failure for java: refund */
	engine.on.settlements = () => ({ status: 201, body: 'EXECUTED' });
	r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		       { amount: '500', wait: true });
	assert.equal(r.json.settlement.state, 'refunded');
	assert.equal(r.json.account.balance, '500');
	/* a smaller committed amount refunds the difference */
	engine.on.settlements = () => ({ status: 201,
		body: '{"amount":"300","scale":9}' });
	r = await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
		       { amount: '500', wait: true });
	assert.equal(r.json.settlement.committed, '300');
	assert.equal(r.json.account.balance, '700');
});

test('rs prefunds at account creation when settle_to is negative', async (t) => {
	const { engine, c } = await setup(t);
	const r = await call(`${c.controlUrl}/accounts`, 'POST',
			     { name: 'a', settleTo: '-250', threshold: '100' });
	await c.idle();
	assert.equal(r.status, 201);
	assert.deepEqual(JSON.parse(engine.of('settlements')[0].body),
			 { amount: '250', scale: 9 });
	assert.equal(c.accounts.get('a').balance, -250n);
});

test('faults: match applies a fault only to bodies containing the text', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	let r = await call(`${c.controlUrl}/faults`, 'POST',
			   { route: 'settlements', fail: 5, status: 503,
			     match: '"amount":"7"' });
	assert.equal(r.status, 200);
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'm1')).status, 201);
	assert.equal((await credit(c, a.id, { amount: '7', scale: 9 }, 'm2')).status, 503);
	assert.equal((await credit(c, a.id, { amount: '2', scale: 9 }, 'm3')).status, 201);
	assert.equal(c.accounts.get('a').credited, 3n);
	r = await call(`${c.controlUrl}/faults`, 'POST',
		       { route: 'settlements', match: 7 });
	assert.equal(r.status, 400);
});

test('faults: fail N, hang N, delay, per route, reset', async (t) => {
	const { c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST',
			      { name: 'a', createOnEngine: false })).json;
	let r = await call(`${c.controlUrl}/faults`, 'POST',
			   { route: 'settlements', fail: 2, status: 503 });
	assert.equal(r.status, 200);
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'f')).status, 503);
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'f2')).status, 503);
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'f3')).status, 201);
	assert.equal(c.accounts.get('a').credited, 1n);
	/* rs keeps every answer per key, errors included (a day) */
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'f')).status, 503);
	assert.equal(c.accounts.get('a').credited, 1n);
	/* faults on another route do not apply */
	await call(`${c.controlUrl}/faults`, 'POST', { route: 'messages', fail: 5 });
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'g')).status, 201);
	await call(`${c.controlUrl}/faults`, 'DELETE');
	/* hang the next one: the client gives up, the next is answered */
	await call(`${c.controlUrl}/faults`, 'POST', { route: 'all', hang: 1 });
	const { httpRequest } = require('../connector');
	await assert.rejects(httpRequest(`${c.url}/accounts/${a.id}/settlements`, {
		headers: { 'content-type': 'application/json',
			   'idempotency-key': 'h' },
		body: '{"amount":"1","scale":9}', timeoutMs: 300 }),
		(e) => e.code === 'ETIMEDOUT');
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'h')).status, 201);
	/* delay is applied; we only check the request was logged as such */
	await call(`${c.controlUrl}/faults`, 'POST', { route: 'all', delayMs: 50 });
	assert.equal((await credit(c, a.id, { amount: '1', scale: 9 }, 'd')).status, 201);
	assert.deepEqual((await call(`${c.controlUrl}/faults`)).json.all,
			 { fail: 0, status: 500, hang: 0, lose: 0, delayMs: 50 });
	await call(`${c.controlUrl}/faults`, 'DELETE');
	assert.deepEqual((await call(`${c.controlUrl}/faults`)).json, {});
	const log = (await call(`${c.controlUrl}/log?route=settlements`)).json;
	assert.deepEqual(log.map((e) => e.fault || e.status),
			 ['fail 503', 'fail 503', 201, 503, 201, 'hang', 201, 201]);
	assert.equal(log[3].replay, true);
	assert.equal(log[0].headers['idempotency-key'], 'f');
	assert.equal(log[0].body, '{"amount":"1","scale":9}');
});

test('faults: lose N handles the request and drops its answer', async (t) => {
	for (const flavor of ['rs', 'java']) {
		const { c } = await setup(t, { flavor });
		const a = (await call(`${c.controlUrl}/accounts`, 'POST',
				      { name: 'a', createOnEngine: false,
					id: flavor === 'rs' ? undefined : 'ja' })).json;
		await call(`${c.controlUrl}/faults`, 'POST', { route: 'settlements', lose: 1 });
		await assert.rejects(credit(c, a.id, { amount: '1', scale: 9 }, 'L'));
		assert.equal(c.accounts.get('a').credits.length, 1);
		/* the same key again: the kept answer, credited once */
		const r = await credit(c, a.id, { amount: '1', scale: 9 }, 'L');
		assert.equal(r.status, flavor === 'rs' ? 201 : 200);
		assert.equal(c.accounts.get('a').credits.length, 1);
	}
});

test('rs re-creates the account on the engine at every account update', async (t) => {
	const { engine, c } = await setup(t);
	const a = (await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' })).json;
	await call(`${c.controlUrl}/accounts/a/config`, 'POST', { threshold: '5' });
	const creates = engine.of('accounts');
	assert.equal(creates.length, 2);
	assert.equal(JSON.parse(creates[1].body.toString()).id, a.id);
});

test('control API: log paging, bad input, unknown routes', async (t) => {
	const { c } = await setup(t);
	assert.equal((await call(`${c.controlUrl}/health`)).json.flavor, 'rs');
	assert.equal((await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a b' })).status, 400);
	assert.equal((await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a', id: 'x' })).status, 400);
	assert.equal((await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' })).status, 201);
	assert.equal((await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' })).status, 409);
	assert.equal((await call(`${c.controlUrl}/accounts/zz`)).status, 404);
	assert.equal((await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { amount: 5 })).status, 400);
	assert.equal((await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { xrp: '0.0000000001' })).status, 400);
	assert.equal((await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { amount: '1', direction: 'up' })).status, 400);
	assert.equal((await call(`${c.controlUrl}/faults`, 'POST', { route: 'x' })).status, 400);
	assert.equal((await call(`${c.controlUrl}/faults`, 'POST', { fail: -1 })).status, 400);
	assert.equal((await call(`${c.controlUrl}/nope`)).status, 404);
	assert.equal((await call(`${c.url}/elsewhere`, 'POST', {})).status, 404);
	const all = (await call(`${c.controlUrl}/log`)).json;
	assert.ok(all.length >= 2);
	const since = (await call(`${c.controlUrl}/log?since=${all.at(-1).seq}`)).json;
	assert.equal(since.length, 0);
	assert.equal((await call(`${c.controlUrl}/log`, 'DELETE')).status, 200);
	assert.equal((await call(`${c.controlUrl}/log`)).json.length, 0);
});

test('packets count: one settlement per packet at threshold; brief leaves the account out', async (t) => {
	const { c } = await setup(t, { threshold: '10' });
	assert.equal((await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' })).status, 201);
	const r = (await call(`${c.controlUrl}/accounts/a/packets`, 'POST',
			      { amount: '10', count: 3, wait: true, brief: true })).json;
	assert.equal(r.account, null);
	assert.deepEqual(r.settlements.map((s) => [s.amount, s.state]),
			 [['10', 'done'], ['10', 'done'], ['10', 'done']]);
	assert.equal(r.settlement.id, r.settlements[2].id);
	const small = (await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { amount: '4', count: 2 })).json;
	assert.deepEqual(small.settlements, []);
	assert.equal(small.account.balance, '8');
	for (const count of [0, 1.5, '2', 10001])
		assert.equal((await call(`${c.controlUrl}/accounts/a/packets`, 'POST', { amount: '1', count })).status, 400);
});

test('log entries carry a fine timestamp; route lists; the oldest are dropped past logMax', async (t) => {
	const { c } = await setup(t, { logMax: 3 });
	const before = performance.timeOrigin + performance.now();
	for (let i = 0; i < 1100; i++)
		await call(`${c.url}/elsewhere`, 'POST', {});
	await call(`${c.url}/accounts/x/messages`, 'POST', {});
	const all = (await call(`${c.controlUrl}/log`)).json;
	assert.ok(all.length < 1100 && all.length >= 3, `${all.length} entries kept`);
	assert.equal(all.at(-1).seq, 1101);
	for (let i = 1; i < all.length; i++) {
		assert.equal(all[i].seq, all[i - 1].seq + 1);
		assert.ok(all[i].t >= all[i - 1].t);
	}
	assert.ok(all[0].t >= before && all.at(-1).t <= performance.timeOrigin + performance.now());
	assert.equal(new Date(all.at(-1).t).toISOString(), all.at(-1).time);
	const some = (await call(`${c.controlUrl}/log?since=${all.at(-3).seq}&route=messages,peer`)).json;
	assert.deepEqual(some.map((e) => e.seq), [1101]);
	assert.equal((await call(`${c.controlUrl}/log?route=unknown,messages`)).json.length, all.length);
});

test('logRoutes: only those routes are kept, the others still numbered; no unknown route', async (t) => {
	const { engine, c } = await setup(t, { logRoutes: ['settlements', 'engine-settlements'] });
	const r = await call(`${c.controlUrl}/accounts`, 'POST', { name: 'alice', threshold: '1' });
	const id = r.json.id;
	await call(`${c.controlUrl}/accounts/alice/packets`, 'POST', { amount: '5', wait: true });
	assert.equal((await credit(c, id, { amount: '7', scale: 9 }, 'k1')).status, 201);
	await call(`${c.url}/accounts/${id}/messages`, 'POST', 'hello',
		   { 'content-type': 'application/octet-stream' });
	const log = (await call(`${c.controlUrl}/log`)).json;
	assert.deepEqual(log.map((e) => e.route), ['engine-settlements', 'settlements']);
	/* the account's creation was numbered first, the message last */
	assert.equal(log[0].seq, 2);
	assert.equal(log[0].status, 201);
	assert.equal(log[1].status, 201);
	assert.equal(engine.of('messages').length, 0); /* no peer: rejected */
	assert.throws(() => new Connector({ engineUrl: engine.url, logRoutes: ['peers'] }),
		      /no log route peers/);
});

test('a separate control port keeps /control off the main port', async (t) => {
	const { c } = await setup(t, { controlPort: 0 });
	assert.notEqual(c.controlPort, c.port);
	assert.equal((await call(`${c.controlUrl}/health`)).status, 200);
	assert.equal((await call(`http://127.0.0.1:${c.port}/control/health`)).status, 404);
	assert.equal((await call(`http://127.0.0.1:${c.controlPort}/accounts/x/settlements`,
				 'POST', {})).status, 404);
});

test('default account scale: rs 6 (drops), java 9', async () => {
	for (const [flavor, scale] of [['rs', 6], ['java', 9]]) {
		const c = await new Connector({ flavor, engineUrl: 'http://127.0.0.1:1' }).start();
		try {
			const a = await c.addAccount({ name: 'a', createOnEngine: false,
						       id: flavor === 'rs' ? undefined : 'e' });
			assert.equal(a.scale, scale);
			assert.equal((await call(`${c.controlUrl}/health`)).json.scale, scale);
		} finally {
			await c.stop();
		}
	}
});

test('load: packets on the connector\'s own schedule, each settling', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1', settleTo: '0' });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a' });
	const url = `${c.controlUrl}/accounts/a/load`;
	assert.equal((await call(url)).status, 404);
	for (const bad of [{ rate: 0, amounts: ['1'] }, { rate: 10, amounts: [] },
			   { rate: 10, amounts: [1] }, { rate: 10, amounts: ['-1'] },
			   { rate: 1.5, amounts: ['1'] }])
		assert.equal((await call(url, 'POST', bad)).status, 400, JSON.stringify(bad));
	const amounts = Array.from({ length: 40 }, (_, i) => String(i + 1));
	const t0 = Date.now();
	let r = await call(url, 'POST', { rate: 200, amounts });
	assert.equal(r.status, 202);
	assert.equal(r.json.total, 40);
	/* one load at a time */
	assert.equal((await call(url, 'POST', { rate: 10, amounts: ['1'] })).status, 409);
	r = await until(async () => {
		const x = (await call(url)).json;
		return !x.running && x.done === 40 && x;
	});
	/* 40 packets at 200/s: the last one is due after 195 ms */
	assert.ok(Date.now() - t0 >= 190, `took ${Date.now() - t0} ms`);
	assert.equal(r.failed, 0);
	assert.equal(r.sent, 40);
	assert.ok(r.maxLateMs >= 0);
	/* every packet settled once; under load two requests in flight may
	 * reach the engine in either order */
	const e3 = engine.of('settlements').map((x) => JSON.parse(x.body).amount);
	assert.deepEqual([...e3].sort((a, b) => Number(a) - Number(b)), amounts);
	/* a settlement the engine refuses counts as failed */
	engine.on.settlements = () => ({ status: 400, body: 'no' });
	await call(url, 'POST', { rate: 1000, amounts: ['5', '6'] });
	r = await until(async () => {
		const x = (await call(url)).json;
		return !x.running && x.done + x.failed === 2 && x;
	});
	assert.equal(r.failed, 2);
});

test('load over many accounts: each packet through its account, books in brief', async (t) => {
	const { engine, c } = await setup(t, { threshold: '1', settleTo: '0' });
	for (const name of ['p1', 'p2', 'p3'])
		await call(`${c.controlUrl}/accounts`, 'POST', { name });
	const url = `${c.controlUrl}/load`;
	assert.equal((await call(url)).status, 404);
	const names = ['p1', 'p2', 'p3'];
	for (const bad of [{ rate: 10, names, picks: [0], amounts: ['1', '2'] },
			   { rate: 10, names, picks: [3], amounts: ['1'] },
			   { rate: 10, names: ['nobody'], picks: [0], amounts: ['1'] }])
		assert.ok([400, 404].includes((await call(url, 'POST', bad)).status), JSON.stringify(bad));
	const picks = [0, 2, 2, 1, 0, 2];
	const amounts = ['1', '2', '3', '4', '5', '6'];
	assert.equal((await call(url, 'POST', { rate: 500, names, picks, amounts })).status, 202);
	assert.equal((await call(url, 'POST', { rate: 10, names, picks: [0], amounts: ['1'] })).status, 409);
	const r = await until(async () => {
		const x = (await call(url)).json;
		return !x.running && x.done === 6 && x;
	});
	assert.equal(r.failed, 0);
	const brief = (await call(`${c.controlUrl}/accounts?brief=1`)).json;
	assert.deepEqual(brief.map((a) => [a.name, a.settled, a.done]),
			 [['p1', '6', 2], ['p2', '4', 1], ['p3', '11', 3]]);
	/* each settlement went to its own account's engine id */
	const byId = new Map(brief.map((a) => [a.id, 0]));
	for (const x of engine.of('settlements'))
		byId.set(x.path.split('/')[2], byId.get(x.path.split('/')[2]) + 1);
	assert.deepEqual(brief.map((a) => byId.get(a.id)), [2, 1, 3]);
	/* the log's current end */
	const lg = await call(`${c.controlUrl}/log?since=999999`);
	assert.ok(Number(lg.headers['log-seq']) > 0);
});

test('log: a bounded log says what it dropped', async (t) => {
	const { c } = await setup(t, { logMax: 10 });
	await call(`${c.controlUrl}/accounts`, 'POST', { name: 'a', createOnEngine: false });
	let r = await call(`${c.controlUrl}/log?since=0`);
	assert.equal(r.headers['log-dropped-through'], '0');
	for (let i = 0; i < 1100; i++)
		await credit(c, 'nobody', { amount: '1', scale: 9 }, `k${i}`);
	r = await call(`${c.controlUrl}/log?since=0`);
	const dropped = Number(r.headers['log-dropped-through']);
	assert.ok(dropped > 0);
	assert.equal(r.json[0].seq, dropped + 1);
});
