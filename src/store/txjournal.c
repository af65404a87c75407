/* The transaction journal over SQLite (see txjournal.h).  Every function
 * prepares its statement, runs it and finalizes it: the journal is written
 * a few times per transaction, far below where statement caching would
 * matter. */
#include "src/store/txjournal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/store/db.h"
#include "src/util/log.h"

#define SUB "journal"

static enum xu_code db_fail(struct eng_txjournal *tj, struct xu_err *err,
			    const char *what)
{
	return xu_fail(err, XU_ESTORE, sqlite3_extended_errcode(tj->db),
		       "%s: %s", what, sqlite3_errmsg(tj->db));
}

static sqlite3_int64 now_unix(void)
{
	return (sqlite3_int64)time(NULL);
}

static enum xu_code exec(struct eng_txjournal *tj, const char *sql,
			 struct xu_err *err)
{
	if (sqlite3_exec(tj->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(tj, err, sql);
	return XU_OK;
}

enum xu_code eng_txjournal_init(struct eng_txjournal *tj, struct eng_store *s,
				struct xu_err *err)
{
	return eng_txjournal_init_db(tj, eng_store_db(s), err);
}

enum xu_code eng_txjournal_init_db(struct eng_txjournal *tj, sqlite3 *db,
				   struct xu_err *err)
{
	sqlite3_stmt *st;
	int rc;

	XU_ASSERT(tj && db);
	tj->db = db;
	rc = sqlite3_prepare_v2(db,
				"SELECT id, account, sequence, tx_type, "
				"intent, hash, blob, last_ledger_seq, state, "
				"result, created_at, updated_at "
				"FROM tx_journal LIMIT 0",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(tj, err, "tx_journal table missing");
	sqlite3_finalize(st);
	return XU_OK;
}

static const char *text_or_empty(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* Reads the row st points at into *e; false when its state is unknown. */
static bool read_row(sqlite3_stmt *st, struct xl_jentry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	copy(e->account, sizeof(e->account), text_or_empty(st, 1));
	e->sequence = (uint32_t)sqlite3_column_int64(st, 2);
	copy(e->tx_type, sizeof(e->tx_type), text_or_empty(st, 3));
	copy(e->intent, sizeof(e->intent), text_or_empty(st, 4));
	copy(e->hash, sizeof(e->hash), text_or_empty(st, 5));
	copy(e->blob, sizeof(e->blob), text_or_empty(st, 6));
	e->lls = (uint32_t)sqlite3_column_int64(st, 7);
	copy(e->result, sizeof(e->result), text_or_empty(st, 9));
	return xl_jstate_parse(&e->state, text_or_empty(st, 8));
}

#define COLS                                                                   \
	"id, account, sequence, tx_type, intent, hash, blob, "                 \
	"last_ledger_seq, state, result"

static enum xu_code j_insert(void *ctx, const struct xl_jentry *e,
			     struct xu_err *err)
{
	struct eng_txjournal *tj = ctx;
	sqlite3_stmt *st;
	sqlite3_int64 now = now_unix();
	int rc;

	XU_ASSERT(e->state == XL_JSTATE_PENDING);
	if (!sqlite3_get_autocommit(tj->db))
		return xu_fail(err, XU_EBUSY, 0,
			       "a store transaction is open: the journal "
			       "entry could not be made durable now");
	if (sqlite3_prepare_v2(
		tj->db,
		"INSERT INTO tx_journal (account, sequence, tx_type, intent, "
		"hash, blob, last_ledger_seq, state, result, created_at, "
		"updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		-1, &st, NULL) != SQLITE_OK)
		return db_fail(tj, err, "journal insert");
	sqlite3_bind_text(st, 1, e->account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, e->sequence);
	sqlite3_bind_text(st, 3, e->tx_type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, e->intent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, e->hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, e->blob, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, e->lls);
	sqlite3_bind_text(st, 8, xl_jstate_name(e->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, e->result, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return xu_fail(err, XU_EEXIST, 0,
			       "intent %s is already in the journal",
			       e->intent);
	if (rc != SQLITE_DONE)
		return db_fail(tj, err, "journal insert");
	return XU_OK;
}

/* Runs one UPDATE inside a savepoint; XU_ENOTFOUND when no row changed. */
static enum xu_code update(struct eng_txjournal *tj, const char *sql,
			   const char *state, const char *result,
			   const char *intent, struct xu_err *err)
{
	sqlite3_stmt *st;
	int rc, changed;
	enum xu_code code;

	code = exec(tj, "SAVEPOINT txjournal", err);
	if (code != XU_OK)
		return code;
	if (sqlite3_prepare_v2(tj->db, sql, -1, &st, NULL) != SQLITE_OK) {
		code = db_fail(tj, err, "journal update");
		goto rollback;
	}
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now_unix());
	sqlite3_bind_text(st, 4, intent, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		code = db_fail(tj, err, "journal update");
		goto rollback;
	}
	changed = sqlite3_changes(tj->db);
	code = exec(tj, "RELEASE txjournal", err);
	if (code != XU_OK)
		goto rollback;
	if (changed == 0)
		return xu_fail(err, XU_ENOTFOUND, 0,
			       "no pending journal entry for %s", intent);
	return XU_OK;
rollback:
	sqlite3_exec(tj->db, "ROLLBACK TO txjournal; RELEASE txjournal", NULL,
		     NULL, NULL);
	return code;
}

static enum xu_code j_finish(void *ctx, const char *intent,
			     enum xl_jstate state, const char *result,
			     struct xu_err *err)
{
	XU_ASSERT(state != XL_JSTATE_PENDING);
	return update(ctx,
		      "UPDATE tx_journal SET state = ?1, result = ?2, "
		      "updated_at = ?3 WHERE intent = ?4 AND "
		      "state = 'submitted-pending'",
		      xl_jstate_name(state), result, intent, err);
}

static enum xu_code j_retire(void *ctx, const char *intent, const char *result,
			     struct xu_err *err)
{
	return update(ctx,
		      "UPDATE tx_journal SET state = ?1, result = ?2, "
		      "updated_at = ?3, intent = intent || '#' || id "
		      "WHERE intent = ?4 AND state = 'submitted-pending'",
		      xl_jstate_name(XL_JSTATE_FAILED), result, intent, err);
}

static enum xu_code j_get(void *ctx, const char *intent, struct xl_jentry *out,
			  struct xu_err *err)
{
	struct eng_txjournal *tj = ctx;
	sqlite3_stmt *st;
	int rc;
	enum xu_code code = XU_OK;

	if (sqlite3_prepare_v2(
		tj->db, "SELECT " COLS " FROM tx_journal WHERE intent = ?", -1,
		&st, NULL) != SQLITE_OK)
		return db_fail(tj, err, "journal get");
	sqlite3_bind_text(st, 1, intent, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!read_row(st, out))
			code = xu_fail(err, XU_ESTORE, 0,
				       "journal entry %s has an unknown state",
				       intent);
	} else if (rc == SQLITE_DONE) {
		code = xu_fail(err, XU_ENOTFOUND, 0, "no journal entry %s",
			       intent);
	} else {
		code = db_fail(tj, err, "journal get");
	}
	sqlite3_finalize(st);
	return code;
}

static enum xu_code j_pending(void *ctx, const char *account,
			      void (*fn)(void *arg, const struct xl_jentry *e),
			      void *arg, struct xu_err *err)
{
	struct eng_txjournal *tj = ctx;
	struct xl_jentry *e;
	sqlite3_stmt *st;
	int rc;

	e = malloc(sizeof(*e));
	if (!e)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	if (sqlite3_prepare_v2(tj->db,
			       "SELECT " COLS
			       " FROM tx_journal WHERE account = ? AND "
			       "state = 'submitted-pending' ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		free(e);
		return db_fail(tj, err, "journal pending");
	}
	sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!read_row(st, e)) {
			xu_broken(
			    SUB, "journal row %" PRId64 " has an unknown state",
			    e->id);
			continue;
		}
		fn(arg, e);
	}
	sqlite3_finalize(st);
	free(e);
	if (rc != SQLITE_DONE)
		return db_fail(tj, err, "journal pending");
	return XU_OK;
}

struct xl_journal eng_txjournal_ops(struct eng_txjournal *tj)
{
	struct xl_journal j;

	j.insert = j_insert;
	j.finish = j_finish;
	j.retire = j_retire;
	j.get = j_get;
	j.pending = j_pending;
	j.ctx = tj;
	return j;
}

long eng_txjournal_count(struct eng_txjournal *tj, enum xl_jstate state)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(
		tj->db, "SELECT count(*) FROM tx_journal WHERE state = ?", -1,
		&st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, xl_jstate_name(state), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
