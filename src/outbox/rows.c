/* The outbox itself and its persisted rows (see outbox.h): credits and
 * peer messages as rows of the store's outbox table
 * (src/store/outbox_rows.c), their ticks, results, parking and garbage
 * collection, and what the latest-wins messages of latest.c share with
 * them (the worker, the bound and set of ids in flight, the backoff, the
 * reply callbacks, the stats).
 *
 * Row life cycle (outbox.state; "in flight" lives in memory only):
 *
 *   enqueue --> pending --tick--> (in flight) --2xx-----------------> delivered
 *                  ^                 |  \--4xx but a message's 409--> parked
 *                  |                 |                                |
 *                  +-- timeout, I/O, 5xx, a message's 409, other -----+ unpark
 *                      (backoff)
 *
 * A credit answered 409 is parked: the connector holds its key for another
 * request, and the same key and body can never succeed.  A message's 409
 * may come from a busy peer engine: retried.
 *
 * The worker (src/io/curlw.c) performs one attempt per job; the job id is the
 * row id.  The set of ids in flight is kept in memory, so handing a row to
 * the worker writes nothing (a crash before its result leaves it
 * 'pending': it is sent again, the same bytes), a late or foreign
 * result (an id not in the set) is ignored, and a row is never sent twice
 * at the same time.  The result is recorded with attempts + 1.  When the
 * store cannot record it, the row stays as it was, due, and only memory
 * knows when to send it again (struct eng_ob_held): after the backoff the
 * recorded result would have set, growing while the store keeps failing,
 * so that a failing store does not make us hammer the connector. */
#include "src/outbox/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/io/clock.h"
#include "src/io/uuid.h"
#include "src/store/outbox_rows.h"
#include "src/util/log.h"

_Static_assert(ENG_OUTBOX_TAG_MAX == ENG_OBROWS_TAG_MAX, "tag sizes differ");

struct eng_ob_held {
	int64_t id;
	int64_t after; /* not sent again before (wall-clock ms) */
	int64_t fails; /* results not recorded in a row */
};

static int64_t realtime_ms(void *arg)
{
	(void)arg;
	return eng_wall_ms();
}

int64_t eng_ob_now(const struct eng_outbox *ob)
{
	return ob->cfg.clock(ob->cfg.clock_arg);
}

void eng_outbox_cfg_default(struct eng_outbox_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->base_ms = 1000;
	cfg->cap_ms = 3600 * 1000;
	cfg->jitter_pct = 50;
	cfg->timeout_ms = 30000;
	cfg->connect_timeout_ms = 5000;
	cfg->max_inflight = 64;
	cfg->unknown_window_ms = 240 * 1000;
	cfg->clock = NULL;
}

/* Runs in the caller's transaction or opens one; *own tells which. */
static enum xu_code tx_enter(struct eng_store *s, bool *own, struct xu_err *err)
{
	*own = !eng_store_in_tx(s);
	return *own ? eng_store_begin(s, err) : XU_OK;
}

static enum xu_code tx_leave(struct eng_store *s, bool own, enum xu_code rc,
			     struct xu_err *err)
{
	if (!own)
		return rc;
	if (rc == XU_OK)
		return eng_store_commit(s, err);
	eng_store_rollback(s);
	return rc;
}

/* The outbox's own bookkeeping (a row's result) may be lost by a crash
 * without harm: the row is then sent again, byte for byte with the same
 * Idempotency-Key, which the connector answers as a duplicate.  So when
 * the outbox opens the transaction itself, it is a relaxed one
 * (eng_store_begin_relaxed: no fsync), and the loop thread does not wait
 * for the disk twice more per call.  Inside a caller's transaction nothing
 * changes (the caller's commit decides). */
static enum xu_code relaxed_enter(struct eng_store *s, bool *own,
				  struct xu_err *err)
{
	*own = !eng_store_in_tx(s);
	return *own ? eng_store_begin_relaxed(s, err) : XU_OK;
}

static enum xu_code relaxed_leave(struct eng_store *s, bool own,
				  enum xu_code rc, struct xu_err *err)
{
	return tx_leave(s, own, rc, err);
}

enum xu_code eng_outbox_new(struct eng_outbox **out, struct eng_store *store,
			    struct eng_curlw *curlw,
			    const char *connector_base_url,
			    const struct eng_outbox_cfg *cfg,
			    struct xu_err *err)
{
	size_t blen = strlen(connector_base_url);
	while (blen > 0 && connector_base_url[blen - 1] == '/')
		blen--;
	if (blen == 0 || blen >= ENG_OB_URL_MAX - 512)
		return xu_fail(err, XU_EINVAL, 0,
			       "connector URL empty or too long");
	struct eng_outbox *ob = calloc(1, sizeof(*ob));
	if (!ob)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	ob->store = store;
	ob->curlw = curlw;
	memcpy(ob->base, connector_base_url, blen);
	ob->base[blen] = '\0';
	if (cfg)
		ob->cfg = *cfg;
	else
		eng_outbox_cfg_default(&ob->cfg);
	if (!ob->cfg.clock)
		ob->cfg.clock = realtime_ms;
	if (ob->cfg.max_inflight == 0)
		ob->cfg.max_inflight = 1;
	if (ob->cfg.jitter_pct > 100)
		ob->cfg.jitter_pct = 100;
	if (ob->cfg.base_ms == 0)
		ob->cfg.base_ms = 1;
	if (ob->cfg.cap_ms < ob->cfg.base_ms)
		ob->cfg.cap_ms = ob->cfg.base_ms;
	if (ob->cfg.unknown_window_ms == 0)
		ob->cfg.unknown_window_ms = 240 * 1000;
	ob->inflight = calloc(ob->cfg.max_inflight, sizeof(*ob->inflight));
	if (!ob->inflight) {
		free(ob);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	eng_ob_lw_init(ob);
	*out = ob;
	return XU_OK;
}

void eng_outbox_free(struct eng_outbox *ob)
{
	if (!ob)
		return;
	free(ob->inflight);
	free(ob->defer);
	free(ob->held);
	eng_ob_lw_free(ob);
	free(ob);
}

static bool same_tag(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

void eng_outbox_on_reply(struct eng_outbox *ob, const char *tag,
			 eng_outbox_reply_fn fn, void *arg)
{
	XU_ASSERT(fn && ob->nreplies < ENG_OUTBOX_REPLY_MAX);
	for (unsigned i = 0; i < ob->nreplies; i++)
		XU_ASSERT(!same_tag(ob->replies[i].tag, tag));
	ob->replies[ob->nreplies].tag = tag;
	ob->replies[ob->nreplies].fn = fn;
	ob->replies[ob->nreplies].arg = arg;
	ob->nreplies++;
}

void eng_ob_reply(struct eng_outbox *ob, enum eng_outbox_kind k, int64_t id,
		  const char *tag, const char *account, int status,
		  const uint8_t *body, size_t len)
{
	xu_debug("outbox", "%lld (%s%s%s) for %s: HTTP %d, %zu bytes",
		 (long long)id, k == ENG_OUTBOX_CREDIT ? "credit" : "message",
		 tag ? " " : "", tag ? tag : "", account, status, len);
	unsigned any = ob->nreplies;

	for (unsigned i = 0; i < ob->nreplies; i++) {
		if (same_tag(ob->replies[i].tag, tag)) {
			ob->replies[i].fn(ob->replies[i].arg, k, id, tag,
					  account, status, body, len);
			return;
		}
		if (tag && ob->replies[i].tag &&
		    !strcmp(ob->replies[i].tag, ENG_OUTBOX_ANY_TAG))
			any = i;
	}
	if (any < ob->nreplies)
		ob->replies[any].fn(ob->replies[any].arg, k, id, tag, account,
				    status, body, len);
}

enum xu_code eng_ob_make_path(char *buf, size_t cap, const char *account,
			      const char *what, struct xu_err *err)
{
	size_t alen = strlen(account);
	if (alen == 0 || alen > ENG_STORE_ACCOUNT_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "account id must be 1 to %d bytes",
			       ENG_STORE_ACCOUNT_MAX);
	size_t n = (size_t)snprintf(buf, cap, "/accounts/");
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = (unsigned char)account[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~';
		XU_ASSERT(n + 4 < cap);
		if (plain)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, cap - n, "%%%02X", c);
	}
	XU_ASSERT(n + strlen(what) + 2 < cap);
	snprintf(buf + n, cap - n, "/%s", what);
	return XU_OK;
}

/* Queues a row (in the caller's transaction); a row already under key
 * must be the same call. */
static enum xu_code insert(struct eng_store *s, enum eng_obrows_kind kind,
			   const char *account, const char *path,
			   const char *key, const char *ctype, const void *body,
			   size_t len, const char *tag, int64_t *id,
			   struct xu_err *err)
{
	const struct eng_obrows_call c = {
	    .kind = kind,
	    .account = account,
	    .path = path,
	    .idem_key = key,
	    .content_type = ctype,
	    .body = body,
	    .body_len = len,
	    .tag = tag,
	};
	return eng_obrows_insert(s, &c, realtime_ms(NULL), id, err);
}

enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err)
{
	size_t klen = strlen(idem_key);
	if (klen == 0 || klen > ENG_STORE_IDEM_KEY_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "credit key must be 1 to %d bytes",
			       ENG_STORE_IDEM_KEY_MAX);
	char path[ENG_OB_URL_MAX / 2];
	enum xu_code rc =
	    eng_ob_make_path(path, sizeof(path), account, "settlements", err);
	if (rc != XU_OK)
		return rc;
	struct eng_quantity q;
	char body[ENG_QTY_JSON_MAX];
	eng_quantity_from_drops(&q, drops);
	size_t len = eng_quantity_fmt_json(body, sizeof(body), &q);
	return insert(s, ENG_OBROWS_CREDIT, account, path, idem_key,
		      "application/json", body, len, NULL, id, err);
}

enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id, struct xu_err *err)
{
	if (len > ENG_OUTBOX_MSG_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "message of %zu bytes, more than %d", len,
			       ENG_OUTBOX_MSG_MAX);
	if (tag && strlen(tag) >= ENG_OUTBOX_TAG_MAX)
		return xu_fail(err, XU_EINVAL, 0, "message tag too long");
	/* Latest-wins messages are never rows (eng_outbox_send_now). */
	XU_ASSERT(!tag || strcmp(tag, ENG_OUTBOX_LATEST_TAG) != 0);
	char path[ENG_OB_URL_MAX / 2];
	enum xu_code rc =
	    eng_ob_make_path(path, sizeof(path), account, "messages", err);
	if (rc != XU_OK)
		return rc;
	char key[ENG_UUID_STRLEN];
	eng_uuid4(key);
	return insert(s, ENG_OBROWS_MESSAGE, account, path, key,
		      "application/octet-stream", bytes, len, tag, id, err);
}

static bool is_inflight(const struct eng_outbox *ob, int64_t id)
{
	for (unsigned i = 0; i < ob->ninflight; i++)
		if (ob->inflight[i] == id)
			return true;
	return false;
}

static bool take_inflight(struct eng_outbox *ob, int64_t id)
{
	for (unsigned i = 0; i < ob->ninflight; i++) {
		if (ob->inflight[i] == id) {
			ob->ninflight--;
			ob->inflight[i] = ob->inflight[ob->ninflight];
			return true;
		}
	}
	return false;
}

struct eng_curlw_job *eng_ob_new_job(const struct eng_outbox *ob, int64_t id,
				     const char *path, const char *key,
				     const char *ctype, const void *body,
				     size_t blen)
{
	char url[ENG_OB_URL_MAX], h[ENG_STORE_IDEM_KEY_MAX + 64];
	snprintf(url, sizeof(url), "%s%s", ob->base, path ? path : "");
	struct eng_curlw_job *j = eng_curlw_job_new(
	    (uint64_t)id, "POST", url, body, blen, ob->cfg.timeout_ms);
	if (!j)
		return NULL;
	j->connect_timeout_ms = ob->cfg.connect_timeout_ms;
	bool ok = true;
	snprintf(h, sizeof(h), "Content-Type: %s", ctype ? ctype : "");
	ok &= eng_curlw_job_add_header(j, h) == XU_OK;
	snprintf(h, sizeof(h), "Accept: %s", ctype ? ctype : "");
	ok &= eng_curlw_job_add_header(j, h) == XU_OK;
	snprintf(h, sizeof(h), "Idempotency-Key: %s", key ? key : "");
	ok &= eng_curlw_job_add_header(j, h) == XU_OK;
	if (!ok) {
		eng_curlw_job_free(j);
		return NULL;
	}
	return j;
}

static struct eng_ob_held *held_of(const struct eng_outbox *ob, int64_t id)
{
	for (unsigned i = 0; i < ob->nheld; i++)
		if (ob->held[i].id == id)
			return &ob->held[i];
	return NULL;
}

/* Row id, whose result could not be recorded, is not sent again before
 * the backoff of its attempts (recorded, as far as known, and
 * unrecorded); returns the delay, or 0 when out of memory (then the next
 * tick sends it). */
static int64_t hold(struct eng_outbox *ob, int64_t id, int64_t attempts,
		    int64_t now)
{
	struct eng_ob_held *h = held_of(ob, id);
	if (!h) {
		if (ob->nheld == ob->cheld) {
			unsigned c = ob->cheld ? 2 * ob->cheld : 8;
			void *p = realloc(ob->held, c * sizeof(*ob->held));
			if (!p)
				return 0;
			ob->held = p;
			ob->cheld = c;
		}
		h = &ob->held[ob->nheld++];
		*h = (struct eng_ob_held){.id = id};
	}
	h->fails++;
	int64_t d = eng_outbox_backoff_ms(ob, attempts + h->fails - 1);
	h->after = now + d;
	return d;
}

static void unhold(struct eng_outbox *ob, int64_t id)
{
	struct eng_ob_held *h = held_of(ob, id);
	if (h)
		*h = ob->held[--ob->nheld];
}

/* Forgets rows held long past their time and not in flight: they are no
 * longer pending (their row was sent again otherwise). */
static void prune_held(struct eng_outbox *ob, int64_t now)
{
	for (unsigned i = 0; i < ob->nheld;) {
		struct eng_ob_held *h = &ob->held[i];
		if (h->after + (int64_t)ob->cfg.cap_ms < now &&
		    !is_inflight(ob, h->id))
			*h = ob->held[--ob->nheld];
		else
			i++;
	}
}

/* The job for a row.  A message's every attempt carries a key of its
 * own: the peer engine takes a message again without harm, and a
 * connector that keeps each answer per key (interledger-rs: a day, errors
 * included) would otherwise replay a failure to every retry
 * (docs/api.md#messages-and-the-connectors-answer-caches).  A credit
 * carries its key of the moment (see credit_rule). */
static struct eng_curlw_job *make_job(struct eng_outbox *ob,
				      const struct eng_obrows_send *row)
{
	char fresh[ENG_UUID_STRLEN];
	const char *key = row->idem_key;

	if (row->kind == ENG_OBROWS_MESSAGE) {
		eng_uuid4(fresh);
		key = fresh;
	}
	return eng_ob_new_job(ob, row->id, row->path, key, row->content_type,
			      row->body, row->body_len);
}

/* The jobs of one tick: what goes to the worker. */
struct picks {
	struct eng_curlw_job **jobs;
	unsigned n, room;
};

/* A tick's picking of rows: where the jobs go, and its error. */
struct pick {
	struct eng_outbox *ob;
	int64_t now;
	struct picks *p;
	enum xu_code rc;
	struct xu_err *e;
};

static bool pick_due_row(void *arg, const struct eng_obrows_send *row)
{
	struct pick *k = arg;
	struct picks *p = k->p;

	const struct eng_ob_held *h = held_of(k->ob, row->id);
	if (is_inflight(k->ob, row->id) || (h && h->after > k->now))
		return true;
	p->jobs[p->n] = make_job(k->ob, row);
	if (!p->jobs[p->n]) {
		k->rc = xu_fail(k->e, XU_ENOMEM, 0, "out of memory");
		return false;
	}
	p->n++;
	return p->n < p->room;
}

/* The due rows, oldest due first. */
static enum xu_code pick_due(struct eng_outbox *ob, int64_t now,
			     struct picks *p, struct xu_err *e)
{
	struct pick k = {.ob = ob, .now = now, .p = p, .rc = XU_OK, .e = e};

	if (p->n >= p->room)
		return XU_OK;
	/* Rows in flight or held stay 'pending': ask for that many more. */
	int64_t limit = (int64_t)p->room + ob->ninflight + ob->nheld;
	enum xu_code rc =
	    eng_obrows_due(ob->store, now, limit, pick_due_row, &k, e);
	return k.rc != XU_OK ? k.rc : rc;
}

unsigned eng_outbox_inflight(const struct eng_outbox *ob)
{
	return ob->ninflight;
}

unsigned eng_outbox_room(const struct eng_outbox *ob)
{
	return ob->cfg.max_inflight - ob->ninflight;
}

unsigned eng_outbox_capacity(const struct eng_outbox *ob)
{
	return ob->cfg.max_inflight;
}

bool eng_outbox_rows_waiting(const struct eng_outbox *ob)
{
	return ob->rows_waiting;
}

int eng_outbox_tick(struct eng_outbox *ob, int64_t now)
{
	struct picks p = {.room = eng_outbox_room(ob)};
	struct xu_err e;

	prune_held(ob, now);
	if (p.room == 0) {
		ob->rows_waiting = true;
		return 0;
	}
	p.jobs = calloc(p.room, sizeof(*p.jobs));
	if (!p.jobs)
		return -1;
	/* Reads only: handing a row to the worker writes nothing. */
	if (pick_due(ob, now, &p, &e) != XU_OK) {
		xu_broken("outbox", "cannot hand out due calls: %s", e.msg);
		for (unsigned i = 0; i < p.n; i++)
			eng_curlw_job_free(p.jobs[i]);
		free(p.jobs);
		return -1;
	}
	int sent = 0;
	/* As many due as there was room for: more may wait. */
	ob->rows_waiting = p.n == p.room;
	for (unsigned i = 0; i < p.n; i++) {
		int64_t id = (int64_t)p.jobs[i]->id;
		xu_debug("outbox", "call %lld: POST %s", (long long)id,
			 p.jobs[i]->url);
		if (eng_curlw_submit(ob->curlw, p.jobs[i], &e) != XU_OK) {
			/* Not sent: the next tick tries again. */
			xu_unusual("outbox", "call %lld not sent: %s",
				   (long long)id, e.msg);
			continue;
		}
		ob->inflight[ob->ninflight++] = id;
		sent++;
	}
	free(p.jobs);
	return sent;
}

int64_t eng_outbox_backoff_ms(const struct eng_outbox *ob, int64_t attempts)
{
	uint64_t d = ob->cfg.base_ms;
	for (int64_t i = 1; i < attempts && d < ob->cfg.cap_ms; i++)
		d *= 2;
	if (d > ob->cfg.cap_ms)
		d = ob->cfg.cap_ms;
	uint64_t j = d * ob->cfg.jitter_pct / 100;
	if (j > 0)
		d -= randombytes_uniform((uint32_t)j + 1);
	return (int64_t)d;
}

/* What result r of a call of kind k means (a credit's 409: see the top). */
static enum eng_ob_outcome classify(const struct eng_curlw_result *r,
				    enum eng_outbox_kind k)
{
	if (r->code != XU_OK)
		return ENG_OB_RETRY; /* timeout, connection error */
	if (r->status == 409 && k == ENG_OUTBOX_CREDIT)
		return ENG_OB_PARKED;
	switch (eng_outbox_classify(r->status)) {
	case ENG_OUTBOX_DELIVERED:
		return ENG_OB_DELIVERED;
	case ENG_OUTBOX_PARKED:
		return ENG_OB_PARKED;
	case ENG_OUTBOX_RETRY:
		break;
	}
	return ENG_OB_RETRY;
}

void eng_ob_seen(struct eng_outbox *ob, const struct eng_curlw_result *r,
		 enum eng_ob_outcome oc, int64_t now)
{
	ob->reachable = r->code == XU_OK; /* it answered, whatever it said */
	if (oc == ENG_OB_DELIVERED)
		ob->last_success_ms = now;
	else
		ob->last_failure_ms = now;
}

/* What row_record read and wrote of a row. */
struct row_result {
	struct eng_obrows_head h;
	enum eng_outbox_kind kind;
	enum eng_ob_outcome oc;
	int64_t attempts; /* this one included */
	int64_t next;	  /* when retried: due then */
	/* Credits only (credit_rule): */
	bool renew;		   /* next attempts carry key */
	char key[ENG_UUID_STRLEN]; /* the new key */
	int64_t unknown_since;	   /* 0: nothing under the key unanswered */
	bool unknown;		   /* parked: may have been applied */
};

/* How much of a reply the row keeps: a message's reply (the peer's
 * answer, relayed) is handed to its sender's callback at once and never
 * read again, so none of it; a credit's, for the operator, up to
 * ENG_OUTBOX_REPLY_KEEP bytes (docs/risks.md#endless-recovery-loop). */
static size_t kept_reply(enum eng_outbox_kind kind, size_t len)
{
	if (kind == ENG_OUTBOX_MESSAGE)
		return 0;
	return len < ENG_OUTBOX_REPLY_KEEP ? len : ENG_OUTBOX_REPLY_KEEP;
}

/* The rule for a credit's key (docs/api.md#credits-and-the-connectors-
 * answer-caches), applied to rr (outcome, next attempt) for result r:
 *   - a definite answer other than 2xx and 409: the connector applied
 *     nothing under the key (and, had an earlier attempt under it been
 *     applied, would have replayed that success), so the next attempts
 *     carry a new key: a connector that keeps the refusal per key
 *     (interledger-rs, a day) answers the new key afresh;
 *   - no byte of the request sent: nothing applied, the key stays (and
 *     an earlier unanswered attempt's window still runs);
 *   - sent but unanswered (timeout, dropped): it may have been applied,
 *     so the key stays, and every later attempt under it must go while
 *     the connector still remembers the key (the Java connector, 5
 *     minutes): retried within unknown_window_ms of the first unanswered
 *     one, then parked as BROKEN for the operator. */
static void credit_rule(const struct eng_outbox *ob,
			const struct eng_curlw_result *r, int64_t now,
			struct row_result *rr)
{
	int64_t win = ob->cfg.unknown_window_ms;

	rr->unknown_since = rr->h.unknown_since_ms;
	if (r->code == XU_OK) {
		if (r->status == 409)
			return;
		rr->unknown_since = 0;
		if (rr->oc != ENG_OB_DELIVERED) {
			eng_uuid4(rr->key);
			rr->renew = true;
		}
		return;
	}
	if (!r->unsent && rr->unknown_since == 0)
		rr->unknown_since = now;
	if (rr->unknown_since == 0)
		return; /* nothing sent under the key ever went unanswered */
	if (rr->next - now > win / 4)
		rr->next = now + win / 4;
	if (rr->next - rr->unknown_since >= win) {
		rr->oc = ENG_OB_PARKED;
		rr->unknown = true;
	}
}

/* Records result r of row id in the open transaction or one of its own,
 * relaxed unless durable; fills *rr.  Returns XU_OK or XU_ESTORE. */
static enum xu_code row_record(struct eng_outbox *ob, int64_t id,
			       const struct eng_curlw_result *r,
			       const char *errtxt, int64_t now, bool durable,
			       struct row_result *rr, struct xu_err *e)
{
	bool own;
	size_t keep;
	int status = r->code == XU_OK ? r->status : -1; /* -1: NULL */
	enum xu_code rc = durable ? tx_enter(ob->store, &own, e)
				  : relaxed_enter(ob->store, &own, e);
	if (rc == XU_OK)
		rc = eng_obrows_head(ob->store, id, &rr->h, e);
	if (rc == XU_OK) {
		rr->kind = rr->h.kind == ENG_OBROWS_CREDIT ? ENG_OUTBOX_CREDIT
							   : ENG_OUTBOX_MESSAGE;
		rr->oc = classify(r, rr->kind);
		rr->attempts = rr->h.attempts + 1;
		rr->next = now + eng_outbox_backoff_ms(ob, rr->attempts);
		if (rr->kind == ENG_OUTBOX_CREDIT)
			credit_rule(ob, r, now, rr);
		keep = kept_reply(rr->kind, r->body_len);
		switch (rr->oc) {
		case ENG_OB_DELIVERED:
			rc = eng_obrows_delivered(ob->store, id, status,
						  r->body, keep, now, e);
			break;
		case ENG_OB_PARKED:
			rc = eng_obrows_parked(ob->store, id, status, r->body,
					       keep, errtxt, now, e);
			break;
		case ENG_OB_RETRY:
			rc = eng_obrows_retry(ob->store, id, status, errtxt,
					      rr->next, now, e);
			break;
		}
	}
	if (rc == XU_OK && rr->kind == ENG_OUTBOX_CREDIT)
		rc = eng_obrows_key(ob->store, id, rr->renew ? rr->key : NULL,
				    rr->unknown_since, e);
	return relaxed_leave(ob->store, own, rc, e);
}

/* Logs the recorded result of row id and hands a final state to its
 * sender. */
static void row_report(struct eng_outbox *ob, int64_t id,
		       const struct eng_curlw_result *r, const char *errtxt,
		       int64_t now, const struct row_result *rr)
{
	enum eng_outbox_kind k = rr->kind;
	const char *kind = k == ENG_OUTBOX_CREDIT ? "credit" : "message";
	const char *account = rr->h.account;
	const struct xu_log_fields f = {.account = account};

	switch (rr->oc) {
	case ENG_OB_DELIVERED:
		xu_logf(XU_LOG_DEBUG, "outbox", &f,
			"%s %lld to %s delivered (HTTP %d)", kind,
			(long long)id, account, r->status);
		break;
	case ENG_OB_RETRY:
		xu_logf(XU_LOG_UNUSUAL, "outbox", &f,
			"%s %lld to %s failed (attempt %lld: %s); retrying "
			"in %lld ms%s",
			kind, (long long)id, account, (long long)rr->attempts,
			errtxt, (long long)(rr->next - now),
			rr->renew ? " under a new key (nothing was applied)"
				  : "");
		return; /* the sender hears of the final state only */
	case ENG_OB_PARKED:
		/* An undelivered credit is money the connector has not
		 * counted: an operator must look.  A message's sender (the
		 * channel logic) sees the refusal through its reply callback
		 * and sends again on its own schedule (a hello to a connector
		 * that does not know the account yet), so it is only
		 * unusual. */
		if (k == ENG_OUTBOX_CREDIT && rr->unknown)
			xu_logf(XU_LOG_BROKEN, "outbox", &f,
				"credit %lld to %s PARKED after attempt "
				"%lld: unanswered since %lld ms ago (%s), "
				"it may have been applied, and the "
				"connector may have forgotten its key: "
				"check its books, then `xrpse outbox retry "
				"%lld --new-key` (not applied) or leave it",
				(long long)id, account, (long long)rr->attempts,
				(long long)(now - rr->unknown_since), errtxt,
				(long long)id);
		else if (k == ENG_OUTBOX_CREDIT)
			xu_logf(XU_LOG_BROKEN, "outbox", &f,
				"%s %lld to %s PARKED after attempt %lld: the "
				"connector refused it (%s); kept undelivered "
				"for the operator",
				kind, (long long)id, account,
				(long long)rr->attempts, errtxt);
		else
			xu_logf(XU_LOG_UNUSUAL, "outbox", &f,
				"%s %lld to %s refused by the connector "
				"(%s); parked, its sender decides whether "
				"to send again",
				kind, (long long)id, account, errtxt);
		break;
	}
	eng_ob_reply(ob, k, id, rr->h.has_tag ? rr->h.tag : NULL, account,
		     r->status, r->body, r->body_len);
}

/* A credit's result kept until the end of the drain (defer_credit). */
struct eng_ob_defer {
	int64_t id, now;
	struct eng_curlw_result r; /* body: reply, error: as it came */
	uint8_t reply[ENG_OUTBOX_REPLY_KEEP];
	char errtxt[200];
	struct row_result rr;
};

/* Inside eng_outbox_drain: keeps credit id's result r for the drain's end
 * (credits_flush), the call still in flight meanwhile (nothing sends it
 * again).  The reply kept is what its row would keep.  Returns false when
 * there is no room (record it now). */
static bool defer_credit(struct eng_outbox *ob, int64_t id,
			 const struct eng_curlw_result *r, const char *errtxt,
			 int64_t now)
{
	struct eng_ob_defer *d;

	if (!ob->defer) {
		ob->defer = calloc(ob->cfg.max_inflight, sizeof(*ob->defer));
		if (!ob->defer)
			return false;
	}
	if (ob->ndefer == ob->cfg.max_inflight ||
	    ob->ninflight == ob->cfg.max_inflight)
		return false;
	d = &ob->defer[ob->ndefer++];
	memset(&d->rr, 0, sizeof(d->rr));
	d->id = id;
	d->now = now;
	d->r = *r;
	d->r.body_len = kept_reply(ENG_OUTBOX_CREDIT, r->body_len);
	if (d->r.body_len)
		memcpy(d->reply, r->body, d->r.body_len);
	d->r.body = d->r.body_len ? d->reply : NULL;
	snprintf(d->errtxt, sizeof(d->errtxt), "%s", errtxt);
	ob->inflight[ob->ninflight++] = id;
	return true;
}

/* The end of a drain: records the credits' results it kept in one
 * transaction (one commit, durable as each one's own would be), then
 * reports them as eng_outbox_complete does; when the commit fails, each
 * is held and sent again, as one that failed alone. */
static void credits_flush(struct eng_outbox *ob)
{
	struct xu_err e = {0};
	bool own;
	unsigned n = ob->ndefer;
	enum xu_code rc;

	if (!n)
		return;
	ob->ndefer = 0;
	rc = tx_enter(ob->store, &own, &e);
	for (unsigned i = 0; rc == XU_OK && i < n; i++) {
		struct eng_ob_defer *d = &ob->defer[i];

		rc = row_record(ob, d->id, &d->r, d->errtxt, d->now, true,
				&d->rr, &e);
	}
	rc = tx_leave(ob->store, own, rc, &e);
	for (unsigned i = 0; i < n; i++) {
		struct eng_ob_defer *d = &ob->defer[i];

		take_inflight(ob, d->id);
		if (rc != XU_OK) {
			int64_t a = d->rr.attempts ? d->rr.attempts : 1;
			int64_t w = hold(ob, d->id, a, d->now);

			xu_broken("outbox",
				  "call %lld: cannot record its result: %s; "
				  "sent again in %lld ms",
				  (long long)d->id, e.msg, (long long)w);
			continue;
		}
		unhold(ob, d->id);
		eng_ob_seen(ob, &d->r, d->rr.oc, d->now);
		row_report(ob, d->id, &d->r, d->errtxt, d->now, &d->rr);
	}
}

void eng_outbox_complete(void *arg, const struct eng_curlw_result *r)
{
	struct eng_outbox *ob = arg;
	int64_t id = (int64_t)r->id;
	for (unsigned i = 0; i < ob->ndefer; i++)
		if (ob->defer[i].id == id)
			return; /* a duplicate of a result kept: ignored */
	if (!take_inflight(ob, id)) {
		xu_debug("outbox", "ignoring result of unknown call %lld",
			 (long long)id);
		return;
	}
	int64_t now = eng_ob_now(ob);
	char errtxt[200];
	if (r->code != XU_OK)
		snprintf(errtxt, sizeof(errtxt), "%s", r->error);
	else
		snprintf(errtxt, sizeof(errtxt), "HTTP %d: %.*s", r->status,
			 (int)(r->body_len > 120 ? 120 : r->body_len),
			 r->body ? (const char *)r->body : "");
	if (id & ENG_OB_LW_ID_BIT) {
		eng_ob_lw_complete(ob, r, classify(r, ENG_OUTBOX_MESSAGE),
				   errtxt, now);
		return;
	}
	struct row_result rr = {.attempts = 0};
	struct xu_err e;
	/* A credit's result is durable before the credit stops going: a
	 * power cut must not send a delivered one again after the
	 * connector forgot its key; a message's may be lost. */
	struct eng_obrows_head h;
	bool durable = eng_obrows_head(ob->store, id, &h, NULL) != XU_OK ||
		       h.kind == ENG_OBROWS_CREDIT;
	if (durable && ob->grouping && defer_credit(ob, id, r, errtxt, now))
		return;
	if (row_record(ob, id, r, errtxt, now, durable, &rr, &e) != XU_OK) {
		/* The row stays as it was, due: sent again (same key: at
		 * most a duplicate the connector recognises) once held. */
		int64_t d = hold(ob, id, rr.attempts ? rr.attempts : 1, now);
		xu_broken("outbox",
			  "call %lld: cannot record its result: %s; sent "
			  "again in %lld ms",
			  (long long)id, e.msg, (long long)d);
		return;
	}
	unhold(ob, id);
	eng_ob_seen(ob, r, rr.oc, now);
	row_report(ob, id, r, errtxt, now, &rr);
}

size_t eng_outbox_drain(struct eng_outbox *ob)
{
	size_t n;

	ob->grouping = true;
	n = eng_curlw_drain(ob->curlw, eng_outbox_complete, ob);
	ob->grouping = false;
	credits_flush(ob);
	return n;
}

enum xu_code eng_outbox_unpark(struct eng_store *s, int64_t id, bool new_key,
			       struct xu_err *err)
{
	bool own;
	char key[ENG_UUID_STRLEN];
	enum xu_code rc = tx_enter(s, &own, err);
	if (rc != XU_OK)
		return rc;
	if (new_key)
		eng_uuid4(key);
	rc = eng_obrows_unpark(s, id, new_key ? key : NULL, err);
	return tx_leave(s, own, rc, err);
}

enum xu_code eng_outbox_gc(struct eng_store *s, int64_t before_ms,
			   unsigned long *deleted, struct xu_err *err)
{
	bool own;
	unsigned long n = 0;
	enum xu_code rc = tx_enter(s, &own, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_obrows_gc(s, before_ms, &n, err);
	rc = tx_leave(s, own, rc, err);
	if (rc == XU_OK && deleted)
		*deleted = n;
	return rc;
}

enum xu_code eng_outbox_stats(struct eng_outbox *ob,
			      struct eng_outbox_stats *out, struct xu_err *err)
{
	struct eng_outbox_stats st = {0};
	struct eng_obrows_counts c;
	enum xu_code rc = eng_obrows_count(ob->store, &c, err);
	if (rc != XU_OK)
		return rc;
	st.rows = c;
	st.pending = c.pending;
	st.delivered = c.delivered;
	st.parked = c.parked;
	/* In flight: in memory, table rows still 'pending' in the table;
	 * in-memory messages (claims) count as pending or in flight. */
	uint64_t mem_inflight = 0, mem_pending = 0;
	eng_ob_lw_count(ob, &mem_inflight, &mem_pending);
	st.inflight = ob->ninflight;
	uint64_t rows_inflight = st.inflight - mem_inflight;
	st.pending =
	    (st.pending > rows_inflight ? st.pending - rows_inflight : 0) +
	    mem_pending;
	st.last_success_ms = ob->last_success_ms;
	st.last_failure_ms = ob->last_failure_ms;
	st.reachable = ob->reachable;
	*out = st;
	return XU_OK;
}
