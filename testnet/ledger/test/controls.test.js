'use strict';
// The faucet look-alike (POST /accounts) and every test control:
// testnet_advance_time, testnet_drop_next_tx, testnet_disconnect_all,
// testnet_too_busy, testnet_close_timer, testnet_history_gap,
// testnet_status.

const test = require('node:test');
const assert = require('node:assert/strict');
const addr = require('ripple-address-codec');
const kp = require('ripple-keypairs');
const H = require('./helpers');

let srv;
let c;
let L;

test.before(async () => {
  srv = await H.startServer();
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
});

test.after(async () => {
  c.close();
  await srv.stop();
});

async function faucet(body) {
  const r = await fetch(srv.faucetUrl + '/accounts', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

test('faucet: new account with a real payment, visible after the next close', async () => {
  const s = await H.connect(srv.url);
  try {
    await s.call({ command: 'subscribe', streams: ['transactions'], api_version: 2 });
    const r = await faucet({ xrpAmount: '250' });
    assert.equal(r.status, 200);
    const a = r.body.account;
    assert.ok(addr.isValidClassicAddress(a.classicAddress));
    assert.equal(a.address, a.classicAddress);
    assert.equal(addr.xAddressToClassicAddress(a.xAddress).classicAddress, a.classicAddress);
    assert.equal(a.secret, r.body.seed);
    assert.equal(kp.deriveAddress(kp.deriveKeypair(r.body.seed).publicKey), a.classicAddress);
    assert.equal(r.body.amount, 250);
    assert.equal(r.body.balance, 250);
    assert.match(r.body.transactionHash, /^[0-9A-F]{64}$/);
    // Not validated yet.
    let q = await c.request({ command: 'account_info', account: a.classicAddress, ledger_index: 'validated' });
    assert.equal(q.error, 'actNotFound');
    await L.accept();
    q = await c.call({ command: 'account_info', account: a.classicAddress, ledger_index: 'validated' });
    assert.equal(q.account_data.Balance, H.XRP(250));
    const m = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(m.hash, r.body.transactionHash);
    assert.equal(m.tx_json.TransactionType, 'Payment');
    const t = await c.call({ command: 'tx', transaction: r.body.transactionHash, api_version: 2 });
    assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  } finally {
    s.close();
  }
});

test('faucet: default amount, given destination (classic or X-address), errors', async () => {
  let r = await faucet();
  assert.equal(r.status, 200);
  assert.equal(r.body.amount, 1000);
  const w = H.newWallet();
  r = await faucet({ destination: w.address, xrpAmount: '30' });
  assert.equal(r.status, 200);
  assert.equal(r.body.account.classicAddress, w.address);
  assert.equal(r.body.seed, undefined);
  assert.equal(r.body.account.secret, undefined);
  r = await faucet({ destination: addr.classicAddressToXAddress(w.address, false, true), xrpAmount: '20' });
  assert.equal(r.status, 200);
  assert.equal(r.body.balance, 50, 'balance after the second funding (open ledger)');
  await L.accept();
  assert.equal(await L.balance(w.address), 50000000n);
  r = await faucet({ destination: 'rNope' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'Invalid destination');
  r = await faucet({ xrpAmount: '1.5' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'Invalid amount');
  // Zero is not a valid amount.
  r = await faucet({ xrpAmount: '0' });
  assert.equal(r.status, 400);
  const res = await fetch(srv.faucetUrl + '/other', { method: 'POST' });
  assert.equal(res.status, 404);
  const bad = await fetch(srv.faucetUrl + '/accounts', { method: 'POST', body: '{oops' });
  assert.equal(bad.status, 400);
});

test('testnet_advance_time moves the close-time clock', async () => {
  const t0 = await L.closeTime();
  const r = await c.call({ command: 'testnet_advance_time', seconds: 86400 });
  assert.ok(r.offset >= 86400);
  assert.ok(r.now >= t0 + 86400 - 20);
  await L.accept();
  const t1 = await L.closeTime();
  assert.ok(t1 >= t0 + 86400 - 10, `${t1} vs ${t0}`);
  assert.equal(t1 % 10, 0, 'rounded to the 10 s close resolution');
  const e = await c.request({ command: 'testnet_advance_time', seconds: -5 });
  assert.equal(e.error, 'invalidParams');
});

test('testnet_drop_next_tx: submit looks fine, tx never reaches a ledger', async () => {
  const a = H.newWallet();
  const b = H.newWallet();
  await L.fund(a.address, 100);
  await L.fund(b.address, 100);
  assert.deepEqual(await c.call({ command: 'testnet_drop_next_tx' }), { drop_count: 1, sticky: false });
  const cur = (await c.call({ command: 'ledger_current' })).ledger_current_index;
  const seq = await L.seq(a.address);
  const r = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1), LastLedgerSequence: cur + 1 }, a);
  assert.equal(r.engine_result, 'tesSUCCESS');
  assert.equal(r.applied, true);
  await L.accept();
  await L.accept();
  const t = await c.request({ command: 'tx', transaction: r.hash, min_ledger: cur, max_ledger: cur + 1 });
  assert.equal(t.error, 'txnNotFound');
  assert.equal(t.searched_all, true);
  assert.equal(await L.seq(a.address), seq, 'sequence not consumed');
  // Resubmitting after its LastLedgerSequence: tefMAX_LEDGER.
  const again = await c.call({ command: 'submit', tx_blob: r.blob });
  assert.equal(again.engine_result, 'tefMAX_LEDGER');
  // Only the next one was dropped.
  const ok = await L.apply({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1) }, a);
  assert.equal(ok.result, 'tesSUCCESS');
  assert.equal((await c.call({ command: 'testnet_drop_next_tx', count: 0 })).drop_count, 0);
});

test('testnet_drop_next_tx: a dropped blob sent again gets in; a sticky one never does', async () => {
  const a = H.newWallet();
  const b = H.newWallet();
  await L.fund(a.address, 100);
  await L.fund(b.address, 100);
  const cur = (await c.call({ command: 'ledger_current' })).ledger_current_index;
  // Not sticky: the same blob, sent again, applies.
  await c.call({ command: 'testnet_drop_next_tx', count: 1 });
  const r = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1), LastLedgerSequence: cur + 10 }, a);
  assert.equal(r.engine_result, 'tesSUCCESS');
  await L.accept();
  assert.equal((await c.request({ command: 'tx', transaction: r.hash })).error, 'txnNotFound');
  const again = await c.call({ command: 'submit', tx_blob: r.blob });
  assert.equal(again.engine_result, 'tesSUCCESS');
  await L.accept();
  assert.equal((await c.call({ command: 'tx', transaction: r.hash })).validated, true);
  // Sticky: every submit of that blob is dropped; a new blob is not.
  assert.deepEqual(await c.call({ command: 'testnet_drop_next_tx', count: 1, sticky: true }), { drop_count: 1, sticky: true });
  const s = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(2), LastLedgerSequence: cur + 20 }, a);
  for (let i = 0; i < 3; i++) {
    assert.equal((await c.call({ command: 'submit', tx_blob: s.blob })).engine_result, 'tesSUCCESS');
    await L.accept();
  }
  assert.equal((await c.request({ command: 'tx', transaction: s.hash })).error, 'txnNotFound');
  const ok = await L.apply({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(3) }, a);
  assert.equal(ok.result, 'tesSUCCESS');
  assert.equal((await c.request({ command: 'testnet_drop_next_tx', sticky: 1 })).error, 'invalidParams');
  assert.equal((await c.call({ command: 'testnet_drop_next_tx', count: 0 })).drop_count, 0);
});

test('testnet_too_busy answers the next N requests with tooBusy (or another error)', async () => {
  await c.call({ command: 'testnet_too_busy', count: 2 });
  let r = await c.request({ command: 'server_info' });
  assert.equal(r.status, 'error');
  assert.equal(r.error, 'tooBusy');
  assert.equal(r.error_code, 9);
  assert.equal(r.request.command, 'server_info');
  // Controls themselves are never refused.
  const st = await c.call({ command: 'testnet_status' });
  assert.equal(st.too_busy, 1);
  r = await c.request({ command: 'fee' });
  assert.equal(r.error, 'tooBusy');
  r = await c.request({ command: 'fee' });
  assert.equal(r.status, 'success');
  await c.call({ command: 'testnet_too_busy', count: 1, error: 'noNetwork' });
  r = await c.request({ command: 'ping' });
  assert.equal(r.error, 'noNetwork');
  assert.equal(r.error_code, 17);
  await c.call({ command: 'testnet_too_busy', count: 1, error: 'lgrNotFound' });
  r = await c.request({ command: 'ledger_entry', index: '00'.repeat(32), ledger_index: 'validated' });
  assert.equal(r.error, 'lgrNotFound');
  assert.equal(r.error_code, 21);
  r = await c.request({ command: 'testnet_too_busy', count: 1, error: 'whatever' });
  assert.equal(r.error, 'invalidParams');
  r = await c.request({ command: 'testnet_nope' });
  assert.equal(r.error, 'unknownCmd');
});

test('testnet_close_timer starts and stops automatic closes', async () => {
  const s = await H.connect(srv.url);
  try {
    await s.call({ command: 'subscribe', streams: ['ledger'] });
    assert.deepEqual(await c.call({ command: 'testnet_close_timer', ms: 30 }), { close_ms: 30 });
    await s.waitFor((x) => x.type === 'ledgerClosed');
    await s.waitFor((x) => x.type === 'ledgerClosed');
    await c.call({ command: 'testnet_close_timer', ms: 0 });
    await new Promise((res) => setTimeout(res, 60));
    s.messages.length = 0;
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(s.messages.length, 0);
  } finally {
    s.close();
  }
});

test('testnet_set_fees and the --base-fee/--reserve-* options change fee and reserves', async () => {
  const s = await H.startServer(['--base-fee', '12', '--reserve-base', '10000000', '--reserve-inc', '2000000']);
  const c2 = await H.connect(s.url);
  try {
    const L2 = new H.Ledger(c2);
    let st = (await c2.call({ command: 'server_state' })).state.validated_ledger;
    assert.equal(st.base_fee, 12);
    assert.equal(st.reserve_base, 10000000);
    assert.equal(st.reserve_inc, 2000000);
    const info = (await c2.call({ command: 'server_info' })).info.validated_ledger;
    assert.equal(info.reserve_base_xrp, 10);
    assert.equal(info.reserve_inc_xrp, 2);
    assert.equal(info.base_fee_xrp, 0.000012);
    assert.equal((await c2.call({ command: 'fee' })).drops.base_fee, '12');
    const w = H.newWallet();
    let r = await L2.submit({ TransactionType: 'Payment', Destination: w.address, Amount: H.XRP(5), Fee: '12' }, H.GENESIS);
    assert.equal(r.engine_result, 'tecNO_DST_INSUF_XRP', '5 XRP is below a 10 XRP base reserve');
    r = await L2.submit({ TransactionType: 'Payment', Destination: w.address, Amount: H.XRP(20), Fee: '11' }, H.GENESIS);
    assert.equal(r.engine_result, 'telINSUF_FEE_P');
    // Mid-run change, as a fee vote would do.
    assert.deepEqual(await c2.call({ command: 'testnet_set_fees', base_fee: 10, reserve_base: '1000000', reserve_inc: 200000 }),
      { base_fee: '10', reserve_base: '1000000', reserve_inc: '200000' });
    await c2.call({ command: 'subscribe', streams: ['ledger'] });
    await L2.accept();
    const m = await c2.waitFor((x) => x.type === 'ledgerClosed');
    assert.equal(m.reserve_base, 1000000);
    assert.equal(m.fee_base, 10);
    st = (await c2.call({ command: 'server_state' })).state.validated_ledger;
    assert.equal(st.reserve_base, 1000000);
    const e = await c2.request({ command: 'testnet_set_fees', base_fee: 0 });
    assert.equal(e.error, 'invalidParams');
  } finally {
    c2.close();
    await s.stop();
  }
});

test('testnet_set_load raises the open-ledger fee; held low-fee txs apply once load drops', async () => {
  const a = H.newWallet();
  const b = H.newWallet();
  await L.fund(a.address, 100);
  await L.fund(b.address, 100);
  assert.deepEqual(await c.call({ command: 'testnet_set_load', factor: 3 }), { load_factor: 3, open_ledger_fee: '30' });
  const f = await c.call({ command: 'fee' });
  assert.equal(f.drops.open_ledger_fee, '30');
  assert.equal(f.drops.base_fee, '10');
  assert.equal(f.levels.open_ledger_level, '768');
  assert.equal((await c.call({ command: 'server_info' })).info.load_factor, 3);
  assert.equal((await c.call({ command: 'server_state' })).state.load_factor, 768);
  const low = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1) }, a);
  assert.equal(low.engine_result, 'telINSUF_FEE_P');
  assert.equal(low.open_ledger_cost, '30');
  assert.equal(low.kept, true);
  await L.accept();
  const held = await c.call({ command: 'tx', transaction: low.hash, api_version: 2 });
  assert.equal(held.validated, false, 'still held, not in a ledger');
  assert.deepEqual((await c.call({ command: 'testnet_status' })).held, [low.hash]);
  // Faucet still works under load (it pays the open-ledger fee).
  assert.equal((await faucet({ xrpAmount: '10' })).status, 200);
  await c.call({ command: 'testnet_set_load', factor: 1 });
  await L.accept(); // the held tx is retried on the new open ledger
  await L.accept();
  const t = await c.call({ command: 'tx', transaction: low.hash, api_version: 2 });
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  assert.equal((await c.request({ command: 'testnet_set_load', factor: 0 })).error, 'invalidParams');
});

test('testnet_force_result: forced terQUEUED is queued and applied at a later close; forced tem is bad', async () => {
  const a = H.newWallet();
  const b = H.newWallet();
  await L.fund(a.address, 100);
  await L.fund(b.address, 100);
  assert.deepEqual(await c.call({ command: 'testnet_force_result', result: 'terQUEUED' }), { result: 'terQUEUED', count: 1 });
  const q = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1) }, a);
  assert.equal(q.engine_result, 'terQUEUED');
  assert.equal(q.engine_result_code, -89);
  assert.equal(q.queued, true);
  assert.equal(q.applied, false);
  assert.equal(q.accepted, true);
  await L.accept();
  await L.accept();
  const t = await c.call({ command: 'tx', transaction: q.hash, api_version: 2 });
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  await c.call({ command: 'testnet_force_result', result: 'temMALFORMED', count: 1 });
  const m = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1) }, a);
  assert.equal(m.engine_result, 'temMALFORMED');
  const again = await c.call({ command: 'submit', tx_blob: m.blob });
  assert.equal(again.engine_result, 'temBAD_SIGNATURE');
  let e = await c.request({ command: 'testnet_force_result', result: 'tesSUCCESS' });
  assert.equal(e.error, 'invalidParams');
  e = await c.request({ command: 'testnet_force_result', result: 'terNOPE' });
  assert.equal(e.error, 'invalidParams');
});

test('testnet_history_gap: ledgers the server lacks, as rippled with a gap in its history', async () => {
  const a = H.newWallet();
  await L.fund(a.address, 100);
  const p = await L.apply({ TransactionType: 'Payment', Destination: H.GENESIS.address, Amount: H.XRP(1) }, a);
  assert.equal(p.result, 'tesSUCCESS');
  const li = p.tx.ledger_index;
  await L.accept();
  await L.accept();
  const closed = (await c.call({ command: 'ledger_closed' })).ledger_index;
  const lo = (await c.call({ command: 'server_info' })).info.complete_ledgers.split('-')[0];
  const g = await c.call({ command: 'testnet_history_gap', min: li, max: li });
  assert.deepEqual(g.gap, { min: li, max: li });
  assert.equal(g.complete_ledgers, `${lo}-${li - 1},${li + 1}-${closed}`);
  assert.equal((await c.call({ command: 'server_info' })).info.complete_ledgers, g.complete_ledgers);
  // The transaction is gone from this server's point of view...
  let t = await c.request({ command: 'tx', transaction: p.submit.hash });
  assert.equal(t.error, 'txnNotFound');
  assert.equal(t.searched_all, undefined);
  t = await c.request({ command: 'tx', transaction: p.submit.hash, min_ledger: li - 1, max_ledger: li + 1 });
  assert.equal(t.error, 'txnNotFound');
  assert.equal(t.searched_all, false);
  t = await c.request({ command: 'tx', ctid: p.tx.ctid });
  assert.equal(t.error, 'txnNotFound');
  t = await c.request({ command: 'tx', transaction: p.submit.hash, min_ledger: li + 1, max_ledger: closed });
  assert.equal(t.searched_all, true);
  let r = await c.request({ command: 'account_info', account: a.address, ledger_index: li });
  assert.equal(r.error, 'lgrNotFound');
  r = await c.request({ command: 'ledger', ledger_hash: p.tx.ledger_hash });
  assert.equal(r.error, 'lgrNotFound');
  // ...but the state moved on: the account's Sequence is past it.
  r = await c.call({ command: 'account_info', account: a.address, ledger_index: 'validated' });
  assert.equal(r.account_data.Sequence, p.submit.tx.Sequence + 1);
  // Bad ranges; the last closed ledger is always there.
  for (const bad of [{ min: 0, max: 1 }, { min: 5, max: 4 }, { min: 3, max: closed }, { min: 3 }, { min: 'x', max: 4 }]) {
    const e = await c.request({ command: 'testnet_history_gap', ...bad });
    assert.equal(e.error, 'invalidParams', JSON.stringify(bad));
  }
  // Removed: found again, as from a server with the full history.
  const n = await c.call({ command: 'testnet_history_gap' });
  assert.equal(n.gap, null);
  assert.equal(n.complete_ledgers, `${lo}-${closed}`);
  t = await c.call({ command: 'tx', transaction: p.submit.hash, min_ledger: li - 1, max_ledger: li + 1, api_version: 2 });
  assert.equal(t.validated, true);
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
});

test('testnet_disconnect_all drops every connection after answering', async () => {
  const a = await H.connect(srv.url);
  const b = await H.connect(srv.url);
  const st = await a.call({ command: 'testnet_status' });
  assert.ok(st.connections >= 3);
  const r = await a.call({ command: 'testnet_disconnect_all' });
  assert.ok(r.disconnected >= 3);
  await Promise.all([a.closed, b.closed, c.closed]);
  // Reconnect; state is intact.
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
  assert.equal((await c.call({ command: 'ping' })).constructor, Object);
  const g = await c.call({ command: 'testnet_disconnect_all', mode: 'close' });
  assert.ok(g.disconnected >= 1);
  await c.closed;
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
});
