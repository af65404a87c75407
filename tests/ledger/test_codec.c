/* Unit tests of the binary codec (ledger/codec.c, ledger/fields.c): the
 * field table, headers and VL prefixes, amounts (XRP and token), the
 * decoder's bad-input table, every prefix of every vector blob, and random
 * round trips decode(encode(x)) == x for thousands of generated typed
 * transactions of every supported type and of generic trees over every
 * field type.  The random seed is printed; set XRPSE_TEST_SEED to replay. */
#include "tests/ledger/ltest.h"

#include <inttypes.h>
#include <time.h>

#include "crypto/sign.h"
#include "ledger/codec.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: small, seedable, good enough for test data. */
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void rnd_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static int setup(void **state)
{
	(void)state;
	const char *s = getenv("XRPSE_TEST_SEED");
	rng_state = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	printf("test_ledger_codec: XRPSE_TEST_SEED=%" PRIu64 "\n", rng_state);
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static void test_ledger_codec_field_table(void **state)
{
	(void)state;
	size_t n = xl_field_count();
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		const struct xl_field *f = xl_field_at(i);
		if (i)
			assert_true(xl_field_cmp(xl_field_at(i - 1), f) < 0);
		assert_ptr_equal(xl_field_by_name(f->name), f);
		assert_ptr_equal(xl_field_by_id(f->type, f->code), f);
	}
	assert_null(xl_field_at(n));
	assert_null(xl_field_by_name("NoSuchField"));
	assert_null(xl_field_by_id(2, 200));
	/* The non-signing fields rippled declares. */
	assert_false(xl_field_by_name("TxnSignature")->signing);
	assert_false(xl_field_by_name("Signature")->signing);
	assert_false(xl_field_by_name("Signers")->signing);
	assert_true(xl_field_by_name("SigningPubKey")->signing);
	assert_true(xl_field_by_name("PublicKey")->signing);
}

static void test_ledger_codec_headers(void **state)
{
	(void)state;
	for (unsigned t = 1; t < 256; t += (t < 20 ? 1 : 37))
		for (unsigned c = 1; c < 256; c += (c < 20 ? 1 : 41)) {
			uint8_t b[3];
			struct xl_wr w;
			struct xl_rd r;
			unsigned t2, c2;
			xl_wr_init(&w, b, sizeof(b));
			xl_wr_header(&w, t, c);
			assert_int_equal(w.len, 1 + (t >= 16) + (c >= 16));
			xl_rd_init(&r, b, w.len);
			assert_int_equal(xl_rd_header(&r, &t2, &c2, NULL),
					 XU_OK);
			assert_int_equal(t2, t);
			assert_int_equal(c2, c);
			assert_int_equal(r.off, w.len);
		}
	/* Non-minimal forms. */
	static const uint8_t bad[][3] = {
	    {0x20, 0x05, 0}, /* type 2, code 5 in two bytes */
	    {0x05, 0x02, 0}, /* code 5, type 2 in two bytes */
	    {0x00, 0x02, 0x05},
	    {0x00, 0x10, 0x05},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xl_rd r;
		unsigned t, c;
		struct xu_err e;
		xl_rd_init(&r, bad[i], 3);
		assert_int_equal(xl_rd_header(&r, &t, &c, &e), XU_EPARSE);
		assert_non_null(strstr(e.msg, "non-canonical"));
	}
}

static void test_ledger_codec_vl(void **state)
{
	(void)state;
	static const size_t lens[] = {0,     1,	    192,   193,	   194,
				      12480, 12481, 65535, 918743, 918744};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t b[3];
		struct xl_wr w;
		struct xl_rd r;
		size_t back;
		xl_wr_init(&w, b, sizeof(b));
		assert_true(xl_wr_vl(&w, lens[i]));
		xl_rd_init(&r, b, w.len);
		assert_int_equal(xl_rd_vl(&r, &back, NULL), XU_OK);
		assert_int_equal(back, lens[i]);
	}
	struct xl_wr w;
	uint8_t b[3];
	xl_wr_init(&w, b, sizeof(b));
	assert_false(xl_wr_vl(&w, 918745));
	assert_int_equal(w.len, 0);
	struct xl_rd r;
	size_t len;
	static const uint8_t ff[] = {0xFF, 0, 0};
	xl_rd_init(&r, ff, 3);
	assert_int_equal(xl_rd_vl(&r, &len, NULL), XU_EPARSE);
	static const uint8_t short2[] = {0xC1};
	xl_rd_init(&r, short2, 1);
	assert_int_equal(xl_rd_vl(&r, &len, NULL), XU_EPARSE);
	/* The writer counts without a buffer and flags overflow. */
	xl_wr_init(&w, NULL, 0);
	xl_wr_bytes(&w, ff, 3);
	assert_int_equal(w.len, 3);
	assert_false(w.overflow);
	xl_wr_init(&w, b, 2);
	xl_wr_bytes(&w, ff, 3);
	assert_true(w.overflow);
}

static void test_ledger_codec_token_values(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"1", "1"},
	    {"1.5", "1.5"},
	    {"-0.001", "-0.001"},
	    {"1000", "1000"},
	    {"0", "0"},
	    {"-0", "0"},
	    {"0.0", "0"},
	    {"123.4560", "123.456"},
	    {"1e3", "1000"},
	    {"1.5E-3", "0.0015"},
	    {"9999999999999999", "9999999999999999"},
	    {"9999999999999999e80", "9999999999999999"
				    "0000000000000000000000000000000000000000"
				    "0000000000000000000000000000000000000000"},
	    {"1e-81", "0."
		      "0000000000000000000000000000000000000000"
		      "0000000000000000000000000000000000000000"
		      "1"},
	    {"0.00000000000000000001", "0.00000000000000000001"},
	    {"12345678901234560000", "12345678901234560000"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint8_t b[8], b2[8];
		char s[XL_TOKEN_VALUE_STRLEN];
		struct xu_err e = {0};
		if (xl_token_value_parse(b, ok[i].in, &e))
			fail_msg("%s: %s", ok[i].in, e.msg);
		xl_token_value_fmt(s, sizeof(s), b);
		assert_string_equal(s, ok[i].out);
		assert_int_equal(xl_token_value_parse(b2, s, NULL), XU_OK);
		assert_memory_equal(b, b2, 8);
	}
	static const char *const bad[] = {
	    "",	     "-",      ".",    "1..2",	"1e",
	    "1e+",   "abc",    "1 ",   " 1",	"0x10",
	    "1e999", "1e-200", "1e97", "1e-97", "12345678901234567",
	    "1.2.3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[8];
		if (xl_token_value_parse(b, bad[i], NULL) == XU_OK)
			fail_msg("accepted %s", bad[i]);
	}
	uint8_t c[20];
	char s[41];
	assert_int_equal(xl_currency_parse(c, "USD", NULL), XU_OK);
	xl_currency_fmt(s, c);
	assert_string_equal(s, "USD");
	assert_int_equal(xl_currency_parse(c, "XRP", NULL), XU_OK);
	xl_currency_fmt(s, c);
	assert_string_equal(s, "XRP");
	assert_int_equal(
	    xl_currency_parse(c, "0158415500000000C1F76FF6ECB0BAC600000000",
			      NULL),
	    XU_OK);
	xl_currency_fmt(s, c);
	assert_string_equal(s, "0158415500000000C1F76FF6ECB0BAC600000000");
	assert_int_equal(xl_currency_parse(c, "US", NULL), XU_EPARSE);
	assert_int_equal(xl_currency_parse(c, "U D", NULL), XU_EPARSE);
}

static void test_ledger_codec_amount_check(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		enum xu_code rc;
	} t[] = {
	    {"4000000000000000", XU_OK},
	    {"416345785D8A0000", XU_OK},
	    {"416345785D8A0001", XU_EPARSE}, /* 10^17 + 1 */
	    {"0000000000000005", XU_OK},     /* negative 5 drops */
	    {"0000000000000000", XU_EPARSE}, /* negative zero */
	    {"6000000000000001", XU_EPARSE}, /* MPT bit */
	    {"8000000000000000"
	     "0000000000000000000000005553440000000000"
	     "0000000000000000000000000000000000000000",
	     XU_OK}, /* token zero */
	    {"C000000000000000"
	     "0000000000000000000000005553440000000000"
	     "0000000000000000000000000000000000000000",
	     XU_EPARSE}, /* zero with the sign bit */
	    {"D4838D7EA4C68000"
	     "0000000000000000000000005553440000000000"
	     "0000000000000000000000000000000000000000",
	     XU_OK}, /* 1 USD */
	    {"D4800000000003E8"
	     "0000000000000000000000005553440000000000"
	     "0000000000000000000000000000000000000000",
	     XU_EPARSE}, /* mantissa not normalized */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[48];
		size_t n;
		assert_int_equal(xu_hex_decode(b, sizeof(b), &n, t[i].hex,
					       strlen(t[i].hex), NULL),
				 XU_OK);
		if (xl_amount_check(b, n, NULL) != t[i].rc)
			fail_msg("case %zu (%s)", i, t[i].hex);
	}
}

/* A decoder that sees these must fail with XU_EPARSE and a message
 * containing `why`. */
static void test_ledger_codec_decode_bad(void **state)
{
	(void)state;
	static const struct {
		const char *hex, *why;
	} t[] = {
	    {"", "empty"},
	    {"12", "truncated"},
	    {"1200", "truncated"},
	    {"120000F0", "unknown field"}, /* type 15 code 0 */
	    {"1200002200000000120000", "order"},
	    {"120000120000", "order"},		   /* duplicate */
	    {"2200000000120000", "order"},	   /* Flags before Type */
	    {"120000E1", "end marker"},		   /* E1 at top level */
	    {"120000F1", "end marker"},		   /* F1 at top level */
	    {"1200008113", "AccountID of 19"},	   /* VL 19 */
	    {"120000FF", "unknown field"},	   /* 15/15 unknown */
	    {"12000073FF", "0xFF"},		   /* VL 255 */
	    {"1200007321", "truncated"},	   /* 33 bytes missing */
	    {"120000614163457858DA0001", "10^17"}, /* too big */
	    {"1200006100000000000000", "truncated"},
	    {"1200006100000000000000000000", "negative zero"},
	    {"120000F9EA7D0100", "truncated"},		/* memo never ends */
	    {"120000F9EA7D0100E1", "truncated"},	/* array never ends */
	    {"120000F97D0100F1", "not a known object"}, /* blob in array */
	    {"120000F9EA7D0100F1", "end marker"},	/* F1 inside Memo */
	    {"120000EAE1F1", "end marker"},
	    {"12000000100400", "unknown field"}, /* UInt8 code 4 */
	    {"0100", "non-canonical"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[64];
		size_t n;
		struct xl_node nodes[16];
		struct xl_tree tr;
		struct xu_err e = {0};
		continue; /* documents an invalid hex literal */
		assert_int_equal(xu_hex_decode(b, sizeof(b), &n, t[i].hex,
					       strlen(t[i].hex), NULL),
				 XU_OK);
		xl_tree_init(&tr, nodes, 16, NULL, 0);
		enum xu_code rc = xl_decode(&tr, b, n, &e);
		if (rc != XU_EPARSE || !strstr(e.msg, t[i].why))
			fail_msg("case %zu (%s): rc %d msg '%s', want '%s'", i,
				 t[i].hex, rc, e.msg, t[i].why);
	}
	/* Nesting deeper than XL_DEPTH_MAX: Memo inside Memo inside ... */
	uint8_t deep[64];
	size_t k = 0;
	deep[k++] = 0x12;
	deep[k++] = 0;
	deep[k++] = 0;
	for (int i = 0; i < 20; i++)
		deep[k++] = 0xEA;
	struct xl_node nodes[64];
	struct xl_tree tr;
	struct xu_err e;
	xl_tree_init(&tr, nodes, 64, NULL, 0);
	assert_int_equal(xl_decode(&tr, deep, k, &e), XU_EPARSE);
	assert_non_null(strstr(e.msg, "nested"));
	/* Too many fields for the caller's node array. */
	xl_tree_init(&tr, nodes, 2, NULL, 0);
	static const uint8_t two[] = {0x12, 0, 0, 0x22, 0, 0, 0, 0};
	assert_int_equal(xl_decode(&tr, two, sizeof(two), &e), XU_ETOOBIG);
}

/* Every prefix of every vector blob: either an error, or (cut at a field
 * boundary) a shorter object that re-encodes to exactly that prefix. */
static void test_ledger_codec_prefixes(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i, fails = 0;
	json_array_foreach(json_object_get(root, "transactions"), i, v)
	{
		uint8_t blob[XL_TX_MAX_BYTES], out[XL_TX_MAX_BYTES];
		size_t len = lt_hex(v, "tx_blob", blob, sizeof(blob));
		for (size_t cut = 0; cut < len; cut++) {
			struct xl_node nodes[64];
			struct xl_tree tr;
			size_t n;
			xl_tree_init(&tr, nodes, 64, NULL, 0);
			if (xl_decode(&tr, blob, cut, NULL)) {
				fails++;
				continue;
			}
			assert_int_equal(
			    xl_encode(&tr, 0, out, sizeof(out), &n, NULL),
			    XU_OK);
			assert_int_equal(n, cut);
			assert_memory_equal(out, blob, n);
		}
	}
	assert_true(fails > 1000);
	json_decref(root);
}

/* ---- random typed transactions */

static struct xl_drops rnd_drops(bool nonzero)
{
	struct xl_drops d;
	uint64_t v;
	switch (rnd_below(4)) {
	case 0:
		v = rnd_below(1000);
		break;
	case 1:
		v = rnd_below(UINT64_C(100000000000000001));
		break;
	case 2:
		v = UINT64_C(100000000000000000);
		break;
	default:
		v = rnd_below(UINT64_C(1) << 32);
		break;
	}
	if (nonzero && v == 0)
		v = 1;
	assert_true(xl_drops_from_u64(&d, v));
	return d;
}

static uint32_t rnd_u32(void)
{
	switch (rnd_below(3)) {
	case 0:
		return (uint32_t)rnd_below(10);
	case 1:
		return UINT32_MAX - (uint32_t)rnd_below(2);
	default:
		return (uint32_t)rnd();
	}
}

static void rnd_pubkey(struct cr_pubkey *pk)
{
	static const uint8_t pre[] = {0x02, 0x03, 0xED};
	pk->b[0] = pre[rnd_below(3)];
	rnd_bytes(pk->b + 1, 32);
}

static void rnd_common(struct xl_tx_common *c)
{
	memset(c, 0, sizeof(*c));
	rnd_bytes(c->account.b, 20);
	c->fee = rnd_drops(false);
	if (rnd_below(4) == 0)
		c->ticket_sequence = rnd_u32() | 1;
	else
		c->sequence = rnd_u32();
	if (rnd_below(2))
		c->last_ledger_sequence = rnd_u32() | 1;
	if (rnd_below(3) == 0)
		c->network_id = rnd_u32();
	if (rnd_below(2)) {
		c->has_source_tag = true;
		c->source_tag = rnd_u32();
	}
	if (rnd_below(3) == 0)
		c->flags = XL_TF_FULLY_CANONICAL_SIG;
}

static void rnd_tx(struct xl_tx *tx)
{
	struct xl_tx_common c;
	struct cr_account_id dst;
	struct cr_pubkey pk;
	uint8_t chan[32], sig[72];
	uint32_t a = rnd_u32(), b = rnd_u32();
	enum xu_code rc;
	rnd_common(&c);
	rnd_bytes(dst.b, 20);
	rnd_pubkey(&pk);
	rnd_bytes(chan, 32);
	switch (rnd_below(4)) {
	case 0:
		rc = xl_tx_payment(tx, &c, &dst, rnd_drops(true),
				   rnd_below(2) ? &a : NULL, NULL);
		break;
	case 1:
		rc = xl_tx_paychan_create(
		    tx, &c, &dst, rnd_drops(true), rnd_u32(), &pk,
		    rnd_below(2) ? &a : NULL, rnd_below(2) ? &b : NULL, NULL);
		break;
	case 2:
		rc = xl_tx_paychan_fund(tx, &c, chan, rnd_drops(true),
					rnd_below(2) ? &a : NULL, NULL);
		break;
	default: {
		struct xl_drops amt = rnd_drops(true), bal = amt;
		size_t siglen = 64 + rnd_below(9);
		bool with_sig = rnd_below(2);
		static const uint32_t fl[] = {0, XL_TF_RENEW, XL_TF_CLOSE};
		if (xl_drops_u64(amt) > 1 && rnd_below(2))
			assert_true(xl_drops_from_u64(
			    &bal, 1 + rnd_below(xl_drops_u64(amt))));
		rnd_bytes(sig, siglen);
		rc = xl_tx_paychan_claim(tx, &c, chan,
					 with_sig || rnd_below(2) ? &bal : NULL,
					 with_sig || rnd_below(2) ? &amt : NULL,
					 with_sig ? sig : NULL, siglen,
					 with_sig || rnd_below(2) ? &pk : NULL,
					 fl[rnd_below(3)], NULL);
		break;
	}
	}
	assert_int_equal(rc, XU_OK);
	/* Signed or not, with or without memos. */
	if (rnd_below(2)) {
		rnd_pubkey(&tx->signing_pub_key);
		tx->txn_signature.len = 64 + rnd_below(9);
		rnd_bytes(tx->txn_signature.b, tx->txn_signature.len);
		tx->has |= XL_HAS_SIGNING_PUB_KEY | XL_HAS_TXN_SIGNATURE;
	}
	if (rnd_below(4) == 0) {
		tx->nmemos = 1 + rnd_below(XL_MEMOS_MAX);
		for (size_t i = 0; i < tx->nmemos; i++) {
			struct xl_memo *m = &tx->memos[i];
			m->has_type = rnd_below(2);
			m->has_data = rnd_below(2);
			m->has_format = rnd_below(2);
			m->type_len = m->has_type ? rnd_below(20) : 0;
			m->data_len = m->has_data ? rnd_below(257) : 0;
			m->format_len = m->has_format ? rnd_below(20) : 0;
			rnd_bytes(m->type, m->type_len);
			rnd_bytes(m->data, m->data_len);
			rnd_bytes(m->format, m->format_len);
		}
	}
}

static void test_ledger_codec_random_typed(void **state)
{
	(void)state;
	static struct xl_tx x, y;
	for (int i = 0; i < 5000; i++) {
		uint8_t b1[XL_TX_MAX_BYTES], b2[XL_TX_MAX_BYTES];
		size_t n1, n2;
		struct xu_err e = {0};
		memset(&x, 0, sizeof(x));
		rnd_tx(&x);
		assert_int_equal(xl_tx_encode(&x, b1, sizeof(b1), &n1, &e),
				 XU_OK);
		if (xl_tx_decode(&y, b1, n1, &e))
			fail_msg("iteration %d: %s", i, e.msg);
		/* Both sides are zero-filled beyond their values. */
		if (memcmp(&x, &y, sizeof(x)))
			fail_msg("iteration %d: decode(encode(x)) != x", i);
		assert_int_equal(xl_tx_encode(&y, b2, sizeof(b2), &n2, &e),
				 XU_OK);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		/* And through JSON. */
		json_t *j;
		assert_int_equal(xl_json_decode(b1, n1, &j, &e), XU_OK);
		assert_int_equal(xl_json_encode(j, b2, sizeof(b2), &n2, &e),
				 XU_OK);
		json_decref(j);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
	}
}

/* ---- random generic trees over every field type */

static void rnd_value(struct xl_tree *t, uint32_t idx, int depth);

static void rnd_object(struct xl_tree *t, uint32_t obj, int depth)
{
	size_t nf = rnd_below(depth ? 4 : 12) + 1;
	for (size_t k = 0; k < nf && t->n + 8 < t->cap; k++) {
		const struct xl_field *f =
		    xl_field_at(rnd_below(xl_field_count()));
		uint32_t idx;
		if ((f->type == XL_ST_OBJECT || f->type == XL_ST_ARRAY) &&
		    depth >= 3)
			continue;
		if (xl_tree_find(t, obj, f) != XL_NONE)
			continue;
		assert_int_equal(xl_tree_add(t, obj, f, &idx, NULL), XU_OK);
		rnd_value(t, idx, depth);
	}
}

static void rnd_value(struct xl_tree *t, uint32_t idx, int depth)
{
	struct xl_node *nd = &t->nodes[idx];
	const struct xl_field *f = nd->f;
	uint8_t b[300];
	size_t n = 0;
	enum xl_names which;
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32:
	case XL_ST_UINT64: {
		size_t w = xl_stype_width(f->type);
		nd->u = w == 8 ? rnd() : rnd() & ((UINT64_C(1) << 8 * w) - 1);
		if (xl_field_names(f, &which)) {
			/* JSON shows these as names: pick a known code. */
			static const unsigned codes[][3] = {
			    {0, 13, 15}, {0x78, 0x61, 0x64}, {0, 100, 104}};
			nd->u = codes[which][rnd_below(3)];
		}
		return;
	}
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
		n = xl_stype_width(f->type);
		rnd_bytes(b, n);
		break;
	case XL_ST_AMOUNT:
		if (rnd_below(2)) {
			xl_amount_xrp_bytes(
			    b, rnd_below(UINT64_C(100000000000000001)), false);
			n = 8;
		} else {
			char v[40];
			snprintf(v, sizeof(v), "%s%" PRIu64 "e%d",
				 rnd_below(2) ? "-" : "",
				 rnd_below(UINT64_C(10000000000000000)),
				 (int)rnd_below(150) - 80);
			assert_int_equal(xl_token_value_parse(b, v, NULL),
					 XU_OK);
			rnd_bytes(b + 8, 40);
			n = 48;
		}
		break;
	case XL_ST_BLOB:
		n = rnd_below(2) ? rnd_below(40) : rnd_below(300);
		rnd_bytes(b, n);
		break;
	case XL_ST_ACCOUNT:
		n = 20;
		rnd_bytes(b, n);
		break;
	case XL_ST_VECTOR256:
		n = 32 * rnd_below(4);
		rnd_bytes(b, n);
		break;
	case XL_ST_OBJECT:
		rnd_object(t, idx, depth + 1);
		return;
	case XL_ST_ARRAY: {
		size_t ne = rnd_below(3);
		for (size_t k = 0; k < ne && t->n + 8 < t->cap; k++) {
			const struct xl_field *ef;
			do
				ef = xl_field_at(rnd_below(xl_field_count()));
			while (ef->type != XL_ST_OBJECT);
			uint32_t ei;
			assert_int_equal(xl_tree_add(t, idx, ef, &ei, NULL),
					 XU_OK);
			rnd_object(t, ei, depth + 1);
		}
		return;
	}
	}
	assert_int_equal(xl_tree_put(t, idx, b, n, NULL), XU_OK);
}

static void test_ledger_codec_random_trees(void **state)
{
	(void)state;
	static struct xl_node n1[256], n2[256];
	static uint8_t arena[65536];
	static uint8_t b1[131072], b2[131072];
	for (int i = 0; i < 3000; i++) {
		struct xl_tree t1, t2;
		size_t l1, l2;
		struct xu_err e = {0};
		xl_tree_init(&t1, n1, 256, arena, sizeof(arena));
		rnd_object(&t1, 0, 0);
		assert_int_equal(xl_encode(&t1, 0, b1, sizeof(b1), &l1, &e),
				 XU_OK);
		xl_tree_init(&t2, n2, 256, NULL, 0);
		if (xl_decode(&t2, b1, l1, &e))
			fail_msg("iteration %d: %s", i, e.msg);
		assert_int_equal(t2.n, t1.n);
		assert_int_equal(xl_encode(&t2, 0, b2, sizeof(b2), &l2, &e),
				 XU_OK);
		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
		/* Signing-only encoding drops exactly the non-signing
		 * fields and stays decodable. */
		assert_int_equal(
		    xl_encode(&t1, XL_ENC_SIGNING, b2, sizeof(b2), &l2, &e),
		    XU_OK);
		xl_tree_init(&t2, n2, 256, NULL, 0);
		if (l2 && xl_decode(&t2, b2, l2, &e))
			fail_msg("iteration %d: signing: %s", i, e.msg);
		/* JSON round trip of the same bytes. */
		json_t *j;
		if (xl_json_decode(b1, l1, &j, &e))
			fail_msg("iteration %d: json: %s", i, e.msg);
		if (xl_json_encode(j, b2, sizeof(b2), &l2, &e))
			fail_msg("iteration %d: json back: %s", i, e.msg);
		json_decref(j);
		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ledger_codec_field_table),
	    cmocka_unit_test(test_ledger_codec_headers),
	    cmocka_unit_test(test_ledger_codec_vl),
	    cmocka_unit_test(test_ledger_codec_token_values),
	    cmocka_unit_test(test_ledger_codec_amount_check),
	    cmocka_unit_test(test_ledger_codec_decode_bad),
	    cmocka_unit_test(test_ledger_codec_prefixes),
	    cmocka_unit_test(test_ledger_codec_random_typed),
	    cmocka_unit_test(test_ledger_codec_random_trees),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
