/* The XRPL's hashes: SHA-256, SHA-512Half (the first 32 bytes of SHA-512,
 * which rippled uses for ledger keys, signing digests and ids), RIPEMD-160
 * (our own implementation: libsodium has none) and the AccountID hash
 * RIPEMD160(SHA256(public key)).  Pure; no allocation. */
#ifndef XRPSE_CRYPTO_HASH_H
#define XRPSE_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CR_SHA256_BYTES 32
#define CR_SHA512HALF_BYTES 32
#define CR_RIPEMD160_BYTES 20

/* Incremental SHA-512Half, for hashing a prefix and a body without
 * copying them together. */
struct cr_sha512half_ctx {
	uint64_t opaque[32]; /* big enough for libsodium's sha512 state */
};

void cr_sha256(uint8_t out[CR_SHA256_BYTES], const uint8_t *in, size_t len);
void cr_sha512half(uint8_t out[CR_SHA512HALF_BYTES], const uint8_t *in,
		   size_t len);
void cr_sha512half_init(struct cr_sha512half_ctx *ctx);
void cr_sha512half_update(struct cr_sha512half_ctx *ctx, const uint8_t *in,
			  size_t len);
/* Writes the digest and wipes the context. */
void cr_sha512half_final(struct cr_sha512half_ctx *ctx,
			 uint8_t out[CR_SHA512HALF_BYTES]);
void cr_ripemd160(uint8_t out[CR_RIPEMD160_BYTES], const uint8_t *in,
		  size_t len);

#endif /* XRPSE_CRYPTO_HASH_H */
