/* Base58 with the XRPL alphabet and base58check (see base58.h).
 *
 * Encoding treats the input as one big-endian integer written in base 58,
 * with one leading 'r' (digit 0) per leading zero byte; decoding is the
 * inverse.  Both run over fixed work buffers that are wiped afterwards,
 * because seeds pass through here. */
#include "crypto/base58.h"

#include <sodium.h>
#include <string.h>

#include "crypto/hash.h"

static const char alphabet[] =
    "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

#define CHECKSUM_BYTES 4

/* The digit value of c, or -1. */
static int digit_of(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

enum xu_code cr_base58_encode(char *out, size_t cap, const uint8_t *in,
			      size_t len, struct xu_err *err)
{
	/* Little-endian base-58 digits; 1.37 digits per byte at most. */
	uint8_t dig[CR_BASE58_MAX_BYTES * 138 / 100 + 1];
	size_t ndig = 0, zeros = 0;
	enum xu_code rc = XU_OK;

	if (cap)
		out[0] = '\0';
	if (len > CR_BASE58_MAX_BYTES)
		return xu_fail(err, XU_ETOOBIG, 0,
			       "base58: input too long (%zu bytes)", len);
	while (zeros < len && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < len; i++) {
		unsigned carry = in[i];
		for (size_t j = 0; j < ndig; j++) {
			carry += (unsigned)dig[j] << 8;
			dig[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			XU_ASSERT(ndig < sizeof(dig));
			dig[ndig++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	if (zeros + ndig + 1 > cap) {
		rc = xu_fail(err, XU_ETOOBIG, 0,
			     "base58: output needs %zu characters",
			     zeros + ndig + 1);
		goto out;
	}
	for (size_t i = 0; i < zeros; i++)
		out[i] = alphabet[0];
	for (size_t i = 0; i < ndig; i++)
		out[zeros + i] = alphabet[dig[ndig - 1 - i]];
	out[zeros + ndig] = '\0';
out:
	sodium_memzero(dig, sizeof(dig));
	return rc;
}

enum xu_code cr_base58_decode(uint8_t *out, size_t cap, size_t *outlen,
			      const char *in, struct xu_err *err)
{
	/* Little-endian base-256 bytes. */
	uint8_t w[CR_BASE58_MAX_BYTES];
	size_t n = 0, zeros = 0, slen = strlen(in);
	enum xu_code rc = XU_OK;

	*outlen = 0;
	/* The alphabet first, whatever the length. */
	for (size_t i = 0; i < slen; i++)
		if (digit_of(in[i]) < 0)
			return xu_fail(err, XU_EPARSE, CR_B58_BAD_CHAR,
				       "base58: invalid character at "
				       "position %zu",
				       i + 1);
	while (zeros < slen && in[zeros] == alphabet[0])
		zeros++;
	for (size_t i = zeros; i < slen; i++) {
		unsigned carry = (unsigned)digit_of(in[i]);
		for (size_t j = 0; j < n; j++) {
			carry += (unsigned)w[j] * 58;
			w[j] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
		while (carry) {
			if (n >= sizeof(w)) {
				rc = xu_fail(err, XU_ETOOBIG, 0,
					     "base58: input too long");
				goto out;
			}
			w[n++] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
	}
	if (zeros + n > cap || zeros + n > CR_BASE58_MAX_BYTES) {
		rc = xu_fail(
		    err, XU_ETOOBIG, 0,
		    "base58: decodes to %zu bytes, at most %zu", zeros + n,
		    cap < CR_BASE58_MAX_BYTES ? cap : CR_BASE58_MAX_BYTES);
		goto out;
	}
	memset(out, 0, zeros);
	for (size_t i = 0; i < n; i++)
		out[zeros + i] = w[n - 1 - i];
	*outlen = zeros + n;
out:
	sodium_memzero(w, sizeof(w));
	return rc;
}

/* First 4 bytes of SHA256(SHA256(in)). */
static void checksum(uint8_t out[CHECKSUM_BYTES], const uint8_t *in, size_t len)
{
	uint8_t h[CR_SHA256_BYTES];

	cr_sha256(h, in, len);
	cr_sha256(h, h, sizeof(h));
	memcpy(out, h, CHECKSUM_BYTES);
	sodium_memzero(h, sizeof(h));
}

enum xu_code cr_base58check_encode(char *out, size_t cap,
				   const uint8_t *version, size_t vlen,
				   const uint8_t *payload, size_t plen,
				   struct xu_err *err)
{
	uint8_t buf[CR_BASE58_MAX_BYTES];
	enum xu_code rc;

	if (vlen + plen + CHECKSUM_BYTES > sizeof(buf)) {
		if (cap)
			out[0] = '\0';
		return xu_fail(err, XU_ETOOBIG, 0,
			       "base58check: payload too long (%zu bytes)",
			       plen);
	}
	memcpy(buf, version, vlen);
	if (plen)
		memcpy(buf + vlen, payload, plen);
	checksum(buf + vlen + plen, buf, vlen + plen);
	rc = cr_base58_encode(out, cap, buf, vlen + plen + CHECKSUM_BYTES, err);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

enum xu_code cr_base58check_decode_any(uint8_t *full, size_t cap,
				       size_t *fulllen, const char *in,
				       struct xu_err *err)
{
	uint8_t buf[CR_BASE58_MAX_BYTES];
	uint8_t sum[CHECKSUM_BYTES];
	size_t n;
	enum xu_code rc;

	*fulllen = 0;
	rc = cr_base58_decode(buf, sizeof(buf), &n, in, err);
	if (rc != XU_OK)
		goto out;
	if (n < CHECKSUM_BYTES + 1) {
		rc = xu_fail(err, XU_EPARSE, CR_B58_TOO_SHORT,
			     "base58check: too short (%zu bytes decoded, "
			     "need at least 5)",
			     n);
		goto out;
	}
	checksum(sum, buf, n - CHECKSUM_BYTES);
	if (memcmp(sum, buf + n - CHECKSUM_BYTES, CHECKSUM_BYTES)) {
		rc = xu_fail(err, XU_EPARSE, CR_B58_CHECKSUM,
			     "base58check: checksum mismatch (a typo?)");
		goto out;
	}
	if (n - CHECKSUM_BYTES > cap) {
		rc = xu_fail(err, XU_ETOOBIG, 0,
			     "base58check: %zu bytes do not fit in %zu",
			     n - CHECKSUM_BYTES, cap);
		goto out;
	}
	memcpy(full, buf, n - CHECKSUM_BYTES);
	*fulllen = n - CHECKSUM_BYTES;
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

enum xu_code cr_base58check_decode(uint8_t *payload, size_t plen,
				   const uint8_t *version, size_t vlen,
				   const char *in, struct xu_err *err)
{
	uint8_t full[CR_BASE58_MAX_BYTES];
	size_t n;
	enum xu_code rc;

	memset(payload, 0, plen);
	rc = cr_base58check_decode_any(full, sizeof(full), &n, in, err);
	if (rc != XU_OK)
		goto out;
	if (n < vlen || memcmp(full, version, vlen)) {
		rc = xu_fail(err, XU_EPARSE, CR_B58_VERSION,
			     "base58check: wrong version (a different kind "
			     "of key or address)");
		goto out;
	}
	if (n - vlen != plen) {
		rc = xu_fail(err, XU_EPARSE, CR_B58_LENGTH,
			     "base58check: payload is %zu bytes, expected %zu",
			     n - vlen, plen);
		goto out;
	}
	memcpy(payload, full + vlen, plen);
out:
	sodium_memzero(full, sizeof(full));
	return rc;
}

static const uint8_t address_version[1] = {0x00};

/* The last addresses encoded or decoded, per thread: a daemon reads and
 * writes the same two or three (ours, its peers') in every channel record
 * and ledger view, and each conversion is a base-58 conversion and two
 * SHA-256.  Addresses are public; only valid ones are kept, so an entry's
 * text is exactly what encoding its id gives and the other way round.  An
 * entry not yet used has an empty text, which no lookup matches. */
#define ADDR_MEMO 4
static _Thread_local struct {
	char text[CR_ADDRESS_STRLEN];
	struct cr_account_id id;
} addr_memo[ADDR_MEMO];
static _Thread_local unsigned addr_memo_next;

/* Keeps text (its length len, 0 < len < CR_ADDRESS_STRLEN) and id. */
static void addr_memo_put(const char *text, size_t len,
			  const struct cr_account_id *id)
{
	unsigned i = addr_memo_next++ % ADDR_MEMO;

	memcpy(addr_memo[i].text, text, len + 1);
	addr_memo[i].id = *id;
}

void cr_address_encode(char out[CR_ADDRESS_STRLEN],
		       const struct cr_account_id *id)
{
	enum xu_code rc;

	for (unsigned i = 0; i < ADDR_MEMO; i++)
		if (addr_memo[i].text[0] &&
		    !memcmp(addr_memo[i].id.b, id->b, CR_ACCOUNT_ID_BYTES)) {
			memcpy(out, addr_memo[i].text, CR_ADDRESS_STRLEN);
			return;
		}
	rc = cr_base58check_encode(out, CR_ADDRESS_STRLEN, address_version, 1,
				   id->b, CR_ACCOUNT_ID_BYTES, NULL);
	/* 25 bytes always fit in 35 characters. */
	XU_ASSERT(rc == XU_OK);
	addr_memo_put(out, strlen(out), id);
}

enum xu_code cr_address_decode(struct cr_account_id *id, const char *addr,
			       struct xu_err *err)
{
	enum xu_code rc;
	size_t len = addr ? strnlen(addr, CR_ADDRESS_STRLEN) : 0;

	if (len > 0 && len < CR_ADDRESS_STRLEN)
		for (unsigned i = 0; i < ADDR_MEMO; i++)
			if (!strcmp(addr_memo[i].text, addr)) {
				*id = addr_memo[i].id;
				return XU_OK;
			}
	rc = cr_base58check_decode(id->b, CR_ACCOUNT_ID_BYTES, address_version,
				   1, addr, err);
	if (rc == XU_OK && len > 0 && len < CR_ADDRESS_STRLEN)
		addr_memo_put(addr, len, id);
	return rc;
}
