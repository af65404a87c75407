// The channel settings of `xrpse run` against the real daemon: a flag and
// its XRPSE_* variable reach the running service (the start-up log line,
// and the minimum settle delay the engine announces to its peer in its
// hello), and bad values are refused with exit 2 and one line naming the
// flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Daemon, runXrpse, tmpdir, SEED } from './lib/harness.mjs';
import { Connector } from './lib/connector.mjs';

// Starts a daemon with the channel args/env, creates an account and
// returns the log's channel line and the first hello the connector got.
async function helloOf({ args = [], env = {} }) {
  const c = await new Connector().start();
  let d;
  try {
    d = await new Daemon({
      connectorUrl: c.url,
      args: ['--dev-hello-retry-ms', '20', ...args],
      env,
    }).start();
  } catch (e) {
    await c.close(); // a daemon that refused to start must not hang the test
    throw e;
  }
  try {
    assert.equal((await d.createAccount('peer')).status, 201);
    await c.waitFor(() => c.messages().length > 0, 10000);
    const m = c.messages()[0];
    assert.equal(m.path, '/accounts/peer/messages');
    assert.equal(m.headers['content-type'], 'application/octet-stream');
    const hello = JSON.parse(m.body);
    assert.equal(hello.type, 'hello');
    const line = d.log.split('\n').find((l) => /\[config\] channels: /.test(l));
    assert.ok(line, `no channel settings line in the log:\n${d.log}`);
    return { hello, line, log: d.log };
  } finally {
    await d.close();
    await c.close();
  }
}

test('channel flags reach the running engine', async () => {
  const { hello, line } = await helloOf({
    args: ['--channel-amount', '25xrp', '--max-channel-amount', '500000000',
      '--settle-delay', '7d', '--min-settle-delay', '2d', '--max-settle-delay', '40d',
      '--redeem-threshold', '0.5xrp', '--redeem-fee-ppm', '2500',
      '--redeem-check', '1m', '--tx-retry', '45s', '--close-wait', '2m'],
  });
  assert.equal(hello.min_settle_delay, 172800);
  assert.match(line, /amount 25000000 drops \(max 500000000\), settle delay 604800 s, min settle delay 172800 s, max settle delay 3456000 s, redeem at 500000 drops or fee <= 2500 ppm, checked every 60 s, tx retry 45 s, close wait 120 s/);
});

test('defaults, variables and precedence', async () => {
  let r = await helloOf({});
  assert.equal(r.hello.min_settle_delay, 259200);
  assert.match(r.line, /amount 10000000 drops \(max 1000000000\), settle delay 518400 s, min settle delay 259200 s, max settle delay 2592000 s, redeem at 10000000 drops or fee <= 10000 ppm, checked every 300 s, tx retry 30 s, close wait 600 s/);

  r = await helloOf({ env: { XRPSE_MIN_SETTLE_DELAY: '36h',
    XRPSE_CHANNEL_AMOUNT: '12xrp', XRPSE_REDEEM_CHECK: '90' } });
  assert.equal(r.hello.min_settle_delay, 129600, 'the variable is read');
  assert.match(r.line, /amount 12000000 drops .* checked every 90 s/);

  r = await helloOf({ env: { XRPSE_MIN_SETTLE_DELAY: '100000', XRPSE_SETTLE_DELAY: '200000',
    XRPSE_REDEEM_THRESHOLD: '777', XRPSE_TX_RETRY: '2' } });
  assert.equal(r.hello.min_settle_delay, 100000);
  assert.match(r.line, /settle delay 200000 s, .* redeem at 777 drops .* tx retry 2 s/);

  r = await helloOf({ args: ['--min-settle-delay', '5d'],
    env: { XRPSE_MIN_SETTLE_DELAY: 'garbage' } });
  assert.equal(r.hello.min_settle_delay, 432000, 'the flag beats the variable');
});

test('--allow-dangerous lets a short settle delay through, with a warning', async () => {
  const r = await helloOf({ args: ['--allow-dangerous', '--min-settle-delay', '10m', '--settle-delay', '1h'] });
  assert.equal(r.hello.min_settle_delay, 600);
  assert.match(r.line, /settle delay 3600 s, min settle delay 600 s/);
  assert.match(r.log, /UNUSUAL.*--allow-dangerous/i);
});

async function refused(args, re, env = {}) {
  const dir = tmpdir();
  const seed = path.join(dir, 'seed');
  writeFileSync(seed, SEED, { mode: 0o600 });
  const r = await runXrpse(['run', '--listen', '127.0.0.1:1', '--seed-file', seed,
    '--db', path.join(dir, 'db'), ...args], { env });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^xrpse run: /);
  assert.match(lines[0], re);
}

test('bad channel settings are refused with exit 2 and one clear line', async () => {
  await refused(['--channel-amount', 'ten'], /--channel-amount: expected drops \(digits\) or XRP with an xrp suffix/);
  await refused(['--channel-amount', '0.0000001xrp'], /--channel-amount: at most 6 decimals/);
  await refused(['--channel-amount', '100000000000000001'], /--channel-amount: above 10\^17 drops/);
  await refused(['--channel-amount', '2000xrp'], /--channel-amount: 2000000000 drops is above the 1000000000 drops of --max-channel-amount/);
  await refused(['--settle-delay', '12h'], /--settle-delay: 43200 s is below the 1 day floor \(86400 s\); add --allow-dangerous/);
  await refused(['--settle-delay', '50000d'], /--settle-delay: above the 4294967295 s maximum/);
  await refused(['--max-settle-delay', '3661d'], /--max-settle-delay: 316310400 s is above the 3660 day ceiling \(316224000 s\): the ledger's 32-bit close time \+ SettleDelay could wrap/);
  await refused(['--settle-delay', '4000000000'], /--settle-delay: 4000000000 s is above the 3660 day ceiling/);
  await refused(['--min-settle-delay', '31d'], /--min-settle-delay: 2678400 s is above the 2592000 s of --max-settle-delay/);
  await refused([], /--min-settle-delay: 259200 s is above the 86400 s of --max-settle-delay \(from XRPSE_MAX_SETTLE_DELAY\)/,
    { XRPSE_MAX_SETTLE_DELAY: '1d' });
  await refused(['--min-settle-delay', '6 days'], /--min-settle-delay: expected seconds, or a number with a unit/);
  await refused(['--redeem-check', '0'], /--redeem-check: must be from 1 to 86400 seconds/);
  await refused(['--redeem-fee-ppm', '2000000'], /--redeem-fee-ppm: must be from 0 to 1000000/);
  await refused(['--dev-tick-ms', '1'], /--dev-tick-ms: must be from 10 to 60000/);
  await refused([], /--min-settle-delay \(from XRPSE_MIN_SETTLE_DELAY\): 3600 s is below/,
    { XRPSE_MIN_SETTLE_DELAY: '3600' });
  await refused([], /--allow-dangerous \(from XRPSE_ALLOW_DANGEROUS\): expected 1 or 0/,
    { XRPSE_ALLOW_DANGEROUS: 'true' });
  await refused([], /--max-channel-amount \(from XRPSE_MAX_CHANNEL_AMOUNT\)/,
    { XRPSE_MAX_CHANNEL_AMOUNT: '1xrp' });
});

test('--help shows every channel flag and its variable', async () => {
  const r = await runXrpse(['run', '--help']);
  assert.equal(r.code, 0);
  for (const f of ['--channel-amount AMT', '[XRPSE_CHANNEL_AMOUNT]', '--max-channel-amount AMT',
    '[XRPSE_MAX_CHANNEL_AMOUNT]', '--settle-delay TIME', '[XRPSE_SETTLE_DELAY]',
    '--min-settle-delay TIME', '[XRPSE_MIN_SETTLE_DELAY]', '--max-settle-delay TIME',
    '[XRPSE_MAX_SETTLE_DELAY]', '--redeem-threshold AMT',
    '[XRPSE_REDEEM_THRESHOLD]', '--redeem-fee-ppm PPM', '[XRPSE_REDEEM_FEE_PPM]',
    '--redeem-check TIME', '[XRPSE_REDEEM_CHECK]', '--tx-retry TIME', '[XRPSE_TX_RETRY]',
    '--allow-dangerous', '[XRPSE_ALLOW_DANGEROUS=1]', '--dev-poll-ms MS', '--dev-tick-ms MS',
    '--dev-hello-retry-ms MS', '--dev-claim-resend-ms MS'])
    assert.ok(r.stdout.includes(f), f);
});
