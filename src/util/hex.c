/* Hexadecimal encoding and strict decoding (see hex.h). */
#include "src/util/hex.h"

#include <string.h>

static const char xu_hexdig[] = "0123456789ABCDEF";

void xu_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t len)
{
	XU_ASSERT(outcap >= 2 * len + 1);
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = xu_hexdig[in[i] >> 4];
		out[2 * i + 1] = xu_hexdig[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum xu_code xu_hex_decode(uint8_t *out, size_t outcap, size_t *outlen,
			   const char *hex, size_t hexlen, struct xu_err *err)
{
	*outlen = 0;
	if (hexlen % 2)
		return xu_fail(err, XU_EPARSE, 0,
			       "hex string has an odd length (%zu)", hexlen);
	if (hexlen / 2 > outcap)
		return xu_fail(err, XU_ETOOBIG, 0,
			       "hex string too long (%zu bytes, at most %zu)",
			       hexlen / 2, outcap);
	for (size_t i = 0; i < hexlen; i += 2) {
		int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return xu_fail(err, XU_EPARSE, 0,
				       "invalid hex digit at offset %zu",
				       hi < 0 ? i : i + 1);
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = hexlen / 2;
	return XU_OK;
}

enum xu_code xu_hex_decode_exact(uint8_t *out, size_t len, const char *hex,
				 struct xu_err *err)
{
	size_t got;
	size_t hl = strlen(hex);

	if (hl != 2 * len)
		return xu_fail(err, XU_EPARSE, 0,
			       "expected %zu hex digits, got %zu", 2 * len, hl);
	return xu_hex_decode(out, len, &got, hex, hl, err);
}
