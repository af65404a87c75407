/* The ledger polls' pages (docs/design.md#scale): once per poll period,
 * before the walk of tick.c asks ledger_entry for each channel, the
 * service reads every channel of our account, and every channel of each
 * peer address to us, from account_channels pages, all of one validated
 * ledger named by number (so that the pages cannot mix two ledgers and
 * each says which one it is).  Each page's entries are applied as the
 * resync's are (watch.c page_views: views only, never GONE) and stamp the
 * lookups they answered; the walk then skips those.  So a channel is
 * asked with its own ledger_entry only when no page showed it (gone from
 * the ledger, or a page failed), and 10,000 links cost some 50 requests
 * a minute instead of 20,000.
 *
 * One page request is out at a time.  A page of another ledger or not
 * validated ends the round (the server is not what we asked); an error,
 * a marker seen twice or more pages than our records can fill end that
 * source's pages.  The walk asks what the pages did not show. */
#include "src/paychan/service.h"

#include <stdio.h>

#include "ledger/net/rippled.h"
#include "src/util/log.h"

#define SUB "paychan"
/* rippled's largest account_channels page. */
#define PAGE_LIMIT 400
#define PAGE_TIMEOUT_MS 10000

static void round_end(struct eng_paychan *pc, const char *why)
{
	struct page_round *p = &pc->pages;

	p->busy = false;
	json_decref(p->marker);
	p->marker = NULL;
	if (why)
		xu_debug(SUB, "poll pages at ledger %" PRIu32 ": %s", p->ledger,
			 why);
}

static void on_page(void *arg, enum xu_code code, json_t *msg,
		    const struct xu_err *rerr);

/* Asks for the next page of source p->src (after marker; NULL: its
 * first), or ends the round when every source was read. */
static void page_send(struct eng_paychan *pc, json_t *marker)
{
	struct page_round *p = &pc->pages;
	struct xl_client *c = ledger_client(pc);
	const char *acct = pc->address;
	struct xu_err err;
	json_t *req;

	if (p->src > 0 && !(acct = xl_client_peer(c, p->src - 1))) {
		round_end(pc, NULL);
		return;
	}
	req = json_pack("{s:s,s:s,s:I,s:i}", "command", "account_channels",
			"account", acct, "ledger_index", (json_int_t)p->ledger,
			"limit", PAGE_LIMIT);
	if (req && p->src > 0)
		json_object_set_new(req, "destination_account",
				    json_string(pc->address));
	if (req && marker)
		json_object_set(req, "marker", marker);
	if (!req) {
		round_end(pc, "out of memory");
		return;
	}
	if (xl_client_request(c, req, PAGE_TIMEOUT_MS, on_page, pc, &err) !=
	    XU_OK)
		round_end(pc, err.msg);
}

/* The next source (the next peer address), from its first page. */
static void next_source(struct eng_paychan *pc, const char *why)
{
	struct page_round *p = &pc->pages;

	if (why)
		xu_debug(SUB,
			 "poll pages at ledger %" PRIu32 ", source %zu: %s",
			 p->ledger, p->src, why);
	json_decref(p->marker);
	p->marker = NULL;
	p->pages = 0;
	p->src++;
	page_send(pc, NULL);
}

static void on_page(void *arg, enum xu_code code, json_t *msg,
		    const struct xu_err *rerr)
{
	struct eng_paychan *pc = arg;
	struct page_round *p = &pc->pages;
	json_t *res = msg ? xl_ws_result(msg) : NULL;
	json_t *chans = res ? json_object_get(res, "channels") : NULL;
	json_t *marker;
	uint32_t at;

	if (!p->busy)
		return;
	/* This source's channels are left to ledger_entry (a peer whose
	 * account is gone, say); the next source is asked. */
	if (code != XU_OK || !json_is_array(chans)) {
		next_source(pc, rerr ? rerr->msg : "a page without channels");
		return;
	}
	/* Every page of the ledger asked, validated: its entries are views
	 * of that ledger (the rules of views then hold, page_views). */
	if (!json_is_true(json_object_get(res, "validated")) ||
	    !xl_json_u32(res, "ledger_index", &at) || at != p->ledger) {
		round_end(pc, "a page not of the validated ledger asked");
		return;
	}
	pc->stats.pages++;
	p->pages++;
	pc->stats.page_views +=
	    page_views(pc, chans, at, p->src > 0, p->stamp, p->start_ms);
	marker = json_object_get(res, "marker");
	if (!marker) {
		next_source(pc, NULL);
		return;
	}
	if (p->pages >= p->max_pages ||
	    (p->marker && json_equal(marker, p->marker))) {
		next_source(pc, "the pages do not end");
		return;
	}
	json_decref(p->marker);
	p->marker = json_deep_copy(marker);
	page_send(pc, marker);
}

bool pages_start(struct eng_paychan *pc, size_t expect)
{
	struct page_round *p = &pc->pages;
	struct xl_client *c = ledger_client(pc);
	uint32_t v;

	/* A round still out (a slow server): it goes on, its views are as
	 * good; this walk does not wait for it. */
	if (p->busy || !rippled_ready(pc) ||
	    !(v = xl_client_validated_index(c)))
		return false;
	p->busy = true;
	p->ledger = v;
	p->stamp = ++pc->stamps;
	p->start_ms = wall_ms(pc);
	p->src = 0;
	p->pages = 0;
	/* Per source: the pages every record of ours would fill, and two
	 * more (a last partial one, channels that came since).  A source
	 * that goes on beyond that (a server's marker loop, a peer with
	 * thousands of channels to us) leaves the rest of its channels to
	 * ledger_entry, and the next source is read as before. */
	p->max_pages = (unsigned)(expect / PAGE_LIMIT + 2);
	page_send(pc, NULL);
	return p->busy;
}

void pages_free(struct eng_paychan *pc)
{
	json_decref(pc->pages.marker);
	pc->pages.marker = NULL;
	pc->pages.busy = false;
}
