/* Unit tests of the log sink (src/util/log.c): text from outside can
 * never start a line of its own, and no message makes a line longer than
 * XU_LOG_LINE_MAX; with the JSON format every line parses (jansson rejects
 * invalid UTF-8 too), whatever bytes the message holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "src/util/log.h"

/* Runs fn's logging with stderr sent to a file and returns what was
 * written (malloc'd, NUL terminated). */
static char *capture(void (*fn)(const void *), const void *arg)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;
	long len;

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn(arg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	len = ftell(f);
	out = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
	assert_non_null(out);
	rewind(f);
	if (len > 0)
		assert_int_equal(fread(out, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return out;
}

static void log_peer_msg(const void *arg)
{
	xu_unusual("peer", "claim_reply from the peer: %s", (const char *)arg);
}

/* Runs one xu_unusual("peer", "claim_reply from the peer: %s", msg) and
 * returns what was written (malloc'd, NUL terminated). */
static char *logged(const char *msg)
{
	return capture(log_peer_msg, msg);
}

static size_t count(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_log_newline_cannot_forge_a_line(void **state)
{
	char *out = logged("ok\n2026-12-06T00:00:00.000Z **BROKEN** [paychan] "
			   "ALERT lost_unredeemed\r\x01\x7f\tend");

	(void)state;
	assert_int_equal(count(out, '\n'), 1);
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_non_null(strstr(out,
			       "UNUSUAL [peer] claim_reply from the peer: "
			       "ok\\n2026-12-06T00:00:00.000Z **BROKEN**"));
	assert_non_null(strstr(out, "lost_unredeemed\\r\\x01\\x7f\\tend\n"));
	free(out);
}

static void test_log_long_line_is_cut(void **state)
{
	size_t big = 5000;
	char *msg = malloc(big + 1), *out;

	(void)state;
	assert_non_null(msg);
	memset(msg, '\n', big); /* each one escapes to two bytes */
	msg[big] = '\0';
	out = logged(msg);
	assert_int_equal(count(out, '\n'), 1);
	assert_true(strlen(out) <= XU_LOG_LINE_MAX + 1);
	assert_non_null(strstr(out, "...\n"));
	free(out);
	memset(msg, 'a', big);
	out = logged(msg);
	assert_true(strlen(out) <= XU_LOG_LINE_MAX + 1);
	assert_non_null(strstr(out, "aaa...\n"));
	free(out);
	free(msg);
}

static void test_log_plain_text_unchanged(void **state)
{
	char *out =
	    logged("100 drops on channel ABCD, reason \"not_increasing\"");

	(void)state;
	assert_non_null(strstr(out,
			       "claim_reply from the peer: 100 drops on "
			       "channel ABCD, reason \"not_increasing\"\n"));
	free(out);
}

/* ---- --log-format json ------------------------------------------------ */

static const unsigned char chan_id[32] = {0x9a, 0x3f, 1, 2, 3, 4,
					  5,	6,    7, 8, 9, 10};

static void log_json_msg(const void *arg)
{
	xu_unusual("peer", "claim_reply: %s", (const char *)arg);
}

static void log_json_fields(const void *arg)
{
	struct xu_log_fields f = {.account = arg,
				  .channel = chan_id,
				  .drops = 18446744073709551615ull,
				  .has_drops = true};

	xu_logf(XU_LOG_INFO, "paychan", &f, "%s: redeemed", (const char *)arg);
	xu_broken("outbox", "credit PARKED");
	xu_logf(XU_LOG_INFO, "paychan", NULL, "no fields");
}

/* Parses out as one JSON object per line, checking the keys every line
 * has; returns the objects as an array (owned). */
static json_t *json_lines(const char *out)
{
	json_t *all = json_array();
	const char *p = out;

	assert_true(*p);
	while (*p) {
		const char *nl = strchr(p, '\n');
		json_error_t je;
		json_t *o;

		assert_non_null(nl);
		o = json_loadb(p, (size_t)(nl - p), 0, &je);
		if (!o)
			fail_msg("not JSON (%s): %.*s", je.text, (int)(nl - p),
				 p);
		assert_true(json_is_object(o));
		assert_true(json_is_string(json_object_get(o, "time")));
		assert_true(json_is_string(json_object_get(o, "level")));
		assert_true(json_is_string(json_object_get(o, "subsystem")));
		assert_true(json_is_string(json_object_get(o, "message")));
		assert_true(nl - p <= XU_LOG_JSON_LINE_MAX);
		json_array_append_new(all, o);
		p = nl + 1;
	}
	return all;
}

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return v ? json_string_value(v) : NULL;
}

static void test_log_json_escapes_everything(void **state)
{
	static const char msg[] = "q\"b\\s/\n2026 **BROKEN**\r\t\x01\x1f\x7f"
				  " ok \xc3\xa9 \xf0\x9f\x98\x80";
	char *out;
	json_t *all;
	char want[128];

	(void)state;
	xu_log_set_format(XU_LOG_FORMAT_JSON);
	out = capture(log_json_msg, msg);
	all = json_lines(out);
	assert_int_equal(json_array_size(all), 1);
	snprintf(want, sizeof(want), "claim_reply: %s", msg);
	assert_string_equal(str(json_array_get(all, 0), "message"), want);
	assert_string_equal(str(json_array_get(all, 0), "level"), "unusual");
	assert_string_equal(str(json_array_get(all, 0), "subsystem"), "peer");
	assert_null(json_object_get(json_array_get(all, 0), "account"));
	json_decref(all);
	free(out);
	xu_log_set_format(XU_LOG_FORMAT_TEXT);
}

static void test_log_json_invalid_utf8(void **state)
{
	/* lone bytes, a bad continuation, a surrogate, above U+10FFFF, an
	 * overlong '/', a sequence cut by the end */
	static const char msg[] = "a\xff\xfe b\xc3( c\xed\xa0\x80 "
				  "d\xf4\x90\x80\x80 e\xc0\xaf f\xe2\x82";
	static const char want[] =
	    "claim_reply: a\xef\xbf\xbd\xef\xbf\xbd b\xef\xbf\xbd( "
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	    "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	    "e\xef\xbf\xbd\xef\xbf\xbd f\xef\xbf\xbd\xef\xbf\xbd";
	char *out;
	json_t *all;

	(void)state;
	xu_log_set_format(XU_LOG_FORMAT_JSON);
	out = capture(log_json_msg, msg);
	all = json_lines(out);
	assert_string_equal(str(json_array_get(all, 0), "message"), want);
	json_decref(all);
	free(out);
	xu_log_set_format(XU_LOG_FORMAT_TEXT);
}

static void test_log_json_fields(void **state)
{
	char *out;
	json_t *all, *o;

	(void)state;
	xu_log_set_format(XU_LOG_FORMAT_JSON);
	out = capture(log_json_fields, "alice \"the\" \x01peer");
	all = json_lines(out);
	assert_int_equal(json_array_size(all), 3);
	o = json_array_get(all, 0);
	assert_string_equal(str(o, "account"), "alice \"the\" \x01peer");
	assert_string_equal(str(o, "channel"),
			    "9A3F0102030405060708090A0000000000000000000000000"
			    "000000000000000");
	assert_string_equal(str(o, "drops"), "18446744073709551615");
	assert_string_equal(str(o, "level"), "info");
	assert_string_equal(str(json_array_get(all, 1), "level"), "broken");
	assert_null(json_object_get(json_array_get(all, 2), "drops"));
	json_decref(all);
	free(out);
	xu_log_set_format(XU_LOG_FORMAT_TEXT);
}

static void test_log_json_long_line_is_cut(void **state)
{
	size_t big = 5000;
	char *msg = malloc(big + 1), *out;
	json_t *all;

	(void)state;
	assert_non_null(msg);
	xu_log_set_format(XU_LOG_FORMAT_JSON);
	for (int round = 0; round < 3; round++) {
		/* 6 bytes per escape, 2, or an invalid byte (6) */
		memset(msg,
		       round == 0   ? '\x01'
		       : round == 1 ? '"'
				    : '\xff',
		       big);
		msg[big] = '\0';
		out = capture(log_json_msg, msg);
		all = json_lines(out);
		assert_int_equal(json_array_size(all), 1);
		assert_non_null(
		    strstr(str(json_array_get(all, 0), "message"), "..."));
		json_decref(all);
		free(out);
	}
	free(msg);
	xu_log_set_format(XU_LOG_FORMAT_TEXT);
}

static void test_log_format_parse(void **state)
{
	enum xu_log_format f;

	(void)state;
	assert_true(xu_log_format_parse(&f, "json"));
	assert_int_equal(f, XU_LOG_FORMAT_JSON);
	assert_true(xu_log_format_parse(&f, "text"));
	assert_int_equal(f, XU_LOG_FORMAT_TEXT);
	assert_false(xu_log_format_parse(&f, "JSON"));
	assert_false(xu_log_format_parse(&f, "logfmt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_newline_cannot_forge_a_line),
	    cmocka_unit_test(test_log_long_line_is_cut),
	    cmocka_unit_test(test_log_plain_text_unchanged),
	    cmocka_unit_test(test_log_json_escapes_everything),
	    cmocka_unit_test(test_log_json_invalid_utf8),
	    cmocka_unit_test(test_log_json_fields),
	    cmocka_unit_test(test_log_json_long_line_is_cut),
	    cmocka_unit_test(test_log_format_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
