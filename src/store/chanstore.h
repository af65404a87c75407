/* The payment-channel tables of the store: what src/paychan/paychan.c persists
 * about each peer account (pairing), its outgoing channel and every
 * incoming channel, one row each, written inside the caller's store
 * transaction together with the outbox rows the same event produced.
 *
 *   pc_peers  account -> the peer engine's hello (address, key type,
 *             minimum settle delay) and our hello's retry schedule
 *   pc_out    account -> struct pc_out, the last signed outgoing claim
 *             (amount + signature, re-sent as is), the best amount the
 *             peer acknowledged, and the counters that make transaction
 *             intents unique ("create:<account>:<n>")
 *   pc_in     channel id -> struct pc_in (best claim held and its
 *             signature included), its account and its redeem counter
 *
 * The tables come from the store's migration list (src/store/store.c).  Every
 * struct field is persisted but the core's `reason` strings, which are
 * set to "restored" on load.  Loop thread only, like the store. */
#ifndef XRPSE_SRC_CHANSTORE_H
#define XRPSE_SRC_CHANSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel/channel.h"
#include "src/store/store.h"
#include "src/util/err.h"

/* A peer account's pairing record. */
struct eng_chan_peer {
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	bool paired; /* the peer's hello or hello_reply was stored */
	struct cr_account_id address;
	enum cr_key_type key_type;
	uint32_t min_settle_delay;
	uint32_t version;
	int64_t hello_next_ms;	 /* wall ms of our next hello (unpaired) */
	uint32_t hello_attempts; /* hellos sent so far */
	int64_t peer_sent_ms;	 /* the peer's sent_ms of the hello taken */
};

/* Longest derivation of a channel's own key ("kava:" + account name). */
#define ENG_CHAN_SIGNER_MAX (5 + ENG_STORE_ACCOUNT_MAX + 1)

/* An account's outgoing channel and what goes with it. */
struct eng_chan_out {
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	struct pc_out ch;
	/* With ch.has_key: how the channel's own key is derived from our
	 * seed ("kava:NAME": Kava's plugin's key of its account NAME,
	 * cr_kava_channel_keypair).  The key itself is never stored. */
	char signer[ENG_CHAN_SIGNER_MAX];
	struct xl_drops claim_amount; /* last signed claim (0: none) */
	uint8_t claim_sig[CR_SIG_MAX_BYTES];
	size_t claim_siglen;
	struct xl_drops peer_best;	    /* best the peer acknowledged */
	uint32_t create_n, fund_n, close_n; /* intents issued */
	struct xl_drops tx_amount; /* amount of the create/fund in flight */
	/* When the tick next looks at the record (read only: a put makes
	 * it due at once or stores its writer's due; eng_chan_out_set_due). */
	int64_t due_ms;
};

/* An incoming channel. */
struct eng_chan_in {
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	struct pc_in ch;
	uint32_t redeem_n; /* redeem intents issued */
	bool redeem_close; /* the redeem in flight carries tfClose */
	int64_t due_ms;	   /* as eng_chan_out's */
};

/* Reads the pairing record of account.  *found tells whether one exists
 * (*p is zeroed when not).  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_chan_peer_get(struct eng_store *s, const char *account,
			       struct eng_chan_peer *p, bool *found,
			       struct xu_err *err) XU_WARN_UNUSED;
/* Inserts or replaces p (inside a transaction).  XU_OK or XU_ESTORE. */
enum xu_code eng_chan_peer_put(struct eng_store *s,
			       const struct eng_chan_peer *p,
			       struct xu_err *err) XU_WARN_UNUSED;
/* The unpaired records whose next hello is due at now_ms, of accounts
 * that are open, at most cap of them, into v; *n gets the count.
 * Returns XU_OK or XU_ESTORE. */
enum xu_code eng_chan_peer_due(struct eng_store *s, int64_t now_ms,
			       struct eng_chan_peer *v, size_t cap, size_t *n,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Open accounts without a pairing record (created before this service
 * existed), at most cap of them, into accounts; *n gets the count.
 * Returns XU_OK or XU_ESTORE. */
enum xu_code eng_chan_peer_missing(struct eng_store *s,
				   char (*accounts)[ENG_STORE_ACCOUNT_MAX + 1],
				   size_t cap, size_t *n,
				   struct xu_err *err) XU_WARN_UNUSED;

/* Reads account's outgoing record; *found as above.  XU_OK/XU_ESTORE. */
enum xu_code eng_chan_out_get(struct eng_store *s, const char *account,
			      struct eng_chan_out *o, bool *found,
			      struct xu_err *err) XU_WARN_UNUSED;
/* Reads the outgoing record whose channel is id (of any account); *found
 * as above.  XU_OK/XU_ESTORE. */
enum xu_code eng_chan_out_by_id(struct eng_store *s,
				const uint8_t id[CR_CHANNEL_ID_BYTES],
				struct eng_chan_out *o, bool *found,
				struct xu_err *err) XU_WARN_UNUSED;
/* Inserts or replaces o (inside a transaction), due at once (the due
 * index, below).  XU_OK or XU_ESTORE. */
enum xu_code eng_chan_out_put(struct eng_store *s, const struct eng_chan_out *o,
			      struct xu_err *err) XU_WARN_UNUSED;
/* As eng_chan_out_put, with the due time its writer worked out from what
 * it wrote (the writer's due, below): due_ms > 0 is stored as it is
 * (INT64_MAX: only a write or a sweep brings the record back), due_ms
 * <= 0 makes it due at once. */
enum xu_code eng_chan_out_put_due(struct eng_store *s,
				  const struct eng_chan_out *o, int64_t due_ms,
				  struct xu_err *err) XU_WARN_UNUSED;
/* Every outgoing record, as a malloc'd array the caller frees (*v NULL
 * when there is none).  Returns XU_OK, XU_ENOMEM or XU_ESTORE. */
enum xu_code eng_chan_out_all(struct eng_store *s, struct eng_chan_out **v,
			      size_t *n, struct xu_err *err) XU_WARN_UNUSED;
/* The outgoing records with drops unpaid by what they hold: owed drops,
 * or a last signed claim above the peer_best they store (an index keeps
 * it at their number, not every record's).  As eng_chan_out_all. */
enum xu_code eng_chan_out_unpaid(struct eng_store *s, struct eng_chan_out **v,
				 size_t *n, struct xu_err *err) XU_WARN_UNUSED;

/* Reads the incoming record of channel id; *found as above. */
enum xu_code eng_chan_in_get(struct eng_store *s,
			     const uint8_t id[CR_CHANNEL_ID_BYTES],
			     struct eng_chan_in *r, bool *found,
			     struct xu_err *err) XU_WARN_UNUSED;
/* Inserts or replaces r (inside a transaction), due at once.  XU_OK or
 * XU_ESTORE. */
enum xu_code eng_chan_in_put(struct eng_store *s, const struct eng_chan_in *r,
			     struct xu_err *err) XU_WARN_UNUSED;
/* As eng_chan_in_put, with the writer's due (eng_chan_out_put_due). */
enum xu_code eng_chan_in_put_due(struct eng_store *s,
				 const struct eng_chan_in *r, int64_t due_ms,
				 struct xu_err *err) XU_WARN_UNUSED;
/* Every incoming record (of account, or all when account is NULL), as a
 * malloc'd array the caller frees.  XU_OK, XU_ENOMEM or XU_ESTORE. */
enum xu_code eng_chan_in_all(struct eng_store *s, const char *account,
			     struct eng_chan_in **v, size_t *n,
			     struct xu_err *err) XU_WARN_UNUSED;

/* The incoming records the periodic work needs: not CLOSED, or with a
 * redeem in flight (its outcome is still to come), as eng_chan_in_all.
 * Read through an index of those alone: the cost does not grow with the
 * closed records. */
enum xu_code eng_chan_in_live(struct eng_store *s, struct eng_chan_in **v,
			      size_t *n, struct xu_err *err) XU_WARN_UNUSED;
/* The due index.  Every record carries a due time, due_ms: wall ms when
 * the periodic tick is next to look at it.  Every put makes the record
 * due at once (a due time at or below 0, below every other of its table,
 * so unique), whatever it held: a write the tick does not know of can
 * never leave a record waiting.  The writer's due: a writer that works
 * out from the record it writes when the tick must next look at it (the
 * same rule the tick uses) stores that instead (eng_chan_*_put_due), so
 * that a write does not bring the record to the tick for nothing; a
 * due time it stores is above 0, so never one the tick read as due at
 * once.  The tick reads the records due at now_ms
 * (oldest due first) and, for one whose due time is still `was` (the one
 * it read: nothing wrote it since), sets the next one: eng_chan_*_set_due
 * (inside a transaction; *set, may be NULL, tells whether it was still
 * `was`).  Returns XU_OK, XU_ENOMEM or XU_ESTORE. */
enum xu_code eng_chan_out_due(struct eng_store *s, int64_t now_ms,
			      struct eng_chan_out **v, size_t *n,
			      struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_chan_in_due(struct eng_store *s, int64_t now_ms,
			     struct eng_chan_in **v, size_t *n,
			     struct xu_err *err) XU_WARN_UNUSED;
/* A place in the due index's order (due_ms, then the key: the account of
 * a pc_out row, the id of a pc_in row); set false: before every row. */
struct eng_chan_due_at {
	bool set;
	int64_t due_ms;
	char key[ENG_STORE_ACCOUNT_MAX + 1 > 2 * CR_CHANNEL_ID_BYTES + 1
		     ? ENG_STORE_ACCOUNT_MAX + 1
		     : 2 * CR_CHANNEL_ID_BYTES + 1];
};
/* The next page of the records due at now_ms: at most limit of them,
 * after *at in the due index's order, which is moved to the last one
 * read (unchanged when none).  *at only moves forward and nothing is
 * written due at a time after now_ms and before it, so a walk of the
 * pages ends; a record written meanwhile due at once gets a time below
 * every other of the table, which lies after *at only when every record
 * still due lies before it (then the walk meets it again).  Returns as
 * eng_chan_out_due. */
enum xu_code eng_chan_out_due_page(struct eng_store *s, int64_t now_ms,
				   struct eng_chan_due_at *at, size_t limit,
				   struct eng_chan_out **v, size_t *n,
				   struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_chan_in_due_page(struct eng_store *s, int64_t now_ms,
				  struct eng_chan_due_at *at, size_t limit,
				  struct eng_chan_in **v, size_t *n,
				  struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_chan_out_set_due(struct eng_store *s, const char *account,
				  int64_t was, int64_t due, bool *set,
				  struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_chan_in_set_due(struct eng_store *s,
				 const uint8_t id[CR_CHANNEL_ID_BYTES],
				 int64_t was, int64_t due, bool *set,
				 struct xu_err *err) XU_WARN_UNUSED;
/* Pages for a walk over the records (the ledger polls, spread over
 * their period): at most limit outgoing records with an account after
 * `after` ("" for the first page), or live incoming records (as
 * eng_chan_in_live) with an id after `after` (NULL for the first page),
 * in that order.  Returns XU_OK, XU_ENOMEM or XU_ESTORE. */
enum xu_code eng_chan_out_page(struct eng_store *s, const char *after,
			       size_t limit, struct eng_chan_out **v, size_t *n,
			       struct xu_err *err) XU_WARN_UNUSED;
enum xu_code eng_chan_in_live_page(struct eng_store *s, const uint8_t *after,
				   size_t limit, struct eng_chan_in **v,
				   size_t *n,
				   struct xu_err *err) XU_WARN_UNUSED;
/* Inside a transaction: every CLOSED incoming record without a redeem in
 * flight (its last redemption is final) last written more than keep_s
 * seconds ago (the oldest max of them) moves to the summary table pc_in_closed (channel, account,
 * Amount, Balance redeemed, best claim credited, when it closed), which is
 * what the books need, and leaves pc_in.  *n gets how many.  Afterwards
 * eng_chan_in_get finds none of them (a claim on such a channel is
 * looked up, found gone, refused).  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_chan_in_prune(struct eng_store *s, uint32_t keep_s,
			       uint32_t max, uint64_t *n,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Whether channel id was pruned into pc_in_closed (a channel gone from
 * the ledger: never linked again).  XU_OK or XU_ESTORE. */
enum xu_code eng_chan_in_closed_has(struct eng_store *s,
				    const uint8_t id[CR_CHANNEL_ID_BYTES],
				    bool *found,
				    struct xu_err *err) XU_WARN_UNUSED;
/* The newest markers kept per account (older ones are dropped: an honest
 * payer has one ended channel at a time). */
#define ENG_CHAN_IN_FINAL_KEEP 8
/* Inside a transaction: account asked about channel id as final while we
 * had no record of it (docs/risks.md#final-answer-without-a-record);
 * at_ms orders the markers, of which each account keeps the newest
 * ENG_CHAN_IN_FINAL_KEEP.  XU_OK or XU_ESTORE. */
enum xu_code eng_chan_in_final_put(struct eng_store *s,
				   const uint8_t id[CR_CHANNEL_ID_BYTES],
				   const char *account, int64_t at_ms,
				   struct xu_err *err) XU_WARN_UNUSED;
/* Inside a transaction: whether account's marker for channel id is there
 * (*found), deleting it (its record is being made).  XU_OK or
 * XU_ESTORE. */
enum xu_code eng_chan_in_final_take(struct eng_store *s,
				    const uint8_t id[CR_CHANNEL_ID_BYTES],
				    const char *account, bool *found,
				    struct xu_err *err) XU_WARN_UNUSED;

/* ---- upkeep and counts, for the service's start and /health ---- */

/* A new process: the hellos that were with the outbox when the last one
 * stopped may have lost their answer, so every unpaired record with a
 * hello pending or scheduled (hello_next_ms > 0) is made due at once
 * (hello_next_ms = 0; a repeated hello is harmless).  One statement:
 * outside a transaction it commits at once.  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_chan_peer_rearm_hellos(struct eng_store *s,
					struct xu_err *err) XU_WARN_UNUSED;
/* The number of pairing records without the peer's hello into *n.
 * Returns XU_OK or XU_ESTORE (then *n is 0). */
enum xu_code eng_chan_peer_count_unpaired(struct eng_store *s, uint64_t *n,
					  struct xu_err *err) XU_WARN_UNUSED;
/* The number of outgoing records in each state: n[state] (0 for a state
 * no record is in).  Returns XU_OK, or XU_ESTORE (a database error, or a
 * row whose state is out of range) with n all 0. */
enum xu_code eng_chan_out_count_states(struct eng_store *s,
				       uint64_t n[PC_OUT_NSTATES],
				       struct xu_err *err) XU_WARN_UNUSED;
/* The number of outgoing records recovering (waiting for the peer's
 * last_claim answer) into *n.  Returns XU_OK or XU_ESTORE (then *n is 0). */
enum xu_code eng_chan_out_count_recovering(struct eng_store *s, uint64_t *n,
					   struct xu_err *err) XU_WARN_UNUSED;
/* The number of incoming records in each state, as
 * eng_chan_out_count_states; pruned ones (eng_chan_in_prune) count as
 * CLOSED. */
enum xu_code eng_chan_in_count_states(struct eng_store *s,
				      uint64_t n[PC_IN_NSTATES],
				      struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_CHANSTORE_H */
