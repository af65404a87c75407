/* Unit tests for src/store/chanstore.c: every field of the pairing, outgoing
 * and incoming records survives a write, a reopen and a read; absent records
 * are reported as such; corrupt rows are XU_ESTORE errors, not aborts;
 * the due-hello query skips paired, pending and closed accounts; the
 * restart's hello re-arm and the /health counts; the due index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/store/chanstore.h"
#include "src/store/db.h"
#include "tests/store/tempdb.h"

static int setup(void **state)
{
	(void)state;
	return tdb_setup("chanstore");
}

static int teardown(void **state)
{
	(void)state;
	return tdb_teardown();
}

static struct xl_drops d(uint64_t v)
{
	struct xl_drops x;
	assert_true(xl_drops_from_u64(&x, v));
	return x;
}

static void acct(uint8_t fill, struct cr_account_id *a)
{
	memset(a, fill, sizeof(*a));
}

static void sample_out(struct eng_chan_out *o)
{
	struct cr_account_id self, peer;

	memset(o, 0, sizeof(*o));
	acct(0x11, &self);
	acct(0x22, &peer);
	snprintf(o->account, sizeof(o->account), "acct-out");
	pc_out_init(&o->ch, &self, &peer);
	o->ch.state = PC_OUT_FUNDING;
	o->ch.has_id = true;
	memset(o->ch.id, 0xAB, sizeof(o->ch.id));
	o->ch.amount = d(20000000);
	o->ch.redeemed = d(1234);
	o->ch.settle_delay = 518400;
	o->ch.has_expiration = true;
	o->ch.expiration = 800000000;
	o->ch.signed_total = d(5555555);
	o->ch.owed = d(77);
	o->ch.fund_inflight = true;
	o->ch.close_inflight = false;
	o->ch.deleting = true;
	o->ch.has_account = true;
	o->ch.acct_balance = d(999000000);
	o->ch.acct_reserve = d(12000000);
	o->ch.acct_reserve_inc = d(2000000);
	o->ch.fee = d(12);
	o->ch.retry_at = 123456;
	o->claim_amount = d(5555555);
	o->claim_siglen = 71;
	memset(o->claim_sig, 0x5A, o->claim_siglen);
	o->peer_best = d(5000000);
	o->create_n = 2;
	o->fund_n = 3;
	o->close_n = 4;
	o->tx_amount = d(10000000);
	o->ch.seen_ledger = 4000000000u;
	o->ch.has_key = true; /* an adopted channel's own key */
	memset(o->ch.key, 0xED, sizeof(o->ch.key));
	snprintf(o->signer, sizeof(o->signer), "kava:acct-out");
	o->ch.tx_fails = 9;
}

static void sample_in(struct eng_chan_in *r)
{
	struct cr_account_id self, peer;
	uint8_t id[CR_CHANNEL_ID_BYTES];

	memset(r, 0, sizeof(*r));
	acct(0x33, &self);
	acct(0x44, &peer);
	memset(id, 0xCD, sizeof(id));
	snprintf(r->account, sizeof(r->account), "acct-in");
	pc_in_init(&r->ch, &self, &peer, id);
	r->ch.state = PC_IN_CLOSING;
	r->ch.has_view = true;
	memcpy(r->ch.view.id, id, sizeof(id));
	r->ch.view.source = peer;
	r->ch.view.dest = self;
	r->ch.view.amount = d(30000000);
	r->ch.view.balance = d(100);
	r->ch.view.settle_delay = 259200;
	r->ch.view.has_expiration = true;
	r->ch.view.expiration = 700000000;
	r->ch.view.has_cancel_after = true;
	r->ch.view.cancel_after = 710000000;
	memset(r->ch.view.pubkey, 0x02, sizeof(r->ch.view.pubkey));
	r->ch.view.ledger_index = 4100000000u;
	r->ch.best = d(4242);
	r->ch.best_siglen = 64;
	memset(r->ch.best_sig, 0x77, r->ch.best_siglen);
	r->ch.redeem_inflight = true;
	r->ch.deleting = true;
	r->ch.expired_alerted = true;
	r->ch.redeem_amount = d(4000);
	r->ch.next_check = 11;
	r->ch.retry_at = 22;
	r->ch.last_redeem = 33;
	r->redeem_n = 5;
	r->redeem_close = true;
}

/* Compares what is persisted: everything but the reason strings. */
static void out_equal(const struct eng_chan_out *a,
		      const struct eng_chan_out *b)
{
	struct eng_chan_out x = *a, y = *b;

	x.ch.reason = y.ch.reason = NULL;
	x.due_ms = y.due_ms = 0; /* set by the store */
	assert_memory_equal(&x, &y, sizeof(x));
}

static void in_equal(const struct eng_chan_in *a, const struct eng_chan_in *b)
{
	struct eng_chan_in x = *a, y = *b;

	x.ch.reason = y.ch.reason = NULL;
	x.due_ms = y.due_ms = 0; /* set by the store */
	assert_memory_equal(&x, &y, sizeof(x));
}

static void test_chanstore_out_roundtrip(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got, *all;
	struct xu_err e;
	size_t n;
	bool found;

	sample_out(&o);
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_OK);
	assert_false(found);
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	eng_store_close(s);

	s = tdb_open();
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_OK);
	assert_true(found);
	assert_string_equal(got.ch.reason, "restored");
	out_equal(&o, &got);
	/* By channel id: the record of whichever account has it. */
	assert_int_equal(eng_chan_out_by_id(s, o.ch.id, &got, &found, &e),
			 XU_OK);
	assert_true(found);
	out_equal(&o, &got);
	{
		uint8_t other[CR_CHANNEL_ID_BYTES];

		memset(other, 0xAC, sizeof(other));
		assert_int_equal(eng_chan_out_by_id(s, other, &got, &found, &e),
				 XU_OK);
		assert_false(found);
	}
	/* Replace, then list. */
	o.ch.state = PC_OUT_OPEN;
	o.ch.has_id = false;
	memset(o.ch.id, 0, sizeof(o.ch.id));
	o.claim_siglen = 0;
	memset(o.claim_sig, 0, sizeof(o.claim_sig));
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	snprintf(o.account, sizeof(o.account), "acct-out-2");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_all(s, &all, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].account, "acct-out");
	out_equal(&o, &all[1]);
	free(all);
	/* Without an id, no longer found by the old one. */
	memset(o.ch.id, 0xAB, sizeof(o.ch.id));
	assert_int_equal(eng_chan_out_by_id(s, o.ch.id, &got, &found, &e),
			 XU_OK);
	assert_false(found);
	eng_store_close(s);
}

static void test_chanstore_in_roundtrip(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_in r, got, *all;
	struct xu_err e;
	size_t n;
	bool found;

	sample_in(&r);
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &got, &found, &e), XU_OK);
	assert_false(found);
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	eng_store_close(s);

	s = tdb_open();
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &got, &found, &e), XU_OK);
	assert_true(found);
	in_equal(&r, &got);
	/* A record without a view keeps no view fields. */
	struct eng_chan_in r2 = r;
	memset(r2.ch.id, 0x01, sizeof(r2.ch.id));
	memset(&r2.ch.view, 0, sizeof(r2.ch.view));
	r2.ch.has_view = false;
	memset(r2.account, 0, sizeof(r2.account));
	snprintf(r2.account, sizeof(r2.account), "other");
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &r2, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_in_all(s, NULL, &all, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	free(all);
	assert_int_equal(eng_chan_in_all(s, "acct-in", &all, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	in_equal(&r, &all[0]);
	free(all);
	assert_int_equal(eng_chan_in_all(s, "nobody", &all, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	assert_null(all);
	assert_int_equal(eng_chan_in_get(s, r2.ch.id, &got, &found, &e), XU_OK);
	in_equal(&r2, &got);
	eng_store_close(s);
}

/* A write that keeps a record's key columns is an UPDATE of every other
 * column (docs/design.md#narrow-writes): each of them changes, and reads
 * back as written; a write that changes the channel id, an incoming
 * record's state or its redeem in flight replaces the row, and the
 * indexes on those columns follow. */
static void test_chanstore_narrow_writes(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got, *all;
	struct eng_chan_in r, rgot, *live;
	struct xu_err e;
	uint8_t old_id[CR_CHANNEL_ID_BYTES];
	size_t n;
	bool found;

	sample_out(&o);
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	/* Every column but account and id, to another value. */
	acct(0x12, &o.ch.self);
	acct(0x23, &o.ch.peer);
	o.ch.state = PC_OUT_CLOSING;
	o.ch.amount = d(20000001);
	o.ch.redeemed = d(1235);
	o.ch.settle_delay = 518401;
	o.ch.has_expiration = false;
	o.ch.expiration = 0;
	o.ch.signed_total = d(5555556);
	o.ch.owed = d(78);
	o.ch.fund_inflight = false;
	o.ch.close_inflight = true;
	o.ch.deleting = false;
	o.ch.has_account = false;
	o.ch.acct_balance = d(999000001);
	o.ch.acct_reserve = d(12000001);
	o.ch.acct_reserve_inc = d(2000001);
	o.ch.fee = d(13);
	o.ch.retry_at = 123457;
	o.claim_amount = d(5555556);
	o.claim_siglen = 72;
	memset(o.claim_sig, 0x5B, o.claim_siglen);
	o.peer_best = d(5000001);
	o.create_n = 5;
	o.fund_n = 6;
	o.close_n = 7;
	o.tx_amount = d(10000001);
	o.ch.recovering = true;
	o.ch.recover_owed = d(31);
	o.ch.seen_ledger = 4000000001u;
	o.ch.has_ended = true;
	memset(o.ch.ended_id, 0xEE, sizeof(o.ch.ended_id));
	o.ch.ended_signed = d(41);
	o.ch.ended_paid = d(40);
	o.ch.ended_from = 51;
	o.ch.ended_to = 52;
	o.ch.reowed = d(1);
	o.ch.ended_has_final = true;
	o.ch.ended_final = d(39);
	o.ch.ended_has_held = true;
	o.ch.ended_held = d(38);
	o.ch.has_key = false;
	memset(o.ch.key, 0, sizeof(o.ch.key));
	memset(o.signer, 0, sizeof(o.signer));
	o.ch.ledger_floor = d(61);
	o.ch.word_floor = d(62);
	o.ch.tx_fails = 10;
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put_due(s, &o, 5000, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_OK);
	assert_true(found);
	out_equal(&o, &got);
	assert_int_equal(got.due_ms, 5000);
	/* Another channel id: the row is replaced, found by the new id
	 * only, and still the one record of the account. */
	memcpy(old_id, o.ch.id, sizeof(old_id));
	memset(o.ch.id, 0xBA, sizeof(o.ch.id));
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_by_id(s, o.ch.id, &got, &found, &e),
			 XU_OK);
	assert_true(found);
	out_equal(&o, &got);
	assert_true(got.due_ms <= 0); /* due at once */
	assert_int_equal(eng_chan_out_by_id(s, old_id, &got, &found, &e),
			 XU_OK);
	assert_false(found);
	assert_int_equal(eng_chan_out_all(s, &all, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	free(all);

	sample_in(&r);
	r.ch.state = PC_IN_OPEN;
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	/* Every column but id, account, state and redeem_inflight. */
	acct(0x34, &r.ch.self);
	acct(0x45, &r.ch.peer);
	acct(0x46, &r.ch.view.source);
	acct(0x47, &r.ch.view.dest);
	r.ch.view.amount = d(30000001);
	r.ch.view.balance = d(101);
	r.ch.view.settle_delay = 259201;
	r.ch.view.has_expiration = false;
	r.ch.view.expiration = 0;
	r.ch.view.has_cancel_after = false;
	r.ch.view.cancel_after = 0;
	memset(r.ch.view.pubkey, 0x03, sizeof(r.ch.view.pubkey));
	r.ch.view.ledger_index = 4100000001u;
	r.ch.best = d(4243);
	r.ch.best_siglen = 70;
	memset(r.ch.best_sig, 0x78, r.ch.best_siglen);
	r.ch.deleting = false;
	r.ch.expired_alerted = false;
	r.ch.redeem_amount = d(4001);
	r.ch.next_check = 12;
	r.ch.retry_at = 23;
	r.ch.last_redeem = 34;
	r.redeem_n = 6;
	r.redeem_close = false;
	r.ch.frozen = true;
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put_due(s, &r, 7000, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &rgot, &found, &e), XU_OK);
	assert_true(found);
	in_equal(&r, &rgot);
	assert_int_equal(rgot.due_ms, 7000);
	/* Closed with no redeem in flight: replaced, and out of the live
	 * index; in flight again: back in it. */
	r.ch.state = PC_IN_CLOSED;
	r.ch.redeem_inflight = false;
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &rgot, &found, &e), XU_OK);
	in_equal(&r, &rgot);
	assert_int_equal(eng_chan_in_live(s, &live, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	free(live);
	r.ch.redeem_inflight = true;
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_in_live(s, &live, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	in_equal(&r, &live[0]);
	free(live);
	eng_store_close(s);
}

static void account(struct eng_store *s, const char *id)
{
	struct xu_err e;
	bool created;
	assert_int_equal(eng_store_account_create(s, id, &created, &e), XU_OK);
}

static void test_chanstore_peers_and_due(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_peer p, got, due[8];
	struct xu_err e;
	size_t n;
	bool found;

	tdb_begin(s);
	account(s, "a1");
	account(s, "a2");
	account(s, "a3");
	account(s, "a4");
	/* a1: unpaired, due at 100; a2: unpaired, due at 500; a3: paired;
	 * a4: unpaired, due, but its account is closed. */
	memset(&p, 0, sizeof(p));
	snprintf(p.account, sizeof(p.account), "a1");
	p.hello_next_ms = 100;
	p.hello_attempts = 1;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	snprintf(p.account, sizeof(p.account), "a2");
	p.hello_next_ms = 500;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	snprintf(p.account, sizeof(p.account), "a4");
	p.hello_next_ms = 0;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	assert_int_equal(eng_store_account_delete(s, "a4", &e), XU_OK);
	snprintf(p.account, sizeof(p.account), "a3");
	p.paired = true;
	acct(0x99, &p.address);
	p.key_type = CR_KEY_ED25519;
	p.min_settle_delay = 259200;
	p.version = 1;
	p.hello_next_ms = 0;
	p.hello_attempts = 7;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	tdb_commit(s);

	assert_int_equal(eng_chan_peer_get(s, "a3", &got, &found, &e), XU_OK);
	assert_true(found);
	assert_memory_equal(&got, &p, sizeof(p));
	assert_int_equal(eng_chan_peer_get(s, "zz", &got, &found, &e), XU_OK);
	assert_false(found);

	assert_int_equal(eng_chan_peer_due(s, 99, due, 8, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eng_chan_peer_due(s, 100, due, 8, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].account, "a1");
	assert_false(due[0].paired);
	assert_int_equal(eng_chan_peer_due(s, 1000, due, 8, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	assert_int_equal(eng_chan_peer_due(s, 1000, due, 1, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	/* Through the index of unpaired records by hello time, not a scan
	 * of every pairing record (the tick asks every second). */
	{
		sqlite3_stmt *st = NULL;
		bool indexed = false;

		assert_int_equal(
		    sqlite3_prepare_v2(
			eng_store_db(s),
			"EXPLAIN QUERY PLAN SELECT p.account FROM pc_peers p "
			"JOIN accounts a ON a.id = p.account AND "
			"a.closed_at IS NULL WHERE p.address IS NULL AND "
			"p.hello_next_ms <= 1000 ORDER BY p.hello_next_ms "
			"LIMIT 8",
			-1, &st, NULL),
		    SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			indexed =
			    indexed ||
			    strstr((const char *)sqlite3_column_text(st, 3),
				   "pc_peers_hello") != NULL;
		sqlite3_finalize(st);
		assert_true(indexed);
	}
	/* Open accounts without a record: a5 only (a4 is closed). */
	char miss[4][ENG_STORE_ACCOUNT_MAX + 1];
	assert_int_equal(eng_chan_peer_missing(s, miss, 4, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	tdb_begin(s);
	account(s, "a5");
	tdb_commit(s);
	assert_int_equal(eng_chan_peer_missing(s, miss, 4, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(miss[0], "a5");
	eng_store_close(s);
}

static void test_chanstore_corrupt_rows(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got, *all;
	struct eng_chan_in r, rgot;
	struct eng_chan_peer p;
	struct xu_err e;
	size_t n;
	bool found;

	sample_out(&o);
	sample_in(&r);
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	sqlite3 *db = eng_store_db(s);
	/* Amount above 10^17, state out of range, bad address, key type. */
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE pc_out SET amount = "
				      "100000000000000001",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_ESTORE);
	assert_int_equal(eng_chan_out_all(s, &all, &n, &e), XU_ESTORE);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE pc_out SET amount = 1, state = 9",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_ESTORE);
	assert_int_equal(sqlite3_exec(db, "UPDATE pc_in SET peer = 'rNope'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &rgot, &found, &e),
			 XU_ESTORE);
	assert_int_equal(
	    sqlite3_exec(db,
			 "INSERT INTO pc_peers (account, address, "
			 "key_type, hello_next_ms, updated_at) "
			 "VALUES ('x', "
			 "'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh', 7, "
			 "0, 0)",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(eng_chan_peer_get(s, "x", &p, &found, &e), XU_ESTORE);
	eng_store_close(s);
}

/* The upkeep and counts of the service: a restart makes every unpaired
 * record's hello due (a paired one keeps its schedule); /health counts
 * the records per state, the unpaired and the recovering ones, and a
 * state out of range is XU_ESTORE with the counts all 0. */
static void test_chanstore_rearm_and_counts(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_peer p, got;
	struct eng_chan_out o;
	struct eng_chan_in r;
	uint64_t nout[PC_OUT_NSTATES], nin[PC_IN_NSTATES], n;
	struct xu_err e;
	bool found;

	assert_int_equal(eng_chan_out_count_states(s, nout, &e), XU_OK);
	for (int i = 0; i < PC_OUT_NSTATES; i++)
		assert_int_equal(nout[i], 0);
	assert_int_equal(eng_chan_peer_count_unpaired(s, &n, &e), XU_OK);
	assert_int_equal(n, 0);
	tdb_begin(s);
	/* a1: a hello with the outbox; a2: due already; a3: paired. */
	memset(&p, 0, sizeof(p));
	snprintf(p.account, sizeof(p.account), "a1");
	p.hello_next_ms = INT64_MAX;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	snprintf(p.account, sizeof(p.account), "a2");
	p.hello_next_ms = 0;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	snprintf(p.account, sizeof(p.account), "a3");
	p.paired = true;
	acct(0x99, &p.address);
	p.key_type = CR_KEY_ED25519;
	p.hello_next_ms = 500;
	assert_int_equal(eng_chan_peer_put(s, &p, &e), XU_OK);
	/* Outgoing: FUNDING, OPEN recovering, OPEN; incoming: CLOSING. */
	sample_out(&o);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	o.ch.state = PC_OUT_OPEN;
	o.ch.recovering = true;
	snprintf(o.account, sizeof(o.account), "acct-out-2");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	o.ch.recovering = false;
	snprintf(o.account, sizeof(o.account), "acct-out-3");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	sample_in(&r);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);

	assert_int_equal(eng_chan_peer_rearm_hellos(s, &e), XU_OK);
	assert_int_equal(eng_chan_peer_get(s, "a1", &got, &found, &e), XU_OK);
	assert_int_equal(got.hello_next_ms, 0);
	assert_int_equal(eng_chan_peer_get(s, "a2", &got, &found, &e), XU_OK);
	assert_int_equal(got.hello_next_ms, 0);
	assert_int_equal(eng_chan_peer_get(s, "a3", &got, &found, &e), XU_OK);
	assert_int_equal(got.hello_next_ms, 500);

	assert_int_equal(eng_chan_peer_count_unpaired(s, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	assert_int_equal(eng_chan_out_count_recovering(s, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	assert_int_equal(eng_chan_out_count_states(s, nout, &e), XU_OK);
	assert_int_equal(nout[PC_OUT_FUNDING], 1);
	assert_int_equal(nout[PC_OUT_OPEN], 2);
	assert_int_equal(nout[PC_OUT_NONE] + nout[PC_OUT_OPENING] +
			     nout[PC_OUT_CLOSING] + nout[PC_OUT_CLOSED],
			 0);
	assert_int_equal(eng_chan_in_count_states(s, nin, &e), XU_OK);
	assert_int_equal(nin[PC_IN_CLOSING], 1);
	assert_int_equal(nin[PC_IN_NONE] + nin[PC_IN_OPEN] + nin[PC_IN_CLOSED],
			 0);
	assert_int_equal(sqlite3_exec(eng_store_db(s),
				      "UPDATE pc_in SET state = 9", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(eng_chan_in_count_states(s, nin, &e), XU_ESTORE);
	for (int i = 0; i < PC_IN_NSTATES; i++)
		assert_int_equal(nin[i], 0);
	eng_store_close(s);
}

/* docs/risks.md#closed-records-never-pruned: the live records are read
 * without the closed ones; a closed record whose last redeem is final is
 * pruned into its summary once old enough (one still redeeming is not),
 * and still counts as closed. */
static void test_chanstore_in_live_and_prune(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_in r, got, *v;
	uint64_t nin[PC_IN_NSTATES], n;
	struct xu_err e;
	size_t nv;
	bool found;

	sample_in(&r);
	tdb_begin(s);
	/* id 0x10: CLOSING; 0x11..0x13: CLOSED; 0x13 with a redeem out. */
	for (int k = 0; k < 4; k++) {
		memset(r.ch.id, 0x10 + k, sizeof(r.ch.id));
		r.ch.state = k == 0 ? PC_IN_CLOSING : PC_IN_CLOSED;
		r.ch.redeem_inflight = k == 3;
		assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	}
	tdb_commit(s);
	assert_int_equal(eng_chan_in_live(s, &v, &nv, &e), XU_OK);
	assert_int_equal(nv, 2);
	assert_int_equal(v[0].ch.id[0], 0x10);
	assert_int_equal(v[1].ch.id[0], 0x13);
	free(v);
	/* Too young for a day's keep: nothing goes. */
	tdb_begin(s);
	assert_int_equal(eng_chan_in_prune(s, 86400, 100, &n, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(n, 0);
	/* Written before now (updated_at is in seconds). */
	sleep(1);
	tdb_begin(s);
	assert_int_equal(eng_chan_in_prune(s, 0, 1, &n, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(n, 1); /* at most max at a time */
	tdb_begin(s);
	assert_int_equal(eng_chan_in_prune(s, 0, 100, &n, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(n, 1);
	memset(r.ch.id, 0x11, sizeof(r.ch.id));
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &got, &found, &e), XU_OK);
	assert_false(found);
	memset(r.ch.id, 0x13, sizeof(r.ch.id));
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &got, &found, &e), XU_OK);
	assert_true(found);
	/* The pruned ones are known as closed; the live one is not. */
	memset(r.ch.id, 0x11, sizeof(r.ch.id));
	assert_int_equal(eng_chan_in_closed_has(s, r.ch.id, &found, &e), XU_OK);
	assert_true(found);
	memset(r.ch.id, 0x13, sizeof(r.ch.id));
	assert_int_equal(eng_chan_in_closed_has(s, r.ch.id, &found, &e), XU_OK);
	assert_false(found);
	assert_int_equal(eng_chan_in_count_states(s, nin, &e), XU_OK);
	assert_int_equal(nin[PC_IN_CLOSING], 1);
	assert_int_equal(nin[PC_IN_CLOSED], 3);
	{
		sqlite3_stmt *st;

		assert_int_equal(
		    sqlite3_prepare_v2(eng_store_db(s),
				       "SELECT count(*), sum(best) FROM "
				       "pc_in_closed",
				       -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), 2);
		assert_int_equal(sqlite3_column_int64(st, 1),
				 2 * (int64_t)xl_drops_u64(r.ch.best));
		sqlite3_finalize(st);
	}
	eng_store_close(s);
}

/* The due index: a write makes a record due at once, below every other
 * due time of its table; the tick's later due time holds only on a
 * record nothing wrote since it was read; the due query returns exactly
 * the records due, and finds the lowest due time through the index. */
static void test_chanstore_due_index(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got, *ov;
	struct eng_chan_in r, rgot, *iv;
	struct xu_err e;
	size_t n;
	bool found, set;
	int64_t was;
	sqlite3_stmt *st;

	sample_out(&o);
	sample_in(&r);
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	snprintf(o.account, sizeof(o.account), "acct-two");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	assert_int_equal(eng_chan_in_put(s, &r, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_get(s, "acct-out", &got, &found, &e),
			 XU_OK);
	was = got.due_ms;
	assert_true(was <= 0);
	assert_int_equal(eng_chan_out_get(s, "acct-two", &got, &found, &e),
			 XU_OK);
	assert_true(got.due_ms < was); /* unique: below every other */
	assert_int_equal(eng_chan_out_due(s, 0, &ov, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ov[0].account, "acct-two"); /* lowest first */
	free(ov);

	/* The tick sets a later due time: no longer due before it. */
	tdb_begin(s);
	assert_int_equal(
	    eng_chan_out_set_due(s, "acct-out", was, 5000, &set, &e), XU_OK);
	assert_true(set);
	assert_int_equal(eng_chan_in_set_due(s, r.ch.id, 0, 5000, &set, &e),
			 XU_OK);
	assert_false(set); /* not the due time it holds */
	tdb_commit(s);
	assert_int_equal(eng_chan_out_due(s, 4999, &ov, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ov[0].account, "acct-two");
	free(ov);
	assert_int_equal(eng_chan_out_due(s, 5000, &ov, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	free(ov);

	/* A write in between: due again at once, and the due time the tick
	 * read no longer holds. */
	assert_int_equal(eng_chan_in_get(s, r.ch.id, &rgot, &found, &e), XU_OK);
	was = rgot.due_ms;
	tdb_begin(s);
	assert_int_equal(eng_chan_in_put(s, &rgot, &e), XU_OK);
	assert_int_equal(eng_chan_in_set_due(s, r.ch.id, was, 9000, &set, &e),
			 XU_OK);
	assert_false(set);
	tdb_commit(s);
	assert_int_equal(eng_chan_in_due(s, 0, &iv, &n, &e), XU_OK);
	assert_int_equal(n, 1);
	assert_true(iv[0].due_ms < was);
	free(iv);

	/* The lowest due time comes from the index, not a scan. */
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(s),
					    "EXPLAIN QUERY PLAN SELECT "
					    "min(due_ms) FROM pc_in",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(
	    strstr((const char *)sqlite3_column_text(st, 3), "pc_in_due"));
	sqlite3_finalize(st);
	eng_store_close(s);
}

/* The owed alert's read (docs/design.md#scale): the records with owed
 * drops or a claim above the peer_best they store, from the partial index
 * pc_out_unpaid, not a scan of every record. */
static void test_chanstore_out_unpaid(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, *ov;
	struct xu_err e;
	size_t n;
	sqlite3_stmt *st;

	sample_out(&o);
	tdb_begin(s);
	/* owed, and a claim above peer_best */
	snprintf(o.account, sizeof(o.account), "a-both");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	/* a claim above peer_best only */
	o.ch.owed = d(0);
	snprintf(o.account, sizeof(o.account), "b-claim");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	/* all acknowledged: nothing unpaid */
	o.peer_best = o.claim_amount;
	snprintf(o.account, sizeof(o.account), "c-paid");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	/* owed only */
	o.ch.owed = d(5);
	snprintf(o.account, sizeof(o.account), "d-owed");
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_unpaid(s, &ov, &n, &e), XU_OK);
	assert_int_equal(n, 3);
	assert_string_equal(ov[0].account, "a-both");
	assert_string_equal(ov[1].account, "b-claim");
	assert_string_equal(ov[2].account, "d-owed");
	assert_true(xl_drops_eq(ov[2].ch.owed, d(5)));
	free(ov);
	/* Paid since: leaves the set. */
	o.ch.owed = d(0);
	tdb_begin(s);
	assert_int_equal(eng_chan_out_put(s, &o, &e), XU_OK);
	tdb_commit(s);
	assert_int_equal(eng_chan_out_unpaid(s, &ov, &n, &e), XU_OK);
	assert_int_equal(n, 2);
	free(ov);
	assert_int_equal(sqlite3_prepare_v2(eng_store_db(s),
					    "EXPLAIN QUERY PLAN SELECT account "
					    "FROM pc_out WHERE owed > 0 OR "
					    "claim_amount > peer_best ORDER BY "
					    "account",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(
	    strstr((const char *)sqlite3_column_text(st, 3), "pc_out_unpaid"));
	sqlite3_finalize(st);
	eng_store_close(s);
}

/* docs/risks.md#final-answer-without-a-record: a marker belongs to the
 * account that asked (another account's record of the same id is not
 * frozen by it), is taken once, and each account keeps only its newest
 * ENG_CHAN_IN_FINAL_KEEP. */
static void test_chanstore_in_final_markers(void **state)
{
	(void)state;
	struct eng_store *s = tdb_open();
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct xu_err e;
	bool found;

	memset(id, 0x21, sizeof(id));
	tdb_begin(s);
	assert_int_equal(eng_chan_in_final_put(s, id, "alice", 1, &e), XU_OK);
	assert_int_equal(eng_chan_in_final_take(s, id, "carol", &found, &e),
			 XU_OK);
	assert_false(found);
	assert_int_equal(eng_chan_in_final_take(s, id, "alice", &found, &e),
			 XU_OK);
	assert_true(found);
	assert_int_equal(eng_chan_in_final_take(s, id, "alice", &found, &e),
			 XU_OK);
	assert_false(found);
	/* A flood of ids from one account drops its oldest, not carol's. */
	assert_int_equal(eng_chan_in_final_put(s, id, "carol", 1, &e), XU_OK);
	for (int k = 0; k <= ENG_CHAN_IN_FINAL_KEEP; k++) {
		id[0] = (uint8_t)(0x30 + k);
		assert_int_equal(
		    eng_chan_in_final_put(s, id, "alice", 10 + k, &e), XU_OK);
	}
	id[0] = 0x30;
	assert_int_equal(eng_chan_in_final_take(s, id, "alice", &found, &e),
			 XU_OK);
	assert_false(found);
	id[0] = (uint8_t)(0x30 + ENG_CHAN_IN_FINAL_KEEP);
	assert_int_equal(eng_chan_in_final_take(s, id, "alice", &found, &e),
			 XU_OK);
	assert_true(found);
	memset(id, 0x21, sizeof(id));
	assert_int_equal(eng_chan_in_final_take(s, id, "carol", &found, &e),
			 XU_OK);
	assert_true(found);
	tdb_commit(s);
	eng_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chanstore_out_roundtrip, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_out_unpaid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_due_index, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_narrow_writes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_in_roundtrip, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_peers_and_due, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_corrupt_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_rearm_and_counts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_in_final_markers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chanstore_in_live_and_prune,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
