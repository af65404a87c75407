/* Helpers shared by the xrpse commands: the key pair of --seed /
 * --seed-file / --key-type, and JSON on stdout. */
#include "src/cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/sign.h"

int eng_cli_print_json(const char *cmd, json_t *obj, int status)
{
	char *s =
	    obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(obj);
	if (!s) {
		fprintf(stderr, "xrpse %s: out of memory\n", cmd);
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? status : 1;
}

int eng_cli_keypair(const struct eng_args *a, struct cr_keypair *kp,
		    struct xu_err *err)
{
	const char *kts = eng_args_get(a, "key-type");
	enum cr_key_type kt = 0;
	char seed[128];
	enum xu_code rc;

	if (kts && !cr_key_type_parse(&kt, kts)) {
		xu_fail(err, XU_EINVAL, 0,
			"--key-type must be ed25519 or secp256k1");
		return ENG_EXIT_USAGE;
	}
	if (cr_init(err) != XU_OK)
		return ENG_EXIT_FAIL;
	/* A missing or unreadable seed file is a bad argument too. */
	if (eng_args_secret(a, "seed", "seed-file", seed, sizeof(seed), err) !=
	    XU_OK)
		return ENG_EXIT_USAGE;
	rc = cr_keypair_from_seed_text(kp, seed, (int)kt, err);
	sodium_memzero(seed, sizeof(seed));
	if (rc == XU_OK)
		return ENG_EXIT_OK;
	return xu_code_is_input(rc) ? ENG_EXIT_USAGE : ENG_EXIT_FAIL;
}
