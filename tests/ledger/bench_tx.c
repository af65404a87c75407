/* Benchmark: transactions built and signed per second, per key type, next
 * to the raw signature cost measured in the same run.
 *
 *   bench_tx [seconds-per-case]   (default 1)
 *
 * Cases, for secp256k1 and ed25519:
 *   raw sign      cr_sign() over a 150-byte message (the size of a claim
 *                 transaction's signing data)
 *   Payment       xl_tx_payment() + xl_tx_sign() (encode signing data,
 *                 sign, encode tx_blob, tx id)
 *   Claim         xl_tx_paychan_claim() carrying a claim Signature +
 *                 xl_tx_sign()
 *   Claim+claim   the same, plus producing the claim signature itself
 * Prints one line per case; no assertions on time (the machine is shared). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/claim.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/tx.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum kase { RAW, PAYMENT, CLAIM, CLAIM_SIGNED };

static const char *const names[] = {"raw sign", "Payment", "Claim",
				    "Claim+claim"};

static struct xl_signed_tx st;

static void one(enum kase k, const struct cr_keypair *kp, uint32_t i)
{
	struct xl_tx_common c = {0};
	struct xl_tx tx;
	struct cr_account_id dst;
	struct xl_drops fee, amt;
	uint8_t msg[150], sig[CR_SIG_MAX_BYTES], chan[32];
	size_t siglen;
	enum xu_code rc = XU_OK;

	cr_account_id_of(&c.account, &kp->pub);
	memset(dst.b, 0x42, sizeof(dst.b));
	memset(chan, 0x17, sizeof(chan));
	if (!xl_drops_from_u64(&fee, 12) ||
	    !xl_drops_from_u64(&amt, 1000000 + i))
		abort();
	c.fee = fee;
	c.sequence = i;
	c.last_ledger_sequence = 1000 + i;
	switch (k) {
	case RAW:
		memset(msg, (int)i, sizeof(msg));
		rc = cr_sign(sig, &siglen, kp, msg, sizeof(msg), NULL);
		break;
	case PAYMENT:
		rc = xl_tx_payment(&tx, &c, &dst, amt, NULL, NULL);
		if (!rc)
			rc = xl_tx_sign(&tx, kp, &st, NULL);
		break;
	case CLAIM:
	case CLAIM_SIGNED:
		if (k == CLAIM_SIGNED) {
			rc = cr_claim_sign(sig, &siglen, kp, chan,
					   xl_drops_u64(amt), NULL);
		} else {
			memset(sig, 0x30, 71);
			siglen = 71;
		}
		if (!rc)
			rc = xl_tx_paychan_claim(&tx, &c, chan, &amt, &amt, sig,
						 siglen, &kp->pub, 0, NULL);
		if (!rc)
			rc = xl_tx_sign(&tx, kp, &st, NULL);
		break;
	}
	if (rc) {
		fprintf(stderr, "bench_tx: %s failed\n", names[k]);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	static const char *const seeds[] = {"sp5fghtJtpUorTwvof1NpDXAzNwf5",
					    "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r"};
	if (secs <= 0)
		secs = 1.0;
	if (cr_init(NULL)) {
		fprintf(stderr, "bench_tx: cr_init failed\n");
		return 1;
	}
	printf("bench_tx: %.1f s per case (figures taken on a shared "
	       "machine)\n",
	       secs);
	printf("%-10s %-12s %12s %12s %10s\n", "key", "case", "per second",
	       "us each", "vs raw");
	for (size_t s = 0; s < 2; s++) {
		struct cr_keypair kp;
		double raw_us = 0;
		if (cr_keypair_from_seed_text(&kp, seeds[s], 0, NULL))
			return 1;
		for (int k = RAW; k <= CLAIM_SIGNED; k++) {
			uint32_t n = 0;
			double t0 = now(), t;
			do {
				for (int j = 0; j < 50; j++)
					one((enum kase)k, &kp, n++);
				t = now() - t0;
			} while (t < secs);
			double us = t * 1e6 / n;
			if (k == RAW)
				raw_us = us;
			printf("%-10s %-12s %12.0f %12.1f %9.2fx\n",
			       cr_key_type_name(kp.type), names[k], n / t, us,
			       us / raw_us);
		}
		cr_keypair_clear(&kp);
	}
	return 0;
}
