/* Payment-channel claims and channel ids (see claim.h). */
#include "crypto/claim.h"

#include <string.h>

#include "crypto/hash.h"

/* LedgerNameSpace::XRP_PAYMENT_CHANNEL = 'x', hashed as a uint16. */
static const uint8_t paychan_space[2] = {0x00, 0x78};
/* HashPrefix::paymentChannelClaim "CLM\0". */
static const uint8_t clm_prefix[4] = {'C', 'L', 'M', 0x00};

void cr_channel_id(uint8_t out[CR_CHANNEL_ID_BYTES],
		   const struct cr_account_id *src,
		   const struct cr_account_id *dst, uint32_t seq)
{
	uint8_t pre[2 + 2 * CR_ACCOUNT_ID_BYTES + 4];
	uint8_t *p = pre;

	memcpy(p, paychan_space, 2);
	p += 2;
	memcpy(p, src->b, CR_ACCOUNT_ID_BYTES);
	p += CR_ACCOUNT_ID_BYTES;
	memcpy(p, dst->b, CR_ACCOUNT_ID_BYTES);
	p += CR_ACCOUNT_ID_BYTES;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(seq >> (24 - 8 * i));
	cr_sha512half(out, pre, sizeof(pre));
}

void cr_claim_message(uint8_t out[CR_CLAIM_MSG_BYTES],
		      const uint8_t channel[CR_CHANNEL_ID_BYTES],
		      uint64_t drops)
{
	memcpy(out, clm_prefix, 4);
	memcpy(out + 4, channel, CR_CHANNEL_ID_BYTES);
	for (int i = 0; i < 8; i++)
		out[4 + CR_CHANNEL_ID_BYTES + i] =
		    (uint8_t)(drops >> (56 - 8 * i));
}

enum xu_code cr_claim_sign(uint8_t sig[CR_SIG_MAX_BYTES], size_t *siglen,
			   const struct cr_keypair *kp,
			   const uint8_t channel[CR_CHANNEL_ID_BYTES],
			   uint64_t drops, struct xu_err *err)
{
	uint8_t msg[CR_CLAIM_MSG_BYTES];

	cr_claim_message(msg, channel, drops);
	return cr_sign(sig, siglen, kp, msg, sizeof(msg), err);
}

bool cr_claim_verify(const uint8_t *pk, size_t pklen,
		     const uint8_t channel[CR_CHANNEL_ID_BYTES], uint64_t drops,
		     const uint8_t *sig, size_t siglen)
{
	uint8_t msg[CR_CLAIM_MSG_BYTES];

	cr_claim_message(msg, channel, drops);
	return cr_verify(pk, pklen, msg, sizeof(msg), sig, siglen);
}
