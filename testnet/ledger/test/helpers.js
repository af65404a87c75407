'use strict';
// Shared helpers for the stand-in's tests: start server.js as a child process
// on free ports, a small WebSocket client with request/response matching and
// a stream-message queue, and signing helpers built directly on
// ripple-keypairs + ripple-binary-codec (independent of the server code).

const { spawn } = require('child_process');
const path = require('path');
const crypto = require('crypto');
const WebSocket = require('ws');
const codec = require('ripple-binary-codec');
const kp = require('ripple-keypairs');
const addr = require('ripple-address-codec');

const SERVER = path.join(__dirname, '..', 'server.js');
const GENESIS = wallet('snoPBrXtMeMyMHUVTgbuqAfg1SUTb');

// Starts the server; resolves {port, faucetPort, url, faucetUrl, stop()}.
function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const full = ['--port', '0', '--faucet-port', '0', '--close-ms', '0', ...args];
    const proc = spawn(process.execPath, [SERVER, ...full], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening ws=(\d+) faucet=(\d+|-)/.exec(out);
      if (m) {
        const port = Number(m[1]);
        const faucetPort = m[2] === '-' ? undefined : Number(m[2]);
        resolve({
          proc, port, faucetPort, url: `ws://127.0.0.1:${port}`,
          faucetUrl: faucetPort && `http://127.0.0.1:${faucetPort}`,
          stderr: () => err,
          stop: () => new Promise((res) => { proc.once('exit', res); proc.kill('SIGTERM'); }),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

class Client {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.messages = []; // stream messages (no id)
    this.waiters = [];
    this.raw = []; // every message received
  }

  open() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url);
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.closed = new Promise((res) => this.ws.once('close', res));
      this.ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        this.raw.push(msg);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          p(msg);
          return;
        }
        this.messages.push(msg);
        this.wake();
      });
    });
  }

  wake() {
    for (const w of [...this.waiters]) {
      const i = this.messages.findIndex(w.pred);
      if (i >= 0) {
        const [m] = this.messages.splice(i, 1);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  }

  // Sends a request (adds an id) and resolves with the whole response.
  request(obj) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, ...obj }));
    });
  }

  // Like request() but returns `result` and throws on an error envelope.
  async call(obj) {
    const r = await this.request(obj);
    if (r.status !== 'success') throw new Error(`${obj.command}: ${JSON.stringify(r)}`);
    return r.result;
  }

  sendRaw(text) {
    const id = this.nextId;
    this.ws.send(text);
    return id;
  }

  // Resolves with the next unsolicited message matching pred.
  waitFor(pred, ms = 3000) {
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error('timeout waiting for stream message'));
      }, ms);
      this.waiters.push(w);
      this.wake();
    });
  }

  close() {
    this.ws.close();
  }
}

async function connect(url) {
  const c = new Client(url);
  await c.open();
  return c;
}

function wallet(seed) {
  const k = kp.deriveKeypair(seed);
  return { seed, publicKey: k.publicKey, privateKey: k.privateKey, address: kp.deriveAddress(k.publicKey) };
}

function newWallet(algorithm = 'ed25519') {
  return wallet(kp.generateSeed({ algorithm, entropy: crypto.randomBytes(16) }));
}

function sha512Half(hex) {
  return crypto.createHash('sha512').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 64).toUpperCase();
}

// Signs tx (fields as JSON) with w; returns {blob, hash, tx}.
function sign(tx, w) {
  const t = { Fee: '10', Flags: 0, ...tx, SigningPubKey: w.publicKey };
  t.TxnSignature = kp.sign(codec.encodeForSigning(t), w.privateKey);
  const blob = codec.encode(t);
  return { blob, hash: sha512Half('54584E00' + blob), tx: t };
}

function channelId(src, dst, seq) {
  const id = (a) => Buffer.from(addr.decodeAccountID(a)).toString('hex');
  return sha512Half('0078' + id(src) + id(dst) + seq.toString(16).padStart(8, '0'));
}

function claimSignature(channel, amount, w) {
  return kp.sign(codec.encodeForSigningClaim({ channel, amount: String(amount) }), w.privateKey);
}

// Ledger helper bound to one client.
class Ledger {
  constructor(client) {
    this.c = client;
  }

  async accept() {
    return (await this.c.call({ command: 'ledger_accept' })).ledger_current_index;
  }

  async info(account, ledger_index = 'current') {
    const r = await this.c.request({ command: 'account_info', account, ledger_index });
    return r.status === 'success' ? r.result.account_data : null;
  }

  async balance(account) {
    const a = await this.info(account);
    return a ? BigInt(a.Balance) : null;
  }

  async seq(account) {
    return (await this.info(account)).Sequence;
  }

  // Signs (with the account's next sequence unless given) and submits.
  async submit(tx, w, opts = {}) {
    const t = { ...tx, Account: w.address };
    if (t.Sequence === undefined) t.Sequence = await this.seq(w.address);
    const s = sign(t, w);
    const r = await this.c.request({ command: 'submit', tx_blob: s.blob, ...opts });
    return { ...r.result, response: r, hash: s.hash, tx: s.tx, blob: s.blob };
  }

  // Submits, closes the ledger and returns the validated result token.
  async apply(tx, w) {
    const r = await this.submit(tx, w);
    await this.accept();
    const t = await this.c.request({ command: 'tx', transaction: r.hash, api_version: 2 });
    return { submit: r, tx: t.result, result: t.status === 'success' && t.result.meta ? t.result.meta.TransactionResult : r.engine_result };
  }

  async fund(address, xrp) {
    const r = await this.apply({ TransactionType: 'Payment', Destination: address, Amount: String(BigInt(xrp) * 1000000n) }, GENESIS);
    if (r.result !== 'tesSUCCESS') throw new Error('fund failed ' + r.result);
    return r;
  }

  async entry(index) {
    const r = await this.c.request({ command: 'ledger_entry', index, ledger_index: 'current' });
    return r.status === 'success' ? r.result.node : null;
  }

  async closeTime() {
    const r = await this.c.call({ command: 'ledger', ledger_index: 'validated' });
    return r.ledger.close_time;
  }
}

const XRP = (n) => String(BigInt(n) * 1000000n);

module.exports = {
  startServer, connect, wallet, newWallet, sign, channelId, claimSignature, sha512Half, Ledger, GENESIS, XRP,
};
