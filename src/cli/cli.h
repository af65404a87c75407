/* Command-line entry points: one function per top-level command, each
 * taking the arguments after the command name.  Each returns the process
 * exit status: 0 success, 1 a negative answer (e.g. a claim that does not
 * verify) or a runtime failure, 2 malformed arguments. */
#ifndef XRPSE_SRC_CLI_H
#define XRPSE_SRC_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "crypto/keys.h"
#include "src/daemon/args.h"
#include "src/util/err.h"

#define ENG_EXIT_OK 0
#define ENG_EXIT_FAIL 1
#define ENG_EXIT_USAGE 2
#define ENG_EXIT_NOANSWER 3 /* no daemon answers on the admin socket */

/* xrpse key ... (src/cli/cli_key.c) */
int eng_cli_key(int argc, char **argv);
/* xrpse claim ... (src/cli/cli_claim.c) */
int eng_cli_claim(int argc, char **argv);
/* xrpse tx ... (src/cli/cli_tx.c) */
int eng_cli_tx(int argc, char **argv);
/* xrpse outbox ... (src/cli/cli_outbox.c) */
int eng_cli_outbox(int argc, char **argv);
/* xrpse import kava ... (src/cli/cli_import.c) */
int eng_cli_import(int argc, char **argv);
/* xrpse run ... (src/cli/cli_run.c) */
int eng_cli_run(int argc, char **argv);

/* xrpse status / accounts / channels / close (src/cli/cli_admin.c): the
 * operator's commands against a running daemon's admin socket. */
int eng_cli_status(int argc, char **argv);
int eng_cli_accounts(int argc, char **argv);
int eng_cli_channels(int argc, char **argv);
int eng_cli_close(int argc, char **argv);
/* xrpse channel close ID [--force] / channel redeem ID, backup PATH,
 * stop (src/cli/cli_admin.c). */
int eng_cli_channel(int argc, char **argv);
int eng_cli_backup(int argc, char **argv);
int eng_cli_stop(int argc, char **argv);

/* The options of the admin commands; pointers borrowed from argv or the
 * environment (path holds a socket path derived from db). */
#define ENG_ADMIN_POS_MAX 4
struct eng_admin_opts {
	const char *socket, *db;
	const char *account; /* --account ID */
	bool human, parked, new_key, help, all_parked, force;
	const char *pos[ENG_ADMIN_POS_MAX];
	size_t npos;
	char path[1024];
};
/* Parses --rpc-socket, --db, -H/--human, --parked, --new-key,
 * --all-parked, --force, --account ID, -h/--help and positional arguments; the socket defaults to XRPSE_RPC_SOCKET, then
 * the --db (or XRPSE_DB) path + ".sock".  Returns ENG_EXIT_OK or
 * ENG_EXIT_USAGE (said on stderr). */
int eng_cli_admin_opts(struct eng_admin_opts *o, const char *cmd, int argc,
		       char **argv);
/* Sends req (TAKEN) to the daemon on o->socket and returns its result in
 * *result (owned): ENG_EXIT_OK; ENG_EXIT_FAIL when the daemon refused
 * (its reason on stderr); ENG_EXIT_USAGE without a socket path;
 * ENG_EXIT_NOANSWER when no daemon answers. */
int eng_cli_admin_call(const char *cmd, const struct eng_admin_opts *o,
		       json_t *req, json_t **result);
/* True when a daemon accepts a connection on path. */
bool eng_cli_admin_answers(const char *path);
/* xrpse outbox [--parked] against the running daemon. */
int eng_cli_outbox_list(const struct eng_admin_opts *o);
/* Prints the array rows as an aligned table: one column per heads[i],
 * its cells the members at paths[i] ("a.b" reaches into an object). */
void eng_cli_print_table(const json_t *rows, const char *const *heads,
			 const char *const *paths, size_t ncols);

/* The key pair of a command's --seed / --seed-file and --key-type options
 * (already parsed into a).  Returns ENG_EXIT_OK with *kp filled (the
 * caller wipes it with cr_keypair_clear); ENG_EXIT_USAGE for a bad
 * argument (a key type other than ed25519/secp256k1, no seed or two, an
 * unreadable seed file, a malformed seed); ENG_EXIT_FAIL when the crypto
 * libraries cannot start or the key cannot be derived.  err says why and
 * never contains the seed, whose text is wiped before this returns. */
int eng_cli_keypair(const struct eng_args *a, struct cr_keypair *kp,
		    struct xu_err *err);

/* Reads the seed file at path (refused when group or others may read or
 * write it) into kp (derived with its implied key type, or key_type when
 * not 0) and seed.  Returns XU_OK or an error whose message names the
 * file but never its content.  The caller wipes both (cr_keypair_clear,
 * cr_seed_clear). */
enum xu_code eng_cli_load_seed(struct cr_keypair *kp, struct cr_seed *seed,
			       const char *path, int key_type,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Prints obj compactly (member order kept) and a newline on stdout, and
 * TAKES obj (decref'd; NULL means out of memory).  Returns `status`, or 1
 * (ENG_EXIT_FAIL) with "xrpse CMD: ..." on stderr when printing fails. */
int eng_cli_print_json(const char *cmd, json_t *obj, int status);

#endif /* XRPSE_SRC_CLI_H */
