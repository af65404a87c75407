/* `xrpse run` configuration: flags, XRPSE_* environment variables, the
 * --config file (conffile.c) and their validation (see config.h).  Values
 * are copied into fixed buffers; the configuration file is the only file
 * opened here.
 *
 * The file's settings are merged under the flags: a setting fills the
 * option's slot only when neither the flag nor its XRPSE_* variable is
 * given, so every reader below sees flag > variable > file > default
 * without knowing about the file.  A value from the file that fails its
 * check is reported with the file and line (locate_error).
 *
 * Channel settings are described by one table (chan_opts below): flag,
 * variable, kind (drops, seconds, milliseconds, plain number) and accepted
 * range.  Amounts are drops, or XRP with an
 * "xrp" suffix, converted exactly (no floating point); durations are
 * seconds, or a number with a unit s, m, h or d, with overflow checks. */
#include "src/daemon/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "ledger/amount.h"
#include "ledger/net/rippled.h"
#include "src/daemon/args.h"
#include "src/daemon/conffile.h"
#include "src/util/log.h"

static const struct eng_opt run_opts[] = {
    {"config", "FILE",
     "read settings from FILE, one `name = value` a line, names being "
     "these options without -- (flags and variables win over it) "
     "[XRPSE_CONFIG]"},
    {"listen", "HOST:PORT",
     "REST API address (default 127.0.0.1:3000) [XRPSE_LISTEN]"},
    {"allow-remote", NULL,
     "allow a non-loopback --listen or --metrics-listen address "
     "[XRPSE_ALLOW_REMOTE=1]"},
    {"metrics-listen", "HOST:PORT",
     "serve GET /metrics on this address too, alone (default: none; "
     "/metrics is always on the API address) [XRPSE_METRICS_LISTEN]"},
    {"connector-url", "URL",
     "connector's settlement API (default http://127.0.0.1:7771) "
     "[XRPSE_CONNECTOR_URL]"},
    {"rippled-url", "URL",
     "rippled WebSocket (default ws://127.0.0.1:6006) [XRPSE_RIPPLED_URL]"},
    {"seed-file", "PATH",
     "file holding the family seed (required) [XRPSE_SEED_FILE]"},
    {"db", "PATH", "SQLite database file (required) [XRPSE_DB]"},
    {"rpc-socket", "PATH",
     "admin unix socket, mode 0600 (default: the --db path + \".sock\") "
     "[XRPSE_RPC_SOCKET]"},
    {"key-type", "T",
     "secp256k1 or ed25519 (default: implied by the seed) "
     "[XRPSE_KEY_TYPE]"},
    {"network-id", "N", "XRPL NetworkID, 0 for none [XRPSE_NETWORK_ID]"},
    {"log-level", "L",
     "trace|debug|info|unusual|broken (default info) [XRPSE_LOG_LEVEL]"},
    {"log-format", "F",
     "text or json: one JSON object a line, with account, channel and "
     "drops where known (default text) [XRPSE_LOG_FORMAT]"},
    {"channel-amount", "AMT",
     "fund each new channel and each top-up with this (default 10xrp) "
     "[XRPSE_CHANNEL_AMOUNT]"},
    {"max-channel-amount", "AMT",
     "never fund one channel above this (default 1000xrp) "
     "[XRPSE_MAX_CHANNEL_AMOUNT]"},
    {"settle-delay", "TIME",
     "SettleDelay of our channels (default 6d) [XRPSE_SETTLE_DELAY]"},
    {"min-settle-delay", "TIME",
     "refuse peer channels with a shorter SettleDelay (default 3d) "
     "[XRPSE_MIN_SETTLE_DELAY]"},
    {"max-settle-delay", "TIME",
     "refuse peer channels with a longer SettleDelay (default 30d, at "
     "most 3660d: the ledger adds SettleDelay to its 32-bit close time, "
     "and a sum that wraps lets the peer close at once with our claims "
     "unredeemed) [XRPSE_MAX_SETTLE_DELAY]"},
    {"redeem-threshold", "AMT",
     "redeem once this much is unclaimed (default 10xrp) "
     "[XRPSE_REDEEM_THRESHOLD]"},
    {"redeem-fee-ppm", "PPM",
     "or once the fee is at most this share of it, in millionths "
     "(default 10000 = 1%) [XRPSE_REDEEM_FEE_PPM]"},
    {"redeem-check", "TIME",
     "apply the redeem rules this often (default 5m) "
     "[XRPSE_REDEEM_CHECK]"},
    {"tx-retry", "TIME",
     "wait after a failed channel transaction (default 30s) "
     "[XRPSE_TX_RETRY]"},
    {"tx-inflight", "N",
     "our transactions submitted and not yet final at once, 1 to 64: "
     "how fast many channels open; above 10 (rippled's per-account queue, "
     "the default) some may be refused and retried under fee load "
     "[XRPSE_TX_INFLIGHT]"},
    {"deadline-fee-cap", "AMT",
     "a redeem whose channel expires within its close margin may pay up to "
     "this fee, above the 1000 drops every other transaction may pay "
     "(default 10000 drops, at most 1xrp) [XRPSE_DEADLINE_FEE_CAP]"},
    {"close-wait", "TIME",
     "on DELETE, let the peer close our channel this long before we "
     "close it as owner (default 10m) [XRPSE_CLOSE_WAIT]"},
    {"owed-alert", "TIME",
     "log BROKEN and fail /health when drops acknowledged to the "
     "connector stay unpaid this long (default 5m) [XRPSE_OWED_ALERT]"},
    {"outbox-keep", "TIME",
     "keep delivered calls to the connector this long, for `xrpse outbox` "
     "(default 30d, at least 1h; about 400 bytes a credit) "
     "[XRPSE_OUTBOX_KEEP]"},
    {"allow-dangerous", NULL,
     "allow settle delays below 1 day [XRPSE_ALLOW_DANGEROUS=1]"},
    {"version", NULL, "print the version and exit"},
    {"dev-retry-base-ms", "MS", "TEST ONLY: outbox backoff base"},
    {"dev-cron-ms", "MS", "TEST ONLY: cron period (default 100)"},
    {"dev-api", NULL, "TEST ONLY: enable the /dev/ debug routes"},
    {"dev-poll-ms", "MS",
     "TEST ONLY: poll every channel this often (default 60000)"},
    {"dev-tick-ms", "MS", "TEST ONLY: channel timer (default 1000)"},
    {"dev-hello-retry-ms", "MS",
     "TEST ONLY: first pairing retry (default 1000)"},
    {"dev-claim-resend-ms", "MS",
     "TEST ONLY: re-send an unanswered claim (default 10000)"},
    {"dev-closed-keep", "TIME",
     "TEST ONLY: prune a closed incoming channel record this long after it "
     "closed (default 1d)"},
    {"dev-recover-alert-ms", "MS",
     "TEST ONLY: a recovery unanswered this long alerts and stops asking "
     "(default 600000)"},
};
#define NOPTS (sizeof(run_opts) / sizeof(run_opts[0]))
_Static_assert(NOPTS <= ENG_ARGS_MAX, "too many run options");

/* The flag's value, else its environment variable, else NULL. */
static const char *value_of(const struct eng_args *a, const char *name,
			    const char *env)
{
	const char *v = eng_args_get(a, name);

	if (v)
		return v;
	return env ? getenv(env) : NULL;
}

static enum xu_code copy_str(char *dst, size_t cap, const char *src,
			     const char *what, struct xu_err *err)
{
	size_t n = strlen(src);

	if (n == 0)
		return xu_fail(err, XU_EINVAL, 0, "%s is empty", what);
	if (n >= cap)
		return xu_fail(err, XU_EINVAL, 0, "%s is too long", what);
	memcpy(dst, src, n + 1);
	return XU_OK;
}

/* Parses a decimal unsigned integer in [0, max]. */
static enum xu_code parse_uint(uint64_t *out, const char *s, uint64_t max,
			       const char *what, struct xu_err *err)
{
	uint64_t v = 0;

	if (!*s)
		return xu_fail(err, XU_EINVAL, 0, "%s: empty number", what);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: not a decimal number", what);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: larger than %llu", what,
				       (unsigned long long)max);
	}
	*out = v;
	return XU_OK;
}

bool eng_config_is_loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
	       !strcmp(host, "localhost");
}

/* "HOST:PORT" or "[V6]:PORT" into host (ENG_CONFIG_HOST_MAX bytes) and
 * *port; `what` names the option in messages ("--listen"). */
static enum xu_code parse_hostport(char *hostbuf, int *port_out, const char *s,
				   const char *what, struct xu_err *err)
{
	const char *host = s, *colon;
	char pwhat[64];
	size_t hlen;
	uint64_t port;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: expected [ADDR]:PORT", what);
		host = s + 1;
		hlen = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: expected HOST:PORT", what);
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= ENG_CONFIG_HOST_MAX)
		return xu_fail(err, XU_EINVAL, 0, "%s: bad host", what);
	for (size_t i = 0; i < hlen; i++) {
		char c = host[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == ':' ||
		      c == '-'))
			return xu_fail(err, XU_EINVAL, 0, "%s: bad host", what);
	}
	memcpy(hostbuf, host, hlen);
	hostbuf[hlen] = '\0';
	snprintf(pwhat, sizeof(pwhat), "%s port", what);
	if (parse_uint(&port, colon + 1, 65535, pwhat, err))
		return XU_EINVAL;
	*port_out = (int)port;
	return XU_OK;
}

/* Checks that url starts with one of the schemes and has a host, and copies
 * it without trailing slashes. */
static enum xu_code parse_url(char *dst, size_t cap, const char *url,
			      const char *s1, const char *s2, const char *what,
			      struct xu_err *err)
{
	const char *rest = NULL;
	size_t n;

	if (!strncmp(url, s1, strlen(s1)))
		rest = url + strlen(s1);
	else if (!strncmp(url, s2, strlen(s2)))
		rest = url + strlen(s2);
	if (!rest)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: must start with %s or %s", what, s1, s2);
	if (!*rest || *rest == '/' || *rest == ':')
		return xu_fail(err, XU_EINVAL, 0, "%s: no host", what);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: invalid character", what);
	if (copy_str(dst, cap, url, what, err))
		return XU_EINVAL;
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
	return XU_OK;
}

/* ---- channel settings ------------------------------------------------ */

/* Settle delays below one day need --allow-dangerous (as pc_cfg_check). */
#define SETTLE_DELAY_FLOOR 86400u
/* The longest settle delay an xrpse peer picks by itself to meet our
 * minimum (PEER_SETTLE_DELAY_CAP in src/paychan/service.h): 30 days. */
#define MIN_SETTLE_DELAY_USUAL (30u * 86400u)

enum chan_kind {
	CK_DROPS,   /* drops, or XRP with an "xrp" suffix */
	CK_SECONDS, /* seconds, or a number with a unit s, m, h or d */
	CK_MS,	    /* milliseconds, digits only */
	CK_NUMBER,  /* digits only */
};

/* One channel setting: where it is read from, its form and range, and the
 * field it fills (drops for CK_DROPS, u32 otherwise). */
struct chan_opt {
	const char *flag; /* without "--" */
	const char *env;  /* XRPSE_<NAME>; XRPSE_DEV_<NAME> for --dev-* */
	enum chan_kind kind;
	uint64_t min, max;
	struct xl_drops *drops;
	uint32_t *u32;
};

/* A value and its source, named in messages: "--settle-delay" or
 * "--settle-delay (from XRPSE_SETTLE_DELAY)". */
struct setting {
	const char *v; /* NULL: not given anywhere */
	char what[96];
};

static void setting_get(struct setting *s, const struct eng_args *a,
			const char *flag, const char *env)
{
	const char *from = NULL;

	s->v = eng_args_get(a, flag);
	if (!s->v && env && (s->v = getenv(env)) != NULL)
		from = env;
	if (from)
		snprintf(s->what, sizeof(s->what), "--%s (from %s)", flag,
			 from);
	else
		snprintf(s->what, sizeof(s->what), "--%s", flag);
}

/* Reads the digits s[0..n) into *out.  False when there are none or any
 * other character; *big when the value exceeds cap (then *out is
 * meaningless, and nothing overflowed). */
static bool digits_u64(uint64_t *out, const char *s, size_t n, uint64_t cap,
		       bool *big)
{
	uint64_t v = 0;

	*big = false;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (!*big) {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > cap)
				*big = true;
		}
	}
	*out = v;
	return true;
}

static bool ends_with_xrp(const char *s, size_t n)
{
	static const char xrp[] = "xrp";

	if (n < 3)
		return false;
	for (size_t i = 0; i < 3; i++) {
		char c = s[n - 3 + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != xrp[i])
			return false;
	}
	return true;
}

/* "12345" (drops) or "10xrp", "0.5XRP" (at most 6 decimals).  The XRP
 * form is rewritten as a digit string of drops and parsed like the other,
 * so both are exact and share xl_drops_parse's 10^17 limit. */
static enum xu_code parse_amount(struct xl_drops *out, const char *s,
				 const char *what, struct xu_err *err)
{
	/* 10^17 drops is 10^11 XRP: 12 integer digits. */
	char buf[12 + 6 + 1];
	size_t n = strlen(s), ilen, flen = 0, k = 0;
	const char *frac = NULL, *dot;
	enum xu_code rc;

	if (!ends_with_xrp(s, n)) {
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				n = 0;
		if (n == 0)
			goto bad_form;
		rc = xl_drops_parse(out, s, NULL);
		if (rc == XU_ERANGE)
			goto too_big;
		if (rc != XU_OK)
			goto bad_form;
		return XU_OK;
	}
	n -= 3;
	dot = memchr(s, '.', n);
	ilen = dot ? (size_t)(dot - s) : n;
	if (dot) {
		frac = dot + 1;
		flen = n - ilen - 1;
		if (flen == 0)
			goto bad_form;
	}
	if (ilen == 0)
		goto bad_form;
	for (size_t i = 0; i < ilen; i++)
		if (s[i] < '0' || s[i] > '9')
			goto bad_form;
	for (size_t i = 0; i < flen; i++)
		if (frac[i] < '0' || frac[i] > '9')
			goto bad_form;
	if (flen > 6)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: at most 6 decimals of XRP (1 drop is "
			       "0.000001 XRP)",
			       what);
	while (ilen > 1 && s[0] == '0') {
		s++;
		ilen--;
	}
	if (ilen > 12)
		goto too_big;
	memcpy(buf, s, ilen);
	k = ilen;
	for (size_t i = 0; i < 6; i++)
		buf[k++] = i < flen ? frac[i] : '0';
	buf[k] = '\0';
	rc = xl_drops_parse(out, buf, NULL);
	if (rc == XU_ERANGE)
		goto too_big;
	if (rc != XU_OK)
		goto bad_form;
	return XU_OK;
bad_form:
	return xu_fail(err, XU_EINVAL, 0,
		       "%s: expected drops (digits) or XRP with an xrp suffix "
		       "(like 10xrp or 0.5xrp)",
		       what);
too_big:
	return xu_fail(err, XU_EINVAL, 0,
		       "%s: above 10^17 drops (all the XRP there is)", what);
}

/* "300", "300s", "5m", "72h", "6d" -> seconds within [0, max]. */
static enum xu_code parse_seconds(uint64_t *out, const char *s, uint64_t max,
				  const char *what, struct xu_err *err)
{
	size_t n = strlen(s);
	uint64_t unit = 1, v;
	bool big;

	if (n > 0) {
		switch (s[n - 1]) {
		case 's':
			n--;
			break;
		case 'm':
			unit = 60;
			n--;
			break;
		case 'h':
			unit = 3600;
			n--;
			break;
		case 'd':
			unit = 86400;
			n--;
			break;
		}
	}
	if (!digits_u64(&v, s, n, max, &big))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: expected seconds, or a number with a unit "
			       "s, m, h or d (like 6d)",
			       what);
	if (big || v > max / unit)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: above the %llu s maximum", what,
			       (unsigned long long)max);
	*out = v * unit;
	return XU_OK;
}

static enum xu_code parse_chan_opt(const struct chan_opt *o,
				   const struct setting *s, struct xu_err *err)
{
	struct xl_drops d;
	uint64_t v = 0;
	bool big;

	switch (o->kind) {
	case CK_DROPS:
		if (parse_amount(&d, s->v, s->what, err))
			return XU_EINVAL;
		v = xl_drops_u64(d);
		if (v < o->min || v > o->max)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: must be from %llu to %llu drops",
				       s->what, (unsigned long long)o->min,
				       (unsigned long long)o->max);
		*o->drops = d;
		return XU_OK;
	case CK_SECONDS:
		if (parse_seconds(&v, s->v, o->max, s->what, err))
			return XU_EINVAL;
		if (v < o->min)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: must be from %llu to %llu seconds",
				       s->what, (unsigned long long)o->min,
				       (unsigned long long)o->max);
		*o->u32 = (uint32_t)v;
		return XU_OK;
	case CK_MS:
	case CK_NUMBER:
		if (!digits_u64(&v, s->v, strlen(s->v), o->max, &big))
			return xu_fail(
			    err, XU_EINVAL, 0,
			    "%s: expected a decimal number%s", s->what,
			    o->kind == CK_MS ? " of milliseconds" : "");
		if (big || v < o->min)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: must be from %llu to %llu", s->what,
				       (unsigned long long)o->min,
				       (unsigned long long)o->max);
		*o->u32 = (uint32_t)v;
		return XU_OK;
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad option kind");
}

/* --allow-dangerous or XRPSE_ALLOW_DANGEROUS:
 * "1" is on, "0" or "" off, anything else a mistake worth refusing. */
static enum xu_code parse_dangerous(bool *on, const struct eng_args *a,
				    struct xu_err *err)
{
	struct setting s;

	setting_get(&s, a, "allow-dangerous", "XRPSE_ALLOW_DANGEROUS");
	*on = false;
	if (eng_args_has(a, "allow-dangerous") || !s.v)
		*on = s.v != NULL;
	else if (!strcmp(s.v, "1"))
		*on = true;
	else if (strcmp(s.v, "0") && strcmp(s.v, ""))
		return xu_fail(err, XU_EINVAL, 0, "%s: expected 1 or 0",
			       s.what);
	return XU_OK;
}

static enum xu_code wrap_fail(struct xu_err *err, const char *what, uint32_t v)
{
	return xu_fail(err, XU_EINVAL, 0,
		       "%s: %u s is above the 3660 day ceiling (%u s): the "
		       "ledger's 32-bit close time + SettleDelay could wrap, "
		       "and an owner close would then end the channel at once",
		       what, (unsigned)v, (unsigned)PC_SETTLE_DELAY_CEILING);
}

/* Fills cfg->paychan: the defaults, then every channel setting given. */
static enum xu_code load_channel(struct eng_config *cfg,
				 const struct eng_args *a, struct xu_err *err)
{
	struct eng_paychan_cfg *c = &cfg->paychan;
	struct pc_cfg *p = &c->pc;
	uint32_t owed_alert_s;
	const struct chan_opt opts[] = {
	    {"channel-amount", "XRPSE_CHANNEL_AMOUNT", CK_DROPS, 1,
	     XL_DROPS_MAX, &p->channel_amount, NULL},
	    {"max-channel-amount", "XRPSE_MAX_CHANNEL_AMOUNT", CK_DROPS, 1,
	     XL_DROPS_MAX, &p->max_channel_amount, NULL},
	    {"settle-delay", "XRPSE_SETTLE_DELAY", CK_SECONDS, 1, UINT32_MAX,
	     NULL, &p->settle_delay},
	    {"min-settle-delay", "XRPSE_MIN_SETTLE_DELAY", CK_SECONDS, 0,
	     UINT32_MAX, NULL, &p->min_settle_delay},
	    {"max-settle-delay", "XRPSE_MAX_SETTLE_DELAY", CK_SECONDS, 0,
	     UINT32_MAX, NULL, &p->max_settle_delay},
	    {"redeem-threshold", "XRPSE_REDEEM_THRESHOLD", CK_DROPS, 0,
	     XL_DROPS_MAX, &p->redeem_abs, NULL},
	    {"redeem-fee-ppm", "XRPSE_REDEEM_FEE_PPM", CK_NUMBER, 0, 1000000,
	     NULL, &p->redeem_fee_ppm},
	    {"redeem-check", "XRPSE_REDEEM_CHECK", CK_SECONDS, 1, 86400, NULL,
	     &p->redeem_check_s},
	    {"tx-retry", "XRPSE_TX_RETRY", CK_SECONDS, 1, 86400, NULL,
	     &p->retry_s},
	    {"tx-inflight", "XRPSE_TX_INFLIGHT", CK_NUMBER, 1,
	     XL_SUBMIT_INFLIGHT_MAX, NULL, &c->tx_inflight},
	    {"close-wait", "XRPSE_CLOSE_WAIT", CK_SECONDS, 0, 30 * 86400, NULL,
	     &p->close_wait_s},
	    {"deadline-fee-cap", "XRPSE_DEADLINE_FEE_CAP", CK_DROPS,
	     XL_RIPPLED_DEFAULT_FEE_MAX, 1000000, &cfg->deadline_fee_cap, NULL},
	    {"dev-poll-ms", "XRPSE_DEV_POLL_MS", CK_MS, 100, 3600000, NULL,
	     &c->poll_ms},
	    {"dev-tick-ms", "XRPSE_DEV_TICK_MS", CK_MS, 10, 60000, NULL,
	     &c->tick_ms},
	    {"dev-hello-retry-ms", "XRPSE_DEV_HELLO_RETRY_MS", CK_MS, 10, 60000,
	     NULL, &c->hello_retry_ms},
	    {"dev-claim-resend-ms", "XRPSE_DEV_CLAIM_RESEND_MS", CK_MS, 100,
	     3600000, NULL, &c->claim_resend_ms},
	    {"dev-recover-alert-ms", "XRPSE_DEV_RECOVER_ALERT_MS", CK_MS, 100,
	     86400000, NULL, &c->recover_alert_ms},
	    {"dev-closed-keep", "XRPSE_DEV_CLOSED_KEEP", CK_SECONDS, 0,
	     366 * 86400, NULL, &c->closed_keep_s},
	    {"owed-alert", "XRPSE_OWED_ALERT", CK_SECONDS, 1, 7 * 86400, NULL,
	     &owed_alert_s},
	    {"outbox-keep", "XRPSE_OUTBOX_KEEP", CK_SECONDS, 3600, 3660 * 86400,
	     NULL, &cfg->outbox_keep_s},
	};
	/* Where each value came from (table order: the first five are
	 * named again by the checks across settings below). */
	struct setting got[sizeof(opts) / sizeof(opts[0])];
	enum { AMOUNT, MAX_AMOUNT, SETTLE, MIN_SETTLE, MAX_SETTLE };

	eng_paychan_cfg_default(c);
	if (!xl_drops_from_u64(&cfg->deadline_fee_cap,
			       XL_RIPPLED_DEFAULT_DEADLINE_FEE_MAX))
		return xu_fail(err, XU_EINTERNAL, 0,
			       "bad default deadline fee cap");
	owed_alert_s = c->owed_alert_ms / 1000;
	cfg->outbox_keep_s = ENG_CONFIG_OUTBOX_KEEP_S;
	if (parse_dangerous(&c->allow_dangerous, a, err))
		return XU_EINVAL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		setting_get(&got[i], a, opts[i].flag, opts[i].env);
		if (got[i].v && parse_chan_opt(&opts[i], &got[i], err))
			return XU_EINVAL;
	}
	c->owed_alert_ms = owed_alert_s * 1000; /* at most 7 days */

	XU_ASSERT(opts[MIN_SETTLE].u32 == &p->min_settle_delay);
	XU_ASSERT(opts[MAX_SETTLE].u32 == &p->max_settle_delay);
	if (xl_drops_cmp(p->channel_amount, p->max_channel_amount) > 0)
		return xu_fail(
		    err, XU_EINVAL, 0,
		    "%s: %llu drops is above the %llu drops of %s",
		    got[AMOUNT].what,
		    (unsigned long long)xl_drops_u64(p->channel_amount),
		    (unsigned long long)xl_drops_u64(p->max_channel_amount),
		    got[MAX_AMOUNT].what);
	if (!c->allow_dangerous) {
		if (p->settle_delay < SETTLE_DELAY_FLOOR)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: %u s is below the 1 day floor "
				       "(86400 s); add --allow-dangerous to "
				       "accept it",
				       got[SETTLE].what,
				       (unsigned)p->settle_delay);
		if (p->min_settle_delay < SETTLE_DELAY_FLOOR)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: %u s is below the 1 day floor "
				       "(86400 s); add --allow-dangerous to "
				       "accept it",
				       got[MIN_SETTLE].what,
				       (unsigned)p->min_settle_delay);
	}
	/* rippled's owner close sets Expiration = close time + SettleDelay
	 * in 32 bits: refuse delays that could wrap it (channel.h). */
	if (p->settle_delay > PC_SETTLE_DELAY_CEILING)
		return wrap_fail(err, got[SETTLE].what, p->settle_delay);
	if (p->max_settle_delay > PC_SETTLE_DELAY_CEILING)
		return wrap_fail(err, got[MAX_SETTLE].what,
				 p->max_settle_delay);
	if (p->min_settle_delay > p->max_settle_delay)
		return xu_fail(
		    err, XU_EINVAL, 0, "%s: %u s is above the %u s of %s",
		    got[MIN_SETTLE].what, (unsigned)p->min_settle_delay,
		    (unsigned)p->max_settle_delay, got[MAX_SETTLE].what);
	/* The core's own rules, which the checks above already cover. */
	if (pc_cfg_check(p, c->allow_dangerous, err))
		return XU_EINVAL;
	return XU_OK;
}

/* --listen, --metrics-listen, --allow-remote and the loopback rule. */
static enum xu_code load_listen(struct eng_config *cfg,
				const struct eng_args *a, struct xu_err *err)
{
	const char *v = value_of(a, "listen", "XRPSE_LISTEN");

	if (parse_hostport(cfg->listen_host, &cfg->listen_port,
			   v ? v : "127.0.0.1:3000", "--listen", err))
		return XU_EINVAL;
	v = value_of(a, "metrics-listen", "XRPSE_METRICS_LISTEN");
	if (v && parse_hostport(cfg->metrics_host, &cfg->metrics_port, v,
				"--metrics-listen", err))
		return XU_EINVAL;
	v = getenv("XRPSE_ALLOW_REMOTE");
	cfg->allow_remote =
	    eng_args_has(a, "allow-remote") || (v && !strcmp(v, "1"));
	if (!cfg->allow_remote && !eng_config_is_loopback(cfg->listen_host))
		return xu_fail(err, XU_EINVAL, 0,
			       "--listen %s is not a loopback address; add "
			       "--allow-remote to expose the unauthenticated "
			       "API",
			       cfg->listen_host);
	if (cfg->metrics_host[0] && !cfg->allow_remote &&
	    !eng_config_is_loopback(cfg->metrics_host))
		return xu_fail(err, XU_EINVAL, 0,
			       "--metrics-listen %s is not a loopback "
			       "address; add --allow-remote to expose the "
			       "metrics",
			       cfg->metrics_host);
	return XU_OK;
}

/* --connector-url, --rippled-url, --seed-file and --db. */
static enum xu_code load_places(struct eng_config *cfg,
				const struct eng_args *a, struct xu_err *err)
{
	const char *v = value_of(a, "connector-url", "XRPSE_CONNECTOR_URL");

	if (parse_url(cfg->connector_url, sizeof(cfg->connector_url),
		      v ? v : "http://127.0.0.1:7771", "http://", "https://",
		      "--connector-url", err))
		return XU_EINVAL;
	v = value_of(a, "rippled-url", "XRPSE_RIPPLED_URL");
	if (parse_url(cfg->rippled_url, sizeof(cfg->rippled_url),
		      v ? v : "ws://127.0.0.1:6006", "ws://", "wss://",
		      "--rippled-url", err))
		return XU_EINVAL;
	v = value_of(a, "seed-file", "XRPSE_SEED_FILE");
	if (!v)
		return xu_fail(err, XU_EINVAL, 0, "missing --seed-file");
	if (copy_str(cfg->seed_file, sizeof(cfg->seed_file), v, "--seed-file",
		     err))
		return XU_EINVAL;
	v = value_of(a, "db", "XRPSE_DB");
	if (!v)
		return xu_fail(err, XU_EINVAL, 0, "missing --db");
	if (copy_str(cfg->db_path, sizeof(cfg->db_path), v, "--db", err))
		return XU_EINVAL;
	v = value_of(a, "rpc-socket", "XRPSE_RPC_SOCKET");
	if (v)
		return copy_str(cfg->rpc_socket, sizeof(cfg->rpc_socket), v,
				"--rpc-socket", err)
			   ? XU_EINVAL
			   : XU_OK;
	if (snprintf(cfg->rpc_socket, sizeof(cfg->rpc_socket), "%s.sock",
		     cfg->db_path) >= (int)sizeof(cfg->rpc_socket))
		return xu_fail(err, XU_EINVAL, 0, "--db path too long");
	return XU_OK;
}

/* --key-type, --network-id, --log-level and --log-format. */
static enum xu_code load_identity(struct eng_config *cfg,
				  const struct eng_args *a, struct xu_err *err)
{
	const char *v = value_of(a, "key-type", "XRPSE_KEY_TYPE");
	uint64_t n;

	if (v) {
		enum cr_key_type t;

		if (!cr_key_type_parse(&t, v))
			return xu_fail(
			    err, XU_EINVAL, 0,
			    "--key-type: expected secp256k1 or ed25519");
		cfg->key_type = (int)t;
	}
	v = value_of(a, "network-id", "XRPSE_NETWORK_ID");
	if (v) {
		if (parse_uint(&n, v, UINT32_MAX, "--network-id", err))
			return XU_EINVAL;
		cfg->network_id = (uint32_t)n;
	}
	v = value_of(a, "log-level", "XRPSE_LOG_LEVEL");
	if (v && !xu_log_level_parse(&cfg->log_level, v))
		return xu_fail(err, XU_EINVAL, 0,
			       "--log-level: expected trace, debug, info, "
			       "unusual or broken");
	v = value_of(a, "log-format", "XRPSE_LOG_FORMAT");
	if (v && !xu_log_format_parse(&cfg->log_format, v))
		return xu_fail(err, XU_EINVAL, 0,
			       "--log-format: expected text or json");
	return XU_OK;
}

/* The test-only --dev-retry-base-ms, --dev-cron-ms and --dev-api. */
static enum xu_code load_dev(struct eng_config *cfg, const struct eng_args *a,
			     struct xu_err *err)
{
	const char *v = eng_args_get(a, "dev-retry-base-ms");
	uint64_t n;

	if (v) {
		if (parse_uint(&n, v, 3600000, "--dev-retry-base-ms", err))
			return XU_EINVAL;
		cfg->dev_retry_base_ms = (uint32_t)n;
	}
	v = eng_args_get(a, "dev-cron-ms");
	if (v) {
		if (parse_uint(&n, v, 60000, "--dev-cron-ms", err))
			return XU_EINVAL;
		if (n == 0)
			return xu_fail(err, XU_EINVAL, 0,
				       "--dev-cron-ms: must be > 0");
		cfg->dev_cron_ms = (uint32_t)n;
	}
	cfg->dev_api = eng_args_has(a, "dev-api");
	return XU_OK;
}

/* XRPSE_<NAME>: the variable of option `name` (the dev-* knobs, which
 * the file refuses, are the only options without one). */
static bool env_given(const char *name)
{
	char env[64] = "XRPSE_";
	size_t n = strlen(env);

	for (const char *p = name; *p && n + 1 < sizeof(env); p++)
		env[n++] = *p == '-'		      ? '_'
			   : (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A')
						      : *p;
	env[n] = '\0';
	return getenv(env) != NULL;
}

/* Puts the file's settings in the slots no flag or variable filled;
 * from[i] is the file line of what val[i] now holds (0: not the file). */
static void merge_file(struct eng_args *a, const struct eng_conffile *cf,
		       unsigned *from)
{
	for (size_t i = 0; i < a->nopts; i++) {
		from[i] = 0;
		if (!cf->line[i] || a->val[i] || env_given(a->opts[i].name))
			continue;
		a->val[i] = cf->val[i]; /* NULL for a flag set to false */
		from[i] = cf->line[i];
	}
}

/* When err names first ("--name") an option whose value came from the
 * file, prefixes its message with "FILE:LINE: ". */
static void locate_error(struct xu_err *err, const struct eng_args *a,
			 const unsigned *from, const char *path)
{
	char msg[sizeof(err->msg)];
	const char *p;

	if (!err || !(p = strstr(err->msg, "--")))
		return;
	p += 2;
	for (size_t i = 0; i < a->nopts; i++) {
		size_t n = strlen(a->opts[i].name);
		char next = p[n];

		if (strncmp(p, a->opts[i].name, n) ||
		    (next >= 'a' && next <= 'z') || next == '-')
			continue;
		if (!from[i])
			return;
		int k = snprintf(msg, sizeof(msg), "%s:%u: ", path, from[i]);
		size_t at = k < 0 ? 0 : (size_t)k, len = strlen(err->msg);

		if (at >= sizeof(msg))
			return; /* an absurd path: the message alone */
		if (len > sizeof(msg) - 1 - at)
			len = sizeof(msg) - 1 - at;
		memcpy(msg + at, err->msg, len);
		msg[at + len] = '\0';
		memcpy(err->msg, msg, sizeof(msg));
		return;
	}
}

/* The path of the configuration file (--config, else XRPSE_CONFIG), or
 * NULL. */
static const char *config_path(const struct eng_args *a)
{
	const char *v = value_of(a, "config", "XRPSE_CONFIG");

	return v && *v ? v : NULL;
}

static enum eng_config_result
load_all(struct eng_config *cfg, const struct eng_args *a, struct xu_err *err)
{
	if (load_listen(cfg, a, err) || load_places(cfg, a, err) ||
	    load_identity(cfg, a, err) || load_dev(cfg, a, err) ||
	    load_channel(cfg, a, err))
		return ENG_CONFIG_BAD;
	return ENG_CONFIG_OK;
}

enum eng_config_result eng_config_load(struct eng_config *cfg, int argc,
				       char **argv, FILE *out,
				       struct xu_err *err)
{
	struct eng_conffile cf;
	struct eng_args a;
	unsigned from[ENG_ARGS_MAX] = {0};
	enum eng_config_result r;
	const char *path;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = XU_LOG_INFO;
	if (eng_args_parse(&a, run_opts, NOPTS, 0, argc, argv, err))
		return ENG_CONFIG_BAD;
	if (a.help) {
		fprintf(out,
			"usage: xrpse run --seed-file PATH --db PATH "
			"[options]\n\n"
			"Runs the settlement-engine daemon (RFC 0038 API).\n"
			"Every option can also be given as the environment "
			"variable in brackets,\nor as `name = value` in the "
			"--config file (names without --, flags\ntaking true "
			"or false).  A flag wins over its variable, which "
			"wins over\nthe file.  --dev-* options are for tests "
			"only.\n"
			"AMT is drops (10000000) or XRP with an xrp suffix "
			"(10xrp, 0.5xrp);\nTIME is seconds (300) or a number "
			"with a unit s, m, h or d (5m, 6d).\n\noptions:\n");
		eng_args_print_help(out, run_opts, NOPTS);
		return ENG_CONFIG_HELP;
	}
	path = config_path(&a);
	if (!path)
		return load_all(cfg, &a, err);
	if (eng_conffile_read(&cf, path, run_opts, NOPTS, err))
		return ENG_CONFIG_BAD;
	merge_file(&a, &cf, from);
	r = load_all(cfg, &a, err);
	if (r == ENG_CONFIG_BAD)
		locate_error(err, &a, from, path);
	eng_conffile_clear(&cf);
	return r;
}

void eng_config_log_channels(const struct eng_config *cfg)
{
	const struct eng_paychan_cfg *c = &cfg->paychan;
	const struct pc_cfg *p = &c->pc;
	char amt[XL_DROPS_STRLEN + 1], max[XL_DROPS_STRLEN + 1],
	    thr[XL_DROPS_STRLEN + 1], dfee[XL_DROPS_STRLEN + 1];

	xl_drops_fmt(amt, sizeof(amt), p->channel_amount);
	xl_drops_fmt(max, sizeof(max), p->max_channel_amount);
	xl_drops_fmt(thr, sizeof(thr), p->redeem_abs);
	xl_drops_fmt(dfee, sizeof(dfee), cfg->deadline_fee_cap);
	xu_info("config",
		"channels: amount %s drops (max %s), settle delay %u s, min "
		"settle delay %u s, max settle delay %u s, redeem at %s drops "
		"or fee <= %u ppm, checked every %u s, tx retry %u s, close "
		"wait %u s, deadline fee cap %s drops, %u transactions in "
		"flight",
		amt, max, (unsigned)p->settle_delay,
		(unsigned)p->min_settle_delay, (unsigned)p->max_settle_delay,
		thr, (unsigned)p->redeem_fee_ppm, (unsigned)p->redeem_check_s,
		(unsigned)p->retry_s, (unsigned)p->close_wait_s, dfee,
		(unsigned)c->tx_inflight);
	if (c->allow_dangerous && (p->settle_delay < SETTLE_DELAY_FLOOR ||
				   p->min_settle_delay < SETTLE_DELAY_FLOOR))
		xu_unusual("config",
			   "--allow-dangerous: a settle delay below 1 day "
			   "leaves little time to redeem before a channel "
			   "closes");
	if (p->min_settle_delay > MIN_SETTLE_DELAY_USUAL)
		xu_unusual("config",
			   "--min-settle-delay %u s is above 30 days: only "
			   "peers whose own --settle-delay is at least that "
			   "can pay us",
			   (unsigned)p->min_settle_delay);
}
