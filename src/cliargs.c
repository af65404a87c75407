/* The shared command-line option parser (see cliargs.h). */
#include "src/cliargs.h"

#include <string.h>

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
static bool looks_like_name(const char *s, size_t len)
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
		if (k < 0 && looks_like_name(name, nlen))
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
