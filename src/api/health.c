/* GET /health: the checks of the operator's snapshot (status.c), 200
 * when all pass, else 503 naming each failed one in "problems", plus the
 * store, the connector, rippled, the API counters, the channels and the
 * accounts with unpaid drops, as one JSON object
 * (docs/design.md#health-and-metrics). */
#include "src/api/routes.h"

#include <jansson.h>

#include "ledger/net/rippled.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"

static json_t *time_or_null(int64_t t)
{
	return t > 0 ? json_integer((json_int_t)t) : json_null();
}

/* {"account","unpaid_drops","waited_s","alert"} per account with
 * unpaid drops, appended to the array arg. */
static void owed_entry(void *arg, const char *account, struct xl_drops unpaid,
		       int64_t waited_ms, bool alerted)
{
	char drops[XL_DROPS_STRLEN + 1];

	xl_drops_fmt(drops, sizeof(drops), unpaid);
	json_array_append_new(
	    arg, json_pack("{s:s,s:s,s:I,s:b}", "account", account,
			   "unpaid_drops", drops, "waited_s",
			   (json_int_t)(waited_ms / 1000), "alert", alerted));
}

void eng_api_on_health(const struct eng_api_host *h, struct eng_http_conn *c)
{
	struct eng_status st;
	const struct eng_outbox_stats *ob = &st.outbox;
	json_t *v, *problems = json_array(), *checks = json_object(), *owed;

	eng_api_status(h, &st);
	for (int i = 0; i < ENG_NCHECKS; i++) {
		const char *name = eng_check_name((enum eng_check)i);

		json_object_set_new(
		    checks, name, json_string(st.failed[i] ? "failed" : "ok"));
		if (st.failed[i])
			json_array_append_new(
			    problems, json_pack("{s:s,s:s}", "check", name,
						"detail", st.why[i]));
	}
	v = json_pack(
	    "{s:s,s:s,s:s,s:o*,s:o*,s:{s:b},s:{s:s,s:o,s:I,s:I,s:I,s:o,s:o},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}}",
	    "status", st.ok ? "ok" : "degraded", "version", st.version,
	    "address", h->address, "checks", checks, "problems", problems,
	    "store", "ok", !st.failed[ENG_CHECK_STORE], "connector", "url",
	    h->connector_url, "reachable",
	    ob->last_success_ms == 0 && ob->last_failure_ms == 0
		? json_null()
		: json_boolean(ob->reachable),
	    "pending", (json_int_t)ob->pending, "inflight",
	    (json_int_t)ob->inflight, "parked", (json_int_t)ob->parked,
	    "last_success_ms", time_or_null(ob->last_success_ms),
	    "last_failure_ms", time_or_null(ob->last_failure_ms), "api",
	    "requests", (json_int_t)st.api.requests, "batches",
	    (json_int_t)st.api.batches, "batched_jobs",
	    (json_int_t)st.api.batched_jobs, "batch_us_avg",
	    (json_int_t)(st.api.batches ? st.api.batch_us_total / st.api.batches
					: 0),
	    "batch_us_max", (json_int_t)st.api.batch_us_max, "late_settlements",
	    (json_int_t)st.api.late_settlements, "stalled_refusals",
	    (json_int_t)st.api.stalled_refusals, "store_busy",
	    (json_int_t)st.api.store_busy, "loop_blocks",
	    (json_int_t)st.api.loop_blocks, "connections", (int)st.api.conns);
	if (v && h->rippled) {
		json_t *r = xl_rippled_health(h->rippled);

		if (r && st.ledger_age_ms >= 0)
			json_object_set_new(
			    r, "validated_ledger_age_s",
			    json_integer(
				(json_int_t)(st.ledger_age_ms / 1000)));
		json_object_set_new(v, "rippled", r ? r : json_null());
	}
	if (v && h->paychan) {
		json_object_set_new(v, "channels",
				    eng_paychan_health(h->paychan));
		owed = json_array();
		if (owed)
			eng_paychan_owed_each(h->paychan, owed_entry, owed);
		json_object_set_new(v, "owed", owed ? owed : json_null());
	}
	eng_api_reply_json(c, st.ok ? 200 : 503, v);
}
