/* Unit tests of crypto/base58.c: round trips with leading zeros, the
 * error classes in rippled's order, capacity limits, the address memos,
 * and that hostile input (long, odd characters) is an error, never a
 * crash. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/base58.h"
#include "crypto/keys.h"

static void test_crypto_base58_roundtrip(void **state)
{
	(void)state;
	uint8_t in[CR_BASE58_MAX_BYTES] = {0}, out[CR_BASE58_MAX_BYTES];
	char s[CR_BASE58_MAX_STRLEN];
	size_t n;

	for (size_t len = 0; len <= CR_BASE58_MAX_BYTES; len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = i < len / 4 ? 0 : (uint8_t)(i * 97 + len);
		assert_int_equal(cr_base58_encode(s, sizeof(s), in, len, NULL),
				 XU_OK);
		for (size_t i = 0; i < len / 4; i++)
			assert_int_equal(s[i], 'r');
		assert_int_equal(
		    cr_base58_decode(out, sizeof(out), &n, s, NULL), XU_OK);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
	}
}

static void test_crypto_base58_limits(void **state)
{
	(void)state;
	uint8_t in[CR_BASE58_MAX_BYTES + 1], out[8];
	char s[CR_BASE58_MAX_STRLEN], small[4];
	struct xu_err e;
	size_t n;

	memset(in, 0xFF, sizeof(in));
	assert_int_equal(cr_base58_encode(s, sizeof(s), in, sizeof(in), &e),
			 XU_ETOOBIG);
	assert_int_equal(cr_base58_encode(small, sizeof(small), in, 4, &e),
			 XU_ETOOBIG);
	assert_string_equal(small, "");
	/* Decoding into too small a buffer. */
	assert_int_equal(cr_base58_encode(s, sizeof(s), in, 9, NULL), XU_OK);
	assert_int_equal(cr_base58_decode(out, sizeof(out), &n, s, &e),
			 XU_ETOOBIG);
	assert_int_equal(n, 0);
	/* A very long string is refused, not overflowed. */
	char longs[600];
	memset(longs, 'z', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	uint8_t big[CR_BASE58_MAX_BYTES];
	assert_int_equal(cr_base58_decode(big, sizeof(big), &n, longs, &e),
			 XU_ETOOBIG);
	struct cr_account_id id;
	assert_int_equal(cr_address_decode(&id, longs, &e), XU_ETOOBIG);
	/* ...but a bad character anywhere is reported first. */
	longs[500] = '0';
	assert_int_equal(cr_address_decode(&id, longs, &e), XU_EPARSE);
	assert_int_equal(e.detail, CR_B58_BAD_CHAR);
}

static void expect_class(const char *in, int cls)
{
	struct cr_account_id id;
	struct xu_err e;

	memset(&id, 0xAA, sizeof(id));
	assert_int_equal(cr_address_decode(&id, in, &e), XU_EPARSE);
	assert_int_equal(e.detail, cls);
	/* The output is zeroed on failure. */
	static const struct cr_account_id zero;
	assert_memory_equal(&id, &zero, sizeof(id));
}

static void test_crypto_base58_classes(void **state)
{
	(void)state;
	uint8_t payload[21] = {1, 2, 3};
	static const uint8_t v0[1] = {0x00}, v1[1] = {0x01};
	char s[CR_BASE58_MAX_STRLEN];

	expect_class("", CR_B58_TOO_SHORT);
	expect_class("rrrr", CR_B58_TOO_SHORT);
	expect_class("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh\n", CR_B58_BAD_CHAR);
	expect_class("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTr", CR_B58_CHECKSUM);
	expect_class("\xff\xfe", CR_B58_BAD_CHAR);
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v1, 1, payload, 20, NULL),
	    XU_OK);
	expect_class(s, CR_B58_VERSION);
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v0, 1, payload, 21, NULL),
	    XU_OK);
	expect_class(s, CR_B58_LENGTH);
	assert_int_equal(
	    cr_base58check_encode(s, sizeof(s), v0, 1, payload, 0, NULL),
	    XU_OK);
	expect_class(s, CR_B58_LENGTH);

	/* Address round trip. */
	struct cr_account_id id, back;
	char addr[CR_ADDRESS_STRLEN];
	memset(id.b, 0, sizeof(id.b));
	cr_address_encode(addr, &id);
	assert_string_equal(addr, "rrrrrrrrrrrrrrrrrrrrrhoLvTp");
	memset(id.b, 0xFF, sizeof(id.b));
	cr_address_encode(addr, &id);
	assert_true(strlen(addr) < CR_ADDRESS_STRLEN);
	assert_int_equal(cr_address_decode(&back, addr, NULL), XU_OK);
	assert_memory_equal(&back, &id, sizeof(id));
}

/* Random strings over the alphabet and a few strangers: every one is an
 * answer (XU_OK or an error with a message), never a crash (ASan). */
static void test_crypto_base58_garbage(void **state)
{
	(void)state;
	static const char chars[] =
	    "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz0OIl ";
	uint32_t x = 12345;
	char in[120];
	uint8_t out[CR_BASE58_MAX_BYTES];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(iter % 110);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = chars[(x >> 16) % (sizeof(chars) - 1)];
		}
		in[len] = '\0';
		struct xu_err e;
		struct cr_account_id id;
		struct cr_seed seed;
		size_t n;
		enum xu_code rc = cr_address_decode(&id, in, &e);
		if (rc != XU_OK)
			assert_true(e.msg[0] != '\0');
		rc = cr_seed_parse(&seed, in, &e);
		if (rc != XU_OK)
			assert_true(e.msg[0] != '\0');
		rc = cr_base58_decode(out, sizeof(out), &n, in, NULL);
		assert_true(rc == XU_OK || n == 0);
	}
}

/* The decode memo (more addresses than it keeps, in turns): every
 * decode is the id encoded, and a one-character change of a memoized
 * address is still refused (its checksum). */
static void test_crypto_address_memo(void **state)
{
	struct cr_account_id ids[7], back;
	char addrs[7][CR_ADDRESS_STRLEN], bad[CR_ADDRESS_STRLEN];
	struct xu_err e;

	(void)state;
	for (int i = 0; i < 7; i++) {
		memset(ids[i].b, 0x11 * (i + 1), sizeof(ids[i].b));
		cr_address_encode(addrs[i], &ids[i]);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 7; i++) {
			int k = (i * 3 + round) % 7;

			assert_int_equal(
			    cr_address_decode(&back, addrs[k], NULL), XU_OK);
			assert_memory_equal(&back, &ids[k], sizeof(back));
			/* Again at once: from the memo. */
			assert_int_equal(
			    cr_address_decode(&back, addrs[k], NULL), XU_OK);
			assert_memory_equal(&back, &ids[k], sizeof(back));
		}
	memcpy(bad, addrs[6], sizeof(bad));
	bad[5] = bad[5] == 'a' ? 'b' : 'a';
	assert_int_not_equal(cr_address_decode(&back, bad, &e), XU_OK);
	assert_int_not_equal(cr_address_decode(&back, "", &e), XU_OK);
}

/* The reference: an address encoded without the memo. */
static void encode_ref(char out[CR_ADDRESS_STRLEN],
		       const struct cr_account_id *id)
{
	static const uint8_t version[1] = {0x00};

	assert_int_equal(cr_base58check_encode(out, CR_ADDRESS_STRLEN, version,
					       1, id->b, CR_ACCOUNT_ID_BYTES,
					       NULL),
			 XU_OK);
}

/* On a thread of its own, whose memo is empty: the zero account id is
 * not taken for an unused entry. */
static void *encode_zero_fresh(void *arg)
{
	char *out = arg;
	static const struct cr_account_id zero;

	cr_address_encode(out, &zero);
	return NULL;
}

/* The encode memo: more ids than it keeps, in turns, each encoded as
 * without the memo, again at once, and after a decode put its text
 * there; the zero id on a fresh thread. */
static void test_crypto_address_encode_memo(void **state)
{
	struct cr_account_id ids[7], back;
	char got[CR_ADDRESS_STRLEN], want[CR_ADDRESS_STRLEN];
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, encode_zero_fresh, got), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(got, "rrrrrrrrrrrrrrrrrrrrrhoLvTp");
	for (int i = 0; i < 7; i++)
		memset(ids[i].b, 0x21 * (i + 1), sizeof(ids[i].b));
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 7; i++) {
			int k = (i * 5 + round) % 7;

			encode_ref(want, &ids[k]);
			cr_address_encode(got, &ids[k]);
			assert_string_equal(got, want);
			cr_address_encode(got, &ids[k]);
			assert_string_equal(got, want);
			/* A decode's entry gives the same text back. */
			assert_int_equal(cr_address_decode(&back, want, NULL),
					 XU_OK);
			assert_memory_equal(&back, &ids[k], sizeof(back));
			cr_address_encode(got, &back);
			assert_string_equal(got, want);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_base58_roundtrip),
	    cmocka_unit_test(test_crypto_base58_limits),
	    cmocka_unit_test(test_crypto_base58_classes),
	    cmocka_unit_test(test_crypto_base58_garbage),
	    cmocka_unit_test(test_crypto_address_memo),
	    cmocka_unit_test(test_crypto_address_encode_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
