/* Unit tests of src/store/txjournal.c: the journal interface over SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/store/db.h"
#include "src/store/txjournal.h"

/* The table as the store's first migration creates it. */
static const char *schema =
    "CREATE TABLE IF NOT EXISTS tx_journal(id INTEGER PRIMARY KEY, "
    "account TEXT, sequence INTEGER, tx_type TEXT, intent TEXT UNIQUE, "
    "hash TEXT, blob TEXT, last_ledger_seq INTEGER, state TEXT, "
    "result TEXT, created_at INTEGER, updated_at INTEGER)";

struct fx {
	sqlite3 *db;
	struct eng_txjournal tj;
	struct xl_journal j;
	char path[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct xu_err err;
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/xrpse-txj-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(f->db, schema, NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(eng_txjournal_init_db(&f->tj, f->db, &err), XU_OK);
	f->j = eng_txjournal_ops(&f->tj);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->db);
	unlink(f->path);
	free(f);
	return 0;
}

static void entry(struct xl_jentry *e, const char *account, const char *intent,
		  uint32_t seq)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->account, sizeof(e->account), "%s", account);
	snprintf(e->intent, sizeof(e->intent), "%s", intent);
	snprintf(e->tx_type, sizeof(e->tx_type), "Payment");
	snprintf(e->hash, sizeof(e->hash), "%064X", seq);
	snprintf(e->blob, sizeof(e->blob), "1200%08X", seq);
	e->sequence = seq;
	e->lls = seq + 20;
	e->state = XL_JSTATE_PENDING;
}

static void test_txjournal_insert_get(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e, got;
	struct xu_err err;

	entry(&e, "rA", "fund:ch1:1", 5);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "fund:ch1:1", &got, &err), XU_OK);
	assert_string_equal(got.account, "rA");
	assert_string_equal(got.intent, "fund:ch1:1");
	assert_string_equal(got.hash, e.hash);
	assert_string_equal(got.blob, e.blob);
	assert_string_equal(got.tx_type, "Payment");
	assert_int_equal(got.sequence, 5);
	assert_int_equal(got.lls, 25);
	assert_int_equal(got.state, XL_JSTATE_PENDING);
	assert_true(got.id > 0);
	assert_int_equal(f->j.get(f->j.ctx, "nope", &got, &err), XU_ENOTFOUND);
}

static void test_txjournal_intent_unique(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e;
	struct xu_err err;

	entry(&e, "rA", "claim:ch1:9", 7);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	entry(&e, "rA", "claim:ch1:9", 8);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_EEXIST);
	/* Even a final row keeps its intent. */
	assert_int_equal(f->j.finish(f->j.ctx, "claim:ch1:9",
				     XL_JSTATE_VALIDATED, "tesSUCCESS", &err),
			 XU_OK);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_EEXIST);
}

static void test_txjournal_finish(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e, got;
	struct xu_err err;

	entry(&e, "rA", "i1", 1);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	assert_int_equal(
	    f->j.finish(f->j.ctx, "i1", XL_JSTATE_VALIDATED, "tecNO_DST", &err),
	    XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "i1", &got, &err), XU_OK);
	assert_int_equal(got.state, XL_JSTATE_VALIDATED);
	assert_string_equal(got.result, "tecNO_DST");
	/* Only a pending row can be finished. */
	assert_int_equal(
	    f->j.finish(f->j.ctx, "i1", XL_JSTATE_FAILED, "temBAD_FEE", &err),
	    XU_ENOTFOUND);
	assert_int_equal(f->j.finish(f->j.ctx, "unknown", XL_JSTATE_FAILED,
				     "temBAD_FEE", &err),
			 XU_ENOTFOUND);
	assert_int_equal(eng_txjournal_count(&f->tj, XL_JSTATE_VALIDATED), 1);
}

static void test_txjournal_retire_frees_intent(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e, got;
	struct xu_err err;
	char renamed[64];

	entry(&e, "rA", "fund:ch2:1", 3);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "fund:ch2:1", &got, &err), XU_OK);
	snprintf(renamed, sizeof(renamed), "fund:ch2:1#%lld",
		 (long long)got.id);
	assert_int_equal(f->j.retire(f->j.ctx, "fund:ch2:1", "expired", &err),
			 XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "fund:ch2:1", &got, &err),
			 XU_ENOTFOUND);
	assert_int_equal(f->j.get(f->j.ctx, renamed, &got, &err), XU_OK);
	assert_int_equal(got.state, XL_JSTATE_FAILED);
	assert_string_equal(got.result, "expired");
	/* The rebuilt transaction takes the intent again. */
	entry(&e, "rA", "fund:ch2:1", 4);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "fund:ch2:1", &got, &err), XU_OK);
	assert_int_equal(got.sequence, 4);
	assert_int_equal(got.state, XL_JSTATE_PENDING);
	/* A second retire of a final row does nothing. */
	assert_int_equal(f->j.retire(f->j.ctx, renamed, "expired", &err),
			 XU_ENOTFOUND);
}

struct seen {
	char intents[8][XL_INTENT_MAX];
	int n;
};

static void collect(void *arg, const struct xl_jentry *e)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->intents[s->n++], XL_INTENT_MAX, "%s", e->intent);
}

static void test_txjournal_pending_by_account(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e;
	struct xu_err err;
	struct seen s;

	entry(&e, "rA", "a1", 1);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	entry(&e, "rB", "b1", 1);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	entry(&e, "rA", "a2", 2);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	entry(&e, "rA", "a3", 3);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	assert_int_equal(f->j.finish(f->j.ctx, "a2", XL_JSTATE_VALIDATED,
				     "tesSUCCESS", &err),
			 XU_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->j.pending(f->j.ctx, "rA", collect, &s, &err),
			 XU_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.intents[0], "a1");
	assert_string_equal(s.intents[1], "a3");
}

static void test_txjournal_insert_needs_durability(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e, got;
	struct xu_err err;

	assert_int_equal(sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	entry(&e, "rA", "x1", 1);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_EBUSY);
	assert_int_equal(sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	/* finish works inside an open transaction (savepoint). */
	assert_int_equal(sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(
	    f->j.finish(f->j.ctx, "x1", XL_JSTATE_FAILED, "temBAD_FEE", &err),
	    XU_OK);
	assert_int_equal(sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(f->j.get(f->j.ctx, "x1", &got, &err), XU_OK);
	assert_int_equal(got.state, XL_JSTATE_FAILED);
}

static void test_txjournal_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct xl_jentry e, got;
	struct xu_err err;

	entry(&e, "rA", "persist", 11);
	assert_int_equal(f->j.insert(f->j.ctx, &e, &err), XU_OK);
	sqlite3_close(f->db);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	assert_int_equal(eng_txjournal_init_db(&f->tj, f->db, &err), XU_OK);
	assert_int_equal(f->j.get(f->j.ctx, "persist", &got, &err), XU_OK);
	assert_int_equal(got.sequence, 11);
}

static void test_txjournal_missing_table(void **state)
{
	sqlite3 *db;
	struct eng_txjournal tj;
	struct xu_err err;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(eng_txjournal_init_db(&tj, db, &err), XU_ESTORE);
	sqlite3_close(db);
}

static void test_txjournal_state_names(void **state)
{
	enum xl_jstate st;

	(void)state;
	assert_true(xl_jstate_parse(&st, "submitted-pending"));
	assert_int_equal(st, XL_JSTATE_PENDING);
	assert_true(xl_jstate_parse(&st, "validated"));
	assert_int_equal(st, XL_JSTATE_VALIDATED);
	assert_true(xl_jstate_parse(&st, "failed"));
	assert_false(xl_jstate_parse(&st, "pending"));
	assert_false(xl_jstate_parse(&st, NULL));
	assert_string_equal(xl_jstate_name(XL_JSTATE_PENDING),
			    "submitted-pending");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_txjournal_insert_get, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_txjournal_intent_unique, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_txjournal_finish, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_txjournal_retire_frees_intent,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_txjournal_pending_by_account,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_txjournal_insert_needs_durability, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_txjournal_survives_reopen,
					    setup, teardown),
	    cmocka_unit_test(test_txjournal_missing_table),
	    cmocka_unit_test(test_txjournal_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
