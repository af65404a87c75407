/* The peer engine's messages: hello, claim, channel_update,
 * close_request and last_claim, handled inside the engine's batch
 * transaction.  Each answers with a reply (201 and a body), or fails
 * with a code: a 5xx the peer's outbox retries (a claim on a channel
 * without a fresh validated view, from a peer not paired yet), a 4xx
 * for a message we refuse. */
#include "src/paychan/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/io/msgs.h"
#include "src/util/log.h"

/* ---- lines a peer can cause at will (docs/risks.md#log-floods) ---------*/

static const char *const line_names[PEER_LINE_KINDS] = {
    [LINE_LAST_CLAIM] = "last_claim",
    [LINE_CLOSE_REQUEST] = "close_request",
    [LINE_REFUSED] = "claim refusal",
};

/* Counts a line of kind for account: true when it may be logged, with
 * note set to "" or to how many like it were not logged before it. */
static bool peer_line(struct eng_paychan *pc, const char *account,
		      enum peer_line kind, char *note, size_t cap)
{
	struct acct *a = acct_of(pc, account);
	uint32_t held = 0;

	note[0] = '\0';
	if (!a)
		return true;
	if (!xu_rlimit_allow(&a->lines[kind], mono_ms(pc), PEER_LINE_BURST,
			     PEER_LINE_WINDOW_MS, &held)) {
		/* peer_lines_flush looks at the accounts held back only. */
		if (!acct_set_add(&pc->held, &pc->nheld, &pc->capheld, a,
				  &a->lines_held))
			pc->held_lost = true;
		return false;
	}
	if (held)
		snprintf(note, cap, " (%lu %s lines before it not logged)",
			 (unsigned long)held, line_names[kind]);
	return true;
}

static bool lines_held(const struct acct *a)
{
	for (int k = 0; k < PEER_LINE_KINDS; k++)
		if (a->lines[k].suppressed)
			return true;
	return false;
}

void peer_lines_flush(struct eng_paychan *pc)
{
	size_t n = 0;

	if (pc->held_lost) { /* out of memory once: every account again */
		pc->held_lost = false;
		for (struct acct *a = pc->accts; a; a = a->next)
			if (lines_held(a) &&
			    !acct_set_add(&pc->held, &pc->nheld, &pc->capheld,
					  a, &a->lines_held))
				pc->held_lost = true;
	}
	for (size_t i = 0; i < pc->nheld; i++) {
		struct acct *a = pc->held[i];

		for (int k = 0; k < PEER_LINE_KINDS; k++) {
			uint32_t held;

			if (!xu_rlimit_flush(&a->lines[k], mono_ms(pc),
					     PEER_LINE_WINDOW_MS, &held))
				continue;
			if (k == LINE_REFUSED)
				xu_unusual(SUB,
					   "%s: %lu %s lines not logged "
					   "(rate limit)",
					   a->account, (unsigned long)held,
					   line_names[k]);
			else
				xu_info(SUB,
					"%s: %lu %s lines not logged (rate "
					"limit)",
					a->account, (unsigned long)held,
					line_names[k]);
		}
		if (lines_held(a))
			pc->held[n++] = a;
		else
			a->lines_held = false;
	}
	pc->nheld = n;
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
enum xu_code store_hello(struct eng_paychan *pc, const char *account,
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
	/* A new address (docs/risks.md#peer-address-change): the next
	 * channel goes to it; the drops waiting in the record stay owed.  A
	 * live channel to the old one closes first (PC_EV_MOVED): the peer's
	 * engine no longer takes claims on it, and what it leaves unpaid is
	 * owed again once it is gone; so does one whose create is in flight,
	 * once it lands. */
	/* A hello built before the one we took (a delayed copy from an
	 * engine the peer replaced: simulation seed 3063) must not move us
	 * back to an address the peer left: it changes nothing, and without
	 * a send time no live channel is moved either.  A peer none of whose
	 * hellos we took had one (an older build) is followed as before:
	 * ignoring it would never follow it when it moves. */
	if (p.paired && memcmp(&p.address, &h->address, sizeof(p.address)) &&
	    (int64_t)h->sent_ms <= p.peer_sent_ms &&
	    (h->sent_ms || p.peer_sent_ms)) {
		xu_unusual(SUB,
			   "%s: a hello naming %s, older than the one we took: "
			   "ignored",
			   account, addr);
		return XU_OK;
	}
	if (p.paired && memcmp(&p.address, &h->address, sizeof(p.address))) {
		rc = eng_chan_out_get(pc->st, account, &o, &have, err);
		if (rc != XU_OK)
			return rc;
		if (have && o.ch.state == PC_OUT_OPENING) {
			/* The create lands to the old address and is
			 * closed at once (out_event). */
			xu_unusual(SUB,
				   "%s: the peer's address changed to %s "
				   "while our channel is being created: it "
				   "closes once created",
				   account, addr);
		} else if (have && !pc_out_set_peer(&o.ch, &h->address)) {
			struct pc_event ev;

			xu_unusual(SUB,
				   "%s: the peer's address changed to %s "
				   "while our channel is %s: it closes, and "
				   "the next channel goes to the new address",
				   account, addr,
				   pc_out_state_name(o.ch.state));
			memset(&ev, 0, sizeof(ev));
			ev.kind = PC_EV_MOVED;
			ev.clk = clock_now(pc);
			rc = out_event(pc, &o, &ev, err);
			if (rc != XU_OK)
				return rc;
		} else if (have) {
			xu_unusual(SUB,
				   "%s: the peer's address changed to %s "
				   "(outgoing %s, %llu drops owed): the next "
				   "channel goes to it",
				   account, addr, pc_out_state_name(o.ch.state),
				   u(o.ch.owed));
			if (o.ch.has_id)
				view_sum_drop(pc, o.ch.id);
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
	if ((int64_t)h->sent_ms > p.peer_sent_ms)
		p.peer_sent_ms = (int64_t)h->sent_ms;
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
	if (h->has_channel) {
		bool refused;

		rc = lookup_peer(pc, h->channel, account, &refused, err);
		/* Too many unknown ids from this account: the pairing holds;
		 * its channel_update names the channel again. */
		if (rc == XU_EUNAVAIL)
			rc = XU_OK;
		if (rc != XU_OK)
			return rc;
	}
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

/* The newest view of the channel is older than a credit may rely on:
 * three polls (VIEW_MAX_AGE_POLLS, service.h), so that an honest peer's
 * claims find one young enough nearly always. */
static bool view_too_old(const struct eng_paychan *pc, const struct lookup *l)
{
	return !l || !l->seen_ms ||
	       wall_ms(pc) - l->seen_ms >
		   (int64_t)pc->cfg.poll_ms * VIEW_MAX_AGE_POLLS;
}

static enum xu_code claim_in(void *arg, const char *account, json_t *msg,
			     struct eng_msg_reply *reply, struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct eng_chan_in r;
	struct pc_msg m;
	struct pc_event ev;
	struct lookup *l;
	struct xu_err why_err = {0};
	enum pc_reject why = PC_REJ_NONE;
	char id[HEXID], note[80];
	bool have, stale, refused;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_CLAIM, err);
	if (rc != XU_OK)
		return rc;
	hexid(id, m.u.claim.channel);
	rc = eng_chan_in_get(pc->st, m.u.claim.channel, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	l = lookup_of(pc, m.u.claim.channel);
	/* An answer older than the record's view (a lagging server; after a
	 * restart the lookup knows no ledger yet) was ignored by the record:
	 * it dates nothing the record holds.  Nor does a lookup older than
	 * the ledger our redeem landed in, which raised the view's index
	 * alone. */
	if (l && have && r.ch.has_view && l->ledger < r.ch.view.ledger_index)
		l = NULL;
	if (have && strcmp(r.account, account) != 0) {
		pc->stats.claims_rejected++;
		pc->stats.claims_refused[PC_REJ_WRONG_CHANNEL]++;
		if (peer_line(pc, account, LINE_REFUSED, note, sizeof(note)))
			xu_unusual(SUB,
				   "%s: claim on channel %s of account %s "
				   "refused%s",
				   account, id, r.account, note);
		return claim_reply(reply, m.u.claim.channel, false,
				   xl_drops_zero(), PC_REJ_WRONG_CHANNEL,
				   "channel belongs to another account", err);
	}
	/* Without a fresh validated view: look it up, let the peer retry.
	 * A claim within the view's Amount may rely on an older view, but
	 * not on one of any age: the channel may have left the ledger since
	 * (docs/risks.md#crediting-on-a-stale-or-unvalidated-view). */
	stale = !l || !l->seen_ms ||
		wall_ms(pc) - l->seen_ms > (int64_t)pc->cfg.lookup_fresh_ms;
	if (stale && (!have || !r.ch.has_view || view_too_old(pc, l) ||
		      xl_drops_cmp(m.u.claim.amount, r.ch.view.amount) > 0)) {
		rc = lookup_peer(pc, m.u.claim.channel, account, &refused, err);
		if (rc != XU_OK)
			return rc;
		/* Ours (outgoing): never the peer's channel to us. */
		if (refused) {
			pc->stats.claims_rejected++;
			pc->stats.claims_refused[PC_REJ_NOT_OURS]++;
			return claim_reply(reply, m.u.claim.channel, false,
					   xl_drops_zero(), PC_REJ_NOT_OURS,
					   "channel is not from the peer to us",
					   err);
		}
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
		pc->stats.claims_refused[why]++;
		if (peer_line(pc, account, LINE_REFUSED, note, sizeof(note)))
			xu_unusual(SUB, "%s: claim on channel %s refused: %s%s",
				   account, id, pc_reject_name(why), note);
		return claim_reply(reply, m.u.claim.channel, false,
				   xl_drops_zero(), why,
				   why == PC_REJ_NOT_OURS
				       ? "channel is not from the peer to us"
				       : "channel not found on the validated "
					 "ledger",
				   err);
	}
	/* The claim checks compare the Expiration with the ledger time: not
	 * with one that is unknown or old (a start, an outage), which would
	 * accept and credit claims on expired channels
	 * (docs/risks.md#stale-ledger-time-after-a-restart-or-an-outage). */
	if (!ledger_fresh(pc))
		return xu_fail(err, XU_EUNAVAIL, 0,
			       "channel %s: no recent validated ledger from "
			       "rippled; retry",
			       id);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_CLAIM;
	ev.clk = clock_now(pc);
	pc_msg_to_claim(&ev.u.claim, &m.u.claim);
	rc = in_event(pc, &r, &ev, &why, &why_err);
	if (rc != XU_OK && why != PC_REJ_NONE) {
		pc->stats.claims_rejected++;
		if ((unsigned)why < PC_REJ_COUNT)
			pc->stats.claims_refused[why]++;
		/* Older claims overtaken by newer ones are routine. */
		if (why == PC_REJ_NOT_INCREASING)
			xu_debug(SUB, "%s: claim %llu on channel %s: %s",
				 account, u(m.u.claim.amount), id, why_err.msg);
		else if (peer_line(pc, account, LINE_REFUSED, note,
				   sizeof(note)))
			xu_unusual(SUB,
				   "%s: claim %llu on channel %s refused: %s%s",
				   account, u(m.u.claim.amount), id,
				   why_err.msg, note);
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

/* A peer's claim (claim_in); the credits it queues are timed from when
 * its message was read (latency.c). */
static enum xu_code msg_claim(void *arg, const char *account, json_t *msg,
			      struct eng_msg_reply *reply, struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	enum xu_code rc;

	pc->lat_rx_us = lat_read_at(pc);
	rc = claim_in(arg, account, msg, reply, err);
	pc->lat_rx_us = 0;
	return rc;
}

static enum xu_code msg_channel_update(void *arg, const char *account,
				       json_t *msg, struct eng_msg_reply *reply,
				       struct xu_err *err)
{
	struct eng_paychan *pc = arg;
	struct pc_msg m;
	bool refused;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_CHANNEL_UPDATE, err);
	if (rc != XU_OK)
		return rc;
	rc = lookup_peer(pc, m.u.channel, account, &refused, err);
	if (rc != XU_OK)
		return rc;
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
	char note[80];
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
	if (rc == XU_OK)
		rc = maybe_dclose(pc, &r, err);
	if (rc != XU_OK)
		return rc;
	if (peer_line(pc, account, LINE_CLOSE_REQUEST, note, sizeof(note)))
		xu_info(SUB, "%s: the peer asked us to close its channel%s",
			account, note);
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
	char note[80];
	bool have;
	enum xu_code rc;

	rc = decode_as(&m, msg, PC_MSG_LAST_CLAIM, err);
	if (rc != XU_OK)
		return rc;
	rc = eng_chan_in_get(pc->st, m.u.channel, &r, &have, err);
	if (rc != XU_OK)
		return rc;
	/* The payer asks because the channel left the ledger: what we answer
	 * is final, nothing later is credited on it (a claim still on its
	 * way would be credited after the payer counted it unpaid). */
	if (m.final && have && !strcmp(r.account, account) && !r.ch.frozen) {
		struct pc_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = PC_EV_FREEZE;
		ev.clk = clock_now(pc);
		rc = in_event(pc, &r, &ev, NULL, err);
		if (rc != XU_OK)
			return rc;
	}
	/* No record to freeze: one made later for this account (a lookup
	 * that finds the channel, a lagging server's) starts frozen
	 * (docs/risks.md#final-answer-without-a-record). */
	if (m.final && !have) {
		rc = eng_chan_in_final_put(pc->st, m.u.channel, account,
					   wall_ms(pc), err);
		if (rc != XU_OK)
			return rc;
	}
	memset(&out, 0, sizeof(out));
	out.type = PC_MSG_LAST_CLAIM_REPLY;
	out.final = m.final; /* frozen (or nothing held to freeze) */
	memcpy(out.u.last.channel, m.u.channel, CR_CHANNEL_ID_BYTES);
	out.u.last.amount = xl_drops_zero();
	/* Only this account's channels: never another peer's claims. */
	if (have && !strcmp(r.account, account) &&
	    !xl_drops_is_zero(r.ch.best) && r.ch.best_siglen > 0) {
		out.u.last.amount = r.ch.best;
		memcpy(out.u.last.sig, r.ch.best_sig, r.ch.best_siglen);
		out.u.last.siglen = r.ch.best_siglen;
	}
	if (peer_line(pc, account, LINE_LAST_CLAIM, note, sizeof(note)))
		xu_info(SUB,
			"%s: the peer asked for its last claim: %llu drops%s",
			account, u(out.u.last.amount), note);
	return reply_msg(reply, &out, err);
}

void register_handlers(struct eng_paychan *pc, struct eng_msgs *msgs)
{
	eng_msgs_register(msgs, "hello", msg_hello, pc);
	eng_msgs_register(msgs, "claim", msg_claim, pc);
	eng_msgs_register(msgs, "channel_update", msg_channel_update, pc);
	eng_msgs_register(msgs, "close_request", msg_close_request, pc);
	eng_msgs_register(msgs, "last_claim", msg_last_claim, pc);
}
