/* Benchmark of the periodic tick's reads at many channels: N outgoing and
 * N incoming records (default 10,000 each), all quiet (their due times to
 * come, as the tick leaves them).  Prints the CPU time of one 1 Hz tick's
 * reads before the due index (every outgoing and live incoming record,
 * eng_chan_out_all + eng_chan_in_live) and with it (eng_chan_out_due +
 * eng_chan_in_due: none due), and of the ledger polls' store walk per
 * second, all at once every 60 s before and in pages of its share per
 * tick now (eng_chan_out_page, eng_chan_in_live_page).  As % of a core at
 * one tick a second.  A benchmark, not a test: nothing is asserted.
 *
 * Usage: bench_due [dir] [N]   (default: /tmp, 10000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/store/chanstore.h"
#include "src/store/db.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, const struct xu_err *e)
{
	fprintf(stderr, "bench_due: %s: %s\n", what, e->msg);
	exit(1);
}

static void seed(struct eng_store *s, size_t n)
{
	struct xu_err e;

	if (eng_store_begin(s, &e) != XU_OK)
		fail("begin", &e);
	for (size_t i = 0; i < n; i++) {
		struct eng_chan_out o;
		struct eng_chan_in r;
		struct cr_account_id a, b;
		uint8_t id[CR_CHANNEL_ID_BYTES];

		memset(&a, 1, sizeof(a));
		memset(&b, 2, sizeof(b));
		memset(id, 0, sizeof(id));
		memcpy(id, &i, sizeof(i));
		memset(&o, 0, sizeof(o));
		snprintf(o.account, sizeof(o.account), "peer-%zu", i);
		pc_out_init(&o.ch, &a, &b);
		o.ch.state = PC_OUT_OPEN;
		o.ch.has_id = true;
		memcpy(o.ch.id, id, sizeof(id));
		id[31] = 1;
		memset(&r, 0, sizeof(r));
		snprintf(r.account, sizeof(r.account), "peer-%zu", i);
		pc_in_init(&r.ch, &a, &b, id);
		r.ch.state = PC_IN_OPEN;
		if (eng_chan_out_put(s, &o, &e) != XU_OK ||
		    eng_chan_in_put(s, &r, &e) != XU_OK)
			fail("put", &e);
	}
	if (eng_store_commit(s, &e) != XU_OK)
		fail("commit", &e);
	/* Quiet: the tick set every due time an hour ahead. */
	if (sqlite3_exec(eng_store_db(s),
			 "UPDATE pc_out SET due_ms = 9000000000000;"
			 "UPDATE pc_in SET due_ms = 9000000000000;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_due: due times\n");
		exit(1);
	}
}

/* The store walk of one poll period, in pages of `page` records. */
static size_t walk(struct eng_store *s, size_t page)
{
	struct xu_err e;
	char acct[ENG_STORE_ACCOUNT_MAX + 1] = "";
	uint8_t id[CR_CHANNEL_ID_BYTES];
	bool has_id = false;
	size_t total = 0, n;

	do {
		struct eng_chan_out *v;

		if (eng_chan_out_page(s, acct, page, &v, &n, &e) != XU_OK)
			fail("page", &e);
		if (n)
			snprintf(acct, sizeof(acct), "%s", v[n - 1].account);
		free(v);
		total += n;
	} while (n == page);
	do {
		struct eng_chan_in *v;

		if (eng_chan_in_live_page(s, has_id ? id : NULL, page, &v, &n,
					  &e) != XU_OK)
			fail("page", &e);
		if (n) {
			memcpy(id, v[n - 1].ch.id, sizeof(id));
			has_id = true;
		}
		free(v);
		total += n;
	} while (n == page);
	return total;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	const int reps = 20;
	char path[512];
	struct eng_store *s;
	struct xu_err e;
	double t0, old_tick, new_tick, old_poll, new_poll;
	size_t on, in, share;

	snprintf(path, sizeof(path), "%s/xrpse-bench-due-%ld.db", dir,
		 (long)getpid());
	if (eng_store_open(&s, path, &e) != XU_OK)
		fail("open", &e);
	seed(s, n);

	t0 = cpu_s();
	for (int i = 0; i < reps; i++) {
		struct eng_chan_out *ov;
		struct eng_chan_in *iv;

		if (eng_chan_out_all(s, &ov, &on, &e) != XU_OK ||
		    eng_chan_in_live(s, &iv, &in, &e) != XU_OK)
			fail("all", &e);
		free(ov);
		free(iv);
	}
	old_tick = (cpu_s() - t0) / reps;

	t0 = cpu_s();
	for (int i = 0; i < reps * 100; i++) {
		struct eng_chan_out *ov;
		struct eng_chan_in *iv;
		size_t a, b;

		if (eng_chan_out_due(s, 1000, &ov, &a, &e) != XU_OK ||
		    eng_chan_in_due(s, 1000, &iv, &b, &e) != XU_OK)
			fail("due", &e);
		free(ov);
		free(iv);
	}
	new_tick = (cpu_s() - t0) / (reps * 100);

	/* Polls: one whole read every 60 s before; pages of the per-second
	 * share (2n / 60) now, the same records over the period. */
	t0 = cpu_s();
	for (int i = 0; i < reps; i++)
		(void)walk(s, 256);
	old_poll = (cpu_s() - t0) / reps / 60;
	share = (2 * n + 59) / 60;
	t0 = cpu_s();
	for (int i = 0; i < reps; i++)
		(void)walk(s, share);
	new_poll = (cpu_s() - t0) / reps / 60;

	printf("tick reads at %zu outgoing + %zu incoming quiet records "
	       "(CPU per second at 1 Hz):\n",
	       on, in);
	printf("  before (every record each tick): %.2f ms/s = %.2f %% of a "
	       "core\n",
	       old_tick * 1e3, old_tick * 100);
	printf("  due index (none due):            %.4f ms/s = %.4f %% of a "
	       "core\n",
	       new_tick * 1e3, new_tick * 100);
	printf("poll walk, store side, per second: all every 60 s %.3f ms, "
	       "in pages of %zu a second %.3f ms\n",
	       old_poll * 1e3, share, new_poll * 1e3);
	eng_store_close(s);
	unlink(path);
	return 0;
}
