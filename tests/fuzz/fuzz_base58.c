/* libFuzzer target for base58 / base58check and the typed encodings built
 * on them (crypto/base58.h, crypto/keys.h): classic addresses, family and
 * ed25519 seeds, account public keys.  These come from configuration, the
 * CLI, peer messages and rippled answers.
 *
 * The input up to its first NUL is a string.  For it:
 *   - raw decode either fails (XU_EPARSE/CR_B58_BAD_CHAR exactly when a
 *     character is outside the alphabet, else XU_ETOOBIG) or re-encodes to
 *     the very same string (the encoding is a bijection);
 *   - base58check decode either fails with a consistent code and detail,
 *     or re-encodes (version byte || rest) to the same string;
 *   - an accepted address or seed encodes back to the same text; a seed
 *     derives a key pair; a refused typed decode leaves a zeroed payload.
 * The input bytes themselves (at most CR_BASE58_MAX_BYTES) must survive
 * raw and checked encode -> decode unchanged.
 * Any mismatch aborts.  tests/ledger/fuzz_replay.c replays the committed
 * corpus (tests/fuzz/corpus/base58/) through this function in ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base58.h"
#include "crypto/keys.h"
#include "crypto/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STR_MAX 4096
#define ALPHABET "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_base58: %s\n", what);
		abort();
	}
}

static int all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void string_side(const char *s)
{
	static char out[STR_MAX + 1];
	uint8_t buf[CR_BASE58_MAX_BYTES], full[CR_BASE58_MAX_BYTES];
	size_t n, fn;
	struct xu_err err;
	int bad_char = strspn(s, ALPHABET) != strlen(s);
	enum xu_code rc;

	/* Raw. */
	rc = cr_base58_decode(buf, sizeof(buf), &n, s, &err);
	if (bad_char)
		check(rc == XU_EPARSE && err.detail == CR_B58_BAD_CHAR,
		      "bad character not refused as such");
	else if (rc != XU_OK)
		check(rc == XU_ETOOBIG && n == 0, "raw decode failure code");
	if (rc == XU_OK) {
		check(n <= CR_BASE58_MAX_BYTES, "raw decode length");
		check(cr_base58_encode(out, sizeof(out), buf, n, NULL) == XU_OK,
		      "raw re-encode failed");
		check(strcmp(out, s) == 0, "raw round trip differs");
	}

	/* Checked, any version. */
	rc = cr_base58check_decode_any(full, sizeof(full), &fn, s, &err);
	if (rc == XU_OK) {
		check(fn >= 1 && fn + 4 == n, "checked length");
		check(!memcmp(full, buf, fn), "checked payload differs");
		check(cr_base58check_encode(out, sizeof(out), full, 1, full + 1,
					    fn - 1, NULL) == XU_OK,
		      "checked re-encode failed");
		check(strcmp(out, s) == 0, "checked round trip differs");
	} else {
		check(fn == 0, "failed checked decode set a length");
		check((rc == XU_EPARSE && (err.detail == CR_B58_BAD_CHAR ||
					   err.detail == CR_B58_TOO_SHORT ||
					   err.detail == CR_B58_CHECKSUM)) ||
			  rc == XU_ETOOBIG,
		      "checked decode failure code");
	}

	/* Account public key (version 0x23, 33 bytes). */
	{
		static const uint8_t v[1] = {0x23};
		uint8_t pk[33];
		memset(pk, 0xa5, sizeof(pk));
		rc = cr_base58check_decode(pk, sizeof(pk), v, 1, s, &err);
		if (rc != XU_OK) {
			check(all_zero(pk, sizeof(pk)), "payload not zeroed");
		} else {
			check(cr_base58check_encode(out, sizeof(out), v, 1, pk,
						    sizeof(pk),
						    NULL) == XU_OK &&
				  strcmp(out, s) == 0,
			      "public key round trip differs");
		}
	}

	/* Classic address. */
	{
		struct cr_account_id id;
		char addr[CR_ADDRESS_STRLEN];
		if (cr_address_decode(&id, s, &err) == XU_OK) {
			cr_address_encode(addr, &id);
			check(strcmp(addr, s) == 0, "address round trip");
		}
	}

	/* Seeds and the key pair they give. */
	{
		struct cr_seed seed;
		struct cr_keypair kp;
		if (cr_seed_parse(&seed, s, &err) == XU_OK) {
			check(cr_seed_encode(out, sizeof(out), &seed,
					     seed.implied, NULL) == XU_OK &&
				  strcmp(out, s) == 0,
			      "seed round trip differs");
			check(cr_keypair_from_seed_text(&kp, s, 0, NULL) ==
				  XU_OK,
			      "a parsed seed does not derive");
			check(kp.type == seed.implied, "derived key type");
			cr_keypair_clear(&kp);
			cr_seed_clear(&seed);
		} else {
			check(cr_keypair_from_seed_text(&kp, s, 0, NULL) !=
				  XU_OK,
			      "seed text derives but does not parse");
		}
	}
}

static void bytes_side(const uint8_t *data, size_t size)
{
	char s[CR_BASE58_MAX_STRLEN * 2];
	uint8_t back[CR_BASE58_MAX_BYTES];
	size_t n;

	if (size > CR_BASE58_MAX_BYTES)
		size = CR_BASE58_MAX_BYTES;
	check(cr_base58_encode(s, sizeof(s), data, size, NULL) == XU_OK,
	      "raw encode failed");
	check(strspn(s, ALPHABET) == strlen(s), "encode left the alphabet");
	check(cr_base58_decode(back, sizeof(back), &n, s, NULL) == XU_OK &&
		  n == size && !memcmp(back, data, size),
	      "bytes raw round trip differs");
	if (size >= 1 && size + 4 <= CR_BASE58_MAX_BYTES) {
		check(cr_base58check_encode(s, sizeof(s), data, 1, data + 1,
					    size - 1, NULL) == XU_OK,
		      "checked encode failed");
		check(cr_base58check_decode_any(back, sizeof(back), &n, s,
						NULL) == XU_OK &&
			  n == size && !memcmp(back, data, size),
		      "bytes checked round trip differs");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	static char s[STR_MAX + 1];
	size_t n = size < STR_MAX ? size : STR_MAX;

	if (!inited) {
		check(cr_init(NULL) == XU_OK, "cr_init");
		inited = 1;
	}
	memcpy(s, data, n);
	s[n] = '\0';
	string_side(s);
	bytes_side(data, size);
	return 0;
}
