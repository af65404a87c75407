/* The transaction journal over the store's SQLite handle: implements the
 * ledger/net/journal.h interface on the tx_journal table that the store's
 * first migration creates:
 *
 *   tx_journal(id INTEGER PRIMARY KEY, account TEXT, sequence INTEGER,
 *              tx_type TEXT, intent TEXT UNIQUE, hash TEXT, blob TEXT,
 *              last_ledger_seq INTEGER, state TEXT, result TEXT,
 *              created_at INTEGER, updated_at INTEGER)
 *
 * insert() is the write that must be durable before a transaction goes to
 * rippled, so it runs as its own committed transaction and refuses with
 * XU_EBUSY while the caller has a store transaction open (the queue then
 * tries again a moment later).  The other writes use a savepoint, so they
 * also work inside an open transaction (a lost update there is redone by
 * the reconciliation at start).  Runs on the loop thread that owns the
 * store. */
#ifndef XRPSE_SRC_TXJOURNAL_H
#define XRPSE_SRC_TXJOURNAL_H

#include "ledger/net/journal.h"
#include "src/util/err.h"

struct eng_store;
struct sqlite3; /* opaque outside src/store (src/store/db.h) */

struct eng_txjournal {
	struct sqlite3 *db; /* borrowed from the store */
};

/* Binds tj to the database of s (borrowed; must outlive tj) and checks
 * that the tx_journal table exists.  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_txjournal_init(struct eng_txjournal *tj, struct eng_store *s,
				struct xu_err *err) XU_WARN_UNUSED;

/* The interface for xl_submit_new(); ctx points at tj (borrowed). */
struct xl_journal eng_txjournal_ops(struct eng_txjournal *tj);

/* Counts rows by state (for /health and tests); -1 on error. */
long eng_txjournal_count(struct eng_txjournal *tj, enum xl_jstate st);

#endif /* XRPSE_SRC_TXJOURNAL_H */
