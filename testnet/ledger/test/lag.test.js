'use strict';
// --validation-lag 2: the validated ledger is two behind the last closed
// one, as on a network where validations arrive after the close.
// ledger_closed reports the closed one, server_info/server_state and the
// ledger stream the validated one; `validated: true` only for validated
// ledgers and their transactions; account_info by "validated" and
// "current" differ until the lag has passed.

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

let srv;
let c;
let L;

test.before(async () => {
  srv = await H.startServer(['--validation-lag', '2']);
  c = await H.connect(srv.url);
  L = new H.Ledger(c);
});

test.after(async () => {
  c.close();
  await srv.stop();
});

test('the validated ledger trails the closed one by two', async () => {
  await L.accept(); // a fresh start: 2 is both; from here on, 2 behind
  await L.accept();
  const sub = await c.call({ command: 'subscribe', streams: ['ledger', 'transactions'] });
  const v0 = sub.ledger_index;
  const w = H.newWallet();
  const r = await L.submit({ TransactionType: 'Payment', Destination: w.address, Amount: H.XRP(50) }, H.GENESIS);
  assert.equal(r.engine_result, 'tesSUCCESS');
  await L.accept(); // the payment's ledger is closed, not validated
  const closed = await c.call({ command: 'ledger_closed' });
  const info = await c.call({ command: 'server_info' });
  assert.equal(info.info.validated_ledger.seq, closed.ledger_index - 2);
  assert.ok(info.info.complete_ledgers.endsWith(`-${closed.ledger_index - 2}`));
  const st = await c.call({ command: 'server_state' });
  assert.equal(st.state.validated_ledger.seq, closed.ledger_index - 2);
  let t = await c.call({ command: 'tx', transaction: r.hash, api_version: 2 });
  assert.equal(t.ledger_index, closed.ledger_index);
  assert.equal(t.validated, false);
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  // By "validated" the account does not exist yet; by "current" and
  // "closed" it does.
  let a = await c.request({ command: 'account_info', account: w.address, ledger_index: 'validated' });
  assert.equal(a.error, 'actNotFound');
  a = await c.call({ command: 'account_info', account: w.address, ledger_index: 'closed' });
  assert.equal(a.validated, false);
  a = await c.call({ command: 'account_info', account: w.address });
  assert.equal(a.validated, false);
  let l = await c.call({ command: 'ledger', ledger_index: 'validated' });
  assert.equal(l.validated, true);
  assert.equal(Number(l.ledger.ledger_index), closed.ledger_index - 2);
  l = await c.call({ command: 'ledger', ledger_index: closed.ledger_index });
  assert.equal(l.validated, false);
  // The streams publish only validated ledgers, in order, with their
  // transactions after them.
  const seen = [];
  for (const m of c.messages) if (m.type === 'ledgerClosed') seen.push(m.ledger_index);
  assert.deepEqual(seen, [v0 + 1].filter((x) => x <= closed.ledger_index - 2));
  assert.ok(!c.messages.some((m) => m.type === 'transaction' && m.hash === r.hash ||
    (m.type === 'transaction' && m.transaction && m.transaction.hash === r.hash)));
  await L.accept();
  await L.accept();
  const m = await c.waitFor((x) => x.type === 'ledgerClosed' && x.ledger_index === closed.ledger_index);
  assert.ok(m.validated_ledgers.endsWith(`-${closed.ledger_index}`));
  await c.waitFor((x) => x.type === 'transaction' && x.validated === true &&
    x.ledger_index === closed.ledger_index);
  t = await c.call({ command: 'tx', transaction: r.hash, api_version: 2 });
  assert.equal(t.validated, true);
  a = await c.call({ command: 'account_info', account: w.address, ledger_index: 'validated' });
  assert.equal(a.validated, true);
  assert.equal(a.account_data.Balance, H.XRP(50));
});
