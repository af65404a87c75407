/* The outbox: the engine's calls to the connector (RFC 0038
 * accounting-system API), in two kinds.
 *
 * Rows (rows.c), delivered at least once and retried forever.  A row is
 * written in the caller's store transaction BEFORE the first try:
 *   credit:  POST {connector}/accounts/:id/settlements, JSON Quantity at
 *            scale 6, Idempotency-Key chosen by the caller (the channel
 *            logic derives it from the channel and cumulative amount, so a
 *            repeat of the same credit is a no-op: the key is UNIQUE);
 *   message: POST {connector}/accounts/:id/messages, octet-stream bytes for
 *            the peer engine, a new Idempotency-Key on every attempt, and
 *            a tag the engine uses to route the reply.
 * eng_outbox_tick() hands due rows to the curl worker (in flight is kept
 * in memory: the row stays 'pending' in the table, so a crash just sends
 * it again); completions come back on the loop thread (eng_outbox_drain)
 * and update the row (attempts + 1) in a transaction of their own, which
 * for a message commits without fsync (losing it to a power cut means one
 * more send of the same bytes) and for a credit with it (a delivered
 * credit never goes again; the credits of one eng_outbox_drain share that
 * commit, each in flight until it is recorded):
 *   any 2xx (whatever the body)             -> 'delivered' (reply kept)
 *   timeout, connection error, 5xx, a message's 409 (and 1xx/3xx)
 *                                           -> 'pending', next at
 *       now + min(base * 2^(attempts-1), cap), jittered down by up to
 *       jitter_pct percent (libsodium randombytes); forever, but a credit
 *       sent and unanswered goes again within unknown_window_ms or is
 *       parked (BROKEN)
 *   any other 4xx, a credit's 409 included  -> 'parked', kept for the
 *       operator (eng_outbox_unpark re-queues it); a credit is logged as
 *       BROKEN (a credit's 409: the connector holds its key for another
 *       request, so the same key and body can never succeed)
 * Every attempt of a row sends a byte-identical body.  A credit keeps its
 * key while the connector may have applied it, and takes a new one after
 * a definite refusal (docs/api.md#credits-and-the-connectors-answer-caches);
 * a message takes a new key on every attempt.  A row whose result could
 * not be recorded (the store failed) is sent again after the backoff that
 * result would have set, kept in memory only.
 *
 * Latest-wins messages (latest.c): the channel logic's claims, kept in
 * memory only, the newest per account.  The outbox only carries out
 * attempts (eng_outbox_send_now, eng_outbox_retry_now) and routes each
 * result back with the sender's token; when an attempt goes, whether a
 * newer one goes beside a stalled one and when a failed one is retried is
 * the sender's (src/paychan/ with channel/delivery.h).  Lost in a crash,
 * made again by their sender.
 *
 * Both share the worker, max_inflight and the reply callbacks.  Runs on
 * the loop thread. */
#ifndef XRPSE_SRC_OUTBOX_H
#define XRPSE_SRC_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/amount.h"
#include "src/io/curlw.h"
#include "src/store/outbox_rows.h"
#include "src/store/store.h"
#include "src/util/err.h"

/* Longest message tag, with its NUL. */
#define ENG_OUTBOX_TAG_MAX 128
/* Largest message body. */
#define ENG_OUTBOX_MSG_MAX (64 * 1024)

/* Persisted in outbox.kind as text; don't rename. */
enum eng_outbox_kind {
	ENG_OUTBOX_CREDIT = 1,
	ENG_OUTBOX_MESSAGE = 2,
};

/* Wall-clock milliseconds (persisted next-attempt times must survive
 * restarts, so not a monotonic clock). */
typedef int64_t (*eng_outbox_clock_fn)(void *arg);

struct eng_outbox_cfg {
	uint32_t base_ms;	     /* first retry delay; default 1000 */
	uint32_t cap_ms;	     /* largest delay; default 3600000 */
	uint32_t jitter_pct;	     /* 0..100; default 50 */
	uint32_t timeout_ms;	     /* per attempt; default 30000 */
	uint32_t connect_timeout_ms; /* default 5000 */
	unsigned max_inflight;	     /* default 64 */
	/* A credit sent but unanswered is retried under its key within
	 * this long, then parked (docs/api.md#credits-and-the-connectors-
	 * answer-caches); default 240000, under the Java connector's 5
	 * minutes less one 30 s attempt. */
	uint32_t unknown_window_ms;
	eng_outbox_clock_fn clock; /* NULL: CLOCK_REALTIME */
	void *clock_arg;
};

/* Fills *cfg with the defaults above. */
void eng_outbox_cfg_default(struct eng_outbox_cfg *cfg);

/* Called on the loop thread after a row reached a final state: delivered
 * (status 2xx, reply = the response body, may be empty) or parked (status
 * 4xx); for a latest-wins message after every attempt, id being the
 * sender's token (status 0 when there was no HTTP answer; see
 * eng_outbox_classify).  tag is NULL for credits.  All pointers
 * borrowed. */
typedef void (*eng_outbox_reply_fn)(void *arg, enum eng_outbox_kind kind,
				    int64_t id, const char *tag,
				    const char *account, int status,
				    const uint8_t *reply, size_t reply_len);

struct eng_outbox;

/* Creates the outbox over store and worker (both borrowed, must outlive
 * it), posting to connector_base_url (copied; no trailing '/').  Writes
 * nothing.  cfg (nullable: defaults) is copied.  Returns XU_OK and *out
 * (owned; eng_outbox_free), XU_EINVAL or XU_ENOMEM. */
enum xu_code eng_outbox_new(struct eng_outbox **out, struct eng_store *store,
			    struct eng_curlw *curlw,
			    const char *connector_base_url,
			    const struct eng_outbox_cfg *cfg,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Frees the outbox (free the curl worker first, so that no result of
 * ours is drained into a freed outbox); rows still in flight are
 * 'pending' in the table and go again after the next start; latest-wins
 * messages not yet delivered are lost (their sender makes them again).
 * NULL is a no-op. */
void eng_outbox_free(struct eng_outbox *ob);

/* Most reply callbacks one outbox holds. */
#define ENG_OUTBOX_REPLY_MAX 8
/* Bytes of a credit's reply its row keeps for the operator; a message's
 * row keeps none (its sender's callback had it). */
#define ENG_OUTBOX_REPLY_KEEP 1024
/* The tag that catches every message whose own tag has no callback. */
#define ENG_OUTBOX_ANY_TAG "*"

/* Routes the final states of rows tagged tag (a string literal; NULL:
 * credits, which have no tag) to fn.  Each sender registers the tags of
 * the messages it sends; a tag registered twice, or more than
 * ENG_OUTBOX_REPLY_MAX of them, is a programmer error.  Rows whose tag has
 * no callback are only logged. */
void eng_outbox_on_reply(struct eng_outbox *ob, const char *tag,
			 eng_outbox_reply_fn fn, void *arg);

/* Inside the caller's transaction: queues a credit of drops to account
 * with idem_key (1..ENG_STORE_IDEM_KEY_MAX bytes).  The same credit (key,
 * account, amount) again is a no-op returning the first row's id; the key
 * with another account or amount is XU_ECONFLICT.  *id (nullable) gets the
 * row id.  Returns XU_OK, XU_EINVAL, XU_ECONFLICT or XU_ESTORE. */
enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err) XU_WARN_UNUSED;

/* Inside the caller's transaction: queues a message (bytes copied, at most
 * ENG_OUTBOX_MSG_MAX) to account; tag (nullable, < ENG_OUTBOX_TAG_MAX) is
 * handed back with the reply.  ENG_OUTBOX_LATEST_TAG as tag is a
 * programmer error (such messages go through eng_outbox_send_now).
 * Returns XU_OK, XU_EINVAL or XU_ESTORE. */
enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id,
					struct xu_err *err) XU_WARN_UNUSED;

/* The tag of the latest-wins messages (the channel logic's claims), handed
 * to reply_fn with their results; no row carries it. */
#define ENG_OUTBOX_LATEST_TAG "claim"

/* Keeps bytes (copied, at most ENG_OUTBOX_MSG_MAX) in memory as account's
 * latest-wins message (tagged ENG_OUTBOX_LATEST_TAG) with a new
 * Idempotency-Key, replacing the one before, and hands one attempt of it
 * to the worker now: for messages whose newest carries everything the
 * earlier ones did, and whose loss in a crash the sender repairs itself (a
 * claim, made again from the channel record).  No row is written.  The
 * attempt's result reaches reply_fn with the tag and token as id, whatever
 * it is (nothing is retried here).  At most two attempts per account may
 * be out (the sender's rule; a third is a programmer error).  Returns
 * XU_OK (it left), XU_EUNAVAIL (max_inflight attempts out, or the worker
 * refused it: the message is kept, eng_outbox_retry_now may send it
 * later), XU_EINVAL or XU_ENOMEM. */
enum xu_code eng_outbox_send_now(struct eng_outbox *ob, const char *account,
				 const void *bytes, size_t len, uint64_t token,
				 struct xu_err *err) XU_WARN_UNUSED;

/* Another attempt of account's latest-wins message, the same bytes under
 * a new Idempotency-Key, now, its result routed with token.  Returns as
 * eng_outbox_send_now; XU_ENOTFOUND when account has none. */
enum xu_code eng_outbox_retry_now(struct eng_outbox *ob, const char *account,
				  uint64_t token,
				  struct xu_err *err) XU_WARN_UNUSED;

/* What a message's attempt came to, by its HTTP status. */
enum eng_outbox_outcome {
	ENG_OUTBOX_DELIVERED = 1, /* any 2xx, whatever the body */
	ENG_OUTBOX_RETRY = 2,	  /* no answer (0), 5xx, 409, 1xx, 3xx */
	ENG_OUTBOX_PARKED = 3,	  /* any other 4xx */
};

/* The outbox's rule for a message's status (0: no HTTP answer); a
 * credit's 409 is parked instead (see the top). */
static inline enum eng_outbox_outcome eng_outbox_classify(int status)
{
	if (status >= 200 && status <= 299)
		return ENG_OUTBOX_DELIVERED;
	if (status != 409 && status >= 400 && status <= 499)
		return ENG_OUTBOX_PARKED;
	return ENG_OUTBOX_RETRY;
}

/* The outbox's delay before attempt attempts + 1 (attempts >= 1 failed):
 * min(base_ms * 2^(attempts-1), cap_ms), jittered down by up to
 * jitter_pct percent.  Also the delay a latest-wins message's sender
 * waits before eng_outbox_retry_now. */
int64_t eng_outbox_backoff_ms(const struct eng_outbox *ob, int64_t attempts);

/* Hands the rows due at now_ms to the worker, up to max_inflight in
 * flight; writes nothing.  Call it from the cron and after commits that
 * enqueued rows, never before: what it hands out is sent at once.
 * Returns the number submitted, or a negative value on a store error
 * (logged). */
int eng_outbox_tick(struct eng_outbox *ob, int64_t now_ms);

/* The calls to the connector in flight now (rows and claims). */
unsigned eng_outbox_inflight(const struct eng_outbox *ob);
/* How many more calls may go now (max_inflight less those in flight),
 * and how many may be out at once (max_inflight). */
unsigned eng_outbox_room(const struct eng_outbox *ob);
unsigned eng_outbox_capacity(const struct eng_outbox *ob);
/* Whether the last eng_outbox_tick may have left due rows for want of
 * room (it found none, or filled all it had): after calls end, a tick
 * then hands them out before anything else takes the room. */
bool eng_outbox_rows_waiting(const struct eng_outbox *ob);

/* An eng_curlw_done_fn (arg = the outbox): applies one result; a result
 * whose id is not one of ours in flight is ignored. */
void eng_outbox_complete(void *arg, const struct eng_curlw_result *r);

/* Drains the worker's completions into eng_outbox_complete; returns how
 * many results.  Call from the loop's wake handler, outside a
 * transaction. */
size_t eng_outbox_drain(struct eng_outbox *ob);

/* Moves a parked row back to 'pending', due now (the operator fixed the
 * cause), under a new Idempotency-Key when new_key (the operator checked
 * the connector's books: the credit was not applied, yet the connector
 * keeps its key for a 409 or an answer).  Returns XU_OK, XU_ENOTFOUND (no
 * parked row id), XU_ESTORE. */
enum xu_code eng_outbox_unpark(struct eng_store *s, int64_t id, bool new_key,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Deletes 'delivered' rows last updated before before_ms (wall-clock ms),
 * e.g. 30 days ago, so the table does not grow forever; pending and parked
 * rows are never deleted.  *deleted (nullable) gets the count.  Runs in
 * the open transaction or its own.  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_outbox_gc(struct eng_store *s, int64_t before_ms,
			   unsigned long *deleted,
			   struct xu_err *err) XU_WARN_UNUSED;

/* For /health. */
struct eng_outbox_stats {
	uint64_t pending, inflight, delivered, parked;
	struct eng_obrows_counts rows; /* the table, per state and kind (rows
					  in flight count as pending) */
	int64_t last_success_ms;       /* 0: never */
	int64_t last_failure_ms;       /* 0: never */
	bool reachable;		       /* last attempt got an HTTP response */
};
/* Fills *st (counts from the store; inflight from memory, not counted in
 * pending).  Returns XU_OK or XU_ESTORE. */
enum xu_code eng_outbox_stats(struct eng_outbox *ob,
			      struct eng_outbox_stats *st,
			      struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_OUTBOX_H */
