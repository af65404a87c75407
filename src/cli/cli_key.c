/* xrpse key: key information from a family seed.
 *
 *   xrpse key info (--seed SEED | --seed-file PATH) [--key-type T]
 *
 * prints {"address","public_key","key_type"}.  The seed never appears in
 * any output or message; its copies are wiped. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "src/cli/cli.h"
#include "src/daemon/args.h"
#include "src/util/hex.h"

static const struct eng_opt info_opts[] = {
    {"seed", "SEED", "family seed: s... (secp256k1) or sEd... (ed25519)"},
    {"seed-file", "PATH", "read the seed from a file instead (safer)"},
    {"key-type", "TYPE", "ed25519|secp256k1 (default: from the seed)"},
};
#define N_INFO_OPTS (sizeof(info_opts) / sizeof(info_opts[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: xrpse key info (--seed SEED | --seed-file PATH) "
		   "[--key-type ed25519|secp256k1]\n\n"
		   "Prints the account's address, public key (hex) and key "
		   "type as JSON:\n"
		   "  {\"address\":\"r...\",\"public_key\":\"ED...\","
		   "\"key_type\":\"ed25519\"}\n\noptions:\n");
	eng_args_print_help(f, info_opts, N_INFO_OPTS);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "xrpse key: %s\n", msg);
	fprintf(stderr, "Run 'xrpse key info --help' for usage.\n");
	return ENG_EXIT_USAGE;
}

static int key_info(int argc, char **argv)
{
	struct eng_args a;
	struct xu_err e;
	struct cr_keypair kp;
	struct cr_account_id id;
	enum cr_key_type kt;
	char addr[CR_ADDRESS_STRLEN], pub[2 * CR_PUBKEY_BYTES + 1];
	int x;

	if (eng_args_parse(&a, info_opts, N_INFO_OPTS, 0, argc, argv, &e) !=
	    XU_OK)
		return usage_error(e.msg);
	if (a.help) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	x = eng_cli_keypair(&a, &kp, &e);
	if (x == ENG_EXIT_USAGE)
		return usage_error(e.msg);
	if (x != ENG_EXIT_OK) {
		fprintf(stderr, "xrpse key: %s\n", e.msg);
		return x;
	}

	cr_account_id_of(&id, &kp.pub);
	cr_address_encode(addr, &id);
	xu_hex_encode(pub, sizeof(pub), kp.pub.b, CR_PUBKEY_BYTES);
	kt = kp.type;
	cr_keypair_clear(&kp);

	json_t *o = json_object();
	if (o) {
		json_object_set_new(o, "address", json_string(addr));
		json_object_set_new(o, "public_key", json_string(pub));
		json_object_set_new(o, "key_type",
				    json_string(cr_key_type_name(kt)));
	}
	return eng_cli_print_json("key", o, ENG_EXIT_OK);
}

int eng_cli_key(int argc, char **argv)
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
	if (!strcmp(argv[0], "info"))
		return key_info(argc - 1, argv + 1);
	return usage_error("unknown subcommand (expected: info)");
}
