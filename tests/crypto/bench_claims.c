/* Benchmark: claim sign and verify operations per second for both key
 * types, through xrpse's API (crypto/claim.h) and done directly with
 * libsodium / libsecp256k1 in the same run, with the ratio.  The goal is
 * xrpse within 10% of the raw libraries.
 *
 *   bench_claims [seconds-per-measurement]   (default 0.2)
 *
 * Each pair is measured in alternating rounds (xrpse, raw, xrpse, ...)
 * and the best round of each is reported; time is the thread's CPU time.
 * Both damp the noise of a shared machine.  Prints figures only; it asserts
 * nothing about time. */
#include <secp256k1.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/claim.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/sign.h"

#define ROUNDS 15

static double seconds = 0.2;
static volatile unsigned sink;

static double now(void)
{
	struct timespec ts;

	/* CPU time of this thread: being descheduled on a shared machine
	 * does not count against either side. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fixture {
	struct cr_keypair kp;
	uint8_t chan[32];
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	secp256k1_context *ctx; /* the raw side's own signing context */
};

typedef void (*op_fn)(struct fixture *f, uint64_t i);

/* xrpse */
static void x_sign(struct fixture *f, uint64_t i)
{
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t n;

	if (cr_claim_sign(sig, &n, &f->kp, f->chan, i, NULL) != XU_OK)
		abort();
	sink += sig[n - 1];
}

static void x_verify(struct fixture *f, uint64_t i)
{
	(void)i;
	sink += cr_claim_verify(f->kp.pub.b, 33, f->chan, 1000000, f->sig,
				f->siglen);
}

/* raw libraries: the same bytes in, the same bytes out */
static void raw_msg(uint8_t m[44], const uint8_t chan[32], uint64_t d)
{
	memcpy(m, "CLM", 4);
	memcpy(m + 4, chan, 32);
	for (int k = 0; k < 8; k++)
		m[36 + k] = (uint8_t)(d >> (56 - 8 * k));
}

static void r_sign_secp(struct fixture *f, uint64_t i)
{
	uint8_t m[44], h[64], der[72];
	size_t n = sizeof(der);
	secp256k1_ecdsa_signature s;

	raw_msg(m, f->chan, i);
	crypto_hash_sha512(h, m, sizeof(m));
	if (!secp256k1_ecdsa_sign(f->ctx, &s, h, f->kp.secret, NULL, NULL) ||
	    !secp256k1_ecdsa_signature_serialize_der(f->ctx, der, &n, &s))
		abort();
	sink += der[n - 1];
}

static void r_verify_secp(struct fixture *f, uint64_t i)
{
	uint8_t m[44], h[64];
	secp256k1_ecdsa_signature s;
	secp256k1_pubkey pk;
	const secp256k1_context *c = secp256k1_context_static;

	(void)i;
	raw_msg(m, f->chan, 1000000);
	crypto_hash_sha512(h, m, sizeof(m));
	sink += secp256k1_ecdsa_signature_parse_der(c, &s, f->sig, f->siglen) &&
		secp256k1_ec_pubkey_parse(c, &pk, f->kp.pub.b, 33) &&
		secp256k1_ecdsa_verify(c, &s, h, &pk);
}

static void r_sign_ed(struct fixture *f, uint64_t i)
{
	uint8_t m[44], sig[64];

	raw_msg(m, f->chan, i);
	crypto_sign_detached(sig, NULL, m, sizeof(m), f->kp.secret);
	sink += sig[63];
}

static void r_verify_ed(struct fixture *f, uint64_t i)
{
	uint8_t m[44];

	(void)i;
	raw_msg(m, f->chan, 1000000);
	sink += crypto_sign_verify_detached(f->sig, m, sizeof(m),
					    f->kp.pub.b + 1) == 0;
}

/* Ops per second of fn over about `seconds`. */
static double measure(op_fn fn, struct fixture *f)
{
	uint64_t n = 0, batch = 64;
	double t0 = now(), t;

	do {
		for (uint64_t k = 0; k < batch; k++)
			fn(f, n + k);
		n += batch;
		t = now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

static void row(const char *op, const char *kt, op_fn x, op_fn r,
		struct fixture *f)
{
	double bx = 0, br = 0;

	for (int k = 0; k < ROUNDS; k++) {
		double a = measure(x, f), b = measure(r, f);
		if (a > bx)
			bx = a;
		if (b > br)
			br = b;
	}
	printf("| %-6s | %-9s | %12.0f | %12.0f | %6.3f |\n", op, kt, bx, br,
	       bx / br);
}

static void setup(struct fixture *f, const char *seed)
{
	uint8_t rnd[32];

	memset(f, 0, sizeof(*f));
	if (cr_keypair_from_seed_text(&f->kp, seed, 0, NULL) != XU_OK)
		abort();
	memset(f->chan, 0x5D, sizeof(f->chan));
	if (cr_claim_sign(f->sig, &f->siglen, &f->kp, f->chan, 1000000, NULL) !=
		XU_OK ||
	    !cr_claim_verify(f->kp.pub.b, 33, f->chan, 1000000, f->sig,
			     f->siglen))
		abort();
	f->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	randombytes_buf(rnd, sizeof(rnd));
	if (!f->ctx || !secp256k1_context_randomize(f->ctx, rnd))
		abort();
}

int main(int argc, char **argv)
{
	struct fixture secp, ed;

	if (argc > 1)
		seconds = strtod(argv[1], NULL);
	if (seconds <= 0)
		seconds = 0.2;
	if (cr_init(NULL) != XU_OK)
		return 1;
	setup(&secp, "snGHNrPbHrdUcszeuDEigMdC1Lyyd");
	setup(&ed, "sEdSuqBPSQaood2DmNYVkwWTn1oQTj2");

	printf("claim sign/verify, ops per CPU second (best of %d rounds of "
	       "%.2f s)\n\n",
	       ROUNDS, seconds);
	printf(
	    "| op     | key type  |   xrpse op/s |     raw op/s |  ratio |\n");
	printf(
	    "|--------|-----------|--------------|--------------|--------|\n");
	row("sign", "secp256k1", x_sign, r_sign_secp, &secp);
	row("verify", "secp256k1", x_verify, r_verify_secp, &secp);
	row("sign", "ed25519", x_sign, r_sign_ed, &ed);
	row("verify", "ed25519", x_verify, r_verify_ed, &ed);
	printf("\nratio = xrpse / raw (1.000 = same speed; goal >= 0.90)\n");

	cr_keypair_clear(&secp.kp);
	cr_keypair_clear(&ed.kp);
	secp256k1_context_destroy(secp.ctx);
	secp256k1_context_destroy(ed.ctx);
	return 0;
}
