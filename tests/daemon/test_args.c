/* Unit tests of the shared option parser (src/daemon/args.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/daemon/args.h"

static const struct eng_opt opts[] = {
    {"seed", "SEED", "family seed"},
    {"amount", "DROPS", "amount in drops"},
    {"verbose", NULL, "a flag"},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static enum xu_code run(struct eng_args *a, size_t max_pos, int argc,
			const char **argv, struct xu_err *e)
{
	return eng_args_parse(a, opts, NOPTS, max_pos, argc, (char **)argv, e);
}

static void test_cliargs_forms(void **state)
{
	(void)state;
	struct eng_args a;
	struct xu_err e;
	const char *v[] = {"--seed", "sX", "--amount=12", "--verbose"};

	assert_int_equal(run(&a, 0, 4, v, &e), XU_OK);
	assert_false(a.help);
	assert_string_equal(eng_args_get(&a, "seed"), "sX");
	assert_string_equal(eng_args_get(&a, "amount"), "12");
	assert_true(eng_args_has(&a, "verbose"));
	assert_string_equal(eng_args_get(&a, "verbose"), "");
	assert_int_equal(a.npos, 0);

	const char *w[] = {"--amount="};
	assert_int_equal(run(&a, 0, 1, w, &e), XU_OK);
	assert_string_equal(eng_args_get(&a, "amount"), "");
	assert_null(eng_args_get(&a, "seed"));
	assert_false(eng_args_has(&a, "verbose"));
	const char *val;
	assert_int_equal(eng_args_require(&a, "seed", &val, &e), XU_EINVAL);
	assert_null(val);
	assert_non_null(strstr(e.msg, "--seed"));
	assert_int_equal(eng_args_require(&a, "amount", &val, NULL), XU_OK);
	assert_string_equal(val, "");
}

static void test_cliargs_help(void **state)
{
	(void)state;
	struct eng_args a;
	const char *v[] = {"--bogus", "--help"};
	const char *w[] = {"-h"};
	const char *x[] = {"--", "--help"};

	assert_int_equal(run(&a, 0, 2, v, NULL), XU_OK);
	assert_true(a.help);
	assert_int_equal(run(&a, 0, 1, w, NULL), XU_OK);
	assert_true(a.help);
	/* After "--", --help is positional. */
	assert_int_equal(run(&a, 1, 2, x, NULL), XU_OK);
	assert_false(a.help);
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "--help");
}

static void expect_fail(size_t max_pos, int argc, const char **argv,
			const char *needle)
{
	struct eng_args a;
	struct xu_err e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(run(&a, max_pos, argc, argv, &e), XU_EINVAL);
	assert_int_equal(e.code, XU_EINVAL);
	if (!strstr(e.msg, needle))
		fail_msg("'%s' lacks '%s'", e.msg, needle);
}

static void test_cliargs_errors(void **state)
{
	(void)state;
	const char *unknown[] = {"--nope", "1"};
	const char *unknown_eq[] = {"--nope=sSECRETVALUE"};
	const char *missing[] = {"--seed"};
	const char *missing2[] = {"--seed", "--amount", "1"};
	const char *twice[] = {"--seed", "a", "--seed=b"};
	const char *flagval[] = {"--verbose=yes"};
	const char *pos[] = {"sSECRETVALUE"};
	const char *shortopt[] = {"-x"};

	expect_fail(0, 2, unknown, "unknown option '--nope'");
	expect_fail(0, 1, unknown_eq, "unknown option '--nope'");
	expect_fail(0, 1, missing, "--seed needs a value");
	expect_fail(0, 3, missing2, "--seed needs a value");
	expect_fail(0, 3, twice, "--seed given more than once");
	expect_fail(0, 1, flagval, "--verbose takes no value");
	expect_fail(0, 1, pos, "unexpected argument");
	expect_fail(0, 1, shortopt, "unknown option");
}

/* Values never appear in messages: they may be seeds. */
static void test_cliargs_no_echo(void **state)
{
	(void)state;
	const char *cases[][2] = {
	    {"--nope=sSECRETVALUE", NULL},
	    {"sSECRETVALUE", NULL},
	    {"--sSECRETVALUE", NULL},
	    {"-sSECRETVALUE", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eng_args a;
		struct xu_err e;

		assert_int_equal(run(&a, 0, 1, cases[i], &e), XU_EINVAL);
		assert_null(strstr(e.msg, "SECRET"));
	}
}

static void test_cliargs_positional(void **state)
{
	(void)state;
	struct eng_args a;
	const char *v[] = {"a", "--seed", "s", "-", "--", "--amount"};

	assert_int_equal(run(&a, 3, 6, v, NULL), XU_OK);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[0], "a");
	assert_string_equal(a.pos[1], "-");
	assert_string_equal(a.pos[2], "--amount");
	assert_null(eng_args_get(&a, "amount"));
	assert_int_equal(run(&a, 2, 6, v, NULL), XU_EINVAL);
}

static const struct eng_opt sopts[] = {
    {"seed", "SEED", "family seed"},
    {"seed-file", "PATH", "seed file"},
};

static enum xu_code secret(int argc, char **argv, char *buf, size_t cap,
			   struct xu_err *e)
{
	struct eng_args a;

	assert_int_equal(eng_args_parse(&a, sopts, 2, 0, argc, argv, NULL),
			 XU_OK);
	return eng_args_secret(&a, "seed", "seed-file", buf, cap, e);
}

static void write_file(const char *path, const char *content, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_cliargs_secret(void **state)
{
	(void)state;
	char buf[64], path[] = "/tmp/xrpse-cliargs-XXXXXX";
	struct xu_err e;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);

	/* Inline: copied, trimmed, and wiped from argv. */
	char v0[] = "--seed", v1[] = " sSECRET ";
	char *inl[] = {v0, v1};
	assert_int_equal(secret(2, inl, buf, sizeof(buf), &e), XU_OK);
	assert_string_equal(buf, "sSECRET");
	for (size_t i = 0; i < sizeof(v1) - 1; i++)
		assert_int_equal(v1[i], 0);

	/* From a file, surrounding whitespace ignored. */
	write_file(path, "\n  sFILESECRET \r\n\t", 18);
	char f0[] = "--seed-file";
	char *fil[] = {f0, path};
	assert_int_equal(secret(2, fil, buf, sizeof(buf), &e), XU_OK);
	assert_string_equal(buf, "sFILESECRET");

	/* Empty file, NUL byte, too long for buf. */
	write_file(path, " \n", 2);
	assert_int_equal(secret(2, fil, buf, sizeof(buf), &e), XU_EINVAL);
	write_file(path, "sA\0B", 4);
	assert_int_equal(secret(2, fil, buf, sizeof(buf), &e), XU_EINVAL);
	assert_null(strstr(e.msg, "sA"));
	write_file(path, "sSECRETSECRET", 13);
	assert_int_equal(secret(2, fil, buf, 8, &e), XU_ETOOBIG);
	assert_null(strstr(e.msg, "SECRET"));
	assert_int_equal(buf[0], 0);

	/* Neither, both, missing file. */
	assert_int_equal(secret(0, NULL, buf, sizeof(buf), &e), XU_EINVAL);
	assert_non_null(strstr(e.msg, "--seed"));
	char b1[] = "sX";
	char *both[] = {v0, b1, f0, path};
	assert_int_equal(secret(4, both, buf, sizeof(buf), &e), XU_EINVAL);
	assert_non_null(strstr(e.msg, "not both"));
	unlink(path);
	assert_int_equal(secret(2, fil, buf, sizeof(buf), &e), XU_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cliargs_forms),
	    cmocka_unit_test(test_cliargs_help),
	    cmocka_unit_test(test_cliargs_errors),
	    cmocka_unit_test(test_cliargs_no_echo),
	    cmocka_unit_test(test_cliargs_positional),
	    cmocka_unit_test(test_cliargs_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
