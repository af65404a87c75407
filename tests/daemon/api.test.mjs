// Black-box suite of the RFC 0038 settlement API: the routes and decisions
// of docs/api.md that need no ledger, each asserting the status, the body
// and the side effect (owed drops and leftovers read through the --dev-api
// debug route).  "Payment" here means drops added to the account's owed
// total, which the channel logic pays later
// (docs/design.md#one-settlement-end-to-end).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, ADDRESS } from './lib/harness.mjs';

let d;
before(async () => { d = await new Daemon().start(); });
after(async () => { await d.close(); });

const PROBLEM = 'application/problem+json';

function assertProblem(r, status, detailRe) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), PROBLEM);
  assert.equal(r.body.status, status);
  assert.equal(typeof r.body.title, 'string');
  assert.equal(typeof r.body.detail, 'string');
  if (detailRe) assert.match(r.body.detail, detailRe);
}

let keyN = 0;
const key = () => `key-${process.pid}-${++keyN}`;

async function fresh(id) {
  const r = await d.createAccount(id);
  assert.equal(r.status, 201, r.text);
  return id;
}

test('create an account: 201 {"id"} and it is usable', async () => {
  const r = await d.createAccount('alice');
  assert.equal(r.status, 201);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(r.body, { id: 'alice' });
  const s = await d.settle('alice', { amount: '1', scale: 6 }, key());
  assert.equal(s.status, 201);
});

test('creating an existing account again changes nothing', async () => {
  await fresh('f2');
  assert.equal((await d.settle('f2', { amount: '1234567', scale: 9 }, key())).status, 201);
  const before = (await d.account('f2')).body;
  const r = await d.createAccount('f2');
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { id: 'f2' });
  assert.deepEqual((await d.account('f2')).body, before);
  assert.equal(before.owed_drops, '1234');
  assert.deepEqual(before.leftover, { amount: '567', scale: 9 });
});

test('a null or absent id gets a fresh URL-safe id', async () => {
  const ids = [];
  for (const body of [{ id: null }, {}]) {
    const r = await d.req('POST', '/accounts', { body });
    assert.equal(r.status, 201);
    assert.match(r.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    ids.push(r.body.id);
    const s = await d.settle(r.body.id, { amount: '1', scale: 0 }, key());
    assert.equal(s.status, 201);
  }
  assert.notEqual(ids[0], ids[1]);
  // An empty body counts as {} (documented choice).
  const e = await d.req('POST', '/accounts', { body: '' });
  assert.equal(e.status, 201);
  assert.match(e.body.id, /^[0-9a-f-]{36}$/);
});

test('ids outside the unreserved characters are 400 and create nothing', async () => {
  const n = d.sql('SELECT count(*) FROM accounts');
  for (const id of ['a:b', 'a/b', 'a b', '', 'x'.repeat(129), 'é', 'a%20b']) {
    const r = await d.createAccount(id);
    assertProblem(r, 400, /account id/);
  }
  assert.equal(d.sql('SELECT count(*) FROM accounts'), n);
  // 128 characters is fine.
  assert.equal((await d.createAccount('A-z.0_~'.padEnd(128, 'q'))).status, 201);
  // Path ids are checked too.
  assertProblem(await d.settle('a:b', { amount: '1', scale: 0 }, key()), 400, /account id/);
  assertProblem(await d.settle('x'.repeat(129), { amount: '1', scale: 0 }, key()), 400, /longer than 128/);
});

test('truncated JSON is 400', async () => {
  assertProblem(await d.req('POST', '/accounts', { body: '{"id":' }), 400, /malformed JSON/);
});

test('a non-string id is 400', async () => {
  for (const id of [123, true, ['a'], { a: 1 }])
    assertProblem(await d.req('POST', '/accounts', { body: { id } }), 400, /id must be/);
  assertProblem(await d.req('POST', '/accounts', { body: '[]' }), 400, /JSON object/);
});

test('media-type parameters are ignored; a missing Content-Type is accepted', async () => {
  const r = await d.req('POST', '/accounts', { body: '{"id":"f7"}', headers: { 'Content-Type': 'application/json; charset=utf-8' } });
  assert.equal(r.status, 201);
  const m = await d.req('POST', '/accounts', { body: new TextEncoder().encode('{"id":"f7b"}'), json: false });
  assert.equal(m.status, 201);
  assert.deepEqual(m.body, { id: 'f7b' });
});

test('DELETE an account: 204 empty, then its settlements are 404', async () => {
  await fresh('f8');
  const r = await d.req('DELETE', '/accounts/f8');
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assertProblem(await d.settle('f8', { amount: '1', scale: 0 }, key()), 404);
  assertProblem(await d.req('DELETE', '/accounts/f8'), 404);
});

test('DELETE an unknown account is 404', async () => {
  assertProblem(await d.req('DELETE', '/accounts/nobody'), 404, /not found/);
});

test('delete then re-create: the leftover is gone, owed drops stay', async () => {
  // DELETE clears the sub-drop leftover in the same transaction
  // (docs/api.md#accounts), so 1@9, DELETE, re-create, 999@9 pays nothing.
  await fresh('f10');
  assert.equal((await d.settle('f10', { amount: '1', scale: 9 }, key())).status, 201);
  assert.deepEqual((await d.account('f10')).body.leftover, { amount: '1', scale: 9 });
  assert.equal((await d.req('DELETE', '/accounts/f10')).status, 204);
  assertProblem(await d.settle('f10', { amount: '1', scale: 9 }, key()), 404);
  await fresh('f10');
  assert.equal((await d.account('f10')).body.leftover.amount, '0');
  assert.equal((await d.settle('f10', { amount: '999', scale: 9 }, key())).status, 201);
  let a = (await d.account('f10')).body;
  assert.equal(a.owed_drops, '0');
  assert.deepEqual(a.leftover, { amount: '999', scale: 9 });
  // Owed drops (already settled by the connector) survive the delete.
  assert.equal((await d.settle('f10', { amount: '2001', scale: 9 }, key())).status, 201);
  assert.equal(await d.owed('f10'), 3n);
  assert.equal((await d.req('DELETE', '/accounts/f10')).status, 204);
  await fresh('f10');
  a = (await d.account('f10')).body;
  assert.equal(a.owed_drops, '3');
  assert.equal(a.leftover.amount, '0');
});

test('deleting "alice" leaves "alice2" intact', async () => {
  await fresh('f11');
  await fresh('f112');
  assert.equal((await d.settle('f112', { amount: '1500', scale: 9 }, key())).status, 201);
  assert.equal((await d.req('DELETE', '/accounts/f11')).status, 204);
  const a = (await d.account('f112')).body;
  assert.equal(a.owed_drops, '1');
  assert.deepEqual(a.leftover, { amount: '500', scale: 9 });
  assert.equal((await d.settle('f112', { amount: '500', scale: 9 }, key())).status, 201);
  assert.equal(await d.owed('f112'), 2n);
});

test('idempotency: replay, conflicts, global keys', async () => {
  await fresh('f12');
  await fresh('f12bob');
  const K1 = key();
  const q = { amount: '468200000', scale: 8 };
  const r = await d.settle('f12', q, K1, { Accept: 'application/json' });
  assert.equal(r.status, 201);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(r.body, q);
  assert.equal(await d.owed('f12'), 4682000n);
  // 13: byte-for-byte repeat.
  const r2 = await d.settle('f12', q, K1);
  assert.equal(r2.status, 201);
  assert.equal(r2.text, r.text);
  assert.equal(await d.owed('f12'), 4682000n);
  // 14: other amount.
  assertProblem(await d.settle('f12', { amount: '37843894895', scale: 4 }, K1), 409,
    /^Provided idempotency key is tied to other input$/);
  // 15: same Quantity, other account (keys are global).
  assertProblem(await d.settle('f12bob', q, K1), 409);
  assert.equal(await d.owed('f12bob'), 0n);
  // 16: {1,0} then {100,2}: exact fingerprints differ -> 409.
  const K2 = key();
  assert.equal((await d.settle('f12bob', { amount: '1', scale: 0 }, K2)).status, 201);
  assertProblem(await d.settle('f12bob', { amount: '100', scale: 2 }, K2), 409);
  assert.equal(await d.owed('f12bob'), 1000000n);
  assert.equal(await d.owed('f12'), 4682000n);
});

test('a missing or empty Idempotency-Key is 400', async () => {
  await fresh('f17');
  assertProblem(await d.settle('f17', { amount: '1', scale: 0 }), 400, /missing Idempotency-Key/);
  assertProblem(await d.settle('f17', { amount: '1', scale: 0 }, ''), 400, /Idempotency-Key/);
  assertProblem(await d.settle('f17', { amount: '1', scale: 0 }, 'k'.repeat(256)), 400, /longer than 255/);
  assert.equal((await d.settle('f17', { amount: '1', scale: 0 }, '0x' + 'ab'.repeat(32))).status, 201);
  assert.equal(await d.owed('f17'), 1000000n);
});

test('ten parallel identical requests settle once', async () => {
  await fresh('f19');
  const K3 = key();
  const rs = await Promise.all(Array.from({ length: 10 }, () => d.settle('f19', { amount: '1', scale: 0 }, K3)));
  for (const r of rs) {
    assert.ok(r.status === 201 || r.status === 409, `status ${r.status}`);
    if (r.status === 201) assert.deepEqual(r.body, { amount: '1', scale: 0 });
  }
  assert.equal(await d.owed('f19'), 1000000n);
});

test('a hundred parallel distinct requests all count', async () => {
  await fresh('f20');
  const rs = await Promise.all(Array.from({ length: 100 }, () => d.settle('f20', { amount: '1', scale: 0 }, key())));
  assert.deepEqual(rs.map((r) => r.status), Array(100).fill(201));
  assert.equal(await d.owed('f20'), 100000000n);
});

test('keys live 7 days from their last use', async () => {
  await fresh('f21');
  const K = key();
  const q = { amount: '5', scale: 0 };
  assert.equal((await d.settle('f21', q, K)).status, 201);
  const adv = (s) => d.req('POST', '/dev/clock', { body: { advance_s: s } });
  await adv(23 * 3600 + 59 * 60);
  assert.equal((await d.settle('f21', q, K)).status, 201);          // t0+23h59m
  await adv(20 * 3600);
  assert.equal((await d.settle('f21', q, K)).status, 201);          // t0+~44h
  await adv(6 * 24 * 3600);                                          // 6 days after last use
  const r = await d.settle('f21', { amount: '6', scale: 0 }, K);
  assert.equal(r.status, 409, 'still remembered after 6 days');
  assert.equal(await d.owed('f21'), 5000000n);
  await adv(24 * 3600 + 3600);                                       // > 7 days: collected
  // The hourly collection runs on the cron; wait for it to see the clock.
  const deadline = Date.now() + 5000;
  let n;
  do { n = d.sql(`SELECT count(*) FROM idempotency WHERE key = '${K}'`); } while (n !== '0' && Date.now() < deadline && await new Promise((res) => setTimeout(() => res(true), 50)));
  assert.equal(n, '0');
  assert.equal((await d.settle('f21', { amount: '6', scale: 0 }, K)).status, 201);
  assert.equal(await d.owed('f21'), 11000000n);
});

test('settlements are accepted while rippled is unreachable', async () => {
  await fresh('f23');
  const r = await d.settle('f23', { amount: '5', scale: 0 }, key());
  assert.equal(r.status, 201);
  const h = await d.req('GET', '/health');
  assert.equal(h.body.rippled.connected, false);
  assert.equal(await d.owed('f23'), 5000000n);
});

test('bad quantities are 400 and settle nothing', async () => {
  await fresh('f26');
  const bad = [
    '{"amount":"100","scale":2',
    { amount: 100, scale: 2 },
    { amount: '-5', scale: 2 },
    ...['1.5', '1e3', '0x10', 'NaN', 'Infinity', '', ' 5', '5 ', '+5', '1_000', '５'].map((amount) => ({ amount, scale: 2 })),
    { scale: 2 }, { amount: '5' }, {}, [], null, 'null', '"5"',
    ...[256, -1, 2.5, '2', 'x', null, 1e300].map((scale) => ({ amount: '5', scale })),
  ];
  for (const b of bad) {
    const r = await d.settle('f26', b, key());
    assert.equal(r.status, 400, `${JSON.stringify(b)} -> ${r.status} ${r.text}`);
    assert.equal(r.headers.get('content-type'), PROBLEM);
    assert.ok(r.body.detail.length > 0);
  }
  // 6.0 as literal JSON text is a float, not an integer.
  const f = await d.req('POST', '/accounts/f26/settlements', { body: '{"amount":"5","scale":6.0}', headers: { 'Idempotency-Key': key() } });
  assertProblem(f, 400);
  assert.equal(await d.owed('f26'), 0n);
  assert.equal(d.sql("SELECT count(*) FROM idempotency WHERE account = 'f26'"), '0');
});

test('leading zeros: "007" equals "7"', async () => {
  await fresh('f31');
  const K = key();
  assert.equal((await d.settle('f31', { amount: '007', scale: 0 }, K)).status, 201);
  const r = await d.settle('f31', { amount: '7', scale: 0 }, K);
  assert.equal(r.status, 201);
  assert.equal(await d.owed('f31'), 7000000n);
});

test('a zero amount is a 201 no-op', async () => {
  await fresh('f34');
  const r = await d.settle('f34', { amount: '0', scale: 0 }, key());
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { amount: '0', scale: 0 });
  assert.equal(await d.owed('f34'), 0n);
});

test('2^64 units at scale 0 is a clean 400 (above 10^17 drops), never wrapped', async () => {
  await fresh('f35');
  assertProblem(await d.settle('f35', { amount: '18446744073709551616', scale: 0 }, key()), 400);
  assert.equal(await d.owed('f35'), 0n);
  // 2^64 at scale 12 is exact: 18446744073709 drops + 551616@12.
  assert.equal((await d.settle('f35', { amount: '18446744073709551616', scale: 12 }, key())).status, 201);
  const a = (await d.account('f35')).body;
  assert.equal(a.owed_drops, '18446744073709');
  assert.deepEqual(a.leftover, { amount: '551616', scale: 12 });
});

test('{"1",255} is kept as an exact leftover', async () => {
  await fresh('f36');
  assert.equal((await d.settle('f36', { amount: '1', scale: 255 }, key())).status, 201);
  const a = (await d.account('f36')).body;
  assert.equal(a.owed_drops, '0');
  assert.deepEqual(a.leftover, { amount: '1', scale: 255 });
});

test('a 10,000-digit amount is 400 and the daemon stays up', async () => {
  await fresh('f37');
  assertProblem(await d.settle('f37', { amount: '9'.repeat(10000), scale: 0 }, key()), 400, /digits|long/);
  assert.ok(await d.answers());
});

test('an unknown account is 404', async () => {
  assertProblem(await d.settle('ghost', { amount: '1', scale: 0 }, key()), 404, /not found/);
});

test('a non-JSON Content-Type is 415', async () => {
  await fresh('f39');
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'])
    assertProblem(await d.settle('f39', { amount: '1', scale: 0 }, key(), { 'Content-Type': ct }), 415);
  assert.equal(await d.owed('f39'), 0n);
  assertProblem(await d.req('POST', '/accounts', { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415);
});

test('a body over the cap is 413', async () => {
  await fresh('f40');
  const big = JSON.stringify({ amount: '1', scale: 0, pad: 'x'.repeat(1 << 20) });
  assertProblem(await d.settle('f40', big, key()), 413);
  const just = JSON.stringify({ amount: '1', scale: 0, pad: 'x'.repeat(65536) });
  assertProblem(await d.settle('f40', just, key()), 413);
  assert.equal(await d.owed('f40'), 0n);
  // Near the cap but under it is fine.
  const ok = JSON.stringify({ amount: '1', scale: 0, pad: 'x'.repeat(65000) });
  assert.equal((await d.settle('f40', ok, key())).status, 201);
});

test('unknown members are ignored', async () => {
  await fresh('f41');
  const r = await d.settle('f41', { amount: '1', scale: 0, foo: 1 }, key());
  assert.equal(r.status, 201);
  assert.equal(await d.owed('f41'), 1000000n);
});

test('scale conversion and leftovers', async () => {
  await fresh('f42');
  await d.settle('f42', { amount: '1234567', scale: 9 }, key());
  assert.equal(await d.owed('f42'), 1234n);
  await d.settle('f42', { amount: '433', scale: 9 }, key());
  let a = (await d.account('f42')).body;
  assert.equal(a.owed_drops, '1235');
  assert.equal(a.leftover.amount, '0');
  await fresh('f43');
  await d.settle('f43', { amount: '5', scale: 2 }, key());
  a = (await d.account('f43')).body;
  assert.equal(a.owed_drops, '50000');
  assert.equal(a.leftover.amount, '0');
  await fresh('f44');
  const owed = [];
  for (let i = 0; i < 3; i++) {
    assert.equal((await d.settle('f44', { amount: '999', scale: 9 }, key())).status, 201);
    owed.push(await d.owed('f44'));
  }
  assert.deepEqual(owed, [0n, 1n, 2n]);
  assert.deepEqual((await d.account('f44')).body.leftover, { amount: '997', scale: 9 });
});

test('messages: ping, no key needed, errors', async () => {
  await fresh('f47');
  const send = (body, headers = {}) => d.req('POST', '/accounts/f47/messages', {
    body, json: false, headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/octet-stream', ...headers },
  });
  const r = await send('{"type":"ping"}');
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('content-type'), 'application/octet-stream');
  assert.equal(r.text, '{"type":"pong"}');
  const r2 = await send('{"type":"ping"}', { 'Idempotency-Key': 'random-key' });
  assert.equal(r2.status, 201);
  assert.equal(r2.text, r.text);
  assertProblem(await d.req('POST', '/accounts/ghost/messages', { body: '{"type":"ping"}', json: false }), 404);
  assertProblem(await send('not json'), 400, /JSON object/);
  assertProblem(await send('{"type":1}'), 400, /"type"/);
  assertProblem(await send('[1]'), 400);
  assertProblem(await send('{"type":"paymentDetails"}'), 400, /unknown message type/);
  assertProblem(await send(''), 400, /empty/);
  assertProblem(await send('x'.repeat(70000)), 413);
  assert.ok(await d.answers());
});

test('routing: 404 unknown routes, 405 with Allow', async () => {
  assertProblem(await d.req('GET', '/nope'), 404);
  assertProblem(await d.req('GET', '/accounts/x/other'), 404);
  assertProblem(await d.req('GET', '/accounts/'), 404);
  const cases = [['GET', '/accounts', 'POST'], ['PUT', '/accounts/x', 'DELETE'],
    ['GET', '/accounts/x/settlements', 'POST'], ['DELETE', '/accounts/x/messages', 'POST'],
    ['POST', '/health', 'GET']];
  for (const [m, p, allow] of cases) {
    const r = await d.req(m, p, m === 'GET' ? {} : { body: '{}' });
    assertProblem(r, 405);
    assert.equal(r.headers.get('allow'), allow);
  }
});

test('health reports the store, the connector and rippled', async () => {
  const r = await d.req('GET', '/health');
  // No rippled here: 503, naming the two checks that fail and only them.
  assert.equal(r.status, 503);
  assert.equal(r.body.status, 'degraded');
  assert.deepEqual(r.body.problems.map((p) => p.check), ['rippled', 'ledger']);
  assert.deepEqual(r.body.checks, { store: 'ok', rippled: 'failed', ledger: 'failed', connector: 'ok', owed: 'ok' });
  assert.match(r.body.version, /^\d+\.\d+\.\d+$/);
  assert.equal(r.body.store.ok, true);
  assert.equal(r.body.address, ADDRESS);
  assert.ok(['disconnected', 'connecting'].includes(r.body.rippled.status));
  assert.equal(r.body.rippled.connected, false);
  assert.ok('reachable' in r.body.connector);
  assert.equal(typeof r.body.connector.pending, 'number');
});
