/* The connector pair and the engine's outbox, replacing src/outbox at link
 * time (every eng_outbox_* src/paychan calls).
 *
 * Rows.  A credit or a message is a row of the table sim_outbox in the
 * engine's own SQLite store, written in the caller's transaction: it
 * vanishes with a rollback and survives a crash, as the outbox's rows do.
 * A credit's Idempotency-Key is unique there: the same credit again is a
 * no-op, the key with another amount XU_ECONFLICT.  Claims are the
 * outbox's in-memory latest-wins messages (struct sim_lw): the newest per
 * account, one attempt in flight, a newer one beside it once the first
 * stalled, lost with a crash.
 *
 * Delivery.  Each cron the outbox hands due rows and claims to its
 * connector.  A message travels to the peer's connector and from there to
 * the peer engine's message handler, which runs in the peer's API batch
 * (src/api/apply.c: a savepoint per message, 404 for a closed account);
 * the answer travels back.  Each leg has its own random delay, so messages
 * overtake each other; the seed may lose a request or its answer (the
 * sender times out after 30 s and tries again, the peer may have handled
 * it), deliver it twice, answer late, or have a connector answer 503.
 * An answer is what the outbox makes of it: 2xx delivered, 4xx but 409
 * parked (both reported to the sender's reply callback), anything else
 * retried with backoff (reported too for claims).  A peer engine that is
 * down makes its connector answer 502.
 *
 * Credits go to the engine's own connector: its books keep each
 * Idempotency-Key with its account and amount (a real connector dedupes by
 * key); the same key with another amount is an invariant failure. */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel/msg.h"
#include "src/store/chanstore.h"
#include "src/store/db.h"
#include "src/store/store.h"
#include "tests/sim/sim.h"

#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 60000
#define MAX_INFLIGHT 64

enum { K_CREDIT = 1, K_MESSAGE = 2 };

/* One attempt of a row or claim, from engine `from`. */
struct sim_attempt {
	int from;
	uint32_t inc;
	int kind;
	bool lw;
	int64_t row;
	uint64_t job;
	char account[8];
	char tag[32];
	uint8_t *body;
	size_t len;
	uint64_t drops;
	char key[PC_KEY_STRLEN];
	int64_t sent_ms;
	bool finished;
	int refs;
};

static struct sim_engine *eng_of(const void *p)
{
	return (struct sim_engine *)(uintptr_t)p;
}

void sim_attempt_unref(struct sim_attempt *a)
{
	if (--a->refs > 0)
		return;
	free(a->body);
	free(a);
}

/* ---- the table ---------------------------------------------------------------*/

void sim_outbox_tables(struct sim_engine *e)
{
	sqlite3 *db = eng_store_db(e->store);

	if (sqlite3_exec(db,
			 "PRAGMA synchronous=OFF;"
			 "CREATE TABLE IF NOT EXISTS sim_outbox("
			 " id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
			 " account TEXT NOT NULL, tag TEXT, body BLOB,"
			 " idem TEXT UNIQUE, drops INTEGER,"
			 " state INTEGER NOT NULL DEFAULT 0,"
			 " attempts INTEGER NOT NULL DEFAULT 0,"
			 " next_ms INTEGER NOT NULL DEFAULT 0);"
			 /* Every signed_total an outgoing record ever held,
			  * per channel, in the record's own transactions
			  * (the invariant drops-conserved). */
			 "CREATE TABLE IF NOT EXISTS sim_signed("
			 " id TEXT PRIMARY KEY, signed INTEGER NOT NULL);"
			 "CREATE TRIGGER IF NOT EXISTS sim_signed_ins AFTER "
			 "INSERT ON pc_out WHEN NEW.has_id BEGIN"
			 " INSERT INTO sim_signed(id, signed)"
			 " VALUES(NEW.id, NEW.signed_total)"
			 " ON CONFLICT(id) DO UPDATE SET"
			 " signed = max(signed, excluded.signed); END;"
			 "CREATE TRIGGER IF NOT EXISTS sim_signed_upd AFTER "
			 "UPDATE ON pc_out WHEN NEW.has_id BEGIN"
			 " INSERT INTO sim_signed(id, signed)"
			 " VALUES(NEW.id, NEW.signed_total)"
			 " ON CONFLICT(id) DO UPDATE SET"
			 " signed = max(signed, excluded.signed); END;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sim: sim_outbox: %s\n", sqlite3_errmsg(db));
		abort();
	}
}

static enum xu_code need_tx(struct eng_store *s, struct xu_err *err)
{
	if (!eng_store_in_tx(s))
		return xu_fail(err, XU_EINTERNAL, 0,
			       "outbox: no transaction is open");
	return XU_OK;
}

enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err)
{
	static const char sel[] =
	    "SELECT id, account, drops FROM sim_outbox WHERE idem = ?";
	static const char ins[] =
	    "INSERT INTO sim_outbox(kind, account, idem, drops) "
	    "VALUES(1, ?, ?, ?)";
	sqlite3_stmt *st;
	enum xu_code rc;

	if ((rc = need_tx(s, err)) != XU_OK)
		return rc;
	if (!idem_key || !*idem_key)
		return xu_fail(err, XU_EINVAL, 0, "empty idempotency key");
	if ((rc = eng_store_prepare(s, sel, &st, err)) != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, idem_key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(st, 0);
		bool same = !strcmp((const char *)sqlite3_column_text(st, 1),
				    account) &&
			    (uint64_t)sqlite3_column_int64(st, 2) ==
				xl_drops_u64(drops);

		sqlite3_reset(st);
		if (!same)
			return xu_fail(err, XU_ECONFLICT, 0,
				       "credit key %s tied to another credit",
				       idem_key);
		if (id)
			*id = rid;
		return XU_OK;
	}
	sqlite3_reset(st);
	if ((rc = eng_store_prepare(s, ins, &st, err)) != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, idem_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)xl_drops_u64(drops));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return eng_store_fail(s, err, "queuing a credit");
	}
	sqlite3_reset(st);
	if (id)
		*id = sqlite3_last_insert_rowid(eng_store_db(s));
	return XU_OK;
}

enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id, struct xu_err *err)
{
	static const char ins[] =
	    "INSERT INTO sim_outbox(kind, account, tag, body) "
	    "VALUES(2, ?, ?, ?)";
	sqlite3_stmt *st;
	enum xu_code rc;

	if ((rc = need_tx(s, err)) != XU_OK)
		return rc;
	if (len > ENG_OUTBOX_MSG_MAX)
		return xu_fail(err, XU_EINVAL, 0, "message too big");
	if ((rc = eng_store_prepare(s, ins, &st, err)) != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
	if (tag)
		sqlite3_bind_text(st, 2, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, bytes, (int)len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return eng_store_fail(s, err, "queuing a message");
	}
	sqlite3_reset(st);
	if (id)
		*id = sqlite3_last_insert_rowid(eng_store_db(s));
	return XU_OK;
}

uint64_t sim_signed_total(struct sim_engine *e)
{
	static const char sql[] = "SELECT total(signed) FROM sim_signed";
	sqlite3_stmt *st;
	struct xu_err err;
	uint64_t n = 0;

	if (eng_store_prepare(e->store, sql, &st, &err) != XU_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n + e->signed_carry;
}

uint64_t sim_reowed(struct sim_engine *e)
{
	struct eng_chan_out o;
	struct xu_err err;
	bool have;

	if (eng_chan_out_get(e->store, e->acct, &o, &have, &err) != XU_OK)
		abort();
	return have ? xl_drops_u64(o.ch.reowed) : 0;
}

int sim_outbox_pending(struct sim_engine *e)
{
	static const char sql[] =
	    "SELECT count(*) FROM sim_outbox WHERE state = 0";
	sqlite3_stmt *st;
	struct xu_err err;
	int n = 0;

	if (!e->up)
		return 1;
	if (eng_store_prepare(e->store, sql, &st, &err) != XU_OK)
		return 1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	for (struct sim_lw *m = e->lw; m; m = m->next)
		n++;
	return n;
}

/* ---- the in-memory latest-wins claims ----------------------------------------*/

static void lw_attempt(struct sim *w, struct sim_engine *e,
		       const struct sim_lw *m, uint64_t token);

/* Whether a claim attempt finds every call to the connector taken now
 * (never in the quiet end). */
static bool outbox_full(struct sim *w)
{
	return !w->quiet && w->k.outbox_full_ppm &&
	       sim_rng_ppm(&w->full_rng, w->k.outbox_full_ppm);
}

/* The room the service sees: always some (outbox_full refuses at
 * random instead). */
unsigned eng_outbox_room(const struct eng_outbox *ob)
{
	(void)ob;
	return MAX_INFLIGHT;
}

unsigned eng_outbox_capacity(const struct eng_outbox *ob)
{
	(void)ob;
	return MAX_INFLIGHT;
}

enum xu_code eng_outbox_send_now(struct eng_outbox *ob, const char *account,
				 const void *bytes, size_t len, uint64_t token,
				 struct xu_err *err)
{
	struct sim_engine *e = eng_of(ob);
	struct sim_lw *m;

	if (len > ENG_OUTBOX_MSG_MAX)
		return xu_fail(err, XU_EINVAL, 0, "message too big");
	for (m = e->lw; m; m = m->next)
		if (!strcmp(m->account, account))
			break;
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			abort();
		snprintf(m->account, sizeof(m->account), "%s", account);
		m->next = e->lw;
		e->lw = m;
	}
	free(m->body);
	m->body = malloc(len ? len : 1);
	if (!m->body)
		abort();
	memcpy(m->body, bytes, len);
	m->len = len;
	/* Kept also when it cannot leave now, as the outbox does. */
	if (outbox_full(g_sim)) {
		sim_trace("outbox(%s): claim to %s: every call taken", e->name,
			  account);
		return xu_fail(err, XU_EUNAVAIL, 0, "sim: every call taken");
	}
	lw_attempt(g_sim, e, m, token);
	return XU_OK;
}

enum xu_code eng_outbox_retry_now(struct eng_outbox *ob, const char *account,
				  uint64_t token, struct xu_err *err)
{
	struct sim_engine *e = eng_of(ob);

	for (struct sim_lw *m = e->lw; m; m = m->next)
		if (!strcmp(m->account, account)) {
			if (outbox_full(g_sim)) {
				sim_trace("outbox(%s): claim to %s again: "
					  "every call taken",
					  e->name, account);
				return xu_fail(err, XU_EUNAVAIL, 0,
					       "sim: every call taken");
			}
			lw_attempt(g_sim, e, m, token);
			return XU_OK;
		}
	return xu_fail(err, XU_ENOTFOUND, 0, "no claim for %s", account);
}

int64_t eng_outbox_backoff_ms(const struct eng_outbox *ob, int64_t attempts)
{
	(void)ob;
	return sim_backoff(g_sim, attempts < 1 ? 1 : (uint32_t)attempts);
}

void eng_outbox_on_reply(struct eng_outbox *ob, const char *tag,
			 eng_outbox_reply_fn fn, void *arg)
{
	struct sim_engine *e = eng_of(ob);

	if (e->nreplies >= ENG_OUTBOX_REPLY_MAX)
		abort();
	e->reply_tag[e->nreplies] = tag;
	e->reply_fn[e->nreplies] = fn;
	e->reply_arg[e->nreplies] = arg;
	e->nreplies++;
}

int eng_outbox_tick(struct eng_outbox *ob, int64_t now_ms)
{
	(void)now_ms;
	sim_outbox_kick(g_sim, eng_of(ob));
	return 0;
}

void sim_outbox_crash(struct sim *w, struct sim_engine *e)
{
	(void)w;
	while (e->lw) {
		struct sim_lw *m = e->lw;

		e->lw = m->next;
		free(m->body);
		free(m);
	}
	e->nrows_inflight = 0;
	e->nreplies = 0;
}

/* ---- attempts -------------------------------------------------------------------*/

int64_t sim_backoff(struct sim *w, uint32_t attempts)
{
	int64_t d = BACKOFF_BASE_MS;

	for (uint32_t i = 1; i < attempts && d < BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	return d - (int64_t)sim_rng_below(&w->rng, (uint64_t)d / 2 + 1);
}

static bool sender_alive(struct sim *w, const struct sim_attempt *a)
{
	const struct sim_engine *e = &w->e[a->from];

	return e->up && e->inc == a->inc;
}

static void reply_to_sender(struct sim *w, struct sim_engine *e, int kind,
			    int64_t id, const char *tag, const char *account,
			    int status, const uint8_t *body, size_t len)
{
	eng_outbox_reply_fn fn = NULL;
	void *arg = NULL;
	struct sim_engine *prev;

	(void)w;
	for (unsigned i = 0; i < e->nreplies; i++) {
		const char *t = e->reply_tag[i];

		if ((!t && !tag) || (t && tag && !strcmp(t, tag))) {
			fn = e->reply_fn[i];
			arg = e->reply_arg[i];
			break;
		}
	}
	if (!fn)
		return;
	prev = sim_enter(e);
	fn(arg, kind == K_CREDIT ? ENG_OUTBOX_CREDIT : ENG_OUTBOX_MESSAGE, id,
	   tag, account, status, body, len);
	sim_leave(prev);
}

static void rows_inflight_del(struct sim_engine *e, int64_t row)
{
	for (size_t i = 0; i < e->nrows_inflight; i++)
		if (e->rows_inflight[i] == row) {
			e->rows_inflight[i] =
			    e->rows_inflight[--e->nrows_inflight];
			return;
		}
}

static bool row_inflight(const struct sim_engine *e, int64_t row)
{
	for (size_t i = 0; i < e->nrows_inflight; i++)
		if (e->rows_inflight[i] == row)
			return true;
	return false;
}

static void row_update(struct sim_engine *e, int64_t row, int state,
		       int64_t next_ms)
{
	static const char sql[] = "UPDATE sim_outbox SET state = ?, attempts "
				  "= attempts + 1, next_ms = ? WHERE id = ?";
	sqlite3_stmt *st;
	struct xu_err err;
	struct sim_engine *prev = sim_enter(e);

	if (eng_store_begin(e->store, &err) != XU_OK ||
	    eng_store_prepare(e->store, sql, &st, &err) != XU_OK) {
		fprintf(stderr, "sim: outbox row: %s\n", err.msg);
		abort();
	}
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, next_ms);
	sqlite3_bind_int64(st, 3, row);
	if (sqlite3_step(st) != SQLITE_DONE)
		abort();
	sqlite3_reset(st);
	if (eng_store_commit(e->store, &err) != XU_OK)
		abort();
	sim_leave(prev);
}

static uint32_t row_attempts(struct sim_engine *e, int64_t row)
{
	static const char sql[] =
	    "SELECT attempts FROM sim_outbox WHERE id = ?";
	sqlite3_stmt *st;
	struct xu_err err;
	uint32_t n = 0;

	if (eng_store_prepare(e->store, sql, &st, &err) != XU_OK)
		return 0;
	sqlite3_bind_int64(st, 1, row);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint32_t)sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

/* What the payee's answers told the payer it holds (acked-truthful). */
static void observe_answer(struct sim *w, const struct sim_attempt *a,
			   const uint8_t *body, size_t len)
{
	struct pc_msg m;
	struct xu_err err;
	struct sim_chan *c = NULL;
	uint64_t amount = 0;

	if (!body || !len || pc_msg_decode(&m, body, len, &err) != XU_OK)
		return;
	if (m.type == PC_MSG_CLAIM_REPLY) {
		c = sim_chan_of(w, m.u.reply.channel);
		amount = xl_drops_u64(m.u.reply.amount);
	} else if (m.type == PC_MSG_LAST_CLAIM_REPLY) {
		c = sim_chan_of(w, m.u.last.channel);
		amount = xl_drops_u64(m.u.last.amount);
	}
	(void)a;
	if (c && amount > c->max_acked)
		c->max_acked = amount;
}

/* claim-accepted-redeemable: a payee accepts (and credits) a claim only
 * while the channel leaves it the time to redeem it (its close margin,
 * give or take five minutes of a stale ledger time). */
void sim_observe_acceptance(struct sim *w, struct sim_engine *payee,
			    const char *body, size_t len)
{
	struct pc_msg m;
	struct xu_err err;
	struct sim_chan *c;
	uint32_t margin;

	if (!body || !len ||
	    pc_msg_decode(&m, (const uint8_t *)body, len, &err) != XU_OK ||
	    m.type != PC_MSG_CLAIM_REPLY || !m.u.reply.accepted)
		return;
	c = sim_chan_of(w, m.u.reply.channel);
	if (!c || !c->exists || !c->has_exp)
		return;
	margin = pc_close_margin(&payee->cfg.pc, c->settle_delay);
	if ((int64_t)c->exp - (int64_t)w->L.close_time < (int64_t)margin - 300)
		sim_fail("claim-accepted-redeemable",
			 "%s accepted a claim of %" PRIu64
			 " drops on channel %.8s, which %s (Expiration %u, "
			 "ledger close time %u, close margin %u s)",
			 payee->name, xl_drops_u64(m.u.reply.amount), c->hex,
			 c->exp <= w->L.close_time
			     ? "has expired"
			     : "closes too soon to redeem",
			 c->exp, w->L.close_time, margin);
}

/* A pump at a retry's due time, for the incarnation that set it. */
struct pump_ref {
	struct sim_engine *e;
	uint32_t inc;
};

static struct pump_ref *pump_ref(struct sim_engine *e)
{
	struct pump_ref *r = malloc(sizeof(*r));

	if (!r)
		abort();
	r->e = e;
	r->inc = e->inc;
	return r;
}

static void pump_at(struct sim *w, void *arg)
{
	struct pump_ref *r = arg;

	if (r->e->up && r->e->inc == r->inc)
		sim_outbox_pump(w, r->e);
	free(r);
}

/* A call ended: the engine's drain lets the claims waiting for one go
 * (eng_paychan_room). */
static void room_after(struct sim_engine *e)
{
	struct sim_engine *prev;

	if (!e->up || !e->pc)
		return;
	prev = sim_enter(e);
	eng_paychan_room(e->pc);
	sim_leave(prev);
}

/* The outbox's handling of an attempt's result (status 0: no HTTP
 * answer). */
static void finish(struct sim *w, struct sim_attempt *a, int status,
		   const uint8_t *body, size_t len)
{
	struct sim_engine *e = &w->e[a->from];
	bool ok = status >= 200 && status <= 299;
	bool parked = status >= 400 && status <= 499 && status != 409;

	a->finished = true;
	if (!sender_alive(w, a))
		return;
	if (ok && a->kind == K_MESSAGE)
		observe_answer(w, a, body, len);
	if (!a->lw) {
		rows_inflight_del(e, a->row);
		if (ok || parked) {
			row_update(e, a->row, ok ? 1 : 2, 0);
			if (parked)
				sim_trace("outbox(%s): %s %s to %s parked "
					  "(HTTP %d)",
					  e->name,
					  a->kind == K_CREDIT ? "credit"
							      : "message",
					  a->tag, a->account, status);
			reply_to_sender(w, e, a->kind, a->row,
					a->kind == K_CREDIT ? NULL : a->tag,
					a->account, status, body, len);
			room_after(e);
		} else {
			uint32_t n = row_attempts(e, a->row) + 1;
			int64_t next = w->now + sim_backoff(w, n);

			row_update(e, a->row, 0, next);
			sim_at(w, next, pump_at, pump_ref(e));
			room_after(e);
		}
		return;
	}
	/* A claim attempt: its result goes back with the sender's token;
	 * when to try again is the sender's (channel/delivery.h). */
	reply_to_sender(w, e, K_MESSAGE, (int64_t)a->job, "claim", a->account,
			status, body, len);
	room_after(e);
}

struct resp {
	struct sim_attempt *a;
	int status;
	char *body;
	size_t len;
};

static void on_response(struct sim *w, void *arg)
{
	struct resp *r = arg;

	if (!r->a->finished)
		finish(w, r->a, r->status, (const uint8_t *)r->body, r->len);
	sim_attempt_unref(r->a);
	free(r->body);
	free(r);
}

static void on_timeout(struct sim *w, void *arg)
{
	struct sim_attempt *a = arg;

	if (!a->finished) {
		if (sender_alive(w, a))
			sim_trace("outbox(%s): %s to %s: no answer in %d s",
				  w->e[a->from].name,
				  a->kind == K_CREDIT ? "credit" : a->tag,
				  a->account, SIM_HTTP_TIMEOUT_MS / 1000);
		finish(w, a, 0, NULL, 0);
	}
	sim_attempt_unref(a);
}

/* Sends an answer back to the sender after the return leg's delay. */
static void answer_back(struct sim *w, struct sim_attempt *a, int status,
			const char *body, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	int64_t d = sim_rng_range(&w->rng, 1, 80);

	if (!r)
		abort();
	r->a = a;
	a->refs++;
	r->status = status;
	if (body && len) {
		r->body = malloc(len);
		if (!r->body)
			abort();
		memcpy(r->body, body, len);
		r->len = len;
	}
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.late_reply_ppm))
		d = sim_rng_range(&w->rng, 2000, 28000);
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.timeout_reply_ppm))
		d = sim_rng_range(&w->rng, 30000, 60000);
	if (d >= 2000)
		sim_trace("connector: the answer (%d) to %s from %s comes "
			  "back in %lld.%03lld s",
			  status, a->kind == K_CREDIT ? "a credit" : a->tag,
			  w->e[a->from].name, (long long)(d / 1000),
			  (long long)(d % 1000));
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.msg_loss_ppm)) {
		sim_trace("connector: the answer to %s from %s is lost",
			  a->kind == K_CREDIT ? "a credit" : a->tag,
			  w->e[a->from].name);
		sim_attempt_unref(a);
		free(r->body);
		free(r);
		return;
	}
	sim_at(w, w->now + d, on_response, r);
}

void sim_message_answered(struct sim *w, struct sim_attempt *a, int status,
			  const char *body, size_t len)
{
	answer_back(w, a, status, body, len);
}

static void book_credit(struct sim *w, struct sim_attempt *a)
{
	int payee = a->from;
	struct sim_credit *c;

	for (size_t i = 0; i < w->ncredits[payee]; i++) {
		c = &w->credits[payee][i];
		if (strcmp(c->key, a->key))
			continue;
		if (strcmp(c->account, a->account) || c->drops != a->drops)
			sim_fail("credit-key-reused",
				 "%s's connector got key %s with %" PRIu64
				 " drops for %s, earlier %" PRIu64
				 " drops for %s",
				 w->e[payee].name, a->key, a->drops, a->account,
				 c->drops, c->account);
		return;
	}
	if (w->ncredits[payee] == w->capcredits[payee]) {
		w->capcredits[payee] =
		    w->capcredits[payee] ? w->capcredits[payee] * 2 : 64;
		w->credits[payee] =
		    realloc(w->credits[payee],
			    w->capcredits[payee] * sizeof(*w->credits[payee]));
		if (!w->credits[payee])
			abort();
	}
	c = &w->credits[payee][w->ncredits[payee]++];
	snprintf(c->key, sizeof(c->key), "%s", a->key);
	snprintf(c->account, sizeof(c->account), "%s", a->account);
	c->drops = a->drops;
	w->credited[payee] += a->drops;
	sim_trace("connector(%s): credit %" PRIu64 " drops to %s (%s); "
		  "%" PRIu64 " in all",
		  w->e[payee].name, a->drops, a->account, a->key,
		  w->credited[payee]);
}

/* Notes what the wire shows of a claim (for the invariants). */
static void observe_claim(struct sim *w, const struct sim_attempt *a)
{
	struct pc_msg m;
	struct xu_err err;
	struct sim_chan *c;
	uint64_t amount;

	if (pc_msg_decode(&m, a->body, a->len, &err) != XU_OK ||
	    m.type != PC_MSG_CLAIM)
		return;
	c = sim_chan_of(w, m.u.claim.channel);
	amount = xl_drops_u64(m.u.claim.amount);
	if (!c) {
		sim_fail("claim-without-channel",
			 "%s signed a claim of %" PRIu64
			 " drops on a channel the ledger never had",
			 w->e[a->from].name, amount);
		return;
	}
	if (amount > c->amount)
		sim_fail("claim-above-amount",
			 "%s signed a claim of %" PRIu64
			 " drops on channel %.8s, whose Amount is %" PRIu64,
			 w->e[a->from].name, amount, c->hex, c->amount);
	if (amount > c->max_claim)
		c->max_claim = amount;
	if (xl_drops_u64(m.u.claim.acked) > c->max_acked)
		sim_fail("acked-truthful",
			 "%s's claim of %" PRIu64 " drops on channel %.8s says "
			 "the payee acknowledged %" PRIu64
			 "; the payee's answers on that channel said at most "
			 "%" PRIu64,
			 w->e[a->from].name, amount, c->hex,
			 xl_drops_u64(m.u.claim.acked), c->max_acked);
}

static void on_arrive(struct sim *w, void *arg);

struct arrival {
	struct sim_attempt *a;
	bool dup;
};

static void start(struct sim *w, struct sim_engine *e, struct sim_attempt *a)
{
	a->from = e->idx;
	a->inc = e->inc;
	a->sent_ms = w->now;
	a->refs = 1;
	sim_at(w, w->now + SIM_HTTP_TIMEOUT_MS, on_timeout, a);
	if (a->kind == K_MESSAGE && !strcmp(a->tag, "claim"))
		observe_claim(w, a);
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.msg_loss_ppm)) {
		sim_trace("connector: %s from %s to %s lost",
			  a->kind == K_CREDIT ? "a credit" : a->tag, e->name,
			  a->account);
		return;
	}
	for (int copies = 0; copies < 2; copies++) {
		struct arrival *v = calloc(1, sizeof(*v));
		int64_t d = sim_rng_range(&w->rng, 1, 120);

		if (!v)
			abort();
		if (!w->quiet && w->k.msg_delay_max_ms &&
		    sim_rng_below(&w->rng, 8) == 0)
			d = sim_rng_range(&w->rng, 100, w->k.msg_delay_max_ms);
		v->a = a;
		v->dup = copies == 1;
		a->refs++;
		sim_at(w, w->now + d, on_arrive, v);
		if (w->quiet || !sim_rng_ppm(&w->rng, w->k.msg_dup_ppm))
			break;
		sim_trace("connector: %s from %s delivered twice",
			  a->kind == K_CREDIT ? "a credit" : a->tag, e->name);
	}
}

static void on_arrive(struct sim *w, void *arg)
{
	struct arrival *v = arg;
	struct sim_attempt *a = v->a;
	struct sim_engine *to;

	if (w->ending)
		goto out;
	if (a->kind == K_CREDIT) {
		/* The engine's own connector books it. */
		if (!w->quiet && sim_rng_ppm(&w->rng, w->k.connector_5xx_ppm)) {
			if (!v->dup)
				answer_back(w, a, 503, NULL, 0);
		} else {
			book_credit(w, a);
			if (!v->dup)
				answer_back(w, a, 201, NULL, 0);
		}
		goto out;
	}
	to = sim_engine_peer(&w->e[a->from]);
	if (!to->up ||
	    (!w->quiet && sim_rng_ppm(&w->rng, w->k.connector_5xx_ppm))) {
		if (!v->dup)
			answer_back(w, a, to->up ? 503 : 502, NULL, 0);
		goto out;
	}
	if (!strcmp(a->tag, "claim")) {
		struct pc_msg m;
		struct xu_err err;

		if (pc_msg_decode(&m, a->body, a->len, &err) == XU_OK) {
			struct sim_chan *c = sim_chan_of(w, m.u.claim.channel);

			if (c)
				c->last_claim_ms = w->now;
		}
	}
	struct sim_job *j = calloc(1, sizeof(*j));

	if (!j)
		abort();
	j->kind = SIM_JOB_MESSAGE;
	snprintf(j->account, sizeof(j->account), "%s", to->acct);
	j->att = a;
	a->refs++;
	j->body = malloc(a->len ? a->len : 1);
	if (!j->body)
		abort();
	memcpy(j->body, a->body, a->len);
	j->len = a->len;
	j->dup = v->dup;
	sim_job_submit(w, to, j);
out:
	sim_attempt_unref(a);
	free(v);
}

void sim_inject_message(struct sim *w, struct sim_engine *to, const char *body)
{
	struct sim_job *j = calloc(1, sizeof(*j));

	if (!j)
		abort();
	j->kind = SIM_JOB_MESSAGE;
	snprintf(j->account, sizeof(j->account), "%s", to->acct);
	j->len = strlen(body);
	j->body = malloc(j->len + 1);
	if (!j->body)
		abort();
	memcpy(j->body, body, j->len + 1);
	j->dup = true; /* nobody waits for its answer */
	sim_job_submit(w, to, j);
}

/* ---- the pump: the outbox's tick ----------------------------------------------*/

static void pump_event(struct sim *w, void *arg)
{
	struct sim_engine *e = arg;

	e->pump_kicked = false;
	sim_outbox_pump(w, e);
}

void sim_outbox_kick(struct sim *w, struct sim_engine *e)
{
	if (e->pump_kicked)
		return;
	e->pump_kicked = true;
	sim_at(w, w->now + sim_rng_range(&w->rng, 0, 5), pump_event, e);
}

void sim_outbox_pump(struct sim *w, struct sim_engine *e)
{
	static const char sql[] =
	    "SELECT id, kind, account, tag, body, idem, drops FROM sim_outbox "
	    "WHERE state = 0 AND next_ms <= ? ORDER BY id LIMIT 128";
	sqlite3_stmt *st;
	struct xu_err err;
	struct sim_attempt *batch[128];
	size_t n = 0;

	if (!e->up || eng_store_in_tx(e->store))
		return;
	if (eng_store_prepare(e->store, sql, &st, &err) != XU_OK)
		abort();
	sqlite3_bind_int64(st, 1, w->now);
	while (sqlite3_step(st) == SQLITE_ROW && n < 128) {
		int64_t row = sqlite3_column_int64(st, 0);
		struct sim_attempt *a;
		const char *tag;

		if (row_inflight(e, row) ||
		    e->nrows_inflight + n >= MAX_INFLIGHT)
			continue;
		a = calloc(1, sizeof(*a));
		if (!a)
			abort();
		a->row = row;
		a->kind = sqlite3_column_int(st, 1);
		snprintf(a->account, sizeof(a->account), "%s",
			 (const char *)sqlite3_column_text(st, 2));
		tag = (const char *)sqlite3_column_text(st, 3);
		snprintf(a->tag, sizeof(a->tag), "%s", tag ? tag : "");
		a->len = (size_t)sqlite3_column_bytes(st, 4);
		a->body = malloc(a->len ? a->len : 1);
		if (!a->body)
			abort();
		if (a->len)
			memcpy(a->body, sqlite3_column_blob(st, 4), a->len);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			snprintf(a->key, sizeof(a->key), "%s",
				 (const char *)sqlite3_column_text(st, 5));
		a->drops = (uint64_t)sqlite3_column_int64(st, 6);
		batch[n++] = a;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (e->nrows_inflight == e->caprows_inflight) {
			e->caprows_inflight =
			    e->caprows_inflight ? e->caprows_inflight * 2 : 64;
			e->rows_inflight =
			    realloc(e->rows_inflight,
				    e->caprows_inflight * sizeof(int64_t));
			if (!e->rows_inflight)
				abort();
		}
		e->rows_inflight[e->nrows_inflight++] = batch[i]->row;
		start(w, e, batch[i]);
	}
}

/* One attempt of the account's latest claim, now, routed with token. */
static void lw_attempt(struct sim *w, struct sim_engine *e,
		       const struct sim_lw *m, uint64_t token)
{
	struct sim_attempt *a = calloc(1, sizeof(*a));

	if (!a)
		abort();
	a->kind = K_MESSAGE;
	a->lw = true;
	a->job = token;
	snprintf(a->account, sizeof(a->account), "%s", m->account);
	snprintf(a->tag, sizeof(a->tag), "claim");
	a->body = malloc(m->len ? m->len : 1);
	if (!a->body)
		abort();
	memcpy(a->body, m->body, m->len);
	a->len = m->len;
	start(w, e, a);
}
