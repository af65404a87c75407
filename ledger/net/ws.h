/* The WebSocket connection to rippled: one libwebsockets client connection
 * living in a caller-provided lws context (the daemon's single loop), with
 * JSON requests matched to replies by numeric id, a timeout per request,
 * keepalive pings, and reconnection with exponential backoff and jitter.
 *
 * Everything here runs on the lws service thread.  Frames from the server
 * are outside input: malformed JSON, missing fields, wrong types and frames
 * above the size cap are logged (unusual) and dropped, never asserted on.
 * On every disconnect all pending requests fail with XU_EUNAVAIL.
 *
 * The context must include the protocol entry XL_WS_PROTOCOL (see below) in
 * the protocol list of its default vhost; xl_ws_context_new() creates a
 * standalone context for tests and the CLI. */
#ifndef XRPSE_LEDGER_NET_WS_H
#define XRPSE_LEDGER_NET_WS_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

#define XL_WS_PROTOCOL_NAME "xrpse-rippled"
#define XL_WS_RX_BUFFER 65536

/* The lws protocol callback of the rippled client. */
int xl_ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len);

/* The protocol entry to put into the context's protocol array. */
#define XL_WS_PROTOCOL                                                         \
	{                                                                      \
		XL_WS_PROTOCOL_NAME, xl_ws_callback, 0, XL_WS_RX_BUFFER, 0,    \
		    NULL, 0                                                    \
	}

/* Sets the fields of a context creation info that a client of `url`
 * needs: for wss:// the global TLS init and the system CA bundle (the
 * first of /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/
 * ca-bundle.crt that exists); nothing for ws://.  Call it on the info the
 * daemon builds, before lws_create_context(). */
void xl_ws_context_info_prepare(struct lws_context_creation_info *info,
				const char *url);
/* Same, trusting the PEM bundle ca_file instead of the system one (NULL:
 * the system one).  ca_file is borrowed until the context exists. */
void xl_ws_context_info_prepare_ca(struct lws_context_creation_info *info,
				   const char *url, const char *ca_file);

/* Creates a standalone client-only lws context for url whose protocol list
 * holds just XL_WS_PROTOCOL.  Returns NULL (and fills err) on failure; the
 * caller destroys it with lws_context_destroy(). */
struct lws_context *xl_ws_context_new(const char *url, struct xu_err *err);
/* Same with a CA bundle of its own (see xl_ws_context_info_prepare_ca). */
struct lws_context *xl_ws_context_new_ca(const char *url, const char *ca_file,
					 struct xu_err *err);

enum xl_ws_state {
	XL_WS_DISCONNECTED = 0,
	XL_WS_CONNECTING = 1,
	XL_WS_OPEN = 2,
};

struct xl_ws_cfg {
	const char *url;	     /* ws://host[:port][/path] or wss://... */
	unsigned request_timeout_ms; /* default per request; 0 = 10000 */
	unsigned ping_interval_ms;   /* keepalive ping period; 0 = 15000 */
	unsigned connect_timeout_ms; /* 0 = 10000 */
	unsigned backoff_min_ms;     /* first reconnect delay; 0 = 250 */
	unsigned backoff_max_ms;     /* cap; 0 = 30000 */
	unsigned jitter_pct;	     /* +- percent of each delay; 0 = 20 */
	size_t max_frame; /* bigger messages are dropped; 0 = 8 MiB */
};

struct xl_ws;

/* Reply to one request, called once, on the loop thread.  code is XU_OK
 * for a "success" response; for an error response it is XU_ENOTFOUND
 * (txnNotFound, actNotFound, entryNotFound), XU_EUNAVAIL (tooBusy,
 * slowDown, noNetwork, noCurrent, noClosed, and lgrNotFound: the server
 * lacks the ledger, not the entry) or XU_EINVAL (any
 * other error token; err->msg names it); XU_ETIMEOUT when no reply came in
 * time; XU_EUNAVAIL when the connection dropped.  msg is the whole response
 * envelope (borrowed for the call; NULL when there was no reply). */
typedef void (*xl_ws_reply_fn)(void *arg, enum xu_code code, json_t *msg,
			       const struct xu_err *err);
/* A server-initiated message (stream message, anything without our id):
 * borrowed for the call.  Only JSON objects are delivered. */
typedef void (*xl_ws_message_fn)(void *arg, json_t *msg);
/* The connection opened (XL_WS_OPEN) or closed (XL_WS_DISCONNECTED). */
typedef void (*xl_ws_state_fn)(void *arg, enum xl_ws_state state);

struct xl_ws_handlers {
	xl_ws_message_fn on_message;
	xl_ws_state_fn on_state;
	void *arg;
};

/* Creates a connection object for cfg (the url is copied) in ctx.  Does
 * not connect: call xl_ws_start().  Returns NULL with err filled for a bad
 * url.  The caller frees it with xl_ws_free(). */
struct xl_ws *xl_ws_new(struct lws_context *ctx, const struct xl_ws_cfg *cfg,
			const struct xl_ws_handlers *h, struct xu_err *err);
/* Starts connecting (and reconnecting forever after every loss). */
void xl_ws_start(struct xl_ws *ws);
/* Stops reconnecting and closes the connection; pending requests fail
 * with XU_EUNAVAIL. */
void xl_ws_stop(struct xl_ws *ws);
/* Frees ws (NULL is a no-op).  Pending callbacks are dropped, not called.
 * Must not be called from inside one of ws's own callbacks. */
void xl_ws_free(struct xl_ws *ws);

enum xl_ws_state xl_ws_state(const struct xl_ws *ws);
/* Number of connections opened so far (tests watch reconnects). */
unsigned xl_ws_connect_count(const struct xl_ws *ws);

/* Sends a request.  req is TAKEN (always, even on failure); "id" and
 * "api_version":2 are set here.  timeout_ms 0 = the configured default.
 * Returns XU_OK when queued (cb will be called exactly once, never from
 * inside this call), XU_EUNAVAIL when the connection is not open. */
enum xu_code xl_ws_request(struct xl_ws *ws, json_t *req, unsigned timeout_ms,
			   xl_ws_reply_fn cb, void *arg,
			   struct xu_err *err) XU_WARN_UNUSED;

/* Closes the current connection as if the network dropped it (the usual
 * reconnect follows).  For the ping timeout and for tests. */
void xl_ws_drop(struct xl_ws *ws);

/* The url the connection was configured with (borrowed). */
const char *xl_ws_url(const struct xl_ws *ws);

/* The lws context the connection lives in (borrowed). */
struct lws_context *xl_ws_context(const struct xl_ws *ws);

/* Returns the "result" object of a success envelope (borrowed), or NULL. */
json_t *xl_ws_result(json_t *msg);

/* Reads a non-negative integer member that fits 32 bits, accepting a JSON
 * integer or a decimal string; false when absent or of another shape. */
bool xl_json_u32(json_t *obj, const char *key, uint32_t *out) XU_WARN_UNUSED;
/* Same for 64-bit values (e.g. drops as strings). */
bool xl_json_u64(json_t *obj, const char *key, uint64_t *out) XU_WARN_UNUSED;
/* Returns a string member (borrowed) or NULL when absent / not a string. */
const char *xl_json_str(json_t *obj, const char *key);

#endif /* XRPSE_LEDGER_NET_WS_H */
