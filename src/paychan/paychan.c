/* The daemon's payment-channel service (see paychan.h): runs the channel
 * core's events against the records in the store and carries out their
 * effects.
 *
 * Transactions.  Every event is applied to a record loaded from the store
 * and written back, together with the outbox rows its effects produced,
 * in one store transaction: the API's batch transaction for the hooks and
 * the message handlers, a transaction of our own for the cron, ledger
 * replies, transaction outcomes and message replies.  Effects that reach
 * outside the database (a transaction for the submission queue, a rippled
 * request) are kept in memory until that transaction commits, and dropped
 * when it rolls back; the records say what is in flight, so the cron
 * re-queues anything a crash lost (intents are deterministic, and the
 * queue follows an intent its journal already holds instead of building
 * it again).
 *
 * In-memory state (rebuilt after a restart): the builders handed to the
 * submission queue, the ledger lookups and when each channel was last
 * seen, the latest ledger (close time, fee, reserves, our balance), and
 * per account the last claim sent, whether one is with the outbox
 * unanswered (claims are in-memory outbox messages made from the record
 * after each commit: see send_claim) and the best amount the peer
 * acknowledged (a claim the peer did not acknowledge is sent again after
 * claim_resend_ms; a lost acknowledgement costs one repeat, never money).
 */
#include "src/paychan/paychan.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channel/msg.h"
#include "crypto/hash.h"
#include "ledger/net/rippled.h"
#include "ledger/tx.h"
#include "src/io/clock.h"
#include "src/io/msgs.h"
#include "src/outbox/outbox.h"
#include "src/store/chanstore.h"
#include "src/store/store.h"
#include "src/util/hex.h"
#include "src/util/log.h"

#define SUB "paychan"
#define HELLO_RETRY_MAX_MS 60000
#define HELLO_PENDING INT64_MAX /* a hello is with the outbox */
#define ASK_PENDING INT64_MAX	/* a last_claim is with the outbox */
#define MAX_DUE_HELLOS 32
#define LOOKUP_TIMEOUT_MS 10000
/* Longest settle delay a peer's hello can make us use: 30 days. */
#define PEER_SETTLE_DELAY_CAP (30u * 24 * 3600)
#define LOOKUP_FORGET_MS (10 * 60 * 1000)
#define HEXID (2 * CR_CHANNEL_ID_BYTES + 1)

/* B_DCLOSE: a destination's tfClose without a claim, closing a peer's
 * channel we are done with (nothing left to redeem) at once. */
enum build_kind { B_CREATE, B_FUND, B_CLOSE, B_REDEEM, B_DCLOSE };

/* A transaction handed (or about to be handed) to the submission queue:
 * the builder's argument, alive until the intent's outcome. */
struct build {
	struct build *next;
	struct eng_paychan *pc;
	enum build_kind kind;
	bool queued; /* given to xl_submit_enqueue (else: awaiting commit) */
	char intent[XL_INTENT_MAX];
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	uint32_t n; /* the record's counter this intent carries */
	uint8_t channel[CR_CHANNEL_ID_BYTES];
	struct cr_account_id dest;
	struct xl_drops amount;
	uint32_t settle_delay;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	uint8_t pubkey[CR_PUBKEY_BYTES];
	bool close;
	bool priority; /* jumps the queue: a redeem racing an Expiration */
};

/* A channel the service watches or looks up. */
struct lookup {
	struct lookup *next;
	struct eng_paychan *pc;
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char account[ENG_STORE_ACCOUNT_MAX + 1]; /* who asked (incoming) */
	bool incoming;
	bool wanted;	 /* a request should go out */
	bool inflight;	 /* a request is out */
	bool found;	 /* the last answer showed the channel */
	int64_t seen_ms; /* when the last answer came (0: never) */
};

/* Per account, in memory. */
struct acct {
	struct acct *next;
	char account[ENG_STORE_ACCOUNT_MAX + 1];
	int64_t claim_sent_ms; /* last claim message enqueued */
	/* Claims (see send_claim): claim_new, made in the open
	 * transaction; claim_due, committed and not yet sent; claim_out,
	 * one is with the outbox, unanswered. */
	bool claim_new, claim_due, claim_out;
	uint8_t claim_channel[CR_CHANNEL_ID_BYTES]; /* of the last one sent */
	bool claim_resend_new, claim_resend;	    /* ... and it is a resend */
	struct xl_drops peer_best; /* best the peer acknowledged */
	/* last_claim: 0 not asked in this process, ASK_PENDING with the
	 * outbox, else when the last unusable answer came. */
	int64_t ask_ms;
	/* When this process first saw the channel recovering (0: not
	 * recovering), and whether the operator was told it lasts. */
	int64_t recover_since_ms;
	bool recover_alerted;
};

struct eng_paychan {
	struct xl_rippled *rippled; /* NULL: no ledger */
	struct eng_store *st;
	struct eng_outbox *ob;
	const struct cr_keypair *kp;
	struct cr_account_id self;
	char address[CR_ADDRESS_STRLEN];
	struct eng_paychan_cfg cfg;
	struct build *builds;
	struct lookup *lookups;
	struct acct *accts;
	bool claims_new; /* some acct has claim_new */
	bool enqueued;	 /* outbox rows written: tick the outbox after commit */
	/* The latest validated ledger. */
	uint32_t ledger_time;
	struct xl_drops fee, reserve_base, reserve_inc;
	bool have_acct;
	struct xl_drops balance;
	uint32_t owner_count;
	bool acct_dirty, acct_inflight, want_acct;
	int64_t last_tick_ms, last_poll_ms;
	bool requeued;	      /* in-flight intents re-queued after start */
	bool missing_checked; /* every open account has a pairing record */
	/* Accounts settled in the open batch, paid at its end. */
	char (*dirty)[ENG_STORE_ACCOUNT_MAX + 1];
	size_t ndirty, capdirty;
	struct eng_paychan_stats stats;
};

/* ---- small helpers ---------------------------------------------------- */

static struct pc_clock clock_now(const struct eng_paychan *pc)
{
	struct pc_clock c = {.now = (uint64_t)(eng_mono_ms() / 1000),
			     .ledger_time = pc->ledger_time};

	return c;
}

static void hexid(char out[HEXID], const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	xu_hex_encode(out, HEXID, id, CR_CHANNEL_ID_BYTES);
}

static unsigned long long u(struct xl_drops d)
{
	return (unsigned long long)xl_drops_u64(d);
}

static struct acct *acct_of(struct eng_paychan *pc, const char *account)
{
	struct acct *a;

	for (a = pc->accts; a; a = a->next)
		if (!strcmp(a->account, account))
			return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->account, sizeof(a->account), "%s", account);
	a->peer_best = xl_drops_zero();
	a->next = pc->accts;
	pc->accts = a;
	return a;
}

/* The intent's key for an account: the account id itself when it fits,
 * else a hash of it (intents are at most XL_INTENT_MAX - 1 bytes). */
static void intent_account(char *out, size_t cap, const char *account)
{
	if (strlen(account) <= 64) {
		snprintf(out, cap, "%s", account);
		return;
	}
	uint8_t h[CR_SHA512HALF_BYTES];
	char hex[2 * 16 + 1];

	cr_sha512half(h, (const uint8_t *)account, strlen(account));
	xu_hex_encode(hex, sizeof(hex), h, 16);
	snprintf(out, cap, "h%s", hex);
}

static void log_alert(const char *account, const struct pc_effect *fx)
{
	char id[HEXID];

	hexid(id, fx->channel);
	if (fx->alert == PC_ALERT_CREDITS_LOST)
		xu_broken(SUB,
			  "%s: ALERT credits_lost channel %s: the peer says we "
			  "acknowledged %llu drops more than our store holds "
			  "(restored from a backup?); they were credited "
			  "before and are not credited again",
			  account, id, u(fx->amount));
	else if (fx->alert == PC_ALERT_LOST_UNREDEEMED ||
		 fx->alert == PC_ALERT_LEDGER_MISMATCH)
		xu_broken(SUB, "%s: ALERT %s channel %s amount %llu", account,
			  pc_alert_name(fx->alert), id, u(fx->amount));
	else
		xu_unusual(SUB, "%s: alert %s channel %s amount %llu", account,
			   pc_alert_name(fx->alert), id, u(fx->amount));
}

/* ---- messages to the peer --------------------------------------------- */

static enum xu_code send_msg(struct eng_paychan *pc, const char *account,
			     const struct pc_msg *m, const char *tag,
			     struct xu_err *err)
{
	char buf[PC_MSG_MAX_BYTES];
	size_t len;
	enum xu_code rc;

	rc = pc_msg_encode(m, buf, sizeof(buf), &len, err);
	if (rc != XU_OK)
		return xu_fail(err, XU_EINTERNAL, 0, "encoding %s: %s", tag,
			       err ? err->msg : "");
	rc = eng_outbox_enqueue_message(pc->st, account, buf, len, tag, NULL,
					err);
	if (rc == XU_OK)
		pc->enqueued = true;
	return rc;
}

static void hello_of(struct eng_paychan *pc, struct pc_msg *m,
		     enum pc_msg_type type, const struct eng_chan_out *o)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->u.hello.address = pc->self;
	m->u.hello.key_type = pc->kp->type;
	m->u.hello.min_settle_delay = pc->cfg.pc.min_settle_delay;
	if (o && o->ch.has_id) {
		m->u.hello.has_channel = true;
		memcpy(m->u.hello.channel, o->ch.id, CR_CHANNEL_ID_BYTES);
	}
}

/* Claims travel as the outbox's in-memory latest-wins messages, never as
 * rows: the record's claim_amount, committed with the settlements it pays,
 * is the intent; the message is made from it after the commit, signed
 * then (claim signatures are deterministic: signing late or twice gives
 * the same bytes), at most one per account with the outbox at a time.
 * While one is unanswered, newer settlements only raise the record's
 * amount, and the answer sends one claim carrying them all: under load,
 * one claim per round trip, and the claims nobody would see are never
 * signed.  A crash loses nothing: a restart sends the record's claim
 * (after asking the peer what it holds), and an unacknowledged claim is
 * sent again after claim_resend_ms. */

/* In the open transaction: the record's claim is to be sent once it
 * commits (after_commit; dropped with a rollback). */
static void claim_after_commit(struct eng_paychan *pc, const char *account,
			       bool resend)
{
	struct acct *a = acct_of(pc, account);

	if (a) {
		a->claim_new = true;
		a->claim_resend_new |= resend;
		pc->claims_new = true;
	}
}

/* PC_FX_SIGN_AND_SEND_CLAIM: o->claim_amount is new, its signature is
 * made when it is sent. */
static void new_claim(struct eng_paychan *pc, struct eng_chan_out *o)
{
	o->claim_siglen = 0;
	memset(o->claim_sig, 0, sizeof(o->claim_sig));
	claim_after_commit(pc, o->account, false);
}

/* Outside any transaction: hands account's committed claim to the outbox
 * (signed first when the record holds no signature). */
static void send_claim(struct eng_paychan *pc, struct acct *a)
{
	struct eng_chan_out o;
	struct pc_msg m;
	struct xu_err err = {0};
	char buf[PC_MSG_MAX_BYTES];
	size_t len;
	bool have;

	a->claim_due = false;
	a->claim_resend = false;
	if (eng_chan_out_get(pc->st, a->account, &o, &have, &err) != XU_OK) {
		xu_broken(SUB, "%s: reading its claim: %s", a->account,
			  err.msg);
		return;
	}
	if (!have || !o.ch.has_id || xl_drops_is_zero(o.claim_amount))
		return;
	if (o.claim_siglen == 0) {
		if (cr_claim_sign(o.claim_sig, &o.claim_siglen, pc->kp, o.ch.id,
				  xl_drops_u64(o.claim_amount),
				  &err) != XU_OK) {
			xu_broken(SUB, "%s: signing a claim: %s", a->account,
				  err.msg);
			return;
		}
		pc->stats.claims_signed++;
	}
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM;
	memcpy(m.u.claim.channel, o.ch.id, CR_CHANNEL_ID_BYTES);
	m.u.claim.amount = o.claim_amount;
	memcpy(m.u.claim.sig, o.claim_sig, o.claim_siglen);
	m.u.claim.siglen = o.claim_siglen;
	m.u.claim.has_pubkey = true;
	memcpy(m.u.claim.pubkey, pc->kp->pub.b, CR_PUBKEY_BYTES);
	/* What the peer acknowledged: a peer whose store lost claims it had
	 * credited learns not to credit them again. */
	m.u.claim.acked = xl_drops_min(
	    xl_drops_cmp(a->peer_best, o.peer_best) > 0 ? a->peer_best
							: o.peer_best,
	    o.claim_amount);
	if (pc_msg_encode(&m, buf, sizeof(buf), &len, &err) != XU_OK ||
	    eng_outbox_send_latest(pc->ob, a->account, buf, len, &err) !=
		XU_OK) {
		xu_broken(SUB, "%s: queuing a claim: %s", a->account, err.msg);
		return;
	}
	a->claim_sent_ms = eng_wall_ms();
	a->claim_out = true;
	memcpy(a->claim_channel, o.ch.id, CR_CHANNEL_ID_BYTES);
	pc->enqueued = true;
}

/* After a commit: the claims it made due go, unless an earlier one of
 * the account is still unanswered (then on_claim_answer sends them). */
static void send_due_claims(struct eng_paychan *pc)
{
	int64_t now = eng_wall_ms();

	for (struct acct *a = pc->accts; a; a = a->next) {
		if (pc->claims_new && a->claim_new) {
			a->claim_new = false;
			a->claim_due = true;
			a->claim_resend |= a->claim_resend_new;
			a->claim_resend_new = false;
		}
		/* A resend (claim_resend_ms without an acknowledgement) goes
		 * even with one outstanding, and so does a claim behind one
		 * unanswered for claim_stall_ms (a connector that does not
		 * answer): the outbox sends it when that one ends, or beside
		 * it once it stalls. */
		if (a->claim_due && (!a->claim_out || a->claim_resend ||
				     (pc->cfg.claim_stall_ms &&
				      now - a->claim_sent_ms >=
					  (int64_t)pc->cfg.claim_stall_ms)))
			send_claim(pc, a);
	}
	pc->claims_new = false;
}

/* A rollback: the claims of the transaction were never committed. */
static void drop_new_claims(struct eng_paychan *pc)
{
	if (!pc->claims_new)
		return;
	for (struct acct *a = pc->accts; a; a = a->next)
		a->claim_new = a->claim_resend_new = false;
	pc->claims_new = false;
}

static enum xu_code send_channel_msg(struct eng_paychan *pc,
				     const char *account, enum pc_msg_type t,
				     const uint8_t id[CR_CHANNEL_ID_BYTES],
				     struct xu_err *err)
{
	struct pc_msg m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	memcpy(m.u.channel, id, CR_CHANNEL_ID_BYTES);
	return send_msg(pc, account, &m, pc_msg_type_name(t), err);
}

/* Asks the peer which claim of ours on the channel it holds (recovery,
 * channel.h), unless a question is already with the outbox. */
static enum xu_code send_last_claim(struct eng_paychan *pc,
				    const struct eng_chan_out *o,
				    struct xu_err *err)
{
	struct acct *a = acct_of(pc, o->account);
	char id[HEXID];
	enum xu_code rc;

	if (a && a->ask_ms == ASK_PENDING)
		return XU_OK;
	rc = send_channel_msg(pc, o->account, PC_MSG_LAST_CLAIM, o->ch.id, err);
	if (rc != XU_OK)
		return rc;
	if (a)
		a->ask_ms = ASK_PENDING;
	hexid(id, o->ch.id);
	xu_info(SUB,
		"%s: asking the peer for its last claim on channel %s "
		"(ours: %llu drops); no claim is signed until it answers",
		o->account, id, u(o->ch.signed_total));
	return XU_OK;
}

/* ---- builds (transactions for the submission queue) --------------------*/

static struct build *build_find(struct eng_paychan *pc, const char *intent)
{
	for (struct build *b = pc->builds; b; b = b->next)
		if (!strcmp(b->intent, intent))
			return b;
	return NULL;
}

static void build_unlink(struct eng_paychan *pc, struct build *b)
{
	for (struct build **p = &pc->builds; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			free(b);
			return;
		}
}

/* Adds a build awaiting commit; NULL when out of memory or a build with
 * that intent exists (then nothing is added). */
static struct build *build_add(struct eng_paychan *pc, enum build_kind k,
			       const char *account, uint32_t n,
			       const uint8_t *channel)
{
	struct build *b;
	char key[80];
	char id[HEXID];

	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->pc = pc;
	b->kind = k;
	b->n = n;
	snprintf(b->account, sizeof(b->account), "%s", account);
	if (channel) {
		memcpy(b->channel, channel, CR_CHANNEL_ID_BYTES);
		hexid(id, channel);
	}
	switch (k) {
	case B_CREATE:
		intent_account(key, sizeof(key), account);
		snprintf(b->intent, sizeof(b->intent), "create:%s:%" PRIu32,
			 key, n);
		break;
	case B_FUND:
		snprintf(b->intent, sizeof(b->intent), "fund:%s:%" PRIu32, id,
			 n);
		break;
	case B_CLOSE:
		snprintf(b->intent, sizeof(b->intent), "close:%s:%" PRIu32, id,
			 n);
		break;
	case B_REDEEM:
		snprintf(b->intent, sizeof(b->intent), "redeem:%s:%" PRIu32, id,
			 n);
		break;
	case B_DCLOSE:
		snprintf(b->intent, sizeof(b->intent), "dclose:%s:%" PRIu32, id,
			 n);
		break;
	}
	if (build_find(pc, b->intent)) {
		free(b);
		return NULL;
	}
	b->next = pc->builds;
	pc->builds = b;
	return b;
}

static enum xu_code build_fn(void *arg, struct xl_tx *tx,
			     const struct xl_tx_common *c, struct xu_err *err)
{
	struct build *b = arg;
	struct cr_pubkey pk;

	switch (b->kind) {
	case B_CREATE:
		return xl_tx_paychan_create(tx, c, &b->dest, b->amount,
					    b->settle_delay, &b->pc->kp->pub,
					    NULL, NULL, err);
	case B_FUND:
		return xl_tx_paychan_fund(tx, c, b->channel, b->amount, NULL,
					  err);
	case B_CLOSE:
	case B_DCLOSE:
		return xl_tx_paychan_claim(tx, c, b->channel, NULL, NULL, NULL,
					   0, NULL, XL_TF_CLOSE, err);
	case B_REDEEM:
		memcpy(pk.b, b->pubkey, CR_PUBKEY_BYTES);
		return xl_tx_paychan_claim(tx, c, b->channel, &b->amount,
					   &b->amount, b->sig, b->siglen, &pk,
					   b->close ? XL_TF_CLOSE : 0, err);
	}
	return xu_fail(err, XU_EINTERNAL, 0, "bad build kind");
}

static struct xl_submit *submitq(struct eng_paychan *pc)
{
	struct xl_rippled *r = pc->rippled;

	return r ? xl_rippled_submit(r) : NULL;
}

/* Hands every build awaiting commit to the queue. */
static void builds_flush(struct eng_paychan *pc)
{
	struct xl_submit *q = submitq(pc);
	struct build *b, *next;
	struct xu_err err;

	for (b = pc->builds; b; b = next) {
		next = b->next;
		if (b->queued)
			continue;
		if (!q) {
			xu_broken(SUB, "no submission queue for %s", b->intent);
			build_unlink(pc, b);
			continue;
		}
		b->queued = true;
		enum xu_code rc = xl_submit_enqueue(q, b->intent, b->priority,
						    build_fn, b, &err);
		if (rc == XU_OK) {
			pc->stats.txs_submitted++;
			xu_info(SUB, "%s: queued %s", b->account, b->intent);
			continue;
		}
		if (rc != XU_EEXIST)
			xu_broken(SUB, "%s: cannot queue %s: %s", b->account,
				  b->intent, err.msg);
		build_unlink(pc, b);
	}
}

/* Drops builds that never reached the queue (their transaction rolled
 * back). */
static void builds_drop_unqueued(struct eng_paychan *pc)
{
	struct build *b, *next;

	for (b = pc->builds; b; b = next) {
		next = b->next;
		if (!b->queued)
			build_unlink(pc, b);
	}
}

/* ---- lookups (ledger_entry of a channel) ------------------------------ */

static struct lookup *lookup_of(struct eng_paychan *pc,
				const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	for (struct lookup *l = pc->lookups; l; l = l->next)
		if (!memcmp(l->id, id, CR_CHANNEL_ID_BYTES))
			return l;
	return NULL;
}

/* Asks for a look at channel id (sent outside transactions). */
static struct lookup *lookup_want(struct eng_paychan *pc,
				  const uint8_t id[CR_CHANNEL_ID_BYTES],
				  const char *account, bool incoming)
{
	struct lookup *l = lookup_of(pc, id);

	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->pc = pc;
		memcpy(l->id, id, CR_CHANNEL_ID_BYTES);
		l->next = pc->lookups;
		pc->lookups = l;
	}
	if (account && (!l->account[0] || incoming)) {
		snprintf(l->account, sizeof(l->account), "%s", account);
		l->incoming = incoming;
	}
	l->wanted = true;
	return l;
}

/* Reads a PayChannel ledger object into *v; false when malformed. */
static bool view_from_json(struct pc_view *v, json_t *node,
			   const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	const char *src = xl_json_str(node, "Account");
	const char *dst = xl_json_str(node, "Destination");
	const char *pk = xl_json_str(node, "PublicKey");
	uint64_t amount, balance = 0;

	memset(v, 0, sizeof(*v));
	memcpy(v->id, id, CR_CHANNEL_ID_BYTES);
	if (!src || !dst || !pk ||
	    cr_address_decode(&v->source, src, NULL) != XU_OK ||
	    cr_address_decode(&v->dest, dst, NULL) != XU_OK ||
	    xu_hex_decode_exact(v->pubkey, CR_PUBKEY_BYTES, pk, NULL) !=
		XU_OK ||
	    !xl_json_u64(node, "Amount", &amount) ||
	    !xl_json_u32(node, "SettleDelay", &v->settle_delay))
		return false;
	if (json_object_get(node, "Balance") &&
	    !xl_json_u64(node, "Balance", &balance))
		return false;
	if (!xl_drops_from_u64(&v->amount, amount) ||
	    !xl_drops_from_u64(&v->balance, balance))
		return false;
	if (json_object_get(node, "Expiration")) {
		if (!xl_json_u32(node, "Expiration", &v->expiration))
			return false;
		v->has_expiration = true;
	}
	if (json_object_get(node, "CancelAfter")) {
		if (!xl_json_u32(node, "CancelAfter", &v->cancel_after))
			return false;
		v->has_cancel_after = true;
	}
	return true;
}

static enum xu_code out_event(struct eng_paychan *pc, struct eng_chan_out *o,
			      const struct pc_event *ev, struct xu_err *err);
static enum xu_code in_event(struct eng_paychan *pc, struct eng_chan_in *r,
			     const struct pc_event *ev, enum pc_reject *why,
			     struct xu_err *err);
static void after_commit(struct eng_paychan *pc);

static enum xu_code tx_begin(struct eng_paychan *pc, struct xu_err *err)
{
	if (eng_store_in_tx(pc->st))
		return xu_fail(err, XU_EINTERNAL, 0,
			       "paychan: a transaction is already open");
	return eng_store_begin(pc->st, err);
}

/* Commits (or rolls back on rc != XU_OK) our own transaction and runs or
 * drops the deferred work. */
static void tx_end(struct eng_paychan *pc, enum xu_code rc, struct xu_err *err,
		   const char *what)
{
	if (rc == XU_OK)
		rc = eng_store_commit(pc->st, err);
	if (rc != XU_OK) {
		eng_store_rollback(pc->st);
		builds_drop_unqueued(pc);
		drop_new_claims(pc);
		pc->enqueued = false;
		xu_broken(SUB, "%s failed, rolled back: %s", what, err->msg);
		return;
	}
	after_commit(pc);
}

/* Applies a validated view (or its absence) to the record it concerns. */
static enum xu_code apply_view(struct eng_paychan *pc, struct lookup *l,
			       bool found, const struct pc_view *v,
			       struct xu_err *err)
{
	struct pc_event ev;
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct eng_chan_peer peer;
	bool have;
	enum xu_code rc;

	memset(&ev, 0, sizeof(ev));
	ev.clk = clock_now(pc);
	if (found) {
		ev.kind = PC_EV_LEDGER;
		ev.u.view = *v;
	} else {
		ev.kind = PC_EV_GONE;
	}
	/* Ours (outgoing)? */
	if (!l->incoming && l->account[0]) {
		rc = eng_chan_out_get(pc->st, l->account, &o, &have, err);
		if (rc != XU_OK)
			return rc;
		if (have && o.ch.has_id &&
		    !memcmp(o.ch.id, l->id, CR_CHANNEL_ID_BYTES))
			return out_event(pc, &o, &ev, err);
		return XU_OK;
	}
	rc = eng_chan_in_get(pc->st, l->id, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	if (!have) {
		if (!found || !l->account[0])
			return XU_OK; /* claims will say NO_CHANNEL */
		rc = eng_chan_peer_get(pc->st, l->account, &peer, &have, err);
		if (rc != XU_OK)
			return rc;
		/* Only the peer's channels to us get a record: a claim naming
		 * someone else's channel is refused from the cached view. */
		if (!have || !peer.paired ||
		    memcmp(&v->source, &peer.address, sizeof(v->source)) ||
		    memcmp(&v->dest, &pc->self, sizeof(v->dest)))
			return XU_OK;
		memset(&r, 0, sizeof(r));
		snprintf(r.account, sizeof(r.account), "%s", l->account);
		pc_in_init(&r.ch, &pc->self, &peer.address, l->id);
		xu_info(SUB, "%s: incoming channel linked", l->account);
	}
	return in_event(pc, &r, &ev, NULL, err);
}

static void on_lookup_reply(void *arg, enum xu_code code, json_t *msg,
			    const struct xu_err *rerr)
{
	struct lookup *l = arg;
	struct eng_paychan *pc = l->pc;
	json_t *res = msg ? xl_ws_result(msg) : NULL;
	json_t *node = res ? json_object_get(res, "node") : NULL;
	struct pc_view v;
	struct xu_err err = {0};
	enum xu_code rc;
	char id[HEXID];
	bool found;

	l->inflight = false;
	hexid(id, l->id);
	if (code == XU_OK && node && view_from_json(&v, node, l->id))
		found = true;
	else if (code == XU_ENOTFOUND)
		found = false;
	else {
		xu_unusual(SUB, "ledger_entry %s: %s", id,
			   rerr ? rerr->msg : "malformed answer");
		l->wanted = true; /* again at the next tick */
		return;
	}
	l->found = found;
	l->seen_ms = eng_wall_ms();
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "ledger_entry %s: %s", id, err.msg);
		return;
	}
	rc = apply_view(pc, l, found, &v, &err);
	tx_end(pc, rc, &err, "applying a ledger view");
}

static struct xl_client *client(struct eng_paychan *pc)
{
	struct xl_rippled *r = pc->rippled;

	return r ? xl_rippled_client(r) : NULL;
}

static bool ready(struct eng_paychan *pc)
{
	struct xl_client *c = client(pc);

	return c && xl_client_state(c) == XL_CLIENT_READY;
}

static void on_account_reply(void *arg, enum xu_code code, json_t *msg,
			     const struct xu_err *rerr);

/* Sends the wanted lookups (and account_info); outside transactions. */
static void lookups_flush(struct eng_paychan *pc)
{
	struct xl_client *c = client(pc);
	struct xu_err err;
	char id[HEXID];

	if (!ready(pc))
		return;
	for (struct lookup *l = pc->lookups; l; l = l->next) {
		if (!l->wanted || l->inflight)
			continue;
		hexid(id, l->id);
		json_t *req = json_pack("{s:s,s:s,s:s}", "command",
					"ledger_entry", "payment_channel", id,
					"ledger_index", "validated");
		if (!req)
			return;
		if (xl_client_request(c, req, LOOKUP_TIMEOUT_MS,
				      on_lookup_reply, l, &err) != XU_OK) {
			xu_debug(SUB, "ledger_entry %s not sent: %s", id,
				 err.msg);
			return;
		}
		l->wanted = false;
		l->inflight = true;
		pc->stats.lookups++;
	}
	if (pc->want_acct && !pc->acct_inflight) {
		json_t *req = json_pack("{s:s,s:s,s:s}", "command",
					"account_info", "account", pc->address,
					"ledger_index", "validated");
		if (req &&
		    xl_client_request(c, req, LOOKUP_TIMEOUT_MS,
				      on_account_reply, pc, &err) == XU_OK) {
			pc->want_acct = false;
			pc->acct_inflight = true;
		}
	}
}

static void after_commit(struct eng_paychan *pc)
{
	builds_flush(pc);
	lookups_flush(pc);
	send_due_claims(pc);
	if (pc->enqueued) {
		pc->enqueued = false;
		eng_outbox_tick(pc->ob, eng_wall_ms());
	}
}

/* ---- applying events ---------------------------------------------------*/

static struct pc_event account_event(const struct eng_paychan *pc)
{
	struct pc_event ev;
	struct xl_drops inc;

	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_ACCOUNT;
	ev.clk = clock_now(pc);
	ev.u.account.balance = pc->balance;
	ev.u.account.reserve_inc = pc->reserve_inc;
	ev.u.account.fee = pc->fee;
	if (!xl_drops_mul(&inc, pc->reserve_inc, pc->owner_count) ||
	    !xl_drops_add(&ev.u.account.reserve, pc->reserve_base, inc)) {
		/* Absurd reserves: refuse every create and fund. */
		ev.u.account.reserve = pc->balance;
	}
	return ev;
}

/* PC_FX_ADOPT_CLAIM: the peer's verified last claim, above our record,
 * becomes the last signed claim (persisted with the record before anything
 * uses it), reported with what it means for the books. */
static void adopt_claim(struct eng_paychan *pc, struct eng_chan_out *o,
			const struct eng_chan_out *before,
			const struct pc_effect *f)
{
	struct xl_drops lost, unknown;
	struct acct *a = acct_of(pc, o->account);
	char id[HEXID];

	if (!xl_drops_sub(&lost, f->amount, before->ch.signed_total))
		lost = xl_drops_zero();
	if (!xl_drops_sub(&unknown, lost, f->cancelled))
		unknown = xl_drops_zero();
	o->claim_amount = f->amount;
	memcpy(o->claim_sig, f->sig, f->siglen);
	o->claim_siglen = f->siglen;
	if (a && xl_drops_cmp(f->amount, a->peer_best) > 0)
		a->peer_best = f->amount;
	pc->stats.recovered_drops += xl_drops_u64(lost);
	pc->stats.alerts++;
	hexid(id, f->channel);
	xu_unusual(SUB,
		   "%s: recovered %llu drops of claims our store had lost "
		   "(channel %s: last signed claim %llu -> %llu, the peer's); "
		   "%llu of them paid settlements still owed here, which are "
		   "not paid again; %llu paid settlements this store has no "
		   "record of",
		   o->account, u(lost), id, u(before->ch.signed_total),
		   u(f->amount), u(f->cancelled), u(unknown));
}

static enum xu_code out_event(struct eng_paychan *pc, struct eng_chan_out *o,
			      const struct pc_event *ev, struct xu_err *err)
{
	struct pc_effects fx;
	struct eng_chan_out before = *o;
	struct pc_cfg cfg = pc->cfg.pc;
	struct build *b;
	struct acct *a;
	enum xu_code rc;

	/* A channel may be created: with at least the settle delay the peer
	 * said it requires (else it refuses every claim), up to a cap. */
	if (o->ch.state == PC_OUT_NONE || o->ch.state == PC_OUT_CLOSED) {
		struct eng_chan_peer peer;
		bool have;

		rc = eng_chan_peer_get(pc->st, o->account, &peer, &have, err);
		if (rc != XU_OK)
			return rc;
		if (have && peer.paired &&
		    peer.min_settle_delay > cfg.settle_delay) {
			cfg.settle_delay =
			    peer.min_settle_delay < PEER_SETTLE_DELAY_CAP
				? peer.min_settle_delay
				: PEER_SETTLE_DELAY_CAP;
			if (cfg.settle_delay < pc->cfg.pc.settle_delay)
				cfg.settle_delay = pc->cfg.pc.settle_delay;
		}
	}
	rc = pc_out_apply(&o->ch, &cfg, ev, &fx, err);
	if (rc != XU_OK) {
		xu_unusual(SUB, "%s: %s refused: %s", o->account,
			   pc_ev_name(ev->kind), err ? err->msg : "");
		return XU_OK; /* outside input: nothing changed */
	}
	for (size_t i = 0; i < fx.n; i++) {
		const struct pc_effect *f = &fx.v[i];

		switch (f->kind) {
		case PC_FX_SUBMIT_CREATE:
			/* A new channel: the last claim was on the old one. */
			o->claim_amount = xl_drops_zero();
			o->claim_siglen = 0;
			memset(o->claim_sig, 0, sizeof(o->claim_sig));
			a = acct_of(pc, o->account);
			if (a)
				a->peer_best = xl_drops_zero();
			o->peer_best = xl_drops_zero();
			o->create_n++;
			o->tx_amount = f->amount;
			b = build_add(pc, B_CREATE, o->account, o->create_n,
				      NULL);
			if (b) {
				b->dest = o->ch.peer;
				b->amount = f->amount;
				b->settle_delay = f->settle_delay;
			}
			break;
		case PC_FX_SUBMIT_FUND:
			o->fund_n++;
			o->tx_amount = f->amount;
			b = build_add(pc, B_FUND, o->account, o->fund_n,
				      f->channel);
			if (b)
				b->amount = f->amount;
			break;
		case PC_FX_SUBMIT_CLOSE:
			o->close_n++;
			build_add(pc, B_CLOSE, o->account, o->close_n,
				  f->channel);
			break;
		case PC_FX_SIGN_AND_SEND_CLAIM:
			XU_ASSERT(
			    !memcmp(f->channel, o->ch.id, CR_CHANNEL_ID_BYTES));
			{
				struct xl_drops paid;

				if (xl_drops_sub(&paid, f->amount,
						 o->claim_amount))
					pc->stats.paid_drops +=
					    xl_drops_u64(paid);
			}
			o->claim_amount = f->amount;
			new_claim(pc, o);
			break;
		case PC_FX_RESEND_CLAIM:
			if (xl_drops_is_zero(o->claim_amount) ||
			    !xl_drops_eq(o->claim_amount, f->amount))
				break;
			claim_after_commit(pc, o->account, true);
			break;
		case PC_FX_SEND_CHANNEL_NOTICE:
			rc = send_channel_msg(pc, o->account,
					      PC_MSG_CHANNEL_UPDATE, f->channel,
					      err);
			if (rc != XU_OK)
				return rc;
			break;
		case PC_FX_SEND_CLOSE_REQUEST:
			rc = send_channel_msg(pc, o->account,
					      PC_MSG_CLOSE_REQUEST, f->channel,
					      err);
			if (rc != XU_OK)
				return rc;
			break;
		case PC_FX_ASK_LAST_CLAIM:
			rc = send_last_claim(pc, o, err);
			if (rc != XU_OK)
				return rc;
			break;
		case PC_FX_ADOPT_CLAIM:
			adopt_claim(pc, o, &before, f);
			break;
		case PC_FX_ALERT:
			pc->stats.alerts++;
			log_alert(o->account, f);
			break;
		case PC_FX_PERSIST_CLAIM:
		case PC_FX_CREDIT:
		case PC_FX_SUBMIT_REDEEM:
			XU_ASSERT(!"incoming effect from the outgoing channel");
			break;
		}
	}
	if (o->ch.state != before.ch.state)
		xu_info(SUB, "%s: outgoing %s -> %s (%s)", o->account,
			pc_out_state_name(before.ch.state),
			pc_out_state_name(o->ch.state), o->ch.reason);
	/* The best the peer acknowledged: the record keeps it across
	 * restarts (it goes out as "acked" with every claim). */
	a = acct_of(pc, o->account);
	if (a && xl_drops_cmp(a->peer_best, o->peer_best) > 0)
		o->peer_best = a->peer_best;
	else if (a)
		a->peer_best = o->peer_best;
	before.ch.reason = o->ch.reason;
	if (fx.n == 0 && !memcmp(&before, o, sizeof(before)))
		return XU_OK;
	return eng_chan_out_put(pc->st, o, err);
}

static enum xu_code in_event(struct eng_paychan *pc, struct eng_chan_in *r,
			     const struct pc_event *ev, enum pc_reject *why,
			     struct xu_err *err)
{
	struct pc_effects fx;
	struct eng_chan_in before = *r;
	struct build *b;
	enum xu_code rc;

	rc = pc_in_apply(&r->ch, &pc->cfg.pc, ev, &fx, why, err);
	if (rc != XU_OK)
		return rc; /* the caller reports the refusal */
	for (size_t i = 0; i < fx.n; i++) {
		const struct pc_effect *f = &fx.v[i];

		switch (f->kind) {
		case PC_FX_PERSIST_CLAIM:
			break; /* the record is written below */
		case PC_FX_CREDIT:
			rc = eng_outbox_enqueue_credit(
			    pc->st, r->account, f->amount, f->key, NULL, err);
			if (rc != XU_OK)
				return rc;
			pc->enqueued = true;
			pc->stats.credits_drops += xl_drops_u64(f->amount);
			break;
		case PC_FX_SUBMIT_REDEEM:
			r->redeem_n++;
			r->redeem_close = f->close;
			b = build_add(pc, B_REDEEM, r->account, r->redeem_n,
				      f->channel);
			if (b) {
				b->amount = f->amount;
				memcpy(b->sig, f->sig, f->siglen);
				b->siglen = f->siglen;
				memcpy(b->pubkey, f->pubkey, CR_PUBKEY_BYTES);
				b->close = f->close;
				/* Closing: the redeem must land before the
				 * Expiration. */
				b->priority = r->ch.state == PC_IN_CLOSING;
			}
			break;
		case PC_FX_ALERT:
			pc->stats.alerts++;
			log_alert(r->account, f);
			break;
		default:
			XU_ASSERT(!"outgoing effect from an incoming channel");
			break;
		}
	}
	if (r->ch.state != before.ch.state)
		xu_info(SUB, "%s: incoming %s -> %s (%s)", r->account,
			pc_in_state_name(before.ch.state),
			pc_in_state_name(r->ch.state), r->ch.reason);
	before.ch.reason = r->ch.reason;
	if (fx.n == 0 && !memcmp(&before, r, sizeof(before)))
		return XU_OK;
	return eng_chan_in_put(pc->st, r, err);
}

/* After PC_EV_CLOSE on an incoming channel: when nothing is left to
 * redeem (else the redeem carries tfClose), close it as destination so
 * the peer gets its XRP back at once.  One attempt per channel.  Not when
 * the ledger shows the owner closing it already (Expiration/CancelAfter):
 * the owner finalizes it, and a close racing that one fails with
 * tecNO_TARGET for nothing. */
static void maybe_dclose(struct eng_paychan *pc, const struct eng_chan_in *r)
{
	const struct pc_in *c = &r->ch;

	if (c->state != PC_IN_CLOSING || c->redeem_inflight || !c->has_view ||
	    c->view.has_expiration || c->view.has_cancel_after ||
	    xl_drops_cmp(c->best, c->view.balance) > 0)
		return;
	if (build_add(pc, B_DCLOSE, r->account, 1, c->id))
		xu_info(SUB, "%s: closing the peer's channel (all redeemed)",
			r->account);
}

/* Loads (or starts, for a paired account) the outgoing record. */
static enum xu_code out_load(struct eng_paychan *pc, const char *account,
			     struct eng_chan_out *o, bool *have,
			     struct xu_err *err)
{
	struct eng_chan_peer peer;
	bool paired;
	enum xu_code rc;

	rc = eng_chan_out_get(pc->st, account, o, have, err);
	if (rc != XU_OK || *have)
		return rc;
	rc = eng_chan_peer_get(pc->st, account, &peer, &paired, err);
	if (rc != XU_OK || !paired || !peer.paired)
		return rc;
	memset(o, 0, sizeof(*o));
	snprintf(o->account, sizeof(o->account), "%s", account);
	pc_out_init(&o->ch, &pc->self, &peer.address);
	*have = true;
	if (pc->have_acct) {
		struct pc_event ev = account_event(pc);

		rc = out_event(pc, o, &ev, err);
		if (rc != XU_OK)
			return rc;
	}
	return eng_chan_out_put(pc->st, o, err);
}

/* Moves account's owed drops into its outgoing channel. */
static enum xu_code feed_owed(struct eng_paychan *pc, const char *account,
			      struct xu_err *err)
{
	struct eng_chan_out o;
	struct xl_drops owed;
	struct pc_event ev;
	bool have;
	enum xu_code rc;

	rc = eng_store_owed_get(pc->st, account, &owed, err);
	if (rc == XU_ENOTFOUND)
		return XU_OK;
	if (rc != XU_OK || xl_drops_is_zero(owed))
		return rc;
	rc = out_load(pc, account, &o, &have, err);
	if (rc != XU_OK || !have)
		return rc; /* not paired yet: the drops wait */
	if (o.ch.deleting)
		return XU_OK;
	if (!o.ch.has_account && pc->have_acct) {
		ev = account_event(pc);
		rc = out_event(pc, &o, &ev, err);
		if (rc != XU_OK)
			return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_SETTLE;
	ev.clk = clock_now(pc);
	ev.u.settle = owed;
	{
		struct xl_drops before = o.ch.owed;
		struct xl_drops sum;

		if (!xl_drops_add(&sum, before, owed)) {
			xu_unusual(SUB, "%s: %llu drops owed do not fit",
				   account, u(owed));
			return XU_OK;
		}
	}
	rc = eng_store_owed_sub(pc->st, account, owed, err);
	if (rc != XU_OK)
		return rc;
	return out_event(pc, &o, &ev, err);
}

/* ---- hooks ------------------------------------------------------------ */

static enum xu_code queue_hello(struct eng_paychan *pc, struct eng_chan_peer *p,
				struct xu_err *err)
{
	struct pc_msg m;
	enum xu_code rc;

	hello_of(pc, &m, PC_MSG_HELLO, NULL);
	rc = send_msg(pc, p->account, &m, "hello", err);
	if (rc != XU_OK)
		return rc;
	p->hello_attempts++;
	p->hello_next_ms = HELLO_PENDING;
	pc->stats.hellos_sent++;
	return eng_chan_peer_put(pc->st, p, err);
}

enum xu_code eng_paychan_account_created(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	struct eng_chan_peer p;
	bool have;
	enum xu_code rc;

	if (!pc)
		return XU_OK;
	rc = eng_chan_peer_get(pc->st, account, &p, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have && (p.paired || p.hello_next_ms == HELLO_PENDING))
		return XU_OK;
	if (!have) {
		memset(&p, 0, sizeof(p));
		snprintf(p.account, sizeof(p.account), "%s", account);
	}
	/* Not at once: the connector that is creating the account may not
	 * know it yet (it would answer 404); the cron sends it when due. */
	p.hello_next_ms = eng_wall_ms() + (int64_t)pc->cfg.hello_retry_ms;
	return eng_chan_peer_put(pc->st, &p, err);
}

enum xu_code eng_paychan_account_deleted(struct eng_paychan *pc,
					 const char *account,
					 struct xu_err *err)
{
	struct eng_chan_out o;
	struct eng_chan_in *v = NULL;
	struct pc_event ev;
	size_t n = 0;
	bool have;
	enum xu_code rc;

	if (!pc)
		return XU_OK;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLOSE;
	ev.clk = clock_now(pc);
	rc = eng_chan_out_get(pc->st, account, &o, &have, err);
	if (rc == XU_OK && have)
		rc = out_event(pc, &o, &ev, err);
	if (rc == XU_OK)
		rc = eng_chan_in_all(pc->st, account, &v, &n, err);
	for (size_t i = 0; rc == XU_OK && i < n; i++)
		if ((rc = in_event(pc, &v[i], &ev, NULL, err)) == XU_OK)
			maybe_dclose(pc, &v[i]);
	free(v);
	if (rc == XU_OK)
		xu_info(SUB, "%s: closing its channels", account);
	return rc;
}

enum xu_code eng_paychan_settled(struct eng_paychan *pc, const char *account,
				 struct xu_err *err)
{
	if (!pc)
		return XU_OK;
	for (size_t i = 0; i < pc->ndirty; i++)
		if (!strcmp(pc->dirty[i], account))
			return XU_OK;
	if (pc->ndirty == pc->capdirty) {
		size_t nc = pc->capdirty ? pc->capdirty * 2 : 16;
		void *nv = realloc(pc->dirty, nc * sizeof(*pc->dirty));

		if (!nv)
			return xu_fail(err, XU_ENOMEM, 0, "out of memory");
		pc->dirty = nv;
		pc->capdirty = nc;
	}
	snprintf(pc->dirty[pc->ndirty++], sizeof(pc->dirty[0]), "%s", account);
	return XU_OK;
}

enum xu_code eng_paychan_batch_end(struct eng_paychan *pc, struct xu_err *err)
{
	enum xu_code rc = XU_OK;

	if (!pc)
		return XU_OK;
	for (size_t i = 0; rc == XU_OK && i < pc->ndirty; i++)
		rc = feed_owed(pc, pc->dirty[i], err);
	pc->ndirty = 0;
	return rc;
}

void eng_paychan_batch_done(struct eng_paychan *pc, bool committed)
{
	struct xu_err err = {0};
	enum xu_code rc;

	if (!pc)
		return;
	if (!committed) {
		builds_drop_unqueued(pc);
		drop_new_claims(pc);
		pc->enqueued = false;
		pc->ndirty = 0;
		return;
	}
	if (pc->ndirty && !eng_store_in_tx(pc->st)) {
		/* The engine did not call eng_paychan_batch_end: pay in a
		 * transaction of our own. */
		rc = tx_begin(pc, &err);
		if (rc == XU_OK)
			rc = eng_paychan_batch_end(pc, &err);
		else
			pc->ndirty = 0;
		tx_end(pc, rc, &err, "paying settlements");
		return;
	}
	after_commit(pc);
}

/* ---- message handlers (inside the batch transaction) -------------------*/

static enum xu_code decode_json(struct pc_msg *m, json_t *msg,
				struct xu_err *err)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	enum xu_code rc;

	if (!s)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	rc = pc_msg_decode(m, (const uint8_t *)s, strlen(s), err);
	free(s);
	return rc;
}

/* Decodes msg as a message of type t (else XU_EINVAL "not a <t>"). */
static enum xu_code decode_as(struct pc_msg *m, json_t *msg, enum pc_msg_type t,
			      struct xu_err *err)
{
	enum xu_code rc = decode_json(m, msg, err);

	if (rc != XU_OK)
		return rc;
	if (m->type != t)
		return xu_fail(err, XU_EINVAL, 0, "not a %s",
			       pc_msg_type_name(t));
	return XU_OK;
}

static enum xu_code reply_msg(struct eng_msg_reply *reply,
			      const struct pc_msg *m, struct xu_err *err)
{
	char buf[PC_MSG_MAX_BYTES];
	size_t len;
	enum xu_code rc = pc_msg_encode(m, buf, sizeof(buf), &len, err);

	if (rc != XU_OK)
		return xu_fail(err, XU_EINTERNAL, 0, "encoding a reply");
	reply->body = malloc(len + 1);
	if (!reply->body)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	memcpy(reply->body, buf, len + 1);
	reply->len = len;
	reply->status = 201;
	return XU_OK;
}

/* Stores the peer's hello (or hello_reply); starts its outgoing record. */
static enum xu_code store_hello(struct eng_paychan *pc, const char *account,
				const struct pc_msg *m, struct xu_err *err)
{
	const struct pc_msg_hello *h = &m->u.hello;
	struct eng_chan_peer p;
	struct eng_chan_out o;
	char addr[CR_ADDRESS_STRLEN];
	bool have;
	enum xu_code rc;

	if (!memcmp(&h->address, &pc->self, sizeof(pc->self)))
		return xu_fail(err, XU_EINVAL, 0,
			       "the peer's address is our own");
	rc = eng_chan_peer_get(pc->st, account, &p, &have, err);
	if (rc != XU_OK)
		return rc;
	if (!have) {
		memset(&p, 0, sizeof(p));
		snprintf(p.account, sizeof(p.account), "%s", account);
	}
	cr_address_encode(addr, &h->address);
	if (p.paired && memcmp(&p.address, &h->address, sizeof(p.address))) {
		rc = eng_chan_out_get(pc->st, account, &o, &have, err);
		if (rc != XU_OK)
			return rc;
		if (have && o.ch.state != PC_OUT_NONE &&
		    o.ch.state != PC_OUT_CLOSED)
			return xu_fail(err, XU_ECONFLICT, 0,
				       "the peer's address changed to %s "
				       "while our channel is %s",
				       addr, pc_out_state_name(o.ch.state));
		if (have) {
			pc_out_init(&o.ch, &pc->self, &h->address);
			rc = eng_chan_out_put(pc->st, &o, err);
			if (rc != XU_OK)
				return rc;
		}
	}
	if (!p.paired)
		xu_info(SUB, "%s: paired with %s (%s, min settle delay %u s)",
			account, addr, cr_key_type_name(h->key_type),
			(unsigned)h->min_settle_delay);
	if (h->min_settle_delay > pc->cfg.pc.settle_delay)
		xu_unusual(
		    SUB,
		    "%s: the peer wants a settle delay of at least %u "
		    "s (ours: %u s); new channels to it use %u s",
		    account, (unsigned)h->min_settle_delay,
		    (unsigned)pc->cfg.pc.settle_delay,
		    (unsigned)(h->min_settle_delay < PEER_SETTLE_DELAY_CAP
				   ? h->min_settle_delay
				   : PEER_SETTLE_DELAY_CAP));
	p.paired = true;
	p.address = h->address;
	p.key_type = h->key_type;
	p.min_settle_delay = h->min_settle_delay;
	p.version = m->version;
	p.hello_next_ms = 0;
	rc = eng_chan_peer_put(pc->st, &p, err);
	if (rc != XU_OK)
		return rc;
	rc = out_load(pc, account, &o, &have, err);
	if (rc != XU_OK)
		return rc;
	if (h->has_channel)
		lookup_want(pc, h->channel, account, true);
	/* Settlements that waited for the pairing. */
	return feed_owed(pc, account, err);
}

static enum xu_code msg_hello(void *arg, const char *account, json_t *msg,
			      struct eng_msg_reply *reply, struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct eng_chan_out o;
	struct pc_msg m, r;
	bool have;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_HELLO, err);
	if (rc != XU_OK)
		return rc;
	rc = store_hello(pc, account, &m, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_out_get(pc->st, account, &o, &have, err);
	if (rc != XU_OK)
		return rc;
	hello_of(pc, &r, PC_MSG_HELLO_REPLY, have ? &o : NULL);
	return reply_msg(reply, &r, err);
}

static enum xu_code claim_reply(struct eng_msg_reply *reply,
				const uint8_t id[CR_CHANNEL_ID_BYTES],
				bool accepted, struct xl_drops best,
				enum pc_reject why, const char *text,
				struct xu_err *err)
{
	struct pc_msg r;

	memset(&r, 0, sizeof(r));
	r.type = PC_MSG_CLAIM_REPLY;
	memcpy(r.u.reply.channel, id, CR_CHANNEL_ID_BYTES);
	r.u.reply.accepted = accepted;
	r.u.reply.amount = best;
	r.u.reply.code = accepted ? PC_REJ_NONE : why;
	if (text)
		snprintf(r.u.reply.message, sizeof(r.u.reply.message), "%s",
			 text);
	return reply_msg(reply, &r, err);
}

static enum xu_code msg_claim(void *arg, const char *account, json_t *msg,
			      struct eng_msg_reply *reply, struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct eng_chan_in r;
	struct pc_msg m;
	struct pc_event ev;
	struct lookup *l;
	struct xu_err why_err = {0};
	enum pc_reject why = PC_REJ_NONE;
	char id[HEXID];
	bool have, stale;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_CLAIM, err);
	if (rc != XU_OK)
		return rc;
	hexid(id, m.u.claim.channel);
	rc = eng_chan_in_get(pc->st, m.u.claim.channel, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	l = lookup_of(pc, m.u.claim.channel);
	if (have && strcmp(r.account, account) != 0) {
		pc->stats.claims_rejected++;
		xu_unusual(SUB, "%s: claim on channel %s of account %s refused",
			   account, id, r.account);
		return claim_reply(reply, m.u.claim.channel, false,
				   xl_drops_zero(), PC_REJ_WRONG_CHANNEL,
				   "channel belongs to another account", err);
	}
	/* Without a fresh validated view: look it up, let the peer retry. */
	stale = !l || !l->seen_ms ||
		eng_wall_ms() - l->seen_ms > (int64_t)pc->cfg.lookup_fresh_ms;
	if (stale && (!have || !r.ch.has_view ||
		      xl_drops_cmp(m.u.claim.amount, r.ch.view.amount) > 0)) {
		lookup_want(pc, m.u.claim.channel, account, true);
		return xu_fail(err, XU_EUNAVAIL, 0,
			       "channel %s: looking it up on the validated "
			       "ledger; retry",
			       id);
	}
	if (!have) {
		struct eng_chan_peer peer;
		bool known;

		rc = eng_chan_peer_get(pc->st, account, &peer, &known, err);
		if (rc != XU_OK)
			return rc;
		if (!known || !peer.paired)
			return xu_fail(err, XU_EUNAVAIL, 0,
				       "not paired with this account yet; "
				       "retry");
		/* Looked up recently: not on the ledger, or not the peer's
		 * channel to us (then no record was made). */
		pc->stats.claims_rejected++;
		why = l && l->found ? PC_REJ_NOT_OURS : PC_REJ_NO_CHANNEL;
		xu_unusual(SUB, "%s: claim on channel %s refused: %s", account,
			   id, pc_reject_name(why));
		return claim_reply(reply, m.u.claim.channel, false,
				   xl_drops_zero(), why,
				   why == PC_REJ_NOT_OURS
				       ? "channel is not from the peer to us"
				       : "channel not found on the validated "
					 "ledger",
				   err);
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLAIM;
	ev.clk = clock_now(pc);
	pc_msg_to_claim(&ev.u.claim, &m.u.claim);
	rc = in_event(pc, &r, &ev, &why, &why_err);
	if (rc != XU_OK && why != PC_REJ_NONE) {
		pc->stats.claims_rejected++;
		/* Older claims overtaken by newer ones are routine. */
		if (why == PC_REJ_NOT_INCREASING)
			xu_debug(SUB, "%s: claim %llu on channel %s: %s",
				 account, u(m.u.claim.amount), id, why_err.msg);
		else
			xu_unusual(
			    SUB, "%s: claim %llu on channel %s refused: %s",
			    account, u(m.u.claim.amount), id, why_err.msg);
		return claim_reply(reply, m.u.claim.channel, false, r.ch.best,
				   why, why_err.msg, err);
	}
	if (rc != XU_OK) {
		*err = why_err;
		return rc;
	}
	pc->stats.claims_accepted++;
	return claim_reply(reply, m.u.claim.channel, true, r.ch.best,
			   PC_REJ_NONE, NULL, err);
}

static enum xu_code msg_channel_update(void *arg, const char *account,
				       json_t *msg, struct eng_msg_reply *reply,
				       struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct pc_msg m;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_CHANNEL_UPDATE, err);
	if (rc != XU_OK)
		return rc;
	lookup_want(pc, m.u.channel, account, true);
	reply->status = 201;
	return XU_OK;
}

static enum xu_code msg_close_request(void *arg, const char *account,
				      json_t *msg, struct eng_msg_reply *reply,
				      struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct eng_chan_in r;
	struct pc_event ev;
	struct pc_msg m;
	bool have;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_CLOSE_REQUEST, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_in_get(pc->st, m.u.channel, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	if (!have || strcmp(r.account, account) != 0)
		return xu_fail(err, XU_ENOTFOUND, 0,
			       "no incoming channel of this account");
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLOSE;
	ev.clk = clock_now(pc);
	rc = in_event(pc, &r, &ev, NULL, err);
	if (rc != XU_OK)
		return rc;
	maybe_dclose(pc, &r);
	xu_info(SUB, "%s: the peer asked us to close its channel", account);
	reply->status = 201;
	return XU_OK;
}

/* "last_claim": the best claim we hold on the peer's channel to us, for
 * its recovery (read only: idempotent). */
static enum xu_code msg_last_claim(void *arg, const char *account, json_t *msg,
				   struct eng_msg_reply *reply,
				   struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct eng_chan_in r;
	struct pc_msg m, out;
	bool have;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_LAST_CLAIM, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_in_get(pc->st, m.u.channel, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	memset(&out, 0, sizeof(out));
	out.type = PC_MSG_LAST_CLAIM_REPLY;
	memcpy(out.u.last.channel, m.u.channel, CR_CHANNEL_ID_BYTES);
	out.u.last.amount = xl_drops_zero();
	/* Only this account's channels: never another peer's claims. */
	if (have && !strcmp(r.account, account) &&
	    !xl_drops_is_zero(r.ch.best) && r.ch.best_siglen > 0) {
		out.u.last.amount = r.ch.best;
		memcpy(out.u.last.sig, r.ch.best_sig, r.ch.best_siglen);
		out.u.last.siglen = r.ch.best_siglen;
	}
	xu_info(SUB, "%s: the peer asked for its last claim: %llu drops",
		account, u(out.u.last.amount));
	return reply_msg(reply, &out, err);
}

/* ---- outbox replies (message answers from the peer engine) ------------ */

static void on_hello_answer(struct eng_paychan *pc, const char *account,
			    int status, const uint8_t *body, size_t len)
{
	struct eng_chan_peer p;
	struct pc_msg m;
	struct xu_err err = {0}, derr;
	bool have, ok;
	enum xu_code rc;

	ok = status >= 200 && status < 300 && len > 0 &&
	     pc_msg_decode(&m, body, len, &derr) == XU_OK &&
	     m.type == PC_MSG_HELLO_REPLY;
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "hello answer: %s", err.msg);
		return;
	}
	if (ok) {
		rc = store_hello(pc, account, &m, &err);
		if (rc != XU_OK && xu_code_is_input(rc)) {
			xu_unusual(SUB, "%s: bad hello_reply: %s", account,
				   err.msg);
			ok = false;
			rc = XU_OK;
		}
	}
	if (rc == XU_OK && !ok) {
		rc = eng_chan_peer_get(pc->st, account, &p, &have, &err);
		if (rc == XU_OK && have && !p.paired) {
			uint64_t d = pc->cfg.hello_retry_ms;

			for (uint32_t i = 1; i < p.hello_attempts && d < 60000;
			     i++)
				d *= 2;
			if (d > HELLO_RETRY_MAX_MS)
				d = HELLO_RETRY_MAX_MS;
			p.hello_next_ms = eng_wall_ms() + (int64_t)d;
			rc = eng_chan_peer_put(pc->st, &p, &err);
			xu_unusual(SUB,
				   "%s: no hello_reply from the peer (HTTP "
				   "%d); again in %llu ms",
				   account, status, (unsigned long long)d);
		}
	}
	tx_end(pc, rc, &err, "recording a hello answer");
}

/* A claim_reply showing the peer holds more than we signed: our store
 * lost claims (PC_EV_PEER_BEST starts a recovery).  Checked without a
 * transaction first: the common case changes nothing. */
static void peer_best(struct eng_paychan *pc, const char *account,
		      const struct pc_msg_claim_reply *r)
{
	struct eng_chan_out o;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have;
	enum xu_code rc;

	if (eng_chan_out_get(pc->st, account, &o, &have, &err) != XU_OK ||
	    !have || !o.ch.has_id ||
	    memcmp(o.ch.id, r->channel, CR_CHANNEL_ID_BYTES) != 0 ||
	    xl_drops_cmp(r->amount, o.ch.signed_total) <= 0 || o.ch.recovering)
		return;
	xu_unusual(SUB,
		   "%s: the peer holds a claim of %llu drops, above the "
		   "%llu we signed: our store lost claims",
		   account, u(r->amount), u(o.ch.signed_total));
	if (tx_begin(pc, &err) != XU_OK) {
		xu_broken(SUB, "claim answer: %s", err.msg);
		return;
	}
	rc = eng_chan_out_get(pc->st, account, &o, &have, &err);
	if (rc == XU_OK && have) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_PEER_BEST;
		ev.clk = clock_now(pc);
		memcpy(ev.u.claim.channel, r->channel, CR_CHANNEL_ID_BYTES);
		ev.u.claim.amount = r->amount;
		rc = out_event(pc, &o, &ev, &err);
	}
	tx_end(pc, rc, &err, "starting a claim recovery");
}

/* The answer to our "last_claim": PC_EV_LAST_CLAIM.  A peer that cannot
 * answer (a 4xx: the outbox parked the question) holds nothing we can
 * use: our store's claim stands.  An unusable answer is asked again
 * claim_resend_ms later. */
static void on_last_claim_answer(struct eng_paychan *pc, const char *account,
				 int status, const uint8_t *body, size_t len)
{
	struct eng_chan_out o;
	struct pc_event ev;
	struct pc_msg m;
	struct xu_err err = {0}, derr = {0};
	struct acct *a = acct_of(pc, account);
	bool have, ok;
	enum xu_code rc;

	if (a)
		a->ask_ms = eng_wall_ms();
	ok = status >= 200 && status < 300 &&
	     pc_msg_decode(&m, body, len, &derr) == XU_OK &&
	     m.type == PC_MSG_LAST_CLAIM_REPLY;
	if (!ok && status >= 200 && status < 300) {
		xu_unusual(SUB, "%s: unusable last_claim answer: %s", account,
			   derr.msg[0] ? derr.msg : "not a last_claim_reply");
		return;
	}
	if (tx_begin(pc, &err) != XU_OK) {
		xu_broken(SUB, "last_claim answer: %s", err.msg);
		return;
	}
	rc = eng_chan_out_get(pc->st, account, &o, &have, &err);
	if (rc != XU_OK || !have || !o.ch.has_id)
		goto done;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_LAST_CLAIM;
	ev.clk = clock_now(pc);
	memcpy(ev.u.last.pubkey, pc->kp->pub.b, CR_PUBKEY_BYTES);
	if (ok) {
		if (memcmp(m.u.last.channel, o.ch.id, CR_CHANNEL_ID_BYTES))
			goto done; /* about a channel we left meanwhile */
		memcpy(ev.u.last.claim.channel, m.u.last.channel,
		       CR_CHANNEL_ID_BYTES);
		ev.u.last.claim.amount = m.u.last.amount;
		memcpy(ev.u.last.claim.sig, m.u.last.sig, m.u.last.siglen);
		ev.u.last.claim.siglen = m.u.last.siglen;
	} else {
		xu_unusual(SUB,
			   "%s: the peer cannot answer last_claim (HTTP %d): "
			   "trusting our store's last claim (%llu drops)",
			   account, status, u(o.ch.signed_total));
		memcpy(ev.u.last.claim.channel, o.ch.id, CR_CHANNEL_ID_BYTES);
		ev.u.last.claim.amount = xl_drops_zero();
	}
	rc = out_event(pc, &o, &ev, &err);
	if (rc == XU_OK && !o.ch.recovering)
		xu_info(SUB, "%s: last claim checked with the peer: %llu drops",
			account, u(o.ch.signed_total));
done:
	tx_end(pc, rc, &err, "recording a last_claim answer");
}

/* An answer to a claim message: delivered (the peer's reply), refused
 * by the connector (4xx, parked), or an attempt that failed and will be
 * retried.  Either way a newer claim waiting for it may go now. */
static void on_claim_answer(struct eng_paychan *pc, const char *account,
			    int status, const uint8_t *body, size_t len)
{
	struct pc_msg m;
	struct xu_err derr;
	struct acct *a = acct_of(pc, account);

	if (!a)
		return;
	a->claim_out = false;
	if (a->claim_due) {
		send_claim(pc, a);
		if (pc->enqueued) {
			pc->enqueued = false;
			eng_outbox_tick(pc->ob, eng_wall_ms());
		}
	}
	if (status < 200 || status >= 300 || len == 0 ||
	    pc_msg_decode(&m, body, len, &derr) != XU_OK ||
	    m.type != PC_MSG_CLAIM_REPLY) {
		if (status >= 200 && status < 500)
			xu_unusual(SUB,
				   "%s: claim not acknowledged (HTTP %d); "
				   "it will be sent again",
				   account, status);
		return;
	}
	/* What the peer holds on the channel we pay on now (a late answer
	 * about an older channel says nothing about this one). */
	if (!memcmp(m.u.reply.channel, a->claim_channel, CR_CHANNEL_ID_BYTES) &&
	    xl_drops_cmp(m.u.reply.amount, a->peer_best) > 0)
		a->peer_best = m.u.reply.amount;
	if (!m.u.reply.accepted && m.u.reply.code != PC_REJ_NOT_INCREASING)
		xu_unusual(SUB, "%s: the peer refused our claim: %s (%s)",
			   account, pc_reject_name(m.u.reply.code),
			   m.u.reply.message);
	peer_best(pc, account, &m.u.reply);
}

static void on_outbox_reply(void *arg, enum eng_outbox_kind kind, int64_t id,
			    const char *tag, const char *account, int status,
			    const uint8_t *reply, size_t reply_len)
{
	struct eng_paychan *pc = arg;

	(void)id;
	if (kind != ENG_OUTBOX_MESSAGE || !tag)
		return;
	if (!strcmp(tag, "hello"))
		on_hello_answer(pc, account, status, reply, reply_len);
	else if (!strcmp(tag, "claim"))
		on_claim_answer(pc, account, status, reply, reply_len);
	else if (!strcmp(tag, "last_claim"))
		on_last_claim_answer(pc, account, status, reply, reply_len);
}

/* ---- transaction outcomes ---------------------------------------------*/

/* The PayChannel node of the metadata: the created one (id unknown:
 * matched by want_created) or the modified/deleted one with id. */
static json_t *meta_channel(json_t *meta, const uint8_t *id, const char **how)
{
	json_t *nodes = meta ? json_object_get(meta, "AffectedNodes") : NULL;
	size_t i;
	json_t *n;
	char hex[HEXID];

	if (id)
		hexid(hex, id);
	json_array_foreach(nodes, i, n)
	{
		const char *kinds[] = {"CreatedNode", "ModifiedNode",
				       "DeletedNode"};
		for (size_t k = 0; k < 3; k++) {
			json_t *x = json_object_get(n, kinds[k]);
			const char *t =
			    x ? xl_json_str(x, "LedgerEntryType") : NULL;
			const char *li =
			    x ? xl_json_str(x, "LedgerIndex") : NULL;

			if (!t || strcmp(t, "PayChannel") || !li)
				continue;
			if (id ? strcasecmp(li, hex) != 0 : k != 0)
				continue;
			*how = kinds[k];
			return x;
		}
	}
	return NULL;
}

/* A drops field of the FinalFields of channel id in the metadata of one
 * of our transactions.  False when the channel or the field is missing;
 * *deleted tells a DeletedNode (the transaction closed it). */
static bool meta_final_drops(json_t *meta, const uint8_t *id, const char *field,
			     struct xl_drops *out, bool *deleted)
{
	const char *how = NULL;
	json_t *x = meta_channel(meta, id, &how);
	json_t *ff = x ? json_object_get(x, "FinalFields") : NULL;
	uint64_t v;

	*deleted = x && !strcmp(how, "DeletedNode");
	return ff && xl_json_u64(ff, field, &v) && xl_drops_from_u64(out, v);
}

/* Counts and logs one of our transactions that did not succeed. */
static void tx_failed(struct eng_paychan *pc, const struct xl_outcome *o)
{
	pc->stats.tx_failures++;
	xu_unusual(SUB, "%s: %s (%s)", o->intent, xl_outcome_kind_name(o->kind),
		   o->result ? o->result : "?");
}

static void outcome_out(struct eng_paychan *pc, struct build *b,
			const struct xl_outcome *o)
{
	struct eng_chan_out rec;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have, ok = o->kind == XL_OUT_SUCCESS;
	const char *how = NULL;
	enum xu_code rc;

	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "%s: %s", o->intent, err.msg);
		return;
	}
	rc = eng_chan_out_get(pc->st, b->account, &rec, &have, &err);
	if (rc != XU_OK || !have)
		goto done;
	memset(&ev, 0, sizeof(ev));
	ev.clk = clock_now(pc);
	ev.u.result.ok = ok;
	switch (b->kind) {
	case B_CREATE: {
		json_t *x = ok ? meta_channel(o->meta, NULL, &how) : NULL;
		json_t *nf = x ? json_object_get(x, "NewFields") : NULL;
		const char *li = x ? xl_json_str(x, "LedgerIndex") : NULL;
		uint8_t want[CR_CHANNEL_ID_BYTES];
		uint64_t amount = 0;

		if (rec.ch.state != PC_OUT_OPENING || b->n != rec.create_n)
			goto done; /* stale */
		ev.kind = PC_EV_CREATE_RESULT;
		if (ok) {
			cr_channel_id(want, &pc->self, &rec.ch.peer,
				      o->sequence);
			if (!li ||
			    xu_hex_decode_exact(ev.u.result.channel,
						CR_CHANNEL_ID_BYTES, li,
						NULL) != XU_OK ||
			    memcmp(want, ev.u.result.channel, sizeof(want)) !=
				0 ||
			    !nf || !xl_json_u64(nf, "Amount", &amount) ||
			    !xl_drops_from_u64(&ev.u.result.amount, amount)) {
				xu_broken(SUB,
					  "%s: created channel does not match "
					  "the metadata (sequence %u)",
					  o->intent, (unsigned)o->sequence);
				/* The channel exists: use the computed id
				 * and let the ledger poll fix the amount. */
				memcpy(ev.u.result.channel, want, sizeof(want));
				ev.u.result.amount = b->amount;
			}
		}
		break;
	}
	case B_FUND: {
		bool deleted;

		if (!rec.ch.fund_inflight || b->n != rec.fund_n)
			goto done;
		ev.kind = PC_EV_FUND_RESULT;
		if (ok && !meta_final_drops(o->meta, b->channel, "Amount",
					    &ev.u.result.amount, &deleted)) {
			xu_unusual(SUB, "%s: no channel Amount in the metadata",
				   o->intent);
			ev.u.result.amount = rec.ch.amount;
		}
		break;
	}
	case B_CLOSE:
		if (!rec.ch.close_inflight || b->n != rec.close_n)
			goto done;
		ev.kind = PC_EV_CLOSE_RESULT;
		/* The peer closed it first (as destination): done. */
		ev.u.result.gone =
		    !ok && o->result && !strcmp(o->result, "tecNO_TARGET");
		break;
	case B_REDEEM:
	case B_DCLOSE:
		goto done;
	}
	if (ev.u.result.gone) {
		pc->stats.tx_failures++;
		xu_info(SUB,
			"%s: the channel was already gone (the peer "
			"closed it first)",
			o->intent);
	} else if (!ok) {
		tx_failed(pc, o);
	}
	rc = out_event(pc, &rec, &ev, &err);
	if (rc == XU_OK && ok && b->kind != B_CLOSE && rec.ch.has_id)
		lookup_want(pc, rec.ch.id, rec.account, false);
done:
	tx_end(pc, rc, &err, o->intent);
}

static void outcome_in(struct eng_paychan *pc, struct build *b,
		       const struct xl_outcome *o)
{
	struct eng_chan_in rec;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have, ok = o->kind == XL_OUT_SUCCESS;
	enum xu_code rc;

	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "%s: %s", o->intent, err.msg);
		return;
	}
	rc = eng_chan_in_get(pc->st, b->channel, &rec, &have, &err);
	if (rc != XU_OK || !have || !rec.ch.redeem_inflight ||
	    b->n != rec.redeem_n)
		goto done;
	if (ok) {
		struct xl_drops bal;
		bool deleted,
		    found = meta_final_drops(o->meta, b->channel, "Balance",
					     &bal, &deleted);

		/* Deleted (tfClose): paid out in full; else the Balance must
		 * show the claim. */
		if (!deleted &&
		    (!found || xl_drops_cmp(bal, rec.ch.redeem_amount) < 0))
			ok = false;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_REDEEM_RESULT;
	ev.clk = clock_now(pc);
	ev.u.result.ok = ok;
	if (!ok) {
		tx_failed(pc, o);
	} else {
		xu_info(SUB, "%s: redeemed %llu drops", rec.account,
			u(rec.ch.redeem_amount));
	}
	rc = in_event(pc, &rec, &ev, NULL, &err);
	if (rc == XU_OK)
		lookup_want(pc, rec.ch.id, rec.account, true);
done:
	tx_end(pc, rc, &err, o->intent);
}

void eng_paychan_outcome(struct eng_paychan *pc, const struct xl_outcome *o)
{
	enum build_kind kind;
	struct build *b;

	if (!pc)
		return;
	b = build_find(pc, o->intent);
	if (!b) {
		xu_debug(SUB, "outcome of %s: not ours or already handled",
			 o->intent);
		return;
	}
	xu_info(SUB, "%s: %s %s (ledger %u)", b->account, o->intent,
		o->result ? o->result : xl_outcome_kind_name(o->kind),
		(unsigned)o->ledger_index);
	if (eng_store_in_tx(pc->st)) {
		xu_broken(SUB,
			  "outcome of %s inside a transaction: dropped "
			  "(the record re-queues it)",
			  o->intent);
		build_unlink(pc, b);
		pc->requeued = false;
		return;
	}
	if (b->kind == B_DCLOSE)
		lookup_want(pc, b->channel, b->account, true); /* gone? */
	else if (b->kind == B_REDEEM)
		outcome_in(pc, b, o);
	else
		outcome_out(pc, b, o);
	kind = b->kind;
	build_unlink(pc, b);
	if (kind == B_DCLOSE)
		lookups_flush(pc);
}

/* ---- rippled listener ------------------------------------------------- */

static void set_account(struct eng_paychan *pc, uint64_t balance,
			uint32_t owners)
{
	struct xl_drops b;

	if (!xl_drops_from_u64(&b, balance))
		return;
	if (!pc->have_acct || !xl_drops_eq(b, pc->balance) ||
	    owners != pc->owner_count)
		pc->acct_dirty = true;
	pc->have_acct = true;
	pc->balance = b;
	pc->owner_count = owners;
}

static void on_account_reply(void *arg, enum xu_code code, json_t *msg,
			     const struct xu_err *rerr)
{
	struct eng_paychan *pc = arg;
	json_t *res = msg ? xl_ws_result(msg) : NULL;
	json_t *ad = res ? json_object_get(res, "account_data") : NULL;
	uint64_t bal;
	uint32_t owners = 0;

	pc->acct_inflight = false;
	if (code != XU_OK || !ad || !xl_json_u64(ad, "Balance", &bal)) {
		xu_debug(SUB, "account_info: %s",
			 rerr ? rerr->msg : "no account data");
		return;
	}
	if (!xl_json_u32(ad, "OwnerCount", &owners))
		owners = 0;
	set_account(pc, bal, owners);
}

static void set_drops(struct xl_drops *d, uint64_t v)
{
	struct xl_drops x;

	if (xl_drops_from_u64(&x, v))
		*d = x;
}

static void on_ready(void *arg, const struct xl_sync_info *s)
{
	struct eng_paychan *pc = arg;

	set_drops(&pc->fee, s->fee_base);
	set_drops(&pc->reserve_base, s->reserve_base);
	set_drops(&pc->reserve_inc, s->reserve_inc);
	if (s->account_found)
		set_account(pc, s->balance, s->owner_count);
	pc->acct_dirty = true;
	pc->last_poll_ms = 0; /* poll every channel now */
}

static void on_ledger(void *arg, uint32_t index, json_t *msg)
{
	struct eng_paychan *pc = arg;
	uint32_t t;
	uint64_t v;

	(void)index;
	if (xl_json_u32(msg, "ledger_time", &t))
		pc->ledger_time = t;
	if (xl_json_u64(msg, "fee_base", &v))
		set_drops(&pc->fee, v);
	if (xl_json_u64(msg, "reserve_base", &v))
		set_drops(&pc->reserve_base, v);
	if (xl_json_u64(msg, "reserve_inc", &v))
		set_drops(&pc->reserve_inc, v);
}

static void on_tx(void *arg, json_t *msg)
{
	struct eng_paychan *pc = arg;
	json_t *tx = json_object_get(msg, "transaction");
	const char *type;

	if (!tx)
		tx = json_object_get(msg, "tx_json");
	type = tx ? xl_json_str(tx, "TransactionType") : NULL;
	pc->want_acct = true;
	if (type && !strncmp(type, "PaymentChannel", 14))
		pc->last_poll_ms = 0; /* a channel of ours changed */
}

/* ---- cron ------------------------------------------------------------- */

/* Queues every channel we know for a lookup. */
static enum xu_code poll_all(struct eng_paychan *pc, struct xu_err *err)
{
	struct eng_chan_out *ov = NULL;
	struct eng_chan_in *iv = NULL;
	size_t on = 0, in = 0;
	enum xu_code rc;

	rc = eng_chan_out_all(pc->st, &ov, &on, err);
	if (rc == XU_OK)
		rc = eng_chan_in_all(pc->st, NULL, &iv, &in, err);
	for (size_t i = 0; rc == XU_OK && i < on; i++)
		if (ov[i].ch.has_id && ov[i].ch.state != PC_OUT_CLOSED &&
		    ov[i].ch.state != PC_OUT_OPENING)
			lookup_want(pc, ov[i].ch.id, ov[i].account, false);
	for (size_t i = 0; rc == XU_OK && i < in; i++)
		if (iv[i].ch.state != PC_IN_CLOSED)
			lookup_want(pc, iv[i].ch.id, iv[i].account, true);
	free(ov);
	free(iv);
	pc->want_acct = true;
	return rc;
}

/* After a start: hands the in-flight transactions of the records to the
 * queue again (it follows the ones its journal holds). */
static void requeue(struct eng_paychan *pc, struct eng_chan_out *ov, size_t on,
		    struct eng_chan_in *iv, size_t in)
{
	struct build *b;

	for (size_t i = 0; i < on; i++) {
		struct eng_chan_out *o = &ov[i];

		if (o->ch.state == PC_OUT_OPENING && o->create_n) {
			b = build_add(pc, B_CREATE, o->account, o->create_n,
				      NULL);
			if (b) {
				b->dest = o->ch.peer;
				b->amount = o->tx_amount;
				b->settle_delay = o->ch.settle_delay;
			}
		}
		if (o->ch.fund_inflight && o->fund_n) {
			b = build_add(pc, B_FUND, o->account, o->fund_n,
				      o->ch.id);
			if (b)
				b->amount = o->tx_amount;
		}
		if (o->ch.close_inflight && o->close_n)
			build_add(pc, B_CLOSE, o->account, o->close_n,
				  o->ch.id);
	}
	for (size_t i = 0; i < in; i++) {
		struct pc_in *c = &iv[i].ch;

		if (!c->redeem_inflight || !iv[i].redeem_n)
			continue;
		b = build_add(pc, B_REDEEM, iv[i].account, iv[i].redeem_n,
			      c->id);
		if (b) {
			b->amount = c->best;
			memcpy(b->sig, c->best_sig, c->best_siglen);
			b->siglen = c->best_siglen;
			memcpy(b->pubkey, c->view.pubkey, CR_PUBKEY_BYTES);
			b->close = iv[i].redeem_close;
			b->priority = c->state == PC_IN_CLOSING;
		}
	}
}

struct owed_list {
	char (*v)[ENG_STORE_ACCOUNT_MAX + 1];
	size_t n, cap;
};

static bool collect_owed(void *arg, const char *account, struct xl_drops d)
{
	struct owed_list *l = arg;

	(void)d;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		void *nv = realloc(l->v, nc * sizeof(*l->v));

		if (!nv)
			return false;
		l->v = nv;
		l->cap = nc;
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", account);
	return true;
}

static enum xu_code tick_tx(struct eng_paychan *pc, int64_t now_ms, bool timer,
			    struct xu_err *err)
{
	struct eng_chan_out *ov = NULL;
	struct eng_chan_in *iv = NULL;
	struct eng_chan_peer due[MAX_DUE_HELLOS];
	struct owed_list owed = {0};
	size_t on = 0, in = 0, nd = 0;
	struct pc_event ev;
	enum xu_code rc;

	rc = eng_chan_out_all(pc->st, &ov, &on, err);
	if (rc == XU_OK)
		rc = eng_chan_in_all(pc->st, NULL, &iv, &in, err);
	if (rc != XU_OK)
		goto out;
	if (!pc->requeued) {
		pc->requeued = true;
		requeue(pc, ov, on, iv, in);
	}
	/* Account info changed: every outgoing channel hears of it. */
	if (pc->acct_dirty && pc->have_acct) {
		pc->acct_dirty = false;
		ev = account_event(pc);
		for (size_t i = 0; rc == XU_OK && i < on; i++)
			rc = out_event(pc, &ov[i], &ev, err);
	}
	if (timer) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_TIMER;
		ev.clk = clock_now(pc);
		ev.u.fee = pc->fee;
		for (size_t i = 0; rc == XU_OK && i < on; i++)
			rc = out_event(pc, &ov[i], &ev, err);
		for (size_t i = 0; rc == XU_OK && i < in; i++) {
			/* Redeeming decides on the ledger Balance: only with
			 * a view this process has seen (a store restored
			 * from a backup holds an old one, and would redeem
			 * what the ledger has paid already). */
			struct lookup *l = lookup_of(pc, iv[i].ch.id);

			if (iv[i].ch.state != PC_IN_CLOSED &&
			    (!l || !l->seen_ms)) {
				lookup_want(pc, iv[i].ch.id, iv[i].account,
					    true);
				continue;
			}
			rc = in_event(pc, &iv[i], &ev, NULL, err);
		}
	}
	/* Claims the peer has not acknowledged: send again. */
	for (size_t i = 0; rc == XU_OK && i < on; i++) {
		struct eng_chan_out *o = &ov[i];
		struct acct *a = acct_of(pc, o->account);

		if (!a || xl_drops_is_zero(o->claim_amount) ||
		    xl_drops_cmp(a->peer_best, o->claim_amount) >= 0 ||
		    now_ms - a->claim_sent_ms <
			(int64_t)pc->cfg.claim_resend_ms)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_CLAIM_NACK;
		ev.clk = clock_now(pc);
		a->claim_sent_ms = now_ms; /* also when nothing is sent */
		rc = out_event(pc, o, &ev, err);
	}
	/* Recoveries (a start, or evidence of lost claims): ask the peer
	 * for its last claim; again after an unusable answer. */
	for (size_t i = 0; rc == XU_OK && i < on; i++) {
		struct eng_chan_out *o = &ov[i];
		struct acct *a;

		a = acct_of(pc, o->account);
		if (!o->ch.recovering || !o->ch.has_id) {
			if (a)
				a->recover_since_ms = 0;
			continue;
		}
		/* Payments to the peer wait for its answer: an operator must
		 * learn when it does not come. */
		if (a && a->recover_since_ms == 0) {
			a->recover_since_ms = now_ms;
			a->recover_alerted = false;
		} else if (a && !a->recover_alerted &&
			   now_ms - a->recover_since_ms >=
			       (int64_t)pc->cfg.recover_alert_ms) {
			a->recover_alerted = true;
			pc->stats.alerts++;
			xu_broken(
			    SUB,
			    "%s: payments held for %lld s: the peer has "
			    "not answered our last_claim question "
			    "(nothing is signed until it does; check "
			    "the peer engine and the connectors' "
			    "message route)",
			    o->account,
			    (long long)((now_ms - a->recover_since_ms) / 1000));
		}
		if (a && a->ask_ms != 0 &&
		    (a->ask_ms == ASK_PENDING ||
		     now_ms - a->ask_ms < (int64_t)pc->cfg.claim_resend_ms))
			continue;
		rc = send_last_claim(pc, o, err);
	}
	/* Accounts older than this service: start their pairing. */
	if (rc == XU_OK && !pc->missing_checked) {
		char(*miss)[ENG_STORE_ACCOUNT_MAX + 1] =
		    calloc(MAX_DUE_HELLOS, sizeof(*miss));
		size_t nm = 0;

		if (!miss)
			rc = xu_fail(err, XU_ENOMEM, 0, "out of memory");
		if (rc == XU_OK)
			rc = eng_chan_peer_missing(pc->st, miss, MAX_DUE_HELLOS,
						   &nm, err);
		for (size_t i = 0; rc == XU_OK && i < nm; i++) {
			struct eng_chan_peer p;

			memset(&p, 0, sizeof(p));
			snprintf(p.account, sizeof(p.account), "%s", miss[i]);
			rc = eng_chan_peer_put(pc->st, &p, err);
		}
		if (rc == XU_OK && nm < MAX_DUE_HELLOS)
			pc->missing_checked = true;
		free(miss);
	}
	/* Hellos due. */
	if (rc == XU_OK)
		rc = eng_chan_peer_due(pc->st, now_ms, due, MAX_DUE_HELLOS, &nd,
				       err);
	for (size_t i = 0; rc == XU_OK && i < nd; i++)
		rc = queue_hello(pc, &due[i], err);
	/* Owed drops that wait (pairing just done, or a restart). */
	if (rc == XU_OK)
		rc = eng_store_owed_each(pc->st, collect_owed, &owed, err);
	for (size_t i = 0; rc == XU_OK && i < owed.n; i++)
		rc = feed_owed(pc, owed.v[i], err);
out:
	free(owed.v);
	free(ov);
	free(iv);
	return rc;
}

/* Forgets lookups idle for LOOKUP_FORGET_MS (a peer naming random
 * channels must not grow the list; known channels come back with the
 * next poll). */
static void lookups_prune(struct eng_paychan *pc, int64_t now)
{
	struct lookup **p = &pc->lookups;

	while (*p) {
		struct lookup *l = *p;

		if (!l->inflight && !l->wanted && l->seen_ms &&
		    now - l->seen_ms > LOOKUP_FORGET_MS) {
			*p = l->next;
			free(l);
			continue;
		}
		p = &l->next;
	}
}

void eng_paychan_tick(struct eng_paychan *pc)
{
	int64_t now = eng_wall_ms();
	struct xu_err err = {0};
	enum xu_code rc;
	bool timer;

	if (!pc || eng_store_in_tx(pc->st))
		return;
	lookups_prune(pc, now);
	timer = now - pc->last_tick_ms >= (int64_t)pc->cfg.tick_ms;
	if (timer)
		pc->last_tick_ms = now;
	if (!timer && !pc->acct_dirty)
		return;
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "tick: %s", err.msg);
		return;
	}
	rc = tick_tx(pc, now, timer, &err);
	if (rc == XU_OK && ready(pc) &&
	    now - pc->last_poll_ms >= (int64_t)pc->cfg.poll_ms) {
		pc->last_poll_ms = now;
		rc = poll_all(pc, &err);
	}
	tx_end(pc, rc, &err, "the channel timer");
}

/* ---- setup ------------------------------------------------------------ */

void eng_paychan_cfg_default(struct eng_paychan_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pc_cfg_default(&cfg->pc);
	cfg->poll_ms = 60000;
	cfg->tick_ms = 1000;
	cfg->hello_retry_ms = 1000;
	cfg->claim_resend_ms = 10000;
	cfg->recover_alert_ms = 600000;
	cfg->claim_stall_ms = 2000;
	cfg->lookup_fresh_ms = 5000;
	cfg->allow_dangerous = false;
}

/* A new process: every outgoing record's old monotonic timers are void,
 * and its last signed claim may be older than the peer's (a restored
 * store): pc_out_restart starts a recovery, which the first tick asks. */
static enum xu_code restart_records(struct eng_paychan *pc, struct xu_err *err)
{
	struct eng_chan_out *ov = NULL;
	size_t on = 0;
	enum xu_code rc;

	rc = tx_begin(pc, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_out_all(pc->st, &ov, &on, err);
	for (size_t i = 0; rc == XU_OK && i < on; i++) {
		pc_out_restart(&ov[i].ch);
		rc = eng_chan_out_put(pc->st, &ov[i], err);
	}
	free(ov);
	if (rc == XU_OK)
		return eng_store_commit(pc->st, err);
	eng_store_rollback(pc->st);
	return rc;
}

enum xu_code eng_paychan_new(struct eng_paychan **out,
			     const struct eng_paychan_env *env,
			     const struct eng_paychan_cfg *cfg,
			     struct xu_err *err)
{
	struct eng_paychan *pc;
	struct xl_client_listener l;
	struct xl_rippled *r = env->rippled;
	struct xu_err rerr = {0};
	enum xu_code rc;

	*out = NULL;
	rc = pc_cfg_check(&cfg->pc, cfg->allow_dangerous, err);
	if (rc != XU_OK)
		return rc;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	pc->rippled = env->rippled;
	pc->st = env->store;
	pc->ob = env->outbox;
	pc->kp = env->kp;
	pc->cfg = *cfg;
	cr_account_id_of(&pc->self, &pc->kp->pub);
	cr_address_encode(pc->address, &pc->self);
	if (!xl_drops_from_u64(&pc->fee, 10))
		pc->fee = xl_drops_zero();
	/* Hellos that were with the outbox when we stopped: their answer
	 * may be lost, so ask again soon (a repeat is harmless). */
	if (eng_chan_peer_rearm_hellos(pc->st, &rerr) != XU_OK)
		xu_unusual(SUB, "cannot re-arm hellos: %s", rerr.msg);
	eng_msgs_register(env->msgs, "hello", msg_hello, pc);
	eng_msgs_register(env->msgs, "claim", msg_claim, pc);
	eng_msgs_register(env->msgs, "channel_update", msg_channel_update, pc);
	eng_msgs_register(env->msgs, "close_request", msg_close_request, pc);
	eng_msgs_register(env->msgs, "last_claim", msg_last_claim, pc);
	eng_outbox_on_reply(pc->ob, "hello", on_outbox_reply, pc);
	eng_outbox_on_reply(pc->ob, "claim", on_outbox_reply, pc);
	eng_outbox_on_reply(pc->ob, "last_claim", on_outbox_reply, pc);
	rc = restart_records(pc, err);
	if (rc != XU_OK) {
		free(pc);
		return rc;
	}
	if (r) {
		memset(&l, 0, sizeof(l));
		l.on_ready = on_ready;
		l.on_ledger = on_ledger;
		l.on_tx = on_tx;
		l.arg = pc;
		rc = xl_client_listen(xl_rippled_client(r), &l, err);
		if (rc != XU_OK) {
			free(pc);
			return rc;
		}
	}
	*out = pc;
	return XU_OK;
}

void eng_paychan_free(struct eng_paychan *pc)
{
	if (!pc)
		return;
	while (pc->builds) {
		struct build *b = pc->builds;

		pc->builds = b->next;
		free(b);
	}
	while (pc->lookups) {
		struct lookup *l = pc->lookups;

		pc->lookups = l->next;
		free(l);
	}
	free(pc->dirty);
	while (pc->accts) {
		struct acct *a = pc->accts;

		pc->accts = a->next;
		free(a);
	}
	free(pc);
}

void eng_paychan_stats(const struct eng_paychan *pc,
		       struct eng_paychan_stats *st)
{
	*st = pc->stats;
}

/* Adds "<state name>": n to obj for every state some record is in. */
static void add_states(json_t *obj, const uint64_t *n, int nstates, bool out)
{
	if (!obj)
		return;
	for (int s = 0; s < nstates; s++) {
		const char *name = out ? pc_out_state_name((enum pc_out_state)s)
				       : pc_in_state_name((enum pc_in_state)s);

		if (n[s])
			json_object_set_new(obj, name,
					    json_integer((json_int_t)n[s]));
	}
}

json_t *eng_paychan_health(struct eng_paychan *pc)
{
	const struct eng_paychan_stats *s = &pc->stats;
	json_t *outs = json_object(), *ins = json_object();
	uint64_t nout[PC_OUT_NSTATES], nin[PC_IN_NSTATES];
	uint64_t unpaired, recovering;
	struct xu_err err;

	/* Failures leave 0s: /health answers whatever the store says. */
	if (eng_chan_out_count_states(pc->st, nout, &err) == XU_OK)
		add_states(outs, nout, PC_OUT_NSTATES, true);
	if (eng_chan_in_count_states(pc->st, nin, &err) == XU_OK)
		add_states(ins, nin, PC_IN_NSTATES, false);
	if (eng_chan_peer_count_unpaired(pc->st, &unpaired, &err) != XU_OK)
		unpaired = 0;
	if (eng_chan_out_count_recovering(pc->st, &recovering, &err) != XU_OK)
		recovering = 0;
	return json_pack(
	    "{s:o*,s:o*,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "outgoing", outs, "incoming", ins, "unpaired", (json_int_t)unpaired,
	    "recovering", (json_int_t)recovering, "claims_signed",
	    (json_int_t)s->claims_signed, "claims_accepted",
	    (json_int_t)s->claims_accepted, "claims_rejected",
	    (json_int_t)s->claims_rejected, "paid_drops",
	    (json_int_t)s->paid_drops, "credited_drops",
	    (json_int_t)s->credits_drops, "hellos_sent",
	    (json_int_t)s->hellos_sent, "lookups", (json_int_t)s->lookups,
	    "alerts", (json_int_t)s->alerts, "txs_submitted",
	    (json_int_t)s->txs_submitted, "tx_failures",
	    (json_int_t)s->tx_failures, "recovered_drops",
	    (json_int_t)s->recovered_drops);
}
