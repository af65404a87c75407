'use strict';
/*
 * Stalls of the machine itself during a benchmark's measured window, so
 * that a reader can tell a slow run of the engines from a machine that
 * stood still.  A thread of its own (worker_threads: scheduled apart from
 * the driver's busy main thread) wakes every 2 ms and notes each wake-up
 * that came more than STALL_MS late: a thread that needs almost no CPU
 * is held that long only when the whole machine is (a virtual machine's
 * host not running it, the kernel busy).  With it, the steal time the
 * kernel counted (/proc/stat: time the host ran something else while
 * this machine wanted to run).  Memory only; nothing here decides
 * anything.
 */

const fs = require('fs');
const { Worker } = require('worker_threads');

const STALL_MS = 30;
const TICK_MS = 2;

/* The probe's own loop: posts [epoch ms, how late] for each late wake-up. */
const PROBE = `
const { parentPort, workerData } = require('worker_threads');
const { performance } = require('perf_hooks');
let last = performance.now();
setInterval(() => {
	const now = performance.now();
	const late = now - last - workerData.tick;
	if (late > workerData.stall)
		parentPort.postMessage([performance.timeOrigin + now, late]);
	last = now;
}, workerData.tick);
`;

/* The kernel's steal time so far in ms (0 where /proc/stat has none). */
function stealMs() {
	try {
		const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
			.trim().split(/\s+/);
		return f.length > 8 ? Number(f[8]) * 10 : 0; /* USER_HZ 100 */
	} catch (e) {
		return 0;
	}
}

class StallProbe {
	/* Starts watching. */
	start() {
		this.stalls = [];
		this.steal0 = stealMs();
		this.t0 = Date.now();
		this.worker = new Worker(PROBE, {
			eval: true, workerData: { tick: TICK_MS, stall: STALL_MS },
		});
		this.worker.on('message', ([at, ms]) => this.stalls.push({ at, ms }));
		this.worker.on('error', () => {});
		this.worker.unref();
		return this;
	}

	/* Stops; resolves {stalls: [{at (epoch ms), ms}], longestMs, stealMs,
	 * secs}. */
	async stop() {
		const steal = stealMs() - this.steal0;
		const secs = (Date.now() - this.t0) / 1000;
		await this.worker.terminate();
		const longestMs = this.stalls.reduce((a, s) => Math.max(a, s.ms), 0);
		return { stalls: this.stalls, longestMs, stealMs: steal, secs };
	}
}

/* One line for the summary. */
function stallLine(r) {
	const list = r.stalls.slice(0, 8).map((s) => `${s.ms.toFixed(0)} ms`).join(', ');
	return `machine     ${r.stalls.length} stall(s) of the whole machine over ${STALL_MS} ms in ` +
		`${r.secs.toFixed(0)} s (a probe thread waking every ${TICK_MS} ms${r.stalls.length ? ': ' + list +
		(r.stalls.length > 8 ? ', ...' : '') : ''}); steal time ${r.stealMs} ms`;
}

module.exports = { StallProbe, stallLine, STALL_MS };
