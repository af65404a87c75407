/* xrpse_sim: a deterministic simulation of two engines, alice and bob,
 * each with an account for the other, paying each other over one
 * simulated XRP Ledger through a simulated connector pair (sim.h).
 *
 * From a seed, the run draws which faults and operations it enables (a
 * swarm: each seed tests a different mix), then a sequence of operations:
 * settlements both ways with random amounts and scales, account deletion
 * and re-creation, crashes and restarts (reboots restart the monotonic
 * clock low), an operator's owner close, time warps that reach
 * Expirations, fee spikes, rippled outages, a drained XRP balance, a peer
 * that lies about channel ids, a peer that moves to a new key.  Between
 * operations the simulated time moves and the events due run.
 *
 * After every step the invariants are checked; after the last one the
 * faults stop, every engine and account comes back, and the run goes on
 * quietly (warping through settle delays when it has to) until the books
 * agree or a budget is spent; then the final invariants:
 *
 *   drops-conserved            a payer's settled drops = owed (store and
 *                              record) + what it signed on every channel
 *   credits-within-claims      a payee's connector never got more than the
 *                              claims signed to it
 *   credit-key-reused          one Idempotency-Key, one amount
 *   claim-above-amount         no claim above its channel's ledger Amount
 *   redeem-believed            no engine believes a redeem the ledger did
 *                              not pay
 *   claim-redeemed-before-expiry  a channel the ledger deleted paid the
 *                              payee every claim it held, unless the payee
 *                              was cut off from the ledger for the whole
 *                              window it had (no 10 minutes in a row)
 *   records-match-ledger       at the end, an engine's open records name
 *                              channels the ledger has, and its closed
 *                              ones channels it deleted
 *   credited-equals-settled    at the end, each payee's connector was
 *                              credited exactly what the payer's connector
 *                              settled (in drops: leftovers below a drop
 *                              stay with the payer's store)
 *   engine-aborted             no XU_ASSERT (or other signal) ended a run
 *
 * Each seed runs in a forked child; a failure prints the seed, the broken
 * invariant and the trace of the last SIM_TRACE_STEPS steps (the same seed
 * replays it exactly). */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel/msg.h"
#include "src/store/chanstore.h"
#include "src/store/store.h"
#include "src/util/hex.h"
#include "src/util/log.h"
#include "tests/sim/sim.h"

#define DEFAULT_STEPS 300
#define STRETCH_MS (10 * 60 * 1000) /* a payee's chance to redeem */

static int report_fd = -1;
static uint64_t abort_at_step; /* --abort-at-step: tests the abort path */
static struct sim_account *faucet;

/* ---- helpers ------------------------------------------------------------------*/

static uint32_t pick_ppm(struct sim *w, const uint32_t *v, size_t n)
{
	return v[sim_rng_below(&w->rng, n)];
}

static void pick_knobs(struct sim *w)
{
	static const uint32_t loss[] = {0, 0, 10000, 50000};
	static const uint32_t dup[] = {0, 20000, 100000};
	static const uint32_t late[] = {0, 20000, 100000};
	static const uint32_t tmo[] = {0, 0, 5000, 20000};
	static const uint32_t c5xx[] = {0, 0, 20000};
	static const int64_t delay[] = {0, 3000, 20000};
	static const uint32_t lost[] = {0, 0, 30000, 150000};
	static const uint32_t lag[] = {0, 0, 0, 0, 0, 0, 20000, 100000};
	static const uint32_t rloss[] = {0, 0, 10000};
	static const uint32_t full[] = {0, 0, 100000, 400000};
	struct sim_knobs *k = &w->k;

	k->msg_loss_ppm = pick_ppm(w, loss, 4);
	k->msg_dup_ppm = pick_ppm(w, dup, 3);
	k->late_reply_ppm = pick_ppm(w, late, 3);
	k->timeout_reply_ppm = pick_ppm(w, tmo, 4);
	k->connector_5xx_ppm = pick_ppm(w, c5xx, 3);
	k->msg_delay_max_ms = delay[sim_rng_below(&w->rng, 3)];
	k->tx_lost_ppm = pick_ppm(w, lost, 4);
	k->lag_ppm = pick_ppm(w, lag, 8);
	k->req_loss_ppm = pick_ppm(w, rloss, 3);
	k->ops_delete = sim_rng_below(&w->rng, 4) == 0;
	k->ops_crash = sim_rng_below(&w->rng, 3) != 0;
	k->ops_reboot = sim_rng_below(&w->rng, 2);
	k->ops_owner_close = sim_rng_below(&w->rng, 2);
	k->ops_warp = sim_rng_below(&w->rng, 3) != 0;
	k->ops_fee_spike = sim_rng_below(&w->rng, 2);
	k->ops_outage = sim_rng_below(&w->rng, 2);
	k->ops_drain = sim_rng_below(&w->rng, 3) == 0;
	k->ops_lie = sim_rng_below(&w->rng, 8) == 0;
	k->ops_rekey = sim_rng_below(&w->rng, 8) == 0;
	k->ops_expire = sim_rng_below(&w->rng, 2);
	k->ops_dest_close = sim_rng_below(&w->rng, 4) == 0;
	/* From a generator of its own, as are the refusals: the rest of
	 * every seed's sequence stays what it was without them. */
	sim_rng_seed(&w->full_rng, w->seed ^ 0x6f7574626f782121ull);
	k->outbox_full_ppm = full[sim_rng_below(&w->full_rng, 4)];
}

static void knobs_line(const struct sim *w, char *out, size_t cap)
{
	const struct sim_knobs *k = &w->k;

	snprintf(out, cap,
		 "faults: msg loss %u ppm, dup %u, late reply %u, timeout "
		 "%u, 5xx %u, outbox full %u, delay<=%lld ms; tx lost %u ppm, "
		 "lagging server "
		 "%u, request loss %u | ops:%s%s%s%s%s%s%s%s%s%s%s%s | alice "
		 "settle delay %u s (min %u), bob %u s (min %u)",
		 k->msg_loss_ppm, k->msg_dup_ppm, k->late_reply_ppm,
		 k->timeout_reply_ppm, k->connector_5xx_ppm, k->outbox_full_ppm,
		 (long long)k->msg_delay_max_ms, k->tx_lost_ppm, k->lag_ppm,
		 k->req_loss_ppm, k->ops_delete ? " delete" : "",
		 k->ops_crash ? " crash" : "", k->ops_reboot ? " reboot" : "",
		 k->ops_owner_close ? " owner-close" : "",
		 k->ops_warp ? " warp" : "",
		 k->ops_fee_spike ? " fee-spike" : "",
		 k->ops_outage ? " outage" : "", k->ops_drain ? " drain" : "",
		 k->ops_lie ? " lie" : "", k->ops_rekey ? " rekey" : "",
		 k->ops_expire ? " expire" : "",
		 k->ops_dest_close ? " dest-close" : "",
		 w->e[0].cfg.pc.settle_delay, w->e[0].cfg.pc.min_settle_delay,
		 w->e[1].cfg.pc.settle_delay, w->e[1].cfg.pc.min_settle_delay);
}

static struct sim_engine *pick_engine(struct sim *w)
{
	return &w->e[sim_rng_below(&w->rng, SIM_NENG)];
}

static void op(struct sim *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void op(struct sim *w, const char *fmt, ...)
{
	char buf[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sim_trace("#%" PRIu64 " %s", w->step, buf);
}

static struct sim_chan *live_out_chan(struct sim *w, struct sim_engine *e)
{
	for (size_t i = w->L.nchans; i > 0; i--) {
		struct sim_chan *c = &w->L.chans[i - 1];

		if (c->exists && !memcmp(&c->src, &e->id, sizeof(e->id)))
			return c;
	}
	return NULL;
}

/* ---- operations ---------------------------------------------------------------*/

static void add_settle(struct sim *w, struct sim_settle_req *r)
{
	if (w->nsettles == w->capsettles) {
		w->capsettles = w->capsettles ? w->capsettles * 2 : 64;
		w->settles =
		    realloc(w->settles, w->capsettles * sizeof(*w->settles));
		if (!w->settles)
			abort();
	}
	w->settles[w->nsettles++] = r;
}

static void op_settle(struct sim *w)
{
	static const uint8_t scales[] = {0, 2, 6, 6, 6, 9, 9, 12};
	struct sim_engine *e = pick_engine(w);
	struct sim_settle_req *r;
	uint64_t drops, digits;
	uint8_t scale;
	struct xu_err err;
	char buf[48];

	if (!e->account_open)
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->engine = e->idx;
	if (w->nsettles && sim_rng_below(&w->rng, 20) == 0) {
		/* The connector asks again for an old one (it lost the
		 * answer): the engine answers from its records. */
		struct sim_settle_req *old =
		    w->settles[sim_rng_below(&w->rng, w->nsettles)];

		if (old->engine == e->idx) {
			*r = *old;
			r->done = r->inflight = false;
			r->drops = 0;
			add_settle(w, r);
			op(w, "%s's connector settles again %s {%s,%u}",
			   e->name, r->key, r->q.digits, (unsigned)r->q.scale);
			sim_settle_request(w, r);
			return;
		}
	}
	/* Log-uniform from 1 drop to 5 XRP, at a random scale. */
	drops = 1;
	for (uint64_t mag = sim_rng_below(&w->rng, 7); mag; mag--)
		drops *= 10;
	drops = drops + sim_rng_below(&w->rng, drops * 5);
	scale = scales[sim_rng_below(&w->rng, sizeof(scales))];
	if (scale >= 6) {
		uint64_t f = 1;

		for (uint8_t i = 6; i < scale; i++)
			f *= 10;
		digits = drops * f + sim_rng_below(&w->rng, f);
	} else {
		uint64_t f = 1;

		for (uint8_t i = scale; i < 6; i++)
			f *= 10;
		digits = drops / f;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, digits);
	if (eng_quantity_set(&r->q, buf, scale, &err) != XU_OK)
		abort();
	snprintf(r->key, sizeof(r->key), "s%" PRIu64, ++w->next_key);
	add_settle(w, r);
	op(w, "%s's connector settles {%s,%u} with %s (key %s)", e->name,
	   r->q.digits, (unsigned)scale, e->acct, r->key);
	sim_settle_request(w, r);
}

static void account_job(struct sim *w, struct sim_engine *e,
			enum sim_job_kind kind)
{
	struct sim_job *j = calloc(1, sizeof(*j));

	if (!j)
		abort();
	j->kind = kind;
	snprintf(j->account, sizeof(j->account), "%s", e->acct);
	sim_job_submit(w, e, j);
}

static void op_delete(struct sim *w)
{
	struct sim_engine *e = pick_engine(w);

	if (!e->up)
		return;
	if (e->account_open) {
		op(w, "%s's connector deletes account %s", e->name, e->acct);
		account_job(w, e, SIM_JOB_ACCOUNT_DELETE);
	} else {
		op(w, "%s's connector creates account %s", e->name, e->acct);
		account_job(w, e, SIM_JOB_ACCOUNT_CREATE);
	}
}

struct restart {
	struct sim_engine *e;
	uint32_t inc;
};

static void restart_ev(struct sim *w, void *arg)
{
	struct restart *r = arg;

	if (!r->e->up && r->e->inc == r->inc && !w->failed && !w->ending)
		sim_engine_start(w, r->e);
	free(r);
}

static void op_crash(struct sim *w, bool reboot)
{
	struct sim_engine *e = pick_engine(w);
	struct restart *r;
	int64_t down = sim_rng_below(&w->rng, 4)
			   ? sim_rng_range(&w->rng, 100, 5000)
			   : sim_rng_range(&w->rng, 5000, 90000);

	if (!e->up)
		return;
	op(w, "%s %s, back in %lld.%03lld s", e->name,
	   reboot ? "reboots" : "crashes", (long long)(down / 1000),
	   (long long)(down % 1000));
	sim_engine_crash(w, e, reboot);
	r = malloc(sizeof(*r));
	if (!r)
		abort();
	r->e = e;
	r->inc = e->inc;
	sim_at(w, w->now + down, restart_ev, r);
}

static void op_owner_close(struct sim *w)
{
	struct sim_engine *e = pick_engine(w);
	struct sim_chan *c = live_out_chan(w, e);
	struct xl_tx_common cm;
	struct xl_tx tx;
	struct xu_err err;

	if (!c || c->has_exp)
		return;
	memset(&cm, 0, sizeof(cm));
	cm.account = e->id;
	(void)!xl_drops_from_u64(&cm.fee, 12);
	if (xl_tx_paychan_claim(&tx, &cm, c->id, NULL, NULL, NULL, 0, NULL,
				XL_TF_CLOSE, &err) != XU_OK)
		abort();
	op(w, "%s's operator closes channel %.8s as its owner", e->name,
	   c->hex);
	sim_operator_tx(w, e->idx, &tx);
}

static void payment(struct sim *w, const struct cr_account_id *from,
		    const struct cr_account_id *to, uint64_t drops)
{
	struct xl_tx_common cm;
	struct xl_tx tx;
	struct xu_err err;
	struct xl_drops d;

	memset(&cm, 0, sizeof(cm));
	cm.account = *from;
	(void)!xl_drops_from_u64(&cm.fee, 12);
	(void)!xl_drops_from_u64(&d, drops);
	if (xl_tx_payment(&tx, &cm, to, d, NULL, &err) != XU_OK)
		abort();
	sim_operator_tx(w, -1, &tx);
}

static void op_drain(struct sim *w)
{
	struct sim_engine *e = pick_engine(w);
	struct sim_account *a = sim_account_of(w, &e->id);
	uint64_t keep, res;

	if (!a)
		return;
	if (e->drained) {
		op(w, "%s's operator refills its account", e->name);
		payment(w, &faucet->id, &e->id, 3000 * SIM_XRP);
		e->drained = false;
		return;
	}
	res = w->L.reserve_base + w->L.reserve_inc * a->owners;
	keep = res + (uint64_t)sim_rng_range(&w->rng, 0, 3) * SIM_XRP;
	if (a->balance <= keep + 100)
		return;
	op(w, "%s's operator withdraws all but %" PRIu64 " drops", e->name,
	   keep);
	payment(w, &e->id, &faucet->id, a->balance - keep - 24);
	e->drained = true;
}

static void op_spike(struct sim *w)
{
	int64_t d = sim_rng_range(&w->rng, 20, 300) * 1000;

	if (w->L.spike_until)
		return;
	op(w, "fee spike for %lld s", (long long)(d / 1000));
	w->L.load = 200;
	w->L.spike_until = w->now + d;
	for (int i = 0; i < SIM_NENG; i++)
		sim_unreach(&w->e[i], SIM_UNREACH_SPIKE, true);
}

static void op_outage(struct sim *w)
{
	struct sim_engine *e = pick_engine(w);
	int64_t d = sim_rng_range(&w->rng, 1, 120) * 1000;

	if (!e->up || e->cstate != XL_CLIENT_READY)
		return;
	op(w, "%s's rippled connection drops for %lld s", e->name,
	   (long long)(d / 1000));
	sim_client_drop(w, e, w->now + d);
}

/* A confused (or lying) peer names the target's OWN outgoing channel in a
 * message. */
static void op_lie(struct sim *w)
{
	struct sim_engine *e = pick_engine(w);
	struct sim_chan *c = live_out_chan(w, e);
	char body[160];

	if (!c || !e->up)
		return;
	snprintf(body, sizeof(body),
		 "{\"type\":\"channel_update\",\"channel\":\"%s\"}", c->hex);
	op(w, "%s's peer sends a channel_update naming %s's own channel %.8s",
	   sim_engine_peer(e)->name, e->name, c->hex);
	sim_inject_message(w, e, body);
}

/* The peer engine moves to a new key and store, once it owes nothing and
 * its peer's outgoing channel to it is closed or not yet opened. */
static void op_rekey(struct sim *w)
{
	struct sim_engine *x = pick_engine(w), *p = sim_engine_peer(x);
	struct eng_chan_out o;
	struct xl_drops owed;
	struct xu_err err;
	bool have;

	if (!x->up || !p->up || !x->account_open)
		return;
	for (size_t i = 0; i < w->nsettles; i++)
		if (w->settles[i]->engine == x->idx && !w->settles[i]->done)
			return;
	if (eng_store_owed_get(x->store, x->acct, &owed, &err) == XU_OK &&
	    !xl_drops_is_zero(owed))
		return;
	if (eng_chan_out_get(x->store, x->acct, &o, &have, &err) != XU_OK)
		return;
	if (have && (!xl_drops_is_zero(o.ch.owed) ||
		     xl_drops_cmp(o.peer_best, o.claim_amount) < 0 ||
		     o.ch.state == PC_OUT_OPENING))
		return;
	if (eng_chan_out_get(p->store, p->acct, &o, &have, &err) != XU_OK)
		return;
	if (have && o.ch.state != PC_OUT_NONE && o.ch.state != PC_OUT_CLOSED)
		return;
	op(w, "%s moves to a new key and a new store", x->name);
	sim_engine_rekey(w, x);
	account_job(w, x, SIM_JOB_ACCOUNT_CREATE);
}

/* The destination's operator closes a channel at once, redeeming the best
 * claim its engine holds (the CLI, next to the running daemon). */
static void op_dest_close(struct sim *w)
{
	struct sim_engine *e = pick_engine(w), *p = sim_engine_peer(e);
	struct sim_chan *c = live_out_chan(w, p);
	struct eng_chan_in r;
	struct xl_tx_common cm;
	struct xl_tx tx;
	struct xu_err err;
	struct xl_drops best;
	bool have;

	if (!c || !e->up || memcmp(&c->dst, &e->id, sizeof(e->id)) ||
	    eng_chan_in_get(e->store, c->id, &r, &have, &err) != XU_OK)
		return;
	memset(&cm, 0, sizeof(cm));
	cm.account = e->id;
	(void)!xl_drops_from_u64(&cm.fee, 12);
	best = have ? r.ch.best : xl_drops_zero();
	if (have && xl_drops_u64(best) > c->balance && r.ch.best_siglen) {
		if (xl_tx_paychan_claim(&tx, &cm, c->id, &best, &best,
					r.ch.best_sig, r.ch.best_siglen, &c->pk,
					XL_TF_CLOSE, &err) != XU_OK)
			abort();
	} else if (xl_tx_paychan_claim(&tx, &cm, c->id, NULL, NULL, NULL, 0,
				       NULL, XL_TF_CLOSE, &err) != XU_OK)
		abort();
	op(w,
	   "%s's operator closes channel %.8s as its destination, "
	   "redeeming %" PRIu64 " drops",
	   e->name, c->hex, xl_drops_u64(best));
	sim_operator_tx(w, e->idx, &tx);
}

static bool check_step(struct sim *w);
static void warp(struct sim *w, int64_t d);

/* A channel's Expiration comes: time runs to just before it, and its
 * destination crashes or loses its ledger connection across it. */
/* The payee loses its ledger connection; meanwhile the payer's operator
 * closes the channel and it expires; then the connection comes back. */
static void op_expire_offline(struct sim *w)
{
	struct sim_engine *e = pick_engine(w), *p = sim_engine_peer(e);
	struct sim_chan *c = live_out_chan(w, e);
	struct xl_tx_common cm;
	struct xl_tx tx;
	struct xu_err err;
	int64_t end;

	if (!c || c->has_exp || !p->up || p->cstate != XL_CLIENT_READY ||
	    memcmp(&c->dst, &p->id, sizeof(p->id)))
		return;
	end = w->now + ((int64_t)c->settle_delay + 600) * 1000;
	op(w,
	   "%s loses its ledger connection for %u s while %s's operator "
	   "closes channel %.8s as its owner",
	   p->name, c->settle_delay + 600, e->name, c->hex);
	sim_client_drop(w, p, end);
	memset(&cm, 0, sizeof(cm));
	cm.account = e->id;
	(void)!xl_drops_from_u64(&cm.fee, 12);
	if (xl_tx_paychan_claim(&tx, &cm, c->id, NULL, NULL, NULL, 0, NULL,
				XL_TF_CLOSE, &err) != XU_OK)
		abort();
	sim_operator_tx(w, e->idx, &tx);
	warp(w, end - w->now + 1000);
}

static void op_expire(struct sim *w)
{
	struct sim_chan *c = NULL;
	struct sim_engine *p;
	int64_t exp_ms, before, down;

	if (sim_rng_below(&w->rng, 2))
		return op_expire_offline(w);

	for (size_t i = 0; i < w->L.nchans; i++)
		if (w->L.chans[i].exists && w->L.chans[i].has_exp &&
		    w->L.chans[i].dst_eng >= 0)
			c = &w->L.chans[i];
	if (!c)
		return;
	p = &w->e[c->dst_eng];
	exp_ms = ((int64_t)c->exp + SIM_RIPPLE_EPOCH) * 1000;
	before = sim_rng_range(&w->rng, 0, 600) * 1000;
	down = sim_rng_range(&w->rng, 10, 300) * 1000;
	op(w,
	   "channel %.8s's Expiration comes; %s is away from %lld s "
	   "before it for %lld s",
	   c->hex, p->name, (long long)(before / 1000),
	   (long long)(down / 1000));
	if (exp_ms - before > w->now)
		warp(w, exp_ms - before - w->now);
	if (w->failed || !p->up)
		return;
	if (sim_rng_below(&w->rng, 2)) {
		struct restart *r = malloc(sizeof(*r));

		if (!r)
			abort();
		sim_engine_crash(w, p, sim_rng_below(&w->rng, 2));
		r->e = p;
		r->inc = p->inc;
		sim_at(w, w->now + down, restart_ev, r);
	} else if (p->cstate == XL_CLIENT_READY) {
		sim_client_drop(w, p, w->now + down);
	}
}

/* Time passes in big steps: slow ticks and closes. */
static void warp(struct sim *w, int64_t d)
{
	int64_t end = w->now + d;

	w->coarse = true;
	while (w->now < end && !w->failed) {
		int64_t t = w->now + 600000;

		sim_run_until(w, t < end ? t : end);
		check_step(w);
	}
	w->coarse = false;
}

static void op_warp(struct sim *w)
{
	uint32_t sd = w->e[0].cfg.pc.settle_delay;
	int64_t d;

	if (w->e[1].cfg.pc.settle_delay > sd)
		sd = w->e[1].cfg.pc.settle_delay;
	d = sim_rng_range(&w->rng, 600, sd * 3 / 2) * 1000;
	op(w, "time warp: %lld s pass", (long long)(d / 1000));
	warp(w, d);
}

/* ---- invariants ------------------------------------------------------------------*/

/* credits-within-claims */
static void check_credits(struct sim *w, int payee)
{
	uint64_t claims = 0;

	for (size_t i = 0; i < w->L.nchans; i++) {
		const struct sim_chan *c = &w->L.chans[i];

		if (c->dst_eng == payee && c->src_eng == 1 - payee)
			claims += c->max_claim;
	}
	if (w->credited[payee] > claims)
		sim_fail("credits-within-claims",
			 "%s's connector was credited %" PRIu64
			 " drops, above the %" PRIu64
			 " drops of claims %s signed to it",
			 w->e[payee].name, w->credited[payee], claims,
			 w->e[1 - payee].name);
}

#define FOLLOW_MS (20 * 60 * 1000)
#define OWED_WAIT_MS (30 * 60 * 1000)
#define REDEEM_WITHIN_MS (15 * 60 * 1000)

/* An engine that was up and connected for the last d ms. */
static bool reachable_for(struct sim *w, const struct sim_engine *e, int64_t d)
{
	return e->up && !e->unreach && !sim_gap_overlaps(e, w->now - d, w->now);
}

/* The outgoing record against the ledger:
 *   records-match-ledger   a closed record's channel is gone (an engine
 *                          acts on a channel's absence only when the
 *                          ledger deleted it);
 *   records-follow-ledger  a reachable engine learns of an Expiration on
 *                          its live channel within FOLLOW_MS. */
static void check_out_record(struct sim *w, struct sim_engine *e,
			     const struct eng_chan_out *o)
{
	struct sim_chan *c;

	if (!o->ch.has_id || !(c = sim_chan_of(w, o->ch.id)))
		return;
	if (o->ch.state == PC_OUT_CLOSED && c->exists)
		sim_fail("records-match-ledger",
			 "%s's outgoing record of channel %.8s is closed, but "
			 "the ledger has it (Amount %" PRIu64
			 ", Balance %" PRIu64 ": %" PRIu64
			 " drops of %s's locked in it)",
			 e->name, c->hex, c->amount, c->balance,
			 c->amount - c->balance, e->name);
	else if ((o->ch.state == PC_OUT_OPEN || o->ch.state == PC_OUT_FUNDING ||
		  o->ch.state == PC_OUT_CLOSING) &&
		 !c->exists && w->now - c->deleted_ms > FOLLOW_MS &&
		 reachable_for(w, e, FOLLOW_MS))
		sim_fail("records-follow-ledger",
			 "%s's outgoing record of channel %.8s is still %s "
			 "%lld s after the ledger deleted the channel (%s was "
			 "up and connected all along)",
			 e->name, c->hex, pc_out_state_name(o->ch.state),
			 (long long)((w->now - c->deleted_ms) / 1000), e->name);
	else if ((o->ch.state == PC_OUT_OPEN ||
		  o->ch.state == PC_OUT_FUNDING) &&
		 c->exists && c->has_exp && c->exp_set_ms &&
		 w->now - c->exp_set_ms > FOLLOW_MS &&
		 reachable_for(w, e, FOLLOW_MS))
		sim_fail("records-follow-ledger",
			 "%s's outgoing record of channel %.8s is still %s "
			 "%lld s after the ledger set its Expiration (%s was "
			 "up and connected all along)",
			 e->name, c->hex, pc_out_state_name(o->ch.state),
			 (long long)((w->now - c->exp_set_ms) / 1000), e->name);
}

/* The incoming records against the ledger:
 *   redeem-believed        no record shows more paid than the ledger paid;
 *   records-match-ledger   a closed record's channel is gone;
 *   records-follow-ledger  an Expiration is learnt within FOLLOW_MS;
 *   closing-claim-redeemed a closing channel's unredeemed claim is
 *                          submitted within REDEEM_WITHIN_MS of reachable
 *                          time. */
/* The redeem policy's rule for a closing channel (pc_redeem_due): the
 * unclaimed drops pay for the fee at the ledger's base fee, or the
 * Expiration is within PC_DEADLINE_MARGINS close margins. */
static bool redeem_worth(const struct sim_engine *e, const struct sim_chan *c,
			 uint64_t unclaimed, const struct sim *w)
{
	uint64_t margin = pc_close_margin(&e->cfg.pc, c->settle_delay);

	if ((uint64_t)c->exp <=
	    (uint64_t)w->L.close_time + PC_DEADLINE_MARGINS * margin)
		return true;
	return (unsigned __int128)unclaimed * e->cfg.pc.redeem_fee_ppm >=
	       (unsigned __int128)w->L.fee_base * w->L.load * 1000000;
}

static void check_in_records(struct sim *w, struct sim_engine *e)
{
	struct eng_chan_in *v = NULL;
	struct xu_err err;
	size_t n = 0;

	if (eng_chan_in_all(e->store, NULL, &v, &n, &err) != XU_OK)
		abort();
	for (size_t i = 0; i < n && !w->failed; i++) {
		const struct pc_in *ch = &v[i].ch;
		struct sim_chan *c = sim_chan_of(w, ch->id);
		bool live =
		    ch->state == PC_IN_OPEN || ch->state == PC_IN_CLOSING;

		if (!c)
			continue;
		if (ch->has_view &&
		    xl_drops_u64(ch->view.balance) > c->balance) {
			sim_fail("redeem-believed",
				 "%s's record of channel %.8s (%s) says the "
				 "ledger paid %" PRIu64
				 " drops; the ledger paid %" PRIu64 "%s",
				 e->name, c->hex, pc_in_state_name(ch->state),
				 xl_drops_u64(ch->view.balance), c->balance,
				 c->exists ? "" : " before deleting it");
			break;
		}
		if (ch->state == PC_IN_CLOSED && c->exists) {
			sim_fail(
			    "records-match-ledger",
			    "%s's incoming record of channel %.8s is "
			    "closed, but the ledger has it (Amount %" PRIu64
			    ", Balance %" PRIu64 ", best claim held %" PRIu64
			    ")",
			    e->name, c->hex, c->amount, c->balance,
			    xl_drops_u64(ch->best));
			break;
		}
		if (ch->state == PC_IN_OPEN && c->exists && c->has_exp &&
		    c->exp_set_ms && w->now - c->exp_set_ms > FOLLOW_MS &&
		    reachable_for(w, e, FOLLOW_MS)) {
			sim_fail("records-follow-ledger",
				 "%s's incoming record of channel %.8s is "
				 "still open %lld s after the ledger set its "
				 "Expiration",
				 e->name, c->hex,
				 (long long)((w->now - c->exp_set_ms) / 1000));
			break;
		}
		/* closing-claim-redeemed, for a claim worth its fee or a
		 * deadline near (docs/risks.md#one-drop-redeem-storms) */
		if (live && c->exists && c->has_exp &&
		    c->exp > w->L.close_time + 60 &&
		    xl_drops_u64(ch->best) > c->balance &&
		    redeem_worth(e, c, xl_drops_u64(ch->best) - c->balance,
				 w) &&
		    !ch->redeem_inflight && e->unreach == 0) {
			if (!c->unredeemed_since ||
			    sim_gap_overlaps(e, c->unredeemed_since, w->now))
				c->unredeemed_since = w->now;
			else if (w->now - c->unredeemed_since >
				 REDEEM_WITHIN_MS)
				sim_fail(
				    "closing-claim-redeemed",
				    "%s has held a claim of %" PRIu64
				    " drops on closing channel %.8s (ledger "
				    "Balance %" PRIu64 ", Expiration in %lld "
				    "s) for %lld s without submitting it, "
				    "connected all along (its record: %s, "
				    "retry_at %" PRIu64 " on a monotonic "
				    "clock now at %lld s)",
				    e->name, xl_drops_u64(ch->best), c->hex,
				    c->balance,
				    (long long)c->exp - w->L.close_time,
				    (long long)((w->now - c->unredeemed_since) /
						1000),
				    pc_in_state_name(ch->state), ch->retry_at,
				    (long long)((e->mono_base + w->now -
						 e->boot_ms) /
						1000));
		} else {
			c->unredeemed_since = 0;
		}
	}
	free(v);
}

/* drops-conserved: what the payer's connector settled is owed or signed. */
static void check_conservation(struct sim *w, struct sim_engine *e)
{
	struct eng_chan_out o;
	struct xl_drops owed = xl_drops_zero();
	struct xu_err err;
	uint64_t sum = 0;
	bool have;
	enum xu_code rc;

	rc = eng_store_owed_get(e->store, e->acct, &owed, &err);
	if (rc == XU_ENOTFOUND)
		owed = xl_drops_zero();
	else if (rc != XU_OK)
		abort();
	if (eng_chan_out_get(e->store, e->acct, &o, &have, &err) != XU_OK)
		abort();
	/* Claims a gone channel never paid count once: as owed again. */
	sum = sim_signed_total(e);
	sum += xl_drops_u64(owed);
	if (have)
		sum += xl_drops_u64(o.ch.owed) - xl_drops_u64(o.ch.reowed);
	if (have)
		check_out_record(w, e, &o);
	/* owed-paid: settled drops do not wait, with no channel to pay them
	 * on, for OWED_WAIT_MS of reachable time while the account is open
	 * (on both sides: a channel that ended waits for the payee's answer,
	 * which a deleted account cannot give) and the engine's XRP is not
	 * withdrawn. */
	if (have && e->account_open && sim_engine_peer(e)->account_open &&
	    !e->drained &&
	    (o.ch.state == PC_OUT_NONE || o.ch.state == PC_OUT_CLOSED) &&
	    !xl_drops_is_zero(owed) + !xl_drops_is_zero(o.ch.owed) &&
	    e->unreach == 0) {
		if (!e->owed_since ||
		    sim_gap_overlaps(e, e->owed_since, w->now))
			e->owed_since = w->now;
		else if (w->now - e->owed_since > OWED_WAIT_MS && !w->failed)
			sim_fail(
			    "owed-paid",
			    "%s has owed %" PRIu64 " drops (store %" PRIu64
			    ", record %" PRIu64 ") to %s for %lld s with "
			    "its outgoing record %s%s, connected all along "
			    "and its account open",
			    e->name,
			    xl_drops_u64(owed) + xl_drops_u64(o.ch.owed),
			    xl_drops_u64(owed), xl_drops_u64(o.ch.owed),
			    e->acct,
			    (long long)((w->now - e->owed_since) / 1000),
			    pc_out_state_name(o.ch.state),
			    o.ch.deleting ? " and deleting" : "");
	} else {
		e->owed_since = 0;
	}
	if (!w->failed && sum != e->settled_drops)
		sim_fail("drops-conserved",
			 "%s: its connector settled %" PRIu64
			 " drops with %s, but owed (store %" PRIu64
			 ", record %" PRIu64 ") + signed on its channels "
			 "(%" PRIu64 ") make %" PRIu64 " (%s by %" PRIu64 ")",
			 e->name, e->settled_drops, e->acct, xl_drops_u64(owed),
			 have ? xl_drops_u64(o.ch.owed) : 0,
			 sum - xl_drops_u64(owed) -
			     (have ? xl_drops_u64(o.ch.owed) : 0),
			 sum, sum < e->settled_drops ? "short" : "over",
			 sum < e->settled_drops ? e->settled_drops - sum
						: sum - e->settled_drops);
}

/* The longest stretch in [from, to) without a gap of e. */
static int64_t longest_stretch(const struct sim_engine *e, int64_t from,
			       int64_t to)
{
	int64_t best = 0, cur = from;

	for (size_t i = 0; i < e->ngaps && cur < to; i++) {
		const struct sim_gap *g = &e->gaps[i];

		if (g->to <= cur)
			continue;
		if (g->from >= to)
			break;
		if (g->from > cur && g->from - cur > best)
			best = g->from - cur;
		if (g->to > cur)
			cur = g->to;
	}
	if (cur < to && to - cur > best)
		best = to - cur;
	return best;
}

/* claim-redeemed-before-expiry, for channels the ledger deleted. */
static void check_lost(struct sim *w)
{
	for (size_t i = 0; i < w->L.nchans && !w->failed; i++) {
		struct sim_chan *c = &w->L.chans[i];
		struct eng_chan_in r;
		struct xu_err err;
		struct sim_engine *p;
		int payee;
		bool have;
		uint64_t best;
		int64_t from, to, exp_ms;

		if (c->exists || c->loss_checked)
			continue;
		payee = sim_engine_of_account(w, &c->dst);
		if (payee < 0) {
			c->loss_checked = true;
			continue;
		}
		p = &w->e[payee];
		if (!p->up)
			continue;
		c->loss_checked = true;
		if (eng_chan_in_get(p->store, c->id, &r, &have, &err) != XU_OK)
			abort();
		best = have ? xl_drops_u64(r.ch.best) : 0;
		if (best <= c->balance)
			continue;
		from = c->exp_set_ms > c->last_claim_ms ? c->exp_set_ms
							: c->last_claim_ms;
		to = c->deleted_ms;
		if (c->has_exp) {
			exp_ms = ((int64_t)c->exp + SIM_RIPPLE_EPOCH) * 1000;
			if (exp_ms < to)
				to = exp_ms;
		}
		if (longest_stretch(p, from, to) < STRETCH_MS) {
			sim_trace("note: %s lost %" PRIu64
				  " drops of claims on channel %.8s: it was "
				  "cut off from the ledger for its window",
				  p->name, best - c->balance, c->hex);
			continue;
		}
		sim_fail("claim-redeemed-before-expiry",
			 "channel %.8s was deleted%s paying %s %" PRIu64
			 " drops, but %s held a claim of %" PRIu64
			 " (its record: %s)",
			 c->hex, c->expired_deleted ? " on expiry" : "",
			 p->name, c->balance, p->name, best,
			 have ? pc_in_state_name(r.ch.state) : "none");
	}
}

/* due-skipped: the tick never left a record it had work for waiting on
 * its due time (the service's own check, cfg.due_audit). */
static void check_due(struct sim_engine *e)
{
	struct eng_paychan_stats st;

	eng_paychan_stats(e->pc, &st);
	if (st.due_skipped)
		sim_fail("due-skipped",
			 "%s's tick skipped %" PRIu64
			 " records with work due (their due time was later)",
			 e->name, st.due_skipped);
}

static bool check_step(struct sim *w)
{
	for (int i = 0; i < SIM_NENG && !w->failed; i++) {
		struct sim_engine *e = &w->e[i];

		if (!e->up)
			continue;
		check_due(e);
		if (!w->failed)
			check_conservation(w, e);
		if (!w->failed)
			check_in_records(w, e);
	}
	for (int i = 0; i < SIM_NENG && !w->failed; i++)
		check_credits(w, i);
	if (!w->failed)
		check_lost(w);
	return !w->failed;
}

/* records-match-ledger */
static void check_records(struct sim *w, struct sim_engine *e)
{
	struct eng_chan_in *v = NULL;
	struct eng_chan_out o;
	struct xu_err err;
	size_t n = 0;
	bool have;

	if (eng_chan_out_get(e->store, e->acct, &o, &have, &err) != XU_OK)
		abort();
	if (have && o.ch.has_id) {
		struct sim_chan *c = sim_chan_of(w, o.ch.id);
		bool live = o.ch.state == PC_OUT_OPEN ||
			    o.ch.state == PC_OUT_FUNDING ||
			    o.ch.state == PC_OUT_CLOSING;

		if (c && live && !c->exists)
			sim_fail("records-match-ledger",
				 "%s's outgoing record is %s on channel %.8s, "
				 "which the ledger deleted",
				 e->name, pc_out_state_name(o.ch.state),
				 c->hex);
		else if (c && o.ch.state == PC_OUT_CLOSED && c->exists)
			sim_fail("records-match-ledger",
				 "%s's outgoing record is closed, but its "
				 "channel %.8s is on the ledger with %" PRIu64
				 " drops of %s's",
				 e->name, c->hex, c->amount - c->balance,
				 e->name);
		else if (c && live && c->has_exp && !o.ch.has_expiration)
			sim_fail("records-match-ledger",
				 "%s's outgoing record is %s and knows no "
				 "Expiration, but the ledger's channel %.8s "
				 "closes at %u",
				 e->name, pc_out_state_name(o.ch.state), c->hex,
				 c->exp);
	}
	if (w->failed)
		return;
	if (eng_chan_in_all(e->store, NULL, &v, &n, &err) != XU_OK)
		abort();
	for (size_t i = 0; i < n && !w->failed; i++) {
		const struct pc_in *ch = &v[i].ch;
		struct sim_chan *c = sim_chan_of(w, ch->id);

		if (!c)
			continue;
		if (ch->state == PC_IN_CLOSED && c->exists)
			sim_fail(
			    "records-match-ledger",
			    "%s's incoming record of channel %.8s is "
			    "closed, but the ledger has it (Amount %" PRIu64
			    ", Balance %" PRIu64 ", best claim held %" PRIu64
			    ")",
			    e->name, c->hex, c->amount, c->balance,
			    xl_drops_u64(ch->best));
		else if ((ch->state == PC_IN_OPEN ||
			  ch->state == PC_IN_CLOSING) &&
			 !c->exists)
			sim_fail("records-match-ledger",
				 "%s's incoming record of channel %.8s is %s, "
				 "but the ledger deleted it",
				 e->name, c->hex, pc_in_state_name(ch->state));
	}
	free(v);
}

static bool converged(struct sim *w)
{
	for (int i = 0; i < SIM_NENG; i++) {
		struct sim_engine *e = &w->e[i];

		if (!e->up || e->cstate != XL_CLIENT_READY ||
		    e->settled_drops != w->credited[1 - i] ||
		    sim_outbox_pending(e) || e->jobs)
			return false;
	}
	for (size_t i = 0; i < w->nsettles; i++)
		if (!w->settles[i]->done)
			return false;
	return w->L.pool == NULL;
}

/* ---- the end: no faults, everything back --------------------------------------*/

/* What moves while the books still disagree: when none of it changes
 * over a long warp and no Expiration is still ahead, the run is stuck. */
static void fingerprint(struct sim *w, uint64_t fp[6])
{
	fp[0] = w->credited[0];
	fp[1] = w->credited[1];
	fp[2] = w->L.nchans;
	fp[3] = (uint64_t)sim_outbox_pending(&w->e[0]);
	fp[4] = (uint64_t)sim_outbox_pending(&w->e[1]);
	fp[5] = 0;
	for (size_t i = 0; i < w->L.nchans; i++)
		fp[5] += w->L.chans[i].balance + w->L.chans[i].amount +
			 w->L.chans[i].exists;
}

static bool expiration_ahead(struct sim *w)
{
	for (size_t i = 0; i < w->L.nchans; i++) {
		const struct sim_chan *c = &w->L.chans[i];

		if (c->exists &&
		    ((c->has_exp && c->exp >= w->L.close_time) ||
		     (c->has_cancel && c->cancel_after >= w->L.close_time)))
			return true;
	}
	return false;
}

/* Runs normally for d ms, in 5 s slices; true once converged. */
static bool settle_for(struct sim *w, int64_t d)
{
	int64_t end = w->now + d;

	while (w->now < end && !w->failed) {
		for (size_t i = 0; i < w->nsettles; i++)
			sim_settle_request(w, w->settles[i]);
		sim_run_until(w, w->now + 5000);
		check_step(w);
		if (converged(w))
			return true;
	}
	return false;
}

static void quiet(struct sim *w)
{
	uint32_t sd = 0;
	int64_t end;
	uint64_t fp[6], last[6];
	int still = 0;

	w->quiet = true;
	w->step++;
	op(w, "quiet: faults stop, engines and accounts come back");
	if (w->L.spike_until)
		w->L.spike_until = w->now;
	for (int i = 0; i < SIM_NENG; i++) {
		struct sim_engine *e = &w->e[i];

		if (e->cfg.pc.settle_delay > sd)
			sd = e->cfg.pc.settle_delay;
		if (!e->up)
			sim_engine_start(w, e);
		else if (e->cstate == XL_CLIENT_DISCONNECTED) {
			e->outage_until = 0;
			sim_client_connect(w, e);
		}
		if (e->drained) {
			payment(w, &faucet->id, &e->id, 3000 * SIM_XRP);
			e->drained = false;
		}
	}
	sim_run_until(w, w->now + 2000);
	for (int i = 0; i < SIM_NENG; i++)
		if (!w->e[i].account_open)
			account_job(w, &w->e[i], SIM_JOB_ACCOUNT_CREATE);
	if (settle_for(w, 180000))
		return;
	end = w->now + (int64_t)sd * 3000 + 2 * 3600 * 1000LL;
	fingerprint(w, last);
	while (w->now < end && !w->failed) {
		warp(w, 15 * 60 * 1000);
		if (settle_for(w, 30000))
			return;
		fingerprint(w, fp);
		if (memcmp(fp, last, sizeof(fp)) || expiration_ahead(w))
			still = 0;
		else if (++still >= 4)
			break; /* nothing moves, nothing to wait for */
		memcpy(last, fp, sizeof(fp));
	}
	if (!w->failed)
		sim_trace("quiet: the books still disagree after %lld s",
			  (long long)((w->now - w->t0) / 1000));
}

static void check_end(struct sim *w)
{
	for (int i = 0; i < SIM_NENG && !w->failed; i++)
		check_records(w, &w->e[i]);
	for (int i = 0; i < SIM_NENG && !w->failed; i++) {
		struct sim_engine *p = &w->e[i];

		if (p->settled_drops != w->credited[1 - i])
			sim_fail("credited-equals-settled",
				 "%s's connector settled %" PRIu64
				 " drops with %s; %s's connector was credited "
				 "%" PRIu64 " (%s by %" PRIu64 ")",
				 p->name, p->settled_drops, p->acct,
				 w->e[1 - i].name, w->credited[1 - i],
				 w->credited[1 - i] < p->settled_drops ? "short"
								       : "over",
				 w->credited[1 - i] < p->settled_drops
				     ? p->settled_drops - w->credited[1 - i]
				     : w->credited[1 - i] - p->settled_drops);
	}
}

/* The engines' records, for the report. */
static void dump_state(struct sim *w, int fd)
{
	for (int i = 0; i < SIM_NENG; i++) {
		struct sim_engine *e = &w->e[i];
		struct eng_chan_in *v = NULL;
		struct eng_chan_out o;
		struct xl_drops owed = xl_drops_zero();
		struct xu_err err;
		size_t n = 0;
		bool have;

		if (!e->up) {
			dprintf(fd, "  %s: down\n", e->name);
			continue;
		}
		if (eng_store_owed_get(e->store, e->acct, &owed, &err) != XU_OK)
			owed = xl_drops_zero();
		dprintf(fd, "  %s: account %s %s, owed in store %" PRIu64 "\n",
			e->name, e->acct, e->account_open ? "open" : "deleted",
			xl_drops_u64(owed));
		if (eng_chan_out_get(e->store, e->acct, &o, &have, &err) ==
			XU_OK &&
		    have) {
			char id[65] = "-";

			if (o.ch.has_id)
				xu_hex_encode(id, sizeof(id), o.ch.id, 32);
			dprintf(fd,
				"    out %.8s %s: amount %" PRIu64
				" signed %" PRIu64 " owed %" PRIu64
				" claim %" PRIu64 " peer_best %" PRIu64
				"%s%s%s%s retry_at %" PRIu64 "\n",
				id, pc_out_state_name(o.ch.state),
				xl_drops_u64(o.ch.amount),
				xl_drops_u64(o.ch.signed_total),
				xl_drops_u64(o.ch.owed),
				xl_drops_u64(o.claim_amount),
				xl_drops_u64(o.peer_best),
				o.ch.deleting ? " deleting" : "",
				o.ch.recovering ? " recovering" : "",
				o.ch.fund_inflight ? " fund_inflight" : "",
				o.ch.close_inflight ? " close_inflight" : "",
				o.ch.retry_at);
		}
		if (eng_chan_in_all(e->store, NULL, &v, &n, &err) != XU_OK)
			n = 0;
		for (size_t k = 0; k < n; k++) {
			char id[65];

			xu_hex_encode(id, sizeof(id), v[k].ch.id, 32);
			dprintf(fd,
				"    in  %.8s %s: best %" PRIu64
				" ledger balance %" PRIu64
				"%s%s retry_at %" PRIu64 "\n",
				id, pc_in_state_name(v[k].ch.state),
				xl_drops_u64(v[k].ch.best),
				xl_drops_u64(v[k].ch.view.balance),
				v[k].ch.deleting ? " deleting" : "",
				v[k].ch.redeem_inflight ? " redeem_inflight"
							: "",
				v[k].ch.retry_at);
		}
		free(v);
	}
	for (size_t i = 0; i < w->L.nchans; i++) {
		const struct sim_chan *c = &w->L.chans[i];

		dprintf(fd,
			"  ledger %.8s %s->%s: %s Amount %" PRIu64
			" Balance %" PRIu64 "%s\n",
			c->hex, c->src_eng >= 0 ? w->e[c->src_eng].name : "?",
			c->dst_eng >= 0 ? w->e[c->dst_eng].name : "?",
			c->exists ? "open" : "deleted", c->amount, c->balance,
			c->has_exp ? " (Expiration set)" : "");
	}
}

/* ---- one seed ------------------------------------------------------------------*/

struct weights {
	unsigned settle, idle, del, crash, reboot, owner_close, warp, spike,
	    outage, drain, lie, rekey, expire, dest_close;
};

static void run_ops(struct sim *w, uint64_t steps)
{
	struct weights wt = {
	    .settle = 40,
	    .idle = 12,
	    .del = w->k.ops_delete ? 2 : 0,
	    .crash = w->k.ops_crash ? 2 : 0,
	    .reboot = w->k.ops_reboot ? 1 : 0,
	    .owner_close = w->k.ops_owner_close ? 1 : 0,
	    .warp = w->k.ops_warp ? 1 : 0,
	    .spike = w->k.ops_fee_spike ? 1 : 0,
	    .outage = w->k.ops_outage ? 2 : 0,
	    .drain = w->k.ops_drain ? 1 : 0,
	    .lie = w->k.ops_lie ? 1 : 0,
	    .rekey = w->k.ops_rekey ? 1 : 0,
	    .expire = w->k.ops_expire ? 1 : 0,
	    .dest_close = w->k.ops_dest_close ? 1 : 0,
	};
	unsigned total = wt.settle + wt.idle + wt.del + wt.crash + wt.reboot +
			 wt.owner_close + wt.warp + wt.spike + wt.outage +
			 wt.drain + wt.lie + wt.rekey + wt.expire +
			 wt.dest_close;

	for (w->step = 1; w->step <= steps && !w->failed; w->step++) {
		unsigned x = (unsigned)sim_rng_below(&w->rng, total);
		int64_t dt;

		XU_ASSERT(w->step != abort_at_step);

		if (x < wt.settle)
			op_settle(w);
		else if ((x -= wt.settle) < wt.idle)
			;
		else if ((x -= wt.idle) < wt.del)
			op_delete(w);
		else if ((x -= wt.del) < wt.crash)
			op_crash(w, false);
		else if ((x -= wt.crash) < wt.reboot)
			op_crash(w, true);
		else if ((x -= wt.reboot) < wt.owner_close)
			op_owner_close(w);
		else if ((x -= wt.owner_close) < wt.warp)
			op_warp(w);
		else if ((x -= wt.warp) < wt.spike)
			op_spike(w);
		else if ((x -= wt.spike) < wt.outage)
			op_outage(w);
		else if ((x -= wt.outage) < wt.drain)
			op_drain(w);
		else if ((x -= wt.drain) < wt.lie)
			op_lie(w);
		else if ((x -= wt.lie) < wt.rekey)
			op_rekey(w);
		else if ((x -= wt.rekey) < wt.expire)
			op_expire(w);
		else
			op_dest_close(w);
		for (size_t i = 0; i < w->nsettles; i++)
			sim_settle_request(w, w->settles[i]);
		switch (sim_rng_below(&w->rng, 10)) {
		case 0:
			dt = sim_rng_range(&w->rng, 3000, 30000);
			break;
		case 1:
		case 2:
		case 3:
		case 4:
			dt = sim_rng_range(&w->rng, 400, 3000);
			break;
		default:
			dt = sim_rng_range(&w->rng, 0, 400);
			break;
		}
		sim_run_until(w, w->now + dt);
		check_step(w);
	}
}

static void abort_handler(int sig)
{
	static const char head[] = "\n--- trace (last steps) ---\n";

	if (report_fd >= 0) {
		char line[160];
		int n = snprintf(line, sizeof(line),
				 "seed %" PRIu64 ": FAIL at step %" PRIu64
				 ": INVARIANT engine-aborted: signal %d\n",
				 g_sim ? g_sim->seed : 0,
				 g_sim ? g_sim->step : 0, sig);

		if (n > 0 && write(report_fd, line, (size_t)n) < 0)
			_exit(3);
		if (write(report_fd, head, sizeof(head) - 1) < 0)
			_exit(3);
		sim_trace_dump(report_fd, g_sim && g_sim->step > SIM_TRACE_STEPS
					      ? g_sim->step - SIM_TRACE_STEPS
					      : 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_dir(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		fprintf(stderr, "sim: could not remove %s\n", dir);
}

static void summary(struct sim *w, char *out, size_t cap)
{
	snprintf(out, cap,
		 "alice settled %" PRIu64 " drops, bob's connector credited "
		 "%" PRIu64 "; bob settled %" PRIu64
		 ", alice's connector credited %" PRIu64
		 "; %zu channels; BROKEN lines: alice %" PRIu64
		 ", bob %" PRIu64,
		 w->e[0].settled_drops, w->credited[1], w->e[1].settled_drops,
		 w->credited[0], w->L.nchans, w->e[0].brokens, w->e[1].brokens);
}

/* Runs one seed; returns 0 when every invariant held.  The report goes to
 * fd (always with verbose, else only on failure). */
static int run_seed(uint64_t seed, uint64_t steps, const char *tmp, int fd,
		    int verbose)
{
	static struct sim world;
	struct sim *w = &world;
	struct cr_account_id fid;
	char line[1200];
	int n;

	memset(w, 0, sizeof(*w));
	g_sim = w;
	sim_log_flush();
	w->seed = seed;
	w->verbose = verbose;
	report_fd = fd;
	sim_rng_seed(&w->rng, seed);
	sim_trace_reset();
	/* Somewhere in 2026-2030, on a second boundary. */
	w->t0 = w->now =
	    (1767225600LL + (int64_t)sim_rng_below(&w->rng, 4 * 31536000LL)) *
	    1000;
	snprintf(w->dir, sizeof(w->dir), "%s/seed-%" PRIu64, tmp, seed);
	if (mkdir(w->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "sim: mkdir %s: %s\n", w->dir, strerror(errno));
		return 2;
	}
	pick_knobs(w);
	sim_ledger_init(w);
	for (size_t i = 0; i < sizeof(fid.b); i++)
		fid.b[i] = (uint8_t)(0xf0 + i);
	faucet = sim_account_add(w, &fid, 100000000 * SIM_XRP);
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_setup(w, &w->e[i], i);
	knobs_line(w, line, sizeof(line));
	sim_trace("seed %" PRIu64 ": %s", seed, line);
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_start(w, &w->e[i]);
	sim_at(w, w->now + sim_rng_range(&w->rng, 100, 4000), sim_ledger_close,
	       NULL);
	for (int i = 0; i < SIM_NENG; i++)
		account_job(w, &w->e[i], SIM_JOB_ACCOUNT_CREATE);
	sim_run_until(w, w->now + 1000);
	run_ops(w, steps);
	if (!w->failed)
		quiet(w);
	if (!w->failed)
		check_step(w);
	if (!w->failed)
		check_end(w);
	sim_log_flush();
	if (w->failed || verbose) {
		if (w->failed)
			n = snprintf(line, sizeof(line),
				     "seed %" PRIu64 ": FAIL at step %" PRIu64
				     " (t=+%lld.%03lld s): INVARIANT %s: %s\n",
				     seed, w->fail_step,
				     (long long)((w->fail_ms - w->t0) / 1000),
				     (long long)((w->fail_ms - w->t0) % 1000),
				     w->fail_inv, w->fail_msg);
		else
			n = snprintf(line, sizeof(line),
				     "seed %" PRIu64 ": pass\n", seed);
		if (write(fd, line, (size_t)n) < 0)
			return 2;
		knobs_line(w, line, sizeof(line));
		dprintf(fd, "  %s\n", line);
		summary(w, line, sizeof(line));
		dprintf(fd, "  %s\n", line);
		dump_state(w, fd);
		dprintf(fd,
			"  replay: scripts/sim --seed %" PRIu64
			" --steps %" PRIu64 " -v\n",
			seed, steps);
		dprintf(fd, "--- trace (last %d steps) ---\n", SIM_TRACE_STEPS);
		sim_trace_dump(fd, verbose > 0 || w->step <= SIM_TRACE_STEPS
				       ? 0
				       : w->step - SIM_TRACE_STEPS);
	}
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_destroy(w, &w->e[i]);
	sim_heap_free(w);
	sim_ledger_free(w);
	rm_dir(w->dir);
	return w->failed ? 1 : 0;
}

/* ---- the runner -----------------------------------------------------------------*/

struct child {
	pid_t pid;
	uint64_t seed;
};

/* The invariant named in a report's first line ("" when it passed). */
static void report_invariant(const char *path, char *inv, size_t cap)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	const char *p;

	inv[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (p = strstr(buf, "INVARIANT "))) {
		size_t n = strcspn(p + 10, ": \n");

		snprintf(inv, cap, "%.*s", (int)n, p + 10);
	}
	fclose(f);
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: xrpse_sim [--seeds N] [--first-seed S] [--steps M] "
	    "[--jobs J]\n"
	    "       xrpse_sim --seed S [--steps M] [-v|-vv]\n"
	    "       xrpse_sim --seed-list S1[:INVARIANT],S2,... [--steps M] "
	    "[--keep-going]\n"
	    "  S:INVARIANT: the seed is a known defect's; the run exits 1 "
	    "while\n  any such seed still fails with its invariant, 0 once "
	    "none does\n");
	exit(2);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output of a seed, printed in seed order once every earlier one is done.
 */
static char **outs;
static bool *ready;
static size_t flushed;

static void out_add(size_t idx, const char *text, size_t len)
{
	size_t old = outs[idx] ? strlen(outs[idx]) : 0;
	char *n = realloc(outs[idx], old + len + 1);

	if (!n)
		abort();
	memcpy(n + old, text, len);
	n[old + len] = '\0';
	outs[idx] = n;
}

static void out_printf(size_t idx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out_printf(size_t idx, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_add(idx, buf,
			(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The report at path (its first line only, or all of it). */
static void out_file(size_t idx, const char *path, bool first_line)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (first_line) {
		if (fgets(buf, sizeof(buf), f))
			out_add(idx, buf, strlen(buf));
	} else {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			out_add(idx, buf, n);
	}
	fclose(f);
}

static void out_flush(size_t nlist)
{
	while (flushed < nlist && ready[flushed]) {
		if (outs[flushed])
			fputs(outs[flushed], stdout);
		free(outs[flushed]);
		outs[flushed] = NULL;
		flushed++;
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t nseeds = 100, first = 1, steps = DEFAULT_STEPS, one = 0;
	static uint64_t *list;
	static char(*expect)[48];
	size_t nlist = 0, nexpect = 0, nrepro = 0;
	bool single = false, keep_going = false;
	int verbose = 0;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	char tmp[128];
	struct xu_err err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seeds") && v)
			nseeds = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--first-seed") && v)
			first = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--steps") && v)
			steps = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--jobs") && v)
			jobs = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--seed") && v) {
			one = strtoull(argv[++i], NULL, 10);
			single = true;
		} else if (!strcmp(a, "--seed-list") && v) {
			char *s = argv[++i], *end;

			while (*s) {
				list =
				    realloc(list, (nlist + 1) * sizeof(*list));
				expect = realloc(expect,
						 (nlist + 1) * sizeof(*expect));
				if (!list || !expect)
					abort();
				expect[nlist][0] = '\0';
				list[nlist] = strtoull(s, &end, 10);
				if (end == s)
					usage();
				if (*end == ':') {
					size_t n = strcspn(end + 1, ",");

					snprintf(expect[nlist],
						 sizeof(expect[0]), "%.*s",
						 (int)n, end + 1);
					end += 1 + n;
					nexpect++;
				}
				nlist++;
				s = *end == ',' ? end + 1 : end;
			}
		} else if (!strcmp(a, "--keep-going"))
			keep_going = true;
		else if (!strcmp(a, "--abort-at-step") && v)
			abort_at_step = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "-v"))
			verbose = 1;
		else if (!strcmp(a, "-vv"))
			verbose = 2;
		else
			usage();
	}
	if (jobs < 1)
		jobs = 1;
	if (nexpect)
		keep_going = true;
	signal(SIGPIPE, SIG_IGN);
	if (cr_init(&err) != XU_OK) {
		fprintf(stderr, "sim: %s\n", err.msg);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/xrpse-sim-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "sim: mkdir %s: %s\n", tmp, strerror(errno));
		return 2;
	}
	if (single) {
		nlist = 1;
		list = realloc(list, sizeof(*list));
		list[0] = one;
		jobs = 1;
	}
	if (!nlist) {
		list = calloc(nseeds ? nseeds : 1, sizeof(*list));
		if (!list)
			abort();
		for (uint64_t i = 0; i < nseeds; i++)
			list[i] = first + i;
		nlist = (size_t)nseeds;
	}

	static struct child *kids;

	kids = calloc((size_t)jobs, sizeof(*kids));
	outs = calloc(nlist ? nlist : 1, sizeof(*outs));
	ready = calloc(nlist ? nlist : 1, sizeof(*ready));
	if (!outs || !ready)
		abort();
	size_t next = 0, done = 0, running = 0, nfail = 0;
	uint64_t first_fail = UINT64_MAX;
	size_t first_fail_idx = SIZE_MAX;
	int64_t t0 = mono_ms();
	char path[200];

	if (!kids)
		abort();
	while (done < nlist) {
		while (running < (size_t)jobs && next < nlist &&
		       (keep_going || next < first_fail_idx)) {
			uint64_t seed = list[next];
			int fd;
			pid_t pid;

			snprintf(path, sizeof(path), "%s/seed-%" PRIu64 ".out",
				 tmp, seed);
			fflush(stdout);
			pid = fork();
			if (pid < 0) {
				perror("fork");
				return 2;
			}
			if (pid == 0) {
				fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
					  0600);
				if (fd < 0)
					_exit(2);
				signal(SIGABRT, abort_handler);
				signal(SIGSEGV, abort_handler);
				signal(SIGBUS, abort_handler);
				signal(SIGFPE, abort_handler);
				exit(run_seed(seed, steps, tmp, fd, verbose));
			}
			for (long k = 0; k < jobs; k++)
				if (!kids[k].pid) {
					kids[k].pid = pid;
					kids[k].seed = seed;
					break;
				}
			running++;
			next++;
		}
		if (!running)
			break;
		int status;
		pid_t pid = wait(&status);

		if (pid < 0) {
			perror("wait");
			return 2;
		}
		for (long k = 0; k < jobs; k++) {
			bool failed;
			uint64_t seed;
			size_t idx;

			if (kids[k].pid != pid)
				continue;
			seed = kids[k].seed;
			kids[k].pid = 0;
			running--;
			done++;
			for (idx = 0; idx < nlist && list[idx] != seed; idx++)
				;
			failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
			snprintf(path, sizeof(path), "%s/seed-%" PRIu64 ".out",
				 tmp, seed);
			if (idx < nlist && expect && expect[idx][0]) {
				char inv[64];

				report_invariant(path, inv, sizeof(inv));
				if (!WIFEXITED(status))
					snprintf(inv, sizeof(inv),
						 "engine-aborted");
				if (!strcmp(inv, expect[idx])) {
					nrepro++;
					out_printf(idx,
						   "seed %" PRIu64
						   ": still fails with %s "
						   "(known defect)\n",
						   seed, inv);
				} else {
					out_printf(
					    idx,
					    "seed %" PRIu64
					    ": no longer fails with %s "
					    "(now: %s): flip its WILL_FAIL\n",
					    seed, expect[idx],
					    inv[0] ? inv : "pass");
				}
			} else if (failed) {
				nfail++;
				if (!WIFEXITED(status))
					out_printf(idx,
						   "seed %" PRIu64
						   ": killed by signal %d\n",
						   seed, WTERMSIG(status));
				else if (WEXITSTATUS(status) != 1)
					out_printf(idx,
						   "seed %" PRIu64
						   ": exit status %d (a "
						   "sanitizer? see stderr)\n",
						   seed, WEXITSTATUS(status));
				if (single || verbose)
					out_file(idx, path, false);
				else if (keep_going)
					out_file(idx, path, true);
				if (idx < first_fail_idx) {
					first_fail_idx = idx;
					first_fail = seed;
				}
			} else if (single || verbose) {
				out_file(idx, path, false);
			}
			if (!failed || keep_going || single || verbose ||
			    (expect && expect[idx][0]))
				unlink(path);
			snprintf(path, sizeof(path), "%s/seed-%" PRIu64, tmp,
				 seed);
			rm_dir(path);
			ready[idx] = true;
			out_flush(nlist);
		}
	}
	double secs = (double)(mono_ms() - t0) / 1000.0;

	for (size_t i = flushed; i < nlist; i++)
		if (ready[i] && outs[i]) {
			fputs(outs[i], stdout);
			free(outs[i]);
			outs[i] = NULL;
		}
	if (first_fail != UINT64_MAX && !single && !verbose && !keep_going) {
		snprintf(path, sizeof(path), "%s/seed-%" PRIu64 ".out", tmp,
			 first_fail);
		out_file(first_fail_idx, path, false);
		if (outs[first_fail_idx])
			fputs(outs[first_fail_idx], stdout);
		free(outs[first_fail_idx]);
		outs[first_fail_idx] = NULL;
	}
	if (nexpect)
		printf("%zu seeds, %zu still fail with their known defect's "
		       "invariant, %.1f s, %.2f seeds/s\n",
		       done, nrepro, secs,
		       secs > 0 ? (double)done / secs : 0.0);
	else
		printf("%zu seeds, %zu failed, %.1f s, %.2f seeds/s\n", done,
		       nfail, secs, secs > 0 ? (double)done / secs : 0.0);
	rm_dir(tmp);
	free(kids);
	free(list);
	free(expect);
	free(outs);
	free(ready);
	if (nexpect)
		return nrepro ? 1 : 0;
	return nfail ? 1 : 0;
}
