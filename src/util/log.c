/* The log sink (see log.h): formatted in a local buffer, then written with
 * one write(2) so lines from two threads never interleave.
 *
 * Messages carry text from outside (a peer's reply, a connector's error,
 * rippled's message): every control character of the message is written
 * escaped (\n, \r, \t, \xHH), so no input can end a line and forge the
 * next one (a fake "**BROKEN**" alert), and a line is cut at
 * XU_LOG_LINE_MAX bytes with a trailing "..." so no input can flood the log
 * with one line (docs/risks.md#log-injection). */
#include "src/util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = XU_LOG_INFO;

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "UNUSUAL",
					  "**BROKEN**"};

void xu_log_set_level(enum xu_log_level level)
{
	atomic_store(&min_level, (int)level);
}

enum xu_log_level xu_log_get_level(void)
{
	return (enum xu_log_level)atomic_load(&min_level);
}

bool xu_log_level_parse(enum xu_log_level *level, const char *name)
{
	static const struct {
		const char *name;
		enum xu_log_level level;
	} names[] = {
	    {"trace", XU_LOG_TRACE},  {"debug", XU_LOG_DEBUG},
	    {"info", XU_LOG_INFO},    {"unusual", XU_LOG_UNUSUAL},
	    {"warn", XU_LOG_UNUSUAL}, {"broken", XU_LOG_BROKEN},
	    {"error", XU_LOG_BROKEN},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*level = names[i].level;
			return true;
		}
	return false;
}

bool xu_log_enabled(enum xu_log_level level)
{
	return (int)level >= atomic_load(&min_level);
}

/* Appends msg to line[*n..cap) with control characters escaped; cuts with
 * "..." when it does not fit (cap leaves room for the newline). */
static void append_escaped(char *line, size_t *n, size_t cap, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t at = *n;

	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		char esc[4];
		size_t k = 0;

		if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[k++] = '\\';
			esc[k++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[*p >> 4];
			esc[k++] = hex[*p & 15];
		} else {
			esc[k++] = (char)*p;
		}
		if (at + k > cap - 3) {
			memcpy(line + at, "...", 3);
			at += 3;
			break;
		}
		memcpy(line + at, esc, k);
		at += k;
	}
	*n = at;
}

void xu_log(enum xu_log_level level, const char *subsystem, const char *fmt,
	    ...)
{
	char line[XU_LOG_LINE_MAX + 1], msg[XU_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;
	va_list ap;

	if (!xu_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	r = snprintf(
	    line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], subsystem);
	n = r < 0 ? 0 : (size_t)r;
	if (n > XU_LOG_LINE_MAX / 2)
		n = XU_LOG_LINE_MAX / 2; /* an absurd subsystem name */
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		msg[0] = '\0';
	else if ((size_t)r >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4); /* cut by vsnprintf */
	append_escaped(line, &n, XU_LOG_LINE_MAX, msg);
	line[n++] = '\n';
	/* One write: whole lines even with two threads logging. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
