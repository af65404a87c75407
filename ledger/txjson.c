/* JSON <-> codec tree for XRPL objects (see txjson.h for the mapping). */
#include "ledger/txjson.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base58.h"
#include "crypto/sign.h"
#include "ledger/amount.h"
#include "src/util/hex.h"

#define XRP_MAX UINT64_C(100000000000000000)

static enum xu_code from_value(struct xl_tree *t, uint32_t idx, const json_t *v,
			       int depth, struct xu_err *err);

static enum xu_code add_members(struct xl_tree *t, uint32_t obj,
				const json_t *o, int depth, struct xu_err *err)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return xu_fail(err, XU_EINVAL, 0, "expected a JSON object");
	json_object_foreach((json_t *)o, key, v)
	{
		const struct xl_field *f = xl_field_by_name(key);
		uint32_t idx;
		enum xu_code rc;
		if (!f)
			return xu_fail(err, XU_EINVAL, 0, "unknown field %s",
				       key);
		if ((rc = xl_tree_add(t, obj, f, &idx, err)))
			return rc;
		if ((rc = from_value(t, idx, v, depth, err)))
			return rc;
	}
	return XU_OK;
}

static enum xu_code bad_type(const struct xl_field *f, const char *want,
			     struct xu_err *err)
{
	return xu_fail(err, XU_EINVAL, 0, "%s: expected %s", f->name, want);
}

static enum xu_code put_hex(struct xl_tree *t, uint32_t idx, const json_t *v,
			    size_t exact, struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	if (!json_is_string(v))
		return bad_type(f, "a hex string", err);
	const char *s = json_string_value(v);
	size_t slen = json_string_length(v);
	size_t room = t->arena_cap - t->arena_len, n;
	if (slen / 2 > room)
		return xu_fail(err, XU_ETOOBIG, 0, "%s: value too large",
			       f->name);
	enum xu_code rc =
	    xu_hex_decode(t->arena + t->arena_len, room, &n, s, slen, err);
	if (rc)
		return xu_wrap(err, XU_EINVAL, f->name);
	if (exact && n != exact)
		return xu_fail(err, XU_EINVAL, 0, "%s: %zu bytes, expected %zu",
			       f->name, n, exact);
	if (f->type == XL_ST_BLOB && n > XL_VL_MAX)
		return xu_fail(err, XU_EINVAL, 0, "%s: too long", f->name);
	t->nodes[idx].p = t->arena + t->arena_len;
	t->nodes[idx].len = n;
	t->arena_len += n;
	return XU_OK;
}

static enum xu_code put_account(struct xl_tree *t, uint32_t idx,
				const json_t *v, struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	struct cr_account_id id;
	if (!json_is_string(v))
		return bad_type(f, "a classic address", err);
	if (cr_address_decode(&id, json_string_value(v), NULL))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: not a valid classic address", f->name);
	return xl_tree_put(t, idx, id.b, sizeof(id.b), err);
}

static enum xu_code put_amount(struct xl_tree *t, uint32_t idx, const json_t *v,
			       struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	uint8_t b[XL_AMOUNT_TOKEN_BYTES];
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		bool neg = *s == '-';
		struct xl_drops d;
		if (xl_drops_parse(&d, s + neg, NULL))
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: expected a string of drops "
				       "(0..10^17)",
				       f->name);
		if (neg && xl_drops_is_zero(d))
			return xu_fail(err, XU_EINVAL, 0, "%s: negative zero",
				       f->name);
		xl_amount_xrp_bytes(b, xl_drops_u64(d), neg);
		return xl_tree_put(t, idx, b, XL_AMOUNT_XRP_BYTES, err);
	}
	if (!json_is_object(v))
		return bad_type(f, "a string of drops or a token object", err);
	json_t *cur = json_object_get(v, "currency");
	json_t *iss = json_object_get(v, "issuer");
	json_t *val = json_object_get(v, "value");
	if (json_object_size(v) != 3 || !json_is_string(cur) ||
	    !json_is_string(iss) || !json_is_string(val))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: a token amount needs exactly string "
			       "currency, issuer and value",
			       f->name);
	struct cr_account_id id;
	enum xu_code rc;
	if ((rc = xl_token_value_parse(b, json_string_value(val), err)))
		return xu_wrap(err, XU_EINVAL, f->name);
	if ((rc = xl_currency_parse(b + 8, json_string_value(cur), err)))
		return xu_wrap(err, XU_EINVAL, f->name);
	if (cr_address_decode(&id, json_string_value(iss), NULL))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: issuer is not a classic address", f->name);
	memcpy(b + 28, id.b, 20);
	return xl_tree_put(t, idx, b, XL_AMOUNT_TOKEN_BYTES, err);
}

static enum xu_code put_uint(struct xl_tree *t, uint32_t idx, const json_t *v,
			     struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	size_t w = xl_stype_width(f->type);
	enum xl_names which;
	if (xl_field_names(f, &which) && json_is_string(v)) {
		unsigned code;
		if (!xl_code_of(which, json_string_value(v), &code))
			return xu_fail(err, XU_EINVAL, 0, "%s: unknown name",
				       f->name);
		t->nodes[idx].u = code;
		return XU_OK;
	}
	if (f->type == XL_ST_UINT64) {
		/* ripple-binary-codec: hex string, at most 16 digits. */
		if (!json_is_string(v))
			return bad_type(f, "a hex string", err);
		const char *s = json_string_value(v);
		size_t n = strlen(s);
		uint64_t x = 0;
		if (n == 0 || n > 16)
			return bad_type(f, "1 to 16 hex digits", err);
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			unsigned d;
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else
				return bad_type(f, "1 to 16 hex digits", err);
			x = x << 4 | d;
		}
		t->nodes[idx].u = x;
		return XU_OK;
	}
	if (!json_is_integer(v))
		return bad_type(f, "an integer", err);
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x >> (8 * w))
		return xu_fail(err, XU_EINVAL, 0, "%s: out of range", f->name);
	t->nodes[idx].u = (uint64_t)x;
	return XU_OK;
}

static enum xu_code put_vector(struct xl_tree *t, uint32_t idx, const json_t *v,
			       struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	size_t i, n = json_array_size(v);
	json_t *e;
	if (!json_is_array(v))
		return bad_type(f, "an array of hashes", err);
	if (n * 32 > t->arena_cap - t->arena_len)
		return xu_fail(err, XU_ETOOBIG, 0, "%s: too large", f->name);
	uint8_t *dst = t->arena + t->arena_len;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) ||
		    xu_hex_decode_exact(dst + 32 * i, 32, json_string_value(e),
					NULL))
			return bad_type(f, "an array of 64-digit hashes", err);
	}
	t->nodes[idx].p = dst;
	t->nodes[idx].len = n * 32;
	t->arena_len += n * 32;
	return XU_OK;
}

static enum xu_code put_array(struct xl_tree *t, uint32_t idx, const json_t *v,
			      int depth, struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return bad_type(f, "an array", err);
	json_array_foreach(v, i, e)
	{
		const char *key;
		json_t *inner;
		if (!json_is_object(e) || json_object_size(e) != 1)
			return bad_type(f, "an array of one-key objects", err);
		json_object_foreach(e, key, inner)
		{
			const struct xl_field *ef = xl_field_by_name(key);
			uint32_t ei;
			enum xu_code rc;
			if (!ef || ef->type != XL_ST_OBJECT)
				return xu_fail(err, XU_EINVAL, 0,
					       "%s: unknown element %s",
					       f->name, key);
			if (!json_is_object(inner))
				return bad_type(ef, "an object", err);
			if ((rc = xl_tree_add(t, idx, ef, &ei, err)))
				return rc;
			/* Same depth accounting as the binary decoder. */
			if ((rc = add_members(t, ei, inner, depth + 1, err)))
				return rc;
		}
	}
	return XU_OK;
}

static enum xu_code from_value(struct xl_tree *t, uint32_t idx, const json_t *v,
			       int depth, struct xu_err *err)
{
	const struct xl_field *f = t->nodes[idx].f;
	enum xu_code rc;
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32:
	case XL_ST_UINT64:
		return put_uint(t, idx, v, err);
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
		return put_hex(t, idx, v, xl_stype_width(f->type), err);
	case XL_ST_BLOB:
		return put_hex(t, idx, v, 0, err);
	case XL_ST_AMOUNT:
		return put_amount(t, idx, v, err);
	case XL_ST_ACCOUNT:
		return put_account(t, idx, v, err);
	case XL_ST_VECTOR256:
		return put_vector(t, idx, v, err);
	case XL_ST_OBJECT:
	case XL_ST_ARRAY:
		if (depth >= XL_DEPTH_MAX)
			return xu_fail(err, XU_EINVAL, 0,
				       "%s: nested too deeply", f->name);
		if (f->type == XL_ST_ARRAY)
			return put_array(t, idx, v, depth + 1, err);
		if (!json_is_object(v))
			return bad_type(f, "an object", err);
		if ((rc = add_members(t, idx, v, depth + 1, err)))
			return rc;
		return XU_OK;
	}
	return xu_fail(err, XU_EINTERNAL, 0, "unhandled type");
}

enum xu_code xl_json_to_tree(struct xl_tree *t, const json_t *obj,
			     struct xu_err *err)
{
	return add_members(t, 0, obj, 0, err);
}

/* ---- tree -> JSON */

static json_t *hex_json(const uint8_t *p, size_t len)
{
	char small[129];
	if (2 * len + 1 <= sizeof(small)) {
		xu_hex_encode(small, sizeof(small), p, len);
		return json_string(small);
	}
	/* Large blobs: build the string through jansson's own copy. */
	json_t *j = json_stringn_nocheck("", 0);
	char *buf = malloc(2 * len + 1);
	if (!buf) {
		json_decref(j);
		return NULL;
	}
	xu_hex_encode(buf, 2 * len + 1, p, len);
	json_string_setn_nocheck(j, buf, 2 * len);
	free(buf);
	return j;
}

static json_t *amount_json(const struct xl_node *nd)
{
	const uint8_t *b = nd->p;
	if (nd->len == XL_AMOUNT_XRP_BYTES) {
		uint64_t v = 0;
		char s[32];
		for (int i = 0; i < 8; i++)
			v = v << 8 | b[i];
		bool neg = !(v >> 62 & 1);
		snprintf(s, sizeof(s), "%s%llu", neg ? "-" : "",
			 (unsigned long long)(v & ~(UINT64_C(3) << 62)));
		return json_string(s);
	}
	char val[XL_TOKEN_VALUE_STRLEN], cur[41], iss[CR_ADDRESS_STRLEN];
	struct cr_account_id id;
	xl_token_value_fmt(val, sizeof(val), b);
	xl_currency_fmt(cur, b + 8);
	memcpy(id.b, b + 28, 20);
	cr_address_encode(iss, &id);
	return json_pack("{s:s, s:s, s:s}", "currency", cur, "issuer", iss,
			 "value", val);
}

static enum xu_code to_json(const struct xl_tree *t, uint32_t idx, json_t **out,
			    struct xu_err *err);

static enum xu_code object_json(const struct xl_tree *t, uint32_t obj,
				json_t **out, struct xu_err *err)
{
	json_t *o = json_object();
	if (!o)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	/* Canonical order, as ripple-binary-codec's decode() lists them. */
	const struct xl_field *last = NULL;
	for (;;) {
		uint32_t best = XL_NONE;
		for (uint32_t i = t->nodes[obj].first; i != XL_NONE;
		     i = t->nodes[i].next) {
			const struct xl_field *f = t->nodes[i].f;
			if (last && xl_field_cmp(f, last) <= 0)
				continue;
			if (best == XL_NONE ||
			    xl_field_cmp(f, t->nodes[best].f) < 0)
				best = i;
		}
		if (best == XL_NONE)
			break;
		last = t->nodes[best].f;
		json_t *v;
		enum xu_code rc = to_json(t, best, &v, err);
		if (rc) {
			json_decref(o);
			return rc;
		}
		if (json_object_set_new(o, last->name, v)) {
			json_decref(o);
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		}
	}
	*out = o;
	return XU_OK;
}

static enum xu_code to_json(const struct xl_tree *t, uint32_t idx, json_t **out,
			    struct xu_err *err)
{
	const struct xl_node *nd = &t->nodes[idx];
	const struct xl_field *f = nd->f;
	json_t *v = NULL;
	enum xl_names which;
	char buf[CR_ADDRESS_STRLEN + 20];
	*out = NULL;
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32:
		if (xl_field_names(f, &which)) {
			const char *name = xl_name_of(which, (unsigned)nd->u);
			if (!name)
				return xu_fail(
				    err, XU_EINVAL, 0, "%s: unknown value %llu",
				    f->name, (unsigned long long)nd->u);
			v = json_string(name);
		} else {
			v = json_integer((json_int_t)nd->u);
		}
		break;
	case XL_ST_UINT64:
		snprintf(buf, sizeof(buf), "%016llX",
			 (unsigned long long)nd->u);
		v = json_string(buf);
		break;
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
	case XL_ST_BLOB:
		v = hex_json(nd->p, nd->len);
		break;
	case XL_ST_AMOUNT:
		v = amount_json(nd);
		break;
	case XL_ST_ACCOUNT: {
		struct cr_account_id id;
		memcpy(id.b, nd->p, 20);
		cr_address_encode(buf, &id);
		v = json_string(buf);
		break;
	}
	case XL_ST_VECTOR256:
		v = json_array();
		for (size_t i = 0; v && i < nd->len / 32; i++)
			if (json_array_append_new(
				v, hex_json(nd->p + 32 * i, 32))) {
				json_decref(v);
				v = NULL;
			}
		break;
	case XL_ST_OBJECT:
		return object_json(t, idx, out, err);
	case XL_ST_ARRAY:
		v = json_array();
		for (uint32_t i = nd->first; v && i != XL_NONE;
		     i = t->nodes[i].next) {
			json_t *inner;
			enum xu_code rc = to_json(t, i, &inner, err);
			if (rc) {
				json_decref(v);
				return rc;
			}
			json_t *wrap = json_object();
			if (!wrap ||
			    json_object_set_new(wrap, t->nodes[i].f->name,
						inner) ||
			    json_array_append_new(v, wrap)) {
				json_decref(v);
				v = NULL;
			}
		}
		break;
	}
	if (!v)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	*out = v;
	return XU_OK;
}

enum xu_code xl_tree_to_json(const struct xl_tree *t, json_t **out,
			     struct xu_err *err)
{
	*out = NULL;
	return object_json(t, 0, out, err);
}

/* Trees for the convenience functions live on the heap: they are large. */
struct json_tree {
	struct xl_tree t;
	struct xl_node nodes[XL_JSON_NODES];
	uint8_t arena[XL_JSON_ARENA];
};

enum xu_code xl_json_encode(const json_t *obj, uint8_t *out, size_t cap,
			    size_t *len, struct xu_err *err)
{
	struct json_tree *jt = malloc(sizeof(*jt));
	enum xu_code rc;
	*len = 0;
	if (!jt)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	xl_tree_init(&jt->t, jt->nodes, XL_JSON_NODES, jt->arena,
		     sizeof(jt->arena));
	rc = xl_json_to_tree(&jt->t, obj, err);
	if (!rc)
		rc = xl_encode(&jt->t, 0, out, cap, len, err);
	free(jt);
	return rc;
}

enum xu_code xl_json_decode(const uint8_t *blob, size_t len, json_t **out,
			    struct xu_err *err)
{
	struct json_tree *jt = malloc(sizeof(*jt));
	enum xu_code rc;
	*out = NULL;
	if (!jt)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	xl_tree_init(&jt->t, jt->nodes, XL_JSON_NODES, NULL, 0);
	rc = xl_decode(&jt->t, blob, len, err);
	if (!rc)
		rc = xl_tree_to_json(&jt->t, out, err);
	free(jt);
	return rc;
}

enum xu_code xl_json_sign(const json_t *tx, const struct cr_keypair *kp,
			  struct xl_signed_tx *out, struct xu_err *err)
{
	static const char *const required[] = {"TransactionType", "Account",
					       "Fee", "Sequence"};
	struct json_tree *jt;
	uint8_t data[sizeof(out->blob)];
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t dlen, siglen;
	uint32_t idx;
	enum xu_code rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(tx))
		return xu_fail(err, XU_EINVAL, 0,
			       "the transaction must be a JSON object");
	if (!(jt = malloc(sizeof(*jt))))
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	xl_tree_init(&jt->t, jt->nodes, XL_JSON_NODES, jt->arena,
		     sizeof(jt->arena));
	/* Unknown fields and wrong types first, then what is missing. */
	rc = xl_json_to_tree(&jt->t, tx, err);
	for (size_t i = 0; !rc && i < sizeof(required) / sizeof(required[0]);
	     i++)
		if (!json_object_get(tx, required[i]))
			rc = xu_fail(err, XU_EINVAL, 0, "missing %s",
				     required[i]);
	if (!rc && (json_object_get(tx, "TxnSignature") ||
		    json_object_get(tx, "Signers")))
		rc = xu_fail(err, XU_EINVAL, 0,
			     "the transaction is already signed");
	if (!rc) {
		const struct xl_field *spk = xl_field_by_name("SigningPubKey");
		xl_tree_remove(&jt->t, 0, spk);
		rc = xl_tree_add(&jt->t, 0, spk, &idx, err);
		if (!rc)
			rc = xl_tree_put(&jt->t, idx, kp->pub.b,
					 sizeof(kp->pub.b), err);
	}
	/* "STX\0" || signing fields. */
	if (!rc) {
		memcpy(data, "STX", 4);
		rc = xl_encode(&jt->t, XL_ENC_SIGNING, data + 4,
			       sizeof(data) - 4, &dlen, err);
		dlen += 4;
	}
	if (!rc)
		rc = cr_sign(sig, &siglen, kp, data, dlen, err);
	if (!rc)
		rc = xl_tree_add(&jt->t, 0, xl_field_by_name("TxnSignature"),
				 &idx, err);
	if (!rc)
		rc = xl_tree_put(&jt->t, idx, sig, siglen, err);
	if (!rc)
		rc = xl_encode(&jt->t, 0, out->blob, sizeof(out->blob),
			       &out->len, err);
	free(jt);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	xl_tx_id(out->hash, out->blob, out->len);
	return XU_OK;
}

enum xu_code xl_tx_from_json(struct xl_tx *tx, const json_t *obj,
			     unsigned flags, struct xu_err *err)
{
	static const char *const extra[] = {
	    "hash",	      "ledger_index",	  "ledger_hash",
	    "date",	      "inLedger",	  "validated",
	    "meta",	      "metaData",	  "ctid",
	    "close_time_iso", "delivered_amount",
	};
	uint8_t *blob = malloc(XL_TX_MAX_BYTES);
	json_t *copy = NULL;
	size_t len;
	enum xu_code rc;

	memset(tx, 0, sizeof(*tx));
	if (!blob)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	if (!json_is_object(obj)) {
		free(blob);
		return xu_fail(err, XU_EINVAL, 0, "expected a JSON object");
	}
	if (flags & XL_JSON_RIPPLED) {
		copy = json_copy((json_t *)obj);
		if (!copy) {
			free(blob);
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		}
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			json_object_del(copy, extra[i]);
		json_t *dm = json_object_get(copy, "DeliverMax");
		if (dm) {
			if (!json_object_get(copy, "Amount"))
				json_object_set(copy, "Amount", dm);
			json_object_del(copy, "DeliverMax");
		}
		obj = copy;
	}
	rc = xl_json_encode(obj, blob, XL_TX_MAX_BYTES, &len, err);
	if (!rc)
		rc = xl_tx_decode(tx, blob, len, err);
	json_decref(copy);
	free(blob);
	return rc;
}
