/* libFuzzer target for the peer protocol codec (channel/msg.h): the bytes
 * another engine sends through the connectors' message API.
 *
 * For arbitrary bytes, pc_msg_decode() either
 *   - fails with XU_EPARSE / XU_ETOOBIG / XU_EINVAL, err->detail the
 *     matching enum pc_msg_fail, and *out all zero; or
 *   - succeeds, and then pc_msg_encode() must succeed (within
 *     PC_MSG_MAX_BYTES), decoding that encoding gives the same message
 *     field by field (version becomes PC_MSG_VERSION), and encoding again
 *     gives exactly the same bytes (the encoding is a fixed point).  A
 *     buffer one byte too small must give XU_ETOOBIG.
 * Any mismatch aborts.  tests/ledger/fuzz_replay.c replays the committed
 * corpus (tests/fuzz/corpus/peer_msg/) through this function in ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel/msg.h"
#include "crypto/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_peer_msg: %s\n", what);
		abort();
	}
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int same(const struct pc_msg *a, const struct pc_msg *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case PC_MSG_HELLO:
	case PC_MSG_HELLO_REPLY: {
		const struct pc_msg_hello *x = &a->u.hello, *y = &b->u.hello;
		return !memcmp(&x->address, &y->address, sizeof(x->address)) &&
		       x->key_type == y->key_type &&
		       x->min_settle_delay == y->min_settle_delay &&
		       x->has_channel == y->has_channel &&
		       (!x->has_channel ||
			!memcmp(x->channel, y->channel, sizeof(x->channel)));
	}
	case PC_MSG_CLAIM: {
		const struct pc_msg_claim *x = &a->u.claim, *y = &b->u.claim;
		return !memcmp(x->channel, y->channel, sizeof(x->channel)) &&
		       x->amount.drops == y->amount.drops &&
		       x->siglen == y->siglen &&
		       !memcmp(x->sig, y->sig, x->siglen) &&
		       x->has_pubkey == y->has_pubkey &&
		       (!x->has_pubkey ||
			!memcmp(x->pubkey, y->pubkey, sizeof(x->pubkey)));
	}
	case PC_MSG_CLAIM_REPLY: {
		const struct pc_msg_claim_reply *x = &a->u.reply,
						*y = &b->u.reply;
		return !memcmp(x->channel, y->channel, sizeof(x->channel)) &&
		       x->accepted == y->accepted &&
		       x->amount.drops == y->amount.drops &&
		       x->code == y->code && !strcmp(x->message, y->message);
	}
	case PC_MSG_LAST_CLAIM_REPLY: {
		const struct pc_msg_last_claim_reply *x = &a->u.last,
						     *y = &b->u.last;
		return !memcmp(x->channel, y->channel, sizeof(x->channel)) &&
		       x->amount.drops == y->amount.drops &&
		       x->siglen == y->siglen &&
		       !memcmp(x->sig, y->sig, x->siglen);
	}
	case PC_MSG_CHANNEL_UPDATE:
	case PC_MSG_CLOSE_REQUEST:
	case PC_MSG_LAST_CLAIM:
		return !memcmp(a->u.channel, b->u.channel,
			       sizeof(a->u.channel));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	static struct pc_msg m, m2;
	static char enc[PC_MSG_MAX_BYTES + 1], enc2[PC_MSG_MAX_BYTES + 1];
	struct xu_err err;
	size_t n, n2;
	enum xu_code rc;

	if (!inited) {
		check(cr_init(NULL) == XU_OK, "cr_init");
		inited = 1;
	}
	memset(&err, 0, sizeof(err));
	rc = pc_msg_decode(&m, data, size, &err);
	if (rc != XU_OK) {
		check(all_zero(&m, sizeof(m)), "failed decode left output");
		check(err.code == rc, "err.code differs from the result");
		switch (rc) {
		case XU_EPARSE:
			check(err.detail == PC_MSGF_JSON, "EPARSE detail");
			break;
		case XU_ETOOBIG:
			check(err.detail == PC_MSGF_SIZE &&
				  size > PC_MSG_MAX_BYTES,
			      "ETOOBIG detail");
			break;
		case XU_EINVAL:
			check(err.detail == PC_MSGF_TYPE ||
				  err.detail == PC_MSGF_VERSION ||
				  err.detail == PC_MSGF_FIELD,
			      "EINVAL detail");
			break;
		default:
			check(0, "unexpected decode error code");
		}
		check(memchr(err.msg, '\0', sizeof(err.msg)) != NULL,
		      "error message not terminated");
		return 0;
	}
	check(size <= PC_MSG_MAX_BYTES, "decoded a message above the cap");
	check((m.type != PC_MSG_HELLO && m.type != PC_MSG_HELLO_REPLY) ||
		  m.version >= 1,
	      "hello decoded without a version");
	rc = pc_msg_encode(&m, enc, sizeof(enc), &n, &err);
	if (rc != XU_OK)
		fprintf(stderr, "fuzz_peer_msg: encode: %s\n", err.msg);
	check(rc == XU_OK, "a decoded message does not encode");
	check(n <= PC_MSG_MAX_BYTES && strlen(enc) == n, "encoded length");
	rc = pc_msg_decode(&m2, (const uint8_t *)enc, n, &err);
	if (rc != XU_OK)
		fprintf(stderr, "fuzz_peer_msg: re-decode: %s\n", err.msg);
	check(rc == XU_OK, "our encoding does not decode");
	check(m2.version == PC_MSG_VERSION, "re-decoded version");
	check(same(&m, &m2), "re-decoded message differs");
	check(pc_msg_encode(&m2, enc2, sizeof(enc2), &n2, NULL) == XU_OK,
	      "second encode failed");
	check(n2 == n && !memcmp(enc, enc2, n), "encoding not a fixed point");
	check(pc_msg_encode(&m, enc2, n, &n2, NULL) == XU_ETOOBIG,
	      "too small a buffer not refused");
	check(strcmp(pc_msg_type_name(m.type), "?") != 0, "type name");
	return 0;
}
