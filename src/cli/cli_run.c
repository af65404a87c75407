/* xrpse run: the settlement-engine daemon.
 *
 * Loads the configuration (flags and XRPSE_* variables, src/daemon/config.c),
 * reads the seed file and derives the key pair (the seed is wiped at once
 * and never printed), opens the engine (store lock, listener, curl worker)
 * and runs the loop until SIGTERM/SIGINT.  Exit status: 0 after a clean
 * shutdown, 2 when it refuses to start (a one-line reason on stderr), 1 on
 * a runtime failure. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "src/cli/cli.h"
#include "src/daemon/config.h"
#include "src/daemon/engine.h"
#include "src/util/log.h"

#define SEED_FILE_MAX 4096

static int refuse(const char *msg)
{
	fprintf(stderr, "xrpse run: %s\n", msg);
	return ENG_EXIT_USAGE;
}

enum xu_code eng_cli_load_seed(struct cr_keypair *kp, struct cr_seed *seed,
			       const char *path, int key_type,
			       struct xu_err *err)
{
	char buf[SEED_FILE_MAX + 1];
	size_t len = 0, start = 0;
	ssize_t n;
	enum xu_code rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	struct stat sb;

	if (fd < 0)
		return xu_fail(err, XU_EIO, errno,
			       "cannot read seed file %s: %s", path,
			       strerror(errno));
	/* The seed is the account: a copy readable by another user is a
	 * copy of the money (docs/design.md#safe-files). */
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return xu_fail(err, XU_EIO, errno, "cannot stat seed file %s",
			       path);
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return xu_fail(err, XU_EINVAL, 0,
			       "seed file %s has mode %04o: group or others "
			       "may read or write it; run chmod 600 %s",
			       path, (unsigned)(sb.st_mode & 07777), path);
	}
	while (len < SEED_FILE_MAX &&
	       (n = read(fd, buf + len, SEED_FILE_MAX - len)) > 0)
		len += (size_t)n;
	if (len == SEED_FILE_MAX && read(fd, buf, 1) > 0) {
		close(fd);
		sodium_memzero(buf, sizeof(buf));
		return xu_fail(err, XU_EINVAL, 0, "seed file %s is too large",
			       path);
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len < SEED_FILE_MAX ? len : SEED_FILE_MAX] = '\0';
	while (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\n' ||
	       buf[start] == '\r')
		start++;
	if (!buf[start]) {
		sodium_memzero(buf, sizeof(buf));
		return xu_fail(err, XU_EINVAL, 0, "seed file %s is empty",
			       path);
	}
	rc = cr_keypair_from_seed_text(kp, buf + start, key_type, err);
	if (rc == XU_OK)
		rc = cr_seed_parse(seed, buf + start, err);
	sodium_memzero(buf, sizeof(buf));
	if (rc != XU_OK)
		cr_keypair_clear(kp);
	if (rc != XU_OK)
		return xu_fail(err, rc, 0, "seed file %s holds no valid seed",
			       path);
	return XU_OK;
}

int eng_cli_run(int argc, char **argv)
{
	struct eng_config cfg;
	struct xu_err err = {0};
	struct cr_keypair kp;
	struct cr_seed seed;
	struct eng_engine *e = NULL;
	enum xu_code rc;
	int status;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--version")) {
			printf("xrpse %s\n", XRPSE_VERSION);
			return ENG_EXIT_OK;
		}
	switch (eng_config_load(&cfg, argc, argv, stdout, &err)) {
	case ENG_CONFIG_OK:
		break;
	case ENG_CONFIG_HELP:
		return ENG_EXIT_OK;
	case ENG_CONFIG_BAD:
		fprintf(stderr, "xrpse run: %s (see xrpse run --help)\n",
			err.msg);
		return ENG_EXIT_USAGE;
	}
	xu_log_set_level(cfg.log_level);
	xu_log_set_format(cfg.log_format);
	if (cr_init(&err) != XU_OK)
		return refuse(err.msg);
	if (eng_cli_load_seed(&kp, &seed, cfg.seed_file, cfg.key_type, &err) !=
	    XU_OK)
		return refuse(err.msg);
	xu_debug("run",
		 "config: listen %s:%d, connector %s, rippled %s, db %s, "
		 "key type %d, network id %u, dev-api %s",
		 cfg.listen_host, cfg.listen_port, cfg.connector_url,
		 cfg.rippled_url, cfg.db_path, cfg.key_type, cfg.network_id,
		 cfg.dev_api ? "on" : "off");
	if (!eng_config_is_loopback(cfg.listen_host))
		xu_unusual("run",
			   "listening on non-loopback %s: the settlement API "
			   "has no authentication",
			   cfg.listen_host);
	rc = eng_engine_new(&e, &cfg, &kp, &seed, &err);
	cr_keypair_clear(&kp);
	cr_seed_clear(&seed);
	if (rc != XU_OK)
		return refuse(err.msg);
	xu_info("run",
		"xrpse %s (version %s) started: connector %s, rippled %s (not "
		"connected yet), db %s",
		eng_engine_address(e), XRPSE_VERSION, cfg.connector_url,
		cfg.rippled_url, cfg.db_path);
	status = eng_engine_run(e);
	eng_engine_free(e);
	xu_info("run", "stopped cleanly");
	return status;
}
