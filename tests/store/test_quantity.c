/* Unit tests for src/store/quantity.c: the worked example of
 * docs/api.md#quantities-and-leftovers, the strict JSON grammar (a table
 * of bad inputs and their messages), and randomized checks against an
 * exact model: unsigned __int128 where it can represent the values,
 * string-level identities beyond (2^64 and up, scale 255).  The random
 * seed is printed and may be given as argv[1]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/store/quantity.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static struct eng_quantity Q(const char *digits, unsigned scale) {
	struct eng_quantity q;
	assert_int_equal(eng_quantity_set(&q, digits, scale, NULL), XU_OK);
	return q;
}

static struct eng_quantity
parse(const char *json)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	assert_non_null(o);
	struct eng_quantity q;
	struct xu_err e;
	enum xu_code rc = eng_quantity_parse_json(&q, o, &e);
	json_decref(o);
	if (rc != XU_OK)
		fail_msg("parse %s: %s", json, e.msg);
	return q;
}

/* One settlement with leftovers, as the store does it. */
static uint64_t settle(struct eng_quantity *leftover, const char *json)
{
	struct eng_quantity q = parse(json), total, rem;
	struct xl_drops d;
	assert_int_equal(eng_quantity_add(&total, leftover, &q, NULL), XU_OK);
	assert_int_equal(eng_quantity_to_drops(&total, &d, &rem, NULL), XU_OK);
	*leftover = rem;
	return xl_drops_u64(d);
}

static void test_eng_quantity_example1(void **state)
{
	(void)state;
	struct eng_quantity left;
	eng_quantity_zero(&left);
	/* The worked example of docs/api.md#quantities-and-leftovers. */
	assert_int_equal(settle(&left, "{\"amount\":\"1234567\",\"scale\":9}"),
			 1234);
	assert_string_equal(left.digits, "567");
	assert_int_equal(left.scale, 9);
	assert_int_equal(settle(&left, "{\"amount\":\"433\",\"scale\":9}"), 1);
	assert_true(eng_quantity_is_zero(&left));
	assert_int_equal(settle(&left, "{\"amount\":\"5\",\"scale\":2}"),
			 50000);
	assert_true(eng_quantity_is_zero(&left));

	eng_quantity_zero(&left);
	assert_int_equal(settle(&left, "{\"amount\":\"999\",\"scale\":9}"), 0);
	assert_string_equal(left.digits, "999");
	assert_int_equal(settle(&left, "{\"amount\":\"999\",\"scale\":9}"), 1);
	assert_string_equal(left.digits, "998");
	assert_int_equal(settle(&left, "{\"amount\":\"999\",\"scale\":9}"), 1);
	assert_string_equal(left.digits, "997");
	assert_int_equal(left.scale, 9);

	/* XRP's own test: 378.1234567 -> 378.123456. */
	eng_quantity_zero(&left);
	assert_int_equal(
	    settle(&left, "{\"amount\":\"3781234567\",\"scale\":7}"),
	    378123456);
	assert_string_equal(left.digits, "7");
}

static void test_eng_quantity_edges(void **state)
{
	(void)state;
	struct eng_quantity q, r, s;
	struct xl_drops d;
	struct xu_err e;

	/* 10^17 drops exactly, and one more. */
	q = Q("100000000000", 0);
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_OK);
	assert_int_equal(xl_drops_u64(d), XL_DROPS_MAX);
	q = Q("100000000000000001", 6);
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, &e), XU_ERANGE);
	assert_non_null(strstr(e.msg, "10^17"));
	/* 2^64 drops and far beyond: a range error, never a wrap. */
	q = Q("18446744073709551616", 6);
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_ERANGE);
	q = Q("18446744073709551616", 0);
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_ERANGE);
	/* ... but 2^64 at scale 20 is 184467 drops. */
	q = Q("18446744073709551616", 20);
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_OK);
	assert_int_equal(xl_drops_u64(d), 184467);
	assert_string_equal(r.digits, "44073709551616");
	assert_int_equal(r.scale, 20);
	/* Scale 255: everything is a leftover. */
	q = parse("{\"amount\":\"2387493254398563574732428183413479237\","
		  "\"scale\":255}");
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_OK);
	assert_true(xl_drops_is_zero(d));
	assert_true(eng_quantity_eq(&q, &r));
	/* Adding a scale-0 amount to a scale-255 leftover is exact. */
	s = Q("1", 0);
	assert_int_equal(eng_quantity_add(&s, &s, &q, NULL), XU_OK);
	assert_int_equal(s.scale, 255);
	assert_int_equal(strlen(s.digits), 256);
	assert_int_equal(s.digits[0], '1');
	assert_int_equal(eng_quantity_to_drops(&s, &d, &r, NULL), XU_OK);
	assert_int_equal(xl_drops_u64(d), 1000000);
	assert_true(eng_quantity_eq(&q, &r));
	/* The largest parseable amount at scale 0 plus one at scale 255
	 * still fits the capacity. */
	char big[ENG_QTY_MAX_DIGITS + 1];
	memset(big, '9', ENG_QTY_MAX_DIGITS);
	big[ENG_QTY_MAX_DIGITS] = '\0';
	q = Q(big, 0);
	r = Q(big, 255);
	assert_int_equal(eng_quantity_add(&s, &q, &r, NULL), XU_OK);
	assert_int_equal(strlen(s.digits), 96 + 255);
	/* Zero stays "0" at any scale. */
	q = parse("{\"amount\":\"0000\",\"scale\":200}");
	assert_string_equal(q.digits, "0");
	assert_int_equal(eng_quantity_to_drops(&q, &d, &r, NULL), XU_OK);
	assert_true(xl_drops_is_zero(d) && eng_quantity_is_zero(&r));
	/* Formatting. */
	char buf[ENG_QTY_JSON_MAX];
	q = parse("{\"amount\":\"00468200000\",\"scale\":8,\"x\":1}");
	eng_quantity_fmt_json(buf, sizeof(buf), &q);
	assert_string_equal(buf, "{\"amount\":\"468200000\",\"scale\":8}");
	eng_quantity_from_drops(&q, d);
	eng_quantity_fmt_json(buf, sizeof(buf), &q);
	assert_string_equal(buf, "{\"amount\":\"0\",\"scale\":6}");
	json_t *j = eng_quantity_to_json(&q);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "scale")), 6);
	json_decref(j);
	/* set() refuses junk. */
	assert_int_equal(eng_quantity_set(&q, "", 0, NULL), XU_EINVAL);
	assert_int_equal(eng_quantity_set(&q, "1a", 0, NULL), XU_EINVAL);
	assert_int_equal(eng_quantity_set(&q, "1", 256, NULL), XU_EINVAL);
}

static const struct {
	const char *json;
	const char *msg; /* a substring of the error message */
} bad[] = {
    {"[]", "must be a JSON object"},
    {"\"5\"", "must be a JSON object"},
    {"{\"scale\":2}", "\"amount\" is missing"},
    {"{\"amount\":5,\"scale\":2}", "\"amount\" must be a string"},
    {"{\"amount\":null,\"scale\":2}", "\"amount\" must be a string"},
    {"{\"amount\":\"\",\"scale\":2}", "\"amount\" is empty"},
    {"{\"amount\":\"-5\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"+5\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"1e5\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"1.5\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\" 5\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"5 \",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"1_000\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"0x10\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"\\u0661\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"5\\u0000\",\"scale\":2}", "only the digits"},
    {"{\"amount\":\"5\"}", "\"scale\" is missing"},
    {"{\"amount\":\"5\",\"scale\":6.0}", "not a floating-point"},
    {"{\"amount\":\"5\",\"scale\":1e2}", "not a floating-point"},
    {"{\"amount\":\"5\",\"scale\":\"6\"}", "must be an integer"},
    {"{\"amount\":\"5\",\"scale\":null}", "must be an integer"},
    {"{\"amount\":\"5\",\"scale\":true}", "must be an integer"},
    {"{\"amount\":\"5\",\"scale\":-1}", "from 0 to 255, not -1"},
    {"{\"amount\":\"5\",\"scale\":256}", "from 0 to 255, not 256"},
};

static void test_eng_quantity_bad_json(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t je;
		json_t *o = json_loads(bad[i].json,
				       JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!o)
			fail_msg("test json %s: %s", bad[i].json, je.text);
		struct eng_quantity q = Q("42", 3);
		struct xu_err e;
		enum xu_code rc = eng_quantity_parse_json(&q, o, &e);
		json_decref(o);
		if (rc != XU_EINVAL || !strstr(e.msg, bad[i].msg))
			fail_msg("%s: got %d \"%s\", want \"%s\"", bad[i].json,
				 rc, e.msg, bad[i].msg);
		/* Untouched on failure. */
		assert_string_equal(q.digits, "42");
		assert_int_equal(q.scale, 3);
	}
	/* 97 digits: too long, whatever their value. */
	char json[200];
	snprintf(json, sizeof(json), "{\"amount\":\"%097d\",\"scale\":2}", 1);
	json_t *o = json_loads(json, 0, NULL);
	assert_non_null(o);
	struct xu_err e;
	struct eng_quantity q;
	assert_int_equal(eng_quantity_parse_json(&q, o, &e), XU_EINVAL);
	assert_string_equal(
	    e.msg, "\"amount\" has 97 digits, more than the 96 accepted");
	json_decref(o);
	snprintf(json, sizeof(json), "{\"amount\":\"%096d\",\"scale\":2}", 1);
	o = json_loads(json, 0, NULL);
	assert_int_equal(eng_quantity_parse_json(&q, o, &e), XU_OK);
	json_decref(o);
	/* Good edges. */
	q = parse("{\"amount\":\"0\",\"scale\":0}");
	assert_true(eng_quantity_is_zero(&q));
	q = parse("{\"scale\":255,\"amount\":\"000000000000000000000000000000"
		  "00000000000000000000000000000000000000000000000000000000000"
		  "0000001\"}");
	assert_string_equal(q.digits, "1");
	assert_int_equal(q.scale, 255);
}

static void u128_str(char *buf, unsigned __int128 v)
{
	char tmp[64];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

static unsigned __int128 pow10u(unsigned k)
{
	unsigned __int128 p = 1;
	while (k--)
		p *= 10;
	return p;
}

/* A random value below 10^digits. */
static unsigned __int128 rnd_val(unsigned digits)
{
	unsigned __int128 v = ((unsigned __int128)rnd() << 64) | rnd();
	return v % pow10u(digits);
}

/* Exact model on the range __int128 covers: amounts below 10^18, scales
 * below 19 (so every shifted value stays below 10^37). */
static void test_eng_quantity_random_model(void **state)
{
	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		unsigned da = 1 + (unsigned)(rnd() % 18);
		unsigned db = 1 + (unsigned)(rnd() % 18);
		unsigned __int128 a = rnd_val(da), b = rnd_val(db);
		unsigned sa = (unsigned)(rnd() % 19),
			 sb = (unsigned)(rnd() % 19);
		char as[64], bs[64];
		u128_str(as, a);
		u128_str(bs, b);
		struct eng_quantity qa = Q(as, sa), qb = Q(bs, sb), sum, rem;
		assert_int_equal(eng_quantity_add(&sum, &qa, &qb, NULL), XU_OK);
		unsigned s = sa > sb ? sa : sb;
		unsigned __int128 ms = a * pow10u(s - sa) + b * pow10u(s - sb);
		char want[64];
		u128_str(want, ms);
		assert_string_equal(sum.digits, want);
		assert_int_equal(sum.scale, s);

		/* to_drops of the sum against the model. */
		unsigned __int128 drops, r;
		if (s <= 6) {
			drops = ms * pow10u(6 - s);
			r = 0;
		} else {
			drops = ms / pow10u(s - 6);
			r = ms % pow10u(s - 6);
		}
		struct xl_drops d;
		enum xu_code rc = eng_quantity_to_drops(&sum, &d, &rem, NULL);
		if (drops > XL_DROPS_MAX) {
			assert_int_equal(rc, XU_ERANGE);
			continue;
		}
		assert_int_equal(rc, XU_OK);
		assert_true(xl_drops_u64(d) == (uint64_t)drops);
		u128_str(want, r);
		assert_string_equal(rem.digits, want);
		assert_int_equal(rem.scale, s);
	}
}

/* Beyond the model: long amounts and scales up to 255, checked through
 * the identity x == drops * 10^(s-6) + remainder on the digit strings. */
static void test_eng_quantity_random_strings(void **state)
{
	(void)state;
	for (int iter = 0; iter < 100000; iter++) {
		char digits[ENG_QTY_MAX_DIGITS + 1];
		unsigned n = 1 + (unsigned)(rnd() % ENG_QTY_MAX_DIGITS);
		for (unsigned i = 0; i < n; i++)
			digits[i] = (char)('0' + rnd() % 10);
		digits[n] = '\0';
		unsigned scale = (unsigned)(rnd() % 256);
		struct eng_quantity q = Q(digits, scale), rem;
		const char *x = q.digits;
		size_t xl = strlen(x);
		struct xl_drops d;
		enum xu_code rc = eng_quantity_to_drops(&q, &d, &rem, NULL);
		/* Expected length of the whole-drops part. */
		size_t whole;
		if (strcmp(x, "0") == 0)
			whole = 1;
		else if (scale <= 6)
			whole = xl + (6 - scale);
		else
			whole = xl > scale - 6 ? xl - (scale - 6) : 1;
		if (whole > 18) {
			assert_int_equal(rc, XU_ERANGE);
			continue;
		}
		if (rc == XU_ERANGE) {
			/* Only exactly 18 digits above 10^17. */
			assert_int_equal(whole, 18);
			continue;
		}
		assert_int_equal(rc, XU_OK);
		char ds[32];
		xl_drops_fmt(ds, sizeof(ds), d);
		char rebuilt[2 * ENG_QTY_CAP_DIGITS];
		if (scale <= 6) {
			/* drops == x * 10^(6-scale), remainder zero. */
			assert_true(eng_quantity_is_zero(&rem));
			snprintf(rebuilt, sizeof(rebuilt), "%s%.*s", x,
				 strcmp(x, "0") ? (int)(6 - scale) : 0,
				 "000000");
			assert_string_equal(ds, rebuilt);
			continue;
		}
		/* x == drops . remainder padded to scale-6 digits. */
		unsigned k = scale - 6;
		size_t rl = strlen(rem.digits);
		assert_true(rl <= k);
		assert_int_equal(rem.scale, scale);
		char pad[300];
		memset(pad, '0', k - rl);
		memcpy(pad + (k - rl), rem.digits, rl + 1);
		snprintf(rebuilt, sizeof(rebuilt), "%s%s", ds, pad);
		const char *rb = rebuilt;
		while (rb[0] == '0' && rb[1])
			rb++;
		assert_string_equal(rb, x);
	}
}

/* add() is commutative and adding zero re-expresses the same value. */
static void test_eng_quantity_random_add(void **state)
{
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		char a[ENG_QTY_MAX_DIGITS + 1], b[ENG_QTY_MAX_DIGITS + 1];
		unsigned na = 1 + (unsigned)(rnd() % ENG_QTY_MAX_DIGITS);
		unsigned nb = 1 + (unsigned)(rnd() % ENG_QTY_MAX_DIGITS);
		for (unsigned i = 0; i < na; i++)
			a[i] = (char)('0' + rnd() % 10);
		for (unsigned i = 0; i < nb; i++)
			b[i] = (char)('0' + rnd() % 10);
		a[na] = b[nb] = '\0';
		struct eng_quantity qa = Q(a, (unsigned)(rnd() % 256));
		struct eng_quantity qb = Q(b, (unsigned)(rnd() % 256));
		struct eng_quantity s1, s2, z, s3;
		assert_int_equal(eng_quantity_add(&s1, &qa, &qb, NULL), XU_OK);
		assert_int_equal(eng_quantity_add(&s2, &qb, &qa, NULL), XU_OK);
		assert_true(eng_quantity_eq(&s1, &s2));
		z = Q("0", qb.scale);
		assert_int_equal(eng_quantity_add(&s3, &qa, &z, NULL), XU_OK);
		/* qa at the larger scale: its digits followed by zeros. */
		if (qb.scale <= qa.scale) {
			assert_true(eng_quantity_eq(&s3, &qa));
		} else if (!eng_quantity_is_zero(&qa)) {
			size_t l = strlen(qa.digits);
			assert_int_equal(strlen(s3.digits),
					 l + qb.scale - qa.scale);
			assert_memory_equal(s3.digits, qa.digits, l);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rng_state = strtoull(argv[1], NULL, 0);
	printf("# seed 0x%llx\n", (unsigned long long)rng_state);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eng_quantity_example1),
	    cmocka_unit_test(test_eng_quantity_edges),
	    cmocka_unit_test(test_eng_quantity_bad_json),
	    cmocka_unit_test(test_eng_quantity_random_model),
	    cmocka_unit_test(test_eng_quantity_random_strings),
	    cmocka_unit_test(test_eng_quantity_random_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
