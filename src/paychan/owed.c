/* The owed alert (docs/design.md#the-owed-alert): drops the connector
 * settled with a 201 and that no claim the peer acknowledged covers yet
 * are "unpaid"; when the oldest of them has waited owed_alert_ms, one
 * BROKEN line names the account and the drops, /health and /metrics show
 * the alert, and one INFO line clears it once they are paid.
 *
 * An account's unpaid drops are, from the store: its owed total (not yet
 * moved into a channel), its outgoing record's owed (waiting for a
 * channel or a recovery) and its last signed claim above what the peer
 * acknowledged on that channel (peer_acked).  How long they waited is
 * kept in memory, per account, as a queue of arrivals {drops, time}:
 * every tick compares the unpaid total and the acknowledged amount with
 * the last tick's; the drops the peer newly acknowledged are taken from
 * the front (oldest first), the rest of the change is a new arrival at
 * the back.  Under a steady flow of settlements the front keeps moving,
 * so only drops that truly wait grow old.  A full queue merges its two
 * newest entries (the merged drops keep the older time: the age can only
 * be overstated, by the gap between two ticks' arrivals).
 *
 * The queue lives in memory.  After a start, the drops unpaid at the
 * first tick count as arrived when the account's newest settlement still
 * on record was answered 201 (or at that tick when there is none): all
 * of them came at or before it, so the age is never overstated, and an
 * account stuck before a restart alerts again at once. */
#include "src/paychan/service.h"

#include <stdlib.h>
#include <string.h>

#include "src/store/store.h"
#include "src/util/log.h"

#define OWED_QUEUE 32

struct arrival {
	uint64_t drops;
	int64_t ms; /* monotonic */
};

struct owed_watch {
	struct owed_watch *next;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	/* This tick's reading of the store. */
	bool seen;	  /* some record names the account */
	uint64_t pending; /* its unpaid drops */
	bool rec_read;	  /* its outgoing record was read this tick */
	bool rec_chan;	  /* its outgoing record has a channel: */
	uint8_t rec_id[CR_CHANNEL_ID_BYTES];
	uint64_t rec_acked; /* and the peer acknowledged that much on it */
	/* The last tick's. */
	uint64_t unpaid;
	bool has_chan;
	uint8_t chan[CR_CHANNEL_ID_BYTES];
	uint64_t acked; /* on chan, at the last tick */
	struct arrival q[OWED_QUEUE];
	size_t n;
	bool alerted;
};

static struct owed_watch *watch_find(struct eng_paychan *pc,
				     const char *account)
{
	return xu_map_get(&pc->owed_map, account);
}

/* account's watch, made when it has none (NULL when out of memory). */
static struct owed_watch *watch_of(struct eng_paychan *pc, const char *account)
{
	struct owed_watch *w = watch_find(pc, account);

	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	snprintf(w->account, sizeof(w->account), "%s", account);
	if (!pc->owed_map_ready) {
		xu_map_init(&pc->owed_map, offsetof(struct owed_watch, account),
			    0, pc->acct_map.seed);
		pc->owed_map_ready = true;
	}
	if (xu_map_put(&pc->owed_map, w, NULL) != XU_OK) {
		free(w);
		return NULL;
	}
	w->next = pc->owed;
	pc->owed = w;
	return w;
}

static const struct acct *acct_find(const struct eng_paychan *pc,
				    const char *account)
{
	return xu_map_get(&pc->acct_map, account);
}

/* Adds the account's owed total to its watch (eng_store_owed_each). */
static bool add_store_owed(void *arg, const char *account, struct xl_drops owed)
{
	struct eng_paychan *pc = arg;
	struct owed_watch *w = watch_of(pc, account);

	if (!w)
		return false;
	w->seen = true;
	w->pending += xl_drops_u64(owed); /* each below 10^17: no overflow */
	return true;
}

/* Takes drops from the front of w's queue (oldest first). */
static void pay_front(struct owed_watch *w, uint64_t drops)
{
	size_t i = 0;

	while (drops && i < w->n) {
		uint64_t t = drops < w->q[i].drops ? drops : w->q[i].drops;

		w->q[i].drops -= t;
		drops -= t;
		if (!w->q[i].drops)
			i++;
	}
	memmove(w->q, w->q + i, (w->n - i) * sizeof(w->q[0]));
	w->n -= i;
}

static void arrive(struct owed_watch *w, uint64_t drops, int64_t now)
{
	if (w->n == OWED_QUEUE) {
		w->q[OWED_QUEUE - 2].drops += w->q[OWED_QUEUE - 1].drops;
		w->n--;
	}
	w->q[w->n].drops = drops;
	w->q[w->n].ms = now;
	w->n++;
}

/* One tick of w: unpaid is the account's unpaid total now, chan/acked its
 * record's channel (NULL: none) and what the peer acknowledged on it. */
static void step(struct owed_watch *w, uint64_t unpaid, const uint8_t *chan,
		 uint64_t acked, int64_t now)
{
	uint64_t paid = 0;
	int64_t change;

	if (chan && w->has_chan && !memcmp(chan, w->chan, sizeof(w->chan)))
		paid = acked > w->acked ? acked - w->acked : 0;
	else if (chan)
		paid = acked; /* a new channel: all it acknowledged is new */
	w->has_chan = chan != NULL;
	if (chan)
		memcpy(w->chan, chan, sizeof(w->chan));
	w->acked = acked;
	/* unpaid = last + arrivals - paid; a fall beyond what was
	 * acknowledged (drops cancelled by a recovery) pays the oldest. */
	change = (int64_t)unpaid - (int64_t)w->unpaid + (int64_t)paid;
	if (change < 0) {
		paid += (uint64_t)-change;
		change = 0;
	}
	pay_front(w, paid);
	if (change > 0)
		arrive(w, (uint64_t)change, now);
	w->unpaid = unpaid;
	/* Keep the queue's sum equal to the total (at start, and whatever
	 * the records did meanwhile). */
	uint64_t sum = 0;
	for (size_t i = 0; i < w->n; i++)
		sum += w->q[i].drops;
	if (sum > unpaid)
		pay_front(w, sum - unpaid);
	else if (sum < unpaid)
		arrive(w, unpaid - sum, now);
}

/* Reads w's outgoing record (not among the unpaid ones): its channel and
 * what the peer acknowledged on it, adding nothing unpaid. */
static void watch_record(struct eng_paychan *pc, struct owed_watch *w)
{
	struct eng_chan_out o;
	struct xu_err err = {0};
	bool have;

	if (eng_chan_out_get(pc->st, w->account, &o, &have, &err) != XU_OK) {
		xu_unusual(SUB, "owed alert: %s", err.msg);
		return;
	}
	if (!have)
		return;
	w->seen = true;
	w->rec_read = true;
	w->rec_chan = o.ch.has_id;
	if (o.ch.has_id)
		memcpy(w->rec_id, o.ch.id, sizeof(w->rec_id));
	w->rec_acked = xl_drops_u64(peer_acked(acct_find(pc, o.account), &o));
}

/* Logs an alert starting or ending on w. */
static void alert_edge(struct eng_paychan *pc, struct owed_watch *w,
		       int64_t now)
{
	bool late = w->n && now - w->q[0].ms >= (int64_t)pc->cfg.owed_alert_ms;

	if (late && !w->alerted) {
		w->alerted = true;
		xu_logf(XU_LOG_BROKEN, SUB,
			&(struct xu_log_fields){.account = w->account,
						.drops = w->unpaid,
						.has_drops = true},
			"account %s: %llu drops acknowledged to the "
			"connector are unpaid; the oldest waited %lld s "
			"(--owed-alert %u s): no claim the peer acknowledged "
			"covers them",
			w->account, (unsigned long long)w->unpaid,
			(long long)((now - w->q[0].ms) / 1000),
			(unsigned)(pc->cfg.owed_alert_ms / 1000));
	} else if (!late && w->alerted) {
		w->alerted = false;
		xu_info(SUB,
			"account %s: the drops unpaid past --owed-alert are "
			"paid (%llu drops unpaid now)",
			w->account, (unsigned long long)w->unpaid);
	}
}

struct seed_ctx {
	struct eng_paychan *pc;
	int64_t mono, wall; /* now on both clocks */
};

/* The first tick after a start: account's unpaid drops (one arrival)
 * came at or before its newest settlement, at_unix. */
static bool seed_arrival(void *arg, const char *account, int64_t at_unix)
{
	struct seed_ctx *sc = arg;
	struct owed_watch *w = watch_find(sc->pc, account);
	int64_t age = sc->wall - at_unix * 1000;

	if (w && w->n && age > 0 && sc->mono - age < w->q[0].ms)
		w->q[0].ms = sc->mono - age;
	return true;
}

void owed_tick(struct eng_paychan *pc)
{
	struct eng_chan_out *ov = NULL;
	size_t on = 0;
	struct xu_err err;
	struct owed_watch *w, **pw;
	int64_t now = mono_ms(pc);

	for (w = pc->owed; w; w = w->next) {
		w->seen = false;
		w->pending = 0;
		w->rec_read = false;
		w->rec_chan = false;
		w->rec_acked = 0;
	}
	/* Only the records with drops unpaid by what they store: for the
	 * others peer_acked is at least their claim and nothing is owed, so
	 * they add nothing (a watch of theirs reads as unpaid 0 either
	 * way). */
	if (eng_store_owed_each(pc->st, add_store_owed, pc, &err) != XU_OK ||
	    eng_chan_out_unpaid(pc->st, &ov, &on, &err) != XU_OK) {
		xu_unusual(SUB, "owed alert: %s", err.msg);
		free(ov);
		return;
	}
	for (size_t i = 0; i < on; i++) {
		const struct eng_chan_out *o = &ov[i];
		struct xl_drops acked =
		    peer_acked(acct_find(pc, o->account), o);
		uint64_t unpaid = xl_drops_u64(o->ch.owed);

		if (xl_drops_cmp(o->claim_amount, acked) > 0)
			unpaid +=
			    xl_drops_u64(o->claim_amount) - xl_drops_u64(acked);
		/* Accounts with nothing unpaid get no watch (a watch made
		 * later starts from an empty queue, which is exact). */
		w = unpaid ? watch_of(pc, o->account)
			   : watch_find(pc, o->account);
		if (!w)
			continue;
		w->seen = true;
		w->pending += unpaid;
		w->rec_read = true;
		w->rec_chan = o->ch.has_id;
		if (o->ch.has_id)
			memcpy(w->rec_id, o->ch.id, sizeof(w->rec_id));
		w->rec_acked = xl_drops_u64(acked);
	}
	free(ov);
	/* A watch whose record has nothing unpaid (not listed) still steps
	 * on the record's channel and what the peer acknowledged on it, or
	 * its queue would read the next listing as a new channel. */
	for (w = pc->owed; w; w = w->next)
		if (!w->rec_read)
			watch_record(pc, w);
	for (w = pc->owed; w; w = w->next)
		step(w, w->seen ? w->pending : 0,
		     w->seen && w->rec_chan ? w->rec_id : NULL, w->rec_acked,
		     now);
	if (!pc->owed_seeded) {
		struct seed_ctx sc = {pc, now, wall_ms(pc)};

		pc->owed_seeded = true;
		if (eng_store_last_settled_each(pc->st, seed_arrival, &sc,
						&err) != XU_OK)
			xu_unusual(SUB, "owed alert: %s", err.msg);
	}
	for (pw = &pc->owed; (w = *pw);) {
		alert_edge(pc, w, now);
		if (!w->unpaid && !w->alerted) {
			*pw = w->next;
			xu_map_del(&pc->owed_map, w->account);
			free(w);
			continue;
		}
		pw = &w->next;
	}
}

void owed_free(struct eng_paychan *pc)
{
	while (pc->owed) {
		struct owed_watch *w = pc->owed;

		pc->owed = w->next;
		free(w);
	}
	xu_map_clear(&pc->owed_map);
}

void eng_paychan_owed_each(const struct eng_paychan *pc, eng_paychan_owed_fn fn,
			   void *arg)
{
	int64_t now = mono_ms(pc);

	for (const struct owed_watch *w = pc->owed; w; w = w->next) {
		struct xl_drops unpaid;

		if (!w->unpaid || !xl_drops_from_u64(&unpaid, w->unpaid))
			continue;
		fn(arg, w->account, unpaid, w->n ? now - w->q[0].ms : 0,
		   w->alerted);
	}
}
