/* The per-account transaction submission queue (see submit.h).
 *
 * Entries move  queued -> inflight -> (final: removed)  and, after an
 * expiry with attempts left, back to the head of the queue.  All work is
 * driven by pump(), which runs after every event (READY, a validated
 * ledger, a reply, an enqueue) and does at most one step that needs the
 * network at a time: re-read the Sequence, fetch the fee, or build, sign,
 * journal and submit the head of the queue.
 *
 * Replies carry a small heap context {queue, entry id}: an entry may be
 * finished (by the stream) while one of its requests is still out, so
 * replies look the entry up by id and drop the answer when it is gone.
 *
 * Sequence rules: seq_next is the next number to hand out.  A transaction
 * that fails without consuming its number (tef/tem/invalid/expired) leaves
 * a gap the later in-flight ones cannot cross; then seq_dirty is set, no
 * new transaction is built until nothing is in flight, and seq_next is
 * re-read from account_info (the open ledger).  Later in-flight ones expire
 * on their LastLedgerSequence and are rebuilt.
 *
 * Expiry needs proof, or an intent could apply twice (see
 * docs/risks.md#transaction-applied-twice-after-a-missing-tx).  Once the
 * validated index passed a transaction's LastLedgerSequence (LLS) without
 * a validated result, it is taken as not applied, and retired (then
 * rebuilt or reported), only when
 *  (a) `tx` with min_ledger = LLS - lls_offset (the validated index when it
 *      was built: it cannot be in an earlier ledger) and max_ledger = LLS
 *      answers txnNotFound with searched_all:true: the server has every
 *      ledger it could be in, and it is in none; or
 *  (b) account_info of a validated ledger >= LLS shows the account's
 *      Sequence <= the transaction's: it did not apply up to LLS, and
 *      it can never apply after.
 * Otherwise (a server with a gap in its history, or whose history ends
 * after our downtime, and the Sequence moved past ours) its fate is
 * unknown: it stays pending, the lookup is repeated with backoff (another
 * server, or this one later, may have the ledgers), and after
 * cfg.unknown_alarm_ms one BROKEN line names it for an operator.  Such an
 * entry is "sealed": it can no longer apply, and it holds no Sequence
 * that later ones wait for, so it does not stop the queue. */
#include "ledger/net/submit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "src/util/hex.h"
#include "src/util/log.h"

#define SUB "submit"
#define LOOKUP_EVERY 4 /* ledgers between `tx` polls of an in-flight tx */
/* Ledgers after which an in-flight blob not yet validated is sent again:
 * a submit can be answered and still never reach a ledger (dropped by a
 * server, lost in relay), and waiting for its LastLedgerSequence before
 * trying again costs lls_offset ledgers a loss, which a closing channel's
 * redeem may not have (docs/risks.md#a-lost-redeem-waits-for-its-lastledgersequence).
 * The same signed blob has the same hash and Sequence: it applies at most
 * once however often it is sent. */
#define RESUBMIT_EVERY 3
/* Backoff of the lookups of a transaction whose fate is unknown. */
#define UNKNOWN_BACKOFF_MIN_MS 1000u
#define UNKNOWN_BACKOFF_MAX_MS 60000u
#define UNKNOWN_ALARM_MS (10u * 60u * 1000u)

enum entry_kind {
	E_QUEUED = 0,
	E_INFLIGHT = 1,
	E_STORED = 2, /* final journal row: deliver its outcome */
};

struct entry {
	struct entry *next;
	uint64_t eid;
	enum entry_kind kind;
	char intent[XL_INTENT_MAX];
	bool priority;
	bool deadline;		  /* fee up to deadline_fee_max_drops */
	char owner[XL_OWNER_MAX]; /* whose share of the priority lane */
	xl_build_fn build;
	void *barg;
	unsigned attempts;

	struct xl_jentry *j;   /* inflight and stored: the journal row */
	bool submitted_before; /* this blob may already be in a ledger */
	bool submit_busy, lookup_busy;
	bool need_submit;
	uint32_t built_at;	 /* validated index when built */
	uint32_t last_submit_at; /* validated index of the last submit */
	char prelim[XL_RESULT_MAX];
	/* A tef from its first submit: reported once its LLS passed without
	 * it in a validated ledger (a held tx may still apply before). */
	char fail_code[XL_RESULT_MAX];
	struct xu_err fail_why;
	/* LLS passed, no validated result and no proof it did not apply. */
	struct {
		uint64_t since_ms; /* first inconclusive answer; 0 = none */
		uint64_t next_ms;  /* the next lookup, not before */
		unsigned tries;
		bool sealed;  /* the validated Sequence moved past it */
		bool alarmed; /* the BROKEN line was written */
	} unknown;
};

struct rq {
	struct rq *next;
	struct xl_submit *s;
	uint64_t eid;
	bool reconcile; /* a lookup the reconciliation waits for */
	bool ranged;	/* a `tx` with min_ledger/max_ledger */
};

struct xl_submit {
	struct xl_client *c;
	struct xl_journal j;
	struct xl_submit_cfg cfg;
	xl_outcome_fn fn;
	void *arg;
	char account[CR_ADDRESS_STRLEN];
	struct cr_account_id account_id;

	struct entry *queue; /* priority entries first */
	/* The priority lane's shares: when each owner was last served
	 * (a stamp of served_clock; the least recently served go first). */
	struct {
		char owner[XL_OWNER_MAX];
		uint64_t served;
	} shares[XL_SHARES];
	uint64_t served_clock;
	/* Priority builds in a row while a normal entry waited. */
	unsigned prio_run;
	struct entry *inflight; /* in submission order */
	struct entry *stored;
	uint64_t next_eid;

	uint32_t seq_next;
	bool seq_known, seq_dirty, seq_busy;
	uint64_t fee;
	uint32_t fee_ledger;
	bool fee_busy;
	bool reconciled;
	unsigned reconcile_left;
	bool building;
	bool pump_scheduled;
	lws_sorted_usec_list_t sul_pump;
	lws_sorted_usec_list_t sul_later; /* journal busy: try again */
	struct rq *rqs;

	struct xl_submit_stats st;
};

static void pump(struct xl_submit *s);
static void submit_blob(struct xl_submit *s, struct entry *e);

const char *xl_outcome_kind_name(enum xl_outcome_kind k)
{
	switch (k) {
	case XL_OUT_SUCCESS:
		return "success";
	case XL_OUT_TEC:
		return "tec";
	case XL_OUT_FAILED:
		return "failed";
	case XL_OUT_EXPIRED:
		return "expired";
	case XL_OUT_REFUSED:
		return "refused";
	}
	return "?";
}

/* ---- small helpers ------------------------------------------------------ */

static struct rq *rq_new(struct xl_submit *s, uint64_t eid)
{
	struct rq *r = calloc(1, sizeof(*r));

	XU_ASSERT(r);
	r->s = s;
	r->eid = eid;
	r->next = s->rqs;
	s->rqs = r;
	return r;
}

/* Unlinks and frees r; returns its queue. */
static struct xl_submit *rq_take(struct rq *r, uint64_t *eid)
{
	struct xl_submit *s = r->s;
	struct rq **pp;

	for (pp = &s->rqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	*eid = r->eid;
	free(r);
	return s;
}

static struct entry *find_eid(struct entry *l, uint64_t eid)
{
	for (; l; l = l->next)
		if (l->eid == eid)
			return l;
	return NULL;
}

static struct entry *find_intent(struct entry *l, const char *intent)
{
	for (; l; l = l->next)
		if (strcmp(l->intent, intent) == 0)
			return l;
	return NULL;
}

static void unlink_entry(struct entry **head, struct entry *e)
{
	struct entry **pp;

	for (pp = head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			return;
		}
	}
}

static void append(struct entry **head, struct entry *e)
{
	struct entry **pp;

	for (pp = head; *pp; pp = &(*pp)->next)
		;
	e->next = NULL;
	*pp = e;
}

/* Queue order: priority entries first, FIFO within a class.  A rebuilt
 * entry (at_head) goes before the fresh entries of its class but after
 * older rebuilt ones, so rebuilt intents keep their original order. */
static bool goes_before(const struct entry *e, const struct entry *x,
			bool at_head)
{
	if (e->priority != x->priority)
		return e->priority;
	if (!at_head)
		return false;
	return x->attempts == 0 || x->eid > e->eid;
}

static void queue_insert(struct xl_submit *s, struct entry *e, bool at_head)
{
	struct entry **pp = &s->queue;

	while (*pp && !goes_before(e, *pp, at_head))
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
}

/* ---- the priority lane's fair shares --------------------------------- */

static uint64_t share_served(const struct xl_submit *s, const char *owner)
{
	for (size_t i = 0; i < XL_SHARES; i++)
		if (s->shares[i].served &&
		    strcmp(s->shares[i].owner, owner) == 0)
			return s->shares[i].served;
	return 0;
}

/* Stamps owner as served now; the least recently served slot makes room. */
static void share_mark(struct xl_submit *s, const char *owner)
{
	size_t slot = 0;

	for (size_t i = 0; i < XL_SHARES; i++) {
		if (s->shares[i].served &&
		    strcmp(s->shares[i].owner, owner) == 0) {
			slot = i;
			break;
		}
		if (s->shares[i].served < s->shares[slot].served)
			slot = i;
	}
	snprintf(s->shares[slot].owner, sizeof(s->shares[slot].owner), "%s",
		 owner);
	s->shares[slot].served = ++s->served_clock;
}

/* The entry to build next.  Priority entries go first, but the lane is
 * shared: the oldest entry of the least recently served owner, so a
 * peer with many closing channels takes turns with the others; and after
 * XL_PRIO_RUN_MAX priority builds in a row while a normal entry waits,
 * the oldest normal entry goes (docs/risks.md#one-drop-redeem-storms). */
static struct entry *pick(const struct xl_submit *s)
{
	struct entry *e, *best = NULL;
	uint64_t bs = UINT64_MAX;

	for (e = s->queue; e && e->priority; e = e->next) {
		uint64_t t = share_served(s, e->owner);
		if (t < bs) {
			bs = t;
			best = e;
		}
	}
	if (!best || (e && s->prio_run >= XL_PRIO_RUN_MAX))
		return e;
	return best;
}

static bool normal_waiting(const struct entry *q)
{
	for (; q; q = q->next)
		if (!q->priority)
			return true;
	return false;
}

static unsigned count(const struct entry *l)
{
	unsigned n = 0;

	for (; l; l = l->next)
		n++;
	return n;
}

/* In-flight entries that may still apply or hold a Sequence open. */
static unsigned count_live(const struct entry *l)
{
	unsigned n = 0;

	for (; l; l = l->next)
		if (!l->unknown.sealed)
			n++;
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	free(e->j);
	free(e);
}

static struct entry *entry_new(struct xl_submit *s, const char *intent)
{
	struct entry *e = calloc(1, sizeof(*e));

	XU_ASSERT(e);
	e->eid = ++s->next_eid;
	snprintf(e->intent, sizeof(e->intent), "%s", intent);
	return e;
}

static void deliver(struct xl_submit *s, const struct entry *e,
		    enum xl_outcome_kind kind, const char *result,
		    uint32_t ledger, json_t *meta, const struct xu_err *err)
{
	struct xl_outcome o;

	memset(&o, 0, sizeof(o));
	o.intent = e->intent;
	o.kind = kind;
	o.result = result;
	o.hash = e->j && e->j->hash[0] ? e->j->hash : NULL;
	o.sequence = e->j ? e->j->sequence : 0;
	o.ledger_index = ledger;
	o.meta = meta;
	o.err = err;
	switch (kind) {
	case XL_OUT_SUCCESS:
		s->st.succeeded++;
		break;
	case XL_OUT_TEC:
		s->st.tec++;
		break;
	case XL_OUT_FAILED:
		s->st.failed++;
		break;
	case XL_OUT_EXPIRED:
		s->st.expired++;
		break;
	case XL_OUT_REFUSED:
		s->st.refused++;
		break;
	}
	xu_info(SUB, "%s: %s (%s)%s%s", e->intent, xl_outcome_kind_name(kind),
		result, err ? ": " : "", err ? err->msg : "");
	if (s->fn)
		s->fn(s->arg, &o);
}

static void schedule_pump_cb(lws_sorted_usec_list_t *sul)
{
	struct xl_submit *s =
	    (struct xl_submit *)(void *)((char *)sul -
					 offsetof(struct xl_submit, sul_pump));

	s->pump_scheduled = false;
	pump(s);
}

static void later_cb(lws_sorted_usec_list_t *sul)
{
	struct xl_submit *s =
	    (struct xl_submit *)(void *)((char *)sul -
					 offsetof(struct xl_submit, sul_later));

	pump(s);
}

/* Runs pump() from the loop soon (never re-entrantly from a caller). */
static void schedule_pump(struct xl_submit *s)
{
	if (s->pump_scheduled)
		return;
	s->pump_scheduled = true;
	lws_sul_schedule(xl_ws_context(xl_client_ws(s->c)), 0, &s->sul_pump,
			 schedule_pump_cb, 1);
}

/* ---- final outcomes ----------------------------------------------------- */

static bool result_consumes_seq(const char *r)
{
	return strncmp(r, "tes", 3) == 0 || strncmp(r, "tec", 3) == 0;
}

/* A validated result for an in-flight entry. */
static void finish_validated(struct xl_submit *s, struct entry *e,
			     const char *result, uint32_t ledger, json_t *meta)
{
	struct xu_err err;
	enum xl_outcome_kind kind =
	    strncmp(result, "tes", 3) == 0 ? XL_OUT_SUCCESS : XL_OUT_TEC;

	if (!result_consumes_seq(result)) {
		/* Only tes/tec reach a ledger; anything else is bogus. */
		xu_unusual(SUB, "%s: validated with result %s", e->intent,
			   result);
		kind = XL_OUT_FAILED;
		s->seq_dirty = true;
	}
	if (s->j.finish(s->j.ctx, e->intent,
			kind == XL_OUT_FAILED ? XL_JSTATE_FAILED
					      : XL_JSTATE_VALIDATED,
			result, &err) != XU_OK)
		xu_broken(SUB, "journal: cannot record %s for %s: %s", result,
			  e->intent, err.msg);
	unlink_entry(&s->inflight, e);
	if (kind == XL_OUT_TEC)
		xu_fail(&err, XU_EINVAL, 0, "%s (fee and sequence consumed)",
			result);
	deliver(s, e, kind, result, ledger, meta,
		kind == XL_OUT_SUCCESS ? NULL : &err);
	entry_free(e);
	schedule_pump(s);
}

/* A final failure that consumed nothing (tef/tem/invalid blob). */
static void finish_failed(struct xl_submit *s, struct entry *e,
			  const char *result, const struct xu_err *why)
{
	struct xu_err err;

	if (s->j.finish(s->j.ctx, e->intent, XL_JSTATE_FAILED, result, &err) !=
	    XU_OK)
		xu_broken(SUB, "journal: cannot record %s for %s: %s", result,
			  e->intent, err.msg);
	unlink_entry(&s->inflight, e);
	s->seq_dirty = true;
	deliver(s, e, XL_OUT_FAILED, result, 0, NULL, why);
	entry_free(e);
	schedule_pump(s);
}

/* LastLedgerSequence passed and the ledger does not have it. */
static void finish_expired(struct xl_submit *s, struct entry *e,
			   uint32_t validated)
{
	struct xu_err err;

	if (s->j.retire(s->j.ctx, e->intent, "expired", &err) != XU_OK) {
		xu_broken(SUB, "journal: cannot retire %s: %s", e->intent,
			  err.msg);
		return; /* try again at the next ledger */
	}
	unlink_entry(&s->inflight, e);
	s->seq_dirty = true;
	xu_fail(&err, XU_ELEDGER_RETRY, 0,
		"not in any validated ledger up to %" PRIu32
		" (LastLedgerSequence %" PRIu32 ")",
		validated, e->j->lls);
	if (e->build && e->attempts < s->cfg.max_attempts) {
		xu_unusual(SUB, "%s: %s; rebuilding (attempt %u)", e->intent,
			   err.msg, e->attempts + 1);
		s->st.expired++;
		free(e->j);
		e->j = NULL;
		e->kind = E_QUEUED;
		e->submitted_before = false;
		e->need_submit = false;
		e->prelim[0] = 0;
		e->fail_code[0] = 0;
		memset(&e->unknown, 0, sizeof(e->unknown));
		queue_insert(s, e, true);
	} else {
		deliver(s, e, XL_OUT_EXPIRED, "expired", 0, NULL, &err);
		entry_free(e);
	}
	schedule_pump(s);
}

/* Drops a queued entry with a clear error, nothing submitted. */
static void refuse(struct xl_submit *s, struct entry *e,
		   const struct xu_err *why)
{
	unlink_entry(&s->queue, e);
	deliver(s, e, XL_OUT_REFUSED, "refused", 0, NULL, why);
	entry_free(e);
}

/* ---- reading results from rippled --------------------------------------- */

/* The meta and its TransactionResult of a validated tx / stream message;
 * false when msg does not say validated with a result. */
static bool validated_result(json_t *obj, const char **result, json_t **meta,
			     uint32_t *ledger)
{
	json_t *m = json_object_get(obj, "meta");
	const char *r;

	if (!json_is_true(json_object_get(obj, "validated")))
		return false;
	if (!json_is_object(m))
		m = json_object_get(obj, "metadata");
	r = xl_json_str(m, "TransactionResult");
	if (!r)
		r = xl_json_str(obj, "engine_result");
	if (!r || strlen(r) >= XL_RESULT_MAX)
		return false;
	if (!xl_json_u32(obj, "ledger_index", ledger))
		*ledger = 0;
	*result = r;
	*meta = json_is_object(m) ? m : NULL;
	return true;
}

static void lookup_reply(void *arg, enum xu_code code, json_t *msg,
			 const struct xu_err *err);

/* The lowest ledger e can be in: the validated index when it was built.
 * The journal keeps only the LLS, which build_one set to that index plus
 * cfg.lls_offset.  FIXME: should lls_offset ever be configurable, journal
 * the build index instead (a restart with another offset breaks this). */
static uint32_t min_ledger(const struct xl_submit *s, const struct entry *e)
{
	return e->j->lls > s->cfg.lls_offset ? e->j->lls - s->cfg.lls_offset
					     : 1;
}

/* Asks `tx` for an entry's hash; once its LLS passed, with the ledger
 * range it can be in, so that rippled says whether it searched all of it.
 * reconcile: the reconciliation counts this lookup (its reply, whatever
 * happens, ends one step). */
static void lookup_ex(struct xl_submit *s, struct entry *e, bool reconcile)
{
	struct rq *r;
	struct xu_err err;
	json_t *req;

	if (e->lookup_busy)
		return;
	r = rq_new(s, e->eid);
	r->reconcile = reconcile;
	req =
	    json_pack("{s:s,s:s}", "command", "tx", "transaction", e->j->hash);
	if (e->kind == E_INFLIGHT &&
	    xl_client_validated_index(s->c) > e->j->lls) {
		json_object_set_new(req, "min_ledger",
				    json_integer(min_ledger(s, e)));
		json_object_set_new(req, "max_ledger", json_integer(e->j->lls));
		r->ranged = true;
	}
	e->lookup_busy = true;
	if (xl_client_request(s->c, req, 0, lookup_reply, r, &err) != XU_OK) {
		uint64_t eid;
		rq_take(r, &eid);
		e->lookup_busy = false;
	}
}

static void lookup(struct xl_submit *s, struct entry *e)
{
	lookup_ex(s, e, false);
}

/* Proven not applied, and past its LLS so never to apply: reported with
 * the tef of its first submit, or expired (and rebuilt). */
static void not_applied(struct xl_submit *s, struct entry *e,
			uint32_t validated, const char *proof)
{
	xu_debug(SUB, "%s: %s not applied: %s", e->intent, e->j->hash, proof);
	if (e->unknown.since_ms)
		xu_info(SUB, "%s: the fate of %s is known after all: %s",
			e->intent, e->j->hash, proof);
	if (e->fail_code[0] && strcmp(e->fail_code, "tefMAX_LEDGER") != 0) {
		struct xu_err why = e->fail_why;
		char code[XL_RESULT_MAX];
		snprintf(code, sizeof(code), "%s", e->fail_code);
		finish_failed(s, e, code, &why);
	} else {
		finish_expired(s, e, validated);
	}
}

/* One BROKEN line once an entry's fate stayed unknown for the bound. */
static void unknown_alarm(struct xl_submit *s, struct entry *e, uint64_t now)
{
	if (!e->unknown.since_ms || e->unknown.alarmed ||
	    now - e->unknown.since_ms < s->cfg.unknown_alarm_ms)
		return;
	e->unknown.alarmed = true;
	s->st.unknown_alarms++;
	xu_broken(SUB,
		  "%s: transaction %s (Sequence %" PRIu32
		  ", LastLedgerSequence %" PRIu32
		  ") may have applied: its fate has been unknown for %" PRIu64
		  " s (%s).  Not rebuilt, still asking; look it up on a "
		  "full-history server",
		  e->intent, e->j->hash, e->j->sequence, e->j->lls,
		  (now - e->unknown.since_ms) / 1000u,
		  e->unknown.sealed
		      ? "the server lacks ledgers it could be in, and the "
			"account's Sequence is past it"
		      : "no answer proved that it did not apply");
}

/* No validated result and no proof that e did not apply: it stays
 * pending and is asked about again after a backoff. */
static void undetermined(struct xl_submit *s, struct entry *e, const char *why)
{
	uint64_t now = now_ms();
	unsigned shift = e->unknown.tries < 6 ? e->unknown.tries : 6;
	uint64_t wait = (uint64_t)UNKNOWN_BACKOFF_MIN_MS << shift;

	if (!e->unknown.since_ms) {
		e->unknown.since_ms = now;
		xu_unusual(
		    SUB,
		    "%s: %s (Sequence %" PRIu32 ", LastLedgerSequence %" PRIu32
		    "): %s: fate unknown, not rebuilt; asking again",
		    e->intent, e->j->hash, e->j->sequence, e->j->lls, why);
	}
	e->unknown.tries++;
	e->unknown.next_ms =
	    now +
	    (wait < UNKNOWN_BACKOFF_MAX_MS ? wait : UNKNOWN_BACKOFF_MAX_MS);
	unknown_alarm(s, e, now);
}

static void proof_reply(void *arg, enum xu_code code, json_t *msg,
			const struct xu_err *err)
{
	uint64_t eid;
	struct xl_submit *s = rq_take(arg, &eid);
	struct entry *e = find_eid(s->inflight, eid);
	json_t *res = xl_ws_result(msg);
	uint32_t seq, at;

	if (!e) /* finished meanwhile (by the stream) */
		return;
	e->lookup_busy = false;
	if (code == XU_EUNAVAIL || code == XU_ETIMEOUT)
		return; /* asked again at the next ledger */
	if (code != XU_OK || !json_is_true(json_object_get(res, "validated")) ||
	    !xl_json_u32(res, "ledger_index", &at) ||
	    !xl_json_u32(json_object_get(res, "account_data"), "Sequence",
			 &seq)) {
		undetermined(s, e, err ? err->msg : "malformed account_info");
		return;
	}
	if (at < e->j->lls) {
		undetermined(s, e,
			     "the server's validated ledger is before its "
			     "LastLedgerSequence");
		return;
	}
	if (seq <= e->j->sequence) {
		/* Sequences only grow: had it applied in a ledger up to
		 * at >= LLS, the account's Sequence would be past it. */
		not_applied(s, e, xl_client_validated_index(s->c),
			    "the validated account Sequence is not past it");
		return;
	}
	e->unknown.sealed = true; /* holds no Sequence open: let others go */
	undetermined(s, e,
		     "not in the server's history, and the account's "
		     "Sequence moved past it");
	schedule_pump(s);
}

/* The second proof: account_info of a validated ledger >= LLS. */
static void prove_by_sequence(struct xl_submit *s, struct entry *e)
{
	struct rq *r = rq_new(s, e->eid);
	struct xu_err err;

	e->lookup_busy = true; /* one question about e at a time */
	if (xl_client_request(s->c,
			      json_pack("{s:s,s:s,s:s}", "command",
					"account_info", "account", s->account,
					"ledger_index", "validated"),
			      0, proof_reply, r, &err) != XU_OK) {
		uint64_t eid;
		rq_take(r, &eid);
		e->lookup_busy = false; /* asked again at the next ledger */
	}
}

static void reconcile_step_done(struct xl_submit *s)
{
	if (s->reconciled || !s->reconcile_left)
		return;
	if (--s->reconcile_left == 0) {
		s->reconciled = true;
		s->seq_dirty = true; /* re-read the Sequence before building */
		for (struct entry *e = s->inflight; e; e = e->next)
			if (e->need_submit)
				submit_blob(s, e);
		xu_info(SUB, "journal reconciled: %u in flight",
			count(s->inflight));
		schedule_pump(s);
	}
}

static void lookup_reply(void *arg, enum xu_code code, json_t *msg,
			 const struct xu_err *err)
{
	uint64_t eid;
	bool rec = ((struct rq *)arg)->reconcile;
	bool ranged = ((struct rq *)arg)->ranged;
	struct xl_submit *s = rq_take(arg, &eid);
	struct entry *e = find_eid(s->inflight, eid);
	struct entry *st = e ? NULL : find_eid(s->stored, eid);
	uint32_t validated = xl_client_validated_index(s->c);
	const char *result;
	json_t *meta;
	uint32_t ledger;

	if (st) { /* a stored final row: deliver with the meta if found */
		unlink_entry(&s->stored, st);
		if (code == XU_OK &&
		    validated_result(xl_ws_result(msg), &result, &meta,
				     &ledger)) {
			deliver(s, st,
				strncmp(result, "tes", 3) == 0 ? XL_OUT_SUCCESS
							       : XL_OUT_TEC,
				result, ledger, meta, NULL);
		} else {
			deliver(s, st,
				strncmp(st->j->result, "tes", 3) == 0
				    ? XL_OUT_SUCCESS
				    : XL_OUT_TEC,
				st->j->result, 0, NULL, NULL);
		}
		entry_free(st);
		return;
	}
	if (!e) { /* finished meanwhile (by the stream) */
		if (rec)
			reconcile_step_done(s);
		return;
	}
	e->lookup_busy = false;
	if (code == XU_OK &&
	    validated_result(xl_ws_result(msg), &result, &meta, &ledger)) {
		if (e->unknown.since_ms)
			xu_info(SUB, "%s: %s found after all", e->intent,
				e->j->hash);
		finish_validated(s, e, result, ledger, meta);
	} else if ((code == XU_OK || code == XU_ENOTFOUND) &&
		   validated > e->j->lls) {
		/* rippled: txnNotFound with searched_all only for a range
		 * of which it has every ledger. */
		const char *tok = xl_json_str(msg, "error");
		if (code == XU_ENOTFOUND && ranged && tok &&
		    strcmp(tok, "txnNotFound") == 0 &&
		    json_is_true(json_object_get(msg, "searched_all")))
			not_applied(s, e, validated,
				    "not in any ledger it could be in");
		else
			prove_by_sequence(s, e);
	} else if (code == XU_OK || code == XU_ENOTFOUND) {
		if (rec)
			e->need_submit = true; /* make sure rippled has it */
	} else {
		/* Transient (timeout, busy, disconnect): asked again. */
		if (code != XU_EUNAVAIL)
			xu_unusual(SUB, "tx lookup for %s failed: %s",
				   e->intent, err ? err->msg : "?");
		if (rec && xl_client_state(s->c) == XL_CLIENT_READY)
			lookup_ex(s, e, true); /* the step stays open */
		if (rec && e->lookup_busy)
			return;
	}
	if (rec)
		reconcile_step_done(s);
	else
		schedule_pump(s);
}

/* ---- submitting --------------------------------------------------------- */

static void submit_reply(void *arg, enum xu_code code, json_t *msg,
			 const struct xu_err *err);

static void submit_blob(struct xl_submit *s, struct entry *e)
{
	struct rq *r;
	struct xu_err err;

	if (e->submit_busy)
		return;
	r = rq_new(s, e->eid);
	e->submit_busy = true;
	e->need_submit = false;
	e->last_submit_at = xl_client_validated_index(s->c);
	s->st.submitted++;
	if (e->submitted_before)
		s->st.resubmits++;
	if (xl_client_request(s->c,
			      json_pack("{s:s,s:s}", "command", "submit",
					"tx_blob", e->j->blob),
			      0, submit_reply, r, &err) != XU_OK) {
		uint64_t eid;
		rq_take(r, &eid);
		e->submit_busy = false;
		e->need_submit = true;
	}
}

/* A resent blob refused as malformed or invalid (tem, invalidTransaction,
 * invalidParams): the first copy was answered otherwise and may still be
 * in a ledger (a server on other rules, an amendment between the sends),
 * so this is no outcome.  Recorded like a first tef: reported with this
 * code once the LastLedgerSequence passed without it and the proofs say
 * it did not apply; never sent again. */
static void resent_refused(struct entry *e, const char *code,
			   const struct xu_err *why)
{
	xu_unusual(SUB, "%s: resent copy refused (%s): its first copy decides",
		   e->intent, code);
	snprintf(e->fail_code, sizeof(e->fail_code), "%s", code);
	if (why)
		e->fail_why = *why;
	else
		xu_fail(&e->fail_why, XU_EINVAL, 0, "%s", code);
	e->need_submit = false;
}

static void submit_reply(void *arg, enum xu_code code, json_t *msg,
			 const struct xu_err *err)
{
	uint64_t eid;
	struct xl_submit *s = rq_take(arg, &eid);
	struct entry *e = find_eid(s->inflight, eid);
	const char *r;
	bool again = false;

	if (!e)
		return;
	e->submit_busy = false;
	if (code == XU_EINVAL) {
		/* Rejected before the engine ran because of the blob itself
		 * (invalidTransaction, invalidParams): deterministic, it can
		 * never apply.  Any other error says nothing about the blob:
		 * it is retried like a busy server, bounded by its LLS. */
		const char *tok = xl_json_str(msg, "error");
		if (tok && (strcmp(tok, "invalidTransaction") == 0 ||
			    strcmp(tok, "invalidParams") == 0)) {
			if (e->submitted_before) {
				resent_refused(e, tok, err);
				return;
			}
			finish_failed(s, e, tok, err);
			return;
		}
		xu_unusual(SUB, "%s: submit error %s: retrying", e->intent,
			   err ? err->msg : "?");
	}
	if (code != XU_OK) {
		/* tooBusy/slowDown, timeout, disconnect: same blob later. */
		xu_info(SUB, "%s: submit not answered (%s): retrying",
			e->intent, err ? err->msg : "?");
		e->need_submit = true;
		e->submitted_before = true;
		return;
	}
	r = xl_json_str(xl_ws_result(msg), "engine_result");
	if (!r || strlen(r) >= XL_RESULT_MAX) {
		xu_unusual(SUB, "%s: submit reply without engine_result",
			   e->intent);
		e->need_submit = true;
		e->submitted_before = true;
		return;
	}
	snprintf(e->prelim, sizeof(e->prelim), "%s", r);
	xu_debug(SUB, "%s: provisional %s", e->intent, r);
	if (strncmp(r, "tem", 3) == 0) {
		/* Malformed: rippled marks the blob bad; it never applies. */
		struct xu_err why;
		const char *m =
		    xl_json_str(xl_ws_result(msg), "engine_result_message");
		xu_fail(&why, XU_EINVAL, 0, "%s%s%s", r, m ? ": " : "",
			m ? m : "");
		if (e->submitted_before) {
			resent_refused(e, r, &why);
			return;
		}
		finish_failed(s, e, r, &why);
		return;
	}
	if (strncmp(r, "tef", 3) == 0 && !e->submitted_before) {
		/* Not applied now, but a provisional result is no outcome:
		 * rippled may hold it and apply it later.  The code is
		 * reported once the LLS passed without it. */
		const char *m =
		    xl_json_str(xl_ws_result(msg), "engine_result_message");
		snprintf(e->fail_code, sizeof(e->fail_code), "%s", r);
		xu_fail(&e->fail_why, XU_EINVAL, 0, "%s%s%s", r, m ? ": " : "",
			m ? m : "");
		if (strcmp(r, "tefPAST_SEQ") == 0) {
			/* Our number was used by someone else. */
			xu_unusual(SUB, "%s: %s: re-reading the Sequence",
				   e->intent, r);
			s->seq_dirty = true;
		}
		e->submitted_before = true;
		e->need_submit = false;
		return;
	}
	if (strcmp(r, "terQUEUED") == 0 ||
	    (e->submitted_before && strncmp(r, "telCAN_NOT_QUEUE", 16) == 0))
		/* Held in rippled's fee queue (a resent copy of a queued blob
		 * is refused as a replacement paying no more): applied at a
		 * later close, or lost with the queue, which the periodic
		 * resend (on_ledger) covers. */
		again = false;
	else if (strncmp(r, "ter", 3) == 0 || strncmp(r, "tel", 3) == 0)
		again = true; /* the same blob, at the next ledger */
	e->submitted_before = true;
	e->need_submit = again;
}

/* ---- building ----------------------------------------------------------- */

static enum xu_code build_one(struct xl_submit *s, struct entry *e,
			      struct xu_err *err)
{
	struct xl_tx_common c;
	struct xl_tx tx;
	struct xl_signed_tx *stx;
	struct xl_jentry *j;
	uint32_t validated = xl_client_validated_index(s->c);
	const char *tname;
	enum xu_code rc;

	memset(&c, 0, sizeof(c));
	c.account = s->account_id;
	if (!xl_drops_from_u64(&c.fee, s->fee))
		return xu_fail(err, XU_ERANGE, 0, "bad fee");
	c.sequence = s->seq_next;
	c.last_ledger_sequence = validated + s->cfg.lls_offset;
	c.network_id = s->cfg.network_id;
	memset(&tx, 0, sizeof(tx));
	rc = e->build(e->barg, &tx, &c, err);
	if (rc != XU_OK)
		return rc;
	/* The builder must not change what the queue decided. */
	if (memcmp(&tx.account, &s->account_id, sizeof(tx.account)) != 0 ||
	    tx.sequence != c.sequence ||
	    tx.last_ledger_sequence != c.last_ledger_sequence ||
	    !xl_drops_eq(tx.fee, c.fee))
		return xu_fail(err, XU_EINVAL, 0,
			       "builder changed the common fields");
	stx = calloc(1, sizeof(*stx));
	j = calloc(1, sizeof(*j));
	if (!stx || !j) {
		free(stx);
		free(j);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	rc = xl_tx_sign(&tx, s->cfg.kp, stx, err);
	if (rc != XU_OK) {
		free(stx);
		free(j);
		return rc;
	}
	snprintf(j->account, sizeof(j->account), "%s", s->account);
	j->sequence = c.sequence;
	tname = xl_tx_type_name((uint16_t)tx.type);
	snprintf(j->tx_type, sizeof(j->tx_type), "%s", tname ? tname : "?");
	snprintf(j->intent, sizeof(j->intent), "%s", e->intent);
	xu_hex_encode(j->hash, sizeof(j->hash), stx->hash, sizeof(stx->hash));
	xu_hex_encode(j->blob, sizeof(j->blob), stx->blob, stx->len);
	j->lls = c.last_ledger_sequence;
	j->state = XL_JSTATE_PENDING;
	free(stx);
	/* Persist BEFORE submitting (reliable submission, step 2). */
	rc = s->j.insert(s->j.ctx, j, err);
	if (rc != XU_OK) {
		free(j);
		return xu_wrap(err, rc, "journal");
	}
	e->j = j;
	e->attempts++;
	e->built_at = validated;
	s->seq_next++;
	return XU_OK;
}

static void fee_reply(void *arg, enum xu_code code, json_t *msg,
		      const struct xu_err *err)
{
	uint64_t eid, base, open;
	struct xl_submit *s = rq_take(arg, &eid);
	json_t *drops = json_object_get(xl_ws_result(msg), "drops");

	s->fee_busy = false;
	if (code != XU_OK || !xl_json_u64(drops, "base_fee", &base) ||
	    !xl_json_u64(drops, "open_ledger_fee", &open)) {
		if (code != XU_EUNAVAIL)
			xu_unusual(SUB, "fee request failed: %s",
				   err ? err->msg : "malformed reply");
		return; /* retried at the next ledger */
	}
	s->fee = open > base ? open : base;
	s->fee_ledger = xl_client_validated_index(s->c);
	schedule_pump(s);
}

static void seq_reply(void *arg, enum xu_code code, json_t *msg,
		      const struct xu_err *err)
{
	uint64_t eid;
	struct xl_submit *s = rq_take(arg, &eid);
	json_t *ad = json_object_get(xl_ws_result(msg), "account_data");
	uint32_t seq;

	s->seq_busy = false;
	if (code != XU_OK || !xl_json_u32(ad, "Sequence", &seq)) {
		if (code != XU_EUNAVAIL)
			xu_unusual(SUB, "account_info for the sequence: %s",
				   err ? err->msg : "malformed reply");
		return;
	}
	for (struct entry *e = s->inflight; e; e = e->next)
		if (e->j->sequence >= seq)
			seq = e->j->sequence + 1;
	s->seq_next = seq;
	s->seq_known = true;
	s->seq_dirty = false;
	xu_debug(SUB, "next sequence %" PRIu32, seq);
	schedule_pump(s);
}

/* The highest fee e may pay: the deadline maximum for a deadline intent
 * (docs/risks.md#fee-spikes-blocking-deadline-redeems), else the
 * configured maximum. */
static uint64_t fee_max(const struct xl_submit *s, const struct entry *e)
{
	if (e->deadline && s->cfg.deadline_fee_max_drops > s->cfg.fee_max_drops)
		return s->cfg.deadline_fee_max_drops;
	return s->cfg.fee_max_drops;
}

static void pump(struct xl_submit *s)
{
	struct xu_err err;
	struct entry *e;
	uint32_t validated;

	if (xl_client_state(s->c) != XL_CLIENT_READY || !s->reconciled)
		return;
	if (!s->queue || s->building)
		return;
	if (count_live(s->inflight) >= s->cfg.max_inflight)
		return;
	if (!s->seq_known || s->seq_dirty) {
		struct rq *r;
		if (count_live(s->inflight) || s->seq_busy)
			return; /* let the gap close first */
		r = rq_new(s, 0);
		s->seq_busy = true;
		if (xl_client_request(s->c,
				      json_pack("{s:s,s:s,s:s}", "command",
						"account_info", "account",
						s->account, "ledger_index",
						"current"),
				      0, seq_reply, r, &err) != XU_OK) {
			uint64_t eid;
			rq_take(r, &eid);
			s->seq_busy = false;
		}
		return;
	}
	validated = xl_client_validated_index(s->c);
	if (s->fee_ledger != validated || !s->fee) {
		struct rq *r;
		if (s->fee_busy)
			return;
		r = rq_new(s, 0);
		s->fee_busy = true;
		if (xl_client_request(s->c,
				      json_pack("{s:s}", "command", "fee"), 0,
				      fee_reply, r, &err) != XU_OK) {
			uint64_t eid;
			rq_take(r, &eid);
			s->fee_busy = false;
		}
		return;
	}
	e = pick(s);
	if (s->fee > fee_max(s, e)) {
		xu_fail(&err, XU_ERANGE, 0,
			"fee %" PRIu64
			" drops is above the configured maximum of %" PRIu64
			" drops: not submitting",
			s->fee, fee_max(s, e));
		refuse(s, e, &err);
		schedule_pump(s);
		return;
	}
	s->building = true;
	if (build_one(s, e, &err) != XU_OK) {
		s->building = false;
		if (err.code == XU_EBUSY) { /* the store is mid-transaction */
			lws_sul_schedule(xl_ws_context(xl_client_ws(s->c)), 0,
					 &s->sul_later, later_cb,
					 20 * LWS_US_PER_MS);
			return;
		}
		if (err.code == XU_ESTORE || err.code == XU_EINTERNAL)
			xu_broken(SUB, "%s: %s", e->intent, err.msg);
		refuse(s, e, &err);
		schedule_pump(s);
		return;
	}
	s->building = false;
	unlink_entry(&s->queue, e);
	if (!e->priority) {
		s->prio_run = 0;
	} else {
		share_mark(s, e->owner);
		if (normal_waiting(s->queue))
			s->prio_run++;
	}
	e->kind = E_INFLIGHT;
	append(&s->inflight, e);
	xu_debug(SUB, "%s: seq %" PRIu32 " lls %" PRIu32 " hash %s", e->intent,
		 e->j->sequence, e->j->lls, e->j->hash);
	submit_blob(s, e);
	schedule_pump(s);
}

/* ---- client events ------------------------------------------------------ */

static void on_ready(void *arg, const struct xl_sync_info *si)
{
	struct xl_submit *s = arg;
	struct entry *e, *next;

	(void)si;
	s->fee_ledger = 0;
	/* Reconcile everything in flight against the ledger before any new
	 * work: at start (journal rows) and after every reconnect. */
	s->reconciled = false;
	s->reconcile_left = count(s->inflight) + 1;
	for (e = s->inflight; e; e = next) {
		next = e->next;
		e->lookup_busy = false;
		e->submit_busy = false;
		e->submitted_before = true;
		lookup_ex(s, e, true);
		if (!e->lookup_busy) /* not sent: treat as answered */
			reconcile_step_done(s);
	}
	for (e = s->stored; e; e = next) {
		next = e->next;
		if (strncmp(e->j->result, "tes", 3) == 0 ||
		    strncmp(e->j->result, "tec", 3) == 0)
			lookup(s, e);
	}
	reconcile_step_done(s); /* the +1 */
}

static void on_ledger(void *arg, uint32_t index, json_t *msg)
{
	struct xl_submit *s = arg;
	struct entry *e, *next;
	uint64_t now = now_ms();

	(void)msg;
	if (!s->reconciled)
		return;
	for (e = s->inflight; e; e = next) {
		next = e->next;
		if (index > e->j->lls) {
			unknown_alarm(s, e, now);
			if (now >= e->unknown.next_ms)
				lookup(s, e);
		} else if (e->need_submit && e->last_submit_at != index) {
			submit_blob(s, e);
		} else {
			/* Lost on its way?  (Not after a tef: rippled said it
			 * cannot apply now; its LLS decides.) */
			if (!e->fail_code[0] &&
			    index >= e->last_submit_at + RESUBMIT_EVERY)
				submit_blob(s, e);
			if (index > e->built_at &&
			    (index - e->built_at) % LOOKUP_EVERY == 0)
				lookup(s, e); /* backstop for a missed stream
					       * msg */
		}
	}
	pump(s);
}

static void on_tx(void *arg, json_t *msg)
{
	struct xl_submit *s = arg;
	json_t *txj = json_object_get(msg, "tx_json");
	const char *hash = xl_json_str(msg, "hash");
	const char *acct, *result;
	json_t *meta;
	uint32_t ledger, seq;
	struct entry *e;

	if (!json_is_object(txj)) { /* api_version 1 shape */
		txj = json_object_get(msg, "transaction");
		hash = xl_json_str(txj, "hash");
	}
	if (!hash || !json_is_object(txj) ||
	    !validated_result(msg, &result, &meta, &ledger))
		return;
	for (e = s->inflight; e; e = e->next)
		if (strcasecmp(e->j->hash, hash) == 0)
			break;
	if (e) {
		finish_validated(s, e, result, ledger, meta);
		return;
	}
	/* Another transaction of ours took a sequence we are waiting on:
	 * ours can never apply (a second sender on this account). */
	acct = xl_json_str(txj, "Account");
	if (!acct || strcmp(acct, s->account) != 0 ||
	    !xl_json_u32(txj, "Sequence", &seq))
		return;
	for (e = s->inflight; e; e = e->next) {
		if (e->j->sequence == seq) {
			struct xu_err why;
			xu_fail(&why, XU_ECONFLICT, 0,
				"sequence %" PRIu32
				" was used by another transaction %s",
				seq, hash);
			xu_broken(SUB, "%s: %s", e->intent, why.msg);
			finish_failed(s, e, "tefPAST_SEQ", &why);
			return;
		}
	}
}

static void on_state(void *arg, enum xl_client_state st)
{
	struct xl_submit *s = arg;

	if (st != XL_CLIENT_READY) {
		s->reconciled = false;
		s->fee_ledger = 0;
	}
}

/* ---- construction and enqueue ------------------------------------------- */

struct load_ctx {
	struct xl_submit *s;
};

static void load_pending(void *arg, const struct xl_jentry *je)
{
	struct load_ctx *lc = arg;
	struct entry *e = entry_new(lc->s, je->intent);

	e->kind = E_INFLIGHT;
	e->j = malloc(sizeof(*e->j));
	XU_ASSERT(e->j);
	*e->j = *je;
	e->submitted_before = true;
	e->attempts = 1;
	append(&lc->s->inflight, e);
}

/* cfg.max_inflight as the queue uses it (submit.h). */
static unsigned inflight_bound(unsigned n)
{
	if (!n)
		return XL_SUBMIT_INFLIGHT_DEFAULT;
	return n > XL_SUBMIT_INFLIGHT_MAX ? XL_SUBMIT_INFLIGHT_MAX : n;
}

struct xl_submit *xl_submit_new(struct xl_client *c, const struct xl_journal *j,
				const struct xl_submit_cfg *cfg,
				xl_outcome_fn fn, void *arg, struct xu_err *err)
{
	struct xl_submit *s;
	struct xl_client_listener l;
	struct load_ctx lc;

	XU_ASSERT(c && j && cfg && cfg->kp);
	if (!cfg->fee_max_drops) {
		xu_fail(err, XU_EINVAL, 0, "a maximum fee is required");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		xu_fail(err, XU_ENOMEM, 0, "out of memory");
		return NULL;
	}
	s->c = c;
	s->j = *j;
	s->cfg = *cfg;
	if (!s->cfg.lls_offset)
		s->cfg.lls_offset = 20;
	s->cfg.max_inflight = inflight_bound(cfg->max_inflight);
	if (!s->cfg.max_attempts)
		s->cfg.max_attempts = 3;
	if (!s->cfg.unknown_alarm_ms)
		s->cfg.unknown_alarm_ms = UNKNOWN_ALARM_MS;
	s->fn = fn;
	s->arg = arg;
	cr_account_id_of(&s->account_id, &cfg->kp->pub);
	cr_address_encode(s->account, &s->account_id);
	if (!xl_client_account(c) ||
	    strcmp(xl_client_account(c), s->account) != 0) {
		xu_fail(err, XU_EINVAL, 0,
			"the client follows %s, the signing key is %s",
			xl_client_account(c) ? xl_client_account(c) : "none",
			s->account);
		free(s);
		return NULL;
	}
	lc.s = s;
	if (s->j.pending(s->j.ctx, s->account, load_pending, &lc, err) !=
	    XU_OK) {
		xl_submit_free(s);
		return NULL;
	}
	if (s->inflight)
		xu_info(SUB, "%u unfinished transactions in the journal",
			count(s->inflight));
	memset(&l, 0, sizeof(l));
	l.on_ready = on_ready;
	l.on_ledger = on_ledger;
	l.on_tx = on_tx;
	l.on_state = on_state;
	l.arg = s;
	if (xl_client_listen(c, &l, err) != XU_OK) {
		xl_submit_free(s);
		return NULL;
	}
	if (xl_client_state(c) == XL_CLIENT_READY)
		on_ready(s, NULL);
	return s;
}

static void free_list(struct entry *l)
{
	while (l) {
		struct entry *n = l->next;
		entry_free(l);
		l = n;
	}
}

void xl_submit_free(struct xl_submit *s)
{
	if (!s)
		return;
	xl_client_unlisten(s->c, s);
	lws_sul_cancel(&s->sul_pump);
	lws_sul_cancel(&s->sul_later);
	free_list(s->queue);
	free_list(s->inflight);
	free_list(s->stored);
	/* Replies still out would find a freed queue: their contexts are
	 * detached (the client must be stopped or freed with us). */
	while (s->rqs) {
		struct rq *r = s->rqs;
		s->rqs = r->next;
		free(r);
	}
	free(s);
}

static bool valid_intent(const char *intent)
{
	size_t n = intent ? strlen(intent) : 0;

	if (n == 0 || n >= XL_INTENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (intent[i] == '#' || (unsigned char)intent[i] < 0x21 ||
		    (unsigned char)intent[i] > 0x7e)
			return false;
	return true;
}

enum xu_code xl_submit_enqueue(struct xl_submit *s, const char *intent,
			       unsigned flags, xl_build_fn build,
			       void *build_arg, struct xu_err *err)
{
	return xl_submit_enqueue_as(s, intent, flags, NULL, build, build_arg,
				    err);
}

enum xu_code xl_submit_enqueue_as(struct xl_submit *s, const char *intent,
				  unsigned flags, const char *owner,
				  xl_build_fn build, void *build_arg,
				  struct xu_err *err)
{
	bool priority = (flags & XL_SUBMIT_PRIORITY) != 0;
	bool deadline = (flags & XL_SUBMIT_DEADLINE) != 0;
	struct entry *e;
	struct xl_jentry *je;
	enum xu_code rc;

	XU_ASSERT(build);
	if (!valid_intent(intent))
		return xu_fail(err, XU_EINVAL, 0,
			       "intent must be 1-%d printable characters "
			       "without '#'",
			       XL_INTENT_MAX - 1);
	if (find_intent(s->queue, intent) || find_intent(s->stored, intent))
		return xu_fail(err, XU_EEXIST, 0, "intent %s already queued",
			       intent);
	e = find_intent(s->inflight, intent);
	if (e) {
		if (e->build)
			return xu_fail(err, XU_EEXIST, 0,
				       "intent %s already in flight", intent);
		e->build = build; /* a reconciled row: keep for a rebuild */
		e->barg = build_arg;
		e->priority = priority;
		e->deadline = deadline;
		snprintf(e->owner, sizeof(e->owner), "%s", owner ? owner : "");
		return XU_OK;
	}
	je = calloc(1, sizeof(*je));
	if (!je)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	rc = s->j.get(s->j.ctx, intent, je, err);
	if (rc == XU_OK) {
		if (je->state == XL_JSTATE_PENDING) {
			free(je);
			return xu_fail(err, XU_ECONFLICT, 0,
				       "intent %s is pending for another "
				       "account",
				       intent);
		}
		/* Final already: deliver the stored outcome, build nothing. */
		e = entry_new(s, intent);
		e->kind = E_STORED;
		e->j = je;
		append(&s->stored, e);
		if (je->state == XL_JSTATE_VALIDATED &&
		    xl_client_state(s->c) == XL_CLIENT_READY) {
			lookup(s, e); /* fetch the meta */
		} else if (je->state == XL_JSTATE_FAILED) {
			struct xu_err why;
			xu_fail(&why, XU_EINVAL, 0, "journal: %s", je->result);
			unlink_entry(&s->stored, e);
			deliver(s, e, XL_OUT_FAILED, je->result, 0, NULL, &why);
			entry_free(e);
		}
		return XU_OK;
	}
	free(je);
	if (rc != XU_ENOTFOUND)
		return rc;
	e = entry_new(s, intent);
	e->kind = E_QUEUED;
	e->priority = priority;
	e->deadline = deadline;
	snprintf(e->owner, sizeof(e->owner), "%s", owner ? owner : "");
	e->build = build;
	e->barg = build_arg;
	queue_insert(s, e, false);
	schedule_pump(s);
	return XU_OK;
}

void xl_submit_set_max_inflight(struct xl_submit *s, unsigned n)
{
	s->cfg.max_inflight = inflight_bound(n);
	schedule_pump(s); /* a higher bound may let it build now */
}

void xl_submit_stats(const struct xl_submit *s, struct xl_submit_stats *st)
{
	*st = s->st;
	st->queued = count(s->queue);
	st->inflight = count(s->inflight);
	st->next_sequence = s->seq_known ? s->seq_next : 0;
	st->unknown = 0;
	for (const struct entry *e = s->inflight; e; e = e->next)
		if (e->unknown.since_ms)
			st->unknown++;
	st->reconciled = s->reconciled;
}
