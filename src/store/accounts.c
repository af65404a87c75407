/* The accounts, the settlement requests and their idempotency records,
 * the owed drops and leftovers (see store.h for the functions and
 * store.c for the table layout). */
#include "src/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/store/db.h"
#include "src/util/log.h"

/* ---- accounts ---- */

static enum xu_code check_account(const char *id, struct xu_err *err)
{
	size_t n = strlen(id);
	if (n == 0 || n > ENG_STORE_ACCOUNT_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "account id must be 1 to %d bytes",
			       ENG_STORE_ACCOUNT_MAX);
	return XU_OK;
}

static const char SQL_ACC_GET[] =
    "SELECT closed_at IS NOT NULL, leftover_digits, leftover_scale,"
    " owed_drops FROM accounts WHERE id = ?1";

/* Account row; *found false when absent. */
struct acct {
	bool found, closed;
	struct eng_quantity leftover;
	struct xl_drops owed;
};

static enum xu_code acct_get(struct eng_store *s, const char *id,
			     struct acct *a, struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_ACC_GET, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	memset(a, 0, sizeof(*a));
	if (r == SQLITE_DONE) {
		sqlite3_reset(st);
		return XU_OK;
	}
	if (r != SQLITE_ROW) {
		rc = eng_store_fail(s, err, "reading account");
		sqlite3_reset(st);
		return rc;
	}
	a->found = true;
	a->closed = sqlite3_column_int(st, 0) != 0;
	const char *dig = (const char *)sqlite3_column_text(st, 1);
	int scale = sqlite3_column_int(st, 2);
	sqlite3_int64 owed = sqlite3_column_int64(st, 3);
	bool ok = scale >= 0 &&
		  eng_quantity_set(&a->leftover, dig ? dig : "",
				   (unsigned)scale, NULL) == XU_OK &&
		  owed >= 0 && xl_drops_from_u64(&a->owed, (uint64_t)owed);
	sqlite3_reset(st);
	if (!ok)
		return xu_fail(err, XU_ESTORE, 0,
			       "account %s: corrupt leftover or owed drops",
			       id);
	return XU_OK;
}

static const char SQL_ACC_INSERT[] =
    "INSERT INTO accounts (id, created_at) VALUES (?1, ?2)";
static const char SQL_ACC_REOPEN[] =
    "UPDATE accounts SET closed_at = NULL WHERE id = ?1";
/* Closing clears the sub-drop leftover (docs/api.md#accounts: a
 * re-created account starts without it); owed drops are money the
 * connector already settled and stay until paid. */
static const char SQL_ACC_CLOSE[] =
    "UPDATE accounts SET closed_at = ?2, leftover_digits = '0',"
    " leftover_scale = 0 WHERE id = ?1 AND closed_at IS NULL";

enum xu_code eng_store_account_create(struct eng_store *s, const char *id,
				      bool *created, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	enum xu_code rc = check_account(id, err);
	struct acct a;
	if (rc == XU_OK)
		rc = acct_get(s, id, &a, err);
	if (rc != XU_OK)
		return rc;
	if (a.found && !a.closed) {
		*created = false;
		return XU_OK;
	}
	sqlite3_stmt *st = NULL;
	rc = eng_store_prepare(s, a.found ? SQL_ACC_REOPEN : SQL_ACC_INSERT,
			       &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (!a.found)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = eng_store_step_done(s, st, "creating account", err);
	if (rc == XU_OK)
		*created = true;
	return rc;
}

bool eng_store_account_exists(struct eng_store *s, const char *id)
{
	struct acct a;
	struct xu_err e;
	if (check_account(id, NULL) != XU_OK)
		return false;
	if (acct_get(s, id, &a, &e) != XU_OK) {
		xu_broken("store", "%s", e.msg);
		return false;
	}
	return a.found && !a.closed;
}

enum xu_code eng_store_account_delete(struct eng_store *s, const char *id,
				      struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_ACC_CLOSE, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = eng_store_step_done(s, st, "deleting account", err);
	if (rc != XU_OK)
		return rc;
	if (sqlite3_changes(eng_store_db(s)) == 0)
		return xu_fail(err, XU_ENOTFOUND, 0, "account %s not found",
			       id);
	return XU_OK;
}

/* ---- settlements ---- */

static const char SQL_IDEM_INSERT[] =
    "INSERT INTO idempotency (key, account, amount, scale, status, body,"
    " created_at, last_used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
    " ON CONFLICT (key) DO NOTHING";
static const char SQL_IDEM_GET[] =
    "SELECT account, amount, scale, status, body FROM idempotency"
    " WHERE key = ?1";
static const char SQL_IDEM_TOUCH[] =
    "UPDATE idempotency SET last_used = ?2 WHERE key = ?1";
static const char SQL_ACC_SETTLE[] =
    "UPDATE accounts SET leftover_digits = ?2, leftover_scale = ?3,"
    " owed_drops = ?4 WHERE id = ?1";

/* Looks the key up: *found false when absent, else REPLAY or CONFLICT in
 * out (REPLAY refreshes last_used). */
static enum xu_code idem_lookup(struct eng_store *s, const char *account,
				const char *key, const struct eng_quantity *q,
				int64_t now, bool *found,
				struct eng_settle_result *out,
				struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_IDEM_GET, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*found = false;
	if (r == SQLITE_DONE) {
		sqlite3_reset(st);
		return XU_OK;
	}
	if (r != SQLITE_ROW) {
		rc = eng_store_fail(s, err, "reading idempotency record");
		sqlite3_reset(st);
		return rc;
	}
	*found = true;
	const char *acc = (const char *)sqlite3_column_text(st, 0);
	const char *amt = (const char *)sqlite3_column_text(st, 1);
	int scale = sqlite3_column_int(st, 2);
	bool same = acc && amt && strcmp(acc, account) == 0 &&
		    strcmp(amt, q->digits) == 0 && scale == q->scale;
	memset(out, 0, sizeof(*out));
	if (!same) {
		out->kind = ENG_SETTLE_CONFLICT;
		sqlite3_reset(st);
		return XU_OK;
	}
	out->kind = ENG_SETTLE_REPLAY;
	out->status = sqlite3_column_int(st, 3);
	const char *body = (const char *)sqlite3_column_text(st, 4);
	size_t blen = (size_t)sqlite3_column_bytes(st, 4);
	if (!body || blen >= sizeof(out->body)) {
		sqlite3_reset(st);
		return xu_fail(err, XU_ESTORE, 0,
			       "corrupt idempotency record body");
	}
	memcpy(out->body, body, blen);
	out->body[blen] = '\0';
	out->body_len = blen;
	sqlite3_reset(st);

	rc = eng_store_prepare(s, SQL_IDEM_TOUCH, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return eng_store_step_done(s, st, "refreshing idempotency record", err);
}

enum xu_code eng_store_settle(struct eng_store *s, const char *account,
			      const char *idem_key,
			      const struct eng_quantity *q, int64_t now_unix,
			      struct eng_settle_result *out, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	size_t klen = strlen(idem_key);
	if (klen == 0 || klen > ENG_STORE_IDEM_KEY_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "Idempotency-Key must be 1 to %d bytes",
			       ENG_STORE_IDEM_KEY_MAX);
	enum xu_code rc = check_account(account, err);
	struct acct a;
	if (rc == XU_OK)
		rc = acct_get(s, account, &a, err);
	if (rc != XU_OK)
		return rc;
	if (!a.found || a.closed)
		return xu_fail(err, XU_ENOTFOUND, 0, "account %s not found",
			       account);

	/* Compute the effect first: nothing is written on a range error. */
	struct eng_quantity total, rem;
	struct xl_drops drops, owed;
	struct xu_err cerr;
	enum xu_code crc = eng_quantity_add(&total, &a.leftover, q, &cerr);
	if (crc == XU_OK)
		crc = eng_quantity_to_drops(&total, &drops, &rem, &cerr);
	if (crc == XU_OK && !xl_drops_add(&owed, a.owed, drops))
		crc = xu_fail(&cerr, XU_ERANGE, 0,
			      "account %s would be owed more than 10^17 drops",
			      account);
	if (crc != XU_OK) {
		/* A replay of an accepted request still replays. */
		bool found;
		rc = idem_lookup(s, account, idem_key, q, now_unix, &found, out,
				 err);
		if (rc != XU_OK || found)
			return rc;
		if (err)
			*err = cerr;
		return crc;
	}
	if (eng_quantity_is_zero(&rem))
		eng_quantity_zero(&rem);

	char body[ENG_STORE_BODY_MAX];
	size_t blen = eng_quantity_fmt_json(body, sizeof(body), q);
	sqlite3_stmt *st = NULL;
	rc = eng_store_prepare(s, SQL_IDEM_INSERT, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, idem_key, (int)klen, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->digits, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->scale);
	sqlite3_bind_int(st, 5, 201);
	sqlite3_bind_text(st, 6, body, (int)blen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now_unix);
	rc = eng_store_step_done(s, st, "storing idempotency record", err);
	if (rc != XU_OK)
		return rc;
	if (sqlite3_changes(eng_store_db(s)) == 0) {
		bool found;
		rc = idem_lookup(s, account, idem_key, q, now_unix, &found, out,
				 err);
		XU_ASSERT(rc != XU_OK || found);
		return rc;
	}

	rc = eng_store_prepare(s, SQL_ACC_SETTLE, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rem.digits, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, rem.scale);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)xl_drops_u64(owed));
	rc = eng_store_step_done(s, st, "updating account", err);
	if (rc != XU_OK)
		return rc;

	memset(out, 0, sizeof(*out));
	out->kind = ENG_SETTLE_NEW;
	out->status = 201;
	memcpy(out->body, body, blen + 1);
	out->body_len = blen;
	out->drops = drops;
	out->leftover = rem;
	return XU_OK;
}

static const char SQL_IDEM_GC[] =
    "DELETE FROM idempotency WHERE last_used < ?1";

enum xu_code eng_store_idem_gc(struct eng_store *s, int64_t now_unix,
			       int64_t ttl_s, unsigned long *deleted,
			       struct xu_err *err)
{
	bool own = !eng_store_in_tx(s);
	enum xu_code rc = own ? eng_store_begin(s, err) : XU_OK;
	if (rc != XU_OK)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = eng_store_prepare(s, SQL_IDEM_GC, &st, err);
	if (rc == XU_OK) {
		sqlite3_bind_int64(st, 1, now_unix - ttl_s);
		rc = eng_store_step_done(s, st, "idempotency gc", err);
	}
	unsigned long n =
	    rc == XU_OK ? (unsigned long)sqlite3_changes(eng_store_db(s)) : 0;
	if (own) {
		if (rc == XU_OK)
			rc = eng_store_commit(s, err);
		else
			eng_store_rollback(s);
	}
	if (rc == XU_OK && deleted)
		*deleted = n;
	return rc;
}

/* ---- owed drops, leftovers ---- */

static enum xu_code acct_must(struct eng_store *s, const char *id,
			      struct acct *a, struct xu_err *err)
{
	enum xu_code rc = acct_get(s, id, a, err);
	if (rc == XU_OK && !a->found)
		return xu_fail(err, XU_ENOTFOUND, 0, "account %s not found",
			       id);
	return rc;
}

enum xu_code eng_store_owed_get(struct eng_store *s, const char *account,
				struct xl_drops *drops, struct xu_err *err)
{
	struct acct a;
	enum xu_code rc = acct_must(s, account, &a, err);
	if (rc == XU_OK)
		*drops = a.owed;
	return rc;
}

static const char SQL_ACC_OWED[] =
    "UPDATE accounts SET owed_drops = ?2 WHERE id = ?1";

enum xu_code eng_store_owed_sub(struct eng_store *s, const char *account,
				struct xl_drops drops, struct xu_err *err)
{
	XU_ASSERT(eng_store_in_tx(s));
	struct acct a;
	enum xu_code rc = acct_must(s, account, &a, err);
	if (rc != XU_OK)
		return rc;
	struct xl_drops left;
	if (!xl_drops_sub(&left, a.owed, drops))
		return xu_fail(err, XU_ERANGE, 0,
			       "account %s is owed %llu drops, less than %llu",
			       account,
			       (unsigned long long)xl_drops_u64(a.owed),
			       (unsigned long long)xl_drops_u64(drops));
	sqlite3_stmt *st = NULL;
	rc = eng_store_prepare(s, SQL_ACC_OWED, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)xl_drops_u64(left));
	return eng_store_step_done(s, st, "updating owed drops", err);
}

static const char SQL_OWED_EACH[] =
    "SELECT id, owed_drops FROM accounts WHERE owed_drops > 0 ORDER BY id";

enum xu_code eng_store_owed_each(struct eng_store *s, eng_store_owed_fn fn,
				 void *arg, struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_OWED_EACH, &st, err);
	if (rc != XU_OK)
		return rc;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		sqlite3_int64 v = sqlite3_column_int64(st, 1);
		struct xl_drops d;
		if (!id || v < 0 || !xl_drops_from_u64(&d, (uint64_t)v)) {
			sqlite3_reset(st);
			return xu_fail(err, XU_ESTORE, 0,
				       "corrupt owed_drops row");
		}
		if (!fn(arg, id, d)) {
			r = SQLITE_DONE;
			break;
		}
	}
	if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "listing owed accounts");
	sqlite3_reset(st);
	return rc;
}

static const char SQL_ACCOUNT_EACH[] =
    "SELECT id, closed_at IS NOT NULL, created_at, owed_drops FROM accounts"
    " ORDER BY id";

enum xu_code eng_store_account_each(struct eng_store *s,
				    eng_store_account_fn fn, void *arg,
				    struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_ACCOUNT_EACH, &st, err);
	struct eng_store_account a;
	int r;

	if (rc != XU_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(st, 3);

		a.id = (const char *)sqlite3_column_text(st, 0);
		a.closed = sqlite3_column_int(st, 1) != 0;
		a.created_at = sqlite3_column_int64(st, 2);
		if (!a.id || v < 0 ||
		    !xl_drops_from_u64(&a.owed, (uint64_t)v)) {
			sqlite3_reset(st);
			return xu_fail(err, XU_ESTORE, 0,
				       "corrupt account row");
		}
		if (!fn(arg, &a)) {
			r = SQLITE_DONE;
			break;
		}
	}
	if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "listing accounts");
	sqlite3_reset(st);
	return rc;
}

enum xu_code eng_store_leftover_get(struct eng_store *s, const char *account,
				    struct eng_quantity *out,
				    struct xu_err *err)
{
	struct acct a;
	enum xu_code rc = acct_must(s, account, &a, err);
	if (rc == XU_OK)
		*out = a.leftover;
	return rc;
}

static const char SQL_LAST_SETTLED[] =
    "SELECT account, max(created_at) FROM idempotency WHERE status = 201"
    " GROUP BY account";

enum xu_code eng_store_last_settled_each(struct eng_store *s,
					 eng_store_last_settled_fn fn,
					 void *arg, struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_LAST_SETTLED, &st, err);
	if (rc != XU_OK)
		return rc;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id && !fn(arg, id, sqlite3_column_int64(st, 1))) {
			r = SQLITE_DONE;
			break;
		}
	}
	if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "reading the last settlements");
	sqlite3_reset(st);
	return rc;
}
