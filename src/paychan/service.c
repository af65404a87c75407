/* The daemon's payment-channel service (see paychan.h): runs the channel
 * core's events against the records in the store and carries out their
 * effects; how, and the files that do it, in service.h.
 *
 * This file: the service's state and setup (eng_paychan_new/free, the
 * settings' defaults, the counters), the per-account memory, and the
 * transactions the service opens itself (tx_begin/tx_end), after whose
 * commit the deferred work runs (after_commit). */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/net/rippled.h"
#include "src/outbox/outbox.h"
#include "src/util/log.h"

struct acct *acct_of(struct eng_paychan *pc, const char *account)
{
	struct acct *a = xu_map_get(&pc->acct_map, account);

	if (a)
		return a;
	size_t alen = strlen(account);

	a = calloc(1, sizeof(*a) + alen + 1);
	if (!a)
		return NULL;
	memcpy(a->account, account, alen + 1);
	a->peer_best = xl_drops_zero();
	pc_dlv_init(&a->dlv, pc->cfg.claim_stall_ms, pc->cfg.claim_resend_ms);
	if (xu_map_put(&pc->acct_map, a, NULL) != XU_OK) {
		free(a);
		return NULL;
	}
	a->next = pc->accts;
	pc->accts = a;
	return a;
}

bool acct_set_add(struct acct ***v, size_t *n, size_t *cap, struct acct *a,
		  bool *in)
{
	if (*in)
		return true;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct acct **nv = realloc(*v, nc * sizeof(**v));

		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = a;
	*in = true;
	return true;
}

/* ---- our own transactions ----------------------------------------------- */

enum xu_code tx_begin(struct eng_paychan *pc, struct xu_err *err)
{
	if (eng_store_in_tx(pc->st))
		return xu_fail(err, XU_EINTERNAL, 0,
			       "paychan: a transaction is already open");
	return eng_store_begin(pc->st, err);
}

/* Commits (or rolls back on rc != XU_OK) our own transaction and runs or
 * drops the deferred work. */
bool tx_end(struct eng_paychan *pc, enum xu_code rc, struct xu_err *err,
	    const char *what)
{
	if (rc == XU_OK)
		rc = eng_store_commit(pc->st, err);
	if (rc != XU_OK) {
		eng_store_rollback(pc->st);
		builds_drop_unqueued(pc);
		pc->enqueued = false;
		xu_broken(SUB, "%s failed, rolled back: %s", what, err->msg);
		dlv_tx_ended(pc, false);
		return false;
	}
	after_commit(pc);
	return true;
}

void after_commit(struct eng_paychan *pc)
{
	builds_flush(pc);
	lookups_flush(pc);
	hist_flush(pc);
	dlv_tx_ended(pc, true);
	if (pc->enqueued) {
		pc->enqueued = false;
		eng_outbox_tick(pc->ob, wall_ms(pc));
	}
}

/* ---- setup ------------------------------------------------------------ */

static int64_t default_mono_ms(void *arg)
{
	(void)arg;
	return eng_mono_ms();
}

static int64_t default_mono_us(void *arg)
{
	(void)arg;
	return eng_mono_us();
}

static int64_t default_wall_ms(void *arg)
{
	(void)arg;
	return eng_wall_ms();
}

void eng_paychan_cfg_default(struct eng_paychan_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pc_cfg_default(&cfg->pc);
	cfg->poll_ms = 60000;
	cfg->poll_channel_us = 7500;
	cfg->tick_ms = 1000;
	cfg->tick_slice = 256;
	cfg->hello_retry_ms = 1000;
	cfg->claim_resend_ms = 10000;
	cfg->recover_alert_ms = 600000;
	cfg->closed_keep_s = 86400;
	cfg->claim_stall_ms = 2000;
	cfg->lookup_fresh_ms = 5000;
	cfg->owed_alert_ms = 300000;
	cfg->tx_inflight = XL_SUBMIT_INFLIGHT_DEFAULT;
	cfg->allow_dangerous = false;
}

/* A new process: the timers every record keeps in the old process's
 * monotonic seconds (pc_out retry_at; pc_in retry_at, next_check,
 * last_redeem) mean nothing on this clock (after a reboot it restarts
 * near zero), so all are cleared before the first event: what they
 * delayed is due now (docs/design.md#timers).  And an outgoing
 * record's last signed claim may be older than the peer's (a restored
 * store): pc_out_restart starts a recovery, which the first tick asks. */
/* A recovery that starts now: the drops the store still owes the
 * account (settled, not yet fed to the record) may have been paid by the
 * claims a restored store lost, like the record's own owed drops: they
 * join recover_owed (docs/risks.md#restore-from-backup-paying-twice). */
static enum xu_code recover_store_owed(struct eng_paychan *pc,
				       struct eng_chan_out *o,
				       struct xu_err *err)
{
	struct xl_drops owed, sum;
	enum xu_code rc = eng_store_owed_get(pc->st, o->account, &owed, err);

	if (rc == XU_ENOTFOUND)
		return XU_OK;
	if (rc != XU_OK)
		return rc;
	if (xl_drops_add(&sum, o->ch.recover_owed, owed))
		o->ch.recover_owed = sum;
	return XU_OK;
}

static enum xu_code restart_records(struct eng_paychan *pc, struct xu_err *err)
{
	struct eng_chan_out *ov = NULL;
	struct eng_chan_in *iv = NULL;
	size_t on = 0, in = 0;
	enum xu_code rc;

	rc = tx_begin(pc, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_out_all(pc->st, &ov, &on, err);
	for (size_t i = 0; rc == XU_OK && i < on; i++) {
		bool was = ov[i].ch.recovering;

		pc_out_restart(&ov[i].ch);
		if (!was && ov[i].ch.recovering)
			rc = recover_store_owed(pc, &ov[i], err);
		if (rc == XU_OK)
			rc = eng_chan_out_put(pc->st, &ov[i], err);
	}
	/* ... and are in the record before any answer can cancel them. */
	for (size_t i = 0; rc == XU_OK && i < on; i++)
		if (ov[i].ch.recovering && !ov[i].ch.deleting)
			rc = feed_owed(pc, ov[i].account, err);
	free(ov);
	if (rc == XU_OK) /* a closed record has no timer to clear */
		rc = eng_chan_in_live(pc->st, &iv, &in, err);
	for (size_t i = 0; rc == XU_OK && i < in; i++) {
		pc_in_restart(&iv[i].ch);
		rc = eng_chan_in_put(pc->st, &iv[i], err);
		ledger_peer(pc, &iv[i].ch.peer);
	}
	free(iv);
	if (rc == XU_OK)
		return eng_store_commit(pc->st, err);
	eng_store_rollback(pc->st);
	return rc;
}

enum xu_code eng_paychan_new(struct eng_paychan **out,
			     const struct eng_paychan_env *env,
			     const struct eng_paychan_cfg *cfg,
			     struct xu_err *err)
{
	struct eng_paychan *pc;
	struct xu_err rerr = {0};
	uint64_t seed;
	enum xu_code rc;

	*out = NULL;
	rc = pc_cfg_check(&cfg->pc, cfg->allow_dangerous, err);
	if (rc != XU_OK)
		return rc;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	pc->rippled = env->rippled;
	pc->st = env->store;
	pc->ob = env->outbox;
	pc->kp = env->kp;
	pc->seed = env->seed;
	pc->cfg = *cfg;
	pc->mono = env->mono_ms ? env->mono_ms : default_mono_ms;
	pc->wall = env->wall_ms ? env->wall_ms : default_wall_ms;
	pc->mono_us = env->mono_us ? env->mono_us : default_mono_us;
	pc->clock_arg = env->clock_arg;
	/* Seeded per process: the ids a peer names cannot aim at one slot. */
	seed = (uint64_t)(uintptr_t)pc ^ ((uint64_t)eng_mono_ms() << 20) ^
	       (uint64_t)eng_wall_ms();
	xu_map_init(&pc->lookup_map, offsetof(struct lookup, id),
		    CR_CHANNEL_ID_BYTES, seed);
	xu_map_init(&pc->acct_map, offsetof(struct acct, account), 0,
		    seed * 0x9e3779b97f4a7c15ull);
	xu_map_init(&pc->build_map, offsetof(struct build, intent), 0,
		    seed ^ 0xc2b2ae3d27d4eb4full);
	cr_account_id_of(&pc->self, &pc->kp->pub);
	cr_address_encode(pc->address, &pc->self);
	if (!xl_drops_from_u64(&pc->fee, 10))
		pc->fee = xl_drops_zero();
	/* Hellos that were with the outbox when we stopped: their answer
	 * may be lost, so ask again soon (a repeat is harmless). */
	if (eng_chan_peer_rearm_hellos(pc->st, &rerr) != XU_OK)
		xu_unusual(SUB, "cannot re-arm hellos: %s", rerr.msg);
	register_handlers(pc, env->msgs);
	register_answers(pc);
	rc = restart_records(pc, err);
	if (rc != XU_OK) {
		free(pc);
		return rc;
	}
	if (pc->rippled) {
		xl_submit_set_max_inflight(xl_rippled_submit(pc->rippled),
					   cfg->tx_inflight);
		rc = register_listener(pc, err);
		if (rc != XU_OK) {
			free(pc);
			return rc;
		}
	}
	*out = pc;
	return XU_OK;
}

void eng_paychan_free(struct eng_paychan *pc)
{
	if (!pc)
		return;
	while (pc->builds) {
		struct build *b = pc->builds;

		pc->builds = b->next;
		free(b);
	}
	xu_map_clear(&pc->build_map);
	{
		size_t pos = 0;
		struct lookup *l;

		while ((l = xu_map_next(&pc->lookup_map, &pos)) != NULL)
			lookup_destroy(l);
		xu_map_clear(&pc->lookup_map);
	}
	hist_free_all(pc);
	pages_free(pc);
	free(pc->views);
	free(pc->dirty);
	owed_free(pc);
	lat_free(pc);
	while (pc->accts) {
		struct acct *a = pc->accts;

		pc->accts = a->next;
		free(a->lat.q);
		free(a);
	}
	xu_map_clear(&pc->acct_map);
	free(pc->active);
	free(pc->held);
	free(pc);
}

void eng_paychan_stats(const struct eng_paychan *pc,
		       struct eng_paychan_stats *st)
{
	*st = pc->stats;
}
