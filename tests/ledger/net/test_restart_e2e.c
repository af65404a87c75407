/* kill -9 between submission and validation, then a restart: the
 * restarted program (tests/ledger/net/crashtest.c, on the same SQLite
 * journal) reconciles the journal against the ledger and never builds a
 * second transaction for the intent: the outcome carries the first hash,
 * and the account's Sequence moved by exactly one, also when the server
 * no longer has the ledger that holds it.  Against the ledger
 * stand-in without auto-close, so nothing validates until ledger_accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/util/log.h"
#include "tests/ledger/net/harness.h"
#include "tests/ledger/net/world.h"

#define CRASHTEST XRPSE_BINARY_DIR "/tests/ledger/net/rippled_crashtest"

struct child {
	pid_t pid;
	int fd;
};

static void spawn(struct child *c, char *const argv[])
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
}

/* Reads one line (up to cap) within timeout_ms; false on EOF/timeout. */
static bool read_line(struct child *c, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	long long deadline = th_now_ms() + timeout_ms;

	while (n + 1 < cap && th_now_ms() < deadline) {
		struct pollfd pfd = {c->fd, POLLIN, 0};
		char ch;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(c->fd, &ch, 1) != 1)
			return false;
		if (ch == '\n') {
			buf[n] = 0;
			return true;
		}
		buf[n++] = ch;
	}
	return false;
}

static int reap(struct child *c)
{
	int st = 0;

	close(c->fd);
	waitpid(c->pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint32_t account_seq(struct world *w)
{
	json_t *r = NULL;
	uint32_t seq = 0;

	assert_int_equal(
	    w_call(w,
		   json_pack("{s:s,s:s,s:s}", "command", "account_info",
			     "account", GENESIS_ADDR, "ledger_index",
			     "validated"),
		   &r),
	    XU_OK);
	assert_true(
	    xl_json_u32(json_object_get(xl_ws_result(r), "account_data"),
			"Sequence", &seq));
	json_decref(r);
	return seq;
}

static int journal_count(const char *db_path, const char *like,
			 const char *state)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM tx_journal "
					    "WHERE intent LIKE ? AND state = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void check_journal(const char *db_path, const char *intent,
			  const char *hash)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int rows = 0;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT hash, state FROM tx_journal "
			       "WHERE intent LIKE ?",
			       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, intent, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
				    hash);
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
				    "validated");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rows, 1);
}

static const char *const manual[] = {"--close-ms", "0", NULL};

enum restart_case {
	VALIDATED_WHILE_DOWN, /* the ledger closes while the program is dead */
	PENDING_AT_RESTART,   /* nothing closes until it is back */
	EXPIRED_WHILE_DOWN,   /* dropped, and its LastLedgerSequence passes */
	/* validated while down, then its ledger goes missing from the
	 * server's history and its LastLedgerSequence passes */
	APPLIED_IN_GAP,
};

static void run_case(enum restart_case rc)
{
	bool validated_while_down =
	    rc == VALIDATED_WHILE_DOWN || rc == APPLIED_IN_GAP;
	struct th_proc srv = {0, 0};
	struct w_opts o;
	struct world *obs;
	struct child c;
	char port[16], db[64], line[256], hash[80], intent[64];
	char kind[32], result[64], ohash[80];
	unsigned seq, oseq, builds;
	uint32_t before, in = 0;
	int fd;

	assert_true(th_start_ledger(&srv, manual)); /* no auto-close */
	snprintf(port, sizeof(port), "%d", srv.port);
	snprintf(db, sizeof(db), "/tmp/xrpse-crash-XXXXXX");
	fd = mkstemp(db);
	assert_true(fd >= 0);
	close(fd);
	snprintf(intent, sizeof(intent), "pay:crash:%d", (int)rc);
	memset(&o, 0, sizeof(o));
	o.port = srv.port;
	o.network_id = 1;
	obs = w_new(&o); /* observer: reads the ledger, closes ledgers */
	assert_true(w_ready(obs, 15000));
	before = account_seq(obs);
	if (rc == EXPIRED_WHILE_DOWN)
		assert_int_equal(
		    w_control(obs, "testnet_drop_next_tx",
			      json_pack("{s:i,s:b}", "count", 1, "sticky", 1)),
		    XU_OK);

	{
		char *argv[] = {CRASHTEST, port, db, "submit", intent, NULL};
		spawn(&c, argv);
	}
	assert_true(read_line(&c, line, sizeof(line), 20000));
	assert_int_equal(sscanf(line, "SUBMITTED %79s %u", hash, &seq), 2);
	kill(c.pid, SIGKILL);
	reap(&c);
	assert_int_equal(seq, before);

	if (validated_while_down) {
		json_t *r = NULL;
		assert_int_equal(w_control(obs, "ledger_accept", NULL), XU_OK);
		th_run_for(obs->ctx, 300);
		assert_int_equal(w_call(obs,
					json_pack("{s:s,s:s}", "command", "tx",
						  "transaction", hash),
					&r),
				 XU_OK);
		assert_true(json_is_true(
		    json_object_get(xl_ws_result(r), "validated")));
		assert_true(xl_json_u32(xl_ws_result(r), "ledger_index", &in));
		json_decref(r);
	}
	if (rc == EXPIRED_WHILE_DOWN || rc == APPLIED_IN_GAP) {
		for (int i = 0; i < 25; i++)
			assert_int_equal(w_control(obs, "ledger_accept", NULL),
					 XU_OK);
		th_run_for(obs->ctx, 200);
		assert_int_equal(account_seq(obs), before + (in ? 1 : 0));
	}
	if (rc == APPLIED_IN_GAP)
		assert_int_equal(w_control(obs, "testnet_history_gap",
					   json_pack("{s:i,s:i}", "min",
						     (int)in, "max", (int)in)),
				 XU_OK);

	{
		char *argv[] = {CRASHTEST, port,     db,  "resume",
				intent,	   "accept", NULL};
		spawn(&c, argv);
	}
	if (rc == APPLIED_IN_GAP) {
		char like[80];
		/* `tx` says txnNotFound without searched_all and the Sequence
		 * moved past it: unknown, so nothing is built or paid again.
		 * docs/risks.md#transaction-applied-twice-after-a-missing-tx */
		th_run_for(obs->ctx, 2500);
		assert_int_equal(account_seq(obs), before + 1);
		assert_int_equal(journal_count(db, intent, "submitted-pending"),
				 1);
		snprintf(like, sizeof(like), "%s#%%", intent);
		assert_int_equal(journal_count(db, like, "failed"), 0);
		/* Another server with the full history answers. */
		assert_int_equal(w_control(obs, "testnet_history_gap", NULL),
				 XU_OK);
	}
	assert_true(read_line(&c, line, sizeof(line), 60000));
	assert_int_equal(reap(&c), 0);
	assert_int_equal(sscanf(line, "OUTCOME %31s %63s %79s %u %u", kind,
				result, ohash, &oseq, &builds),
			 5);
	assert_string_equal(kind, "success");
	assert_string_equal(result, "tesSUCCESS");
	assert_int_equal(oseq, seq);
	if (rc == EXPIRED_WHILE_DOWN) {
		char like[80];
		/* Definitively failed: retired, then rebuilt once (same
		 * number: the dropped one never consumed it). */
		assert_string_not_equal(ohash, hash);
		assert_int_equal(builds, 1);
		check_journal(db, intent, ohash);
		snprintf(like, sizeof(like), "%s#%%", intent);
		assert_int_equal(journal_count(db, like, "failed"), 1);
	} else {
		assert_string_equal(ohash, hash); /* the first transaction's */
		assert_int_equal(builds, 0);	  /* nothing was built again */
		check_journal(db, intent, hash);
	}
	assert_int_equal(account_seq(obs), before + 1);

	w_free(obs);
	th_kill(&srv);
	unlink(db);
}

static void test_restart_validated_while_down(void **state)
{
	(void)state;
	run_case(VALIDATED_WHILE_DOWN);
}

static void test_restart_pending_at_restart(void **state)
{
	(void)state;
	run_case(PENDING_AT_RESTART);
}

static void test_restart_expired_while_down(void **state)
{
	(void)state;
	run_case(EXPIRED_WHILE_DOWN);
}

static void test_restart_applied_in_history_gap(void **state)
{
	(void)state;
	run_case(APPLIED_IN_GAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_restart_validated_while_down),
	    cmocka_unit_test(test_restart_pending_at_restart),
	    cmocka_unit_test(test_restart_expired_while_down),
	    cmocka_unit_test(test_restart_applied_in_history_gap),
	};
	if (!getenv("XRPSE_TEST_VERBOSE"))
		xu_log_set_level(XU_LOG_BROKEN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
