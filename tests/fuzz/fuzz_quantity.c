/* libFuzzer target for RFC 0038 Quantities (src/store/quantity.h), the amounts
 * a connector sends in POST /accounts/:id/settlements and messages.
 *
 * The input is parsed as JSON.  An object is one Quantity; an array holds
 * up to 8 of them (non-objects are skipped).  For every Quantity that
 * eng_quantity_parse_json() accepts:
 *   - the digits are canonical (no leading zero, 1..96 digits) and the
 *     scale is the JSON integer;
 *   - eng_quantity_fmt_json(), eng_quantity_to_json() and
 *     eng_quantity_set() all give back an equal Quantity;
 *   - eng_quantity_to_drops() either fails with XU_ERANGE exactly when the
 *     whole-drops part exceeds 10^17, or gives drops and a remainder with
 *     q == drops * 10^(scale-6) + remainder (checked on the digit strings,
 *     independently of quantity.c), remainder < 10^(scale-6).
 * For every pair a, b (and the running sum of all of them):
 *   - eng_quantity_add() equals a schoolbook sum computed here, at scale
 *     max(a.scale, b.scale), or fails with XU_ERANGE exactly when that sum
 *     has more than ENG_QTY_CAP_DIGITS digits; a + b == b + a;
 *   - the sum passes the same to_drops check.
 * Any mismatch aborts.  tests/ledger/fuzz_replay.c replays the committed
 * corpus (tests/fuzz/corpus/quantity/) through this function in ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/store/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXQ 8
/* Room for any schoolbook sum: digits + 255 appended zeros + carry. */
#define SUM_CAP (ENG_QTY_CAP_DIGITS + ENG_QTY_MAX_SCALE + 8)

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_quantity: %s\n", what);
		abort();
	}
}

static int canonical_digits(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || n > ENG_QTY_CAP_DIGITS)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return n == 1 || d[0] != '0';
}

/* Strips leading zeros in place ("0" for all zeros). */
static void strip(char *s)
{
	size_t lead = 0, n = strlen(s);
	while (lead + 1 < n && s[lead] == '0')
		lead++;
	memmove(s, s + lead, n - lead + 1);
}

/* out = digits of a at scale `scale` (>= a's), i.e. with zeros appended. */
static void align(char *out, const struct eng_quantity *a, unsigned scale)
{
	size_t n = strlen(a->digits);
	memcpy(out, a->digits, n);
	memset(out + n, '0', scale - a->scale);
	out[n + scale - a->scale] = '\0';
}

/* Schoolbook sum of two digit strings into out (capacity SUM_CAP). */
static void school_add(char *out, const char *x, const char *y)
{
	size_t lx = strlen(x), ly = strlen(y);
	size_t n = (lx > ly ? lx : ly) + 1;
	int carry = 0;
	check(n < SUM_CAP, "schoolbook sum too wide");
	out[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		int d = carry;
		if (i < lx)
			d += x[lx - 1 - i] - '0';
		if (i < ly)
			d += y[ly - 1 - i] - '0';
		out[n - 1 - i] = (char)('0' + d % 10);
		carry = d / 10;
	}
	strip(out);
}

/* The to_drops property of q, checked on the digit strings. */
static void check_drops(const struct eng_quantity *q)
{
	struct xl_drops d;
	struct eng_quantity rem;
	char dec[XL_DROPS_STRLEN + 1];
	char whole[SUM_CAP], back[SUM_CAP];
	size_t len = strlen(q->digits);
	enum xu_code rc = eng_quantity_to_drops(q, &d, &rem, NULL);

	/* The whole-drops part as a digit string, computed here. */
	if (q->scale <= ENG_QTY_DROPS_SCALE) {
		memcpy(whole, q->digits, len);
		memset(whole + len, '0',
		       (size_t)(ENG_QTY_DROPS_SCALE - q->scale));
		whole[len + (size_t)(ENG_QTY_DROPS_SCALE - q->scale)] = '\0';
	} else {
		size_t k = (size_t)(q->scale - ENG_QTY_DROPS_SCALE);
		if (len > k) {
			memcpy(whole, q->digits, len - k);
			whole[len - k] = '\0';
		} else {
			strcpy(whole, "0");
		}
	}
	strip(whole);
	/* 10^17 = "1" followed by 17 zeros. */
	int over =
	    strlen(whole) > 18 ||
	    (strlen(whole) == 18 && strcmp(whole, "100000000000000000") > 0);
	if (over) {
		check(rc == XU_ERANGE, "to_drops accepted more than 10^17");
		return;
	}
	check(rc == XU_OK, "to_drops refused an amount within 10^17");
	xl_drops_fmt(dec, sizeof(dec), d);
	check(strcmp(dec, whole) == 0, "to_drops: wrong whole drops");
	check(canonical_digits(rem.digits), "remainder not canonical");
	check(rem.scale == q->scale, "remainder scale differs");
	if (q->scale <= ENG_QTY_DROPS_SCALE) {
		check(eng_quantity_is_zero(&rem), "remainder at scale <= 6");
		return;
	}
	/* drops * 10^k + remainder, with remainder < 10^k, is q. */
	size_t k = (size_t)(q->scale - ENG_QTY_DROPS_SCALE);
	size_t rl = strlen(rem.digits);
	check(eng_quantity_is_zero(&rem) || rl <= k,
	      "remainder not below 10^(scale-6)");
	size_t dl = strlen(dec);
	memcpy(back, dec, dl);
	memset(back + dl, '0', k - rl);
	memcpy(back + dl + k - rl, rem.digits, rl + 1);
	strip(back);
	check(strcmp(back, q->digits) == 0,
	      "q != drops * 10^(scale-6) + remainder");
	/* remainder == NULL is allowed and gives the same drops. */
	struct xl_drops d2;
	check(eng_quantity_to_drops(q, &d2, NULL, NULL) == XU_OK &&
		  d2.drops == d.drops,
	      "to_drops without remainder differs");
}

/* The representations of q all give q back. */
static void check_forms(const struct eng_quantity *q)
{
	char buf[ENG_QTY_JSON_MAX];
	struct eng_quantity r;
	size_t n = eng_quantity_fmt_json(buf, sizeof(buf), q);
	json_t *j = json_loadb(buf, n, 0, NULL);

	/* Sums may be longer than what is accepted from outside. */
	int accept = strlen(q->digits) <= ENG_QTY_MAX_DIGITS;

	check(j != NULL, "fmt_json is not JSON");
	if (accept)
		check(eng_quantity_parse_json(&r, j, NULL) == XU_OK &&
			  eng_quantity_eq(&r, q),
		      "fmt_json round trip differs");
	else
		check(eng_quantity_parse_json(&r, j, NULL) == XU_EINVAL,
		      "parse_json accepted more than 96 digits");
	json_decref(j);
	j = eng_quantity_to_json(q);
	check(j != NULL, "to_json failed");
	if (accept)
		check(eng_quantity_parse_json(&r, j, NULL) == XU_OK &&
			  eng_quantity_eq(&r, q),
		      "to_json round trip differs");
	json_decref(j);
	check(eng_quantity_set(&r, q->digits, q->scale, NULL) == XU_OK &&
		  eng_quantity_eq(&r, q),
	      "set round trip differs");
}

static void check_add(const struct eng_quantity *a,
		      const struct eng_quantity *b, struct eng_quantity *sum,
		      int *ok)
{
	unsigned scale = a->scale > b->scale ? a->scale : b->scale;
	char xa[SUM_CAP], xb[SUM_CAP], want[SUM_CAP];
	struct eng_quantity s1, s2;

	align(xa, a, scale);
	align(xb, b, scale);
	strip(xa);
	strip(xb);
	school_add(want, xa, xb);
	enum xu_code r1 = eng_quantity_add(&s1, a, b, NULL);
	enum xu_code r2 = eng_quantity_add(&s2, b, a, NULL);
	check(r1 == r2, "a + b and b + a disagree on failing");
	*ok = 0;
	if (strlen(want) > ENG_QTY_CAP_DIGITS) {
		check(r1 == XU_ERANGE, "add accepted a sum above the cap");
		return;
	}
	check(r1 == XU_OK, "add refused a sum within the cap");
	check(canonical_digits(s1.digits), "sum not canonical");
	check(s1.scale == scale, "sum at the wrong scale");
	check(strcmp(s1.digits, want) == 0, "a + b wrong");
	check(eng_quantity_eq(&s1, &s2), "a + b != b + a");
	check_drops(&s1);
	check_forms(&s1);
	*sum = s1;
	*ok = 1;
}

static int parse_one(struct eng_quantity *q, const json_t *v)
{
	struct eng_quantity before;
	memset(q, 0x5a, sizeof(*q));
	before = *q;
	if (eng_quantity_parse_json(q, v, NULL) != XU_OK) {
		check(memcmp(q, &before, sizeof(*q)) == 0,
		      "failed parse touched the output");
		return 0;
	}
	check(canonical_digits(q->digits) &&
		  strlen(q->digits) <= ENG_QTY_MAX_DIGITS,
	      "parsed digits not canonical");
	check(json_is_integer(json_object_get(v, "scale")) &&
		  json_integer_value(json_object_get(v, "scale")) == q->scale,
	      "parsed scale differs");
	check_forms(q);
	check_drops(q);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct eng_quantity qs[MAXQ];
	size_t nq = 0;
	json_t *root =
	    json_loadb((const char *)data, size,
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

	if (root == NULL)
		return 0;
	if (json_is_array(root)) {
		size_t i;
		json_t *v;
		json_array_foreach(root, i, v)
		{
			if (nq == MAXQ)
				break;
			if (parse_one(&qs[nq], v))
				nq++;
		}
	} else if (parse_one(&qs[0], root)) {
		nq = 1;
	}
	json_decref(root);

	for (size_t i = 0; i < nq; i++)
		for (size_t j = i; j < nq; j++) {
			struct eng_quantity s;
			int ok;
			check_add(&qs[i], &qs[j], &s, &ok);
		}
	if (nq > 2) {
		struct eng_quantity acc = qs[0];
		for (size_t i = 1; i < nq; i++) {
			struct eng_quantity s;
			int ok;
			check_add(&acc, &qs[i], &s, &ok);
			if (!ok)
				break;
			acc = s;
		}
	}
	return 0;
}
