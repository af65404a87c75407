/* Logging: one line per event on stderr, "TIME LEVEL [subsystem] message",
 * or with the JSON format one object per line:
 *
 *   {"time":"2026-12-07T01:02:03.456Z","level":"info","subsystem":"paychan",
 *    "message":"...","account":"alice","channel":"9A3F...","drops":"1000"}
 *
 * (on one line; level in lower case; account, channel and drops only when
 * the call gives them, drops as a decimal string).
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

/* The JSON format's longest line, newline excluded (escapes take room). */
#define XU_LOG_JSON_LINE_MAX 4095

enum xu_log_format {
	XU_LOG_FORMAT_TEXT = 0,
	XU_LOG_FORMAT_JSON = 1,
};

/* Structured fields of one line (xu_logf).  NULL members and drops with
 * has_drops false are left out.  The text format writes the message only
 * (which names them already); the JSON format adds them as keys. */
struct xu_log_fields {
	const char *account;	      /* the connector's account id */
	const unsigned char *channel; /* a 32-byte XRPL channel id */
	unsigned long long drops;     /* an amount of drops */
	bool has_drops;
};

/* Sets the line format (default: text). */
void xu_log_set_format(enum xu_log_format format);
/* Parses "text" or "json"; false for anything else. */
bool xu_log_format_parse(enum xu_log_format *format,
			 const char *name) XU_WARN_UNUSED;

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

/* xu_log with structured fields (f may be NULL). */
void xu_logf(enum xu_log_level level, const char *subsystem,
	     const struct xu_log_fields *f, const char *fmt, ...)
    XU_PRINTF(4, 5);

#define xu_trace(sub, ...) xu_log(XU_LOG_TRACE, sub, __VA_ARGS__)
#define xu_debug(sub, ...) xu_log(XU_LOG_DEBUG, sub, __VA_ARGS__)
#define xu_info(sub, ...) xu_log(XU_LOG_INFO, sub, __VA_ARGS__)
#define xu_unusual(sub, ...) xu_log(XU_LOG_UNUSUAL, sub, __VA_ARGS__)
#define xu_broken(sub, ...) xu_log(XU_LOG_BROKEN, sub, __VA_ARGS__)

#endif /* XRPSE_UTIL_LOG_H */
