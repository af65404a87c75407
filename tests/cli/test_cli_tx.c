/* Tests of `xrpse tx` (src/cli/cli_tx.c) through the real binary: every
 * txs.json vector signed from its seed (with --seed, --seed-file and the
 * key type given or implied) prints exactly {"tx_blob","hash"}, every
 * tx_blob decodes to tx_json_signed, and malformed arguments exit 2 with
 * a message that never contains the seed. */
#define _POSIX_C_SOURCE 200809L
#include "tests/ledger/ltest.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define XRPSE XRPSE_BINARY_DIR "/xrpse"

struct run {
	int status;
	char out[65536], errs[4096];
};

static void drain(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
}

/* Runs xrpse with argv (NULL-terminated, argv[0] ignored). */
static void run(struct run *r, char **argv)
{
	int po[2], pe[2];
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		argv[0] = (char *)XRPSE;
		execv(XRPSE, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Output is small: read stderr after stdout without deadlock. */
	drain(po[0], r->out, sizeof(r->out));
	drain(pe[0], r->errs, sizeof(r->errs));
	close(po[0]);
	close(pe[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct run r;

static void test_ledger_cli_sign_vectors(void **state)
{
	(void)state;
	json_t *root = lt_load("txs.json"), *v;
	size_t i;
	char seedfile[] = "/tmp/xrpse-test-seed-XXXXXX";
	int fd = mkstemp(seedfile);
	assert_true(fd >= 0);
	close(fd);
	json_array_foreach(json_object_get(root, "transactions"), i, v)
	{
		json_t *signer = json_object_get(v, "signer");
		const char *seed = lt_str(signer, "seed");
		char *txj =
		    json_dumps(json_object_get(v, "tx_json"), JSON_COMPACT);
		char want[65536];
		snprintf(want, sizeof(want),
			 "{\"tx_blob\":\"%s\",\"hash\":\"%s\"}\n",
			 lt_str(v, "tx_blob"), lt_str(v, "hash"));
		/* Key type given explicitly. */
		char *a1[] = {NULL,
			      "tx",
			      "sign",
			      "--seed",
			      (char *)seed,
			      "--key-type",
			      (char *)lt_str(signer, "algorithm"),
			      "--tx",
			      txj,
			      NULL};
		run(&r, a1);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", lt_str(v, "id"), r.status,
				 r.errs);
		assert_string_equal(r.out, want);
		/* Implied by the seed, read from a file. */
		FILE *f = fopen(seedfile, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", seed);
		fclose(f);
		char *a2[] = {NULL, "tx",	   "sign",   "--tx",
			      txj,  "--seed-file", seedfile, NULL};
		run(&r, a2);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, want);
		free(txj);

		/* Decode. */
		char *a3[] = {NULL, "tx", "decode",
			      (char *)lt_str(v, "tx_blob"), NULL};
		run(&r, a3);
		assert_int_equal(r.status, 0);
		json_t *got = json_loads(r.out, 0, NULL);
		assert_non_null(got);
		assert_true(
		    json_equal(got, json_object_get(v, "tx_json_signed")));
		json_decref(got);
	}
	assert_int_equal(i, 36);
	unlink(seedfile);
	json_decref(root);
}

static void test_ledger_cli_usage_errors(void **state)
{
	(void)state;
	const char *seed = "sp5fghtJtpUorTwvof1NpDXAzNwf5";
	const char *ok = "{\"TransactionType\":\"Payment\",\"Fee\":\"12\","
			 "\"Sequence\":1,\"Account\":"
			 "\"rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1\"}";
	struct {
		const char *args[10];
		int status;
		const char *why;
	} t[] = {
	    {{"tx"}, 2, "usage"},
	    {{"tx", "frob"}, 2, "unknown subcommand"},
	    {{"tx", "sign", "--tx", ok}, 2, "seed"},
	    {{"tx", "sign", "--seed", seed}, 2, "--tx"},
	    {{"tx", "sign", "--seed", seed, "--tx", "{"}, 2, "JSON"},
	    {{"tx", "sign", "--seed", seed, "--tx", "[]"}, 2, "object"},
	    {{"tx", "sign", "--seed", seed, "--tx", "{\"Bogus\":1}"},
	     2,
	     "unknown field Bogus"},
	    {{"tx", "sign", "--seed", seed, "--tx",
	      "{\"TransactionType\":\"Payment\",\"Fee\":12}"},
	     2,
	     "Fee"},
	    {{"tx", "sign", "--seed", "sNotASeed", "--tx", ok}, 2, ""},
	    {{"tx", "sign", "--seed", seed, "--key-type", "rsa", "--tx", ok},
	     2,
	     "key-type"},
	    {{"tx", "sign", "--seed", seed, "--seed-file", "/x", "--tx", ok},
	     2,
	     ""},
	    {{"tx", "sign", "--seed-file", "/nonexistent/x", "--tx", ok},
	     2,
	     ""},
	    {{"tx", "sign", "--seed", seed, "--tx", ok, "--extra"}, 2, ""},
	    {{"tx", "decode"}, 2, "BLOB"},
	    {{"tx", "decode", "XYZ"}, 2, "hex"},
	    {{"tx", "decode", "1200"}, 2, "truncated"},
	    {{"tx", "decode", "12000012"}, 2, ""},
	    {{"tx", "decode", "1200", "1200"}, 2, ""},
	    {{"tx", "--help"}, 0, ""},
	    {{"tx", "sign", "--help"}, 0, ""},
	    {{"tx", "sign", "--seed", seed, "--tx", ok}, 0, ""},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *argv[12] = {NULL};
		for (size_t k = 0; k < 10 && t[i].args[k]; k++)
			argv[k + 1] = (char *)t[i].args[k];
		run(&r, argv);
		if (r.status != t[i].status || !strstr(r.errs, t[i].why) ||
		    strstr(r.errs, seed) || strstr(r.out, seed))
			fail_msg("case %zu: exit %d, stderr '%s'", i, r.status,
				 r.errs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ledger_cli_sign_vectors),
	    cmocka_unit_test(test_ledger_cli_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
