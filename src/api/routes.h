/* The API's own header, shared by its files only (routes.c: routing and
 * validation; apply.c: the group-commit side; status.c, health.c and
 * metrics.c: the operator's views; dev.c: the
 * test-only routes).  Everything else uses src/api/api.h. */
#ifndef XRPSE_SRC_API_ROUTES_H
#define XRPSE_SRC_API_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "src/api/api.h"
#include "src/io/http.h"
#include "src/util/hist.h"

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
	R_METRICS,
	R_DEV_ACCOUNT,
	R_DEV_CLOCK,
	R_DEV_CREDIT,
	R_DEV_MESSAGE,
	R_DEV_FAIL,
};

/* Answers with application/problem+json {"title","status","detail"};
 * title NULL: the status's reason phrase; extra: one more header line
 * (e.g. "Allow: POST") or NULL. */
void eng_api_problem(struct eng_http_conn *c, int status, const char *title,
		     const char *detail, const char *extra);
/* Answers with a JSON value (taken; NULL: out of memory, answered 500). */
void eng_api_reply_json(struct eng_http_conn *c, int status, json_t *v);
/* The request body as JSON (new reference), or NULL after answering
 * 415/400 itself. */
json_t *eng_api_parse_body(struct eng_http_conn *c,
			   const struct eng_http_req *r);
/* A new job of kind k for account (NULL after answering 503 when out of
 * memory). */
struct eng_job *eng_api_job_new(struct eng_http_conn *c, enum eng_job_kind k,
				const char *account);
/* Why id (len bytes) is not an account id we accept, or NULL when it
 * is one. */
const char *eng_api_account_id_problem(const char *id, size_t len);
/* Why k is not an idempotency key we accept, or NULL. */
const char *eng_api_idem_key_problem(const char *k);

/* GET /health (health.c). */
void eng_api_on_health(const struct eng_api_host *h, struct eng_http_conn *c);
/* GET /metrics (metrics.c). */
void eng_api_on_metrics(const struct eng_api_host *h, struct eng_http_conn *c);
/* Writes h to f as the Prometheus histogram family xrpse_<name> (its
 * buckets in seconds, cumulative; sum and count) (metrics.c). */
void eng_api_stage_histogram(FILE *f, const char *name, const char *help,
			     const struct xu_hist *h);
/* The --dev-api routes (dev.c). */
void eng_api_on_dev_account(const struct eng_api_host *h,
			    struct eng_http_conn *c, const char *account);
void eng_api_on_dev(const struct eng_api_host *h, struct eng_http_conn *c,
		    const struct eng_http_req *r, enum route rt);

#endif /* XRPSE_SRC_API_ROUTES_H */
