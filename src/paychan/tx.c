/* Our transactions on the ledger: the builds handed to the submission
 * queue (one per deterministic intent: "create:<account>:<n>",
 * "fund:<channel>:<n>"...), made in the open transaction and queued after
 * its commit, and what their outcomes mean for the records (the metadata
 * gives the created channel's id and the final Amount or Balance). */
#include "src/paychan/service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/hash.h"
#include "ledger/net/rippled.h"
#include "ledger/tx.h"
#include "src/store/store.h"
#include "src/util/log.h"

/* ---- builds (transactions for the submission queue) --------------------*/

/* The intent's key for an account: the account id itself when it fits,
 * else a hash of it (intents are at most XL_INTENT_MAX - 1 bytes). */
static void intent_account(char *out, size_t cap, const char *account)
{
	if (strlen(account) <= 64) {
		snprintf(out, cap, "%s", account);
		return;
	}
	uint8_t h[CR_SHA512HALF_BYTES];
	char hex[2 * 16 + 1];

	cr_sha512half(h, (const uint8_t *)account, strlen(account));
	xu_hex_encode(hex, sizeof(hex), h, 16);
	snprintf(out, cap, "h%s", hex);
}

/* By intent in a hash map: at 10,000 links thousands of creations wait
 * for their outcomes, and every outcome and every new build looks one up
 * (docs/design.md#scale). */
static struct build *build_find(struct eng_paychan *pc, const char *intent)
{
	return xu_map_get(&pc->build_map, intent);
}

static void build_unlink(struct eng_paychan *pc, struct build *b)
{
	for (struct build **p = &pc->builds; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			if (!b->queued)
				pc->builds_unqueued--;
			xu_map_del(&pc->build_map, b->intent);
			free(b);
			return;
		}
}

/* Adds a build awaiting commit; NULL when out of memory or a build with
 * that intent exists (then nothing is added). */
struct build *build_add(struct eng_paychan *pc, enum build_kind k,
			const char *account, uint32_t n, const uint8_t *channel)
{
	struct build *b;
	char key[80];
	char id[HEXID];

	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->pc = pc;
	b->kind = k;
	b->n = n;
	snprintf(b->account, sizeof(b->account), "%s", account);
	if (channel) {
		memcpy(b->channel, channel, CR_CHANNEL_ID_BYTES);
		hexid(id, channel);
	}
	switch (k) {
	case B_CREATE:
		intent_account(key, sizeof(key), account);
		snprintf(b->intent, sizeof(b->intent), "create:%s:%" PRIu32,
			 key, n);
		break;
	case B_FUND:
		snprintf(b->intent, sizeof(b->intent), "fund:%s:%" PRIu32, id,
			 n);
		break;
	case B_CLOSE:
		snprintf(b->intent, sizeof(b->intent), "close:%s:%" PRIu32, id,
			 n);
		break;
	case B_REDEEM:
		snprintf(b->intent, sizeof(b->intent), "redeem:%s:%" PRIu32, id,
			 n);
		break;
	case B_DCLOSE:
		snprintf(b->intent, sizeof(b->intent), "dclose:%s:%" PRIu32, id,
			 n);
		break;
	}
	/* Refused when a build with that intent exists (or out of memory). */
	if (xu_map_put(&pc->build_map, b, NULL) != XU_OK) {
		free(b);
		return NULL;
	}
	b->next = pc->builds;
	pc->builds = b;
	pc->builds_unqueued++;
	return b;
}

static enum xu_code build_fn(void *arg, struct xl_tx *tx,
			     const struct xl_tx_common *c, struct xu_err *err)
{
	struct build *b = arg;
	struct cr_pubkey pk;

	switch (b->kind) {
	case B_CREATE:
		return xl_tx_paychan_create(tx, c, &b->dest, b->amount,
					    b->settle_delay, &b->pc->kp->pub,
					    NULL, NULL, err);
	case B_FUND:
		return xl_tx_paychan_fund(tx, c, b->channel, b->amount, NULL,
					  err);
	case B_CLOSE:
	case B_DCLOSE:
		return xl_tx_paychan_claim(tx, c, b->channel, NULL, NULL, NULL,
					   0, NULL, XL_TF_CLOSE, err);
	case B_REDEEM:
		memcpy(pk.b, b->pubkey, CR_PUBKEY_BYTES);
		return xl_tx_paychan_claim(tx, c, b->channel, &b->amount,
					   &b->amount, b->sig, b->siglen, &pk,
					   b->close ? XL_TF_CLOSE : 0, err);
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad build kind");
}

static struct xl_submit *submitq(struct eng_paychan *pc)
{
	struct xl_rippled *r = pc->rippled;

	return r ? xl_rippled_submit(r) : NULL;
}

/* The first build of a committed transaction not yet given to the queue,
 * or NULL.  The walk ends at the last build not queued (new builds go to
 * the head; the queued ones behind wait for their outcomes). */
static struct build *build_next_unqueued(struct eng_paychan *pc)
{
	size_t left = pc->builds_unqueued;

	for (struct build *b = pc->builds; b && left; b = b->next) {
		if (b->queued)
			continue;
		if (b->committed)
			return b;
		left--;
	}
	return NULL;
}

/* Hands every build awaiting commit to the queue.
 *
 * The queue delivers the outcome of an intent whose journal row is final
 * already (FAILED) from inside xl_submit_enqueue: eng_paychan_outcome
 * then frees that build and runs a transaction of its own, whose commit
 * flushes again (queueing, and maybe freeing, other builds) and whose
 * rollback drops the builds awaiting commit.  So the builds of the
 * committed transaction are marked first (no such rollback drops them),
 * no pointer into the list is kept across xl_submit_enqueue (the scan
 * starts again after each call), and `queued`, set before the call,
 * hands each intent to the queue once.  pc->builds_unqueued counts the
 * builds not queued, so a commit that built nothing walks nothing, and
 * the walks end at the last new build. */
void builds_flush(struct eng_paychan *pc)
{
	struct xl_submit *q;
	struct build *b;
	struct xu_err err;
	size_t left = pc->builds_unqueued;

	if (!left)
		return;
	q = submitq(pc);
	for (b = pc->builds; b && left; b = b->next)
		if (!b->queued) {
			b->committed = true;
			left--;
		}
	while ((b = build_next_unqueued(pc)) != NULL) {
		char intent[XL_INTENT_MAX];
		char account[ENG_STORE_ACCOUNT_MAX + 1];
		enum xu_code rc;
		bool redeem = b->kind == B_REDEEM;

		if (!q) {
			xu_broken(SUB, "no submission queue for %s", b->intent);
			build_unlink(pc, b);
			continue;
		}
		b->queued = true;
		pc->builds_unqueued--;
		snprintf(intent, sizeof(intent), "%s", b->intent);
		snprintf(account, sizeof(account), "%s", b->account);
		/* Deadline redeems share the priority lane per peer. */
		rc = xl_submit_enqueue_as(
		    q, intent,
		    (b->priority ? XL_SUBMIT_PRIORITY : 0u) |
			(b->deadline ? XL_SUBMIT_DEADLINE : 0u),
		    account, build_fn, b, &err);
		/* b may be gone: its outcome may have come already. */
		if (rc == XU_OK) {
			pc->stats.txs_submitted++;
			pc->stats.redeems_submitted += redeem;
			xu_info(SUB, "%s: queued %s", account, intent);
			continue;
		}
		if (rc != XU_EEXIST)
			xu_broken(SUB, "%s: cannot queue %s: %s", account,
				  intent, err.msg);
		b = build_find(pc, intent);
		if (b && b->queued)
			build_unlink(pc, b);
	}
}

/* Drops builds that never reached the queue (their transaction rolled
 * back); those of a committed transaction stay for builds_flush. */
void builds_drop_unqueued(struct eng_paychan *pc)
{
	struct build *b, *next;
	size_t left = pc->builds_unqueued;

	for (b = pc->builds; b && left; b = next) {
		next = b->next;
		if (b->queued)
			continue;
		left--;
		if (!b->committed)
			build_unlink(pc, b);
	}
}

bool redeem_deadline(const struct eng_paychan *pc, const struct pc_in *ch)
{
	const struct pc_view *v = &ch->view;
	uint64_t end, by;

	if (!ch->has_view || (!v->has_expiration && !v->has_cancel_after))
		return false;
	end = v->has_expiration ? v->expiration : UINT32_MAX;
	if (v->has_cancel_after && v->cancel_after < end)
		end = v->cancel_after;
	/* The same window in which the redeem goes whatever its fee
	 * (PC_DEADLINE_MARGINS close margins): a fee spike must not push it
	 * into the last margin, where a lost attempt or two leave no time
	 * (simulation seed 7356). */
	by = (uint64_t)pc->ledger_time +
	     (uint64_t)PC_DEADLINE_MARGINS *
		 pc_close_margin(&pc->cfg.pc, v->settle_delay);
	return by >= end;
}

/* ---- transaction outcomes ---------------------------------------------*/

/* The PayChannel node of the metadata: the created one (id unknown:
 * matched by want_created) or the modified/deleted one with id. */
static json_t *meta_channel(json_t *meta, const uint8_t *id, const char **how)
{
	json_t *nodes = meta ? json_object_get(meta, "AffectedNodes") : NULL;
	size_t i;
	json_t *n;
	char hex[HEXID];

	if (id)
		hexid(hex, id);
	json_array_foreach(nodes, i, n)
	{
		const char *kinds[] = {"CreatedNode", "ModifiedNode",
				       "DeletedNode"};
		for (size_t k = 0; k < 3; k++) {
			json_t *x = json_object_get(n, kinds[k]);
			const char *t =
			    x ? xl_json_str(x, "LedgerEntryType") : NULL;
			const char *li =
			    x ? xl_json_str(x, "LedgerIndex") : NULL;

			if (!t || strcmp(t, "PayChannel") || !li)
				continue;
			if (id ? strcasecmp(li, hex) != 0 : k != 0)
				continue;
			*how = kinds[k];
			return x;
		}
	}
	return NULL;
}

/* A drops field of the FinalFields of channel id in the metadata of one
 * of our transactions.  False when the channel or the field is missing;
 * *deleted tells a DeletedNode (the transaction closed it). */
static bool meta_final_drops(json_t *meta, const uint8_t *id, const char *field,
			     struct xl_drops *out, bool *deleted)
{
	const char *how = NULL;
	json_t *x = meta_channel(meta, id, &how);
	json_t *ff = x ? json_object_get(x, "FinalFields") : NULL;
	uint64_t v;

	*deleted = x && !strcmp(how, "DeletedNode");
	return ff && xl_json_u64(ff, field, &v) && xl_drops_from_u64(out, v);
}

/* Counts and logs one of our transactions that did not succeed. */
static void tx_failed(struct eng_paychan *pc, const struct xl_outcome *o)
{
	pc->stats.tx_failures++;
	xu_unusual(SUB, "%s: %s (%s)", o->intent, xl_outcome_kind_name(o->kind),
		   o->result ? o->result : "?");
}

static void outcome_out(struct eng_paychan *pc, struct build *b,
			const struct xl_outcome *o)
{
	struct eng_chan_out rec;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have, ok = o->kind == XL_OUT_SUCCESS, look = false;
	const char *how = NULL;
	enum xu_code rc;

	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "%s: %s", o->intent, err.msg);
		return;
	}
	rc = eng_chan_out_get(pc->st, b->account, &rec, &have, &err);
	if (rc != XU_OK || !have)
		goto done;
	/* A fund or close of a channel the record no longer names changes
	 * nothing: its Amount is not the new channel's, its flags are not
	 * the new channel's (docs/risks.md
	 * #fund-outcome-applied-to-the-next-channel). */
	if (b->kind != B_CREATE &&
	    (!rec.ch.has_id ||
	     memcmp(b->channel, rec.ch.id, CR_CHANNEL_ID_BYTES) != 0)) {
		char now[HEXID] = "none";

		if (rec.ch.has_id)
			hexid(now, rec.ch.id);
		xu_unusual(SUB,
			   "%s: %s: the record is on channel %s now: "
			   "ignored",
			   b->account, o->intent, now);
		goto done;
	}
	memset(&ev, 0, sizeof(ev));
	ev.clk = clock_now(pc);
	ev.u.result.ok = ok;
	ev.u.result.ledger = ok ? o->ledger_index : 0;
	/* A tec took the fee: the core waits longer before the next try
	 * (docs/risks.md#a-transaction-that-fails-for-ever). */
	ev.u.result.charged = o->kind == XL_OUT_TEC;
	switch (b->kind) {
	case B_CREATE: {
		json_t *x = ok ? meta_channel(o->meta, NULL, &how) : NULL;
		json_t *nf = x ? json_object_get(x, "NewFields") : NULL;
		const char *li = x ? xl_json_str(x, "LedgerIndex") : NULL;
		uint8_t want[CR_CHANNEL_ID_BYTES];
		uint64_t amount = 0;

		if (rec.ch.state != PC_OUT_OPENING || b->n != rec.create_n)
			goto done; /* stale */
		ev.kind = PC_EV_CREATE_RESULT;
		if (ok) {
			cr_channel_id(want, &pc->self, &rec.ch.peer,
				      o->sequence);
			if (!li ||
			    xu_hex_decode_exact(ev.u.result.channel,
						CR_CHANNEL_ID_BYTES, li,
						NULL) != XU_OK ||
			    memcmp(want, ev.u.result.channel, sizeof(want)) !=
				0 ||
			    !nf || !xl_json_u64(nf, "Amount", &amount) ||
			    !xl_drops_from_u64(&ev.u.result.amount, amount)) {
				xu_broken(SUB,
					  "%s: created channel does not match "
					  "the metadata (sequence %u)",
					  o->intent, (unsigned)o->sequence);
				/* The channel exists: use the computed id
				 * and let the ledger poll fix the amount. */
				memcpy(ev.u.result.channel, want, sizeof(want));
				ev.u.result.amount = b->amount;
			}
		}
		break;
	}
	case B_FUND: {
		bool deleted = false;

		if (!rec.ch.fund_inflight || b->n != rec.fund_n)
			goto done;
		ev.kind = PC_EV_FUND_RESULT;
		if (ok && !meta_final_drops(o->meta, b->channel, "Amount",
					    &ev.u.result.amount, &deleted)) {
			xu_unusual(SUB, "%s: no channel Amount in the metadata",
				   o->intent);
			ev.u.result.amount = rec.ch.amount;
		}
		if (deleted) {
			/* A fund meeting an expired channel closes it with
			 * tesSUCCESS and adds nothing: not funded (the
			 * lookup below shows it gone). */
			xu_unusual(SUB,
				   "%s: the channel was deleted, not "
				   "funded (expired?)",
				   o->intent);
			ok = ev.u.result.ok = false;
			look = true;
		}
		break;
	}
	case B_CLOSE:
		if (!rec.ch.close_inflight || b->n != rec.close_n)
			goto done;
		ev.kind = PC_EV_CLOSE_RESULT;
		/* The peer closed it first (as destination): done. */
		ev.u.result.gone =
		    !ok && o->result && !strcmp(o->result, "tecNO_TARGET");
		break;
	case B_REDEEM:
	case B_DCLOSE:
		goto done;
	}
	if (ev.u.result.gone) {
		pc->stats.tx_failures++;
		xu_info(SUB,
			"%s: the channel was already gone (the peer "
			"closed it first)",
			o->intent);
	} else if (!ok) {
		tx_failed(pc, o);
	}
	rc = out_event(pc, &rec, &ev, &err);
	if (rc == XU_OK && (look || (ok && b->kind != B_CLOSE)) &&
	    rec.ch.has_id)
		lookup_want(pc, rec.ch.id, rec.account, false);
done:
	tx_end(pc, rc, &err, o->intent);
}

static void outcome_in(struct eng_paychan *pc, struct build *b,
		       const struct xl_outcome *o)
{
	struct eng_chan_in rec;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have, ok = o->kind == XL_OUT_SUCCESS, deleted = false;
	enum xu_code rc;

	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "%s: %s", o->intent, err.msg);
		return;
	}
	rc = eng_chan_in_get(pc->st, b->channel, &rec, &have, &err);
	if (rc != XU_OK || !have || !rec.ch.redeem_inflight ||
	    b->n != rec.redeem_n)
		goto done;
	if (ok) {
		struct xl_drops bal;
		bool found = meta_final_drops(o->meta, b->channel, "Balance",
					      &bal, &deleted);

		/* The final Balance must show the claim, also when the channel
		 * was deleted: a DeletedNode's FinalFields hold the channel
		 * as the transaction left it, the claim's Balance after our
		 * tfClose redeem, the old one when the redeem met an expired
		 * channel (closed with tesSUCCESS, nothing paid). */
		if (!found || xl_drops_cmp(bal, rec.ch.redeem_amount) < 0) {
			ok = false;
			xu_unusual(
			    SUB,
			    "%s: the channel%s shows Balance %llu, below "
			    "the %llu claimed: not redeemed",
			    o->intent, deleted ? " (deleted, expired?)" : "",
			    found ? u(bal) : 0ULL, u(rec.ch.redeem_amount));
		} else {
			/* What landed: after a restart the intent may carry
			 * a better claim than the record's (requeue in
			 * tick.c rebuilds it from the best claim held). */
			rec.ch.redeem_amount = bal;
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_REDEEM_RESULT;
	ev.clk = clock_now(pc);
	ev.u.result.ok = ok;
	ev.u.result.ledger = ok ? o->ledger_index : 0;
	if (!ok) {
		tx_failed(pc, o);
	} else {
		xu_logf(XU_LOG_INFO, SUB,
			&(struct xu_log_fields){
			    .account = rec.account,
			    .channel = rec.ch.id,
			    .drops = u(rec.ch.redeem_amount),
			    .has_drops = true,
			},
			"%s: redeemed %llu drops", rec.account,
			u(rec.ch.redeem_amount));
	}
	rc = in_event(pc, &rec, &ev, NULL, &err);
	/* Our validated redeem deleted the channel (tfClose as destination):
	 * the record closes now, not at the next lookup, which a server
	 * whose validated ledger lags may answer with the channel still
	 * there; a close as destination decided meanwhile (the peer's
	 * close_request) would fail with tecNO_TARGET. */
	if (rc == XU_OK && ok && deleted) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_GONE;
		ev.clk = clock_now(pc);
		ev.u.gone_ledger = o->ledger_index;
		rc = in_event(pc, &rec, &ev, NULL, &err);
	}
	if (rc == XU_OK)
		lookup_want(pc, rec.ch.id, rec.account, true);
	/* The account was deleted while this redeem, without tfClose, was in
	 * flight: with nothing better to redeem, nothing else would close
	 * the channel (docs/risks.md#deleted-accounts-channel-left-open). */
	if (rc == XU_OK && ok && !rec.redeem_close && rec.ch.deleting)
		rc = maybe_dclose(pc, &rec, &err);
done:
	tx_end(pc, rc, &err, o->intent);
}

void eng_paychan_outcome(struct eng_paychan *pc, const struct xl_outcome *o)
{
	enum build_kind kind;
	struct build *b;

	if (!pc)
		return;
	b = build_find(pc, o->intent);
	if (!b) {
		xu_debug(SUB, "outcome of %s: not ours or already handled",
			 o->intent);
		return;
	}
	xu_logf(XU_LOG_INFO, SUB,
		&(struct xu_log_fields){.account = b->account},
		"%s: %s %s (ledger %u)", b->account, o->intent,
		o->result ? o->result : xl_outcome_kind_name(o->kind),
		(unsigned)o->ledger_index);
	if (eng_store_in_tx(pc->st)) {
		xu_broken(SUB,
			  "outcome of %s inside a transaction: dropped "
			  "(the record re-queues it)",
			  o->intent);
		build_unlink(pc, b);
		pc->requeued = false;
		return;
	}
	if (b->kind == B_REDEEM && o->kind == XL_OUT_SUCCESS)
		pc->stats.redeems_succeeded++;
	else if (b->kind == B_REDEEM)
		pc->stats.redeems_failed++;
	if (b->kind == B_DCLOSE)
		lookup_want(pc, b->channel, b->account, true); /* gone? */
	else if (b->kind == B_REDEEM)
		outcome_in(pc, b, o);
	else
		outcome_out(pc, b, o);
	kind = b->kind;
	build_unlink(pc, b);
	if (kind == B_DCLOSE)
		lookups_flush(pc);
}
