/* Unit tests for src/store/store.c: open/migrate/reopen, the lock against a
 * second process, accounts, settlement idempotency (replay, conflict, gc),
 * leftovers and owed drops across a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/store/db.h"
#include "src/store/store.h"
#include "tests/store/tempdb.h"

static int setup(void **state)
{
	(void)state;
	return tdb_setup("store");
}

static int teardown(void **state)
{
	(void)state;
	return tdb_teardown();
}

static void account(struct eng_store *s, const char *id)
{
	bool created;
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, id, &created, NULL),
			 XU_OK);
	tdb_commit(s);
}

static struct eng_quantity Q(const char *digits, unsigned scale) {
	struct eng_quantity q;
	assert_int_equal(eng_quantity_set(&q, digits, scale, NULL), XU_OK);
	return q;
}

/* One settlement in its own transaction; returns the result kind and
 * fills *r. */
static enum xu_code
settle(struct eng_store *s, const char *acc, const char *key,
       const char *digits, unsigned scale, int64_t now,
       struct eng_settle_result *r, struct xu_err *e)
{
	struct eng_quantity q = Q(digits, scale);
	tdb_begin(s);
	enum xu_code rc = eng_store_settle(s, acc, key, &q, now, r, e);
	if (rc == XU_OK)
		tdb_commit(s);
	else
		eng_store_rollback(s);
	return rc;
}

static int64_t pragma_int(struct eng_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(eng_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_eng_store_open_migrate_reopen(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	assert_int_equal(eng_store_schema_version(s), 17);
	assert_int_equal(pragma_int(s, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(pragma_int(s, "PRAGMA foreign_keys"), 1);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(s),
					    "PRAGMA journal_mode", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* Every table of migration 1 exists, tx_journal included. */
	assert_int_equal(pragma_int(s, "SELECT count(*) FROM sqlite_schema"
				       " WHERE type='table' AND name IN"
				       " ('accounts','idempotency','outbox',"
				       "'tx_journal','schema_version')"),
			 5);
	account(s, "alice");
	eng_store_close(s);

	s = tdb_open();
	assert_int_equal(eng_store_schema_version(s), 17);
	assert_int_equal(pragma_int(s, "SELECT version FROM schema_version"),
			 17);
	assert_true(eng_store_account_exists(s, "alice"));
	eng_store_close(s);
	eng_store_close(NULL);
}

static void test_eng_store_newer_schema_refused(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	assert_int_equal(sqlite3_exec(eng_store_db(s),
				      "UPDATE schema_version SET version = 99",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	eng_store_close(s);
	struct xu_err e;
	s = NULL;
	assert_int_equal(eng_store_open(&s, tdb_path, &e), XU_ESTORE);
	assert_null(s);
	assert_non_null(strstr(e.msg, "newer"));
	/* The lock was released by the failed open. */
	assert_int_equal(eng_store_open(&s, tdb_path, &e), XU_ESTORE);
}

static void test_eng_store_unwritable(void **state)
{
	(void)state;
	struct eng_store *s = NULL;
	struct xu_err e;
	char p[160];
	snprintf(p, sizeof(p), "%s/no/such/dir/x.db", tdb_dir);
	assert_int_equal(eng_store_open(&s, p, &e), XU_EIO);
	assert_non_null(strstr(e.msg, "no/such/dir"));
	if (geteuid() != 0) {
		char ro[96];
		snprintf(ro, sizeof(ro), "%s/ro", tdb_dir);
		assert_int_equal(mkdir(ro, 0500), 0);
		snprintf(p, sizeof(p), "%s/x.db", ro);
		assert_int_equal(eng_store_open(&s, p, &e), XU_EIO);
		chmod(ro, 0700);
	}
	/* A file that is not a database. */
	snprintf(p, sizeof(p), "%s/junk.db", tdb_dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("this is not an sqlite database, not at all, no no no.....\n"
	      "0123456789012345678901234567890123456789012345678901234\n",
	      f);
	fclose(f);
	assert_int_not_equal(eng_store_open(&s, p, &e), XU_OK);
	assert_null(s);
}

static void test_eng_store_lock(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct eng_store *t = NULL;
		struct xu_err e;
		enum xu_code rc = eng_store_open(&t, tdb_path, &e);
		char want[64];
		snprintf(want, sizeof(want),
			 "in use by another xrpse (pid %ld)", (long)getppid());
		_exit(rc == XU_EBUSY && t == NULL && strstr(e.msg, want) ? 0
									 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	eng_store_close(s);

	/* Closed: another process may open it now. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct eng_store *t = NULL;
		enum xu_code rc = eng_store_open(&t, tdb_path, NULL);
		eng_store_close(t);
		_exit(rc == XU_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_eng_store_accounts(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	bool created = false;
	struct xu_err e;
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &e),
			 XU_OK);
	assert_true(created);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &e),
			 XU_OK);
	assert_false(created);
	assert_int_equal(eng_store_account_create(s, "", &created, &e),
			 XU_EINVAL);
	tdb_commit(s);
	assert_true(eng_store_account_exists(s, "bob"));
	assert_false(eng_store_account_exists(s, "ghost"));
	assert_false(eng_store_account_exists(s, ""));

	/* Deleting closes; the owed drops survive a re-create. */
	struct eng_settle_result r;
	assert_int_equal(settle(s, "bob", "k-bob", "5", 6, 1000, &r, &e),
			 XU_OK);
	tdb_begin(s);
	assert_int_equal(eng_store_account_delete(s, "bob", &e), XU_OK);
	assert_int_equal(eng_store_account_delete(s, "bob", &e), XU_ENOTFOUND);
	assert_int_equal(eng_store_account_delete(s, "ghost", &e),
			 XU_ENOTFOUND);
	tdb_commit(s);
	assert_false(eng_store_account_exists(s, "bob"));
	assert_int_equal(settle(s, "bob", "k-bob2", "5", 6, 1000, &r, &e),
			 XU_ENOTFOUND);
	struct xl_drops owed;
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), 5);
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &e),
			 XU_OK);
	assert_true(created);
	tdb_commit(s);
	assert_true(eng_store_account_exists(s, "bob"));
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), 5);

	/* The delete clears the leftover, not the owed drops
	 * (docs/api.md#accounts), so 1@9, DELETE, re-create, 999@9 pays
	 * nothing and leaves 999@9. */
	struct eng_quantity left;
	assert_int_equal(settle(s, "bob", "k-bob3", "1", 9, 1000, &r, &e),
			 XU_OK);
	assert_int_equal(eng_store_leftover_get(s, "bob", &left, &e), XU_OK);
	assert_string_equal(left.digits, "1");
	tdb_begin(s);
	assert_int_equal(eng_store_account_delete(s, "bob", &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_store_leftover_get(s, "bob", &left, &e), XU_OK);
	assert_true(eng_quantity_is_zero(&left));
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &e),
			 XU_OK);
	assert_true(created);
	tdb_commit(s);
	assert_int_equal(settle(s, "bob", "k-bob4", "999", 9, 1000, &r, &e),
			 XU_OK);
	assert_true(xl_drops_is_zero(r.drops));
	assert_string_equal(r.leftover.digits, "999");
	assert_int_equal(r.leftover.scale, 9);
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), 5);
	/* A rolled-back delete keeps the leftover. */
	tdb_begin(s);
	assert_int_equal(eng_store_account_delete(s, "bob", &e), XU_OK);
	eng_store_rollback(s);
	assert_int_equal(eng_store_leftover_get(s, "bob", &left, &e), XU_OK);
	assert_string_equal(left.digits, "999");

	/* A rolled-back creation leaves nothing. */
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "carol", &created, &e),
			 XU_OK);
	eng_store_rollback(s);
	assert_false(eng_store_account_exists(s, "carol"));
	eng_store_close(s);
}

static void test_eng_store_idempotency(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_settle_result r;
	struct xu_err e;
	struct xl_drops owed;
	account(s, "alice");
	account(s, "bob");
	const int64_t t0 = 1700000000;

	assert_int_equal(settle(s, "alice", "k1", "0001234567", 9, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_NEW);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"amount\":\"1234567\",\"scale\":9}");
	assert_int_equal(r.body_len, strlen(r.body));
	assert_int_equal(xl_drops_u64(r.drops), 1234);

	/* Same key, same input (leading zeros don't matter): replay. */
	memset(&r, 0x55, sizeof(r));
	assert_int_equal(
	    settle(s, "alice", "k1", "1234567", 9, t0 + 10, &r, &e), XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_REPLAY);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"amount\":\"1234567\",\"scale\":9}");
	assert_int_equal(eng_store_owed_get(s, "alice", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), 1234); /* not settled twice */

	/* Same key, other amount / scale / account: conflict. */
	assert_int_equal(settle(s, "alice", "k1", "1234568", 9, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_CONFLICT);
	assert_int_equal(settle(s, "alice", "k1", "12345670", 10, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_CONFLICT);
	assert_int_equal(settle(s, "bob", "k1", "1234567", 9, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_CONFLICT);
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_true(xl_drops_is_zero(owed));

	/* Bad keys and accounts. */
	assert_int_equal(settle(s, "alice", "", "1", 0, t0, &r, &e), XU_EINVAL);
	char longkey[ENG_STORE_IDEM_KEY_MAX + 2];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(settle(s, "alice", longkey, "1", 0, t0, &r, &e),
			 XU_EINVAL);
	longkey[ENG_STORE_IDEM_KEY_MAX] = '\0';
	assert_int_equal(settle(s, "alice", longkey, "1", 0, t0, &r, &e),
			 XU_OK);
	assert_int_equal(settle(s, "ghost", "k2", "1", 0, t0, &r, &e),
			 XU_ENOTFOUND);

	/* Range: nothing recorded, the key stays free. */
	assert_int_equal(settle(s, "bob", "k3", "100000000001", 0, t0, &r, &e),
			 XU_ERANGE);
	assert_non_null(strstr(e.msg, "10^17"));
	assert_int_equal(settle(s, "bob", "k3", "100000000000", 0, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_NEW);
	/* The owed total is capped too, but a replay still replays. */
	assert_int_equal(settle(s, "bob", "k4", "1", 6, t0, &r, &e), XU_ERANGE);
	assert_non_null(strstr(e.msg, "owed"));
	assert_int_equal(settle(s, "bob", "k3", "100000000000", 0, t0, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_REPLAY);
	tdb_begin(s);
	struct xl_drops all, one;
	assert_true(xl_drops_from_u64(&all, XL_DROPS_MAX));
	assert_true(xl_drops_from_u64(&one, 1));
	assert_int_equal(eng_store_owed_sub(s, "bob", one, &e), XU_OK);
	assert_int_equal(eng_store_owed_sub(s, "bob", all, &e), XU_ERANGE);
	assert_non_null(strstr(e.msg, "less than"));
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), XL_DROPS_MAX - 1);
	assert_true(xl_drops_from_u64(&all, XL_DROPS_MAX - 1));
	assert_int_equal(eng_store_owed_sub(s, "bob", all, &e), XU_OK);
	assert_int_equal(eng_store_owed_sub(s, "ghost", all, &e), XU_ENOTFOUND);
	tdb_commit(s);
	assert_int_equal(eng_store_owed_get(s, "bob", &owed, &e), XU_OK);
	assert_true(xl_drops_is_zero(owed));

	/* Zero amounts are recorded (and replayed). */
	assert_int_equal(settle(s, "bob", "k5", "0", 3, t0, &r, &e), XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_NEW);
	assert_true(xl_drops_is_zero(r.drops));
	assert_int_equal(settle(s, "bob", "k5", "000", 3, t0, &r, &e), XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_REPLAY);
	assert_string_equal(r.body, "{\"amount\":\"0\",\"scale\":3}");

	/* A rolled-back settlement leaves no record. */
	struct eng_quantity q = Q("7", 6);
	tdb_begin(s);
	assert_int_equal(eng_store_settle(s, "bob", "k6", &q, t0, &r, &e),
			 XU_OK);
	eng_store_rollback(s);
	assert_int_equal(settle(s, "bob", "k6", "8", 6, t0, &r, &e), XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_NEW);

	/* gc: kept for the ttl after the LAST use (k1 was replayed at
	 * t0 + 10), then forgotten. */
	const int64_t ttl = ENG_STORE_IDEM_TTL_S;
	unsigned long n = 99;
	assert_int_equal(eng_store_idem_gc(s, t0 + ttl, ttl, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eng_store_idem_gc(s, t0 + ttl + 1, ttl, &n, &e),
			 XU_OK);
	assert_int_equal(n, 4); /* k3 k5 k6 long, all last used at t0 */
	assert_int_equal(
	    settle(s, "alice", "k1", "1234567", 9, t0 + ttl + 2, &r, &e),
	    XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_REPLAY);
	tdb_begin(s);
	assert_int_equal(eng_store_idem_gc(s, t0 + 3 * ttl, ttl, &n, &e),
			 XU_OK);
	tdb_commit(s);
	assert_int_equal(n, 1);
	/* Forgotten: the same key is new again. */
	assert_int_equal(settle(s, "alice", "k1", "1", 0, t0 + 3 * ttl, &r, &e),
			 XU_OK);
	assert_int_equal(r.kind, ENG_SETTLE_NEW);
	eng_store_close(s);
}

static void test_eng_store_leftovers_reopen(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_settle_result r;
	struct eng_quantity left;
	struct xl_drops owed;
	struct xu_err e;
	account(s, "alice");
	/* The worked example of docs/api.md#quantities-and-leftovers. */
	assert_int_equal(settle(s, "alice", "a", "1234567", 9, 1, &r, &e),
			 XU_OK);
	assert_int_equal(xl_drops_u64(r.drops), 1234);
	assert_string_equal(r.leftover.digits, "567");
	assert_int_equal(r.leftover.scale, 9);
	eng_store_close(s);

	s = tdb_open();
	assert_int_equal(eng_store_leftover_get(s, "alice", &left, &e), XU_OK);
	assert_string_equal(left.digits, "567");
	assert_int_equal(left.scale, 9);
	assert_int_equal(settle(s, "alice", "b", "433", 9, 1, &r, &e), XU_OK);
	assert_int_equal(xl_drops_u64(r.drops), 1);
	assert_true(eng_quantity_is_zero(&r.leftover));
	assert_int_equal(settle(s, "alice", "c", "5", 2, 1, &r, &e), XU_OK);
	assert_int_equal(xl_drops_u64(r.drops), 50000);
	assert_int_equal(eng_store_owed_get(s, "alice", &owed, &e), XU_OK);
	assert_int_equal(xl_drops_u64(owed), 1234 + 1 + 50000);

	/* The leftover survives a restart: 999@9, restart, 1@9 -> one drop. */
	account(s, "dave");
	assert_int_equal(settle(s, "dave", "d1", "999", 9, 1, &r, &e), XU_OK);
	assert_true(xl_drops_is_zero(r.drops));
	eng_store_close(s);
	s = tdb_open();
	assert_int_equal(settle(s, "dave", "d2", "1", 9, 1, &r, &e), XU_OK);
	assert_int_equal(xl_drops_u64(r.drops), 1);
	assert_true(eng_quantity_is_zero(&r.leftover));
	/* A scale-255 leftover survives a reopen at full precision. */
	assert_int_equal(settle(s, "dave", "d3",
				"2387493254398563574732428183413479237", 255, 1,
				&r, &e),
			 XU_OK);
	eng_store_close(s);
	s = tdb_open();
	assert_int_equal(eng_store_leftover_get(s, "dave", &left, &e), XU_OK);
	assert_string_equal(left.digits,
			    "2387493254398563574732428183413479237");
	assert_int_equal(left.scale, 255);
	assert_int_equal(eng_store_leftover_get(s, "ghost", &left, &e),
			 XU_ENOTFOUND);
	eng_store_close(s);
}

struct owed_list {
	int n;
	char ids[4][16];
	uint64_t drops[4];
};

static bool collect(void *arg, const char *account, struct xl_drops owed)
{
	struct owed_list *l = arg;
	snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", account);
	l->drops[l->n] = xl_drops_u64(owed);
	return ++l->n < 2;
}

static void test_eng_store_owed_each(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_settle_result r;
	struct xu_err e;
	account(s, "zed");
	account(s, "amy");
	account(s, "bea");
	account(s, "nil");
	assert_int_equal(settle(s, "zed", "1", "3", 0, 1, &r, &e), XU_OK);
	assert_int_equal(settle(s, "amy", "2", "5", 6, 1, &r, &e), XU_OK);
	assert_int_equal(settle(s, "bea", "3", "7", 6, 1, &r, &e), XU_OK);
	assert_int_equal(settle(s, "nil", "4", "7", 9, 1, &r, &e), XU_OK);
	struct owed_list l = {0};
	assert_int_equal(eng_store_owed_each(s, collect, &l, &e), XU_OK);
	assert_int_equal(l.n, 2); /* the callback stopped after two */
	assert_string_equal(l.ids[0], "amy");
	assert_int_equal(l.drops[0], 5);
	assert_string_equal(l.ids[1], "bea");
	assert_int_equal(l.drops[1], 7);
	/* Through the index of owed accounts, not a scan of every one. */
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(s),
					    "EXPLAIN QUERY PLAN SELECT id, "
					    "owed_drops FROM accounts WHERE "
					    "owed_drops > 0 ORDER BY id",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(
	    strstr((const char *)sqlite3_column_text(st, 3), "accounts_owed"));
	sqlite3_finalize(st);
	eng_store_close(s);
}

/* The statement cache hands back the same statement, reset. */
static void test_eng_store_prepare_cache(void **state)
{
	(void)state;
	static const char sql[] = "SELECT ?1 + 1";
	struct eng_store *s = tdb_open();
	sqlite3_stmt *a, *b;
	assert_int_equal(eng_store_prepare(s, sql, &a, NULL), XU_OK);
	sqlite3_bind_int(a, 1, 41);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	assert_int_equal(eng_store_prepare(s, sql, &b, NULL), XU_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	/* Bindings cleared: NULL + 1 is NULL. */
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
	struct xu_err e;
	assert_int_equal(eng_store_prepare(s, "SELEKT nonsense", &a, &e),
			 XU_ESTORE);
	assert_non_null(strstr(e.msg, "syntax error"));
	/* A statement some module forgot is finalized at close (no leak
	 * under ASan, the lock released). */
	sqlite3_stmt *forgot;
	assert_int_equal(
	    sqlite3_prepare_v2(eng_store_db(s), "SELECT 1", -1, &forgot, NULL),
	    SQLITE_OK);
	eng_store_close(s);
	s = tdb_open();
	eng_store_close(s);
}

/* docs/risks.md#late-settlement-answers: a write lock held by another
 * connection (here a second one, as the sqlite3 shell would) is waited for
 * at most the bound given, then XU_EUNAVAIL with nothing begun; once it is
 * released the same call begins. */
static void test_eng_store_begin_within(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	sqlite3 *other;
	struct xu_err e;
	struct timespec t0, t1;
	long ms;

	assert_int_equal(sqlite3_open(tdb_path, &other), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(eng_store_begin_within(s, 100, &e), XU_EUNAVAIL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* Not the store's 5 s busy timeout; the bound leaves room for a
	 * loaded test host pausing the process. */
	assert_true(ms >= 90 && ms < 4000);
	assert_non_null(strstr(e.msg, "locked by another connection"));
	assert_false(eng_store_in_tx(s));
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(eng_store_begin_within(s, 100, &e), XU_OK);
	assert_true(eng_store_in_tx(s));
	tdb_commit(s);
	sqlite3_close(other);
	eng_store_close(s);
}

/* The backup: a new 0600 file that opens as a store and holds every row
 * of every table; an existing file is never overwritten. */
static int64_t count_rows(struct eng_store *s, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return pragma_int(s, sql);
}

static void test_eng_store_backup(void **state)
{
	(void)state;
	static const char *const tables[] = {
	    "accounts",	   "idempotency",   "outbox", "tx_journal",
	    "pc_peers",	   "pc_out",	    "pc_in",  "pc_in_closed",
	    "pc_in_final", "schema_version"};
	struct eng_store *s = tdb_open(), *b;
	struct eng_settle_result r;
	struct xu_err e = {0};
	char path[192];
	struct stat st;

	account(s, "alice");
	account(s, "bob");
	assert_int_equal(settle(s, "alice", "k1", "5", 0, 1000, &r, &e), XU_OK);
	snprintf(path, sizeof(path), "%s/backup.db", tdb_dir);
	assert_int_equal(eng_store_backup(s, path, &e), XU_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never over an existing file, which stays as it was. */
	assert_int_equal(eng_store_backup(s, path, &e), XU_EEXIST);
	assert_non_null(strstr(e.msg, "exists"));
	assert_int_equal(eng_store_backup(s, "/nonexistent-dir/x.db", &e),
			 XU_EIO);
	/* Not inside a transaction. */
	tdb_begin(s);
	assert_int_equal(eng_store_backup(s, path, &e), XU_EUNAVAIL);
	eng_store_rollback(s);
	assert_int_equal(eng_store_open(&b, path, &e), XU_OK);
	assert_int_equal(eng_store_schema_version(b),
			 eng_store_schema_version(s));
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		assert_int_equal(count_rows(b, tables[i]),
				 count_rows(s, tables[i]));
	assert_int_equal(count_rows(b, "accounts"), 2);
	assert_int_equal(count_rows(b, "idempotency"), 1);
	assert_true(eng_store_account_exists(b, "bob"));
	eng_store_close(b);
	eng_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_eng_store_open_migrate_reopen,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_backup, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_newer_schema_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_unwritable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_lock, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_accounts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_idempotency, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_leftovers_reopen,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_owed_each, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_prepare_cache, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eng_store_begin_within, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
