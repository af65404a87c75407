'use strict';
/*
 * Unit tests of the driver's pure helpers (stats.js): scale conversions
 * without floating point, latency pairing by cumulative amounts,
 * percentiles, formatting and the repeatable amount generator.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const S = require('../stats');

test('scales convert exactly and refuse what would round', () => {
	assert.equal(S.toCommon('5', 6), 5000n);
	assert.equal(S.toCommon(5n, 9), 5n);
	assert.equal(S.toCommon('123456789012345678', 0), 123456789012345678000000000n);
	assert.throws(() => S.toCommon(1n, 10), /unsupported scale/);
	assert.throws(() => S.toCommon(1n, -1), /unsupported scale/);
	assert.deepEqual(S.commonToDrops(12345n), { drops: 12n, rest: 345n });
	assert.equal(S.dropsToUnits(7n, 6), 7n);
	assert.equal(S.dropsToUnits(7n, 9), 7000n);
	assert.equal(S.dropsToUnits(7000n, 3), 7n);
	assert.throws(() => S.dropsToUnits(7001n, 3), /not whole/);
});

test('latency pairs settlements with the credit that covers them', () => {
	/* one claim covering two settlements completes both; the second
	 * credit covers the third; the fourth is never covered */
	const r = S.pairLatencies(
		[{ t: 10, amount: 3n }, { t: 12, amount: 2n }, { t: 20, amount: 4n },
		 { t: 30, amount: 1n }],
		[{ t: 25, amount: 4n }, { t: 15, amount: 5n }]);
	assert.deepEqual(r, { latencies: [5, 3, 5], uncovered: 1 });
	/* samples can be excluded but still count towards the sums */
	const w = S.pairLatencies([{ t: 0, amount: 1n, sample: false }, { t: 1, amount: 1n }],
				  [{ t: 4, amount: 2n }]);
	assert.deepEqual(w, { latencies: [3], uncovered: 0 });
	/* a credit before the request (clock skew) is never negative */
	assert.deepEqual(S.pairLatencies([{ t: 5, amount: 1n }], [{ t: 4, amount: 1n }]).latencies, [0]);
	assert.deepEqual(S.pairLatencies([], []), { latencies: [], uncovered: 0 });
});

test('percentiles are nearest-rank', () => {
	const v = Array.from({ length: 100 }, (_, i) => 100 - i);
	assert.equal(S.percentile(v, 50), 50);
	assert.equal(S.percentile(v, 99), 99);
	assert.equal(S.percentile(v, 100), 100);
	assert.equal(S.percentile(v, 0), 1);
	assert.equal(S.percentile([7], 99), 7);
	assert.equal(S.percentile([], 50), null);
});

test('formatting', () => {
	assert.equal(S.group(0n), '0');
	assert.equal(S.group(1234567n), '1,234,567');
	assert.equal(S.group(-1000n), '-1,000');
	assert.equal(S.xrp(10000000n), '10 XRP');
	assert.equal(S.xrp(1n), '0.000001 XRP');
	assert.equal(S.xrp(-1500000n), '-1.5 XRP');
	assert.equal(S.ms(null), '-');
	assert.equal(S.ms(1.234), '1.23 ms');
	assert.equal(S.ms(12.34), '12.3 ms');
	assert.equal(S.ms(1500), '1.50 s');
});

test('amounts are repeatable and within bounds', () => {
	const a = S.amounts(7, 5, 9);
	const b = S.amounts(7, 5, 9);
	const xs = Array.from({ length: 1000 }, () => a());
	assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
	assert.ok(xs.every((x) => x >= 5n && x <= 9n));
	assert.equal(new Set(xs).size, 5);
	assert.notDeepEqual(Array.from({ length: 10 }, S.amounts(8, 1, 1000)), xs.slice(0, 10));
});

test('engine histograms: parsed, subtracted, merged, quantiles interpolated', () => {
	const page = (b1, b2, inf, sum) => [
		'# HELP xrpse_x_seconds X.', '# TYPE xrpse_x_seconds histogram',
		`xrpse_x_seconds_bucket{le="0.001000"} ${b1}`,
		`xrpse_x_seconds_bucket{le="0.002000"} ${b2}`,
		`xrpse_x_seconds_bucket{le="+Inf"} ${inf}`,
		`xrpse_x_seconds_sum ${sum}`, `xrpse_x_seconds_count ${inf}`,
		'xrpse_other_seconds_count 7', 'xrpse_y_total 3', ''].join('\n');
	const before = S.parseHistograms(page(1, 2, 2, '0.002000'), ['x_seconds'])['x_seconds'];
	const after = S.parseHistograms(page(11, 32, 42, '0.102000'), ['x_seconds', 'z_seconds']);
	assert.deepEqual(Object.keys(after), ['x_seconds']);
	const d = S.histDelta(after['x_seconds'], before);
	assert.deepEqual(d.buckets, [{ le: 0.001, n: 10 }, { le: 0.002, n: 30 }, { le: Infinity, n: 40 }]);
	assert.equal(d.count, 40);
	assert.ok(Math.abs(d.sum - 0.1) < 1e-12);
	/* rank 20 of 40: 10 in [0, 1 ms], then 10 of the 20 in (1, 2 ms] */
	assert.ok(Math.abs(S.histQuantile(d, 0.5) - 0.0015) < 1e-12);
	assert.ok(Math.abs(S.histQuantile(d, 0.125) - 0.0005) < 1e-12);
	/* in +Inf: the highest finite bound */
	assert.equal(S.histQuantile(d, 0.99), 0.002);
	assert.equal(S.histQuantile(S.histDelta(after['x_seconds'], after['x_seconds']), 0.5), null);
	const m = S.histMerge([d, null, d]);
	assert.equal(m.count, 80);
	assert.deepEqual(m.buckets.map((x) => x.n), [20, 60, 80]);
	assert.ok(Math.abs(S.histQuantile(m, 0.5) - 0.0015) < 1e-12);
	assert.equal(S.histMerge([null]), null);
	assert.equal(S.histDelta(undefined, before), null);
});
