/* Drives src/io/http.c without sockets, for its unit tests (tests/io), the
 * HTTP fuzzer (tests/fuzz/fuzz_http.c) and the API tests (tests/api).
 *
 * The lws calls http.c makes are defined here (so libwebsockets is not
 * linked): lws_write appends to the connection's output, and
 * lws_callback_on_writable, lws_rx_flow_control and lws_set_timeout are
 * recorded.  The fake wsi of a connection is the struct hd itself.
 *
 *   hd_open -> hd_feed (RAW_RX, then RAW_WRITEABLE while asked) ... hd_close
 *
 * By default the handler records a copy of each request and answers it at
 * once: 200, text/plain, body "ok".  With h->defer set it only records,
 * and the test answers with hd_reply; with h->on_request set, that is
 * called instead (e.g. the API's eng_api_on_request). */
#ifndef XRPSE_TESTS_IO_HTTPDRV_H
#define XRPSE_TESTS_IO_HTTPDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/io/http.h"

/* A request as the handler saw it (owned copies). */
struct hd_req {
	enum eng_http_method method;
	char *path;
	char *ctype;	/* NULL when absent */
	char *idem_key; /* NULL when absent */
	uint8_t *body;	/* body_len bytes, plus a NUL */
	size_t body_len;
};

/* A response parsed from the output: views into hd.out. */
struct hd_resp {
	int status;
	char reason[40];
	char ctype[64];	     /* "" when absent */
	char connection[32]; /* "" when absent */
	char allow[32];	     /* "" when absent */
	long content_length; /* -1 when absent */
	const uint8_t *body;
	size_t body_len;
};

struct hd {
	struct eng_http_server srv;
	void *session;		    /* eng_http_session_size() bytes */
	struct eng_http_conn *conn; /* set by the handler (pending request) */
	/* What http.c asked of lws. */
	bool writable;	    /* lws_callback_on_writable pending */
	bool rx_paused;	    /* lws_rx_flow_control(0) in force */
	int timeout_reason; /* last lws_set_timeout */
	int timeout_secs;
	bool closed; /* a callback returned non-zero, or hd_close */
	uint8_t *out;
	size_t out_len, out_cap;
	/* Requests seen. */
	struct hd_req *reqs;
	size_t nreqs, reqs_cap;
	/* Handler behaviour. */
	bool defer;
	eng_http_handler_fn on_request; /* replaces the default handler */
	void *arg;			/* its arg */
	eng_http_closed_fn on_closed;
	size_t closed_calls; /* times srv.on_closed was called */
};

/* Adopts a new connection (RAW_ADOPT). */
void hd_open(struct hd *h);
/* Delivers bytes (RAW_RX), then services RAW_WRITEABLE while http.c asks
 * for it.  Returns false once the connection is closed. */
bool hd_feed(struct hd *h, const void *p, size_t n);
/* hd_feed of a string. */
bool hd_feeds(struct hd *h, const char *s);
/* Answers the deferred request (eng_http_reply) and services writes. */
void hd_reply(struct hd *h, int status, const char *ctype, const char *body);
/* Services RAW_WRITEABLE while asked; false once closed. */
bool hd_pump(struct hd *h);
/* RAW_CLOSE and frees everything. */
void hd_close(struct hd *h);
/* True when http.c half-closed the connection after its last answer (it
 * reads and discards until the peer closes). */
bool hd_closing(const struct hd *h);

/* Parses the output into responses.  Returns the number parsed; *rest
 * (nullable) gets the count of bytes left that do not form a complete
 * response.  1xx and 204 responses have no body, nor have the answers to
 * HEAD requests (the n-th final answer belongs to reqs[n]; a refusal
 * after the last request has no body when none follows its header). */
size_t hd_parse(const struct hd *h, struct hd_resp *rs, size_t max,
		size_t *rest);

#endif /* XRPSE_TESTS_IO_HTTPDRV_H */
