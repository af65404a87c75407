/* A synchronous rippled connection (wsync.h): xl_ws in a private lws
 * context, serviced in a loop until the awaited answer (or the time
 * limit) arrives. */
#include "ledger/net/wsync.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "ledger/net/ws.h"

struct xl_wsync {
	struct lws_context *ctx;
	struct xl_ws *ws;
	unsigned timeout_ms;
};

struct slot {
	bool done;
	enum xu_code code;
	json_t *msg;
	struct xu_err err;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_reply(void *arg, enum xu_code code, json_t *msg,
		     const struct xu_err *err)
{
	struct slot *s = arg;

	s->done = true;
	s->code = code;
	s->msg = msg ? json_incref(msg) : NULL;
	if (err)
		s->err = *err;
}

void xl_wsync_close(struct xl_wsync *s)
{
	if (!s)
		return;
	if (s->ws) {
		xl_ws_stop(s->ws);
		xl_ws_free(s->ws);
	}
	if (s->ctx)
		lws_context_destroy(s->ctx);
	free(s);
}

struct xl_wsync *xl_wsync_open(const char *url, unsigned timeout_ms,
			       struct xu_err *err)
{
	struct xl_ws_cfg cfg = {.url = url, .request_timeout_ms = timeout_ms};
	struct xl_ws_handlers h = {0};
	struct xl_wsync *s = calloc(1, sizeof(*s));
	int64_t until = now_ms() + timeout_ms;

	if (!s) {
		xu_fail(err, XU_ENOMEM, 0, "out of memory");
		return NULL;
	}
	s->timeout_ms = timeout_ms;
	s->ctx = xl_ws_context_new(url, err);
	if (s->ctx)
		s->ws = xl_ws_new(s->ctx, &cfg, &h, err);
	if (!s->ws) {
		xl_wsync_close(s);
		return NULL;
	}
	xl_ws_start(s->ws);
	while (xl_ws_state(s->ws) != XL_WS_OPEN && now_ms() < until)
		lws_service(s->ctx, 50);
	if (xl_ws_state(s->ws) != XL_WS_OPEN) {
		xu_fail(err, XU_EUNAVAIL, 0, "cannot connect to rippled at %s",
			url);
		xl_wsync_close(s);
		return NULL;
	}
	return s;
}

enum xu_code xl_wsync_call(struct xl_wsync *s, json_t *req, json_t **out,
			   struct xu_err *err)
{
	struct slot sl = {0};
	int64_t until = now_ms() + s->timeout_ms + 1000;
	enum xu_code rc;

	*out = NULL;
	rc = xl_ws_request(s->ws, req, s->timeout_ms, on_reply, &sl, err);
	if (rc != XU_OK)
		return rc;
	while (!sl.done && now_ms() < until)
		lws_service(s->ctx, 50);
	if (!sl.done)
		return xu_fail(err, XU_ETIMEOUT, 0, "rippled did not answer");
	if (sl.code != XU_OK) {
		json_decref(sl.msg);
		return xu_fail(err, sl.code, 0, "%s",
			       sl.err.msg[0] ? sl.err.msg : "rippled error");
	}
	*out = sl.msg;
	return XU_OK;
}
