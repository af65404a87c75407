'use strict';
/*
 * Where a stand-in's time goes, for the benchmarks' breakdown of a
 * settlement's latency (testnet/driver): how long each request the
 * stand-in serves takes from its arrival to its answer, per route, and
 * how long each of its own calls waits for its answer (to the peer
 * connector, to its engine), in histograms with the engines' stage
 * buckets (src/util/hist.c); and its event loop's delay and garbage
 * collections since the last reset (node's perf_hooks).  Memory only;
 * nothing here decides anything.  GET /control/timings returns toJSON().
 */

const { monitorEventLoopDelay, PerformanceObserver, performance } =
	require('perf_hooks');

/* seconds, as src/util/hist.c has them (0.5 ms .. 1 s) */
const BOUNDS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015,
		0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1];

class Hist {
	constructor() {
		this.n = new Array(BOUNDS.length + 1).fill(0); /* per bucket */
		this.sum = 0;
		this.count = 0;
	}

	add(secs) {
		let i = 0;
		while (i < BOUNDS.length && secs > BOUNDS[i])
			i++;
		this.n[i]++;
		this.sum += secs;
		this.count++;
	}

	/* Cumulative buckets, as the driver reads the engines' histograms
	 * (testnet/driver/stats.js: {buckets: [{le, n}], sum, count}). */
	toJSON() {
		let c = 0;
		const buckets = BOUNDS.map((le, i) => ({ le, n: (c += this.n[i]) }));
		buckets.push({ le: 'Infinity', n: this.count });
		return { buckets, sum: this.sum, count: this.count };
	}
}

class Timings {
	constructor() {
		this.hops = new Map(); /* name -> Hist */
		this.loop = monitorEventLoopDelay({ resolution: 1 });
		this.loop.enable();
		this.gc = { count: 0, ms: 0, maxMs: 0 };
		try {
			this.obs = new PerformanceObserver((list) => {
				for (const e of list.getEntries()) {
					this.gc.count++;
					this.gc.ms += e.duration;
					if (e.duration > this.gc.maxMs)
						this.gc.maxMs = e.duration;
				}
			});
			this.obs.observe({ entryTypes: ['gc'] });
		} catch (e) {
			this.obs = null; /* no gc entries: counted as none */
		}
	}

	/* A start time for took(). */
	static now() {
		return performance.now();
	}

	/* Counts one observation of hop, started at t0 (now()). */
	took(hop, t0) {
		let h = this.hops.get(hop);
		if (!h) {
			h = new Hist();
			this.hops.set(hop, h);
		}
		h.add(Math.max(0, performance.now() - t0) / 1000);
	}

	/* {hops: {name: hist}, loop: {p50Ms, p99Ms, maxMs}, gc: {count, ms,
	 * maxMs}}: the hops since the start (the driver takes differences),
	 * the loop's delay and the collections since the last reset(). */
	toJSON() {
		const hops = {};
		for (const [k, h] of this.hops)
			hops[k] = h.toJSON();
		const ms = (ns) => (Number.isFinite(ns) ? ns / 1e6 : 0);
		return {
			hops,
			loop: { p50Ms: ms(this.loop.percentile(50)),
				p99Ms: ms(this.loop.percentile(99)),
				maxMs: ms(this.loop.max) },
			gc: { count: this.gc.count, ms: this.gc.ms,
			      maxMs: this.gc.maxMs },
		};
	}

	/* Starts the loop's delay and the collections' counts over. */
	reset() {
		this.loop.reset();
		this.gc = { count: 0, ms: 0, maxMs: 0 };
	}

	close() {
		this.loop.disable();
		if (this.obs)
			this.obs.disconnect();
	}
}

module.exports = { Timings, BOUNDS };
