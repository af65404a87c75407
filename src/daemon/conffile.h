/* The operator's configuration file of `xrpse run` (--config FILE or
 * XRPSE_CONFIG): one setting per line,
 *
 *   # a comment
 *   settle-delay = 6d
 *   allow-remote = true      # a comment after blank space
 *
 * The names are the long flags without "--"; a flag without a value
 * (allow-remote) takes true or false.  Blank space around the name and
 * the value is ignored; a '#' that starts the line or follows blank space
 * starts a comment.  There are no sections and no quoting.
 *
 * Refused, naming the file and the line: an unknown name, a name given
 * twice, a line without '=', an empty value, a name that only makes sense
 * on the command line (help, version, config, the test-only dev-*), and a
 * seed (the name `seed`, or any value that parses as a family seed: the
 * seed belongs in its own file of mode 0600, named by seed-file).  The
 * file itself is refused when group or others may write it, since whoever
 * writes it chooses where the money goes (docs/design.md#safe-files).
 * Messages never quote a value. */
#ifndef XRPSE_SRC_DAEMON_CONFFILE_H
#define XRPSE_SRC_DAEMON_CONFFILE_H

#include <stddef.h>

#include "src/daemon/args.h"
#include "src/util/err.h"

/* Largest configuration file read. */
#define ENG_CONFFILE_MAX (64 * 1024)

struct eng_conffile {
	char *text; /* owned: the file, its values NUL-terminated in place */
	/* val[i]: the value of opts[i] ("" for a flag set to true), NULL
	 * when absent or false; line[i]: its line number. */
	const char *val[ENG_ARGS_MAX];
	unsigned line[ENG_ARGS_MAX];
	/* off[i]: opts[i] is a flag set to false in the file. */
	unsigned char off[ENG_ARGS_MAX];
};

/* Reads and checks the file at path against opts[0..nopts).  Returns XU_OK
 * and fills *cf (release with eng_conffile_clear), or XU_EINVAL (a bad
 * line, mode or size; err->msg starts with "path:line: " for a line),
 * XU_EIO (cannot read it).  On failure *cf holds nothing. */
enum xu_code eng_conffile_read(struct eng_conffile *cf, const char *path,
			       const struct eng_opt *opts, size_t nopts,
			       struct xu_err *err) XU_WARN_UNUSED;

/* Frees what eng_conffile_read kept.  Safe on a zeroed struct. */
void eng_conffile_clear(struct eng_conffile *cf);

#endif /* XRPSE_SRC_DAEMON_CONFFILE_H */
