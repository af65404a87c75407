/* Checked drops arithmetic (see amount.h).  The only file that reads or
 * writes struct xl_drops's raw field. */
#include "ledger/amount.h"

#include <stdio.h>
#include <string.h>

bool xl_drops_from_u64(struct xl_drops *out, uint64_t v)
{
	if (v > XL_DROPS_MAX)
		return false;
	out->drops = v;
	return true;
}

uint64_t xl_drops_u64(struct xl_drops d)
{
	return d.drops;
}

struct xl_drops xl_drops_zero(void)
{
	struct xl_drops z = {0};
	return z;
}

bool xl_drops_add(struct xl_drops *out, struct xl_drops a, struct xl_drops b)
{
	/* Both operands are <= 10^17, so the sum cannot wrap a u64. */
	uint64_t s = a.drops + b.drops;

	if (a.drops > XL_DROPS_MAX || b.drops > XL_DROPS_MAX ||
	    s > XL_DROPS_MAX)
		return false;
	out->drops = s;
	return true;
}

bool xl_drops_sub(struct xl_drops *out, struct xl_drops a, struct xl_drops b)
{
	if (b.drops > a.drops)
		return false;
	out->drops = a.drops - b.drops;
	return true;
}

bool xl_drops_mul(struct xl_drops *out, struct xl_drops a, uint64_t k)
{
	unsigned __int128 p = (unsigned __int128)a.drops * k;

	if (p > XL_DROPS_MAX)
		return false;
	out->drops = (uint64_t)p;
	return true;
}

bool xl_drops_muldiv(struct xl_drops *out, struct xl_drops a, uint64_t num,
		     uint64_t den)
{
	unsigned __int128 p;

	XU_ASSERT(den != 0);
	p = (unsigned __int128)a.drops * num / den;
	if (p > XL_DROPS_MAX)
		return false;
	out->drops = (uint64_t)p;
	return true;
}

int xl_drops_cmp(struct xl_drops a, struct xl_drops b)
{
	return a.drops < b.drops ? -1 : a.drops > b.drops ? 1 : 0;
}

bool xl_drops_eq(struct xl_drops a, struct xl_drops b)
{
	return a.drops == b.drops;
}

bool xl_drops_is_zero(struct xl_drops a)
{
	return a.drops == 0;
}

struct xl_drops xl_drops_min(struct xl_drops a, struct xl_drops b)
{
	return a.drops <= b.drops ? a : b;
}

struct xl_drops xl_drops_max(struct xl_drops a, struct xl_drops b)
{
	return a.drops >= b.drops ? a : b;
}

enum xu_code xl_drops_parse(struct xl_drops *out, const char *s,
			    struct xu_err *err)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0)
		return xu_fail(err, XU_EPARSE, 0, "empty drops amount");
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return xu_fail(err, XU_EPARSE, 0,
				       "drops amount must be decimal digits "
				       "only");
		/* Leading zeros do not count toward the length limit. */
		if (v > XL_DROPS_MAX)
			return xu_fail(err, XU_ERANGE, 0,
				       "drops amount exceeds 10^17");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > XL_DROPS_MAX)
		return xu_fail(err, XU_ERANGE, 0, "drops amount exceeds 10^17");
	out->drops = v;
	return XU_OK;
}

void xl_drops_fmt(char *buf, size_t cap, struct xl_drops d)
{
	XU_ASSERT(cap >= XL_DROPS_STRLEN + 1);
	snprintf(buf, cap, "%llu", (unsigned long long)d.drops);
}
