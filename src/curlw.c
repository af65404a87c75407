/* The curl worker thread (see curlw.h).
 *
 *   loop thread                         worker thread
 *   -----------                         -------------
 *   eng_curlw_submit: lock, append      curl_multi_poll (woken by
 *   to `submit`, unlock,          --->    curl_multi_wakeup or a socket)
 *   curl_multi_wakeup                   lock, take `submit`, unlock
 *                                       curl_multi_add_handle each
 *                                       curl_multi_perform
 *                                       curl_multi_info_read: each done
 *                                       transfer -> a result; lock, append
 *   eng_curlw_drain: lock, take   <---    to `done`, unlock; wake_fn()
 *   `done`, unlock, callbacks
 *
 * Nothing else is shared: a job belongs to the worker once queued, a result
 * to the loop thread once taken. */
#include "src/curlw.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"

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
	/* libcurl, its TLS library and the thread start at the first
	 * submit, so an idle daemon does not pay their memory.  Loop thread
	 * only. */
	bool started;
	pthread_t thread;
	pthread_mutex_t mu;
	CURLM *multi;
	eng_curlw_wake_fn wake_fn;
	void *wake_arg;
	/* Under mu. */
	struct sub *sub_head, **sub_tail;
	struct done *done_head, **done_tail;
	bool stop;
	size_t pending;
	/* Worker thread only. */
	struct xfer *active;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

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

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	eng_curlw_job_free(x->job);
	free(x->buf);
	free(x);
}

/* Sets up the easy handle of x; false when curl refused (logged). */
static bool xfer_setup(struct xfer *x)
{
	struct eng_curlw_job *j = x->job;
	CURL *e = curl_easy_init();
	if (!e)
		return false;
	x->easy = e;
	for (size_t i = 0; j->headers[i]; i++) {
		struct curl_slist *l =
		    curl_slist_append(x->hdrs, j->headers[i]);
		if (!l)
			return false;
		x->hdrs = l;
	}
	/* No "Expect: 100-continue" round trip. */
	struct curl_slist *l = curl_slist_append(x->hdrs, "Expect:");
	if (!l)
		return false;
	x->hdrs = l;
	bool ok = true;
	ok &= curl_easy_setopt(e, CURLOPT_URL, j->url) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ==
	      CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms) ==
	      CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			       (long)(j->connect_timeout_ms
					  ? j->connect_timeout_ms
					  : j->timeout_ms)) == CURLE_OK;
	if (strcmp(j->method, "GET") != 0) {
		ok &= curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)j->body_len) == CURLE_OK;
		ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body) ==
		      CURLE_OK;
		if (strcmp(j->method, "POST") != 0)
			ok &= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
					       j->method) == CURLE_OK;
	}
	return ok;
}

/* Queues the result of x for the loop thread (x is freed). */
static void finish(struct eng_curlw *w, struct xfer *x, CURLcode cc)
{
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
		xfer_free(x);
		return;
	}
	d->r.id = x->job->id;
	if (cc == CURLE_OK) {
		long status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		d->r.code = XU_OK;
		d->r.status = (int)status;
		d->body = x->buf;
		d->r.body = x->buf;
		d->r.body_len = x->len;
		x->buf = NULL;
	} else {
		d->r.code =
		    cc == CURLE_OPERATION_TIMEDOUT ? XU_ETIMEOUT : XU_EIO;
		if (x->too_long)
			snprintf(d->r.error, sizeof(d->r.error),
				 "reply longer than %d bytes",
				 ENG_CURLW_MAX_REPLY);
		else
			snprintf(d->r.error, sizeof(d->r.error), "%.150s",
				 x->errbuf[0] ? x->errbuf
					      : curl_easy_strerror(cc));
	}
	xfer_free(x);
	pthread_mutex_lock(&w->mu);
	*w->done_tail = d;
	w->done_tail = &d->next;
	pthread_mutex_unlock(&w->mu);
}

static void start(struct eng_curlw *w, struct eng_curlw_job *job)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x) {
		xu_broken("curlw", "out of memory; job %llu dropped",
			  (unsigned long long)job->id);
		eng_curlw_job_free(job);
		return;
	}
	x->job = job;
	if (!xfer_setup(x) ||
	    curl_multi_add_handle(w->multi, x->easy) != CURLM_OK) {
		/* Reported as a failed attempt: the caller retries. */
		finish(w, x, CURLE_FAILED_INIT);
		return;
	}
	x->next = w->active;
	if (x->next)
		x->next->prev = x;
	w->active = x;
}

static void *worker(void *arg)
{
	struct eng_curlw *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		struct sub *s = w->sub_head;
		w->sub_head = NULL;
		w->sub_tail = &w->sub_head;
		pthread_mutex_unlock(&w->mu);
		if (stop) {
			while (s) {
				struct sub *n = s->next;
				eng_curlw_job_free(s->job);
				free(s);
				s = n;
			}
			break;
		}
		while (s) {
			struct sub *n = s->next;
			start(w, s->job);
			free(s);
			s = n;
		}
		int running = 0;
		curl_multi_perform(w->multi, &running);
		bool any = false;
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(w->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			CURLcode cc = m->data.result;
			curl_multi_remove_handle(w->multi, m->easy_handle);
			finish(w, x, cc);
			any = true;
		}
		pthread_mutex_lock(&w->mu);
		any = any || w->done_head; /* also start() failures */
		pthread_mutex_unlock(&w->mu);
		if (any && w->wake_fn)
			w->wake_fn(w->wake_arg);
		curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
	}
	/* Abort what is still running. */
	while (w->active) {
		struct xfer *x = w->active;
		w->active = x->next;
		curl_multi_remove_handle(w->multi, x->easy);
		xfer_free(x);
	}
	return NULL;
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
	pthread_mutex_init(&w->mu, NULL);
	*out = w;
	return XU_OK;
}

/* Initialises libcurl and starts the worker (first submit). */
static enum xu_code worker_start(struct eng_curlw *w, struct xu_err *err)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return xu_fail(err, XU_EIO, (int)global_rc,
			       "curl_global_init: %s",
			       curl_easy_strerror(global_rc));
	w->multi = curl_multi_init();
	if (!w->multi)
		return xu_fail(err, XU_ENOMEM, 0, "curl_multi_init failed");
	int e = pthread_create(&w->thread, NULL, worker, w);
	if (e != 0) {
		curl_multi_cleanup(w->multi);
		w->multi = NULL;
		return xu_fail(err, XU_EIO, e, "cannot start the curl thread");
	}
	w->started = true;
	return XU_OK;
}

void eng_curlw_free(struct eng_curlw *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_mutex_unlock(&w->mu);
	if (w->started) {
		curl_multi_wakeup(w->multi);
		pthread_join(w->thread, NULL);
	}
	struct done *d = w->done_head;
	while (d) {
		struct done *n = d->next;
		free(d->body);
		free(d);
		d = n;
	}
	if (w->multi)
		curl_multi_cleanup(w->multi);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

enum xu_code eng_curlw_submit(struct eng_curlw *w, struct eng_curlw_job *job,
			      struct xu_err *err)
{
	if (!w->started) {
		enum xu_code rc = worker_start(w, err);
		if (rc != XU_OK) {
			eng_curlw_job_free(job);
			return rc;
		}
	}
	struct sub *s = malloc(sizeof(*s));
	if (!s) {
		eng_curlw_job_free(job);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	s->next = NULL;
	s->job = job;
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		eng_curlw_job_free(job);
		free(s);
		return xu_fail(err, XU_EUNAVAIL, 0, "curl worker stopping");
	}
	*w->sub_tail = s;
	w->sub_tail = &s->next;
	w->pending++;
	pthread_mutex_unlock(&w->mu);
	curl_multi_wakeup(w->multi);
	return XU_OK;
}

size_t eng_curlw_drain(struct eng_curlw *w, eng_curlw_done_fn done, void *arg)
{
	pthread_mutex_lock(&w->mu);
	struct done *d = w->done_head;
	w->done_head = NULL;
	w->done_tail = &w->done_head;
	pthread_mutex_unlock(&w->mu);
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
