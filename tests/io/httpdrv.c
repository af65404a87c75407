/* Drives src/io/http.c without sockets (see httpdrv.h). */
#include "tests/io/httpdrv.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct hd *of(struct lws *wsi)
{
	return (struct hd *)(void *)wsi;
}

static struct lws *wsi_of(struct hd *h)
{
	return (struct lws *)(void *)h;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s);
	d = xmalloc(n + 1);
	memcpy(d, s, n + 1);
	return d;
}

/* ---- the lws calls http.c makes ---------------------------------------*/

int lws_callback_on_writable(struct lws *wsi)
{
	of(wsi)->writable = true;
	return 1;
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len,
	      enum lws_write_protocol protocol)
{
	struct hd *h = of(wsi);

	(void)protocol;
	if (h->out_len + len > h->out_cap) {
		size_t cap = h->out_cap ? h->out_cap : 4096;
		uint8_t *p;

		while (cap < h->out_len + len)
			cap *= 2;
		p = realloc(h->out, cap);
		if (!p)
			abort();
		h->out = p;
		h->out_cap = cap;
	}
	memcpy(h->out + h->out_len, buf, len);
	h->out_len += len;
	return (int)len;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	of(wsi)->timeout_reason = (int)reason;
	of(wsi)->timeout_secs = secs;
}

int lws_rx_flow_control(struct lws *wsi, int enable)
{
	of(wsi)->rx_paused = !enable;
	return 0;
}

lws_sockfd_type lws_get_socket_fd(struct lws *wsi)
{
	(void)wsi;
	return -1; /* shutdown(-1) fails with EBADF: nothing to do */
}

/* ---- the server side ---------------------------------------------------*/

static void record(struct hd *h, const struct eng_http_req *r)
{
	struct hd_req *q;

	if (h->nreqs == h->reqs_cap) {
		size_t cap = h->reqs_cap ? 2 * h->reqs_cap : 16;
		struct hd_req *p = realloc(h->reqs, cap * sizeof(*p));

		if (!p)
			abort();
		h->reqs = p;
		h->reqs_cap = cap;
	}
	q = &h->reqs[h->nreqs++];
	q->method = r->method;
	q->path = xstrdup(r->path);
	q->ctype = xstrdup(r->content_type);
	q->idem_key = xstrdup(r->idem_key);
	q->body = xmalloc(r->body_len + 1);
	if (r->body_len)
		memcpy(q->body, r->body, r->body_len);
	q->body[r->body_len] = 0;
	q->body_len = r->body_len;
}

static void on_request(void *arg, struct eng_http_conn *c,
		       const struct eng_http_req *r)
{
	struct hd *h = arg;

	record(h, r);
	h->conn = c;
	if (h->on_request) {
		h->on_request(h->arg, c, r);
		return;
	}
	if (!h->defer) {
		h->conn = NULL;
		eng_http_reply(c, 200, "text/plain", NULL, "ok", 2);
	}
}

static void on_closed(void *arg, struct eng_http_conn *c)
{
	struct hd *h = arg;

	h->closed_calls++;
	if (h->on_closed)
		h->on_closed(h->arg, c);
	h->conn = NULL;
}

void hd_open(struct hd *h)
{
	h->session = xmalloc(eng_http_session_size());
	h->srv.on_request = on_request;
	h->srv.on_closed = on_closed;
	h->srv.arg = h;
	if (eng_http_callback(&h->srv, wsi_of(h), LWS_CALLBACK_RAW_ADOPT,
			      h->session, NULL, 0))
		h->closed = true;
}

bool hd_pump(struct hd *h)
{
	while (!h->closed && h->writable) {
		h->writable = false;
		if (eng_http_callback(&h->srv, wsi_of(h),
				      LWS_CALLBACK_RAW_WRITEABLE, h->session,
				      NULL, 0))
			h->closed = true;
	}
	return !h->closed;
}

bool hd_feed(struct hd *h, const void *p, size_t n)
{
	if (h->closed)
		return false;
	if (eng_http_callback(&h->srv, wsi_of(h), LWS_CALLBACK_RAW_RX,
			      h->session, (void *)(uintptr_t)p, n))
		h->closed = true;
	return hd_pump(h);
}

bool hd_feeds(struct hd *h, const char *s)
{
	return hd_feed(h, s, strlen(s));
}

void hd_reply(struct hd *h, int status, const char *ctype, const char *body)
{
	struct eng_http_conn *c = h->conn;

	if (!c)
		abort();
	h->conn = NULL;
	eng_http_reply(c, status, ctype, NULL, body, body ? strlen(body) : 0);
	hd_pump(h);
}

bool hd_closing(const struct hd *h)
{
	return h->timeout_reason == PENDING_TIMEOUT_CLOSE_SEND;
}

void hd_close(struct hd *h)
{
	if (!h->session)
		return;
	eng_http_callback(&h->srv, wsi_of(h), LWS_CALLBACK_RAW_CLOSE,
			  h->session, NULL, 0);
	h->closed = true;
	free(h->session);
	h->session = NULL;
	for (size_t i = 0; i < h->nreqs; i++) {
		free(h->reqs[i].path);
		free(h->reqs[i].ctype);
		free(h->reqs[i].idem_key);
		free(h->reqs[i].body);
	}
	free(h->reqs);
	h->reqs = NULL;
	h->nreqs = h->reqs_cap = 0;
	free(h->out);
	h->out = NULL;
	h->out_len = h->out_cap = 0;
}

/* ---- response parsing --------------------------------------------------*/

/* Copies header value v[0..n) into dst (truncating). */
static void hcopy(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* Parses one response at p[0..len); returns its length or 0.  head:
 * the request was HEAD (1), was not (0), is not known (-1). */
static size_t parse_one(const uint8_t *p, size_t len, struct hd_resp *r,
			int head)
{
	const char *s = (const char *)p;
	size_t i, hend = 0, pos;

	for (i = 3; i < len; i++)
		if (!memcmp(p + i - 3, "\r\n\r\n", 4)) {
			hend = i + 1;
			break;
		}
	if (!hend || len < 13 || memcmp(p, "HTTP/1.1 ", 9))
		return 0;
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->status = atoi(s + 9);
	pos = (size_t)((const char *)memchr(p, '\r', len) - s);
	hcopy(r->reason, sizeof(r->reason), s + 13, pos > 13 ? pos - 13 : 0);
	pos += 2;
	while (pos < hend - 2) {
		const char *line = s + pos;
		const char *eol = memchr(line, '\r', hend - pos);
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		size_t nl, vl;
		const char *v;

		if (!colon)
			return 0;
		nl = (size_t)(colon - line);
		v = colon + 1;
		while (*v == ' ')
			v++;
		vl = (size_t)(eol - v);
		if (nl == 14 && !strncasecmp(line, "content-length", nl))
			r->content_length = strtol(v, NULL, 10);
		else if (nl == 12 && !strncasecmp(line, "content-type", nl))
			hcopy(r->ctype, sizeof(r->ctype), v, vl);
		else if (nl == 10 && !strncasecmp(line, "connection", nl))
			hcopy(r->connection, sizeof(r->connection), v, vl);
		else if (nl == 5 && !strncasecmp(line, "allow", nl))
			hcopy(r->allow, sizeof(r->allow), v, vl);
		pos = (size_t)(eol - s) + 2;
	}
	r->body = p + hend;
	if (r->status < 200 || r->status == 204 || head == 1 ||
	    (head == -1 && len == hend))
		r->body_len = 0;
	else if (r->content_length >= 0)
		r->body_len = (size_t)r->content_length;
	else
		return 0; /* http.c always sends Content-Length */
	if (len - hend < r->body_len)
		return 0;
	return hend + r->body_len;
}

size_t hd_parse(const struct hd *h, struct hd_resp *rs, size_t max,
		size_t *rest)
{
	size_t n = 0, off = 0, finals = 0;

	while (n < max && off < h->out_len) {
		int head = finals < h->nreqs
			       ? h->reqs[finals].method == ENG_HTTP_HEAD
			       : -1;
		size_t used =
		    parse_one(h->out + off, h->out_len - off, &rs[n], head);

		if (!used)
			break;
		if (rs[n].status >= 200)
			finals++;
		off += used;
		n++;
	}
	if (rest)
		*rest = h->out_len - off;
	return n;
}
