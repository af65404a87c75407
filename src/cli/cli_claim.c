/* xrpse claim: sign and verify payment-channel claims
 * (docs/design.md#ledger-rules-the-engine-relies-on).
 *
 *   xrpse claim sign (--seed SEED | --seed-file PATH) --channel HEX64
 *                    --amount DROPS [--key-type T]
 *       prints {"signature","public_key"}
 *   xrpse claim verify --public-key HEX --channel HEX64 --amount DROPS
 *                      --signature HEX
 *       exit 0 {"valid":true}, exit 1 {"valid":false}
 *
 * Malformed arguments exit 2 with a message on stderr.  The amount is the
 * cumulative total in drops, 0..10^17.  The seed never appears in any
 * output or message. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/claim.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/amount.h"
#include "src/cli/cli.h"
#include "src/daemon/args.h"
#include "src/util/hex.h"

/* Longest hex argument accepted for a public key or signature (bytes). */
#define MAX_ARG_BYTES 128

static const struct eng_opt sign_opts[] = {
    {"seed", "SEED", "family seed: s... (secp256k1) or sEd... (ed25519)"},
    {"seed-file", "PATH", "read the seed from a file instead (safer)"},
    {"channel", "HEX64", "channel id, 64 hex digits"},
    {"amount", "DROPS", "cumulative amount authorized, in drops"},
    {"key-type", "TYPE", "ed25519|secp256k1 (default: from the seed)"},
};
#define N_SIGN_OPTS (sizeof(sign_opts) / sizeof(sign_opts[0]))

static const struct eng_opt verify_opts[] = {
    {"public-key", "HEX", "the channel's public key, 33 bytes (02/03/ED)"},
    {"channel", "HEX64", "channel id, 64 hex digits"},
    {"amount", "DROPS", "cumulative amount authorized, in drops"},
    {"signature", "HEX", "the claim signature"},
};
#define N_VERIFY_OPTS (sizeof(verify_opts) / sizeof(verify_opts[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xrpse claim sign (--seed SEED | --seed-file PATH) "
		"--channel HEX64 --amount DROPS [--key-type T]\n"
		"       xrpse claim verify --public-key HEX --channel HEX64 "
		"--amount DROPS --signature HEX\n\n"
		"A claim authorizes the channel's destination to redeem up to "
		"DROPS in total.\nIt signs CLM\\0 || channel || amount "
		"(u64 big-endian), as rippled's channel_authorize.\n"
		"Run 'xrpse claim sign --help' or 'xrpse claim verify --help' "
		"for details.\n");
}

static void sign_usage(FILE *f)
{
	fprintf(f, "usage: xrpse claim sign (--seed SEED | --seed-file PATH) "
		   "--channel HEX64 --amount DROPS [--key-type T]\n\n"
		   "Prints {\"signature\":HEX,\"public_key\":HEX}.\n\n"
		   "options:\n");
	eng_args_print_help(f, sign_opts, N_SIGN_OPTS);
}

static void verify_usage(FILE *f)
{
	fprintf(f, "usage: xrpse claim verify --public-key HEX --channel "
		   "HEX64 --amount DROPS --signature HEX\n\n"
		   "Exit 0 and {\"valid\":true} when the signature is valid "
		   "by rippled's rules;\nexit 1 and {\"valid\":false} when "
		   "not; exit 2 on malformed arguments.\n\noptions:\n");
	eng_args_print_help(f, verify_opts, N_VERIFY_OPTS);
}

static int usage_error(const char *sub, const char *msg)
{
	fprintf(stderr, "xrpse claim%s%s: %s\n", sub ? " " : "", sub ? sub : "",
		msg);
	fprintf(stderr, "Run 'xrpse claim%s%s --help' for usage.\n",
		sub ? " " : "", sub ? sub : "");
	return ENG_EXIT_USAGE;
}

/* The channel and amount options shared by sign and verify. */
static enum xu_code channel_amount(const struct eng_args *a,
				   uint8_t chan[CR_CHANNEL_ID_BYTES],
				   uint64_t *drops, struct xu_err *e)
{
	const char *c, *am;
	struct xl_drops d;

	if (eng_args_require(a, "channel", &c, e) != XU_OK ||
	    eng_args_require(a, "amount", &am, e) != XU_OK)
		return XU_EINVAL;
	if (xu_hex_decode_exact(chan, CR_CHANNEL_ID_BYTES, c, e) != XU_OK)
		return xu_wrap(e, XU_EINVAL, "--channel");
	if (xl_drops_parse(&d, am, e) != XU_OK)
		return xu_wrap(e, XU_EINVAL, "--amount");
	*drops = xl_drops_u64(d);
	return XU_OK;
}

static int claim_sign(int argc, char **argv)
{
	struct eng_args a;
	struct xu_err e;
	struct cr_keypair kp;
	uint8_t chan[CR_CHANNEL_ID_BYTES], sig[CR_SIG_MAX_BYTES];
	uint64_t drops;
	size_t siglen;
	char sighex[2 * CR_SIG_MAX_BYTES + 1];
	char pub[2 * CR_PUBKEY_BYTES + 1];
	enum xu_code rc;
	int x;

	if (eng_args_parse(&a, sign_opts, N_SIGN_OPTS, 0, argc, argv, &e) !=
	    XU_OK)
		return usage_error("sign", e.msg);
	if (a.help) {
		sign_usage(stdout);
		return ENG_EXIT_OK;
	}
	if (channel_amount(&a, chan, &drops, &e) != XU_OK)
		return usage_error("sign", e.msg);
	x = eng_cli_keypair(&a, &kp, &e);
	if (x == ENG_EXIT_USAGE)
		return usage_error("sign", e.msg);
	if (x != ENG_EXIT_OK) {
		fprintf(stderr, "xrpse claim sign: %s\n", e.msg);
		return x;
	}
	rc = cr_claim_sign(sig, &siglen, &kp, chan, drops, &e);
	if (rc != XU_OK) {
		cr_keypair_clear(&kp);
		fprintf(stderr, "xrpse claim sign: %s\n", e.msg);
		return ENG_EXIT_FAIL;
	}
	xu_hex_encode(sighex, sizeof(sighex), sig, siglen);
	xu_hex_encode(pub, sizeof(pub), kp.pub.b, CR_PUBKEY_BYTES);
	cr_keypair_clear(&kp);

	json_t *o = json_object();
	if (o) {
		json_object_set_new(o, "signature", json_string(sighex));
		json_object_set_new(o, "public_key", json_string(pub));
	}
	return eng_cli_print_json("claim", o, ENG_EXIT_OK);
}

/* Decodes a hex argument of 1..MAX_ARG_BYTES bytes. */
static enum xu_code hex_arg(const struct eng_args *a, const char *name,
			    uint8_t *out, size_t *len, struct xu_err *e)
{
	const char *h;

	if (eng_args_require(a, name, &h, e) != XU_OK)
		return XU_EINVAL;
	if (!*h)
		return xu_fail(e, XU_EINVAL, 0, "--%s is empty", name);
	if (xu_hex_decode(out, MAX_ARG_BYTES, len, h, strlen(h), e) != XU_OK)
		return xu_fail(e, XU_EINVAL, 0,
			       "--%s must be hex of at most %d bytes", name,
			       MAX_ARG_BYTES);
	return XU_OK;
}

static int claim_verify(int argc, char **argv)
{
	struct eng_args a;
	struct xu_err e;
	uint8_t chan[CR_CHANNEL_ID_BYTES], pk[MAX_ARG_BYTES],
	    sig[MAX_ARG_BYTES];
	size_t pklen, siglen;
	uint64_t drops;

	if (eng_args_parse(&a, verify_opts, N_VERIFY_OPTS, 0, argc, argv, &e) !=
	    XU_OK)
		return usage_error("verify", e.msg);
	if (a.help) {
		verify_usage(stdout);
		return ENG_EXIT_OK;
	}
	if (hex_arg(&a, "public-key", pk, &pklen, &e) != XU_OK ||
	    channel_amount(&a, chan, &drops, &e) != XU_OK ||
	    hex_arg(&a, "signature", sig, &siglen, &e) != XU_OK)
		return usage_error("verify", e.msg);
	if (cr_init(&e) != XU_OK) {
		fprintf(stderr, "xrpse claim verify: %s\n", e.msg);
		return ENG_EXIT_FAIL;
	}
	/* A well-formed but unacceptable key (an uncompressed 04 key, a
	 * wrong length) is an answer, not a usage error: rippled rejects
	 * such a claim, so it is not valid. */
	bool ok = cr_claim_verify(pk, pklen, chan, drops, sig, siglen);
	json_t *o = json_object();
	if (o)
		json_object_set_new(o, "valid", json_boolean(ok));
	return eng_cli_print_json("claim", o, ok ? ENG_EXIT_OK : ENG_EXIT_FAIL);
}

int eng_cli_claim(int argc, char **argv)
{
	if (argc < 1) {
		usage(stderr);
		return ENG_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	if (!strcmp(argv[0], "sign"))
		return claim_sign(argc - 1, argv + 1);
	if (!strcmp(argv[0], "verify"))
		return claim_verify(argc - 1, argv + 1);
	return usage_error(NULL, "unknown subcommand (expected: sign, verify)");
}
