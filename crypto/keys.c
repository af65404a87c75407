/* Seeds and key derivation (see keys.h).
 *
 *   secp256k1:  root  = SHA512Half(entropy || u32be(seq)), first valid seq
 *               G     = compress(root·G)
 *               tweak = SHA512Half(G || u32be(0) || u32be(sub)), first valid
 *               sk    = root + tweak mod n;  pk = compress(sk·G)
 *   ed25519:    sk32  = SHA512Half(entropy);  pk = ED || pk32
 *
 * Every intermediate secret lives on the stack and is wiped before
 * returning. */
#include "crypto/keys.h"

#include <sodium.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secp_ctx.h"

/* rippled gives up after 128 attempts (deriveDeterministicRootKey,
 * calculateTweak); the first always succeeds in practice. */
#define DERIVE_TRIES 128

static const uint8_t seed_version_secp[1] = {0x21};
static const uint8_t seed_version_ed[3] = {0x01, 0xE1, 0x4B};

static void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum xu_code cr_seed_parse(struct cr_seed *seed, const char *text,
			   struct xu_err *err)
{
	uint8_t full[CR_BASE58_MAX_BYTES];
	size_t n;
	enum xu_code rc;

	sodium_memzero(seed, sizeof(*seed));
	rc = cr_base58check_decode_any(full, sizeof(full), &n, text, err);
	if (rc != XU_OK) {
		xu_wrap(err, rc, "seed");
		goto out;
	}
	if (n >= sizeof(seed_version_ed) &&
	    !memcmp(full, seed_version_ed, sizeof(seed_version_ed))) {
		if (n != sizeof(seed_version_ed) + CR_SEED_BYTES) {
			rc =
			    xu_fail(err, XU_EPARSE, CR_B58_LENGTH,
				    "seed: payload is %zu bytes, expected %d",
				    n - sizeof(seed_version_ed), CR_SEED_BYTES);
			goto out;
		}
		memcpy(seed->entropy, full + sizeof(seed_version_ed),
		       CR_SEED_BYTES);
		seed->implied = CR_KEY_ED25519;
	} else if (n >= 1 && full[0] == seed_version_secp[0]) {
		if (n != 1 + CR_SEED_BYTES) {
			rc = xu_fail(err, XU_EPARSE, CR_B58_LENGTH,
				     "seed: payload is %zu bytes, expected %d",
				     n - 1, CR_SEED_BYTES);
			goto out;
		}
		memcpy(seed->entropy, full + 1, CR_SEED_BYTES);
		seed->implied = CR_KEY_SECP256K1;
	} else {
		rc = xu_fail(err, XU_EPARSE, CR_B58_VERSION,
			     "seed: not a family seed (wrong version; an "
			     "address or public key?)");
	}
out:
	sodium_memzero(full, sizeof(full));
	if (rc != XU_OK)
		sodium_memzero(seed, sizeof(*seed));
	return rc;
}

enum xu_code cr_seed_encode(char *out, size_t cap, const struct cr_seed *seed,
			    enum cr_key_type type, struct xu_err *err)
{
	switch (type) {
	case CR_KEY_SECP256K1:
		return cr_base58check_encode(out, cap, seed_version_secp,
					     sizeof(seed_version_secp),
					     seed->entropy, CR_SEED_BYTES, err);
	case CR_KEY_ED25519:
		return cr_base58check_encode(out, cap, seed_version_ed,
					     sizeof(seed_version_ed),
					     seed->entropy, CR_SEED_BYTES, err);
	}
	return xu_fail(err, XU_EINVAL, 0, "unknown key type %d", (int)type);
}

void cr_seed_clear(struct cr_seed *seed)
{
	sodium_memzero(seed, sizeof(*seed));
}

/* The root private generator: the first SHA512Half(entropy || seq) that is
 * a valid secret key. */
static enum xu_code derive_root(uint8_t root[32],
				const uint8_t entropy[CR_SEED_BYTES],
				struct xu_err *err)
{
	const secp256k1_context *ctx = cr_secp_ctx();
	uint8_t pre[CR_SEED_BYTES + 4];
	enum xu_code rc = XU_EINVAL;

	memcpy(pre, entropy, CR_SEED_BYTES);
	for (uint32_t seq = 0; seq < DERIVE_TRIES; seq++) {
		put_u32be(pre + CR_SEED_BYTES, seq);
		cr_sha512half(root, pre, sizeof(pre));
		if (secp256k1_ec_seckey_verify(ctx, root)) {
			rc = XU_OK;
			break;
		}
	}
	sodium_memzero(pre, sizeof(pre));
	if (rc != XU_OK) {
		sodium_memzero(root, 32);
		return xu_fail(err, rc, 0, "seed yields no root key");
	}
	return XU_OK;
}

/* The account tweak for account index 0 of public generator gen33. */
static enum xu_code derive_tweak(uint8_t tweak[32], const uint8_t gen33[33],
				 struct xu_err *err)
{
	const secp256k1_context *ctx = cr_secp_ctx();
	uint8_t pre[33 + 4 + 4];

	memcpy(pre, gen33, 33);
	put_u32be(pre + 33, 0);
	for (uint32_t sub = 0; sub < DERIVE_TRIES; sub++) {
		put_u32be(pre + 37, sub);
		cr_sha512half(tweak, pre, sizeof(pre));
		if (secp256k1_ec_seckey_verify(ctx, tweak)) {
			sodium_memzero(pre, sizeof(pre));
			return XU_OK;
		}
	}
	sodium_memzero(pre, sizeof(pre));
	sodium_memzero(tweak, 32);
	return xu_fail(err, XU_EINVAL, 0, "seed yields no account tweak");
}

/* Compressed public key of sk into out33. */
static enum xu_code secp_pub(uint8_t out33[33], const uint8_t sk[32],
			     struct xu_err *err)
{
	const secp256k1_context *ctx = cr_secp_ctx();
	secp256k1_pubkey pk;
	size_t len = 33;

	if (!secp256k1_ec_pubkey_create(ctx, &pk, sk))
		return xu_fail(err, XU_EINTERNAL, 0,
			       "secp256k1: public key creation failed");
	if (!secp256k1_ec_pubkey_serialize(ctx, out33, &len, &pk,
					   SECP256K1_EC_COMPRESSED) ||
	    len != 33)
		return xu_fail(err, XU_EINTERNAL, 0,
			       "secp256k1: serialization failed");
	return XU_OK;
}

static enum xu_code derive_secp(struct cr_keypair *kp,
				const struct cr_seed *seed, struct xu_err *err)
{
	uint8_t root[32], tweak[32], gen[33];
	enum xu_code rc;

	rc = derive_root(root, seed->entropy, err);
	if (rc != XU_OK)
		goto out;
	rc = secp_pub(gen, root, err);
	if (rc != XU_OK)
		goto out;
	rc = derive_tweak(tweak, gen, err);
	if (rc != XU_OK)
		goto out;
	memcpy(kp->secret, root, 32);
	if (!secp256k1_ec_seckey_tweak_add(cr_secp_ctx(), kp->secret, tweak)) {
		rc = xu_fail(err, XU_EINVAL, 0,
			     "seed yields an invalid account key");
		goto out;
	}
	rc = secp_pub(kp->pub.b, kp->secret, err);
	kp->type = CR_KEY_SECP256K1;
out:
	sodium_memzero(root, sizeof(root));
	sodium_memzero(tweak, sizeof(tweak));
	sodium_memzero(gen, sizeof(gen));
	return rc;
}

static enum xu_code derive_ed(struct cr_keypair *kp, const struct cr_seed *seed,
			      struct xu_err *err)
{
	uint8_t sk32[32], pk32[crypto_sign_PUBLICKEYBYTES];

	cr_sha512half(sk32, seed->entropy, CR_SEED_BYTES);
	if (crypto_sign_seed_keypair(pk32, kp->secret, sk32) != 0) {
		sodium_memzero(sk32, sizeof(sk32));
		return xu_fail(err, XU_EINTERNAL, 0,
			       "ed25519: key derivation failed");
	}
	sodium_memzero(sk32, sizeof(sk32));
	kp->type = CR_KEY_ED25519;
	kp->pub.b[0] = 0xED;
	memcpy(kp->pub.b + 1, pk32, sizeof(pk32));
	return XU_OK;
}

enum xu_code cr_keypair_derive(struct cr_keypair *kp,
			       const struct cr_seed *seed,
			       enum cr_key_type type, struct xu_err *err)
{
	enum xu_code rc = XU_EINVAL;

	sodium_memzero(kp, sizeof(*kp));
	switch (type) {
	case CR_KEY_SECP256K1:
		rc = derive_secp(kp, seed, err);
		break;
	case CR_KEY_ED25519:
		rc = derive_ed(kp, seed, err);
		break;
	}
	if (rc != XU_OK)
		sodium_memzero(kp, sizeof(*kp));
	return rc;
}

enum xu_code cr_kava_channel_keypair(struct cr_keypair *kp,
				     const char *secret_text, const char *name,
				     struct xu_err *err)
{
	static const char tag[] = "ilp-plugin-xrp-paychan-channel";
	crypto_auth_hmacsha256_state st;
	uint8_t sk32[crypto_auth_hmacsha256_BYTES];
	uint8_t pk32[crypto_sign_PUBLICKEYBYTES];
	int bad;

	sodium_memzero(kp, sizeof(*kp));
	bad = crypto_auth_hmacsha256_init(&st, (const uint8_t *)secret_text,
					  strlen(secret_text));
	bad |= crypto_auth_hmacsha256_update(&st, (const uint8_t *)tag,
					     sizeof(tag) - 1);
	bad |= crypto_auth_hmacsha256_update(&st, (const uint8_t *)name,
					     strlen(name));
	bad |= crypto_auth_hmacsha256_final(&st, sk32);
	sodium_memzero(&st, sizeof(st));
	if (!bad)
		bad = crypto_sign_seed_keypair(pk32, kp->secret, sk32);
	sodium_memzero(sk32, sizeof(sk32));
	if (bad) {
		sodium_memzero(kp, sizeof(*kp));
		return xu_fail(err, XU_EINTERNAL, 0,
			       "ed25519: channel key derivation failed");
	}
	kp->type = CR_KEY_ED25519;
	kp->pub.b[0] = 0xED;
	memcpy(kp->pub.b + 1, pk32, sizeof(pk32));
	return XU_OK;
}

enum xu_code cr_keypair_from_seed_text(struct cr_keypair *kp,
				       const char *seed_text, int override,
				       struct xu_err *err)
{
	struct cr_seed seed;
	enum cr_key_type type;
	enum xu_code rc;

	sodium_memzero(kp, sizeof(*kp));
	rc = cr_seed_parse(&seed, seed_text, err);
	if (rc != XU_OK)
		return rc;
	type = seed.implied;
	if (override == CR_KEY_ED25519) {
		type = CR_KEY_ED25519;
	} else if (override == CR_KEY_SECP256K1) {
		/* rippled's parseRippleLibSeed refuses this too. */
		if (seed.implied == CR_KEY_ED25519) {
			cr_seed_clear(&seed);
			return xu_fail(err, XU_EINVAL, 0,
				       "seed: an sEd... seed is for an "
				       "ed25519 key, not secp256k1");
		}
	} else if (override != 0) {
		cr_seed_clear(&seed);
		return xu_fail(err, XU_EINVAL, 0, "unknown key type %d",
			       override);
	}
	rc = cr_keypair_derive(kp, &seed, type, err);
	cr_seed_clear(&seed);
	return rc;
}

void cr_keypair_clear(struct cr_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

enum xu_code cr_pubkey_type(enum cr_key_type *type, const uint8_t *pk,
			    size_t len, struct xu_err *err)
{
	if (len != CR_PUBKEY_BYTES)
		return xu_fail(err, XU_EINVAL, 0,
			       "public key is %zu bytes, expected 33", len);
	switch (pk[0]) {
	case 0x02:
	case 0x03:
		*type = CR_KEY_SECP256K1;
		return XU_OK;
	case 0xED:
		*type = CR_KEY_ED25519;
		return XU_OK;
	default:
		return xu_fail(err, XU_EINVAL, 0,
			       "public key prefix %02X is not 02, 03 or ED",
			       pk[0]);
	}
}

void cr_account_id_of(struct cr_account_id *id, const struct cr_pubkey *pk)
{
	uint8_t h[CR_SHA256_BYTES];

	cr_sha256(h, pk->b, CR_PUBKEY_BYTES);
	cr_ripemd160(id->b, h, sizeof(h));
}

const char *cr_key_type_name(enum cr_key_type t)
{
	switch (t) {
	case CR_KEY_SECP256K1:
		return "secp256k1";
	case CR_KEY_ED25519:
		return "ed25519";
	}
	return "unknown";
}

bool cr_key_type_parse(enum cr_key_type *t, const char *name)
{
	if (!strcmp(name, "secp256k1")) {
		*t = CR_KEY_SECP256K1;
		return true;
	}
	if (!strcmp(name, "ed25519")) {
		*t = CR_KEY_ED25519;
		return true;
	}
	return false;
}
