/* The operator's commands against a running daemon, through its admin
 * socket (src/daemon/rpc.h: one JSON request line, one JSON answer line):
 *
 *   xrpse status            the daemon's snapshot (/health's, and more)
 *   xrpse accounts          each account, its pairing and its channels
 *   xrpse channels [--account ID]  every channel record, both directions
 *   xrpse close ACCOUNT     closes the account's outgoing channel
 *   xrpse channel close ID [--force]   closes one channel, either way
 *   xrpse channel redeem ID            redeems on an incoming channel now
 *   xrpse backup PATH       an online copy of the store, in a new file
 *   xrpse stop              the clean stop of SIGTERM; waits for it
 *   xrpse outbox [--parked] and xrpse outbox retry (cli_outbox.c)
 *
 * The socket is --rpc-socket, else XRPSE_RPC_SOCKET, else the --db (or
 * XRPSE_DB) path + ".sock", as `xrpse run` makes it.  The answer's result
 * goes to stdout as JSON, or as an aligned table with -H/--human.  Exit
 * status: 0 done, 1 the daemon refused (its reason on stderr), 2 a usage
 * error, 3 no daemon answers. */
#include "src/cli/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_TIMEOUT_MS 10000
#define ANSWER_MAX (64 * 1024 * 1024)

static const char COMMON[] =
    "  --rpc-socket PATH  the daemon's admin socket [XRPSE_RPC_SOCKET]\n"
    "  --db PATH          or the one beside this database (PATH.sock)\n"
    "                     [XRPSE_DB]\n"
    "  -H, --human        an aligned table instead of JSON\n"
    "exit status: 0 done, 1 refused by the daemon, 2 usage, 3 no daemon\n";

int eng_cli_admin_opts(struct eng_admin_opts *o, const char *cmd, int argc,
		       char **argv)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-H") || !strcmp(a, "--human"))
			o->human = true;
		else if (!strcmp(a, "--parked"))
			o->parked = true;
		else if (!strcmp(a, "--new-key"))
			o->new_key = true;
		else if (!strcmp(a, "--all-parked"))
			o->all_parked = true;
		else if (!strcmp(a, "--force"))
			o->force = true;
		else if (!strcmp(a, "--account") && i + 1 < argc &&
			 argv[i + 1][0] != '-')
			o->account = argv[++i];
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			o->help = true;
		else if ((!strcmp(a, "--rpc-socket") || !strcmp(a, "--db")) &&
			 i + 1 < argc) {
			if (a[2] == 'r')
				o->socket = argv[++i];
			else
				o->db = argv[++i];
		} else if (a[0] != '-' && o->npos < ENG_ADMIN_POS_MAX)
			o->pos[o->npos++] = a;
		else {
			fprintf(stderr, "xrpse %s: bad argument '%s'\n", cmd,
				a);
			return ENG_EXIT_USAGE;
		}
	}
	if (!o->socket)
		o->socket = getenv("XRPSE_RPC_SOCKET");
	if (!o->db)
		o->db = getenv("XRPSE_DB");
	if (!o->socket && o->db) {
		if (snprintf(o->path, sizeof(o->path), "%s.sock", o->db) >=
		    (int)sizeof(o->path)) {
			fprintf(stderr, "xrpse %s: --db path too long\n", cmd);
			return ENG_EXIT_USAGE;
		}
		o->socket = o->path;
	}
	return ENG_EXIT_OK;
}

/* Connects to path; -1 with errno when nobody answers. */
static int dial(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool eng_cli_admin_answers(const char *path)
{
	int fd = dial(path);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Writes all of s; false on error. */
static bool send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads up to the first newline into a malloc'd string (*out); false when
 * the daemon closed, timed out or sent too much. */
static bool recv_line(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *b = malloc(cap), *p;
	struct pollfd pfd = {fd, POLLIN, 0};

	while (b) {
		ssize_t r;

		if (poll(&pfd, 1, ANSWER_TIMEOUT_MS) <= 0)
			break;
		if (len + 1 >= cap) {
			if (cap >= ANSWER_MAX)
				break;
			p = realloc(b, cap * 2);
			if (!p)
				break;
			b = p;
			cap *= 2;
		}
		r = recv(fd, b + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		b[len] = '\0';
		if ((p = memchr(b, '\n', len))) {
			*p = '\0';
			*out = b;
			return true;
		}
	}
	free(b);
	return false;
}

int eng_cli_admin_call(const char *cmd, const struct eng_admin_opts *o,
		       json_t *req, json_t **result)
{
	char *line = NULL, *ans = NULL;
	json_t *v;
	int fd, rc = ENG_EXIT_NOANSWER;

	*result = NULL;
	if (!o->socket) {
		json_decref(req);
		fprintf(stderr,
			"xrpse %s: give --rpc-socket PATH or --db PATH "
			"(or XRPSE_RPC_SOCKET / XRPSE_DB)\n",
			cmd);
		return ENG_EXIT_USAGE;
	}
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!line) {
		fprintf(stderr, "xrpse %s: out of memory\n", cmd);
		return ENG_EXIT_FAIL;
	}
	fd = dial(o->socket);
	if (fd < 0) {
		fprintf(stderr, "xrpse %s: no daemon answers on %s: %s\n", cmd,
			o->socket, strerror(errno));
		free(line);
		return ENG_EXIT_NOANSWER;
	}
	if (send_all(fd, line, strlen(line)) && send_all(fd, "\n", 1) &&
	    recv_line(fd, &ans))
		rc = ENG_EXIT_OK;
	close(fd);
	free(line);
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "xrpse %s: the daemon on %s did not answer\n",
			cmd, o->socket);
		return ENG_EXIT_NOANSWER;
	}
	v = json_loads(ans, 0, NULL);
	free(ans);
	if (!json_is_object(v)) {
		json_decref(v);
		fprintf(stderr, "xrpse %s: the daemon's answer is not JSON\n",
			cmd);
		return ENG_EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(v, "ok"))) {
		const char *e = json_string_value(json_object_get(v, "error"));

		fprintf(stderr, "xrpse %s: %s\n", cmd, e ? e : "refused");
		json_decref(v);
		return ENG_EXIT_FAIL;
	}
	*result = json_incref(json_object_get(v, "result"));
	json_decref(v);
	return ENG_EXIT_OK;
}

/* ---- human output: aligned tables ---- */

#define COLS_MAX 12

/* A cell of obj: a string, a number, true/false, "-" for null/absent. */
static void cell(char *b, size_t cap, const json_t *v)
{
	if (json_is_string(v))
		snprintf(b, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(b, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(b, cap, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(b, cap, "-");
}

/* A value at a path "a.b" in obj (NULL when absent). */
static json_t *at(const json_t *obj, const char *path)
{
	char key[64];
	const char *dot = strchr(path, '.');

	if (!dot)
		return json_object_get(obj, path);
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return at(json_object_get(obj, key), dot + 1);
}

void eng_cli_print_table(const json_t *rows, const char *const *heads,
			 const char *const *paths, size_t ncols)
{
	size_t w[COLS_MAX] = {0}, n = json_array_size(rows);
	char b[256];

	if (ncols > COLS_MAX)
		ncols = COLS_MAX;
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(heads[c]);
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++) {
			cell(b, sizeof(b),
			     at(json_array_get(rows, r), paths[c]));
			if (strlen(b) > w[c])
				w[c] = strlen(b);
		}
	for (size_t c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, heads[c],
		       c + 1 < ncols ? "  " : "\n");
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++) {
			cell(b, sizeof(b),
			     at(json_array_get(rows, r), paths[c]));
			printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, b,
			       c + 1 < ncols ? "  " : "\n");
		}
}

/* "key  value" lines of an object, nested objects as "key.sub". */
static void print_pairs(const char *prefix, const json_t *obj)
{
	const char *k;
	json_t *v;
	char b[256], name[128];

	json_object_foreach((json_t *)obj, k, v)
	{
		snprintf(name, sizeof(name), "%s%s", prefix, k);
		if (json_is_object(v)) {
			char p[sizeof(name) + 1];

			snprintf(p, sizeof(p), "%s.", name);
			print_pairs(p, v);
			continue;
		}
		if (json_is_array(v)) {
			size_t i;
			json_t *e;

			if (!json_array_size(v))
				printf("%-32s -\n", name);
			json_array_foreach(v, i, e)
			{
				char *s = json_dumps(
				    e, JSON_COMPACT | JSON_PRESERVE_ORDER);

				printf("%-32s %s\n", i ? "" : name,
				       s ? s : "?");
				free(s);
			}
			continue;
		}
		cell(b, sizeof(b), v);
		printf("%-32s %s\n", name, b);
	}
}

/* Prints result (taken) as JSON, or by human when -H. */
static int show(const char *cmd, const struct eng_admin_opts *o, json_t *result,
		void (*human)(const json_t *))
{
	if (!o->human)
		return eng_cli_print_json(cmd, result, ENG_EXIT_OK);
	human(result);
	json_decref(result);
	return fflush(stdout) == 0 ? ENG_EXIT_OK : ENG_EXIT_FAIL;
}

static void human_status(const json_t *r)
{
	print_pairs("", r);
}

static void human_accounts(const json_t *r)
{
	static const char *const heads[] = {
	    "ACCOUNT", "PAIRED", "PEER",   "OWED",  "OUT CHANNEL",
	    "STATE",   "AMOUNT", "SIGNED", "ACKED", "IN"};
	static const char *const paths[] = {"account",
					    "paired",
					    "peer",
					    "owed_drops",
					    "outgoing.id",
					    "outgoing.state",
					    "outgoing.amount_drops",
					    "outgoing.signed_drops",
					    "outgoing.acked_drops",
					    "incoming_count"};
	json_t *rows = json_deep_copy(r);
	size_t i;
	json_t *a;

	/* incoming channels: their count here, listed by `channels`. */
	json_array_foreach(rows, i, a)
	    json_object_set_new(a, "incoming_count",
				json_integer((json_int_t)json_array_size(
				    json_object_get(a, "incoming"))));
	eng_cli_print_table(rows, heads, paths, sizeof(heads) / sizeof(*heads));
	json_decref(rows);
}

static void human_channels(const json_t *r)
{
	static const char *const heads[] = {
	    "DIR",    "ACCOUNT", "ID",	   "STATE", "PEER",
	    "AMOUNT", "BALANCE", "SIGNED", "BEST",  "SEEN"};
	static const char *const paths[] = {
	    "direction",     "account",	     "id",
	    "state",	     "peer",	     "amount_drops",
	    "balance_drops", "signed_drops", "best_claim_drops",
	    "seen_ledger"};

	eng_cli_print_table(r, heads, paths, sizeof(heads) / sizeof(*heads));
}

static void human_outbox(const json_t *r)
{
	static const char *const heads[] = {"ID",	 "KIND",     "ACCOUNT",
					    "STATE",	 "ATTEMPTS", "STATUS",
					    "LAST ERROR"};
	static const char *const paths[] = {
	    "id",	"kind",	       "account",   "state",
	    "attempts", "last_status", "last_error"};

	eng_cli_print_table(r, heads, paths, sizeof(heads) / sizeof(*heads));
}

static const struct simple_cmd {
	const char *name, *usage;
	void (*human)(const json_t *);
} SIMPLE[] = {
    {"status",
     "usage: xrpse status [options]\n"
     "  The running daemon's state: version, address, rippled, balance,\n"
     "  reserve, drops locked and claimable, unpaid, connector, outbox,\n"
     "  alerts.\n",
     human_status},
    {"accounts",
     "usage: xrpse accounts [options]\n"
     "  Every account: its peer, pairing, owed drops, its outgoing channel\n"
     "  and its incoming channels.\n",
     human_accounts},
    {"channels",
     "usage: xrpse channels [--account ID] [options]\n"
     "  Every channel record, outgoing and incoming; --account: those of\n"
     "  one account only (refused when the daemon knows no such account).\n",
     human_channels},
};

/* A command without arguments of its own. */
static int simple(const struct simple_cmd *c, int argc, char **argv)
{
	struct eng_admin_opts o;
	json_t *res;
	int rc = eng_cli_admin_opts(&o, c->name, argc, argv);

	if (rc == ENG_EXIT_OK && o.help) {
		printf("%s%s", c->usage, COMMON);
		return ENG_EXIT_OK;
	}
	if (rc == ENG_EXIT_OK &&
	    (o.npos || o.parked || o.new_key || o.all_parked || o.force ||
	     (o.account && strcmp(c->name, "channels")))) {
		fprintf(stderr, "xrpse %s: takes no such argument\n", c->name);
		rc = ENG_EXIT_USAGE;
	}
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "%s%s", c->usage, COMMON);
		return rc;
	}
	rc = eng_cli_admin_call(
	    c->name, &o,
	    json_pack("{s:s,s:s*}", "cmd", c->name, "account", o.account),
	    &res);
	return rc == ENG_EXIT_OK ? show(c->name, &o, res, c->human) : rc;
}

int eng_cli_status(int argc, char **argv)
{
	return simple(&SIMPLE[0], argc, argv);
}

int eng_cli_accounts(int argc, char **argv)
{
	return simple(&SIMPLE[1], argc, argv);
}

int eng_cli_channels(int argc, char **argv)
{
	return simple(&SIMPLE[2], argc, argv);
}

int eng_cli_outbox_list(const struct eng_admin_opts *o)
{
	json_t *res;
	int rc = eng_cli_admin_call(
	    "outbox", o,
	    json_pack("{s:s,s:b}", "cmd", "outbox", "parked", o->parked), &res);

	return rc == ENG_EXIT_OK ? show("outbox", o, res, human_outbox) : rc;
}

static const char CLOSE_USAGE[] =
    "usage: xrpse close ACCOUNT [options]\n"
    "  Closes the account's outgoing channel as deleting the account "
    "would\n  (the peer is asked to close it, then we close as owner); the "
    "account\n  stays, and its next settlement opens a new channel.\n"
    "  The same as `xrpse channel close ID` with the channel's id.\n";

int eng_cli_close(int argc, char **argv)
{
	struct eng_admin_opts o;
	json_t *res;
	int rc = eng_cli_admin_opts(&o, "close", argc, argv);

	if (rc == ENG_EXIT_OK && o.help) {
		printf("%s%s", CLOSE_USAGE, COMMON);
		return ENG_EXIT_OK;
	}
	if (rc == ENG_EXIT_OK && (o.npos != 1 || o.parked || o.new_key ||
				  o.all_parked || o.force || o.account))
		rc = ENG_EXIT_USAGE;
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "%s%s", CLOSE_USAGE, COMMON);
		return rc;
	}
	rc = eng_cli_admin_call(
	    "close", &o,
	    json_pack("{s:s,s:s}", "cmd", "close", "account", o.pos[0]), &res);
	if (rc != ENG_EXIT_OK)
		return rc;
	if (!o.human)
		return eng_cli_print_json("close", res, ENG_EXIT_OK);
	printf("%s: outgoing channel %s\n", o.pos[0],
	       json_string_value(at(res, "outgoing.state")));
	json_decref(res);
	return ENG_EXIT_OK;
}

/* True when o holds nothing but the common options and npos positionals. */
static bool only_common(const struct eng_admin_opts *o, size_t npos)
{
	return o->npos == npos && !o->parked && !o->new_key && !o->all_parked &&
	       !o->force && !o->account;
}

static const char CHANNEL_USAGE[] =
    "usage: xrpse channel close ID [--force] [options]\n"
    "       xrpse channel redeem ID [options]\n"
    "  close: closes the one channel ID (64 hex digits, as `xrpse\n"
    "  channels` shows it); the account stays.  Our outgoing channel: the\n"
    "  peer is asked to close it, and we close it as owner after\n"
    "  --close-wait (as `xrpse close ACCOUNT`); --force closes it as owner\n"
    "  on the next ledger view (also one closing already), the peer keeping\n"
    "  the whole settle delay to redeem.  An incoming channel: as deleting\n"
    "  the account would for it: its claims are refused from now on, the\n"
    "  best one is redeemed with tfClose (or the channel closed as payee\n"
    "  when all is redeemed); --force changes nothing there.  Refused (1)\n"
    "  when it is closing already or closed.\n"
    "  redeem: redeems the best claim held on incoming channel ID now,\n"
    "  whatever the redeem policy says.  Refused (1) when there is nothing\n"
    "  to redeem, a redeem is in flight, or the channel is closed.\n";

int eng_cli_channel(int argc, char **argv)
{
	struct eng_admin_opts o;
	json_t *res;
	const char *sub = argc >= 1 ? argv[0] : "";
	bool close = !strcmp(sub, "close"), redeem = !strcmp(sub, "redeem");
	bool force;
	int rc;

	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") ||
	    !strcmp(sub, "help")) {
		printf("%s%s", CHANNEL_USAGE, COMMON);
		return ENG_EXIT_OK;
	}
	if (!close && !redeem) {
		fprintf(stderr, "%s%s", CHANNEL_USAGE, COMMON);
		return ENG_EXIT_USAGE;
	}
	rc = eng_cli_admin_opts(&o, "channel", argc - 1, argv + 1);
	if (rc == ENG_EXIT_OK && o.help) {
		printf("%s%s", CHANNEL_USAGE, COMMON);
		return ENG_EXIT_OK;
	}
	force = o.force;
	o.force = false;
	if (rc == ENG_EXIT_OK && ((force && !close) || !only_common(&o, 1)))
		rc = ENG_EXIT_USAGE;
	if (rc == ENG_EXIT_OK &&
	    (strlen(o.pos[0]) != 64 ||
	     strspn(o.pos[0], "0123456789abcdefABCDEF") != 64)) {
		fprintf(stderr, "xrpse channel: '%s' is not a channel id\n",
			o.pos[0]);
		rc = ENG_EXIT_USAGE;
	}
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "%s%s", CHANNEL_USAGE, COMMON);
		return rc;
	}
	rc = eng_cli_admin_call(
	    "channel", &o,
	    close ? json_pack("{s:s,s:s,s:b}", "cmd", "channel_close", "id",
			      o.pos[0], "force", force)
		  : json_pack("{s:s,s:s}", "cmd", "channel_redeem", "id",
			      o.pos[0]),
	    &res);
	if (rc != ENG_EXIT_OK)
		return rc;
	if (!o.human)
		return eng_cli_print_json("channel", res, ENG_EXIT_OK);
	printf("%s channel %s: %s%s\n",
	       json_string_value(json_object_get(res, "direction")), o.pos[0],
	       json_string_value(at(res, "channel.state")),
	       json_is_true(at(res, "channel.redeem_inflight"))
		   ? ", redeem in flight"
		   : "");
	json_decref(res);
	return ENG_EXIT_OK;
}

static const char BACKUP_USAGE[] =
    "usage: xrpse backup PATH [options]\n"
    "  Copies the running daemon's store, online, into the new file PATH\n"
    "  (SQLite's backup API: one consistent snapshot), mode 0600, fsynced.\n"
    "  An existing PATH is never overwritten.  The copy is a store that\n"
    "  `xrpse run --db PATH` opens; a restored store recovers the claims\n"
    "  signed since from the peer (docs/design.md).\n";

int eng_cli_backup(int argc, char **argv)
{
	struct eng_admin_opts o;
	json_t *res;
	char abs[4096], cwd[4000];
	const char *path;
	int rc = eng_cli_admin_opts(&o, "backup", argc, argv);

	if (rc == ENG_EXIT_OK && o.help) {
		printf("%s%s", BACKUP_USAGE, COMMON);
		return ENG_EXIT_OK;
	}
	if (rc == ENG_EXIT_OK && (!only_common(&o, 1) || !*o.pos[0]))
		rc = ENG_EXIT_USAGE;
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "%s%s", BACKUP_USAGE, COMMON);
		return rc;
	}
	/* The daemon's working directory is not ours: an absolute path. */
	path = o.pos[0];
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >=
			(int)sizeof(abs)) {
			fprintf(stderr, "xrpse backup: path too long\n");
			return ENG_EXIT_USAGE;
		}
		path = abs;
	}
	rc = eng_cli_admin_call(
	    "backup", &o, json_pack("{s:s,s:s}", "cmd", "backup", "path", path),
	    &res);
	if (rc != ENG_EXIT_OK)
		return rc;
	if (!o.human)
		return eng_cli_print_json("backup", res, ENG_EXIT_OK);
	printf("backed up to %s\n", path);
	json_decref(res);
	return ENG_EXIT_OK;
}

#define STOP_WAIT_MS 30000

static const char STOP_USAGE[] =
    "usage: xrpse stop [options]\n"
    "  Stops the running daemon as SIGTERM does: it finishes the batch in\n"
    "  hand, answers what it can, and exits.  Waits until the daemon's\n"
    "  socket is gone (at most 30 s: then exit status 1).\n";

int eng_cli_stop(int argc, char **argv)
{
	struct eng_admin_opts o;
	struct stat st;
	json_t *res;
	int rc = eng_cli_admin_opts(&o, "stop", argc, argv);

	if (rc == ENG_EXIT_OK && o.help) {
		printf("%s%s", STOP_USAGE, COMMON);
		return ENG_EXIT_OK;
	}
	if (rc == ENG_EXIT_OK && !only_common(&o, 0))
		rc = ENG_EXIT_USAGE;
	if (rc != ENG_EXIT_OK) {
		fprintf(stderr, "%s%s", STOP_USAGE, COMMON);
		return rc;
	}
	rc = eng_cli_admin_call("stop", &o, json_pack("{s:s}", "cmd", "stop"),
				&res);
	if (rc != ENG_EXIT_OK)
		return rc;
	/* The daemon removes its socket last, once its store is closed. */
	for (int waited = 0; lstat(o.socket, &st) == 0; waited += 50) {
		if (waited < STOP_WAIT_MS) {
			poll(NULL, 0, 50);
			continue;
		}
		if (eng_cli_admin_answers(o.socket)) {
			json_decref(res);
			fprintf(stderr,
				"xrpse stop: the daemon still answers\n");
			return ENG_EXIT_FAIL;
		}
		fprintf(stderr, "xrpse stop: nobody answers, but %s stays\n",
			o.socket);
		break;
	}
	json_object_set_new(res, "stopped", json_true());
	if (!o.human)
		return eng_cli_print_json("stop", res, ENG_EXIT_OK);
	printf("stopped\n");
	json_decref(res);
	return ENG_EXIT_OK;
}
