/* The rippled client: subscriptions and resync over ws.c (see client.h).
 *
 * The resync is a chain of requests, each started from the previous one's
 * reply: server_info -> subscribe -> account_info -> account_channels
 * (source, paged) -> account_channels per peer (destination, paged) ->
 * READY.  Stream messages that arrive before READY are buffered and
 * replayed at READY, so listeners see every validated transaction of our
 * account exactly in the order rippled sent them, and never before the
 * state they apply to was read. */
#include "ledger/net/client.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"

#define SUB "rippled"
#define MAX_BUFFERED 20000
#define PAGE_LIMIT 200
#define MAX_PAGES 1000	     /* 200k channels: beyond that, a marker loop */
#define MAX_LEDGER_JUMP 1000 /* a bigger jump in one stream: resync */

struct xl_client {
	struct xl_ws *ws;
	struct xl_client_cfg cfg;
	char account[64];
	char *peers[XL_CLIENT_MAX_PEERS];
	struct xl_client_listener ls[XL_CLIENT_MAX_LISTENERS];
	size_t nls;

	enum xl_client_state state;
	struct xu_err fatal;
	uint32_t validated;

	struct xl_sync_info sync;
	size_t peer_idx;  /* which peer's channels are being read */
	unsigned pages;	  /* account_channels pages read in this sync */
	json_t *buffered; /* stream messages held until READY */
};

static const char *const state_names[] = {
    "disconnected", "connecting", "subscribing", "syncing", "ready", "fatal",
};

const char *xl_client_state_name(enum xl_client_state st)
{
	if ((unsigned)st < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[st];
	return "?";
}

static void set_state(struct xl_client *c, enum xl_client_state st)
{
	if (c->state == st)
		return;
	xu_debug(SUB, "state %s -> %s", xl_client_state_name(c->state),
		 xl_client_state_name(st));
	c->state = st;
	for (size_t i = 0; i < c->nls; i++)
		if (c->ls[i].on_state)
			c->ls[i].on_state(c->ls[i].arg, st);
}

static void sync_reset(struct xl_client *c)
{
	json_decref(c->sync.channels_out);
	json_decref(c->sync.channels_in);
	memset(&c->sync, 0, sizeof(c->sync));
	json_array_clear(c->buffered);
	c->peer_idx = 0;
	c->pages = 0;
}

/* Gives up on this connection: the ws layer reconnects with backoff. */
static void resync_failed(struct xl_client *c, const char *step,
			  const struct xu_err *err)
{
	xu_unusual(SUB, "resync failed at %s: %s", step,
		   err ? err->msg : "malformed reply");
	xl_ws_drop(c->ws);
}

/* True when a reply belongs to the current sync and should be handled. */
static bool sync_live(struct xl_client *c, enum xl_client_state expect,
		      enum xu_code code)
{
	if (c->state != expect)
		return false;
	if (code == XU_EUNAVAIL && xl_ws_state(c->ws) != XL_WS_OPEN)
		return false;
	return true;
}

static void request_or_drop(struct xl_client *c, json_t *req, xl_ws_reply_fn cb,
			    const char *step)
{
	struct xu_err e;

	if (xl_ws_request(c->ws, req, 0, cb, c, &e) != XU_OK)
		resync_failed(c, step, &e);
}

static void go_ready(struct xl_client *c);

/* False (and the connection dropped) when the pages never end. */
static bool page_budget(struct xl_client *c)
{
	if (++c->pages <= MAX_PAGES)
		return true;
	resync_failed(c, "account_channels (endless paging)", NULL);
	return false;
}

/* Appends the entries of an account_channels page (result res) to dst,
 * each with "ledger_index": the validated ledger the page was read from,
 * when the page says it is validated and which one (else none: the entry
 * is no validated view; xl_sync_info). */
static void page_add(json_t *dst, json_t *res, json_t *chans)
{
	json_t *val = json_object_get(res, "validated");
	json_t *idx = json_object_get(res, "ledger_index");
	bool validated = json_is_true(val) && json_is_integer(idx) &&
			 json_integer_value(idx) > 0 &&
			 json_integer_value(idx) <= UINT32_MAX;
	size_t i;
	json_t *e;

	json_array_foreach(chans, i, e)
	{
		if (!json_is_object(e))
			continue;
		if (validated)
			json_object_set(e, "ledger_index", idx);
		else
			json_object_del(e, "ledger_index");
		json_array_append(dst, e);
	}
}

static void sync_channels_in(struct xl_client *c, const char *marker);

/* ---- channels where a peer is the source and we are the destination ---- */

static void channels_in_reply(void *arg, enum xu_code code, json_t *msg,
			      const struct xu_err *err)
{
	struct xl_client *c = arg;
	json_t *res, *chans;
	const char *marker;

	if (!sync_live(c, XL_CLIENT_SYNCING, code))
		return;
	if (code == XU_ENOTFOUND) { /* the peer has no account yet */
		c->peer_idx++;
		sync_channels_in(c, NULL);
		return;
	}
	res = xl_ws_result(msg);
	chans = json_object_get(res, "channels");
	if (code != XU_OK || !json_is_array(chans)) {
		resync_failed(c, "account_channels (in)", err);
		return;
	}
	page_add(c->sync.channels_in, res, chans);
	marker = NULL;
	if (json_object_get(res, "marker"))
		marker = json_dumps(json_object_get(res, "marker"),
				    JSON_ENCODE_ANY | JSON_COMPACT);
	if (!marker)
		c->peer_idx++;
	sync_channels_in(c, marker);
	free((char *)marker);
}

static void sync_channels_in(struct xl_client *c, const char *marker)
{
	json_t *req;

	if (c->peer_idx >= c->cfg.npeers) {
		go_ready(c);
		return;
	}
	if (!page_budget(c))
		return;
	req = json_pack("{s:s,s:s,s:s,s:s,s:i}", "command", "account_channels",
			"account", c->peers[c->peer_idx], "destination_account",
			c->account, "ledger_index", "validated", "limit",
			PAGE_LIMIT);
	if (marker)
		json_object_set_new(req, "marker",
				    json_loads(marker, JSON_DECODE_ANY, NULL));
	request_or_drop(c, req, channels_in_reply, "account_channels (in)");
}

/* ---- channels where we are the source ----------------------------------- */

static void sync_channels_out(struct xl_client *c, json_t *marker);

static void channels_out_reply(void *arg, enum xu_code code, json_t *msg,
			       const struct xu_err *err)
{
	struct xl_client *c = arg;
	json_t *res, *chans, *marker;

	if (!sync_live(c, XL_CLIENT_SYNCING, code))
		return;
	if (code == XU_ENOTFOUND) { /* we have no account yet */
		c->peer_idx = 0;
		sync_channels_in(c, NULL);
		return;
	}
	res = xl_ws_result(msg);
	chans = json_object_get(res, "channels");
	if (code != XU_OK || !json_is_array(chans)) {
		resync_failed(c, "account_channels", err);
		return;
	}
	page_add(c->sync.channels_out, res, chans);
	marker = json_object_get(res, "marker");
	if (marker) {
		sync_channels_out(c, marker);
		return;
	}
	c->peer_idx = 0;
	sync_channels_in(c, NULL);
}

static void sync_channels_out(struct xl_client *c, json_t *marker)
{
	json_t *req;

	if (!page_budget(c))
		return;
	req = json_pack("{s:s,s:s,s:s,s:i}", "command", "account_channels",
			"account", c->account, "ledger_index", "validated",
			"limit", PAGE_LIMIT);

	if (marker)
		json_object_set(req, "marker", marker);
	request_or_drop(c, req, channels_out_reply, "account_channels");
}

/* ---- our account -------------------------------------------------------- */

static void account_info_reply(void *arg, enum xu_code code, json_t *msg,
			       const struct xu_err *err)
{
	struct xl_client *c = arg;
	json_t *ad;

	if (!sync_live(c, XL_CLIENT_SYNCING, code))
		return;
	if (code == XU_ENOTFOUND) {
		c->sync.account_found = false;
		xu_info(SUB, "account %s not found in the validated ledger",
			c->account);
		sync_channels_out(c, NULL);
		return;
	}
	ad = json_object_get(xl_ws_result(msg), "account_data");
	if (code != XU_OK ||
	    !xl_json_u32(ad, "Sequence", &c->sync.account_sequence) ||
	    !xl_json_u64(ad, "Balance", &c->sync.balance)) {
		resync_failed(c, "account_info", err);
		return;
	}
	if (!xl_json_u32(ad, "OwnerCount", &c->sync.owner_count))
		c->sync.owner_count = 0;
	c->sync.account_found = true;
	sync_channels_out(c, NULL);
}

static void sync_account(struct xl_client *c)
{
	set_state(c, XL_CLIENT_SYNCING);
	if (!c->cfg.account) {
		go_ready(c);
		return;
	}
	request_or_drop(c,
			json_pack("{s:s,s:s,s:s}", "command", "account_info",
				  "account", c->account, "ledger_index",
				  "validated"),
			account_info_reply, "account_info");
}

/* ---- subscribe ---------------------------------------------------------- */

static void subscribe_reply(void *arg, enum xu_code code, json_t *msg,
			    const struct xu_err *err)
{
	struct xl_client *c = arg;
	json_t *res = xl_ws_result(msg);
	uint32_t idx;

	if (!sync_live(c, XL_CLIENT_SUBSCRIBING, code))
		return;
	if (code != XU_OK || !res) {
		resync_failed(c, "subscribe", err);
		return;
	}
	if (xl_json_u32(res, "ledger_index", &idx) &&
	    idx > c->sync.validated_index)
		c->sync.validated_index = idx;
	/* The ledger stream's answer describes the latest validated ledger,
	 * its close time included. */
	if (!xl_json_u32(res, "ledger_time", &c->sync.ledger_time))
		c->sync.ledger_time = 0;
	(void)(xl_json_u64(res, "fee_base", &c->sync.fee_base) &&
	       xl_json_u64(res, "reserve_base", &c->sync.reserve_base) &&
	       xl_json_u64(res, "reserve_inc", &c->sync.reserve_inc));
	sync_account(c);
}

static void subscribe(struct xl_client *c)
{
	json_t *req = json_pack("{s:s,s:[s]}", "command", "subscribe",
				"streams", "ledger");

	if (c->cfg.account)
		json_object_set_new(req, "accounts",
				    json_pack("[s]", c->account));
	request_or_drop(c, req, subscribe_reply, "subscribe");
}

/* ---- server_info: the network check ------------------------------------- */

static void server_info_reply(void *arg, enum xu_code code, json_t *msg,
			      const struct xu_err *err)
{
	struct xl_client *c = arg;
	json_t *info = json_object_get(xl_ws_result(msg), "info");
	json_t *vl;
	uint32_t nid = 0;

	if (!sync_live(c, XL_CLIENT_SUBSCRIBING, code))
		return;
	if (code != XU_OK || !json_is_object(info)) {
		resync_failed(c, "server_info", err);
		return;
	}
	if (json_object_get(info, "network_id") &&
	    !xl_json_u32(info, "network_id", &nid)) {
		resync_failed(c, "server_info (network_id malformed)", NULL);
		return;
	}
	if (nid != c->cfg.network_id) {
		xu_fail(&c->fatal, XU_EINVAL, 0,
			"rippled at %s serves network id %" PRIu32
			" but the configured network id is %" PRIu32
			": refusing to run",
			xl_ws_url(c->ws), nid, c->cfg.network_id);
		xu_unusual(SUB, "%s", c->fatal.msg);
		xl_ws_stop(c->ws);
		set_state(c, XL_CLIENT_FATAL);
		for (size_t i = 0; i < c->nls; i++)
			if (c->ls[i].on_fatal)
				c->ls[i].on_fatal(c->ls[i].arg, &c->fatal);
		return;
	}
	c->sync.network_id = nid;
	vl = json_object_get(info, "validated_ledger");
	if (xl_json_u32(vl, "seq", &c->sync.validated_index) &&
	    c->sync.validated_index > c->validated)
		c->validated = c->sync.validated_index;
	subscribe(c);
}

/* ---- READY and the streams ---------------------------------------------- */

static void deliver(struct xl_client *c, json_t *msg)
{
	const char *type = xl_json_str(msg, "type");
	uint32_t idx;

	if (strcmp(type, "ledgerClosed") == 0) {
		if (!xl_json_u32(msg, "ledger_index", &idx)) {
			xu_unusual(SUB, "ledgerClosed without ledger_index");
			return;
		}
		if (idx <= c->validated && c->validated != 0)
			return; /* already covered by the resync */
		if (c->validated != 0 && idx - c->validated > MAX_LEDGER_JUMP) {
			xu_unusual(SUB,
				   "ledger %" PRIu32 " after %" PRIu32
				   ": implausible jump, resyncing",
				   idx, c->validated);
			xl_ws_drop(c->ws);
			return;
		}
		c->validated = idx;
		for (size_t i = 0; i < c->nls; i++)
			if (c->ls[i].on_ledger)
				c->ls[i].on_ledger(c->ls[i].arg, idx, msg);
	} else if (strcmp(type, "transaction") == 0) {
		json_t *v = json_object_get(msg, "validated");
		if (!json_is_true(v))
			return; /* provisional: never acted on */
		for (size_t i = 0; i < c->nls; i++)
			if (c->ls[i].on_tx)
				c->ls[i].on_tx(c->ls[i].arg, msg);
	}
}

static void go_ready(struct xl_client *c)
{
	json_t *buf;
	size_t i;
	json_t *m;

	if (c->sync.validated_index > c->validated)
		c->validated = c->sync.validated_index;
	xu_info(SUB,
		"ready: validated ledger %" PRIu32 ", %zu own channels, "
		"%zu incoming",
		c->validated, json_array_size(c->sync.channels_out),
		json_array_size(c->sync.channels_in));
	set_state(c, XL_CLIENT_READY);
	for (i = 0; i < c->nls && c->state == XL_CLIENT_READY; i++)
		if (c->ls[i].on_ready)
			c->ls[i].on_ready(c->ls[i].arg, &c->sync);
	/* The pages are the listeners' (on_ready; one that keeps them holds
	 * a reference): not kept until the next resync (at 10,000 links they
	 * are some 30 MB of JSON), and the heap pages they held go back to
	 * the system, since what the listeners made meanwhile sits between
	 * them (docs/design.md#scale). */
	if (json_array_size(c->sync.channels_out) ||
	    json_array_size(c->sync.channels_in)) {
		json_decref(c->sync.channels_out);
		json_decref(c->sync.channels_in);
		c->sync.channels_out = json_array();
		c->sync.channels_in = json_array();
		malloc_trim(0);
	}
	/* Replay what arrived while syncing (a listener may have dropped
	 * the connection meanwhile: then the buffer was cleared). */
	buf = c->buffered;
	c->buffered = json_array();
	json_array_foreach(buf, i, m)
	{
		if (c->state != XL_CLIENT_READY)
			break;
		deliver(c, m);
	}
	json_decref(buf);
}

static void on_message(void *arg, json_t *msg)
{
	struct xl_client *c = arg;
	const char *type = xl_json_str(msg, "type");

	if (!type) {
		xu_unusual(SUB, "message without type: ignored");
		return;
	}
	if (strcmp(type, "ledgerClosed") != 0 &&
	    strcmp(type, "transaction") != 0) {
		if (strcmp(type, "error") == 0)
			xu_unusual(SUB, "rippled error message: %s",
				   xl_json_str(msg, "error")
				       ? xl_json_str(msg, "error")
				       : "?");
		return;
	}
	if (c->state == XL_CLIENT_READY) {
		deliver(c, msg);
		return;
	}
	if (c->state != XL_CLIENT_SUBSCRIBING && c->state != XL_CLIENT_SYNCING)
		return;
	if (json_array_size(c->buffered) >= MAX_BUFFERED) {
		xu_unusual(SUB, "too many stream messages while syncing");
		xl_ws_drop(c->ws);
		return;
	}
	json_array_append(c->buffered, msg);
}

static void on_ws_state(void *arg, enum xl_ws_state st)
{
	struct xl_client *c = arg;

	if (c->state == XL_CLIENT_FATAL)
		return;
	switch (st) {
	case XL_WS_DISCONNECTED:
		sync_reset(c);
		set_state(c, XL_CLIENT_DISCONNECTED);
		return;
	case XL_WS_CONNECTING:
		set_state(c, XL_CLIENT_CONNECTING);
		return;
	case XL_WS_OPEN:
		sync_reset(c);
		c->sync.channels_out = json_array();
		c->sync.channels_in = json_array();
		set_state(c, XL_CLIENT_SUBSCRIBING);
		request_or_drop(c, json_pack("{s:s}", "command", "server_info"),
				server_info_reply, "server_info");
		return;
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static bool valid_address(const char *a)
{
	size_t n = a ? strlen(a) : 0;

	if (n < 25 || n > 35 || a[0] != 'r')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oF"
			    "qi1tuvAxyz",
			    a[i]))
			return false;
	return true;
}

struct xl_client *xl_client_new(struct lws_context *ctx,
				const struct xl_client_cfg *cfg,
				struct xu_err *err)
{
	struct xl_client *c;
	struct xl_ws_handlers h;

	if (cfg->account && !valid_address(cfg->account)) {
		xu_fail(err, XU_EINVAL, 0, "bad account address");
		return NULL;
	}
	if (cfg->npeers > XL_CLIENT_MAX_PEERS) {
		xu_fail(err, XU_ERANGE, 0, "too many peers (max %d)",
			XL_CLIENT_MAX_PEERS);
		return NULL;
	}
	for (size_t i = 0; i < cfg->npeers; i++) {
		if (!valid_address(cfg->peers[i])) {
			xu_fail(err, XU_EINVAL, 0, "bad peer address");
			return NULL;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		xu_fail(err, XU_ENOMEM, 0, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	if (cfg->account) {
		snprintf(c->account, sizeof(c->account), "%s", cfg->account);
		c->cfg.account = c->account;
	}
	for (size_t i = 0; i < cfg->npeers; i++) {
		c->peers[i] = strdup(cfg->peers[i]);
		if (!c->peers[i]) {
			xu_fail(err, XU_ENOMEM, 0, "out of memory");
			xl_client_free(c);
			return NULL;
		}
	}
	c->cfg.peers = NULL;
	if (!cfg->account)
		c->cfg.npeers = 0;
	c->buffered = json_array();
	h.on_message = on_message;
	h.on_state = on_ws_state;
	h.arg = c;
	c->ws = xl_ws_new(ctx, &cfg->ws, &h, err);
	if (!c->ws || !c->buffered) {
		xl_client_free(c);
		return NULL;
	}
	c->cfg.ws.url = xl_ws_url(c->ws);
	return c;
}

enum xu_code xl_client_listen(struct xl_client *c,
			      const struct xl_client_listener *l,
			      struct xu_err *err)
{
	if (c->nls >= XL_CLIENT_MAX_LISTENERS)
		return xu_fail(err, XU_ERANGE, 0, "too many listeners");
	c->ls[c->nls++] = *l;
	return XU_OK;
}

enum xu_code xl_client_add_peer(struct xl_client *c, const char *addr,
				struct xu_err *err)
{
	if (!valid_address(addr))
		return xu_fail(err, XU_EINVAL, 0, "bad peer address");
	if (!c->cfg.account)
		return xu_fail(err, XU_EINVAL, 0, "no account to sync for");
	for (size_t i = 0; i < c->cfg.npeers; i++)
		if (strcmp(c->peers[i], addr) == 0)
			return XU_OK;
	if (c->cfg.npeers >= XL_CLIENT_MAX_PEERS)
		return xu_fail(err, XU_ERANGE, 0, "too many peers (max %d)",
			       XL_CLIENT_MAX_PEERS);
	c->peers[c->cfg.npeers] = strdup(addr);
	if (!c->peers[c->cfg.npeers])
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	c->cfg.npeers++;
	return XU_OK;
}

const char *xl_client_peer(const struct xl_client *c, size_t i)
{
	return i < c->cfg.npeers ? c->peers[i] : NULL;
}

void xl_client_unlisten(struct xl_client *c, void *arg)
{
	size_t i = 0;

	while (i < c->nls) {
		if (c->ls[i].arg == arg) {
			memmove(&c->ls[i], &c->ls[i + 1],
				(c->nls - i - 1) * sizeof(c->ls[0]));
			c->nls--;
		} else {
			i++;
		}
	}
}

void xl_client_start(struct xl_client *c)
{
	if (c->state == XL_CLIENT_FATAL)
		return;
	xl_ws_start(c->ws);
}

void xl_client_stop(struct xl_client *c)
{
	xl_ws_stop(c->ws);
}

void xl_client_free(struct xl_client *c)
{
	if (!c)
		return;
	xl_ws_free(c->ws);
	for (size_t i = 0; i < XL_CLIENT_MAX_PEERS; i++)
		free(c->peers[i]);
	json_decref(c->sync.channels_out);
	json_decref(c->sync.channels_in);
	json_decref(c->buffered);
	free(c);
}

enum xl_client_state xl_client_state(const struct xl_client *c)
{
	return c->state;
}

uint32_t xl_client_validated_index(const struct xl_client *c)
{
	return c->validated;
}

const struct xu_err *xl_client_fatal_err(const struct xl_client *c)
{
	return c->state == XL_CLIENT_FATAL ? &c->fatal : NULL;
}

const char *xl_client_account(const struct xl_client *c)
{
	return c->cfg.account;
}

struct xl_ws *xl_client_ws(struct xl_client *c)
{
	return c->ws;
}

enum xu_code xl_client_request(struct xl_client *c, json_t *req,
			       unsigned timeout_ms, xl_ws_reply_fn cb,
			       void *arg, struct xu_err *err)
{
	if (c->state < XL_CLIENT_SUBSCRIBING || c->state == XL_CLIENT_FATAL) {
		json_decref(req);
		return xu_fail(err, XU_EUNAVAIL, 0, "rippled client is %s",
			       xl_client_state_name(c->state));
	}
	return xl_ws_request(c->ws, req, timeout_ms, cb, arg, err);
}
