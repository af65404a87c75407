/* Unit tests of crypto/claim.c: the 44-byte message layout (prefix,
 * channel, big-endian amount at the 2^32 and 2^53 edges), the channel-id
 * preimage (ordered, big-endian sequence), and claim sign/verify with
 * tampered amount and channel for both key types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/claim.h"
#include "crypto/hash.h"
#include "src/util/hex.h"

static int setup(void **state)
{
	(void)state;
	return cr_init(NULL) == XU_OK ? 0 : -1;
}

static void test_crypto_claim_message(void **state)
{
	(void)state;
	uint8_t ch[32], m[CR_CLAIM_MSG_BYTES];

	for (int i = 0; i < 32; i++)
		ch[i] = (uint8_t)(0xA0 + i);
	cr_claim_message(m, ch, UINT64_C(0x0102030405060708));
	assert_memory_equal(m, "CLM\0", 4);
	assert_memory_equal(m + 4, ch, 32);
	static const uint8_t be[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(m + 36, be, 8);
	cr_claim_message(m, ch, UINT64_C(4294967296)); /* 2^32 */
	static const uint8_t p32[8] = {0, 0, 0, 1, 0, 0, 0, 0};
	assert_memory_equal(m + 36, p32, 8);
	cr_claim_message(m, ch, UINT64_C(100000000000000000)); /* 10^17 */
	static const uint8_t p17[8] = {0x01, 0x63, 0x45, 0x78,
				       0x5D, 0x8A, 0x00, 0x00};
	assert_memory_equal(m + 36, p17, 8);
}

static void test_crypto_claim_channel_id(void **state)
{
	(void)state;
	struct cr_account_id a, b;
	uint8_t id[32], id2[32], pre[46], h[32];
	char hex[65];

	/* The real mainnet channel. */
	assert_int_equal(
	    cr_address_decode(&a, "rN7n7otQDd6FczFgLdSqtcsAUxDkw6fzRH", NULL),
	    XU_OK);
	assert_int_equal(
	    cr_address_decode(&b, "rf1BiGeXwwQoi8Z2ueFYTEXSwuJYfV2Jpn", NULL),
	    XU_OK);
	cr_channel_id(id, &a, &b, 39);
	xu_hex_encode(hex, sizeof(hex), id, 32);
	assert_string_equal(hex, "5DB01B7FFED6B67E6B0414DED11E051D2EE2B7619C"
				 "E0EAA6286D67A3A4D5BDB3");
	/* Ordered: swapping gives another id. */
	cr_channel_id(id2, &b, &a, 39);
	assert_memory_not_equal(id, id2, 32);
	/* The preimage, by hand. */
	pre[0] = 0x00;
	pre[1] = 0x78;
	memcpy(pre + 2, a.b, 20);
	memcpy(pre + 22, b.b, 20);
	pre[42] = 0xFF;
	pre[43] = 0xFF;
	pre[44] = 0xFF;
	pre[45] = 0xFE;
	cr_sha512half(h, pre, sizeof(pre));
	cr_channel_id(id, &a, &b, 0xFFFFFFFEu);
	assert_memory_equal(h, id, 32);
}

static void test_crypto_claim_sign_verify(void **state)
{
	(void)state;
	const char *seeds[] = {"snGHNrPbHrdUcszeuDEigMdC1Lyyd",
			       "sEdSuqBPSQaood2DmNYVkwWTn1oQTj2"};
	static const uint64_t amounts[] = {0, 1, UINT64_C(4294967295),
					   UINT64_C(4294967296),
					   UINT64_C(100000000000000000)};
	uint8_t ch[32], sig[CR_SIG_MAX_BYTES];
	size_t n;

	memset(ch, 0x5A, sizeof(ch));
	for (int k = 0; k < 2; k++) {
		struct cr_keypair kp;
		assert_int_equal(
		    cr_keypair_from_seed_text(&kp, seeds[k], 0, NULL), XU_OK);
		for (size_t i = 0; i < 5; i++) {
			uint64_t d = amounts[i];
			assert_int_equal(
			    cr_claim_sign(sig, &n, &kp, ch, d, NULL), XU_OK);
			assert_true(
			    cr_claim_verify(kp.pub.b, 33, ch, d, sig, n));
			assert_false(
			    cr_claim_verify(kp.pub.b, 33, ch, d + 1, sig, n));
			/* Little-endian amount is a different claim. */
			uint64_t sw = __builtin_bswap64(d);
			if (sw != d)
				assert_false(cr_claim_verify(kp.pub.b, 33, ch,
							     sw, sig, n));
			ch[31] ^= 1;
			assert_false(
			    cr_claim_verify(kp.pub.b, 33, ch, d, sig, n));
			ch[31] ^= 1;
		}
		cr_keypair_clear(&kp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_claim_message),
	    cmocka_unit_test(test_crypto_claim_channel_id),
	    cmocka_unit_test(test_crypto_claim_sign_verify),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
