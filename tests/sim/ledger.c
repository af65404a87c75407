/* The simulated XRP Ledger, its rippled server, and the engine's rippled
 * client and submission queue, replacing ledger/net at link time (every
 * xl_* function src/paychan calls).
 *
 * The ledger closes a ledger every 3 to 5 simulated seconds (one a minute
 * in a time warp); each close is validated at once.  It keeps accounts
 * (Balance, OwnerCount, Sequence) and PayChannel entries and applies the
 * payment-channel rules the engine relies on (docs: rippled's PayChan
 * transactors): Create (channel id = SHA-512Half as crypto/ computes it,
 * reserve and funds checks), Fund, Claim by source (tfClose sets
 * Expiration = parent close time + SettleDelay, or closes at once when
 * nothing is left owed) and by destination (the Balance must increase,
 * the signature is checked with the real crypto, tfClose closes), and
 * expiry: a channel past its Expiration or CancelAfter is deleted by the
 * next transaction touching it, which then succeeds paying nothing more.
 * Results come back with the metadata shapes rippled writes
 * (AffectedNodes with CreatedNode / ModifiedNode / DeletedNode, their
 * NewFields / FinalFields / PreviousFields).
 *
 * The server answers ledger_entry and account_info from the last validated
 * ledger; when the seed turns on a lagging server it now and then answers
 * entryNotFound / lgrNotFound for a channel that exists, or shows the
 * channel as it was before its last change.  Requests may be lost (the
 * client times out) and the connection drops during an outage; the client
 * then resyncs (on_ready) when it comes back.
 *
 * The submission queue follows src: one queue per account, Sequence
 * tracked locally, priority intents first, Fee = base x load refused above
 * SIM_FEE_MAX (a deadline intent's: SIM_DEADLINE_FEE_MAX), LastLedgerSequence = validated + 20; an intent's journal
 * row (kept across crashes) is written when it is submitted, so that a
 * repeated intent is followed or answered from the journal instead of being
 * built again; a transaction lost on its way is rebuilt with a fresh
 * Sequence once its LastLedgerSequence passed (at most three builds) and
 * reported "expired" after that. */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "src/util/hex.h"
#include "tests/sim/sim.h"

#define SIM_LOOKUP_TIMEOUT_MS 10000

static struct sim_engine *eng_of(const void *p)
{
	return (struct sim_engine *)(uintptr_t)p;
}

/* ---- accounts and channels -----------------------------------------------*/

struct sim_account *sim_account_of(struct sim *w,
				   const struct cr_account_id *id)
{
	for (size_t i = 0; i < w->L.naccts; i++)
		if (!memcmp(&w->L.accts[i].id, id, sizeof(*id)))
			return &w->L.accts[i];
	return NULL;
}

struct sim_account *
sim_account_add(struct sim *w, const struct cr_account_id *id, uint64_t balance)
{
	struct sim_account *a = sim_account_of(w, id);

	if (a)
		return a;
	if (w->L.naccts == w->L.capaccts) {
		w->L.capaccts = w->L.capaccts ? w->L.capaccts * 2 : 8;
		w->L.accts =
		    realloc(w->L.accts, w->L.capaccts * sizeof(*w->L.accts));
		if (!w->L.accts)
			abort();
	}
	a = &w->L.accts[w->L.naccts++];
	memset(a, 0, sizeof(*a));
	a->id = *id;
	cr_address_encode(a->addr, id);
	a->balance = balance;
	a->seq = 1 + (uint32_t)sim_rng_below(&w->rng, 50);
	return a;
}

struct sim_chan *sim_chan_of(struct sim *w, const uint8_t id[32])
{
	for (size_t i = 0; i < w->L.nchans; i++)
		if (!memcmp(w->L.chans[i].id, id, 32))
			return &w->L.chans[i];
	return NULL;
}

int sim_engine_of_account(struct sim *w, const struct cr_account_id *id)
{
	for (int i = 0; i < SIM_NENG; i++)
		if (!memcmp(&w->e[i].id, id, sizeof(*id)))
			return i;
	return -1;
}

static const char *addr_of(struct sim *w, const struct cr_account_id *id)
{
	struct sim_account *a = sim_account_of(w, id);

	return a ? a->addr : "r?";
}

static uint64_t reserve(const struct sim_ledger *L, uint32_t owners)
{
	return L->reserve_base + L->reserve_inc * owners;
}

static uint64_t fee_now(const struct sim *w)
{
	return w->L.fee_base * w->L.load;
}

void sim_ledger_init(struct sim *w)
{
	struct sim_ledger *L = &w->L;

	L->index = 1000 + (uint32_t)sim_rng_below(&w->rng, 100000);
	L->close_time = sim_ledger_now(w);
	L->parent_close = L->close_time - 4;
	L->fee_base = 10;
	L->load = 1;
	if (sim_rng_below(&w->rng, 2)) {
		L->reserve_base = 10 * SIM_XRP;
		L->reserve_inc = 2 * SIM_XRP;
	} else {
		L->reserve_base = 1 * SIM_XRP;
		L->reserve_inc = 200000;
	}
}

void sim_journal_free(struct sim_engine *e)
{
	while (e->journal) {
		struct sim_jrow *r = e->journal;

		e->journal = r->next;
		json_decref(r->meta);
		free(r);
	}
}

void sim_ledger_free(struct sim *w)
{
	while (w->L.pool) {
		struct sim_pooltx *p = w->L.pool;

		w->L.pool = p->next;
		free(p);
	}
	free(w->L.accts);
	free(w->L.chans);
}

/* ---- JSON shapes -----------------------------------------------------------*/

static json_t *jdrops(uint64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return json_string(b);
}

static json_t *chan_fields(struct sim *w, const struct sim_chan *c, bool prev)
{
	char pk[2 * CR_PUBKEY_BYTES + 1];
	json_t *o = json_object();
	uint64_t amount = prev ? c->prev_amount : c->amount;
	uint64_t balance = prev ? c->prev_balance : c->balance;
	bool has_exp = prev ? c->prev_has_exp : c->has_exp;
	uint32_t exp = prev ? c->prev_exp : c->exp;

	xu_hex_encode(pk, sizeof(pk), c->pk.b, CR_PUBKEY_BYTES);
	json_object_set_new(o, "Account", json_string(addr_of(w, &c->src)));
	json_object_set_new(o, "Amount", jdrops(amount));
	json_object_set_new(o, "Balance", jdrops(balance));
	json_object_set_new(o, "Destination", json_string(addr_of(w, &c->dst)));
	json_object_set_new(o, "Flags", json_integer(0));
	json_object_set_new(o, "OwnerNode", json_string("0"));
	json_object_set_new(o, "DestinationNode", json_string("0"));
	json_object_set_new(o, "PublicKey", json_string(pk));
	json_object_set_new(o, "SettleDelay", json_integer(c->settle_delay));
	if (has_exp)
		json_object_set_new(o, "Expiration", json_integer(exp));
	if (c->has_cancel)
		json_object_set_new(o, "CancelAfter",
				    json_integer(c->cancel_after));
	return o;
}

static void meta_node(json_t *nodes, const char *how, const char *type,
		      const char *index, json_t *fields_key, json_t *fields,
		      json_t *prev)
{
	json_t *n = json_object(), *x = json_object();

	(void)fields_key;
	json_object_set_new(x, "LedgerEntryType", json_string(type));
	json_object_set_new(x, "LedgerIndex", json_string(index));
	if (!strcmp(how, "CreatedNode"))
		json_object_set_new(x, "NewFields", fields);
	else
		json_object_set_new(x, "FinalFields", fields);
	if (prev)
		json_object_set_new(x, "PreviousFields", prev);
	json_object_set_new(n, how, x);
	json_array_append_new(nodes, n);
}

static void meta_account(struct sim *w, json_t *nodes,
			 const struct sim_account *a, uint64_t old_balance)
{
	uint8_t key[CR_SHA512HALF_BYTES], buf[22];
	char hex[65];
	json_t *ff = json_object(), *pf = json_object();

	(void)w;
	buf[0] = 0x00;
	buf[1] = 0x61;
	memcpy(buf + 2, a->id.b, CR_ACCOUNT_ID_BYTES);
	cr_sha512half(key, buf, sizeof(buf));
	xu_hex_encode(hex, sizeof(hex), key, sizeof(key));
	json_object_set_new(ff, "Account", json_string(a->addr));
	json_object_set_new(ff, "Balance", jdrops(a->balance));
	json_object_set_new(ff, "OwnerCount", json_integer(a->owners));
	json_object_set_new(ff, "Sequence", json_integer(a->seq));
	json_object_set_new(ff, "Flags", json_integer(0));
	if (old_balance != a->balance)
		json_object_set_new(pf, "Balance", jdrops(old_balance));
	meta_node(nodes, "ModifiedNode", "AccountRoot", hex, NULL, ff, pf);
}

/* ---- applying transactions -------------------------------------------------*/

static bool expired(const struct sim_chan *c, uint32_t parent_close)
{
	return (c->has_cancel && parent_close >= c->cancel_after) ||
	       (c->has_exp && parent_close >= c->exp);
}

static void remember_prev(struct sim *w, struct sim_chan *c)
{
	c->changed_index = w->L.index;
	c->prev_exists = c->exists;
	c->prev_amount = c->amount;
	c->prev_balance = c->balance;
	c->prev_has_exp = c->has_exp;
	c->prev_exp = c->exp;
}

/* Deletes c, paying its owner what is left (closeChannel). */
static void close_chan(struct sim *w, struct sim_chan *c, json_t *nodes,
		       bool expiry)
{
	struct sim_account *src = sim_account_of(w, &c->src);

	remember_prev(w, c);
	if (src) {
		uint64_t old = src->balance;

		src->balance += c->amount - c->balance;
		if (src->owners)
			src->owners--;
		meta_account(w, nodes, src, old);
	}
	c->exists = false;
	c->deleted_ms = w->now;
	c->deleted_index = w->L.index;
	c->final_balance = c->balance;
	c->expired_deleted = expiry;
	meta_node(nodes, "DeletedNode", "PayChannel", c->hex, NULL,
		  chan_fields(w, c, false), NULL);
	sim_trace("ledger: channel %.8s deleted%s (Amount %" PRIu64
		  ", Balance %" PRIu64 ")",
		  c->hex, expiry ? " on expiry" : "", c->amount, c->balance);
}

static struct sim_chan *chan_new(struct sim *w)
{
	if (w->L.nchans == w->L.capchans) {
		w->L.capchans = w->L.capchans ? w->L.capchans * 2 : 16;
		w->L.chans =
		    realloc(w->L.chans, w->L.capchans * sizeof(*w->L.chans));
		if (!w->L.chans)
			abort();
	}
	memset(&w->L.chans[w->L.nchans], 0, sizeof(w->L.chans[0]));
	return &w->L.chans[w->L.nchans++];
}

static const char *apply_create(struct sim *w, const struct xl_tx *tx,
				struct sim_account *src, json_t *nodes)
{
	struct sim_account *dst = sim_account_of(w, &tx->destination);
	uint64_t need = reserve(&w->L, src->owners + 1);
	uint64_t amount = xl_drops_u64(tx->amount);
	struct sim_chan *c;
	uint8_t id[32];
	json_t *nf;

	if (!dst)
		return "tecNO_DST";
	if (src->balance < need)
		return "tecINSUFFICIENT_RESERVE";
	if (src->balance < need + amount)
		return "tecUNFUNDED";
	cr_channel_id(id, &tx->account, &tx->destination, tx->sequence);
	c = chan_new(w);
	memcpy(c->id, id, 32);
	xu_hex_encode(c->hex, sizeof(c->hex), id, 32);
	c->src = tx->account;
	c->dst = tx->destination;
	c->amount = amount;
	c->balance = 0;
	c->settle_delay = tx->settle_delay;
	c->pk = tx->public_key;
	if (tx->has & XL_HAS_CANCEL_AFTER) {
		c->has_cancel = true;
		c->cancel_after = tx->cancel_after;
	}
	c->exists = true;
	c->prev_exists = false;
	c->changed_index = w->L.index;
	c->src_eng = sim_engine_of_account(w, &c->src);
	c->dst_eng = sim_engine_of_account(w, &c->dst);
	src->balance -= amount;
	src->owners++;
	nf = chan_fields(w, c, false);
	json_object_del(nf, "Balance");
	json_object_del(nf, "Flags");
	json_object_del(nf, "OwnerNode");
	json_object_del(nf, "DestinationNode");
	meta_node(nodes, "CreatedNode", "PayChannel", c->hex, NULL, nf, NULL);
	sim_trace("ledger: channel %.8s created %s -> %s, Amount %" PRIu64
		  ", SettleDelay %u",
		  c->hex, src->addr, dst->addr, amount, c->settle_delay);
	return "tesSUCCESS";
}

static const char *apply_fund(struct sim *w, const struct xl_tx *tx,
			      struct sim_account *src, json_t *nodes)
{
	struct sim_chan *c = sim_chan_of(w, tx->channel);
	uint64_t amount = xl_drops_u64(tx->amount);
	json_t *pf;

	if (!c || !c->exists)
		return "tecNO_ENTRY";
	if (expired(c, w->L.parent_close)) {
		close_chan(w, c, nodes, true);
		return "tesSUCCESS";
	}
	if (memcmp(&c->src, &tx->account, sizeof(c->src)))
		return "tecNO_PERMISSION";
	if (src->balance < reserve(&w->L, src->owners))
		return "tecINSUFFICIENT_RESERVE";
	if (src->balance < reserve(&w->L, src->owners) + amount)
		return "tecUNFUNDED";
	remember_prev(w, c);
	pf = json_object();
	json_object_set_new(pf, "Amount", jdrops(c->amount));
	c->amount += amount;
	src->balance -= amount;
	meta_node(nodes, "ModifiedNode", "PayChannel", c->hex, NULL,
		  chan_fields(w, c, false), pf);
	sim_trace("ledger: channel %.8s funded +%" PRIu64 " -> %" PRIu64,
		  c->hex, amount, c->amount);
	return "tesSUCCESS";
}

/* PaymentChannelClaim.  A tem result means "not applied" (no fee). */
static const char *apply_claim(struct sim *w, const struct xl_tx *tx,
			       struct sim_account *sender, json_t *nodes)
{
	struct sim_chan *c = sim_chan_of(w, tx->channel);
	bool by_src, by_dst, has_bal = tx->has & XL_HAS_BALANCE;
	uint64_t bal = has_bal ? xl_drops_u64(tx->balance) : 0;
	json_t *pf;

	if (!c || !c->exists)
		return "tecNO_TARGET";
	if (expired(c, w->L.parent_close)) {
		close_chan(w, c, nodes, true);
		return "tesSUCCESS";
	}
	by_src = !memcmp(&c->src, &sender->id, sizeof(c->src));
	by_dst = !memcmp(&c->dst, &sender->id, sizeof(c->dst));
	if (!by_src && !by_dst)
		return "tecNO_PERMISSION";
	if (has_bal) {
		if (by_dst && !(tx->has & XL_HAS_SIGNATURE))
			return "temBAD_SIGNATURE";
		if ((tx->has & XL_HAS_SIGNATURE) &&
		    memcmp(tx->public_key.b, c->pk.b, CR_PUBKEY_BYTES))
			return "temBAD_SIGNER";
		if (bal > c->amount || bal <= c->balance)
			return "tecUNFUNDED_PAYMENT";
	}
	if ((tx->flags & XL_TF_RENEW) && !by_src)
		return "tecNO_PERMISSION";
	remember_prev(w, c);
	pf = json_object();
	if (has_bal) {
		struct sim_account *dst = sim_account_of(w, &c->dst);

		json_object_set_new(pf, "Balance", jdrops(c->balance));
		if (dst) {
			uint64_t old = dst->balance;

			dst->balance += bal - c->balance;
			if (dst != sender)
				meta_account(w, nodes, dst, old);
		}
		sim_trace("ledger: channel %.8s redeemed %" PRIu64
			  " -> Balance %" PRIu64,
			  c->hex, bal - c->balance, bal);
		c->balance = bal;
	}
	if (tx->flags & XL_TF_RENEW) {
		if (c->has_exp)
			json_object_set_new(pf, "Expiration",
					    json_integer(c->exp));
		c->has_exp = false;
	}
	if (tx->flags & XL_TF_CLOSE) {
		if (by_dst || c->balance == c->amount) {
			json_decref(pf);
			close_chan(w, c, nodes, false);
			return "tesSUCCESS";
		}
		/* rippled: parentCloseTime + SettleDelay in 32 bits. */
		uint32_t exp = w->L.parent_close + c->settle_delay;

		if (!c->has_exp || exp < c->exp) {
			if (c->has_exp)
				json_object_set_new(pf, "Expiration",
						    json_integer(c->exp));
			c->has_exp = true;
			c->exp = exp;
			c->exp_set_ms = w->now;
			sim_trace("ledger: channel %.8s owner close: "
				  "Expiration %u (in %u s)",
				  c->hex, exp, c->settle_delay);
		}
	}
	meta_node(nodes, "ModifiedNode", "PayChannel", c->hex, NULL,
		  chan_fields(w, c, false), pf);
	return "tesSUCCESS";
}

static const char *apply_payment(struct sim *w, const struct xl_tx *tx,
				 struct sim_account *src, json_t *nodes)
{
	struct sim_account *dst = sim_account_of(w, &tx->destination);
	uint64_t amount = xl_drops_u64(tx->amount), old;

	if (!dst)
		return "tecNO_DST";
	if (src->balance < reserve(&w->L, src->owners) + amount)
		return "tecUNFUNDED_PAYMENT";
	src->balance -= amount;
	old = dst->balance;
	dst->balance += amount;
	meta_account(w, nodes, dst, old);
	return "tesSUCCESS";
}

static const char *tx_type_name(enum xl_tx_type t)
{
	switch (t) {
	case XL_TX_PAYMENT:
		return "Payment";
	case XL_TX_ACCOUNT_SET:
		return "AccountSet";
	case XL_TX_PAYCHAN_CREATE:
		return "PaymentChannelCreate";
	case XL_TX_PAYCHAN_FUND:
		return "PaymentChannelFund";
	case XL_TX_PAYCHAN_CLAIM:
		return "PaymentChannelClaim";
	}
	return "?";
}

/* Preflight: what rippled refuses before the ledger is read. */
static const char *preflight(const struct xl_tx *tx)
{
	if (tx->type != XL_TX_PAYCHAN_CLAIM)
		return NULL;
	if (tx->has & XL_HAS_SIGNATURE) {
		uint64_t auth;

		if (!(tx->has & XL_HAS_PUBLIC_KEY) ||
		    !(tx->has & XL_HAS_BALANCE))
			return "temMALFORMED";
		auth = xl_drops_u64((tx->has & XL_HAS_AMOUNT) ? tx->amount
							      : tx->balance);
		if (!cr_claim_verify(tx->public_key.b, CR_PUBKEY_BYTES,
				     tx->channel, auth, tx->signature.b,
				     tx->signature.len))
			return "temBAD_SIGNATURE";
	}
	if ((tx->has & XL_HAS_BALANCE) && (tx->has & XL_HAS_AMOUNT) &&
	    xl_drops_u64(tx->balance) > xl_drops_u64(tx->amount))
		return "temBAD_AMOUNT";
	return NULL;
}

/* Applies one transaction in the closing ledger.  Returns the result;
 * *meta gets the metadata (NULL when not applied). */
static const char *apply_tx(struct sim *w, const struct xl_tx *tx,
			    json_t **meta)
{
	struct sim_account *sender = sim_account_of(w, &tx->account);
	uint64_t fee = xl_drops_u64(tx->fee), old;
	json_t *nodes;
	const char *r;

	*meta = NULL;
	if (!sender)
		return "terNO_ACCOUNT";
	if ((r = preflight(tx)))
		return r;
	if (sender->balance < fee)
		return "terINSUF_FEE_B";
	old = sender->balance;
	nodes = json_array();
	switch (tx->type) {
	case XL_TX_PAYCHAN_CREATE:
		r = apply_create(w, tx, sender, nodes);
		break;
	case XL_TX_PAYCHAN_FUND:
		r = apply_fund(w, tx, sender, nodes);
		break;
	case XL_TX_PAYCHAN_CLAIM:
		r = apply_claim(w, tx, sender, nodes);
		break;
	case XL_TX_PAYMENT:
		r = apply_payment(w, tx, sender, nodes);
		break;
	case XL_TX_ACCOUNT_SET:
		r = "tesSUCCESS";
		break;
	}
	if (!strncmp(r, "tem", 3)) {
		json_decref(nodes);
		return r;
	}
	if (strcmp(r, "tesSUCCESS")) {
		/* tec: only the fee and the sequence */
		json_decref(nodes);
		nodes = json_array();
	}
	sender->balance -= fee;
	if (tx->sequence)
		sender->seq = tx->sequence + 1;
	meta_account(w, nodes, sender, old);
	*meta = json_pack("{s:o,s:i,s:s}", "AffectedNodes", nodes,
			  "TransactionIndex", 0, "TransactionResult", r);
	return r;
}

/* ---- the client (ledger/net/client.h, rippled.h) --------------------------*/

struct xl_client *xl_rippled_client(struct xl_rippled *r)
{
	return (struct xl_client *)(void *)r;
}

struct xl_submit *xl_rippled_submit(struct xl_rippled *r)
{
	return (struct xl_submit *)(void *)r;
}

/* The simulated queue has no in-flight bound. */
void xl_submit_set_max_inflight(struct xl_submit *s, unsigned n)
{
	(void)s;
	(void)n;
}

enum xl_client_state xl_client_state(const struct xl_client *c)
{
	return eng_of(c)->cstate;
}

uint32_t xl_client_validated_index(const struct xl_client *c)
{
	(void)c;
	return g_sim->L.index;
}

enum xu_code xl_client_listen(struct xl_client *c,
			      const struct xl_client_listener *l,
			      struct xu_err *err)
{
	struct sim_engine *e = eng_of(c);

	(void)err;
	e->listener = *l;
	e->has_listener = true;
	return XU_OK;
}

/* The simulated server has no account_channels pages at a resync (the
 * peers' channels are polled then), but it answers the polls' pages
 * (account_channels below), which read the peers named here. */
enum xu_code xl_client_add_peer(struct xl_client *c, const char *addr,
				struct xu_err *err)
{
	struct sim_engine *e = eng_of(c);

	for (size_t i = 0; i < e->npeers; i++)
		if (!strcmp(e->peers[i], addr))
			return XU_OK;
	if (e->npeers == SIM_PEERS_MAX)
		return xu_fail(err, XU_ERANGE, 0, "too many peers");
	snprintf(e->peers[e->npeers++], CR_ADDRESS_STRLEN, "%s", addr);
	return XU_OK;
}

const char *xl_client_peer(const struct xl_client *c, size_t i)
{
	const struct sim_engine *e = eng_of(c);

	return i < e->npeers ? e->peers[i] : NULL;
}

/* xl_ws_result and the xl_json_* readers are ledger/net/ws.c's own
 * (linked): the simulated server answers in rippled's shapes. */

const char *xl_outcome_kind_name(enum xl_outcome_kind k)
{
	switch (k) {
	case XL_OUT_SUCCESS:
		return "success";
	case XL_OUT_TEC:
		return "tec";
	case XL_OUT_FAILED:
		return "failed";
	case XL_OUT_EXPIRED:
		return "expired";
	case XL_OUT_REFUSED:
		return "refused";
	}
	return "?";
}

/* ---- requests --------------------------------------------------------------*/

static json_t *error_msg(const char *tok, const char *text)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "type", "response", "status",
			 "error", "error", tok, "error_message", text);
}

/* An error as a validated ledger gives it: with that ledger's index. */
static json_t *error_at(const char *tok, uint32_t index)
{
	json_t *m = error_msg(tok, tok);

	json_object_set_new(m, "ledger_index", json_integer(index));
	json_object_set_new(m, "validated", json_true());
	return m;
}

/* account_tx: the transactions that deleted a channel of the account, in
 * the ledgers asked (-1: the server's first or last), oldest first, one
 * per page with a marker, as rippled may page.  The simulated ledger keeps
 * no other history: every other transaction of the account is left out,
 * which a reader of the deletions cannot tell.  A lagging server answers
 * lgrIdxMalformed when asked for a ledger it lacks (API v2) or serves the
 * ledger before the validated one. */
static enum xu_code account_tx(struct sim *w, struct sim_engine *e, json_t *req,
			       json_t **out, struct xu_err *err)
{
	struct sim_ledger *L = &w->L;
	const char *acct = xl_json_str(req, "account");
	json_t *jmin = json_object_get(req, "ledger_index_min");
	json_t *jmax = json_object_get(req, "ledger_index_max");
	json_t *mk = json_object_get(req, "marker");
	json_int_t lo = json_is_integer(jmin) ? json_integer_value(jmin) : -1;
	json_int_t hi = json_is_integer(jmax) ? json_integer_value(jmax) : -1;
	json_int_t top = L->index, after = -1;
	json_t *txs, *res;
	struct cr_account_id id;
	size_t found = 0;

	if (!acct || cr_address_decode(&id, acct, NULL) != XU_OK) {
		*out = error_msg("actMalformed", "Account malformed.");
		return xu_fail(err, XU_EINVAL, 0, "rippled error actMalformed");
	}
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.lag_ppm)) {
		if (sim_rng_below(&w->rng, 2) && hi >= (json_int_t)L->index) {
			sim_trace("rippled(%s): lagging server: "
				  "lgrIdxMalformed for account_tx",
				  e->name);
			*out = error_msg("lgrIdxMalformed",
					 "Ledger indexes invalid.");
			return xu_fail(err, XU_EUNAVAIL, 0,
				       "rippled error lgrIdxMalformed");
		}
		top = L->index - 1;
	}
	if (lo < 0)
		lo = 1;
	if (hi < 0 || hi > top)
		hi = top;
	if (json_is_integer(mk))
		after = json_integer_value(mk);
	txs = json_array();
	res = json_pack("{s:s,s:I,s:I,s:o,s:b}", "account", acct,
			"ledger_index_min", lo, "ledger_index_max", hi,
			"transactions", txs, "validated", 1);
	for (size_t i = 0; i < L->nchans; i++) {
		struct sim_chan *c = &L->chans[i];
		json_t *nodes, *t;

		if (c->exists || !c->deleted_index ||
		    (json_int_t)c->deleted_index < lo ||
		    (json_int_t)c->deleted_index > hi ||
		    (json_int_t)i <= after ||
		    (memcmp(&c->src, &id, sizeof(id)) &&
		     memcmp(&c->dst, &id, sizeof(id))))
			continue;
		if (found == 1) {
			json_object_set_new(res, "marker",
					    json_integer((json_int_t)i - 1));
			break;
		}
		found++;
		nodes = json_array();
		{
			json_t *ff = chan_fields(w, c, false);

			json_object_set_new(ff, "Balance",
					    jdrops(c->final_balance));
			meta_node(nodes, "DeletedNode", "PayChannel", c->hex,
				  NULL, ff, NULL);
		}
		t = json_pack("{s:{s:o,s:s},s:{s:s,s:s},s:I,s:b}", "meta",
			      "AffectedNodes", nodes, "TransactionResult",
			      "tesSUCCESS", "tx_json", "TransactionType",
			      "PaymentChannelClaim", "Account", acct,
			      "ledger_index", (json_int_t)c->deleted_index,
			      "validated", 1);
		json_array_append_new(txs, t);
	}
	*out = json_pack("{s:s,s:s,s:o}", "type", "response", "status",
			 "success", "result", res);
	return XU_OK;
}

/* account_channels of ledger `ledger_index` (the polls name it by
 * number): the channels from "account" (to "destination_account"), in
 * pages of at most three (a marker: the index of the last one shown), so
 * that the polls' rounds page.  The server holds the last validated
 * ledger and, as the lagging server's views do, the one before: a
 * channel changed since is shown as it was then when that is known
 * (prev_*), else the server lacks that ledger (lgrNotFound); any other
 * ledger it lacks too.  A lagging server now and then lacks it anyway. */
static enum xu_code account_channels(struct sim *w, struct sim_engine *e,
				     json_t *req, json_t **out,
				     struct xu_err *err)
{
	struct sim_ledger *L = &w->L;
	const char *acct = xl_json_str(req, "account");
	const char *dst = xl_json_str(req, "destination_account");
	json_t *want = json_object_get(req, "ledger_index");
	json_t *mk = json_object_get(req, "marker");
	json_int_t after = json_is_integer(mk) ? json_integer_value(mk) : -1;
	uint32_t at = L->index;
	json_t *chans, *res;
	size_t shown = 0;

	if (json_is_integer(want))
		at = (uint32_t)json_integer_value(want);
	if (!acct || at > L->index || at + 1 < L->index || at < 1 ||
	    (!w->quiet && sim_rng_ppm(&w->rng, w->k.lag_ppm))) {
		sim_trace("rippled(%s): account_channels: lgrNotFound for "
			  "ledger %u",
			  e->name, (unsigned)at);
		*out = error_msg("lgrNotFound", "ledgerNotFound");
		return xu_fail(err, XU_EUNAVAIL, 0,
			       "rippled error lgrNotFound");
	}
	chans = json_array();
	res = json_pack("{s:s,s:o,s:I,s:b}", "account", acct, "channels", chans,
			"ledger_index", (json_int_t)at, "validated", 1);
	for (size_t i = 0; i < L->nchans; i++) {
		struct sim_chan *c = &L->chans[i];
		bool prev = c->changed_index > at;
		json_t *f, *x;

		if ((json_int_t)i <= after ||
		    strcmp(addr_of(w, &c->src), acct) ||
		    (dst && strcmp(addr_of(w, &c->dst), dst)))
			continue;
		if (prev && c->changed_index > at + 1) {
			json_decref(res);
			*out = error_msg("lgrNotFound", "ledgerNotFound");
			return xu_fail(err, XU_EUNAVAIL, 0,
				       "rippled error lgrNotFound");
		}
		if (!(prev ? c->prev_exists : c->exists))
			continue;
		if (shown == 3) {
			json_object_set_new(res, "marker",
					    json_integer((json_int_t)i - 1));
			json_object_set_new(res, "limit", json_integer(3));
			break;
		}
		shown++;
		f = chan_fields(w, c, prev);
		x = json_pack(
		    "{s:s,s:O,s:O,s:s,s:O,s:O,s:O,s:O}", "channel_id", c->hex,
		    "account", json_object_get(f, "Account"),
		    "destination_account", json_object_get(f, "Destination"),
		    "public_key_hex",
		    json_string_value(json_object_get(f, "PublicKey")),
		    "amount", json_object_get(f, "Amount"), "balance",
		    json_object_get(f, "Balance"), "settle_delay",
		    json_object_get(f, "SettleDelay"), "expiration",
		    json_object_get(f, "Expiration")
			? json_object_get(f, "Expiration")
			: json_null());
		if (json_is_null(json_object_get(x, "expiration")))
			json_object_del(x, "expiration");
		if (json_object_get(f, "CancelAfter"))
			json_object_set(x, "cancel_after",
					json_object_get(f, "CancelAfter"));
		json_array_append_new(chans, x);
		json_decref(f);
	}
	sim_trace("rippled(%s): account_channels of %.8s at ledger %u: %zu "
		  "shown%s",
		  e->name, acct, (unsigned)at, shown,
		  json_object_get(res, "marker") ? ", more" : "");
	*out = json_pack("{s:s,s:s,s:o}", "type", "response", "status",
			 "success", "result", res);
	return XU_OK;
}

/* The server's answer to req, from the last validated ledger (or a lagging
 * one).  Returns the code the client would report. */
static enum xu_code answer(struct sim *w, struct sim_engine *e, json_t *req,
			   json_t **out, struct xu_err *err)
{
	const char *cmd = xl_json_str(req, "command");
	struct sim_ledger *L = &w->L;

	if (cmd && !strcmp(cmd, "ledger_entry")) {
		const char *hex = xl_json_str(req, "payment_channel");
		uint8_t id[32];
		struct sim_chan *c = NULL;
		bool stale = false, lagged = false;

		if (hex && xu_hex_decode_exact(id, 32, hex, NULL) == XU_OK)
			c = sim_chan_of(w, id);
		if (c && c->exists && !w->quiet &&
		    sim_rng_ppm(&w->rng, w->k.lag_ppm)) {
			if (sim_rng_below(&w->rng, 2)) {
				/* Asked for a ledger by number, a server
				 * that lacks it says so (lgrNotFound): it
				 * cannot claim the entry is absent there. */
				bool lgr = sim_rng_below(&w->rng, 2) ||
					   json_is_integer(json_object_get(
					       req, "ledger_index"));

				sim_trace("rippled(%s): lagging server: %s "
					  "for channel %.8s",
					  e->name,
					  lgr ? "lgrNotFound" : "entryNotFound",
					  c->hex);
				/* As rippled: lgrNotFound is a server
				 * without the ledger (a transient error);
				 * a lagging entryNotFound names no ledger
				 * it could be checked against. */
				*out = error_msg(
				    lgr ? "lgrNotFound" : "entryNotFound",
				    lgr ? "ledgerNotFound" : "entryNotFound");
				return xu_fail(
				    err, lgr ? XU_EUNAVAIL : XU_ENOTFOUND, 0,
				    "rippled error %s",
				    lgr ? "lgrNotFound" : "entryNotFound");
			}
			stale = true;
		}
		/* A lagging server serves the ledger before the validated
		 * one (or an older one asked by number): asked for a newer
		 * ledger by number, it lacks it.  What it shows is what
		 * that ledger holds: the channel as it is when its last
		 * change is not newer, as it was before that change when
		 * the change came in the next ledger; for an older ledger
		 * the simulation keeps no state, so that server lacks it. */
		json_t *want = json_object_get(req, "ledger_index");
		uint32_t served = L->index > 1 ? L->index - 1 : L->index;
		bool lacks = false;

		if (stale && json_is_integer(want)) {
			json_int_t n = json_integer_value(want);

			if (n >= (json_int_t)L->index || n < 1)
				lacks = true;
			else
				served = (uint32_t)n;
		}
		if (stale && !lacks && c->changed_index > served + 1)
			lacks = true;
		if (stale && lacks) {
			sim_trace("rippled(%s): lagging server: lgrNotFound "
				  "for ledger %lld",
				  e->name,
				  json_is_integer(want)
				      ? (long long)json_integer_value(want)
				      : (long long)served);
			*out = error_msg("lgrNotFound", "ledgerNotFound");
			return xu_fail(err, XU_EUNAVAIL, 0,
				       "rippled error lgrNotFound");
		}
		if (stale && c->changed_index <= served) {
			stale = false; /* it held the channel as it is */
			lagged = true;
		}
		if (c && stale && !c->prev_exists)
			sim_trace("rippled(%s): lagging server: entryNotFound "
				  "for channel %.8s (created after the ledger "
				  "it serves)",
				  e->name, c->hex);
		if (!c || !(stale ? c->prev_exists : c->exists)) {
			*out = stale
				   ? error_msg("entryNotFound", "entryNotFound")
				   : error_at("entryNotFound", L->index);
			return xu_fail(err, XU_ENOTFOUND, 0,
				       "rippled error entryNotFound");
		}
		if (stale)
			sim_trace("rippled(%s): lagging server: an older "
				  "view of channel %.8s",
				  e->name, c->hex);
		json_t *node = chan_fields(w, c, stale);

		json_object_set_new(node, "LedgerEntryType",
				    json_string("PayChannel"));
		json_object_set_new(node, "index", json_string(c->hex));
		*out = json_pack("{s:s,s:s,s:{s:s,s:i,s:o,s:b}}", "type",
				 "response", "status", "success", "result",
				 "index", c->hex, "ledger_index",
				 stale || lagged ? served : L->index, "node",
				 node, "validated", 1);
		return XU_OK;
	}
	if (cmd && !strcmp(cmd, "account_tx"))
		return account_tx(w, e, req, out, err);
	if (cmd && !strcmp(cmd, "account_channels"))
		return account_channels(w, e, req, out, err);
	if (cmd && !strcmp(cmd, "account_info")) {
		struct sim_account *a = sim_account_of(w, &e->id);

		if (!a) {
			*out = error_msg("actNotFound", "Account not found.");
			return xu_fail(err, XU_ENOTFOUND, 0,
				       "rippled error actNotFound");
		}
		*out = json_pack("{s:s,s:s,s:{s:{s:s,s:o,s:i,s:i,s:s},s:i,"
				 "s:b}}",
				 "type", "response", "status", "success",
				 "result", "account_data", "Account", a->addr,
				 "Balance", jdrops(a->balance), "OwnerCount",
				 a->owners, "Sequence", a->seq,
				 "LedgerEntryType", "AccountRoot",
				 "ledger_index", L->index, "validated", 1);
		return XU_OK;
	}
	*out = error_msg("unknownCmd", "Unknown method.");
	return xu_fail(err, XU_EINVAL, 0, "rippled error unknownCmd");
}

static void req_finish(struct sim *w, struct sim_req *q, enum xu_code code,
		       json_t *msg, const struct xu_err *err)
{
	struct sim_engine *e = &w->e[q->engine], *prev;

	q->done = true;
	prev = sim_enter(e);
	q->cb(q->arg, code, msg, code == XU_OK ? NULL : err);
	sim_leave(prev);
}

static bool req_alive(struct sim *w, const struct sim_req *q)
{
	const struct sim_engine *e = &w->e[q->engine];

	return !q->done && e->up && e->inc == q->inc;
}

static void req_answer(struct sim *w, void *arg)
{
	struct sim_req *q = arg;
	struct sim_engine *e = &w->e[q->engine];
	struct xu_err err = {0};
	json_t *msg = NULL;
	enum xu_code code;

	if (req_alive(w, q)) {
		if (e->conn_epoch != q->conn) {
			xu_fail(&err, XU_EUNAVAIL, 0,
				"rippled connection closed");
			req_finish(w, q, XU_EUNAVAIL, NULL, &err);
		} else {
			code = answer(w, e, q->req, &msg, &err);
			req_finish(w, q, code, msg, &err);
		}
	}
	json_decref(msg);
	json_decref(q->req);
	free(q);
}

static void req_timeout(struct sim *w, void *arg)
{
	struct sim_req *q = arg;
	struct xu_err err;

	if (req_alive(w, q)) {
		xu_fail(&err, XU_ETIMEOUT, 0, "rippled request timed out");
		req_finish(w, q, XU_ETIMEOUT, NULL, &err);
	}
	json_decref(q->req);
	free(q);
}

enum xu_code xl_client_request(struct xl_client *c, json_t *req,
			       unsigned timeout_ms, xl_ws_reply_fn cb,
			       void *arg, struct xu_err *err)
{
	struct sim_engine *e = eng_of(c);
	struct sim *w = g_sim;
	struct sim_req *q;

	if (e->cstate != XL_CLIENT_READY) {
		json_decref(req);
		return xu_fail(err, XU_EUNAVAIL, 0, "not connected");
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		abort();
	q->engine = e->idx;
	q->inc = e->inc;
	q->conn = e->conn_epoch;
	q->req = req;
	q->cb = cb;
	q->arg = arg;
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.req_loss_ppm))
		sim_at(w,
		       w->now +
			   (timeout_ms ? timeout_ms : SIM_LOOKUP_TIMEOUT_MS),
		       req_timeout, q);
	else
		sim_at(w, w->now + sim_rng_range(&w->rng, 2, 250), req_answer,
		       q);
	return XU_OK;
}

/* ---- connection ------------------------------------------------------------*/

static void client_ready(struct sim *w, void *arg)
{
	struct sim_engine *e = arg;
	struct sim_account *a = sim_account_of(w, &e->id);
	struct xl_sync_info s;
	struct sim_engine *prev;
	uint32_t hi = 0;

	if (!e->up || e->cstate == XL_CLIENT_READY ||
	    (e->outage_until && w->now < e->outage_until))
		return;
	e->cstate = XL_CLIENT_READY;
	e->outage_until = 0;
	sim_unreach(e, SIM_UNREACH_CONNECTING | SIM_UNREACH_OUTAGE, false);
	/* The queue reconciles its journal before building anything new. */
	for (struct sim_jrow *r = e->journal; r; r = r->next)
		if (!r->final && r->tx.sequence >= hi)
			hi = r->tx.sequence + 1;
	e->next_seq = a ? a->seq : 1;
	if (hi > e->next_seq)
		e->next_seq = hi;
	memset(&s, 0, sizeof(s));
	s.validated_index = w->L.index;
	s.ledger_time = w->L.close_time;
	s.fee_base = w->L.fee_base;
	s.reserve_base = w->L.reserve_base;
	s.reserve_inc = w->L.reserve_inc;
	s.account_found = a != NULL;
	if (a) {
		s.account_sequence = a->seq;
		s.balance = a->balance;
		s.owner_count = a->owners;
	}
	sim_trace("rippled(%s): connected, synced at ledger %u", e->name,
		  w->L.index);
	if (e->has_listener && e->listener.on_ready) {
		prev = sim_enter(e);
		e->listener.on_ready(e->listener.arg, &s);
		sim_leave(prev);
	}
	sim_queue_kick(w, e);
}

void sim_client_connect(struct sim *w, struct sim_engine *e)
{
	e->cstate = XL_CLIENT_CONNECTING;
	sim_unreach(e, SIM_UNREACH_CONNECTING, true);
	sim_at(w, w->now + sim_rng_range(&w->rng, 50, 800), client_ready, e);
}

void sim_client_drop(struct sim *w, struct sim_engine *e, int64_t until)
{
	if (!e->up)
		return;
	e->cstate = XL_CLIENT_DISCONNECTED;
	e->conn_epoch++;
	e->outage_until = until;
	sim_unreach(e, SIM_UNREACH_OUTAGE, true);
	sim_trace("rippled(%s): connection lost for %lld s", e->name,
		  (long long)((until - w->now) / 1000));
	sim_at(w, until, client_ready, e);
}

/* ---- the submission queue --------------------------------------------------*/

static struct sim_jrow *jrow_of(struct sim_engine *e, const char *intent)
{
	for (struct sim_jrow *r = e->journal; r; r = r->next)
		if (!strcmp(r->intent, intent))
			return r;
	return NULL;
}

static struct sim_qitem *qitem_of(struct sim_engine *e, const char *intent)
{
	for (struct sim_qitem *q = e->queue; q; q = q->next)
		if (!strcmp(q->intent, intent))
			return q;
	return NULL;
}

static void qitem_unlink(struct sim_engine *e, struct sim_qitem *q)
{
	for (struct sim_qitem **p = &e->queue; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			free(q);
			return;
		}
}

void sim_queue_crash(struct sim *w, struct sim_engine *e)
{
	(void)w;
	while (e->queue) {
		struct sim_qitem *q = e->queue;

		e->queue = q->next;
		free(q);
	}
}

static void queue_pump(struct sim *w, void *arg);

void sim_queue_kick(struct sim *w, struct sim_engine *e)
{
	if (e->queue_kicked)
		return;
	e->queue_kicked = true;
	sim_at(w, w->now + sim_rng_range(&w->rng, 1, 30), queue_pump, e);
}

enum xu_code xl_submit_enqueue(struct xl_submit *s, const char *intent,
			       unsigned flags, xl_build_fn build,
			       void *build_arg, struct xu_err *err)
{
	struct sim_engine *e = eng_of(s);
	struct sim_qitem *q, **p;

	if (!intent || !*intent || strlen(intent) >= XL_INTENT_MAX ||
	    strchr(intent, '#'))
		return xu_fail(err, XU_EINVAL, 0, "bad intent");
	if (qitem_of(e, intent))
		return xu_fail(err, XU_EEXIST, 0, "intent %s already queued",
			       intent);
	q = calloc(1, sizeof(*q));
	if (!q)
		abort();
	snprintf(q->intent, sizeof(q->intent), "%s", intent);
	q->priority = (flags & XL_SUBMIT_PRIORITY) != 0;
	q->deadline = (flags & XL_SUBMIT_DEADLINE) != 0;
	q->build = build;
	q->arg = build_arg;
	for (p = &e->queue; *p; p = &(*p)->next)
		;
	*p = q;
	sim_queue_kick(g_sim, e);
	return XU_OK;
}

/* The priority lane's fair shares are the real queue's business (tested
 * in tests/ledger/net): here every owner is one. */
enum xu_code xl_submit_enqueue_as(struct xl_submit *s, const char *intent,
				  unsigned flags, const char *owner,
				  xl_build_fn build, void *build_arg,
				  struct xu_err *err)
{
	(void)owner;
	return xl_submit_enqueue(s, intent, flags, build, build_arg, err);
}

/* Hands the outcome to the service (the item, if any, is gone first: the
 * service frees the builder's argument). */
static void deliver(struct sim *w, struct sim_engine *e, const char *intent,
		    enum xl_outcome_kind kind, const char *result, json_t *meta,
		    uint32_t seq, uint32_t ledger_index)
{
	struct sim_qitem *q = qitem_of(e, intent);
	struct xl_outcome o;
	struct xu_err err;
	struct sim_engine *prev;
	char in[XL_INTENT_MAX];

	(void)w;
	snprintf(in, sizeof(in), "%s", intent);
	if (q)
		qitem_unlink(e, q);
	memset(&o, 0, sizeof(o));
	xu_fail(&err, XU_EUNAVAIL, 0, "%s", result);
	o.intent = in;
	o.kind = kind;
	o.result = result;
	o.sequence = seq;
	o.ledger_index = ledger_index;
	o.meta = meta;
	o.err = kind == XL_OUT_SUCCESS || kind == XL_OUT_TEC ? NULL : &err;
	sim_trace("queue(%s): outcome %s: %s", e->name, in, result);
	prev = sim_enter(e);
	eng_paychan_outcome(e->pc, &o);
	sim_leave(prev);
}

static void jrow_final(struct sim_jrow *r, enum xl_outcome_kind kind,
		       const char *result, json_t *meta, uint32_t ledger)
{
	r->final = true;
	r->undelivered = true;
	r->kind = kind;
	snprintf(r->result, sizeof(r->result), "%s", result);
	json_decref(r->meta);
	r->meta = meta ? json_incref(meta) : NULL;
	r->ledger_index = ledger;
	r->sequence = r->tx.sequence;
}

static bool in_pool(struct sim *w, int engine, const char *intent)
{
	for (struct sim_pooltx *p = w->L.pool; p; p = p->next)
		if (p->engine == engine && !strcmp(p->intent, intent))
			return true;
	return false;
}

/* Sends row r's signed transaction to the server: lost on its way now and
 * then (answered, never in a ledger), else into the pool of the next
 * ledger.  again: the same blob sent once more (ledger/net/submit.c sends
 * an in-flight blob again every few ledgers until its LastLedgerSequence). */
static void send_tx(struct sim *w, struct sim_engine *e, struct sim_jrow *r,
		    bool again)
{
	const struct xl_tx *tx = &r->tx;
	struct sim_pooltx *p, **pp;

	r->sent_at = w->L.index;
	if (!w->quiet && sim_rng_ppm(&w->rng, w->k.tx_lost_ppm)) {
		sim_trace("queue(%s): %s (%s, seq %u) lost on its way%s",
			  e->name, r->intent, tx_type_name(tx->type),
			  tx->sequence, again ? " again" : "");
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->engine = e->idx;
	snprintf(p->intent, sizeof(p->intent), "%s", r->intent);
	p->tx = *tx;
	for (pp = &w->L.pool; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	sim_trace("queue(%s): %s %s (%s, seq %u, fee %" PRIu64 ", lls %u)",
		  e->name, again ? "sent again" : "submitted", r->intent,
		  tx_type_name(tx->type), tx->sequence, xl_drops_u64(tx->fee),
		  tx->last_ledger_sequence);
}

/* Builds q's transaction with the next Sequence and submits it.  Returns
 * false when it was refused (the outcome is then delivered). */
static bool submit(struct sim *w, struct sim_engine *e, struct sim_qitem *q,
		   struct sim_jrow *r)
{
	struct xl_tx_common c;
	struct xl_tx tx;
	struct xu_err err = {0};
	struct sim_engine *prev;
	enum xu_code rc;
	const char *tem;
	uint64_t fee = fee_now(w);
	int cap = q->deadline ? SIM_DEADLINE_FEE_MAX : SIM_FEE_MAX;

	if (fee > (uint64_t)cap) {
		char why[64];

		snprintf(why, sizeof(why), "refused");
		sim_trace("queue(%s): %s refused: fee %" PRIu64
			  " above the cap %d",
			  e->name, q->intent, fee, cap);
		if (r) {
			jrow_final(r, XL_OUT_EXPIRED, "expired", NULL, 0);
			r->undelivered = false;
		}
		deliver(w, e, q->intent, r ? XL_OUT_EXPIRED : XL_OUT_REFUSED,
			r ? "expired" : why, NULL, 0, 0);
		return false;
	}
	memset(&c, 0, sizeof(c));
	c.account = e->id;
	(void)!xl_drops_from_u64(&c.fee, fee);
	c.sequence = e->next_seq;
	c.last_ledger_sequence = w->L.index + SIM_LLS_OFFSET;
	prev = sim_enter(e);
	rc = q->build(q->arg, &tx, &c, &err);
	sim_leave(prev);
	if (rc != XU_OK) {
		sim_trace("queue(%s): %s refused by its builder: %s", e->name,
			  q->intent, err.msg);
		if (r) {
			jrow_final(r, XL_OUT_EXPIRED, "expired", NULL, 0);
			r->undelivered = false;
		}
		deliver(w, e, q->intent, r ? XL_OUT_EXPIRED : XL_OUT_REFUSED,
			r ? "expired" : "refused", NULL, 0, 0);
		return false;
	}
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			abort();
		snprintf(r->intent, sizeof(r->intent), "%s", q->intent);
		r->next = e->journal;
		e->journal = r;
	}
	r->tx = tx;
	r->attempts++;
	q->submitted = true;
	if ((tem = preflight(&tx))) {
		jrow_final(r, XL_OUT_FAILED, tem, NULL, 0);
		r->undelivered = false;
		deliver(w, e, q->intent, XL_OUT_FAILED, tem, NULL, 0, 0);
		return false;
	}
	e->next_seq++;
	send_tx(w, e, r, false);
	return true;
}

static void queue_pump(struct sim *w, void *arg)
{
	struct sim_engine *e = arg;
	bool again = true;

	e->queue_kicked = false;
	if (!e->up || e->cstate != XL_CLIENT_READY)
		return;
	/* Rows whose LastLedgerSequence passed without the transaction:
	 * built again with a fresh Sequence while attempts remain. */
	for (struct sim_jrow *r = e->journal; r; r = r->next) {
		struct sim_qitem *q;

		if (r->final || in_pool(w, e->idx, r->intent))
			continue;
		if (w->L.index <= r->tx.last_ledger_sequence) {
			if (w->L.index >= r->sent_at + SIM_RESUBMIT_EVERY)
				send_tx(w, e, r, true);
			continue;
		}
		q = qitem_of(e, r->intent);
		if (q && r->attempts < SIM_MAX_ATTEMPTS) {
			struct sim_account *a = sim_account_of(w, &e->id);

			/* A fresh Sequence, re-read from the ledger (below a
			 * lost one, later ones wait and expire too). */
			if (a)
				e->next_seq = a->seq;
			sim_trace("queue(%s): %s not in a ledger by %u: "
				  "built again",
				  e->name, r->intent,
				  r->tx.last_ledger_sequence);
			if (!submit(w, e, q, r))
				return sim_queue_kick(w, e);
			continue;
		}
		if (!q)
			continue; /* followed once the service asks again */
		jrow_final(r, XL_OUT_EXPIRED, "expired", NULL, 0);
	}
	while (again && e->up && e->cstate == XL_CLIENT_READY) {
		again = false;
		/* Outcomes not yet handed over. */
		for (struct sim_jrow *r = e->journal; r; r = r->next) {
			if (!r->final || !r->undelivered)
				continue;
			if (!qitem_of(e, r->intent)) {
				r->undelivered = false;
				continue; /* answered when asked again */
			}
			r->undelivered = false;
			deliver(w, e, r->intent, r->kind, r->result, r->meta,
				r->sequence, r->ledger_index);
			again = true;
			break;
		}
		if (again)
			continue;
		/* New intents: priority ones first. */
		for (int pri = 1; pri >= 0 && !again; pri--)
			for (struct sim_qitem *q = e->queue; q; q = q->next) {
				struct sim_jrow *r;

				if (q->submitted || (int)q->priority != pri)
					continue;
				r = jrow_of(e, q->intent);
				if (r && r->final) {
					r->undelivered = true;
					again = true;
					break;
				}
				if (r) {
					q->submitted = true; /* followed */
					continue;
				}
				if (!submit(w, e, q, NULL)) {
					again = true;
					break;
				}
			}
	}
}

/* ---- ledger close ------------------------------------------------------------*/

struct note {
	int engine;
	json_t *msg;
};

static void notify(struct sim *w, struct note **v, size_t *n, size_t *cap,
		   int engine, json_t *msg)
{
	if (engine < 0 || !w->e[engine].up) {
		json_decref(msg);
		return;
	}
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].engine == engine && (*v)[i].msg == msg) {
			json_decref(msg);
			return;
		}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			abort();
	}
	(*v)[(*n)++] = (struct note){engine, json_incref(msg)};
	json_decref(msg);
}

static int pool_cmp(const void *a, const void *b)
{
	const struct sim_pooltx *x = *(struct sim_pooltx *const *)a;
	const struct sim_pooltx *y = *(struct sim_pooltx *const *)b;

	if (x->engine != y->engine)
		return x->engine < y->engine ? -1 : 1;
	if (x->tx.sequence != y->tx.sequence)
		return x->tx.sequence < y->tx.sequence ? -1 : 1;
	return 0;
}

static json_t *tx_json(struct sim *w, const struct xl_tx *tx)
{
	json_t *t = json_pack(
	    "{s:s,s:s,s:i}", "TransactionType", tx_type_name(tx->type),
	    "Account", addr_of(w, &tx->account), "Sequence", tx->sequence);

	if (tx->has & XL_HAS_CHANNEL) {
		char hex[65];

		xu_hex_encode(hex, sizeof(hex), tx->channel, 32);
		json_object_set_new(t, "Channel", json_string(hex));
	}
	if (tx->has & XL_HAS_DESTINATION)
		json_object_set_new(t, "Destination",
				    json_string(addr_of(w, &tx->destination)));
	return t;
}

void sim_ledger_close(struct sim *w, void *arg)
{
	struct sim_ledger *L = &w->L;
	struct sim_pooltx **v = NULL, *p;
	struct note *notes = NULL;
	size_t n = 0, cap = 0, nn = 0, capn = 0;
	uint32_t ntx = 0;

	(void)arg;
	if (w->ending)
		return;
	L->index++;
	L->parent_close = L->close_time;
	L->close_time = sim_ledger_now(w);
	if (L->close_time <= L->parent_close)
		L->close_time = L->parent_close + 1;
	if (L->spike_until && w->now >= L->spike_until) {
		L->spike_until = 0;
		L->load = 1;
		sim_trace("ledger: fee back to %" PRIu64 " drops", fee_now(w));
		for (int i = 0; i < SIM_NENG; i++)
			sim_unreach(&w->e[i], SIM_UNREACH_SPIKE, false);
	}
	for (p = L->pool; p; p = p->next) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[n++] = p;
	}
	L->pool = NULL;
	if (n)
		qsort(v, n, sizeof(*v), pool_cmp);
	for (size_t i = 0; i < n; i++) {
		struct xl_tx *tx = &v[i]->tx;
		struct sim_account *a = sim_account_of(w, &tx->account);
		json_t *meta = NULL;
		const char *r;

		if (tx->last_ledger_sequence &&
		    L->index > tx->last_ledger_sequence) {
			free(v[i]);
			continue; /* too late: never applied */
		}
		if (v[i]->engine >= 0 && a && tx->sequence < a->seq) {
			free(v[i]); /* tefPAST_SEQ: its intent expires */
			continue;
		}
		if (v[i]->engine >= 0 && a && tx->sequence > a->seq) {
			/* terPRE_SEQ: waits for the gap (or its LLS). */
			v[i]->next = L->pool;
			L->pool = v[i];
			continue;
		}
		r = apply_tx(w, tx, &meta);
		ntx++;
		if (v[i]->engine >= 0) {
			struct sim_engine *e = &w->e[v[i]->engine];
			struct sim_jrow *row = jrow_of(e, v[i]->intent);

			if (row && !row->final &&
			    row->tx.sequence == tx->sequence) {
				enum xl_outcome_kind k =
				    !strcmp(r, "tesSUCCESS") ? XL_OUT_SUCCESS
				    : !strncmp(r, "tec", 3)  ? XL_OUT_TEC
							     : XL_OUT_FAILED;
				jrow_final(row, k, r, meta, L->index);
				sim_trace("ledger: %s (%s seq %u of %s): %s",
					  v[i]->intent, tx_type_name(tx->type),
					  tx->sequence, e->name, r);
			}
		} else {
			sim_trace("ledger: operator %s of %s: %s",
				  tx_type_name(tx->type),
				  addr_of(w, &tx->account), r);
		}
		if (meta) {
			json_t *msg = json_pack(
			    "{s:s,s:b,s:s,s:i,s:o,s:O}", "type", "transaction",
			    "validated", 1, "engine_result", r, "ledger_index",
			    L->index, "tx_json", tx_json(w, tx), "meta", meta);
			int src = sim_engine_of_account(w, &tx->account);
			int dst = -1, csrc = -1;

			if (tx->has & XL_HAS_DESTINATION)
				dst =
				    sim_engine_of_account(w, &tx->destination);
			if (tx->has & XL_HAS_CHANNEL) {
				struct sim_chan *c =
				    sim_chan_of(w, tx->channel);

				if (c) {
					csrc =
					    sim_engine_of_account(w, &c->src);
					dst = sim_engine_of_account(w, &c->dst);
				}
			}
			notify(w, &notes, &nn, &capn, src, json_incref(msg));
			notify(w, &notes, &nn, &capn, dst, json_incref(msg));
			notify(w, &notes, &nn, &capn, csrc, json_incref(msg));
			json_decref(msg);
		}
		json_decref(meta);
		free(v[i]);
	}
	free(v);
	/* The stream: our transactions, then the ledger. */
	for (size_t i = 0; i < nn; i++) {
		struct sim_engine *e = &w->e[notes[i].engine];

		if (e->up && e->cstate == XL_CLIENT_READY && e->has_listener &&
		    e->listener.on_tx) {
			struct sim_engine *prev = sim_enter(e);

			e->listener.on_tx(e->listener.arg, notes[i].msg);
			sim_leave(prev);
		}
		json_decref(notes[i].msg);
	}
	free(notes);
	for (int i = 0; i < SIM_NENG; i++) {
		struct sim_engine *e = &w->e[i];
		json_t *msg;

		if (!e->up || e->cstate != XL_CLIENT_READY || !e->has_listener)
			continue;
		if (e->listener.on_ledger) {
			struct sim_engine *prev = sim_enter(e);

			msg = json_pack(
			    "{s:s,s:i,s:i,s:I,s:i,s:I,s:I,s:i}", "type",
			    "ledgerClosed", "ledger_index", L->index,
			    "ledger_time", L->close_time, "fee_base",
			    (json_int_t)L->fee_base, "fee_ref", 10,
			    "reserve_base", (json_int_t)L->reserve_base,
			    "reserve_inc", (json_int_t)L->reserve_inc,
			    "txn_count", ntx);
			e->listener.on_ledger(e->listener.arg, L->index, msg);
			sim_leave(prev);
			json_decref(msg);
		}
		sim_queue_kick(w, e);
	}
	sim_at(w,
	       w->now +
		   (w->coarse ? 90000 : sim_rng_range(&w->rng, 3000, 5000)),
	       sim_ledger_close, NULL);
}

void sim_operator_tx(struct sim *w, int engine, const struct xl_tx *tx)
{
	struct sim_pooltx *p = calloc(1, sizeof(*p)), **pp;

	(void)engine;
	if (!p)
		abort();
	p->engine = -1;
	snprintf(p->intent, sizeof(p->intent), "operator");
	p->tx = *tx;
	p->tx.sequence = 0; /* a Ticket: the queue's Sequence is untouched */
	p->tx.last_ledger_sequence = 0;
	for (pp = &w->L.pool; *pp; pp = &(*pp)->next)
		;
	*pp = p;
}
