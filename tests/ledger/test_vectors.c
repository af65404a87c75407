/* Vector tests of the ledger codec and transaction signing against
 * tests/vectors/data/txs.json (36 transactions signed by xrpl.js, both key
 * types) and channel_ids.json: for each transaction the JSON encodes to
 * tx_blob, tx_blob decodes back to tx_json_signed (generic and typed), the
 * signing data, signing hash, signature, blob and id are reproduced by
 * signing from the seed (typed builder path and JSON path), and creates
 * give their channel id.  Also the encoding_examples tables. */
#include "tests/ledger/ltest.h"

#include "crypto/base58.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/codec.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

static int setup(void **state)
{
	(void)state;
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static json_t *txs(json_t *root)
{
	json_t *a = json_object_get(root, "transactions");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 36);
	return a;
}

static void test_ledger_vectors_json_encode(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	json_array_foreach(txs(root), i, v)
	{
		uint8_t blob[XL_TX_MAX_BYTES], want[XL_TX_MAX_BYTES];
		size_t len, wlen = lt_hex(v, "tx_blob", want, sizeof(want));
		struct xu_err e = {0};
		enum xu_code rc =
		    xl_json_encode(json_object_get(v, "tx_json_signed"), blob,
				   sizeof(blob), &len, &e);
		if (rc)
			fail_msg("%s: %s", lt_str(v, "id"), e.msg);
		assert_int_equal(len, wlen);
		assert_memory_equal(blob, want, len);
	}
	json_decref(root);
}

static void test_ledger_vectors_json_decode(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	json_array_foreach(txs(root), i, v)
	{
		uint8_t blob[XL_TX_MAX_BYTES];
		size_t len = lt_hex(v, "tx_blob", blob, sizeof(blob));
		json_t *got = NULL;
		struct xu_err e = {0};
		if (xl_json_decode(blob, len, &got, &e))
			fail_msg("%s: %s", lt_str(v, "id"), e.msg);
		if (!json_equal(got, json_object_get(v, "tx_json_signed"))) {
			char *s = json_dumps(got, JSON_SORT_KEYS);
			fail_msg("%s: decoded %s", lt_str(v, "id"), s);
		}
		json_decref(got);
	}
	json_decref(root);
}

/* Typed decode, re-encode, signing data, and signing through the typed
 * path (xl_tx_sign) from the signer's seed. */
static void test_ledger_vectors_typed_sign(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	json_array_foreach(txs(root), i, v)
	{
		const char *id = lt_str(v, "id");
		uint8_t blob[XL_TX_MAX_BYTES], buf[XL_TX_MAX_BYTES];
		uint8_t want[XL_TX_MAX_BYTES];
		size_t len = lt_hex(v, "tx_blob", blob, sizeof(blob)), n, wn;
		struct xl_tx tx;
		struct xu_err e = {0};
		if (xl_tx_decode(&tx, blob, len, &e))
			fail_msg("%s: %s", id, e.msg);
		assert_int_equal(xl_tx_encode(&tx, buf, sizeof(buf), &n, &e),
				 XU_OK);
		assert_int_equal(n, len);
		assert_memory_equal(buf, blob, n);
		/* Sizing only. */
		assert_int_equal(xl_tx_encode(&tx, NULL, 0, &n, &e), XU_OK);
		assert_int_equal(n, len);
		/* Too small a buffer. */
		assert_int_equal(xl_tx_encode(&tx, buf, len - 1, &n, &e),
				 XU_ETOOBIG);

		assert_int_equal(
		    xl_tx_signing_data(&tx, buf, sizeof(buf), &n, &e), XU_OK);
		wn = lt_hex(v, "signing_blob", want, sizeof(want));
		assert_int_equal(n, wn);
		assert_memory_equal(buf, want, n);
		json_t *sh = json_object_get(v, "signing_hash");
		if (sh) {
			uint8_t h[32];
			cr_sha512half(h, buf, n);
			lt_assert_hex(json_string_value(sh), h, 32);
		}

		/* Re-sign from the seed. */
		json_t *signer = json_object_get(v, "signer");
		struct cr_keypair kp;
		enum cr_key_type kt;
		assert_true(
		    cr_key_type_parse(&kt, lt_str(signer, "algorithm")));
		assert_int_equal(cr_keypair_from_seed_text(
				     &kp, lt_str(signer, "seed"), (int)kt, &e),
				 XU_OK);
		struct xl_tx fresh = tx;
		fresh.has &=
		    ~(uint32_t)(XL_HAS_TXN_SIGNATURE | XL_HAS_SIGNING_PUB_KEY);
		struct xl_signed_tx st;
		assert_int_equal(xl_tx_sign(&fresh, &kp, &st, &e), XU_OK);
		cr_keypair_clear(&kp);
		lt_assert_hex(lt_str(v, "txn_signature"), fresh.txn_signature.b,
			      fresh.txn_signature.len);
		assert_int_equal(st.len, len);
		assert_memory_equal(st.blob, blob, len);
		lt_assert_hex(lt_str(v, "hash"), st.hash, 32);

		uint8_t h[32];
		xl_tx_id(h, blob, len);
		lt_assert_hex(lt_str(v, "hash"), h, 32);

		json_t *cid = json_object_get(v, "channel_id");
		if (cid) {
			uint8_t c[32];
			assert_int_equal(xl_tx_channel_id(c, &tx, &e), XU_OK);
			lt_assert_hex(json_string_value(cid), c, 32);
		} else {
			uint8_t c[32];
			assert_int_equal(xl_tx_channel_id(c, &tx, NULL),
					 XU_EINVAL);
		}
	}
	json_decref(root);
}

/* The JSON path of `xrpse tx sign`: tx_json + seed -> blob and hash. */
static void test_ledger_vectors_json_sign(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	json_array_foreach(txs(root), i, v)
	{
		json_t *signer = json_object_get(v, "signer");
		struct cr_keypair kp;
		enum cr_key_type kt;
		struct xl_signed_tx st;
		struct xu_err e = {0};
		assert_true(
		    cr_key_type_parse(&kt, lt_str(signer, "algorithm")));
		assert_int_equal(cr_keypair_from_seed_text(
				     &kp, lt_str(signer, "seed"), (int)kt, &e),
				 XU_OK);
		if (xl_json_sign(json_object_get(v, "tx_json"), &kp, &st, &e))
			fail_msg("%s: %s", lt_str(v, "id"), e.msg);
		cr_keypair_clear(&kp);
		lt_assert_hex(lt_str(v, "tx_blob"), st.blob, st.len);
		lt_assert_hex(lt_str(v, "hash"), st.hash, 32);
	}
	json_decref(root);
}

/* The typed builders reproduce each vector's tx from its parts. */
static void test_ledger_vectors_builders(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i, built = 0;
	json_array_foreach(txs(root), i, v)
	{
		uint8_t blob[XL_TX_MAX_BYTES];
		size_t len = lt_hex(v, "tx_blob", blob, sizeof(blob));
		struct xl_tx d, b;
		struct xl_tx_common c = {0};
		struct xu_err e = {0};
		enum xu_code rc = XU_EINTERNAL;
		assert_int_equal(xl_tx_decode(&d, blob, len, &e), XU_OK);
		if (d.nmemos || d.type == XL_TX_ACCOUNT_SET)
			continue;
		c.account = d.account;
		c.fee = d.fee;
		c.sequence = d.sequence;
		c.ticket_sequence = d.ticket_sequence;
		c.last_ledger_sequence = d.last_ledger_sequence;
		c.network_id = d.network_id;
		c.has_source_tag = d.has & XL_HAS_SOURCE_TAG;
		c.source_tag = d.source_tag;
		c.flags = d.flags;
		const uint32_t *dt = (d.has & XL_HAS_DESTINATION_TAG)
					 ? &d.destination_tag
					 : NULL;
		switch (d.type) {
		case XL_TX_PAYMENT:
			rc = xl_tx_payment(&b, &c, &d.destination, d.amount, dt,
					   &e);
			break;
		case XL_TX_PAYCHAN_CREATE:
			rc = xl_tx_paychan_create(
			    &b, &c, &d.destination, d.amount, d.settle_delay,
			    &d.public_key,
			    (d.has & XL_HAS_CANCEL_AFTER) ? &d.cancel_after
							  : NULL,
			    dt, &e);
			break;
		case XL_TX_PAYCHAN_FUND:
			rc = xl_tx_paychan_fund(
			    &b, &c, d.channel, d.amount,
			    (d.has & XL_HAS_EXPIRATION) ? &d.expiration : NULL,
			    &e);
			break;
		case XL_TX_PAYCHAN_CLAIM:
			c.flags = 0;
			rc = xl_tx_paychan_claim(
			    &b, &c, d.channel,
			    (d.has & XL_HAS_BALANCE) ? &d.balance : NULL,
			    (d.has & XL_HAS_AMOUNT) ? &d.amount : NULL,
			    (d.has & XL_HAS_SIGNATURE) ? d.signature.b : NULL,
			    d.signature.len,
			    (d.has & XL_HAS_PUBLIC_KEY) ? &d.public_key : NULL,
			    d.flags, &e);
			break;
		case XL_TX_ACCOUNT_SET:
			continue;
		}
		if (rc)
			fail_msg("%s: %s", lt_str(v, "id"), e.msg);
		/* Builders always write Flags (xrpl.js autofill does too);
		 * vectors without Flags compare after dropping it. */
		if (!(d.has & XL_HAS_FLAGS))
			b.has &= ~(uint32_t)XL_HAS_FLAGS;
		b.signing_pub_key = d.signing_pub_key;
		b.txn_signature = d.txn_signature;
		b.has |= XL_HAS_SIGNING_PUB_KEY | XL_HAS_TXN_SIGNATURE;
		uint8_t out[XL_TX_MAX_BYTES];
		size_t n;
		assert_int_equal(xl_tx_encode(&b, out, sizeof(out), &n, &e),
				 XU_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, blob, n);
		built++;
	}
	assert_true(built >= 28);
	json_decref(root);
}

static void test_ledger_vectors_channel_ids(void **state)
{
	(void)state;
	json_t *root = lt_load("channel_ids.json"), *v;
	size_t i;
	json_array_foreach(json_object_get(root, "vectors"), i, v)
	{
		struct cr_account_id a, d;
		uint8_t out[32];
		assert_int_equal(
		    cr_address_decode(&a, lt_str(v, "account"), NULL), XU_OK);
		assert_int_equal(
		    cr_address_decode(&d, lt_str(v, "destination"), NULL),
		    XU_OK);
		lt_assert_hex(lt_str(v, "account_id"), a.b, 20);
		json_int_t seq =
		    json_integer_value(json_object_get(v, "sequence"));
		xl_channel_id(out, &a, &d, (uint32_t)seq);
		lt_assert_hex(lt_str(v, "channel_id"), out, 32);
	}
	assert_int_equal(i, 25);
	json_decref(root);
}

static void test_ledger_vectors_encoding_examples(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	json_t *ex = json_object_get(root, "encoding_examples");
	size_t i;
	json_array_foreach(
	    json_object_get(json_object_get(ex, "xrp_amounts"), "values"), i, v)
	{
		struct xl_drops d;
		uint8_t b[8];
		assert_int_equal(xl_drops_parse(&d, lt_str(v, "drops"), NULL),
				 XU_OK);
		xl_amount_xrp_bytes(b, xl_drops_u64(d), false);
		lt_assert_hex(lt_str(v, "hex"), b, 8);
		assert_int_equal(xl_amount_check(b, 8, NULL), XU_OK);
	}
	json_array_foreach(
	    json_object_get(json_object_get(ex, "vl_length_prefix"), "values"),
	    i, v)
	{
		uint8_t b[3];
		struct xl_wr w;
		struct xl_rd r;
		size_t len = (size_t)json_integer_value(
			   json_object_get(v, "length")),
		       back;
		xl_wr_init(&w, b, sizeof(b));
		assert_true(xl_wr_vl(&w, len));
		assert_false(w.overflow);
		lt_assert_hex(lt_str(v, "prefix_hex"), b, w.len);
		xl_rd_init(&r, b, w.len);
		assert_int_equal(xl_rd_vl(&r, &back, NULL), XU_OK);
		assert_int_equal(back, len);
		assert_int_equal(r.off, w.len);
	}
	json_array_foreach(
	    json_object_get(json_object_get(ex, "field_headers"), "values"), i,
	    v)
	{
		const char *name = lt_str(v, "field");
		const struct xl_field *f = xl_field_by_name(name);
		uint8_t b[3];
		struct xl_wr w;
		if (!strcmp(name, "ObjectEndMarker") ||
		    !strcmp(name, "ArrayEndMarker") || !strcmp(name, "Paths")) {
			/* Markers are not fields; PathSet (issued-currency
			 * payment paths) is deliberately unsupported.  Check
			 * the header writer alone. */
			assert_null(f);
			xl_wr_init(&w, b, sizeof(b));
			xl_wr_header(&w,
				     (unsigned)json_integer_value(
					 json_object_get(v, "type_code")),
				     (unsigned)json_integer_value(
					 json_object_get(v, "field_code")));
			lt_assert_hex(lt_str(v, "header_hex"), b, w.len);
			continue;
		}
		if (!f)
			fail_msg("field %s missing from the table", name);
		assert_int_equal(f->type, json_integer_value(
					      json_object_get(v, "type_code")));
		assert_int_equal(f->code, json_integer_value(json_object_get(
					      v, "field_code")));
		assert_int_equal(f->signing, json_is_true(json_object_get(
						 v, "signing_field")));
		assert_int_equal(
		    xl_stype_is_vl(f->type),
		    json_is_true(json_object_get(v, "vl_encoded")));
		xl_wr_init(&w, b, sizeof(b));
		xl_wr_header(&w, f->type, f->code);
		lt_assert_hex(lt_str(v, "header_hex"), b, w.len);
	}
	json_array_foreach(json_object_get(ex, "transaction_types"), i, v)
	{
		unsigned code;
		assert_true(
		    xl_code_of(XL_NAMES_TX_TYPE, lt_str(v, "name"), &code));
		assert_int_equal(
		    code, json_integer_value(json_object_get(v, "code")));
		assert_string_equal(xl_tx_type_name((uint16_t)code),
				    lt_str(v, "name"));
	}
	json_decref(root);
}

/* Metadata as rippled writes it (encoded by ripple-binary-codec). */
static void test_ledger_vectors_metadata(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/ledger/data/meta_paychan.json",
		 XRPSE_SOURCE_DIR);
	json_t *v = json_load_file(path, 0, NULL), *got = NULL;
	assert_non_null(v);
	static uint8_t blob[8192], out[8192];
	size_t len = lt_hex(v, "blob", blob, sizeof(blob)), n;
	struct xu_err e = {0};
	if (xl_json_decode(blob, len, &got, &e))
		fail_msg("%s", e.msg);
	assert_true(json_equal(got, json_object_get(v, "json")));
	json_decref(got);
	assert_int_equal(xl_json_encode(json_object_get(v, "json"), out,
					sizeof(out), &n, &e),
			 XU_OK);
	assert_int_equal(n, len);
	assert_memory_equal(out, blob, n);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ledger_vectors_json_encode),
	    cmocka_unit_test(test_ledger_vectors_json_decode),
	    cmocka_unit_test(test_ledger_vectors_typed_sign),
	    cmocka_unit_test(test_ledger_vectors_json_sign),
	    cmocka_unit_test(test_ledger_vectors_builders),
	    cmocka_unit_test(test_ledger_vectors_channel_ids),
	    cmocka_unit_test(test_ledger_vectors_encoding_examples),
	    cmocka_unit_test(test_ledger_vectors_metadata),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
