/* Shared helpers of the rippled client tests: start and kill a node child
 * process (the ledger stand-in or the mock) on a free loopback port, and
 * run the lws loop until a condition holds or a deadline passes. */
#ifndef XRPSE_TESTS_RIPPLED_HARNESS_H
#define XRPSE_TESTS_RIPPLED_HARNESS_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <sys/types.h>

struct th_proc {
	pid_t pid;
	int port;
};

/* A port that was free a moment ago on 127.0.0.1. */
int th_free_port(void);
/* Starts argv (argv[0] looked up in PATH; NULL-terminated) with stdout
 * and stderr appended to /tmp/xrpse-<name>.log, then waits up to 15 s for
 * p->port to accept connections.  Returns false on failure (killed). */
bool th_spawn(struct th_proc *p, const char *name, char *const argv[]);
/* Starts the ledger stand-in testnet/ledger/server.js on a free port with
 * extra arguments (NULL-terminated, may be NULL). */
bool th_start_ledger(struct th_proc *p, const char *const extra[]);
/* SIGKILL and reap; no-op when not running. */
void th_kill(struct th_proc *p);

/* Runs lws_service until cond(arg) is true or timeout_ms passed; returns
 * the last value of cond. */
bool th_run_until(struct lws_context *ctx, bool (*cond)(void *arg), void *arg,
		  int timeout_ms);
/* Runs the loop for ms milliseconds. */
void th_run_for(struct lws_context *ctx, int ms);

/* Milliseconds on the monotonic clock. */
long long th_now_ms(void);

#endif
