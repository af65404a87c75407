// The engine as a client of the connector
// (docs/api.md#calls-to-the-connector), through the outbox: credits and
// messages are persisted, retried with the same body on 5xx and
// connection errors (and a message's 409), a credit under a new key after
// a definite refusal, a message under a new key every time, delivered on
// any 2xx, parked
// (and a credit logged BROKEN) on a 4xx, a credit's 409 included.
// Credits are injected with the --dev-api route /dev/credit until the
// ledger watcher exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, sleep, runXrpse } from './lib/harness.mjs';
import { Connector } from './lib/connector.mjs';

async function setup() {
  const c = await new Connector().start();
  const d = await new Daemon({ connectorUrl: c.url }).start();
  assert.equal((await d.createAccount('alice')).status, 201);
  const credit = async (drops, key) => {
    const r = await d.req('POST', '/dev/credit', { body: { account: 'alice', drops, key } });
    assert.equal(r.status, 201, r.text);
    return r.body.outbox_id;
  };
  return { c, d, credit };
}

async function teardown({ c, d }) {
  await d.close();
  await c.close();
}

test('a credit is POSTed as a scale-6 Quantity with a key', async () => {
  const t = await setup();
  await t.credit('1', 'k54');
  await t.c.waitFor(() => t.c.settlements().length === 1);
  const s = t.c.settlements()[0];
  assert.equal(s.method, 'POST');
  assert.equal(s.path, '/accounts/alice/settlements');
  assert.match(s.headers['content-type'], /^application\/json/);
  assert.equal(s.headers['idempotency-key'], 'k54');
  assert.equal(s.body, '{"amount":"1","scale":6}');
  // 58: 201 RECEIVED without a content type counts; no re-credit later.
  await sleep(300);
  assert.equal(t.c.settlements().length, 1);
  assert.equal(t.d.sql("SELECT state FROM outbox WHERE idem_key = 'k54'"), 'delivered');
  await teardown(t);
});

// docs/api.md#credits-and-the-connectors-answer-caches: a definite
// refusal applied nothing, and a connector may keep it per key (a day for
// interledger-rs): the next attempt carries a new key.
test('500, 503, then 201: three attempts, same bytes, a new key after each refusal, then none', async () => {
  const t = await setup();
  t.c.next(500, 503, { status: 201, body: 'RECEIVED' });
  await t.credit('77', 'k55');
  await t.c.waitFor(() => t.c.settlements().length === 3);
  await sleep(400);
  const s = t.c.settlements();
  assert.equal(s.length, 3);
  assert.equal(s[0].headers['idempotency-key'], 'k55');
  const keys = new Set(s.map((x) => x.headers['idempotency-key']));
  assert.equal(keys.size, 3);
  assert.ok(s.every((x) => x.body === s[0].body));
  assert.ok(s[2].at - s[1].at >= 1, 'retries are spaced');
  assert.deepEqual([...t.c.credited.entries()], [[s[2].headers['idempotency-key'], '77']]);
  await teardown(t);
});

test('connection errors and 5xx are retried until delivered', async () => {
  const t = await setup();
  t.c.next('reset', 'reset', 503, 200);
  await t.credit('5', 'k56');
  await t.c.waitFor(() => t.c.settlements().length === 4);
  await sleep(300);
  assert.equal(t.c.settlements().length, 4);
  assert.equal(t.d.sql("SELECT state FROM outbox WHERE idem_key = 'k56'"), 'delivered');
  await teardown(t);
});

test('a JAVA-style 200 with a Quantity counts as delivered', async () => {
  const t = await setup();
  t.c.next({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"amount":"1","scale":6}' });
  await t.credit('1', 'k57');
  await t.c.waitFor(() => t.c.settlements().length === 1);
  await sleep(300);
  assert.equal(t.c.settlements().length, 1);
  await teardown(t);
});

test('a 404 parks the credit: kept, no tight loop, logged', async () => {
  const t = await setup();
  t.d.allowBroken = true;
  t.c.next(404);
  await t.credit('9', 'k59');
  await t.c.waitFor(() => t.c.settlements().length === 1);
  await sleep(500);
  assert.equal(t.c.settlements().length, 1);
  assert.equal(t.d.sql("SELECT state FROM outbox WHERE idem_key = 'k59'"), 'parked');
  const h = await t.d.req('GET', '/health');
  assert.equal(h.body.connector.parked, 1);
  assert.match(t.d.log, /BROKEN/);
  await teardown(t);
});

test('a 409 parks the credit: its key is tied to other input, never retried', async () => {
  const t = await setup();
  t.d.allowBroken = true;
  t.c.next({
    status: 409,
    headers: { 'Content-Type': 'application/problem+json' },
    body: '{"title":"Idempotency Error","detail":"Provided idempotency key is tied to other input"}',
  });
  await t.credit('8', 'k59b');
  await t.c.waitFor(() => t.c.settlements().length === 1);
  await sleep(500);
  assert.equal(t.c.settlements().length, 1);
  assert.equal(t.d.sql("SELECT state FROM outbox WHERE idem_key = 'k59b'"), 'parked');
  assert.equal(t.d.sql("SELECT last_status FROM outbox WHERE idem_key = 'k59b'"), '409');
  assert.match(t.d.log, /BROKEN.*PARKED.*HTTP 409/);
  await teardown(t);
});

test('two credits carry different keys; a repeated key is one row', async () => {
  const t = await setup();
  const a = await t.credit('1', 'tx-1');
  await t.credit('2', 'tx-2');
  assert.equal(await t.credit('1', 'tx-1'), a);
  await t.c.waitFor(() => t.c.settlements().length === 2);
  await sleep(300);
  assert.deepEqual(t.c.settlements().map((s) => s.headers['idempotency-key']).sort(), ['tx-1', 'tx-2']);
  await teardown(t);
});

test('messages go out as octet-stream; a 502 is retried', async () => {
  const t = await setup();
  // Other modules (the channel logic) may talk to the connector too:
  // look only at this test's message.
  const mine = () => t.c.messages().filter((x) => x.body === '{"type":"dev-test"}');
  t.c.fallback = (req) => (req.body === '{"type":"dev-test"}' && mine().length === 1
    ? { status: 502, body: 'peer not ready' }
    : { status: 201, headers: { 'Content-Type': 'application/octet-stream' }, body: '{}' });
  const r = await t.d.req('POST', '/dev/message', { body: { account: 'alice', body: '{"type":"dev-test"}' } });
  assert.equal(r.status, 201);
  await t.c.waitFor(() => mine().length === 2);
  const m = mine();
  assert.equal(m[0].path, '/accounts/alice/messages');
  assert.equal(m[0].headers['content-type'], 'application/octet-stream');
  assert.equal(m[0].body, '{"type":"dev-test"}');
  assert.equal(m[1].body, m[0].body);
  await teardown(t);
});

test('the API answers while the connector is down', async () => {
  const c = await new Connector().start();
  const url = c.url;
  await c.close();
  const d = await new Daemon({ connectorUrl: url }).start();
  assert.equal((await d.createAccount('down')).status, 201);
  await d.req('POST', '/dev/credit', { body: { account: 'down', drops: '3', key: 'kd' } });
  assert.equal((await d.settle('down', { amount: '1', scale: 0 }, 'x')).status, 201);
  await sleep(300);
  const h = await d.req('GET', '/health');
  // Unreachable for less than a minute: not yet a failed check.
  assert.equal(h.status, 503); // no rippled here
  assert.equal(h.body.checks.connector, 'ok');
  assert.equal(h.body.connector.reachable, false);
  assert.ok(h.body.connector.pending + h.body.connector.inflight >= 1 || h.body.connector.pending >= 1);
  assert.equal((await d.createAccount('down2')).status, 201);
  await d.close();
});

// docs/api.md#credits-and-the-connectors-answer-caches: a credit parked on
// a 409 keeps its key (the connector holds it); once the operator has
// checked the connector's books, `xrpse outbox retry ID --new-key` (the
// daemon stopped) sends it under a new key, credited once.
test('xrpse outbox retry --new-key: a parked credit goes again under a new key', async () => {
  const t = await setup();
  t.d.allowBroken = true;
  t.c.next({ status: 409, body: '{"title":"Idempotency Error"}' });
  const id = await t.credit('6', 'k409');
  await t.c.waitFor(() => t.c.settlements().length === 1);
  await sleep(300);
  assert.equal(t.d.sql(`SELECT state FROM outbox WHERE id = ${id}`), 'parked');
  let r = await runXrpse(['outbox', 'retry', String(id), '--new-key', '--db', t.d.db]);
  assert.equal(r.code, 1, 'refused while the daemon holds the store');
  await t.d.stop();
  r = await runXrpse(['outbox', 'retry', String(id), '--new-key', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pending again, under a new key/);
  r = await runXrpse(['outbox', 'retry', String(id), '--db', t.d.db]);
  assert.equal(r.code, 1, 'only a parked call');
  await t.d.start();
  await t.c.waitFor(() => t.c.settlements().length === 2);
  await sleep(300);
  const s = t.c.settlements();
  assert.equal(s[0].headers['idempotency-key'], 'k409');
  assert.notEqual(s[1].headers['idempotency-key'], 'k409');
  assert.equal(s[1].body, s[0].body);
  assert.equal(t.d.sql(`SELECT state FROM outbox WHERE id = ${id}`), 'delivered');
  await teardown(t);
});

// Delivered rows are the operator's record only (what was credited is in
// the channel records) and are deleted once older than --outbox-keep, by
// the clean-up that runs at start and then hourly; pending and parked
// rows never are.
test('--outbox-keep: delivered rows older than it are deleted, newer ones and parked ones kept', async () => {
  const c = await new Connector().start();
  const d = await new Daemon({ connectorUrl: c.url, args: ['--outbox-keep', '1h'] }).start();
  d.allowBroken = true; // the parked credit
  assert.equal((await d.createAccount('alice')).status, 201);
  c.next(404); // the first credit is parked
  for (const [drops, key] of [['1', 'p'], ['2', 'old'], ['3', 'new']]) {
    const r = await d.req('POST', '/dev/credit', { body: { account: 'alice', drops, key } });
    assert.equal(r.status, 201, r.text);
    await c.waitFor(() => d.sql(`SELECT state FROM outbox WHERE idem_key = '${key}'`) !== 'pending');
  }
  assert.equal(d.sql("SELECT group_concat(idem_key || ':' || state, ' ') FROM outbox WHERE kind = 'credit' ORDER BY id"),
    'p:parked old:delivered new:delivered');
  await d.stop();
  const now = Date.now();
  d.sql(`UPDATE outbox SET updated_at = ${now - 2 * 3600 * 1000} WHERE idem_key IN ('p', 'old')`);
  d.sql(`UPDATE outbox SET updated_at = ${now - 1800 * 1000} WHERE idem_key = 'new'`);
  await d.start();
  await c.waitFor(() => d.sql("SELECT COUNT(*) FROM outbox WHERE idem_key = 'old'") === '0');
  assert.equal(d.sql("SELECT group_concat(idem_key || ':' || state, ' ') FROM outbox WHERE kind = 'credit' ORDER BY id"),
    'p:parked new:delivered');
  await d.close();
  await c.close();
});
