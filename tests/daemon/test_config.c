/* Unit tests of `xrpse run` configuration (src/config.c): defaults, flags
 * over XRPSE_* variables, validation messages, loopback rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/config.h"

static const char *const env_names[] = {
    "XRPSE_LISTEN",	  "XRPSE_CONNECTOR_URL",
    "XRPSE_RIPPLED_URL",  "XRPSE_SEED_FILE",
    "XRPSE_DB",		  "XRPSE_KEY_TYPE",
    "XRPSE_NETWORK_ID",	  "XRPSE_LOG_LEVEL",
    "XRPSE_ALLOW_REMOTE",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	return 0;
}

/* Loads argv (NULL-terminated list of strings). */
static enum eng_config_result load(struct eng_config *cfg, struct xu_err *err,
				   const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return eng_config_load(cfg, argc, argv, stdout, err);
}

static void test_config_defaults(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d", NULL),
			 ENG_CONFIG_OK);
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 3000);
	assert_string_equal(c.connector_url, "http://127.0.0.1:7771");
	assert_string_equal(c.rippled_url, "ws://127.0.0.1:6006");
	assert_int_equal(c.key_type, 0);
	assert_int_equal(c.network_id, 0);
	assert_int_equal(c.log_level, XU_LOG_INFO);
	assert_false(c.dev_api);
}

static void test_config_flags_win_over_env(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	setenv("XRPSE_LISTEN", "127.0.0.2:4000", 1);
	setenv("XRPSE_DB", "envdb", 1);
	setenv("XRPSE_SEED_FILE", "envseed", 1);
	setenv("XRPSE_CONNECTOR_URL", "http://127.0.0.1:9999///", 1);
	setenv("XRPSE_NETWORK_ID", "21338", 1);
	setenv("XRPSE_LOG_LEVEL", "debug", 1);
	assert_int_equal(
	    load(&c, &e, "--db", "flagdb", "--listen", "[::1]:5000", NULL),
	    ENG_CONFIG_OK);
	assert_string_equal(c.db_path, "flagdb");
	assert_string_equal(c.seed_file, "envseed");
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 5000);
	assert_string_equal(c.connector_url, "http://127.0.0.1:9999");
	assert_int_equal(c.network_id, 21338);
	assert_int_equal(c.log_level, XU_LOG_DEBUG);
	clear_env(NULL);
}

static void test_config_rejects(void **state)
{
	static const char *const bad[][3] = {
	    {"--listen", "127.0.0.1", "--listen"},
	    {"--listen", "127.0.0.1:65536", "--listen"},
	    {"--listen", ":80", "--listen"},
	    {"--listen", "10.0.0.1:80", "--allow-remote"},
	    {"--connector-url", "ws://x", "--connector-url"},
	    {"--connector-url", "http://", "--connector-url"},
	    {"--connector-url", "http://a b", "--connector-url"},
	    {"--rippled-url", "http://x", "--rippled-url"},
	    {"--key-type", "rsa", "--key-type"},
	    {"--network-id", "4294967296", "--network-id"},
	    {"--network-id", "x", "--network-id"},
	    {"--log-level", "chatty", "--log-level"},
	    {"--dev-cron-ms", "0", "--dev-cron-ms"},
	};
	struct eng_config c;
	struct xu_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
				      bad[i][0], bad[i][1], NULL),
				 ENG_CONFIG_BAD);
		if (!strstr(e.msg, bad[i][2]))
			fail_msg("%s %s: message '%s'", bad[i][0], bad[i][1],
				 e.msg);
	}
	assert_int_equal(load(&c, &e, "--db", "d", NULL), ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--seed-file"));
	assert_int_equal(load(&c, &e, "--seed-file", "s", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--db"));
}

static void test_config_allow_remote(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--listen", "0.0.0.0:3000", "--allow-remote",
			      NULL),
			 ENG_CONFIG_OK);
	assert_true(c.allow_remote);
	setenv("XRPSE_ALLOW_REMOTE", "1", 1);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--listen", "192.0.2.1:3000", NULL),
			 ENG_CONFIG_OK);
	clear_env(NULL);
	assert_true(eng_config_is_loopback("127.0.0.1"));
	assert_true(eng_config_is_loopback("127.1.2.3"));
	assert_true(eng_config_is_loopback("::1"));
	assert_true(eng_config_is_loopback("localhost"));
	assert_false(eng_config_is_loopback("0.0.0.0"));
	assert_false(eng_config_is_loopback("::"));
	assert_false(eng_config_is_loopback("1270.0.0.1"));
}

static void test_config_help(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load(&c, &e, "--help", NULL), ENG_CONFIG_HELP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_config_defaults, clear_env),
	    cmocka_unit_test_setup(test_config_flags_win_over_env, clear_env),
	    cmocka_unit_test_setup(test_config_rejects, clear_env),
	    cmocka_unit_test_setup(test_config_allow_remote, clear_env),
	    cmocka_unit_test_setup(test_config_help, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
