/* The admin socket: a unix stream socket (mode 0600) on the engine's lws
 * loop, for the operator's commands (xrpse status, accounts, ...).
 *
 *   client -> daemon   one JSON object per line: {"cmd":"status"}\n
 *   daemon -> client   one JSON object per line: {"ok":true,"result":...}\n
 *
 * Requests are answered in order, at once, by eng_admin_handle() on the
 * loop thread (src/api/admin.c); nothing blocks.  A line longer than
 * ENG_RPC_LINE_MAX is refused and the connection closed.  The listening
 * socket is adopted into lws as a file descriptor; each accepted
 * connection is adopted as a raw socket of the "xrpse-rpc" protocol. */
#ifndef XRPSE_SRC_DAEMON_RPC_H
#define XRPSE_SRC_DAEMON_RPC_H

#include <stddef.h>

#include "src/api/api.h"
#include "src/util/err.h"

struct lws;
struct lws_vhost;
struct eng_rpc;

#define ENG_RPC_LINE_MAX 65536
#define ENG_RPC_PROTOCOL "xrpse-rpc"

/* Creates the socket at path (refusing a path that exists and is not a
 * stale socket: another file, or a socket a process answers on), mode
 * 0600, and adopts it into vh, whose protocol ENG_RPC_PROTOCOL forwards
 * to eng_rpc_callback.  h is borrowed.  Returns XU_OK and *out (owned;
 * eng_rpc_free), XU_EINVAL (path too long), XU_ECONFLICT (path taken) or
 * XU_EIO. */
enum xu_code eng_rpc_new(struct eng_rpc **out, struct lws_vhost *vh,
			 const char *path, const struct eng_api_host *h,
			 struct xu_err *err) XU_WARN_UNUSED;
/* Removes the socket file (clean exit).  The descriptors belong to lws
 * and close with its context.  NULL is a no-op. */
void eng_rpc_free(struct eng_rpc *r);

/* Per-session data size for the ENG_RPC_PROTOCOL protocol entry. */
size_t eng_rpc_session_size(void);
/* The ENG_RPC_PROTOCOL callback's work; r may be NULL (before it exists
 * or after it is freed: connections are then closed). */
int eng_rpc_callback(struct eng_rpc *r, struct lws *wsi, int reason, void *user,
		     void *in, size_t len);

#endif /* XRPSE_SRC_DAEMON_RPC_H */
