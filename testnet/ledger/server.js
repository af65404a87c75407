#!/usr/bin/env node
'use strict';
// rippled stand-in: serves rippled's WebSocket API on 127.0.0.1 over the
// in-memory ledger engine (lib/engine.js), closes ledgers on a timer and on
// ledger_accept, publishes ledger/transaction streams, runs a faucet
// look-alike (POST /accounts) on a second port, and answers the test-only
// `testnet_*` control commands documented in README.md.
//
// Usage: node server.js --port PORT [--faucet-port PORT] [--close-ms MS]
//                       [--network-id N] [--close-resolution S]
//                       [--close-order canonical|submit] [--base-fee DROPS]
//                       [--reserve-base DROPS] [--reserve-inc DROPS] [--history N]
// Port 0 picks a free port; the chosen ports are printed on stdout as
// `xrpl-standin listening ws=PORT faucet=PORT`.

const http = require('http');
const { WebSocketServer } = require('ws');
const codec = require('ripple-binary-codec');
const kp = require('ripple-keypairs');
const addr = require('ripple-address-codec');
const { Engine, GENESIS_ACCOUNT } = require('./lib/engine');
const rpc = require('./lib/rpc');
const U = require('./lib/util');

const DEFAULT_FAUCET_XRP = 1000;

class StandIn {
  // opts: port, faucetPort (undefined = no faucet), closeMs (0 = no timer),
  // networkId, closeResolution, log (function or null).
  constructor(opts = {}) {
    this.opts = opts;
    this.engine = new Engine({
      networkId: opts.networkId, closeResolution: opts.closeResolution, closeOrder: opts.closeOrder,
      baseFee: opts.baseFee, reserveBase: opts.reserveBase, reserveInc: opts.reserveInc, maxHistory: opts.history,
      txqTarget: opts.txqTarget, txqMax: opts.txqMax, validationLag: opts.validationLag,
    });
    this.conns = new Set();
    this.badSigs = new Set();
    this.dropCount = 0;
    this.dropSticky = false;
    this.dropHashes = new Set(); // sticky drops: every submit of these blobs
    this.busy = { count: 0, error: 'tooBusy' };
    this.startedAt = Date.now();
    this.nodePublic = addr.encodeNodePublic(Buffer.from(kp.deriveKeypair('sn3nxiW7v8KXzPzAqzyHXbSSKNuN9').publicKey, 'hex'));
    this.closeMs = opts.closeMs ?? 1000;
    this.timer = null;
    // The ledger and transaction streams publish validated ledgers.
    this.engine.on('validated', (l) => this.publish(l));
    this.engine.on('close', () => this.fill(opts.txqLoad || 0));
    // The fee queue's decisions, one line each (tests grep them).
    this.engine.on('txq', (r, hash, fee, open) => this.log(`txq ${r} ${hash} fee ${fee} open_ledger_fee ${open}`));
  }

  async start() {
    // One port serves WebSocket upgrades and JSON-RPC over HTTP POST.
    this.rpcHttp = http.createServer((req, res) => this.onJsonRpc(req, res));
    this.wss = new WebSocketServer({ server: this.rpcHttp });
    this.wss.on('connection', (ws) => this.onConnection(ws));
    await new Promise((res, rej) => {
      this.rpcHttp.once('error', rej);
      this.rpcHttp.listen(this.opts.port ?? 6006, '127.0.0.1', res);
    });
    this.port = this.rpcHttp.address().port;
    if (this.opts.faucetPort !== undefined) {
      this.http = http.createServer((req, res) => this.onFaucet(req, res));
      await new Promise((res, rej) => { this.http.once('error', rej); this.http.listen(this.opts.faucetPort, '127.0.0.1', res); });
      this.faucetPort = this.http.address().port;
    }
    this.setCloseTimer(this.closeMs);
  }

  async stop() {
    this.setCloseTimer(0);
    for (const c of this.conns) c.ws.terminate();
    await new Promise((res) => this.wss.close(res));
    await new Promise((res) => this.rpcHttp.close(res));
    if (this.http) await new Promise((res) => this.http.close(res));
  }

  setCloseTimer(ms) {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closeMs = ms;
    if (ms > 0) {
      this.timer = setInterval(() => {
        try {
          this.closeLedger();
        } catch (e) {
          this.log('ledger close failed', e);
        }
      }, ms);
    }
  }

  closeLedger() {
    return this.engine.close();
  }

  // Whether to drop this submit (answered, never included): the next
  // dropCount submits are; with dropSticky, so is every later submit of
  // the same blob (a transaction that never reaches the network however
  // often it is sent, so that only a rebuild gets it in).
  takeDrop(hash) {
    if (this.dropHashes.has(hash)) return true;
    if (this.dropCount > 0) {
      this.dropCount -= 1;
      if (this.dropSticky) this.dropHashes.add(hash);
      return true;
    }
    return false;
  }

  // Load: n no-op AccountSets from the genesis account, each paying the
  // open-ledger fee, put into every new open ledger (--txq-load), so that
  // with --txq-target below n the fee is escalated when others submit.
  fill(n) {
    const e = this.engine;
    for (let i = 0; i < n; i++) {
      const g = e.readAccount(e.open.state, GENESIS_ACCOUNT);
      const tx = {
        TransactionType: 'AccountSet', Account: GENESIS_ACCOUNT, Fee: String(e.openLedgerFee()), Flags: 0,
        Sequence: g.Sequence, LastLedgerSequence: e.open.seq + 5, SigningPubKey: e.genesisKeys.publicKey,
      };
      if (e.networkId !== undefined && e.networkId > 1024) tx.NetworkID = e.networkId;
      tx.TxnSignature = kp.sign(codec.encodeForSigning(tx), e.genesisKeys.privateKey);
      const dec = e.decodeBlob(codec.encode(tx));
      const out = e.submitDecoded(dec, { noForce: true });
      if (!out.applied) {
        this.log('load transaction not applied', out.result);
        return;
      }
    }
  }

  log(...a) {
    if (this.opts.log) this.opts.log(...a);
  }

  // ---------------------------------------------------------------------
  // WebSocket transport.

  onConnection(ws) {
    const conn = { ws, streams: new Set(), accounts: new Set(), accountsProposed: new Set(), apiVersion: 1 };
    this.conns.add(conn);
    ws.on('close', () => this.conns.delete(conn));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.send(conn, { type: 'error', error: 'wsTextRequired' });
        return;
      }
      this.onMessage(conn, data.toString('utf8'));
    });
  }

  send(conn, obj, cb) {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(obj), cb);
    else if (cb) cb();
  }

  onMessage(conn, text) {
    let req;
    try {
      req = JSON.parse(text);
    } catch (e) {
      req = undefined;
    }
    if (!req || typeof req !== 'object' || Array.isArray(req)) {
      this.send(conn, { type: 'error', error: 'jsonInvalid', value: text });
      return;
    }
    const resp = this.dispatch(conn, req);
    if (resp) this.send(conn, resp.body, resp.after);
  }

  // Handles one request object; returns {body, after?} to send.
  dispatch(conn, req) {
    const envelope = (extra) => {
      const o = {};
      if (req.id !== undefined) o.id = req.id;
      if (req.api_version !== undefined) o.api_version = req.api_version;
      return { ...o, ...extra };
    };
    const errorBody = (fields) => envelope({ status: 'error', type: 'response', ...fields, request: maskSecrets(req) });
    const command = req.command !== undefined ? req.command : req.method;
    if (typeof command !== 'string') {
      const o = { type: 'response', status: 'error', error: 'missingCommand', request: maskSecrets(req) };
      if (req.id !== undefined) o.id = req.id;
      return { body: o };
    }
    let apiVersion = 1;
    if (req.api_version !== undefined) {
      if (![1, 2, 3].includes(req.api_version)) {
        return { body: errorBody({ error: 'invalid_API_version', error_message: 'Invalid API version number.' }) };
      }
      apiVersion = req.api_version;
    }
    if (command.startsWith('testnet_')) return this.control(conn, req, command, envelope, errorBody);
    if (this.busy.count > 0) {
      this.busy.count -= 1;
      const e = rpc.rpcErr(this.busy.error);
      return { body: errorBody(e.fields) };
    }
    const h = Object.prototype.hasOwnProperty.call(rpc.handlers, command) ? rpc.handlers[command] : null;
    if (!h) return { body: errorBody(rpc.rpcErr('unknownCmd').fields) };
    try {
      const result = h({ engine: this.engine, conn, server: this }, req, apiVersion);
      return { body: envelope({ result, status: 'success', type: 'response' }) };
    } catch (e) {
      if (e instanceof rpc.RpcError) return { body: errorBody(e.fields) };
      this.log('internal error', e);
      return { body: errorBody({ error: 'internal', error_code: 73, error_message: 'Internal error.' }) };
    }
  }

  // Stream publication after a close: ledgerClosed first, then transactions.
  publish(l) {
    const closedMsg = rpc.formatLedgerClosed(this.engine, l);
    for (const c of this.conns) if (c.streams.has('ledger')) this.send(c, closedMsg);
    for (const rec of l.txs) {
      const affected = rpc.affectedAccounts(rec);
      for (const c of this.conns) {
        // The proposed streams get validated transactions too, as in rippled.
        let want = c.streams.has('transactions') || c.streams.has('transactions_proposed');
        if (!want) for (const a of affected) if (c.accounts.has(a) || c.accountsProposed.has(a)) { want = true; break; }
        if (want) this.send(c, rpc.formatStreamTx(this.engine, l, rec, c.apiVersion));
      }
    }
  }

  // Provisional message for a transaction just applied to the open ledger:
  // to transactions_proposed, and accounts_proposed of its accounts.
  publishProposed(rec, result) {
    const accounts = [rec.tx.Account, rec.tx.Destination, rec.tx.Authorize, rec.tx.Unauthorize].filter(Boolean);
    for (const c of this.conns) {
      const want = c.streams.has('transactions_proposed') || accounts.some((a) => c.accountsProposed.has(a));
      if (want) this.send(c, rpc.formatProposedTx(this.engine, rec, result, c.apiVersion));
    }
  }

  // ---------------------------------------------------------------------
  // Test controls (never used by the engine itself).

  control(conn, req, command, envelope, errorBody) {
    const ok = (result, after) => ({ body: envelope({ result, status: 'success', type: 'response' }), after });
    const bad = (msg) => ({ body: errorBody({ error: 'invalidParams', error_code: 31, error_message: msg }) });
    const count = req.count === undefined ? 1 : req.count;
    switch (command) {
      case 'testnet_advance_time': {
        if (!Number.isInteger(req.seconds) || req.seconds < 0) return bad("Invalid field 'seconds'.");
        const now = this.engine.advanceTime(req.seconds);
        return ok({ offset: this.engine.timeOffset, now, parent_close_time: this.engine.closed.closeTime });
      }
      case 'testnet_drop_next_tx':
        if (!Number.isInteger(count) || count < 0) return bad("Invalid field 'count'.");
        if (req.sticky !== undefined && typeof req.sticky !== 'boolean') return bad("Invalid field 'sticky'.");
        this.dropCount = count;
        this.dropSticky = req.sticky === true;
        return ok({ drop_count: this.dropCount, sticky: this.dropSticky });
      case 'testnet_too_busy': {
        if (!Number.isInteger(count) || count < 0) return bad("Invalid field 'count'.");
        const error = req.error === undefined ? 'tooBusy' : req.error;
        if (!['tooBusy', 'noNetwork', 'noCurrent', 'noClosed', 'notSynced', 'slowDown', 'amendmentBlocked', 'lgrNotFound'].includes(error)) {
          return bad("Invalid field 'error'.");
        }
        this.busy = { count, error };
        return ok({ count, error });
      }
      case 'testnet_disconnect_all': {
        const all = [...this.conns];
        const graceful = req.mode === 'close';
        return ok({ disconnected: all.length }, () => {
          for (const c of all) {
            if (graceful) c.ws.close(1001, 'going away');
            else c.ws.terminate();
          }
        });
      }
      case 'testnet_close_timer':
        if (!Number.isInteger(req.ms) || req.ms < 0) return bad("Invalid field 'ms'.");
        this.setCloseTimer(req.ms);
        return ok({ close_ms: this.closeMs });
      case 'testnet_set_fees': {
        const e = this.engine;
        const vals = {};
        for (const [k, min] of [['base_fee', 1n], ['reserve_base', 0n], ['reserve_inc', 0n]]) {
          if (req[k] === undefined) continue;
          const v = String(req[k]);
          if (!/^\d{1,17}$/.test(v) || BigInt(v) < min) return bad(`Invalid field '${k}'.`);
          vals[k] = BigInt(v);
        }
        if (vals.base_fee !== undefined) e.baseFee = vals.base_fee;
        if (vals.reserve_base !== undefined) e.reserveBase = vals.reserve_base;
        if (vals.reserve_inc !== undefined) e.reserveInc = vals.reserve_inc;
        return ok({ base_fee: String(e.baseFee), reserve_base: String(e.reserveBase), reserve_inc: String(e.reserveInc) });
      }
      case 'testnet_set_load': {
        if (!Number.isInteger(req.factor) || req.factor < 1 || req.factor > 1000000) return bad("Invalid field 'factor'.");
        this.engine.loadFactor = req.factor;
        return ok({ load_factor: req.factor, open_ledger_fee: String(this.engine.openLedgerFee()) });
      }
      case 'testnet_force_result': {
        if (!Number.isInteger(count) || count < 0) return bad("Invalid field 'count'.");
        const r = req.result;
        let known = false;
        try {
          known = typeof r === 'string' && /^(ter|tel|tef|tem)/.test(r) && U.resultCode(r) !== undefined;
        } catch (e) {
          known = false;
        }
        if (!known) return bad("Invalid field 'result'.");
        this.engine.forced = { result: r, count };
        return ok({ result: r, count });
      }
      case 'testnet_history_gap': {
        // The server lacks closed ledgers [min, max], as a rippled with a
        // gap in its history (after downtime or online deletion); without
        // min and max the gap is removed.
        const e = this.engine;
        if (req.min === undefined && req.max === undefined) {
          e.gap = null;
        } else {
          if (!Number.isInteger(req.min) || req.min < 1) return bad("Invalid field 'min'.");
          if (!Number.isInteger(req.max) || req.max < req.min) return bad("Invalid field 'max'.");
          if (req.max >= e.closed.seq) return bad('The last closed ledger cannot be missing.');
          e.gap = { min: req.min, max: req.max };
        }
        return ok({ gap: e.gap ? { ...e.gap } : null, complete_ledgers: e.completeLedgers() });
      }
      case 'testnet_status':
        return ok({
          now: this.engine.now(), offset: this.engine.timeOffset, drop_count: this.dropCount,
          too_busy: this.busy.count, close_ms: this.closeMs, connections: this.conns.size,
          load_factor: this.engine.loadFactor, forced: { ...this.engine.forced },
          validated_ledger_index: this.engine.validated.seq, closed_ledger_index: this.engine.closed.seq,
          open_ledger_index: this.engine.open.seq, open_tx_count: this.engine.open.txs.length,
          held: this.engine.held.map((h) => h.hash),
          txq: { size: this.engine.txq.length, ...this.engine.txqStats },
        });
      default:
        return { body: errorBody(rpc.rpcErr('unknownCmd').fields) };
    }
  }

  // ---------------------------------------------------------------------
  // JSON-RPC over HTTP on the WebSocket port: POST {"method", "params": [{}]}
  // answers {"result": {..., "status"}} as rippled does. Subscriptions need
  // a WebSocket.

  onJsonRpc(req, res) {
    const reply = (status, obj) => {
      const body = JSON.stringify(obj);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'POST') {
      reply(405, { error: 'Use POST (JSON-RPC) or a WebSocket upgrade' });
      return;
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; if (raw.length > 1 << 20) req.destroy(); });
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(raw);
      } catch (e) {
        body = undefined;
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        reply(400, { result: { error: 'jsonInvalid', status: 'error' } });
        return;
      }
      const params = Array.isArray(body.params) && body.params[0] && typeof body.params[0] === 'object' ? body.params[0] : {};
      const rq = { ...params, command: body.method };
      let out;
      if (rq.command === 'subscribe' || rq.command === 'unsubscribe') {
        out = { body: { status: 'error', ...rpc.rpcErr('notSupported', 'Subscriptions need a WebSocket.').fields, request: rq } };
      } else {
        const conn = { ws: null, streams: new Set(), accounts: new Set(), accountsProposed: new Set(), apiVersion: 1 };
        out = this.dispatch(conn, rq);
      }
      const b = out.body;
      let result;
      if (b.status === 'success') result = { ...b.result, status: 'success' };
      else {
        result = { ...b };
        delete result.type;
        delete result.id;
      }
      reply(200, { result });
      if (out.after) out.after();
    });
  }

  // ---------------------------------------------------------------------
  // Faucet look-alike: POST /accounts.

  onFaucet(req, res) {
    const reply = (status, obj) => {
      const body = JSON.stringify(obj);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'POST' || req.url.split('?')[0] !== '/accounts') {
      reply(404, { error: 'Not found' });
      return;
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; if (raw.length > 65536) req.destroy(); });
    req.on('end', () => {
      let body = {};
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
        } catch (e) {
          reply(400, { error: 'Invalid JSON' });
          return;
        }
        if (!body || typeof body !== 'object') body = {};
      }
      const out = this.fund(body);
      reply(out.status, out.body);
    });
  }

  // Funds a new or given account from genesis with a signed Payment applied
  // by the engine. Returns {status, body} in the public faucet's format.
  fund(body) {
    let xrp = DEFAULT_FAUCET_XRP;
    if (body.xrpAmount !== undefined) {
      const s = String(body.xrpAmount);
      if (!/^\d+$/.test(s) || BigInt(s) <= 0n || BigInt(s) > 10000000000n) {
        return { status: 400, body: { error: 'Invalid amount', detail: 'Must be an integer' } };
      }
      xrp = Number(s);
    }
    let seed;
    let classic;
    if (body.destination !== undefined) {
      let d = body.destination;
      if (typeof d === 'string' && addr.isValidXAddress(d)) d = addr.xAddressToClassicAddress(d).classicAddress;
      if (!U.isValidClassic(d)) return { status: 400, body: { error: 'Invalid destination' } };
      classic = d;
    } else {
      seed = kp.generateSeed({ algorithm: 'ed25519' });
      classic = kp.deriveAddress(kp.deriveKeypair(seed).publicKey);
    }
    const account = { xAddress: addr.classicAddressToXAddress(classic, false, true), classicAddress: classic, address: classic };
    if (seed) account.secret = seed;
    const e = this.engine;
    const g = e.readAccount(e.open.state, GENESIS_ACCOUNT);
    const tx = {
      TransactionType: 'Payment', Account: GENESIS_ACCOUNT, Destination: classic,
      Amount: (BigInt(xrp) * 1000000n).toString(), Fee: String(e.openLedgerFee()), Flags: 0, Sequence: g.Sequence,
      LastLedgerSequence: e.open.seq + 20, SigningPubKey: e.genesisKeys.publicKey,
    };
    if (e.networkId !== undefined && e.networkId > 1024) tx.NetworkID = e.networkId;
    tx.TxnSignature = kp.sign(codec.encodeForSigning(tx), e.genesisKeys.privateKey);
    const dec = e.decodeBlob(codec.encode(tx));
    const out = e.submitDecoded(dec, { noForce: true });
    if (out.applied) this.publishProposed(dec, out.result);
    if (!out.applied || out.result !== 'tesSUCCESS') {
      this.log('faucet payment failed', out.result);
      return { status: 500, body: { error: 'Unable to fund account. Try again later', account } };
    }
    const acct = e.readAccount(e.open.state, classic);
    const bodyOut = { account, amount: xrp, balance: U.dropsToXrpNumber(acct.Balance), transactionHash: dec.hash };
    if (seed) bodyOut.seed = seed;
    return { status: 200, body: bodyOut };
  }
}

function maskSecrets(req) {
  const r = { ...req };
  for (const k of ['secret', 'seed', 'seed_hex', 'passphrase']) if (r[k] !== undefined) r[k] = '<masked>';
  return r;
}

function parseArgs(argv) {
  const opts = { port: 6006, closeMs: 1000, networkId: 1, log: (...a) => console.error(...a) };
  const num = (flag, v) => {
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--port': opts.port = num(a, v); i++; break;
      case '--faucet-port': opts.faucetPort = num(a, v); i++; break;
      case '--close-ms': opts.closeMs = num(a, v); i++; break;
      case '--network-id': opts.networkId = num(a, v); i++; break;
      case '--close-resolution': opts.closeResolution = Math.max(1, num(a, v)); i++; break;
      case '--history': opts.history = num(a, v); i++; break;
      case '--txq-target': opts.txqTarget = num(a, v); i++; break;
      case '--txq-size': opts.txqMax = Math.max(1, num(a, v)); i++; break;
      case '--txq-load': opts.txqLoad = num(a, v); i++; break;
      case '--validation-lag': opts.validationLag = Math.min(2, num(a, v)); i++; break;
      case '--base-fee': opts.baseFee = Math.max(1, num(a, v)); i++; break;
      case '--reserve-base': opts.reserveBase = num(a, v); i++; break;
      case '--reserve-inc': opts.reserveInc = num(a, v); i++; break;
      case '--close-order':
        if (v !== 'canonical' && v !== 'submit') throw new Error('--close-order needs canonical or submit');
        opts.closeOrder = v;
        i++;
        break;
      case '-h': case '--help':
        console.log('usage: server.js --port PORT [--faucet-port PORT] [--close-ms MS] [--network-id N] '
          + '[--close-resolution S] [--close-order canonical|submit] [--base-fee DROPS] [--reserve-base DROPS] '
          + '[--reserve-inc DROPS] [--history N]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`server.js: ${e.message}`);
    process.exit(2);
  }
  const s = new StandIn(opts);
  await s.start();
  console.log(`xrpl-standin listening ws=${s.port} faucet=${s.faucetPort ?? '-'}`);
  const stop = () => s.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`server.js: ${e.message}`);
    process.exit(1);
  });
}

module.exports = { StandIn, parseArgs };
