/* The operator's snapshot (eng_api_status): the daemon's counters, the
 * outbox, rippled, the payment-channel service, and the checks /health
 * makes (docs/design.md#health-and-metrics).  /health (health.c) and
 * /metrics (metrics.c) render it; another view (an admin socket) can
 * render the same struct. */
#include "src/api/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ledger/net/client.h"
#include "ledger/net/rippled.h"
#include "ledger/net/ws.h"
#include "src/io/clock.h"
#include "src/store/store.h"

const uint64_t eng_hist_bounds_us[ENG_HIST_N] = {
    250,   500,	  1000,	  2500,	  5000,	   10000,
    25000, 50000, 100000, 250000, 1000000, 5000000,
};

void eng_hist_observe(struct eng_hist *h, uint64_t us)
{
	for (int i = 0; i < ENG_HIST_N; i++)
		if (us <= eng_hist_bounds_us[i])
			h->le[i]++;
	h->count++;
	h->sum_us += us;
}

const char *eng_check_name(enum eng_check c)
{
	switch (c) {
	case ENG_CHECK_STORE:
		return "store";
	case ENG_CHECK_RIPPLED:
		return "rippled";
	case ENG_CHECK_LEDGER:
		return "ledger";
	case ENG_CHECK_CONNECTOR:
		return "connector";
	case ENG_CHECK_OWED:
		return "owed";
	}
	return "?";
}

static void fail(struct eng_status *st, enum eng_check c, const char *fmt, ...)
    XU_PRINTF(3, 4);

static void fail(struct eng_status *st, enum eng_check c, const char *fmt, ...)
{
	va_list ap;

	st->ok = false;
	st->failed[c] = true;
	va_start(ap, fmt);
	vsnprintf(st->why[c], sizeof(st->why[c]), fmt, ap);
	va_end(ap);
}

/* rippled: connected, and its latest validated ledger. */
static void rippled_checks(const struct eng_api_host *h, struct eng_status *st)
{
	struct xl_client *c = xl_rippled_client(h->rippled);
	enum xl_client_state cs = xl_client_state(c);

	st->has_rippled = true;
	st->rippled_state = xl_client_state_name(cs);
	st->rippled_url = xl_ws_url(xl_client_ws(c));
	st->rippled_connected =
	    cs >= XL_CLIENT_SUBSCRIBING && cs != XL_CLIENT_FATAL;
	st->validated_ledger = xl_client_validated_index(c);
	xl_submit_stats(xl_rippled_submit(h->rippled), &st->txs);
	if (!st->rippled_connected)
		fail(st, ENG_CHECK_RIPPLED, "rippled %s is %s", st->rippled_url,
		     st->rippled_state);
	if (!st->has_paychan)
		return;
	if (st->pc.ledger_seen_ms <= 0) {
		fail(st, ENG_CHECK_LEDGER, "no validated ledger yet");
		return;
	}
	st->ledger_age_ms = st->now_ms - st->pc.ledger_seen_ms;
	if (st->ledger_age_ms < 0)
		st->ledger_age_ms = 0;
	if (st->ledger_age_ms > ENG_LEDGER_MAX_AGE_MS)
		fail(st, ENG_CHECK_LEDGER,
		     "the last validated ledger (%u) came %lld s ago",
		     (unsigned)st->validated_ledger,
		     (long long)(st->ledger_age_ms / 1000));
}

/* The connector: reachable at the last attempt, or within the bound
 * since the last success (or the start), or never needed. */
static void connector_check(const struct eng_api_host *h, struct eng_status *st)
{
	const struct eng_outbox_stats *ob = &st->outbox;
	int64_t since = ob->last_success_ms > h->started_ms
			    ? ob->last_success_ms
			    : h->started_ms;

	if (ob->reachable || ob->last_failure_ms == 0 ||
	    ob->last_failure_ms < ob->last_success_ms)
		return;
	if (st->now_ms - since > ENG_CONNECTOR_MAX_DOWN_MS)
		fail(st, ENG_CHECK_CONNECTOR,
		     "connector %s unreachable; last success %s%lld s ago",
		     st->connector_url,
		     ob->last_success_ms ? "" : "never, start ",
		     (long long)((st->now_ms - since) / 1000));
}

void eng_api_status(const struct eng_api_host *h, struct eng_status *st)
{
	struct xu_err err = {0};

	memset(st, 0, sizeof(*st));
	st->ok = true;
	st->version = XRPSE_VERSION;
	st->address = h->address;
	st->connector_url = h->connector_url;
	st->now_ms = eng_wall_ms();
	st->ledger_age_ms = -1;
	h->stats(h->arg, &st->api);
	if (!eng_store_usable(h->store))
		fail(st, ENG_CHECK_STORE, "the store is not usable");
	else if (eng_outbox_stats(h->outbox, &st->outbox, &err) != XU_OK)
		fail(st, ENG_CHECK_STORE, "outbox: %s", err.msg);
	if (h->paychan) {
		st->has_paychan = true;
		if (eng_paychan_status(h->paychan, &st->pc, &err) != XU_OK &&
		    !st->failed[ENG_CHECK_STORE])
			fail(st, ENG_CHECK_STORE, "channels: %s", err.msg);
	}
	if (h->rippled)
		rippled_checks(h, st);
	connector_check(h, st);
	if (st->pc.owed_alerts)
		fail(st, ENG_CHECK_OWED,
		     "%llu drops of %llu account(s) unpaid past --owed-alert",
		     (unsigned long long)xl_drops_u64(st->pc.owed_alert_drops),
		     (unsigned long long)st->pc.owed_alerts);
}
