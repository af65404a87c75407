/* xrpse outbox: the calls to the connector.
 *
 *   xrpse outbox [--parked]           the rows, from the running daemon
 *   xrpse outbox retry ID [--new-key] a parked call sent again
 *   xrpse outbox retry --all-parked   every parked call sent again
 *
 * retry goes through the running daemon's admin socket (cli_admin.c:
 * --rpc-socket or XRPSE_RPC_SOCKET); with --db instead, it opens the store
 * itself, the daemon stopped (the store's lock refuses a second
 * process).
 * --new-key sends it under a new Idempotency-Key: for a credit the
 * connector did not book although it keeps its key (a 409, or a credit
 * parked unanswered), after checking the connector's books
 * (docs/api.md#credits-and-the-connectors-answer-caches). */
#include "src/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/outbox/outbox.h"
#include "src/store/store.h"

static const char USAGE[] =
    "usage: xrpse outbox [--parked] [-H] [--rpc-socket PATH | --db PATH]\n"
    "       xrpse outbox retry ID [--new-key] [--rpc-socket PATH | --db "
    "PATH]\n"
    "       xrpse outbox retry --all-parked [--rpc-socket PATH | --db "
    "PATH]\n"
    "  Lists the calls to the connector (the newest 1000; --parked: those\n"
    "  waiting for the operator), or sends the parked call ID again;\n"
    "  --new-key under a new Idempotency-Key, once the connector's books\n"
    "  show it was not applied.  retry with --db opens the database\n"
    "  itself: the daemon stopped.  --all-parked sends every parked call\n"
    "  again through the running daemon, each under its own key (a new\n"
    "  key is given one call at a time, after checking the books).\n"
    "exit status: 0 done, 1 refused, 2 usage, 3 no daemon\n";

/* The daemon stopped: the store itself. */
static int retry_stopped(const char *db, long long id, bool new_key)
{
	struct eng_store *s;
	struct xu_err e = {0};
	int rc;

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

/* Every parked call, through the running daemon. */
static int retry_all(const struct eng_admin_opts *o)
{
	json_t *res;
	int rc = eng_cli_admin_call(
	    "outbox", o,
	    json_pack("{s:s,s:b}", "cmd", "outbox_retry", "all_parked", 1),
	    &res);

	if (rc != ENG_EXIT_OK)
		return rc;
	if (!o->human)
		return eng_cli_print_json("outbox", res, ENG_EXIT_OK);
	printf("%zu parked calls pending again\n",
	       json_array_size(json_object_get(res, "ids")));
	json_decref(res);
	return ENG_EXIT_OK;
}

static int retry(int argc, char **argv)
{
	struct eng_admin_opts o;
	json_t *res;
	char *end;
	long long id;
	int rc = eng_cli_admin_opts(&o, "outbox", argc, argv);

	if (rc == ENG_EXIT_OK && o.all_parked && !o.npos && !o.new_key &&
	    !o.parked && !o.force && !o.account)
		return retry_all(&o);
	if (rc != ENG_EXIT_OK || o.npos != 1 || o.parked || o.all_parked ||
	    o.force || o.account) {
		fputs(USAGE, stderr);
		return ENG_EXIT_USAGE;
	}
	errno = 0;
	id = strtoll(o.pos[0], &end, 10);
	if (errno || *end || end == o.pos[0] || id <= 0) {
		fprintf(stderr, "xrpse outbox: bad call id '%s'\n", o.pos[0]);
		return ENG_EXIT_USAGE;
	}
	/* --db alone: the stopped form (a running daemon holds the store's
	 * lock: then say where it answers). */
	if (o.db && o.socket == o.path) {
		rc = retry_stopped(o.db, id, o.new_key);
		if (rc != ENG_EXIT_OK && eng_cli_admin_answers(o.socket))
			fprintf(stderr,
				"xrpse outbox: the daemon runs: retry "
				"through it with --rpc-socket %s\n",
				o.socket);
		return rc;
	}
	rc = eng_cli_admin_call("outbox", &o,
				json_pack("{s:s,s:I,s:b}", "cmd",
					  "outbox_retry", "id", (json_int_t)id,
					  "new_key", o.new_key),
				&res);
	if (rc != ENG_EXIT_OK)
		return rc;
	if (!o.human)
		return eng_cli_print_json("outbox", res, ENG_EXIT_OK);
	json_decref(res);
	printf("call %lld pending again%s\n", id,
	       o.new_key ? ", under a new key" : "");
	return ENG_EXIT_OK;
}

int eng_cli_outbox(int argc, char **argv)
{
	struct eng_admin_opts o;

	if (argc >= 1 && (!strcmp(argv[0], "--help") ||
			  !strcmp(argv[0], "-h") || !strcmp(argv[0], "help"))) {
		fputs(USAGE, stdout);
		return ENG_EXIT_OK;
	}
	if (argc >= 1 && !strcmp(argv[0], "retry"))
		return retry(argc - 1, argv + 1);
	if (eng_cli_admin_opts(&o, "outbox", argc, argv) != ENG_EXIT_OK ||
	    o.npos || o.new_key || o.all_parked || o.force || o.account) {
		if (o.npos)
			fprintf(stderr, "xrpse outbox: unknown command '%s'\n",
				o.pos[0]);
		fputs(USAGE, stderr);
		return ENG_EXIT_USAGE;
	}
	if (o.help) {
		fputs(USAGE, stdout);
		return ENG_EXIT_OK;
	}
	return eng_cli_outbox_list(&o);
}
