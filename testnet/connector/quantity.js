'use strict';
/*
 * Integer-only helpers for RFC 0038 Quantity objects ({amount: "<digits>",
 * scale: 0..255}) and for the per-account leftovers an interledger-rs node
 * keeps when an incoming credit is more precise than the account.  Amounts
 * are BigInt throughout; nothing here touches floating point.
 */

const AMOUNT_RE = /^[0-9]+$/;
const MAX_DIGITS = 80;

/* 10n ** n for the scales' differences (0..255), each computed once: a
 * credit needs up to four of them. */
const POW10 = [];

function pow10(n) {
	let p = POW10[n];
	if (p === undefined) {
		p = 10n ** BigInt(n);
		if (n <= 255)
			POW10[n] = p;
	}
	return p;
}

/* Returns {amount: BigInt, scale: number} or throws Error(reason) when q is
 * not a valid Quantity (amount a string of decimal digits, scale an integer
 * 0..255).  Strict: no sign, no separators, no exponent. */
function parseQuantity(q) {
	if (q === null || typeof q !== 'object' || Array.isArray(q))
		throw new Error('Quantity must be a JSON object');
	if (typeof q.amount !== 'string' || !AMOUNT_RE.test(q.amount))
		throw new Error('amount must be a string of decimal digits');
	if (q.amount.length > MAX_DIGITS)
		throw new Error('amount is too long');
	if (typeof q.scale !== 'number' || !Number.isInteger(q.scale) ||
	    q.scale < 0 || q.scale > 255)
		throw new Error('scale must be an integer from 0 to 255');
	return { amount: BigInt(q.amount), scale: q.scale };
}

/* Converts amount@from to scale `to`, rounding down.  Returns
 * {value, remainder} where remainder is expressed at scale `from` (0n when
 * nothing was lost). */
function rescale(amount, from, to) {
	if (to >= from)
		return { value: amount * pow10(to - from), remainder: 0n };
	const f = pow10(from - to);
	return { value: amount / f, remainder: amount % f };
}

/* Parses a non-negative decimal string of standard units ("5", "0.25") into
 * an integer at `scale` units.  Throws when it has more decimals than the
 * scale can hold or is not a plain decimal. */
function parseDecimal(s, scale) {
	if (typeof s !== 'string' || !/^[0-9]+(\.[0-9]+)?$/.test(s))
		throw new Error('expected a decimal string like "5" or "0.25"');
	const [ip, fp = ''] = s.split('.');
	if (fp.length > scale)
		throw new Error(`more than ${scale} decimals`);
	return BigInt(ip) * 10n ** BigInt(scale) +
	       BigInt((fp + '0'.repeat(scale)).slice(0, scale) || '0');
}

/*
 * Leftovers as interledger-rs keeps them (a list of (amount, scale) pairs
 * summed at the largest scale seen).  On each credit the node first takes
 * the whole account units out of the leftovers stored so far, then scales
 * the request down and stores its own precision loss; so a loss counts only
 * from the next credit on (node_api.rs settlement_leftovers:
 * 205@11, 855@12, 110@11, 5@9, 2@7 credit 2, 0, 1, 6, 200 at scale 9).
 */
class Leftovers {
	constructor() {
		this.amount = 0n; /* at this.scale */
		this.scale = 0;
	}

	/* Credits amount@scale to an account at accountScale: returns the
	 * whole units to credit now and keeps the new remainder. */
	add(amount, scale, accountScale) {
		const old = rescale(this.amount, this.scale, accountScale);
		const cur = rescale(amount, scale, accountScale);
		const top = Math.max(scale, this.scale);
		this.amount = old.remainder * pow10(top - this.scale) +
			      cur.remainder * pow10(top - scale);
		this.scale = this.amount === 0n ? 0 : top;
		return old.value + cur.value;
	}

	toJSON() {
		return { amount: this.amount.toString(), scale: this.scale };
	}
}

module.exports = { parseQuantity, rescale, parseDecimal, Leftovers };
