/* Helpers for the table-driven tests over the JSON files in tests/vectors/data:
 * loading a file, reading hex and string fields, and failing loudly when a
 * field is missing (so a schema change cannot silently skip a check). */
#ifndef XRPSE_TESTS_CRYPTO_VEC_H
#define XRPSE_TESTS_CRYPTO_VEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Loads XRPSE_VECTORS_DIR/<name>; fails the test when it can't. */
json_t *vec_load(const char *name);
/* The array `key` of obj with at least one entry; fails otherwise. */
json_t *vec_array(const json_t *obj, const char *key);
/* The string `key` of obj; fails when absent or not a string. */
const char *vec_str(const json_t *obj, const char *key);
/* Decodes the hex string `key` of obj into out (cap); returns its length. */
size_t vec_hex(const json_t *obj, const char *key, uint8_t *out, size_t cap);
/* Same, requiring exactly len bytes. */
void vec_hex_exact(const json_t *obj, const char *key, uint8_t *out,
		   size_t len);
/* The boolean `key` of obj. */
int vec_bool(const json_t *obj, const char *key);
/* Upper-case hex of in[0..len) compared with the string `key` of obj. */
void vec_assert_hex(const json_t *obj, const char *key, const uint8_t *in,
		    size_t len);
/* A label for failure messages: "id", "label" or "seed" of obj. */
const char *vec_label(const json_t *obj);

#endif /* XRPSE_TESTS_CRYPTO_VEC_H */
