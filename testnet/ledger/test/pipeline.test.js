'use strict';
// The common transaction pipeline and the XRP Payment / AccountSet
// transactors: sequence (tefPAST_SEQ, terPRE_SEQ held and applied when the gap
// fills), fee (telINSUF_FEE_P, terINSUF_FEE_B), LastLedgerSequence
// (tefMAX_LEDGER, expiry of held txs), balances and reserves, submit-time
// signature checks and the submit result flags.

const test = require('node:test');
const assert = require('node:assert/strict');
const codec = require('ripple-binary-codec');
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

async function funded(xrp = 1000) {
  const w = H.newWallet();
  await L.fund(w.address, xrp);
  return w;
}

const pay = (dst, amount, extra = {}) => ({ TransactionType: 'Payment', Destination: dst, Amount: amount, ...extra });

test('submit result shape for a successful payment', async () => {
  const a = await funded();
  const b = await funded();
  const r = await L.submit(pay(b.address, H.XRP(1)), a);
  assert.equal(r.engine_result, 'tesSUCCESS');
  assert.equal(r.engine_result_code, 0);
  assert.equal(r.engine_result_message, 'The transaction was applied. Only final in a validated ledger.');
  for (const f of ['accepted', 'applied', 'broadcast', 'kept']) assert.equal(r[f], true, f);
  assert.equal(r.queued, false);
  assert.equal(r.tx_blob, r.blob.toUpperCase());
  assert.equal(r.tx_json.hash, r.hash);
  assert.equal(r.tx_json.Account, a.address);
  assert.equal(r.open_ledger_cost, '10');
  assert.equal(typeof r.validated_ledger_index, 'number');
  assert.equal(r.account_sequence_next, r.tx.Sequence + 1);
  // Provisional: tx is found but not validated, no meta.
  let t = await c.call({ command: 'tx', transaction: r.hash, api_version: 2 });
  assert.equal(t.validated, false);
  assert.equal(t.meta, undefined);
  assert.equal(t.tx_json.Sequence, r.tx.Sequence);
  await L.accept();
  t = await c.call({ command: 'tx', transaction: r.hash, api_version: 2 });
  assert.equal(t.validated, true);
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  assert.equal(t.meta.delivered_amount, H.XRP(1));
  assert.equal(t.hash, r.hash);
  assert.equal(typeof t.ledger_index, 'number');
  assert.match(t.ledger_hash, /^[0-9A-F]{64}$/);
  assert.match(t.close_time_iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(t.tx_json.ledger_index, t.ledger_index);
  assert.equal(typeof t.tx_json.date, 'number');
  assert.match(t.ctid, /^C[0-9A-F]{15}$/);
  assert.equal(t.ctid.slice(-4), '0001', 'network id 1 in the CTID');
  // API v1 shape: fields at the top level.
  const t1 = await c.call({ command: 'tx', transaction: r.hash });
  assert.equal(t1.Account, a.address);
  assert.equal(t1.inLedger, t.ledger_index);
  assert.equal(t1.meta.TransactionResult, 'tesSUCCESS');
  assert.equal(t1.tx_json, undefined);
  // Lookup by CTID and binary form.
  const t2 = await c.call({ command: 'tx', ctid: t.ctid, api_version: 2 });
  assert.equal(t2.hash, r.hash);
  const tb = await c.call({ command: 'tx', transaction: r.hash, binary: true, api_version: 2 });
  assert.equal(tb.tx_blob, r.tx_blob);
  assert.match(tb.meta_blob, /^[0-9A-F]+$/);
});

test('tx not found, searched_all, bad ranges', async () => {
  const h = 'AB'.repeat(32);
  let r = await c.request({ command: 'tx', transaction: h });
  assert.equal(r.error, 'txnNotFound');
  assert.equal(r.error_code, 29);
  assert.equal(r.error_message, 'Transaction not found.');
  r = await c.request({ command: 'tx', transaction: h, min_ledger: 2, max_ledger: 3 });
  assert.equal(r.searched_all, true);
  r = await c.request({ command: 'tx', transaction: h, min_ledger: 2, max_ledger: 900 });
  assert.equal(r.searched_all, false);
  r = await c.request({ command: 'tx', transaction: h, min_ledger: 5, max_ledger: 3 });
  assert.equal(r.error, 'invalidLgrRange');
  r = await c.request({ command: 'tx', transaction: h, min_ledger: 1, max_ledger: 5000 });
  assert.equal(r.error, 'excessiveLgrRange');
});

test('tefPAST_SEQ and terPRE_SEQ; the held tx applies when the gap is filled', async () => {
  const a = await funded();
  const b = await funded();
  const seq = await L.seq(a.address);
  const later = await L.submit(pay(b.address, H.XRP(2), { Sequence: seq + 1 }), a);
  assert.equal(later.engine_result, 'terPRE_SEQ');
  assert.equal(later.applied, false);
  assert.equal(later.kept, true);
  assert.equal(later.accepted, true);
  const bBal = await L.balance(b.address);
  const first = await L.submit(pay(b.address, H.XRP(1), { Sequence: seq }), a);
  assert.equal(first.engine_result, 'tesSUCCESS');
  await L.accept();
  // Both are in the closed ledger now.
  const t = await c.call({ command: 'tx', transaction: later.hash, api_version: 2 });
  assert.equal(t.validated, true);
  assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  assert.equal(await L.balance(b.address), bBal + 3000000n);
  assert.equal(await L.seq(a.address), seq + 2);
  const past = await L.submit(pay(b.address, H.XRP(1), { Sequence: seq }), a);
  assert.equal(past.engine_result, 'tefPAST_SEQ');
  assert.equal(past.applied, false);
});

test('held tx is dropped once its LastLedgerSequence has passed', async () => {
  const a = await funded();
  const b = await funded();
  const seq = await L.seq(a.address);
  const cur = (await c.call({ command: 'ledger_current' })).ledger_current_index;
  const gap = await L.submit(pay(b.address, H.XRP(1), { Sequence: seq + 1, LastLedgerSequence: cur + 1 }), a);
  assert.equal(gap.engine_result, 'terPRE_SEQ');
  await L.accept();
  await L.accept();
  // Fill the gap after the held tx's last ledger: it must not apply.
  await L.apply(pay(b.address, H.XRP(1), { Sequence: seq }), a);
  await L.accept();
  const r = await c.request({ command: 'tx', transaction: gap.hash });
  assert.equal(r.error, 'txnNotFound');
  assert.equal(await L.seq(a.address), seq + 1);
});

test('LastLedgerSequence: tefMAX_LEDGER once the open ledger is past it', async () => {
  const a = await funded();
  const b = await funded();
  const cur = (await c.call({ command: 'ledger_current' })).ledger_current_index;
  const r = await L.submit(pay(b.address, H.XRP(1), { LastLedgerSequence: cur - 1 }), a);
  assert.equal(r.engine_result, 'tefMAX_LEDGER');
  const ok = await L.submit(pay(b.address, H.XRP(1), { LastLedgerSequence: cur }), a);
  assert.equal(ok.engine_result, 'tesSUCCESS', 'equal to the open ledger index is still fine');
});

test('fees: telINSUF_FEE_P below the base fee, terINSUF_FEE_B above the balance, larger fee burned', async () => {
  const a = await funded();
  const b = await funded();
  let r = await L.submit(pay(b.address, H.XRP(1), { Fee: '9' }), a);
  assert.equal(r.engine_result, 'telINSUF_FEE_P');
  assert.equal(r.applied, false);
  r = await L.submit(pay(b.address, H.XRP(1), { Fee: H.XRP(5000) }), a);
  assert.equal(r.engine_result, 'terINSUF_FEE_B');
  const before = await L.balance(a.address);
  const big = await L.apply(pay(b.address, '1', { Fee: '1000' }), a);
  assert.equal(big.result, 'tesSUCCESS');
  assert.equal(await L.balance(a.address), before - 1001n);
});

test('payment: reserve, account creation, redundant, XRP-only flags, dest tag, deposit auth', async () => {
  const a = await funded(10);
  const b = await funded();
  // Spending into the reserve: prior balance < amount + max(reserve, fee)
  // (the fee itself may eat into the reserve, as in rippled).
  let r = await L.apply(pay(b.address, '9000001'), a);
  assert.equal(r.result, 'tecUNFUNDED_PAYMENT');
  r = await L.apply(pay(b.address, '8999970'), a);
  assert.equal(r.result, 'tesSUCCESS');
  // Creating an account needs at least the base reserve.
  const fresh = H.newWallet();
  r = await L.apply(pay(fresh.address, '999999'), b);
  assert.equal(r.result, 'tecNO_DST_INSUF_XRP');
  r = await L.apply(pay(fresh.address, H.XRP(1)), b);
  assert.equal(r.result, 'tesSUCCESS');
  const created = await L.info(fresh.address, 'validated');
  assert.equal(created.Balance, H.XRP(1));
  assert.equal(created.Sequence, r.tx.ledger_index, 'new account starts at the creating ledger index');
  // Redundant / malformed XRP payments.
  assert.equal((await L.submit(pay(b.address, H.XRP(1)), b)).engine_result, 'temREDUNDANT');
  assert.equal((await L.submit(pay(fresh.address, H.XRP(1), { Flags: 0x00020000 }), b)).engine_result, 'temBAD_SEND_XRP_PARTIAL');
  assert.equal((await L.submit(pay(fresh.address, H.XRP(1), { Flags: 0x00040000 }), b)).engine_result, 'temBAD_SEND_XRP_LIMIT');
  assert.equal((await L.submit(pay(fresh.address, H.XRP(1), { SendMax: H.XRP(2) }), b)).engine_result, 'temBAD_SEND_XRP_MAX');
  assert.equal((await L.submit(pay(fresh.address, H.XRP(1), { Flags: 0x00000001 }), b)).engine_result, 'temINVALID_FLAG');
  assert.equal((await L.submit(pay(fresh.address, '0'), b)).engine_result, 'temBAD_AMOUNT');
  // Destination tag required.
  assert.equal((await L.apply({ TransactionType: 'AccountSet', SetFlag: 1 }, fresh)).result, 'tesSUCCESS');
  const flags = (await c.call({ command: 'account_info', account: fresh.address })).account_flags;
  assert.equal(flags.requireDestinationTag, true);
  assert.equal((await L.apply(pay(fresh.address, H.XRP(1)), b)).result, 'tecDST_TAG_NEEDED');
  assert.equal((await L.apply(pay(fresh.address, H.XRP(1), { DestinationTag: 5 }), b)).result, 'tesSUCCESS');
  assert.equal((await L.apply({ TransactionType: 'AccountSet', ClearFlag: 1 }, fresh)).result, 'tesSUCCESS');
  // DepositAuth: large payments need preauthorization.
  const d = await funded(100);
  assert.equal((await L.apply({ TransactionType: 'AccountSet', SetFlag: 9 }, d)).result, 'tesSUCCESS');
  assert.equal((await L.apply(pay(d.address, H.XRP(2)), b)).result, 'tecNO_PERMISSION');
  assert.equal((await L.apply({ TransactionType: 'DepositPreauth', Authorize: b.address }, d)).result, 'tesSUCCESS');
  assert.equal((await L.apply(pay(d.address, H.XRP(2)), b)).result, 'tesSUCCESS');
});

test('tec on a payment: fee charged, sequence consumed, tx in the ledger', async () => {
  const a = await funded(10);
  const b = await funded();
  const before = await L.info(a.address);
  const r = await L.apply(pay(b.address, H.XRP(100)), a);
  assert.equal(r.submit.engine_result, 'tecUNFUNDED_PAYMENT');
  assert.equal(r.submit.applied, true);
  assert.equal(r.result, 'tecUNFUNDED_PAYMENT');
  const after = await L.info(a.address);
  assert.equal(BigInt(after.Balance), BigInt(before.Balance) - 10n);
  assert.equal(after.Sequence, before.Sequence + 1);
  assert.equal(r.tx.meta.delivered_amount, undefined);
});

test('submit-time checks: bad hex, undecodable, bad signature, wrong key, cached bad', async () => {
  const a = await funded();
  const b = await funded();
  let r = await c.request({ command: 'submit', tx_blob: 'XYZ' });
  assert.equal(r.error, 'invalidParams');
  assert.equal(r.error_code, 31);
  r = await c.request({ command: 'submit' });
  assert.equal(r.error, 'invalidParams');
  r = await c.request({ command: 'submit', tx_blob: '1200' });
  assert.equal(r.error, 'invalidTransaction');
  assert.ok(r.error_exception);
  assert.equal(r.error_code, undefined);
  r = await c.request({ command: 'submit', tx_blob: 'ABCDEF' });
  assert.equal(r.error, 'invalidTransaction');
  r = await c.request({ command: 'submit', tx_blob: '12', fail_hard: 'yes' });
  assert.equal(r.error, 'invalidParams');
  assert.equal(r.error_message, "Invalid field 'fail_hard', not boolean.");
  // Missing a required field of the type.
  const seq = await L.seq(a.address);
  const noDelay = H.sign({ TransactionType: 'PaymentChannelCreate', Account: a.address, Destination: b.address,
    Amount: '1000', PublicKey: a.publicKey, Sequence: seq }, a);
  r = await c.request({ command: 'submit', tx_blob: noDelay.blob });
  assert.equal(r.error, 'invalidTransaction');
  assert.equal(r.error_exception, "Field 'SettleDelay' is required but missing.");
  // Tampered signature.
  const good = H.sign({ ...pay(b.address, H.XRP(1)), Account: a.address, Sequence: seq }, a);
  const t = codec.decode(good.blob);
  t.Amount = H.XRP(2);
  const tampered = codec.encode(t);
  r = await c.request({ command: 'submit', tx_blob: tampered });
  assert.equal(r.error, 'invalidTransaction');
  assert.equal(r.error_exception, 'fails local checks: Invalid signature.');
  assert.equal(r.request.tx_blob, tampered);
  r = await c.request({ command: 'submit', tx_blob: tampered });
  assert.equal(r.error_exception, 'fails local checks: Transaction has bad signature.');
  // Signed by another key for this account: valid signature, not authorized.
  const other = H.newWallet();
  const tx = { ...pay(b.address, H.XRP(1)), Account: a.address, Sequence: seq, Fee: '10', Flags: 0, SigningPubKey: other.publicKey };
  tx.TxnSignature = kp.sign(codec.encodeForSigning(tx), other.privateKey);
  r = await c.call({ command: 'submit', tx_blob: codec.encode(tx) });
  assert.equal(r.engine_result, 'tefBAD_AUTH');
  // A tem is cached: the same blob again gets temBAD_SIGNATURE with all flags false.
  const tem = await L.submit(pay(b.address, '0'), a);
  assert.equal(tem.engine_result, 'temBAD_AMOUNT');
  r = await c.call({ command: 'submit', tx_blob: tem.blob });
  assert.equal(r.engine_result, 'temBAD_SIGNATURE');
  for (const f of ['accepted', 'applied', 'broadcast', 'kept', 'queued']) assert.equal(r[f], false, f);
  // fail_hard with a failure: not kept.
  r = (await L.submit(pay(b.address, H.XRP(1), { Sequence: seq + 5 }), a, { fail_hard: true }));
  assert.equal(r.engine_result, 'terPRE_SEQ');
  assert.equal(r.kept, false);
});

test('AccountTxnID: tracked after asfAccountTxnID, mismatch is tefWRONG_PRIOR', async () => {
  const a = await funded();
  const b = await funded();
  const set = await L.apply({ TransactionType: 'AccountSet', SetFlag: 5 }, a);
  assert.equal(set.result, 'tesSUCCESS');
  assert.equal((await L.info(a.address)).AccountTxnID, set.submit.hash);
  let r = await L.submit(pay(b.address, H.XRP(1), { AccountTxnID: 'AB'.repeat(32) }), a);
  assert.equal(r.engine_result, 'tefWRONG_PRIOR');
  r = await L.submit(pay(b.address, H.XRP(1), { AccountTxnID: set.submit.hash }), a);
  assert.equal(r.engine_result, 'tesSUCCESS');
  assert.equal((await L.info(a.address)).AccountTxnID, r.hash);
  await L.accept();
  assert.equal((await L.apply({ TransactionType: 'AccountSet', ClearFlag: 5 }, a)).result, 'tesSUCCESS');
  assert.equal((await L.info(a.address)).AccountTxnID, undefined);
  // DisableMaster without another key.
  assert.equal((await L.apply({ TransactionType: 'AccountSet', SetFlag: 4 }, a)).result, 'tecNO_ALTERNATIVE_KEY');
});

test('unsupported features: tickets, NetworkID on a network id <= 1024, non-modelled types', async () => {
  const a = await funded();
  const b = await funded();
  let r = await L.submit(pay(b.address, H.XRP(1), { NetworkID: 1 }), a);
  assert.equal(r.engine_result, 'telNETWORK_ID_MAKES_TX_NON_CANONICAL');
  r = await L.submit({ TransactionType: 'SetRegularKey', RegularKey: b.address }, a);
  assert.equal(r.engine_result, 'temDISABLED');
  r = await L.submit(pay(b.address, H.XRP(1), { Sequence: 0, TicketSequence: 5 }), a);
  assert.equal(r.engine_result, 'temDISABLED');
});

test('close rebuilds the ledger in canonical order with retry passes', async () => {
  // A chain inside one ledger: funding a new account, which then opens a channel.
  const x = H.newWallet();
  const bob = await funded();
  const f = await L.submit(pay(x.address, H.XRP(100)), H.GENESIS);
  const cr = await L.submit({ TransactionType: 'PaymentChannelCreate', Destination: bob.address, Amount: H.XRP(10),
    SettleDelay: 100, PublicKey: x.publicKey }, x);
  assert.equal(cr.engine_result, 'tesSUCCESS', 'provisionally applied on the open ledger');
  await L.accept();
  for (const h of [f.hash, cr.hash]) {
    const t = await c.call({ command: 'tx', transaction: h, api_version: 2 });
    assert.equal(t.meta.TransactionResult, 'tesSUCCESS');
  }
  // A conflict: the owner funds while the destination closes, in one ledger.
  // Both are tesSUCCESS provisionally; the final results follow the ledger order.
  const alice = await funded();
  const seq = await L.seq(alice.address);
  await L.apply({ TransactionType: 'PaymentChannelCreate', Destination: bob.address, Amount: H.XRP(10),
    SettleDelay: 100, PublicKey: alice.publicKey, Sequence: seq }, alice);
  const id = H.channelId(alice.address, bob.address, seq);
  const fu = await L.submit({ TransactionType: 'PaymentChannelFund', Channel: id, Amount: H.XRP(1) }, alice);
  const cl = await L.submit({ TransactionType: 'PaymentChannelClaim', Channel: id, Flags: 0x00020000 }, bob);
  assert.equal(fu.engine_result, 'tesSUCCESS');
  assert.equal(cl.engine_result, 'tesSUCCESS');
  await L.accept();
  const tf = await c.call({ command: 'tx', transaction: fu.hash, api_version: 2 });
  const tc = await c.call({ command: 'tx', transaction: cl.hash, api_version: 2 });
  assert.equal(tc.meta.TransactionResult, 'tesSUCCESS');
  assert.equal(tf.meta.TransactionResult, tf.meta.TransactionIndex < tc.meta.TransactionIndex ? 'tesSUCCESS' : 'tecNO_ENTRY');
  assert.equal(await L.entry(id), null);
});

test('--close-order submit keeps submission order and provisional results', async () => {
  const s = await H.startServer(['--close-order', 'submit']);
  const c2 = await H.connect(s.url);
  try {
    const L2 = new H.Ledger(c2);
    const ws = [H.newWallet(), H.newWallet(), H.newWallet(), H.newWallet()];
    const hashes = [];
    for (const w of ws) hashes.push((await L2.submit(pay(w.address, H.XRP(10)), H.GENESIS)).hash);
    await L2.accept();
    for (let i = 0; i < hashes.length; i++) {
      const t = await c2.call({ command: 'tx', transaction: hashes[i], api_version: 2 });
      assert.equal(t.meta.TransactionIndex, i);
    }
  } finally {
    c2.close();
    await s.stop();
  }
});

test('network id above 1024 requires a matching NetworkID', async () => {
  const s = await H.startServer(['--network-id', '21337']);
  const c2 = await H.connect(s.url);
  try {
    const L2 = new H.Ledger(c2);
    const info = await c2.call({ command: 'server_info' });
    assert.equal(info.info.network_id, 21337);
    const w = H.newWallet();
    let r = await L2.submit(pay(w.address, H.XRP(5)), H.GENESIS);
    assert.equal(r.engine_result, 'telREQUIRES_NETWORK_ID');
    r = await L2.submit(pay(w.address, H.XRP(5), { NetworkID: 5 }), H.GENESIS);
    assert.equal(r.engine_result, 'telWRONG_NETWORK');
    r = await L2.submit(pay(w.address, H.XRP(5), { NetworkID: 21337 }), H.GENESIS);
    assert.equal(r.engine_result, 'tesSUCCESS');
    // Faucet adds the NetworkID itself.
    const f = await fetch(s.faucetUrl + '/accounts', { method: 'POST' });
    assert.equal(f.status, 200);
  } finally {
    c2.close();
    await s.stop();
  }
});
