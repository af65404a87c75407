/* The peer message codec: round trips of every message type (encode ->
 * decode -> same struct, and decode -> encode -> decode), acceptance of
 * unknown fields and later versions, a table of bad inputs each refused
 * with the right code and failure detail, and encoder refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "channel/msg.h"
#include "tests/channel/chfix.h"

#define CH64 "5DB01B7FFED6B67E6B0414DED11E051D2EE2B7619CE0EAA6286D67A3A4D5BDB3"
#define ADDR "rN7n7otQDd6FczFgLdSqtcsAUxDkw6fzRH"
#define PK "ED4139EEFB4A5E0A3B9698A9ECAB5A7C66E4270B49548542D54BFB810784931497"

static void roundtrip(const struct pc_msg *m)
{
	char buf[PC_MSG_MAX_BYTES], buf2[PC_MSG_MAX_BYTES];
	size_t len, len2;
	struct pc_msg back, back2;
	struct xu_err e;

	if (pc_msg_encode(m, buf, sizeof(buf), &len, &e) != XU_OK)
		fail_msg("encode %s: %s", pc_msg_type_name(m->type), e.msg);
	assert_int_equal(strlen(buf), len);
	if (pc_msg_decode(&back, (const uint8_t *)buf, len, &e) != XU_OK)
		fail_msg("decode %s: %s", buf, e.msg);
	assert_int_equal(back.version, PC_MSG_VERSION);
	back.version = m->version;
	assert_memory_equal(&back, m, sizeof(back));
	/* Encoding is deterministic. */
	assert_int_equal(pc_msg_encode(&back, buf2, sizeof(buf2), &len2, &e),
			 XU_OK);
	assert_string_equal(buf, buf2);
	assert_int_equal(pc_msg_decode(&back2, (const uint8_t *)buf2, len2, &e),
			 XU_OK);
	assert_memory_equal(&back, &back2, sizeof(back));
}

static void test_channel_msg_roundtrip(void **state)
{
	struct pc_msg m;

	(void)state;
	fx_setup();
	for (int t = PC_MSG_HELLO; t <= PC_MSG_HELLO_REPLY; t++) {
		for (int ch = 0; ch < 2; ch++) {
			memset(&m, 0, sizeof(m));
			m.type = (enum pc_msg_type)t;
			m.version = PC_MSG_VERSION;
			m.u.hello.address = fx_peer;
			m.u.hello.key_type =
			    ch ? CR_KEY_SECP256K1 : CR_KEY_ED25519;
			m.u.hello.min_settle_delay = ch ? UINT32_MAX : 0;
			m.u.hello.has_channel = ch != 0;
			if (ch)
				memcpy(m.u.hello.channel, fx_out_id, 32);
			roundtrip(&m);
		}
	}
	for (int k = 0; k < 2; k++) {
		uint64_t amounts[] = {0, 1, UINT64_C(4294967296),
				      UINT64_C(9007199254740993), XL_DROPS_MAX};

		for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]);
		     i++) {
			struct pc_claim c = claim_make(k, fx_in_id, amounts[i]);
			struct pc_claim back;

			memset(&m, 0, sizeof(m));
			m.type = PC_MSG_CLAIM;
			m.version = PC_MSG_VERSION;
			memcpy(m.u.claim.channel, c.channel, 32);
			m.u.claim.amount = c.amount;
			memcpy(m.u.claim.sig, c.sig, c.siglen);
			m.u.claim.siglen = c.siglen;
			m.u.claim.has_pubkey = i % 2 == 0;
			if (m.u.claim.has_pubkey)
				memcpy(m.u.claim.pubkey, fx_keys[k].pub.b, 33);
			/* "acked", optional: sent when nonzero */
			m.u.claim.acked = D(k ? amounts[i] : 0);
			c.acked = m.u.claim.acked;
			roundtrip(&m);
			pc_msg_to_claim(&back, &m.u.claim);
			assert_memory_equal(&back, &c, sizeof(c));
		}
	}
	for (int r = 0; r < PC_REJ_COUNT; r++) {
		memset(&m, 0, sizeof(m));
		m.type = PC_MSG_CLAIM_REPLY;
		m.version = PC_MSG_VERSION;
		memcpy(m.u.reply.channel, fx_in_id, 32);
		m.u.reply.accepted = r == PC_REJ_NONE;
		m.u.reply.code = (enum pc_reject)r;
		m.u.reply.amount = D(XRP(3));
		if (r % 2)
			snprintf(m.u.reply.message, sizeof(m.u.reply.message),
				 "%s: \"quoted\" \xC3\xA9", pc_reject_name(r));
		roundtrip(&m);
	}
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM_REPLY;
	m.version = PC_MSG_VERSION;
	m.u.reply.accepted = false;
	m.u.reply.code = PC_REJ_CLOSING;
	memset(m.u.reply.message, 'x', PC_MSG_TEXT_MAX);
	roundtrip(&m);
	static const enum pc_msg_type chan_only[] = {
	    PC_MSG_CHANNEL_UPDATE, PC_MSG_CLOSE_REQUEST, PC_MSG_LAST_CLAIM};
	for (size_t t = 0; t < sizeof(chan_only) / sizeof(chan_only[0]); t++) {
		memset(&m, 0, sizeof(m));
		m.type = chan_only[t];
		m.version = PC_MSG_VERSION;
		memcpy(m.u.channel, fx_out_id, 32);
		roundtrip(&m);
	}
	/* last_claim about a channel that left the ledger ("final"). */
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_LAST_CLAIM;
	m.version = PC_MSG_VERSION;
	m.final = true;
	memcpy(m.u.channel, fx_out_id, 32);
	roundtrip(&m);
	/* last_claim_reply: none held, and held (both key types). */
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_LAST_CLAIM_REPLY;
	m.version = PC_MSG_VERSION;
	memcpy(m.u.last.channel, fx_out_id, 32);
	roundtrip(&m);
	m.final = true; /* the answer to a final question */
	roundtrip(&m);
	m.final = false;
	for (int k = 0; k < 2; k++) {
		struct pc_claim c = claim_make(k, fx_out_id, XL_DROPS_MAX);

		m.u.last.amount = c.amount;
		memcpy(m.u.last.sig, c.sig, c.siglen);
		m.u.last.siglen = c.siglen;
		roundtrip(&m);
	}
	/* The encoder refuses a signature that does not fit the amount. */
	{
		char buf[PC_MSG_MAX_BYTES];
		size_t len;
		struct xu_err e;

		m.u.last.amount = D(0);
		assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
				 XU_EINVAL);
		m.u.last.amount = D(5);
		m.u.last.siglen = 0;
		assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
				 XU_EINVAL);
	}
}

static struct pc_msg decode_ok(const char *s)
{
	struct pc_msg m;
	struct xu_err e;

	if (pc_msg_decode(&m, (const uint8_t *)s, strlen(s), &e) != XU_OK)
		fail_msg("decode %s: %s", s, e.msg);
	return m;
}

static void test_channel_msg_lenient(void **state)
{
	struct pc_msg m;
	char hex[65];

	(void)state;
	fx_setup();
	/* Unknown fields ignored, later versions accepted, lower-case hex
	 * and a missing version outside hello. */
	m = decode_ok("{\"type\":\"hello\",\"version\":7,\"address\":\"" ADDR
		      "\",\"key_type\":\"secp256k1\",\"min_settle_delay\":"
		      "259200,\"future\":{\"x\":[1,2]},\"scale\":6}");
	assert_int_equal(m.type, PC_MSG_HELLO);
	assert_int_equal(m.version, 7);
	assert_int_equal(m.u.hello.key_type, CR_KEY_SECP256K1);
	assert_int_equal(m.u.hello.min_settle_delay, 259200);
	assert_false(m.u.hello.has_channel);
	m = decode_ok("{\"type\":\"claim\",\"channel\":\"" CH64
		      "\",\"amount\":\"0\",\"signature\":"
		      "\"3044022069888d92e1f4104fad7ba66d8da69278e579fe6edaf32e"
		      "87acf481a6383c4aeb02204e0286429ff9842724627a08eafd1a83"
		      "56a6b36994da6f386d2363c5d3aafe7c\",\"extra\":null}");
	assert_int_equal(m.type, PC_MSG_CLAIM);
	assert_int_equal(m.version, 0);
	assert_int_equal(m.u.claim.siglen, 70);
	assert_false(m.u.claim.has_pubkey);
	assert_true(xl_drops_is_zero(m.u.claim.amount));
	assert_true(xl_drops_is_zero(m.u.claim.acked)); /* absent */
	m = decode_ok("{\"type\":\"claim\",\"channel\":\"" CH64
		      "\",\"amount\":\"7\",\"acked\":\"5\",\"signature\":"
		      "\"3044022069888d92e1f4104fad7ba66d8da69278e579fe6edaf32e"
		      "87acf481a6383c4aeb02204e0286429ff9842724627a08eafd1a83"
		      "56a6b36994da6f386d2363c5d3aafe7c\"}");
	assert_int_equal(xl_drops_u64(m.u.claim.acked), 5);
	m = decode_ok("{\"type\":\"claim_reply\",\"channel\":\"" CH64
		      "\",\"accepted\":false,\"amount\":\"100000000000000000\","
		      "\"code\":\"settle_delay\"}");
	assert_int_equal(m.u.reply.code, PC_REJ_SETTLE_DELAY);
	assert_int_equal(xl_drops_u64(m.u.reply.amount), XL_DROPS_MAX);
	m = decode_ok("{\"type\":\"close_request\",\"channel\":\"" CH64 "\"}");
	assert_int_equal(m.type, PC_MSG_CLOSE_REQUEST);
	m = decode_ok(" {\"channel\":\"" CH64
		      "\",\"type\":\"channel_update\"}\n");
	assert_int_equal(m.type, PC_MSG_CHANNEL_UPDATE);
	{
		/* The hex is decoded, not copied. */
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02X", m.u.channel[i]);
		assert_string_equal(hex, CH64);
	}
}

struct bad {
	const char *json;
	enum xu_code code;
	enum pc_msg_fail fail;
};

#define HELLO_PRE "{\"type\":\"hello\",\"version\":1,"
#define CLAIM_PRE "{\"type\":\"claim\",\"channel\":\"" CH64 "\","
#define SIG70                                                                  \
	"3044022069888D92E1F4104FAD7BA66D8DA69278E579FE6EDAF32E87ACF481A6383C" \
	"4AEB02204E0286429FF9842724627A08EAFD1A8356A6B36994DA6F386D2363C5D3AA" \
	"FE7C"

static const struct bad bads[] = {
    {"", XU_EPARSE, PC_MSGF_JSON},
    {"not json", XU_EPARSE, PC_MSGF_JSON},
    {"[1,2]", XU_EPARSE, PC_MSGF_JSON},
    {"\"hello\"", XU_EPARSE, PC_MSGF_JSON},
    {"{\"type\":\"claim\"", XU_EPARSE, PC_MSGF_JSON},
    {"{\"type\":\"hello\",\"type\":\"claim\"}", XU_EPARSE, PC_MSGF_JSON},
    {"{\"type\":\"he\\u0000llo\"}", XU_EPARSE, PC_MSGF_JSON},
    {"{}", XU_EINVAL, PC_MSGF_TYPE},
    {"{\"type\":3}", XU_EINVAL, PC_MSGF_TYPE},
    {"{\"type\":\"pay_me\"}", XU_EINVAL, PC_MSGF_TYPE},
    {"{\"type\":\"Hello\"}", XU_EINVAL, PC_MSGF_TYPE},
    /* hello */
    {"{\"type\":\"hello\",\"address\":\"" ADDR
     "\",\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_VERSION},
    {HELLO_PRE "\"version\":0}", XU_EPARSE, PC_MSGF_JSON}, /* duplicate */
    {"{\"type\":\"hello\",\"version\":0,\"address\":\"" ADDR
     "\",\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_VERSION},
    {"{\"type\":\"hello\",\"version\":\"1\",\"address\":\"" ADDR
     "\",\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_VERSION},
    {"{\"type\":\"hello\",\"version\":1.0,\"address\":\"" ADDR
     "\",\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_VERSION},
    {"{\"type\":\"hello\",\"version\":-1,\"address\":\"" ADDR
     "\",\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_VERSION},
    {HELLO_PRE "\"key_type\":\"ed25519\",\"min_settle_delay\":1}", XU_EINVAL,
     PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"rN7n7otQDd6FczFgLdSqtcsAUxDkw6fzRJ\","
	       "\"key_type\":\"ed25519\",\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":42,\"key_type\":\"ed25519\","
	       "\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"rsa\","
	       "\"min_settle_delay\":1}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"ed25519\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"ed25519\","
	       "\"min_settle_delay\":-1}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"ed25519\","
	       "\"min_settle_delay\":4294967296}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"ed25519\","
	       "\"min_settle_delay\":3.5}",
     XU_EINVAL, PC_MSGF_FIELD},
    {HELLO_PRE "\"address\":\"" ADDR "\",\"key_type\":\"ed25519\","
	       "\"min_settle_delay\":1,\"channel\":\"ABCD\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    /* claim */
    {"{\"type\":\"claim\",\"amount\":\"1\",\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim\",\"channel\":\"" CH64 "00\",\"amount\":\"1\","
     "\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim\",\"channel\":\"5DB01B7FFED6B67E6B0414DED11E051D2EE2B"
     "7619CE0EAA6286D67A3A4D5BDBG\",\"amount\":\"1\",\"signature\":\"" SIG70
     "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"signature\":\"" SIG70 "\"}", XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"7\",\"acked\":5,\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"7\",\"acked\":\"-5\",\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"7\",\"acked\":null,\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":1,\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"01\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"-1\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"+1\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1e5\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\" 1\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1.0\",\"signature\":\"" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"100000000000000001\",\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"18446744073709551617\",\"signature\":\"" SIG70
	       "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\"}", XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"ABC\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"00112233445566\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"" SIG70 "000000\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"ZZ" SIG70 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"" SIG70
	       "\",\"public_key\":\"04" PK "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"" SIG70
	       "\",\"public_key\":\"05" PK "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"" SIG70
	       "\",\"public_key\":\"AA4139EEFB4A5E0A3B9698A9ECAB5A7C66E4270B49"
	       "548542D54BFB810784931497\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {CLAIM_PRE "\"amount\":\"1\",\"signature\":\"" SIG70 "\",\"version\":0}",
     XU_EINVAL, PC_MSGF_VERSION},
    /* claim_reply */
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64 "\",\"amount\":\"1\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":1,\"amount\":\"1\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":false,\"amount\":\"1\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":false,\"amount\":\"1\",\"code\":\"sad\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":false,\"amount\":\"1\",\"code\":\"none\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":true,\"amount\":\"1\",\"code\":\"closing\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64
     "\",\"accepted\":true,\"amount\":\"1\",\"message\":7}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"claim_reply\",\"channel\":\"" CH64 "\",\"accepted\":true}",
     XU_EINVAL, PC_MSGF_FIELD},
    /* notices */
    {"{\"type\":\"channel_update\"}", XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"close_request\",\"channel\":null}", XU_EINVAL, PC_MSGF_FIELD},
    /* last_claim, last_claim_reply */
    {"{\"type\":\"last_claim\"}", XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"last_claim\",\"channel\":\"" CH64 "\",\"final\":1}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"last_claim\",\"channel\":\"" CH64 "\",\"version\":0}",
     XU_EINVAL, PC_MSGF_VERSION},
    {"{\"type\":\"last_claim_reply\",\"channel\":\"" CH64 "\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {"{\"type\":\"last_claim_reply\",\"amount\":\"0\"}", XU_EINVAL,
     PC_MSGF_FIELD},
    {"{\"type\":\"last_claim_reply\",\"channel\":\"" CH64
     "\",\"amount\":\"5\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"last_claim_reply\",\"channel\":\"" CH64
     "\",\"amount\":\"0\",\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"last_claim_reply\",\"channel\":\"" CH64
     "\",\"amount\":\"05\",\"signature\":\"" SIG70 "\"}",
     XU_EINVAL, PC_MSGF_FIELD},
    {"{\"type\":\"last_claim_reply\",\"channel\":\"" CH64
     "\",\"amount\":\"5\",\"signature\":\"0011\"}",
     XU_EINVAL, PC_MSGF_FIELD},
};

static void test_channel_msg_bad_inputs(void **state)
{
	(void)state;
	fx_setup();
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct pc_msg m;
		struct xu_err e;
		struct pc_msg zero;
		enum xu_code rc;

		memset(&e, 0, sizeof(e));
		memset(&zero, 0, sizeof(zero));
		rc = pc_msg_decode(&m, (const uint8_t *)bads[i].json,
				   strlen(bads[i].json), &e);
		if (rc != bads[i].code || e.detail != (int)bads[i].fail)
			fail_msg("bad[%zu] %s: rc %d detail %d (%s)", i,
				 bads[i].json, rc, e.detail, e.msg);
		/* Every failure is a 100s code: the daemon answers 400. */
		assert_true(xu_code_is_input(rc));
		assert_memory_equal(&m, &zero, sizeof(m));
	}
}

static void test_channel_msg_limits(void **state)
{
	static char big[PC_MSG_MAX_BYTES + 64];
	char longmsg[PC_MSG_TEXT_MAX + 200];
	struct pc_msg m;
	struct xu_err e;
	char buf[PC_MSG_MAX_BYTES];
	size_t len;

	(void)state;
	fx_setup();
	/* Oversized input. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"type\":\"close_request\",\"channel\":\"" CH64 "\"}",
	       strlen("{\"type\":\"close_request\",\"channel\":\"" CH64 "\"}"));
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)big, sizeof(big), &e),
	    XU_ETOOBIG);
	assert_int_equal(e.detail, PC_MSGF_SIZE);
	/* Exactly the limit with padding is fine. */
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)big, PC_MSG_MAX_BYTES, &e),
	    XU_OK);
	/* Reply text longer than the limit. */
	memset(longmsg, 'y', sizeof(longmsg));
	longmsg[PC_MSG_TEXT_MAX + 1] = '\0';
	snprintf(buf, sizeof(buf),
		 "{\"type\":\"claim_reply\",\"channel\":\"" CH64
		 "\",\"accepted\":false,\"amount\":\"1\",\"code\":"
		 "\"closing\",\"message\":\"%s\"}",
		 longmsg);
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)buf, strlen(buf), &e),
	    XU_EINVAL);
	longmsg[PC_MSG_TEXT_MAX] = '\0';
	snprintf(buf, sizeof(buf),
		 "{\"type\":\"claim_reply\",\"channel\":\"" CH64
		 "\",\"accepted\":false,\"amount\":\"1\",\"code\":"
		 "\"closing\",\"message\":\"%s\"}",
		 longmsg);
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)buf, strlen(buf), &e), XU_OK);
	/* A NULL-free empty buffer. */
	assert_int_equal(pc_msg_decode(&m, NULL, 0, &e), XU_EPARSE);

	/* Encoder refusals: nothing that decode would refuse goes out. */
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM;
	m.u.claim.siglen = 0;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	m.u.claim.siglen = CR_SIG_MAX_BYTES + 1;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM_REPLY;
	m.u.reply.accepted = true;
	m.u.reply.code = PC_REJ_CLOSING;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	m.u.reply.accepted = false;
	m.u.reply.code = PC_REJ_NONE;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = (enum pc_msg_type)99;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_HELLO;
	m.u.hello.key_type = (enum cr_key_type)0;
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e),
			 XU_EINVAL);
	/* Too small a buffer: ETOOBIG, and an empty string left behind. */
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLOSE_REQUEST;
	assert_int_equal(pc_msg_encode(&m, buf, 20, &len, &e), XU_ETOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(len, 0);
	assert_int_equal(pc_msg_encode(&m, buf, sizeof(buf), &len, &e), XU_OK);
	/* Room for the text but not its NUL. */
	{
		size_t len2;

		assert_int_equal(pc_msg_encode(&m, buf, len, &len2, &e),
				 XU_ETOOBIG);
		assert_int_equal(pc_msg_encode(&m, buf, len + 1, &len2, &e),
				 XU_OK);
		assert_int_equal(len2, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_channel_msg_roundtrip),
	    cmocka_unit_test(test_channel_msg_lenient),
	    cmocka_unit_test(test_channel_msg_bad_inputs),
	    cmocka_unit_test(test_channel_msg_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
