/* What /health shows of the service (eng_paychan_health): the counters
 * since the start and, from the store, the records per state, the
 * unpaired accounts and the recovering channels. */
#include "src/paychan/service.h"

#include <jansson.h>

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
	    "{s:o*,s:o*,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "outgoing", outs, "incoming", ins, "unpaired", (json_int_t)unpaired,
	    "recovering", (json_int_t)recovering, "claims_signed",
	    (json_int_t)s->claims_signed, "claims_accepted",
	    (json_int_t)s->claims_accepted, "claims_rejected",
	    (json_int_t)s->claims_rejected, "paid_drops",
	    (json_int_t)s->paid_drops, "credited_drops",
	    (json_int_t)s->credits_drops, "hellos_sent",
	    (json_int_t)s->hellos_sent, "lookups", (json_int_t)s->lookups,
	    "alerts", (json_int_t)s->alerts, "txs_submitted",
	    (json_int_t)s->txs_submitted, "tx_failures",
	    (json_int_t)s->tx_failures, "recovered_drops",
	    (json_int_t)s->recovered_drops);
}
