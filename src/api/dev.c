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

void eng_api_on_dev(const struct eng_api_host *h, struct eng_http_conn *c,
		    const struct eng_http_req *r, enum route rt)
{
	json_t *body = eng_api_parse_body(c, r), *v;
	struct eng_job *job;

	if (!body)
		return;
	if (!json_is_object(body)) {
		json_decref(body);
		eng_api_problem(c, 400, NULL, "body must be a JSON object",
				NULL);
		return;
	}
	if (rt == R_DEV_FAIL) {
		v = json_object_get(body, "count");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			json_decref(body);
			eng_api_problem(c, 400, NULL,
					"count must be an integer >= 0", NULL);
			return;
		}
		h->fail_commits(h->arg, (unsigned)json_integer_value(v));
		json_decref(body);
		eng_api_reply_json(c, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (rt == R_DEV_CLOCK) {
		v = json_object_get(body, "advance_s");
		if (!json_is_integer(v)) {
			json_decref(body);
			eng_api_problem(c, 400, NULL,
					"advance_s must be an integer", NULL);
			return;
		}
		h->advance_clock(h->arg, json_integer_value(v));
		json_decref(body);
		eng_api_reply_json(
		    c, 200,
		    json_pack("{s:I}", "now", (json_int_t)h->now(h->arg)));
		return;
	}
	const char *acc = json_string_value(json_object_get(body, "account"));
	if (!acc || eng_api_account_id_problem(acc, strlen(acc))) {
		json_decref(body);
		eng_api_problem(c, 400, NULL, "bad account", NULL);
		return;
	}
	if (rt == R_DEV_CREDIT) {
		const char *d =
		    json_string_value(json_object_get(body, "drops"));
		const char *k = json_string_value(json_object_get(body, "key"));
		uint64_t drops = 0;
		struct xl_drops xd;

		if (!d || !*d || strlen(d) > 17 || !k ||
		    eng_api_idem_key_problem(k)) {
			json_decref(body);
			eng_api_problem(c, 400, NULL,
					"need drops (string) and key", NULL);
			return;
		}
		for (const char *p = d; *p; p++) {
			if (*p < '0' || *p > '9') {
				json_decref(body);
				eng_api_problem(c, 400, NULL, "bad drops",
						NULL);
				return;
			}
			drops = drops * 10 + (uint64_t)(*p - '0');
		}
		if (!xl_drops_from_u64(&xd, drops)) {
			json_decref(body);
			eng_api_problem(c, 400, NULL, "bad drops", NULL);
			return;
		}
		job = eng_api_job_new(c, ENG_JOB_DEV_CREDIT, acc);
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
			eng_api_problem(c, 400, NULL, "need body (string)",
					NULL);
			return;
		}
		job = eng_api_job_new(c, ENG_JOB_DEV_MESSAGE, acc);
		if (job) {
			job->raw_len = strlen(m);
			job->raw = malloc(job->raw_len + 1);
			if (!job->raw) {
				eng_job_free(job);
				eng_api_problem(c, 503, NULL, "out of memory",
						NULL);
			} else {
				memcpy(job->raw, m, job->raw_len + 1);
				h->submit(h->arg, job);
			}
		}
	}
	json_decref(body);
}
