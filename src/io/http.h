/* A small HTTP/1.1 server on libwebsockets raw sockets.
 *
 * lws owns the sockets and the event loop; this module parses requests
 * itself so that it controls every answer: keep-alive and pipelining,
 * Content-Length and chunked request bodies, a body cap (413), header
 * limits (431), and no HTML error pages.  One request per connection is
 * handled at a time: after the handler is called, the connection reads no
 * further request until eng_http_reply() answered it (at once, or later on
 * the loop thread, e.g. after a group commit).
 *
 * Everything here runs on the event-loop thread. */
#ifndef XRPSE_SRC_HTTP_H
#define XRPSE_SRC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

struct lws;
struct lws_context;
struct lws_vhost;

/* Limits.  The body cap applies after chunked decoding. */
#define ENG_HTTP_HEADER_MAX 8192
#define ENG_HTTP_BODY_MAX 65536

enum eng_http_method {
	ENG_HTTP_GET,
	ENG_HTTP_POST,
	ENG_HTTP_DELETE,
	ENG_HTTP_PUT,
	ENG_HTTP_PATCH,
	ENG_HTTP_HEAD,
	ENG_HTTP_OPTIONS,
	ENG_HTTP_OTHER,
};

/* A parsed request.  All pointers are borrowed from the connection and
 * stay valid until the request is answered or the connection closes. */
struct eng_http_req {
	enum eng_http_method method;
	const char *path;	  /* without the query string */
	const char *content_type; /* NULL when absent */
	const char *idem_key;	  /* NULL when absent, "" when empty */
	const uint8_t *body;	  /* body_len bytes (not NUL-terminated) */
	size_t body_len;
};

struct eng_http_conn;

/* Called for each complete request; must eventually lead to exactly one
 * eng_http_reply() unless the connection closes first. */
typedef void (*eng_http_handler_fn)(void *arg, struct eng_http_conn *c,
				    const struct eng_http_req *r);
/* Called when a connection that has an unanswered request closes: the
 * owner of that request must forget c. */
typedef void (*eng_http_closed_fn)(void *arg, struct eng_http_conn *c);

struct eng_http_server {
	eng_http_handler_fn on_request;
	eng_http_closed_fn on_closed;
	void *arg;
	uint64_t requests; /* counters, for /health and tests */
	unsigned conns;
	/* Set at shutdown: new connections are refused and new requests
	 * answered 503 (and closed); answers already due still go out. */
	bool stopping;
};

/* Answers the pending request of c: status, Content-Type (NULL for none),
 * extra header lines (each ending "\r\n", or NULL) and the body (copied).
 * A second reply to the same request is a programmer error. */
void eng_http_reply(struct eng_http_conn *c, int status, const char *ctype,
		    const char *extra_headers, const void *body, size_t len);

/* Per-session data size for the lws protocol entry. */
size_t eng_http_session_size(void);

/* The raw-socket part of the protocol callback: the engine forwards every
 * LWS_CALLBACK_RAW_* reason here with the server.  Returns what the lws
 * callback must return. */
int eng_http_callback(struct eng_http_server *srv, struct lws *wsi, int reason,
		      void *user, void *in, size_t len);

/* The standard reason phrase of a status ("Created"). */
const char *eng_http_reason(int status);

#endif /* XRPSE_SRC_HTTP_H */
