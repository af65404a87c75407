/* The peer protocol codec (format in channel/msg.h): strict decoding of
 * every field of the JSON messages two engines exchange, and encoding
 * that only produces what decoding accepts.  jansson parses (rejecting
 * duplicate keys and embedded NULs); the checks here do the rest.
 */
#include "channel/msg.h"

#include <jansson.h>
#include <string.h>

#include "src/util/hex.h"

static const struct {
	enum pc_msg_type type;
	const char *name;
} type_names[] = {
    {PC_MSG_HELLO, "hello"},
    {PC_MSG_HELLO_REPLY, "hello_reply"},
    {PC_MSG_CLAIM, "claim"},
    {PC_MSG_CLAIM_REPLY, "claim_reply"},
    {PC_MSG_CHANNEL_UPDATE, "channel_update"},
    {PC_MSG_CLOSE_REQUEST, "close_request"},
    {PC_MSG_LAST_CLAIM, "last_claim"},
    {PC_MSG_LAST_CLAIM_REPLY, "last_claim_reply"},
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *pc_msg_type_name(enum pc_msg_type t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (type_names[i].type == t)
			return type_names[i].name;
	return "?";
}

static enum xu_code field_fail(struct xu_err *err, const char *key,
			       const char *why)
{
	return xu_fail(err, XU_EINVAL, PC_MSGF_FIELD, "field \"%s\": %s", key,
		       why);
}

/* The string `key` (borrowed from obj), or NULL after failing. */
static const char *get_str(const json_t *obj, const char *key, bool required,
			   bool *present, struct xu_err *err, enum xu_code *rc)
{
	const json_t *v = json_object_get(obj, key);

	*present = v != NULL;
	if (v == NULL) {
		*rc = required ? field_fail(err, key, "missing") : XU_OK;
		return NULL;
	}
	if (!json_is_string(v)) {
		*rc = field_fail(err, key, "not a string");
		return NULL;
	}
	*rc = XU_OK;
	return json_string_value(v);
}

static enum xu_code get_hex(const json_t *obj, const char *key, bool required,
			    bool *present, uint8_t *out, size_t minlen,
			    size_t maxlen, size_t *outlen, struct xu_err *err)
{
	enum xu_code rc;
	const char *s = get_str(obj, key, required, present, err, &rc);
	size_t n;

	if (s == NULL)
		return rc;
	n = strlen(s);
	if (n % 2 != 0 || n < 2 * minlen || n > 2 * maxlen)
		return field_fail(err, key, "wrong hex length");
	if (xu_hex_decode(out, maxlen, outlen, s, n, NULL) != XU_OK)
		return field_fail(err, key, "not hex");
	return XU_OK;
}

static enum xu_code get_channel(const json_t *obj, uint8_t *out, bool required,
				bool *present, struct xu_err *err)
{
	size_t n;

	return get_hex(obj, "channel", required, present, out,
		       CR_CHANNEL_ID_BYTES, CR_CHANNEL_ID_BYTES, &n, err);
}

/* LAST_CLAIM's optional "final": absent (false) or a JSON boolean. */
static enum xu_code get_final(const json_t *obj, bool *out, struct xu_err *err)
{
	const json_t *v = json_object_get(obj, "final");

	*out = false;
	if (!v)
		return XU_OK;
	if (!json_is_boolean(v))
		return field_fail(err, "final", "not a boolean");
	*out = json_is_true(v);
	return XU_OK;
}

/* Canonical decimal drops: digits only, no leading zero, <= 10^17. */
static enum xu_code get_drops(const json_t *obj, const char *key,
			      struct xl_drops *out, struct xu_err *err)
{
	enum xu_code rc;
	bool present;
	const char *s = get_str(obj, key, true, &present, err, &rc);
	size_t n;

	if (s == NULL)
		return rc;
	n = strlen(s);
	if (n == 0 || n > XL_DROPS_STRLEN - 1)
		return field_fail(err, key, "not a drops amount");
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return field_fail(err, key, "not a drops amount");
	if (n > 1 && s[0] == '0')
		return field_fail(err, key, "leading zero");
	if (xl_drops_parse(out, s, NULL) != XU_OK)
		return field_fail(err, key, "above 10^17 drops");
	return XU_OK;
}

static enum xu_code get_u32(const json_t *obj, const char *key, uint32_t *out,
			    struct xu_err *err)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return field_fail(err, key, "missing");
	if (!json_is_integer(v))
		return field_fail(err, key, "not an integer");
	i = json_integer_value(v);
	if (i < 0 || i > (json_int_t)UINT32_MAX)
		return field_fail(err, key, "out of range");
	*out = (uint32_t)i;
	return XU_OK;
}

static enum xu_code get_version(const json_t *obj, bool required, uint32_t *out,
				struct xu_err *err)
{
	const json_t *v = json_object_get(obj, "version");
	json_int_t i;

	*out = 0;
	if (v == NULL) {
		if (!required)
			return XU_OK;
		return xu_fail(err, XU_EINVAL, PC_MSGF_VERSION,
			       "field \"version\": missing");
	}
	if (!json_is_integer(v))
		return xu_fail(err, XU_EINVAL, PC_MSGF_VERSION,
			       "field \"version\": not an integer");
	i = json_integer_value(v);
	if (i < 1 || i > (json_int_t)UINT32_MAX)
		return xu_fail(err, XU_EINVAL, PC_MSGF_VERSION,
			       "field \"version\": must be 1 or above");
	*out = (uint32_t)i;
	return XU_OK;
}

static enum xu_code dec_hello(struct pc_msg_hello *h, const json_t *o,
			      struct xu_err *err)
{
	enum xu_code rc;
	bool present;
	const char *s;

	s = get_str(o, "address", true, &present, err, &rc);
	if (s == NULL)
		return rc;
	if (cr_address_decode(&h->address, s, NULL) != XU_OK)
		return field_fail(err, "address", "not a classic address");
	s = get_str(o, "key_type", true, &present, err, &rc);
	if (s == NULL)
		return rc;
	if (!cr_key_type_parse(&h->key_type, s))
		return field_fail(err, "key_type", "unknown key type");
	rc = get_u32(o, "min_settle_delay", &h->min_settle_delay, err);
	if (rc != XU_OK)
		return rc;
	{
		const json_t *v = json_object_get(o, "sent_ms");

		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return field_fail(err, "sent_ms",
					  "not a non-negative integer");
		h->sent_ms = v ? (uint64_t)json_integer_value(v) : 0;
	}
	return get_channel(o, h->channel, false, &h->has_channel, err);
}

static enum xu_code dec_claim(struct pc_msg_claim *c, const json_t *o,
			      struct xu_err *err)
{
	enum xu_code rc;
	bool present;
	size_t n;
	enum cr_key_type kt;

	rc = get_channel(o, c->channel, true, &present, err);
	if (rc != XU_OK)
		return rc;
	rc = get_drops(o, "amount", &c->amount, err);
	if (rc != XU_OK)
		return rc;
	rc = get_hex(o, "signature", true, &present, c->sig,
		     PC_MSG_SIG_MIN_BYTES, CR_SIG_MAX_BYTES, &c->siglen, err);
	if (rc != XU_OK)
		return rc;
	rc = get_hex(o, "public_key", false, &c->has_pubkey, c->pubkey,
		     CR_PUBKEY_BYTES, CR_PUBKEY_BYTES, &n, err);
	if (rc != XU_OK)
		return rc;
	if (c->has_pubkey &&
	    cr_pubkey_type(&kt, c->pubkey, CR_PUBKEY_BYTES, NULL) != XU_OK)
		return field_fail(err, "public_key", "unknown key type");
	c->acked = xl_drops_zero();
	if (json_object_get(o, "acked") != NULL)
		return get_drops(o, "acked", &c->acked, err);
	return XU_OK;
}

static enum xu_code dec_reply(struct pc_msg_claim_reply *r, const json_t *o,
			      struct xu_err *err)
{
	enum xu_code rc;
	bool present;
	const json_t *acc = json_object_get(o, "accepted");
	const char *s;

	rc = get_channel(o, r->channel, true, &present, err);
	if (rc != XU_OK)
		return rc;
	if (acc == NULL)
		return field_fail(err, "accepted", "missing");
	if (!json_is_boolean(acc))
		return field_fail(err, "accepted", "not a boolean");
	r->accepted = json_is_true(acc);
	rc = get_drops(o, "amount", &r->amount, err);
	if (rc != XU_OK)
		return rc;
	r->code = PC_REJ_NONE;
	s = get_str(o, "code", !r->accepted, &present, err, &rc);
	if (s == NULL && rc != XU_OK)
		return rc;
	if (s != NULL && !pc_reject_parse(&r->code, s))
		return field_fail(err, "code", "unknown reason code");
	if (r->accepted && present)
		return field_fail(err, "code", "present on an accepted claim");
	s = get_str(o, "message", false, &present, err, &rc);
	if (s == NULL && rc != XU_OK)
		return rc;
	if (s != NULL) {
		if (strlen(s) > PC_MSG_TEXT_MAX)
			return field_fail(err, "message", "too long");
		memcpy(r->message, s, strlen(s) + 1);
	}
	return XU_OK;
}

static enum xu_code dec_last(struct pc_msg_last_claim_reply *r, const json_t *o,
			     struct xu_err *err)
{
	enum xu_code rc;
	bool present;

	rc = get_channel(o, r->channel, true, &present, err);
	if (rc != XU_OK)
		return rc;
	rc = get_drops(o, "amount", &r->amount, err);
	if (rc != XU_OK)
		return rc;
	rc = get_hex(o, "signature", !xl_drops_is_zero(r->amount), &present,
		     r->sig, PC_MSG_SIG_MIN_BYTES, CR_SIG_MAX_BYTES, &r->siglen,
		     err);
	if (rc != XU_OK)
		return rc;
	if (present && xl_drops_is_zero(r->amount))
		return field_fail(err, "signature", "present with amount 0");
	return XU_OK;
}

enum xu_code pc_msg_decode(struct pc_msg *out, const uint8_t *buf, size_t len,
			   struct xu_err *err)
{
	json_t *root;
	json_error_t jerr;
	const json_t *t;
	const char *name;
	enum xu_code rc;
	bool found = false;
	bool present;

	XU_ASSERT(out != NULL && (buf != NULL || len == 0));
	memset(out, 0, sizeof(*out));
	if (len > PC_MSG_MAX_BYTES)
		return xu_fail(err, XU_ETOOBIG, PC_MSGF_SIZE,
			       "message of %zu bytes above %d", len,
			       PC_MSG_MAX_BYTES);
	root =
	    json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return xu_fail(err, XU_EPARSE, PC_MSGF_JSON, "not JSON: %s",
			       jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return xu_fail(err, XU_EPARSE, PC_MSGF_JSON,
			       "not a JSON object");
	}
	t = json_object_get(root, "type");
	if (t == NULL || !json_is_string(t)) {
		json_decref(root);
		return xu_fail(err, XU_EINVAL, PC_MSGF_TYPE,
			       "field \"type\": missing or not a string");
	}
	name = json_string_value(t);
	for (size_t i = 0; i < NTYPES; i++) {
		if (strcmp(name, type_names[i].name) == 0) {
			out->type = type_names[i].type;
			found = true;
		}
	}
	if (!found) {
		rc = xu_fail(err, XU_EINVAL, PC_MSGF_TYPE,
			     "unknown message type");
		json_decref(root);
		return rc;
	}
	rc = get_version(
	    root, out->type == PC_MSG_HELLO || out->type == PC_MSG_HELLO_REPLY,
	    &out->version, err);
	if (rc == XU_OK) {
		switch (out->type) {
		case PC_MSG_HELLO:
		case PC_MSG_HELLO_REPLY:
			rc = dec_hello(&out->u.hello, root, err);
			break;
		case PC_MSG_CLAIM:
			rc = dec_claim(&out->u.claim, root, err);
			break;
		case PC_MSG_CLAIM_REPLY:
			rc = dec_reply(&out->u.reply, root, err);
			break;
		case PC_MSG_LAST_CLAIM_REPLY:
			rc = dec_last(&out->u.last, root, err);
			if (rc == XU_OK)
				rc = get_final(root, &out->final, err);
			break;
		case PC_MSG_CHANNEL_UPDATE:
		case PC_MSG_CLOSE_REQUEST:
			rc = get_channel(root, out->u.channel, true, &present,
					 err);
			break;
		case PC_MSG_LAST_CLAIM:
			rc = get_channel(root, out->u.channel, true, &present,
					 err);
			if (rc == XU_OK)
				rc = get_final(root, &out->final, err);
			break;
		}
	}
	json_decref(root);
	if (rc != XU_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Sets key to the upper-case hex of in[0..n). */
static bool set_hex(json_t *o, const char *key, const uint8_t *in, size_t n)
{
	char hex[2 * CR_SIG_MAX_BYTES + 1];

	XU_ASSERT(n <= CR_SIG_MAX_BYTES);
	xu_hex_encode(hex, sizeof(hex), in, n);
	return json_object_set_new(o, key, json_string(hex)) == 0;
}

static bool set_drops(json_t *o, const char *key, struct xl_drops d)
{
	char num[XL_DROPS_STRLEN + 1];

	xl_drops_fmt(num, sizeof(num), d);
	return json_object_set_new(o, key, json_string(num)) == 0;
}

static enum xu_code enc_body(json_t *o, const struct pc_msg *m,
			     struct xu_err *err)
{
	char addr[CR_ADDRESS_STRLEN];
	bool ok = true;

	switch (m->type) {
	case PC_MSG_HELLO:
	case PC_MSG_HELLO_REPLY:
		if (m->u.hello.key_type != CR_KEY_ED25519 &&
		    m->u.hello.key_type != CR_KEY_SECP256K1)
			return xu_fail(err, XU_EINVAL, 0, "unknown key type");
		cr_address_encode(addr, &m->u.hello.address);
		ok =
		    json_object_set_new(o, "address", json_string(addr)) == 0 &&
		    json_object_set_new(o, "key_type",
					json_string(cr_key_type_name(
					    m->u.hello.key_type))) == 0 &&
		    json_object_set_new(
			o, "min_settle_delay",
			json_integer(m->u.hello.min_settle_delay)) == 0;
		if (ok && m->u.hello.has_channel)
			ok = set_hex(o, "channel", m->u.hello.channel,
				     CR_CHANNEL_ID_BYTES);
		if (ok && m->u.hello.sent_ms)
			ok =
			    json_object_set_new(
				o, "sent_ms",
				json_integer((json_int_t)m->u.hello.sent_ms)) ==
			    0;
		break;
	case PC_MSG_CLAIM:
		if (m->u.claim.siglen < PC_MSG_SIG_MIN_BYTES ||
		    m->u.claim.siglen > CR_SIG_MAX_BYTES)
			return xu_fail(err, XU_EINVAL, 0,
				       "signature length %zu out of range",
				       m->u.claim.siglen);
		ok = set_hex(o, "channel", m->u.claim.channel,
			     CR_CHANNEL_ID_BYTES) &&
		     set_drops(o, "amount", m->u.claim.amount) &&
		     set_hex(o, "signature", m->u.claim.sig, m->u.claim.siglen);
		if (ok && m->u.claim.has_pubkey)
			ok = set_hex(o, "public_key", m->u.claim.pubkey,
				     CR_PUBKEY_BYTES);
		if (ok && !xl_drops_is_zero(m->u.claim.acked))
			ok = set_drops(o, "acked", m->u.claim.acked);
		break;
	case PC_MSG_CLAIM_REPLY:
		if (m->u.reply.accepted != (m->u.reply.code == PC_REJ_NONE) ||
		    (unsigned)m->u.reply.code >= PC_REJ_COUNT)
			return xu_fail(err, XU_EINVAL, 0,
				       "reply code does not match accepted");
		if (strnlen(m->u.reply.message, sizeof(m->u.reply.message)) >
		    PC_MSG_TEXT_MAX)
			return xu_fail(err, XU_EINVAL, 0, "message too long");
		ok = set_hex(o, "channel", m->u.reply.channel,
			     CR_CHANNEL_ID_BYTES) &&
		     json_object_set_new(o, "accepted",
					 json_boolean(m->u.reply.accepted)) ==
			 0 &&
		     set_drops(o, "amount", m->u.reply.amount);
		if (ok && !m->u.reply.accepted)
			ok = json_object_set_new(o, "code",
						 json_string(pc_reject_name(
						     m->u.reply.code))) == 0;
		if (ok && m->u.reply.message[0] != '\0')
			ok = json_object_set_new(
				 o, "message",
				 json_string(m->u.reply.message)) == 0;
		break;
	case PC_MSG_LAST_CLAIM_REPLY:
		if (xl_drops_is_zero(m->u.last.amount)
			? m->u.last.siglen != 0
			: (m->u.last.siglen < PC_MSG_SIG_MIN_BYTES ||
			   m->u.last.siglen > CR_SIG_MAX_BYTES))
			return xu_fail(err, XU_EINVAL, 0,
				       "signature length %zu does not fit "
				       "the amount",
				       m->u.last.siglen);
		ok = set_hex(o, "channel", m->u.last.channel,
			     CR_CHANNEL_ID_BYTES) &&
		     set_drops(o, "amount", m->u.last.amount);
		if (ok && m->u.last.siglen)
			ok = set_hex(o, "signature", m->u.last.sig,
				     m->u.last.siglen);
		if (ok && m->final)
			ok = json_object_set_new(o, "final", json_true()) == 0;
		break;
	case PC_MSG_CHANNEL_UPDATE:
	case PC_MSG_CLOSE_REQUEST:
	case PC_MSG_LAST_CLAIM:
		ok = set_hex(o, "channel", m->u.channel, CR_CHANNEL_ID_BYTES);
		if (ok && m->type == PC_MSG_LAST_CLAIM && m->final)
			ok = json_object_set_new(o, "final", json_true()) == 0;
		break;
	default:
		return xu_fail(err, XU_EINVAL, 0, "unknown message type %d",
			       (int)m->type);
	}
	if (!ok)
		return xu_fail(err, XU_EINVAL, 0,
			       "could not build the message (bad UTF-8?)");
	return XU_OK;
}

enum xu_code pc_msg_encode(const struct pc_msg *m, char *buf, size_t cap,
			   size_t *len, struct xu_err *err)
{
	json_t *o;
	enum xu_code rc;
	size_t need;

	XU_ASSERT(m != NULL && buf != NULL && len != NULL && cap > 0);
	*len = 0;
	buf[0] = '\0';
	o = json_object();
	if (o == NULL)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	if (json_object_set_new(o, "type",
				json_string(pc_msg_type_name(m->type))) != 0 ||
	    json_object_set_new(o, "version", json_integer(PC_MSG_VERSION)) !=
		0) {
		json_decref(o);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	rc = enc_body(o, m, err);
	if (rc != XU_OK) {
		json_decref(o);
		return rc;
	}
	need = json_dumpb(o, buf, cap, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (need == 0)
		return xu_fail(err, XU_EINTERNAL, 0, "could not serialize");
	if (need >= cap) {
		buf[0] = '\0';
		return xu_fail(err, XU_ETOOBIG, 0,
			       "message needs %zu bytes, buffer has %zu", need,
			       cap);
	}
	buf[need] = '\0';
	*len = need;
	return XU_OK;
}

void pc_msg_to_claim(struct pc_claim *out, const struct pc_msg_claim *m)
{
	XU_ASSERT(out != NULL && m != NULL);
	memset(out, 0, sizeof(*out));
	memcpy(out->channel, m->channel, CR_CHANNEL_ID_BYTES);
	out->amount = m->amount;
	memcpy(out->sig, m->sig, m->siglen);
	out->siglen = m->siglen;
	out->acked = m->acked;
}
