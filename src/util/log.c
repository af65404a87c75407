/* The log sink (see log.h): formatted in a local buffer, then written with
 * one write(2) so lines from two threads never interleave.
 *
 * Messages carry text from outside (a peer's reply, a connector's error,
 * rippled's message): every control character of the message is written
 * escaped (\n, \r, \t, \xHH), so no input can end a line and forge the
 * next one (a fake "**BROKEN**" alert), and a line is cut at
 * XU_LOG_LINE_MAX bytes with a trailing "..." so no input can flood the log
 * with one line (docs/risks.md#log-injection).
 *
 * The JSON format (--log-format json) writes one object per line for log
 * collectors.  Every string is escaped as JSON requires (quote, backslash,
 * every control character as \uXXXX or its short form) and bytes that are
 * not valid UTF-8 (a peer's reply may hold anything) become U+FFFD, so each
 * line parses; a message too long for the line is cut with "...". */
#include "src/util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = XU_LOG_INFO;
static atomic_int log_format = XU_LOG_FORMAT_TEXT;

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "UNUSUAL",
					  "**BROKEN**"};
static const char *const json_levels[] = {"trace", "debug", "info", "unusual",
					  "broken"};

void xu_log_set_format(enum xu_log_format format)
{
	atomic_store(&log_format, (int)format);
}

bool xu_log_format_parse(enum xu_log_format *format, const char *name)
{
	if (!strcmp(name, "text"))
		*format = XU_LOG_FORMAT_TEXT;
	else if (!strcmp(name, "json"))
		*format = XU_LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

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

/* Appends esc[0..k) at line[*at..cap) keeping room for "..."; when it
 * does not fit, appends "..." instead and returns false. */
static bool put(char *line, size_t *at, size_t cap, const char *esc, size_t k)
{
	if (*at + k > cap - 3) {
		memcpy(line + *at, "...", 3);
		*at += 3;
		return false;
	}
	memcpy(line + *at, esc, k);
	*at += k;
	return true;
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
		if (!put(line, &at, cap, esc, k))
			break;
	}
	*n = at;
}

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 when p
 * starts none (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Appends s as the inside of a JSON string to line[*n..cap); cuts with
 * "..." when it does not fit. */
static void append_json(char *line, size_t *n, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t at = *n;

	while (*p) {
		char esc[8];
		size_t k = 0, len = 1;

		if (*p == '"' || *p == '\\') {
			esc[k++] = '\\';
			esc[k++] = (char)*p;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[k++] = '\\';
			esc[k++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(esc, "\\u00", 4);
			k = 4;
			esc[k++] = hex[*p >> 4];
			esc[k++] = hex[*p & 15];
		} else if ((len = utf8_len(p)) == 0) {
			memcpy(esc, "\\ufffd", 6);
			k = 6;
			len = 1;
		} else {
			memcpy(esc, p, len);
			k = len;
		}
		if (!put(line, &at, cap, esc, k))
			break;
		p += len;
	}
	*n = at;
}

/* Appends `"key":"` + s escaped + `"` when it fits in cap. */
static void append_json_key(char *line, size_t *n, size_t cap, const char *key,
			    const char *s)
{
	size_t at = *n, klen = strlen(key);

	if (at + klen + 8 > cap)
		return;
	line[at++] = ',';
	line[at++] = '"';
	memcpy(line + at, key, klen);
	at += klen;
	memcpy(line + at, "\":\"", 3);
	at += 3;
	append_json(line, &at, cap - 1, s);
	line[at++] = '"';
	*n = at;
}

/* The structured fields of f as JSON keys (",\"account\":\"...\"..."). */
static void json_fields(char *out, size_t *n, size_t cap,
			const struct xu_log_fields *f)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[65];

	if (!f)
		return;
	if (f->account)
		append_json_key(out, n, cap, "account", f->account);
	if (f->channel) {
		for (size_t i = 0; i < 32; i++) {
			buf[2 * i] = hex[f->channel[i] >> 4];
			buf[2 * i + 1] = hex[f->channel[i] & 15];
		}
		buf[64] = '\0';
		append_json_key(out, n, cap, "channel", buf);
	}
	if (f->has_drops) {
		snprintf(buf, sizeof(buf), "%llu", f->drops);
		append_json_key(out, n, cap, "drops", buf);
	}
}

static void json_line(enum xu_log_level level, const char *subsystem,
		      const struct xu_log_fields *f, const char *stamp,
		      const char *msg)
{
	char line[XU_LOG_JSON_LINE_MAX + 1], fields[512];
	size_t n = 0, nf = 0;
	int r;

	json_fields(fields, &nf, sizeof(fields), f);
	r = snprintf(line, sizeof(line),
		     "{\"time\":\"%s\",\"level\":\"%s\",\"subsystem\":\"",
		     stamp, json_levels[level]);
	n = r < 0 ? 0 : (size_t)r;
	append_json(line, &n, 256, subsystem);
	memcpy(line + n, "\",\"message\":\"", 13);
	n += 13;
	/* Room left for the fields, `"}` and the newline. */
	append_json(line, &n, sizeof(line) - nf - 3, msg);
	line[n++] = '"';
	memcpy(line + n, fields, nf);
	n += nf;
	line[n++] = '}';
	line[n++] = '\n';
	/* One write: whole lines even with two threads logging. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static void text_line(enum xu_log_level level, const char *subsystem,
		      const char *stamp, const char *msg)
{
	char line[XU_LOG_LINE_MAX + 1];
	size_t n;
	int r;

	r = snprintf(line, sizeof(line), "%s %s [%s] ", stamp,
		     level_names[level], subsystem);
	n = r < 0 ? 0 : (size_t)r;
	if (n > XU_LOG_LINE_MAX / 2)
		n = XU_LOG_LINE_MAX / 2; /* an absurd subsystem name */
	append_escaped(line, &n, XU_LOG_LINE_MAX, msg);
	line[n++] = '\n';
	/* One write: whole lines even with two threads logging. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static void emit(enum xu_log_level level, const char *subsystem,
		 const struct xu_log_fields *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void emit(enum xu_log_level level, const char *subsystem,
		 const struct xu_log_fields *f, const char *fmt, va_list ap)
{
	char msg[XU_LOG_LINE_MAX], stamp[64];
	struct timespec ts;
	struct tm tm;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (r < 0)
		msg[0] = '\0';
	else if ((size_t)r >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4); /* cut by vsnprintf */
	if (atomic_load(&log_format) == XU_LOG_FORMAT_JSON)
		json_line(level, subsystem, f, stamp, msg);
	else
		text_line(level, subsystem, stamp, msg);
}

void xu_log(enum xu_log_level level, const char *subsystem, const char *fmt,
	    ...)
{
	va_list ap;

	if (!xu_log_enabled(level))
		return;
	va_start(ap, fmt);
	emit(level, subsystem, NULL, fmt, ap);
	va_end(ap);
}

void xu_logf(enum xu_log_level level, const char *subsystem,
	     const struct xu_log_fields *f, const char *fmt, ...)
{
	va_list ap;

	if (!xu_log_enabled(level))
		return;
	va_start(ap, fmt);
	emit(level, subsystem, f, fmt, ap);
	va_end(ap);
}
