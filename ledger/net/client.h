/* The rippled client: a WebSocket connection (ws.h) plus the subscription
 * and resync logic that makes ledger state trustworthy.
 *
 * State machine, after every (re)connect:
 *   DISCONNECTED -> CONNECTING -> SUBSCRIBING -> SYNCING -> READY
 * SUBSCRIBING: server_info (the network id must equal the configured one,
 *   an absent network_id counts as 0 = mainnet; a mismatch is fatal: the
 *   client stops and calls on_fatal, the daemon refuses to run), then
 *   subscribe to the `ledger` stream and to our account (`accounts`).
 * SYNCING: account_info of our account and every channel of our account,
 *   as source (account_channels, marker paging) and as destination (one
 *   account_channels per configured peer with destination_account = us),
 *   all from the validated ledger.
 * READY: on_ready fires with the synced state, then the stream messages
 *   that arrived while syncing are replayed in order; only now do the
 *   ledger-state callbacks (on_ready, on_ledger, on_tx) fire.
 * Any failure on the way drops the connection and starts over with backoff.
 *
 * Runs on the lws loop thread; not thread-safe. */
#ifndef XRPSE_LEDGER_NET_CLIENT_H
#define XRPSE_LEDGER_NET_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ledger/net/ws.h"
#include "src/util/err.h"

enum xl_client_state {
	XL_CLIENT_DISCONNECTED = 0,
	XL_CLIENT_CONNECTING = 1,
	XL_CLIENT_SUBSCRIBING = 2,
	XL_CLIENT_SYNCING = 3,
	XL_CLIENT_READY = 4,
	XL_CLIENT_FATAL = 5, /* network mismatch: stopped for good */
};

#define XL_CLIENT_MAX_PEERS 64
#define XL_CLIENT_MAX_LISTENERS 8

struct xl_client_cfg {
	struct xl_ws_cfg ws;
	const char *account;	  /* our classic address; NULL = ledger only */
	uint32_t network_id;	  /* expected; 0 = mainnet */
	const char *const *peers; /* accounts whose channels to us we sync */
	size_t npeers;
};

/* The state read at the end of a resync (borrowed for on_ready). */
struct xl_sync_info {
	uint32_t validated_index;
	/* Close time of that validated ledger (Ripple epoch seconds, from
	 * the subscribe answer; 0: unknown). */
	uint32_t ledger_time;
	uint32_t network_id;
	uint64_t fee_base, reserve_base, reserve_inc; /* drops */
	bool account_found;
	uint32_t account_sequence; /* validated AccountRoot Sequence */
	uint64_t balance;	   /* drops */
	uint32_t owner_count;
	/* Arrays of account_channels entries (their fields as rippled gives
	 * them), ours and the peers' to us.  Each entry read from a page of
	 * a validated ledger carries that ledger's index as "ledger_index"
	 * (pages are read one after another, "validated" each time: two
	 * pages may be from different ledgers); an entry without it is from
	 * a page that did not say, and is no validated view.  The client
	 * lets go of both after on_ready (a listener keeping them takes a
	 * reference). */
	json_t *channels_out;
	json_t *channels_in;
};

struct xl_client_listener {
	void (*on_state)(void *arg, enum xl_client_state st);
	/* After every resync, at READY. */
	void (*on_ready)(void *arg, const struct xl_sync_info *s);
	/* Every ledgerClosed (validated) message at READY; msg borrowed. */
	void (*on_ledger)(void *arg, uint32_t index, json_t *msg);
	/* Every validated `transaction` message touching our account at
	 * READY; msg borrowed. */
	void (*on_tx)(void *arg, json_t *msg);
	/* Network id mismatch (err->msg says both ids). */
	void (*on_fatal)(void *arg, const struct xu_err *err);
	void *arg;
};

struct xl_client;

/* Creates a client in ctx (cfg strings are copied).  Returns NULL with err
 * for a bad url/account or too many peers.  Free with xl_client_free(). */
struct xl_client *xl_client_new(struct lws_context *ctx,
				const struct xl_client_cfg *cfg,
				struct xu_err *err);
/* Adds a listener (copied).  Returns XU_ERANGE when full. */
enum xu_code xl_client_listen(struct xl_client *c,
			      const struct xl_client_listener *l,
			      struct xu_err *err) XU_WARN_UNUSED;
/* Adds a peer whose channels to us are synced from the next resync on (a
 * known peer is a no-op).  XU_EINVAL for a bad address, XU_ERANGE when
 * XL_CLIENT_MAX_PEERS are known. */
enum xu_code xl_client_add_peer(struct xl_client *c, const char *addr,
				struct xu_err *err) XU_WARN_UNUSED;
/* The i-th peer address (xl_client_add_peer, in the order added), or
 * NULL when there are fewer; borrowed until xl_client_free. */
const char *xl_client_peer(const struct xl_client *c, size_t i);

/* Removes every listener whose arg is `arg`. */
void xl_client_unlisten(struct xl_client *c, void *arg);
/* Starts connecting; reconnects forever until xl_client_stop() or a fatal
 * network mismatch. */
void xl_client_start(struct xl_client *c);
void xl_client_stop(struct xl_client *c);
/* NULL is a no-op.  Not from inside the client's own callbacks. */
void xl_client_free(struct xl_client *c);

enum xl_client_state xl_client_state(const struct xl_client *c);
/* "disconnected", "connecting", "subscribing", "syncing", "ready",
 * "fatal". */
const char *xl_client_state_name(enum xl_client_state st);
/* Latest validated ledger index seen (0 before the first sync). */
uint32_t xl_client_validated_index(const struct xl_client *c);
/* The fatal error, when state is XL_CLIENT_FATAL. */
const struct xu_err *xl_client_fatal_err(const struct xl_client *c);
const char *xl_client_account(const struct xl_client *c);
/* The underlying connection (borrowed), for requests and fault tests. */
struct xl_ws *xl_client_ws(struct xl_client *c);

/* A request on the connection (see xl_ws_request); allowed from
 * SUBSCRIBING on.  req is TAKEN. */
enum xu_code xl_client_request(struct xl_client *c, json_t *req,
			       unsigned timeout_ms, xl_ws_reply_fn cb,
			       void *arg, struct xu_err *err) XU_WARN_UNUSED;

#endif /* XRPSE_LEDGER_NET_CLIENT_H */
