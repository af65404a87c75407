/* libFuzzer target for the HTTP/1.1 request parser of the REST API
 * (src/io/http.c), driven without sockets by tests/io/httpdrv.c.
 *
 * The input is the byte stream a client sends on one connection.  It is
 * delivered three ways: in one read; in reads of 1..64 bytes whose sizes
 * come from a hash of the input; and, for inputs up to 1 kB, a byte at a
 * time.  Every request is answered at once (200 "ok").  Checked:
 *   - all three deliveries give the same requests (method, path,
 *     Content-Type, Idempotency-Key, body) and the same bytes out, once
 *     the interim "100 Continue" answers are removed (they depend on
 *     whether the body came with the header);
 *   - the output is a sequence of complete answers: one per request, in
 *     order, plus at most one refusal (400, 413, 431, 501 or 505) at the
 *     end, after which the connection is half-closed;
 *   - each request is well formed: the path starts with '/' and holds no
 *     space, control, non-ASCII byte or '?'; header values have no
 *     control character but tab and no surrounding blanks; bodies are
 *     within ENG_HTTP_BODY_MAX;
 *   - a request of a known method, written out again in a canonical form,
 *     parses to the same request.
 * Any mismatch aborts.  tests/ledger/fuzz_replay.c replays the committed
 * corpus (tests/fuzz/corpus/http/) through this function in ctest. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/io/http.h"
#include "tests/io/httpdrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_http: %s\n", what);
		abort();
	}
}

static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t x = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		x = (x ^ p[i]) * 0x100000001b3u;
	return x ? x : 1;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Feeds data in reads of `step` bytes (0: sizes 1..64 from the hash). */
static struct hd *run(const uint8_t *data, size_t size, size_t step)
{
	struct hd *h = calloc(1, sizeof(*h));
	uint64_t s = hash(data, size);
	size_t off = 0;

	check(h != NULL, "out of memory");
	hd_open(h);
	while (off < size) {
		size_t n = step ? step : 1 + next(&s) % 64;

		if (n > size - off)
			n = size - off;
		hd_feed(h, data + off, n);
		off += n;
	}
	return h;
}

/* The output without the interim 100 answers (malloc'd, *len set). */
static uint8_t *finals_only(const struct hd *h, size_t *len)
{
	uint8_t *o = malloc(h->out_len + 1);
	size_t n = 0, cl = sizeof(cont) - 1;

	check(o != NULL, "out of memory");
	for (size_t i = 0; i < h->out_len;) {
		if (h->out_len - i >= cl && !memcmp(h->out + i, cont, cl)) {
			i += cl;
			continue;
		}
		o[n++] = h->out[i++];
	}
	*len = n;
	return o;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool req_eq(const struct hd_req *a, const struct hd_req *b)
{
	return a->method == b->method && str_eq(a->path, b->path) &&
	       str_eq(a->ctype, b->ctype) && str_eq(a->idem_key, b->idem_key) &&
	       a->body_len == b->body_len &&
	       !memcmp(a->body, b->body, a->body_len);
}

static void same(const struct hd *a, const struct hd *b, const char *how)
{
	uint8_t *oa, *ob;
	size_t la, lb;

	if (a->nreqs != b->nreqs) {
		fprintf(stderr, "fuzz_http: %zu requests, %zu %s\n", a->nreqs,
			b->nreqs, how);
		abort();
	}
	for (size_t i = 0; i < a->nreqs; i++)
		check(req_eq(&a->reqs[i], &b->reqs[i]),
		      "a request differs with the reads split");
	oa = finals_only(a, &la);
	ob = finals_only(b, &lb);
	check(la == lb && !memcmp(oa, ob, la),
	      "the answers differ with the reads split");
	check(hd_closing(a) == hd_closing(b),
	      "closing differs with the reads split");
	free(oa);
	free(ob);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_value(const char *v)
{
	size_t n;

	if (!v)
		return;
	n = strlen(v);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)v[i] >= 0x20 || v[i] == '\t',
		      "control character in a header value");
	check(n == 0 || (!blank(v[0]) && !blank(v[n - 1])),
	      "header value not trimmed");
}

static const char *method_name(enum eng_http_method m)
{
	switch (m) {
	case ENG_HTTP_GET:
		return "GET";
	case ENG_HTTP_POST:
		return "POST";
	case ENG_HTTP_DELETE:
		return "DELETE";
	case ENG_HTTP_PUT:
		return "PUT";
	case ENG_HTTP_PATCH:
		return "PATCH";
	case ENG_HTTP_HEAD:
		return "HEAD";
	case ENG_HTTP_OPTIONS:
		return "OPTIONS";
	case ENG_HTTP_OTHER:
		return NULL;
	}
	return NULL;
}

/* Writes q out canonically and parses it again. */
static void round_trip(const struct hd_req *q)
{
	const char *m = method_name(q->method);
	size_t cap, n;
	char *s;
	struct hd *h;

	if (!m)
		return;
	cap = strlen(q->path) + (q->ctype ? strlen(q->ctype) : 0) +
	      (q->idem_key ? strlen(q->idem_key) : 0) + q->body_len + 160;
	s = malloc(cap);
	check(s != NULL, "out of memory");
	n = (size_t)snprintf(s, cap,
			     "%s %s HTTP/1.1\r\n%s%s%s%s%s%s"
			     "Content-Length: %zu\r\n\r\n",
			     m, q->path, q->ctype ? "Content-Type: " : "",
			     q->ctype ? q->ctype : "", q->ctype ? "\r\n" : "",
			     q->idem_key ? "Idempotency-Key: " : "",
			     q->idem_key ? q->idem_key : "",
			     q->idem_key ? "\r\n" : "", q->body_len);
	check(n + q->body_len < cap, "round trip buffer");
	memcpy(s + n, q->body, q->body_len);
	h = calloc(1, sizeof(*h));
	check(h != NULL, "out of memory");
	hd_open(h);
	hd_feed(h, s, n + q->body_len);
	check(h->nreqs == 1, "a canonical request was refused");
	check(req_eq(q, &h->reqs[0]), "canonical request parses otherwise");
	hd_close(h);
	free(h);
	free(s);
}

/* The invariants of one delivery. */
static void check_run(const struct hd *h)
{
	struct hd_resp *rs;
	size_t n, rest, finals = 0;

	check(h->srv.requests == h->nreqs, "request counter");
	check(!h->rx_paused || !hd_closing(h), "paused while closing");
	for (size_t i = 0; i < h->nreqs; i++) {
		const struct hd_req *q = &h->reqs[i];

		check(q->path[0] == '/', "path without a leading '/'");
		for (const char *p = q->path; *p; p++)
			check((unsigned char)*p > ' ' &&
				  (unsigned char)*p < 0x7f && *p != '?',
			      "bad byte in a path");
		check_value(q->ctype);
		check_value(q->idem_key);
		check(q->body_len <= ENG_HTTP_BODY_MAX, "body over the cap");
		round_trip(q);
	}
	rs = calloc(h->nreqs + 2 + h->out_len / 25, sizeof(*rs));
	check(rs != NULL, "out of memory");
	n = hd_parse(h, rs, h->nreqs + 2 + h->out_len / 25, &rest);
	check(rest == 0, "output is not a sequence of answers");
	for (size_t i = 0; i < n; i++) {
		if (rs[i].status == 100)
			continue;
		if (finals < h->nreqs) {
			check(rs[i].status == 200, "a request not answered");
		} else {
			int st = rs[i].status;

			check(finals == h->nreqs, "more than one refusal");
			check(st == 400 || st == 413 || st == 431 ||
				  st == 501 || st == 505,
			      "unexpected refusal status");
			check(!strcmp(rs[i].connection, "close"),
			      "a refusal without Connection: close");
			check(hd_closing(h), "open after a refusal");
		}
		finals++;
	}
	check(finals >= h->nreqs && finals <= h->nreqs + 1,
	      "answers and requests do not match");
	free(rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hd *whole = run(data, size, size ? size : 1);
	struct hd *split = run(data, size, 0);

	check_run(whole);
	check_run(split);
	same(whole, split, "in split reads");
	if (size <= 1024) {
		struct hd *bytes = run(data, size, 1);

		check_run(bytes);
		same(whole, bytes, "byte by byte");
		hd_close(bytes);
		free(bytes);
	}
	hd_close(whole);
	hd_close(split);
	free(whole);
	free(split);
	return 0;
}
