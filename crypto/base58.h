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

/* Why a base58check decode failed, in err->detail (with code XU_EPARSE;
 * XU_ETOOBIG for inputs longer than this module handles). */
enum cr_b58_fail {
	CR_B58_BAD_CHAR = 1, /* a character outside the alphabet */
	CR_B58_TOO_SHORT,    /* decoded to fewer than 5 bytes */
	CR_B58_CHECKSUM,     /* the 4-byte checksum does not match */
	CR_B58_VERSION,	     /* wrong version bytes */
	CR_B58_LENGTH,	     /* right version, wrong payload length */
};

struct cr_account_id {
	uint8_t b[CR_ACCOUNT_ID_BYTES];
};

/* Longest byte string (version || payload || checksum) handled. */
#define CR_BASE58_MAX_BYTES 90

/* Raw base58 (no checksum) of in[0..len) into out (capacity cap, NUL
 * terminated).  Returns XU_OK or XU_ETOOBIG when out is too small or len
 * exceeds CR_BASE58_MAX_BYTES. */
enum xu_code cr_base58_encode(char *out, size_t cap, const uint8_t *in,
			      size_t len, struct xu_err *err) XU_WARN_UNUSED;
/* Raw base58 decode of a NUL-terminated string into out (capacity cap);
 * *outlen gets the length.  XU_EPARSE (detail CR_B58_BAD_CHAR) for a
 * character outside the alphabet, XU_ETOOBIG when out is too small or the
 * result longer than CR_BASE58_MAX_BYTES. */
enum xu_code cr_base58_decode(uint8_t *out, size_t cap, size_t *outlen,
			      const char *in,
			      struct xu_err *err) XU_WARN_UNUSED;

/* base58check: version bytes || payload || 4-byte double-SHA256 checksum. */
enum xu_code cr_base58check_encode(char *out, size_t cap,
				   const uint8_t *version, size_t vlen,
				   const uint8_t *payload, size_t plen,
				   struct xu_err *err) XU_WARN_UNUSED;
/* Decodes and checks, in rippled's order: alphabet, length >= 5, checksum,
 * version bytes, payload length == plen.  Writes plen bytes to payload.
 * Returns XU_OK, or XU_EPARSE with err->detail an enum cr_b58_fail (the
 * payload is then zeroed), or XU_ETOOBIG for an absurdly long input.
 * Messages never quote the input (it may be a seed). */
enum xu_code cr_base58check_decode(uint8_t *payload, size_t plen,
				   const uint8_t *version, size_t vlen,
				   const char *in,
				   struct xu_err *err) XU_WARN_UNUSED;

/* Classic address <-> AccountID.  Decode returns XU_OK or the errors of
 * cr_base58check_decode. */
void cr_address_encode(char out[CR_ADDRESS_STRLEN],
		       const struct cr_account_id *id);
enum xu_code cr_address_decode(struct cr_account_id *id, const char *addr,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Decodes base58check into full = version || payload (checksum checked and
 * stripped), *fulllen its length; the caller checks version and length.
 * Same errors as cr_base58check_decode (never CR_B58_VERSION/LENGTH). */
enum xu_code cr_base58check_decode_any(uint8_t *full, size_t cap,
				       size_t *fulllen, const char *in,
				       struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_CRYPTO_BASE58_H */
