/* The operator's commands, answered on the daemon's admin socket
 * (src/daemon/rpc.c carries the lines; docs/api.md#admin-socket):
 *
 *   {"cmd":"status"}                         the snapshot of eng_api_status
 *   {"cmd":"accounts"}                       each account, its channels
 *   {"cmd":"channels","account":"..."?}      every channel record (of one
 *                                            account)
 *   {"cmd":"outbox","parked":bool}           calls to the connector
 *   {"cmd":"outbox_retry","id":n,"new_key":bool}
 *   {"cmd":"outbox_retry","all_parked":true} every parked call again
 *   {"cmd":"close","account":"..."}          closes its outgoing channel
 *   {"cmd":"channel_close","id":"HEX","force":bool}  closes one channel
 *   {"cmd":"channel_redeem","id":"HEX"}      redeems on an incoming one
 *   {"cmd":"backup","path":"/abs/path"}      an online copy of the store
 *   {"cmd":"stop"}                           the clean stop of SIGTERM
 *
 * Every answer is {"ok":true,"result":...} or {"ok":false,"error":"..."}.
 * Drops are decimal strings, as XRPL writes them.  Reads run outside any
 * transaction; the two writes open and commit their own, as a batch does
 * (the loop thread never holds one across callbacks). */
#include "src/api/api.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base58.h"
#include "ledger/net/rippled.h"
#include "src/io/clock.h"
#include "src/outbox/outbox.h"
#include "src/paychan/paychan.h"
#include "src/store/chanstore.h"
#include "src/store/outbox_rows.h"
#include "src/store/store.h"
#include "src/util/hex.h"
#include "src/util/log.h"

#define SUB "admin"
/* The most outbox rows one answer lists (the newest). */
#define OUTBOX_LIST_MAX 1000

static json_t *drops(struct xl_drops d)
{
	char b[XL_DROPS_STRLEN + 1];

	xl_drops_fmt(b, sizeof(b), d);
	return json_string(b);
}

static json_t *address(const struct cr_account_id *a)
{
	char b[CR_ADDRESS_STRLEN];

	cr_address_encode(b, a);
	return json_string(b);
}

static json_t *chan_id(const uint8_t id[CR_CHANNEL_ID_BYTES])
{
	char b[2 * CR_CHANNEL_ID_BYTES + 1];

	xu_hex_encode(b, sizeof(b), id, CR_CHANNEL_ID_BYTES);
	return json_string(b);
}

static json_t *refuse(const char *fmt, ...) XU_PRINTF(1, 2);

static json_t *refuse(const char *fmt, ...)
{
	char b[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", b);
}

static json_t *success(json_t *result)
{
	if (!result)
		return NULL;
	return json_pack("{s:b,s:o}", "ok", 1, "result", result);
}

/* ---- status ---- */

static json_t *status(const struct eng_api_host *h)
{
	struct eng_status st;
	const struct eng_outbox_stats *ob = &st.outbox;
	json_t *v, *problems = json_array(), *rippled;

	eng_api_status(h, &st);
	for (int i = 0; problems && i < ENG_NCHECKS; i++)
		if (st.failed[i])
			json_array_append_new(
			    problems,
			    json_pack("{s:s,s:s}", "check",
				      eng_check_name((enum eng_check)i),
				      "detail", st.why[i]));
	rippled = json_pack(
	    "{s:b,s:b,s:s,s:s,s:I,s:o}", "configured", st.has_rippled,
	    "connected", st.rippled_connected, "state",
	    st.rippled_state ? st.rippled_state : "none", "url",
	    st.rippled_url ? st.rippled_url : "", "validated_ledger",
	    (json_int_t)st.validated_ledger, "validated_ledger_age_s",
	    st.ledger_age_ms >= 0 ? json_integer(st.ledger_age_ms / 1000)
				  : json_null());
	v = json_pack(
	    "{s:s,s:s,s:I,s:s,s:o*,s:o*,s:{s:s,s:o,s:I,s:I}"
	    ",s:{s:I,s:I,s:I,s:I}}",
	    "version", st.version, "address", st.address, "network_id",
	    (json_int_t)h->network_id, "status", st.ok ? "ok" : "degraded",
	    "problems", problems, "rippled", rippled, "connector", "url",
	    st.connector_url, "reachable",
	    ob->last_success_ms == 0 && ob->last_failure_ms == 0
		? json_null()
		: json_boolean(ob->reachable),
	    "last_success_ms", (json_int_t)ob->last_success_ms,
	    "last_failure_ms", (json_int_t)ob->last_failure_ms, "outbox",
	    "pending", (json_int_t)ob->pending, "inflight",
	    (json_int_t)ob->inflight, "delivered", (json_int_t)ob->delivered,
	    "parked", (json_int_t)ob->parked);
	if (!v || !st.has_paychan)
		return v;
	json_object_set_new(v, "have_account_info",
			    json_boolean(st.pc.have_account));
	json_object_set_new(v, "balance_drops", drops(st.pc.balance));
	json_object_set_new(v, "reserve_drops", drops(st.pc.reserve));
	json_object_set_new(v, "locked_drops", drops(st.pc.locked));
	json_object_set_new(v, "claimable_drops", drops(st.pc.claimable));
	json_object_set_new(v, "unpaid_drops", drops(st.pc.unpaid));
	json_object_set_new(v, "unpaid_oldest_s",
			    json_integer(st.pc.unpaid_oldest_ms / 1000));
	json_object_set_new(
	    v, "alerts",
	    json_pack("{s:I,s:I,s:o}", "raised", (json_int_t)st.pc.stats.alerts,
		      "owed_accounts", (json_int_t)st.pc.owed_alerts,
		      "owed_drops", drops(st.pc.owed_alert_drops)));
	return v;
}

/* ---- accounts and channels ---- */

struct ids {
	char (*v)[ENG_STORE_ACCOUNT_MAX + 1];
	bool *closed;
	struct xl_drops *owed;
	size_t n, cap;
	bool oom;
};

static bool collect(void *arg, const struct eng_store_account *a)
{
	struct ids *ids = arg;

	if (ids->n == ids->cap) {
		size_t nc = ids->cap ? ids->cap * 2 : 16;
		void *v = realloc(ids->v, nc * sizeof(*ids->v));
		void *c = v ? realloc(ids->closed, nc * sizeof(bool)) : NULL;
		void *o =
		    c ? realloc(ids->owed, nc * sizeof(*ids->owed)) : NULL;

		if (v)
			ids->v = v;
		if (c)
			ids->closed = c;
		if (!o) {
			ids->oom = true;
			return false;
		}
		ids->owed = o;
		ids->cap = nc;
	}
	snprintf(ids->v[ids->n], sizeof(ids->v[0]), "%s", a->id);
	ids->closed[ids->n] = a->closed;
	ids->owed[ids->n] = a->owed;
	ids->n++;
	return true;
}

static json_t *out_json(const struct eng_chan_out *o)
{
	const struct pc_out *c = &o->ch;
	json_t *v = json_pack(
	    "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:I,s:b}",
	    "direction", "outgoing", "account", o->account, "id",
	    c->has_id ? chan_id(c->id) : json_null(), "state",
	    json_string(pc_out_state_name(c->state)), "peer", address(&c->peer),
	    "amount_drops", drops(c->amount), "balance_drops",
	    drops(c->redeemed), "signed_drops", drops(c->signed_total),
	    "acked_drops", drops(o->peer_best), "settle_delay",
	    (json_int_t)c->settle_delay, "expiration",
	    c->has_expiration ? json_integer(c->expiration) : json_null(),
	    "seen_ledger", (json_int_t)c->seen_ledger, "closing_on_delete",
	    c->deleting);

	if (v)
		json_object_set_new(v, "owed_drops", drops(c->owed));
	return v;
}

static json_t *in_json(const struct eng_chan_in *r)
{
	const struct pc_in *c = &r->ch;
	const struct pc_view *w = &c->view;
	struct xl_drops redeemable = xl_drops_zero();

	/* What redeeming the best claim now would add to the Balance. */
	if (c->has_view && !xl_drops_sub(&redeemable, c->best, w->balance))
		redeemable = xl_drops_zero();

	return json_pack(
	    "{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:I,s:b}",
	    "direction", "incoming", "account", r->account, "id",
	    chan_id(c->id), "state", pc_in_state_name(c->state), "peer",
	    address(&c->peer), "amount_drops",
	    c->has_view ? drops(w->amount) : json_null(), "balance_drops",
	    c->has_view ? drops(w->balance) : json_null(), "best_claim_drops",
	    drops(c->best), "redeemable_drops", drops(redeemable),
	    "settle_delay", (json_int_t)(c->has_view ? w->settle_delay : 0),
	    "expiration",
	    c->has_view && w->has_expiration ? json_integer(w->expiration)
					     : json_null(),
	    "cancel_after",
	    c->has_view && w->has_cancel_after ? json_integer(w->cancel_after)
					       : json_null(),
	    "seen_ledger", (json_int_t)(c->has_view ? w->ledger_index : 0),
	    "redeem_inflight", c->redeem_inflight);
}

/* One account: its pairing, owed drops, outgoing and incoming channels. */
static json_t *account_json(const struct eng_api_host *h, const char *id,
			    bool closed, struct xl_drops owed,
			    struct xu_err *err)
{
	struct eng_chan_peer p;
	struct eng_chan_out o;
	struct eng_chan_in *in = NULL;
	size_t n = 0;
	bool have_p = false, have_o = false;
	json_t *v, *arr;

	if (eng_chan_peer_get(h->store, id, &p, &have_p, err) != XU_OK ||
	    eng_chan_out_get(h->store, id, &o, &have_o, err) != XU_OK ||
	    eng_chan_in_all(h->store, id, &in, &n, err) != XU_OK)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, in_json(&in[i]));
	free(in);
	v = json_pack("{s:s,s:b,s:b,s:o,s:o,s:o,s:o}", "account", id, "closed",
		      closed, "paired", have_p && p.paired, "peer",
		      have_p && p.paired ? address(&p.address) : json_null(),
		      "owed_drops", drops(owed), "outgoing",
		      have_o ? out_json(&o) : json_null(), "incoming", arr);
	return v;
}

static json_t *accounts(const struct eng_api_host *h)
{
	struct ids ids = {0};
	struct xu_err err = {0};
	json_t *arr = json_array(), *a;

	if (eng_store_account_each(h->store, collect, &ids, &err) != XU_OK ||
	    ids.oom)
		goto fail;
	for (size_t i = 0; arr && i < ids.n; i++) {
		a = account_json(h, ids.v[i], ids.closed[i], ids.owed[i], &err);
		if (!a)
			goto fail;
		json_array_append_new(arr, a);
	}
	free(ids.v);
	free(ids.closed);
	free(ids.owed);
	return success(arr);
fail:
	free(ids.v);
	free(ids.closed);
	free(ids.owed);
	json_decref(arr);
	return refuse("store: %s", ids.oom ? "out of memory" : err.msg);
}

/* True when the store knows account (open, or deleted with its
 * records). */
static bool known_account(const struct eng_api_host *h, const char *account)
{
	struct ids ids = {0};
	struct xu_err err = {0};
	bool found = false;

	if (eng_store_account_each(h->store, collect, &ids, &err) == XU_OK)
		for (size_t i = 0; !found && i < ids.n; i++)
			found = !strcmp(ids.v[i], account);
	free(ids.v);
	free(ids.closed);
	free(ids.owed);
	return found;
}

static json_t *channels(const struct eng_api_host *h, const json_t *req)
{
	const json_t *jacc = json_object_get(req, "account");
	const char *account = json_string_value(jacc);
	struct eng_chan_out *out = NULL;
	struct eng_chan_in *in = NULL;
	size_t nout = 0, nin = 0;
	struct xu_err err = {0};
	json_t *arr;

	if (jacc && (!account || !*account))
		return refuse("%s", "account must be a non-empty string");
	if (account && !known_account(h, account))
		return refuse("no account %s", account);
	if (eng_chan_out_all(h->store, &out, &nout, &err) != XU_OK ||
	    eng_chan_in_all(h->store, account, &in, &nin, &err) != XU_OK) {
		free(out);
		return refuse("store: %s", err.msg);
	}
	arr = json_array();
	for (size_t i = 0; arr && i < nout; i++)
		if (!account || !strcmp(out[i].account, account))
			json_array_append_new(arr, out_json(&out[i]));
	for (size_t i = 0; arr && i < nin; i++)
		json_array_append_new(arr, in_json(&in[i]));
	free(out);
	free(in);
	return success(arr);
}

/* ---- outbox ---- */

static bool row_json(void *arg, const struct eng_obrows_row *r)
{
	json_t *v = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:I,s:I}", "id",
	    (json_int_t)r->id, "kind",
	    r->kind == ENG_OBROWS_CREDIT ? "credit" : "message", "account",
	    r->account, "path", r->path, "state", r->state, "key", r->key,
	    "attempts", (json_int_t)r->attempts, "next_attempt_at_ms",
	    (json_int_t)r->next_attempt_at_ms, "last_status",
	    r->last_status ? json_integer(r->last_status) : json_null(),
	    "last_error",
	    r->last_error ? json_string(r->last_error) : json_null(),
	    "created_at_ms", (json_int_t)r->created_at, "updated_at_ms",
	    (json_int_t)r->updated_at);

	if (!v)
		return false;
	if (r->tag)
		json_object_set_new(v, "tag", json_string(r->tag));
	return json_array_append_new(arg, v) == 0;
}

static json_t *outbox(const struct eng_api_host *h, const json_t *req)
{
	struct xu_err err = {0};
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	if (eng_obrows_each(h->store,
			    json_is_true(json_object_get(req, "parked")),
			    OUTBOX_LIST_MAX, row_json, arr, &err) != XU_OK) {
		json_decref(arr);
		return refuse("store: %s", err.msg);
	}
	return success(arr);
}

/* Runs the write of a command in a transaction of its own. */
static enum xu_code in_tx(const struct eng_api_host *h,
			  enum xu_code (*fn)(const struct eng_api_host *h,
					     const json_t *req,
					     struct xu_err *err),
			  const json_t *req, struct xu_err *err)
{
	enum xu_code rc;

	if (eng_store_in_tx(h->store))
		return xu_fail(err, XU_EUNAVAIL, 0, "the store is busy");
	rc = eng_store_begin(h->store, err);
	if (rc != XU_OK)
		return rc;
	rc = fn(h, req, err);
	if (rc == XU_OK)
		rc = eng_paychan_batch_end(h->paychan, err);
	if (rc == XU_OK)
		rc = eng_store_commit(h->store, err);
	if (rc != XU_OK)
		eng_store_rollback(h->store);
	eng_paychan_batch_done(h->paychan, rc == XU_OK);
	return rc;
}

static enum xu_code unpark(const struct eng_api_host *h, const json_t *req,
			   struct xu_err *err)
{
	return eng_outbox_unpark(
	    h->store, json_integer_value(json_object_get(req, "id")),
	    json_is_true(json_object_get(req, "new_key")), err);
}

static bool parked_id(void *arg, const struct eng_obrows_row *r)
{
	json_t *ids = arg;

	return json_array_append_new(ids, json_integer(r->id)) == 0;
}

/* Every parked call pending again, under its own key: a new key for all
 * at once could apply twice a credit the connector did book
 * (docs/api.md#credits-and-the-connectors-answer-caches), so it is
 * refused; the ids answered are those unparked. */
static enum xu_code unpark_all(const struct eng_api_host *h, const json_t *req,
			       struct xu_err *err)
{
	json_t *ids = (json_t *)json_object_get(req, "ids");
	enum xu_code rc;
	size_t i;
	json_t *id;

	rc = eng_obrows_each(h->store, true, INT64_MAX, parked_id, ids, err);
	json_array_foreach(ids, i, id)
	{
		if (rc != XU_OK)
			break;
		rc = eng_outbox_unpark(h->store, json_integer_value(id), false,
				       err);
	}
	return rc;
}

static json_t *outbox_retry_all(const struct eng_api_host *h)
{
	struct xu_err err = {0};
	json_t *req = json_pack("{s:[]}", "ids"), *ids;

	if (!req)
		return NULL;
	if (in_tx(h, unpark_all, req, &err) != XU_OK) {
		json_decref(req);
		return refuse("%s", err.msg);
	}
	ids = json_incref(json_object_get(req, "ids"));
	json_decref(req);
	xu_info(SUB, "%zu parked outbox calls pending again",
		json_array_size(ids));
	eng_outbox_tick(h->outbox, eng_wall_ms());
	return success(json_pack("{s:o,s:s}", "ids", ids, "state", "pending"));
}

static json_t *outbox_retry(const struct eng_api_host *h, const json_t *req)
{
	json_t *id = json_object_get(req, "id");
	struct xu_err err = {0};

	if (json_is_true(json_object_get(req, "all_parked"))) {
		if (id || json_is_true(json_object_get(req, "new_key")))
			return refuse("%s", "all_parked takes no id and no "
					    "new_key (a new key is given "
					    "one call at a time)");
		return outbox_retry_all(h);
	}
	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return refuse("%s", "outbox_retry needs a call id");
	if (in_tx(h, unpark, req, &err) != XU_OK)
		return refuse("%s", err.msg);
	xu_info(SUB, "outbox call %lld pending again%s",
		(long long)json_integer_value(id),
		json_is_true(json_object_get(req, "new_key"))
		    ? ", under a new key"
		    : "");
	eng_outbox_tick(h->outbox, eng_wall_ms());
	return success(json_pack("{s:I,s:s}", "id",
				 (json_int_t)json_integer_value(id), "state",
				 "pending"));
}

/* ---- close ---- */

static enum xu_code close_out(const struct eng_api_host *h, const json_t *req,
			      struct xu_err *err)
{
	const char *account =
	    json_string_value(json_object_get(req, "account"));

	if (!eng_store_account_exists(h->store, account))
		return xu_fail(err, XU_ENOTFOUND, 0, "no open account %s",
			       account);
	return eng_paychan_close_outgoing(h->paychan, account, err);
}

static json_t *close_channel(const struct eng_api_host *h, const json_t *req)
{
	const char *account =
	    json_string_value(json_object_get(req, "account"));
	struct eng_chan_out o;
	struct xu_err err = {0};
	bool have = false;

	if (!account || !*account)
		return refuse("%s", "close needs an account");
	if (!h->paychan)
		return refuse("%s", "no payment-channel service runs");
	if (in_tx(h, close_out, req, &err) != XU_OK)
		return refuse("%s", err.msg);
	eng_outbox_tick(h->outbox, eng_wall_ms()); /* the close_request */
	if (eng_chan_out_get(h->store, account, &o, &have, &err) != XU_OK)
		return refuse("store: %s", err.msg);
	return success(json_pack("{s:s,s:o}", "account", account, "outgoing",
				 have ? out_json(&o) : json_null()));
}

/* ---- one channel, by id ---- */

/* The channel id of req into id; false (with *why) when absent or not 64
 * hex digits. */
static bool req_chan_id(const json_t *req, uint8_t id[CR_CHANNEL_ID_BYTES])
{
	const char *hex = json_string_value(json_object_get(req, "id"));
	struct xu_err err = {0};

	return hex && strlen(hex) == 2 * CR_CHANNEL_ID_BYTES &&
	       xu_hex_decode_exact(id, CR_CHANNEL_ID_BYTES, hex, &err) == XU_OK;
}

/* The record of channel id as the answer: {"direction":..,"channel":..}. */
static json_t *chan_answer(const struct eng_api_host *h,
			   const uint8_t id[CR_CHANNEL_ID_BYTES], bool outgoing)
{
	struct eng_chan_out o;
	struct eng_chan_in r;
	struct xu_err err = {0};
	bool have = false;

	if ((outgoing
		 ? eng_chan_out_by_id(h->store, id, &o, &have, &err)
		 : eng_chan_in_get(h->store, id, &r, &have, &err)) != XU_OK)
		return refuse("store: %s", err.msg);
	return success(json_pack("{s:s,s:o}", "direction",
				 outgoing ? "outgoing" : "incoming", "channel",
				 !have	    ? json_null()
				 : outgoing ? out_json(&o)
					    : in_json(&r)));
}

static enum xu_code close_one(const struct eng_api_host *h, const json_t *req,
			      struct xu_err *err)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	bool outgoing = false;
	enum xu_code rc;

	(void)!req_chan_id(req, id);
	rc = eng_paychan_close_channel(
	    h->paychan, id, json_is_true(json_object_get(req, "force")),
	    &outgoing, err);
	json_object_set_new((json_t *)req, "outgoing", json_boolean(outgoing));
	return rc;
}

static json_t *channel_close(const struct eng_api_host *h, const json_t *req)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct xu_err err = {0};
	json_t *r = json_deep_copy(req), *v;

	if (!req_chan_id(req, id)) {
		json_decref(r);
		return refuse("%s", "channel_close needs a channel id (64 hex "
				    "digits)");
	}
	if (!h->paychan) {
		json_decref(r);
		return refuse("%s", "no payment-channel service runs");
	}
	if (!r)
		return NULL;
	if (in_tx(h, close_one, r, &err) != XU_OK) {
		json_decref(r);
		return refuse("%s", err.msg);
	}
	eng_outbox_tick(h->outbox, eng_wall_ms()); /* the close_request */
	v = chan_answer(h, id, json_is_true(json_object_get(r, "outgoing")));
	json_decref(r);
	return v;
}

static enum xu_code redeem_one(const struct eng_api_host *h, const json_t *req,
			       struct xu_err *err)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];

	(void)!req_chan_id(req, id);
	return eng_paychan_redeem_channel(h->paychan, id, err);
}

static json_t *channel_redeem(const struct eng_api_host *h, const json_t *req)
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	struct xu_err err = {0};

	if (!req_chan_id(req, id))
		return refuse("%s", "channel_redeem needs a channel id (64 hex "
				    "digits)");
	if (!h->paychan)
		return refuse("%s", "no payment-channel service runs");
	if (in_tx(h, redeem_one, req, &err) != XU_OK)
		return refuse("%s", err.msg);
	return chan_answer(h, id, false);
}

/* ---- backup and stop ---- */

static json_t *backup(const struct eng_api_host *h, const json_t *req)
{
	const char *path = json_string_value(json_object_get(req, "path"));
	struct xu_err err = {0};

	if (!path || path[0] != '/')
		return refuse("%s", "backup needs an absolute path");
	if (eng_store_backup(h->store, path, &err) != XU_OK)
		return refuse("%s", err.msg);
	xu_info(SUB, "the store backed up to %s", path);
	return success(json_pack("{s:s}", "path", path));
}

static json_t *stop(const struct eng_api_host *h)
{
	if (!h->stop)
		return refuse("%s", "this daemon cannot be stopped here");
	h->stop(h->arg);
	return success(json_pack("{s:b}", "stopping", 1));
}

json_t *eng_admin_handle(const struct eng_api_host *h, const char *line,
			 size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *v;

	if (!json_is_object(req) || !cmd)
		v = refuse("%s", "a request is one JSON object with \"cmd\"");
	else if (!strcmp(cmd, "status"))
		v = success(status(h));
	else if (!strcmp(cmd, "accounts"))
		v = accounts(h);
	else if (!strcmp(cmd, "channels"))
		v = channels(h, req);
	else if (!strcmp(cmd, "outbox"))
		v = outbox(h, req);
	else if (!strcmp(cmd, "outbox_retry"))
		v = outbox_retry(h, req);
	else if (!strcmp(cmd, "close"))
		v = close_channel(h, req);
	else if (!strcmp(cmd, "channel_close"))
		v = channel_close(h, req);
	else if (!strcmp(cmd, "channel_redeem"))
		v = channel_redeem(h, req);
	else if (!strcmp(cmd, "backup"))
		v = backup(h, req);
	else if (!strcmp(cmd, "stop"))
		v = stop(h);
	else
		v = refuse("unknown command '%.64s'", cmd);
	json_decref(req);
	return v;
}
