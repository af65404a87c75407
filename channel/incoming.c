/* The incoming channel's state machine: a channel the peer pays us through
 * (diagram in channel.c).  A claim is checked against the last validated
 * ledger view in a fixed order (docs/design.md#incoming-channel), and an
 * accepted one is persisted before the connector is credited with the
 * increase under a deterministic Idempotency-Key
 * (docs/risks.md#credit-without-a-durable-claim).  Redeeming on
 * the ledger follows pc_redeem_due(): at once when the channel is closing,
 * otherwise by thresholds, and again until the ledger shows the Balance.
 */
#include <string.h>

#include "channel/channel.h"
#include "channel/internal.h"

static bool is_ours(const struct pc_in *ch, const struct pc_view *v)
{
	return memcmp(&v->source, &ch->peer, sizeof(v->source)) == 0 &&
	       memcmp(&v->dest, &ch->self, sizeof(v->dest)) == 0;
}

static bool view_closing(const struct pc_view *v)
{
	return v->has_expiration || v->has_cancel_after;
}

/* The redeem of the best claim held (tfClose when deleting). */
static void submit_redeem(struct pc_in *ch, struct pc_effects *fx)
{
	struct pc_effect *e;

	ch->redeem_inflight = true;
	ch->redeem_amount = ch->best;
	e = pc_fx_push(fx, PC_FX_SUBMIT_REDEEM, ch->id);
	e->amount = ch->best;
	memcpy(e->sig, ch->best_sig, ch->best_siglen);
	e->siglen = ch->best_siglen;
	memcpy(e->pubkey, ch->view.pubkey, CR_PUBKEY_BYTES);
	e->close = ch->deleting;
}

/* Submits the best claim when the policy says so (and no redeem is in
 * flight).  Non-urgent checks are spaced by redeem_check_s. */
static void maybe_redeem(struct pc_in *ch, const struct pc_cfg *cfg,
			 const struct pc_clock *clk, struct xl_drops fee,
			 struct pc_effects *fx)
{
	bool urgent;

	if (clk->now < ch->retry_at)
		return;
	if (!pc_redeem_due(ch, cfg, clk, fee, &urgent)) {
		if (clk->now >= ch->next_check)
			ch->next_check = clk->now + cfg->redeem_check_s;
		return;
	}
	if (!urgent)
		ch->next_check = clk->now + cfg->redeem_check_s;
	submit_redeem(ch, fx);
}

/* Whether the channel's Expiration or CancelAfter has passed: no redeem
 * can land any more. */
static bool expired(const struct pc_in *ch, const struct pc_clock *clk)
{
	const struct pc_view *v = &ch->view;

	return (v->has_expiration && clk->ledger_time >= v->expiration) ||
	       (v->has_cancel_after && clk->ledger_time >= v->cancel_after);
}

/* The operator's redeem (PC_EV_REDEEM_NOW): the best claim held goes now,
 * whatever the thresholds, the fee or a failed redeem's pause say, by the
 * same effect as the policy's, when it can do anything: a linked channel
 * (OPEN or CLOSING), no redeem in flight (its result comes first), more
 * held than the ledger's Balance, not expired.  Otherwise nothing. */
static void on_redeem_now(struct pc_in *ch, const struct pc_clock *clk,
			  struct pc_effects *fx)
{
	struct xl_drops unclaimed;

	if (ch->state != PC_IN_OPEN && ch->state != PC_IN_CLOSING)
		return;
	if (!ch->has_view || ch->redeem_inflight || expired(ch, clk))
		return;
	if (!xl_drops_sub(&unclaimed, ch->best, ch->view.balance) ||
	    xl_drops_is_zero(unclaimed))
		return;
	submit_redeem(ch, fx);
}

/* A closing channel whose Expiration/CancelAfter has passed while we held
 * a better claim than the ledger paid: too late, alert once. */
static bool alert_expired(struct pc_in *ch, const struct pc_clock *clk,
			  struct pc_effects *fx)
{
	const struct pc_view *v = &ch->view;
	struct xl_drops lost;

	if (ch->state != PC_IN_CLOSING || ch->expired_alerted)
		return false;
	if (!(v->has_expiration && clk->ledger_time >= v->expiration) &&
	    !(v->has_cancel_after && clk->ledger_time >= v->cancel_after))
		return false;
	if (!xl_drops_sub(&lost, ch->best, v->balance) ||
	    xl_drops_is_zero(lost))
		return false;
	ch->expired_alerted = true;
	pc_fx_alert(fx, PC_ALERT_LOST_UNREDEEMED, ch->id, lost);
	return true;
}

/* Rejects a claim: nothing changes, the reason goes to err->detail. */
static enum xu_code reject(struct xu_err *err, enum xu_code code,
			   enum pc_reject why, enum pc_reject *out,
			   const char *msg)
{
	if (out != NULL)
		*out = why;
	return xu_fail(err, code, (int)why, "%s: %s", pc_reject_name(why), msg);
}

static enum xu_code on_claim(struct pc_in *ch, const struct pc_cfg *cfg,
			     const struct pc_event *ev, struct pc_effects *fx,
			     enum pc_reject *why, struct xu_err *err)
{
	const struct pc_claim *c = &ev->u.claim;
	const struct pc_view *v = &ch->view;
	struct xl_drops floor, inc, ack, lost = xl_drops_zero();
	struct pc_effect *e;

	/* 1. The channel exists, is this one, and pays us from the peer. */
	if (ch->state == PC_IN_CLOSED || !ch->has_view)
		return reject(err, XU_EINVAL, PC_REJ_NO_CHANNEL, why,
			      "channel not found on the validated ledger");
	if (memcmp(c->channel, ch->id, CR_CHANNEL_ID_BYTES) != 0)
		return reject(err, XU_EINVAL, PC_REJ_WRONG_CHANNEL, why,
			      "claim is for another channel");
	if (!is_ours(ch, v))
		return reject(err, XU_EINVAL, PC_REJ_NOT_OURS, why,
			      "channel is not from the peer to us");
	/* A NONE record with a view that is ours was linked on LEDGER. */
	XU_ASSERT(ch->state != PC_IN_NONE);
	/* 2. No CancelAfter (docs/risks.md#cancelafter-on-an-incoming-channel). */
	if (v->has_cancel_after)
		return reject(err, XU_EINVAL, PC_REJ_CANCEL_AFTER, why,
			      "channel has a CancelAfter");
	/* 3. No close in progress, or enough time left to redeem
	 * (docs/risks.md#channel-expiring-with-unredeemed-claims). */
	if (ch->deleting)
		return reject(err, XU_EINVAL, PC_REJ_CLOSING, why,
			      "account is being deleted");
	if (ch->frozen)
		return reject(err, XU_EINVAL, PC_REJ_CLOSING, why,
			      "the payer said the channel left the ledger");
	if (v->has_expiration && (v->expiration <= ev->clk.ledger_time ||
				  v->expiration - ev->clk.ledger_time <=
				      pc_close_margin(cfg, v->settle_delay)))
		return reject(err, XU_EINVAL, PC_REJ_CLOSING, why,
			      "channel closes too soon to redeem");
	/* 4. Settle delay at or above our minimum
	 * (docs/risks.md#settle-delay-too-short), at or below our maximum,
	 * and not wrapping the ledger's time: rippled sets an owner
	 * close's Expiration to parentCloseTime + SettleDelay as a uint32,
	 * so a sum past 2^32 closes the channel at once with nothing
	 * redeemed (channel.h, PC_WRAP_HEADROOM_S). */
	if (v->settle_delay < cfg->min_settle_delay)
		return reject(err, XU_EINVAL, PC_REJ_SETTLE_DELAY, why,
			      "settle delay below our minimum");
	if (v->settle_delay > cfg->max_settle_delay)
		return reject(err, XU_EINVAL, PC_REJ_SETTLE_DELAY, why,
			      "settle delay above our maximum");
	if (pc_settle_delay_wraps(ev->clk.ledger_time, v->settle_delay))
		return reject(err, XU_EINVAL, PC_REJ_SETTLE_DELAY, why,
			      "ledger time + settle delay would wrap the "
			      "ledger's 32-bit Expiration into the past");
	/* 5. XRPL: verify against the ledger's PublicKey, never a key the
	 * payer sends alongside (rippled temBAD_SIGNER). */
	if (!cr_claim_verify(v->pubkey, CR_PUBKEY_BYTES, c->channel,
			     xl_drops_u64(c->amount), c->sig, c->siglen))
		return reject(err, XU_EBADSIG, PC_REJ_BAD_SIGNATURE, why,
			      "signature does not verify with the channel key");
	/* 6. Within the validated Amount, the payee's side of
	 * docs/risks.md#claim-above-channel-amount. */
	if (xl_drops_cmp(c->amount, v->amount) > 0)
		return reject(err, XU_ERANGE, PC_REJ_ABOVE_CAPACITY, why,
			      "amount above the channel's validated Amount");
	/* 7. Above the best held; the same one again is a no-op. */
	if (xl_drops_eq(c->amount, ch->best)) {
		if (why != NULL)
			*why = PC_REJ_NONE;
		return XU_OK;
	}
	floor = ch->best;
	if (xl_drops_cmp(v->balance, floor) > 0)
		floor = v->balance;
	/* The payer says we acknowledged more than our store holds: our
	 * store lost claims it had accepted and credited (restored from a
	 * backup).  They are not credited again.  (A payer lying upward
	 * only costs itself: less is credited.) */
	ack = xl_drops_min(c->acked, c->amount);
	if (xl_drops_cmp(ack, floor) > 0) {
		XU_ASSERT(xl_drops_sub(&lost, ack, floor));
		floor = ack;
	}
	if (!xl_drops_sub(&inc, c->amount, floor) || xl_drops_is_zero(inc))
		return reject(err, XU_EINVAL, PC_REJ_NOT_INCREASING, why,
			      "amount not above the best claim held");
	if (!xl_drops_is_zero(lost)) {
		e = pc_fx_push(fx, PC_FX_ALERT, ch->id);
		e->alert = PC_ALERT_CREDITS_LOST;
		e->amount = lost;
	}

	ch->best = c->amount;
	memcpy(ch->best_sig, c->sig, c->siglen);
	ch->best_siglen = c->siglen;
	e = pc_fx_push(fx, PC_FX_PERSIST_CLAIM, ch->id);
	e->amount = c->amount;
	memcpy(e->sig, c->sig, c->siglen);
	e->siglen = c->siglen;
	e = pc_fx_push(fx, PC_FX_CREDIT, ch->id);
	e->amount = inc;
	pc_credit_key(e->key, ch->id, c->amount);
	if (ch->state == PC_IN_CLOSING)
		maybe_redeem(ch, cfg, &ev->clk, xl_drops_zero(), fx);
	if (why != NULL)
		*why = PC_REJ_NONE;
	return XU_OK;
}

static enum xu_code on_ledger(struct pc_in *ch, const struct pc_cfg *cfg,
			      const struct pc_event *ev, struct pc_effects *fx,
			      struct xu_err *err)
{
	const struct pc_view *v = &ev->u.view;

	if (memcmp(v->id, ch->id, CR_CHANNEL_ID_BYTES) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "ledger view of another channel");
	/* Older than the newest ledger that showed the channel (a lagging
	 * server): it would take the record back in time. */
	if (ch->has_view && v->ledger_index < ch->view.ledger_index)
		return XU_OK;
	switch (ch->state) {
	case PC_IN_CLOSED:
		return XU_OK; /* a stale poll after the channel went */
	case PC_IN_NONE:
		ch->view = *v;
		ch->has_view = true;
		if (!is_ours(ch, v))
			return XU_OK; /* claims will be refused: NOT_OURS */
		if (view_closing(v)) {
			pc_in_set_state(ch, PC_IN_NONE, PC_IN_CLOSING,
					"linked while closing");
			pc_fx_alert(fx, PC_ALERT_PEER_CLOSING, ch->id,
				    xl_drops_zero());
		} else {
			pc_in_set_state(ch, PC_IN_NONE, PC_IN_OPEN, "linked");
		}
		return XU_OK;
	case PC_IN_OPEN:
	case PC_IN_CLOSING:
		break;
	}
	if (!is_ours(ch, v))
		return xu_fail(err, XU_EINVAL, 0,
			       "ledger shows other parties for a linked "
			       "channel");
	if (xl_drops_cmp(v->balance, ch->view.balance) > 0)
		ch->last_redeem = ev->clk.now;
	if (xl_drops_cmp(v->balance, ch->best) > 0)
		pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->id, v->balance);
	ch->view = *v;
	if (ch->state == PC_IN_OPEN && view_closing(v)) {
		pc_in_set_state(ch, PC_IN_OPEN, PC_IN_CLOSING,
				"peer started closing");
		pc_fx_alert(fx, PC_ALERT_PEER_CLOSING, ch->id, ch->best);
	} else if (ch->state == PC_IN_CLOSING && !view_closing(v) &&
		   !ch->deleting) {
		pc_in_set_state(ch, PC_IN_CLOSING, PC_IN_OPEN, "renewed");
		ch->expired_alerted = false;
		return XU_OK;
	}
	if (alert_expired(ch, &ev->clk, fx))
		return XU_OK;
	if (ch->state == PC_IN_CLOSING)
		maybe_redeem(ch, cfg, &ev->clk, xl_drops_zero(), fx);
	return XU_OK;
}

static void on_gone(struct pc_in *ch, const struct pc_event *ev,
		    struct pc_effects *fx)
{
	struct xl_drops lost;

	/* Only a validated ledger at least as new as the newest that showed
	 * the channel proves it gone: an older one (a lagging server) says
	 * nothing about it now, and CLOSED is final. */
	if (ev->u.gone_ledger < ch->view.ledger_index)
		return;
	switch (ch->state) {
	case PC_IN_CLOSED:
		return;
	case PC_IN_NONE:
		pc_in_set_state(ch, PC_IN_NONE, PC_IN_CLOSED, "not on ledger");
		return;
	case PC_IN_OPEN:
	case PC_IN_CLOSING:
		break;
	}
	pc_in_set_state(ch, ch->state, PC_IN_CLOSED, "gone from the ledger");
	if (!xl_drops_sub(&lost, ch->best, ch->view.balance))
		lost = xl_drops_zero();
	/* Closed after our deletion with everything redeemed: expected. */
	if (!ch->deleting || !xl_drops_is_zero(lost))
		pc_fx_alert(fx, PC_ALERT_CHANNEL_GONE, ch->id, ch->best);
	if (!xl_drops_is_zero(lost) && !ch->expired_alerted)
		pc_fx_alert(fx, PC_ALERT_LOST_UNREDEEMED, ch->id, lost);
}

static void on_redeem_result(struct pc_in *ch, const struct pc_cfg *cfg,
			     const struct pc_event *ev, struct pc_effects *fx)
{
	/* Only the daemon's own redeem can report here. */
	XU_ASSERT(ch->redeem_inflight);
	ch->redeem_inflight = false;
	if (!ev->u.result.ok) {
		pc_fx_alert(fx, PC_ALERT_TX_FAILED, ch->id, ch->redeem_amount);
		ch->retry_at = ev->clk.now + cfg->retry_s;
		return;
	}
	/* ok means the validated metadata shows Balance = redeem_amount. */
	if (xl_drops_cmp(ch->redeem_amount, ch->view.balance) > 0)
		ch->view.balance = ch->redeem_amount;
	if (ev->u.result.ledger > ch->view.ledger_index)
		ch->view.ledger_index = ev->u.result.ledger;
	ch->last_redeem = ev->clk.now;
	/* A better claim may have arrived meanwhile. */
	if (ch->state == PC_IN_CLOSING)
		maybe_redeem(ch, cfg, &ev->clk, xl_drops_zero(), fx);
}

static void on_close(struct pc_in *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
{
	ch->deleting = true;
	switch (ch->state) {
	case PC_IN_NONE:
		pc_in_set_state(ch, PC_IN_NONE, PC_IN_CLOSED, "deleted");
		return;
	case PC_IN_CLOSED:
		return;
	case PC_IN_OPEN:
		pc_in_set_state(ch, PC_IN_OPEN, PC_IN_CLOSING, "deleting");
		break;
	case PC_IN_CLOSING:
		break;
	}
	maybe_redeem(ch, cfg, &ev->clk, xl_drops_zero(), fx);
}

static void on_timer(struct pc_in *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
{
	switch (ch->state) {
	case PC_IN_NONE:
	case PC_IN_CLOSED:
		return;
	case PC_IN_OPEN:
	case PC_IN_CLOSING:
		break;
	}
	if (alert_expired(ch, &ev->clk, fx))
		return;
	maybe_redeem(ch, cfg, &ev->clk, ev->u.fee, fx);
}

enum xu_code pc_in_apply(struct pc_in *ch, const struct pc_cfg *cfg,
			 const struct pc_event *ev, struct pc_effects *fx,
			 enum pc_reject *why, struct xu_err *err)
{
	struct pc_in saved;
	enum xu_code rc = XU_OK;

	XU_ASSERT(ch != NULL && cfg != NULL && ev != NULL && fx != NULL);
	XU_ASSERT((unsigned)ch->state < PC_IN_NSTATES);
	fx->n = 0;
	if (why != NULL)
		*why = PC_REJ_NONE;
	saved = *ch;
	switch (ev->kind) {
	case PC_EV_CLAIM:
		if (ev->u.claim.siglen > CR_SIG_MAX_BYTES)
			rc = reject(err, XU_EBADSIG, PC_REJ_BAD_SIGNATURE, why,
				    "signature too long");
		else
			rc = on_claim(ch, cfg, ev, fx, why, err);
		break;
	case PC_EV_LEDGER:
		rc = on_ledger(ch, cfg, ev, fx, err);
		break;
	case PC_EV_GONE:
		on_gone(ch, ev, fx);
		break;
	case PC_EV_REDEEM_RESULT:
		on_redeem_result(ch, cfg, ev, fx);
		break;
	case PC_EV_TIMER:
		on_timer(ch, cfg, ev, fx);
		break;
	case PC_EV_CLOSE:
		on_close(ch, cfg, ev, fx);
		break;
	case PC_EV_FREEZE:
		ch->frozen = true;
		break;
	case PC_EV_REDEEM_NOW:
		on_redeem_now(ch, &ev->clk, fx);
		break;
	case PC_EV_SETTLE:
	case PC_EV_ACCOUNT:
	case PC_EV_CREATE_RESULT:
	case PC_EV_FUND_RESULT:
	case PC_EV_CLOSE_RESULT:
	case PC_EV_CLAIM_NACK:
	case PC_EV_LAST_CLAIM:
	case PC_EV_PEER_BEST:
	case PC_EV_REOPEN:
	case PC_EV_FINAL:
	case PC_EV_MOVED:
	case PC_EV_SHUT:
	case PC_EV_SHUT_NOW:
		XU_UNREACHABLE("outgoing event given to an incoming channel");
		break;
	default:
		XU_UNREACHABLE("unknown event kind");
		break;
	}
	if (rc != XU_OK) {
		*ch = saved;
		fx->n = 0;
	}
	return rc;
}
