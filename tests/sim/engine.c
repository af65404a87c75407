/* One simulated engine: the real store (src/store) and the real
 * payment-channel service (src/paychan, src/channel), with the simulated
 * ledger client and outbox of ledger.c and connector.c behind them.
 *
 * The engine's API side is played the way src/api/apply.c and the
 * daemon's run_batch (src/daemon/engine.c) do it: jobs that arrive close
 * together run in one batch transaction (a settlement: eng_store_settle
 * and eng_paychan_settled; an account: eng_store_account_create / _delete
 * and eng_paychan_account_created / _deleted; a peer message: its handler
 * under a savepoint, 404 for a closed account, 400 / 503 for its errors),
 * then eng_paychan_batch_end, the commit, and eng_paychan_batch_done; a
 * broken code fails the whole batch (500, rolled back).
 *
 * A crash drops the process: its service is freed and its store closed
 * with nothing else run (what a crash would not run stays unrun), and
 * everything it had in memory (queued intents, claims in flight, requests,
 * jobs) is gone; what it committed stays.  A restart opens the store and
 * starts a new service; a reboot also restarts the monotonic clock low. */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/store/store.h"
#include "tests/sim/sim.h"

struct sim_engine *sim_engine_of_store(struct eng_store *s)
{
	for (int i = 0; i < SIM_NENG; i++)
		if (g_sim->e[i].store == s)
			return &g_sim->e[i];
	abort();
}

struct sim_engine *sim_engine_peer(struct sim_engine *e)
{
	return &g_sim->e[1 - e->idx];
}

static void make_key(struct sim *w, struct sim_engine *e)
{
	struct cr_seed seed;
	struct xu_err err;
	enum cr_key_type type =
	    sim_rng_below(&w->rng, 2) ? CR_KEY_ED25519 : CR_KEY_SECP256K1;

	for (size_t i = 0; i < sizeof(seed.entropy); i++)
		seed.entropy[i] = (uint8_t)sim_rng_next(&w->rng);
	seed.implied = type;
	if (cr_keypair_derive(&e->kp, &seed, type, &err) != XU_OK) {
		fprintf(stderr, "sim: key: %s\n", err.msg);
		abort();
	}
	cr_account_id_of(&e->id, &e->kp.pub);
	cr_address_encode(e->addr, &e->id);
}

void sim_engine_setup(struct sim *w, struct sim_engine *e, int idx)
{
	static const uint32_t delays[] = {7200, 14400, 28800};
	static const uint32_t mins[] = {3600, 7200};
	static const uint64_t amounts[] = {2, 10, 50};

	e->idx = idx;
	e->name = idx == SIM_ALICE ? "alice" : "bob";
	snprintf(e->acct, sizeof(e->acct), "%s", idx == SIM_ALICE ? "b" : "a");
	make_key(w, e);
	sim_account_add(w, &e->id,
			(uint64_t)sim_rng_range(&w->rng, 500, 5000) * SIM_XRP);
	eng_paychan_cfg_default(&e->cfg);
	e->cfg.allow_dangerous = true;
	e->cfg.due_audit = true; /* the due-skipped invariant */
	/* Rounds of the tick in slices of two records of each table, so
	 * that events come between the slices of a round. */
	e->cfg.tick_slice = 2;
	e->cfg.pc.settle_delay = delays[sim_rng_below(&w->rng, 3)];
	e->cfg.pc.min_settle_delay = mins[sim_rng_below(&w->rng, 2)];
	(void)!xl_drops_from_u64(&e->cfg.pc.channel_amount,
				 amounts[sim_rng_below(&w->rng, 3)] * SIM_XRP);
	/* The monotonic clock: days since the machine booted. */
	e->mono_base = sim_rng_range(&w->rng, 3600, 40 * 86400) * 1000;
	e->boot_ms = w->now;
	e->jobs_tail = &e->jobs;
	sim_unreach(e, SIM_UNREACH_DOWN, true);
}

struct cron {
	struct sim_engine *e;
	uint32_t inc;
};

static void cron(struct sim *w, void *arg)
{
	struct cron *c = arg;
	struct sim_engine *e = c->e, *prev;
	bool more;

	if (!e->up || e->inc != c->inc) {
		free(c);
		return;
	}
	sim_outbox_pump(w, e);
	prev = sim_enter(e);
	more = eng_paychan_tick(e->pc);
	sim_leave(prev);
	/* The round's next slice comes soon, as the daemon's after its
	 * sockets were served. */
	sim_at(w, w->now + (more ? 1 : w->coarse ? 60000 : 500), cron, c);
}

void sim_engine_start(struct sim *w, struct sim_engine *e)
{
	struct eng_paychan_env env;
	struct xu_err err;
	struct cron *c;
	struct sim_engine *prev;

	snprintf(e->path, sizeof(e->path), "%s/%s-%u.db", w->dir, e->name,
		 e->keygen);
	if (e->reboot_pending) {
		/* CLOCK_MONOTONIC counts from the boot. */
		e->mono_base = sim_rng_range(&w->rng, 5, 120) * 1000;
		e->boot_ms = w->now;
		e->reboot_pending = false;
	}
	prev = sim_enter(e);
	if (eng_store_open(&e->store, e->path, &err) != XU_OK) {
		fprintf(stderr, "sim: %s: %s\n", e->path, err.msg);
		abort();
	}
	sim_outbox_tables(e);
	memset(&e->msgs, 0, sizeof(e->msgs));
	e->nreplies = 0;
	e->inc++;
	e->npeers = 0; /* a new process's client */
	e->up = true;
	e->has_listener = false;
	e->cstate = XL_CLIENT_DISCONNECTED;
	e->outage_until = 0;
	memset(&env, 0, sizeof(env));
	env.store = e->store;
	env.outbox = (struct eng_outbox *)(void *)e;
	env.rippled = (struct xl_rippled *)(void *)e;
	env.kp = &e->kp;
	env.msgs = &e->msgs;
	if (eng_paychan_new(&e->pc, &env, &e->cfg, &err) != XU_OK) {
		fprintf(stderr, "sim: %s: eng_paychan_new: %s\n", e->name,
			err.msg);
		abort();
	}
	sim_leave(prev);
	sim_unreach(e, SIM_UNREACH_DOWN | SIM_UNREACH_OUTAGE, false);
	sim_client_connect(w, e);
	c = malloc(sizeof(*c));
	if (!c)
		abort();
	c->e = e;
	c->inc = e->inc;
	sim_at(w, w->now + sim_rng_range(&w->rng, 1, 250), cron, c);
	sim_trace("%s: started (process %u, monotonic clock at %lld s)",
		  e->name, e->inc, (long long)(e->mono_base / 1000));
}

static void free_jobs(struct sim_engine *e)
{
	while (e->jobs) {
		struct sim_job *j = e->jobs;

		e->jobs = j->next;
		if (j->att)
			sim_attempt_unref(j->att);
		if (j->settle)
			j->settle->inflight = false;
		free(j->body);
		free(j);
	}
	e->jobs_tail = &e->jobs;
	e->batch_armed = false;
}

/* The process dies: nothing of its memory survives, nothing is cleaned. */
void sim_engine_crash(struct sim *w, struct sim_engine *e, bool reboot)
{
	if (!e->up)
		return;
	sim_trace("%s: %s", e->name, reboot ? "the machine reboots" : "crash");
	e->up = false;
	sim_unreach(e, SIM_UNREACH_DOWN, true);
	sim_queue_crash(w, e);
	sim_outbox_crash(w, e);
	free_jobs(e);
	eng_paychan_free(e->pc);
	e->pc = NULL;
	eng_store_close(e->store);
	e->store = NULL;
	e->has_listener = false;
	e->cstate = XL_CLIENT_DISCONNECTED;
	e->queue_kicked = false;
	e->pump_kicked = false;
	if (reboot)
		e->reboot_pending = true;
}

void sim_engine_destroy(struct sim *w, struct sim_engine *e)
{
	if (e->up)
		sim_engine_crash(w, e, false);
	sim_journal_free(e);
	free(e->rows_inflight);
	free(e->gaps);
	cr_keypair_clear(&e->kp);
}

/* The operator moves the engine to a new key and a new, empty store (a
 * new XRPL account, funded); the connector creates its account again. */
void sim_engine_rekey(struct sim *w, struct sim_engine *e)
{
	char wal[300];

	e->signed_carry = sim_signed_total(e) - sim_reowed(e);
	sim_engine_crash(w, e, false);
	sim_journal_free(e);
	unlink(e->path);
	snprintf(wal, sizeof(wal), "%s-wal", e->path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", e->path);
	unlink(wal);
	e->keygen++;
	make_key(w, e);
	sim_account_add(w, &e->id, 2000 * SIM_XRP);
	sim_trace("%s: re-keyed: new account %s, new store", e->name, e->addr);
	sim_engine_start(w, e);
}

/* ---- the API batch -------------------------------------------------------------*/

struct answer {
	int status;
	char *body;
	size_t len;
	uint64_t drops; /* SETTLE NEW */
	bool new_settle, opened, closed;
};

static void problem(struct answer *a, int status, const char *detail)
{
	json_t *p = json_pack("{s:i,s:s}", "status", status, "detail",
			      detail ? detail : "");

	a->status = status;
	free(a->body);
	a->body = json_dumps(p, JSON_COMPACT);
	a->len = a->body ? strlen(a->body) : 0;
	json_decref(p);
}

/* src/api/apply.c answer_error: the job's answer for an error code, or
 * rc when the batch must fail. */
static enum xu_code answer_error(struct answer *a, enum xu_code rc,
				 const struct xu_err *err, bool from_store)
{
	if (rc == XU_ENOTFOUND && from_store) {
		problem(a, 404, "account not found");
		return XU_OK;
	}
	if (xu_code_is_input(rc)) {
		problem(a, 400, err->msg);
		return XU_OK;
	}
	if (xu_code_is_transient(rc)) {
		problem(a, 503, err->msg);
		return XU_OK;
	}
	return rc;
}

static enum xu_code apply_message(struct sim_engine *e, struct sim_job *j,
				  struct answer *a, struct xu_err *err)
{
	json_error_t je;
	json_t *msg, *type;
	struct eng_msg_reply reply = {.status = 201};
	void *harg = NULL;
	eng_msg_fn fn;
	enum xu_code rc;

	msg = json_loadb((const char *)j->body, j->len, JSON_REJECT_DUPLICATES,
			 &je);
	type = msg ? json_object_get(msg, "type") : NULL;
	if (!json_is_object(msg) || !json_is_string(type)) {
		json_decref(msg);
		problem(a, 400, "message is not a JSON object");
		return XU_OK;
	}
	fn = eng_msgs_lookup(&e->msgs, json_string_value(type), &harg);
	if (!fn) {
		json_decref(msg);
		problem(a, 400, "unknown message type");
		return XU_OK;
	}
	if (!eng_store_account_exists(e->store, j->account)) {
		json_decref(msg);
		problem(a, 404, "account not found");
		return XU_OK;
	}
	rc = eng_store_savepoint(e->store, err);
	if (rc != XU_OK) {
		json_decref(msg);
		return rc;
	}
	rc = fn(harg, j->account, msg, &reply, err);
	json_decref(msg);
	if (rc != XU_OK) {
		free(reply.body);
		if (eng_store_savepoint_undo(e->store, NULL) != XU_OK)
			return xu_fail(err, XU_ESTORE, 0,
				       "cannot undo a message handler");
		return answer_error(a, rc, err, false);
	}
	rc = eng_store_savepoint_release(e->store, err);
	if (rc != XU_OK) {
		free(reply.body);
		return rc;
	}
	a->status = reply.status;
	free(a->body);
	a->body = reply.body;
	a->len = reply.len;
	return XU_OK;
}

static enum xu_code apply_job(struct sim *w, struct sim_engine *e,
			      struct sim_job *j, struct answer *a,
			      struct xu_err *err)
{
	struct eng_settle_result res;
	enum xu_code rc;
	bool created;

	a->status = 201;
	switch (j->kind) {
	case SIM_JOB_SETTLE:
		rc = eng_store_settle(
		    e->store, j->account, j->settle->key, &j->settle->q,
		    (w->now + e->wall_skew) / 1000, &res, err);
		if (rc != XU_OK)
			return answer_error(a, rc, err, true);
		if (res.kind == ENG_SETTLE_CONFLICT) {
			problem(a, 409, "idempotency key tied to other input");
			return XU_OK;
		}
		a->status = res.status;
		if (res.kind == ENG_SETTLE_NEW) {
			a->new_settle = true;
			a->drops = xl_drops_u64(res.drops);
			return eng_paychan_settled(e->pc, j->account, err);
		}
		return XU_OK;
	case SIM_JOB_ACCOUNT_CREATE:
		rc = eng_store_account_create(e->store, j->account, &created,
					      err);
		if (rc != XU_OK)
			return answer_error(a, rc, err, true);
		a->opened = true;
		return eng_paychan_account_created(e->pc, j->account, err);
	case SIM_JOB_ACCOUNT_DELETE:
		rc = eng_store_account_delete(e->store, j->account, err);
		if (rc != XU_OK)
			return answer_error(a, rc, err, true);
		a->status = 204;
		a->closed = true;
		return eng_paychan_account_deleted(e->pc, j->account, err);
	case SIM_JOB_MESSAGE:
		return apply_message(e, j, a, err);
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad job");
}

static const char *job_name(const struct sim_job *j)
{
	switch (j->kind) {
	case SIM_JOB_SETTLE:
		return "settle";
	case SIM_JOB_ACCOUNT_CREATE:
		return "POST /accounts";
	case SIM_JOB_ACCOUNT_DELETE:
		return "DELETE /accounts";
	case SIM_JOB_MESSAGE:
		return "message";
	}
	return "?";
}

static void msg_type(const struct sim_job *j, char *out, size_t cap)
{
	json_t *m = json_loadb((const char *)j->body, j->len, 0, NULL);
	const char *t =
	    m ? json_string_value(json_object_get(m, "type")) : NULL;

	snprintf(out, cap, "%s", t ? t : "?");
	json_decref(m);
}

static void run_batch(struct sim *w, void *arg)
{
	struct sim_engine *e = arg, *prev;
	struct sim_job *list = e->jobs, *j;
	struct answer *ans;
	struct xu_err err = {0};
	enum xu_code rc;
	size_t n = 0, i;

	e->batch_armed = false;
	if (!e->up || !list)
		return;
	e->jobs = NULL;
	e->jobs_tail = &e->jobs;
	for (j = list; j; j = j->next)
		n++;
	ans = calloc(n, sizeof(*ans));
	if (!ans)
		abort();
	prev = sim_enter(e);
	rc = eng_store_begin(e->store, &err);
	for (j = list, i = 0; rc == XU_OK && j; j = j->next, i++)
		rc = apply_job(w, e, j, &ans[i], &err);
	if (rc == XU_OK)
		rc = eng_paychan_batch_end(e->pc, &err);
	if (rc == XU_OK)
		rc = eng_store_commit(e->store, &err);
	if (rc != XU_OK) {
		sim_trace("%s: batch of %zu failed, rolled back: %s", e->name,
			  n, err.msg);
		eng_store_rollback(e->store);
		for (i = 0; i < n; i++) {
			problem(&ans[i], 500, "the store failed");
			ans[i].new_settle = ans[i].opened = ans[i].closed =
			    false;
		}
	}
	eng_paychan_batch_done(e->pc, rc == XU_OK);
	sim_leave(prev);
	for (j = list, i = 0; j; j = j->next, i++) {
		struct answer *a = &ans[i];
		char t[32] = "";

		if (j->kind == SIM_JOB_MESSAGE) {
			msg_type(j, t, sizeof(t));
			if (a->status != 201 || strcmp(t, "claim"))
				sim_trace("%s: %smessage %s from %s -> %d",
					  e->name, j->dup ? "(copy) " : "", t,
					  j->account, a->status);
			else
				sim_observe_acceptance(w, e, a->body, a->len);
			if (j->att && !j->dup)
				sim_message_answered(w, j->att, a->status,
						     a->body, a->len);
		} else if (j->kind == SIM_JOB_SETTLE) {
			struct sim_settle_req *r = j->settle;

			r->inflight = false;
			if (a->status == 201 || a->status == 404)
				r->done = true;
			if (a->new_settle) {
				r->drops = a->drops;
				e->settled_drops += a->drops;
			}
			sim_trace(
			    "%s: settle %s {%s,%u} -> %d%s%" PRIu64
			    " drops (settled in all %" PRIu64 ")",
			    e->name, r->key, r->q.digits, (unsigned)r->q.scale,
			    a->status, a->new_settle ? " +" : " ",
			    a->new_settle ? a->drops : 0, e->settled_drops);
		} else {
			if (a->opened)
				e->account_open = true;
			if (a->closed)
				e->account_open = false;
			sim_trace("%s: %s %s -> %d", e->name, job_name(j),
				  j->account, a->status);
		}
		free(a->body);
	}
	free(ans);
	while (list) {
		j = list;
		list = j->next;
		if (j->att)
			sim_attempt_unref(j->att);
		free(j->body);
		free(j);
	}
}

void sim_job_submit(struct sim *w, struct sim_engine *e, struct sim_job *j)
{
	if (!e->up) {
		if (j->att)
			sim_attempt_unref(j->att);
		if (j->settle)
			j->settle->inflight = false;
		free(j->body);
		free(j);
		return;
	}
	j->next = NULL;
	*e->jobs_tail = j;
	e->jobs_tail = &j->next;
	if (!e->batch_armed) {
		e->batch_armed = true;
		sim_at(w, w->now + 1, run_batch, e);
	}
}

void sim_settle_request(struct sim *w, struct sim_settle_req *r)
{
	struct sim_engine *e = &w->e[r->engine];
	struct sim_job *j;

	if (r->done || r->inflight || !e->up)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		abort();
	j->kind = SIM_JOB_SETTLE;
	snprintf(j->account, sizeof(j->account), "%s", e->acct);
	j->settle = r;
	r->inflight = true;
	sim_job_submit(w, e, j);
}
