/* The WebSocket connection to rippled (see ws.h).
 *
 * One struct xl_ws owns at most one wsi at a time.  Requests live on a
 * singly linked list in send order; each has its own sul timer.  Written
 * frames leave from LWS_CALLBACK_CLIENT_WRITEABLE only, one per callback.
 * Incoming fragments are gathered into one buffer (capped), parsed with
 * jansson, and dispatched: a "response" with one of our ids goes to its
 * request's callback, everything else to on_message.
 *
 * Reconnection: every close or connect error schedules a retry after
 * min(backoff_max, backoff_min * 2^n) +- jitter; n resets once a request
 * on the new connection got a reply (a server that accepts and drops at
 * once keeps backing off). */
#include "ledger/net/ws.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/util/log.h"
#include "src/util/map.h"

#define SUB "rippled"

struct ws_req {
	struct ws_req *next, *prev;
	struct xl_ws *ws;
	uint64_t id; /* the key of xl_ws.req_map */
	xl_ws_reply_fn cb;
	void *arg;
	lws_sorted_usec_list_t sul; /* timeout */
	unsigned char *frame;	    /* LWS_PRE + text, until written */
	size_t len;
	bool is_ping;
};

struct xl_ws {
	struct lws_context *ctx;
	struct xl_ws_cfg cfg;
	char url[512];
	char host[256];
	char path[256];
	int port;
	bool tls;
	struct xl_ws_handlers h;

	struct lws *wsi;
	enum xl_ws_state state;
	bool running;
	unsigned attempts;
	unsigned connects;
	unsigned failures;    /* connection attempts failed in a row */
	lws_usec_t warned_us; /* when the last of them was logged UNUSUAL */
	uint64_t next_id;
	/* Pending, in send order; by id (a reply's); the first not written
	 * yet (the unwritten ones are the list's tail: written in order). */
	struct ws_req *reqs, *reqs_tail;
	struct xu_map req_map;
	struct ws_req *unwritten;

	lws_sorted_usec_list_t sul_retry;
	lws_sorted_usec_list_t sul_ping;
	lws_sorted_usec_list_t sul_connect;

	unsigned char *rx;
	size_t rx_len, rx_cap;
	bool rx_discard;
};

#define OWNER(ptr, type, member)                                               \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static const char *const ca_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
};

void xl_ws_context_info_prepare_ca(struct lws_context_creation_info *info,
				   const char *url, const char *ca_file)
{
	if (!url || strncmp(url, "wss://", 6) != 0)
		return;
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (ca_file) {
		info->client_ssl_ca_filepath = ca_file;
		return;
	}
	for (size_t i = 0; i < sizeof(ca_bundles) / sizeof(ca_bundles[0]);
	     i++) {
		if (access(ca_bundles[i], R_OK) == 0) {
			info->client_ssl_ca_filepath = ca_bundles[i];
			break;
		}
	}
}

void xl_ws_context_info_prepare(struct lws_context_creation_info *info,
				const char *url)
{
	xl_ws_context_info_prepare_ca(info, url, NULL);
}

static const struct lws_protocols standalone_protocols[] = {
    XL_WS_PROTOCOL,
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

struct lws_context *xl_ws_context_new_ca(const char *url, const char *ca_file,
					 struct xu_err *err)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;

	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = standalone_protocols;
	info.gid = -1;
	info.uid = -1;
	xl_ws_context_info_prepare_ca(&info, url, ca_file);
	ctx = lws_create_context(&info);
	if (!ctx)
		xu_fail(err, XU_EINTERNAL, 0, "cannot create an lws context");
	return ctx;
}

struct lws_context *xl_ws_context_new(const char *url, struct xu_err *err)
{
	return xl_ws_context_new_ca(url, NULL, err);
}

/* ---- helpers for JSON from the server ---------------------------------- */

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		uint64_t d;
		if (*s < '0' || *s > '9')
			return false;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool json_uint(json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v =
	    obj && json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return false;
		*out = (uint64_t)i;
		return true;
	}
	if (json_is_string(v))
		return parse_uint(json_string_value(v), max, out);
	return false;
}

bool xl_json_u32(json_t *obj, const char *key, uint32_t *out)
{
	uint64_t v;

	if (!json_uint(obj, key, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool xl_json_u64(json_t *obj, const char *key, uint64_t *out)
{
	return json_uint(obj, key, UINT64_MAX, out);
}

const char *xl_json_str(json_t *obj, const char *key)
{
	json_t *v =
	    obj && json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *xl_ws_result(json_t *msg)
{
	json_t *r;

	if (!json_is_object(msg))
		return NULL;
	if (!json_is_string(json_object_get(msg, "status")) ||
	    strcmp(json_string_value(json_object_get(msg, "status")),
		   "success") != 0)
		return NULL;
	r = json_object_get(msg, "result");
	return json_is_object(r) ? r : NULL;
}

/* ---- configuration ------------------------------------------------------ */

static enum xu_code parse_url(struct xl_ws *ws, const char *url,
			      struct xu_err *err)
{
	const char *p, *hs, *he, *colon;
	size_t n;

	if (!url || strlen(url) >= sizeof(ws->url))
		return xu_fail(err, XU_EINVAL, 0,
			       "rippled url missing or "
			       "too long");
	snprintf(ws->url, sizeof(ws->url), "%s", url);
	if (strncmp(url, "ws://", 5) == 0) {
		ws->tls = false;
		ws->port = 80;
		p = url + 5;
	} else if (strncmp(url, "wss://", 6) == 0) {
		ws->tls = true;
		ws->port = 443;
		p = url + 6;
	} else {
		return xu_fail(err, XU_EINVAL, 0,
			       "rippled url must start with ws:// or wss://");
	}
	hs = p;
	he = hs + strcspn(hs, "/?#");
	colon = memchr(hs, ':', (size_t)(he - hs));
	if (hs[0] == '[') /* IPv6 literal */
		colon = NULL;
	if (colon) {
		uint64_t port;
		char pbuf[8];
		n = (size_t)(he - colon - 1);
		if (n == 0 || n >= sizeof(pbuf))
			return xu_fail(err, XU_EINVAL, 0, "bad port in %s",
				       url);
		memcpy(pbuf, colon + 1, n);
		pbuf[n] = 0;
		if (!parse_uint(pbuf, 65535, &port) || port == 0)
			return xu_fail(err, XU_EINVAL, 0, "bad port in %s",
				       url);
		ws->port = (int)port;
		he = colon > hs ? colon : he;
		n = (size_t)(colon - hs);
	} else {
		n = (size_t)(he - hs);
	}
	if (n == 0 || n >= sizeof(ws->host))
		return xu_fail(err, XU_EINVAL, 0, "bad host in %s", url);
	memcpy(ws->host, hs, n);
	ws->host[n] = 0;
	p = hs + strcspn(hs, "/");
	if (*p == '/')
		snprintf(ws->path, sizeof(ws->path), "%s", p);
	else
		snprintf(ws->path, sizeof(ws->path), "/");
	return XU_OK;
}

struct xl_ws *xl_ws_new(struct lws_context *ctx, const struct xl_ws_cfg *cfg,
			const struct xl_ws_handlers *h, struct xu_err *err)
{
	struct xl_ws *ws;

	XU_ASSERT(ctx && cfg);
	ws = calloc(1, sizeof(*ws));
	if (!ws) {
		xu_fail(err, XU_ENOMEM, 0, "out of memory");
		return NULL;
	}
	if (parse_url(ws, cfg->url, err) != XU_OK) {
		free(ws);
		return NULL;
	}
	ws->ctx = ctx;
	ws->cfg = *cfg;
	ws->cfg.url = ws->url;
	if (!ws->cfg.request_timeout_ms)
		ws->cfg.request_timeout_ms = 10000;
	if (!ws->cfg.ping_interval_ms)
		ws->cfg.ping_interval_ms = 15000;
	if (!ws->cfg.connect_timeout_ms)
		ws->cfg.connect_timeout_ms = 10000;
	if (!ws->cfg.backoff_min_ms)
		ws->cfg.backoff_min_ms = 250;
	if (!ws->cfg.backoff_max_ms)
		ws->cfg.backoff_max_ms = 30000;
	if (!ws->cfg.jitter_pct)
		ws->cfg.jitter_pct = 20;
	if (ws->cfg.jitter_pct > 100)
		ws->cfg.jitter_pct = 100;
	if (!ws->cfg.max_frame)
		ws->cfg.max_frame = 8u << 20;
	if (h)
		ws->h = *h;
	ws->next_id = 1;
	xu_map_init(&ws->req_map, offsetof(struct ws_req, id), sizeof(uint64_t),
		    0);
	return ws;
}

enum xl_ws_state xl_ws_state(const struct xl_ws *ws)
{
	return ws->state;
}

const char *xl_ws_url(const struct xl_ws *ws)
{
	return ws->url;
}

struct lws_context *xl_ws_context(const struct xl_ws *ws)
{
	return ws->ctx;
}

unsigned xl_ws_connect_count(const struct xl_ws *ws)
{
	return ws->connects;
}

/* ---- requests ----------------------------------------------------------- */

static void req_unlink(struct xl_ws *ws, struct ws_req *r)
{
	if (ws->unwritten == r)
		ws->unwritten = r->next;
	if (r->prev)
		r->prev->next = r->next;
	else
		ws->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		ws->reqs_tail = r->prev;
	r->next = r->prev = NULL;
	xu_map_del(&ws->req_map, &r->id);
}

static void req_free(struct ws_req *r)
{
	lws_sul_cancel(&r->sul);
	free(r->frame);
	free(r);
}

/* Unlinks r, calls its callback, frees it. */
static void req_finish(struct xl_ws *ws, struct ws_req *r, enum xu_code code,
		       json_t *msg, const struct xu_err *err)
{
	xl_ws_reply_fn cb = r->cb;
	void *arg = r->arg;

	req_unlink(ws, r);
	req_free(r);
	if (cb)
		cb(arg, code, msg, err);
}

static void fail_all(struct xl_ws *ws, enum xu_code code, const char *why)
{
	struct xu_err e;

	xu_fail(&e, code, 0, "%s", why);
	while (ws->reqs)
		req_finish(ws, ws->reqs, code, NULL, &e);
}

static void req_timeout(lws_sorted_usec_list_t *sul)
{
	struct ws_req *r = OWNER(sul, struct ws_req, sul);
	struct xl_ws *ws = r->ws;
	struct xu_err e;

	xu_fail(&e, XU_ETIMEOUT, 0, "rippled request %" PRIu64 " timed out",
		r->id);
	if (r->is_ping) {
		xu_unusual(SUB, "ping to %s timed out: reconnecting", ws->url);
		xl_ws_drop(ws);
	}
	req_finish(ws, r, XU_ETIMEOUT, NULL, &e);
}

enum xu_code xl_ws_request(struct xl_ws *ws, json_t *req, unsigned timeout_ms,
			   xl_ws_reply_fn cb, void *arg, struct xu_err *err)
{
	struct ws_req *r;
	char *text;
	size_t len;

	if (!req || !json_is_object(req)) {
		json_decref(req);
		return xu_fail(err, XU_EINVAL, 0, "request is not an object");
	}
	if (ws->state != XL_WS_OPEN || !ws->wsi) {
		json_decref(req);
		return xu_fail(err, XU_EUNAVAIL, 0, "not connected to %s",
			       ws->url);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		json_decref(req);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	r->ws = ws;
	r->id = ws->next_id++;
	r->cb = cb;
	r->arg = arg;
	json_object_set_new(req, "id", json_integer((json_int_t)r->id));
	json_object_set_new(req, "api_version", json_integer(2));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) {
		free(r);
		return xu_fail(err, XU_ENOMEM, 0, "cannot encode request");
	}
	len = strlen(text);
	r->frame = malloc(LWS_PRE + len);
	if (!r->frame) {
		free(text);
		free(r);
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	}
	memcpy(r->frame + LWS_PRE, text, len);
	r->len = len;
	free(text);
	if (xu_map_put(&ws->req_map, r, err) != XU_OK) {
		free(r->frame);
		free(r);
		return XU_ENOMEM; /* ids are unique: only memory fails */
	}
	r->prev = ws->reqs_tail;
	if (ws->reqs_tail)
		ws->reqs_tail->next = r;
	else
		ws->reqs = r;
	ws->reqs_tail = r;
	if (!ws->unwritten)
		ws->unwritten = r;
	lws_sul_schedule(
	    ws->ctx, 0, &r->sul, req_timeout,
	    (lws_usec_t)(timeout_ms ? timeout_ms : ws->cfg.request_timeout_ms) *
		LWS_US_PER_MS);
	lws_callback_on_writable(ws->wsi);
	return XU_OK;
}

/* ---- connection lifecycle ----------------------------------------------- */

static void do_connect(lws_sorted_usec_list_t *sul);

static void set_state(struct xl_ws *ws, enum xl_ws_state st)
{
	if (ws->state == st)
		return;
	ws->state = st;
	if (ws->h.on_state)
		ws->h.on_state(ws->h.arg, st);
}

static void schedule_retry(struct xl_ws *ws)
{
	uint64_t d = ws->cfg.backoff_min_ms, j;
	unsigned n = ws->attempts < 30 ? ws->attempts : 30;

	if (!ws->running)
		return;
	for (unsigned i = 0; i < n && d < ws->cfg.backoff_max_ms; i++)
		d *= 2;
	if (d > ws->cfg.backoff_max_ms)
		d = ws->cfg.backoff_max_ms;
	j = d * ws->cfg.jitter_pct / 100;
	if (j)
		d = d - j + randombytes_uniform((uint32_t)(2 * j + 1));
	ws->attempts++;
	xu_debug(SUB, "reconnecting to %s in %" PRIu64 " ms", ws->url, d);
	lws_sul_schedule(ws->ctx, 0, &ws->sul_retry, do_connect,
			 (lws_usec_t)d * LWS_US_PER_MS);
}

#define WARN_EVERY_US (300 * LWS_US_PER_SEC)

/* An attempt to connect failed: UNUSUAL for the first of a run, then
 * once every 5 minutes while they go on; the others at debug. */
static void connect_failed(struct xl_ws *ws, const char *why)
{
	lws_usec_t now = lws_now_usecs();

	ws->failures++;
	if (ws->failures == 1) {
		ws->warned_us = now;
		xu_unusual(SUB,
			   "cannot connect to %s: %s; retrying (logged again "
			   "every 5 minutes while it lasts)",
			   ws->url, why);
	} else if (now - ws->warned_us >= WARN_EVERY_US) {
		ws->warned_us = now;
		xu_unusual(SUB,
			   "still cannot connect to %s after %u attempts: %s",
			   ws->url, ws->failures, why);
	} else {
		xu_debug(SUB, "cannot connect to %s: %s", ws->url, why);
	}
}

/* The wsi is gone (closed or never connected). */
static void on_closed(struct xl_ws *ws, struct lws *wsi, const char *why)
{
	if (wsi)
		lws_set_opaque_user_data(wsi, NULL);
	if (ws->wsi == wsi)
		ws->wsi = NULL;
	lws_sul_cancel(&ws->sul_ping);
	lws_sul_cancel(&ws->sul_connect);
	ws->rx_len = 0;
	ws->rx_discard = false;
	if (ws->state == XL_WS_OPEN)
		xu_unusual(SUB, "connection to %s lost: %s", ws->url, why);
	else if (ws->state == XL_WS_CONNECTING)
		connect_failed(ws, why);
	fail_all(ws, XU_EUNAVAIL, "connection to rippled lost");
	set_state(ws, XL_WS_DISCONNECTED);
	schedule_retry(ws);
}

static void connect_timeout(lws_sorted_usec_list_t *sul)
{
	struct xl_ws *ws = OWNER(sul, struct xl_ws, sul_connect);

	if (ws->state == XL_WS_CONNECTING && ws->wsi) {
		xu_unusual(SUB, "connecting to %s timed out", ws->url);
		xl_ws_drop(ws);
	}
}

static void do_connect(lws_sorted_usec_list_t *sul)
{
	struct xl_ws *ws = OWNER(sul, struct xl_ws, sul_retry);
	struct lws_client_connect_info ci;
	struct lws *wsi;

	if (!ws->running || ws->wsi)
		return;
	memset(&ci, 0, sizeof(ci));
	ci.context = ws->ctx;
	ci.address = ws->host;
	ci.port = ws->port;
	ci.path = ws->path;
	ci.host = ws->host;
	ci.origin = ws->host;
	ci.ssl_connection = ws->tls ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = XL_WS_PROTOCOL_NAME;
	ci.opaque_user_data = ws;
	ci.pwsi = &ws->wsi;
	set_state(ws, XL_WS_CONNECTING);
	lws_sul_schedule(ws->ctx, 0, &ws->sul_connect, connect_timeout,
			 (lws_usec_t)ws->cfg.connect_timeout_ms *
			     LWS_US_PER_MS);
	wsi = lws_client_connect_via_info(&ci);
	if (!wsi && ws->state == XL_WS_CONNECTING) {
		ws->wsi = NULL;
		on_closed(ws, NULL, "connect failed");
	}
}

void xl_ws_start(struct xl_ws *ws)
{
	if (ws->running)
		return;
	ws->running = true;
	ws->attempts = 0;
	lws_sul_schedule(ws->ctx, 0, &ws->sul_retry, do_connect, 1);
}

void xl_ws_drop(struct xl_ws *ws)
{
	if (ws->wsi)
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
}

void xl_ws_stop(struct xl_ws *ws)
{
	struct lws *wsi = ws->wsi;

	ws->running = false;
	lws_sul_cancel(&ws->sul_retry);
	if (wsi) {
		lws_set_opaque_user_data(wsi, NULL);
		ws->wsi = NULL;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
	}
	lws_sul_cancel(&ws->sul_ping);
	lws_sul_cancel(&ws->sul_connect);
	fail_all(ws, XU_EUNAVAIL, "rippled client stopped");
	set_state(ws, XL_WS_DISCONNECTED);
}

void xl_ws_free(struct xl_ws *ws)
{
	if (!ws)
		return;
	ws->h.on_state = NULL;
	ws->running = false;
	lws_sul_cancel(&ws->sul_retry);
	if (ws->wsi) {
		lws_set_opaque_user_data(ws->wsi, NULL);
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
		ws->wsi = NULL;
	}
	lws_sul_cancel(&ws->sul_ping);
	lws_sul_cancel(&ws->sul_connect);
	while (ws->reqs) {
		struct ws_req *r = ws->reqs;
		ws->reqs = r->next;
		req_free(r);
	}
	xu_map_clear(&ws->req_map);
	free(ws->rx);
	free(ws);
}

/* ---- keepalive ---------------------------------------------------------- */

static void ping_reply(void *arg, enum xu_code code, json_t *msg,
		       const struct xu_err *err)
{
	(void)arg;
	(void)msg;
	if (code != XU_OK && code != XU_ETIMEOUT && code != XU_EUNAVAIL)
		xu_unusual(SUB, "ping failed: %s", err ? err->msg : "?");
}

static void send_ping(lws_sorted_usec_list_t *sul)
{
	struct xl_ws *ws = OWNER(sul, struct xl_ws, sul_ping);
	json_t *req = json_pack("{s:s}", "command", "ping");

	if (ws->state != XL_WS_OPEN)
		return;
	if (xl_ws_request(ws, req, ws->cfg.ping_interval_ms, ping_reply, NULL,
			  NULL) == XU_OK) {
		/* the newest request is the ping */
		ws->reqs_tail->is_ping = true;
	}
	lws_sul_schedule(ws->ctx, 0, &ws->sul_ping, send_ping,
			 (lws_usec_t)ws->cfg.ping_interval_ms * LWS_US_PER_MS);
}

/* ---- frames ------------------------------------------------------------- */

static enum xu_code map_error(const char *tok)
{
	/* lgrNotFound says the server lacks the ledger, nothing about
	 * what is in it: transient, as a lagging server is. */
	static const char *const notfound[] = {"txnNotFound", "actNotFound",
					       "entryNotFound"};
	/* notSynced: API v2's token for noNetwork, noCurrent and
	 * noClosed. */
	static const char *const unavail[] = {
	    "tooBusy",	"slowDown",  "noNetwork",  "noCurrent",
	    "noClosed", "notSynced", "lgrNotFound"};

	for (size_t i = 0; i < sizeof(notfound) / sizeof(notfound[0]); i++)
		if (strcmp(tok, notfound[i]) == 0)
			return XU_ENOTFOUND;
	for (size_t i = 0; i < sizeof(unavail) / sizeof(unavail[0]); i++)
		if (strcmp(tok, unavail[i]) == 0)
			return XU_EUNAVAIL;
	return XU_EINVAL;
}

static void dispatch(struct xl_ws *ws, json_t *msg)
{
	const char *type = xl_json_str(msg, "type");
	const char *status;
	json_t *jid = json_object_get(msg, "id");
	struct ws_req *r;
	uint64_t id;

	if (!type || strcmp(type, "response") != 0 || !jid) {
		if (ws->h.on_message)
			ws->h.on_message(ws->h.arg, msg);
		return;
	}
	if (!json_is_integer(jid) || json_integer_value(jid) <= 0) {
		xu_unusual(SUB, "response with a foreign id: ignored");
		return;
	}
	id = (uint64_t)json_integer_value(jid);
	r = xu_map_get(&ws->req_map, &id);
	if (r && r->frame)
		r = NULL; /* not written yet: no reply can be to it */
	if (!r) {
		xu_unusual(SUB,
			   "response to unknown request %" PRIu64 ": ignored",
			   id);
		return;
	}
	ws->attempts = 0; /* the connection works */
	status = xl_json_str(msg, "status");
	if (status && strcmp(status, "success") == 0 && xl_ws_result(msg)) {
		req_finish(ws, r, XU_OK, msg, NULL);
	} else if (status && strcmp(status, "error") == 0) {
		const char *tok = xl_json_str(msg, "error");
		const char *m = xl_json_str(msg, "error_message");
		struct xu_err e;
		enum xu_code c = map_error(tok ? tok : "");
		xu_fail(&e, c, 0, "rippled error %s%s%s", tok ? tok : "?",
			m ? ": " : "", m ? m : "");
		req_finish(ws, r, c, msg, &e);
	} else {
		struct xu_err e;
		xu_unusual(SUB, "malformed response to request %" PRIu64, id);
		xu_fail(&e, XU_EPARSE, 0, "malformed rippled response");
		req_finish(ws, r, XU_EPARSE, msg, &e);
	}
}

static void rx_frame(struct xl_ws *ws, struct lws *wsi, const void *in,
		     size_t len)
{
	json_error_t jerr;
	json_t *msg;

	if (lws_is_first_fragment(wsi)) {
		ws->rx_len = 0;
		ws->rx_discard = false;
		if (lws_frame_is_binary(wsi)) {
			xu_unusual(SUB, "binary frame from rippled: dropped");
			ws->rx_discard = true;
		}
	}
	if (!ws->rx_discard) {
		if (ws->rx_len + len > ws->cfg.max_frame) {
			xu_unusual(SUB, "message above %zu bytes: dropped",
				   ws->cfg.max_frame);
			ws->rx_discard = true;
		} else {
			if (ws->rx_len + len > ws->rx_cap) {
				size_t cap = ws->rx_cap ? ws->rx_cap : 4096;
				unsigned char *nb;
				while (cap < ws->rx_len + len)
					cap *= 2;
				nb = realloc(ws->rx, cap);
				if (!nb) {
					xu_broken(SUB, "out of memory");
					ws->rx_discard = true;
					goto out;
				}
				ws->rx = nb;
				ws->rx_cap = cap;
			}
			if (len)
				memcpy(ws->rx + ws->rx_len, in, len);
			ws->rx_len += len;
		}
	}
out:
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return;
	if (ws->rx_discard) {
		ws->rx_discard = false;
		ws->rx_len = 0;
		return;
	}
	msg = json_loadb((const char *)ws->rx, ws->rx_len,
			 JSON_REJECT_DUPLICATES, &jerr);
	ws->rx_len = 0;
	if (!msg) {
		xu_unusual(SUB, "unparsable message from rippled: %s",
			   jerr.text);
		return;
	}
	if (!json_is_object(msg)) {
		xu_unusual(SUB, "non-object message from rippled: dropped");
		json_decref(msg);
		return;
	}
	dispatch(ws, msg);
	json_decref(msg);
}

static int writeable(struct xl_ws *ws, struct lws *wsi)
{
	struct ws_req *r;
	int n;

	r = ws->unwritten;
	if (!r)
		return 0;
	n = lws_write(wsi, r->frame + LWS_PRE, r->len, LWS_WRITE_TEXT);
	if (n < (int)r->len) {
		xu_unusual(SUB, "write to %s failed", ws->url);
		return -1;
	}
	free(r->frame);
	r->frame = NULL;
	ws->unwritten = r->next;
	if (ws->unwritten)
		lws_callback_on_writable(wsi);
	return 0;
}

int xl_ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct xl_ws *ws = wsi ? lws_get_opaque_user_data(wsi) : NULL;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (ws) {
			char why[128];
			/* in is lws' text, not necessarily terminated. */
			snprintf(why, sizeof(why), "%.*s",
				 in ? (int)(len < 127 ? len : 127) : 0,
				 in ? (const char *)in : "");
			on_closed(ws, wsi, why[0] ? why : "connection error");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!ws)
			return -1;
		ws->wsi = wsi;
		ws->connects++;
		lws_sul_cancel(&ws->sul_connect);
		if (ws->failures)
			xu_info(SUB, "connected to %s after %u failed attempts",
				ws->url, ws->failures);
		else
			xu_info(SUB, "connected to %s", ws->url);
		ws->failures = 0;
		lws_sul_schedule(ws->ctx, 0, &ws->sul_ping, send_ping,
				 (lws_usec_t)ws->cfg.ping_interval_ms *
				     LWS_US_PER_MS);
		set_state(ws, XL_WS_OPEN);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!ws)
			return -1;
		rx_frame(ws, wsi, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!ws)
			return -1;
		return writeable(ws, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (ws)
			on_closed(ws, wsi, "closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (ws && ws->wsi == wsi)
			on_closed(ws, wsi, "destroyed");
		return 0;
	default:
		return 0;
	}
}
