/* Command-line entry points: one function per top-level command, each
 * taking the arguments after the command name.  Each returns the process
 * exit status: 0 success, 1 a negative answer (e.g. a claim that does not
 * verify) or a runtime failure, 2 malformed arguments. */
#ifndef XRPSE_SRC_CLI_H
#define XRPSE_SRC_CLI_H

#include <jansson.h>

#include "crypto/keys.h"
#include "src/daemon/args.h"
#include "src/util/err.h"

#define ENG_EXIT_OK 0
#define ENG_EXIT_FAIL 1
#define ENG_EXIT_USAGE 2

/* xrpse key ... (src/cli/cli_key.c) */
int eng_cli_key(int argc, char **argv);
/* xrpse claim ... (src/cli/cli_claim.c) */
int eng_cli_claim(int argc, char **argv);
/* xrpse tx ... (src/cli/cli_tx.c) */
int eng_cli_tx(int argc, char **argv);
/* xrpse outbox ... (src/cli/cli_outbox.c) */
int eng_cli_outbox(int argc, char **argv);
/* xrpse run ... (src/cli/cli_run.c) */
int eng_cli_run(int argc, char **argv);

/* The key pair of a command's --seed / --seed-file and --key-type options
 * (already parsed into a).  Returns ENG_EXIT_OK with *kp filled (the
 * caller wipes it with cr_keypair_clear); ENG_EXIT_USAGE for a bad
 * argument (a key type other than ed25519/secp256k1, no seed or two, an
 * unreadable seed file, a malformed seed); ENG_EXIT_FAIL when the crypto
 * libraries cannot start or the key cannot be derived.  err says why and
 * never contains the seed, whose text is wiped before this returns. */
int eng_cli_keypair(const struct eng_args *a, struct cr_keypair *kp,
		    struct xu_err *err);

/* Prints obj compactly (member order kept) and a newline on stdout, and
 * TAKES obj (decref'd; NULL means out of memory).  Returns `status`, or 1
 * (ENG_EXIT_FAIL) with "xrpse CMD: ..." on stderr when printing fails. */
int eng_cli_print_json(const char *cmd, json_t *obj, int status);

#endif /* XRPSE_SRC_CLI_H */
