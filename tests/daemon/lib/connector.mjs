// A connector test double (the accounting-system side of RFC 0038): an
// HTTP server on 127.0.0.1 that records every request and answers from a
// script.  It credits settlements once per Idempotency-Key, like a real
// connector, so a test can check "credited exactly once".
import http from 'node:http';

export class Connector {
  constructor() {
    this.requests = [];      // every request: {method, path, headers, body}
    this.credited = new Map(); // idempotency key -> amount string
    this.script = [];        // responders for the next settlement requests
    this.msgScript = [];     // responders for the next message requests
    this.fallback = (req) => defaultReply(req);
  }

  // Queues responders for the next credits (POST .../settlements): a
  // status number, an object {status, body, headers}, 'hang' (never
  // answer), or 'reset' (destroy the socket).  nextMessage: the same for
  // POST .../messages.  Other requests get the default reply.
  next(...rs) { this.script.push(...rs); return this; }
  nextMessage(...rs) { this.msgScript.push(...rs); return this; }

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  handle(req, res, body) {
    const rec = { method: req.method, path: req.url, headers: req.headers, body: body.toString('utf8'), at: Date.now() };
    this.requests.push(rec);
    const q = /\/settlements$/.test(req.url) ? this.script : /\/messages$/.test(req.url) ? this.msgScript : [];
    let r = q.length ? q.shift() : this.fallback(rec);
    if (typeof r === 'number') r = { status: r };
    if (r === 'hang') { this.hung = this.hung || []; this.hung.push(res); return; }
    if (r === 'reset') { req.socket.destroy(); return; }
    if (r.status >= 200 && r.status < 300 && /\/settlements$/.test(req.url)) {
      const key = req.headers['idempotency-key'];
      if (!this.credited.has(key)) this.credited.set(key, JSON.parse(rec.body).amount);
    }
    res.writeHead(r.status, r.headers || {});
    res.end(r.body === undefined ? '' : r.body);
  }

  settlements() { return this.requests.filter((r) => /\/settlements$/.test(r.path)); }
  messages() { return this.requests.filter((r) => /\/messages$/.test(r.path)); }

  async waitFor(pred, ms = 5000) {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the connector double');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close() {
    for (const res of this.hung || []) res.socket && res.socket.destroy();
    this.server.closeAllConnections && this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

// interledger-rs style: 201 "RECEIVED" without a content type.
function defaultReply(req) {
  if (/\/messages$/.test(req.path))
    return { status: 201, headers: { 'Content-Type': 'application/octet-stream' }, body: '{"type":"pong"}' };
  return { status: 201, body: 'RECEIVED' };
}
