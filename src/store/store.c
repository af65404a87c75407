/* The daemon's SQLite store (see store.h).
 *
 * Layout of the database (the schema is the migrations array below; its
 * version is their count):
 *
 *   accounts     one row per account ever created; closed_at marks a
 *                deleted one.  leftover_digits/leftover_scale hold the
 *                remainder below one drop at full precision (cleared when
 *                the account is deleted); owed_drops the drops settled by
 *                the connector and not yet paid.
 *   idempotency  settlement requests by Idempotency-Key (global): the
 *                fingerprint (account, amount, scale) and the reply.
 *   outbox       calls to the connector (src/store/outbox_rows.c, for
 *                src/outbox/outbox.c).
 *   tx_journal   the rippled client's transaction journal
 *                (src/store/txjournal.c).
 *   pc_peers, pc_out, pc_in  the payment channels: pairing with each
 *                peer, our outgoing channel per account, the incoming
 *                channels (src/store/chanstore.c).
 *
 * Statements are prepared once (SQLITE_PREPARE_PERSISTENT) and cached by
 * the address of their SQL text, so the hot path never re-parses SQL.
 * The lock file "<path>.lock" is held with flock() for the store's life and
 * holds the owner's pid for the error message of a second daemon. */
#include "src/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "src/store/db.h"
#include "src/util/log.h"

/* The schema, one entry per version.  NEVER reorder or edit an entry that
 * has shipped: append a new one.  Every pending entry runs at open, all of
 * them in ONE transaction with the bump of schema_version (migrate()), so
 * a failed migration leaves the database as it was. */
static const char *const migrations[] = {
    /* 1: accounts, idempotency, outbox, tx_journal. */
    "CREATE TABLE accounts ("
    " id TEXT PRIMARY KEY,"
    " created_at INTEGER NOT NULL,"
    " closed_at INTEGER,"
    " leftover_digits TEXT NOT NULL DEFAULT '0',"
    " leftover_scale INTEGER NOT NULL DEFAULT 0,"
    " owed_drops INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE TABLE idempotency ("
    " key TEXT PRIMARY KEY,"
    " account TEXT NOT NULL,"
    " amount TEXT NOT NULL,"
    " scale INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " body TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " last_used INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX idempotency_last_used ON idempotency(last_used);"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('credit','message')),"
    " account TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " path TEXT NOT NULL,"
    " idem_key TEXT NOT NULL UNIQUE,"
    " content_type TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " tag TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
    "  ('pending','inflight','delivered','parked')),"
    " last_status INTEGER,"
    " last_error TEXT,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " reply BLOB"
    ");"
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at_ms);"
    "CREATE TABLE tx_journal ("
    " id INTEGER PRIMARY KEY,"
    " account TEXT,"
    " sequence INTEGER,"
    " tx_type TEXT,"
    " intent TEXT UNIQUE,"
    " hash TEXT,"
    " blob TEXT,"
    " last_ledger_seq INTEGER,"
    " state TEXT,"
    " result TEXT,"
    " created_at INTEGER,"
    " updated_at INTEGER"
    ");",
    /* 2: payment channels (src/store/chanstore.c). */
    "CREATE TABLE pc_peers ("
    " account TEXT PRIMARY KEY, address TEXT, key_type INTEGER,"
    " min_settle_delay INTEGER, version INTEGER,"
    " hello_next_ms INTEGER NOT NULL DEFAULT 0,"
    " hello_attempts INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE pc_out ("
    " account TEXT PRIMARY KEY, state INTEGER NOT NULL, self TEXT NOT NULL,"
    " peer TEXT NOT NULL, has_id INTEGER NOT NULL, id TEXT,"
    " amount INTEGER NOT NULL, redeemed INTEGER NOT NULL,"
    " settle_delay INTEGER NOT NULL, has_expiration INTEGER NOT NULL,"
    " expiration INTEGER NOT NULL, signed_total INTEGER NOT NULL,"
    " owed INTEGER NOT NULL, fund_inflight INTEGER NOT NULL,"
    " close_inflight INTEGER NOT NULL, deleting INTEGER NOT NULL,"
    " has_account INTEGER NOT NULL, acct_balance INTEGER NOT NULL,"
    " acct_reserve INTEGER NOT NULL, acct_reserve_inc INTEGER NOT NULL,"
    " fee INTEGER NOT NULL, retry_at INTEGER NOT NULL,"
    " claim_amount INTEGER NOT NULL, claim_sig BLOB,"
    " peer_best INTEGER NOT NULL, create_n INTEGER NOT NULL,"
    " fund_n INTEGER NOT NULL, close_n INTEGER NOT NULL,"
    " tx_amount INTEGER NOT NULL, updated_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX pc_out_id ON pc_out(id);"
    "CREATE TABLE pc_in ("
    " id TEXT PRIMARY KEY, account TEXT NOT NULL, state INTEGER NOT NULL,"
    " self TEXT NOT NULL, peer TEXT NOT NULL, has_view INTEGER NOT NULL,"
    " v_source TEXT, v_dest TEXT, v_amount INTEGER NOT NULL,"
    " v_balance INTEGER NOT NULL, v_settle_delay INTEGER NOT NULL,"
    " v_has_expiration INTEGER NOT NULL, v_expiration INTEGER NOT NULL,"
    " v_has_cancel_after INTEGER NOT NULL, v_cancel_after INTEGER NOT NULL,"
    " v_pubkey BLOB, best INTEGER NOT NULL, best_sig BLOB,"
    " redeem_inflight INTEGER NOT NULL, deleting INTEGER NOT NULL,"
    " expired_alerted INTEGER NOT NULL, redeem_amount INTEGER NOT NULL,"
    " next_check INTEGER NOT NULL, retry_at INTEGER NOT NULL,"
    " last_redeem INTEGER NOT NULL, redeem_n INTEGER NOT NULL,"
    " redeem_close INTEGER NOT NULL, updated_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX pc_in_account ON pc_in(account);",
    /* 3: recovery of lost outgoing claim state (channel.h, peers.md R7). */
    "ALTER TABLE pc_out ADD COLUMN recovering INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN recover_owed INTEGER NOT NULL DEFAULT 0;",
};

#define NUM_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct eng_store {
	sqlite3 *db;
	int lock_fd;
	bool in_tx;
	bool relaxed; /* the open transaction commits with synchronous=NORMAL */
	bool in_savepoint;
	int version;
	struct stmt_slot *slots;
	size_t nslots, capslots;
};

enum xu_code eng_store_fail(struct eng_store *s, struct xu_err *err,
			    const char *what)
{
	return xu_fail(err, XU_ESTORE, sqlite3_extended_errcode(s->db),
		       "%s: %s", what, sqlite3_errmsg(s->db));
}

enum xu_code eng_store_prepare(struct eng_store *s, const char *sql,
			       sqlite3_stmt **stmt, struct xu_err *err)
{
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].sql == sql) {
			sqlite3_reset(s->slots[i].stmt);
			sqlite3_clear_bindings(s->slots[i].stmt);
			*stmt = s->slots[i].stmt;
			return XU_OK;
		}
	}
	if (s->nslots == s->capslots) {
		size_t cap = s->capslots ? s->capslots * 2 : 32;
		struct stmt_slot *n = realloc(s->slots, cap * sizeof(*n));
		if (!n)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		s->slots = n;
		s->capslots = cap;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK)
		return eng_store_fail(s, err, "prepare");
	s->slots[s->nslots].sql = sql;
	s->slots[s->nslots].stmt = st;
	s->nslots++;
	*stmt = st;
	return XU_OK;
}

/* Runs one statement without results (DDL, pragmas). */
static enum xu_code exec(struct eng_store *s, const char *sql,
			 struct xu_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		xu_fail(err, XU_ESTORE, sqlite3_extended_errcode(s->db), "%s",
			msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return XU_ESTORE;
	}
	return XU_OK;
}

/* Takes the lock on "<path>.lock" and writes our pid into it. */
static enum xu_code take_lock(struct eng_store *s, const char *path,
			      struct xu_err *err)
{
	char lpath[4096];
	if ((size_t)snprintf(lpath, sizeof(lpath), "%s.lock", path) >=
	    sizeof(lpath))
		return xu_fail(err, XU_EINVAL, 0, "database path too long");
	int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return xu_fail(err, XU_EIO, errno,
			       "cannot create lock file %s: %s", lpath,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char buf[32] = {0};
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		close(fd);
		if (e == EWOULDBLOCK) {
			long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
			return xu_fail(err, XU_EBUSY, 0,
				       "database %s in use by another xrpse "
				       "(pid %ld)",
				       path, pid);
		}
		return xu_fail(err, XU_EIO, e, "cannot lock %s: %s", lpath,
			       strerror(e));
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		int e = errno;
		close(fd);
		return xu_fail(err, XU_EIO, e, "cannot write lock file %s: %s",
			       lpath, strerror(e));
	}
	s->lock_fd = fd;
	return XU_OK;
}

static enum xu_code read_version(struct eng_store *s, int *version,
				 struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1,
			       &st, NULL) != SQLITE_OK)
		return eng_store_fail(s, err, "reading schema_version");
	int rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return eng_store_fail(s, err, "reading schema_version");
	return XU_OK;
}

static enum xu_code migrate(struct eng_store *s, struct xu_err *err)
{
	enum xu_code rc;
	if ((rc = exec(s, "BEGIN IMMEDIATE", err)) != XU_OK)
		return xu_wrap(err, rc, "migration");
	rc = exec(s,
		  "CREATE TABLE IF NOT EXISTS schema_version"
		  " (version INTEGER NOT NULL)",
		  err);
	int v = 0;
	if (rc == XU_OK)
		rc = read_version(s, &v, err);
	if (rc == XU_OK && v > NUM_MIGRATIONS)
		rc = xu_fail(err, XU_ESTORE, 0,
			     "database schema version %d is newer than this "
			     "xrpse knows (%d); refusing to open it",
			     v, NUM_MIGRATIONS);
	if (rc == XU_OK && v == 0)
		rc = exec(s, "INSERT INTO schema_version VALUES (0)", err);
	for (int i = v; rc == XU_OK && i < NUM_MIGRATIONS; i++) {
		rc = exec(s, migrations[i], err);
		if (rc != XU_OK) {
			xu_wrap(err, rc, "migration");
			break;
		}
		char sql[64];
		snprintf(sql, sizeof(sql),
			 "UPDATE schema_version SET version = %d", i + 1);
		rc = exec(s, sql, err);
		if (rc == XU_OK)
			xu_info("store", "migrated schema to version %d",
				i + 1);
	}
	if (rc == XU_OK)
		rc = exec(s, "COMMIT", err);
	if (rc != XU_OK) {
		exec(s, "ROLLBACK", NULL);
		return rc;
	}
	s->version = v > NUM_MIGRATIONS ? v : NUM_MIGRATIONS;
	return XU_OK;
}

enum xu_code eng_store_open(struct eng_store **out, const char *path,
			    struct xu_err *err)
{
	struct eng_store *s = calloc(1, sizeof(*s));
	if (!s)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	s->lock_fd = -1;
	enum xu_code rc = take_lock(s, path, err);
	if (rc != XU_OK)
		goto fail;
	int r = sqlite3_open_v2(path, &s->db,
				SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
				NULL);
	if (r != SQLITE_OK) {
		rc =
		    xu_fail(err, XU_EIO, r, "cannot open database %s: %s", path,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	/* journal_mode answers the mode actually set. */
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = xu_fail(err, XU_EIO, 0, "cannot use database %s: %s", path,
			     sqlite3_errmsg(s->db));
		goto fail;
	}
	r = sqlite3_step(st);
	bool wal = r == SQLITE_ROW &&
		   strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		rc = xu_fail(err, XU_EIO, 0,
			     "cannot use database %s (WAL mode refused): %s",
			     path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/* A 512 KiB page cache instead of SQLite's 2 MB: the hot pages (the
	 * upper B-tree levels, one batch's dirty pages) fit, the rest is in
	 * the OS page cache, and the idle RSS after a load stays ~1.5 MB
	 * lower at the same throughput (scripts/bench-api). */
	rc = exec(s,
		  "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
		  " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-512",
		  err);
	if (rc != XU_OK)
		goto fail;
	rc = migrate(s, err);
	if (rc != XU_OK)
		goto fail;
	*out = s;
	return XU_OK;
fail:
	eng_store_close(s);
	return rc;
}

void eng_store_close(struct eng_store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		eng_store_rollback(s);
	for (size_t i = 0; i < s->nslots; i++)
		sqlite3_finalize(s->slots[i].stmt);
	free(s->slots);
	if (s->db && sqlite3_close(s->db) == SQLITE_BUSY) {
		/* Another module left statements open: finalize them. */
		xu_broken("store", "statements left open at close");
		sqlite3_stmt *st;
		while ((st = sqlite3_next_stmt(s->db, NULL)))
			sqlite3_finalize(st);
		sqlite3_close(s->db);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s);
}

sqlite3 *eng_store_db(struct eng_store *s)
{
	return s->db;
}

int eng_store_schema_version(struct eng_store *s)
{
	return s->version;
}

/* Steps a statement expected to finish without rows. */
static enum xu_code step_done(struct eng_store *s, sqlite3_stmt *st,
			      const char *what, struct xu_err *err)
{
	int r = sqlite3_step(st);
	if (r != SQLITE_DONE) {
		enum xu_code rc = eng_store_fail(s, err, what);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return XU_OK;
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

enum xu_code eng_store_begin(struct eng_store *s, struct xu_err *err)
{
	XU_ASSERT(!s->in_tx);
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_BEGIN, &st, err);
	if (rc == XU_OK)
		rc = step_done(s, st, "begin", err);
	if (rc == XU_OK)
		s->in_tx = true;
	return rc;
}

/* A relaxed transaction commits with synchronous=NORMAL: its WAL frames
 * are written (a killed process loses nothing) but not fsynced (a power
 * cut may lose them); the WAL keeps the order, so the next FULL commit
 * makes them durable too.  synchronous goes back to FULL before anything
 * else runs; a store that cannot do that must not acknowledge another
 * request, so it aborts. */
static const char SQL_SYNC_NORMAL[] = "PRAGMA synchronous=NORMAL";
static const char SQL_SYNC_FULL[] = "PRAGMA synchronous=FULL";

static void sync_full_again(struct eng_store *s)
{
	sqlite3_stmt *st = NULL;
	struct xu_err e;

	if (!s->relaxed)
		return;
	s->relaxed = false;
	if (eng_store_prepare(s, SQL_SYNC_FULL, &st, &e) != XU_OK ||
	    step_done(s, st, "restoring synchronous=FULL", &e) != XU_OK) {
		xu_broken("store", "cannot restore synchronous=FULL: %s",
			  e.msg);
		abort();
	}
}

enum xu_code eng_store_begin_relaxed(struct eng_store *s, struct xu_err *err)
{
	XU_ASSERT(!s->in_tx);
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_SYNC_NORMAL, &st, err);
	if (rc == XU_OK)
		rc = step_done(s, st, "relaxing synchronous", err);
	if (rc != XU_OK)
		return rc;
	s->relaxed = true;
	rc = eng_store_begin(s, err);
	if (rc != XU_OK)
		sync_full_again(s);
	return rc;
}

enum xu_code eng_store_commit(struct eng_store *s, struct xu_err *err)
{
	XU_ASSERT(s->in_tx);
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_COMMIT, &st, err);
	if (rc == XU_OK)
		rc = step_done(s, st, "commit", err);
	if (rc != XU_OK) {
		eng_store_rollback(s);
		return rc;
	}
	s->in_tx = false;
	sync_full_again(s);
	return XU_OK;
}

void eng_store_rollback(struct eng_store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = false;
	s->in_savepoint = false;
	if (!sqlite3_get_autocommit(s->db)) { /* else SQLite rolled back */
		sqlite3_stmt *st = NULL;
		struct xu_err e;
		if (eng_store_prepare(s, SQL_ROLLBACK, &st, &e) != XU_OK ||
		    step_done(s, st, "rollback", &e) != XU_OK)
			xu_broken("store", "%s", e.msg);
	}
	sync_full_again(s);
}

bool eng_store_in_tx(struct eng_store *s)
{
	return s->in_tx;
}

/* Runs one of the savepoint statements (string literals, cached). */
static enum xu_code savepoint_sql(struct eng_store *s, const char *sql,
				  struct xu_err *err)
{
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, sql, &st, err);

	return rc == XU_OK ? step_done(s, st, sql, err) : rc;
}

enum xu_code eng_store_savepoint(struct eng_store *s, struct xu_err *err)
{
	XU_ASSERT(s->in_tx && !s->in_savepoint);
	enum xu_code rc = savepoint_sql(s, "SAVEPOINT sp", err);

	s->in_savepoint = rc == XU_OK;
	return rc;
}

enum xu_code eng_store_savepoint_release(struct eng_store *s,
					 struct xu_err *err)
{
	XU_ASSERT(s->in_savepoint);
	s->in_savepoint = false;
	return savepoint_sql(s, "RELEASE sp", err);
}

enum xu_code eng_store_savepoint_undo(struct eng_store *s, struct xu_err *err)
{
	XU_ASSERT(s->in_savepoint);
	s->in_savepoint = false;
	enum xu_code rc = savepoint_sql(s, "ROLLBACK TO sp", err);

	return rc == XU_OK ? savepoint_sql(s, "RELEASE sp", err) : rc;
}

bool eng_store_usable(struct eng_store *s)
{
	sqlite3_stmt *st = NULL;
	bool ok = eng_store_prepare(s, "SELECT count(*) FROM sqlite_master",
				    &st, NULL) == XU_OK &&
		  sqlite3_step(st) == SQLITE_ROW;

	if (st)
		sqlite3_reset(st);
	return ok;
}

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
/* Closing clears the sub-drop leftover (settlement-api.md f10: a
 * re-created account starts without it); owed drops are money the
 * connector already settled and stay until paid. */
static const char SQL_ACC_CLOSE[] =
    "UPDATE accounts SET closed_at = ?2, leftover_digits = '0',"
    " leftover_scale = 0 WHERE id = ?1 AND closed_at IS NULL";

enum xu_code eng_store_account_create(struct eng_store *s, const char *id,
				      bool *created, struct xu_err *err)
{
	XU_ASSERT(s->in_tx);
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
	rc = step_done(s, st, "creating account", err);
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
	XU_ASSERT(s->in_tx);
	sqlite3_stmt *st = NULL;
	enum xu_code rc = eng_store_prepare(s, SQL_ACC_CLOSE, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = step_done(s, st, "deleting account", err);
	if (rc != XU_OK)
		return rc;
	if (sqlite3_changes(s->db) == 0)
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
	return step_done(s, st, "refreshing idempotency record", err);
}

enum xu_code eng_store_settle(struct eng_store *s, const char *account,
			      const char *idem_key,
			      const struct eng_quantity *q, int64_t now_unix,
			      struct eng_settle_result *out, struct xu_err *err)
{
	XU_ASSERT(s->in_tx);
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
	rc = step_done(s, st, "storing idempotency record", err);
	if (rc != XU_OK)
		return rc;
	if (sqlite3_changes(s->db) == 0) {
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
	rc = step_done(s, st, "updating account", err);
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
	bool own = !s->in_tx;
	enum xu_code rc = own ? eng_store_begin(s, err) : XU_OK;
	if (rc != XU_OK)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = eng_store_prepare(s, SQL_IDEM_GC, &st, err);
	if (rc == XU_OK) {
		sqlite3_bind_int64(st, 1, now_unix - ttl_s);
		rc = step_done(s, st, "idempotency gc", err);
	}
	unsigned long n =
	    rc == XU_OK ? (unsigned long)sqlite3_changes(s->db) : 0;
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
	XU_ASSERT(s->in_tx);
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
	return step_done(s, st, "updating owed drops", err);
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
