/* The payment-channel core: two state machines per peer account, one for
 * the channel we pay through (outgoing) and one per channel the peer pays
 * us through (incoming), plus the policies that drive them.
 *
 * Pure, in the Core Lightning full_channel.c sense: the daemon feeds an
 * event (a settlement request, a claim from the peer, a validated ledger
 * view of the channel, the result of one of its own transactions, a timer
 * tick, an account deletion or re-creation) together with the clock, and
 * gets back the new state in the struct it passed plus a list of effects
 * to carry out, in order.  Nothing here does I/O, reads a clock, draws
 * randomness or allocates; signatures are checked with crypto/claim.h
 * (pure).
 *
 * The two rules that keep money safe:
 *  - events the daemon reports about its own doings (transaction results)
 *    in a state where they cannot happen are programmer errors and abort
 *    (XU_ASSERT), as does any state transition not in the tables of
 *    channel.c;
 *  - outside input (peer claims, ledger data, settlement amounts) never
 *    aborts: it is rejected with a code and a reason, and changes nothing.
 *
 * The state diagrams and the daemon's duties for each effect are at the
 * top of channel/channel.c.
 */
#ifndef XRPSE_CHANNEL_CHANNEL_H
#define XRPSE_CHANNEL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/base58.h"
#include "crypto/claim.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/amount.h"
#include "src/util/err.h"

/* Outgoing channel states.  Persisted in the store: don't renumber. */
enum pc_out_state {
	PC_OUT_NONE = 0,    /* no channel yet */
	PC_OUT_OPENING = 1, /* PaymentChannelCreate submitted */
	PC_OUT_OPEN = 2,    /* on the ledger; claims are signed */
	PC_OUT_FUNDING = 3, /* open, one PaymentChannelFund in flight */
	PC_OUT_CLOSING = 4, /* close requested (Expiration set or coming) */
	PC_OUT_CLOSED = 5,  /* gone from the ledger */
};
#define PC_OUT_NSTATES 6

/* Incoming channel states.  Persisted in the store: don't renumber. */
enum pc_in_state {
	PC_IN_NONE = 0,	   /* not (yet) linked: unknown or not the peer's */
	PC_IN_OPEN = 1,	   /* linked; claims accepted after the checks */
	PC_IN_CLOSING = 2, /* Expiration/CancelAfter set or account deleted:
			      redeem at once */
	PC_IN_CLOSED = 3,  /* gone from the ledger */
};
#define PC_IN_NSTATES 4

/* Why a claim was rejected, in the order the checks run
 * (docs/design.md#incoming-channel).  Sent to the peer and logged.
 * Persisted in logs and replies: don't renumber. */
enum pc_reject {
	PC_REJ_NONE = 0,
	PC_REJ_NO_CHANNEL = 1,	   /* not on the validated ledger */
	PC_REJ_WRONG_CHANNEL = 2,  /* not the channel this record tracks */
	PC_REJ_NOT_OURS = 3,	   /* source is not the peer or dest not us */
	PC_REJ_CANCEL_AFTER = 4,   /* channel has a CancelAfter */
	PC_REJ_CLOSING = 5,	   /* close in progress, too little time */
	PC_REJ_SETTLE_DELAY = 6,   /* SettleDelay below our minimum, above
				      our maximum, or wrapping (below) */
	PC_REJ_BAD_SIGNATURE = 7,  /* does not verify with the ledger key */
	PC_REJ_ABOVE_CAPACITY = 8, /* amount above the channel's Amount */
	PC_REJ_NOT_INCREASING = 9, /* not above the best claim held */
};
#define PC_REJ_COUNT 10

/* Operator alerts (effect PC_FX_ALERT).  Don't renumber. */
enum pc_alert {
	PC_ALERT_LOW_BALANCE = 1,  /* reserve check refused a create/fund */
	PC_ALERT_CAP_REACHED = 2,  /* max_channel_amount stops a top-up */
	PC_ALERT_TX_FAILED = 3,	   /* one of our transactions failed */
	PC_ALERT_PEER_CLOSING = 4, /* the peer started closing our income */
	PC_ALERT_CHANNEL_GONE = 5, /* a channel left the ledger */
	PC_ALERT_LOST_UNREDEEMED =
	    6, /* gone or expired holding a better claim */
	PC_ALERT_OWED_UNPAYABLE = 7,  /* settlement while the channel closes */
	PC_ALERT_LEDGER_MISMATCH = 8, /* ledger view contradicts our record */
	PC_ALERT_NO_ACCOUNT_INFO = 9, /* reserve unknown: feed PC_EV_ACCOUNT */
	PC_ALERT_CREDITS_LOST = 10,   /* in: we acknowledged more than our
					 store holds (a restored store): those
					 drops are not credited again */
	PC_ALERT_OWED_AGAIN = 11,     /* out: claims a gone channel never paid
					 are owed again (amount) */
};

/* Recovery of lost outgoing claim state
 * (docs/design.md#recovering-lost-outgoing-claims).  A store restored
 * from a backup holds an older last signed claim than the peer: claims
 * signed from it would be ignored (not above what the peer holds) and the
 * books diverge.  So after every start (pc_out_restart), and whenever the
 * peer or the ledger shows more than signed_total, the outgoing channel is
 * `recovering`: no claim is signed or resent (CLAIM_NACK gives nothing),
 * settlements wait in `owed`, and the daemon asks the peer for the best
 * claim it holds ("last_claim", PC_FX_ASK_LAST_CLAIM).  The answer
 * (PC_EV_LAST_CLAIM) is verified with our own key; a higher one is adopted
 * (PC_FX_ADOPT_CLAIM) and the drops it paid beyond our record first cancel
 * `recover_owed`, the part of owed that was waiting when recovery began
 * (so nothing is paid twice).  Each piece of evidence starts one
 * recovery, kept apart by kind (docs/risks.md#endless-recovery-loop):
 * `ledger_floor`, the highest Balance that started one (our own
 * signatures, redeemed: proof); `word_floor`, the highest claim_reply
 * amount that did (only the peer's word), raised to the channel's Amount
 * once the peer answers lower than it claimed, so its word starts no
 * recovery again until a fund raises the Amount; a claim_reply above the
 * Amount is no claim of ours and starts none.  A recovery that ends with
 * signed_total below the Balance lifts it to the Balance (the ledger
 * proves those claims were ours; owed drops waiting since the start are
 * cancelled against them first, as for an adopted claim), so that the
 * next claim is above what the payee redeemed.  Both floors are zero on
 * a new channel. */

/* rippled sets an owner close's Expiration to parentCloseTime +
 * SettleDelay in 32-bit unsigned arithmetic (PayChanClaim::doApply with
 * tfClose; NetClock::rep is std::uint32_t; PayChanFund's minimum
 * Expiration likewise).  A sum of 2^32 or more wraps into the past: the
 * owner closes, the next transaction touching the channel deletes it with
 * nothing redeemed, and every claim we accepted on it is lost.  So an
 * incoming channel's SettleDelay must be at most max_settle_delay, and
 * ledger close time + SettleDelay (in 64 bits) must stay below
 * 2^32 - PC_WRAP_HEADROOM_S, so that an owner close in the next ten years
 * cannot wrap either.  No settle delay can be configured above
 * PC_SETTLE_DELAY_CEILING: with it, the sum stays below that bound until
 * ledger close time 2^32 - 2 x 3660 days (the year 2116). */
#define PC_WRAP_HEADROOM_S (3660u * 86400u)	 /* ten years of 366 days */
#define PC_SETTLE_DELAY_CEILING (3660u * 86400u) /* 316224000 s */
#define PC_MAX_SETTLE_DELAY_DEFAULT (30u * 86400u)
/* A closing channel's redeem goes whatever its fee once the Expiration
 * (or CancelAfter) is within this many close margins: room for several
 * attempts of a redeem that fails or is lost before the deadline
 * (docs/risks.md#one-drop-redeem-storms). */
#define PC_DEADLINE_MARGINS 4u

/* Configuration; pc_cfg_default() gives the documented defaults. */
struct pc_cfg {
	struct xl_drops channel_amount;	    /* create and top-up: 10 XRP */
	struct xl_drops max_channel_amount; /* top-up cap: 1000 XRP */
	uint32_t settle_delay;		    /* outgoing: 518400 s (6 d) */
	uint32_t min_settle_delay;	    /* incoming floor: 259200 s */
	uint32_t max_settle_delay;	    /* incoming ceiling: 2592000 s */
	uint32_t topup_num, topup_den;	    /* top up below 1/2 remaining */
	uint32_t close_margin_min_s;	    /* 3600 */
	uint32_t close_margin_pct;	    /* 10 (% of the SettleDelay) */
	uint32_t redeem_check_s;	    /* policy check every 300 s */
	struct xl_drops redeem_abs;	    /* redeem at 10 XRP unclaimed */
	uint32_t redeem_frac_num, redeem_frac_den; /* or 1/2 of Amount */
	uint32_t redeem_fee_ppm;		   /* or fee <= 1% (10000) */
	uint32_t redeem_fee_min_interval_s; /* ...and last redeem >= 3600 s */
	uint32_t retry_s; /* wait after a failed/unconfirmed tx: 30 s */
	/* After a close_request, how long the peer has to close our channel
	 * as destination before we close it as owner: 600 s
	 * (docs/risks.md#our-owner-close-before-the-peer-redeems). */
	uint32_t close_wait_s;
};

/* Fills *cfg with the defaults above. */
void pc_cfg_default(struct pc_cfg *cfg);

/* The longest wait pc_tx_backoff_s gives (when retry_s is not longer). */
#define PC_TX_BACKOFF_MAX_S 3600u
/* Returns the seconds before the next create or top-up after `fails`
 * failed in a row (at least 1): retry_s, doubling with each failure, up
 * to PC_TX_BACKOFF_MAX_S (or retry_s when that is longer). */
uint64_t pc_tx_backoff_s(const struct pc_cfg *cfg, uint32_t fails);
/* Checks a configuration (operator input): XU_OK or XU_EINVAL with a
 * message.  min_settle_delay below 86400 needs allow_dangerous;
 * min_settle_delay <= max_settle_delay; neither max_settle_delay nor
 * settle_delay above PC_SETTLE_DELAY_CEILING. */
enum xu_code pc_cfg_check(const struct pc_cfg *cfg, bool allow_dangerous,
			  struct xu_err *err) XU_WARN_UNUSED;

/* The clock, always an input: a monotonic second counter for our own
 * timers and the close time of the last validated ledger (seconds since
 * the Ripple epoch) for everything compared with Expiration.  The
 * monotonic count means nothing in another process: every field kept in
 * it (pc_out retry_at; pc_in retry_at, next_check, last_redeem) must be
 * cleared with pc_out_restart / pc_in_restart before a record loaded in
 * a new process sees an event. */
struct pc_clock {
	uint64_t now;
	uint32_t ledger_time;
};

/* A channel's fields as a validated ledger shows them. */
struct pc_view {
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct cr_account_id source, dest;
	struct xl_drops amount, balance;
	uint32_t settle_delay;
	bool has_expiration, has_cancel_after;
	uint32_t expiration, cancel_after; /* Ripple epoch seconds */
	uint8_t pubkey[CR_PUBKEY_BYTES];
	/* The validated ledger that showed it (0: unknown).  Servers behind
	 * a load balancer lag one another: a view older than the newest one
	 * a record holds is ignored, and so is a GONE older than it. */
	uint32_t ledger_index;
};

/* A claim from the peer. */
struct pc_claim {
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	struct xl_drops amount; /* cumulative */
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	/* PC_EV_CLAIM: the payer's record of the best claim we acknowledged
	 * on the channel (we credited at least that much); zero: unknown. */
	struct xl_drops acked;
};

enum pc_ev_kind {
	PC_EV_SETTLE = 1,	 /* out: the connector asks us to pay */
	PC_EV_ACCOUNT = 2,	 /* out: our balance and reserve */
	PC_EV_CREATE_RESULT = 3, /* out: our PaymentChannelCreate, validated */
	PC_EV_FUND_RESULT = 4,	 /* out: our PaymentChannelFund, validated */
	PC_EV_CLOSE_RESULT = 5,	 /* out: our closing claim, validated */
	PC_EV_CLAIM_NACK = 6,	 /* out: the peer lost or refused our claim */
	PC_EV_CLAIM = 7,	 /* in: a claim from the peer */
	PC_EV_REDEEM_RESULT = 8, /* in: our redeeming claim, validated */
	PC_EV_LEDGER = 9,	 /* both: validated view of the channel */
	PC_EV_GONE = 10,	 /* both: channel absent from a validated
				    ledger at least as new as the newest
				    that showed it (else ignored) */
	PC_EV_TIMER = 11,	 /* both: periodic tick */
	PC_EV_CLOSE = 12,	 /* both: account deletion / operator close */
	PC_EV_LAST_CLAIM = 13,	 /* out: the peer's last_claim_reply */
	PC_EV_PEER_BEST = 14,	 /* out: a claim_reply's best amount */
	PC_EV_REOPEN = 15,	 /* out: the account created again */
	PC_EV_FINAL = 16,	 /* out: what an ended channel paid, from
				    the ledger's history */
	PC_EV_MOVED = 17,	 /* out: the peer's hello names a new
				    address: the live channel closes */
	PC_EV_FREEZE = 18,	 /* in: the payer says the channel left
				    the ledger: no more claims on it */
	PC_EV_SHUT = 19,	 /* out: the operator closes the live
				    channel; the account stays */
	PC_EV_SHUT_NOW = 20,	 /* out: the operator closes it as owner
				    without waiting for the peer (a live
				    channel, or one asked to close whose
				    owner close has not gone out) */
	PC_EV_REDEEM_NOW = 21,	 /* in: the operator redeems the best
				    claim held now, whatever the policy */
};
#define PC_EV_FIRST PC_EV_SETTLE
#define PC_EV_LAST PC_EV_REDEEM_NOW

struct pc_event {
	enum pc_ev_kind kind;
	struct pc_clock clk;
	/* Outgoing events: the best amount the peer acknowledged on the
	 * record's channel (its claim_replies), which it says it credited.
	 * The daemon fills it on every outgoing event; GONE, CLOSE_RESULT
	 * and FINAL use it (docs/design.md#claims-a-gone-channel-never-paid). */
	struct xl_drops acked;
	union {
		struct xl_drops settle; /* PC_EV_SETTLE: drops, > 0 */
		struct {		/* PC_EV_ACCOUNT */
			struct xl_drops balance;
			struct xl_drops reserve;     /* base + inc x owners */
			struct xl_drops reserve_inc; /* one more object */
			struct xl_drops fee;	     /* per transaction */
		} account;
		struct { /* PC_EV_*_RESULT: ok = tesSUCCESS with effect */
			bool ok;
			/* CLOSE_RESULT, !ok: tecNO_TARGET, the channel was
			 * already gone (the peer closed it first) */
			bool gone;
			/* !ok: the ledger took the fee (a tec result);
			 * false when it cost nothing (refused before it
			 * left, expired without being included) */
			bool charged;
			uint8_t channel[CR_CHANNEL_ID_BYTES]; /* create */
			struct xl_drops amount; /* create/fund: new Amount */
			/* ok: the validated ledger that holds it, so it
			 * showed the channel (0: unknown) */
			uint32_t ledger;
		} result;
		struct pc_claim claim; /* PC_EV_CLAIM; PC_EV_PEER_BEST (channel,
					  amount: what the peer holds) */
		struct {	       /* PC_EV_LAST_CLAIM */
			struct pc_claim claim; /* amount 0: none held */
			/* our channel key, to verify the signature with */
			uint8_t pubkey[CR_PUBKEY_BYTES];
		} last;
		struct pc_view view; /* PC_EV_LEDGER */
		struct xl_drops fee; /* PC_EV_TIMER: current fee */
		/* PC_EV_GONE: the validated ledger that lacks the channel
		 * (0: unknown, which proves nothing once a ledger showed
		 * it) */
		uint32_t gone_ledger;
		struct { /* PC_EV_FINAL: from the validated transaction
			    that deleted the channel (its DeletedNode's
			    FinalFields) */
			uint8_t channel[CR_CHANNEL_ID_BYTES];
			struct xl_drops balance; /* what it paid in all */
		} final;
	} u;
};

enum pc_fx_kind {
	PC_FX_SUBMIT_CREATE = 1,       /* out: amount, settle_delay */
	PC_FX_SUBMIT_FUND = 2,	       /* out: channel, amount to add */
	PC_FX_SUBMIT_CLOSE = 3,	       /* out: owner claim with tfClose */
	PC_FX_SIGN_AND_SEND_CLAIM = 4, /* out: channel, cumulative amount */
	PC_FX_RESEND_CLAIM = 5,	       /* out: channel, stored amount */
	PC_FX_SEND_CHANNEL_NOTICE = 6, /* out: channel (opened/funded) */
	PC_FX_SEND_CLOSE_REQUEST = 7,  /* out: channel */
	PC_FX_PERSIST_CLAIM = 8,       /* in: channel, amount, sig */
	PC_FX_CREDIT = 9,	       /* in: amount (increase), key */
	PC_FX_SUBMIT_REDEEM = 10,      /* in: channel, amount, sig, pubkey,
					  close */
	PC_FX_ALERT = 11,	       /* alert (+ channel, amount) */
	PC_FX_ASK_LAST_CLAIM = 12,     /* out: send "last_claim" (channel) */
	PC_FX_ADOPT_CLAIM = 13,	       /* out: channel, amount, sig: store it as
					  the last signed claim */
};

#define PC_MAX_EFFECTS 8
/* "claim-" + 64 hex + "-" + up to 18 digits, with NUL. */
#define PC_KEY_STRLEN 96

struct pc_effect {
	enum pc_fx_kind kind;
	uint8_t channel[CR_CHANNEL_ID_BYTES]; /* zero for SUBMIT_CREATE */
	struct xl_drops amount;
	uint32_t settle_delay;	       /* SUBMIT_CREATE */
	bool close;		       /* SUBMIT_REDEEM: add tfClose */
	enum pc_alert alert;	       /* ALERT */
	struct xl_drops cancelled;     /* ADOPT_CLAIM: owed drops it paid */
	char key[PC_KEY_STRLEN];       /* CREDIT: Idempotency-Key */
	uint8_t sig[CR_SIG_MAX_BYTES]; /* PERSIST_CLAIM, SUBMIT_REDEEM,
					  ADOPT_CLAIM */
	size_t siglen;
	uint8_t pubkey[CR_PUBKEY_BYTES]; /* SUBMIT_REDEEM */
};

/* The caller's effect buffer; n is reset by every apply. */
struct pc_effects {
	size_t n;
	struct pc_effect v[PC_MAX_EFFECTS];
};

/* The channel we pay the peer through.  Persist every field but `reason`
 * (a static string for the log) after every apply, with the effects, in
 * one store transaction; the same holds for struct pc_in. */
struct pc_out {
	enum pc_out_state state;
	const char *reason; /* why the last transition happened (static) */
	struct cr_account_id self, peer;
	bool has_id;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	/* The channel's own key (its PublicKey on the ledger) when it is not
	 * our account key: a channel adopted from another payer engine
	 * (docs/design.md#moving-from-kavas-plugin).  Claims on it are
	 * signed with that key; a view with any other PublicKey closes it.
	 * Cleared when a new channel is created (false: the account key). */
	bool has_key;
	uint8_t key[CR_PUBKEY_BYTES];
	struct xl_drops amount;	  /* validated channel Amount */
	struct xl_drops redeemed; /* validated channel Balance */
	uint32_t settle_delay;
	bool has_expiration;
	uint32_t expiration;
	struct xl_drops signed_total; /* last cumulative claim signed */
	struct xl_drops owed;	      /* requested, not yet signed */
	bool fund_inflight, close_inflight, deleting;
	bool has_account;
	struct xl_drops acct_balance, acct_reserve, acct_reserve_inc, fee;
	uint64_t retry_at; /* clk.now before which a failed tx waits (in
			      CLOSING: before which we do not close as owner) */
	bool recovering;   /* see "Recovery" above */
	struct xl_drops recover_owed; /* owed when recovery began */
	struct xl_drops ledger_floor; /* see "Recovery" above */
	struct xl_drops word_floor;
	/* The newest validated ledger that showed the channel: a LEDGER
	 * view, or one holding our create, fund or close (0: none). */
	uint32_t seen_ledger;
	/* A channel that left the ledger while claims signed on it were
	 * neither acknowledged by the peer nor redeemed (the peer refused
	 * them, or their answers were lost): how much of them it paid is
	 * known only from the transaction that deleted it, and how much the
	 * peer credited only from the peer (its last_claim answer).  Until
	 * both are known (PC_EV_FINAL, PC_EV_LAST_CLAIM), no new channel
	 * opens; then what the ledger did not pay and the peer did not
	 * credit is owed again
	 * (docs/design.md#claims-a-gone-channel-never-paid). */
	bool has_ended;
	uint8_t ended_id[CR_CHANNEL_ID_BYTES];
	struct xl_drops ended_signed; /* the last claim signed on it */
	struct xl_drops ended_paid;   /* known paid: acknowledged/redeemed */
	uint32_t ended_from;	      /* newest ledger that showed it (0: ?) */
	uint32_t ended_to;	      /* a ledger without it (0: unknown) */
	bool ended_has_final;	      /* PC_EV_FINAL came: */
	struct xl_drops ended_final;  /* the Balance it left */
	bool ended_has_held;	      /* the peer's last_claim answer came: */
	struct xl_drops ended_held;   /* the best claim it holds (credited) */
	struct xl_drops reowed;	      /* drops owed again so far, in all */
	/* Our creates and top-ups of this record that failed in a row with
	 * a fee charged (0 after one succeeds): the next waits
	 * pc_tx_backoff_s, so that one that cannot succeed (the peer's
	 * account missing from the ledger: tecNO_DST) does not burn a fee
	 * every retry_s for ever
	 * (docs/risks.md#a-transaction-that-fails-for-ever). */
	uint32_t tx_fails;
};

/* A channel the peer pays us through. */
struct pc_in {
	enum pc_in_state state;
	const char *reason;
	struct cr_account_id self, peer;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	bool has_view;
	/* The newest validated view; view.ledger_index is the newest
	 * validated ledger that showed the channel (a view, or one holding
	 * our redeem). */
	struct pc_view view;
	struct xl_drops best; /* best claim held (persisted) */
	uint8_t best_sig[CR_SIG_MAX_BYTES];
	size_t best_siglen;
	bool redeem_inflight, deleting, expired_alerted;
	/* The payer asked what we hold on the channel because it left the
	 * ledger (its last_claim with "final"): from our answer on, no claim
	 * on it is credited; redeeming goes on as before (the payer's word
	 * never stops us collecting; docs/design.md#claims-a-gone-channel-never-paid). */
	bool frozen;
	struct xl_drops redeem_amount; /* the in-flight or last redeem */
	uint64_t next_check;	       /* next non-urgent policy check */
	uint64_t retry_at;	       /* no redeem before this */
	uint64_t last_redeem;	       /* clk.now of the last landed redeem */
};

/* After loading a record from the store in a new process: clears the
 * timers kept in the old process's monotonic seconds (retry_at,
 * next_check, last_redeem), so the first ticks re-evaluate everything.
 * In-flight flags stay: the transaction journal reports their results.
 * pc_out_restart also starts a recovery (ch->recovering, recover_owed =
 * owed unless one was already running) when the channel is OPEN, FUNDING
 * or CLOSING (claims were signed on it): the store may be a restored
 * backup; the daemon then asks the peer for its last claim. */
void pc_out_restart(struct pc_out *ch);
void pc_in_restart(struct pc_in *ch);

/* Starts a record in state NONE for the account pairing self (our
 * address) with peer (the address from the peer's hello). */
void pc_out_init(struct pc_out *ch, const struct cr_account_id *self,
		 const struct cr_account_id *peer);
/* The peer's hello announced a new address (outside input: anyone on the
 * message route can send one).  When no channel is live (NONE or CLOSED)
 * it is taken for the next channel and true is returned; only `peer`
 * changes: owed drops, recover_owed, `deleting`, the account info and the
 * timers stay (settlements waiting for a channel are still owed).  Else
 * (a channel is opening, open, funding or closing: claims and closes are
 * bound to the old address) false, and nothing changes. */
bool pc_out_set_peer(struct pc_out *ch,
		     const struct cr_account_id *peer) XU_WARN_UNUSED;
/* Starts an incoming record for channel id, in state NONE. */
void pc_in_init(struct pc_in *ch, const struct cr_account_id *self,
		const struct cr_account_id *peer,
		const uint8_t id[CR_CHANNEL_ID_BYTES]);

/* Applies one event to the outgoing channel and fills fx.
 * Returns XU_OK, or a 100s code when the event is outside input that is
 * refused (a settlement that would exceed 10^17 drops: XU_ERANGE); then
 * *ch is unchanged and fx->n is 0.  An event that cannot happen in the
 * current state (an incoming-only event, a result for a transaction that is
 * not in flight) aborts. */
enum xu_code pc_out_apply(struct pc_out *ch, const struct pc_cfg *cfg,
			  const struct pc_event *ev, struct pc_effects *fx,
			  struct xu_err *err) XU_WARN_UNUSED;

/* Applies one event to an incoming channel.  A refused claim returns
 * XU_EINVAL, XU_EBADSIG or XU_ERANGE with err->detail set to its enum
 * pc_reject (also written to *why when why != NULL; PC_REJ_NONE on
 * success); *ch is then unchanged and fx->n is 0.  A claim equal to the
 * best one held, with a valid signature, is accepted again with no
 * effects (messages are idempotent). */
enum xu_code pc_in_apply(struct pc_in *ch, const struct pc_cfg *cfg,
			 const struct pc_event *ev, struct pc_effects *fx,
			 enum pc_reject *why,
			 struct xu_err *err) XU_WARN_UNUSED;

/* State transitions, checked: aborts when ch->state != old or old -> new
 * is not an allowed edge.  Used by the apply functions; exposed for the
 * daemon's recovery code and the tests. */
void pc_out_set_state(struct pc_out *ch, enum pc_out_state old,
		      enum pc_out_state new_state, const char *reason);
void pc_in_set_state(struct pc_in *ch, enum pc_in_state old,
		     enum pc_in_state new_state, const char *reason);
/* True when old -> new is an edge of the diagram. */
bool pc_out_edge_ok(enum pc_out_state old, enum pc_out_state new_state);
bool pc_in_edge_ok(enum pc_in_state old, enum pc_in_state new_state);

/* Redeem policy (pure).  Returns true when the best claim held should be
 * submitted now; *urgent tells whether the close rule fired.  Rules: only
 * when best > ledger Balance; at once when the channel is closing
 * (Expiration, CancelAfter or deletion) and not yet expired, provided the
 * fee is at most redeem_fee_ppm of the unclaimed drops (a zero fee,
 * unknown, waits for the timer) unless we are deleting or the deadline is
 * within twice pc_close_margin(); otherwise at
 * most every redeem_check_s: unclaimed >= redeem_abs, or >= the fraction
 * of Amount, or (fee <= redeem_fee_ppm of unclaimed and the last redeem
 * is at least redeem_fee_min_interval_s old). */
bool pc_redeem_due(const struct pc_in *ch, const struct pc_cfg *cfg,
		   const struct pc_clock *clk, struct xl_drops fee,
		   bool *urgent);

/* pc_redeem_next's "no time": pc_redeem_due is false at every now below
 * it (and UINT64_MAX seconds never come). */
#define PC_REDEEM_NEVER UINT64_MAX

/* When the redeem policy could next say yes if only the clock moves
 * (pure).  Returns the smallest now (clk.now's unit, monotonic seconds)
 * at which pc_redeem_due(ch, cfg, clk, fee) is true for this record and
 * fee, or PC_REDEEM_NEVER when it is false at every now: no claim above
 * the Balance, a redeem in flight, not linked, or, open, no rule can
 * pass (below redeem_abs and the fraction, and the fee above
 * redeem_fee_ppm of the unclaimed drops).  A closing channel (CLOSING,
 * deleting, Expiration or CancelAfter) gives 0: its rule reads the ledger
 * time, not now, so its caller must look again as that moves.
 * From the time returned it stays true at every later now but in one
 * case: only the fee rule passes and next_check is before last_redeem.
 * pc_redeem_due takes a now before last_redeem as long past (its
 * unsigned age wraps), so next_check is returned, though from
 * last_redeem on the rule waits redeem_fee_min_interval_s again: a
 * caller then finds nothing due once (an early look costs only a check)
 * and asks again after maybe_redeem moved next_check.  retry_at is the
 * caller's: maybe_redeem waits for it on top of this. */
uint64_t pc_redeem_next(const struct pc_in *ch, const struct pc_cfg *cfg,
			struct xl_drops fee);

/* True when an owner close at ledger_time (Ripple epoch seconds) could
 * set an Expiration that wraps: ledger_time + settle_delay, summed in 64
 * bits, is at or above 2^32 - PC_WRAP_HEADROOM_S. */
bool pc_settle_delay_wraps(uint32_t ledger_time, uint32_t settle_delay);

/* Seconds before Expiration by which a redeem must have landed:
 * max(close_margin_min_s, close_margin_pct % of settle_delay). */
uint32_t pc_close_margin(const struct pc_cfg *cfg, uint32_t settle_delay);

/* Top-up policy (pure): true when remaining (Amount - signed) is below
 * topup_num/topup_den of channel_amount, or settlements are waiting for
 * capacity; never while recovering.  *add gets the amount to fund
 * (channel_amount, capped by max_channel_amount; false with *capped when
 * nothing can be added). */
bool pc_topup_due(const struct pc_out *ch, const struct pc_cfg *cfg,
		  struct xl_drops *add, bool *capped);

/* Reserve check for a transaction moving `amount` out of our account;
 * new_object adds one owner reserve (create).  False when the account is
 * unknown or would drop below its reserve. */
bool pc_reserve_ok(const struct pc_out *ch, struct xl_drops amount,
		   bool new_object);

/* The Idempotency-Key of a credit: "claim-<CHANNEL HEX>-<drops>".
 * Deterministic, so a retried credit can never count twice. */
void pc_credit_key(char out[PC_KEY_STRLEN],
		   const uint8_t channel[CR_CHANNEL_ID_BYTES],
		   struct xl_drops amount);

/* Names for logs and replies ("open", "bad_signature"...); never NULL. */
const char *pc_out_state_name(enum pc_out_state s);
const char *pc_in_state_name(enum pc_in_state s);
const char *pc_reject_name(enum pc_reject r);
/* Parses a reject name (from a peer reply); false when unknown. */
bool pc_reject_parse(enum pc_reject *r, const char *name) XU_WARN_UNUSED;
const char *pc_alert_name(enum pc_alert a);
const char *pc_fx_name(enum pc_fx_kind k);
const char *pc_ev_name(enum pc_ev_kind k);

#endif /* XRPSE_CHANNEL_CHANNEL_H */
