/* The periodic tick (eng_paychan_tick, from the engine's cron): in
 * transactions of ours it re-queues the in-flight transactions after a
 * start, tells the outgoing channels of account changes, runs the
 * channel timers, resends unacknowledged claims, drives recoveries,
 * starts pairings and sends the hellos due, and feeds the owed drops
 * that waited; it asks for a look at every channel once per poll_ms,
 * spread over it (poll_tick).
 * The timers touch only the records due (the due index of the store,
 * chanstore.h; out_next_due, in_next_due, which the writers of
 * effects.c also use), in slices of tick_slice records (a round, see
 * round_slice), with a full sweep after a start and every SWEEP_MS. */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/store/store.h"
#include "src/util/log.h"

#define MAX_DUE_HELLOS 32
#define ASK_WAIT_MAX_MS (10 * 60 * 1000)
#define PRUNE_EVERY_MS (60 * 1000)
#define PRUNE_BATCH 256
#define SWEEP_MS (10 * 60 * 1000)

/* ---- cron ------------------------------------------------------------- */

/* The ledger polls: every channel we know is looked up once per poll_ms,
 * spread evenly over it.  A walk goes over the outgoing records, then the
 * live incoming ones, in pages; each timer tick takes its share, the
 * channels of the last walk times tick_ms / poll_ms.  After a resync or
 * a channel change no lookup names (pc->last_poll_ms = 0, watch.c), a new
 * walk takes everything at once (the lookups go out LOOKUPS_INFLIGHT_MAX
 * at a time). */
#define POLL_PAGE 256
#define PAGES_WAIT_MS 20000

/* The polls' round after a walk of `total` channels: poll_ms, or longer
 * at many channels, each of which stands for cfg.poll_channel_us of it
 * (7.5 ms: up to 8,000 channels the round is 60 s, at 20,000, 10,000
 * links, 150 s), never more than POLL_STRETCH_HALVES half periods
 * (service.h).  The round's cost, the pages' JSON above all, grows with
 * the channels; this keeps an idle engine's share of it bounded, while
 * the account stream still brings every transaction that touches a
 * channel at once (on_tx) and a claim never relies on a view older than
 * VIEW_MAX_AGE_POLLS periods (docs/design.md#scale). */
static uint64_t poll_period(const struct eng_paychan *pc, size_t total)
{
	uint64_t base = pc->cfg.poll_ms;
	uint64_t want = (uint64_t)total * pc->cfg.poll_channel_us / 1000;
	uint64_t most = base * POLL_STRETCH_HALVES / 2;

	return want <= base ? base : want < most ? want : most;
}

/* Whether a page read of this walk (the resync it follows, or its own
 * round of pages: pages.c) gave channel id's view already (watch.c
 * page_views): then it needs no lookup now. */
static bool resynced(struct eng_paychan *pc,
		     const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	struct lookup *l;

	if (!pc->poll.stamp)
		return false;
	l = lookup_of(pc, id);
	return l && l->owned && l->stamp == pc->poll.stamp;
}

/* Queues the lookup of each record of the page that has a channel. */
static void poll_out(struct eng_paychan *pc, const struct eng_chan_out *v,
		     size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ch.has_id && v[i].ch.state != PC_OUT_CLOSED &&
		    v[i].ch.state != PC_OUT_OPENING &&
		    !resynced(pc, v[i].ch.id))
			lookup_want(pc, v[i].ch.id, v[i].account, false);
}

static void poll_in(struct eng_paychan *pc, const struct eng_chan_in *v,
		    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ch.state != PC_IN_CLOSED && !resynced(pc, v[i].ch.id))
			lookup_want(pc, v[i].ch.id, v[i].account, true);
}

/* The walk's next `quota` records (SIZE_MAX: to its end). */
static enum xu_code poll_walk(struct eng_paychan *pc, size_t quota,
			      struct xu_err *err)
{
	struct poll_walk *w = &pc->poll;
	enum xu_code rc = XU_OK;

	while (rc == XU_OK && quota > 0 && w->phase < 2) {
		size_t lim = quota < POLL_PAGE ? quota : POLL_PAGE, n = 0;

		if (w->phase == 0) {
			struct eng_chan_out *v = NULL;

			rc = eng_chan_out_page(pc->st, w->acct, lim, &v, &n,
					       err);
			if (rc == XU_OK) {
				poll_out(pc, v, n);
				if (n)
					snprintf(w->acct, sizeof(w->acct), "%s",
						 v[n - 1].account);
			}
			free(v);
		} else {
			struct eng_chan_in *v = NULL;

			rc = eng_chan_in_live_page(
			    pc->st, w->has_id ? w->id : NULL, lim, &v, &n, err);
			if (rc == XU_OK) {
				poll_in(pc, v, n);
				if (n) {
					memcpy(w->id, v[n - 1].ch.id,
					       CR_CHANNEL_ID_BYTES);
					w->has_id = true;
				}
			}
			free(v);
		}
		if (rc != XU_OK)
			break;
		w->seen += n;
		pc->stats.polled += n;
		quota = quota == SIZE_MAX ? quota : quota - n;
		if (n < lim)
			w->phase++;
	}
	if (rc == XU_OK && w->phase == 2 && !w->done) {
		w->done = true;
		w->total = w->seen;
		pc->want_acct = true;
	}
	return rc;
}

/* At each timer tick with rippled ready: starts a walk when one is due
 * (the last one done and poll_ms since it started, or a resync asked for
 * one), then takes this tick's share of it. */
static enum xu_code poll_tick(struct eng_paychan *pc, int64_t now,
			      struct xu_err *err)
{
	struct poll_walk *w = &pc->poll;
	bool burst = pc->last_poll_ms == 0;
	size_t quota;

	if (burst || (w->done && now - pc->last_poll_ms >=
				     (int64_t)poll_period(pc, w->total))) {
		size_t total = burst ? 0 : w->total;

		memset(w, 0, sizeof(*w));
		w->total = total;
		w->burst = total == 0;
		/* After a resync: what its pages showed is fresh.  Else the
		 * walk first reads the channels in pages and asks only what
		 * they did not show (pages.c). */
		if (burst) {
			w->stamp = pc->resync_fresh;
			pc->resync_fresh = 0;
		} else if (pages_start(pc, total)) {
			w->stamp = pc->pages.stamp;
			w->paging = true;
			w->paging_ms = mono_ms(pc);
		}
		w->spread_ms = poll_period(pc, total);
		pc->last_poll_ms = now;
	}
	if (w->done)
		return XU_OK;
	/* Waits for the pages, but not for a server that takes longer
	 * than PAGES_WAIT_MS: then it asks what they have not shown by
	 * then (what they show later was asked twice).  The walk then
	 * spreads over what is left of the period, so that every channel
	 * is still asked within it. */
	if (w->paging) {
		int64_t waited = mono_ms(pc) - w->paging_ms;

		if (pc->pages.busy && waited >= 0 && waited < PAGES_WAIT_MS)
			return XU_OK;
		w->paging = false;
		if (waited > 0 && (uint64_t)waited < w->spread_ms)
			w->spread_ms -= (uint64_t)waited;
	}
	if (w->burst || w->spread_ms <= pc->cfg.tick_ms)
		quota = SIZE_MAX;
	else
		quota = (size_t)(((uint64_t)w->total * pc->cfg.tick_ms +
				  w->spread_ms - 1) /
				 w->spread_ms);
	return poll_walk(pc, quota ? quota : 1, err);
}

/* After a start: hands the in-flight transactions of the records to the
 * queue again (it follows the ones its journal holds). */
static void requeue(struct eng_paychan *pc, struct eng_chan_out *ov, size_t on,
		    struct eng_chan_in *iv, size_t in)
{
	struct build *b;

	for (size_t i = 0; i < on; i++) {
		struct eng_chan_out *o = &ov[i];

		if (o->ch.state == PC_OUT_OPENING && o->create_n) {
			b = build_add(pc, B_CREATE, o->account, o->create_n,
				      NULL);
			if (b) {
				b->dest = o->ch.peer;
				b->amount = o->tx_amount;
				b->settle_delay = o->ch.settle_delay;
			}
		}
		if (o->ch.fund_inflight && o->fund_n) {
			b = build_add(pc, B_FUND, o->account, o->fund_n,
				      o->ch.id);
			if (b)
				b->amount = o->tx_amount;
		}
		if (o->ch.close_inflight && o->close_n)
			build_add(pc, B_CLOSE, o->account, o->close_n,
				  o->ch.id);
	}
	for (size_t i = 0; i < in; i++) {
		struct pc_in *c = &iv[i].ch;

		if (!c->redeem_inflight || !iv[i].redeem_n)
			continue;
		b = build_add(pc, B_REDEEM, iv[i].account, iv[i].redeem_n,
			      c->id);
		if (b) {
			/* The best claim held: the only one signed we have,
			 * at least redeem_amount (a rebuild after expiry may
			 * so carry more than the first build of the intent:
			 * outcome_in records the Balance that landed). */
			b->amount = c->best;
			memcpy(b->sig, c->best_sig, c->best_siglen);
			b->siglen = c->best_siglen;
			memcpy(b->pubkey, c->view.pubkey, CR_PUBKEY_BYTES);
			b->close = iv[i].redeem_close;
			b->priority = c->state == PC_IN_CLOSING;
			b->deadline = redeem_deadline(pc, c);
		}
	}
}

struct owed_list {
	char (*v)[ENG_STORE_ACCOUNT_MAX + 1];
	size_t n, cap;
};

static bool collect_owed(void *arg, const char *account, struct xl_drops d)
{
	struct owed_list *l = arg;

	(void)d;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		void *nv = realloc(l->v, nc * sizeof(*l->v));

		if (!nv)
			return false;
		l->v = nv;
		l->cap = nc;
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", account);
	return true;
}

/* The records the tick works on, loaded once: every outgoing record (one
 * per account) and the live incoming ones (eng_chan_in_live: not the
 * closed ones, which grow with every channel a peer ever opened,
 * docs/risks.md#closed-records-never-pruned), changed in place by the
 * steps that apply events to them. */
struct records {
	struct eng_chan_out *ov;
	size_t on;
	struct eng_chan_in *iv;
	size_t in;
};

static enum xu_code round_slice(struct eng_paychan *pc, struct records *r,
				struct xu_err *err);

/* Loads into *r (freed by the caller, also on failure) the records due
 * at wall time now_ms (the due index, eng_chan_out_due), or on a sweep
 * every one; every outgoing record also when the account changed (they
 * all hear of it).  A timer's round without either (round: true) loads
 * the first slice of the records due instead (round_slice).  Returns
 * XU_OK, XU_ENOMEM or XU_ESTORE. */
static enum xu_code records_load(struct eng_paychan *pc, struct records *r,
				 int64_t now_ms, bool sweep, bool round,
				 struct xu_err *err)
{
	enum xu_code rc;

	if (round && !sweep && !(pc->acct_dirty && pc->have_acct)) {
		memset(&pc->round, 0, sizeof(pc->round));
		pc->round.active = true;
		pc->round.due_ms = now_ms;
		return round_slice(pc, r, err);
	}
	if (sweep || (pc->acct_dirty && pc->have_acct))
		rc = eng_chan_out_all(pc->st, &r->ov, &r->on, err);
	else
		rc = eng_chan_out_due(pc->st, now_ms, &r->ov, &r->on, err);
	if (rc == XU_OK && sweep)
		rc = eng_chan_in_live(pc->st, &r->iv, &r->in, err);
	else if (rc == XU_OK)
		rc = eng_chan_in_due(pc->st, now_ms, &r->iv, &r->in, err);
	return rc;
}

/* ---- the round's slices ------------------------------------------------ */

/* A timer's round works on the records due at its start (round.due_ms),
 * tick_slice of each table at a time in the due index's order, each
 * slice in a transaction of its own, the next as soon as the caller
 * calls again (the engine: its next loop iteration, while
 * eng_paychan_tick says more): the loop serves the requests that came
 * meanwhile between two slices, instead of waiting for hundreds of
 * records in one go.  The place in the order only moves forward, and no
 * record the round has not reached yet is due after round.due_ms, so the
 * round ends.  A record written during the round gets a due time at once
 * below every other of the table; when the records still due then all
 * lie before the round's place, that one lies after it and the round
 * reads it again (harmless: a resend waits for the delivery's clock, a
 * question for its answer, a redeem for the one in flight), else the
 * next round does.  The steps a round does once (hellos, pairings, owed
 * drops, prunes, polls, the due audit) go with its first slice, so a
 * round the loop stretches past tick_ms delays them as much.  A sweep or
 * an account change works on every record at once, as before.  Loads
 * the next slice into *r and ends the round when both tables gave less
 * than a slice. */
static enum xu_code round_slice(struct eng_paychan *pc, struct records *r,
				struct xu_err *err)
{
	size_t lim = pc->cfg.tick_slice ? pc->cfg.tick_slice : SIZE_MAX / 2;
	enum xu_code rc = XU_OK;

	if (!pc->round.out_done) {
		rc = eng_chan_out_due_page(pc->st, pc->round.due_ms,
					   &pc->round.out_at, lim, &r->ov,
					   &r->on, err);
		pc->round.out_done = r->on < lim;
	}
	if (rc == XU_OK && !pc->round.in_done) {
		rc = eng_chan_in_due_page(pc->st, pc->round.due_ms,
					  &pc->round.in_at, lim, &r->iv, &r->in,
					  err);
		pc->round.in_done = r->in < lim;
	}
	if (rc != XU_OK || (pc->round.out_done && pc->round.in_done))
		pc->round.active = false;
	return rc;
}

/* ---- the due index ---------------------------------------------------- */

/* Wall ms when the channel core's monotonic second t comes (now_ms: the
 * wall time of the tick). */
static int64_t due_at(const struct eng_paychan *pc, uint64_t t, int64_t now_ms)
{
	int64_t left = (int64_t)t * 1000 - mono_ms(pc);

	return now_ms + (left > 0 ? left : 0);
}

/* When the tick must next look at o, for what the tick does to outgoing
 * records: the core's timer (a channel to open, sign on or top up), the
 * claim delivery's clock (an unacknowledged claim, a stall, a retry, or
 * a claim made in the open transaction, which leaves when it ends: the
 * writer's due of a record that made one is worked out before), a
 * recovery's question and an ended channel's search. */
int64_t out_next_due(struct eng_paychan *pc, const struct eng_chan_out *o,
		     int64_t now_ms)
{
	const struct pc_out *c = &o->ch;
	struct acct *a = acct_of(pc, o->account);
	struct xl_drops add;
	bool capped;

	if (!a || c->recovering || c->has_ended || !xl_drops_is_zero(c->owed))
		return DUE_NOW;
	if (!dlv_quiet(a) ||
	    (!xl_drops_is_zero(o->claim_amount) &&
	     xl_drops_cmp(peer_acked(a, o), o->claim_amount) < 0))
		return DUE_NOW;
	/* OPEN: a top-up, or the cap's alert, at retry_at. */
	if (c->state == PC_OUT_OPEN &&
	    (pc_topup_due(c, &pc->cfg.pc, &add, &capped) || capped))
		return due_at(pc, c->retry_at, now_ms);
	/* Nothing else moves it but a write: a settlement, a result, a
	 * ledger view (the records follow the ledger through the polls). */
	return DUE_NEVER;
}

/* When the tick must next look at the incoming record c: a closing
 * channel (redeems race its deadline, the fee decides) or a deletion's
 * close at every tick, one to look up first until its view is seen,
 * else the first time at which the redeem policy could say yes with
 * only the clock moving (pc_redeem_next, at the fee of now; not before
 * retry_at), and never when no time would: a claim or a view writes the
 * record (with its due time worked out again, the writer's due), and a
 * lower fee sweeps every record (set_fee, watch.c). */
int64_t in_next_due(struct eng_paychan *pc, const struct eng_chan_in *r,
		    int64_t now_ms)
{
	const struct pc_in *c = &r->ch;
	struct lookup *l;
	uint64_t t;

	if (c->state == PC_IN_NONE || c->state == PC_IN_CLOSED)
		return DUE_NEVER;
	if (c->state == PC_IN_CLOSING || c->deleting ||
	    c->view.has_expiration || c->view.has_cancel_after)
		return DUE_NOW;
	l = lookup_of(pc, c->id);
	if (!l || !l->seen_ms)
		return DUE_NOW;
	t = pc_redeem_next(c, &pc->cfg.pc, pc->fee);
	if (t == PC_REDEEM_NEVER)
		return DUE_NEVER;
	return due_at(pc, t > c->retry_at ? t : c->retry_at, now_ms);
}

/* After the timers ran: each record looked at gets its next due time,
 * unless a write since it was read made it due again (then the next
 * tick looks again).  Incoming records wait while the ledger time is
 * stale (tick_timers skipped them). */
static enum xu_code due_set(struct eng_paychan *pc, struct records *r,
			    int64_t now_ms, struct xu_err *err)
{
	enum xu_code rc = XU_OK;
	int64_t next;

	for (size_t i = 0; rc == XU_OK && i < r->on; i++) {
		next = out_next_due(pc, &r->ov[i], now_ms);
		if (next != DUE_NOW && next > now_ms)
			rc = eng_chan_out_set_due(pc->st, r->ov[i].account,
						  r->ov[i].due_ms, next, NULL,
						  err);
	}
	if (!ledger_fresh(pc))
		return rc;
	for (size_t i = 0; rc == XU_OK && i < r->in; i++) {
		next = in_next_due(pc, &r->iv[i], now_ms);
		if (next != DUE_NOW && next > now_ms)
			rc = eng_chan_in_set_due(pc->st, r->iv[i].ch.id,
						 r->iv[i].due_ms, next, NULL,
						 err);
	}
	return rc;
}

/* Once after a start: the in-flight transactions of the records go to
 * the queue again. */
static void tick_requeue(struct eng_paychan *pc, struct records *r)
{
	if (pc->requeued)
		return;
	pc->requeued = true;
	requeue(pc, r->ov, r->on, r->iv, r->in);
}

/* Account info changed: every outgoing channel hears of it. */
static enum xu_code tick_account(struct eng_paychan *pc, struct records *r,
				 struct xu_err *err)
{
	struct pc_event ev;
	enum xu_code rc = XU_OK;

	if (!pc->acct_dirty || !pc->have_acct)
		return XU_OK;
	pc->acct_dirty = false;
	ev = account_event(pc);
	for (size_t i = 0; rc == XU_OK && i < r->on; i++)
		rc = out_event(pc, &r->ov[i], &ev, err);
	return rc;
}

/* Whether the core's PC_EV_TIMER ev would act on the incoming record c
 * (any effect), tried on a copy. */
static bool in_timer_acts(struct eng_paychan *pc, const struct eng_chan_in *c,
			  const struct pc_event *ev)
{
	struct pc_in ch = c->ch;
	struct pc_effects fx;

	return pc_in_apply(&ch, &pc->cfg.pc, ev, &fx, NULL, NULL) == XU_OK &&
	       fx.n > 0;
}

/* PC_EV_TIMER to every record: the core's redeem policy, top-ups, closes
 * and retries.  On a sweep, only to the incoming records it acts on: on
 * the others it would only move next_check, a write (and a read at the
 * next tick) of every idle record each SWEEP_MS, while the due index
 * holds them for the time their redeem could come (in_next_due). */
static enum xu_code tick_timers(struct eng_paychan *pc, struct records *r,
				bool sweep, struct xu_err *err)
{
	struct pc_event ev;
	enum xu_code rc = XU_OK;

	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_TIMER;
	ev.clk = clock_now(pc);
	ev.u.fee = pc->fee;
	for (size_t i = 0; rc == XU_OK && i < r->on; i++)
		rc = out_event(pc, &r->ov[i], &ev, err);
	for (size_t i = 0; rc == XU_OK && i < r->in; i++) {
		/* Redeeming decides on the ledger Balance: only with a view
		 * this process has seen (a store restored from a backup
		 * holds an old one, and would redeem what the ledger has
		 * paid already). */
		struct eng_chan_in *c = &r->iv[i];
		struct lookup *l = lookup_of(pc, c->ch.id);

		if (c->ch.state != PC_IN_CLOSED && (!l || !l->seen_ms)) {
			lookup_want(pc, c->ch.id, c->account, true);
			continue;
		}
		/* Nor with a ledger time that is unknown or old: an expired
		 * channel would look open (docs/risks.md
		 * #stale-ledger-time-after-a-restart-or-an-outage). */
		if (!ledger_fresh(pc))
			continue;
		if (sweep && !in_timer_acts(pc, c, &ev))
			continue;
		rc = in_event(pc, c, &ev, NULL, err);
	}
	return rc;
}

/* Records being deleted whose close as destination failed (or never
 * went): again, retry_s after the last attempt of their account. */
static enum xu_code tick_dcloses(struct eng_paychan *pc, struct records *r,
				 int64_t now_ms, struct xu_err *err)
{
	enum xu_code rc = XU_OK;

	for (size_t i = 0; rc == XU_OK && i < r->in; i++) {
		struct eng_chan_in *c = &r->iv[i];
		struct acct *a;

		if (c->ch.state != PC_IN_CLOSING || !c->ch.deleting)
			continue;
		a = acct_of(pc, c->account);
		if (a && a->dclose_ms &&
		    now_ms - a->dclose_ms < (int64_t)pc->cfg.pc.retry_s * 1000)
			continue;
		rc = maybe_dclose(pc, c, err);
	}
	return rc;
}

/* Every account's claim delivery hears the clock (channel/delivery.h):
 * claims the peer has not acknowledged are sent again. */
static enum xu_code tick_resend_claims(struct eng_paychan *pc,
				       struct records *r, int64_t now_ms,
				       struct xu_err *err)
{
	struct pc_event ev;
	enum xu_code rc = XU_OK;

	for (size_t i = 0; rc == XU_OK && i < r->on; i++) {
		struct eng_chan_out *o = &r->ov[i];
		struct acct *a = acct_of(pc, o->account);
		bool unacked;

		if (!a)
			continue;
		unacked = !xl_drops_is_zero(o->claim_amount) &&
			  xl_drops_cmp(peer_acked(a, o), o->claim_amount) < 0;
		/* The delivery's clock: a stall or a retry goes after this
		 * transaction; a NACK every claim_resend_ms while unacked
		 * (its clock restarts also when nothing is sent). */
		if (!dlv_timer(pc, a, unacked, now_ms))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_CLAIM_NACK;
		ev.clk = clock_now(pc);
		rc = out_event(pc, o, &ev, err); /* RESEND_CLAIM: MADE */
	}
	return rc;
}

/* Payments to the peer wait for its answer to a recovery's question: an
 * operator must learn when it does not come (BROKEN, once per recovery,
 * after recover_alert_ms); from then on we stop asking
 * (docs/risks.md#endless-recovery-loop): a question still with the
 * outbox may yet be answered, and a restart asks again. */
static void recovery_alert(struct eng_paychan *pc, const struct eng_chan_out *o,
			   struct acct *a, int64_t now_ms)
{
	if (a->recover_since_ms == 0) {
		a->recover_since_ms = now_ms;
		a->recover_alerted = false;
	} else if (!a->recover_alerted &&
		   now_ms - a->recover_since_ms >=
		       (int64_t)pc->cfg.recover_alert_ms) {
		a->recover_alerted = true;
		pc->stats.alerts++;
		xu_broken(SUB,
			  "%s: payments held for %lld s: the peer has "
			  "not answered our last_claim question "
			  "usably (nothing is signed until it does; "
			  "no longer asking: check the peer engine "
			  "and the connectors' message route, then "
			  "restart to ask again)",
			  o->account,
			  (long long)((now_ms - a->recover_since_ms) / 1000));
	}
}

/* The wait before asking again after n unusable answers in a row:
 * claim_resend_ms, doubled each time, at most ASK_WAIT_MAX_MS. */
static int64_t ask_wait_ms(const struct eng_paychan *pc, unsigned n)
{
	int64_t d = pc->cfg.claim_resend_ms;

	for (unsigned i = 1; i < n && d < ASK_WAIT_MAX_MS; i++)
		d *= 2;
	return d < ASK_WAIT_MAX_MS ? d : ASK_WAIT_MAX_MS;
}

/* Recoveries (a start, or evidence of lost claims): ask the peer for its
 * last claim; again after an unusable answer, with backoff, until the
 * recovery alerts. */
static enum xu_code tick_recoveries(struct eng_paychan *pc, struct records *r,
				    int64_t now_ms, struct xu_err *err)
{
	enum xu_code rc = XU_OK;

	for (size_t i = 0; rc == XU_OK && i < r->on; i++) {
		struct eng_chan_out *o = &r->ov[i];
		struct acct *a = acct_of(pc, o->account);

		/* An ended channel waits for the peer's answer too
		 * (docs/design.md#claims-a-gone-channel-never-paid). */
		bool ended = o->ch.has_ended && !o->ch.ended_has_held;

		if ((!o->ch.recovering && !ended) || !o->ch.has_id) {
			if (a)
				a->recover_since_ms = 0;
			continue;
		}
		if (a)
			recovery_alert(pc, o, a, now_ms);
		/* A recovery stops asking after its alert; an ended channel
		 * keeps asking, backing off, since payments to the peer wait
		 * for its answer. */
		if (a && a->recover_alerted && !ended)
			continue;
		if (a && a->ask_ms != 0 &&
		    (a->ask_ms == ASK_PENDING ||
		     now_ms - a->ask_ms < ask_wait_ms(pc, a->ask_fails)))
			continue;
		rc = send_last_claim(pc, o, err);
	}
	return rc;
}

/* Ended channels (gone with claims the peer did not acknowledge): find
 * what they paid in the ledger's history (history.c). */
static void tick_finals(struct eng_paychan *pc, struct records *r)
{
	for (size_t i = 0; i < r->on; i++)
		if (r->ov[i].ch.has_ended)
			hist_want(pc, &r->ov[i]);
}

/* Accounts older than this service: start their pairing (MAX_DUE_HELLOS
 * a tick, until none is left). */
static enum xu_code tick_missing_pairings(struct eng_paychan *pc,
					  struct xu_err *err)
{
	char(*miss)[ENG_STORE_ACCOUNT_MAX + 1];
	size_t nm = 0;
	enum xu_code rc = XU_OK;

	if (pc->missing_checked)
		return XU_OK;
	miss = calloc(MAX_DUE_HELLOS, sizeof(*miss));
	if (!miss)
		rc = xu_fail(err, XU_ENOMEM, 0, "out of memory");
	if (rc == XU_OK)
		rc = eng_chan_peer_missing(pc->st, miss, MAX_DUE_HELLOS, &nm,
					   err);
	for (size_t i = 0; rc == XU_OK && i < nm; i++) {
		struct eng_chan_peer p;

		memset(&p, 0, sizeof(p));
		snprintf(p.account, sizeof(p.account), "%s", miss[i]);
		rc = eng_chan_peer_put(pc->st, &p, err);
	}
	if (rc == XU_OK && nm < MAX_DUE_HELLOS)
		pc->missing_checked = true;
	free(miss);
	return rc;
}

/* Hellos due (at most MAX_DUE_HELLOS a tick). */
static enum xu_code tick_hellos(struct eng_paychan *pc, int64_t now_ms,
				struct xu_err *err)
{
	struct eng_chan_peer due[MAX_DUE_HELLOS];
	size_t nd = 0;
	enum xu_code rc;

	rc = eng_chan_peer_due(pc->st, now_ms, due, MAX_DUE_HELLOS, &nd, err);
	for (size_t i = 0; rc == XU_OK && i < nd; i++)
		rc = queue_hello(pc, &due[i], err);
	return rc;
}

/* Owed drops that wait (pairing just done, or a restart). */
static enum xu_code tick_owed(struct eng_paychan *pc, struct xu_err *err)
{
	struct owed_list owed = {0};
	enum xu_code rc;

	rc = eng_store_owed_each(pc->st, collect_owed, &owed, err);
	for (size_t i = 0; rc == XU_OK && i < owed.n; i++)
		rc = feed_owed(pc, owed.v[i], err);
	free(owed.v);
	return rc;
}

/* Closed incoming records whose last redemption is final go, after
 * closed_keep_s, to their summary (eng_chan_in_prune), PRUNE_BATCH at a
 * time, every PRUNE_EVERY_MS (the next tick while a backlog remains):
 * through an index of those alone, so the work is what is due
 * (docs/risks.md#closed-records-never-pruned). */
static enum xu_code tick_prune(struct eng_paychan *pc, int64_t now_ms,
			       struct xu_err *err)
{
	int64_t every = PRUNE_EVERY_MS;
	uint64_t n = 0;
	enum xu_code rc;

	if ((int64_t)pc->cfg.closed_keep_s * 1000 < every)
		every = (int64_t)pc->cfg.closed_keep_s * 1000;
	if (pc->last_prune_ms && now_ms - pc->last_prune_ms < every)
		return XU_OK;
	pc->last_prune_ms = now_ms;
	rc = eng_chan_in_prune(pc->st, pc->cfg.closed_keep_s, PRUNE_BATCH, &n,
			       err);
	if (rc == XU_OK && n == PRUNE_BATCH)
		pc->last_prune_ms = 0; /* more are due: the next tick */
	if (rc == XU_OK && n)
		xu_info(SUB,
			"pruned %llu closed incoming channel records "
			"(their summaries stay in pc_in_closed)",
			(unsigned long long)n);
	return rc;
}

/* The due index's check (cfg.due_audit: the simulator): would the tick
 * act on a record whose due time is still to come?  Worked out apart
 * from out_next_due and in_next_due, from what the tick's steps look at:
 * the core's TIMER on a copy (any effect), the claim delivery's clock, a
 * recovery's question, an ended channel's search, a deletion's close.
 * Each one found counts in stats.due_skipped and is BROKEN. */
static enum xu_code due_audit(struct eng_paychan *pc, int64_t now_ms,
			      struct xu_err *err)
{
	struct records r = {0};
	struct pc_effects fx;
	struct pc_event ev;
	enum xu_code rc;

	rc = eng_chan_out_all(pc->st, &r.ov, &r.on, err);
	if (rc == XU_OK)
		rc = eng_chan_in_live(pc->st, &r.iv, &r.in, err);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_TIMER;
	ev.clk = clock_now(pc);
	ev.u.fee = pc->fee;
	for (size_t i = 0; rc == XU_OK && i < r.on; i++) {
		struct eng_chan_out *o = &r.ov[i];
		struct acct *a = acct_of(pc, o->account);
		struct pc_out c = o->ch;
		bool acts;

		if (o->due_ms <= now_ms || !a)
			continue;
		ev.acked = peer_acked(a, o);
		acts = o->ch.recovering || o->ch.has_ended ||
		       a->dlv.state != PC_DLV_IDLE ||
		       xl_drops_cmp(peer_acked(a, o), o->claim_amount) < 0;
		if (!acts &&
		    pc_out_apply(&c, &pc->cfg.pc, &ev, &fx, NULL) == XU_OK)
			acts = fx.n > 0;
		if (!acts)
			continue;
		pc->stats.due_skipped++;
		xu_broken(SUB,
			  "%s: the due index skipped the outgoing record "
			  "(due in %lld ms)",
			  o->account, (long long)(o->due_ms - now_ms));
	}
	for (size_t i = 0; rc == XU_OK && i < r.in; i++) {
		struct eng_chan_in *ci = &r.iv[i];
		struct pc_in c = ci->ch;
		char hex[HEXID];
		bool acts;

		if (ci->due_ms <= now_ms)
			continue;
		acts = c.state == PC_IN_CLOSING && c.deleting;
		if (!acts && ledger_fresh(pc) &&
		    pc_in_apply(&c, &pc->cfg.pc, &ev, &fx, NULL, NULL) == XU_OK)
			acts = fx.n > 0;
		if (!acts)
			continue;
		pc->stats.due_skipped++;
		hexid(hex, ci->ch.id);
		xu_broken(SUB,
			  "%s: the due index skipped incoming channel %s "
			  "(due in %lld ms)",
			  ci->account, hex, (long long)(ci->due_ms - now_ms));
	}
	free(r.ov);
	free(r.iv);
	return rc;
}

/* The steps on the records loaded: the timers' (timer) and the claims',
 * recoveries' and ended channels' (always). */
static enum xu_code record_steps(struct eng_paychan *pc, struct records *r,
				 int64_t now_ms, bool timer, bool sweep,
				 struct xu_err *err)
{
	enum xu_code rc = XU_OK;

	if (timer)
		rc = tick_timers(pc, r, sweep, err);
	if (rc == XU_OK && timer)
		rc = tick_dcloses(pc, r, now_ms, err);
	if (rc == XU_OK)
		rc = tick_resend_claims(pc, r, now_ms, err);
	if (rc == XU_OK)
		rc = tick_recoveries(pc, r, now_ms, err);
	if (rc == XU_OK)
		tick_finals(pc, r);
	return rc;
}

/* A slice after the round's first: the timer's steps on the records of
 * the slice, and their next due times. */
static enum xu_code slice_tx(struct eng_paychan *pc, int64_t now_ms,
			     struct xu_err *err)
{
	struct records r = {0};
	enum xu_code rc = round_slice(pc, &r, err);

	pc->stats.tick_records += r.on + r.in;
	if (rc == XU_OK)
		rc = record_steps(pc, &r, now_ms, true, false, err);
	if (rc == XU_OK)
		rc = due_set(pc, &r, now_ms, err);
	free(r.ov);
	free(r.iv);
	return rc;
}

/* The tick's work, in order, in the open transaction; the first failure
 * ends it (the caller rolls the transaction back).  timer: PC_EV_TIMER
 * is due. */
static enum xu_code tick_tx(struct eng_paychan *pc, int64_t now_ms, bool timer,
			    struct xu_err *err)
{
	struct records r = {0};
	int64_t mono = mono_ms(pc);
	bool sweep;
	enum xu_code rc;

	/* The full sweep: after a start (the records' in-flight work is
	 * re-queued), after a lower fee (set_fee, watch.c) and every
	 * SWEEP_MS, the safety net of the due index. */
	sweep = !pc->requeued ||
		(timer && (!pc->swept || mono - pc->sweep_ms >= SWEEP_MS));
	if (sweep && timer) {
		pc->swept = true;
		pc->sweep_ms = mono;
	}
	rc = XU_OK;
	if (timer && !sweep && pc->cfg.due_audit)
		rc = due_audit(pc, now_ms, err);
	if (rc == XU_OK)
		rc = records_load(pc, &r, now_ms, sweep, timer, err);
	pc->stats.tick_records += r.on + r.in;
	if (rc == XU_OK) {
		tick_requeue(pc, &r);
		rc = tick_account(pc, &r, err);
	}
	if (rc == XU_OK)
		rc = record_steps(pc, &r, now_ms, timer, sweep, err);
	if (rc == XU_OK)
		rc = tick_missing_pairings(pc, err);
	if (rc == XU_OK)
		rc = tick_hellos(pc, now_ms, err);
	if (rc == XU_OK)
		rc = tick_owed(pc, err);
	if (rc == XU_OK)
		rc = tick_prune(pc, now_ms, err);
	if (rc == XU_OK && timer)
		rc = due_set(pc, &r, now_ms, err);
	free(r.ov);
	free(r.iv);
	return rc;
}

bool eng_paychan_quiet(const struct eng_paychan *pc)
{
	return !pc || (pc->nviews == 0 && !pc->acct_dirty);
}

/* The next slice of the round (round_slice), in a transaction. */
static void tick_slice(struct eng_paychan *pc, int64_t now)
{
	struct xu_err err = {0};
	int64_t t0 = pc->mono_us(pc->clock_arg), took;
	enum xu_code rc = tx_begin(pc, &err);

	if (rc != XU_OK) {
		/* What is left goes with the next round, a tick_ms later:
		 * a store that keeps failing is not tried at every turn of
		 * the loop. */
		xu_broken(SUB, "tick: %s", err.msg);
		pc->round.active = false;
		return;
	}
	rc = slice_tx(pc, now, &err);
	if (!tx_end(pc, rc, &err, "the channel timer"))
		pc->round.active = false; /* what is left: the next round */
	took = pc->mono_us(pc->clock_arg) - t0;
	xu_hist_add(&pc->stats.tick, took > 0 ? (uint64_t)took : 0, 1);
}

bool eng_paychan_tick(struct eng_paychan *pc)
{
	int64_t now = wall_ms(pc);
	struct xu_err err = {0};
	enum xu_code rc;
	int64_t t0, took;
	bool timer;

	/* Inside a caller's transaction (not from the loop's callbacks):
	 * nothing now, a round goes on at the next cron. */
	if (!pc || eng_store_in_tx(pc->st))
		return false;
	eng_paychan_views_flush(pc);
	lookups_prune(pc, now);
	peer_lines_flush(pc);
	if (pc->round.active) {
		tick_slice(pc, now);
		return pc->round.active;
	}
	timer = now - pc->last_tick_ms >= (int64_t)pc->cfg.tick_ms;
	if (timer)
		pc->last_tick_ms = now;
	if (!timer && !pc->acct_dirty)
		return false;
	t0 = timer ? pc->mono_us(pc->clock_arg) : 0;
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "tick: %s", err.msg);
		return false;
	}
	rc = tick_tx(pc, now, timer, &err);
	if (rc == XU_OK && timer && rippled_ready(pc))
		rc = poll_tick(pc, now, &err);
	if (!tx_end(pc, rc, &err, "the channel timer"))
		pc->round.active = false;
	if (!timer)
		return pc->round.active;
	owed_tick(pc);
	took = pc->mono_us(pc->clock_arg) - t0;
	xu_hist_add(&pc->stats.tick, took > 0 ? (uint64_t)took : 0, 1);
	return pc->round.active;
}
