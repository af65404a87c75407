/* The channel policies as pure functions of configuration, state, clock
 * and fee: when to redeem the best incoming claim on the ledger, when and
 * by how much to top up the outgoing channel, whether the account can
 * afford a transaction above its reserve, the margin before an
 * Expiration by which a redeem must land, and whether an owner close
 * could wrap the ledger's 32-bit Expiration.
 *
 * Amount comparisons are exact integer arithmetic (128-bit where a
 * product could exceed 64 bits); no floating point.
 */
#include "channel/channel.h"

bool pc_settle_delay_wraps(uint32_t ledger_time, uint32_t settle_delay)
{
	/* 64 bits: the sum itself must not wrap here. */
	uint64_t sum = (uint64_t)ledger_time + settle_delay;

	return sum >= (UINT64_C(1) << 32) - PC_WRAP_HEADROOM_S;
}

uint32_t pc_close_margin(const struct pc_cfg *cfg, uint32_t settle_delay)
{
	uint64_t pct;

	XU_ASSERT(cfg != NULL);
	pct = (uint64_t)settle_delay * cfg->close_margin_pct / 100;
	if (pct < cfg->close_margin_min_s)
		return cfg->close_margin_min_s;
	return (uint32_t)pct;
}

/* a * an >= b * bn, exactly. */
static bool prod_ge(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return (unsigned __int128)a * an >= (unsigned __int128)b * bn;
}

/* The channel is closing or its record is being deleted. */
static bool in_closing(const struct pc_in *ch)
{
	return ch->state == PC_IN_CLOSING || ch->deleting ||
	       ch->view.has_expiration || ch->view.has_cancel_after;
}

/* The ledger would close the channel on the next touch: too late. */
static bool in_expired(const struct pc_in *ch, uint32_t ledger_time)
{
	if (ch->view.has_expiration && ledger_time >= ch->view.expiration)
		return true;
	if (ch->view.has_cancel_after && ledger_time >= ch->view.cancel_after)
		return true;
	return false;
}

/* A closing channel's redeem goes out at once only when it pays for its
 * fee (fee <= redeem_fee_ppm of the unclaimed drops; an unknown fee, 0,
 * waits for the timer event that carries it), or when the deadline is
 * near (within PC_DEADLINE_MARGINS close margins), or when we are deleting the
 * account: a payer closing as owner and paying one drop at a time must
 * not make us pay a fee per drop
 * (docs/risks.md#one-drop-redeem-storms). */
static bool urgent_worth(const struct pc_in *ch, const struct pc_cfg *cfg,
			 const struct pc_clock *clk, struct xl_drops fee,
			 uint64_t unclaimed)
{
	const struct pc_view *v = &ch->view;
	uint64_t margin = PC_DEADLINE_MARGINS *
			  (uint64_t)pc_close_margin(cfg, v->settle_delay);

	if (ch->deleting)
		return true;
	if (v->has_expiration &&
	    (uint64_t)v->expiration - clk->ledger_time <= margin)
		return true;
	if (v->has_cancel_after &&
	    (uint64_t)v->cancel_after - clk->ledger_time <= margin)
		return true;
	if (xl_drops_is_zero(fee))
		return false;
	return prod_ge(unclaimed, cfg->redeem_fee_ppm, xl_drops_u64(fee),
		       1000000);
}

/* The drops held above the ledger's Balance, when a redeem could go at
 * all: a linked channel (OPEN or CLOSING) with a view, no redeem in
 * flight, and more held than the Balance.  XRPL PaymentChannelClaim:
 * "Balance <= channel Balance (nothing new) -> tecUNFUNDED_PAYMENT":
 * never submit a no-op. */
static bool redeemable(const struct pc_in *ch, struct xl_drops *unclaimed)
{
	if (ch->state != PC_IN_OPEN && ch->state != PC_IN_CLOSING)
		return false;
	if (!ch->has_view || ch->redeem_inflight)
		return false;
	return xl_drops_sub(unclaimed, ch->best, ch->view.balance) &&
	       !xl_drops_is_zero(*unclaimed);
}

/* An open channel's rules on the amount alone: redeem_abs, or the
 * fraction of the channel's Amount. */
static bool amount_worth(const struct pc_in *ch, const struct pc_cfg *cfg,
			 struct xl_drops unclaimed)
{
	if (xl_drops_cmp(unclaimed, cfg->redeem_abs) >= 0)
		return true;
	return cfg->redeem_frac_num > 0 &&
	       prod_ge(xl_drops_u64(unclaimed), cfg->redeem_frac_den,
		       xl_drops_u64(ch->view.amount), cfg->redeem_frac_num);
}

/* The fee at most redeem_fee_ppm of the unclaimed drops. */
static bool fee_worth(const struct pc_cfg *cfg, struct xl_drops unclaimed,
		      struct xl_drops fee)
{
	return prod_ge(xl_drops_u64(unclaimed), cfg->redeem_fee_ppm,
		       xl_drops_u64(fee), 1000000);
}

bool pc_redeem_due(const struct pc_in *ch, const struct pc_cfg *cfg,
		   const struct pc_clock *clk, struct xl_drops fee,
		   bool *urgent)
{
	struct xl_drops unclaimed;

	XU_ASSERT(ch != NULL && cfg != NULL && clk != NULL && urgent != NULL);
	*urgent = false;
	if (!redeemable(ch, &unclaimed))
		return false;
	if (in_closing(ch)) {
		if (in_expired(ch, clk->ledger_time))
			return false;
		if (!urgent_worth(ch, cfg, clk, fee, xl_drops_u64(unclaimed)))
			return false;
		*urgent = true;
		return true;
	}
	if (clk->now < ch->next_check)
		return false;
	if (amount_worth(ch, cfg, unclaimed))
		return true;
	if (fee_worth(cfg, unclaimed, fee) &&
	    (ch->last_redeem == 0 ||
	     clk->now - ch->last_redeem >= cfg->redeem_fee_min_interval_s))
		return true;
	return false;
}

/* The first now >= from at which "now - last (mod 2^64) >= interval"
 * holds, as pc_redeem_due computes it (an unsigned difference, so a now
 * before last wraps and passes), or PC_REDEEM_NEVER.  It fails exactly on
 * the interval-long window from last (mod 2^64). */
static uint64_t interval_next(uint64_t from, uint64_t last, uint64_t interval)
{
	uint64_t end;

	if (from - last >= interval)
		return from;
	/* from is in the window: the first time after it, when the window
	 * ends before 2^64. */
	end = last + interval;
	return end > from ? end : PC_REDEEM_NEVER;
}

uint64_t pc_redeem_next(const struct pc_in *ch, const struct pc_cfg *cfg,
			struct xl_drops fee)
{
	struct xl_drops unclaimed;

	XU_ASSERT(ch != NULL && cfg != NULL);
	if (!redeemable(ch, &unclaimed))
		return PC_REDEEM_NEVER;
	/* Closing: the rule reads the ledger time, not now. */
	if (in_closing(ch))
		return 0;
	/* Open: from next_check on, as pc_redeem_due. */
	if (amount_worth(ch, cfg, unclaimed))
		return ch->next_check;
	if (!fee_worth(cfg, unclaimed, fee))
		return PC_REDEEM_NEVER;
	if (ch->last_redeem == 0)
		return ch->next_check;
	return interval_next(ch->next_check, ch->last_redeem,
			     cfg->redeem_fee_min_interval_s);
}

bool pc_topup_due(const struct pc_out *ch, const struct pc_cfg *cfg,
		  struct xl_drops *add, bool *capped)
{
	struct xl_drops remaining, room, want;

	XU_ASSERT(ch != NULL && cfg != NULL && add != NULL && capped != NULL);
	*capped = false;
	*add = xl_drops_zero();
	/* Recovering: signed_total may be stale and owed waits for the
	 * peer's answer, not for capacity. */
	if (ch->state != PC_OUT_OPEN || ch->fund_inflight || ch->deleting ||
	    ch->recovering)
		return false;
	if (!xl_drops_sub(&remaining, ch->amount, ch->signed_total))
		remaining = xl_drops_zero();
	/* remaining < channel_amount * num / den, exactly. */
	if (xl_drops_is_zero(ch->owed) &&
	    prod_ge(xl_drops_u64(remaining), cfg->topup_den,
		    xl_drops_u64(cfg->channel_amount), cfg->topup_num))
		return false;
	want = cfg->channel_amount;
	if (xl_drops_cmp(ch->owed, want) > 0)
		want = ch->owed;
	if (!xl_drops_sub(&room, cfg->max_channel_amount, ch->amount) ||
	    xl_drops_is_zero(room)) {
		*capped = true;
		return false;
	}
	*add = xl_drops_min(want, room);
	return true;
}

bool pc_reserve_ok(const struct pc_out *ch, struct xl_drops amount,
		   bool new_object)
{
	struct xl_drops need;

	XU_ASSERT(ch != NULL);
	if (!ch->has_account)
		return false;
	if (!xl_drops_add(&need, ch->acct_reserve, amount))
		return false;
	if (new_object && !xl_drops_add(&need, need, ch->acct_reserve_inc))
		return false;
	if (!xl_drops_add(&need, need, ch->fee))
		return false;
	return xl_drops_cmp(ch->acct_balance, need) >= 0;
}
