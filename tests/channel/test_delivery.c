/* The claim delivery machine (channel/delivery.c): every state x event
 * combination from a canonical history reaching each state (the resulting
 * state and effects, or an abort checked in a forked child), the edge
 * table against the diagram, and the sequences the daemon relies on:
 * latest wins behind an unanswered claim, a rollback drops what it made, a
 * stalled attempt lets the newest go beside it (never a third), a resend
 * after 10 s unacknowledged, a failure lets the newest go at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "channel/delivery.h"
#include "tests/channel/chfix.h"

#define ABORT (-1)
/* Every fixture's current attempt left at T0 (ms); failed ones retry
 * RETRY_MS later. */
#define T0 1000000
#define RETRY_MS 1500

/* Which attempt an event names. */
enum who {
	W_NONE = 0, /* COMMITTED, ROLLED_BACK: nothing made first; TIMER */
	W_MADE,	    /* COMMITTED, ROLLED_BACK: a claim of 9 XRP made first */
	W_CUR,	    /* the current attempt (else a seq never given) */
	W_OLD,	    /* the stalled attempt (else a seq never given) */
	W_LAST,	    /* the last seq given (an attempt that already ended) */
};

struct row {
	int state;
	enum pc_dlv_ev_kind ev;
	enum who who;
	int64_t dt;    /* now = T0 + dt */
	bool unacked;  /* TIMER */
	bool fresh;    /* the current attempt has not left (no SENT) */
	int new_state; /* or ABORT */
	size_t n;
	enum pc_dlv_fx_kind fx[PC_DLV_MAX_EFFECTS];
};

/* --- helpers ------------------------------------------------------------ */

static struct pc_dlv_event ev_of(enum pc_dlv_ev_kind k, int64_t now,
				 uint64_t seq)
{
	struct pc_dlv_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	ev.now_ms = now;
	ev.seq = seq;
	return ev;
}

static void step(struct pc_dlv *d, const struct pc_dlv_event *ev,
		 struct pc_dlv_effects *fx)
{
	pc_dlv_step(d, ev, fx);
}

static void made(struct pc_dlv *d, uint64_t xrp)
{
	struct pc_dlv_event ev = ev_of(PC_DLV_EV_MADE, 0, 0);
	struct pc_dlv_effects fx;

	ev.amount = D(XRP(xrp));
	step(d, &ev, &fx);
	assert_int_equal(fx.n, 0);
}

static void commit(struct pc_dlv *d, int64_t now, struct pc_dlv_effects *fx)
{
	struct pc_dlv_event ev = ev_of(PC_DLV_EV_COMMITTED, now, 0);

	step(d, &ev, fx);
}

static void rollback(struct pc_dlv *d)
{
	struct pc_dlv_event ev = ev_of(PC_DLV_EV_ROLLED_BACK, 0, 0);
	struct pc_dlv_effects fx;

	step(d, &ev, &fx);
	assert_int_equal(fx.n, 0);
}

static void sent(struct pc_dlv *d, uint64_t seq, int64_t now)
{
	struct pc_dlv_event ev = ev_of(PC_DLV_EV_SENT, now, seq);
	struct pc_dlv_effects fx;

	step(d, &ev, &fx);
	assert_int_equal(fx.n, 0);
}

static void end(struct pc_dlv *d, enum pc_dlv_ev_kind k, uint64_t seq,
		int64_t now, struct pc_dlv_effects *fx)
{
	struct pc_dlv_event ev = ev_of(k, now, seq);

	ev.retry_ms = RETRY_MS;
	step(d, &ev, fx);
}

static void timer(struct pc_dlv *d, int64_t now, bool unacked,
		  struct pc_dlv_effects *fx)
{
	struct pc_dlv_event ev = ev_of(PC_DLV_EV_TIMER, now, 0);

	ev.unacked = unacked;
	step(d, &ev, fx);
}

/* Asserts fx is exactly one effect k for seq (and stalled, if not 0). */
static void expect_one(const struct pc_dlv_effects *fx, enum pc_dlv_fx_kind k,
		       uint64_t seq, uint64_t stalled)
{
	assert_int_equal(fx->n, 1);
	if (fx->v[0].kind != k)
		fail_msg("effect %s, want %s", pc_dlv_fx_name(fx->v[0].kind),
			 pc_dlv_fx_name(k));
	assert_int_equal(fx->v[0].seq, seq);
	if (stalled != 0)
		assert_int_equal(fx->v[0].stalled, stalled);
}

static void expect_state(const struct pc_dlv *d, enum pc_dlv_state s)
{
	if (d->state != s)
		fail_msg("state %s, want %s", pc_dlv_state_name(d->state),
			 pc_dlv_state_name(s));
}

/* --- every state x event ------------------------------------------------ */

/* Reaches state s by its shortest history.  The current attempt (claim 1
 * in the OUT family, claim 2 in the BESIDE family) left at T0 unless
 * fresh; in BESIDE, claim 1 left at T0 - 3000 and stalled. */
static void fixture(struct pc_dlv *d, int s, bool fresh)
{
	struct pc_dlv_effects fx;

	pc_dlv_init(d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	switch ((enum pc_dlv_state)s) {
	case PC_DLV_IDLE:
		break;
	case PC_DLV_OUT:
	case PC_DLV_OUT_WAITING:
	case PC_DLV_RETRY:
		made(d, 1);
		commit(d, T0, &fx);
		expect_one(&fx, PC_DLV_FX_SEND, 1, 0);
		if (!fresh)
			sent(d, 1, T0);
		if (s == PC_DLV_OUT_WAITING) {
			made(d, 2);
			commit(d, T0, &fx);
			assert_int_equal(fx.n, 0);
		}
		if (s == PC_DLV_RETRY) {
			end(d, PC_DLV_EV_FAILED, 1, T0, &fx);
			assert_int_equal(fx.n, 0);
		}
		break;
	case PC_DLV_BESIDE:
	case PC_DLV_BESIDE_WAITING:
	case PC_DLV_STALLED:
	case PC_DLV_STALLED_RETRY:
		made(d, 1);
		commit(d, T0 - 3000, &fx);
		expect_one(&fx, PC_DLV_FX_SEND, 1, 0);
		sent(d, 1, T0 - 3000);
		made(d, 2);
		commit(d, T0, &fx);
		expect_one(&fx, PC_DLV_FX_SEND_BESIDE, 2, 1);
		if (!fresh)
			sent(d, 2, T0);
		if (s == PC_DLV_BESIDE_WAITING) {
			made(d, 3);
			commit(d, T0, &fx);
			assert_int_equal(fx.n, 0);
		}
		if (s == PC_DLV_STALLED)
			end(d, PC_DLV_EV_ANSWERED, 2, T0, &fx);
		if (s == PC_DLV_STALLED_RETRY)
			end(d, PC_DLV_EV_FAILED, 2, T0, &fx);
		break;
	}
	expect_state(d, (enum pc_dlv_state)s);
}

#define F(...)                                                                 \
	sizeof((enum pc_dlv_fx_kind[]){__VA_ARGS__}) /                         \
	    sizeof(enum pc_dlv_fx_kind),                                       \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define F0                                                                     \
	0,                                                                     \
	{                                                                      \
		0                                                              \
	}

#define MADE PC_DLV_EV_MADE
#define COMMITTED PC_DLV_EV_COMMITTED
#define ROLLED_BACK PC_DLV_EV_ROLLED_BACK
#define SENT PC_DLV_EV_SENT
#define ANSWERED PC_DLV_EV_ANSWERED
#define REFUSED PC_DLV_EV_REFUSED
#define FAILED PC_DLV_EV_FAILED
#define TIMER PC_DLV_EV_TIMER
#define IDLE PC_DLV_IDLE
#define OUT PC_DLV_OUT
#define OUT_WAITING PC_DLV_OUT_WAITING
#define BESIDE PC_DLV_BESIDE
#define BESIDE_WAITING PC_DLV_BESIDE_WAITING
#define STALLED PC_DLV_STALLED
#define RETRY PC_DLV_RETRY
#define STALLED_RETRY PC_DLV_STALLED_RETRY
#define SEND PC_DLV_FX_SEND
#define SEND_BESIDE PC_DLV_FX_SEND_BESIDE
#define FX_RETRY PC_DLV_FX_RETRY
#define NACK PC_DLV_FX_NACK

/* state, event, who, dt, unacked, fresh -> new state, effects */
static const struct row rows[] = {
    /* IDLE: nothing out, the resend clock never started */
    {IDLE, MADE, W_NONE, 0, false, false, IDLE, F0},
    {IDLE, COMMITTED, W_MADE, 0, false, false, OUT, F(SEND)},
    {IDLE, COMMITTED, W_NONE, 0, false, false, IDLE, F0},
    {IDLE, ROLLED_BACK, W_MADE, 0, false, false, IDLE, F0},
    {IDLE, SENT, W_CUR, 0, false, false, ABORT, F0},
    {IDLE, ANSWERED, W_CUR, 0, false, false, ABORT, F0},
    {IDLE, REFUSED, W_CUR, 0, false, false, ABORT, F0},
    {IDLE, FAILED, W_CUR, 0, false, false, ABORT, F0},
    {IDLE, TIMER, W_NONE, 1000, false, false, IDLE, F0},
    /* after a start the record's unacknowledged claim: NACK at once */
    {IDLE, TIMER, W_NONE, 1000, true, false, IDLE, F(NACK)},
    /* OUT: claim 1 out since T0 */
    {OUT, MADE, W_NONE, 0, false, false, OUT, F0},
    {OUT, COMMITTED, W_MADE, 1000, false, false, OUT_WAITING, F0},
    {OUT, COMMITTED, W_MADE, 2000, false, false, BESIDE, F(SEND_BESIDE)},
    /* never left: cannot stall */
    {OUT, COMMITTED, W_MADE, 5000, false, true, OUT_WAITING, F0},
    {OUT, COMMITTED, W_NONE, 2000, false, false, OUT, F0},
    {OUT, ROLLED_BACK, W_MADE, 0, false, false, OUT, F0},
    {OUT, SENT, W_CUR, 0, false, true, OUT, F0},
    {OUT, SENT, W_CUR, 0, false, false, ABORT, F0}, /* left already */
    {OUT, ANSWERED, W_CUR, 100, false, false, IDLE, F0},
    {OUT, ANSWERED, W_OLD, 100, false, false, ABORT, F0},
    {OUT, REFUSED, W_CUR, 100, false, false, IDLE, F0},
    {OUT, FAILED, W_CUR, 100, false, false, RETRY, F0},
    {OUT, TIMER, W_NONE, 2000, false, false, OUT, F0}, /* nothing waits */
    {OUT, TIMER, W_NONE, 9999, true, false, OUT, F0},
    {OUT, TIMER, W_NONE, 10000, true, false, OUT, F(NACK)},
    /* OUT_WAITING: claim 1 out since T0, claim 2 waits */
    {OUT_WAITING, MADE, W_NONE, 0, false, false, OUT_WAITING, F0},
    {OUT_WAITING, COMMITTED, W_MADE, 1000, false, false, OUT_WAITING, F0},
    {OUT_WAITING, COMMITTED, W_MADE, 2000, false, false, BESIDE,
     F(SEND_BESIDE)},
    {OUT_WAITING, COMMITTED, W_NONE, 2000, false, false, BESIDE,
     F(SEND_BESIDE)},
    {OUT_WAITING, ROLLED_BACK, W_MADE, 0, false, false, OUT_WAITING, F0},
    {OUT_WAITING, SENT, W_CUR, 0, false, true, OUT_WAITING, F0},
    {OUT_WAITING, SENT, W_CUR, 0, false, false, ABORT, F0},
    {OUT_WAITING, SENT, W_LAST, 0, false, false, ABORT, F0}, /* waiting */
    {OUT_WAITING, ANSWERED, W_CUR, 100, false, false, OUT, F(SEND)},
    {OUT_WAITING, ANSWERED, W_OLD, 100, false, false, ABORT, F0},
    {OUT_WAITING, REFUSED, W_CUR, 100, false, false, OUT, F(SEND)},
    {OUT_WAITING, FAILED, W_CUR, 100, false, false, OUT, F(SEND)},
    {OUT_WAITING, TIMER, W_NONE, 1999, false, false, OUT_WAITING, F0},
    {OUT_WAITING, TIMER, W_NONE, 2000, false, false, BESIDE, F(SEND_BESIDE)},
    {OUT_WAITING, TIMER, W_NONE, 5000, false, true, OUT_WAITING, F0},
    {OUT_WAITING, TIMER, W_NONE, 10000, true, false, BESIDE,
     F(SEND_BESIDE, NACK)},
    /* BESIDE: claim 1 stalled, claim 2 out since T0 */
    {BESIDE, MADE, W_NONE, 0, false, false, BESIDE, F0},
    {BESIDE, COMMITTED, W_MADE, 5000, false, false, BESIDE_WAITING, F0},
    {BESIDE, COMMITTED, W_NONE, 5000, false, false, BESIDE, F0},
    {BESIDE, ROLLED_BACK, W_MADE, 0, false, false, BESIDE, F0},
    {BESIDE, SENT, W_CUR, 0, false, true, BESIDE, F0},
    {BESIDE, SENT, W_CUR, 0, false, false, ABORT, F0},
    {BESIDE, SENT, W_OLD, 0, false, true, ABORT, F0},
    {BESIDE, ANSWERED, W_CUR, 100, false, false, STALLED, F0},
    {BESIDE, REFUSED, W_CUR, 100, false, false, STALLED, F0},
    {BESIDE, FAILED, W_CUR, 100, false, false, STALLED_RETRY, F0},
    {BESIDE, ANSWERED, W_OLD, 100, false, false, OUT, F0},
    {BESIDE, REFUSED, W_OLD, 100, false, false, OUT, F0},
    {BESIDE, FAILED, W_OLD, 100, false, false, OUT, F0}, /* not retried */
    {BESIDE, TIMER, W_NONE, 5000, false, false, BESIDE, F0},
    {BESIDE, TIMER, W_NONE, 10000, true, false, BESIDE, F(NACK)},
    /* BESIDE_WAITING: 1 stalled, 2 out since T0, 3 waits */
    {BESIDE_WAITING, MADE, W_NONE, 0, false, false, BESIDE_WAITING, F0},
    /* never a third */
    {BESIDE_WAITING, COMMITTED, W_MADE, 5000, false, false, BESIDE_WAITING, F0},
    {BESIDE_WAITING, COMMITTED, W_NONE, 5000, false, false, BESIDE_WAITING, F0},
    {BESIDE_WAITING, ROLLED_BACK, W_MADE, 0, false, false, BESIDE_WAITING, F0},
    {BESIDE_WAITING, SENT, W_CUR, 0, false, true, BESIDE_WAITING, F0},
    {BESIDE_WAITING, SENT, W_CUR, 0, false, false, ABORT, F0},
    {BESIDE_WAITING, ANSWERED, W_CUR, 100, false, false, BESIDE, F(SEND)},
    {BESIDE_WAITING, REFUSED, W_CUR, 100, false, false, BESIDE, F(SEND)},
    {BESIDE_WAITING, FAILED, W_CUR, 100, false, false, BESIDE, F(SEND)},
    {BESIDE_WAITING, ANSWERED, W_OLD, 1000, false, false, OUT_WAITING, F0},
    {BESIDE_WAITING, REFUSED, W_OLD, 1000, false, false, OUT_WAITING, F0},
    {BESIDE_WAITING, FAILED, W_OLD, 1000, false, false, OUT_WAITING, F0},
    /* the current one has stalled meanwhile: the waiting goes beside */
    {BESIDE_WAITING, ANSWERED, W_OLD, 2000, false, false, BESIDE,
     F(SEND_BESIDE)},
    {BESIDE_WAITING, TIMER, W_NONE, 5000, false, false, BESIDE_WAITING, F0},
    {BESIDE_WAITING, TIMER, W_NONE, 10000, true, false, BESIDE_WAITING,
     F(NACK)},
    /* STALLED: only claim 1 (stalled) out; 2 answered at T0 */
    {STALLED, MADE, W_NONE, 0, false, false, STALLED, F0},
    {STALLED, COMMITTED, W_MADE, 100, false, false, BESIDE, F(SEND)},
    {STALLED, COMMITTED, W_NONE, 100, false, false, STALLED, F0},
    {STALLED, ROLLED_BACK, W_MADE, 0, false, false, STALLED, F0},
    {STALLED, SENT, W_CUR, 0, false, false, ABORT, F0},
    {STALLED, SENT, W_OLD, 0, false, false, ABORT, F0},
    {STALLED, ANSWERED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED, ANSWERED, W_LAST, 100, false, false, ABORT, F0}, /* twice */
    {STALLED, REFUSED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED, FAILED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED, ANSWERED, W_OLD, 100, false, false, IDLE, F0},
    {STALLED, REFUSED, W_OLD, 100, false, false, IDLE, F0},
    {STALLED, FAILED, W_OLD, 100, false, false, IDLE, F0},
    {STALLED, TIMER, W_NONE, 5000, false, false, STALLED, F0},
    {STALLED, TIMER, W_NONE, 10000, true, false, STALLED, F(NACK)},
    /* RETRY: claim 1 failed at T0, again at T0 + 1500 */
    {RETRY, MADE, W_NONE, 0, false, false, RETRY, F0},
    /* a failure lets the newest go at once */
    {RETRY, COMMITTED, W_MADE, 100, false, false, OUT, F(SEND)},
    /* retries go on a TIMER only */
    {RETRY, COMMITTED, W_NONE, 2000, false, false, RETRY, F0},
    {RETRY, ROLLED_BACK, W_MADE, 0, false, false, RETRY, F0},
    {RETRY, SENT, W_CUR, 0, false, false, ABORT, F0},
    {RETRY, ANSWERED, W_CUR, 100, false, false, ABORT, F0},
    {RETRY, REFUSED, W_CUR, 100, false, false, ABORT, F0},
    {RETRY, FAILED, W_CUR, 100, false, false, ABORT, F0},
    {RETRY, TIMER, W_NONE, RETRY_MS - 1, false, false, RETRY, F0},
    {RETRY, TIMER, W_NONE, RETRY_MS, false, false, OUT, F(FX_RETRY)},
    {RETRY, TIMER, W_NONE, 10000, true, false, OUT, F(FX_RETRY, NACK)},
    /* STALLED_RETRY: 1 stalled out, 2 failed at T0 */
    {STALLED_RETRY, MADE, W_NONE, 0, false, false, STALLED_RETRY, F0},
    {STALLED_RETRY, COMMITTED, W_MADE, 100, false, false, BESIDE, F(SEND)},
    {STALLED_RETRY, COMMITTED, W_NONE, 2000, false, false, STALLED_RETRY, F0},
    {STALLED_RETRY, ROLLED_BACK, W_MADE, 0, false, false, STALLED_RETRY, F0},
    {STALLED_RETRY, SENT, W_CUR, 0, false, false, ABORT, F0},
    {STALLED_RETRY, ANSWERED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED_RETRY, REFUSED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED_RETRY, FAILED, W_CUR, 100, false, false, ABORT, F0},
    {STALLED_RETRY, ANSWERED, W_OLD, 100, false, false, RETRY, F0},
    {STALLED_RETRY, REFUSED, W_OLD, 100, false, false, RETRY, F0},
    {STALLED_RETRY, FAILED, W_OLD, 100, false, false, RETRY, F0},
    {STALLED_RETRY, TIMER, W_NONE, RETRY_MS - 1, false, false, STALLED_RETRY,
     F0},
    {STALLED_RETRY, TIMER, W_NONE, RETRY_MS, false, false, BESIDE, F(FX_RETRY)},
    {STALLED_RETRY, TIMER, W_NONE, 10000, true, false, BESIDE,
     F(FX_RETRY, NACK)},
};

struct call {
	struct pc_dlv d;
	struct pc_dlv_event ev;
};

static void run_call(void *arg)
{
	struct call *c = arg;
	struct pc_dlv_effects fx;

	pc_dlv_step(&c->d, &c->ev, &fx);
}

static uint64_t seq_of(const struct pc_dlv *d, enum who w)
{
	switch (w) {
	case W_NONE:
	case W_MADE:
		return 0;
	case W_CUR:
		return d->out.seq ? d->out.seq : d->seq + 1;
	case W_OLD:
		return d->stalled.seq ? d->stalled.seq : d->seq + 1;
	case W_LAST:
		return d->seq;
	}
	return 0;
}

static void test_delivery_every_state_event(void **state)
{
	bool seen[PC_DLV_NSTATES][PC_DLV_EV_LAST + 1];

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct call c;
		struct pc_dlv_effects fx;

		memset(&c, 0, sizeof(c));
		fixture(&c.d, r->state, r->fresh);
		if (r->who == W_MADE)
			made(&c.d, 9);
		c.ev = ev_of(r->ev, T0 + r->dt, seq_of(&c.d, r->who));
		c.ev.unacked = r->unacked;
		c.ev.retry_ms = RETRY_MS;
		if (r->ev == MADE)
			c.ev.amount = D(XRP(9));
		seen[r->state][r->ev] = true;
		if (r->new_state == ABORT) {
			if (!fx_aborts(run_call, &c))
				fail_msg("row %zu (%s x %s) did not abort", i,
					 pc_dlv_state_name(r->state),
					 pc_dlv_ev_name(r->ev));
			continue;
		}
		pc_dlv_step(&c.d, &c.ev, &fx);
		if ((int)c.d.state != r->new_state)
			fail_msg("row %zu (%s x %s): state %s, want %s", i,
				 pc_dlv_state_name(r->state),
				 pc_dlv_ev_name(r->ev),
				 pc_dlv_state_name(c.d.state),
				 pc_dlv_state_name(r->new_state));
		if (fx.n != r->n)
			fail_msg("row %zu (%s x %s): %zu effects, want %zu", i,
				 pc_dlv_state_name(r->state),
				 pc_dlv_ev_name(r->ev), fx.n, r->n);
		for (size_t k = 0; k < fx.n; k++)
			if (fx.v[k].kind != r->fx[k])
				fail_msg("row %zu (%s x %s): effect %zu is %s, "
					 "want %s",
					 i, pc_dlv_state_name(r->state),
					 pc_dlv_ev_name(r->ev), k,
					 pc_dlv_fx_name(fx.v[k].kind),
					 pc_dlv_fx_name(r->fx[k]));
	}
	/* The table covers every combination. */
	for (int s = 0; s < PC_DLV_NSTATES; s++)
		for (int k = PC_DLV_EV_FIRST; k <= PC_DLV_EV_LAST; k++)
			if (!seen[s][k])
				fail_msg(
				    "missing row: %s x %s",
				    pc_dlv_state_name((enum pc_dlv_state)s),
				    pc_dlv_ev_name((enum pc_dlv_ev_kind)k));
}

/* The diagram of delivery.c, as edges. */
static void test_delivery_edges(void **state)
{
	static const int ok[][2] = {
	    {IDLE, OUT},
	    {OUT, IDLE},
	    {OUT, OUT_WAITING},
	    {OUT, RETRY},
	    {OUT_WAITING, OUT},
	    {OUT_WAITING, BESIDE},
	    {BESIDE, OUT},
	    {BESIDE, BESIDE_WAITING},
	    {BESIDE, STALLED},
	    {BESIDE, STALLED_RETRY},
	    {BESIDE_WAITING, OUT_WAITING},
	    {BESIDE_WAITING, BESIDE},
	    {STALLED, IDLE},
	    {STALLED, BESIDE},
	    {RETRY, OUT},
	    {STALLED_RETRY, BESIDE},
	    {STALLED_RETRY, RETRY},
	};

	(void)state;
	for (int a = 0; a < PC_DLV_NSTATES; a++)
		for (int b = 0; b < PC_DLV_NSTATES; b++) {
			bool want = false;

			for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
				if (ok[i][0] == a && ok[i][1] == b)
					want = true;
			if (pc_dlv_edge_ok((enum pc_dlv_state)a,
					   (enum pc_dlv_state)b) != want)
				fail_msg(
				    "edge %s -> %s: %s",
				    pc_dlv_state_name((enum pc_dlv_state)a),
				    pc_dlv_state_name((enum pc_dlv_state)b),
				    want ? "missing" : "unexpected");
		}
	assert_false(pc_dlv_edge_ok(IDLE, (enum pc_dlv_state)PC_DLV_NSTATES));
	assert_false(pc_dlv_edge_ok((enum pc_dlv_state)9, OUT));
}

/* --- sequences ---------------------------------------------------------- */

/* Three claims made (each committed) while one is unanswered: one send,
 * of the newest, once the answer comes. */
static void test_delivery_three_claims_one_send(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;
	const int64_t t = T0;

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, t, &fx);
	expect_one(&fx, SEND, 1, 0);
	sent(&d, 1, t);
	for (uint64_t x = 2; x <= 4; x++) {
		made(&d, x);
		commit(&d, t + 100 * (int64_t)x, &fx);
		assert_int_equal(fx.n, 0);
		timer(&d, t + 100 * (int64_t)x + 50, false, &fx);
		assert_int_equal(fx.n, 0);
	}
	expect_state(&d, OUT_WAITING);
	end(&d, ANSWERED, 1, t + 1000, &fx);
	expect_one(&fx, SEND, 4, 0);
	assert_int_equal(xl_drops_u64(fx.v[0].amount), XRP(4));
	expect_state(&d, OUT);
	sent(&d, 4, t + 1000);
	end(&d, ANSWERED, 4, t + 1100, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, IDLE);

	/* Three made in one transaction: the last one is the claim. */
	made(&d, 5);
	made(&d, 6);
	made(&d, 7);
	commit(&d, t + 2000, &fx);
	expect_one(&fx, SEND, 7, 0);
	assert_int_equal(xl_drops_u64(fx.v[0].amount), XRP(7));
}

/* A rollback drops the claim made in its transaction, and only that one. */
static void test_delivery_rollback_drops_the_made_claim(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	rollback(&d);
	assert_int_equal(d.made.seq, 0);
	commit(&d, T0, &fx); /* a later transaction, nothing made */
	assert_int_equal(fx.n, 0);
	expect_state(&d, IDLE);

	/* Made again: that one goes. */
	made(&d, 2);
	commit(&d, T0, &fx);
	expect_one(&fx, SEND, 2, 0);
	sent(&d, 2, T0);
	/* A committed claim waits; a rollback of a newer one keeps it. */
	made(&d, 3);
	commit(&d, T0 + 100, &fx);
	assert_int_equal(fx.n, 0);
	made(&d, 4);
	rollback(&d);
	expect_state(&d, OUT_WAITING);
	assert_int_equal(d.waiting.seq, 3);
	end(&d, ANSWERED, 2, T0 + 200, &fx);
	expect_one(&fx, SEND, 3, 0);
	assert_int_equal(xl_drops_u64(fx.v[0].amount), XRP(3));
}

/* Attempts out, counted from the effects and the ends. */
struct tally {
	int out, max;
};

static void count(struct tally *t, const struct pc_dlv_effects *fx)
{
	for (size_t i = 0; i < fx->n; i++)
		if (fx->v[i].kind != NACK)
			t->out++;
	if (t->out > t->max)
		t->max = t->out;
}

/* The adaptive stall: twice the link's usual round trip, at least 4 ms,
 * never past the configured ceiling (nor any stall where the ceiling is
 * 0: never beside); no round trip known yet: the ceiling. */
static void test_delivery_stall_for(void **state)
{
	static const struct {
		uint32_t rtt_us, ceiling_ms, want;
	} cases[] = {
	    {0, PC_DLV_STALL_MS, PC_DLV_STALL_MS}, /* nothing measured */
	    {1, PC_DLV_STALL_MS, PC_DLV_STALL_MIN_MS},
	    {1999, PC_DLV_STALL_MS, PC_DLV_STALL_MIN_MS},
	    {2600, PC_DLV_STALL_MS, 6}, /* 5.2 ms, rounded up */
	    {3000, PC_DLV_STALL_MS, 6},
	    {150000, PC_DLV_STALL_MS, 300}, /* a slow link: 2 round trips */
	    {999999, PC_DLV_STALL_MS, PC_DLV_STALL_MS},
	    {UINT32_MAX, PC_DLV_STALL_MS, PC_DLV_STALL_MS},
	    {2600, 3, 3}, /* the ceiling under the floor still rules */
	    {2600, 0, 0}, /* never beside stays never */
	    {0, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pc_dlv_stall_for(cases[i].rtt_us, cases[i].ceiling_ms) !=
		    cases[i].want)
			fail_msg("row %zu: %u us, ceiling %u: got %u, want %u",
				 i, cases[i].rtt_us, cases[i].ceiling_ms,
				 pc_dlv_stall_for(cases[i].rtt_us,
						  cases[i].ceiling_ms),
				 cases[i].want);
}

/* A stall set while an attempt is out counts from its departure: lowered
 * below the time it has been out, the next look lets the newest beside
 * at once; raised again, nothing more goes early. */
static void test_delivery_set_stall(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	made(&d, 2);
	commit(&d, T0 + 5, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, OUT_WAITING);
	pc_dlv_set_stall(&d, 6);
	commit(&d, T0 + 5, &fx); /* out 5 ms: not yet */
	assert_int_equal(fx.n, 0);
	commit(&d, T0 + 6, &fx);
	expect_one(&fx, SEND_BESIDE, 2, 1);
	sent(&d, 2, T0 + 6);
	expect_state(&d, BESIDE);
	pc_dlv_set_stall(&d, PC_DLV_STALL_MS);
	made(&d, 3);
	commit(&d, T0 + 100, &fx);
	assert_int_equal(fx.n, 0); /* never a third */
	end(&d, ANSWERED, 1, T0 + 200, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, OUT_WAITING);
	timer(&d, T0 + 1000, false, &fx); /* 2 out 994 ms < 2 s */
	assert_int_equal(fx.n, 0);
}

/* An attempt unanswered for 2 s lets the newest go beside it; with two
 * out nothing more goes, however long they stay. */
static void test_delivery_stall_lets_newest_beside_never_third(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;
	struct tally t = {0, 0};

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	count(&t, &fx);
	sent(&d, 1, T0);
	made(&d, 2);
	commit(&d, T0 + 500, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 1999, false, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 2000, false, &fx);
	expect_one(&fx, SEND_BESIDE, 2, 1);
	count(&t, &fx);
	sent(&d, 2, T0 + 2000);
	/* A newer one now waits for either of the two. */
	for (int64_t ms = 2100; ms <= 60000; ms += 700) {
		made(&d, 3 + (uint64_t)ms / 700);
		commit(&d, T0 + ms, &fx);
		count(&t, &fx);
		timer(&d, T0 + ms + 1, false, &fx);
		count(&t, &fx);
	}
	assert_int_equal(t.max, 2);
	expect_state(&d, BESIDE_WAITING);
	/* The stalled one ends; the current one (out 58 s) stalls in turn
	 * and the newest goes beside it. */
	uint64_t newest = d.waiting.seq;
	end(&d, ANSWERED, 1, T0 + 61000, &fx);
	t.out--;
	expect_one(&fx, SEND_BESIDE, newest, 2);
	count(&t, &fx);
	assert_int_equal(t.max, 2);
	assert_int_equal(d.stalled.seq, 2);

	/* The stalled one answered early: the current one gets its own 2 s
	 * before the next goes beside it. */
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	timer(&d, T0 + 2000, false, &fx);
	assert_int_equal(fx.n, 0); /* nothing newer waits */
	made(&d, 2);
	commit(&d, T0 + 2500, &fx); /* out 2.5 s already: beside at once */
	expect_one(&fx, SEND_BESIDE, 2, 1);
	sent(&d, 2, T0 + 2500);
	made(&d, 3);
	commit(&d, T0 + 2600, &fx);
	assert_int_equal(fx.n, 0);
	end(&d, ANSWERED, 1, T0 + 3000, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, OUT_WAITING);
	timer(&d, T0 + 4499, false, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 4500, false, &fx);
	expect_one(&fx, SEND_BESIDE, 3, 2);

	/* stall_ms 0: never beside. */
	pc_dlv_init(&d, 0, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	made(&d, 2);
	commit(&d, T0 + 100, &fx);
	timer(&d, T0 + 3600000, false, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, OUT_WAITING);
}

/* Unacknowledged for 10 s: a NACK, whose resend goes beside the attempt
 * still out; the clock restarts even when nothing comes of a NACK. */
static void test_delivery_resend_after_10s_unacked(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	timer(&d, T0 + 9999, true, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 10000, true, &fx);
	expect_one(&fx, NACK, 0, 0);
	/* The channel answers with RESEND_CLAIM: made in that transaction,
	 * the same amount; claim 1 is still out (10 s): it goes beside. */
	made(&d, 1);
	commit(&d, T0 + 10000, &fx);
	expect_one(&fx, SEND_BESIDE, 2, 1);
	assert_int_equal(xl_drops_u64(fx.v[0].amount), XRP(1));
	sent(&d, 2, T0 + 10000);
	timer(&d, T0 + 19999, true, &fx);
	assert_int_equal(fx.n, 0);
	/* Acknowledged meanwhile: no NACK, however late. */
	timer(&d, T0 + 60000, false, &fx);
	assert_int_equal(fx.n, 0);

	/* Answered but not acknowledged (the peer refused it): NACK 10 s
	 * after it left; a NACK that leads to nothing restarts the clock. */
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	end(&d, ANSWERED, 1, T0 + 100, &fx);
	expect_state(&d, IDLE);
	timer(&d, T0 + 10000, true, &fx);
	expect_one(&fx, NACK, 0, 0);
	timer(&d, T0 + 15000, true, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 20000, true, &fx);
	expect_one(&fx, NACK, 0, 0);

	/* A retry (the outbox's backoff) does not restart the clock. */
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	end(&d, FAILED, 1, T0 + 100, &fx);
	timer(&d, T0 + 100 + RETRY_MS, false, &fx);
	expect_one(&fx, FX_RETRY, 1, 0);
	sent(&d, 1, T0 + 100 + RETRY_MS);
	timer(&d, T0 + 10000, true, &fx);
	expect_one(&fx, NACK, 0, 0);

	/* After a start (a new machine) an unacknowledged claim: at once. */
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	timer(&d, 5, true, &fx);
	expect_one(&fx, NACK, 0, 0);
}

/* A failed attempt lets a newer claim go at once; without one, the same
 * claim is retried after the caller's backoff; a stalled attempt's
 * failure is never retried. */
static void test_delivery_failure_lets_newest_go_at_once(void **state)
{
	struct pc_dlv d;
	struct pc_dlv_effects fx;

	(void)state;
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	made(&d, 2);
	commit(&d, T0 + 100, &fx);
	assert_int_equal(fx.n, 0);
	end(&d, FAILED, 1, T0 + 200, &fx); /* 1 is superseded: not retried */
	expect_one(&fx, SEND, 2, 0);
	expect_state(&d, OUT);
	assert_int_equal(d.fails, 0);
	sent(&d, 2, T0 + 200);

	/* Nothing newer: claim 2 again after the backoff, on a TIMER. */
	end(&d, FAILED, 2, T0 + 300, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, RETRY);
	assert_int_equal(d.fails, 1);
	timer(&d, T0 + 300 + RETRY_MS - 1, false, &fx);
	assert_int_equal(fx.n, 0);
	timer(&d, T0 + 300 + RETRY_MS, false, &fx);
	expect_one(&fx, FX_RETRY, 2, 0);
	sent(&d, 2, T0 + 300 + RETRY_MS);
	end(&d, FAILED, 2, T0 + 2000, &fx);
	assert_int_equal(d.fails, 2); /* the caller's backoff grows */

	/* A newer claim during the backoff goes at once. */
	made(&d, 3);
	commit(&d, T0 + 2100, &fx);
	expect_one(&fx, SEND, 3, 0);
	assert_int_equal(d.fails, 0);
	sent(&d, 3, T0 + 2100);
	end(&d, REFUSED, 3, T0 + 2200, &fx); /* a 4xx: not retried */
	expect_state(&d, IDLE);
	timer(&d, T0 + 100000, false, &fx);
	assert_int_equal(fx.n, 0);

	/* Beside: the stalled one fails (never retried), then the current
	 * one fails with a newer waiting: the newer goes at once. */
	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	made(&d, 1);
	commit(&d, T0, &fx);
	sent(&d, 1, T0);
	made(&d, 2);
	commit(&d, T0 + 2000, &fx);
	expect_one(&fx, SEND_BESIDE, 2, 1);
	sent(&d, 2, T0 + 2000);
	made(&d, 3);
	commit(&d, T0 + 2100, &fx);
	end(&d, FAILED, 1, T0 + 2200, &fx);
	assert_int_equal(fx.n, 0);
	expect_state(&d, OUT_WAITING);
	end(&d, FAILED, 2, T0 + 2300, &fx);
	expect_one(&fx, SEND, 3, 0);
}

/* Programmer errors abort. */
struct misuse {
	int what;
};

static void run_misuse(void *arg)
{
	const struct misuse *m = arg;
	struct pc_dlv d;
	struct pc_dlv_effects fx;
	struct pc_dlv_event ev;

	pc_dlv_init(&d, PC_DLV_STALL_MS, PC_DLV_RESEND_MS);
	switch (m->what) {
	case 0: /* MADE of nothing */
		ev = ev_of(MADE, 0, 0);
		pc_dlv_step(&d, &ev, &fx);
		break;
	case 1: /* a time of 0 */
		ev = ev_of(TIMER, 0, 0);
		pc_dlv_step(&d, &ev, &fx);
		break;
	case 2: /* an unknown event */
		ev = ev_of((enum pc_dlv_ev_kind)99, T0, 0);
		pc_dlv_step(&d, &ev, &fx);
		break;
	case 3: /* an answer for seq 0 */
		made(&d, 1);
		commit(&d, T0, &fx);
		ev = ev_of(ANSWERED, T0, 0);
		pc_dlv_step(&d, &ev, &fx);
		break;
	case 4: /* a struct written by hand into a state it cannot be in */
		d.state = OUT;
		timer(&d, T0, false, &fx);
		break;
	default:
		break;
	}
}

static void test_delivery_misuse_aborts(void **state)
{
	(void)state;
	for (int i = 0; i <= 4; i++) {
		struct misuse m = {i};

		if (!fx_aborts(run_misuse, &m))
			fail_msg("misuse %d did not abort", i);
	}
	/* and the harmless calls around them do not */
	struct misuse ok = {-1};
	assert_false(fx_aborts(run_misuse, &ok));
}

static void test_delivery_names(void **state)
{
	(void)state;
	for (int s = 0; s < PC_DLV_NSTATES; s++)
		assert_string_not_equal(pc_dlv_state_name((enum pc_dlv_state)s),
					"?");
	for (int k = PC_DLV_EV_FIRST; k <= PC_DLV_EV_LAST; k++)
		assert_string_not_equal(pc_dlv_ev_name((enum pc_dlv_ev_kind)k),
					"?");
	for (int k = SEND; k <= NACK; k++)
		assert_string_not_equal(pc_dlv_fx_name((enum pc_dlv_fx_kind)k),
					"?");
	assert_string_equal(pc_dlv_state_name((enum pc_dlv_state)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delivery_every_state_event),
	    cmocka_unit_test(test_delivery_edges),
	    cmocka_unit_test(test_delivery_three_claims_one_send),
	    cmocka_unit_test(test_delivery_rollback_drops_the_made_claim),
	    cmocka_unit_test(
		test_delivery_stall_lets_newest_beside_never_third),
	    cmocka_unit_test(test_delivery_resend_after_10s_unacked),
	    cmocka_unit_test(test_delivery_failure_lets_newest_go_at_once),
	    cmocka_unit_test(test_delivery_misuse_aborts),
	    cmocka_unit_test(test_delivery_names),
	    cmocka_unit_test(test_delivery_stall_for),
	    cmocka_unit_test(test_delivery_set_stall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
