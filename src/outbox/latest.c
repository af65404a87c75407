/* The outbox's latest-wins messages (see outbox.h): the channel logic's
 * claims, kept in memory only, never as rows.
 *
 * Each carries everything the earlier ones of its account did (a
 * cumulative claim), so only the newest is worth sending, and losing it in
 * a crash costs nothing the sender cannot make again from its record.  Per
 * account one struct eng_ob_lw holds the newest body and its
 * Idempotency-Key, and the (at most two) attempts out.  Nothing is
 * scheduled here: eng_outbox_send_now and eng_outbox_retry_now hand an
 * attempt to the worker at once, and every result, whatever it is, reaches
 * the callback of ENG_OUTBOX_LATEST_TAG with the sender's token.  When an
 * attempt goes, the stall rule and the retries are the sender's
 * (channel/delivery.h, driven by src/paychan/).  Their job ids have
 * ENG_OB_LW_ID_BIT set, so they share the rows' set of ids in flight and
 * its bound without ever meeting a row id. */
#include "src/outbox/internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/io/uuid.h"
#include "src/util/log.h"

/* Attempts one account may have out: the current one and one stalled
 * (channel/delivery.h never has more). */
#define LW_SLOTS 2

/* One per account that was ever sent a claim, so kept small: the path is
 * made at each attempt, and the account takes the bytes it needs (the
 * key of ob->lw_map). */
struct eng_ob_lw {
	struct eng_ob_lw *next;
	char key[ENG_UUID_STRLEN]; /* Idempotency-Key of the last attempt */
	uint8_t *body;		   /* the newest, owned; kept for a retry */
	size_t len;
	int64_t job[LW_SLOTS];	  /* attempts out (job ids), 0: free */
	uint64_t token[LW_SLOTS]; /* their senders' tokens */
	char account[];
};

/* An attempt out, found by its job id when its answer comes. */
struct lw_job {
	int64_t id;
	struct eng_ob_lw *m;
};

void eng_ob_lw_init(struct eng_outbox *ob)
{
	uint64_t seed = (uint64_t)(uintptr_t)ob ^ (uint64_t)time(NULL);

	xu_map_init(&ob->lw_map, offsetof(struct eng_ob_lw, account), 0, seed);
	xu_map_init(&ob->lw_jobs, offsetof(struct lw_job, id), sizeof(int64_t),
		    seed * 0x9e3779b97f4a7c15ull);
}

static struct eng_ob_lw *lw_of(struct eng_outbox *ob, const char *account)
{
	return xu_map_get(&ob->lw_map, account);
}

/* Hands one attempt of m's newest body to the worker now, under a key of
 * its own (docs/api.md#messages-and-the-connectors-answer-caches). */
static enum xu_code lw_go(struct eng_outbox *ob, struct eng_ob_lw *m,
			  uint64_t token, struct xu_err *err)
{
	struct xu_err e;
	unsigned slot = m->job[0] == 0 ? 0 : 1;

	/* The sender's rule: never a third attempt out. */
	XU_ASSERT(m->job[slot] == 0);
	if (ob->ninflight >= ob->cfg.max_inflight)
		return xu_fail(err, XU_EUNAVAIL, 0,
			       "%u calls in flight already", ob->ninflight);
	char path[ENG_OB_URL_MAX / 2];
	enum xu_code rc =
	    eng_ob_make_path(path, sizeof(path), m->account, "messages", err);
	if (rc != XU_OK)
		return rc;
	int64_t id = ENG_OB_LW_ID_BIT | (int64_t)++ob->lw_seq;
	eng_uuid4(m->key);
	struct eng_curlw_job *j = eng_ob_new_job(
	    ob, id, path, m->key, "application/octet-stream", m->body, m->len);
	if (!j)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	struct lw_job *t = malloc(sizeof(*t));
	if (!t) {
		eng_curlw_job_free(j);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	t->id = id;
	t->m = m;
	rc = xu_map_put(&ob->lw_jobs, t, err);
	if (rc != XU_OK) {
		free(t);
		eng_curlw_job_free(j);
		return rc;
	}
	/* (eng_curlw_submit takes j, also when it fails.) */
	if (eng_curlw_submit(ob->curlw, j, &e) != XU_OK) {
		free(xu_map_del(&ob->lw_jobs, &id));
		return xu_fail(err, XU_EUNAVAIL, 0, "not sent: %s", e.msg);
	}
	m->job[slot] = id;
	m->token[slot] = token;
	ob->inflight[ob->ninflight++] = id;
	return XU_OK;
}

enum xu_code eng_outbox_send_now(struct eng_outbox *ob, const char *account,
				 const void *bytes, size_t len, uint64_t token,
				 struct xu_err *err)
{
	if (len > ENG_OUTBOX_MSG_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "message of %zu bytes, more than %d", len,
			       ENG_OUTBOX_MSG_MAX);
	struct eng_ob_lw *m = lw_of(ob, account);
	bool fresh = m == NULL;
	if (fresh) {
		/* The path's rule for the account, before it is kept. */
		char path[ENG_OB_URL_MAX / 2];
		enum xu_code rc = eng_ob_make_path(path, sizeof(path), account,
						   "messages", err);
		if (rc != XU_OK)
			return rc;
		size_t alen = strlen(account);
		m = calloc(1, sizeof(*m) + alen + 1);
		if (!m)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		memcpy(m->account, account, alen + 1);
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
	if (fresh) {
		enum xu_code rc = xu_map_put(&ob->lw_map, m, err);
		if (rc != XU_OK) {
			free(b);
			free(m);
			return rc;
		}
		m->next = ob->lw;
		ob->lw = m;
	}
	/* Kept also when it cannot leave now: a retry sends it. */
	return lw_go(ob, m, token, err);
}

enum xu_code eng_outbox_retry_now(struct eng_outbox *ob, const char *account,
				  uint64_t token, struct xu_err *err)
{
	struct eng_ob_lw *m = lw_of(ob, account);

	if (!m)
		return xu_fail(err, XU_ENOTFOUND, 0, "no message to %s",
			       account);
	return lw_go(ob, m, token, err);
}

void eng_ob_lw_complete(struct eng_outbox *ob, const struct eng_curlw_result *r,
			enum eng_ob_outcome oc, const char *errtxt, int64_t now)
{
	int64_t id = (int64_t)r->id;
	struct lw_job *t = xu_map_del(&ob->lw_jobs, &id);
	struct eng_ob_lw *m = t ? t->m : NULL;
	unsigned slot = 0;

	free(t);
	if (!m)
		return; /* cannot happen: the in-flight set had it */
	slot = m->job[0] == id ? 0 : 1;
	uint64_t token = m->token[slot];
	m->job[slot] = 0;
	m->token[slot] = 0;
	eng_ob_seen(ob, r, oc, now);
	switch (oc) {
	case ENG_OB_RETRY:
		xu_unusual("outbox",
			   "%s to %s failed (%s); its sender decides "
			   "when to send it again",
			   ENG_OUTBOX_LATEST_TAG, m->account, errtxt);
		break;
	case ENG_OB_PARKED:
		xu_unusual("outbox",
			   "%s to %s refused by the connector (%s); its "
			   "sender decides whether to send again",
			   ENG_OUTBOX_LATEST_TAG, m->account, errtxt);
		break;
	case ENG_OB_DELIVERED:
		break;
	}
	eng_ob_reply(ob, ENG_OUTBOX_MESSAGE, (int64_t)token,
		     ENG_OUTBOX_LATEST_TAG, m->account,
		     r->code == XU_OK ? r->status : 0, r->body, r->body_len);
}

void eng_ob_lw_count(const struct eng_outbox *ob, uint64_t *inflight,
		     uint64_t *pending)
{
	(void)pending; /* nothing waits here */
	for (const struct eng_ob_lw *m = ob->lw; m; m = m->next)
		*inflight += (m->job[0] != 0) + (m->job[1] != 0);
}

void eng_ob_lw_free(struct eng_outbox *ob)
{
	size_t pos = 0;
	struct lw_job *t;

	while ((t = xu_map_next(&ob->lw_jobs, &pos)) != NULL)
		free(t);
	xu_map_clear(&ob->lw_jobs);
	xu_map_clear(&ob->lw_map);
	while (ob->lw) {
		struct eng_ob_lw *m = ob->lw;
		ob->lw = m->next;
		free(m->body);
		free(m);
	}
}
