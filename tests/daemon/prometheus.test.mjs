// A real Prometheus (Debian's `prometheus`) scrapes a running engine: one
// job on the --metrics-listen listener, one on the API listener's
// /metrics, every second.  Its HTTP API must then report both targets up
// and the engine's xrpse_build_info.  Run through ctest, which skips the
// suite (exit 77) when no prometheus binary is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Daemon, tmpdir, freePort, sleep } from './lib/harness.mjs';

async function query(base, q) {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  if (r.status !== 200) return [];
  const b = await r.json();
  return b.status === 'success' ? b.data.result : [];
}

test('prometheus scrapes the engine: up == 1 and xrpse_build_info', async () => {
  const mport = await freePort();
  const d = new Daemon({ args: ['--metrics-listen', `127.0.0.1:${mport}`] });
  await d.start();

  const dir = tmpdir();
  const pport = await freePort();
  const conf = path.join(dir, 'prometheus.yml');
  writeFileSync(conf, [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: xrpse',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${mport}']`,
    '  - job_name: xrpse_api',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${d.port}']`,
    ''].join('\n'));
  let plog = '';
  const prom = spawn('prometheus', [
    `--config.file=${conf}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${pport}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout.on('data', (x) => (plog += x));
  prom.stderr.on('data', (x) => (plog += x));
  const exited = new Promise((r) => prom.on('exit', r));
  const base = `http://127.0.0.1:${pport}`;
  try {
    const deadline = Date.now() + 60000;
    let up = [], info = [];
    for (;;) {
      assert.equal(prom.exitCode, null, `prometheus exited:\n${plog}`);
      try {
        up = await query(base, 'up');
        info = await query(base, 'xrpse_build_info{job="xrpse"}');
      } catch { /* not listening yet */ }
      const upOf = (job) => up.find((s) => s.metric.job === job)?.value[1];
      if (upOf('xrpse') === '1' && upOf('xrpse_api') === '1' && info.length) break;
      if (Date.now() > deadline)
        throw new Error(`not scraped: up=${JSON.stringify(up)} info=${JSON.stringify(info)}\n${plog}`);
      await sleep(250);
    }
    assert.equal(info[0].value[1], '1');
    assert.match(info[0].metric.version, /^\d+\.\d+\.\d+/);
    assert.equal(info[0].metric.instance, `127.0.0.1:${mport}`);
    // A counter of the engine made it into the TSDB as well.
    const reqs = await query(base, 'xrpse_api_requests_total{job="xrpse_api"}');
    assert.equal(reqs.length, 1);
    assert.ok(Number(reqs[0].value[1]) >= 1);
  } finally {
    prom.kill('SIGTERM');
    const t = setTimeout(() => prom.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
    await d.close();
  }
});
