/* What the two halves of the outbox share; not part of the API.  rows.c
 * has the outbox itself and its persisted rows (credits and messages);
 * latest.c has the latest-wins messages kept in memory (claims).  Both
 * hand jobs to the same worker under one bound (cfg.max_inflight), in one
 * set of ids in flight, and report to the same reply callbacks. */
#ifndef XRPSE_SRC_OUTBOX_INTERNAL_H
#define XRPSE_SRC_OUTBOX_INTERNAL_H

#include "src/util/map.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/io/curlw.h"
#include "src/outbox/outbox.h"
#include "src/store/store.h"
#include "src/util/err.h"

/* Longest URL, base included; a path gets half of it. */
#define ENG_OB_URL_MAX 2048
/* Job ids of in-memory latest-wins messages; table rows have ids below. */
#define ENG_OB_LW_ID_BIT ((int64_t)1 << 62)

/* An account's latest-wins message (latest.c). */
struct eng_ob_lw;
/* A row whose result could not be recorded (rows.c). */
struct eng_ob_held;

struct eng_outbox {
	struct eng_store *store;
	struct eng_curlw *curlw;
	char base[ENG_OB_URL_MAX];
	struct eng_outbox_cfg cfg;
	struct {
		const char *tag; /* NULL: credits */
		eng_outbox_reply_fn fn;
		void *arg;
	} replies[ENG_OUTBOX_REPLY_MAX];
	unsigned nreplies;
	int64_t *inflight; /* job ids, cfg.max_inflight slots */
	unsigned ninflight;
	struct eng_ob_held *held; /* nheld of them, room for cheld */
	unsigned nheld, cheld;
	struct eng_ob_lw *lw; /* latest-wins messages in memory */
	/* ...found by account, and their attempts out by job id (latest.c):
	 * a claim's send and its answer cost what they do, not the number of
	 * accounts (docs/design.md#scale). */
	struct xu_map lw_map, lw_jobs;
	uint64_t lw_seq; /* their job ids: ENG_OB_LW_ID_BIT | seq */
	int64_t last_success_ms, last_failure_ms;
	bool reachable;
	/* The last tick may have left due rows for want of room
	 * (eng_outbox_rows_waiting). */
	bool rows_waiting;
	/* eng_outbox_drain: the credits' results it drained, recorded
	 * together at its end (ndefer of them, cfg.max_inflight slots). */
	bool grouping;
	struct eng_ob_defer *defer;
	unsigned ndefer;
};

/* What an attempt's result means. */
enum eng_ob_outcome {
	ENG_OB_DELIVERED,
	ENG_OB_RETRY,
	ENG_OB_PARKED,
};

/* ---- rows.c, for latest.c ---------------------------------------------- */

/* Now, on the outbox's clock (wall-clock ms). */
int64_t eng_ob_now(const struct eng_outbox *ob);

/* Writes "/accounts/<account percent-encoded>/<what>" into buf (cap bytes,
 * at least ENG_OB_URL_MAX / 2).  Returns XU_OK or XU_EINVAL (account
 * empty or longer than ENG_STORE_ACCOUNT_MAX). */
enum xu_code eng_ob_make_path(char *buf, size_t cap, const char *account,
			      const char *what,
			      struct xu_err *err) XU_WARN_UNUSED;

/* A POST of body (blen bytes, copied) to the connector's path, with the
 * content type (also Accept) and Idempotency-Key key, as job id.  Returns
 * it (owned until eng_curlw_submit), or NULL when out of memory. */
struct eng_curlw_job *eng_ob_new_job(const struct eng_outbox *ob, int64_t id,
				     const char *path, const char *key,
				     const char *ctype, const void *body,
				     size_t blen);

/* Notes result r (outcome oc, at now) for eng_outbox_stats. */
void eng_ob_seen(struct eng_outbox *ob, const struct eng_curlw_result *r,
		 enum eng_ob_outcome oc, int64_t now);

/* Hands a result to the callback of its tag, if any (all borrowed). */
void eng_ob_reply(struct eng_outbox *ob, enum eng_outbox_kind k, int64_t id,
		  const char *tag, const char *account, int status,
		  const uint8_t *body, size_t len);

/* ---- latest.c, for rows.c ---------------------------------------------- */

/* Applies result r (outcome oc, errtxt for the log) of a latest-wins
 * message: r->id has ENG_OB_LW_ID_BIT and is already out of the set in
 * flight. */
void eng_ob_lw_complete(struct eng_outbox *ob, const struct eng_curlw_result *r,
			enum eng_ob_outcome oc, const char *errtxt,
			int64_t now);

/* Adds the latest-wins messages' attempts out to *inflight (nothing
 * waits in the outbox: *pending is left). */
void eng_ob_lw_count(const struct eng_outbox *ob, uint64_t *inflight,
		     uint64_t *pending);

/* Frees the latest-wins messages. */
void eng_ob_lw_free(struct eng_outbox *ob);
/* Sets up the latest-wins maps of a new outbox (allocates nothing). */
void eng_ob_lw_init(struct eng_outbox *ob);

#endif /* XRPSE_SRC_OUTBOX_INTERNAL_H */
