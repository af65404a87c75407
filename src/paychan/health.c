/* What /health shows of the service (eng_paychan_health): the counters
 * since the start and, from the store, the records per state, the
 * unpaired accounts and the recovering channels. */
#include "src/paychan/service.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "channel/channel.h"

/* Adds "<state name>": n to obj for every state some record is in. */
static void add_states(json_t *obj, const uint64_t *n, int nstates, bool out)
{
	if (!obj)
		return;
	for (int s = 0; s < nstates; s++) {
		const char *name = out ? pc_out_state_name((enum pc_out_state)s)
				       : pc_in_state_name((enum pc_in_state)s);

		if (n[s])
			json_object_set_new(obj, name,
					    json_integer((json_int_t)n[s]));
	}
}

json_t *eng_paychan_health(struct eng_paychan *pc)
{
	const struct eng_paychan_stats *s = &pc->stats;
	json_t *outs = json_object(), *ins = json_object();
	uint64_t nout[PC_OUT_NSTATES], nin[PC_IN_NSTATES];
	uint64_t unpaired, recovering;
	struct xu_err err;

	/* Failures leave 0s: /health answers whatever the store says. */
	if (eng_chan_out_count_states(pc->st, nout, &err) == XU_OK)
		add_states(outs, nout, PC_OUT_NSTATES, true);
	if (eng_chan_in_count_states(pc->st, nin, &err) == XU_OK)
		add_states(ins, nin, PC_IN_NSTATES, false);
	if (eng_chan_peer_count_unpaired(pc->st, &unpaired, &err) != XU_OK)
		unpaired = 0;
	if (eng_chan_out_count_recovering(pc->st, &recovering, &err) != XU_OK)
		recovering = 0;
	return json_pack(
	    "{s:o*,s:o*,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I}",
	    "outgoing", outs, "incoming", ins, "unpaired", (json_int_t)unpaired,
	    "recovering", (json_int_t)recovering, "claims_signed",
	    (json_int_t)s->claims_signed, "claims_accepted",
	    (json_int_t)s->claims_accepted, "claims_rejected",
	    (json_int_t)s->claims_rejected, "paid_drops",
	    (json_int_t)s->paid_drops, "credited_drops",
	    (json_int_t)s->credits_drops, "hellos_sent",
	    (json_int_t)s->hellos_sent, "lookups", (json_int_t)s->lookups,
	    "pages", (json_int_t)s->pages, "page_views",
	    (json_int_t)s->page_views, "alerts", (json_int_t)s->alerts,
	    "txs_submitted", (json_int_t)s->txs_submitted, "tx_failures",
	    (json_int_t)s->tx_failures, "recovered_drops",
	    (json_int_t)s->recovered_drops);
}

/* The largest amount: a sum that overflowed shows as this. */
static struct xl_drops top(void)
{
	struct xl_drops d;

	if (!xl_drops_from_u64(&d, XL_DROPS_MAX))
		return xl_drops_zero();
	return d;
}

/* Adds (a - b) to *sum when a > b. */
static void add_above(struct xl_drops *sum, struct xl_drops a,
		      struct xl_drops b)
{
	struct xl_drops d;

	if (xl_drops_cmp(a, b) > 0 && xl_drops_sub(&d, a, b) &&
	    !xl_drops_add(sum, *sum, d))
		*sum = top();
}

static void sum_owed(void *arg, const char *account, struct xl_drops unpaid,
		     int64_t waited_ms, bool alerted)
{
	struct eng_paychan_status *st = arg;

	(void)account;
	if (!xl_drops_add(&st->unpaid, st->unpaid, unpaid))
		st->unpaid = top();
	if (waited_ms > st->unpaid_oldest_ms)
		st->unpaid_oldest_ms = waited_ms;
	if (!alerted)
		return;
	st->owed_alerts++;
	if (!xl_drops_add(&st->owed_alert_drops, st->owed_alert_drops, unpaid))
		st->owed_alert_drops = top();
}

enum xu_code eng_paychan_status(struct eng_paychan *pc,
				struct eng_paychan_status *st,
				struct xu_err *err)
{
	struct eng_chan_out *ov = NULL;
	struct eng_chan_in *iv = NULL;
	size_t on = 0, in = 0;
	struct xl_drops inc;
	enum xu_code rc;

	memset(st, 0, sizeof(*st));
	st->stats = pc->stats;
	st->ledger_seen_ms = pc->ledger_wall_ms;
	st->have_account = pc->have_acct;
	st->balance = pc->balance;
	st->reserve = pc->reserve_base;
	if (!xl_drops_mul(&inc, pc->reserve_inc, pc->owner_count) ||
	    !xl_drops_add(&st->reserve, st->reserve, inc))
		st->reserve = top();
	eng_paychan_owed_each(pc, sum_owed, st);
	rc = eng_chan_out_count_states(pc->st, st->out_states, err);
	if (rc == XU_OK)
		rc = eng_chan_in_count_states(pc->st, st->in_states, err);
	if (rc == XU_OK)
		rc = eng_chan_peer_count_unpaired(pc->st, &st->unpaired, err);
	if (rc == XU_OK)
		rc =
		    eng_chan_out_count_recovering(pc->st, &st->recovering, err);
	if (rc == XU_OK)
		rc = eng_chan_out_all(pc->st, &ov, &on, err);
	if (rc == XU_OK)
		rc = eng_chan_in_all(pc->st, NULL, &iv, &in, err);
	for (size_t i = 0; rc == XU_OK && i < on; i++)
		if (ov[i].ch.has_id && ov[i].ch.state != PC_OUT_CLOSED)
			add_above(&st->locked, ov[i].ch.amount,
				  ov[i].ch.redeemed);
	for (size_t i = 0; rc == XU_OK && i < in; i++)
		if (iv[i].ch.has_view && iv[i].ch.state != PC_IN_CLOSED)
			add_above(&st->claimable, iv[i].ch.best,
				  iv[i].ch.view.balance);
	free(ov);
	free(iv);
	return rc;
}
