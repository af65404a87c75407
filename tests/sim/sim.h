/* The deterministic simulation of two engines (tests/sim/README.md): the
 * world they share, the parts that replace their collaborators at link
 * time, and the hooks between those parts.
 *
 *   sim.c        seeds, the operation mix, invariants, reports, forking
 *   world.c      the event queue, the simulated clocks, the PRNG, the trace
 *                and the log sink (xu_log*, eng_wall_ms, eng_mono_*)
 *   engine.c     one engine: its store, its payment-channel service, its
 *                crashes and restarts, and its API jobs (settlements,
 *                accounts, peer messages) run in group-commit batches
 *   ledger.c     the simulated XRP Ledger and its rippled server, the
 *                engine's rippled client and submission queue (xl_*)
 *   connector.c  the connector pair and the engine's outbox (eng_outbox_*)
 *
 * Everything runs on one thread and reads no real clock or randomness:
 * the same seed gives the same run, byte for byte. */
#ifndef XRPSE_TESTS_SIM_H
#define XRPSE_TESTS_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/claim.h"
#include "crypto/keys.h"
#include "ledger/net/rippled.h"
#include "ledger/tx.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/quantity.h"

#define SIM_NENG 2
#define SIM_ALICE 0
#define SIM_BOB 1
#define SIM_TRACE_STEPS 200
#define SIM_FEE_MAX 1000 /* the queue's fee cap (XL_RIPPLED_DEFAULT_FEE_MAX) */
/* A deadline intent's cap (XL_RIPPLED_DEFAULT_DEADLINE_FEE_MAX). */
#define SIM_DEADLINE_FEE_MAX 10000
#define SIM_LLS_OFFSET 20
#define SIM_MAX_ATTEMPTS 3
#define SIM_RESUBMIT_EVERY 3 /* ledger/net/submit.c's RESUBMIT_EVERY */
#define SIM_RIPPLE_EPOCH 946684800LL
#define SIM_HTTP_TIMEOUT_MS 30000
#define SIM_XRP 1000000ULL

/* ---- PRNG: xoshiro256** seeded with splitmix64 ------------------------ */

struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n) (0 when n is 0). */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [lo, hi]. */
int64_t sim_rng_range(struct sim_rng *r, int64_t lo, int64_t hi);
/* True with probability ppm / 10^6. */
bool sim_rng_ppm(struct sim_rng *r, uint32_t ppm);

/* ---- the swarm: what one seed turns on ----------------------------------*/

struct sim_knobs {
	/* connector pair */
	uint32_t msg_loss_ppm, msg_dup_ppm, late_reply_ppm, timeout_reply_ppm;
	uint32_t connector_5xx_ppm;
	/* a claim attempt finds every call to the connector taken (the
	 * outbox refuses it, XU_EUNAVAIL) */
	uint32_t outbox_full_ppm;
	int64_t msg_delay_max_ms;
	/* ledger */
	uint32_t tx_lost_ppm, lag_ppm, req_loss_ppm;
	/* operation classes */
	bool ops_delete, ops_crash, ops_reboot, ops_owner_close, ops_warp;
	bool ops_fee_spike, ops_outage, ops_drain, ops_lie, ops_rekey;
	bool ops_expire, ops_dest_close;
};

/* ---- the world's shared types ------------------------------------------*/

struct sim;
struct sim_engine;

typedef void (*sim_event_fn)(struct sim *w, void *arg);

/* An interval during which an engine could not reach the ledger (down,
 * disconnected, or a fee above its cap). */
struct sim_gap {
	int64_t from, to; /* to: INT64_MAX while open */
};

/* A settlement the payer's connector asks for until answered. */
struct sim_settle_req {
	char key[40];
	struct eng_quantity q;
	int engine;
	bool done;	/* answered 201 or 404: the connector stops */
	bool inflight;	/* a request is with the engine */
	uint64_t drops; /* NEW: what the engine added to owed */
};

/* The payee's connector's books: one entry per Idempotency-Key. */
struct sim_credit {
	char key[PC_KEY_STRLEN];
	char account[8];
	uint64_t drops;
};

/* A ledger channel the invariants follow. */
struct sim_chan {
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct cr_account_id src, dst;
	int src_eng, dst_eng; /* -1: no engine (a retired key) */
	uint64_t amount, balance;
	uint32_t settle_delay;
	bool has_exp, has_cancel;
	uint32_t exp, cancel_after;
	struct cr_pubkey pk;
	bool exists;
	/* The view a lagging server still shows (the state before the last
	 * change), and whether it existed then. */
	bool prev_exists;
	uint64_t prev_amount, prev_balance;
	bool prev_has_exp;
	uint32_t prev_exp;
	uint32_t changed_index; /* the ledger of its last change */
	/* Invariant bookkeeping. */
	uint64_t max_claim;	  /* largest claim seen on the wire */
	uint64_t max_acked;	  /* largest amount the payee's answers
				     (claim_reply, last_claim_reply) told
				     the payer it held */
	int64_t unredeemed_since; /* the payee has held an unredeemed claim
				     on it, closing, with nothing in
				     flight, since (0: not so) */
	int64_t exp_set_ms;	  /* sim time the Expiration appeared */
	int64_t last_claim_ms;	  /* last claim delivered to the payee */
	int64_t deleted_ms;	  /* 0: not deleted */
	uint32_t deleted_index;	  /* the ledger that deleted it */
	uint64_t final_balance;	  /* its Balance then (FinalFields) */
	bool loss_checked;
	bool expired_deleted; /* deleted by a tx that found it expired */
};

struct sim_account {
	struct cr_account_id id;
	char addr[CR_ADDRESS_STRLEN];
	uint64_t balance;
	uint32_t owners, seq;
};

/* A transaction waiting in the ledger's pool. */
struct sim_pooltx {
	struct sim_pooltx *next;
	int engine; /* -1: an operator's (no queue, no Sequence) */
	char intent[XL_INTENT_MAX];
	struct xl_tx tx;
};

/* One intent of an engine's submission queue, as its journal keeps it
 * (persisted: survives crashes). */
struct sim_jrow {
	struct sim_jrow *next;
	char intent[XL_INTENT_MAX];
	bool final;
	bool undelivered; /* final, not yet handed to the service */
	struct xl_tx tx;
	uint32_t attempts;
	uint32_t sent_at; /* ledger index when tx was last sent */
	/* final outcome */
	enum xl_outcome_kind kind;
	char result[40];
	json_t *meta;
	uint32_t ledger_index, sequence;
};

/* An intent handed to the queue by this process (memory only). */
struct sim_qitem {
	struct sim_qitem *next;
	char intent[XL_INTENT_MAX];
	bool priority;
	bool deadline; /* its fee cap is SIM_DEADLINE_FEE_MAX */
	xl_build_fn build;
	void *arg;
	bool submitted; /* its journal row exists */
};

/* A ledger request in flight. */
struct sim_req {
	int engine;
	uint32_t inc, conn;
	json_t *req;
	xl_ws_reply_fn cb;
	void *arg;
	bool done;
};

/* An in-memory latest-wins message (claims), as the outbox keeps it. */
struct sim_lw {
	struct sim_lw *next;
	char account[8];
	uint8_t *body; /* the latest claim, sent again by a retry */
	size_t len;
};

/* A job of an engine's API batch. */
enum sim_job_kind {
	SIM_JOB_SETTLE,
	SIM_JOB_ACCOUNT_CREATE,
	SIM_JOB_ACCOUNT_DELETE,
	SIM_JOB_MESSAGE,
};

struct sim_attempt;

struct sim_job {
	struct sim_job *next;
	enum sim_job_kind kind;
	char account[8];
	struct sim_settle_req *settle; /* SETTLE */
	struct sim_attempt *att;       /* MESSAGE: the sender's attempt */
	uint8_t *body;		       /* MESSAGE: a copy (a duplicate) */
	size_t len;
	bool dup; /* a duplicate delivery: its answer is dropped */
};

#define SIM_PEERS_MAX 8
struct sim_engine {
	int idx;
	const char *name;
	char acct[8]; /* the engine's account for its peer */
	char path[256];
	struct cr_keypair kp;
	struct cr_account_id id;
	char addr[CR_ADDRESS_STRLEN];
	uint32_t keygen; /* re-keys so far */
	struct eng_paychan_cfg cfg;
	struct eng_store *store;
	struct eng_paychan *pc;
	struct eng_msgs msgs;
	bool up;
	uint32_t inc; /* incarnation: events of older ones are void */
	int64_t down_until;
	bool reboot_pending;
	/* clocks */
	int64_t mono_base, boot_ms, wall_skew;
	/* rippled client */
	enum xl_client_state cstate;
	bool has_listener;
	struct xl_client_listener listener;
	int64_t outage_until;
	uint32_t conn_epoch; /* bumped by every drop */
	/* The peer addresses the service named (xl_client_add_peer): their
	 * channels to it are in its polls' account_channels pages. */
	char peers[SIM_PEERS_MAX][CR_ADDRESS_STRLEN];
	size_t npeers;
	unsigned unreach; /* SIM_UNREACH_* bits */
	/* submission queue (memory) and journal (persisted) */
	struct sim_qitem *queue;
	struct sim_jrow *journal;
	uint32_t next_seq;
	bool queue_kicked;
	/* outbox (memory) */
	eng_outbox_reply_fn reply_fn[ENG_OUTBOX_REPLY_MAX];
	void *reply_arg[ENG_OUTBOX_REPLY_MAX];
	const char *reply_tag[ENG_OUTBOX_REPLY_MAX];
	unsigned nreplies;
	int64_t *rows_inflight;
	size_t nrows_inflight, caprows_inflight;
	struct sim_lw *lw;
	uint64_t lw_seq;
	bool pump_kicked;
	/* API batch */
	struct sim_job *jobs, **jobs_tail;
	bool batch_armed;
	/* books: what the payer's connector had settled (NEW), in drops */
	uint64_t settled_drops;
	bool account_open;  /* the connector's view of acct */
	int64_t owed_since; /* owed waits with no live channel (owed-paid) */
	bool drained;
	/* reachability gaps, for the expiry invariant */
	struct sim_gap *gaps;
	size_t ngaps, capgaps;
	/* drops signed on the channels of a store given up (re-keyed) */
	uint64_t signed_carry;
	uint64_t brokens; /* BROKEN log lines */
};

struct sim_ledger {
	uint32_t index;
	uint32_t close_time, parent_close;
	uint64_t fee_base, load, reserve_base, reserve_inc;
	struct sim_account *accts;
	size_t naccts, capaccts;
	struct sim_chan *chans;
	size_t nchans, capchans;
	struct sim_pooltx *pool;
	int64_t spike_until;
};

struct sim_heap_item {
	int64_t at;
	uint64_t seq;
	sim_event_fn fn;
	void *arg;
};

struct sim {
	uint64_t seed;
	struct sim_rng rng;
	struct sim_rng full_rng; /* the outbox's refusals (outbox_full_ppm) */
	struct sim_knobs k;
	int64_t now, t0;
	uint64_t step;
	struct sim_heap_item *heap;
	size_t nheap, capheap;
	uint64_t evseq;
	bool coarse; /* a time warp: slow cadence for ticks and closes */
	bool quiet;  /* the end: no faults */
	bool ending; /* the run is over: events only free their arguments */
	struct sim_engine e[SIM_NENG];
	struct sim_engine *cur; /* whose code runs (its clocks) */
	struct sim_ledger L;
	/* the payee connectors' books */
	struct sim_credit *credits[SIM_NENG];
	size_t ncredits[SIM_NENG], capcredits[SIM_NENG];
	uint64_t credited[SIM_NENG]; /* by engine crediting */
	/* settlement requests the connectors keep asking */
	struct sim_settle_req **settles;
	size_t nsettles, capsettles;
	uint64_t next_key;
	char dir[200];
	/* failure */
	bool failed;
	char fail_inv[64];
	char fail_msg[600];
	int64_t fail_ms;
	uint64_t fail_step;
	int verbose;
};

extern struct sim *g_sim;

/* ---- world.c -----------------------------------------------------------*/

void sim_at(struct sim *w, int64_t at, sim_event_fn fn, void *arg);
/* Runs every event due at or before t, moving the clock along. */
void sim_run_until(struct sim *w, int64_t t);
void sim_heap_free(struct sim *w);
/* Enters engine e's code (its clocks); returns the previous one. */
struct sim_engine *sim_enter(struct sim_engine *e);
void sim_leave(struct sim_engine *prev);
/* Seconds since the run started, for the trace. */
void sim_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_trace_dump(int fd, uint64_t from_step);
void sim_trace_reset(void);
/* Writes the pending "same line N more times" notes. */
void sim_log_flush(void);
/* Records an invariant failure (the first one wins). */
void sim_fail(const char *inv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
uint32_t sim_ledger_now(const struct sim *w);
/* Why an engine cannot reach the ledger (bits of sim_unreach). */
#define SIM_UNREACH_DOWN 1u
#define SIM_UNREACH_OUTAGE 2u
#define SIM_UNREACH_SPIKE 4u
#define SIM_UNREACH_CONNECTING 8u
void sim_unreach(struct sim_engine *e, unsigned bit, bool on);
bool sim_gap_overlaps(const struct sim_engine *e, int64_t from, int64_t to);

/* ---- engine.c ----------------------------------------------------------*/

void sim_engine_setup(struct sim *w, struct sim_engine *e, int idx);
void sim_engine_start(struct sim *w, struct sim_engine *e);
void sim_engine_crash(struct sim *w, struct sim_engine *e, bool reboot);
void sim_engine_destroy(struct sim *w, struct sim_engine *e);
void sim_engine_rekey(struct sim *w, struct sim_engine *e);
struct sim_engine *sim_engine_of_store(struct eng_store *s);
struct sim_engine *sim_engine_peer(struct sim_engine *e);
void sim_job_submit(struct sim *w, struct sim_engine *e, struct sim_job *j);
void sim_settle_request(struct sim *w, struct sim_settle_req *r);

/* ---- ledger.c ----------------------------------------------------------*/

void sim_ledger_init(struct sim *w);
void sim_ledger_free(struct sim *w);
struct sim_account *sim_account_of(struct sim *w,
				   const struct cr_account_id *id);
struct sim_account *sim_account_add(struct sim *w,
				    const struct cr_account_id *id,
				    uint64_t balance);
struct sim_chan *sim_chan_of(struct sim *w, const uint8_t id[32]);
void sim_ledger_close(struct sim *w, void *arg);
/* The rippled connection of e dropped (until until) or came back. */
void sim_client_drop(struct sim *w, struct sim_engine *e, int64_t until);
void sim_client_connect(struct sim *w, struct sim_engine *e);
void sim_queue_crash(struct sim *w, struct sim_engine *e);
void sim_queue_kick(struct sim *w, struct sim_engine *e);
/* An operator's transaction (no queue): applied at the next close. */
void sim_operator_tx(struct sim *w, int engine, const struct xl_tx *tx);
void sim_journal_free(struct sim_engine *e);
int sim_engine_of_account(struct sim *w, const struct cr_account_id *id);

/* ---- connector.c -------------------------------------------------------*/

void sim_outbox_crash(struct sim *w, struct sim_engine *e);
void sim_outbox_tables(struct sim_engine *e);
void sim_outbox_pump(struct sim *w, struct sim_engine *e);
void sim_outbox_kick(struct sim *w, struct sim_engine *e);
/* The batch answered a delivered message: the answer travels back. */
void sim_message_answered(struct sim *w, struct sim_attempt *a, int status,
			  const char *body, size_t len);
void sim_attempt_unref(struct sim_attempt *a);
/* Checks a payee's answer to a claim (claim-accepted-redeemable). */
void sim_observe_acceptance(struct sim *w, struct sim_engine *payee,
			    const char *body, size_t len);
/* Counts a pending credit or message row of e (for quiescence). */
int sim_outbox_pending(struct sim_engine *e);
/* The outbox's retry delay after attempts failures, jittered from the
 * simulation's generator (eng_outbox_backoff_ms for the service). */
int64_t sim_backoff(struct sim *w, uint32_t attempts);
/* The sum over e's channels of the largest signed_total its outgoing
 * record ever committed (kept by triggers in its store). */
uint64_t sim_signed_total(struct sim_engine *e);
/* The drops e's outgoing record owes again after channels that ended
 * without paying every claim signed on them (pc_out.reowed). */
uint64_t sim_reowed(struct sim_engine *e);
/* Injects a message into e's handler as if the peer had sent it. */
void sim_inject_message(struct sim *w, struct sim_engine *to, const char *body);

#endif /* XRPSE_TESTS_SIM_H */
