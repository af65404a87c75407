/* Error codes and the fixed-size error struct shared by every module.
 *
 * Fallible functions return an enum xu_code and fill an optional (nullable)
 * struct xu_err as their last argument.  The numeric range of a code decides
 * the policy: 100s are bad input (no retry, 4xx), 200s are transient (back
 * off, 502/503), 300s mean something is broken (operator, 500).  Programmer
 * errors are not codes: they hit XU_ASSERT, which is always compiled in and
 * aborts.  Outside input is never asserted on.
 */
#ifndef XRPSE_UTIL_ERR_H
#define XRPSE_UTIL_ERR_H

#include <stdbool.h>
#include <stddef.h>

#define XU_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define XU_WARN_UNUSED __attribute__((warn_unused_result))
#define XU_NORETURN __attribute__((noreturn))

enum xu_code {
	XU_OK = 0,
	/* Bad input: the caller's fault, never retried. */
	XU_EINVAL = 100,
	XU_EPARSE = 101,
	XU_ERANGE = 102,
	XU_ENOTFOUND = 103,
	XU_ECONFLICT = 104,
	XU_EBADSIG = 105,
	XU_ETOOBIG = 106,
	XU_EEXIST = 107,
	/* Transient: back off and try again. */
	XU_EIO = 200,
	XU_ETIMEOUT = 201,
	XU_EUNAVAIL = 202,
	XU_ELEDGER_RETRY = 203,
	XU_EBUSY = 204,
	/* Broken: an operator must look. */
	XU_ENOMEM = 300,
	XU_ESTORE = 301,
	XU_EINTERNAL = 302,
};

/* Fixed size, no allocation.  msg never holds secrets. */
struct xu_err {
	enum xu_code code;
	int detail; /* errno, HTTP status or ledger result, when relevant */
	char msg[200];
};

/* Fills *e (when e != NULL) with code, detail and the formatted message,
 * and returns code, so that callers can write
 * `return xu_fail(e, XU_EPARSE, 0, "bad %s", what);`. */
enum xu_code xu_fail(struct xu_err *e, enum xu_code code, int detail,
		     const char *fmt, ...) XU_PRINTF(4, 5);

/* Prefixes e->msg with "<prefix>: " (no-op when e is NULL) and returns
 * e->code, or `code` when e is NULL. */
enum xu_code xu_wrap(struct xu_err *e, enum xu_code code, const char *prefix);

/* Returns the short name of a code ("EINVAL"...); never NULL. */
const char *xu_code_name(enum xu_code code);

/* True for the 100s: bad input that must not be retried. */
bool xu_code_is_input(enum xu_code code);
/* True for the 200s: transient failures worth retrying. */
bool xu_code_is_transient(enum xu_code code);

/* Aborts with file/line and message.  Used by XU_ASSERT. */
XU_NORETURN void xu_abort(const char *file, int line, const char *what);

/* Always compiled in: a programmer error aborts loudly. */
#define XU_ASSERT(cond)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			xu_abort(__FILE__, __LINE__, #cond);                   \
	} while (0)
/* A place the code never reaches (a programmer error): aborts with msg. */
#define XU_UNREACHABLE(msg) xu_abort(__FILE__, __LINE__, msg)

#endif /* XRPSE_UTIL_ERR_H */
