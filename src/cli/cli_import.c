/* xrpse import kava: take over the channels of Kava's ilp-plugin-xrp-paychan
 * (src/cli/kava.h; docs/design.md#moving-from-kavas-plugin).
 *
 *   xrpse import kava --store FILE --seed-file PATH --db PATH
 *       [--account NAME=ID]... [--rippled-url URL] [-H]
 *
 * Runs while the daemon is stopped: the store's lock refuses it when a
 * daemon holds the database.  Every ledger question goes to one validated
 * ledger (the newest when the command starts), over one WebSocket
 * connection made with the daemon's own client (ledger/net/ws.h), served
 * synchronously here.  Prints the report as JSON (a table with -H).
 *
 * Exit status: 0 every account imported or already imported; 1 some
 * account or channel refused, or a runtime failure (nothing written for
 * the accounts it concerns); 2 malformed arguments. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sign.h"
#include "ledger/net/ws.h"
#include "ledger/net/wsync.h"
#include "src/cli/cli.h"
#include "src/cli/kava.h"
#include "src/paychan/paychan.h"
#include "src/util/hex.h"
#include "src/util/log.h"

#define IMPORT_MAX_ACCOUNTS 64
#define WS_WAIT_MS 15000

static const struct eng_opt import_opts[] = {
    {"store", "FILE", "the plugin's store: JSON object of keys -> strings"},
    {"seed-file", "PATH", "the plugin's xrpSecret (the daemon's seed file)"},
    {"db", "PATH", "the daemon's SQLite database (daemon stopped)"},
    {"rippled-url", "URL",
     "rippled WebSocket (default ws://127.0.0.1:6006) [XRPSE_RIPPLED_URL]"},
    {"min-settle-delay", "SECONDS",
     "our minimum SettleDelay (default 259200; as xrpse run)"},
    {"max-settle-delay", "SECONDS",
     "our maximum SettleDelay (default 2592000; as xrpse run)"},
    {"human", NULL, "print a table instead of JSON (also -H)"},
};
#define N_IMPORT_OPTS (sizeof(import_opts) / sizeof(import_opts[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: xrpse import kava --store FILE --seed-file PATH "
		   "--db PATH\n"
		   "         [--account NAME=ID]... "
		   "[--rippled-url URL] [-H]\n\n"
		   "Takes over the channels, claims and books of Kava's "
		   "ilp-plugin-xrp-paychan\n"
		   "(stopped first) into the database of a stopped xrpse: "
		   "see README \"Moving\n"
		   "from Kava's plugin\".  --account maps the plugin account "
		   "NAME to the xrpse\n"
		   "account ID (default: the same name); repeat it per "
		   "account.\n\noptions:\n");
	eng_args_print_help(f, import_opts, N_IMPORT_OPTS);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "xrpse import: %s\n", msg);
	fprintf(stderr, "Run 'xrpse import --help' for usage.\n");
	return ENG_EXIT_USAGE;
}

/* ---- one synchronous rippled connection, pinned to a validated ledger */

struct sync_ws {
	struct xl_wsync *c;
	uint32_t ledger; /* the validated ledger every question goes to */
};

static enum xu_code ws_call(struct sync_ws *s, json_t *req, json_t **out,
			    struct xu_err *err)
{
	return xl_wsync_call(s->c, req, out, err);
}

static enum xu_code ws_open(struct sync_ws *s, const char *url,
			    struct xu_err *err)
{
	json_t *msg, *res;
	enum xu_code rc;

	s->c = xl_wsync_open(url, WS_WAIT_MS, err);
	if (!s->c)
		return err ? err->code : XU_EUNAVAIL;
	rc = ws_call(s,
		     json_pack("{s:s,s:s}", "command", "ledger", "ledger_index",
			       "validated"),
		     &msg, err);
	if (rc != XU_OK)
		return rc;
	res = xl_ws_result(msg);
	if (!res || !xl_json_u32(res, "ledger_index", &s->ledger)) {
		json_decref(msg);
		return xu_fail(err, XU_EPARSE, 0,
			       "rippled's validated ledger has no index");
	}
	json_decref(msg);
	return XU_OK;
}

static void ws_close(struct sync_ws *s)
{
	xl_wsync_close(s->c);
	s->c = NULL;
}

/* The close time of the pinned validated ledger. */
static enum xu_code ledger_time(struct sync_ws *s, uint32_t *t,
				struct xu_err *err)
{
	json_t *msg, *res;
	enum xu_code rc;

	rc = ws_call(s,
		     json_pack("{s:s,s:I}", "command", "ledger", "ledger_index",
			       (json_int_t)s->ledger),
		     &msg, err);
	if (rc != XU_OK)
		return rc;
	res = xl_ws_result(msg);
	if (!res ||
	    !xl_json_u32(json_object_get(res, "ledger"), "close_time", t))
		rc = xu_fail(err, XU_EPARSE, 0,
			     "rippled's ledger has no close_time");
	json_decref(msg);
	return rc;
}

/* Asks `command` with field = value at the pinned ledger: XU_OK and *msg
 * (owned) with *found, or *found false (and no *msg) for an absent entry
 * or account. */
static enum xu_code ask(struct sync_ws *s, const char *command,
			const char *field, const char *value, json_t **msg,
			bool *found, struct xu_err *err)
{
	enum xu_code rc;

	*found = false;
	rc = ws_call(s,
		     json_pack("{s:s,s:s,s:I}", "command", command, field,
			       value, "ledger_index", (json_int_t)s->ledger),
		     msg, err);
	if (rc == XU_ENOTFOUND)
		return XU_OK;
	*found = rc == XU_OK;
	return rc;
}

static enum xu_code lg_channel(void *arg, const uint8_t id[CR_CHANNEL_ID_BYTES],
			       struct pc_view *v, bool *found,
			       struct xu_err *err)
{
	char hex[2 * CR_CHANNEL_ID_BYTES + 1];
	json_t *msg, *res, *node;
	enum xu_code rc;

	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	rc = ask(arg, "ledger_entry", "payment_channel", hex, &msg, found, err);
	if (rc != XU_OK || !*found)
		return rc;
	res = xl_ws_result(msg);
	node = res ? json_object_get(res, "node") : NULL;
	if (!node || !json_is_true(json_object_get(res, "validated")) ||
	    !eng_paychan_view_from_json(v, node, id)) {
		json_decref(msg);
		*found = false;
		return xu_fail(err, XU_EPARSE, 0,
			       "malformed or unvalidated ledger_entry answer");
	}
	v->ledger_index = ((struct sync_ws *)arg)->ledger;
	json_decref(msg);
	return XU_OK;
}

static enum xu_code lg_account(void *arg, const struct cr_account_id *id,
			       bool *found, struct xu_err *err)
{
	char addr[CR_ADDRESS_STRLEN];
	json_t *msg;
	enum xu_code rc;

	cr_address_encode(addr, id);
	rc = ask(arg, "account_info", "account", addr, &msg, found, err);
	if (rc == XU_OK && *found)
		json_decref(msg);
	return rc;
}

/* ---- the command ---- */

static bool read_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (*end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void print_table(const json_t *report)
{
	static const char *const heads[] = {"PLUGIN",	 "ACCOUNT",  "STATUS",
					    "IN",	 "IN CLAIM", "OUT",
					    "OUT CLAIM", "REASON"};
	static const char *const paths[] = {"plugin_account", "account",
					    "status",	      "incoming.status",
					    "incoming.claim", "outgoing.status",
					    "outgoing.claim", "why"};
	json_t *rows = json_array();
	json_t *accts = json_object_get(report, "accounts");

	for (size_t i = 0; rows && i < json_array_size(accts); i++) {
		json_t *a = json_deep_copy(json_array_get(accts, i));
		char why[256] = "";
		const char *sides[] = {"", "incoming", "outgoing"};

		for (size_t k = 0; k < 3; k++) {
			json_t *o = k ? json_object_get(a, sides[k]) : a;
			const char *r =
			    json_string_value(json_object_get(o, "reason"));

			if (r)
				snprintf(why + strlen(why),
					 sizeof(why) - strlen(why), "%s%s%s%s",
					 why[0] ? ", " : "", sides[k],
					 k ? " " : "", r);
		}
		json_object_set_new(a, "why", json_string(why));
		json_array_append_new(rows, a);
	}
	printf("address %s, validated ledger %lld\n",
	       json_string_value(json_object_get(report, "address")),
	       (long long)json_integer_value(
		   json_object_get(report, "ledger_index")));
	eng_cli_print_table(rows, heads, paths, sizeof(heads) / sizeof(*heads));
	json_decref(rows);
}

static int run_import(struct eng_args *a, const struct eng_kava_map *map,
		      size_t nmap, bool human)
{
	const char *store_path = a->val[0], *seed_path = a->val[1];
	const char *db = a->val[2], *url = a->val[3];
	struct pc_cfg cfg;
	struct cr_keypair kp;
	struct cr_seed seed;
	struct eng_store *st = NULL;
	struct sync_ws ws = {0};
	struct eng_kava_ledger lg = {0};
	struct xu_err err = {0};
	json_error_t jerr;
	json_t *dump, *report;
	int status;

	if (!store_path || !seed_path || !db)
		return usage_error(
		    "--store, --seed-file and --db are required");
	if (!url)
		url = getenv("XRPSE_RIPPLED_URL");
	if (!url || !*url)
		url = "ws://127.0.0.1:6006";
	pc_cfg_default(&cfg);
	if ((a->val[4] && !read_u32(a->val[4], &cfg.min_settle_delay)) ||
	    (a->val[5] && !read_u32(a->val[5], &cfg.max_settle_delay)))
		return usage_error("a settle delay must be a number of "
				   "seconds");
	if (pc_cfg_check(&cfg, true, &err) != XU_OK)
		return usage_error(err.msg);
	dump = json_load_file(store_path, 0, &jerr);
	if (!json_is_object(dump)) {
		json_decref(dump);
		fprintf(stderr,
			"xrpse import: %s is not a JSON object of the "
			"plugin's keys and values (%s)\n",
			store_path, jerr.text);
		return ENG_EXIT_FAIL;
	}
	if (cr_init(&err) != XU_OK ||
	    eng_cli_load_seed(&kp, &seed, seed_path, 0, &err) != XU_OK) {
		json_decref(dump);
		fprintf(stderr, "xrpse import: %s\n", err.msg);
		return ENG_EXIT_FAIL;
	}
	cr_keypair_clear(&kp);
	/* The store's lock keeps a running daemon's database away. */
	if (eng_store_open(&st, db, &err) != XU_OK) {
		cr_seed_clear(&seed);
		json_decref(dump);
		fprintf(stderr, "xrpse import: %s%s\n", err.msg,
			err.code == XU_EBUSY ? ": stop the daemon first" : "");
		return ENG_EXIT_FAIL;
	}
	if (ws_open(&ws, url, &err) != XU_OK ||
	    ledger_time(&ws, &lg.ledger_time, &err) != XU_OK) {
		ws_close(&ws);
		eng_store_close(st);
		cr_seed_clear(&seed);
		json_decref(dump);
		fprintf(stderr, "xrpse import: rippled: %s\n", err.msg);
		return ENG_EXIT_FAIL;
	}
	lg.channel = lg_channel;
	lg.account = lg_account;
	lg.arg = &ws;
	lg.ledger_index = ws.ledger;
	report = eng_kava_import(st, &cfg, &seed, dump, map, nmap, &lg, &err);
	cr_seed_clear(&seed);
	ws_close(&ws);
	eng_store_close(st);
	json_decref(dump);
	if (!report) {
		fprintf(stderr, "xrpse import: %s\n", err.msg);
		return ENG_EXIT_FAIL;
	}
	status = json_integer_value(json_object_get(
		     json_object_get(report, "summary"), "refused")) > 0
		     ? ENG_EXIT_FAIL
		     : ENG_EXIT_OK;
	{
		/* A refused channel of an imported account counts too. */
		json_t *accts = json_object_get(report, "accounts");

		for (size_t i = 0; i < json_array_size(accts); i++) {
			json_t *e = json_array_get(accts, i);
			const char *si = json_string_value(json_object_get(
			    json_object_get(e, "incoming"), "status"));
			const char *so = json_string_value(json_object_get(
			    json_object_get(e, "outgoing"), "status"));

			if ((si && !strcmp(si, "refused")) ||
			    (so && !strcmp(so, "refused")))
				status = ENG_EXIT_FAIL;
		}
	}
	if (human) {
		print_table(report);
		json_decref(report);
		return status;
	}
	return eng_cli_print_json("import", report, status);
}

int eng_cli_import(int argc, char **argv)
{
	struct eng_kava_map map[IMPORT_MAX_ACCOUNTS];
	char *rest[64];
	int nrest = 0;
	size_t nmap = 0;
	bool human = false;
	struct eng_args a;
	struct xu_err e;

	if (argc < 1 || strcmp(argv[0], "kava") != 0) {
		if (argc >= 1 &&
		    (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
			usage(stdout);
			return ENG_EXIT_OK;
		}
		return usage_error("the only import is 'kava'");
	}
	/* --account repeats and -H is short: taken out before the table
	 * parser, which allows each option once. */
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "-H")) {
			human = true;
			continue;
		}
		if (!strcmp(argv[i], "--account")) {
			if (i + 1 >= argc)
				return usage_error("--account needs NAME=ID");
			v = argv[++i];
		} else if (!strncmp(argv[i], "--account=", 10)) {
			v = argv[i] + 10;
		}
		if (v) {
			char *eq = strchr(v, '=');

			if (!eq || eq == v || !eq[1])
				return usage_error("--account needs NAME=ID");
			if (nmap == IMPORT_MAX_ACCOUNTS)
				return usage_error("too many --account");
			*eq = '\0';
			map[nmap].name = v;
			map[nmap].id = eq + 1;
			nmap++;
			continue;
		}
		if (nrest == (int)(sizeof(rest) / sizeof(rest[0])))
			return usage_error("too many arguments");
		rest[nrest++] = argv[i];
	}
	if (eng_args_parse(&a, import_opts, N_IMPORT_OPTS, 0, nrest, rest,
			   &e) != XU_OK)
		return usage_error(e.msg);
	if (a.help) {
		usage(stdout);
		return ENG_EXIT_OK;
	}
	if (a.val[6])
		human = true;
	xu_log_set_level(XU_LOG_UNUSUAL);
	return run_import(&a, map, nmap, human);
}
