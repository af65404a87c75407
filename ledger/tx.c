/* Typed transactions (see tx.h): builders with rippled's preflight checks,
 * conversion between struct xl_tx and the generic codec tree (so that one
 * canonical encoder serves both), single-signing, tx ids and channel ids.
 */
#include "ledger/tx.h"

#include <string.h>

#include "crypto/claim.h"
#include "crypto/hash.h"
#include "ledger/codec.h"

/* Nodes a typed transaction needs at most: ~25 fields plus memos. */
#define TX_NODES (32 + XL_MEMOS_MAX * 4 + 1)

static const uint8_t prefix_stx[4] = {0x53, 0x54, 0x58, 0x00};
static const uint8_t prefix_txn[4] = {0x54, 0x58, 0x4E, 0x00};

const char *xl_tx_type_name(uint16_t code)
{
	return xl_name_of(XL_NAMES_TX_TYPE, code);
}

static bool known_type(uint64_t t)
{
	return t == XL_TX_PAYMENT || t == XL_TX_ACCOUNT_SET ||
	       t == XL_TX_PAYCHAN_CREATE || t == XL_TX_PAYCHAN_FUND ||
	       t == XL_TX_PAYCHAN_CLAIM;
}

/* ---- builders */

static enum xu_code common(struct xl_tx *tx, enum xl_tx_type type,
			   const struct xl_tx_common *c, struct xu_err *err)
{
	memset(tx, 0, sizeof(*tx));
	if (c->ticket_sequence && c->sequence)
		return xu_fail(err, XU_EINVAL, 0,
			       "Sequence must be 0 when a TicketSequence is "
			       "used");
	tx->type = type;
	tx->has = XL_HAS_ACCOUNT | XL_HAS_FEE | XL_HAS_SEQUENCE | XL_HAS_FLAGS;
	tx->account = c->account;
	tx->fee = c->fee;
	tx->sequence = c->sequence;
	tx->flags = c->flags;
	if (c->ticket_sequence) {
		tx->ticket_sequence = c->ticket_sequence;
		tx->has |= XL_HAS_TICKET_SEQUENCE;
	}
	if (c->last_ledger_sequence) {
		tx->last_ledger_sequence = c->last_ledger_sequence;
		tx->has |= XL_HAS_LAST_LEDGER_SEQUENCE;
	}
	/* rippled preflight0: NetworkID must be absent up to 1024 and
	 * present above. */
	if (c->network_id > XL_NETWORK_ID_LEGACY_MAX) {
		tx->network_id = c->network_id;
		tx->has |= XL_HAS_NETWORK_ID;
	}
	if (c->has_source_tag) {
		tx->source_tag = c->source_tag;
		tx->has |= XL_HAS_SOURCE_TAG;
	}
	return XU_OK;
}

static enum xu_code fail_zero(struct xl_tx *tx, enum xu_code rc)
{
	memset(tx, 0, sizeof(*tx));
	return rc;
}

static enum xu_code check_pubkey(const struct cr_pubkey *pk, const char *what,
				 struct xu_err *err)
{
	enum cr_key_type kt;
	if (cr_pubkey_type(&kt, pk->b, sizeof(pk->b), NULL))
		return xu_fail(err, XU_EINVAL, 0,
			       "%s is not a 33-byte 02/03/ED public key", what);
	return XU_OK;
}

enum xu_code xl_tx_payment(struct xl_tx *tx, const struct xl_tx_common *c,
			   const struct cr_account_id *dst,
			   struct xl_drops amount, const uint32_t *dest_tag,
			   struct xu_err *err)
{
	enum xu_code rc = common(tx, XL_TX_PAYMENT, c, err);
	if (rc)
		return fail_zero(tx, rc);
	/* XRPL Payment preflight: "temBAD_AMOUNT" for amount <= 0,
	 * temREDUNDANT for an XRP payment to oneself. */
	if (xl_drops_is_zero(amount))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "Payment Amount must be > 0"));
	if (!memcmp(dst->b, c->account.b, sizeof(dst->b)))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "Payment Destination is the "
					     "Account"));
	tx->destination = *dst;
	tx->amount = amount;
	tx->has |= XL_HAS_DESTINATION | XL_HAS_AMOUNT;
	if (dest_tag) {
		tx->destination_tag = *dest_tag;
		tx->has |= XL_HAS_DESTINATION_TAG;
	}
	return XU_OK;
}

enum xu_code xl_tx_paychan_create(struct xl_tx *tx,
				  const struct xl_tx_common *c,
				  const struct cr_account_id *dst,
				  struct xl_drops amount, uint32_t settle_delay,
				  const struct cr_pubkey *pk,
				  const uint32_t *cancel_after,
				  const uint32_t *dest_tag, struct xu_err *err)
{
	enum xu_code rc = common(tx, XL_TX_PAYCHAN_CREATE, c, err);
	if (rc)
		return fail_zero(tx, rc);
	/* XRPL PaymentChannelCreate preflight: Amount XRP > 0
	 * (temBAD_AMOUNT), Destination != Account (temDST_IS_SRC), a valid
	 * PublicKey (temMALFORMED). */
	if (xl_drops_is_zero(amount))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelCreate Amount must "
					     "be > 0"));
	if (!memcmp(dst->b, c->account.b, sizeof(dst->b)))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelCreate Destination "
					     "is the Account"));
	if ((rc = check_pubkey(pk, "PublicKey", err)))
		return fail_zero(tx, rc);
	tx->destination = *dst;
	tx->amount = amount;
	tx->settle_delay = settle_delay;
	tx->public_key = *pk;
	tx->has |= XL_HAS_DESTINATION | XL_HAS_AMOUNT | XL_HAS_SETTLE_DELAY |
		   XL_HAS_PUBLIC_KEY;
	if (cancel_after) {
		tx->cancel_after = *cancel_after;
		tx->has |= XL_HAS_CANCEL_AFTER;
	}
	if (dest_tag) {
		tx->destination_tag = *dest_tag;
		tx->has |= XL_HAS_DESTINATION_TAG;
	}
	return XU_OK;
}

enum xu_code xl_tx_paychan_fund(struct xl_tx *tx, const struct xl_tx_common *c,
				const uint8_t channel[XL_CHANNEL_ID_BYTES],
				struct xl_drops amount,
				const uint32_t *expiration, struct xu_err *err)
{
	enum xu_code rc = common(tx, XL_TX_PAYCHAN_FUND, c, err);
	if (rc)
		return fail_zero(tx, rc);
	if (xl_drops_is_zero(amount))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelFund Amount must "
					     "be > 0"));
	memcpy(tx->channel, channel, XL_CHANNEL_ID_BYTES);
	tx->amount = amount;
	tx->has |= XL_HAS_CHANNEL | XL_HAS_AMOUNT;
	if (expiration) {
		tx->expiration = *expiration;
		tx->has |= XL_HAS_EXPIRATION;
	}
	return XU_OK;
}

enum xu_code xl_tx_paychan_claim(struct xl_tx *tx, const struct xl_tx_common *c,
				 const uint8_t channel[XL_CHANNEL_ID_BYTES],
				 const struct xl_drops *balance,
				 const struct xl_drops *amount,
				 const uint8_t *sig, size_t siglen,
				 const struct cr_pubkey *pk, uint32_t flags,
				 struct xu_err *err)
{
	enum xu_code rc = common(tx, XL_TX_PAYCHAN_CLAIM, c, err);
	if (rc)
		return fail_zero(tx, rc);
	tx->flags |= flags;
	/* XRPL PaymentChannelClaim preflight
	 * (docs/design.md#ledger-rules-the-engine-relies-on). */
	if ((tx->flags &
	     ~(XL_TF_FULLY_CANONICAL_SIG | XL_TF_RENEW | XL_TF_CLOSE)) != 0)
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelClaim Flags 0x%08X "
					     "outside tfRenew|tfClose",
					     tx->flags));
	if ((tx->flags & XL_TF_RENEW) && (tx->flags & XL_TF_CLOSE))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "tfRenew and tfClose together"));
	if ((balance && xl_drops_is_zero(*balance)) ||
	    (amount && xl_drops_is_zero(*amount)))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelClaim Balance and "
					     "Amount must be > 0"));
	if (balance && amount && xl_drops_cmp(*balance, *amount) > 0)
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "PaymentChannelClaim Balance "
					     "above Amount"));
	if (sig && (!pk || !balance))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "a claim Signature needs "
					     "PublicKey and Balance"));
	if (sig && (siglen == 0 || siglen > XL_TX_SIG_MAX_BYTES))
		return fail_zero(tx, xu_fail(err, XU_EINVAL, 0,
					     "claim Signature of %zu bytes",
					     siglen));
	if (pk && (rc = check_pubkey(pk, "PublicKey", err)))
		return fail_zero(tx, rc);
	memcpy(tx->channel, channel, XL_CHANNEL_ID_BYTES);
	tx->has |= XL_HAS_CHANNEL;
	if (balance) {
		tx->balance = *balance;
		tx->has |= XL_HAS_BALANCE;
	}
	if (amount) {
		tx->amount = *amount;
		tx->has |= XL_HAS_AMOUNT;
	}
	if (sig) {
		memcpy(tx->signature.b, sig, siglen);
		tx->signature.len = siglen;
		tx->has |= XL_HAS_SIGNATURE;
	}
	if (pk) {
		tx->public_key = *pk;
		tx->has |= XL_HAS_PUBLIC_KEY;
	}
	return XU_OK;
}

/* ---- struct <-> tree */

struct tx_tree {
	struct xl_tree t;
	struct xl_node nodes[TX_NODES];
	uint8_t arena[3 * XL_AMOUNT_XRP_BYTES];
};

static enum xu_code put_uint(struct xl_tree *t, uint32_t parent,
			     const char *name, uint64_t v, struct xu_err *err)
{
	uint32_t i;
	enum xu_code rc =
	    xl_tree_add(t, parent, xl_field_by_name(name), &i, err);
	if (!rc)
		t->nodes[i].u = v;
	return rc;
}

static enum xu_code put_view(struct xl_tree *t, uint32_t parent,
			     const char *name, const uint8_t *p, size_t len,
			     struct xu_err *err)
{
	uint32_t i;
	enum xu_code rc =
	    xl_tree_add(t, parent, xl_field_by_name(name), &i, err);
	if (!rc) {
		t->nodes[i].p = p;
		t->nodes[i].len = len;
	}
	return rc;
}

static enum xu_code put_drops(struct xl_tree *t, const char *name,
			      struct xl_drops d, struct xu_err *err)
{
	uint8_t b[XL_AMOUNT_XRP_BYTES];
	uint32_t i;
	xl_amount_xrp_bytes(b, xl_drops_u64(d), false);
	enum xu_code rc = xl_tree_add(t, 0, xl_field_by_name(name), &i, err);
	if (!rc)
		rc = xl_tree_put(t, i, b, sizeof(b), err);
	return rc;
}

/* Builds the tree of *tx; views point into *tx, which must outlive tt. */
static enum xu_code to_tree(struct tx_tree *tt, const struct xl_tx *tx,
			    struct xu_err *err)
{
	struct xl_tree *t = &tt->t;
	uint32_t h = tx->has;
	enum xu_code rc = XU_OK;
	xl_tree_init(t, tt->nodes, TX_NODES, tt->arena, sizeof(tt->arena));
	if (!(h & XL_HAS_ACCOUNT) || !(h & XL_HAS_FEE) ||
	    !(h & XL_HAS_SEQUENCE))
		return xu_fail(err, XU_EINVAL, 0,
			       "transaction lacks Account, Fee or Sequence");
#define U(bit, name, v)                                                        \
	do {                                                                   \
		if (!rc && (h & (bit)))                                        \
			rc = put_uint(t, 0, name, v, err);                     \
	} while (0)
#define V(bit, name, p, len)                                                   \
	do {                                                                   \
		if (!rc && (h & (bit)))                                        \
			rc = put_view(t, 0, name, p, len, err);                \
	} while (0)
#define D(bit, name, d)                                                        \
	do {                                                                   \
		if (!rc && (h & (bit)))                                        \
			rc = put_drops(t, name, d, err);                       \
	} while (0)
	rc = put_uint(t, 0, "TransactionType", (uint64_t)tx->type, err);
	U(XL_HAS_FLAGS, "Flags", tx->flags);
	U(XL_HAS_SEQUENCE, "Sequence", tx->sequence);
	U(XL_HAS_TICKET_SEQUENCE, "TicketSequence", tx->ticket_sequence);
	U(XL_HAS_LAST_LEDGER_SEQUENCE, "LastLedgerSequence",
	  tx->last_ledger_sequence);
	U(XL_HAS_NETWORK_ID, "NetworkID", tx->network_id);
	U(XL_HAS_SOURCE_TAG, "SourceTag", tx->source_tag);
	U(XL_HAS_DESTINATION_TAG, "DestinationTag", tx->destination_tag);
	U(XL_HAS_SETTLE_DELAY, "SettleDelay", tx->settle_delay);
	U(XL_HAS_CANCEL_AFTER, "CancelAfter", tx->cancel_after);
	U(XL_HAS_EXPIRATION, "Expiration", tx->expiration);
	U(XL_HAS_SET_FLAG, "SetFlag", tx->set_flag);
	U(XL_HAS_CLEAR_FLAG, "ClearFlag", tx->clear_flag);
	D(XL_HAS_FEE, "Fee", tx->fee);
	D(XL_HAS_AMOUNT, "Amount", tx->amount);
	D(XL_HAS_BALANCE, "Balance", tx->balance);
	V(XL_HAS_ACCOUNT, "Account", tx->account.b, CR_ACCOUNT_ID_BYTES);
	V(XL_HAS_DESTINATION, "Destination", tx->destination.b,
	  CR_ACCOUNT_ID_BYTES);
	V(XL_HAS_CHANNEL, "Channel", tx->channel, XL_CHANNEL_ID_BYTES);
	V(XL_HAS_INVOICE_ID, "InvoiceID", tx->invoice_id, XL_HASH_BYTES);
	V(XL_HAS_PUBLIC_KEY, "PublicKey", tx->public_key.b, CR_PUBKEY_BYTES);
	V(XL_HAS_SIGNING_PUB_KEY, "SigningPubKey", tx->signing_pub_key.b,
	  CR_PUBKEY_BYTES);
	V(XL_HAS_TXN_SIGNATURE, "TxnSignature", tx->txn_signature.b,
	  tx->txn_signature.len);
	V(XL_HAS_SIGNATURE, "Signature", tx->signature.b, tx->signature.len);
#undef U
#undef V
#undef D
	if (rc || tx->nmemos == 0)
		return rc;
	if (tx->nmemos > XL_MEMOS_MAX)
		return xu_fail(err, XU_EINVAL, 0, "more than %d memos",
			       XL_MEMOS_MAX);
	uint32_t arr, memo;
	if ((rc = xl_tree_add(t, 0, xl_field_by_name("Memos"), &arr, err)))
		return rc;
	for (size_t i = 0; i < tx->nmemos && !rc; i++) {
		const struct xl_memo *m = &tx->memos[i];
		if ((rc = xl_tree_add(t, arr, xl_field_by_name("Memo"), &memo,
				      err)))
			return rc;
		if (m->has_type)
			rc = put_view(t, memo, "MemoType", m->type, m->type_len,
				      err);
		if (!rc && m->has_data)
			rc = put_view(t, memo, "MemoData", m->data, m->data_len,
				      err);
		if (!rc && m->has_format)
			rc = put_view(t, memo, "MemoFormat", m->format,
				      m->format_len, err);
	}
	return rc;
}

static enum xu_code get_drops(struct xl_drops *d, const struct xl_node *nd,
			      struct xu_err *err)
{
	if (nd->len != XL_AMOUNT_XRP_BYTES)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: token amounts are not supported here",
			       nd->f->name);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | nd->p[i];
	if (!(v >> 62 & 1))
		return xu_fail(err, XU_EINVAL, 0, "%s: negative amount",
			       nd->f->name);
	if (!xl_drops_from_u64(d, v & ~(UINT64_C(3) << 62)))
		return xu_fail(err, XU_EINVAL, 0, "%s: out of range",
			       nd->f->name);
	return XU_OK;
}

static enum xu_code get_pubkey(struct cr_pubkey *pk, const struct xl_node *nd,
			       struct xu_err *err)
{
	if (nd->len != CR_PUBKEY_BYTES)
		return xu_fail(err, XU_EINVAL, 0, "%s: %zu bytes, want 33",
			       nd->f->name, nd->len);
	memcpy(pk->b, nd->p, CR_PUBKEY_BYTES);
	return XU_OK;
}

static enum xu_code get_sig(struct xl_sig *s, const struct xl_node *nd,
			    struct xu_err *err)
{
	if (nd->len > XL_TX_SIG_MAX_BYTES)
		return xu_fail(err, XU_EINVAL, 0, "%s: %zu bytes is too long",
			       nd->f->name, nd->len);
	memcpy(s->b, nd->p, nd->len);
	s->len = nd->len;
	return XU_OK;
}

static enum xu_code get_memo_field(uint8_t *dst, size_t *dlen, bool *has,
				   const struct xl_node *nd, struct xu_err *err)
{
	if (nd->len > XL_MEMO_FIELD_MAX)
		return xu_fail(err, XU_EINVAL, 0,
			       "%s: %zu bytes, at most %d supported",
			       nd->f->name, nd->len, XL_MEMO_FIELD_MAX);
	memcpy(dst, nd->p, nd->len);
	*dlen = nd->len;
	*has = true;
	return XU_OK;
}

static enum xu_code get_memos(struct xl_tx *tx, const struct xl_tree *t,
			      uint32_t arr, struct xu_err *err)
{
	for (uint32_t i = t->nodes[arr].first; i != XL_NONE;
	     i = t->nodes[i].next) {
		if (strcmp(t->nodes[i].f->name, "Memo"))
			return xu_fail(err, XU_EINVAL, 0,
				       "Memos: unexpected element %s",
				       t->nodes[i].f->name);
		if (tx->nmemos == XL_MEMOS_MAX)
			return xu_fail(err, XU_EINVAL, 0,
				       "Memos: more than %d memos",
				       XL_MEMOS_MAX);
		struct xl_memo *m = &tx->memos[tx->nmemos++];
		for (uint32_t j = t->nodes[i].first; j != XL_NONE;
		     j = t->nodes[j].next) {
			const struct xl_node *nd = &t->nodes[j];
			const char *n = nd->f->name;
			enum xu_code rc;
			if (!strcmp(n, "MemoType"))
				rc = get_memo_field(m->type, &m->type_len,
						    &m->has_type, nd, err);
			else if (!strcmp(n, "MemoData"))
				rc = get_memo_field(m->data, &m->data_len,
						    &m->has_data, nd, err);
			else if (!strcmp(n, "MemoFormat"))
				rc = get_memo_field(m->format, &m->format_len,
						    &m->has_format, nd, err);
			else
				rc = xu_fail(err, XU_EINVAL, 0,
					     "Memo: unsupported field %s", n);
			if (rc)
				return rc;
		}
	}
	return XU_OK;
}

/* Fills *tx from a decoded tree (node views must stay valid only during
 * the call: everything is copied). */
static enum xu_code from_tree(struct xl_tx *tx, const struct xl_tree *t,
			      struct xu_err *err)
{
	bool have_type = false;
	memset(tx, 0, sizeof(*tx));
	for (uint32_t i = t->nodes[0].first; i != XL_NONE;
	     i = t->nodes[i].next) {
		const struct xl_node *nd = &t->nodes[i];
		const char *n = nd->f->name;
		uint32_t u32 = (uint32_t)nd->u;
		enum xu_code rc = XU_OK;
		if (!strcmp(n, "TransactionType")) {
			if (!known_type(nd->u))
				return xu_fail(err, XU_EINVAL, 0,
					       "TransactionType %u is not "
					       "supported",
					       (unsigned)nd->u);
			tx->type = (enum xl_tx_type)nd->u;
			have_type = true;
		} else if (!strcmp(n, "Flags")) {
			tx->flags = u32;
			tx->has |= XL_HAS_FLAGS;
		} else if (!strcmp(n, "Sequence")) {
			tx->sequence = u32;
			tx->has |= XL_HAS_SEQUENCE;
		} else if (!strcmp(n, "TicketSequence")) {
			tx->ticket_sequence = u32;
			tx->has |= XL_HAS_TICKET_SEQUENCE;
		} else if (!strcmp(n, "LastLedgerSequence")) {
			tx->last_ledger_sequence = u32;
			tx->has |= XL_HAS_LAST_LEDGER_SEQUENCE;
		} else if (!strcmp(n, "NetworkID")) {
			tx->network_id = u32;
			tx->has |= XL_HAS_NETWORK_ID;
		} else if (!strcmp(n, "SourceTag")) {
			tx->source_tag = u32;
			tx->has |= XL_HAS_SOURCE_TAG;
		} else if (!strcmp(n, "DestinationTag")) {
			tx->destination_tag = u32;
			tx->has |= XL_HAS_DESTINATION_TAG;
		} else if (!strcmp(n, "SettleDelay")) {
			tx->settle_delay = u32;
			tx->has |= XL_HAS_SETTLE_DELAY;
		} else if (!strcmp(n, "CancelAfter")) {
			tx->cancel_after = u32;
			tx->has |= XL_HAS_CANCEL_AFTER;
		} else if (!strcmp(n, "Expiration")) {
			tx->expiration = u32;
			tx->has |= XL_HAS_EXPIRATION;
		} else if (!strcmp(n, "SetFlag")) {
			tx->set_flag = u32;
			tx->has |= XL_HAS_SET_FLAG;
		} else if (!strcmp(n, "ClearFlag")) {
			tx->clear_flag = u32;
			tx->has |= XL_HAS_CLEAR_FLAG;
		} else if (!strcmp(n, "Fee")) {
			rc = get_drops(&tx->fee, nd, err);
			tx->has |= XL_HAS_FEE;
		} else if (!strcmp(n, "Amount")) {
			rc = get_drops(&tx->amount, nd, err);
			tx->has |= XL_HAS_AMOUNT;
		} else if (!strcmp(n, "Balance")) {
			rc = get_drops(&tx->balance, nd, err);
			tx->has |= XL_HAS_BALANCE;
		} else if (!strcmp(n, "Account")) {
			memcpy(tx->account.b, nd->p, CR_ACCOUNT_ID_BYTES);
			tx->has |= XL_HAS_ACCOUNT;
		} else if (!strcmp(n, "Destination")) {
			memcpy(tx->destination.b, nd->p, CR_ACCOUNT_ID_BYTES);
			tx->has |= XL_HAS_DESTINATION;
		} else if (!strcmp(n, "Channel")) {
			memcpy(tx->channel, nd->p, XL_CHANNEL_ID_BYTES);
			tx->has |= XL_HAS_CHANNEL;
		} else if (!strcmp(n, "InvoiceID")) {
			memcpy(tx->invoice_id, nd->p, XL_HASH_BYTES);
			tx->has |= XL_HAS_INVOICE_ID;
		} else if (!strcmp(n, "PublicKey")) {
			rc = get_pubkey(&tx->public_key, nd, err);
			tx->has |= XL_HAS_PUBLIC_KEY;
		} else if (!strcmp(n, "SigningPubKey")) {
			rc = get_pubkey(&tx->signing_pub_key, nd, err);
			tx->has |= XL_HAS_SIGNING_PUB_KEY;
		} else if (!strcmp(n, "TxnSignature")) {
			rc = get_sig(&tx->txn_signature, nd, err);
			tx->has |= XL_HAS_TXN_SIGNATURE;
		} else if (!strcmp(n, "Signature")) {
			rc = get_sig(&tx->signature, nd, err);
			tx->has |= XL_HAS_SIGNATURE;
		} else if (!strcmp(n, "Memos")) {
			rc = get_memos(tx, t, i, err);
		} else {
			rc = xu_fail(err, XU_EINVAL, 0,
				     "field %s is not supported in a typed "
				     "transaction",
				     n);
		}
		if (rc)
			return rc;
	}
	if (!have_type)
		return xu_fail(err, XU_EINVAL, 0, "no TransactionType");
	return XU_OK;
}

/* ---- encode / decode / sign */

static enum xu_code encode(const struct xl_tx *tx, unsigned flags, uint8_t *out,
			   size_t cap, size_t *len, struct xu_err *err)
{
	struct tx_tree tt;
	enum xu_code rc = to_tree(&tt, tx, err);
	if (rc)
		return rc;
	return xl_encode(&tt.t, flags, out, cap, len, err);
}

enum xu_code xl_tx_encode(const struct xl_tx *tx, uint8_t *out, size_t cap,
			  size_t *len, struct xu_err *err)
{
	return encode(tx, 0, out, cap, len, err);
}

enum xu_code xl_tx_signing_data(const struct xl_tx *tx, uint8_t *out,
				size_t cap, size_t *len, struct xu_err *err)
{
	*len = 0;
	if (!(tx->has & XL_HAS_SIGNING_PUB_KEY))
		return xu_fail(err, XU_EINVAL, 0,
			       "SigningPubKey must be set before signing");
	size_t n;
	enum xu_code rc;
	if (out && cap < sizeof(prefix_stx))
		return xu_fail(err, XU_ETOOBIG, 0, "buffer too small");
	rc = encode(tx, XL_ENC_SIGNING, out ? out + sizeof(prefix_stx) : NULL,
		    out ? cap - sizeof(prefix_stx) : 0, &n, err);
	if (rc)
		return rc;
	if (out)
		memcpy(out, prefix_stx, sizeof(prefix_stx));
	*len = n + sizeof(prefix_stx);
	return XU_OK;
}

enum xu_code xl_tx_decode(struct xl_tx *tx, const uint8_t *blob, size_t len,
			  struct xu_err *err)
{
	struct tx_tree tt;
	xl_tree_init(&tt.t, tt.nodes, TX_NODES, NULL, 0);
	enum xu_code rc = xl_decode(&tt.t, blob, len, err);
	if (rc == XU_ETOOBIG)
		rc = xu_fail(err, XU_EINVAL, 0,
			     "too many fields for a typed transaction");
	if (!rc)
		rc = from_tree(tx, &tt.t, err);
	if (rc)
		memset(tx, 0, sizeof(*tx));
	return rc;
}

void xl_tx_id(uint8_t out[XL_HASH_BYTES], const uint8_t *blob, size_t len)
{
	struct cr_sha512half_ctx c;
	cr_sha512half_init(&c);
	cr_sha512half_update(&c, prefix_txn, sizeof(prefix_txn));
	cr_sha512half_update(&c, blob, len);
	cr_sha512half_final(&c, out);
}

enum xu_code xl_tx_sign(struct xl_tx *tx, const struct cr_keypair *kp,
			struct xl_signed_tx *out, struct xu_err *err)
{
	uint8_t data[XL_TX_MAX_BYTES];
	size_t dlen, siglen;
	enum xu_code rc;
	memset(out, 0, sizeof(*out));
	tx->signing_pub_key = kp->pub;
	tx->has |= XL_HAS_SIGNING_PUB_KEY;
	tx->has &= ~(uint32_t)XL_HAS_TXN_SIGNATURE;
	rc = xl_tx_signing_data(tx, data, sizeof(data), &dlen, err);
	if (!rc)
		rc = cr_sign(tx->txn_signature.b, &siglen, kp, data, dlen, err);
	if (!rc) {
		tx->txn_signature.len = siglen;
		tx->has |= XL_HAS_TXN_SIGNATURE;
		rc = xl_tx_encode(tx, out->blob, sizeof(out->blob), &out->len,
				  err);
	}
	if (rc) {
		memset(out, 0, sizeof(*out));
		memset(&tx->txn_signature, 0, sizeof(tx->txn_signature));
		memset(&tx->signing_pub_key, 0, sizeof(tx->signing_pub_key));
		tx->has &=
		    ~(uint32_t)(XL_HAS_TXN_SIGNATURE | XL_HAS_SIGNING_PUB_KEY);
		return rc;
	}
	xl_tx_id(out->hash, out->blob, out->len);
	return XU_OK;
}

void xl_channel_id(uint8_t out[XL_CHANNEL_ID_BYTES],
		   const struct cr_account_id *src,
		   const struct cr_account_id *dst, uint32_t seq)
{
	cr_channel_id(out, src, dst, seq);
}

enum xu_code xl_tx_channel_id(uint8_t out[XL_CHANNEL_ID_BYTES],
			      const struct xl_tx *tx, struct xu_err *err)
{
	uint32_t need = XL_HAS_ACCOUNT | XL_HAS_DESTINATION;
	if (tx->type != XL_TX_PAYCHAN_CREATE || (tx->has & need) != need ||
	    !(tx->has & (XL_HAS_SEQUENCE | XL_HAS_TICKET_SEQUENCE)))
		return xu_fail(err, XU_EINVAL, 0,
			       "not a PaymentChannelCreate with Account, "
			       "Destination and a sequence");
	/* rippled uses tx.getSeqValue(): the ticket when one is used. */
	uint32_t seq = (tx->has & XL_HAS_TICKET_SEQUENCE) ? tx->ticket_sequence
							  : tx->sequence;
	cr_channel_id(out, &tx->account, &tx->destination, seq);
	return XU_OK;
}
