/* Tests of the `xrpse key` and `xrpse claim` commands, run as a user runs
 * them: build/xrpse is spawned (posix_spawn) with its stdout and stderr in
 * files.  Checks the outputs against keys.json and claims.json, the exit
 * codes 0/1/2, --help, --seed-file, and that no seed (nor its private key)
 * ever shows up in stdout or stderr. */
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/crypto/vec.h"

extern char **environ;

#define XRPSE XRPSE_BINARY_DIR "/xrpse"
#define MAXOUT 8192

static char tmpdir[] = "/tmp/xrpse-cli-XXXXXX";
static char out_path[64], err_path[64];

struct run {
	int status; /* exit code, or -1 when killed by a signal */
	char out[MAXOUT];
	char err[MAXOUT];
};

static void slurp(const char *path, char *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, MAXOUT - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs xrpse with args (NULL-terminated). */
static void run_argv(struct run *r, const char *const *args)
{
	const char *argv[32];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, n = 0;

	argv[n++] = XRPSE;
	while (args[n - 1]) {
		assert_true(n < 31);
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawn(&pid, XRPSE, &fa, NULL, (char *const *)argv, environ) !=
	    0)
		fail_msg("cannot spawn %s", XRPSE);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(out_path, r->out);
	slurp(err_path, r->err);
}

#define RUN(r, ...)                                                            \
	do {                                                                   \
		const char *const a_[] = {__VA_ARGS__, NULL};                  \
		run_argv((r), a_);                                             \
	} while (0)

/* Neither the seed nor the private key may appear anywhere. */
static void assert_no_secret(const struct run *r, const char *seed,
			     const char *priv_hex)
{
	if (seed && (strstr(r->out, seed) || strstr(r->err, seed)))
		fail_msg("seed leaked: out='%s' err='%s'", r->out, r->err);
	if (priv_hex && (strstr(r->out, priv_hex) || strstr(r->err, priv_hex)))
		fail_msg("private key leaked");
}

/* Parses stdout as exactly one JSON object. */
static json_t *out_json(const struct run *r)
{
	json_error_t je;
	json_t *o = json_loads(r->out, 0, &je);

	if (!json_is_object(o))
		fail_msg("stdout is not one JSON object: '%s' (%s)", r->out,
			 je.text);
	return o;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (!s)
		fail_msg("output lacks \"%s\"", k);
	return s;
}

static void expect_exit(const struct run *r, int want)
{
	if (r->status != want)
		fail_msg("exit %d, expected %d; out='%s' err='%s'", r->status,
			 want, r->out, r->err);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/err", tmpdir);
	return access(XRPSE, X_OK) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char p[96];

	(void)state;
	unlink(out_path);
	unlink(err_path);
	snprintf(p, sizeof(p), "%s/seed", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return 0;
}

static void check_key_info(const json_t *v, size_t *n)
{
	struct run r;
	const char *seed = vec_str(v, "seed");
	const char *alg = vec_str(v, "algorithm");

	RUN(&r, "key", "info", "--seed", seed);
	expect_exit(&r, 0);
	assert_no_secret(&r, seed, vec_str(v, "private_key_raw"));
	assert_string_equal(r.err, "");
	json_t *o = out_json(&r);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(jstr(o, "address"), vec_str(v, "address"));
	assert_string_equal(jstr(o, "public_key"), vec_str(v, "public_key"));
	assert_string_equal(jstr(o, "key_type"), alg);
	json_decref(o);

	/* The explicit key type of the seed itself changes nothing. */
	RUN(&r, "key", "info", "--key-type", alg, "--seed", seed);
	expect_exit(&r, 0);
	o = out_json(&r);
	assert_string_equal(jstr(o, "public_key"), vec_str(v, "public_key"));
	json_decref(o);
	(*n)++;
}

static void test_crypto_cli_key_info(void **state)
{
	(void)state;
	json_t *root = vec_load("keys.json");
	json_t *secp = vec_array(root, "secp256k1");
	json_t *ed = vec_array(root, "ed25519"), *v, *w;
	size_t i, j, n = 0, over = 0;

	json_array_foreach(secp, i, v) check_key_info(v, &n);
	json_array_foreach(ed, i, v) check_key_info(v, &n);
	assert_int_equal(n, json_array_size(secp) + json_array_size(ed));
	assert_true(n >= 21);

	/* --key-type ed25519 on an s... seed = the sEd... of the same
	 * entropy (xrpl.js Wallet.fromSeed(seed, {algorithm})). */
	json_array_foreach(secp, i, v) json_array_foreach(ed, j, w)
	{
		if (strcmp(vec_str(v, "entropy"), vec_str(w, "entropy")))
			continue;
		struct run r;
		RUN(&r, "key", "info", "--seed", vec_str(v, "seed"),
		    "--key-type", "ed25519");
		expect_exit(&r, 0);
		assert_no_secret(&r, vec_str(v, "seed"),
				 vec_str(w, "private_key_raw"));
		json_t *o = out_json(&r);
		assert_string_equal(jstr(o, "address"), vec_str(w, "address"));
		assert_string_equal(jstr(o, "key_type"), "ed25519");
		json_decref(o);
		/* An sEd... seed cannot be forced to secp256k1. */
		RUN(&r, "key", "info", "--seed", vec_str(w, "seed"),
		    "--key-type", "secp256k1");
		expect_exit(&r, 2);
		assert_no_secret(&r, vec_str(w, "seed"), NULL);
		over++;
	}
	assert_true(over >= 7);
	printf("  key info: %zu seeds, %zu overrides\n", n, over);
	json_decref(root);
}

static void test_crypto_cli_seed_file(void **state)
{
	(void)state;
	const char *seed = "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r";
	char path[96];
	struct run r;

	snprintf(path, sizeof(path), "%s/seed", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "  %s\n\n", seed);
	fclose(f);
	RUN(&r, "key", "info", "--seed-file", path);
	expect_exit(&r, 0);
	assert_no_secret(&r, seed, NULL);
	json_t *o = out_json(&r);
	assert_string_equal(jstr(o, "address"),
			    "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD");
	json_decref(o);

	RUN(&r, "claim", "sign", "--seed-file", path, "--channel",
	    "5DB01B7FFED6B67E6B0414DED11E051D2EE2B7619CE0EAA6286D67A3A4D5BDB3",
	    "--amount", "1");
	expect_exit(&r, 0);
	assert_no_secret(&r, seed, NULL);

	/* Both forms at once, and a missing file: usage errors. */
	RUN(&r, "key", "info", "--seed-file", path, "--seed", seed);
	expect_exit(&r, 2);
	assert_no_secret(&r, seed, NULL);
	unlink(path);
	RUN(&r, "key", "info", "--seed-file", path);
	expect_exit(&r, 2);
	assert_non_null(strstr(r.err, "cannot open"));
}

static void test_crypto_cli_claim_sign(void **state)
{
	(void)state;
	json_t *root = vec_load("claims.json");
	json_t *v;
	size_t i, n = 0;

	json_array_foreach(vec_array(root, "positive"), i, v)
	{
		struct run r;
		const char *seed = vec_str(v, "seed");
		RUN(&r, "claim", "sign", "--seed", seed, "--channel",
		    vec_str(v, "channel_id"), "--amount",
		    vec_str(v, "amount_drops"));
		expect_exit(&r, 0);
		assert_no_secret(&r, seed, vec_str(v, "private_key_raw"));
		assert_string_equal(r.err, "");
		json_t *o = out_json(&r);
		assert_int_equal(json_object_size(o), 2);
		assert_string_equal(jstr(o, "signature"),
				    vec_str(v, "signature"));
		assert_string_equal(jstr(o, "public_key"),
				    vec_str(v, "public_key"));
		json_decref(o);
		n++;
	}
	assert_true(n >= 32);
	printf("  claim sign: %zu claims\n", n);
	json_decref(root);
}

/* Lower-cases a copy of s (hex input is accepted in either case). */
static const char *lower(char *buf, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		buf[i] =
		    (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] + 32) : s[i];
	buf[i] = '\0';
	return buf;
}

static void check_verify(const json_t *v, bool lowercase)
{
	struct run r;
	char pk[256], ch[80], sig[512];
	bool want = vec_bool(v, "expected_verify");

	RUN(&r, "claim", "verify", "--public-key",
	    lowercase ? lower(pk, sizeof(pk), vec_str(v, "public_key"))
		      : vec_str(v, "public_key"),
	    "--channel",
	    lowercase ? lower(ch, sizeof(ch), vec_str(v, "channel_id"))
		      : vec_str(v, "channel_id"),
	    "--amount", vec_str(v, "amount_drops"), "--signature",
	    lowercase ? lower(sig, sizeof(sig), vec_str(v, "signature"))
		      : vec_str(v, "signature"));
	expect_exit(&r, want ? 0 : 1);
	assert_string_equal(r.out, want ? "{\"valid\":true}\n"
					: "{\"valid\":false}\n");
}

static void test_crypto_cli_claim_verify(void **state)
{
	(void)state;
	json_t *root = vec_load("claims.json");
	const char *sets[] = {"positive", "published", "negative"};
	json_t *v;
	size_t i, n = 0;

	for (size_t s = 0; s < 3; s++)
		json_array_foreach(vec_array(root, sets[s]), i, v)
		{
			check_verify(v, false);
			if (i % 4 == 0)
				check_verify(v, true);
			n++;
		}
	assert_true(n >= 32 + 3 + 18);
	printf("  claim verify: %zu cases\n", n);
	json_decref(root);
}

#define CHAN "5DB01B7FFED6B67E6B0414DED11E051D2EE2B7619CE0EAA6286D67A3A4D5BDB3"
#define PK "023D5005A90AE49BEA3BECECCE9B3AB0CA89F60DF3191A54BCCDBF39F47F4AD610"
#define SIG                                                                    \
	"304402204E7052F33DDAFAAA55C9F5B132A5E50EE95B2CF68C0902F61DFE77299BC8" \
	"93740220353640B951DCD24371C16868B3F91B78D38B6F3FD1E826413CDF891FA825" \
	"0AAC"
#define SEED "snGHNrPbHrdUcszeuDEigMdC1Lyyd"

/* Every malformed invocation exits 2 with a message, no stdout, and
 * never echoes the seed. */
static void test_crypto_cli_usage_errors(void **state)
{
	(void)state;
	struct run r;
	const char *const cases[][16] = {
	    {"key", NULL},
	    {"key", "bogus", NULL},
	    {"key", "info", NULL},
	    {"key", "info", "--seed", NULL},
	    {"key", "info", "--seed", SEED, "--seed", SEED, NULL},
	    {"key", "info", "--seed", SEED, "--key-type", "rsa", NULL},
	    {"key", "info", "--seed", SEED, "--frobnicate", NULL},
	    {"key", "info", SEED, NULL},
	    {"key", "info", "--seed", "snGHNrPbHrdUcszeuDEigMdC1Lyyx", NULL},
	    {"key", "info", "--seed", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
	     NULL},
	    {"key", "info", "--seed", "sn0HNrPbHrdUcszeuDEigMdC1Lyyd", NULL},
	    {"key", "info", "--seed", "", NULL},
	    {"claim", NULL},
	    {"claim", "bogus", NULL},
	    {"claim", "sign", "--seed", SEED, "--amount", "1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, NULL},
	    {"claim", "sign", "--channel", CHAN, "--amount", "1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", "5DB0", "--amount",
	     "1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN "00",
	     "--amount", "1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel",
	     "ZZB01B7FFED6B67E6B0414DED11E051D2EE2B7619CE0EAA6286D67A3A4D5BDB3",
	     "--amount", "1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount",
	     "100000000000000001", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount",
	     "-1", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount",
	     "1.5", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount", "",
	     NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount",
	     "18446744073709551617", NULL},
	    {"claim", "sign", "--seed", SEED, "--channel", CHAN, "--amount",
	     "1", "--signature", "00", NULL},
	    {"claim", "verify", "--channel", CHAN, "--amount", "1",
	     "--signature", SIG, NULL},
	    {"claim", "verify", "--public-key", PK, "--amount", "1",
	     "--signature", SIG, NULL},
	    {"claim", "verify", "--public-key", PK, "--channel", CHAN,
	     "--signature", SIG, NULL},
	    {"claim", "verify", "--public-key", PK, "--channel", CHAN,
	     "--amount", "1", NULL},
	    {"claim", "verify", "--public-key", "XYZ", "--channel", CHAN,
	     "--amount", "1", "--signature", SIG, NULL},
	    {"claim", "verify", "--public-key", PK "0", "--channel", CHAN,
	     "--amount", "1", "--signature", SIG, NULL},
	    {"claim", "verify", "--public-key", PK, "--channel", CHAN,
	     "--amount", "1", "--signature", "", NULL},
	    {"claim", "verify", "--public-key", PK, "--channel", CHAN,
	     "--amount", "1", "--signature", SIG "G", NULL},
	    {"claim", "verify", "--public-key", PK, "--channel", CHAN,
	     "--amount", "1e6", "--signature", SIG, NULL},
	    {"claim", "verify", "--seed", SEED, "--public-key", PK, "--channel",
	     CHAN, "--amount", "1", "--signature", SIG, NULL},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);

	for (size_t i = 0; i < n; i++) {
		run_argv(&r, cases[i]);
		if (r.status != 2)
			fail_msg("case %zu (%s %s ...): exit %d, expected 2; "
				 "err='%s'",
				 i, cases[i][0], cases[i][1] ? cases[i][1] : "",
				 r.status, r.err);
		assert_string_equal(r.out, "");
		assert_true(strlen(r.err) > 0);
		assert_no_secret(&r, SEED, NULL);
		assert_no_secret(&r, "snGHNrPbHrdUcszeuDEigMdC1Lyyx", NULL);
		assert_no_secret(&r, "sn0HNrPbHrdUcszeuDEigMdC1Lyyd", NULL);
	}
	printf("  usage errors: %zu cases\n", n);
}

static void test_crypto_cli_verify_answers(void **state)
{
	(void)state;
	struct run r;

	RUN(&r, "claim", "verify", "--public-key", PK, "--channel", CHAN,
	    "--amount", "1000000", "--signature", SIG);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "{\"valid\":true}\n");
	/* --name=value works too. */
	RUN(&r, "claim", "verify", "--public-key=" PK, "--channel=" CHAN,
	    "--amount=1000000", "--signature=" SIG);
	expect_exit(&r, 0);
	/* Well-formed but wrong: an answer, exit 1. */
	RUN(&r, "claim", "verify", "--public-key", PK, "--channel", CHAN,
	    "--amount", "999999", "--signature", SIG);
	expect_exit(&r, 1);
	assert_string_equal(r.out, "{\"valid\":false}\n");
	RUN(&r, "claim", "verify", "--public-key", "04" PK, "--channel", CHAN,
	    "--amount", "1000000", "--signature", SIG);
	expect_exit(&r, 1);
	RUN(&r, "claim", "verify", "--public-key", PK, "--channel", CHAN,
	    "--amount", "1000000", "--signature", "00");
	expect_exit(&r, 1);
}

static void test_crypto_cli_help(void **state)
{
	(void)state;
	struct run r;
	const char *const cases[][4] = {
	    {"key", "--help", NULL},	     {"key", "info", "--help", NULL},
	    {"claim", "--help", NULL},	     {"claim", "sign", "--help", NULL},
	    {"claim", "verify", "-h", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_argv(&r, cases[i]);
		expect_exit(&r, 0);
		assert_non_null(strstr(r.out, "usage: xrpse"));
	}
	RUN(&r, "claim", "sign", "--help");
	assert_non_null(strstr(r.out, "--seed-file"));
	assert_non_null(strstr(r.out, "--channel"));
	RUN(&r, "claim", "verify", "--help");
	assert_non_null(strstr(r.out, "--public-key"));
	RUN(&r, "key", "info", "--help");
	assert_non_null(strstr(r.out, "--key-type"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_cli_key_info),
	    cmocka_unit_test(test_crypto_cli_seed_file),
	    cmocka_unit_test(test_crypto_cli_claim_sign),
	    cmocka_unit_test(test_crypto_cli_claim_verify),
	    cmocka_unit_test(test_crypto_cli_verify_answers),
	    cmocka_unit_test(test_crypto_cli_usage_errors),
	    cmocka_unit_test(test_crypto_cli_help),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
