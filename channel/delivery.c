/* Claim delivery (see delivery.h): the per-account machine that decides
 * when the newest outgoing claim goes to the connector, its edge table
 * and its names.
 *
 * An account has two attempt slots.  The current one is free, or holds
 * the newest claim whose attempt failed and waits for its retry, or one
 * attempt out, or one out with a newer committed claim waiting behind it.
 * The stalled one is empty, or holds an older attempt that was let be
 * after stall_ms so that a newer claim could go beside it.  The eight
 * states are the combinations that can happen.
 */
/* clang-format off */
/*
 *   C       COMMITTED with a claim made in that transaction
 *   T       TIMER at or after retry_at
 *   A R F   ANSWERED, REFUSED, FAILED of the current attempt
 *   old     ANSWERED, REFUSED or FAILED of the stalled attempt
 *   stall   the current attempt left stall_ms ago and a newer claim waits
 *           (looked at on every COMMITTED, TIMER and end of an attempt)
 *
 * NOTHING STALLED
 *
 *              C: SEND                   C
 *   +------+ ----------> +-----+ --------------------> +-------------+
 *   | IDLE |             | OUT |                       | OUT_WAITING |
 *   +------+ <---------- +-----+ <-------------------- +-------------+
 *              A, R       |   ^   A, R, F: SEND the       |   C: replaces
 *                       F |   |   waiting one             |   the waiting
 *                         v   | C: SEND                   |   one
 *                     +-------+ T: RETRY                  |
 *                     | RETRY |                           | stall:
 *                     +-------+                           | SEND_BESIDE
 *                                                         v to BESIDE
 * ONE STALLED ATTEMPT OUT (the same shape; the stalled one keeps its slot)
 *
 *                 C: SEND                   C
 *   +---------+ ----------> +--------+ -----------------> +----------------+
 *   | STALLED |             | BESIDE |                    | BESIDE_WAITING |
 *   +---------+ <---------- +--------+ <----------------- +----------------+
 *                 A, R       |   ^   A, R, F: SEND the       C: replaces the
 *                          F |   |   waiting one             waiting one
 *                            v   | C: SEND                   (never a third)
 *                +---------------+ T: RETRY
 *                | STALLED_RETRY |
 *                +---------------+
 *
 * BETWEEN THE TWO
 *
 *   old:    STALLED -> IDLE, STALLED_RETRY -> RETRY, BESIDE -> OUT,
 *           BESIDE_WAITING -> OUT_WAITING (then -> BESIDE at once when
 *           the current attempt has stalled meanwhile: SEND_BESIDE)
 *   stall:  OUT_WAITING -> BESIDE, SEND_BESIDE: the current attempt
 *           becomes the stalled one, the waiting claim the current one
 *
 * EVERYWHERE
 *
 *   MADE, ROLLED_BACK, SENT: no state change.  TIMER with unacked and the
 *   resend clock run out (or never started): NACK, besides the above.
 */
/* clang-format on */
/*
 * The behaviour this keeps (the service's former per-account claim
 * booleans with the outbox's former latest-wins scheduling, both replaced
 * by this machine), with the rules that were implicit there made explicit
 * (marked "explicit:" in the code below):
 *  - claims made in a transaction become due at its commit, are dropped by
 *    its rollback, and the last one made wins (src/paychan/to_peer.c
 *    dlv_made, dlv_tx_ended);
 *  - one attempt out, the newest next;
 *  - after stall_ms the newest goes beside, never a third (the service's
 *    claim_stall_ms);
 *  - every end of an attempt lets the waiting claim go
 *    (src/paychan/answers.c on_claim_answer);
 *  - only the newest claim's failed attempt is retried, after the outbox's
 *    backoff (eng_outbox_backoff_ms), unless a newer claim comes;
 *  - a NACK every resend_ms while unacknowledged (src/paychan/tick.c
 *    tick_resend_claims).
 */
#include "channel/delivery.h"

#include <string.h>

#include "src/util/err.h"

/* Allowed edges [old][new]: the diagram above. */
static const bool edges[PC_DLV_NSTATES][PC_DLV_NSTATES] = {
    [PC_DLV_IDLE] = {[PC_DLV_OUT] = true},
    [PC_DLV_OUT] = {[PC_DLV_IDLE] = true,
		    [PC_DLV_OUT_WAITING] = true,
		    [PC_DLV_RETRY] = true},
    [PC_DLV_OUT_WAITING] = {[PC_DLV_OUT] = true, [PC_DLV_BESIDE] = true},
    [PC_DLV_BESIDE] = {[PC_DLV_OUT] = true,
		       [PC_DLV_BESIDE_WAITING] = true,
		       [PC_DLV_STALLED] = true,
		       [PC_DLV_STALLED_RETRY] = true},
    [PC_DLV_BESIDE_WAITING] =
	{[PC_DLV_OUT_WAITING] = true, [PC_DLV_BESIDE] = true},
    [PC_DLV_STALLED] = {[PC_DLV_IDLE] = true, [PC_DLV_BESIDE] = true},
    [PC_DLV_RETRY] = {[PC_DLV_OUT] = true},
    [PC_DLV_STALLED_RETRY] = {[PC_DLV_BESIDE] = true, [PC_DLV_RETRY] = true},
};

bool pc_dlv_edge_ok(enum pc_dlv_state old, enum pc_dlv_state new_state)
{
	if ((unsigned)old >= PC_DLV_NSTATES ||
	    (unsigned)new_state >= PC_DLV_NSTATES)
		return false;
	return edges[old][new_state];
}

static void set_state(struct pc_dlv *d, enum pc_dlv_state old,
		      enum pc_dlv_state new_state)
{
	XU_ASSERT(d->state == old);
	XU_ASSERT(pc_dlv_edge_ok(old, new_state));
	d->state = new_state;
}

static const struct pc_dlv_claim none;

/* Which fields a state uses: a current claim (out), a waiting one, a
 * stalled attempt. */
static void uses(enum pc_dlv_state s, bool *out, bool *waiting, bool *stalled)
{
	*out = *waiting = *stalled = false;
	switch (s) {
	case PC_DLV_IDLE:
		return;
	case PC_DLV_OUT:
	case PC_DLV_RETRY:
		*out = true;
		return;
	case PC_DLV_OUT_WAITING:
		*out = *waiting = true;
		return;
	case PC_DLV_BESIDE:
	case PC_DLV_STALLED_RETRY:
		*out = *stalled = true;
		return;
	case PC_DLV_BESIDE_WAITING:
		*out = *waiting = *stalled = true;
		return;
	case PC_DLV_STALLED:
		*stalled = true;
		return;
	}
	XU_UNREACHABLE("bad delivery state");
}

/* The invariants, before and after every step: the fields match the
 * state, and seqs grow from the stalled attempt to the claim made. */
static void check(const struct pc_dlv *d)
{
	bool out, waiting, stalled;

	XU_ASSERT((unsigned)d->state < PC_DLV_NSTATES);
	uses(d->state, &out, &waiting, &stalled);
	XU_ASSERT((d->out.seq != 0) == out);
	XU_ASSERT((d->waiting.seq != 0) == waiting);
	XU_ASSERT((d->stalled.seq != 0) == stalled);
	XU_ASSERT(!stalled || d->stalled.seq < d->out.seq ||
		  d->state == PC_DLV_STALLED);
	XU_ASSERT(!waiting || d->out.seq < d->waiting.seq);
	XU_ASSERT(d->made.seq <= d->seq && d->waiting.seq <= d->seq &&
		  d->out.seq <= d->seq);
	XU_ASSERT(d->made.seq == 0 ||
		  (d->made.seq > d->out.seq && d->made.seq > d->waiting.seq &&
		   d->made.seq > d->stalled.seq));
}

static void push(struct pc_dlv_effects *fx, enum pc_dlv_fx_kind k,
		 const struct pc_dlv_claim *c, uint64_t stalled)
{
	struct pc_dlv_effect *e;

	XU_ASSERT(fx->n < PC_DLV_MAX_EFFECTS);
	e = &fx->v[fx->n++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	if (c != NULL) {
		e->seq = c->seq;
		e->amount = c->amount;
	}
	e->stalled = stalled;
}

/* Claim c takes the current slot (its first attempt): SEND, or
 * SEND_BESIDE when d->stalled was just let be. */
static void go(struct pc_dlv *d, struct pc_dlv_claim c, enum pc_dlv_fx_kind k,
	       struct pc_dlv_effects *fx)
{
	d->out = c;
	d->out_ms = 0;
	d->fails = 0;
	push(fx, k, &c, k == PC_DLV_FX_SEND_BESIDE ? d->stalled.seq : 0);
}

/* The current attempt left stall_ms ago.  Explicit: the stall clock runs
 * from the attempt's departure (SENT), never from the
 * hand-over, and an attempt that has not left cannot stall. */
static bool stalled_now(const struct pc_dlv *d, int64_t now)
{
	return d->stall_ms != 0 && d->out_ms != 0 &&
	       now - d->out_ms >= (int64_t)d->stall_ms;
}

/* The stall rule: in OUT_WAITING, once the current attempt has stalled,
 * it is let be and the waiting claim goes beside it.  Explicit: looked at
 * on every COMMITTED (every commit of the service's), TIMER (its tick)
 * and end of an attempt (an answer); never with two out. */
static void look(struct pc_dlv *d, int64_t now, struct pc_dlv_effects *fx)
{
	if (d->state != PC_DLV_OUT_WAITING || !stalled_now(d, now))
		return;
	d->stalled = d->out;
	set_state(d, PC_DLV_OUT_WAITING, PC_DLV_BESIDE);
	go(d, d->waiting, PC_DLV_FX_SEND_BESIDE, fx);
	d->waiting = none;
}

static void on_committed(struct pc_dlv *d, int64_t now,
			 struct pc_dlv_effects *fx)
{
	struct pc_dlv_claim c = d->made;

	d->made = none;
	if (c.seq == 0) {
		look(d, now, fx);
		return;
	}
	switch (d->state) {
	case PC_DLV_IDLE:
		set_state(d, PC_DLV_IDLE, PC_DLV_OUT);
		go(d, c, PC_DLV_FX_SEND, fx);
		return;
	case PC_DLV_RETRY:
		/* A failure lets the newest go at once: the backoff was for
		 * the failed claim only. */
		set_state(d, PC_DLV_RETRY, PC_DLV_OUT);
		go(d, c, PC_DLV_FX_SEND, fx);
		return;
	case PC_DLV_STALLED:
		/* Explicit: the stalled attempt holds its own slot; the
		 * current one is free. */
		set_state(d, PC_DLV_STALLED, PC_DLV_BESIDE);
		go(d, c, PC_DLV_FX_SEND, fx);
		return;
	case PC_DLV_STALLED_RETRY:
		set_state(d, PC_DLV_STALLED_RETRY, PC_DLV_BESIDE);
		go(d, c, PC_DLV_FX_SEND, fx);
		return;
	case PC_DLV_OUT:
		d->waiting = c;
		set_state(d, PC_DLV_OUT, PC_DLV_OUT_WAITING);
		look(d, now, fx);
		return;
	case PC_DLV_OUT_WAITING:
		/* Latest wins: the claim waiting is never sent. */
		d->waiting = c;
		look(d, now, fx);
		return;
	case PC_DLV_BESIDE:
		d->waiting = c;
		set_state(d, PC_DLV_BESIDE, PC_DLV_BESIDE_WAITING);
		return;
	case PC_DLV_BESIDE_WAITING:
		d->waiting = c;
		return;
	}
}

static void on_sent(struct pc_dlv *d, const struct pc_dlv_event *ev)
{
	switch (d->state) {
	case PC_DLV_OUT:
	case PC_DLV_OUT_WAITING:
	case PC_DLV_BESIDE:
	case PC_DLV_BESIDE_WAITING:
		break;
	case PC_DLV_IDLE:
	case PC_DLV_STALLED:
	case PC_DLV_RETRY:
	case PC_DLV_STALLED_RETRY:
		XU_UNREACHABLE("SENT with no attempt to send");
		return;
	}
	XU_ASSERT(ev->seq == d->out.seq);
	XU_ASSERT(d->out_ms == 0); /* once per attempt */
	d->out_ms = ev->now_ms;
	/* A claim's first attempt restarts the resend clock; its retries
	 * leave it. */
	if (d->fails == 0)
		d->sent_ms = ev->now_ms;
}

/* The stalled attempt ended.  Explicit: it carried an older claim, so
 * whatever the outcome it is never retried; only its slot frees. */
static void stalled_ended(struct pc_dlv *d, int64_t now,
			  struct pc_dlv_effects *fx)
{
	d->stalled = none;
	switch (d->state) {
	case PC_DLV_STALLED:
		set_state(d, PC_DLV_STALLED, PC_DLV_IDLE);
		return;
	case PC_DLV_STALLED_RETRY:
		set_state(d, PC_DLV_STALLED_RETRY, PC_DLV_RETRY);
		return;
	case PC_DLV_BESIDE:
		set_state(d, PC_DLV_BESIDE, PC_DLV_OUT);
		return;
	case PC_DLV_BESIDE_WAITING:
		set_state(d, PC_DLV_BESIDE_WAITING, PC_DLV_OUT_WAITING);
		look(d, now, fx);
		return;
	case PC_DLV_IDLE:
	case PC_DLV_OUT:
	case PC_DLV_OUT_WAITING:
	case PC_DLV_RETRY:
		break;
	}
	XU_UNREACHABLE("no stalled attempt");
}

/* The current attempt ended: answered or refused (failed false), or
 * failed (retried after retry_ms when it carried the newest claim). */
static void current_ended(struct pc_dlv *d, bool failed, int64_t now,
			  uint32_t retry_ms, struct pc_dlv_effects *fx)
{
	switch (d->state) {
	case PC_DLV_OUT_WAITING:
		/* Whatever the outcome, the waiting claim goes at once. */
		set_state(d, PC_DLV_OUT_WAITING, PC_DLV_OUT);
		go(d, d->waiting, PC_DLV_FX_SEND, fx);
		d->waiting = none;
		return;
	case PC_DLV_BESIDE_WAITING:
		set_state(d, PC_DLV_BESIDE_WAITING, PC_DLV_BESIDE);
		go(d, d->waiting, PC_DLV_FX_SEND, fx);
		d->waiting = none;
		return;
	case PC_DLV_OUT:
	case PC_DLV_BESIDE:
		break;
	case PC_DLV_IDLE:
	case PC_DLV_STALLED:
	case PC_DLV_RETRY:
	case PC_DLV_STALLED_RETRY:
		XU_UNREACHABLE("no current attempt");
		return;
	}
	if (!failed) {
		/* Explicit: a refusal ends the attempt as an answer does;
		 * only a NACK (resend) sends that claim again. */
		d->out = none;
		d->out_ms = 0;
		d->fails = 0;
		set_state(d, d->state,
			  d->state == PC_DLV_OUT ? PC_DLV_IDLE
						 : PC_DLV_STALLED);
		return;
	}
	d->fails++;
	d->out_ms = 0;
	d->retry_at_ms = now + retry_ms;
	set_state(d, d->state,
		  d->state == PC_DLV_OUT ? PC_DLV_RETRY : PC_DLV_STALLED_RETRY);
}

static void on_end(struct pc_dlv *d, const struct pc_dlv_event *ev,
		   struct pc_dlv_effects *fx)
{
	bool failed = ev->kind == PC_DLV_EV_FAILED;

	XU_ASSERT(ev->seq != 0);
	if (ev->seq == d->stalled.seq) {
		stalled_ended(d, ev->now_ms, fx);
		return;
	}
	XU_ASSERT(ev->seq == d->out.seq);
	current_ended(d, failed, ev->now_ms, ev->retry_ms, fx);
}

static void on_timer(struct pc_dlv *d, const struct pc_dlv_event *ev,
		     struct pc_dlv_effects *fx)
{
	int64_t now = ev->now_ms;

	look(d, now, fx);
	/* Explicit: a retry goes on a TIMER only, never in the step that
	 * reported the failure (a caller failing at once cannot loop). */
	if ((d->state == PC_DLV_RETRY || d->state == PC_DLV_STALLED_RETRY) &&
	    now >= d->retry_at_ms) {
		set_state(d, d->state,
			  d->state == PC_DLV_RETRY ? PC_DLV_OUT
						   : PC_DLV_BESIDE);
		d->out_ms = 0;
		push(fx, PC_DLV_FX_RETRY, &d->out, 0);
	}
	/* Explicit: in every state (a NACK's RESEND_CLAIM is one more MADE,
	 * which the slots above govern), and the clock restarts whatever
	 * the channel makes of the NACK (tick_tx: "also when nothing is
	 * sent"). */
	if (ev->unacked &&
	    (d->sent_ms == 0 || now - d->sent_ms >= (int64_t)d->resend_ms)) {
		d->sent_ms = now;
		push(fx, PC_DLV_FX_NACK, NULL, 0);
	}
}

void pc_dlv_init(struct pc_dlv *d, uint32_t stall_ms, uint32_t resend_ms)
{
	XU_ASSERT(d != NULL);
	memset(d, 0, sizeof(*d));
	d->state = PC_DLV_IDLE;
	d->stall_ms = stall_ms;
	d->resend_ms = resend_ms;
}

uint32_t pc_dlv_stall_for(uint32_t rtt_us, uint32_t ceiling_ms)
{
	uint64_t ms;

	if (ceiling_ms == 0 || rtt_us == 0)
		return ceiling_ms;
	ms = ((uint64_t)rtt_us * PC_DLV_STALL_RTTS + 999) / 1000;
	if (ms < PC_DLV_STALL_MIN_MS)
		ms = PC_DLV_STALL_MIN_MS;
	return ms < ceiling_ms ? (uint32_t)ms : ceiling_ms;
}

void pc_dlv_set_stall(struct pc_dlv *d, uint32_t stall_ms)
{
	d->stall_ms = stall_ms;
}

static void apply(struct pc_dlv *d, const struct pc_dlv_event *ev,
		  struct pc_dlv_effects *fx)
{
	switch (ev->kind) {
	case PC_DLV_EV_MADE:
		/* Explicit: several in one transaction, the last wins. */
		XU_ASSERT(!xl_drops_is_zero(ev->amount));
		d->made.seq = ++d->seq;
		d->made.amount = ev->amount;
		return;
	case PC_DLV_EV_ROLLED_BACK:
		/* Explicit: only the claim made in that transaction goes; one
		 * committed earlier and waiting stays. */
		d->made = none;
		return;
	case PC_DLV_EV_COMMITTED:
		XU_ASSERT(ev->now_ms > 0);
		on_committed(d, ev->now_ms, fx);
		return;
	case PC_DLV_EV_SENT:
		XU_ASSERT(ev->now_ms > 0);
		on_sent(d, ev);
		return;
	case PC_DLV_EV_ANSWERED:
	case PC_DLV_EV_REFUSED:
	case PC_DLV_EV_FAILED:
		XU_ASSERT(ev->now_ms > 0);
		on_end(d, ev, fx);
		return;
	case PC_DLV_EV_TIMER:
		XU_ASSERT(ev->now_ms > 0);
		on_timer(d, ev, fx);
		return;
	}
	XU_UNREACHABLE("unknown delivery event");
}

void pc_dlv_step(struct pc_dlv *d, const struct pc_dlv_event *ev,
		 struct pc_dlv_effects *fx)
{
	XU_ASSERT(d != NULL && ev != NULL && fx != NULL);
	check(d);
	fx->n = 0;
	apply(d, ev, fx);
	check(d);
}

const char *pc_dlv_state_name(enum pc_dlv_state s)
{
	switch (s) {
	case PC_DLV_IDLE:
		return "idle";
	case PC_DLV_OUT:
		return "out";
	case PC_DLV_OUT_WAITING:
		return "out_waiting";
	case PC_DLV_BESIDE:
		return "beside";
	case PC_DLV_BESIDE_WAITING:
		return "beside_waiting";
	case PC_DLV_STALLED:
		return "stalled";
	case PC_DLV_RETRY:
		return "retry";
	case PC_DLV_STALLED_RETRY:
		return "stalled_retry";
	}
	return "?";
}

const char *pc_dlv_ev_name(enum pc_dlv_ev_kind k)
{
	switch (k) {
	case PC_DLV_EV_MADE:
		return "made";
	case PC_DLV_EV_COMMITTED:
		return "committed";
	case PC_DLV_EV_ROLLED_BACK:
		return "rolled_back";
	case PC_DLV_EV_SENT:
		return "sent";
	case PC_DLV_EV_ANSWERED:
		return "answered";
	case PC_DLV_EV_REFUSED:
		return "refused";
	case PC_DLV_EV_FAILED:
		return "failed";
	case PC_DLV_EV_TIMER:
		return "timer";
	}
	return "?";
}

const char *pc_dlv_fx_name(enum pc_dlv_fx_kind k)
{
	switch (k) {
	case PC_DLV_FX_SEND:
		return "send";
	case PC_DLV_FX_SEND_BESIDE:
		return "send_beside";
	case PC_DLV_FX_RETRY:
		return "retry";
	case PC_DLV_FX_NACK:
		return "nack";
	}
	return "?";
}
