/* Logging: one line per event on stderr, "TIME LEVEL [subsystem] message".
 *
 * Levels (Core Lightning's): trace, debug, info, unusual (the world
 * misbehaved: bad input, a peer or ledger error) and broken (a bug or a
 * state an operator must look at; tests fail on any BROKEN line).  Never pass
 * a secret to these functions.  Usable from every module and thread. */
#ifndef XRPSE_UTIL_LOG_H
#define XRPSE_UTIL_LOG_H

#include <stdbool.h>

#include "src/util/err.h"

enum xu_log_level {
	XU_LOG_TRACE = 0,
	XU_LOG_DEBUG = 1,
	XU_LOG_INFO = 2,
	XU_LOG_UNUSUAL = 3,
	XU_LOG_BROKEN = 4,
};

/* Longest line written, newline excluded: a longer message is cut and
 * ends with "...".  Control characters in a message are written escaped
 * (\n, \xHH), so text from outside can never start a line of its own. */
#define XU_LOG_LINE_MAX 1023

/* Sets the minimum level written (default: info). */
void xu_log_set_level(enum xu_log_level level);
enum xu_log_level xu_log_get_level(void);
/* Parses "trace|debug|info|unusual|broken" (also "warn" = unusual,
 * "error" = broken); false for anything else. */
bool xu_log_level_parse(enum xu_log_level *level,
			const char *name) XU_WARN_UNUSED;
/* True when a message at `level` would be written. */
bool xu_log_enabled(enum xu_log_level level);

/* Writes one line (a trailing newline is added). */
void xu_log(enum xu_log_level level, const char *subsystem, const char *fmt,
	    ...) XU_PRINTF(3, 4);

#define xu_trace(sub, ...) xu_log(XU_LOG_TRACE, sub, __VA_ARGS__)
#define xu_debug(sub, ...) xu_log(XU_LOG_DEBUG, sub, __VA_ARGS__)
#define xu_info(sub, ...) xu_log(XU_LOG_INFO, sub, __VA_ARGS__)
#define xu_unusual(sub, ...) xu_log(XU_LOG_UNUSUAL, sub, __VA_ARGS__)
#define xu_broken(sub, ...) xu_log(XU_LOG_BROKEN, sub, __VA_ARGS__)

#endif /* XRPSE_UTIL_LOG_H */
