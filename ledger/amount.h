/* XRP amounts: a checked integer type of drops.
 *
 * One XRP is 1,000,000 drops; no valid amount exceeds 10^17 drops (the total
 * supply).  Every operation that could leave that range or wrap returns false
 * and leaves *out untouched.  No floating point anywhere.  Only this file's
 * .c touches the raw field; everyone else goes through these functions.
 */
#ifndef XRPSE_LEDGER_AMOUNT_H
#define XRPSE_LEDGER_AMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

#define XL_DROPS_MAX UINT64_C(100000000000000000) /* 10^17 */
#define XL_DROPS_PER_XRP UINT64_C(1000000)
/* Longest decimal form of a valid amount, with its NUL. */
#define XL_DROPS_STRLEN 19

struct xl_drops {
	uint64_t drops;
};

/* Returns true and sets *out when v <= XL_DROPS_MAX. */
bool xl_drops_from_u64(struct xl_drops *out, uint64_t v) XU_WARN_UNUSED;
/* The raw value (always <= XL_DROPS_MAX). */
uint64_t xl_drops_u64(struct xl_drops d);
/* The zero amount. */
struct xl_drops xl_drops_zero(void);

/* *out = a + b; false (and *out untouched) above XL_DROPS_MAX. */
bool xl_drops_add(struct xl_drops *out, struct xl_drops a,
		  struct xl_drops b) XU_WARN_UNUSED;
/* *out = a - b; false (and *out untouched) when b > a. */
bool xl_drops_sub(struct xl_drops *out, struct xl_drops a,
		  struct xl_drops b) XU_WARN_UNUSED;
/* *out = a * k; false on overflow or above XL_DROPS_MAX. */
bool xl_drops_mul(struct xl_drops *out, struct xl_drops a,
		  uint64_t k) XU_WARN_UNUSED;
/* a * num / den rounded down (den > 0); false above XL_DROPS_MAX.
 * Exact: uses 128-bit intermediate arithmetic. */
bool xl_drops_muldiv(struct xl_drops *out, struct xl_drops a, uint64_t num,
		     uint64_t den) XU_WARN_UNUSED;

int xl_drops_cmp(struct xl_drops a, struct xl_drops b);
bool xl_drops_eq(struct xl_drops a, struct xl_drops b);
bool xl_drops_is_zero(struct xl_drops a);
struct xl_drops xl_drops_min(struct xl_drops a, struct xl_drops b);
struct xl_drops xl_drops_max(struct xl_drops a, struct xl_drops b);

/* Parses a decimal string of digits only (no sign, no spaces, no leading
 * '+', leading zeros allowed) of at most XL_DROPS_MAX.
 * Returns XU_OK, XU_EPARSE or XU_ERANGE; *out is set only on success. */
enum xu_code xl_drops_parse(struct xl_drops *out, const char *s,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Writes the decimal form into buf (capacity >= XL_DROPS_STRLEN + 1). */
void xl_drops_fmt(char *buf, size_t cap, struct xl_drops d);

#endif /* XRPSE_LEDGER_AMOUNT_H */
