/* The daemon's configuration: `xrpse run` flags, each with an XRPSE_*
 * environment variable, and an optional configuration file (--config FILE
 * or XRPSE_CONFIG; its format is in conffile.h).  Precedence: flag >
 * XRPSE_<NAME> > file > default.  eng_config_load validates every value;
 * it reads the command line, the environment and the configuration file;
 * opening the seed file and the database is the caller's job.
 *
 * The payment-channel settings (channel amount, settle delays, redeem
 * thresholds...) are flags too (--channel-amount, --settle-delay...).
 *
 * Test-only knobs start with --dev- and are meant for the test suites: they
 * shorten timers, move the clock and expose a debug API.  Never use them in
 * production (the configuration file refuses them). */
#ifndef XRPSE_SRC_CONFIG_H
#define XRPSE_SRC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "src/paychan/settings.h"
#include "src/util/err.h"
#include "src/util/log.h"

#define ENG_CONFIG_HOST_MAX 64
#define ENG_CONFIG_URL_MAX 512
#define ENG_CONFIG_PATH_MAX 1024

struct eng_config {
	char listen_host[ENG_CONFIG_HOST_MAX]; /* "127.0.0.1", "::1" ... */
	int listen_port;		       /* 0: any free port */
	bool allow_remote;		       /* non-loopback listen allowed */
	/* --metrics-listen: a second listener serving GET /metrics only;
	 * metrics_host "" when there is none. */
	char metrics_host[ENG_CONFIG_HOST_MAX];
	int metrics_port;
	char connector_url[ENG_CONFIG_URL_MAX]; /* no trailing '/' */
	char rippled_url[ENG_CONFIG_URL_MAX];
	char seed_file[ENG_CONFIG_PATH_MAX];
	char db_path[ENG_CONFIG_PATH_MAX];
	char rpc_socket[ENG_CONFIG_PATH_MAX]; /* the admin socket */
	int key_type;	     /* 0: implied by the seed, else enum cr_key_type */
	uint32_t network_id; /* 0: none */
	enum xu_log_level log_level;
	enum xu_log_format log_format; /* text (default) or json */
	/* Channel settings: pc_cfg_default() and the service's timers, then
	 * the flags; already checked with pc_cfg_check.  The --dev-poll-ms,
	 * --dev-tick-ms, --dev-hello-retry-ms and --dev-claim-resend-ms
	 * knobs land here too. */
	struct eng_paychan_cfg paychan;
	/* The highest fee a redeem racing its channel's Expiration may pay
	 * (--deadline-fee-cap; every other transaction: 1000 drops). */
	struct xl_drops deadline_fee_cap;
	/* How long delivered outbox rows are kept (--outbox-keep): they are
	 * the operator's record only; what was credited is in the channel
	 * records. */
	uint32_t outbox_keep_s;
	/* Test-only knobs (--dev-*). */
	uint32_t dev_retry_base_ms; /* outbox backoff base; 0: default */
	uint32_t dev_cron_ms;	    /* cron period; 0: default */
	bool dev_api;		    /* enables the /dev/ routes */
};

/* Delivered outbox rows are kept this long by default (--outbox-keep). */
#define ENG_CONFIG_OUTBOX_KEEP_S (30u * 86400u)

/* Outcome of eng_config_load. */
enum eng_config_result {
	ENG_CONFIG_OK,
	ENG_CONFIG_HELP, /* --help: the help text was printed */
	ENG_CONFIG_BAD,	 /* err says what is wrong */
};

/* Fills *cfg from argv[0..argc) (the arguments after "run"), the
 * environment and the configuration file.  Prints help to `out` on
 * --help.  A bad value from the file is reported as "FILE:LINE: ...". */
enum eng_config_result eng_config_load(struct eng_config *cfg, int argc,
				       char **argv, FILE *out,
				       struct xu_err *err);

/* Logs the channel settings of cfg at info (and a warning for settings
 * that are allowed but unusual: --allow-dangerous in use, a minimum settle
 * delay above the 30 days an xrpse peer offers by default). */
void eng_config_log_channels(const struct eng_config *cfg);

/* True when host names a loopback address (127.0.0.0/8, ::1, localhost). */
bool eng_config_is_loopback(const char *host);

#endif /* XRPSE_SRC_CONFIG_H */
