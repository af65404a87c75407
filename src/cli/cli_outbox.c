/* xrpse outbox retry ID [--new-key] --db PATH: the operator's unpark of a
 * parked call to the connector, with the daemon stopped (the store's lock
 * refuses a second process).  --new-key sends it under a new
 * Idempotency-Key: for a credit the connector did not book although it
 * keeps its key (a 409, or a credit parked unanswered), after checking
 * the connector's books
 * (docs/api.md#credits-and-the-connectors-answer-caches). */
#include "src/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/outbox/outbox.h"
#include "src/store/store.h"

static const char USAGE[] =
    "usage: xrpse outbox retry ID [--new-key] --db PATH\n"
    "  Sends the parked call ID to the connector again (the daemon\n"
    "  stopped); --new-key under a new Idempotency-Key, once the\n"
    "  connector's books show it was not applied.\n";

static int retry(int argc, char **argv)
{
	const char *db = NULL, *idtxt = NULL;
	bool new_key = false;
	struct eng_store *s;
	struct xu_err e = {0};
	char *end;
	long long id;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--new-key"))
			new_key = true;
		else if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[++i];
		else if (!idtxt && argv[i][0] != '-')
			idtxt = argv[i];
		else {
			fprintf(stderr, "xrpse outbox: bad argument '%s'\n%s",
				argv[i], USAGE);
			return ENG_EXIT_USAGE;
		}
	}
	if (!db || !idtxt) {
		fputs(USAGE, stderr);
		return ENG_EXIT_USAGE;
	}
	errno = 0;
	id = strtoll(idtxt, &end, 10);
	if (errno || *end || end == idtxt || id <= 0) {
		fprintf(stderr, "xrpse outbox: bad call id '%s'\n", idtxt);
		return ENG_EXIT_USAGE;
	}
	if (eng_store_open(&s, db, &e) != XU_OK) {
		fprintf(stderr, "xrpse outbox: %s\n", e.msg);
		return ENG_EXIT_FAIL;
	}
	rc = eng_outbox_unpark(s, id, new_key, &e) == XU_OK ? ENG_EXIT_OK
							    : ENG_EXIT_FAIL;
	if (rc == ENG_EXIT_OK)
		printf("call %lld pending again%s\n", id,
		       new_key ? ", under a new key" : "");
	else
		fprintf(stderr, "xrpse outbox: %s\n", e.msg);
	eng_store_close(s);
	return rc;
}

int eng_cli_outbox(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		fputs(USAGE, argc < 1 ? stderr : stdout);
		return argc < 1 ? ENG_EXIT_USAGE : ENG_EXIT_OK;
	}
	if (!strcmp(argv[0], "retry"))
		return retry(argc - 1, argv + 1);
	fprintf(stderr, "xrpse outbox: unknown command '%s'\n%s", argv[0],
		USAGE);
	return ENG_EXIT_USAGE;
}
