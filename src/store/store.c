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
 *                src/outbox/rows.c).
 *   tx_journal   the rippled client's transaction journal
 *                (src/store/txjournal.c).
 *   pc_peers, pc_out, pc_in  the payment channels: pairing with each
 *                peer, our outgoing channel per account, the incoming
 *                channels (src/store/chanstore.c); pc_in_closed the
 *                pruned closed ones, pc_in_final the ids a payer asked
 *                about as final before we had their record.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/store/db.h"
#include "src/util/log.h"

/* How long a statement waits for another connection's lock. */
#define BUSY_MS 5000u

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
    /* 3: recovery of lost outgoing claim state (channel.h,
     * docs/design.md#recovering-lost-outgoing-claims). */
    "ALTER TABLE pc_out ADD COLUMN recovering INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN recover_owed INTEGER NOT NULL DEFAULT 0;",
    /* 4: the newest validated ledger that showed each channel: an older
     * answer (a lagging server) neither closes nor rewinds it. */
    "ALTER TABLE pc_out ADD COLUMN seen_ledger INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_in ADD COLUMN v_ledger_index INTEGER NOT NULL DEFAULT 0;",
    /* 5: a gone channel whose unacknowledged claims wait for the ledger's
     * history (docs/design.md#claims-a-gone-channel-never-paid). */
    "ALTER TABLE pc_out ADD COLUMN has_ended INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_id TEXT;"
    "ALTER TABLE pc_out ADD COLUMN ended_signed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_paid INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_from INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_to INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_has_final INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_final INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_has_held INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN ended_held INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN reowed INTEGER NOT NULL DEFAULT 0;",
    /* 6: a credit's Idempotency-Key of the moment (NULL: idem_key) and
     * since when an attempt under it went unanswered
     * (docs/api.md#credits-and-the-connectors-answer-caches). */
    "ALTER TABLE outbox ADD COLUMN attempt_key TEXT;"
    "ALTER TABLE outbox ADD COLUMN unknown_since_ms INTEGER;",
    /* 7: closed incoming records are pruned into a summary for the books,
     * and the tick reads only the live ones (state 3 is PC_IN_CLOSED;
     * docs/risks.md#closed-records-never-pruned). */
    "CREATE TABLE pc_in_closed ("
    " id TEXT PRIMARY KEY, account TEXT NOT NULL, amount INTEGER NOT NULL,"
    " redeemed INTEGER NOT NULL, best INTEGER NOT NULL,"
    " closed_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX pc_in_live ON pc_in(id)"
    " WHERE state <> 3 OR redeem_inflight <> 0;"
    "CREATE INDEX pc_in_done ON pc_in(updated_at)"
    " WHERE state = 3 AND redeem_inflight = 0;",
    /* 8: an incoming channel its payer said left the ledger takes no more
     * claims (docs/design.md#claims-a-gone-channel-never-paid). */
    "ALTER TABLE pc_in ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0;",
    /* 9: when the peer built the hello we took (its clock), so that a
     * delayed older one changes nothing (docs/risks.md#peer-address-change). */
    "ALTER TABLE pc_peers ADD COLUMN peer_sent_ms INTEGER NOT NULL "
    "DEFAULT 0;",
    /* 10: an outgoing channel's own key when it is not the account key
     * (an adopted channel): how to derive it ("kava:NAME") and its public
     * half; NULL: the account key
     * (docs/design.md#moving-from-kavas-plugin). */
    "ALTER TABLE pc_out ADD COLUMN signer TEXT;"
    "ALTER TABLE pc_out ADD COLUMN signer_pub BLOB;",
    /* 11: when the tick next looks at each channel record (wall ms; every
     * write makes it due at once, chanstore.h), so that the tick reads
     * only what is due (docs/design.md#timers). */
    "ALTER TABLE pc_out ADD COLUMN due_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE pc_in ADD COLUMN due_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX pc_out_due ON pc_out(due_ms);"
    "CREATE INDEX pc_in_due ON pc_in(due_ms);",
    /* 12: the channels a payer asked about as final while we had no
     * record of them, per asking account: a record made later for that
     * account starts frozen (docs/risks.md#final-answer-without-a-record). */
    "CREATE TABLE pc_in_final ("
    " id TEXT NOT NULL, account TEXT NOT NULL, at INTEGER NOT NULL,"
    " PRIMARY KEY (id, account)"
    ") WITHOUT ROWID;"
    "CREATE INDEX pc_in_final_account ON pc_in_final(account, at);",
    /* 13: evidence of lost claims that started a recovery already: the
     * same evidence starts none again (channel.h "Recovery",
     * docs/risks.md#endless-recovery-loop). */
    "ALTER TABLE pc_out ADD COLUMN ledger_floor INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE pc_out ADD COLUMN word_floor INTEGER NOT NULL DEFAULT 0;",
    /* 14: the outgoing records with drops unpaid (owed, or a claim above
     * what the peer acknowledged), which the owed alert reads every tick
     * (eng_chan_out_unpaid): their number, not every record's
     * (docs/design.md#scale). */
    "CREATE INDEX pc_out_unpaid ON pc_out(account)"
    " WHERE owed > 0 OR claim_amount > peer_best;",
    /* 15: the accounts with owed drops, which the tick and the owed
     * alert list every second (eng_store_owed_each): their number, not
     * every account's (docs/design.md#scale). */
    "CREATE INDEX accounts_owed ON accounts(id) WHERE owed_drops > 0;",
    /* 16: the unpaired accounts by the time of their next hello, which
     * the tick asks for every second (eng_chan_peer_due): the ones due,
     * not every pairing record (docs/design.md#scale). */
    "CREATE INDEX pc_peers_hello ON pc_peers(hello_next_ms)"
    " WHERE address IS NULL;",
    /* 17: an outgoing record's failed transactions in a row: each waits
     * twice as long as the one before (channel.h pc_tx_backoff_s). */
    "ALTER TABLE pc_out ADD COLUMN tx_fails INTEGER NOT NULL DEFAULT 0;",
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
	uint64_t commits; /* eng_store_commits */
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

static enum xu_code open_store(struct eng_store **out, const char *path,
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
	sqlite3_busy_timeout(s->db, BUSY_MS);
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

/* The database, its -wal and -shm (SQLite gives them the database's
 * mode) and the lock file are created 0600: they hold the claims we can
 * redeem (docs/design.md#safe-files).  The process is single-threaded
 * when it opens its store, so no other file sees the umask. */
enum xu_code eng_store_open(struct eng_store **out, const char *path,
			    struct xu_err *err)
{
	mode_t um = umask(077);
	enum xu_code rc = open_store(out, path, err);

	umask(um);
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

/* fsyncs the directory that holds path (its new entry). */
static bool sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;
	bool ok;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return false;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

enum xu_code eng_store_backup(struct eng_store *s, const char *path,
			      struct xu_err *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum xu_code rc = XU_OK;
	int fd, r;

	if (s->in_tx)
		return xu_fail(err, XU_EUNAVAIL, 0, "the store is busy");
	/* O_EXCL: never over an existing file; 0600 from the start. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST
			   ? xu_fail(err, XU_EEXIST, 0,
				     "%s exists: a backup never overwrites",
				     path)
			   : xu_fail(err, XU_EIO, errno, "cannot create %s: %s",
				     path, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		rc = xu_fail(err, XU_EIO, errno, "chmod %s: %s", path,
			     strerror(errno));
		goto out;
	}
	r = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (r != SQLITE_OK) {
		rc = xu_fail(err, XU_ESTORE, r, "opening %s: %s", path,
			     dst ? sqlite3_errmsg(dst) : sqlite3_errstr(r));
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", s->db, "main");
	if (!b) {
		rc = xu_fail(err, XU_ESTORE, sqlite3_extended_errcode(dst),
			     "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	r = sqlite3_backup_step(b, -1); /* every page, in one read tx */
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		rc = xu_fail(err, XU_ESTORE, r, "backup to %s: %s", path,
			     sqlite3_errstr(r));
		goto out;
	}
	/* The copy's own WAL, if any, goes into the file before the sync. */
	r = sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL);
	if (r != SQLITE_OK) {
		rc = xu_fail(err, XU_ESTORE, r, "checkpoint of %s: %s", path,
			     sqlite3_errmsg(dst));
		goto out;
	}
out:
	if (dst && sqlite3_close(dst) != SQLITE_OK && rc == XU_OK)
		rc = xu_fail(err, XU_ESTORE, 0, "closing %s", path);
	if (rc == XU_OK && (fsync(fd) != 0 || !sync_dir(path)))
		rc = xu_fail(err, XU_EIO, errno, "fsync of %s: %s", path,
			     strerror(errno));
	close(fd);
	if (rc != XU_OK)
		unlink(path);
	return rc;
}

sqlite3 *eng_store_db(struct eng_store *s)
{
	return s->db;
}

int eng_store_schema_version(struct eng_store *s)
{
	return s->version;
}

/* Steps a statement expected to finish without rows (see db.h). */
enum xu_code eng_store_step_done(struct eng_store *s, sqlite3_stmt *st,
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
		rc = eng_store_step_done(s, st, "begin", err);
	if (rc == XU_OK)
		s->in_tx = true;
	return rc;
}

enum xu_code eng_store_begin_within(struct eng_store *s, uint32_t ms,
				    struct xu_err *err)
{
	enum xu_code rc;

	sqlite3_busy_timeout(s->db, (int)(ms < BUSY_MS ? ms : BUSY_MS));
	rc = eng_store_begin(s, err);
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if (rc == XU_ESTORE &&
	    (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_BUSY)
		return xu_fail(err, XU_EUNAVAIL,
			       sqlite3_extended_errcode(s->db),
			       "the store is locked by another connection "
			       "(waited %u ms)",
			       ms);
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
	    eng_store_step_done(s, st, "restoring synchronous=FULL", &e) !=
		XU_OK) {
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
		rc = eng_store_step_done(s, st, "relaxing synchronous", err);
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
		rc = eng_store_step_done(s, st, "commit", err);
	if (rc != XU_OK) {
		eng_store_rollback(s);
		return rc;
	}
	s->in_tx = false;
	s->commits++;
	sync_full_again(s);
	return XU_OK;
}

uint64_t eng_store_commits(const struct eng_store *s)
{
	return s->commits;
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
		    eng_store_step_done(s, st, "rollback", &e) != XU_OK)
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

	return rc == XU_OK ? eng_store_step_done(s, st, sql, err) : rc;
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
