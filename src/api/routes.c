/* RFC 0038 routes: validation and immediate answers; valid mutating
 * requests become jobs applied in the engine's group commit (apply.c,
 * see api.h).
 *
 * Choices where the RFC is silent (all of them in
 * docs/api.md#decisions-where-rfc-0038-is-silent-or-ambiguous):
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
#include "src/api/routes.h"
#include "src/io/clock.h"
#include "src/io/msgs.h"
#include "src/io/uuid.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/store.h"
#include "src/util/log.h"

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

void eng_api_problem(struct eng_http_conn *c, int status, const char *title,
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
const char *eng_api_account_id_problem(const char *id, size_t len)
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
	if (!strcmp(path, "/metrics"))
		return R_METRICS;
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
json_t *eng_api_parse_body(struct eng_http_conn *c,
			   const struct eng_http_req *r)
{
	json_error_t je;
	json_t *v;
	char msg[240];

	v = json_loadb((const char *)r->body, r->body_len,
		       JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		snprintf(msg, sizeof(msg), "malformed JSON: %s", je.text);
		eng_api_problem(c, 400, NULL, msg, NULL);
	}
	return v;
}

struct eng_job *eng_api_job_new(struct eng_http_conn *c, enum eng_job_kind k,
				const char *account)
{
	struct eng_job *job = calloc(1, sizeof(*job));

	if (!job) {
		eng_api_problem(c, 503, NULL, "out of memory", NULL);
		return NULL;
	}
	job->conn = c;
	job->kind = k;
	job->born_us = eng_mono_us();
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
		eng_api_problem(c, 415, NULL,
				"Content-Type must be application/json", NULL);
		return;
	}
	if (r->body_len == 0) {
		body = json_object();
	} else {
		body = eng_api_parse_body(c, r);
		if (!body)
			return;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		eng_api_problem(c, 400, NULL, "body must be a JSON object",
				NULL);
		return;
	}
	id = json_object_get(body, "id");
	if (!id || json_is_null(id)) {
		eng_uuid4(fresh);
		acc = fresh;
	} else if (!json_is_string(id)) {
		json_decref(body);
		eng_api_problem(c, 400, NULL, "id must be a string or null",
				NULL);
		return;
	} else {
		acc = json_string_value(id);
		bad = eng_api_account_id_problem(acc, json_string_length(id));
		if (!bad && strlen(acc) != json_string_length(id))
			bad = "account id contains a NUL character";
		if (bad) {
			json_decref(body);
			eng_api_problem(c, 400, NULL, bad, NULL);
			return;
		}
	}
	job = eng_api_job_new(c, ENG_JOB_ACCOUNT_CREATE, acc);
	json_decref(body);
	if (job)
		h->submit(h->arg, job);
}

/* NULL when the Idempotency-Key is acceptable, else what is wrong. */
const char *eng_api_idem_key_problem(const char *k)
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
		eng_api_problem(c, 415, NULL,
				"Content-Type must be application/json", NULL);
		return;
	}
	body = eng_api_parse_body(c, r);
	if (!body)
		return;
	if (eng_quantity_parse_json(&q, body, &err) != XU_OK) {
		json_decref(body);
		eng_api_problem(c, 400, NULL, err.msg, NULL);
		return;
	}
	json_decref(body);
	bad = eng_api_idem_key_problem(r->idem_key);
	if (bad) {
		eng_api_problem(c, 400, NULL, bad, NULL);
		return;
	}
	/* Read behind a stalled commit, it may have waited past the
	 * connector's timeout: refused, never applied late. */
	if (h->store_stalled && h->store_stalled(h->arg)) {
		eng_api_problem(c, 503, NULL,
				"the store was stalled; nothing was done, "
				"retry",
				NULL);
		return;
	}
	job = eng_api_job_new(c, ENG_JOB_SETTLE, account);
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
		eng_api_problem(c, 400, NULL, "empty message", NULL);
		return;
	}
	msg = json_loadb((const char *)r->body, r->body_len,
			 JSON_REJECT_DUPLICATES, &je);
	type = msg ? json_object_get(msg, "type") : NULL;
	if (!json_is_object(msg) || !json_is_string(type)) {
		json_decref(msg);
		eng_api_problem(
		    c, 400, NULL,
		    "message is not a JSON object with a string \"type\"",
		    NULL);
		return;
	}
	if (!eng_msgs_lookup(h->msgs, json_string_value(type), &harg)) {
		json_decref(msg);
		eng_api_problem(c, 400, NULL, "unknown message type", NULL);
		return;
	}
	job = eng_api_job_new(c, ENG_JOB_MESSAGE, account);
	if (!job) {
		json_decref(msg);
		return;
	}
	job->msg = msg;
	h->submit(h->arg, job);
}

/* Replies with a JSON value (taken) and status. */
void eng_api_reply_json(struct eng_http_conn *c, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	if (!s) {
		eng_api_problem(c, 500, NULL, "out of memory", NULL);
		return;
	}
	eng_http_reply(c, status, JSON_CT, NULL, s, strlen(s));
	free(s);
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
		eng_api_problem(c, 404, NULL, "no such route", NULL);
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
	case R_METRICS:
	case R_DEV_ACCOUNT:
		want = ENG_HTTP_GET;
		allow = "Allow: GET\r\n";
		break;
	}
	if (r->method != want) {
		eng_api_problem(c, 405, NULL,
				"method not allowed on this route", allow);
		return;
	}
	if (id_len) {
		bad = id_len > ENG_ACCOUNT_ID_MAX
			  ? "account id is longer than 128 characters"
			  : eng_api_account_id_problem(id, id_len);
		if (bad) {
			eng_api_problem(c, 400, NULL, bad, NULL);
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
		struct eng_job *job =
		    eng_api_job_new(c, ENG_JOB_ACCOUNT_DELETE, id);

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
		eng_api_on_health(h, c);
		return;
	case R_METRICS:
		eng_api_on_metrics(h, c);
		return;
	case R_DEV_ACCOUNT:
		eng_api_on_dev_account(h, c, id);
		return;
	case R_DEV_CLOCK:
	case R_DEV_CREDIT:
	case R_DEV_MESSAGE:
	case R_DEV_FAIL:
		eng_api_on_dev(h, c, r, rt);
		return;
	}
}
