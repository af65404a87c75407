/* Unit tests for src/io/curlw.c against the scripted server on 127.0.0.1:
 * statuses and bodies come back as sent, the request goes out with its
 * headers and byte-identical body, timeouts and refused connections are
 * transport errors, over-long replies fail, the wake callback runs, and
 * freeing with transfers in flight is clean (ASan).  libcurl is loaded at
 * run time: it is mapped while the worker runs and unmapped after the
 * idle delay (checked in /proc/self/maps), results produced before the
 * unload are kept, submits racing the worker's exit lose nothing, and a
 * missing or wrong library fails the submit cleanly.  This test is not
 * linked with libcurl. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "src/io/curlw.h"
#include "tests/io/httpd.h"

static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv = PTHREAD_COND_INITIALIZER;
static unsigned wakes;

static void on_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wake_mu);
	wakes++;
	pthread_cond_signal(&wake_cv);
	pthread_mutex_unlock(&wake_mu);
}

struct got {
	size_t n;
	struct eng_curlw_result r;
	char body[256];
	size_t full_len;
};

static void on_done(void *arg, const struct eng_curlw_result *r)
{
	struct got *g = arg;
	g->n++;
	g->r = *r;
	g->full_len = r->body_len;
	size_t n = r->body_len < sizeof(g->body) - 1 ? r->body_len
						     : sizeof(g->body) - 1;
	if (n)
		memcpy(g->body, r->body, n);
	g->body[n] = '\0';
	g->r.body = NULL;
}

/* Drains until one result arrived (a safety deadline of 20 s only). */
static struct got wait_one(struct eng_curlw *w)
{
	struct got g = {0};
	time_t deadline = time(NULL) + 20;
	while (g.n == 0) {
		if (eng_curlw_drain(w, on_done, &g))
			break;
		assert_true(time(NULL) < deadline);
		pthread_mutex_lock(&wake_mu);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wake_cv, &wake_mu, &ts);
		pthread_mutex_unlock(&wake_mu);
	}
	assert_int_equal(g.n, 1);
	return g;
}

static struct eng_curlw_job *job(uint64_t id, int port, const char *path,
				 const char *body, uint32_t timeout_ms)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	struct eng_curlw_job *j =
	    eng_curlw_job_new(id, "POST", url, body, strlen(body), timeout_ms);
	assert_non_null(j);
	assert_int_equal(
	    eng_curlw_job_add_header(j, "Content-Type: application/json"),
	    XU_OK);
	assert_int_equal(
	    eng_curlw_job_add_header(j, "Accept: application/json"), XU_OK);
	assert_int_equal(eng_curlw_job_add_header(j, "Idempotency-Key: abc-1"),
			 XU_OK);
	return j;
}

static void test_eng_curlw_statuses(void **state)
{
	(void)state;
	struct th_server *srv = th_start();
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, on_wake, NULL, NULL), XU_OK);
	static const struct {
		struct th_resp resp;
		const char *body;
	} cases[] = {
	    {{TH_REPLY, 201, NULL, "RECEIVED", 0}, "RECEIVED"},
	    {{TH_REPLY, 200, "application/json",
	      "{\"amount\":\"1\",\"scale\":6}", 0},
	     "{\"amount\":\"1\",\"scale\":6}"},
	    {{TH_REPLY, 204, NULL, NULL, 0}, ""},
	    {{TH_REPLY, 500, "text/plain", "oops", 0}, "oops"},
	    {{TH_REPLY, 409, NULL, NULL, 0}, ""},
	    {{TH_REPLY, 400, "application/problem+json", "{\"title\":\"x\"}",
	      0},
	     "{\"title\":\"x\"}"},
	};
	const char *body = "{\"amount\":\"123\",\"scale\":6}";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_script(srv, cases[i].resp);
		struct eng_curlw_job *j =
		    job(100 + i, th_port(srv), "/accounts/alice/settlements",
			body, 5000);
		assert_int_equal(eng_curlw_submit(w, j, NULL), XU_OK);
		struct got g = wait_one(w);
		assert_int_equal(g.r.id, 100 + i);
		assert_int_equal(g.r.code, XU_OK);
		assert_int_equal(g.r.status, cases[i].resp.status);
		assert_string_equal(g.body, cases[i].body);
		struct th_req rq = th_get(srv, i);
		assert_string_equal(rq.method, "POST");
		assert_string_equal(rq.path, "/accounts/alice/settlements");
		assert_string_equal(rq.ctype, "application/json");
		assert_string_equal(rq.accept, "application/json");
		assert_string_equal(rq.key, "abc-1");
		assert_int_equal(rq.body_len, strlen(body));
		assert_memory_equal(rq.body, body, strlen(body));
	}
	assert_int_equal(eng_curlw_pending(w), 0);
	pthread_mutex_lock(&wake_mu);
	assert_true(wakes > 0);
	pthread_mutex_unlock(&wake_mu);
	/* Draining an empty queue is a no-op. */
	struct got g = {0};
	assert_int_equal(eng_curlw_drain(w, on_done, &g), 0);
	eng_curlw_free(w);
	th_stop(srv);
}

static void test_eng_curlw_failures(void **state)
{
	(void)state;
	struct th_server *srv = th_start();
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, on_wake, NULL, NULL), XU_OK);

	/* No answer: a timeout. */
	th_script(srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	assert_int_equal(
	    eng_curlw_submit(w, job(1, th_port(srv), "/x", "{}", 300), NULL),
	    XU_OK);
	struct got g = wait_one(w);
	assert_int_equal(g.r.code, XU_ETIMEOUT);
	assert_int_equal(g.r.status, 0);
	assert_true(strlen(g.r.error) > 0);

	/* An over-long reply. */
	th_script(srv, (struct th_resp){TH_REPLY, 200, NULL, NULL,
					ENG_CURLW_MAX_REPLY + 10});
	assert_int_equal(
	    eng_curlw_submit(w, job(2, th_port(srv), "/x", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.code, XU_EIO);
	assert_non_null(strstr(g.r.error, "reply longer"));
	/* Just below the cap is fine. */
	th_script(srv, (struct th_resp){TH_REPLY, 200, NULL, NULL,
					ENG_CURLW_MAX_REPLY});
	assert_int_equal(
	    eng_curlw_submit(w, job(3, th_port(srv), "/x", "", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.code, XU_OK);
	assert_int_equal(g.full_len, ENG_CURLW_MAX_REPLY);

	/* Nobody listening: a connection error. */
	int port = th_port(srv);
	th_stop(srv);
	assert_int_equal(
	    eng_curlw_submit(w, job(4, port, "/x", "{}", 2000), NULL), XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.id, 4);
	assert_int_equal(g.r.code, XU_EIO);
	assert_true(strlen(g.r.error) > 0);
	eng_curlw_free(w);
}

/* Too many headers; freeing with transfers in flight. */
static void test_eng_curlw_limits_and_free(void **state)
{
	(void)state;
	struct eng_curlw_job *j =
	    eng_curlw_job_new(1, "POST", "http://127.0.0.1:1/", NULL, 0, 100);
	assert_non_null(j);
	for (int i = 0; i < ENG_CURLW_MAX_HEADERS; i++)
		assert_int_equal(eng_curlw_job_add_header(j, "X-A: b"), XU_OK);
	assert_int_equal(eng_curlw_job_add_header(j, "X-A: b"), XU_ETOOBIG);
	eng_curlw_job_free(j);
	eng_curlw_job_free(NULL);
	eng_curlw_free(NULL);

	struct th_server *srv = th_start();
	th_default(srv, (struct th_resp){TH_HANG, 0, NULL, NULL, 0});
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, NULL, NULL, NULL), XU_OK);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(
		    eng_curlw_submit(w, job(i, th_port(srv), "/h", "{}", 60000),
				     NULL),
		    XU_OK);
	assert_int_equal(eng_curlw_pending(w), 5);
	eng_curlw_free(w); /* aborts them; nothing leaks */
	th_stop(srv);
}

/* True when a mapping of the process's file ends in /<name>... */
static bool mapped(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = strrchr(line, '/');
		found = p && strncmp(p + 1, name, strlen(name)) == 0;
	}
	fclose(f);
	return found;
}

/* Prints the shared libraries mapped now (information for the report). */
static void print_libs(const char *when)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[1024], seen[4096] = "";
	while (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, '/');
		if (!p || !strstr(p, ".so"))
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (strstr(seen, p) || strlen(seen) + strlen(p) + 1 >= 4000)
			continue;
		strcat(seen, p);
	}
	fclose(f);
	printf("# libraries %s: %s\n", when, seen);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Drains (reaping a retired worker) until libcurl is unloaded. */
static void wait_unloaded(struct eng_curlw *w)
{
	time_t deadline = time(NULL) + 20;
	struct got g = {0};
	while (eng_curlw_loaded(w)) {
		assert_true(time(NULL) < deadline);
		sleep_ms(10);
		eng_curlw_drain(w, on_done, &g);
	}
	assert_int_equal(g.n, 0);
}

static void test_eng_curlw_idle_unload(void **state)
{
	(void)state;
	assert_false(mapped("libcurl.so")); /* not linked */
	print_libs("before the first load");
	struct th_server *srv = th_start();
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, on_wake, NULL, NULL), XU_OK);
	eng_curlw_set_idle_ms(w, 500);
	assert_false(eng_curlw_loaded(w));

	assert_int_equal(
	    eng_curlw_submit(w, job(1, th_port(srv), "/a", "{}", 5000), NULL),
	    XU_OK);
	assert_true(eng_curlw_loaded(w));
	struct got g = wait_one(w); /* loaded on the worker */
	assert_int_equal(g.r.id, 1);
	assert_int_equal(g.r.status, 201);
	assert_true(mapped("libcurl.so"));
	print_libs("while loaded");
	wait_unloaded(w);
	assert_false(mapped("libcurl.so"));
	print_libs("after the unload");
	struct eng_curlw_stats st;
	eng_curlw_stats(w, &st);
	assert_int_equal(st.loads, 1);
	assert_int_equal(st.unloads, 1);

	/* A result produced just before the worker retired is not lost:
	 * nobody drains until the worker is long gone. */
	unsigned w0;
	pthread_mutex_lock(&wake_mu);
	w0 = wakes;
	pthread_mutex_unlock(&wake_mu);
	assert_int_equal(
	    eng_curlw_submit(w, job(2, th_port(srv), "/b", "{}", 5000), NULL),
	    XU_OK);
	sleep_ms(1500);
	pthread_mutex_lock(&wake_mu);
	assert_true(wakes >= w0 + 2); /* the result, then the retirement */
	pthread_mutex_unlock(&wake_mu);
	assert_true(eng_curlw_loaded(w)); /* retired, not yet reaped */
	assert_int_equal(eng_curlw_pending(w), 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(eng_curlw_drain(w, on_done, &g), 1);
	assert_int_equal(g.r.id, 2);
	assert_int_equal(g.r.status, 201);
	assert_false(eng_curlw_loaded(w));
	assert_false(mapped("libcurl.so"));
	assert_int_equal(eng_curlw_pending(w), 0);

	/* A submit after a retirement that nobody reaped yet reaps it and
	 * starts again. */
	assert_int_equal(
	    eng_curlw_submit(w, job(3, th_port(srv), "/c", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.id, 3);
	sleep_ms(1000);
	assert_true(eng_curlw_loaded(w));
	assert_int_equal(
	    eng_curlw_submit(w, job(4, th_port(srv), "/d", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.id, 4);
	eng_curlw_stats(w, &st);
	assert_int_equal(st.loads, 4);
	assert_int_equal(st.unloads, 3);
	assert_int_equal(st.load_failures, 0);
	/* Freeing a retired, unreaped worker is clean too. */
	sleep_ms(1000);
	eng_curlw_free(w);
	assert_false(mapped("libcurl.so"));
	th_stop(srv);
}

struct ids {
	uint64_t id[8];
	int status[8];
	size_t n;
};

static void on_id(void *arg, const struct eng_curlw_result *r)
{
	struct ids *x = arg;
	assert_true(x->n < 8);
	x->id[x->n] = r->id;
	x->status[x->n] = r->status;
	x->n++;
}

/* Submits racing the worker's exit (idle delay 1 ms): every job gets
 * exactly one result. */
static void test_eng_curlw_retire_races(void **state)
{
	(void)state;
	struct th_server *srv = th_start();
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, on_wake, NULL, NULL), XU_OK);
	eng_curlw_set_idle_ms(w, 1);
	enum { ROUNDS = 150 };
	static bool seen[ROUNDS * 3];
	memset(seen, 0, sizeof(seen));
	uint64_t id = 0;
	size_t got = 0;
	for (int r = 0; r < ROUNDS; r++) {
		int burst = 1 + r % 3;
		for (int i = 0; i < burst; i++)
			assert_int_equal(
			    eng_curlw_submit(
				w, job(id++, th_port(srv), "/r", "{}", 5000),
				NULL),
			    XU_OK);
		struct ids x = {0};
		time_t deadline = time(NULL) + 20;
		while (x.n < (size_t)burst) {
			assert_true(time(NULL) < deadline);
			if (!eng_curlw_drain(w, on_id, &x))
				sleep_ms(1);
		}
		assert_int_equal(x.n, burst);
		for (size_t i = 0; i < x.n; i++) {
			assert_true(x.id[i] < id);
			assert_false(seen[x.id[i]]);
			seen[x.id[i]] = true;
			assert_int_equal(x.status[i], 201);
			got++;
		}
		sleep_ms(r % 4);
	}
	assert_int_equal(got, id);
	assert_int_equal(eng_curlw_pending(w), 0);
	struct eng_curlw_stats st;
	eng_curlw_stats(w, &st);
	printf("# %llu jobs, %llu loads, %llu unloads\n",
	       (unsigned long long)id, (unsigned long long)st.loads,
	       (unsigned long long)st.unloads);
	assert_true(st.loads > 1); /* the races were exercised */
	eng_curlw_free(w);
	th_stop(srv);
}

/* A missing library or one without curl's functions: the job fails like
 * any attempt, with XU_EIO and a clear message, and the next submit with
 * the right library works. */
static void test_eng_curlw_missing_library(void **state)
{
	(void)state;
	struct th_server *srv = th_start();
	struct eng_curlw *w = NULL;
	assert_int_equal(eng_curlw_new(&w, on_wake, NULL, NULL), XU_OK);
	eng_curlw_set_library(w, "libxrpse-no-such-curl.so.4");
	assert_int_equal(
	    eng_curlw_submit(w, job(1, th_port(srv), "/m", "{}", 5000), NULL),
	    XU_OK);
	struct got g = wait_one(w);
	assert_int_equal(g.r.id, 1);
	assert_int_equal(g.r.code, XU_EIO);
	assert_int_equal(g.r.status, 0);
	assert_non_null(
	    strstr(g.r.error, "cannot load libxrpse-no-such-curl.so.4"));
	wait_unloaded(w);
	assert_int_equal(eng_curlw_pending(w), 0);
	/* Logged once, failed again. */
	assert_int_equal(
	    eng_curlw_submit(w, job(2, th_port(srv), "/m", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.id, 2);
	assert_int_equal(g.r.code, XU_EIO);
	wait_unloaded(w);
	eng_curlw_set_library(w, "libz.so.1");
	assert_int_equal(
	    eng_curlw_submit(w, job(3, th_port(srv), "/m", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.code, XU_EIO);
	assert_non_null(strstr(g.r.error, "has no curl_global_init"));
	wait_unloaded(w);
	assert_int_equal(eng_curlw_pending(w), 0);
	assert_int_equal(th_count(srv), 0);
	struct eng_curlw_stats st;
	eng_curlw_stats(w, &st);
	assert_int_equal(st.load_failures, 3);
	assert_int_equal(st.loads, 0);
	assert_int_equal(st.unloads, 0);

	eng_curlw_set_library(w, ENG_CURLW_LIBRARY);
	assert_int_equal(
	    eng_curlw_submit(w, job(4, th_port(srv), "/m", "{}", 5000), NULL),
	    XU_OK);
	g = wait_one(w);
	assert_int_equal(g.r.id, 4);
	assert_int_equal(g.r.code, XU_OK);
	assert_int_equal(g.r.status, 201);
	eng_curlw_stats(w, &st);
	assert_int_equal(st.loads, 1);
	eng_curlw_free(w);
	th_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eng_curlw_statuses),
	    cmocka_unit_test(test_eng_curlw_failures),
	    cmocka_unit_test(test_eng_curlw_limits_and_free),
	    cmocka_unit_test(test_eng_curlw_idle_unload),
	    cmocka_unit_test(test_eng_curlw_retire_races),
	    cmocka_unit_test(test_eng_curlw_missing_library),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
