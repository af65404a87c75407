/* `xrpse import kava`: the plugin's store into channel records (kava.h).
 *
 * Per plugin account: read its entry, look its channels up on the
 * validated ledger (outside any store transaction), compare with what the
 * store already holds for the xrpse account (nothing: import; exactly the
 * dump's channels: already imported; anything else: refused), then one
 * transaction that creates the account and adopts each channel that
 * passes the checks.  A refused channel is reported with its reason and
 * left to the usual rules (docs/design.md#moving-from-kavas-plugin). */
#include "src/cli/kava.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/claim.h"
#include "src/api/routes.h"
#include "src/paychan/paychan.h"
#include "src/store/chanstore.h"
#include "src/util/hex.h"

#define KAVA_SIGNER "kava:"

/* One of the plugin's cached channels, as read from its account entry. */
struct pchan {
	bool present; /* the entry names a channel */
	bool ok;      /* and it was readable */
	uint8_t id[CR_CHANNEL_ID_BYTES];
	char hex[2 * CR_CHANNEL_ID_BYTES + 1];
	struct xl_drops spent;
	uint8_t sig[CR_SIG_MAX_BYTES];
	size_t siglen;
	bool found; /* on the validated ledger */
	struct pc_view view;
};

/* A string value of the dump parsed as JSON (owned), or NULL. */
static json_t *dump_json(json_t *dump, const char *key)
{
	json_t *v = json_object_get(dump, key);

	if (json_is_string(v))
		return json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
	return json_incref(v); /* already JSON (a hand-made dump) */
}

/* A BigNumber as the plugin serialises it: a decimal string (or a JSON
 * integer in a hand-made dump). */
static bool drops_of(json_t *v, struct xl_drops *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return xl_drops_from_u64(out, (uint64_t)json_integer_value(v));
	return json_is_string(v) &&
	       xl_drops_parse(out, json_string_value(v), NULL) == XU_OK;
}

static void read_chan(struct pchan *c, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "channelId"));
	const char *sig = json_string_value(json_object_get(o, "signature"));
	json_t *spent = json_object_get(o, "spent");

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return;
	c->present = true;
	if (!id || xu_hex_decode_exact(c->id, sizeof(c->id), id, NULL) != XU_OK)
		return;
	xu_hex_encode(c->hex, sizeof(c->hex), c->id, sizeof(c->id));
	if (spent && !drops_of(spent, &c->spent))
		return;
	if (sig && xu_hex_decode(c->sig, sizeof(c->sig), &c->siglen, sig,
				 strlen(sig), NULL) != XU_OK)
		return;
	if (!xl_drops_is_zero(c->spent) && c->siglen == 0)
		return;
	c->ok = true;
}

static json_t *str_drops(struct xl_drops d)
{
	char buf[XL_DROPS_STRLEN + 1];

	xl_drops_fmt(buf, sizeof(buf), d);
	return json_string(buf);
}

/* "code: detail" (the adopt functions' and the channel core's messages)
 * into the entry's reason and detail. */
static void set_reason(json_t *e, const char *msg)
{
	const char *colon = strstr(msg, ": ");
	char code[32];

	if (colon && (size_t)(colon - msg) < sizeof(code) &&
	    strspn(msg, "abcdefghijklmnopqrstuvwxyz_") ==
		(size_t)(colon - msg)) {
		memcpy(code, msg, (size_t)(colon - msg));
		code[colon - msg] = '\0';
		json_object_set_new(e, "reason", json_string(code));
		json_object_set_new(e, "detail", json_string(colon + 2));
		return;
	}
	json_object_set_new(e, "reason", json_string("refused"));
	json_object_set_new(e, "detail", json_string(msg));
}

static void refuse(json_t *e, const char *code, const char *detail)
{
	json_object_set_new(e, "status", json_string("refused"));
	json_object_set_new(e, "reason", json_string(code));
	json_object_set_new(e, "detail", json_string(detail));
}

/* The report entry of one channel, before the lookup and the verdict. */
static json_t *chan_entry(const struct pchan *c)
{
	json_t *e = json_object();

	if (!e)
		return NULL;
	json_object_set_new(e, "channel", json_string(c->hex));
	json_object_set_new(e, "claim", str_drops(c->spent));
	return e;
}

/* Looks c up; false (entry refused) when it cannot be adopted whatever
 * the store holds. */
static bool look_up(const struct eng_kava_ledger *lg, struct pchan *c,
		    json_t *e, struct xu_err *lerr)
{
	struct xu_err err = {0};

	if (!c->ok) {
		refuse(e, "malformed",
		       "the plugin's channel entry is unreadable (channelId, "
		       "spent or signature)");
		return false;
	}
	if (lg->channel(lg->arg, c->id, &c->view, &c->found, &err) != XU_OK) {
		*lerr = err;
		refuse(e, "ledger_unavailable", err.msg);
		return false;
	}
	if (!c->found) {
		refuse(e, "no_channel",
		       "the channel is not on the validated ledger");
		return false;
	}
	json_object_set_new(e, "amount", str_drops(c->view.amount));
	json_object_set_new(e, "balance", str_drops(c->view.balance));
	json_object_set_new(e, "settle_delay",
			    json_integer(c->view.settle_delay));
	if (c->view.has_expiration)
		json_object_set_new(e, "expiration",
				    json_integer(c->view.expiration));
	return true;
}

/* What the store holds for account id against the dump's channels:
 * 0 nothing (no record, or only closed and settled ones), 1 the dump's
 * only (imported before, in whatever state the daemon left them; which of
 * them in *in_held and *out_held), -1 something else; -2 on a store
 * error. */
static int held(struct eng_store *st, const char *id, const char *name,
		const struct pchan *in, const struct pchan *out, bool *in_held,
		bool *out_held, struct xu_err *err)
{
	struct eng_chan_out o;
	struct eng_chan_in *v = NULL;
	char signer[ENG_CHAN_SIGNER_MAX];
	size_t n = 0;
	bool have, ours, any = false, other = false;

	if (eng_chan_out_get(st, id, &o, &have, err) != XU_OK)
		return -2;
	snprintf(signer, sizeof(signer), "%s%s", KAVA_SIGNER, name);
	ours = have && out->present && o.ch.has_key && o.ch.has_id &&
	       !memcmp(o.ch.id, out->id, CR_CHANNEL_ID_BYTES);
	*in_held = *out_held = false;
	if (have && (ours || !eng_paychan_out_idle(&o.ch))) {
		any = true;
		if (!out->present || !o.ch.has_key ||
		    memcmp(o.ch.id, out->id, CR_CHANNEL_ID_BYTES) != 0 ||
		    strcmp(o.signer, signer) != 0)
			other = true;
		else
			*out_held = true;
	}
	if (eng_chan_in_all(st, id, &v, &n, err) != XU_OK)
		return -2;
	for (size_t i = 0; i < n; i++) {
		/* Closed and settled: history, not a channel. */
		if (v[i].ch.state == PC_IN_CLOSED && !v[i].ch.redeem_inflight &&
		    !(in->present &&
		      !memcmp(v[i].ch.id, in->id, CR_CHANNEL_ID_BYTES)))
			continue;
		any = true;
		if (!in->present ||
		    memcmp(v[i].ch.id, in->id, CR_CHANNEL_ID_BYTES) != 0)
			other = true;
		else
			*in_held = true;
	}
	free(v);
	if (!any)
		return 0;
	return other ? -1 : 1;
}

struct acct_ctx {
	struct eng_store *st;
	const struct pc_cfg *cfg;
	const struct eng_kava_ledger *lg;
	const struct cr_account_id *self;
	const char *secret; /* the seed's text, for the channel keys */
	json_t *dump;
};

/* The plugin account `name` into xrpse account `id`; its report entry. */
static json_t *import_one(const struct acct_ctx *x, const char *name,
			  const char *id)
{
	json_t *e = json_object(), *data, *ie = NULL, *oe = NULL;
	struct pchan in, out;
	struct cr_account_id peer;
	struct cr_keypair ck;
	struct xu_err err = {0};
	char key[ENG_STORE_ACCOUNT_MAX + 32], signer[ENG_CHAN_SIGNER_MAX];
	const char *addr, *problem;
	bool have_peer = false, created, in_ok, out_ok, found, in_held,
	     out_held;
	int h;

	if (!e)
		return NULL;
	json_object_set_new(e, "plugin_account", json_string(name));
	json_object_set_new(e, "account", json_string(id));
	problem = eng_api_account_id_problem(id, strlen(id));
	if (problem || strlen(name) > ENG_STORE_ACCOUNT_MAX) {
		refuse(e, "bad_account_id",
		       problem ? problem : "plugin account name too long");
		return e;
	}
	snprintf(key, sizeof(key), "%s:account", name);
	data = dump_json(x->dump, key);
	if (!json_is_object(data)) {
		json_decref(data);
		refuse(e, "malformed", "no readable NAME:account entry");
		return e;
	}
	read_chan(&in, json_object_get(data, "incoming"));
	read_chan(&out, json_object_get(data, "outgoing"));
	addr = json_string_value(json_object_get(data, "xrpAddress"));
	if (addr) {
		json_object_set_new(e, "peer_address", json_string(addr));
		if (cr_address_decode(&peer, addr, NULL) != XU_OK) {
			json_decref(data);
			refuse(e, "malformed", "xrpAddress is not an address");
			return e;
		}
		have_peer = true;
	}
	json_decref(data);
	if (have_peer) {
		if (x->lg->account(x->lg->arg, &peer, &found, &err) != XU_OK) {
			refuse(e, "ledger_unavailable", err.msg);
			return e;
		}
		if (!found) {
			refuse(e, "unknown_account",
			       "the peer's address is unknown to the "
			       "validated ledger");
			return e;
		}
	}

	/* Each channel: readable, on the ledger, the peer's. */
	in_ok = in.present;
	out_ok = out.present;
	if (in.present) {
		const char *link;

		ie = chan_entry(&in);
		in_ok = look_up(x->lg, &in, ie, &err);
		snprintf(key, sizeof(key), "%s:incoming-channel", in.hex);
		link = json_string_value(json_object_get(x->dump, key));
		if (!link) { /* the plugin wrote the id as it got it */
			char lower[sizeof(in.hex)];

			for (size_t i = 0; i < sizeof(lower); i++)
				lower[i] =
				    (char)(in.hex[i] >= 'A' && in.hex[i] <= 'F'
					       ? in.hex[i] + 32
					       : in.hex[i]);
			snprintf(key, sizeof(key), "%s:incoming-channel",
				 lower);
			link = json_string_value(json_object_get(x->dump, key));
		}
		if (in_ok && link && strcmp(link, name) != 0) {
			refuse(ie, "linked_elsewhere",
			       "the plugin linked the channel to another "
			       "account");
			in_ok = false;
		}
		if (in_ok && have_peer &&
		    memcmp(&in.view.source, &peer, sizeof(peer)) != 0) {
			refuse(ie, "not_ours",
			       "the channel is not from the account's peer");
			in_ok = false;
		}
	}
	if (out.present) {
		oe = chan_entry(&out);
		out_ok = look_up(x->lg, &out, oe, &err);
		if (out_ok && have_peer &&
		    memcmp(&out.view.dest, &peer, sizeof(peer)) != 0) {
			refuse(oe, "not_ours",
			       "the channel does not pay the account's peer");
			out_ok = false;
		}
	}
	if (ie)
		json_object_set_new(e, "incoming", ie);
	if (oe)
		json_object_set_new(e, "outgoing", oe);

	/* What the store holds already. */
	h = held(x->st, id, name, &in, &out, &in_held, &out_held, &err);
	if (h == -2) {
		refuse(e, "store", err.msg);
		return e;
	}
	if (h == 1) {
		/* Only what the store holds is already imported; a channel
		 * of the dump refused by an earlier run (and fit now) is
		 * adopted below, next to the held one. */
		if (ie && in_held && !json_object_get(ie, "status"))
			json_object_set_new(ie, "status",
					    json_string("already_imported"));
		if (oe && out_held && !json_object_get(oe, "status"))
			json_object_set_new(oe, "status",
					    json_string("already_imported"));
		in_ok = in_ok && !in_held;
		out_ok = out_ok && !out_held;
		if (!in_ok && !out_ok) {
			json_object_set_new(e, "status",
					    json_string("already_imported"));
			return e;
		}
	}
	if (h == -1) {
		refuse(e, "has_channels",
		       "the xrpse account already has channels of its own");
		return e;
	}

	/* One transaction: the account and what passes. */
	if (eng_store_begin(x->st, &err) != XU_OK ||
	    eng_store_account_create(x->st, id, &created, &err) != XU_OK) {
		eng_store_rollback(x->st);
		refuse(e, "store", err.msg);
		return e;
	}
	if (in_ok) {
		if (eng_paychan_adopt_in(x->st, x->cfg, id, x->self, &in.view,
					 x->lg->ledger_time, in.spent, in.sig,
					 in.siglen, &err) == XU_OK) {
			json_object_set_new(ie, "status",
					    json_string("adopted"));
		} else if (err.code == XU_ESTORE) {
			eng_store_rollback(x->st);
			refuse(e, "store", err.msg);
			return e;
		} else {
			json_object_set_new(ie, "status",
					    json_string("refused"));
			set_reason(ie, err.msg);
		}
	}
	if (out_ok) {
		enum xu_code rc;

		snprintf(signer, sizeof(signer), "%s%s", KAVA_SIGNER, name);
		rc = cr_kava_channel_keypair(&ck, x->secret, name, &err);
		if (rc == XU_OK)
			rc = eng_paychan_adopt_out(
			    x->st, x->cfg, id, x->self, &out.view, signer,
			    &ck.pub, out.spent, out.sig, out.siglen, &err);
		cr_keypair_clear(&ck);
		if (rc == XU_OK) {
			json_object_set_new(oe, "status",
					    json_string("adopted"));
		} else if (rc == XU_ESTORE || rc == XU_EINTERNAL) {
			eng_store_rollback(x->st);
			refuse(e, "store", err.msg);
			return e;
		} else {
			json_object_set_new(oe, "status",
					    json_string("refused"));
			set_reason(oe, err.msg);
		}
	}
	if (eng_store_commit(x->st, &err) != XU_OK) {
		refuse(e, "store", err.msg);
		return e;
	}
	json_object_set_new(e, "status", json_string("imported"));
	return e;
}

static const char *mapped(const struct eng_kava_map *map, size_t nmap,
			  const char *name)
{
	for (size_t i = 0; i < nmap; i++)
		if (!strcmp(map[i].name, name))
			return map[i].id;
	return name;
}

json_t *eng_kava_import(struct eng_store *st, const struct pc_cfg *cfg,
			const struct cr_seed *seed, json_t *dump,
			const struct eng_kava_map *map, size_t nmap,
			const struct eng_kava_ledger *lg, struct xu_err *err)
{
	struct cr_keypair kp;
	struct cr_account_id self;
	struct acct_ctx x;
	char secret[CR_BASE58_MAX_STRLEN], addr[CR_ADDRESS_STRLEN];
	json_t *names, *report, *accts, *sum;
	size_t count[4] = {0};
	bool found;
	enum xu_code rc;

	names = dump_json(dump, "accounts");
	if (!json_is_array(names)) {
		json_decref(names);
		xu_fail(err, XU_EPARSE, 0,
			"the store dump has no readable \"accounts\" list");
		return NULL;
	}
	rc = cr_keypair_derive(&kp, seed, seed->implied, err);
	if (rc == XU_OK)
		rc = cr_seed_encode(secret, sizeof(secret), seed, seed->implied,
				    err);
	if (rc != XU_OK) {
		cr_keypair_clear(&kp);
		json_decref(names);
		return NULL;
	}
	cr_account_id_of(&self, &kp.pub);
	cr_keypair_clear(&kp);
	cr_address_encode(addr, &self);
	rc = lg->account(lg->arg, &self, &found, err);
	if (rc == XU_OK && !found)
		rc = xu_fail(err, XU_ENOTFOUND, 0,
			     "our account %s is unknown to the validated "
			     "ledger",
			     addr);
	report = json_object();
	accts = json_array();
	sum = json_object();
	if (rc != XU_OK || !report || !accts || !sum) {
		if (rc == XU_OK)
			xu_fail(err, XU_ENOMEM, 0, "out of memory");
		sodium_memzero(secret, sizeof(secret));
		json_decref(report);
		json_decref(accts);
		json_decref(sum);
		json_decref(names);
		return NULL;
	}
	x.st = st;
	x.cfg = cfg;
	x.lg = lg;
	x.self = &self;
	x.secret = secret;
	x.dump = dump;
	json_object_set_new(report, "address", json_string(addr));
	json_object_set_new(report, "ledger_index",
			    json_integer(lg->ledger_index));
	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		json_t *e;
		const char *s;

		if (!name)
			continue;
		e = import_one(&x, name, mapped(map, nmap, name));
		if (!e)
			continue;
		s = json_string_value(json_object_get(e, "status"));
		if (s && !strcmp(s, "imported"))
			count[0]++;
		else if (s && !strcmp(s, "already_imported"))
			count[1]++;
		else
			count[2]++;
		json_array_append_new(accts, e);
	}
	sodium_memzero(secret, sizeof(secret));
	json_decref(names);
	json_object_set_new(sum, "imported",
			    json_integer((json_int_t)count[0]));
	json_object_set_new(sum, "already_imported",
			    json_integer((json_int_t)count[1]));
	json_object_set_new(sum, "refused", json_integer((json_int_t)count[2]));
	json_object_set_new(report, "accounts", accts);
	json_object_set_new(report, "summary", sum);
	return report;
}
