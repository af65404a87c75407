/* RFC 0038 routes: validation, immediate answers, and the jobs applied in
 * the engine's group commit (see api.h).
 *
 * Choices where the RFC is silent (settlement-api.md appendix):
 *  - Idempotency keys are global; the fingerprint is the exact (account,
 *    amount without leading zeros, scale) triple, so {"1",0} and {"100",2}
 *    conflict (409) and "007" equals "7".  A missing or empty key is 400.
 *    Keys are kept 7 days after their last use.  Errors are not cached.
 *  - Account ids: 1..128 RFC 3986 unreserved characters; a null or absent
 *    id gets a fresh UUIDv4.  An empty request body on POST /accounts counts
 *    as {}.
 *  - JSON routes accept a missing Content-Type (like interledger-rs) and
 *    any application/json (parameters such as charset ignored) or
 *    application/...+json; anything else is 415.  The messages route takes
 *    any Content-Type: its bytes must be a JSON object with a string
 *    "type" that a handler is registered for, else 400.
 */
#include "src/api/api.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger/net/rippled.h"
#include "src/io/msgs.h"
#include "src/io/uuid.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/store.h"
#include "src/util/log.h"

#define PROBLEM_CT "application/problem+json"
#define JSON_CT "application/json"
#define OCTET_CT "application/octet-stream"

enum route {
	R_NONE,
	R_ACCOUNTS,
	R_ACCOUNT,
	R_SETTLE,
	R_MESSAGES,
	R_HEALTH,
	R_DEV_ACCOUNT,
	R_DEV_CLOCK,
	R_DEV_CREDIT,
	R_DEV_MESSAGE,
	R_DEV_FAIL,
};

/* problem+json text (malloc'd) for status/title/detail. */
static char *problem_json(int status, const char *title, const char *detail,
			  size_t *len)
{
	json_t *o = json_pack("{s:s,s:i,s:s}", "title",
			      title ? title : eng_http_reason(status), "status",
			      status, "detail", detail ? detail : "");
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (!s) {
		/* Only reachable for a detail that is not UTF-8 or OOM. */
		s = malloc(96);
		if (!s) {
			*len = 0;
			return NULL;
		}
		snprintf(s, 96, "{\"title\":\"%s\",\"status\":%d}",
			 eng_http_reason(status), status);
	}
	*len = strlen(s);
	return s;
}

static void problem(struct eng_http_conn *c, int status, const char *title,
		    const char *detail, const char *extra)
{
	size_t len;
	char *s = problem_json(status, title, detail, &len);

	eng_http_reply(c, status, PROBLEM_CT, extra, s, len);
	free(s);
}

void eng_api_job_problem(struct eng_job *job, int status, const char *title,
			 const char *detail)
{
	free(job->body);
	job->status = status;
	job->ctype = PROBLEM_CT;
	job->body = problem_json(status, title, detail, &job->body_len);
}

void eng_job_free(struct eng_job *job)
{
	if (!job)
		return;
	json_decref(job->msg);
	free(job->raw);
	free(job->body);
	free(job);
}

static bool unreserved(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
	       ch == '_' || ch == '~';
}

/* NULL when id is a valid account id, else what is wrong with it. */
static const char *account_id_problem(const char *id, size_t len)
{
	if (len == 0)
		return "account id is empty";
	if (len > ENG_ACCOUNT_ID_MAX)
		return "account id is longer than 128 characters";
	for (size_t i = 0; i < len; i++)
		if (!unreserved((unsigned char)id[i]))
			return "account id may only contain the RFC 3986 "
			       "unreserved characters A-Z a-z 0-9 - . _ ~";
	return NULL;
}

/* Splits the path into a route and the account id segment (copied into
 * id; *id_len is its full length, possibly > ENG_ACCOUNT_ID_MAX). */
static enum route route_of(const char *path, bool dev, char *id, size_t *id_len)
{
	const char *rest, *slash;
	size_t n;

	*id_len = 0;
	id[0] = '\0';
	if (!strcmp(path, "/accounts"))
		return R_ACCOUNTS;
	if (!strcmp(path, "/health"))
		return R_HEALTH;
	if (dev && !strcmp(path, "/dev/clock"))
		return R_DEV_CLOCK;
	if (dev && !strcmp(path, "/dev/credit"))
		return R_DEV_CREDIT;
	if (dev && !strcmp(path, "/dev/message"))
		return R_DEV_MESSAGE;
	if (dev && !strcmp(path, "/dev/fail-commits"))
		return R_DEV_FAIL;
	if (!strncmp(path, "/accounts/", 10))
		rest = path + 10;
	else if (dev && !strncmp(path, "/dev/accounts/", 14))
		rest = path + 14;
	else
		return R_NONE;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0)
		return R_NONE;
	*id_len = n;
	memcpy(id, rest, n > ENG_ACCOUNT_ID_MAX ? ENG_ACCOUNT_ID_MAX : n);
	id[n > ENG_ACCOUNT_ID_MAX ? ENG_ACCOUNT_ID_MAX : n] = '\0';
	if (rest == path + 14)
		return slash ? R_NONE : R_DEV_ACCOUNT;
	if (!slash)
		return R_ACCOUNT;
	if (!strcmp(slash, "/settlements"))
		return R_SETTLE;
	if (!strcmp(slash, "/messages"))
		return R_MESSAGES;
	return R_NONE;
}

/* JSON routes: a missing Content-Type is accepted; else the media type
 * (before any ';') must be application/json or application/...+json. */
static bool json_ctype_ok(const char *ct)
{
	size_t n;

	if (!ct)
		return true;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 16 && !strncasecmp(ct, "application/json", 16))
		return true;
	if (n > 17 && !strncasecmp(ct, "application/", 12) &&
	    !strncasecmp(ct + n - 5, "+json", 5))
		return true;
	return false;
}

/* Parses the body as JSON; on failure answers 400 and returns NULL. */
static json_t *parse_body(struct eng_http_conn *c, const struct eng_http_req *r)
{
	json_error_t je;
	json_t *v;
	char msg[240];

	v = json_loadb((const char *)r->body, r->body_len,
		       JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		snprintf(msg, sizeof(msg), "malformed JSON: %s", je.text);
		problem(c, 400, NULL, msg, NULL);
	}
	return v;
}

static struct eng_job *job_new(struct eng_http_conn *c, enum eng_job_kind k,
			       const char *account)
{
	struct eng_job *job = calloc(1, sizeof(*job));

	if (!job) {
		problem(c, 503, NULL, "out of memory", NULL);
		return NULL;
	}
	job->conn = c;
	job->kind = k;
	if (account)
		snprintf(job->account, sizeof(job->account), "%s", account);
	return job;
}

static void on_create_account(const struct eng_api_host *h,
			      struct eng_http_conn *c,
			      const struct eng_http_req *r)
{
	json_t *body, *id;
	char fresh[ENG_UUID_STRLEN];
	const char *acc, *bad;
	struct eng_job *job;

	if (!json_ctype_ok(r->content_type)) {
		problem(c, 415, NULL, "Content-Type must be application/json",
			NULL);
		return;
	}
	if (r->body_len == 0) {
		body = json_object();
	} else {
		body = parse_body(c, r);
		if (!body)
			return;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		problem(c, 400, NULL, "body must be a JSON object", NULL);
		return;
	}
	id = json_object_get(body, "id");
	if (!id || json_is_null(id)) {
		eng_uuid4(fresh);
		acc = fresh;
	} else if (!json_is_string(id)) {
		json_decref(body);
		problem(c, 400, NULL, "id must be a string or null", NULL);
		return;
	} else {
		acc = json_string_value(id);
		bad = account_id_problem(acc, json_string_length(id));
		if (!bad && strlen(acc) != json_string_length(id))
			bad = "account id contains a NUL character";
		if (bad) {
			json_decref(body);
			problem(c, 400, NULL, bad, NULL);
			return;
		}
	}
	job = job_new(c, ENG_JOB_ACCOUNT_CREATE, acc);
	json_decref(body);
	if (job)
		h->submit(h->arg, job);
}

/* NULL when the Idempotency-Key is acceptable, else what is wrong. */
static const char *idem_key_problem(const char *k)
{
	size_t n;

	if (!k)
		return "missing Idempotency-Key header";
	n = strlen(k);
	if (n == 0)
		return "empty Idempotency-Key header";
	if (n > ENG_IDEM_KEY_MAX)
		return "Idempotency-Key longer than 255 characters";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e)
			return "Idempotency-Key must be printable ASCII";
	return NULL;
}

static void on_settle(const struct eng_api_host *h, struct eng_http_conn *c,
		      const struct eng_http_req *r, const char *account)
{
	struct eng_quantity q;
	struct xu_err err;
	const char *bad;
	json_t *body;
	struct eng_job *job;

	if (!json_ctype_ok(r->content_type)) {
		problem(c, 415, NULL, "Content-Type must be application/json",
			NULL);
		return;
	}
	body = parse_body(c, r);
	if (!body)
		return;
	if (eng_quantity_parse_json(&q, body, &err) != XU_OK) {
		json_decref(body);
		problem(c, 400, NULL, err.msg, NULL);
		return;
	}
	json_decref(body);
	bad = idem_key_problem(r->idem_key);
	if (bad) {
		problem(c, 400, NULL, bad, NULL);
		return;
	}
	job = job_new(c, ENG_JOB_SETTLE, account);
	if (!job)
		return;
	job->q = q;
	snprintf(job->key, sizeof(job->key), "%s", r->idem_key);
	h->submit(h->arg, job);
}

static void on_message(const struct eng_api_host *h, struct eng_http_conn *c,
		       const struct eng_http_req *r, const char *account)
{
	json_error_t je;
	json_t *msg, *type;
	void *harg;
	struct eng_job *job;

	if (r->body_len == 0) {
		problem(c, 400, NULL, "empty message", NULL);
		return;
	}
	msg = json_loadb((const char *)r->body, r->body_len,
			 JSON_REJECT_DUPLICATES, &je);
	type = msg ? json_object_get(msg, "type") : NULL;
	if (!json_is_object(msg) || !json_is_string(type)) {
		json_decref(msg);
		problem(c, 400, NULL,
			"message is not a JSON object with a string \"type\"",
			NULL);
		return;
	}
	if (!eng_msgs_lookup(h->msgs, json_string_value(type), &harg)) {
		json_decref(msg);
		problem(c, 400, NULL, "unknown message type", NULL);
		return;
	}
	job = job_new(c, ENG_JOB_MESSAGE, account);
	if (!job) {
		json_decref(msg);
		return;
	}
	job->msg = msg;
	h->submit(h->arg, job);
}

/* Replies with a JSON value (taken) and status. */
static void reply_json(struct eng_http_conn *c, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	if (!s) {
		problem(c, 500, NULL, "out of memory", NULL);
		return;
	}
	eng_http_reply(c, status, JSON_CT, NULL, s, strlen(s));
	free(s);
}

static json_t *time_or_null(int64_t t)
{
	return t > 0 ? json_integer((json_int_t)t) : json_null();
}

static void on_health(const struct eng_api_host *h, struct eng_http_conn *c)
{
	struct eng_api_stats st;
	struct eng_outbox_stats ob = {0};
	struct xu_err err;
	bool store_ok = eng_store_usable(h->store);
	json_t *v;

	h->stats(h->arg, &st);
	if (eng_outbox_stats(h->outbox, &ob, &err) != XU_OK)
		store_ok = false;
	v = json_pack(
	    "{s:s,s:s,s:{s:b},s:{s:s,s:o,s:I,s:I,s:I,s:o,s:o},"
	    "s:o,s:{s:I,s:I,s:I,s:I,s:I,s:i}}",
	    "status", store_ok ? "ok" : "degraded", "address", h->address,
	    "store", "ok", store_ok, "connector", "url", h->connector_url,
	    "reachable",
	    ob.last_success_ms == 0 && ob.last_failure_ms == 0
		? json_null()
		: json_boolean(ob.reachable),
	    "pending", (json_int_t)ob.pending, "inflight",
	    (json_int_t)ob.inflight, "parked", (json_int_t)ob.parked,
	    "last_success_ms", time_or_null(ob.last_success_ms),
	    "last_failure_ms", time_or_null(ob.last_failure_ms), "rippled",
	    xl_rippled_health(h->rippled), "api", "requests",
	    (json_int_t)st.requests, "batches", (json_int_t)st.batches,
	    "batched_jobs", (json_int_t)st.batched_jobs, "batch_us_avg",
	    (json_int_t)(st.batches ? st.batch_us_total / st.batches : 0),
	    "batch_us_max", (json_int_t)st.batch_us_max, "connections",
	    (int)st.conns);
	if (v && h->paychan)
		json_object_set_new(v, "channels",
				    eng_paychan_health(h->paychan));
	reply_json(c, store_ok ? 200 : 503, v);
}

/* --- test-only routes (--dev-api) --------------------------------------*/

static void on_dev_account(const struct eng_api_host *h,
			   struct eng_http_conn *c, const char *account)
{
	struct eng_store *st = h->store;
	struct xl_drops owed;
	struct eng_quantity left;
	char buf[XL_DROPS_STRLEN + 1];
	struct xu_err err;

	if (!eng_store_account_exists(st, account)) {
		problem(c, 404, NULL, "account not found", NULL);
		return;
	}
	if (eng_store_owed_get(st, account, &owed, &err) != XU_OK ||
	    eng_store_leftover_get(st, account, &left, &err) != XU_OK) {
		problem(c, 500, NULL, err.msg, NULL);
		return;
	}
	xl_drops_fmt(buf, sizeof(buf), owed);
	reply_json(c, 200,
		   json_pack("{s:s,s:s,s:o}", "id", account, "owed_drops", buf,
			     "leftover", eng_quantity_to_json(&left)));
}

static void on_dev(const struct eng_api_host *h, struct eng_http_conn *c,
		   const struct eng_http_req *r, enum route rt)
{
	json_t *body = parse_body(c, r), *v;
	struct eng_job *job;

	if (!body)
		return;
	if (!json_is_object(body)) {
		json_decref(body);
		problem(c, 400, NULL, "body must be a JSON object", NULL);
		return;
	}
	if (rt == R_DEV_FAIL) {
		v = json_object_get(body, "count");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			json_decref(body);
			problem(c, 400, NULL, "count must be an integer >= 0",
				NULL);
			return;
		}
		h->fail_commits(h->arg, (unsigned)json_integer_value(v));
		json_decref(body);
		reply_json(c, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (rt == R_DEV_CLOCK) {
		v = json_object_get(body, "advance_s");
		if (!json_is_integer(v)) {
			json_decref(body);
			problem(c, 400, NULL, "advance_s must be an integer",
				NULL);
			return;
		}
		h->advance_clock(h->arg, json_integer_value(v));
		json_decref(body);
		reply_json(
		    c, 200,
		    json_pack("{s:I}", "now", (json_int_t)h->now(h->arg)));
		return;
	}
	const char *acc = json_string_value(json_object_get(body, "account"));
	if (!acc || account_id_problem(acc, strlen(acc))) {
		json_decref(body);
		problem(c, 400, NULL, "bad account", NULL);
		return;
	}
	if (rt == R_DEV_CREDIT) {
		const char *d =
		    json_string_value(json_object_get(body, "drops"));
		const char *k = json_string_value(json_object_get(body, "key"));
		uint64_t drops = 0;
		struct xl_drops xd;

		if (!d || !*d || strlen(d) > 17 || !k || idem_key_problem(k)) {
			json_decref(body);
			problem(c, 400, NULL, "need drops (string) and key",
				NULL);
			return;
		}
		for (const char *p = d; *p; p++) {
			if (*p < '0' || *p > '9') {
				json_decref(body);
				problem(c, 400, NULL, "bad drops", NULL);
				return;
			}
			drops = drops * 10 + (uint64_t)(*p - '0');
		}
		if (!xl_drops_from_u64(&xd, drops)) {
			json_decref(body);
			problem(c, 400, NULL, "bad drops", NULL);
			return;
		}
		job = job_new(c, ENG_JOB_DEV_CREDIT, acc);
		if (job) {
			job->drops = xd;
			snprintf(job->key, sizeof(job->key), "%s", k);
			h->submit(h->arg, job);
		}
	} else {
		const char *m =
		    json_string_value(json_object_get(body, "body"));

		if (!m) {
			json_decref(body);
			problem(c, 400, NULL, "need body (string)", NULL);
			return;
		}
		job = job_new(c, ENG_JOB_DEV_MESSAGE, acc);
		if (job) {
			job->raw_len = strlen(m);
			job->raw = malloc(job->raw_len + 1);
			if (!job->raw) {
				eng_job_free(job);
				problem(c, 503, NULL, "out of memory", NULL);
			} else {
				memcpy(job->raw, m, job->raw_len + 1);
				h->submit(h->arg, job);
			}
		}
	}
	json_decref(body);
}

void eng_api_on_request(void *arg, struct eng_http_conn *c,
			const struct eng_http_req *r)
{
	const struct eng_api_host *h = arg;
	char id[ENG_ACCOUNT_ID_MAX + 1];
	size_t id_len;
	enum route rt = route_of(r->path, h->dev_api, id, &id_len);
	const char *allow = NULL, *bad;
	enum eng_http_method want = ENG_HTTP_POST;

	switch (rt) {
	case R_NONE:
		problem(c, 404, NULL, "no such route", NULL);
		return;
	case R_ACCOUNTS:
	case R_SETTLE:
	case R_MESSAGES:
	case R_DEV_CLOCK:
	case R_DEV_CREDIT:
	case R_DEV_MESSAGE:
	case R_DEV_FAIL:
		allow = "Allow: POST\r\n";
		break;
	case R_ACCOUNT:
		want = ENG_HTTP_DELETE;
		allow = "Allow: DELETE\r\n";
		break;
	case R_HEALTH:
	case R_DEV_ACCOUNT:
		want = ENG_HTTP_GET;
		allow = "Allow: GET\r\n";
		break;
	}
	if (r->method != want) {
		problem(c, 405, NULL, "method not allowed on this route",
			allow);
		return;
	}
	if (id_len) {
		bad = id_len > ENG_ACCOUNT_ID_MAX
			  ? "account id is longer than 128 characters"
			  : account_id_problem(id, id_len);
		if (bad) {
			problem(c, 400, NULL, bad, NULL);
			return;
		}
	}
	switch (rt) {
	case R_NONE:
		return;
	case R_ACCOUNTS:
		on_create_account(h, c, r);
		return;
	case R_ACCOUNT: {
		struct eng_job *job = job_new(c, ENG_JOB_ACCOUNT_DELETE, id);

		if (job)
			h->submit(h->arg, job);
		return;
	}
	case R_SETTLE:
		on_settle(h, c, r, id);
		return;
	case R_MESSAGES:
		on_message(h, c, r, id);
		return;
	case R_HEALTH:
		on_health(h, c);
		return;
	case R_DEV_ACCOUNT:
		on_dev_account(h, c, id);
		return;
	case R_DEV_CLOCK:
	case R_DEV_CREDIT:
	case R_DEV_MESSAGE:
	case R_DEV_FAIL:
		on_dev(h, c, r, rt);
		return;
	}
}

/* --- group-commit side --------------------------------------------------*/

static void job_json(struct eng_job *job, int status, json_t *v)
{
	free(job->body);
	job->body =
	    v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(v);
	job->status = status;
	job->ctype = JSON_CT;
	job->body_len = job->body ? strlen(job->body) : 0;
}

/* Maps a store error to an answer; returns the code to pass up (only
 * broken codes fail the batch). */
static enum xu_code input_error(struct eng_job *job, enum xu_code rc,
				const struct xu_err *err)
{
	if (rc == XU_ENOTFOUND) {
		eng_api_job_problem(job, 404, NULL, "account not found");
		return XU_OK;
	}
	if (xu_code_is_input(rc)) {
		eng_api_job_problem(job, 400, NULL, err->msg);
		return XU_OK;
	}
	if (xu_code_is_transient(rc)) {
		eng_api_job_problem(job, 503, NULL, err->msg);
		return XU_OK;
	}
	return rc;
}

static enum xu_code apply_settle(const struct eng_api_host *h,
				 struct eng_job *job, struct xu_err *err)
{
	struct eng_settle_result res;
	enum xu_code rc;

	rc = eng_store_settle(h->store, job->account, job->key, &job->q,
			      h->now(h->arg), &res, err);
	if (rc != XU_OK)
		return input_error(job, rc, err);
	switch (res.kind) {
	case ENG_SETTLE_NEW:
	case ENG_SETTLE_REPLAY:
		free(job->body);
		job->status = res.status;
		job->ctype = res.status < 300 ? JSON_CT : PROBLEM_CT;
		job->body_len = res.body_len;
		job->body = malloc(job->body_len + 1);
		if (!job->body)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		memcpy(job->body, res.body, job->body_len);
		job->body[job->body_len] = '\0';
		if (res.kind == ENG_SETTLE_NEW) {
			enum xu_code prc =
			    eng_paychan_settled(h->paychan, job->account, err);

			if (prc != XU_OK)
				return prc;
		}
		if (res.kind == ENG_SETTLE_NEW && xu_log_enabled(XU_LOG_DEBUG))
			xu_debug("api", "settle %s: +%llu drops owed",
				 job->account,
				 (unsigned long long)xl_drops_u64(res.drops));
		return XU_OK;
	case ENG_SETTLE_CONFLICT:
		eng_api_job_problem(job, 409, "Idempotency Error",
				    "Provided idempotency key is tied to other "
				    "input");
		return XU_OK;
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad settle result");
}

static enum xu_code apply_message(const struct eng_api_host *h,
				  struct eng_job *job, struct xu_err *err)
{
	const char *type = json_string_value(json_object_get(job->msg, "type"));
	struct eng_msg_reply reply = {.status = 201};
	void *harg;
	eng_msg_fn fn = eng_msgs_lookup(h->msgs, type, &harg);
	enum xu_code rc;

	if (!eng_store_account_exists(h->store, job->account)) {
		eng_api_job_problem(job, 404, NULL, "account not found");
		return XU_OK;
	}
	if (!fn) {
		eng_api_job_problem(job, 400, NULL, "unknown message type");
		return XU_OK;
	}
	rc = eng_store_savepoint(h->store, err);
	if (rc)
		return rc;
	rc = fn(harg, job->account, job->msg, &reply, err);
	if (rc != XU_OK) {
		free(reply.body);
		if (eng_store_savepoint_undo(h->store, NULL) != XU_OK)
			return xu_fail(err, XU_ESTORE, 0,
				       "cannot undo a message handler");
		if (xu_code_is_input(rc)) {
			eng_api_job_problem(job, 400, NULL, err->msg);
			return XU_OK;
		}
		if (xu_code_is_transient(rc)) {
			eng_api_job_problem(job, 503, NULL, err->msg);
			return XU_OK;
		}
		return rc;
	}
	rc = eng_store_savepoint_release(h->store, err);
	if (rc) {
		free(reply.body);
		return rc;
	}
	free(job->body);
	job->status = reply.status;
	job->ctype = OCTET_CT;
	job->body = reply.body;
	job->body_len = reply.len;
	return XU_OK;
}

enum xu_code eng_api_apply(const struct eng_api_host *h, struct eng_job *job,
			   struct xu_err *err)
{
	struct eng_store *st = h->store;
	enum xu_code rc;
	bool created;
	int64_t id;

	switch (job->kind) {
	case ENG_JOB_ACCOUNT_CREATE:
		rc = eng_store_account_create(st, job->account, &created, err);
		if (rc != XU_OK)
			return input_error(job, rc, err);
		if (created)
			xu_info("api", "account %s created", job->account);
		rc = eng_paychan_account_created(h->paychan, job->account, err);
		if (rc != XU_OK)
			return rc;
		job_json(job, 201, json_pack("{s:s}", "id", job->account));
		return job->body ? XU_OK
				 : xu_fail(err, XU_ENOMEM, 0, "out of memory");
	case ENG_JOB_ACCOUNT_DELETE:
		rc = eng_store_account_delete(st, job->account, err);
		if (rc != XU_OK)
			return input_error(job, rc, err);
		xu_info("api", "account %s deleted", job->account);
		rc = eng_paychan_account_deleted(h->paychan, job->account, err);
		if (rc != XU_OK)
			return rc;
		job->status = 204;
		job->ctype = NULL;
		return XU_OK;
	case ENG_JOB_SETTLE:
		return apply_settle(h, job, err);
	case ENG_JOB_MESSAGE:
		return apply_message(h, job, err);
	case ENG_JOB_DEV_CREDIT:
		rc = eng_outbox_enqueue_credit(st, job->account, job->drops,
					       job->key, &id, err);
		if (rc != XU_OK)
			return input_error(job, rc, err);
		job->enqueued = true;
		job_json(job, 201,
			 json_pack("{s:I}", "outbox_id", (json_int_t)id));
		return XU_OK;
	case ENG_JOB_DEV_MESSAGE:
		rc = eng_outbox_enqueue_message(st, job->account, job->raw,
						job->raw_len, "dev", &id, err);
		if (rc != XU_OK)
			return input_error(job, rc, err);
		job->enqueued = true;
		job_json(job, 201,
			 json_pack("{s:I}", "outbox_id", (json_int_t)id));
		return XU_OK;
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad job kind");
}

/* The built-in "ping" message: answers {"type":"pong"}. */
static enum xu_code msg_ping(void *arg, const char *account, json_t *msg,
			     struct eng_msg_reply *reply, struct xu_err *err)
{
	static const char pong[] = "{\"type\":\"pong\"}";

	(void)arg;
	(void)account;
	(void)msg;
	reply->body = malloc(sizeof(pong));
	if (!reply->body)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	memcpy(reply->body, pong, sizeof(pong));
	reply->len = sizeof(pong) - 1;
	reply->status = 201;
	return XU_OK;
}

void eng_api_register_builtin(struct eng_msgs *msgs)
{
	eng_msgs_register(msgs, "ping", msg_ping, NULL);
}
