/* The store over time: what a settlement leaves in the database and
 * whether the periodic clean-up keeps the file from growing without
 * bound.  Both run the rows the engine writes per settlement through the
 * store's own functions: on the payer's side the settlement request's
 * idempotency record (eng_store_settle), on the payee's side the credit
 * handed to its connector (an outbox row, then marked delivered), and the
 * clean-up the engine's cron runs (eng_store_idem_gc, eng_obrows_gc).
 *
 *   test_store_growth              the ctest test: a fast clock, one hour
 *                                  a step, retention of a few hours; the
 *                                  page count must level off once the
 *                                  clean-up deletes as much as an hour
 *                                  adds (SQLite reuses freed pages: no
 *                                  VACUUM needed), and must keep growing
 *                                  without the clean-up (so the test can
 *                                  fail)
 *   test_store_growth --bench N    prints bytes per settlement on each side
 *                                  after N settlements (README's "store
 *                                  over time" figures) */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "src/store/db.h"
#include "src/store/outbox_rows.h"
#include "src/store/quantity.h"
#include "src/store/store.h"
#include "tests/store/tempdb.h"

#define HOUR_S 3600
#define NACCT 8

/* Pages of the store's database (WAL included); *freelist (nullable):
 * how many of them are free. */
static int64_t pages(struct eng_store *s, int64_t *freelist)
{
	sqlite3 *db = eng_store_db(s);
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (freelist &&
	    sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*freelist = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static const char *acct(unsigned i)
{
	static char ids[NACCT][40];

	/* UUIDs, as interledger-rs names its accounts. */
	snprintf(ids[i % NACCT], sizeof(ids[0]),
		 "5d0c1a7e-2f3b-4c6d-8e9f-%012u", i % NACCT);
	return ids[i % NACCT];
}

static void setup_accounts(struct eng_store *s)
{
	struct xu_err e;
	bool created;

	assert_int_equal(eng_store_begin(s, &e), XU_OK);
	for (unsigned i = 0; i < NACCT; i++)
		assert_int_equal(
		    eng_store_account_create(s, acct(i), &created, &e), XU_OK);
	assert_int_equal(eng_store_commit(s, &e), XU_OK);
}

/* One settlement as both sides store it, at now_s: the payer's
 * idempotency record and the payee's delivered credit (keys and bodies
 * shaped as the engine writes them). */
static void one_settlement(struct eng_store *s, uint64_t n, int64_t now_s)
{
	char key[40], digits[24], ckey[100], path[80], body[48];
	struct eng_quantity q;
	struct eng_settle_result r;
	struct eng_obrows_call c;
	struct xu_err e;
	int64_t id;
	const char *a = acct((unsigned)n);

	snprintf(key, sizeof(key), "%08" PRIx64 "-11d1-4c2a-9a3e-%012" PRIu64,
		 n * 2654435761u, n);
	snprintf(digits, sizeof(digits), "%" PRIu64, 1000 + n % 999983);
	assert_int_equal(eng_quantity_set(&q, digits, 9, &e), XU_OK);
	assert_int_equal(eng_store_settle(s, a, key, &q, now_s, &r, &e), XU_OK);
	snprintf(ckey, sizeof(ckey),
		 "claim-62FA9897CD56E0A42179AFEDA438F174679A97CF98E98AEB7DF1"
		 "3B38C39F6768-%" PRIu64,
		 1000 + n);
	snprintf(path, sizeof(path), "/accounts/%s/settlements", a);
	snprintf(body, sizeof(body), "{\"amount\":\"%" PRIu64 "\",\"scale\":6}",
		 1 + n % 999983);
	memset(&c, 0, sizeof(c));
	c.kind = ENG_OBROWS_CREDIT;
	c.account = a;
	c.path = path;
	c.idem_key = ckey;
	c.content_type = "application/json";
	c.body = body;
	c.body_len = strlen(body);
	assert_int_equal(eng_obrows_insert(s, &c, now_s * 1000, &id, &e),
			 XU_OK);
	assert_int_equal(eng_obrows_delivered(s, id, 201, "RECEIVED", 8,
					      now_s * 1000 + 5, &e),
			 XU_OK);
}

/* Runs hours of per_hour settlements, one hour a step; with keep_h > 0
 * the clean-up deletes what is older than keep_h hours after each hour.
 * pg[h] gets the page count after hour h. */
static void run_hours(struct eng_store *s, unsigned hours, unsigned per_hour,
		      unsigned keep_h, int64_t *pg)
{
	const int64_t t0 = 1800000000;
	struct xu_err e;
	uint64_t n = 0;

	for (unsigned h = 0; h < hours; h++) {
		for (unsigned i = 0; i < per_hour; i += 100) {
			assert_int_equal(eng_store_begin(s, &e), XU_OK);
			for (unsigned k = 0; k < 100; k++) {
				int64_t now =
				    t0 + (int64_t)h * HOUR_S +
				    (int64_t)(i + k) * HOUR_S / per_hour;
				one_settlement(s, n++, now);
			}
			assert_int_equal(eng_store_commit(s, &e), XU_OK);
		}
		if (keep_h) {
			int64_t now = t0 + (int64_t)(h + 1) * HOUR_S;

			assert_int_equal(eng_store_begin(s, &e), XU_OK);
			assert_int_equal(eng_store_idem_gc(
					     s, now, keep_h * HOUR_S, NULL, &e),
					 XU_OK);
			assert_int_equal(
			    eng_obrows_gc(s, (now - keep_h * HOUR_S) * 1000,
					  NULL, &e),
			    XU_OK);
			assert_int_equal(eng_store_commit(s, &e), XU_OK);
		}
		pg[h] = pages(s, NULL);
	}
}

static int setup(void **state)
{
	(void)state;
	return tdb_setup("growth");
}

static int teardown(void **state)
{
	(void)state;
	return tdb_teardown();
}

/* Retention 3 hours, 3000 settlements an hour, 16 hours: from hour 4 on
 * the clean-up frees an hour's rows each hour and the next hour reuses
 * those pages, so the file stops growing; the same run without the
 * clean-up keeps growing by about an hour's pages each hour. */
static void test_store_growth_levels_off(void **state)
{
	struct eng_store *s = tdb_open();
	int64_t pg[16], peak = 0, freelist = 0;

	(void)state;
	setup_accounts(s);
	run_hours(s, 16, 3000, 3, pg);
	for (unsigned h = 4; h < 7; h++)
		peak = pg[h] > peak ? pg[h] : peak;
	for (unsigned h = 7; h < 16; h++) {
		print_message("hour %2u: %" PRId64 " pages\n", h, pg[h]);
		/* Some slack for B-tree splits and the uneven spread of freed
		 * pages between the tables and indexes. */
		assert_true(pg[h] <= peak + peak / 10);
	}
	assert_true(pages(s, &freelist) > 0);
	print_message("free pages at the end: %" PRId64 "\n", freelist);
	eng_store_close(s);
}

static void test_store_growth_without_cleanup(void **state)
{
	struct eng_store *s = tdb_open();
	int64_t pg[8];

	(void)state;
	setup_accounts(s);
	run_hours(s, 8, 3000, 0, pg);
	/* Eight hours hold about twice the pages of four. */
	assert_true(pg[7] > pg[3] + pg[3] / 2);
	eng_store_close(s);
}

/* --bench N: bytes per settlement, table by table (dbstat when the
 * SQLite has it, else the page count only). */
static int bench(uint64_t n)
{
	struct eng_store *s;
	struct xu_err e;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t pg;
	const int64_t t0 = 1800000000;

	if (tdb_setup("growth-bench") != 0)
		return 1;
	if (eng_store_open(&s, tdb_path, &e) != XU_OK) {
		fprintf(stderr, "open: %s\n", e.msg);
		return 1;
	}
	setup_accounts(s);
	for (uint64_t i = 0; i < n; i += 1000) {
		if (eng_store_begin(s, &e) != XU_OK)
			return 1;
		for (uint64_t k = i; k < i + 1000 && k < n; k++)
			one_settlement(s, k, t0 + (int64_t)(k / 100));
		if (eng_store_commit(s, &e) != XU_OK)
			return 1;
	}
	pg = pages(s, NULL);
	printf("store growth: %" PRIu64 " settlements (%" PRIu64
	       " idempotency records, %" PRIu64 " delivered credits)\n",
	       n, n, n);
	printf("  database: %" PRId64 " pages of 4096 bytes = %.1f MB, %.0f "
	       "bytes per settlement (both sides)\n",
	       pg, (double)pg * 4096 / 1e6, (double)pg * 4096 / (double)n);
	db = eng_store_db(s);
	if (sqlite3_prepare_v2(db,
			       "SELECT name, SUM(pgsize) FROM dbstat "
			       "GROUP BY name ORDER BY 2 DESC LIMIT 6",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			printf("  %-28s %8.1f MB  %6.1f bytes per settlement\n",
			       (const char *)sqlite3_column_text(st, 0),
			       (double)sqlite3_column_int64(st, 1) / 1e6,
			       (double)sqlite3_column_int64(st, 1) / (double)n);
		sqlite3_finalize(st);
	}
	eng_store_close(s);
	return tdb_teardown() == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_store_growth_levels_off, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store_growth_without_cleanup,
					    setup, teardown),
	};

	if (argc == 3 && strcmp(argv[1], "--bench") == 0) {
		char *end;
		unsigned long long n = strtoull(argv[2], &end, 10);

		if (*end || n == 0 || n > 100000000ull) {
			fprintf(stderr,
				"usage: test_store_growth [--bench N]\n");
			return 2;
		}
		return bench(n);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
