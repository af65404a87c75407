/* clang-format off */
/* The channel core's shared parts: the state diagrams and their edge
 * tables, the checked pc_*_set_state, configuration defaults and names.
 * The machines themselves are in outgoing.c and incoming.c, the policies
 * in policy.c, the effect helpers in effects.c, the peer messages in
 * msg.c.
 *
 * OUTGOING (we pay the peer; one channel per peer account at a time)
 *
 *   +------+  settle / timer, owed > 0, reserve ok: SUBMIT_CREATE
 *   | NONE | -------------------------------------------+
 *   +------+ <---- CREATE_RESULT(fail): ALERT, retry ---+ |
 *      |                                               | v
 *      | CLOSE (deleted before                     +---------+
 *      | anything was opened)                      | OPENING |
 *      |                                           +---------+
 *      |          CREATE_RESULT(ok): NOTICE,        |       |
 *      |          SIGN_AND_SEND_CLAIM               |       | CREATE_RESULT(ok)
 *      |                                            v       | while deleting:
 *      |     top-up due, reserve ok:           +------+     | SUBMIT_CLOSE
 *      |     SUBMIT_FUND                       | OPEN |     |
 *      |   +---------------------------------- +------+     |
 *      |   |    FUND_RESULT: NOTICE,             ^  |       |
 *      |   v    SIGN_AND_SEND_CLAIM              |  |       |
 *      | +---------+ ----------------------------+  |       |
 *      | | FUNDING |                                | CLOSE, or an
 *      | +---------+ -----------------------+       | Expiration seen
 *      |     CLOSE, or an Expiration seen   v       v       v
 *      |                                 +-----------------------+
 *      |                                 |        CLOSING        |
 *      |                                 +-----------------------+
 *      |                                   |  SUBMIT_CLOSE again once
 *      |                                   |  the Expiration has passed
 *      v    GONE (from OPEN, FUNDING       v
 *   +--------+  or CLOSING)
 *   | CLOSED | <------------------------------------------------------
 *   +--------+  <-- OPENING: CREATE_RESULT(fail) while deleting
 *      |  settle / timer / REOPEN with owed > 0 and not deleting:
 *      |  SUBMIT_CREATE
 *      +--> OPENING (a new channel, once the old one is gone)
 *
 *   Settlement adds to `owed`; in OPEN and FUNDING as much as fits under
 *   the validated Amount moves to `signed_total` and one
 *   SIGN_AND_SEND_CLAIM(channel, signed_total) goes out.  A CLAIM_NACK from
 *   the peer gives RESEND_CLAIM(channel, signed_total), except while
 *   recovering (the LAST_CLAIM answer resends it then).  One funding
 *   transaction at a time (fund_inflight), a reserve check before every
 *   create and fund, and `retry_at` spacing out retries of failed ones.
 *
 *   CLOSE (deletion) from OPEN/FUNDING: CLOSING, SEND_CLOSE_REQUEST, and no
 *   owner close for close_wait_s: the peer redeems and closes as
 *   destination (docs/risks.md#our-owner-close-before-the-peer-redeems).
 *   Owner closes go out only on a LEDGER view (a fresh lookup: the channel
 *   is still there), after the wait, and not while an Expiration is set
 *   and not yet passed.  A CLOSE_RESULT with `gone` (tecNO_TARGET: the
 *   peer closed it first) is CLOSED, no alert.
 *
 *   REOPEN (the account created again after a CLOSE) clears `deleting`;
 *   on a record not deleting it does nothing.  No edge of its own:
 *   OPENING stays OPENING and the create lands as OPEN (nothing was
 *   announced to the peer yet); CLOSING stays CLOSING and the old channel
 *   is closed as above, never signed on again (the peer was asked to
 *   close it and refuses claims on it); once GONE, CLOSED opens a new
 *   channel for what is owed.  From CLOSED with owed > 0: SUBMIT_CREATE
 *   at once.  A new channel starts with no fund or close in flight: late
 *   results about the old one are stale
 *   (docs/risks.md#delete-then-recreate-pays-nothing).
 *
 *   Recovery (channel.h): after pc_out_restart, a
 *   PEER_BEST above signed_total or a LEDGER Balance above it, the channel
 *   is `recovering` (ASK_LAST_CLAIM; no claim signed or resent, no
 *   top-up) until LAST_CLAIM: verified with our key, at most Amount; when
 *   above signed_total, ADOPT_CLAIM and owed reduced by what it paid of
 *   recover_owed; then what waits is signed.
 *
 * INCOMING (the peer pays us; one record per channel id)
 *
 *   +------+  LEDGER view: source = peer, dest = us   +------+
 *   | NONE | ---------------------------------------> | OPEN | <-+
 *   +------+                                          +------+   |
 *      |  \  view already closing                        |       | LEDGER:
 *      |   \-----------------------------+               |       | Expiration
 *      |                                 v               |       | cleared
 *      |                            +---------+ <--------+       | (tfRenew)
 *      |                            | CLOSING |  LEDGER: Expiration or
 *      |                            +---------+  CancelAfter set; CLOSE
 *      |  GONE / CLOSE                   |       (deletion): SUBMIT_REDEEM
 *      v                                 v       at once, ALERT
 *   +--------+ <-------------------------+-- GONE (from OPEN too); ALERT
 *   | CLOSED |                                 LOST_UNREDEEMED when a better
 *   +--------+                                 claim was never redeemed
 *
 *   CLAIM, checked in this order (first failure wins, nothing changes):
 *   NO_CHANNEL, WRONG_CHANNEL, NOT_OURS, CANCEL_AFTER, CLOSING (unless the
 *   Expiration is more than the margin away), SETTLE_DELAY (below the
 *   minimum, above the maximum, or ledger time + SettleDelay too close to
 *   2^32), BAD_SIGNATURE (against the ledger's PublicKey), ABOVE_CAPACITY,
 *   NOT_INCREASING.
 *   Accepted: PERSIST_CLAIM then CREDIT(increase, "claim-<id>-<amount>"),
 *   plus SUBMIT_REDEEM when closing.  TIMER runs the redeem policy.
 *
 * What the daemon does with each effect (in order, after committing the
 * new struct and the effects in ONE store transaction):
 *   SUBMIT_CREATE   PaymentChannelCreate{Amount, Destination = peer,
 *                   SettleDelay, PublicKey = our channel key}; report
 *                   CREATE_RESULT with the channel id from the metadata.
 *   SUBMIT_FUND     PaymentChannelFund{Channel, Amount}; FUND_RESULT.
 *   SUBMIT_CLOSE    PaymentChannelClaim{Channel, Flags = tfClose} from us as
 *                   owner; CLOSE_RESULT.
 *   SIGN_AND_SEND_CLAIM  sign (channel, amount), store the signature as the
 *                   latest outgoing claim, then send a "claim" message.
 *   RESEND_CLAIM    send the stored latest claim again.
 *   SEND_CHANNEL_NOTICE / SEND_CLOSE_REQUEST  the matching peer message.
 *   PERSIST_CLAIM   already durable once the transaction commits.
 *   CREDIT          outbox row: POST the connector's credit with the key,
 *                   retried with backoff until a 2xx.
 *   SUBMIT_REDEEM   PaymentChannelClaim{Channel, Balance = Amount =
 *                   amount, Signature, PublicKey, tfClose if close} from us
 *                   as destination; REDEEM_RESULT, ok only when the
 *                   metadata shows the channel's Balance at amount.
 *   ALERT           log at unusual (broken for LOST_UNREDEEMED and
 *                   LEDGER_MISMATCH) and count in the metrics.
 *   ASK_LAST_CLAIM  send "last_claim" (once at a time), feed the answer as
 *                   LAST_CLAIM (amount 0 when the peer cannot answer).
 *   ADOPT_CLAIM     store (amount, sig) as the last signed claim, with the
 *                   record; log the recovered drops at unusual.
 */
/* clang-format on */
#include "channel/channel.h"

#include <stdio.h>
#include <string.h>

#include "src/util/hex.h"

/* Allowed outgoing edges [old][new]. */
static const bool out_edges[PC_OUT_NSTATES][PC_OUT_NSTATES] = {
    [PC_OUT_NONE] = {[PC_OUT_OPENING] = true, [PC_OUT_CLOSED] = true},
    [PC_OUT_OPENING] = {[PC_OUT_NONE] = true,
			[PC_OUT_OPEN] = true,
			[PC_OUT_CLOSING] = true,
			[PC_OUT_CLOSED] = true},
    [PC_OUT_OPEN] = {[PC_OUT_FUNDING] = true,
		     [PC_OUT_CLOSING] = true,
		     [PC_OUT_CLOSED] = true},
    [PC_OUT_FUNDING] =
	{[PC_OUT_OPEN] = true, [PC_OUT_CLOSING] = true, [PC_OUT_CLOSED] = true},
    [PC_OUT_CLOSING] = {[PC_OUT_CLOSED] = true},
    [PC_OUT_CLOSED] = {[PC_OUT_OPENING] = true},
};

/* Allowed incoming edges [old][new]. */
static const bool in_edges[PC_IN_NSTATES][PC_IN_NSTATES] = {
    [PC_IN_NONE] =
	{[PC_IN_OPEN] = true, [PC_IN_CLOSING] = true, [PC_IN_CLOSED] = true},
    [PC_IN_OPEN] = {[PC_IN_CLOSING] = true, [PC_IN_CLOSED] = true},
    [PC_IN_CLOSING] = {[PC_IN_OPEN] = true, [PC_IN_CLOSED] = true},
    [PC_IN_CLOSED] = {false},
};

bool pc_out_edge_ok(enum pc_out_state old, enum pc_out_state new_state)
{
	if ((unsigned)old >= PC_OUT_NSTATES ||
	    (unsigned)new_state >= PC_OUT_NSTATES)
		return false;
	return out_edges[old][new_state];
}

bool pc_in_edge_ok(enum pc_in_state old, enum pc_in_state new_state)
{
	if ((unsigned)old >= PC_IN_NSTATES ||
	    (unsigned)new_state >= PC_IN_NSTATES)
		return false;
	return in_edges[old][new_state];
}

void pc_out_set_state(struct pc_out *ch, enum pc_out_state old,
		      enum pc_out_state new_state, const char *reason)
{
	XU_ASSERT(ch != NULL && reason != NULL);
	XU_ASSERT(ch->state == old);
	XU_ASSERT(pc_out_edge_ok(old, new_state));
	ch->state = new_state;
	ch->reason = reason;
}

void pc_in_set_state(struct pc_in *ch, enum pc_in_state old,
		     enum pc_in_state new_state, const char *reason)
{
	XU_ASSERT(ch != NULL && reason != NULL);
	XU_ASSERT(ch->state == old);
	XU_ASSERT(pc_in_edge_ok(old, new_state));
	ch->state = new_state;
	ch->reason = reason;
}

void pc_cfg_default(struct pc_cfg *cfg)
{
	XU_ASSERT(cfg != NULL);
	memset(cfg, 0, sizeof(*cfg));
	XU_ASSERT(
	    xl_drops_from_u64(&cfg->channel_amount, 10 * XL_DROPS_PER_XRP));
	XU_ASSERT(xl_drops_from_u64(&cfg->max_channel_amount,
				    1000 * XL_DROPS_PER_XRP));
	cfg->settle_delay = 518400;
	cfg->min_settle_delay = 259200;
	cfg->max_settle_delay = PC_MAX_SETTLE_DELAY_DEFAULT;
	cfg->topup_num = 1;
	cfg->topup_den = 2;
	cfg->close_margin_min_s = 3600;
	cfg->close_margin_pct = 10;
	cfg->redeem_check_s = 300;
	XU_ASSERT(xl_drops_from_u64(&cfg->redeem_abs, 10 * XL_DROPS_PER_XRP));
	cfg->redeem_frac_num = 1;
	cfg->redeem_frac_den = 2;
	cfg->redeem_fee_ppm = 10000;
	cfg->redeem_fee_min_interval_s = 3600;
	cfg->retry_s = 30;
	cfg->close_wait_s = 600;
}

enum xu_code pc_cfg_check(const struct pc_cfg *cfg, bool allow_dangerous,
			  struct xu_err *err)
{
	XU_ASSERT(cfg != NULL);
	if (xl_drops_is_zero(cfg->channel_amount))
		return xu_fail(err, XU_EINVAL, 0,
			       "channel amount must be above 0");
	if (xl_drops_cmp(cfg->max_channel_amount, cfg->channel_amount) < 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "max channel amount below the channel amount");
	if (cfg->topup_den == 0 || cfg->topup_num > cfg->topup_den)
		return xu_fail(err, XU_EINVAL, 0,
			       "top-up fraction must be within 0..1");
	if (cfg->redeem_frac_den == 0 ||
	    cfg->redeem_frac_num > cfg->redeem_frac_den)
		return xu_fail(err, XU_EINVAL, 0,
			       "redeem fraction must be within 0..1");
	if (cfg->close_margin_pct > 100)
		return xu_fail(err, XU_EINVAL, 0,
			       "close margin above 100%% of the settle delay");
	if (cfg->redeem_fee_ppm > 1000000)
		return xu_fail(err, XU_EINVAL, 0,
			       "redeem fee share above 100%%");
	if (cfg->redeem_check_s == 0 || cfg->retry_s == 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "check and retry intervals must be above 0");
	if (cfg->min_settle_delay < 86400 && !allow_dangerous)
		return xu_fail(err, XU_EINVAL, 0,
			       "min settle delay %u s is below the 86400 s "
			       "floor (needs --allow-dangerous)",
			       cfg->min_settle_delay);
	if (cfg->settle_delay < 86400 && !allow_dangerous)
		return xu_fail(err, XU_EINVAL, 0,
			       "settle delay %u s is below the 86400 s floor "
			       "(needs --allow-dangerous)",
			       cfg->settle_delay);
	if (cfg->max_settle_delay < cfg->min_settle_delay)
		return xu_fail(err, XU_EINVAL, 0,
			       "max settle delay %u s is below the min settle "
			       "delay %u s",
			       cfg->max_settle_delay, cfg->min_settle_delay);
	if (cfg->max_settle_delay > PC_SETTLE_DELAY_CEILING)
		return xu_fail(err, XU_EINVAL, 0,
			       "max settle delay %u s is above %u s (3660 "
			       "days): ledger time + settle delay could wrap "
			       "the ledger's 32-bit time",
			       cfg->max_settle_delay, PC_SETTLE_DELAY_CEILING);
	if (cfg->settle_delay > PC_SETTLE_DELAY_CEILING)
		return xu_fail(err, XU_EINVAL, 0,
			       "settle delay %u s is above %u s (3660 days): "
			       "ledger time + settle delay could wrap the "
			       "ledger's 32-bit time",
			       cfg->settle_delay, PC_SETTLE_DELAY_CEILING);
	return XU_OK;
}

void pc_out_init(struct pc_out *ch, const struct cr_account_id *self,
		 const struct cr_account_id *peer)
{
	XU_ASSERT(ch != NULL && self != NULL && peer != NULL);
	memset(ch, 0, sizeof(*ch));
	ch->state = PC_OUT_NONE;
	ch->reason = "new";
	ch->self = *self;
	ch->peer = *peer;
}

bool pc_out_set_peer(struct pc_out *ch, const struct cr_account_id *peer)
{
	XU_ASSERT(ch != NULL && peer != NULL);
	switch (ch->state) {
	case PC_OUT_NONE:
	case PC_OUT_CLOSED:
		ch->peer = *peer;
		return true;
	case PC_OUT_OPENING:
	case PC_OUT_OPEN:
	case PC_OUT_FUNDING:
	case PC_OUT_CLOSING:
		return false;
	}
	return false;
}

void pc_in_init(struct pc_in *ch, const struct cr_account_id *self,
		const struct cr_account_id *peer,
		const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	XU_ASSERT(ch != NULL && self != NULL && peer != NULL && id != NULL);
	memset(ch, 0, sizeof(*ch));
	ch->state = PC_IN_NONE;
	ch->reason = "new";
	ch->self = *self;
	ch->peer = *peer;
	memcpy(ch->id, id, CR_CHANNEL_ID_BYTES);
}

void pc_in_restart(struct pc_in *ch)
{
	XU_ASSERT(ch != NULL);
	ch->retry_at = 0;
	ch->next_check = 0;
	ch->last_redeem = 0;
	ch->reason = "restarted";
}

void pc_credit_key(char out[PC_KEY_STRLEN],
		   const uint8_t channel[CR_CHANNEL_ID_BYTES],
		   struct xl_drops amount)
{
	char hex[2 * CR_CHANNEL_ID_BYTES + 1];
	char num[XL_DROPS_STRLEN + 1];

	xu_hex_encode(hex, sizeof(hex), channel, CR_CHANNEL_ID_BYTES);
	xl_drops_fmt(num, sizeof(num), amount);
	snprintf(out, PC_KEY_STRLEN, "claim-%s-%s", hex, num);
}

const char *pc_out_state_name(enum pc_out_state s)
{
	switch (s) {
	case PC_OUT_NONE:
		return "none";
	case PC_OUT_OPENING:
		return "opening";
	case PC_OUT_OPEN:
		return "open";
	case PC_OUT_FUNDING:
		return "funding";
	case PC_OUT_CLOSING:
		return "closing";
	case PC_OUT_CLOSED:
		return "closed";
	}
	return "?";
}

const char *pc_in_state_name(enum pc_in_state s)
{
	switch (s) {
	case PC_IN_NONE:
		return "none";
	case PC_IN_OPEN:
		return "open";
	case PC_IN_CLOSING:
		return "closing";
	case PC_IN_CLOSED:
		return "closed";
	}
	return "?";
}

static const char *const reject_names[PC_REJ_COUNT] = {
    [PC_REJ_NONE] = "none",
    [PC_REJ_NO_CHANNEL] = "no_channel",
    [PC_REJ_WRONG_CHANNEL] = "wrong_channel",
    [PC_REJ_NOT_OURS] = "not_ours",
    [PC_REJ_CANCEL_AFTER] = "cancel_after",
    [PC_REJ_CLOSING] = "closing",
    [PC_REJ_SETTLE_DELAY] = "settle_delay",
    [PC_REJ_BAD_SIGNATURE] = "bad_signature",
    [PC_REJ_ABOVE_CAPACITY] = "above_capacity",
    [PC_REJ_NOT_INCREASING] = "not_increasing",
};

const char *pc_reject_name(enum pc_reject r)
{
	if ((unsigned)r >= PC_REJ_COUNT)
		return "?";
	return reject_names[r];
}

bool pc_reject_parse(enum pc_reject *r, const char *name)
{
	XU_ASSERT(r != NULL);
	if (name == NULL)
		return false;
	for (unsigned i = 1; i < PC_REJ_COUNT; i++) {
		if (strcmp(name, reject_names[i]) == 0) {
			*r = (enum pc_reject)i;
			return true;
		}
	}
	return false;
}

const char *pc_alert_name(enum pc_alert a)
{
	switch (a) {
	case PC_ALERT_LOW_BALANCE:
		return "low_balance";
	case PC_ALERT_CAP_REACHED:
		return "cap_reached";
	case PC_ALERT_TX_FAILED:
		return "tx_failed";
	case PC_ALERT_PEER_CLOSING:
		return "peer_closing";
	case PC_ALERT_CHANNEL_GONE:
		return "channel_gone";
	case PC_ALERT_LOST_UNREDEEMED:
		return "lost_unredeemed";
	case PC_ALERT_OWED_UNPAYABLE:
		return "owed_unpayable";
	case PC_ALERT_LEDGER_MISMATCH:
		return "ledger_mismatch";
	case PC_ALERT_NO_ACCOUNT_INFO:
		return "no_account_info";
	case PC_ALERT_OWED_AGAIN:
		return "owed_again";
	case PC_ALERT_CREDITS_LOST:
		return "credits_lost";
	}
	return "?";
}

const char *pc_fx_name(enum pc_fx_kind k)
{
	switch (k) {
	case PC_FX_SUBMIT_CREATE:
		return "submit_create";
	case PC_FX_SUBMIT_FUND:
		return "submit_fund";
	case PC_FX_SUBMIT_CLOSE:
		return "submit_close";
	case PC_FX_SIGN_AND_SEND_CLAIM:
		return "sign_and_send_claim";
	case PC_FX_RESEND_CLAIM:
		return "resend_claim";
	case PC_FX_SEND_CHANNEL_NOTICE:
		return "send_channel_notice";
	case PC_FX_SEND_CLOSE_REQUEST:
		return "send_close_request";
	case PC_FX_PERSIST_CLAIM:
		return "persist_claim";
	case PC_FX_CREDIT:
		return "credit";
	case PC_FX_SUBMIT_REDEEM:
		return "submit_redeem";
	case PC_FX_ALERT:
		return "alert";
	case PC_FX_ASK_LAST_CLAIM:
		return "ask_last_claim";
	case PC_FX_ADOPT_CLAIM:
		return "adopt_claim";
	}
	return "?";
}

const char *pc_ev_name(enum pc_ev_kind k)
{
	switch (k) {
	case PC_EV_SETTLE:
		return "settle";
	case PC_EV_ACCOUNT:
		return "account";
	case PC_EV_CREATE_RESULT:
		return "create_result";
	case PC_EV_FUND_RESULT:
		return "fund_result";
	case PC_EV_CLOSE_RESULT:
		return "close_result";
	case PC_EV_CLAIM_NACK:
		return "claim_nack";
	case PC_EV_CLAIM:
		return "claim";
	case PC_EV_REDEEM_RESULT:
		return "redeem_result";
	case PC_EV_LEDGER:
		return "ledger";
	case PC_EV_GONE:
		return "gone";
	case PC_EV_FINAL:
		return "final";
	case PC_EV_MOVED:
		return "moved";
	case PC_EV_FREEZE:
		return "freeze";
	case PC_EV_SHUT:
		return "shut";
	case PC_EV_SHUT_NOW:
		return "shut_now";
	case PC_EV_REDEEM_NOW:
		return "redeem_now";
	case PC_EV_TIMER:
		return "timer";
	case PC_EV_CLOSE:
		return "close";
	case PC_EV_LAST_CLAIM:
		return "last_claim";
	case PC_EV_PEER_BEST:
		return "peer_best";
	case PC_EV_REOPEN:
		return "reopen";
	}
	return "?";
}
