'use strict';
// subscribe/unsubscribe and the stream messages: ledgerClosed before the
// transaction messages of that ledger, API v1/v2 transaction shapes with
// metadata, the accounts stream (every affected account), the timer-driven
// close, and the subscription errors.

const test = require('node:test');
const assert = require('node:assert/strict');
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

test('subscribe ledger: result and ledgerClosed message', async () => {
  const s = await H.connect(srv.url);
  try {
    const r = await s.call({ command: 'subscribe', streams: ['ledger'] });
    const closed = await c.call({ command: 'ledger_closed' });
    assert.equal(r.ledger_index, closed.ledger_index);
    assert.equal(r.ledger_hash, closed.ledger_hash);
    assert.equal(r.fee_base, 10);
    assert.equal(r.reserve_base, 1000000);
    assert.equal(r.reserve_inc, 200000);
    assert.equal(r.network_id, 1);
    assert.equal(typeof r.ledger_time, 'number');
    assert.match(r.validated_ledgers, /^2-\d+$/);
    await L.accept();
    const m = await s.waitFor((x) => x.type === 'ledgerClosed');
    assert.equal(m.ledger_index, closed.ledger_index + 1);
    assert.equal(m.txn_count, 0);
    assert.equal(m.fee_base, 10);
    assert.equal(m.reserve_base, 1000000);
    assert.equal(m.reserve_inc, 200000);
    assert.equal(m.network_id, 1);
    assert.equal(m.id, undefined);
    assert.equal(m.status, undefined);
    assert.equal(m.validated_ledgers, `2-${m.ledger_index}`);
    // Unsubscribe: no more messages.
    assert.deepEqual(await s.call({ command: 'unsubscribe', streams: ['ledger'] }), {});
    await L.accept();
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(s.messages.filter((x) => x.type === 'ledgerClosed').length, 0);
  } finally {
    s.close();
  }
});

test('transactions stream: v2 shape, ledgerClosed first, channel meta', async () => {
  const s = await H.connect(srv.url);
  try {
    await s.call({ command: 'subscribe', streams: ['ledger', 'transactions'], api_version: 2 });
    const alice = H.newWallet();
    const bob = H.newWallet();
    await L.fund(alice.address, 100);
    await L.fund(bob.address, 100);
    s.messages.length = 0;
    const seq = await L.seq(alice.address);
    const sub = await L.submit({ TransactionType: 'PaymentChannelCreate', Destination: bob.address, Amount: H.XRP(10),
      SettleDelay: 60, PublicKey: alice.publicKey }, alice);
    assert.equal(sub.engine_result, 'tesSUCCESS');
    await L.accept();
    const lc = await s.waitFor((x) => x.type === 'ledgerClosed');
    const m = await s.waitFor((x) => x.type === 'transaction');
    assert.ok(s.raw.indexOf(lc) < s.raw.indexOf(m), 'ledgerClosed before its transactions');
    assert.equal(lc.txn_count, 1);
    assert.equal(m.validated, true);
    assert.equal(m.status, 'closed');
    assert.equal(m.engine_result, 'tesSUCCESS');
    assert.equal(m.engine_result_code, 0);
    assert.equal(m.engine_result_message, 'The transaction was applied. Only final in a validated ledger.');
    assert.equal(m.ledger_index, lc.ledger_index);
    assert.equal(m.ledger_hash, lc.ledger_hash);
    assert.equal(m.hash, sub.hash);
    assert.equal(m.tx_json.hash, undefined);
    assert.equal(m.tx_json.TransactionType, 'PaymentChannelCreate');
    assert.equal(m.tx_json.date, lc.ledger_time);
    assert.match(m.close_time_iso, /Z$/);
    assert.match(m.ctid, /^C/);
    assert.equal(m.meta.TransactionResult, 'tesSUCCESS');
    assert.equal(m.meta.TransactionIndex, 0);
    const pc = m.meta.AffectedNodes.find((n) => n.CreatedNode && n.CreatedNode.LedgerEntryType === 'PayChannel');
    assert.equal(pc.CreatedNode.LedgerIndex, H.channelId(alice.address, bob.address, seq));
  } finally {
    s.close();
  }
});

test('transactions stream: v1 shape uses `transaction` with hash inside', async () => {
  const s = await H.connect(srv.url);
  try {
    await s.call({ command: 'subscribe', streams: ['transactions'] });
    const w = H.newWallet();
    const f = await L.fund(w.address, 20);
    const m = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(m.transaction.hash, f.submit.hash);
    assert.equal(m.tx_json, undefined);
    assert.equal(typeof m.transaction.date, 'number');
    assert.equal(m.meta.delivered_amount, H.XRP(20));
    const created = m.meta.AffectedNodes.find((n) => n.CreatedNode);
    assert.equal(created.CreatedNode.LedgerEntryType, 'AccountRoot');
    assert.equal(created.CreatedNode.NewFields.Account, w.address);
    assert.equal(created.CreatedNode.NewFields.Balance, H.XRP(20));
    const mod = m.meta.AffectedNodes.find((n) => n.ModifiedNode).ModifiedNode;
    assert.equal(mod.FinalFields.Account, 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh');
    assert.ok(mod.PreviousFields.Balance);
    assert.ok(mod.PreviousTxnID);
  } finally {
    s.close();
  }
});

test('accounts stream: every affected account, nothing else; errors', async () => {
  const s = await H.connect(srv.url);
  try {
    const alice = H.newWallet();
    const bob = H.newWallet();
    const carol = H.newWallet();
    await L.fund(alice.address, 100);
    await L.fund(bob.address, 100);
    await L.fund(carol.address, 100);
    assert.deepEqual(await s.call({ command: 'subscribe', accounts: [bob.address], api_version: 2 }), {});
    // Unrelated payment: not delivered.
    await L.apply({ TransactionType: 'Payment', Destination: carol.address, Amount: H.XRP(1) }, alice);
    // Channel alice -> bob: bob is affected (destination).
    const seq = await L.seq(alice.address);
    const cr = await L.apply({ TransactionType: 'PaymentChannelCreate', Destination: bob.address, Amount: H.XRP(10),
      SettleDelay: 60, PublicKey: alice.publicKey }, alice);
    const m = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(m.hash, cr.submit.hash);
    // A claim by alice that pays bob.
    const id = H.channelId(alice.address, bob.address, seq);
    const cl = await L.apply({ TransactionType: 'PaymentChannelClaim', Channel: id, Balance: H.XRP(1) }, alice);
    const m2 = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(m2.hash, cl.submit.hash);
    assert.equal(s.messages.length, 0, 'the unrelated payment was not delivered');
    // tem/tef never appear in streams.
    await L.submit({ TransactionType: 'PaymentChannelClaim', Channel: id, Balance: '0' }, alice);
    await L.accept();
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(s.messages.length, 0);
    await s.call({ command: 'unsubscribe', accounts: [bob.address] });
    await L.apply({ TransactionType: 'Payment', Destination: bob.address, Amount: H.XRP(1) }, alice);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(s.messages.length, 0);
    // Errors.
    let r = await s.request({ command: 'subscribe', streams: ['nope'] });
    assert.equal(r.error, 'malformedStream');
    assert.equal(r.error_code, 71);
    r = await s.request({ command: 'subscribe', streams: 'ledger' });
    assert.equal(r.error, 'invalidParams');
    r = await s.request({ command: 'subscribe', accounts: [] });
    assert.equal(r.error, 'actMalformed');
    r = await s.request({ command: 'subscribe', accounts: [alice.address, 'rBad'] });
    assert.equal(r.error, 'actMalformed');
    r = await s.request({ command: 'subscribe', accounts: alice.address });
    assert.equal(r.error, 'invalidParams');
  } finally {
    s.close();
  }
});

test('proposed streams: provisional message on submit, then the validated one', async () => {
  const s = await H.connect(srv.url);
  const s2 = await H.connect(srv.url);
  try {
    const a = H.newWallet();
    const b = H.newWallet();
    await L.fund(a.address, 100);
    await L.fund(b.address, 100);
    await s.call({ command: 'subscribe', streams: ['transactions_proposed'], api_version: 2 });
    await s2.call({ command: 'subscribe', accounts_proposed: [b.address] });
    const r = await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: H.XRP(1) }, a);
    const p = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(p.validated, false);
    assert.equal(p.status, 'proposed');
    assert.equal(p.hash, r.hash);
    assert.equal(p.engine_result, 'tesSUCCESS');
    assert.equal(typeof p.ledger_current_index, 'number');
    assert.equal(p.meta, undefined);
    const p1 = await s2.waitFor((x) => x.type === 'transaction');
    assert.equal(p1.transaction.hash, r.hash, 'v1 shape for the v1 subscriber');
    assert.equal(p1.validated, false);
    await L.accept();
    const v = await s.waitFor((x) => x.type === 'transaction');
    assert.equal(v.validated, true);
    assert.equal(v.meta.TransactionResult, 'tesSUCCESS');
    const v1 = await s2.waitFor((x) => x.type === 'transaction');
    assert.equal(v1.validated, true);
    // A rejected submit is not published.
    await L.submit({ TransactionType: 'Payment', Destination: b.address, Amount: '0' }, a);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(s.messages.length, 0);
  } finally {
    s.close();
    s2.close();
  }
});

test('timer-driven closes publish ledgerClosed without ledger_accept', async () => {
  const s2 = await H.startServer(['--close-ms', '50']);
  const c2 = await H.connect(s2.url);
  try {
    await c2.call({ command: 'subscribe', streams: ['ledger'] });
    const a = await c2.waitFor((x) => x.type === 'ledgerClosed');
    const b = await c2.waitFor((x) => x.type === 'ledgerClosed');
    assert.equal(b.ledger_index, a.ledger_index + 1);
    assert.ok(b.ledger_time > a.ledger_time);
  } finally {
    c2.close();
    await s2.stop();
  }
});
