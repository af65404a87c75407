/* Latency histograms of the stages of a settlement (src/paychan/
 * latency.c), shown by /metrics as Prometheus histograms: buckets fine
 * enough for milliseconds, from 0.5 ms to 1 s.  Only counts: no clock,
 * no allocation. */
#ifndef XRPSE_SRC_UTIL_HIST_H
#define XRPSE_SRC_UTIL_HIST_H

#include <stdint.h>

#define XU_HIST_N 16
/* The buckets' upper bounds in microseconds, ascending. */
extern const uint64_t xu_hist_bounds_us[XU_HIST_N];

/* le[i] counts the observations at most xu_hist_bounds_us[i]
 * (cumulative, as Prometheus has them); count and sum_us all of them. */
struct xu_hist {
	uint64_t le[XU_HIST_N];
	uint64_t count, sum_us;
};

/* Counts n observations of us microseconds each in h. */
void xu_hist_add(struct xu_hist *h, uint64_t us, uint64_t n);

#endif
