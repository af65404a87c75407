/* Seeds and key pairs: family seeds in their base58 forms, and the XRPL
 * derivations from a 16-byte seed to a secp256k1 key pair (the root
 * generator with its sequence loop, then the account generator tweak) or an
 * ed25519 key pair (SHA-512Half of the seed).  Public keys are the 33-byte
 * 02/03 (secp256k1) and ED (ed25519) forms; nothing else is accepted.
 *
 * Secrets live in struct cr_keypair, which callers must wipe with
 * cr_keypair_clear() (it calls sodium_memzero).  Nothing here logs. */
#ifndef XRPSE_CRYPTO_KEYS_H
#define XRPSE_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/base58.h"
#include "src/util/err.h"

#define CR_PUBKEY_BYTES 33

/* Persisted in the store: don't renumber. */
enum cr_key_type {
	CR_KEY_SECP256K1 = 1,
	CR_KEY_ED25519 = 2,
};

struct cr_pubkey {
	uint8_t b[CR_PUBKEY_BYTES];
};

/* 16 bytes of seed entropy and the key type its encoding implied. */
struct cr_seed {
	uint8_t entropy[CR_SEED_BYTES];
	enum cr_key_type implied; /* ED25519 for "sEd...", else SECP256K1 */
};

struct cr_keypair {
	enum cr_key_type type;
	struct cr_pubkey pub;
	/* secp256k1: the 32-byte account private key.
	 * ed25519: libsodium's 64-byte secret key (seed32 || pk32). */
	uint8_t secret[64];
};

/* Parses a family seed ("s..." version 0x21, or "sEd..." 01 E1 4B).
 * Returns XU_OK, or XU_EPARSE with err->detail an enum cr_b58_fail
 * (character, too short, checksum, version, length) and a message that
 * never quotes the seed; *seed is wiped on failure.  The caller wipes
 * *seed with cr_seed_clear(). */
enum xu_code cr_seed_parse(struct cr_seed *seed, const char *text,
			   struct xu_err *err) XU_WARN_UNUSED;
/* Encodes a seed as "s..." (secp256k1) or "sEd..." (ed25519). */
enum xu_code cr_seed_encode(char *out, size_t cap, const struct cr_seed *seed,
			    enum cr_key_type type,
			    struct xu_err *err) XU_WARN_UNUSED;
void cr_seed_clear(struct cr_seed *seed);

/* Derives the account key pair of `type` from the seed.  Returns XU_OK, or
 * XU_EINVAL when the derivation loop gives up (practically never). */
enum xu_code cr_keypair_derive(struct cr_keypair *kp,
			       const struct cr_seed *seed,
			       enum cr_key_type type,
			       struct xu_err *err) XU_WARN_UNUSED;
/* Parses a seed and derives with its implied type, or `override` (an enum
 * cr_key_type) when it is not 0.  An "s..." seed may be forced to ed25519
 * (as xrpl.js Wallet.fromSeed(seed, {algorithm: 'ed25519'}) does); an
 * "sEd..." seed forced to secp256k1 is refused with XU_EINVAL, as rippled
 * refuses it.  Returns XU_OK or the errors of cr_seed_parse and
 * cr_keypair_derive; *kp is zeroed on failure.  The caller wipes *kp with
 * cr_keypair_clear(). */
enum xu_code cr_keypair_from_seed_text(struct cr_keypair *kp,
				       const char *seed_text, int override,
				       struct xu_err *err) XU_WARN_UNUSED;
/* The ed25519 key pair Kava's ilp-plugin-xrp-paychan (0.4.5) created the
 * outgoing channel of its account `name` with: its 32-byte ed25519 seed is
 * HMAC-SHA256(key = the bytes of the family seed text the plugin was given
 * as xrpSecret, message = "ilp-plugin-xrp-paychan-channel" || name), and
 * the channel's PublicKey is ED || the public key
 * (docs/design.md#moving-from-kavas-plugin).  secret_text is the seed
 * exactly as the plugin had it ("s..."; cr_seed_encode gives it back from
 * a parsed seed).  Returns XU_OK, or XU_EINTERNAL when libsodium fails;
 * *kp is zeroed on failure.  The caller wipes *kp with cr_keypair_clear. */
enum xu_code cr_kava_channel_keypair(struct cr_keypair *kp,
				     const char *secret_text, const char *name,
				     struct xu_err *err) XU_WARN_UNUSED;
/* Wipes the secret. */
void cr_keypair_clear(struct cr_keypair *kp);

/* Classifies a public key: XU_OK and *type for a 33-byte 02/03/ED key;
 * XU_EINVAL for any other length or prefix (uncompressed 04 keys too). */
enum xu_code cr_pubkey_type(enum cr_key_type *type, const uint8_t *pk,
			    size_t len, struct xu_err *err) XU_WARN_UNUSED;
/* AccountID = RIPEMD160(SHA256(pk33)). */
void cr_account_id_of(struct cr_account_id *id, const struct cr_pubkey *pk);

/* "ed25519" / "secp256k1"; parse returns false for anything else. */
const char *cr_key_type_name(enum cr_key_type t);
bool cr_key_type_parse(enum cr_key_type *t, const char *name) XU_WARN_UNUSED;

#endif /* XRPSE_CRYPTO_KEYS_H */
