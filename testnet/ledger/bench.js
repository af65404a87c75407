#!/usr/bin/env node
'use strict';
// Benchmark of the rippled stand-in: starts server.js on a free port and
// prints figures (no assertions): ping round trip, submit latency and
// throughput for pre-signed XRP payments, channel claims, and the time of a
// ledger_accept that closes a full ledger. Usage: node bench.js [N]

const { performance } = require('perf_hooks');
const H = require('./test/helpers');

function stats(ms) {
  const s = ms.slice().sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms, max ${s[s.length - 1].toFixed(3)} ms`;
}

async function timed(n, fn) {
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    await fn(i);
    lat.push(performance.now() - a);
  }
  const total = performance.now() - t0;
  return { lat, total, rate: (n / total) * 1000 };
}

async function main() {
  const n = Number(process.argv[2] || 2000);
  const srv = await H.startServer();
  const c = await H.connect(srv.url);
  const L = new H.Ledger(c);
  try {
    let r = await timed(1000, () => c.call({ command: 'ping' }));
    console.log(`ping x1000: ${stats(r.lat)}`);
    r = await timed(1000, () => c.call({ command: 'server_info' }));
    console.log(`server_info x1000: ${stats(r.lat)}`);

    const alice = H.newWallet('ecdsa-secp256k1');
    const bob = H.newWallet();
    await L.fund(alice.address, 1000000);
    await L.fund(bob.address, 1000);
    let seq = await L.seq(alice.address);
    const blobs = [];
    for (let i = 0; i < n; i++) {
      blobs.push(H.sign({ TransactionType: 'Payment', Account: alice.address, Destination: bob.address, Amount: '1', Sequence: seq + i }, alice).blob);
    }
    r = await timed(n, async (i) => {
      const x = await c.call({ command: 'submit', tx_blob: blobs[i] });
      if (x.engine_result !== 'tesSUCCESS') throw new Error(x.engine_result);
    });
    console.log(`submit payment x${n}: ${stats(r.lat)}, ${r.rate.toFixed(0)} tx/s sequential`);
    let a = performance.now();
    await L.accept();
    console.log(`ledger_accept with ${n} txs: ${(performance.now() - a).toFixed(1)} ms`);

    // Channel claims by the destination (claim signature + tx signature checks).
    seq = await L.seq(alice.address);
    await L.apply({ TransactionType: 'PaymentChannelCreate', Destination: bob.address, Amount: '100000000000',
      SettleDelay: 3600, PublicKey: alice.publicKey, Sequence: seq }, alice);
    const chan = H.channelId(alice.address, bob.address, seq);
    const bseq = await L.seq(bob.address);
    const claims = [];
    const m = Math.min(n, 1000);
    for (let i = 0; i < m; i++) {
      const amt = String(1000 * (i + 1));
      claims.push(H.sign({ TransactionType: 'PaymentChannelClaim', Account: bob.address, Channel: chan, Balance: amt,
        Signature: H.claimSignature(chan, amt, alice), PublicKey: alice.publicKey, Sequence: bseq + i }, bob).blob);
    }
    r = await timed(m, async (i) => {
      const x = await c.call({ command: 'submit', tx_blob: claims[i] });
      if (x.engine_result !== 'tesSUCCESS') throw new Error(x.engine_result);
    });
    console.log(`submit claim x${m}: ${stats(r.lat)}, ${r.rate.toFixed(0)} tx/s sequential`);
    a = performance.now();
    await L.accept();
    console.log(`ledger_accept with ${m} claims: ${(performance.now() - a).toFixed(1)} ms`);
    r = await timed(200, () => L.accept());
    console.log(`ledger_accept (empty) x200: ${stats(r.lat)}`);
  } finally {
    c.close();
    await srv.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
