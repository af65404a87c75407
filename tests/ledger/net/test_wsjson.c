/* Unit tests of the JSON readers the rippled client applies to outside
 * input (ledger/net/ws.h): numbers as JSON integers or decimal strings,
 * range checks, wrong types, and the success-envelope accessor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ledger/net/ws.h"

static void test_wsjson_u32(void **state)
{
	json_t *o = json_loads(
	    "{\"a\":7,\"b\":\"42\",\"c\":-1,\"d\":\"-1\",\"e\":4294967295,"
	    "\"f\":4294967296,\"g\":\"4294967296\",\"h\":\"\",\"i\":\"12a\","
	    "\"j\":1.5,\"k\":null,\"l\":\"007\",\"m\":\" 7\"}",
	    0, NULL);
	uint32_t v = 99;

	(void)state;
	assert_non_null(o);
	assert_true(xl_json_u32(o, "a", &v));
	assert_int_equal(v, 7);
	assert_true(xl_json_u32(o, "b", &v));
	assert_int_equal(v, 42);
	assert_true(xl_json_u32(o, "e", &v));
	assert_int_equal(v, UINT32_MAX);
	assert_true(xl_json_u32(o, "l", &v));
	assert_int_equal(v, 7);
	v = 99;
	assert_false(xl_json_u32(o, "c", &v));
	assert_false(xl_json_u32(o, "d", &v));
	assert_false(xl_json_u32(o, "f", &v));
	assert_false(xl_json_u32(o, "g", &v));
	assert_false(xl_json_u32(o, "h", &v));
	assert_false(xl_json_u32(o, "i", &v));
	assert_false(xl_json_u32(o, "j", &v));
	assert_false(xl_json_u32(o, "k", &v));
	assert_false(xl_json_u32(o, "m", &v));
	assert_false(xl_json_u32(o, "missing", &v));
	assert_false(xl_json_u32(NULL, "a", &v));
	assert_int_equal(v, 99); /* untouched on failure */
	json_decref(o);
}

static void test_wsjson_u64(void **state)
{
	json_t *o = json_loads("{\"a\":\"18446744073709551615\","
			       "\"b\":\"18446744073709551616\","
			       "\"c\":\"100000000000000000000\","
			       "\"d\":\"99999999999999999\"}",
			       0, NULL);
	uint64_t v;

	(void)state;
	assert_true(xl_json_u64(o, "a", &v));
	assert_true(v == UINT64_MAX);
	assert_false(xl_json_u64(o, "b", &v));
	assert_false(xl_json_u64(o, "c", &v));
	assert_true(xl_json_u64(o, "d", &v));
	assert_true(v == 99999999999999999ull);
	json_decref(o);
}

static void test_wsjson_str_and_result(void **state)
{
	json_t *ok = json_loads("{\"status\":\"success\",\"result\":{\"x\":1}}",
				0, NULL);
	json_t *err =
	    json_loads("{\"status\":\"error\",\"result\":{}}", 0, NULL);
	json_t *bad =
	    json_loads("{\"status\":\"success\",\"result\":[1]}", 0, NULL);
	json_t *arr = json_loads("[1]", 0, NULL);

	(void)state;
	assert_non_null(xl_ws_result(ok));
	assert_null(xl_ws_result(err));
	assert_null(xl_ws_result(bad));
	assert_null(xl_ws_result(arr));
	assert_null(xl_ws_result(NULL));
	assert_string_equal(xl_json_str(ok, "status"), "success");
	assert_null(xl_json_str(ok, "result"));
	assert_null(xl_json_str(arr, "status"));
	json_decref(ok);
	json_decref(err);
	json_decref(bad);
	json_decref(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wsjson_u32),
	    cmocka_unit_test(test_wsjson_u64),
	    cmocka_unit_test(test_wsjson_str_and_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
