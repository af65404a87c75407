/* The peer protocol: versioned JSON messages between two xrpse engines,
 * carried as opaque bytes by the connectors' message API (RFC 0038
 * POST /accounts/:id/messages; the reply bytes are the peer's answer).
 *
 *   hello          {"type":"hello","version":1,"address":"r...",
 *                   "key_type":"ed25519"|"secp256k1",
 *                   "min_settle_delay":259200,"channel":"<64 hex>"?}
 *   hello_reply    same fields, type "hello_reply"
 *   claim          {"type":"claim","channel":"<64 hex>",
 *                   "amount":"<cumulative drops>","signature":"<hex>",
 *                   "public_key":"<66 hex>"?,"acked":"<drops>"?}
 *                  (acked: the best amount the payee's claim_replies
 *                  said it held on this channel, as the payer recorded
 *                  it; a payee whose store lost claims does not credit
 *                  them again)
 *   claim_reply    {"type":"claim_reply","channel":"<64 hex>",
 *                   "accepted":true|false,"amount":"<best held>",
 *                   "code":"bad_signature"?,"message":"..."?}
 *   channel_update {"type":"channel_update","channel":"<64 hex>"}
 *                  (our channel to you was opened or topped up: refresh)
 *   close_request  {"type":"close_request","channel":"<64 hex>"}
 *                  (please redeem and close it as destination)
 *   last_claim     {"type":"last_claim","channel":"<64 hex>"}
 *                  (which claim of ours on this channel do you hold?
 *                  recovery of lost outgoing claim state,
 *                  docs/design.md#recovering-lost-outgoing-claims)
 *   last_claim_reply {"type":"last_claim_reply","channel":"<64 hex>",
 *                  "amount":"<best held, drops>","signature":"<hex>"}
 *                  (amount "0" and no signature when none is held; the
 *                  asker verifies the signature with its own key)
 *
 * "version" is optional outside hello/hello_reply; when present it must be
 * an integer >= 1 (we speak 1 and accept later versions' messages as far as
 * we understand them).  Unknown fields are ignored; an unknown type is an
 * error the daemon answers with 400.  Every field is checked strictly:
 * hex lengths, canonical drop strings (no sign, no leading zero, <= 10^17),
 * address checksums, known key types and reason codes.  Every message is
 * idempotent: handling one twice has the effect of handling it once.
 *
 * Uses jansson internally (which allocates); the API itself writes into
 * caller buffers.
 */
#ifndef XRPSE_CHANNEL_MSG_H
#define XRPSE_CHANNEL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel/channel.h"
#include "crypto/base58.h"
#include "crypto/claim.h"
#include "crypto/keys.h"
#include "ledger/amount.h"
#include "src/util/err.h"

#define PC_MSG_VERSION 1
/* Largest message accepted or produced. */
#define PC_MSG_MAX_BYTES 4096
/* Longest free-text "message" in a claim_reply (without NUL). */
#define PC_MSG_TEXT_MAX 200
/* Shortest signature accepted (a DER ECDSA signature is at least 8). */
#define PC_MSG_SIG_MIN_BYTES 8

/* Wire types.  Don't renumber (logged and counted). */
enum pc_msg_type {
	PC_MSG_HELLO = 1,
	PC_MSG_HELLO_REPLY = 2,
	PC_MSG_CLAIM = 3,
	PC_MSG_CLAIM_REPLY = 4,
	PC_MSG_CHANNEL_UPDATE = 5,
	PC_MSG_CLOSE_REQUEST = 6,
	PC_MSG_LAST_CLAIM = 7,
	PC_MSG_LAST_CLAIM_REPLY = 8,
};

/* Why decoding failed, in err->detail. */
enum pc_msg_fail {
	PC_MSGF_JSON = 1,    /* not JSON, or not an object (XU_EPARSE) */
	PC_MSGF_SIZE = 2,    /* above PC_MSG_MAX_BYTES (XU_ETOOBIG) */
	PC_MSGF_TYPE = 3,    /* missing or unknown "type" (XU_EINVAL) */
	PC_MSGF_VERSION = 4, /* bad "version" (XU_EINVAL) */
	PC_MSGF_FIELD = 5,   /* a field missing or malformed (XU_EINVAL) */
};

struct pc_msg_hello {
	struct cr_account_id address;
	enum cr_key_type key_type;
	uint32_t min_settle_delay;
	bool has_channel;
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	/* The sender's wall clock (ms) when it built the hello (optional
	 * "sent_ms"; 0: absent): a hello older than the last one taken from
	 * the peer (a delayed copy from an engine it replaced) changes
	 * nothing. */
	uint64_t sent_ms;
};

struct pc_msg_claim {
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	struct xl_drops amount;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	bool has_pubkey; /* informational: claims verify with the ledger's */
	uint8_t pubkey[CR_PUBKEY_BYTES];
	/* "acked" (optional, drops): the best claim the payee acknowledged
	 * on this channel, as the payer recorded it; zero: not sent. */
	struct xl_drops acked;
};

struct pc_msg_claim_reply {
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	bool accepted;
	struct xl_drops amount; /* best claim held after this one */
	enum pc_reject code;	/* PC_REJ_NONE when accepted */
	char message[PC_MSG_TEXT_MAX + 1];
};

/* LAST_CLAIM_REPLY: siglen is 0 exactly when amount is 0. */
struct pc_msg_last_claim_reply {
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	struct xl_drops amount;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
};

struct pc_msg {
	enum pc_msg_type type;
	uint32_t version; /* as received (0 when absent); encode writes 1 */
	/* LAST_CLAIM: asked because the channel left the ledger (optional
	 * "final": true): the answer is the last word, the payee takes no
	 * more claims on it.  LAST_CLAIM_REPLY: the answer to such a
	 * question (the payee froze its record). */
	bool final;
	union {
		struct pc_msg_hello hello;	      /* HELLO, HELLO_REPLY */
		struct pc_msg_claim claim;	      /* CLAIM */
		struct pc_msg_claim_reply reply;      /* CLAIM_REPLY */
		struct pc_msg_last_claim_reply last;  /* LAST_CLAIM_REPLY */
		uint8_t channel[CR_CHANNEL_ID_BYTES]; /* CHANNEL_UPDATE,
							 CLOSE_REQUEST,
							 LAST_CLAIM */
	} u;
};

/* Decodes buf[0..len) into *out.  Returns XU_OK, or XU_EPARSE /
 * XU_ETOOBIG / XU_EINVAL with err->detail an enum pc_msg_fail and a
 * message naming the field; *out is zeroed on failure. */
enum xu_code pc_msg_decode(struct pc_msg *out, const uint8_t *buf, size_t len,
			   struct xu_err *err) XU_WARN_UNUSED;

/* Encodes *m as compact JSON into buf (capacity cap, NUL-terminated);
 * *len gets the length without the NUL.  Returns XU_OK, XU_ETOOBIG when
 * buf is too small, or XU_EINVAL for a message that could not be decoded
 * again (amount above 10^17, signature length out of range, text too
 * long, unknown type or reason). */
enum xu_code pc_msg_encode(const struct pc_msg *m, char *buf, size_t cap,
			   size_t *len, struct xu_err *err) XU_WARN_UNUSED;

/* The wire name of a type ("hello"...); "?" when unknown. */
const char *pc_msg_type_name(enum pc_msg_type t);

/* Copies a decoded claim message into the core's event payload. */
void pc_msg_to_claim(struct pc_claim *out, const struct pc_msg_claim *m);

#endif /* XRPSE_CHANNEL_MSG_H */
