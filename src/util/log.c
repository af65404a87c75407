/* The log sink (see log.h): formatted in a local buffer, then written with
 * one write(2) so lines from two threads never interleave. */
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

void xu_log(enum xu_log_level level, const char *subsystem, const char *fmt,
	    ...)
{
	char line[1024];
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
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* cut, keep the newline */
	line[n++] = '\n';
	/* One write: whole lines even with two threads logging. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
