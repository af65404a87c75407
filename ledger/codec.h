/* The XRPL binary codec: cursors over caller buffers, and a generic
 * object tree that decodes any canonical serialization of the fields in
 * ledger/fields.h and encodes it back byte for byte.
 *
 * Wire layout of one field:
 *
 *   header (1-3 bytes: type and field code)  value
 *     UInt8/16/32/64, Hash128/160/256        fixed width, big endian
 *     Amount                                 8 bytes (XRP) or 48 (token)
 *     Blob, AccountID, Vector256             VL length (1-3 bytes) + bytes
 *     STObject                               fields... E1
 *     STArray                                STObject fields... F1
 *
 * Fields are sorted by (type code, field code); the top-level object has no
 * end marker.  The decoder rejects truncated input, unknown fields, a
 * non-canonical order or header, an out-of-range amount and trailing
 * bytes, with a message naming the field, and never reads outside its
 * input.  Pure: no allocation; trees live in caller-provided arrays. */
#ifndef XRPSE_LEDGER_CODEC_H
#define XRPSE_LEDGER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/fields.h"
#include "src/util/err.h"

/* Longest VL payload the format can express. */
#define XL_VL_MAX 918744u
/* Deepest nesting of objects and arrays the decoder accepts. */
#define XL_DEPTH_MAX 10
/* Bytes of an Amount: XRP and token forms. */
#define XL_AMOUNT_XRP_BYTES 8
#define XL_AMOUNT_TOKEN_BYTES 48

/* ---- Writer cursor: appends into out[0..cap).  With out == NULL it only
 * counts (size first, then fill).  Writing past cap sets `overflow` and
 * drops the bytes; check it once at the end. */
struct xl_wr {
	uint8_t *out;
	size_t cap;
	size_t len;
	bool overflow;
};

void xl_wr_init(struct xl_wr *w, uint8_t *out, size_t cap);
void xl_wr_bytes(struct xl_wr *w, const uint8_t *b, size_t n);
void xl_wr_uint(struct xl_wr *w, uint64_t v, size_t width); /* big endian */
/* The 1-3 byte field header. */
void xl_wr_header(struct xl_wr *w, unsigned type, unsigned code);
/* A VL length prefix; returns false (writing nothing) above XL_VL_MAX. */
bool xl_wr_vl(struct xl_wr *w, size_t len) XU_WARN_UNUSED;

/* ---- Reader cursor over in[0..len).  Every read checks the bounds first
 * and fails with XU_EPARSE ("truncated ...") rather than read past. */
struct xl_rd {
	const uint8_t *in;
	size_t len;
	size_t off;
};

void xl_rd_init(struct xl_rd *r, const uint8_t *in, size_t len);
/* Borrows n bytes at the cursor into *p and advances. */
enum xu_code xl_rd_bytes(struct xl_rd *r, const uint8_t **p, size_t n,
			 struct xu_err *err) XU_WARN_UNUSED;
enum xu_code xl_rd_uint(struct xl_rd *r, uint64_t *v, size_t width,
			struct xu_err *err) XU_WARN_UNUSED;
/* A field header, rejecting non-minimal forms (e.g. a 2-byte header for
 * codes that fit in one). */
enum xu_code xl_rd_header(struct xl_rd *r, unsigned *type, unsigned *code,
			  struct xu_err *err) XU_WARN_UNUSED;
/* A VL length prefix (first byte 255 is invalid). */
enum xu_code xl_rd_vl(struct xl_rd *r, size_t *len,
		      struct xu_err *err) XU_WARN_UNUSED;

/* ---- Amounts. */

/* Checks the 8 or 48 bytes of an Amount: XRP at most 10^17 drops and no
 * negative zero; a token amount with a normalized mantissa (10^15 ..
 * 10^16-1) and exponent (-96 .. 80), or the canonical zero.  MPT amounts
 * are not supported.  Returns XU_OK or XU_EPARSE. */
enum xu_code xl_amount_check(const uint8_t *b, size_t len,
			     struct xu_err *err) XU_WARN_UNUSED;
/* The 8-byte XRP form of `drops` (<= 10^17), negative when neg. */
void xl_amount_xrp_bytes(uint8_t out[XL_AMOUNT_XRP_BYTES], uint64_t drops,
			 bool neg);

/* Token value <-> its 8 leading bytes.  Formatted as ripple-binary-codec
 * does (plain decimal, no exponent, no trailing zeros: "1.5", "-0.001",
 * "1000").  buf needs XL_TOKEN_VALUE_STRLEN. */
#define XL_TOKEN_VALUE_STRLEN 128
void xl_token_value_fmt(char *buf, size_t cap, const uint8_t b[8]);
/* Parses [-]digits[.digits][e[+-]digits], at most 16 significant digits,
 * into the canonical 8 bytes.  Returns XU_OK, XU_EPARSE or XU_ERANGE. */
enum xu_code xl_token_value_parse(uint8_t out[8], const char *s,
				  struct xu_err *err) XU_WARN_UNUSED;
/* 20-byte currency code <-> "USD" (standard 3-character codes, except
 * "XRP") or 40 hex digits.  buf needs 41 bytes. */
void xl_currency_fmt(char buf[41], const uint8_t b[20]);
enum xu_code xl_currency_parse(uint8_t out[20], const char *s,
			       struct xu_err *err) XU_WARN_UNUSED;

/* ---- Object tree.  Node 0 is the top-level object (f == NULL).  Each
 * object or array node lists its children through first/next (XL_NONE
 * ends a list); array children are the wrapper objects (e.g. Memo). */
#define XL_NONE UINT32_MAX

struct xl_node {
	const struct xl_field *f;
	uint32_t first, next;
	uint64_t u;	  /* UInt8..UInt64 */
	const uint8_t *p; /* Hash, Amount, Blob, AccountID, Vector256 bytes */
	size_t len;
};

struct xl_tree {
	struct xl_node *nodes;
	size_t cap, n;
	uint8_t *arena; /* byte storage for values built by xl_tree_put */
	size_t arena_cap, arena_len;
};

/* Sets up an empty tree (just the root) over caller storage.  cap >= 1;
 * arena may be NULL when values only borrow from elsewhere. */
void xl_tree_init(struct xl_tree *t, struct xl_node *nodes, size_t cap,
		  uint8_t *arena, size_t arena_cap);
/* Appends a child of field f to object/array `parent` and returns its
 * index in *idx.  XU_ETOOBIG when the node array is full, XU_EINVAL when
 * f is already present in that object (arrays allow repeats). */
enum xu_code xl_tree_add(struct xl_tree *t, uint32_t parent,
			 const struct xl_field *f, uint32_t *idx,
			 struct xu_err *err) XU_WARN_UNUSED;
/* Copies n bytes into the arena and points node idx at them. */
enum xu_code xl_tree_put(struct xl_tree *t, uint32_t idx, const uint8_t *b,
			 size_t n, struct xu_err *err) XU_WARN_UNUSED;
/* The child of `parent` with field f, or XL_NONE. */
uint32_t xl_tree_find(const struct xl_tree *t, uint32_t parent,
		      const struct xl_field *f);
/* Unlinks the child of `parent` with field f (no-op when absent). */
void xl_tree_remove(struct xl_tree *t, uint32_t parent,
		    const struct xl_field *f);

/* Decodes a top-level object (a transaction, metadata, a ledger entry)
 * into t.  Values borrow from `in`, which must outlive t.  Returns XU_OK,
 * XU_EPARSE for malformed input (message names the field and offset), or
 * XU_ETOOBIG when t's node array is too small. */
enum xu_code xl_decode(struct xl_tree *t, const uint8_t *in, size_t len,
		       struct xu_err *err) XU_WARN_UNUSED;

/* Encode flags. */
#define XL_ENC_SIGNING 1u /* only signing fields (for the STX data) */

/* Encodes the tree's top-level object in canonical order into out
 * (capacity cap; NULL to size only); *len gets the length.  Returns XU_OK,
 * XU_ETOOBIG when cap is too small, or XU_EINVAL for a value the format
 * cannot hold (wrong width, bad VL length). */
enum xu_code xl_encode(const struct xl_tree *t, unsigned flags, uint8_t *out,
		       size_t cap, size_t *len,
		       struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_LEDGER_CODEC_H */
