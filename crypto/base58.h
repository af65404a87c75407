/* Base58 and base58check with the XRPL alphabet
 * (rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz), and the
 * typed encodings built on it: classic addresses (version 0x00, 20 bytes),
 * family seeds (0x21, 16 bytes, "s..."), ed25519 seeds in the xrpl.js form
 * (01 E1 4B, 16 bytes, "sEd...") and account public keys (0x23, 33 bytes).
 * Every malformed input is an error code with a message, never a crash.
 * Pure; no allocation. */
#ifndef XRPSE_CRYPTO_BASE58_H
#define XRPSE_CRYPTO_BASE58_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

#define CR_ACCOUNT_ID_BYTES 20
#define CR_SEED_BYTES 16
/* Longest classic address (with NUL): 35 characters at most. */
#define CR_ADDRESS_STRLEN 36
/* Longest base58check string this module produces, with NUL. */
#define CR_BASE58_MAX_STRLEN 128

struct cr_account_id {
	uint8_t b[CR_ACCOUNT_ID_BYTES];
};

/* Raw base58 (no checksum) of in[0..len) into out (capacity cap, NUL
 * terminated).  Returns XU_OK or XU_ETOOBIG when out is too small. */
enum xu_code cr_base58_encode(char *out, size_t cap, const uint8_t *in,
			      size_t len, struct xu_err *err) XU_WARN_UNUSED;
/* Raw base58 decode of a NUL-terminated string into out (capacity cap);
 * *outlen gets the length.  XU_EPARSE for a character outside the
 * alphabet, XU_ETOOBIG when out is too small. */
enum xu_code cr_base58_decode(uint8_t *out, size_t cap, size_t *outlen,
			      const char *in, struct xu_err *err) XU_WARN_UNUSED;

/* base58check: version bytes || payload || 4-byte double-SHA256 checksum. */
enum xu_code cr_base58check_encode(char *out, size_t cap,
				   const uint8_t *version, size_t vlen,
				   const uint8_t *payload, size_t plen,
				   struct xu_err *err) XU_WARN_UNUSED;
/* Decodes and checks, in rippled's order: alphabet, length >= 5, checksum,
 * version bytes, payload length == plen.  Writes plen bytes to payload. */
enum xu_code cr_base58check_decode(uint8_t *payload, size_t plen,
				   const uint8_t *version, size_t vlen,
				   const char *in,
				   struct xu_err *err) XU_WARN_UNUSED;

/* Classic address <-> AccountID. */
void cr_address_encode(char out[CR_ADDRESS_STRLEN],
		       const struct cr_account_id *id);
enum xu_code cr_address_decode(struct cr_account_id *id, const char *addr,
			       struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_CRYPTO_BASE58_H */
