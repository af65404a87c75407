/* The XRPL binary codec: cursors, amounts, and the generic tree decoder and
 * canonical encoder (see codec.h for the wire layout).  Every read goes
 * through xl_rd_bytes(), which checks the remaining length first. */
#include "ledger/codec.h"

#include <stdio.h>
#include <string.h>

#include "src/util/hex.h"

#define XRP_MAX UINT64_C(100000000000000000)
#define TOKEN_MANT_MIN UINT64_C(1000000000000000)
#define TOKEN_MANT_MAX UINT64_C(9999999999999999)
#define TOKEN_EXP_MIN (-96)
#define TOKEN_EXP_MAX 80

/* ---- writer */

void xl_wr_init(struct xl_wr *w, uint8_t *out, size_t cap)
{
	w->out = out;
	w->cap = out ? cap : 0;
	w->len = 0;
	w->overflow = false;
}

void xl_wr_bytes(struct xl_wr *w, const uint8_t *b, size_t n)
{
	if (w->out) {
		if (n > w->cap - w->len) {
			w->overflow = true;
			w->out = NULL; /* stop writing, keep counting */
		} else if (n) {
			memcpy(w->out + w->len, b, n);
		}
	}
	w->len += n;
}

void xl_wr_uint(struct xl_wr *w, uint64_t v, size_t width)
{
	uint8_t b[8];
	XU_ASSERT(width >= 1 && width <= 8);
	for (size_t i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	xl_wr_bytes(w, b, width);
}

void xl_wr_header(struct xl_wr *w, unsigned type, unsigned code)
{
	uint8_t b[3];
	size_t n;
	XU_ASSERT(type >= 1 && type <= 255 && code >= 1 && code <= 255);
	if (type < 16 && code < 16) {
		b[0] = (uint8_t)(type << 4 | code);
		n = 1;
	} else if (type < 16) {
		b[0] = (uint8_t)(type << 4);
		b[1] = (uint8_t)code;
		n = 2;
	} else if (code < 16) {
		b[0] = (uint8_t)code;
		b[1] = (uint8_t)type;
		n = 2;
	} else {
		b[0] = 0;
		b[1] = (uint8_t)type;
		b[2] = (uint8_t)code;
		n = 3;
	}
	xl_wr_bytes(w, b, n);
}

bool xl_wr_vl(struct xl_wr *w, size_t len)
{
	uint8_t b[3];
	if (len <= 192) {
		b[0] = (uint8_t)len;
		xl_wr_bytes(w, b, 1);
	} else if (len <= 12480) {
		size_t l = len - 193;
		b[0] = (uint8_t)(193 + (l >> 8));
		b[1] = (uint8_t)(l & 0xFF);
		xl_wr_bytes(w, b, 2);
	} else if (len <= XL_VL_MAX) {
		size_t l = len - 12481;
		b[0] = (uint8_t)(241 + (l >> 16));
		b[1] = (uint8_t)((l >> 8) & 0xFF);
		b[2] = (uint8_t)(l & 0xFF);
		xl_wr_bytes(w, b, 3);
	} else {
		return false;
	}
	return true;
}

/* ---- reader */

void xl_rd_init(struct xl_rd *r, const uint8_t *in, size_t len)
{
	r->in = in;
	r->len = len;
	r->off = 0;
}

enum xu_code xl_rd_bytes(struct xl_rd *r, const uint8_t **p, size_t n,
			 struct xu_err *err)
{
	if (n > r->len - r->off)
		return xu_fail(err, XU_EPARSE, 0,
			       "truncated: %zu bytes needed at offset %zu, "
			       "%zu left",
			       n, r->off, r->len - r->off);
	*p = r->in + r->off;
	r->off += n;
	return XU_OK;
}

enum xu_code xl_rd_uint(struct xl_rd *r, uint64_t *v, size_t width,
			struct xu_err *err)
{
	const uint8_t *p = NULL;
	enum xu_code rc = xl_rd_bytes(r, &p, width, err);
	if (rc)
		return rc;
	uint64_t x = 0;
	for (size_t i = 0; i < width; i++)
		x = x << 8 | p[i];
	*v = x;
	return XU_OK;
}

enum xu_code xl_rd_header(struct xl_rd *r, unsigned *type, unsigned *code,
			  struct xu_err *err)
{
	size_t at = r->off;
	uint64_t b0, b1, b2;
	enum xu_code rc = xl_rd_uint(r, &b0, 1, err);
	if (rc)
		return rc;
	unsigned t = (unsigned)b0 >> 4, c = (unsigned)b0 & 15;
	if (t == 0) {
		if ((rc = xl_rd_uint(r, &b1, 1, err)))
			return rc;
		t = (unsigned)b1;
		if (t < 16)
			return xu_fail(err, XU_EPARSE, 0,
				       "non-canonical field header at offset "
				       "%zu",
				       at);
		if (c == 0) {
			if ((rc = xl_rd_uint(r, &b2, 1, err)))
				return rc;
			c = (unsigned)b2;
			if (c < 16)
				return xu_fail(err, XU_EPARSE, 0,
					       "non-canonical field header at "
					       "offset %zu",
					       at);
		}
	} else if (c == 0) {
		if ((rc = xl_rd_uint(r, &b1, 1, err)))
			return rc;
		c = (unsigned)b1;
		if (c < 16)
			return xu_fail(err, XU_EPARSE, 0,
				       "non-canonical field header at offset "
				       "%zu",
				       at);
	}
	*type = t;
	*code = c;
	return XU_OK;
}

enum xu_code xl_rd_vl(struct xl_rd *r, size_t *len, struct xu_err *err)
{
	uint64_t b0, b1;
	enum xu_code rc = xl_rd_uint(r, &b0, 1, err);
	if (rc)
		return rc;
	if (b0 <= 192) {
		*len = (size_t)b0;
	} else if (b0 <= 240) {
		if ((rc = xl_rd_uint(r, &b1, 1, err)))
			return rc;
		*len = 193 + (size_t)((b0 - 193) << 8 | b1);
	} else if (b0 <= 254) {
		if ((rc = xl_rd_uint(r, &b1, 2, err)))
			return rc;
		*len = 12481 + (size_t)((b0 - 241) << 16 | b1);
		if (*len > XL_VL_MAX)
			return xu_fail(err, XU_EPARSE, 0,
				       "length prefix above %u at offset %zu",
				       XL_VL_MAX, r->off - 3);
	} else {
		return xu_fail(err, XU_EPARSE, 0,
			       "invalid length prefix 0xFF at offset %zu",
			       r->off - 1);
	}
	return XU_OK;
}

/* ---- amounts */

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

enum xu_code xl_amount_check(const uint8_t *b, size_t len, struct xu_err *err)
{
	if (len < 8)
		return xu_fail(err, XU_EPARSE, 0, "amount too short");
	uint64_t v = be64(b);
	if (!(v >> 63)) {
		if (len != XL_AMOUNT_XRP_BYTES)
			return xu_fail(err, XU_EPARSE, 0,
				       "XRP amount of %zu bytes", len);
		if (v & (UINT64_C(1) << 61))
			return xu_fail(err, XU_EPARSE, 0,
				       "MPT amounts are not supported");
		uint64_t drops = v & ~(UINT64_C(3) << 62);
		if (drops > XRP_MAX)
			return xu_fail(err, XU_EPARSE, 0,
				       "XRP amount above 10^17 drops");
		if (!(v >> 62) && drops == 0)
			return xu_fail(err, XU_EPARSE, 0,
				       "non-canonical XRP amount (negative "
				       "zero)");
		return XU_OK;
	}
	if (len != XL_AMOUNT_TOKEN_BYTES)
		return xu_fail(err, XU_EPARSE, 0, "token amount of %zu bytes",
			       len);
	uint64_t mant = v & ((UINT64_C(1) << 54) - 1);
	int exp = (int)((v >> 54) & 0xFF) - 97;
	if (mant == 0) {
		if (v != UINT64_C(1) << 63)
			return xu_fail(err, XU_EPARSE, 0,
				       "non-canonical token zero");
		return XU_OK;
	}
	if (mant < TOKEN_MANT_MIN || mant > TOKEN_MANT_MAX ||
	    exp < TOKEN_EXP_MIN || exp > TOKEN_EXP_MAX)
		return xu_fail(err, XU_EPARSE, 0, "non-canonical token amount");
	return XU_OK;
}

void xl_amount_xrp_bytes(uint8_t out[XL_AMOUNT_XRP_BYTES], uint64_t drops,
			 bool neg)
{
	XU_ASSERT(drops <= XRP_MAX);
	uint64_t v = drops | (neg ? 0 : UINT64_C(1) << 62);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

void xl_token_value_fmt(char *buf, size_t cap, const uint8_t b[8])
{
	XU_ASSERT(cap >= XL_TOKEN_VALUE_STRLEN);
	uint64_t v = be64(b);
	uint64_t mant = v & ((UINT64_C(1) << 54) - 1);
	int exp = (int)((v >> 54) & 0xFF) - 97;
	if (mant == 0) {
		snprintf(buf, cap, "0");
		return;
	}
	char digits[24];
	int n =
	    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)mant);
	while (n > 1 && digits[n - 1] == '0') { /* strip trailing zeros */
		digits[--n] = 0;
		exp++;
	}
	size_t o = 0;
	if (!((v >> 62) & 1))
		buf[o++] = '-';
	if (exp >= 0) { /* digits then exp zeros */
		for (int i = 0; i < n; i++)
			buf[o++] = digits[i];
		for (int i = 0; i < exp; i++)
			buf[o++] = '0';
	} else if (-exp < n) { /* point inside the digits */
		int ip = n + exp;
		for (int i = 0; i < ip; i++)
			buf[o++] = digits[i];
		buf[o++] = '.';
		for (int i = ip; i < n; i++)
			buf[o++] = digits[i];
	} else { /* 0.000ddd */
		buf[o++] = '0';
		buf[o++] = '.';
		for (int i = 0; i < -exp - n; i++)
			buf[o++] = '0';
		for (int i = 0; i < n; i++)
			buf[o++] = digits[i];
	}
	buf[o] = 0;
}

enum xu_code xl_token_value_parse(uint8_t out[8], const char *s,
				  struct xu_err *err)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	uint64_t mant = 0;
	int nd = 0, exp = 0;
	bool any = false, point = false;
	for (;; p++) {
		if (*p == '.' && !point) {
			point = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		any = true;
		if (mant == 0 && *p == '0') { /* leading zeros */
			if (point)
				exp--;
			continue;
		}
		if (nd == 16) {
			if (*p != '0')
				return xu_fail(err, XU_ERANGE, 0,
					       "token value has more than 16 "
					       "significant digits");
			if (!point)
				exp++;
			continue;
		}
		mant = mant * 10 + (uint64_t)(*p - '0');
		nd++;
		if (point)
			exp--;
	}
	if (!any)
		return xu_fail(err, XU_EPARSE, 0,
			       "token value is not a number");
	if (*p == 'e' || *p == 'E') {
		p++;
		bool eneg = false;
		if (*p == '-' || *p == '+')
			eneg = *p++ == '-';
		if (*p < '0' || *p > '9')
			return xu_fail(err, XU_EPARSE, 0,
				       "token value has a bad exponent");
		int e = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (e > 100000)
				return xu_fail(err, XU_ERANGE, 0,
					       "token value exponent out of "
					       "range");
			e = e * 10 + (*p - '0');
		}
		exp += eneg ? -e : e;
	}
	if (*p)
		return xu_fail(err, XU_EPARSE, 0,
			       "token value is not a number");
	uint64_t v;
	if (mant == 0) {
		v = UINT64_C(1) << 63;
	} else {
		while (mant < TOKEN_MANT_MIN) {
			mant *= 10;
			exp--;
		}
		if (exp < TOKEN_EXP_MIN || exp > TOKEN_EXP_MAX)
			return xu_fail(err, XU_ERANGE, 0,
				       "token value out of range");
		v = UINT64_C(1) << 63 | (neg ? 0 : UINT64_C(1) << 62) |
		    (uint64_t)(exp + 97) << 54 | mant;
	}
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
	return XU_OK;
}

static bool iso_char(uint8_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("?!@#$%^&*(){}[]|", c) != NULL;
}

void xl_currency_fmt(char buf[41], const uint8_t b[20])
{
	bool zero_out = true, all_zero = true;
	for (int i = 0; i < 20; i++) {
		if (b[i])
			all_zero = false;
		if ((i < 12 || i >= 15) && b[i])
			zero_out = false;
	}
	if (all_zero) {
		memcpy(buf, "XRP", 4);
		return;
	}
	if (zero_out && iso_char(b[12]) && iso_char(b[13]) && iso_char(b[14]) &&
	    memcmp(b + 12, "XRP", 3)) {
		memcpy(buf, b + 12, 3);
		buf[3] = 0;
		return;
	}
	xu_hex_encode(buf, 41, b, 20);
}

enum xu_code xl_currency_parse(uint8_t out[20], const char *s,
			       struct xu_err *err)
{
	size_t n = strlen(s);
	if (n == 3) {
		memset(out, 0, 20);
		if (!strcmp(s, "XRP"))
			return XU_OK;
		for (int i = 0; i < 3; i++) {
			if (!iso_char((uint8_t)s[i]))
				return xu_fail(err, XU_EPARSE, 0,
					       "bad currency code");
			out[12 + i] = (uint8_t)s[i];
		}
		return XU_OK;
	}
	if (n == 40)
		return xu_hex_decode_exact(out, 20, s, err);
	return xu_fail(err, XU_EPARSE, 0,
		       "currency must be 3 characters or 40 hex digits");
}

/* ---- tree */

void xl_tree_init(struct xl_tree *t, struct xl_node *nodes, size_t cap,
		  uint8_t *arena, size_t arena_cap)
{
	XU_ASSERT(cap >= 1 && cap < XL_NONE);
	t->nodes = nodes;
	t->cap = cap;
	t->n = 1;
	t->arena = arena;
	t->arena_cap = arena ? arena_cap : 0;
	t->arena_len = 0;
	memset(&nodes[0], 0, sizeof(nodes[0]));
	nodes[0].first = nodes[0].next = XL_NONE;
}

enum xu_code xl_tree_add(struct xl_tree *t, uint32_t parent,
			 const struct xl_field *f, uint32_t *idx,
			 struct xu_err *err)
{
	XU_ASSERT(parent < t->n && f);
	struct xl_node *par = &t->nodes[parent];
	bool is_array = par->f && par->f->type == XL_ST_ARRAY;
	uint32_t *link = &par->first;
	while (*link != XL_NONE) {
		if (!is_array && t->nodes[*link].f == f)
			return xu_fail(err, XU_EINVAL, 0, "duplicate field %s",
				       f->name);
		link = &t->nodes[*link].next;
	}
	if (t->n >= t->cap)
		return xu_fail(err, XU_ETOOBIG, 0,
			       "more than %zu fields in one object tree",
			       t->cap - 1);
	uint32_t i = (uint32_t)t->n++;
	struct xl_node *nd = &t->nodes[i];
	memset(nd, 0, sizeof(*nd));
	nd->f = f;
	nd->first = nd->next = XL_NONE;
	*link = i;
	*idx = i;
	return XU_OK;
}

enum xu_code xl_tree_put(struct xl_tree *t, uint32_t idx, const uint8_t *b,
			 size_t n, struct xu_err *err)
{
	XU_ASSERT(idx < t->n);
	if (n > t->arena_cap - t->arena_len)
		return xu_fail(err, XU_ETOOBIG, 0,
			       "value of %s too large for the buffer",
			       t->nodes[idx].f ? t->nodes[idx].f->name : "?");
	uint8_t *dst = t->arena + t->arena_len;
	if (n)
		memcpy(dst, b, n);
	t->arena_len += n;
	t->nodes[idx].p = dst;
	t->nodes[idx].len = n;
	return XU_OK;
}

uint32_t xl_tree_find(const struct xl_tree *t, uint32_t parent,
		      const struct xl_field *f)
{
	for (uint32_t i = t->nodes[parent].first; i != XL_NONE;
	     i = t->nodes[i].next)
		if (t->nodes[i].f == f)
			return i;
	return XL_NONE;
}

void xl_tree_remove(struct xl_tree *t, uint32_t parent,
		    const struct xl_field *f)
{
	uint32_t *link = &t->nodes[parent].first;
	while (*link != XL_NONE) {
		if (t->nodes[*link].f == f) {
			*link = t->nodes[*link].next;
			return;
		}
		link = &t->nodes[*link].next;
	}
}

/* ---- decoder */

#define END_OBJECT 0xE1 /* STObject type 14, field 1 */
#define END_ARRAY 0xF1	/* STArray type 15, field 1 */

static enum xu_code decode_value(struct xl_tree *t, struct xl_rd *r,
				 uint32_t idx, int depth, struct xu_err *err);

/* Reads fields into object `obj` until its end marker (or, at top level,
 * the end of input), enforcing canonical order. */
static enum xu_code decode_object(struct xl_tree *t, struct xl_rd *r,
				  uint32_t obj, bool top, int depth,
				  struct xu_err *err)
{
	const struct xl_field *prev = NULL;
	for (;;) {
		if (top && r->off == r->len)
			return XU_OK;
		if (!top && r->off == r->len)
			return xu_fail(err, XU_EPARSE, 0,
				       "truncated: object %s has no end marker",
				       t->nodes[obj].f->name);
		size_t at = r->off;
		unsigned type, code;
		enum xu_code rc = xl_rd_header(r, &type, &code, err);
		if (rc)
			return rc;
		if (type == XL_ST_OBJECT && code == 1) {
			if (top)
				return xu_fail(err, XU_EPARSE, 0,
					       "object end marker at top level "
					       "(offset %zu)",
					       at);
			return XU_OK;
		}
		if (type == XL_ST_ARRAY && code == 1)
			return xu_fail(err, XU_EPARSE, 0,
				       "array end marker inside an object "
				       "(offset %zu)",
				       at);
		const struct xl_field *f = xl_field_by_id(type, code);
		if (!f)
			return xu_fail(err, XU_EPARSE, 0,
				       "unknown field (type %u, code %u) at "
				       "offset %zu",
				       type, code, at);
		if (prev && xl_field_cmp(prev, f) >= 0)
			return xu_fail(err, XU_EPARSE, 0,
				       "field %s out of canonical order at "
				       "offset %zu",
				       f->name, at);
		prev = f;
		uint32_t idx;
		if ((rc = xl_tree_add(t, obj, f, &idx, err)))
			return rc;
		if ((rc = decode_value(t, r, idx, depth, err)))
			return rc;
	}
}

static enum xu_code decode_array(struct xl_tree *t, struct xl_rd *r,
				 uint32_t arr, int depth, struct xu_err *err)
{
	for (;;) {
		size_t at = r->off;
		unsigned type, code;
		enum xu_code rc = xl_rd_header(r, &type, &code, err);
		if (rc)
			return xu_wrap(err, rc, t->nodes[arr].f->name);
		if (type == XL_ST_ARRAY && code == 1)
			return XU_OK;
		const struct xl_field *f = xl_field_by_id(type, code);
		if (!f || f->type != XL_ST_OBJECT)
			return xu_fail(err, XU_EPARSE, 0,
				       "%s: element at offset %zu is not a "
				       "known object field",
				       t->nodes[arr].f->name, at);
		uint32_t idx;
		if ((rc = xl_tree_add(t, arr, f, &idx, err)))
			return rc;
		if ((rc = decode_object(t, r, idx, false, depth + 1, err)))
			return rc;
	}
}

static enum xu_code decode_value(struct xl_tree *t, struct xl_rd *r,
				 uint32_t idx, int depth, struct xu_err *err)
{
	struct xl_node *nd = &t->nodes[idx];
	const struct xl_field *f = nd->f;
	enum xu_code rc = XU_OK;
	const uint8_t *p = NULL;
	size_t len;
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32:
	case XL_ST_UINT64:
		rc = xl_rd_uint(r, &nd->u, xl_stype_width(f->type), err);
		break;
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
		len = xl_stype_width(f->type);
		if (!(rc = xl_rd_bytes(r, &p, len, err))) {
			nd->p = p;
			nd->len = len;
		}
		break;
	case XL_ST_AMOUNT:
		if ((rc = xl_rd_bytes(r, &p, 1, err)))
			break;
		r->off--;
		len =
		    (p[0] & 0x80) ? XL_AMOUNT_TOKEN_BYTES : XL_AMOUNT_XRP_BYTES;
		if ((rc = xl_rd_bytes(r, &p, len, err)))
			break;
		if ((rc = xl_amount_check(p, len, err)))
			break;
		nd->p = p;
		nd->len = len;
		break;
	case XL_ST_BLOB:
	case XL_ST_ACCOUNT:
	case XL_ST_VECTOR256:
		if ((rc = xl_rd_vl(r, &len, err)))
			break;
		if (f->type == XL_ST_ACCOUNT && len != 20) {
			rc = xu_fail(err, XU_EPARSE, 0,
				     "AccountID of %zu bytes", len);
			break;
		}
		if (f->type == XL_ST_VECTOR256 && len % 32) {
			rc = xu_fail(err, XU_EPARSE, 0,
				     "Vector256 of %zu bytes", len);
			break;
		}
		if ((rc = xl_rd_bytes(r, &p, len, err)))
			break;
		nd->p = p;
		nd->len = len;
		break;
	case XL_ST_OBJECT:
	case XL_ST_ARRAY:
		if (depth >= XL_DEPTH_MAX)
			return xu_fail(err, XU_EPARSE, 0,
				       "%s: nested deeper than %d", f->name,
				       XL_DEPTH_MAX);
		if (f->type == XL_ST_OBJECT)
			return decode_object(t, r, idx, false, depth + 1, err);
		return decode_array(t, r, idx, depth + 1, err);
	}
	if (rc && err && strncmp(err->msg, f->name, strlen(f->name)))
		return xu_wrap(err, rc, f->name);
	return rc;
}

enum xu_code xl_decode(struct xl_tree *t, const uint8_t *in, size_t len,
		       struct xu_err *err)
{
	struct xl_rd r;
	xl_rd_init(&r, in, len);
	t->n = 1;
	t->nodes[0].first = XL_NONE;
	if (len == 0)
		return xu_fail(err, XU_EPARSE, 0, "empty input");
	return decode_object(t, &r, 0, true, 0, err);
}

/* ---- encoder */

static enum xu_code encode_node(const struct xl_tree *t, uint32_t idx,
				unsigned flags, struct xl_wr *w, int depth,
				struct xu_err *err);

/* Writes the children of object `obj` in canonical order: repeatedly the
 * smallest field above the last one written (objects are small). */
static enum xu_code encode_fields(const struct xl_tree *t, uint32_t obj,
				  unsigned flags, struct xl_wr *w, int depth,
				  struct xu_err *err)
{
	const struct xl_field *last = NULL;
	for (;;) {
		uint32_t best = XL_NONE;
		for (uint32_t i = t->nodes[obj].first; i != XL_NONE;
		     i = t->nodes[i].next) {
			const struct xl_field *f = t->nodes[i].f;
			if ((flags & XL_ENC_SIGNING) && !f->signing)
				continue;
			if (last && xl_field_cmp(f, last) <= 0)
				continue;
			if (best == XL_NONE ||
			    xl_field_cmp(f, t->nodes[best].f) < 0)
				best = i;
		}
		if (best == XL_NONE)
			return XU_OK;
		last = t->nodes[best].f;
		enum xu_code rc = encode_node(t, best, flags, w, depth, err);
		if (rc)
			return rc;
	}
}

static enum xu_code encode_node(const struct xl_tree *t, uint32_t idx,
				unsigned flags, struct xl_wr *w, int depth,
				struct xu_err *err)
{
	const struct xl_node *nd = &t->nodes[idx];
	const struct xl_field *f = nd->f;
	enum xu_code rc;
	xl_wr_header(w, f->type, f->code);
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32: {
		size_t wd = xl_stype_width(f->type);
		if (nd->u >> (8 * wd))
			return xu_fail(err, XU_EINVAL, 0, "%s: value too large",
				       f->name);
		xl_wr_uint(w, nd->u, wd);
		return XU_OK;
	}
	case XL_ST_UINT64:
		xl_wr_uint(w, nd->u, 8);
		return XU_OK;
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
		if (nd->len != xl_stype_width(f->type))
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: %zu bytes, want %zu", f->name,
				       nd->len, xl_stype_width(f->type));
		xl_wr_bytes(w, nd->p, nd->len);
		return XU_OK;
	case XL_ST_AMOUNT:
		if ((rc = xl_amount_check(nd->p, nd->len, err)))
			return xu_wrap(err, XU_EINVAL, f->name);
		xl_wr_bytes(w, nd->p, nd->len);
		return XU_OK;
	case XL_ST_BLOB:
	case XL_ST_ACCOUNT:
	case XL_ST_VECTOR256:
		if ((f->type == XL_ST_ACCOUNT && nd->len != 20) ||
		    (f->type == XL_ST_VECTOR256 && nd->len % 32))
			return xu_fail(err, XU_EINVAL, 0, "%s: bad length %zu",
				       f->name, nd->len);
		if (!xl_wr_vl(w, nd->len))
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: %zu bytes is too long", f->name,
				       nd->len);
		xl_wr_bytes(w, nd->p, nd->len);
		return XU_OK;
	case XL_ST_OBJECT:
		if ((rc = encode_fields(t, idx, flags, w, depth + 1, err)))
			return rc;
		xl_wr_header(w, XL_ST_OBJECT, 1);
		return XU_OK;
	case XL_ST_ARRAY:
		for (uint32_t i = nd->first; i != XL_NONE;
		     i = t->nodes[i].next) {
			if (t->nodes[i].f->type != XL_ST_OBJECT)
				return xu_fail(err, XU_EINVAL, 0,
					       "%s: element %s is not an "
					       "object",
					       f->name, t->nodes[i].f->name);
			if ((rc = encode_node(t, i, flags, w, depth + 1, err)))
				return rc;
		}
		xl_wr_header(w, XL_ST_ARRAY, 1);
		return XU_OK;
	}
	return xu_fail(err, XU_EINTERNAL, 0, "unhandled type");
}

enum xu_code xl_encode(const struct xl_tree *t, unsigned flags, uint8_t *out,
		       size_t cap, size_t *len, struct xu_err *err)
{
	struct xl_wr w;
	xl_wr_init(&w, out, cap);
	*len = 0;
	enum xu_code rc = encode_fields(t, 0, flags, &w, 0, err);
	if (rc)
		return rc;
	if (w.overflow)
		return xu_fail(err, XU_ETOOBIG, 0,
			       "encoding needs %zu bytes, buffer has %zu",
			       w.len, cap);
	*len = w.len;
	return XU_OK;
}
