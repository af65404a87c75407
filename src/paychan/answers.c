/* The peer engine's answers to our messages, as the outbox reports them,
 * each handled in a transaction of ours: a hello_reply pairs (no answer:
 * the hello goes again, with backoff); a claim_reply lets a newer claim
 * go and tells what the peer holds (more than we signed: a recovery
 * starts); a last_claim_reply settles a recovery. */
#include "src/paychan/service.h"

#include <string.h>

#include "src/outbox/outbox.h"
#include "src/util/log.h"

#define HELLO_RETRY_MAX_MS 60000

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
			p.hello_next_ms = wall_ms(pc) + (int64_t)d;
			rc = eng_chan_peer_put(pc->st, &p, &err);
			xu_unusual(SUB,
				   "%s: no hello_reply from the peer (HTTP "
				   "%d); again in %llu ms",
				   account, status, (unsigned long long)d);
		}
	}
	tx_end(pc, rc, &err, "recording a hello answer");
}

struct xl_drops peer_acked(const struct acct *a, const struct eng_chan_out *o)
{
	if (!o->ch.has_id)
		return xl_drops_zero();
	if (a && a->has_best &&
	    !memcmp(a->best_channel, o->ch.id, CR_CHANNEL_ID_BYTES) &&
	    xl_drops_cmp(a->peer_best, o->peer_best) > 0)
		return a->peer_best;
	return o->peer_best;
}

void peer_best_sync(struct acct *a, const struct eng_chan_out *o)
{
	a->peer_best = o->ch.has_id ? o->peer_best : xl_drops_zero();
	a->has_best = o->ch.has_id;
	memcpy(a->best_channel, o->ch.id, CR_CHANNEL_ID_BYTES);
}

/* What a claim_reply says the peer holds (accepted or refused, it is the
 * best claim the peer credited): acknowledged on the record's channel, if
 * the reply is about that channel, and nothing otherwise (a late answer
 * about a channel the record no longer pays on).  Above what we signed,
 * our store lost claims (PC_EV_PEER_BEST starts a recovery).  Checked
 * without a transaction first: the common case changes nothing. */
static void peer_best(struct eng_paychan *pc, struct acct *a,
		      const char *account, const struct pc_msg_claim_reply *r)
{
	struct eng_chan_out o;
	struct pc_event ev;
	struct xu_err err = {0};
	bool have;
	enum xu_code rc;

	if (eng_chan_out_get(pc->st, account, &o, &have, &err) != XU_OK ||
	    !have || !o.ch.has_id ||
	    memcmp(o.ch.id, r->channel, CR_CHANNEL_ID_BYTES) != 0)
		return;
	if (xl_drops_cmp(r->amount, peer_acked(a, &o)) > 0) {
		a->peer_best = r->amount;
		a->has_best = true;
		memcpy(a->best_channel, o.ch.id, CR_CHANNEL_ID_BYTES);
	}
	if (xl_drops_cmp(r->amount, o.ch.signed_total) <= 0 || o.ch.recovering)
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
 * later, twice as late after each one in a row (tick_recoveries,
 * docs/risks.md#endless-recovery-loop). */
static void on_last_claim_answer(struct eng_paychan *pc, const char *account,
				 int status, const uint8_t *body, size_t len)
{
	struct eng_chan_out o;
	struct pc_event ev;
	struct pc_msg m;
	struct xu_err err = {0}, derr = {0};
	struct acct *a = acct_of(pc, account);
	bool have, ok, ended;
	enum xu_code rc;

	if (a)
		a->ask_ms = wall_ms(pc);
	ok = status >= 200 && status < 300 &&
	     pc_msg_decode(&m, body, len, &derr) == XU_OK &&
	     m.type == PC_MSG_LAST_CLAIM_REPLY;
	if (!ok && status >= 200 && status < 300) {
		if (a)
			a->ask_fails++;
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
	/* An ended channel is settled only by an answer to a question sent
	 * as final (the payee echoes "final" once it froze its record): an
	 * older question's answer, or a refusal, tells nothing about claims
	 * still on their way; ask again
	 * (docs/design.md#claims-a-gone-channel-never-paid). */
	if (o.ch.has_ended && (!ok || !m.final)) {
		if (a)
			a->ask_fails++;
		xu_unusual(SUB,
			   "%s: last_claim answer about the channel that ended "
			   "is not final (HTTP %d): asked again",
			   account, status);
		goto done;
	}
	/* An answer that settles the question: the next one (a later
	 * recovery) starts without backoff. */
	if (a)
		a->ask_fails = 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PC_EV_LAST_CLAIM;
	ev.clk = clock_now(pc);
	memcpy(ev.u.last.pubkey, chan_pubkey(pc, &o), CR_PUBKEY_BYTES);
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
	ended = o.ch.has_ended;
	rc = out_event(pc, &o, &ev, &err);
	if (rc == XU_OK && ended)
		xu_info(SUB,
			"%s: the peer holds %llu drops of our claims on the "
			"channel that ended",
			account, u(ev.u.last.claim.amount));
	else if (rc == XU_OK && !o.ch.recovering)
		xu_info(SUB, "%s: last claim checked with the peer: %llu drops",
			account, u(o.ch.signed_total));
done:
	tx_end(pc, rc, &err, "recording a last_claim answer");
}

/* What the end of claim attempt seq (status 0: no HTTP answer) is to
 * a's delivery: answered, refused (parked), or failed, to be retried
 * after the outbox's backoff.  Either way a newer claim waiting for it
 * may go now. */
static void claim_attempt_ended(struct eng_paychan *pc, struct acct *a,
				uint64_t seq, int status)
{
	struct pc_dlv_event ev = {.now_ms = wall_ms(pc), .seq = seq};

	if (!dlv_is_out(a, seq)) {
		/* Not an attempt of this process's (a result after a
		 * restart of the service): only its body counts. */
		xu_unusual(SUB, "%s: answer to claim attempt %llu, not out",
			   a->account, (unsigned long long)seq);
		return;
	}
	switch (eng_outbox_classify(status)) {
	case ENG_OUTBOX_DELIVERED:
		ev.kind = PC_DLV_EV_ANSWERED;
		break;
	case ENG_OUTBOX_PARKED:
		ev.kind = PC_DLV_EV_REFUSED;
		break;
	case ENG_OUTBOX_RETRY:
		ev.kind = PC_DLV_EV_FAILED;
		ev.retry_ms = (uint32_t)eng_outbox_backoff_ms(
		    pc->ob, (int64_t)a->dlv.fails + 1);
		break;
	}
	dlv_step(pc, a, &ev); /* may send the waiting claim */
}

/* An answer to claim attempt seq (the outbox's token): it ends the
 * attempt (claim_attempt_ended), and the peer's reply tells what it
 * holds. */
static void on_claim_answer(struct eng_paychan *pc, const char *account,
			    uint64_t seq, int status, const uint8_t *body,
			    size_t len)
{
	struct pc_msg m;
	struct xu_err derr;
	struct acct *a = acct_of(pc, account);
	uint64_t rtt;
	bool replied;

	if (!a)
		return;
	replied = status >= 200 && status < 300 && len != 0 &&
		  pc_msg_decode(&m, body, len, &derr) == XU_OK &&
		  m.type == PC_MSG_CLAIM_REPLY;
	rtt = lat_claim_ended(pc, a, seq, replied);
	if (rtt)
		dlv_rtt(pc, a, rtt);
	claim_attempt_ended(pc, a, seq, status);
	if (!replied) {
		if (status >= 200 && status < 500)
			xu_unusual(SUB,
				   "%s: claim not acknowledged (HTTP %d); "
				   "it will be sent again",
				   account, status);
		return;
	}
	if (!m.u.reply.accepted && m.u.reply.code != PC_REJ_NOT_INCREASING)
		xu_unusual(SUB, "%s: the peer refused our claim: %s (%s)",
			   account, pc_reject_name(m.u.reply.code),
			   m.u.reply.message);
	peer_best(pc, a, account, &m.u.reply);
}

static void on_outbox_reply(void *arg, enum eng_outbox_kind kind, int64_t id,
			    const char *tag, const char *account, int status,
			    const uint8_t *reply, size_t reply_len)
{
	struct eng_paychan *pc = arg;

	if (kind == ENG_OUTBOX_CREDIT)
		lat_credit_ended(pc, id, status);
	if (kind != ENG_OUTBOX_MESSAGE || !tag)
		return;
	if (!strcmp(tag, "hello"))
		on_hello_answer(pc, account, status, reply, reply_len);
	else if (!strcmp(tag, "claim"))
		on_claim_answer(pc, account, (uint64_t)id, status, reply,
				reply_len);
	else if (!strcmp(tag, "last_claim"))
		on_last_claim_answer(pc, account, status, reply, reply_len);
}

void register_answers(struct eng_paychan *pc)
{
	eng_outbox_on_reply(pc->ob, NULL, on_outbox_reply, pc); /* credits */
	eng_outbox_on_reply(pc->ob, "hello", on_outbox_reply, pc);
	eng_outbox_on_reply(pc->ob, "claim", on_outbox_reply, pc);
	eng_outbox_on_reply(pc->ob, "last_claim", on_outbox_reply, pc);
}
