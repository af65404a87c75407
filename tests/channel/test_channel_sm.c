/* Every state x event combination of both channel state machines, from a
 * canonical record in each state and a canonical event of each kind: the
 * resulting state, return code and effect list, or an abort (checked in a
 * forked child) for the combinations that are programmer errors.  Also
 * every (old, new) pair of pc_*_set_state against the diagrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "channel/channel.h"
#include "tests/channel/chfix.h"

#define ABORT (-1)
#define MAXFX 4

struct row {
	int state;
	enum pc_ev_kind ev;
	int rc;	       /* XU_OK, XU_EINVAL..., or ABORT */
	int new_state; /* ignored for ABORT */
	size_t n;
	enum pc_fx_kind fx[MAXFX];
};

/* --- outgoing ---------------------------------------------------------- */

static void out_fixture(struct pc_out *ch, enum pc_out_state s)
{
	pc_out_init(ch, &fx_self, &fx_peer);
	ch->has_account = true;
	ch->acct_balance = D(XRP(1000));
	ch->acct_reserve = D(XRP(10));
	ch->acct_reserve_inc = D(XRP(2));
	ch->fee = D(12);
	ch->state = s;
	switch (s) {
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
		return;
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
	case PC_OUT_CLOSED:
		break;
	}
	ch->has_id = true;
	memcpy(ch->id, fx_out_id, CR_CHANNEL_ID_BYTES);
	ch->amount = D(XRP(10));
	ch->redeemed = D(XRP(1));
	ch->settle_delay = 518400;
	ch->signed_total = D(XRP(2));
	if (s == PC_OUT_FUNDING) {
		ch->signed_total = D(XRP(6));
		ch->fund_inflight = true;
	}
	if (s == PC_OUT_CLOSING) {
		ch->close_inflight = true;
		ch->deleting = true;
	}
}

static struct pc_event canonical_event(enum pc_ev_kind k, bool outgoing)
{
	struct pc_event ev = ev_make(k);

	switch (k) {
	case PC_EV_SETTLE:
		ev.u.settle = D(XRP(1));
		break;
	case PC_EV_ACCOUNT:
		ev.u.account.balance = D(XRP(1000));
		ev.u.account.reserve = D(XRP(10));
		ev.u.account.reserve_inc = D(XRP(2));
		ev.u.account.fee = D(12);
		break;
	case PC_EV_CREATE_RESULT:
		ev.u.result.ok = true;
		memcpy(ev.u.result.channel, fx_out_id, CR_CHANNEL_ID_BYTES);
		ev.u.result.amount = D(XRP(10));
		break;
	case PC_EV_FUND_RESULT:
		ev.u.result.ok = true;
		ev.u.result.amount = D(XRP(20));
		break;
	case PC_EV_CLOSE_RESULT:
	case PC_EV_REDEEM_RESULT:
		ev.u.result.ok = true;
		break;
	case PC_EV_CLAIM_NACK:
	case PC_EV_GONE:
	case PC_EV_CLOSE:
	case PC_EV_REOPEN:
		break;
	case PC_EV_CLAIM:
		ev.u.claim = claim_make(0, fx_in_id, XRP(4));
		break;
	case PC_EV_LEDGER:
		ev.u.view = outgoing ? view_out(XRP(10), XRP(1))
				     : view_in(0, XRP(10), XRP(1));
		break;
	case PC_EV_TIMER:
		ev.u.fee = D(12);
		break;
	case PC_EV_LAST_CLAIM: /* the peer holds 3 XRP signed by us */
		ev.u.last.claim = claim_make(0, fx_out_id, XRP(3));
		memcpy(ev.u.last.pubkey, fx_keys[0].pub.b, CR_PUBKEY_BYTES);
		break;
	case PC_EV_PEER_BEST:
		memcpy(ev.u.claim.channel, fx_out_id, CR_CHANNEL_ID_BYTES);
		ev.u.claim.amount = D(XRP(3));
		break;
	case PC_EV_MOVED:
	case PC_EV_FREEZE:
	case PC_EV_SHUT:
	case PC_EV_SHUT_NOW:
	case PC_EV_REDEEM_NOW:
		break;
	case PC_EV_FINAL: /* no canonical record waits for one: no-op */
		memcpy(ev.u.final.channel, fx_out_id, CR_CHANNEL_ID_BYTES);
		ev.u.final.balance = D(XRP(1));
		break;
	}
	return ev;
}

#define F(...)                                                                 \
	sizeof((enum pc_fx_kind[]){__VA_ARGS__}) / sizeof(enum pc_fx_kind),    \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define F0                                                                     \
	0,                                                                     \
	{                                                                      \
		0                                                              \
	}

static const struct row out_rows[] = {
    /* NONE */
    {PC_OUT_NONE, PC_EV_SETTLE, XU_OK, PC_OUT_OPENING, F(PC_FX_SUBMIT_CREATE)},
    {PC_OUT_NONE, PC_EV_ACCOUNT, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_LEDGER, XU_EINVAL, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_GONE, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_TIMER, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_CLOSE, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_NONE, PC_EV_LAST_CLAIM, XU_EINVAL, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_PEER_BEST, XU_OK, PC_OUT_NONE, F0},
    /* not deleting: nothing to undo */
    {PC_OUT_NONE, PC_EV_REOPEN, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_FINAL, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_MOVED, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_SHUT, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_FREEZE, ABORT, 0, F0},
    {PC_OUT_NONE, PC_EV_SHUT_NOW, XU_OK, PC_OUT_NONE, F0},
    {PC_OUT_NONE, PC_EV_REDEEM_NOW, ABORT, 0, F0},
    /* OPENING */
    {PC_OUT_OPENING, PC_EV_SETTLE, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_ACCOUNT, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_CREATE_RESULT, XU_OK, PC_OUT_OPEN,
     F(PC_FX_SEND_CHANNEL_NOTICE)},
    {PC_OUT_OPENING, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_OUT_OPENING, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_OUT_OPENING, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_OPENING, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_OPENING, PC_EV_LEDGER, XU_EINVAL, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_GONE, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_TIMER, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_CLOSE, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_LAST_CLAIM, XU_EINVAL, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_PEER_BEST, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_REOPEN, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_FINAL, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_MOVED, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_SHUT, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_FREEZE, ABORT, 0, F0},
    {PC_OUT_OPENING, PC_EV_SHUT_NOW, XU_OK, PC_OUT_OPENING, F0},
    {PC_OUT_OPENING, PC_EV_REDEEM_NOW, ABORT, 0, F0},
    /* OPEN: Amount 10 XRP, 2 XRP signed */
    {PC_OUT_OPEN, PC_EV_SETTLE, XU_OK, PC_OUT_OPEN,
     F(PC_FX_SIGN_AND_SEND_CLAIM)},
    {PC_OUT_OPEN, PC_EV_ACCOUNT, XU_OK, PC_OUT_OPEN, F0},
    {PC_OUT_OPEN, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_OUT_OPEN, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_OUT_OPEN, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_OUT_OPEN, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_OPEN, F(PC_FX_RESEND_CLAIM)},
    {PC_OUT_OPEN, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_OPEN, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_OPEN, PC_EV_LEDGER, XU_OK, PC_OUT_OPEN, F0},
    {PC_OUT_OPEN, PC_EV_GONE, XU_OK, PC_OUT_CLOSED, F(PC_FX_ALERT)},
    {PC_OUT_OPEN, PC_EV_TIMER, XU_OK, PC_OUT_OPEN, F0},
    /* the peer is asked to close first; no owner close yet */
    {PC_OUT_OPEN, PC_EV_CLOSE, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    /* the peer holds 3 XRP signed by us, above our 2: adopted */
    {PC_OUT_OPEN, PC_EV_LAST_CLAIM, XU_OK, PC_OUT_OPEN, F(PC_FX_ADOPT_CLAIM)},
    {PC_OUT_OPEN, PC_EV_PEER_BEST, XU_OK, PC_OUT_OPEN, F(PC_FX_ASK_LAST_CLAIM)},
    {PC_OUT_OPEN, PC_EV_REOPEN, XU_OK, PC_OUT_OPEN, F0},
    {PC_OUT_OPEN, PC_EV_FINAL, XU_OK, PC_OUT_OPEN, F0},
    {PC_OUT_OPEN, PC_EV_MOVED, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_OPEN, PC_EV_SHUT, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_OPEN, PC_EV_FREEZE, ABORT, 0, F0},
    /* the peer is asked too; our owner close waits only for a view */
    {PC_OUT_OPEN, PC_EV_SHUT_NOW, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_OPEN, PC_EV_REDEEM_NOW, ABORT, 0, F0},
    /* FUNDING: Amount 10 XRP, 6 XRP signed, a fund in flight */
    {PC_OUT_FUNDING, PC_EV_SETTLE, XU_OK, PC_OUT_FUNDING,
     F(PC_FX_SIGN_AND_SEND_CLAIM)},
    {PC_OUT_FUNDING, PC_EV_ACCOUNT, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_OUT_FUNDING, PC_EV_FUND_RESULT, XU_OK, PC_OUT_OPEN,
     F(PC_FX_SEND_CHANNEL_NOTICE)},
    {PC_OUT_FUNDING, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_OUT_FUNDING, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_FUNDING,
     F(PC_FX_RESEND_CLAIM)},
    {PC_OUT_FUNDING, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_FUNDING, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_FUNDING, PC_EV_LEDGER, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_GONE, XU_OK, PC_OUT_CLOSED, F(PC_FX_ALERT)},
    {PC_OUT_FUNDING, PC_EV_TIMER, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_CLOSE, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    /* 6 XRP signed: a last claim of 3 is old news */
    {PC_OUT_FUNDING, PC_EV_LAST_CLAIM, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_PEER_BEST, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_REOPEN, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_FINAL, XU_OK, PC_OUT_FUNDING, F0},
    {PC_OUT_FUNDING, PC_EV_MOVED, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_FUNDING, PC_EV_SHUT, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_FUNDING, PC_EV_FREEZE, ABORT, 0, F0},
    {PC_OUT_FUNDING, PC_EV_SHUT_NOW, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_SEND_CLOSE_REQUEST)},
    {PC_OUT_FUNDING, PC_EV_REDEEM_NOW, ABORT, 0, F0},
    /* CLOSING: deleting, our close in flight */
    {PC_OUT_CLOSING, PC_EV_SETTLE, XU_OK, PC_OUT_CLOSING, F(PC_FX_ALERT)},
    {PC_OUT_CLOSING, PC_EV_ACCOUNT, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSING, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSING, PC_EV_CLOSE_RESULT, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_RESEND_CLAIM)},
    {PC_OUT_CLOSING, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_CLOSING, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSING, PC_EV_LEDGER, XU_OK, PC_OUT_CLOSING, F0},
    /* our own deletion, nothing owed: gone is what we asked for */
    {PC_OUT_CLOSING, PC_EV_GONE, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSING, PC_EV_TIMER, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_CLOSE, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_LAST_CLAIM, XU_OK, PC_OUT_CLOSING,
     F(PC_FX_ADOPT_CLAIM)},
    /* closing: no more claims are signed, nothing to recover */
    {PC_OUT_CLOSING, PC_EV_PEER_BEST, XU_OK, PC_OUT_CLOSING, F0},
    /* deleting undone; the channel asked to close still closes */
    {PC_OUT_CLOSING, PC_EV_REOPEN, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_FINAL, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_MOVED, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_SHUT, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_FREEZE, ABORT, 0, F0},
    /* our close is in flight already */
    {PC_OUT_CLOSING, PC_EV_SHUT_NOW, XU_OK, PC_OUT_CLOSING, F0},
    {PC_OUT_CLOSING, PC_EV_REDEEM_NOW, ABORT, 0, F0},
    /* CLOSED (not deleting: a settlement opens a new channel) */
    {PC_OUT_CLOSED, PC_EV_SETTLE, XU_OK, PC_OUT_OPENING,
     F(PC_FX_SUBMIT_CREATE)},
    {PC_OUT_CLOSED, PC_EV_ACCOUNT, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_CLAIM_NACK, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_CLAIM, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_LEDGER, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_GONE, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_TIMER, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_CLOSE, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_LAST_CLAIM, XU_EINVAL, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_PEER_BEST, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_REOPEN, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_FINAL, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_MOVED, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_SHUT, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_FREEZE, ABORT, 0, F0},
    {PC_OUT_CLOSED, PC_EV_SHUT_NOW, XU_OK, PC_OUT_CLOSED, F0},
    {PC_OUT_CLOSED, PC_EV_REDEEM_NOW, ABORT, 0, F0},
};

struct call {
	bool outgoing;
	struct pc_out out;
	struct pc_in in;
	struct pc_event ev;
};

static void run_call(void *arg)
{
	struct call *c = arg;
	struct pc_effects fx;
	struct xu_err e;

	if (c->outgoing)
		(void)!pc_out_apply(&c->out, &fx_cfg, &c->ev, &fx, &e);
	else
		(void)!pc_in_apply(&c->in, &fx_cfg, &c->ev, &fx, NULL, &e);
}

static void check_rows(const struct row *rows, size_t nrows, bool outgoing,
		       void (*fixture)(struct call *, int))
{
	bool seen[PC_OUT_NSTATES][PC_EV_LAST + 1];
	int nstates = outgoing ? PC_OUT_NSTATES : PC_IN_NSTATES;

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		struct call c;
		struct pc_effects fx;
		struct xu_err e;
		enum xu_code rc;
		int st;

		memset(&c, 0, sizeof(c));
		c.outgoing = outgoing;
		fixture(&c, r->state);
		c.ev = canonical_event(r->ev, outgoing);
		seen[r->state][r->ev] = true;
		if (r->rc == ABORT) {
			if (!fx_aborts(run_call, &c))
				fail_msg("row %zu (%d x %s) did not abort", i,
					 r->state, pc_ev_name(r->ev));
			continue;
		}
		if (outgoing) {
			rc = pc_out_apply(&c.out, &fx_cfg, &c.ev, &fx, &e);
			st = (int)c.out.state;
		} else {
			rc = pc_in_apply(&c.in, &fx_cfg, &c.ev, &fx, NULL, &e);
			st = (int)c.in.state;
		}
		if ((int)rc != r->rc || st != r->new_state)
			fail_msg(
			    "row %zu (%d x %s): rc %d state %d, want rc %d "
			    "state %d",
			    i, r->state, pc_ev_name(r->ev), rc, st, r->rc,
			    r->new_state);
		fx_expect(&fx, r->n, r->fx);
	}
	/* The table covers every combination. */
	for (int s = 0; s < nstates; s++)
		for (int k = PC_EV_FIRST; k <= PC_EV_LAST; k++)
			if (!seen[s][k])
				fail_msg("missing row: state %d x %s", s,
					 pc_ev_name((enum pc_ev_kind)k));
}

static void out_fix(struct call *c, int s)
{
	out_fixture(&c->out, (enum pc_out_state)s);
}

static void test_channel_out_every_state_event(void **state)
{
	(void)state;
	fx_setup();
	check_rows(out_rows, sizeof(out_rows) / sizeof(out_rows[0]), true,
		   out_fix);
}

/* The operator's close (PC_EV_SHUT) moves a live channel to CLOSING as a
 * deletion does, but leaves the record able to pay: not deleting, so owed
 * drops open the next channel; from NONE it changes nothing. */
static void test_channel_out_shut_is_not_a_deletion(void **state)
{
	struct pc_out shut, del;
	struct pc_effects fx;
	struct pc_event ev;
	struct xu_err e;

	(void)state;
	fx_setup();
	out_fixture(&shut, PC_OUT_OPEN);
	del = shut;
	ev = canonical_event(PC_EV_SHUT, true);
	assert_int_equal(pc_out_apply(&shut, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_equal(shut.state, PC_OUT_CLOSING);
	assert_false(shut.deleting);
	assert_string_equal(shut.reason, "closed by the operator");
	ev = canonical_event(PC_EV_CLOSE, true);
	assert_int_equal(pc_out_apply(&del, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_equal(del.state, PC_OUT_CLOSING);
	assert_true(del.deleting);
	out_fixture(&shut, PC_OUT_NONE);
	ev = canonical_event(PC_EV_SHUT, true);
	assert_int_equal(pc_out_apply(&shut, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_equal(shut.state, PC_OUT_NONE);
	assert_false(shut.deleting);
}

/* The operator's forced close (PC_EV_SHUT_NOW): as PC_EV_SHUT (CLOSING,
 * the close_request, not deleting), but the owner close goes out on the
 * next ledger view instead of after close_wait_s; a channel already
 * closing by PC_EV_SHUT stops waiting; twice, or with our close in
 * flight, nothing more goes out. */
static void test_channel_out_shut_now(void **state)
{
	struct pc_out now, wait;
	struct pc_effects fx;
	struct pc_event ev, view;
	struct xu_err e;

	(void)state;
	fx_setup();
	view = canonical_event(PC_EV_LEDGER, true);
	out_fixture(&now, PC_OUT_OPEN);
	wait = now;
	ev = canonical_event(PC_EV_SHUT_NOW, true);
	assert_int_equal(pc_out_apply(&now, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_equal(now.state, PC_OUT_CLOSING);
	assert_false(now.deleting);
	FX_EXPECT(&fx, PC_FX_SEND_CLOSE_REQUEST);
	assert_int_equal(pc_out_apply(&now, &fx_cfg, &view, &fx, &e), XU_OK);
	FX_EXPECT(&fx, PC_FX_SUBMIT_CLOSE);
	assert_true(now.close_inflight);
	/* Again: the close is in flight, nothing more. */
	assert_int_equal(pc_out_apply(&now, &fx_cfg, &ev, &fx, &e), XU_OK);
	FX_NONE(&fx);
	assert_int_equal(pc_out_apply(&now, &fx_cfg, &view, &fx, &e), XU_OK);
	FX_NONE(&fx);
	/* The cooperative close waits close_wait_s for the peer... */
	ev = canonical_event(PC_EV_SHUT, true);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &view, &fx, &e), XU_OK);
	FX_NONE(&fx);
	/* ...until the operator forces it: no second close_request. */
	ev = canonical_event(PC_EV_SHUT_NOW, true);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &ev, &fx, &e), XU_OK);
	FX_NONE(&fx);
	assert_int_equal(wait.state, PC_OUT_CLOSING);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &view, &fx, &e), XU_OK);
	FX_EXPECT(&fx, PC_FX_SUBMIT_CLOSE);
	/* An Expiration running: the close is under way, nothing hurried. */
	out_fixture(&wait, PC_OUT_OPEN);
	ev = canonical_event(PC_EV_SHUT, true);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &ev, &fx, &e), XU_OK);
	wait.has_expiration = true;
	wait.expiration = T_LEDGER + 86400;
	ev = canonical_event(PC_EV_SHUT_NOW, true);
	assert_int_equal(pc_out_apply(&wait, &fx_cfg, &ev, &fx, &e), XU_OK);
	assert_int_not_equal(wait.retry_at, 0);
}

/* --- incoming ---------------------------------------------------------- */

static void in_fixture(struct pc_in *ch, enum pc_in_state s)
{
	struct pc_claim best = claim_make(0, fx_in_id, XRP(3));

	pc_in_init(ch, &fx_self, &fx_peer, fx_in_id);
	ch->state = s;
	if (s == PC_IN_NONE)
		return;
	ch->has_view = true;
	ch->view = view_in(0, XRP(10), XRP(1));
	ch->best = best.amount;
	memcpy(ch->best_sig, best.sig, best.siglen);
	ch->best_siglen = best.siglen;
	if (s == PC_IN_CLOSING) {
		ch->view.has_expiration = true;
		ch->view.expiration = T_LEDGER + 10 * 86400;
		ch->redeem_inflight = true;
		ch->redeem_amount = ch->best;
	}
}

static const struct row in_rows[] = {
    /* NONE: nothing linked yet */
    {PC_IN_NONE, PC_EV_SETTLE, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_ACCOUNT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_CLAIM_NACK, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_CLAIM, XU_EINVAL, PC_IN_NONE, F0},
    {PC_IN_NONE, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_LEDGER, XU_OK, PC_IN_OPEN, F0},
    {PC_IN_NONE, PC_EV_GONE, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_NONE, PC_EV_TIMER, XU_OK, PC_IN_NONE, F0},
    {PC_IN_NONE, PC_EV_CLOSE, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_NONE, PC_EV_LAST_CLAIM, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_PEER_BEST, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_REOPEN, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_FINAL, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_MOVED, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_SHUT, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_FREEZE, XU_OK, PC_IN_NONE, F0},
    {PC_IN_NONE, PC_EV_SHUT_NOW, ABORT, 0, F0},
    {PC_IN_NONE, PC_EV_REDEEM_NOW, XU_OK, PC_IN_NONE, F0},
    /* OPEN: Amount 10, Balance 1, best 3 XRP: the 1% fee rule is due */
    {PC_IN_OPEN, PC_EV_SETTLE, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_ACCOUNT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_CLAIM_NACK, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_CLAIM, XU_OK, PC_IN_OPEN,
     F(PC_FX_PERSIST_CLAIM, PC_FX_CREDIT)},
    {PC_IN_OPEN, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_LEDGER, XU_OK, PC_IN_OPEN, F0},
    {PC_IN_OPEN, PC_EV_GONE, XU_OK, PC_IN_CLOSED, F(PC_FX_ALERT, PC_FX_ALERT)},
    {PC_IN_OPEN, PC_EV_TIMER, XU_OK, PC_IN_OPEN, F(PC_FX_SUBMIT_REDEEM)},
    {PC_IN_OPEN, PC_EV_CLOSE, XU_OK, PC_IN_CLOSING, F(PC_FX_SUBMIT_REDEEM)},
    {PC_IN_OPEN, PC_EV_LAST_CLAIM, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_PEER_BEST, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_REOPEN, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_FINAL, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_MOVED, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_SHUT, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_FREEZE, XU_OK, PC_IN_OPEN, F0},
    {PC_IN_OPEN, PC_EV_SHUT_NOW, ABORT, 0, F0},
    {PC_IN_OPEN, PC_EV_REDEEM_NOW, XU_OK, PC_IN_OPEN, F(PC_FX_SUBMIT_REDEEM)},
    /* CLOSING: Expiration 10 days away, a redeem of 3 XRP in flight */
    {PC_IN_CLOSING, PC_EV_SETTLE, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_ACCOUNT, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_CLAIM_NACK, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_CLAIM, XU_OK, PC_IN_CLOSING,
     F(PC_FX_PERSIST_CLAIM, PC_FX_CREDIT)},
    {PC_IN_CLOSING, PC_EV_REDEEM_RESULT, XU_OK, PC_IN_CLOSING, F0},
    {PC_IN_CLOSING, PC_EV_LEDGER, XU_OK, PC_IN_OPEN, F0},
    {PC_IN_CLOSING, PC_EV_GONE, XU_OK, PC_IN_CLOSED,
     F(PC_FX_ALERT, PC_FX_ALERT)},
    {PC_IN_CLOSING, PC_EV_TIMER, XU_OK, PC_IN_CLOSING, F0},
    {PC_IN_CLOSING, PC_EV_CLOSE, XU_OK, PC_IN_CLOSING, F0},
    {PC_IN_CLOSING, PC_EV_LAST_CLAIM, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_PEER_BEST, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_REOPEN, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_FINAL, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_MOVED, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_SHUT, ABORT, 0, F0},
    {PC_IN_CLOSING, PC_EV_FREEZE, XU_OK, PC_IN_CLOSING, F0},
    {PC_IN_CLOSING, PC_EV_SHUT_NOW, ABORT, 0, F0},
    /* a redeem in flight: its result comes first */
    {PC_IN_CLOSING, PC_EV_REDEEM_NOW, XU_OK, PC_IN_CLOSING, F0},
    /* CLOSED */
    {PC_IN_CLOSED, PC_EV_SETTLE, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_ACCOUNT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_CREATE_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_FUND_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_CLOSE_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_CLAIM_NACK, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_CLAIM, XU_EINVAL, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_REDEEM_RESULT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_LEDGER, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_GONE, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_TIMER, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_CLOSE, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_LAST_CLAIM, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_PEER_BEST, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_REOPEN, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_FINAL, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_MOVED, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_SHUT, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_FREEZE, XU_OK, PC_IN_CLOSED, F0},
    {PC_IN_CLOSED, PC_EV_SHUT_NOW, ABORT, 0, F0},
    {PC_IN_CLOSED, PC_EV_REDEEM_NOW, XU_OK, PC_IN_CLOSED, F0},
};

/* The operator's redeem (PC_EV_REDEEM_NOW): the best claim goes when the
 * policy would wait (the same effect, tfClose only when deleting); never
 * while one is in flight, with nothing above the Balance, or expired. */
static void test_channel_in_redeem_now(void **state)
{
	struct pc_in ch;
	struct pc_effects fx;
	struct pc_event ev, tick, res;
	struct xu_err e;

	(void)state;
	fx_setup();
	in_fixture(&ch, PC_IN_OPEN);
	ch.next_check = T_NOW + 3600; /* the policy waits */
	ch.retry_at = T_NOW + 60;     /* after a failed redeem */
	tick = canonical_event(PC_EV_TIMER, false);
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &tick, &fx, NULL, &e),
			 XU_OK);
	FX_NONE(&fx);
	ev = canonical_event(PC_EV_REDEEM_NOW, false);
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, &e), XU_OK);
	FX_EXPECT(&fx, PC_FX_SUBMIT_REDEEM);
	assert_true(xl_drops_eq(fx.v[0].amount, D(XRP(3))));
	assert_false(fx.v[0].close);
	assert_true(ch.redeem_inflight);
	/* In flight: a second one waits for its result. */
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, &e), XU_OK);
	FX_NONE(&fx);
	res = canonical_event(PC_EV_REDEEM_RESULT, false);
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &res, &fx, NULL, &e), XU_OK);
	assert_true(xl_drops_eq(ch.view.balance, D(XRP(3))));
	/* All redeemed: nothing to submit. */
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, &e), XU_OK);
	FX_NONE(&fx);
	assert_false(ch.redeem_inflight);
	/* Deleting: with tfClose, as the policy's. */
	in_fixture(&ch, PC_IN_OPEN);
	ch.deleting = true;
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, &e), XU_OK);
	FX_EXPECT(&fx, PC_FX_SUBMIT_REDEEM);
	assert_true(fx.v[0].close);
	/* Expired: no redeem can land. */
	in_fixture(&ch, PC_IN_CLOSING);
	ch.redeem_inflight = false;
	ch.view.expiration = T_LEDGER - 1;
	assert_int_equal(pc_in_apply(&ch, &fx_cfg, &ev, &fx, NULL, &e), XU_OK);
	FX_NONE(&fx);
	assert_false(ch.redeem_inflight);
}

static void in_fix(struct call *c, int s)
{
	in_fixture(&c->in, (enum pc_in_state)s);
}

static void test_channel_in_every_state_event(void **state)
{
	(void)state;
	fx_setup();
	check_rows(in_rows, sizeof(in_rows) / sizeof(in_rows[0]), false,
		   in_fix);
}

/* --- set_state ---------------------------------------------------------- */

struct set_call {
	bool outgoing;
	int from, old, to;
};

static void run_set(void *arg)
{
	struct set_call *s = arg;
	struct pc_out o;
	struct pc_in in;

	pc_out_init(&o, &fx_self, &fx_peer);
	pc_in_init(&in, &fx_self, &fx_peer, fx_in_id);
	if (s->outgoing) {
		o.state = (enum pc_out_state)s->from;
		pc_out_set_state(&o, (enum pc_out_state)s->old,
				 (enum pc_out_state)s->to, "test");
	} else {
		in.state = (enum pc_in_state)s->from;
		pc_in_set_state(&in, (enum pc_in_state)s->old,
				(enum pc_in_state)s->to, "test");
	}
}

static void test_channel_set_state_edges(void **state)
{
	/* The diagrams of channel.c, as edges. */
	static const int out_ok[][2] = {
	    {PC_OUT_NONE, PC_OUT_OPENING},    {PC_OUT_NONE, PC_OUT_CLOSED},
	    {PC_OUT_OPENING, PC_OUT_NONE},    {PC_OUT_OPENING, PC_OUT_OPEN},
	    {PC_OUT_OPENING, PC_OUT_CLOSING}, {PC_OUT_OPENING, PC_OUT_CLOSED},
	    {PC_OUT_OPEN, PC_OUT_FUNDING},    {PC_OUT_OPEN, PC_OUT_CLOSING},
	    {PC_OUT_OPEN, PC_OUT_CLOSED},     {PC_OUT_FUNDING, PC_OUT_OPEN},
	    {PC_OUT_FUNDING, PC_OUT_CLOSING}, {PC_OUT_FUNDING, PC_OUT_CLOSED},
	    {PC_OUT_CLOSING, PC_OUT_CLOSED},  {PC_OUT_CLOSED, PC_OUT_OPENING},
	};
	static const int in_ok[][2] = {
	    {PC_IN_NONE, PC_IN_OPEN},	   {PC_IN_NONE, PC_IN_CLOSING},
	    {PC_IN_NONE, PC_IN_CLOSED},	   {PC_IN_OPEN, PC_IN_CLOSING},
	    {PC_IN_OPEN, PC_IN_CLOSED},	   {PC_IN_CLOSING, PC_IN_OPEN},
	    {PC_IN_CLOSING, PC_IN_CLOSED},
	};
	(void)state;
	fx_setup();
	for (int out = 0; out < 2; out++) {
		int n = out ? PC_OUT_NSTATES : PC_IN_NSTATES;

		for (int a = 0; a < n; a++) {
			for (int b = 0; b < n; b++) {
				bool want = false;
				struct set_call s = {out != 0, a, a, b};
				size_t cnt =
				    out ? sizeof(out_ok) / sizeof(out_ok[0])
					: sizeof(in_ok) / sizeof(in_ok[0]);

				for (size_t i = 0; i < cnt; i++) {
					const int *e =
					    out ? out_ok[i] : in_ok[i];

					if (e[0] == a && e[1] == b)
						want = true;
				}
				assert_int_equal(
				    out ? pc_out_edge_ok((enum pc_out_state)a,
							 (enum pc_out_state)b)
					: pc_in_edge_ok((enum pc_in_state)a,
							(enum pc_in_state)b),
				    want);
				if (fx_aborts(run_set, &s) == want)
					fail_msg("%s edge %d -> %d: abort %s",
						 out ? "out" : "in", a, b,
						 want ? "unexpected"
						      : "missing");
				/* A stale `old` always aborts. */
				s.from = (a + 1) % n;
				assert_true(fx_aborts(run_set, &s));
			}
		}
	}
	/* Out-of-range states are never edges. */
	assert_false(pc_out_edge_ok(PC_OUT_NONE, (enum pc_out_state)6));
	assert_false(pc_in_edge_ok((enum pc_in_state)9, PC_IN_OPEN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_channel_out_every_state_event),
	    cmocka_unit_test(test_channel_out_shut_is_not_a_deletion),
	    cmocka_unit_test(test_channel_out_shut_now),
	    cmocka_unit_test(test_channel_in_redeem_now),
	    cmocka_unit_test(test_channel_in_every_state_event),
	    cmocka_unit_test(test_channel_set_state_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
