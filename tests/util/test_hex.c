/* Unit tests for src/util/hex.c and src/util/err.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/util/err.h"
#include "src/util/hex.h"

static void test_util_hex_roundtrip(void **state)
{
	uint8_t in[256], out[256];
	char hex[513];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	xu_hex_encode(hex, sizeof(hex), in, sizeof(in));
	assert_int_equal(strlen(hex), 512);
	assert_string_equal(strncmp(hex, "000102", 6) == 0 ? "ok" : hex, "ok");
	assert_int_equal(xu_hex_decode(out, sizeof(out), &n, hex, 512, NULL),
			 XU_OK);
	assert_int_equal(n, 256);
	assert_memory_equal(in, out, 256);
}

static void test_util_hex_case_and_errors(void **state)
{
	uint8_t out[4];
	size_t n = 99;
	struct xu_err e;

	(void)state;
	assert_int_equal(xu_hex_decode(out, 4, &n, "aBcD", 4, NULL), XU_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
	assert_int_equal(xu_hex_decode(out, 4, &n, "abc", 3, &e), XU_EPARSE);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "odd"));
	assert_int_equal(xu_hex_decode(out, 4, &n, "zz", 2, &e), XU_EPARSE);
	assert_int_equal(xu_hex_decode(out, 1, &n, "0000", 4, &e), XU_ETOOBIG);
	assert_int_equal(xu_hex_decode_exact(out, 2, "00", &e), XU_EPARSE);
	assert_int_equal(xu_hex_decode_exact(out, 1, "7f", &e), XU_OK);
	assert_int_equal(out[0], 0x7f);
}

static void test_util_err_fail_and_wrap(void **state)
{
	struct xu_err e;

	(void)state;
	assert_int_equal(xu_fail(NULL, XU_EIO, 5, "x"), XU_EIO);
	assert_int_equal(xu_fail(&e, XU_EPARSE, 7, "bad %d", 3), XU_EPARSE);
	assert_int_equal(e.detail, 7);
	assert_string_equal(e.msg, "bad 3");
	assert_int_equal(xu_wrap(&e, XU_EINVAL, "seed"), XU_EPARSE);
	assert_string_equal(e.msg, "seed: bad 3");
	assert_true(xu_code_is_input(XU_EBADSIG));
	assert_false(xu_code_is_input(XU_ETIMEOUT));
	assert_true(xu_code_is_transient(XU_ETIMEOUT));
	assert_string_equal(xu_code_name(XU_ESTORE), "ESTORE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_util_hex_roundtrip),
	    cmocka_unit_test(test_util_hex_case_and_errors),
	    cmocka_unit_test(test_util_err_fail_and_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
