/* The RFC 0038 settlement-engine REST API served to the connector:
 *
 *   POST   /accounts                    {"id":...} -> 201 {"id":...}
 *   DELETE /accounts/:id                -> 204 | 404
 *   POST   /accounts/:id/settlements    Quantity + Idempotency-Key -> 201
 *   POST   /accounts/:id/messages       octet-stream -> 201 octet-stream
 *   GET    /health                      -> 200 | 503 JSON (status.c)
 *   GET    /metrics                     -> 200 Prometheus text (metrics.c)
 *
 * plus the /dev/ routes enabled by --dev-api (tests only).  Requests are
 * validated here at once (404/405/415/400 answered immediately); valid
 * mutating requests become jobs applied by the engine's group commit
 * (eng_api_apply) and answered after the commit.  Every error body is
 * application/problem+json {"title","status","detail"}. */
#ifndef XRPSE_SRC_API_H
#define XRPSE_SRC_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ledger/amount.h"
#include "ledger/net/submit.h"
#include "src/io/http.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/quantity.h"
#include "src/util/err.h"

struct eng_store;
struct eng_outbox;
struct eng_paychan;
struct eng_msgs;
struct xl_rippled;

/* A latency histogram: le[i] counts the observations at most
 * eng_hist_bounds_us[i] (cumulative, as Prometheus has them). */
#define ENG_HIST_N 12
extern const uint64_t eng_hist_bounds_us[ENG_HIST_N];
struct eng_hist {
	uint64_t le[ENG_HIST_N];
	uint64_t count, sum_us;
};
/* Counts one observation of us microseconds in h. */
void eng_hist_observe(struct eng_hist *h, uint64_t us);

/* The daemon's counters shown by /health and /metrics. */
struct eng_api_stats {
	uint64_t requests, batches, batched_jobs, commit_failures;
	uint64_t batch_us_total, batch_us_max; /* apply + commit time */
	/* Settlements answered more than ENG_API_LATE_MS after their
	 * request was read (docs/risks.md#late-settlement-answers). */
	uint64_t late_settlements;
	uint64_t stalled_refusals; /* settlements answered 503 meanwhile */
	/* Batches answered 503 because another process held the store's
	 * write lock past ENG_API_BUSY_MS, and loop blocks (a callback that
	 * held the loop thread past ENG_API_LATE_MS, seen by the cron). */
	uint64_t store_busy, loop_blocks;
	unsigned conns;
	/* Settlement requests answered (any status), answered 201, and the
	 * drops the new ones (not replays) added to what we owe. */
	uint64_t settlements, settlements_acked, settled_drops;
	struct eng_hist settle_us; /* request read -> answer queued */
	/* The peer's messages relayed by the connector (claims, hellos,
	 * channel updates, ...), answered any status: request read ->
	 * answer queued (after the commit). */
	struct eng_hist message_us;
	/* The group commit's COMMIT (the WAL's fsync with it): the loop
	 * serves nothing else meanwhile. */
	struct eng_hist commit_us;
};

/* A settlement answered later than this is logged UNUSUAL and counted:
 * interledger-rs gives up after 5 s and sends it again under a new key. */
#define ENG_API_LATE_MS 1000
/* The group commit waits at most this long for a write lock another
 * process holds on the database; then its jobs are answered 503, nothing
 * applied (docs/risks.md#late-settlement-answers). */
#define ENG_API_BUSY_MS 250

#define ENG_ACCOUNT_ID_MAX 128
#define ENG_IDEM_KEY_MAX 255

enum eng_job_kind {
	ENG_JOB_ACCOUNT_CREATE,
	ENG_JOB_ACCOUNT_DELETE,
	ENG_JOB_SETTLE,
	ENG_JOB_MESSAGE,
	ENG_JOB_DEV_CREDIT,
	ENG_JOB_DEV_MESSAGE,
};

/* One mutating request waiting for the group commit.  The engine owns
 * queued jobs; conn is NULL once the client went away. */
struct eng_job {
	struct eng_job *next;
	struct eng_http_conn *conn;
	enum eng_job_kind kind;
	char account[ENG_ACCOUNT_ID_MAX + 1];
	char key[ENG_IDEM_KEY_MAX + 1];
	struct eng_quantity q;
	struct xl_drops drops; /* dev credit */
	json_t *msg;	       /* ENG_JOB_MESSAGE: the parsed message (owned) */
	uint8_t *raw;	       /* ENG_JOB_DEV_MESSAGE: bytes to send (owned) */
	size_t raw_len;
	bool enqueued;	 /* wrote an outbox row: tick the outbox */
	bool fresh;	 /* ENG_JOB_SETTLE: a new settlement of `drops` */
	int64_t born_us; /* monotonic: when the request was read */
	/* The answer, filled by eng_api_apply. */
	int status;
	const char *ctype;
	char *body; /* owned */
	size_t body_len;
};

struct eng_job;

/* What the API works on: the daemon's services (borrowed; paychan and
 * rippled may be NULL) and the few things only the daemon can do, as
 * callbacks taking arg. */
struct eng_api_host {
	struct eng_store *store;
	struct eng_outbox *outbox;
	struct eng_paychan *paychan;
	struct xl_rippled *rippled;
	struct eng_msgs *msgs;
	const char *address;	   /* our XRP address */
	const char *connector_url; /* shown by /health */
	int64_t started_ms;	   /* wall ms of the daemon's start */
	bool dev_api;		   /* the /dev/ routes are served */
	uint32_t network_id;	   /* XRPL NetworkID configured, 0: none */
	void *arg;
	/* Queues a job (taken) for the next group commit. */
	void (*submit)(void *arg, struct eng_job *job);
	/* Wall-clock seconds (moved by /dev/clock). */
	int64_t (*now)(void *arg);
	/* Test-only (/dev/): moves the clock; fails the next n commits
	 * and holds the next one stall_ms before it commits. */
	void (*advance_clock)(void *arg, int64_t secs);
	void (*fail_commits)(void *arg, unsigned n, uint32_t stall_ms);
	void (*stats)(void *arg, struct eng_api_stats *st);
	/* Nullable: true for ENG_API_LATE_MS after a commit that took
	 * longer, a batch that found the store locked, or a blocked loop;
	 * settlements are then answered 503 at once, not applied
	 * (docs/risks.md#late-settlement-answers). */
	bool (*store_stalled)(void *arg);
	/* Nullable: the clean stop SIGTERM makes (the loop finishes the
	 * batch in hand, flushes answers, then exits). */
	void (*stop)(void *arg);
};

/* ---- status: what /health and /metrics render (status.c) ---- */

/* The checks /health makes (docs/design.md#health-and-metrics). */
enum eng_check {
	ENG_CHECK_STORE,     /* the store answers */
	ENG_CHECK_RIPPLED,   /* rippled is connected */
	ENG_CHECK_LEDGER,    /* a validated ledger came in the last minute */
	ENG_CHECK_CONNECTOR, /* the connector answered in the last minute,
				or nothing was sent to it */
	ENG_CHECK_OWED,	     /* no drops unpaid past --owed-alert */
};
#define ENG_NCHECKS 5
#define ENG_LEDGER_MAX_AGE_MS 60000
#define ENG_CONNECTOR_MAX_DOWN_MS 60000

/* A snapshot of everything an operator watches, filled by
 * eng_api_status(); /health and /metrics render it, and so can any other
 * view.  Strings are borrowed from the host and live as long as it. */
struct eng_status {
	const char *version, *address, *connector_url;
	int64_t now_ms; /* wall clock of the snapshot */
	struct eng_api_stats api;
	struct eng_outbox_stats outbox;
	bool has_rippled; /* a ledger client is configured: */
	bool rippled_connected;
	const char *rippled_state; /* "disconnected", "ready"... */
	const char *rippled_url;
	uint32_t validated_ledger; /* 0: none yet */
	int64_t ledger_age_ms;	   /* -1: no validated ledger seen */
	struct xl_submit_stats txs;
	bool has_paychan; /* the payment-channel service runs: */
	struct eng_paychan_status pc;
	/* The checks: failed[c] and why (empty when it passed). */
	bool ok; /* every check passed */
	bool failed[ENG_NCHECKS];
	char why[ENG_NCHECKS][160];
};

/* Fills *st from the host's services (a failing store fails the store
 * check; nothing else is left out). */
void eng_api_status(const struct eng_api_host *h, struct eng_status *st);
/* "store", "rippled", "ledger", "connector", "owed". */
const char *eng_check_name(enum eng_check c);

/* ---- admin: the operator's commands on the unix socket (admin.c) ---- */

/* Answers one request line (len bytes of JSON, see admin.c): a new object
 * {"ok":true,"result":...} or {"ok":false,"error":"..."} (the caller owns
 * it; NULL when out of memory).  Loop thread, outside a transaction. */
json_t *eng_admin_handle(const struct eng_api_host *h, const char *line,
			 size_t len);

/* The http request handler (struct eng_http_server.on_request); arg is the
 * struct eng_api_host. */
void eng_api_on_request(void *arg, struct eng_http_conn *c,
			const struct eng_http_req *r);

/* The request handler of the --metrics-listen listener: GET /metrics as
 * on the API listener, 405 for another method, 404 for any other path;
 * arg is the struct eng_api_host (metrics.c). */
void eng_api_on_metrics_request(void *arg, struct eng_http_conn *c,
				const struct eng_http_req *r);

/* Applies job inside the open batch transaction and fills its answer.
 * Returns XU_OK (also for answered input errors such as 404/409) or a
 * 300s code when the store failed: the engine then rolls the batch back
 * and answers 500. */
enum xu_code eng_api_apply(const struct eng_api_host *h, struct eng_job *job,
			   struct xu_err *err);

/* Fills job's answer with a problem+json error. */
void eng_api_job_problem(struct eng_job *job, int status, const char *title,
			 const char *detail);

/* Frees a job and what it owns. */
void eng_job_free(struct eng_job *job);

/* Registers the built-in "ping" message type ({"type":"pong"}). */
void eng_api_register_builtin(struct eng_msgs *msgs);

#endif /* XRPSE_SRC_API_H */
