/* The transaction submission queue of one signing account.
 *
 * Reliable submission as xrpl.org describes it, designed against
 * docs/risks.md#trusting-a-tentative-transaction-result and
 * docs/risks.md#sequence-collisions-and-a-second-sender:
 *  - one queue per account, Sequence tracked locally (initialised from
 *    account_info after every resync), so two transactions never race for
 *    one number; priority intents (deadline claims) jump the queue, but
 *    the priority lane is shared fairly between owners (the least recently
 *    served owner's oldest intent first) and, while a normal intent waits,
 *    at most XL_PRIO_RUN_MAX priority intents are built in a row;
 *  - Fee = max(base_fee, open_ledger_fee) from `fee`, refused (the intent
 *    fails with XL_OUT_REFUSED, saying so) above the configured maximum
 *    (a deadline intent's: the higher deadline maximum);
 *    LastLedgerSequence = validated index + lls_offset (20);
 *  - the caller's builder fills the type-specific fields from the common
 *    ones; the queue signs, computes the hash and WRITES THE JOURNAL ENTRY
 *    (state submitted-pending) BEFORE submitting;
 *  - the outcome comes only from validated ledgers (our account's
 *    transaction stream, or `tx` by hash): tes and tec are final (tec
 *    consumes the sequence); tem is a final failure at once (the blob can
 *    never apply); a tef from the first submit is reported with its code
 *    once the LastLedgerSequence passed without the tx (rippled may hold
 *    and still apply it before); ter/tel, tooBusy/slowDown and connection
 *    loss are retried with the same blob; a transaction whose
 *    LastLedgerSequence passed (validated index > LLS) without a validated
 *    result is definitively failed only with proof that it did not apply:
 *    `tx` over the ledgers it could be in answers txnNotFound with
 *    searched_all:true, or the validated account Sequence (at a ledger >=
 *    LLS) is not past its Sequence.  Then its journal row is retired and,
 *    while attempts remain, the intent is rebuilt with a fresh Sequence
 *    (re-read from account_info).  Without proof (a server with a gap in
 *    its history) its fate is unknown: it stays pending, is looked up
 *    again with backoff, is never reported expired, and after
 *    unknown_alarm_ms a BROKEN line names it;
 *  - at start every unfinished journal entry of the account is reconciled
 *    against the ledger before any new transaction is built.
 *
 * Exactly-once per intent: an intent string (e.g. "fund:<channel>:<n>",
 * no '#') that already has a journal row is never built again: a pending
 * row is followed to its end, a final row's stored outcome is delivered.
 * Outcomes may be delivered more than once across a crash (at-least-once):
 * handle them idempotently by intent.
 *
 * Runs on the lws loop thread. */
#ifndef XRPSE_LEDGER_NET_SUBMIT_H
#define XRPSE_LEDGER_NET_SUBMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "ledger/net/client.h"
#include "ledger/net/journal.h"
#include "ledger/tx.h"
#include "src/util/err.h"

enum xl_outcome_kind {
	XL_OUT_SUCCESS = 0, /* tesSUCCESS in a validated ledger */
	XL_OUT_TEC = 1,	    /* tec*: applied, fee and sequence consumed */
	XL_OUT_FAILED = 2,  /* tef/tem/invalid: final, nothing applied */
	XL_OUT_EXPIRED = 3, /* LastLedgerSequence passed, not included */
	XL_OUT_REFUSED = 4, /* never submitted: fee cap, builder, journal */
};

/* What the caller learns about an intent (all borrowed for the call). */
struct xl_outcome {
	const char *intent;
	enum xl_outcome_kind kind;
	const char *result; /* "tesSUCCESS", "tecNO_DST", "temBAD_AMOUNT",
			       "expired", "refused" */
	const char *hash;   /* hex tx id; NULL when never signed */
	uint32_t sequence;
	uint32_t ledger_index;	  /* validating ledger; 0 when none */
	json_t *meta;		  /* validated metadata, or NULL */
	const struct xu_err *err; /* why, for FAILED/EXPIRED/REFUSED */
};

typedef void (*xl_outcome_fn)(void *arg, const struct xl_outcome *o);

/* Fills the type-specific part: typically one call of an xl_tx_<type>()
 * builder with the common fields c (Account, Fee, Sequence,
 * LastLedgerSequence, network id) the queue prepared. */
typedef enum xu_code (*xl_build_fn)(void *arg, struct xl_tx *tx,
				    const struct xl_tx_common *c,
				    struct xu_err *err);

struct xl_submit_cfg {
	const struct cr_keypair *kp; /* borrowed: outlives the queue */
	uint64_t fee_max_drops;	     /* required, > 0 */
	/* The cap for XL_SUBMIT_DEADLINE intents (a claim racing a channel's
	 * Expiration); 0 or below fee_max_drops: fee_max_drops. */
	uint64_t deadline_fee_max_drops;
	uint32_t network_id;
	uint32_t lls_offset; /* 0 = 20 */
	/* Submitted, not final: 0 = XL_SUBMIT_INFLIGHT_DEFAULT, at most
	 * XL_SUBMIT_INFLIGHT_MAX. */
	unsigned max_inflight;
	unsigned max_attempts; /* builds per intent; 0 = 3 */
	/* A transaction whose fate stays unknown this long gets one BROKEN
	 * line; 0 = 10 minutes. */
	unsigned unknown_alarm_ms;
};

struct xl_submit;

/* Transactions of the account in flight at once.  The queue's throughput
 * is max_inflight per submit-to-validated round trip (a few ledgers), so
 * this bounds how fast many channels open.  The default is the number of
 * transactions rippled's fee queue holds per account (TxQ
 * maximumTxnPerAccount, 10): when the open ledger's fee escalates and
 * every one of ours is queued, none is refused as telCAN_NOT_QUEUE_FULL.
 * Above it, such refusals are retried with the same blob, and a failed
 * one (a Sequence gap) makes more of the later ones expire and rebuild
 * (docs/design.md#scale). */
#define XL_SUBMIT_INFLIGHT_DEFAULT 10
#define XL_SUBMIT_INFLIGHT_MAX 64

/* An owner (e.g. the peer account a redeem is for) names a share of the
 * priority lane; up to XL_OWNER_MAX - 1 bytes count. */
#define XL_OWNER_MAX 64
#define XL_SHARES 64	  /* owners remembered; the oldest is forgotten */
#define XL_PRIO_RUN_MAX 4 /* priority builds in a row while normal waits */

/* Creates the queue for cfg->kp's account on client c (whose account must
 * be the same) and loads the journal's pending rows of that account for
 * reconciliation at the next READY.  Outcomes go to fn.  Returns NULL with
 * err on failure.  Registers itself as a listener of c. */
struct xl_submit *xl_submit_new(struct xl_client *c, const struct xl_journal *j,
				const struct xl_submit_cfg *cfg,
				xl_outcome_fn fn, void *arg,
				struct xu_err *err);
/* NULL is a no-op; not from inside its own callbacks.  The client must be
 * freed after (or stopped before) the queue. */
void xl_submit_free(struct xl_submit *s);

/* xl_submit_enqueue flags. */
#define XL_SUBMIT_PRIORITY 1u /* jumps the queue (a deadline claim) */
#define XL_SUBMIT_DEADLINE 2u /* may pay up to deadline_fee_max_drops */

/* Queues an intent (flags: XL_SUBMIT_*).  build/build_arg must stay valid
 * until the intent's
 * outcome is delivered.  Returns XU_OK, XU_EINVAL for a bad intent string,
 * XU_EEXIST when the intent is already queued with a builder, or a journal
 * error.  When the journal already holds the intent, nothing new is built:
 * a pending row is followed (its builder is kept for a rebuild after
 * expiry) and a final row's outcome is delivered asynchronously. */
enum xu_code xl_submit_enqueue(struct xl_submit *s, const char *intent,
			       unsigned flags, xl_build_fn build,
			       void *build_arg,
			       struct xu_err *err) XU_WARN_UNUSED;
/* The same, for a priority intent that takes its turn in owner's share
 * of the priority lane (NULL or "": the share of owners not named). */
enum xu_code xl_submit_enqueue_as(struct xl_submit *s, const char *intent,
				  unsigned flags, const char *owner,
				  xl_build_fn build, void *build_arg,
				  struct xu_err *err) XU_WARN_UNUSED;

struct xl_submit_stats {
	unsigned queued, inflight;
	uint64_t submitted, succeeded, tec, failed, expired, refused;
	uint64_t resubmits; /* the same blob again (ter/tel/busy/reconnect) */
	uint32_t next_sequence; /* 0 while unknown */
	bool reconciled;
	unsigned unknown;	 /* in flight, LLS passed, fate unknown */
	uint64_t unknown_alarms; /* BROKEN lines written for those */
};
void xl_submit_stats(const struct xl_submit *s, struct xl_submit_stats *st);

/* Sets cfg.max_inflight (0: XL_SUBMIT_INFLIGHT_DEFAULT; above
 * XL_SUBMIT_INFLIGHT_MAX: the maximum).  A lower bound builds nothing new
 * until fewer are in flight; the ones in flight go on. */
void xl_submit_set_max_inflight(struct xl_submit *s, unsigned n);

const char *xl_outcome_kind_name(enum xl_outcome_kind k);

#endif /* XRPSE_LEDGER_NET_SUBMIT_H */
