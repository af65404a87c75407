/* Applying events: one channel-core event on a record loaded from the
 * store, inside the open transaction (out_event, in_event).  Its effects
 * are carried out at once when they stay in the database (outbox rows,
 * the record written back) and after the commit otherwise (builds,
 * claims, lookups).  Also what feeds an outgoing channel its owed drops
 * (feed_owed) and starts a paired account's record (out_load). */
#include "src/paychan/service.h"

#include <stdio.h>
#include <string.h>

#include "src/outbox/outbox.h"
#include "src/store/store.h"
#include "src/util/log.h"

/* ---- applying events ---------------------------------------------------*/

static void log_alert(const char *account, const struct pc_effect *fx)
{
	char id[HEXID];

	hexid(id, fx->channel);
	if (fx->alert == PC_ALERT_CREDITS_LOST)
		xu_broken(SUB,
			  "%s: ALERT credits_lost channel %s: the peer says we "
			  "acknowledged %llu drops more than our store holds "
			  "(restored from a backup?); they were credited "
			  "before and are not credited again",
			  account, id, u(fx->amount));
	else if (fx->alert == PC_ALERT_OWED_AGAIN)
		xu_unusual(SUB,
			   "%s: alert owed_again channel %s: it left the "
			   "ledger without paying %llu drops of the claims "
			   "signed on it (the peer refused or never "
			   "redeemed them); they are owed again",
			   account, id, u(fx->amount));
	else if (fx->alert == PC_ALERT_LOST_UNREDEEMED ||
		 fx->alert == PC_ALERT_LEDGER_MISMATCH)
		xu_broken(SUB, "%s: ALERT %s channel %s amount %llu", account,
			  pc_alert_name(fx->alert), id, u(fx->amount));
	else
		xu_unusual(SUB, "%s: alert %s channel %s amount %llu", account,
			   pc_alert_name(fx->alert), id, u(fx->amount));
}

struct pc_event account_event(const struct eng_paychan *pc)
{
	struct pc_event ev;
	struct xl_drops inc;

	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_ACCOUNT;
	ev.clk = clock_now(pc);
	ev.u.account.balance = pc->balance;
	ev.u.account.reserve_inc = pc->reserve_inc;
	ev.u.account.fee = pc->fee;
	if (!xl_drops_mul(&inc, pc->reserve_inc, pc->owner_count) ||
	    !xl_drops_add(&ev.u.account.reserve, pc->reserve_base, inc)) {
		/* Absurd reserves: refuse every create and fund. */
		ev.u.account.reserve = pc->balance;
	}
	return ev;
}

/* PC_FX_ADOPT_CLAIM: the peer's verified last claim, above our record,
 * becomes the last signed claim (persisted with the record before anything
 * uses it), reported with what it means for the books. */
static void adopt_claim(struct eng_paychan *pc, struct eng_chan_out *o,
			const struct eng_chan_out *before,
			const struct pc_effect *f)
{
	struct xl_drops lost, unknown;
	char id[HEXID];

	if (!xl_drops_sub(&lost, f->amount, before->ch.signed_total))
		lost = xl_drops_zero();
	if (!xl_drops_sub(&unknown, lost, f->cancelled))
		unknown = xl_drops_zero();
	o->claim_amount = f->amount;
	memcpy(o->claim_sig, f->sig, f->siglen);
	o->claim_siglen = f->siglen;
	/* The peer holds it (f->channel is o's channel). */
	if (xl_drops_cmp(f->amount, o->peer_best) > 0)
		o->peer_best = f->amount;
	pc->stats.recovered_drops += xl_drops_u64(lost);
	pc->stats.alerts++;
	hexid(id, f->channel);
	xu_unusual(SUB,
		   "%s: recovered %llu drops of claims our store had lost "
		   "(channel %s: last signed claim %llu -> %llu, the peer's); "
		   "%llu of them paid settlements still owed here, which are "
		   "not paid again; %llu paid settlements this store has no "
		   "record of",
		   o->account, u(lost), id, u(before->ch.signed_total),
		   u(f->amount), u(f->cancelled), u(unknown));
}

/* The core's settings for an event on o, into *cfg.  A channel may be
 * created: with at least the settle delay the peer said it requires (else
 * it refuses every claim), up to a cap, to the address it gave last (set
 * in o).  Returns XU_OK or XU_ESTORE. */
static enum xu_code out_cfg(struct eng_paychan *pc, struct eng_chan_out *o,
			    struct pc_cfg *cfg, struct xu_err *err)
{
	struct eng_chan_peer peer;
	bool have;
	enum xu_code rc;

	*cfg = pc->cfg.pc;
	if (o->ch.state != PC_OUT_NONE && o->ch.state != PC_OUT_CLOSED)
		return XU_OK;
	rc = eng_chan_peer_get(pc->st, o->account, &peer, &have, err);
	if (rc != XU_OK)
		return rc;
	/* The peer moved while a channel to its old address was live
	 * (store_hello): the next one goes to the address it gave last. */
	if (have && peer.paired &&
	    memcmp(&peer.address, &o->ch.peer, sizeof(peer.address)) &&
	    pc_out_set_peer(&o->ch, &peer.address)) {
		char addr[CR_ADDRESS_STRLEN];

		cr_address_encode(addr, &peer.address);
		xu_info(SUB, "%s: the next channel goes to %s", o->account,
			addr);
	}
	if (have && peer.paired && peer.min_settle_delay > cfg->settle_delay) {
		cfg->settle_delay =
		    peer.min_settle_delay < PEER_SETTLE_DELAY_CAP
			? peer.min_settle_delay
			: PEER_SETTLE_DELAY_CAP;
		if (cfg->settle_delay < pc->cfg.pc.settle_delay)
			cfg->settle_delay = pc->cfg.pc.settle_delay;
	}
	return XU_OK;
}

/* PC_FX_SUBMIT_CREATE: o's intent counter moves on and the create goes to
 * the queue after the commit. */
static void submit_create(struct eng_paychan *pc, struct eng_chan_out *o,
			  const struct pc_effect *f)
{
	struct build *b;

	/* A new channel: the last claim and what the peer acknowledged were
	 * on the old one (out_event makes the account's memory follow). */
	o->claim_amount = xl_drops_zero();
	o->claim_siglen = 0;
	memset(o->claim_sig, 0, sizeof(o->claim_sig));
	o->peer_best = xl_drops_zero();
	o->create_n++;
	o->tx_amount = f->amount;
	b = build_add(pc, B_CREATE, o->account, o->create_n, NULL);
	if (b) {
		b->dest = o->ch.peer;
		b->amount = f->amount;
		b->settle_delay = f->settle_delay;
	}
}

/* Carries out the effect f of an event on the outgoing record o (before:
 * o as it was before the event).  Returns XU_OK or a 300s code. */
static enum xu_code out_effect(struct eng_paychan *pc, struct eng_chan_out *o,
			       const struct eng_chan_out *before,
			       const struct pc_effect *f, struct xu_err *err)
{
	struct build *b;

	switch (f->kind) {
	case PC_FX_SUBMIT_CREATE:
		submit_create(pc, o, f);
		break;
	case PC_FX_SUBMIT_FUND:
		o->fund_n++;
		o->tx_amount = f->amount;
		b = build_add(pc, B_FUND, o->account, o->fund_n, f->channel);
		if (b)
			b->amount = f->amount;
		break;
	case PC_FX_SUBMIT_CLOSE:
		o->close_n++;
		build_add(pc, B_CLOSE, o->account, o->close_n, f->channel);
		break;
	case PC_FX_SIGN_AND_SEND_CLAIM:
		XU_ASSERT(!memcmp(f->channel, o->ch.id, CR_CHANNEL_ID_BYTES));
		{
			struct xl_drops paid;

			if (xl_drops_sub(&paid, f->amount, o->claim_amount))
				pc->stats.paid_drops += xl_drops_u64(paid);
		}
		o->claim_amount = f->amount;
		new_claim(pc, o);
		break;
	case PC_FX_RESEND_CLAIM:
		if (xl_drops_is_zero(o->claim_amount) ||
		    !xl_drops_eq(o->claim_amount, f->amount))
			break;
		dlv_made(pc, o); /* an ordinary claim to deliver */
		break;
	case PC_FX_SEND_CHANNEL_NOTICE:
		return send_channel_msg(pc, o->account, PC_MSG_CHANNEL_UPDATE,
					f->channel, err);
	case PC_FX_SEND_CLOSE_REQUEST:
		return send_channel_msg(pc, o->account, PC_MSG_CLOSE_REQUEST,
					f->channel, err);
	case PC_FX_ASK_LAST_CLAIM:
		return send_last_claim(pc, o, err);
	case PC_FX_ADOPT_CLAIM:
		adopt_claim(pc, o, before, f);
		break;
	case PC_FX_ALERT:
		pc->stats.alerts++;
		log_alert(o->account, f);
		break;
	case PC_FX_PERSIST_CLAIM:
	case PC_FX_CREDIT:
	case PC_FX_SUBMIT_REDEEM:
		XU_UNREACHABLE("incoming effect from the outgoing channel");
		break;
	}
	return XU_OK;
}

/* After our create landed: a peer that moved to a new address while it
 * was in flight (store_hello) gets the channel closed at once
 * (PC_EV_MOVED), as when it moves later. */
static enum xu_code moved_while_opening(struct eng_paychan *pc,
					struct eng_chan_out *o,
					struct xu_err *err)
{
	struct eng_chan_peer peer;
	struct pc_event ev;
	bool have;
	enum xu_code rc;

	if (o->ch.state != PC_OUT_OPEN && o->ch.state != PC_OUT_FUNDING)
		return XU_OK;
	rc = eng_chan_peer_get(pc->st, o->account, &peer, &have, err);
	if (rc != XU_OK || !have || !peer.paired ||
	    !memcmp(&peer.address, &o->ch.peer, sizeof(peer.address)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_MOVED;
	ev.clk = clock_now(pc);
	return out_event(pc, o, &ev, err);
}

/* A ledger view that changed nothing in the record but the newest
 * ledger that showed the channel (from `was` to `now`) is not written
 * while the stored one is less than VIEW_INDEX_PERSIST ledgers older (and
 * a page's view the lookup's digest matches, at most as many again:
 * watch.c page_views; so the record's is at most 4,096 behind): the
 * lookup holds the newest in memory (watch.c), and every other change
 * is written as before.  At 10,000 links the polls show 20,000 unchanged
 * channels a minute, and writing each (then stepping it again at the
 * next tick, a write making a record due) was most of an idle engine's
 * work (docs/design.md#scale,
 * docs/risks.md#crediting-on-a-stale-or-unvalidated-view). */
#define VIEW_INDEX_PERSIST 2048u
static bool index_only(uint32_t was, uint32_t now)
{
	return now >= was && now - was < VIEW_INDEX_PERSIST;
}

/* The writer's due (src/store/chanstore.h): when the tick must next look
 * at the record just changed, worked out as the tick does once it looked
 * at it (out_next_due, in_next_due), so that a write whose record has
 * nothing for the tick (a claim acknowledged, a peer's claim held that
 * no redeem wants yet) does not bring it to the next tick.  0: due at
 * once, as every write was before, which is also what the tick needs
 * while the ledger time is stale (it leaves incoming records due then).
 * The simulator checks every tick that no record waits with work the
 * tick would do (due_audit, tick.c). */
static int64_t writer_due_out(struct eng_paychan *pc,
			      const struct eng_chan_out *o)
{
	int64_t now = wall_ms(pc);
	int64_t next = out_next_due(pc, o, now);

	return next != DUE_NOW && next > now ? next : 0;
}

static int64_t writer_due_in(struct eng_paychan *pc,
			     const struct eng_chan_in *r)
{
	int64_t now = wall_ms(pc);
	int64_t next;

	if (!ledger_fresh(pc))
		return 0;
	next = in_next_due(pc, r, now);
	return next != DUE_NOW && next > now ? next : 0;
}

enum xu_code out_event(struct eng_paychan *pc, struct eng_chan_out *o,
		       const struct pc_event *ev, struct xu_err *err)
{
	struct pc_effects fx;
	struct eng_chan_out before = *o;
	struct pc_event e = *ev;
	struct pc_cfg cfg;
	struct acct *a = acct_of(pc, o->account);
	enum xu_code rc;

	rc = out_cfg(pc, o, &cfg, err);
	if (rc != XU_OK)
		return rc;
	/* What the peer acknowledged on the record's channel: the core
	 * counts it as paid when the channel ends. */
	e.acked = peer_acked(a, o);
	rc = pc_out_apply(&o->ch, &cfg, &e, &fx, err);
	if (rc != XU_OK) {
		xu_unusual(SUB, "%s: %s refused: %s", o->account,
			   pc_ev_name(ev->kind), err ? err->msg : "");
		return XU_OK; /* outside input: nothing changed */
	}
	for (size_t i = 0; i < fx.n; i++) {
		rc = out_effect(pc, o, &before, &fx.v[i], err);
		if (rc != XU_OK)
			return rc;
	}
	if (o->ch.state != before.ch.state)
		xu_logf(XU_LOG_INFO, SUB,
			&(struct xu_log_fields){
			    .account = o->account,
			    .channel = o->ch.has_id ? o->ch.id : NULL,
			},
			"%s: outgoing %s -> %s (%s)", o->account,
			pc_out_state_name(before.ch.state),
			pc_out_state_name(o->ch.state), o->ch.reason);
	if (ev->kind == PC_EV_CREATE_RESULT) {
		rc = moved_while_opening(pc, o, err);
		if (rc != XU_OK)
			return rc;
	}
	/* The best the peer acknowledged on the record's channel: the
	 * record keeps it across restarts (it goes out as "acked" with every
	 * claim); what the account's memory holds about another channel (an
	 * old one, or none) is dropped. */
	if (a) {
		o->peer_best = peer_acked(a, o);
		peer_best_sync(a, o);
	}
	before.ch.reason = o->ch.reason;
	if (fx.n == 0 && !memcmp(&before, o, sizeof(before)))
		return XU_OK;
	if (fx.n == 0 && ev->kind == PC_EV_LEDGER) {
		struct eng_chan_out same = *o;

		same.ch.seen_ledger = before.ch.seen_ledger;
		if (!memcmp(&before, &same, sizeof(before)) &&
		    index_only(before.ch.seen_ledger, o->ch.seen_ledger))
			return XU_OK;
	}
	if (o->ch.has_id)
		view_sum_drop(pc, o->ch.id);
	if (before.ch.has_id)
		view_sum_drop(pc, before.ch.id);
	return eng_chan_out_put_due(pc->st, o, writer_due_out(pc, o), err);
}

enum xu_code in_event(struct eng_paychan *pc, struct eng_chan_in *r,
		      const struct pc_event *ev, enum pc_reject *why,
		      struct xu_err *err)
{
	struct pc_effects fx;
	struct eng_chan_in before = *r;
	struct build *b;
	int64_t id;
	enum xu_code rc;

	rc = pc_in_apply(&r->ch, &pc->cfg.pc, ev, &fx, why, err);
	if (rc != XU_OK)
		return rc; /* the caller reports the refusal */
	for (size_t i = 0; i < fx.n; i++) {
		const struct pc_effect *f = &fx.v[i];

		switch (f->kind) {
		case PC_FX_PERSIST_CLAIM:
			break; /* the record is written below */
		case PC_FX_CREDIT:
			rc = eng_outbox_enqueue_credit(
			    pc->st, r->account, f->amount, f->key, &id, err);
			if (rc != XU_OK)
				return rc;
			lat_credit_queued(pc, id);
			pc->enqueued = true;
			pc->stats.credits_drops += xl_drops_u64(f->amount);
			break;
		case PC_FX_SUBMIT_REDEEM:
			r->redeem_n++;
			r->redeem_close = f->close;
			b = build_add(pc, B_REDEEM, r->account, r->redeem_n,
				      f->channel);
			if (b) {
				b->amount = f->amount;
				memcpy(b->sig, f->sig, f->siglen);
				b->siglen = f->siglen;
				memcpy(b->pubkey, f->pubkey, CR_PUBKEY_BYTES);
				b->close = f->close;
				/* Closing: the redeem must land before the
				 * Expiration. */
				b->priority = r->ch.state == PC_IN_CLOSING;
				b->deadline = redeem_deadline(pc, &r->ch);
			}
			break;
		case PC_FX_ALERT:
			pc->stats.alerts++;
			log_alert(r->account, f);
			break;
		default:
			XU_UNREACHABLE(
			    "outgoing effect from an incoming channel");
			break;
		}
	}
	if (r->ch.state != before.ch.state)
		xu_logf(XU_LOG_INFO, SUB,
			&(struct xu_log_fields){.account = r->account,
						.channel = r->ch.id},
			"%s: incoming %s -> %s (%s)", r->account,
			pc_in_state_name(before.ch.state),
			pc_in_state_name(r->ch.state), r->ch.reason);
	before.ch.reason = r->ch.reason;
	if (fx.n == 0 && !memcmp(&before, r, sizeof(before)))
		return XU_OK;
	if (fx.n == 0 && ev->kind == PC_EV_LEDGER) {
		struct eng_chan_in same = *r;

		same.ch.view.ledger_index = before.ch.view.ledger_index;
		if (!memcmp(&before, &same, sizeof(before)) &&
		    index_only(before.ch.view.ledger_index,
			       r->ch.view.ledger_index))
			return XU_OK;
	}
	view_sum_drop(pc, r->ch.id);
	return eng_chan_in_put_due(pc->st, r, writer_due_in(pc, r), err);
}

/* A record being deleted is closed as destination when nothing is left
 * to redeem (else the redeem carries tfClose), so that the peer gets its
 * XRP back at once.  Not when the ledger shows the owner closing it
 * already (Expiration/CancelAfter): the owner finalizes it, and a close
 * racing that one fails with tecNO_TARGET for nothing.  A failed close
 * (refused in a fee spike, say) is tried again retry_s later, with the
 * next number (the journal keeps the failed one final)
 * (docs/risks.md#deleted-accounts-channel-left-open). */
enum xu_code maybe_dclose(struct eng_paychan *pc, struct eng_chan_in *r,
			  struct xu_err *err)
{
	const struct pc_in *c = &r->ch;
	struct acct *a = acct_of(pc, r->account);
	enum xu_code rc;

	if (c->state != PC_IN_CLOSING || !c->deleting || c->redeem_inflight ||
	    !c->has_view || c->view.has_expiration ||
	    c->view.has_cancel_after ||
	    xl_drops_cmp(c->best, c->view.balance) > 0)
		return XU_OK;
	for (const struct build *b = pc->builds; b; b = b->next)
		if (b->kind == B_DCLOSE &&
		    !memcmp(b->channel, c->id, CR_CHANNEL_ID_BYTES))
			return XU_OK; /* one in flight */
	r->redeem_n++;
	view_sum_drop(pc, r->ch.id);
	rc = eng_chan_in_put(pc->st, r, err);
	if (rc != XU_OK)
		return rc;
	if (build_add(pc, B_DCLOSE, r->account, r->redeem_n, c->id)) {
		if (a)
			a->dclose_ms = wall_ms(pc);
		xu_info(SUB, "%s: closing the peer's channel (all redeemed)",
			r->account);
	}
	return XU_OK;
}

/* Loads (or starts, for a paired account) the outgoing record. */
enum xu_code out_load(struct eng_paychan *pc, const char *account,
		      struct eng_chan_out *o, bool *have, struct xu_err *err)
{
	struct eng_chan_peer peer;
	bool paired;
	enum xu_code rc;

	rc = eng_chan_out_get(pc->st, account, o, have, err);
	if (rc != XU_OK || *have)
		return rc;
	rc = eng_chan_peer_get(pc->st, account, &peer, &paired, err);
	if (rc != XU_OK || !paired || !peer.paired)
		return rc;
	memset(o, 0, sizeof(*o));
	snprintf(o->account, sizeof(o->account), "%s", account);
	pc_out_init(&o->ch, &pc->self, &peer.address);
	*have = true;
	if (pc->have_acct) {
		struct pc_event ev = account_event(pc);

		rc = out_event(pc, o, &ev, err);
		if (rc != XU_OK)
			return rc;
	}
	if (o->ch.has_id)
		view_sum_drop(pc, o->ch.id);
	return eng_chan_out_put(pc->st, o, err);
}

/* Moves account's owed drops into its outgoing channel. */
enum xu_code feed_owed(struct eng_paychan *pc, const char *account,
		       struct xu_err *err)
{
	struct eng_chan_out o;
	struct xl_drops owed;
	struct pc_event ev;
	bool have;
	enum xu_code rc;

	rc = eng_store_owed_get(pc->st, account, &owed, err);
	if (rc == XU_ENOTFOUND)
		return XU_OK;
	if (rc != XU_OK || xl_drops_is_zero(owed))
		return rc;
	rc = out_load(pc, account, &o, &have, err);
	if (rc != XU_OK || !have)
		return rc; /* not paired yet: the drops wait */
	if (o.ch.deleting)
		return XU_OK;
	if (!o.ch.has_account && pc->have_acct) {
		ev = account_event(pc);
		rc = out_event(pc, &o, &ev, err);
		if (rc != XU_OK)
			return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_SETTLE;
	ev.clk = clock_now(pc);
	ev.u.settle = owed;
	{
		struct xl_drops before = o.ch.owed;
		struct xl_drops sum;

		if (!xl_drops_add(&sum, before, owed)) {
			xu_unusual(SUB, "%s: %llu drops owed do not fit",
				   account, u(owed));
			return XU_OK;
		}
	}
	rc = eng_store_owed_sub(pc->st, account, owed, err);
	if (rc != XU_OK)
		return rc;
	return out_event(pc, &o, &ev, err);
}
