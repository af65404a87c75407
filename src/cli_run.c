/* xrpse run: placeholder until its issue lands (replaced by the owner). */
#include <stdio.h>

#include "src/cli.h"

int eng_cli_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xrpse run: not built yet\n");
	return ENG_EXIT_FAIL;
}
