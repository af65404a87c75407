'use strict';
// WebSocket API surface of the stand-in: rippled's envelopes and error shapes,
// server_info/server_state/fee, ledger selection, account_info, ledger_entry,
// ledger_current/closed/accept, ledger, ping, and the command-line handling
// of server.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const path = require('path');
const H = require('./helpers');

let srv;
let c;
let L;
const G = 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh';

test.before(async () => {
  srv = await H.startServer();
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
});

test.after(async () => {
  c.close();
  await srv.stop();
});

function nextRaw() {
  return new Promise((resolve) => {
    const n = c.raw.length;
    const iv = setInterval(() => {
      if (c.raw.length > n) {
        clearInterval(iv);
        resolve(c.raw[n]);
      }
    }, 5);
  });
}

test('envelope: id and api_version echoed, success shape', async () => {
  const r = await c.request({ command: 'ping', api_version: 2 });
  assert.deepEqual(r, { id: r.id, api_version: 2, result: {}, status: 'success', type: 'response' });
  // Any JSON type as id.
  const p = nextRaw();
  c.ws.send(JSON.stringify({ id: 'abc', command: 'ping' }));
  const m = await p;
  assert.equal(m.id, 'abc');
  assert.equal(m.api_version, undefined);
  // `method` works like `command`.
  const q = await c.request({ method: 'ping' });
  assert.equal(q.status, 'success');
});

test('envelope errors: jsonInvalid, missingCommand, unknownCmd, invalid_API_version', async () => {
  let p = nextRaw();
  c.ws.send('{not json');
  let m = await p;
  assert.deepEqual(m, { type: 'error', error: 'jsonInvalid', value: '{not json' });
  p = nextRaw();
  c.ws.send('[1,2]');
  m = await p;
  assert.equal(m.error, 'jsonInvalid');
  let r = await c.request({ foo: 1 });
  assert.equal(r.status, 'error');
  assert.equal(r.type, 'response');
  assert.equal(r.error, 'missingCommand');
  assert.equal(r.request.foo, 1);
  r = await c.request({ command: 'no_such_thing' });
  assert.equal(r.error, 'unknownCmd');
  assert.equal(r.error_code, 32);
  assert.equal(r.error_message, 'Unknown method.');
  assert.equal(r.request.command, 'no_such_thing');
  r = await c.request({ command: 'ping', api_version: 7 });
  assert.equal(r.error, 'invalid_API_version');
  // Secrets are masked in the echoed request.
  r = await c.request({ command: 'submit', secret: 'snoPBrXtMeMyMHUVTgbuqAfg1SUTb', tx_json: {} });
  assert.equal(r.request.secret, '<masked>');
  assert.equal(r.error, 'notSupported');
  // Binary frame.
  p = nextRaw();
  c.ws.send(Buffer.from('{"command":"ping"}'), { binary: true });
  m = await p;
  assert.equal(m.error, 'wsTextRequired');
});

test('server_info, server_state and fee', async () => {
  const i = (await c.call({ command: 'server_info' })).info;
  assert.equal(i.server_state, 'full');
  assert.equal(i.network_id, 1);
  assert.match(i.complete_ledgers, /^2-\d+$/);
  assert.equal(i.validated_ledger.base_fee_xrp, 0.00001);
  assert.equal(i.validated_ledger.reserve_base_xrp, 1);
  assert.equal(i.validated_ledger.reserve_inc_xrp, 0.2);
  assert.match(i.validated_ledger.hash, /^[0-9A-F]{64}$/);
  assert.match(i.pubkey_node, /^n/);
  assert.equal(i.load_factor, 1);
  const s = (await c.call({ command: 'server_state' })).state;
  assert.equal(s.validated_ledger.base_fee, 10);
  assert.equal(s.validated_ledger.reserve_base, 1000000);
  assert.equal(s.validated_ledger.reserve_inc, 200000);
  assert.equal(s.validated_ledger.seq, i.validated_ledger.seq);
  assert.equal(typeof s.validated_ledger.close_time, 'number');
  assert.equal(s.load_base, 256);
  assert.equal(s.load_factor, 256);
  const f = await c.call({ command: 'fee' });
  assert.equal(f.drops.base_fee, '10');
  assert.equal(f.drops.open_ledger_fee, '10');
  assert.equal(f.drops.minimum_fee, '10');
  assert.equal(typeof f.ledger_current_index, 'number');
  assert.equal(f.levels.reference_level, '256');
  assert.equal(f.current_queue_size, '0');
});

test('fresh start: validated ledger 2, open ledger 3; ledger_accept advances', async () => {
  const s2 = await H.startServer(['--faucet-port', '0']);
  const c2 = await H.connect(s2.url);
  try {
    assert.equal((await c2.call({ command: 'ledger_current' })).ledger_current_index, 3);
    const closed = await c2.call({ command: 'ledger_closed' });
    assert.equal(closed.ledger_index, 2);
    assert.match(closed.ledger_hash, /^[0-9A-F]{64}$/);
    assert.deepEqual(await c2.call({ command: 'ledger_accept' }), { ledger_current_index: 4 });
    assert.equal((await c2.call({ command: 'ledger_closed' })).ledger_index, 3);
    const g = (await c2.call({ command: 'account_info', account: G, ledger_index: 'validated' })).account_data;
    assert.equal(g.Balance, '100000000000000000');
    assert.equal(g.Sequence, 1);
  } finally {
    c2.close();
    await s2.stop();
  }
});

test('ledger close times: strictly increasing, ledger header', async () => {
  const t1 = await L.closeTime();
  await L.accept();
  const t2 = await L.closeTime();
  assert.ok(t2 > t1);
  const l = await c.call({ command: 'ledger', ledger_index: 'validated', transactions: true });
  assert.equal(l.validated, true);
  assert.equal(l.ledger.closed, true);
  assert.equal(l.ledger.parent_close_time, t1);
  assert.ok(Array.isArray(l.ledger.transactions));
  const prev = await c.call({ command: 'ledger', ledger_index: l.ledger_index - 1 });
  assert.equal(l.ledger.parent_hash, prev.ledger_hash);
  const open = await c.call({ command: 'ledger', ledger_index: 'current' });
  assert.equal(open.ledger.closed, false);
  assert.equal(open.validated, false);
});

test('account_info: ledger selection and errors', async () => {
  const w = H.newWallet();
  const fundRes = await L.submit({ TransactionType: 'Payment', Destination: w.address, Amount: H.XRP(50) }, H.GENESIS);
  // In the open ledger but not yet validated.
  const cur = await c.call({ command: 'account_info', account: w.address });
  assert.equal(cur.validated, false);
  assert.equal(typeof cur.ledger_current_index, 'number');
  let r = await c.request({ command: 'account_info', account: w.address, ledger_index: 'validated', api_version: 2 });
  assert.equal(r.error, 'actNotFound');
  assert.equal(r.error_code, 19);
  assert.equal(r.error_message, 'Account not found.');
  assert.equal(r.account, w.address);
  assert.equal(r.validated, true);
  assert.equal(typeof r.ledger_index, 'number');
  assert.equal(r.request.account, w.address);
  assert.equal(r.api_version, 2);
  await L.accept();
  const v = await c.call({ command: 'account_info', account: w.address, ledger_index: 'validated' });
  assert.equal(v.validated, true);
  assert.equal(v.account_data.Balance, H.XRP(50));
  assert.equal(v.account_data.PreviousTxnID, fundRes.hash);
  assert.equal(v.account_data.OwnerCount, 0);
  assert.equal(v.account_data.LedgerEntryType, 'AccountRoot');
  assert.match(v.account_data.index, /^[0-9A-F]{64}$/);
  assert.equal(v.account_flags.depositAuth, false);
  // By number, as a string number, by hash.
  const byNum = await c.call({ command: 'account_info', account: w.address, ledger_index: v.ledger_index });
  assert.equal(byNum.ledger_hash, v.ledger_hash);
  const byStr = await c.call({ command: 'account_info', account: w.address, ledger_index: String(v.ledger_index) });
  assert.equal(byStr.ledger_index, v.ledger_index);
  const byHash = await c.call({ command: 'account_info', account: w.address, ledger_hash: v.ledger_hash });
  assert.equal(byHash.ledger_index, v.ledger_index);
  // Historic ledger: the account did not exist there.
  r = await c.request({ command: 'account_info', account: w.address, ledger_index: v.ledger_index - 1 });
  assert.equal(r.error, 'actNotFound');
  r = await c.request({ command: 'account_info', account: w.address, ledger_index: 999999 });
  assert.equal(r.error, 'lgrNotFound');
  assert.equal(r.error_code, 21);
  r = await c.request({ command: 'account_info', account: w.address, ledger_hash: 'AA'.repeat(32) });
  assert.equal(r.error, 'lgrNotFound');
  r = await c.request({ command: 'account_info', account: w.address, ledger_index: 'bogus' });
  assert.equal(r.error, 'invalidParams');
  r = await c.request({ command: 'account_info' });
  assert.equal(r.error, 'invalidParams');
  assert.equal(r.error_message, "Missing field 'account'.");
  r = await c.request({ command: 'account_info', account: 5 });
  assert.equal(r.error_message, "Invalid field 'account'.");
  r = await c.request({ command: 'account_info', account: 'rBadAddress' });
  assert.equal(r.error, 'actMalformed');
  assert.equal(r.error_code, 35);
  r = await c.request({ command: 'account_info', account: w.address, queue: true, ledger_index: 'validated' });
  assert.equal(r.error, 'invalidParams');
  const q = await c.call({ command: 'account_info', account: w.address, queue: true });
  assert.deepEqual(q.queue_data, { txn_count: 0 });
});

test('ledger_entry: account_root, errors', async () => {
  let r = await c.call({ command: 'ledger_entry', account_root: G, ledger_index: 'validated' });
  assert.equal(r.node.Account, G);
  assert.equal(r.node.LedgerEntryType, 'AccountRoot');
  assert.equal(r.validated, true);
  const idx = r.index;
  r = await c.call({ command: 'ledger_entry', index: idx, binary: true });
  assert.match(r.node_binary, /^11006122/);
  r = await c.request({ command: 'ledger_entry', payment_channel: idx });
  assert.equal(r.error, 'unexpectedLedgerType');
  r = await c.request({ command: 'ledger_entry', payment_channel: 'zz' });
  assert.equal(r.error, 'malformedRequest');
  assert.equal(r.error_code, 31);
  assert.equal(r.error_message, "Invalid field 'payment_channel', not hex string.");
  r = await c.request({ command: 'ledger_entry', payment_channel: '00'.repeat(32), api_version: 2 });
  assert.equal(r.error, 'entryNotFound');
  assert.equal(r.error_code, 98);
  assert.equal(r.error_message, 'Entry not found.');
  assert.equal(r.index, '00'.repeat(32));
  r = await c.request({ command: 'ledger_entry', payment_channel: '00'.repeat(32), index: '00'.repeat(32) });
  assert.equal(r.error, 'invalidParams');
  assert.equal(r.error_message, 'Too many fields provided.');
  r = await c.request({ command: 'ledger_entry', api_version: 2 });
  assert.equal(r.error, 'invalidParams');
  r = await c.request({ command: 'ledger_entry', account_root: 'nope' });
  assert.equal(r.error, 'malformedAddress');
});

test('JSON-RPC over HTTP POST on the same port', async () => {
  const post = async (body) => (await fetch(`http://127.0.0.1:${srv.port}/`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();
  let r = await post({ method: 'account_info', params: [{ account: G, ledger_index: 'validated' }] });
  assert.equal(r.result.status, 'success');
  assert.equal(r.result.account_data.Account, G);
  r = await post({ method: 'account_info', params: [{ account: 'rBad' }] });
  assert.equal(r.result.status, 'error');
  assert.equal(r.result.error, 'actMalformed');
  assert.equal(r.result.request.account, 'rBad');
  r = await post({ method: 'subscribe', params: [{ streams: ['ledger'] }] });
  assert.equal(r.result.error, 'notSupported');
  r = await post({ method: 'ledger_current' });
  assert.equal(typeof r.result.ledger_current_index, 'number');
  const get = await fetch(`http://127.0.0.1:${srv.port}/`);
  assert.equal(get.status, 405);
});

test('--history prunes old ledgers', async () => {
  const s = await H.startServer(['--history', '3']);
  const c2 = await H.connect(s.url);
  try {
    const w = H.newWallet();
    const L2 = new H.Ledger(c2);
    const f = await L2.fund(w.address, 10);
    for (let i = 0; i < 4; i++) await L2.accept();
    const closed = (await c2.call({ command: 'ledger_closed' })).ledger_index;
    const info = (await c2.call({ command: 'server_info' })).info;
    assert.equal(info.complete_ledgers, `${closed - 2}-${closed}`);
    let r = await c2.request({ command: 'account_info', account: w.address, ledger_index: closed - 3 });
    assert.equal(r.error, 'lgrNotFound');
    r = await c2.request({ command: 'tx', transaction: f.submit.hash });
    assert.equal(r.error, 'txnNotFound');
    // The state itself is intact.
    assert.equal(await L2.balance(w.address), 10000000n);
  } finally {
    c2.close();
    await s.stop();
  }
});

test('server.js rejects bad options', () => {
  const s = path.join(__dirname, '..', 'server.js');
  let r = spawnSync(process.execPath, [s, '--port', 'x'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port/);
  r = spawnSync(process.execPath, [s, '--bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  r = spawnSync(process.execPath, [s, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage/);
});
