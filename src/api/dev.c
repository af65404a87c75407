/* The test-only routes served with --dev-api: an account's owed drops
 * and leftover, moving the clock, failing commits, and queueing a credit
 * or a message by hand.  Never enabled in production. */
#include "src/api/routes.h"

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

/* --- test-only routes (--dev-api) --------------------------------------*/

void eng_api_on_dev_account(const struct eng_api_host *h,
			    struct eng_http_conn *c, const char *account)
{
	struct eng_store *st = h->store;
	struct xl_drops owed;
	struct eng_quantity left;
	char buf[XL_DROPS_STRLEN + 1];
	struct xu_err err;

	if (!eng_store_account_exists(st, account)) {
		eng_api_problem(c, 404, NULL, "account not found", NULL);
		return;
	}
	if (eng_store_owed_get(st, account, &owed, &err) != XU_OK ||
	    eng_store_leftover_get(st, account, &left, &err) != XU_OK) {
		eng_api_problem(c, 500, NULL, err.msg, NULL);
		return;
	}
	xl_drops_fmt(buf, sizeof(buf), owed);
	eng_api_reply_json(c, 200,
			   json_pack("{s:s,s:s,s:o}", "id", account,
				     "owed_drops", buf, "leftover",
				     eng_quantity_to_json(&left)));
}

/* POST /dev/fail-commits {"count": n, "stall_ms": ms (optional)}. */
static void dev_fail(const struct eng_api_host *h, struct eng_http_conn *c,
		     json_t *body)
{
	json_t *v = json_object_get(body, "count");
	json_t *st = json_object_get(body, "stall_ms");

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (st && (!json_is_integer(st) || json_integer_value(st) < 0 ||
		    json_integer_value(st) > 60000))) {
		eng_api_problem(c, 400, NULL,
				"count must be an integer >= 0, stall_ms "
				"0 to 60000",
				NULL);
		return;
	}
	h->fail_commits(h->arg, (unsigned)json_integer_value(v),
			st ? (uint32_t)json_integer_value(st) : 0);
	eng_api_reply_json(c, 200, json_pack("{s:b}", "ok", 1));
}

/* POST /dev/clock {"advance_s": n}. */
static void dev_clock(const struct eng_api_host *h, struct eng_http_conn *c,
		      json_t *body)
{
	json_t *v = json_object_get(body, "advance_s");

	if (!json_is_integer(v)) {
		eng_api_problem(c, 400, NULL, "advance_s must be an integer",
				NULL);
		return;
	}
	h->advance_clock(h->arg, json_integer_value(v));
	eng_api_reply_json(
	    c, 200, json_pack("{s:I}", "now", (json_int_t)h->now(h->arg)));
}

/* The drops of a "drops" string (1 to 17 digits, at most 10^17), or
 * false. */
static bool dev_drops(struct xl_drops *out, const char *d)
{
	uint64_t drops = 0;

	if (!d || !*d || strlen(d) > 17)
		return false;
	for (const char *p = d; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		drops = drops * 10 + (uint64_t)(*p - '0');
	}
	return xl_drops_from_u64(out, drops);
}

/* POST /dev/credit {"account", "drops", "key"}: queues a credit. */
static void dev_credit(const struct eng_api_host *h, struct eng_http_conn *c,
		       json_t *body, const char *acc)
{
	const char *d = json_string_value(json_object_get(body, "drops"));
	const char *k = json_string_value(json_object_get(body, "key"));
	struct xl_drops xd;
	struct eng_job *job;

	if (!d || !*d || !k || eng_api_idem_key_problem(k)) {
		eng_api_problem(c, 400, NULL, "need drops (string) and key",
				NULL);
		return;
	}
	if (!dev_drops(&xd, d)) {
		eng_api_problem(c, 400, NULL,
				strlen(d) > 17 ? "need drops (string) and key"
					       : "bad drops",
				NULL);
		return;
	}
	job = eng_api_job_new(c, ENG_JOB_DEV_CREDIT, acc);
	if (job) {
		job->drops = xd;
		snprintf(job->key, sizeof(job->key), "%s", k);
		h->submit(h->arg, job);
	}
}

/* POST /dev/message {"account", "body"}: queues a message. */
static void dev_message(const struct eng_api_host *h, struct eng_http_conn *c,
			json_t *body, const char *acc)
{
	const char *m = json_string_value(json_object_get(body, "body"));
	struct eng_job *job;

	if (!m) {
		eng_api_problem(c, 400, NULL, "need body (string)", NULL);
		return;
	}
	job = eng_api_job_new(c, ENG_JOB_DEV_MESSAGE, acc);
	if (!job)
		return;
	job->raw_len = strlen(m);
	job->raw = malloc(job->raw_len + 1);
	if (!job->raw) {
		eng_job_free(job);
		eng_api_problem(c, 503, NULL, "out of memory", NULL);
		return;
	}
	memcpy(job->raw, m, job->raw_len + 1);
	h->submit(h->arg, job);
}

void eng_api_on_dev(const struct eng_api_host *h, struct eng_http_conn *c,
		    const struct eng_http_req *r, enum route rt)
{
	json_t *body = eng_api_parse_body(c, r);
	const char *acc;

	if (!body)
		return;
	if (!json_is_object(body)) {
		eng_api_problem(c, 400, NULL, "body must be a JSON object",
				NULL);
	} else if (rt == R_DEV_FAIL) {
		dev_fail(h, c, body);
	} else if (rt == R_DEV_CLOCK) {
		dev_clock(h, c, body);
	} else {
		acc = json_string_value(json_object_get(body, "account"));
		if (!acc || eng_api_account_id_problem(acc, strlen(acc)))
			eng_api_problem(c, 400, NULL, "bad account", NULL);
		else if (rt == R_DEV_CREDIT)
			dev_credit(h, c, body, acc);
		else
			dev_message(h, c, body, acc);
	}
	json_decref(body);
}
