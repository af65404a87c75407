/* Vector-file helpers (see vec.h). */
#include "tests/crypto/vec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "src/util/hex.h"

json_t *vec_load(const char *name)
{
	char path[512];
	json_error_t je;

	snprintf(path, sizeof(path), "%s/%s", XRPSE_VECTORS_DIR, name);
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		fail_msg("cannot load %s: %s (line %d)", path, je.text,
			 je.line);
	return root;
}

json_t *vec_array(const json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key);

	if (!json_is_array(a) || json_array_size(a) == 0)
		fail_msg("vector array '%s' missing or empty", key);
	return a;
}

const char *vec_label(const json_t *obj)
{
	static const char *keys[] = {"id", "label", "seed"};

	for (size_t i = 0; i < 3; i++) {
		const char *s =
		    json_string_value(json_object_get(obj, keys[i]));
		if (s)
			return s;
	}
	return "?";
}

const char *vec_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s)
		fail_msg("vector '%s': field '%s' missing", vec_label(obj),
			 key);
	return s;
}

size_t vec_hex(const json_t *obj, const char *key, uint8_t *out, size_t cap)
{
	const char *s = vec_str(obj, key);
	size_t n;
	struct xu_err e;

	if (xu_hex_decode(out, cap, &n, s, strlen(s), &e) != XU_OK)
		fail_msg("vector '%s': field '%s': %s", vec_label(obj), key,
			 e.msg);
	return n;
}

void vec_hex_exact(const json_t *obj, const char *key, uint8_t *out, size_t len)
{
	size_t n = vec_hex(obj, key, out, len);

	if (n != len)
		fail_msg("vector '%s': field '%s' is %zu bytes, expected %zu",
			 vec_label(obj), key, n, len);
}

int vec_bool(const json_t *obj, const char *key)
{
	json_t *b = json_object_get(obj, key);

	if (!json_is_boolean(b))
		fail_msg("vector '%s': boolean '%s' missing", vec_label(obj),
			 key);
	return json_is_true(b);
}

void vec_assert_hex(const json_t *obj, const char *key, const uint8_t *in,
		    size_t len)
{
	char hex[2048];

	assert_true(2 * len + 1 <= sizeof(hex));
	xu_hex_encode(hex, sizeof(hex), in, len);
	const char *want = vec_str(obj, key);
	if (strcmp(hex, want))
		fail_msg("vector '%s': %s\n  got  %s\n  want %s",
			 vec_label(obj), key, hex, want);
}
