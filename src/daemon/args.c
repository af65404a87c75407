/* The shared command-line option parser (see cliargs.h). */
#include "src/daemon/args.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sign.h"

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* Finds the option whose name is s[0..len); returns its index or -1. */
static int find_opt(const struct eng_opt *opts, size_t nopts, const char *s,
		    size_t len)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len &&
		    !strncmp(opts[i].name, s, len))
			return (int)i;
	return -1;
}

/* Only names of lower-case letters, digits and '-' are echoed in errors:
 * anything else might be a mistyped secret. */
bool eng_args_is_name(const char *s, size_t len)
{
	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

enum xu_code eng_args_parse(struct eng_args *a, const struct eng_opt *opts,
			    size_t nopts, size_t max_pos, int argc, char **argv,
			    struct xu_err *err)
{
	XU_ASSERT(nopts <= ENG_ARGS_MAX && max_pos <= ENG_ARGS_MAX_POS);
	memset(a, 0, sizeof(*a));
	a->opts = opts;
	a->nopts = nopts;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (is_help(argv[i])) {
			a->help = true;
			return XU_OK;
		}
	}

	bool only_pos = false;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (only_pos || s[0] != '-' || !strcmp(s, "-")) {
			/* Never echo it: it may be a seed given without
			 * its option name. */
			if (a->npos >= max_pos)
				return xu_fail(err, XU_EINVAL, 0,
					       "unexpected argument #%d",
					       i + 1);
			a->pos[a->npos++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			only_pos = true;
			continue;
		}
		if (s[1] != '-')
			return xu_fail(err, XU_EINVAL, 0,
				       "unknown option #%d (options are "
				       "spelled --name)",
				       i + 1);
		const char *name = s + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		int k = find_opt(opts, nopts, name, nlen);
		if (k < 0 && eng_args_is_name(name, nlen))
			return xu_fail(err, XU_EINVAL, 0,
				       "unknown option '--%.*s'", (int)nlen,
				       name);
		if (k < 0)
			return xu_fail(err, XU_EINVAL, 0, "unknown option #%d",
				       i + 1);
		const struct eng_opt *o = &opts[k];
		if (a->val[k])
			return xu_fail(err, XU_EINVAL, 0,
				       "option --%s given more than once",
				       o->name);
		if (!o->value_name) {
			if (eq)
				return xu_fail(err, XU_EINVAL, 0,
					       "option --%s takes no value",
					       o->name);
			a->val[k] = "";
			continue;
		}
		if (eq) {
			a->val[k] = eq + 1;
			continue;
		}
		if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
			return xu_fail(err, XU_EINVAL, 0,
				       "option --%s needs a value (%s)",
				       o->name, o->value_name);
		a->val[k] = argv[++i];
	}
	return XU_OK;
}

static size_t index_of(const struct eng_args *a, const char *name)
{
	int k = find_opt(a->opts, a->nopts, name, strlen(name));

	XU_ASSERT(k >= 0);
	return (size_t)k;
}

const char *eng_args_get(const struct eng_args *a, const char *name)
{
	return a->val[index_of(a, name)];
}

bool eng_args_has(const struct eng_args *a, const char *name)
{
	return a->val[index_of(a, name)] != NULL;
}

enum xu_code eng_args_require(const struct eng_args *a, const char *name,
			      const char **val, struct xu_err *err)
{
	*val = eng_args_get(a, name);
	if (!*val)
		return xu_fail(err, XU_EINVAL, 0, "missing option --%s", name);
	return XU_OK;
}

void eng_args_print_help(FILE *f, const struct eng_opt *opts, size_t nopts)
{
	for (size_t i = 0; i < nopts; i++) {
		char left[64];
		int n = snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
				 opts[i].value_name ? " " : "",
				 opts[i].value_name ? opts[i].value_name : "");
		(void)n;
		fprintf(f, "  %-24s %s\n", left, opts[i].help);
	}
	fprintf(f, "  %-24s %s\n", "-h, --help", "show this help");
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Copies s[0..len) trimmed of surrounding whitespace into buf. */
static enum xu_code copy_trimmed(char *buf, size_t cap, const char *s,
				 size_t len, const char *what,
				 struct xu_err *err)
{
	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	if (len == 0)
		return xu_fail(err, XU_EINVAL, 0, "%s is empty", what);
	if (len >= cap)
		return xu_fail(err, XU_ETOOBIG, 0, "%s is too long", what);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return XU_OK;
}

static enum xu_code read_secret_file(char *buf, size_t cap, const char *path,
				     const char *file_name, struct xu_err *err)
{
	char raw[ENG_ARGS_SECRET_FILE_MAX + 1];
	enum xu_code rc;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return xu_fail(err, XU_EIO, errno, "--%s: cannot open %s: %s",
			       file_name, path, strerror(errno));
	n = fread(raw, 1, sizeof(raw), f);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad)
		rc = xu_fail(err, XU_EIO, 0, "--%s: cannot read %s", file_name,
			     path);
	else if (n > ENG_ARGS_SECRET_FILE_MAX)
		rc = xu_fail(err, XU_ETOOBIG, 0, "--%s: %s is too large",
			     file_name, path);
	else if (memchr(raw, '\0', n))
		rc = xu_fail(err, XU_EINVAL, 0, "--%s: %s holds a NUL byte",
			     file_name, path);
	else
		rc = copy_trimmed(buf, cap, raw, n, "the secret file", err);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

enum xu_code eng_args_secret(const struct eng_args *a, const char *name,
			     const char *file_name, char *buf, size_t cap,
			     struct xu_err *err)
{
	const char *inline_val = eng_args_get(a, name);
	const char *path = eng_args_get(a, file_name);
	enum xu_code rc;

	XU_ASSERT(cap > 0);
	buf[0] = '\0';
	if (inline_val && path)
		return xu_fail(err, XU_EINVAL, 0, "give --%s or --%s, not both",
			       name, file_name);
	if (!inline_val && !path)
		return xu_fail(err, XU_EINVAL, 0,
			       "missing option --%s (or --%s)", name,
			       file_name);
	if (path) {
		rc = read_secret_file(buf, cap, path, file_name, err);
	} else {
		char what[64];
		snprintf(what, sizeof(what), "--%s", name);
		rc = copy_trimmed(buf, cap, inline_val, strlen(inline_val),
				  what, err);
		/* argv strings are writable (C11 5.1.2.2.1). */
		sodium_memzero((char *)inline_val, strlen(inline_val));
	}
	if (rc != XU_OK)
		sodium_memzero(buf, cap);
	return rc;
}
