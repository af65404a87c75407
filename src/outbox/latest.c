/* The outbox's latest-wins messages (see outbox.h): the channel logic's
 * claims, kept in memory only (eng_outbox_send_latest), never as rows.
 *
 * Each carries everything the earlier ones of its account did (a
 * cumulative claim), so only the newest is worth sending, and losing it in
 * a crash costs nothing the sender cannot make again from its record.  Per
 * account one struct eng_ob_lw holds the newest body; 'gen' counts the
 * bodies given, so a result tells whether it was for the newest.  One
 * attempt is in flight at a time; a body given meanwhile replaces the
 * waiting one and goes when that attempt ends (the drain ticks at once).
 * The stall rule: an attempt out for cfg.latest_wins_stall_ms while a
 * newer body waits is let be, and the newer one goes beside it (at most
 * two out per account, never a third).  A failed attempt of the newest is
 * retried with the rows' backoff unless a newer body comes first; a
 * refusal (4xx) drops it.  Every result, the stalled attempt's included,
 * reaches the callback of ENG_OUTBOX_LATEST_TAG.  Their job ids have
 * ENG_OB_LW_ID_BIT set, so they share the rows' set of ids in flight and
 * its bound without ever meeting a row id. */
#include "src/outbox/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/io/uuid.h"
#include "src/util/log.h"

struct eng_ob_lw {
	struct eng_ob_lw *next;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	char path[ENG_OB_URL_MAX / 2];
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

static struct eng_ob_lw *lw_of(struct eng_outbox *ob, const char *account)
{
	for (struct eng_ob_lw *m = ob->lw; m; m = m->next)
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
	struct eng_ob_lw *m = lw_of(ob, account);
	bool fresh = m == NULL;
	if (fresh) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		snprintf(m->account, sizeof(m->account), "%s", account);
		enum xu_code rc = eng_ob_make_path(m->path, sizeof(m->path),
						   account, "messages", err);
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
		m->next = ob->lw;
		ob->lw = m;
	}
	return XU_OK;
}

/* The stall rule: a newer body waits behind an attempt out for longer than
 * latest_wins_stall_ms (a connector that does not answer): that one is let
 * be, and the newest goes beside it. */
static void lw_stall(const struct eng_outbox *ob, struct eng_ob_lw *m,
		     int64_t now)
{
	if (!m->queued || !m->job || m->job_gen == m->gen || m->stalled ||
	    !ob->cfg.latest_wins_stall_ms ||
	    now - m->job_ms < (int64_t)ob->cfg.latest_wins_stall_ms)
		return;
	xu_unusual("outbox",
		   "%s to %s unanswered after %lld ms: the newer one goes "
		   "beside it",
		   ENG_OUTBOX_LATEST_TAG, m->account,
		   (long long)(now - m->job_ms));
	m->stalled = m->job;
	m->job = 0;
}

unsigned eng_ob_lw_tick(struct eng_outbox *ob, int64_t now, unsigned room)
{
	unsigned sent = 0;
	struct xu_err e;

	for (struct eng_ob_lw *m = ob->lw; m && sent < room; m = m->next) {
		lw_stall(ob, m, now);
		if (!m->queued || m->job || m->next_ms > now)
			continue;
		int64_t id = ENG_OB_LW_ID_BIT | (int64_t)++ob->lw_seq;
		struct eng_curlw_job *j =
		    eng_ob_new_job(ob, id, m->path, m->key,
				   "application/octet-stream", m->body, m->len);
		/* (eng_curlw_submit takes j, also when it fails.) */
		if (!j || eng_curlw_submit(ob->curlw, j, &e) != XU_OK) {
			/* Not sent: the next tick tries again. */
			xu_unusual("outbox", "message to %s not sent: %s",
				   m->account, j ? e.msg : "out of memory");
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

/* What the result (oc) of the attempt carrying the newest body means for
 * it: retried after the backoff, or answered. */
static void lw_newest_done(const struct eng_outbox *ob, struct eng_ob_lw *m,
			   enum eng_ob_outcome oc, const char *errtxt,
			   int64_t now)
{
	switch (oc) {
	case ENG_OB_RETRY:
		m->attempts++;
		m->next_ms = now + eng_ob_backoff_ms(ob, m->attempts);
		xu_unusual("outbox",
			   "%s to %s failed (attempt %lld: %s); retrying in "
			   "%lld ms unless a newer one comes",
			   ENG_OUTBOX_LATEST_TAG, m->account,
			   (long long)m->attempts, errtxt,
			   (long long)(m->next_ms - now));
		return;
	case ENG_OB_PARKED:
		xu_unusual("outbox",
			   "%s to %s refused by the connector (%s); its "
			   "sender decides whether to send again",
			   ENG_OUTBOX_LATEST_TAG, m->account, errtxt);
		break;
	case ENG_OB_DELIVERED:
		break;
	}
	m->queued = false;
}

void eng_ob_lw_complete(struct eng_outbox *ob, const struct eng_curlw_result *r,
			enum eng_ob_outcome oc, const char *errtxt, int64_t now)
{
	int64_t id = (int64_t)r->id;
	struct eng_ob_lw *m = ob->lw, **pp = &ob->lw;

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
	eng_ob_seen(ob, r, oc, now);
	if (newest)
		lw_newest_done(ob, m, oc, errtxt, now);
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
	eng_ob_reply(ob, ENG_OUTBOX_MESSAGE, id, ENG_OUTBOX_LATEST_TAG, account,
		     r->code == XU_OK ? r->status : 0, r->body, r->body_len);
}

void eng_ob_lw_count(const struct eng_outbox *ob, uint64_t *inflight,
		     uint64_t *pending)
{
	for (const struct eng_ob_lw *m = ob->lw; m; m = m->next) {
		*inflight += (m->job != 0) + (m->stalled != 0);
		/* the newest waiting, the attempt out is an older one's */
		*pending += m->queued && (!m->job || m->job_gen != m->gen);
	}
}

void eng_ob_lw_free(struct eng_outbox *ob)
{
	while (ob->lw) {
		struct eng_ob_lw *m = ob->lw;
		ob->lw = m->next;
		free(m->body);
		free(m);
	}
}
