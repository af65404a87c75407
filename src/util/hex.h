/* Hexadecimal encoding.  Output is upper case (as XRPL tools write it);
 * input is accepted in either case.  No allocation. */
#ifndef XRPSE_UTIL_HEX_H
#define XRPSE_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

/* Writes 2*len upper-case hex digits and a NUL into out (capacity outcap,
 * which must be at least 2*len+1; a smaller one is a programmer error). */
void xu_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t len);

/* Decodes exactly strlen-of-`hex` (hexlen) digits into out (capacity outcap).
 * Returns XU_OK and sets *outlen, or XU_EPARSE for an odd length or a
 * non-hex digit, or XU_ETOOBIG when the result would not fit.  On failure
 * *outlen is 0. */
enum xu_code xu_hex_decode(uint8_t *out, size_t outcap, size_t *outlen,
			   const char *hex, size_t hexlen,
			   struct xu_err *err) XU_WARN_UNUSED;

/* Decodes a hex string that must give exactly `len` bytes. */
enum xu_code xu_hex_decode_exact(uint8_t *out, size_t len, const char *hex,
				 struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_UTIL_HEX_H */
