/* Benchmark of the rippled client against the local ledger stand-in:
 *  1. transactions submitted AND validated per second through the
 *     submission queue (signing, journal write with synchronous=FULL,
 *     submit, validation by stream), for several in-flight limits;
 *  2. request round-trip latency of the client (server_info and ping,
 *     p50/p99), sequential requests on one connection.
 * Usage: bench_submit [N_TX (default 200)] [CLOSE_MS (default 100)]
 * Prints figures; asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/util/log.h"
#include "tests/ledger/net/harness.h"
#include "tests/ledger/net/world.h"

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

struct done_ctx {
	struct world *w;
	int n;
};

static bool done(void *arg)
{
	struct done_ctx *d = arg;

	return d->w->nout >= d->n;
}

static void run_tx(int port, int n, unsigned inflight, int close_ms)
{
	struct w_opts o;
	struct world *w;
	struct w_build *b = calloc((size_t)n, sizeof(*b));
	struct done_ctx d;
	struct xu_err err;
	char intent[64];
	long long t0, t1;
	int ok = 0;

	memset(&o, 0, sizeof(o));
	o.port = port;
	o.network_id = 1;
	o.max_inflight = inflight;
	w = w_new(&o);
	if (!w_ready(w, 15000)) {
		fprintf(stderr, "not ready\n");
		exit(1);
	}
	t0 = th_now_ms();
	for (int i = 0; i < n; i++) {
		b[i].kind = W_PAYMENT;
		if (cr_address_decode(&b[i].dst, DEST_ADDR, &err) != XU_OK)
			exit(1);
		b[i].amount = 2000000;
		snprintf(intent, sizeof(intent), "bench:%u:%d:%lld", inflight,
			 i, t0);
		w_enqueue(w, intent, false, &b[i]);
	}
	d.w = w;
	d.n = n;
	th_run_until(w->ctx, done, &d, 600000);
	t1 = th_now_ms();
	for (int i = 0; i < w->nout; i++)
		ok += w->out[i].kind == XL_OUT_SUCCESS;
	printf("queue  max_inflight=%-3u close=%dms: %d tx validated "
	       "(%d tesSUCCESS) in %.2f s = %.1f tx/s\n",
	       inflight, close_ms, w->nout, ok, (double)(t1 - t0) / 1000.0,
	       (double)w->nout * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1));
	w_free(w);
	free(b);
}

static void run_latency(int port, const char *cmd, int n)
{
	struct w_opts o;
	struct world *w;
	long long *lat = calloc((size_t)n, sizeof(*lat));

	memset(&o, 0, sizeof(o));
	o.port = port;
	o.network_id = 1;
	w = w_new(&o);
	if (!w_ready(w, 15000))
		exit(1);
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (w_call(w, json_pack("{s:s}", "command", cmd), NULL) !=
		    XU_OK) {
			fprintf(stderr, "%s failed\n", cmd);
			exit(1);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[i] = (b.tv_sec - a.tv_sec) * 1000000LL +
			 (b.tv_nsec - a.tv_nsec) / 1000;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
	printf("rtt    %-11s n=%d: p50 %lld us, p99 %lld us, max %lld us\n",
	       cmd, n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
	w_free(w);
	free(lat);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 200;
	int close_ms = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 100;
	struct th_proc srv = {0, 0};
	char cms[16];
	const char *extra[] = {"--close-ms", cms, NULL};
	const unsigned inflights[] = {1, 8, 32};

	xu_log_set_level(XU_LOG_BROKEN);
	snprintf(cms, sizeof(cms), "%d", close_ms);
	if (!th_start_ledger(&srv, extra)) {
		fprintf(stderr, "cannot start testnet/ledger\n");
		return 1;
	}
	printf("bench_submit: local ledger stand-in (node), loopback, "
	       "2 shared cores under load from other work\n");
	for (size_t i = 0; i < sizeof(inflights) / sizeof(inflights[0]); i++)
		run_tx(srv.port, inflights[i] == 1 ? n / 4 : n, inflights[i],
		       close_ms);
	run_latency(srv.port, "server_info", 1000);
	run_latency(srv.port, "ping", 1000);
	th_kill(&srv);
	return 0;
}
