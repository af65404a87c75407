/* Unit tests of the engine cron's period (src/daemon/cron.c): each of the
 * four signs of movement alone keeps the configured period, only a cron
 * that saw none of them stretches it, a batch counts once (between two
 * crons), and a fixed period is never stretched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "src/daemon/cron.h"

static const struct eng_cron_seen idle = {
    .batches = 7, .sent = 0, .inflight = 0, .quiet = true};

static void test_cron_idle_stretches(void **state)
{
	uint64_t last = 7;

	(void)state;
	assert_int_equal(eng_cron_next_ms(&last, &idle, 100, false),
			 ENG_CRON_IDLE_MS);
	assert_int_equal(last, 7);
	/* A longer configured period is never shortened. */
	assert_int_equal(eng_cron_next_ms(&last, &idle, 2000, false), 2000);
}

/* Each sign of movement alone, the others as when idle. */
static void test_cron_each_sign_keeps_period(void **state)
{
	struct {
		const char *what;
		struct eng_cron_seen s;
	} rows[] = {
	    {"API batch since the last cron", {8, 0, 0, true}},
	    {"rows handed out", {7, 3, 0, true}},
	    {"store busy (skipped)", {7, 1, 0, true}},
	    {"a call out", {7, 0, 1, true}},
	    {"poll answers or account change waiting", {7, 0, 0, false}},
	    {"all at once", {9, 2, 5, false}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t last = 7;

		print_message("%s\n", rows[i].what);
		assert_int_equal(
		    eng_cron_next_ms(&last, &rows[i].s, 100, false), 100);
		assert_int_equal(last, rows[i].s.batches);
	}
}

/* A batch is movement once: the cron after it, with nothing else, goes
 * idle; a further batch wakes it again. */
static void test_cron_batch_counts_once(void **state)
{
	uint64_t last = 0;
	struct eng_cron_seen s = idle;

	(void)state;
	s.batches = 1;
	assert_int_equal(eng_cron_next_ms(&last, &s, 100, false), 100);
	assert_int_equal(eng_cron_next_ms(&last, &s, 100, false),
			 ENG_CRON_IDLE_MS);
	s.batches = 2;
	assert_int_equal(eng_cron_next_ms(&last, &s, 100, false), 100);
}

/* --dev-cron-ms: the period the operator set, moving or not. */
static void test_cron_fixed_kept(void **state)
{
	uint64_t last = 7;

	(void)state;
	assert_int_equal(eng_cron_next_ms(&last, &idle, 20, true), 20);
	assert_int_equal(eng_cron_next_ms(&last, &idle, 100, true), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cron_idle_stretches),
	    cmocka_unit_test(test_cron_each_sign_keeps_period),
	    cmocka_unit_test(test_cron_batch_counts_once),
	    cmocka_unit_test(test_cron_fixed_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
