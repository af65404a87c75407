/* Benchmark of the store's settlement path: eng_store_settle() calls
 * grouped into transactions of B requests (group commit), each commit a
 * real fsync (WAL, synchronous=FULL).  Prints settlements per second and
 * the p50/p99 latency of one batch (apply + commit) for several B.
 *
 * Usage: bench_store [dir] [seconds-per-size]   (default: /tmp, 2 s) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	double secs = argc > 2 ? strtod(argv[2], NULL) : 2.0;
	char path[512];
	snprintf(path, sizeof(path), "%s/xrpse-bench-%ld.db", dir,
		 (long)getpid());
	struct eng_store *s;
	struct xu_err e;
	if (eng_store_open(&s, path, &e) != XU_OK) {
		fprintf(stderr, "open: %s\n", e.msg);
		return 1;
	}
	char acc[32][16];
	bool created;
	if (eng_store_begin(s, &e) != XU_OK)
		return 1;
	for (int i = 0; i < 32; i++) {
		snprintf(acc[i], sizeof(acc[i]), "acct-%d", i);
		if (eng_store_account_create(s, acc[i], &created, &e) != XU_OK)
			return 1;
	}
	if (eng_store_commit(s, &e) != XU_OK)
		return 1;

	static const int sizes[] = {1, 8, 32, 128, 1024};
	static double lat[200000];
	unsigned long key = 0;
	printf("store settle benchmark (%s; 2 shared cores, under load)\n",
	       path);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		int b = sizes[si];
		size_t nb = 0;
		unsigned long done = 0;
		double t0 = now_s();
		while (now_s() - t0 < secs && nb < 200000) {
			double t1 = now_s();
			if (eng_store_begin(s, &e) != XU_OK)
				goto fail;
			for (int i = 0; i < b; i++) {
				char k[40], digits[24];
				struct eng_quantity q;
				struct eng_settle_result r;
				snprintf(k, sizeof(k), "key-%lu", key++);
				snprintf(digits, sizeof(digits), "%lu",
					 1000 + key % 999983);
				if (eng_quantity_set(&q, digits, 9, &e) !=
					XU_OK ||
				    eng_store_settle(s, acc[key % 32], k, &q,
						     1700000000, &r,
						     &e) != XU_OK)
					goto fail;
			}
			if (eng_store_commit(s, &e) != XU_OK)
				goto fail;
			lat[nb++] = now_s() - t1;
			done += (unsigned long)b;
		}
		double el = now_s() - t0;
		qsort(lat, nb, sizeof(lat[0]), cmp_d);
		printf("batch %4d: %8.0f settlements/s, batch latency p50 "
		       "%.3f ms p99 %.3f ms (%zu commits)\n",
		       b, (double)done / el, lat[nb / 2] * 1e3,
		       lat[nb * 99 / 100] * 1e3, nb);
	}
	eng_store_close(s);
	char p2[600];
	unlink(path);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s.lock", path);
	unlink(p2);
	return 0;
fail:
	fprintf(stderr, "bench: %s\n", e.msg);
	return 1;
}
