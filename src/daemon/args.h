/* A tiny option parser shared by the xrpse subcommands (key, claim, tx,
 * run).  Each command describes its options in a table:
 *
 *   static const struct eng_opt opts[] = {
 *       {"seed", "SEED", "family seed (s... or sEd...)"},
 *       {"verbose", NULL, "print more"},          // a flag: no value
 *   };
 *
 * and accepts, for each entry: `--name value`, `--name=value` or, for a
 * flag, `--name`.  `--help` and `-h` anywhere (before a bare `--`) ask for
 * help.  Everything else is an error with a clear message: an unknown
 * option, a missing value, a value given to a flag, an option given twice,
 * or more positional arguments than the command allows.  Error messages
 * name the option but never echo a value (a value may be a secret seed).
 * A bare `--` ends the options; what follows is positional.
 *
 * No allocation: values point into argv. */
#ifndef XRPSE_SRC_CLIARGS_H
#define XRPSE_SRC_CLIARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "crypto/keys.h"
#include "src/util/err.h"

/* Most options one table may have, and most positional arguments. */
#define ENG_ARGS_MAX 40
#define ENG_ARGS_MAX_POS 8

/* One option.  name is without the leading "--".  value_name is the
 * placeholder shown in help ("SEED"); NULL makes the option a flag. */
struct eng_opt {
	const char *name;
	const char *value_name;
	const char *help;
};

/* The parse result.  Pointers are borrowed from argv. */
struct eng_args {
	const struct eng_opt *opts;
	size_t nopts;
	/* val[i]: the value of opts[i]; "" for a flag that was given; NULL
	 * when absent. */
	const char *val[ENG_ARGS_MAX];
	const char *pos[ENG_ARGS_MAX_POS];
	size_t npos;
	bool help; /* --help or -h was given; nothing else was checked */
};

/* Parses argv[0..argc) (the arguments after the command/subcommand name)
 * against opts[0..nopts), allowing at most max_pos positional arguments.
 * Returns XU_OK (check a->help first), or XU_EINVAL with a message naming
 * the offending option.  nopts > ENG_ARGS_MAX or max_pos > ENG_ARGS_MAX_POS
 * is a programmer error. */
enum xu_code eng_args_parse(struct eng_args *a, const struct eng_opt *opts,
			    size_t nopts, size_t max_pos, int argc, char **argv,
			    struct xu_err *err) XU_WARN_UNUSED;

/* The value of option `name` (borrowed), or NULL when it was not given.
 * A name missing from the table is a programmer error. */
const char *eng_args_get(const struct eng_args *a, const char *name);
/* True when option `name` was given. */
bool eng_args_has(const struct eng_args *a, const char *name);
/* Sets *val to the value of `name`; XU_EINVAL "missing --name" when it
 * was not given. */
enum xu_code eng_args_require(const struct eng_args *a, const char *name,
			      const char **val,
			      struct xu_err *err) XU_WARN_UNUSED;

/* Most bytes a secret file (--seed-file) may hold. */
#define ENG_ARGS_SECRET_FILE_MAX 4096

/* Reads a secret given either inline (`--<name> VALUE`) or from a file
 * (`--<file_name> PATH`, the file's surrounding whitespace ignored) into
 * buf (capacity cap, NUL terminated).  Exactly one of the two options must
 * be given.  The inline value is wiped from argv afterwards so that it
 * lingers less (ps has seen it already: prefer the file).  Messages never
 * contain the secret.  Returns XU_OK; XU_EINVAL for neither/both or an
 * empty secret; XU_ETOOBIG when it does not fit; XU_EIO when the file
 * cannot be read.  On failure buf is wiped.  The caller wipes buf with
 * sodium_memzero when done. */
enum xu_code eng_args_secret(const struct eng_args *a, const char *name,
			     const char *file_name, char *buf, size_t cap,
			     struct xu_err *err) XU_WARN_UNUSED;

/* True when s[0..len) may be echoed in a message as an option name: 1 to
 * 32 lower-case letters, digits and '-' (anything else might be a value,
 * even a secret, on the wrong side). */
bool eng_args_is_name(const char *s, size_t len);

/* Writes one line per option ("  --seed SEED   family seed ...") to f. */
void eng_args_print_help(FILE *f, const struct eng_opt *opts, size_t nopts);

#endif /* XRPSE_SRC_CLIARGS_H */
