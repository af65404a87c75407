/* What a gone outgoing channel paid, from the ledger's history.  When our
 * channel leaves the ledger holding claims the peer neither acknowledged
 * nor was seen to redeem, the core keeps it as `ended` (channel.h) and
 * opens no new channel until PC_EV_FINAL says how much the channel paid
 * in all: the Balance in the FinalFields of the DeletedNode that the
 * deleting transaction left.  That transaction always touches our own
 * account (the channel's remaining XRP and its owner count come back to
 * us), so `account_tx` of our account over the ledgers between the last
 * one that showed the channel and the first that lacked it holds it.
 * Pages are followed by marker; a server that answers without it (an
 * error, a gap in its history, a busy server) is asked again after
 * HIST_RETRY_MS, and after recover_alert_ms without an answer the
 * operator is told once (BROKEN): the drops stay owed, nothing is paid
 * twice (docs/design.md#claims-a-gone-channel-never-paid). */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/net/rippled.h"
#include "src/util/hex.h"
#include "src/util/log.h"

#define HIST_TIMEOUT_MS 20000
#define HIST_RETRY_MS 30000
#define HIST_PAGE 200

/* One search, per account (an account has at most one ended channel). */
struct hist {
	struct hist *next;
	struct eng_paychan *pc;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	uint8_t id[CR_CHANNEL_ID_BYTES];
	uint32_t from, to; /* ledgers to search (0: unbounded) */
	json_t *marker;	   /* the next page (owned), or NULL */
	bool inflight;
	bool done;	  /* found, or the record no longer waits: drop */
	int64_t next_ms;  /* wall ms before which it is not asked */
	int64_t since_ms; /* when the search began */
	bool alerted;
};

static struct hist *hist_of(struct eng_paychan *pc, const char *account)
{
	for (struct hist *h = pc->hists; h; h = h->next)
		if (!strcmp(h->account, account))
			return h;
	return NULL;
}

void hist_want(struct eng_paychan *pc, const struct eng_chan_out *o)
{
	struct hist *h;

	if (!o->ch.has_ended || o->ch.ended_has_final)
		return; /* nothing to find, or found already */
	h = hist_of(pc, o->account);
	if (h && !h->done &&
	    !memcmp(h->id, o->ch.ended_id, CR_CHANNEL_ID_BYTES))
		return; /* under way */
	if (h && h->inflight)
		return; /* its answer finds the record changed; then anew */
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return;
		h->pc = pc;
		snprintf(h->account, sizeof(h->account), "%s", o->account);
		h->next = pc->hists;
		pc->hists = h;
	}
	json_decref(h->marker);
	h->marker = NULL;
	memcpy(h->id, o->ch.ended_id, CR_CHANNEL_ID_BYTES);
	h->from = o->ch.ended_from;
	h->to = o->ch.ended_to;
	h->done = false;
	h->next_ms = 0;
	h->since_ms = wall_ms(pc);
	h->alerted = false;
}

/* The Balance a DeletedNode of channel id in meta's AffectedNodes leaves
 * (its FinalFields), into *balance.  False when meta deletes no such
 * channel or the node is malformed. */
static bool deleted_balance(json_t *meta, const uint8_t id[CR_CHANNEL_ID_BYTES],
			    struct xl_drops *balance)
{
	json_t *nodes = json_object_get(meta, "AffectedNodes");
	size_t i;
	json_t *n;

	json_array_foreach(nodes, i, n)
	{
		json_t *d = json_object_get(n, "DeletedNode");
		json_t *ff = d ? json_object_get(d, "FinalFields") : NULL;
		const char *type = d ? xl_json_str(d, "LedgerEntryType") : NULL;
		const char *index = d ? xl_json_str(d, "LedgerIndex") : NULL;
		uint8_t got[CR_CHANNEL_ID_BYTES];
		uint64_t b = 0;

		if (!type || strcmp(type, "PayChannel") != 0 || !index ||
		    xu_hex_decode_exact(got, sizeof(got), index, NULL) !=
			XU_OK ||
		    memcmp(got, id, CR_CHANNEL_ID_BYTES) != 0)
			continue;
		/* Balance is a required field of a PayChannel; an absent
		 * one would be its default, zero. */
		if (!json_is_object(ff) ||
		    (json_object_get(ff, "Balance") &&
		     !xl_json_u64(ff, "Balance", &b)) ||
		    !xl_drops_from_u64(balance, b))
			return false;
		return true;
	}
	return false;
}

/* Looks through one page of account_tx for h's channel's deletion, in
 * validated transactions only.  True with *balance when found. */
static bool page_find(const struct hist *h, json_t *res,
		      struct xl_drops *balance)
{
	json_t *txs = json_object_get(res, "transactions");
	size_t i;
	json_t *t;

	json_array_foreach(txs, i, t)
	{
		json_t *meta = json_object_get(t, "meta");
		uint32_t index = 0;

		if (!json_is_true(json_object_get(t, "validated")) ||
		    !json_is_object(meta))
			continue;
		/* Outside the range asked: not the deletion we look for
		 * (the channel was on the ledger then, or is not yet known
		 * gone). */
		if (xl_json_u32(t, "ledger_index", &index) &&
		    ((h->from && index < h->from) || (h->to && index > h->to)))
			continue;
		if (deleted_balance(meta, h->id, balance))
			return true;
	}
	return false;
}

/* In a transaction of ours: PC_EV_FINAL to h's record, if it still waits
 * for that channel. */
static enum xu_code apply_final(struct eng_paychan *pc, const struct hist *h,
				struct xl_drops balance, struct xu_err *err)
{
	struct eng_chan_out o;
	struct pc_event ev;
	bool have;
	enum xu_code rc;

	rc = eng_chan_out_get(pc->st, h->account, &o, &have, err);
	if (rc != XU_OK || !have || !o.ch.has_ended ||
	    memcmp(o.ch.ended_id, h->id, CR_CHANNEL_ID_BYTES) != 0)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_FINAL;
	ev.clk = clock_now(pc);
	memcpy(ev.u.final.channel, h->id, CR_CHANNEL_ID_BYTES);
	ev.u.final.balance = balance;
	return out_event(pc, &o, &ev, err);
}

static void retry_later(struct hist *h, const char *why)
{
	struct eng_paychan *pc = h->pc;
	int64_t now = wall_ms(pc);
	char id[HEXID];

	json_decref(h->marker);
	h->marker = NULL;
	h->next_ms = now + HIST_RETRY_MS;
	hexid(id, h->id);
	xu_info(SUB, "%s: account_tx for channel %s: %s; again in %d s",
		h->account, id, why, HIST_RETRY_MS / 1000);
	if (!h->alerted &&
	    now - h->since_ms >= (int64_t)pc->cfg.recover_alert_ms) {
		h->alerted = true;
		pc->stats.alerts++;
		xu_broken(SUB,
			  "%s: ALERT channel %s left the ledger with claims "
			  "the peer did not acknowledge, and for %lld s "
			  "rippled's history has not shown the transaction "
			  "that deleted it (ledgers %u to %u): until it does, "
			  "what it did not pay stays owed and no new channel "
			  "opens",
			  h->account, id,
			  (long long)((now - h->since_ms) / 1000),
			  (unsigned)h->from, (unsigned)h->to);
	}
}

static void on_hist_reply(void *arg, enum xu_code code, json_t *msg,
			  const struct xu_err *rerr)
{
	struct hist *h = arg;
	struct eng_paychan *pc = h->pc;
	json_t *res = msg ? xl_ws_result(msg) : NULL;
	json_t *marker = res ? json_object_get(res, "marker") : NULL;
	struct xl_drops balance;
	struct xu_err err = {0};
	enum xu_code rc;
	char id[HEXID];

	h->inflight = false;
	if (code != XU_OK || !res ||
	    !json_is_array(json_object_get(res, "transactions"))) {
		retry_later(h, rerr ? rerr->msg
				    : "no transactions in the "
				      "answer");
		return;
	}
	if (!page_find(h, res, &balance)) {
		if (marker) {
			json_decref(h->marker);
			h->marker = json_incref(marker);
			h->next_ms = 0; /* the next page at once */
			hist_flush(pc);
			return;
		}
		retry_later(h, "the deleting transaction is not in the "
			       "history served");
		return;
	}
	hexid(id, h->id);
	xu_info(SUB,
		"%s: channel %s paid %llu drops in all (its deleting "
		"transaction)",
		h->account, id, u(balance));
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		retry_later(h, err.msg);
		return;
	}
	rc = apply_final(pc, h, balance, &err);
	if (rc == XU_OK)
		h->done = true;
	else
		retry_later(h, err.msg);
	tx_end(pc, rc, &err, "applying a channel's final balance");
}

void hist_flush(struct eng_paychan *pc)
{
	struct xl_client *c;
	struct hist **p = &pc->hists;
	int64_t now = wall_ms(pc);
	struct xu_err err;

	while (*p) {
		struct hist *h = *p;

		if (h->done && !h->inflight) {
			*p = h->next;
			json_decref(h->marker);
			free(h);
			continue;
		}
		p = &h->next;
	}
	if (!rippled_ready(pc))
		return;
	c = xl_rippled_client(pc->rippled);
	for (struct hist *h = pc->hists; h; h = h->next) {
		json_t *req;

		if (h->done || h->inflight || now < h->next_ms)
			continue;
		req = json_pack("{s:s,s:s,s:I,s:I,s:b,s:i}", "command",
				"account_tx", "account", pc->address,
				"ledger_index_min",
				h->from ? (json_int_t)h->from : (json_int_t)-1,
				"ledger_index_max",
				h->to ? (json_int_t)h->to : (json_int_t)-1,
				"forward", 1, "limit", HIST_PAGE);
		if (!req)
			return;
		if (h->marker)
			json_object_set(req, "marker", h->marker);
		if (xl_client_request(c, req, HIST_TIMEOUT_MS, on_hist_reply, h,
				      &err) != XU_OK) {
			xu_debug(SUB, "account_tx not sent: %s", err.msg);
			return;
		}
		h->inflight = true;
	}
}

void hist_free_all(struct eng_paychan *pc)
{
	while (pc->hists) {
		struct hist *h = pc->hists;

		pc->hists = h->next;
		json_decref(h->marker);
		free(h);
	}
}
