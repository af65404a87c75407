/* The configuration file of `xrpse run` (see conffile.h): read whole with
 * one open (the mode is checked on that descriptor, not on the path),
 * then cut into lines in place. */
#include "src/daemon/conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keys.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int find(const struct eng_opt *opts, size_t nopts, const char *name)
{
	for (size_t i = 0; i < nopts; i++)
		if (!strcmp(opts[i].name, name))
			return (int)i;
	return -1;
}

/* true/false for the flags that take no value on the command line. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

static bool looks_like_seed(const char *v)
{
	struct cr_seed s;
	bool yes = cr_seed_parse(&s, v, NULL) == XU_OK;

	cr_seed_clear(&s);
	return yes;
}

/* Checks one "name = value" line (comment already cut, trimmed, not
 * empty) and records it. */
static enum xu_code take_line(struct eng_conffile *cf, const char *path,
			      unsigned ln, char *s, const struct eng_opt *opts,
			      size_t nopts, struct xu_err *err)
{
	char *eq = strchr(s, '='), *name, *val;
	int k, b;

	if (!eq)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: expected name = value", path, ln);
	*eq = '\0';
	name = trim(s);
	val = trim(eq + 1);
	if (!strncmp(name, "--", 2))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: write names without the leading --",
			       path, ln);
	if (!eng_args_is_name(name, strlen(name)))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: bad setting name (names are the long "
			       "flags without --, like settle-delay)",
			       path, ln);
	if (!strcmp(name, "seed") || looks_like_seed(val))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: a seed never goes in the configuration "
			       "file: put it alone in a file of mode 0600 and "
			       "name that file with seed-file",
			       path, ln);
	if (!strcmp(name, "help") || !strcmp(name, "version") ||
	    !strcmp(name, "config"))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: %s is a command-line flag, not a "
			       "setting",
			       path, ln, name);
	if (!strncmp(name, "dev-", 4))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: %s is a test-only knob: it is refused "
			       "in a configuration file",
			       path, ln, name);
	k = find(opts, nopts, name);
	if (k < 0)
		return xu_fail(err, XU_EINVAL, 0, "%s:%u: unknown setting %s",
			       path, ln, name);
	if (cf->line[k])
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: %s given twice (first on line %u)", path,
			       ln, name, cf->line[k]);
	if (!*val)
		return xu_fail(err, XU_EINVAL, 0, "%s:%u: %s has no value",
			       path, ln, name);
	cf->line[k] = ln;
	if (opts[k].value_name) {
		cf->val[k] = val;
		return XU_OK;
	}
	b = parse_bool(val);
	if (b < 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s:%u: %s takes true or false", path, ln, name);
	cf->val[k] = b ? "" : NULL;
	cf->off[k] = (unsigned char)!b;
	return XU_OK;
}

/* Cuts a comment: '#' at the start or after blank space. */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || is_blank(p[-1]))) {
			*p = '\0';
			return;
		}
}

static enum xu_code parse(struct eng_conffile *cf, const char *path,
			  const struct eng_opt *opts, size_t nopts,
			  struct xu_err *err)
{
	char *s = cf->text;
	unsigned ln = 0;

	while (*s) {
		char *nl = strchr(s, '\n'), *t;

		if (nl)
			*nl = '\0';
		ln++;
		cut_comment(s);
		t = trim(s);
		if (*t && take_line(cf, path, ln, t, opts, nopts, err))
			return XU_EINVAL;
		if (!nl)
			break;
		s = nl + 1;
	}
	return XU_OK;
}

static enum xu_code slurp(struct eng_conffile *cf, const char *path,
			  struct xu_err *err)
{
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return xu_fail(err, XU_EIO, errno,
			       "cannot read configuration file %s: %s", path,
			       strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return xu_fail(err, XU_EINVAL, 0,
			       "configuration file %s is not a regular file",
			       path);
	}
	/* Whoever may write it chooses where the money goes. */
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return xu_fail(err, XU_EINVAL, 0,
			       "configuration file %s has mode %04o: group or "
			       "others may write it; run chmod go-w %s",
			       path, (unsigned)(sb.st_mode & 07777), path);
	}
	if (sb.st_size > ENG_CONFFILE_MAX) {
		close(fd);
		return xu_fail(err, XU_EINVAL, 0,
			       "configuration file %s is above %d bytes", path,
			       ENG_CONFFILE_MAX);
	}
	cf->text = malloc(ENG_CONFFILE_MAX + 2);
	if (!cf->text) {
		close(fd);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	while (len <= ENG_CONFFILE_MAX &&
	       (n = read(fd, cf->text + len, ENG_CONFFILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	cf->text[len] = '\0';
	if (len > ENG_CONFFILE_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "configuration file %s is above %d bytes", path,
			       ENG_CONFFILE_MAX);
	if (memchr(cf->text, '\0', len))
		return xu_fail(err, XU_EINVAL, 0,
			       "configuration file %s holds a NUL byte", path);
	return XU_OK;
}

enum xu_code eng_conffile_read(struct eng_conffile *cf, const char *path,
			       const struct eng_opt *opts, size_t nopts,
			       struct xu_err *err)
{
	enum xu_code rc;

	XU_ASSERT(nopts <= ENG_ARGS_MAX);
	memset(cf, 0, sizeof(*cf));
	rc = slurp(cf, path, err);
	if (rc == XU_OK)
		rc = parse(cf, path, opts, nopts, err);
	if (rc != XU_OK)
		eng_conffile_clear(cf);
	return rc;
}

void eng_conffile_clear(struct eng_conffile *cf)
{
	/* A refused file may hold a seed: wipe it. */
	if (cf->text) {
		sodium_memzero(cf->text, ENG_CONFFILE_MAX + 2);
		free(cf->text);
	}
	memset(cf, 0, sizeof(*cf));
}
