/* Watching the ledger: ledger_entry lookups of the channels (a
 * validated view, or its absence, applied to the record it concerns in a
 * transaction of ours), account_info of our own account, and the rippled
 * client listener, which keeps the latest ledger (close time, fee,
 * reserves) and asks for a poll when a transaction touches a channel of
 * ours.  The tick decides when every channel is polled (tick.c). */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "ledger/net/rippled.h"
#include "src/util/log.h"

#define LOOKUP_TIMEOUT_MS 10000
/* Ledgers a page's view may be past the one whose view the record took
 * and still skip the record (page_views); with effects.c's
 * VIEW_INDEX_PERSIST, the record's index is at most 4,096 behind. */
#define VIEW_SUM_SPAN 2048u
/* Requests out at a time.  Ids only a peer named get at most
 * LOOKUPS_PEER_SHARE of them while lookups of our records wait, and our
 * polls cannot hold a claim's lookup back (lookups_flush,
 * docs/risks.md#random-channel-id-lookup-storms). */
#define LOOKUPS_INFLIGHT_MAX 32
#define LOOKUPS_PEER_SHARE (LOOKUPS_INFLIGHT_MAX / 2)
/* Per account: lookups of ids no record of ours has (held until
 * forgotten), and how many new ones per window
 * (docs/risks.md#random-channel-id-lookup-storms). */
#define PEER_UNKNOWN_MAX 16
#define PEER_UNKNOWN_BURST 8
#define PEER_UNKNOWN_WINDOW_MS 10000
/* Answered lookups are forgotten after this (ours come back with the
 * next poll); ids only a peer named, sooner. */
#define LOOKUP_FORGET_MS (10 * 60 * 1000)
#define UNKNOWN_FORGET_MS (60 * 1000)

/* ---- lookups (ledger_entry of a channel) ------------------------------ */

struct lookup *lookup_of(struct eng_paychan *pc,
			 const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	return xu_map_get(&pc->lookup_map, id);
}

static void q_unlink(struct eng_paychan *pc, struct lookup *l)
{
	struct lookup_list *q = &pc->lq[l->q];

	if (l->q == LQ_NONE)
		return;
	if (l->qprev)
		l->qprev->qnext = l->qnext;
	else
		q->head = l->qnext;
	if (l->qnext)
		l->qnext->qprev = l->qprev;
	else
		q->tail = l->qprev;
	l->qnext = l->qprev = NULL;
	l->q = LQ_NONE;
}

/* Puts l in the queue its flags say (service.h, enum lookup_q), at the
 * tail when it moves: call after changing wanted, inflight, seen_ms or
 * owned. */
static void lookup_q(struct eng_paychan *pc, struct lookup *l)
{
	int q = LQ_NONE;
	struct lookup_list *t;

	if (l->wanted && !l->owned)
		q = LQ_WANT_PEER;
	else if (l->wanted)
		q = l->waited ? LQ_WANT_WAIT : LQ_WANT_OURS;
	else if (!l->inflight && l->seen_ms)
		q = l->owned ? LQ_IDLE_OURS : LQ_IDLE_PEER;
	if (q == l->q)
		return;
	q_unlink(pc, l);
	if (q == LQ_NONE)
		return;
	t = &pc->lq[q];
	l->q = q;
	l->qprev = t->tail;
	if (t->tail)
		t->tail->qnext = l;
	else
		t->head = l;
	t->tail = l;
}

/* Sets l wanted (a request should go out). */
static void want(struct eng_paychan *pc, struct lookup *l)
{
	l->wanted = true;
	lookup_q(pc, l);
}

/* The account of an unbound lookup: one empty string for all, never
 * written (a lookup's account is kept to the bytes it needs: there is one
 * lookup per channel, 20,000 at 10,000 links). */
static char unbound[1];

/* l's account becomes s (owned; unbound when NULL). */
static void lookup_bind(struct lookup *l, char *s)
{
	if (l->account != unbound)
		free(l->account);
	l->account = s ? s : unbound;
}

/* A lookup only a peer's message asked for stops counting against that
 * account (it becomes ours, or is forgotten). */
static void unknown_release(struct eng_paychan *pc, struct lookup *l)
{
	struct acct *a;

	if (l->owned || !l->account[0])
		return;
	a = acct_of(pc, l->account);
	if (a && a->unknown > 0)
		a->unknown--;
	lookup_bind(l, NULL);
}

void lookup_destroy(struct lookup *l)
{
	lookup_bind(l, NULL);
	free(l);
}

/* Unlinks and frees l (not in flight). */
static void lookup_free(struct eng_paychan *pc, struct lookup *l)
{
	q_unlink(pc, l);
	xu_map_del(&pc->lookup_map, l->id);
	unknown_release(pc, l);
	lookup_destroy(l);
}

/* The lookup of channel id, made (unbound) when there is none; NULL
 * when out of memory. */
static struct lookup *lookup_get(struct eng_paychan *pc,
				 const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	struct lookup *l = lookup_of(pc, id);

	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pc = pc;
	l->account = unbound;
	memcpy(l->id, id, CR_CHANNEL_ID_BYTES);
	if (xu_map_put(&pc->lookup_map, l, NULL) != XU_OK) {
		free(l);
		return NULL;
	}
	return l;
}

/* Asks for a look at channel id for one of our records (sent outside
 * transactions): the records say whose it is and which way it goes. */
struct lookup *lookup_want(struct eng_paychan *pc,
			   const uint8_t id[CR_CHANNEL_ID_BYTES],
			   const char *account, bool incoming)
{
	struct lookup *l = lookup_of(pc, id);
	bool same = account && l && l->owned && !strcmp(l->account, account);
	char *s = NULL;

	/* Copied only when the account changes: every poll round asks again
	 * for every channel of ours. */
	if (account && !same && !(s = strdup(account)))
		return NULL;
	l = lookup_get(pc, id);
	if (!l) {
		free(s);
		return NULL;
	}
	if (s) {
		unknown_release(pc, l);
		lookup_bind(l, s);
	}
	if (account) {
		l->incoming = incoming;
		l->owned = true;
	}
	want(pc, l);
	return l;
}

/* A peer's message names channel id: never rebinds a lookup our records
 * own (docs/risks.md#peer-message-turning-an-outgoing-lookup-into-an-incoming-one). */
enum xu_code lookup_peer(struct eng_paychan *pc,
			 const uint8_t id[CR_CHANNEL_ID_BYTES],
			 const char *account, bool *refused, struct xu_err *err)
{
	struct lookup *l = lookup_of(pc, id);
	struct eng_chan_out o;
	struct eng_chan_in r;
	char hex[HEXID];
	bool have;
	enum xu_code rc;

	*refused = false;
	hexid(hex, id);
	rc = eng_chan_in_get(pc->st, id, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have) {
		if (strcmp(r.account, account) != 0) {
			*refused = true;
			xu_unusual(SUB,
				   "%s names channel %s of account %s: not "
				   "looked up for it",
				   account, hex, r.account);
			return XU_OK;
		}
		l = lookup_want(pc, id, r.account, true);
		/* The peer waits for this answer: before our polls. */
		if (l && !l->inflight) {
			l->waited = true;
			lookup_q(pc, l);
		}
		return XU_OK;
	}
	rc = eng_chan_out_by_id(pc->st, id, &o, &have, err);
	if (rc != XU_OK)
		return rc;
	if (have || (l && l->owned)) {
		*refused = true;
		xu_unusual(SUB, "%s names our channel %s: not looked up for it",
			   account, hex);
		return XU_OK;
	}
	/* Bound to another account and not answered yet: its answer first
	 * (a view links a record only to the account whose peer owns the
	 * channel; answered without one, the binding proved nothing). */
	if (l && strcmp(l->account, account) != 0 &&
	    (l->wanted || l->inflight || !l->seen_ms))
		return XU_OK;
	/* Asked again for the same id by the same account: nothing new
	 * while it is out or freshly answered. */
	if (l && !strcmp(l->account, account) &&
	    (l->wanted || l->inflight ||
	     (l->seen_ms &&
	      wall_ms(pc) - l->seen_ms < (int64_t)pc->cfg.lookup_fresh_ms)))
		return XU_OK;
	if (!l || strcmp(l->account, account) != 0) {
		struct acct *a = acct_of(pc, account);
		uint32_t held;

		if (!a)
			return XU_OK; /* out of memory: the peer asks again */
		if (a->unknown >= PEER_UNKNOWN_MAX ||
		    !xu_rlimit_allow(&a->unknown_rate, wall_ms(pc),
				     PEER_UNKNOWN_BURST, PEER_UNKNOWN_WINDOW_MS,
				     &held))
			return xu_fail(err, XU_EUNAVAIL, 0,
				       "%s names too many channels we do not "
				       "know; %s not looked up, retry later",
				       account, hex);
		char *s = strdup(account);

		l = s ? lookup_get(pc, id) : NULL;
		if (!l) {
			free(s);
			return XU_OK; /* out of memory: the peer asks again */
		}
		unknown_release(pc, l);
		lookup_bind(l, s);
		a->unknown++;
	}
	l->incoming = true;
	want(pc, l);
	return XU_OK;
}

/* The field names of a channel's view: a ledger_entry node's, or an
 * account_channels entry's (which always has the balance). */
struct view_names {
	const char *src, *dst, *pk, *amount, *balance, *delay, *exp, *cancel;
	bool need_balance;
};
static const struct view_names ledger_names = {
    "Account",	   "Destination", "PublicKey",	 "Amount", "Balance",
    "SettleDelay", "Expiration",  "CancelAfter", false,
};
/* Balance is optional in ledger_entry, never in account_channels: an
 * entry without it is not one rippled wrote. */
static const struct view_names page_names = {
    "account", "destination_account", "public_key_hex", "amount",
    "balance", "settle_delay",	      "expiration",	"cancel_after",
    true,
};

static bool view_from(struct pc_view *v, json_t *node,
		      const uint8_t id[CR_CHANNEL_ID_BYTES],
		      const struct view_names *n)
{
	const char *src = xl_json_str(node, n->src);
	const char *dst = xl_json_str(node, n->dst);
	const char *pk = xl_json_str(node, n->pk);
	uint64_t amount, balance = 0;

	memset(v, 0, sizeof(*v));
	memcpy(v->id, id, CR_CHANNEL_ID_BYTES);
	if (!src || !dst || !pk ||
	    cr_address_decode(&v->source, src, NULL) != XU_OK ||
	    cr_address_decode(&v->dest, dst, NULL) != XU_OK ||
	    xu_hex_decode_exact(v->pubkey, CR_PUBKEY_BYTES, pk, NULL) !=
		XU_OK ||
	    !xl_json_u64(node, n->amount, &amount) ||
	    !xl_json_u32(node, n->delay, &v->settle_delay))
		return false;
	if (json_object_get(node, n->balance)) {
		if (!xl_json_u64(node, n->balance, &balance))
			return false;
	} else if (n->need_balance)
		return false;
	if (!xl_drops_from_u64(&v->amount, amount) ||
	    !xl_drops_from_u64(&v->balance, balance))
		return false;
	if (json_object_get(node, n->exp)) {
		if (!xl_json_u32(node, n->exp, &v->expiration))
			return false;
		v->has_expiration = true;
	}
	if (json_object_get(node, n->cancel)) {
		if (!xl_json_u32(node, n->cancel, &v->cancel_after))
			return false;
		v->has_cancel_after = true;
	}
	return true;
}

bool eng_paychan_view_from_json(struct pc_view *v, json_t *node,
				const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	return view_from(v, node, id, &ledger_names);
}

/* Applies a validated view (or the channel's absence from the validated
 * ledger `ledger`) to the record it concerns. */
static enum xu_code apply_view(struct eng_paychan *pc, struct lookup *l,
			       bool found, const struct pc_view *v,
			       uint32_t ledger, struct xu_err *err)
{
	struct pc_event ev;
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct eng_chan_peer peer;
	bool have, frozen;
	enum xu_code rc;

	memset(&ev, 0, sizeof(ev));
	ev.clk = clock_now(pc);
	if (found) {
		ev.kind = PC_EV_LEDGER;
		ev.u.view = *v;
	} else {
		ev.kind = PC_EV_GONE;
		ev.u.gone_ledger = ledger;
	}
	/* Ours (outgoing)? */
	if (!l->incoming && l->account[0]) {
		rc = eng_chan_out_get(pc->st, l->account, &o, &have, err);
		if (rc != XU_OK)
			return rc;
		if (!have || !o.ch.has_id ||
		    memcmp(o.ch.id, l->id, CR_CHANNEL_ID_BYTES))
			return XU_OK;
		/* The newest ledger that showed it, which an unchanged view
		 * did not write (effects.c index_only): a channel gone is
		 * searched for from there (history.c). */
		if (!found && l->found_at > o.ch.seen_ledger)
			o.ch.seen_ledger = l->found_at;
		return out_event(pc, &o, &ev, err);
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
		/* Pruned once closed: gone from the ledger, so any view of it
		 * is a lagging server's; never linked again. */
		rc = eng_chan_in_closed_has(pc->st, l->id, &have, err);
		if (rc != XU_OK || have)
			return rc;
		rc = eng_chan_in_final_take(pc->st, l->id, l->account, &frozen,
					    err);
		if (rc != XU_OK)
			return rc;
		memset(&r, 0, sizeof(r));
		snprintf(r.account, sizeof(r.account), "%s", l->account);
		pc_in_init(&r.ch, &pc->self, &peer.address, l->id);
		/* Its payer already had our final word on it: no claim on it
		 * is credited (docs/risks.md#final-answer-without-a-record). */
		r.ch.frozen = frozen;
		xu_info(SUB, "%s: incoming channel linked%s", l->account,
			frozen ? " (frozen: the peer had our final answer)"
			       : "");
		ledger_peer(pc, &peer.address);
	}
	return in_event(pc, &r, &ev, NULL, err);
}

/* The validated ledger an answer is from, into *index: the ledger_index
 * obj gives (rippled puts it in the result of a success and beside the
 * error token of an error) with validated true, or, when obj has no
 * ledger fields (some rippled versions answer entryNotFound bare), the
 * validated ledger the request named (asked; 0: "validated", which says
 * nothing then).  False when it cannot be told. */
static bool validated_at(json_t *obj, uint32_t asked, uint32_t *index)
{
	json_t *val = json_object_get(obj, "validated");
	uint32_t i;

	if (!obj || (val && !json_is_true(val)))
		return false;
	if (xl_json_u32(obj, "ledger_index", &i) && i > 0) {
		if (asked && i != asked)
			return false;
		*index = i;
		return true;
	}
	if (!asked || json_object_get(obj, "ledger_index"))
		return false;
	*index = asked;
	return true;
}

/* A poll's answer that showed our channel, waiting for
 * eng_paychan_views_flush: up to VIEWS_MAX, then they are applied at
 * once.  At 20,000 channels polled each minute a commit per answer was
 * most of the engine's idle work. */
#define VIEWS_MAX 256
struct view_wait {
	uint8_t id[CR_CHANNEL_ID_BYTES];
	uint32_t ledger;
	struct pc_view v;
};

/* Keeps view v of l's channel (validated ledger `ledger`) for the next
 * flush; false when it cannot wait (out of memory, or full inside a
 * transaction): apply it now. */
static bool view_wait(struct eng_paychan *pc, const struct lookup *l,
		      const struct pc_view *v, uint32_t ledger)
{
	struct view_wait *w;

	if (!pc->views) {
		pc->views = calloc(VIEWS_MAX, sizeof(*pc->views));
		if (!pc->views)
			return false;
	}
	if (pc->nviews == VIEWS_MAX)
		eng_paychan_views_flush(pc);
	if (pc->nviews == VIEWS_MAX)
		return false;
	w = &pc->views[pc->nviews++];
	memcpy(w->id, l->id, CR_CHANNEL_ID_BYTES);
	w->ledger = ledger;
	w->v = *v;
	return true;
}

void eng_paychan_views_flush(struct eng_paychan *pc)
{
	struct xu_err err = {0};
	enum xu_code rc = XU_OK;
	size_t n;

	if (!pc || pc->nviews == 0 || eng_store_in_tx(pc->st))
		return;
	n = pc->nviews;
	pc->nviews = 0;
	if (tx_begin(pc, &err) != XU_OK) {
		/* Dropped: the next polls ask again. */
		xu_broken(SUB, "applying %zu ledger views: %s", n, err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct view_wait *w = &pc->views[i];
		struct lookup *l = lookup_of(pc, w->id);

		/* Forgotten since, or a newer view applied (a resync's
		 * page): the record has this one or better. */
		if (!l || w->ledger < l->ledger)
			continue;
		rc = apply_view(pc, l, true, &w->v, w->ledger, &err);
		if (rc != XU_OK && !xu_code_is_input(rc))
			break;
		if (rc != XU_OK) {
			/* Refused by the core (the record is unchanged). */
			char hex[HEXID];

			hexid(hex, w->id);
			xu_unusual(SUB, "ledger view of channel %s refused: %s",
				   hex, err.msg);
			rc = XU_OK;
		}
	}
	tx_end(pc, rc, &err, "applying the polls' ledger views");
}

static void on_lookup_reply(void *arg, enum xu_code code, json_t *msg,
			    const struct xu_err *rerr)
{
	struct lookup *l = arg;
	struct eng_paychan *pc = l->pc;
	json_t *res = msg ? xl_ws_result(msg) : NULL;
	json_t *node = res ? json_object_get(res, "node") : NULL;
	const char *tok = msg ? xl_json_str(msg, "error") : NULL;
	struct pc_view v;
	struct xu_err err = {0};
	enum xu_code rc;
	char id[HEXID];
	uint32_t ledger = 0;
	bool found;

	l->inflight = false;
	if (pc->lookups_inflight > 0)
		pc->lookups_inflight--;
	if (l->peer_slot && pc->lookups_inflight_peer > 0)
		pc->lookups_inflight_peer--;
	l->peer_slot = false;
	lookup_q(pc, l);
	hexid(id, l->id);
	memset(&v, 0, sizeof(v));
	/* Only a view from a validated ledger, or a definite "no such entry
	 * in validated ledger N", is news about the channel.  lgrNotFound
	 * (the server lacks the ledger), a busy server or an answer that
	 * does not say which validated ledger it is from: ask again
	 * (docs/risks.md#one-lgrnotfound-closing-an-incoming-record-forever). */
	if (code == XU_OK && node &&
	    eng_paychan_view_from_json(&v, node, l->id) &&
	    validated_at(res, l->asked_at, &ledger)) {
		found = true;
		v.ledger_index = ledger;
	} else if (code == XU_ENOTFOUND && tok &&
		   !strcmp(tok, "entryNotFound") &&
		   validated_at(msg, l->asked_at, &ledger)) {
		found = false;
	} else {
		xu_unusual(SUB, "ledger_entry %s: %s", id,
			   rerr ? rerr->msg
				: "no validated view in the answer");
		/* Ours: again at the next tick.  An id only a peer named:
		 * forgotten (the peer asks again, within its budget), so a
		 * storm of them cannot feed itself. */
		if (l->owned || l->seen_ms)
			want(pc, l);
		else
			lookup_free(pc, l);
		return;
	}
	/* A server behind the one that answered last (a load balancer):
	 * its answer is older than what we know.  The records check it too
	 * (their index survives a restart); this keeps found and seen_ms. */
	if (ledger < l->ledger) {
		xu_info(SUB,
			"ledger_entry %s: an answer from ledger %u, older "
			"than %u: ignored, asked again",
			id, (unsigned)ledger, (unsigned)l->ledger);
		want(pc, l);
		return;
	}
	l->ledger = ledger;
	l->found = found;
	if (found && ledger > l->found_at)
		l->found_at = ledger;
	l->seen_ms = wall_ms(pc);
	lookup_q(pc, l);
	/* A poll of ours that found the channel waits for the next flush
	 * (within the cron's 100 ms): the record keeps its older view of a
	 * channel still there meanwhile.  A channel gone, one a peer's
	 * message waits for, or one only a peer named is applied now
	 * (docs/risks.md#crediting-on-a-stale-or-unvalidated-view). */
	if (found && l->owned && !l->waited && view_wait(pc, l, &v, ledger)) {
		lookups_flush(pc); /* its slot is free for the next */
		return;
	}
	rc = tx_begin(pc, &err);
	if (rc != XU_OK) {
		xu_broken(SUB, "ledger_entry %s: %s", id, err.msg);
		return;
	}
	rc = apply_view(pc, l, found, &v, ledger, &err);
	tx_end(pc, rc, &err, "applying a ledger view");
}

void view_sum_drop(struct eng_paychan *pc,
		   const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	struct lookup *l = lookup_of(pc, id);

	if (l)
		l->vsum_ok = false;
}

/* The digest of view v but its ledger index (views are built zeroed,
 * eng_paychan_view_from_json: no padding differs). */
static void view_sum(uint8_t out[32], const struct pc_view *v)
{
	struct pc_view c = *v;

	c.ledger_index = 0;
	cr_sha256(out, (const uint8_t *)&c, sizeof(c));
}

struct xl_client *ledger_client(struct eng_paychan *pc)
{
	struct xl_rippled *r = pc->rippled;

	return r ? xl_rippled_client(r) : NULL;
}

void ledger_peer(struct eng_paychan *pc, const struct cr_account_id *addr)
{
	struct xl_client *c = ledger_client(pc);
	char a[CR_ADDRESS_STRLEN];
	struct xu_err err;

	if (!c)
		return;
	cr_address_encode(a, addr);
	if (xl_client_add_peer(c, a, &err) != XU_OK && !pc->peers_full) {
		pc->peers_full = true;
		xu_info(SUB,
			"%s: its channels to us are not read with the resync "
			"(%s); they are polled",
			a, err.msg);
	}
}

bool rippled_ready(struct eng_paychan *pc)
{
	struct xl_client *c = ledger_client(pc);

	return c && xl_client_state(c) == XL_CLIENT_READY;
}

static void on_account_reply(void *arg, enum xu_code code, json_t *msg,
			     const struct xu_err *rerr);

/* Sends queue q's wanted lookups while fewer than LOOKUPS_INFLIGHT_MAX
 * are out, and for LQ_WANT_PEER fewer than peer_max of those; false when
 * a request could not be made (the rest waits for the next flush). */
static bool flush_q(struct eng_paychan *pc, struct xl_client *c, uint32_t v,
		    int q, uint32_t peer_max)
{
	bool peer = q == LQ_WANT_PEER;
	struct xu_err err;
	char id[HEXID];

	for (struct lookup *l = pc->lq[q].head, *next; l; l = next) {
		next = l->qnext;
		if (l->inflight)
			continue; /* wanted again once answered */
		if (pc->lookups_inflight >= LOOKUPS_INFLIGHT_MAX ||
		    (peer && pc->lookups_inflight_peer >= peer_max))
			return true;
		hexid(id, l->id);
		json_t *req = v ? json_pack("{s:s,s:s,s:I}", "command",
					    "ledger_entry", "payment_channel",
					    id, "ledger_index", (json_int_t)v)
				: json_pack("{s:s,s:s,s:s}", "command",
					    "ledger_entry", "payment_channel",
					    id, "ledger_index", "validated");
		if (!req)
			return false;
		if (xl_client_request(c, req, LOOKUP_TIMEOUT_MS,
				      on_lookup_reply, l, &err) != XU_OK) {
			xu_debug(SUB, "ledger_entry %s not sent: %s", id,
				 err.msg);
			return false;
		}
		l->wanted = false;
		l->waited = false;
		l->inflight = true;
		l->peer_slot = peer;
		lookup_q(pc, l);
		l->asked_at = v;
		pc->lookups_inflight++;
		if (peer)
			pc->lookups_inflight_peer++;
		pc->stats.lookups++;
	}
	return true;
}

/* Sends the wanted lookups (and account_info); outside transactions.
 * First those of our records a peer's message awaits (a claim on a
 * record without a fresh view: answered 503 until then), then ids only a
 * peer named, up to LOOKUPS_PEER_SHARE out, then our polls, then peer
 * ones again in the slots our polls leave idle.  So a storm of random ids
 * leaves our records at least half the slots, and our polls leave a new
 * channel's claim its share
 * (docs/risks.md#random-channel-id-lookup-storms). */
void lookups_flush(struct eng_paychan *pc)
{
	struct xl_client *c = ledger_client(pc);
	struct xu_err err;
	uint32_t v;

	if (!rippled_ready(pc))
		return;
	/* Named by number (the newest validated ledger the stream showed),
	 * so that every answer says which validated ledger it is about: a
	 * server without that ledger answers lgrNotFound, asked again. */
	v = xl_client_validated_index(c);
	if (!flush_q(pc, c, v, LQ_WANT_WAIT, 0) ||
	    !flush_q(pc, c, v, LQ_WANT_PEER, LOOKUPS_PEER_SHARE) ||
	    !flush_q(pc, c, v, LQ_WANT_OURS, 0) ||
	    !flush_q(pc, c, v, LQ_WANT_PEER, LOOKUPS_INFLIGHT_MAX))
		return;
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

/* The idle queues are in the order of the answers (seen_ms): only their
 * heads can be due. */
void lookups_prune(struct eng_paychan *pc, int64_t now)
{
	for (int q = LQ_IDLE_OURS; q <= LQ_IDLE_PEER; q++) {
		struct lookup *l;

		while ((l = pc->lq[q].head) != NULL) {
			int64_t keep =
			    l->owned ? LOOKUP_FORGET_MS : UNKNOWN_FORGET_MS;

			if (now - l->seen_ms <= keep)
				break;
			lookup_free(pc, l);
		}
	}
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

/* rippled's base fee, v drops.  A lower one can make the redeem
 * policy's fee rule pass where it failed: incoming records held at
 * "never" by the due index (in_next_due, tick.c: no time alone would
 * redeem them at the old fee) could now be redeemed, and nothing writes
 * them.  So the next timer tick sweeps every record, and gives each its
 * due time at the new fee.  A higher one only makes some due times
 * early (a check that finds nothing). */
static void set_fee(struct eng_paychan *pc, uint64_t v)
{
	struct xl_drops old = pc->fee;

	set_drops(&pc->fee, v);
	if (xl_drops_cmp(pc->fee, old) < 0)
		pc->swept = false;
}

/* rippled showed a validated ledger closed at t (0: it did not say):
 * the ledger time moves forward only, and is fresh from now on. */
static void set_ledger_time(struct eng_paychan *pc, uint32_t t)
{
	if (!t)
		return;
	if (t > pc->ledger_time)
		pc->ledger_time = t;
	pc->ledger_seen_ms = mono_ms(pc);
}

/* The validated view an account_channels entry e gives, into *v with
 * the ledger it was read at: only from a page of a validated ledger
 * (`ledger`, or when 0 the entry's "ledger_index" the client tagged it
 * with, client.h) with every field a ledger_entry view has
 * (eng_paychan_view_from_json, from the same fields under
 * account_channels' names).  False otherwise. */
static bool page_view(json_t *e, uint32_t ledger,
		      uint8_t id[CR_CHANNEL_ID_BYTES], struct pc_view *v)
{
	const char *hex = xl_json_str(e, "channel_id");

	if (!hex ||
	    xu_hex_decode_exact(id, CR_CHANNEL_ID_BYTES, hex, NULL) != XU_OK ||
	    (!ledger && !xl_json_u32(e, "ledger_index", &ledger)) || !ledger ||
	    !view_from(v, e, id, &page_names))
		return false;
	v->ledger_index = ledger;
	return true;
}

/* The views of account_channels pages (a resync's, or a poll round's:
 * pages.c; entries ours or the peers' to us) are applied as answers to
 * lookups (on_lookup_reply; never GONE: an entry missing from pages
 * proves nothing), and each lookup whose view the record took is marked
 * seen with `stamp`, so that the poll walk skips it (tick.c poll_out).
 * Channels no record has are left to the polls and the peers' messages
 * (a page never links a record). */
size_t page_views(struct eng_paychan *pc, json_t *entries, uint32_t ledger,
		  bool incoming, uint32_t stamp, int64_t read_ms)
{
	struct xu_err err = {0};
	enum xu_code rc;
	size_t i, n = 0;
	json_t *e;
	struct seen {
		struct lookup *l;
		uint32_t ledger;
		bool asked; /* wanted, out or awaited before the page */
		bool fast;  /* the record holds it already (vsum) */
		bool plain; /* an open incoming record took it (vsum) */
		uint8_t sum[32];
	} * seen;

	if (!json_array_size(entries))
		return 0;
	seen = calloc(json_array_size(entries), sizeof(*seen));
	if (!seen || tx_begin(pc, &err) != XU_OK) {
		free(seen);
		return 0;
	}
	rc = XU_OK;
	json_array_foreach(entries, i, e)
	{
		uint8_t id[CR_CHANNEL_ID_BYTES];
		struct pc_view v;
		struct eng_chan_out o;
		struct eng_chan_in r;
		struct lookup *l;
		bool have, asked, was_wanted;

		if (!page_view(e, ledger, id, &v))
			continue;
		/* A lookup something asked for (a transaction that touched
		 * the channel, a peer's message) wants a newer ledger than
		 * the page's: it still goes out, and the page does not
		 * count as its answer. */
		l = lookup_of(pc, id);
		asked = l && (l->wanted || l->inflight || l->waited);
		was_wanted = l && l->wanted;
		view_sum(seen[n].sum, &v);
		/* Shown again as an open incoming record took it from a
		 * page, with no write of the record since, and not closing:
		 * nothing to read or step (the core would change only the
		 * index), only the lookup learns the newer ledger (at
		 * most VIEW_SUM_SPAN past the one the record took, so that
		 * the record's own index, which an unchanged view does not
		 * write, stays within 4,096 ledgers: effects.c index_only). */
		if (l && l->owned && l->incoming && l->vsum_ok && !asked &&
		    !v.has_expiration && !v.has_cancel_after &&
		    v.ledger_index >= l->ledger &&
		    v.ledger_index - l->vsum_at < VIEW_SUM_SPAN &&
		    !memcmp(seen[n].sum, l->vsum, sizeof(l->vsum))) {
			seen[n].l = l;
			seen[n].ledger = v.ledger_index;
			seen[n].asked = false;
			seen[n].fast = true;
			seen[n].plain = false;
			n++;
			continue;
		}
		/* A page older than the record's view (a lagging server):
		 * not applied, not counted; the poll asks. */
		if (incoming) {
			rc = eng_chan_in_get(pc->st, id, &r, &have, &err);
			if (rc != XU_OK)
				break;
			if (!have || r.ch.state == PC_IN_CLOSED ||
			    (r.ch.has_view &&
			     v.ledger_index < r.ch.view.ledger_index))
				continue;
			l = lookup_want(pc, id, r.account, true);
		} else {
			rc = eng_chan_out_by_id(pc->st, id, &o, &have, &err);
			if (rc != XU_OK)
				break;
			if (!have || o.ch.state == PC_OUT_CLOSED ||
			    v.ledger_index < o.ch.seen_ledger)
				continue;
			l = lookup_want(pc, id, o.account, false);
		}
		if (!l)
			continue;
		/* lookup_want asked for a request: the page answers it,
		 * unless one was asked already (then as it was: one out is
		 * not asked again for the page). */
		l->wanted = asked && was_wanted;
		lookup_q(pc, l);
		/* Older than what the lookup applied: news of nothing (the
		 * record's own index is checked by the core too). */
		if (v.ledger_index < l->ledger)
			continue;
		/* As apply_view, on the record just read. */
		{
			struct pc_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.clk = clock_now(pc);
			ev.kind = PC_EV_LEDGER;
			ev.u.view = v;
			rc = incoming ? in_event(pc, &r, &ev, NULL, &err)
				      : out_event(pc, &o, &ev, &err);
		}
		if (rc != XU_OK && !xu_code_is_input(rc))
			break;
		if (rc != XU_OK) {
			/* Refused by the core (the record is unchanged): no
			 * fresh view, the poll asks the ledger. */
			char hex[HEXID];

			hexid(hex, id);
			xu_unusual(SUB, "resync view of channel %s refused: %s",
				   hex, err.msg);
			rc = XU_OK;
			continue;
		}
		seen[n].l = l;
		seen[n].ledger = v.ledger_index;
		seen[n].asked = asked;
		seen[n].fast = false;
		/* Open, not closing: a view the same as its own changes
		 * nothing in such a record but the index (incoming.c
		 * on_ledger), so the next can skip it.  Not an outgoing
		 * one: its core acts on views (a close it waits to make). */
		seen[n].plain = incoming && r.ch.state == PC_IN_OPEN &&
				!r.ch.deleting && !v.has_expiration &&
				!v.has_cancel_after;
		n++;
	}
	/* Seen only once the views are in the records: a rollback leaves the
	 * lookups to the poll, and no claim counts on a view not kept. */
	if (!tx_end(pc, rc, &err, "applying the resync's ledger views"))
		n = 0;
	for (i = 0; i < n; i++) {
		struct lookup *l = seen[i].l;

		if (seen[i].ledger < l->ledger)
			continue;
		l->ledger = seen[i].ledger;
		l->found = true;
		if (l->ledger > l->found_at)
			l->found_at = l->ledger;
		/* As old as the page: when its ledger was the newest. */
		l->seen_ms = read_ms;
		if (!seen[i].asked)
			l->stamp = stamp;
		/* The record holds this view now (committed; a write since
		 * would have dropped the digest, view_sum_drop). */
		if (seen[i].plain) {
			memcpy(l->vsum, seen[i].sum, sizeof(l->vsum));
			l->vsum_at = seen[i].ledger;
			l->vsum_ok = true;
		}
		lookup_q(pc, l);
	}
	free(seen);
	return n;
}

static void on_ready(void *arg, const struct xl_sync_info *s)
{
	struct eng_paychan *pc = arg;
	size_t n;

	set_ledger_time(pc, s->ledger_time);
	set_fee(pc, s->fee_base);
	set_drops(&pc->reserve_base, s->reserve_base);
	set_drops(&pc->reserve_inc, s->reserve_inc);
	if (s->account_found)
		set_account(pc, s->balance, s->owner_count);
	pc->ledger_wall_ms = wall_ms(pc);
	pc->acct_dirty = true;
	pc->last_poll_ms = 0; /* poll every channel now */
	/* ...but those whose view the resync's pages gave
	 * (docs/design.md#scale). */
	pc->stamps++;
	n = page_views(pc, s->channels_out, 0, false, pc->stamps, wall_ms(pc)) +
	    page_views(pc, s->channels_in, 0, true, pc->stamps, wall_ms(pc));
	pc->resync_fresh = n ? pc->stamps : 0;
	pc->stats.page_views += n;
	if (n)
		xu_info(SUB, "resync: %zu channel views from account_channels",
			n);
}

static void on_ledger(void *arg, uint32_t index, json_t *msg)
{
	struct eng_paychan *pc = arg;
	uint32_t t;
	uint64_t v;

	(void)index;
	pc->ledger_wall_ms = wall_ms(pc);
	if (xl_json_u32(msg, "ledger_time", &t))
		set_ledger_time(pc, t);
	if (xl_json_u64(msg, "fee_base", &v))
		set_fee(pc, v);
	if (xl_json_u64(msg, "reserve_base", &v))
		set_drops(&pc->reserve_base, v);
	if (xl_json_u64(msg, "reserve_inc", &v))
		set_drops(&pc->reserve_inc, v);
}

/* A channel the transaction touched (a PayChannel node of its metadata,
 * id its LedgerIndex): looked up when one of our records has it.  False
 * when that cannot be told (the poll of every channel is then asked). */
static bool touched(struct eng_paychan *pc, json_t *node)
{
	const char *type = xl_json_str(node, "LedgerEntryType");
	const char *hex = xl_json_str(node, "LedgerIndex");
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct lookup *l;
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct xu_err err;
	bool have;

	if (!type || strcmp(type, "PayChannel"))
		return true;
	if (!hex ||
	    xu_hex_decode_exact(id, CR_CHANNEL_ID_BYTES, hex, NULL) != XU_OK)
		return false;
	l = lookup_of(pc, id);
	if (l && l->owned) {
		want(pc, l);
		return true;
	}
	/* Not looked at lately: whose is it? */
	if (eng_chan_in_get(pc->st, id, &r, &have, &err) != XU_OK)
		return false;
	if (have) {
		if (r.ch.state != PC_IN_CLOSED)
			lookup_want(pc, id, r.account, true);
		return true;
	}
	if (eng_chan_out_by_id(pc->st, id, &o, &have, &err) != XU_OK)
		return false;
	if (have && o.ch.state != PC_OUT_CLOSED)
		lookup_want(pc, id, o.account, false);
	return true; /* none of ours */
}

static void on_tx(void *arg, json_t *msg)
{
	struct eng_paychan *pc = arg;
	json_t *tx = json_object_get(msg, "transaction");
	json_t *nodes =
	    json_object_get(json_object_get(msg, "meta"), "AffectedNodes");
	const char *type;
	size_t i;
	json_t *n;
	bool ok = json_is_array(nodes);

	if (!tx)
		tx = json_object_get(msg, "tx_json");
	type = tx ? xl_json_str(tx, "TransactionType") : NULL;
	pc->want_acct = true;
	if (!type || strncmp(type, "PaymentChannel", 14))
		return;
	/* A channel of ours changed: look up the ones it touched (the
	 * others did not change), or every one when the metadata does not
	 * say which. */
	json_array_foreach(nodes, i, n)
	{
		const char *k = json_object_iter_key(json_object_iter(n));
		json_t *node = k ? json_object_get(n, k) : NULL;

		ok = ok && node && touched(pc, node);
	}
	if (!ok)
		pc->last_poll_ms = 0;
}

enum xu_code register_listener(struct eng_paychan *pc, struct xu_err *err)
{
	struct xl_client_listener l;

	memset(&l, 0, sizeof(l));
	l.on_ready = on_ready;
	l.on_ledger = on_ledger;
	l.on_tx = on_tx;
	l.arg = pc;
	return xl_client_listen(xl_rippled_client(pc->rippled), &l, err);
}
