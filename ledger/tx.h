/* Typed XRPL transactions: the four the engine sends (Payment,
 * PaymentChannelCreate, PaymentChannelFund, PaymentChannelClaim) plus
 * AccountSet, their builders, binary encoding/decoding, single-signing with
 * either key type, the transaction id and the payment-channel id.
 *
 * A struct xl_tx is a plain value (no pointers, no heap): build it with one
 * of the xl_tx_<type>() builders, sign it with xl_tx_sign() and submit
 * signed->blob (hex-encode it for rippled's `submit`).  Every byte follows
 * rippled's canonical serialization:
 *
 *   signing data = "STX\0" || fields with is-signing (TxnSignature and the
 *                  claim Signature left out), sorted by (type, field code)
 *   tx_blob      = all fields, same order
 *   tx id        = SHA-512Half("TXN\0" || tx_blob)
 *
 * Only XRP amounts exist here (struct xl_drops, at most 10^17 drops); a
 * token amount is handled by the generic codec (ledger/codec.h) and makes
 * xl_tx_decode() fail with XU_EINVAL.  Pure: no I/O, no allocation. */
#ifndef XRPSE_LEDGER_TX_H
#define XRPSE_LEDGER_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/base58.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/amount.h"
#include "src/util/err.h"

#define XL_CHANNEL_ID_BYTES 32
#define XL_HASH_BYTES 32
#define XL_TX_SIG_MAX_BYTES 72 /* DER secp256k1 <= 72, ed25519 64 */
#define XL_MEMOS_MAX 4
#define XL_MEMO_FIELD_MAX 256
/* Largest blob a struct xl_tx can encode to (with room to spare). */
#define XL_TX_MAX_BYTES 4096

/* rippled's "network id <= 1024 means no NetworkID field" rule. */
#define XL_NETWORK_ID_LEGACY_MAX 1024

/* Transaction type codes (rippled transactions.macro).  Wire values:
 * don't renumber. */
enum xl_tx_type {
	XL_TX_PAYMENT = 0,
	XL_TX_ACCOUNT_SET = 3,
	XL_TX_PAYCHAN_CREATE = 13,
	XL_TX_PAYCHAN_FUND = 14,
	XL_TX_PAYCHAN_CLAIM = 15,
};

/* Flags (rippled TxFlags.h). */
#define XL_TF_FULLY_CANONICAL_SIG UINT32_C(0x80000000)
#define XL_TF_RENEW UINT32_C(0x00010000) /* PaymentChannelClaim */
#define XL_TF_CLOSE UINT32_C(0x00020000) /* PaymentChannelClaim */

/* Presence bits for the optional fields of struct xl_tx (tx->has). */
enum xl_tx_has {
	XL_HAS_FLAGS = 1u << 0,
	XL_HAS_SEQUENCE = 1u << 1, /* always set by builders (may be 0) */
	XL_HAS_TICKET_SEQUENCE = 1u << 2,
	XL_HAS_LAST_LEDGER_SEQUENCE = 1u << 3,
	XL_HAS_NETWORK_ID = 1u << 4,
	XL_HAS_SOURCE_TAG = 1u << 5,
	XL_HAS_SIGNING_PUB_KEY = 1u << 6,
	XL_HAS_TXN_SIGNATURE = 1u << 7,
	XL_HAS_DESTINATION = 1u << 8,
	XL_HAS_AMOUNT = 1u << 9,
	XL_HAS_DESTINATION_TAG = 1u << 10,
	XL_HAS_SETTLE_DELAY = 1u << 11,
	XL_HAS_PUBLIC_KEY = 1u << 12,
	XL_HAS_CANCEL_AFTER = 1u << 13,
	XL_HAS_CHANNEL = 1u << 14,
	XL_HAS_EXPIRATION = 1u << 15,
	XL_HAS_BALANCE = 1u << 16,
	XL_HAS_SIGNATURE = 1u << 17,
	XL_HAS_SET_FLAG = 1u << 18,
	XL_HAS_CLEAR_FLAG = 1u << 19,
	XL_HAS_FEE = 1u << 20,
	XL_HAS_ACCOUNT = 1u << 21,
	XL_HAS_INVOICE_ID = 1u << 22,
};

/* A variable-length byte field with a fixed capacity. */
struct xl_sig {
	uint8_t b[XL_TX_SIG_MAX_BYTES];
	size_t len;
};

struct xl_memo {
	uint8_t type[XL_MEMO_FIELD_MAX], data[XL_MEMO_FIELD_MAX],
	    format[XL_MEMO_FIELD_MAX];
	/* SIZE_MAX-free: a field is present when its has_ flag is set. */
	size_t type_len, data_len, format_len;
	bool has_type, has_data, has_format;
};

/* One transaction.  Fields are meaningful when their XL_HAS_ bit is set in
 * `has` (TransactionType always is).  Plain value: copy freely. */
struct xl_tx {
	enum xl_tx_type type;
	uint32_t has; /* enum xl_tx_has bits */

	/* Common fields. */
	struct cr_account_id account;
	struct xl_drops fee;
	uint32_t flags;
	uint32_t sequence;	  /* 0 when a ticket is used */
	uint32_t ticket_sequence; /* TicketSequence */
	uint32_t last_ledger_sequence;
	uint32_t network_id;
	uint32_t source_tag;
	struct cr_pubkey signing_pub_key; /* set by xl_tx_sign() */
	struct xl_sig txn_signature;	  /* set by xl_tx_sign() */
	struct xl_memo memos[XL_MEMOS_MAX];
	size_t nmemos;

	/* Payment / PaymentChannelCreate. */
	struct cr_account_id destination;
	struct xl_drops amount; /* also Fund, and Claim's signed amount */
	uint32_t destination_tag;
	uint8_t invoice_id[XL_HASH_BYTES]; /* Payment InvoiceID */
	/* PaymentChannelCreate. */
	uint32_t settle_delay;
	uint32_t cancel_after;
	struct cr_pubkey public_key; /* also Claim */
	/* PaymentChannelFund / Claim. */
	uint8_t channel[XL_CHANNEL_ID_BYTES];
	uint32_t expiration;	 /* Fund */
	struct xl_drops balance; /* Claim */
	struct xl_sig signature; /* Claim: the claim signature */
	/* AccountSet. */
	uint32_t set_flag, clear_flag;
};

/* Common fields every builder takes. */
struct xl_tx_common {
	struct cr_account_id account;
	struct xl_drops fee;
	/* The account sequence; set it to 0 and ticket_sequence to the
	 * ticket to use a Ticket instead. */
	uint32_t sequence;
	uint32_t ticket_sequence;      /* 0: no ticket */
	uint32_t last_ledger_sequence; /* 0: no LastLedgerSequence */
	/* The server's network id (server_info.info.network_id).  NetworkID
	 * is written only when it is above 1024, as rippled requires. */
	uint32_t network_id;
	bool has_source_tag;
	uint32_t source_tag;
	/* Extra flags OR-ed into Flags (e.g. XL_TF_FULLY_CANONICAL_SIG).
	 * Flags is always written (as xrpl.js does), 0 when none. */
	uint32_t flags;
};

/* Builders.  Each one zeroes *tx, fills the common fields and its own, and
 * checks what rippled's preflight would reject
 * (docs/design.md#ledger-rules-the-engine-relies-on):
 * XU_EINVAL with a message for a zero amount where one must be positive,
 * Destination == Account, a malformed public key, tfRenew with tfClose, a
 * claim Signature without PublicKey and Balance, Balance > Amount, a
 * ticket with a non-zero sequence.  Optional arguments are pointers; NULL
 * leaves the field out.  *tx is left zeroed on failure. */

/* Payment of `amount` XRP drops to dst.  dest_tag may be NULL. */
enum xu_code xl_tx_payment(struct xl_tx *tx, const struct xl_tx_common *c,
			   const struct cr_account_id *dst,
			   struct xl_drops amount, const uint32_t *dest_tag,
			   struct xu_err *err) XU_WARN_UNUSED;

/* PaymentChannelCreate: lock `amount` (> 0) in a channel to dst, which the
 * owner closes no sooner than settle_delay seconds after asking; claims
 * are signed with pk.  cancel_after (Ripple-epoch seconds) and dest_tag
 * may be NULL. */
enum xu_code
xl_tx_paychan_create(struct xl_tx *tx, const struct xl_tx_common *c,
		     const struct cr_account_id *dst, struct xl_drops amount,
		     uint32_t settle_delay, const struct cr_pubkey *pk,
		     const uint32_t *cancel_after, const uint32_t *dest_tag,
		     struct xu_err *err) XU_WARN_UNUSED;

/* PaymentChannelFund: add `amount` (> 0) to channel; expiration
 * (Ripple-epoch seconds) may be NULL. */
enum xu_code xl_tx_paychan_fund(struct xl_tx *tx, const struct xl_tx_common *c,
				const uint8_t channel[XL_CHANNEL_ID_BYTES],
				struct xl_drops amount,
				const uint32_t *expiration,
				struct xu_err *err) XU_WARN_UNUSED;

/* PaymentChannelClaim on channel.  All of balance, amount, sig and pk may
 * be NULL/0 (an owner close or renew names only the channel and flags).
 * To redeem a claim as the destination pass balance = the new cumulative
 * total to be paid, amount = the signed claim amount, sig/siglen = the
 * claim signature and pk = the channel's public key.  flags is any of
 * XL_TF_RENEW, XL_TF_CLOSE (not both), XL_TF_FULLY_CANONICAL_SIG; it is
 * OR-ed with c->flags. */
enum xu_code xl_tx_paychan_claim(struct xl_tx *tx, const struct xl_tx_common *c,
				 const uint8_t channel[XL_CHANNEL_ID_BYTES],
				 const struct xl_drops *balance,
				 const struct xl_drops *amount,
				 const uint8_t *sig, size_t siglen,
				 const struct cr_pubkey *pk, uint32_t flags,
				 struct xu_err *err) XU_WARN_UNUSED;

/* Encodes the full transaction (every present field) into out (capacity
 * cap); *len gets the length.  Pass out == NULL to learn the length only.
 * Returns XU_OK, or XU_ETOOBIG when cap is too small, or XU_EINVAL when a
 * required field is missing (Account, Fee, Sequence). */
enum xu_code xl_tx_encode(const struct xl_tx *tx, uint8_t *out, size_t cap,
			  size_t *len, struct xu_err *err) XU_WARN_UNUSED;

/* Writes the single-signing data "STX\0" || signing fields (SigningPubKey
 * must be set; TxnSignature and Signature are left out).  Same contract as
 * xl_tx_encode(). */
enum xu_code xl_tx_signing_data(const struct xl_tx *tx, uint8_t *out,
				size_t cap, size_t *len,
				struct xu_err *err) XU_WARN_UNUSED;

/* Decodes a tx_blob (signed or not) into *tx.  Returns XU_OK, or XU_EPARSE
 * for malformed/truncated/non-canonical bytes, XU_EINVAL for a
 * well-formed transaction this struct cannot hold (an unsupported type or
 * field, a token amount, a memo over XL_MEMO_FIELD_MAX); err names the
 * field.  *tx is zeroed on failure. */
enum xu_code xl_tx_decode(struct xl_tx *tx, const uint8_t *blob, size_t len,
			  struct xu_err *err) XU_WARN_UNUSED;

/* A signed transaction, ready to submit. */
struct xl_signed_tx {
	uint8_t blob[XL_TX_MAX_BYTES];
	size_t len;
	uint8_t hash[XL_HASH_BYTES]; /* the tx id rippled reports */
};

/* Single-signs *tx with kp: sets SigningPubKey to kp's public key, signs
 * the signing data (secp256k1: DER ECDSA over its SHA-512Half; ed25519:
 * over the data itself), sets TxnSignature, and writes the tx_blob and tx
 * id into *out.  Returns XU_OK or an error of xl_tx_encode()/cr_sign();
 * on failure *out is zeroed and tx's signature fields are cleared.  Needs
 * cr_init() to have been called. */
enum xu_code xl_tx_sign(struct xl_tx *tx, const struct cr_keypair *kp,
			struct xl_signed_tx *out,
			struct xu_err *err) XU_WARN_UNUSED;

/* The transaction id: SHA-512Half("TXN\0" || blob). */
void xl_tx_id(uint8_t out[XL_HASH_BYTES], const uint8_t *blob, size_t len);

/* The id of the channel a PaymentChannelCreate creates:
 * SHA-512Half(0x0078 || Account || Destination || seq), seq its
 * TicketSequence when one is present, else its Sequence.  Returns XU_OK,
 * or XU_EINVAL when tx is not a PaymentChannelCreate with Account,
 * Destination and a sequence. */
enum xu_code xl_tx_channel_id(uint8_t out[XL_CHANNEL_ID_BYTES],
			      const struct xl_tx *tx,
			      struct xu_err *err) XU_WARN_UNUSED;

/* The channel id from its parts (same formula). */
void xl_channel_id(uint8_t out[XL_CHANNEL_ID_BYTES],
		   const struct cr_account_id *src,
		   const struct cr_account_id *dst, uint32_t seq);

/* The xrpl.js name of a type ("Payment"...), or NULL for a code this
 * module does not know. */
const char *xl_tx_type_name(uint16_t code);

#endif /* XRPSE_LEDGER_TX_H */
