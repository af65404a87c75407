/* A synchronous rippled connection for the command line (xrpse import):
 * one xl_ws connection in its own lws context, served by the caller's
 * thread while it waits for each answer.  Not for the daemon, whose loop
 * must never block. */
#ifndef XRPSE_LEDGER_NET_WSYNC_H
#define XRPSE_LEDGER_NET_WSYNC_H

#include <jansson.h>

#include "src/util/err.h"

struct xl_wsync;

/* Connects to url, waiting at most timeout_ms (also each call's limit).
 * Returns the connection (xl_wsync_close), or NULL with err filled. */
struct xl_wsync *xl_wsync_open(const char *url, unsigned timeout_ms,
			       struct xu_err *err);
/* Sends req (TAKEN) and waits for its answer: XU_OK and *out (owned: the
 * whole envelope), or the answer's code as xl_ws_reply_fn gives it
 * (XU_ENOTFOUND for entryNotFound, actNotFound...), XU_ETIMEOUT,
 * XU_EUNAVAIL. */
enum xu_code xl_wsync_call(struct xl_wsync *s, json_t *req, json_t **out,
			   struct xu_err *err) XU_WARN_UNUSED;
/* Closes and frees s (NULL: no-op). */
void xl_wsync_close(struct xl_wsync *s);

#endif /* XRPSE_LEDGER_NET_WSYNC_H */
