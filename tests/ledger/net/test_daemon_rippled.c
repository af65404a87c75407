/* The daemon's rippled wiring, black-box: `xrpse run` against the ledger
 * stand-in.  With the stand-in's network id the daemon reaches READY and
 * /health shows the client's state, validated ledger and queue; with
 * another network id it refuses to run (exits with status 1, saying so). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/ledger/net/harness.h"

#define XRPSE XRPSE_BINARY_DIR "/xrpse"
#define GENESIS_SEED "snoPBrXtMeMyMHUVTgbuqAfg1SUTb"

struct daemon {
	pid_t pid;
	int port;
	char dir[64], db[96], seed[96], log[96];
};

static void daemon_start(struct daemon *d, int ledger_port,
			 const char *network_id)
{
	char listen[32], rippled[64];
	FILE *f;

	snprintf(d->dir, sizeof(d->dir), "/tmp/xrpse-drt-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->db, sizeof(d->db), "%s/xrpse.db", d->dir);
	snprintf(d->seed, sizeof(d->seed), "%s/seed", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	f = fopen(d->seed, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", GENESIS_SEED);
	fclose(f);
	chmod(d->seed, 0600);
	d->port = th_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", d->port);
	snprintf(rippled, sizeof(rippled), "ws://127.0.0.1:%d", ledger_port);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(XRPSE, XRPSE, "run", "--listen", listen,
		      "--connector-url", "http://127.0.0.1:9", "--rippled-url",
		      rippled, "--seed-file", d->seed, "--db", d->db,
		      "--network-id", network_id, (char *)NULL);
		_exit(127);
	}
}

/* Waits up to ms for the daemon to exit; its exit status or -1. */
static int daemon_wait(struct daemon *d, int ms)
{
	long long end = th_now_ms() + ms;
	int st;

	while (th_now_ms() < end) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	}
	return -1;
}

static void daemon_cleanup(struct daemon *d)
{
	char p[128];

	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	unlink(d->seed);
	unlink(d->log);
	unlink(d->db);
	snprintf(p, sizeof(p), "%s-wal", d->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", d->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", d->db);
	unlink(p);
	rmdir(d->dir);
}

/* GET /health; returns the parsed body (owned) or NULL. */
static json_t *health(int port)
{
	struct sockaddr_in a;
	char buf[16384];
	const char *req = "GET /health HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n";
	size_t n = 0;
	ssize_t r;
	char *body;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return NULL;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return NULL;
	}
	while (n + 1 < sizeof(buf) &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	body = strstr(buf, "\r\n\r\n");
	return body ? json_loads(body + 4, 0, NULL) : NULL;
}

static const char *rippled_status(json_t *h)
{
	json_t *s = json_object_get(json_object_get(h, "rippled"), "status");

	return json_is_string(s) ? json_string_value(s) : "";
}

static void test_daemon_ready_and_health(void **state)
{
	struct th_proc srv = {0, 0};
	const char *const extra[] = {"--close-ms", "100", NULL};
	struct daemon d;
	json_t *h = NULL, *r;
	long long end;

	(void)state;
	assert_true(th_start_ledger(&srv, extra));
	memset(&d, 0, sizeof(d));
	daemon_start(&d, srv.port, "1");
	end = th_now_ms() + 20000;
	while (th_now_ms() < end) {
		json_decref(h);
		h = health(d.port);
		if (h && strcmp(rippled_status(h), "ready") == 0)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	assert_non_null(h);
	assert_string_equal(rippled_status(h), "ready");
	r = json_object_get(h, "rippled");
	assert_true(json_is_true(json_object_get(r, "connected")));
	assert_true(
	    json_integer_value(json_object_get(r, "validated_ledger")) >= 2);
	assert_int_equal(json_integer_value(json_object_get(r, "network_id")),
			 1);
	assert_true(json_is_true(
	    json_object_get(json_object_get(r, "queue"), "reconciled")));
	json_decref(h);
	kill(d.pid, SIGTERM);
	assert_int_equal(daemon_wait(&d, 10000), 0);
	daemon_cleanup(&d);
	th_kill(&srv);
}

static void test_daemon_refuses_other_network(void **state)
{
	struct th_proc srv = {0, 0};
	const char *const extra[] = {"--close-ms", "100", NULL};
	struct daemon d;
	char line[512];
	bool said = false;
	FILE *f;

	(void)state;
	assert_true(th_start_ledger(&srv, extra));
	memset(&d, 0, sizeof(d));
	daemon_start(&d, srv.port, "0"); /* mainnet expected */
	assert_int_equal(daemon_wait(&d, 15000), 1);
	f = fopen(d.log, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "refusing to run") &&
		    strstr(line, "network id 1"))
			said = true;
	fclose(f);
	assert_true(said);
	daemon_cleanup(&d);
	th_kill(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemon_ready_and_health),
	    cmocka_unit_test(test_daemon_refuses_other_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
