/* Exact decimal quantities over digit strings (see quantity.h).
 *
 * Values are kept as their decimal digits, most significant first, with
 * leading zeros stripped.  Addition aligns both operands to the larger
 * scale by appending zeros (conceptually: the digit at position i from the
 * right of a shifted operand is zero for i < shift) and adds column by
 * column with a carry, so nothing is ever rounded, wrapped or clamped.
 * Conversion to drops is a split of the digit string at the decimal point
 * of scale 6, plus zeros appended when the scale is below 6. */
#include "src/store/quantity.h"

#include <stdio.h>
#include <string.h>

/* Strips leading zeros of s[0..len) into q->digits ("0" for none). */
static void set_digits(struct eng_quantity *q, const char *s, size_t len)
{
	while (len > 1 && s[0] == '0') {
		s++;
		len--;
	}
	if (len == 0) {
		s = "0";
		len = 1;
	}
	XU_ASSERT(len <= ENG_QTY_CAP_DIGITS);
	memmove(q->digits, s, len);
	q->digits[len] = '\0';
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum xu_code eng_quantity_parse_json(struct eng_quantity *q, const json_t *obj,
				     struct xu_err *err)
{
	if (!json_is_object(obj))
		return xu_fail(err, XU_EINVAL, 0,
			       "a Quantity must be a JSON object");
	json_t *amount = json_object_get(obj, "amount");
	json_t *scale = json_object_get(obj, "scale");
	if (!amount)
		return xu_fail(err, XU_EINVAL, 0, "\"amount\" is missing");
	if (!json_is_string(amount))
		return xu_fail(err, XU_EINVAL, 0,
			       "\"amount\" must be a string of digits");
	const char *s = json_string_value(amount);
	size_t len = json_string_length(amount);
	if (len == 0)
		return xu_fail(err, XU_EINVAL, 0, "\"amount\" is empty");
	if (!all_digits(s, len))
		return xu_fail(err, XU_EINVAL, 0,
			       "\"amount\" must contain only the digits 0-9 "
			       "(no sign, exponent, spaces or separators)");
	if (len > ENG_QTY_MAX_DIGITS)
		return xu_fail(err, XU_EINVAL, 0,
			       "\"amount\" has %zu digits, more than the %d "
			       "accepted",
			       len, ENG_QTY_MAX_DIGITS);
	if (!scale)
		return xu_fail(err, XU_EINVAL, 0, "\"scale\" is missing");
	if (json_is_real(scale))
		return xu_fail(err, XU_EINVAL, 0,
			       "\"scale\" must be an integer, not a "
			       "floating-point number");
	if (!json_is_integer(scale))
		return xu_fail(err, XU_EINVAL, 0,
			       "\"scale\" must be an integer from 0 to 255");
	json_int_t v = json_integer_value(scale);
	if (v < 0 || v > ENG_QTY_MAX_SCALE)
		return xu_fail(err, XU_EINVAL, 0,
			       "\"scale\" must be from 0 to 255, not %lld",
			       (long long)v);
	set_digits(q, s, len);
	q->scale = (uint8_t)v;
	return XU_OK;
}

enum xu_code eng_quantity_set(struct eng_quantity *q, const char *digits,
			      unsigned scale, struct xu_err *err)
{
	size_t len = strlen(digits);
	if (len == 0 || !all_digits(digits, len))
		return xu_fail(err, XU_EINVAL, 0,
			       "quantity digits must be 0-9 only");
	if (scale > ENG_QTY_MAX_SCALE)
		return xu_fail(err, XU_EINVAL, 0, "scale %u above 255", scale);
	size_t lead = 0;
	while (lead + 1 < len && digits[lead] == '0')
		lead++;
	if (len - lead > ENG_QTY_CAP_DIGITS)
		return xu_fail(err, XU_EINVAL, 0,
			       "quantity has more than %d digits",
			       ENG_QTY_CAP_DIGITS);
	set_digits(q, digits + lead, len - lead);
	q->scale = (uint8_t)scale;
	return XU_OK;
}

void eng_quantity_zero(struct eng_quantity *q)
{
	set_digits(q, "0", 1);
	q->scale = 0;
}

void eng_quantity_from_drops(struct eng_quantity *q, struct xl_drops d)
{
	char buf[XL_DROPS_STRLEN + 1];
	xl_drops_fmt(buf, sizeof(buf), d);
	set_digits(q, buf, strlen(buf));
	q->scale = ENG_QTY_DROPS_SCALE;
}

bool eng_quantity_is_zero(const struct eng_quantity *q)
{
	return strcmp(q->digits, "0") == 0;
}

bool eng_quantity_eq(const struct eng_quantity *a, const struct eng_quantity *b)
{
	return a->scale == b->scale && strcmp(a->digits, b->digits) == 0;
}

/* Digit i (0 = least significant) of digits[0..len) shifted left by
 * `shift` zeros. */
static int digit_at(const char *digits, size_t len, size_t shift, size_t i)
{
	if (i < shift || i - shift >= len)
		return 0;
	return digits[len - 1 - (i - shift)] - '0';
}

enum xu_code eng_quantity_add(struct eng_quantity *out,
			      const struct eng_quantity *a,
			      const struct eng_quantity *b, struct xu_err *err)
{
	unsigned scale = a->scale > b->scale ? a->scale : b->scale;
	size_t la = strlen(a->digits), lb = strlen(b->digits);
	size_t sa = scale - a->scale, sb = scale - b->scale;
	/* Zero contributes nothing, however far it is shifted. */
	size_t wa = eng_quantity_is_zero(a) ? 1 : la + sa;
	size_t wb = eng_quantity_is_zero(b) ? 1 : lb + sb;
	size_t width = (wa > wb ? wa : wb) + 1;
	char rev[ENG_QTY_CAP_DIGITS + 2 + 2 * ENG_QTY_MAX_SCALE];
	if (width > sizeof(rev))
		return xu_fail(err, XU_ERANGE, 0,
			       "quantity sum has more than %d digits",
			       ENG_QTY_CAP_DIGITS);
	int carry = 0;
	for (size_t i = 0; i < width; i++) {
		int d = digit_at(a->digits, la, sa, i) +
			digit_at(b->digits, lb, sb, i) + carry;
		carry = d / 10;
		rev[i] = (char)('0' + d % 10);
	}
	XU_ASSERT(carry == 0);
	size_t n = width;
	while (n > 1 && rev[n - 1] == '0')
		n--;
	if (n > ENG_QTY_CAP_DIGITS)
		return xu_fail(err, XU_ERANGE, 0,
			       "quantity sum has more than %d digits",
			       ENG_QTY_CAP_DIGITS);
	for (size_t i = 0; i < n; i++)
		out->digits[i] = rev[n - 1 - i];
	out->digits[n] = '\0';
	out->scale = (uint8_t)scale;
	return XU_OK;
}

enum xu_code eng_quantity_to_drops(const struct eng_quantity *q,
				   struct xl_drops *drops,
				   struct eng_quantity *remainder,
				   struct xu_err *err)
{
	size_t len = strlen(q->digits);
	char whole[ENG_QTY_CAP_DIGITS + ENG_QTY_DROPS_SCALE + 1];
	size_t wlen;
	struct eng_quantity rem;

	if (q->scale <= ENG_QTY_DROPS_SCALE) {
		/* Upscale: append zeros, no remainder. */
		size_t zeros = (size_t)(ENG_QTY_DROPS_SCALE - q->scale);
		memcpy(whole, q->digits, len);
		memset(whole + len, '0', zeros);
		wlen = eng_quantity_is_zero(q) ? 1 : len + zeros;
		set_digits(&rem, "0", 1);
	} else {
		/* Split at the drops' decimal point. */
		size_t k = (size_t)(q->scale - ENG_QTY_DROPS_SCALE);
		if (len > k) {
			wlen = len - k;
			memcpy(whole, q->digits, wlen);
			set_digits(&rem, q->digits + wlen, k);
		} else {
			whole[0] = '0';
			wlen = 1;
			set_digits(&rem, q->digits, len);
		}
	}
	rem.scale = q->scale;
	whole[wlen] = '\0';

	/* 10^17 has 18 digits; anything longer is out of range. */
	struct xl_drops d;
	if (wlen > 18 || xl_drops_parse(&d, whole, NULL) != XU_OK)
		return xu_fail(err, XU_ERANGE, 0,
			       "amount is more than 10^17 drops (the XRP "
			       "supply)");
	*drops = d;
	if (remainder)
		*remainder = rem;
	return XU_OK;
}

size_t eng_quantity_fmt_json(char *buf, size_t cap,
			     const struct eng_quantity *q)
{
	int n = snprintf(buf, cap, "{\"amount\":\"%s\",\"scale\":%u}",
			 q->digits, (unsigned)q->scale);
	XU_ASSERT(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

json_t *eng_quantity_to_json(const struct eng_quantity *q)
{
	return json_pack("{s:s, s:i}", "amount", q->digits, "scale",
			 (int)q->scale);
}
