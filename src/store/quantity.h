/* Exact decimal quantities (RFC 0038 "Quantity": a digit string amount and
 * a scale 0..255) and their conversion to drops.
 *
 * No floating point and no fixed-width integer ever holds an amount: the
 * arithmetic works on digit strings, so 2^64 and beyond and scale 255 are
 * exact.  A quantity received from outside has at most ENG_QTY_MAX_DIGITS
 * digits; quantities built by this module (sums aligned to a common scale,
 * leftovers) may be longer, up to ENG_QTY_CAP_DIGITS, which holds any sum
 * of two quantities of the parse limit at any scales.
 *
 * Conversion to drops (XRP's native unit, scale 6) rounds down and returns
 * the remainder at the input's scale, at full precision:
 *
 *     {"1234567",9}  -> 1234 drops, remainder {"567",9}
 *     {"5",2}        -> 50000 drops, remainder {"0",2}
 *
 * Pure: no allocation, no I/O. */
#ifndef XRPSE_SRC_QUANTITY_H
#define XRPSE_SRC_QUANTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/amount.h"
#include "src/util/err.h"

/* Longest "amount" accepted from outside (a 400 above). */
#define ENG_QTY_MAX_DIGITS 96
/* Capacity of a quantity's digit string (sums and leftovers). */
#define ENG_QTY_CAP_DIGITS 360
/* Largest scale (RFC 0038). */
#define ENG_QTY_MAX_SCALE 255
/* XRP's native scale: 1 drop = 10^-6 XRP. */
#define ENG_QTY_DROPS_SCALE 6
/* Longest canonical JSON form, with its NUL. */
#define ENG_QTY_JSON_MAX (ENG_QTY_CAP_DIGITS + 32)

/* amount = digits * 10^-scale.  digits: ASCII decimal, leading zeros
 * stripped, "0" for zero, NUL-terminated. */
struct eng_quantity {
	char digits[ENG_QTY_CAP_DIGITS + 1];
	uint8_t scale;
};

/* Validates a Quantity JSON object strictly: "amount" a string of 1 to
 * ENG_QTY_MAX_DIGITS ASCII digits (no sign, exponent, spaces, '+', '_'),
 * "scale" a JSON integer 0..255 (not 6.0, not "6", not negative); other
 * members are ignored.  obj is borrowed.
 * Returns XU_OK and *q (leading zeros stripped), or XU_EINVAL with a
 * message naming what is wrong; *q is untouched on failure. */
enum xu_code eng_quantity_parse_json(struct eng_quantity *q, const json_t *obj,
				     struct xu_err *err) XU_WARN_UNUSED;

/* Builds *q from a digit string (leading zeros allowed, stripped; at most
 * ENG_QTY_CAP_DIGITS digits) and a scale (e.g. when loading from the
 * store).  Returns XU_OK or XU_EINVAL; *q untouched on failure. */
enum xu_code eng_quantity_set(struct eng_quantity *q, const char *digits,
			      unsigned scale,
			      struct xu_err *err) XU_WARN_UNUSED;

/* *q = zero at scale 0. */
void eng_quantity_zero(struct eng_quantity *q);
/* *q = drops at scale 6. */
void eng_quantity_from_drops(struct eng_quantity *q, struct xl_drops d);
bool eng_quantity_is_zero(const struct eng_quantity *q);
/* Exact equality of value and scale ({"1",0} != {"10",1}). */
bool eng_quantity_eq(const struct eng_quantity *a,
		     const struct eng_quantity *b);

/* *out = a + b at scale max(a.scale, b.scale), exact.  out may alias a
 * or b.  Returns XU_OK, or XU_ERANGE when the result would exceed
 * ENG_QTY_CAP_DIGITS digits (*out untouched). */
enum xu_code eng_quantity_add(struct eng_quantity *out,
			      const struct eng_quantity *a,
			      const struct eng_quantity *b,
			      struct xu_err *err) XU_WARN_UNUSED;

/* Splits q into whole drops (rounded down) and the remainder, which keeps
 * q's scale (zero when scale <= 6):
 *     q == drops * 10^(scale-6) + remainder   (as exact values)
 * Returns XU_OK, or XU_ERANGE when drops would exceed 10^17 (outputs
 * untouched).  remainder may be NULL. */
enum xu_code eng_quantity_to_drops(const struct eng_quantity *q,
				   struct xl_drops *drops,
				   struct eng_quantity *remainder,
				   struct xu_err *err) XU_WARN_UNUSED;

/* Writes the canonical JSON {"amount":"<digits>","scale":<n>} into buf
 * (capacity ENG_QTY_JSON_MAX always suffices) and returns its length;
 * aborts when cap is too small (a programmer error). */
size_t eng_quantity_fmt_json(char *buf, size_t cap,
			     const struct eng_quantity *q);

/* A new JSON object {"amount":..,"scale":..} (owned by the caller,
 * json_decref it); NULL only when out of memory. */
json_t *eng_quantity_to_json(const struct eng_quantity *q);

#endif /* XRPSE_SRC_QUANTITY_H */
