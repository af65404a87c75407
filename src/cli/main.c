/* xrpse's entry point: dispatches to the command named by argv[1].
 *
 *   xrpse key info      derive an address and public key from a seed
 *   xrpse claim sign    sign a payment-channel claim
 *   xrpse claim verify  verify a payment-channel claim
 *   xrpse tx sign       sign a transaction given as XRPL JSON
 *   xrpse tx decode     decode a transaction blob to XRPL JSON
 *   xrpse status        the running daemon's state (admin socket)
 *   xrpse accounts      its accounts and their channels
 *   xrpse channels      its channel records
 *   xrpse close         close an account's outgoing channel
 *   xrpse channel       close one channel, or redeem on it, by id
 *   xrpse backup        an online copy of its store
 *   xrpse stop          stop it cleanly
 *   xrpse outbox        list calls to the connector; retry a parked one
 *   xrpse import kava   take over Kava's plugin's channels (daemon stopped)
 *   xrpse run           the settlement-engine daemon
 */
#include <stdio.h>
#include <string.h>

#include "src/cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"key", eng_cli_key, "key info: address and public key of a seed"},
    {"claim", eng_cli_claim, "claim sign|verify: payment-channel claims"},
    {"tx", eng_cli_tx, "tx sign|decode: XRPL transactions"},
    {"status", eng_cli_status, "the running daemon's state"},
    {"accounts", eng_cli_accounts, "accounts, pairing and their channels"},
    {"channels", eng_cli_channels, "every channel record, both ways"},
    {"close", eng_cli_close, "close ACCOUNT: its outgoing channel closes"},
    {"channel", eng_cli_channel,
     "channel close ID [--force] | redeem ID: one channel"},
    {"backup", eng_cli_backup, "backup PATH: online copy of the store"},
    {"stop", eng_cli_stop, "stop the running daemon (as SIGTERM)"},
    {"outbox", eng_cli_outbox,
     "outbox [--parked] | retry ID: calls to the connector"},
    {"import", eng_cli_import,
     "import kava: take over Kava's plugin's channels"},
    {"run", eng_cli_run, "run the settlement-engine daemon"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xrpse <command> [options]\n\n"
		   "xrpse is an XRP payment-channel settlement engine "
		   "(Interledger RFC 0038).\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nRun 'xrpse <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ENG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("xrpse %s\n", XRPSE_VERSION);
		return ENG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "xrpse: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return ENG_EXIT_USAGE;
}
