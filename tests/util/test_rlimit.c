/* Unit tests of the log-line rate limit (src/util/rlimit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "src/util/rlimit.h"

/* 1,000 events in one second with a burst of 5 per 60 s: 5 let through;
 * the next window's first one reports the 995 held back. */
static void test_rlimit_burst_then_count(void **state)
{
	struct xu_rlimit r = {0};
	uint32_t sup = 99, let = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		if (xu_rlimit_allow(&r, 1000 + i, 5, 60000, &sup)) {
			assert_int_equal(sup, 0);
			let++;
		}
	assert_int_equal(let, 5);
	assert_true(xu_rlimit_allow(&r, 61000, 5, 60000, &sup));
	assert_int_equal(sup, 995);
	assert_true(xu_rlimit_allow(&r, 61001, 5, 60000, &sup));
	assert_int_equal(sup, 0);
}

/* A clock that goes back starts a new window instead of holding lines
 * back until it catches up. */
static void test_rlimit_clock_back(void **state)
{
	struct xu_rlimit r = {0};
	uint32_t sup;

	(void)state;
	assert_true(xu_rlimit_allow(&r, 500000, 1, 60000, &sup));
	assert_false(xu_rlimit_allow(&r, 500001, 1, 60000, &sup));
	assert_true(xu_rlimit_allow(&r, 1000, 1, 60000, &sup));
	assert_int_equal(sup, 1);
}

/* The count of lines held back is reported once the window is over, even
 * when no further event comes; then nothing more until new ones are held. */
static void test_rlimit_flush_when_lifted(void **state)
{
	struct xu_rlimit r = {0};
	uint32_t sup = 0;

	(void)state;
	assert_false(xu_rlimit_flush(&r, 1000, 60000, &sup));
	for (int i = 0; i < 10; i++)
		(void)xu_rlimit_allow(&r, i, 2, 60000, &sup);
	assert_false(xu_rlimit_flush(&r, 59999, 60000, &sup));
	assert_true(xu_rlimit_flush(&r, 60000, 60000, &sup));
	assert_int_equal(sup, 8);
	assert_false(xu_rlimit_flush(&r, 200000, 60000, &sup));
	assert_true(xu_rlimit_allow(&r, 200001, 2, 60000, &sup));
	assert_int_equal(sup, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rlimit_burst_then_count),
	    cmocka_unit_test(test_rlimit_clock_back),
	    cmocka_unit_test(test_rlimit_flush_when_lifted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
