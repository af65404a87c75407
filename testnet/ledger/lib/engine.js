'use strict';
// The transaction engine and ledger chain of the rippled stand-in.
//
// Holds the open ledger and the closed (validated) ledgers in memory; each
// closed ledger keeps an immutable snapshot of its state map. submit()
// decodes a blob with ripple-binary-codec, verifies its signature with
// ripple-keypairs, and applies the rippled pipeline (preflight, preclaim,
// doApply, tec reset, hold/retry of ter/tel/tef) plus the Payment (XRP),
// AccountSet, DepositPreauth and PaymentChannelCreate/Fund/Claim transactors
// (README.md lists what is covered and the gaps). close() closes the open
// ledger and emits a 'close' event with the ledger and its transaction
// records.

const EventEmitter = require('events');
const codec = require('ripple-binary-codec');
const kp = require('ripple-keypairs');
const U = require('./util');
const { View } = require('./view');

const GENESIS_SEED = 'snoPBrXtMeMyMHUVTgbuqAfg1SUTb';
const GENESIS_ACCOUNT = 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh';
const GENESIS_DROPS = '100000000000000000';
const ZERO_HASH = '0'.repeat(64);

const TF_UNIVERSAL = 0x80000000 | 0x40000000;
const TF_RENEW = 0x00010000;
const TF_CLOSE = 0x00020000;
const TF_NO_RIPPLE_DIRECT = 0x00010000;
const TF_PARTIAL = 0x00020000;
const TF_LIMIT_QUALITY = 0x00040000;

const REQUIRED = {
  Payment: ['Amount', 'Destination'],
  AccountSet: [],
  DepositPreauth: [],
  PaymentChannelCreate: ['Amount', 'Destination', 'SettleDelay', 'PublicKey'],
  PaymentChannelFund: ['Channel', 'Amount'],
  PaymentChannelClaim: ['Channel'],
};
const COMMON_REQUIRED = ['TransactionType', 'Account', 'Fee', 'Sequence', 'SigningPubKey'];

const isXrp = (a) => typeof a === 'string';
// parentCloseTime + SettleDelay as rippled computes it: both are
// std::uint32_t (NetClock::rep, STUInt32), so the sum wraps modulo 2^32
// (PayChanFund's minimum Expiration, PayChanClaim's owner tfClose).  A
// SettleDelay near 2^32 gives an Expiration in the past.
const settleExpiration = (parentCloseTime, settleDelay) => (parentCloseTime + settleDelay) >>> 0;
const drops = (s) => BigInt(s);

function validPubKey(hex) {
  if (typeof hex !== 'string' || !/^[0-9A-Fa-f]{66}$/.test(hex)) return false;
  const p = hex.slice(0, 2).toUpperCase();
  return p === '02' || p === '03' || p === 'ED';
}

class Engine extends EventEmitter {
  // opts: networkId (number|undefined), baseFee, reserveBase, reserveInc
  // (drops), closeResolution (s), fixPayChanCancelAfter (bool), now()
  // (Unix ms, for tests), maxHistory (closed ledgers kept), closeOrder
  // ('canonical' = rebuild at close like rippled, 'submit' = keep the
  // provisional results in submission order), txqTarget (transactions
  // per open ledger before its fee escalates; 0 = never, as a stand-alone
  // rippled's 1000 nearly is), txqMax (queue size), txqPerAccount.
  constructor(opts = {}) {
    super();
    this.networkId = opts.networkId;
    this.baseFee = BigInt(opts.baseFee ?? 10);
    this.reserveBase = BigInt(opts.reserveBase ?? 1000000);
    this.reserveInc = BigInt(opts.reserveInc ?? 200000);
    this.closeResolution = opts.closeResolution ?? 10;
    this.fixPayChanCancelAfter = opts.fixPayChanCancelAfter ?? true;
    this.maxHistory = Math.max(2, opts.maxHistory ?? 1000);
    this.closeOrder = opts.closeOrder ?? 'canonical'; // or 'submit'
    this.loadFactor = 1; // open-ledger fee multiplier (test control)
    this.txqTarget = opts.txqTarget ?? 0;
    // Closed ledgers not yet validated: the validated ledger is this many
    // behind the last closed one (a network's validations arrive after the
    // close; 0 = every closed ledger counts as validated, stand-alone).
    this.validationLag = opts.validationLag ?? 0;
    this.txqMax = opts.txqMax ?? 2000;
    this.txqPerAccount = opts.txqPerAccount ?? 10;
    this.txq = []; // {tx, blob, hash, heldSince, level}: the fee queue
    this.txqStats = { queued: 0, refused: 0, accepted: 0, expired: 0 };
    this.forced = { result: null, count: 0 }; // forced submit results (test control)
    this.gap = null; // {min, max}: closed ledgers the server lacks (test control)
    this.wallNow = opts.now || (() => Date.now());
    this.timeOffset = 0; // seconds added by the test control
    this.ledgers = new Map(); // seq -> closed ledger
    this.txs = new Map(); // hash -> record of a tx in a closed ledger
    this.held = []; // {tx, blob, hash, heldSince}
    this.badCache = new Set(); // hashes that got a tem*
    this.genesisKeys = kp.deriveKeypair(GENESIS_SEED);

    const state = new Map();
    const gk = U.keylet.account(GENESIS_ACCOUNT);
    state.set(gk, {
      Account: GENESIS_ACCOUNT, Balance: GENESIS_DROPS, Flags: 0, LedgerEntryType: 'AccountRoot',
      OwnerCount: 0, PreviousTxnID: ZERO_HASH, PreviousTxnLgrSeq: 0, Sequence: 1, index: gk,
    });
    // Like a fresh stand-alone start: ledger 2 closed and validated, 3 open.
    const t = this.now();
    const closeTime = t - (t % this.closeResolution);
    const l2 = { seq: 2, closeTime, parentHash: U.sha512Half('00000001'), txs: [], state };
    l2.hash = this.ledgerHash(l2);
    this.ledgers.set(2, l2);
    this.closed = l2;
    this.validated = l2;
    this.open = { seq: 3, state: new Map(state), txs: [], hashes: new Set() };
  }

  // Current time in Ripple-epoch seconds (wall clock + test offset).
  now() {
    return Math.floor(this.wallNow() / 1000) - U.RIPPLE_EPOCH + this.timeOffset;
  }

  advanceTime(seconds) {
    this.timeOffset += seconds;
    return this.now();
  }

  // Fee (drops) a tx needs to get into the open ledger: base fee x load,
  // escalated once the open ledger holds more than txqTarget transactions
  // (rippled's TxQ: level = base level x count^2 / target^2, rounded up).
  openLedgerFee(count = this.open.txs.length) {
    const base = this.minimumFee();
    const t = BigInt(this.txqTarget);
    const n = BigInt(count);
    if (t === 0n || n <= t) return base;
    return (base * n * n + t * t - 1n) / (t * t);
  }

  // The least fee a tx may pay to be applied or queued: base fee x load.
  minimumFee() {
    return this.baseFee * BigInt(this.loadFactor);
  }

  // Fee level of a tx (256 = the base fee).
  feeLevel(tx) {
    return (drops(tx.Fee) * 256n) / this.baseFee;
  }

  reserve(ownerCount) {
    return this.reserveBase + BigInt(ownerCount) * this.reserveInc;
  }

  // Synthetic ledger hash: SHA-512Half over index, parent, close time, txs.
  ledgerHash(l) {
    const hex8 = (n) => n.toString(16).padStart(8, '0');
    return U.sha512Half('4C575200' + hex8(l.seq) + l.parentHash + hex8(l.closeTime) + l.txs.map((r) => r.hash).join(''));
  }

  // Oldest closed ledger kept (the map is in insertion = index order).
  minLedger() {
    return this.ledgers.keys().next().value;
  }

  // True when the server has closed ledger seq: kept, and not in the
  // history gap set by testnet_history_gap.
  hasLedger(seq) {
    if (this.gap && seq >= this.gap.min && seq <= this.gap.max) return false;
    return this.ledgers.has(seq);
  }

  // The closed ledger seq, or undefined when the server lacks it.
  ledgerAt(seq) {
    return this.hasLedger(seq) ? this.ledgers.get(seq) : undefined;
  }

  // "2-40", or with a history gap "2-9,16-40".
  completeLedgers() {
    const lo = this.minLedger();
    const hi = this.validated.seq;
    const g = this.gap;
    const text = (a, b) => `${a}-${b}`;
    if (!g || g.max < lo || g.min > hi) return text(lo, hi);
    const parts = [];
    if (g.min > lo) parts.push(text(lo, g.min - 1));
    if (g.max < hi) parts.push(text(g.max + 1, hi));
    return parts.length ? parts.join(',') : 'empty';
  }

  readAccount(state, account) {
    return state.get(U.keylet.account(account));
  }

  // ---------------------------------------------------------------------
  // Submission.

  // Checks a blob as rippled's submit handler does before the engine runs.
  // Returns {tx, hash, blob} or {rpcError: {...}} (flattened error fields).
  decodeBlob(blobHex) {
    if (typeof blobHex !== 'string' || blobHex.length === 0 || blobHex.length % 2 || !/^[0-9A-Fa-f]+$/.test(blobHex)) {
      return { rpcError: { error: 'invalidParams', error_code: 31, error_message: 'Invalid parameters.' } };
    }
    const blob = blobHex.toUpperCase();
    let tx;
    try {
      tx = codec.decode(blob);
      if (codec.encode(tx).toUpperCase() !== blob) throw new Error('Transaction is not canonically serialized.');
    } catch (e) {
      return { rpcError: { error: 'invalidTransaction', error_exception: String(e.message || e) } };
    }
    // Types known to the codec but not modelled reach the engine (temDISABLED).
    if (!REQUIRED[tx.TransactionType] && !codec.TRANSACTION_TYPES.includes(tx.TransactionType)) {
      return { rpcError: { error: 'invalidTransaction', error_exception: 'Unknown transaction type.' } };
    }
    for (const f of COMMON_REQUIRED.concat(REQUIRED[tx.TransactionType] || [])) {
      if (tx[f] === undefined) {
        return { rpcError: { error: 'invalidTransaction', error_exception: `Field '${f}' is required but missing.` } };
      }
    }
    const hash = U.txHash(blob);
    return { tx, hash, blob };
  }

  // Verifies the single signature (returns true/false).
  checkSignature(tx) {
    if (!tx.SigningPubKey || !tx.TxnSignature) return false;
    if (!validPubKey(tx.SigningPubKey)) return false;
    try {
      return kp.verify(codec.encodeForSigning(tx), tx.TxnSignature, tx.SigningPubKey);
    } catch (e) {
      return false;
    }
  }

  // Applies a decoded, signature-checked tx to the open ledger. With
  // opts.dryRun the open ledger is left untouched (used to "drop" a tx).
  // Returns {result, applied}.
  applyToOpen(rec, opts = {}) {
    const state = opts.dryRun ? new Map(this.open.state) : this.open.state;
    if (!opts.dryRun && this.open.hashes.has(rec.hash)) return { result: 'tefALREADY', applied: false };
    const txIndex = this.open.txs.length;
    const out = this.applyTx(state, rec.tx, rec.hash, this.open.seq, txIndex, this.closed.closeTime,
      { minFee: opts.minFee });
    if (out.applied && !opts.dryRun) {
      this.open.txs.push({ hash: rec.hash, tx: rec.tx, blob: rec.blob, meta: out.meta, result: out.result });
      this.open.hashes.add(rec.hash);
    }
    return out;
  }

  // Full submit path after decode + signature: cached-bad check, apply,
  // hold. Returns the fields of rippled's submit result that depend on the
  // engine.
  submitDecoded(rec, opts = {}) {
    if (this.badCache.has(rec.hash)) {
      return { result: 'temBAD_SIGNATURE', applied: false, broadcast: false, kept: false, queued: false };
    }
    if (this.forced.count > 0 && !opts.noForce) return this.submitForced(rec, opts);
    if (!opts.drop && this.wantsQueue(rec)) {
      const q = this.tryQueue(rec);
      if (q) this.emit('txq', q, rec.hash, String(rec.tx.Fee), String(this.openLedgerFee()));
      if (q === 'terQUEUED') this.txqStats.queued++;
      else if (q) this.txqStats.refused++;
      if (q) return q === 'terQUEUED' ?
        { result: q, applied: false, broadcast: true, kept: true, queued: true } :
        { result: q, applied: false, broadcast: false, kept: !opts.failHard, queued: false };
    }
    const out = this.applyToOpen(rec, { dryRun: !!opts.drop });
    const r = out.result;
    const kept = !(opts.failHard && !U.isTes(r));
    if (U.isTem(r)) this.badCache.add(rec.hash);
    const final = r === 'tefPAST_SEQ' || r === 'tefALREADY' || r === 'tefMAX_LEDGER';
    const holdable = r.startsWith('ter') || r.startsWith('tel') || (r.startsWith('tef') && !final);
    if (!out.applied && !opts.drop && holdable) {
      if (!opts.failHard && !this.held.some((h) => h.hash === rec.hash)) this.held.push({ ...rec, heldSince: this.open.seq });
    }
    if (out.applied && !opts.drop) this.retryHeld(rec.tx.Account);
    return { result: r, applied: out.applied, broadcast: out.applied, kept, queued: false };
  }

  // Answers a submit with the result forced by testnet_force_result, without
  // applying it. terQUEUED, ter, tel and non-final tef results leave the tx
  // held (applied at a later close, as from rippled's queue or local retry
  // list); tem results mark it bad.
  submitForced(rec, opts) {
    this.forced.count -= 1;
    const r = this.forced.result;
    const queued = r === 'terQUEUED';
    const final = r === 'tefPAST_SEQ' || r === 'tefALREADY' || r === 'tefMAX_LEDGER';
    if (U.isTem(r)) this.badCache.add(rec.hash);
    else if (!final && !opts.failHard && !this.held.some((h) => h.hash === rec.hash)) {
      this.held.push({ ...rec, heldSince: this.open.seq });
    }
    return { result: r, applied: false, broadcast: queued, kept: !opts.failHard || U.isTes(r), queued };
  }

  // Whether rec goes to the fee queue rather than the open ledger: it pays
  // at least the minimum fee but less than the escalated open-ledger fee,
  // or its account already has queued transactions (they go first).
  wantsQueue(rec) {
    if (this.txqTarget === 0 || !/^[0-9]+$/.test(String(rec.tx.Fee ?? ''))) return false;
    const fee = drops(rec.tx.Fee);
    if (fee < this.minimumFee()) return false; // telINSUF_FEE_P
    return fee < this.openLedgerFee() || this.txq.some((q) => q.tx.Account === rec.tx.Account);
  }

  // rippled's TxQ::apply, simplified: returns terQUEUED (queued), a tel
  // code (refused), or null (not for the queue: apply it as usual).
  tryQueue(rec) {
    const tx = rec.tx;
    const acct = this.readAccount(this.open.state, tx.Account);
    if (!acct || typeof tx.Sequence !== 'number' || tx.Sequence < acct.Sequence) return null;
    const mine = this.txq.filter((q) => q.tx.Account === tx.Account);
    const level = this.feeLevel(tx);
    const same = mine.find((q) => q.tx.Sequence === tx.Sequence);
    if (same) {
      // A replacement must pay 25 % more (the same blob again too).
      if (level * 4n < same.level * 5n) return 'telCAN_NOT_QUEUE_FEE';
      this.txq.splice(this.txq.indexOf(same), 1);
      this.txq.push({ ...rec, heldSince: this.open.seq, level });
      return 'terQUEUED';
    }
    if (tx.Sequence > acct.Sequence + mine.length) return null; // terPRE_SEQ: held
    // A LastLedgerSequence that leaves no later ledger to apply it in.
    if (tx.LastLedgerSequence !== undefined && tx.LastLedgerSequence < this.open.seq + 1) return 'telCAN_NOT_QUEUE';
    if (mine.length >= this.txqPerAccount) return 'telCAN_NOT_QUEUE_FULL';
    if (tx.Sequence === acct.Sequence) {
      // Must be valid now, but for the fee.
      const out = this.applyTx(new Map(this.open.state), tx, rec.hash, this.open.seq, 0,
        this.closed.closeTime, { minFee: this.minimumFee() });
      if (!out.applied) return out.result === 'terPRE_SEQ' ? null : out.result;
    }
    if (this.txq.length >= this.txqMax) {
      // Full: only a higher fee level than the cheapest other account's
      // last entry gets in, evicting it.
      let low = null;
      for (const q of this.txq) {
        if (q.tx.Account === tx.Account) continue;
        const last = !this.txq.some((o) => o.tx.Account === q.tx.Account && o.tx.Sequence > q.tx.Sequence);
        if (last && (!low || q.level < low.level)) low = q;
      }
      if (!low || low.level >= level) return 'telCAN_NOT_QUEUE_FULL';
      this.txq.splice(this.txq.indexOf(low), 1);
    }
    this.txq.push({ ...rec, heldSince: this.open.seq, level });
    return 'terQUEUED';
  }

  // At a close: queued transactions go into the new open ledger, highest
  // fee level first (each account in Sequence order), while each pays the
  // open-ledger fee the ledger has grown to; expired ones are dropped.
  acceptQueue() {
    const live = this.txq.filter((q) => q.tx.LastLedgerSequence === undefined ||
      q.tx.LastLedgerSequence >= this.open.seq);
    this.txqStats.expired += this.txq.length - live.length;
    this.txq = live;
    for (;;) {
      const heads = this.txq.filter((q) => !this.txq.some((o) =>
        o.tx.Account === q.tx.Account && o.tx.Sequence < q.tx.Sequence));
      if (!heads.length) return;
      heads.sort((a, b) => (a.level === b.level ? 0 : a.level > b.level ? -1 : 1));
      const q = heads[0];
      if (drops(q.tx.Fee) < this.openLedgerFee()) return;
      this.txq.splice(this.txq.indexOf(q), 1);
      const out = this.applyToOpen(q, { minFee: this.minimumFee() });
      if (out.applied) this.txqStats.accepted++;
      if (!out.applied && (out.result.startsWith('ter') || out.result.startsWith('tel')) &&
          !this.held.some((h) => h.hash === q.hash))
        this.held.push({ ...q, heldSince: this.open.seq });
    }
  }

  // Re-applies held transactions (all, or those of one account) to the open
  // ledger until nothing more applies.
  retryHeld(account) {
    let progress = true;
    while (progress) {
      progress = false;
      for (const h of [...this.held]) {
        if (account && h.tx.Account !== account) continue;
        const lls = h.tx.LastLedgerSequence;
        const expired = lls !== undefined ? lls < this.open.seq : this.open.seq - h.heldSince > 5;
        if (expired) {
          this.held.splice(this.held.indexOf(h), 1);
          continue;
        }
        const out = this.applyToOpen(h);
        const r = out.result;
        if (out.applied || U.isTem(r) || r === 'tefPAST_SEQ' || r === 'tefALREADY' || r === 'tefMAX_LEDGER') {
          this.held.splice(this.held.indexOf(h), 1);
          if (out.applied) progress = true;
        }
      }
    }
  }

  // Closes the open ledger. Returns the closed ledger record.
  close() {
    const parent = this.closed;
    const t = this.now();
    const res = this.closeResolution;
    const rounded = Math.floor((t + Math.floor(res / 2)) / res) * res;
    const closeTime = Math.max(rounded, parent.closeTime + 1);
    const seq = this.open.seq;
    let state = this.open.state;
    let recs = this.open.txs;
    let leftovers = [];
    if (this.closeOrder === 'canonical' && recs.length > 1) {
      ({ state, recs, leftovers } = this.buildCanonical(parent, recs, seq));
    } else if (recs.length === 0) {
      state = parent.state; // unchanged: share the parent's snapshot
    }
    const l = { seq, closeTime, parentHash: parent.hash, state, txs: [] };
    l.txs = recs.map((r, i) => ({
      hash: r.hash, tx: r.tx, blob: r.blob, meta: r.meta, result: r.result, txIndex: i,
    }));
    l.hash = this.ledgerHash(l);
    for (const r of l.txs) {
      r.ledgerIndex = l.seq;
      r.ledgerHash = l.hash;
      r.date = closeTime;
      this.txs.set(r.hash, r);
    }
    this.ledgers.set(l.seq, l);
    while (this.ledgers.size > this.maxHistory) {
      const old = this.ledgers.get(this.minLedger());
      for (const r of old.txs) this.txs.delete(r.hash);
      this.ledgers.delete(old.seq);
    }
    this.closed = l;
    this.open = { seq: l.seq + 1, state: new Map(l.state), txs: [], hashes: new Set() };
    for (const r of leftovers) if (!this.held.some((h) => h.hash === r.hash)) this.held.push({ ...r, heldSince: seq });
    this.acceptQueue();
    this.retryHeld();
    const v = this.ledgers.get(l.seq - this.validationLag);
    if (v && v.seq > this.validated.seq) {
      this.validated = v;
      this.emit('validated', v);
    }
    this.emit('close', l);
    return l;
  }

  // Rebuilds the ledger from its parent the way rippled does at close:
  // transactions in canonical order (account XOR a salt derived from the
  // transaction set, then Sequence, then hash), three passes where ter and tec
  // results are retried, tec applied only in the final pass. Results and
  // metadata can therefore differ from the provisional ones. Returns
  // {state, recs (applied, in ledger order, with final meta), leftovers (ter)}.
  buildCanonical(parent, recs, seq) {
    const salt = Buffer.from(U.sha512Half(recs.map((r) => r.hash).sort().join('')), 'hex').subarray(0, 20);
    const keyOf = (r) => {
      const id = Buffer.from(U.accountIdHex(r.tx.Account), 'hex');
      for (let i = 0; i < 20; i++) id[i] ^= salt[i];
      return id.toString('hex');
    };
    const keyed = recs.map((r) => ({ r, k: keyOf(r) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) || a.r.tx.Sequence - b.r.tx.Sequence
      || (a.r.hash < b.r.hash ? -1 : a.r.hash > b.r.hash ? 1 : 0));
    const state = new Map(parent.state);
    const out = [];
    let pending = keyed.map((x) => x.r);
    const PASSES = 3;
    for (let pass = 0; pass < PASSES && pending.length; pass++) {
      const retry = pass < PASSES - 1;
      const next = [];
      for (const r of pending) {
        const o = this.applyTx(state, r.tx, r.hash, seq, out.length, parent.closeTime,
          { retry, preflight: 'tesSUCCESS', closed: true });
        if (o.applied) out.push({ ...r, meta: o.meta, result: o.result });
        else if (o.retry || o.result.startsWith('ter')) next.push(r);
        // tef/tem/tel: not in this ledger.
      }
      pending = next;
    }
    return { state, recs: out, leftovers: pending.filter((r) => !this.txs.has(r.hash)) };
  }

  // Finds a tx: {closed: record} or {open: record} or null. A tx in a
  // ledger the server lacks (history gap) is not found.
  findTx(hash) {
    const h = String(hash).toUpperCase();
    const c = this.txs.get(h);
    if (c) return this.hasLedger(c.ledgerIndex) ? { closed: c } : null;
    if (this.open.hashes.has(h)) return { open: this.open.txs.find((r) => r.hash === h) };
    const held = this.held.find((r) => r.hash === h) || this.txq.find((r) => r.hash === h);
    if (held) return { open: held };
    return null;
  }

  // ---------------------------------------------------------------------
  // The transaction pipeline. Applies tx to
  // state (a Map, mutated only if the tx is applied).
  // With opts.retry (a non-final pass of a ledger build) a tec result is not
  // applied but reported as {retry: true}.
  // opts.preflight: a preflight result computed earlier for this tx (it is
  // ledger-independent, so a ledger rebuild reuses it instead of verifying
  // claim signatures again).
  applyTx(state, tx, hash, ledgerSeq, txIndex, parentCloseTime, opts = {}) {
    const r = opts.preflight ?? this.preflight(tx);
    if (r !== 'tesSUCCESS') return { result: r, applied: false };
    const view = new View(state);
    const ctx = { view, tx, hash, engine: this, parentCloseTime, ledgerSeq, closed: !!opts.closed, minFee: opts.minFee };
    const pc = this.preclaim(ctx);
    if (pc !== 'tesSUCCESS' && !U.isTec(pc)) return { result: pc, applied: false };

    let result = pc;
    if (pc === 'tesSUCCESS') {
      // Consume sequence, charge fee, run the transactor.
      const acct = view.read(U.keylet.account(tx.Account));
      ctx.priorBalance = drops(acct.Balance);
      acct.Sequence += 1;
      acct.Balance = (drops(acct.Balance) - drops(tx.Fee)).toString();
      if (acct.AccountTxnID !== undefined) acct.AccountTxnID = hash;
      view.put(acct.index, acct);
      result = this.doApply(ctx);
      if (U.isTem(result)) return { result, applied: false };
    }
    if (U.isTec(result) && opts.retry) return { result, applied: false, retry: true };
    if (U.isTec(result)) {
      // tec: discard everything, then only charge the fee and consume the sequence.
      view.changes.clear();
      const acct = view.read(U.keylet.account(tx.Account));
      acct.Sequence += 1;
      acct.Balance = (drops(acct.Balance) - drops(tx.Fee)).toString();
      if (acct.AccountTxnID !== undefined) acct.AccountTxnID = hash;
      view.put(acct.index, acct);
    }
    const meta = view.buildMeta(hash, ledgerSeq, txIndex, result);
    if (tx.TransactionType === 'Payment' && result === 'tesSUCCESS') meta.delivered_amount = tx.Amount;
    view.commit();
    return { result, applied: true, meta };
  }

  preflight(tx) {
    const type = tx.TransactionType;
    // NetworkID rule.
    const nid = this.networkId;
    if (nid !== undefined && nid > 1024) {
      if (tx.NetworkID === undefined) return 'telREQUIRES_NETWORK_ID';
      if (tx.NetworkID !== nid) return 'telWRONG_NETWORK';
    } else if (tx.NetworkID !== undefined) {
      return 'telNETWORK_ID_MAKES_TX_NON_CANONICAL';
    }
    if (!REQUIRED[type]) return 'temDISABLED';
    if (tx.TicketSequence !== undefined) return 'temDISABLED';
    const flags = tx.Flags >>> 0 || 0;
    let allowed = TF_UNIVERSAL;
    if (type === 'PaymentChannelClaim') allowed |= TF_RENEW | TF_CLOSE;
    if (type === 'Payment') allowed |= TF_NO_RIPPLE_DIRECT | TF_PARTIAL | TF_LIMIT_QUALITY;
    if (type === 'AccountSet') allowed |= 0x00010000 | 0x00020000 | 0x00040000 | 0x00080000 | 0x00100000 | 0x00200000;
    if ((flags & ~allowed) >>> 0) return 'temINVALID_FLAG';
    if (!isXrp(tx.Fee) || drops(tx.Fee) < 0n) return 'temBAD_FEE';
    if (tx.SigningPubKey && !validPubKey(tx.SigningPubKey)) return 'temBAD_SIGNATURE';
    switch (type) {
      case 'Payment': return this.preflightPayment(tx, flags);
      case 'AccountSet': return this.preflightAccountSet(tx, flags);
      case 'DepositPreauth': return this.preflightDepositPreauth(tx);
      case 'PaymentChannelCreate':
        if (!isXrp(tx.Amount) || drops(tx.Amount) <= 0n) return 'temBAD_AMOUNT';
        if (tx.Account === tx.Destination) return 'temDST_IS_SRC';
        if (!validPubKey(tx.PublicKey)) return 'temMALFORMED';
        return 'tesSUCCESS';
      case 'PaymentChannelFund':
        if (!isXrp(tx.Amount) || drops(tx.Amount) <= 0n) return 'temBAD_AMOUNT';
        return 'tesSUCCESS';
      case 'PaymentChannelClaim': return this.preflightClaim(tx, flags);
      default: return 'temDISABLED';
    }
  }

  preclaim(ctx) {
    const { tx, view } = ctx;
    const acct = view.read(U.keylet.account(tx.Account));
    if (!acct) return 'terNO_ACCOUNT';
    if (tx.Sequence < acct.Sequence) return 'tefPAST_SEQ';
    if (tx.Sequence > acct.Sequence) return 'terPRE_SEQ';
    if (tx.AccountTxnID !== undefined && acct.AccountTxnID !== String(tx.AccountTxnID).toUpperCase()) return 'tefWRONG_PRIOR';
    if (tx.LastLedgerSequence !== undefined && tx.LastLedgerSequence < ctx.ledgerSeq) return 'tefMAX_LEDGER';
    // checkSign: only the master key (no RegularKey / multisign modelled).
    if (!tx.SigningPubKey) return tx.Signers ? 'tefNOT_MULTI_SIGNING' : 'tefBAD_AUTH';
    if (kp.deriveAddress(tx.SigningPubKey) !== tx.Account) return 'tefBAD_AUTH';
    if (acct.Flags & U.LSF.disableMasterKey) return 'tefMASTER_DISABLED';
    // checkFee: the open ledger scales the base fee by the load factor; a
    // ledger being built at close only needs the base fee.
    const need = ctx.closed ? this.baseFee : (ctx.minFee ?? this.openLedgerFee());
    if (drops(tx.Fee) < need) return 'telINSUF_FEE_P';
    if (drops(acct.Balance) < drops(tx.Fee)) return 'terINSUF_FEE_B';
    switch (tx.TransactionType) {
      case 'Payment': return this.preclaimPayment(ctx);
      case 'DepositPreauth': return this.preclaimDepositPreauth(ctx);
      case 'PaymentChannelCreate': return this.preclaimCreate(ctx, acct);
      default: return 'tesSUCCESS';
    }
  }

  doApply(ctx) {
    switch (ctx.tx.TransactionType) {
      case 'Payment': return this.applyPayment(ctx);
      case 'AccountSet': return this.applyAccountSet(ctx);
      case 'DepositPreauth': return this.applyDepositPreauth(ctx);
      case 'PaymentChannelCreate': return this.applyCreate(ctx);
      case 'PaymentChannelFund': return this.applyFund(ctx);
      case 'PaymentChannelClaim': return this.applyClaim(ctx);
      default: return 'temDISABLED';
    }
  }

  // ---------------------------------------------------------------------
  // Owner directories (one root page per account; entries kept sorted).

  dirInsert(view, owner, key) {
    const dk = U.keylet.ownerDir(owner);
    const dir = view.read(dk) || { Flags: 0, Indexes: [], LedgerEntryType: 'DirectoryNode', Owner: owner, RootIndex: dk };
    if (!dir.Indexes.includes(key)) dir.Indexes.push(key);
    dir.Indexes.sort();
    view.put(dk, dir);
    return '0';
  }

  dirRemove(view, owner, key) {
    const dk = U.keylet.ownerDir(owner);
    const dir = view.read(dk);
    if (!dir || !dir.Indexes.includes(key)) return false;
    dir.Indexes = dir.Indexes.filter((k) => k !== key);
    view.put(dk, dir); // the root page is kept even when empty (keepRoot)
    return true;
  }

  // Returns the keys in an account's owner directory (sorted).
  ownerEntries(state, owner) {
    const dir = state.get(U.keylet.ownerDir(owner));
    return dir ? dir.Indexes.slice() : [];
  }

  // ---------------------------------------------------------------------
  // Payment (XRP only).

  preflightPayment(tx, flags) {
    if (!isXrp(tx.Amount)) return 'temDISABLED'; // IOU/MPT payments are not modelled
    if (drops(tx.Amount) <= 0n) return 'temBAD_AMOUNT';
    if (!tx.Destination) return 'temDST_NEEDED';
    if (tx.SendMax !== undefined && isXrp(tx.SendMax)) return 'temBAD_SEND_XRP_MAX';
    if (tx.SendMax !== undefined) return 'temDISABLED';
    if (tx.Paths !== undefined) return 'temBAD_SEND_XRP_PATHS';
    if (flags & TF_PARTIAL) return 'temBAD_SEND_XRP_PARTIAL';
    if (flags & TF_LIMIT_QUALITY) return 'temBAD_SEND_XRP_LIMIT';
    if (flags & TF_NO_RIPPLE_DIRECT) return 'temBAD_SEND_XRP_NO_DIRECT';
    if (tx.Account === tx.Destination) return 'temREDUNDANT';
    return 'tesSUCCESS';
  }

  preclaimPayment(ctx) {
    const { tx, view } = ctx;
    const dst = view.read(U.keylet.account(tx.Destination));
    if (!dst) {
      if (drops(tx.Amount) < this.reserveBase) return 'tecNO_DST_INSUF_XRP';
    } else if ((dst.Flags & U.LSF.requireDestinationTag) && tx.DestinationTag === undefined) {
      return 'tecDST_TAG_NEEDED';
    }
    return 'tesSUCCESS';
  }

  applyPayment(ctx) {
    const { tx, view } = ctx;
    const amount = drops(tx.Amount);
    const src = view.read(U.keylet.account(tx.Account));
    const reserve = this.reserve(src.OwnerCount);
    const fee = drops(tx.Fee);
    const mmm = reserve > fee ? reserve : fee;
    if (ctx.priorBalance < amount + mmm) return 'tecUNFUNDED_PAYMENT';
    const dk = U.keylet.account(tx.Destination);
    let dst = view.read(dk);
    if (dst && (dst.Flags & U.LSF.depositAuth)) {
      // DepositAuth: small payments to a destination at or below the base
      // reserve are always allowed.
      const bal = drops(dst.Balance);
      const small = bal <= this.reserveBase && amount <= this.reserveBase;
      if (!small && !view.exists(U.keylet.depositPreauth(tx.Destination, tx.Account))) return 'tecNO_PERMISSION';
    }
    if (!dst) {
      dst = { Account: tx.Destination, Balance: '0', Flags: 0, LedgerEntryType: 'AccountRoot', OwnerCount: 0, Sequence: ctx.ledgerSeq };
    }
    src.Balance = (drops(src.Balance) - amount).toString();
    view.put(src.index, src);
    dst.Balance = (drops(dst.Balance) + amount).toString();
    view.put(dk, dst);
    return 'tesSUCCESS';
  }

  // ---------------------------------------------------------------------
  // AccountSet: account flags only.

  preflightAccountSet(tx, flags) {
    if (tx.SetFlag !== undefined && tx.SetFlag === tx.ClearFlag) return 'temINVALID_FLAG';
    const pairs = [[0x00010000, 0x00020000], [0x00040000, 0x00080000], [0x00100000, 0x00200000]];
    for (const [a, b] of pairs) if ((flags & a) && (flags & b)) return 'temINVALID_FLAG';
    if ((flags & 0x00010000 && tx.ClearFlag === 1) || (flags & 0x00020000 && tx.SetFlag === 1)) return 'temINVALID_FLAG';
    if ((flags & 0x00100000 && tx.ClearFlag === 3) || (flags & 0x00200000 && tx.SetFlag === 3)) return 'temINVALID_FLAG';
    return 'tesSUCCESS';
  }

  applyAccountSet(ctx) {
    const { tx, view } = ctx;
    const a = view.read(U.keylet.account(tx.Account));
    const flags = tx.Flags >>> 0 || 0;
    const ASF = { 1: U.LSF.requireDestinationTag, 2: U.LSF.requireAuthorization, 3: U.LSF.disallowIncomingXRP,
      6: U.LSF.noFreeze, 7: U.LSF.globalFreeze, 8: U.LSF.defaultRipple, 9: U.LSF.depositAuth,
      12: U.LSF.disallowIncomingNFTokenOffer, 13: U.LSF.disallowIncomingCheck,
      14: U.LSF.disallowIncomingPayChan, 15: U.LSF.disallowIncomingTrustline };
    let f = a.Flags >>> 0;
    if (flags & 0x00010000) f |= U.LSF.requireDestinationTag;
    if (flags & 0x00020000) f &= ~U.LSF.requireDestinationTag;
    if (flags & 0x00040000) f |= U.LSF.requireAuthorization;
    if (flags & 0x00080000) f &= ~U.LSF.requireAuthorization;
    if (flags & 0x00100000) f |= U.LSF.disallowIncomingXRP;
    if (flags & 0x00200000) f &= ~U.LSF.disallowIncomingXRP;
    if (tx.SetFlag === 4) return 'tecNO_ALTERNATIVE_KEY'; // no RegularKey/SignerList modelled
    // asfAccountTxnID (5): track the last transaction id in AccountTxnID.
    if (tx.SetFlag === 5 && a.AccountTxnID === undefined) a.AccountTxnID = ctx.hash;
    if (tx.ClearFlag === 5) delete a.AccountTxnID;
    if (tx.SetFlag !== undefined && ASF[tx.SetFlag]) f |= ASF[tx.SetFlag];
    if (tx.ClearFlag !== undefined && ASF[tx.ClearFlag]) {
      if (tx.ClearFlag !== 6) f &= ~ASF[tx.ClearFlag]; // NoFreeze cannot be cleared
    }
    a.Flags = f >>> 0;
    view.put(a.index, a);
    return 'tesSUCCESS';
  }

  // ---------------------------------------------------------------------
  // DepositPreauth (Authorize / Unauthorize an account).

  preflightDepositPreauth(tx) {
    const auth = tx.Authorize !== undefined;
    const unauth = tx.Unauthorize !== undefined;
    if (auth === unauth) return 'temMALFORMED';
    if ((tx.Authorize || tx.Unauthorize) === tx.Account) return 'temCANNOT_PREAUTH_SELF';
    return 'tesSUCCESS';
  }

  preclaimDepositPreauth(ctx) {
    const { tx, view } = ctx;
    if (tx.Authorize !== undefined) {
      if (!view.exists(U.keylet.account(tx.Authorize))) return 'tecNO_TARGET';
      if (view.exists(U.keylet.depositPreauth(tx.Account, tx.Authorize))) return 'tecDUPLICATE';
    } else if (!view.exists(U.keylet.depositPreauth(tx.Account, tx.Unauthorize))) {
      return 'tecNO_ENTRY';
    }
    return 'tesSUCCESS';
  }

  applyDepositPreauth(ctx) {
    const { tx, view } = ctx;
    const a = view.read(U.keylet.account(tx.Account));
    if (tx.Authorize !== undefined) {
      if (ctx.priorBalance < this.reserve(a.OwnerCount + 1)) return 'tecINSUFFICIENT_RESERVE';
      const k = U.keylet.depositPreauth(tx.Account, tx.Authorize);
      const node = this.dirInsert(view, tx.Account, k);
      view.put(k, { Account: tx.Account, Authorize: tx.Authorize, Flags: 0, LedgerEntryType: 'DepositPreauth', OwnerNode: node });
      a.OwnerCount += 1;
    } else {
      const k = U.keylet.depositPreauth(tx.Account, tx.Unauthorize);
      if (!this.dirRemove(view, tx.Account, k)) return 'tefBAD_LEDGER';
      view.erase(k);
      a.OwnerCount -= 1;
    }
    view.put(a.index, a);
    return 'tesSUCCESS';
  }

  // ---------------------------------------------------------------------
  // Payment channels (the rules xrpse relies on are in
  // docs/design.md#ledger-rules-the-engine-relies-on).

  isExpired(chan, parentCloseTime) {
    if (chan.CancelAfter !== undefined && parentCloseTime >= chan.CancelAfter) return true;
    if (chan.Expiration !== undefined && parentCloseTime >= chan.Expiration) return true;
    return false;
  }

  closeChannel(view, key, chan) {
    if (!this.dirRemove(view, chan.Account, key)) return 'tefBAD_LEDGER';
    if (chan.DestinationNode !== undefined && !this.dirRemove(view, chan.Destination, key)) return 'tefBAD_LEDGER';
    const src = view.read(U.keylet.account(chan.Account));
    if (!src) return 'tefINTERNAL';
    src.Balance = (drops(src.Balance) + drops(chan.Amount) - drops(chan.Balance)).toString();
    src.OwnerCount -= 1;
    view.put(src.index, src);
    view.erase(key);
    return 'tesSUCCESS';
  }

  preclaimCreate(ctx, acct) {
    const { tx, view } = ctx;
    const balance = drops(acct.Balance);
    const reserve = this.reserve(acct.OwnerCount + 1);
    if (balance < reserve) return 'tecINSUFFICIENT_RESERVE';
    if (balance < reserve + drops(tx.Amount)) return 'tecUNFUNDED';
    const dst = view.read(U.keylet.account(tx.Destination));
    if (!dst) return 'tecNO_DST';
    if (dst.Flags & U.LSF.disallowIncomingPayChan) return 'tecNO_PERMISSION';
    if ((dst.Flags & U.LSF.requireDestinationTag) && tx.DestinationTag === undefined) return 'tecDST_TAG_NEEDED';
    return 'tesSUCCESS';
  }

  applyCreate(ctx) {
    const { tx, view } = ctx;
    if (this.fixPayChanCancelAfter && tx.CancelAfter !== undefined && ctx.parentCloseTime > tx.CancelAfter) return 'tecEXPIRED';
    const key = U.keylet.payChannel(tx.Account, tx.Destination, tx.Sequence);
    const chan = {
      Account: tx.Account, Amount: tx.Amount, Balance: '0', Destination: tx.Destination, Flags: 0,
      LedgerEntryType: 'PayChannel', PublicKey: tx.PublicKey, SettleDelay: tx.SettleDelay,
    };
    if (tx.CancelAfter !== undefined) chan.CancelAfter = tx.CancelAfter;
    if (tx.SourceTag !== undefined) chan.SourceTag = tx.SourceTag;
    if (tx.DestinationTag !== undefined) chan.DestinationTag = tx.DestinationTag;
    chan.OwnerNode = this.dirInsert(view, tx.Account, key);
    chan.DestinationNode = this.dirInsert(view, tx.Destination, key);
    view.put(key, chan);
    const src = view.read(U.keylet.account(tx.Account));
    src.Balance = (drops(src.Balance) - drops(tx.Amount)).toString();
    src.OwnerCount += 1;
    view.put(src.index, src);
    return 'tesSUCCESS';
  }

  applyFund(ctx) {
    const { tx, view } = ctx;
    const key = String(tx.Channel).toUpperCase();
    const chan = view.read(key);
    if (!chan || chan.LedgerEntryType !== 'PayChannel') return 'tecNO_ENTRY';
    if (this.isExpired(chan, ctx.parentCloseTime)) return this.closeChannel(view, key, chan);
    if (chan.Account !== tx.Account) return 'tecNO_PERMISSION';
    if (tx.Expiration !== undefined) {
      let min = settleExpiration(ctx.parentCloseTime, chan.SettleDelay);
      if (chan.Expiration !== undefined && chan.Expiration < min) min = chan.Expiration;
      if (tx.Expiration < min) return 'temBAD_EXPIRATION';
      chan.Expiration = tx.Expiration;
    }
    const src = view.read(U.keylet.account(tx.Account));
    const bal = drops(src.Balance);
    const reserve = this.reserve(src.OwnerCount);
    if (bal < reserve) return 'tecINSUFFICIENT_RESERVE';
    if (bal < reserve + drops(tx.Amount)) return 'tecUNFUNDED';
    if (!view.exists(U.keylet.account(chan.Destination))) return 'tecNO_DST';
    chan.Amount = (drops(chan.Amount) + drops(tx.Amount)).toString();
    view.put(key, chan);
    src.Balance = (bal - drops(tx.Amount)).toString();
    view.put(src.index, src);
    return 'tesSUCCESS';
  }

  preflightClaim(tx, flags) {
    if (tx.CredentialIDs !== undefined) return 'temDISABLED';
    const bal = tx.Balance;
    const amt = tx.Amount;
    if (bal !== undefined && (!isXrp(bal) || drops(bal) <= 0n)) return 'temBAD_AMOUNT';
    if (amt !== undefined && (!isXrp(amt) || drops(amt) <= 0n)) return 'temBAD_AMOUNT';
    if (bal !== undefined && amt !== undefined && drops(bal) > drops(amt)) return 'temBAD_AMOUNT';
    if ((flags & TF_CLOSE) && (flags & TF_RENEW)) return 'temMALFORMED';
    if (tx.Signature !== undefined) {
      if (tx.PublicKey === undefined || bal === undefined) return 'temMALFORMED';
      if (!validPubKey(tx.PublicKey)) return 'temMALFORMED';
      const auth = amt !== undefined ? amt : bal;
      let ok = false;
      try {
        const msg = codec.encodeForSigningClaim({ channel: String(tx.Channel).toUpperCase(), amount: auth });
        ok = kp.verify(msg, tx.Signature, tx.PublicKey);
      } catch (e) {
        ok = false;
      }
      if (!ok) return 'temBAD_SIGNATURE';
    }
    return 'tesSUCCESS';
  }

  applyClaim(ctx) {
    const { tx, view } = ctx;
    const key = String(tx.Channel).toUpperCase();
    const chan = view.read(key);
    if (!chan || chan.LedgerEntryType !== 'PayChannel') return 'tecNO_TARGET';
    if (this.isExpired(chan, ctx.parentCloseTime)) return this.closeChannel(view, key, chan);
    const src = tx.Account;
    if (src !== chan.Account && src !== chan.Destination) return 'tecNO_PERMISSION';
    const flags = tx.Flags >>> 0 || 0;
    if (tx.Balance !== undefined) {
      if (src === chan.Destination && tx.Signature === undefined) return 'temBAD_SIGNATURE';
      if (tx.Signature !== undefined && String(tx.PublicKey).toUpperCase() !== String(chan.PublicKey).toUpperCase()) return 'temBAD_SIGNER';
      const reqBalance = drops(tx.Balance);
      if (reqBalance > drops(chan.Amount)) return 'tecUNFUNDED_PAYMENT';
      if (reqBalance <= drops(chan.Balance)) return 'tecUNFUNDED_PAYMENT';
      const dk = U.keylet.account(chan.Destination);
      const dst = view.read(dk);
      if (!dst) return 'tecNO_DST';
      if ((dst.Flags & U.LSF.depositAuth) && src !== chan.Destination
          && !view.exists(U.keylet.depositPreauth(chan.Destination, src))) return 'tecNO_PERMISSION';
      const delta = reqBalance - drops(chan.Balance);
      chan.Balance = reqBalance.toString();
      dst.Balance = (drops(dst.Balance) + delta).toString();
      view.put(dk, dst);
      view.put(key, chan);
    }
    if (flags & TF_RENEW) {
      if (src !== chan.Account) return 'tecNO_PERMISSION';
      delete chan.Expiration;
      view.put(key, chan);
    }
    if (flags & TF_CLOSE) {
      if (src === chan.Destination || chan.Balance === chan.Amount) return this.closeChannel(view, key, chan);
      const settle = settleExpiration(ctx.parentCloseTime, chan.SettleDelay);
      if (chan.Expiration === undefined || chan.Expiration > settle) chan.Expiration = settle;
      view.put(key, chan);
    }
    return 'tesSUCCESS';
  }
}

module.exports = { Engine, GENESIS_SEED, GENESIS_ACCOUNT, GENESIS_DROPS };
