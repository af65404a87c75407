/* Unit tests of the log sink (src/util/log.c): text from outside can
 * never start a line of its own, and no message makes a line longer than
 * XU_LOG_LINE_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/util/log.h"

/* Runs one xu_unusual("peer", "%s", msg) with stderr sent to a file and
 * returns what was written (malloc'd, NUL terminated). */
static char *logged(const char *msg)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;
	long len;

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	xu_unusual("peer", "claim_reply from the peer: %s", msg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	len = ftell(f);
	assert_true(len > 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	rewind(f);
	assert_int_equal(fread(out, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return out;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_newline_cannot_forge_a_line),
	    cmocka_unit_test(test_log_long_line_is_cut),
	    cmocka_unit_test(test_log_plain_text_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
