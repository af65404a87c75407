/* Unit tests for src/outbox/ (rows.c, latest.c) with the real store and
 * curl worker against the scripted server on 127.0.0.1.  Time is an
 * injected clock: the tests read each row's next_attempt_at_ms and move the
 * clock there, so backoff growth, cap and jitter are checked exactly, never
 * by sleeping.
 *
 * Covered: retries on 5xx / timeout / refused connections (and 409 for
 * messages) with the same key and byte-identical body, any 2xx delivered
 * (RECEIVED, a JSON Quantity, empty), parking on a 4xx (a credit's 409
 * too, with a BROKEN line) and unparking, messages and
 * their reply callback, the in-flight bound, stale results, rows in
 * flight at a crash sent again after the restart, the outbox's own
 * commits being relaxed (synchronous=NORMAL) and FULL again afterwards,
 * and latest-wins (claim) messages, which are never rows. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/outbox/outbox.h"
#include "src/store/db.h"
#include "tests/io/httpd.h"

static char dir[64], path[128];
static int64_t fake_now = 1700000000000;

/* The worker's submit, wrapped (-Wl,--wrap): while refuse_submit is set it
 * refuses every job, taking it as the real one does on failure. */
static bool refuse_submit;
enum xu_code __real_eng_curlw_submit(struct eng_curlw *w,
				     struct eng_curlw_job *job,
				     struct xu_err *err);
enum xu_code __wrap_eng_curlw_submit(struct eng_curlw *w,
				     struct eng_curlw_job *job,
				     struct xu_err *err);
enum xu_code __wrap_eng_curlw_submit(struct eng_curlw *w,
				     struct eng_curlw_job *job,
				     struct xu_err *err)
{
	if (!refuse_submit)
		return __real_eng_curlw_submit(w, job, err);
	eng_curlw_job_free(job);
	return xu_fail(err, XU_EIO, 0, "refused by the test");
}

/* The store's relaxed transactions, counted (-Wl,--wrap). */
static unsigned relaxed_begins;
enum xu_code __real_eng_store_begin_relaxed(struct eng_store *s,
					    struct xu_err *err);
enum xu_code __wrap_eng_store_begin_relaxed(struct eng_store *s,
					    struct xu_err *err);
enum xu_code __wrap_eng_store_begin_relaxed(struct eng_store *s,
					    struct xu_err *err)
{
	relaxed_begins++;
	return __real_eng_store_begin_relaxed(s, err);
}

static int64_t test_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

struct reply {
	size_t n;
	enum eng_outbox_kind kind;
	int64_t id;
	char tag[ENG_OUTBOX_TAG_MAX];
	bool has_tag;
	char account[64];
	int status;
	char body[256];
	int status_of[32]; /* by small ids (tokens): the last status + 1 */
};

static void on_reply(void *arg, enum eng_outbox_kind kind, int64_t id,
		     const char *tag, const char *account, int status,
		     const uint8_t *reply, size_t len)
{
	struct reply *r = arg;
	r->n++;
	r->kind = kind;
	r->id = id;
	r->has_tag = tag != NULL;
	snprintf(r->tag, sizeof(r->tag), "%s", tag ? tag : "");
	snprintf(r->account, sizeof(r->account), "%s", account);
	r->status = status;
	if (id >= 0 && id < 32)
		r->status_of[id] = status + 1;
	assert_true(len < sizeof(r->body));
	memcpy(r->body, reply ? (const char *)reply : "", len);
	r->body[len] = '\0';
}

struct fx {
	struct th_server *srv;
	struct eng_store *store;
	struct eng_curlw *w;
	struct eng_outbox *ob;
	struct eng_outbox_cfg cfg;
	struct reply rep;
};

static void fx_open(struct fx *f)
{
	struct xu_err e;
	if (eng_store_open(&f->store, path, &e) != XU_OK)
		fail_msg("store: %s", e.msg);
	assert_int_equal(eng_curlw_new(&f->w, NULL, NULL, NULL), XU_OK);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", th_port(f->srv));
	if (eng_outbox_new(&f->ob, f->store, f->w, url, &f->cfg, &e) != XU_OK)
		fail_msg("outbox: %s", e.msg);
	eng_outbox_on_reply(f->ob, NULL, on_reply, &f->rep);
	eng_outbox_on_reply(f->ob, ENG_OUTBOX_ANY_TAG, on_reply, &f->rep);
}

static void fx_close(struct fx *f)
{
	eng_curlw_free(f->w);
	eng_outbox_free(f->ob);
	eng_store_close(f->store);
	f->w = NULL;
	f->ob = NULL;
	f->store = NULL;
}

static int setup(void **state)
{
	refuse_submit = false;
	snprintf(dir, sizeof(dir), "/tmp/xrpse-outbox-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/xrpse.db", dir);
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->srv = th_start();
	eng_outbox_cfg_default(&f->cfg);
	f->cfg.base_ms = 50;
	f->cfg.cap_ms = 400;
	f->cfg.jitter_pct = 0;
	f->cfg.timeout_ms = 5000;
	f->cfg.connect_timeout_ms = 2000;
	f->cfg.clock = test_clock;
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	if (f->srv)
		th_stop(f->srv);
	free(f);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct xl_drops D(uint64_t v) {
	struct xl_drops d;
	assert_true(xl_drops_from_u64(&d, v));
	return d;
}

static int64_t
credit(struct fx *f, const char *acc, uint64_t drops, const char *key)
{
	int64_t id = 0;
	struct xu_err e;
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	if (eng_outbox_enqueue_credit(f->store, acc, D(drops), key, &id, &e) !=
	    XU_OK)
		fail_msg("enqueue: %s", e.msg);
	assert_int_equal(eng_store_commit(f->store, NULL), XU_OK);
	return id;
}

struct row {
	char state[16];
	int64_t attempts, next_ms;
	int last_status;
	char last_error[200];
};

static struct row get_row(struct fx *f, int64_t id)
{
	sqlite3_stmt *st;
	struct row r = {0};
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(f->store),
					    "SELECT state, attempts,"
					    " next_attempt_at_ms, last_status,"
					    " last_error FROM outbox"
					    " WHERE id = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(r.state, sizeof(r.state), "%s", sqlite3_column_text(st, 0));
	r.attempts = sqlite3_column_int64(st, 1);
	r.next_ms = sqlite3_column_int64(st, 2);
	r.last_status = sqlite3_column_int(st, 3);
	const unsigned char *le = sqlite3_column_text(st, 4);
	snprintf(r.last_error, sizeof(r.last_error), "%s",
		 le ? (const char *)le : "");
	sqlite3_finalize(st);
	return r;
}

/* Bytes of the reply row id keeps. */
static int64_t reply_len(struct fx *f, int64_t id)
{
	sqlite3_stmt *st;
	int64_t n;
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(f->store),
					    "SELECT length(reply) FROM outbox"
					    " WHERE id = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Drains until n results were applied (safety deadline 20 s). */
static void settle_n(struct fx *f, size_t n)
{
	time_t deadline = time(NULL) + 20;
	size_t got = 0;
	while (got < n) {
		got += eng_outbox_drain(f->ob);
		if (got >= n)
			break;
		assert_true(time(NULL) < deadline);
		struct timespec ts = {0, 2 * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* One attempt: tick at the current fake time, wait for its result. */
static void attempt(struct fx *f)
{
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	settle_n(f, 1);
}

/* How the keys of the requests compared go. */
enum keys { SAME_KEY, NEW_KEYS };

static void check_same_requests(struct fx *f, size_t from, size_t n,
				enum keys keys, const char *path_,
				const char *ctype, const char *body,
				size_t blen)
{
	struct th_req first = th_get(f->srv, from);
	assert_true(first.has_key);
	assert_true(strlen(first.key) > 0);
	for (size_t i = from; i < from + n; i++) {
		struct th_req rq = th_get(f->srv, i);
		assert_string_equal(rq.method, "POST");
		assert_string_equal(rq.path, path_);
		assert_string_equal(rq.ctype, ctype);
		assert_string_equal(rq.accept, ctype);
		assert_true(rq.has_key && strlen(rq.key) > 0);
		if (keys == SAME_KEY)
			assert_string_equal(rq.key, first.key);
		for (size_t j = from; keys == NEW_KEYS && j < i; j++)
			assert_string_not_equal(rq.key, th_get(f->srv, j).key);
		assert_int_equal(rq.body_len, blen);
		assert_memory_equal(rq.body, body, blen);
	}
}

/* Message row id: its first attempt fails (pending, not reported), the
 * second, after the first backoff, is delivered and reported. */
static void refused_then_delivered(struct fx *f, int64_t id)
{
	attempt(f);
	assert_string_equal(get_row(f, id).state, "pending");
	assert_int_equal(f->rep.n, 0);
	fake_now += 50;
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(f->rep.n, 1);
}

static const char CREDIT1[] = "{\"amount\":\"1\",\"scale\":6}";

/* 500 twice, then 201 RECEIVED
 * (docs/api.md#retries-parking-and-the-operator). */
static void test_eng_outbox_retry_then_delivered(void **state)
{
	struct fx *f = *state;
	th_script(f->srv, (struct th_resp){TH_REPLY, 500, NULL, "no", 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	int64_t id = credit(f, "alice", 1, "chan-1:1");
	assert_true(id > 0);
	assert_string_equal(get_row(f, id).state, "pending");

	attempt(f);
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.last_status, 500);
	assert_int_equal(r.next_ms, fake_now + 50);
	assert_non_null(strstr(r.last_error, "HTTP 500"));
	/* Not due yet: nothing is sent. */
	assert_int_equal(eng_outbox_tick(f->ob, fake_now + 49), 0);

	fake_now += 50;
	attempt(f);
	r = get_row(f, id);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.last_status, 503);
	assert_int_equal(r.next_ms, fake_now + 100);

	fake_now += 100;
	attempt(f);
	r = get_row(f, id);
	assert_string_equal(r.state, "delivered");
	assert_int_equal(r.attempts, 3);
	assert_int_equal(r.last_status, 201);
	assert_int_equal(f->rep.n, 1);
	assert_int_equal(f->rep.kind, ENG_OUTBOX_CREDIT);
	assert_int_equal(f->rep.id, id);
	assert_false(f->rep.has_tag);
	assert_string_equal(f->rep.account, "alice");
	assert_string_equal(f->rep.body, "RECEIVED");

	/* Three requests, byte-identical body, a new key after each
	 * refusal; none after. */
	assert_int_equal(th_count(f->srv), 3);
	check_same_requests(f, 0, 3, NEW_KEYS, "/accounts/alice/settlements",
			    "application/json", CREDIT1, strlen(CREDIT1));
	assert_string_equal(th_get(f->srv, 0).key, "chan-1:1");
	fake_now += 10000000;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(th_count(f->srv), 3);

	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.pending + st.inflight + st.parked, 0);
	assert_true(st.reachable);
	assert_true(st.last_success_ms > 0 && st.last_failure_ms > 0);

	/* gc removes delivered rows only, once old enough. */
	int64_t pend = credit(f, "alice", 2, "chan-1:3");
	unsigned long n = 99;
	assert_int_equal(eng_outbox_gc(f->store, fake_now - 10000000, &n, NULL),
			 XU_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eng_outbox_gc(f->store, INT64_MAX, &n, NULL), XU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(get_row(f, pend).state, "pending");
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.pending, 1);
}

/* Enqueueing the same credit twice is a no-op; the key with another
 * amount is refused. */
static void test_eng_outbox_enqueue_rules(void **state)
{
	struct fx *f = *state;
	struct xu_err e;
	int64_t a = credit(f, "alice", 7, "k");
	assert_int_equal(credit(f, "alice", 7, "k"), a);
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	assert_int_equal(
	    eng_outbox_enqueue_credit(f->store, "alice", D(8), "k", NULL, &e),
	    XU_ECONFLICT);
	assert_int_equal(
	    eng_outbox_enqueue_credit(f->store, "bob", D(7), "k", NULL, &e),
	    XU_ECONFLICT);
	assert_int_equal(
	    eng_outbox_enqueue_credit(f->store, "alice", D(7), "", NULL, &e),
	    XU_EINVAL);
	assert_int_equal(
	    eng_outbox_enqueue_credit(f->store, "", D(7), "k2", NULL, &e),
	    XU_EINVAL);
	static uint8_t big[ENG_OUTBOX_MSG_MAX + 1];
	assert_int_equal(eng_outbox_enqueue_message(f->store, "alice", big,
						    sizeof(big), NULL, NULL,
						    &e),
			 XU_EINVAL);
	/* Rolled back with the caller's transaction. */
	int64_t gone;
	assert_int_equal(eng_outbox_enqueue_credit(f->store, "alice", D(9),
						   "rolled", &gone, &e),
			 XU_OK);
	eng_store_rollback(f->store);
	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.pending, 1);
	/* Account ids are percent-encoded into the path. */
	th_default(f->srv, (struct th_resp){TH_REPLY, 204, NULL, NULL, 0});
	credit(f, "a b/c", 1, "enc");
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 2);
	settle_n(f, 2);
	bool seen = false;
	for (size_t i = 0; i < th_count(f->srv); i++)
		seen |= strcmp(th_get(f->srv, i).path,
			       "/accounts/a%20b%2Fc/settlements") == 0;
	assert_true(seen);
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.delivered, 2); /* 204: delivered */
}

/* 503 retries, delays double up to the cap; 200 + JSON Quantity is a
 * success (the Java connector's answer). */
static void test_eng_outbox_backoff_cap(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 6; i++)
		th_script(f->srv,
			  (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 200, "application/json",
					   CREDIT1, 0});
	int64_t id = credit(f, "bob", 1, "k-cap");
	static const int64_t want[] = {50, 100, 200, 400, 400, 400};
	for (int i = 0; i < 6; i++) {
		attempt(f);
		struct row r = get_row(f, id);
		assert_string_equal(r.state, "pending");
		assert_int_equal(r.attempts, i + 1);
		assert_int_equal(r.last_status, 503);
		assert_int_equal(r.next_ms - fake_now, want[i]);
		fake_now = r.next_ms;
	}
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(th_count(f->srv), 7);
	check_same_requests(f, 0, 7, NEW_KEYS, "/accounts/bob/settlements",
			    "application/json", CREDIT1, strlen(CREDIT1));
}

/* With jitter the delay is in [d * (1 - pct), d], and never above the
 * cap; the default cap is one hour. */
static void test_eng_outbox_jitter(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.jitter_pct = 50;
	f->cfg.base_ms = 1000;
	f->cfg.cap_ms = 3600 * 1000;
	fx_open(f);
	th_default(f->srv, (struct th_resp){TH_REPLY, 502, NULL, NULL, 0});
	int64_t id = credit(f, "carol", 5, "k-jit");
	int64_t d = 1000;
	bool varied = false;
	int64_t prev = -1;
	for (int i = 0; i < 16; i++) {
		attempt(f);
		struct row r = get_row(f, id);
		int64_t got = r.next_ms - fake_now;
		if (got < d - d / 2 || got > d)
			fail_msg("attempt %d: delay %lld outside [%lld, %lld]",
				 i + 1, (long long)got, (long long)(d - d / 2),
				 (long long)d);
		assert_true(got <= 3600 * 1000);
		if (prev >= 0 && got != prev * 2)
			varied = true;
		prev = got;
		fake_now = r.next_ms;
		d = d * 2 > 3600 * 1000 ? 3600 * 1000 : d * 2;
	}
	assert_true(varied); /* the jitter does move the delays */
	struct eng_outbox_cfg def;
	eng_outbox_cfg_default(&def);
	assert_int_equal(def.cap_ms, 3600 * 1000);
	assert_int_equal(def.max_inflight, 64);
}

/* A 4xx parks the row: kept, not retried, reported. */
static void test_eng_outbox_park_unpark(void **state)
{
	struct fx *f = *state;
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 404, "application/problem+json",
				   "{\"title\":\"Not Found\"}", 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	int64_t id = credit(f, "ghost", 3, "k-park");
	attempt(f);
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "parked");
	assert_int_equal(r.last_status, 404);
	assert_non_null(strstr(r.last_error, "Not Found"));
	assert_int_equal(f->rep.n, 1);
	assert_int_equal(f->rep.status, 404);
	fake_now += 100000000;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.parked, 1);
	assert_true(st.reachable);

	assert_int_equal(eng_outbox_unpark(f->store, id + 100, false, NULL),
			 XU_ENOTFOUND);
	assert_int_equal(eng_outbox_unpark(f->store, id, false, NULL), XU_OK);
	assert_int_equal(eng_outbox_unpark(f->store, id, false, NULL),
			 XU_ENOTFOUND);
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	check_same_requests(f, 0, 2, NEW_KEYS, "/accounts/ghost/settlements",
			    "application/json",
			    "{\"amount\":\"3\",\"scale\":6}", 24);
}

/* Timeouts and refused connections are retried; the connector is then
 * reported unreachable. */
static void test_eng_outbox_timeout_and_refused(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.timeout_ms = 300;
	fx_open(f);
	th_script(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	int64_t id = credit(f, "dave", 11, "k-to");
	attempt(f);
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.last_status, 0);
	assert_true(strlen(r.last_error) > 0);
	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_false(st.reachable);

	/* The connector goes away entirely. */
	th_stop(f->srv);
	f->srv = NULL;
	fake_now = r.next_ms;
	attempt(f);
	r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.next_ms - fake_now, 100);
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_false(st.reachable);
	assert_int_equal(st.pending, 1);
}

/* Messages: octet-stream both ways, a key, the reply handed back with its
 * tag; a 502 (peer rejected) is retried. */
static void test_eng_outbox_message_reply(void **state)
{
	struct fx *f = *state;
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 502, "application/problem+json",
				   "{}", 0});
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 201, "application/octet-stream",
				   "{\"type\":\"pong\"}", 0});
	static const uint8_t msg[] = {'{', '"', 't', 'y', 'p', 'e',
				      '"', ':', '"', 'p', 'i', 'n',
				      'g', '"', '}', 0,	  0xff};
	int64_t id = 0;
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	assert_int_equal(eng_outbox_enqueue_message(f->store, "alice", msg,
						    sizeof(msg), "hello#7", &id,
						    NULL),
			 XU_OK);
	assert_int_equal(eng_store_commit(f->store, NULL), XU_OK);
	refused_then_delivered(f, id);
	assert_int_equal(f->rep.kind, ENG_OUTBOX_MESSAGE);
	assert_true(f->rep.has_tag);
	assert_string_equal(f->rep.tag, "hello#7");
	assert_string_equal(f->rep.account, "alice");
	assert_int_equal(f->rep.status, 201);
	assert_string_equal(f->rep.body, "{\"type\":\"pong\"}");
	/* The reply went to its sender; the row keeps none of it
	 * (docs/risks.md#endless-recovery-loop). */
	assert_int_equal(reply_len(f, id), 0);
	check_same_requests(f, 0, 2, NEW_KEYS, "/accounts/alice/messages",
			    "application/octet-stream", (const char *)msg,
			    sizeof(msg));
	/* A UUIDv4 key. */
	struct th_req rq = th_get(f->srv, 0);
	assert_int_equal(strlen(rq.key), 36);
	assert_int_equal(rq.key[14], '4');
	/* Two messages get different keys. */
	int64_t id2;
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	assert_int_equal(eng_outbox_enqueue_message(f->store, "alice", "", 0,
						    NULL, &id2, NULL),
			 XU_OK);
	assert_int_equal(eng_store_commit(f->store, NULL), XU_OK);
	attempt(f); /* default: 201 RECEIVED */
	assert_int_equal(f->rep.n, 2);
	assert_false(f->rep.has_tag);
	assert_int_equal(th_get(f->srv, 2).body_len, 0);
	assert_string_not_equal(th_get(f->srv, 2).key, rq.key);
}

/* Never more than max_inflight at once; stale and foreign results are
 * ignored. */
static void test_eng_outbox_inflight_bound(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.max_inflight = 2;
	fx_open(f);
	th_default(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	int64_t ids[5];
	char key[16];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "b%d", i);
		ids[i] = credit(f, "erin", 1, key);
	}
	assert_false(eng_outbox_rows_waiting(f->ob));
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 2);
	/* It filled its room: more may wait. */
	assert_true(eng_outbox_rows_waiting(f->ob));
	assert_int_equal(eng_outbox_room(f->ob), 0);
	assert_int_equal(eng_outbox_capacity(f->ob), 2);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_true(eng_outbox_rows_waiting(f->ob));
	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.pending, 3);
	/* A result for an id not in flight changes nothing. */
	struct eng_curlw_result fake = {
	    .id = (uint64_t)ids[4], .code = XU_OK, .status = 201};
	eng_outbox_complete(f->ob, &fake);
	assert_string_equal(get_row(f, ids[4]).state, "pending");
	/* Complete the first one by hand: one slot frees up; the real
	 * (hanging) attempt's result will be ignored later. */
	fake.id = (uint64_t)ids[0];
	eng_outbox_complete(f->ob, &fake);
	assert_string_equal(get_row(f, ids[0]).state, "delivered");
	eng_outbox_complete(f->ob, &fake); /* a duplicate: ignored */
	assert_int_equal(f->rep.n, 1);
	assert_int_equal(eng_outbox_room(f->ob), 1);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	assert_true(eng_outbox_rows_waiting(f->ob));
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.pending, 2);
	/* The last two fill the room again; then room for more than is
	 * due: nothing left waiting. */
	for (int i = 1; i <= 2; i++) {
		fake.id = (uint64_t)ids[i];
		eng_outbox_complete(f->ob, &fake);
	}
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 2);
	assert_true(eng_outbox_rows_waiting(f->ob));
	for (int i = 3; i <= 4; i++) {
		fake.id = (uint64_t)ids[i];
		eng_outbox_complete(f->ob, &fake);
	}
	assert_int_equal(eng_outbox_room(f->ob), 2);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_false(eng_outbox_rows_waiting(f->ob));
}

/* A crash with a call in flight: on restart the row is pending again and
 * goes out with the same key and body. */
static void test_eng_outbox_inflight_after_restart(void **state)
{
	struct fx *f = *state;
	th_script(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	int64_t id = credit(f, "frank", 42, "k-crash");
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	/* The connector has the request (safety deadline 20 s)... */
	time_t deadline = time(NULL) + 20;
	while (th_count(f->srv) == 0) {
		assert_true(time(NULL) < deadline);
		struct timespec ts = {0, 2 * 1000000};
		nanosleep(&ts, NULL);
	}
	/* ... and we "crash": stop everything without a result. */
	fx_close(f);
	struct eng_store *s = NULL;
	assert_int_equal(eng_store_open(&s, path, NULL), XU_OK);
	f->store = s;
	/* In flight is not written: the row is plainly pending. */
	assert_string_equal(get_row(f, id).state, "pending");
	assert_int_equal(get_row(f, id).attempts, 0);
	eng_store_close(s);
	f->store = NULL;

	fx_open(f);
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	attempt(f); /* default 201 */
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(get_row(f, id).attempts, 1);
	check_same_requests(f, 0, 2, SAME_KEY, "/accounts/frank/settlements",
			    "application/json",
			    "{\"amount\":\"42\",\"scale\":6}", 25);
}

static int sync_level(struct fx *f)
{
	sqlite3_stmt *st;
	int v;
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(f->store),
					    "PRAGMA synchronous", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Handing a row out writes nothing; recording its result commits without
 * fsync but is still written (a restart sees it), synchronous is FULL
 * again after each, and inside a caller's transaction the result joins it
 * (a rollback takes it back: the row is sent again). */
static void test_eng_outbox_relaxed_commits(void **state)
{
	struct fx *f = *state;
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	assert_int_equal(sync_level(f), 2);
	int64_t id = credit(f, "alice", 1, "relaxed-1");

	/* The result in the caller's transaction: rolled back with it. */
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	assert_string_equal(get_row(f, id).state, "pending");
	assert_int_equal(sync_level(f), 2);
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	settle_n(f, 1);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(sync_level(f), 2);
	eng_store_rollback(f->store);
	assert_string_equal(get_row(f, id).state, "pending");
	attempt(f); /* sent again: default 201 */
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(get_row(f, id).attempts, 1);
	assert_int_equal(th_count(f->srv), 2);

	/* On its own: committed (a reopened store sees it), FULL after. */
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	int64_t id2 = credit(f, "alice", 2, "relaxed-2");
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	assert_int_equal(sync_level(f), 2);
	settle_n(f, 1);
	assert_int_equal(sync_level(f), 2);
	fx_close(f);
	fx_open(f);
	assert_string_equal(get_row(f, id2).state, "delivered");
	assert_int_equal(get_row(f, id2).attempts, 1);
	assert_int_equal(sync_level(f), 2);
}

static int64_t message(struct fx *f, const char *acc, const char *body,
		       const char *tag)
{
	int64_t id = 0;
	assert_int_equal(eng_store_begin(f->store, NULL), XU_OK);
	assert_int_equal(eng_outbox_enqueue_message(
			     f->store, acc, body, strlen(body), tag, &id, NULL),
			 XU_OK);
	assert_int_equal(eng_store_commit(f->store, NULL), XU_OK);
	return id;
}

static uint64_t in_flight(struct fx *f)
{
	struct eng_outbox_stats st;
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	return st.inflight;
}

/* Other messages are reported in their final state only. */
static void test_eng_outbox_retry_not_reported(void **state)
{
	struct fx *f = *state;
	th_script(f->srv, (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	int64_t h1 = message(f, "carol", "h1", "hello");
	attempt(f);
	assert_int_equal(f->rep.n, 0);
	assert_string_equal(get_row(f, h1).state, "pending");
	fake_now += 50;
	attempt(f); /* h1 again: default 201 */
	assert_int_equal(f->rep.n, 1);
	assert_int_equal(f->rep.id, h1);
	assert_int_equal(f->rep.status, 201);
}

static void send_now(struct fx *f, const char *acc, const char *body,
		     uint64_t token)
{
	assert_int_equal(
	    eng_outbox_send_now(f->ob, acc, body, strlen(body), token, NULL),
	    XU_OK);
}

static int64_t outbox_rows(struct fx *f)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(f->store),
					    "SELECT count(*) FROM outbox", -1,
					    &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* In-memory latest-wins messages (claims): no row; send_now hands one
 * attempt to the worker at once, and its result, whatever it is, reaches
 * reply_fn with the tag and the sender's token as id; the outbox retries
 * nothing itself (when is the sender's: channel/delivery.h). */
static void test_eng_outbox_send_now(void **state)
{
	struct fx *f = *state;
	struct eng_outbox_stats st;

	send_now(f, "alice", "a1", 7);
	send_now(f, "bob", "b1", 9);
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.pending, 0);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0); /* left */
	settle_n(f, 2);
	assert_int_equal(f->rep.n, 2);
	assert_true(f->rep.has_tag);
	assert_string_equal(f->rep.tag, "claim");
	assert_int_equal(f->rep.status, 201);
	assert_true(f->rep.id == 7 || f->rep.id == 9);
	assert_string_equal(f->rep.account, f->rep.id == 7 ? "alice" : "bob");
	assert_int_equal(th_count(f->srv), 2);
	char seen[2][300];
	for (size_t i = 0; i < 2; i++) {
		struct th_req rq = th_get(f->srv, i);
		snprintf(seen[i], sizeof(seen[i]), "%s %.*s", rq.path,
			 (int)rq.body_len, (const char *)rq.body);
		assert_string_equal(rq.ctype, "application/octet-stream");
		assert_int_equal(strlen(rq.key), 36);
	}
	assert_true((!strcmp(seen[0], "/accounts/alice/messages a1") &&
		     !strcmp(seen[1], "/accounts/bob/messages b1")) ||
		    (!strcmp(seen[1], "/accounts/alice/messages a1") &&
		     !strcmp(seen[0], "/accounts/bob/messages b1")));
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.inflight + st.pending, 0);
	assert_int_equal(outbox_rows(f), 0);

	/* A failure: reported with its token, never retried by the
	 * outbox... */
	th_script(f->srv, (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	send_now(f, "carol", "c1", 11);
	settle_n(f, 1);
	assert_int_equal(f->rep.n, 3);
	assert_int_equal(f->rep.id, 11);
	assert_int_equal(f->rep.status, 503);
	assert_int_equal(eng_outbox_classify(f->rep.status), ENG_OUTBOX_RETRY);
	fake_now += 100000;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(th_count(f->srv), 3);
	/* ... but again on retry_now: same bytes, a new key, its new
	 * token. */
	assert_int_equal(eng_outbox_retry_now(f->ob, "carol", 12, NULL), XU_OK);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 12);
	assert_int_equal(f->rep.status, 201);
	check_same_requests(f, 2, 2, NEW_KEYS, "/accounts/carol/messages",
			    "application/octet-stream", "c1", 2);
	/* A newer message: its own key. */
	send_now(f, "carol", "c2", 13);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 13);
	assert_memory_equal(th_get(f->srv, 4).body, "c2", 2);
	assert_string_not_equal(th_get(f->srv, 4).key, th_get(f->srv, 3).key);
	/* Nothing to retry for an account without a message. */
	assert_int_equal(eng_outbox_retry_now(f->ob, "zed", 1, NULL),
			 XU_ENOTFOUND);
	/* No HTTP answer at all: status 0. */
	fx_close(f);
	f->cfg.timeout_ms = 200;
	fx_open(f);
	th_script(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	send_now(f, "dave", "d1", 21);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 21);
	assert_int_equal(f->rep.status, 0);
	assert_string_equal(f->rep.account, "dave");
	assert_int_equal(eng_outbox_classify(0), ENG_OUTBOX_RETRY);
	/* A refusal (4xx): reported, never sent again by the outbox. */
	th_script(f->srv, (struct th_resp){TH_REPLY, 404, NULL, NULL, 0});
	send_now(f, "erin", "e1", 22);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 22);
	assert_int_equal(f->rep.status, 404);
	assert_int_equal(eng_outbox_classify(404), ENG_OUTBOX_PARKED);
	assert_int_equal(eng_outbox_classify(299), ENG_OUTBOX_DELIVERED);
	size_t n = th_count(f->srv);
	fake_now += 100000;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(th_count(f->srv), n);
	assert_int_equal(outbox_rows(f), 0);
}

/* Many accounts' latest-wins messages (found by account and their
 * answers by job id, docs/design.md#scale): each of 30 accounts sends,
 * then each sends again in another order; every answer comes back with
 * its own account and token, and each request went to its account. */
static void test_eng_outbox_send_now_many_accounts(void **state)
{
	struct fx *f = *state;
	char acc[16], body[16], want[64];

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 30; i++) {
			int k = pass ? (i * 7) % 30 : i;
			uint64_t token = (uint64_t)(pass ? 1000 + k : 100 + k);
			size_t before = th_count(f->srv);

			snprintf(acc, sizeof(acc), "acct-%02d", k);
			snprintf(body, sizeof(body), "m%d-%02d", pass, k);
			send_now(f, acc, body, token);
			settle_n(f, 1);
			assert_int_equal(f->rep.id, (int64_t)token);
			assert_string_equal(f->rep.account, acc);
			assert_int_equal(f->rep.status, 201);
			assert_int_equal(th_count(f->srv), before + 1);
			snprintf(want, sizeof(want), "/accounts/%s/messages",
				 acc);
			assert_string_equal(th_get(f->srv, before).path, want);
			assert_memory_equal(th_get(f->srv, before).body, body,
					    strlen(body));
		}
	/* Each account's newest is the one retry_now sends again. */
	assert_int_equal(eng_outbox_retry_now(f->ob, "acct-07", 5000, NULL),
			 XU_OK);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 5000);
	assert_string_equal(f->rep.account, "acct-07");
	assert_memory_equal(th_get(f->srv, 60).body, "m1-07", 5);
}

/* Two attempts of one account out at once (a stalled one and the newest
 * beside it: the sender's stall rule), each result routed by its own
 * token, the older's included; the backoff the sender waits is the
 * rows' (base_ms 50, no jitter here). */
static void test_eng_outbox_send_now_beside(void **state)
{
	struct fx *f = *state;
	struct eng_outbox_stats st;

	fx_close(f);
	f->cfg.timeout_ms = 600;
	fx_open(f);
	th_script(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	send_now(f, "alice", "a1", 1);
	/* a1 reached the connector (which hangs it) before a2 leaves. */
	time_t deadline = time(NULL) + 20;
	while (th_count(f->srv) == 0) {
		assert_true(time(NULL) < deadline);
		struct timespec ts = {0, 2 * 1000000};
		nanosleep(&ts, NULL);
	}
	send_now(f, "alice", "a2", 2);
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.pending, 0);
	/* a1 times out (status 0); a2, behind it at the (serial) test
	 * server, ends too; each result carries its own token. */
	settle_n(f, 2);
	assert_int_equal(f->rep.n, 2);
	assert_int_equal(f->rep.status_of[1], 0 + 1);
	assert_int_not_equal(f->rep.status_of[2], 0);
	assert_int_equal(eng_outbox_stats(f->ob, &st, NULL), XU_OK);
	assert_int_equal(st.inflight + st.pending, 0);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now + 100000), 0);
	assert_int_equal(eng_outbox_backoff_ms(f->ob, 1), 50);
	assert_int_equal(eng_outbox_backoff_ms(f->ob, 3), 200);
}

/* Without room (max_inflight out) an attempt does not leave: XU_EUNAVAIL,
 * the message kept for retry_now; and latest-wins messages hold back no
 * row beyond their own attempts. */
static void test_eng_outbox_send_now_no_room(void **state)
{
	struct fx *f = *state;
	th_default(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	fx_close(f);
	f->cfg.max_inflight = 2;
	fx_open(f);
	send_now(f, "bob", "first", 1);
	int64_t k = credit(f, "bob", 7, "behind-claims");
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	assert_int_equal(in_flight(f), 2);
	assert_string_equal(get_row(f, k).state, "pending");
	assert_int_equal(eng_outbox_send_now(f->ob, "carol", "c1", 2, 3, NULL),
			 XU_EUNAVAIL);
	assert_int_equal(eng_outbox_retry_now(f->ob, "carol", 4, NULL),
			 XU_EUNAVAIL);
	assert_int_equal(in_flight(f), 2);
}

static void enqueue_claim(void *arg)
{
	struct fx *f = arg;
	if (eng_outbox_enqueue_message(f->store, "alice", "c1", 2,
				       ENG_OUTBOX_LATEST_TAG, NULL,
				       NULL) != XU_OK)
		return;
}

/* Runs fn(arg) in a forked child (stderr silenced); true when it died of
 * SIGABRT. */
static bool aborts(void (*fn)(void *), void *arg)
{
	int st;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 2);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* Claims go through eng_outbox_send_now only: a row with their tag is
 * a programmer error, and no row is written. */
static void test_eng_outbox_latest_tag_not_a_row(void **state)
{
	struct fx *f = *state;
	assert_true(aborts(enqueue_claim, f));
	assert_int_equal(outbox_rows(f), 0);
}

/* A job the worker refuses (eng_curlw_submit TAKES it, also on failure)
 * is not sent: a row goes at the next tick, a latest-wins message at
 * retry_now (send_now said XU_EUNAVAIL and kept it). */
static void test_eng_outbox_submit_refused(void **state)
{
	struct fx *f = *state;
	int64_t id = credit(f, "alice", 1, "k-refused");
	refuse_submit = true;
	assert_int_equal(eng_outbox_send_now(f->ob, "bob", "b1", 2, 5, NULL),
			 XU_EUNAVAIL);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(in_flight(f), 0);
	refuse_submit = false;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 1);
	assert_int_equal(eng_outbox_retry_now(f->ob, "bob", 6, NULL), XU_OK);
	settle_n(f, 2);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(th_count(f->srv), 2);
}

/* What stderr gets between capture_start and capture_end. */
static char cap_path[160];
static int cap_saved = -1;

static void capture_start(void)
{
	snprintf(cap_path, sizeof(cap_path), "%s/stderr.txt", dir);
	fflush(stderr);
	cap_saved = dup(2);
	int fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(cap_saved >= 0 && fd >= 0);
	assert_true(dup2(fd, 2) == 2);
	close(fd);
}

/* Ends the capture; true when a line has both needles. */
static bool capture_end(const char *a, const char *b)
{
	char line[1100];
	bool found = false;
	fflush(stderr);
	assert_true(dup2(cap_saved, 2) == 2);
	close(cap_saved);
	FILE *fp = fopen(cap_path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		found |= strstr(line, a) && strstr(line, b);
	fclose(fp);
	return found;
}

/* A credit answered 409 (the connector says the key was used for another
 * request) is parked with a BROKEN line: the same key and body can never
 * succeed.  A message answered 409 is retried (the peer engine may answer
 * it while busy), a row and a latest-wins message alike. */
static void test_eng_outbox_409(void **state)
{
	struct fx *f = *state;
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 409, "application/problem+json",
				   "{\"title\":\"Idempotency Error\"}", 0});
	int64_t id = credit(f, "alice", 4, "k-409");
	capture_start();
	attempt(f);
	assert_true(capture_end("BROKEN", "PARKED"));
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "parked");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.last_status, 409);
	assert_non_null(strstr(r.last_error, "Idempotency Error"));
	assert_int_equal(f->rep.n, 1);
	assert_int_equal(f->rep.id, id);
	assert_int_equal(f->rep.status, 409);
	fake_now += 100000000;
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(th_count(f->srv), 1);

	th_script(f->srv, (struct th_resp){TH_REPLY, 409, NULL, NULL, 0});
	int64_t h1 = message(f, "alice", "h1", "hello");
	attempt(f);
	r = get_row(f, h1);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.last_status, 409);
	assert_int_equal(r.next_ms, fake_now + 50);
	fake_now += 50;
	attempt(f); /* default 201 */
	assert_string_equal(get_row(f, h1).state, "delivered");

	th_script(f->srv, (struct th_resp){TH_REPLY, 409, NULL, NULL, 0});
	send_now(f, "bob", "c1", 1);
	settle_n(f, 1);
	assert_int_equal(f->rep.status, 409);
	assert_int_equal(eng_outbox_classify(409), ENG_OUTBOX_RETRY);
	assert_int_equal(eng_outbox_retry_now(f->ob, "bob", 2, NULL), XU_OK);
	settle_n(f, 1);
	assert_int_equal(f->rep.status, 201);
	assert_int_equal(th_count(f->srv), 5);
}

/* While on, the store cannot record a result: a trigger fails every
 * UPDATE of the outbox table. */
static void results_fail(struct fx *f, bool on)
{
	assert_int_equal(
	    sqlite3_exec(eng_store_db(f->store),
			 on ? "CREATE TEMP TRIGGER no_results BEFORE UPDATE"
			      " ON outbox BEGIN SELECT RAISE(ABORT,"
			      " 'disk on fire'); END"
			    : "DROP TRIGGER temp.no_results",
			 NULL, NULL, NULL),
	    SQLITE_OK);
}

/* A result the store cannot record leaves the row pending in the table;
 * it is not sent again before the backoff (which grows while the store
 * keeps failing), and meanwhile it holds back no other row. */
static void test_eng_outbox_unrecorded_result_waits(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.max_inflight = 1;
	fx_open(f);
	th_script(f->srv, (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, NULL, 0});
	int64_t id = credit(f, "alice", 1, "k-unrecorded");
	results_fail(f, true);
	attempt(f); /* 503: not recorded */
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 0);
	assert_int_equal(r.next_ms, 0);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now + 49), 0);
	fake_now += 50;
	attempt(f); /* 201: not recorded either; the delay doubles */
	assert_int_equal(get_row(f, id).attempts, 0);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now + 99), 0);
	/* Another row due later still goes while this one waits. */
	int64_t other = credit(f, "bob", 2, "k-other");
	results_fail(f, false);
	attempt(f); /* default 201 */
	assert_string_equal(get_row(f, other).state, "delivered");
	assert_string_equal(get_row(f, id).state, "pending");
	assert_int_equal(eng_outbox_tick(f->ob, fake_now + 99), 0);
	fake_now += 100;
	attempt(f);
	r = get_row(f, id);
	assert_string_equal(r.state, "delivered");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(th_count(f->srv), 4);
	check_same_requests(f, 0, 2, SAME_KEY, "/accounts/alice/settlements",
			    "application/json", CREDIT1, strlen(CREDIT1));
	assert_string_equal(th_get(f->srv, 3).key, "k-unrecorded");
}

/* A connector that keeps every answer per key, errors included
 * (interledger-rs): a message row refused once (the peer was down: 502)
 * is answered once the peer is back, because every attempt carries a new
 * key; the answer reaches the sender
 * (docs/api.md#messages-and-the-connectors-answer-caches). */
static void test_eng_outbox_message_new_key_each_attempt(void **state)
{
	struct fx *f = *state;
	th_cache(f->srv, true);
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 502, "application/problem+json",
				   "{\"title\":\"Error sending message\"}", 0});
	th_script(f->srv,
		  (struct th_resp){TH_REPLY, 201, "application/octet-stream",
				   "last-answer", 0});
	int64_t id = message(f, "alice", "last?", "last_claim");
	refused_then_delivered(f, id);
	assert_string_equal(f->rep.tag, "last_claim");
	assert_int_equal(f->rep.status, 201);
	assert_string_equal(f->rep.body, "last-answer");
	assert_false(th_get(f->srv, 1).replayed);
	check_same_requests(f, 0, 2, NEW_KEYS, "/accounts/alice/messages",
			    "application/octet-stream", "last?", 5);

	/* A claim's retry (latest-wins) too. */
	th_script(f->srv, (struct th_resp){TH_REPLY, 502, NULL, "down", 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "ack", 0});
	send_now(f, "alice", "c1", 5);
	settle_n(f, 1);
	assert_int_equal(f->rep.status, 502);
	assert_int_equal(eng_outbox_retry_now(f->ob, "alice", 6, NULL), XU_OK);
	settle_n(f, 1);
	assert_int_equal(f->rep.id, 6);
	assert_int_equal(f->rep.status, 201);
	assert_string_equal(f->rep.body, "ack");
	check_same_requests(f, 2, 2, NEW_KEYS, "/accounts/alice/messages",
			    "application/octet-stream", "c1", 2);
}

/* A credit refused with a definite answer goes again under a new key, so
 * a connector that keeps the refusal per key (interledger-rs) credits it;
 * a 4xx parks it with its new key ready for the operator's unpark. */
static void test_eng_outbox_credit_refused_new_key(void **state)
{
	struct fx *f = *state;
	th_cache(f->srv, true);
	th_script(f->srv, (struct th_resp){TH_REPLY, 500, NULL, "redis", 0});
	th_script(f->srv, (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	int64_t id = credit(f, "alice", 1, "chan-9:1");
	attempt(f);
	assert_string_equal(get_row(f, id).state, "pending");
	fake_now = get_row(f, id).next_ms;
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(th_count(f->srv), 2);
	assert_string_equal(th_get(f->srv, 0).key, "chan-9:1");
	assert_false(th_get(f->srv, 1).replayed);
	check_same_requests(f, 0, 2, NEW_KEYS, "/accounts/alice/settlements",
			    "application/json", CREDIT1, strlen(CREDIT1));
	/* The row keeps its identity: the same credit again is no new row. */
	assert_int_equal(credit(f, "alice", 1, "chan-9:1"), id);

	/* 404 (the connector lacks the account): parked; unparked, it goes
	 * under the new key and is credited. */
	th_script(f->srv, (struct th_resp){TH_REPLY, 404, NULL, "who?", 0});
	int64_t id2 = credit(f, "carol", 1, "chan-9:2");
	attempt(f);
	assert_string_equal(get_row(f, id2).state, "parked");
	assert_int_equal(eng_outbox_unpark(f->store, id2, false, NULL), XU_OK);
	attempt(f);
	assert_string_equal(get_row(f, id2).state, "delivered");
	assert_false(th_get(f->srv, 3).replayed);
	assert_string_not_equal(th_get(f->srv, 3).key, "chan-9:2");
}

/* A credit sent but unanswered may have been applied: it goes again under
 * the same key (a connector that remembers the key replays its success),
 * and only while the connector may still remember it: retried within
 * unknown_window_ms of the first unanswered attempt, then parked; the
 * operator's unpark --new-key gives it a new key.  A connection refused
 * (nothing sent) keeps the key and starts no window. */
static void test_eng_outbox_credit_unanswered_same_key(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.timeout_ms = 300;
	f->cfg.cap_ms = 100000;
	f->cfg.unknown_window_ms = 1000;
	fx_open(f);
	th_cache(f->srv, true);
	th_default(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	int64_t id = credit(f, "dave", 1, "chan-7:1");
	int64_t t0 = fake_now;
	for (int i = 0; i < 8 && !strcmp(get_row(f, id).state, "pending");
	     i++) {
		attempt(f);
		struct row r = get_row(f, id);
		if (!strcmp(r.state, "pending")) {
			/* Never later than the window allows. */
			assert_true(r.next_ms - t0 < 1000);
			assert_true(r.next_ms - fake_now <= 250);
			fake_now = r.next_ms;
		}
	}
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "parked");
	size_t n = th_count(f->srv);
	assert_true(n >= 3);
	check_same_requests(f, 0, n, SAME_KEY, "/accounts/dave/settlements",
			    "application/json", CREDIT1, strlen(CREDIT1));
	assert_string_equal(th_get(f->srv, 0).key, "chan-7:1");

	th_default(f->srv,
		   (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0});
	assert_int_equal(eng_outbox_unpark(f->store, id, true, NULL), XU_OK);
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_string_not_equal(th_get(f->srv, n).key, "chan-7:1");

	/* Refused connections: no window; the key stays. */
	th_stop(f->srv);
	f->srv = NULL;
	int64_t id2 = credit(f, "erin", 1, "chan-7:2");
	for (int i = 0; i < 12; i++) {
		attempt(f);
		r = get_row(f, id2);
		assert_string_equal(r.state, "pending");
		fake_now = r.next_ms;
	}
}

/* An unanswered credit whose connector then refuses connections: the
 * window of the unanswered attempt still runs, so the key never goes
 * again after it (the backoff alone would wait longer). */
static void test_eng_outbox_credit_unanswered_then_refused(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	f->cfg.timeout_ms = 300;
	f->cfg.base_ms = 10000;
	f->cfg.cap_ms = 100000;
	f->cfg.unknown_window_ms = 1000;
	fx_open(f);
	th_script(f->srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	int64_t id = credit(f, "dave", 1, "chan-8:1");
	int64_t t0 = fake_now;
	attempt(f);
	struct row r = get_row(f, id);
	assert_string_equal(r.state, "pending");
	assert_true(r.next_ms - fake_now <= 250);
	th_stop(f->srv);
	f->srv = NULL;
	for (int i = 0; i < 8 && !strcmp(r.state, "pending"); i++) {
		assert_true(r.next_ms - t0 < 1000);
		fake_now = r.next_ms;
		attempt(f);
		r = get_row(f, id);
	}
	assert_string_equal(r.state, "parked");
}

/* A credit's result is recorded durably (a FULL commit, not a relaxed
 * one): a delivered credit is never sent again after a power cut, when
 * the connector may have forgotten its key; a message's result stays
 * relaxed. */
static void test_eng_outbox_credit_results_durable(void **state)
{
	struct fx *f = *state;
	th_script(f->srv, (struct th_resp){TH_REPLY, 503, NULL, NULL, 0});
	int64_t id = credit(f, "alice", 1, "durable-1");
	relaxed_begins = 0;
	attempt(f);
	fake_now = get_row(f, id).next_ms;
	attempt(f);
	assert_string_equal(get_row(f, id).state, "delivered");
	assert_int_equal(relaxed_begins, 0);
	message(f, "alice", "m", "hello");
	attempt(f);
	assert_int_equal(relaxed_begins, 1);
}

static int count_commit(void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

/* The credits' results one drain takes are recorded in one commit, not
 * one each (the loop waits for the disk once), each as it would be
 * alone: delivered, its reply kept, reported; a duplicate of a result
 * kept is ignored. */
static void test_eng_outbox_drain_one_commit(void **state)
{
	struct fx *f = *state;
	int64_t ids[3];
	unsigned commits = 0, drains = 0;
	size_t got = 0, n;
	char key[16];

	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "g%d", i);
		ids[i] = credit(f, "gina", 1, key);
	}
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 3);
	for (int i = 0; i < 2000 && th_count(f->srv) < 3; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(th_count(f->srv), 3);
	struct timespec ts = {0, 200 * 1000000};
	nanosleep(&ts, NULL); /* the answers reach the worker's queue */
	sqlite3_commit_hook(eng_store_db(f->store), count_commit, &commits);
	while (got < 3) {
		n = eng_outbox_drain(f->ob);
		got += n;
		drains += n != 0;
		if (!n)
			nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	sqlite3_commit_hook(eng_store_db(f->store), NULL, NULL);
	assert_int_equal(commits, drains);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(get_row(f, ids[i]).state, "delivered");
		assert_int_equal(get_row(f, ids[i]).attempts, 1);
		assert_true(reply_len(f, ids[i]) > 0);
	}
	assert_int_equal(f->rep.n, 3);
	assert_int_equal(eng_outbox_tick(f->ob, fake_now), 0);
}

int main(void)
{

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_eng_outbox_retry_then_delivered),
	    T(test_eng_outbox_enqueue_rules),
	    T(test_eng_outbox_backoff_cap),
	    T(test_eng_outbox_jitter),
	    T(test_eng_outbox_park_unpark),
	    T(test_eng_outbox_message_new_key_each_attempt),
	    T(test_eng_outbox_credit_refused_new_key),
	    T(test_eng_outbox_credit_unanswered_same_key),
	    T(test_eng_outbox_credit_unanswered_then_refused),
	    T(test_eng_outbox_credit_results_durable),
	    T(test_eng_outbox_drain_one_commit),
	    T(test_eng_outbox_409),
	    T(test_eng_outbox_timeout_and_refused),
	    T(test_eng_outbox_message_reply),
	    T(test_eng_outbox_inflight_bound),
	    T(test_eng_outbox_inflight_after_restart),
	    T(test_eng_outbox_relaxed_commits),
	    T(test_eng_outbox_latest_tag_not_a_row),
	    T(test_eng_outbox_retry_not_reported),
	    T(test_eng_outbox_send_now),
	    T(test_eng_outbox_send_now_many_accounts),
	    T(test_eng_outbox_send_now_beside),
	    T(test_eng_outbox_send_now_no_room),
	    T(test_eng_outbox_submit_refused),
	    T(test_eng_outbox_unrecorded_result_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
