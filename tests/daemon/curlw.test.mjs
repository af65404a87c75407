// libcurl is loaded on demand (src/io/curlw.c): the daemon starts without it,
// dlopen()s it when a call to the connector is due, and unloads it after
// an idle delay (XRPSE_DEV_CURL_IDLE_MS, 60 s by default).  Checked from
// outside in /proc/<pid>/maps, against the connector test double: calls
// made before and after an unload are all delivered, exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Daemon, sleep } from './lib/harness.mjs';
import { Connector } from './lib/connector.mjs';

const IDLE_MS = 1500;

// Base names of the shared objects mapped by the process.
function libs(pid) {
  const names = new Set();
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /\/([^/]+\.so[^/]*)$/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}
const curlMapped = (pid) => [...libs(pid)].some((n) => n.startsWith('libcurl.so'));

async function waitFor(pred, ms, what) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function setup(connectorUrl) {
  const d = await new Daemon({
    connectorUrl,
    // The first hello goes out a minute after an account is created (the
    // most allowed), so the only calls within a test are its credits.
    env: { XRPSE_DEV_CURL_IDLE_MS: String(IDLE_MS), XRPSE_DEV_HELLO_RETRY_MS: '60000' },
  }).start();
  return d;
}

test('libcurl is mapped only while calls are made, and every call is delivered', async (t) => {
  const c = await new Connector().start();
  const d = await setup(c.url).catch(async (e) => { await c.close(); throw e; });
  // On a failed assertion too: a daemon left running keeps the test file
  // from ending until ctest's timeout.
  t.after(async () => { await d.close(); await c.close(); });
  const pid = d.proc.pid;
  assert.equal(curlMapped(pid), false, 'not loaded at start');
  const before = libs(pid);
  assert.ok(![...before].some((n) => /^lib(gnutls|krb5|ldap|ssh2|rtmp)/.test(n)),
    'none of curl\'s dependencies at start');

  // The first call to the connector loads it.
  assert.equal((await d.createAccount('alice')).status, 201);
  const credit = async (drops, key) => {
    const r = await d.req('POST', '/dev/credit', { body: { account: 'alice', drops, key } });
    assert.equal(r.status, 201, r.text);
  };
  await credit('1', 'k-first');
  await c.waitFor(() => c.settlements().length === 1);
  assert.equal(curlMapped(pid), true, 'loaded while calls are made');

  // After the idle delay it is gone again, and so are its dependencies
  // (p11-kit is NODELETE; libssl/libcrypto are linked through lws).
  // dlclose() unmaps libcurl first and its dependencies one by one after
  // it, so a read of the maps between two of those munmap()s (a host that
  // holds the process there) sees libcurl gone and some dependencies
  // still mapped: wait for the whole set to go, not for libcurl alone.
  await waitFor(() => !curlMapped(pid), IDLE_MS + 15000, 'libcurl to be unloaded');
  const deps = (names) => [...names].filter((n) => /^lib(gnutls|krb5|ldap|ssh2|rtmp)/.test(n));
  let after = libs(pid);
  const deadline = Date.now() + 10000;
  while (deps(after).length > 0 && Date.now() < deadline) {
    await sleep(50);
    after = libs(pid);
  }
  const kept = [...after].filter((n) => !before.has(n)).sort();
  console.log(`# mapped after the unload that were not at start: ${kept.join(' ') || 'none'}`);
  assert.deepEqual(deps(after), [], `curl's dependencies unloaded: ${kept.join(' ')}`);

  // A credit after the unload loads it again and is delivered once.
  await credit('42', 'k-reload');
  await c.waitFor(() => c.settlements().length === 2);
  await waitFor(() => d.sql("SELECT count(*) FROM outbox WHERE state = 'delivered'") === '2',
    5000, 'both credits to be recorded as delivered');
  assert.deepEqual([...c.credited.entries()], [['k-first', '1'], ['k-reload', '42']]);
  await waitFor(() => !curlMapped(pid), IDLE_MS + 15000, 'the second unload');
  assert.equal(c.settlements().length, 2);
  assert.ok(await d.answers());
});

test('with an unreachable connector the retries load and unload libcurl, nothing is lost', async (t) => {
  const c = await new Connector().start();
  const url = c.url;
  await c.close(); // nobody listens there now
  const d = await setup(url);
  t.after(() => d.close());
  const pid = d.proc.pid;
  assert.equal((await d.createAccount('bob')).status, 201);
  const r = await d.req('POST', '/dev/credit', { body: { account: 'bob', drops: '7', key: 'k-dead' } });
  assert.equal(r.status, 201, r.text);
  // Retried with backoff (50 ms doubling, up to 1 h in this test build):
  // once the gaps pass the idle delay, libcurl comes and goes.
  await waitFor(() => Number(d.sql("SELECT attempts FROM outbox WHERE idem_key = 'k-dead'")) >= 2,
    10000, 'a retry');
  await waitFor(() => !curlMapped(pid), 60000, 'an unload between retries');
  assert.equal(d.sql("SELECT state FROM outbox WHERE idem_key = 'k-dead'"), 'pending');
});
