/* The rippled client as the daemon wires it (see rippled.h). */
#include "ledger/net/rippled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xl_rippled {
	struct xl_client *c;
	struct xl_submit *s;
	struct xl_rippled_cfg cfg;
	uint32_t network_id;
};

static void on_fatal(void *arg, const struct xu_err *err)
{
	struct xl_rippled *r = arg;

	if (r->cfg.on_fatal)
		r->cfg.on_fatal(r->cfg.arg, err);
}

struct xl_rippled *xl_rippled_new(struct lws_context *ctx,
				  const struct xl_rippled_cfg *cfg,
				  const struct xl_journal *j,
				  struct xu_err *err)
{
	struct xl_rippled *r;
	struct xl_client_cfg cc;
	struct xl_submit_cfg sc;
	struct xl_client_listener l;
	struct cr_account_id id;
	char addr[CR_ADDRESS_STRLEN];

	XU_ASSERT(ctx && cfg && cfg->kp && j);
	r = calloc(1, sizeof(*r));
	if (!r) {
		xu_fail(err, XU_ENOMEM, 0, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	r->network_id = cfg->network_id;
	cr_account_id_of(&id, &cfg->kp->pub);
	cr_address_encode(addr, &id);
	memset(&cc, 0, sizeof(cc));
	cc.ws.url = cfg->url;
	cc.account = addr;
	cc.network_id = cfg->network_id;
	cc.peers = cfg->peers;
	cc.npeers = cfg->npeers;
	r->c = xl_client_new(ctx, &cc, err);
	if (!r->c)
		goto fail;
	memset(&l, 0, sizeof(l));
	l.on_fatal = on_fatal;
	l.arg = r;
	if (xl_client_listen(r->c, &l, err) != XU_OK)
		goto fail;
	memset(&sc, 0, sizeof(sc));
	sc.kp = cfg->kp;
	sc.fee_max_drops = cfg->fee_max_drops ? cfg->fee_max_drops
					      : XL_RIPPLED_DEFAULT_FEE_MAX;
	sc.deadline_fee_max_drops = cfg->deadline_fee_max_drops
					? cfg->deadline_fee_max_drops
					: XL_RIPPLED_DEFAULT_DEADLINE_FEE_MAX;
	sc.network_id = cfg->network_id;
	r->s = xl_submit_new(r->c, j, &sc, cfg->on_outcome, cfg->arg, err);
	if (!r->s)
		goto fail;
	return r;
fail:
	xl_rippled_free(r);
	return NULL;
}

void xl_rippled_start(struct xl_rippled *r)
{
	xl_client_start(r->c);
}

void xl_rippled_free(struct xl_rippled *r)
{
	if (!r)
		return;
	if (r->c)
		xl_client_stop(r->c);
	xl_submit_free(r->s);
	xl_client_free(r->c);
	free(r);
}

struct xl_client *xl_rippled_client(struct xl_rippled *r)
{
	return r->c;
}

struct xl_submit *xl_rippled_submit(struct xl_rippled *r)
{
	return r->s;
}

json_t *xl_rippled_health(struct xl_rippled *r)
{
	struct xl_submit_stats st;
	enum xl_client_state cs = xl_client_state(r->c);
	json_t *h;

	xl_submit_stats(r->s, &st);
	h = json_pack(
	    "{s:s,s:s,s:b,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:b}}",
	    "url", xl_ws_url(xl_client_ws(r->c)), "status",
	    xl_client_state_name(cs), "connected",
	    cs >= XL_CLIENT_SUBSCRIBING && cs != XL_CLIENT_FATAL,
	    "validated_ledger", (json_int_t)xl_client_validated_index(r->c),
	    "network_id", (json_int_t)r->network_id, "queue", "queued",
	    (json_int_t)st.queued, "inflight", (json_int_t)st.inflight,
	    "submitted", (json_int_t)st.submitted, "succeeded",
	    (json_int_t)st.succeeded, "tec", (json_int_t)st.tec, "failed",
	    (json_int_t)st.failed, "expired", (json_int_t)st.expired, "refused",
	    (json_int_t)st.refused, "next_sequence",
	    (json_int_t)st.next_sequence, "reconciled", st.reconciled);
	if (h && cs == XL_CLIENT_FATAL && xl_client_fatal_err(r->c))
		json_object_set_new(
		    h, "error", json_string(xl_client_fatal_err(r->c)->msg));
	return h;
}
