/* GET /metrics: the operator's snapshot (status.c) in the Prometheus
 * text exposition format 0.0.4, every name prefixed xrpse_, each family
 * with its HELP and TYPE lines.  Labels take a few fixed values only
 * (no account or channel ids), so the series stay bounded.  The list,
 * with what each one means, is in README.md ("Metrics").  The same page
 * is served alone on the --metrics-listen listener, when there is one
 * (eng_api_on_metrics_request). */
#include "src/api/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel/channel.h"

#define METRICS_CT "text/plain; version=0.0.4; charset=utf-8"

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP xrpse_%s %s\n# TYPE xrpse_%s %s\n", name, help, name,
		type);
}

/* One family of a single sample without labels. */
static void one(FILE *f, const char *name, const char *type, const char *help,
		uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "xrpse_%s %llu\n", name, (unsigned long long)v);
}

static void drops(FILE *f, const char *name, const char *help,
		  struct xl_drops d)
{
	one(f, name, "gauge", help, xl_drops_u64(d));
}

/* Microseconds as seconds, exactly. */
static void secs(FILE *f, uint64_t us)
{
	fprintf(f, "%llu.%06llu", (unsigned long long)(us / 1000000),
		(unsigned long long)(us % 1000000));
}

/* A histogram of n buckets: le[i] observations at most bounds_us[i]
 * (cumulative), count in all, summing sum_us. */
static void buckets(FILE *f, const char *name, const char *help, int n,
		    const uint64_t *bounds_us, const uint64_t *le,
		    uint64_t count, uint64_t sum_us)
{
	family(f, name, "histogram", help);
	for (int i = 0; i < n; i++) {
		fprintf(f, "xrpse_%s_bucket{le=\"", name);
		secs(f, bounds_us[i]);
		fprintf(f, "\"} %llu\n", (unsigned long long)le[i]);
	}
	fprintf(f, "xrpse_%s_bucket{le=\"+Inf\"} %llu\n", name,
		(unsigned long long)count);
	fprintf(f, "xrpse_%s_sum ", name);
	secs(f, sum_us);
	fprintf(f, "\nxrpse_%s_count %llu\n", name, (unsigned long long)count);
}

static void histogram(FILE *f, const char *name, const char *help,
		      const struct eng_hist *h)
{
	buckets(f, name, help, ENG_HIST_N, eng_hist_bounds_us, h->le, h->count,
		h->sum_us);
}

void eng_api_stage_histogram(FILE *f, const char *name, const char *help,
			     const struct xu_hist *h)
{
	buckets(f, name, help, XU_HIST_N, xu_hist_bounds_us, h->le, h->count,
		h->sum_us);
}

static void api_metrics(FILE *f, const struct eng_status *st)
{
	const struct eng_api_stats *a = &st->api;

	family(f, "build_info", "gauge", "The running build: always 1.");
	fprintf(f, "xrpse_build_info{version=\"%s\"} 1\n", st->version);
	one(f, "settlements_received_total", "counter",
	    "Settlement requests answered (any status).", a->settlements);
	one(f, "settlements_acknowledged_total", "counter",
	    "Settlement requests answered 201 (replays included).",
	    a->settlements_acked);
	one(f, "settled_drops_total", "counter",
	    "Drops new settlements added to what we owe our peers.",
	    a->settled_drops);
	histogram(f, "settlement_answer_seconds",
		  "From reading a settlement request to queuing its answer "
		  "(after the commit).",
		  &a->settle_us);
	histogram(f, "message_answer_seconds",
		  "From reading a peer's message (relayed by the connector) "
		  "to queuing its answer (after the commit).",
		  &a->message_us);
	const struct {
		const char *name, *help;
		uint64_t v;
	} stalls[] = {
	    {"settlements_late_total",
	     "Settlements answered more than 1 s after their request was "
	     "read (the connector may have given up on them).",
	     a->late_settlements},
	    {"settlements_refused_stalled_total",
	     "Settlements answered 503 at once, nothing applied, because the "
	     "store or the loop was stalled.",
	     a->stalled_refusals},
	    {"store_busy_total",
	     "Batches answered 503 because another process held the store's "
	     "write lock.",
	     a->store_busy},
	    {"loop_blocks_total",
	     "Times the loop thread was held more than 1 s outside the group "
	     "commit.",
	     a->loop_blocks},
	};

	for (size_t i = 0; i < sizeof(stalls) / sizeof(stalls[0]); i++)
		one(f, stalls[i].name, "counter", stalls[i].help, stalls[i].v);
	one(f, "api_requests_total", "counter", "HTTP requests read.",
	    a->requests);
	one(f, "store_commit_failures_total", "counter",
	    "Batches the store failed to commit (answered 500).",
	    a->commit_failures);
	histogram(f, "store_commit_seconds",
		  "The group commit of each batch of requests (the WAL's "
		  "fsync with it): the event loop serves nothing else "
		  "meanwhile.",
		  &a->commit_us);
}

static void channel_metrics(FILE *f, const struct eng_status *st)
{
	const struct eng_paychan_status *p = &st->pc;
	const struct eng_paychan_stats *s = &p->stats;

	one(f, "credited_drops_total", "counter",
	    "Drops of accepted claims credited to our connector (queued).",
	    s->credits_drops);
	one(f, "paid_drops_total", "counter",
	    "Drops moved from what we owe into signed claims.", s->paid_drops);
	one(f, "claims_signed_total", "counter", "Claims we signed.",
	    s->claims_signed);
	one(f, "claims_beside_total", "counter",
	    "Claims sent beside an attempt late for its link (adaptive "
	    "stall).",
	    s->claims_beside);
	one(f, "claims_sent_total", "counter",
	    "Claim attempts handed to the outbox (repeats included).",
	    s->claims_sent);
	one(f, "claims_waited_total", "counter",
	    "Times a claim found every call to the connector taken (it then "
	    "waits for one to end).",
	    s->claims_waited);
	family(f, "claims_received_total", "counter",
	       "Claims from peers answered, by result: accepted or the "
	       "reason of the refusal.");
	fprintf(f, "xrpse_claims_received_total{result=\"accepted\"} %llu\n",
		(unsigned long long)s->claims_accepted);
	for (int r = 1; r < PC_REJ_COUNT; r++)
		fprintf(f, "xrpse_claims_received_total{result=\"%s\"} %llu\n",
			pc_reject_name((enum pc_reject)r),
			(unsigned long long)s->claims_refused[r]);
	eng_api_stage_histogram(
	    f, "settlement_handoff_seconds",
	    "From a settlement acknowledged to the connector to the first "
	    "claim of its account handed to the outbox after it.",
	    &s->handoff);
	eng_api_stage_histogram(
	    f, "claim_round_trip_seconds",
	    "From a claim handed to the outbox to the peer's claim_reply "
	    "(both connectors and the peer engine).",
	    &s->claim_rtt);
	eng_api_stage_histogram(
	    f, "claim_credit_seconds",
	    "From a peer's claim message read to our connector's 2xx to the "
	    "credit it queued, recorded.",
	    &s->credit);
	eng_api_stage_histogram(
	    f, "tick_seconds",
	    "Each slice of the periodic tick (the records due, 256 of "
	    "each table a slice; the polls' share): the event loop serves "
	    "nothing else meanwhile.",
	    &s->tick);
	one(f, "redeems_submitted_total", "counter",
	    "Redeems of incoming claims queued for the ledger.",
	    s->redeems_submitted);
	one(f, "redeems_succeeded_total", "counter",
	    "Redeems that ended tesSUCCESS.", s->redeems_succeeded);
	one(f, "redeems_failed_total", "counter",
	    "Redeems that ended in any other way.", s->redeems_failed);
	one(f, "channel_alerts_total", "counter",
	    "Alerts the channel logic raised (see the log).", s->alerts);
	family(f, "channels", "gauge",
	       "Channel records by direction and state.");
	for (int i = 0; i < PC_OUT_NSTATES; i++)
		fprintf(f,
			"xrpse_channels{direction=\"outgoing\",state=\"%s\"} "
			"%llu\n",
			pc_out_state_name((enum pc_out_state)i),
			(unsigned long long)p->out_states[i]);
	for (int i = 0; i < PC_IN_NSTATES; i++)
		fprintf(f,
			"xrpse_channels{direction=\"incoming\",state=\"%s\"} "
			"%llu\n",
			pc_in_state_name((enum pc_in_state)i),
			(unsigned long long)p->in_states[i]);
	if (p->have_account) {
		drops(f, "account_balance_drops",
		      "Our account's XRP balance on the validated ledger.",
		      p->balance);
		drops(f, "account_reserve_drops",
		      "Our account's reserve: base plus owned objects.",
		      p->reserve);
	}
	drops(f, "channel_locked_drops",
	      "Drops in our open channels not yet redeemed by the peer.",
	      p->locked);
	drops(f, "claimable_drops",
	      "Drops our best incoming claims hold above what was redeemed.",
	      p->claimable);
	drops(f, "owed_unpaid_drops",
	      "Drops acknowledged to the connector that no claim the peer "
	      "acknowledged covers yet.",
	      p->unpaid);
	one(f, "owed_unpaid_oldest_seconds", "gauge",
	    "How long the oldest unpaid drops have waited.",
	    (uint64_t)(p->unpaid_oldest_ms / 1000));
}

static void ledger_metrics(FILE *f, const struct eng_status *st)
{
	const struct xl_submit_stats *t = &st->txs;

	one(f, "rippled_connected", "gauge", "1 when rippled is connected.",
	    st->rippled_connected);
	one(f, "validated_ledger_index", "gauge",
	    "The newest validated ledger rippled announced.",
	    st->validated_ledger);
	if (st->ledger_age_ms >= 0)
		one(f, "validated_ledger_age_seconds", "gauge",
		    "Since the newest validated ledger came.",
		    (uint64_t)(st->ledger_age_ms / 1000));
	one(f, "ledger_transactions_submitted_total", "counter",
	    "Transactions submitted to rippled (repeats included).",
	    t->submitted);
	family(f, "ledger_transactions_total", "counter",
	       "Our transactions by final result.");
	fprintf(f,
		"xrpse_ledger_transactions_total{result=\"succeeded\"} %llu\n"
		"xrpse_ledger_transactions_total{result=\"tec\"} %llu\n"
		"xrpse_ledger_transactions_total{result=\"failed\"} %llu\n"
		"xrpse_ledger_transactions_total{result=\"expired\"} %llu\n"
		"xrpse_ledger_transactions_total{result=\"refused\"} %llu\n",
		(unsigned long long)t->succeeded, (unsigned long long)t->tec,
		(unsigned long long)t->failed, (unsigned long long)t->expired,
		(unsigned long long)t->refused);
	one(f, "ledger_transactions_queued", "gauge",
	    "Transactions waiting in the submission queue.", t->queued);
	one(f, "ledger_transactions_inflight", "gauge",
	    "Transactions submitted and not yet final.", t->inflight);
}

static void outbox_metrics(FILE *f, const struct eng_status *st)
{
	static const char *const kinds[ENG_OBROWS_NKINDS] = {"credit",
							     "message"};
	const struct eng_outbox_stats *ob = &st->outbox;

	family(f, "outbox_calls", "gauge",
	       "Calls to the connector in the outbox, by kind and state "
	       "(delivered ones are kept 30 days).");
	for (int k = 0; k < ENG_OBROWS_NKINDS; k++)
		fprintf(f,
			"xrpse_outbox_calls{kind=\"%s\",state=\"pending\"} "
			"%llu\n"
			"xrpse_outbox_calls{kind=\"%s\",state=\"parked\"} "
			"%llu\n"
			"xrpse_outbox_calls{kind=\"%s\",state=\"delivered\"} "
			"%llu\n",
			kinds[k], (unsigned long long)ob->rows.kind[k].pending,
			kinds[k], (unsigned long long)ob->rows.kind[k].parked,
			kinds[k],
			(unsigned long long)ob->rows.kind[k].delivered);
	one(f, "outbox_inflight", "gauge",
	    "Calls to the connector in flight now.", ob->inflight);
	one(f, "connector_reachable", "gauge",
	    "1 when the last call got an HTTP answer (or none was made).",
	    ob->reachable || ob->last_failure_ms == 0);
}

static void alert_metrics(FILE *f, const struct eng_status *st)
{
	family(f, "alerts", "gauge",
	       "Failed /health checks by kind: 1 when failing (owed: the "
	       "accounts with drops unpaid past --owed-alert).");
	for (int i = 0; i < ENG_NCHECKS; i++)
		fprintf(f, "xrpse_alerts{kind=\"%s\"} %llu\n",
			eng_check_name((enum eng_check)i),
			(unsigned long long)(i == ENG_CHECK_OWED
						 ? st->pc.owed_alerts
						 : st->failed[i]));
}

void eng_api_on_metrics(const struct eng_api_host *h, struct eng_http_conn *c)
{
	struct eng_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		eng_api_problem(c, 503, NULL, "out of memory", NULL);
		return;
	}
	eng_api_status(h, &st);
	api_metrics(f, &st);
	if (st.has_paychan)
		channel_metrics(f, &st);
	if (st.has_rippled)
		ledger_metrics(f, &st);
	outbox_metrics(f, &st);
	alert_metrics(f, &st);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		eng_api_problem(c, 503, NULL, "out of memory", NULL);
		return;
	}
	eng_http_reply(c, 200, METRICS_CT, NULL, buf, len);
	free(buf);
}

void eng_api_on_metrics_request(void *arg, struct eng_http_conn *c,
				const struct eng_http_req *r)
{
	const struct eng_api_host *h = arg;

	if (strcmp(r->path, "/metrics"))
		eng_api_problem(c, 404, NULL,
				"this listener serves GET /metrics only", NULL);
	else if (r->method != ENG_HTTP_GET)
		eng_api_problem(c, 405, NULL,
				"method not allowed on this route",
				"Allow: GET\r\n");
	else
		eng_api_on_metrics(h, c);
}
