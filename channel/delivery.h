/* Claim delivery: the per-account state machine that decides when our
 * newest outgoing claim goes to the peer (through the connector's
 * messages), one attempt at a time.
 *
 * Claims are cumulative: the newest carries everything the earlier ones
 * did, so only the newest is ever worth sending.  One machine per account
 * of the payment-channel service (src/paychan/service.h struct acct; fed
 * and carried out in src/paychan/to_peer.c, answers.c and tick.c), whose
 * attempts the outbox carries out (src/outbox/latest.c: eng_outbox_send_now,
 * eng_outbox_retry_now).  The rules:
 *  - a claim made inside an open store transaction is nothing until that
 *    transaction commits (then it is due), and is forgotten when it rolls
 *    back;
 *  - one attempt in flight per account; a newer claim waits for it, and
 *    claims made meanwhile only replace the waiting one (latest wins);
 *  - when the attempt ends (answered, refused or failed) the waiting claim
 *    goes at once;
 *  - when the attempt has been out stall_ms (2 s) with a newer claim
 *    waiting, it is let be ("stalled") and the newer claim goes beside it:
 *    at most two attempts out, never a third;
 *  - a failed attempt of the newest claim is retried after the caller's
 *    backoff, unless a newer claim comes first (then that one goes);
 *  - while the peer has not acknowledged our claim, the channel core is
 *    asked every resend_ms (10 s) whether to send it again (NACK).
 *
 * Pure, like the rest of channel/: no I/O, no clock (every time is a
 * millisecond count the caller puts in the event), no allocation.  Events
 * are the daemon's own doings, so an event that cannot happen in the
 * current state (an answer to an attempt that is not out) aborts.
 *
 * Recovery (channel.h) is not a delivery state: pc_out signs
 * no new claim while recovering, so no MADE comes from settlements then,
 * and a NACK gives no RESEND_CLAIM either (the answer to last_claim
 * resends the stored claim when the peer holds less).
 *
 * The states, as the two attempt slots (diagram and every edge at the top
 * of channel/delivery.c):
 */
/* clang-format off */
/*
 *                      current slot:
 *                      free      newest failed,   one attempt   one out and a
 *                                retry pending    out           newer waiting
 *  nothing stalled     IDLE      RETRY            OUT           OUT_WAITING
 *  one stalled out     STALLED   STALLED_RETRY    BESIDE        BESIDE_WAITING
 */
/* clang-format on */
#ifndef XRPSE_CHANNEL_DELIVERY_H
#define XRPSE_CHANNEL_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/amount.h"

/* Defaults of the service's claim_stall_ms (the only stall setting) and
 * claim_resend_ms (src/paychan/settings.h). */
#define PC_DLV_STALL_MS 2000
#define PC_DLV_RESEND_MS 10000

/* The adaptive stall (pc_dlv_stall_for): an attempt out longer than
 * PC_DLV_STALL_RTTS times the account's usual round trip, and at least
 * PC_DLV_STALL_MIN_MS, is late for this link; stall_ms stays the
 * ceiling. */
#define PC_DLV_STALL_RTTS 2
#define PC_DLV_STALL_MIN_MS 4

/* Delivery states.  In memory only (rebuilt empty after a restart: the
 * record's claim is then sent again by the resend rule). */
enum pc_dlv_state {
	PC_DLV_IDLE = 0,	   /* nothing out, nothing waiting */
	PC_DLV_OUT = 1,		   /* one attempt out, with the newest */
	PC_DLV_OUT_WAITING = 2,	   /* one out, a newer claim waits */
	PC_DLV_BESIDE = 3,	   /* a stalled one out, the newest beside */
	PC_DLV_BESIDE_WAITING = 4, /* two out, a newer waits: no third */
	PC_DLV_STALLED = 5,	   /* only a stalled (older) attempt out */
	PC_DLV_RETRY = 6,	   /* the newest failed; again at retry_at */
	PC_DLV_STALLED_RETRY = 7,  /* RETRY with a stalled one still out */
};
#define PC_DLV_NSTATES 8

enum pc_dlv_ev_kind {
	PC_DLV_EV_MADE = 1,	   /* a claim recorded in the open store
				      transaction (amount) */
	PC_DLV_EV_COMMITTED = 2,   /* that transaction committed (now_ms) */
	PC_DLV_EV_ROLLED_BACK = 3, /* that transaction rolled back */
	PC_DLV_EV_SENT = 4,	   /* attempt seq left for the connector
				      (now_ms): its stall clock starts */
	PC_DLV_EV_ANSWERED = 5,	   /* attempt seq got a 2xx, whatever the
				      body says (now_ms) */
	PC_DLV_EV_REFUSED = 6,	   /* attempt seq refused (a 4xx but 409),
				      or it could not be made: not retried
				      (now_ms) */
	PC_DLV_EV_FAILED = 7,	   /* attempt seq failed, to be retried (no
				      answer, 5xx, 409): now_ms, retry_ms */
	PC_DLV_EV_TIMER = 8,	   /* the clock (now_ms), and whether the
				      peer holds less than our claim
				      (unacked) */
};
#define PC_DLV_EV_FIRST PC_DLV_EV_MADE
#define PC_DLV_EV_LAST PC_DLV_EV_TIMER

struct pc_dlv_event {
	enum pc_dlv_ev_kind kind;
	/* Every event but MADE and ROLLED_BACK: the caller's clock, in
	 * milliseconds, above 0, never going back. */
	int64_t now_ms;
	/* SENT, ANSWERED, REFUSED, FAILED: the attempt, by the seq of the
	 * effect that started it. */
	uint64_t seq;
	/* MADE: the claim's cumulative amount (above 0); informational: the
	 * caller always sends the record's claim, which is this one or a
	 * newer. */
	struct xl_drops amount;
	/* FAILED: the wait before the claim goes again, from the caller's
	 * backoff for attempt d->fails + 1 (eng_outbox_backoff_ms). */
	uint32_t retry_ms;
	/* TIMER: the record holds a claim (claim_amount > 0) above the best
	 * the peer acknowledged. */
	bool unacked;
};

enum pc_dlv_fx_kind {
	PC_DLV_FX_SEND = 1,	   /* a slot is free: make the message from
				      the record's claim now and hand it to
				      the connector; report SENT (or
				      REFUSED when it cannot be made) */
	PC_DLV_FX_SEND_BESIDE = 2, /* as SEND; the attempt `stalled`, out
				      stall_ms, is let be (its answer is
				      still reported) */
	PC_DLV_FX_RETRY = 3,	   /* the failed attempt's claim again, same
				      bytes and Idempotency-Key; report SENT */
	PC_DLV_FX_NACK = 4,	   /* resend_ms unacknowledged: apply
				      PC_EV_CLAIM_NACK to the outgoing
				      channel in a transaction (its
				      RESEND_CLAIM is a MADE) */
};

#define PC_DLV_MAX_EFFECTS 2

struct pc_dlv_effect {
	enum pc_dlv_fx_kind kind;
	uint64_t seq;		/* SEND*, RETRY: names the attempt */
	struct xl_drops amount; /* SEND*, RETRY: as made */
	uint64_t stalled;	/* SEND_BESIDE: the attempt let be */
};

/* The caller's effect buffer; n is reset by every step. */
struct pc_dlv_effects {
	size_t n;
	struct pc_dlv_effect v[PC_DLV_MAX_EFFECTS];
};

/* A claim as the machine knows it: seq (from 1, one per MADE; 0: none)
 * and the amount it was made with. */
struct pc_dlv_claim {
	uint64_t seq;
	struct xl_drops amount;
};

/* One account's delivery.  Read it, never write it: pc_dlv_init and
 * pc_dlv_step keep the fields consistent with the state. */
struct pc_dlv {
	enum pc_dlv_state state;
	uint32_t stall_ms;	     /* 0: never beside */
	uint32_t resend_ms;	     /* NACK period while unacknowledged */
	uint64_t seq;		     /* the last seq given */
	struct pc_dlv_claim made;    /* in the open transaction */
	struct pc_dlv_claim waiting; /* *_WAITING: committed, waits */
	/* OUT*, BESIDE*: the current attempt; RETRY, STALLED_RETRY: the
	 * newest, whose attempt failed. */
	struct pc_dlv_claim out;
	struct pc_dlv_claim stalled; /* BESIDE*, STALLED*: let be */
	int64_t out_ms;		     /* when `out` left (SENT); 0: not yet */
	int64_t retry_at_ms;	     /* RETRY*: when `out` goes again */
	uint32_t fails;		     /* failed attempts of `out` in a row */
	/* The resend clock: when the first attempt
	 * of a claim last left (SENT with fails 0; retries leave it), or a
	 * NACK was last asked; 0 (never) at start, so the first TIMER with
	 * unacked asks at once. */
	int64_t sent_ms;
};

/* Starts a delivery in IDLE with nothing made.  stall_ms: how long an
 * attempt may hold a newer claim back (PC_DLV_STALL_MS; 0: until it
 * ends); resend_ms: PC_DLV_RESEND_MS. */
void pc_dlv_init(struct pc_dlv *d, uint32_t stall_ms, uint32_t resend_ms);

/* How long an attempt may hold a newer claim back on a link whose claims
 * usually come back in rtt_us (the service's running mean of the
 * answered attempts; 0: none yet): PC_DLV_STALL_RTTS round trips, at
 * least PC_DLV_STALL_MIN_MS, never more than ceiling_ms (the
 * configured claim_stall_ms; 0 stays 0: never beside). */
uint32_t pc_dlv_stall_for(uint32_t rtt_us, uint32_t ceiling_ms);

/* Sets d's stall_ms (as pc_dlv_init's); it counts from the next look at
 * the current attempt (every COMMITTED, TIMER and end of an attempt). */
void pc_dlv_set_stall(struct pc_dlv *d, uint32_t stall_ms);

/* Applies one event and fills fx (in order; carry them out at once, on the
 * loop thread, outside any store transaction except NACK, which opens
 * one).  An event that cannot happen in d's state aborts: SENT, ANSWERED,
 * REFUSED or FAILED for an attempt that is not out (SENT: or that already
 * left), MADE of a zero amount, a time of 0 or below. */
void pc_dlv_step(struct pc_dlv *d, const struct pc_dlv_event *ev,
		 struct pc_dlv_effects *fx);

/* True when old -> new is an edge of the diagram in delivery.c. */
bool pc_dlv_edge_ok(enum pc_dlv_state old, enum pc_dlv_state new_state);

/* Names for logs ("out_waiting", "committed", "send_beside"); never
 * NULL. */
const char *pc_dlv_state_name(enum pc_dlv_state s);
const char *pc_dlv_ev_name(enum pc_dlv_ev_kind k);
const char *pc_dlv_fx_name(enum pc_dlv_fx_kind k);

#endif /* XRPSE_CHANNEL_DELIVERY_H */
