/* Test helpers (see harness.h). */
#include "tests/ledger/net/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int th_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

bool th_spawn(struct th_proc *p, const char *name, char *const argv[])
{
	char log[256];
	long long deadline;

	snprintf(log, sizeof(log), "/tmp/xrpse-%s.log", name);
	p->pid = fork();
	if (p->pid < 0)
		return false;
	if (p->pid == 0) {
		int fd;
		/* Dies with the test, even when an assertion aborts it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	deadline = th_now_ms() + 15000;
	while (th_now_ms() < deadline) {
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = 0;
			fprintf(stderr, "%s exited early; see %s\n", argv[0],
				log);
			return false;
		}
		if (port_open(p->port))
			return true;
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	}
	th_kill(p);
	return false;
}

bool th_start_ledger(struct th_proc *p, const char *const extra[])
{
	char script[512], port[16];
	char *argv[32];
	int n = 0;

	snprintf(script, sizeof(script), "%s/testnet/ledger/server.js",
		 XRPSE_SOURCE_DIR);
	p->port = th_free_port();
	snprintf(port, sizeof(port), "%d", p->port);
	argv[n++] = "node";
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = port;
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return th_spawn(p, "ledger", argv);
}

void th_kill(struct th_proc *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

struct tick {
	lws_sorted_usec_list_t sul;
	struct lws_context *ctx;
};

static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct tick *t = (struct tick *)(void *)sul;

	lws_sul_schedule(t->ctx, 0, &t->sul, tick_cb, 20 * LWS_US_PER_MS);
}

bool th_run_until(struct lws_context *ctx, bool (*cond)(void *arg), void *arg,
		  int timeout_ms)
{
	struct tick t;
	long long deadline = th_now_ms() + timeout_ms;
	bool ok = cond ? cond(arg) : false;

	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	lws_sul_schedule(ctx, 0, &t.sul, tick_cb, 20 * LWS_US_PER_MS);
	while (!ok && th_now_ms() < deadline) {
		lws_service(ctx, 0);
		ok = cond ? cond(arg) : false;
	}
	lws_sul_cancel(&t.sul);
	return ok;
}

void th_run_for(struct lws_context *ctx, int ms)
{
	th_run_until(ctx, NULL, NULL, ms);
}
