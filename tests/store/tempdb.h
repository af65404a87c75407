/* A store on a fresh temporary directory, for the unit tests of the store
 * and of what is built on it (tests/store, tests/paychan): tdb_setup makes
 * the directory, tdb_path names the database file in it, tdb_teardown
 * removes it all.  The open/begin/commit helpers fail the test (cmocka) on
 * any error. */
#ifndef XRPSE_TESTS_TEMPDB_H
#define XRPSE_TESTS_TEMPDB_H

#include "src/store/store.h"

extern char tdb_dir[64];   /* the temporary directory */
extern char tdb_path[128]; /* tdb_dir/xrpse.db */

/* Makes /tmp/xrpse-<name>-XXXXXX; returns 0, or -1 (cmocka setup). */
int tdb_setup(const char *name);
/* Removes the directory; returns 0, or -1 (cmocka teardown). */
int tdb_teardown(void);

/* Opens tdb_path (the caller closes it); fails the test on error. */
struct eng_store *tdb_open(void);
/* Begins / commits a transaction; fails the test on error. */
void tdb_begin(struct eng_store *s);
void tdb_commit(struct eng_store *s);

#endif /* XRPSE_TESTS_TEMPDB_H */
