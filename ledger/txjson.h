/* The JSON form of XRPL objects, as xrpl.js / ripple-binary-codec write it,
 * converted to and from the codec tree (ledger/codec.h):
 *
 *   UInt8/16/32       number (TransactionType, LedgerEntryType and
 *                     TransactionResult as their names: "Payment")
 *   UInt64            16 upper-case hex digits (1-16 accepted)
 *   Hash128/160/256   upper-case hex of the exact width
 *   Amount            XRP: decimal string of drops ("1000000");
 *                     token: {"currency","issuer","value"}
 *   Blob              upper-case hex (either case accepted)
 *   AccountID         classic address ("r...")
 *   STObject          object;  STArray: [{"Memo": {...}}, ...]
 *   Vector256         array of 64-digit hex strings
 *
 * Unknown keys and values of the wrong type are rejected with a message
 * naming the field.  Uses jansson (allocation is limited to the json_t
 * values built for the caller). */
#ifndef XRPSE_LEDGER_TXJSON_H
#define XRPSE_LEDGER_TXJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/keys.h"
#include "ledger/codec.h"
#include "ledger/tx.h"
#include "src/util/err.h"

/* Suggested sizes for trees built from JSON. */
#define XL_JSON_NODES 512
#define XL_JSON_ARENA 65536

/* Adds the members of JSON object `obj` to t's top-level object.  Values
 * are copied into t's arena.  Returns XU_OK, XU_EINVAL/XU_EPARSE with a
 * message naming the field, or XU_ETOOBIG when t is too small. */
enum xu_code xl_json_to_tree(struct xl_tree *t, const json_t *obj,
			     struct xu_err *err) XU_WARN_UNUSED;

/* A new JSON object for t's top-level object (keys in canonical order);
 * the caller owns it (json_decref).  Returns XU_OK, XU_EINVAL for a value
 * JSON cannot show (e.g. an unknown TransactionType), XU_ENOMEM. */
enum xu_code xl_tree_to_json(const struct xl_tree *t, json_t **out,
			     struct xu_err *err) XU_WARN_UNUSED;

/* JSON object -> canonical binary in out (capacity cap; *len its length). */
enum xu_code xl_json_encode(const json_t *obj, uint8_t *out, size_t cap,
			    size_t *len, struct xu_err *err) XU_WARN_UNUSED;

/* Binary -> new JSON object (caller decrefs *out). */
enum xu_code xl_json_decode(const uint8_t *blob, size_t len, json_t **out,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Single-signs a transaction given as JSON (xrpse tx sign): sets
 * SigningPubKey to kp's key (replacing any given), signs the STX signing
 * data and writes tx_blob and tx id to *out.  Fills nothing else: Fee,
 * Sequence... come from the JSON.  Rejects a JSON that already has a
 * TxnSignature or Signers, or lacks TransactionType, Account, Fee or
 * Sequence.  Returns XU_OK or an error naming the field; *out is zeroed on
 * failure.  Needs cr_init(). */
enum xu_code xl_json_sign(const json_t *tx, const struct cr_keypair *kp,
			  struct xl_signed_tx *out,
			  struct xu_err *err) XU_WARN_UNUSED;

/* Flags for xl_tx_from_json(). */
#define XL_JSON_RIPPLED 1u /* skip the keys rippled adds around a tx */

/* Parses a transaction in JSON form into the typed struct (through the
 * canonical binary, so exactly what xl_tx_decode() accepts).  With
 * XL_JSON_RIPPLED the non-serialized keys rippled's `tx`/`account_tx`/
 * `submit` answers carry (hash, ledger_index, ledger_hash, date, inLedger,
 * validated, meta, metaData, ctid, close_time_iso, delivered_amount) are
 * ignored and API v2's DeliverMax stands for Amount.  Returns XU_OK or an
 * error naming the field; *tx is zeroed on failure. */
enum xu_code xl_tx_from_json(struct xl_tx *tx, const json_t *obj,
			     unsigned flags, struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_LEDGER_TXJSON_H */
