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
	percentile, group, xrp, ms, amounts,
};
