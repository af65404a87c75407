// The operator's configuration file (`xrpse run --config FILE`, or
// XRPSE_CONFIG) against the real binary: a daemon starts from the file
// alone, a flag and a variable win over it, and a bad line, a writable
// file or a seed in it stop the daemon with status 2 naming file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Daemon, runXrpse, tmpdir, freePort, SEED } from './lib/harness.mjs';

// A daemon whose settings come from a configuration file; extra flags
// (test knobs, overrides) after --config.
function confDaemon(lines, { flags = [], env = {} } = {}) {
  const d = new Daemon({ env });
  d.conf = path.join(d.dir, 'xrpse.conf');
  d.args = () => ['run', '--config', d.conf, '--dev-api', '--dev-cron-ms', '20', ...flags];
  d.write = (port) => writeFileSync(d.conf, [
    '# written by config.test.mjs',
    `listen = 127.0.0.1:${port}`,
    `seed-file = ${d.seedFile}   # the seed lives in its own 0600 file`,
    `db = ${d.db}`,
    'connector-url = http://127.0.0.1:9',
    'rippled-url = ws://127.0.0.1:9',
    ...lines, ''].join('\n'), { mode: 0o600 });
  return d;
}

test('a daemon runs from its configuration file; flag > variable > file', async () => {
  const filePort = await freePort();
  const d = confDaemon(['settle-delay = 7d', 'channel-amount = 20xrp', 'log-level = debug']);
  d.write(filePort);
  d.fixedPort = filePort;
  await d.start();
  assert.match(d.log, /settle delay 604800 s/);
  assert.match(d.log, /amount 20000000 drops/);
  assert.match(d.log, / DEBUG /);
  await d.stop();

  // XRPSE_SETTLE_DELAY beats the file; --channel-amount beats both.
  d.env = { XRPSE_SETTLE_DELAY: '8d', XRPSE_CHANNEL_AMOUNT: '25xrp' };
  const base = d.args;
  d.args = () => [...base(), '--channel-amount', '30xrp'];
  d.log = '';
  await d.start();
  assert.match(d.log, /settle delay 691200 s/);
  assert.match(d.log, /amount 30000000 drops/);
  await d.close();
});

test('XRPSE_CONFIG names the file', async () => {
  const d = confDaemon([]);
  const port = await freePort();
  d.write(port);
  d.fixedPort = port;
  d.env = { XRPSE_CONFIG: d.conf };
  d.args = () => ['run', '--dev-api'];
  await d.start();
  await d.close();
});

test('a bad line, a writable file or a seed exits 2 naming file and line', async () => {
  const dir = tmpdir();
  const conf = path.join(dir, 'xrpse.conf');
  const cases = [
    ['db = x.db\nsettle-dealy = 6d\n', /xrpse\.conf:2: unknown setting settle-dealy/],
    ['db = x.db\n\nsettle-delay = soon\n', /xrpse\.conf:3: --settle-delay: expected seconds/],
    ['help = true\n', /xrpse\.conf:1: help is a command-line flag/],
    ['db = a\ndb = b\n', /xrpse\.conf:2: db given twice/],
    [`seed = ${SEED}\n`, /xrpse\.conf:1: a seed never goes in the configuration file/],
  ];
  for (const [text, want] of cases) {
    writeFileSync(conf, text, { mode: 0o600 });
    chmodSync(conf, 0o600);
    const r = await runXrpse(['run', '--config', conf, '--seed-file', 'x', '--db', 'y']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, new RegExp(SEED));
  }
  writeFileSync(conf, 'db = x.db\n');
  chmodSync(conf, 0o666);
  const r = await runXrpse(['run', '--config', conf, '--seed-file', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /group or others may write it/);
  rmSync(dir, { recursive: true, force: true });
});

test('log-format = json: every line of a daemon is one JSON object', async () => {
  const d = confDaemon(['log-format = json', 'log-level = debug'],
    { flags: ['--dev-retry-base-ms', '50'] });
  const port = await freePort();
  d.write(port);
  d.fixedPort = port;
  await d.start();
  assert.equal((await d.createAccount('alice')).status, 201);
  // A peer's message with quotes, control characters and bytes that are
  // not UTF-8 (the daemon refuses it; whatever it logs must parse).
  const junk = Buffer.concat([Buffer.from('{"type":"x\n\u0001\\"'), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
  await d.req('POST', '/accounts/alice/messages', { body: junk, headers: { 'Content-Type': 'application/octet-stream' } });
  // Calls to the dead connector fail and are retried: outbox lines.
  const deadline = Date.now() + 10000;
  while (!/"subsystem":"outbox"[^\n]*"account":"alice"/.test(d.log) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await d.stop();
  const lines = d.log.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 5);
  for (const l of lines) {
    let o;
    assert.doesNotThrow(() => { o = JSON.parse(l); }, `not JSON: ${l}`);
    for (const k of ['time', 'level', 'subsystem', 'message'])
      assert.equal(typeof o[k], 'string', `${k} missing: ${l}`);
    assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['trace', 'debug', 'info', 'unusual', 'broken'].includes(o.level), l);
    assert.notEqual(o.level, 'broken', l);
  }
  assert.ok(lines.some((l) => JSON.parse(l).account === 'alice' && JSON.parse(l).subsystem === 'outbox'),
    'no outbox line with its account');
  rmSync(d.dir, { recursive: true, force: true });
});

test('--metrics-listen serves GET /metrics alone, on loopback unless --allow-remote', async () => {
  const mport = await freePort();
  const d = new Daemon({ args: ['--metrics-listen', `127.0.0.1:${mport}`] });
  await d.start();
  const m = await fetch(`http://127.0.0.1:${mport}/metrics`);
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await m.text();
  assert.match(text, /^xrpse_build_info\{version="[^"]+"\} 1$/m);
  // The same families as on the API listener.
  const api = await (await fetch(d.base + '/metrics')).text();
  const names = (t) => [...t.matchAll(/^# TYPE (\S+)/gm)].map((x) => x[1]).join(',');
  assert.equal(names(text), names(api));
  // Nothing else there: no settlement API, no health, no dev routes.
  for (const p of ['/health', '/accounts', '/dev/clock', '/'])
    assert.equal((await fetch(`http://127.0.0.1:${mport}${p}`)).status, 404, p);
  assert.equal((await fetch(`http://127.0.0.1:${mport}/metrics`, { method: 'POST', body: '{}' })).status, 405);
  assert.match(d.log, new RegExp(`metrics on 127\\.0\\.0\\.1:${mport}`));
  await d.close();

  const r = await runXrpse(['run', '--seed-file', 'x', '--db', 'y', '--metrics-listen', '0.0.0.0:9464']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--metrics-listen 0\.0\.0\.0 is not a loopback address; add --allow-remote/);
});
