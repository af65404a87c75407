/* Unit tests of the JSON form (ledger/txjson.c) and the typed builders'
 * checks (ledger/tx.c): a table of malformed transactions that must be
 * rejected with a message naming the field, token amounts through JSON,
 * the signing checks of xl_json_sign, and the preflight rules the
 * builders enforce. */
#include "tests/ledger/ltest.h"

#include "crypto/base58.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

#define ACC "\"Account\":\"rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1\""
#define DST "\"Destination\":\"rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD\""
#define BASE                                                                   \
	"\"TransactionType\":\"Payment\",\"Fee\":\"12\",\"Sequence\":1," ACC

static int setup(void **state)
{
	(void)state;
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", s, je.text);
	return j;
}

static void test_ledger_json_bad_input(void **state)
{
	(void)state;
	static const struct {
		const char *json, *why;
	} t[] = {
	    {"{" BASE ",\"Foo\":1}", "unknown field Foo"},
	    {"{" BASE ",\"hash\":\"00\"}", "unknown field hash"},
	    {"{" BASE ",\"Amount\":12}", "Amount: expected"},
	    {"{" BASE ",\"Amount\":\"1.5\"}", "Amount: expected"},
	    {"{" BASE ",\"Amount\":\"-\"}", "Amount: expected"},
	    {"{" BASE ",\"Amount\":\"-0\"}", "Amount: negative zero"},
	    {"{" BASE ",\"Amount\":\"100000000000000001\"}", "Amount"},
	    {"{" BASE ",\"Amount\":\" 1\"}", "Amount"},
	    {"{" BASE ",\"Amount\":{\"currency\":\"USD\",\"value\":\"1\"}}",
	     "Amount: a token amount needs"},
	    {"{" BASE ",\"Amount\":{\"currency\":\"USD\",\"value\":\"1\","
	     "\"issuer\":\"rBAD\"}}",
	     "Amount: issuer"},
	    {"{" BASE ",\"Amount\":{\"currency\":\"USDX\",\"value\":\"1\","
	     "\"issuer\":\"rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD\"}}",
	     "Amount: currency"},
	    {"{" BASE ",\"Amount\":{\"currency\":\"USD\",\"value\":"
	     "\"12345678901234567\","
	     "\"issuer\":\"rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD\"}}",
	     "Amount: token value"},
	    {"{" BASE ",\"Amount\":{\"currency\":\"USD\",\"value\":\"1\","
	     "\"issuer\":\"rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD\",\"x\":1}}",
	     "Amount: a token amount needs"},
	    {"{\"TransactionType\":\"Payment\",\"Fee\":\"12\",\"Sequence\":1,"
	     "\"Account\":\"rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw2\"}",
	     "Account: not a valid classic address"},
	    {"{" BASE ",\"Destination\":5}", "Destination: expected"},
	    {"{\"TransactionType\":\"Paymnt\",\"Fee\":\"12\",\"Sequence\":1}",
	     "TransactionType: unknown name"},
	    {"{\"TransactionType\":0.5}", "TransactionType: expected"},
	    {"{" BASE ",\"Flags\":-1}", "Flags: out of range"},
	    {"{" BASE ",\"Flags\":4294967296}", "Flags: out of range"},
	    {"{" BASE ",\"Flags\":1.0}", "Flags: expected an integer"},
	    {"{" BASE ",\"Flags\":\"0\"}", "Flags: expected an integer"},
	    {"{" BASE ",\"Flags\":true}", "Flags: expected an integer"},
	    {"{" BASE ",\"SourceTag\":null}", "SourceTag: expected"},
	    {"{" BASE ",\"SigningPubKey\":\"0G\"}", "SigningPubKey"},
	    {"{" BASE ",\"SigningPubKey\":\"ABC\"}", "SigningPubKey"},
	    {"{" BASE ",\"SigningPubKey\":33}", "SigningPubKey: expected"},
	    {"{" BASE ",\"Channel\":\"00\"}", "Channel: 1 bytes, expected 32"},
	    {"{" BASE ",\"InvoiceID\":[]}", "InvoiceID: expected"},
	    {"{" BASE ",\"OwnerNode\":\"12345678901234567\"}", "OwnerNode"},
	    {"{" BASE ",\"OwnerNode\":\"XYZ\"}", "OwnerNode"},
	    {"{" BASE ",\"OwnerNode\":5}", "OwnerNode: expected"},
	    {"{" BASE ",\"Memos\":{}}", "Memos: expected an array"},
	    {"{" BASE ",\"Memos\":[1]}", "Memos: expected"},
	    {"{" BASE ",\"Memos\":[{\"Memo\":{},\"X\":{}}]}", "Memos"},
	    {"{" BASE ",\"Memos\":[{\"Mem\":{}}]}",
	     "Memos: unknown element Mem"},
	    {"{" BASE ",\"Memos\":[{\"Memo\":{\"MemoData\":\"0\"}}]}",
	     "MemoData"},
	    {"{" BASE ",\"Memos\":[{\"Memo\":{\"Foo\":\"00\"}}]}",
	     "unknown field Foo"},
	    {"{" BASE ",\"Memos\":[{\"Memo\":5}]}", "Memo: expected an object"},
	    {"{" BASE ",\"Indexes\":[\"00\"]}", "Indexes"},
	    {"[]", "expected a JSON object"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j = parse(t[i].json);
		uint8_t out[1024];
		size_t n;
		struct xu_err e = {0};
		enum xu_code rc = xl_json_encode(j, out, sizeof(out), &n, &e);
		json_decref(j);
		if (rc == XU_OK || !strstr(e.msg, t[i].why))
			fail_msg("case %zu: rc %d msg '%s', want '%s'", i, rc,
				 e.msg, t[i].why);
		assert_true(xu_code_is_input(rc));
	}
}

static void test_ledger_json_tokens(void **state)
{
	(void)state;
	static const char *const values[] = {"1", "-1.5", "0", "0.0001",
					     "123456789012345600"};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char s[512];
		snprintf(s, sizeof(s),
			 "{" BASE ",\"Amount\":{\"currency\":\"USD\","
			 "\"issuer\":\"rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD\","
			 "\"value\":\"%s\"},\"SendMax\":{\"currency\":"
			 "\"0158415500000000C1F76FF6ECB0BAC600000000\","
			 "\"issuer\":\"rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1\","
			 "\"value\":\"%s\"}}",
			 values[i], values[i]);
		json_t *j = parse(s), *back;
		uint8_t out[1024];
		size_t n;
		struct xu_err e = {0};
		assert_int_equal(xl_json_encode(j, out, sizeof(out), &n, &e),
				 XU_OK);
		assert_int_equal(xl_json_decode(out, n, &back, &e), XU_OK);
		assert_true(json_equal(j, back));
		json_decref(j);
		json_decref(back);
		/* A typed transaction refuses token amounts, clearly. */
		struct xl_tx tx;
		assert_int_equal(xl_tx_decode(&tx, out, n, &e), XU_EINVAL);
		assert_non_null(strstr(e.msg, "token"));
	}
}

static void test_ledger_json_sign_checks(void **state)
{
	(void)state;
	struct cr_keypair kp;
	struct xl_signed_tx st;
	struct xu_err e = {0};
	assert_int_equal(cr_keypair_from_seed_text(
			     &kp, "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r", 0, &e),
			 XU_OK);
	static const struct {
		const char *json, *why;
	} t[] = {
	    {"{\"TransactionType\":\"Payment\",\"Fee\":\"12\"," ACC "}",
	     "missing Sequence"},
	    {"{\"TransactionType\":\"Payment\",\"Sequence\":1," ACC "}",
	     "missing Fee"},
	    {"{\"Fee\":\"1\",\"Sequence\":1," ACC "}",
	     "missing TransactionType"},
	    {"{" BASE ",\"TxnSignature\":\"00\"}", "already signed"},
	    {"{" BASE ",\"Signers\":[]}", "already signed"},
	    {"{" BASE ",\"Fee\":1}", "Fee"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j = json_loads(t[i].json, 0, NULL);
		enum xu_code rc;
		if (!j) /* duplicate keys: jansson keeps the last one */
			fail_msg("case %zu: bad JSON", i);
		rc = xl_json_sign(j, &kp, &st, &e);
		json_decref(j);
		if (rc == XU_OK || !strstr(e.msg, t[i].why))
			fail_msg("case %zu: rc %d msg '%s', want '%s'", i, rc,
				 e.msg, t[i].why);
		assert_int_equal(st.len, 0);
	}
	/* A given SigningPubKey is replaced by the signer's. */
	json_t *j = parse("{" BASE ",\"SigningPubKey\":\"00\"," DST
			  ",\"Amount\":\"5\"}");
	assert_int_equal(xl_json_sign(j, &kp, &st, &e), XU_OK);
	json_decref(j);
	struct xl_tx tx;
	assert_int_equal(xl_tx_decode(&tx, st.blob, st.len, &e), XU_OK);
	assert_memory_equal(tx.signing_pub_key.b, kp.pub.b, 33);
	/* The signature verifies over the signing data. */
	uint8_t data[XL_TX_MAX_BYTES];
	size_t dlen;
	assert_int_equal(xl_tx_signing_data(&tx, data, sizeof(data), &dlen, &e),
			 XU_OK);
	assert_true(cr_verify(kp.pub.b, 33, data, dlen, tx.txn_signature.b,
			      tx.txn_signature.len));
	cr_keypair_clear(&kp);
}

static void test_ledger_json_builders_preflight(void **state)
{
	(void)state;
	struct xl_tx tx;
	struct xl_tx_common c = {0};
	struct cr_account_id dst;
	struct cr_pubkey pk = {{0x02}}, bad = {{0x04}};
	struct xl_drops zero = xl_drops_zero(), one, two;
	uint8_t chan[32] = {1}, sig[64] = {2};
	struct xu_err e;
	assert_true(xl_drops_from_u64(&one, 1));
	assert_true(xl_drops_from_u64(&two, 2));
	memset(c.account.b, 1, 20);
	memset(dst.b, 2, 20);

	assert_int_equal(xl_tx_payment(&tx, &c, &dst, zero, NULL, &e),
			 XU_EINVAL);
	assert_int_equal(xl_tx_payment(&tx, &c, &c.account, one, NULL, &e),
			 XU_EINVAL);
	assert_int_equal(tx.has, 0); /* zeroed on failure */
	assert_int_equal(
	    xl_tx_paychan_create(&tx, &c, &dst, zero, 1, &pk, NULL, NULL, &e),
	    XU_EINVAL);
	assert_int_equal(xl_tx_paychan_create(&tx, &c, &c.account, one, 1, &pk,
					      NULL, NULL, &e),
			 XU_EINVAL);
	assert_int_equal(
	    xl_tx_paychan_create(&tx, &c, &dst, one, 1, &bad, NULL, NULL, &e),
	    XU_EINVAL);
	assert_non_null(strstr(e.msg, "PublicKey"));
	assert_int_equal(xl_tx_paychan_fund(&tx, &c, chan, zero, NULL, &e),
			 XU_EINVAL);
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, NULL, NULL, NULL, 0,
					     NULL, XL_TF_RENEW | XL_TF_CLOSE,
					     &e),
			 XU_EINVAL);
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, NULL, NULL, NULL, 0,
					     NULL, 0x4, &e),
			 XU_EINVAL);
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, &two, &one, NULL, 0,
					     NULL, 0, &e),
			 XU_EINVAL);
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, &zero, NULL, NULL,
					     0, NULL, 0, &e),
			 XU_EINVAL);
	assert_int_equal(
	    xl_tx_paychan_claim(&tx, &c, chan, NULL, &one, sig, 64, &pk, 0, &e),
	    XU_EINVAL); /* Signature without Balance */
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, &one, &one, sig, 64,
					     NULL, 0, &e),
			 XU_EINVAL); /* Signature without PublicKey */
	assert_int_equal(
	    xl_tx_paychan_claim(&tx, &c, chan, &one, &one, sig, 73, &pk, 0, &e),
	    XU_EINVAL);
	assert_int_equal(xl_tx_paychan_claim(&tx, &c, chan, &one, &two, sig, 64,
					     &pk, XL_TF_CLOSE, &e),
			 XU_OK);
	c.sequence = 5;
	c.ticket_sequence = 7;
	assert_int_equal(xl_tx_payment(&tx, &c, &dst, one, NULL, &e),
			 XU_EINVAL);
	/* NetworkID only above 1024. */
	c.sequence = 0;
	c.network_id = 1024;
	assert_int_equal(xl_tx_payment(&tx, &c, &dst, one, NULL, &e), XU_OK);
	assert_false(tx.has & XL_HAS_NETWORK_ID);
	c.network_id = 1025;
	assert_int_equal(xl_tx_payment(&tx, &c, &dst, one, NULL, &e), XU_OK);
	assert_true(tx.has & XL_HAS_NETWORK_ID);
	/* Channel id of a ticketed create uses the ticket. */
	assert_int_equal(
	    xl_tx_paychan_create(&tx, &c, &dst, one, 1, &pk, NULL, NULL, &e),
	    XU_OK);
	uint8_t a[32], b[32];
	assert_int_equal(xl_tx_channel_id(a, &tx, &e), XU_OK);
	xl_channel_id(b, &c.account, &dst, 7);
	assert_memory_equal(a, b, 32);
	/* Signing data needs SigningPubKey; encoding needs the basics. */
	size_t n;
	assert_int_equal(xl_tx_signing_data(&tx, NULL, 0, &n, &e), XU_EINVAL);
	tx.has &= ~(uint32_t)XL_HAS_FEE;
	assert_int_equal(xl_tx_encode(&tx, NULL, 0, &n, &e), XU_EINVAL);
}

/* rippled's JSON around a transaction is skipped on request. */
static void test_ledger_json_from_rippled(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	json_array_foreach(json_object_get(root, "transactions"), i, v)
	{
		json_t *j =
		    json_deep_copy(json_object_get(v, "tx_json_signed"));
		struct xl_tx tx;
		struct xu_err e = {0};
		uint8_t blob[XL_TX_MAX_BYTES], want[XL_TX_MAX_BYTES];
		size_t n, wn = lt_hex(v, "tx_blob", want, sizeof(want));
		assert_int_equal(xl_tx_from_json(&tx, j, 0, &e), XU_OK);
		json_object_set_new(j, "hash", json_string(lt_str(v, "hash")));
		json_object_set_new(j, "validated", json_true());
		json_object_set_new(j, "ledger_index", json_integer(5));
		json_object_set_new(j, "meta", json_object());
		json_t *amt = json_object_get(j, "Amount");
		if (amt && !strcmp(json_string_value(
				       json_object_get(j, "TransactionType")),
				   "Payment")) {
			json_object_set(j, "DeliverMax", amt);
			json_object_del(j, "Amount");
		}
		assert_int_equal(xl_tx_from_json(&tx, j, 0, &e), XU_EINVAL);
		assert_int_equal(tx.has, 0);
		if (xl_tx_from_json(&tx, j, XL_JSON_RIPPLED, &e))
			fail_msg("%s: %s", lt_str(v, "id"), e.msg);
		assert_int_equal(xl_tx_encode(&tx, blob, sizeof(blob), &n, &e),
				 XU_OK);
		assert_int_equal(n, wn);
		assert_memory_equal(blob, want, n);
		json_decref(j);
	}
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ledger_json_bad_input),
	    cmocka_unit_test(test_ledger_json_tokens),
	    cmocka_unit_test(test_ledger_json_sign_checks),
	    cmocka_unit_test(test_ledger_json_builders_preflight),
	    cmocka_unit_test(test_ledger_json_from_rippled),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
