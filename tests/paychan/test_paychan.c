/* Unit tests for src/paychan/, the effect executor, with fakes for the
 * engine, the outbox and the rippled client: two services ("alice" with a
 * secp256k1 key, "bob" with ed25519) over real stores, their messages
 * carried by the test from one to the other.  Checked: pairing through
 * hello / hello_reply; a settlement opens a channel through the submission
 * queue (intent, builder, outcome with metadata); the claim is signed,
 * stored with the record and sent after the channel_update; the payee
 * answers 503 until it has a validated view, then accepts, crediting the
 * increase with the deterministic key in the same transaction; a repeated
 * claim credits nothing; bad claims are refused with their reason; a
 * claim the payee did not acknowledge is sent again; deletion asks the
 * peer to close; an account deleted and created again pays again; a
 * peer's new address never costs the drops owed. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel/msg.h"
#include "ledger/net/rippled.h"
#include "src/io/clock.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/paychan/service.h"
#include "src/store/chanstore.h"
#include "src/util/hex.h"

/* ---- fakes ------------------------------------------------------------ */

#define MAX_MSGS 64

struct sent {
	char account[64];
	char tag[32];
	char body[PC_MSG_MAX_BYTES + 1];
	size_t len;
	uint64_t token; /* a claim attempt's: its reply's id */
};

struct credit {
	char account[64];
	struct xl_drops drops;
	char key[PC_KEY_STRLEN];
};

struct intent {
	char intent[XL_INTENT_MAX];
	bool priority;
	bool deadline;
	xl_build_fn build;
	void *arg;
};

struct request {
	json_t *req;
	xl_ws_reply_fn cb;
	void *arg;
};

struct eng_engine {
	const char *name;
	struct eng_store *store;
	struct cr_keypair kp;
	struct cr_seed seed; /* kp's, for the keys of adopted channels */
	struct eng_paychan *pc;
	struct eng_msgs types;
	eng_outbox_reply_fn reply_fn;
	void *reply_arg;
	struct xl_client_listener listener;
	struct sent msgs[MAX_MSGS];
	size_t nmsgs;
	struct credit credits[MAX_MSGS];
	size_t ncredits;
	struct intent intents[MAX_MSGS];
	size_t nintents;
	struct request reqs[MAX_MSGS];
	uint32_t validated; /* the stream's newest validated ledger (0: none) */
	/* The addresses given to the client to read their channels to us at
	 * each resync (xl_client_add_peer), each once. */
	char peers[4][CR_ADDRESS_STRLEN];
	size_t npeers;
	/* The poll rounds' account_channels requests are taken (answered by
	 * the test) only when set; else the fake server refuses them at
	 * once and the polls ask ledger_entry, as most tests expect. */
	bool pages_ok;
	size_t nreqs;
	int64_t wall_off_ms; /* the service's wall clock: the test's plus */
	int64_t mono_off_ms; /* the service's monotonic clock: the test's
				plus this (a test sets it before a start) */
	int64_t us; /* the latency histograms' clock: set by the test */
	unsigned max_inflight; /* what the service set on its queue */
	/* The outbox's calls: when `capped`, `room` more may go (each claim
	 * attempt takes one, the test gives them back); a claim finding none
	 * is kept as the newest (`kept`), as the outbox keeps it, and refused
	 * XU_EUNAVAIL. */
	bool capped;
	unsigned room;
	struct sent kept;
	bool has_kept;
};

/* The fake outbox and rippled pointers are the engine itself. */
static struct eng_engine *by_ptr(const void *p)
{
	return (struct eng_engine *)(uintptr_t)p;
}

/* The outbox's store side: remembered, not written. */
static struct eng_engine *g_engines[2];

static struct eng_engine *by_store(struct eng_store *s)
{
	for (int i = 0; i < 2; i++)
		if (g_engines[i] && g_engines[i]->store == s)
			return g_engines[i];
	fail_msg("unknown store");
	return NULL;
}

enum xu_code eng_outbox_enqueue_credit(struct eng_store *s, const char *account,
				       struct xl_drops drops,
				       const char *idem_key, int64_t *id,
				       struct xu_err *err)
{
	struct eng_engine *e = by_store(s);
	struct credit *c;

	(void)err;
	assert_true(eng_store_in_tx(s));
	assert_true(e->ncredits < MAX_MSGS);
	c = &e->credits[e->ncredits++];
	snprintf(c->account, sizeof(c->account), "%s", account);
	c->drops = drops;
	snprintf(c->key, sizeof(c->key), "%s", idem_key);
	if (id)
		*id = (int64_t)e->ncredits;
	return XU_OK;
}

/* The next g_fail_n messages tagged g_fail_tag fail to be written. */
static const char *g_fail_tag;
static int g_fail_n;

enum xu_code eng_outbox_enqueue_message(struct eng_store *s,
					const char *account, const void *bytes,
					size_t len, const char *tag,
					int64_t *id, struct xu_err *err)
{
	struct eng_engine *e = by_store(s);
	struct sent *m;

	assert_true(eng_store_in_tx(s));
	if (g_fail_tag && tag && !strcmp(tag, g_fail_tag) && g_fail_n > 0) {
		g_fail_n--;
		return xu_fail(err, XU_ESTORE, 0, "test: the outbox fails");
	}
	assert_true(e->nmsgs < MAX_MSGS);
	assert_true(len <= PC_MSG_MAX_BYTES);
	m = &e->msgs[e->nmsgs++];
	snprintf(m->account, sizeof(m->account), "%s", account);
	snprintf(m->tag, sizeof(m->tag), "%s", tag ? tag : "");
	memcpy(m->body, bytes, len);
	m->body[len] = '\0';
	m->len = len;
	if (id)
		*id = (int64_t)e->nmsgs;
	return XU_OK;
}

/* Claims: only ever after the commit of what they pay (never inside a
 * transaction that may still roll back), one attempt each, recorded with
 * its token (carry hands it back as the reply's id). */
static struct sent *claim_attempt(struct eng_engine *e, const char *account,
				  const void *bytes, size_t len, uint64_t token)
{
	struct sent *m;

	assert_false(eng_store_in_tx(e->store));
	assert_true(e->nmsgs < MAX_MSGS);
	assert_true(len <= PC_MSG_MAX_BYTES);
	m = &e->msgs[e->nmsgs++];
	snprintf(m->account, sizeof(m->account), "%s", account);
	snprintf(m->tag, sizeof(m->tag), "claim");
	memmove(m->body, bytes, len);
	m->body[len] = '\0';
	m->len = len;
	m->token = token;
	return m;
}

/* The capacity of the fake outbox while capped: a quarter of it is kept
 * for rows (eng_paychan_room sends only beyond that). */
#define FAKE_CAPACITY 8

/* Takes one call when capped; false when none is left. */
static bool take_room(struct eng_engine *e)
{
	if (!e->capped)
		return true;
	if (e->room == 0)
		return false;
	e->room--;
	return true;
}

enum xu_code eng_outbox_send_now(struct eng_outbox *ob, const char *account,
				 const void *bytes, size_t len, uint64_t token,
				 struct xu_err *err)
{
	struct eng_engine *e = by_ptr(ob);

	if (!take_room(e)) {
		assert_true(len <= PC_MSG_MAX_BYTES);
		snprintf(e->kept.account, sizeof(e->kept.account), "%s",
			 account);
		memcpy(e->kept.body, bytes, len);
		e->kept.body[len] = '\0';
		e->kept.len = len;
		e->has_kept = true;
		return xu_fail(err, XU_EUNAVAIL, 0, "test: no call free");
	}
	claim_attempt(e, account, bytes, len, token);
	return XU_OK;
}

unsigned eng_outbox_room(const struct eng_outbox *ob)
{
	const struct eng_engine *e = by_ptr(ob);

	return e->capped ? e->room : FAKE_CAPACITY;
}

unsigned eng_outbox_capacity(const struct eng_outbox *ob)
{
	(void)ob;
	return FAKE_CAPACITY;
}

/* The account's last claim again, byte for byte (the newest one kept
 * when it could not go). */
enum xu_code eng_outbox_retry_now(struct eng_outbox *ob, const char *account,
				  uint64_t token, struct xu_err *err)
{
	struct eng_engine *e = by_ptr(ob);

	if (!take_room(e))
		return xu_fail(err, XU_EUNAVAIL, 0, "test: no call free");
	if (e->has_kept && !strcmp(e->kept.account, account)) {
		e->has_kept = false;
		claim_attempt(e, account, e->kept.body, e->kept.len, token);
		return XU_OK;
	}
	for (size_t i = e->nmsgs; i > 0; i--) {
		struct sent *m = &e->msgs[i - 1];

		if (!strcmp(m->tag, "claim") && !strcmp(m->account, account)) {
			claim_attempt(e, account, m->body, m->len, token);
			return XU_OK;
		}
	}
	return xu_fail(err, XU_ENOTFOUND, 0, "no claim to %s", account);
}

/* The outbox's backoff before a failed claim goes again: an hour unless
 * a test says otherwise (nothing retried meanwhile). */
static int64_t g_backoff_ms = 3600000;

/* The unix time settle() records its settlements at. */
static int64_t g_settle_unix;

int64_t eng_outbox_backoff_ms(const struct eng_outbox *ob, int64_t attempts)
{
	(void)ob;
	(void)attempts;
	return g_backoff_ms;
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
	struct eng_engine *e = by_ptr(ob);

	(void)tag; /* one service: every tag goes to the same callback */
	e->reply_fn = fn;
	e->reply_arg = arg;
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
	by_ptr(s)->max_inflight = n;
}
enum xl_client_state xl_client_state(const struct xl_client *c)
{
	(void)c;
	return XL_CLIENT_READY;
}
uint32_t xl_client_validated_index(const struct xl_client *c)
{
	return by_ptr(c)->validated;
}
enum xu_code xl_client_listen(struct xl_client *c,
			      const struct xl_client_listener *l,
			      struct xu_err *err)
{
	(void)err;
	by_ptr(c)->listener = *l;
	return XU_OK;
}
enum xu_code xl_client_request(struct xl_client *c, json_t *req,
			       unsigned timeout_ms, xl_ws_reply_fn cb,
			       void *arg, struct xu_err *err)
{
	struct eng_engine *e = by_ptr(c);
	const char *cmd = json_string_value(json_object_get(req, "command"));

	(void)timeout_ms;
	if (!e->pages_ok && cmd && !strcmp(cmd, "account_channels")) {
		json_decref(req);
		return xu_fail(err, XU_EUNAVAIL, 0, "no pages here");
	}
	assert_true(e->nreqs < MAX_MSGS);
	e->reqs[e->nreqs].req = req;
	e->reqs[e->nreqs].cb = cb;
	e->reqs[e->nreqs].arg = arg;
	e->nreqs++;
	return XU_OK;
}
enum xu_code xl_client_add_peer(struct xl_client *c, const char *addr,
				struct xu_err *err)
{
	struct eng_engine *e = by_ptr(c);

	(void)err;
	for (size_t i = 0; i < e->npeers; i++)
		if (!strcmp(e->peers[i], addr))
			return XU_OK;
	assert_true(e->npeers < 4);
	snprintf(e->peers[e->npeers++], CR_ADDRESS_STRLEN, "%s", addr);
	return XU_OK;
}
const char *xl_client_peer(const struct xl_client *c, size_t i)
{
	const struct eng_engine *e = by_ptr(c);

	return i < e->npeers ? e->peers[i] : NULL;
}
json_t *xl_ws_result(json_t *msg)
{
	return json_object_get(msg, "result");
}
bool xl_json_u32(json_t *obj, const char *key, uint32_t *out)
{
	uint64_t v;

	if (!xl_json_u64(obj, key, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
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
const char *xl_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
/* Outcomes the fake queue delivers from inside xl_submit_enqueue, as the
 * real one does for an intent its journal holds as FAILED already. */
struct sync_outcome {
	char intent[XL_INTENT_MAX];
	enum xl_outcome_kind kind;
	json_t *meta;	   /* borrowed; SUCCESS only */
	uint32_t sequence; /* 0: 9 */
};

static struct sync_outcome g_sync[4];
static size_t g_nsync;

enum xu_code xl_submit_enqueue(struct xl_submit *s, const char *intent,
			       unsigned flags, xl_build_fn build,
			       void *build_arg, struct xu_err *err)
{
	struct eng_engine *e = by_ptr(s);

	(void)err;
	assert_true(e->nintents < MAX_MSGS);
	snprintf(e->intents[e->nintents].intent, XL_INTENT_MAX, "%s", intent);
	e->intents[e->nintents].priority = (flags & XL_SUBMIT_PRIORITY) != 0;
	e->intents[e->nintents].deadline = (flags & XL_SUBMIT_DEADLINE) != 0;
	e->intents[e->nintents].build = build;
	e->intents[e->nintents].arg = build_arg;
	e->nintents++;
	for (size_t i = 0; i < g_nsync; i++) {
		struct xl_outcome o;

		if (strcmp(g_sync[i].intent, intent) != 0)
			continue;
		memset(&o, 0, sizeof(o));
		o.intent = g_sync[i].intent;
		o.kind = g_sync[i].kind;
		o.result =
		    o.kind == XL_OUT_SUCCESS ? "tesSUCCESS" : "tefMAX_LEDGER";
		o.sequence = g_sync[i].sequence ? g_sync[i].sequence : 9;
		o.ledger_index = 99;
		o.meta = g_sync[i].meta;
		eng_paychan_outcome(e->pc, &o);
	}
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

/* ---- harness ---------------------------------------------------------- */

static char dir[64];
static struct eng_engine alice, bob;
static struct cr_account_id alice_id, bob_id;
/* The validated ledger of the fake rippled's last answer. */
static uint32_t ledger_now;
/* The close time of the validated ledger a resync (ready) reports. */
static uint32_t g_ledger_time;
/* The PublicKey of alice's channel in the views the fake rippled answers
 * (NULL: her account key; an adopted channel's own key otherwise). */
static const uint8_t *g_chan_pub;

/* The test's clocks: read from the real ones once (main), then moved
 * only by pass_ms().  A test never depends on how fast the host runs it: a
 * loaded machine or a sanitizer build pausing the process for seconds
 * between two steps changes nothing the service sees. */
static int64_t g_mono0_ms, g_wall0_ms, g_passed_ms;

/* Lets ms of the test's time pass (both clocks, every engine). */
static void pass_ms(int64_t ms)
{
	g_passed_ms += ms;
}

/* The test's monotonic clock, without an engine's offset. */
static int64_t virt_mono_ms(void)
{
	return g_mono0_ms + g_passed_ms;
}

/* The test's wall clock, without an engine's offset. */
static int64_t virt_wall_ms(void)
{
	return g_wall0_ms + g_passed_ms;
}

/* e's monotonic clock (e->mono_off_ms from the test's). */
static int64_t test_mono_ms(void *arg)
{
	const struct eng_engine *e = arg;

	return virt_mono_ms() + e->mono_off_ms;
}

/* e's clock of the latency histograms: what the test set. */
static int64_t test_mono_us(void *arg)
{
	const struct eng_engine *e = arg;

	return e->us;
}

/* e's wall clock (e->wall_off_ms from the test's). */
static int64_t test_wall_ms(void *arg)
{
	const struct eng_engine *e = arg;

	return virt_wall_ms() + e->wall_off_ms;
}

/* Starts e's payment-channel service (again: a new process). */
/* recover_alert_ms of the next services started (0: 50 ms). */
static uint32_t g_recover_alert_ms;
static uint32_t g_poll_ms;	   /* 0: an hour */
static uint32_t g_poll_channel_us; /* 0: the default */
static uint32_t g_tx_inflight;	   /* 0: the default */
/* redeem_check_s of the next services started (0: the default). */
static uint32_t g_redeem_check_s;
static uint32_t g_tick_slice;

static void start_service(struct eng_engine *e)
{
	struct xu_err err;
	struct eng_paychan_cfg cfg;

	struct eng_paychan_env env = {
	    .store = e->store,
	    .outbox = (struct eng_outbox *)(void *)e,
	    .rippled = (struct xl_rippled *)(void *)e,
	    .kp = &e->kp,
	    .seed = &e->seed,
	    .msgs = &e->types,
	    .mono_ms = test_mono_ms,
	    .wall_ms = test_wall_ms,
	    .mono_us = test_mono_us,
	    .clock_arg = e,
	};

	memset(&e->types, 0, sizeof(e->types));
	eng_paychan_cfg_default(&cfg);
	cfg.tick_ms = 10;
	cfg.hello_retry_ms = 10;
	cfg.claim_resend_ms = 100;
	cfg.recover_alert_ms = g_recover_alert_ms ? g_recover_alert_ms : 50;
	cfg.poll_ms = g_poll_ms ? g_poll_ms : 3600000;
	if (g_poll_channel_us)
		cfg.poll_channel_us = g_poll_channel_us;
	cfg.due_audit = true; /* every test checks the due index */
	if (g_tx_inflight)
		cfg.tx_inflight = g_tx_inflight;
	if (g_redeem_check_s)
		cfg.pc.redeem_check_s = g_redeem_check_s;
	if (g_tick_slice)
		cfg.tick_slice = g_tick_slice;
	/* bob asks for more than alice's 6 days: her channel uses 7. */
	if (!strcmp(e->name, "bob"))
		cfg.pc.min_settle_delay = 7 * 24 * 3600;
	assert_int_equal(eng_paychan_new(&e->pc, &env, &cfg, &err), XU_OK);
}

static void open_engine(struct eng_engine *e, const char *name,
			const char *seed, const char *peer_account)
{
	char path[128];
	struct xu_err err;
	bool created;

	memset(e, 0, sizeof(*e));
	e->name = name;
	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	assert_int_equal(eng_store_open(&e->store, path, &err), XU_OK);
	assert_int_equal(cr_keypair_from_seed_text(&e->kp, seed, 0, &err),
			 XU_OK);
	assert_int_equal(cr_seed_parse(&e->seed, seed, &err), XU_OK);
	assert_int_equal(eng_store_begin(e->store, &err), XU_OK);
	assert_int_equal(
	    eng_store_account_create(e->store, peer_account, &created, &err),
	    XU_OK);
	assert_int_equal(eng_store_commit(e->store, &err), XU_OK);
	start_service(e);
}

static int setup(void **state)
{
	struct xu_err err;

	(void)state;
	assert_int_equal(cr_init(&err), XU_OK);
	snprintf(dir, sizeof(dir), "/tmp/xrpse-paychan-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	g_engines[0] = &alice;
	g_engines[1] = &bob;
	ledger_now = 1000;
	g_ledger_time = 1000;
	g_nsync = 0;
	g_fail_n = 0;
	g_backoff_ms = 3600000;
	g_settle_unix = 0;
	g_chan_pub = NULL;
	/* alice's account for bob is "b", bob's for alice is "a". */
	open_engine(&alice, "alice", "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", "b");
	open_engine(&bob, "bob", "sEdTM1uX8pu2do5XvTnutH6HsouMaM2", "a");
	cr_account_id_of(&alice_id, &alice.kp.pub);
	cr_account_id_of(&bob_id, &bob.kp.pub);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	eng_paychan_free(alice.pc);
	eng_paychan_free(bob.pc);
	eng_store_close(alice.store);
	eng_store_close(bob.store);
	for (size_t i = 0; i < alice.nreqs; i++)
		json_decref(alice.reqs[i].req);
	for (size_t i = 0; i < bob.nreqs; i++)
		json_decref(bob.reqs[i].req);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static eng_msg_fn handler(struct eng_engine *e, const char *type, void **arg)
{
	eng_msg_fn fn = eng_msgs_lookup(&e->types, type, arg);

	if (!fn)
		fail_msg("no handler for %s", type);
	return fn;
}

/* Delivers body to e's handler for account as the engine's batch would;
 * returns the status (201, 400, 503) and the reply in *reply (malloc'd). */
static int deliver(struct eng_engine *e, const char *account, const char *body,
		   char **reply)
{
	json_error_t jerr;
	json_t *msg = json_loads(body, 0, &jerr);
	struct eng_msg_reply r = {.status = 201};
	struct xu_err err = {0};
	void *arg = NULL;
	enum xu_code rc;
	int status;

	assert_non_null(msg);
	eng_msg_fn fn =
	    handler(e, json_string_value(json_object_get(msg, "type")), &arg);
	assert_int_equal(eng_store_begin(e->store, &err), XU_OK);
	rc = fn(arg, account, msg, &r, &err);
	json_decref(msg);
	if (rc != XU_OK) {
		/* The engine rolls back to the handler's savepoint and
		 * commits the rest of the batch. */
		eng_store_rollback(e->store);
		eng_paychan_batch_done(e->pc, true);
		free(r.body);
		*reply = NULL;
		return xu_code_is_input(rc) ? 400 : 503;
	}
	assert_int_equal(eng_store_commit(e->store, &err), XU_OK);
	eng_paychan_batch_done(e->pc, true);
	*reply = r.body;
	status = r.status;
	return status;
}

/* Carries from's message i to `to` (account acct) and hands the answer
 * back to from's reply callback. */
static int carry(struct eng_engine *from, size_t i, struct eng_engine *to,
		 const char *acct, char **reply_out)
{
	struct sent *m = &from->msgs[i];
	char *reply = NULL;
	int st = deliver(to, acct, m->body, &reply);

	/* A 5xx is retried by the outbox: no reply callback then, but
	 * for a claim (latest-wins). */
	if (st < 500 || !strcmp(m->tag, "claim"))
		from->reply_fn(from->reply_arg, ENG_OUTBOX_MESSAGE,
			       !strcmp(m->tag, "claim") ? (int64_t)m->token
							: (int64_t)i,
			       m->tag, m->account, st,
			       (const uint8_t *)(reply ? reply : ""),
			       reply ? strlen(reply) : 0);
	if (reply_out)
		*reply_out = reply;
	else
		free(reply);
	return st;
}

/* One tick: a whole round, all its slices. */
static void tick(struct eng_engine *e)
{
	pass_ms(15);
	while (eng_paychan_tick(e->pc))
		;
}

static struct sent *last_msg(struct eng_engine *e, const char *tag)
{
	for (size_t i = e->nmsgs; i > 0; i--)
		if (!strcmp(e->msgs[i - 1].tag, tag))
			return &e->msgs[i - 1];
	return NULL;
}

static size_t msg_index(struct eng_engine *e, const struct sent *m)
{
	return (size_t)(m - e->msgs);
}

/* The end of a resync: e's listener hears on_ready, the resync's pages
 * holding the peers' channels in_pages (may be NULL: none). */
static void ready_with(struct eng_engine *e, json_t *in_pages)
{
	struct xl_sync_info s;

	memset(&s, 0, sizeof(s));
	s.ledger_time = g_ledger_time;
	s.fee_base = 10;
	s.reserve_base = 10000000;
	s.reserve_inc = 2000000;
	s.account_found = true;
	s.balance = 1000000000;
	s.channels_in = in_pages;
	e->listener.on_ready(e->listener.arg, &s);
}

static void ready(struct eng_engine *e)
{
	ready_with(e, NULL);
}

static struct xl_drops d(uint64_t v)
{
	struct xl_drops x;
	assert_true(xl_drops_from_u64(&x, v));
	return x;
}

/* Pairs alice ("b") and bob ("a"). */
static void pair(void)
{
	struct xu_err err;
	struct sent *h;

	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_paychan_account_created(alice.pc, "b", &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	eng_paychan_batch_done(alice.pc, true);
	assert_int_equal(alice.nmsgs, 0); /* not at once */
	tick(&alice);
	h = last_msg(&alice, "hello");
	assert_non_null(h);
	assert_int_equal(carry(&alice, msg_index(&alice, h), &bob, "a", NULL),
			 201);
	ready(&alice);
	ready(&bob);
}

static void settle(struct eng_engine *e, const char *account, const char *key,
		   const char *drops)
{
	struct eng_quantity q;
	struct eng_settle_result res;
	struct xu_err err;

	memset(&q, 0, sizeof(q));
	snprintf(q.digits, sizeof(q.digits), "%s", drops);
	q.scale = 6;
	assert_int_equal(eng_store_begin(e->store, &err), XU_OK);
	assert_int_equal(eng_store_settle(e->store, account, key, &q,
					  g_settle_unix, &res, &err),
			 XU_OK);
	assert_int_equal(eng_paychan_settled(e->pc, account, &err), XU_OK);
	assert_int_equal(eng_store_commit(e->store, &err), XU_OK);
	eng_paychan_batch_done(e->pc, true);
}

/* Builds alice's intent `in` into *tx, with Sequence seq. */
static void build_intent(struct intent *in, uint32_t seq, struct xl_tx *tx)
{
	struct xl_tx_common c;
	struct xu_err err;

	memset(&c, 0, sizeof(c));
	c.account = alice_id;
	c.fee = d(12);
	c.sequence = seq;
	assert_int_equal(in->build(in->arg, tx, &c, &err), XU_OK);
}

/* Reports alice's last intent, her create `intent` with Sequence seq, as
 * validated, with its metadata; id_out gets the channel id. */
static void create_lands_seq(uint8_t id_out[CR_CHANNEL_ID_BYTES],
			     const char *intent, uint32_t seq)
{
	struct intent *in = &alice.intents[alice.nintents - 1];
	struct xl_tx tx;
	struct xl_outcome o;
	struct xu_err err;
	char hex[65];
	uint8_t txid[CR_CHANNEL_ID_BYTES];

	assert_string_equal(in->intent, intent);
	build_intent(in, seq, &tx);
	assert_int_equal(tx.type, XL_TX_PAYCHAN_CREATE);
	assert_int_equal(tx.settle_delay, 7 * 24 * 3600);
	assert_int_equal(xl_tx_channel_id(txid, &tx, &err), XU_OK);
	cr_channel_id(id_out, &alice_id, &bob_id, seq);
	assert_memory_equal(txid, id_out, CR_CHANNEL_ID_BYTES);
	xu_hex_encode(hex, sizeof(hex), id_out, CR_CHANNEL_ID_BYTES);
	json_t *meta = json_pack(
	    "{s:[{s:{s:s,s:s,s:{s:s}}}],s:s}", "AffectedNodes", "CreatedNode",
	    "LedgerEntryType", "PayChannel", "LedgerIndex", hex, "NewFields",
	    "Amount", "10000000", "TransactionResult", "tesSUCCESS");
	memset(&o, 0, sizeof(o));
	o.intent = in->intent;
	o.kind = XL_OUT_SUCCESS;
	o.result = "tesSUCCESS";
	o.sequence = seq;
	o.ledger_index = 100;
	o.meta = meta;
	eng_paychan_outcome(alice.pc, &o);
	json_decref(meta);
}

/* Alice's first channel (intent create:b:1, Sequence 7) lands. */
static void create_lands(uint8_t id_out[CR_CHANNEL_ID_BYTES])
{
	create_lands_seq(id_out, "create:b:1", 7);
}

/* Answers e's pending ledger_entry requests for channel hex with alice's
 * channel to bob (amount, balance), or entryNotFound when amount is NULL;
 * other requests wait.  Returns how many were answered. */
static size_t answer_lookups(struct eng_engine *e, const char *hex,
			     const char *amount, const char *balance)
{
	char src[CR_ADDRESS_STRLEN], dst[CR_ADDRESS_STRLEN], pk[67];
	struct xu_err nf = {.code = XU_ENOTFOUND, .msg = "entryNotFound"};
	size_t n = e->nreqs, done = 0;

	cr_address_encode(src, &alice_id);
	cr_address_encode(dst, &bob_id);
	xu_hex_encode(pk, sizeof(pk), g_chan_pub ? g_chan_pub : alice.kp.pub.b,
		      CR_PUBKEY_BYTES);
	for (size_t i = 0; i < n; i++) {
		struct request *r = &e->reqs[i];
		const char *ch = json_string_value(
		    json_object_get(r->req, "payment_channel"));
		json_t *msg = NULL;

		if (!r->cb || !ch || strcmp(ch, hex) != 0)
			continue;
		/* As a validated ledger answers: its index with the view,
		 * or with the entryNotFound error. */
		if (amount)
			msg = json_pack(
			    "{s:{s:{s:s,s:s,s:s,s:s,s:s,s:i},s:i,s:b}}",
			    "result", "node", "Account", src, "Destination",
			    dst, "Amount", amount, "Balance", balance,
			    "PublicKey", pk, "SettleDelay", 7 * 24 * 3600,
			    "ledger_index", (json_int_t)++ledger_now,
			    "validated", 1);
		else
			msg =
			    json_pack("{s:s,s:s,s:s,s:i,s:b}", "type",
				      "response", "status", "error", "error",
				      "entryNotFound", "ledger_index",
				      (json_int_t)++ledger_now, "validated", 1);
		xl_ws_reply_fn cb = r->cb;
		r->cb = NULL;
		cb(r->arg, amount ? XU_OK : XU_ENOTFOUND, msg,
		   amount ? NULL : &nf);
		json_decref(msg);
		done++;
	}
	eng_paychan_views_flush(e->pc); /* as the cron would */
	return done;
}

/* Answers bob's pending ledger_entry requests with alice's channel. */
static void bob_sees_channel(const char *hex, const char *amount,
			     const char *balance)
{
	char src[CR_ADDRESS_STRLEN], dst[CR_ADDRESS_STRLEN], pk[67];
	size_t n = bob.nreqs;

	cr_address_encode(src, &alice_id);
	cr_address_encode(dst, &bob_id);
	xu_hex_encode(pk, sizeof(pk), g_chan_pub ? g_chan_pub : alice.kp.pub.b,
		      CR_PUBKEY_BYTES);
	for (size_t i = 0; i < n; i++) {
		struct request *r = &bob.reqs[i];

		if (!r->cb)
			continue;
		assert_string_equal(
		    json_string_value(json_object_get(r->req, "command")),
		    "ledger_entry");
		assert_string_equal(json_string_value(json_object_get(
					r->req, "payment_channel")),
				    hex);
		json_t *msg = json_pack(
		    "{s:{s:{s:s,s:s,s:s,s:s,s:s,s:i},s:i,s:b}}", "result",
		    "node", "Account", src, "Destination", dst, "Amount",
		    amount, "Balance", balance, "PublicKey", pk, "SettleDelay",
		    7 * 24 * 3600, "ledger_index", (json_int_t)++ledger_now,
		    "validated", 1);
		xl_ws_reply_fn cb = r->cb;
		r->cb = NULL;
		cb(r->arg, XU_OK, msg, NULL);
		json_decref(msg);
	}
	eng_paychan_views_flush(bob.pc); /* as the cron would */
}

static void test_paychan_pay_and_get_paid(void **state)
{
	(void)state;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply;
	struct sent *claim, *upd;
	struct pc_msg m;
	struct xu_err err;

	pair();
	/* Paired both ways: bob stored alice's hello, alice bob's reply. */
	settle(&alice, "b", "k1", "5000000");
	assert_int_equal(alice.nintents, 1);
	assert_false(alice.intents[0].priority);
	assert_null(last_msg(&alice, "claim")); /* no channel yet */
	create_lands(id);
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	upd = last_msg(&alice, "channel_update");
	claim = last_msg(&alice, "claim");
	assert_non_null(upd);
	assert_non_null(claim);
	assert_true(msg_index(&alice, upd) < msg_index(&alice, claim));
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)claim->body, claim->len, &err),
	    XU_OK);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 5000000);
	assert_true(cr_claim_verify(alice.kp.pub.b, CR_PUBKEY_BYTES, id,
				    5000000, m.u.claim.sig, m.u.claim.siglen));

	/* Bob has no view of the channel: 503 and a lookup. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 503);
	assert_int_equal(bob.ncredits, 0);
	assert_int_equal(carry(&alice, msg_index(&alice, upd), &bob, "a", NULL),
			 201);
	assert_true(bob.nreqs >= 1);
	bob_sees_channel(hex, "10000000", "0");
	/* Now accepted; the credit is the increase, with the claim key. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", &reply), 201);
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)reply, strlen(reply), &err),
	    XU_OK);
	free(reply);
	assert_int_equal(m.type, PC_MSG_CLAIM_REPLY);
	assert_true(m.u.reply.accepted);
	assert_int_equal(bob.ncredits, 1);
	assert_string_equal(bob.credits[0].account, "a");
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 5000000);
	char key[PC_KEY_STRLEN];
	pc_credit_key(key, id, d(5000000));
	assert_string_equal(bob.credits[0].key, key);
	/* The same claim again: accepted, nothing more credited. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	assert_int_equal(bob.ncredits, 1);

	/* A second settlement: only the increase is credited. */
	settle(&alice, "b", "k2", "1234567");
	claim = last_msg(&alice, "claim");
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 1234567);

	/* Bad claims: refused with the reason, no credit. */
	struct {
		uint64_t amount;
		bool good_key;
		const char *code;
	} bad[] = {
	    {6000000, false, "bad_signature"},
	    {10000001, true, "above_capacity"},
	    {100, true, "not_increasing"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pc_msg c;
		char buf[PC_MSG_MAX_BYTES];
		size_t len;

		memset(&c, 0, sizeof(c));
		c.type = PC_MSG_CLAIM;
		memcpy(c.u.claim.channel, id, sizeof(id));
		c.u.claim.amount = d(bad[i].amount);
		assert_int_equal(
		    cr_claim_sign(c.u.claim.sig, &c.u.claim.siglen,
				  bad[i].good_key ? &alice.kp : &bob.kp, id,
				  bad[i].amount, &err),
		    XU_OK);
		assert_int_equal(
		    pc_msg_encode(&c, buf, sizeof(buf), &len, &err), XU_OK);
		assert_int_equal(deliver(&bob, "a", buf, &reply), 201);
		assert_non_null(strstr(reply, bad[i].code));
		assert_non_null(strstr(reply, "\"accepted\":false"));
		free(reply);
	}
	assert_int_equal(bob.ncredits, 2);
	/* A claim on the channel for another account: wrong channel. */
	claim = last_msg(&alice, "claim");
	{
		bool created;
		assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
		assert_int_equal(
		    eng_store_account_create(bob.store, "z", &created, &err),
		    XU_OK);
		assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	}
	assert_int_equal(deliver(&bob, "z", claim->body, &reply), 201);
	assert_non_null(strstr(reply, "wrong_channel"));
	free(reply);
	assert_int_equal(bob.ncredits, 2);
}

static struct pc_msg msg_of(const char *body);

/* Paired; alice settles drops with bob (key "k1"), her channel (id, hex)
 * lands, and bob has seen its channel_update and its ledger view (10 XRP,
 * nothing redeemed).  Alice's first claim waits in her messages. */
static void open_link(uint8_t id[CR_CHANNEL_ID_BYTES], char hex[65],
		      const char *drops)
{
	char *reply;

	pair();
	settle(&alice, "b", "k1", drops);
	create_lands(id);
	xu_hex_encode(hex, 65, id, CR_CHANNEL_ID_BYTES);
	(void)deliver(&bob, "a", last_msg(&alice, "channel_update")->body,
		      &reply);
	free(reply);
	bob_sees_channel(hex, "10000000", "0");
}

/* While a claim is with the outbox unanswered, newer settlements only
 * raise the record's amount: nothing is signed or queued until the answer
 * (accepted, or an attempt that failed and is retried), and then one
 * claim carries them all. */
static void test_paychan_claims_coalesce(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], key[16];
	struct eng_paychan_stats st0, st;
	struct eng_chan_out o;
	struct sent *claim;
	struct xu_err err;
	bool have;
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	claim = last_msg(&alice, "claim");
	assert_int_equal(xl_drops_u64(msg_of(claim->body).u.claim.amount),
			 1000000);

	/* Three settlements while that claim is unanswered. */
	eng_paychan_stats(alice.pc, &st0);
	n = alice.nmsgs;
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i + 2);
		settle(&alice, "b", key, "100000");
	}
	assert_int_equal(alice.nmsgs, n);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.claims_signed, st0.claims_signed);
	assert_int_equal(st.paid_drops, st0.paid_drops + 300000);
	assert_int_equal(eng_chan_out_get(alice.store, "b", &o, &have, &err),
			 XU_OK);
	assert_int_equal(xl_drops_u64(o.claim_amount), 1300000);
	assert_int_equal(o.claim_siglen, 0); /* signed when it leaves */

	/* The first claim fails (bob's connector answers 502, retried):
	 * the newest claim goes at once, signed once. */
	alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE,
		       (int64_t)claim->token, "claim", "b", 502,
		       (const uint8_t *)"", 0);
	assert_int_equal(alice.nmsgs, n + 1);
	claim = last_msg(&alice, "claim");
	struct pc_msg m = msg_of(claim->body);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 1300000);
	assert_true(cr_claim_verify(alice.kp.pub.b, CR_PUBKEY_BYTES, id,
				    1300000, m.u.claim.sig, m.u.claim.siglen));
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.claims_signed, st0.claims_signed + 1);

	/* One more while it travels, then bob accepts the 1.3 XRP: the
	 * 1.4 XRP claim follows, and bob credits exactly the two steps. */
	settle(&alice, "b", "k9", "100000");
	assert_int_equal(alice.nmsgs, n + 1);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	assert_int_equal(alice.nmsgs, n + 2);
	claim = last_msg(&alice, "claim");
	assert_int_equal(xl_drops_u64(msg_of(claim->body).u.claim.amount),
			 1400000);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 1300000);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 100000);
	/* Answered and nothing newer: nothing more is sent. */
	assert_int_equal(alice.nmsgs, n + 2);
}

/* The stages of a settlement's latency (src/paychan/latency.c): two
 * settlements acknowledged while a claim is out wait for its answer, and
 * are handed over with the claim that follows it; the claim's round trip
 * counts once, from its attempt to the claim_reply; bob's credit counts
 * from the claim read to his connector's 2xx, and a refused credit not
 * at all. */
static void test_paychan_latency_stages(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats a0, a, b0, b;
	struct sent *claim;

	(void)state;
	alice.us = bob.us = 1000;
	open_link(id, hex, "1000000"); /* her first claim left at 1 ms */
	eng_paychan_stats(alice.pc, &a0);
	eng_paychan_stats(bob.pc, &b0);
	claim = last_msg(&alice, "claim");
	alice.us = 2000;
	settle(&alice, "b", "k2", "100000");
	alice.us = 3000;
	settle(&alice, "b", "k3", "100000");
	eng_paychan_stats(alice.pc, &a);
	assert_int_equal(a.handoff.count, a0.handoff.count); /* waiting */

	/* Bob reads the claim at 4 ms; its answer reaches alice at 9 ms,
	 * and the claim carrying k2 and k3 leaves then. */
	bob.us = 4000;
	alice.us = 9000;
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	eng_paychan_stats(alice.pc, &a);
	assert_int_equal(a.claim_rtt.count, a0.claim_rtt.count + 1);
	assert_int_equal(a.claim_rtt.sum_us, a0.claim_rtt.sum_us + 8000);
	assert_int_equal(a.claim_rtt.le[3], a0.claim_rtt.le[3]); /* > 3 ms */
	assert_int_equal(a.claim_rtt.le[6], a0.claim_rtt.le[6] + 1); /* 10 */
	assert_int_equal(a.handoff.count, a0.handoff.count + 2);
	assert_int_equal(a.handoff.sum_us, a0.handoff.sum_us + 7000 + 6000);

	/* Bob's connector answers his credit 2xx at 6.5 ms. */
	assert_int_equal(bob.ncredits, 1);
	bob.us = 6500;
	bob.reply_fn(bob.reply_arg, ENG_OUTBOX_CREDIT, (int64_t)bob.ncredits,
		     NULL, "a", 201, (const uint8_t *)"", 0);
	eng_paychan_stats(bob.pc, &b);
	assert_int_equal(b.credit.count, b0.credit.count + 1);
	assert_int_equal(b.credit.sum_us, b0.credit.sum_us + 2500);
	/* Once only, and a refused one is not a credit's latency. */
	bob.reply_fn(bob.reply_arg, ENG_OUTBOX_CREDIT, (int64_t)bob.ncredits,
		     NULL, "a", 201, (const uint8_t *)"", 0);
	claim = last_msg(&alice, "claim");
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	assert_int_equal(bob.ncredits, 2);
	bob.reply_fn(bob.reply_arg, ENG_OUTBOX_CREDIT, (int64_t)bob.ncredits,
		     NULL, "a", 422, (const uint8_t *)"", 0);
	eng_paychan_stats(bob.pc, &b);
	assert_int_equal(b.credit.count, b0.credit.count + 1);
}

/* Bob's store restored from a backup forgets the claim he accepted and
 * credited.  Alice's next claim says what he acknowledged ("acked"): he
 * credits only the new settlement, not the forgotten one again. */
static void test_paychan_payee_restored(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply;
	struct eng_chan_in r;
	struct eng_paychan_stats st0, st;
	struct pc_msg m;
	struct xu_err err;
	bool have;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	assert_int_equal(bob.ncredits, 1);
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 1000000);

	/* The backup: from before the claim. */
	assert_int_equal(eng_chan_in_get(bob.store, id, &r, &have, &err),
			 XU_OK);
	assert_true(have);
	r.ch.best = xl_drops_zero();
	r.ch.best_siglen = 0;
	memset(r.ch.best_sig, 0, sizeof(r.ch.best_sig));
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);

	eng_paychan_stats(bob.pc, &st0);
	settle(&alice, "b", "k2", "500000");
	m = msg_of(last_msg(&alice, "claim")->body);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 1500000);
	assert_int_equal(xl_drops_u64(m.u.claim.acked), 1000000);
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", &reply),
			 201);
	m = msg_of(reply);
	free(reply);
	assert_true(m.u.reply.accepted);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 500000);
	eng_paychan_stats(bob.pc, &st);
	assert_int_equal(st.alerts, st0.alerts + 1);
	/* Bob holds the new claim, whole: what he redeems. */
	assert_int_equal(eng_chan_in_get(bob.store, id, &r, &have, &err),
			 XU_OK);
	assert_int_equal(xl_drops_u64(r.ch.best), 1500000);
}

/* A claim the connector never answers holds the newer ones for
 * claim_stall_ms (2 s) only: then the newest goes beside it. */
static void test_paychan_claim_stall(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	n = alice.nmsgs;
	settle(&alice, "b", "k2", "100000");
	assert_int_equal(alice.nmsgs, n); /* waits behind the first */
	pass_ms(2100);
	settle(&alice, "b", "k3", "100000");
	assert_int_equal(alice.nmsgs, n + 1);
	assert_int_equal(
	    xl_drops_u64(
		msg_of(last_msg(&alice, "claim")->body).u.claim.amount),
	    1200000);
}

/* The stall adapts to the link: once a claim came back in 200 ms, an
 * attempt out 500 ms is late for this link (twice its round trip), and
 * the newest goes beside it at the next commit, long before the 2 s
 * ceiling. */
static void test_paychan_claim_stall_adapts(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats st0, st;
	size_t n;

	(void)state;
	alice.us = 1000000; /* 0 is "not timed" */
	open_link(id, hex, "1000000");
	alice.us += 200000; /* the first claim's round trip: 200 ms */
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	eng_paychan_stats(alice.pc, &st0);
	n = alice.nmsgs;
	settle(&alice, "b", "k2", "100000"); /* out, never answered */
	assert_int_equal(alice.nmsgs, n + 1);
	settle(&alice, "b", "k3", "100000");
	assert_int_equal(alice.nmsgs, n + 1); /* waits behind it */
	alice.wall_off_ms += 500;
	settle(&alice, "b", "k4", "100000");
	assert_int_equal(alice.nmsgs, n + 2);
	assert_int_equal(
	    xl_drops_u64(
		msg_of(last_msg(&alice, "claim")->body).u.claim.amount),
	    1300000);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.claims_beside, st0.claims_beside + 1);
	/* Never a third: the next waits for either of the two. */
	alice.wall_off_ms += 500;
	settle(&alice, "b", "k5", "100000");
	assert_int_equal(alice.nmsgs, n + 2);
}

/* A claim attempt that failed (the connector answered 503) with nothing
 * newer to send: the same claim goes again, byte for byte, at the first
 * tick after the outbox's backoff, never from inside the answer. */
static void test_paychan_claim_retry(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct sent *claim, *again;
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	claim = last_msg(&alice, "claim");
	n = alice.nmsgs;
	g_backoff_ms = 0;
	alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE,
		       (int64_t)claim->token, "claim", "b", 503,
		       (const uint8_t *)"", 0);
	assert_int_equal(alice.nmsgs, n);
	tick(&alice);
	assert_int_equal(alice.nmsgs, n + 1);
	again = last_msg(&alice, "claim");
	assert_string_equal(again->body, claim->body);
	assert_int_equal(again->token, claim->token);
	/* Bob accepts it: credited once. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, again), &bob, "a", NULL), 201);
	assert_int_equal(bob.ncredits, 1);
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 1000000);
}

/* A claim that finds every call to the connector taken waits for a call
 * to end, not for the tick: eng_paychan_room sends the newest claim as
 * soon as the outbox has room beyond the quarter it keeps for rows, and
 * once; with no such room nothing goes
 * (docs/design.md#claim-delivery-per-account). */
static void test_paychan_claim_waits_for_room(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats st0, st;
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	eng_paychan_stats(alice.pc, &st0);
	alice.capped = true;
	alice.room = 0;
	n = alice.nmsgs;
	settle(&alice, "b", "k2", "100000");
	assert_int_equal(alice.nmsgs, n);
	/* Newer settlements meanwhile: the newest claim is the one kept. */
	settle(&alice, "b", "k3", "100000");
	assert_int_equal(alice.nmsgs, n);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.claims_waited, st0.claims_waited + 1);
	/* No call free, then only the rows' quarter: it still waits. */
	eng_paychan_room(alice.pc);
	alice.room = FAKE_CAPACITY / 4;
	eng_paychan_room(alice.pc);
	assert_int_equal(alice.nmsgs, n);
	/* One more call free: it goes now, without a tick, with both. */
	alice.room = FAKE_CAPACITY / 4 + 1;
	eng_paychan_room(alice.pc);
	assert_int_equal(alice.nmsgs, n + 1);
	assert_int_equal(alice.room, FAKE_CAPACITY / 4);
	assert_int_equal(
	    xl_drops_u64(
		msg_of(last_msg(&alice, "claim")->body).u.claim.amount),
	    1200000);
	/* Once: nothing waits any more. */
	alice.room = FAKE_CAPACITY;
	eng_paychan_room(alice.pc);
	tick(&alice);
	assert_int_equal(alice.nmsgs, n + 1);
	/* Bob credits the two settlements, once. */
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 200000);
	/* Sent meanwhile by the tick's retry (the fallback): the queue then
	 * has nothing to send. */
	alice.room = 0;
	settle(&alice, "b", "k4", "100000");
	n = alice.nmsgs;
	alice.room = FAKE_CAPACITY;
	tick(&alice);
	assert_int_equal(alice.nmsgs, n + 1);
	eng_paychan_room(alice.pc);
	assert_int_equal(alice.nmsgs, n + 1);
	assert_int_equal(
	    xl_drops_u64(
		msg_of(last_msg(&alice, "claim")->body).u.claim.amount),
	    1300000);
}

static void test_paychan_resend_and_close(void **state)
{
	(void)state;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct xu_err err;
	size_t n;

	pair();
	settle(&alice, "b", "k1", "2000000");
	create_lands(id);
	/* The claim was never acknowledged: sent again after the resend
	 * period, byte for byte (its first attempt still out, unanswered:
	 * beside it once that one stalled, claim_stall_ms). */
	struct sent first = *last_msg(&alice, "claim");
	n = alice.nmsgs;
	pass_ms(2100);
	tick(&alice);
	assert_true(alice.nmsgs > n);
	assert_string_equal(last_msg(&alice, "claim")->body, first.body);
	/* Acknowledged now (bob answers accepted): no more resends. */
	char hex[65];
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	char *reply;
	(void)deliver(&bob, "a", last_msg(&alice, "channel_update")->body,
		      &reply);
	free(reply);
	bob_sees_channel(hex, "10000000", "0");
	assert_int_equal(carry(&alice, alice.nmsgs - 1, &bob, "a", NULL), 201);
	n = alice.nmsgs;
	pass_ms(120);
	tick(&alice);
	assert_int_equal(alice.nmsgs, n);

	/* Deleting the account: a close request to the peer; no owner
	 * close before close_wait_s
	 * (docs/risks.md#our-owner-close-before-the-peer-redeems). */
	size_t ni = alice.nintents;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_store_account_delete(alice.store, "b", &err),
			 XU_OK);
	assert_int_equal(eng_paychan_account_deleted(alice.pc, "b", &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	eng_paychan_batch_done(alice.pc, true);
	assert_non_null(last_msg(&alice, "close_request"));
	assert_int_equal(alice.nintents, ni);
	/* Bob, asked to close: redeems what he holds with tfClose, as a
	 * priority transaction. */
	ni = bob.nintents;
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "close_request")),
		  &bob, "a", NULL),
	    201);
	assert_int_equal(bob.nintents, ni + 1);
	assert_non_null(strstr(bob.intents[ni].intent, "redeem:"));
	assert_true(bob.intents[ni].priority);
}

/* Decodes a message body (a reply or one of the sent messages). */
static struct pc_msg msg_of(const char *body)
{
	struct pc_msg m;
	struct xu_err err;

	assert_non_null(body);
	assert_int_equal(
	    pc_msg_decode(&m, (const uint8_t *)body, strlen(body), &err),
	    XU_OK);
	return m;
}

static size_t count_tag(const struct eng_engine *e, const char *tag)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nmsgs; i++)
		n += !strcmp(e->msgs[i].tag, tag);
	return n;
}

/* docs/risks.md#endless-recovery-loop: a peer answering last_claim with
 * 2xx junk is asked again later each time (claim_resend_ms, doubling), and
 * not at all once the recovery has alerted. */
static void test_paychan_last_claim_junk_backoff(void **state)
{
	static const char junk[] = "{\"type\":\"claim_reply\"}";
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats st;
	size_t asks;

	(void)state;
	open_link(id, hex, "2000000");
	/* A start: the recovery asks bob (alert far away for now). */
	g_recover_alert_ms = 600000;
	eng_paychan_free(alice.pc);
	start_service(&alice);
	g_recover_alert_ms = 0;
	tick(&alice);
	asks = count_tag(&alice, "last_claim");
	assert_int_equal(asks, 1);
	/* Junk answers: asked again after 100, 200, 400 ms. */
	for (unsigned k = 0; k < 3; k++) {
		unsigned wait = 100u << k;

		alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE, 0,
			       "last_claim", "b", 201, (const uint8_t *)junk,
			       sizeof(junk) - 1);
		tick(&alice);
		assert_int_equal(count_tag(&alice, "last_claim"), asks);
		if (k == 2) { /* not before 400 ms, with a wide margin */
			pass_ms(150);
			tick(&alice);
			assert_int_equal(count_tag(&alice, "last_claim"), asks);
		}
		pass_ms(wait + 50);
		tick(&alice);
		assert_int_equal(count_tag(&alice, "last_claim"), ++asks);
	}
	/* A start with the alert after 50 ms: asked once more, then one
	 * BROKEN line, and no more asking. */
	eng_paychan_free(alice.pc);
	start_service(&alice);
	eng_paychan_stats(alice.pc, &st);
	uint64_t alerts = st.alerts;
	tick(&alice);
	assert_int_equal(count_tag(&alice, "last_claim"), ++asks);
	alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE, 0, "last_claim",
		       "b", 201, (const uint8_t *)junk, sizeof(junk) - 1);
	for (int i = 0; i < 5; i++) {
		pass_ms(300);
		tick(&alice);
	}
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.alerts, alerts + 1);
	assert_int_equal(count_tag(&alice, "last_claim"), asks);
}

/* Recovery (docs/design.md#recovering-lost-outgoing-claims) through the
 * daemon: bob answers "last_claim" with the best
 * claim of alice's he holds (only to her account); alice, restarted over a
 * store set back to an older claim (a restored backup), signs nothing
 * until his answer, adopts it, and pays the next settlement on top. */
static void test_paychan_last_claim(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], q[160], *reply;
	struct eng_chan_out o;
	struct eng_paychan_stats st;
	struct pc_msg m;
	struct xu_err err;
	bool have;

	(void)state;
	open_link(id, hex, "2000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);

	/* Serving: the best claim held, with alice's valid signature. */
	snprintf(q, sizeof(q), "{\"type\":\"last_claim\",\"channel\":\"%s\"}",
		 hex);
	assert_int_equal(deliver(&bob, "a", q, &reply), 201);
	m = msg_of(reply);
	free(reply);
	assert_int_equal(m.type, PC_MSG_LAST_CLAIM_REPLY);
	assert_memory_equal(m.u.last.channel, id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.last.amount), 2000000);
	assert_true(cr_claim_verify(alice.kp.pub.b, CR_PUBKEY_BYTES, id,
				    2000000, m.u.last.sig, m.u.last.siglen));
	/* ... never to another account; nothing for an unknown channel. */
	assert_int_equal(deliver(&bob, "x", q, &reply), 201);
	m = msg_of(reply);
	free(reply);
	assert_true(xl_drops_is_zero(m.u.last.amount));
	assert_int_equal(m.u.last.siglen, 0);
	snprintf(q, sizeof(q),
		 "{\"type\":\"last_claim\",\"channel\":\"%064d\"}", 0);
	assert_int_equal(deliver(&bob, "a", q, &reply), 201);
	m = msg_of(reply);
	free(reply);
	assert_true(xl_drops_is_zero(m.u.last.amount));

	/* Asking: alice's store restored to 1 XRP signed, then a start. */
	assert_int_equal(eng_chan_out_get(alice.store, "b", &o, &have, &err),
			 XU_OK);
	assert_true(have);
	o.ch.signed_total = d(1000000);
	o.claim_amount = d(1000000);
	assert_int_equal(cr_claim_sign(o.claim_sig, &o.claim_siglen, &alice.kp,
				       id, 1000000, &err),
			 XU_OK);
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_chan_out_put(alice.store, &o, &err), XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	eng_paychan_free(alice.pc);
	start_service(&alice);
	size_t at_start = alice.nmsgs;
	tick(&alice);
	struct sent *ask = last_msg(&alice, "last_claim");
	assert_non_null(ask);
	m = msg_of(ask->body);
	assert_int_equal(m.type, PC_MSG_LAST_CLAIM);
	assert_memory_equal(m.u.channel, id, CR_CHANNEL_ID_BYTES);
	tick(&alice);
	assert_ptr_equal(last_msg(&alice, "last_claim"), ask); /* asked once */
	/* No answer for recover_alert_ms: one alert (BROKEN), not more. */
	eng_paychan_stats(alice.pc, &st);
	uint64_t alerts = st.alerts;
	pass_ms(60);
	tick(&alice);
	tick(&alice);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.alerts, alerts + 1);
	/* A settlement waits: 1.5 XRP would be ignored by bob.  Nor is the
	 * stored claim sent again, however long the peer is silent. */
	settle(&alice, "b", "k2", "500000");
	pass_ms(120); /* past claim_resend_ms */
	tick(&alice);
	for (size_t i = at_start; i < alice.nmsgs; i++)
		assert_string_not_equal(alice.msgs[i].tag, "claim");
	/* A forged answer (not alice's signature) is refused: still
	 * waiting. */
	{
		struct pc_msg f;
		char buf[PC_MSG_MAX_BYTES];
		size_t len;

		memset(&f, 0, sizeof(f));
		f.type = PC_MSG_LAST_CLAIM_REPLY;
		memcpy(f.u.last.channel, id, CR_CHANNEL_ID_BYTES);
		f.u.last.amount = d(9000000);
		assert_int_equal(cr_claim_sign(f.u.last.sig, &f.u.last.siglen,
					       &bob.kp, id, 9000000, &err),
				 XU_OK);
		assert_int_equal(
		    pc_msg_encode(&f, buf, sizeof(buf), &len, &err), XU_OK);
		alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE, 0,
			       "last_claim", "b", 201, (const uint8_t *)buf,
			       len);
	}
	assert_int_equal(eng_chan_out_get(alice.store, "b", &o, &have, &err),
			 XU_OK);
	assert_true(o.ch.recovering);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 1000000);
	/* Bob's real answer: adopted, and the 0.5 XRP paid on top at once. */
	size_t before = alice.nmsgs;
	assert_int_equal(carry(&alice, msg_index(&alice, ask), &bob, "a", NULL),
			 201);
	assert_int_equal(eng_chan_out_get(alice.store, "b", &o, &have, &err),
			 XU_OK);
	assert_false(o.ch.recovering);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 2500000);
	assert_int_equal(xl_drops_u64(o.claim_amount), 2500000);
	assert_int_equal(alice.nmsgs, before + 1);
	m = msg_of(last_msg(&alice, "claim")->body);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 2500000);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.recovered_drops, 1000000);
	/* Bob credits exactly the new 0.5 XRP. */
	size_t nc = bob.ncredits;
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	assert_int_equal(bob.ncredits, nc + 1);
	assert_int_equal(xl_drops_u64(bob.credits[nc].drops), 500000);
}

/* Metadata of a claim on channel hex: its PayChannel node of kind
 * ("ModifiedNode" or "DeletedNode") with FinalFields Balance final and,
 * when prev is not NULL, PreviousFields Balance prev. */
static json_t *claim_meta(const char *kind, const char *hex, const char *final,
			  const char *prev)
{
	json_t *node =
	    json_pack("{s:s,s:s,s:{s:s,s:s}}", "LedgerEntryType", "PayChannel",
		      "LedgerIndex", hex, "FinalFields", "Amount", "10000000",
		      "Balance", final);

	assert_non_null(node);
	if (prev)
		json_object_set_new(node, "PreviousFields",
				    json_pack("{s:s}", "Balance", prev));
	return json_pack("{s:[{s:o}],s:s}", "AffectedNodes", kind, node,
			 "TransactionResult", "tesSUCCESS");
}

/* Reports e's intent as validated with meta. */
static void tx_lands(struct eng_engine *e, const char *intent, json_t *meta)
{
	struct xl_outcome o;

	memset(&o, 0, sizeof(o));
	o.intent = intent;
	o.kind = XL_OUT_SUCCESS;
	o.result = "tesSUCCESS";
	o.sequence = 8;
	o.ledger_index = 101;
	o.meta = meta;
	eng_paychan_outcome(e->pc, &o);
}

/* Answers e's pending ledger_entry requests for channel hex: not found
 * (the channel is gone). */
static void channel_gone(struct eng_engine *e, const char *hex)
{
	struct xu_err err = {0};
	json_t *msg =
	    json_pack("{s:s,s:s,s:s,s:i,s:b}", "type", "response", "status",
		      "error", "error", "entryNotFound", "ledger_index",
		      (json_int_t)++ledger_now, "validated", 1);

	snprintf(err.msg, sizeof(err.msg), "entryNotFound");
	for (size_t i = 0; i < e->nreqs; i++) {
		struct request *r = &e->reqs[i];
		const char *pc = json_string_value(
		    json_object_get(r->req, "payment_channel"));
		xl_ws_reply_fn cb = r->cb;

		if (!cb || !pc || strcmp(pc, hex) != 0)
			continue;
		r->cb = NULL;
		cb(r->arg, XU_ENOTFOUND, msg, &err);
	}
	json_decref(msg);
}

static uint64_t alerts(struct eng_engine *e)
{
	struct eng_paychan_stats st;

	eng_paychan_stats(e->pc, &st);
	return st.alerts;
}

static struct eng_chan_in in_rec(struct eng_engine *e, const uint8_t *id)
{
	struct eng_chan_in r;
	struct xu_err err;
	bool have;

	assert_int_equal(eng_chan_in_get(e->store, id, &r, &have, &err), XU_OK);
	assert_true(have);
	return r;
}

/* Builds bob's queued intent in (Account bob, Fee 12, Sequence 8). */
static struct xl_tx bob_builds(const struct intent *in)
{
	struct xl_tx_common c;
	struct xl_tx tx;
	struct xu_err err;

	memset(&c, 0, sizeof(c));
	c.account = bob_id;
	c.fee = d(12);
	c.sequence = 8;
	assert_int_equal(in->build(in->arg, &tx, &c, &err), XU_OK);
	return tx;
}

/* Alice's 2 XRP claim reaches bob, then bob's account "a" is deleted: he
 * redeems the claim with tfClose.  Returns the redeem intent. */
static const char *bob_redeems_closing(uint8_t id[CR_CHANNEL_ID_BYTES],
				       char hex[65])
{
	struct xl_tx tx;
	struct intent *in;
	struct xu_err err;
	size_t ni;

	open_link(id, hex, "2000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	ni = bob.nintents;
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_store_account_delete(bob.store, "a", &err), XU_OK);
	assert_int_equal(eng_paychan_account_deleted(bob.pc, "a", &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	eng_paychan_batch_done(bob.pc, true);
	assert_int_equal(bob.nintents, ni + 1);
	in = &bob.intents[ni];
	assert_non_null(strstr(in->intent, "redeem:"));
	tx = bob_builds(in);
	assert_int_equal(tx.type, XL_TX_PAYCHAN_CLAIM);
	assert_int_equal(xl_drops_u64(tx.balance), 2000000);
	assert_true(tx.flags & XL_TF_CLOSE);
	assert_true(in_rec(&bob, id).ch.redeem_inflight);
	return in->intent;
}

/* bob_redeems_closing, then the redeem lands with a DeletedNode of
 * FinalFields Balance final (PreviousFields Balance prev, or none), and
 * the lookup finds the channel gone.  Checked: the redeem is over, the
 * view's Balance is balance, the outcome raised at_outcome alerts and
 * the whole at_end. */
static void redeem_meets_deletion(const char *final, const char *prev,
				  uint64_t balance, uint64_t at_outcome,
				  uint64_t at_end)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	const char *intent;
	struct eng_chan_in r;
	json_t *meta;
	uint64_t a0;

	intent = bob_redeems_closing(id, hex);
	a0 = alerts(&bob);
	meta = claim_meta("DeletedNode", hex, final, prev);
	tx_lands(&bob, intent, meta);
	json_decref(meta);
	r = in_rec(&bob, id);
	assert_false(r.ch.redeem_inflight);
	assert_int_equal(xl_drops_u64(r.ch.view.balance), balance);
	assert_int_equal(alerts(&bob), a0 + at_outcome);
	channel_gone(&bob, hex);
	assert_int_equal(in_rec(&bob, id).ch.state, PC_IN_CLOSED);
	assert_int_equal(alerts(&bob), a0 + at_end);
}

/* A redeem that meets an expired channel closes it with tesSUCCESS and
 * pays nothing: the DeletedNode's FinalFields show the old Balance.  Not
 * redeemed: a failed redeem (tx_failed), and when the channel is gone
 * channel_gone and lost_unredeemed (2 XRP)
 * (docs/risks.md#deletednode-in-redeem-metadata-counted-as-paid). */
static void test_paychan_redeem_deleted_unpaid(void **state)
{
	(void)state;
	redeem_meets_deletion("0", NULL, 0, 1, 3);
}

/* Our own tfClose redeem: the claim is paid, then the channel deleted;
 * the DeletedNode's FinalFields show the claim's Balance.  Redeemed; gone
 * with everything redeemed, as we asked: no alert. */
static void test_paychan_redeem_deleted_paid(void **state)
{
	(void)state;
	redeem_meets_deletion("2000000", "0", 2000000, 0, 0);
}

/* Our tfClose redeem lands deleting the channel: the record is closed by
 * the redeem's validated metadata at once, not at the next lookup (which
 * a server whose validated ledger lags may answer with the channel still
 * there): a close as destination decided meanwhile, on the peer's
 * close_request, failed with tecNO_TARGET in the end-to-end suite. */
static void test_paychan_redeem_deleting_closes_record(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	const char *intent;
	json_t *meta;
	size_t ni;

	(void)state;
	intent = bob_redeems_closing(id, hex);
	meta = claim_meta("DeletedNode", hex, "2000000", "0");
	ni = bob.nintents;
	{
		struct xl_outcome o;

		memset(&o, 0, sizeof(o));
		o.intent = intent;
		o.kind = XL_OUT_SUCCESS;
		o.result = "tesSUCCESS";
		o.sequence = 8;
		o.ledger_index = (uint32_t)++ledger_now; /* after every view */
		o.meta = meta;
		eng_paychan_outcome(bob.pc, &o);
	}
	json_decref(meta);
	assert_int_equal(in_rec(&bob, id).ch.state, PC_IN_CLOSED);
	assert_int_equal(bob.nintents, ni); /* nothing more to send */
}

/* A top-up that meets an expired channel closes it with tesSUCCESS and
 * adds nothing (a DeletedNode): not funded. */
static void test_paychan_fund_deleted(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], want[XL_INTENT_MAX];
	struct eng_paychan_stats st0, st;
	struct eng_chan_out o;
	struct xu_err err;
	json_t *meta;
	size_t ni;
	bool have;

	(void)state;
	open_link(id, hex, "6000000"); /* 4 XRP left of 10: a top-up */
	snprintf(want, sizeof(want), "fund:%s:1", hex);
	assert_string_equal(alice.intents[alice.nintents - 1].intent, want);
	eng_paychan_stats(alice.pc, &st0);
	ni = alice.nintents;
	meta =
	    json_pack("{s:[{s:{s:s,s:s,s:{s:s,s:s}}}],s:s}", "AffectedNodes",
		      "DeletedNode", "LedgerEntryType", "PayChannel",
		      "LedgerIndex", hex, "FinalFields", "Amount", "10000000",
		      "Balance", "0", "TransactionResult", "tesSUCCESS");
	tx_lands(&alice, want, meta);
	json_decref(meta);
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.tx_failures, st0.tx_failures + 1);
	assert_int_equal(st.alerts, st0.alerts + 1);
	assert_int_equal(eng_chan_out_get(alice.store, "b", &o, &have, &err),
			 XU_OK);
	assert_false(o.ch.fund_inflight);
	assert_int_equal(xl_drops_u64(o.ch.amount), 10000000);
	/* No second top-up on the gone channel before the retry time. */
	assert_int_equal(alice.nintents, ni);
}

/* Writes bob an incoming record of alice's channel id (account "a"):
 * open, or closing with an Expiration far ahead when closing; a view of
 * 10 XRP with nothing redeemed; alice's claim of best drops held and a
 * redeem of redeem drops in flight (intent counter 1). */
static void bob_redeeming(const uint8_t id[CR_CHANNEL_ID_BYTES], uint64_t best,
			  uint64_t redeem, bool closing)
{
	struct eng_chan_in r;
	struct xu_err err;

	memset(&r, 0, sizeof(r));
	snprintf(r.account, sizeof(r.account), "a");
	pc_in_init(&r.ch, &bob_id, &alice_id, id);
	r.ch.state = closing ? PC_IN_CLOSING : PC_IN_OPEN;
	r.ch.reason = "test";
	r.ch.has_view = true;
	memcpy(r.ch.view.id, id, CR_CHANNEL_ID_BYTES);
	r.ch.view.source = alice_id;
	r.ch.view.dest = bob_id;
	r.ch.view.amount = d(10000000);
	r.ch.view.balance = xl_drops_zero();
	r.ch.view.settle_delay = 7 * 24 * 3600;
	r.ch.view.has_expiration = closing;
	r.ch.view.expiration = closing ? 4000000000u : 0;
	memcpy(r.ch.view.pubkey, alice.kp.pub.b, CR_PUBKEY_BYTES);
	r.ch.best = d(best);
	assert_int_equal(cr_claim_sign(r.ch.best_sig, &r.ch.best_siglen,
				       &alice.kp, id, best, &err),
			 XU_OK);
	r.ch.redeem_inflight = true;
	r.ch.redeem_amount = d(redeem);
	r.redeem_n = 1;
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
}

static size_t count_intent(const struct eng_engine *e, size_t from,
			   const char *intent)
{
	size_t n = 0;

	for (size_t i = from; i < e->nintents; i++)
		n += !strcmp(e->intents[i].intent, intent);
	return n;
}

/* docs/risks.md#crash-at-every-start-from-a-final-journal-row: a start
 * with redeems in flight: the tick re-queues them, and the queue
 * delivers the outcome of some at once, from inside xl_submit_enqueue (its
 * journal holds them as final: FAILED, or SUCCESS).  The outcome frees
 * its build and flushes again from inside the flush: every intent is
 * queued once, and nothing freed is touched (run under ASan). */
static void test_paychan_sync_outcomes_in_flush(void **state)
{
	uint8_t id[4][CR_CHANNEL_ID_BYTES];
	char hex[4][65], intent[4][XL_INTENT_MAX];
	struct xl_tx tx;
	json_t *meta;
	struct eng_chan_in r;
	size_t ni, z = SIZE_MAX;

	(void)state;
	for (int i = 0; i < 4; i++) {
		cr_channel_id(id[i], &alice_id, &bob_id, 20 + (uint32_t)i);
		xu_hex_encode(hex[i], 65, id[i], CR_CHANNEL_ID_BYTES);
		snprintf(intent[i], sizeof(intent[i]), "redeem:%.64s:1",
			 hex[i]);
		bob_redeeming(id[i], 1000000 * (uint64_t)(i + 1),
			      1000000 * (uint64_t)(i + 1), false);
	}
	/* 0 and 2 failed, 1 landed; 3 is followed as usual. */
	meta = claim_meta("ModifiedNode", hex[1], "2000000", "0");
	g_sync[0] = (struct sync_outcome){.kind = XL_OUT_FAILED};
	memcpy(g_sync[0].intent, intent[0], XL_INTENT_MAX);
	g_sync[1] = (struct sync_outcome){.kind = XL_OUT_SUCCESS, .meta = meta};
	memcpy(g_sync[1].intent, intent[1], XL_INTENT_MAX);
	g_sync[2] = (struct sync_outcome){.kind = XL_OUT_FAILED};
	memcpy(g_sync[2].intent, intent[2], XL_INTENT_MAX);
	g_nsync = 3;

	eng_paychan_free(bob.pc);
	start_service(&bob);
	ni = bob.nintents;
	tick(&bob);
	g_nsync = 0;
	json_decref(meta);
	for (int i = 0; i < 4; i++)
		assert_int_equal(count_intent(&bob, ni, intent[i]), 1);
	assert_int_equal(bob.nintents, ni + 4);
	r = in_rec(&bob, id[0]);
	assert_false(r.ch.redeem_inflight);
	assert_true(xl_drops_is_zero(r.ch.view.balance));
	r = in_rec(&bob, id[1]);
	assert_false(r.ch.redeem_inflight);
	assert_int_equal(xl_drops_u64(r.ch.view.balance), 2000000);
	assert_false(in_rec(&bob, id[2]).ch.redeem_inflight);
	assert_true(in_rec(&bob, id[3]).ch.redeem_inflight);

	/* The followed one's build is intact, and its outcome lands. */
	for (size_t i = ni; i < bob.nintents; i++)
		if (!strcmp(bob.intents[i].intent, intent[3]))
			z = i;
	assert_true(z != SIZE_MAX);
	tx = bob_builds(&bob.intents[z]);
	assert_int_equal(xl_drops_u64(tx.balance), 4000000);
	meta = claim_meta("ModifiedNode", hex[3], "4000000", "0");
	tx_lands(&bob, intent[3], meta);
	json_decref(meta);
	r = in_rec(&bob, id[3]);
	assert_false(r.ch.redeem_inflight);
	assert_int_equal(xl_drops_u64(r.ch.view.balance), 4000000);
}

/* A synchronous outcome whose transaction rolls back (the outbox cannot
 * take its channel_update) drops only the builds of that transaction: the
 * other create the start re-queued, committed already, still reaches the
 * queue. */
static void test_paychan_sync_outcome_rolled_back(void **state)
{
	const char *acct[2] = {"b", "c"};
	uint8_t id[2][CR_CHANNEL_ID_BYTES];
	char hex[2][65];
	json_t *meta[2];
	struct eng_chan_out o;
	struct xu_err err;
	size_t ni, open = 0;
	bool created, have;

	(void)state;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(
	    eng_store_account_create(alice.store, "c", &created, &err), XU_OK);
	for (int i = 0; i < 2; i++) {
		memset(&o, 0, sizeof(o));
		snprintf(o.account, sizeof(o.account), "%s", acct[i]);
		pc_out_init(&o.ch, &alice_id, &bob_id);
		o.ch.state = PC_OUT_OPENING;
		o.ch.reason = "test";
		o.ch.settle_delay = 7 * 24 * 3600;
		o.tx_amount = d(10000000);
		o.create_n = 1;
		assert_int_equal(eng_chan_out_put(alice.store, &o, &err),
				 XU_OK);
		cr_channel_id(id[i], &alice_id, &bob_id, 40 + (uint32_t)i);
		xu_hex_encode(hex[i], 65, id[i], CR_CHANNEL_ID_BYTES);
		meta[i] = json_pack(
		    "{s:[{s:{s:s,s:s,s:{s:s}}}],s:s}", "AffectedNodes",
		    "CreatedNode", "LedgerEntryType", "PayChannel",
		    "LedgerIndex", hex[i], "NewFields", "Amount", "10000000",
		    "TransactionResult", "tesSUCCESS");
		g_sync[i] = (struct sync_outcome){
		    .kind = XL_OUT_SUCCESS,
		    .meta = meta[i],
		    .sequence = 40 + (uint32_t)i,
		};
		snprintf(g_sync[i].intent, XL_INTENT_MAX, "create:%s:1",
			 acct[i]);
	}
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	g_nsync = 2;
	g_fail_tag = "channel_update";
	g_fail_n = 1;

	eng_paychan_free(alice.pc);
	start_service(&alice);
	ni = alice.nintents;
	tick(&alice);
	assert_int_equal(g_fail_n, 0);
	g_nsync = 0;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(count_intent(&alice, ni, g_sync[i].intent), 1);
		json_decref(meta[i]);
		assert_int_equal(
		    eng_chan_out_get(alice.store, acct[i], &o, &have, &err),
		    XU_OK);
		/* The rolled-back one stays in flight: the next start
		 * re-queues it. */
		if (o.ch.state == PC_OUT_OPEN)
			open++;
		else
			assert_int_equal(o.ch.state, PC_OUT_OPENING);
	}
	assert_int_equal(open, 1);
}

static int carry_last_claim(void);
static void alice_sees_channel(const char *hex, bool present,
			       const char *balance);

/* The builds not yet queued are counted, so that a commit that built
 * nothing walks none of the queued ones: a rolled-back batch's create is
 * dropped and uncounted, the same create built again by a committed batch
 * reaches the queue once, its outcome frees it, and the next build (an
 * owner close) still reaches the queue. */
static void test_paychan_builds_counted_across_rollback(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], close_intent[XL_INTENT_MAX], *reply;
	struct eng_quantity q;
	struct eng_settle_result res;
	struct xu_err err;
	bool outgoing = false;
	size_t ni;

	(void)state;
	pair();
	ni = alice.nintents;
	memset(&q, 0, sizeof(q));
	snprintf(q.digits, sizeof(q.digits), "%s", "1000000");
	q.scale = 6;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_store_settle(alice.store, "b", "k1", &q,
					  g_settle_unix, &res, &err),
			 XU_OK);
	assert_int_equal(eng_paychan_settled(alice.pc, "b", &err), XU_OK);
	eng_store_rollback(alice.store);
	eng_paychan_batch_done(alice.pc, false);
	tick(&alice);
	assert_int_equal(alice.nintents, ni);

	settle(&alice, "b", "k1", "1000000");
	assert_int_equal(count_intent(&alice, ni, "create:b:1"), 1);
	settle(&alice, "b", "k2", "1000000"); /* builds nothing more */
	tick(&alice);
	assert_int_equal(alice.nintents, ni + 1);
	create_lands(id);
	xu_hex_encode(hex, 65, id, CR_CHANNEL_ID_BYTES);
	(void)deliver(&bob, "a", last_msg(&alice, "channel_update")->body,
		      &reply);
	free(reply);
	bob_sees_channel(hex, "10000000", "0");
	assert_int_equal(carry_last_claim(), 201);

	snprintf(close_intent, sizeof(close_intent), "close:%s:1", hex);
	ni = alice.nintents;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(
	    eng_paychan_close_channel(alice.pc, id, true, &outgoing, &err),
	    XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	eng_paychan_batch_done(alice.pc, true);
	tick(&alice);
	alice_sees_channel(hex, true, "0");
	assert_int_equal(count_intent(&alice, ni, close_intent), 1);
	tick(&alice);
	assert_int_equal(count_intent(&alice, ni, close_intent), 1);
}

/* After a start, an in-flight redeem is rebuilt from the best claim held,
 * which may be better than the one the record says is in flight: the
 * outcome takes the Balance that landed, and a closing channel does not
 * redeem the same claim again (a tecUNFUNDED_PAYMENT and a fee). */
static void test_paychan_requeued_redeem_better_claim(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], intent[XL_INTENT_MAX];
	struct xl_tx tx;
	struct eng_chan_in r;
	json_t *meta;
	size_t ni;
	uint64_t a0;

	(void)state;
	cr_channel_id(id, &alice_id, &bob_id, 30);
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	snprintf(intent, sizeof(intent), "redeem:%s:1", hex);
	bob_redeeming(id, 1500000, 1000000, true);
	eng_paychan_free(bob.pc);
	start_service(&bob);
	ni = bob.nintents;
	tick(&bob);
	assert_int_equal(bob.nintents, ni + 1);
	assert_string_equal(bob.intents[ni].intent, intent);
	assert_true(bob.intents[ni].priority);
	tx = bob_builds(&bob.intents[ni]);
	assert_int_equal(xl_drops_u64(tx.balance), 1500000);

	a0 = alerts(&bob);
	meta = claim_meta("ModifiedNode", hex, "1500000", "0");
	tx_lands(&bob, intent, meta);
	json_decref(meta);
	r = in_rec(&bob, id);
	assert_false(r.ch.redeem_inflight);
	assert_int_equal(xl_drops_u64(r.ch.view.balance), 1500000);
	assert_int_equal(bob.nintents, ni + 1); /* nothing more to redeem */
	assert_int_equal(alerts(&bob), a0);
}

static void account_delete(struct eng_engine *e, const char *account);

/* docs/risks.md#deleted-accounts-channel-left-open: the account is deleted
 * while a redeem without tfClose is in flight; once it lands with nothing
 * better to redeem, the channel is closed as destination (before the fix
 * nothing closed it, and after the account came back every claim was
 * refused as "account is being deleted": simulation seed 259). */
static void test_paychan_delete_during_redeem(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], intent[XL_INTENT_MAX], dclose[XL_INTENT_MAX];
	struct eng_chan_in r;
	struct xl_outcome out;
	json_t *meta;
	size_t ni;

	(void)state;
	cr_channel_id(id, &alice_id, &bob_id, 31);
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	snprintf(intent, sizeof(intent), "redeem:%s:1", hex);
	snprintf(dclose, sizeof(dclose), "dclose:%s:2", hex);
	bob_redeeming(id, 1500000, 1500000, false);
	eng_paychan_free(bob.pc);
	start_service(&bob);
	ni = bob.nintents;
	tick(&bob);
	assert_int_equal(bob.nintents, ni + 1);
	assert_string_equal(bob.intents[ni].intent, intent);
	account_delete(&bob, "a");
	r = in_rec(&bob, id);
	assert_int_equal(r.ch.state, PC_IN_CLOSING);
	assert_true(r.ch.deleting);
	assert_int_equal(count_intent(&bob, ni, dclose), 0);
	meta = claim_meta("ModifiedNode", hex, "1500000", "0");
	tx_lands(&bob, intent, meta);
	json_decref(meta);
	assert_int_equal(count_intent(&bob, ni, dclose), 1);
	/* It is refused (a fee spike): again retry_s later, not before
	 * (simulation seed 11: one refused close left the channel open). */
	memset(&out, 0, sizeof(out));
	out.intent = dclose;
	out.kind = XL_OUT_REFUSED;
	out.result = "refused";
	eng_paychan_outcome(bob.pc, &out);
	snprintf(dclose, sizeof(dclose), "dclose:%s:3", hex);
	tick(&bob);
	assert_int_equal(count_intent(&bob, ni, dclose), 0);
	bob.wall_off_ms += 31 * 1000;
	tick(&bob);
	assert_int_equal(count_intent(&bob, ni, dclose), 1);
}

static struct eng_chan_out out_of(struct eng_engine *e, const char *account);
static void msg_naming(char buf[PC_MSG_MAX_BYTES], enum pc_msg_type t,
		       const uint8_t id[CR_CHANNEL_ID_BYTES], uint64_t amount);
static void restart(struct eng_engine *e);
static int carry_last_claim(void);

/* docs/risks.md#restore-from-backup-paying-twice, drops the store still
 * owed: alice's store is restored from a copy taken after a 2 XRP
 * settlement was committed but before it was fed to the record (the
 * record signed 1 XRP; bob holds her later claim of 3 XRP).  The recovery
 * at the start counts those 2 XRP as possibly paid: bob's last claim
 * cancels them and nothing is signed again (before, only the record's own
 * owed drops counted, and the 2 XRP were paid twice). */
static void test_paychan_restore_owed_in_store(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_chan_out o1, o;
	struct eng_quantity q;
	struct eng_settle_result res;
	struct xl_drops owed;
	struct xu_err err;
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry_last_claim(), 201);
	o1 = out_of(&alice, "b");
	settle(&alice, "b", "k2", "2000000");
	assert_int_equal(carry_last_claim(), 201); /* bob holds 3 XRP */
	/* The backup: the record as it was, 2 XRP owed in the store. */
	memset(&q, 0, sizeof(q));
	snprintf(q.digits, sizeof(q.digits), "2000000");
	q.scale = 6;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_chan_out_put(alice.store, &o1, &err), XU_OK);
	assert_int_equal(
	    eng_store_settle(alice.store, "b", "k2-backup", &q, 0, &res, &err),
	    XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	restart(&alice);
	o = out_of(&alice, "b");
	assert_true(o.ch.recovering);
	assert_int_equal(xl_drops_u64(o.ch.recover_owed), 2000000);
	assert_int_equal(xl_drops_u64(o.ch.owed), 2000000);
	assert_int_equal(eng_store_owed_get(alice.store, "b", &owed, &err),
			 XU_OK);
	assert_true(xl_drops_is_zero(owed));
	tick(&alice);
	n = alice.nmsgs;
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "last_claim")),
		  &bob, "a", NULL),
	    201);
	o = out_of(&alice, "b");
	assert_false(o.ch.recovering);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 3000000);
	assert_true(xl_drops_is_zero(o.ch.owed));
	assert_int_equal(alice.nmsgs, n); /* no claim above 3 XRP */
}

/* Answers e's pending account_tx requests: one validated transaction in
 * ledger `index` deleting channel hex with FinalFields Balance `balance`
 * (NULL: a page without it).  Returns how many were answered. */
static size_t history_answers(struct eng_engine *e, const char *hex,
			      uint32_t index, const char *balance)
{
	size_t n = e->nreqs, done = 0;

	for (size_t i = 0; i < n; i++) {
		struct request *r = &e->reqs[i];
		const char *cmd =
		    json_string_value(json_object_get(r->req, "command"));
		json_t *txs = json_array(), *msg;

		if (!r->cb || !cmd || strcmp(cmd, "account_tx") != 0) {
			json_decref(txs);
			continue;
		}
		if (balance)
			json_array_append_new(
			    txs,
			    json_pack("{s:{s:[{s:{s:s,s:s,s:{s:s}}}],s:s},"
				      "s:i,s:b}",
				      "meta", "AffectedNodes", "DeletedNode",
				      "LedgerEntryType", "PayChannel",
				      "LedgerIndex", hex, "FinalFields",
				      "Balance", balance, "TransactionResult",
				      "tesSUCCESS", "ledger_index",
				      (json_int_t)index, "validated", 1));
		msg = json_pack("{s:{s:o,s:b}}", "result", "transactions", txs,
				"validated", 1);
		xl_ws_reply_fn cb = r->cb;
		r->cb = NULL;
		cb(r->arg, XU_OK, msg, NULL);
		json_decref(msg);
		done++;
	}
	eng_paychan_views_flush(e->pc); /* as the cron would */
	return done;
}

/* A late claim_reply about a channel that is gone says nothing about the
 * next one (docs/risks.md#late-claim_reply-raising-peer_best-of-a-new-channel):
 * alice pays 6 XRP on channel A, bob's reply is held back, A leaves the
 * ledger, a settlement of 7 XRP opens channel B, and only then does the
 * old reply arrive.  Bob credits exactly the 7 XRP paid on B, with no
 * credits_lost alert: alice's claim on B acknowledges nothing. */
static void test_paychan_late_reply_new_channel(void **state)
{
	uint8_t a_id[CR_CHANNEL_ID_BYTES], b_id[CR_CHANNEL_ID_BYTES];
	char a_hex[65], b_hex[65], *stale, *reply;
	struct eng_paychan_stats st0, st;
	struct sent *claim;
	struct pc_msg m;

	(void)state;
	open_link(a_id, a_hex, "6000000");
	claim = last_msg(&alice, "claim");
	assert_int_equal(deliver(&bob, "a", claim->body, &stale), 201);
	assert_true(msg_of(stale).u.reply.accepted);
	assert_int_equal(bob.ncredits, 1);
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 6000000);

	/* Channel A is gone (bob redeemed and closed it); what it paid and
	 * what bob holds (6 XRP: nothing owed again) are asked first; then a
	 * settlement opens channel B. */
	assert_true(answer_lookups(&alice, a_hex, NULL, NULL) >= 1);
	tick(&alice);
	assert_int_equal(
	    history_answers(&alice, a_hex, (uint32_t)ledger_now, "6000000"), 1);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "last_claim")),
		  &bob, "a", NULL),
	    201);
	assert_false(out_of(&alice, "b").ch.has_ended);
	settle(&alice, "b", "k2", "7000000");
	assert_string_equal(alice.intents[alice.nintents - 1].intent,
			    "create:b:2");
	/* The reply about A, held back so far, comes now. */
	alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE,
		       (int64_t)claim->token, "claim", "b", 201,
		       (const uint8_t *)stale, strlen(stale));
	free(stale);
	create_lands_seq(b_id, "create:b:2", 8);
	xu_hex_encode(b_hex, sizeof(b_hex), b_id, CR_CHANNEL_ID_BYTES);
	claim = last_msg(&alice, "claim");
	m = msg_of(claim->body);
	assert_memory_equal(m.u.claim.channel, b_id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 7000000);
	assert_true(xl_drops_is_zero(m.u.claim.acked));

	/* Bob learns of B and takes the claim: 7 XRP credited. */
	assert_int_equal(deliver(&bob, "a",
				 last_msg(&alice, "channel_update")->body,
				 &reply),
			 201);
	free(reply);
	assert_true(answer_lookups(&bob, b_hex, "10000000", "0") >= 1);
	eng_paychan_stats(bob.pc, &st0);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", &reply), 201);
	assert_true(msg_of(reply).u.reply.accepted);
	free(reply);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 7000000);
	eng_paychan_stats(bob.pc, &st);
	assert_int_equal(st.alerts, st0.alerts); /* no credits_lost */
}

/* Reports e's intent i as failed on the ledger (tec: fee spent). */
static void intent_fails(struct eng_engine *e, size_t i)
{
	struct xl_outcome o;

	memset(&o, 0, sizeof(o));
	o.intent = e->intents[i].intent;
	o.kind = XL_OUT_TEC;
	o.result = "tecNO_PERMISSION";
	o.sequence = 3;
	o.ledger_index = 200;
	eng_paychan_outcome(e->pc, &o);
}

/* Incoming timers are kept in the monotonic seconds of the process that
 * set them (docs/risks.md#incoming-timers-not-reset-after-restart).  Bob,
 * closing alice's channel, fails one redeem (the next waits retry_s), then
 * reboots: his new process's clock starts far below the deadline kept in
 * the record, and the urgent redeem must go out at once anyway. */
static void test_paychan_restart_clears_in_timers(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], want[XL_INTENT_MAX], buf[PC_MSG_MAX_BYTES], *reply;
	struct pc_msg c;
	struct xu_err err;
	size_t len, ni;

	(void)state;
	/* Bob's first process: a host up for 11 days (10^6 s). */
	eng_paychan_free(bob.pc);
	bob.mono_off_ms = INT64_C(1000000000);
	start_service(&bob);
	open_link(id, hex, "2000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);

	/* Alice asks bob to close her channel: he redeems at once. */
	memset(&c, 0, sizeof(c));
	c.type = PC_MSG_CLOSE_REQUEST;
	memcpy(c.u.channel, id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(pc_msg_encode(&c, buf, sizeof(buf), &len, &err),
			 XU_OK);
	ni = bob.nintents;
	assert_int_equal(deliver(&bob, "a", buf, &reply), 201);
	free(reply);
	assert_int_equal(bob.nintents, ni + 1);
	snprintf(want, sizeof(want), "redeem:%s:1", hex);
	assert_string_equal(bob.intents[ni].intent, want);
	assert_true(bob.intents[ni].priority);
	/* It fails; the next attempt waits retry_s (30 s) on this clock. */
	intent_fails(&bob, ni);
	assert_true(answer_lookups(&bob, hex, "10000000", "0") >= 1);
	assert_int_equal(bob.nintents, ni + 1);

	/* A reboot: the new process's monotonic clock reads 1 s. */
	eng_paychan_free(bob.pc);
	bob.mono_off_ms = 1000 - virt_mono_ms();
	start_service(&bob);
	tick(&bob); /* a view of the channel, seen by this process */
	assert_true(answer_lookups(&bob, hex, "10000000", "0") >= 1);
	assert_int_equal(bob.nintents, ni + 2);
	snprintf(want, sizeof(want), "redeem:%s:2", hex);
	assert_string_equal(bob.intents[ni + 1].intent, want);
	assert_true(bob.intents[ni + 1].priority);
}

/* The tick reads only the records due: once the channel is open, paid
 * and acknowledged, ticks with nothing due read no record; a write makes
 * its record due at the next tick, which reads it once; and the payee's
 * record of a claim that no time alone would redeem is not read again
 * when its next_check comes. */
/* open_link with 500 drops (below the fee rule: bob keeps the claim),
 * the claim carried to bob, and three rounds of both ticks with bob's
 * lookups answered: nothing is left for either tick. */
static void settled_link(uint8_t id[CR_CHANNEL_ID_BYTES], char hex[65])
{
	open_link(id, hex, "500");
	assert_int_equal(carry_last_claim(), 201);
	for (int i = 0; i < 3; i++) {
		tick(&alice);
		tick(&bob);
		(void)answer_lookups(&bob, hex, "10000000", "0");
	}
}

static void test_paychan_tick_reads_only_due(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats a0, a1, b0, b1;

	(void)state;
	settled_link(id, hex);
	eng_paychan_stats(alice.pc, &a0);
	eng_paychan_stats(bob.pc, &b0);
	for (int i = 0; i < 3; i++) {
		tick(&alice);
		tick(&bob);
	}
	eng_paychan_stats(alice.pc, &a1);
	eng_paychan_stats(bob.pc, &b1);
	assert_int_equal(a1.tick_records, a0.tick_records);
	assert_int_equal(b1.tick_records, b0.tick_records);

	/* A settlement writes alice's record: read at the next tick only. */
	settle(&alice, "b", "k2", "400");
	tick(&alice);
	tick(&alice);
	eng_paychan_stats(alice.pc, &a0);
	assert_true(a0.tick_records > a1.tick_records);
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	tick(&alice);
	tick(&alice);
	eng_paychan_stats(alice.pc, &a0);
	tick(&alice);
	tick(&alice);
	eng_paychan_stats(alice.pc, &a1);
	assert_int_equal(a1.tick_records, a0.tick_records);

	/* Bob's record (the claim's write, then the check's): not read when
	 * its next_check (redeem_check_s) comes, and nothing was skipped
	 * meanwhile. */
	tick(&bob);
	tick(&bob);
	eng_paychan_stats(bob.pc, &b0);
	{
		struct eng_paychan_cfg c;

		eng_paychan_cfg_default(&c);
		bob.mono_off_ms += (int64_t)c.pc.redeem_check_s * 1000 + 1000;
		bob.wall_off_ms += (int64_t)c.pc.redeem_check_s * 1000 + 1000;
	}
	tick(&bob);
	eng_paychan_stats(bob.pc, &b1);
	assert_int_equal(b1.tick_records, b0.tick_records);
	assert_int_equal(b1.due_skipped, 0);
	assert_int_equal(a1.due_skipped, 0);
}

/* The writer's due (src/store/chanstore.h): a write whose record has
 * nothing for the tick does not bring it to the tick.  Bob's record,
 * written with a claim no rule redeems, is not read by his next tick;
 * alice's, written with a claim bob has not acknowledged yet, is read by
 * hers, which writes the acknowledgement, and not by the one after.
 * Before, every write made its record due at once: bob's record was read
 * (and written again, to move its next_check) and alice's read twice. */
static void test_paychan_writer_due(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats a0, a1, b0, b1;

	(void)state;
	settled_link(id, hex);
	settle(&alice, "b", "k2", "400");
	assert_true(out_of(&alice, "b").due_ms <= 0); /* unacknowledged */
	eng_paychan_stats(bob.pc, &b0);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(in_rec(&bob, id).due_ms, INT64_MAX);
	tick(&bob);
	eng_paychan_stats(bob.pc, &b1);
	assert_int_equal(b1.tick_records, b0.tick_records);

	eng_paychan_stats(alice.pc, &a0);
	tick(&alice);
	eng_paychan_stats(alice.pc, &a1);
	assert_int_equal(a1.tick_records, a0.tick_records + 1);
	assert_int_equal(xl_drops_u64(out_of(&alice, "b").peer_best), 900);
	assert_int_equal(out_of(&alice, "b").due_ms, INT64_MAX);
	tick(&alice);
	eng_paychan_stats(alice.pc, &a0);
	assert_int_equal(a0.tick_records, a1.tick_records);
	assert_int_equal(a0.due_skipped, 0);
	assert_int_equal(b1.due_skipped, 0);
}

/* A round of the tick in slices (tick_slice 1 here): the first call
 * reads one record of each table and says more may follow; the next one
 * finds nothing after the place the first left, and ends the round,
 * though alice's record, its claim unacknowledged, is still due at once
 * (read again, it would never end); the next round reads the same
 * records again. */
static void test_paychan_tick_slices(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats a0, a1, a2;

	(void)state;
	g_tick_slice = 1;
	eng_paychan_free(alice.pc);
	start_service(&alice);
	g_tick_slice = 0;
	settled_link(id, hex);
	settle(&alice, "b", "k2", "400");
	assert_true(out_of(&alice, "b").due_ms <= 0); /* unacknowledged */
	eng_paychan_stats(alice.pc, &a0);
	pass_ms(15);
	assert_true(eng_paychan_tick(alice.pc));
	assert_false(eng_paychan_tick(alice.pc));
	assert_false(eng_paychan_tick(alice.pc)); /* no round, no timer */
	eng_paychan_stats(alice.pc, &a1);
	assert_true(a1.tick_records > a0.tick_records);
	assert_true(out_of(&alice, "b").due_ms <= 0);
	pass_ms(15);
	while (eng_paychan_tick(alice.pc))
		;
	eng_paychan_stats(alice.pc, &a2);
	assert_int_equal(a2.tick_records - a1.tick_records,
			 a1.tick_records - a0.tick_records);
	assert_int_equal(a2.due_skipped, 0);
}

/* The writer's due counts a claim made in the open transaction as the
 * delivery's work: after a restart, alice's last_claim question is
 * answered 404, so she trusts her store's claim, which bob acknowledged
 * before, and sends it again.  Its record is written with the claim
 * already acknowledged and the delivery still idle: it must be due at
 * once, so that the tick follows the attempt (a stall, a retry).  Before
 * (the simulator's seed 238), it was written due "never" and the tick
 * left the delivery alone while the attempt was out. */
static void test_paychan_writer_due_resend(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct sent *q;
	size_t n;

	(void)state;
	open_link(id, hex, "500");
	assert_int_equal(carry_last_claim(), 201);
	tick(&alice);
	assert_int_equal(xl_drops_u64(out_of(&alice, "b").peer_best), 500);
	assert_int_equal(out_of(&alice, "b").due_ms, INT64_MAX);
	restart(&alice);
	assert_true(out_of(&alice, "b").ch.recovering);
	tick(&alice);
	q = last_msg(&alice, "last_claim");
	assert_non_null(q);
	n = count_tag(&alice, "claim");
	alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE,
		       (int64_t)msg_index(&alice, q), "last_claim", "b", 404,
		       (const uint8_t *)"", 0);
	assert_false(out_of(&alice, "b").ch.recovering);
	assert_int_equal(count_tag(&alice, "claim"), n + 1); /* sent again */
	assert_true(out_of(&alice, "b").due_ms <= 0);
}

/* ---- the due time of an incoming record that waits -------------------- */

/* bob's clock (monotonic and wall) moves s seconds, and a validated
 * ledger closes then with base fee `fee` drops (the ledger time stays
 * fresh). */
static void bob_later(uint32_t s, uint64_t fee)
{
	json_t *lc;

	bob.mono_off_ms += (int64_t)s * 1000;
	bob.wall_off_ms += (int64_t)s * 1000;
	ledger_now++;
	lc = json_pack("{s:s,s:i,s:i,s:i}", "type", "ledgerClosed",
		       "ledger_index", (json_int_t)ledger_now, "ledger_time",
		       (json_int_t)g_ledger_time + ledger_now, "fee_base",
		       (json_int_t)fee);
	bob.listener.on_ledger(bob.listener.arg, ledger_now, lc);
	json_decref(lc);
}

/* Bob, checking his redeem policy every 60 s (redeem_check_s), holds
 * alice's claim of 500 drops on her channel (id, hex), below every rule
 * of the policy at the fee of 10 drops (the fee rule wants 1000 drops),
 * and his record, its view seen, waits for nothing the clock brings:
 * due never. */
static void bob_holds_small(uint8_t id[CR_CHANNEL_ID_BYTES], char hex[65])
{
	g_redeem_check_s = 60;
	eng_paychan_free(bob.pc);
	start_service(&bob);
	g_redeem_check_s = 0;
	open_link(id, hex, "500");
	tick(&bob); /* the sweep after the start */
	assert_int_equal(carry_last_claim(), 201);
	for (int i = 0; i < 3; i++) {
		tick(&bob);
		(void)answer_lookups(&bob, hex, "10000000", "0");
	}
	assert_int_equal(in_rec(&bob, id).due_ms, INT64_MAX);
}

/* n ticks, each step seconds after the last with a ledger of its own:
 * bob's tick reads no record, does not write record id (its next_check
 * and due time stay), redeems nothing, and skipped nothing due. */
static void bob_waits(const uint8_t id[CR_CHANNEL_ID_BYTES], uint32_t step,
		      int n)
{
	struct eng_paychan_stats b0, b1;
	struct eng_chan_in r0 = in_rec(&bob, id), r1;
	size_t ni = bob.nintents;

	eng_paychan_stats(bob.pc, &b0);
	for (int i = 0; i < n; i++) {
		bob_later(step, 10);
		tick(&bob);
	}
	eng_paychan_stats(bob.pc, &b1);
	r1 = in_rec(&bob, id);
	assert_int_equal(b1.tick_records, b0.tick_records);
	assert_int_equal(r1.ch.next_check, r0.ch.next_check);
	assert_int_equal(r1.due_ms, r0.due_ms);
	assert_int_equal(bob.nintents, ni);
	assert_int_equal(b1.due_skipped, 0);
}

/* The due index holds a record no time alone would redeem at "never"
 * (in_next_due, pc_redeem_next): over three redeem_check_s bob's tick
 * neither reads nor writes the record of a claim below every rule
 * (before, it read it, moved its next_check and wrote it at every
 * check).  A claim that is worth redeeming writes it, and it is redeemed
 * at the next tick: its next_check is long past. */
static void test_paychan_redeem_idle_not_read(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], want[XL_INTENT_MAX];
	size_t ni;

	(void)state;
	bob_holds_small(id, hex);
	bob_waits(id, 61, 3);
	/* Half the channel's Amount: the fraction rule. */
	settle(&alice, "b", "k2", "5000000");
	assert_int_equal(carry_last_claim(), 201);
	ni = bob.nintents;
	tick(&bob);
	assert_int_equal(bob.nintents, ni + 1);
	snprintf(want, sizeof(want), "redeem:%s:1", hex);
	assert_string_equal(bob.intents[ni].intent, want);
	assert_false(bob.intents[ni].priority);
	assert_int_equal(xl_drops_u64(bob_builds(&bob.intents[ni]).balance),
			 5000500);
}

/* A sweep (every SWEEP_MS, or here after a lower fee, still too high
 * for the fee rule: 6 drops) reads every record, but steps only those
 * the core's timer acts on: bob's record, past its next_check, is not
 * written (next_check stays), so the tick after the sweep does not read
 * it again. */
static void test_paychan_redeem_idle_sweep(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_paychan_stats b0, b1, b2;
	struct eng_chan_in r0;
	size_t ni;

	(void)state;
	bob_holds_small(id, hex);
	r0 = in_rec(&bob, id);
	ni = bob.nintents;
	eng_paychan_stats(bob.pc, &b0);
	bob_later(61, 6);
	tick(&bob);
	eng_paychan_stats(bob.pc, &b1);
	assert_true(b1.tick_records > b0.tick_records); /* the sweep */
	assert_int_equal(in_rec(&bob, id).ch.next_check, r0.ch.next_check);
	tick(&bob);
	eng_paychan_stats(bob.pc, &b2);
	assert_int_equal(b2.tick_records, b1.tick_records);
	assert_int_equal(bob.nintents, ni);
}

/* A claim worth redeeming that comes before the record's next_check
 * (60 s ahead, as a routine redeem leaves it: redeems stay redeem_check_s
 * apart) waits for it: the claim's write makes the record due then (the
 * writer's due, pc_redeem_next), the tick does not read it meanwhile, and
 * redeems it at the first tick at or after it. */
static void test_paychan_redeem_waits_next_check(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct eng_chan_in r;
	struct xu_err err;
	size_t ni;
	uint64_t next;

	(void)state;
	bob_holds_small(id, hex);
	r = in_rec(&bob, id);
	next = (uint64_t)(test_mono_ms(&bob) / 1000) + 60;
	r.ch.next_check = next;
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	tick(&bob); /* written: read, due never again */
	assert_int_equal(in_rec(&bob, id).due_ms, INT64_MAX);
	settle(&alice, "b", "k2", "5000000");
	assert_int_equal(carry_last_claim(), 201);
	assert_true(in_rec(&bob, id).due_ms > test_wall_ms(&bob) + 50000);
	ni = bob.nintents;
	tick(&bob);
	tick(&bob);
	assert_int_equal(bob.nintents, ni);
	assert_int_equal(in_rec(&bob, id).ch.next_check, next);
	bob_waits(id, 25, 2); /* 50 s of the 60 */
	bob_later(11, 10);
	tick(&bob);
	assert_int_equal(bob.nintents, ni + 1);
	assert_non_null(strstr(bob.intents[ni].intent, "redeem:"));
}

/* A lower fee can make the fee rule pass on a record the due index
 * holds at "never": the next timer tick sweeps every record (set_fee),
 * and bob redeems alice's 500 drops, with no new claim, once the fee is
 * 5 drops (1 % of them). */
static void test_paychan_redeem_fee_drop(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	size_t ni;

	(void)state;
	bob_holds_small(id, hex);
	bob_waits(id, 61, 1);
	ni = bob.nintents;
	bob_later(1, 5);
	tick(&bob);
	assert_int_equal(bob.nintents, ni + 1);
	assert_non_null(strstr(bob.intents[ni].intent, "redeem:"));
	assert_int_equal(xl_drops_u64(bob_builds(&bob.intents[ni]).balance),
			 500);
}

/* The service gives its submission queue the configured number of
 * transactions in flight (docs/design.md#scale): by default the 10 of
 * rippled's per-account queue, or the operator's tx_inflight. */
static void test_paychan_tx_inflight(void **state)
{
	(void)state;
	assert_int_equal(alice.max_inflight, 10);
	assert_int_equal(bob.max_inflight, 10);
	g_tx_inflight = 32;
	eng_paychan_free(alice.pc);
	start_service(&alice);
	g_tx_inflight = 0;
	assert_int_equal(alice.max_inflight, 32);
}

/* The ledger polls are spread over poll_ms: after the first walk (every
 * channel at once, as after a resync), each timer tick looks up its
 * share, the channels of the last walk times tick_ms / poll_ms, until the
 * walk is done; the next one starts poll_ms after it. */
static void test_paychan_polls_spread(void **state)
{
	struct eng_paychan_stats s0, s1;
	struct xu_err err;
	size_t walked;

	(void)state;
	g_poll_ms = 100;       /* tick_ms 10: a tenth of the walk a tick */
	g_poll_channel_us = 1; /* 200 channels: no longer a round */
	restart(&bob);
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	for (int i = 0; i < 200; i++) {
		struct eng_chan_in r;
		uint8_t id[CR_CHANNEL_ID_BYTES];

		memset(&r, 0, sizeof(r));
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)(i + 1);
		id[1] = (uint8_t)(i >> 8);
		snprintf(r.account, sizeof(r.account), "a");
		pc_in_init(&r.ch, &bob_id, &alice_id, id);
		r.ch.state = PC_IN_OPEN;
		assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	}
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	tick(&bob); /* the first walk: all at once */
	eng_paychan_stats(bob.pc, &s0);
	assert_int_equal(s0.polled, 200);
	tick(&bob); /* not before poll_ms */
	eng_paychan_stats(bob.pc, &s1);
	assert_int_equal(s1.polled, 200);
	bob.wall_off_ms += 100;
	walked = 0;
	for (int i = 0; i < 10; i++) {
		tick(&bob);
		eng_paychan_stats(bob.pc, &s1);
		assert_int_equal(s1.polled - s0.polled, 20);
		s0 = s1;
		walked += 20;
	}
	assert_int_equal(walked, 200);
	tick(&bob); /* done: nothing until poll_ms after it started */
	eng_paychan_stats(bob.pc, &s1);
	assert_int_equal(s1.polled, s0.polled);
	g_poll_channel_us = 0;
	g_poll_ms = 0;
}

/* Writes (in the open transaction) bob's open incoming record of account
 * "a" for alice's channel id, linked from an older view of 5 XRP at
 * ledger 1. */
static void put_open_in(const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	struct eng_chan_in r;
	struct xu_err err;

	memset(&r, 0, sizeof(r));
	snprintf(r.account, sizeof(r.account), "a");
	pc_in_init(&r.ch, &bob_id, &alice_id, id);
	r.ch.state = PC_IN_OPEN;
	r.ch.has_view = true;
	memcpy(r.ch.view.id, id, CR_CHANNEL_ID_BYTES);
	r.ch.view.source = alice_id;
	r.ch.view.dest = bob_id;
	r.ch.view.amount = d(5000000);
	r.ch.view.ledger_index = 1;
	assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
}

/* Our polls' answers that show the channel are applied together: fifty
 * answers, nothing committed until the flush (the cron's), then one
 * commit and every record holds its new view.  A channel gone is applied at
 * once. */
static json_t *view_at(uint32_t index, const char *amount, const char *balance,
		       uint32_t expiration);
static json_t *error_at(const char *token, uint32_t index);
static void test_paychan_poll_views_one_commit(void **state)
{
	struct eng_chan_in r;
	struct xu_err err;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	uint64_t c0;
	size_t answered = 0;
	bool have;

	(void)state;
	g_poll_ms = 100;
	restart(&bob);
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	for (int i = 0; i < 50; i++) {
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)(i + 1);
		put_open_in(id);
	}
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	tick(&bob); /* the first walk: all fifty asked */
	c0 = eng_store_commits(bob.store);
	for (size_t i = 0; i < bob.nreqs; i++) {
		struct request *q = &bob.reqs[i];
		json_t *msg;

		if (!q->cb || strcmp(json_string_value(
					 json_object_get(q->req, "command")),
				     "ledger_entry") != 0)
			continue;
		msg = view_at(++ledger_now, "10000000", "0", 0);
		xl_ws_reply_fn cb = q->cb;
		q->cb = NULL;
		cb(q->arg, XU_OK, msg, NULL);
		json_decref(msg);
		answered++;
	}
	assert_int_equal(answered, 50);
	assert_int_equal(eng_store_commits(bob.store), c0);
	memset(id, 0, sizeof(id));
	id[0] = 7;
	assert_int_equal(eng_chan_in_get(bob.store, id, &r, &have, &err),
			 XU_OK);
	assert_true(have);
	/* The older view until the flush. */
	assert_int_equal(xl_drops_u64(r.ch.view.amount), 5000000);
	eng_paychan_views_flush(bob.pc);
	assert_int_equal(eng_store_commits(bob.store), c0 + 1);
	for (int i = 0; i < 50; i++) {
		id[0] = (uint8_t)(i + 1);
		assert_int_equal(
		    eng_chan_in_get(bob.store, id, &r, &have, &err), XU_OK);
		if (!have || !r.ch.has_view)
			fail_msg("record %d: have %d, view %d, state %d", i,
				 have, r.ch.has_view, r.ch.state);
		assert_int_equal(xl_drops_u64(r.ch.view.amount), 10000000);
	}
	/* Gone: applied as it comes, in a commit of its own. */
	bob.wall_off_ms += 200;
	tick(&bob);
	c0 = eng_store_commits(bob.store);
	id[0] = 7;
	char hex[65];
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	for (size_t i = 0; i < bob.nreqs; i++) {
		struct request *q = &bob.reqs[i];
		const char *ch = json_string_value(
		    json_object_get(q->req, "payment_channel"));

		if (!q->cb || !ch || strcmp(ch, hex) != 0)
			continue;
		json_t *msg = error_at("entryNotFound", ++ledger_now);
		struct xu_err nf = {.code = XU_ENOTFOUND,
				    .msg = "entryNotFound"};
		xl_ws_reply_fn cb = q->cb;
		q->cb = NULL;
		cb(q->arg, XU_ENOTFOUND, msg, &nf);
		json_decref(msg);
		assert_true(eng_store_commits(bob.store) > c0);
	}
	g_poll_ms = 0;
}

static json_t *page_entry(const char *hex, uint32_t index, const char *amount,
			  const char *balance);
static size_t answer(struct eng_engine *e, const char *hex, enum xu_code code,
		     json_t *msg);

/* Answers e's one pending account_channels request: asserts what it
 * asks (account, destination or none, the ledger by number, marker or
 * none) and gives entries (TAKEN) as a page of ledger `at` (validated
 * unless not), with `marker` when not NULL. */
static void answer_page(struct eng_engine *e, const struct cr_account_id *acct,
			const struct cr_account_id *dest,
			const char *asked_marker, json_t *entries, uint32_t at,
			bool validated, const char *marker)
{
	char a[CR_ADDRESS_STRLEN], ds[CR_ADDRESS_STRLEN];
	struct request *q = NULL;
	json_t *msg;

	for (size_t i = 0; i < e->nreqs; i++)
		if (e->reqs[i].cb && !strcmp(json_string_value(json_object_get(
						 e->reqs[i].req, "command")),
					     "account_channels")) {
			assert_null(q);
			q = &e->reqs[i];
		}
	assert_non_null(q);
	cr_address_encode(a, acct);
	assert_string_equal(xl_json_str(q->req, "account"), a);
	if (dest) {
		cr_address_encode(ds, dest);
		assert_string_equal(xl_json_str(q->req, "destination_account"),
				    ds);
	} else {
		assert_null(json_object_get(q->req, "destination_account"));
	}
	assert_int_equal(
	    json_integer_value(json_object_get(q->req, "ledger_index")),
	    e->validated);
	if (asked_marker)
		assert_string_equal(xl_json_str(q->req, "marker"),
				    asked_marker);
	else
		assert_null(json_object_get(q->req, "marker"));
	msg = json_pack("{s:{s:o,s:I,s:b}}", "result", "channels", entries,
			"ledger_index", (json_int_t)at, "validated",
			validated ? 1 : 0);
	if (marker)
		json_object_set_new(json_object_get(msg, "result"), "marker",
				    json_string(marker));
	xl_ws_reply_fn cb = q->cb;
	q->cb = NULL;
	cb(q->arg, XU_OK, msg, NULL);
	json_decref(msg);
}

/* Bob's pending ledger_entry requests: how many, and whether one asks
 * for channel id. */
static size_t pending_lookups(const uint8_t id[CR_CHANNEL_ID_BYTES], bool *asks)
{
	char hex[65];
	size_t n = 0;

	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	*asks = false;
	for (size_t i = 0; i < bob.nreqs; i++) {
		struct request *q = &bob.reqs[i];

		if (!q->cb || strcmp(json_string_value(
					 json_object_get(q->req, "command")),
				     "ledger_entry") != 0)
			continue;
		n++;
		if (!strcmp(xl_json_str(q->req, "payment_channel"), hex))
			*asks = true;
	}
	return n;
}

/* Bob's next poll walk: a newer validated ledger, the poll period on,
 * a tick; his own account's page (he has no channels of his own here)
 * answered empty. */
static void next_walk_own_page_empty(void)
{
	bob.validated = ledger_now += 10;
	bob.wall_off_ms += 1000;
	tick(&bob);
	answer_page(&bob, &bob_id, NULL, NULL, json_array(), bob.validated,
		    true, NULL);
}

/* A page's entries of alice's channels hex[0..3] to bob, of Amount
 * `amount` (a new array). */
static json_t *four_entries(char hex[][65], const char *amount)
{
	json_t *a = json_array();

	for (int i = 0; i < 4; i++)
		json_array_append_new(a, page_entry(hex[i], 0, amount, "0"));
	return a;
}

/* docs/design.md#scale: each poll walk first reads the channels in
 * account_channels pages of one validated ledger, ours and then the
 * peer's to us, and asks ledger_entry only for what no page showed.
 * Five incoming records: the pages show four (two pages, the marker
 * followed) with a topped-up Amount, which the records take; the fifth,
 * missing from the pages, is asked on its own and closed by its
 * entryNotFound (a page's silence never closes a record).  Then a round
 * whose page is of another ledger, and one whose page is not validated:
 * nothing of theirs is applied and every channel is asked. */
static void test_paychan_poll_pages(void **state)
{
	struct eng_paychan_stats s0, s1;
	struct eng_chan_in r;
	struct xu_err err;
	uint8_t id[5][CR_CHANNEL_ID_BYTES];
	char hex[5][65];
	json_t *p1, *p2;
	bool asks;

	(void)state;
	g_poll_ms = 1000; /* a record a tick (10 ms, tick() sleeps 15) */
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	for (int i = 0; i < 5; i++) {
		memset(id[i], 0, CR_CHANNEL_ID_BYTES);
		id[i][0] = (uint8_t)(0xa0 + i);
		xu_hex_encode(hex[i], sizeof(hex[i]), id[i],
			      CR_CHANNEL_ID_BYTES);
		put_open_in(id[i]);
	}
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	restart(&bob); /* names alice's address to the client */
	bob.pages_ok = true;
	bob.validated = ledger_now += 10;
	tick(&bob); /* after a resync: every channel asked, no pages */
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    answer(&bob, hex[i], XU_OK,
			   view_at(bob.validated, "5000000", "0", 0)),
		    1);

	/* The next walk: pages first, no lookup while they are read. */
	bob.validated = ledger_now += 10;
	bob.wall_off_ms += 1000;
	eng_paychan_stats(bob.pc, &s0);
	tick(&bob);
	assert_int_equal(pending_lookups(id[0], &asks), 0);
	answer_page(&bob, &bob_id, NULL, NULL, json_array(), bob.validated,
		    true, NULL);
	tick(&bob);
	assert_int_equal(pending_lookups(id[0], &asks), 0);
	/* Meanwhile a transaction touched channel 0: its lookup, of a newer
	 * ledger than the pages', goes out whatever they show. */
	{
		json_t *tx = json_pack(
		    "{s:{s:s},s:{s:[{s:{s:s,s:s}}]}}", "transaction",
		    "TransactionType", "PaymentChannelFund", "meta",
		    "AffectedNodes", "ModifiedNode", "LedgerEntryType",
		    "PayChannel", "LedgerIndex", hex[0]);

		bob.listener.on_tx(bob.listener.arg, tx);
		json_decref(tx);
	}
	p1 = json_array();
	p2 = json_array();
	for (int i = 0; i < 4; i++)
		json_array_append_new(i < 2 ? p1 : p2,
				      page_entry(hex[i], 0, "8000000", "0"));
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated, true,
		    "m1");
	answer_page(&bob, &alice_id, &bob_id, "m1", p2, bob.validated, true,
		    NULL);
	for (int i = 0; i < 4; i++) {
		r = in_rec(&bob, id[i]);
		assert_int_equal(xl_drops_u64(r.ch.view.amount), 8000000);
		assert_int_equal(r.ch.view.ledger_index, bob.validated);
	}
	for (int i = 0; i < 8; i++)
		tick(&bob); /* the walk goes on over its records */
	assert_int_equal(pending_lookups(id[0], &asks), 2);
	assert_true(asks);
	/* (The walk asks it again once answered: it was not in a page.) */
	while (answer(&bob, hex[0], XU_OK,
		      view_at(bob.validated, "8000000", "0", 0)))
		;
	assert_int_equal(pending_lookups(id[4], &asks), 1);
	assert_true(asks);
	eng_paychan_stats(bob.pc, &s1);
	assert_int_equal(s1.pages - s0.pages, 3);
	assert_int_equal(s1.page_views - s0.page_views, 4);
	/* Missing from the pages proved nothing: open until the ledger says
	 * the channel is gone. */
	assert_int_equal(in_rec(&bob, id[4]).ch.state, PC_IN_OPEN);
	assert_int_equal(answer(&bob, hex[4], XU_ENOTFOUND,
				error_at("entryNotFound", bob.validated)),
			 1);
	assert_int_equal(in_rec(&bob, id[4]).ch.state, PC_IN_CLOSED);

	/* The same views again: the records hold them (nothing to read),
	 * the walk asks none of them; then one shows an Expiration (the
	 * payer closing), which its record takes. */
	next_walk_own_page_empty();
	p1 = four_entries(hex, "8000000");
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated, true,
		    NULL);
	for (int i = 0; i < 8; i++)
		tick(&bob);
	assert_int_equal(pending_lookups(id[0], &asks), 0);
	next_walk_own_page_empty();
	p1 = json_array();
	for (int i = 0; i < 4; i++) {
		json_t *e = page_entry(hex[i], 0, "8000000", "0");

		if (i == 1)
			json_object_set_new(e, "expiration",
					    json_integer(g_ledger_time + 7200));
		json_array_append_new(p1, e);
	}
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated, true,
		    NULL);
	r = in_rec(&bob, id[1]);
	assert_true(r.ch.view.has_expiration);
	assert_int_equal(r.ch.view.ledger_index, bob.validated);
	assert_false(in_rec(&bob, id[0]).ch.view.has_expiration);
	for (int i = 0; i < 8; i++)
		tick(&bob);
	/* (a closing channel's record is looked up at each tick: its
	 * lookups are not counted here) */

	/* A page of another ledger ends the round: nothing applied, and
	 * the walk asks each of the four. */
	next_walk_own_page_empty();
	p1 = four_entries(hex, "9000000");
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated + 1, true,
		    NULL);
	for (int i = 0; i < 8; i++)
		tick(&bob);
	assert_int_equal(pending_lookups(id[0], &asks), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    xl_drops_u64(in_rec(&bob, id[i]).ch.view.amount), 8000000);
		assert_int_equal(
		    answer(&bob, hex[i], XU_OK,
			   view_at(bob.validated, "8000000", "0", 0)),
		    1);
	}

	/* Nor is a page that is not validated. */
	next_walk_own_page_empty();
	p1 = four_entries(hex, "9000000");
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated, false,
		    NULL);
	for (int i = 0; i < 8; i++)
		tick(&bob);
	assert_int_equal(pending_lookups(id[0], &asks), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    xl_drops_u64(in_rec(&bob, id[i]).ch.view.amount), 8000000);

	/* A source that fails (our account's pages, say) leaves its own
	 * channels to ledger_entry; the next source is still read. */
	bob.validated = ledger_now += 10;
	bob.wall_off_ms += 1000;
	tick(&bob);
	for (size_t i = 0; i < bob.nreqs; i++) {
		struct request *q = &bob.reqs[i];
		struct xu_err nf = {.code = XU_ENOTFOUND, .msg = "actNotFound"};
		json_t *msg;

		if (!q->cb ||
		    strcmp(xl_json_str(q->req, "command"), "account_channels"))
			continue;
		msg = error_at("actNotFound", bob.validated);
		xl_ws_reply_fn cb = q->cb;
		q->cb = NULL;
		cb(q->arg, XU_ENOTFOUND, msg, &nf);
		json_decref(msg);
		break; /* (the next source's request is queued behind) */
	}
	p1 = four_entries(hex, "11000000");
	answer_page(&bob, &alice_id, &bob_id, NULL, p1, bob.validated, true,
		    NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    xl_drops_u64(in_rec(&bob, id[i]).ch.view.amount), 11000000);
	bob.pages_ok = false;
	g_poll_ms = 0;
}

static void ticks(struct eng_engine *e, int n)
{
	while (n-- > 0)
		tick(e);
}

/* docs/design.md#scale: a poll's view that changes nothing but the
 * newest ledger that showed the channel is not written (the lookup keeps
 * that ledger in memory) until the record's own is VIEW_INDEX_PERSIST
 * (2,048) ledgers older; and when the channel is then gone, the search
 * for what it paid starts from the newest ledger that showed it, not from
 * the older one the record holds. */
static void test_paychan_unchanged_view_not_written(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *stale;
	uint32_t stored, newest;
	json_t *min = NULL;

	(void)state;
	g_poll_ms = 1000;
	restart(&alice); /* with the poll period */
	open_link(id, hex, "6000000");
	/* Bob's reply never reaches alice: her claim stays unacknowledged,
	 * so a gone channel is searched for in the history. */
	assert_int_equal(
	    deliver(&bob, "a", last_msg(&alice, "claim")->body, &stale), 201);
	free(stale);
	(void)answer_lookups(&alice, hex, "10000000", "0");
	stored = out_of(&alice, "b").ch.seen_ledger;
	for (int i = 0; i < 3; i++) {
		alice.wall_off_ms += 1000;
		ticks(&alice, 3); /* a walk: the record, then the ends */
		assert_int_equal(answer_lookups(&alice, hex, "10000000", "0"),
				 1);
	}
	newest = ledger_now;
	assert_true(newest > stored);
	assert_int_equal(out_of(&alice, "b").ch.seen_ledger, stored);

	/* 2,048 ledgers on: written again. */
	ledger_now = stored + 2048 - 1;
	alice.wall_off_ms += 1000;
	ticks(&alice, 3);
	assert_int_equal(answer_lookups(&alice, hex, "10000000", "0"), 1);
	newest = ledger_now;
	assert_int_equal(out_of(&alice, "b").ch.seen_ledger, newest);
	stored = newest;
	alice.wall_off_ms += 1000;
	ticks(&alice, 3);
	assert_int_equal(answer_lookups(&alice, hex, "10000000", "0"), 1);
	newest = ledger_now;
	assert_int_equal(out_of(&alice, "b").ch.seen_ledger, stored);

	/* Gone: the search starts at the newest ledger that showed it. */
	alice.wall_off_ms += 1000;
	ticks(&alice, 3);
	assert_int_equal(answer_lookups(&alice, hex, NULL, NULL), 1);
	assert_true(out_of(&alice, "b").ch.has_ended);
	tick(&alice);
	for (size_t i = 0; i < alice.nreqs; i++)
		if (alice.reqs[i].cb &&
		    !strcmp(xl_json_str(alice.reqs[i].req, "command"),
			    "account_tx"))
			min = json_object_get(alice.reqs[i].req,
					      "ledger_index_min");
	assert_non_null(min);
	assert_int_equal(json_integer_value(min), newest);
	g_poll_ms = 0;
}

/* Polls seen in one second each, over `secs` seconds of the poll clock:
 * the lookups of channel hex that went out and were answered. */
static int polls_each_second(const char *hex, int secs, int *seen)
{
	int total = 0;

	for (int i = 0; i < secs; i++) {
		alice.wall_off_ms += 1000;
		ticks(&alice, 3);
		seen[i] = answer_lookups(&alice, hex, "10000000", "0");
		total += seen[i];
	}
	return total;
}

/* docs/design.md#scale: at many channels the polls' round is longer than
 * the poll period, each channel of the last walk standing for
 * poll_channel_us of it, but never more than 2.5 periods (a credit relies
 * on no view older than three).  Alice's one channel standing for 2 s of
 * a 1 s period: a poll every 2 s; for 10 s: every 2.5 s. */
static void test_paychan_poll_round_stretches(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *stale;
	int seen[10];

	(void)state;
	g_poll_ms = 1000;
	g_poll_channel_us = 2000000;
	restart(&alice);
	open_link(id, hex, "6000000");
	assert_int_equal(
	    deliver(&bob, "a", last_msg(&alice, "claim")->body, &stale), 201);
	free(stale);
	(void)answer_lookups(&alice, hex, "10000000", "0");
	/* A first walk of the one channel, which then counts. */
	(void)polls_each_second(hex, 3, seen);
	assert_int_equal(polls_each_second(hex, 6, seen), 3);
	for (int i = 1; i < 6; i++)
		assert_true(seen[i] + seen[i - 1] == 1); /* every 2 s */

	g_poll_channel_us = 10000000;
	restart(&alice);
	(void)answer_lookups(&alice, hex, "10000000", "0");
	(void)polls_each_second(hex, 4, seen);
	/* 2.5 s a round on a clock of whole seconds: a poll at 3 s, then
	 * 3 s after (2.5 s after the round began, at the next tick). */
	assert_int_equal(polls_each_second(hex, 9, seen), 3);
	g_poll_channel_us = 0;
	g_poll_ms = 0;
}

/* A channel transaction of our account makes the service look up the
 * channels its metadata touched, not every channel: with 20 more
 * incoming records, a claim on bob's channel asks the ledger about that
 * one channel only. */
static void test_paychan_tx_looks_up_touched(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	struct xu_err err;
	json_t *msg;
	size_t pending = 0;

	(void)state;
	open_link(id, hex, "500");
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	for (int i = 0; i < 20; i++) {
		struct eng_chan_in r;
		uint8_t other[CR_CHANNEL_ID_BYTES];

		memset(&r, 0, sizeof(r));
		memset(other, 0xEE, sizeof(other));
		other[0] = (uint8_t)i;
		snprintf(r.account, sizeof(r.account), "a");
		pc_in_init(&r.ch, &bob_id, &alice_id, other);
		r.ch.state = PC_IN_OPEN;
		assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	}
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	/* Every lookup asked so far answered, each channel open. */
	for (int round = 0; round < 3; round++) {
		tick(&bob);
		for (size_t i = 0; i < bob.nreqs; i++) {
			const char *ch = json_string_value(json_object_get(
			    bob.reqs[i].req, "payment_channel"));
			char c[65];

			if (!bob.reqs[i].cb || !ch)
				continue;
			snprintf(c, sizeof(c), "%s", ch);
			(void)answer_lookups(&bob, c, "10000000", "0");
		}
	}
	tick(&bob);

	msg = json_pack("{s:{s:s},s:{s:[{s:{s:s,s:s}}]}}", "transaction",
			"TransactionType", "PaymentChannelClaim", "meta",
			"AffectedNodes", "ModifiedNode", "LedgerEntryType",
			"PayChannel", "LedgerIndex", hex);
	bob.listener.on_tx(bob.listener.arg, msg);
	json_decref(msg);
	tick(&bob);
	for (size_t i = 0; i < bob.nreqs; i++) {
		const char *ch = json_string_value(
		    json_object_get(bob.reqs[i].req, "payment_channel"));

		if (!bob.reqs[i].cb || !ch)
			continue;
		assert_string_equal(ch, hex);
		pending++;
	}
	assert_int_equal(pending, 1);
}

/* ---- the ledger's answers about one channel --------------------------- */

/* Answers e's pending ledger_entry requests for channel hex with (code,
 * msg); returns how many there were. */
static size_t answer(struct eng_engine *e, const char *hex, enum xu_code code,
		     json_t *msg)
{
	size_t n = e->nreqs, done = 0;

	for (size_t i = 0; i < n; i++) {
		struct request *r = &e->reqs[i];
		const char *ch = json_string_value(
		    json_object_get(r->req, "payment_channel"));

		if (!r->cb || !ch || strcmp(ch, hex) != 0)
			continue;
		xl_ws_reply_fn cb = r->cb;
		r->cb = NULL;
		cb(r->arg, code, msg, NULL);
		done++;
	}
	json_decref(msg);
	eng_paychan_views_flush(e->pc); /* as the cron would */
	return done;
}

/* A validated view of alice's channel to bob in ledger index
 * (expiration 0: none). */
static json_t *view_at(uint32_t index, const char *amount, const char *balance,
		       uint32_t expiration)
{
	char src[CR_ADDRESS_STRLEN], dst[CR_ADDRESS_STRLEN], pk[67];
	json_t *msg;

	cr_address_encode(src, &alice_id);
	cr_address_encode(dst, &bob_id);
	xu_hex_encode(pk, sizeof(pk), g_chan_pub ? g_chan_pub : alice.kp.pub.b,
		      CR_PUBKEY_BYTES);
	msg = json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:s,s:i},s:i,s:b}}", "result",
			"node", "Account", src, "Destination", dst, "Amount",
			amount, "Balance", balance, "PublicKey", pk,
			"SettleDelay", 7 * 24 * 3600, "ledger_index",
			(json_int_t)index, "validated", 1);
	if (expiration)
		json_object_set_new(
		    json_object_get(json_object_get(msg, "result"), "node"),
		    "Expiration", json_integer(expiration));
	return msg;
}

/* rippled's error envelope: the token, and the validated ledger it is
 * about when index > 0 (ws.c flattens errors: no "result"). */
static json_t *error_at(const char *token, uint32_t index)
{
	json_t *msg = json_pack("{s:s,s:s,s:s}", "type", "response", "status",
				"error", "error", token);

	if (index) {
		json_object_set_new(msg, "ledger_index", json_integer(index));
		json_object_set_new(msg, "validated", json_true());
	}
	return msg;
}

static struct eng_chan_out out_of(struct eng_engine *e, const char *account)
{
	struct eng_chan_out o;
	struct xu_err err;
	bool have;

	assert_int_equal(eng_chan_out_get(e->store, account, &o, &have, &err),
			 XU_OK);
	assert_true(have);
	return o;
}

static enum pc_out_state out_state(struct eng_engine *e, const char *account)
{
	return out_of(e, account).ch.state;
}

static enum pc_in_state in_state(struct eng_engine *e,
				 const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	struct eng_chan_in r;
	struct xu_err err;
	bool have;

	assert_int_equal(eng_chan_in_get(e->store, id, &r, &have, &err), XU_OK);
	assert_true(have);
	return r.ch.state;
}

/* A message of type t (channel_update, claim) naming channel id, as
 * bob's engine would send it (a claim signed with bob's own key). */
static void msg_naming(char buf[PC_MSG_MAX_BYTES], enum pc_msg_type t,
		       const uint8_t id[CR_CHANNEL_ID_BYTES], uint64_t amount)
{
	struct pc_msg m;
	struct xu_err err;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = t;
	if (t == PC_MSG_CLAIM) {
		memcpy(m.u.claim.channel, id, CR_CHANNEL_ID_BYTES);
		m.u.claim.amount = d(amount);
		assert_int_equal(cr_claim_sign(m.u.claim.sig, &m.u.claim.siglen,
					       &bob.kp, id, amount, &err),
				 XU_OK);
	} else {
		memcpy(m.u.channel, id, CR_CHANNEL_ID_BYTES);
	}
	assert_int_equal(pc_msg_encode(&m, buf, PC_MSG_MAX_BYTES, &len, &err),
			 XU_OK);
}

/* Whether e sent a claim on channel id among its messages from index
 * from on. */
static bool claim_on_since(struct eng_engine *e, size_t from,
			   const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	for (size_t i = from; i < e->nmsgs; i++) {
		if (strcmp(e->msgs[i].tag, "claim") != 0)
			continue;
		struct pc_msg m = msg_of(e->msgs[i].body);
		if (!memcmp(m.u.claim.channel, id, CR_CHANNEL_ID_BYTES))
			return true;
	}
	return false;
}

/* docs/risks.md#peer-message-turning-an-outgoing-lookup-into-an-incoming-one:
 * bob names alice's own outgoing channel (public on the ledger) in a
 * channel_update and a claim.  Alice's lookup of it stays hers: when the
 * ledger shows the channel closing and then gone, her record follows
 * (CLOSING, CLOSED), bob's claim is refused, and nothing more is signed
 * into the channel. */
static void test_paychan_peer_names_our_channel(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], buf[PC_MSG_MAX_BYTES], *reply;
	size_t from;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);

	msg_naming(buf, PC_MSG_CHANNEL_UPDATE, id, 0);
	assert_int_equal(deliver(&alice, "b", buf, &reply), 201);
	free(reply);
	msg_naming(buf, PC_MSG_CLAIM, id, 500000);
	int claim_status = deliver(&alice, "b", buf, &reply);

	/* The ledger: the channel closing (Expiration far ahead). */
	assert_int_equal(
	    answer(&alice, hex, XU_OK,
		   view_at(++ledger_now, "10000000", "0", 900000000u)),
	    1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_CLOSING);
	from = alice.nmsgs;
	settle(&alice, "b", "k2", "100000");
	/* Then gone, seen by the next poll. */
	ready(&alice);
	tick(&alice);
	assert_int_equal(answer(&alice, hex, XU_ENOTFOUND,
				error_at("entryNotFound", ++ledger_now)),
			 1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_CLOSED);
	settle(&alice, "b", "k3", "100000");
	tick(&alice);
	assert_false(claim_on_since(&alice, from, id));
	/* Bob's claim on alice's channel: not his channel to her. */
	assert_int_equal(claim_status, 201);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "not_ours"));
	assert_non_null(strstr(reply, "\"accepted\":false"));
	free(reply);
	assert_int_equal(alice.ncredits, 0);
}

/* Runs fn with stderr sent to a file; returns what was written
 * (malloc'd). */
static char *stderr_of(void (*fn)(void *), void *arg)
{
	char path[96];
	int fd, saved;
	FILE *f;
	char *out;
	long n;

	snprintf(path, sizeof(path), "%s/stderr.log", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn(arg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	out = calloc(1, (size_t)n + 1);
	assert_non_null(out);
	assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return out;
}

struct gone_at {
	const char *hex;
	uint32_t index;
	size_t answered;
};

/* (No assertion while stderr is redirected: cmocka reports there.) */
static void bob_answers_gone(void *arg)
{
	struct gone_at *g = arg;

	g->answered = answer(&bob, g->hex, XU_ENOTFOUND,
			     error_at("entryNotFound", g->index));
}

/* Bob's lookup of channel id goes out again at his next tick; answered
 * with the not-found msg, his record stays open. */
static void bob_asks_again(const char *hex,
			   const uint8_t id[CR_CHANNEL_ID_BYTES], json_t *msg)
{
	size_t n = bob.nreqs;

	tick(&bob);
	assert_true(bob.nreqs > n);
	assert_int_equal(answer(&bob, hex, XU_ENOTFOUND, msg), 1);
	assert_int_equal(in_state(&bob, id), PC_IN_OPEN);
}

/* docs/risks.md#one-lgrnotfound-closing-an-incoming-record-forever: a
 * server that lacks the ledger (lgrNotFound) or lags behind the last
 * view (entryNotFound from an older validated ledger) says nothing about
 * the channel: both records stay, the lookup is asked again, and the
 * index that proves it survives a restart.  Only entryNotFound from a
 * validated ledger at least as new closes them (bob holding an
 * unredeemed claim: lost_unredeemed, as before). */
static void test_paychan_lagging_ledger(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply, *log;
	struct eng_paychan_stats st0, st;
	struct gone_at g;
	uint32_t shown;
	size_t n;

	(void)state;
	open_link(id, hex, "1000000");
	shown = ledger_now; /* bob's view of the channel */
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", NULL),
			 201);
	assert_int_equal(in_state(&bob, id), PC_IN_OPEN);
	eng_paychan_stats(bob.pc, &st0);

	/* Bob looks again (alice's channel_update): lgrNotFound, with the
	 * code a not-found entry has. */
	assert_int_equal(deliver(&bob, "a",
				 last_msg(&alice, "channel_update")->body,
				 &reply),
			 201);
	free(reply);
	assert_int_equal(
	    answer(&bob, hex, XU_ENOTFOUND, error_at("lgrNotFound", 0)), 1);
	assert_int_equal(in_state(&bob, id), PC_IN_OPEN);
	/* Asked again at the next tick: entryNotFound without saying of
	 * which ledger (asked for "validated"): nothing either. */
	bob_asks_again(hex, id, error_at("entryNotFound", 0));
	/* A lagging server answers from a ledger older than the view. */
	bob_asks_again(hex, id, error_at("entryNotFound", shown - 1));
	/* A new process (no lookup in memory): the record's own index. */
	eng_paychan_free(bob.pc);
	start_service(&bob);
	ready(&bob);
	tick(&bob);
	assert_int_equal(answer(&bob, hex, XU_ENOTFOUND,
				error_at("entryNotFound", shown - 1)),
			 1);
	assert_int_equal(in_state(&bob, id), PC_IN_OPEN);
	eng_paychan_stats(bob.pc, &st);
	assert_int_equal(st.alerts, 0);

	/* Alice's channel, just created (ledger 100): a server that has
	 * not seen the create says nothing either. */
	assert_int_equal(
	    answer(&alice, hex, XU_ENOTFOUND, error_at("lgrNotFound", 0)), 1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);
	tick(&alice);
	assert_int_equal(
	    answer(&alice, hex, XU_ENOTFOUND, error_at("entryNotFound", 99)),
	    1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);

	/* Gone in a newer validated ledger: both records close. */
	ready(&bob);
	tick(&bob);
	g.hex = hex;
	g.index = ++ledger_now;
	log = stderr_of(bob_answers_gone, &g);
	assert_int_equal(g.answered, 1);
	assert_int_equal(in_state(&bob, id), PC_IN_CLOSED);
	assert_non_null(strstr(log, "channel_gone"));
	assert_non_null(strstr(log, "lost_unredeemed"));
	free(log);
	/* Alice asks of the newest validated ledger her stream showed, by
	 * number: a bare entryNotFound is about that ledger. */
	alice.validated = ++ledger_now;
	ready(&alice);
	n = alice.nreqs;
	tick(&alice);
	assert_true(alice.nreqs > n);
	assert_int_equal(json_integer_value(json_object_get(alice.reqs[n].req,
							    "ledger_index")),
			 ledger_now);
	assert_int_equal(
	    answer(&alice, hex, XU_ENOTFOUND, error_at("entryNotFound", 0)), 1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_CLOSED);
}

/* docs/risks.md#crediting-on-a-stale-or-unvalidated-view: after a
 * restart (no lookup in memory) a lagging server's view, older than the
 * record's, is ignored by the record; it does not make the record's view
 * fresh either: the claim waits for a view at least as new. */
static void test_paychan_lagging_view_not_fresh(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	uint32_t shown;

	(void)state;
	open_link(id, hex, "1000000");
	shown = ledger_now; /* bob's view of the channel */
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 1);
	restart(&bob);
	tick(&bob);
	settle(&alice, "b", "k2", "500000");
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(shown - 1, "10000000", "0", 0)),
	    1);
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(bob.ncredits, 1);
	tick(&bob);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(++ledger_now, "10000000", "0", 0)),
	    1);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 2);
}

/* An account_channels entry of alice's channel to bob (hex) as the
 * client hands it to on_ready: from a page of validated ledger `index`
 * (0: a page that did not say). */
static json_t *page_entry(const char *hex, uint32_t index, const char *amount,
			  const char *balance)
{
	char src[CR_ADDRESS_STRLEN], dst[CR_ADDRESS_STRLEN], pk[67];
	json_t *e;

	cr_address_encode(src, &alice_id);
	cr_address_encode(dst, &bob_id);
	xu_hex_encode(pk, sizeof(pk), alice.kp.pub.b, CR_PUBKEY_BYTES);
	e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "account", src,
		      "destination_account", dst, "channel_id", hex, "amount",
		      amount, "balance", balance, "settle_delay", 7 * 24 * 3600,
		      "public_key_hex", pk);
	if (index)
		json_object_set_new(e, "ledger_index", json_integer(index));
	return e;
}

/* A new process for bob's service whose resync's pages hold entry (TAKEN):
 * the peer's channels to him. */
static void bob_restarts_with_page(json_t *entry)
{
	json_t *pages = json_array();

	for (size_t i = 0; i < bob.nreqs; i++)
		bob.reqs[i].cb = NULL;
	eng_paychan_free(bob.pc);
	start_service(&bob);
	json_array_append_new(pages, entry);
	ready_with(&bob, pages);
	json_decref(pages);
}

/* docs/design.md#scale: a resync's account_channels pages stand in for
 * the lookups of the channels they show, under the rules of a lookup's
 * answer: a page from a ledger older than the record's view, or one not
 * from a validated ledger, changes nothing and is no fresh view (claims
 * wait, the poll asks); a newer one is applied as a ledger view (the
 * claim relying on it is credited) and spares that channel's lookup. */
static void test_paychan_resync_pages_fresh(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	uint32_t shown;
	struct eng_chan_in r;

	(void)state;
	open_link(id, hex, "1000000");
	shown = ledger_now; /* bob's view of the channel */
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 1);

	/* Older than his view, with another Amount: nothing changes, the
	 * poll asks the ledger, and no claim relies on it. */
	bob_restarts_with_page(page_entry(hex, shown - 1, "20000000", "0"));
	/* The pages read alice's channels to him: her address, once. */
	{
		char a[CR_ADDRESS_STRLEN];

		cr_address_encode(a, &alice_id);
		assert_int_equal(bob.npeers, 1);
		assert_string_equal(bob.peers[0], a);
	}
	r = in_rec(&bob, id);
	assert_int_equal(r.ch.view.ledger_index, shown);
	assert_true(xl_drops_eq(r.ch.view.amount, d(10000000)));
	tick(&bob);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(shown - 1, "10000000", "0", 0)),
	    1);
	settle(&alice, "b", "k2", "500000");
	assert_int_equal(carry_last_claim(), 503); /* no fresh view */
	assert_int_equal(bob.ncredits, 1);
	assert_true(answer(&bob, hex, XU_OK,
			   view_at(++ledger_now, "10000000", "0", 0)) >= 1);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 2);

	/* Not from a validated ledger: nothing changes either. */
	bob_restarts_with_page(page_entry(hex, 0, "20000000", "0"));
	assert_true(xl_drops_eq(in_rec(&bob, id).ch.view.amount, d(10000000)));
	settle(&alice, "b", "k3", "500000");
	assert_int_equal(carry_last_claim(), 503);
	tick(&bob);
	assert_true(answer(&bob, hex, XU_OK,
			   view_at(++ledger_now, "10000000", "0", 0)) >= 1);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 3);

	/* Newer: applied (a topped-up Amount), fresh, and not looked up. */
	bob_restarts_with_page(page_entry(hex, ++ledger_now, "20000000", "0"));
	r = in_rec(&bob, id);
	assert_int_equal(r.ch.view.ledger_index, ledger_now);
	assert_true(xl_drops_eq(r.ch.view.amount, d(20000000)));
	tick(&bob);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(ledger_now, "20000000", "0", 0)),
	    0);
	settle(&alice, "b", "k4", "500000");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 4);

	/* Newer but showing other parties: the core refuses it, so it is no
	 * fresh view either, and the poll asks. */
	{
		json_t *e = page_entry(hex, ++ledger_now, "20000000", "0");
		char a[CR_ADDRESS_STRLEN];

		cr_address_encode(a, &alice_id);
		json_object_set_new(e, "destination_account", json_string(a));
		bob_restarts_with_page(e);
	}
	tick(&bob);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(ledger_now, "20000000", "0", 0)),
	    1);
}

/* docs/risks.md#final-answer-without-a-record: a channel gone and its
 * closed record pruned into pc_in_closed is never linked again, even by a
 * lagging server's view after a restart (no lookup in memory). */
static void test_paychan_pruned_never_relinked(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply;
	struct eng_chan_in r;
	struct xu_err err;
	uint32_t shown;
	uint64_t n;
	bool have;

	(void)state;
	open_link(id, hex, "1000000");
	shown = ledger_now;
	tick(&bob);
	assert_int_equal(answer(&bob, hex, XU_ENOTFOUND,
				error_at("entryNotFound", ++ledger_now)),
			 1);
	assert_int_equal(in_state(&bob, id), PC_IN_CLOSED);
	sleep(1); /* updated_at is in seconds */
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_chan_in_prune(bob.store, 0, 10, &n, &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	assert_int_equal(n, 1);
	restart(&bob);
	assert_int_equal(deliver(&bob, "a",
				 last_msg(&alice, "channel_update")->body,
				 &reply),
			 201);
	free(reply);
	tick(&bob);
	assert_int_equal(
	    answer(&bob, hex, XU_OK, view_at(shown, "10000000", "0", 0)), 1);
	assert_int_equal(eng_chan_in_get(bob.store, id, &r, &have, &err),
			 XU_OK);
	assert_false(have);
}

/* ---- deletion, re-creation, a peer's new address ---------------------- */

/* DELETE /accounts/:id on e, as the API's batch does it. */
/* The operator's redeem or close of one channel, as the admin socket
 * runs it: a transaction of its own, committed (or rolled back) before
 * anything goes out. */
static enum xu_code operator(struct eng_engine *e, const uint8_t *id,
			     bool redeem, bool commit, struct xu_err *err) {
	struct xu_err e2; bool outgoing; enum xu_code rc;

	assert_int_equal(eng_store_begin(e->store, &e2), XU_OK);
	rc = redeem
		 ? eng_paychan_redeem_channel(e->pc, id, err)
		 : eng_paychan_close_channel(e->pc, id, false, &outgoing, err);
	if (rc == XU_OK &&
	    commit){assert_int_equal(eng_store_commit(e->store, &e2), XU_OK);}
else
{
	eng_store_rollback(e->store);
}
eng_paychan_batch_done(e->pc, rc == XU_OK && commit);
return rc;
}

/* xrpse channel redeem / channel close on an incoming channel
 * (docs/design.md#closing): a redeem while one is in flight, or with
 * nothing above the Balance, is refused and builds nothing; one that is
 * taken is in the store (redeem_n, redeem in flight) before its intent
 * is queued, and a rolled-back one queues nothing; a second close of a
 * closing channel is refused. */
static void test_paychan_operator_redeem_and_close(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], r1[XL_INTENT_MAX], r2[XL_INTENT_MAX], r3[XL_INTENT_MAX];
	struct eng_chan_in r;
	struct xu_err err;
	json_t *meta;
	size_t ni;

	(void)state;
	cr_channel_id(id, &alice_id, &bob_id, 37);
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	snprintf(r1, sizeof(r1), "redeem:%s:1", hex);
	snprintf(r2, sizeof(r2), "redeem:%s:2", hex);
	snprintf(r3, sizeof(r3), "redeem:%s:3", hex);
	bob_redeeming(id, 1500000, 1500000, false);
	eng_paychan_free(bob.pc);
	start_service(&bob);
	ni = bob.nintents;
	tick(&bob);
	assert_int_equal(count_intent(&bob, ni, r1), 1);
	/* In flight: refused, nothing more built. */
	assert_int_equal(operator(&bob, id, true, true, &err), XU_ECONFLICT);
	assert_non_null(strstr(err.msg, "in flight"));
	assert_int_equal(count_intent(&bob, ni, r2), 0);
	meta = claim_meta("ModifiedNode", hex, "1500000", "0");
	tx_lands(&bob, r1, meta);
	json_decref(meta);
	/* All redeemed: nothing to redeem. */
	assert_int_equal(operator(&bob, id, true, true, &err), XU_ECONFLICT);
	assert_non_null(strstr(err.msg, "nothing to redeem"));
	/* A better claim held: the policy would wait (its next check is an
	 * hour away); the operator's goes now. */
	r = in_rec(&bob, id);
	assert_false(r.ch.redeem_inflight);
	r.ch.best = d(2500000);
	assert_int_equal(cr_claim_sign(r.ch.best_sig, &r.ch.best_siglen,
				       &alice.kp, id, 2500000, &err),
			 XU_OK);
	r.ch.next_check = UINT64_MAX / 2;
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_chan_in_put(bob.store, &r, &err), XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	tick(&bob);
	assert_int_equal(count_intent(&bob, ni, r2), 0);
	/* Rolled back: neither the record nor a transaction. */
	assert_int_equal(operator(&bob, id, true, false, &err), XU_OK);
	r = in_rec(&bob, id);
	assert_false(r.ch.redeem_inflight);
	assert_int_equal(r.redeem_n, 1);
	assert_int_equal(count_intent(&bob, ni, r2), 0);
	/* Committed: the record first, then its one intent. */
	assert_int_equal(operator(&bob, id, true, true, &err), XU_OK);
	r = in_rec(&bob, id);
	assert_true(r.ch.redeem_inflight);
	assert_int_equal(r.redeem_n, 2);
	assert_true(xl_drops_eq(r.ch.redeem_amount, d(2500000)));
	assert_int_equal(count_intent(&bob, ni, r2), 1);
	assert_int_equal(operator(&bob, id, true, true, &err), XU_ECONFLICT);
	assert_int_equal(count_intent(&bob, ni, r3), 0);
	/* Close: as a deletion for this channel; twice refused. */
	assert_int_equal(operator(&bob, id, false, true, &err), XU_OK);
	r = in_rec(&bob, id);
	assert_int_equal(r.ch.state, PC_IN_CLOSING);
	assert_true(r.ch.deleting);
	assert_int_equal(operator(&bob, id, false, true, &err), XU_ECONFLICT);
	assert_non_null(strstr(err.msg, "closing already"));
	assert_true(eng_store_account_exists(bob.store, "a"));
}

static void alice_sees_channel(const char *hex, bool present,
			       const char *balance);

/* xrpse channel close ID --force on our outgoing channel
 * (docs/risks.md#our-owner-close-before-the-peer-redeems): the peer is
 * asked to close, and our owner close goes out on the next ledger view
 * without waiting --close-wait; once, however often the operator asks;
 * the account stays. */
static void test_paychan_operator_force_close(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], close_intent[XL_INTENT_MAX];
	struct eng_chan_out o;
	struct xu_err err;
	bool outgoing = false;
	size_t ni;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry_last_claim(), 201);
	snprintf(close_intent, sizeof(close_intent), "close:%s:1", hex);
	ni = alice.nintents;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(
	    eng_paychan_close_channel(alice.pc, id, true, &outgoing, &err),
	    XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	eng_paychan_batch_done(alice.pc, true);
	assert_true(outgoing);
	assert_non_null(last_msg(&alice, "close_request"));
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_CLOSING);
	assert_false(o.ch.deleting);
	assert_int_equal(count_intent(&alice, ni, close_intent), 0);
	/* Asked again before the view: refused, nothing more. */
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(
	    eng_paychan_close_channel(alice.pc, id, true, &outgoing, &err),
	    XU_ECONFLICT);
	eng_store_rollback(alice.store);
	eng_paychan_batch_done(alice.pc, false);
	assert_non_null(strstr(err.msg, "under way already"));
	tick(&alice);
	alice_sees_channel(hex, true, "0");
	assert_int_equal(count_intent(&alice, ni, close_intent), 1);
	tick(&alice);
	alice_sees_channel(hex, true, "0");
	assert_int_equal(count_intent(&alice, ni, close_intent), 1);
	assert_true(eng_store_account_exists(alice.store, "b"));
}

static void account_delete(struct eng_engine *e, const char *account)
{
	struct xu_err err;

	assert_int_equal(eng_store_begin(e->store, &err), XU_OK);
	assert_int_equal(eng_store_account_delete(e->store, account, &err),
			 XU_OK);
	assert_int_equal(eng_paychan_account_deleted(e->pc, account, &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(e->store, &err), XU_OK);
	eng_paychan_batch_done(e->pc, true);
}

/* POST /accounts on e, as the API's batch does it. */
static void account_create(struct eng_engine *e, const char *account)
{
	struct xu_err err;
	bool created;

	assert_int_equal(eng_store_begin(e->store, &err), XU_OK);
	assert_int_equal(
	    eng_store_account_create(e->store, account, &created, &err), XU_OK);
	assert_int_equal(eng_paychan_account_created(e->pc, account, &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(e->store, &err), XU_OK);
	eng_paychan_batch_done(e->pc, true);
}

/* A new process for e's service over the same store; the requests of the
 * old one die with it.  The ledger is ready (a poll follows). */
static void restart(struct eng_engine *e)
{
	for (size_t i = 0; i < e->nreqs; i++)
		e->reqs[i].cb = NULL;
	eng_paychan_free(e->pc);
	start_service(e);
	ready(e);
}

/* Carries alice's last claim to bob; returns bob's status. */
static int carry_last_claim(void)
{
	return carry(&alice, msg_index(&alice, last_msg(&alice, "claim")), &bob,
		     "a", NULL);
}

/* Answers alice's pending ledger_entry requests for channel hex: the
 * channel (alice to bob, 10 XRP, balance) when found, else
 * entryNotFound.  At least one must be pending. */
static void alice_sees_channel(const char *hex, bool found, const char *balance)
{
	char src[CR_ADDRESS_STRLEN], dst[CR_ADDRESS_STRLEN], pk[67];
	size_t n = alice.nreqs, seen = 0;

	cr_address_encode(src, &alice_id);
	cr_address_encode(dst, &bob_id);
	xu_hex_encode(pk, sizeof(pk), g_chan_pub ? g_chan_pub : alice.kp.pub.b,
		      CR_PUBKEY_BYTES);
	for (size_t i = 0; i < n; i++) {
		struct request *r = &alice.reqs[i];
		const char *cmd, *pch;

		if (!r->cb)
			continue;
		cmd = json_string_value(json_object_get(r->req, "command"));
		pch = json_string_value(
		    json_object_get(r->req, "payment_channel"));
		if (strcmp(cmd, "ledger_entry") || !pch || strcmp(pch, hex))
			continue;
		xl_ws_reply_fn cb = r->cb;
		r->cb = NULL;
		seen++;
		/* As a validated ledger answers: with its index. */
		if (!found) {
			struct xu_err e = {.code = XU_ENOTFOUND};
			json_t *nf =
			    json_pack("{s:s,s:s,s:s,s:i,s:b}", "type",
				      "response", "status", "error", "error",
				      "entryNotFound", "ledger_index",
				      (json_int_t)++ledger_now, "validated", 1);

			snprintf(e.msg, sizeof(e.msg), "entryNotFound");
			cb(r->arg, XU_ENOTFOUND, nf, &e);
			json_decref(nf);
			continue;
		}
		json_t *msg = json_pack(
		    "{s:{s:{s:s,s:s,s:s,s:s,s:s,s:i},s:i,s:b}}", "result",
		    "node", "Account", src, "Destination", dst, "Amount",
		    "10000000", "Balance", balance, "PublicKey", pk,
		    "SettleDelay", 7 * 24 * 3600, "ledger_index",
		    (json_int_t)++ledger_now, "validated", 1);
		cb(r->arg, XU_OK, msg, NULL);
		json_decref(msg);
	}
	assert_true(seen > 0);
	eng_paychan_views_flush(alice.pc); /* as the cron would */
}

/* docs/design.md#claims-a-gone-channel-never-paid through the service:
 * alice signs 6 XRP (bob credits them; his answer is lost); bob closes
 * the channel as destination redeeming his 6; alice, not knowing, signs 8
 * XRP, which bob refuses (no_channel).  Alice's record waits: it asks
 * rippled's history what the channel paid and bob what he holds, and only
 * then owes the 2 XRP again, on a new channel, where bob credits exactly
 * them.  Before the fix they were counted as paid (simulation seed 1071:
 * the payee's connector short by the claims it refused). */
static void test_paychan_gone_unacked_owed_again(void **state)
{
	uint8_t a_id[CR_CHANNEL_ID_BYTES], b_id[CR_CHANNEL_ID_BYTES];
	char a_hex[65], b_hex[65], *reply;
	struct eng_chan_out o;
	struct sent *claim;
	struct pc_msg m;
	uint32_t gone_at;
	size_t n;

	(void)state;
	open_link(a_id, a_hex, "6000000");
	claim = last_msg(&alice, "claim");
	assert_int_equal(deliver(&bob, "a", claim->body, &reply), 201);
	free(reply); /* the answer never reaches alice */
	assert_int_equal(bob.ncredits, 1);
	/* Bob's close: redeemed 6 XRP, the channel deleted; his record
	 * learns it (a restart polls every channel). */
	restart(&bob);
	tick(&bob);
	assert_true(answer_lookups(&bob, a_hex, NULL, NULL) >= 1);
	assert_int_equal(in_state(&bob, a_id), PC_IN_CLOSED);
	/* Alice's 8 XRP claim beside the unanswered one: refused. */
	settle(&alice, "b", "k2", "2000000");
	pass_ms(2100); /* claim_stall_ms: the newer goes beside */
	n = alice.nmsgs;
	tick(&alice);
	assert_true(alice.nmsgs > n);
	claim = last_msg(&alice, "claim");
	assert_int_equal(xl_drops_u64(msg_of(claim->body).u.claim.amount),
			 8000000);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", &reply), 201);
	assert_false(msg_of(reply).u.reply.accepted);
	free(reply);
	assert_int_equal(bob.ncredits, 1);
	/* Alice sees the channel gone: 8 signed, nothing acknowledged. */
	alice_sees_channel(a_hex, false, NULL);
	gone_at = (uint32_t)ledger_now;
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_CLOSED);
	assert_true(o.ch.has_ended);
	assert_int_equal(xl_drops_u64(o.ch.ended_signed), 8000000);
	assert_int_equal(o.ch.ended_to, gone_at);
	/* Settlements wait for both answers: no new channel. */
	settle(&alice, "b", "k3", "1000000");
	tick(&alice);
	assert_int_equal(count_intent(&alice, 0, "create:b:2"), 0);
	/* The history shows the deletion: bob's answer still to wait for. */
	assert_int_equal(history_answers(&alice, a_hex, gone_at, "6000000"), 1);
	assert_true(out_of(&alice, "b").ch.has_ended);
	/* Bob holds 6 XRP: 2 XRP owed again, with the 1 XRP settled since. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "last_claim")),
		  &bob, "a", NULL),
	    201);
	o = out_of(&alice, "b");
	assert_false(o.ch.has_ended);
	assert_int_equal(xl_drops_u64(o.ch.reowed), 2000000);
	assert_int_equal(count_intent(&alice, 0, "create:b:2"), 1);
	create_lands_seq(b_id, "create:b:2", 8);
	xu_hex_encode(b_hex, sizeof(b_hex), b_id, CR_CHANNEL_ID_BYTES);
	/* The refused claim's resend meets the same answer; the claim on the
	 * new channel goes beside the 6 XRP attempt still unanswered. */
	claim = last_msg(&alice, "claim");
	assert_int_equal(xl_drops_u64(msg_of(claim->body).u.claim.amount),
			 8000000);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	pass_ms(2100);
	tick(&alice);
	claim = last_msg(&alice, "claim");
	m = msg_of(claim->body);
	assert_memory_equal(m.u.claim.channel, b_id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 3000000);
	assert_int_equal(deliver(&bob, "a",
				 last_msg(&alice, "channel_update")->body,
				 &reply),
			 201);
	free(reply);
	assert_true(answer_lookups(&bob, b_hex, "10000000", "0") >= 1);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	/* 6 + 3 = the 9 XRP alice's connector settled, once. */
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 3000000);
}

/* risks.md#delete-then-recreate-pays-nothing through the daemon: an
 * account deleted (the peer asked to close its channel), the daemon
 * restarted, the account created again (twice): the old channel still
 * closes and is never signed on again; once it is gone a new channel
 * opens and pays what was settled after the re-creation, and the old
 * close's result, arriving late, changes nothing. */
static void test_paychan_recreate_pays_again(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES], id2[CR_CHANNEL_ID_BYTES];
	char hex[65], hex2[65], close_intent[XL_INTENT_MAX], *reply;
	char key[PC_KEY_STRLEN];
	struct eng_chan_out o, before;
	struct xl_drops owed;
	struct xl_outcome out;
	struct pc_msg m;
	struct xu_err err;
	size_t n, ni;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 1);

	/* Deleted: the peer is asked to close (it redeems with tfClose). */
	account_delete(&alice, "b");
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "close_request")),
		  &bob, "a", NULL),
	    201);
	/* A restart, and a view of the channel still there: the owner
	 * close goes out. */
	restart(&alice);
	tick(&alice);
	ni = alice.nintents;
	alice_sees_channel(hex, true, "0");
	assert_int_equal(alice.nintents, ni + 1);
	snprintf(close_intent, sizeof(close_intent), "close:%s:1", hex);
	assert_string_equal(alice.intents[ni].intent, close_intent);

	/* Created again (deleted and created once more on the way): the
	 * channel being closed is not reused, nothing goes out on it. */
	n = alice.nmsgs;
	account_create(&alice, "b");
	o = out_of(&alice, "b");
	assert_false(o.ch.deleting);
	assert_int_equal(o.ch.state, PC_OUT_CLOSING);
	account_delete(&alice, "b");
	account_create(&alice, "b");
	settle(&alice, "b", "k2", "500000");
	assert_int_equal(alice.nmsgs, n);
	o = out_of(&alice, "b");
	assert_false(o.ch.deleting);
	assert_int_equal(o.ch.state, PC_OUT_CLOSING);
	assert_int_equal(xl_drops_u64(o.ch.owed), 500000);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 1000000);
	assert_int_equal(eng_store_owed_get(alice.store, "b", &owed, &err),
			 XU_OK);
	assert_true(xl_drops_is_zero(owed));

	/* The peer closed it: gone; after a restart (the store might be a
	 * restored copy) what it paid and what the peer holds are asked
	 * first; then a new channel for what is owed. */
	ready(&alice);
	tick(&alice);
	alice_sees_channel(hex, false, NULL);
	assert_int_equal(out_of(&alice, "b").ch.state, PC_OUT_CLOSED);
	assert_true(out_of(&alice, "b").ch.has_ended);
	tick(&alice);
	assert_int_equal(
	    history_answers(&alice, hex, (uint32_t)ledger_now, "1000000"), 1);
	/* The question out was the restart's recovery (not final): its
	 * answer does not settle the ended channel; the final one does. */
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "last_claim")),
		  &bob, "a", NULL),
	    201);
	assert_true(out_of(&alice, "b").ch.has_ended);
	pass_ms(300);
	tick(&alice);
	assert_true(msg_of(last_msg(&alice, "last_claim")->body).final);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, last_msg(&alice, "last_claim")),
		  &bob, "a", NULL),
	    201);
	assert_false(out_of(&alice, "b").ch.has_ended);
	tick(&alice);
	create_lands_seq(id2, "create:b:2", 8);
	assert_memory_not_equal(id, id2, CR_CHANNEL_ID_BYTES);
	xu_hex_encode(hex2, sizeof(hex2), id2, CR_CHANNEL_ID_BYTES);
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_OPEN);
	assert_memory_equal(o.ch.id, id2, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 500000);
	assert_true(xl_drops_is_zero(o.ch.owed));
	assert_false(o.ch.close_inflight); /* that close was the old one's */
	m = msg_of(last_msg(&alice, "claim")->body);
	assert_memory_equal(m.u.claim.channel, id2, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 500000);
	assert_true(cr_claim_verify(alice.kp.pub.b, CR_PUBKEY_BYTES, id2,
				    500000, m.u.claim.sig, m.u.claim.siglen));

	/* The old close's result comes late: stale, nothing changes. */
	before = o;
	memset(&out, 0, sizeof(out));
	out.intent = close_intent;
	out.kind = XL_OUT_TEC;
	out.result = "tecNO_TARGET";
	out.ledger_index = 101;
	eng_paychan_outcome(alice.pc, &out);
	o = out_of(&alice, "b");
	assert_memory_equal(&o, &before, sizeof(o));

	/* Bob links the new channel and credits the new claim, once. */
	(void)deliver(&bob, "a", last_msg(&alice, "channel_update")->body,
		      &reply);
	free(reply);
	bob_sees_channel(hex2, "10000000", "0");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 500000);
	pc_credit_key(key, id2, d(500000));
	assert_string_equal(bob.credits[1].key, key);

	/* Another start: nothing closes the new channel. */
	ni = alice.nintents;
	restart(&alice);
	tick(&alice);
	for (size_t i = ni; i < alice.nintents; i++)
		assert_null(strstr(alice.intents[i].intent, "close:"));
	assert_int_equal(out_of(&alice, "b").ch.state, PC_OUT_OPEN);
}

/* Deleted and created again while the create is in flight: nothing was
 * sent to the peer yet, so the channel opens as if nothing happened and
 * pays what was owed before the deletion and what came after. */
static void test_paychan_recreate_while_opening(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct eng_chan_out o;
	struct pc_msg m;

	(void)state;
	pair();
	settle(&alice, "b", "k1", "1000000");
	assert_int_equal(alice.nintents, 1);
	account_delete(&alice, "b");
	account_create(&alice, "b");
	settle(&alice, "b", "k2", "200000");
	create_lands(id);
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_OPEN);
	assert_false(o.ch.deleting);
	assert_int_equal(xl_drops_u64(o.ch.signed_total), 1200000);
	assert_true(xl_drops_is_zero(o.ch.owed));
	assert_int_equal(alice.nintents, 1); /* no owner close */
	assert_null(last_msg(&alice, "close_request"));
	m = msg_of(last_msg(&alice, "claim")->body);
	assert_memory_equal(m.u.claim.channel, id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 1200000);
}

/* Encodes a hello from the peer naming address (min settle delay 7 or
 * 30 days) into body. */
static void hello_body_at(char *body, size_t cap,
			  const struct cr_account_id *address, uint32_t days,
			  uint64_t sent_ms)
{
	struct pc_msg h;
	struct xu_err err;
	size_t len;

	memset(&h, 0, sizeof(h));
	h.type = PC_MSG_HELLO;
	h.u.hello.address = *address;
	h.u.hello.key_type = bob.kp.type;
	h.u.hello.min_settle_delay = days * 24 * 3600;
	h.u.hello.sent_ms = sent_ms;
	assert_int_equal(pc_msg_encode(&h, body, cap, &len, &err), XU_OK);
}

static void hello_body(char *body, size_t cap,
		       const struct cr_account_id *address, uint32_t days)
{
	/* Built now (a newer engine's hello than any before). */
	hello_body_at(body, cap, address, days,
		      (uint64_t)virt_wall_ms() + 1000 * 1000);
}

/* docs/risks.md#peer-address-change with an older build (no "sent_ms" in
 * its hellos): its hello naming a new address is followed while no hello
 * we took had a send time; once one had, a hello without one is taken as
 * older and ignored. */
static void test_paychan_hello_without_sent_ms(void **state)
{
	char body[PC_MSG_MAX_BYTES + 1], *reply;
	struct cr_account_id other;
	struct eng_chan_peer p;
	struct xu_err err;
	bool have;

	(void)state;
	pair();
	/* Paired by an older build: no send time kept. */
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p, &have, &err),
			 XU_OK);
	assert_true(have);
	p.peer_sent_ms = 0;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_chan_peer_put(alice.store, &p, &err), XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	memset(&other, 0x5c, sizeof(other));
	hello_body_at(body, sizeof(body), &other, 7, 0);
	assert_int_equal(deliver(&alice, "b", body, &reply), 201);
	free(reply);
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p, &have, &err),
			 XU_OK);
	assert_memory_equal(&p.address, &other, sizeof(other));
	assert_int_equal(p.peer_sent_ms, 0);
	/* The peer's newer build, then a delayed old hello: ignored. */
	hello_body(body, sizeof(body), &bob_id, 7);
	assert_int_equal(deliver(&alice, "b", body, &reply), 201);
	free(reply);
	hello_body_at(body, sizeof(body), &other, 7, 0);
	assert_int_equal(deliver(&alice, "b", body, &reply), 201);
	free(reply);
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p, &have, &err),
			 XU_OK);
	assert_memory_equal(&p.address, &bob_id, sizeof(bob_id));
}

/* docs/risks.md#random-channel-id-lookup-storms: bob's messages name 200
 * random channel ids.  Alice looks up at most PEER_UNKNOWN_BURST of them
 * (the rest get a retryable 503, nothing stored, nothing asked of
 * rippled), and bob's honest claim on his real channel is still taken at
 * once. */
/* docs/design.md#claims-a-gone-channel-never-paid: the final question
 * about an ended channel refused again and again (a 4xx, as from a peer
 * that deleted the account) is asked with backoff: claim_resend_ms (100
 * here), doubled after each refusal.  It used to be asked every
 * claim_resend_ms for ever (the count of refusals was reset by each
 * refusal), parking a message row each time. */
static void test_paychan_ended_question_backs_off(void **state)
{
	uint8_t a_id[CR_CHANNEL_ID_BYTES];
	char a_hex[65], *reply;
	struct sent *claim, *q;
	size_t asks = 0;

	(void)state;
	open_link(a_id, a_hex, "6000000");
	claim = last_msg(&alice, "claim");
	assert_int_equal(deliver(&bob, "a", claim->body, &reply), 201);
	free(reply); /* its answer is lost */
	settle(&alice, "b", "k2", "2000000");
	pass_ms(2100);
	tick(&alice);
	alice_sees_channel(a_hex, false, NULL);
	assert_true(out_of(&alice, "b").ch.has_ended);
	for (int round = 0; round < 10; round++) {
		size_t before = count_tag(&alice, "last_claim");

		tick(&alice);
		if (count_tag(&alice, "last_claim") > before) {
			asks++;
			q = last_msg(&alice, "last_claim");
			alice.reply_fn(alice.reply_arg, ENG_OUTBOX_MESSAGE,
				       (int64_t)msg_index(&alice, q),
				       "last_claim", "b", 404,
				       (const uint8_t *)"", 0);
		}
		alice.wall_off_ms += 150;
	}
	/* 100, 200, 400, 800 ms apart: 4 asks in 1.5 s (10 before). */
	assert_true(asks >= 2 && asks <= 5);
	assert_true(out_of(&alice, "b").ch.has_ended);
}

static void test_paychan_unknown_id_flood(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES], rnd[CR_CHANNEL_ID_BYTES];
	char hex[65], body[PC_MSG_MAX_BYTES + 1], *reply;
	size_t n0, asked = 0, refused = 0;
	int st;

	(void)state;
	open_link(id, hex, "1000000"); /* alice pays bob */
	/* Bob opens his channel to alice: her record of it exists. */
	settle(&bob, "a", "kb1", "1000000");
	n0 = alice.nreqs;
	for (int i = 0; i < 200; i++) {
		memset(rnd, 0, sizeof(rnd));
		rnd[0] = (uint8_t)i;
		rnd[1] = 0x77;
		msg_naming(body, PC_MSG_CHANNEL_UPDATE, rnd, 0);
		st = deliver(&alice, "b", body, &reply);
		free(reply);
		if (st == 201)
			asked++;
		else if (st == 503)
			refused++;
	}
	assert_int_equal(asked, 8);
	assert_int_equal(refused, 192);
	tick(&alice);
	assert_true(alice.nreqs - n0 <= 8 + 1); /* + account_info */
	/* Alice's claim to bob (her channel) is unaffected; so is a claim of
	 * bob's on a channel alice knows. */
	settle(&alice, "b", "k2", "500000");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 1);
}

/* Makes 40 of bob's records due for a poll (ids 0x55.. with their first
 * byte 0-39) and sends them: every slot taken, 8 wait; poll0 is the hex
 * of the first.  Returns bob.nreqs before. */
static size_t polls_fill_slots(char poll0[65])
{
	uint8_t poll[CR_CHANNEL_ID_BYTES];
	size_t n0 = bob.nreqs;

	for (int i = 0; i < 40; i++) {
		memset(poll, 0x55, sizeof(poll));
		poll[0] = (uint8_t)i;
		assert_non_null(lookup_want(bob.pc, poll, "x", true));
		if (i == 0)
			xu_hex_encode(poll0, 65, poll, CR_CHANNEL_ID_BYTES);
	}
	lookups_flush(bob.pc);
	assert_int_equal(bob.nreqs - n0, 32);
	return n0;
}

/* Answers bob's poll0 (a timeout: asked again later) and flushes: the
 * one request sent for the freed slot must name channel hex. */
static void freed_slot_names(const char *poll0, size_t n0, size_t out,
			     const char *hex)
{
	const char *named;

	assert_int_equal(answer(&bob, poll0, XU_ETIMEOUT, NULL), 1);
	lookups_flush(bob.pc);
	assert_int_equal(bob.nreqs - n0, out + 1);
	named = json_string_value(
	    json_object_get(bob.reqs[bob.nreqs - 1].req, "payment_channel"));
	assert_non_null(named);
	assert_string_equal(named, hex);
}

/* docs/risks.md#random-channel-id-lookup-storms: our records' polls
 * filling the queue and every slot do not hold back the lookup a new
 * channel's claim waits for (answered 503 until its view comes): the
 * first slot freed goes to it, not to the next poll. */
static void test_paychan_claim_lookup_not_behind_polls(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], poll0[65];
	size_t n0;

	(void)state;
	pair();
	settle(&alice, "b", "k1", "1000000");
	create_lands(id);
	xu_hex_encode(hex, 65, id, CR_CHANNEL_ID_BYTES);
	n0 = polls_fill_slots(poll0);
	/* Alice's claim on her new channel: bob looks it up, "retry". */
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(bob.nreqs - n0, 32);
	freed_slot_names(poll0, n0, 32, hex);
}

/* The same for a claim on bob's record whose view is too old to credit
 * on: its lookup, which the peer waits for, goes before the polls of
 * records nobody waits for. */
static void test_paychan_claim_on_stale_record_not_behind_polls(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], poll0[65];
	size_t n0;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry_last_claim(), 201);
	bob.wall_off_ms += 4 * INT64_C(3600000); /* four polls later */
	n0 = polls_fill_slots(poll0);
	settle(&alice, "b", "k2", "1000000");
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(bob.nreqs - n0, 32);
	freed_slot_names(poll0, n0, 32, hex);
}

/* Delivers alice's last_claim about channel id (final or not) to bob;
 * returns bob's status, with his reply in *reply. */
static int ask_last_claim(const uint8_t *id, bool final, char **reply)
{
	char body[PC_MSG_MAX_BYTES + 1];
	struct pc_msg m;
	struct xu_err err;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_LAST_CLAIM;
	memcpy(m.u.channel, id, CR_CHANNEL_ID_BYTES);
	m.final = final;
	assert_int_equal(pc_msg_encode(&m, body, sizeof(body), &len, &err),
			 XU_OK);
	return deliver(&bob, "a", body, reply);
}

/* Carries alice's last claim to bob, who answers it refused. */
static void last_claim_refused(void)
{
	char *reply;

	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", &reply),
			 201);
	assert_false(msg_of(reply).u.reply.accepted);
	free(reply);
}

/* docs/design.md#claims-a-gone-channel-never-paid: a last_claim with
 * "final" (the payer's channel left the ledger) freezes bob's record as
 * he answers: a claim still on its way is refused, not credited on top of
 * what alice then owes again (simulation seed 372).  Without "final" (a
 * recovery) nothing changes. */
static void test_paychan_last_claim_final_freezes(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], body[PC_MSG_MAX_BYTES + 1], *reply;
	struct pc_msg m;
	struct xu_err err;
	size_t len;

	(void)state;
	open_link(id, hex, "2000000");
	assert_int_equal(carry_last_claim(), 201);
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_LAST_CLAIM;
	memcpy(m.u.channel, id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(pc_msg_encode(&m, body, sizeof(body), &len, &err),
			 XU_OK);
	assert_int_equal(deliver(&bob, "a", body, &reply), 201);
	assert_int_equal(xl_drops_u64(msg_of(reply).u.last.amount), 2000000);
	free(reply);
	assert_false(in_rec(&bob, id).ch.frozen);
	m.final = true;
	assert_int_equal(pc_msg_encode(&m, body, sizeof(body), &len, &err),
			 XU_OK);
	assert_int_equal(deliver(&bob, "a", body, &reply), 201);
	assert_int_equal(xl_drops_u64(msg_of(reply).u.last.amount), 2000000);
	free(reply);
	assert_true(in_rec(&bob, id).ch.frozen);
	settle(&alice, "b", "k2", "1000000");
	last_claim_refused();
	assert_int_equal(bob.ncredits, 1);
}

/* docs/risks.md#final-answer-without-a-record: a final last_claim about
 * a channel bob has no record of (never linked) is answered 0, final; a
 * record made afterwards (a claim still on its way, looked up, a lagging
 * server still showing the channel) starts frozen: the claim is refused,
 * not credited on top of what alice then owes again. */
static void test_paychan_final_without_record(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply;

	(void)state;
	pair();
	settle(&alice, "b", "k1", "2000000");
	create_lands(id);
	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	/* No channel_update reached bob: he has no record of the channel. */
	assert_int_equal(ask_last_claim(id, true, &reply), 201);
	assert_true(msg_of(reply).final);
	assert_int_equal(xl_drops_u64(msg_of(reply).u.last.amount), 0);
	free(reply);
	/* Alice's claim arrives: bob looks the channel up (503), a server
	 * still shows it, the claim comes again. */
	assert_int_equal(carry_last_claim(), 503);
	tick(&bob);
	assert_true(answer_lookups(&bob, hex, "10000000", "0") > 0);
	assert_true(in_rec(&bob, id).ch.frozen);
	last_claim_refused();
	assert_int_equal(bob.ncredits, 0);
}

/* risks.md#peer-address-change and
 * risks.md#hello-from-a-new-address-zeroing-owed: a hello naming another
 * address while our channel is open is refused and changes nothing that
 * moves money; once no channel is live it is taken for the next channel,
 * and the settlements waiting in the record stay owed and are paid. */
static void test_paychan_hello_new_address(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], body[PC_MSG_MAX_BYTES + 1], *reply;
	struct cr_account_id other;
	struct eng_chan_peer p0, p;
	struct eng_chan_out o0, o;
	struct xl_outcome out;
	struct xl_tx tx;
	struct intent *in;
	struct xu_err err;
	size_t ni, n;
	bool have;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(carry_last_claim(), 201);
	memset(&other, 0x5a, sizeof(other));

	/* OPEN: the peer moved (a new key and store: its engine no longer
	 * takes claims on this channel).  Taken: the channel closes (the
	 * peer is asked first), settlements wait for the next channel. */
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p0, &have, &err),
			 XU_OK);
	o0 = out_of(&alice, "b");
	ni = alice.nintents;
	n = alice.nmsgs;
	hello_body(body, sizeof(body), &other, 30);
	assert_int_equal(deliver(&alice, "b", body, &reply), 201);
	free(reply);
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p, &have, &err),
			 XU_OK);
	assert_memory_equal(&p.address, &other, sizeof(other));
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_CLOSING);
	assert_false(o.ch.deleting);
	assert_memory_equal(&o.ch.peer, &o0.ch.peer, sizeof(o.ch.peer));
	assert_int_equal(alice.nintents, ni);
	assert_true(alice.nmsgs > n);
	assert_non_null(last_msg(&alice, "close_request"));
	settle(&alice, "b", "k2", "300000");
	assert_int_equal(xl_drops_u64(out_of(&alice, "b").ch.owed), 300000);

	/* Gone (every claim acknowledged): the next channel goes to the new
	 * address, for what waited. */
	alice_sees_channel(hex, false, NULL);
	tick(&alice);
	in = &alice.intents[alice.nintents - 1];
	assert_string_equal(in->intent, "create:b:2");
	build_intent(in, 9, &tx);
	assert_memory_equal(&tx.destination, &other, sizeof(other));
	o = out_of(&alice, "b");
	assert_memory_equal(&o.ch.peer, &other, sizeof(other));

	/* A delayed hello from the engine the peer replaced (built before
	 * the one we took) names the old address: ignored (simulation seed
	 * 3063). */
	{
		struct pc_msg h;
		size_t len;

		memset(&h, 0, sizeof(h));
		h.type = PC_MSG_HELLO;
		h.u.hello.address = bob_id;
		h.u.hello.key_type = bob.kp.type;
		h.u.hello.min_settle_delay = 7 * 24 * 3600;
		h.u.hello.sent_ms = 1000;
		assert_int_equal(
		    pc_msg_encode(&h, body, sizeof(body), &len, &err), XU_OK);
		assert_int_equal(deliver(&alice, "b", body, &reply), 201);
		free(reply);
		assert_int_equal(
		    eng_chan_peer_get(alice.store, "b", &p, &have, &err),
		    XU_OK);
		assert_memory_equal(&p.address, &other, sizeof(other));
	}

	/* It fails: the record waits in NONE; another address from the peer
	 * then is taken for the next channel at once, the drops stay owed. */
	memset(&out, 0, sizeof(out));
	out.intent = "create:b:2";
	out.kind = XL_OUT_TEC;
	out.result = "tecUNFUNDED";
	eng_paychan_outcome(alice.pc, &out);
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_NONE);
	assert_int_equal(xl_drops_u64(o.ch.owed), 300000);
	memset(&other, 0x5b, sizeof(other));
	hello_body(body, sizeof(body), &other, 7);
	assert_int_equal(deliver(&alice, "b", body, &reply), 201);
	free(reply);
	assert_int_equal(eng_chan_peer_get(alice.store, "b", &p, &have, &err),
			 XU_OK);
	assert_memory_equal(&p.address, &other, sizeof(other));
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_NONE);
	assert_memory_equal(&o.ch.peer, &other, sizeof(other));
	assert_int_equal(xl_drops_u64(o.ch.owed), 300000);
	assert_true(o.ch.has_account);
	assert_int_equal(o.create_n, 2);

	/* The retry opens the channel to that address, for what is owed. */
	o.ch.retry_at = 0;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_chan_out_put(alice.store, &o, &err), XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	tick(&alice);
	in = &alice.intents[alice.nintents - 1];
	assert_string_equal(in->intent, "create:b:3");
	build_intent(in, 9, &tx);
	assert_memory_equal(&tx.destination, &other, sizeof(other));
	assert_int_equal(xl_drops_u64(tx.amount), 10000000);
}

/* ---- the ledger time a claim is checked with -------------------------- */

/* Bob holds alice's first claim on her channel (id, hex); the channel's
 * view says alice's owner close set Expiration at (closing) or none. */
static void bob_holds_claim(uint8_t id[CR_CHANNEL_ID_BYTES], char hex[65],
			    uint32_t expiration)
{
	char *reply;

	open_link(id, hex, "2000000");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 1);
	if (!expiration)
		return;
	(void)deliver(&bob, "a", last_msg(&alice, "channel_update")->body,
		      &reply);
	free(reply);
	assert_int_equal(
	    answer(&bob, hex, XU_OK,
		   view_at(++ledger_now, "10000000", "0", expiration)),
	    1);
}

/* docs/risks.md#stale-ledger-time-after-a-restart-or-an-outage: bob is cut
 * off from rippled while alice's owner close runs out; at reconnection
 * the resync's ledger is past the Expiration, and a claim arriving before
 * the next ledgerClosed is refused, not credited with the ledger time
 * from before the outage. */
static void test_paychan_claim_after_outage_expired(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *reply;
	uint32_t expiration = g_ledger_time + 7 * 24 * 3600;

	(void)state;
	bob_holds_claim(id, hex, expiration);
	/* Eight days without rippled, then a resync past the Expiration. */
	bob.mono_off_ms += INT64_C(8) * 24 * 3600 * 1000;
	g_ledger_time = expiration + 24 * 3600;
	ready(&bob);
	settle(&alice, "b", "k2", "1000000");
	assert_int_equal(carry(&alice,
			       msg_index(&alice, last_msg(&alice, "claim")),
			       &bob, "a", &reply),
			 201);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "\"accepted\":false"));
	assert_non_null(strstr(reply, "closing"));
	free(reply);
	assert_int_equal(bob.ncredits, 1);
}

/* Same doc: while rippled has said nothing for longer than the ledger
 * time stays fresh, a claim gets a retryable answer (503) and nothing is
 * credited; once a ledger comes, the retry is accepted. */
static void test_paychan_claim_ledger_stale(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	json_t *lc;

	(void)state;
	bob_holds_claim(id, hex, 0);
	bob.mono_off_ms += 10 * 60 * 1000; /* ten minutes without a ledger */
	settle(&alice, "b", "k2", "1000000");
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(bob.ncredits, 1);
	lc = json_pack("{s:s,s:i,s:i}", "type", "ledgerClosed", "ledger_index",
		       (json_int_t)++ledger_now, "ledger_time",
		       (json_int_t)g_ledger_time + 600);
	bob.listener.on_ledger(bob.listener.arg, ledger_now, lc);
	json_decref(lc);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 2);
	assert_int_equal(xl_drops_u64(bob.credits[1].drops), 1000000);
}

/* docs/risks.md#crediting-on-a-stale-or-unvalidated-view: a claim within
 * the Amount of bob's view is credited on that view only while it is
 * younger than three polls; after that bob asks the ledger again and the
 * peer gets a retryable answer (simulation seed 206: a claim credited on
 * a channel deleted since the view). */
static void test_paychan_claim_view_too_old(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65];
	size_t n;

	(void)state;
	bob_holds_claim(id, hex, 0);
	/* A young view: the next claim within the Amount is taken. */
	settle(&alice, "b", "k2", "1000000");
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 2);
	/* Four polls later (the clock of the ledger moves along). */
	bob.wall_off_ms += 4 * INT64_C(3600000);
	settle(&alice, "b", "k3", "1000000");
	n = bob.nreqs;
	assert_int_equal(carry_last_claim(), 503);
	assert_int_equal(bob.ncredits, 2);
	tick(&bob);
	assert_true(bob.nreqs > n);
	assert_true(answer_lookups(&bob, hex, "10000000", "0") >= 1);
	assert_int_equal(carry_last_claim(), 201);
	assert_int_equal(bob.ncredits, 3);
}

/* ---- outcomes of an old channel --------------------------------------- */

/* Alice's top-up of channel x (intent fund, "fund:<x>:1") is in flight
 * when a lagging server says x is gone; her next settlement opens y. */
static void fund_then_next_channel(uint8_t x[CR_CHANNEL_ID_BYTES],
				   uint8_t y[CR_CHANNEL_ID_BYTES],
				   char xhex[65], char fund[XL_INTENT_MAX])
{
	struct eng_chan_out o;

	open_link(x, xhex, "6000000"); /* 4 XRP left of 10: a top-up */
	assert_int_equal(carry_last_claim(), 201); /* acknowledged */
	snprintf(fund, XL_INTENT_MAX, "fund:%s:1", xhex);
	assert_string_equal(alice.intents[alice.nintents - 1].intent, fund);
	assert_true(out_of(&alice, "b").ch.fund_inflight);
	tick(&alice);
	channel_gone(&alice, xhex);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_CLOSED);
	settle(&alice, "b", "k2", "1000000");
	assert_false(out_of(&alice, "b").ch.fund_inflight);
	create_lands_seq(y, "create:b:2", 8);
	o = out_of(&alice, "b");
	assert_int_equal(o.ch.state, PC_OUT_OPEN);
	assert_memory_equal(o.ch.id, y, CR_CHANNEL_ID_BYTES);
}

/* The top-up of x lands (tesSUCCESS, x's Amount 20 XRP in its metadata);
 * alice's record stays on y (10 XRP, in state st, a fund in flight or
 * not as it was).  Returns the record. */
static struct eng_chan_out old_fund_lands(const char *xhex, const char *fund,
					  const uint8_t y[CR_CHANNEL_ID_BYTES],
					  enum pc_out_state st, bool inflight)
{
	json_t *meta = claim_meta("ModifiedNode", xhex, "0", NULL);
	json_t *node = json_object_get(
	    json_array_get(json_object_get(meta, "AffectedNodes"), 0),
	    "ModifiedNode");
	struct eng_chan_out o;

	json_object_set_new(json_object_get(node, "FinalFields"), "Amount",
			    json_string("20000000"));
	tx_lands(&alice, fund, meta);
	json_decref(meta);
	o = out_of(&alice, "b");
	assert_memory_equal(o.ch.id, y, CR_CHANNEL_ID_BYTES);
	assert_int_equal(o.ch.state, st);
	assert_int_equal(o.ch.fund_inflight, inflight);
	assert_int_equal(xl_drops_u64(o.ch.amount), 10000000);
	return o;
}

/* docs/risks.md#fund-outcome-applied-to-the-next-channel: the old top-up's
 * outcome lands on the record now on y: y keeps its 10 XRP, no fund is in
 * flight on it, and no claim on y goes above 10 XRP. */
static void test_paychan_fund_outcome_old_channel(void **state)
{
	uint8_t x[CR_CHANNEL_ID_BYTES], y[CR_CHANNEL_ID_BYTES];
	char xhex[65], fund[XL_INTENT_MAX];
	struct eng_chan_out o;

	(void)state;
	fund_then_next_channel(x, y, xhex, fund);
	(void)old_fund_lands(xhex, fund, y, PC_OUT_OPEN, false);
	settle(&alice, "b", "k3", "9500000");
	o = out_of(&alice, "b");
	assert_true(xl_drops_u64(o.claim_amount) <= 10000000);
	assert_true(xl_drops_u64(o.ch.signed_total) <= 10000000);
}

/* Same doc: the outcome is matched by channel id, not by the counters.  A
 * record on y whose fund flag and counter equal x's top-up (as a store
 * written before new channels started with no fund in flight holds them)
 * takes nothing from x's outcome: not its Amount, not its flag. */
static void test_paychan_fund_outcome_matched_by_channel(void **state)
{
	uint8_t x[CR_CHANNEL_ID_BYTES], y[CR_CHANNEL_ID_BYTES];
	char xhex[65], fund[XL_INTENT_MAX];
	struct eng_chan_out o;
	struct xu_err err;

	(void)state;
	fund_then_next_channel(x, y, xhex, fund);
	o = out_of(&alice, "b");
	o.ch.state = PC_OUT_FUNDING;
	o.ch.fund_inflight = true;
	o.fund_n = 1;
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_chan_out_put(alice.store, &o, &err), XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	(void)old_fund_lands(xhex, fund, y, PC_OUT_FUNDING, true);
}

/* ---- our key ----------------------------------------------------------- */

/* docs/risks.md#our-channel-with-another-key: a claim that does not verify
 * with the key we sign with (here a key pair whose public half is not its
 * secret's) never leaves. */
static void test_paychan_claim_self_verified(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct cr_pubkey ours = alice.kp.pub;

	(void)state;
	pair();
	alice.kp.pub = bob.kp.pub;
	settle(&alice, "b", "k1", "1000000");
	create_lands(id);
	alice.kp.pub = ours;
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);
	assert_null(last_msg(&alice, "claim"));
}

/* Same doc: a validated view of alice's channel whose PublicKey is not
 * her key: alert, closed as owner, and nothing more is signed on it. */
static void test_paychan_channel_key_not_ours(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], pk[67], want[XL_INTENT_MAX];
	struct eng_paychan_stats st0, st;
	json_t *view;
	size_t from;

	(void)state;
	open_link(id, hex, "1000000");
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);
	eng_paychan_stats(alice.pc, &st0);
	xu_hex_encode(pk, sizeof(pk), bob.kp.pub.b, CR_PUBKEY_BYTES);
	view = view_at(++ledger_now, "10000000", "0", 0);
	json_object_set_new(
	    json_object_get(json_object_get(view, "result"), "node"),
	    "PublicKey", json_string(pk));
	assert_true(answer(&alice, hex, XU_OK, view) >= 1);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_CLOSING);
	snprintf(want, sizeof(want), "close:%s:1", hex);
	assert_string_equal(alice.intents[alice.nintents - 1].intent, want);
	from = alice.nmsgs;
	settle(&alice, "b", "k2", "1000000");
	tick(&alice);
	assert_false(claim_on_since(&alice, from, id));
	eng_paychan_stats(alice.pc, &st);
	assert_int_equal(st.claims_signed, st0.claims_signed);
	assert_true(st.alerts > st0.alerts);
}

/* ---- the deadline fee cap --------------------------------------------- */

/* Bob holds alice's claim when her owner close shows an Expiration
 * expires_in seconds after the ledger time: he redeems at once, ahead of
 * the queue; with the deadline fee cap (deadline) only when the
 * Expiration is within the close margin (7 days x 10%: 60480 s). */
static void redeem_flags(uint32_t expires_in, bool deadline)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], want[XL_INTENT_MAX];
	struct intent *in;

	bob_holds_claim(id, hex, g_ledger_time + expires_in);
	tick(&bob); /* a redeem not near its deadline waits for the fee */
	in = &bob.intents[bob.nintents - 1];
	snprintf(want, sizeof(want), "redeem:%s:1", hex);
	assert_string_equal(in->intent, want);
	assert_true(in->priority);
	assert_int_equal(in->deadline, deadline);
}

/* docs/risks.md#fee-spikes-blocking-deadline-redeems */
static void test_paychan_redeem_deadline_fee(void **state)
{
	(void)state;
	redeem_flags(60480 - 60, true);
}

/* Same doc: a close far away waits out a fee spike under the normal cap. */
static void test_paychan_redeem_no_deadline_fee(void **state)
{
	(void)state;
	redeem_flags(6 * 24 * 3600, false);
}

/* ---- the owed alert ---------------------------------------------------- */

static void tick_alice(void *arg)
{
	(void)arg;
	tick(&alice);
}

static struct eng_paychan_status alice_status(void)
{
	struct eng_paychan_status st;
	struct xu_err err;

	assert_int_equal(eng_paychan_status(alice.pc, &st, &err), XU_OK);
	return st;
}

/* Drops settled with a 201 and not covered by a claim the peer
 * acknowledged: once the oldest waited owed_alert_ms, one BROKEN line
 * names the account and the drops and the status counts the alert (a
 * steady flow of newer settlements that get paid does not age them); one
 * INFO line clears it when the peer acknowledges the claim
 * (docs/design.md#the-owed-alert). */
static void test_paychan_owed_alert(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *log;
	struct eng_paychan_status st;
	struct sent *claim;

	(void)state;
	open_link(id, hex, "1000000");
	tick(&alice);
	st = alice_status();
	assert_int_equal(xl_drops_u64(st.unpaid), 1000000);
	assert_int_equal(st.owed_alerts, 0);

	/* Just under the delay: nothing. */
	alice.mono_off_ms += 299000;
	log = stderr_of(tick_alice, NULL);
	assert_null(strstr(log, "unpaid"));
	free(log);
	assert_int_equal(alice_status().owed_alerts, 0);

	/* Past it: one BROKEN line, once. */
	alice.mono_off_ms += 2000;
	log = stderr_of(tick_alice, NULL);
	assert_non_null(strstr(log, "BROKEN"));
	assert_non_null(strstr(log, "account b: 1000000 drops"));
	free(log);
	st = alice_status();
	assert_int_equal(st.owed_alerts, 1);
	assert_int_equal(xl_drops_u64(st.owed_alert_drops), 1000000);
	assert_true(st.unpaid_oldest_ms >= 300000);
	log = stderr_of(tick_alice, NULL);
	assert_null(strstr(log, "unpaid"));
	free(log);

	/* Bob acknowledges the claim: one INFO line, the alert is gone. */
	claim = last_msg(&alice, "claim");
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	log = stderr_of(tick_alice, NULL);
	assert_non_null(strstr(log, "INFO"));
	assert_non_null(strstr(log, "are paid"));
	free(log);
	st = alice_status();
	assert_int_equal(st.owed_alerts, 0);
	assert_int_equal(xl_drops_u64(st.unpaid), 0);

	/* A new settlement paid within the delay never alerts, even after
	 * a long quiet time before it. */
	alice.mono_off_ms += 3600000;
	settle(&alice, "b", "k2", "500000");
	tick(&alice);
	assert_int_equal(xl_drops_u64(alice_status().unpaid), 500000);
	claim = last_msg(&alice, "claim");
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	alice.mono_off_ms += 301000;
	log = stderr_of(tick_alice, NULL);
	assert_null(strstr(log, "unpaid"));
	free(log);
	assert_int_equal(alice_status().owed_alerts, 0);

	/* Never paid up, yet every drop paid in time: 0.5 XRP waits 200 s,
	 * 0.1 XRP comes, the claim covering the 0.5 XRP is acknowledged;
	 * 200 s later the 0.1 XRP has waited 200 s, not the 400 s since
	 * something was last unpaid: no alert until its own delay. */
	settle(&alice, "b", "k3", "500000");
	tick(&alice);
	alice.mono_off_ms += 200000;
	tick(&alice);
	settle(&alice, "b", "k4", "100000");
	tick(&alice);
	claim = last_msg(&alice, "claim");
	assert_int_equal(xl_drops_u64(msg_of(claim->body).u.claim.amount),
			 2000000);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, claim), &bob, "a", NULL), 201);
	tick(&alice);
	st = alice_status();
	assert_int_equal(xl_drops_u64(st.unpaid), 100000);
	alice.mono_off_ms += 200000;
	log = stderr_of(tick_alice, NULL);
	assert_null(strstr(log, "unpaid"));
	free(log);
	alice.mono_off_ms += 101000;
	log = stderr_of(tick_alice, NULL);
	assert_non_null(strstr(log, "account b: 100000 drops"));
	free(log);
	assert_int_equal(alice_status().owed_alerts, 1);
}

/* After a restart, drops unpaid for an hour alert at the first tick: they
 * came at or before the account's newest settlement on record, not when
 * the new process first saw them. */
static void test_paychan_owed_alert_restart(void **state)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[65], *log;

	(void)state;
	g_settle_unix = virt_wall_ms() / 1000 - 3600;
	open_link(id, hex, "1000000");
	eng_paychan_free(alice.pc);
	start_service(&alice);
	log = stderr_of(tick_alice, NULL);
	assert_non_null(strstr(log, "account b: 1000000 drops"));
	assert_non_null(strstr(log, "waited 3"));
	free(log);
	assert_int_equal(alice_status().owed_alerts, 1);
}

/* Both engines take over the channels Kava's plugin left, as `xrpse
 * import kava` writes them (eng_paychan_adopt_out / _in): alice's
 * channel to bob, signed with the plugin's key for her account "b"
 * (docs/design.md#moving-from-kavas-plugin), on which the plugin signed
 * 3 XRP, which bob's plugin held and credited.  They pair, alice's
 * recovery asks bob for his last claim, and the next settlement is paid
 * on the adopted channel with its own key: no channel is opened, and bob
 * credits only the 1 XRP above the imported claim. */
static void test_paychan_adopted_channels(void **state)
{
	struct cr_keypair chk;
	struct pc_cfg cfg;
	struct pc_view v;
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct xu_err err;
	struct pc_msg m;
	struct sent *ask, *claim;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	char hex[65], *reply;
	bool have;

	(void)state;
	assert_int_equal(cr_kava_channel_keypair(
			     &chk, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb", "b", &err),
			 XU_OK);
	memset(&v, 0, sizeof(v));
	cr_channel_id(v.id, &alice_id, &bob_id, 3);
	xu_hex_encode(hex, sizeof(hex), v.id, CR_CHANNEL_ID_BYTES);
	v.source = alice_id;
	v.dest = bob_id;
	v.amount = d(10000000);
	v.balance = d(0);
	v.settle_delay = 7 * 24 * 3600;
	memcpy(v.pubkey, chk.pub.b, CR_PUBKEY_BYTES);
	v.ledger_index = ++ledger_now;
	assert_int_equal(cr_claim_sign(sig, &siglen, &chk, v.id, 3000000, &err),
			 XU_OK);
	g_chan_pub = chk.pub.b;

	/* The imports, each side's own. */
	pc_cfg_default(&cfg);
	assert_int_equal(eng_store_begin(alice.store, &err), XU_OK);
	assert_int_equal(eng_paychan_adopt_out(
			     alice.store, &cfg, "b", &alice_id, &v, "kava:b",
			     &chk.pub, d(3000000), sig, siglen, &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(alice.store, &err), XU_OK);
	cfg.min_settle_delay = 7 * 24 * 3600;
	assert_int_equal(eng_store_begin(bob.store, &err), XU_OK);
	assert_int_equal(eng_paychan_adopt_in(bob.store, &cfg, "a", &bob_id, &v,
					      g_ledger_time, d(3000000), sig,
					      siglen, &err),
			 XU_OK);
	assert_int_equal(eng_store_commit(bob.store, &err), XU_OK);
	restart(&alice);
	restart(&bob);
	pair();

	/* Recovery: alice asks what bob holds on the adopted channel; his
	 * answer is the plugin's claim, which verifies with its key. */
	tick(&alice);
	ask = last_msg(&alice, "last_claim");
	assert_non_null(ask);
	assert_int_equal(
	    carry(&alice, msg_index(&alice, ask), &bob, "a", &reply), 201);
	m = msg_of(reply);
	free(reply);
	assert_int_equal(xl_drops_u64(m.u.last.amount), 3000000);
	o = out_of(&alice, "b");
	assert_false(o.ch.recovering);
	assert_int_equal(o.ch.state, PC_OUT_OPEN);

	/* A settlement: paid on the adopted channel, with its key. */
	settle(&alice, "b", "k1", "1000000");
	claim = last_msg(&alice, "claim");
	assert_non_null(claim);
	m = msg_of(claim->body);
	assert_memory_equal(m.u.claim.channel, v.id, CR_CHANNEL_ID_BYTES);
	assert_int_equal(xl_drops_u64(m.u.claim.amount), 4000000);
	assert_true(cr_claim_verify(chk.pub.b, CR_PUBKEY_BYTES, v.id, 4000000,
				    m.u.claim.sig, m.u.claim.siglen));
	assert_memory_equal(m.u.claim.pubkey, chk.pub.b, CR_PUBKEY_BYTES);
	(void)answer_lookups(&bob, hex, "10000000", "0");
	if (carry_last_claim() == 503) {
		(void)answer_lookups(&bob, hex, "10000000", "0");
		assert_int_equal(carry_last_claim(), 201);
	}
	assert_int_equal(bob.ncredits, 1);
	assert_int_equal(xl_drops_u64(bob.credits[0].drops), 1000000);
	assert_int_equal(eng_chan_in_get(bob.store, v.id, &r, &have, &err),
			 XU_OK);
	assert_int_equal(xl_drops_u64(r.ch.best), 4000000);
	/* Alice's view of her channel (its own key) keeps it open. */
	tick(&alice);
	(void)answer_lookups(&alice, hex, "10000000", "0");
	tick(&alice);
	assert_int_equal(out_state(&alice, "b"), PC_OUT_OPEN);
	assert_int_equal(alice.nintents, 0); /* no channel opened */
	cr_keypair_clear(&chk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_paychan_pay_and_get_paid,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_latency_stages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claims_coalesce, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_payee_restored, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_retry, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_waits_for_room,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_stall_adapts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_stall, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_resend_and_close,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_last_claim_junk_backoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_last_claim, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_view_too_old,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_last_claim_final_freezes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_final_without_record,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_hello_without_sent_ms,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_unknown_id_flood,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_claim_lookup_not_behind_polls, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_claim_on_stale_record_not_behind_polls, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_restore_owed_in_store,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_delete_during_redeem,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_operator_redeem_and_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_operator_force_close,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_gone_unacked_owed_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_recreate_pays_again,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_recreate_while_opening,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_hello_new_address,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_peer_names_our_channel,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_lagging_ledger, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_lagging_view_not_fresh,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_resync_pages_fresh,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_pruned_never_relinked,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_deleted_unpaid,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_deleted_paid,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_fund_deleted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_sync_outcomes_in_flush,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_sync_outcome_rolled_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_builds_counted_across_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_requeued_redeem_better_claim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_late_reply_new_channel,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_restart_clears_in_timers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_tick_reads_only_due,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_writer_due, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_writer_due_resend,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_tick_slices, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_idle_not_read,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_idle_sweep,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_redeem_waits_next_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_fee_drop, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_tx_inflight, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_poll_pages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_unchanged_view_not_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_poll_round_stretches,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_poll_views_one_commit,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_polls_spread, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_tx_looks_up_touched,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_claim_after_outage_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_ledger_stale,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_fund_outcome_old_channel, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_fund_outcome_matched_by_channel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_claim_self_verified,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_channel_key_not_ours,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_deadline_fee,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_redeem_no_deadline_fee,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_owed_alert, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_adopted_channels,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paychan_owed_alert_restart,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_ended_question_backs_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_paychan_redeem_deleting_closes_record, setup, teardown),
	};
	g_mono0_ms = eng_mono_ms();
	g_wall0_ms = eng_wall_ms();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
