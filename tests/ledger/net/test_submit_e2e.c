/* End-to-end tests of the submission queue against the local ledger
 * stand-in (testnet/ledger/server.js, started per test on a free port with
 * --close-ms 100): every transaction type with its validated outcome and
 * metadata (the created PayChannel id equals our computed id), a tec, an
 * intent enqueued twice, the priority lane, the fee cap, a disconnect with
 * transactions in flight, a dropped transaction (LastLedgerSequence expiry
 * and rebuild, with terPRE_SEQ behind it), tooBusy, the network-id
 * check, and a transaction missing from the server's history: expired
 * only with proof (searched_all, or the account Sequence), else kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/claim.h"
#include "src/util/hex.h"
#include "src/util/log.h"
#include "tests/ledger/net/harness.h"
#include "tests/ledger/net/world.h"

#define XRP 1000000ull

struct fx {
	struct th_proc srv;
	struct world *w;
};

static const char *const close_fast[] = {"--close-ms", "100", NULL};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct w_opts o;

	assert_non_null(f);
	assert_true(th_start_ledger(&f->srv, close_fast));
	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	f->w = w_new(&o);
	assert_true(w_ready(f->w, 15000));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	w_free(f->w);
	th_kill(&f->srv);
	free(f);
	return 0;
}

static struct cr_account_id addr_id(const char *addr)
{
	struct cr_account_id id;
	struct xu_err err;

	assert_int_equal(cr_address_decode(&id, addr, &err), XU_OK);
	return id;
}

/* Finds the AffectedNodes entry of `what` (CreatedNode...) with
 * LedgerEntryType `type`; NULL when absent. */
static json_t *node(json_t *meta, const char *what, const char *type)
{
	json_t *an = json_object_get(meta, "AffectedNodes"), *n;
	size_t i;

	json_array_foreach(an, i, n)
	{
		json_t *in = json_object_get(n, what);
		const char *t =
		    json_string_value(json_object_get(in, "LedgerEntryType"));
		if (in && t && strcmp(t, type) == 0)
			return in;
	}
	return NULL;
}

static uint32_t account_seq(struct world *w, const char *addr)
{
	json_t *r = NULL;
	uint32_t seq = 0;

	assert_int_equal(
	    w_call(w,
		   json_pack("{s:s,s:s,s:s}", "command", "account_info",
			     "account", addr, "ledger_index", "validated"),
		   &r),
	    XU_OK);
	assert_true(
	    xl_json_u32(json_object_get(xl_ws_result(r), "account_data"),
			"Sequence", &seq));
	json_decref(r);
	return seq;
}

static long journal_rows(struct world *w, const char *like)
{
	sqlite3_stmt *st;
	long n = -1;

	assert_int_equal(sqlite3_prepare_v2(w->db,
					    "SELECT count(*) FROM tx_journal "
					    "WHERE intent LIKE ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool is_fatal(void *arg)
{
	return xl_client_state(((struct world *)arg)->c) == XL_CLIENT_FATAL;
}

/* Runs until n more ledgers were validated. */
static void wait_ledgers(struct world *w, uint32_t n)
{
	uint32_t start = xl_client_validated_index(w->c);
	long long end = th_now_ms() + 20000;

	while (xl_client_validated_index(w->c) < start + n && th_now_ms() < end)
		th_run_for(w->ctx, 20);
	assert_true(xl_client_validated_index(w->c) >= start + n);
}

static bool both_built(void *arg)
{
	struct w_build *b = arg;

	return b[0].builds >= 1 && b[1].builds >= 1;
}

static const struct w_out *expect(struct world *w, const char *intent,
				  enum xl_outcome_kind kind, const char *result)
{
	const struct w_out *o = w_wait(w, intent, 30000);

	assert_non_null(o);
	if (o->kind != kind || strcmp(o->result, result) != 0)
		fail_msg("%s: got %s/%s (%s), want %s", intent,
			 xl_outcome_kind_name(o->kind), o->result, o->err,
			 result);
	return o;
}

/* Payment, PaymentChannelCreate, Fund, destination Claim, owner Claim and
 * a tec, each read back from its validated outcome. */
static void test_submit_every_type(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w, *d;
	struct w_build pay, create, fund, claim, oclaim, bad;
	struct w_opts o;
	const struct w_out *r;
	struct cr_account_id gen = addr_id(GENESIS_ADDR);
	uint8_t chan[XL_CHANNEL_ID_BYTES];
	char chan_hex[65];
	json_t *n;
	struct xu_err err;
	uint32_t seq_before;

	memset(&pay, 0, sizeof(pay));
	pay.kind = W_PAYMENT;
	pay.dst = addr_id(DEST_ADDR);
	pay.amount = 100 * XRP;
	w_enqueue(w, "pay:dest:1", false, &pay);
	r = expect(w, "pay:dest:1", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_non_null(r->meta);
	assert_non_null(node(r->meta, "CreatedNode", "AccountRoot"));
	assert_int_equal(strlen(r->hash), 64);

	memset(&create, 0, sizeof(create));
	create.kind = W_CREATE;
	create.dst = addr_id(DEST_ADDR);
	create.amount = 10 * XRP;
	create.pk = w->kp.pub;
	w_enqueue(w, "create:dest:1", false, &create);
	r = expect(w, "create:dest:1", XL_OUT_SUCCESS, "tesSUCCESS");
	xl_channel_id(chan, &gen, &create.dst, r->sequence);
	xu_hex_encode(chan_hex, sizeof(chan_hex), chan, sizeof(chan));
	n = node(r->meta, "CreatedNode", "PayChannel");
	assert_non_null(n);
	assert_string_equal(
	    json_string_value(json_object_get(n, "LedgerIndex")), chan_hex);

	memset(&fund, 0, sizeof(fund));
	fund.kind = W_FUND;
	memcpy(fund.channel, chan, sizeof(chan));
	fund.amount = 5 * XRP;
	w_enqueue(w, "fund:chan:1", false, &fund);
	r = expect(w, "fund:chan:1", XL_OUT_SUCCESS, "tesSUCCESS");
	n = node(r->meta, "ModifiedNode", "PayChannel");
	assert_non_null(n);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(n, "FinalFields"), "Amount")),
			    "15000000");

	/* The destination redeems a claim signed with the channel key.  Its
	 * resync lists the channel as incoming (destination_account filter
	 * per peer); a reconnect of ours lists it as outgoing. */
	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.seed = DEST_SEED;
	o.peer = GENESIS_ADDR;
	d = w_new(&o);
	assert_true(w_ready(d, 15000));
	assert_int_equal(json_array_size(d->last_sync.channels_in), 1);
	assert_int_equal(json_array_size(d->last_sync.channels_out), 0);
	assert_string_equal(
	    xl_json_str(json_array_get(d->last_sync.channels_in, 0),
			"channel_id"),
	    chan_hex);
	assert_true(d->last_sync.account_found);
	xl_ws_drop(xl_client_ws(w->c));
	{
		int before = w->syncs;
		long long end = th_now_ms() + 10000;
		while (w->syncs == before && th_now_ms() < end)
			th_run_for(w->ctx, 20);
	}
	assert_int_equal(json_array_size(w->last_sync.channels_out), 1);
	assert_string_equal(
	    xl_json_str(json_array_get(w->last_sync.channels_out, 0),
			"channel_id"),
	    chan_hex);
	memset(&claim, 0, sizeof(claim));
	claim.kind = W_CLAIM_DEST;
	memcpy(claim.channel, chan, sizeof(chan));
	claim.amount = 2 * XRP;
	claim.balance = 2 * XRP;
	claim.pk = w->kp.pub;
	assert_int_equal(cr_claim_sign(claim.sig, &claim.siglen, &w->kp, chan,
				       claim.amount, &err),
			 XU_OK);
	w_enqueue(d, "claim:chan:2000000", false, &claim);
	r = expect(d, "claim:chan:2000000", XL_OUT_SUCCESS, "tesSUCCESS");
	n = node(r->meta, "ModifiedNode", "PayChannel");
	assert_non_null(n);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(n, "FinalFields"), "Balance")),
			    "2000000");
	w_free(d);

	/* The owner pays out more without a signature. */
	memset(&oclaim, 0, sizeof(oclaim));
	oclaim.kind = W_CLAIM_OWNER;
	memcpy(oclaim.channel, chan, sizeof(chan));
	oclaim.balance = 3 * XRP;
	w_enqueue(w, "claim:chan:3000000", true, &oclaim);
	r = expect(w, "claim:chan:3000000", XL_OUT_SUCCESS, "tesSUCCESS");

	/* A tec: funding a channel that does not exist. */
	memset(&bad, 0, sizeof(bad));
	bad.kind = W_FUND;
	memset(bad.channel, 0xAB, sizeof(bad.channel));
	bad.amount = XRP;
	w_enqueue(w, "fund:nochan:1", false, &bad);
	r = expect(w, "fund:nochan:1", XL_OUT_TEC, "tecNO_ENTRY");
	assert_non_null(r->meta);

	/* Every intent of ours (the claim went through the destination's
	 * own queue and journal) has exactly one validated journal row. */
	assert_int_equal(journal_rows(w, "%"), 5);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_VALIDATED), 5);

	/* An intent enqueued again is answered from the journal: the same
	 * hash, and nothing new is built or submitted. */
	seq_before = account_seq(w, GENESIS_ADDR);
	pay.builds = 0;
	w_enqueue(w, "pay:dest:1", false, &pay);
	{
		long long deadline = th_now_ms() + 10000;
		while (w_count(w, "pay:dest:1") < 2 && th_now_ms() < deadline)
			th_run_for(w->ctx, 50);
	}
	assert_int_equal(w_count(w, "pay:dest:1"), 2);
	assert_int_equal(pay.builds, 0);
	assert_string_equal(w->out[w->nout - 1].hash, w->out[0].hash);
	assert_int_equal(w->out[w->nout - 1].kind, XL_OUT_SUCCESS);
	th_run_for(w->ctx, 500);
	assert_int_equal(account_seq(w, GENESIS_ADDR), seq_before);
	assert_int_equal(journal_rows(w, "%"), 5);
}

/* A deadline claim enqueued behind normal work gets the lower Sequence. */
static void test_submit_priority_jumps_queue(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build p[3], dl;
	const struct w_out *r;
	char intent[32];

	/* A fresh world, filled before it is READY. */
	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_inflight = 1;
	w = w_new(&o);
	for (int i = 0; i < 3; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].kind = W_PAYMENT;
		p[i].dst = addr_id(DEST_ADDR);
		p[i].amount = 20 * XRP;
		snprintf(intent, sizeof(intent), "pay:prio:%d", i);
		w_enqueue(w, intent, false, &p[i]);
	}
	memset(&dl, 0, sizeof(dl));
	dl.kind = W_PAYMENT;
	dl.dst = addr_id(DEST_ADDR);
	dl.amount = 20 * XRP;
	w_enqueue(w, "deadline:claim", true, &dl);
	r = expect(w, "deadline:claim", XL_OUT_SUCCESS, "tesSUCCESS");
	for (int i = 0; i < 3; i++) {
		snprintf(intent, sizeof(intent), "pay:prio:%d", i);
		const struct w_out *q =
		    expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
		assert_true(r->sequence < q->sequence);
		if (i > 0)
			assert_true(p[i - 1].built_sequence <
				    p[i].built_sequence);
	}
	w_free(w);
}

/* docs/risks.md#one-drop-redeem-storms: the priority lane is shared
 * between owners (one with many deadline redeems takes turns with the
 * others), and a normal intent (say a PaymentChannelCreate) waits for at
 * most XL_PRIO_RUN_MAX priority builds. */
static void test_submit_priority_shared_fairly(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build evil[8], honest, normal;
	char intent[32];

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_inflight = 1;
	w = w_new(&o);
	memset(&normal, 0, sizeof(normal));
	normal.kind = W_PAYMENT;
	normal.dst = addr_id(DEST_ADDR);
	normal.amount = 20 * XRP;
	w_enqueue(w, "pay:normal", false, &normal);
	for (int i = 0; i < 8; i++) {
		memset(&evil[i], 0, sizeof(evil[i]));
		evil[i].kind = W_PAYMENT;
		evil[i].dst = addr_id(DEST_ADDR);
		evil[i].amount = 20 * XRP;
		snprintf(intent, sizeof(intent), "redeem:evil:%d", i);
		w_enqueue_as(w, intent, XL_SUBMIT_PRIORITY, "evil", &evil[i]);
	}
	honest = normal;
	w_enqueue_as(w, "redeem:honest", XL_SUBMIT_PRIORITY, "honest", &honest);
	expect(w, "pay:normal", XL_OUT_SUCCESS, "tesSUCCESS");
	expect(w, "redeem:honest", XL_OUT_SUCCESS, "tesSUCCESS");
	for (int i = 0; i < 8; i++) {
		snprintf(intent, sizeof(intent), "redeem:evil:%d", i);
		expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
	}
	/* evil 0, honest, evil 1, evil 2, then the normal one. */
	assert_true(evil[0].built_sequence < honest.built_sequence);
	assert_true(honest.built_sequence < evil[1].built_sequence);
	assert_true(evil[2].built_sequence < normal.built_sequence);
	assert_true(normal.built_sequence < evil[3].built_sequence);
	for (int i = 1; i < 8; i++)
		assert_true(evil[i - 1].built_sequence <
			    evil[i].built_sequence);
	w_free(w);
}

/* A fee above the configured maximum: refused, said so, nothing
 * journaled or submitted. */
/* A world whose queue refuses fees above fee_max (deadline intents:
 * above deadline_max); *p is a payment of 20 XRP to enqueue. */
static struct world *capped_world(struct fx *f, uint64_t fee_max,
				  uint64_t deadline_max, struct w_build *p)
{
	struct w_opts o;
	struct world *w;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.fee_max = fee_max;
	o.deadline_fee_max = deadline_max;
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	memset(p, 0, sizeof(*p));
	p->kind = W_PAYMENT;
	p->dst = addr_id(DEST_ADDR);
	p->amount = 20 * XRP;
	return w;
}

static void test_submit_fee_above_cap(void **state)
{
	struct fx *f = *state;
	struct world *w;
	struct w_build p;
	const struct w_out *r;

	w = capped_world(f, 5, 0, &p); /* below the 10-drop base fee */
	w_enqueue(w, "pay:fee", false, &p);
	r = expect(w, "pay:fee", XL_OUT_REFUSED, "refused");
	assert_non_null(strstr(r->err, "above the configured maximum"));
	assert_int_equal(p.builds, 0);
	assert_int_equal(journal_rows(w, "%"), 0);
	w_free(w);
}

/* docs/risks.md#fee-spikes-blocking-deadline-redeems: above the normal
 * cap (5 drops, below the 10-drop base fee) a deadline intent still goes,
 * up to its own cap (20 drops); above that it is refused too. */
static void test_submit_deadline_fee_cap(void **state)
{
	struct fx *f = *state;
	struct world *w;
	struct w_build p, q, r;
	const struct w_out *out;

	w = capped_world(f, 5, 20, &p);
	q = p;
	w_enqueue(w, "pay:plain", 0, &p);
	expect(w, "pay:plain", XL_OUT_REFUSED, "refused");
	w_enqueue(w, "pay:deadline", XL_SUBMIT_PRIORITY | XL_SUBMIT_DEADLINE,
		  &q);
	expect(w, "pay:deadline", XL_OUT_SUCCESS, "tesSUCCESS");
	w_free(w);
	/* A deadline cap below the normal one changes nothing. */
	w = capped_world(f, 5, 3, &r);
	w_enqueue(w, "pay:deadline:low", XL_SUBMIT_DEADLINE, &r);
	out = expect(w, "pay:deadline:low", XL_OUT_REFUSED, "refused");
	assert_non_null(strstr(out->err, "maximum of 5 drops"));
	w_free(w);
}

struct inflight_ctx {
	struct world *w;
	unsigned n;
};

static bool all_submitted(void *arg)
{
	struct inflight_ctx *ic = arg;
	struct xl_submit_stats st;

	xl_submit_stats(ic->w->s, &st);
	return st.submitted >= ic->n;
}

/* The connection drops while transactions are in flight: after the
 * reconnect every intent ends exactly once, each consuming one Sequence. */
static void test_submit_disconnect_in_flight(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w;
	struct w_build p[12];
	struct inflight_ctx ic = {w, 6};
	uint32_t before = account_seq(w, GENESIS_ADDR), after;
	char intent[32];
	long long deadline;

	/* Round 0: our side drops; round 1: the server drops everyone. */
	for (int round = 0; round < 2; round++) {
		for (int i = 6 * round; i < 6 * round + 6; i++) {
			memset(&p[i], 0, sizeof(p[i]));
			p[i].kind = W_PAYMENT;
			p[i].dst = addr_id(DEST_ADDR);
			p[i].amount = 10 * XRP;
			snprintf(intent, sizeof(intent), "pay:dc:%d", i);
			w_enqueue(w, intent, false, &p[i]);
		}
		ic.n = 6 * ((unsigned)round + 1);
		assert_true(th_run_until(w->ctx, all_submitted, &ic, 15000));
		if (round == 0)
			xl_ws_drop(xl_client_ws(w->c));
		else
			assert_int_equal(
			    xl_ws_request(xl_client_ws(w->c),
					  json_pack("{s:s}", "command",
						    "testnet_disconnect_all"),
					  0, NULL, NULL, NULL),
			    XU_OK);
		for (int i = 6 * round; i < 6 * round + 6; i++) {
			snprintf(intent, sizeof(intent), "pay:dc:%d", i);
			expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
		}
		assert_true(xl_ws_connect_count(xl_client_ws(w->c)) >=
			    2 + (unsigned)round);
	}
	/* Let any stray resubmission show itself. */
	th_run_for(w->ctx, 1000);
	for (int i = 0; i < 12; i++) {
		snprintf(intent, sizeof(intent), "pay:dc:%d", i);
		assert_int_equal(w_count(w, intent), 1);
	}
	deadline = th_now_ms() + 5000;
	do {
		after = account_seq(w, GENESIS_ADDR);
	} while (after != before + 12 && th_now_ms() < deadline);
	assert_int_equal(after, before + 12);
	assert_int_equal(journal_rows(w, "pay:dc:%"), 12);
}

/* Runs w's loop until n transactions were submitted, then a little more
 * (nothing validates meanwhile), and returns the in-flight count. */
static unsigned inflight_after(struct world *w, unsigned n)
{
	struct inflight_ctx ic = {w, n};
	struct xl_submit_stats st;

	assert_true(th_run_until(w->ctx, all_submitted, &ic, 15000));
	th_run_for(w->ctx, 300);
	xl_submit_stats(w->s, &st);
	return st.inflight;
}

/* How many transactions are in flight at once (docs/design.md#scale): by
 * default the 10 rippled's fee queue holds per account, not fewer (the
 * pace of opening many channels is this bound per round trip); the
 * operator's setting raises it, up to 64; a lower one builds nothing new
 * until fewer are in flight.  Every intent still ends once, in order of
 * Sequence, with no gap. */
static void test_submit_inflight_bound(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w;
	struct w_build p[16];
	struct xl_submit_stats st;
	uint32_t before = account_seq(w, GENESIS_ADDR);
	char intent[32];

	assert_int_equal(
	    w_control(w, "testnet_close_timer", json_pack("{s:i}", "ms", 0)),
	    XU_OK);
	for (int i = 0; i < 16; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].kind = W_PAYMENT;
		p[i].dst = addr_id(DEST_ADDR);
		p[i].amount = 10 * XRP;
		snprintf(intent, sizeof(intent), "pay:bound:%d", i);
		w_enqueue(w, intent, false, &p[i]);
	}
	assert_int_equal(inflight_after(w, 10), 10);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.queued, 6);
	/* Raised: two more go at once. */
	xl_submit_set_max_inflight(w->s, 12);
	assert_int_equal(inflight_after(w, 12), 12);
	/* Lowered: the twelve go on, nothing new is built. */
	xl_submit_set_max_inflight(w->s, 4);
	th_run_for(w->ctx, 300);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.inflight, 12);
	assert_int_equal(st.queued, 4);
	assert_int_equal(st.submitted, 12);
	/* Beyond the maximum: the maximum. */
	xl_submit_set_max_inflight(w->s, 1000);
	assert_int_equal(inflight_after(w, 16), 16);
	assert_int_equal(
	    w_control(w, "testnet_close_timer", json_pack("{s:i}", "ms", 100)),
	    XU_OK);
	for (int i = 0; i < 16; i++) {
		const struct w_out *o;

		snprintf(intent, sizeof(intent), "pay:bound:%d", i);
		o = expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
		assert_int_equal(o->sequence, before + (uint32_t)i);
	}
	assert_int_equal(account_seq(w, GENESIS_ADDR), before + 16);
	assert_int_equal(journal_rows(w, "pay:bound:%"), 16);
}

/* The wrong network: the client refuses and stops. */
static void test_submit_network_mismatch(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 0; /* mainnet expected, the stand-in is 1 */
	w = w_new(&o);
	assert_true(th_run_until(w->ctx, is_fatal, w, 10000));
	assert_true(w->fatal);
	assert_int_equal(xl_client_state(w->c), XL_CLIENT_FATAL);
	assert_non_null(strstr(xl_client_fatal_err(w->c)->msg, "network id"));
	w_free(w);
}

/* The stand-in drops the first transaction (it is answered but never
 * included); the second one, one Sequence later, is held as terPRE_SEQ.
 * Both pass their LastLedgerSequence without validating, are retired in
 * the journal and rebuilt with fresh Sequences, and then succeed. */
static void test_submit_dropped_tx_rebuilt(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build ab[2];
	const struct w_out *ra, *rb;
	struct xl_submit_stats st;
	uint32_t first_seq;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_inflight = 2;
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	assert_int_equal(
	    w_control(w, "testnet_drop_next_tx",
		      json_pack("{s:i,s:b}", "count", 1, "sticky", 1)),
	    XU_OK);
	memset(&ab[0], 0, sizeof(ab[0]));
	ab[0].kind = W_PAYMENT;
	ab[0].dst = addr_id(DEST_ADDR);
	ab[0].amount = 20 * XRP;
	ab[1] = ab[0];
	w_enqueue(w, "pay:drop:a", false, &ab[0]);
	w_enqueue(w, "pay:drop:b", false, &ab[1]);
	assert_true(th_run_until(w->ctx, both_built, ab, 10000));
	first_seq = ab[0].built_sequence;
	assert_int_equal(ab[1].built_sequence, first_seq + 1);
	ra = expect(w, "pay:drop:a", XL_OUT_SUCCESS, "tesSUCCESS");
	rb = expect(w, "pay:drop:b", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(ab[0].builds, 2);
	assert_int_equal(ab[1].builds, 2);
	/* The gap was never crossed: the rebuilt ones reuse the numbers. */
	assert_int_equal(ra->sequence, first_seq);
	assert_int_equal(rb->sequence, first_seq + 1);
	xl_submit_stats(w->s, &st);
	assert_true(st.expired >= 2);
	assert_true(st.resubmits >= 1); /* b was held (terPRE_SEQ) */
	/* Each intent: one retired (expired) row and one validated row. */
	assert_int_equal(journal_rows(w, "pay:drop:a"), 1);
	assert_int_equal(journal_rows(w, "pay:drop:a#%"), 1);
	assert_int_equal(journal_rows(w, "pay:drop:b#%"), 1);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_FAILED), 2);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_VALIDATED), 2);
	w_free(w);
}

/* The stand-in drops one submit of a transaction (answered tesSUCCESS,
 * never included) and takes the next submit of the same blob.  The queue
 * sends the blob again a few ledgers later, long before its
 * LastLedgerSequence: it succeeds as built, with no rebuild and nothing
 * retired (docs/risks.md#a-lost-redeem-waits-for-its-lastledgersequence). */
static void test_submit_lost_blob_sent_again(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build a;
	const struct w_out *r;
	struct xl_submit_stats st;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_attempts = 1; /* a rebuild would be reported as expired */
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	assert_int_equal(w_control(w, "testnet_drop_next_tx",
				   json_pack("{s:i}", "count", 1)),
			 XU_OK);
	memset(&a, 0, sizeof(a));
	a.kind = W_PAYMENT;
	a.dst = addr_id(DEST_ADDR);
	a.amount = 20 * XRP;
	w_enqueue(w, "pay:lost-once", false, &a);
	r = expect(w, "pay:lost-once", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(a.builds, 1);
	assert_int_equal(r->sequence, a.built_sequence);
	/* Validated well before the LastLedgerSequence (validated + 20). */
	assert_true(r->ledger + 10 <= a.built_lls);
	xl_submit_stats(w->s, &st);
	assert_true(st.resubmits >= 1);
	assert_int_equal(st.expired, 0);
	assert_int_equal(journal_rows(w, "pay:lost-once"), 1);
	assert_int_equal(journal_rows(w, "pay:lost-once#%"), 0);
	w_free(w);
}

static bool one_built(void *arg)
{
	return ((struct w_build *)arg)->builds >= 1;
}

/* A resent copy answered tem is no outcome: the first copy was answered
 * otherwise and may still apply (a server on other rules).  Here the
 * first copy is dropped (answered tesSUCCESS, never included) and its
 * resend is forced to temMALFORMED: the failure is reported with that
 * code only once the LastLedgerSequence passed and the queue proved the
 * blob did not apply; it used to be final at once, and the intent built
 * again beside a first copy that could still land. */
static void test_submit_resent_tem_waits_for_lls(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build a;
	const struct w_out *r;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_attempts = 1;
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	assert_int_equal(w_control(w, "testnet_drop_next_tx",
				   json_pack("{s:i}", "count", 1)),
			 XU_OK);
	memset(&a, 0, sizeof(a));
	a.kind = W_PAYMENT;
	a.dst = addr_id(DEST_ADDR);
	a.amount = 20 * XRP;
	w_enqueue(w, "pay:resent-tem", false, &a);
	assert_true(th_run_until(w->ctx, one_built, &a, 10000));
	assert_int_equal(w_control(w, "testnet_force_result",
				   json_pack("{s:s,s:i}", "result",
					     "temMALFORMED", "count", 1)),
			 XU_OK);
	r = w_wait(w, "pay:resent-tem", 60000);
	assert_non_null(r);
	assert_int_equal(r->kind, XL_OUT_FAILED);
	assert_string_equal(r->result, "temMALFORMED");
	assert_true(xl_client_validated_index(w->c) > a.built_lls);
	assert_int_equal(a.builds, 1);
	w_free(w);
}

/* Without attempts left, an expired transaction is reported as such. */
static void test_submit_expiry_reported(void **state)
{
	struct fx *f = *state;
	struct w_opts o;
	struct world *w;
	struct w_build a;
	const struct w_out *r;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.max_attempts = 1;
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	assert_int_equal(
	    w_control(w, "testnet_drop_next_tx",
		      json_pack("{s:i,s:b}", "count", 1, "sticky", 1)),
	    XU_OK);
	memset(&a, 0, sizeof(a));
	a.kind = W_PAYMENT;
	a.dst = addr_id(DEST_ADDR);
	a.amount = 20 * XRP;
	w_enqueue(w, "pay:expire", false, &a);
	r = expect(w, "pay:expire", XL_OUT_EXPIRED, "expired");
	assert_non_null(strstr(r->err, "LastLedgerSequence"));
	assert_int_equal(a.builds, 1);
	assert_int_equal(journal_rows(w, "pay:expire"), 0);
	assert_int_equal(journal_rows(w, "pay:expire#%"), 1);
	w_free(w);
}

/* The next 3 requests (the fee, then the submit...) answered with error:
 * retried, one transaction, paid. */
static void refused_then_paid(struct world *w, const char *error,
			      const char *key)
{
	struct w_build a;
	struct xl_submit_stats st;

	memset(&a, 0, sizeof(a));
	a.kind = W_PAYMENT;
	a.dst = addr_id(DEST_ADDR);
	a.amount = 20 * XRP;
	assert_int_equal(
	    w_control(w, "testnet_too_busy",
		      json_pack("{s:i,s:s}", "count", 3, "error", error)),
	    XU_OK);
	w_enqueue(w, key, false, &a);
	expect(w, key, XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(a.builds, 1);
	assert_int_equal(journal_rows(w, key), 1);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.failed + st.refused + st.expired, 0);
}

/* tooBusy on the fee request and on submit: retried, one transaction. */
static void test_submit_too_busy(void **state)
{
	struct fx *f = *state;

	refused_then_paid(f->w, "tooBusy", "pay:busy");
}

/* notSynced (API v2, for noNetwork/noCurrent/noClosed) on the fee request
 * and on submit: a server not synced yet, retried like tooBusy. */
static void test_submit_not_synced(void **state)
{
	struct fx *f = *state;

	refused_then_paid(f->w, "notSynced", "pay:not-synced");
}

/* While the store has a transaction open, the journal entry cannot be
 * made durable: nothing is submitted until it is committed. */
static void test_submit_waits_for_store_transaction(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w;
	struct w_build a;
	struct xl_submit_stats st;

	memset(&a, 0, sizeof(a));
	a.kind = W_PAYMENT;
	a.dst = addr_id(DEST_ADDR);
	a.amount = 20 * XRP;
	assert_int_equal(sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	w_enqueue(w, "pay:store-busy", false, &a);
	th_run_for(w->ctx, 600);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.submitted, 0);
	assert_int_equal(st.queued, 1);
	assert_int_equal(w_count(w, "pay:store-busy"), 0);
	assert_int_equal(sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	expect(w, "pay:store-busy", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(journal_rows(w, "pay:store-busy"), 1);
}

/* A malformed transaction (a claim whose signature does not verify) is a
 * final failure reported with its tem code; its Sequence was not consumed
 * and the next transaction takes it. */
static void test_submit_tem_is_final(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w, *d;
	struct w_build pay, create, claim, next;
	struct w_opts o;
	const struct w_out *r;
	struct cr_account_id gen = addr_id(GENESIS_ADDR);
	uint8_t chan[XL_CHANNEL_ID_BYTES];
	struct xu_err err;

	memset(&pay, 0, sizeof(pay));
	pay.kind = W_PAYMENT;
	pay.dst = addr_id(DEST_ADDR);
	pay.amount = 100 * XRP;
	w_enqueue(w, "tem:pay", false, &pay);
	expect(w, "tem:pay", XL_OUT_SUCCESS, "tesSUCCESS");
	memset(&create, 0, sizeof(create));
	create.kind = W_CREATE;
	create.dst = pay.dst;
	create.amount = 10 * XRP;
	create.pk = w->kp.pub;
	w_enqueue(w, "tem:create", false, &create);
	r = expect(w, "tem:create", XL_OUT_SUCCESS, "tesSUCCESS");
	xl_channel_id(chan, &gen, &create.dst, r->sequence);

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.seed = DEST_SEED;
	d = w_new(&o);
	assert_true(w_ready(d, 15000));
	memset(&claim, 0, sizeof(claim));
	claim.kind = W_CLAIM_DEST;
	memcpy(claim.channel, chan, sizeof(chan));
	claim.amount = claim.balance = XRP;
	claim.pk = w->kp.pub;
	/* Signed with the destination's key, not the channel's. */
	assert_int_equal(cr_claim_sign(claim.sig, &claim.siglen, &d->kp, chan,
				       claim.amount, &err),
			 XU_OK);
	w_enqueue(d, "tem:claim", false, &claim);
	r = w_wait(d, "tem:claim", 30000);
	assert_non_null(r);
	assert_int_equal(r->kind, XL_OUT_FAILED);
	assert_memory_equal(r->result, "tem", 3);
	assert_non_null(strstr(r->err, r->result));
	assert_int_equal(eng_txjournal_count(&d->tj, XL_JSTATE_FAILED), 1);
	memset(&next, 0, sizeof(next));
	next.kind = W_PAYMENT;
	next.dst = gen;
	next.amount = XRP;
	w_enqueue(d, "tem:next", false, &next);
	expect(d, "tem:next", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(next.built_sequence, claim.built_sequence);
	w_free(d);
}

/* A second sender on our account takes the Sequence our queue would use:
 * ours fails with tefPAST_SEQ, reported (the queue never guesses), and the
 * queue re-reads the Sequence before its next transaction. */
static void test_submit_second_sender_detected(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w, *w2;
	struct w_opts o;
	struct w_build warm1, warm2, lost, after;
	const struct w_out *r;

	memset(&warm1, 0, sizeof(warm1));
	warm1.kind = W_PAYMENT;
	warm1.dst = addr_id(DEST_ADDR);
	warm1.amount = 20 * XRP;
	warm2 = lost = after = warm1;
	/* w learns the Sequence and uses one number. */
	w_enqueue(w, "race:warm1", false, &warm1);
	expect(w, "race:warm1", XL_OUT_SUCCESS, "tesSUCCESS");
	/* Another sender on the same account takes the next number. */
	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	w2 = w_new(&o);
	assert_true(w_ready(w2, 15000));
	w_enqueue(w2, "race:warm2", false, &warm2);
	expect(w2, "race:warm2", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(warm2.built_sequence, warm1.built_sequence + 1);
	/* w's next transaction collides: a final, reported failure. */
	w_enqueue(w, "race:lost", false, &lost);
	r = w_wait(w, "race:lost", 30000);
	assert_non_null(r);
	assert_int_equal(lost.built_sequence, warm2.built_sequence);
	assert_int_equal(r->kind, XL_OUT_FAILED);
	assert_string_equal(r->result, "tefPAST_SEQ");
	/* The next one uses a fresh Sequence and succeeds. */
	w_enqueue(w, "race:after", false, &after);
	expect(w, "race:after", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(after.built_sequence, warm2.built_sequence + 1);
	w_free(w2);
}

/* Provisional results are never outcomes: forced ter/tel/tef results that
 * rippled holds end in tesSUCCESS once the held transaction applies; a
 * forced final tef is reported with its code only after the
 * LastLedgerSequence passed; a tem is final at once and its Sequence is
 * reused. */
static void test_submit_provisional_results(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w;
	static const char *const held[] = {"terPRE_SEQ", "terQUEUED",
					   "telINSUF_FEE_P", "tefBAD_AUTH"};
	struct w_build b[4], fin, tem, next;
	struct xl_submit_stats st;
	const struct w_out *r;
	char intent[64];

	for (size_t i = 0; i < 4; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].kind = W_PAYMENT;
		b[i].dst = addr_id(DEST_ADDR);
		b[i].amount = 20 * XRP;
		assert_int_equal(w_control(w, "testnet_force_result",
					   json_pack("{s:s,s:i}", "result",
						     held[i], "count", 1)),
				 XU_OK);
		snprintf(intent, sizeof(intent), "held:%s", held[i]);
		w_enqueue(w, intent, false, &b[i]);
		expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
		assert_int_equal(b[i].builds, 1);
	}
	xl_submit_stats(w->s, &st);
	assert_true(st.resubmits >= 1);

	/* A final tef: not held, never applies; reported after the LLS. */
	fin = b[0];
	fin.builds = 0;
	assert_int_equal(w_control(w, "testnet_force_result",
				   json_pack("{s:s,s:i}", "result",
					     "tefPAST_SEQ", "count", 1)),
			 XU_OK);
	w_enqueue(w, "final:tef", false, &fin);
	r = w_wait(w, "final:tef", 30000);
	assert_non_null(r);
	assert_int_equal(r->kind, XL_OUT_FAILED);
	assert_string_equal(r->result, "tefPAST_SEQ");
	assert_true(r->ledger == 0);
	assert_int_equal(fin.builds, 1);

	/* A tem: final at once, its Sequence taken by the next one. */
	tem = b[0];
	tem.builds = 0;
	assert_int_equal(w_control(w, "testnet_force_result",
				   json_pack("{s:s,s:i}", "result",
					     "temMALFORMED", "count", 1)),
			 XU_OK);
	w_enqueue(w, "final:tem", false, &tem);
	r = w_wait(w, "final:tem", 30000);
	assert_non_null(r);
	assert_int_equal(r->kind, XL_OUT_FAILED);
	assert_string_equal(r->result, "temMALFORMED");
	next = b[0];
	next.builds = 0;
	next.amount = 21 * XRP; /* not the same blob: that one is bad */
	w_enqueue(w, "after:tem", false, &next);
	expect(w, "after:tem", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(next.built_sequence, tem.built_sequence);
	assert_int_equal(journal_rows(w, "final:%"), 2);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_FAILED), 2);
}

/* Fee escalation above the cap: refused with a clear message; once the
 * load is gone the next intent goes through. */
static void test_submit_load_fee_above_cap(void **state)
{
	struct fx *f = *state;
	struct world *w = f->w;
	struct w_build p, q;
	const struct w_out *r;

	memset(&p, 0, sizeof(p));
	p.kind = W_PAYMENT;
	p.dst = addr_id(DEST_ADDR);
	p.amount = 20 * XRP;
	q = p;
	/* open_ledger_fee = 10 x 500 = 5000 drops > the 1000 cap. */
	assert_int_equal(
	    w_control(w, "testnet_set_load", json_pack("{s:i}", "factor", 500)),
	    XU_OK);
	wait_ledgers(w, 2); /* a new ledger: the fee is re-read */
	w_enqueue(w, "pay:load", false, &p);
	r = expect(w, "pay:load", XL_OUT_REFUSED, "refused");
	assert_non_null(strstr(r->err, "5000 drops"));
	assert_non_null(strstr(r->err, "maximum of 1000"));
	assert_int_equal(journal_rows(w, "pay:load"), 0);
	assert_int_equal(
	    w_control(w, "testnet_set_load", json_pack("{s:i}", "factor", 1)),
	    XU_OK);
	th_run_for(w->ctx, 300);
	w_enqueue(w, "pay:load:2", false, &q);
	expect(w, "pay:load:2", XL_OUT_SUCCESS, "tesSUCCESS");
}

/* Runs until obs saw validated ledger index. */
static void wait_validated(struct world *obs, uint32_t index)
{
	long long end = th_now_ms() + 20000;

	while (xl_client_validated_index(obs->c) < index && th_now_ms() < end)
		th_run_for(obs->ctx, 20);
	assert_true(xl_client_validated_index(obs->c) >= index);
}

/* The validated ledger of a transaction, read by w. */
static uint32_t tx_ledger(struct world *w, const char *hash)
{
	json_t *r = NULL;
	uint32_t in = 0;

	assert_int_equal(
	    w_call(w,
		   json_pack("{s:s,s:s}", "command", "tx", "transaction", hash),
		   &r),
	    XU_OK);
	assert_true(
	    json_is_true(json_object_get(xl_ws_result(r), "validated")));
	assert_true(xl_json_u32(xl_ws_result(r), "ledger_index", &in));
	json_decref(r);
	return in;
}

static void gap(struct world *obs, uint32_t min, uint32_t max)
{
	assert_int_equal(
	    w_control(obs, "testnet_history_gap",
		      json_pack("{s:i,s:i}", "min", (int)min, "max", (int)max)),
	    XU_OK);
}

/* A payment of xrp XRP to the destination account. */
static void payment(struct w_build *b, uint64_t xrp)
{
	memset(b, 0, sizeof(*b));
	b->kind = W_PAYMENT;
	b->dst = addr_id(DEST_ADDR);
	b->amount = xrp * XRP;
}

/* Enqueues a payment under intent, runs until rippled answered its
 * submit, then stops w's client: w sees nothing of what validates next
 * (downtime).  *je: its journal row. */
static void submit_then_stop(struct world *w, const char *intent,
			     struct w_build *b, struct xl_jentry *je)
{
	struct inflight_ctx ic = {w, 1};
	struct xu_err err;

	payment(b, 100);
	w_enqueue(w, intent, false, b);
	assert_true(th_run_until(w->ctx, all_submitted, &ic, 15000));
	th_run_for(w->ctx, 300); /* the submit reply */
	xl_client_stop(w->c);
	assert_int_equal(w->j.get(w->j.ctx, intent, je, &err), XU_OK);
	assert_int_equal(je->state, XL_JSTATE_PENDING);
}

/* A world of its own on the fixture's server; unknown_alarm_ms 0: the
 * queue's default. */
static struct world *fresh_world(struct fx *f, unsigned unknown_alarm_ms)
{
	struct w_opts o;
	struct world *w;

	memset(&o, 0, sizeof(o));
	o.port = f->srv.port;
	o.network_id = 1;
	o.unknown_alarm_ms = unknown_alarm_ms;
	w = w_new(&o);
	assert_true(w_ready(w, 15000));
	return w;
}

/* intent was built (and submitted) once, never taken as expired, and has
 * `outcomes` outcomes; `unknown` transactions of w have an unknown fate,
 * and one alarm was raised. */
static void expect_built_once(struct world *w, const char *intent,
			      const struct w_build *a, int outcomes,
			      unsigned unknown)
{
	struct xl_submit_stats st;

	assert_int_equal(w_count(w, intent), outcomes);
	assert_int_equal(a->builds, 1);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.submitted, 1);
	assert_int_equal(st.expired, 0);
	assert_int_equal(st.unknown, unknown);
	assert_int_equal(st.unknown_alarms, 1);
}

/* The money bug (docs/risks.md#transaction-applied-twice-after-a-missing-tx):
 * a payment validates while we are away, its ledger is missing from the
 * server's history, and the LastLedgerSequence passed.  `tx` answers
 * txnNotFound with searched_all:false and the account's Sequence is past
 * it: its fate is unknown.  It must not be rebuilt (that would pay twice)
 * nor reported expired; one BROKEN line after the bound.  Once a server
 * with the history answers, the true outcome comes, once. */
static void test_submit_gap_applied_not_rebuilt(void **state)
{
	struct fx *f = *state;
	struct world *obs = f->w, *w = fresh_world(f, 500);
	struct xl_jentry *je = calloc(1, sizeof(*je));
	struct w_build a;
	const struct w_out *r;
	uint32_t before = account_seq(obs, GENESIS_ADDR), in;

	assert_non_null(je);
	/* Nothing validates until w has stopped listening. */
	assert_int_equal(
	    w_control(obs, "testnet_close_timer", json_pack("{s:i}", "ms", 0)),
	    XU_OK);
	submit_then_stop(w, "pay:gap", &a, je);
	assert_int_equal(w_control(obs, "ledger_accept", NULL), XU_OK);
	in = tx_ledger(obs, je->hash);
	assert_int_equal(account_seq(obs, GENESIS_ADDR), before + 1);
	assert_int_equal(w_control(obs, "testnet_close_timer",
				   json_pack("{s:i}", "ms", 100)),
			 XU_OK);
	wait_validated(obs, je->lls + 2);
	gap(obs, in, in);
	xl_client_start(w->c);
	assert_true(w_ready(w, 15000));
	th_run_for(w->ctx, 1500);
	expect_built_once(w, "pay:gap", &a, 0, 1);
	assert_int_equal(account_seq(obs, GENESIS_ADDR), before + 1);
	assert_int_equal(journal_rows(w, "pay:gap%"), 1);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_PENDING), 1);

	/* The gap removed: another server with the full history. */
	assert_int_equal(w_control(obs, "testnet_history_gap", NULL), XU_OK);
	r = expect(w, "pay:gap", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_string_equal(r->hash, je->hash);
	assert_int_equal(r->ledger, in);
	assert_non_null(r->meta);
	th_run_for(w->ctx, 1000);
	expect_built_once(w, "pay:gap", &a, 1, 0);
	assert_int_equal(eng_txjournal_count(&w->tj, XL_JSTATE_VALIDATED), 1);
	assert_int_equal(account_seq(obs, GENESIS_ADDR), before + 1);
	w_free(w);
	free(je);
}

/* A payment of a fresh world that the server drops (it never applies),
 * submitted just before the world goes away; *je: its journal row. */
static struct world *dropped_while_away(struct fx *f, const char *intent,
					struct w_build *a,
					struct xl_jentry **je)
{
	struct world *w = fresh_world(f, 0);

	*je = calloc(1, sizeof(**je));
	assert_non_null(*je);
	assert_int_equal(
	    w_control(f->w, "testnet_drop_next_tx",
		      json_pack("{s:i,s:b}", "count", 1, "sticky", 1)),
	    XU_OK);
	submit_then_stop(w, intent, a, *je);
	return w;
}

/* w comes back: its dropped payment is retired once and rebuilt with
 * Sequence seq, and succeeds. */
static void expect_rebuilt(struct world *w, const char *intent,
			   const struct w_build *a, const struct xl_jentry *je,
			   uint32_t seq)
{
	struct xl_submit_stats st;
	const struct w_out *r;
	char like[XL_INTENT_MAX + 2];

	xl_client_start(w->c);
	r = expect(w, intent, XL_OUT_SUCCESS, "tesSUCCESS");
	assert_string_not_equal(r->hash, je->hash);
	assert_int_equal(r->sequence, seq);
	assert_int_equal(a->builds, 2);
	xl_submit_stats(w->s, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.unknown_alarms, 0);
	snprintf(like, sizeof(like), "%s#%%", intent);
	assert_int_equal(journal_rows(w, like), 1);
}

/* A gap over every ledger a dropped transaction could be in: no
 * searched_all, but the validated account Sequence is not past it, which
 * proves it did not apply: expired, retired and rebuilt (same number). */
static void test_submit_gap_sequence_proves_expiry(void **state)
{
	struct fx *f = *state;
	uint32_t before = account_seq(f->w, GENESIS_ADDR);
	struct xl_jentry *je;
	struct w_build a;
	struct world *w = dropped_while_away(f, "pay:gap:lost", &a, &je);

	wait_validated(f->w, je->lls + 2);
	gap(f->w, je->lls - 19, je->lls);
	assert_int_equal(account_seq(f->w, GENESIS_ADDR), before);
	expect_rebuilt(w, "pay:gap:lost", &a, je, je->sequence);
	assert_int_equal(account_seq(f->w, GENESIS_ADDR), before + 1);
	w_free(w);
	free(je);
}

/* A second sender used our number while we were away: the account's
 * Sequence is past ours, and only txnNotFound with searched_all:true over
 * its whole range proves ours did not apply: still expired and rebuilt
 * with a fresh Sequence, as for any genuinely lost transaction. */
static void test_submit_searched_all_proves_expiry(void **state)
{
	struct fx *f = *state;
	uint32_t before = account_seq(f->w, GENESIS_ADDR);
	struct xl_jentry *je;
	struct w_build a, b;
	struct world *w = dropped_while_away(f, "pay:taken", &a, &je);
	struct world *w2 = fresh_world(f, 0);

	payment(&b, 20);
	w_enqueue(w2, "pay:other", false, &b);
	expect(w2, "pay:other", XL_OUT_SUCCESS, "tesSUCCESS");
	assert_int_equal(b.built_sequence, je->sequence);
	wait_validated(f->w, je->lls + 2);
	expect_rebuilt(w, "pay:taken", &a, je, je->sequence + 1);
	assert_int_equal(account_seq(f->w, GENESIS_ADDR), before + 2);
	w_free(w2);
	w_free(w);
	free(je);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_every_type, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_priority_jumps_queue,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_priority_shared_fairly,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_fee_above_cap, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_deadline_fee_cap, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_disconnect_in_flight,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_inflight_bound, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_network_mismatch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_dropped_tx_rebuilt,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_submit_resent_tem_waits_for_lls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_lost_blob_sent_again,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_expiry_reported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_too_busy, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_not_synced, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_submit_waits_for_store_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_tem_is_final, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_submit_second_sender_detected,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_provisional_results,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_load_fee_above_cap,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_submit_gap_applied_not_rebuilt,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_submit_gap_sequence_proves_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_submit_searched_all_proves_expiry, setup, teardown),
	};
	if (!getenv("XRPSE_TEST_VERBOSE"))
		xu_log_set_level(XU_LOG_BROKEN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
