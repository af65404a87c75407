/* `xrpse run` configuration: flags, XRPSE_* environment variables and their
 * validation (see config.h).  Values are copied into fixed buffers; nothing
 * here opens a file. */
#include "src/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "src/cliargs.h"

static const struct eng_opt run_opts[] = {
    {"listen", "HOST:PORT",
     "REST API address (default 127.0.0.1:3000) [XRPSE_LISTEN]"},
    {"allow-remote", NULL,
     "allow a non-loopback --listen address [XRPSE_ALLOW_REMOTE=1]"},
    {"connector-url", "URL",
     "connector's settlement API (default http://127.0.0.1:7771) "
     "[XRPSE_CONNECTOR_URL]"},
    {"rippled-url", "URL",
     "rippled WebSocket (default ws://127.0.0.1:6006) [XRPSE_RIPPLED_URL]"},
    {"seed-file", "PATH",
     "file holding the family seed (required) [XRPSE_SEED_FILE]"},
    {"db", "PATH", "SQLite database file (required) [XRPSE_DB]"},
    {"key-type", "T",
     "secp256k1 or ed25519 (default: implied by the seed) "
     "[XRPSE_KEY_TYPE]"},
    {"network-id", "N", "XRPL NetworkID, 0 for none [XRPSE_NETWORK_ID]"},
    {"log-level", "L",
     "trace|debug|info|unusual|broken (default info) [XRPSE_LOG_LEVEL]"},
    {"dev-retry-base-ms", "MS", "TEST ONLY: outbox backoff base"},
    {"dev-cron-ms", "MS", "TEST ONLY: cron period (default 100)"},
    {"dev-api", NULL, "TEST ONLY: enable the /dev/ debug routes"},
};
#define NOPTS (sizeof(run_opts) / sizeof(run_opts[0]))

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

/* "HOST:PORT" or "[V6]:PORT". */
static enum xu_code parse_listen(struct eng_config *cfg, const char *s,
				 struct xu_err *err)
{
	const char *host = s, *colon;
	size_t hlen;
	uint64_t port;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return xu_fail(err, XU_EINVAL, 0,
				       "--listen: expected [ADDR]:PORT");
		host = s + 1;
		hlen = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return xu_fail(err, XU_EINVAL, 0,
				       "--listen: expected HOST:PORT");
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(cfg->listen_host))
		return xu_fail(err, XU_EINVAL, 0, "--listen: bad host");
	for (size_t i = 0; i < hlen; i++) {
		char c = host[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == ':' ||
		      c == '-'))
			return xu_fail(err, XU_EINVAL, 0, "--listen: bad host");
	}
	memcpy(cfg->listen_host, host, hlen);
	cfg->listen_host[hlen] = '\0';
	if (parse_uint(&port, colon + 1, 65535, "--listen port", err))
		return XU_EINVAL;
	cfg->listen_port = (int)port;
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

enum eng_config_result eng_config_load(struct eng_config *cfg, int argc,
				       char **argv, FILE *out,
				       struct xu_err *err)
{
	struct eng_args a;
	const char *v;
	uint64_t n;

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
			"variable in brackets;\nthe flag wins.  --dev-* "
			"options are for tests only.\n\noptions:\n");
		eng_args_print_help(out, run_opts, NOPTS);
		return ENG_CONFIG_HELP;
	}

	v = value_of(&a, "listen", "XRPSE_LISTEN");
	if (parse_listen(cfg, v ? v : "127.0.0.1:3000", err))
		return ENG_CONFIG_BAD;
	v = getenv("XRPSE_ALLOW_REMOTE");
	cfg->allow_remote =
	    eng_args_has(&a, "allow-remote") || (v && !strcmp(v, "1"));
	if (!cfg->allow_remote && !eng_config_is_loopback(cfg->listen_host)) {
		xu_fail(err, XU_EINVAL, 0,
			"--listen %s is not a loopback address; add "
			"--allow-remote to expose the unauthenticated API",
			cfg->listen_host);
		return ENG_CONFIG_BAD;
	}

	v = value_of(&a, "connector-url", "XRPSE_CONNECTOR_URL");
	if (parse_url(cfg->connector_url, sizeof(cfg->connector_url),
		      v ? v : "http://127.0.0.1:7771", "http://", "https://",
		      "--connector-url", err))
		return ENG_CONFIG_BAD;
	v = value_of(&a, "rippled-url", "XRPSE_RIPPLED_URL");
	if (parse_url(cfg->rippled_url, sizeof(cfg->rippled_url),
		      v ? v : "ws://127.0.0.1:6006", "ws://", "wss://",
		      "--rippled-url", err))
		return ENG_CONFIG_BAD;

	v = value_of(&a, "seed-file", "XRPSE_SEED_FILE");
	if (!v) {
		xu_fail(err, XU_EINVAL, 0, "missing --seed-file");
		return ENG_CONFIG_BAD;
	}
	if (copy_str(cfg->seed_file, sizeof(cfg->seed_file), v, "--seed-file",
		     err))
		return ENG_CONFIG_BAD;
	v = value_of(&a, "db", "XRPSE_DB");
	if (!v) {
		xu_fail(err, XU_EINVAL, 0, "missing --db");
		return ENG_CONFIG_BAD;
	}
	if (copy_str(cfg->db_path, sizeof(cfg->db_path), v, "--db", err))
		return ENG_CONFIG_BAD;

	v = value_of(&a, "key-type", "XRPSE_KEY_TYPE");
	if (v) {
		enum cr_key_type t;

		if (!cr_key_type_parse(&t, v)) {
			xu_fail(err, XU_EINVAL, 0,
				"--key-type: expected secp256k1 or ed25519");
			return ENG_CONFIG_BAD;
		}
		cfg->key_type = (int)t;
	}
	v = value_of(&a, "network-id", "XRPSE_NETWORK_ID");
	if (v) {
		if (parse_uint(&n, v, UINT32_MAX, "--network-id", err))
			return ENG_CONFIG_BAD;
		cfg->network_id = (uint32_t)n;
	}
	v = value_of(&a, "log-level", "XRPSE_LOG_LEVEL");
	if (v && !xu_log_level_parse(&cfg->log_level, v)) {
		xu_fail(err, XU_EINVAL, 0,
			"--log-level: expected trace, debug, info, unusual "
			"or broken");
		return ENG_CONFIG_BAD;
	}

	v = eng_args_get(&a, "dev-retry-base-ms");
	if (v) {
		if (parse_uint(&n, v, 3600000, "--dev-retry-base-ms", err))
			return ENG_CONFIG_BAD;
		cfg->dev_retry_base_ms = (uint32_t)n;
	}
	v = eng_args_get(&a, "dev-cron-ms");
	if (v) {
		if (parse_uint(&n, v, 60000, "--dev-cron-ms", err))
			return ENG_CONFIG_BAD;
		if (n == 0) {
			xu_fail(err, XU_EINVAL, 0,
				"--dev-cron-ms: must be > 0");
			return ENG_CONFIG_BAD;
		}
		cfg->dev_cron_ms = (uint32_t)n;
	}
	cfg->dev_api = eng_args_has(&a, "dev-api");
	return ENG_CONFIG_OK;
}
