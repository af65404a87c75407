/* The scripted test HTTP server (see httpd.h). */
#include "tests/io/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SCRIPT 64
#define MAX_REQS 256

struct th_server {
	int lfd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	bool stop;
	struct th_resp script[MAX_SCRIPT];
	size_t head, tail;
	struct th_resp def;
	bool cache;
	struct th_req *reqs;
	size_t nreqs;
};

static void die(const char *what)
{
	fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
	abort();
}

static bool stopping(struct th_server *s)
{
	pthread_mutex_lock(&s->mu);
	bool st = s->stop;
	pthread_mutex_unlock(&s->mu);
	return st;
}

/* Waits for fd to be readable; false when stopping. */
static bool wait_in(struct th_server *s, int fd)
{
	for (;;) {
		if (stopping(s))
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 20);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static void copy_hdr(char *dst, size_t cap, const char *v)
{
	while (*v == ' ')
		v++;
	snprintf(dst, cap, "%s", v);
}

/* Reads one request from fd into *rq; false on EOF or error. */
static bool read_req(struct th_server *s, int fd, struct th_req *rq)
{
	char buf[65536];
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		if (len + 1 >= sizeof(buf) || !wait_in(s, fd))
			return false;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	memset(rq, 0, sizeof(*rq));
	*end = '\0';
	size_t hlen = (size_t)(end - buf) + 4;
	sscanf(buf, "%7s %255s", rq->method, rq->path);
	size_t clen = 0;
	for (char *line = strstr(buf, "\r\n"); line;
	     line = strstr(line, "\r\n")) {
		line += 2;
		char *colon = strchr(line, ':');
		char *eol = strstr(line, "\r\n");
		if (eol)
			*eol = '\0';
		if (colon) {
			*colon = '\0';
			const char *v = colon + 1;
			if (strcasecmp(line, "Content-Type") == 0)
				copy_hdr(rq->ctype, sizeof(rq->ctype), v);
			else if (strcasecmp(line, "Accept") == 0)
				copy_hdr(rq->accept, sizeof(rq->accept), v);
			else if (strcasecmp(line, "Idempotency-Key") == 0) {
				copy_hdr(rq->key, sizeof(rq->key), v);
				rq->has_key = true;
			} else if (strcasecmp(line, "Content-Length") == 0)
				clen = (size_t)strtoul(v, NULL, 10);
			*colon = ':';
		}
		if (!eol)
			break;
		*eol = '\r';
	}
	if (clen > sizeof(rq->body))
		return false;
	size_t have = len - hlen;
	memcpy(rq->body, buf + hlen, have < clen ? have : clen);
	while (have < clen) {
		if (!wait_in(s, fd))
			return false;
		ssize_t n = read(fd, rq->body + have, clen - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	rq->body_len = clen;
	return true;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w =
		    send(fd, p, n, MSG_NOSIGNAL); /* the client may have gone */
		if (w <= 0)
			return; /* the client went away */
		p += w;
		n -= (size_t)w;
	}
}

static void answer(int fd, const struct th_resp *r)
{
	char *big = NULL;
	const char *body = r->body ? r->body : "";
	size_t blen = strlen(body);
	if (r->big) {
		big = malloc(r->big);
		if (!big)
			abort();
		memset(big, 'x', r->big);
		body = big;
		blen = r->big;
	}
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d Scripted\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s%s%s\r\n",
			 r->status, blen, r->ctype ? "Content-Type: " : "",
			 r->ctype ? r->ctype : "", r->ctype ? "\r\n" : "");
	write_all(fd, head, (size_t)n);
	write_all(fd, body, blen);
	free(big);
}

/* Under the lock: the answer already given to rq's key, if caching. */
static bool cached(struct th_server *s, struct th_req *rq, struct th_resp *r)
{
	if (!s->cache || !rq->has_key)
		return false;
	for (size_t i = 0; i < s->nreqs; i++) {
		const struct th_req *p = &s->reqs[i];
		if (p->has_key && !strcmp(p->key, rq->key) &&
		    p->answer.action == TH_REPLY) {
			*r = p->answer;
			rq->replayed = true;
			return true;
		}
	}
	return false;
}

static void *serve(void *arg)
{
	struct th_server *s = arg;
	while (wait_in(s, s->lfd)) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct th_req rq;
		if (read_req(s, fd, &rq)) {
			struct th_resp r;
			pthread_mutex_lock(&s->mu);
			if (!cached(s, &rq, &r)) {
				if (s->head != s->tail)
					r = s->script[s->head++ % MAX_SCRIPT];
				else
					r = s->def;
			}
			rq.answer = r;
			if (s->nreqs < MAX_REQS)
				s->reqs[s->nreqs++] = rq;
			pthread_mutex_unlock(&s->mu);
			if (r.action == TH_HANG) {
				/* Until the client closes (or we stop). */
				char c[256];
				while (wait_in(s, fd) &&
				       read(fd, c, sizeof(c)) > 0)
					;
			} else {
				answer(fd, &r);
			}
		}
		close(fd);
	}
	return NULL;
}

struct th_server *th_start(void)
{
	struct th_server *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->reqs = calloc(MAX_REQS, sizeof(*s->reqs));
	if (!s->reqs)
		abort();
	s->def = (struct th_resp){TH_REPLY, 201, NULL, "RECEIVED", 0};
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		die("socket");
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->lfd, 64) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0)
		die("bind");
	s->port = ntohs(a.sin_port);
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_create(&s->thread, NULL, serve, s) != 0)
		die("pthread_create");
	return s;
}

int th_port(struct th_server *s)
{
	return s->port;
}

void th_script(struct th_server *s, struct th_resp r)
{
	pthread_mutex_lock(&s->mu);
	if (s->tail - s->head >= MAX_SCRIPT)
		abort();
	s->script[s->tail++ % MAX_SCRIPT] = r;
	pthread_mutex_unlock(&s->mu);
}

void th_cache(struct th_server *s, bool on)
{
	pthread_mutex_lock(&s->mu);
	s->cache = on;
	pthread_mutex_unlock(&s->mu);
}

void th_default(struct th_server *s, struct th_resp r)
{
	pthread_mutex_lock(&s->mu);
	s->def = r;
	pthread_mutex_unlock(&s->mu);
}

size_t th_count(struct th_server *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nreqs;
	pthread_mutex_unlock(&s->mu);
	return n;
}

struct th_req th_get(struct th_server *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	if (i >= s->nreqs)
		abort();
	struct th_req r = s->reqs[i];
	pthread_mutex_unlock(&s->mu);
	return r;
}

void th_stop(struct th_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
	free(s->reqs);
	free(s);
}
