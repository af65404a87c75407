// `xrpse run` start-up and shutdown: flags and environment variables,
// refusals (exit 2 with one clear line), the database lock, SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, chmodSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Daemon, runXrpse, tmpdir, freePort, SEED, ADDRESS } from './lib/harness.mjs';

function base(dir, port = 1) {
  const seed = path.join(dir, 'seed');
  writeFileSync(seed, SEED, { mode: 0o600 });
  return ['run', '--listen', `127.0.0.1:${port}`, '--seed-file', seed, '--db', path.join(dir, 'db')];
}

// args with option name set to value (replacing it when present).
function withOpt(args, name, value) {
  const a = [...args];
  const i = a.indexOf(name);
  if (i >= 0) a[i + 1] = value; else a.push(name, value);
  return a;
}

async function refused(args, re, env = {}) {
  const r = await runXrpse(args, { env });
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^xrpse run: /);
  assert.match(lines[0], re);
  assert.ok(!r.stderr.includes(SEED), 'the seed is never printed');
  return r;
}

test('--help lists every flag and its environment variable', async () => {
  const r = await runXrpse(['run', '--help']);
  assert.equal(r.code, 0);
  for (const f of ['--listen', '--connector-url', '--rippled-url', '--seed-file', '--db', '--key-type',
    '--network-id', '--log-level', '--allow-remote', '--dev-retry-base-ms', '--dev-cron-ms'])
    assert.ok(r.stdout.includes(f), f);
  for (const v of ['XRPSE_LISTEN', 'XRPSE_CONNECTOR_URL', 'XRPSE_RIPPLED_URL', 'XRPSE_SEED_FILE', 'XRPSE_DB',
    'XRPSE_KEY_TYPE', 'XRPSE_NETWORK_ID', 'XRPSE_LOG_LEVEL'])
    assert.ok(r.stdout.includes(v), v);
});

test('bad flags and values are refused with exit 2', async () => {
  const dir = tmpdir();
  const b = base(dir);
  await refused([...b, '--bogus'], /bogus/);
  await refused(withOpt(b, '--listen', 'nonsense'), /--listen/);
  await refused(withOpt(b, '--listen', '127.0.0.1:70000'), /--listen/);
  await refused([...b, '--connector-url', 'ftp://x'], /--connector-url/);
  await refused([...b, '--rippled-url', 'http://x'], /--rippled-url/);
  await refused([...b, '--key-type', 'rsa'], /--key-type/);
  await refused([...b, '--network-id', '-1'], /--network-id/);
  await refused([...b, '--log-level', 'loud'], /--log-level/);
  await refused([...b, '--dev-cron-ms', '0'], /--dev-cron-ms/);
  await refused(['run', '--seed-file', path.join(dir, 'seed')], /missing --db/);
  await refused(['run', '--db', path.join(dir, 'db')], /missing --seed-file/);
  await refused(withOpt(b, '--listen', '0.0.0.0:3000'), /loopback.*--allow-remote/);
  await refused([...b, 'extra'], /./);
  rmSync(dir, { recursive: true });
});

test('seed problems are refused and the seed never printed', async () => {
  const dir = tmpdir();
  const b = base(dir);
  const i = b.indexOf('--seed-file') + 1;
  const args = (p) => { const a = [...b]; a[i] = p; return a; };
  await refused(args(path.join(dir, 'missing')), /cannot read seed file/);
  writeFileSync(path.join(dir, 'empty'), '\n', { mode: 0o600 });
  await refused(args(path.join(dir, 'empty')), /empty/);
  writeFileSync(path.join(dir, 'bad'), 'sNotAValidSeedAtAll123\n', { mode: 0o600 });
  await refused(args(path.join(dir, 'bad')), /no valid seed/);
  rmSync(dir, { recursive: true });
});

test('a seed file group or others may read or write is refused', async () => {
  const dir = tmpdir();
  const b = base(dir);
  const seed = b[b.indexOf('--seed-file') + 1];
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
    chmodSync(seed, mode);
    const r = await refused(b, /seed file .*seed has mode/);
    assert.match(r.stderr, new RegExp(`0${mode.toString(8)}.*chmod 600 ${seed}`));
  }
  rmSync(dir, { recursive: true });
});

test('--version works on its own and after run; the start line and /health show it', async () => {
  const top = await runXrpse(['--version']);
  assert.equal(top.code, 0);
  const m = top.stdout.match(/^xrpse (\d+\.\d+\.\d+)\n$/);
  assert.ok(m, top.stdout);
  const run = await runXrpse(['run', '--version']);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, top.stdout);
  const d = await new Daemon().start();
  assert.match(d.log, new RegExp(`version ${m[1]}\\) started`));
  assert.equal((await d.req('GET', '/health')).body.version, m[1]);
  await d.close();
});

test('the database, its -wal and -shm are created 0600', async () => {
  const d = await new Daemon().start();
  assert.equal((await d.createAccount('m')).status, 201);
  const db = d.args()[d.args().indexOf('--db') + 1];
  for (const f of [db, `${db}-wal`, `${db}-shm`])
    assert.equal(statSync(f).mode & 0o777, 0o600, f);
  await d.close();
});

test('an unwritable database is refused', async () => {
  const dir = tmpdir();
  const b = base(dir);
  const i = b.indexOf('--db') + 1;
  b[i] = path.join(dir, 'no', 'such', 'dir', 'db');
  await refused(b, /./);
  const ro = path.join(dir, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o500);
  b[i] = path.join(ro, 'db');
  if (process.getuid() !== 0) await refused(b, /./);
  rmSync(dir, { recursive: true, force: true });
});

test('a second daemon on the same database is refused', async () => {
  const d = await new Daemon().start();
  const args = d.args();
  args[args.indexOf('--listen') + 1] = `127.0.0.1:${await freePort()}`;
  await refused(args, /in use/);
  assert.ok(await d.answers());
  await d.close();
});

test('environment variables work and flags win over them', async () => {
  const dir = tmpdir();
  const seed = path.join(dir, 'seed');
  writeFileSync(seed, SEED, { mode: 0o600 });
  const port = await freePort();
  const d = new Daemon({ dir });
  d.args = () => ['run', '--dev-api'];
  d.env = {
    XRPSE_LISTEN: `127.0.0.1:${port}`, XRPSE_SEED_FILE: seed, XRPSE_DB: path.join(dir, 'envdb'),
    XRPSE_CONNECTOR_URL: 'http://127.0.0.1:9/', XRPSE_RIPPLED_URL: 'ws://127.0.0.1:9',
    XRPSE_KEY_TYPE: 'secp256k1', XRPSE_NETWORK_ID: '21338', XRPSE_LOG_LEVEL: 'debug',
  };
  d.fixedPort = port;
  await d.start();
  assert.match(d.log, /DEBUG/);
  await d.close({ keep: true });
  // A flag overrides the variable: a bad flag value is reported even
  // though the variable is fine.
  await refused(['run', '--log-level', 'nope'], /--log-level/, d.env);
  const r = await runXrpse(['run'], { env: { ...d.env, XRPSE_LOG_LEVEL: 'nope' } });
  assert.equal(r.code, 2);
  rmSync(dir, { recursive: true, force: true });
});

test('start prints the address; SIGTERM exits 0 cleanly and the db reopens', async () => {
  const d = await new Daemon().start();
  assert.ok(d.log.includes(ADDRESS), d.log);
  assert.ok(!d.log.includes(SEED));
  assert.equal((await d.createAccount('t')).status, 201);
  const r = await d.stop('SIGTERM');
  assert.equal(r.code, 0);
  assert.match(d.log, /stopped cleanly/);
  await d.start();
  assert.equal((await d.settle('t', { amount: '1', scale: 0 }, 'k')).status, 201);
  const r2 = await d.stop('SIGINT');
  assert.equal(r2.code, 0);
  await d.close();
});

test('xrpse import kava: usage errors exit 2; a running daemon\'s database and a readable seed are refused', async () => {
  let r = await runXrpse(['import', 'kava', '--account', 'bob']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--account needs NAME=ID/);
  r = await runXrpse(['import', 'kava', '--db', 'x']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--store, --seed-file and --db are required/);
  r = await runXrpse(['import', 'other']);
  assert.equal(r.code, 2, r.stderr);

  const d = await new Daemon().start();
  const args = d.args();
  const dir = tmpdir();
  const store = path.join(dir, 'store.json');
  writeFileSync(store, JSON.stringify({ accounts: '[]' }));
  const imp = ['import', 'kava', '--store', store, '--seed-file', args[args.indexOf('--seed-file') + 1],
    '--db', args[args.indexOf('--db') + 1], '--rippled-url', 'ws://127.0.0.1:1'];
  r = await runXrpse(imp);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /in use by another xrpse .*stop the daemon first/);
  assert.ok(!r.stderr.includes(SEED) && !r.stdout.includes(SEED), 'the seed is never printed');
  assert.ok(await d.answers());
  await d.close();

  const seed = path.join(dir, 'seed');
  writeFileSync(seed, SEED, { mode: 0o644 });
  chmodSync(seed, 0o644);
  r = await runXrpse(['import', 'kava', '--store', store, '--seed-file', seed, '--db', path.join(dir, 'db')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /has mode 0644/);
  rmSync(dir, { recursive: true });
});
