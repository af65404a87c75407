/* Connection-layer tests of the rippled client (ledger/net/ws.c and
 * client.c) against tests/ledger/net/mock_rippled.js: resync with channel
 * paging, the network-id check, malformed/binary/huge frames, foreign
 * reply ids, request timeouts, ping-driven reconnects, disconnects with
 * requests in flight, and reconnect with backoff after a server restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/sign.h"
#include "ledger/net/client.h"
#include "ledger/net/rippled.h"
#include "src/util/log.h"
#include "tests/ledger/net/harness.h"

#define OUR "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
#define PEER "rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL"
#define GONE "rPEPPER7kfTD9w2To4CQk6UCfuHM9c6GDY"

struct fx {
	struct th_proc srv;
	struct lws_context *ctx;
	struct xl_client *c;
	int ready, fatal, ledgers, states;
	uint32_t last_ledger;
	uint32_t ledger_time; /* the last resync's */
	size_t out, in;
	size_t tagged; /* entries with the validated ledger of their page */
	struct xu_err fatal_err;
	/* last reply */
	int replies;
	enum xu_code code;
	json_t *msg;
};

static bool start_mock(struct fx *f, const char *const extra[])
{
	char script[512], port[16];
	char *argv[16];
	int n = 0;

	snprintf(script, sizeof(script), "%s/tests/ledger/net/mock_rippled.js",
		 XRPSE_SOURCE_DIR);
	if (!f->srv.port)
		f->srv.port = th_free_port();
	snprintf(port, sizeof(port), "%d", f->srv.port);
	argv[n++] = "node";
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = port;
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return th_spawn(&f->srv, "mock-rippled", argv);
}

static void on_ready(void *arg, const struct xl_sync_info *s)
{
	struct fx *f = arg;

	f->ready++;
	f->ledger_time = s->ledger_time;
	f->out = json_array_size(s->channels_out);
	f->in = json_array_size(s->channels_in);
	f->tagged = 0;
	for (int k = 0; k < 2; k++) {
		json_t *a = k ? s->channels_in : s->channels_out;

		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);

			if (json_integer_value(
				json_object_get(e, "ledger_index")) >= 10)
				f->tagged++;
		}
	}
}

static void on_ledger(void *arg, uint32_t idx, json_t *msg)
{
	struct fx *f = arg;

	(void)msg;
	f->ledgers++;
	f->last_ledger = idx;
}

static void on_fatal(void *arg, const struct xu_err *err)
{
	struct fx *f = arg;

	f->fatal++;
	f->fatal_err = *err;
}

static void on_state(void *arg, enum xl_client_state st)
{
	struct fx *f = arg;

	(void)st;
	f->states++;
}

static struct fx *fx_new(const char *const mock_args[], uint32_t network_id,
			 const char *const *peers, size_t npeers,
			 unsigned ping_ms, size_t max_frame)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct xl_client_cfg cfg;
	struct xl_client_listener l;
	struct xu_err err;
	char url[64];

	assert_non_null(f);
	assert_true(start_mock(f, mock_args));
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", f->srv.port);
	f->ctx = xl_ws_context_new(url, &err);
	assert_non_null(f->ctx);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ws.url = url;
	cfg.ws.ping_interval_ms = ping_ms;
	cfg.ws.request_timeout_ms = 2000;
	cfg.ws.backoff_min_ms = 50;
	cfg.ws.backoff_max_ms = 400;
	cfg.ws.max_frame = max_frame;
	cfg.account = OUR;
	cfg.network_id = network_id;
	cfg.peers = peers;
	cfg.npeers = npeers;
	f->c = xl_client_new(f->ctx, &cfg, &err);
	assert_non_null(f->c);
	memset(&l, 0, sizeof(l));
	l.on_ready = on_ready;
	l.on_ledger = on_ledger;
	l.on_fatal = on_fatal;
	l.on_state = on_state;
	l.arg = f;
	assert_int_equal(xl_client_listen(f->c, &l, &err), XU_OK);
	xl_client_start(f->c);
	return f;
}

static void fx_free(struct fx *f)
{
	xl_client_stop(f->c);
	xl_client_free(f->c);
	lws_context_destroy(f->ctx);
	th_kill(&f->srv);
	json_decref(f->msg);
	free(f);
}

static bool reconnected(void *arg);

static bool is_ready(void *arg)
{
	struct fx *f = arg;

	return xl_client_state(f->c) == XL_CLIENT_READY;
}

static void got_reply(void *arg, enum xu_code code, json_t *msg,
		      const struct xu_err *err)
{
	struct fx *f = arg;

	(void)err;
	f->replies++;
	f->code = code;
	json_decref(f->msg);
	f->msg = msg ? json_incref(msg) : NULL;
}

static bool got_ledger(void *arg)
{
	return ((struct fx *)arg)->ledgers >= 1;
}

static bool is_fatal(void *arg)
{
	return xl_client_state(((struct fx *)arg)->c) == XL_CLIENT_FATAL;
}

static bool two_connects(void *arg)
{
	return xl_ws_connect_count(xl_client_ws(((struct fx *)arg)->c)) >= 2;
}

static bool has_reply(void *arg)
{
	return ((struct fx *)arg)->replies > 0;
}

/* Sends req and waits for its reply; returns the code. */
static enum xu_code call(struct fx *f, json_t *req, unsigned timeout_ms)
{
	struct xu_err err;

	f->replies = 0;
	assert_int_equal(
	    xl_client_request(f->c, req, timeout_ms, got_reply, f, &err),
	    XU_OK);
	assert_true(th_run_until(f->ctx, has_reply, f, 10000));
	return f->code;
}

static void test_ws_resync_pages_channels(void **state)
{
	const char *const args[] = {"--channels", "5", NULL};
	const char *const peers[] = {PEER, GONE};
	struct fx *f = fx_new(args, 1, peers, 2, 0, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	assert_int_equal(f->ready, 1);
	assert_int_equal(f->out, 5); /* three pages of 2, 2, 1 */
	assert_int_equal(f->in, 1);  /* PEER has one, GONE has no account */
	/* Each entry says the validated ledger its page was read at. */
	assert_int_equal(f->tagged, 6);
	assert_true(xl_client_validated_index(f->c) >= 10);
	/* The validated ledger's close time, from the subscribe answer. */
	assert_int_equal(f->ledger_time, 1);
	/* A peer added later is synced from the next resync on. */
	{
		struct xu_err err;
		assert_int_equal(xl_client_add_peer(f->c, "rNOTVALID0", &err),
				 XU_EINVAL);
		assert_int_equal(
		    xl_client_add_peer(
			f->c, "rDsbeomae4FXwgQTJp9Rs64Qg9vDiTCdBv", &err),
		    XU_OK);
		assert_int_equal(xl_client_add_peer(f->c, PEER, &err), XU_OK);
		xl_ws_drop(xl_client_ws(f->c));
		assert_true(th_run_until(f->ctx, reconnected, f, 10000));
		assert_int_equal(f->in, 2); /* PEER + the new one */
		assert_int_equal(f->out, 5);
	}
	/* ledgerClosed messages arrive at READY and move the index. */
	f->ledgers = 0;
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_close_ledger"), 0),
	    XU_OK);
	assert_true(th_run_until(f->ctx, got_ledger, f, 10000));
	assert_int_equal(f->last_ledger, xl_client_validated_index(f->c));
	fx_free(f);
}

static void test_ws_network_mismatch_is_fatal(void **state)
{
	const char *const args[] = {"--network-id", "0", NULL};
	struct fx *f = fx_new(args, 1, NULL, 0, 0, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, is_fatal, f, 10000));
	th_run_for(f->ctx, 300); /* no reconnect follows */
	assert_int_equal(f->fatal, 1);
	assert_int_equal(f->ready, 0);
	assert_non_null(strstr(f->fatal_err.msg, "network id 0"));
	assert_non_null(xl_client_fatal_err(f->c));
	/* It stays down: no reconnect loop. */
	assert_int_equal(xl_ws_connect_count(xl_client_ws(f->c)), 1);
	fx_free(f);
}

static void test_ws_absent_network_id_means_mainnet(void **state)
{
	const char *const args[] = {"--no-network-id", NULL};
	struct fx *f = fx_new(args, 0, NULL, 0, 0, 0);
	struct fx *g;

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	fx_free(f);
	g = fx_new(args, 1, NULL, 0, 0, 0);
	assert_true(th_run_until(g->ctx, is_fatal, g, 10000));
	fx_free(g);
}

static void test_ws_bad_frames_are_dropped(void **state)
{
	struct fx *f = fx_new(NULL, 1, NULL, 0, 0, 64 * 1024);
	const char *raw[] = {
	    "not json",
	    "[1,2,3]",
	    "{\"type\":\"response\",\"id\":\"x\"}",
	    "{\"type\":\"ledgerClosed\",\"ledger_index\":\"many\"}",
	    "{\"type\":\"transaction\",\"validated\":\"yes\"}",
	    "{\"no_type\":1}",
	    "{\"a\":1,\"a\":2}",
	    "{\"type\":\"ledgerClosed\",\"ledger_index\":-5}",
	};

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		assert_int_equal(
		    call(f,
			 json_pack("{s:s,s:s}", "command", "mock_send_raw",
				   "text", raw[i]),
			 0),
		    XU_OK);
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_send_binary"), 0),
	    XU_OK);
	f->ledgers = 0;
	/* 200 KB > the 64 KB cap: dropped, the ledger 999 never seen. */
	assert_int_equal(call(f,
			      json_pack("{s:s,s:i}", "command",
					"mock_send_huge", "size", 200000),
			      0),
			 XU_OK);
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_reply_foreign"), 0),
	    XU_OK);
	assert_int_not_equal(f->last_ledger, 999);
	assert_true(xl_client_validated_index(f->c) < 999);
	/* A reply with our id but no result object fails cleanly. */
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_reply_bad"), 0),
	    XU_EPARSE);
	/* Still the same connection, still working. */
	assert_int_equal(xl_client_state(f->c), XL_CLIENT_READY);
	assert_int_equal(xl_ws_connect_count(xl_client_ws(f->c)), 1);
	assert_int_equal(call(f, json_pack("{s:s}", "command", "ping"), 0),
			 XU_OK);
	/* An error reply maps to a code. */
	assert_int_equal(call(f, json_pack("{s:s}", "command", "nope"), 0),
			 XU_EINVAL);
	assert_int_equal(
	    call(f,
		 json_pack("{s:s,s:s}", "command", "tx", "transaction", "00"),
		 0),
	    XU_ENOTFOUND);
	/* lgrNotFound: the server lacks the ledger, not the entry. */
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_lgr_not_found"), 0),
	    XU_EUNAVAIL);
	/* notSynced (API v2's noNetwork/noCurrent/noClosed): transient. */
	assert_int_equal(
	    call(f, json_pack("{s:s}", "command", "mock_not_synced"), 0),
	    XU_EUNAVAIL);
	fx_free(f);
}

static bool reconnected(void *arg)
{
	struct fx *f = arg;

	return xl_ws_connect_count(xl_client_ws(f->c)) >= 2 && is_ready(f);
}

static void test_ws_timeout_and_ping_reconnect(void **state)
{
	struct fx *f = fx_new(NULL, 1, NULL, 0, 400, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	assert_int_equal(
	    call(f, json_pack("{s:s,s:b}", "command", "mock_silent", "on", 1),
		 0),
	    XU_OK);
	/* No answer: the request times out on its own. */
	assert_int_equal(call(f, json_pack("{s:s}", "command", "ping"), 200),
			 XU_ETIMEOUT);
	/* The keepalive ping times out too and the client reconnects; the
	 * mock is still silent, so the resync cannot finish... */
	assert_true(th_run_until(f->ctx, two_connects, f, 10000));
	assert_int_not_equal(xl_client_state(f->c), XL_CLIENT_READY);
	fx_free(f);
}

static void test_ws_disconnect_fails_pending(void **state)
{
	struct fx *f = fx_new(NULL, 1, NULL, 0, 0, 0);
	struct xu_err err;

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	f->replies = 0;
	assert_int_equal(xl_client_request(f->c,
					   json_pack("{s:s,s:i}", "command",
						     "slow", "ms", 3000),
					   5000, got_reply, f, &err),
			 XU_OK);
	/* The mock drops every connection (including this one). */
	assert_int_equal(
	    xl_ws_request(xl_client_ws(f->c),
			  json_pack("{s:s}", "command", "mock_drop_all"), 0,
			  NULL, NULL, &err),
	    XU_OK);
	assert_true(th_run_until(f->ctx, has_reply, f, 5000));
	assert_int_equal(f->code, XU_EUNAVAIL);
	/* Not connected: a request fails at once. */
	if (xl_client_state(f->c) < XL_CLIENT_SUBSCRIBING)
		assert_int_equal(
		    xl_client_request(f->c,
				      json_pack("{s:s}", "command", "ping"), 0,
				      got_reply, f, &err),
		    XU_EUNAVAIL);
	/* Reconnects, resubscribes and resyncs. */
	assert_true(th_run_until(f->ctx, reconnected, f, 10000));
	assert_int_equal(f->ready, 2);
	fx_free(f);
}

static void test_ws_reconnect_after_server_restart(void **state)
{
	struct fx *f = fx_new(NULL, 1, NULL, 0, 0, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	th_kill(&f->srv);
	th_run_for(f->ctx, 800); /* several failed attempts with backoff */
	assert_int_not_equal(xl_client_state(f->c), XL_CLIENT_READY);
	assert_true(start_mock(f, NULL));
	assert_true(th_run_until(f->ctx, reconnected, f, 10000));
	assert_int_equal(f->ready, 2);
	fx_free(f);
}

/* A server whose account_channels never stops paging: the resync gives
 * up and starts over (never READY, never stuck). */
static void test_ws_endless_paging_gives_up(void **state)
{
	const char *const args[] = {"--marker-loop", NULL};
	struct fx *f = fx_new(args, 1, NULL, 0, 0, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, two_connects, f, 30000));
	assert_int_equal(f->ready, 0);
	fx_free(f);
}

/* An implausible jump of the validated ledger within one stream makes the
 * client resync instead of believing it. */
static void test_ws_ledger_jump_resyncs(void **state)
{
	struct fx *f = fx_new(NULL, 1, NULL, 0, 0, 0);

	(void)state;
	assert_true(th_run_until(f->ctx, is_ready, f, 10000));
	/* The reply may lose the race with the drop: not waited for. */
	assert_int_equal(xl_ws_request(xl_client_ws(f->c),
				       json_pack("{s:s,s:s}", "command",
						 "mock_send_raw", "text",
						 "{\"type\":\"ledgerClosed\","
						 "\"ledger_index\":5000000}"),
				       0, NULL, NULL, NULL),
			 XU_OK);
	assert_true(th_run_until(f->ctx, reconnected, f, 10000));
	assert_true(xl_client_validated_index(f->c) < 5000000);
	assert_int_equal(f->ready, 2);
	fx_free(f);
}

/* wss:// verifies the server certificate against the system CA store: a
 * self-signed certificate is refused and the client never opens; with that
 * certificate trusted, the same server is synced over TLS. */
static void test_ws_wss_verifies_certificate(void **state)
{
	char dir[] = "/tmp/xrpse-tls-XXXXXX", cmd[512], cert[64], key[64];
	char port[16], script[512], url[64];
	struct th_proc srv = {0, 0};
	struct lws_context *ctx;
	struct xl_client_cfg cfg;
	struct xl_client *c;
	struct xu_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	snprintf(script, sizeof(script), "%s/tests/ledger/net/mock_rippled.js",
		 XRPSE_SOURCE_DIR);
	srv.port = th_free_port();
	snprintf(port, sizeof(port), "%d", srv.port);
	{
		char *argv[] = {"node",	     script,	   "--port",
				port,	     "--tls-cert", cert,
				"--tls-key", key,	   NULL};
		assert_true(th_spawn(&srv, "mock-rippled", argv));
	}
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d", srv.port);
	ctx = xl_ws_context_new(url, &err);
	assert_non_null(ctx);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ws.url = url;
	cfg.ws.backoff_min_ms = 100;
	cfg.account = OUR;
	cfg.network_id = 1;
	c = xl_client_new(ctx, &cfg, &err);
	assert_non_null(c);
	xl_client_start(c);
	th_run_for(ctx, 2000);
	assert_int_equal(xl_ws_connect_count(xl_client_ws(c)), 0);
	assert_true(xl_client_state(c) <= XL_CLIENT_CONNECTING);
	xl_client_free(c);
	lws_context_destroy(ctx);

	/* Trusting that certificate, the same server works end to end. */
	ctx = xl_ws_context_new_ca(url, cert, &err);
	assert_non_null(ctx);
	c = xl_client_new(ctx, &cfg, &err);
	assert_non_null(c);
	xl_client_start(c);
	{
		long long end = th_now_ms() + 10000;
		while (xl_client_state(c) != XL_CLIENT_READY &&
		       th_now_ms() < end)
			th_run_for(ctx, 20);
	}
	assert_int_equal(xl_client_state(c), XL_CLIENT_READY);
	assert_true(xl_client_validated_index(c) >= 10);
	xl_client_stop(c);
	xl_client_free(c);
	lws_context_destroy(ctx);
	th_kill(&srv);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

static void test_ws_bad_config(void **state)
{
	struct lws_context *ctx;
	struct xl_client_cfg cfg;
	struct xu_err err;

	(void)state;
	ctx = xl_ws_context_new("ws://127.0.0.1:1", &err);
	assert_non_null(ctx);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ws.url = "http://127.0.0.1:1";
	cfg.account = OUR;
	assert_null(xl_client_new(ctx, &cfg, &err));
	assert_int_equal(err.code, XU_EINVAL);
	cfg.ws.url = "ws://127.0.0.1:99999";
	assert_null(xl_client_new(ctx, &cfg, &err));
	cfg.ws.url = "ws://127.0.0.1:6006";
	cfg.account = "notanaddress";
	assert_null(xl_client_new(ctx, &cfg, &err));
	cfg.account = OUR;
	struct xl_client *c = xl_client_new(ctx, &cfg, &err);
	assert_non_null(c);
	xl_client_free(c);
	lws_context_destroy(ctx);
}

/* A journal with no rows (the facade test submits nothing). */
static enum xu_code nj_pending(void *ctx, const char *account,
			       void (*fn)(void *, const struct xl_jentry *),
			       void *arg, struct xu_err *err)
{
	(void)ctx;
	(void)account;
	(void)fn;
	(void)arg;
	(void)err;
	return XU_OK;
}

static void facade_fatal(void *arg, const struct xu_err *err)
{
	(void)err;
	(*(int *)arg)++;
}

static bool facade_done(void *arg)
{
	struct xl_rippled *r = arg;
	enum xl_client_state st = xl_client_state(xl_rippled_client(r));

	return st == XL_CLIENT_READY || st == XL_CLIENT_FATAL;
}

/* The daemon's facade: /health JSON when ready and after a mismatch. */
static void test_ws_rippled_health(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lws_context *ctx;
	struct cr_keypair kp;
	struct xl_journal j;
	struct xl_rippled_cfg rc;
	struct xl_rippled *r;
	struct xu_err err;
	char url[64];
	json_t *h;
	int fatal = 0;

	(void)state;
	assert_int_equal(cr_init(&err), XU_OK);
	assert_int_equal(cr_keypair_from_seed_text(
			     &kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", 0, &err),
			 XU_OK);
	assert_true(start_mock(f, NULL));
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", f->srv.port);
	ctx = xl_ws_context_new(url, &err);
	assert_non_null(ctx);
	memset(&j, 0, sizeof(j));
	j.pending = nj_pending;
	for (int mismatch = 0; mismatch < 2; mismatch++) {
		memset(&rc, 0, sizeof(rc));
		rc.url = url;
		rc.network_id = mismatch ? 7 : 1;
		rc.kp = &kp;
		rc.on_fatal = facade_fatal;
		rc.arg = &fatal;
		r = xl_rippled_new(ctx, &rc, &j, &err);
		assert_non_null(r);
		xl_rippled_start(r);
		assert_true(th_run_until(ctx, facade_done, r, 10000));
		h = xl_rippled_health(r);
		assert_non_null(h);
		assert_string_equal(xl_json_str(h, "url"), url);
		if (!mismatch) {
			uint32_t v;
			assert_string_equal(xl_json_str(h, "status"), "ready");
			assert_true(
			    json_is_true(json_object_get(h, "connected")));
			assert_true(xl_json_u32(h, "validated_ledger", &v));
			assert_true(v >= 10);
			assert_true(json_is_true(json_object_get(
			    json_object_get(h, "queue"), "reconciled")));
			assert_int_equal(fatal, 0);
		} else {
			assert_string_equal(xl_json_str(h, "status"), "fatal");
			assert_non_null(
			    strstr(xl_json_str(h, "error"), "network id 1"));
			assert_int_equal(fatal, 1);
		}
		json_decref(h);
		xl_rippled_free(r);
	}
	/* A bad url is refused up front. */
	rc.url = "tcp://x";
	assert_null(xl_rippled_new(ctx, &rc, &j, &err));
	lws_context_destroy(ctx);
	cr_keypair_clear(&kp);
	th_kill(&f->srv);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ws_bad_config),
	    cmocka_unit_test(test_ws_resync_pages_channels),
	    cmocka_unit_test(test_ws_network_mismatch_is_fatal),
	    cmocka_unit_test(test_ws_absent_network_id_means_mainnet),
	    cmocka_unit_test(test_ws_bad_frames_are_dropped),
	    cmocka_unit_test(test_ws_timeout_and_ping_reconnect),
	    cmocka_unit_test(test_ws_disconnect_fails_pending),
	    cmocka_unit_test(test_ws_reconnect_after_server_restart),
	    cmocka_unit_test(test_ws_rippled_health),
	    cmocka_unit_test(test_ws_endless_paging_gives_up),
	    cmocka_unit_test(test_ws_ledger_jump_resyncs),
	    cmocka_unit_test(test_ws_wss_verifies_certificate),
	};
	if (!getenv("XRPSE_TEST_VERBOSE"))
		xu_log_set_level(XU_LOG_BROKEN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
