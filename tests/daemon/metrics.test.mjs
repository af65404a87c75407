// GET /metrics and /health against the ledger stand-in
// (testnet/ledger/server.js): the exposition passes Debian's
// `promtool check metrics`, the values move after a settlement, and drops
// left unpaid past --owed-alert make one BROKEN line, a failed "owed"
// check (503) and xrpse_alerts{kind="owed"} 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Daemon, sleep } from './lib/harness.mjs';

const STANDIN = path.resolve(new URL('.', import.meta.url).pathname, '../../testnet/ledger/server.js');

function startLedger() {
  const p = spawn(process.execPath, [STANDIN, '--port', '0', '--close-ms', '200', '--network-id', '1'],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  p.unref();
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ws=(\d+)/);
      if (m) resolve({ proc: p, url: `ws://127.0.0.1:${m[1]}` });
    });
    p.on('exit', (code) => reject(new Error(`ledger stand-in exited ${code}`)));
  });
}

// The samples of an exposition: "name{labels}" -> number.
function samples(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'promtool missing: run scripts/install-deps');
  assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
}

async function until(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('metrics pass promtool, move after a settlement; health turns on rippled and owed drops', async () => {
  const ledger = await startLedger();
  const d = new Daemon({ args: ['--network-id', '1', '--owed-alert', '2s'] });
  const args = d.args.bind(d);
  d.args = () => { const a = args(); a[a.indexOf('--rippled-url') + 1] = ledger.url; return a; };
  d.allowBroken = true; // the owed alert below
  try {
    await d.start();
    // rippled connected, a fresh validated ledger, the connector never
    // needed, nothing owed: 200.
    const ok = await until('a healthy daemon', async () => {
      const h = await d.req('GET', '/health');
      return h.status === 200 && h;
    });
    assert.equal(ok.body.status, 'ok');
    assert.deepEqual(ok.body.problems, []);

    let r = await d.req('GET', '/metrics', { json: false });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    promtool(r.text);
    let s = samples(r.text);
    assert.equal(s.get('xrpse_build_info{version="' + ok.body.version + '"}'), 1);
    assert.equal(s.get('xrpse_rippled_connected'), 1);
    assert.ok(s.get('xrpse_validated_ledger_index') > 0);
    assert.ok(s.get('xrpse_validated_ledger_age_seconds') <= 5);
    assert.ok(s.get('xrpse_account_balance_drops') > 0);
    assert.ok(s.get('xrpse_account_reserve_drops') > 0);
    assert.equal(s.get('xrpse_settlements_received_total'), 0);
    assert.equal(s.get('xrpse_alerts{kind="rippled"}'), 0);
    for (const k of ['credit', 'message'])
      for (const st of ['pending', 'parked', 'delivered'])
        assert.ok(s.has(`xrpse_outbox_calls{kind="${k}",state="${st}"}`), `${k} ${st}`);
    for (const res of ['accepted', 'no_channel', 'wrong_channel', 'not_ours', 'cancel_after', 'closing',
      'settle_delay', 'bad_signature', 'above_capacity', 'not_increasing'])
      assert.equal(s.get(`xrpse_claims_received_total{result="${res}"}`), 0, res);

    // A settlement: the counters, the histogram and the owed drops move
    // (no peer answers: the account stays unpaired, its drops unpaid).
    assert.equal((await d.createAccount('m1')).status, 201);
    assert.equal((await d.settle('m1', { amount: '5', scale: 0 }, 'mk1')).status, 201);
    assert.equal((await d.settle('m1', { amount: '5', scale: 0 }, 'mk1')).status, 201); // a replay
    s = await until('the owed drops', async () => {
      const m = samples((await d.req('GET', '/metrics', { json: false })).text);
      return m.get('xrpse_owed_unpaid_drops') === 5000000 && m;
    });
    assert.equal(s.get('xrpse_settlements_received_total'), 2);
    assert.equal(s.get('xrpse_settlements_acknowledged_total'), 2);
    assert.equal(s.get('xrpse_settled_drops_total'), 5000000);
    assert.equal(s.get('xrpse_settlement_answer_seconds_count'), 2);
    assert.equal(s.get('xrpse_settlement_answer_seconds_bucket{le="+Inf"}'), 2);
    assert.equal(s.get('xrpse_message_answer_seconds_count'), 0);

    // A peer's messages applied in a batch, answered 201 or refused:
    // each timed from its request to its answer; one of an unknown type
    // is refused before it reaches a batch and is not timed.
    const msg = (body) => d.req('POST', '/accounts/m1/messages', {
      body, json: false, headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal((await msg('{"type":"ping"}')).status, 201);
    assert.equal((await msg('{"type":"paymentDetails"}')).status, 400);
    assert.equal((await msg('{"type":"claim"}')).status, 400);
    s = samples((await d.req('GET', '/metrics', { json: false })).text);
    assert.equal(s.get('xrpse_message_answer_seconds_count'), 2);
    assert.equal(s.get('xrpse_message_answer_seconds_bucket{le="+Inf"}'), 2);
    assert.equal(s.get('xrpse_settlement_answer_seconds_count'), 2);
    // Each request came alone, so each was a batch with a commit of
    // its own (the account's and the two settlements'), each timed.
    assert.ok(s.get('xrpse_store_commit_seconds_count') >= 3);
    assert.equal(s.get('xrpse_store_commit_seconds_bucket{le="+Inf"}'), s.get('xrpse_store_commit_seconds_count'));
    // The stages of a settlement's latency, in buckets fine enough for
    // milliseconds: the settlement waits for a claim (none leaves while
    // the account is unpaired), so nothing is counted yet.
    for (const f of ['settlement_handoff_seconds', 'claim_round_trip_seconds', 'claim_credit_seconds']) {
      for (const le of ['0.000500', '0.001000', '0.007500', '0.020000', '1.000000', '+Inf'])
        assert.equal(s.get(`xrpse_${f}_bucket{le="${le}"}`), 0, `${f} ${le}`);
      assert.equal(s.get(`xrpse_${f}_count`), 0, f);
      assert.equal(s.get(`xrpse_${f}_sum`), 0, f);
    }

    // Past --owed-alert: one BROKEN line naming the account and the
    // drops, the "owed" check fails, the alert metric says so.
    const bad = await until('the owed alert', async () => {
      const h = await d.req('GET', '/health');
      return h.status === 503 && h;
    });
    assert.deepEqual(bad.body.problems.map((p) => p.check), ['owed']);
    assert.deepEqual(bad.body.owed.map((o) => [o.account, o.unpaid_drops, o.alert]), [['m1', '5000000', true]]);
    r = await d.req('GET', '/metrics', { json: false });
    promtool(r.text);
    s = samples(r.text);
    assert.equal(s.get('xrpse_alerts{kind="owed"}'), 1);
    assert.ok(s.get('xrpse_owed_unpaid_oldest_seconds') >= 2);
    // The periodic tick ran (once a second) and was timed: every
    // observation within a bucket, the +Inf one counting them all.
    assert.ok(s.get('xrpse_tick_seconds_count') >= 2);
    assert.equal(s.get('xrpse_tick_seconds_bucket{le="+Inf"}'), s.get('xrpse_tick_seconds_count'));
    assert.ok(s.get('xrpse_tick_seconds_bucket{le="1.000000"}') >= 1);
    await sleep(300);
    const lines = d.log.split('\n').filter((l) => /BROKEN/.test(l));
    assert.equal(lines.length, 1, d.log);
    assert.match(lines[0], /account m1: 5000000 drops/);
    assert.doesNotMatch(d.log, /INFO \[rippled\] connection to .* closed/);
  } finally {
    await d.close();
    ledger.proc.kill();
  }
});
