/* The rippled client as the daemon uses it: one call to create the
 * connection (client.h) for the engine's account and its submission queue
 * (submit.h) over the caller's journal, one to free them, and a JSON
 * status for /health.  Keeps the daemon's wiring to a few lines.
 *
 * Lifecycle: xl_rippled_new() inside the daemon's lws context (which must
 * list XL_WS_PROTOCOL and be prepared with xl_ws_context_info_prepare()),
 * then xl_rippled_start(); on a network-id mismatch on_fatal fires once and
 * the client stays stopped: the daemon must refuse to run.
 * xl_rippled_free() before lws_context_destroy(). */
#ifndef XRPSE_LEDGER_NET_RIPPLED_H
#define XRPSE_LEDGER_NET_RIPPLED_H

#include <jansson.h>

#include "crypto/keys.h"
#include "ledger/net/client.h"
#include "ledger/net/journal.h"
#include "ledger/net/submit.h"
#include "src/util/err.h"

#define XL_RIPPLED_DEFAULT_FEE_MAX 1000 /* drops (100 x the base fee) */
/* drops: a claim racing a channel's Expiration (1000 x the base fee) */
#define XL_RIPPLED_DEFAULT_DEADLINE_FEE_MAX 10000

struct xl_rippled_cfg {
	const char *url;
	uint32_t network_id;	     /* expected; 0 = mainnet */
	const struct cr_keypair *kp; /* borrowed; the engine's account */
	uint64_t fee_max_drops;	     /* 0 = XL_RIPPLED_DEFAULT_FEE_MAX */
	/* Deadline intents' cap (submit.h); 0 =
	 * XL_RIPPLED_DEFAULT_DEADLINE_FEE_MAX. */
	uint64_t deadline_fee_max_drops;
	const char *const *peers; /* accounts whose channels to us */
	size_t npeers;
	/* Called once on a network-id mismatch (err says both ids). */
	void (*on_fatal)(void *arg, const struct xu_err *err);
	/* Every final outcome of a queued intent (see submit.h). */
	xl_outcome_fn on_outcome;
	void *arg;
};

struct xl_rippled;

/* Creates the client and the queue (loading the journal's unfinished
 * rows).  Returns NULL with err on a bad url/key/journal. */
struct xl_rippled *xl_rippled_new(struct lws_context *ctx,
				  const struct xl_rippled_cfg *cfg,
				  const struct xl_journal *j,
				  struct xu_err *err);
void xl_rippled_start(struct xl_rippled *r);
/* Stops and frees (NULL is a no-op). */
void xl_rippled_free(struct xl_rippled *r);

/* Borrowed parts, for the channel logic and listeners. */
struct xl_client *xl_rippled_client(struct xl_rippled *r);
struct xl_submit *xl_rippled_submit(struct xl_rippled *r);

/* A new JSON object for /health:
 *   {"url","status":"disconnected|connecting|subscribing|syncing|ready|
 *    fatal","connected":bool,"validated_ledger":n,"network_id":n,
 *    "error":"..." (fatal only),"queue":{"queued","inflight","submitted",
 *    "succeeded","tec","failed","expired","refused","next_sequence",
 *    "reconciled"}}
 * The caller owns it. */
json_t *xl_rippled_health(struct xl_rippled *r);

#endif /* XRPSE_LEDGER_NET_RIPPLED_H */
