/* Unit tests of src/cli/kava.c, `xrpse import kava`, over a real store and
 * a fake validated ledger: the plugin's store as it writes it, one account
 * with both channels adopted (the claims and keys of the plugin), a
 * second run that changes nothing, and the refusals (a tampered claim, a
 * channel with a foreign PublicKey, one closing too soon, a peer the
 * ledger does not know, an account that already has channels). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/claim.h"
#include "crypto/sign.h"
#include "src/cli/kava.h"
#include "src/store/chanstore.h"
#include "src/util/hex.h"
#include "tests/store/tempdb.h"

#define OUR_SEED "snoPBrXtMeMyMHUVTgbuqAfg1SUTb"
#define PEER_SEED "sEdTM1uX8pu2do5XvTnutH6HsouMaM2"
#define LEDGER_TIME 800000000u

/* The fake validated ledger. */
#define MAXCH 4
static struct pc_view g_chans[MAXCH];
static size_t g_nchans;
static struct cr_account_id g_accts[4];
static size_t g_naccts;
static unsigned g_lookups;

static enum xu_code fake_channel(void *arg,
				 const uint8_t id[CR_CHANNEL_ID_BYTES],
				 struct pc_view *v, bool *found,
				 struct xu_err *err)
{
	(void)arg;
	(void)err;
	g_lookups++;
	*found = false;
	for (size_t i = 0; i < g_nchans; i++)
		if (!memcmp(g_chans[i].id, id, CR_CHANNEL_ID_BYTES)) {
			*v = g_chans[i];
			*found = true;
		}
	return XU_OK;
}

static enum xu_code fake_account(void *arg, const struct cr_account_id *id,
				 bool *found, struct xu_err *err)
{
	(void)arg;
	(void)err;
	*found = false;
	for (size_t i = 0; i < g_naccts; i++)
		if (!memcmp(&g_accts[i], id, sizeof(*id)))
			*found = true;
	return XU_OK;
}

static struct cr_seed g_seed;
static struct cr_keypair g_us, g_peer, g_out_key, g_in_key;
static struct cr_account_id g_us_id, g_peer_id;
static char g_peer_addr[CR_ADDRESS_STRLEN];

static int setup(void **state)
{
	struct xu_err err;

	(void)state;
	assert_int_equal(cr_init(&err), XU_OK);
	assert_int_equal(cr_seed_parse(&g_seed, OUR_SEED, &err), XU_OK);
	assert_int_equal(cr_keypair_from_seed_text(&g_us, OUR_SEED, 0, &err),
			 XU_OK);
	assert_int_equal(cr_keypair_from_seed_text(&g_peer, PEER_SEED, 0, &err),
			 XU_OK);
	cr_account_id_of(&g_us_id, &g_us.pub);
	cr_account_id_of(&g_peer_id, &g_peer.pub);
	cr_address_encode(g_peer_addr, &g_peer_id);
	/* Our plugin's key for its account "bob"; the peer's plugin's key
	 * for its account "alice" (the one it pays us from). */
	assert_int_equal(
	    cr_kava_channel_keypair(&g_out_key, OUR_SEED, "bob", &err), XU_OK);
	assert_int_equal(
	    cr_kava_channel_keypair(&g_in_key, PEER_SEED, "alice", &err),
	    XU_OK);
	g_naccts = 0;
	g_accts[g_naccts++] = g_us_id;
	g_accts[g_naccts++] = g_peer_id;
	g_nchans = 0;
	g_lookups = 0;
	return tdb_setup("kava");
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

/* A channel on the fake ledger; returns its index. */
static size_t add_chan(uint8_t n, const struct cr_account_id *src,
		       const struct cr_account_id *dst, const uint8_t *pub)
{
	struct pc_view *v = &g_chans[g_nchans];

	memset(v, 0, sizeof(*v));
	memset(v->id, n, CR_CHANNEL_ID_BYTES);
	v->source = *src;
	v->dest = *dst;
	v->amount = d(10000000);
	v->balance = d(0);
	v->settle_delay = 6 * 24 * 3600;
	memcpy(v->pubkey, pub, CR_PUBKEY_BYTES);
	v->ledger_index = 77;
	return g_nchans++;
}

/* The plugin's cached channel, as it serialises it. */
static json_t *plugin_chan(const struct pc_view *v, uint64_t spent,
			   const struct cr_keypair *signer)
{
	char hex[65], sighex[2 * CR_SIG_MAX_BYTES + 1], num[24];
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;

	xu_hex_encode(hex, sizeof(hex), v->id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(
	    cr_claim_sign(sig, &siglen, signer, v->id, spent, NULL), XU_OK);
	xu_hex_encode(sighex, sizeof(sighex), sig, siglen);
	for (char *p = sighex; *p; p++) /* the plugin writes lower case */
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)spent);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "lastUpdated",
			 (json_int_t)1700000000000, "channelId", hex,
			 "receiver", "r", "sender", "s", "disputeDelay",
			 "518400", "value", "10000000", "balance", "0", "spent",
			 num, "signature", sighex);
}

/* The plugin's store with its account "bob" (our peer): incoming channel
 * in (best claim in_spent), outgoing out (last claim out_spent). */
static json_t *dump_of(const struct pc_view *in, uint64_t in_spent,
		       const struct pc_view *out, uint64_t out_spent)
{
	json_t *acct =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "accountName", "bob",
		      "xrpAddress", g_peer_addr, "receivableBalance", "0",
		      "payableBalance", "0", "payoutAmount", "0");
	json_t *dump;
	char *text, hex[65], key[100];

	json_object_set_new(acct, "incoming",
			    in ? plugin_chan(in, in_spent, &g_in_key)
			       : json_null());
	json_object_set_new(acct, "outgoing",
			    out ? plugin_chan(out, out_spent, &g_out_key)
				: json_null());
	text = json_dumps(acct, JSON_COMPACT);
	json_decref(acct);
	dump = json_pack("{s:s,s:s}", "accounts", "[\"bob\"]", "bob:account",
			 text);
	free(text);
	if (in) {
		xu_hex_encode(hex, sizeof(hex), in->id, CR_CHANNEL_ID_BYTES);
		snprintf(key, sizeof(key), "%s:incoming-channel", hex);
		json_object_set_new(dump, key, json_string("bob"));
	}
	return dump;
}

static json_t *import(struct eng_store *s, json_t *dump,
		      const struct eng_kava_map *map, size_t nmap)
{
	struct eng_kava_ledger lg = {.channel = fake_channel,
				     .account = fake_account,
				     .ledger_time = LEDGER_TIME,
				     .ledger_index = 77};
	struct pc_cfg cfg;
	struct xu_err err;
	json_t *r;

	pc_cfg_default(&cfg);
	r = eng_kava_import(s, &cfg, &g_seed, dump, map, nmap, &lg, &err);
	assert_non_null(r);
	return r;
}

/* The dump's incoming claim amount set to SPENT (its signature kept). */
static void tamper_in_spent(json_t *dump, const char *spent)
{
	json_t *acct = json_loads(
	    json_string_value(json_object_get(dump, "bob:account")), 0, NULL);
	char *text;

	json_object_set_new(json_object_get(acct, "incoming"), "spent",
			    json_string(spent));
	text = json_dumps(acct, JSON_COMPACT);
	json_object_set_new(dump, "bob:account", json_string(text));
	free(text);
	json_decref(acct);
}

static const char *at(json_t *r, const char *side, const char *field)
{
	json_t *e = json_array_get(json_object_get(r, "accounts"), 0);

	if (side)
		e = json_object_get(e, side);
	return json_string_value(json_object_get(e, field));
}

static void test_kava_import_and_again(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct xu_err err;
	struct eng_kava_map map = {"bob", "peer-b"};
	size_t in, out;
	json_t *dump, *rep;
	bool have;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	out = add_chan(0xB2, &g_us_id, &g_peer_id, g_out_key.pub.b);
	dump = dump_of(&g_chans[in], 2500000, &g_chans[out], 1200000);
	rep = import(s, dump, &map, 1);
	assert_string_equal(at(rep, NULL, "status"), "imported");
	assert_string_equal(at(rep, NULL, "account"), "peer-b");
	assert_string_equal(at(rep, "incoming", "status"), "adopted");
	assert_string_equal(at(rep, "incoming", "claim"), "2500000");
	assert_string_equal(at(rep, "outgoing", "status"), "adopted");
	assert_string_equal(at(rep, "outgoing", "claim"), "1200000");
	assert_string_equal(at(rep, "outgoing", "amount"), "10000000");
	assert_string_equal(at(rep, "incoming", "balance"), "0");
	json_decref(rep);

	/* The records: the outgoing channel signs with the plugin's key,
	 * derived (never stored); the incoming claim is held, credited. */
	assert_true(eng_store_account_exists(s, "peer-b"));
	assert_int_equal(eng_chan_out_get(s, "peer-b", &o, &have, &err), XU_OK);
	assert_true(have);
	assert_int_equal(o.ch.state, PC_OUT_OPEN);
	assert_true(o.ch.has_key);
	assert_memory_equal(o.ch.key, g_out_key.pub.b, CR_PUBKEY_BYTES);
	assert_string_equal(o.signer, "kava:bob");
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 1200000);
	assert_int_equal(xl_drops_u64(o.claim_amount), 1200000);
	assert_true(cr_claim_verify(g_out_key.pub.b, CR_PUBKEY_BYTES, o.ch.id,
				    1200000, o.claim_sig, o.claim_siglen));
	assert_true(xl_drops_is_zero(o.peer_best));
	assert_int_equal(eng_chan_in_get(s, g_chans[in].id, &r, &have, &err),
			 XU_OK);
	assert_true(have);
	assert_string_equal(r.account, "peer-b");
	assert_int_equal(r.ch.state, PC_IN_OPEN);
	assert_int_equal(xl_drops_u64(r.ch.best), 2500000);
	assert_false(r.ch.redeem_inflight);

	/* Again: nothing changes. */
	rep = import(s, dump, &map, 1);
	assert_string_equal(at(rep, NULL, "status"), "already_imported");
	assert_string_equal(at(rep, "incoming", "status"), "already_imported");
	assert_string_equal(at(rep, "outgoing", "status"), "already_imported");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(rep, "summary"),
					       "already_imported")),
	    1);
	json_decref(rep);
	json_decref(dump);
	eng_store_close(s);
}

/* A claim altered after signing (its amount raised in the dump), and an
 * outgoing channel whose ledger PublicKey is not the plugin's key for
 * the account: both refused with their reason, the account still made. */
static void test_kava_refuse_tampered_and_foreign(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct xu_err err;
	size_t in, out;
	json_t *dump, *rep;
	bool have;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	out = add_chan(0xB2, &g_us_id, &g_peer_id, g_us.pub.b);
	dump = dump_of(&g_chans[in], 2500000, &g_chans[out], 1200000);
	tamper_in_spent(dump, "2600000");
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "imported");
	assert_string_equal(at(rep, "incoming", "status"), "refused");
	assert_string_equal(at(rep, "incoming", "reason"), "bad_signature");
	assert_string_equal(at(rep, "outgoing", "status"), "refused");
	assert_string_equal(at(rep, "outgoing", "reason"), "foreign_key");
	json_decref(rep);
	assert_int_equal(eng_chan_out_get(s, "bob", &o, &have, &err), XU_OK);
	assert_false(have);
	assert_int_equal(eng_chan_in_get(s, g_chans[in].id, &r, &have, &err),
			 XU_OK);
	assert_false(have);
	json_decref(dump);
	eng_store_close(s);
}

/* A run that refused one channel (a tampered incoming claim) and adopted
 * the other: the next run with the store put right adopts the refused one
 * next to the held one, and reports only what the store held as
 * already_imported (never a channel it does not hold). */
static void test_kava_again_adopts_what_was_refused(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_in r;
	struct xu_err err;
	size_t in, out;
	json_t *dump, *bad, *rep;
	bool have;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	out = add_chan(0xB2, &g_us_id, &g_peer_id, g_out_key.pub.b);
	dump = dump_of(&g_chans[in], 2500000, &g_chans[out], 1200000);
	bad = json_deep_copy(dump);
	tamper_in_spent(bad, "2600000");
	rep = import(s, bad, NULL, 0);
	assert_string_equal(at(rep, "incoming", "status"), "refused");
	assert_string_equal(at(rep, "incoming", "reason"), "bad_signature");
	assert_string_equal(at(rep, "outgoing", "status"), "adopted");
	json_decref(rep);

	/* The same tampered store again: the incoming channel is still
	 * refused, not already imported. */
	rep = import(s, bad, NULL, 0);
	assert_string_equal(at(rep, "incoming", "status"), "refused");
	assert_string_equal(at(rep, "outgoing", "status"), "already_imported");
	json_decref(rep);
	assert_int_equal(eng_chan_in_get(s, g_chans[in].id, &r, &have, &err),
			 XU_OK);
	assert_false(have);

	/* The store put right: the incoming channel is adopted. */
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "imported");
	assert_string_equal(at(rep, "incoming", "status"), "adopted");
	assert_string_equal(at(rep, "outgoing", "status"), "already_imported");
	json_decref(rep);
	assert_int_equal(eng_chan_in_get(s, g_chans[in].id, &r, &have, &err),
			 XU_OK);
	assert_true(have);
	assert_int_equal(xl_drops_u64(r.ch.best), 2500000);

	/* And once more: nothing changes. */
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "already_imported");
	assert_string_equal(at(rep, "incoming", "status"), "already_imported");
	assert_string_equal(at(rep, "outgoing", "status"), "already_imported");
	json_decref(rep);
	json_decref(bad);
	json_decref(dump);
	eng_store_close(s);
}

/* An incoming channel whose Expiration leaves less than the close margin
 * (closing too soon to redeem); one that leaves enough is adopted as
 * closing (redeemed at once by the daemon). */
static void test_kava_refuse_closing_too_soon(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_in r;
	struct xu_err err;
	size_t in;
	json_t *dump, *rep;
	bool have;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	g_chans[in].has_expiration = true;
	g_chans[in].expiration = LEDGER_TIME + 600; /* margin: 3600 s+ */
	dump = dump_of(&g_chans[in], 2500000, NULL, 0);
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, "incoming", "status"), "refused");
	assert_string_equal(at(rep, "incoming", "reason"), "closing");
	json_decref(rep);
	json_decref(dump);

	memset(g_chans[in].id, 0xA2, CR_CHANNEL_ID_BYTES);
	g_chans[in].expiration = LEDGER_TIME + 3 * 24 * 3600;
	dump = dump_of(&g_chans[in], 2500000, NULL, 0);
	eng_store_close(s);
	s = tdb_open();
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, "incoming", "status"), "adopted");
	json_decref(rep);
	assert_int_equal(eng_chan_in_get(s, g_chans[in].id, &r, &have, &err),
			 XU_OK);
	assert_true(have);
	assert_int_equal(r.ch.state, PC_IN_CLOSING);
	assert_false(r.ch.redeem_inflight);
	json_decref(dump);
	eng_store_close(s);
}

/* The ledger paid more than the dump's claim (the plugin took a better
 * one after the dump): adopting it would credit the difference again. */
static void test_kava_refuse_stale_dump(void **state)
{
	struct eng_store *s = tdb_open();
	size_t in;
	json_t *dump, *rep;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	g_chans[in].balance = d(3000000);
	dump = dump_of(&g_chans[in], 2500000, NULL, 0);
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, "incoming", "status"), "refused");
	assert_string_equal(at(rep, "incoming", "reason"), "stale");
	json_decref(rep);
	json_decref(dump);
	eng_store_close(s);
}

/* A peer address the validated ledger does not know: the whole account
 * is refused, nothing is written. */
static void test_kava_refuse_unknown_account(void **state)
{
	struct eng_store *s = tdb_open();
	size_t in;
	json_t *dump, *rep;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	dump = dump_of(&g_chans[in], 2500000, NULL, 0);
	g_naccts = 1; /* only ours */
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "refused");
	assert_string_equal(at(rep, NULL, "reason"), "unknown_account");
	assert_false(eng_store_account_exists(s, "bob"));
	json_decref(rep);
	json_decref(dump);
	eng_store_close(s);
}

/* The xrpse account already has channels of its own: refused whole. */
static void test_kava_refuse_account_with_channels(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got;
	struct xu_err err;
	size_t in, out;
	json_t *dump, *rep;
	bool have, created;

	(void)state;
	in = add_chan(0xA1, &g_peer_id, &g_us_id, g_in_key.pub.b);
	out = add_chan(0xB2, &g_us_id, &g_peer_id, g_out_key.pub.b);
	memset(&o, 0, sizeof(o));
	snprintf(o.account, sizeof(o.account), "bob");
	pc_out_init(&o.ch, &g_us_id, &g_peer_id);
	o.ch.state = PC_OUT_OPEN;
	o.ch.has_id = true;
	memset(o.ch.id, 0xC3, CR_CHANNEL_ID_BYTES);
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &err),
			 XU_OK);
	assert_int_equal(eng_chan_out_put(s, &o, &err), XU_OK);
	tdb_commit(s);
	dump = dump_of(&g_chans[in], 2500000, &g_chans[out], 1200000);
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "refused");
	assert_string_equal(at(rep, NULL, "reason"), "has_channels");
	json_decref(rep);
	assert_int_equal(eng_chan_out_get(s, "bob", &got, &have, &err), XU_OK);
	assert_memory_equal(got.ch.id, o.ch.id, CR_CHANNEL_ID_BYTES);
	assert_false(got.ch.has_key);
	json_decref(dump);
	eng_store_close(s);
}

/* An xrpse account already paired but without a channel (an idle
 * outgoing record, with settlements waiting and intents already used):
 * imported, the waiting drops and the counters carried on. */
static void test_kava_import_over_idle_record(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_chan_out o, got;
	struct xu_err err;
	size_t out;
	json_t *dump, *rep;
	bool have, created;

	(void)state;
	out = add_chan(0xB2, &g_us_id, &g_peer_id, g_out_key.pub.b);
	memset(&o, 0, sizeof(o));
	snprintf(o.account, sizeof(o.account), "bob");
	pc_out_init(&o.ch, &g_us_id, &g_peer_id);
	o.ch.owed = d(500);
	o.create_n = 2;
	tdb_begin(s);
	assert_int_equal(eng_store_account_create(s, "bob", &created, &err),
			 XU_OK);
	assert_int_equal(eng_chan_out_put(s, &o, &err), XU_OK);
	tdb_commit(s);
	dump = dump_of(NULL, 0, &g_chans[out], 1200000);
	rep = import(s, dump, NULL, 0);
	assert_string_equal(at(rep, NULL, "status"), "imported");
	assert_string_equal(at(rep, "outgoing", "status"), "adopted");
	json_decref(rep);
	assert_int_equal(eng_chan_out_get(s, "bob", &got, &have, &err), XU_OK);
	assert_true(got.ch.has_key);
	assert_int_equal(xl_drops_u64(got.ch.owed), 500);
	assert_int_equal(got.create_n, 2);
	json_decref(dump);
	eng_store_close(s);
}

/* A dump without an accounts list, and our own account unknown to the
 * ledger: nothing at all. */
static void test_kava_refuse_whole(void **state)
{
	struct eng_store *s = tdb_open();
	struct eng_kava_ledger lg = {.channel = fake_channel,
				     .account = fake_account,
				     .ledger_time = LEDGER_TIME};
	struct pc_cfg cfg;
	struct xu_err err;
	json_t *dump;

	(void)state;
	pc_cfg_default(&cfg);
	dump = json_pack("{s:s}", "x", "y");
	assert_null(
	    eng_kava_import(s, &cfg, &g_seed, dump, NULL, 0, &lg, &err));
	assert_int_equal(err.code, XU_EPARSE);
	json_decref(dump);
	dump = dump_of(NULL, 0, NULL, 0);
	g_naccts = 0;
	assert_null(
	    eng_kava_import(s, &cfg, &g_seed, dump, NULL, 0, &lg, &err));
	assert_int_equal(err.code, XU_ENOTFOUND);
	json_decref(dump);
	eng_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kava_import_and_again, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_kava_refuse_tampered_and_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_kava_again_adopts_what_was_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kava_refuse_closing_too_soon,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kava_refuse_stale_dump, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_kava_refuse_unknown_account,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_kava_refuse_account_with_channels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kava_import_over_idle_record,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kava_refuse_whole, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
