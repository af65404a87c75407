/* Signing and verification as rippled does it (see sign.h).
 *
 * The signing context is created once by cr_init(), randomized against
 * side channels; verification needs no precomputed tables beyond what
 * libsecp256k1 0.2 builds into secp256k1_context_static. */
#include "crypto/sign.h"

#include <secp256k1.h>
#include <sodium.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secp_ctx.h"

static secp256k1_context *sign_ctx;

/* The secp256k1 group order n, and n/2 rounded down (big-endian). */
static const uint8_t order_n[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
    0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
static const uint8_t half_n[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4,
    0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};
/* The ed25519 group order L = 2^252 + 27742317777372353535851937790883648493
 * (little-endian, as S is stored). */
static const uint8_t order_l_le[32] = {
    0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7,
    0xA2, 0xDE, 0xF9, 0xDE, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

enum xu_code cr_init(struct xu_err *err)
{
	uint8_t seed[32];

	if (sign_ctx)
		return XU_OK;
	if (sodium_init() < 0)
		return xu_fail(err, XU_EINTERNAL, 0, "libsodium init failed");
	/* Recommended before using secp256k1_context_static (aborts on a
	 * miscompiled library). */
	secp256k1_selftest();
	sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!sign_ctx)
		return xu_fail(err, XU_EINTERNAL, 0,
			       "secp256k1 context creation failed");
	randombytes_buf(seed, sizeof(seed));
	int ok = secp256k1_context_randomize(sign_ctx, seed);
	sodium_memzero(seed, sizeof(seed));
	if (!ok) {
		secp256k1_context_destroy(sign_ctx);
		sign_ctx = NULL;
		return xu_fail(err, XU_EINTERNAL, 0,
			       "secp256k1 context randomization failed");
	}
	return XU_OK;
}

const secp256k1_context *cr_secp_ctx(void)
{
	XU_ASSERT(sign_ctx != NULL); /* cr_init() not called */
	return sign_ctx;
}

enum xu_code cr_sign(uint8_t sig[CR_SIG_MAX_BYTES], size_t *siglen,
		     const struct cr_keypair *kp, const uint8_t *msg,
		     size_t len, struct xu_err *err)
{
	*siglen = 0;
	switch (kp->type) {
	case CR_KEY_SECP256K1: {
		const secp256k1_context *ctx = cr_secp_ctx();
		uint8_t digest[CR_SHA512HALF_BYTES];
		secp256k1_ecdsa_signature s;
		size_t n = CR_SIG_MAX_BYTES;

		cr_sha512half(digest, msg, len);
		/* NULL nonce function: RFC 6979, as rippled; low-S. */
		if (!secp256k1_ecdsa_sign(ctx, &s, digest, kp->secret, NULL,
					  NULL) ||
		    !secp256k1_ecdsa_signature_serialize_der(ctx, sig, &n, &s))
			return xu_fail(err, XU_EINTERNAL, 0,
				       "secp256k1: signing failed");
		*siglen = n;
		return XU_OK;
	}
	case CR_KEY_ED25519: {
		unsigned long long n = 0;

		if (crypto_sign_detached(sig, &n, msg, len, kp->secret) != 0)
			return xu_fail(err, XU_EINTERNAL, 0,
				       "ed25519: signing failed");
		*siglen = (size_t)n;
		return XU_OK;
	}
	}
	return xu_fail(err, XU_EINVAL, 0, "unknown key type %d", (int)kp->type);
}

/* Compares a big-endian integer p[0..len) (len <= 33, no sign byte
 * requirement) with a 32-byte big-endian constant: <0, 0, >0. */
static int cmp_be(const uint8_t *p, size_t len, const uint8_t k[32])
{
	while (len > 32) {
		if (*p)
			return 1;
		p++;
		len--;
	}
	for (size_t i = 0; i < 32; i++) {
		unsigned a = i < 32 - len ? 0 : p[i - (32 - len)];
		if (a != k[i])
			return a < k[i] ? -1 : 1;
	}
	return 0;
}

/* One DER INTEGER of a signature, rippled's sigPart(): tag 02, length
 * 1..33, not negative, no superfluous leading zero.  Advances *p and *left. */
static bool der_int(const uint8_t **p, size_t *left, const uint8_t **v,
		    size_t *vlen)
{
	const uint8_t *b = *p;

	if (*left < 2 || b[0] != 0x02)
		return false;
	size_t len = b[1];
	if (len < 1 || len > 33 || len > *left - 2)
		return false;
	b += 2;
	if (b[0] & 0x80)
		return false; /* negative */
	if (b[0] == 0 && (len == 1 || !(b[1] & 0x80)))
		return false; /* zero, or padded */
	*v = b;
	*vlen = len;
	*p = b + len;
	*left -= 2 + len;
	return true;
}

bool cr_secp256k1_sig_is_canonical(const uint8_t *sig, size_t siglen)
{
	const uint8_t *p, *r, *s;
	size_t left, rlen, slen;

	/* rippled ecdsaCanonicality(): strict DER... */
	if (siglen < 8 || siglen > 72)
		return false;
	if (sig[0] != 0x30 || sig[1] != siglen - 2)
		return false;
	p = sig + 2;
	left = siglen - 2;
	if (!der_int(&p, &left, &r, &rlen) || !der_int(&p, &left, &s, &slen) ||
	    left != 0)
		return false;
	if (cmp_be(r, rlen, order_n) >= 0 || cmp_be(s, slen, order_n) >= 0)
		return false;
	/* ...and fully canonical: S <= n - S, i.e. S <= floor(n/2). */
	return cmp_be(s, slen, half_n) <= 0;
}

static bool verify_secp(const uint8_t *pk, const uint8_t *msg, size_t len,
			const uint8_t *sig, size_t siglen)
{
	const secp256k1_context *ctx = secp256k1_context_static;
	uint8_t digest[CR_SHA512HALF_BYTES];
	secp256k1_ecdsa_signature s;
	secp256k1_pubkey key;

	if (!cr_secp256k1_sig_is_canonical(sig, siglen))
		return false;
	if (!secp256k1_ecdsa_signature_parse_der(ctx, &s, sig, siglen))
		return false;
	if (!secp256k1_ec_pubkey_parse(ctx, &key, pk, CR_PUBKEY_BYTES))
		return false;
	cr_sha512half(digest, msg, len);
	/* No normalize: a high-S signature must fail, as on ledger. */
	return secp256k1_ecdsa_verify(ctx, &s, digest, &key) == 1;
}

/* rippled ed25519Canonical(): S (little-endian, bytes 32..63) < L. */
static bool ed_s_below_l(const uint8_t sig[64])
{
	for (int i = 31; i >= 0; i--) {
		if (sig[32 + i] != order_l_le[i])
			return sig[32 + i] < order_l_le[i];
	}
	return false; /* S == L */
}

bool cr_verify(const uint8_t *pk, size_t pklen, const uint8_t *msg, size_t len,
	       const uint8_t *sig, size_t siglen)
{
	enum cr_key_type type;

	if (cr_pubkey_type(&type, pk, pklen, NULL) != XU_OK)
		return false;
	switch (type) {
	case CR_KEY_SECP256K1:
		return verify_secp(pk, msg, len, sig, siglen);
	case CR_KEY_ED25519:
		if (siglen != crypto_sign_BYTES || !ed_s_below_l(sig))
			return false;
		return crypto_sign_verify_detached(sig, msg, len, pk + 1) == 0;
	}
	return false;
}
