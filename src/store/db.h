/* Inside the store: the SQLite handle of an open store, its statement
 * cache and its error helper, for the modules of src/store that own
 * tables (store.c, accounts.c, chanstore.c, outbox_rows.c, txjournal.c, walckpt.c)
 * and for tests.  Everything else goes through the typed functions of
 * those modules and never sees SQLite: cmake/check-layers.sh fails a
 * file outside src/store that uses it.  Loop thread only. */
#ifndef XRPSE_SRC_STORE_DB_H
#define XRPSE_SRC_STORE_DB_H

#include <sqlite3.h>

#include "src/util/err.h"

struct eng_store;
struct eng_txjournal;

/* The SQLite handle (borrowed, valid until eng_store_close), for modules
 * that own tables created by the migrations. */
sqlite3 *eng_store_db(struct eng_store *s);

/* A cached prepared statement for sql, which must be a string literal (or
 * otherwise live as long as the store): the cache is keyed by the
 * pointer, so each call site prepares once.  The statement comes back
 * reset with its bindings cleared; the caller steps it and need not reset
 * it (but a read left unreset keeps its snapshot open until the next
 * prepare of the same statement).  Returns XU_OK and *stmt (borrowed),
 * XU_ENOMEM or XU_ESTORE. */
enum xu_code eng_store_prepare(struct eng_store *s, const char *sql,
			       sqlite3_stmt **stmt,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Steps st (from eng_store_prepare) to its end: XU_OK when it ran to
 * SQLITE_DONE, else XU_ESTORE "<what>: <SQLite's message>".  The statement
 * is reset. */
enum xu_code eng_store_step_done(struct eng_store *s, sqlite3_stmt *st,
				 const char *what,
				 struct xu_err *err) XU_WARN_UNUSED;

/* Fills err with XU_ESTORE, "<what>: <SQLite's message>" and returns
 * XU_ESTORE. */
enum xu_code eng_store_fail(struct eng_store *s, struct xu_err *err,
			    const char *what);

/* eng_txjournal_init (src/store/txjournal.h) over a bare connection db
 * (borrowed; must outlive tj), for tests that drive the journal without
 * a store.  Returns XU_OK or XU_ESTORE (no tx_journal table). */
enum xu_code eng_txjournal_init_db(struct eng_txjournal *tj, sqlite3 *db,
				   struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_STORE_DB_H */
