/* Benchmark of the payment-channel service at many links: one engine
 * (alice) with N accounts (default 10,000), each paired with the same
 * peer address (bob), an OPEN outgoing channel and an OPEN incoming one:
 * N accounts and 2N channel records in a real store, the real service
 * (src/paychan) against fakes of the outbox and of rippled that answer at
 * once (the fakes are this file's, as in test_paychan.c).  Prints the CPU
 * time of:
 *   - restart: eng_paychan_new over the store, the resync (on_ready, with
 *     the account_channels entries of all 2N channels, as the client reads
 *     them) and the ledger lookups it asks, answered from the ledger until
 *     none is left, plus the recoveries' last_claim questions answered
 *     404 (6 simulated seconds);
 *   - idle: each simulated second a tick and the lookups the polls ask,
 *     over 600 simulated seconds (one full sweep included), as % of a
 *     core, and the tick alone;
 *   - settlement: the API's settle + eng_paychan_settled in one batch,
 *     the claim it signs sent and acknowledged;
 *   - message: a signed claim from the peer on an incoming channel,
 *     verified, credited;
 *   - the tick under load: each simulated second R settlements and R
 *     peer claims on random accounts, then the tick (its CPU, mean and
 *     worst of 10 s);
 * and the process's resident memory (VmRSS, VmHWM).  A benchmark, not a
 * test: nothing is asserted beyond the service working.
 *
 * Usage: bench_paychan [dir] [N] [ops] [R]   (default: /tmp, 10000, 2000,
 * 500) */
#define _DEFAULT_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel/msg.h"
#include "crypto/claim.h"
#include "crypto/sign.h"
#include "ledger/net/rippled.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/chanstore.h"
#include "src/util/hex.h"
#include "src/util/log.h"

#define AMOUNT 10000000000ull /* 10,000 XRP per channel */
#define SETTLE_DELAY (7u * 24 * 3600)
#define LEDGER 1000u

static void die(const char *what, const struct xu_err *e)
{
	fprintf(stderr, "bench_paychan: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

static struct xl_drops dr(uint64_t v)
{
	struct xl_drops d;

	if (!xl_drops_from_u64(&d, v))
		die("drops", NULL);
	return d;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- fakes ------------------------------------------------------------ */

struct req {
	json_t *req;
	xl_ws_reply_fn cb;
	void *arg;
};

struct out_msg {
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	char tag[16];
	int64_t id;
	char *reply; /* a claim's: the peer's answer (malloc'd) */
	size_t reply_len;
};

static struct {
	double slice_max; /* the longest slice of a tick (CPU s) */
	struct eng_store *st;
	struct cr_keypair kp, bob;
	struct cr_seed seed;
	struct cr_account_id self, peer;
	char self_addr[CR_ADDRESS_STRLEN], peer_addr[CR_ADDRESS_STRLEN];
	struct eng_paychan *pc;
	struct eng_msgs types;
	eng_outbox_reply_fn reply_fn;
	void *reply_arg;
	struct xl_client_listener listener;
	struct req *reqs;
	size_t nreqs, capreqs;
	struct out_msg *msgs;
	size_t nmsgs, capmsgs;
	int64_t msg_id;
	uint64_t requests, credits, intents, retries;
	int64_t mono, wall; /* the service's clocks (ms) */
	uint32_t links;	    /* accounts in the store, each a channel each way */
} g;

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 256;
	v = realloc(v, *cap * size);
	if (!v)
		die("out of memory", NULL);
	return v;
}

static struct out_msg *push_msg(const char *account, const char *tag,
				int64_t id)
{
	struct out_msg *m;

	g.msgs = grow(g.msgs, &g.capmsgs, g.nmsgs, sizeof(*g.msgs));
	m = &g.msgs[g.nmsgs++];
	snprintf(m->account, sizeof(m->account), "%s", account);
	snprintf(m->tag, sizeof(m->tag), "%s", tag ? tag : "");
	m->id = id;
	m->reply = NULL;
	m->reply_len = 0;
	return m;
}

/* The peer's answer to our claim (bytes): accepted, holding it. */
static void claim_reply(struct out_msg *m, const void *bytes, size_t len)
{
	struct pc_msg c, r;
	struct xu_err e;
	char buf[PC_MSG_MAX_BYTES + 1];

	if (pc_msg_decode(&c, bytes, len, &e) != XU_OK)
		die("our claim", &e);
	memset(&r, 0, sizeof(r));
	r.type = PC_MSG_CLAIM_REPLY;
	memcpy(r.u.reply.channel, c.u.claim.channel, CR_CHANNEL_ID_BYTES);
	r.u.reply.accepted = true;
	r.u.reply.amount = c.u.claim.amount;
	r.u.reply.code = PC_REJ_NONE;
	if (pc_msg_encode(&r, buf, sizeof(buf), &m->reply_len, &e) != XU_OK)
		die("claim reply", &e);
	m->reply = strdup(buf);
	if (!m->reply)
		die("out of memory", NULL);
}

enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err)
{
	(void)s;
	(void)account;
	(void)drops;
	(void)idem_key;
	(void)err;
	g.credits++;
	if (id)
		*id = (int64_t)g.credits;
	return XU_OK;
}

enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id, struct xu_err *err)
{
	(void)s;
	(void)bytes;
	(void)len;
	(void)err;
	push_msg(account, tag, ++g.msg_id);
	if (id)
		*id = g.msg_id;
	return XU_OK;
}

enum xu_code eng_outbox_send_now(struct eng_outbox *ob, const char *account,
				 const void *bytes, size_t len, uint64_t token,
				 struct xu_err *err)
{
	(void)ob;
	(void)err;
	claim_reply(push_msg(account, "claim", (int64_t)token), bytes, len);
	return XU_OK;
}

enum xu_code eng_outbox_retry_now(struct eng_outbox *ob, const char *account,
				  uint64_t token, struct xu_err *err)
{
	(void)ob;
	(void)account;
	(void)token;
	return xu_fail(err, XU_EUNAVAIL, 0, "bench: no retries");
}

unsigned eng_outbox_room(const struct eng_outbox *ob)
{
	(void)ob;
	return 64;
}

unsigned eng_outbox_capacity(const struct eng_outbox *ob)
{
	(void)ob;
	return 64;
}

int64_t eng_outbox_backoff_ms(const struct eng_outbox *ob, int64_t attempts)
{
	(void)ob;
	(void)attempts;
	return 1000;
}

int eng_outbox_tick(struct eng_outbox *ob, int64_t now_ms)
{
	(void)ob;
	(void)now_ms;
	return 0;
}

void eng_outbox_on_reply(struct eng_outbox *ob, const char *tag,
			 eng_outbox_reply_fn fn, void *arg)
{
	(void)ob;
	(void)tag;
	g.reply_fn = fn;
	g.reply_arg = arg;
}

struct xl_client *xl_rippled_client(struct xl_rippled *r)
{
	return (struct xl_client *)(void *)r;
}
struct xl_submit *xl_rippled_submit(struct xl_rippled *r)
{
	return (struct xl_submit *)(void *)r;
}

void xl_submit_set_max_inflight(struct xl_submit *s, unsigned n)
{
	(void)s;
	(void)n;
}
enum xl_client_state xl_client_state(const struct xl_client *c)
{
	(void)c;
	return XL_CLIENT_READY;
}
uint32_t xl_client_validated_index(const struct xl_client *c)
{
	(void)c;
	return LEDGER;
}
enum xu_code xl_client_listen(struct xl_client *c,
			      const struct xl_client_listener *l,
			      struct xu_err *err)
{
	(void)c;
	(void)err;
	g.listener = *l;
	return XU_OK;
}
enum xu_code xl_client_request(struct xl_client *c, json_t *req,
			       unsigned timeout_ms, xl_ws_reply_fn cb,
			       void *arg, struct xu_err *err)
{
	(void)c;
	(void)timeout_ms;
	(void)err;
	g.reqs = grow(g.reqs, &g.capreqs, g.nreqs, sizeof(*g.reqs));
	g.reqs[g.nreqs].req = req;
	g.reqs[g.nreqs].cb = cb;
	g.reqs[g.nreqs].arg = arg;
	g.nreqs++;
	g.requests++;
	return XU_OK;
}
enum xu_code xl_client_add_peer(struct xl_client *c, const char *addr,
				struct xu_err *err)
{
	(void)c;
	(void)addr;
	(void)err;
	return XU_OK;
}
/* Every link's peer is one address. */
const char *xl_client_peer(const struct xl_client *c, size_t i)
{
	(void)c;
	return i == 0 ? g.peer_addr : NULL;
}
json_t *xl_ws_result(json_t *msg)
{
	return json_object_get(msg, "result");
}
bool xl_json_u64(json_t *obj, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		*out = strtoull(json_string_value(v), NULL, 10);
		return true;
	}
	return false;
}
bool xl_json_u32(json_t *obj, const char *key, uint32_t *out)
{
	uint64_t v;

	if (!xl_json_u64(obj, key, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}
const char *xl_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
enum xu_code xl_submit_enqueue(struct xl_submit *s, const char *intent,
			       unsigned flags, xl_build_fn build,
			       void *build_arg, struct xu_err *err)
{
	(void)s;
	(void)intent;
	(void)flags;
	(void)build;
	(void)build_arg;
	(void)err;
	g.intents++;
	return XU_OK;
}
enum xu_code xl_submit_enqueue_as(struct xl_submit *s, const char *intent,
				  unsigned flags, const char *owner,
				  xl_build_fn build, void *build_arg,
				  struct xu_err *err)
{
	(void)owner;
	return xl_submit_enqueue(s, intent, flags, build, build_arg, err);
}
const char *xl_outcome_kind_name(enum xl_outcome_kind k)
{
	return k == XL_OUT_SUCCESS ? "success" : "failure";
}

/* ---- the ledger ------------------------------------------------------- */

/* Channel ids: byte 0 says the direction ('O' ours, 'I' the peer's), 1-4
 * the account's number. */
static void chan_id(uint8_t id[CR_CHANNEL_ID_BYTES], char dir, uint32_t i)
{
	memset(id, 0x5a, CR_CHANNEL_ID_BYTES);
	id[0] = (uint8_t)dir;
	memcpy(id + 1, &i, sizeof(i));
}

static void account_name(char out[ENG_STORE_ACCOUNT_MAX + 1], uint32_t i)
{
	snprintf(out, ENG_STORE_ACCOUNT_MAX + 1, "peer-%05u", (unsigned)i);
}

/* The ledger's PayChannel node for channel id (hex). */
static json_t *node_of(const char *hex)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char pk[2 * CR_PUBKEY_BYTES + 1];
	bool out;

	if (xu_hex_decode_exact(id, sizeof(id), hex, NULL) != XU_OK)
		die("a lookup of a bad id", NULL);
	out = id[0] == 'O';
	xu_hex_encode(pk, sizeof(pk), out ? g.kp.pub.b : g.bob.pub.b,
		      CR_PUBKEY_BYTES);
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "LedgerEntryType", "PayChannel",
	    "Account", out ? g.self_addr : g.peer_addr, "Destination",
	    out ? g.peer_addr : g.self_addr, "Amount", "10000000000", "Balance",
	    "0", "SettleDelay", (json_int_t)SETTLE_DELAY, "PublicKey", pk);
}

static json_t *pages_of(char dir, uint32_t from, uint32_t count);

/* Answers one request as a synced rippled would. */
static void answer(struct req *r)
{
	const char *cmd = xl_json_str(r->req, "command");
	json_t *msg;

	if (cmd && !strcmp(cmd, "ledger_entry")) {
		json_t *node = node_of(xl_json_str(r->req, "payment_channel"));

		msg = json_pack("{s:s,s:{s:o,s:I,s:b}}", "status", "success",
				"result", "node", node, "ledger_index",
				(json_int_t)LEDGER, "validated", 1);
	} else if (cmd && !strcmp(cmd, "account_channels")) {
		/* Pages of our channels or of the peer's to us, the marker
		 * the index of the next; as the client tags them, not. */
		const char *acct = xl_json_str(r->req, "account");
		char dir = acct && !strcmp(acct, g.self_addr) ? 'O' : 'I';
		json_t *mk = json_object_get(r->req, "marker");
		uint32_t from =
		    json_is_integer(mk) ? (uint32_t)json_integer_value(mk) : 0;
		uint32_t lim = 400, n = from < g.links ? g.links - from : 0;
		json_t *chans = pages_of(dir, from, n < lim ? n : lim);
		size_t i;
		json_t *e;

		json_array_foreach(chans, i, e)
		    json_object_del(e, "ledger_index");
		msg = json_pack("{s:s,s:{s:o,s:I,s:b}}", "status", "success",
				"result", "channels", chans, "ledger_index",
				(json_int_t)LEDGER, "validated", 1);
		if (n > lim)
			json_object_set_new(json_object_get(msg, "result"),
					    "marker", json_integer(from + lim));
	} else if (cmd && !strcmp(cmd, "account_info")) {
		msg = json_pack("{s:s,s:{s:{s:s,s:i},s:I,s:b}}", "status",
				"success", "result", "account_data", "Balance",
				"100000000000", "OwnerCount", 20000,
				"ledger_index", (json_int_t)LEDGER, "validated",
				1);
	} else {
		msg = json_pack("{s:s,s:s}", "status", "error", "error",
				"unknownCmd");
	}
	r->cb(r->arg, msg && !json_object_get(msg, "error") ? XU_OK : XU_EINVAL,
	      msg, NULL);
	json_decref(msg);
	json_decref(r->req);
}

/* Answers the requests until none is left; returns how many. */
static size_t drain_requests(void)
{
	size_t done = 0;

	while (g.nreqs) {
		struct req *v = g.reqs;
		size_t n = g.nreqs;

		g.reqs = NULL;
		g.nreqs = g.capreqs = 0;
		for (size_t i = 0; i < n; i++)
			answer(&v[i]);
		free(v);
		done += n;
	}
	return done;
}

/* Answers the outbox messages: last_claim 404 (the peer cannot say: our
 * store's claim stands), claims acknowledged, others 201. */
static void drain_msgs(void)
{
	while (g.nmsgs) {
		struct out_msg *v = g.msgs;
		size_t n = g.nmsgs;

		g.msgs = NULL;
		g.nmsgs = g.capmsgs = 0;
		for (size_t i = 0; i < n; i++) {
			struct out_msg *m = &v[i];

			if (!strcmp(m->tag, "last_claim"))
				g.reply_fn(g.reply_arg, ENG_OUTBOX_MESSAGE,
					   m->id, m->tag, m->account, 404,
					   (const uint8_t *)"", 0);
			else if (!strcmp(m->tag, "claim"))
				g.reply_fn(g.reply_arg, ENG_OUTBOX_MESSAGE,
					   m->id, m->tag, m->account, 201,
					   (const uint8_t *)m->reply,
					   m->reply_len);
			free(m->reply);
		}
		free(v);
	}
}

/* ---- the engine --------------------------------------------------------*/

static int64_t clock_mono(void *arg)
{
	(void)arg;
	return g.mono;
}

static int64_t clock_wall(void *arg)
{
	(void)arg;
	return g.wall;
}

static void seed_store(uint32_t n)
{
	struct xu_err e;

	if (eng_store_begin(g.st, &e) != XU_OK)
		die("begin", &e);
	for (uint32_t i = 0; i < n; i++) {
		char acct[ENG_STORE_ACCOUNT_MAX + 1];
		struct eng_chan_peer p;
		struct eng_chan_out o;
		struct eng_chan_in r;
		uint8_t id[CR_CHANNEL_ID_BYTES];
		bool created;

		account_name(acct, i);
		if (eng_store_account_create(g.st, acct, &created, &e) != XU_OK)
			die("account", &e);
		memset(&p, 0, sizeof(p));
		snprintf(p.account, sizeof(p.account), "%s", acct);
		p.paired = true;
		p.address = g.peer;
		p.key_type = CR_KEY_ED25519;
		p.version = 1;
		memset(&o, 0, sizeof(o));
		snprintf(o.account, sizeof(o.account), "%s", acct);
		pc_out_init(&o.ch, &g.self, &g.peer);
		o.ch.state = PC_OUT_OPEN;
		o.ch.has_id = true;
		chan_id(o.ch.id, 'O', i);
		o.ch.amount = dr(AMOUNT);
		o.ch.settle_delay = SETTLE_DELAY;
		o.ch.seen_ledger = LEDGER;
		o.create_n = 1;
		memset(&r, 0, sizeof(r));
		snprintf(r.account, sizeof(r.account), "%s", acct);
		chan_id(id, 'I', i);
		pc_in_init(&r.ch, &g.self, &g.peer, id);
		r.ch.state = PC_IN_OPEN;
		r.ch.has_view = true;
		memcpy(r.ch.view.id, r.ch.id, CR_CHANNEL_ID_BYTES);
		r.ch.view.source = g.peer;
		r.ch.view.dest = g.self;
		r.ch.view.amount = dr(AMOUNT);
		r.ch.view.balance = xl_drops_zero();
		r.ch.view.settle_delay = SETTLE_DELAY;
		memcpy(r.ch.view.pubkey, g.bob.pub.b, CR_PUBKEY_BYTES);
		r.ch.view.ledger_index = LEDGER;
		if (eng_chan_peer_put(g.st, &p, &e) != XU_OK ||
		    eng_chan_out_put(g.st, &o, &e) != XU_OK ||
		    eng_chan_in_put(g.st, &r, &e) != XU_OK)
			die("put", &e);
	}
	if (eng_store_commit(g.st, &e) != XU_OK)
		die("commit", &e);
}

/* The account_channels entries of channels from..from+count-1 of
 * direction dir, as the client hands them over (from validated ledger
 * LEDGER). */
static json_t *pages_of(char dir, uint32_t from, uint32_t count)
{
	json_t *a = json_array();

	for (uint32_t i = from; i < from + count; i++) {
		uint8_t id[CR_CHANNEL_ID_BYTES];
		char hex[2 * CR_CHANNEL_ID_BYTES + 1];
		json_t *node, *e;

		chan_id(id, dir, i);
		xu_hex_encode(hex, sizeof(hex), id, sizeof(id));
		node = node_of(hex);
		e = json_pack(
		    "{s:O,s:O,s:s,s:O,s:O,s:O,s:O,s:I}", "account",
		    json_object_get(node, "Account"), "destination_account",
		    json_object_get(node, "Destination"), "channel_id", hex,
		    "amount", json_object_get(node, "Amount"), "balance",
		    json_object_get(node, "Balance"), "settle_delay",
		    json_object_get(node, "SettleDelay"), "public_key_hex",
		    json_object_get(node, "PublicKey"), "ledger_index",
		    (json_int_t)LEDGER);
		json_array_append_new(a, e);
		json_decref(node);
	}
	return a;
}

static void ready(uint32_t n)
{
	struct xl_sync_info s;

	memset(&s, 0, sizeof(s));
	s.validated_index = LEDGER;
	s.ledger_time = 800000000;
	s.fee_base = 10;
	s.reserve_base = 10000000;
	s.reserve_inc = 2000000;
	s.account_found = true;
	s.balance = 100000000000ull;
	s.owner_count = 20000;
	s.channels_out = pages_of('O', 0, n);
	s.channels_in = pages_of('I', 0, n);
	g.listener.on_ready(g.listener.arg, &s);
	/* As the client does after on_ready (ledger/net/client.c go_ready):
	 * the pages freed, the heap trimmed. */
	json_decref(s.channels_out);
	json_decref(s.channels_in);
	malloc_trim(0);
}

static void start(void)
{
	struct eng_paychan_cfg cfg;
	struct xu_err e;
	struct eng_paychan_env env = {
	    .store = g.st,
	    .outbox = (struct eng_outbox *)(void *)&g,
	    .rippled = (struct xl_rippled *)(void *)&g,
	    .kp = &g.kp,
	    .seed = &g.seed,
	    .msgs = &g.types,
	    .mono_ms = clock_mono,
	    .wall_ms = clock_wall,
	};

	memset(&g.types, 0, sizeof(g.types));
	eng_paychan_cfg_default(&cfg);
	if (eng_paychan_new(&g.pc, &env, &cfg, &e) != XU_OK)
		die("eng_paychan_new", &e);
}

/* One simulated second: the clocks move, the tick runs, rippled and the
 * peer answer.  Returns the CPU time of the tick alone. */
static double second(void)
{
	double t0;

	g.mono += 1000;
	g.wall += 1000;
	/* A validated ledger every 4 s, as the ledger stream brings. */
	if (g.mono % 4000 == 0) {
		json_t *l = json_pack("{s:I}", "ledger_time",
				      (json_int_t)(800000000 + g.mono / 1000));

		g.listener.on_ledger(g.listener.arg, LEDGER, l);
		json_decref(l);
	}
	t0 = cpu_s();
	for (bool more = true; more;) {
		double t1 = cpu_s();

		more = eng_paychan_tick(g.pc);
		t1 = cpu_s() - t1;
		if (t1 > g.slice_max)
			g.slice_max = t1;
	}
	t0 = cpu_s() - t0;
	drain_requests();
	drain_msgs();
	return t0;
}

static void settle(uint32_t i, uint64_t k)
{
	char acct[ENG_STORE_ACCOUNT_MAX + 1], key[32];
	struct eng_quantity q;
	struct eng_settle_result res;
	struct xu_err e;

	account_name(acct, i);
	snprintf(key, sizeof(key), "k%llu", (unsigned long long)k);
	memset(&q, 0, sizeof(q));
	snprintf(q.digits, sizeof(q.digits), "1000");
	q.scale = 6;
	if (eng_store_begin(g.st, &e) != XU_OK ||
	    eng_store_settle(g.st, acct, key, &q, g.wall / 1000, &res, &e) !=
		XU_OK ||
	    eng_paychan_settled(g.pc, acct, &e) != XU_OK ||
	    eng_store_commit(g.st, &e) != XU_OK)
		die("settle", &e);
	eng_paychan_batch_done(g.pc, true);
	drain_msgs();
	drain_requests();
}

/* A claim of the peer's on account i's incoming channel for drops. */
static void peer_claim(uint32_t i, uint64_t drops)
{
	char acct[ENG_STORE_ACCOUNT_MAX + 1], buf[PC_MSG_MAX_BYTES + 1];
	struct eng_msg_reply rep = {.status = 201};
	struct pc_msg m;
	struct xu_err e;
	size_t len;
	json_t *msg;
	void *arg = NULL;
	eng_msg_fn fn = eng_msgs_lookup(&g.types, "claim", &arg);

	account_name(acct, i);
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM;
	chan_id(m.u.claim.channel, 'I', i);
	m.u.claim.amount = dr(drops);
	if (cr_claim_sign(m.u.claim.sig, &m.u.claim.siglen, &g.bob,
			  m.u.claim.channel, drops, &e) != XU_OK ||
	    pc_msg_encode(&m, buf, sizeof(buf), &len, &e) != XU_OK)
		die("claim", &e);
	msg = json_loads(buf, 0, NULL);
	if (!fn || !msg)
		die("deliver", NULL);
	for (int attempt = 0;; attempt++) {
		enum xu_code rc;

		if (eng_store_begin(g.st, &e) != XU_OK)
			die("begin", &e);
		rc = fn(arg, acct, msg, &rep, &e);
		if (rc == XU_OK)
			break;
		/* No fresh view of the channel: it is looked up, the peer
		 * retries (as the outbox of a real one does). */
		eng_store_rollback(g.st);
		eng_paychan_batch_done(g.pc, true);
		if (rc != XU_EUNAVAIL || attempt > 0)
			die("claim refused", &e);
		g.retries++;
		drain_requests();
	}
	json_decref(msg);
	free(rep.body);
	if (eng_store_commit(g.st, &e) != XU_OK)
		die("commit", &e);
	eng_paychan_batch_done(g.pc, true);
	drain_msgs();
	drain_requests();
}

static void rss(const char *when)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	if (!f)
		return;
	printf("memory %s:", when);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6) ||
		    !strncmp(line, "VmHWM:", 6)) {
			line[strcspn(line, "\n")] = '\0';
			printf(" %s", line);
		}
	printf("\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 10000;
	unsigned ops = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 2000;
	unsigned rate = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 500;
	const unsigned load_s = 10;
	char path[512];
	struct xu_err e;
	double t0, t, tick_cpu = 0;
	uint64_t reqs0;
	const unsigned idle_s = 600;

	xu_log_set_level(getenv("BENCH_LOG") ? XU_LOG_DEBUG : XU_LOG_BROKEN);
	if (cr_init(&e) != XU_OK ||
	    cr_keypair_from_seed_text(&g.kp, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", 0,
				      &e) != XU_OK ||
	    cr_seed_parse(&g.seed, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", &e) !=
		XU_OK ||
	    cr_keypair_from_seed_text(&g.bob, "sEdTM1uX8pu2do5XvTnutH6HsouMaM2",
				      0, &e) != XU_OK)
		die("keys", &e);
	cr_account_id_of(&g.self, &g.kp.pub);
	cr_account_id_of(&g.peer, &g.bob.pub);
	cr_address_encode(g.self_addr, &g.self);
	cr_address_encode(g.peer_addr, &g.peer);
	g.mono = 1000000;
	g.wall = 1800000000000;
	snprintf(path, sizeof(path), "%s/xrpse-bench-paychan-%ld.db", dir,
		 (long)getpid());
	if (eng_store_open(&g.st, path, &e) != XU_OK)
		die("open", &e);
	seed_store(n);
	g.links = n;
	rss("after seeding");

	/* Restart: the service over the store, the resync, every lookup
	 * answered, every recovery answered. */
	t0 = cpu_s();
	reqs0 = g.requests;
	start();
	ready(n);
	second();
	for (int i = 0; i < 5; i++)
		second();
	t = cpu_s() - t0;
	printf("restart: %u accounts, %u channel records: %.3f s CPU, %llu "
	       "rippled requests\n",
	       n, 2 * n, t, (unsigned long long)(g.requests - reqs0));
	rss("after the restart");

	/* Idle. */
	reqs0 = g.requests;
	t0 = cpu_s();
	for (unsigned s = 0; s < idle_s; s++)
		tick_cpu += second();
	t = cpu_s() - t0;
	printf("idle: %.3f ms CPU per second (%.3f %% of a core), of which "
	       "the tick %.3f ms; %.1f rippled requests per second\n",
	       1000 * t / idle_s, 100 * t / idle_s, 1000 * tick_cpu / idle_s,
	       (double)(g.requests - reqs0) / idle_s);

	/* Settlements. */
	srand(1);
	t0 = cpu_s();
	for (unsigned k = 0; k < ops; k++)
		settle((uint32_t)rand() % n, k);
	t = cpu_s() - t0;
	printf("settlement: %.1f us CPU each (%u on random accounts)\n",
	       1e6 * t / ops, ops);

	/* Peer claims. */
	t0 = cpu_s();
	for (unsigned k = 0; k < ops; k++)
		peer_claim((uint32_t)rand() % n, 1000 + k);
	t = cpu_s() - t0;
	printf("message: %.1f us CPU per peer claim (%u, credited %llu, %llu "
	       "retried after a lookup)\n",
	       1e6 * t / ops, ops, (unsigned long long)g.credits,
	       (unsigned long long)g.retries);
	/* The tick under load: each simulated second `rate` settlements
	 * and `rate` peer claims on random accounts, then the tick, which
	 * looks at every record they wrote (the due index); the loop serves
	 * nothing else meanwhile. */
	double tick_max = 0;
	struct eng_paychan_stats st0, st1;
	tick_cpu = 0;
	g.slice_max = 0;
	eng_paychan_stats(g.pc, &st0);
	for (unsigned s = 0; s < load_s; s++) {
		for (unsigned k = 0; k < rate; k++) {
			settle((uint32_t)rand() % n, ops + s * rate + k);
			peer_claim((uint32_t)rand() % n,
				   1000 + ops + s * rate + k);
		}
		t = second();
		tick_cpu += t;
		if (t > tick_max)
			tick_max = t;
	}
	eng_paychan_stats(g.pc, &st1);
	printf("tick under load: %.2f ms CPU mean, %.2f ms max, its longest "
	       "slice %.2f ms, %.0f records read a tick (%u s, each %u "
	       "settlements and %u peer claims on random accounts of %u)\n",
	       1000 * tick_cpu / load_s, 1000 * tick_max, 1000 * g.slice_max,
	       (double)(st1.tick_records - st0.tick_records) / load_s, load_s,
	       rate, rate, n);
	rss("at the end");
	/* What of it is free memory malloc keeps (the resync's pages): */
	malloc_trim(0);
	rss("at the end, after malloc_trim");

	eng_paychan_free(g.pc);
	eng_store_close(g.st);
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-wal");
	unlink(path);
	path[strlen(path) - 4] = '\0';
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-shm");
	unlink(path);
	return 0;
}
