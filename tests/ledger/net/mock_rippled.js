// A tiny scripted rippled look-alike for the connection-layer tests of the
// C client (tests/ledger/net/test_ws.c): the behaviours the real ledger
// stand-in (testnet/ledger) has no reason to offer — malformed and huge
// frames, replies to unknown ids, a server that stops answering — driven by
// "mock_*" commands sent over the same socket.  Not a ledger: transactions
// and channels are tested against testnet/ledger.
//
// Usage: node mock_rippled.js --port N [--network-id N | --no-network-id]
//        [--channels N]   (our account has N channels, paged by 2)
'use strict';
const path = require('path');
const WebSocket = require(path.join(__dirname, '../../../testnet/node_modules/ws'));

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}
const port = Number(opt('--port', '0'));
const noNetworkId = args.includes('--no-network-id');
const networkId = Number(opt('--network-id', '1'));
const nchannels = Number(opt('--channels', '0'));
const markerLoop = args.includes('--marker-loop'); // account_channels never ends

let ledger = 10;
let silent = false; // stop answering requests (keep the socket)
let connections = 0;
const clients = new Set();

function channel(i, dst) {
  return {
    account: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh',
    amount: '1000000', balance: '0',
    channel_id: i.toString(16).toUpperCase().padStart(64, '0'),
    destination_account: dst || 'rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL',
    public_key_hex: '0330E7FC9D56BB25D6893BA3F317AE5BCF33B3291BD63DB32654A313222F7FD020',
    settle_delay: 86400,
  };
}

function reply(ws, req, result) {
  const m = { id: req.id, status: 'success', type: 'response', result };
  if (req.api_version !== undefined) m.api_version = req.api_version;
  ws.send(JSON.stringify(m));
}
function error(ws, req, err, extra) {
  ws.send(JSON.stringify(Object.assign({ id: req.id, status: 'error', type: 'response',
    error: err, request: req }, extra || {})));
}

function closeLedger() {
  ledger++;
  const m = JSON.stringify({ type: 'ledgerClosed', ledger_index: ledger,
    ledger_hash: 'A'.repeat(64), ledger_time: 1, fee_base: 10,
    reserve_base: 1000000, reserve_inc: 200000, txn_count: 0 });
  for (const c of clients) if (c.subLedger) c.send(m);
}

// --tls-cert/--tls-key: serve wss:// (the client must refuse an untrusted
// certificate).
let wss;
if (opt('--tls-cert')) {
  const https = require('https');
  const fs = require('fs');
  const srv = https.createServer({ cert: fs.readFileSync(opt('--tls-cert')),
    key: fs.readFileSync(opt('--tls-key')) });
  wss = new WebSocket.Server({ server: srv });
  srv.listen(port, '127.0.0.1', () => console.log('listening ' + srv.address().port));
} else {
  wss = new WebSocket.Server({ host: '127.0.0.1', port });
  wss.on('listening', () => {
    console.log('listening ' + wss.address().port);
  });
}
wss.on('connection', (ws) => {
  connections++;
  clients.add(ws);
  ws.on('close', () => clients.delete(ws));
  ws.on('message', (data) => {
    let req;
    try { req = JSON.parse(data.toString()); } catch (e) {
      ws.send(JSON.stringify({ type: 'error', error: 'jsonInvalid' }));
      return;
    }
    const cmd = req.command;
    if (cmd && cmd.startsWith('mock_')) return control(ws, req);
    if (silent) return;
    switch (cmd) {
      case 'ping': return reply(ws, req, {});
      case 'server_info': {
        const info = { server_state: 'full', complete_ledgers: '2-' + ledger,
          validated_ledger: { seq: ledger, base_fee_xrp: 0.00001, hash: 'A'.repeat(64),
            reserve_base_xrp: 1, reserve_inc_xrp: 0.2, age: 0 } };
        if (!noNetworkId) info.network_id = networkId;
        return reply(ws, req, { info });
      }
      case 'subscribe':
        if ((req.streams || []).includes('ledger')) ws.subLedger = true;
        return reply(ws, req, { ledger_index: ledger, ledger_time: 1, fee_base: 10,
          reserve_base: 1000000, reserve_inc: 200000 });
      case 'account_info':
        return reply(ws, req, { account_data: { Account: req.account,
          Balance: '99000000', Sequence: 7, OwnerCount: nchannels, Flags: 0 },
          ledger_index: ledger, validated: true });
      case 'account_channels': {
        if (req.destination_account && req.account !== 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh') {
          if (req.account === 'rPEPPER7kfTD9w2To4CQk6UCfuHM9c6GDY')
            return error(ws, req, 'actNotFound', { error_code: 19 });
          return reply(ws, req, { account: req.account, channels: [channel(1000, req.destination_account)],
            ledger_index: ledger, validated: true });
        }
        if (markerLoop)
          return reply(ws, req, { account: req.account, channels: [], marker: '0,0', limit: 2,
            ledger_index: ledger, validated: true });
        const start = req.marker ? Number(req.marker.split(',')[0]) : 0;
        const out = [];
        for (let i = start; i < nchannels && out.length < 2; i++) out.push(channel(i));
        const r = { account: req.account, channels: out, ledger_index: ledger, validated: true };
        if (start + out.length < nchannels) { r.marker = (start + out.length) + ',0'; r.limit = 2; }
        return reply(ws, req, r);
      }
      case 'tx': return error(ws, req, 'txnNotFound', { error_code: 29 });
      case 'slow': return setTimeout(() => reply(ws, req, { slow: true }), Number(req.ms || 500));
      default: return error(ws, req, 'unknownCmd', { error_code: 32 });
    }
  });
});

function control(ws, req) {
  const ok = () => reply(ws, req, { connections });
  switch (req.command) {
    case 'mock_stats': return ok();
    case 'mock_close_ledger': closeLedger(); return ok();
    case 'mock_silent': silent = !!req.on; return ok();
    // Raw text frame(s), then the reply.
    case 'mock_send_raw': ws.send(String(req.text)); return ok();
    case 'mock_send_binary': ws.send(Buffer.from('{"type":"ledgerClosed"}'), { binary: true }); return ok();
    case 'mock_send_huge': {
      const big = '{"type":"ledgerClosed","ledger_index":999,"pad":"' + 'x'.repeat(Number(req.size)) + '"}';
      ws.send(big); return ok();
    }
    case 'mock_reply_foreign': // a reply with an id we never used, then ours
      ws.send(JSON.stringify({ id: 987654, status: 'success', type: 'response', result: {} }));
      ws.send(JSON.stringify({ id: 'x', status: 'success', type: 'response', result: {} }));
      return ok();
    case 'mock_drop_all': ok(); for (const c of clients) c.terminate(); return;
    case 'mock_lgr_not_found': // a server that lacks the ledger asked for
      return error(ws, req, 'lgrNotFound', { error_code: 21 });
    case 'mock_not_synced': // API v2: a server not synced to the network
      return error(ws, req, 'notSynced', { error_code: 55 });
    case 'mock_reply_bad': // a reply with our id but no result object
      ws.send(JSON.stringify({ id: req.id, status: 'success', type: 'response', result: 5 }));
      return;
    default: return error(ws, req, 'unknownCmd');
  }
}
setInterval(() => { if (!silent) closeLedger(); }, Number(opt('--close-ms', '200')));
