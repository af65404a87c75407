/* The persisted outbox of calls to the connector (see outbox.h).
 *
 * Row life cycle (outbox.state; "in flight" lives in memory only):
 *
 *   enqueue --> pending --tick--> (in flight) --2xx---------> delivered
 *                  ^                 |  \--4xx but 409-------> parked
 *                  |                 |                          |
 *                  +-- timeout, I/O, 5xx, 409, other (backoff) -+ unpark
 *
 * The worker (src/io/curlw.c) performs one attempt per job; the job id is the
 * row id.  The set of ids in flight is kept in memory, so handing a row to
 * the worker writes nothing (a crash before its result leaves it
 * 'pending': it is sent again, same key and bytes), a late or foreign
 * result (an id not in the set) is ignored, and a row is never sent twice
 * at the same time.  The result is recorded with attempts + 1.
 *
 * Latest-wins messages (ENG_OUTBOX_LATEST_TAG, "claim"): each carries
 * everything the earlier ones did (a cumulative claim).  The channel logic
 * sends them in memory only (eng_outbox_send_latest, struct lw_msg: no
 * row; their job ids have LW_ID_BIT set): per account the newest, one
 * attempt in flight, retried with the rows' backoff unless a newer one
 * comes.  No row ever carries their tag. */
#include "src/outbox/outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/io/clock.h"
#include "src/io/uuid.h"
#include "src/store/outbox_rows.h"
#include "src/util/log.h"

#define URL_MAX 2048
_Static_assert(ENG_OUTBOX_TAG_MAX == ENG_OBROWS_TAG_MAX, "tag sizes differ");
/* Job ids of in-memory latest-wins messages; table rows have ids below. */
#define LW_ID_BIT ((int64_t)1 << 62)

/* An account's latest-wins message kept in memory (eng_outbox_send_latest):
 * the newest one only; one attempt in flight at a time.  'gen' counts the
 * bodies given, so a result tells whether it was for the newest. */
struct lw_msg {
	struct lw_msg *next;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	char path[URL_MAX / 2];
	char key[ENG_UUID_STRLEN]; /* Idempotency-Key of the newest body */
	uint8_t *body;		   /* the newest, owned */
	size_t len;
	uint64_t gen;	  /* of the newest body */
	bool queued;	  /* the newest body is not yet answered */
	int64_t job;	  /* the attempt in flight, 0: none */
	uint64_t job_gen; /* the body it carries */
	int64_t job_ms;	  /* when it left */
	/* An older attempt given up waiting for (stalled): its answer
	 * still reaches its sender, nothing else waits for it. */
	int64_t stalled;
	int64_t attempts; /* of the newest body */
	int64_t next_ms;  /* its next attempt is due */
};

struct eng_outbox {
	struct eng_store *store;
	struct eng_curlw *curlw;
	char base[URL_MAX];
	struct eng_outbox_cfg cfg;
	struct {
		const char *tag; /* NULL: credits */
		eng_outbox_reply_fn fn;
		void *arg;
	} replies[ENG_OUTBOX_REPLY_MAX];
	unsigned nreplies;
	int64_t *inflight; /* job ids, cfg.max_inflight slots */
	unsigned ninflight;
	bool lw_done; /* a latest-wins message waits: tick after the drain */
	struct lw_msg *lw_msgs; /* latest-wins messages in memory */
	uint64_t lw_seq;	/* their job ids: LW_ID_BIT | seq */
	int64_t last_success_ms, last_failure_ms;
	bool reachable;
};

static int64_t realtime_ms(void *arg)
{
	(void)arg;
	return eng_wall_ms();
}

static int64_t now_ms(const struct eng_outbox *ob)
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
	cfg->latest_wins_stall_ms = 2000;
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

/* The outbox's own bookkeeping (a row's result) may
 * be lost by a crash without harm: the row is then sent again, byte for
 * byte with the same Idempotency-Key, which the connector answers as a
 * duplicate.  So when the outbox opens the transaction itself, it is a
 * relaxed one (eng_store_begin_relaxed: no fsync), and the loop thread
 * does not wait for the disk twice more per call.  Inside a caller's
 * transaction nothing changes (the caller's commit decides). */
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
	if (blen == 0 || blen >= URL_MAX - 512)
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
	ob->inflight = calloc(ob->cfg.max_inflight, sizeof(*ob->inflight));
	if (!ob->inflight) {
		free(ob);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	*out = ob;
	return XU_OK;
}

void eng_outbox_free(struct eng_outbox *ob)
{
	if (!ob)
		return;
	free(ob->inflight);
	while (ob->lw_msgs) {
		struct lw_msg *m = ob->lw_msgs;
		ob->lw_msgs = m->next;
		free(m->body);
		free(m);
	}
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

/* Hands a row's final state to the callback of its tag, if any. */
static void reply_to_sender(struct eng_outbox *ob, enum eng_outbox_kind k,
			    int64_t id, const char *tag, const char *account,
			    int status, const uint8_t *body, size_t len)
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

/* "/accounts/<id percent-encoded>/<what>" */
static enum xu_code make_path(char *buf, size_t cap, const char *account,
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
	char path[URL_MAX / 2];
	enum xu_code rc =
	    make_path(path, sizeof(path), account, "settlements", err);
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
	/* Latest-wins messages are never rows (eng_outbox_send_latest). */
	XU_ASSERT(!tag || strcmp(tag, ENG_OUTBOX_LATEST_TAG) != 0);
	char path[URL_MAX / 2];
	enum xu_code rc =
	    make_path(path, sizeof(path), account, "messages", err);
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

static struct eng_curlw_job *new_job(struct eng_outbox *ob, int64_t id,
				     const char *path, const char *key,
				     const char *ctype, const void *body,
				     size_t blen)
{
	char url[URL_MAX], h[ENG_STORE_IDEM_KEY_MAX + 64];
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

/* The job for a row. */
static struct eng_curlw_job *make_job(struct eng_outbox *ob,
				      const struct eng_obrows_send *row)
{
	return new_job(ob, row->id, row->path, row->idem_key, row->content_type,
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
	struct picks *p;
	enum xu_code rc;
	struct xu_err *e;
};

static bool pick_due_row(void *arg, const struct eng_obrows_send *row)
{
	struct pick *k = arg;
	struct picks *p = k->p;

	if (is_inflight(k->ob, row->id))
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
	struct pick k = {.ob = ob, .p = p, .rc = XU_OK, .e = e};

	if (p->n >= p->room)
		return XU_OK;
	/* Rows in flight stay 'pending': ask for that many more. */
	enum xu_code rc =
	    eng_obrows_due(ob->store, now, (int64_t)p->room + ob->ninflight,
			   pick_due_row, &k, e);
	return k.rc != XU_OK ? k.rc : rc;
}

static struct lw_msg *lw_msg_of(struct eng_outbox *ob, const char *account)
{
	for (struct lw_msg *m = ob->lw_msgs; m; m = m->next)
		if (strcmp(m->account, account) == 0)
			return m;
	return NULL;
}

enum xu_code eng_outbox_send_latest(struct eng_outbox *ob, const char *account,
				    const void *bytes, size_t len,
				    struct xu_err *err)
{
	if (len > ENG_OUTBOX_MSG_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "message of %zu bytes, more than %d", len,
			       ENG_OUTBOX_MSG_MAX);
	struct lw_msg *m = lw_msg_of(ob, account);
	bool fresh = m == NULL;
	if (fresh) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		snprintf(m->account, sizeof(m->account), "%s", account);
		enum xu_code rc = make_path(m->path, sizeof(m->path), account,
					    "messages", err);
		if (rc != XU_OK) {
			free(m);
			return rc;
		}
	}
	uint8_t *b = malloc(len ? len : 1);
	if (!b) {
		if (fresh)
			free(m);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	memcpy(b, bytes, len);
	free(m->body);
	m->body = b;
	m->len = len;
	m->gen++;
	m->queued = true;
	m->attempts = 0;
	m->next_ms = 0;
	eng_uuid4(m->key);
	if (fresh) {
		m->next = ob->lw_msgs;
		ob->lw_msgs = m;
	}
	return XU_OK;
}

/* Hands the due in-memory latest-wins messages to the worker, at most
 * room of them; returns how many went. */
static unsigned lw_msgs_tick(struct eng_outbox *ob, int64_t now, unsigned room)
{
	unsigned sent = 0;
	struct xu_err e;

	for (struct lw_msg *m = ob->lw_msgs; m && sent < room; m = m->next) {
		/* A newer body waits behind an attempt out for longer than
		 * latest_wins_stall_ms (a connector that does not answer):
		 * that one is let be, and the newest goes beside it. */
		if (m->queued && m->job && m->job_gen != m->gen &&
		    !m->stalled && ob->cfg.latest_wins_stall_ms &&
		    now - m->job_ms >= (int64_t)ob->cfg.latest_wins_stall_ms) {
			xu_unusual("outbox",
				   "%s to %s unanswered after %lld ms: the "
				   "newer one goes beside it",
				   ENG_OUTBOX_LATEST_TAG, m->account,
				   (long long)(now - m->job_ms));
			m->stalled = m->job;
			m->job = 0;
		}
		if (!m->queued || m->job || m->next_ms > now)
			continue;
		int64_t id = LW_ID_BIT | (int64_t)++ob->lw_seq;
		struct eng_curlw_job *j =
		    new_job(ob, id, m->path, m->key, "application/octet-stream",
			    m->body, m->len);
		if (!j || eng_curlw_submit(ob->curlw, j, &e) != XU_OK) {
			/* Not sent: the next tick tries again. */
			xu_unusual("outbox", "message to %s not sent: %s",
				   m->account, j ? e.msg : "out of memory");
			if (j)
				eng_curlw_job_free(j);
			continue;
		}
		m->job = id;
		m->job_gen = m->gen;
		m->job_ms = now;
		ob->inflight[ob->ninflight++] = id;
		sent++;
	}
	return sent;
}

/* The result of an in-memory latest-wins message (ids with LW_ID_BIT,
 * already taken out of the in-flight set). */
static void lw_msg_complete(struct eng_outbox *ob,
			    const struct eng_curlw_result *r, int outcome,
			    const char *errtxt, int64_t now);

int eng_outbox_tick(struct eng_outbox *ob, int64_t now)
{
	struct picks p = {.room = ob->cfg.max_inflight - ob->ninflight};
	struct xu_err e;

	if (p.room == 0)
		return 0;
	/* In-memory latest-wins messages (claims) first: they carry the
	 * money and cost no query. */
	unsigned nmem = ob->lw_msgs ? lw_msgs_tick(ob, now, p.room) : 0;
	p.room -= nmem;
	if (p.room == 0)
		return (int)nmem;
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
	return sent + (int)nmem;
}

/* The delay before attempt attempts+1, jittered. */
static int64_t backoff_ms(const struct eng_outbox *ob, int64_t attempts)
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

enum outcome { DELIVERED, RETRY, PARKED };

static enum outcome classify(const struct eng_curlw_result *r)
{
	if (r->code != XU_OK)
		return RETRY; /* timeout, connection error */
	if (r->status >= 200 && r->status <= 299)
		return DELIVERED;
	if (r->status >= 400 && r->status <= 499 && r->status != 409)
		return PARKED;
	return RETRY; /* 5xx, 409, and anything unexpected */
}

void eng_outbox_complete(void *arg, const struct eng_curlw_result *r)
{
	struct eng_outbox *ob = arg;
	int64_t id = (int64_t)r->id;
	if (!take_inflight(ob, id)) {
		xu_debug("outbox", "ignoring result of unknown call %lld",
			 (long long)id);
		return;
	}
	int64_t now = now_ms(ob);
	enum outcome oc = classify(r);
	char errtxt[200];
	if (r->code != XU_OK)
		snprintf(errtxt, sizeof(errtxt), "%s", r->error);
	else
		snprintf(errtxt, sizeof(errtxt), "HTTP %d: %.*s", r->status,
			 (int)(r->body_len > 120 ? 120 : r->body_len),
			 r->body ? (const char *)r->body : "");
	if (id & LW_ID_BIT) {
		lw_msg_complete(ob, r, (int)oc, errtxt, now);
		return;
	}

	struct xu_err e;
	bool own;
	struct eng_obrows_head h;
	int64_t attempts = 0, next = 0;
	int status = r->code == XU_OK ? r->status : -1; /* -1: NULL */
	enum xu_code rc = relaxed_enter(ob->store, &own, &e);
	if (rc == XU_OK)
		rc = eng_obrows_head(ob->store, id, &h, &e);
	if (rc == XU_OK) {
		attempts = h.attempts + 1; /* this attempt included */
		switch (oc) {
		case DELIVERED:
			rc =
			    eng_obrows_delivered(ob->store, id, status, r->body,
						 r->body_len, now, &e);
			break;
		case PARKED:
			rc = eng_obrows_parked(ob->store, id, status, r->body,
					       r->body_len, errtxt, now, &e);
			break;
		case RETRY:
			next = now + backoff_ms(ob, attempts);
			rc = eng_obrows_retry(ob->store, id, status, errtxt,
					      next, now, &e);
			break;
		}
	}
	rc = relaxed_leave(ob->store, own, rc, &e);
	if (rc != XU_OK) {
		/* The row stays as it was, due: the next tick sends it
		 * again (same key: at most a duplicate the connector
		 * recognises). */
		xu_broken("outbox", "call %lld: cannot record its result: %s",
			  (long long)id, e.msg);
		return;
	}

	ob->reachable = r->code == XU_OK; /* it answered, whatever it said */
	if (oc == DELIVERED)
		ob->last_success_ms = now;
	else
		ob->last_failure_ms = now;
	enum eng_outbox_kind k = h.kind == ENG_OBROWS_CREDIT
				     ? ENG_OUTBOX_CREDIT
				     : ENG_OUTBOX_MESSAGE;
	const char *kind = k == ENG_OUTBOX_CREDIT ? "credit" : "message";
	const char *account = h.account;
	switch (oc) {
	case DELIVERED:
		xu_debug("outbox", "%s %lld to %s delivered (HTTP %d)", kind,
			 (long long)id, account, r->status);
		break;
	case RETRY:
		xu_unusual("outbox",
			   "%s %lld to %s failed (attempt %lld: %s); retrying "
			   "in %lld ms",
			   kind, (long long)id, account, (long long)attempts,
			   errtxt, (long long)(next - now));
		return; /* the sender hears of the final state only */
	case PARKED:
		/* An undelivered credit is money the connector has not
		 * counted: an operator must look.  A message's sender (the
		 * channel logic) sees the refusal through its reply callback
		 * and sends again on its own schedule (a hello to a connector
		 * that does not know the account yet, f62), so it is only
		 * unusual. */
		if (k == ENG_OUTBOX_CREDIT)
			xu_broken(
			    "outbox",
			    "%s %lld to %s PARKED after attempt %lld: the "
			    "connector refused it (%s); kept undelivered "
			    "for the operator",
			    kind, (long long)id, account, (long long)attempts,
			    errtxt);
		else
			xu_unusual("outbox",
				   "%s %lld to %s refused by the connector "
				   "(%s); parked, its sender decides whether "
				   "to send again",
				   kind, (long long)id, account, errtxt);
		break;
	}
	reply_to_sender(ob, k, id, h.has_tag ? h.tag : NULL, account, r->status,
			r->body, r->body_len);
}

static void lw_msg_complete(struct eng_outbox *ob,
			    const struct eng_curlw_result *r, int outcome,
			    const char *errtxt, int64_t now)
{
	enum outcome oc = (enum outcome)outcome;
	int64_t id = (int64_t)r->id;
	struct lw_msg *m = ob->lw_msgs, **pp = &ob->lw_msgs;

	while (m && m->job != id && m->stalled != id) {
		pp = &m->next;
		m = m->next;
	}
	if (!m)
		return; /* cannot happen: the in-flight set had it */
	/* The stalled attempt carried an older body by definition. */
	bool newest = m->job == id && m->job_gen == m->gen;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	snprintf(account, sizeof(account), "%s", m->account);
	if (m->stalled == id)
		m->stalled = 0;
	else
		m->job = 0;
	ob->reachable = r->code == XU_OK;
	if (oc == DELIVERED)
		ob->last_success_ms = now;
	else
		ob->last_failure_ms = now;
	if (newest) {
		if (oc == RETRY) {
			m->attempts++;
			m->next_ms = now + backoff_ms(ob, m->attempts);
			xu_unusual("outbox",
				   "%s to %s failed (attempt %lld: %s); "
				   "retrying in %lld ms unless a newer one "
				   "comes",
				   ENG_OUTBOX_LATEST_TAG, account,
				   (long long)m->attempts, errtxt,
				   (long long)(m->next_ms - now));
		} else {
			if (oc == PARKED)
				xu_unusual("outbox",
					   "%s to %s refused by the connector "
					   "(%s); its sender decides whether "
					   "to send again",
					   ENG_OUTBOX_LATEST_TAG, account,
					   errtxt);
			m->queued = false;
		}
	}
	/* A newer body waits: it goes at the next tick (the drain's). */
	if (m->queued)
		ob->lw_done = true;
	else if (m->job || m->stalled) {
		/* an attempt is still out: the slot stays for its answer */
	} else {
		*pp = m->next;
		free(m->body);
		free(m);
	}
	reply_to_sender(ob, ENG_OUTBOX_MESSAGE, id, ENG_OUTBOX_LATEST_TAG,
			account, r->code == XU_OK ? r->status : 0, r->body,
			r->body_len);
}

size_t eng_outbox_drain(struct eng_outbox *ob)
{
	size_t n = eng_curlw_drain(ob->curlw, eng_outbox_complete, ob);

	/* The next latest-wins message of that account may go now. */
	if (ob->lw_done) {
		ob->lw_done = false;
		eng_outbox_tick(ob, now_ms(ob));
	}
	return n;
}

enum xu_code eng_outbox_unpark(struct eng_store *s, int64_t id,
			       struct xu_err *err)
{
	bool own;
	enum xu_code rc = tx_enter(s, &own, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_obrows_unpark(s, id, err);
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
	st.pending = c.pending;
	st.delivered = c.delivered;
	st.parked = c.parked;
	/* In flight: in memory, table rows still 'pending' in the table;
	 * in-memory messages (claims) count as pending or in flight. */
	uint64_t mem_inflight = 0, mem_pending = 0;
	for (struct lw_msg *m = ob->lw_msgs; m; m = m->next) {
		mem_inflight += (m->job != 0) + (m->stalled != 0);
		/* the newest waiting, the attempt out is an older one's */
		mem_pending += m->queued && (!m->job || m->job_gen != m->gen);
	}
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
