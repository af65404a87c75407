/* xrpse tx: placeholder until its issue lands (replaced by the owner). */
#include <stdio.h>

#include "src/cli.h"

int eng_cli_tx(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xrpse tx: not built yet\n");
	return ENG_EXIT_FAIL;
}
