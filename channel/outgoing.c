/* The outgoing channel's state machine: the channel we pay the peer
 * through (diagram in channel.c).  Settlements accumulate in `owed`; what
 * fits under the channel's validated Amount becomes the new cumulative
 * claim, never more (peers.md R8); the rest waits for a top-up, which is
 * one funding transaction at a time after a reserve check (R11, R12).
 */
#include <string.h>

#include "channel/channel.h"
#include "channel/internal.h"

/* Moves what fits from owed to signed_total and emits one claim. */
static void try_sign(struct pc_out *ch, struct pc_effects *fx)
{
	struct xl_drops room, take;

	if (ch->state != PC_OUT_OPEN && ch->state != PC_OUT_FUNDING)
		return;
	if (xl_drops_is_zero(ch->owed))
		return;
	if (!xl_drops_sub(&room, ch->amount, ch->signed_total))
		return;
	take = xl_drops_min(room, ch->owed);
	if (xl_drops_is_zero(take))
		return;
	/* Both cannot fail: take <= room and take <= owed. */
	XU_ASSERT(xl_drops_add(&ch->signed_total, ch->signed_total, take));
	XU_ASSERT(xl_drops_sub(&ch->owed, ch->owed, take));
	pc_fx_push(fx, PC_FX_SIGN_AND_SEND_CLAIM, ch->id)->amount =
	    ch->signed_total;
}

static void try_topup(struct pc_out *ch, const struct pc_cfg *cfg,
		      const struct pc_clock *clk, struct pc_effects *fx)
{
	struct xl_drops add;
	bool capped;

	if (clk->now < ch->retry_at)
		return;
	if (!pc_topup_due(ch, cfg, &add, &capped)) {
		if (capped) {
			pc_fx_alert(fx, PC_ALERT_CAP_REACHED, ch->id, ch->owed);
			ch->retry_at = clk->now + cfg->retry_s;
		}
		return;
	}
	if (!pc_reserve_ok(ch, add, false)) {
		pc_fx_alert(fx,
			    ch->has_account ? PC_ALERT_LOW_BALANCE
					    : PC_ALERT_NO_ACCOUNT_INFO,
			    ch->id, add);
		ch->retry_at = clk->now + cfg->retry_s;
		return;
	}
	pc_out_set_state(ch, PC_OUT_OPEN, PC_OUT_FUNDING, "top-up submitted");
	ch->fund_inflight = true;
	pc_fx_push(fx, PC_FX_SUBMIT_FUND, ch->id)->amount = add;
}

/* NONE or CLOSED with settlements waiting: open a (new) channel. */
static void try_open(struct pc_out *ch, const struct pc_cfg *cfg,
		     const struct pc_clock *clk, struct pc_effects *fx)
{
	struct pc_effect *e;

	if (xl_drops_is_zero(ch->owed))
		return;
	if (ch->deleting) {
		pc_fx_alert(fx, PC_ALERT_OWED_UNPAYABLE, NULL, ch->owed);
		return;
	}
	if (clk->now < ch->retry_at)
		return;
	if (!pc_reserve_ok(ch, cfg->channel_amount, true)) {
		pc_fx_alert(fx,
			    ch->has_account ? PC_ALERT_LOW_BALANCE
					    : PC_ALERT_NO_ACCOUNT_INFO,
			    NULL, cfg->channel_amount);
		ch->retry_at = clk->now + cfg->retry_s;
		return;
	}
	pc_out_set_state(ch, ch->state, PC_OUT_OPENING, "create submitted");
	ch->has_id = false;
	memset(ch->id, 0, sizeof(ch->id));
	ch->amount = xl_drops_zero();
	ch->redeemed = xl_drops_zero();
	ch->signed_total = xl_drops_zero();
	ch->has_expiration = false;
	ch->expiration = 0;
	ch->settle_delay = cfg->settle_delay;
	e = pc_fx_push(fx, PC_FX_SUBMIT_CREATE, NULL);
	e->amount = cfg->channel_amount;
	e->settle_delay = cfg->settle_delay;
}

static void submit_close(struct pc_out *ch, struct pc_effects *fx)
{
	ch->close_inflight = true;
	pc_fx_push(fx, PC_FX_SUBMIT_CLOSE, ch->id);
}

static enum xu_code on_settle(struct pc_out *ch, const struct pc_cfg *cfg,
			      const struct pc_event *ev, struct pc_effects *fx,
			      struct xu_err *err)
{
	struct xl_drops owed;

	if (xl_drops_is_zero(ev->u.settle))
		return XU_OK;
	if (!xl_drops_add(&owed, ch->owed, ev->u.settle))
		return xu_fail(err, XU_ERANGE, 0,
			       "settlement would exceed 10^17 drops owed");
	ch->owed = owed;
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_CLOSED:
		try_open(ch, cfg, &ev->clk, fx);
		return XU_OK;
	case PC_OUT_OPENING:
		return XU_OK;
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
		try_sign(ch, fx);
		try_topup(ch, cfg, &ev->clk, fx);
		return XU_OK;
	case PC_OUT_CLOSING:
		pc_fx_alert(fx, PC_ALERT_OWED_UNPAYABLE, ch->id, ch->owed);
		return XU_OK;
	}
	XU_ASSERT(!"bad outgoing state");
	return XU_EINTERNAL;
}

static void on_account(struct pc_out *ch, const struct pc_cfg *cfg,
		       const struct pc_event *ev, struct pc_effects *fx)
{
	ch->has_account = true;
	ch->acct_balance = ev->u.account.balance;
	ch->acct_reserve = ev->u.account.reserve;
	ch->acct_reserve_inc = ev->u.account.reserve_inc;
	ch->fee = ev->u.account.fee;
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_CLOSED:
		try_open(ch, cfg, &ev->clk, fx);
		return;
	case PC_OUT_OPEN:
		try_topup(ch, cfg, &ev->clk, fx);
		return;
	case PC_OUT_OPENING:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		return;
	}
}

static void on_create_result(struct pc_out *ch, const struct pc_cfg *cfg,
			     const struct pc_event *ev, struct pc_effects *fx)
{
	/* Only the daemon's own create can report here. */
	XU_ASSERT(ch->state == PC_OUT_OPENING);
	if (!ev->u.result.ok) {
		pc_fx_alert(fx, PC_ALERT_TX_FAILED, NULL, cfg->channel_amount);
		ch->retry_at = ev->clk.now + cfg->retry_s;
		pc_out_set_state(ch, PC_OUT_OPENING,
				 ch->deleting ? PC_OUT_CLOSED : PC_OUT_NONE,
				 "create failed");
		return;
	}
	ch->has_id = true;
	memcpy(ch->id, ev->u.result.channel, CR_CHANNEL_ID_BYTES);
	ch->amount = ev->u.result.amount;
	if (ch->deleting) {
		pc_out_set_state(ch, PC_OUT_OPENING, PC_OUT_CLOSING,
				 "created while deleting");
		submit_close(ch, fx);
		return;
	}
	pc_out_set_state(ch, PC_OUT_OPENING, PC_OUT_OPEN, "created");
	pc_fx_push(fx, PC_FX_SEND_CHANNEL_NOTICE, ch->id)->amount = ch->amount;
	try_sign(ch, fx);
	try_topup(ch, cfg, &ev->clk, fx);
}

static void on_fund_result(struct pc_out *ch, const struct pc_cfg *cfg,
			   const struct pc_event *ev, struct pc_effects *fx)
{
	XU_ASSERT(ch->fund_inflight);
	ch->fund_inflight = false;
	if (ch->state == PC_OUT_FUNDING)
		pc_out_set_state(ch, PC_OUT_FUNDING, PC_OUT_OPEN,
				 ev->u.result.ok ? "funded" : "fund failed");
	if (!ev->u.result.ok) {
		pc_fx_alert(fx, PC_ALERT_TX_FAILED, ch->id, ch->owed);
		ch->retry_at = ev->clk.now + cfg->retry_s;
		return;
	}
	if (ch->state != PC_OUT_OPEN)
		return;
	if (xl_drops_cmp(ev->u.result.amount, ch->amount) > 0)
		ch->amount = ev->u.result.amount;
	pc_fx_push(fx, PC_FX_SEND_CHANNEL_NOTICE, ch->id)->amount = ch->amount;
	try_sign(ch, fx);
	try_topup(ch, cfg, &ev->clk, fx);
}

static void on_close_result(struct pc_out *ch, const struct pc_cfg *cfg,
			    const struct pc_event *ev, struct pc_effects *fx)
{
	XU_ASSERT(ch->close_inflight);
	ch->close_inflight = false;
	/* Success or not, wait for the ledger to show it before another. */
	ch->retry_at = ev->clk.now + cfg->retry_s;
	if (!ev->u.result.ok)
		pc_fx_alert(fx, PC_ALERT_TX_FAILED, ch->id, xl_drops_zero());
}

static enum xu_code on_ledger(struct pc_out *ch, const struct pc_cfg *cfg,
			      const struct pc_event *ev, struct pc_effects *fx,
			      struct xu_err *err)
{
	const struct pc_view *v = &ev->u.view;

	if (!ch->has_id || memcmp(v->id, ch->id, CR_CHANNEL_ID_BYTES) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "ledger view of another channel");
	if (memcmp(&v->source, &ch->self, sizeof(v->source)) != 0 ||
	    memcmp(&v->dest, &ch->peer, sizeof(v->dest)) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "ledger channel is not ours to the peer");
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return XU_OK; /* stale or early: the result event rules */
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		break;
	}
	if (xl_drops_cmp(v->amount, ch->signed_total) < 0)
		pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->id, v->amount);
	ch->amount = v->amount;
	ch->redeemed = v->balance;
	ch->settle_delay = v->settle_delay;
	ch->has_expiration = v->has_expiration;
	ch->expiration = v->expiration;
	if ((v->has_expiration || v->has_cancel_after) &&
	    ch->state != PC_OUT_CLOSING) {
		pc_out_set_state(ch, ch->state, PC_OUT_CLOSING,
				 "expiration on the ledger");
		pc_fx_alert(fx, PC_ALERT_PEER_CLOSING, ch->id, ch->owed);
		return XU_OK;
	}
	try_sign(ch, fx);
	if (ch->state == PC_OUT_OPEN)
		try_topup(ch, cfg, &ev->clk, fx);
	return XU_OK;
}

static void on_gone(struct pc_out *ch, struct pc_effects *fx)
{
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return;
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		pc_out_set_state(ch, ch->state, PC_OUT_CLOSED,
				 "gone from the ledger");
		pc_fx_alert(fx, PC_ALERT_CHANNEL_GONE, ch->id, ch->owed);
		return;
	}
}

static void on_timer(struct pc_out *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
{
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_CLOSED:
		try_open(ch, cfg, &ev->clk, fx);
		return;
	case PC_OUT_OPENING:
	case PC_OUT_FUNDING:
		return;
	case PC_OUT_OPEN:
		try_sign(ch, fx);
		try_topup(ch, cfg, &ev->clk, fx);
		return;
	case PC_OUT_CLOSING:
		if (ch->close_inflight || ev->clk.now < ch->retry_at)
			return;
		/* Not yet closing on the ledger (our close failed or is not
		 * visible yet), or expired: any transaction finalizes. */
		if (!ch->has_expiration ||
		    ev->clk.ledger_time >= ch->expiration)
			submit_close(ch, fx);
		return;
	}
}

static void on_close(struct pc_out *ch, struct pc_effects *fx)
{
	ch->deleting = true;
	switch (ch->state) {
	case PC_OUT_NONE:
		pc_out_set_state(ch, PC_OUT_NONE, PC_OUT_CLOSED,
				 "deleted before opening");
		return;
	case PC_OUT_OPENING: /* closed once the create lands */
	case PC_OUT_CLOSING: /* already closing: the timer finalizes */
	case PC_OUT_CLOSED:
		return;
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
		pc_out_set_state(ch, ch->state, PC_OUT_CLOSING,
				 "close requested");
		/* RFC-less courtesy (peers.md R19): the peer may close as
		 * destination at once; our owner close sets Expiration. */
		pc_fx_push(fx, PC_FX_SEND_CLOSE_REQUEST, ch->id);
		submit_close(ch, fx);
		return;
	}
}

static void on_nack(struct pc_out *ch, struct pc_effects *fx)
{
	if (!ch->has_id || xl_drops_is_zero(ch->signed_total))
		return;
	switch (ch->state) {
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		pc_fx_push(fx, PC_FX_RESEND_CLAIM, ch->id)->amount =
		    ch->signed_total;
		return;
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return;
	}
}

enum xu_code pc_out_apply(struct pc_out *ch, const struct pc_cfg *cfg,
			  const struct pc_event *ev, struct pc_effects *fx,
			  struct xu_err *err)
{
	struct pc_out saved;
	enum xu_code rc = XU_OK;

	XU_ASSERT(ch != NULL && cfg != NULL && ev != NULL && fx != NULL);
	XU_ASSERT((unsigned)ch->state < PC_OUT_NSTATES);
	fx->n = 0;
	saved = *ch;
	switch (ev->kind) {
	case PC_EV_SETTLE:
		rc = on_settle(ch, cfg, ev, fx, err);
		break;
	case PC_EV_ACCOUNT:
		on_account(ch, cfg, ev, fx);
		break;
	case PC_EV_CREATE_RESULT:
		on_create_result(ch, cfg, ev, fx);
		break;
	case PC_EV_FUND_RESULT:
		on_fund_result(ch, cfg, ev, fx);
		break;
	case PC_EV_CLOSE_RESULT:
		on_close_result(ch, cfg, ev, fx);
		break;
	case PC_EV_CLAIM_NACK:
		on_nack(ch, fx);
		break;
	case PC_EV_LEDGER:
		rc = on_ledger(ch, cfg, ev, fx, err);
		break;
	case PC_EV_GONE:
		on_gone(ch, fx);
		break;
	case PC_EV_TIMER:
		on_timer(ch, cfg, ev, fx);
		break;
	case PC_EV_CLOSE:
		on_close(ch, fx);
		break;
	case PC_EV_CLAIM:
	case PC_EV_REDEEM_RESULT:
		XU_ASSERT(!"incoming event given to an outgoing channel");
		break;
	default:
		XU_ASSERT(!"unknown event kind");
		break;
	}
	if (rc != XU_OK) {
		*ch = saved;
		fx->n = 0;
	}
	return rc;
}
