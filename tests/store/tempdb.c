/* A store on a fresh temporary directory, for unit tests (see tempdb.h). */
#include "tests/store/tempdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

char tdb_dir[64];
char tdb_path[128];

int tdb_setup(const char *name)
{
	snprintf(tdb_dir, sizeof(tdb_dir), "/tmp/xrpse-%s-XXXXXX", name);
	if (!mkdtemp(tdb_dir))
		return -1;
	snprintf(tdb_path, sizeof(tdb_path), "%s/xrpse.db", tdb_dir);
	return 0;
}

int tdb_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdb_dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct eng_store *tdb_open(void)
{
	struct eng_store *s = NULL;
	struct xu_err e;

	if (eng_store_open(&s, tdb_path, &e) != XU_OK)
		fail_msg("open: %s", e.msg);
	return s;
}

void tdb_begin(struct eng_store *s)
{
	struct xu_err e;

	if (eng_store_begin(s, &e) != XU_OK)
		fail_msg("begin: %s", e.msg);
}

void tdb_commit(struct eng_store *s)
{
	struct xu_err e;

	if (eng_store_commit(s, &e) != XU_OK)
		fail_msg("commit: %s", e.msg);
}
