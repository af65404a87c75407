/* Latency histograms (see hist.h). */
#include "src/util/hist.h"

const uint64_t xu_hist_bounds_us[XU_HIST_N] = {
    500,   1000,  2000,	 3000,	5000,	7500,	10000,	15000,
    20000, 30000, 50000, 75000, 100000, 250000, 500000, 1000000,
};

void xu_hist_add(struct xu_hist *h, uint64_t us, uint64_t n)
{
	for (int i = XU_HIST_N - 1; i >= 0 && us <= xu_hist_bounds_us[i]; i--)
		h->le[i] += n;
	h->count += n;
	h->sum_us += us * n;
}
