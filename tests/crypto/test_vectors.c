/* Table-driven tests of crypto/ over every entry of the shared XRPL
 * vectors (tests/vectors/data/, produced by the official XRPL JavaScript
 * libraries): sha512half, ripemd160 (with the 1M x 'a' repeat spec and the
 * AccountID pipeline), base58 (raw, checked, invalid with error class),
 * keys (both types, key-type override, published signature fixtures),
 * claims (positive, published, negative), secp256k1_rfc6979 and
 * channel_ids.  Each section asserts a minimum entry count so that a
 * schema change cannot silently skip checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <sodium.h>

#include "crypto/base58.h"
#include "crypto/claim.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/secp_ctx.h"
#include "crypto/sign.h"
#include "tests/crypto/vec.h"

/* Entries checked per section, printed at the end. */
static size_t checked;

static void expect_count(const char *what, size_t got, size_t at_least)
{
	if (got < at_least)
		fail_msg("%s: %zu entries, expected at least %zu", what, got,
			 at_least);
	printf("  %-40s %zu entries\n", what, got);
	checked += got;
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	assert_true(*s && !*end);
	return (uint64_t)v;
}

static int setup(void **state)
{
	(void)state;
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static void test_crypto_vec_sha512half(void **state)
{
	(void)state;
	json_t *root = vec_load("sha512half.json");
	json_t *arr = vec_array(root, "vectors"), *v;
	size_t i;
	static uint8_t in[4096];
	uint8_t out[32], full[64];

	json_array_foreach(arr, i, v)
	{
		size_t n = vec_hex(v, "input_hex", in, sizeof(in));
		cr_sha512half(out, in, n);
		vec_assert_hex(v, "sha512half", out, 32);
		crypto_hash_sha512(full, in, n);
		vec_assert_hex(v, "sha512", full, 64);
		/* The incremental form, in two uneven pieces. */
		struct cr_sha512half_ctx c;
		cr_sha512half_init(&c);
		cr_sha512half_update(&c, in, n / 3);
		cr_sha512half_update(&c, in + n / 3, n - n / 3);
		cr_sha512half_final(&c, out);
		vec_assert_hex(v, "sha512half", out, 32);
	}
	expect_count("sha512half.vectors", i, 18);
	json_decref(root);
}

static void test_crypto_vec_ripemd160(void **state)
{
	(void)state;
	json_t *root = vec_load("ripemd160.json");
	json_t *arr = vec_array(root, "vectors"), *v;
	size_t i, repeats = 0;
	static uint8_t in[1000000];
	uint8_t out[20];

	json_array_foreach(arr, i, v)
	{
		size_t n;
		json_t *rep = json_object_get(v, "input_repeat");
		if (rep) {
			uint8_t b;
			vec_hex_exact(rep, "byte_hex", &b, 1);
			json_int_t cnt =
			    json_integer_value(json_object_get(rep, "count"));
			assert_true(cnt > 0 && (size_t)cnt <= sizeof(in));
			n = (size_t)cnt;
			memset(in, b, n);
			repeats++;
		} else {
			n = vec_hex(v, "input_hex", in, sizeof(in));
		}
		cr_ripemd160(out, in, n);
		vec_assert_hex(v, "ripemd160", out, 20);
	}
	expect_count("ripemd160.vectors", i, 23);
	assert_int_equal(repeats, 1); /* the 1M x 'a' spec */

	arr = vec_array(root, "account_id_pipeline");
	json_array_foreach(arr, i, v)
	{
		struct cr_pubkey pk;
		struct cr_account_id id;
		struct cr_account_id back;
		char addr[CR_ADDRESS_STRLEN];
		uint8_t h[32];

		vec_hex_exact(v, "public_key", pk.b, 33);
		cr_sha256(h, pk.b, 33);
		vec_assert_hex(v, "sha256", h, 32);
		cr_account_id_of(&id, &pk);
		vec_assert_hex(v, "ripemd160_of_sha256", id.b, 20);
		cr_address_encode(addr, &id);
		assert_string_equal(addr, vec_str(v, "address"));
		assert_int_equal(cr_address_decode(&back, addr, NULL), XU_OK);
		assert_memory_equal(back.b, id.b, 20);
	}
	expect_count("ripemd160.account_id_pipeline", i, 21);
	json_decref(root);
}

/* Maps the vector's "expected" text to our failure class. */
static int expected_class(const char *exp, const char *label)
{
	if (strstr(exp, "invalid character"))
		return CR_B58_BAD_CHAR;
	if (strstr(exp, "too short"))
		return CR_B58_TOO_SHORT;
	if (strstr(exp, "checksum"))
		return CR_B58_CHECKSUM;
	if (strstr(exp, "version or payload length"))
		return -1; /* either */
	if (strstr(exp, "payload must be"))
		return CR_B58_LENGTH;
	if (strstr(exp, "version must be"))
		return CR_B58_VERSION;
	fail_msg("base58 invalid '%s': unknown expectation '%s'", label, exp);
	return 0;
}

static void test_crypto_vec_base58(void **state)
{
	(void)state;
	json_t *root = vec_load("base58.json");
	json_t *v;
	size_t i;
	uint8_t buf[128], back[128];
	char s[CR_BASE58_MAX_STRLEN];

	json_array_foreach(vec_array(root, "raw"), i, v)
	{
		size_t n = vec_hex(v, "bytes_hex", buf, sizeof(buf)), m;
		assert_int_equal(cr_base58_encode(s, sizeof(s), buf, n, NULL),
				 XU_OK);
		assert_string_equal(s, vec_str(v, "base58"));
		assert_int_equal(cr_base58_decode(back, sizeof(back), &m,
						  vec_str(v, "base58"), NULL),
				 XU_OK);
		assert_int_equal(m, n);
		assert_memory_equal(back, buf, n);
	}
	expect_count("base58.raw", i, 14);

	json_array_foreach(vec_array(root, "checked"), i, v)
	{
		uint8_t ver[4], pay[64], full[128];
		size_t vl = vec_hex(v, "version_hex", ver, sizeof(ver));
		size_t pl = vec_hex(v, "payload_hex", pay, sizeof(pay)), fl;
		assert_int_equal(
		    cr_base58check_encode(s, sizeof(s), ver, vl, pay, pl, NULL),
		    XU_OK);
		assert_string_equal(s, vec_str(v, "base58"));
		assert_int_equal(cr_base58check_decode(back, pl, ver, vl,
						       vec_str(v, "base58"),
						       NULL),
				 XU_OK);
		assert_memory_equal(back, pay, pl);
		/* The full decode (with checksum) of the raw decoder. */
		assert_int_equal(cr_base58_decode(full, sizeof(full), &fl,
						  vec_str(v, "base58"), NULL),
				 XU_OK);
		assert_int_equal(fl, vl + pl + 4);
		uint8_t want[128];
		size_t wl = vec_hex(v, "decoded_full_hex", want, sizeof(want));
		assert_int_equal(wl, vl + pl + 4);
		assert_memory_equal(full, want, wl);
		vec_assert_hex(v, "checksum_hex", full + vl + pl, 4);
	}
	expect_count("base58.checked", i, 20);

	json_array_foreach(vec_array(root, "invalid"), i, v)
	{
		const char *in = vec_str(v, "input");
		const char *as = vec_str(v, "decode_as");
		int want = expected_class(vec_str(v, "expected"), vec_label(v));
		struct xu_err e;
		enum xu_code rc;
		size_t n;

		memset(&e, 0, sizeof(e));
		if (!strcmp(as, "account")) {
			struct cr_account_id id;
			rc = cr_address_decode(&id, in, &e);
		} else if (!strcmp(as, "seed")) {
			struct cr_seed seed;
			rc = cr_seed_parse(&seed, in, &e);
		} else if (!strcmp(as, "raw")) {
			rc = cr_base58_decode(buf, sizeof(buf), &n, in, &e);
		} else {
			fail_msg("base58 invalid: unknown decode_as '%s'", as);
			return;
		}
		if (rc != XU_EPARSE)
			fail_msg("'%s': rc %d, want EPARSE", vec_label(v),
				 (int)rc);
		assert_int_equal(e.code, XU_EPARSE);
		if (want < 0) {
			if (e.detail != CR_B58_VERSION &&
			    e.detail != CR_B58_LENGTH)
				fail_msg("'%s': class %d", vec_label(v),
					 e.detail);
		} else if (e.detail != want) {
			fail_msg("'%s': class %d, want %d (%s)", vec_label(v),
				 e.detail, want, e.msg);
		}
		assert_true(strlen(e.msg) > 0);
	}
	expect_count("base58.invalid", i, 16);
	json_decref(root);
}

/* Checks one keys.json entry through the public API. */
static void check_key_entry(const json_t *v, enum cr_key_type type)
{
	const char *seed_text = vec_str(v, "seed");
	struct cr_seed seed;
	struct cr_keypair kp;
	struct cr_account_id id;
	char s[CR_BASE58_MAX_STRLEN];
	uint8_t ent[16];

	assert_string_equal(vec_str(v, "algorithm"), cr_key_type_name(type));
	assert_int_equal(cr_seed_parse(&seed, seed_text, NULL), XU_OK);
	assert_int_equal(seed.implied, type);
	vec_hex_exact(v, "entropy", ent, 16);
	assert_memory_equal(seed.entropy, ent, 16);
	assert_int_equal(cr_seed_encode(s, sizeof(s), &seed, type, NULL),
			 XU_OK);
	assert_string_equal(s, seed_text);

	assert_int_equal(cr_keypair_derive(&kp, &seed, type, NULL), XU_OK);
	assert_int_equal(kp.type, type);
	vec_assert_hex(v, "public_key", kp.pub.b, 33);
	vec_assert_hex(v, "private_key_raw", kp.secret, 32);
	if (type == CR_KEY_ED25519)
		vec_assert_hex(v, "libsodium_secret_key_64", kp.secret, 64);
	cr_account_id_of(&id, &kp.pub);
	vec_assert_hex(v, "account_id", id.b, 20);
	char addr[CR_ADDRESS_STRLEN];
	cr_address_encode(addr, &id);
	assert_string_equal(addr, vec_str(v, "address"));
	static const uint8_t ver_pub[1] = {0x23};
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), ver_pub, 1, kp.pub.b, 33, NULL),
	    XU_OK);
	assert_string_equal(s, vec_str(v, "account_public_key_base58"));

	/* The text form gives the same pair. */
	struct cr_keypair kp2;
	assert_int_equal(cr_keypair_from_seed_text(&kp2, seed_text, 0, NULL),
			 XU_OK);
	assert_memory_equal(&kp2, &kp, sizeof(kp));
	cr_keypair_clear(&kp);
	cr_keypair_clear(&kp2);
	cr_seed_clear(&seed);
}

static void test_crypto_vec_keys(void **state)
{
	(void)state;
	json_t *root = vec_load("keys.json");
	json_t *secp = vec_array(root, "secp256k1");
	json_t *ed = vec_array(root, "ed25519");
	json_t *v, *w;
	size_t i, j, overrides = 0;

	json_array_foreach(secp, i, v) check_key_entry(v, CR_KEY_SECP256K1);
	expect_count("keys.secp256k1", i, 11);
	json_array_foreach(ed, i, v) check_key_entry(v, CR_KEY_ED25519);
	expect_count("keys.ed25519", i, 10);

	/* Key-type override: an "s..." seed forced to ed25519 gives what
	 * xrpl.js Wallet.fromSeed(seed, {algorithm: 'ed25519'}) gives, i.e.
	 * the ed25519 entry with the same entropy. */
	json_array_foreach(secp, i, v)
	{
		json_array_foreach(ed, j, w)
		{
			if (strcmp(vec_str(v, "entropy"),
				   vec_str(w, "entropy")))
				continue;
			struct cr_keypair kp;
			assert_int_equal(
			    cr_keypair_from_seed_text(&kp, vec_str(v, "seed"),
						      CR_KEY_ED25519, NULL),
			    XU_OK);
			assert_int_equal(kp.type, CR_KEY_ED25519);
			vec_assert_hex(w, "public_key", kp.pub.b, 33);
			vec_assert_hex(w, "libsodium_secret_key_64", kp.secret,
				       64);
			cr_keypair_clear(&kp);
			/* And the sEd... seed cannot be forced to
			 * secp256k1 (rippled refuses it). */
			struct xu_err e;
			assert_int_equal(
			    cr_keypair_from_seed_text(&kp, vec_str(w, "seed"),
						      CR_KEY_SECP256K1, &e),
			    XU_EINVAL);
			overrides++;
		}
	}
	expect_count("keys override pairs (same entropy)", overrides, 7);

	json_array_foreach(vec_array(root, "published_signature_fixtures"), i,
			   v)
	{
		struct cr_keypair kp;
		uint8_t msg[256], sig[CR_SIG_MAX_BYTES];
		size_t n = vec_hex(v, "message_hex", msg, sizeof(msg)), sl;

		assert_int_equal(strlen(vec_str(v, "message_utf8")), n);
		assert_memory_equal(msg, vec_str(v, "message_utf8"), n);
		assert_int_equal(
		    cr_keypair_from_seed_text(&kp, vec_str(v, "seed"), 0, NULL),
		    XU_OK);
		vec_assert_hex(v, "public_key", kp.pub.b, 33);
		assert_int_equal(cr_sign(sig, &sl, &kp, msg, n, NULL), XU_OK);
		vec_assert_hex(v, "expected_signature", sig, sl);
		vec_assert_hex(v, "signature", sig, sl);
		assert_true(cr_verify(kp.pub.b, 33, msg, n, sig, sl));
		cr_keypair_clear(&kp);
	}
	expect_count("keys.published_signature_fixtures", i, 2);
	json_decref(root);
}

/* One claim entry: message bytes, and verify == expected_verify. */
static void check_claim_verify(const json_t *v)
{
	uint8_t pk[128], chan[32], sig[128], msg[CR_CLAIM_MSG_BYTES];
	size_t pkl = vec_hex(v, "public_key", pk, sizeof(pk));
	size_t sl = vec_hex(v, "signature", sig, sizeof(sig));
	uint64_t drops = parse_u64(vec_str(v, "amount_drops"));
	bool want = vec_bool(v, "expected_verify");

	vec_hex_exact(v, "channel_id", chan, 32);
	cr_claim_message(msg, chan, drops);
	vec_assert_hex(v, "message_hex", msg, sizeof(msg));
	if (json_object_get(v, "secp256k1_digest")) {
		uint8_t d[32];
		cr_sha512half(d, msg, sizeof(msg));
		vec_assert_hex(v, "secp256k1_digest", d, 32);
	}
	bool got = cr_claim_verify(pk, pkl, chan, drops, sig, sl);
	if (got != want)
		fail_msg("claim '%s': verify %d, expected %d", vec_label(v),
			 got, want);
	/* The canonical-form predicate agrees for valid secp256k1 claims. */
	if (want && pk[0] != 0xED)
		assert_true(cr_secp256k1_sig_is_canonical(sig, sl));
}

/* Signs with the entry's seed and compares bytes. */
static void check_claim_sign(const json_t *v)
{
	struct cr_keypair kp;
	uint8_t chan[32], sig[CR_SIG_MAX_BYTES];
	size_t sl;

	assert_int_equal(
	    cr_keypair_from_seed_text(&kp, vec_str(v, "seed"), 0, NULL), XU_OK);
	vec_assert_hex(v, "public_key", kp.pub.b, 33);
	if (json_object_get(v, "private_key_raw"))
		vec_assert_hex(v, "private_key_raw", kp.secret, 32);
	vec_hex_exact(v, "channel_id", chan, 32);
	assert_int_equal(cr_claim_sign(sig, &sl, &kp, chan,
				       parse_u64(vec_str(v, "amount_drops")),
				       NULL),
			 XU_OK);
	vec_assert_hex(v, "signature", sig, sl);
	cr_keypair_clear(&kp);
}

static void test_crypto_vec_claims(void **state)
{
	(void)state;
	json_t *root = vec_load("claims.json");
	json_t *v;
	size_t i, signed_published = 0;

	json_array_foreach(vec_array(root, "positive"), i, v)
	{
		assert_true(vec_bool(v, "expected_verify"));
		check_claim_verify(v);
		check_claim_sign(v);
	}
	expect_count("claims.positive", i, 32);

	json_array_foreach(vec_array(root, "published"), i, v)
	{
		assert_true(vec_bool(v, "expected_verify"));
		check_claim_verify(v);
		if (json_object_get(v, "seed")) {
			check_claim_sign(v);
			signed_published++;
		}
	}
	expect_count("claims.published", i, 3);
	assert_int_equal(signed_published, 2);

	json_array_foreach(vec_array(root, "negative"), i, v)
	{
		assert_false(vec_bool(v, "expected_verify"));
		check_claim_verify(v);
	}
	expect_count("claims.negative", i, 18);
	json_decref(root);
}

/* Splits a DER signature into r and s (each left-padded to 32 bytes). */
static void der_rs(const uint8_t *sig, size_t len, uint8_t r[32], uint8_t s[32])
{
	const uint8_t *p = sig + 2;
	uint8_t *outs[2] = {r, s};

	assert_true(len >= 8 && sig[0] == 0x30);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(p[0], 0x02);
		size_t l = p[1];
		const uint8_t *b = p + 2;
		while (l > 32) {
			assert_int_equal(*b, 0);
			b++;
			l--;
		}
		memset(outs[k], 0, 32);
		memcpy(outs[k] + 32 - l, b, l);
		p = b + l;
	}
	assert_ptr_equal(p, sig + len);
}

static void test_crypto_vec_rfc6979(void **state)
{
	(void)state;
	json_t *root = vec_load("secp256k1_rfc6979.json");
	json_t *v;
	size_t i, high = 0;
	static uint8_t msg[4096];

	json_array_foreach(vec_array(root, "vectors"), i, v)
	{
		struct cr_keypair kp;
		uint8_t sig[CR_SIG_MAX_BYTES], d[32], r[32], s[32];
		size_t n = vec_hex(v, "message_hex", msg, sizeof(msg)), sl;

		memset(&kp, 0, sizeof(kp));
		kp.type = CR_KEY_SECP256K1;
		vec_hex_exact(v, "private_key_raw", kp.secret, 32);
		cr_sha512half(d, msg, n);
		vec_assert_hex(v, "digest_sha512half", d, 32);
		assert_int_equal(cr_sign(sig, &sl, &kp, msg, n, NULL), XU_OK);
		vec_assert_hex(v, "signature_der", sig, sl);
		der_rs(sig, sl, r, s);
		vec_assert_hex(v, "r", r, 32);
		vec_assert_hex(v, "s_low", s, 32);
		assert_true(cr_secp256k1_sig_is_canonical(sig, sl));

		/* Verifies under the key's compressed public key. */
		secp256k1_pubkey p;
		uint8_t pk[33];
		size_t pkl = sizeof(pk);
		assert_int_equal(
		    secp256k1_ec_pubkey_create(cr_secp_ctx(), &p, kp.secret),
		    1);
		assert_int_equal(
		    secp256k1_ec_pubkey_serialize(cr_secp_ctx(), pk, &pkl, &p,
						  SECP256K1_EC_COMPRESSED),
		    1);
		assert_true(cr_verify(pk, pkl, msg, n, sig, sl));
		if (vec_bool(v, "raw_s_was_high_before_normalization"))
			high++;
		cr_keypair_clear(&kp);
	}
	expect_count("secp256k1_rfc6979.vectors", i, 48);
	assert_true(high > 0);
	json_decref(root);
}

static void test_crypto_vec_channel_ids(void **state)
{
	(void)state;
	json_t *root = vec_load("channel_ids.json");
	json_t *v;
	size_t i;

	json_array_foreach(vec_array(root, "vectors"), i, v)
	{
		struct cr_account_id src, dst;
		uint8_t id[32], pre[46];
		json_t *seq = json_object_get(v, "sequence");

		assert_true(json_is_integer(seq));
		json_int_t sq = json_integer_value(seq);
		assert_true(sq >= 0 && sq <= 0xFFFFFFFFLL);
		assert_int_equal(
		    cr_address_decode(&src, vec_str(v, "account"), NULL),
		    XU_OK);
		assert_int_equal(
		    cr_address_decode(&dst, vec_str(v, "destination"), NULL),
		    XU_OK);
		vec_assert_hex(v, "account_id", src.b, 20);
		vec_assert_hex(v, "destination_id", dst.b, 20);
		vec_hex_exact(v, "preimage_hex", pre, sizeof(pre));
		assert_memory_equal(pre + 2, src.b, 20);
		assert_memory_equal(pre + 22, dst.b, 20);
		cr_channel_id(id, &src, &dst, (uint32_t)sq);
		vec_assert_hex(v, "channel_id", id, 32);
		uint8_t h[32];
		cr_sha512half(h, pre, sizeof(pre));
		assert_memory_equal(h, id, 32);
	}
	expect_count("channel_ids.vectors", i, 25);
	json_decref(root);
}

static int report(void **state)
{
	(void)state;
	printf("vector entries checked: %zu\n", checked);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_vec_sha512half),
	    cmocka_unit_test(test_crypto_vec_ripemd160),
	    cmocka_unit_test(test_crypto_vec_base58),
	    cmocka_unit_test(test_crypto_vec_keys),
	    cmocka_unit_test(test_crypto_vec_claims),
	    cmocka_unit_test(test_crypto_vec_rfc6979),
	    cmocka_unit_test(test_crypto_vec_channel_ids),
	};
	return cmocka_run_group_tests(tests, setup, report);
}
