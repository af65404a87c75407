/* Command-line entry points: one function per top-level command, each
 * taking the arguments after the command name.  Each returns the process
 * exit status: 0 success, 1 a negative answer (e.g. a claim that does not
 * verify) or a runtime failure, 2 malformed arguments. */
#ifndef XRPSE_SRC_CLI_H
#define XRPSE_SRC_CLI_H

#define ENG_EXIT_OK 0
#define ENG_EXIT_FAIL 1
#define ENG_EXIT_USAGE 2

/* xrpse key ... (src/cli_key.c) */
int eng_cli_key(int argc, char **argv);
/* xrpse claim ... (src/cli_claim.c) */
int eng_cli_claim(int argc, char **argv);
/* xrpse tx ... (src/cli_tx.c) */
int eng_cli_tx(int argc, char **argv);
/* xrpse run ... (src/cli_run.c) */
int eng_cli_run(int argc, char **argv);

#endif /* XRPSE_SRC_CLI_H */
