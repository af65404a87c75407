/* Names of the journal states as persisted (see journal.h). */
#include "ledger/net/journal.h"

#include <string.h>

const char *xl_jstate_name(enum xl_jstate st)
{
	switch (st) {
	case XL_JSTATE_PENDING:
		return "submitted-pending";
	case XL_JSTATE_VALIDATED:
		return "validated";
	case XL_JSTATE_FAILED:
		return "failed";
	}
	return "?";
}

bool xl_jstate_parse(enum xl_jstate *st, const char *s)
{
	if (!s)
		return false;
	if (strcmp(s, "submitted-pending") == 0)
		*st = XL_JSTATE_PENDING;
	else if (strcmp(s, "validated") == 0)
		*st = XL_JSTATE_VALIDATED;
	else if (strcmp(s, "failed") == 0)
		*st = XL_JSTATE_FAILED;
	else
		return false;
	return true;
}
