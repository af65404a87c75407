/* The crash-test program of test_restart_e2e: a minimal "engine" (client +
 * queue + SQLite journal at a given path) that the test kills with SIGKILL
 * between submission and validation, then runs again.
 *
 *   rippled_crashtest PORT DB submit INTENT
 *       enqueue a 30 XRP Payment from genesis; once the journal row exists
 *       and rippled answered the submit, print "SUBMITTED <hash> <seq>"
 *       and keep running (until killed)
 *   rippled_crashtest PORT DB resume INTENT [accept]
 *       enqueue the same intent again (optionally closing a ledger with
 *       ledger_accept every 150 ms) and print
 *       "OUTCOME <kind> <result> <hash> <seq> <builds>" when it ends */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"
#include "tests/ledger/net/harness.h"
#include "tests/ledger/net/world.h"

struct sub_ctx {
	struct world *w;
};

static bool submitted(void *arg)
{
	struct world *w = arg;
	struct xl_submit_stats st;

	xl_submit_stats(w->s, &st);
	/* submitted counts sends; inflight stays 1 until validation, and
	 * the reply has arrived once the request list is idle again. */
	return st.submitted >= 1 && st.inflight == 1 && st.queued == 0;
}

static void accept_cb(void *arg, enum xu_code code, json_t *msg,
		      const struct xu_err *err)
{
	(void)arg;
	(void)code;
	(void)msg;
	(void)err;
}

int main(int argc, char **argv)
{
	struct w_opts o;
	struct world *w;
	struct w_build b;
	struct xu_err err;
	const char *intent;

	if (argc < 5) {
		fprintf(stderr,
			"usage: %s PORT DB submit|resume INTENT "
			"[accept]\n",
			argv[0]);
		return 2;
	}
	xu_log_set_level(getenv("XRPSE_TEST_VERBOSE") ? XU_LOG_DEBUG
						      : XU_LOG_UNUSUAL);
	intent = argv[4];
	memset(&o, 0, sizeof(o));
	o.port = (int)strtol(argv[1], NULL, 10);
	o.network_id = 1;
	o.db_path = argv[2];
	w = w_new(&o);
	if (!w_ready(w, 15000)) {
		fprintf(stderr, "not ready\n");
		return 1;
	}
	memset(&b, 0, sizeof(b));
	b.kind = W_PAYMENT;
	if (cr_address_decode(&b.dst, DEST_ADDR, &err) != XU_OK)
		return 1;
	b.amount = 30000000;
	if (xl_submit_enqueue(w->s, intent, false, w_build_fn, &b, &err) !=
	    XU_OK) {
		fprintf(stderr, "enqueue: %s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[3], "submit") == 0) {
		struct xl_jentry je;
		if (!th_run_until(w->ctx, submitted, w, 15000))
			return 1;
		th_run_for(w->ctx, 300); /* the submit reply */
		if (w->j.get(w->j.ctx, intent, &je, &err) != XU_OK)
			return 1;
		printf("SUBMITTED %s %u\n", je.hash, je.sequence);
		fflush(stdout);
		for (;;)
			th_run_for(w->ctx, 1000);
	}
	for (int i = 0; i < 200 && w_count(w, intent) == 0; i++) {
		if (argc > 5 && strcmp(argv[5], "accept") == 0 &&
		    xl_ws_request(
			xl_client_ws(w->c),
			json_pack("{s:s}", "command", "ledger_accept"), 0,
			accept_cb, NULL, NULL) != XU_OK)
			fprintf(stderr, "ledger_accept not sent\n");
		th_run_for(w->ctx, 150);
	}
	if (w_count(w, intent) == 0) {
		fprintf(stderr, "no outcome\n");
		return 1;
	}
	printf("OUTCOME %s %s %s %u %u\n", xl_outcome_kind_name(w->out[0].kind),
	       w->out[0].result, w->out[0].hash[0] ? w->out[0].hash : "-",
	       w->out[0].sequence, b.builds);
	fflush(stdout);
	w_free(w);
	return 0;
}
