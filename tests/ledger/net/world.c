/* The test "engine" (see world.h). */
#include "tests/ledger/net/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/sign.h"
#include "src/store/db.h"
#include "src/util/log.h"
#include "tests/ledger/net/harness.h"

static const char *schema =
    "CREATE TABLE IF NOT EXISTS tx_journal(id INTEGER PRIMARY KEY, "
    "account TEXT, sequence INTEGER, tx_type TEXT, intent TEXT UNIQUE, "
    "hash TEXT, blob TEXT, last_ledger_seq INTEGER, state TEXT, "
    "result TEXT, created_at INTEGER, updated_at INTEGER)";

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__,        \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

static void on_outcome(void *arg, const struct xl_outcome *o)
{
	struct world *w = arg;
	struct w_out *r;

	CHECK(w->nout < W_MAX_OUT);
	r = &w->out[w->nout++];
	memset(r, 0, sizeof(*r));
	snprintf(r->intent, sizeof(r->intent), "%s", o->intent);
	r->kind = o->kind;
	snprintf(r->result, sizeof(r->result), "%s", o->result);
	if (o->hash)
		snprintf(r->hash, sizeof(r->hash), "%s", o->hash);
	r->sequence = o->sequence;
	r->ledger = o->ledger_index;
	r->meta = o->meta ? json_incref(o->meta) : NULL;
	if (o->err)
		snprintf(r->err, sizeof(r->err), "%s", o->err->msg);
}

static void on_fatal(void *arg, const struct xu_err *err)
{
	struct world *w = arg;

	(void)err;
	w->fatal = true;
}

static void on_ready(void *arg, const struct xl_sync_info *si)
{
	struct world *w = arg;

	json_decref(w->last_sync.channels_out);
	json_decref(w->last_sync.channels_in);
	w->last_sync = *si;
	json_incref(w->last_sync.channels_out);
	json_incref(w->last_sync.channels_in);
	w->syncs++;
}

struct world *w_new(const struct w_opts *o)
{
	struct world *w = calloc(1, sizeof(*w));
	struct xl_client_cfg cc;
	struct xl_submit_cfg sc;
	struct xl_client_listener l;
	struct cr_account_id id;
	struct xu_err err;
	char url[64], path[64];

	CHECK(w);
	CHECK(cr_init(&err) == XU_OK);
	CHECK(cr_keypair_from_seed_text(
		  &w->kp, o->seed ? o->seed : GENESIS_SEED, 0, &err) == XU_OK);
	cr_account_id_of(&id, &w->kp.pub);
	cr_address_encode(w->addr, &id);
	if (o->db_path) {
		snprintf(path, sizeof(path), "%s", o->db_path);
	} else {
		int fd;
		snprintf(path, sizeof(path), "/tmp/xrpse-w-XXXXXX");
		fd = mkstemp(path);
		CHECK(fd >= 0);
		close(fd);
	}
	CHECK(sqlite3_open(path, &w->db) == SQLITE_OK);
	if (!o->db_path)
		snprintf(w->tmp_path, sizeof(w->tmp_path), "%s", path);
	CHECK(sqlite3_exec(w->db, schema, NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(w->db,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
			   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(eng_txjournal_init_db(&w->tj, w->db, &err) == XU_OK);
	w->j = eng_txjournal_ops(&w->tj);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", o->port);
	w->ctx = xl_ws_context_new(url, &err);
	CHECK(w->ctx);
	memset(&cc, 0, sizeof(cc));
	cc.ws.url = url;
	cc.ws.backoff_min_ms = 50;
	cc.ws.backoff_max_ms = 500;
	cc.ws.request_timeout_ms =
	    o->request_timeout_ms ? o->request_timeout_ms : 3000;
	cc.account = w->addr;
	cc.network_id = o->network_id;
	if (o->peer) {
		cc.peers = &o->peer;
		cc.npeers = 1;
	}
	w->c = xl_client_new(w->ctx, &cc, &err);
	CHECK(w->c);
	memset(&l, 0, sizeof(l));
	l.on_fatal = on_fatal;
	l.on_ready = on_ready;
	l.arg = w;
	CHECK(xl_client_listen(w->c, &l, &err) == XU_OK);
	memset(&sc, 0, sizeof(sc));
	sc.kp = &w->kp;
	sc.fee_max_drops = o->fee_max ? o->fee_max : 1000;
	sc.deadline_fee_max_drops = o->deadline_fee_max;
	sc.network_id = o->network_id;
	sc.max_inflight = o->max_inflight;
	sc.max_attempts = o->max_attempts;
	sc.unknown_alarm_ms = o->unknown_alarm_ms;
	w->s = xl_submit_new(w->c, &w->j, &sc, on_outcome, w, &err);
	if (!w->s)
		fprintf(stderr, "xl_submit_new: %s\n", err.msg);
	CHECK(w->s);
	xl_client_start(w->c);
	return w;
}

void w_free(struct world *w)
{
	if (!w)
		return;
	xl_client_stop(w->c);
	xl_submit_free(w->s);
	xl_client_free(w->c);
	lws_context_destroy(w->ctx);
	sqlite3_close(w->db);
	if (w->tmp_path[0]) {
		char p[80];
		unlink(w->tmp_path);
		snprintf(p, sizeof(p), "%s-wal", w->tmp_path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", w->tmp_path);
		unlink(p);
	}
	cr_keypair_clear(&w->kp);
	for (int i = 0; i < w->nout; i++)
		json_decref(w->out[i].meta);
	json_decref(w->last_sync.channels_out);
	json_decref(w->last_sync.channels_in);
	free(w);
}

static bool is_ready(void *arg)
{
	struct world *w = arg;

	return xl_client_state(w->c) == XL_CLIENT_READY;
}

bool w_ready(struct world *w, int timeout_ms)
{
	return th_run_until(w->ctx, is_ready, w, timeout_ms);
}

struct wait_ctx {
	struct world *w;
	const char *intent;
};

int w_count(const struct world *w, const char *intent)
{
	int n = 0;

	for (int i = 0; i < w->nout; i++)
		if (strcmp(w->out[i].intent, intent) == 0)
			n++;
	return n;
}

static bool has_out(void *arg)
{
	struct wait_ctx *wc = arg;

	return w_count(wc->w, wc->intent) > 0;
}

const struct w_out *w_wait(struct world *w, const char *intent, int timeout_ms)
{
	struct wait_ctx wc = {w, intent};

	if (!th_run_until(w->ctx, has_out, &wc, timeout_ms))
		return NULL;
	for (int i = 0; i < w->nout; i++)
		if (strcmp(w->out[i].intent, intent) == 0)
			return &w->out[i];
	return NULL;
}

struct call_ctx {
	bool done;
	enum xu_code code;
	json_t *msg;
};

static void call_reply(void *arg, enum xu_code code, json_t *msg,
		       const struct xu_err *err)
{
	struct call_ctx *cc = arg;

	(void)err;
	cc->done = true;
	cc->code = code;
	cc->msg = msg ? json_incref(msg) : NULL;
}

static bool call_done(void *arg)
{
	return ((struct call_ctx *)arg)->done;
}

enum xu_code w_call(struct world *w, json_t *req, json_t **reply)
{
	struct call_ctx cc = {false, XU_OK, NULL};
	struct xu_err err;
	enum xu_code rc;

	rc = xl_ws_request(xl_client_ws(w->c), req, 0, call_reply, &cc, &err);
	if (rc != XU_OK)
		return rc;
	if (!th_run_until(w->ctx, call_done, &cc, 15000))
		return XU_ETIMEOUT;
	if (reply)
		*reply = cc.msg;
	else
		json_decref(cc.msg);
	return cc.code;
}

enum xu_code w_control(struct world *w, const char *cmd, json_t *extra)
{
	json_t *req = extra ? extra : json_object();

	json_object_set_new(req, "command", json_string(cmd));
	return w_call(w, req, NULL);
}

enum xu_code w_build_fn(void *arg, struct xl_tx *tx,
			const struct xl_tx_common *c, struct xu_err *err)
{
	struct w_build *b = arg;
	struct xl_drops amount, balance;

	b->builds++;
	b->built_sequence = c->sequence;
	b->built_lls = c->last_ledger_sequence;
	if (!xl_drops_from_u64(&amount, b->amount) ||
	    !xl_drops_from_u64(&balance, b->balance))
		return xu_fail(err, XU_ERANGE, 0, "amount");
	switch (b->kind) {
	case W_PAYMENT:
		return xl_tx_payment(tx, c, &b->dst, amount, NULL, err);
	case W_CREATE:
		return xl_tx_paychan_create(tx, c, &b->dst, amount, 86400,
					    &b->pk, NULL, NULL, err);
	case W_FUND:
		return xl_tx_paychan_fund(tx, c, b->channel, amount, NULL, err);
	case W_CLAIM_OWNER:
		return xl_tx_paychan_claim(tx, c, b->channel, &balance, NULL,
					   NULL, 0, NULL, b->flags, err);
	case W_CLAIM_DEST:
		return xl_tx_paychan_claim(tx, c, b->channel, &balance, &amount,
					   b->sig, b->siglen, &b->pk, b->flags,
					   err);
	}
	return xu_fail(err, XU_EINVAL, 0, "kind");
}

void w_enqueue(struct world *w, const char *intent, unsigned flags,
	       struct w_build *b)
{
	w_enqueue_as(w, intent, flags, NULL, b);
}

void w_enqueue_as(struct world *w, const char *intent, unsigned flags,
		  const char *owner, struct w_build *b)
{
	struct xu_err err;

	if (xl_submit_enqueue_as(w->s, intent, flags, owner, w_build_fn, b,
				 &err) != XU_OK) {
		fprintf(stderr, "enqueue %s: %s\n", intent, err.msg);
		abort();
	}
}
