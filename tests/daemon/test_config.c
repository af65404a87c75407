/* Unit tests of `xrpse run` configuration (src/daemon/config.c): defaults,
 * flags over XRPSE_* variables, validation messages, loopback rule, and the
 * channel settings: every flag, its variable, their order of precedence
 * and every refused form, and the settle delay ceiling that keeps the
 * ledger's 32-bit Expiration from wrapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel/channel.h"
#include "ledger/amount.h"
#include "src/daemon/config.h"

static const char *const env_names[] = {
    "XRPSE_LISTEN",
    "XRPSE_CONNECTOR_URL",
    "XRPSE_RIPPLED_URL",
    "XRPSE_SEED_FILE",
    "XRPSE_DB",
    "XRPSE_KEY_TYPE",
    "XRPSE_NETWORK_ID",
    "XRPSE_LOG_LEVEL",
    "XRPSE_ALLOW_REMOTE",
    "XRPSE_CHANNEL_AMOUNT",
    "XRPSE_MAX_CHANNEL_AMOUNT",
    "XRPSE_SETTLE_DELAY",
    "XRPSE_MIN_SETTLE_DELAY",
    "XRPSE_MAX_SETTLE_DELAY",
    "XRPSE_REDEEM_THRESHOLD",
    "XRPSE_REDEEM_FEE_PPM",
    "XRPSE_REDEEM_CHECK",
    "XRPSE_TX_RETRY",
    "XRPSE_TX_INFLIGHT",
    "XRPSE_CLOSE_WAIT",
    "XRPSE_DEADLINE_FEE_CAP",
    "XRPSE_OWED_ALERT",
    "XRPSE_OUTBOX_KEEP",
    "XRPSE_ALLOW_DANGEROUS",
    "XRPSE_DEV_POLL_MS",
    "XRPSE_DEV_TICK_MS",
    "XRPSE_DEV_HELLO_RETRY_MS",
    "XRPSE_DEV_CLAIM_RESEND_MS",
    "XRPSE_CONFIG",
    "XRPSE_METRICS_LISTEN",
    "XRPSE_LOG_FORMAT",
    "XRPSE_RPC_SOCKET",
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

/* ---- channel settings ---------------------------------------------- */

/* Loads "--seed-file s --db d" plus up to 4 more arguments (NULL ends). */
static enum eng_config_result load_ch(struct eng_config *c, struct xu_err *e,
				      const char *a1, const char *a2,
				      const char *a3, const char *a4)
{
	memset(e, 0, sizeof(*e));
	return load(c, e, "--seed-file", "s", "--db", "d", a1, a2, a3, a4,
		    NULL);
}

static uint64_t get_amount(const struct eng_config *c)
{
	return xl_drops_u64(c->paychan.pc.channel_amount);
}
static uint64_t get_max_amount(const struct eng_config *c)
{
	return xl_drops_u64(c->paychan.pc.max_channel_amount);
}
static uint64_t get_settle(const struct eng_config *c)
{
	return c->paychan.pc.settle_delay;
}
static uint64_t get_min_settle(const struct eng_config *c)
{
	return c->paychan.pc.min_settle_delay;
}
static uint64_t get_max_settle(const struct eng_config *c)
{
	return c->paychan.pc.max_settle_delay;
}
static uint64_t get_redeem_abs(const struct eng_config *c)
{
	return xl_drops_u64(c->paychan.pc.redeem_abs);
}
static uint64_t get_fee_ppm(const struct eng_config *c)
{
	return c->paychan.pc.redeem_fee_ppm;
}
static uint64_t get_check(const struct eng_config *c)
{
	return c->paychan.pc.redeem_check_s;
}
static uint64_t get_retry(const struct eng_config *c)
{
	return c->paychan.pc.retry_s;
}

static uint64_t get_tx_inflight(const struct eng_config *c)
{
	return c->paychan.tx_inflight;
}

static uint64_t get_close_wait(const struct eng_config *c)
{
	return c->paychan.pc.close_wait_s;
}
static uint64_t get_deadline_fee(const struct eng_config *c)
{
	return xl_drops_u64(c->deadline_fee_cap);
}
static uint64_t get_owed_alert(const struct eng_config *c)
{
	return c->paychan.owed_alert_ms;
}
static uint64_t get_outbox_keep(const struct eng_config *c)
{
	return c->outbox_keep_s;
}
static uint64_t get_poll(const struct eng_config *c)
{
	return c->paychan.poll_ms;
}
static uint64_t get_tick(const struct eng_config *c)
{
	return c->paychan.tick_ms;
}
static uint64_t get_hello(const struct eng_config *c)
{
	return c->paychan.hello_retry_ms;
}
static uint64_t get_resend(const struct eng_config *c)
{
	return c->paychan.claim_resend_ms;
}

/* One setting with two valid spellings (v1 -> x1, v2 -> x2, x1 != x2 and
 * neither the default) to tell the sources apart. */
struct chan_case {
	const char *flag, *env;
	const char *v1;
	uint64_t x1;
	const char *v2;
	uint64_t x2;
	uint64_t def;
	uint64_t (*get)(const struct eng_config *);
};

static const struct chan_case chan_cases[] = {
    {"--channel-amount", "XRPSE_CHANNEL_AMOUNT", "20000000", 20000000, "3xrp",
     3000000, 10000000, get_amount},
    {"--max-channel-amount", "XRPSE_MAX_CHANNEL_AMOUNT", "2000000000",
     2000000000, "1500.5xrp", 1500500000, 1000000000, get_max_amount},
    {"--settle-delay", "XRPSE_SETTLE_DELAY", "7d", 604800, "90000", 90000,
     518400, get_settle},
    {"--min-settle-delay", "XRPSE_MIN_SETTLE_DELAY", "2d", 172800, "100000s",
     100000, 259200, get_min_settle},
    {"--max-settle-delay", "XRPSE_MAX_SETTLE_DELAY", "60d", 5184000, "2592001",
     2592001, 2592000, get_max_settle},
    {"--redeem-threshold", "XRPSE_REDEEM_THRESHOLD", "0", 0, "0.25xrp", 250000,
     10000000, get_redeem_abs},
    {"--redeem-fee-ppm", "XRPSE_REDEEM_FEE_PPM", "0", 0, "1000000", 1000000,
     10000, get_fee_ppm},
    {"--redeem-check", "XRPSE_REDEEM_CHECK", "1", 1, "10m", 600, 300,
     get_check},
    {"--tx-retry", "XRPSE_TX_RETRY", "2", 2, "1h", 3600, 30, get_retry},
    {"--tx-inflight", "XRPSE_TX_INFLIGHT", "1", 1, "64", 64, 10,
     get_tx_inflight},
    {"--close-wait", "XRPSE_CLOSE_WAIT", "0", 0, "1h", 3600, 600,
     get_close_wait},
    {"--deadline-fee-cap", "XRPSE_DEADLINE_FEE_CAP", "1000", 1000, "1xrp",
     1000000, 10000, get_deadline_fee},
    {"--owed-alert", "XRPSE_OWED_ALERT", "1", 1000, "1h", 3600000, 300000,
     get_owed_alert},
    {"--outbox-keep", "XRPSE_OUTBOX_KEEP", "1h", 3600, "2d", 172800, 2592000,
     get_outbox_keep},
    {"--dev-poll-ms", "XRPSE_DEV_POLL_MS", "1000", 1000, "100", 100, 60000,
     get_poll},
    {"--dev-tick-ms", "XRPSE_DEV_TICK_MS", "200", 200, "60000", 60000, 1000,
     get_tick},
    {"--dev-hello-retry-ms", "XRPSE_DEV_HELLO_RETRY_MS", "10", 10, "60000",
     60000, 1000, get_hello},
    {"--dev-claim-resend-ms", "XRPSE_DEV_CLAIM_RESEND_MS", "2000", 2000,
     "3600000", 3600000, 10000, get_resend},
};
#define NCASES (sizeof(chan_cases) / sizeof(chan_cases[0]))

static void test_config_channel_defaults(void **state)
{
	struct eng_config c;
	struct xu_err e;
	struct pc_cfg def;

	(void)state;
	assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
			 ENG_CONFIG_OK);
	pc_cfg_default(&def);
	assert_memory_equal(&c.paychan.pc, &def, sizeof(def));
	assert_int_equal(c.paychan.poll_ms, 60000);
	assert_int_equal(c.paychan.tick_ms, 1000);
	assert_int_equal(c.paychan.hello_retry_ms, 1000);
	assert_int_equal(c.paychan.claim_resend_ms, 10000);
	assert_int_equal(c.paychan.lookup_fresh_ms, 5000);
	assert_false(c.paychan.allow_dangerous);
	for (size_t i = 0; i < NCASES; i++)
		assert_int_equal(chan_cases[i].get(&c), chan_cases[i].def);
}

/* Every setting from its flag and from its variable; the flag wins. */
static void test_config_channel_sources(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct chan_case *k = &chan_cases[i];
		char eq[64];

		clear_env(NULL);
		assert_int_equal(load_ch(&c, &e, k->flag, k->v1, NULL, NULL),
				 ENG_CONFIG_OK);
		assert_int_equal(k->get(&c), k->x1);
		snprintf(eq, sizeof(eq), "%s=%s", k->flag, k->v2);
		assert_int_equal(load_ch(&c, &e, eq, NULL, NULL, NULL),
				 ENG_CONFIG_OK);
		assert_int_equal(k->get(&c), k->x2);

		{
			setenv(k->env, k->v1, 1);
			assert_int_equal(
			    load_ch(&c, &e, NULL, NULL, NULL, NULL),
			    ENG_CONFIG_OK);
			assert_int_equal(k->get(&c), k->x1);
			/* The flag beats the variable... */
			assert_int_equal(
			    load_ch(&c, &e, k->flag, k->v2, NULL, NULL),
			    ENG_CONFIG_OK);
			assert_int_equal(k->get(&c), k->x2);
			/* ...which is not even read when the flag is given. */
			setenv(k->env, "not a value", 1);
			assert_int_equal(
			    load_ch(&c, &e, k->flag, k->v2, NULL, NULL),
			    ENG_CONFIG_OK);
			assert_int_equal(k->get(&c), k->x2);
			assert_int_equal(
			    load_ch(&c, &e, NULL, NULL, NULL, NULL),
			    ENG_CONFIG_BAD);
			assert_non_null(strstr(e.msg, k->env));
			assert_non_null(strstr(e.msg, k->flag));
		}
	}
	clear_env(NULL);
}

static void test_config_channel_amount_forms(void **state)
{
	static const struct {
		const char *v;
		uint64_t drops;
	} ok[] = {
	    {"1", 1},
	    {"000000000000000000000000010", 10},
	    {"100000000000000000", 100000000000000000ULL},
	    {"1xrp", 1000000},
	    {"1XRP", 1000000},
	    {"1Xrp", 1000000},
	    {"0.000001xrp", 1},
	    {"0.5xrp", 500000},
	    {"12.345678xrp", 12345678},
	    {"0010.10xrp", 10100000},
	    {"100000000000xrp", 100000000000000000ULL},
	    {"00000000000000000000100000000000xrp", 100000000000000000ULL},
	};
	struct eng_config c;
	struct xu_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(load_ch(&c, &e, "--max-channel-amount",
					 ok[i].v, "--channel-amount", ok[i].v),
				 ENG_CONFIG_OK);
		assert_int_equal(xl_drops_u64(c.paychan.pc.channel_amount),
				 ok[i].drops);
		assert_int_equal(xl_drops_u64(c.paychan.pc.max_channel_amount),
				 ok[i].drops);
	}
}

static void test_config_channel_rejects(void **state)
{
	static const char *const bad[][3] = {
	    /* amounts */
	    {"--channel-amount", "", "--channel-amount: expected drops"},
	    {"--channel-amount", "abc", "--channel-amount: expected drops"},
	    {"--channel-amount", "-1", "--channel-amount: expected drops"},
	    {"--channel-amount", "+5", "--channel-amount: expected drops"},
	    {"--channel-amount", "1e6", "--channel-amount: expected drops"},
	    {"--channel-amount", "1.5", "--channel-amount: expected drops"},
	    {"--channel-amount", " 5", "--channel-amount: expected drops"},
	    {"--channel-amount", "10 xrp", "--channel-amount: expected drops"},
	    {"--channel-amount", "xrp", "--channel-amount: expected drops"},
	    {"--channel-amount", ".5xrp", "--channel-amount: expected drops"},
	    {"--channel-amount", "1.xrp", "--channel-amount: expected drops"},
	    {"--channel-amount", "1.2.3xrp", "--channel-amount: expected"},
	    {"--channel-amount", "-1xrp", "--channel-amount: expected drops"},
	    {"--channel-amount", "5drops", "--channel-amount: expected drops"},
	    {"--channel-amount", "0.0000001xrp",
	     "--channel-amount: at most 6 decimals"},
	    {"--channel-amount", "0.1234567x8xrp",
	     "--channel-amount: expected drops"},
	    {"--channel-amount", "0", "--channel-amount: must be from 1 to "},
	    {"--channel-amount", "0xrp", "--channel-amount: must be from 1"},
	    {"--channel-amount", "100000000000000001",
	     "--channel-amount: above 10^17 drops"},
	    {"--channel-amount", "18446744073709551616",
	     "--channel-amount: above 10^17 drops"},
	    {"--channel-amount", "99999999999999999999999999999",
	     "--channel-amount: above 10^17 drops"},
	    {"--channel-amount", "100000000000.000001xrp",
	     "--channel-amount: above 10^17 drops"},
	    {"--channel-amount", "1000000000000xrp",
	     "--channel-amount: above 10^17 drops"},
	    {"--channel-amount", "1001xrp",
	     "--channel-amount: 1001000000 drops is above the 1000000000 "
	     "drops of --max-channel-amount"},
	    {"--max-channel-amount", "9999999",
	     "--channel-amount: 10000000 drops is above the 9999999 drops of "
	     "--max-channel-amount"},
	    {"--max-channel-amount", "0", "--max-channel-amount: must be from"},
	    {"--redeem-threshold", "1.0000001xrp",
	     "--redeem-threshold: at most 6 decimals"},
	    {"--redeem-threshold", "x", "--redeem-threshold: expected drops"},
	    /* durations */
	    {"--settle-delay", "1h",
	     "--settle-delay: 3600 s is below the 1 day floor (86400 s); add "
	     "--allow-dangerous"},
	    {"--settle-delay", "86399", "--settle-delay: 86399 s is below"},
	    {"--settle-delay", "0", "--settle-delay: must be from 1 to "},
	    {"--settle-delay", "4294967296",
	     "--settle-delay: above the 4294967295 s maximum"},
	    {"--settle-delay", "49711d",
	     "--settle-delay: above the 4294967295 s maximum"},
	    {"--settle-delay", "71582789m", "--settle-delay: above the"},
	    {"--settle-delay", "1193047h", "--settle-delay: above the"},
	    {"--settle-delay", "99999999999999999999999d",
	     "--settle-delay: above the"},
	    {"--settle-delay", "6x", "--settle-delay: expected seconds"},
	    {"--settle-delay", "6D", "--settle-delay: expected seconds"},
	    {"--settle-delay", "d", "--settle-delay: expected seconds"},
	    {"--settle-delay", "", "--settle-delay: expected seconds"},
	    {"--settle-delay", "-1", "--settle-delay: expected seconds"},
	    {"--settle-delay", "1.5d", "--settle-delay: expected seconds"},
	    {"--settle-delay", "6 d", "--settle-delay: expected seconds"},
	    {"--settle-delay", "6dd", "--settle-delay: expected seconds"},
	    {"--min-settle-delay", "23h",
	     "--min-settle-delay: 82800 s is below the 1 day floor"},
	    {"--min-settle-delay", "0", "--min-settle-delay: 0 s is below"},
	    {"--min-settle-delay", "4294967296",
	     "--min-settle-delay: above the 4294967295 s maximum"},
	    {"--min-settle-delay", "31d",
	     "--min-settle-delay: 2678400 s is above the 2592000 s of "
	     "--max-settle-delay"},
	    {"--max-settle-delay", "2d",
	     "--min-settle-delay: 259200 s is above the 172800 s of "
	     "--max-settle-delay"},
	    /* a settle delay that could wrap the ledger's 32-bit time */
	    {"--max-settle-delay", "3661d",
	     "--max-settle-delay: 316310400 s is above the 3660 day ceiling "
	     "(316224000 s): the ledger's 32-bit close time + SettleDelay "
	     "could wrap"},
	    {"--max-settle-delay", "4000000000",
	     "--max-settle-delay: 4000000000 s is above the 3660 day ceiling"},
	    {"--max-settle-delay", "316224001s",
	     "--max-settle-delay: 316224001 s is above the 3660 day"},
	    {"--max-settle-delay", "4294967296",
	     "--max-settle-delay: above the 4294967295 s maximum"},
	    {"--max-settle-delay", "30x",
	     "--max-settle-delay: expected seconds"},
	    {"--settle-delay", "3661d",
	     "--settle-delay: 316310400 s is above the 3660 day ceiling"},
	    {"--settle-delay", "4000000000",
	     "--settle-delay: 4000000000 s is above the 3660 day ceiling"},
	    {"--redeem-check", "0",
	     "--redeem-check: must be from 1 to 86400 seconds"},
	    {"--redeem-check", "2d",
	     "--redeem-check: above the 86400 s maximum"},
	    {"--redeem-check", "86401", "--redeem-check: above the 86400 s"},
	    {"--tx-retry", "0", "--tx-retry: must be from 1 to 86400 seconds"},
	    {"--tx-retry", "25h", "--tx-retry: above the 86400 s maximum"},
	    {"--tx-inflight", "0", "--tx-inflight: must be from 1 to 64"},
	    {"--tx-inflight", "65", "--tx-inflight: must be from 1 to 64"},
	    {"--close-wait", "31d",
	     "--close-wait: above the 2592000 s maximum"},
	    {"--deadline-fee-cap", "999",
	     "--deadline-fee-cap: must be from 1000 to 1000000 drops"},
	    {"--deadline-fee-cap", "1.000001xrp",
	     "--deadline-fee-cap: must be from 1000 to 1000000 drops"},
	    {"--owed-alert", "8d", "--owed-alert: above the 604800 s maximum"},
	    {"--owed-alert", "0",
	     "--owed-alert: must be from 1 to 604800 seconds"},
	    {"--outbox-keep", "59m",
	     "--outbox-keep: must be from 3600 to 316224000 seconds"},
	    /* plain numbers */
	    {"--redeem-fee-ppm", "1000001",
	     "--redeem-fee-ppm: must be from 0 to 1000000"},
	    {"--redeem-fee-ppm", "18446744073709551616",
	     "--redeem-fee-ppm: must be from 0 to 1000000"},
	    {"--redeem-fee-ppm", "1%",
	     "--redeem-fee-ppm: expected a decimal number"},
	    {"--redeem-fee-ppm", "", "--redeem-fee-ppm: expected a decimal"},
	    {"--dev-poll-ms", "99",
	     "--dev-poll-ms: must be from 100 to 3600000"},
	    {"--dev-poll-ms", "3600001", "--dev-poll-ms: must be from 100"},
	    {"--dev-tick-ms", "9", "--dev-tick-ms: must be from 10 to 60000"},
	    {"--dev-tick-ms", "1s",
	     "--dev-tick-ms: expected a decimal number of milliseconds"},
	    {"--dev-hello-retry-ms", "60001",
	     "--dev-hello-retry-ms: must be from 10 to 60000"},
	    {"--dev-claim-resend-ms", "x",
	     "--dev-claim-resend-ms: expected a decimal number"},
	    {"--dev-claim-resend-ms", "99",
	     "--dev-claim-resend-ms: must be from 100 to 3600000"},
	};
	struct eng_config c;
	struct xu_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    load_ch(&c, &e, bad[i][0], bad[i][1], NULL, NULL),
		    ENG_CONFIG_BAD);
		if (!strstr(e.msg, bad[i][2]))
			fail_msg("%s '%s': message '%s'", bad[i][0], bad[i][1],
				 e.msg);
	}
	/* A given flag without its value, and a flag given twice. */
	assert_int_equal(load_ch(&c, &e, "--settle-delay", NULL, NULL, NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--settle-delay"));
	assert_int_equal(load_ch(&c, &e, "--tx-retry", "1", "--tx-retry", "2"),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--tx-retry"));
	/* The messages name the variable a bad value came from. */
	setenv("XRPSE_MAX_CHANNEL_AMOUNT", "5", 1);
	assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
			 ENG_CONFIG_BAD);
	assert_string_equal(e.msg, "--channel-amount: 10000000 drops is above "
				   "the 5 drops of --max-channel-amount (from "
				   "XRPSE_MAX_CHANNEL_AMOUNT)");
	clear_env(NULL);
	setenv("XRPSE_SETTLE_DELAY", "5", 1);
	assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
			 ENG_CONFIG_BAD);
	assert_string_equal(e.msg, "--settle-delay (from XRPSE_SETTLE_DELAY): "
				   "5 s is below the 1 day floor (86400 s); "
				   "add --allow-dangerous to accept it");
	clear_env(NULL);
	setenv("XRPSE_MAX_SETTLE_DELAY", "1d", 1);
	assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
			 ENG_CONFIG_BAD);
	assert_string_equal(e.msg, "--min-settle-delay: 259200 s is above the "
				   "86400 s of --max-settle-delay (from "
				   "XRPSE_MAX_SETTLE_DELAY)");
	clear_env(NULL);
}

/* --max-settle-delay: from --min-settle-delay up to 3660 days, the
 * ceiling below which ledger time + SettleDelay cannot wrap 32 bits before
 * the year 2116; the same ceiling holds for --settle-delay. */
static void test_config_channel_max_settle_delay(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.max_settle_delay, 30 * 86400);
	assert_int_equal(
	    load_ch(&c, &e, "--max-settle-delay", "3660d", NULL, NULL),
	    ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.max_settle_delay,
			 PC_SETTLE_DELAY_CEILING);
	assert_int_equal(
	    load_ch(&c, &e, "--max-settle-delay", "316224000", NULL, NULL),
	    ENG_CONFIG_OK);
	/* Exactly the minimum. */
	assert_int_equal(
	    load_ch(&c, &e, "--max-settle-delay", "3d", NULL, NULL),
	    ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.max_settle_delay, 259200);
	assert_int_equal(load_ch(&c, &e, "--min-settle-delay", "40d",
				 "--max-settle-delay", "40d"),
			 ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.min_settle_delay, 40 * 86400);
	assert_int_equal(c.paychan.pc.max_settle_delay, 40 * 86400);
	assert_int_equal(load_ch(&c, &e, "--min-settle-delay", "40d",
				 "--max-settle-delay", "3660d"),
			 ENG_CONFIG_OK);
	assert_int_equal(load_ch(&c, &e, "--settle-delay", "3660d", NULL, NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.settle_delay, PC_SETTLE_DELAY_CEILING);
	/* The ceiling holds with --allow-dangerous too. */
	assert_int_equal(load_ch(&c, &e, "--allow-dangerous",
				 "--max-settle-delay", "3661d", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "3660 day ceiling"));
	assert_int_equal(load_ch(&c, &e, "--allow-dangerous",
				 "--min-settle-delay", "0", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(load_ch(&c, &e, "--allow-dangerous",
				 "--min-settle-delay=0", "--max-settle-delay",
				 "0"),
			 ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.max_settle_delay, 0);
}

static void test_config_channel_dangerous(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(
	    load_ch(&c, &e, "--allow-dangerous", "--settle-delay", "1", NULL),
	    ENG_CONFIG_OK);
	assert_true(c.paychan.allow_dangerous);
	assert_int_equal(c.paychan.pc.settle_delay, 1);
	assert_int_equal(load_ch(&c, &e, "--allow-dangerous",
				 "--min-settle-delay", "0", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.min_settle_delay, 0);
	/* Still refused with it: out-of-range and malformed values. */
	assert_int_equal(
	    load_ch(&c, &e, "--allow-dangerous", "--settle-delay", "0", NULL),
	    ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--settle-delay: must be from 1"));
	assert_int_equal(
	    load_ch(&c, &e, "--allow-dangerous=1", NULL, NULL, NULL),
	    ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--allow-dangerous"));

	static const char *const vars[] = {"XRPSE_ALLOW_DANGEROUS"};
	for (size_t i = 0; i < 1; i++) {
		clear_env(NULL);
		setenv("XRPSE_MIN_SETTLE_DELAY", "1h", 1);
		assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
				 ENG_CONFIG_BAD);
		assert_non_null(strstr(e.msg, "--allow-dangerous"));
		setenv(vars[i], "1", 1);
		assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
				 ENG_CONFIG_OK);
		assert_true(c.paychan.allow_dangerous);
		assert_int_equal(c.paychan.pc.min_settle_delay, 3600);
		setenv(vars[i], "0", 1);
		assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
				 ENG_CONFIG_BAD);
		setenv(vars[i], "", 1);
		assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
				 ENG_CONFIG_BAD);
		assert_non_null(strstr(e.msg, "below the 1 day floor"));
		setenv(vars[i], "yes", 1);
		assert_int_equal(load_ch(&c, &e, NULL, NULL, NULL, NULL),
				 ENG_CONFIG_BAD);
		assert_non_null(strstr(e.msg, vars[i]));
		assert_non_null(strstr(e.msg, "expected 1 or 0"));
		/* The flag wins over a variable saying 0 or nonsense. */
		assert_int_equal(
		    load_ch(&c, &e, "--allow-dangerous", NULL, NULL, NULL),
		    ENG_CONFIG_OK);
		assert_true(c.paychan.allow_dangerous);
	}
	clear_env(NULL);
}

/* The help lists every channel flag with its variable. */
static void test_config_channel_help(void **state)
{
	static const char *const want[] = {
	    "--channel-amount AMT",
	    "XRPSE_CHANNEL_AMOUNT",
	    "--max-channel-amount AMT",
	    "XRPSE_MAX_CHANNEL_AMOUNT",
	    "--settle-delay TIME",
	    "XRPSE_SETTLE_DELAY",
	    "--min-settle-delay TIME",
	    "XRPSE_MIN_SETTLE_DELAY",
	    "--max-settle-delay TIME",
	    "XRPSE_MAX_SETTLE_DELAY",
	    "at most 3660d",
	    "--redeem-threshold AMT",
	    "XRPSE_REDEEM_THRESHOLD",
	    "--redeem-fee-ppm PPM",
	    "XRPSE_REDEEM_FEE_PPM",
	    "--redeem-check TIME",
	    "XRPSE_REDEEM_CHECK",
	    "--tx-retry TIME",
	    "XRPSE_TX_RETRY",
	    "--tx-inflight N",
	    "XRPSE_TX_INFLIGHT",
	    "--close-wait TIME",
	    "XRPSE_CLOSE_WAIT",
	    "--deadline-fee-cap AMT",
	    "XRPSE_DEADLINE_FEE_CAP",
	    "--owed-alert TIME",
	    "XRPSE_OWED_ALERT",
	    "--outbox-keep TIME",
	    "XRPSE_OUTBOX_KEEP",
	    "--allow-dangerous",
	    "XRPSE_ALLOW_DANGEROUS=1",
	    "--dev-poll-ms MS",
	    "--dev-tick-ms MS",
	    "--dev-hello-retry-ms MS",
	    "--dev-claim-resend-ms MS",
	};
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct eng_config c;
	struct xu_err e;
	char *argv[] = {(char *)"--help", NULL};

	(void)state;
	assert_non_null(f);
	assert_int_equal(eng_config_load(&c, 1, argv, f, &e), ENG_CONFIG_HELP);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(buf, want[i]))
			fail_msg("help lacks %s", want[i]);
}

/* ---- the configuration file (--config, XRPSE_CONFIG) --------------- */

static char conf_path[64];

/* Writes text to a fresh temporary file of the given mode; its path is
 * conf_path. */
static const char *write_conf(const char *text, mode_t mode)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/xrpse-conf-XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return conf_path;
}

static void test_config_file_precedence(void **state)
{
	struct eng_config c;
	struct xu_err e;
	const char *path = write_conf(
	    "# xrpse.conf\n"
	    "\n"
	    "  seed-file = /var/lib/xrpse/seed   # the seed's own file\n"
	    "db=/var/lib/xrpse/xrpse.db\r\n"
	    "listen = 127.0.0.1:4000\n"
	    "settle-delay = 7d\n"
	    "channel-amount = 20xrp\n"
	    "connector-url = http://127.0.0.1:7771/#frag\n"
	    "allow-dangerous = false\n"
	    "\t# indented comment\n",
	    0600);

	(void)state;
	/* file only */
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_OK);
	assert_string_equal(c.seed_file, "/var/lib/xrpse/seed");
	assert_string_equal(c.db_path, "/var/lib/xrpse/xrpse.db");
	assert_int_equal(c.listen_port, 4000);
	assert_int_equal(c.paychan.pc.settle_delay, 7 * 86400);
	assert_int_equal(xl_drops_u64(c.paychan.pc.channel_amount), 20000000);
	/* a '#' inside a value is kept */
	assert_string_equal(c.connector_url, "http://127.0.0.1:7771/#frag");
	/* defaults stay for what the file does not name */
	assert_int_equal(c.paychan.pc.min_settle_delay, 3 * 86400);
	/* variable > file, flag > variable > file */
	setenv("XRPSE_SETTLE_DELAY", "8d", 1);
	setenv("XRPSE_CHANNEL_AMOUNT", "25xrp", 1);
	assert_int_equal(
	    load(&c, &e, "--config", path, "--channel-amount", "30xrp", NULL),
	    ENG_CONFIG_OK);
	assert_int_equal(c.paychan.pc.settle_delay, 8 * 86400);
	assert_int_equal(xl_drops_u64(c.paychan.pc.channel_amount), 30000000);
	assert_int_equal(c.listen_port, 4000);
	/* XRPSE_CONFIG names the file; --config wins over it */
	clear_env(NULL);
	setenv("XRPSE_CONFIG", path, 1);
	assert_int_equal(load(&c, &e, NULL), ENG_CONFIG_OK);
	assert_int_equal(c.listen_port, 4000);
	assert_int_equal(
	    load(&c, &e, "--config", "/nonexistent/xrpse.conf", NULL),
	    ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "/nonexistent/xrpse.conf"));
	clear_env(NULL);
	unlink(path);
}

static void test_config_file_flags(void **state)
{
	struct eng_config c;
	struct xu_err e;
	const char *path =
	    write_conf("seed-file = s\ndb = d\nlisten = 10.1.2.3:80\n"
		       "allow-remote = true\nsettle-delay = 2h\n"
		       "min-settle-delay = 1h\nallow-dangerous = yes\n",
		       0644);

	(void)state;
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_OK);
	assert_true(c.allow_remote);
	assert_true(c.paychan.allow_dangerous);
	assert_int_equal(c.paychan.pc.settle_delay, 7200);
	/* a variable set to 0 wins over the file's true */
	setenv("XRPSE_ALLOW_DANGEROUS", "0", 1);
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "1 day floor"));
	clear_env(NULL);
	unlink(path);
	path = write_conf("seed-file = s\ndb = d\nlisten = 10.1.2.3:80\n"
			  "allow-remote = false\n",
			  0600);
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, ":3: --listen"));
	assert_int_equal(load(&c, &e, "--config", path, "--allow-remote", NULL),
			 ENG_CONFIG_OK);
	unlink(path);
}

static void test_config_file_rejects(void **state)
{
	/* file text, what the message must hold after "PATH:" */
	static const char *const bad[][2] = {
	    {"settle-delay = 6x\n", ":1: --settle-delay: expected seconds"},
	    {"\n\nchannel-amount = 2000xrp\n", ":3: --channel-amount"},
	    {"# c\nlisten = 127.0.0.1:99999\n", ":2: --listen port"},
	    {"log-level = chatty\n", ":1: --log-level"},
	    {"settle-dealy = 6d\n", ":1: unknown setting settle-dealy"},
	    {"help = true\n", ":1: help is a command-line flag"},
	    {"version = true\n", ":1: version is a command-line flag"},
	    {"config = /etc/other.conf\n", ":1: config is a command-line flag"},
	    {"dev-api = true\n", ":1: dev-api is a test-only knob"},
	    {"db = a\ndb = b\n", ":2: db given twice (first on line 1)"},
	    {"settle-delay 6d\n", ":1: expected name = value"},
	    {"settle-delay =\n", ":1: settle-delay has no value"},
	    {"--settle-delay = 6d\n", ":1: write names without the leading"},
	    {"Settle_Delay = 6d\n", ":1: bad setting name"},
	    {"allow-remote = maybe\n", ":1: allow-remote takes true or false"},
	    {"seed = snoPBrXtMeMyMHUVTgbuqAfg1SUTb\n", ":1: a seed never"},
	    {"seed-file = snoPBrXtMeMyMHUVTgbuqAfg1SUTb\n", ":1: a seed never"},
	};
	struct eng_config c;
	struct xu_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = write_conf(bad[i][0], 0600);
		char want[256];

		memset(&e, 0, sizeof(e));
		assert_int_equal(load(&c, &e, "--config", path, "--seed-file",
				      "s", "--db", "d", NULL),
				 ENG_CONFIG_BAD);
		snprintf(want, sizeof(want), "%s%s", path, bad[i][1]);
		if (!strstr(e.msg, want))
			fail_msg("%s: got '%s', want '%s'", bad[i][0], e.msg,
				 want);
		/* never a value, least of all a seed (looked for after the
		 * path, whose random part may hold any letters) */
		assert_null(
		    strstr(strstr(e.msg, want) + strlen(path), "snoPB"));
		assert_null(strstr(strstr(e.msg, want) + strlen(path), "6x"));
		unlink(path);
	}
}

static void test_config_file_mode(void **state)
{
	struct eng_config c;
	struct xu_err e;
	const char *path = write_conf("seed-file = s\ndb = d\n", 0620);

	(void)state;
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "group or others may write it"));
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_BAD);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(load(&c, &e, "--config", path, NULL), ENG_CONFIG_OK);
	unlink(path);
	/* not a regular file */
	assert_int_equal(load(&c, &e, "--config", "/tmp", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

static void test_config_metrics_listen(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d", NULL),
			 ENG_CONFIG_OK);
	assert_string_equal(c.metrics_host, "");
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--metrics-listen", "127.0.0.1:9464", NULL),
			 ENG_CONFIG_OK);
	assert_string_equal(c.metrics_host, "127.0.0.1");
	assert_int_equal(c.metrics_port, 9464);
	setenv("XRPSE_METRICS_LISTEN", "[::1]:9465", 1);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d", NULL),
			 ENG_CONFIG_OK);
	assert_string_equal(c.metrics_host, "::1");
	assert_int_equal(c.metrics_port, 9465);
	clear_env(NULL);
	/* loopback unless --allow-remote */
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--metrics-listen", "0.0.0.0:9464", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--metrics-listen 0.0.0.0 is not a "
				      "loopback address"));
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--metrics-listen", "0.0.0.0:9464",
			      "--allow-remote", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--metrics-listen", "127.0.0.1:70000", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--metrics-listen port"));
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--metrics-listen", "9464", NULL),
			 ENG_CONFIG_BAD);
}

static void test_config_log_format(void **state)
{
	struct eng_config c;
	struct xu_err e;

	(void)state;
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.log_format, XU_LOG_FORMAT_TEXT);
	setenv("XRPSE_LOG_FORMAT", "json", 1);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.log_format, XU_LOG_FORMAT_JSON);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--log-format", "text", NULL),
			 ENG_CONFIG_OK);
	assert_int_equal(c.log_format, XU_LOG_FORMAT_TEXT);
	assert_int_equal(load(&c, &e, "--seed-file", "s", "--db", "d",
			      "--log-format", "xml", NULL),
			 ENG_CONFIG_BAD);
	assert_non_null(strstr(e.msg, "--log-format"));
	clear_env(NULL);
}

/* contrib/xrpse.conf.example: each commented `# name = value` line shows
 * the default, so the file with those lines uncommented must load into
 * exactly the defaults (key-type and metrics-listen have none: their lines
 * are examples). */
static void test_config_example_is_the_defaults(void **state)
{
	char line[512], out[16384];
	size_t n = 0;
	unsigned taken = 0;
	struct eng_config ex, def;
	struct xu_err e;
	FILE *f = fopen(XRPSE_SOURCE_DIR "/contrib/xrpse.conf.example", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *l = line;
		char name[64];

		if (sscanf(line, "# %63[a-z-] =", name) == 1 &&
		    strstr(line, " = ") && strcmp(name, "key-type") &&
		    strcmp(name, "metrics-listen")) {
			l = line + 2;
			taken++;
		}
		assert_true(n + strlen(l) < sizeof(out));
		memcpy(out + n, l, strlen(l));
		n += strlen(l);
	}
	fclose(f);
	out[n] = '\0';
	assert_true(taken >= 20);
	write_conf(out, 0600);
	assert_int_equal(load(&ex, &e, "--config", conf_path, NULL),
			 ENG_CONFIG_OK);
	unlink(conf_path);
	assert_int_equal(load(&def, &e, "--seed-file", "/var/lib/xrpse/seed",
			      "--db", "/var/lib/xrpse/xrpse.db", NULL),
			 ENG_CONFIG_OK);
	assert_memory_equal(&ex, &def, sizeof(ex));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_config_defaults, clear_env),
	    cmocka_unit_test_setup(test_config_flags_win_over_env, clear_env),
	    cmocka_unit_test_setup(test_config_rejects, clear_env),
	    cmocka_unit_test_setup(test_config_allow_remote, clear_env),
	    cmocka_unit_test_setup(test_config_help, clear_env),
	    cmocka_unit_test_setup(test_config_channel_defaults, clear_env),
	    cmocka_unit_test_setup(test_config_channel_sources, clear_env),
	    cmocka_unit_test_setup(test_config_channel_amount_forms, clear_env),
	    cmocka_unit_test_setup(test_config_channel_rejects, clear_env),
	    cmocka_unit_test_setup(test_config_channel_dangerous, clear_env),
	    cmocka_unit_test_setup(test_config_channel_max_settle_delay,
				   clear_env),
	    cmocka_unit_test_setup(test_config_channel_help, clear_env),
	    cmocka_unit_test_setup(test_config_file_precedence, clear_env),
	    cmocka_unit_test_setup(test_config_file_flags, clear_env),
	    cmocka_unit_test_setup(test_config_file_rejects, clear_env),
	    cmocka_unit_test_setup(test_config_file_mode, clear_env),
	    cmocka_unit_test_setup(test_config_metrics_listen, clear_env),
	    cmocka_unit_test_setup(test_config_log_format, clear_env),
	    cmocka_unit_test_setup(test_config_example_is_the_defaults,
				   clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
