// Test harness for the daemon's black-box suites: starts the real
// build/xrpse on a free loopback port with a temporary database, talks to
// it over HTTP (fetch, or raw sockets for HTTP-level cases), reads the
// database with the sqlite3 CLI, and fails a test when the daemon logs a
// BROKEN line that the test did not expect.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import freePortsModule from '../../../testnet/scripts/free-ports.js';

const { freePorts } = freePortsModule;

export const XRPSE = process.env.XRPSE_BIN ||
  path.resolve(new URL('.', import.meta.url).pathname, '../../../build/xrpse');

// The genesis account's seed: address rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh.
export const SEED = 'snoPBrXtMeMyMHUVTgbuqAfg1SUTb';
export const ADDRESS = 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh';

export function tmpdir() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'xrpse-test-'));
  return d;
}

// A free loopback port from below the ephemeral range (see
// testnet/scripts/free-ports.js for why not port 0).
export async function freePort() {
  const [port] = await freePorts(1);
  return port;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs xrpse with args to completion; returns {code, stdout, stderr}.
export function runXrpse(args, { env = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const p = spawn(XRPSE, args, {
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('XRPSE_')) delete env[k];
  return env;
}

const live = new Set();
process.on('exit', () => { for (const p of live) p.kill('SIGKILL'); });

// Whether an answer is the 503 a settlement read right after the daemon
// was held past a second gets: nothing applied, to be sent again.
export const isStalled = (status, text) => status === 503 && /store was stalled/.test(text);

export class Daemon {
  // opts: dir (reused across restarts), connectorUrl, args (extra), env
  constructor(opts = {}) {
    this.dir = opts.dir || tmpdir();
    this.db = path.join(this.dir, 'xrpse.db');
    this.seedFile = path.join(this.dir, 'seed');
    writeFileSync(this.seedFile, SEED + '\n', { mode: 0o600 });
    this.connectorUrl = opts.connectorUrl || 'http://127.0.0.1:9';
    this.extra = opts.args || [];
    this.env = opts.env || {};
    this.log = '';
    this.allowBroken = false;
  }

  args() {
    return ['run', '--listen', `127.0.0.1:${this.port}`,
      '--connector-url', this.connectorUrl,
      '--rippled-url', 'ws://127.0.0.1:9',
      '--seed-file', this.seedFile, '--db', this.db,
      '--dev-api', '--dev-retry-base-ms', '50', '--dev-cron-ms', '20',
      ...this.extra];
  }

  async start() {
    this.port = this.fixedPort || await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(XRPSE, this.args(), {
      env: { ...cleanEnv(), ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Never keep the test process alive; kill leftovers when it exits.
    this.proc.unref();
    this.proc.stderr.unref();
    live.add(this.proc);
    this.proc.on('exit', () => live.delete(this.proc));
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.proc.stderr.on('data', (d) => {
      this.log += d;
      if (process.env.XRPSE_TEST_VERBOSE) process.stderr.write(d);
    });
    const deadline = Date.now() + 15000;
    for (;;) {
      if (this.proc.exitCode !== null)
        throw new Error(`xrpse exited at start: ${this.log}`);
      try {
        if (await this.answers()) return this;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`xrpse did not start: ${this.log}`);
      await sleep(30);
    }
  }

  // Graceful stop; returns the exit {code, signal}.
  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode)
      return this.exited;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  async kill9() {
    return this.stop('SIGKILL');
  }

  async restart() {
    await this.stop();
    return this.start();
  }

  brokenLines() {
    return this.log.split('\n').filter((l) => / BROKEN /i.test(l) || /\bbroken\b/.test(l.split(' ')[1] || ''));
  }

  // Asserts no BROKEN line was logged (unless allowed) and cleans up.
  async close({ keep = false } = {}) {
    const running = this.proc && this.proc.exitCode === null && !this.proc.signalCode;
    const ex = await this.stop();
    if (running && ex.code !== 0)
      throw new Error(`xrpse exited ${ex.code}/${ex.signal} on SIGTERM:\n${this.log}`);
    if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(this.log))
      throw new Error('sanitizer report:\n' + this.log);
    const broken = this.log.split('\n').filter((l) => /\bBROKEN\b/.test(l));
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
    if (broken.length && !this.allowBroken)
      throw new Error('daemon logged BROKEN:\n' + broken.join('\n'));
  }

  // Whether /health answers as it does once the daemon serves: 200, or
  // 503 naming its failed checks (no rippled in most suites).
  async answers() {
    const r = await fetch(this.base + '/health');
    if (r.status !== 200 && r.status !== 503) return false;
    const b = await r.json();
    return typeof b.version === 'string' && Array.isArray(b.problems);
  }

  async req(method, p, { body, headers = {}, json = true } = {}) {
    const h = { ...headers };
    let b = body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      b = JSON.stringify(body);
    }
    if (b !== undefined && json && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
      h['Content-Type'] = 'application/json';
    const r = await fetch(this.base + p, { method, headers: h, body: b });
    const text = await r.text();
    let parsed;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: r.status, headers: r.headers, text, body: parsed };
  }

  createAccount(id) {
    return this.req('POST', '/accounts', { body: id === undefined ? {} : { id } });
  }

  // A settlement read right after the daemon was held past a second (a
  // loaded test host pausing it) is answered 503 "the store was stalled",
  // nothing applied; as a connector does, it is sent again with the same
  // key, unless the test looks at that answer itself (retryStalled false).
  async settle(account, quantity, key, headers = {}, { retryStalled = true } = {}) {
    const h = { ...headers };
    if (key !== undefined) h['Idempotency-Key'] = key;
    const until = Date.now() + 30000;
    for (;;) {
      const r = await this.req('POST', `/accounts/${account}/settlements`, { body: quantity, headers: h });
      if (!retryStalled || Date.now() > until || !isStalled(r.status, r.text)) return r;
      await sleep(300);
    }
  }

  async account(id) {
    const r = await this.req('GET', `/dev/accounts/${id}`);
    return r;
  }

  async owed(id) {
    const r = await this.account(id);
    if (r.status !== 200) throw new Error(`dev account ${id}: ${r.status} ${r.text}`);
    return BigInt(r.body.owed_drops);
  }

  sql(query) {
    return execFileSync('sqlite3', ['-bail', this.db, query], { encoding: 'utf8' }).trim();
  }
}

// Sends raw bytes on one TCP connection and collects everything the
// server sends until it closes or `quietMs` passes without data.
// `expect`: the number of complete answers the exchange waits for before
// its quiet timer starts, so a slow machine (a loaded CI host, a sanitizer
// build) never ends an exchange before the server has answered; the total
// timer is then long, and only a hung server reaches it.
export function rawExchange(port, chunks, { quietMs = 300, totalMs, expect = 0 } = {}) {
  if (totalMs === undefined) totalMs = expect ? 30000 : 5000;
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = Buffer.alloc(0);
    let timer;
    let written = false;
    const done = () => { clearTimeout(timer); clearTimeout(total); s.destroy(); resolve(out.toString('latin1')); };
    const arm = () => {
      clearTimeout(timer);
      if (written && parseResponses(out.toString('latin1')).filter((r) => r.complete).length >= expect)
        timer = setTimeout(done, quietMs);
    };
    const total = setTimeout(done, totalMs);
    s.on('data', (d) => { out = Buffer.concat([out, d]); arm(); });
    s.on('end', done);
    s.on('error', (e) => { if (out.length) done(); else { clearTimeout(total); reject(e); } });
    s.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await sleep(c);
        else s.write(c);
      }
      written = true;
      arm();
    });
  });
}

// Splits a raw HTTP/1.1 response stream into [{status, headers, body,
// complete}]; complete: the whole body has arrived.
export function parseResponses(raw) {
  const res = [];
  let rest = raw;
  while (rest.length) {
    const he = rest.indexOf('\r\n\r\n');
    if (he < 0) break;
    const head = rest.slice(0, he).split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = {};
    for (const l of head.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    const body = rest.slice(he + 4, he + 4 + len);
    res.push({ status, headers, body, complete: body.length === len });
    rest = rest.slice(he + 4 + len);
  }
  return res;
}
