/* The daemon's durable store: one SQLite file in WAL mode with full
 * synchronous commits, owned by the event-loop thread.
 *
 * It holds the accounts (with each account's leftover at full precision and
 * the drops owed to it but not yet paid), the idempotency records of
 * settlement requests, and the tables of the other modules of src/store:
 * the outbox of calls to the connector (outbox_rows.h), the channels
 * (chanstore.h) and the transaction journal (txjournal.h).  Only those
 * modules speak SQL, through the handle and statement cache of
 * src/store/db.h; this header keeps SQLite out of sight.  The schema is
 * versioned by an append-only migration array in store.c.
 *
 * Transactions: the caller opens one with eng_store_begin(), calls any
 * number of the mutating functions (they assert a transaction is open) and
 * commits; group commit batches many requests into one commit.  A request
 * is acknowledged only after its commit returned XU_OK.
 *
 * An exclusive lock (flock on "<path>.lock", which also records the pid)
 * keeps a second daemon away from the same database.
 *
 * Every fallible function returns an xu_code with a message; SQLite errors
 * are XU_ESTORE carrying SQLite's message. */
#ifndef XRPSE_SRC_STORE_H
#define XRPSE_SRC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/amount.h"
#include "src/store/quantity.h"
#include "src/util/err.h"

/* Longest account id and idempotency key stored. */
#define ENG_STORE_ACCOUNT_MAX 255
#define ENG_STORE_IDEM_KEY_MAX 512
/* Longest stored reply body of a settlement request, with its NUL. */
#define ENG_STORE_BODY_MAX ENG_QTY_JSON_MAX
/* Default retention of idempotency records after their last use. */
#define ENG_STORE_IDEM_TTL_S (7 * 24 * 3600)

struct eng_store;

/* Opens (creating when absent) the database at path, takes the exclusive
 * lock, sets WAL / synchronous=FULL / foreign_keys, and migrates the
 * schema.  Returns XU_OK and *out (owned; eng_store_close), or:
 * XU_EBUSY "database in use by another xrpse (pid N)", XU_EIO for a path
 * that cannot be opened or written, XU_ESTORE for a database error or a
 * schema newer than this binary knows. */
enum xu_code eng_store_open(struct eng_store **out, const char *path,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Rolls back an open transaction, closes the database and releases the
 * lock.  NULL is a no-op. */
void eng_store_close(struct eng_store *s);

/* The schema version of the open database. */
int eng_store_schema_version(struct eng_store *s);

/* Opens a transaction (BEGIN IMMEDIATE); asserts none is open. */
enum xu_code eng_store_begin(struct eng_store *s,
			     struct xu_err *err) XU_WARN_UNUSED;
/* Like eng_store_begin, but waits at most ms for another connection's
 * write lock (every other wait is the store's 5 s busy timeout).  Returns
 * XU_EUNAVAIL when the lock is still held then (nothing was begun: the
 * caller answers "retry"), else as eng_store_begin. */
enum xu_code eng_store_begin_within(struct eng_store *s, uint32_t ms,
				    struct xu_err *err) XU_WARN_UNUSED;
/* Commits (and fsyncs) the open transaction.  On failure the transaction
 * is rolled back and XU_ESTORE returned: nothing of it may be
 * acknowledged. */
enum xu_code eng_store_commit(struct eng_store *s,
			      struct xu_err *err) XU_WARN_UNUSED;
/* How many transactions s committed (durable or relaxed) since it was
 * opened. */
uint64_t eng_store_commits(const struct eng_store *s);
/* Like eng_store_begin, for a transaction whose loss to a power cut is
 * harmless (bookkeeping that is redone, or a message sent again): its
 * commit writes the WAL without waiting for the disk (synchronous=NORMAL,
 * restored to FULL at commit or rollback; a store that cannot restore it
 * aborts).  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_store_begin_relaxed(struct eng_store *s,
				     struct xu_err *err) XU_WARN_UNUSED;
/* Inside a transaction: marks a point that eng_store_savepoint_undo
 * returns to (one level: a second savepoint before the first is released
 * or undone is a programmer error).  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_store_savepoint(struct eng_store *s,
				 struct xu_err *err) XU_WARN_UNUSED;
/* Keeps what was written since the savepoint.  XU_OK or XU_ESTORE. */
enum xu_code eng_store_savepoint_release(struct eng_store *s,
					 struct xu_err *err) XU_WARN_UNUSED;
/* Undoes what was written since the savepoint (the transaction stays
 * open).  XU_OK or XU_ESTORE. */
enum xu_code eng_store_savepoint_undo(struct eng_store *s,
				      struct xu_err *err) XU_WARN_UNUSED;
/* True when the database answers a trivial read (for /health). */
bool eng_store_usable(struct eng_store *s);

/* Copies the whole database, online, into a new file at path through
 * SQLite's backup API (a consistent snapshot: the copy reads inside one
 * read transaction; the loop thread writes nothing meanwhile).  The file
 * is created 0600 (it holds the claims we can redeem:
 * docs/design.md#safe-files), never over an existing one, and fsynced
 * with its directory before this returns.  Not inside a transaction.
 * Returns XU_OK; XU_EEXIST when path exists; XU_EIO when it cannot be
 * created or synced; XU_ESTORE for a database error (a partial file is
 * removed). */
enum xu_code eng_store_backup(struct eng_store *s, const char *path,
			      struct xu_err *err) XU_WARN_UNUSED;

/* Rolls back the open transaction (no-op when none is open). */
void eng_store_rollback(struct eng_store *s);
/* True while a transaction is open. */
bool eng_store_in_tx(struct eng_store *s);

/* ---- accounts (inside a transaction) ---- */

/* Creates account id (1..ENG_STORE_ACCOUNT_MAX bytes; the caller checks
 * the URL-safe alphabet).  An existing open account: *created = false,
 * nothing changes.  A closed (deleted) account is reopened with its
 * history and owed drops (its leftover was cleared by the delete):
 * *created = true.
 * Returns XU_OK, XU_EINVAL or XU_ESTORE. */
enum xu_code eng_store_account_create(struct eng_store *s, const char *id,
				      bool *created,
				      struct xu_err *err) XU_WARN_UNUSED;

/* True when id names an open account (false on a database error, which is
 * logged). */
bool eng_store_account_exists(struct eng_store *s, const char *id);

/* Closes account id and clears its sub-drop leftover in the same
 * statement (docs/api.md#accounts).  The row is kept (marked closed)
 * because outbox rows, owed drops and channels may still refer to it; a
 * closed account is unknown to the API until created again.  Returns
 * XU_OK, XU_ENOTFOUND (unknown or already closed) or XU_ESTORE. */
enum xu_code eng_store_account_delete(struct eng_store *s, const char *id,
				      struct xu_err *err) XU_WARN_UNUSED;

/* ---- settlement requests, inside a transaction ---- */

enum eng_settle_kind {
	ENG_SETTLE_NEW = 1,	 /* recorded now; drops added to owed */
	ENG_SETTLE_REPLAY = 2,	 /* same key, same input: stored reply */
	ENG_SETTLE_CONFLICT = 3, /* same key, other account/amount/scale */
};

struct eng_settle_result {
	enum eng_settle_kind kind;
	int status;		       /* NEW, REPLAY: the reply status */
	char body[ENG_STORE_BODY_MAX]; /* NEW, REPLAY: the reply body */
	size_t body_len;
	struct xl_drops drops;	      /* NEW: drops added to owed */
	struct eng_quantity leftover; /* NEW: the account's new leftover */
};

/* Applies a settlement request in one go: the idempotency key (global;
 * fingerprint = exact account, amount digits, scale) decides NEW, REPLAY
 * (stored status/body, last use refreshed to now) or CONFLICT (nothing
 * changes).  NEW adds the account's leftover, converts to drops rounding
 * down, keeps the remainder as the new leftover, adds the drops to the
 * account's owed total and stores the record with status 201 and body
 * = the canonical Quantity JSON of q.  A zero amount is recorded too.
 * Returns XU_OK (*out filled), XU_EINVAL (empty or too long key),
 * XU_ENOTFOUND (unknown or closed account), XU_ERANGE (the drops or the
 * owed total would exceed 10^17; nothing recorded), XU_ESTORE. */
enum xu_code eng_store_settle(struct eng_store *s, const char *account,
			      const char *idem_key,
			      const struct eng_quantity *q, int64_t now_unix,
			      struct eng_settle_result *out,
			      struct xu_err *err) XU_WARN_UNUSED;

/* Deletes idempotency records whose last use is older than ttl_s before
 * now_unix; *deleted (nullable) gets the count.  Runs in the open
 * transaction, or in its own when none is open. */
enum xu_code eng_store_idem_gc(struct eng_store *s, int64_t now_unix,
			       int64_t ttl_s, unsigned long *deleted,
			       struct xu_err *err) XU_WARN_UNUSED;

/* ---- owed drops and leftovers ---- */

/* The drops owed to account (settled by the connector, not yet paid).
 * Readable with or without an open transaction.  Returns XU_OK,
 * XU_ENOTFOUND (no such account, open or closed) or XU_ESTORE. */
enum xu_code eng_store_owed_get(struct eng_store *s, const char *account,
				struct xl_drops *drops,
				struct xu_err *err) XU_WARN_UNUSED;

/* Subtracts drops from account's owed total (inside a transaction), when
 * the channel logic has paid them.  Returns XU_OK, XU_ENOTFOUND,
 * XU_ERANGE (more than owed; nothing changes) or XU_ESTORE. */
enum xu_code eng_store_owed_sub(struct eng_store *s, const char *account,
				struct xl_drops drops,
				struct xu_err *err) XU_WARN_UNUSED;

/* Called for each account (open or closed) owed more than zero drops, in
 * id order; returns false to stop.  account is borrowed for the call.  The
 * callback must not write to the store (collect, then act). */
typedef bool (*eng_store_owed_fn)(void *arg, const char *account,
				  struct xl_drops owed);
/* Runs fn over the owed accounts.  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_store_owed_each(struct eng_store *s, eng_store_owed_fn fn,
				 void *arg, struct xu_err *err) XU_WARN_UNUSED;

/* An account as the operator sees it (struct eng_store_account_fn). */
struct eng_store_account {
	const char *id; /* borrowed for the call */
	bool closed;	/* deleted (kept for its history) */
	int64_t created_at;
	struct xl_drops owed;
};
/* Called for each account, open or closed, in id order; returns false to
 * stop.  The callback must not use the store. */
typedef bool (*eng_store_account_fn)(void *arg,
				     const struct eng_store_account *a);
/* Runs fn over every account.  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_store_account_each(struct eng_store *s,
				    eng_store_account_fn fn, void *arg,
				    struct xu_err *err) XU_WARN_UNUSED;

/* Called for each account with the unix time of its newest settlement
 * answered 201 still on record (idempotency records live 7 days after
 * their last use); returns false to stop.  account is borrowed for the
 * call; the callback must not use the store. */
typedef bool (*eng_store_last_settled_fn)(void *arg, const char *account,
					  int64_t at_unix);
/* Runs fn over the accounts that have such a settlement (one read of
 * every idempotency record: for a start, not for a loop).  Returns XU_OK
 * or XU_ESTORE. */
enum xu_code eng_store_last_settled_each(struct eng_store *s,
					 eng_store_last_settled_fn fn,
					 void *arg,
					 struct xu_err *err) XU_WARN_UNUSED;

/* The account's leftover (below one drop, at full precision).  Returns
 * XU_OK, XU_ENOTFOUND or XU_ESTORE. */
enum xu_code eng_store_leftover_get(struct eng_store *s, const char *account,
				    struct eng_quantity *out,
				    struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_STORE_H */
