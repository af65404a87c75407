/* The engine's share of a settlement's latency, in three histograms of
 * /metrics (struct eng_paychan_stats; README.md "Watching the daemon"):
 *
 *   handoff    a settlement acknowledged to the connector (its batch
 *              committed) -> the first claim attempt of its account
 *              handed to the outbox after it (the claim that carries it:
 *              claims are cumulative, each signed over all that is owed);
 *              one observation per settlement
 *   claim_rtt  a claim attempt handed to the outbox -> the peer's
 *              claim_reply read from the connector's answer (the payer's
 *              view of the round trip: both connectors, the peer engine)
 *   credit     a peer's claim message read (its HTTP request) -> our
 *              connector's 2xx to the credit it queued, once the outbox
 *              recorded it (the payee's share: its group commit, the
 *              credit's POST, the commit recording the answer)
 *
 * Timed on the service's monotonic microsecond clock; memory only, and
 * nothing here decides anything (the round trip lat_claim_ended returns
 * feeds the delivery's adaptive stall, dlv_rtt in to_peer.c).  A credit whose row is rolled back is
 * forgotten when a later credit reuses or passes its id; one the ring
 * has no room for is not timed. */
#include "src/paychan/service.h"

#include <stdlib.h>
#include <string.h>

#define LAT_CREDITS 1024

struct lat_credit {
	int64_t id; /* 0: answered (a hole in the ring) */
	int64_t us;
};

static int64_t now_us(const struct eng_paychan *pc)
{
	return pc->mono_us(pc->clock_arg);
}

static uint64_t since(int64_t from, int64_t to)
{
	return to > from ? (uint64_t)(to - from) : 0;
}

void lat_settled(struct eng_paychan *pc, const char *account)
{
	struct acct *a = acct_of(pc, account);

	if (!a)
		return;
	a->lat.staged++;
	if (a->lat.listed)
		return;
	if (pc->lat_nstaged == pc->lat_capstaged) {
		size_t nc = pc->lat_capstaged ? pc->lat_capstaged * 2 : 16;
		void *nv =
		    realloc(pc->lat_staged, nc * sizeof(*pc->lat_staged));

		if (!nv) {
			a->lat.staged = 0;
			return;
		}
		pc->lat_staged = nv;
		pc->lat_capstaged = nc;
	}
	a->lat.listed = true;
	pc->lat_staged[pc->lat_nstaged++] = a;
}

void lat_batch_done(struct eng_paychan *pc, bool committed)
{
	int64_t now = pc->lat_nstaged ? now_us(pc) : 0;

	for (size_t i = 0; i < pc->lat_nstaged; i++) {
		struct lat_acct *l = &pc->lat_staged[i]->lat;

		if (committed && l->staged && !l->q)
			l->q = malloc(LAT_QUEUE * sizeof(*l->q));
		if (committed && l->staged && l->q) {
			if (l->qn == LAT_QUEUE)
				l->q[LAT_QUEUE - 1].n += l->staged;
			else {
				l->q[l->qn].us = now;
				l->q[l->qn].n = l->staged;
				l->qn++;
			}
		}
		l->staged = 0;
		l->listed = false;
	}
	pc->lat_nstaged = 0;
}

void lat_claim_sent(struct eng_paychan *pc, struct acct *a, uint64_t seq)
{
	struct lat_acct *l = &a->lat;
	int64_t now = now_us(pc);
	size_t k = 0;

	for (uint32_t i = 0; i < l->qn; i++)
		xu_hist_add(&pc->stats.handoff, since(l->q[i].us, now),
			    l->q[i].n);
	l->qn = 0;
	free(l->q);
	l->q = NULL;
	/* The oldest slot goes when all are taken (an attempt whose end
	 * never came). */
	for (size_t i = 0; i < LAT_OUT; i++) {
		if (!l->out[i].us) {
			k = i;
			break;
		}
		if (l->out[i].us < l->out[k].us)
			k = i;
	}
	l->out[k].seq = seq;
	l->out[k].us = now;
}

uint64_t lat_claim_ended(struct eng_paychan *pc, struct acct *a, uint64_t seq,
			 bool replied)
{
	struct lat_acct *l = &a->lat;
	uint64_t us = 0;

	for (size_t i = 0; i < LAT_OUT; i++) {
		if (!l->out[i].us || l->out[i].seq != seq)
			continue;
		if (replied) {
			us = since(l->out[i].us, now_us(pc));
			xu_hist_add(&pc->stats.claim_rtt, us, 1);
		}
		l->out[i].us = 0;
		break;
	}
	return us;
}

static struct lat_credit *credit_at(struct eng_paychan *pc, size_t i)
{
	return &pc->lat_credits[(pc->lat_head + i) % LAT_CREDITS];
}

void lat_credit_queued(struct eng_paychan *pc, int64_t id)
{
	struct lat_credit *c;

	if (!pc->lat_rx_us || id <= 0)
		return;
	if (!pc->lat_credits) {
		pc->lat_credits = calloc(LAT_CREDITS, sizeof(*pc->lat_credits));
		if (!pc->lat_credits)
			return;
	}
	/* Row ids grow: ones at or above id were rolled back. */
	while (pc->lat_ncredits &&
	       credit_at(pc, pc->lat_ncredits - 1)->id >= id)
		pc->lat_ncredits--;
	if (pc->lat_ncredits == LAT_CREDITS)
		return;
	c = credit_at(pc, pc->lat_ncredits++);
	c->id = id;
	c->us = pc->lat_rx_us;
}

void lat_credit_ended(struct eng_paychan *pc, int64_t id, int status)
{
	for (size_t i = 0; i < pc->lat_ncredits; i++) {
		struct lat_credit *c = credit_at(pc, i);

		if (c->id != id)
			continue;
		if (status >= 200 && status <= 299)
			xu_hist_add(&pc->stats.credit, since(c->us, now_us(pc)),
				    1);
		c->id = 0;
		break;
	}
	while (pc->lat_ncredits && credit_at(pc, 0)->id == 0) {
		pc->lat_head = (pc->lat_head + 1) % LAT_CREDITS;
		pc->lat_ncredits--;
	}
}

int64_t lat_read_at(struct eng_paychan *pc)
{
	int64_t at = pc->lat_msg_us ? pc->lat_msg_us : now_us(pc);

	pc->lat_msg_us = 0;
	return at ? at : 1;
}

void eng_paychan_message_read(struct eng_paychan *pc, int64_t mono_us)
{
	if (pc)
		pc->lat_msg_us = mono_us;
}

void lat_free(struct eng_paychan *pc)
{
	free(pc->lat_staged);
	free(pc->lat_credits);
}
