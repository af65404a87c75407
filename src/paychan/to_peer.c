/* Messages to the peer engine: our hellos, the claims, the channel
 * notices (channel_update, close_request) and a recovery's last_claim
 * question.  All but the claims are outbox rows written in the open
 * transaction; the claims leave after the commit, as described below. */
#include "src/paychan/service.h"

#include <string.h>

#include "src/outbox/outbox.h"
#include "src/util/log.h"

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

void hello_of(struct eng_paychan *pc, struct pc_msg *m, enum pc_msg_type type,
	      const struct eng_chan_out *o)
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

enum xu_code queue_hello(struct eng_paychan *pc, struct eng_chan_peer *p,
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
void claim_after_commit(struct eng_paychan *pc, const char *account,
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
void new_claim(struct eng_paychan *pc, struct eng_chan_out *o)
{
	o->claim_siglen = 0;
	memset(o->claim_sig, 0, sizeof(o->claim_sig));
	claim_after_commit(pc, o->account, false);
}

/* Outside any transaction: hands account's committed claim to the outbox
 * (signed first when the record holds no signature). */
void send_claim(struct eng_paychan *pc, struct acct *a)
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
	/* What the peer acknowledged on this channel: a peer whose store
	 * lost claims it had credited learns not to credit them again. */
	m.u.claim.acked = xl_drops_min(peer_acked(a, &o), o.claim_amount);
	if (pc_msg_encode(&m, buf, sizeof(buf), &len, &err) != XU_OK ||
	    eng_outbox_send_latest(pc->ob, a->account, buf, len, &err) !=
		XU_OK) {
		xu_broken(SUB, "%s: queuing a claim: %s", a->account, err.msg);
		return;
	}
	a->claim_sent_ms = wall_ms(pc);
	a->claim_out = true;
	pc->enqueued = true;
}

/* After a commit: the claims it made due go, unless an earlier one of
 * the account is still unanswered (then on_claim_answer sends them). */
void send_due_claims(struct eng_paychan *pc)
{
	int64_t now = wall_ms(pc);

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
void drop_new_claims(struct eng_paychan *pc)
{
	if (!pc->claims_new)
		return;
	for (struct acct *a = pc->accts; a; a = a->next)
		a->claim_new = a->claim_resend_new = false;
	pc->claims_new = false;
}

enum xu_code send_channel_msg(struct eng_paychan *pc, const char *account,
			      enum pc_msg_type t,
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
enum xu_code send_last_claim(struct eng_paychan *pc,
			     const struct eng_chan_out *o, struct xu_err *err)
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
