/* GET /health: the store, the connector, rippled, the API counters and
 * the channels, as one JSON object; 200 while the store answers, else
 * 503. */
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

static json_t *time_or_null(int64_t t)
{
	return t > 0 ? json_integer((json_int_t)t) : json_null();
}

void eng_api_on_health(const struct eng_api_host *h, struct eng_http_conn *c)
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
	    "s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}}",
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
	    "batch_us_max", (json_int_t)st.batch_us_max, "late_settlements",
	    (json_int_t)st.late_settlements, "stalled_refusals",
	    (json_int_t)st.stalled_refusals, "connections", (int)st.conns);
	if (v && h->paychan)
		json_object_set_new(v, "channels",
				    eng_paychan_health(h->paychan));
	eng_api_reply_json(c, store_ok ? 200 : 503, v);
}
