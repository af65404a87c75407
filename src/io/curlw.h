/* The curl worker: one thread that owns a CURLM and every easy handle and
 * performs HTTP requests off the event loop.
 *
 * The loop thread submits jobs (ownership moves to the worker) and wakes it
 * with curl_multi_wakeup(); the worker runs curl_multi_poll(), and each
 * finished transfer becomes a result on a mutex-protected completion queue,
 * after which the worker calls the wake callback (the engine passes one
 * that calls lws_cancel_service()).  The loop thread then calls
 * eng_curlw_drain(), which hands every result to a callback on the loop
 * thread.  Only job ids cross the thread boundary; the worker never
 * touches the store.  Each job is exactly one attempt: retries live in the
 * persisted outbox (src/outbox/outbox.h).
 *
 * libcurl is not linked: it is dlopen()ed ("libcurl.so.4") when the worker
 * starts at a submit, and the worker exits and the library is unloaded
 * after an idle delay (60 s) with no job queued or running, so an idle
 * daemon carries neither (life cycle at the top of src/io/curlw.c). */
#ifndef XRPSE_SRC_CURLW_H
#define XRPSE_SRC_CURLW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

/* Most request headers per job. */
#define ENG_CURLW_MAX_HEADERS 8
/* Largest response body read; a longer one fails the attempt (XU_EIO).
 * A connector's answers and the peer's replies relayed by it are small
 * (a claim_reply is under 1 KB); a peer sending megabytes must not make
 * us hold or store them (docs/risks.md#endless-recovery-loop). */
#define ENG_CURLW_MAX_REPLY (64 * 1024)

struct eng_curlw;

/* Called on the worker thread after results were queued; must be
 * thread-safe and cheap (e.g. lws_cancel_service). */
typedef void (*eng_curlw_wake_fn)(void *arg);

/* One HTTP request.  Build with eng_curlw_job_new; every pointer is owned
 * by the job. */
struct eng_curlw_job {
	uint64_t id;
	char method[8];
	char *url;
	char *headers[ENG_CURLW_MAX_HEADERS + 1]; /* NULL-terminated */
	uint8_t *body;
	size_t body_len;
	uint32_t timeout_ms;	     /* whole transfer */
	uint32_t connect_timeout_ms; /* 0: timeout_ms */
};

/* The outcome of one job, handed to the drain callback; every pointer is
 * borrowed for the duration of the callback. */
struct eng_curlw_result {
	uint64_t id;
	/* XU_OK when an HTTP response arrived (any status); XU_ETIMEOUT,
	 * XU_EIO (connection refused, reset, reply too long...) otherwise. */
	enum xu_code code;
	int status; /* HTTP status, 0 without a response */
	/* Without a response: true when not one byte of the request was
	 * sent (no connection), so the server cannot have acted on it. */
	bool unsent;
	char error[160];
	const uint8_t *body;
	size_t body_len;
};

typedef void (*eng_curlw_done_fn)(void *arg, const struct eng_curlw_result *r);

/* The default idle delay before the worker exits and libcurl is
 * unloaded; the environment variable XRPSE_DEV_CURL_IDLE_MS (1 to
 * 86400000) overrides it, for tests. */
#define ENG_CURLW_IDLE_MS_DEFAULT 60000
/* The library loaded at run time. */
#define ENG_CURLW_LIBRARY "libcurl.so.4"

/* Creates the worker; the worker thread, which loads libcurl, starts at a
 * submit, so an idle daemon carries neither.  wake_fn (nullable) and
 * wake_arg are kept.
 * Returns XU_OK and *out (owned; eng_curlw_free), or XU_ENOMEM. */
enum xu_code eng_curlw_new(struct eng_curlw **out, eng_curlw_wake_fn wake_fn,
			   void *wake_arg, struct xu_err *err) XU_WARN_UNUSED;

/* Stops the thread (aborting transfers in flight, whose results are
 * discarded), joins it and frees everything.  NULL is a no-op. */
void eng_curlw_free(struct eng_curlw *w);

/* A new job (owned by the caller until submitted): copies method
 * (at most 7 chars), url and body (nullable when body_len is 0).  NULL
 * only when out of memory. */
struct eng_curlw_job *eng_curlw_job_new(uint64_t id, const char *method,
					const char *url, const void *body,
					size_t body_len, uint32_t timeout_ms);
/* Appends a copy of a header line "Name: value".  Returns XU_OK, or
 * XU_ENOMEM / XU_ETOOBIG (more than ENG_CURLW_MAX_HEADERS). */
enum xu_code eng_curlw_job_add_header(struct eng_curlw_job *job,
				      const char *line) XU_WARN_UNUSED;
/* Frees a job that was not submitted.  NULL is a no-op. */
void eng_curlw_job_free(struct eng_curlw_job *job);

/* Queues job (TAKES it, also on failure) and wakes the worker, starting
 * it (and loading libcurl) when none runs.  When libcurl cannot be loaded,
 * each job queued gets an XU_EIO result naming the cause, like any failed
 * attempt.  Returns XU_OK, XU_ENOMEM, or XU_EIO when no thread can be
 * started. */
enum xu_code eng_curlw_submit(struct eng_curlw *w, struct eng_curlw_job *job,
			      struct xu_err *err) XU_WARN_UNUSED;

/* On the loop thread: calls done(arg, result) for every finished job, in
 * completion order, and returns how many.  Idempotent (an empty queue is
 * a no-op), so spurious wakes are harmless. */
size_t eng_curlw_drain(struct eng_curlw *w, eng_curlw_done_fn done, void *arg);

/* Jobs submitted and not yet drained. */
size_t eng_curlw_pending(struct eng_curlw *w);

/* Sets the idle delay (ms, at least 1) after which the worker exits and
 * libcurl is unloaded; it applies from the next start of the worker. */
void eng_curlw_set_idle_ms(struct eng_curlw *w, uint32_t ms);

/* Replaces the library name loaded at the next load (tests: a missing
 * or wrong library).  name is copied (at most 127 bytes, else ignored). */
void eng_curlw_set_library(struct eng_curlw *w, const char *name);

/* On the loop thread: true while a worker thread exists, loading or
 * holding libcurl, including one that has retired and awaits its reaping
 * (and the unload) at the next eng_curlw_drain or eng_curlw_submit. */
bool eng_curlw_loaded(struct eng_curlw *w);

/* Times libcurl was loaded, unloaded, and could not be loaded. */
struct eng_curlw_stats {
	uint64_t loads, unloads, load_failures;
};
void eng_curlw_stats(struct eng_curlw *w, struct eng_curlw_stats *out);

#endif /* XRPSE_SRC_CURLW_H */
