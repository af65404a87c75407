/* The outbox table of the store: the rows src/outbox/ keeps, one per call
 * to the connector, and every statement run on them.
 *
 *   outbox(id INTEGER PRIMARY KEY, kind 'credit' | 'message', account,
 *          method 'POST', path, idem_key UNIQUE, content_type, body BLOB,
 *          tag, attempts, next_attempt_at_ms, state, last_status,
 *          last_error, created_at, updated_at, reply BLOB,
 *          attempt_key, unknown_since_ms)
 *
 * attempt_key is the Idempotency-Key a credit's next attempt carries
 * (NULL: idem_key, which stays the row's identity for enqueueing), and
 * unknown_since_ms when an attempt under it first went unanswered (NULL:
 * none did); see docs/api.md#credits-and-the-connectors-answer-caches.
 *
 * state is 'pending' (due at next_attempt_at_ms), 'delivered' (final: a
 * 2xx) or 'parked' (refused: waits for the operator); the table's CHECK
 * (migration 1) also admits 'inflight', which nothing writes (in flight is
 * kept in memory).  Times are wall-clock milliseconds given by the
 * caller.
 *
 * Nothing here opens, commits or rolls back a transaction: which one a
 * write joins (the caller's, or one the outbox opens, relaxed or not) is
 * the outbox's decision.  Every write asserts that one is open; the reads
 * run inside one or outside.  Rows handed to a callback are views
 * borrowed for the call, and the callback must not use the store.  Loop
 * thread only, like the store. */
#ifndef XRPSE_SRC_STORE_OUTBOX_ROWS_H
#define XRPSE_SRC_STORE_OUTBOX_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/store/store.h"
#include "src/util/err.h"

/* Longest tag kept in a struct eng_obrows_head, with its NUL. */
#define ENG_OBROWS_TAG_MAX 128

/* Persisted in outbox.kind as 'credit' / 'message'; don't rename. */
enum eng_obrows_kind {
	ENG_OBROWS_CREDIT = 1,
	ENG_OBROWS_MESSAGE = 2,
};

/* A call to queue; every pointer borrowed for the call. */
struct eng_obrows_call {
	enum eng_obrows_kind kind;
	const char *account;
	const char *path; /* "/accounts/<id>/settlements" or ".../messages" */
	const char *idem_key;
	const char *content_type;
	const void *body; /* body_len bytes; may be NULL when body_len is 0 */
	size_t body_len;
	const char *tag; /* nullable */
};

/* Inside a transaction: queues c as a 'pending' row due at once, created
 * and updated at now_ms.  When idem_key is already taken, the row that
 * has it must be the same call (kind, account and body; path and tag are
 * not compared): then nothing is written and *id (nullable) gets that
 * row's id, as it gets the new row's.  Returns XU_OK, XU_ECONFLICT (the
 * key belongs to another call; nothing written) or XU_ESTORE. */
enum xu_code eng_obrows_insert(struct eng_store *s,
			       const struct eng_obrows_call *c, int64_t now_ms,
			       int64_t *id, struct xu_err *err) XU_WARN_UNUSED;

/* A row as it goes to the connector, borrowed for the callback. */
struct eng_obrows_send {
	int64_t id;
	enum eng_obrows_kind kind;
	/* idem_key: the key of the moment (attempt_key, else idem_key) */
	const char *path, *idem_key, *content_type; /* never NULL */
	const void *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	int64_t unknown_since_ms; /* 0: no attempt under the key unanswered */
};
/* Called for each row; returns false to stop. */
typedef bool (*eng_obrows_send_fn)(void *arg,
				   const struct eng_obrows_send *row);

/* Runs fn over the 'pending' rows due at now_ms (next_attempt_at_ms <=
 * now_ms), earliest due first (then by id), at most limit of them.
 * Returns XU_OK (also when fn stopped it) or XU_ESTORE. */
enum xu_code eng_obrows_due(struct eng_store *s, int64_t now_ms, int64_t limit,
			    eng_obrows_send_fn fn, void *arg,
			    struct xu_err *err) XU_WARN_UNUSED;

/* What the outbox reads of a row when its attempt ends. */
struct eng_obrows_head {
	enum eng_obrows_kind kind;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	char tag[ENG_OBROWS_TAG_MAX]; /* "" when it has none (truncated) */
	bool has_tag;
	int64_t attempts;	  /* recorded so far, this one not included */
	int64_t unknown_since_ms; /* 0: no attempt under the key unanswered */
};

/* Reads row id into *h.  Returns XU_OK, XU_ENOTFOUND or XU_ESTORE (*h
 * untouched on failure). */
enum xu_code eng_obrows_head(struct eng_store *s, int64_t id,
			     struct eng_obrows_head *h,
			     struct xu_err *err) XU_WARN_UNUSED;

/* Inside a transaction, each records one more attempt of row id, at
 * now_ms (a row that is gone is no error: nothing is written).  status is
 * the HTTP status, or negative when there was no HTTP answer (stored as
 * NULL); reply (reply_len bytes; nullable when 0) is the response body,
 * kept; error (text) is last_error.  Each returns XU_OK or XU_ESTORE. */

/* 'delivered', last_error cleared. */
enum xu_code eng_obrows_delivered(struct eng_store *s, int64_t id, int status,
				  const void *reply, size_t reply_len,
				  int64_t now_ms,
				  struct xu_err *err) XU_WARN_UNUSED;
/* 'parked' (until eng_obrows_unpark). */
enum xu_code eng_obrows_parked(struct eng_store *s, int64_t id, int status,
			       const void *reply, size_t reply_len,
			       const char *error, int64_t now_ms,
			       struct xu_err *err) XU_WARN_UNUSED;
/* 'pending' again, due at next_ms; the reply column is left as it was. */
enum xu_code eng_obrows_retry(struct eng_store *s, int64_t id, int status,
			      const char *error, int64_t next_ms,
			      int64_t now_ms,
			      struct xu_err *err) XU_WARN_UNUSED;

/* Inside a transaction: makes the 'parked' row id 'pending', due at once
 * (attempts and last_error stay), under new_key (copied) as its attempt
 * key when not NULL (then no attempt under it is unanswered).  Returns
 * XU_OK, XU_ENOTFOUND (no parked row id) or XU_ESTORE. */
enum xu_code eng_obrows_unpark(struct eng_store *s, int64_t id,
			       const char *new_key,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Inside a transaction: row id's next attempts carry new_key (NULL: the
 * key stays), and unknown_since_ms (0: none) is when one under it first
 * went unanswered.  A row that is gone is no error.  Returns XU_OK or
 * XU_ESTORE. */
enum xu_code eng_obrows_key(struct eng_store *s, int64_t id,
			    const char *new_key, int64_t unknown_since_ms,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Inside a transaction: deletes the 'delivered' rows last updated before
 * before_ms; *deleted (nullable) gets their number.  Returns XU_OK or
 * XU_ESTORE. */
enum xu_code eng_obrows_gc(struct eng_store *s, int64_t before_ms,
			   unsigned long *deleted,
			   struct xu_err *err) XU_WARN_UNUSED;

/* The number of rows in each state, in all and per kind (kind[k - 1] for
 * enum eng_obrows_kind k). */
#define ENG_OBROWS_NKINDS 2
struct eng_obrows_state_counts {
	uint64_t pending, delivered, parked;
};
struct eng_obrows_counts {
	uint64_t pending, delivered, parked;
	struct eng_obrows_state_counts kind[ENG_OBROWS_NKINDS];
};
/* Fills *c.  Returns XU_OK or XU_ESTORE (*c untouched). */
enum xu_code eng_obrows_count(struct eng_store *s, struct eng_obrows_counts *c,
			      struct xu_err *err) XU_WARN_UNUSED;

/* A row as the operator sees it; strings borrowed for the callback ("" or
 * NULL when absent, as noted). */
struct eng_obrows_row {
	int64_t id;
	enum eng_obrows_kind kind;
	const char *account, *path, *state;
	const char *key; /* the key of the next attempt */
	const char *tag; /* NULL: none */
	int64_t attempts;
	int64_t next_attempt_at_ms;
	int last_status;	/* 0: none */
	const char *last_error; /* NULL: none */
	int64_t created_at, updated_at;
};
typedef bool (*eng_obrows_row_fn)(void *arg, const struct eng_obrows_row *r);
/* Runs fn over the rows by id, the 'parked' ones only when parked_only,
 * at most limit of them (newest ids last).  Returns XU_OK (also when fn
 * stopped it) or XU_ESTORE. */
enum xu_code eng_obrows_each(struct eng_store *s, bool parked_only,
			     int64_t limit, eng_obrows_row_fn fn, void *arg,
			     struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_SRC_STORE_OUTBOX_ROWS_H */
