/* Unit tests of crypto/keys.c.  The file is included so that the static
 * derivation steps (root generator, account tweak) can be checked against
 * every intermediate value in keys.json; also seed parsing errors (wrong
 * version, length, checksum), the key-type override rules, public-key
 * classification and wiping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/claim.h"
#include "crypto/keys.c"
#include "crypto/sign.h"
#include "src/util/hex.h"
#include "tests/crypto/vec.h"

static int setup(void **state)
{
	(void)state;
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static void test_crypto_keys_intermediates(void **state)
{
	(void)state;
	json_t *root = vec_load("keys.json");
	json_t *v;
	size_t i;

	json_array_foreach(vec_array(root, "secp256k1"), i, v)
	{
		json_t *d = json_object_get(v, "derivation");
		uint8_t ent[16], rk[32], gen[33], tw[32];
		char s[CR_BASE58_MAX_STRLEN];
		static const uint8_t node_ver[1] = {0x1C};

		assert_non_null(d);
		vec_hex_exact(v, "entropy", ent, 16);
		assert_int_equal(derive_root(rk, ent, NULL), XU_OK);
		vec_assert_hex(d, "root_private_generator", rk, 32);
		assert_int_equal(secp_pub(gen, rk, NULL), XU_OK);
		vec_assert_hex(d, "root_public_generator", gen, 33);
		assert_int_equal(derive_tweak(tw, gen, NULL), XU_OK);
		vec_assert_hex(d, "tweak_scalar", tw, 32);
		assert_int_equal(
		    json_integer_value(json_object_get(d, "root_sequence")), 0);
		assert_int_equal(cr_base58check_encode(s, sizeof(s), node_ver,
						       1, gen, 33, NULL),
				 XU_OK);
		assert_string_equal(s,
				    vec_str(v, "validator_public_key_base58"));
	}
	assert_true(i >= 11);
	json_decref(root);
}

static void expect_seed_fail(const char *text, int detail)
{
	struct cr_seed seed;
	struct xu_err e;
	static const struct cr_seed zero;

	memset(&seed, 0xAA, sizeof(seed));
	assert_int_equal(cr_seed_parse(&seed, text, &e), XU_EPARSE);
	if (detail)
		assert_int_equal(e.detail, detail);
	assert_memory_equal(&seed, &zero, sizeof(seed));
	if (strlen(text) > 5)
		assert_null(strstr(e.msg, text)); /* never echoed */
}

static void test_crypto_keys_seed_errors(void **state)
{
	(void)state;
	uint8_t ent[17] = {1,  2,  3,  4,  5,  6,  7,  8, 9,
			   10, 11, 12, 13, 14, 15, 16, 17};
	static const uint8_t v21[1] = {0x21}, v22[1] = {0x22};
	static const uint8_t ved[3] = {0x01, 0xE1, 0x4B};
	char s[CR_BASE58_MAX_STRLEN];

	/* Good ones, for contrast. */
	struct cr_seed seed;
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v21, 1, ent, 16, NULL), XU_OK);
	assert_int_equal(cr_seed_parse(&seed, s, NULL), XU_OK);
	assert_int_equal(seed.implied, CR_KEY_SECP256K1);
	assert_memory_equal(seed.entropy, ent, 16);
	char back[CR_BASE58_MAX_STRLEN];
	assert_int_equal(
	    cr_seed_encode(back, sizeof(back), &seed, CR_KEY_SECP256K1, NULL),
	    XU_OK);
	assert_string_equal(back, s);
	assert_int_equal(
	    cr_seed_encode(back, sizeof(back), &seed, CR_KEY_ED25519, NULL),
	    XU_OK);
	assert_memory_equal(back, "sEd", 3);
	assert_int_equal(cr_seed_parse(&seed, back, NULL), XU_OK);
	assert_int_equal(seed.implied, CR_KEY_ED25519);
	assert_memory_equal(seed.entropy, ent, 16);
	cr_seed_clear(&seed);

	/* Wrong length for the version. */
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v21, 1, ent, 15, NULL), XU_OK);
	expect_seed_fail(s, CR_B58_LENGTH);
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v21, 1, ent, 17, NULL), XU_OK);
	expect_seed_fail(s, CR_B58_LENGTH);
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), ved, 3, ent, 15, NULL), XU_OK);
	expect_seed_fail(s, CR_B58_LENGTH);
	/* Wrong version: another token type, an address, a public key. */
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v22, 1, ent, 16, NULL), XU_OK);
	expect_seed_fail(s, CR_B58_VERSION);
	expect_seed_fail("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", CR_B58_VERSION);
	expect_seed_fail("aBQG8RQAzjs1eTKFEAQXr2gS4utcDiEC9wmi7pfUPTi27VCahwgw",
			 CR_B58_VERSION);
	/* Checksum, alphabet, too short. */
	expect_seed_fail("snoPBrXtMeMyMHUVTgbuqAfg1SUTc", CR_B58_CHECKSUM);
	expect_seed_fail("sEdSKaCy2JT7JaM7v95H9SxkhP9wS2R", CR_B58_CHECKSUM);
	expect_seed_fail("snoPBrXtMeMyMHUVTgbuqAfg1SUT0", CR_B58_BAD_CHAR);
	expect_seed_fail(" snoPBrXtMeMyMHUVTgbuqAfg1SUTb", CR_B58_BAD_CHAR);
	expect_seed_fail("", CR_B58_TOO_SHORT);
	expect_seed_fail("s", CR_B58_TOO_SHORT);
}

static void test_crypto_keys_override(void **state)
{
	(void)state;
	struct cr_keypair kp, kp2;
	struct xu_err e;
	static const struct cr_keypair zero;

	/* An s... seed may be forced to ed25519... */
	assert_int_equal(
	    cr_keypair_from_seed_text(&kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb",
				      CR_KEY_ED25519, NULL),
	    XU_OK);
	assert_int_equal(kp.type, CR_KEY_ED25519);
	assert_int_equal(kp.pub.b[0], 0xED);
	/* ...giving the sEd... form of the same entropy. */
	assert_int_equal(cr_keypair_from_seed_text(
			     &kp2, "sEdVQ4wvD1AaTG6JA54qt38TengAuiz", 0, NULL),
			 XU_OK);
	assert_memory_equal(&kp, &kp2, sizeof(kp));
	/* Overriding to its own type changes nothing. */
	assert_int_equal(
	    cr_keypair_from_seed_text(&kp2, "sEdVQ4wvD1AaTG6JA54qt38TengAuiz",
				      CR_KEY_ED25519, NULL),
	    XU_OK);
	assert_memory_equal(&kp, &kp2, sizeof(kp));
	/* An sEd... seed is not forced to secp256k1 (rippled refuses). */
	memset(&kp, 0xAA, sizeof(kp));
	assert_int_equal(
	    cr_keypair_from_seed_text(&kp, "sEdVQ4wvD1AaTG6JA54qt38TengAuiz",
				      CR_KEY_SECP256K1, &e),
	    XU_EINVAL);
	assert_non_null(strstr(e.msg, "ed25519"));
	assert_memory_equal(&kp, &zero, sizeof(kp));
	/* Unknown override values. */
	assert_int_equal(cr_keypair_from_seed_text(
			     &kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", 3, &e),
			 XU_EINVAL);
	/* Bad seed: error, keypair zeroed. */
	memset(&kp, 0xAA, sizeof(kp));
	assert_int_equal(cr_keypair_from_seed_text(
			     &kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTc", 0, &e),
			 XU_EPARSE);
	assert_memory_equal(&kp, &zero, sizeof(kp));
	/* Clearing wipes everything. */
	cr_keypair_clear(&kp2);
	assert_memory_equal(&kp2, &zero, sizeof(kp2));
}

static void test_crypto_keys_pubkey_type(void **state)
{
	(void)state;
	uint8_t pk[65];
	enum cr_key_type t;
	struct xu_err e;

	memset(pk, 0x11, sizeof(pk));
	pk[0] = 0x02;
	assert_int_equal(cr_pubkey_type(&t, pk, 33, NULL), XU_OK);
	assert_int_equal(t, CR_KEY_SECP256K1);
	pk[0] = 0x03;
	assert_int_equal(cr_pubkey_type(&t, pk, 33, NULL), XU_OK);
	assert_int_equal(t, CR_KEY_SECP256K1);
	pk[0] = 0xED;
	assert_int_equal(cr_pubkey_type(&t, pk, 33, NULL), XU_OK);
	assert_int_equal(t, CR_KEY_ED25519);
	pk[0] = 0x04;
	assert_int_equal(cr_pubkey_type(&t, pk, 65, &e), XU_EINVAL);
	assert_int_equal(cr_pubkey_type(&t, pk, 33, &e), XU_EINVAL);
	pk[0] = 0xED;
	assert_int_equal(cr_pubkey_type(&t, pk, 32, &e), XU_EINVAL);
	assert_int_equal(cr_pubkey_type(&t, pk, 34, &e), XU_EINVAL);
	assert_int_equal(cr_pubkey_type(&t, pk, 0, &e), XU_EINVAL);
	pk[0] = 0x00;
	assert_int_equal(cr_pubkey_type(&t, pk, 33, &e), XU_EINVAL);

	assert_string_equal(cr_key_type_name(CR_KEY_ED25519), "ed25519");
	assert_string_equal(cr_key_type_name(CR_KEY_SECP256K1), "secp256k1");
	assert_true(cr_key_type_parse(&t, "ed25519"));
	assert_int_equal(t, CR_KEY_ED25519);
	assert_true(cr_key_type_parse(&t, "secp256k1"));
	assert_int_equal(t, CR_KEY_SECP256K1);
	assert_false(cr_key_type_parse(&t, "ED25519"));
	assert_false(cr_key_type_parse(&t, ""));
	assert_false(cr_key_type_parse(&t, "ecdsa-secp256k1"));
}

/* Kava's ilp-plugin-xrp-paychan 0.4.5 channel keys: the expected values
 * were computed by the plugin's own code (its HMAC derivation line of
 * build/account.js and createClaimDigest of build/utils/channel.js, with
 * libsodium-wrappers' crypto_sign_seed_keypair and crypto_sign_detached)
 * for the xrpSecret below and accounts "alice" and "peer.bob". */
static void test_crypto_keys_kava_channel(void **state)
{
	static const struct {
		const char *name, *pub, *sig;
	} v[] = {
	    {"alice",
	     "ED786AECF4A4248BC3DB5CFC7A69FE09B8669421E32EE24CBCDF372CB70E9D3A7"
	     "D",
	     "dc3a02fb82147ad2b207e09f0d1471c17213b9b5b2156c1618b409bf69046d63"
	     "f0d022a65b1fe124b20c1506fe3c6b2ceb5a752a24307b1c50987d09b91c0e0"
	     "7"},
	    {"peer.bob",
	     "EDD42CEA306F8C03FBBF59C55182A4E2FA02D139D52C28C9CB568A3C5D0CF4CC9"
	     "C",
	     "ece37f7b75c6d76eb9a66f0c59bcbe568ac3971bb1033823e7f960332d446886"
	     "a6ecc0c97b281f91c11e984363b0f5a15be40876e97ab2935cd901811853850"
	     "1"},
	};
	static const char chan[] =
	    "C1AE6DDDEEC05CF2978C0BAD6FE302948E9533691DC749DCDD3B9E5992CA6198";
	uint8_t id[CR_CHANNEL_ID_BYTES], pub[CR_PUBKEY_BYTES];
	uint8_t want[64], sig[CR_SIG_MAX_BYTES];
	struct cr_keypair kp;
	size_t siglen;

	(void)state;
	assert_int_equal(xu_hex_decode_exact(id, sizeof(id), chan, NULL),
			 XU_OK);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(
		    cr_kava_channel_keypair(
			&kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", v[i].name, NULL),
		    XU_OK);
		assert_int_equal(
		    xu_hex_decode_exact(pub, sizeof(pub), v[i].pub, NULL),
		    XU_OK);
		assert_memory_equal(kp.pub.b, pub, CR_PUBKEY_BYTES);
		assert_int_equal(kp.type, CR_KEY_ED25519);
		assert_int_equal(
		    cr_claim_sign(sig, &siglen, &kp, id, 1000001, NULL), XU_OK);
		assert_int_equal(
		    xu_hex_decode_exact(want, sizeof(want), v[i].sig, NULL),
		    XU_OK);
		assert_int_equal(siglen, 64);
		assert_memory_equal(sig, want, 64);
		assert_true(cr_claim_verify(pub, CR_PUBKEY_BYTES, id, 1000001,
					    want, 64));
		cr_keypair_clear(&kp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_keys_intermediates),
	    cmocka_unit_test(test_crypto_keys_seed_errors),
	    cmocka_unit_test(test_crypto_keys_override),
	    cmocka_unit_test(test_crypto_keys_pubkey_type),
	    cmocka_unit_test(test_crypto_keys_kava_channel),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
