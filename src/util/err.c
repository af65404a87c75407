/* Error struct helpers and the always-on assertion (see err.h). */
#include "src/util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum xu_code xu_fail(struct xu_err *e, enum xu_code code, int detail,
		     const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	e->detail = detail;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

enum xu_code xu_wrap(struct xu_err *e, enum xu_code code, const char *prefix)
{
	char tmp[sizeof(e->msg)];
	size_t pl;

	if (!e)
		return code;
	/* prefix ": " msg, cut to fit; built by hand so that the compiler
	 * cannot complain about a truncation we intend. */
	pl = strnlen(prefix, sizeof(tmp) - 3);
	memcpy(tmp, prefix, pl);
	tmp[pl] = ':';
	tmp[pl + 1] = ' ';
	snprintf(tmp + pl + 2, sizeof(tmp) - pl - 2, "%.*s",
		 (int)(sizeof(tmp) - pl - 3), e->msg);
	memcpy(e->msg, tmp, sizeof(tmp));
	return e->code;
}

const char *xu_code_name(enum xu_code code)
{
	switch (code) {
	case XU_OK:
		return "OK";
	case XU_EINVAL:
		return "EINVAL";
	case XU_EPARSE:
		return "EPARSE";
	case XU_ERANGE:
		return "ERANGE";
	case XU_ENOTFOUND:
		return "ENOTFOUND";
	case XU_ECONFLICT:
		return "ECONFLICT";
	case XU_EBADSIG:
		return "EBADSIG";
	case XU_ETOOBIG:
		return "ETOOBIG";
	case XU_EEXIST:
		return "EEXIST";
	case XU_EIO:
		return "EIO";
	case XU_ETIMEOUT:
		return "ETIMEOUT";
	case XU_EUNAVAIL:
		return "EUNAVAIL";
	case XU_ELEDGER_RETRY:
		return "ELEDGER_RETRY";
	case XU_EBUSY:
		return "EBUSY";
	case XU_ENOMEM:
		return "ENOMEM";
	case XU_ESTORE:
		return "ESTORE";
	case XU_EINTERNAL:
		return "EINTERNAL";
	}
	return "UNKNOWN";
}

bool xu_code_is_input(enum xu_code code)
{
	return code >= 100 && code < 200;
}

bool xu_code_is_transient(enum xu_code code)
{
	return code >= 200 && code < 300;
}

void xu_abort(const char *file, int line, const char *what)
{
	fprintf(stderr, "**BROKEN** %s:%d: assertion failed: %s\n", file, line,
		what);
	fflush(stderr);
	abort();
}
