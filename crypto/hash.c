/* SHA-256 and SHA-512Half on libsodium (see hash.h). */
#include "crypto/hash.h"

#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(struct cr_sha512half_ctx) >=
		   sizeof(crypto_hash_sha512_state),
	       "cr_sha512half_ctx too small for libsodium's state");

void cr_sha256(uint8_t out[CR_SHA256_BYTES], const uint8_t *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}

void cr_sha512half(uint8_t out[CR_SHA512HALF_BYTES], const uint8_t *in,
		   size_t len)
{
	uint8_t full[crypto_hash_sha512_BYTES];

	crypto_hash_sha512(full, in, len);
	memcpy(out, full, CR_SHA512HALF_BYTES);
	sodium_memzero(full, sizeof(full));
}

void cr_sha512half_init(struct cr_sha512half_ctx *ctx)
{
	crypto_hash_sha512_init((crypto_hash_sha512_state *)(void *)ctx);
}

void cr_sha512half_update(struct cr_sha512half_ctx *ctx, const uint8_t *in,
			  size_t len)
{
	crypto_hash_sha512_update((crypto_hash_sha512_state *)(void *)ctx, in,
				  len);
}

void cr_sha512half_final(struct cr_sha512half_ctx *ctx,
			 uint8_t out[CR_SHA512HALF_BYTES])
{
	uint8_t full[crypto_hash_sha512_BYTES];

	crypto_hash_sha512_final((crypto_hash_sha512_state *)(void *)ctx, full);
	memcpy(out, full, CR_SHA512HALF_BYTES);
	sodium_memzero(full, sizeof(full));
	sodium_memzero(ctx, sizeof(*ctx));
}
