/* Unit tests for the HTTP/1.1 request parser of src/io/http.c, driven without
 * sockets through tests/io/httpdrv.c (fake lws calls).
 *
 * Checked: a request in one piece, byte by byte and split at every point;
 * pipelining (one request at a time, in order); case-insensitive header
 * names; Content-Length and chunked bodies; the limits (431 header
 * section, 413 body, chunk framing caps); request-line errors (method,
 * target, version: 400 / 505); header errors (no colon, whitespace before
 * the colon, obs-fold, control characters, NUL bytes); duplicate and
 * conflicting Content-Length; negative and overflowing lengths; keep-alive,
 * HTTP/1.0 and Connection: close; Expect: 100-continue; paths passed on
 * undecoded with the query cut; flow control while an answer is pending;
 * a client that goes away; shutdown.
 *
 * Every refused request is answered with problem+json and Connection:
 * close, after which the connection reads and discards until the client
 * closes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "src/io/http.h"
#include "tests/io/httpdrv.h"

/* A fresh connection. */
static struct hd *hnew(void)
{
	struct hd *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	hd_open(h);
	return h;
}

static void hfree(struct hd *h)
{
	hd_close(h);
	free(h);
}

static int setup(void **state)
{
	*state = hnew();
	return 0;
}

static int teardown(void **state)
{
	hfree(*state);
	return 0;
}

/* The only response; fails unless there is exactly one. */
static struct hd_resp one(struct hd *h)
{
	struct hd_resp r[4];
	size_t rest;
	size_t n = hd_parse(h, r, 4, &rest);

	assert_int_equal(n, 1);
	assert_int_equal(rest, 0);
	return r[0];
}

/* The request was refused with status: problem+json naming the status,
 * Connection: close, nothing dispatched, the connection half-closed. */
static void refused(struct hd *h, int status)
{
	struct hd_resp r = one(h);
	char want[32];

	assert_int_equal(r.status, status);
	assert_string_equal(r.ctype, "application/problem+json");
	assert_string_equal(r.connection, "close");
	snprintf(want, sizeof(want), "\"status\":%d", status);
	assert_non_null(strstr((const char *)r.body, want));
	assert_int_equal(h->nreqs, 0);
	assert_true(hd_closing(h));
}

/* Feeds s to a fresh connection; checks it is refused with status. */
static void refuse(const char *s, int status)
{
	struct hd *h = hnew();

	hd_feeds(h, s);
	if (h->nreqs)
		fail_msg("accepted: %.60s", s);
	refused(h, status);
	hfree(h);
}

/* Feeds s to a fresh connection; checks exactly one request is seen and
 * answered 200, and returns nothing (the caller checks h itself when it
 * needs to: use hnew + hd_feeds). */
static void accept_one(const char *s)
{
	struct hd *h = hnew();

	hd_feeds(h, s);
	if (h->nreqs != 1)
		fail_msg("refused: %.60s", s);
	assert_int_equal(one(h).status, 200);
	hfree(h);
}

static const char post_req[] =
    "POST /accounts/alice/settlements?x=1 HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Content-Type: application/json\r\n"
    "Idempotency-Key: k-1\r\n"
    "Content-Length: 24\r\n"
    "\r\n"
    "{\"amount\":\"1\",\"scale\":0}";

static void check_post(const struct hd_req *q)
{
	assert_int_equal(q->method, ENG_HTTP_POST);
	assert_string_equal(q->path, "/accounts/alice/settlements");
	assert_string_equal(q->ctype, "application/json");
	assert_string_equal(q->idem_key, "k-1");
	assert_int_equal(q->body_len, 24);
	assert_memory_equal(q->body, "{\"amount\":\"1\",\"scale\":0}", 24);
}

/* ---- whole, byte by byte, split --------------------------------------*/

static void test_http_one_piece(void **state)
{
	struct hd *h = *state;
	struct hd_resp r;

	assert_true(hd_feeds(h, post_req));
	assert_int_equal(h->nreqs, 1);
	check_post(&h->reqs[0]);
	r = one(h);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.reason, "OK");
	assert_string_equal(r.ctype, "text/plain");
	assert_string_equal(r.connection, ""); /* HTTP/1.1: stays open */
	assert_int_equal(r.content_length, 2);
	assert_memory_equal(r.body, "ok", 2);
	assert_false(hd_closing(h));
	assert_int_equal(h->srv.requests, 1);
}

static void test_http_byte_by_byte(void **state)
{
	struct hd *h = *state;
	size_t n = strlen(post_req);

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h->nreqs, 0);
		assert_int_equal(h->out_len, 0);
		assert_true(hd_feed(h, post_req + i, 1));
	}
	assert_int_equal(h->nreqs, 1);
	check_post(&h->reqs[0]);
	assert_int_equal(one(h).status, 200);
}

static void test_http_every_split(void **state)
{
	size_t n = strlen(post_req);

	(void)state;
	for (size_t k = 0; k <= n; k++) {
		struct hd *h = hnew();

		hd_feed(h, post_req, k);
		hd_feed(h, post_req + k, n - k);
		assert_int_equal(h->nreqs, 1);
		check_post(&h->reqs[0]);
		hfree(h);
	}
}

/* ---- pipelining -------------------------------------------------------*/

static void test_http_pipelined(void **state)
{
	struct hd *h = *state;
	struct hd_resp r[4];
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "GET /health HTTP/1.1\r\nHost: x\r\n\r\n%s"
		 "DELETE /accounts/bob HTTP/1.1\r\n\r\n",
		 post_req);
	assert_true(hd_feeds(h, buf));
	assert_int_equal(h->nreqs, 3);
	assert_int_equal(h->reqs[0].method, ENG_HTTP_GET);
	assert_string_equal(h->reqs[0].path, "/health");
	assert_int_equal(h->reqs[0].body_len, 0);
	check_post(&h->reqs[1]);
	assert_int_equal(h->reqs[2].method, ENG_HTTP_DELETE);
	assert_string_equal(h->reqs[2].path, "/accounts/bob");
	assert_int_equal(hd_parse(h, r, 4, NULL), 3);
	assert_false(hd_closing(h));
}

/* One request at a time: the next one is parsed only after the answer. */
static void test_http_pipelined_waits_for_answer(void **state)
{
	struct hd *h = *state;
	struct hd_resp r[4];

	h->defer = true;
	assert_true(hd_feeds(h, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n"
				"\r\nGET /c HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->out_len, 0);
	hd_reply(h, 201, NULL, "1");
	assert_int_equal(h->nreqs, 2);
	assert_string_equal(h->reqs[1].path, "/b");
	hd_reply(h, 202, NULL, NULL);
	assert_int_equal(h->nreqs, 3);
	hd_reply(h, 204, NULL, NULL);
	assert_int_equal(hd_parse(h, r, 4, NULL), 3);
	assert_int_equal(r[0].status, 201);
	assert_string_equal(r[0].reason, "Created");
	assert_string_equal(r[0].ctype, "");
	assert_int_equal(r[1].status, 202);
	assert_string_equal(r[1].reason, "Unknown");
	assert_int_equal(r[2].status, 204);
}

/* Empty lines before a request are ignored (RFC 9112 2.2). */
static void test_http_leading_empty_lines(void **state)
{
	struct hd *h = *state;

	assert_true(hd_feeds(h, "\r\n\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n"
				"GET /y HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 2);
	assert_string_equal(h->reqs[1].path, "/y");
}

/* ---- header names and values -----------------------------------------*/

static void test_http_headers_case_insensitive(void **state)
{
	struct hd *h = *state;

	assert_true(hd_feeds(h, "POST /p HTTP/1.1\r\n"
				"CONTENT-TYPE:application/json  \r\n"
				"idempotency-KEY: \t key with spaces\t \r\n"
				"content-LENGTH: 3\r\n"
				"\r\nabc"));
	assert_int_equal(h->nreqs, 1);
	assert_string_equal(h->reqs[0].ctype, "application/json");
	assert_string_equal(h->reqs[0].idem_key, "key with spaces");
	assert_memory_equal(h->reqs[0].body, "abc", 3);
	assert_true(hd_feeds(h, "POST /p HTTP/1.1\r\n"
				"TRANSFER-ENCODING: CHUNKED\r\n"
				"\r\n3\r\nxyz\r\n0\r\n\r\n"));
	assert_int_equal(h->nreqs, 2);
	assert_memory_equal(h->reqs[1].body, "xyz", 3);
	assert_true(
	    hd_feeds(h, "GET /p HTTP/1.1\r\nCONNECTION: Close\r\n\r\n"));
	assert_true(hd_closing(h));
}

static void test_http_optional_headers(void **state)
{
	struct hd *h = *state;

	/* Absent: NULL; present but empty: "". */
	assert_true(hd_feeds(h, "POST /p HTTP/1.1\r\n\r\n"
				"POST /p HTTP/1.1\r\nIdempotency-Key:\r\n"
				"Content-Type: \r\n\r\n"));
	assert_int_equal(h->nreqs, 2);
	assert_null(h->reqs[0].ctype);
	assert_null(h->reqs[0].idem_key);
	assert_int_equal(h->reqs[0].body_len, 0);
	assert_string_equal(h->reqs[1].ctype, "");
	assert_string_equal(h->reqs[1].idem_key, "");
	/* Unknown headers are ignored; obs-text in values is kept. */
	assert_true(hd_feeds(h, "GET /p HTTP/1.1\r\nX-Thing: caf\xc3\xa9\x7f"
				"\r\nIdempotency-Key: \xff\r\n\r\n"));
	assert_int_equal(h->nreqs, 3);
	assert_string_equal(h->reqs[2].idem_key, "\xff");
}

static void test_http_duplicate_single_headers(void **state)
{
	(void)state;
	refuse("POST /p HTTP/1.1\r\nContent-Type: a/b\r\nContent-Type: a/b"
	       "\r\n\r\n",
	       400);
	refuse("POST /p HTTP/1.1\r\nIdempotency-Key: a\r\nidempotency-key: a"
	       "\r\n\r\n",
	       400);
}

static void test_http_header_syntax(void **state)
{
	(void)state;
	refuse("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\n: empty-name\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nBad\"Name: x\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n", 400);
	/* Control characters in a value: bare CR and LF, ESC. */
	refuse("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n", 400);
	refuse("GET / HTTP/1.1\r\nX: a\x1b[0m\r\n\r\n", 400);
	/* A tab inside a value is fine. */
	accept_one("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n");
}

static void test_http_nul_bytes(void **state)
{
#define S(x)                                                                   \
	{                                                                      \
		x, sizeof(x) - 1                                               \
	}
	static const struct {
		const char *s;
		size_t len;
	} t[] = {
	    S("G\0T / HTTP/1.1\r\n\r\n"),
	    S("GET /a\0b HTTP/1.1\r\n\r\n"),
	    S("GET / HTTP/1.1\0\r\n\r\n"),
	    S("GET / HTTP/1.1\r\nX\0: y\r\n\r\n"),
	    S("GET / HTTP/1.1\r\nX: y\0z\r\n\r\n"),
	    S("GET / HTTP/1.1\r\n\0\r\n\r\n"),
	    S("GET / HTTP/1.1\r\nContent-Length: 1\0\r\n\r\nx"),
	};
#undef S

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hd *h = hnew();

		hd_feed(h, t[i].s, t[i].len);
		refused(h, 400);
		hfree(h);
	}
}

static void test_http_nul_in_body(void **state)
{
	struct hd *h = *state;
	static const char req[] = "POST /p HTTP/1.1\r\nContent-Length: 4\r\n"
				  "\r\na\0\r\n";

	assert_true(hd_feed(h, req, sizeof(req) - 1));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->reqs[0].body_len, 4);
	assert_memory_equal(h->reqs[0].body, "a\0\r\n", 4);
}

/* No Host header is needed: the server has one host. */
static void test_http_host_not_required(void **state)
{
	(void)state;
	accept_one("GET /health HTTP/1.1\r\n\r\n");
	accept_one("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

/* ---- request line -----------------------------------------------------*/

static void test_http_methods(void **state)
{
	static const struct {
		const char *m;
		enum eng_http_method want;
	} t[] = {
	    {"GET", ENG_HTTP_GET},	   {"POST", ENG_HTTP_POST},
	    {"DELETE", ENG_HTTP_DELETE},   {"PUT", ENG_HTTP_PUT},
	    {"PATCH", ENG_HTTP_PATCH},	   {"HEAD", ENG_HTTP_HEAD},
	    {"OPTIONS", ENG_HTTP_OPTIONS}, {"get", ENG_HTTP_OTHER},
	    {"BREW", ENG_HTTP_OTHER},	   {"X-Y!", ENG_HTTP_OTHER},
	    {"CONNECT", ENG_HTTP_OTHER},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hd *h = hnew();
		char buf[64];

		snprintf(buf, sizeof(buf), "%s /m HTTP/1.1\r\n\r\n", t[i].m);
		hd_feeds(h, buf);
		assert_int_equal(h->nreqs, 1);
		assert_int_equal(h->reqs[0].method, t[i].want);
		hfree(h);
	}
}

static void test_http_bad_request_line(void **state)
{
	(void)state;
	refuse("GARBAGE\r\n\r\n", 400);
	refuse("GET /\r\n\r\n", 400);
	refuse(" / HTTP/1.1\r\n\r\n", 400);
	refuse("G@T / HTTP/1.1\r\n\r\n", 400);
	refuse("G(T / HTTP/1.1\r\n\r\n", 400);
	refuse("GET  / HTTP/1.1\r\n\r\n", 400);
	refuse("GET /a b HTTP/1.1\r\n\r\n", 400);
	refuse("GET * HTTP/1.1\r\n\r\n", 400);
	refuse("GET http://x/health HTTP/1.1\r\n\r\n", 400);
	refuse("GET /a\tb HTTP/1.1\r\n\r\n", 400);
	refuse("GET /a\x7f HTTP/1.1\r\n\r\n", 400);
	refuse("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400);
	refuse("GET /health http/1.1\r\n\r\n", 400);
	refuse("GET /health FOO\r\n\r\n", 400);
}

static void test_http_bad_version(void **state)
{
	(void)state;
	refuse("GET /health HTTP/2.0\r\n\r\n", 505);
	refuse("GET /health HTTP/1.2\r\n\r\n", 505);
	refuse("GET /health HTTP/0.9\r\n\r\n", 505);
	refuse("GET /health HTTP/1.1x\r\n\r\n", 505);
	refuse("GET /health HTTP/1.1 \r\n\r\n", 505);
	refuse("GET /health HTTP/\r\n\r\n", 505);
	/* Anything else after "HTTP/", a bare CR included. */
	refuse("GET /health HTTP/1.1\rX\r\n\r\n", 505);
}

/* The path is passed on as sent (no percent-decoding, no dot-segment
 * removal); only the query is cut.  The API's account-id check refuses
 * '%' and '/' inside an id. */
static void test_http_path_not_decoded(void **state)
{
	struct hd *h = *state;

	assert_true(hd_feeds(h, "GET /accounts/a%2Fb%00?q=%20&r HTTP/1.1\r\n"
				"\r\nGET /a/../b/./c//?x HTTP/1.1\r\n\r\n"
				"GET /x#frag HTTP/1.1\r\n\r\n"
				"GET /? HTTP/1.1\r\n\r\n"
				"GET /q?a\x01\xff HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 5);
	assert_string_equal(h->reqs[0].path, "/accounts/a%2Fb%00");
	assert_string_equal(h->reqs[1].path, "/a/../b/./c//");
	assert_string_equal(h->reqs[2].path, "/x#frag");
	assert_string_equal(h->reqs[3].path, "/");
	/* The query is not checked (it is not used). */
	assert_string_equal(h->reqs[4].path, "/q");
}

/* ---- Content-Length ---------------------------------------------------*/

static void test_http_content_length(void **state)
{
	struct hd *h = *state;

	/* Leading zeros; CL: 0; a body with CRLFCRLF and a request in it. */
	assert_true(hd_feeds(h,
			     "POST /a HTTP/1.1\r\nContent-Length: 007\r\n\r\n"
			     "1234567"
			     "POST /b HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
			     "POST /c HTTP/1.1\r\nContent-Length: 21\r\n\r\n"
			     "GET /x HTTP/1.1\r\n\r\n\r\n"
			     "POST /d HTTP/1.1\r\nContent-Length: 2\r\n"
			     "Content-Length: 2\r\n\r\nhi"));
	assert_int_equal(h->nreqs, 4);
	assert_int_equal(h->reqs[0].body_len, 7);
	assert_memory_equal(h->reqs[0].body, "1234567", 7);
	assert_int_equal(h->reqs[1].body_len, 0);
	assert_string_equal(h->reqs[2].path, "/c");
	assert_int_equal(h->reqs[2].body_len, 21);
	/* A repeated identical Content-Length is accepted. */
	assert_string_equal(h->reqs[3].path, "/d");
	assert_memory_equal(h->reqs[3].body, "hi", 2);
}

/* The body is awaited: nothing is dispatched until its last byte. */
static void test_http_content_length_waits(void **state)
{
	struct hd *h = *state;

	assert_true(hd_feeds(h, "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
				"1234"));
	assert_int_equal(h->nreqs, 0);
	assert_int_equal(h->out_len, 0);
	assert_true(hd_feeds(h, "5"));
	assert_int_equal(h->nreqs, 1);
}

static void test_http_content_length_bad(void **state)
{
	(void)state;
	refuse("POST /p HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"
	       "\r\n\r\nxx",
	       400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: +1\r\n\r\nx", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: \r\n\r\n", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400);
	/* Overflowing and huge values: 413 at once, not a wrapped length. */
	refuse("POST /p HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n"
	       "\r\n",
	       413);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n"
	       "\r\n",
	       413);
	refuse("POST /p HTTP/1.1\r\nContent-Length: "
	       "99999999999999999999999999999999999999\r\n\r\n",
	       413);
	refuse("POST /p HTTP/1.1\r\nContent-Length: 4294967296\r\n\r\n", 413);
	/* Both framings: refused (request smuggling). */
	refuse("POST /p HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: "
	       "chunked\r\n\r\n0\r\n\r\n",
	       400);
	refuse("POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	       "Content-Length: 5\r\n\r\n0\r\n\r\n",
	       400);
}

/* ---- limits -----------------------------------------------------------*/

/* A request of exactly `total` header bytes (request line + one X header
 * + CRLF CRLF). */
static char *sized_request(size_t total)
{
	static const char head[] = "GET /p HTTP/1.1\r\nX: ";
	char *s = malloc(total + 1);
	size_t fill = total - (sizeof(head) - 1) - 4;

	assert_non_null(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', fill);
	memcpy(s + sizeof(head) - 1 + fill, "\r\n\r\n", 5);
	assert_int_equal(strlen(s), total);
	return s;
}

static void test_http_header_limit(void **state)
{
	char *s;
	struct hd *h;

	(void)state;
	s = sized_request(ENG_HTTP_HEADER_MAX);
	accept_one(s);
	free(s);
	s = sized_request(ENG_HTTP_HEADER_MAX + 1);
	refuse(s, 431);
	free(s);
	/* Without a header end: refused once more than the limit waits,
	 * not before. */
	s = sized_request(3 * ENG_HTTP_HEADER_MAX);
	h = hnew();
	hd_feed(h, s, ENG_HTTP_HEADER_MAX);
	assert_int_equal(h->out_len, 0);
	hd_feed(h, s + ENG_HTTP_HEADER_MAX, 1);
	refused(h, 431);
	/* What follows is discarded. */
	hd_feeds(h, "\r\n\r\nGET / HTTP/1.1\r\n\r\n");
	assert_int_equal(h->nreqs, 0);
	hfree(h);
	free(s);
	/* A long request line is the same limit. */
	s = malloc(ENG_HTTP_HEADER_MAX + 64);
	assert_non_null(s);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', ENG_HTTP_HEADER_MAX);
	strcpy(s + 5 + ENG_HTTP_HEADER_MAX, " HTTP/1.1\r\n\r\n");
	refuse(s, 431);
	free(s);
}

/* Bare LF is not a line end: such a request never completes and is
 * refused when the header limit is reached. */
static void test_http_bare_lf(void **state)
{
	struct hd *h = *state;
	char pad[ENG_HTTP_HEADER_MAX];

	assert_true(hd_feeds(h, "GET / HTTP/1.1\n\n"));
	assert_int_equal(h->nreqs, 0);
	assert_int_equal(h->out_len, 0);
	memset(pad, '\n', sizeof(pad));
	hd_feed(h, pad, sizeof(pad));
	refused(h, 431);
}

static char *cl_request(size_t body_len)
{
	char *s = malloc(body_len + 128);
	int n;

	assert_non_null(s);
	n = snprintf(s, 128, "POST /p HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
		     body_len);
	memset(s + n, 'b', body_len);
	s[(size_t)n + body_len] = 0;
	return s;
}

static void test_http_body_limit(void **state)
{
	struct hd *h;
	char *s;

	(void)state;
	s = cl_request(ENG_HTTP_BODY_MAX);
	h = hnew();
	hd_feeds(h, s);
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->reqs[0].body_len, ENG_HTTP_BODY_MAX);
	hfree(h);
	free(s);
	/* Over the cap: 413 as soon as the header is there. */
	h = hnew();
	hd_feeds(h, "POST /p HTTP/1.1\r\nContent-Length: 65537\r\n\r\n");
	refused(h, 413);
	hfree(h);
}

/* ---- chunked ----------------------------------------------------------*/

static const char chunked_req[] = "POST /c HTTP/1.1\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "Idempotency-Key: ck\r\n"
				  "\r\n"
				  "5;name=value;x\r\n"
				  "{\"amo\r\n"
				  "A \r\n"
				  "unt\":\"1\",\"\r\n"
				  "9\r\n"
				  "scale\":0}\r\n"
				  "0\r\n"
				  "Trailer-One: x\r\n"
				  "Trailer-Two: y\r\n"
				  "\r\n";

static void check_chunked(const struct hd_req *q)
{
	assert_int_equal(q->method, ENG_HTTP_POST);
	assert_string_equal(q->path, "/c");
	assert_string_equal(q->idem_key, "ck");
	assert_int_equal(q->body_len, 24);
	assert_memory_equal(q->body, "{\"amount\":\"1\",\"scale\":0}", 24);
}

static void test_http_chunked(void **state)
{
	struct hd *h = *state;
	size_t n = strlen(chunked_req);

	assert_true(hd_feeds(h, chunked_req));
	assert_int_equal(h->nreqs, 1);
	check_chunked(&h->reqs[0]);
	/* Byte by byte, then a request pipelined behind it. */
	for (size_t i = 0; i < n; i++)
		hd_feed(h, chunked_req + i, 1);
	assert_int_equal(h->nreqs, 2);
	check_chunked(&h->reqs[1]);
	/* Split at every point. */
	for (size_t k = 0; k <= n; k++) {
		struct hd *g = hnew();

		hd_feed(g, chunked_req, k);
		hd_feed(g, chunked_req + k, n - k);
		assert_int_equal(g->nreqs, 1);
		check_chunked(&g->reqs[0]);
		hfree(g);
	}
	/* Empty body, hex case, leading zeros. */
	assert_true(hd_feeds(h, "POST /e HTTP/1.1\r\nTransfer-Encoding: "
				"chunked\r\n\r\n0\r\n\r\n"
				"POST /f HTTP/1.1\r\nTransfer-Encoding: "
				"Chunked\r\n\r\n00000000b\r\nhello world\r\n"
				"0000\r\n\r\nGET /g HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 5);
	assert_int_equal(h->reqs[2].body_len, 0);
	assert_int_equal(h->reqs[3].body_len, 11);
	assert_memory_equal(h->reqs[3].body, "hello world", 11);
	assert_string_equal(h->reqs[4].path, "/g");
	assert_false(hd_closing(h));
}

static void test_http_chunked_bad_framing(void **state)
{
#define TE "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	char big[600];

	(void)state;
	refuse(TE "zz\r\n", 400);
	refuse(TE "\r\n", 400);
	refuse(TE ";ext\r\n", 400);
	refuse(TE " 5\r\nhello\r\n0\r\n\r\n", 400);
	refuse(TE "-5\r\n", 400);
	refuse(TE "5\nhello\r\n0\r\n\r\n", 400);
	refuse(TE "5\r\nhelloX\r\n0\r\n\r\n", 400);
	refuse(TE "5\r\nhello\n0\r\n\r\n", 400);
	refuse(TE "0x5\r\nhello\r\n0\r\n\r\n", 400);
	/* A chunk-size line (with its extensions) over 256 bytes. */
	snprintf(big, sizeof(big), TE "1;%0500d\r\nx\r\n0\r\n\r\n", 0);
	refuse(big, 400);
	/* Other codings: 501. */
	refuse("POST /c HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
	refuse("POST /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	       501);
	refuse("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	       "Transfer-Encoding: identity\r\n\r\n",
	       501);
	refuse("POST /c HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 501);
#undef TE
}

static void test_http_chunked_limits(void **state)
{
	static const char te[] = "POST /c HTTP/1.1\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n";
	struct hd *h;
	char *s, *p;

	(void)state;
	/* Exactly the cap, in two chunks: accepted. */
	s = malloc(2 * ENG_HTTP_BODY_MAX);
	assert_non_null(s);
	p = s + sprintf(s, "%s8000\r\n", te);
	memset(p, 'x', 0x8000);
	p += 0x8000;
	p += sprintf(p, "\r\n8000\r\n");
	memset(p, 'y', 0x8000);
	p += 0x8000;
	strcpy(p, "\r\n0\r\n\r\n");
	h = hnew();
	hd_feeds(h, s);
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->reqs[0].body_len, ENG_HTTP_BODY_MAX);
	hfree(h);
	/* One byte more: 413 as soon as the chunk size is read. */
	h = hnew();
	hd_feeds(h, te);
	hd_feeds(h, "10001\r\n");
	refused(h, 413);
	hfree(h);
	h = hnew();
	hd_feeds(h, te);
	hd_feeds(h, "8000\r\n");
	hd_feed(h, s + strlen(te) + 6, 0x8002);
	assert_int_equal(h->out_len, 0);
	hd_feeds(h, "8001\r\n");
	refused(h, 413);
	hfree(h);
	/* A huge chunk size does not wrap. */
	h = hnew();
	hd_feeds(h, te);
	hd_feeds(h, "ffffffffffffffffffffffff\r\n");
	refused(h, 413);
	hfree(h);
	/* Tiny chunks: the raw framing is capped too (4x the body cap). */
	h = hnew();
	hd_feeds(h, te);
	for (size_t i = 0; i < 4 * ENG_HTTP_BODY_MAX / 8 && !h->out_len; i++)
		hd_feeds(h, "1;aa\r\nx\r\n");
	refused(h, 413);
	hfree(h);
	free(s);
}

/* A chunked body that arrives a byte at a time costs time linear in its
 * size: each arrival resumes where the parser stopped instead of parsing
 * every chunk again (which took ~30 s of the event loop's CPU for this
 * 240 kB request of 1-byte chunks).  The bound is ~100 times what the
 * linear parser needs, and ~5 times less than what the quadratic one
 * took, even without optimisation. */
static void test_http_chunked_incremental(void **state)
{
	static const char te[] = "POST /c HTTP/1.1\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n";
	struct hd *h = *state;
	size_t nch = 40000, n = sizeof(te) - 1 + nch * 6 + 5;
	char *s = malloc(n + 1), *p;
	clock_t t0;
	double secs;

	assert_non_null(s);
	p = s + sprintf(s, "%s", te);
	for (size_t i = 0; i < nch; i++)
		p += sprintf(p, "1\r\n%c\r\n", 'a' + (int)(i % 26));
	strcpy(p, "0\r\n\r\n");
	t0 = clock();
	for (size_t i = 0; i < n; i++)
		assert_true(hd_feed(h, s + i, 1));
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->reqs[0].body_len, nch);
	for (size_t i = 0; i < nch; i++)
		assert_int_equal(h->reqs[0].body[i], 'a' + (int)(i % 26));
	if (secs > 6.0)
		fail_msg("%zu one-byte chunks took %.1f s of CPU", nch, secs);
	free(s);
}

/* The trailer section after the last chunk is bounded like a header
 * section: 431 once more than ENG_HTTP_HEADER_MAX bytes of it wait, with
 * or without line ends, so that a client cannot grow the input buffer
 * without end. */
static void test_http_chunked_trailer_limit(void **state)
{
	static const char te[] = "POST /c HTTP/1.1\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "3\r\nabc\r\n0\r\n";
	char line[64];
	struct hd *h;

	(void)state;
	/* One endless trailer line. */
	h = hnew();
	hd_feeds(h, te);
	memset(line, 'x', sizeof(line));
	for (size_t i = 0; i < 4 * ENG_HTTP_BODY_MAX / sizeof(line); i++)
		if (!hd_feed(h, line, sizeof(line)) || h->out_len)
			break;
	refused(h, 431);
	hfree(h);
	/* Many short trailer lines. */
	h = hnew();
	hd_feeds(h, te);
	for (size_t i = 0; i < 4 * ENG_HTTP_BODY_MAX / 8; i++)
		if (!hd_feeds(h, "T: 1234\r\n") || h->out_len)
			break;
	refused(h, 431);
	hfree(h);
	/* Trailers within the limit are accepted (and dropped). */
	h = hnew();
	hd_feeds(h, te);
	for (size_t i = 0; i < (ENG_HTTP_HEADER_MAX - 64) / 9; i++)
		hd_feeds(h, "T: 1234\r\n");
	hd_feeds(h, "\r\n");
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(h->reqs[0].body_len, 3);
	hfree(h);
}

/* ---- connection management --------------------------------------------*/

static void test_http_keepalive(void **state)
{
	struct hd *h = *state;
	struct hd_resp r[4];

	for (int i = 0; i < 3; i++)
		assert_true(hd_feeds(h, "GET /k HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 3);
	assert_int_equal(hd_parse(h, r, 4, NULL), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(r[i].connection, "");
	assert_false(hd_closing(h));
	/* "keep-alive" on 1.1 changes nothing. */
	assert_true(hd_feeds(h, "GET /k HTTP/1.1\r\nConnection: keep-alive"
				"\r\n\r\n"));
	assert_false(hd_closing(h));
}

static void test_http_connection_close(void **state)
{
	struct hd *h = *state;
	struct hd_resp r;

	/* A pipelined request after the close is not served. */
	assert_true(hd_feeds(h, "GET /a HTTP/1.1\r\nConnection: foo, close"
				"\r\n\r\nGET /b HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	r = one(h);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.connection, "close");
	assert_true(hd_closing(h));
	/* Input after the answer is read and discarded. */
	assert_true(hd_feeds(h, "GET /c HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(one(h).status, 200);
	/* "close" wins over "keep-alive". */
	accept_one("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n");
}

static void test_http_http10(void **state)
{
	struct hd *h = *state;
	struct hd_resp r;

	assert_true(hd_feeds(h, "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n"
				"\r\n"));
	assert_int_equal(h->nreqs, 1);
	r = one(h);
	/* Answers are always HTTP/1.1 (RFC 9110 6.2). */
	assert_int_equal(r.status, 200);
	assert_string_equal(r.connection, "close");
	assert_true(hd_closing(h));

	/* HTTP/1.0 keep-alive when asked for. */
	h = hnew();
	assert_true(hd_feeds(h, "GET /a HTTP/1.0\r\nConnection: Keep-Alive"
				"\r\n\r\nGET /b HTTP/1.0\r\n\r\n"));
	assert_int_equal(h->nreqs, 2);
	{
		struct hd_resp rs[2];

		assert_int_equal(hd_parse(h, rs, 2, NULL), 2);
		assert_string_equal(rs[0].connection, "keep-alive");
		assert_string_equal(rs[1].connection, "close");
	}
	assert_true(hd_closing(h));
	hfree(h);
}

static void test_http_expect_continue(void **state)
{
	struct hd *h = *state;
	struct hd_resp r[3];

	assert_true(hd_feeds(h, "POST /e HTTP/1.1\r\nContent-Length: 3\r\n"
				"Expect: 100-Continue\r\n\r\n"));
	assert_int_equal(h->nreqs, 0);
	assert_int_equal(hd_parse(h, r, 3, NULL), 1);
	assert_int_equal(r[0].status, 100);
	assert_true(hd_feeds(h, "ab"));
	assert_true(hd_feeds(h, "c"));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(hd_parse(h, r, 3, NULL), 2);
	assert_int_equal(r[1].status, 200);
	/* Only one interim answer per request; none when the body is
	 * already there. */
	assert_true(hd_feeds(h, "POST /f HTTP/1.1\r\nContent-Length: 1\r\n"
				"Expect: 100-continue\r\n\r\nx"));
	assert_int_equal(hd_parse(h, r, 3, NULL), 3);
	assert_int_equal(r[2].status, 200);
	refuse("POST /e HTTP/1.1\r\nExpect: something\r\n\r\n", 400);
}

/* HTTP/1.0 has no chunked coding: such a request is served but its
 * framing is not trusted, so the connection closes after the answer
 * (RFC 9112 6.1), even when keep-alive was asked for. */
static void test_http_http10_chunked_closes(void **state)
{
	struct hd *h = *state;
	struct hd_resp r;

	assert_true(hd_feeds(h, "POST /c HTTP/1.0\r\nConnection: keep-alive"
				"\r\nTransfer-Encoding: chunked\r\n\r\n"
				"2\r\nhi\r\n0\r\n\r\n"
				"GET /smuggled HTTP/1.0\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	assert_memory_equal(h->reqs[0].body, "hi", 2);
	r = one(h);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.connection, "close");
	assert_true(hd_closing(h));
}

/* An HTTP/1.0 client does not know 100 Continue: the expectation is
 * ignored (RFC 9110 10.1.1). */
static void test_http_http10_expect_ignored(void **state)
{
	struct hd *h = *state;

	assert_true(hd_feeds(h, "POST /e HTTP/1.0\r\nContent-Length: 1\r\n"
				"Expect: 100-continue\r\n\r\n"));
	assert_int_equal(h->out_len, 0);
	assert_true(hd_feeds(h, "x"));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(one(h).status, 200);
}

/* The answer to HEAD has the headers of the answer to GET and no body
 * (RFC 9110 9.3.2): a body would be read as the start of the next
 * answer on a kept-alive connection. */
static void test_http_head_has_no_body(void **state)
{
	static const char want[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Length: 2\r\n\r\n"
				   "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Length: 2\r\n\r\nok";
	struct hd *h = *state;

	assert_true(hd_feeds(h, "HEAD /h HTTP/1.1\r\n\r\n"
				"GET /h HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 2);
	assert_int_equal(h->reqs[0].method, ENG_HTTP_HEAD);
	assert_int_equal(h->out_len, sizeof(want) - 1);
	assert_memory_equal(h->out, want, sizeof(want) - 1);
	assert_false(hd_closing(h));
	{
		struct hd_resp r[3];
		size_t rest;

		assert_int_equal(hd_parse(h, r, 3, &rest), 2);
		assert_int_equal(rest, 0);
		assert_int_equal(r[0].content_length, 2);
		assert_int_equal(r[0].body_len, 0);
		assert_int_equal(r[1].body_len, 2);
	}
}

/* While an answer is pending, input past the pipelining cap pauses
 * reading; the answer resumes it. */
static void test_http_flow_control(void **state)
{
	struct hd *h = *state;
	char *s = cl_request(ENG_HTTP_BODY_MAX);
	size_t n = strlen(s);

	h->defer = true;
	assert_true(hd_feeds(h, "GET /slow HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	for (int i = 0; i < 3 && !h->rx_paused; i++)
		hd_feed(h, s, n);
	assert_true(h->rx_paused);
	hd_reply(h, 200, NULL, NULL);
	assert_false(h->rx_paused);
	assert_int_equal(h->nreqs, 2);
	free(s);
}

/* A client that closes with a request unanswered: the owner is told. */
static void test_http_closed_while_pending(void **state)
{
	struct hd *h = *state;

	h->defer = true;
	assert_true(hd_feeds(h, "GET /slow HTTP/1.1\r\n\r\n"));
	assert_non_null(h->conn);
	hd_close(h);
	assert_int_equal(h->closed_calls, 1);
	assert_int_equal(h->srv.conns, 0);
	/* Answered ones are not reported. */
	h = hnew();
	hd_feeds(h, "GET /fast HTTP/1.1\r\n\r\n");
	hd_close(h);
	assert_int_equal(h->closed_calls, 0);
	free(h);
}

static void test_http_stopping(void **state)
{
	struct hd *h = *state;

	h->srv.stopping = true;
	assert_true(hd_feeds(h, "GET /health HTTP/1.1\r\n\r\n"));
	refused(h, 503);
}

/* An error answer after good requests on the same connection. */
static void test_http_error_after_good(void **state)
{
	struct hd *h = *state;
	struct hd_resp r[3];

	assert_true(hd_feeds(h, "GET /a HTTP/1.1\r\n\r\nBAD\r\n\r\n"
				"GET /b HTTP/1.1\r\n\r\n"));
	assert_int_equal(h->nreqs, 1);
	assert_int_equal(hd_parse(h, r, 3, NULL), 2);
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[1].status, 400);
	assert_string_equal(r[1].connection, "close");
	assert_true(hd_closing(h));
}

static void test_http_reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(eng_http_reason(100), "Continue");
	assert_string_equal(eng_http_reason(201), "Created");
	assert_string_equal(eng_http_reason(204), "No Content");
	assert_string_equal(eng_http_reason(404), "Not Found");
	assert_string_equal(eng_http_reason(405), "Method Not Allowed");
	assert_string_equal(eng_http_reason(409), "Conflict");
	assert_string_equal(eng_http_reason(413), "Payload Too Large");
	assert_string_equal(eng_http_reason(415), "Unsupported Media Type");
	assert_string_equal(eng_http_reason(431),
			    "Request Header Fields Too Large");
	assert_string_equal(eng_http_reason(503), "Service Unavailable");
	assert_string_equal(eng_http_reason(505), "HTTP Version Not Supported");
	assert_string_equal(eng_http_reason(418), "Unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_http_one_piece),
	    T(test_http_byte_by_byte),
	    T(test_http_every_split),
	    T(test_http_pipelined),
	    T(test_http_pipelined_waits_for_answer),
	    T(test_http_leading_empty_lines),
	    T(test_http_headers_case_insensitive),
	    T(test_http_optional_headers),
	    T(test_http_duplicate_single_headers),
	    T(test_http_header_syntax),
	    T(test_http_nul_bytes),
	    T(test_http_nul_in_body),
	    T(test_http_host_not_required),
	    T(test_http_methods),
	    T(test_http_bad_request_line),
	    T(test_http_bad_version),
	    T(test_http_path_not_decoded),
	    T(test_http_content_length),
	    T(test_http_content_length_waits),
	    T(test_http_content_length_bad),
	    T(test_http_header_limit),
	    T(test_http_bare_lf),
	    T(test_http_body_limit),
	    T(test_http_chunked),
	    T(test_http_chunked_bad_framing),
	    T(test_http_chunked_limits),
	    T(test_http_chunked_trailer_limit),
	    T(test_http_chunked_incremental),
	    T(test_http_keepalive),
	    T(test_http_connection_close),
	    T(test_http_http10),
	    T(test_http_expect_continue),
	    T(test_http_http10_chunked_closes),
	    T(test_http_http10_expect_ignored),
	    T(test_http_head_has_no_body),
	    T(test_http_flow_control),
	    T(test_http_closed_while_pending),
	    T(test_http_stopping),
	    T(test_http_error_after_good),
	    T(test_http_reason_phrases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
