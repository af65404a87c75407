/* The curl worker thread (see curlw.h).
 *
 *   loop thread                         worker thread
 *   -----------                         -------------
 *   eng_curlw_submit: lock, append      epoll_wait (woken by the wake
 *   to `submit`, write the wake   --->    eventfd or a socket)
 *   eventfd, unlock                     lock, take `submit`, unlock
 *                                       curl_multi_add_handle each
 *                                       curl_multi_socket_action for each
 *                                       socket ready and the timer due
 *                                       curl_multi_info_read: each done
 *                                       transfer -> a result; lock, append
 *   eng_curlw_drain: lock, take   <---    to `done`, unlock; wake_fn()
 *   `done`, unlock, callbacks
 *
 * The worker drives libcurl through its socket interface: libcurl tells
 * which sockets to watch (on_socket) and when its next timeout is due
 * (on_timer), the worker waits on them with epoll and hands each ready
 * socket to curl_multi_socket_action.  So a reply costs work for its own
 * transfer only, where curl_multi_perform and curl_multi_poll looked at
 * every transfer in flight (a poll of each socket) at every wake-up.
 *
 * Nothing else is shared: a job belongs to the worker once queued, a result
 * to the loop thread once taken.
 *
 * Life cycle.  libcurl is not linked into the daemon: with its TLS and
 * protocol libraries (gnutls, krb5, ldap, ssh2...) it costs about 4 MB of
 * resident memory, which an idle daemon does not need.
 *
 *            submit: queue the job, pthread_create
 *   UNLOADED ----------------------------------------> LOADING (worker:
 *      ^                                                 | dlopen, dlsym,
 *      |                                                 | curl_global_init,
 *      |                              failed: each job   | curl_multi_init)
 *      |                              queued becomes an  v
 *      |                              XU_EIO result    RUNNING
 *      |                                    |            | idle for idle_ms,
 *      |  reap on the loop thread, at the   |            | nothing queued
 *      |  next drain (wake_fn) or submit:   v            v or running
 *      +-- pthread_join, dlclose, ------ RETIRING <------+
 *          malloc_trim                   (set under mu; then the worker
 *                                        calls curl_multi_cleanup and
 *                                        curl_global_cleanup, wake_fn,
 *                                        and exits)
 *
 * Loading (about 5 ms) happens on the worker, so the loop never waits for
 * it; dlclose waits for the worker's exit, so that thread-specific data
 * destructors registered by the unloaded libraries run while they are
 * still mapped.  A failed load is reported as a failed attempt of each
 * queued job (the outbox retries it) and logged loudly once per streak.
 *
 * The races, and why none loses a job or a result:
 * - The worker decides to retire under mu, only when `submit` is empty;
 *   submit appends under mu, only when `retiring` is false, and writes
 *   the wake eventfd (when the CURLM exists) before releasing mu.  So a
 *   job is either seen by the running worker, or submit sees `retiring`,
 *   reaps the old worker and starts a new one (the job is queued before
 *   the new thread exists, so the new worker cannot retire before taking
 *   it).  The worker publishes its CURLM and its wake eventfd under mu
 *   and withdraws them, under mu, as it sets `retiring`, before freeing
 *   them: no wakeup reaches a closed one.
 * - Results live in `done`, owned by this struct and allocated by us, not
 *   by libcurl: they survive the unload and are drained as before.  The
 *   worker retires only with no transfer running, after it has queued and
 *   announced (wake_fn) every result.
 * - Only the loop thread creates, joins and unloads (the worker closes
 *   the library itself only when curl_multi_init failed), one worker at a
 *   time; curl_global_init/cleanup and dlopen/dlclose are also serialised
 *   process-wide (lib_mu) for several workers in one process (tests).
 * Some of libcurl's dependencies stay mapped after dlclose (p11-kit is
 * NODELETE; OpenSSL pins itself and is linked anyway through lws).
 *
 * gnutls (pulled in by librtmp and libldap; curl's TLS is OpenSSL here)
 * initialises itself in a library constructor unless
 * GNUTLS_NO_IMPLICIT_INIT is set: a constructor below sets it to 1 at
 * program start, while the process has one thread (setenv is not safe
 * against a concurrent getenv), unless the operator set it.  Protocols are
 * restricted to http and https, so gnutls is never used. */
#include "src/io/curlw.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "src/io/clock.h"
#include "src/util/log.h"

static void quiet_gnutls(void) __attribute__((constructor));
static void quiet_gnutls(void)
{
	setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
}

/* The libcurl functions used, resolved with dlsym at each load. */
struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *e);
	CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev,
					 int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
};

#define SYM(field)                                                             \
	{                                                                      \
		"curl_" #field, offsetof(struct curl_api, field)               \
	}
static const struct {
	const char *name;
	size_t off;
} curl_syms[] = {
    SYM(global_init),	      SYM(global_cleanup), SYM(easy_init),
    SYM(easy_cleanup),	      SYM(easy_setopt),	   SYM(easy_getinfo),
    SYM(easy_strerror),	      SYM(slist_append),   SYM(slist_free_all),
    SYM(multi_init),	      SYM(multi_cleanup),  SYM(multi_add_handle),
    SYM(multi_remove_handle), SYM(multi_setopt),   SYM(multi_socket_action),
    SYM(multi_info_read),
};
#undef SYM
_Static_assert(sizeof(void (*)(void)) == sizeof(void *),
	       "dlsym results must fit a function pointer");
_Static_assert(sizeof(curl_syms) / sizeof(curl_syms[0]) *
		       sizeof(void (*)(void)) ==
		   sizeof(struct curl_api),
	       "every field of struct curl_api is resolved");

/* A transfer in the worker: the job plus what the response brought. */
struct xfer {
	struct xfer *prev, *next; /* the worker's active list */
	struct eng_curlw_job *job;
	CURL *easy;
	struct curl_slist *hdrs;
	uint8_t *buf;
	size_t len, cap;
	bool too_long;
	char errbuf[CURL_ERROR_SIZE];
};

/* A finished job queued for the loop thread. */
struct done {
	struct done *next;
	struct eng_curlw_result r;
	uint8_t *body; /* owned */
};

struct sub {
	struct sub *next;
	struct eng_curlw_job *job;
};

struct eng_curlw {
	eng_curlw_wake_fn wake_fn;
	void *wake_arg;
	pthread_mutex_t mu;
	/* Loop thread only. */
	bool running; /* a worker exists (loading, running or retiring) */
	pthread_t thread;
	int64_t started_at_ms;
	/* Written by the worker as it loads; the loop thread reads dl only
	 * after joining it.  load_error_logged: worker only (workers never
	 * overlap). */
	void *dl;
	struct curl_api api;
	bool load_error_logged;
	/* Under mu. */
	char library[128];
	CURLM *multi; /* published once made; withdrawn when retiring */
	int wake_fd;  /* the worker's eventfd, published with multi */
	struct sub *sub_head, **sub_tail;
	struct done *done_head, **done_tail;
	bool stop;     /* eng_curlw_free: abort and exit */
	bool retiring; /* the worker is exiting; no wakeup, no more jobs */
	size_t pending;
	uint32_t idle_ms;
	struct eng_curlw_stats stats;
	/* Worker thread only. */
	struct xfer *active;
	int epfd;	     /* the sockets libcurl watches, and wake_fd */
	int64_t timer_at_ms; /* libcurl's next timeout (mono ms); -1: none */
};

/* Serialises dlopen/dlclose and curl_global_init/cleanup process-wide. */
static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;

struct eng_curlw_job *eng_curlw_job_new(uint64_t id, const char *method,
					const char *url, const void *body,
					size_t body_len, uint32_t timeout_ms)
{
	size_t mlen = strlen(method);
	XU_ASSERT(mlen < sizeof(((struct eng_curlw_job *)0)->method));
	struct eng_curlw_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->id = id;
	memcpy(j->method, method, mlen + 1);
	j->url = strdup(url);
	j->body = malloc(body_len ? body_len : 1);
	if (!j->url || !j->body) {
		eng_curlw_job_free(j);
		return NULL;
	}
	if (body_len)
		memcpy(j->body, body, body_len);
	j->body_len = body_len;
	j->timeout_ms = timeout_ms;
	return j;
}

enum xu_code eng_curlw_job_add_header(struct eng_curlw_job *job,
				      const char *line)
{
	size_t i = 0;
	while (job->headers[i])
		i++;
	if (i >= ENG_CURLW_MAX_HEADERS)
		return XU_ETOOBIG;
	job->headers[i] = strdup(line);
	return job->headers[i] ? XU_OK : XU_ENOMEM;
}

void eng_curlw_job_free(struct eng_curlw_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; job->headers[i]; i++)
		free(job->headers[i]);
	free(job->url);
	free(job->body);
	free(job);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	if (x->len + n > ENG_CURLW_MAX_REPLY) {
		x->too_long = true;
		return 0; /* aborts the transfer */
	}
	if (x->len + n > x->cap) {
		size_t cap = x->cap ? x->cap : 256;
		while (cap < x->len + n)
			cap *= 2;
		uint8_t *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, ptr, n);
	x->len += n;
	return n;
}

static void xfer_free(const struct curl_api *c, struct xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		c->easy_cleanup(x->easy);
	c->slist_free_all(x->hdrs);
	eng_curlw_job_free(x->job);
	free(x->buf);
	free(x);
}

/* Sets up the easy handle of x; false when curl refused (logged). */
static bool xfer_setup(const struct curl_api *c, struct xfer *x)
{
	struct eng_curlw_job *j = x->job;
	CURL *e = c->easy_init();
	if (!e)
		return false;
	x->easy = e;
	for (size_t i = 0; j->headers[i]; i++) {
		struct curl_slist *l = c->slist_append(x->hdrs, j->headers[i]);
		if (!l)
			return false;
		x->hdrs = l;
	}
	/* No "Expect: 100-continue" round trip. */
	struct curl_slist *l = c->slist_append(x->hdrs, "Expect:");
	if (!l)
		return false;
	x->hdrs = l;
	bool ok = true;
	ok &= c->easy_setopt(e, CURLOPT_URL, j->url) == CURLE_OK;
	ok &=
	    c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms) ==
	      CURLE_OK;
	ok &= c->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			     (long)(j->connect_timeout_ms
					? j->connect_timeout_ms
					: j->timeout_ms)) == CURLE_OK;
	if (strcmp(j->method, "GET") != 0) {
		ok &= c->easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK;
		ok &= c->easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)j->body_len) == CURLE_OK;
		ok &=
		    c->easy_setopt(e, CURLOPT_POSTFIELDS, j->body) == CURLE_OK;
		if (strcmp(j->method, "POST") != 0)
			ok &= c->easy_setopt(e, CURLOPT_CUSTOMREQUEST,
					     j->method) == CURLE_OK;
	}
	return ok;
}

/* Queues the result of x for the loop thread (x is freed). */
static void finish(struct eng_curlw *w, struct xfer *x, CURLcode cc)
{
	const struct curl_api *c = &w->api;
	if (x->prev)
		x->prev->next = x->next;
	else if (w->active == x)
		w->active = x->next;
	if (x->next)
		x->next->prev = x->prev;
	struct done *d = calloc(1, sizeof(*d));
	if (!d) {
		xu_broken("curlw", "out of memory; job %llu result lost",
			  (unsigned long long)x->job->id);
		xfer_free(c, x);
		return;
	}
	d->r.id = x->job->id;
	if (cc == CURLE_OK) {
		long status = 0;
		c->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		d->r.code = XU_OK;
		d->r.status = (int)status;
		d->body = x->buf;
		d->r.body = x->buf;
		d->r.body_len = x->len;
		x->buf = NULL;
	} else {
		long sent = 0;
		d->r.code =
		    cc == CURLE_OPERATION_TIMEDOUT ? XU_ETIMEOUT : XU_EIO;
		if (c->easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &sent) ==
			CURLE_OK &&
		    sent == 0)
			d->r.unsent = true;
		/* Copied: libcurl's strings go away with the library. */
		if (x->too_long)
			snprintf(d->r.error, sizeof(d->r.error),
				 "reply longer than %d bytes",
				 ENG_CURLW_MAX_REPLY);
		else
			snprintf(d->r.error, sizeof(d->r.error), "%.150s",
				 x->errbuf[0] ? x->errbuf
					      : c->easy_strerror(cc));
	}
	xfer_free(c, x);
	pthread_mutex_lock(&w->mu);
	*w->done_tail = d;
	w->done_tail = &d->next;
	pthread_mutex_unlock(&w->mu);
}

static void start(struct eng_curlw *w, CURLM *multi, struct eng_curlw_job *job)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x) {
		xu_broken("curlw", "out of memory; job %llu dropped",
			  (unsigned long long)job->id);
		eng_curlw_job_free(job);
		return;
	}
	x->job = job;
	if (!xfer_setup(&w->api, x) ||
	    w->api.multi_add_handle(multi, x->easy) != CURLM_OK) {
		/* Reported as a failed attempt: the caller retries. */
		finish(w, x, CURLE_FAILED_INIT);
		return;
	}
	x->next = w->active;
	if (x->next)
		x->next->prev = x;
	w->active = x;
}

static void free_subs(struct sub *s)
{
	while (s) {
		struct sub *n = s->next;
		eng_curlw_job_free(s->job);
		free(s);
		s = n;
	}
}

/* Queues a failed result for job (freed): the load failed. */
static void fail_job(struct eng_curlw *w, struct eng_curlw_job *job,
		     const char *msg)
{
	struct done *d = calloc(1, sizeof(*d));
	if (!d) {
		xu_broken("curlw", "out of memory; job %llu result lost",
			  (unsigned long long)job->id);
	} else {
		d->r.id = job->id;
		d->r.code = XU_EIO;
		snprintf(d->r.error, sizeof(d->r.error), "%.150s", msg);
		pthread_mutex_lock(&w->mu);
		*w->done_tail = d;
		w->done_tail = &d->next;
		pthread_mutex_unlock(&w->mu);
	}
	eng_curlw_job_free(job);
}

/* On the worker: dlopen()s the library, resolves the table and runs
 * curl_global_init; logs loudly once per streak of failures.  Returns
 * XU_OK (w->dl and w->api set) or XU_EIO. */
static enum xu_code lib_load(struct eng_curlw *w, struct xu_err *err)
{
	char name[sizeof(w->library)];
	pthread_mutex_lock(&w->mu);
	memcpy(name, w->library, sizeof(name));
	pthread_mutex_unlock(&w->mu);
	enum xu_code rc = XU_OK;
	pthread_mutex_lock(&lib_mu);
	dlerror();
	void *dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		rc = xu_fail(err, XU_EIO, 0, "cannot load %s: %s", name,
			     why ? why : "dlopen failed");
	}
	for (size_t i = 0;
	     rc == XU_OK && i < sizeof(curl_syms) / sizeof(curl_syms[0]); i++) {
		void *p = dlsym(dl, curl_syms[i].name);
		if (!p)
			rc = xu_fail(err, XU_EIO, 0,
				     "%s has no %s (libcurl 7.85 or later "
				     "needed)",
				     name, curl_syms[i].name);
		else
			memcpy((char *)&w->api + curl_syms[i].off, &p,
			       sizeof(p));
	}
	if (rc == XU_OK) {
		CURLcode cc = w->api.global_init(CURL_GLOBAL_DEFAULT);
		if (cc != CURLE_OK)
			rc = xu_fail(err, XU_EIO, (int)cc,
				     "curl_global_init: %s",
				     w->api.easy_strerror(cc));
	}
	if (rc != XU_OK && dl)
		dlclose(dl);
	pthread_mutex_unlock(&lib_mu);
	if (rc != XU_OK) {
		memset(&w->api, 0, sizeof(w->api));
		if (!w->load_error_logged)
			xu_broken("curlw",
				  "%s; calls to the connector fail and are "
				  "retried until it can be loaded (package "
				  "libcurl4)",
				  err->msg);
		w->load_error_logged = true;
		return rc;
	}
	w->dl = dl;
	w->load_error_logged = false;
	return XU_OK;
}

/* libcurl's CURLMOPT_SOCKETFUNCTION: the events to wait for on socket
 * sk (CURL_POLL_REMOVE: none).  Returns 0; -1 (libcurl then fails the
 * transfer) when epoll refuses the socket. */
static int on_socket(CURL *easy, curl_socket_t sk, int what, void *arg,
		     void *sockp)
{
	struct eng_curlw *w = arg;
	struct epoll_event ev;

	(void)easy;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		/* Closed already, or about to be: either way not watched. */
		(void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, sk, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = sk;
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, sk, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(w->epfd, EPOLL_CTL_ADD, sk, &ev) == 0)
		return 0;
	xu_unusual("curlw", "epoll_ctl on a connector socket: %s",
		   strerror(errno));
	return -1;
}

/* libcurl's CURLMOPT_TIMERFUNCTION: its next timeout, timeout_ms from
 * now (-1: none); the worker calls it when due. */
static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct eng_curlw *w = arg;

	(void)multi;
	w->timer_at_ms = timeout_ms < 0 ? -1 : eng_mono_ms() + timeout_ms;
	return 0;
}

/* Idle connections kept open for the next calls.  libcurl's default is
 * four per easy handle added at the moment, and each call adds its own
 * handle and removes it when done: with few calls out, the cache shrank
 * and closed the connections a burst had opened, so the next burst
 * connected again (tens of new connections a second to the connector
 * under load, each an accept and a handshake on both sides).  A new
 * connection opens only when no idle one is free, so the cache holds at
 * most as many as calls were out at once (the outbox's max_inflight, 64):
 * the cap is a bound, not a target, and the connector closes what stays
 * idle (its keep-alive timeout). */
#define CURLW_MAX_CONNECTS 256

/* The worker's epoll set and wake eventfd, and multi's callbacks; false
 * (nothing left open) when the system or libcurl refused one. */
static bool worker_fds(struct eng_curlw *w, CURLM *multi, struct xu_err *err)
{
	const struct curl_api *c = &w->api;
	struct epoll_event ev;
	bool ok;

	w->timer_at_ms = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = w->wake_fd;
	ok = w->epfd >= 0 && w->wake_fd >= 0 &&
	     epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) == 0;
	if (!ok)
		xu_fail(err, XU_EIO, errno, "the curl worker's epoll set: %s",
			strerror(errno));
	else if (c->multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket) !=
		     CURLM_OK ||
		 c->multi_setopt(multi, CURLMOPT_SOCKETDATA, w) != CURLM_OK ||
		 c->multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer) !=
		     CURLM_OK ||
		 c->multi_setopt(multi, CURLMOPT_TIMERDATA, w) != CURLM_OK ||
		 c->multi_setopt(multi, CURLMOPT_MAXCONNECTS,
				 (long)CURLW_MAX_CONNECTS) != CURLM_OK) {
		ok = false;
		xu_fail(err, XU_EIO, 0,
			"libcurl refused the worker's socket callbacks");
	}
	if (ok)
		return true;
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->epfd = w->wake_fd = -1;
	return false;
}

/* Wakes the worker (under mu, with w->multi published). */
static void worker_wake(struct eng_curlw *w)
{
	uint64_t one = 1;

	/* Full (2^64 - 2 wakes unread) or interrupted: it is awake. */
	(void)!write(w->wake_fd, &one, sizeof(one));
}

/* Loads libcurl and makes the multi handle; NULL when either fails (then
 * every queued job has failed this attempt, and submits from now on start
 * a new worker). */
static CURLM *worker_start(struct eng_curlw *w)
{
	const struct curl_api *c = &w->api;
	struct xu_err e;
	CURLM *multi = NULL;

	if (lib_load(w, &e) == XU_OK) {
		multi = c->multi_init();
		if (!multi)
			xu_fail(&e, XU_ENOMEM, 0, "curl_multi_init failed");
		else if (!worker_fds(w, multi, &e)) {
			c->multi_cleanup(multi);
			multi = NULL;
		}
		if (!multi) {
			xu_broken("curlw", "%s", e.msg);
			pthread_mutex_lock(&lib_mu);
			c->global_cleanup();
			dlclose(w->dl);
			pthread_mutex_unlock(&lib_mu);
			w->dl = NULL;
		}
	}
	if (!multi) {
		pthread_mutex_lock(&w->mu);
		struct sub *s = w->sub_head;
		w->sub_head = NULL;
		w->sub_tail = &w->sub_head;
		w->retiring = true;
		w->stats.load_failures++;
		pthread_mutex_unlock(&w->mu);
		while (s) {
			struct sub *n = s->next;
			fail_job(w, s->job, e.msg);
			free(s);
			s = n;
		}
		if (w->wake_fn)
			w->wake_fn(w->wake_arg);
		return NULL;
	}
	pthread_mutex_lock(&w->mu);
	w->multi = multi;
	w->stats.loads++;
	pthread_mutex_unlock(&w->mu);
	xu_debug("curlw", "libcurl loaded, worker started");
	return multi;
}

/* Finishes the transfers curl reports done; true when any did (or a
 * start() failed), so the loop thread must be woken. */
static bool worker_collect(struct eng_curlw *w, CURLM *multi)
{
	const struct curl_api *c = &w->api;
	bool any = false;
	CURLMsg *m;
	int left;

	while ((m = c->multi_info_read(multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		c->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		CURLcode cc = m->data.result;
		c->multi_remove_handle(multi, m->easy_handle);
		finish(w, x, cc);
		any = true;
	}
	pthread_mutex_lock(&w->mu);
	any = any || w->done_head; /* also start() failures */
	pthread_mutex_unlock(&w->mu);
	return any;
}

/* Aborts what is still running (stop only: a retiring worker has nothing
 * running) and lets libcurl go. */
static void worker_end(struct eng_curlw *w, CURLM *multi)
{
	const struct curl_api *c = &w->api;

	while (w->active) {
		struct xfer *x = w->active;
		w->active = x->next;
		c->multi_remove_handle(multi, x->easy);
		xfer_free(c, x);
	}
	c->multi_cleanup(multi);
	pthread_mutex_lock(&lib_mu);
	c->global_cleanup();
	pthread_mutex_unlock(&lib_mu);
	/* Withdrawn with multi under mu: nobody writes wake_fd now. */
	close(w->epfd);
	close(w->wake_fd);
	w->epfd = w->wake_fd = -1;
}

/* Hands libcurl what epoll found: ready sockets, and the wake eventfd
 * (emptied). */
static void worker_events(struct eng_curlw *w, CURLM *multi,
			  const struct epoll_event *evs, int n)
{
	const struct curl_api *c = &w->api;
	int running = 0;

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd, flags = 0;
		uint64_t v;

		if (fd == w->wake_fd) {
			(void)!read(w->wake_fd, &v, sizeof(v));
			continue;
		}
		if (evs[i].events & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			flags |= CURL_CSELECT_ERR;
		c->multi_socket_action(multi, fd, flags, &running);
	}
}

static void *worker(void *arg)
{
	struct eng_curlw *w = arg;
	const struct curl_api *c = &w->api;
	CURLM *multi = worker_start(w);

	if (!multi)
		return NULL;
	int64_t busy_at = eng_mono_ms();
	bool retire = false;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		struct sub *s = w->sub_head;
		w->sub_head = NULL;
		w->sub_tail = &w->sub_head;
		/* Idle long enough, nothing queued, nothing running: retire
		 * (under mu, so that no submit slips in; see the top). */
		int64_t idle_ms = (int64_t)w->idle_ms;
		retire = !stop && !s && !w->active &&
			 eng_mono_ms() - busy_at >= idle_ms;
		if (retire || stop) {
			w->retiring = retire;
			w->multi = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		if (stop) {
			free_subs(s);
			break;
		}
		if (retire)
			break;
		bool busy = s || w->active;
		while (s) {
			struct sub *n = s->next;
			start(w, multi, s->job);
			free(s);
			s = n;
		}
		int64_t now = eng_mono_ms();
		if (w->timer_at_ms >= 0 && now >= w->timer_at_ms) {
			int running = 0;

			w->timer_at_ms = -1;
			c->multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
					       &running);
		}
		if (worker_collect(w, multi) && w->wake_fn)
			w->wake_fn(w->wake_arg);
		now = eng_mono_ms();
		if (busy || w->active)
			busy_at = now;
		int timeout = 1000;
		if (!w->active) {
			int64_t left_ms = busy_at + idle_ms - now;
			if (left_ms < timeout)
				timeout = left_ms > 0 ? (int)left_ms : 0;
		}
		if (w->timer_at_ms >= 0 && w->timer_at_ms - now < timeout)
			timeout = w->timer_at_ms > now
				      ? (int)(w->timer_at_ms - now)
				      : 0;
		struct epoll_event evs[64];
		int n = epoll_wait(w->epfd, evs, 64, timeout);
		if (n > 0)
			worker_events(w, multi, evs, n);
		/* Only a signal may interrupt it: any other error is a set
		 * or a buffer of ours gone bad, and would spin. */
		if (n < 0 && errno != EINTR) {
			xu_broken("curlw", "epoll_wait: %s", strerror(errno));
			abort();
		}
	}
	worker_end(w, multi);
	/* The loop thread reaps us (join, dlclose) at its next drain. */
	if (retire && w->wake_fn)
		w->wake_fn(w->wake_arg);
	return NULL;
}

/* On the loop thread: joins a worker that retired or was stopped, unloads
 * libcurl and gives the heap it freed back to the system. */
static void worker_reap(struct eng_curlw *w)
{
	pthread_join(w->thread, NULL);
	w->running = false;
	bool loaded = w->dl != NULL;
	if (loaded) {
		pthread_mutex_lock(&lib_mu);
		dlclose(w->dl);
		pthread_mutex_unlock(&lib_mu);
		w->dl = NULL;
	}
	memset(&w->api, 0, sizeof(w->api));
	pthread_mutex_lock(&w->mu);
	w->retiring = false;
	if (loaded)
		w->stats.unloads++;
	pthread_mutex_unlock(&w->mu);
	if (loaded) {
		malloc_trim(0);
		xu_debug("curlw", "libcurl unloaded after %lld ms",
			 (long long)(eng_mono_ms() - w->started_at_ms));
	}
}

enum xu_code eng_curlw_new(struct eng_curlw **out, eng_curlw_wake_fn wake_fn,
			   void *wake_arg, struct xu_err *err)
{
	struct eng_curlw *w = calloc(1, sizeof(*w));
	if (!w)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	w->wake_fn = wake_fn;
	w->wake_arg = wake_arg;
	w->sub_tail = &w->sub_head;
	w->done_tail = &w->done_head;
	w->epfd = w->wake_fd = -1;
	w->idle_ms = ENG_CURLW_IDLE_MS_DEFAULT;
	snprintf(w->library, sizeof(w->library), "%s", ENG_CURLW_LIBRARY);
	const char *env = getenv("XRPSE_DEV_CURL_IDLE_MS");
	if (env && *env) {
		char *end = NULL;
		unsigned long v = strtoul(env, &end, 10);
		if (*end == '\0' && v >= 1 && v <= 86400000UL && env[0] != '-')
			w->idle_ms = (uint32_t)v;
		else
			xu_unusual("curlw",
				   "ignoring XRPSE_DEV_CURL_IDLE_MS=%.40s "
				   "(1 to 86400000)",
				   env);
	}
	pthread_mutex_init(&w->mu, NULL);
	*out = w;
	return XU_OK;
}

void eng_curlw_free(struct eng_curlw *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	if (w->multi)
		worker_wake(w);
	pthread_mutex_unlock(&w->mu);
	if (w->running)
		worker_reap(w);
	free_subs(w->sub_head);
	struct done *d = w->done_head;
	while (d) {
		struct done *n = d->next;
		free(d->body);
		free(d);
		d = n;
	}
	pthread_mutex_destroy(&w->mu);
	free(w);
}

enum xu_code eng_curlw_submit(struct eng_curlw *w, struct eng_curlw_job *job,
			      struct xu_err *err)
{
	struct sub *s = malloc(sizeof(*s));
	if (!s) {
		eng_curlw_job_free(job);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	s->next = NULL;
	s->job = job;
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		if (!w->retiring) {
			*w->sub_tail = s;
			w->sub_tail = &s->next;
			w->pending++;
			/* Under mu: the worker cannot have freed the CURLM.
			 * While it loads there is none: it takes the queue
			 * once ready. */
			if (w->multi)
				worker_wake(w);
			pthread_mutex_unlock(&w->mu);
			return XU_OK;
		}
		pthread_mutex_unlock(&w->mu);
		worker_reap(w);
	}
	/* No worker: queue the job first, so that the new worker takes it
	 * before it could ever retire. */
	pthread_mutex_lock(&w->mu);
	XU_ASSERT(!w->sub_head && !w->stop && !w->retiring);
	w->sub_head = s;
	w->sub_tail = &s->next;
	w->pending++;
	pthread_mutex_unlock(&w->mu);
	int pe = pthread_create(&w->thread, NULL, worker, w);
	if (pe != 0) {
		pthread_mutex_lock(&w->mu);
		w->sub_head = NULL;
		w->sub_tail = &w->sub_head;
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		eng_curlw_job_free(job);
		free(s);
		return xu_fail(err, XU_EIO, pe, "cannot start the curl thread");
	}
	w->running = true;
	w->started_at_ms = eng_mono_ms();
	return XU_OK;
}

size_t eng_curlw_drain(struct eng_curlw *w, eng_curlw_done_fn done, void *arg)
{
	pthread_mutex_lock(&w->mu);
	struct done *d = w->done_head;
	w->done_head = NULL;
	w->done_tail = &w->done_head;
	bool retired = w->running && w->retiring;
	pthread_mutex_unlock(&w->mu);
	if (retired)
		worker_reap(w);
	size_t n = 0;
	while (d) {
		struct done *next = d->next;
		done(arg, &d->r);
		free(d->body);
		free(d);
		d = next;
		n++;
	}
	if (n) {
		pthread_mutex_lock(&w->mu);
		w->pending -= n;
		pthread_mutex_unlock(&w->mu);
	}
	return n;
}

size_t eng_curlw_pending(struct eng_curlw *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->pending;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void eng_curlw_set_idle_ms(struct eng_curlw *w, uint32_t ms)
{
	pthread_mutex_lock(&w->mu);
	w->idle_ms = ms ? ms : 1;
	pthread_mutex_unlock(&w->mu);
}

void eng_curlw_set_library(struct eng_curlw *w, const char *name)
{
	if (strlen(name) >= sizeof(w->library))
		return;
	pthread_mutex_lock(&w->mu);
	snprintf(w->library, sizeof(w->library), "%s", name);
	pthread_mutex_unlock(&w->mu);
}

bool eng_curlw_loaded(struct eng_curlw *w)
{
	return w->running;
}

void eng_curlw_stats(struct eng_curlw *w, struct eng_curlw_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}
