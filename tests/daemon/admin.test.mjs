// The operator's commands against a running daemon, through its admin
// socket (src/daemon/rpc.h, src/api/admin.c, src/cli/cli_admin.c): the
// socket (mode 0600, beside the database by default, removed on a clean
// stop, a stale one replaced, anything else refused), every command's
// JSON and exit status (0 done, 1 refused, 2 usage, 3 no daemon), -H
// tables, and a parked credit retried while the daemon runs.  No ledger
// here: the channel commands see records only in tests/paychan's
// admin_channels.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Daemon, sleep, runXrpse, tmpdir, ADDRESS, XRPSE } from './lib/harness.mjs';
import { Connector } from './lib/connector.mjs';

async function setup(opts = {}) {
  const c = await new Connector().start();
  const d = await new Daemon({ connectorUrl: c.url, ...opts }).start();
  assert.equal((await d.createAccount('alice')).status, 201);
  const sock = d.db + '.sock';
  const x = async (args, o = {}) => {
    const r = await runXrpse(args, o);
    if (r.stdout && !args.includes('-H') && !args.includes('--human')
        && r.code === 0)
      r.json = JSON.parse(r.stdout);
    return r;
  };
  return { c, d, sock, x };
}

async function teardown({ c, d }) {
  await d.close();
  await c.close();
}

test('the socket: beside the database, mode 0600, gone after a clean stop', async () => {
  const t = await setup();
  const st = statSync(t.sock);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  await t.d.stop();
  assert.equal(existsSync(t.sock), false);
  // No daemon answers: 3, whichever way the socket is named.
  let r = await t.x(['status', '--db', t.d.db]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /no daemon answers/);
  r = await t.x(['accounts', '--rpc-socket', t.sock]);
  assert.equal(r.code, 3);
  await teardown(t);
});

test('a stale socket is replaced; a file or a live socket is refused', async () => {
  const dir = tmpdir();
  const sock = path.join(dir, 'admin.sock');
  // A socket nobody answers on any more (a daemon that died): bound,
  // never listening.
  execFileSync('python3', ['-c', 'import socket, sys; '
    + 'socket.socket(socket.AF_UNIX).bind(sys.argv[1])', sock]);
  assert.ok(statSync(sock).isSocket());
  const d = await new Daemon({ dir, args: ['--rpc-socket', sock] }).start();
  assert.match(d.log, /removed the stale socket/);
  assert.equal(statSync(sock).mode & 0o777, 0o600);
  // A second daemon on the same socket (another database): refused.
  const d2 = new Daemon({ args: ['--rpc-socket', sock] });
  await assert.rejects(d2.start(), /another process answers on it/);
  await d.close({ keep: true });
  // A regular file in the way: refused, and left alone.
  writeFileSync(sock, 'keep me');
  const d3 = new Daemon({ dir, args: ['--rpc-socket', sock] });
  await assert.rejects(d3.start(), /exists and is not a socket/);
  assert.ok(statSync(sock).isFile());
  rmSync(dir, { recursive: true, force: true });
});

test('status: version, address, rippled, balances, connector, outbox, problems', async () => {
  const t = await setup();
  const r = await t.x(['status', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  const s = r.json;
  const v = await runXrpse(['--version']);
  assert.equal(`xrpse ${s.version}\n`, v.stdout);
  assert.equal(s.address, ADDRESS);
  assert.equal(s.network_id, 0); // none configured
  assert.equal(s.status, 'degraded'); // no rippled in this suite
  assert.ok(s.problems.some((p) => p.check === 'rippled'));
  assert.equal(s.rippled.connected, false);
  assert.equal(s.rippled.validated_ledger_age_s, null);
  for (const k of ['balance_drops', 'reserve_drops', 'locked_drops',
    'claimable_drops', 'unpaid_drops'])
    assert.equal(s[k], '0', k);
  assert.equal(s.connector.url, t.c.url.replace(/\/$/, ''));
  assert.deepEqual(s.outbox, { pending: 0, inflight: 0, delivered: 0, parked: 0 });
  assert.equal(typeof s.alerts.raised, 'number');
  // The same through the environment, and as a table.
  const e = await t.x(['status', '-H'], { env: { XRPSE_RPC_SOCKET: t.sock } });
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`^address +${ADDRESS}$`, 'm'));
  assert.match(e.stdout, /^outbox\.parked +0$/m);
  const db = await t.x(['status', '--human'], { env: { XRPSE_DB: t.d.db } });
  assert.equal(db.code, 0, db.stderr);
  assert.match(db.stdout, /^network_id +0$/m);
  await teardown(t);
});

test('status: the configured network id', async () => {
  const t = await setup({ args: ['--network-id', '21337'] });
  const r = await t.x(['status', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.network_id, 21337);
  assert.equal(r.json.address, ADDRESS); // the other fields stay
  assert.equal(typeof r.json.outbox.pending, 'number');
  await teardown(t);
});

test('accounts and channels: each account with its pairing and channels', async () => {
  const t = await setup();
  assert.equal((await t.d.createAccount('bob')).status, 201);
  let r = await t.x(['accounts', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.map((a) => a.account), ['alice', 'bob']);
  const a = r.json[0];
  assert.equal(a.closed, false);
  assert.equal(a.paired, false);
  assert.equal(a.peer, null);
  assert.equal(a.owed_drops, '0');
  assert.deepEqual(a.incoming, []);
  r = await t.x(['accounts', '-H', '--db', t.d.db]);
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ACCOUNT +PAIRED +PEER +OWED +OUT CHANNEL +STATE/);
  assert.match(lines[1], /^alice +no +- +0 /);
  assert.equal(lines.length, 3);
  r = await t.x(['channels', '--db', t.d.db]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.json, []);
  r = await t.x(['channels', '-H', '--db', t.d.db]);
  assert.match(r.stdout, /^DIR +ACCOUNT +ID +STATE/);
  // --account: a known account's (none here); an unknown one refused.
  r = await t.x(['channels', '--account', 'bob', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, []);
  r = await t.x(['channels', '--account', 'ghost', '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no account ghost/);
  r = await t.x(['channels', '--account', '--db', t.d.db]);
  assert.equal(r.code, 2);
  r = await t.x(['accounts', '--account', 'bob', '--db', t.d.db]);
  assert.equal(r.code, 2);
  await teardown(t);
});

test('outbox: a parked credit listed, retried through the daemon, delivered', async () => {
  const t = await setup();
  t.d.allowBroken = true; // a parked credit is logged BROKEN
  t.c.next(404);
  const cr = await t.d.req('POST', '/dev/credit',
    { body: { account: 'alice', drops: '9', key: 'kadm' } });
  assert.equal(cr.status, 201, cr.text);
  const id = cr.body.outbox_id;
  await t.c.waitFor(() => t.c.settlements().length === 1);
  await sleep(300);
  let r = await t.x(['outbox', '--parked', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.length, 1);
  assert.equal(r.json[0].id, id);
  assert.equal(r.json[0].state, 'parked');
  assert.equal(r.json[0].kind, 'credit');
  assert.equal(r.json[0].account, 'alice');
  assert.equal(r.json[0].last_status, 404);
  assert.equal(r.json[0].attempts, 1);
  r = await t.x(['outbox', '-H', '--db', t.d.db]);
  assert.match(r.stdout, new RegExp(`^${id} +credit +alice +parked +1 +404`, 'm'));
  // The running daemon's retry: no stop, no SQL.
  r = await t.x(['outbox', 'retry', String(id), '--rpc-socket', t.sock]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, { id, state: 'pending' });
  await t.c.waitFor(() => t.c.settlements().length === 2);
  await sleep(300);
  // The same bytes (after a definite refusal, under a new key:
  // docs/api.md#credits-and-the-connectors-answer-caches).
  assert.equal(t.c.settlements()[1].body, t.c.settlements()[0].body);
  r = await t.x(['outbox', '--db', t.d.db]);
  assert.equal(r.json[0].state, 'delivered');
  r = await t.x(['outbox', '--parked', '--db', t.d.db]);
  assert.deepEqual(r.json, []);
  // Not parked any more: the daemon refuses.
  r = await t.x(['outbox', 'retry', String(id), '--rpc-socket', t.sock]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no parked call/);
  await teardown(t);
});

test('outbox retry --all-parked: every parked call sent again', async () => {
  const t = await setup();
  t.d.allowBroken = true; // parked credits are logged BROKEN
  assert.equal((await t.d.createAccount('bob')).status, 201);
  t.c.next(404);
  t.c.next(404);
  const ids = [];
  for (const [account, key] of [['alice', 'kall1'], ['bob', 'kall2']]) {
    const cr = await t.d.req('POST', '/dev/credit',
      { body: { account, drops: '7', key } });
    assert.equal(cr.status, 201, cr.text);
    ids.push(cr.body.outbox_id);
    await t.c.waitFor(() => t.c.settlements().length === ids.length);
  }
  await sleep(300);
  let r = await t.x(['outbox', '--parked', '--db', t.d.db]);
  assert.deepEqual(r.json.map((x) => x.id).sort(), [...ids].sort());
  // A new key for every call at once is refused (one at a time, after
  // checking the books), and so is an id beside --all-parked.
  for (const args of [['outbox', 'retry', '--all-parked', '--new-key'],
    ['outbox', 'retry', '--all-parked', String(ids[0])]]) {
    r = await t.x([...args, '--rpc-socket', t.sock]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  r = await t.x(['outbox', 'retry', '--all-parked', '--rpc-socket', t.sock]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ids.sort(), [...ids].sort());
  assert.equal(r.json.state, 'pending');
  await t.c.waitFor(() => t.c.settlements().length === 4);
  await sleep(300);
  r = await t.x(['outbox', '--parked', '--db', t.d.db]);
  assert.deepEqual(r.json, []);
  // The same bodies as the first attempts (each call under the key its
  // own retry gives it: docs/api.md#credits-and-the-connectors-answer-caches).
  const s = t.c.settlements();
  assert.deepEqual(s.slice(2).map((x) => x.body).sort(),
    s.slice(0, 2).map((x) => x.body).sort());
  // Nothing parked: done, with no ids.
  r = await t.x(['outbox', 'retry', '--all-parked', '-H', '--rpc-socket', t.sock]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^0 parked calls pending again$/m);
  await teardown(t);
});

test('backup: an online copy with every row; never over a file; 0600', async () => {
  const t = await setup();
  t.d.allowBroken = true;
  assert.equal((await t.d.createAccount('bob')).status, 201);
  t.c.next(404);
  const cr = await t.d.req('POST', '/dev/credit',
    { body: { account: 'alice', drops: '3', key: 'kbak' } });
  assert.equal(cr.status, 201, cr.text);
  assert.equal((await t.d.settle('bob', { amount: '5', scale: 0 }, 'sbak')).status, 201);
  const dir = tmpdir();
  const file = path.join(dir, 'xrpse.db'); // a store a daemon opens
  let r = await t.x(['backup', file, '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.path, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // A relative path is the caller's, not the daemon's.
  const rel = spawnSync(XRPSE, ['backup', 'rel.db', '--rpc-socket', t.sock],
    { cwd: dir, encoding: 'utf8' });
  assert.equal(rel.status, 0, rel.stderr);
  assert.equal(JSON.parse(rel.stdout).path, path.join(dir, 'rel.db'));
  assert.ok(statSync(path.join(dir, 'rel.db')).isFile());
  r = await t.x(['backup', file, '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /exists: a backup never overwrites/);
  r = await t.x(['backup', '--db', t.d.db]);
  assert.equal(r.code, 2);
  // xrpse stop: the clean stop; then the copy and the store hold the
  // same rows in every table.
  r = await t.x(['stop', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.stopping, true);
  const ex = await t.d.exited;
  assert.equal(ex.code, 0, t.d.log);
  const tables = t.d.sql("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
    .split('\n');
  assert.ok(tables.includes('pc_out') && tables.includes('outbox'), tables.join());
  const count = (db, tbl) => execFileSync('sqlite3', ['-bail', db,
    `SELECT count(*) FROM "${tbl}"`], { encoding: 'utf8' }).trim();
  for (const tbl of tables)
    assert.equal(count(file, tbl), count(t.d.db, tbl), tbl);
  assert.equal(count(file, 'accounts'), '2');
  assert.equal(count(file, 'outbox'), '1');
  assert.equal(execFileSync('sqlite3', [file, 'PRAGMA integrity_check'],
    { encoding: 'utf8' }).trim(), 'ok');
  // The copy runs as a daemon's store.
  const d2 = await new Daemon({ dir }).start();
  const a = await runXrpse(['accounts', '--rpc-socket', d2.db + '.sock']);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(JSON.parse(a.stdout).map((x) => x.account), ['alice', 'bob']);
  await d2.close();
  await teardown(t);
});

test('stop: the same clean stop as SIGTERM; the socket and the lock go', async () => {
  const t = await setup();
  let r = await t.x(['stop', '--bogus', '--db', t.d.db]);
  assert.equal(r.code, 2);
  r = await t.x(['stop', '-H', '--rpc-socket', t.sock]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stopped$/m);
  // Gone when stop returns: the socket, and the store's lock (a new
  // daemon opens the same store at once).
  assert.equal(existsSync(t.sock), false);
  const ex = await t.d.exited;
  assert.equal(ex.code, 0);
  assert.match(t.d.log, /stop asked on the admin socket/);
  assert.match(t.d.log, /stopping/);
  r = await t.x(['stop', '--db', t.d.db]);
  assert.equal(r.code, 3);
  await t.d.start();
  r = await t.x(['accounts', '--db', t.d.db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json[0].account, 'alice');
  await teardown(t);
});

test('close: refused without a channel; usage errors are 2', async () => {
  const t = await setup();
  let r = await t.x(['close', 'alice', '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /alice has no outgoing channel/);
  r = await t.x(['close', 'ghost', '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no open account ghost/);
  // One channel by id: none here.
  const id = 'AB'.repeat(32);
  r = await t.x(['channel', 'close', id, '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no channel of that id/);
  r = await t.x(['channel', 'close', id, '--force', '--db', t.d.db]);
  assert.equal(r.code, 1);
  r = await t.x(['channel', 'redeem', id.toLowerCase(), '--db', t.d.db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no incoming channel of that id/);
  r = await runXrpse(['channel', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /xrpse channel close ID \[--force\]/);
  for (const args of [['close', '--db', t.d.db],
    ['close', 'a', 'b', '--db', t.d.db],
    ['status', '--bogus', '--db', t.d.db],
    ['accounts', 'extra', '--db', t.d.db],
    ['outbox', 'retry', 'x1', '--rpc-socket', t.sock],
    ['outbox', 'retry', '--rpc-socket', t.sock],
    ['outbox', 'nope', '--db', t.d.db],
    ['channel', '--db', t.d.db],
    ['channel', 'open', 'AB'.repeat(32), '--db', t.d.db],
    ['channel', 'close', 'AB', '--db', t.d.db],
    ['channel', 'close', '--db', t.d.db],
    ['channel', 'redeem', 'AB'.repeat(32), '--force', '--db', t.d.db],
    ['channel', 'close', 'AB'.repeat(32), 'x', '--db', t.d.db],
    ['backup', 'a', 'b', '--db', t.d.db],
    ['stop', 'now', '--db', t.d.db],
    ['status']]) {
    r = await t.x(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  await teardown(t);
});

test('the raw protocol: one JSON line in, one out; junk refused, connection kept', async () => {
  const t = await setup();
  const s = net.createConnection(t.sock);
  await new Promise((r) => s.on('connect', r));
  let buf = '';
  s.on('data', (d) => (buf += d));
  s.write('not json\n{"cmd":"accounts"}\n{"cmd":"nope"}\n');
  for (let i = 0; i < 100 && buf.split('\n').length < 4; i++) await sleep(20);
  const lines = buf.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].ok, false);
  assert.equal(lines[1].ok, true);
  assert.equal(lines[1].result[0].account, 'alice');
  assert.match(lines[2].error, /unknown command/);
  s.end();
  await teardown(t);
});
