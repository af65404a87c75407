/* The outgoing channel's state machine: the channel we pay the peer
 * through (diagram in channel.c).  Settlements accumulate in `owed`; what
 * fits under the channel's validated Amount becomes the new cumulative
 * claim, never more (docs/risks.md#claim-above-channel-amount); the rest
 * waits for a top-up, which is one funding transaction at a time after a
 * reserve check (docs/risks.md#funding-storms-and-reserve-exhaustion).
 * While `recovering` (channel.h: a start, or the peer or the ledger showing
 * more than we signed) nothing is signed until the peer's last claim is
 * known (docs/design.md#recovering-lost-outgoing-claims).  Closing on
 * deletion asks the peer to close as destination first and closes as owner
 * only after close_wait_s, from a fresh ledger view
 * (docs/risks.md#our-owner-close-before-the-peer-redeems).  A channel
 * that ends holding claims the peer neither acknowledged nor redeemed
 * waits for the ledger's word on what it paid (PC_EV_FINAL); the rest is
 * owed again (docs/design.md#claims-a-gone-channel-never-paid).
 */
#include <string.h>

#include "channel/channel.h"
#include "channel/internal.h"

/* A validated ledger at index showed the channel (index 0: unknown). */
static void seen_at(struct pc_out *ch, uint32_t index)
{
	if (index > ch->seen_ledger)
		ch->seen_ledger = index;
}

/* Moves what fits from owed to signed_total and emits one claim. */
static void try_sign(struct pc_out *ch, struct pc_effects *fx)
{
	struct xl_drops room, take;

	if (ch->state != PC_OUT_OPEN && ch->state != PC_OUT_FUNDING)
		return;
	if (ch->recovering)
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
	/* The ended channel's id and counters must stay until FINAL. */
	if (ch->has_ended || clk->now < ch->retry_at)
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
	ch->has_key = false; /* a channel of ours: the account key */
	memset(ch->key, 0, sizeof(ch->key));
	ch->amount = xl_drops_zero();
	ch->redeemed = xl_drops_zero();
	ch->signed_total = xl_drops_zero();
	ch->has_expiration = false;
	ch->expiration = 0;
	ch->settle_delay = cfg->settle_delay;
	ch->recovering = false; /* a new channel: nothing signed on it yet */
	ch->recover_owed = xl_drops_zero();
	ch->ledger_floor = xl_drops_zero();
	ch->word_floor = xl_drops_zero();
	/* Nothing in flight on it either: a fund or close of the old channel
	 * that reports late is stale (the daemon drops it), and must never
	 * be re-queued against the new channel's id after a restart. */
	ch->fund_inflight = false;
	ch->close_inflight = false;
	e = pc_fx_push(fx, PC_FX_SUBMIT_CREATE, NULL);
	e->amount = cfg->channel_amount;
	e->settle_delay = cfg->settle_delay;
}

/* The channel left the ledger (seen gone in validated ledger `to`, 0:
 * unknown).  What the peer acknowledged (it credited that much) or the
 * ledger showed redeemed is paid; claims signed above it may have been
 * redeemed by the transaction that deleted the channel (a destination's
 * close carries its best claim) or never (the peer refused them): only
 * that transaction tells, so the record keeps the channel as `ended`
 * until PC_EV_FINAL (docs/design.md#claims-a-gone-channel-never-paid). */
static void ended(struct pc_out *ch, struct xl_drops acked, uint32_t to)
{
	struct xl_drops paid = xl_drops_max(acked, ch->redeemed);

	/* A recovering record (a restored store) ends this way too: the
	 * answers may show claims it lost, which paid owed drops. */
	if (!ch->has_id ||
	    (!ch->recovering && xl_drops_cmp(ch->signed_total, paid) <= 0))
		return;
	ch->has_ended = true;
	memcpy(ch->ended_id, ch->id, CR_CHANNEL_ID_BYTES);
	ch->ended_signed = ch->signed_total;
	ch->ended_paid = paid;
	ch->ended_from = ch->seen_ledger;
	ch->ended_to = to;
}

static void submit_close(struct pc_out *ch, struct pc_effects *fx)
{
	ch->close_inflight = true;
	pc_fx_push(fx, PC_FX_SUBMIT_CLOSE, ch->id);
}

/* CLOSING, on a fresh ledger view (the caller just applied one, so the
 * channel exists): closes as owner once the wait is over (retry_at: the
 * peer's chance to close as destination, or the pause after a failed
 * close), unless an Expiration is already set and not yet passed (the
 * close is under way; past it, any transaction finalizes). */
static void try_close(struct pc_out *ch, const struct pc_clock *clk,
		      struct pc_effects *fx)
{
	if (ch->close_inflight || clk->now < ch->retry_at)
		return;
	if (ch->has_expiration && clk->ledger_time < ch->expiration)
		return;
	submit_close(ch, fx);
}

/* Starts a recovery (not already running): no claim is signed until the
 * peer's last claim is known.  recover_owed: owed that claims lost from
 * the store may have paid (at a start: all of it). */
static void start_recovery(struct pc_out *ch, struct xl_drops recover_owed,
			   struct pc_effects *fx)
{
	if (!ch->recovering) {
		ch->recovering = true;
		ch->recover_owed = recover_owed;
	}
	if (fx != NULL)
		pc_fx_push(fx, PC_FX_ASK_LAST_CLAIM, ch->id);
}

/* Evidence that our store lost claims, above signed_total and above the
 * floor of its kind (ledger_floor or word_floor, channel.h "Recovery"):
 * starts a recovery and raises that floor to it. */
static void evidence_recovery(struct pc_out *ch, struct xl_drops evidence,
			      struct xl_drops *floor, struct pc_effects *fx)
{
	if (ch->recovering || xl_drops_cmp(evidence, ch->signed_total) <= 0 ||
	    xl_drops_cmp(evidence, *floor) <= 0)
		return;
	*floor = evidence;
	start_recovery(ch, xl_drops_zero(), fx);
}

static bool claims_live(const struct pc_out *ch)
{
	switch (ch->state) {
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		return ch->has_id;
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return false;
	}
	return false;
}

/* Claims are still signed on the channel (not closing): worth recovering
 * lost ones before signing again. */
static bool signing(const struct pc_out *ch)
{
	return claims_live(ch) && ch->state != PC_OUT_CLOSING;
}

void pc_out_restart(struct pc_out *ch)
{
	XU_ASSERT(ch != NULL);
	ch->retry_at = 0;
	ch->reason = "restarted";
	/* A closing channel too: its answer (or, once it is gone, the ended
	 * path) tells which owed drops claims a restored store lost paid. */
	if (claims_live(ch))
		start_recovery(ch, ch->owed, NULL);
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
	XU_UNREACHABLE("bad outgoing state");
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

/* A create or top-up of ours failed.  One the ledger charged a fee for
 * (a tec result) waits longer each time (pc_tx_backoff_s): it fails the
 * same way until something outside changes, and each costs a fee.  One
 * that cost nothing (refused before it left: the fee cap; never
 * included) waits retry_s, and does not count. */
static void tx_failed(struct pc_out *ch, const struct pc_cfg *cfg,
		      const struct pc_event *ev)
{
	if (!ev->u.result.charged) {
		ch->retry_at = ev->clk.now + cfg->retry_s;
		return;
	}
	if (ch->tx_fails < UINT32_MAX)
		ch->tx_fails++;
	ch->retry_at = ev->clk.now + pc_tx_backoff_s(cfg, ch->tx_fails);
}

uint64_t pc_tx_backoff_s(const struct pc_cfg *cfg, uint32_t fails)
{
	uint64_t cap = cfg->retry_s > PC_TX_BACKOFF_MAX_S ? cfg->retry_s
							  : PC_TX_BACKOFF_MAX_S;
	uint64_t d = cfg->retry_s;

	for (uint32_t i = 1; i < fails && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

static void on_create_result(struct pc_out *ch, const struct pc_cfg *cfg,
			     const struct pc_event *ev, struct pc_effects *fx)
{
	/* Only the daemon's own create can report here. */
	XU_ASSERT(ch->state == PC_OUT_OPENING);
	if (!ev->u.result.ok) {
		pc_fx_alert(fx, PC_ALERT_TX_FAILED, NULL, cfg->channel_amount);
		tx_failed(ch, cfg, ev);
		pc_out_set_state(ch, PC_OUT_OPENING,
				 ch->deleting ? PC_OUT_CLOSED : PC_OUT_NONE,
				 "create failed");
		return;
	}
	ch->tx_fails = 0;
	ch->has_id = true;
	memcpy(ch->id, ev->u.result.channel, CR_CHANNEL_ID_BYTES);
	ch->amount = ev->u.result.amount;
	seen_at(ch, ev->u.result.ledger);
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
		tx_failed(ch, cfg, ev);
		return;
	}
	ch->tx_fails = 0;
	seen_at(ch, ev->u.result.ledger);
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
	if (ev->u.result.ok) {
		seen_at(ch, ev->u.result.ledger);
		return;
	}
	if (ev->u.result.gone) {
		/* tecNO_TARGET: the peer closed it first; what we meant. */
		if (ch->state == PC_OUT_CLOSING) {
			pc_out_set_state(ch, PC_OUT_CLOSING, PC_OUT_CLOSED,
					 "already gone (closed by the peer)");
			ended(ch, ev->acked, ev->u.result.ledger);
			ch->recovering = false;
			if (!ch->has_ended)
				ch->recover_owed = xl_drops_zero();
		}
		return;
	}
	pc_fx_alert(fx, PC_ALERT_TX_FAILED, ch->id, xl_drops_zero());
}

/* Whether the channel's PublicKey on the ledger is ours: the record's own
 * key for an adopted channel (exactly that key), else the key our account
 * signs with (the daemon's account is its key's, so the key's account id
 * is `self`; docs/risks.md#our-channel-with-another-key). */
static bool key_ours(const struct pc_out *ch, const struct pc_view *v)
{
	struct cr_pubkey pk;
	struct cr_account_id id;

	if (ch->has_key)
		return memcmp(v->pubkey, ch->key, CR_PUBKEY_BYTES) == 0;
	memcpy(pk.b, v->pubkey, CR_PUBKEY_BYTES);
	cr_account_id_of(&id, &pk);
	return memcmp(&id, &ch->self, sizeof(id)) == 0;
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
	/* Older than the newest ledger that showed the channel (a lagging
	 * server): an old Amount would fund it again, an old Expiration
	 * hide a close. */
	if (v->ledger_index < ch->seen_ledger)
		return XU_OK;
	ch->seen_ledger = v->ledger_index;
	if (xl_drops_cmp(v->amount, ch->signed_total) < 0)
		pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->id, v->amount);
	ch->amount = v->amount;
	ch->redeemed = v->balance;
	ch->settle_delay = v->settle_delay;
	ch->has_expiration = v->has_expiration;
	ch->expiration = v->expiration;
	if (!key_ours(ch, v)) {
		/* Claims signed with our key are worthless on it, and
		 * whoever holds its key can pay our XRP away: nothing more
		 * is signed; closed as owner at once (owed drops wait for
		 * the next channel). */
		if (ch->state != PC_OUT_CLOSING) {
			pc_out_set_state(ch, ch->state, PC_OUT_CLOSING,
					 "the channel's key is not ours");
			pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->id,
				    ch->owed);
			ch->retry_at = 0;
		}
		try_close(ch, &ev->clk, fx);
		return XU_OK;
	}
	if ((v->has_expiration || v->has_cancel_after) &&
	    ch->state != PC_OUT_CLOSING) {
		pc_out_set_state(ch, ch->state, PC_OUT_CLOSING,
				 "expiration on the ledger");
		pc_fx_alert(fx, PC_ALERT_PEER_CLOSING, ch->id, ch->owed);
		return XU_OK;
	}
	/* The peer redeemed more than we think we signed: our store lost
	 * claims. */
	if (signing(ch))
		evidence_recovery(ch, v->balance, &ch->ledger_floor, fx);
	if (ch->state == PC_OUT_CLOSING) {
		try_close(ch, &ev->clk, fx);
		return XU_OK;
	}
	try_sign(ch, fx);
	if (ch->state == PC_OUT_OPEN)
		try_topup(ch, cfg, &ev->clk, fx);
	return XU_OK;
}

/* Both answers about the ended channel are in: what the ledger paid
 * (ended_final) and what the peer holds (ended_held, which it credited).
 * What was signed above the most of those and of what the peer ever
 * acknowledged (ended_paid, acked) is owed again, once.  The ledger paying
 * more than we signed means our store lost claims: nothing is owed again.
 * A peer that lies low (says it holds less) gains nothing: the ledger
 * paid it ended_final and the new channel pays the rest of what we
 * signed, no more; one that lies high only forgoes drops. */
static void ended_resolve(struct pc_out *ch, const struct pc_cfg *cfg,
			  const struct pc_event *ev, struct pc_effects *fx)
{
	struct xl_drops paid, again, owed, reowed;

	if (!ch->ended_has_final || !ch->ended_has_held)
		return;
	paid = xl_drops_max(ch->ended_paid, ch->ended_final);
	paid = xl_drops_max(paid, ch->ended_held);
	paid = xl_drops_max(paid, ev->acked);
	if (xl_drops_cmp(ch->ended_final, ch->ended_signed) > 0)
		pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->ended_id,
			    ch->ended_final);
	/* More paid than we signed: claims our store lost (a restored
	 * backup) paid owed drops that were waiting when the recovery began;
	 * those are not paid again (as on_last_claim does). */
	if (xl_drops_sub(&again, xl_drops_max(ch->ended_final, ch->ended_held),
			 ch->ended_signed) &&
	    !xl_drops_is_zero(again)) {
		struct xl_drops cancel = xl_drops_min(
		    xl_drops_min(again, ch->recover_owed), ch->owed);

		XU_ASSERT(xl_drops_sub(&ch->owed, ch->owed, cancel));
	}
	ch->recover_owed = xl_drops_zero();
	if (!xl_drops_sub(&again, ch->ended_signed, paid))
		again = xl_drops_zero();
	if (!xl_drops_is_zero(again)) {
		/* Bounded by drops once settled: cannot overflow unless the
		 * records are corrupt, and then nothing changes. */
		if (!xl_drops_add(&owed, ch->owed, again) ||
		    !xl_drops_add(&reowed, ch->reowed, again))
			return;
		ch->owed = owed;
		ch->reowed = reowed;
		pc_fx_alert(fx, PC_ALERT_OWED_AGAIN, ch->ended_id, again);
	}
	ch->has_ended = false;
	memset(ch->ended_id, 0, sizeof(ch->ended_id));
	ch->ended_signed = xl_drops_zero();
	ch->ended_paid = xl_drops_zero();
	ch->ended_from = 0;
	ch->ended_to = 0;
	ch->ended_has_final = false;
	ch->ended_final = xl_drops_zero();
	ch->ended_has_held = false;
	ch->ended_held = xl_drops_zero();
	if (ch->state == PC_OUT_NONE || ch->state == PC_OUT_CLOSED)
		try_open(ch, cfg, &ev->clk, fx);
}

/* PC_EV_FINAL: the deleting transaction says the channel paid `balance`
 * in all. */
static void on_final(struct pc_out *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
{
	if (!ch->has_ended ||
	    memcmp(ev->u.final.channel, ch->ended_id, CR_CHANNEL_ID_BYTES) != 0)
		return;
	ch->ended_has_final = true;
	ch->ended_final = ev->u.final.balance;
	ended_resolve(ch, cfg, ev, fx);
}

static void on_gone(struct pc_out *ch, const struct pc_event *ev,
		    struct pc_effects *fx)
{
	/* As incoming.c: only a validated ledger at least as new as the
	 * newest that showed the channel proves it gone.  An older one (a
	 * lagging server) would close a live channel and open a second
	 * one beside it, the first keeping its funds. */
	if (ev->u.gone_ledger < ch->seen_ledger)
		return;
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
		ended(ch, ev->acked, ev->u.gone_ledger);
		ch->recovering = false;
		/* Kept for ended_resolve: the answers settle it. */
		if (!ch->has_ended)
			ch->recover_owed = xl_drops_zero();
		/* What waited on this channel (the close-wait, a failed
		 * fund's retry) does not hold up the next one. */
		ch->retry_at = 0;
		/* Our own deletion with nothing owed: what we asked for. */
		if (!ch->deleting || !xl_drops_is_zero(ch->owed))
			pc_fx_alert(fx, PC_ALERT_CHANNEL_GONE, ch->id,
				    ch->owed);
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
		/* Closes go out on a fresh ledger view (on_ledger), never
		 * from a timer: the channel may be gone already. */
		return;
	}
}

static void on_close(struct pc_out *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
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
		/* The peer redeems and closes as destination
		 * at once; we close as owner (Expiration = now + SettleDelay)
		 * only if the channel is still there close_wait_s later. */
		pc_fx_push(fx, PC_FX_SEND_CLOSE_REQUEST, ch->id);
		ch->retry_at = ev->clk.now + cfg->close_wait_s;
		return;
	}
}

/* A live channel closes as on deletion, but payments go on: what it
 * leaves unpaid is owed again once it is gone
 * (docs/design.md#claims-a-gone-channel-never-paid), and the next
 * settlement opens a new channel.  Other states: nothing (a create in
 * flight lands as OPEN; a closing channel goes on closing). */
static void close_live(struct pc_out *ch, const struct pc_cfg *cfg,
		       const struct pc_event *ev, struct pc_effects *fx,
		       const char *reason)
{
	if (ch->state != PC_OUT_OPEN && ch->state != PC_OUT_FUNDING)
		return;
	pc_out_set_state(ch, ch->state, PC_OUT_CLOSING, reason);
	pc_fx_push(fx, PC_FX_SEND_CLOSE_REQUEST, ch->id);
	ch->retry_at = ev->clk.now + cfg->close_wait_s;
}

/* The operator's forced close (PC_EV_SHUT_NOW): as PC_EV_SHUT, but we
 * close as owner on the next fresh ledger view instead of after
 * close_wait_s (try_close; the close_request still goes to the peer).
 * The peer keeps the whole SettleDelay after our close to redeem what it
 * holds (docs/risks.md#our-owner-close-before-the-peer-redeems).  A
 * channel already CLOSING stops waiting, unless our close is in flight or
 * an Expiration runs (the close is under way: nothing to hurry).  Other
 * states: nothing. */
static void on_shut_now(struct pc_out *ch, const struct pc_cfg *cfg,
			const struct pc_event *ev, struct pc_effects *fx)
{
	switch (ch->state) {
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
		close_live(ch, cfg, ev, fx, "closed by the operator, now");
		ch->retry_at = 0;
		return;
	case PC_OUT_CLOSING:
		if (!ch->close_inflight && !ch->has_expiration)
			ch->retry_at = 0;
		return;
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return;
	}
}

/* The peer moved to a new address (its hello says so; its engine no
 * longer holds the key of this channel's destination, so it refuses our
 * claims on it).  A live channel closes as on deletion, but payments go
 * on: what it leaves unpaid is owed again once it is gone
 * (docs/design.md#claims-a-gone-channel-never-paid), and the next channel
 * goes to the new address (the daemon sets it once the record is CLOSED,
 * pc_out_set_peer).  Other states: nothing (the daemon refuses the hello
 * while a create is in flight; a closing channel goes on closing). */
static void on_moved(struct pc_out *ch, const struct pc_cfg *cfg,
		     const struct pc_event *ev, struct pc_effects *fx)
{
	close_live(ch, cfg, ev, fx, "the peer moved");
}

/* The account was created again after a deletion: payments resume
 * (docs/risks.md#delete-then-recreate-pays-nothing).  A channel the peer was
 * asked to close is never signed on again: it refuses claims on it and
 * closes it as destination, and ours may be closing it as owner already.
 * So CLOSING goes on closing it, and a new channel opens from CLOSED once
 * it is gone.  A create still in flight was never announced: it lands as
 * OPEN.  Idempotent: nothing happens unless the record is deleting. */
static void on_reopen(struct pc_out *ch, const struct pc_cfg *cfg,
		      const struct pc_event *ev, struct pc_effects *fx)
{
	if (!ch->deleting)
		return;
	ch->deleting = false;
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_CLOSED:
		try_open(ch, cfg, &ev->clk, fx);
		return;
	case PC_OUT_OPENING: /* CREATE_RESULT: OPEN, not CLOSING */
	case PC_OUT_OPEN:    /* cannot be deleting: CLOSE made it CLOSING */
	case PC_OUT_FUNDING: /* likewise */
	case PC_OUT_CLOSING: /* closes the old channel; GONE, then CLOSED */
		return;
	}
}

/* The peer has not acknowledged our claim: the same one again.  Not while
 * recovering: nothing leaves until the peer said what it holds, and its
 * answer sends our claim again when it holds less (on_last_claim). */
static void on_nack(struct pc_out *ch, struct pc_effects *fx)
{
	if (!ch->has_id || xl_drops_is_zero(ch->signed_total) || ch->recovering)
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

/* The peer's answer to "last_claim": the best claim on our channel it
 * holds.  Verified with our key and bounded by the Amount before anything
 * else; a higher one than our record becomes signed_total, and the drops
 * it paid beyond our record cancel recover_owed first (they were paid by
 * the claims the store lost: never pay them twice). */
/* The peer's last_claim answer about channel id: zero (none held), or a
 * claim our key signed, at most the channel's Amount when bounded (our
 * live channel, whose Amount the record follows).  XU_OK, XU_EBADSIG or
 * XU_ERANGE. */
static enum xu_code last_claim_check(const struct pc_out *ch,
				     const uint8_t id[CR_CHANNEL_ID_BYTES],
				     const struct pc_event *ev, bool bounded,
				     struct xu_err *err)
{
	const struct pc_claim *c = &ev->u.last.claim;

	if (xl_drops_is_zero(c->amount))
		return XU_OK;
	if (c->siglen > CR_SIG_MAX_BYTES ||
	    !cr_claim_verify(ev->u.last.pubkey, CR_PUBKEY_BYTES, id,
			     xl_drops_u64(c->amount), c->sig, c->siglen))
		return xu_fail(err, XU_EBADSIG, 0,
			       "last claim does not verify with our key");
	if (bounded && xl_drops_cmp(c->amount, ch->amount) > 0)
		return xu_fail(err, XU_ERANGE, 0,
			       "last claim above the channel's Amount");
	return XU_OK;
}

/* PC_EV_LAST_CLAIM about the ended channel: the best claim of ours the
 * peer holds on it (verified with our key; zero: none held), which it
 * credited.  Not bounded by the record's Amount: a record restored from a
 * backup may show an Amount from before a fund, and no view of a gone
 * channel brings it up to date; our signature on this channel's id is
 * the proof we signed it, and a higher answer only lowers what we owe
 * again. */
static enum xu_code on_ended_held(struct pc_out *ch, const struct pc_cfg *cfg,
				  const struct pc_event *ev,
				  struct pc_effects *fx, struct xu_err *err)
{
	const struct pc_claim *c = &ev->u.last.claim;
	enum xu_code rc = last_claim_check(ch, ch->ended_id, ev, false, err);

	if (rc != XU_OK)
		return rc;
	/* The highest answer counts: a payee's best only grows, and a lie
	 * upwards only costs the liar. */
	ch->ended_held = ch->ended_has_held
			     ? xl_drops_max(ch->ended_held, c->amount)
			     : c->amount;
	ch->ended_has_held = true;
	ended_resolve(ch, cfg, ev, fx);
	return XU_OK;
}

/* A recovery's answer (after any adoption): `held`, what the peer says
 * it holds.  Below what it claimed before, its word starts no recovery
 * again on this Amount; signed_total below the ledger's Balance (the
 * peer holds less than it redeemed: its store lost the claim, or another
 * signer of ours paid) is lifted to it, cancelling owed drops waiting
 * since the start first (channel.h "Recovery").  Returns whether it was
 * lifted: then no claim of ours holds signed_total. */
static bool recovery_ends(struct pc_out *ch, struct xl_drops held,
			  struct pc_effects *fx)
{
	struct xl_drops excess, cancel;

	if (xl_drops_cmp(held, ch->word_floor) < 0)
		ch->word_floor = xl_drops_max(ch->word_floor, ch->amount);
	if (!xl_drops_sub(&excess, ch->redeemed, ch->signed_total) ||
	    xl_drops_is_zero(excess))
		return false;
	cancel = xl_drops_min(xl_drops_min(excess, ch->recover_owed), ch->owed);
	XU_ASSERT(xl_drops_sub(&ch->owed, ch->owed, cancel));
	ch->signed_total = ch->redeemed;
	pc_fx_alert(fx, PC_ALERT_LEDGER_MISMATCH, ch->id, excess);
	return true;
}

static enum xu_code on_last_claim(struct pc_out *ch, const struct pc_cfg *cfg,
				  const struct pc_event *ev,
				  struct pc_effects *fx, struct xu_err *err)
{
	const struct pc_claim *c = &ev->u.last.claim;
	struct xl_drops excess, cancel;
	enum xu_code rc;
	struct pc_effect *e;

	if (ch->has_ended &&
	    !memcmp(c->channel, ch->ended_id, CR_CHANNEL_ID_BYTES))
		return on_ended_held(ch, cfg, ev, fx, err);
	if (!claims_live(ch) ||
	    memcmp(c->channel, ch->id, CR_CHANNEL_ID_BYTES) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "last claim for a channel that is not our "
			       "open one");
	rc = last_claim_check(ch, ch->id, ev, true, err);
	if (rc != XU_OK)
		return rc;
	if (xl_drops_sub(&excess, c->amount, ch->signed_total) &&
	    !xl_drops_is_zero(excess)) {
		cancel = xl_drops_min(xl_drops_min(excess, ch->recover_owed),
				      ch->owed);
		XU_ASSERT(xl_drops_sub(&ch->owed, ch->owed, cancel));
		ch->signed_total = c->amount;
		e = pc_fx_push(fx, PC_FX_ADOPT_CLAIM, ch->id);
		e->amount = c->amount;
		memcpy(e->sig, c->sig, c->siglen);
		e->siglen = c->siglen;
		e->cancelled = cancel;
	}
	bool asked = ch->recovering;
	bool lifted = asked && recovery_ends(ch, c->amount, fx);
	ch->recovering = false;
	ch->recover_owed = xl_drops_zero();
	size_t n = fx->n;
	try_sign(ch, fx);
	/* The answer to our question says the peer holds less than our
	 * record (our last claim was lost on the way, or in a crash before
	 * it left): ours again, at once. */
	if (asked && !lifted && fx->n == n &&
	    xl_drops_cmp(c->amount, ch->signed_total) < 0 &&
	    !xl_drops_is_zero(ch->signed_total))
		pc_fx_push(fx, PC_FX_RESEND_CLAIM, ch->id)->amount =
		    ch->signed_total;
	if (ch->state == PC_OUT_OPEN)
		try_topup(ch, cfg, &ev->clk, fx);
	return XU_OK;
}

/* A claim_reply says the peer holds `amount`: above what we signed, our
 * store lost claims: recover before signing again. */
static void on_peer_best(struct pc_out *ch, const struct pc_event *ev,
			 struct pc_effects *fx)
{
	const struct pc_claim *c = &ev->u.claim;

	/* Above the Amount: no claim of ours (a stale Amount is brought up
	 * to date by the next view, whose Balance is evidence of its own). */
	if (!signing(ch) ||
	    memcmp(c->channel, ch->id, CR_CHANNEL_ID_BYTES) != 0 ||
	    xl_drops_cmp(c->amount, ch->amount) > 0)
		return;
	evidence_recovery(ch, c->amount, &ch->word_floor, fx);
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
		on_gone(ch, ev, fx);
		break;
	case PC_EV_TIMER:
		on_timer(ch, cfg, ev, fx);
		break;
	case PC_EV_CLOSE:
		on_close(ch, cfg, ev, fx);
		break;
	case PC_EV_LAST_CLAIM:
		rc = on_last_claim(ch, cfg, ev, fx, err);
		break;
	case PC_EV_PEER_BEST:
		on_peer_best(ch, ev, fx);
		break;
	case PC_EV_REOPEN:
		on_reopen(ch, cfg, ev, fx);
		break;
	case PC_EV_FINAL:
		on_final(ch, cfg, ev, fx);
		break;
	case PC_EV_MOVED:
		on_moved(ch, cfg, ev, fx);
		break;
	case PC_EV_SHUT: /* the operator's close (xrpse close) */
		close_live(ch, cfg, ev, fx, "closed by the operator");
		break;
	case PC_EV_SHUT_NOW: /* xrpse channel close --force */
		on_shut_now(ch, cfg, ev, fx);
		break;
	case PC_EV_CLAIM:
	case PC_EV_REDEEM_RESULT:
	case PC_EV_FREEZE:
	case PC_EV_REDEEM_NOW:
		XU_UNREACHABLE("incoming event given to an outgoing channel");
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
