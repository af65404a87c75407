/* Unit tests for the RFC 0038 REST routes of src/api/, driven the way
 * the daemon drives them: raw HTTP bytes go through the real parser
 * (src/io/http.c, socket-less via tests/io/httpdrv.c) into
 * eng_api_on_request(); the jobs it submits are applied by a group commit
 * written here like src/daemon/engine.c's run_batch (one store transaction on a
 * temporary database, eng_api_apply per job, commit, then the answers).
 * The rest of the daemon is faked: the services of struct eng_api_host,
 * the payment-channel hooks, the outbox and /health's sources.
 *
 * Checked: the route table (404, 405 with Allow, dev routes only with
 * --dev-api), account ids (path and body), Content-Type handling (415),
 * the Quantity body of settlements, the Idempotency-Key header (missing,
 * empty, long, non-printable, replay, conflict, global keys, errors not
 * kept), messages, health, and the table from error codes to statuses
 * (404, 400, 503; 500 with the batch rolled back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "ledger/net/client.h"
#include "ledger/net/rippled.h"
#include "ledger/net/ws.h"
#include "src/api/api.h"
#include "src/api/routes.h"
#include "src/io/clock.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/store.h"
#include "src/util/log.h"
#include "tests/io/httpdrv.h"
#include "tests/store/tempdb.h"

/* ---- the fake engine --------------------------------------------------*/

struct eng_engine {
	struct eng_store *store;
	struct eng_job *head, **tail;
	size_t queued;
	struct eng_msgs types;
	int64_t clock_offset;
	unsigned fail_commits;
	/* Calls into the fakes. */
	size_t created, deleted, settled, credits, messages;
	enum xu_code paychan_rc; /* returned by the paychan hooks */
	uint64_t batches;
	/* What /health's checks see. */
	enum xl_client_state rippled_state;
	int64_t ledger_age_ms; /* -1: no validated ledger seen */
	struct eng_outbox_stats ob;
	uint64_t owed_alerts;
	/* The admin commands' calls (admin.c). */
	int64_t unparked;
	bool unpark_new_key;
	size_t closes, ticks, batch_ends, batch_dones;
};

static struct eng_engine E;
static struct eng_api_host H;

static int64_t host_now(void *arg)
{
	struct eng_engine *e = arg;

	return 1700000000 + e->clock_offset;
}

static void host_advance_clock(void *arg, int64_t secs)
{
	struct eng_engine *e = arg;

	e->clock_offset += secs;
}

static void host_fail_commits(void *arg, unsigned n, uint32_t stall_ms)
{
	struct eng_engine *e = arg;

	(void)stall_ms;
	e->fail_commits = n;
}

static void host_stats(void *arg, struct eng_api_stats *st)
{
	struct eng_engine *e = arg;

	memset(st, 0, sizeof(*st));
	st->batches = e->batches;
}

static void host_submit(void *arg, struct eng_job *job)
{
	struct eng_engine *e = arg;

	job->next = NULL;
	*e->tail = job;
	e->tail = &job->next;
	e->queued++;
}

static struct eng_engine *eng_of(void *p)
{
	return p;
}

enum xu_code eng_paychan_account_created(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	(void)account;
	eng_of(pc)->created++;
	if (eng_of(pc)->paychan_rc)
		return xu_fail(err, eng_of(pc)->paychan_rc, 0, "paychan");
	return XU_OK;
}

enum xu_code eng_paychan_account_deleted(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	(void)account;
	eng_of(pc)->deleted++;
	if (eng_of(pc)->paychan_rc)
		return xu_fail(err, eng_of(pc)->paychan_rc, 0, "paychan");
	return XU_OK;
}

enum xu_code eng_paychan_settled(struct eng_paychan *pc, const char *account,
				 struct xu_err *err)
{
	(void)account;
	eng_of(pc)->settled++;
	if (eng_of(pc)->paychan_rc)
		return xu_fail(err, eng_of(pc)->paychan_rc, 0, "paychan");
	return XU_OK;
}

json_t *eng_paychan_health(struct eng_paychan *pc)
{
	(void)pc;
	return json_pack("{s:i}", "unpaired", 0);
}

json_t *xl_rippled_health(struct xl_rippled *r)
{
	(void)r;
	return json_pack("{s:b}", "connected", 0);
}

enum xu_code eng_paychan_status(struct eng_paychan *pc,
				struct eng_paychan_status *st,
				struct xu_err *err)
{
	(void)err;
	memset(st, 0, sizeof(*st));
	if (eng_of(pc)->ledger_age_ms >= 0)
		st->ledger_seen_ms = eng_wall_ms() - eng_of(pc)->ledger_age_ms;
	st->owed_alerts = eng_of(pc)->owed_alerts;
	return XU_OK;
}

void eng_paychan_owed_each(const struct eng_paychan *pc, eng_paychan_owed_fn fn,
			   void *arg)
{
	if (((const struct eng_engine *)(const void *)pc)->owed_alerts)
		fn(arg, "late", xl_drops_zero(), 600000, true);
}

struct xl_client *xl_rippled_client(struct xl_rippled *r)
{
	return (struct xl_client *)(void *)r;
}
struct xl_submit *xl_rippled_submit(struct xl_rippled *r)
{
	return (struct xl_submit *)(void *)r;
}
enum xl_client_state xl_client_state(const struct xl_client *c)
{
	return ((const struct eng_engine *)(const void *)c)->rippled_state;
}
const char *xl_client_state_name(enum xl_client_state st)
{
	return st == XL_CLIENT_READY ? "ready" : "disconnected";
}
uint32_t xl_client_validated_index(const struct xl_client *c)
{
	(void)c;
	return 7;
}
struct xl_ws *xl_client_ws(struct xl_client *c)
{
	return (struct xl_ws *)(void *)c;
}
const char *xl_ws_url(const struct xl_ws *ws)
{
	(void)ws;
	return "ws://127.0.0.1:6006";
}
void xl_submit_stats(const struct xl_submit *s, struct xl_submit_stats *st)
{
	(void)s;
	memset(st, 0, sizeof(*st));
}

enum xu_code eng_outbox_stats(struct eng_outbox *ob,
			      struct eng_outbox_stats *st, struct xu_err *err)
{
	(void)err;
	*st = ((struct eng_engine *)(void *)ob)->ob;
	return XU_OK;
}

enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err)
{
	(void)drops;
	(void)idem_key;
	if (!eng_store_account_exists(s, account))
		return xu_fail(err, XU_ENOTFOUND, 0, "no account %s", account);
	*id = (int64_t)++E.credits;
	return XU_OK;
}

enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id, struct xu_err *err)
{
	(void)s;
	(void)account;
	(void)bytes;
	(void)len;
	(void)tag;
	(void)err;
	*id = (int64_t)++E.messages;
	return XU_OK;
}

enum xu_code eng_paychan_batch_end(struct eng_paychan *pc, struct xu_err *err)
{
	(void)err;
	eng_of(pc)->batch_ends++;
	return XU_OK;
}

void eng_paychan_message_read(struct eng_paychan *pc, int64_t mono_us)
{
	(void)pc;
	(void)mono_us;
}

void eng_paychan_batch_done(struct eng_paychan *pc, bool committed)
{
	(void)committed;
	eng_of(pc)->batch_dones++;
}

enum xu_code eng_paychan_close_outgoing(struct eng_paychan *pc,
					const char *account, struct xu_err *err)
{
	(void)account;
	(void)err;
	eng_of(pc)->closes++;
	return eng_of(pc)->paychan_rc;
}

enum xu_code eng_paychan_close_channel(struct eng_paychan *pc,
				       const uint8_t id[CR_CHANNEL_ID_BYTES],
				       bool force, bool *outgoing,
				       struct xu_err *err)
{
	(void)id;
	(void)force;
	*outgoing = true;
	eng_of(pc)->closes++;
	if (eng_of(pc)->paychan_rc)
		return xu_fail(err, eng_of(pc)->paychan_rc, 0, "paychan");
	return XU_OK;
}

enum xu_code eng_paychan_redeem_channel(struct eng_paychan *pc,
					const uint8_t id[CR_CHANNEL_ID_BYTES],
					struct xu_err *err)
{
	(void)id;
	eng_of(pc)->closes++;
	if (eng_of(pc)->paychan_rc)
		return xu_fail(err, eng_of(pc)->paychan_rc, 0, "paychan");
	return XU_OK;
}

int eng_outbox_tick(struct eng_outbox *ob, int64_t now_ms)
{
	(void)now_ms;
	((struct eng_engine *)(void *)ob)->ticks++;
	return 0;
}

enum xu_code eng_outbox_unpark(struct eng_store *s, int64_t id, bool new_key,
			       struct xu_err *err)
{
	(void)s;
	if (id != 7)
		return xu_fail(err, XU_ENOTFOUND, 0, "no parked call %lld",
			       (long long)id);
	E.unparked = id;
	E.unpark_new_key = new_key;
	return XU_OK;
}

/* The group commit, as engine.c's run_batch. */
static void run_batch(struct eng_engine *e)
{
	struct eng_job *list = e->head, *j, *next;
	struct xu_err err = {0};
	enum xu_code rc;

	e->head = NULL;
	e->tail = &e->head;
	e->queued = 0;
	if (!list)
		return;
	e->batches++;
	rc = eng_store_begin(e->store, &err);
	for (j = list; rc == XU_OK && j; j = j->next)
		rc = eng_api_apply(&H, j, &err);
	if (rc == XU_OK && e->fail_commits) {
		e->fail_commits--;
		rc = xu_fail(&err, XU_ESTORE, 0, "commit failed");
	}
	if (rc == XU_OK)
		rc = eng_store_commit(e->store, &err);
	if (rc != XU_OK) {
		eng_store_rollback(e->store);
		for (j = list; j; j = j->next)
			eng_api_job_problem(j, 500, NULL,
					    "the store failed; nothing was "
					    "done, retry");
	}
	for (j = list; j; j = next) {
		next = j->next;
		if (j->conn)
			eng_http_reply(j->conn, j->status, j->ctype, NULL,
				       j->body, j->body_len);
		eng_job_free(j);
	}
}

/* A connection with a queued job closed (engine.c on_conn_closed). */
static void on_conn_closed(void *arg, struct eng_http_conn *c)
{
	const struct eng_api_host *h = arg;
	struct eng_engine *e = h->arg;

	for (struct eng_job *j = e->head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
}

/* ---- requests ---------------------------------------------------------*/

struct resp {
	int status;
	char ctype[64];
	char allow[32];
	char body[2048];
	size_t body_len;
	json_t *json; /* the body parsed, when it is JSON */
};

static void resp_clear(struct resp *r)
{
	json_decref(r->json);
	r->json = NULL;
}

static struct hd *conn_open(void)
{
	struct hd *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->on_request = eng_api_on_request;
	h->on_closed = on_conn_closed;
	h->arg = &H;
	hd_open(h);
	return h;
}

static void conn_close(struct hd *h)
{
	hd_close(h);
	free(h);
}

/* The n-th answer on h (0-based) into *r. */
static void answer(struct hd *h, size_t n, struct resp *r)
{
	struct hd_resp rs[16];
	size_t got = hd_parse(h, rs, 16, NULL);

	assert_true(n < got);
	memset(r, 0, sizeof(*r));
	r->status = rs[n].status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", rs[n].ctype);
	snprintf(r->allow, sizeof(r->allow), "%s", rs[n].allow);
	assert_true(rs[n].body_len < sizeof(r->body));
	memcpy(r->body, rs[n].body, rs[n].body_len);
	r->body_len = rs[n].body_len;
	if (strstr(r->ctype, "json"))
		r->json = json_loadb(r->body, r->body_len, 0, NULL);
}

/* Sends raw on a fresh connection, runs the group commit, returns the
 * only answer. */
static struct resp raw(const char *req)
{
	struct hd *h = conn_open();
	struct resp r;

	hd_feeds(h, req);
	run_batch(&E);
	hd_pump(h);
	assert_int_equal(h->nreqs <= 1, 1);
	answer(h, 0, &r);
	conn_close(h);
	return r;
}

/* method path, extra header lines (each ending CRLF, or NULL), body (or
 * NULL: no Content-Length). */
static struct resp req(const char *method, const char *path,
		       const char *headers, const char *body)
{
	char *s;
	size_t cap = strlen(path) + (headers ? strlen(headers) : 0) +
		     (body ? strlen(body) : 0) + 128;
	struct resp r;

	s = malloc(cap);
	assert_non_null(s);
	if (body)
		snprintf(s, cap,
			 "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: "
			 "%zu\r\n\r\n%s",
			 method, path, headers ? headers : "", strlen(body),
			 body);
	else
		snprintf(s, cap, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method,
			 path, headers ? headers : "");
	r = raw(s);
	free(s);
	return r;
}

static struct resp settle(const char *account, const char *key,
			  const char *body)
{
	char path[256], hdr[512];

	snprintf(path, sizeof(path), "/accounts/%s/settlements", account);
	if (key)
		snprintf(hdr, sizeof(hdr),
			 "Content-Type: application/json\r\n"
			 "Idempotency-Key: %s\r\n",
			 key);
	else
		snprintf(hdr, sizeof(hdr),
			 "Content-Type: application/json\r\n");
	return req("POST", path, hdr, body);
}

/* The answer is a problem+json of status whose detail contains detail
 * (when not NULL). */
static void problem(struct resp *r, int status, const char *detail)
{
	if (r->status != status)
		fail_msg("status %d, not %d: %.*s", r->status, status,
			 (int)r->body_len, r->body);
	assert_string_equal(r->ctype, "application/problem+json");
	assert_non_null(r->json);
	assert_int_equal(json_integer_value(json_object_get(r->json, "status")),
			 status);
	assert_non_null(json_string_value(json_object_get(r->json, "title")));
	if (detail &&
	    !strstr(json_string_value(json_object_get(r->json, "detail")),
		    detail))
		fail_msg("detail \"%s\" lacks \"%s\"",
			 json_string_value(json_object_get(r->json, "detail")),
			 detail);
	resp_clear(r);
}

static void expect_problem(struct resp r, int status, const char *detail)
{
	problem(&r, status, detail);
}

static void create(const char *id)
{
	char body[256];
	struct resp r;

	snprintf(body, sizeof(body), "{\"id\":\"%s\"}", id);
	r = req("POST", "/accounts", "Content-Type: application/json\r\n",
		body);
	assert_int_equal(r.status, 201);
	resp_clear(&r);
}

static uint64_t owed(const char *account)
{
	struct xl_drops d;

	assert_int_equal(eng_store_owed_get(E.store, account, &d, NULL), XU_OK);
	return xl_drops_u64(d);
}

/* ---- setup ------------------------------------------------------------*/

static int setup(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	E.tail = &E.head;
	E.rippled_state = XL_CLIENT_READY;
	E.ledger_age_ms = 1000;
	if (tdb_setup("api"))
		return -1;
	E.store = tdb_open();
	memset(&H, 0, sizeof(H));
	H.store = E.store;
	H.outbox = (struct eng_outbox *)(void *)&E;
	H.paychan = (struct eng_paychan *)(void *)&E;
	H.rippled = (struct xl_rippled *)(void *)&E;
	H.msgs = &E.types;
	H.address = "rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1";
	H.connector_url = "http://127.0.0.1:7771";
	H.arg = &E;
	H.submit = host_submit;
	H.now = host_now;
	H.advance_clock = host_advance_clock;
	H.fail_commits = host_fail_commits;
	H.stats = host_stats;
	eng_api_register_builtin(&E.types);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (E.head) {
		struct eng_job *j = E.head;

		E.head = j->next;
		eng_job_free(j);
	}
	eng_store_close(E.store);
	return tdb_teardown();
}

/* ---- routes -----------------------------------------------------------*/

static void test_api_unknown_routes(void **state)
{
	static const char *const paths[] = {
	    "/",
	    "/account",
	    "/accounts/",
	    "/accounts//settlements",
	    "/accounts/a/",
	    "/accounts/a/settlement",
	    "/accounts/a/settlements/",
	    "/accounts/a/settlements/x",
	    "/accounts/a/messages/x",
	    "/Accounts",
	    "/health/",
	    "/healthz",
	    "//accounts",
	    "/accounts/a/../b",
	    /* The /dev/ routes exist only with --dev-api. */
	    "/dev/clock",
	    "/dev/credit",
	    "/dev/message",
	    "/dev/fail-commits",
	    "/dev/accounts/a",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp r = req("POST", paths[i], NULL, "{}");

		if (r.status != 404)
			fail_msg("%s: %d", paths[i], r.status);
		problem(&r, 404, "no such route");
	}
	/* The query string is not part of the route. */
	expect_problem(req("GET", "/nope?x=/health", NULL, NULL), 404, NULL);
	assert_int_equal(E.batches, 0);
}

static void test_api_wrong_method(void **state)
{
	static const struct {
		const char *method, *path, *allow;
	} t[] = {
	    {"GET", "/accounts", "POST"},
	    {"PUT", "/accounts", "POST"},
	    {"DELETE", "/accounts", "POST"},
	    {"POST", "/health", "GET"},
	    {"DELETE", "/health", "GET"},
	    {"GET", "/accounts/a", "DELETE"},
	    {"POST", "/accounts/a", "DELETE"},
	    {"PATCH", "/accounts/a", "DELETE"},
	    {"GET", "/accounts/a/settlements", "POST"},
	    {"DELETE", "/accounts/a/settlements", "POST"},
	    {"OPTIONS", "/accounts/a/messages", "POST"},
	    {"get", "/health", "GET"},
	    {"BREW", "/accounts", "POST"},
	    /* The method is checked before the account id. */
	    {"GET", "/accounts/bad%20id/settlements", "POST"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct resp r = req(t[i].method, t[i].path, NULL, NULL);

		if (r.status != 405)
			fail_msg("%s %s: %d", t[i].method, t[i].path, r.status);
		assert_string_equal(r.allow, t[i].allow);
		problem(&r, 405, "method not allowed");
	}
	assert_int_equal(E.batches, 0);
}

/* HEAD is not served: 405 with the headers of the problem and no body. */
static void test_api_head(void **state)
{
	struct hd *h = conn_open();
	struct hd_resp rs[3];

	(void)state;
	hd_feeds(h,
		 "HEAD /health HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
	assert_int_equal(hd_parse(h, rs, 3, NULL), 2);
	assert_int_equal(rs[0].status, 405);
	assert_string_equal(rs[0].allow, "GET");
	assert_true(rs[0].content_length > 0);
	assert_int_equal(rs[0].body_len, 0);
	assert_int_equal(rs[1].status, 200);
	conn_close(h);
}

static void test_api_dev_routes(void **state)
{
	struct resp r;

	(void)state;
	H.dev_api = true;
	create("dev1");
	r = req("GET", "/dev/accounts/dev1", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "owed_drops")), "0");
	resp_clear(&r);
	expect_problem(req("GET", "/dev/accounts/nobody", NULL, NULL), 404,
		       "account not found");
	expect_problem(req("GET", "/dev/accounts/a/b", NULL, NULL), 404,
		       "no such route");
	r = req("POST", "/dev/clock", NULL, "{\"advance_s\":60}");
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "now")),
			 1700000060);
	resp_clear(&r);
	expect_problem(req("POST", "/dev/clock", NULL, "{\"advance_s\":\"1\"}"),
		       400, "advance_s");
	expect_problem(req("POST", "/dev/credit", NULL,
			   "{\"account\":\"dev1\",\"drops\":\"1x\",\"key\":"
			   "\"k\"}"),
		       400, "bad drops");
	expect_problem(req("POST", "/dev/credit", NULL,
			   "{\"account\":\"dev1\",\"drops\":"
			   "\"100000000000000001\",\"key\":\"k\"}"),
		       400, NULL);
	expect_problem(req("POST", "/dev/credit", NULL,
			   "{\"account\":\"a b\",\"drops\":\"1\",\"key\":"
			   "\"k\"}"),
		       400, "bad account");
	r = req("POST", "/dev/credit", NULL,
		"{\"account\":\"dev1\",\"drops\":\"5\",\"key\":\"k\"}");
	assert_int_equal(r.status, 201);
	assert_int_equal(
	    json_integer_value(json_object_get(r.json, "outbox_id")), 1);
	resp_clear(&r);
	/* The enqueue's not-found maps to 404. */
	expect_problem(req("POST", "/dev/credit", NULL,
			   "{\"account\":\"ghost\",\"drops\":\"5\",\"key\":"
			   "\"k\"}"),
		       404, "account not found");
	/* fail-commits: the next batch answers 500. */
	r = req("POST", "/dev/fail-commits", NULL, "{\"count\":1}");
	assert_int_equal(r.status, 200);
	resp_clear(&r);
	expect_problem(req("DELETE", "/accounts/dev1", NULL, NULL), 500,
		       "the store failed");
	assert_true(eng_store_account_exists(E.store, "dev1"));
	expect_problem(req("POST", "/dev/fail-commits", NULL, "{\"count\":-1}"),
		       400, "count");
}

/* ---- accounts ---------------------------------------------------------*/

static void test_api_account_id_in_path(void **state)
{
	char path[400], id[300];

	(void)state;
	create("alice");
	/* Every unreserved character, and the 128-character maximum. */
	create("AZaz09-._~");
	memset(id, 'i', 128);
	id[128] = 0;
	create(id);
	snprintf(path, sizeof(path), "/accounts/%s", id);
	assert_int_equal(req("DELETE", path, NULL, NULL).status, 204);
	/* 129 and more characters. */
	memset(id, 'i', 129);
	id[129] = 0;
	snprintf(path, sizeof(path), "/accounts/%s", id);
	expect_problem(req("DELETE", path, NULL, NULL), 400, "longer than 128");
	memset(id, 'i', 299);
	id[299] = 0;
	snprintf(path, sizeof(path), "/accounts/%s/settlements", id);
	expect_problem(req("POST", path, NULL, "{}"), 400, "longer than 128");
	/* Percent-encoding is not decoded: '%' is refused. */
	static const char *const bad[] = {
	    "a%20b", "a%2Fb", "a+b", "a@b", "a:b", "a!b", "a,b", "a;b",
	    "a=b",   "a$b",   "a'b", "a*b", "a(b", "a&b", "a#b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/accounts/%s", bad[i]);
		expect_problem(req("DELETE", path, NULL, NULL), 400,
			       "unreserved characters");
		expect_problem(settle(bad[i], "k",
				      "{\"amount\":\"1\","
				      "\"scale\":0}"),
			       400, "unreserved characters");
	}
	assert_int_equal(E.batches, 4);
}

static void test_api_create_account(void **state)
{
	struct resp r;
	const char *id;

	(void)state;
	r = req("POST", "/accounts", "Content-Type: application/json\r\n",
		"{\"id\":\"bob\"}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(r.body, "{\"id\":\"bob\"}");
	resp_clear(&r);
	assert_true(eng_store_account_exists(E.store, "bob"));
	assert_int_equal(E.created, 1);
	/* Again: the same answer, nothing changes. */
	r = req("POST", "/accounts", NULL, "{\"id\":\"bob\",\"x\":[1]}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"id\":\"bob\"}");
	resp_clear(&r);
	/* A null or absent id, or an empty body: a fresh UUIDv4. */
	static const char *const fresh[] = {"{\"id\":null}", "{}", ""};
	for (size_t i = 0; i < 3; i++) {
		r = req("POST", "/accounts", NULL, fresh[i]);
		assert_int_equal(r.status, 201);
		id = json_string_value(json_object_get(r.json, "id"));
		assert_non_null(id);
		assert_int_equal(strlen(id), 36);
		assert_int_equal(id[14], '4');
		assert_true(eng_store_account_exists(E.store, id));
		resp_clear(&r);
	}
	r = req("POST", "/accounts", NULL, NULL);
	assert_int_equal(r.status, 201);
	resp_clear(&r);
}

static void test_api_create_account_bad(void **state)
{
	static const struct {
		const char *body, *detail;
	} t[] = {
	    {"{\"id\":5}", "id must be a string or null"},
	    {"{\"id\":true}", "id must be a string or null"},
	    {"{\"id\":[\"a\"]}", "id must be a string or null"},
	    {"{\"id\":\"\"}", "account id is empty"},
	    {"{\"id\":\"a b\"}", "unreserved characters"},
	    {"{\"id\":\"caf\\u00e9\"}", "unreserved characters"},
	    {"{\"id\":\"a/b\"}", "unreserved characters"},
	    /* jansson refuses \u0000 (no JSON_ALLOW_NUL). */
	    {"{\"id\":\"a\\u0000b\"}", "malformed JSON"},
	    {"{\"id\":\"a\",\"id\":\"b\"}", "malformed JSON"},
	    {"{\"id\":", "malformed JSON"},
	    {"[\"a\"]", "body must be a JSON object"},
	    {"\"a\"", "malformed JSON"},
	    {"null", "malformed JSON"},
	    {"{}x", "malformed JSON"},
	};
	char body[300];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_problem(req("POST", "/accounts", NULL, t[i].body), 400,
			       t[i].detail);
	memset(body, 'a', sizeof(body));
	memcpy(body, "{\"id\":\"", 7);
	strcpy(body + 7 + 129, "\"}");
	expect_problem(req("POST", "/accounts", NULL, body), 400,
		       "longer than 128");
	assert_int_equal(E.batches, 0);
}

static void test_api_content_type(void **state)
{
	static const char *const ok[] = {
	    "application/json",
	    "APPLICATION/JSON",
	    "application/json; charset=utf-8",
	    "application/json ;charset=utf-8",
	    "application/vnd.api+json",
	    "application/problem+json",
	};
	static const char *const bad[] = {
	    "text/plain",
	    "application/x-www-form-urlencoded",
	    "application/+json",
	    "application/jsonx",
	    "text/json",
	    "",
	    "json",
	};
	char hdr[128];
	struct resp r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n", ok[i]);
		r = req("POST", "/accounts", hdr, "{\"id\":\"ct\"}");
		if (r.status != 201)
			fail_msg("%s: %d", ok[i], r.status);
		resp_clear(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n", bad[i]);
		expect_problem(req("POST", "/accounts", hdr, "{\"id\":\"ct\"}"),
			       415, "application/json");
		snprintf(hdr, sizeof(hdr),
			 "Content-Type: %s\r\nIdempotency-Key: k\r\n", bad[i]);
		expect_problem(req("POST", "/accounts/ct/settlements", hdr,
				   "{\"amount\":\"1\",\"scale\":0}"),
			       415, "application/json");
	}
	/* Messages take any Content-Type. */
	r = req("POST", "/accounts/ct/messages", "Content-Type: text/plain\r\n",
		"{\"type\":\"ping\"}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
}

static void test_api_delete_account(void **state)
{
	struct resp r;

	(void)state;
	create("carol");
	r = req("DELETE", "/accounts/carol", NULL, NULL);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.ctype, "");
	assert_int_equal(E.deleted, 1);
	assert_false(eng_store_account_exists(E.store, "carol"));
	expect_problem(req("DELETE", "/accounts/carol", NULL, NULL), 404,
		       "account not found");
	expect_problem(req("DELETE", "/accounts/nobody", NULL, NULL), 404,
		       "account not found");
	expect_problem(settle("carol", "k", "{\"amount\":\"1\",\"scale\":0}"),
		       404, "account not found");
}

/* ---- settlements ------------------------------------------------------*/

static void test_api_settle(void **state)
{
	struct resp r;

	(void)state;
	create("alice");
	r = settle("alice", "s1", "{\"amount\":\"1\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(r.body, "{\"amount\":\"1\",\"scale\":0}");
	resp_clear(&r);
	assert_int_equal(owed("alice"), 1000000);
	assert_int_equal(E.settled, 1);
	/* Leading zeros are dropped; unknown members ignored; scale 255. */
	r = settle("alice", "s2",
		   "{\"scale\":9,\"amount\":\"0001000\",\"asset\":\"XRP\"}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"amount\":\"1000\",\"scale\":9}");
	resp_clear(&r);
	assert_int_equal(owed("alice"), 1000001);
	r = settle("alice", "s3", "{\"amount\":\"1\",\"scale\":255}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	assert_int_equal(owed("alice"), 1000001);
	/* Zero is a no-op that still answers 201. */
	r = settle("alice", "s4", "{\"amount\":\"0\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	assert_int_equal(owed("alice"), 1000001);
	/* Chunked bodies work the same. */
	r = raw("POST /accounts/alice/settlements HTTP/1.1\r\n"
		"Idempotency-Key: s5\r\nTransfer-Encoding: chunked\r\n\r\n"
		"8\r\n{\"amount\r\n10\r\n\":\"2\",\"scale\":0}\r\n0\r\n\r\n");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	assert_int_equal(owed("alice"), 3000001);
}

static void test_api_settle_bad_quantity(void **state)
{
	static const struct {
		const char *body, *detail;
	} t[] = {
	    {"", "malformed JSON"},
	    {"{", "malformed JSON"},
	    {"amount=1&scale=0", "malformed JSON"},
	    {"[{\"amount\":\"1\",\"scale\":0}]", "must be a JSON object"},
	    {"{\"scale\":0}", "\"amount\" is missing"},
	    {"{\"amount\":\"1\"}", "\"scale\" is missing"},
	    {"{\"amount\":1,\"scale\":0}", "must be a string of digits"},
	    {"{\"amount\":null,\"scale\":0}", "must be a string of digits"},
	    {"{\"amount\":\"\",\"scale\":0}", "\"amount\" is empty"},
	    {"{\"amount\":\"-1\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"+1\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"1.5\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"1e5\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\" 1\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"1_000\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"\\u0661\",\"scale\":0}", "only the digits"},
	    {"{\"amount\":\"1\\u0000\",\"scale\":0}", "malformed JSON"},
	    {"{\"amount\":\"1\",\"scale\":-1}", "from 0 to 255, not -1"},
	    {"{\"amount\":\"1\",\"scale\":256}", "from 0 to 255, not 256"},
	    {"{\"amount\":\"1\",\"scale\":99999999999999999999}",
	     "malformed JSON"},
	    {"{\"amount\":\"1\",\"scale\":\"6\"}", "integer from 0 to 255"},
	    {"{\"amount\":\"1\",\"scale\":6.0}", "not a floating-point"},
	    {"{\"amount\":\"1\",\"scale\":1e1}", "not a floating-point"},
	    {"{\"amount\":\"1\",\"scale\":null}", "integer from 0 to 255"},
	    {"{\"amount\":\"1\",\"amount\":\"2\",\"scale\":0}",
	     "malformed JSON"},
	};
	char body[256];
	struct resp r;

	(void)state;
	create("alice");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_problem(settle("alice", "bad", t[i].body), 400,
			       t[i].detail);
	/* 96 digits are accepted, 97 are not. */
	memset(body, '9', sizeof(body));
	memcpy(body, "{\"amount\":\"", 11);
	strcpy(body + 11 + 97, "\",\"scale\":255}");
	expect_problem(settle("alice", "bad", body), 400, "97 digits");
	strcpy(body + 11 + 96, "\",\"scale\":255}");
	r = settle("alice", "d96", body);
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	/* Within the grammar but more than 10^17 drops: 400 (XU_ERANGE),
	 * never wrapped; nothing is recorded, so the key stays free. */
	expect_problem(settle("alice", "big",
			      "{\"amount\":\"18446744073709551616\","
			      "\"scale\":0}"),
		       400, "10^17");
	assert_int_equal(owed("alice"), 0);
	r = settle("alice", "big", "{\"amount\":\"2\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	assert_int_equal(owed("alice"), 2000000);
}

static void test_api_idempotency_key(void **state)
{
	char key[300];
	struct resp r;
	static const char q1[] = "{\"amount\":\"1\",\"scale\":0}";

	(void)state;
	create("alice");
	create("bob");
	expect_problem(settle("alice", NULL, q1), 400,
		       "missing Idempotency-Key header");
	expect_problem(settle("alice", "", q1), 400,
		       "empty Idempotency-Key header");
	/* Blanks around the value are not part of it. */
	expect_problem(settle("alice", " \t ", q1), 400,
		       "empty Idempotency-Key header");
	/* Inner tab, DEL, non-ASCII. */
	expect_problem(settle("alice", "a\tb", q1), 400, "printable ASCII");
	expect_problem(settle("alice", "a\x7f", q1), 400, "printable ASCII");
	expect_problem(settle("alice", "caf\xc3\xa9", q1), 400,
		       "printable ASCII");
	/* 255 characters are accepted, 256 are not. */
	memset(key, 'k', 256);
	key[256] = 0;
	expect_problem(settle("alice", key, q1), 400, "longer than 255");
	key[255] = 0;
	r = settle("alice", key, q1);
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	/* A bad body is reported before a bad key. */
	expect_problem(settle("alice", NULL, "{}"), 400, "\"amount\"");
	/* Two keys: refused by the parser. */
	expect_problem(settle("alice", "a\r\nIdempotency-Key: b", q1), 400,
		       "malformed HTTP request");
	assert_int_equal(owed("alice"), 1000000);
	assert_int_equal(E.settled, 1);
}

static void test_api_idempotency_replay(void **state)
{
	struct resp r;

	(void)state;
	create("alice");
	create("bob");
	r = settle("alice", "r1", "{\"amount\":\"5\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	/* The same request again: the same answer, counted once; leading
	 * zeros and member order do not matter. */
	r = settle("alice", "r1", "{\"scale\":0,\"amount\":\"005\"}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"amount\":\"5\",\"scale\":0}");
	resp_clear(&r);
	assert_int_equal(owed("alice"), 5000000);
	assert_int_equal(E.settled, 1);
	/* The key with another amount, scale or account: 409. */
	static const struct {
		const char *acc, *body;
	} t[] = {
	    {"alice", "{\"amount\":\"6\",\"scale\":0}"},
	    {"alice", "{\"amount\":\"500\",\"scale\":2}"},
	    {"bob", "{\"amount\":\"5\",\"scale\":0}"},
	};
	for (size_t i = 0; i < 3; i++) {
		r = settle(t[i].acc, "r1", t[i].body);
		assert_int_equal(r.status, 409);
		assert_string_equal(
		    json_string_value(json_object_get(r.json, "title")),
		    "Idempotency Error");
		problem(&r, 409, "tied to other input");
	}
	assert_int_equal(owed("alice"), 5000000);
	assert_int_equal(owed("bob"), 0);
	/* Keys are case-sensitive. */
	r = settle("alice", "R1", "{\"amount\":\"6\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	/* Errors are not kept: the key is free after a 404. */
	expect_problem(settle("dave", "r2", "{\"amount\":\"1\",\"scale\":0}"),
		       404, "account not found");
	create("dave");
	r = settle("dave", "r2", "{\"amount\":\"1\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	/* A replay after the account was deleted is 404 (the account is
	 * checked first). */
	assert_int_equal(req("DELETE", "/accounts/dave", NULL, NULL).status,
			 204);
	expect_problem(settle("dave", "r2", "{\"amount\":\"1\",\"scale\":0}"),
		       404, "account not found");
}

/* Several requests in one group commit, on several connections; one
 * whose client went away is applied but not answered. */
static void test_api_batch(void **state)
{
	struct hd *h[3];
	struct resp r;
	char s[256];

	(void)state;
	create("alice");
	for (int i = 0; i < 3; i++) {
		h[i] = conn_open();
		snprintf(s, sizeof(s),
			 "POST /accounts/alice/settlements HTTP/1.1\r\n"
			 "Idempotency-Key: b%d\r\nContent-Length: 24\r\n\r\n"
			 "{\"amount\":\"1\",\"scale\":0}",
			 i);
		hd_feeds(h[i], s);
	}
	assert_int_equal(E.queued, 3);
	assert_int_equal(h[0]->out_len, 0);
	conn_close(h[1]);
	run_batch(&E);
	for (int i = 0; i < 3; i += 2) {
		hd_pump(h[i]);
		answer(h[i], 0, &r);
		assert_int_equal(r.status, 201);
		resp_clear(&r);
		conn_close(h[i]);
	}
	assert_int_equal(owed("alice"), 3000000);
	assert_int_equal(E.batches, 2);
}

/* ---- messages and health ----------------------------------------------*/

/* A message type whose handler returns the code in "code", after a write
 * that its savepoint must undo when the code is an error. */
static enum xu_code msg_probe(void *arg, const char *account, json_t *msg,
			      struct eng_msg_reply *reply, struct xu_err *err)
{
	enum xu_code code =
	    (enum xu_code)json_integer_value(json_object_get(msg, "code"));
	struct eng_engine *e = arg;
	bool created;

	(void)account;
	if (eng_store_account_create(e->store, "side-effect", &created, err) !=
	    XU_OK)
		return XU_ESTORE;
	if (code != XU_OK)
		return xu_fail(err, code, 0, "probe %s", xu_code_name(code));
	reply->body = malloc(2);
	assert_non_null(reply->body);
	memcpy(reply->body, "ok", 2);
	reply->len = 2;
	reply->status = 200;
	return XU_OK;
}

static void test_api_messages(void **state)
{
	struct resp r;

	(void)state;
	create("alice");
	r = req("POST", "/accounts/alice/messages", NULL,
		"{\"type\":\"ping\"}");
	assert_int_equal(r.status, 201);
	assert_string_equal(r.ctype, "application/octet-stream");
	assert_string_equal(r.body, "{\"type\":\"pong\"}");
	static const struct {
		const char *body, *detail;
	} t[] = {
	    {"", "empty message"},
	    {"ping", "JSON object with a string \"type\""},
	    {"[\"ping\"]", "JSON object with a string \"type\""},
	    {"{\"kind\":\"ping\"}", "JSON object with a string \"type\""},
	    {"{\"type\":1}", "JSON object with a string \"type\""},
	    {"{\"type\":\"ping\",\"type\":\"ping\"}",
	     "JSON object with a string \"type\""},
	    {"{\"type\":\"nope\"}", "unknown message type"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_problem(
		    req("POST", "/accounts/alice/messages", NULL, t[i].body),
		    400, t[i].detail);
	expect_problem(req("POST", "/accounts/nobody/messages", NULL,
			   "{\"type\":\"ping\"}"),
		       404, "account not found");
}

static void test_api_health(void **state)
{
	struct resp r;

	(void)state;
	r = req("GET", "/health", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "status")), "ok");
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "address")),
	    "rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1");
	assert_true(json_is_true(
	    json_object_get(json_object_get(r.json, "store"), "ok")));
	assert_non_null(json_object_get(r.json, "channels"));
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "version")),
	    XRPSE_VERSION);
	assert_int_equal(json_array_size(json_object_get(r.json, "problems")),
			 0);
	resp_clear(&r);
	assert_int_equal(E.batches, 0);
}

static int req_status(const char *method, const char *path)
{
	struct resp r = req(method, path, NULL, NULL);
	int st = r.status;

	resp_clear(&r);
	return st;
}

/* Answers GET /health and checks it is 503 naming exactly check `name`
 * with a detail containing `detail`. */
static void expect_degraded(const char *name, const char *detail)
{
	struct resp r = req("GET", "/health", NULL, NULL);
	json_t *p = json_object_get(r.json, "problems");
	json_t *one = json_array_get(p, 0);

	assert_int_equal(r.status, 503);
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "status")), "degraded");
	assert_int_equal(json_array_size(p), 1);
	assert_string_equal(json_string_value(json_object_get(one, "check")),
			    name);
	assert_non_null(
	    strstr(json_string_value(json_object_get(one, "detail")), detail));
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(r.json, "checks"), name)),
			    "failed");
	resp_clear(&r);
}

/* Each check fails /health alone, and passes again when it clears:
 * rippled disconnected, an old or missing validated ledger, a connector
 * unreachable past the bound since its last success, drops unpaid past
 * --owed-alert.  A connector that failed briefly, or never was needed,
 * passes. */
static void test_api_health_checks(void **state)
{
	int64_t now = eng_wall_ms();

	(void)state;
	E.rippled_state = XL_CLIENT_CONNECTING;
	expect_degraded("rippled", "ws://127.0.0.1:6006 is disconnected");
	E.rippled_state = XL_CLIENT_READY;
	E.ledger_age_ms = ENG_LEDGER_MAX_AGE_MS + 5000;
	expect_degraded("ledger", "came 65 s ago");
	E.ledger_age_ms = -1;
	expect_degraded("ledger", "no validated ledger");
	E.ledger_age_ms = 0;

	H.started_ms = now - 3600000;
	E.ob.reachable = false;
	E.ob.last_success_ms = now - 10000;
	E.ob.last_failure_ms = now - 1000;
	assert_int_equal(req_status("GET", "/health"), 200);
	E.ob.last_success_ms = now - ENG_CONNECTOR_MAX_DOWN_MS - 2000;
	expect_degraded("connector", "unreachable");
	E.ob.last_success_ms = 0; /* never, since a start long ago */
	expect_degraded("connector", "never");
	H.started_ms = now - 1000; /* never, since a start just now */
	assert_int_equal(req_status("GET", "/health"), 200);
	H.started_ms = now - 3600000;
	E.ob.reachable = true;
	assert_int_equal(req_status("GET", "/health"), 200);

	E.owed_alerts = 1;
	expect_degraded("owed", "unpaid past --owed-alert");
	E.owed_alerts = 0;
	assert_int_equal(req_status("GET", "/health"), 200);
}

/* ---- the code -> status table -----------------------------------------*/

/* An error code from a message handler: 100s are 400, 200s are 503 (the
 * handler's writes undone, the rest of the batch kept); 300s fail the
 * whole batch with 500 (rolled back, a settlement in it included). */
static void test_api_code_to_status(void **state)
{
	static const struct {
		enum xu_code code;
		int status;
	} t[] = {
	    {XU_OK, 200},
	    {XU_EINVAL, 400},
	    {XU_EPARSE, 400},
	    {XU_ERANGE, 400},
	    {XU_ENOTFOUND, 400},
	    {XU_ECONFLICT, 400},
	    {XU_EBADSIG, 400},
	    {XU_ETOOBIG, 400},
	    {XU_EEXIST, 400},
	    {XU_EIO, 503},
	    {XU_ETIMEOUT, 503},
	    {XU_EUNAVAIL, 503},
	    {XU_ELEDGER_RETRY, 503},
	    {XU_EBUSY, 503},
	    {XU_ENOMEM, 500},
	    {XU_ESTORE, 500},
	    {XU_EINTERNAL, 500},
	};

	(void)state;
	eng_msgs_register(&E.types, "probe", msg_probe, &E);
	create("alice");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hd *a = conn_open(), *b = conn_open();
		char s[256], key[32];
		struct resp ra, rb;
		int n =
		    snprintf(s, sizeof(s), "{\"type\":\"probe\",\"code\":%d}",
			     (int)t[i].code);
		char req_a[512];
		bool ok = t[i].status != 500;

		snprintf(req_a, sizeof(req_a),
			 "POST /accounts/alice/messages HTTP/1.1\r\n"
			 "Content-Length: %d\r\n\r\n%s",
			 n, s);
		snprintf(key, sizeof(key), "t%zu", i);
		snprintf(s, sizeof(s),
			 "POST /accounts/alice/settlements HTTP/1.1\r\n"
			 "Idempotency-Key: %s\r\nContent-Length: 24\r\n\r\n"
			 "{\"amount\":\"1\",\"scale\":0}",
			 key);
		hd_feeds(a, req_a);
		hd_feeds(b, s);
		assert_int_equal(E.queued, 2);
		run_batch(&E);
		hd_pump(a);
		hd_pump(b);
		answer(a, 0, &ra);
		answer(b, 0, &rb);
		if (ra.status != t[i].status)
			fail_msg("%s: %d, not %d", xu_code_name(t[i].code),
				 ra.status, t[i].status);
		if (t[i].code == XU_OK) {
			assert_string_equal(ra.body, "ok");
			assert_true(
			    eng_store_account_exists(E.store, "side-effect"));
			assert_int_equal(
			    req("DELETE", "/accounts/side-effect", NULL, NULL)
				.status,
			    204);
		} else {
			problem(&ra, t[i].status, NULL);
			/* The handler's write is undone. */
			assert_false(
			    eng_store_account_exists(E.store, "side-effect"));
		}
		/* The settlement in the same batch: kept, or rolled back
		 * with it and answered 500. */
		if (rb.status != (ok ? 201 : 500))
			fail_msg("%zu %s: settle %d %s", i,
				 xu_code_name(t[i].code), rb.status, rb.body);
		resp_clear(&rb);
		assert_int_equal(owed("alice"),
				 1000000 * (uint64_t)(ok ? i + 1 : 14));
		conn_close(a);
		conn_close(b);
	}
}

/* Store errors in the apply step: not found 404, an input code 400; a
 * failing payment-channel hook fails the batch (500). */
static void test_api_store_codes(void **state)
{
	(void)state;
	expect_problem(settle("ghost", "k", "{\"amount\":\"1\",\"scale\":0}"),
		       404, "account not found");
	create("alice");
	expect_problem(settle("alice", "k",
			      "{\"amount\":\"100000000000000001\","
			      "\"scale\":6}"),
		       400, "10^17");
	E.paychan_rc = XU_ENOMEM;
	expect_problem(settle("alice", "k", "{\"amount\":\"1\",\"scale\":0}"),
		       500, "the store failed");
	expect_problem(req("POST", "/accounts", NULL, "{\"id\":\"p\"}"), 500,
		       "the store failed");
	expect_problem(req("DELETE", "/accounts/alice", NULL, NULL), 500,
		       "the store failed");
	E.paychan_rc = XU_OK;
	assert_false(eng_store_account_exists(E.store, "p"));
	assert_true(eng_store_account_exists(E.store, "alice"));
	assert_int_equal(owed("alice"), 0);
	/* The key was not kept by the rolled-back batch. */
	struct resp r = settle("alice", "k", "{\"amount\":\"2\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
}

/* ---- the admin commands (admin.c) ---- */

/* Sends line to eng_admin_handle; returns the answer (owned) after
 * checking its "ok". */
static json_t *admin(const char *line, bool ok)
{
	json_t *v = eng_admin_handle(&H, line, strlen(line));

	assert_non_null(v);
	assert_int_equal(json_is_true(json_object_get(v, "ok")), ok);
	if (!ok)
		assert_true(json_is_string(json_object_get(v, "error")));
	return v;
}

/* Malformed and unknown requests are refused with a message. */
static void test_api_admin_refusals(void **state)
{
	(void)state;
	json_decref(admin("", false));
	json_decref(admin("not json", false));
	json_decref(admin("[1]", false));
	json_decref(admin("{\"cmd\":1}", false));
	json_decref(admin("{\"cmd\":\"stop\"}", false));
	json_decref(admin("{\"cmd\":\"status\",\"cmd\":\"x\"}", false));
	json_decref(admin("{\"cmd\":\"outbox_retry\"}", false));
	json_decref(admin("{\"cmd\":\"outbox_retry\",\"id\":-1}", false));
	json_decref(admin("{\"cmd\":\"close\"}", false));
	json_decref(admin("{\"cmd\":\"channel_close\"}", false));
	json_decref(admin("{\"cmd\":\"channel_close\",\"id\":\"AB\"}", false));
	json_decref(admin("{\"cmd\":\"channel_redeem\",\"id\":7}", false));
	json_decref(admin(
	    "{\"cmd\":\"channel_redeem\",\"id\":\""
	    "ZZ0000000000000000000000000000000000000000000000000000000000000"
	    "0\"}",
	    false));
	assert_int_equal(E.closes, 0);
	assert_int_equal(E.unparked, 0);
}

/* status renders eng_api_status: version, address, checks, outbox. */
static void test_api_admin_status(void **state)
{
	json_t *v, *r;

	(void)state;
	E.ob.parked = 2;
	v = admin("{\"cmd\":\"status\"}", true);
	r = json_object_get(v, "result");
	assert_string_equal(json_string_value(json_object_get(r, "version")),
			    XRPSE_VERSION);
	assert_string_equal(json_string_value(json_object_get(r, "address")),
			    H.address);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "ok");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(r, "outbox"), "parked")),
			 2);
	assert_true(json_is_true(
	    json_object_get(json_object_get(r, "rippled"), "connected")));
	assert_string_equal(
	    json_string_value(json_object_get(r, "balance_drops")), "0");
	json_decref(v);
	E.owed_alerts = 1;
	v = admin("{\"cmd\":\"status\"}", true);
	r = json_object_get(v, "result");
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "degraded");
	assert_int_equal(json_array_size(json_object_get(r, "problems")), 1);
	json_decref(v);
}

/* accounts and channels read the store: every account, open or closed,
 * with its owed drops; no channel records yet. */
static void test_api_admin_accounts(void **state)
{
	json_t *v, *a;

	(void)state;
	create("bob");
	create("alice");
	struct resp r = settle("alice", "k", "{\"amount\":\"5\",\"scale\":0}");
	assert_int_equal(r.status, 201);
	resp_clear(&r);
	v = admin("{\"cmd\":\"accounts\"}", true);
	a = json_object_get(v, "result");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a, 0), "account")),
	    "alice");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(a, 0), "owed_drops")),
			    "5000000");
	assert_true(
	    json_is_null(json_object_get(json_array_get(a, 1), "outgoing")));
	assert_false(
	    json_is_true(json_object_get(json_array_get(a, 1), "paired")));
	json_decref(v);
	v = admin("{\"cmd\":\"channels\"}", true);
	assert_int_equal(json_array_size(json_object_get(v, "result")), 0);
	json_decref(v);
	v = admin("{\"cmd\":\"outbox\",\"parked\":true}", true);
	assert_int_equal(json_array_size(json_object_get(v, "result")), 0);
	json_decref(v);
}

/* outbox_retry unparks in a transaction of its own and wakes the outbox;
 * close refuses an unknown account and asks the service otherwise. */
static void test_api_admin_writes(void **state)
{
	(void)state;
	json_decref(admin("{\"cmd\":\"outbox_retry\",\"id\":8}", false));
	assert_int_equal(E.ticks, 0);
	json_decref(admin(
	    "{\"cmd\":\"outbox_retry\",\"id\":7,\"new_key\":true}", true));
	assert_int_equal(E.unparked, 7);
	assert_true(E.unpark_new_key);
	assert_int_equal(E.ticks, 1);
	assert_false(eng_store_in_tx(E.store));
	json_decref(admin("{\"cmd\":\"close\",\"account\":\"ghost\"}", false));
	assert_int_equal(E.closes, 0);
	create("alice");
	json_decref(admin("{\"cmd\":\"close\",\"account\":\"alice\"}", true));
	assert_int_equal(E.closes, 1);
	E.paychan_rc = XU_ECONFLICT;
	json_decref(admin("{\"cmd\":\"close\",\"account\":\"alice\"}", false));
	assert_int_equal(E.closes, 2);
	assert_int_equal(E.batch_dones, 5);
	assert_false(eng_store_in_tx(E.store));
}

/* The stage histograms of /metrics (src/util/hist.c, metrics.c): an
 * observation counts in every bucket whose bound it does not pass (a
 * bound is inclusive), weighted observations count n times, one beyond
 * the last bound only in +Inf, and the page shows seconds exactly. */
static void test_api_stage_histogram(void **state)
{
	struct xu_hist h = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	xu_hist_add(&h, 400, 1);
	xu_hist_add(&h, 1000, 1);
	xu_hist_add(&h, 1001, 2);
	xu_hist_add(&h, 2000001, 1);
	assert_int_equal(h.le[0], 1);		  /* 0.5 ms */
	assert_int_equal(h.le[1], 2);		  /* 1 ms */
	assert_int_equal(h.le[2], 4);		  /* 2 ms */
	assert_int_equal(h.le[XU_HIST_N - 1], 4); /* 1 s */
	assert_int_equal(h.count, 5);
	assert_int_equal(h.sum_us, 400 + 1000 + 2002 + 2000001);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	eng_api_stage_histogram(f, "x_seconds", "Help.", &h);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf,
			       "# HELP xrpse_x_seconds Help.\n"
			       "# TYPE xrpse_x_seconds histogram\n"
			       "xrpse_x_seconds_bucket{le=\"0.000500\"} 1\n"
			       "xrpse_x_seconds_bucket{le=\"0.001000\"} 2\n"
			       "xrpse_x_seconds_bucket{le=\"0.002000\"} 4\n"
			       "xrpse_x_seconds_bucket{le=\"0.003000\"} 4\n"
			       "xrpse_x_seconds_bucket{le=\"0.005000\"} 4\n"
			       "xrpse_x_seconds_bucket{le=\"0.007500\"} 4\n"));
	assert_non_null(strstr(buf,
			       "xrpse_x_seconds_bucket{le=\"1.000000\"} 4\n"
			       "xrpse_x_seconds_bucket{le=\"+Inf\"} 5\n"
			       "xrpse_x_seconds_sum 2.003403\n"
			       "xrpse_x_seconds_count 5\n"));
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_api_unknown_routes),
	    T(test_api_wrong_method),
	    T(test_api_head),
	    T(test_api_dev_routes),
	    T(test_api_account_id_in_path),
	    T(test_api_create_account),
	    T(test_api_create_account_bad),
	    T(test_api_content_type),
	    T(test_api_delete_account),
	    T(test_api_settle),
	    T(test_api_settle_bad_quantity),
	    T(test_api_idempotency_key),
	    T(test_api_idempotency_replay),
	    T(test_api_batch),
	    T(test_api_messages),
	    T(test_api_health),
	    T(test_api_health_checks),
	    T(test_api_code_to_status),
	    T(test_api_store_codes),
	    T(test_api_admin_refusals),
	    T(test_api_admin_status),
	    T(test_api_admin_accounts),
	    T(test_api_admin_writes),
	    cmocka_unit_test(test_api_stage_histogram),
	};

	xu_log_set_level(XU_LOG_UNUSUAL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
