/* The engine's event loop, group commit, cron and shutdown (see engine.h).
 *
 * Loop iteration timeline under load (lws 4.1 services ripe timers, then
 * polls, then services every ready socket):
 *
 *   poll -> RAW_RX on N connections -> N jobs queued, batch timer armed
 *   next iteration: batch timer -> BEGIN, apply N jobs, COMMIT (one fsync)
 *                   -> N connections marked writable
 *   poll -> RAW_WRITEABLE -> N answers written
 *
 * so one fsync acknowledges every request that arrived in one iteration.
 */
#include "src/daemon/engine.h"

#include <libwebsockets.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/base58.h"
#include "crypto/keys.h"
#include "ledger/net/rippled.h"
#include "src/api/api.h"
#include "src/daemon/cron.h"
#include "src/daemon/rpc.h"
#include "src/io/clock.h"
#include "src/io/curlw.h"
#include "src/io/http.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/store.h"
#include "src/store/txjournal.h"
#include "src/store/walckpt.h"
#include "src/util/log.h"

#define CRON_MS_DEFAULT 100
#define IDEM_TTL_S (7 * 24 * 3600)
#define IDEM_GC_EVERY_S 3600
/* Free heap pages go back to the system this often: malloc keeps what a
 * burst freed (a resync's pages, a poll round's JSON, a settlement
 * spike), and at 10,000 links that was some 20 MB of RSS held for
 * nothing.  A trim costs well under a millisecond then. */
#define TRIM_EVERY_S 60
#define DRAIN_MS 300
#define WALCKPT_MS 250

struct eng_engine {
	struct eng_config cfg;
	struct cr_keypair *kp; /* sodium_malloc'd */
	struct cr_seed *seed;  /* sodium_malloc'd */
	char address[CR_ADDRESS_STRLEN];
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct eng_http_server http;
	struct lws_vhost *mvh;	      /* --metrics-listen; NULL: none */
	struct eng_http_server mhttp; /* its server: GET /metrics only */
	struct eng_store *store;
	struct eng_curlw *curlw;
	struct eng_outbox *outbox;
	lws_sorted_usec_list_t sul_batch, sul_cron;
	lws_sorted_usec_list_t sul_slice; /* the tick's next slice */
	bool batch_armed;
	struct eng_job *head, **tail;
	struct eng_msgs msgs;	 /* peer message types */
	struct eng_api_host api; /* what the API works on */
	int64_t clock_offset;
	int64_t last_gc;
	int64_t last_trim;
	unsigned fail_commits;	  /* test-only: commits still to fail */
	uint32_t stall_ms;	  /* test-only: the next commit waits */
	int64_t stalled_until_us; /* monotonic: settlements get 503 */
	int64_t cron_due_us;	  /* monotonic: when the cron is due */
	uint64_t cron_batches;	  /* stats.batches at the last cron */
	struct eng_walckpt *ckpt; /* background WAL checkpoints */
	bool stopping;
	struct eng_api_stats stats;
	struct eng_txjournal tj;     /* the rippled client's journal */
	struct xl_rippled *rippled;  /* ledger/net: client + tx queue */
	struct eng_paychan *paychan; /* payment channels (src/paychan/) */
	struct eng_rpc *rpc;	     /* the admin socket (rpc.h) */
	int exit_code;		     /* 1: rippled serves another network */
};

static volatile sig_atomic_t g_stop;
static struct lws_context *g_ctx;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_ctx)
		lws_cancel_service(g_ctx);
}

int64_t eng_engine_now(struct eng_engine *e)
{
	return (int64_t)time(NULL) + e->clock_offset;
}

void eng_engine_advance_clock(struct eng_engine *e, int64_t secs)
{
	e->clock_offset += secs;
	xu_info("engine", "dev clock moved by %lld s", (long long)secs);
}

void eng_engine_stall_commit(struct eng_engine *e, uint32_t stall_ms)
{
	e->stall_ms = stall_ms;
}

void eng_engine_fail_commits(struct eng_engine *e, unsigned n)
{
	e->fail_commits = n;
}

const char *eng_engine_address(struct eng_engine *e)
{
	return e->address;
}

void eng_engine_stats(struct eng_engine *e, struct eng_api_stats *s)
{
	*s = e->stats;
	s->requests = e->http.requests;
	s->conns = e->http.conns;
}

/* Answers and frees a list of jobs. */
/* A settlement answered after ENG_API_LATE_MS: the connector may have
 * given up on it (docs/risks.md#late-settlement-answers). */
static void note_late(struct eng_engine *e, const struct eng_job *j)
{
	int64_t ms = (eng_mono_us() - j->born_us) / 1000;

	if (j->kind != ENG_JOB_SETTLE || ms <= ENG_API_LATE_MS)
		return;
	e->stats.late_settlements++;
	xu_unusual("engine",
		   "settlement for %s answered %lld ms after its request "
		   "(HTTP %d): the connector may have given up on it",
		   j->account, (long long)ms, j->status);
}

/* A commit that took us microseconds, more than ENG_API_LATE_MS: the
 * requests read behind it may have waited past the connector's timeout;
 * settlements are answered 503 at once for ENG_API_LATE_MS
 * (docs/risks.md#late-settlement-answers). */
static void note_stall(struct eng_engine *e, int64_t us)
{
	if (us <= (int64_t)ENG_API_LATE_MS * 1000)
		return;
	e->stalled_until_us = eng_mono_us() + (int64_t)ENG_API_LATE_MS * 1000;
	xu_unusual("engine",
		   "a commit took %lld ms: settlements are answered 503 for "
		   "the next %d ms",
		   (long long)(us / 1000), ENG_API_LATE_MS);
}

/* The batch found the store's write lock held by another process past
 * ENG_API_BUSY_MS: nothing was applied; its jobs are answered 503 and
 * settlements refused at once for ENG_API_LATE_MS, after which the next
 * batch tries again. */
static void note_busy(struct eng_engine *e, const struct xu_err *err)
{
	int64_t now = eng_mono_us();

	e->stats.store_busy++;
	if (now >= e->stalled_until_us)
		xu_unusual("engine",
			   "%s: requests are answered 503 until it is free",
			   err->msg);
	e->stalled_until_us = now + (int64_t)ENG_API_LATE_MS * 1000;
}

/* The loop thread was held us microseconds by something else than the
 * group commit (a store wait in a ledger or outbox callback, the cron's
 * own work): the requests read next may have waited that long in their
 * sockets, so settlements are refused at once as after a stalled
 * commit. */
static void note_blocked(struct eng_engine *e, int64_t us, const char *what)
{
	if (us <= (int64_t)ENG_API_LATE_MS * 1000)
		return;
	e->stats.loop_blocks++;
	e->stalled_until_us = eng_mono_us() + (int64_t)ENG_API_LATE_MS * 1000;
	xu_unusual("engine",
		   "the loop was blocked %lld ms (%s): settlements are "
		   "answered 503 for the next %d ms",
		   (long long)(us / 1000), what, ENG_API_LATE_MS);
}

/* Whether another process leaves the store's write lock free now: the
 * cron's writers (outbox, payment channels, gc) would else wait for it up
 * to the store's busy timeout, holding the loop and every settlement
 * behind them.  While it is held they wait for the next cron. */
static bool store_free(struct eng_engine *e)
{
	struct xu_err err;
	enum xu_code rc;

	if (eng_store_in_tx(e->store))
		return true;
	rc = eng_store_begin_within(e->store, 0, &err);
	if (rc == XU_EUNAVAIL) {
		note_busy(e, &err);
		return false;
	}
	if (rc == XU_OK)
		eng_store_rollback(e->store);
	return true;
}

static bool api_store_stalled(void *arg)
{
	struct eng_engine *e = arg;
	bool stalled = eng_mono_us() < e->stalled_until_us;

	if (stalled)
		e->stats.stalled_refusals++;
	return stalled;
}

static void answer_jobs(struct eng_engine *e, struct eng_job *j)
{
	while (j) {
		struct eng_job *next = j->next;

		if (j->conn) {
			note_late(e, j);
			eng_http_reply(j->conn, j->status, j->ctype, NULL,
				       j->body, j->body_len);
		}
		eng_job_free(j);
		j = next;
	}
}

/* Counts the settlement requests and the peer's messages of a batch
 * about to be answered. */
static void count_answers(struct eng_engine *e, const struct eng_job *j)
{
	int64_t now = eng_mono_us();

	for (; j; j = j->next) {
		uint64_t us =
		    now > j->born_us ? (uint64_t)(now - j->born_us) : 0;

		if (j->kind == ENG_JOB_MESSAGE)
			eng_hist_observe(&e->stats.message_us, us);
		if (j->kind != ENG_JOB_SETTLE)
			continue;
		e->stats.settlements++;
		eng_hist_observe(&e->stats.settle_us, us);
		if (j->status != 201)
			continue;
		e->stats.settlements_acked++;
		if (j->fresh)
			e->stats.settled_drops += xl_drops_u64(j->drops);
	}
}

/* Applies every queued job in one transaction, commits, then answers. */
static void run_batch(struct eng_engine *e)
{
	struct eng_job *list = e->head, *j;
	struct xu_err err = {0};
	enum xu_code rc;
	bool enqueued = false;
	size_t n = 0;
	int64_t t0, tc;

	e->head = NULL;
	e->tail = &e->head;
	if (!list)
		return;
	t0 = eng_mono_us();
	rc = eng_store_begin_within(e->store, ENG_API_BUSY_MS, &err);
	if (rc == XU_EUNAVAIL) {
		note_busy(e, &err);
		for (j = list; j; j = j->next)
			eng_api_job_problem(j, 503, NULL,
					    "the store is busy; nothing was "
					    "done, retry");
		eng_paychan_batch_done(e->paychan, false);
		count_answers(e, list);
		answer_jobs(e, list);
		return;
	}
	for (j = list; rc == XU_OK && j; j = j->next) {
		rc = eng_api_apply(&e->api, j, &err);
		enqueued |= j->enqueued;
		n++;
	}
	if (rc == XU_OK)
		rc = eng_paychan_batch_end(e->paychan, &err);
	if (rc == XU_OK && e->fail_commits) {
		e->fail_commits--;
		rc = xu_fail(&err, XU_ESTORE, 0,
			     "commit failed (--dev-api "
			     "fail-commits)");
	}
	tc = eng_mono_us();
	if (rc == XU_OK && e->stall_ms) {
		struct timespec ts = {e->stall_ms / 1000,
				      (long)(e->stall_ms % 1000) * 1000000};
		e->stall_ms = 0;
		nanosleep(&ts, NULL);
	}
	if (rc == XU_OK)
		rc = eng_store_commit(e->store, &err);
	tc = eng_mono_us() - tc;
	if (rc == XU_OK)
		eng_hist_observe(&e->stats.commit_us,
				 tc > 0 ? (uint64_t)tc : 0);
	note_stall(e, tc);
	if (rc != XU_OK) {
		xu_broken("engine", "batch of %zu failed, rolled back: %s", n,
			  err.msg);
		eng_store_rollback(e->store);
		e->stats.commit_failures++;
		for (j = list; j; j = j->next)
			eng_api_job_problem(j, 500, NULL,
					    "the store failed; nothing was "
					    "done, retry");
		enqueued = false;
	}
	eng_paychan_batch_done(e->paychan, rc == XU_OK);
	e->stats.batches++;
	e->stats.batched_jobs += n;
	t0 = eng_mono_us() - t0;
	e->stats.batch_us_total += (uint64_t)t0;
	if ((uint64_t)t0 > e->stats.batch_us_max)
		e->stats.batch_us_max = (uint64_t)t0;
	count_answers(e, list);
	answer_jobs(e, list);
	if (enqueued)
		eng_outbox_tick(e->outbox, eng_wall_ms());
}

static void batch_cb(lws_sorted_usec_list_t *sul)
{
	struct eng_engine *e =
	    lws_container_of(sul, struct eng_engine, sul_batch);

	e->batch_armed = false;
	run_batch(e);
}

void eng_engine_submit(struct eng_engine *e, struct eng_job *job)
{
	job->next = NULL;
	*e->tail = job;
	e->tail = &job->next;
	if (!e->batch_armed) {
		e->batch_armed = true;
		lws_sul_schedule(e->ctx, 0, &e->sul_batch, batch_cb, 1);
	}
}

/* A connection with a queued job closed: answer nobody. */
static void on_conn_closed(void *arg, struct eng_http_conn *c)
{
	const struct eng_api_host *h = arg; /* the http server's arg */
	struct eng_engine *e = h->arg;

	for (struct eng_job *j = e->head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
}

/* When the next cron comes (cron.h).  What arrives meanwhile does not
 * wait for an idle period: API requests run in batches of their own, rows
 * and claims go to the connector after their commit, lookups after
 * theirs; only retries that come due and poll answers wait up to
 * ENG_CRON_IDLE_MS. */
static uint32_t cron_next_ms(struct eng_engine *e, uint32_t ms, int sent)
{
	struct eng_cron_seen s = {
	    .batches = e->stats.batches,
	    .sent = sent,
	    .inflight = eng_outbox_inflight(e->outbox),
	    .quiet = eng_paychan_quiet(e->paychan),
	};

	return eng_cron_next_ms(&e->cron_batches, &s, ms,
				e->cfg.dev_cron_ms != 0);
}

/* The tick's next slice, at the next loop iteration: the sockets are
 * served between two slices (eng_paychan_tick). */
static void slice_cb(lws_sorted_usec_list_t *sul)
{
	struct eng_engine *e =
	    lws_container_of(sul, struct eng_engine, sul_slice);
	int64_t t0 = eng_mono_us();
	lws_usec_t next = 0;
	bool more = true;

	if (!store_free(e))
		next = (lws_usec_t)CRON_MS_DEFAULT * 1000;
	else
		more = eng_paychan_tick(e->paychan);
	note_blocked(e, eng_mono_us() - t0, "in a tick's slice");
	if (more)
		lws_sul_schedule(e->ctx, 0, &e->sul_slice, slice_cb, next);
}

static void cron_cb(lws_sorted_usec_list_t *sul)
{
	struct eng_engine *e =
	    lws_container_of(sul, struct eng_engine, sul_cron);
	int64_t now = eng_engine_now(e);
	uint32_t ms = e->cfg.dev_cron_ms ? e->cfg.dev_cron_ms : CRON_MS_DEFAULT;
	int64_t keep_ms =
	    (int64_t)(e->cfg.outbox_keep_s ? e->cfg.outbox_keep_s
					   : ENG_CONFIG_OUTBOX_KEEP_S) *
	    1000;
	struct xu_err err;
	int64_t t0 = eng_mono_us();
	int sent = 1; /* the store was busy: come again soon */

	/* Due long ago: a callback held the loop (lws runs ripe timers
	 * before it reads the sockets). */
	if (e->cron_due_us)
		note_blocked(e, t0 - e->cron_due_us, "before the cron");
	if (!store_free(e))
		goto next;
	sent = eng_outbox_tick(e->outbox, eng_wall_ms());
	if (eng_paychan_tick(e->paychan))
		lws_sul_schedule(e->ctx, 0, &e->sul_slice, slice_cb, 0);
	if (!eng_store_in_tx(e->store))
		eng_walckpt_tick(e->ckpt, e->store);
	if (now - e->last_gc >= IDEM_GC_EVERY_S) {
		e->last_gc = now;
		if (eng_store_begin(e->store, &err) != XU_OK ||
		    eng_store_idem_gc(e->store, now, IDEM_TTL_S, NULL, &err) !=
			XU_OK ||
		    /* Delivered outbox rows are kept --outbox-keep (30
		     * days), for the operator; pending and parked rows are
		     * never deleted. */
		    eng_outbox_gc(e->store, eng_wall_ms() - keep_ms, NULL,
				  &err) != XU_OK ||
		    eng_store_commit(e->store, &err) != XU_OK) {
			eng_store_rollback(e->store);
			xu_broken("engine", "gc failed: %s", err.msg);
		}
	}
	if (now - e->last_trim >= TRIM_EVERY_S) {
		e->last_trim = now;
		malloc_trim(0);
	}
next:
	note_blocked(e, eng_mono_us() - t0, "in the cron");
	ms = cron_next_ms(e, ms, sent);
	e->cron_due_us = eng_mono_us() + (int64_t)ms * 1000;
	lws_sul_schedule(e->ctx, 0, &e->sul_cron, cron_cb,
			 (lws_usec_t)ms * 1000);
}

/* Curl completions, delivered on the loop thread. */
static void wake_fn(void *arg)
{
	struct eng_engine *e = arg;

	lws_cancel_service(e->ctx);
}

static int protocol_cb(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct eng_engine *e = ctx ? lws_context_user(ctx) : NULL;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (e && e->outbox) {
			eng_outbox_drain(e->outbox);
			/* Calls ended: the rows that found every call taken go
			 * first (a credit ends its settlement), then the claims
			 * that did (docs/design.md#claim-delivery-per-account). */
			if (eng_outbox_rows_waiting(e->outbox) &&
			    !eng_store_in_tx(e->store))
				eng_outbox_tick(e->outbox, eng_wall_ms());
			eng_paychan_room(e->paychan);
		}
		return 0;
	case LWS_CALLBACK_RAW_ADOPT:
	case LWS_CALLBACK_RAW_RX:
	case LWS_CALLBACK_RAW_WRITEABLE:
	case LWS_CALLBACK_RAW_CLOSE:
		return eng_http_callback(&e->http, wsi, (int)reason, user, in,
					 len);
	default:
		return 0;
	}
}

/* The --metrics-listen listener's connections. */
static int metrics_protocol_cb(struct lws *wsi,
			       enum lws_callback_reasons reason, void *user,
			       void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct eng_engine *e = ctx ? lws_context_user(ctx) : NULL;

	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
	case LWS_CALLBACK_RAW_RX:
	case LWS_CALLBACK_RAW_WRITEABLE:
	case LWS_CALLBACK_RAW_CLOSE:
		return eng_http_callback(&e->mhttp, wsi, (int)reason, user, in,
					 len);
	default:
		return 0;
	}
}

/* The admin socket's connections (rpc.c). */
static int rpc_protocol_cb(struct lws *wsi, enum lws_callback_reasons reason,
			   void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct eng_engine *e = ctx ? lws_context_user(ctx) : NULL;

	return eng_rpc_callback(e ? e->rpc : NULL, wsi, (int)reason, user, in,
				len);
}

static const struct lws_protocols protocols[] = {
    {"xrpse-http", protocol_cb, 0, 4096, 0, NULL, 0},
    {ENG_RPC_PROTOCOL, rpc_protocol_cb, 0, 4096, 0, NULL, 0},
    {"xrpse-metrics", metrics_protocol_cb, 0, 4096, 0, NULL, 0},
    XL_WS_PROTOCOL, /* the rippled client (ledger/net/ws.h) */
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* rippled serves another network than configured: refuse to run. */
static void on_rippled_fatal(void *arg, const struct xu_err *err)
{
	struct eng_engine *e = arg;

	xu_unusual("engine", "%s", err->msg);
	e->exit_code = 1;
	g_stop = 1;
	if (e->ctx)
		lws_cancel_service(e->ctx);
}

static void lws_log_fn(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		xu_unusual("lws", "%.*s", (int)n, line);
	else
		xu_debug("lws", "%.*s", (int)n, line);
}

/* The submission queue's outcomes go to the payment-channel service. */
static void on_outcome(void *arg, const struct xl_outcome *o)
{
	struct eng_engine *e = arg;

	if (e->paychan)
		eng_paychan_outcome(e->paychan, o);
}

static void api_submit(void *arg, struct eng_job *job)
{
	eng_engine_submit(arg, job);
}

static int64_t api_now(void *arg)
{
	return eng_engine_now(arg);
}

static void api_advance_clock(void *arg, int64_t secs)
{
	eng_engine_advance_clock(arg, secs);
}

static void api_fail_commits(void *arg, unsigned n, uint32_t stall_ms)
{
	eng_engine_fail_commits(arg, n);
	eng_engine_stall_commit(arg, stall_ms);
}

static void api_stats(void *arg, struct eng_api_stats *st)
{
	eng_engine_stats(arg, st);
}

/* The operator's `xrpse stop`: what SIGTERM does. */
static void api_stop(void *arg)
{
	struct eng_engine *e = arg;

	xu_info("engine", "stop asked on the admin socket");
	g_stop = 1;
	lws_cancel_service(e->ctx);
}

/* Fills what the API works on, once every service exists. */
static void api_host(struct eng_engine *e)
{
	struct eng_api_host *h = &e->api;

	h->store = e->store;
	h->outbox = e->outbox;
	h->paychan = e->paychan;
	h->rippled = e->rippled;
	h->msgs = &e->msgs;
	h->address = e->address;
	h->connector_url = e->cfg.connector_url;
	h->started_ms = eng_wall_ms();
	h->dev_api = e->cfg.dev_api;
	h->arg = e;
	h->submit = api_submit;
	h->now = api_now;
	h->advance_clock = api_advance_clock;
	h->fail_commits = api_fail_commits;
	h->stats = api_stats;
	h->store_stalled = api_store_stalled;
	h->stop = api_stop;
	h->network_id = e->cfg.network_id;
}

/* The lws context and the API's listener (vhost) on cfg's address. */
static enum xu_code start_listener(struct eng_engine *e,
				   const struct eng_config *cfg,
				   struct xu_err *err)
{
	static struct lws_protocols protos[5];
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.options =
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
	if (strchr(cfg->listen_host, ':') || strchr(cfg->metrics_host, ':'))
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.user = e;
	info.pt_serv_buf_size = 16384;
	xl_ws_context_info_prepare(&info, cfg->rippled_url);
	lws_set_log_level(LLL_ERR, lws_log_fn);
	e->ctx = lws_create_context(&info);
	if (!e->ctx)
		return xu_fail(err, XU_EIO, 0, "cannot create the lws context");
	memcpy(protos, protocols, sizeof(protos));
	protos[0].per_session_data_size = eng_http_session_size();
	protos[1].per_session_data_size = eng_rpc_session_size();
	protos[2].per_session_data_size = eng_http_session_size();
	memset(&info, 0, sizeof(info));
	info.port =
	    cfg->listen_port ? cfg->listen_port : CONTEXT_PORT_NO_LISTEN;
	info.iface = cfg->listen_host;
	info.protocols = protos;
	info.vhost_name = "xrpse-api";
	info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
	if (!strchr(cfg->listen_host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = "xrpse-http";
	xl_ws_context_info_prepare(&info, cfg->rippled_url);
	e->http.on_request = eng_api_on_request;
	e->http.on_closed = on_conn_closed;
	e->http.arg = &e->api;
	e->api.arg = e;
	e->vh = lws_create_vhost(e->ctx, &info);
	if (!e->vh)
		return xu_fail(err, XU_EIO, 0, "cannot listen on %s:%d",
			       cfg->listen_host, cfg->listen_port);
	if (!cfg->metrics_host[0])
		return XU_OK;
	/* --metrics-listen: a vhost of its own, whose server knows one
	 * route; its replies are immediate, so no close hook. */
	info.port =
	    cfg->metrics_port ? cfg->metrics_port : CONTEXT_PORT_NO_LISTEN;
	info.iface = cfg->metrics_host;
	info.vhost_name = "xrpse-metrics";
	info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
	if (!strchr(cfg->metrics_host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.listen_accept_protocol = "xrpse-metrics";
	e->mhttp.on_request = eng_api_on_metrics_request;
	e->mhttp.arg = &e->api;
	e->mvh = lws_create_vhost(e->ctx, &info);
	if (!e->mvh)
		return xu_fail(err, XU_EIO, 0,
			       "cannot listen on %s:%d (--metrics-listen)",
			       cfg->metrics_host, cfg->metrics_port);
	return XU_OK;
}

/* The curl worker and the outbox of calls to the connector. */
static enum xu_code start_outbox(struct eng_engine *e,
				 const struct eng_config *cfg,
				 struct xu_err *err)
{
	struct eng_outbox_cfg obc;
	enum xu_code rc = eng_curlw_new(&e->curlw, wake_fn, e, err);

	if (rc != XU_OK)
		return rc;
	memset(&obc, 0, sizeof(obc));
	eng_outbox_cfg_default(&obc);
	if (cfg->dev_retry_base_ms)
		obc.base_ms = cfg->dev_retry_base_ms;
	return eng_outbox_new(&e->outbox, e->store, e->curlw,
			      cfg->connector_url, &obc, err);
}

/* The rippled client (journal over the store, network check) and the
 * payment-channel service on top of it. */
static enum xu_code start_channels(struct eng_engine *e,
				   const struct eng_config *cfg,
				   struct xu_err *err)
{
	struct xl_rippled_cfg rcfg;
	struct eng_paychan_env pcenv;
	struct xl_journal journal;
	enum xu_code rc = eng_txjournal_init(&e->tj, e->store, err);

	if (rc != XU_OK)
		return rc;
	journal = eng_txjournal_ops(&e->tj);
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.url = cfg->rippled_url;
	rcfg.network_id = cfg->network_id;
	rcfg.kp = e->kp;
	rcfg.deadline_fee_max_drops = xl_drops_u64(cfg->deadline_fee_cap);
	rcfg.on_fatal = on_rippled_fatal;
	rcfg.on_outcome = on_outcome;
	rcfg.arg = e;
	e->rippled = xl_rippled_new(e->ctx, &rcfg, &journal, err);
	if (!e->rippled)
		return err ? err->code : XU_EINVAL;
	/* Channel settings: parsed and checked by eng_config_load. */
	eng_config_log_channels(cfg);
	memset(&pcenv, 0, sizeof(pcenv)); /* default clocks */
	pcenv.store = e->store;
	pcenv.outbox = e->outbox;
	pcenv.rippled = e->rippled;
	pcenv.kp = e->kp;
	pcenv.seed = e->seed;
	pcenv.msgs = &e->msgs;
	return eng_paychan_new(&e->paychan, &pcenv, &cfg->paychan, err);
}

enum xu_code eng_engine_new(struct eng_engine **out,
			    const struct eng_config *cfg,
			    const struct cr_keypair *kp,
			    const struct cr_seed *seed, struct xu_err *err)
{
	struct cr_account_id acct;
	struct eng_engine *e;
	enum xu_code rc;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	e->cfg = *cfg;
	e->tail = &e->head;
	e->kp = sodium_malloc(sizeof(*e->kp));
	if (!e->kp) {
		free(e);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	*e->kp = *kp;
	e->seed = sodium_malloc(sizeof(*e->seed));
	if (!e->seed) {
		eng_engine_free(e);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	*e->seed = *seed;
	cr_account_id_of(&acct, &kp->pub);
	cr_address_encode(e->address, &acct);
	eng_api_register_builtin(&e->msgs);

	rc = eng_store_open(&e->store, cfg->db_path, err);
	if (rc == XU_OK)
		rc = eng_walckpt_new(&e->ckpt, e->store, cfg->db_path,
				     WALCKPT_MS, err);
	if (rc == XU_OK)
		rc = start_listener(e, cfg, err);
	if (rc == XU_OK)
		rc = start_outbox(e, cfg, err);
	if (rc == XU_OK)
		rc = start_channels(e, cfg, err);
	if (rc != XU_OK) {
		eng_engine_free(e);
		return rc;
	}
	api_host(e);
	rc = eng_rpc_new(&e->rpc, e->vh, cfg->rpc_socket, &e->api, err);
	if (rc != XU_OK) {
		eng_engine_free(e);
		return rc;
	}
	xl_rippled_start(e->rippled);
	lws_sul_schedule(e->ctx, 0, &e->sul_cron, cron_cb, 1000);
	e->last_gc = 0;
	e->last_trim = eng_engine_now(e);
	*out = e;
	return XU_OK;
}

int eng_engine_port(struct eng_engine *e)
{
	return lws_get_vhost_listen_port(e->vh);
}

int eng_engine_run(struct eng_engine *e)
{
	struct sigaction sa;
	int64_t until;

	g_ctx = e->ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	xu_info("engine", "listening on %s:%d, address %s", e->cfg.listen_host,
		lws_get_vhost_listen_port(e->vh), e->address);
	if (e->mvh)
		xu_info("engine", "metrics on %s:%d (GET /metrics)",
			e->cfg.metrics_host, lws_get_vhost_listen_port(e->mvh));
	while (!g_stop)
		if (lws_service(e->ctx, 0) < 0)
			break;

	/* Finish the batch in hand, then flush its answers briefly. */
	xu_info("engine", "stopping");
	e->stopping = true;
	e->http.stopping = true;
	e->mhttp.stopping = true;
	if (e->batch_armed) {
		lws_sul_cancel(&e->sul_batch);
		e->batch_armed = false;
	}
	run_batch(e);
	until = eng_mono_ms() + DRAIN_MS;
	while (eng_mono_ms() < until && lws_service(e->ctx, 0) >= 0)
		;
	return e->exit_code;
}

void eng_engine_free(struct eng_engine *e)
{
	struct eng_job *j;

	if (!e)
		return;
	/* Jobs never committed are never answered: the client retries. */
	while ((j = e->head)) {
		e->head = j->next;
		eng_job_free(j);
	}
	if (e->ctx) {
		lws_sul_cancel(&e->sul_batch);
		lws_sul_cancel(&e->sul_cron);
		lws_sul_cancel(&e->sul_slice);
	}
	xl_rippled_free(e->rippled);
	eng_paychan_free(e->paychan);
	eng_outbox_free(e->outbox);
	e->paychan = NULL;
	e->outbox = NULL;
	eng_curlw_free(e->curlw);
	if (e->ctx) {
		g_ctx = NULL;
		lws_context_destroy(e->ctx);
	}
	eng_walckpt_free(e->ckpt);
	if (e->store)
		eng_store_close(e->store);
	/* The socket file goes last (its connections closed with the
	 * context): once it is gone the store's lock is free, which is what
	 * `xrpse stop` waits for. */
	eng_rpc_free(e->rpc);
	e->rpc = NULL;
	if (e->kp) {
		cr_keypair_clear(e->kp);
		sodium_free(e->kp);
	}
	if (e->seed) {
		cr_seed_clear(e->seed);
		sodium_free(e->seed);
	}
	free(e);
}
