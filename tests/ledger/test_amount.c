/* Unit tests for ledger/amount.c: checked drops arithmetic, compared with a
 * 128-bit model on random inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/amount.h"

static struct xl_drops D(uint64_t v) {
	struct xl_drops d;
	assert_true(xl_drops_from_u64(&d, v));
	return d;
}

static void
test_ledger_amount_bounds(void **state)
{
	struct xl_drops d = D(5), out = D(1);

	(void)state;
	assert_false(xl_drops_from_u64(&d, XL_DROPS_MAX + 1));
	assert_int_equal(xl_drops_u64(d), 5);
	assert_true(xl_drops_add(&out, D(XL_DROPS_MAX - 1), D(1)));
	assert_int_equal(xl_drops_u64(out), XL_DROPS_MAX);
	assert_false(xl_drops_add(&out, D(XL_DROPS_MAX), D(1)));
	assert_int_equal(xl_drops_u64(out), XL_DROPS_MAX); /* untouched */
	assert_false(xl_drops_sub(&out, D(1), D(2)));
	assert_true(xl_drops_sub(&out, D(2), D(2)));
	assert_true(xl_drops_is_zero(out));
	assert_false(xl_drops_mul(&out, D(XL_DROPS_MAX), 2));
	assert_false(xl_drops_mul(&out, D(UINT64_C(1) << 40), UINT64_MAX));
	assert_true(
	    xl_drops_muldiv(&out, D(XL_DROPS_MAX), UINT64_MAX, UINT64_MAX));
	assert_int_equal(xl_drops_u64(out), XL_DROPS_MAX);
	assert_true(xl_drops_muldiv(&out, D(10), 1, 3));
	assert_int_equal(xl_drops_u64(out), 3);
	assert_int_equal(xl_drops_cmp(D(1), D(2)), -1);
	assert_int_equal(xl_drops_cmp(D(2), D(2)), 0);
	assert_int_equal(xl_drops_u64(xl_drops_min(D(7), D(3))), 3);
	assert_int_equal(xl_drops_u64(xl_drops_max(D(7), D(3))), 7);
	assert_int_equal(xl_drops_u64(xl_drops_max(D(3), D(7))), 7);
}

static void test_ledger_amount_parse_fmt(void **state)
{
	struct xl_drops d = D(42);
	char buf[XL_DROPS_STRLEN + 1];
	struct xu_err e;

	(void)state;
	assert_int_equal(xl_drops_parse(&d, "100000000000000000", &e), XU_OK);
	assert_int_equal(xl_drops_u64(d), XL_DROPS_MAX);
	xl_drops_fmt(buf, sizeof(buf), d);
	assert_string_equal(buf, "100000000000000000");
	assert_int_equal(xl_drops_parse(&d, "0000000000000000000000000001", &e),
			 XU_OK);
	assert_int_equal(xl_drops_u64(d), 1);
	assert_int_equal(xl_drops_parse(&d, "100000000000000001", &e),
			 XU_ERANGE);
	assert_int_equal(xl_drops_parse(&d, "99999999999999999999999", &e),
			 XU_ERANGE);
	assert_int_equal(xl_drops_parse(&d, "-1", &e), XU_EPARSE);
	assert_int_equal(xl_drops_parse(&d, "1e6", &e), XU_EPARSE);
	assert_int_equal(xl_drops_parse(&d, " 1", &e), XU_EPARSE);
	assert_int_equal(xl_drops_parse(&d, "", &e), XU_EPARSE);
	assert_int_equal(xl_drops_u64(d), 1); /* untouched on failure */
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure replays. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717u;
}

static void test_ledger_amount_random_model(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t a = rnd() % (XL_DROPS_MAX + 2);
		uint64_t b = rnd() >> (rnd() % 64);
		struct xl_drops da, db, out = D(0);
		bool oka = xl_drops_from_u64(&da, a);
		unsigned __int128 sum = (unsigned __int128)a + b;

		assert_int_equal(oka, a <= XL_DROPS_MAX);
		if (!oka || b > XL_DROPS_MAX)
			continue;
		db = D(b);
		assert_int_equal(xl_drops_add(&out, da, db),
				 sum <= XL_DROPS_MAX);
		if (sum <= XL_DROPS_MAX)
			assert_true(xl_drops_u64(out) == (uint64_t)sum);
		assert_int_equal(xl_drops_sub(&out, da, db), a >= b);
		if (a >= b)
			assert_true(xl_drops_u64(out) == a - b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ledger_amount_bounds),
	    cmocka_unit_test(test_ledger_amount_parse_fmt),
	    cmocka_unit_test(test_ledger_amount_random_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
