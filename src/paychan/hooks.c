/* The hooks the engine and the API call (see paychan.h), inside their
 * batch transaction: an account created (its pairing starts) or deleted
 * (its channels close), a settlement noted and, at the batch's end, paid
 * (one claim per account), and the batch committed or rolled back. */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/store/store.h"
#include "src/util/log.h"

/* Created again after a deletion: the outgoing record stops deleting
 * (PC_EV_REOPEN: a new channel when the old one was asked to close) and
 * the drops owed before and since are fed to it. */
static enum xu_code reopen(struct eng_paychan *pc, const char *account,
			   struct xu_err *err)
{
	struct eng_chan_out o;
	struct pc_event ev;
	bool have;
	enum xu_code rc;

	rc = eng_chan_out_get(pc->st, account, &o, &have, err);
	if (rc != XU_OK || !have || !o.ch.deleting)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_REOPEN;
	ev.clk = clock_now(pc);
	rc = out_event(pc, &o, &ev, err);
	if (rc != XU_OK)
		return rc;
	xu_info(SUB, "%s: created again: payments resume (outgoing %s)",
		account, pc_out_state_name(o.ch.state));
	return feed_owed(pc, account, err);
}

enum xu_code eng_paychan_account_created(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	struct eng_chan_peer p;
	bool have;
	enum xu_code rc;

	if (!pc)
		return XU_OK;
	rc = reopen(pc, account, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_peer_get(pc->st, account, &p, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have && (p.paired || p.hello_next_ms == HELLO_PENDING))
		return XU_OK;
	if (!have) {
		memset(&p, 0, sizeof(p));
		snprintf(p.account, sizeof(p.account), "%s", account);
	}
	/* Not at once: the connector that is creating the account may not
	 * know it yet (it would answer 404); the cron sends it when due. */
	p.hello_next_ms = wall_ms(pc) + (int64_t)pc->cfg.hello_retry_ms;
	return eng_chan_peer_put(pc->st, &p, err);
}

enum xu_code eng_paychan_account_deleted(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	struct eng_chan_out o;
	struct eng_chan_in *v = NULL;
	struct pc_event ev;
	size_t n = 0;
	bool have;
	enum xu_code rc;

	if (!pc)
		return XU_OK;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLOSE;
	ev.clk = clock_now(pc);
	rc = eng_chan_out_get(pc->st, account, &o, &have, err);
	if (rc == XU_OK && have)
		rc = out_event(pc, &o, &ev, err);
	if (rc == XU_OK)
		rc = eng_chan_in_all(pc->st, account, &v, &n, err);
	for (size_t i = 0; rc == XU_OK && i < n; i++)
		if ((rc = in_event(pc, &v[i], &ev, NULL, err)) == XU_OK)
			rc = maybe_dclose(pc, &v[i], err);
	free(v);
	if (rc == XU_OK)
		xu_info(SUB, "%s: closing its channels", account);
	return rc;
}

enum xu_code eng_paychan_close_outgoing(struct eng_paychan *pc,
					const char *account, struct xu_err *err)
{
	struct eng_chan_out o;
	struct pc_event ev;
	bool have;
	enum xu_code rc = eng_chan_out_get(pc->st, account, &o, &have, err);

	if (rc != XU_OK)
		return rc;
	if (!have)
		return xu_fail(err, XU_ENOTFOUND, 0,
			       "%s has no outgoing channel", account);
	if (o.ch.state != PC_OUT_OPEN && o.ch.state != PC_OUT_FUNDING)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the outgoing channel is %s, not open",
			       account, pc_out_state_name(o.ch.state));
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_SHUT;
	ev.clk = clock_now(pc);
	rc = out_event(pc, &o, &ev, err);
	if (rc == XU_OK)
		xu_info(SUB, "%s: the operator closes its outgoing channel",
			account);
	return rc;
}

/* The operator's close of our outgoing channel o. */
static enum xu_code close_out_rec(struct eng_paychan *pc,
				  struct eng_chan_out *o, bool force,
				  struct xu_err *err)
{
	struct pc_event ev;
	enum xu_code rc;

	switch (o->ch.state) {
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
		break;
	case PC_OUT_CLOSING:
		if (!force)
			return xu_fail(err, XU_ECONFLICT, 0,
				       "%s: the outgoing channel is closing "
				       "already (--force closes it as owner "
				       "now)",
				       o->account);
		if (o->ch.close_inflight || o->ch.has_expiration ||
		    o->ch.retry_at <= clock_now(pc).now)
			return xu_fail(err, XU_ECONFLICT, 0,
				       "%s: our owner close of the outgoing "
				       "channel is under way already",
				       o->account);
		break;
	case PC_OUT_NONE:
	case PC_OUT_OPENING:
	case PC_OUT_CLOSED:
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the outgoing channel is %s, not open",
			       o->account, pc_out_state_name(o->ch.state));
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = force ? PC_EV_SHUT_NOW : PC_EV_SHUT;
	ev.clk = clock_now(pc);
	rc = out_event(pc, o, &ev, err);
	if (rc == XU_OK)
		xu_info(SUB, "%s: the operator closes its outgoing channel%s",
			o->account, force ? " as owner, now" : "");
	return rc;
}

/* The operator's close of incoming channel r: what a deletion does. */
static enum xu_code close_in_rec(struct eng_paychan *pc, struct eng_chan_in *r,
				 struct xu_err *err)
{
	struct pc_event ev;
	enum xu_code rc;

	if (r->ch.state != PC_IN_OPEN && r->ch.state != PC_IN_CLOSING)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the incoming channel is %s", r->account,
			       r->ch.state == PC_IN_NONE
				   ? "not linked (never seen on the ledger)"
				   : "closed");
	if (r->ch.deleting)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the incoming channel is closing already",
			       r->account);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLOSE;
	ev.clk = clock_now(pc);
	rc = in_event(pc, r, &ev, NULL, err);
	if (rc == XU_OK)
		rc = maybe_dclose(pc, r, err);
	if (rc == XU_OK)
		xu_info(SUB, "%s: the operator closes an incoming channel",
			r->account);
	return rc;
}

enum xu_code eng_paychan_close_channel(struct eng_paychan *pc,
				       const uint8_t id[CR_CHANNEL_ID_BYTES],
				       bool force, bool *outgoing,
				       struct xu_err *err)
{
	struct eng_chan_out o;
	struct eng_chan_in r;
	bool have = false;
	enum xu_code rc = eng_chan_out_by_id(pc->st, id, &o, &have, err);

	*outgoing = have;
	if (rc != XU_OK)
		return rc;
	if (have)
		return close_out_rec(pc, &o, force, err);
	rc = eng_chan_in_get(pc->st, id, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	if (!have)
		return xu_fail(err, XU_ENOTFOUND, 0, "no channel of that id");
	return close_in_rec(pc, &r, err);
}

enum xu_code eng_paychan_redeem_channel(struct eng_paychan *pc,
					const uint8_t id[CR_CHANNEL_ID_BYTES],
					struct xu_err *err)
{
	struct eng_chan_in r;
	struct pc_event ev;
	struct xl_drops left;
	bool have = false;
	enum xu_code rc = eng_chan_in_get(pc->st, id, &r, &have, err);
	const struct pc_view *v = &r.ch.view;

	if (rc != XU_OK)
		return rc;
	if (!have)
		return xu_fail(err, XU_ENOTFOUND, 0,
			       "no incoming channel of that id");
	if (r.ch.state != PC_IN_OPEN && r.ch.state != PC_IN_CLOSING)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the incoming channel is %s: nothing to "
			       "redeem",
			       r.account, pc_in_state_name(r.ch.state));
	if (r.ch.redeem_inflight)
		return xu_fail(
		    err, XU_ECONFLICT, 0,
		    "%s: a redeem of %llu drops is in flight", r.account,
		    (unsigned long long)xl_drops_u64(r.ch.redeem_amount));
	if (!r.ch.has_view || !xl_drops_sub(&left, r.ch.best, v->balance) ||
	    xl_drops_is_zero(left))
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: nothing to redeem (best claim %llu drops, "
			       "the ledger's Balance %llu)",
			       r.account,
			       (unsigned long long)xl_drops_u64(r.ch.best),
			       (unsigned long long)xl_drops_u64(v->balance));
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_REDEEM_NOW;
	ev.clk = clock_now(pc);
	rc = in_event(pc, &r, &ev, NULL, err);
	if (rc != XU_OK)
		return rc;
	if (!r.ch.redeem_inflight) /* the machine saw it expired */
		return xu_fail(err, XU_ECONFLICT, 0,
			       "%s: the channel has expired: no redeem can "
			       "land",
			       r.account);
	xu_info(SUB, "%s: the operator redeems %llu drops", r.account,
		(unsigned long long)xl_drops_u64(r.ch.best));
	return XU_OK;
}

enum xu_code eng_paychan_settled(struct eng_paychan *pc, const char *account,
				 struct xu_err *err)
{
	if (!pc)
		return XU_OK;
	lat_settled(pc, account);
	for (size_t i = 0; i < pc->ndirty; i++)
		if (!strcmp(pc->dirty[i], account))
			return XU_OK;
	if (pc->ndirty == pc->capdirty) {
		size_t nc = pc->capdirty ? pc->capdirty * 2 : 16;
		void *nv = realloc(pc->dirty, nc * sizeof(*pc->dirty));

		if (!nv)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		pc->dirty = nv;
		pc->capdirty = nc;
	}
	snprintf(pc->dirty[pc->ndirty++], sizeof(pc->dirty[0]), "%s", account);
	return XU_OK;
}

enum xu_code eng_paychan_batch_end(struct eng_paychan *pc, struct xu_err *err)
{
	enum xu_code rc = XU_OK;

	if (!pc)
		return XU_OK;
	for (size_t i = 0; rc == XU_OK && i < pc->ndirty; i++)
		rc = feed_owed(pc, pc->dirty[i], err);
	pc->ndirty = 0;
	return rc;
}

void eng_paychan_batch_done(struct eng_paychan *pc, bool committed)
{
	struct xu_err err = {0};
	enum xu_code rc;

	if (!pc)
		return;
	lat_batch_done(pc, committed);
	if (!committed) {
		builds_drop_unqueued(pc);
		pc->enqueued = false;
		pc->ndirty = 0;
		dlv_tx_ended(pc, false);
		return;
	}
	if (pc->ndirty && !eng_store_in_tx(pc->st)) {
		/* The engine did not call eng_paychan_batch_end: pay in a
		 * transaction of our own. */
		rc = tx_begin(pc, &err);
		if (rc == XU_OK)
			rc = eng_paychan_batch_end(pc, &err);
		else
			pc->ndirty = 0;
		tx_end(pc, rc, &err, "paying settlements");
		return;
	}
	after_commit(pc);
}
