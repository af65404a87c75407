/* A small "engine" for the rippled client tests, the crash-test program
 * and the benchmark: one lws context, one client following an account, a
 * submission queue over a SQLite journal (a temp file), and a record of
 * every outcome delivered.  Also the transaction builders the tests use. */
#ifndef XRPSE_TESTS_RIPPLED_WORLD_H
#define XRPSE_TESTS_RIPPLED_WORLD_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "ledger/net/client.h"
#include "ledger/net/submit.h"
#include "ledger/tx.h"
#include "src/store/txjournal.h"

#define GENESIS_SEED "snoPBrXtMeMyMHUVTgbuqAfg1SUTb"
#define GENESIS_ADDR "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
#define DEST_SEED "sEdTM1uX8pu2do5XvTnutH6HsouMaM2"
#define DEST_ADDR "rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL"

#define W_MAX_OUT 4096

struct w_out {
	char intent[XL_INTENT_MAX];
	enum xl_outcome_kind kind;
	char result[XL_RESULT_MAX];
	char hash[XL_HASH_HEX];
	uint32_t sequence, ledger;
	json_t *meta; /* owned */
	char err[200];
};

struct world {
	struct lws_context *ctx;
	struct xl_client *c;
	struct xl_submit *s;
	sqlite3 *db;
	struct eng_txjournal tj;
	struct xl_journal j;
	struct cr_keypair kp;
	char addr[CR_ADDRESS_STRLEN];
	struct w_out out[W_MAX_OUT];
	int nout;
	bool fatal;
	int syncs;		       /* resyncs completed */
	struct xl_sync_info last_sync; /* channels arrays owned (incref) */
	char tmp_path[64];	       /* removed by w_free when set */
};

struct w_opts {
	const char *seed;	   /* signing account; default genesis */
	int port;		   /* ledger stand-in port */
	uint32_t network_id;	   /* expected */
	uint64_t fee_max;	   /* default 1000 */
	uint64_t deadline_fee_max; /* XL_SUBMIT_DEADLINE intents; 0: none */
	unsigned max_inflight;	   /* default: the queue's (10) */
	unsigned max_attempts;	   /* default 3 */
	const char *db_path;	   /* default: a fresh temp file */
	unsigned request_timeout_ms;
	const char *peer;	   /* a peer whose channels to us are synced */
	unsigned unknown_alarm_ms; /* default: the queue's (10 min) */
};

/* Creates and starts everything (the client starts connecting).  Aborts
 * the test (cmocka) or the program on failure. */
struct world *w_new(const struct w_opts *o);
void w_free(struct world *w);
/* Runs the loop until the client is READY (false after timeout_ms). */
bool w_ready(struct world *w, int timeout_ms);
/* Runs the loop until an outcome for intent arrived; returns it or NULL. */
const struct w_out *w_wait(struct world *w, const char *intent, int timeout_ms);
/* The number of outcomes recorded for intent. */
int w_count(const struct world *w, const char *intent);
/* Sends a request and waits for its reply: returns the code, *reply gets
 * the envelope (owned; may be NULL). */
enum xu_code w_call(struct world *w, json_t *req, json_t **reply);

/* What a test wants built. */
enum w_kind {
	W_PAYMENT,
	W_CREATE,
	W_FUND,
	W_CLAIM_OWNER, /* source closes/settles: Balance, no signature */
	W_CLAIM_DEST,  /* destination redeems a signed claim */
};

struct w_build {
	enum w_kind kind;
	struct cr_account_id dst;
	uint64_t amount; /* Payment/Create/Fund amount; Claim: signed amount */
	uint64_t balance;
	uint8_t channel[XL_CHANNEL_ID_BYTES];
	struct cr_pubkey pk; /* Create: channel key; Claim: channel key */
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	uint32_t flags;
	uint32_t built_sequence; /* out: Sequence of the last build */
	uint32_t built_lls;	 /* out: its LastLedgerSequence */
	unsigned builds;	 /* out: times built */
};

/* The xl_build_fn for struct w_build. */
enum xu_code w_build_fn(void *arg, struct xl_tx *tx,
			const struct xl_tx_common *c, struct xu_err *err);

/* Enqueues b under intent with flags XL_SUBMIT_* (aborts on failure). */
void w_enqueue(struct world *w, const char *intent, unsigned flags,
	       struct w_build *b);
/* The same, in owner's share of the priority lane. */
void w_enqueue_as(struct world *w, const char *intent, unsigned flags,
		  const char *owner, struct w_build *b);

/* Sends a ledger-stand-in control command {"command": cmd, ...extra}
 * and returns its reply code. */
enum xu_code w_control(struct world *w, const char *cmd, json_t *extra);

#endif
