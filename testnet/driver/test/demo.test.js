'use strict';
/*
 * scripts/demo end to end with the JavaScript test engine (fake-engine.js)
 * in place of `xrpse run`: the ledger stand-in, two connectors and two
 * engines that really open channels, exchange signed claims and redeem
 * them.  Proves the driver's summary and exit status: OK with mixed
 * flavours and key types, MISMATCH (exit 1) when an engine credits less
 * than it was paid, and a clean stop on SIGINT.  The real engines run the
 * same command in tests/e2e_demo (ctest label e2e).
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.join(__dirname, '..', '..', '..');
const DEMO = path.join(ROOT, 'scripts', 'demo');
const FAKE = path.join(__dirname, 'fake-engine.js');

function demo(t, args, env = {}, onOut) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xrpse-demo-test-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	return new Promise((resolve) => {
		const p = spawn('bash', [DEMO, '--no-install', '--xrpse', FAKE, '--dir', dir,
					 '--json', path.join(dir, 'summary.json'), ...args], {
			stdio: ['ignore', 'pipe', 'pipe'], detached: true,
			env: Object.assign({}, process.env, env),
		});
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; if (onOut) onOut(out, p); });
		p.stderr.on('data', (d) => { err += d; });
		p.on('exit', (code, signal) => {
			let json = null;
			try {
				json = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
			} catch (e) { /* none */ }
			resolve({ code, signal, out, err, json, dir });
		});
	});
}

/* pids of processes whose command line mentions dir */
function leftovers(dir) {
	const out = [];
	for (const pid of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
		try {
			if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir))
				out.push(pid);
		} catch (e) { /* gone */ }
	}
	return out;
}

test('demo: rs/java connectors, secp256k1/ed25519 engines, OK to the drop', async (t) => {
	const r = await demo(t, ['--settlements', '15', '--flavor-a', 'rs', '--flavor-b', 'java',
				 '--key-type-a', 'secp256k1', '--key-type-b', 'ed25519']);
	assert.equal(r.code, 0, r.out + r.err);
	assert.match(r.out, /connector A \(rs, scale 6\).*connector B \(java, scale 9\)/);
	assert.match(r.out, /alice→bob +15 settlements .* OK\n/);
	assert.match(r.out, /bob→alice +15 settlements .* OK\n/);
	assert.match(r.out, /latency +p50 .* p99 .*\(n=30;/);
	assert.match(r.out, /2 channel\(s\) opened, 0 top-up\(s\), 2 claim\(s\) redeemed/);
	assert.match(r.out, /result: OK/);
	assert.equal(r.json.ok, true);
	for (const d of ['alice→bob', 'bob→alice']) {
		const c = r.json.ledger.channels[d];
		assert.equal(c.redeemed, c.credited);
		assert.equal(c.verdict, 'OK');
		/* every settled drop credited: 1 pairing drop + 15 random ones */
		assert.equal(r.json.directions[d].settledDrops, r.json.directions[d].creditedDrops);
		assert.ok(BigInt(c.credited) > 15n);
	}
	const cfg = JSON.parse(fs.readFileSync(path.join(r.dir, 'config', 'accounts.json'), 'utf8'));
	assert.deepEqual(cfg.engines.map((e) => e.keyType), ['secp256k1', 'ed25519']);
	assert.deepEqual(leftovers(r.dir), []);
});

test('demo: an engine crediting less than it was paid is a MISMATCH (exit 1)', async (t) => {
	const r = await demo(t, ['--settlements', '5', '--redeem', 'none'], { FAKE_ENGINE_SKIM: '1' });
	assert.equal(r.code, 1, r.out + r.err);
	assert.match(r.out, /alice→bob .* MISMATCH\n/);
	assert.match(r.out, /result: MISMATCH/);
	assert.equal(r.json.ok, false);
});

test('bench mode and SIGINT: partial summary, everything stopped', async (t) => {
	let sent = false;
	const r = await demo(t, ['--bench', '--duration', '60'], {}, (out, p) => {
		if (!sent && /paired; first claims credited/.test(out)) {
			sent = true;
			setTimeout(() => process.kill(-p.pid, 'SIGINT'), 1500);
		}
	});
	assert.ok(sent, r.out + r.err);
	assert.equal(r.code, 130, r.out + r.err);
	assert.match(r.out, /xrpse benchmark summary/);
	assert.match(r.out, /result: INTERRUPTED/);
	assert.deepEqual(leftovers(r.dir), []);
});

test('bench --rate: open loop, every request sent on schedule, books match', async (t) => {
	const r = await demo(t, ['--bench', '--duration', '4', '--rate', '25', '--warmup', '2']);
	assert.equal(r.code, 0, r.out + r.err);
	assert.match(r.out, /open loop at 25\/s per direction, paced by the connectors/);
	assert.equal(r.json.rate, 25);
	assert.equal(r.json.pace, 'connector');
	assert.match(r.out, /after 2 s p50 .* \(n=\d+; settlements requested after the first 2 s\)/);
	assert.equal(r.json.steadyLatencyMs.warmup, 2);
	/* the last 2 s of 4 at 25/s each way: about 100 samples */
	assert.ok(r.json.steadyLatencyMs.n > 60 && r.json.steadyLatencyMs.n < r.json.latencyMs.n);
	for (const d of ['alice→bob', 'bob→alice']) {
		/* 4 s at 25/s: 100 requests, each its own settlement */
		assert.equal(r.json.directions[d].settlements, 100);
		assert.equal(r.json.directions[d].failed, 0);
		assert.equal(r.json.directions[d].settledDrops, r.json.directions[d].creditedDrops);
	}
	assert.deepEqual(leftovers(r.dir), []);
});

test('bench --rate --pace driver: one control call per packet, books match', async (t) => {
	const r = await demo(t, ['--bench', '--duration', '2', '--rate', '20', '--pace', 'driver']);
	assert.equal(r.code, 0, r.out + r.err);
	assert.match(r.out, /open loop at 20\/s per direction, paced by the driver/);
	assert.equal(r.json.pace, 'driver');
	for (const d of ['alice→bob', 'bob→alice']) {
		assert.equal(r.json.directions[d].settlements, 40);
		assert.equal(r.json.directions[d].settledDrops, r.json.directions[d].creditedDrops);
	}
});

test('--rate without --bench is a usage error', async (t) => {
	const r = await demo(t, ['--rate', '10']);
	assert.equal(r.code, 2, r.out + r.err);
	assert.match(r.err + r.out, /--rate needs --bench/);
});
