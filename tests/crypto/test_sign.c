/* Unit tests of crypto/sign.c: rippled's strict-DER and low-S rules one
 * by one on hand-built signatures, the ed25519 S < L rule, the high-S twin
 * of a valid signature (must fail: no normalization), deterministic
 * signing, and sign/verify round trips with tampering for both key
 * types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/keys.h"
/* Included for the static ed_s_below_l(): libsodium enforces S < L as
 * well, so only a direct test shows that our own check works. */
#include "crypto/sign.c"

static const uint8_t N[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
			      0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B,
			      0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

static int setup(void **state)
{
	(void)state;
	if (cr_init(NULL) != XU_OK)
		return -1;
	return cr_init(NULL) == XU_OK ? 0 : -1; /* idempotent */
}

/* Builds 30 L 02 rl r 02 sl s. */
static size_t der_sig(uint8_t *out, const uint8_t *r, size_t rl,
		      const uint8_t *s, size_t sl)
{
	size_t n = 0;

	out[n++] = 0x30;
	out[n++] = (uint8_t)(4 + rl + sl);
	out[n++] = 0x02;
	out[n++] = (uint8_t)rl;
	memcpy(out + n, r, rl);
	n += rl;
	out[n++] = 0x02;
	out[n++] = (uint8_t)sl;
	memcpy(out + n, s, sl);
	n += sl;
	return n;
}

/* a = b - c over 32-byte big-endian numbers (b >= c). */
static void sub32(uint8_t a[32], const uint8_t b[32], const uint8_t c[32])
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = b[i] - c[i] - borrow;
		borrow = d < 0;
		a[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

/* Minimal DER integer encoding of a 32-byte big-endian value. */
static size_t enc_int(uint8_t *out, const uint8_t v[32])
{
	size_t i = 0, n = 0;

	while (i < 31 && v[i] == 0 && !(v[i + 1] & 0x80))
		i++;
	if (v[i] & 0x80)
		out[n++] = 0;
	memcpy(out + n, v + i, 32 - i);
	return n + 32 - i;
}

static void test_crypto_sign_der_rules(void **state)
{
	(void)state;
	uint8_t r[33], s[33], sig[80], halfn[32], v[32], tmp[33];
	size_t n;
	static const uint8_t one[32] = {[31] = 1};

	memset(r, 0x11, sizeof(r));
	memset(s, 0x22, sizeof(s));
	n = der_sig(sig, r, 32, s, 32);
	assert_true(cr_secp256k1_sig_is_canonical(sig, n));
	/* Short integers are fine. */
	n = der_sig(sig, r, 1, s, 1);
	assert_int_equal(n, 8);
	assert_true(cr_secp256k1_sig_is_canonical(sig, n));

	/* Envelope. */
	n = der_sig(sig, r, 32, s, 32);
	sig[0] = 0x31;
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, s, 32);
	sig[1]++;
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, s, 32);
	sig[n] = 0; /* trailing byte, with and without a fixed length */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n + 1));
	sig[1]++;
	assert_false(cr_secp256k1_sig_is_canonical(sig, n + 1));
	assert_false(cr_secp256k1_sig_is_canonical(sig, 7));
	assert_false(cr_secp256k1_sig_is_canonical(sig, 0));
	assert_false(cr_secp256k1_sig_is_canonical(sig, 73));

	/* Integer tags and lengths. */
	n = der_sig(sig, r, 32, s, 32);
	sig[2] = 0x03;
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, s, 32);
	sig[3] = 0; /* R length 0 */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, s, 32);
	sig[3] = 40; /* R runs past the end */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, s, 32);
	sig[3] = 31; /* R/S boundary off by one */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));

	/* Negative, zero, padded. */
	r[0] = 0x80;
	n = der_sig(sig, r, 32, s, 32);
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	tmp[0] = 0x00;
	memcpy(tmp + 1, r, 32);
	n = der_sig(sig, tmp, 33, s, 32); /* 00 80.. is the right padding */
	assert_true(cr_secp256k1_sig_is_canonical(sig, n));
	r[0] = 0x11;
	tmp[0] = 0x00;
	memcpy(tmp + 1, r, 32);
	n = der_sig(sig, tmp, 33, s, 32); /* 00 11.. is superfluous */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, tmp, 1, s, 32); /* R = 0 */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, tmp, 1); /* S = 0 */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	uint8_t big[34] = {0x01};
	n = der_sig(sig, big, 34, s, 32); /* 34-byte integer */
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));

	/* R < n: n itself fails, n - 1 passes. */
	n = der_sig(sig, tmp, enc_int(tmp, N), s, 32);
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	sub32(v, N, one);
	n = der_sig(sig, tmp, enc_int(tmp, v), s, 32);
	assert_true(cr_secp256k1_sig_is_canonical(sig, n));

	/* Fully canonical: S <= n/2 passes, n/2 + 1 fails, so do n-1 and
	 * n. */
	memcpy(halfn, N, 32);
	for (int i = 31; i >= 0; i--) /* halfn = N >> 1 */
		halfn[i] =
		    (uint8_t)((N[i] >> 1) | (i ? (N[i - 1] & 1) << 7 : 0));
	n = der_sig(sig, r, 32, tmp, enc_int(tmp, halfn));
	assert_true(cr_secp256k1_sig_is_canonical(sig, n));
	uint8_t h1[32];
	sub32(h1, N, halfn); /* n - floor(n/2) = floor(n/2) + 1 */
	n = der_sig(sig, r, 32, tmp, enc_int(tmp, h1));
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	sub32(v, N, one);
	n = der_sig(sig, r, 32, tmp, enc_int(tmp, v));
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
	n = der_sig(sig, r, 32, tmp, enc_int(tmp, N));
	assert_false(cr_secp256k1_sig_is_canonical(sig, n));
}

static void keypair(struct cr_keypair *kp, const char *seed)
{
	assert_int_equal(cr_keypair_from_seed_text(kp, seed, 0, NULL), XU_OK);
}

/* Splits a DER signature into 32-byte r and s. */
static void split(const uint8_t *sig, uint8_t r[32], uint8_t s[32])
{
	const uint8_t *p = sig + 2;
	uint8_t *o[2] = {r, s};

	for (int k = 0; k < 2; k++) {
		size_t l = p[1];
		const uint8_t *b = p + 2;
		if (l == 33) {
			b++;
			l--;
		}
		memset(o[k], 0, 32);
		memcpy(o[k] + 32 - l, b, l);
		p += 2 + p[1];
	}
}

static void test_crypto_sign_high_s_twin(void **state)
{
	(void)state;
	struct cr_keypair kp;
	uint8_t sig[CR_SIG_MAX_BYTES], twin[80], r[32], s[32], hs[32];
	uint8_t ri[33], si[33];
	size_t n, rl, sl;
	const uint8_t msg[] = "high-S twin";

	keypair(&kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb");
	assert_int_equal(cr_sign(sig, &n, &kp, msg, sizeof(msg), NULL), XU_OK);
	assert_true(cr_verify(kp.pub.b, 33, msg, sizeof(msg), sig, n));
	split(sig, r, s);
	sub32(hs, N, s);
	rl = enc_int(ri, r);
	sl = enc_int(si, hs);
	n = der_sig(twin, ri, rl, si, sl);
	assert_false(cr_secp256k1_sig_is_canonical(twin, n));
	assert_false(cr_verify(kp.pub.b, 33, msg, sizeof(msg), twin, n));
	cr_keypair_clear(&kp);
}

static void test_crypto_sign_ed25519_s_bound(void **state)
{
	(void)state;
	struct cr_keypair kp;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t n;
	const uint8_t msg[] = "ed25519 S < L";
	static const uint8_t L[32] = {
	    0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7,
	    0xA2, 0xDE, 0xF9, 0xDE, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

	keypair(&kp, "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r");
	assert_int_equal(cr_sign(sig, &n, &kp, msg, sizeof(msg), NULL), XU_OK);
	assert_int_equal(n, 64);
	assert_true(cr_verify(kp.pub.b, 33, msg, sizeof(msg), sig, n));
	/* S + L (little-endian add): same point, non-canonical. */
	uint8_t t[64];
	memcpy(t, sig, 64);
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		carry += (unsigned)t[32 + i] + L[i];
		t[32 + i] = (uint8_t)carry;
		carry >>= 8;
	}
	assert_false(cr_verify(kp.pub.b, 33, msg, sizeof(msg), t, 64));
	/* S = L exactly. */
	memcpy(t + 32, L, 32);
	assert_false(cr_verify(kp.pub.b, 33, msg, sizeof(msg), t, 64));
	/* Wrong lengths. */
	assert_false(cr_verify(kp.pub.b, 33, msg, sizeof(msg), sig, 63));
	assert_false(cr_verify(kp.pub.b, 33, msg, sizeof(msg), sig, 0));
	assert_false(cr_verify(kp.pub.b, 32, msg, sizeof(msg), sig, 64));
	cr_keypair_clear(&kp);
}

static void test_crypto_sign_ed25519_s_check(void **state)
{
	(void)state;
	uint8_t sig[64];

	memset(sig, 0, sizeof(sig));
	assert_true(ed_s_below_l(sig)); /* S = 0 */
	memcpy(sig + 32, order_l_le, 32);
	assert_false(ed_s_below_l(sig)); /* S = L */
	sig[32]--;
	assert_true(ed_s_below_l(sig)); /* S = L - 1 */
	sig[32] += 2;
	assert_false(ed_s_below_l(sig)); /* S = L + 1 */
	memcpy(sig + 32, order_l_le, 32);
	sig[63] = 0x0F;
	sig[47] = 0xFF;
	assert_true(ed_s_below_l(sig)); /* top byte below L's */
	memset(sig + 32, 0xFF, 32);
	assert_false(ed_s_below_l(sig));
}

static void test_crypto_sign_roundtrip(void **state)
{
	(void)state;
	const char *seeds[] = {
	    "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r",
	    "ssKXNR2Qax1jsNWb5A1eNJ42uWb2N", "sEd7Eg3yEopsmPGCABGK9RmyxmFDnNp"};
	struct cr_keypair kp[4];
	uint8_t msg[200], sig[CR_SIG_MAX_BYTES], sig2[CR_SIG_MAX_BYTES];
	size_t n, n2;

	for (int k = 0; k < 4; k++)
		keypair(&kp[k], seeds[k]);
	for (size_t len = 0; len < sizeof(msg); len += 9) {
		randombytes_buf(msg, len);
		for (int k = 0; k < 4; k++) {
			assert_int_equal(
			    cr_sign(sig, &n, &kp[k], msg, len, NULL), XU_OK);
			if (kp[k].type == CR_KEY_SECP256K1) {
				assert_true(n >= 8 && n <= 72);
				assert_true(
				    cr_secp256k1_sig_is_canonical(sig, n));
			} else {
				assert_int_equal(n, 64);
			}
			/* Deterministic. */
			assert_int_equal(
			    cr_sign(sig2, &n2, &kp[k], msg, len, NULL), XU_OK);
			assert_int_equal(n, n2);
			assert_memory_equal(sig, sig2, n);
			assert_true(
			    cr_verify(kp[k].pub.b, 33, msg, len, sig, n));
			/* Another key of either type refuses it. */
			int o = (k + 1) % 4;
			assert_false(
			    cr_verify(kp[o].pub.b, 33, msg, len, sig, n));
			o = (k + 2) % 4;
			assert_false(
			    cr_verify(kp[o].pub.b, 33, msg, len, sig, n));
			/* Tampering. */
			if (len) {
				msg[len / 2] ^= 1;
				assert_false(cr_verify(kp[k].pub.b, 33, msg,
						       len, sig, n));
				msg[len / 2] ^= 1;
			}
			sig[n - 1] ^= 0x01;
			assert_false(
			    cr_verify(kp[k].pub.b, 33, msg, len, sig, n));
			sig[n - 1] ^= 0x01;
			assert_false(
			    cr_verify(kp[k].pub.b, 33, msg, len, sig, n - 1));
		}
	}
	/* Uncompressed form of a valid key: refused before parsing. */
	uint8_t unc[65] = {0x04};
	memcpy(unc + 1, kp[0].pub.b + 1, 32);
	assert_int_equal(cr_sign(sig, &n, &kp[0], msg, 10, NULL), XU_OK);
	assert_false(cr_verify(unc, 65, msg, 10, sig, n));
	for (int k = 0; k < 4; k++)
		cr_keypair_clear(&kp[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_sign_der_rules),
	    cmocka_unit_test(test_crypto_sign_high_s_twin),
	    cmocka_unit_test(test_crypto_sign_ed25519_s_bound),
	    cmocka_unit_test(test_crypto_sign_ed25519_s_check),
	    cmocka_unit_test(test_crypto_sign_roundtrip),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
