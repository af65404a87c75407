/* Signing and verification exactly as rippled does it.
 *
 * secp256k1: ECDSA over SHA-512Half(message) with the RFC 6979 nonce, low-S,
 * strict DER (70-72 bytes typically, at most 72).  Verification rejects
 * high-S, non-minimal DER, trailing bytes and any key not 33 bytes 02/03.
 * ed25519: over the whole message, 64 bytes; S must be below L.
 * Pure; the secp256k1 context is created once (randomized) and reused. */
#ifndef XRPSE_CRYPTO_SIGN_H
#define XRPSE_CRYPTO_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "src/util/err.h"

#define CR_SIG_MAX_BYTES 72

/* Must be called before any other function of crypto/ (it initializes
 * libsodium and creates the secp256k1 signing context, randomized with
 * randombytes_buf).  Call it from the main thread before starting others;
 * later calls return XU_OK at once.  Returns XU_OK, or XU_EINTERNAL. */
enum xu_code cr_init(struct xu_err *err) XU_WARN_UNUSED;

/* Signs msg[0..len) with kp.  sig has room for CR_SIG_MAX_BYTES; *siglen
 * gets the length.  Returns XU_OK or XU_EINTERNAL. */
enum xu_code cr_sign(uint8_t sig[CR_SIG_MAX_BYTES], size_t *siglen,
		     const struct cr_keypair *kp, const uint8_t *msg,
		     size_t len, struct xu_err *err) XU_WARN_UNUSED;

/* Verifies a signature over msg with a 33-byte public key (pk, pklen).
 * Returns true only when every rippled rule holds. */
bool cr_verify(const uint8_t *pk, size_t pklen, const uint8_t *msg, size_t len,
	       const uint8_t *sig, size_t siglen) XU_WARN_UNUSED;

/* rippled's strict-DER and fully-canonical (low-S) check of a secp256k1
 * signature, on its own. */
bool cr_secp256k1_sig_is_canonical(const uint8_t *sig,
				   size_t siglen) XU_WARN_UNUSED;

#endif /* XRPSE_CRYPTO_SIGN_H */
