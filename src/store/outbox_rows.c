/* The outbox table (see outbox_rows.h): its statements, cached by the
 * store, each reset before its function returns, so that no read keeps a
 * snapshot of the database open between calls. */
#include "src/store/outbox_rows.h"

#include <stdio.h>
#include <string.h>

#include "src/store/db.h"

static enum xu_code step_done(struct eng_store *s, sqlite3_stmt *st,
			      const char *what, struct xu_err *err)
{
	int r = sqlite3_step(st);
	enum xu_code rc =
	    r == SQLITE_DONE ? XU_OK : eng_store_fail(s, err, what);
	sqlite3_reset(st);
	return rc;
}

/* Runs a write of one row or many; *n (nullable) gets the rows changed. */
static enum xu_code step_changes(struct eng_store *s, sqlite3_stmt *st,
				 const char *what, unsigned long *n,
				 struct xu_err *err)
{
	enum xu_code rc = step_done(s, st, what, err);
	if (rc == XU_OK && n)
		*n = (unsigned long)sqlite3_changes(eng_store_db(s));
	return rc;
}

static const char *kind_text(enum eng_obrows_kind k)
{
	switch (k) {
	case ENG_OBROWS_CREDIT:
		return "credit";
	case ENG_OBROWS_MESSAGE:
		return "message";
	}
	XU_UNREACHABLE("unknown outbox kind");
	return NULL;
}

/* Prepares sql, binds id to ?1 and steps to its row: XU_OK with *st on
 * the row, XU_ENOTFOUND or XU_ESTORE.  The caller resets *st (NULL when
 * the prepare failed, which sqlite3_reset takes). */
static enum xu_code row_by_id(struct eng_store *s, const char *sql, int64_t id,
			      sqlite3_stmt **st, struct xu_err *err)
{
	*st = NULL;
	enum xu_code rc = eng_store_prepare(s, sql, st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(*st, 1, id);
	int r = sqlite3_step(*st);
	if (r == SQLITE_ROW)
		return XU_OK;
	if (r == SQLITE_DONE)
		return xu_fail(err, XU_ENOTFOUND, 0, "no outbox row %lld",
			       (long long)id);
	return eng_store_fail(s, err, "reading outbox row");
}

static const char *text(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? t : "";
}

static const char SQL_INSERT[] =
    "INSERT INTO outbox (kind, account, method, path, idem_key,"
    " content_type, body, tag, next_attempt_at_ms, state, created_at,"
    " updated_at) VALUES (?1, ?2, 'POST', ?3, ?4, ?5, ?6, ?7, 0,"
    " 'pending', ?8, ?8) ON CONFLICT (idem_key) DO NOTHING";
static const char SQL_BY_KEY[] =
    "SELECT id, kind, account, body FROM outbox WHERE idem_key = ?1";

enum xu_code eng_obrows_insert(struct eng_store *s,
			       const struct eng_obrows_call *c, int64_t now_ms,
			       int64_t *id, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	const char *kind = kind_text(c->kind);
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_INSERT, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->idem_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, c->body_len ? c->body : "", (int)c->body_len,
			  SQLITE_STATIC);
	if (c->tag)
		sqlite3_bind_text(st, 7, c->tag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	unsigned long n = 0;
	rc = step_changes(s, st, "queueing outbox row", &n, err);
	if (rc != XU_OK)
		return rc;
	if (n == 1) {
		if (id)
			*id = sqlite3_last_insert_rowid(eng_store_db(s));
		return XU_OK;
	}
	/* The key is taken: by the same call, or by another. */
	rc = eng_store_prepare(s, SQL_BY_KEY, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, c->idem_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = eng_store_fail(s, err, "reading outbox row");
		sqlite3_reset(st);
		return rc;
	}
	int64_t rid = sqlite3_column_int64(st, 0);
	const char *k = (const char *)sqlite3_column_text(st, 1);
	const char *a = (const char *)sqlite3_column_text(st, 2);
	const void *b = sqlite3_column_blob(st, 3);
	size_t bl = (size_t)sqlite3_column_bytes(st, 3);
	bool same = k && a && strcmp(k, kind) == 0 &&
		    strcmp(a, c->account) == 0 && bl == c->body_len &&
		    (bl == 0 || memcmp(b, c->body, bl) == 0);
	sqlite3_reset(st);
	if (!same)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "outbox key %s already used for another call",
			       c->idem_key);
	if (id)
		*id = rid;
	return XU_OK;
}

static const char SQL_DUE[] =
    "SELECT id, path, COALESCE(attempt_key, idem_key), content_type, body,"
    " kind, COALESCE(unknown_since_ms, 0) FROM outbox"
    " WHERE state = 'pending' AND next_attempt_at_ms <= ?1"
    " ORDER BY next_attempt_at_ms, id LIMIT ?2";

/* The row st stands on (the columns of SQL_DUE). */
static void read_send(sqlite3_stmt *st, struct eng_obrows_send *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->path = text(st, 1);
	r->idem_key = text(st, 2);
	r->content_type = text(st, 3);
	r->body = sqlite3_column_blob(st, 4);
	r->body_len = (size_t)sqlite3_column_bytes(st, 4);
	r->kind = strcmp(text(st, 5), "credit") == 0 ? ENG_OBROWS_CREDIT
						     : ENG_OBROWS_MESSAGE;
	r->unknown_since_ms = sqlite3_column_int64(st, 6);
}

enum xu_code eng_obrows_due(struct eng_store *s, int64_t now_ms, int64_t limit,
			    eng_obrows_send_fn fn, void *arg,
			    struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	struct eng_obrows_send row;
	int r;
	enum xu_code rc = eng_store_prepare(s, SQL_DUE, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		read_send(st, &row);
		if (!fn(arg, &row))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "reading due rows");
	sqlite3_reset(st);
	return rc;
}

static const char SQL_EACH[] =
    "SELECT id, kind, account, path, state, COALESCE(attempt_key, idem_key),"
    " tag, attempts, next_attempt_at_ms, COALESCE(last_status, 0),"
    " last_error, created_at, updated_at FROM ("
    "  SELECT * FROM outbox WHERE ?1 = 0 OR state = 'parked'"
    "  ORDER BY id DESC LIMIT ?2) ORDER BY id";

enum xu_code eng_obrows_each(struct eng_store *s, bool parked_only,
			     int64_t limit, eng_obrows_row_fn fn, void *arg,
			     struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	struct eng_obrows_row row;
	int r;
	enum xu_code rc = eng_store_prepare(s, SQL_EACH, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int(st, 1, parked_only);
	sqlite3_bind_int64(st, 2, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(st, 0);
		row.kind = strcmp(text(st, 1), "credit") == 0
			       ? ENG_OBROWS_CREDIT
			       : ENG_OBROWS_MESSAGE;
		row.account = text(st, 2);
		row.path = text(st, 3);
		row.state = text(st, 4);
		row.key = text(st, 5);
		row.tag = (const char *)sqlite3_column_text(st, 6);
		row.attempts = sqlite3_column_int64(st, 7);
		row.next_attempt_at_ms = sqlite3_column_int64(st, 8);
		row.last_status = sqlite3_column_int(st, 9);
		row.last_error = (const char *)sqlite3_column_text(st, 10);
		row.created_at = sqlite3_column_int64(st, 11);
		row.updated_at = sqlite3_column_int64(st, 12);
		if (!fn(arg, &row))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "listing the outbox");
	sqlite3_reset(st);
	return rc;
}

static const char SQL_HEAD[] =
    "SELECT kind, account, tag, attempts, COALESCE(unknown_since_ms, 0)"
    " FROM outbox WHERE id = ?1";

enum xu_code eng_obrows_head(struct eng_store *s, int64_t id,
			     struct eng_obrows_head *h, struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc = row_by_id(s, SQL_HEAD, id, &st, err);
	if (rc == XU_OK) {
		const char *t = (const char *)sqlite3_column_text(st, 2);
		h->kind = strcmp(text(st, 0), "credit") == 0
			      ? ENG_OBROWS_CREDIT
			      : ENG_OBROWS_MESSAGE;
		snprintf(h->account, sizeof(h->account), "%s", text(st, 1));
		h->has_tag = t != NULL;
		snprintf(h->tag, sizeof(h->tag), "%s", t ? t : "");
		h->attempts = sqlite3_column_int64(st, 3);
		h->unknown_since_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return rc;
}

static const char SQL_DELIVERED[] =
    "UPDATE outbox SET state = 'delivered', last_status = ?2,"
    " last_error = NULL, reply = ?3, updated_at = ?4,"
    " attempts = attempts + 1 WHERE id = ?1";
static const char SQL_PARKED[] =
    "UPDATE outbox SET state = 'parked', last_status = ?2,"
    " last_error = ?5, reply = ?3, updated_at = ?4,"
    " attempts = attempts + 1 WHERE id = ?1";
static const char SQL_RETRY[] =
    "UPDATE outbox SET state = 'pending', last_status = ?2,"
    " last_error = ?5, next_attempt_at_ms = ?6, updated_at = ?4,"
    " attempts = attempts + 1 WHERE id = ?1";

/* Prepares sql (one of the three above) with the columns they share. */
static enum xu_code attempt_stmt(struct eng_store *s, const char *sql,
				 int64_t id, int status, int64_t now_ms,
				 sqlite3_stmt **st, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	enum xu_code rc = eng_store_prepare(s, sql, st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(*st, 1, id);
	if (status >= 0) /* else NULL */
		sqlite3_bind_int(*st, 2, status);
	sqlite3_bind_int64(*st, 4, now_ms);
	return XU_OK;
}

enum xu_code eng_obrows_delivered(struct eng_store *s, int64_t id, int status,
				  const void *reply, size_t reply_len,
				  int64_t now_ms, struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc =
	    attempt_stmt(s, SQL_DELIVERED, id, status, now_ms, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_blob(st, 3, reply ? reply : "", (int)reply_len,
			  SQLITE_STATIC);
	return step_done(s, st, "updating outbox row", err);
}

enum xu_code eng_obrows_parked(struct eng_store *s, int64_t id, int status,
			       const void *reply, size_t reply_len,
			       const char *error, int64_t now_ms,
			       struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc =
	    attempt_stmt(s, SQL_PARKED, id, status, now_ms, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_blob(st, 3, reply ? reply : "", (int)reply_len,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	return step_done(s, st, "updating outbox row", err);
}

enum xu_code eng_obrows_retry(struct eng_store *s, int64_t id, int status,
			      const char *error, int64_t next_ms,
			      int64_t now_ms, struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc =
	    attempt_stmt(s, SQL_RETRY, id, status, now_ms, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, next_ms);
	return step_done(s, st, "updating outbox row", err);
}

static const char SQL_UNPARK[] =
    "UPDATE outbox SET state = 'pending', next_attempt_at_ms = 0,"
    " attempt_key = COALESCE(?2, attempt_key),"
    " unknown_since_ms = CASE WHEN ?2 IS NULL THEN unknown_since_ms END"
    " WHERE id = ?1 AND state = 'parked'";

enum xu_code eng_obrows_unpark(struct eng_store *s, int64_t id,
			       const char *new_key, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	sqlite3_stmt *st = NULL;
	unsigned long n = 0;
	enum xu_code rc = eng_store_prepare(s, SQL_UNPARK, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (new_key) /* else NULL */
		sqlite3_bind_text(st, 2, new_key, -1, SQLITE_STATIC);
	rc = step_changes(s, st, "unparking", &n, err);
	if (rc == XU_OK && n == 0)
		rc = xu_fail(err, XU_ENOTFOUND, 0, "no parked call %lld",
			     (long long)id);
	return rc;
}

static const char SQL_KEY[] =
    "UPDATE outbox SET attempt_key = COALESCE(?2, attempt_key),"
    " unknown_since_ms = ?3 WHERE id = ?1";

enum xu_code eng_obrows_key(struct eng_store *s, int64_t id,
			    const char *new_key, int64_t unknown_since_ms,
			    struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_KEY, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (new_key) /* else NULL */
		sqlite3_bind_text(st, 2, new_key, -1, SQLITE_STATIC);
	if (unknown_since_ms > 0) /* else NULL */
		sqlite3_bind_int64(st, 3, unknown_since_ms);
	return step_done(s, st, "updating outbox key", err);
}

static const char SQL_GC[] =
    "DELETE FROM outbox WHERE state = 'delivered' AND updated_at < ?1";

enum xu_code eng_obrows_gc(struct eng_store *s, int64_t before_ms,
			   unsigned long *deleted, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_GC, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, before_ms);
	return step_changes(s, st, "outbox gc", deleted, err);
}

static const char SQL_COUNTS[] =
    "SELECT state, kind, count(*) FROM outbox GROUP BY state, kind";

enum xu_code eng_obrows_count(struct eng_store *s, struct eng_obrows_counts *c,
			      struct xu_err *err)
{
	struct eng_obrows_counts v = {0};
	sqlite3_stmt *st = NULL;
	int r;
	enum xu_code rc = eng_store_prepare(s, SQL_COUNTS, &st, err);
	if (rc != XU_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = text(st, 0);
		int k = strcmp(text(st, 1), "credit") == 0
			    ? ENG_OBROWS_CREDIT - 1
			    : ENG_OBROWS_MESSAGE - 1;
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
		if (strcmp(state, "pending") == 0) {
			v.pending += n;
			v.kind[k].pending = n;
		} else if (strcmp(state, "delivered") == 0) {
			v.delivered += n;
			v.kind[k].delivered = n;
		} else if (strcmp(state, "parked") == 0) {
			v.parked += n;
			v.kind[k].parked = n;
		}
	}
	if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "counting outbox rows");
	sqlite3_reset(st);
	if (rc == XU_OK)
		*c = v;
	return rc;
}
