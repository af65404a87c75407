/* Small helpers shared by the ledger tests: loading vector files with
 * jansson and comparing hex.  Header-only (static functions). */
#ifndef XRPSE_TESTS_LEDGER_LTEST_H
#define XRPSE_TESTS_LEDGER_LTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "src/util/hex.h"

static inline json_t *lt_load(const char *name)
{
	char path[1024];
	json_error_t je;
	snprintf(path, sizeof(path), "%s/%s", XRPSE_VECTORS_DIR, name);
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("cannot load %s: %s", path, je.text);
	return j;
}

static inline const char *lt_str(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("missing string %s", key);
	return json_string_value(v);
}

/* Decodes hex member `key` into out (cap); returns the length. */
static inline size_t lt_hex(const json_t *o, const char *key, uint8_t *out,
			    size_t cap)
{
	size_t n;
	const char *s = lt_str(o, key);
	assert_int_equal(xu_hex_decode(out, cap, &n, s, strlen(s), NULL), 0);
	return n;
}

/* Asserts that bytes b[0..len) are the hex string `want`. */
static inline void lt_assert_hex(const char *want, const uint8_t *b, size_t len)
{
	char *s = malloc(2 * len + 1);
	assert_non_null(s);
	xu_hex_encode(s, 2 * len + 1, b, len);
	assert_string_equal(s, want);
	free(s);
}

#endif /* XRPSE_TESTS_LEDGER_LTEST_H */
