'use strict';
// rippled WebSocket API handlers of the stand-in: each handler takes (ctx,
// params) where ctx = {engine, conn, server} and returns the `result` object,
// or throws RpcError whose fields are flattened into rippled's error envelope.
// Also formats transactions for `tx` and the transaction stream, and the
// ledgerClosed message.

const codec = require('ripple-binary-codec');
const addr = require('ripple-address-codec');
const kp = require('ripple-keypairs');
const U = require('./util');

const ERRORS = {
  actMalformed: [35, 'Account malformed.'],
  actNotFound: [19, 'Account not found.'],
  amendmentBlocked: [14, 'Amendment blocked, need upgrade.'],
  channelAmtMalformed: [46, 'Payment channel amount is malformed.'],
  channelMalformed: [45, 'Payment channel is malformed.'],
  publicMalformed: [60, 'Public key is malformed.'],
  entryNotFound: [98, 'Entry not found.'],
  excessiveLgrRange: [78, 'Ledger range exceeds 1000.'],
  invalidLgrRange: [79, 'Ledger range is invalid.'],
  invalidParams: [31, 'Invalid parameters.'],
  lgrIdxMalformed: [58, 'Ledger index malformed.'],
  lgrIdxsInvalid: [57, 'Ledger indexes invalid.'],
  lgrNotFound: [21, 'Ledger not found.'],
  malformedStream: [71, 'Stream malformed.'],
  noClosed: [15, 'Closed ledger is unavailable.'],
  noCurrent: [16, 'Current ledger is unavailable.'],
  noNetwork: [17, 'Not synced to the network.'],
  notImpl: [74, 'Not implemented.'],
  // API v2's one token for noNetwork, noCurrent and noClosed
  notSynced: [55, 'Not synced to the network.'],
  notSupported: [75, 'Operation not supported.'],
  slowDown: [10, 'You are placing too much load on the server.'],
  tooBusy: [9, 'The server is too busy to help you now.'],
  txnNotFound: [29, 'Transaction not found.'],
  unexpectedLedgerType: [99, 'Unexpected ledger type.'],
  unknownCmd: [32, 'Unknown method.'],
};

class RpcError extends Error {
  // token: rippled error token; message: overrides the default text;
  // extra: fields kept next to the error (ledger fields, account, ...).
  constructor(token, message, extra = {}, opts = {}) {
    super(token);
    const known = ERRORS[token];
    this.fields = { ...extra, error: token };
    if (opts.code !== undefined) this.fields.error_code = opts.code;
    else if (known) this.fields.error_code = known[0];
    if (message) this.fields.error_message = message;
    else if (known) this.fields.error_message = known[1];
  }
}

function rpcErr(token, message, extra, opts) {
  return new RpcError(token, message, extra, opts);
}

// Ledger selection ("lookupLedger"). Returns {state, open, ledger, fields}.
function selectLedger(engine, p) {
  const openSel = () => ({ state: engine.open.state, open: true, seq: engine.open.seq,
    fields: { ledger_current_index: engine.open.seq, validated: false } });
  const closedSel = (l) => ({ state: l.state, open: false, ledger: l, seq: l.seq,
    fields: { ledger_hash: l.hash, ledger_index: l.seq, validated: l.seq <= engine.validated.seq } });
  if (p.ledger_hash !== undefined) {
    if (typeof p.ledger_hash !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(p.ledger_hash)) {
      throw rpcErr('invalidParams', 'ledgerHashMalformed');
    }
    for (const l of engine.ledgers.values()) {
      if (l.hash === p.ledger_hash.toUpperCase() && engine.hasLedger(l.seq)) return closedSel(l);
    }
    throw rpcErr('lgrNotFound', 'ledgerNotFound');
  }
  let li = p.ledger_index;
  if (li === undefined || li === 'current') return openSel();
  if (li === 'closed') return closedSel(engine.closed);
  if (li === 'validated') return closedSel(engine.validated);
  if (typeof li === 'string' && /^\d+$/.test(li)) li = Number(li);
  if (!Number.isInteger(li) || li < 0) throw rpcErr('invalidParams', 'ledgerIndexMalformed');
  if (li === engine.open.seq) return openSel();
  const l = engine.ledgerAt(li);
  if (!l) throw rpcErr('lgrNotFound', 'ledgerNotFound');
  return closedSel(l);
}

function requireAccountField(p, name = 'account') {
  if (p[name] === undefined) throw rpcErr('invalidParams', `Missing field '${name}'.`);
  if (typeof p[name] !== 'string') throw rpcErr('invalidParams', `Invalid field '${name}'.`);
}

function ctidOf(engine, seq, idx) {
  const nid = engine.networkId ?? 0;
  if (seq >= 0x0fffffff || idx > 0xffff || nid >= 0xffff) return undefined;
  const v = ((BigInt(0xc0000000 | seq) & 0xffffffffn) << 32n) | (BigInt(idx) << 16n) | BigInt(nid);
  return v.toString(16).toUpperCase().padStart(16, '0');
}

function accountFlags(flags) {
  const out = {};
  for (const [name, bit] of Object.entries(U.LSF)) out[name] = ((flags >>> 0) & bit) !== 0;
  return out;
}

function withoutIndex(o) {
  const c = { ...o };
  delete c.index;
  return c;
}

// Serialized ledger object (hex) for binary:true.
function nodeBinary(obj) {
  return codec.encode(withoutIndex(obj));
}

function channelJson(ch) {
  const o = {
    account: ch.Account, amount: ch.Amount, balance: ch.Balance, channel_id: ch.index,
    destination_account: ch.Destination,
    public_key: addr.encodeAccountPublic(Buffer.from(ch.PublicKey, 'hex')),
    public_key_hex: ch.PublicKey, settle_delay: ch.SettleDelay,
  };
  if (ch.Expiration !== undefined) o.expiration = ch.Expiration;
  if (ch.CancelAfter !== undefined) o.cancel_after = ch.CancelAfter;
  if (ch.SourceTag !== undefined) o.source_tag = ch.SourceTag;
  if (ch.DestinationTag !== undefined) o.destination_tag = ch.DestinationTag;
  return o;
}

// Every account mentioned by a transaction or its metadata.
function affectedAccounts(rec) {
  const set = new Set();
  const add = (v) => { if (U.isValidClassic(v)) set.add(v); };
  for (const f of ['Account', 'Destination', 'Authorize', 'Unauthorize']) add(rec.tx[f]);
  for (const n of (rec.meta && rec.meta.AffectedNodes) || []) {
    const node = Object.values(n)[0];
    for (const part of [node.FinalFields, node.NewFields, node.PreviousFields]) {
      if (!part) continue;
      for (const f of ['Account', 'Destination', 'Owner', 'Authorize']) add(part[f]);
    }
  }
  return set;
}

function txResultFields(token) {
  return { engine_result: token, engine_result_code: U.resultCode(token), engine_result_message: U.resultMessage(token) };
}

// `tx` answer for a validated transaction record, per API version.
function formatClosedTx(engine, rec, apiVersion, binary) {
  const ctid = ctidOf(engine, rec.ledgerIndex, rec.txIndex);
  const validated = rec.ledgerIndex <= engine.validated.seq;
  if (binary) {
    let metaBlob;
    try {
      const m = { ...rec.meta };
      delete m.delivered_amount;
      metaBlob = codec.encode(m);
    } catch (e) {
      metaBlob = undefined;
    }
    if (apiVersion >= 2) {
      return { tx_blob: rec.blob, meta_blob: metaBlob, hash: rec.hash, ledger_index: rec.ledgerIndex, ledger_hash: rec.ledgerHash,
        close_time_iso: U.isoTime(rec.date), validated, ...(ctid ? { ctid } : {}) };
    }
    return { tx: rec.blob, meta: metaBlob, hash: rec.hash, inLedger: rec.ledgerIndex, ledger_index: rec.ledgerIndex,
      date: rec.date, validated, ...(ctid ? { ctid } : {}) };
  }
  if (apiVersion >= 2) {
    return {
      tx_json: { ...rec.tx, ...(ctid ? { ctid } : {}), date: rec.date, ledger_index: rec.ledgerIndex },
      hash: rec.hash, ledger_hash: rec.ledgerHash, ledger_index: rec.ledgerIndex,
      close_time_iso: U.isoTime(rec.date), meta: rec.meta, validated, ...(ctid ? { ctid } : {}),
    };
  }
  return { ...rec.tx, hash: rec.hash, inLedger: rec.ledgerIndex, ledger_index: rec.ledgerIndex, date: rec.date,
    ...(ctid ? { ctid } : {}), meta: rec.meta, validated };
}

// `transaction` stream message for a validated transaction.
function formatStreamTx(engine, ledger, rec, apiVersion) {
  const ctid = ctidOf(engine, ledger.seq, rec.txIndex);
  const msg = {
    type: 'transaction', validated: true, status: 'closed', ...txResultFields(rec.result),
    ledger_index: ledger.seq, ledger_hash: ledger.hash, close_time_iso: U.isoTime(ledger.closeTime),
    ...(ctid ? { ctid } : {}),
  };
  if (apiVersion >= 2) {
    msg.hash = rec.hash;
    msg.tx_json = { ...rec.tx, date: ledger.closeTime };
  } else {
    msg.transaction = { ...rec.tx, date: ledger.closeTime, hash: rec.hash };
  }
  msg.meta = rec.meta;
  return msg;
}

// Provisional `transaction` message (transactions_proposed / accounts_proposed).
function formatProposedTx(engine, rec, result, apiVersion) {
  const msg = { type: 'transaction', validated: false, status: 'proposed', ...txResultFields(result),
    ledger_current_index: engine.open.seq };
  if (apiVersion >= 2) {
    msg.hash = rec.hash;
    msg.tx_json = { ...rec.tx };
  } else {
    msg.transaction = { ...rec.tx, hash: rec.hash };
  }
  return msg;
}

function ledgerStreamFields(engine, l) {
  const o = { fee_base: Number(engine.baseFee), ledger_hash: l.hash, ledger_index: l.seq, ledger_time: l.closeTime,
    reserve_base: Number(engine.reserveBase), reserve_inc: Number(engine.reserveInc), validated_ledgers: engine.completeLedgers() };
  if (engine.networkId !== undefined) o.network_id = engine.networkId;
  return o;
}

function formatLedgerClosed(engine, l) {
  return { type: 'ledgerClosed', ...ledgerStreamFields(engine, l), txn_count: l.txs.length };
}

function timeHuman(ms) {
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${mon}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000 UTC`;
}

// ---------------------------------------------------------------------------
// Handlers.

const handlers = {
  ping: () => ({}),

  server_info: ({ engine, server }) => {
    const l = engine.validated;
    const info = {
      build_version: '3.2.0-standin', complete_ledgers: engine.completeLedgers(), hostid: 'STANDIN',
      io_latency_ms: 1, jq_trans_overflow: '0', last_close: { converge_time_s: 0.1, proposers: 0 },
      load_factor: engine.loadFactor, peers: 0, pubkey_node: server.nodePublic, server_state: 'full',
      server_state_duration_us: String((Date.now() - server.startedAt) * 1000),
      time: timeHuman(Date.now()), uptime: Math.floor((Date.now() - server.startedAt) / 1000),
      validated_ledger: {
        age: Math.max(0, engine.now() - l.closeTime), base_fee_xrp: U.dropsToXrpNumber(engine.baseFee),
        hash: l.hash, reserve_base_xrp: U.dropsToXrpNumber(engine.reserveBase),
        reserve_inc_xrp: U.dropsToXrpNumber(engine.reserveInc), seq: l.seq,
      },
      validation_quorum: 0, ports: [{ port: String(server.port), protocol: ['ws'] }],
    };
    if (engine.networkId !== undefined) info.network_id = engine.networkId;
    return { info };
  },

  server_state: ({ engine, server }) => {
    const l = engine.validated;
    const state = {
      build_version: '3.2.0-standin', complete_ledgers: engine.completeLedgers(), io_latency_ms: 1,
      jq_trans_overflow: '0', last_close: { converge_time: 100, proposers: 0 },
      load_base: 256, load_factor: 256 * engine.loadFactor, load_factor_fee_escalation: 256, load_factor_fee_queue: 256,
      load_factor_fee_reference: 256, load_factor_server: 256 * engine.loadFactor, peers: 0, pubkey_node: server.nodePublic,
      server_state: 'full', server_state_duration_us: String((Date.now() - server.startedAt) * 1000),
      time: timeHuman(Date.now()), uptime: Math.floor((Date.now() - server.startedAt) / 1000),
      validated_ledger: { base_fee: Number(engine.baseFee), close_time: l.closeTime, hash: l.hash,
        reserve_base: Number(engine.reserveBase), reserve_inc: Number(engine.reserveInc), seq: l.seq },
      validation_quorum: 0,
    };
    if (engine.networkId !== undefined) state.network_id = engine.networkId;
    return { state };
  },

  fee: ({ engine }) => {
    const level = String(256 * engine.loadFactor);
    const open = engine.openLedgerFee();
    return {
      current_ledger_size: String(engine.open.txs.length), current_queue_size: String(engine.txq.length),
      drops: { base_fee: String(engine.baseFee), median_fee: '5000', minimum_fee: String(engine.minimumFee()),
        open_ledger_fee: String(open) },
      expected_ledger_size: String(engine.txqTarget || 1000), ledger_current_index: engine.open.seq,
      levels: { median_level: '128000', minimum_level: level,
        open_ledger_level: String((open * 256n) / engine.baseFee), reference_level: '256' },
      max_queue_size: String(engine.txqMax),
    };
  },

  account_info: ({ engine }, p) => {
    requireAccountField(p);
    const sel = selectLedger(engine, p);
    if (!U.isValidClassic(p.account)) throw rpcErr('actMalformed', undefined, { ...sel.fields });
    if (p.queue === true && !sel.open) throw rpcErr('invalidParams');
    const a = engine.readAccount(sel.state, p.account);
    if (!a) throw rpcErr('actNotFound', undefined, { account: p.account, ...sel.fields });
    const r = { account_data: U.sortKeys(a), account_flags: accountFlags(a.Flags), ...sel.fields };
    if (p.queue === true) r.queue_data = { txn_count: engine.txq.filter((q) => q.tx.Account === p.account).length };
    return r;
  },

  account_channels: ({ engine }, p) => {
    requireAccountField(p);
    const sel = selectLedger(engine, p);
    if (!U.isValidClassic(p.account)) throw rpcErr('actMalformed');
    if (!engine.readAccount(sel.state, p.account)) throw rpcErr('actNotFound');
    let dst;
    if (p.destination_account !== undefined) {
      if (!U.isValidClassic(p.destination_account)) throw rpcErr('actMalformed');
      dst = p.destination_account;
    }
    let limit = 200;
    if (p.limit !== undefined) {
      if (!Number.isInteger(p.limit) || p.limit <= 0) throw rpcErr('invalidParams', "Invalid field 'limit', not unsigned integer.");
      limit = p.limit;
    }
    let keys = engine.ownerEntries(sel.state, p.account);
    if (p.marker !== undefined) {
      const m = typeof p.marker === 'string' ? /^([0-9A-Fa-f]{64}),(\d+)$/.exec(p.marker) : null;
      if (!m) throw rpcErr('invalidParams', "Invalid field 'marker'.");
      const i = keys.indexOf(m[1].toUpperCase());
      if (i < 0) throw rpcErr('invalidParams', "Invalid field 'marker'.");
      keys = keys.slice(i + 1);
    }
    const chans = [];
    let more = false;
    for (const k of keys) {
      const o = sel.state.get(k);
      if (!o || o.LedgerEntryType !== 'PayChannel' || o.Account !== p.account) continue;
      if (dst && o.Destination !== dst) continue;
      if (chans.length === limit) {
        more = true;
        break;
      }
      chans.push(o);
    }
    const r = { account: p.account, channels: chans.map(channelJson), ...sel.fields };
    if (more) {
      r.limit = limit;
      r.marker = `${chans[chans.length - 1].index},0`;
    }
    return r;
  },

  ledger_entry: ({ engine, conn }, p) => {
    const sels = ['payment_channel', 'index', 'account_root'].filter((k) => p[k] !== undefined);
    if (sels.length > 1) throw rpcErr('invalidParams', 'Too many fields provided.');
    if (sels.length === 0) {
      if ((p.api_version ?? 1) >= 2) throw rpcErr('invalidParams', 'No ledger_entry params provided.');
      throw rpcErr('unknownOption', 'Unknown option.', {}, { code: 31 });
    }
    const sel = selectLedger(engine, p);
    const which = sels[0];
    let key;
    if (which === 'account_root') {
      if (!U.isValidClassic(p.account_root)) {
        throw rpcErr('malformedAddress', "Invalid field 'account_root', not AccountID.", {}, { code: 31 });
      }
      key = U.keylet.account(p.account_root);
    } else {
      const v = p[which];
      if (typeof v !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(v)) {
        throw rpcErr('malformedRequest', `Invalid field '${which}', not hex string.`, {}, { code: 31 });
      }
      key = v.toUpperCase();
    }
    const obj = sel.state.get(key);
    if (!obj) throw rpcErr('entryNotFound', undefined, { index: key, ...sel.fields });
    const want = { payment_channel: 'PayChannel', account_root: 'AccountRoot' }[which];
    if (want && obj.LedgerEntryType !== want) throw rpcErr('unexpectedLedgerType', undefined, { index: key, ...sel.fields });
    const r = { index: key, ...sel.fields };
    if (p.binary === true) r.node_binary = nodeBinary(obj);
    else r.node = U.sortKeys(obj);
    return r;
  },

  submit: ({ engine, server }, p) => {
    if (p.tx_blob === undefined) {
      if (p.tx_json !== undefined || p.secret !== undefined) throw rpcErr('notSupported', 'Signing is not supported by this server.');
      throw rpcErr('invalidParams', "Missing field 'tx_blob'.");
    }
    if (p.fail_hard !== undefined && typeof p.fail_hard !== 'boolean') {
      throw rpcErr('invalidParams', "Invalid field 'fail_hard', not boolean.");
    }
    const dec = engine.decodeBlob(p.tx_blob);
    if (dec.rpcError) {
      const e = new RpcError(dec.rpcError.error);
      e.fields = { ...dec.rpcError };
      throw e;
    }
    if (!engine.checkSignature(dec.tx)) {
      const seen = server.badSigs.has(dec.hash);
      server.badSigs.add(dec.hash);
      const e = new RpcError('invalidTransaction');
      e.fields = { error: 'invalidTransaction',
        error_exception: seen ? 'fails local checks: Transaction has bad signature.' : 'fails local checks: Invalid signature.' };
      throw e;
    }
    const drop = server.takeDrop(dec.hash);
    const out = engine.submitDecoded(dec, { failHard: p.fail_hard === true, drop });
    if (out.applied && !drop) server.publishProposed(dec, out.result);
    const r = {
      accepted: out.applied || out.broadcast || out.queued || out.kept,
      applied: out.applied, broadcast: out.broadcast, kept: out.kept, queued: out.queued,
      ...txResultFields(out.result), open_ledger_cost: String(engine.openLedgerFee()),
      tx_blob: dec.blob, tx_json: { ...dec.tx, hash: dec.hash }, validated_ledger_index: engine.validated.seq,
    };
    const acct = engine.readAccount(engine.open.state, dec.tx.Account);
    if (acct) {
      r.account_sequence_available = acct.Sequence;
      r.account_sequence_next = acct.Sequence;
    }
    return r;
  },

  // account_tx (JSON only): the validated transactions that touched the
  // account (as Account, Destination or in their metadata), in the
  // ledgers asked, paged by marker. API v2 rules: a bound outside the
  // contiguous history ending at the validated ledger is lgrIdxMalformed
  // (v1 clamps it); -1 or none means that history's first or last ledger.
  account_tx: ({ engine }, p, apiVersion) => {
    requireAccountField(p);
    if (!U.isValidClassic(p.account)) throw rpcErr('actMalformed');
    const hi0 = engine.validated.seq;
    let lo0 = engine.minLedger();
    if (engine.gap && engine.gap.max >= lo0 && engine.gap.max < hi0) lo0 = Math.max(lo0, engine.gap.max + 1);
    const bound = (v, dflt) => {
      if (v === undefined || v === -1) return dflt;
      if (!Number.isInteger(v) || v < 0) throw rpcErr('lgrIdxMalformed');
      return v;
    };
    let lo = bound(p.ledger_index_min, lo0);
    let hi = bound(p.ledger_index_max, hi0);
    if (apiVersion >= 2) {
      if (lo < lo0 || hi > hi0) throw rpcErr('lgrIdxMalformed');
    } else {
      lo = Math.max(lo, lo0);
      hi = Math.min(hi, hi0);
    }
    if (hi < lo) throw rpcErr('lgrIdxsInvalid');
    let limit = 200;
    if (p.limit !== undefined) {
      if (!Number.isInteger(p.limit) || p.limit <= 0) throw rpcErr('invalidParams', "Invalid field 'limit', not unsigned integer.");
      limit = Math.min(p.limit, 400);
    }
    const forward = p.forward === true;
    let start = null;
    if (p.marker !== undefined) {
      const m = p.marker;
      if (!m || typeof m !== 'object' || !Number.isInteger(m.ledger) || !Number.isInteger(m.seq)) {
        throw rpcErr('invalidParams', "Invalid field 'marker'.");
      }
      start = m;
    }
    const out = [];
    let marker;
    const seqs = [];
    for (let s = lo; s <= hi; s++) seqs.push(s);
    if (!forward) seqs.reverse();
    outer: for (const s of seqs) {
      const l = engine.ledgerAt(s);
      if (!l) continue;
      const recs = forward ? l.txs : [...l.txs].reverse();
      for (const rec of recs) {
        if (start) {
          const before = forward ? (s < start.ledger || (s === start.ledger && rec.txIndex < start.seq))
            : (s > start.ledger || (s === start.ledger && rec.txIndex > start.seq));
          if (before) continue;
        }
        if (!affectedAccounts(rec).has(p.account)) continue;
        if (out.length === limit) {
          marker = { ledger: s, seq: rec.txIndex };
          break outer;
        }
        if (apiVersion >= 2) {
          out.push(formatClosedTx(engine, rec, apiVersion, false));
        } else {
          out.push({ meta: rec.meta, tx: { ...rec.tx, hash: rec.hash, inLedger: rec.ledgerIndex, ledger_index: rec.ledgerIndex, date: rec.date },
            validated: true });
        }
      }
    }
    const r = { account: p.account, ledger_index_min: lo, ledger_index_max: hi, limit, transactions: out, validated: true };
    if (marker) r.marker = marker;
    return r;
  },

  tx: ({ engine }, p, apiVersion) => {
    if (p.transaction === undefined && p.ctid === undefined) throw rpcErr('invalidParams');
    let rec = null;
    if (p.ctid !== undefined) {
      const m = typeof p.ctid === 'string' && /^[Cc][0-9A-Fa-f]{15}$/.test(p.ctid) ? BigInt('0x' + p.ctid) : null;
      if (m === null) throw rpcErr('invalidParams', 'Invalid field ctid.');
      const seq = Number((m >> 32n) & 0x0fffffffn);
      const idx = Number((m >> 16n) & 0xffffn);
      const l = engine.ledgerAt(seq);
      const r = l && l.txs[idx];
      if (r) rec = { closed: r };
    } else {
      if (typeof p.transaction !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(p.transaction)) throw rpcErr('notImpl');
      rec = engine.findTx(p.transaction);
    }
    const hasRange = p.min_ledger !== undefined && p.max_ledger !== undefined;
    if (hasRange) {
      if (!Number.isInteger(p.min_ledger) || !Number.isInteger(p.max_ledger)) throw rpcErr('invalidLgrRange');
      if (p.min_ledger > p.max_ledger) throw rpcErr('invalidLgrRange');
      if (p.max_ledger - p.min_ledger > 1000) throw rpcErr('excessiveLgrRange');
    }
    if (rec && rec.closed && (!hasRange || (rec.closed.ledgerIndex >= p.min_ledger && rec.closed.ledgerIndex <= p.max_ledger))) {
      return formatClosedTx(engine, rec.closed, apiVersion, p.binary === true);
    }
    if (rec && rec.open && !hasRange) {
      if (apiVersion >= 2) return { tx_json: { ...rec.open.tx }, hash: rec.open.hash, validated: false };
      return { ...rec.open.tx, hash: rec.open.hash, validated: false };
    }
    if (hasRange) {
      let all = true;
      for (let s = p.min_ledger; s <= p.max_ledger; s++) if (!engine.hasLedger(s)) { all = false; break; }
      throw rpcErr('txnNotFound', undefined, { searched_all: all });
    }
    throw rpcErr('txnNotFound');
  },

  // channel_verify: checks a claim signature with ripple-keypairs.
  channel_verify: (ctx, p) => {
    for (const f of ['amount', 'channel_id', 'public_key', 'signature']) {
      if (p[f] === undefined) throw rpcErr('invalidParams', `Missing field '${f}'.`);
    }
    let pk = p.public_key;
    if (typeof pk !== 'string') throw rpcErr('publicMalformed');
    if (!/^[0-9A-Fa-f]{66}$/.test(pk)) {
      try {
        pk = Buffer.from(addr.decodeAccountPublic(pk)).toString('hex').toUpperCase();
      } catch (e) {
        throw rpcErr('publicMalformed');
      }
    }
    if (!/^(02|03|ED)/i.test(pk)) throw rpcErr('publicMalformed');
    if (typeof p.channel_id !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(p.channel_id)) throw rpcErr('channelMalformed');
    if (typeof p.amount !== 'string' || !/^\d{1,18}$/.test(p.amount) || BigInt(p.amount) > 100000000000000000n) {
      throw rpcErr('channelAmtMalformed');
    }
    if (typeof p.signature !== 'string' || !/^([0-9A-Fa-f]{2})+$/.test(p.signature)) throw rpcErr('invalidParams');
    let ok = false;
    try {
      const msg = codec.encodeForSigningClaim({ channel: p.channel_id.toUpperCase(), amount: BigInt(p.amount).toString() });
      ok = kp.verify(msg, p.signature.toUpperCase(), pk);
    } catch (e) {
      ok = false;
    }
    return { signature_verified: ok };
  },

  ledger_current: ({ engine }) => ({ ledger_current_index: engine.open.seq }),

  ledger_closed: ({ engine }) => ({ ledger_hash: engine.closed.hash, ledger_index: engine.closed.seq }),

  ledger_accept: ({ engine, server }) => {
    server.closeLedger();
    return { ledger_current_index: engine.open.seq };
  },

  ledger: ({ engine }, p) => {
    const sel = selectLedger(engine, p);
    let ledger;
    if (sel.open) {
      ledger = { closed: false, ledger_index: String(sel.seq), parent_hash: engine.closed.hash,
        parent_close_time: engine.closed.closeTime };
      if (p.transactions === true) ledger.transactions = engine.open.txs.map((r) => r.hash);
    } else {
      const l = sel.ledger;
      const parent = engine.ledgers.get(l.seq - 1);
      ledger = { closed: true, close_time: l.closeTime, close_time_iso: U.isoTime(l.closeTime),
        close_time_resolution: engine.closeResolution, ledger_hash: l.hash, ledger_index: String(l.seq),
        parent_close_time: parent ? parent.closeTime : 0, parent_hash: l.parentHash };
      if (p.transactions === true) ledger.transactions = l.txs.map((r) => r.hash);
    }
    return { ledger, ...sel.fields };
  },

  subscribe: ({ engine, conn }, p, apiVersion) => {
    const streams = parseStreams(p);
    const accounts = parseAccounts(p);
    for (const s of streams) conn.streams.add(s);
    for (const a of accounts.accounts) conn.accounts.add(a);
    for (const a of accounts.proposed) conn.accountsProposed.add(a);
    conn.apiVersion = apiVersion;
    if (streams.includes('ledger')) return ledgerStreamFields(engine, engine.validated);
    return {};
  },

  unsubscribe: ({ conn }, p) => {
    const streams = parseStreams(p);
    const accounts = parseAccounts(p);
    for (const s of streams) conn.streams.delete(s);
    for (const a of accounts.accounts) conn.accounts.delete(a);
    for (const a of accounts.proposed) conn.accountsProposed.delete(a);
    return {};
  },
};

const KNOWN_STREAMS = new Set(['ledger', 'transactions', 'transactions_proposed', 'validations', 'manifests',
  'book_changes', 'consensus', 'server', 'peer_status']);

function parseStreams(p) {
  if (p.streams === undefined) return [];
  if (!Array.isArray(p.streams)) throw rpcErr('invalidParams');
  for (const s of p.streams) if (typeof s !== 'string' || !KNOWN_STREAMS.has(s)) throw rpcErr('malformedStream');
  return p.streams;
}

// Returns {accounts, proposed} (validated and proposed account lists).
function parseAccounts(p) {
  const out = { accounts: [], proposed: [] };
  for (const f of ['accounts', 'accounts_proposed']) {
    if (p[f] === undefined) continue;
    if (!Array.isArray(p[f])) throw rpcErr('invalidParams');
    if (p[f].length === 0) throw rpcErr('actMalformed');
    for (const a of p[f]) if (!U.isValidClassic(a)) throw rpcErr('actMalformed');
    (f === 'accounts' ? out.accounts : out.proposed).push(...p[f]);
  }
  return out;
}

module.exports = {
  handlers, RpcError, rpcErr, ERRORS, formatStreamTx, formatProposedTx, formatLedgerClosed, affectedAccounts, ctidOf,
};
