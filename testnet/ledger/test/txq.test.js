'use strict';
// Open-ledger fee escalation and the fee queue (--txq-target 3
// --txq-size 6): past 3 transactions in the open ledger the fee rises as
// base x n^2 / 3^2; a transaction paying less but at least the base fee
// is queued (terQUEUED) and applied in later ledgers, highest fee level
// first and each account in Sequence order; below the base fee it is
// telINSUF_FEE_P; the tel codes of the queue's rules; `fee` and
// account_info queue:true report the levels and the queue.
// rippled: TxQ::apply, TxQ::accept, Fee1.cpp (the fee method).

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

let srv;
let c;
let L;
const ws = [];

test.before(async () => {
  srv = await H.startServer(['--txq-target', '3', '--txq-size', '6']);
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
  for (let i = 0; i < 6; i++) {
    const w = H.newWallet();
    await L.fund(w.address, 1000);
    ws.push(w);
  }
});

test.after(async () => {
  c.close();
  await srv.stop();
});

const pay = (to, fee) => ({ TransactionType: 'Payment', Destination: to, Amount: '1000000', Fee: String(fee) });
const fee = async () => c.call({ command: 'fee' });

test('the open-ledger fee escalates past the target; cheaper ones are queued and applied later', async () => {
  const dst = ws[5].address;
  let f = await fee();
  assert.equal(f.drops.open_ledger_fee, '10');
  assert.equal(f.expected_ledger_size, '3');
  for (let i = 0; i < 4; i++)
    assert.equal((await L.submit(pay(dst, 10), ws[i])).engine_result, 'tesSUCCESS');
  // 4 in the open ledger: 10 x 16 / 9, rounded up.
  f = await fee();
  assert.equal(f.current_ledger_size, '4');
  assert.equal(f.drops.open_ledger_fee, '18');
  assert.equal(f.levels.open_ledger_level, String(Math.floor(18 * 256 / 10)));
  // Below the base fee: refused.
  assert.equal((await L.submit(pay(dst, 9), ws[4])).engine_result, 'telINSUF_FEE_P');
  // At the base fee: queued, twice for the same account (Sequence order).
  const s4 = await L.seq(ws[4].address);
  const q1 = await L.submit({ ...pay(dst, 10), Sequence: s4 }, ws[4]);
  assert.equal(q1.engine_result, 'terQUEUED');
  assert.equal(q1.queued, true);
  assert.equal(q1.accepted, true);
  const q2 = await L.submit({ ...pay(dst, 12), Sequence: s4 + 1 }, ws[4]);
  assert.equal(q2.engine_result, 'terQUEUED');
  // The same blob again, or a replacement under 25 % more: refused.
  const again = await c.request({ command: 'submit', tx_blob: q1.blob });
  assert.equal(again.result.engine_result, 'telCAN_NOT_QUEUE_FEE');
  // A gap after the queued ones is not queued (held as terPRE_SEQ).
  assert.equal((await L.submit({ ...pay(dst, 10), Sequence: s4 + 5 }, ws[4])).engine_result, 'terPRE_SEQ');
  // Paying the escalated fee goes in at once.
  assert.equal((await L.submit(pay(dst, 18), ws[0])).engine_result, 'tesSUCCESS');
  f = await fee();
  assert.equal(f.current_queue_size, '2');
  const ai = await c.call({ command: 'account_info', account: ws[4].address, queue: true });
  assert.equal(ai.queue_data.txn_count, 2);
  // tx finds a queued one in the open ledger (not validated).
  const t = await c.request({ command: 'tx', transaction: q1.hash });
  assert.equal(t.result.validated, false);
  await L.accept();
  // Both queued ones in the next open ledger (3 fit before escalation).
  f = await fee();
  assert.equal(f.current_queue_size, '0');
  assert.equal(f.current_ledger_size, '2');
  await L.accept();
  for (const q of [q1, q2]) {
    const r = await c.call({ command: 'tx', transaction: q.hash, api_version: 2 });
    assert.equal(r.validated, true);
    assert.equal(r.meta.TransactionResult, 'tesSUCCESS');
  }
});

test('the queue drains by fee level, bounded by the escalating fee; its rules refuse with tel codes', async () => {
  const dst = ws[5].address;
  for (let i = 0; i < 4; i++)
    assert.equal((await L.submit(pay(dst, 10), ws[i])).engine_result, 'tesSUCCESS');
  // Queued: ws[4] at 11, ws[0] at 15, ws[1] at 13.
  const a = await L.submit(pay(dst, 11), ws[4]);
  const b = await L.submit(pay(dst, 15), ws[0]);
  const d = await L.submit(pay(dst, 13), ws[1]);
  for (const r of [a, b, d]) assert.equal(r.engine_result, 'terQUEUED');
  // A LastLedgerSequence with no later ledger: not queued.
  const cur = (await c.call({ command: 'ledger_current' })).ledger_current_index;
  assert.equal((await L.submit({ ...pay(dst, 10), LastLedgerSequence: cur }, ws[2])).engine_result,
    'telCAN_NOT_QUEUE');
  // Three more fill the queue (6); then a cheaper one is refused, a
  // dearer one evicts the cheapest.
  const s3 = await L.seq(ws[3].address);
  for (let k = 0; k < 3; k++)
    assert.equal((await L.submit({ ...pay(dst, 10), Sequence: s3 + k }, ws[3])).engine_result, 'terQUEUED');
  assert.equal((await L.submit(pay(dst, 10), ws[2])).engine_result, 'telCAN_NOT_QUEUE_FULL');
  assert.equal((await L.submit(pay(dst, 14), ws[2])).engine_result, 'terQUEUED');
  assert.equal((await fee()).current_queue_size, '6');
  await L.accept();
  // Into the new open ledger, highest level first, while each pays the
  // fee the ledger has grown to: 15, 14, 13, 11 (up to 3 in the ledger
  // the fee is the base), then 10 < 10 x 16 / 9: ws[3]'s two (its third was evicted) wait.
  const led = await c.call({ command: 'ledger', ledger_index: 'current', transactions: true });
  const open = led.ledger.transactions.map((h) => h.toUpperCase());
  assert.equal(open.length, 4);
  for (const r of [a, b, d]) assert.ok(open.includes(r.hash));
  assert.equal((await fee()).current_queue_size, '2');
  // The rest goes in at the next close.
  await L.accept();
  await L.accept();
  const r = await c.call({ command: 'tx', transaction: a.hash, api_version: 2 });
  assert.equal(r.validated, true);
  assert.equal((await fee()).current_queue_size, '0');
});
