/* The daemon's payment-channel service: the glue between the
 * pure channel core (channel/), the store (src/store/chanstore.h), the outbox
 * (peer messages and connector credits), the rippled client and its
 * submission queue (ledger/net/).
 *
 *   pairing   POST /accounts -> a "hello" message through the outbox,
 *             retried in the background until the peer engine answers
 *             with its hello_reply; the peer's own hello is answered with
 *             ours.  Account creation never waits for the peer.
 *   paying    drops the connector settled (the store's owed total) feed
 *             PC_EV_SETTLE on the account's outgoing channel; a signed
 *             claim is committed in the same transaction as the channel
 *             record and THEN sent as a "claim" message (a refused or
 *             unacknowledged claim is sent again).  Creates, top-ups and
 *             closes go through the submission queue with deterministic
 *             intents ("create:<account>:<n>", "fund:<channel>:<n>"...).
 *   paid      a "claim" message is checked by the core against the last
 *             validated view of the channel; an accepted claim and the
 *             connector credit (Idempotency-Key pc_credit_key) are written
 *             in ONE transaction before the claim_reply is sent.  A claim
 *             for a channel we have no fresh view of is answered 503 while
 *             the service asks rippled (ledger_entry): the peer's outbox
 *             retries 5xx with backoff, so no reply ever waits on the
 *             ledger.
 *   watching  every known channel is polled (ledger_entry, validated) at a
 *             fixed period and at once after a transaction touching us or
 *             a channel_update; the cron feeds PC_EV_TIMER (redeem policy,
 *             top-ups, closes).
 *
 * Everything runs on the engine's loop thread.  Work that must not happen
 * inside a store transaction (submitting transactions, rippled requests)
 * is deferred until the transaction commits; a rolled-back batch drops it. */
#ifndef XRPSE_SRC_PAYCHAN_H
#define XRPSE_SRC_PAYCHAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "channel/channel.h"
#include "ledger/net/submit.h"
#include "src/paychan/settings.h"
#include "src/util/err.h"
#include "src/util/hist.h"

struct eng_paychan;
struct eng_store;
struct eng_outbox;
struct eng_msgs;
struct cr_keypair;
struct cr_seed;
struct xl_rippled;

/* The services the payment-channel service uses, all borrowed and living
 * longer than it.  rippled may be NULL (no ledger: nothing is opened,
 * nothing is redeemed; the tests without a ledger). */
struct eng_paychan_env {
	struct eng_store *store;
	struct eng_outbox *outbox;
	struct xl_rippled *rippled;
	const struct cr_keypair *kp;
	/* The seed kp was derived from, for the keys of adopted channels
	 * (struct pc_out has_key; docs/design.md#moving-from-kavas-plugin).
	 * NULL: no claim is signed on an adopted channel. */
	const struct cr_seed *seed;
	struct eng_msgs *msgs; /* where the peer message types go */
	/* The service's clocks (milliseconds; NULL: src/io/clock.h's
	 * eng_mono_ms and eng_wall_ms), called with clock_arg.  mono_ms
	 * times the channel core's timers (struct pc_clock now), which a
	 * restart voids (docs/design.md#timers); wall_ms what is kept
	 * across restarts (the hello schedule) and in-memory waits. */
	int64_t (*mono_ms)(void *clock_arg);
	int64_t (*wall_ms)(void *clock_arg);
	/* Monotonic microseconds for the latency histograms (NULL:
	 * eng_mono_us), never for a decision. */
	int64_t (*mono_us)(void *clock_arg);
	void *clock_arg;
};

/* Creates the service on the services of env (copied; what it points to
 * is borrowed), registers the message types hello,
 * claim, channel_update, close_request and last_claim, the outbox reply
 * callback and a rippled client listener, clears the timers every record
 * kept in the previous process's monotonic clock (pc_out_restart,
 * pc_in_restart), and starts a recovery on every open outgoing channel
 * (pc_out_restart: the store may be a restored backup; the peer is asked
 * "last_claim" before another claim is signed or sent).  cfg is copied.
 * Returns XU_OK and *out (owned; eng_paychan_free), or XU_EINVAL / XU_ENOMEM.
 */
enum xu_code eng_paychan_new(struct eng_paychan **out,
			     const struct eng_paychan_env *env,
			     const struct eng_paychan_cfg *cfg,
			     struct xu_err *err) XU_WARN_UNUSED;
/* Frees the service (after the rippled client: builders given to the
 * submission queue live here).  NULL is a no-op. */
void eng_paychan_free(struct eng_paychan *pc);

/* ---- hooks, called by the engine and the API ---- */

/* Inside the batch transaction, after POST /accounts (new or existing):
 * an account created again after a deletion resumes its payments
 * (PC_EV_REOPEN on its outgoing record, then its owed drops are fed to
 * it: a new channel when the old one was asked to close); starts pairing:
 * unless paired or already waiting for an answer, a hello goes out
 * hello_retry_ms later (the connector creating the account may not know
 * it yet).  XU_OK or a 300s code. */
enum xu_code eng_paychan_account_created(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err) XU_WARN_UNUSED;
/* Inside the batch transaction, after DELETE /accounts/:id: PC_EV_CLOSE on
 * the outgoing and every incoming channel of account. */
enum xu_code eng_paychan_account_deleted(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err) XU_WARN_UNUSED;
/* Inside the batch transaction, after a new settlement: notes the account;
 * eng_paychan_batch_end() then moves its owed drops into its outgoing
 * channel (PC_EV_SETTLE), so that many settlements of one account in one
 * batch make one claim.  Returns XU_OK or XU_ENOMEM. */
/* Outside a batch, in a transaction of the caller's: the operator closes
 * account's outgoing channel as a deletion would (the peer is asked to
 * close, then we close as owner), but the account stays: later
 * settlements open a new channel (PC_EV_SHUT).  Returns XU_OK,
 * XU_ENOTFOUND (no outgoing record), XU_ECONFLICT (the channel is not
 * open or funding: nothing to close now) or a 300s code. */
enum xu_code eng_paychan_close_outgoing(struct eng_paychan *pc,
					const char *account,
					struct xu_err *err) XU_WARN_UNUSED;
/* Outside a batch, in a transaction of the caller's: the operator closes
 * the one channel id (xrpse channel close); the account stays.  Our
 * outgoing channel: as eng_paychan_close_outgoing (PC_EV_SHUT), or with
 * force as owner without waiting for the peer (PC_EV_SHUT_NOW; also on a
 * channel already asked to close).  An incoming channel: as a deletion
 * does for it (PC_EV_CLOSE: its claims are refused from now on, the best
 * one is redeemed with tfClose, or the channel closed as its destination
 * when all is redeemed); force changes nothing there, the payee's close
 * is at once.  *outgoing tells which it was.  Returns XU_OK, XU_ENOTFOUND
 * (no record of id), XU_ECONFLICT (closing already, or closed: nothing
 * to do; the message says why) or a 300s code. */
enum xu_code eng_paychan_close_channel(struct eng_paychan *pc,
				       const uint8_t id[CR_CHANNEL_ID_BYTES],
				       bool force, bool *outgoing,
				       struct xu_err *err) XU_WARN_UNUSED;
/* Outside a batch, in a transaction of the caller's: the operator redeems
 * the best claim held on incoming channel id now (xrpse channel redeem),
 * whatever the redeem policy says (PC_EV_REDEEM_NOW: the record, its
 * redeem in flight, is written before the transaction is built).  Returns
 * XU_OK, XU_ENOTFOUND (no incoming record of id), XU_ECONFLICT (nothing
 * to redeem, a redeem in flight, not linked, closed or expired: the
 * message says which) or a 300s code. */
enum xu_code eng_paychan_redeem_channel(struct eng_paychan *pc,
					const uint8_t id[CR_CHANNEL_ID_BYTES],
					struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_paychan_settled(struct eng_paychan *pc, const char *account,
				 struct xu_err *err) XU_WARN_UNUSED;
/* Inside the batch transaction, after its last job: pays the accounts
 * noted by eng_paychan_settled() (one claim each).  Never fails for
 * outside input (an unpaired account keeps its owed drops for later);
 * returns a 300s code when the store failed (the batch must roll back).
 * When the engine does not call it, eng_paychan_batch_done() pays them in
 * a transaction of its own. */
enum xu_code eng_paychan_batch_end(struct eng_paychan *pc,
				   struct xu_err *err) XU_WARN_UNUSED;
/* After the batch transaction: committed (true) runs the deferred work,
 * rolled back (false) drops it. */
void eng_paychan_batch_done(struct eng_paychan *pc, bool committed);
/* Before a peer message is handed to its handler: it was read at mono_us
 * (eng_mono_us), which the latency of a claim's credit starts from
 * (latency.c).  pc may be NULL. */
void eng_paychan_message_read(struct eng_paychan *pc, int64_t mono_us);
/* From the engine's cron (any period): timers, polls, hellos, resends;
 * first the ledger views our polls brought (eng_paychan_views_flush).
 * The timers work on the records due in slices of cfg.tick_slice, a
 * transaction each: returns true while a round has slices left, and the
 * caller calls again soon (the engine at its next loop iteration, after
 * the sockets). */
bool eng_paychan_tick(struct eng_paychan *pc);
/* Whether the service's work between its timer ticks waits for nothing
 * (no poll answers to apply, no account change to hand on): then the
 * engine's cron may come less often (docs/design.md#scale).  pc may be
 * NULL (true). */
bool eng_paychan_quiet(const struct eng_paychan *pc);
/* Outside any transaction, after calls to the connector ended (the
 * outbox's drain): the claims that found every call taken go now, first
 * come first, while the outbox has room beyond a quarter of its calls
 * (left for the credits and messages of its rows).  What does not fit
 * stays queued for the next call; the tick's retry is the fallback.  pc
 * may be NULL. */
void eng_paychan_room(struct eng_paychan *pc);
/* Outside any transaction: applies the views our polls of our channels
 * brought since the last call (the channel still on the ledger) in one
 * transaction, one commit for all instead of one each
 * (docs/design.md#scale).  pc may be NULL; a call inside a transaction
 * does nothing. */
void eng_paychan_views_flush(struct eng_paychan *pc);
/* The submission queue's outcome of one of our transactions (the daemon
 * forwards struct xl_rippled_cfg on_outcome here). */
void eng_paychan_outcome(struct eng_paychan *pc, const struct xl_outcome *o);

/* Counters for /health and the tests. */
struct eng_paychan_stats {
	uint64_t claims_signed, claims_accepted, claims_rejected;
	uint64_t claims_beside; /* sent beside a late attempt */
	uint64_t claims_sent;	/* attempts handed to the outbox */
	uint64_t claims_waited; /* found every call taken: queued for room */
	uint64_t claims_refused[PC_REJ_COUNT]; /* claims_rejected by reason */
	uint64_t credits_drops;		       /* sum of credits enqueued */
	uint64_t paid_drops; /* sum of drops moved into claims */
	uint64_t hellos_sent, lookups, alerts;
	uint64_t txs_submitted, tx_failures;
	/* Redeems of incoming claims: queued, and their final outcomes
	 * (tesSUCCESS, or anything else). */
	uint64_t redeems_submitted, redeems_succeeded, redeems_failed;
	uint64_t
	    recovered_drops; /* claims adopted from the peer (docs/design.md#recovering-lost-outgoing-claims) */
	uint64_t due_skipped;  /* cfg.due_audit: records due but not due */
	uint64_t tick_records; /* channel records the tick read */
	uint64_t polled;       /* records the ledger polls walked */
	/* account_channels pages the polls read (pages.c), and the views
	 * pages gave (the polls' and the resyncs'). */
	uint64_t pages, page_views;
	/* The stages of a settlement's latency (latency.c): acknowledged
	 * to the connector -> the claim carrying it handed to the outbox;
	 * a claim attempt handed to the outbox -> the peer's claim_reply;
	 * a peer's claim read -> our connector's 2xx to its credit. */
	struct xu_hist handoff, claim_rtt, credit;
	/* The periodic (tick_ms) tick's own time: its transaction over the
	 * records due, the polls' share and what it sends after. */
	struct xu_hist tick;
};
void eng_paychan_stats(const struct eng_paychan *pc,
		       struct eng_paychan_stats *st);
/* A new JSON object for /health (the caller owns it):
 *   {"outgoing":{"<state>":n...},"incoming":{"<state>":n...},
 *    "unpaired":n,"recovering":n (outgoing channels waiting for the
 *    peer's last_claim answer),"claims_signed":n,"claims_accepted":n,
 *    "claims_rejected":n,"paid_drops":n,"credited_drops":n,
 *    "hellos_sent":n,"lookups":n,"pages":n,"page_views":n,
 *    "alerts":n,"txs_submitted":n,
 *    "tx_failures":n,"recovered_drops":n}
 * Counters count since the start; the states come from the store. */
json_t *eng_paychan_health(struct eng_paychan *pc);

/* What the operator sees of the service, for /health, /metrics and any
 * other view (eng_paychan_status). */
struct eng_paychan_status {
	struct eng_paychan_stats stats;
	uint64_t out_states[PC_OUT_NSTATES], in_states[PC_IN_NSTATES];
	uint64_t unpaired, recovering;
	/* The wall ms when the last validated ledger arrived (0: none). */
	int64_t ledger_seen_ms;
	bool have_account; /* our account_info arrived: */
	struct xl_drops balance,
	    reserve;		   /* its Balance; base + owner reserve */
	struct xl_drops locked;	   /* our open channels: Amount - Balance */
	struct xl_drops claimable; /* incoming: best claim held - Balance */
	/* Drops acknowledged to the connector that no claim the peer
	 * acknowledged covers yet, over every account; the longest any of
	 * them waited; the accounts past owed_alert_ms and their drops. */
	struct xl_drops unpaid;
	int64_t unpaid_oldest_ms;
	uint64_t owed_alerts;
	struct xl_drops owed_alert_drops;
};
/* Fills *st: counters from memory, the rest from the store.  Returns
 * XU_OK, or the store's code (then *st holds what was read). */
enum xu_code eng_paychan_status(struct eng_paychan *pc,
				struct eng_paychan_status *st,
				struct xu_err *err) XU_WARN_UNUSED;

/* Called for every account with unpaid drops (see struct
 * eng_paychan_status): how many, how long the oldest waited, and whether
 * its owed alert is on.  account is borrowed for the call. */
typedef void (*eng_paychan_owed_fn)(void *arg, const char *account,
				    struct xl_drops unpaid, int64_t waited_ms,
				    bool alerted);
void eng_paychan_owed_each(const struct eng_paychan *pc, eng_paychan_owed_fn fn,
			   void *arg);

/* Reads a PayChannel ledger object (ledger_entry's "node") into *v, for
 * channel id; false when malformed.  ledger_index stays 0. */
bool eng_paychan_view_from_json(struct pc_view *v, json_t *node,
				const uint8_t id[CR_CHANNEL_ID_BYTES]);

/* ---- adopting another engine's channels (src/paychan/adopt.c) ----
 * What `xrpse import kava` writes, while no service runs on the store
 * (docs/design.md#moving-from-kavas-plugin).  Both run inside the
 * caller's store transaction, check everything against the validated
 * view v (ledger_time: that ledger's close time) and cfg, and write
 * nothing when they refuse: XU_EINVAL, XU_EBADSIG or XU_ERANGE with a
 * message saying why (XU_EEXIST: the channel already has a record). */

/* Adopts channel v, which the peer of `account` pays us through, with
 * best, the best claim the old engine held (verified with the channel's
 * PublicKey; zero: none) as the best claim held.  The old engine credited
 * it: only what later claims add above it is credited.  The checks are
 * the payee's own (channel/incoming.c, in its order: ours, no
 * CancelAfter, time to redeem before any Expiration, settle delay,
 * signature, at most Amount). */
enum xu_code eng_paychan_adopt_in(struct eng_store *st,
				  const struct pc_cfg *cfg, const char *account,
				  const struct cr_account_id *self,
				  const struct pc_view *v, uint32_t ledger_time,
				  struct xl_drops best, const uint8_t *sig,
				  size_t siglen,
				  struct xu_err *err) XU_WARN_UNUSED;

/* True when an outgoing record has no live channel and nothing pending:
 * never opened or gone and settled (NONE or CLOSED, nothing in flight, no
 * ended channel waiting, not deleting).  Such a record may give way to an
 * adopted channel. */
bool eng_paychan_out_idle(const struct pc_out *ch);

/* Adopts channel v, ours to the peer of `account`, signed with its own
 * key `key` (derived by `signer`, e.g. "kava:NAME"), as the account's
 * outgoing channel with `spent` (signature sig by key; zero: none) as
 * its last signed claim.  Refused unless the channel is ours, its
 * PublicKey is key, it is open (no Expiration, no CancelAfter), its
 * SettleDelay is within [min_settle_delay, max_settle_delay] of cfg, and
 * Balance <= spent <= Amount.  The account's outgoing record, if any, must
 * be idle (eng_paychan_out_idle): its owed drops and intent counters
 * carry on into the adopted channel's record. */
enum xu_code eng_paychan_adopt_out(
    struct eng_store *st, const struct pc_cfg *cfg, const char *account,
    const struct cr_account_id *self, const struct pc_view *v,
    const char *signer, const struct cr_pubkey *key, struct xl_drops spent,
    const uint8_t *sig, size_t siglen, struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_PAYCHAN_H */
