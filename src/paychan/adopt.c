/* Adopting the channels another payer/payee engine left on the ledger
 * (docs/design.md#moving-from-kavas-plugin): the records `xrpse import
 * kava` writes, one incoming and one outgoing channel per account, checked
 * against a validated view of each channel.  No service runs meanwhile:
 * the records are written as a restarted service expects them (no
 * transaction in flight, no timer), and the service's start does the rest
 * (a recovery asks the peer for its last claim on the outgoing channel,
 * the first ticks redeem and top up by the usual policies). */
#include <string.h>

#include "src/paychan/paychan.h"
#include "src/store/chanstore.h"

enum xu_code eng_paychan_adopt_in(struct eng_store *st,
				  const struct pc_cfg *cfg, const char *account,
				  const struct cr_account_id *self,
				  const struct pc_view *v, uint32_t ledger_time,
				  struct xl_drops best, const uint8_t *sig,
				  size_t siglen, struct xu_err *err)
{
	struct eng_chan_in r;
	struct pc_event ev;
	struct pc_effects fx;
	bool have;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(st));
	rc = eng_chan_in_get(st, v->id, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have)
		return xu_fail(err, XU_EEXIST, 0,
			       "exists: the channel already has a record "
			       "(account %s)",
			       r.account);
	if (memcmp(&v->dest, self, sizeof(*self)) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "not_ours: the channel does not pay us");
	/* The ledger paid more than the dump's claim: the old engine took
	 * (and credited) a better one after the dump; adopting this one
	 * would credit the difference again. */
	if (xl_drops_cmp(v->balance, best) > 0)
		return xu_fail(err, XU_ERANGE, 0,
			       "stale: the ledger Balance is above the claim "
			       "(a dump older than the plugin's last claim?)");
	if (siglen > CR_SIG_MAX_BYTES)
		return xu_fail(err, XU_EINVAL, 0,
			       "bad_signature: malformed signature");
	memset(&r, 0, sizeof(r));
	snprintf(r.account, sizeof(r.account), "%s", account);
	pc_in_init(&r.ch, self, &v->source, v->id);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_LEDGER;
	ev.clk.ledger_time = ledger_time;
	ev.u.view = *v;
	rc = pc_in_apply(&r.ch, cfg, &ev, &fx, NULL, err);
	if (rc != XU_OK)
		return rc;
	if (r.ch.state != PC_IN_OPEN && r.ch.state != PC_IN_CLOSING)
		return xu_fail(err, XU_EINVAL, 0,
			       "not_ours: the channel is not the peer's to us");
	/* The old engine's best claim, through the payee's own checks (in
	 * its order).  The CREDIT it yields is the old connector's: dropped.
	 * Zero: the channel is linked with no claim held. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLAIM;
	ev.clk.ledger_time = ledger_time;
	memcpy(ev.u.claim.channel, v->id, CR_CHANNEL_ID_BYTES);
	ev.u.claim.amount = best;
	memcpy(ev.u.claim.sig, sig, siglen);
	ev.u.claim.siglen = siglen;
	if (xl_drops_is_zero(best)) {
		/* No claim, but the same checks a first claim would meet:
		 * a channel we could never be paid on is not adopted. */
		struct pc_in probe = r.ch;

		ev.u.claim.amount = xl_drops_zero();
		probe.best = xl_drops_zero();
		rc = pc_in_apply(&probe, cfg, &ev, &fx, NULL, err);
		if (rc != XU_OK && err && err->detail != PC_REJ_BAD_SIGNATURE)
			return rc;
	} else {
		rc = pc_in_apply(&r.ch, cfg, &ev, &fx, NULL, err);
		if (rc != XU_OK)
			return rc;
	}
	/* A closing channel's claim asks for a redeem at once: no service
	 * runs to submit it; the service's first tick does (the record says
	 * nothing is in flight). */
	r.ch.redeem_inflight = false;
	r.ch.redeem_amount = xl_drops_zero();
	pc_in_restart(&r.ch);
	return eng_chan_in_put(st, &r, err);
}

bool eng_paychan_out_idle(const struct pc_out *ch)
{
	return (ch->state == PC_OUT_NONE || ch->state == PC_OUT_CLOSED) &&
	       !ch->has_ended && !ch->fund_inflight && !ch->close_inflight &&
	       !ch->deleting;
}

enum xu_code
eng_paychan_adopt_out(struct eng_store *st, const struct pc_cfg *cfg,
		      const char *account, const struct cr_account_id *self,
		      const struct pc_view *v, const char *signer,
		      const struct cr_pubkey *key, struct xl_drops spent,
		      const uint8_t *sig, size_t siglen, struct xu_err *err)
{
	struct eng_chan_out o, old;
	bool have, had;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(st));
	rc = eng_chan_out_get(st, account, &old, &had, err);
	if (rc != XU_OK)
		return rc;
	/* A record without a live channel (never opened, or gone and
	 * settled) is replaced; what it carries on goes into the new one. */
	if (had && !eng_paychan_out_idle(&old.ch))
		return xu_fail(err, XU_EEXIST, 0,
			       "exists: the account already has an outgoing "
			       "channel");
	rc = eng_chan_out_by_id(st, v->id, &o, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have)
		return xu_fail(err, XU_EEXIST, 0,
			       "exists: the channel already has a record "
			       "(account %s)",
			       o.account);
	if (memcmp(&v->source, self, sizeof(*self)) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "not_ours: the channel is not ours");
	if (memcmp(v->pubkey, key->b, CR_PUBKEY_BYTES) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "foreign_key: the channel's PublicKey is not "
			       "the key derived for the account");
	if (v->has_expiration || v->has_cancel_after)
		return xu_fail(err, XU_EINVAL, 0,
			       "closing: the channel has an Expiration or a "
			       "CancelAfter");
	if (v->settle_delay < cfg->min_settle_delay ||
	    v->settle_delay > cfg->max_settle_delay)
		return xu_fail(err, XU_EINVAL, 0,
			       "settle_delay: SettleDelay %u s outside our "
			       "rules [%u, %u]",
			       (unsigned)v->settle_delay,
			       (unsigned)cfg->min_settle_delay,
			       (unsigned)cfg->max_settle_delay);
	if (xl_drops_cmp(spent, v->amount) > 0)
		return xu_fail(err, XU_ERANGE, 0,
			       "above_capacity: the last claim is above the "
			       "channel's Amount");
	if (xl_drops_cmp(v->balance, spent) > 0)
		return xu_fail(err, XU_ERANGE, 0,
			       "stale: the ledger Balance is above the last "
			       "claim signed (a dump older than the plugin's "
			       "last claim?)");
	if (!xl_drops_is_zero(spent) &&
	    (siglen > CR_SIG_MAX_BYTES ||
	     !cr_claim_verify(key->b, CR_PUBKEY_BYTES, v->id,
			      xl_drops_u64(spent), sig, siglen)))
		return xu_fail(err, XU_EBADSIG, 0,
			       "bad_signature: the last claim does not verify "
			       "with the channel's key");
	if (strlen(signer) + 1 > sizeof(o.signer))
		return xu_fail(err, XU_EINVAL, 0,
			       "bad_account: account name too long");
	memset(&o, 0, sizeof(o));
	snprintf(o.account, sizeof(o.account), "%s", account);
	snprintf(o.signer, sizeof(o.signer), "%s", signer);
	pc_out_init(&o.ch, self, &v->dest);
	o.ch.state = PC_OUT_OPEN;
	o.ch.reason = "adopted";
	o.ch.has_id = true;
	memcpy(o.ch.id, v->id, CR_CHANNEL_ID_BYTES);
	o.ch.has_key = true;
	memcpy(o.ch.key, key->b, CR_PUBKEY_BYTES);
	o.ch.amount = v->amount;
	o.ch.redeemed = v->balance;
	o.ch.settle_delay = v->settle_delay;
	o.ch.signed_total = spent;
	o.ch.seen_ledger = v->ledger_index;
	o.claim_amount = spent;
	if (!xl_drops_is_zero(spent)) {
		memcpy(o.claim_sig, sig, siglen);
		o.claim_siglen = siglen;
	}
	/* What the peer acknowledged is unknown: its last_claim answer at
	 * the service's start tells (a claim the old engine signed may
	 * never have reached it: those drops are then credited by the next
	 * claim, as they should be). */
	o.peer_best = xl_drops_zero();
	if (had) {
		/* Settlements waiting for a channel, and the counters that
		 * keep our transaction intents unique. */
		o.ch.owed = old.ch.owed;
		o.ch.reowed = old.ch.reowed;
		o.create_n = old.create_n;
		o.fund_n = old.fund_n;
		o.close_n = old.close_n;
	}
	pc_out_restart(&o.ch);
	return eng_chan_out_put(st, &o, err);
}
