// Interop with the connector stand-in testnet/connector/server.js in both
// flavours (interledger-rs and the Java ilpv4-connector): account creation
// as each does it (a UUID id, or {"id":null} with the engine minting one),
// settlement requests as each sends them (rs: 5 s timeout; java:
// charset=utf-8 and a JSON Quantity answer required), and credits back
// (rs: 201 RECEIVED; java: 200 with a Quantity), all counted as delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Daemon, freePort, sleep } from './lib/harness.mjs';

const SERVER = path.resolve(new URL('.', import.meta.url).pathname, '../../testnet/connector/server.js');

async function startConnector(flavor, engineUrl) {
  const p = spawn(process.execPath, [SERVER, '--port', '0', '--engine-url', engineUrl, '--flavor', flavor, '--name', flavor],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  p.unref();
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    p.on('exit', (code) => reject(new Error(`connector exited ${code}`)));
  });
  p.stdout.unref();
  const info = JSON.parse(line);
  const control = info.controlUrl || `${info.url}/control`;
  const ctl = async (method, p2, body) => {
    const r = await fetch(control + p2, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
  return { proc: p, url: info.url, ctl };
}

for (const flavor of ['rs', 'java']) {
  test(`${flavor} connector: create, settle, credit`, async () => {
    const d = new Daemon();
    d.fixedPort = await freePort();
    const c = await startConnector(flavor, `http://127.0.0.1:${d.fixedPort}`);
    d.connectorUrl = c.url;
    // A hello that reaches the connector before it stored the account
    // gets a 404: the message is parked quietly (unusual) and the channel
    // logic sends a new hello later
    // (docs/api.md#retries-parking-and-the-operator).  No BROKEN line is
    // allowed here.
    await d.start();
    try {
      const acc = await c.ctl('POST', '/accounts', { name: 'alice' });
      assert.equal(acc.status, 201, JSON.stringify(acc.body));
      const id = acc.body.id;
      assert.ok(id && id.length > 0);
      assert.equal((await d.account(id)).status, 200, 'the engine knows the account');
      const s = await c.ctl('POST', '/accounts/alice/settle', { xrp: '5', wait: true });
      assert.ok(s.status < 300, JSON.stringify(s.body));
      const st = s.body.settlement || s.body;
      assert.equal(st.state, 'done', JSON.stringify(s.body));
      assert.equal(await d.owed(id), 5000000n, '5 XRP reached the engine');
      // A credit back: delivered once, whatever the flavour answers.
      const r = await d.req('POST', '/dev/credit', { body: { account: id, drops: '1000000', key: `credit-${flavor}` } });
      assert.equal(r.status, 201);
      const deadline = Date.now() + 5000;
      let state;
      do {
        await sleep(50);
        state = d.sql(`SELECT state FROM outbox WHERE idem_key = 'credit-${flavor}'`);
      } while (state !== 'delivered' && Date.now() < deadline);
      assert.equal(state, 'delivered');
      const a = await c.ctl('GET', '/accounts/alice');
      assert.equal(a.body.credits.length, 1, JSON.stringify(a.body.credits));
    } finally {
      await d.close();
      c.proc.kill('SIGTERM');
    }
  });
}

// docs/api.md#credits-and-the-connectors-answer-caches, against each
// flavour as it keeps answers (rs: every answer per key a day; java: 5
// minutes): a credit refused once (500) is delivered under a new key, and
// one whose answer was lost (applied, the connection dropped) goes again
// under its key and gets the kept success: each credited exactly once.
for (const flavor of ['rs', 'java']) {
  test(`${flavor} connector: a credit refused once, a credit whose answer was lost, each credited once`, async () => {
    const d = new Daemon();
    d.fixedPort = await freePort();
    const c = await startConnector(flavor, `http://127.0.0.1:${d.fixedPort}`);
    d.connectorUrl = c.url;
    await d.start();
    try {
      const acc = await c.ctl('POST', '/accounts', { name: 'alice' });
      assert.equal(acc.status, 201, JSON.stringify(acc.body));
      const id = acc.body.id;
      const delivered = async (key) => {
        const deadline = Date.now() + 5000;
        let state;
        do {
          await sleep(50);
          state = d.sql(`SELECT state FROM outbox WHERE idem_key = '${key}'`);
        } while (state !== 'delivered' && Date.now() < deadline);
        assert.equal(state, 'delivered', key);
      };
      assert.equal((await c.ctl('POST', '/faults', { route: 'settlements', fail: 1, status: 500 })).status, 200);
      let r = await d.req('POST', '/dev/credit', { body: { account: id, drops: '1000000', key: 'refused-once' } });
      assert.equal(r.status, 201);
      await delivered('refused-once');
      assert.equal((await c.ctl('POST', '/faults', { route: 'settlements', lose: 1 })).status, 200);
      r = await d.req('POST', '/dev/credit', { body: { account: id, drops: '2000000', key: 'answer-lost' } });
      assert.equal(r.status, 201);
      await delivered('answer-lost');
      await sleep(300);
      const a = await c.ctl('GET', '/accounts/alice');
      assert.equal(a.body.credits.length, 2, JSON.stringify(a.body.credits));
      const keys = a.body.credits.map((x) => x.key);
      assert.notEqual(keys[0], 'refused-once', 'credited under a new key');
      assert.equal(keys[1], 'answer-lost', 'credited under its own key');
    } finally {
      await d.close();
      c.proc.kill('SIGTERM');
    }
  });
}
