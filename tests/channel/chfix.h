/* Shared fixtures for the channel core's tests: accounts, channel ids, the
 * two claim-signing keys (one per key type, from the claim vectors' seeds),
 * event builders, effect assertions, and a fork-based check that a call
 * aborts (the core's XU_ASSERT on impossible transitions). */
#ifndef XRPSE_TESTS_CHANNEL_CHFIX_H
#define XRPSE_TESTS_CHANNEL_CHFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel/channel.h"

#define XRP(n) ((uint64_t)(n)*UINT64_C(1000000))
#define T_NOW 100000u
#define T_LEDGER 800000000u

/* fx_self: the account of fx_keys[0]. */
extern struct cr_account_id fx_self, fx_peer, fx_other;
extern uint8_t fx_out_id[CR_CHANNEL_ID_BYTES], fx_in_id[CR_CHANNEL_ID_BYTES],
    fx_other_id[CR_CHANNEL_ID_BYTES];
extern struct pc_cfg fx_cfg;
/* [0] ed25519, [1] secp256k1. */
extern struct cr_keypair fx_keys[2];

/* cr_init, keys, ids, the default configuration.  Idempotent. */
void fx_setup(void);

struct xl_drops D(uint64_t v);
struct pc_event ev_make(enum pc_ev_kind k);
/* A validated view of fx_in_id from the peer to us (key k). */
struct pc_view view_in(int k, uint64_t amount, uint64_t balance);
/* A view of our outgoing channel (its key: fx_keys[0], ours). */
struct pc_view view_out(uint64_t amount, uint64_t balance);
/* A claim on channel ch for amount, signed by key k (valid). */
struct pc_claim claim_make(int k, const uint8_t *ch, uint64_t amount);

/* Asserts the effect kinds, in order (n of them). */
void fx_expect(const struct pc_effects *fx, size_t n,
	       const enum pc_fx_kind *kinds);
#define FX_EXPECT(fx, ...)                                                     \
	do {                                                                   \
		const enum pc_fx_kind k_[] = {__VA_ARGS__};                    \
		fx_expect((fx), sizeof(k_) / sizeof(k_[0]), k_);               \
	} while (0)
#define FX_NONE(fx) fx_expect((fx), 0, NULL)

/* Runs fn(arg) in a forked child (stderr silenced) and returns true when
 * it died of SIGABRT. */
bool fx_aborts(void (*fn)(void *), void *arg);

#endif
