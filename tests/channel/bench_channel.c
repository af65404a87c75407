/* Benchmark of the channel core: settlements through the outgoing machine
 * (no crypto: the daemon signs) and claims through the incoming machine
 * (signature verification dominates), for both key types.  Prints
 * figures; asserts nothing about time.  Taken on a shared 2-core machine,
 * so read the numbers as an order of magnitude. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "channel/channel.h"
#include "tests/channel/chfix.h"

#define NCLAIMS 2000
#define NSETTLE 1000000

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_claims(int k)
{
	static struct pc_event evs[NCLAIMS];
	struct pc_in ch;
	struct pc_event ev = ev_make(PC_EV_LEDGER);
	struct pc_effects fx;
	double t0, t1;

	pc_in_init(&ch, &fx_self, &fx_peer, fx_in_id);
	ev.u.view = view_in(k, XL_DROPS_MAX, 0);
	if (pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, NULL) != XU_OK)
		abort();
	for (int i = 0; i < NCLAIMS; i++) {
		evs[i] = ev_make(PC_EV_CLAIM);
		evs[i].u.claim = claim_make(k, fx_in_id, (uint64_t)i + 1);
	}
	t0 = secs();
	for (int i = 0; i < NCLAIMS; i++)
		if (pc_in_apply(&ch, &fx_cfg, &evs[i], &fx, NULL, NULL) !=
			XU_OK ||
		    fx.n != 2)
			abort();
	t1 = secs();
	printf("claims accepted (%s): %d in %.3f s = %.0f/s, %.1f us each\n",
	       k ? "secp256k1" : "ed25519", NCLAIMS, t1 - t0,
	       NCLAIMS / (t1 - t0), (t1 - t0) * 1e6 / NCLAIMS);
}

static void bench_settle(void)
{
	struct pc_out ch;
	struct pc_event ev = ev_make(PC_EV_SETTLE);
	struct pc_effects fx;
	double t0, t1;

	pc_out_init(&ch, &fx_self, &fx_peer);
	ch.state = PC_OUT_OPEN;
	ch.has_id = true;
	memcpy(ch.id, fx_out_id, 32);
	ch.amount = D(XL_DROPS_MAX);
	ev.u.settle = D(1000);
	t0 = secs();
	for (int i = 0; i < NSETTLE; i++)
		if (pc_out_apply(&ch, &fx_cfg, &ev, &fx, NULL) != XU_OK ||
		    fx.n != 1)
			abort();
	t1 = secs();
	printf("settlements applied: %d in %.3f s = %.0f/s, %.3f us each\n",
	       NSETTLE, t1 - t0, NSETTLE / (t1 - t0),
	       (t1 - t0) * 1e6 / NSETTLE);
}

int main(void)
{
	fx_setup();
	bench_settle();
	bench_claims(0);
	bench_claims(1);
	return 0;
}
