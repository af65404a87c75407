/* HTTP/1.1 request parsing and answering on lws raw sockets (see http.h).
 *
 * Per connection: an input buffer that accumulates bytes until one
 * complete request (headers, then a Content-Length or chunked body) is
 * there; the handler is called with views into that buffer; the reply is
 * formatted into an output buffer and written from RAW_WRITEABLE; then the
 * request's bytes are dropped and the next pipelined request, if any, is
 * parsed.  A request the parser refuses is answered with a problem+json
 * error and the connection is closed after the answer (its remaining input
 * is read and discarded so that the client sees the answer, not a reset).
 */
#include "src/io/http.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "src/util/log.h"

#define IDLE_TIMEOUT_S 120
/* Most raw input buffered for one chunked body (chunk framing included). */
#define CHUNKED_RAW_MAX (4 * ENG_HTTP_BODY_MAX)
/* Input held while a request is being answered before reading pauses. */
#define PIPELINE_MAX (ENG_HTTP_HEADER_MAX + 2 * ENG_HTTP_BODY_MAX)

enum parse_result {
	PARSE_NEED_MORE = 0,
	PARSE_OK = 1,
	/* Anything else is an HTTP status to answer, then close. */
};

struct eng_http_conn {
	struct lws *wsi;
	struct eng_http_server *srv;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out; /* LWS_PRE bytes of headroom, then the reply */
	size_t out_len, out_cap;
	uint8_t *body; /* decoded chunked body */
	size_t body_len;
	size_t chunk_pos; /* in[] offset of the next chunk-size line */
	/* The request being parsed / answered. */
	bool hdr_done;
	size_t hdr_len;
	size_t path_off;
	long ctype_off, key_off; /* -1: absent */
	enum eng_http_method method;
	bool chunked;
	bool expect_continue, sent_continue;
	uint64_t content_length;
	size_t consume; /* bytes of in[] this request occupies */
	bool keepalive, http10;
	bool busy;    /* handed to the handler, not answered yet */
	bool replied; /* reply in out[], to be written */
	bool send_continue;
	bool close_after; /* close once the reply is written */
	bool closing;	  /* FIN sent, discarding input until close */
	bool rx_off;
};

size_t eng_http_session_size(void)
{
	return sizeof(struct eng_http_conn);
}

const char *eng_http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Unknown";
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 1024;
	uint8_t *p;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool ieq(const char *a, const char *b)
{
	while (*a && *b)
		if (lower((unsigned char)*a++) != lower((unsigned char)*b++))
			return false;
	return *a == *b;
}

/* Does the comma-separated header value contain token tok? */
static bool has_token(const char *v, const char *tok)
{
	size_t tl = strlen(tok);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		const char *s = v;
		while (*v && *v != ',')
			v++;
		const char *e = v;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == tl) {
			bool same = true;

			for (size_t i = 0; i < tl; i++)
				if (lower((unsigned char)s[i]) !=
				    lower((unsigned char)tok[i]))
					same = false;
			if (same)
				return true;
		}
	}
	return false;
}

static enum eng_http_method method_of(const char *m)
{
	static const struct {
		const char *name;
		enum eng_http_method m;
	} t[] = {
	    {"GET", ENG_HTTP_GET},	   {"POST", ENG_HTTP_POST},
	    {"DELETE", ENG_HTTP_DELETE},   {"PUT", ENG_HTTP_PUT},
	    {"PATCH", ENG_HTTP_PATCH},	   {"HEAD", ENG_HTTP_HEAD},
	    {"OPTIONS", ENG_HTTP_OPTIONS},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(m, t[i].name))
			return t[i].m;
	return ENG_HTTP_OTHER;
}

static bool is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Finds "\r\n\r\n" in in[0..len); returns the offset after it or 0. */
static size_t find_hdr_end(const uint8_t *in, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (in[i] == '\n' && in[i - 1] == '\r' && in[i - 2] == '\n' &&
		    in[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* Parses the header block in[0..hdr_len) in place (NUL-terminating the
 * pieces).  Returns PARSE_OK or an error status. */
/* The request line "METHOD SP TARGET SP HTTP/1.x" at c->in: NUL
 * terminates its parts, sets the method, version, keep-alive default and
 * path, and *next to the first header line.  PARSE_OK or a status. */
static int parse_request_line(struct eng_http_conn *c, char **next)
{
	char *line = (char *)c->in, *nl, *sp1, *sp2;

	nl = strstr(line, "\r\n");
	if (!nl)
		return 400;
	*nl = '\0';
	sp1 = strchr(line, ' ');
	if (!sp1)
		return 400;
	*sp1 = '\0';
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2)
		return 400;
	*sp2 = '\0';
	for (char *m = line; *m; m++)
		if (!is_tchar((unsigned char)*m))
			return 400;
	if (!*line || sp1[1] != '/')
		return 400;
	if (!strcmp(sp2 + 1, "HTTP/1.1"))
		c->http10 = false;
	else if (!strcmp(sp2 + 1, "HTTP/1.0"))
		c->http10 = true;
	else if (!strncmp(sp2 + 1, "HTTP/", 5))
		return 505;
	else
		return 400;
	c->method = method_of(line);
	c->keepalive = !c->http10;
	char *q = strchr(sp1 + 1, '?');
	if (q)
		*q = '\0';
	for (char *t = sp1 + 1; *t; t++)
		if ((unsigned char)*t <= ' ' || (unsigned char)*t >= 0x7f)
			return 400;
	c->path_off = (size_t)(sp1 + 1 - (char *)c->in);
	*next = nl + 2;
	return PARSE_OK;
}

/* Splits the header line p ("Name: value", NUL terminated) in place into
 * *name and *value (surrounding blanks removed).  PARSE_OK or 400. */
static int split_header(char *p, char **name, char **value)
{
	char *colon, *v, *ve;

	if (*p == ' ' || *p == '\t')
		return 400; /* obsolete line folding */
	colon = strchr(p, ':');
	if (!colon || colon == p)
		return 400;
	*colon = '\0';
	for (char *n = p; *n; n++)
		if (!is_tchar((unsigned char)*n))
			return 400;
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	ve = v + strlen(v);
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		*--ve = '\0';
	for (char *t = v; *t; t++)
		if ((unsigned char)*t < ' ' && *t != '\t')
			return 400;
	*name = p;
	*value = v;
	return PARSE_OK;
}

/* A Content-Length value: digits only, the same when given twice.
 * PARSE_OK, 400, or 413 for a number too large to hold. */
static int content_length(struct eng_http_conn *c, const char *v, bool *have_cl)
{
	uint64_t n = 0;

	if (!*v)
		return 400;
	for (const char *d = v; *d; d++) {
		if (*d < '0' || *d > '9')
			return 400;
		if (n > (UINT64_MAX - 9) / 10)
			return 413;
		n = n * 10 + (uint64_t)(*d - '0');
	}
	if (*have_cl && n != c->content_length)
		return 400;
	*have_cl = true;
	c->content_length = n;
	return PARSE_OK;
}

/* Applies one header to c.  PARSE_OK or a status. */
static int apply_header(struct eng_http_conn *c, const char *name, char *v,
			bool *have_cl, bool *have_te)
{
	if (ieq(name, "content-length"))
		return content_length(c, v, have_cl);
	if (ieq(name, "transfer-encoding")) {
		if (!ieq(v, "chunked"))
			return 501;
		*have_te = true;
		c->chunked = true;
	} else if (ieq(name, "content-type")) {
		if (c->ctype_off >= 0)
			return 400;
		c->ctype_off = v - (char *)c->in;
	} else if (ieq(name, "idempotency-key")) {
		if (c->key_off >= 0)
			return 400;
		c->key_off = v - (char *)c->in;
	} else if (ieq(name, "connection")) {
		if (has_token(v, "close"))
			c->keepalive = false;
		else if (has_token(v, "keep-alive"))
			c->keepalive = true;
	} else if (ieq(name, "expect")) {
		if (!ieq(v, "100-continue"))
			return 400; /* RFC 9110 allows 417 */
		/* RFC 9110 10.1.1: ignored from HTTP/1.0 */
		c->expect_continue = !c->http10;
	}
	return PARSE_OK;
}

static int parse_headers(struct eng_http_conn *c)
{
	char *p, *nl, *end = (char *)c->in + c->hdr_len - 2;
	bool have_cl = false, have_te = false;
	int st;

	c->ctype_off = c->key_off = -1;
	c->chunked = c->expect_continue = c->sent_continue = false;
	c->content_length = 0;
	c->body_len = 0;
	c->chunk_pos = c->hdr_len;
	st = parse_request_line(c, &p);
	for (; st == PARSE_OK && p < end; p = nl + 2) {
		char *name, *v;

		nl = strstr(p, "\r\n");
		if (!nl)
			return 400;
		*nl = '\0';
		st = split_header(p, &name, &v);
		if (st == PARSE_OK)
			st = apply_header(c, name, v, &have_cl, &have_te);
	}
	if (st != PARSE_OK)
		return st;
	if (have_cl && have_te)
		return 400;
	/* RFC 9112 6.1: HTTP/1.0 has no Transfer-Encoding; the framing is
	 * faulty, so close after the answer. */
	if (have_te && c->http10)
		c->keepalive = false;
	if (c->content_length > ENG_HTTP_BODY_MAX)
		return 413;
	return PARSE_OK;
}

/* Decodes the chunked body that starts at in[hdr_len], resuming after the
 * chunks decoded by earlier calls (so that a body arriving in small pieces
 * is not parsed again and again).  Returns PARSE_NEED_MORE, PARSE_OK (body
 * in c->body, c->consume set) or an error status. */
static int parse_chunked(struct eng_http_conn *c)
{
	size_t pos = c->chunk_pos, len = c->in_len;
	const uint8_t *in = c->in;

	if (!c->body) {
		c->body = malloc(ENG_HTTP_BODY_MAX);
		if (!c->body)
			return 500;
	}
	for (;;) {
		uint64_t size = 0;
		size_t i = pos;
		bool digits = false, ext = false;

		/* chunk-size [; ext] CRLF */
		for (; i < len && in[i] != '\r'; i++) {
			int ch = in[i], d;

			if (i - pos > 256)
				return 400;
			if (ext)
				continue;
			if (ch == ';' || ch == ' ' || ch == '\t') {
				ext = true;
				continue;
			}
			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (lower(ch) >= 'a' && lower(ch) <= 'f')
				d = lower(ch) - 'a' + 10;
			else
				return 400;
			if (size > ENG_HTTP_BODY_MAX)
				return 413;
			size = size * 16 + (uint64_t)d;
			digits = true;
		}
		if (i + 1 >= len)
			return len - c->hdr_len > CHUNKED_RAW_MAX
				   ? 413
				   : PARSE_NEED_MORE;
		if (in[i + 1] != '\n' || !digits)
			return 400;
		pos = i + 2;
		if (size == 0) {
			/* trailer-section CRLF, bounded as a header section
			 * (also while incomplete: the input must not grow
			 * without end) */
			size_t t0 = pos;

			for (;;) {
				size_t j = pos;

				while (j + 1 < len &&
				       !(in[j] == '\r' && in[j + 1] == '\n'))
					j++;
				if (j - t0 > ENG_HTTP_HEADER_MAX)
					return 431;
				if (j + 1 >= len)
					return PARSE_NEED_MORE;
				if (j == pos) {
					c->consume = j + 2;
					return PARSE_OK;
				}
				pos = j + 2;
			}
		}
		if (c->body_len + size > ENG_HTTP_BODY_MAX)
			return 413;
		if (len - pos < size + 2)
			return len - c->hdr_len > CHUNKED_RAW_MAX
				   ? 413
				   : PARSE_NEED_MORE;
		if (in[pos + size] != '\r' || in[pos + size + 1] != '\n')
			return 400;
		memcpy(c->body + c->body_len, in + pos, size);
		c->body_len += size;
		pos += size + 2;
		c->chunk_pos = pos;
	}
}

static void json_escape(char *dst, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", ch);
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o] = '\0';
}

void eng_http_reply(struct eng_http_conn *c, int status, const char *ctype,
		    const char *extra_headers, const void *body, size_t len)
{
	char hdr[512];
	int n;
	/* RFC 9110 9.3.2: the answer to HEAD has no content (its
	 * Content-Length is that of the answer to GET). */
	size_t blen = c->hdr_done && c->method == ENG_HTTP_HEAD ? 0 : len;

	XU_ASSERT(c->busy && !c->replied);
	if (!c->keepalive)
		c->close_after = true;
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n%s%s\r\n",
		     status, eng_http_reason(status),
		     ctype ? "Content-Type: " : "", ctype ? ctype : "",
		     ctype ? "\r\n" : "", len,
		     c->close_after ? "Connection: close\r\n"
		     : c->http10    ? "Connection: keep-alive\r\n"
				    : "",
		     extra_headers ? extra_headers : "");
	XU_ASSERT(n > 0 && (size_t)n < sizeof(hdr));
	if (!grow(&c->out, &c->out_cap, LWS_PRE + (size_t)n + blen)) {
		/* Out of memory: drop the connection rather than lie. */
		c->out_len = 0;
		c->close_after = true;
		c->replied = true;
		lws_callback_on_writable(c->wsi);
		return;
	}
	memcpy(c->out + LWS_PRE, hdr, (size_t)n);
	if (blen)
		memcpy(c->out + LWS_PRE + n, body, blen);
	c->out_len = (size_t)n + blen;
	c->replied = true;
	lws_callback_on_writable(c->wsi);
}

/* Answers a request the parser refused and closes afterwards. */
static void reply_error(struct eng_http_conn *c, int status, const char *detail)
{
	char body[400], esc[256];
	int n;

	json_escape(esc, sizeof(esc), detail);
	n = snprintf(body, sizeof(body),
		     "{\"title\":\"%s\",\"status\":%d,\"detail\":\"%s\"}",
		     eng_http_reason(status), status, esc);
	c->busy = true;
	c->close_after = true;
	eng_http_reply(c, status, "application/problem+json", NULL, body,
		       (size_t)n);
}

static const char *error_detail(int status)
{
	switch (status) {
	case 413:
		return "request body larger than the 65536-byte limit";
	case 431:
		return "request header section larger than 8192 bytes";
	case 501:
		return "unsupported Transfer-Encoding (only chunked)";
	case 505:
		return "only HTTP/1.0 and HTTP/1.1 are supported";
	case 500:
		return "out of memory";
	}
	return "malformed HTTP request";
}

/* Parses and dispatches at most one request from the input buffer. */
static void process(struct eng_http_conn *c)
{
	int r;

	if (c->busy || c->closing || c->close_after)
		return;
	/* Tolerate empty lines before a request (RFC 9112 2.2). */
	if (!c->hdr_done) {
		size_t skip = 0;

		while (skip + 1 < c->in_len && c->in[skip] == '\r' &&
		       c->in[skip + 1] == '\n')
			skip += 2;
		if (skip) {
			memmove(c->in, c->in + skip, c->in_len - skip);
			c->in_len -= skip;
		}
		c->hdr_len = find_hdr_end(c->in, c->in_len);
		if (!c->hdr_len) {
			if (c->in_len > ENG_HTTP_HEADER_MAX)
				reply_error(c, 431, error_detail(431));
			return;
		}
		if (c->hdr_len > ENG_HTTP_HEADER_MAX) {
			reply_error(c, 431, error_detail(431));
			return;
		}
		/* NUL-terminate the block so that strstr stops there. */
		c->in[c->hdr_len - 1] = '\0';
		r = parse_headers(c);
		if (r != PARSE_OK) {
			reply_error(c, r, error_detail(r));
			return;
		}
		c->hdr_done = true;
	}
	if (c->chunked) {
		r = parse_chunked(c);
	} else if (c->in_len - c->hdr_len >= c->content_length) {
		c->consume = c->hdr_len + (size_t)c->content_length;
		r = PARSE_OK;
	} else {
		r = PARSE_NEED_MORE;
	}
	if (r == PARSE_NEED_MORE) {
		if (c->expect_continue && !c->sent_continue) {
			c->sent_continue = true;
			c->send_continue = true;
			lws_callback_on_writable(c->wsi);
		}
		return;
	}
	if (r != PARSE_OK) {
		reply_error(c, r, error_detail(r));
		return;
	}

	if (c->srv->stopping) {
		reply_error(c, 503, "shutting down");
		return;
	}

	struct eng_http_req req = {
	    .method = c->method,
	    .path = (const char *)c->in + c->path_off,
	    .content_type =
		c->ctype_off >= 0 ? (const char *)c->in + c->ctype_off : NULL,
	    .idem_key =
		c->key_off >= 0 ? (const char *)c->in + c->key_off : NULL,
	    .body = c->chunked ? c->body : c->in + c->hdr_len,
	    .body_len = c->chunked ? c->body_len : (size_t)c->content_length,
	};
	c->busy = true;
	c->srv->requests++;
	lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
	c->srv->on_request(c->srv->arg, c, &req);
}

/* The reply was written: drop the request and look for the next one. */
static int finish_request(struct eng_http_conn *c)
{
	if (c->close_after) {
		/* Half-close, then discard input until the client closes
		 * (or the timeout does). */
		c->closing = true;
		shutdown(lws_get_socket_fd(c->wsi), SHUT_WR);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 3);
		if (c->rx_off) {
			c->rx_off = false;
			lws_rx_flow_control(c->wsi, 1);
		}
		return 0;
	}
	memmove(c->in, c->in + c->consume, c->in_len - c->consume);
	c->in_len -= c->consume;
	c->consume = 0;
	c->busy = false;
	c->hdr_done = false;
	if (c->rx_off) {
		c->rx_off = false;
		lws_rx_flow_control(c->wsi, 1);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE,
			IDLE_TIMEOUT_S);
	process(c);
	return 0;
}

int eng_http_callback(struct eng_http_server *srv, struct lws *wsi, int reason,
		      void *user, void *in, size_t len)
{
	struct eng_http_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		memset(c, 0, sizeof(*c));
		c->wsi = wsi;
		c->srv = srv;
		srv->conns++;
		if (srv->stopping)
			return -1;
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE,
				IDLE_TIMEOUT_S);
		return 0;

	case LWS_CALLBACK_RAW_RX:
		if (c->closing)
			return 0;
		if (!grow(&c->in, &c->in_cap, c->in_len + len + 1))
			return -1;
		memcpy(c->in + c->in_len, in, len);
		c->in_len += len;
		if (!c->busy)
			process(c);
		else if (c->in_len > PIPELINE_MAX && !c->rx_off) {
			c->rx_off = true;
			lws_rx_flow_control(wsi, 0);
		}
		return 0;

	case LWS_CALLBACK_RAW_WRITEABLE:
		if (c->send_continue && !c->replied) {
			static const char cont[] =
			    "HTTP/1.1 100 Continue\r\n\r\n";
			uint8_t buf[LWS_PRE + sizeof(cont)];

			c->send_continue = false;
			memcpy(buf + LWS_PRE, cont, sizeof(cont) - 1);
			if (lws_write(wsi, buf + LWS_PRE, sizeof(cont) - 1,
				      LWS_WRITE_RAW) < 0)
				return -1;
			return 0;
		}
		if (!c->replied)
			return 0;
		if (!c->out_len)
			return -1;
		if (lws_write(wsi, c->out + LWS_PRE, c->out_len,
			      LWS_WRITE_RAW) < 0)
			return -1;
		c->replied = false;
		c->send_continue = false;
		return finish_request(c);

	case LWS_CALLBACK_RAW_CLOSE:
		if (c->busy && !c->replied && srv->on_closed)
			srv->on_closed(srv->arg, c);
		free(c->in);
		free(c->out);
		free(c->body);
		c->in = c->out = c->body = NULL;
		srv->conns--;
		return 0;
	}
	return 0;
}
