/* The group-commit side of the API: applies each queued job inside the
 * batch transaction (accounts, settlements, peer messages under a
 * savepoint, the dev jobs) and fills its answer; and the built-in "ping"
 * message type. */
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

/* The one table from an error code to the answer of a job: XU_ENOTFOUND
 * from the store is the account (404), any other input code is 400, a
 * transient code 503 (the connector or the peer retries); the broken
 * codes (300s) are no answer: they fail the batch, which is answered 500.
 * A message handler's XU_ENOTFOUND names something inside the message,
 * so for messages it is 400 like other input.  Returns XU_OK when the
 * job was answered, else rc. */
static enum xu_code answer_error(struct eng_job *job, enum xu_code rc,
				 const struct xu_err *err, bool from_store)
{
	if (rc == XU_ENOTFOUND && from_store) {
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
		return answer_error(job, rc, err, true);
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
			enum xu_code prc;

			job->fresh = true;
			job->drops = res.drops;
			prc =
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
	eng_paychan_message_read(h->paychan, job->born_us);
	rc = fn(harg, job->account, job->msg, &reply, err);
	if (rc != XU_OK) {
		free(reply.body);
		if (eng_store_savepoint_undo(h->store, NULL) != XU_OK)
			return xu_fail(err, XU_ESTORE, 0,
				       "cannot undo a message handler");
		return answer_error(job, rc, err, false);
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
			return answer_error(job, rc, err, true);
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
			return answer_error(job, rc, err, true);
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
			return answer_error(job, rc, err, true);
		job->enqueued = true;
		job_json(job, 201,
			 json_pack("{s:I}", "outbox_id", (json_int_t)id));
		return XU_OK;
	case ENG_JOB_DEV_MESSAGE:
		rc = eng_outbox_enqueue_message(st, job->account, job->raw,
						job->raw_len, "dev", &id, err);
		if (rc != XU_OK)
			return answer_error(job, rc, err, true);
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
