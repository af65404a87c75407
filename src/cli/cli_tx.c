/* xrpse tx: sign and decode XRPL transactions.
 *
 *   xrpse tx sign (--seed SEED | --seed-file PATH) [--key-type T] --tx JSON
 *       adds SigningPubKey, signs, prints {"tx_blob":HEX,"hash":HEX}.
 *       Fills nothing else: Fee, Sequence, LastLedgerSequence... come from
 *       the JSON (xrpl.js form: drops as strings, classic addresses, hex).
 *   xrpse tx decode BLOB
 *       prints the transaction as JSON in the same form.
 *
 * Exit status: 0 success, 1 runtime failure, 2 malformed arguments (a bad
 * seed, JSON or blob included).  The seed never appears in any output. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"
#include "src/cli/cli.h"
#include "src/daemon/args.h"
#include "src/util/hex.h"

static const struct eng_opt sign_opts[] = {
    {"seed", "SEED", "family seed: s... (secp256k1) or sEd... (ed25519)"},
    {"seed-file", "PATH", "read the seed from a file instead (safer)"},
    {"key-type", "TYPE", "ed25519|secp256k1 (default: from the seed)"},
    {"tx", "JSON", "the transaction, XRPL JSON as xrpl.js writes it"},
};
#define N_SIGN_OPTS (sizeof(sign_opts) / sizeof(sign_opts[0]))

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: xrpse tx sign (--seed SEED | --seed-file PATH) "
	       "[--key-type ed25519|secp256k1] --tx JSON\n"
	       "       xrpse tx decode BLOB\n\n"
	       "sign: adds SigningPubKey, signs the transaction and prints\n"
	       "  {\"tx_blob\":\"<hex>\",\"hash\":\"<hex>\"}.  Nothing else is "
	       "filled in:\n"
	       "  Fee and Sequence must be in the JSON (LastLedgerSequence "
	       "should be).\n"
	       "decode: prints the transaction of a hex tx_blob as JSON.\n\n"
	       "sign options:\n");
	eng_args_print_help(f, sign_opts, N_SIGN_OPTS);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "xrpse tx: %s\n", msg);
	fprintf(stderr, "Run 'xrpse tx --help' for usage.\n");
	return ENG_EXIT_USAGE;
}

static int tx_sign(int argc, char **argv)
{
	struct eng_args a;
	struct xu_err e;
	struct cr_keypair kp;
	json_error_t je;
	enum xu_code rc;
	int x;

	if (eng_args_parse(&a, sign_opts, N_SIGN_OPTS, 0, argc, argv, &e))
		return usage_error(e.msg);
	if (a.help) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	const char *txs;
	if (eng_args_require(&a, "tx", &txs, &e))
		return usage_error(e.msg);
	json_t *tx = json_loads(txs, JSON_REJECT_DUPLICATES, &je);
	if (!tx) {
		char msg[sizeof(e.msg)];
		snprintf(msg, sizeof(msg), "--tx is not valid JSON: %s",
			 je.text);
		return usage_error(msg);
	}
	if (!json_is_object(tx)) {
		json_decref(tx);
		return usage_error("--tx must be a JSON object");
	}
	x = eng_cli_keypair(&a, &kp, &e);
	if (x != ENG_EXIT_OK) {
		json_decref(tx);
		if (x == ENG_EXIT_USAGE)
			return usage_error(e.msg);
		fprintf(stderr, "xrpse tx: %s\n", e.msg);
		return x;
	}

	struct xl_signed_tx *st = malloc(sizeof(*st));
	if (!st) {
		cr_keypair_clear(&kp);
		json_decref(tx);
		fprintf(stderr, "xrpse tx: out of memory\n");
		return ENG_EXIT_FAIL;
	}
	rc = xl_json_sign(tx, &kp, st, &e);
	cr_keypair_clear(&kp);
	json_decref(tx);
	if (rc) {
		free(st);
		if (xu_code_is_input(rc))
			return usage_error(e.msg);
		fprintf(stderr, "xrpse tx: %s\n", e.msg);
		return ENG_EXIT_FAIL;
	}
	char *blob = malloc(2 * st->len + 1);
	char hash[2 * XL_HASH_BYTES + 1];
	json_t *o = NULL;
	if (blob) {
		xu_hex_encode(blob, 2 * st->len + 1, st->blob, st->len);
		xu_hex_encode(hash, sizeof(hash), st->hash, XL_HASH_BYTES);
		o = json_object();
		if (o) {
			json_object_set_new(o, "tx_blob", json_string(blob));
			json_object_set_new(o, "hash", json_string(hash));
		}
	}
	free(blob);
	free(st);
	return eng_cli_print_json("tx", o, ENG_EXIT_OK);
}

static int tx_decode(int argc, char **argv)
{
	struct eng_args a;
	struct xu_err e;
	size_t len;

	if (eng_args_parse(&a, NULL, 0, 1, argc, argv, &e))
		return usage_error(e.msg);
	if (a.help) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	if (a.npos != 1)
		return usage_error("tx decode needs one BLOB (hex)");
	const char *hex = a.pos[0];
	size_t hlen = strlen(hex);
	uint8_t *blob = malloc(hlen / 2 + 1);
	if (!blob) {
		fprintf(stderr, "xrpse tx: out of memory\n");
		return ENG_EXIT_FAIL;
	}
	if (xu_hex_decode(blob, hlen / 2 + 1, &len, hex, hlen, &e)) {
		free(blob);
		return usage_error("BLOB is not hex");
	}
	json_t *out = NULL;
	enum xu_code rc = xl_json_decode(blob, len, &out, &e);
	free(blob);
	if (rc) {
		if (xu_code_is_input(rc))
			return usage_error(e.msg);
		fprintf(stderr, "xrpse tx: %s\n", e.msg);
		return ENG_EXIT_FAIL;
	}
	return eng_cli_print_json("tx", out, ENG_EXIT_OK);
}

int eng_cli_tx(int argc, char **argv)
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
		return tx_sign(argc - 1, argv + 1);
	if (!strcmp(argv[0], "decode"))
		return tx_decode(argc - 1, argv + 1);
	return usage_error("unknown subcommand (expected: sign, decode)");
}
