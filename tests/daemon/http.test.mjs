// HTTP/1.1 behaviour of the daemon's server, over raw sockets: keep-alive,
// pipelining, chunked request bodies, Expect: 100-continue, limits and
// malformed requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, rawExchange, parseResponses, sleep, isStalled } from './lib/harness.mjs';

let d;
before(async () => {
  d = await new Daemon().start();
  assert.equal((await d.createAccount('h')).status, 201);
});
after(async () => { await d.close(); });

const settleReq = (key, body = '{"amount":"1","scale":0}', extra = '') =>
  `POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
  `Idempotency-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

// A settlement read right after the daemon was held past a second (a
// loaded test host pausing it) is answered 503 "the store was stalled",
// nothing applied; as a connector does, the exchange is sent again with
// the same keys.
async function exchange(chunks, opts) {
  const until = Date.now() + 30000;
  for (;;) {
    const raw = await rawExchange(d.port, chunks, opts);
    if (Date.now() > until || !parseResponses(raw).some((r) => isStalled(r.status, r.body))) return raw;
    await sleep(300);
  }
}

test('keep-alive: several requests on one connection, and pipelined', async () => {
  const raw = await exchange([settleReq('ka1'), 50, settleReq('ka2'), 50, settleReq('ka3') + settleReq('ka4') + 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'], { expect: 5 });
  const rs = parseResponses(raw);
  assert.deepEqual(rs.map((r) => r.status), [201, 201, 201, 201, 200]);
  assert.equal(rs[0].body, '{"amount":"1","scale":0}');
  assert.equal(await d.owed('h'), 4000000n);
});

test('chunked request bodies', async () => {
  const body = '{"amount":"2","scale":0}';
  const req = 'POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ch1\r\n' +
    'Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n' +
    `5;ext=1\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\nTrailer: x\r\n\r\n`;
  // Split across writes, byte boundaries in the middle of the framing.
  const rs = parseResponses(await exchange([req.slice(0, 130), 30, req.slice(130, 140), 30, req.slice(140)], { expect: 1 }));
  assert.equal(rs.length, 1);
  assert.equal(rs[0].status, 201);
  assert.equal(rs[0].body, body);
  // Chunked over the cap: 413 and the connection closes.
  const big = 'POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ch2\r\nTransfer-Encoding: chunked\r\n\r\n' +
    ('8000\r\n' + 'x'.repeat(0x8000) + '\r\n').repeat(3) + '0\r\n\r\n';
  const r2 = parseResponses(await exchange([big], { expect: 1 }));
  assert.equal(r2[0].status, 413);
  assert.equal(r2[0].headers.connection, 'close');
  // Bad chunk framing.
  const bad = 'POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ch3\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
  assert.equal(parseResponses(await exchange([bad], { expect: 1 }))[0].status, 400);
  const gz = 'POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n';
  assert.equal(parseResponses(await exchange([gz], { expect: 1 }))[0].status, 501);
});

test('Expect: 100-continue gets an interim answer', async () => {
  const body = '{"amount":"1","scale":0}';
  const head = `POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ex1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`;
  const raw = await exchange([head, 200, body], { expect: 2 });
  assert.match(raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
});

test('Content-Length over the cap is 413 before the body is read', async () => {
  const head = 'POST /accounts/h/settlements HTTP/1.1\r\nHost: x\r\nIdempotency-Key: big\r\nContent-Length: 2000000\r\n\r\n';
  const rs = parseResponses(await exchange([head, 'x'.repeat(100000)], { expect: 1 }));
  assert.equal(rs[0].status, 413);
  assert.equal(rs[0].headers['content-type'], 'application/problem+json');
  assert.equal(JSON.parse(rs[0].body).status, 413);
});

test('malformed requests: 400, 431, 505; the server stays up', async () => {
  const cases = [
    ['GARBAGE\r\n\r\n', 400],
    ['GET /health HTTP/2.0\r\n\r\n', 505],
    ['GET /health FOO\r\n\r\n', 400],
    ['GET /health HTTP/1.1\r\nBad Header\r\n\r\n', 400],
    ['GET /health HTTP/1.1\r\n folded: x\r\n\r\n', 400],
    ['POST /accounts HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['POST /accounts HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST /accounts HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    [`GET /health HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`, 431],
  ];
  for (const [req, status] of cases) {
    const rs = parseResponses(await exchange([req], { expect: 1 }));
    assert.equal(rs.length, 1, req.slice(0, 40));
    assert.equal(rs[0].status, status, req.slice(0, 40));
    assert.equal(rs[0].headers['content-type'], 'application/problem+json');
  }
  assert.ok(await d.answers());
});

test('HTTP/1.0 and Connection: close end the connection after the answer', async () => {
  const raw10 = await exchange(['GET /metrics HTTP/1.0\r\n\r\n'], { quietMs: 2000, expect: 1 });
  assert.match(raw10, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw10, /Connection: close/);
  const rawc = await exchange(['GET /health HTTP/1.1\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\n\r\n'], { quietMs: 2000, expect: 1 });
  assert.equal(parseResponses(rawc).length, 1);
});

test('a client that disconnects before its answer does not disturb others', async () => {
  await rawExchange(d.port, [settleReq('gone1')], { quietMs: 1, totalMs: 1 }).catch(() => {});
  const r = await d.settle('h', { amount: '1', scale: 0 }, 'gone1');
  assert.equal(r.status, 201);
  assert.ok(await d.answers());
});

test('random and mutated requests never crash the server', async () => {
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  const good = settleReq('fz', '{"amount":"1","scale":0}');
  const chunked = 'POST /accounts/h/settlements HTTP/1.1\r\nIdempotency-Key: fz2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"amo\r\n0\r\n\r\n';
  const jobs = [];
  for (let i = 0; i < 150; i++) {
    const base = Buffer.from(i % 2 ? good : chunked, 'latin1');
    let b;
    if (i % 5 === 0) {
      b = Buffer.alloc(rnd(600));
      for (let j = 0; j < b.length; j++) b[j] = rnd(256);
    } else {
      b = Buffer.from(base);
      for (let k = 0, n = 1 + rnd(6); k < n; k++) b[rnd(b.length)] = rnd(256);
      if (rnd(3) === 0) b = b.subarray(0, rnd(b.length));
    }
    // Split at a random point to exercise partial reads.
    const cut = rnd(b.length + 1);
    jobs.push(rawExchange(d.port, [b.subarray(0, cut), 5, b.subarray(cut)], { quietMs: 150, totalMs: 2000 }).catch(() => ''));
    if (jobs.length >= 20) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  assert.ok(await d.answers());
});
