/* Payment-channel claims: the off-ledger authorization that lets the
 * channel's destination redeem up to `amount` drops.
 *
 *   message = "CLM\0" || channel id (32 bytes) || amount (u64 big-endian)
 *
 * signed with the channel's key as any other message (crypto/sign.h). */
#ifndef XRPSE_CRYPTO_CLAIM_H
#define XRPSE_CRYPTO_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "src/util/err.h"

#define CR_CHANNEL_ID_BYTES 32
#define CR_CLAIM_MSG_BYTES 44

/* The channel id (the PayChannel ledger key,
 * docs/design.md#ledger-rules-the-engine-relies-on):
 *
 *   SHA512Half(00 78 || src AccountID(20) || dst AccountID(20) || seq u32 BE)
 *
 * seq is the PaymentChannelCreate's Sequence (or TicketSequence).  Source
 * and destination are ordered. */
void cr_channel_id(uint8_t out[CR_CHANNEL_ID_BYTES],
		   const struct cr_account_id *src,
		   const struct cr_account_id *dst, uint32_t seq);

/* Writes the 44-byte claim message. */
void cr_claim_message(uint8_t out[CR_CLAIM_MSG_BYTES],
		      const uint8_t channel[CR_CHANNEL_ID_BYTES],
		      uint64_t drops);

/* Signs a claim; sig has room for CR_SIG_MAX_BYTES. */
enum xu_code cr_claim_sign(uint8_t sig[CR_SIG_MAX_BYTES], size_t *siglen,
			   const struct cr_keypair *kp,
			   const uint8_t channel[CR_CHANNEL_ID_BYTES],
			   uint64_t drops, struct xu_err *err) XU_WARN_UNUSED;

/* True when sig is a valid claim by pk for (channel, drops). */
bool cr_claim_verify(const uint8_t *pk, size_t pklen,
		     const uint8_t channel[CR_CHANNEL_ID_BYTES], uint64_t drops,
		     const uint8_t *sig, size_t siglen) XU_WARN_UNUSED;

#endif /* XRPSE_CRYPTO_CLAIM_H */
