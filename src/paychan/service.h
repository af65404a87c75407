/* The payment-channel service's private header: the state its files share
 * and the functions they call in one another.  Only src/paychan/ includes
 * it; the interface is paychan.h.
 *
 * The files, by responsibility: service.c (the state, setup and our own
 * transactions), hooks.c (the engine's and the API's calls), effects.c
 * (applying channel-core events and carrying out their effects),
 * to_peer.c (hellos, claims and notices to the peer), from_peer.c (the
 * peer's messages), answers.c (the peer's answers to ours), tx.c (builds
 * for the submission queue and their outcomes), watch.c (ledger lookups
 * and the rippled listener), tick.c (the periodic tick) and health.c
 * (/health).
 *
 * Transactions.  Every event is applied to a record loaded from the store
 * and written back, together with the outbox rows its effects produced,
 * in one store transaction: the API's batch transaction for the hooks and
 * the message handlers, a transaction of our own for the cron, ledger
 * replies, transaction outcomes and message replies.  Effects that reach
 * outside the database (a transaction for the submission queue, a rippled
 * request) are kept in memory until that transaction commits, and dropped
 * when it rolls back; the records say what is in flight, so the cron
 * re-queues anything a crash lost (intents are deterministic, and the
 * queue follows an intent its journal already holds instead of building
 * it again).
 *
 * In-memory state (rebuilt after a restart): the builders handed to the
 * submission queue, the ledger lookups and when each channel was last
 * seen, the latest ledger (close time, fee, reserves, our balance), and
 * per account the claim delivery (struct pc_dlv, channel/delivery.h:
 * which claim attempts are out, which claim waits; claims are in-memory
 * outbox messages made from the record after each commit: see to_peer.c)
 * and the best amount the peer acknowledged on the record's channel (a
 * claim the peer did not acknowledge is sent again after claim_resend_ms;
 * a lost acknowledgement costs one repeat, never money).
 *
 * Clocks: the service reads time only through its clock (struct
 * eng_paychan_env, mono_ms/wall_ms).  The channel core's timers are in
 * monotonic seconds (clock_now) and mean nothing in another process:
 * restart_records clears them in every record at start
 * (docs/design.md#timers).
 */
#ifndef XRPSE_SRC_PAYCHAN_SERVICE_H
#define XRPSE_SRC_PAYCHAN_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel/delivery.h"
#include "channel/msg.h"
#include "src/io/clock.h"
#include "src/paychan/paychan.h"
#include "src/store/chanstore.h"
#include "src/util/hex.h"
#include "src/util/map.h"
#include "src/util/rlimit.h"
#define SUB "paychan"
#define HELLO_PENDING INT64_MAX /* a hello is with the outbox */
#define ASK_PENDING INT64_MAX	/* a last_claim is with the outbox */
/* Longest settle delay a peer's hello can make us use: 30 days. */
#define PEER_SETTLE_DELAY_CAP (30u * 24 * 3600)
#define HEXID (2 * CR_CHANNEL_ID_BYTES + 1)

/* B_DCLOSE: a destination's tfClose without a claim, closing a peer's
 * channel we are done with (nothing left to redeem) at once. */
enum build_kind { B_CREATE, B_FUND, B_CLOSE, B_REDEEM, B_DCLOSE };

/* A transaction handed (or about to be handed) to the submission queue:
 * the builder's argument, alive until the intent's outcome. */
struct build {
	struct build *next;
	struct eng_paychan *pc;
	enum build_kind kind;
	bool queued; /* given to xl_submit_enqueue (else: awaiting commit) */
	/* Its transaction committed: builds_flush queues it, and a rollback
	 * of another transaction meanwhile does not drop it. */
	bool committed;
	char intent[XL_INTENT_MAX];
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	uint32_t n; /* the record's counter this intent carries */
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	struct cr_account_id dest;
	struct xl_drops amount;
	uint32_t settle_delay;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	uint8_t pubkey[CR_PUBKEY_BYTES];
	bool close;
	bool priority; /* jumps the queue: a redeem racing an Expiration */
	bool deadline; /* inside its close margin: the deadline fee cap */
};

/* A channel the service watches or looks up.  Its account and direction
 * come from our records (lookup_want); a peer's message only refreshes
 * its own incoming channel or names an id no record of ours has
 * (lookup_peer: then `owned` is false and account is the peer asking). */
struct lookup {
	/* The queue it is in (enum lookup_q), kept by watch.c's lookup_q(). */
	struct lookup *qnext, *qprev;
	int q;
	struct eng_paychan *pc;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	/* The record's account, or the peer's that named it (""
	 * unbound): owned, or watch.c's shared empty string (lookup_bind). */
	char *account;
	bool incoming;
	bool owned;	 /* account and direction are from our records */
	bool wanted;	 /* a request should go out */
	bool inflight;	 /* a request is out */
	bool waited;	 /* owned, and a peer's message awaits the answer */
	bool peer_slot;	 /* out in a peer-named slot (lookups_inflight_peer) */
	bool found;	 /* the last answer showed the channel */
	int64_t seen_ms; /* when the last answer came (0: never) */
	uint32_t ledger; /* validated ledger of the last answer applied */
	/* The newest validated ledger that showed the channel (0: none in
	 * this process): the record's own index may be older, an unchanged
	 * view not being written (effects.c index_only). */
	uint32_t found_at;
	/* The view (but its ledger index) an open incoming record took
	 * from a page, as a digest, while no write of the record came since
	 * (view_sum_drop): a page showing it again needs no record read
	 * (page_views). */
	bool vsum_ok;
	uint32_t vsum_at; /* the ledger of that view */
	uint8_t vsum[32];
	uint32_t
	    asked_at; /* the ledger the request out names (0: "validated") */
	/* The stamp of the page read (a resync's, or a poll round's:
	 * pc->stamps) whose account_channels page gave its view. */
	uint32_t stamp;
};

/* The queues a lookup is in (by its flags, watch.c lookup_q): wanted
 * (ours a message awaits first, then peer-named ones and our polls
 * sharing the slots: watch.c lookups_flush), answered and idle (oldest answer first: forgotten
 * from the head), or none (in flight, or neither).  So that sending the
 * wanted ones and forgetting the idle ones costs what is sent or
 * forgotten, not the number of lookups (docs/design.md#scale). */
enum lookup_q {
	LQ_NONE,
	LQ_WANT_WAIT,
	LQ_WANT_OURS,
	LQ_WANT_PEER,
	LQ_IDLE_OURS,
	LQ_IDLE_PEER,
	LQ_N
};
struct lookup_list {
	struct lookup *head, *tail;
};

/* Log lines a peer can cause at will, one per message: rate-limited per
 * account and kind (docs/risks.md#log-floods). */
enum peer_line {
	LINE_LAST_CLAIM,    /* INFO: the peer asked for its last claim */
	LINE_CLOSE_REQUEST, /* INFO: the peer asked us to close */
	LINE_REFUSED,	    /* UNUSUAL: a claim refused */
	PEER_LINE_KINDS
};
#define PEER_LINE_BURST 5	  /* lines per kind and window */
#define PEER_LINE_WINDOW_MS 10000 /* ...of 10 s */
struct owed_watch;		  /* owed.c */

/* A credit relies on a view younger than VIEW_MAX_AGE_POLLS poll periods
 * (from_peer.c view_too_old).  The polls' round takes longer than one
 * period at many channels (tick.c poll_period), but at most
 * POLL_STRETCH_HALVES half periods, so that a channel's view is still
 * younger than that when the next round shows it. */
#define VIEW_MAX_AGE_POLLS 3
#define POLL_STRETCH_HALVES 5
_Static_assert(POLL_STRETCH_HALVES < 2 * VIEW_MAX_AGE_POLLS,
	       "a stretched poll round must leave views young enough");

/* The walk over our records that spreads the ledger polls (tick.c,
 * poll_tick): outgoing records (phase 0) after account `acct`, then live
 * incoming ones (phase 1) after `id`; done at phase 2. */
struct poll_walk {
	int phase;
	char acct[ENG_STORE_ACCOUNT_MAX + 1];
	uint8_t id[CR_CHANNEL_ID_BYTES];
	bool has_id;
	bool burst; /* everything at once (a resync) */
	/* Skips the lookups whose view a page read gave (lookup.stamp equal,
	 * not 0): the resync's for the walk right after it, else this
	 * walk's own round of pages (pages.c). */
	uint32_t stamp;
	bool paging;	    /* waits for its round of pages (pages.c) */
	int64_t paging_ms;  /* ...since then (monotonic) */
	uint64_t spread_ms; /* what is left of the period to walk over */
	bool done;
	size_t seen;  /* records walked so far */
	size_t total; /* ...in the last whole walk: sets each tick's share */
};

/* The polls' round of account_channels pages (pages.c): one request
 * out at a time, every page of validated ledger `ledger`. */
struct page_round {
	bool busy;	    /* a page request is out */
	uint32_t ledger;    /* the validated ledger every page is read at */
	uint32_t stamp;	    /* lookup.stamp of the views it gave */
	size_t src;	    /* 0: our channels; i > 0: peer i - 1's to us */
	unsigned pages;	    /* read of this source */
	unsigned max_pages; /* ...at most */
	int64_t start_ms;   /* wall ms when the round began */
	json_t *marker;	    /* the last page's (to tell a marker loop) */
};

/* Per account, in memory. */
/* latency.c: what an account's stage histograms wait for.  q: the
 * settlements acknowledged since the last claim handed to the outbox, by
 * batch (a full queue merges into its newest entry), allocated only while
 * some wait (an idle account holds none: 10,000 of them would hold 5 MB);
 * out: the claim attempts out, by delivery seq. */
#define LAT_QUEUE 32
#define LAT_OUT 4
struct lat_batch {
	int64_t us;
	uint32_t n;
};
struct lat_acct {
	uint32_t staged; /* settlements of the open batch */
	bool listed;	 /* in pc->lat_staged */
	uint32_t qn;
	struct lat_batch *q; /* LAT_QUEUE of them while qn > 0, else NULL */
	struct {
		uint64_t seq;
		int64_t us; /* 0: free */
	} out[LAT_OUT];
};

struct acct {
	struct acct *next;
	/* In pc->active: the delivery has something for the end of a
	 * transaction to do (dlv_tx_ended). */
	bool active;
	bool lines_held; /* in pc->held: peer lines were held back */
	/* The claim delivery (to_peer.c): fed in the open transaction
	 * (MADE), at its end, by the outbox's answers and by the tick. */
	struct pc_dlv dlv;
	/* Effects of the tick's TIMER (no NACK), carried out when the
	 * tick's transaction ends. */
	struct pc_dlv_effects later;
	/* The running mean of this account's answered claim attempts'
	 * round trips, in microseconds (0: none yet): the delivery's
	 * adaptive stall (dlv_rtt). */
	uint32_t rtt_us;
	/* The best amount the peer acknowledged on channel best_channel
	 * (has_best), not yet in the record (out_event merges it): it counts
	 * only while that is the record's channel (peer_acked). */
	struct xl_drops peer_best;
	bool has_best;
	uint8_t best_channel[CR_CHANNEL_ID_BYTES];
	/* last_claim: 0 not asked in this process, ASK_PENDING with the
	 * outbox, else when the last unusable answer came. */
	int64_t ask_ms;
	unsigned ask_fails; /* unusable answers in a row: the wait doubles */
	/* When this process first saw the channel recovering (0: not
	 * recovering), and whether the operator was told it lasts. */
	int64_t recover_since_ms;
	bool recover_alerted;
	/* Lookups of ids no record of ours has that this account's messages
	 * named (not `owned`), and the rate of new ones: bounded, so that a
	 * peer naming random ids cannot make us ask rippled without end
	 * (docs/risks.md#random-channel-id-lookup-storms). */
	uint32_t unknown;
	struct xu_rlimit unknown_rate;
	/* When a channel of this account was last closed as destination
	 * (maybe_dclose): the next attempt waits retry_s. */
	int64_t dclose_ms;
	struct xu_rlimit lines[PEER_LINE_KINDS];
	struct lat_acct lat; /* latency.c */
	/* In pc's room queue (room_next its link): a claim of this account
	 * could not leave for want of a free call to the connector
	 * (to_peer.c, eng_paychan_room). */
	bool room_wait;
	struct acct *room_next;
	/* The key of pc->acct_map, its bytes only (one struct a known
	 * account: acct_of). */
	char account[];
};

struct eng_paychan {
	struct xl_rippled *rippled; /* NULL: no ledger */
	struct eng_store *st;
	struct eng_outbox *ob;
	const struct cr_keypair *kp;
	const struct cr_seed *seed; /* NULL: adopted channels cannot sign */
	struct cr_account_id self;
	char address[CR_ADDRESS_STRLEN];
	struct eng_paychan_cfg cfg;
	int64_t (*mono)(void *); /* the clocks of struct eng_paychan_env */
	int64_t (*wall)(void *);
	void *clock_arg;
	struct build *builds;
	size_t builds_unqueued;	  /* of builds: not queued (tx.c) */
	struct xu_map build_map;  /* of builds, by intent (tx.c) */
	struct xu_map lookup_map; /* struct lookup by id */
	struct lookup_list lq[LQ_N];
	uint32_t lookups_inflight;	/* ledger_entry requests out */
	uint32_t lookups_inflight_peer; /* of which ids only a peer named */
	/* Our polls' answers that showed the channel, to be applied
	 * together (watch.c, eng_paychan_views_flush). */
	struct view_wait *views;
	size_t nviews;
	struct hist *hists; /* history.c: searches for ended channels */
	struct acct *accts;
	struct xu_map acct_map; /* struct acct by account */
	/* Accounts whose delivery hears of a transaction's end (acct.active:
	 * not IDLE, or with a claim made or effects left for it), and those
	 * with peer lines held back (acct.lines_held): per-commit and
	 * per-tick work over these, not over every account. */
	struct acct **active;
	size_t nactive, capactive;
	unsigned active_depth; /* dlv_tx_ended calls under way */
	bool active_lost;      /* out of memory: pc->active may miss some */
	/* Accounts whose claim waits for a free call (acct.room_wait), first
	 * come first: eng_paychan_room sends them as calls end. */
	struct acct *room_head, *room_tail;
	size_t room_n;
	struct acct **held;
	size_t nheld, capheld;
	bool held_lost; /* out of memory: pc->held may miss some */
	bool enqueued;	/* outbox rows written: tick the outbox after commit */
	/* The latest validated ledger: its close time, and when (mono_ms)
	 * rippled last told us one (0: not in this process). */
	uint32_t ledger_time;
	int64_t ledger_seen_ms;
	struct xl_drops fee, reserve_base, reserve_inc;
	bool have_acct;
	struct xl_drops balance;
	uint32_t owner_count;
	bool acct_dirty, acct_inflight, want_acct;
	int64_t last_tick_ms, last_poll_ms, last_prune_ms;
	struct poll_walk poll; /* tick.c: the ledger polls' walk */
	/* Page reads (a resync's in on_ready, the polls' rounds in pages.c)
	 * in this process, and the stamp of the last resync whose pages gave
	 * views (0: none pending): the poll walk that follows skips the
	 * lookups seen then (lookup.stamp). */
	uint32_t stamps, resync_fresh;
	struct page_round pages; /* pages.c: the polls' account_channels */
	bool peers_full; /* ledger_peer: the client's peer limit was met */
	/* tick.c: the timer's round over the records due at its start,
	 * in slices (tick_slice a table, a transaction each); active while
	 * a slice left some. */
	struct {
		bool active;
		int64_t due_ms; /* the records due at this wall time */
		struct eng_chan_due_at out_at, in_at;
		bool out_done, in_done;
	} round;
	int64_t sweep_ms;     /* tick.c: mono ms of the last full sweep */
	bool swept;	      /* ...by this process (false: sweep next) */
	bool requeued;	      /* in-flight intents re-queued after start */
	bool missing_checked; /* every open account has a pairing record */
	/* Accounts settled in the open batch, paid at its end. */
	char (*dirty)[ENG_STORE_ACCOUNT_MAX + 1];
	size_t ndirty, capdirty;
	struct eng_paychan_stats stats;
	struct owed_watch *owed; /* owed.c: per account with unpaid drops */
	struct xu_map owed_map;	 /* ...by account (once owed_map_ready) */
	bool owed_map_ready;
	bool owed_seeded;	/* owed.c: the first tick's ages were read */
	int64_t ledger_wall_ms; /* wall ms of the last validated ledger */
	/* latency.c: the clock, the accounts settled in the open batch,
	 * when the peer message being handled was read (eng_paychan_
	 * message_read) and the claim being handled (0: none), and the
	 * credits that claims queued, by outbox row id (a ring). */
	int64_t (*mono_us)(void *);
	struct acct **lat_staged;
	size_t lat_nstaged, lat_capstaged;
	int64_t lat_msg_us, lat_rx_us;
	struct lat_credit *lat_credits;
	size_t lat_head, lat_ncredits;
};

/* ---- small helpers ---------------------------------------------------- */

/* The service's monotonic and wall clocks, in milliseconds. */
static inline int64_t mono_ms(const struct eng_paychan *pc)
{
	return pc->mono(pc->clock_arg);
}

static inline int64_t wall_ms(const struct eng_paychan *pc)
{
	return pc->wall(pc->clock_arg);
}

/* The channel core's clock: monotonic seconds (valid in this process
 * only) and the last validated ledger's close time. */
static inline struct pc_clock clock_now(const struct eng_paychan *pc)
{
	int64_t ms = mono_ms(pc);
	struct pc_clock c = {.now = ms > 0 ? (uint64_t)(ms / 1000) : 0,
			     .ledger_time = pc->ledger_time};

	return c;
}

/* Whether ledger_time can be trusted for a deadline (a claim's "closes
 * too soon", a redeem's "expired"): rippled told it in this process, at
 * most LEDGER_FRESH_MS ago.  After a start it is unknown, after an outage
 * it is the ledger from before it
 * (docs/risks.md#stale-ledger-time-after-a-restart-or-an-outage). */
#define LEDGER_FRESH_MS 120000
static inline bool ledger_fresh(const struct eng_paychan *pc)
{
	int64_t age = mono_ms(pc) - pc->ledger_seen_ms;

	return pc->ledger_time != 0 && pc->ledger_seen_ms != 0 && age >= 0 &&
	       age <= LEDGER_FRESH_MS;
}

static inline void hexid(char out[HEXID], const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	xu_hex_encode(out, HEXID, id, CR_CHANNEL_ID_BYTES);
}

static inline unsigned long long u(struct xl_drops d)
{
	return (unsigned long long)xl_drops_u64(d);
}

/* ---- service.c: the state and our own transactions -------------------- */

/* The in-memory state of account (struct acct), made zeroed on first use.
 * Returns it (borrowed: lives as long as pc), or NULL when out of memory. */
struct acct *acct_of(struct eng_paychan *pc, const char *account);
/* Adds a to *v (n of cap) when its flag *in is false, and sets the flag.
 * False when out of memory (a is not added). */
bool acct_set_add(struct acct ***v, size_t *n, size_t *cap, struct acct *a,
		  bool *in);
/* Opens a transaction of our own (the cron, ledger replies, outcomes,
 * message answers).  Returns XU_OK, XU_EINTERNAL when one is already
 * open, or the store's code. */
enum xu_code tx_begin(struct eng_paychan *pc, struct xu_err *err);
/* Commits our own transaction, or rolls it back when rc (or the commit)
 * is not XU_OK: then the deferred work is dropped and the failure of
 * `what` logged BROKEN; else after_commit() runs it.  Returns whether it
 * committed. */
bool tx_end(struct eng_paychan *pc, enum xu_code rc, struct xu_err *err,
	    const char *what);
/* After a commit: hands the new builds to the submission queue, sends
 * the wanted lookups and the claims made due, and ticks the outbox when
 * rows were written. */
void after_commit(struct eng_paychan *pc);

/* ---- to_peer.c: messages to the peer ----------------------------------- */

/* Fills *m as our hello of type (PC_MSG_HELLO or PC_MSG_HELLO_REPLY),
 * naming o's channel when o (may be NULL) has one. */
void hello_of(struct eng_paychan *pc, struct pc_msg *m, enum pc_msg_type type,
	      const struct eng_chan_out *o);
/* Inside a transaction: a hello to p's account as an outbox row; p counts
 * the attempt, is marked pending (HELLO_PENDING) and is written back.
 * Returns XU_OK or a 300s code. */
enum xu_code queue_hello(struct eng_paychan *pc, struct eng_chan_peer *p,
			 struct xu_err *err);
/* Whether a transaction's end is nothing to a's delivery: IDLE with no
 * claim made and no effects left (COMMITTED and ROLLED_BACK change
 * nothing then, channel/delivery.c on_committed). */
bool dlv_quiet(const struct acct *a);
/* In the open transaction: o's claim (o->claim_amount) is to be sent
 * once the transaction commits (dropped when it rolls back): PC_DLV_EV_MADE
 * of o's account. */
void dlv_made(struct eng_paychan *pc, const struct eng_chan_out *o);
/* PC_FX_SIGN_AND_SEND_CLAIM: o->claim_amount is new; clears o's signature
 * (made when the claim is sent) and sends it after the commit. */
void new_claim(struct eng_paychan *pc, struct eng_chan_out *o);
/* Outside any transaction: steps a's delivery with ev and carries out its
 * effects (the claim sends; never a NACK). */
void dlv_step(struct eng_paychan *pc, struct acct *a,
	      const struct pc_dlv_event *ev);
/* After our transaction or the engine's batch ended (committed or rolled
 * back), outside it: every account's delivery hears of it, after the
 * effects its tick's TIMER left in a->later went. */
void dlv_tx_ended(struct eng_paychan *pc, bool committed);
/* An attempt of a's was answered after us microseconds: the running mean
 * moves 1/8 of the way, and the delivery's stall follows it
 * (pc_dlv_stall_for, claim_stall_ms the ceiling). */
void dlv_rtt(struct eng_paychan *pc, struct acct *a, uint64_t us);
/* Inside the tick's transaction: PC_DLV_EV_TIMER of a (unacked: the record
 * holds a claim above what the peer acknowledged).  Keeps the sends for
 * dlv_tx_ended; returns whether the channel core is to hear
 * PC_EV_CLAIM_NACK now. */
bool dlv_timer(struct eng_paychan *pc, struct acct *a, bool unacked,
	       int64_t now_ms);
/* Whether attempt seq of a's claims is out (its answer is awaited). */
bool dlv_is_out(const struct acct *a, uint64_t seq);
/* Inside a transaction: a message of type t naming channel id
 * (channel_update, close_request, last_claim) to account as an outbox
 * row.  Returns XU_OK or a 300s code. */
/* The public key claims on o's channel verify with: its own key when it
 * has one (an adopted channel), else our account key. */
const uint8_t *chan_pubkey(const struct eng_paychan *pc,
			   const struct eng_chan_out *o);
/* The key pair that signs claims on o's channel into *kp (wiped by the
 * caller with cr_keypair_clear): our account's, or the adopted channel's
 * own key derived from the seed by o->signer (checked against the
 * record's key).  Returns XU_OK, or XU_EINVAL (no seed, an unknown
 * derivation, a derived key that is not the channel's) or XU_EINTERNAL.
 * The key is never logged. */
enum xu_code chan_signer(const struct eng_paychan *pc,
			 const struct eng_chan_out *o, struct cr_keypair *kp,
			 struct xu_err *err) XU_WARN_UNUSED;

enum xu_code send_channel_msg(struct eng_paychan *pc, const char *account,
			      enum pc_msg_type t,
			      const uint8_t id[CR_CHANNEL_ID_BYTES],
			      struct xu_err *err);
/* Inside a transaction: asks the peer which claim of ours on o's channel
 * it holds (a recovery), unless a question is already with the outbox.
 * Returns XU_OK or a 300s code. */
enum xu_code send_last_claim(struct eng_paychan *pc,
			     const struct eng_chan_out *o, struct xu_err *err);

/* ---- tx.c: builds for the submission queue ----------------------------- */

/* Adds a build of kind k awaiting commit, for account's record counter n
 * (channel: NULL for a create); the caller fills the rest.  Returns it
 * (owned by pc), or NULL when out of memory or a build with that intent
 * exists (then nothing is added). */
struct build *build_add(struct eng_paychan *pc, enum build_kind k,
			const char *account, uint32_t n,
			const uint8_t *channel);
/* After a commit: hands every build awaiting commit to the queue (one it
 * refuses is dropped).  Safe when the queue delivers an outcome from inside
 * xl_submit_enqueue (the outcome frees that build and may run, commit and
 * flush transactions of its own). */
void builds_flush(struct eng_paychan *pc);
/* After a rollback: drops the builds of the rolled-back transaction (not
 * queued, not committed). */
void builds_drop_unqueued(struct eng_paychan *pc);
/* Whether a redeem of ch races its end: an Expiration or CancelAfter
 * within PC_DEADLINE_MARGINS close margins of the ledger time (or past
 * it), when the queue may pay up to the deadline fee cap
 * (docs/risks.md#fee-spikes-blocking-deadline-redeems). */
bool redeem_deadline(const struct eng_paychan *pc, const struct pc_in *ch);

/* ---- watch.c: the ledger ----------------------------------------------- */

/* The lookup of channel id, or NULL when the service has none. */
struct lookup *lookup_of(struct eng_paychan *pc,
			 const uint8_t id[CR_CHANNEL_ID_BYTES]);
/* Asks for a look at channel id (sent by lookups_flush, outside
 * transactions) for account's record (incoming: the peer's channel to
 * us), which sets the lookup's account and direction: for our records
 * only, never for a peer's message (lookup_peer).  Returns the lookup,
 * or NULL when out of memory. */
struct lookup *lookup_want(struct eng_paychan *pc,
			   const uint8_t id[CR_CHANNEL_ID_BYTES],
			   const char *account, bool incoming);
/* Frees l and its account (l in no map or queue any more). */
void lookup_destroy(struct lookup *l);
/* Inside a transaction: the peer of account names channel id in a
 * message (hello, claim, channel_update) and wants it looked at.  Our
 * records decide, never the message: an incoming record of account's is
 * looked up again; our outgoing channel (or a lookup of our records),
 * and another account's incoming record, are left alone (*refused); an
 * id none of our records has gets a lookup bound to account (a record
 * is linked only on a view showing the channel from account's peer to
 * us), unless a lookup bound to another account awaits its answer (then
 * nothing is done, and the peer may ask again).  Returns XU_OK or the
 * store's code. */
enum xu_code lookup_peer(struct eng_paychan *pc,
			 const uint8_t id[CR_CHANNEL_ID_BYTES],
			 const char *account, bool *refused,
			 struct xu_err *err);
/* Outside transactions: sends the wanted lookups (and account_info) when
 * the rippled client is ready, those of our records first, at most
 * LOOKUPS_INFLIGHT_MAX out at a time. */
void lookups_flush(struct eng_paychan *pc);
/* Forgets idle lookups (answered long enough ago) at wall time now. */
void lookups_prune(struct eng_paychan *pc, int64_t now);
/* addr pays us on channels of ours: the rippled client reads its channels
 * to us with every resync from the next one on (account_channels pages,
 * one address once however many accounts share it; beyond the client's
 * peer limit they are polled, said once). */
void ledger_peer(struct eng_paychan *pc, const struct cr_account_id *addr);

/* ---- history.c: what an ended channel paid ----------------------------- */

/* o's record keeps an ended channel (o->ch.has_ended): starts searching
 * the ledger's history for its deletion, unless a search for it is under
 * way.  Nothing is sent before hist_flush. */
void hist_want(struct eng_paychan *pc, const struct eng_chan_out *o);
/* Outside transactions: sends the searches due (account_tx pages) when
 * the rippled client is ready, and forgets the finished ones. */
void hist_flush(struct eng_paychan *pc);
/* Frees every search (at the service's end: callbacks are dropped). */
void hist_free_all(struct eng_paychan *pc);
/* Whether there is a rippled client and it is READY. */
bool rippled_ready(struct eng_paychan *pc);
/* Channel id's record was written: the view digest of its lookup no
 * longer says what the record holds (struct lookup vsum). */
void view_sum_drop(struct eng_paychan *pc,
		   const uint8_t id[CR_CHANNEL_ID_BYTES]);
/* The rippled client (NULL: none configured). */
struct xl_client *ledger_client(struct eng_paychan *pc);
/* Applies the validated views of account_channels entries (all of the
 * validated ledger `ledger`, or, when it is 0, each tagged with its
 * page's validated "ledger_index": the resync's; our channels, or the
 * peers' to us when `incoming`) to the records that have their channels,
 * in one transaction, as answers to their lookups (never GONE; seen at
 * read_ms, the wall ms when the page's ledger was the newest), and
 * stamps each lookup whose view a record took with `stamp`, but those
 * asked for already, which still go out.  Returns how many views were
 * applied. */
size_t page_views(struct eng_paychan *pc, json_t *entries, uint32_t ledger,
		  bool incoming, uint32_t stamp, int64_t read_ms);

/* pages.c: starts the polls' round of account_channels pages at the
 * newest validated ledger; `expect` is how many channels the last walk
 * saw (it bounds the pages).  False when none could start (the walk
 * then asks every channel). */
bool pages_start(struct eng_paychan *pc, size_t expect);
/* Lets go of what a round holds (at the service's end). */
void pages_free(struct eng_paychan *pc);
/* Registers the rippled client listener (pc->rippled not NULL): the
 * latest ledger, our account, transactions touching us.  Returns XU_OK
 * or the client's code. */
enum xu_code register_listener(struct eng_paychan *pc, struct xu_err *err);

/* ---- tick.c: the due index -------------------------------------------- */

/* Due times (wall ms) of a record for the tick (src/store/chanstore.h,
 * docs/design.md#the-due-index): DUE_NOW, the next tick looks at it;
 * DUE_NEVER, only a write or a sweep brings it back. */
#define DUE_NOW 0
#define DUE_NEVER INT64_MAX
/* When the tick must next look at the outgoing record o, or at the
 * incoming record r, as they stand, with wall time now_ms: DUE_NOW, a
 * time after now_ms, or DUE_NEVER.  The tick gives them to the records
 * it looked at, and the writers of effects.c to the records they write
 * (the writer's due). */
int64_t out_next_due(struct eng_paychan *pc, const struct eng_chan_out *o,
		     int64_t now_ms);
int64_t in_next_due(struct eng_paychan *pc, const struct eng_chan_in *r,
		    int64_t now_ms);

/* ---- effects.c: applying events ---------------------------------------- */

/* PC_EV_ACCOUNT from the latest account_info and ledger. */
struct pc_event account_event(const struct eng_paychan *pc);
/* Applies ev to the outgoing record o and carries out its effects; o is
 * written back when it changed.  A refusal by the core (outside input) is
 * logged and changes nothing.  Returns XU_OK or a 300s code. */
enum xu_code out_event(struct eng_paychan *pc, struct eng_chan_out *o,
		       const struct pc_event *ev, struct xu_err *err);
/* Applies ev to the incoming record r and carries out its effects, as
 * out_event.  A refusal by the core changes nothing and is returned, its
 * reason in *why (why may be NULL), for the caller to report.  Returns
 * XU_OK, the refusal's code, or a 300s code. */
enum xu_code in_event(struct eng_paychan *pc, struct eng_chan_in *r,
		      const struct pc_event *ev, enum pc_reject *why,
		      struct xu_err *err);
/* Inside a transaction, on a record being deleted (CLOSING, deleting):
 * when nothing is left to redeem, nothing is in flight and the owner is
 * not closing the channel already, a build closing it as its destination
 * (B_DCLOSE, numbered with the record's redeem counter, which r counts
 * and is written back with).  Again after a failure, retry_s later (the
 * tick).  Returns XU_OK or the store's code. */
enum xu_code maybe_dclose(struct eng_paychan *pc, struct eng_chan_in *r,
			  struct xu_err *err);
/* Loads account's outgoing record into *o, starting (and writing) one
 * for a paired account; *have tells whether there is one.  Returns XU_OK
 * or a 300s code. */
enum xu_code out_load(struct eng_paychan *pc, const char *account,
		      struct eng_chan_out *o, bool *have, struct xu_err *err);
/* Moves account's owed drops into its outgoing channel (PC_EV_SETTLE);
 * an unpaired account keeps them.  Returns XU_OK or a 300s code. */
enum xu_code feed_owed(struct eng_paychan *pc, const char *account,
		       struct xu_err *err);

/* ---- latency.c: the stages of a settlement's latency -------------------- */

/* A settlement of account acknowledged in the open batch. */
void lat_settled(struct eng_paychan *pc, const char *account);
/* The batch ended: its settlements count as acknowledged now (committed)
 * or are forgotten. */
void lat_batch_done(struct eng_paychan *pc, bool committed);
/* Claim attempt seq of a left for the outbox: the settlements waiting
 * for a claim are handed over. */
void lat_claim_sent(struct eng_paychan *pc, struct acct *a, uint64_t seq);
/* Claim attempt seq of a ended; replied: with the peer's claim_reply.
 * Returns the attempt's round trip in microseconds when it was replied
 * to and timed, else 0. */
uint64_t lat_claim_ended(struct eng_paychan *pc, struct acct *a, uint64_t seq,
			 bool replied);
/* While a peer's claim is handled (pc->lat_rx_us set): it queued the
 * credit of outbox row id. */
void lat_credit_queued(struct eng_paychan *pc, int64_t id);
/* The credit of outbox row id ended with status. */
void lat_credit_ended(struct eng_paychan *pc, int64_t id, int status);
/* When the peer message being handled was read (now when unknown). */
int64_t lat_read_at(struct eng_paychan *pc);
void lat_free(struct eng_paychan *pc);

/* ---- from_peer.c and answers.c: the peer's messages and answers -------- */

/* Stores the peer's hello (or hello_reply) m of account and starts its
 * outgoing record.  Returns XU_OK, a 100s code for a hello we refuse
 * (our own address; an address change under an open channel), or a 300s
 * code. */
enum xu_code store_hello(struct eng_paychan *pc, const char *account,
			 const struct pc_msg *m, struct xu_err *err);
/* Registers the handlers of the peer's message types with msgs. */
void register_handlers(struct eng_paychan *pc, struct eng_msgs *msgs);
/* From the tick: for each account and kind of peer_line whose limit has
 * lifted, one line with the count of lines not logged. */
void peer_lines_flush(struct eng_paychan *pc);
/* Registers for the outbox's answers to our hello, claim and last_claim
 * messages. */
void register_answers(struct eng_paychan *pc);
/* The best amount the peer acknowledged on o's channel (zero when o has
 * none): o's persisted peer_best, or a's when a (may be NULL) holds a
 * higher one about that same channel.  An answer about any other channel
 * never counts: see docs/risks.md
 * #late-claim_reply-raising-peer_best-of-a-new-channel. */
struct xl_drops peer_acked(const struct acct *a, const struct eng_chan_out *o);
/* Makes a's in-memory acknowledged amount o's (after o changed): the
 * record's channel and its peer_best. */
void peer_best_sync(struct acct *a, const struct eng_chan_out *o);

/* ---- owed.c: the owed alert ------------------------------------------- */

/* Outside transactions, every tick: reads the unpaid drops of the
 * accounts that have some (eng_chan_out_unpaid, the store's owed totals),
 * ages them and logs an owed alert starting or ending. */
void owed_tick(struct eng_paychan *pc);
/* Frees the per-account state of owed_tick. */
void owed_free(struct eng_paychan *pc);

#endif /* XRPSE_SRC_PAYCHAN_SERVICE_H */
