/* Messages to the peer engine: our hellos, the claims, the channel
 * notices (channel_update, close_request) and a recovery's last_claim
 * question.  All but the claims are outbox rows written in the open
 * transaction; the claims leave after the commit, as described below. */
#include "src/paychan/service.h"

#include <sodium.h>
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
	{
		int64_t now = wall_ms(pc);

		m->u.hello.sent_ms = now > 0 ? (uint64_t)now : 0;
	}
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
 * the same bytes).  When a claim goes is the per-account delivery machine's
 * (struct pc_dlv, channel/delivery.h; docs/design.md#claim-delivery-per-account):
 * one attempt out at a time, the newest next; an attempt unanswered for
 * claim_stall_ms lets the newest go beside it (never a third); a failed
 * attempt of the newest is retried after the outbox's backoff.  While one
 * is unanswered, newer settlements only raise the record's amount, and
 * the answer sends one claim carrying them all: under load, one claim per
 * round trip, and the claims nobody would see are never signed.  A crash
 * loses nothing: a restart sends the record's claim (after asking the
 * peer what it holds), and an unacknowledged claim is sent again after
 * claim_resend_ms (the machine's NACK).
 *
 * The machine is fed MADE in the open transaction, COMMITTED or
 * ROLLED_BACK after it (dlv_tx_ended), the attempts' departures and ends
 * (send_claim, retry_claim, on_claim_answer) and the tick's TIMER; its
 * sends are carried out outside transactions only. */

/* a's delivery may leave IDLE (or has effects left for the end of the
 * transaction): dlv_tx_ended must hear of it.  Out of memory, the next
 * end of a transaction hears of every account. */
static void dlv_touch(struct eng_paychan *pc, struct acct *a)
{
	if (!acct_set_add(&pc->active, &pc->nactive, &pc->capactive, a,
			  &a->active))
		pc->active_lost = true;
}

bool dlv_quiet(const struct acct *a)
{
	return a->dlv.state == PC_DLV_IDLE && a->dlv.made.seq == 0 &&
	       a->later.n == 0;
}

void dlv_made(struct eng_paychan *pc, const struct eng_chan_out *o)
{
	struct acct *a = acct_of(pc, o->account);
	struct pc_dlv_event ev = {.kind = PC_DLV_EV_MADE,
				  .amount = o->claim_amount};
	struct pc_dlv_effects fx;

	XU_ASSERT(eng_store_in_tx(pc->st));
	if (!a)
		return;
	dlv_touch(pc, a);
	pc_dlv_step(&a->dlv, &ev, &fx);
	XU_ASSERT(fx.n == 0); /* MADE has no effects */
}

void new_claim(struct eng_paychan *pc, struct eng_chan_out *o)
{
	o->claim_siglen = 0;
	memset(o->claim_sig, 0, sizeof(o->claim_sig));
	dlv_made(pc, o);
}

/* An attempt's departure or end, reported from inside dlv_do: never has
 * effects (channel/delivery.h), so sends that fail at once cannot loop. */
static void dlv_report(struct eng_paychan *pc, struct acct *a,
		       enum pc_dlv_ev_kind k, uint64_t seq)
{
	struct pc_dlv_event ev = {.kind = k, .now_ms = wall_ms(pc), .seq = seq};
	struct pc_dlv_effects fx;

	dlv_touch(pc, a);
	pc_dlv_step(&a->dlv, &ev, &fx);
	XU_ASSERT(fx.n == 0);
}

/* A claim of a's found every call to the connector taken (the outbox's
 * max_inflight) and is the delivery's retry now (a FAILED of retry_ms 0):
 * it waits in the room queue for the next call to end
 * (eng_paychan_room) rather than for the tick, where a burst of commits
 * would have the waiting claims go, and be refused again, once a second
 * (docs/design.md#claim-delivery-per-account). */
static void room_wait(struct eng_paychan *pc, struct acct *a)
{
	if (a->room_wait)
		return;
	a->room_wait = true;
	a->room_next = NULL;
	if (pc->room_tail)
		pc->room_tail->room_next = a;
	else
		pc->room_head = a;
	pc->room_tail = a;
	pc->room_n++;
	pc->stats.claims_waited++;
}

/* Why a claim could not leave: for want of a call (routine under load,
 * debug), or with calls free, the worker refusing it (unusual: the
 * operator should see a worker that does not start). */
static void not_sent(struct eng_paychan *pc, struct acct *a, const char *again,
		     const char *why)
{
	if (eng_outbox_room(pc->ob) == 0)
		xu_debug(SUB, "%s: claim%s waits for a call: %s", a->account,
			 again, why);
	else
		xu_unusual(SUB, "%s: claim not sent%s now: %s", a->account,
			   again, why);
}

void eng_paychan_room(struct eng_paychan *pc)
{
	struct pc_dlv_event ev = {.kind = PC_DLV_EV_TIMER};
	unsigned keep;
	size_t n;

	if (!pc || !pc->room_head || eng_store_in_tx(pc->st))
		return;
	keep = eng_outbox_capacity(pc->ob) / 4;
	ev.now_ms = wall_ms(pc);
	/* Each waiting account once: one whose claim cannot go for another
	 * reason (the worker would not take it) queues again, behind. */
	for (n = pc->room_n; n > 0 && eng_outbox_room(pc->ob) > keep; n--) {
		struct acct *a = pc->room_head;

		pc->room_head = a->room_next;
		if (!pc->room_head)
			pc->room_tail = NULL;
		pc->room_n--;
		a->room_next = NULL;
		a->room_wait = false;
		/* Sent meanwhile (a newer claim's commit, the tick)? Then
		 * nothing waits. */
		if (a->dlv.state != PC_DLV_RETRY &&
		    a->dlv.state != PC_DLV_STALLED_RETRY)
			continue;
		/* The delivery's clock, without the resend question (that
		 * one is the tick's, in its transaction): the retry goes,
		 * or finds no room and queues again. */
		dlv_step(pc, a, &ev);
	}
}

const uint8_t *chan_pubkey(const struct eng_paychan *pc,
			   const struct eng_chan_out *o)
{
	return o->ch.has_key ? o->ch.key : pc->kp->pub.b;
}

enum xu_code chan_signer(const struct eng_paychan *pc,
			 const struct eng_chan_out *o, struct cr_keypair *kp,
			 struct xu_err *err)
{
	static const char kava[] = "kava:";
	char text[CR_BASE58_MAX_STRLEN];
	enum xu_code rc;

	if (!o->ch.has_key) {
		*kp = *pc->kp;
		return XU_OK;
	}
	memset(kp, 0, sizeof(*kp));
	if (strncmp(o->signer, kava, sizeof(kava) - 1) != 0)
		return xu_fail(err, XU_EINVAL, 0,
			       "unknown key derivation for the channel");
	if (!pc->seed)
		return xu_fail(err, XU_EINVAL, 0,
			       "no seed to derive the channel's key from");
	rc = cr_seed_encode(text, sizeof(text), pc->seed, pc->seed->implied,
			    err);
	if (rc == XU_OK)
		rc = cr_kava_channel_keypair(kp, text,
					     o->signer + sizeof(kava) - 1, err);
	sodium_memzero(text, sizeof(text));
	if (rc != XU_OK)
		return rc;
	if (memcmp(kp->pub.b, o->ch.key, CR_PUBKEY_BYTES) != 0) {
		cr_keypair_clear(kp);
		return xu_fail(err, XU_EINVAL, 0,
			       "the key derived for the channel is not its "
			       "key (another seed?)");
	}
	return XU_OK;
}

/* PC_DLV_FX_SEND(_BESIDE): hands account's committed claim to the outbox
 * now, as attempt f->seq (signed first when the record holds no
 * signature).  A claim that cannot be made is REFUSED (the resend sends
 * it again); one the outbox has no room for FAILED, to wait in the room
 * queue (room_wait). */
static void send_claim(struct eng_paychan *pc, struct acct *a,
		       const struct pc_dlv_effect *f)
{
	struct eng_chan_out o;
	struct pc_msg m;
	struct xu_err err = {0};
	char buf[PC_MSG_MAX_BYTES];
	size_t len;
	bool have;
	enum xu_code rc;

	XU_ASSERT(!eng_store_in_tx(pc->st));
	if (eng_chan_out_get(pc->st, a->account, &o, &have, &err) != XU_OK) {
		xu_broken(SUB, "%s: reading its claim: %s", a->account,
			  err.msg);
		dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
		return;
	}
	if (!have || !o.ch.has_id || xl_drops_is_zero(o.claim_amount)) {
		dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
		return;
	}
	if (o.claim_siglen == 0) {
		struct cr_keypair kp;

		rc = chan_signer(pc, &o, &kp, &err);
		if (rc == XU_OK)
			rc = cr_claim_sign(o.claim_sig, &o.claim_siglen, &kp,
					   o.ch.id,
					   xl_drops_u64(o.claim_amount), &err);
		cr_keypair_clear(&kp);
		if (rc != XU_OK) {
			xu_broken(SUB, "%s: signing a claim: %s", a->account,
				  err.msg);
			dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
			return;
		}
		pc->stats.claims_signed++;
	}
	/* Our own claim must verify with the channel's key (its PublicKey
	 * on the ledger, which on_ledger holds to the record's: our account
	 * key, or an adopted channel's own) before it leaves: a wrong key or
	 * a broken signer would pay the peer with claims it cannot redeem
	 * (docs/risks.md#our-channel-with-another-key). */
	if (!cr_claim_verify(chan_pubkey(pc, &o), CR_PUBKEY_BYTES, o.ch.id,
			     xl_drops_u64(o.claim_amount), o.claim_sig,
			     o.claim_siglen)) {
		xu_logf(XU_LOG_BROKEN, SUB,
			&(struct xu_log_fields){
			    .account = a->account,
			    .channel = o.ch.id,
			    .drops = u(o.claim_amount),
			    .has_drops = true,
			},
			"%s: our claim of %llu drops does not verify with "
			"the channel's key: not sent",
			a->account, u(o.claim_amount));
		dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_CLAIM;
	memcpy(m.u.claim.channel, o.ch.id, CR_CHANNEL_ID_BYTES);
	m.u.claim.amount = o.claim_amount;
	memcpy(m.u.claim.sig, o.claim_sig, o.claim_siglen);
	m.u.claim.siglen = o.claim_siglen;
	m.u.claim.has_pubkey = true;
	memcpy(m.u.claim.pubkey, chan_pubkey(pc, &o), CR_PUBKEY_BYTES);
	/* What the peer acknowledged on this channel: a peer whose store
	 * lost claims it had credited learns not to credit them again. */
	m.u.claim.acked = xl_drops_min(peer_acked(a, &o), o.claim_amount);
	rc = pc_msg_encode(&m, buf, sizeof(buf), &len, &err);
	if (rc == XU_OK)
		rc = eng_outbox_send_now(pc->ob, a->account, buf, len, f->seq,
					 &err);
	if (rc == XU_EUNAVAIL) {
		not_sent(pc, a, "", err.msg);
		dlv_report(pc, a, PC_DLV_EV_FAILED, f->seq);
		room_wait(pc, a);
		return;
	}
	if (rc != XU_OK) {
		xu_broken(SUB, "%s: queuing a claim: %s", a->account, err.msg);
		dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
		return;
	}
	pc->stats.claims_sent++;
	lat_claim_sent(pc, a, f->seq);
	dlv_report(pc, a, PC_DLV_EV_SENT, f->seq);
}

/* PC_DLV_FX_RETRY: the failed attempt's claim again, same bytes and
 * Idempotency-Key, as attempt f->seq. */
static void retry_claim(struct eng_paychan *pc, struct acct *a,
			const struct pc_dlv_effect *f)
{
	struct xu_err err = {0};
	enum xu_code rc =
	    eng_outbox_retry_now(pc->ob, a->account, f->seq, &err);

	if (rc == XU_OK) {
		pc->stats.claims_sent++;
		lat_claim_sent(pc, a, f->seq);
		dlv_report(pc, a, PC_DLV_EV_SENT, f->seq);
		return;
	}
	if (rc == XU_EUNAVAIL) {
		not_sent(pc, a, " again", err.msg);
		dlv_report(pc, a, PC_DLV_EV_FAILED, f->seq);
		room_wait(pc, a);
		return;
	}
	xu_broken(SUB, "%s: sending a claim again: %s", a->account, err.msg);
	dlv_report(pc, a, PC_DLV_EV_REFUSED, f->seq);
}

static void dlv_do(struct eng_paychan *pc, struct acct *a,
		   const struct pc_dlv_effect *f)
{
	switch (f->kind) {
	case PC_DLV_FX_SEND_BESIDE:
		/* Late for this link (the adaptive stall) is routine; late
		 * past the configured ceiling is worth a look. */
		if (a->dlv.stall_ms >= pc->cfg.claim_stall_ms)
			xu_unusual(SUB,
				   "%s: claim attempt %llu unanswered for %u "
				   "ms: the newer one goes beside it",
				   a->account, (unsigned long long)f->stalled,
				   (unsigned)a->dlv.stall_ms);
		pc->stats.claims_beside++;
		send_claim(pc, a, f);
		return;
	case PC_DLV_FX_SEND:
		send_claim(pc, a, f);
		return;
	case PC_DLV_FX_RETRY:
		retry_claim(pc, a, f);
		return;
	case PC_DLV_FX_NACK:
		break;
	}
	XU_UNREACHABLE("a claim NACK outside the tick's transaction");
}

void dlv_step(struct eng_paychan *pc, struct acct *a,
	      const struct pc_dlv_event *ev)
{
	struct pc_dlv_effects fx;

	dlv_touch(pc, a);
	pc_dlv_step(&a->dlv, ev, &fx);
	for (size_t i = 0; i < fx.n; i++)
		dlv_do(pc, a, &fx.v[i]);
}

void dlv_rtt(struct eng_paychan *pc, struct acct *a, uint64_t us)
{
	int64_t mean = a->rtt_us;

	if (us > UINT32_MAX)
		us = UINT32_MAX;
	mean = mean ? mean + ((int64_t)us - mean) / 8 : (int64_t)us;
	a->rtt_us = mean > 0 ? (uint32_t)mean : 1;
	pc_dlv_set_stall(&a->dlv,
			 pc_dlv_stall_for(a->rtt_us, pc->cfg.claim_stall_ms));
}

void dlv_tx_ended(struct eng_paychan *pc, bool committed)
{
	struct pc_dlv_event ev = {.kind = committed ? PC_DLV_EV_COMMITTED
						    : PC_DLV_EV_ROLLED_BACK,
				  .now_ms = wall_ms(pc)};

	size_t n = 0;

	/* Only the accounts whose delivery is not quiet (pc->active): to
	 * the others a transaction's end is nothing. */
	if (pc->active_lost) {
		pc->active_lost = false;
		for (struct acct *a = pc->accts; a; a = a->next)
			if (!dlv_quiet(a))
				dlv_touch(pc, a);
	}
	pc->active_depth++;
	for (size_t i = 0; i < pc->nactive; i++) {
		struct acct *a = pc->active[i];
		struct pc_dlv_effects later = a->later;

		a->later.n = 0;
		for (size_t j = 0; j < later.n; j++)
			dlv_do(pc, a, &later.v[j]);
		dlv_step(pc, a, &ev);
	}
	/* Forgets the quiet ones (not while an outer call walks the set). */
	if (--pc->active_depth > 0)
		return;
	for (size_t i = 0; i < pc->nactive; i++) {
		struct acct *a = pc->active[i];

		if (dlv_quiet(a))
			a->active = false;
		else
			pc->active[n++] = a;
	}
	pc->nactive = n;
}

bool dlv_timer(struct eng_paychan *pc, struct acct *a, bool unacked,
	       int64_t now_ms)
{
	struct pc_dlv_event ev = {
	    .kind = PC_DLV_EV_TIMER, .now_ms = now_ms, .unacked = unacked};
	struct pc_dlv_effects fx;
	bool nack = false;

	dlv_touch(pc, a);
	pc_dlv_step(&a->dlv, &ev, &fx);
	for (size_t i = 0; i < fx.n; i++) {
		if (fx.v[i].kind == PC_DLV_FX_NACK) {
			nack = true;
			continue;
		}
		/* A stall or a retry: sent once the transaction ended. */
		XU_ASSERT(a->later.n < PC_DLV_MAX_EFFECTS);
		a->later.v[a->later.n++] = fx.v[i];
	}
	return nack;
}

bool dlv_is_out(const struct acct *a, uint64_t seq)
{
	const struct pc_dlv *d = &a->dlv;

	if (seq == 0)
		return false;
	if (seq == d->stalled.seq)
		return true;
	if (seq != d->out.seq)
		return false;
	switch (d->state) {
	case PC_DLV_OUT:
	case PC_DLV_OUT_WAITING:
	case PC_DLV_BESIDE:
	case PC_DLV_BESIDE_WAITING:
		return d->out_ms != 0;
	case PC_DLV_IDLE:
	case PC_DLV_STALLED:
	case PC_DLV_RETRY:
	case PC_DLV_STALLED_RETRY:
		break;
	}
	return false;
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
	struct pc_msg m;
	char id[HEXID];
	enum xu_code rc;

	if (a && a->ask_ms == ASK_PENDING)
		return XU_OK;
	/* About a channel that ended: the payee's answer is final
	 * (docs/design.md#claims-a-gone-channel-never-paid). */
	memset(&m, 0, sizeof(m));
	m.type = PC_MSG_LAST_CLAIM;
	memcpy(m.u.channel, o->ch.id, CR_CHANNEL_ID_BYTES);
	m.final = o->ch.has_ended &&
		  !memcmp(o->ch.ended_id, o->ch.id, CR_CHANNEL_ID_BYTES);
	rc = send_msg(pc, o->account, &m, "last_claim", err);
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
