'use strict';
/*
 * Pure helpers of the settlement driver (driver.js): amounts between
 * account scales (BigInt, never floating point), latency pairing of
 * settlement requests with the peer's credits, percentiles and number
 * formatting.  No I/O; unit-tested in test/stats.test.js.
 */

/* The scale every amount is compared at: 9 (nano-XRP) covers both
 * connector flavours (rs 6, java 9). */
const COMMON_SCALE = 9;

/* BigInt amount at `scale` -> BigInt at COMMON_SCALE.  Throws for a scale
 * above COMMON_SCALE (it would need rounding). */
function toCommon(amount, scale) {
	if (!Number.isInteger(scale) || scale < 0 || scale > COMMON_SCALE)
		throw new Error(`unsupported scale ${scale}`);
	return BigInt(amount) * 10n ** BigInt(COMMON_SCALE - scale);
}

/* Common-scale BigInt -> {drops, rest}: whole drops and the remainder
 * below one drop (at the common scale). */
function commonToDrops(v) {
	const per = 10n ** BigInt(COMMON_SCALE - 6);
	return { drops: v / per, rest: v % per };
}

/* Drops (BigInt) at scale 6 -> units at `scale`. */
function dropsToUnits(drops, scale) {
	if (scale >= 6)
		return BigInt(drops) * 10n ** BigInt(scale - 6);
	const per = 10n ** BigInt(6 - scale);
	if (BigInt(drops) % per !== 0n)
		throw new Error(`${drops} drops is not whole at scale ${scale}`);
	return BigInt(drops) / per;
}

/*
 * Pairs settlement requests with credits by cumulative amount: settlement k
 * (in request order) is complete when the payee's cumulative credits first
 * reach the payer's cumulative settled amount up to and including k, so a
 * claim covering several settlements completes all of them at once.
 * settlements: [{t, amount (BigInt common), sample (bool)}], credits:
 * [{t, amount}]; both are sorted by t here (copies).  Returns the latency
 * samples in ms of the settlements with sample !== false, and the number of
 * settlements not (yet) covered by credits.
 */
function pairLatencies(settlements, credits) {
	const s = [...settlements].sort((a, b) => a.t - b.t);
	const c = [...credits].sort((a, b) => a.t - b.t);
	const out = [];
	let cumS = 0n;
	let cumC = 0n;
	let j = 0;
	let uncovered = 0;
	for (const x of s) {
		cumS += x.amount;
		while (cumC < cumS && j < c.length)
			cumC += c[j++].amount;
		if (cumC < cumS) {
			uncovered++;
			continue;
		}
		if (x.sample !== false)
			out.push(Math.max(0, c[j - 1].t - x.t));
	}
	return { latencies: out, uncovered };
}

/* Nearest-rank percentile p (0..100) of numbers; null for none. */
function percentile(values, p) {
	if (!values.length)
		return null;
	const v = [...values].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * v.length);
	return v[Math.min(v.length, Math.max(1, rank)) - 1];
}

/*
 * Prometheus text (an engine's GET /metrics) -> the histogram families
 * named in `names` (without their xrpse_ prefix): {name: {buckets:
 * [{le (seconds, Infinity for +Inf), n (cumulative)}] ascending, sum
 * (seconds), count}}.  Families absent from the text are absent here.
 */
function parseHistograms(text, names) {
	const out = {};
	const want = new Set(names);
	for (const line of text.split('\n')) {
		const m = line.match(/^xrpse_([a-z_]+?)_(bucket|sum|count)(?:\{le="([^"]+)"\})? (\S+)$/);
		if (!m || !want.has(m[1]))
			continue;
		const h = out[m[1]] || (out[m[1]] = { buckets: [], sum: 0, count: 0 });
		const v = Number(m[4]);
		if (m[2] === 'bucket')
			h.buckets.push({ le: m[3] === '+Inf' ? Infinity : Number(m[3]), n: v });
		else
			h[m[2]] = v;
	}
	for (const h of Object.values(out))
		h.buckets.sort((a, b) => a.le - b.le);
	return out;
}

/* What histogram `after` counted since `before` (the same family read
 * earlier; null or undefined: since the start), and the sum of several
 * such (merge).  Buckets are matched by bound. */
function histDelta(after, before) {
	if (!after)
		return null;
	const b = new Map((before ? before.buckets : []).map((x) => [x.le, x.n]));
	return {
		buckets: after.buckets.map((x) => ({ le: x.le, n: x.n - (b.get(x.le) || 0) })),
		sum: after.sum - (before ? before.sum : 0),
		count: after.count - (before ? before.count : 0),
	};
}

function histMerge(hs) {
	const got = hs.filter(Boolean);
	if (!got.length)
		return null;
	const n = new Map();
	for (const h of got)
		for (const x of h.buckets)
			n.set(x.le, (n.get(x.le) || 0) + x.n);
	return {
		buckets: [...n.entries()].sort((a, b) => a[0] - b[0]).map(([le, v]) => ({ le, n: v })),
		sum: got.reduce((a, h) => a + h.sum, 0),
		count: got.reduce((a, h) => a + h.count, 0),
	};
}

/* The q-quantile (0..1) of histogram h in seconds, interpolated linearly
 * inside its bucket as Prometheus' histogram_quantile does (the first
 * bucket starts at 0; one in +Inf is the highest finite bound); null for
 * an empty histogram. */
function histQuantile(h, q) {
	if (!h || !h.count)
		return null;
	const rank = q * h.count;
	let lo = 0;
	let below = 0;
	for (const x of h.buckets) {
		if (x.n >= rank && x.n > below) {
			if (x.le === Infinity)
				return lo;
			return lo + (x.le - lo) * (rank - below) / (x.n - below);
		}
		if (x.le !== Infinity) {
			lo = x.le;
			below = x.n;
		}
	}
	return lo;
}

/* 1234567n -> "1,234,567" */
function group(n) {
	const s = BigInt(n).toString();
	const neg = s.startsWith('-');
	const d = neg ? s.slice(1) : s;
	return (neg ? '-' : '') + d.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/* Drops (BigInt) -> "12.345678 XRP" without floating point. */
function xrp(drops) {
	const d = BigInt(drops);
	const neg = d < 0n;
	const a = neg ? -d : d;
	const frac = (a % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
	return `${neg ? '-' : ''}${a / 1000000n}${frac ? '.' + frac : ''} XRP`;
}

/* Milliseconds for display (timing only, never an amount). */
function ms(v) {
	if (v === null || v === undefined)
		return '-';
	return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(1)} ms` :
		`${(v / 1000).toFixed(2)} s`;
}

/* Deterministic pseudo-random amounts (xorshift32) so a run can be
 * repeated: returns () => BigInt in [min, max]. */
function amounts(seed, min, max) {
	let x = (seed >>> 0) || 1;
	const span = BigInt(max) - BigInt(min) + 1n;
	return () => {
		x ^= x << 13; x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5; x >>>= 0;
		return BigInt(min) + BigInt(x) % span;
	};
}

module.exports = {
	COMMON_SCALE, toCommon, commonToDrops, dropsToUnits, pairLatencies,
	percentile, group, xrp, ms, amounts, parseHistograms, histDelta, histMerge,
	histQuantile,
};
