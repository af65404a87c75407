/* The payment-channel tables (see chanstore.h): plain column-per-field
 * rows, read back with every value checked (a corrupt row is an
 * XU_ESTORE error, never an abort), statements cached by the store. */
#include "src/store/chanstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/store/db.h"
#include "src/util/hex.h"

static const char RESTORED[] = "restored";

/* ---- column helpers -------------------------------------------------- */

static void bind_drops(sqlite3_stmt *st, int i, struct xl_drops d)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)xl_drops_u64(d));
}

static void bind_addr(sqlite3_stmt *st, int i, const struct cr_account_id *a)
{
	char buf[CR_ADDRESS_STRLEN];

	cr_address_encode(buf, a);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

static void bind_id(sqlite3_stmt *st, int i, const uint8_t id[32])
{
	char hex[2 * CR_CHANNEL_ID_BYTES + 1];

	xu_hex_encode(hex, sizeof(hex), id, CR_CHANNEL_ID_BYTES);
	sqlite3_bind_text(st, i, hex, -1, SQLITE_TRANSIENT);
}

static void bind_bool(sqlite3_stmt *st, int i, bool b)
{
	sqlite3_bind_int(st, i, b ? 1 : 0);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* Reading: each helper sets *ok = false on a bad value. */
static struct xl_drops col_drops(sqlite3_stmt *st, int i, bool *ok)
{
	struct xl_drops d = xl_drops_zero();
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	if (v < 0 || !xl_drops_from_u64(&d, (uint64_t)v))
		*ok = false;
	return d;
}

static uint32_t col_u32(sqlite3_stmt *st, int i, bool *ok)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	if (v < 0 || v > (sqlite3_int64)UINT32_MAX) {
		*ok = false;
		return 0;
	}
	return (uint32_t)v;
}

static uint64_t col_u64(sqlite3_stmt *st, int i, bool *ok)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	if (v < 0) {
		*ok = false;
		return 0;
	}
	return (uint64_t)v;
}

static bool col_bool(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int(st, i) != 0;
}

static void col_addr(sqlite3_stmt *st, int i, struct cr_account_id *a, bool *ok)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	memset(a, 0, sizeof(*a));
	if (!t || cr_address_decode(a, t, NULL) != XU_OK)
		*ok = false;
}

static void col_id(sqlite3_stmt *st, int i, uint8_t id[32], bool *ok)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	memset(id, 0, CR_CHANNEL_ID_BYTES);
	if (!t ||
	    xu_hex_decode_exact(id, CR_CHANNEL_ID_BYTES, t, NULL) != XU_OK)
		*ok = false;
}

/* A blob of at most cap bytes into out; *len gets its size. */
static void col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t cap,
		     size_t *len, bool *ok)
{
	const void *b = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	*len = 0;
	if (n < 0 || (size_t)n > cap) {
		*ok = false;
		return;
	}
	if (n > 0)
		memcpy(out, b, (size_t)n);
	*len = (size_t)n;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap, bool *ok)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	if (!t || strlen(t) >= cap) {
		*ok = false;
		out[0] = '\0';
		return;
	}
	memcpy(out, t, strlen(t) + 1);
}

static enum xu_code corrupt(struct xu_err *err, const char *table,
			    const char *key)
{
	return xu_fail(err, XU_ESTORE, 0, "%s: corrupt row %s", table, key);
}

static enum xu_code step_done(struct eng_store *s, sqlite3_stmt *st,
			      const char *what, struct xu_err *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		enum xu_code c = eng_store_fail(s, err, what);

		sqlite3_reset(st);
		return c;
	}
	sqlite3_reset(st);
	return XU_OK;
}

/* Steps st (prepared and bound by the caller) for at most one row, which
 * row(st, out) decodes; resets st.  *found tells whether there was one; a
 * row that does not decode is a corrupt `table` row named by key. */
static enum xu_code one_row(struct eng_store *s, sqlite3_stmt *st,
			    bool (*row)(sqlite3_stmt *, void *), void *out,
			    bool *found, const char *table, const char *key,
			    const char *reading, struct xu_err *err)
{
	int r = sqlite3_step(st);
	enum xu_code rc = XU_OK;

	*found = false;
	if (r == SQLITE_ROW) {
		bool ok = row(st, out);

		sqlite3_reset(st);
		if (!ok)
			return corrupt(err, table, key);
		*found = true;
		return XU_OK;
	}
	if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, reading);
	sqlite3_reset(st);
	return rc;
}

/* The row of `account` (sql selects by ?1 = account), as one_row. */
static enum xu_code by_account(struct eng_store *s, const char *sql,
			       const char *account,
			       bool (*row)(sqlite3_stmt *, void *), void *out,
			       bool *found, const char *table,
			       const char *reading, struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc;

	*found = false;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	return one_row(s, st, row, out, found, table, account, reading, err);
}

/* ---- pc_peers -------------------------------------------------------- */

#define PEER_COLS                                                              \
	"account, address, key_type, min_settle_delay, version, "              \
	"hello_next_ms, hello_attempts, peer_sent_ms"

static bool peer_row(sqlite3_stmt *st, void *out)
{
	struct eng_chan_peer *p = out;
	bool ok = true;

	memset(p, 0, sizeof(*p));
	col_text(st, 0, p->account, sizeof(p->account), &ok);
	p->paired = sqlite3_column_type(st, 1) != SQLITE_NULL;
	if (p->paired) {
		col_addr(st, 1, &p->address, &ok);
		int kt = sqlite3_column_int(st, 2);
		if (kt != CR_KEY_SECP256K1 && kt != CR_KEY_ED25519)
			ok = false;
		p->key_type = (enum cr_key_type)kt;
		p->min_settle_delay = col_u32(st, 3, &ok);
		p->version = col_u32(st, 4, &ok);
	}
	p->hello_next_ms = sqlite3_column_int64(st, 5);
	p->hello_attempts = col_u32(st, 6, &ok);
	p->peer_sent_ms = sqlite3_column_int64(st, 7);
	return ok;
}

enum xu_code eng_chan_peer_get(struct eng_store *s, const char *account,
			       struct eng_chan_peer *p, bool *found,
			       struct xu_err *err)
{
	static const char sql[] =
	    "SELECT " PEER_COLS " FROM pc_peers WHERE account = ?1";

	memset(p, 0, sizeof(*p));
	return by_account(s, sql, account, peer_row, p, found, "pc_peers",
			  "reading pc_peers", err);
}

enum xu_code eng_chan_peer_put(struct eng_store *s,
			       const struct eng_chan_peer *p,
			       struct xu_err *err)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO pc_peers (" PEER_COLS ", updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *st;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(s));
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, p->account, -1, SQLITE_STATIC);
	if (p->paired) {
		bind_addr(st, 2, &p->address);
		sqlite3_bind_int(st, 3, (int)p->key_type);
		sqlite3_bind_int64(st, 4, p->min_settle_delay);
		sqlite3_bind_int64(st, 5, p->version);
	}
	sqlite3_bind_int64(st, 6, p->hello_next_ms);
	sqlite3_bind_int64(st, 7, p->hello_attempts);
	sqlite3_bind_int64(st, 8, p->peer_sent_ms);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)time(NULL));
	return step_done(s, st, "writing pc_peers", err);
}

enum xu_code eng_chan_peer_due(struct eng_store *s, int64_t now_ms,
			       struct eng_chan_peer *v, size_t cap, size_t *n,
			       struct xu_err *err)
{
	static const char sql[] =
	    "SELECT p.account, p.address, p.key_type, p.min_settle_delay, "
	    "p.version, p.hello_next_ms, p.hello_attempts, p.peer_sent_ms "
	    "FROM pc_peers p "
	    "JOIN accounts a ON a.id = p.account AND a.closed_at IS NULL "
	    "WHERE p.address IS NULL AND p.hello_next_ms <= ?1 "
	    "ORDER BY p.hello_next_ms LIMIT ?2";
	sqlite3_stmt *st;
	enum xu_code rc;
	int r;

	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
	while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
		if (!peer_row(st, &v[*n])) {
			sqlite3_reset(st);
			return corrupt(err, "pc_peers", "(due)");
		}
		(*n)++;
	}
	rc = r == SQLITE_DONE || r == SQLITE_ROW
		 ? XU_OK
		 : eng_store_fail(s, err, "reading pc_peers");
	sqlite3_reset(st);
	return rc;
}

enum xu_code eng_chan_peer_missing(struct eng_store *s,
				   char (*accounts)[ENG_STORE_ACCOUNT_MAX + 1],
				   size_t cap, size_t *n, struct xu_err *err)
{
	static const char sql[] =
	    "SELECT a.id FROM accounts a WHERE a.closed_at IS NULL AND "
	    "NOT EXISTS (SELECT 1 FROM pc_peers p WHERE p.account = a.id) "
	    "ORDER BY a.id LIMIT ?1";
	sqlite3_stmt *st;
	enum xu_code rc;
	int r;

	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)cap);
	while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
		bool ok = true;

		col_text(st, 0, accounts[*n], sizeof(accounts[0]), &ok);
		if (!ok) {
			sqlite3_reset(st);
			return corrupt(err, "accounts", "(missing pairing)");
		}
		(*n)++;
	}
	rc = r == SQLITE_DONE || r == SQLITE_ROW
		 ? XU_OK
		 : eng_store_fail(s, err, "reading accounts");
	sqlite3_reset(st);
	return rc;
}

/* ---- pc_out ---------------------------------------------------------- */

#define OUT_COLS                                                               \
	"account, state, self, peer, has_id, id, amount, redeemed, "           \
	"settle_delay, has_expiration, expiration, signed_total, owed, "       \
	"fund_inflight, close_inflight, deleting, has_account, "               \
	"acct_balance, acct_reserve, acct_reserve_inc, fee, retry_at, "        \
	"claim_amount, claim_sig, peer_best, create_n, fund_n, close_n, "      \
	"tx_amount, recovering, recover_owed, seen_ledger, has_ended, "        \
	"ended_id, ended_signed, ended_paid, ended_from, ended_to, reowed, "   \
	"ended_has_final, ended_final, ended_has_held, ended_held, signer, "   \
	"signer_pub, ledger_floor, word_floor, tx_fails"
/* What a read returns: the columns and the record's due time. */
#define OUT_SEL OUT_COLS ", due_ms"
/* A write makes its record due at once, with a due time below every
 * other (0 or less, unique in the table): the tick sets a later one only
 * on a record still holding the due time it read (eng_chan_out_set_due),
 * so no write in between can be overlooked. */
#define DUE_NOW(table)                                                         \
	"(SELECT min(0, coalesce((SELECT min(due_ms) FROM " table "), 0)) - "  \
	"1)"
/* The writer's due (parameter p) when it is above 0, else due at once. */
#define DUE_OR_NOW(p, table)                                                   \
	"CASE WHEN " p " > 0 THEN " p " ELSE " DUE_NOW(table) " END"

static bool out_row(sqlite3_stmt *st, void *out)
{
	struct eng_chan_out *o = out;
	struct pc_out *c = &o->ch;
	bool ok = true;
	int state;

	memset(o, 0, sizeof(*o));
	col_text(st, 0, o->account, sizeof(o->account), &ok);
	state = sqlite3_column_int(st, 1);
	if (state < 0 || state >= PC_OUT_NSTATES)
		ok = false;
	c->state = (enum pc_out_state)state;
	c->reason = RESTORED;
	col_addr(st, 2, &c->self, &ok);
	col_addr(st, 3, &c->peer, &ok);
	c->has_id = col_bool(st, 4);
	if (c->has_id)
		col_id(st, 5, c->id, &ok);
	c->amount = col_drops(st, 6, &ok);
	c->redeemed = col_drops(st, 7, &ok);
	c->settle_delay = col_u32(st, 8, &ok);
	c->has_expiration = col_bool(st, 9);
	c->expiration = col_u32(st, 10, &ok);
	c->signed_total = col_drops(st, 11, &ok);
	c->owed = col_drops(st, 12, &ok);
	c->fund_inflight = col_bool(st, 13);
	c->close_inflight = col_bool(st, 14);
	c->deleting = col_bool(st, 15);
	c->has_account = col_bool(st, 16);
	c->acct_balance = col_drops(st, 17, &ok);
	c->acct_reserve = col_drops(st, 18, &ok);
	c->acct_reserve_inc = col_drops(st, 19, &ok);
	c->fee = col_drops(st, 20, &ok);
	c->retry_at = col_u64(st, 21, &ok);
	o->claim_amount = col_drops(st, 22, &ok);
	col_blob(st, 23, o->claim_sig, sizeof(o->claim_sig), &o->claim_siglen,
		 &ok);
	o->peer_best = col_drops(st, 24, &ok);
	o->create_n = col_u32(st, 25, &ok);
	o->fund_n = col_u32(st, 26, &ok);
	o->close_n = col_u32(st, 27, &ok);
	o->tx_amount = col_drops(st, 28, &ok);
	c->recovering = col_bool(st, 29);
	c->recover_owed = col_drops(st, 30, &ok);
	c->seen_ledger = col_u32(st, 31, &ok);
	c->has_ended = col_bool(st, 32);
	if (c->has_ended)
		col_id(st, 33, c->ended_id, &ok);
	c->ended_signed = col_drops(st, 34, &ok);
	c->ended_paid = col_drops(st, 35, &ok);
	c->ended_from = col_u32(st, 36, &ok);
	c->ended_to = col_u32(st, 37, &ok);
	c->reowed = col_drops(st, 38, &ok);
	c->ended_has_final = col_bool(st, 39);
	c->ended_final = col_drops(st, 40, &ok);
	c->ended_has_held = col_bool(st, 41);
	c->ended_held = col_drops(st, 42, &ok);
	if (sqlite3_column_type(st, 44) != SQLITE_NULL) {
		size_t n;

		col_blob(st, 44, c->key, sizeof(c->key), &n, &ok);
		col_text(st, 43, o->signer, sizeof(o->signer), &ok);
		c->has_key = true;
		if (n != CR_PUBKEY_BYTES || !o->signer[0])
			ok = false;
	}
	c->ledger_floor = col_drops(st, 45, &ok);
	c->word_floor = col_drops(st, 46, &ok);
	c->tx_fails = col_u32(st, 47, &ok);
	o->due_ms = sqlite3_column_int64(st, 48);
	return ok;
}

enum xu_code eng_chan_out_get(struct eng_store *s, const char *account,
			      struct eng_chan_out *o, bool *found,
			      struct xu_err *err)
{
	static const char sql[] =
	    "SELECT " OUT_SEL " FROM pc_out WHERE account = ?1";

	memset(o, 0, sizeof(*o));
	return by_account(s, sql, account, out_row, o, found, "pc_out",
			  "reading pc_out", err);
}

enum xu_code eng_chan_out_by_id(struct eng_store *s,
				const uint8_t id[CR_CHANNEL_ID_BYTES],
				struct eng_chan_out *o, bool *found,
				struct xu_err *err)
{
	static const char sql[] =
	    "SELECT " OUT_SEL " FROM pc_out WHERE has_id = 1 AND id = ?1 "
	    "ORDER BY account LIMIT 1";
	sqlite3_stmt *st;
	enum xu_code rc;

	memset(o, 0, sizeof(*o));
	*found = false;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	return one_row(s, st, out_row, o, found, "pc_out", "(by id)",
		       "reading pc_out", err);
}

enum xu_code eng_chan_out_put(struct eng_store *s, const struct eng_chan_out *o,
			      struct xu_err *err)
{
	return eng_chan_out_put_due(s, o, 0, err);
}

/* Binds o and due_ms as ?1..?50 in OUT_COLS order, then updated_at and
 * due_ms: the parameters of both of eng_chan_out_put_due's statements. */
static void bind_out(sqlite3_stmt *st, const struct eng_chan_out *o,
		     int64_t due_ms)
{
	const struct pc_out *c = &o->ch;

	sqlite3_bind_text(st, 1, o->account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)c->state);
	bind_addr(st, 3, &c->self);
	bind_addr(st, 4, &c->peer);
	bind_bool(st, 5, c->has_id);
	if (c->has_id)
		bind_id(st, 6, c->id);
	bind_drops(st, 7, c->amount);
	bind_drops(st, 8, c->redeemed);
	sqlite3_bind_int64(st, 9, c->settle_delay);
	bind_bool(st, 10, c->has_expiration);
	sqlite3_bind_int64(st, 11, c->expiration);
	bind_drops(st, 12, c->signed_total);
	bind_drops(st, 13, c->owed);
	bind_bool(st, 14, c->fund_inflight);
	bind_bool(st, 15, c->close_inflight);
	bind_bool(st, 16, c->deleting);
	bind_bool(st, 17, c->has_account);
	bind_drops(st, 18, c->acct_balance);
	bind_drops(st, 19, c->acct_reserve);
	bind_drops(st, 20, c->acct_reserve_inc);
	bind_drops(st, 21, c->fee);
	bind_u64(st, 22, c->retry_at);
	bind_drops(st, 23, o->claim_amount);
	sqlite3_bind_blob(st, 24, o->claim_sig, (int)o->claim_siglen,
			  SQLITE_TRANSIENT);
	bind_drops(st, 25, o->peer_best);
	sqlite3_bind_int64(st, 26, o->create_n);
	sqlite3_bind_int64(st, 27, o->fund_n);
	sqlite3_bind_int64(st, 28, o->close_n);
	bind_drops(st, 29, o->tx_amount);
	bind_bool(st, 30, c->recovering);
	bind_drops(st, 31, c->recover_owed);
	sqlite3_bind_int64(st, 32, c->seen_ledger);
	bind_bool(st, 33, c->has_ended);
	if (c->has_ended)
		bind_id(st, 34, c->ended_id);
	bind_drops(st, 35, c->ended_signed);
	bind_drops(st, 36, c->ended_paid);
	sqlite3_bind_int64(st, 37, c->ended_from);
	sqlite3_bind_int64(st, 38, c->ended_to);
	bind_drops(st, 39, c->reowed);
	bind_bool(st, 40, c->ended_has_final);
	bind_drops(st, 41, c->ended_final);
	bind_bool(st, 42, c->ended_has_held);
	bind_drops(st, 43, c->ended_held);
	if (c->has_key) {
		sqlite3_bind_text(st, 44, o->signer, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 45, c->key, CR_PUBKEY_BYTES,
				  SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(st, 44);
		sqlite3_bind_null(st, 45);
	}
	bind_drops(st, 46, c->ledger_floor);
	bind_drops(st, 47, c->word_floor);
	sqlite3_bind_int64(st, 48, c->tx_fails);
	sqlite3_bind_int64(st, 49, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 50, due_ms);
}

/* Steps the narrow UPDATE st (bound by the caller) and tells in *done
 * whether it changed the row: when it did not, the key columns it leaves
 * alone differ (or there is no row) and the caller replaces the row. */
static enum xu_code step_narrow(struct eng_store *s, sqlite3_stmt *st,
				bool *done, const char *what,
				struct xu_err *err)
{
	enum xu_code rc = step_done(s, st, what, err);

	*done = rc == XU_OK && sqlite3_changes(eng_store_db(s)) == 1;
	return rc;
}

enum xu_code eng_chan_out_put_due(struct eng_store *s,
				  const struct eng_chan_out *o, int64_t due_ms,
				  struct xu_err *err)
{
	/* Most writes change neither the account nor the channel id: then
	 * an UPDATE that does not set them leaves pc_out_id as it is, where
	 * a REPLACE deletes and inserts every index entry of the record, a
	 * page of each index written per record in the commit
	 * (docs/design.md#narrow-writes). */
	static const char narrow[] =
	    "UPDATE pc_out SET state = ?2, self = ?3, peer = ?4, has_id = ?5, "
	    "amount = ?7, redeemed = ?8, settle_delay = ?9, "
	    "has_expiration = ?10, expiration = ?11, signed_total = ?12, "
	    "owed = ?13, fund_inflight = ?14, close_inflight = ?15, "
	    "deleting = ?16, has_account = ?17, acct_balance = ?18, "
	    "acct_reserve = ?19, acct_reserve_inc = ?20, fee = ?21, "
	    "retry_at = ?22, claim_amount = ?23, claim_sig = ?24, "
	    "peer_best = ?25, create_n = ?26, fund_n = ?27, close_n = ?28, "
	    "tx_amount = ?29, recovering = ?30, recover_owed = ?31, "
	    "seen_ledger = ?32, has_ended = ?33, ended_id = ?34, "
	    "ended_signed = ?35, ended_paid = ?36, ended_from = ?37, "
	    "ended_to = ?38, reowed = ?39, ended_has_final = ?40, "
	    "ended_final = ?41, ended_has_held = ?42, ended_held = ?43, "
	    "signer = ?44, signer_pub = ?45, ledger_floor = ?46, "
	    "word_floor = ?47, tx_fails = ?48, updated_at = ?49, "
	    "due_ms = " DUE_OR_NOW("?50",
				   "pc_out") " "
					     "WHERE account = ?1 AND id IS ?6";
	static const char replace[] =
	    "INSERT OR REPLACE INTO pc_out (" OUT_COLS ", updated_at, due_ms) "
	    "VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
	    "?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, "
	    "?40, ?41, ?42, ?43, ?44, ?45, ?46, ?47, ?48, ?49, " DUE_OR_NOW(
		"?50", "pc_out") ")";
	sqlite3_stmt *st;
	enum xu_code rc;
	bool done;

	XU_ASSERT(eng_store_in_tx(s));
	rc = eng_store_prepare(s, narrow, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_out(st, o, due_ms);
	rc = step_narrow(s, st, &done, "writing pc_out", err);
	if (rc != XU_OK || done)
		return rc;
	rc = eng_store_prepare(s, replace, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_out(st, o, due_ms);
	return step_done(s, st, "writing pc_out", err);
}

/* Grows *v to hold at least n + 1 elements of size sz. */
static bool grow(void **v, size_t *cap, size_t n, size_t sz)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 8;
	nv = realloc(*v, nc * sz);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

/* Steps st (prepared and bound by the caller) to its end, decoding every
 * row with row() into a growing array of `size`-byte records: *arr
 * (owned by the caller, NULL when empty or on failure) and *n.  Resets
 * st. */
static enum xu_code all_rows(struct eng_store *s, sqlite3_stmt *st,
			     bool (*row)(sqlite3_stmt *, void *), size_t size,
			     void **arr, size_t *n, const char *table,
			     const char *reading, struct xu_err *err)
{
	size_t cap = 0;
	enum xu_code rc = XU_OK;
	int r;

	*arr = NULL;
	*n = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (!grow(arr, &cap, *n, size)) {
			rc = xu_fail(err, XU_ENOMEM, 0, "out of memory");
			break;
		}
		if (!row(st, (char *)*arr + *n * size)) {
			rc = corrupt(err, table, "(all)");
			break;
		}
		(*n)++;
	}
	if (rc == XU_OK && r != SQLITE_DONE)
		rc = eng_store_fail(s, err, reading);
	sqlite3_reset(st);
	if (rc != XU_OK) {
		free(*arr);
		*arr = NULL;
		*n = 0;
	}
	return rc;
}

/* Every pc_out row sql (no parameters) selects, into *v (owned by the
 * caller) and *n. */
static enum xu_code out_rows(struct eng_store *s, const char *sql,
			     struct eng_chan_out **v, size_t *n,
			     struct xu_err *err)
{
	sqlite3_stmt *st;
	void *arr = NULL;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	rc = all_rows(s, st, out_row, sizeof(**v), &arr, n, "pc_out",
		      "reading pc_out", err);
	*v = arr;
	return rc;
}

enum xu_code eng_chan_out_all(struct eng_store *s, struct eng_chan_out **v,
			      size_t *n, struct xu_err *err)
{
	return out_rows(s, "SELECT " OUT_SEL " FROM pc_out ORDER BY account", v,
			n, err);
}

enum xu_code eng_chan_out_unpaid(struct eng_store *s, struct eng_chan_out **v,
				 size_t *n, struct xu_err *err)
{
	/* The WHERE of the partial index pc_out_unpaid, word for word. */
	return out_rows(s,
			"SELECT " OUT_SEL " FROM pc_out"
			" WHERE owed > 0 OR claim_amount > peer_best"
			" ORDER BY account",
			v, n, err);
}

/* ---- pc_in ----------------------------------------------------------- */

#define IN_COLS                                                                \
	"id, account, state, self, peer, has_view, v_source, v_dest, "         \
	"v_amount, v_balance, v_settle_delay, v_has_expiration, "              \
	"v_expiration, v_has_cancel_after, v_cancel_after, v_pubkey, best, "   \
	"best_sig, redeem_inflight, deleting, expired_alerted, "               \
	"redeem_amount, next_check, retry_at, last_redeem, redeem_n, "         \
	"redeem_close, v_ledger_index, frozen"
#define IN_SEL IN_COLS ", due_ms"

static bool in_row(sqlite3_stmt *st, void *out)
{
	struct eng_chan_in *r = out;
	struct pc_in *c = &r->ch;
	struct pc_view *v = &c->view;
	bool ok = true;
	size_t pklen = 0;
	int state;

	memset(r, 0, sizeof(*r));
	col_id(st, 0, c->id, &ok);
	col_text(st, 1, r->account, sizeof(r->account), &ok);
	state = sqlite3_column_int(st, 2);
	if (state < 0 || state >= PC_IN_NSTATES)
		ok = false;
	c->state = (enum pc_in_state)state;
	c->reason = RESTORED;
	col_addr(st, 3, &c->self, &ok);
	col_addr(st, 4, &c->peer, &ok);
	c->has_view = col_bool(st, 5);
	if (c->has_view) {
		memcpy(v->id, c->id, CR_CHANNEL_ID_BYTES);
		col_addr(st, 6, &v->source, &ok);
		col_addr(st, 7, &v->dest, &ok);
		v->amount = col_drops(st, 8, &ok);
		v->balance = col_drops(st, 9, &ok);
		v->settle_delay = col_u32(st, 10, &ok);
		v->has_expiration = col_bool(st, 11);
		v->expiration = col_u32(st, 12, &ok);
		v->has_cancel_after = col_bool(st, 13);
		v->cancel_after = col_u32(st, 14, &ok);
		col_blob(st, 15, v->pubkey, sizeof(v->pubkey), &pklen, &ok);
		if (pklen != CR_PUBKEY_BYTES)
			ok = false;
	}
	c->best = col_drops(st, 16, &ok);
	col_blob(st, 17, c->best_sig, sizeof(c->best_sig), &c->best_siglen,
		 &ok);
	c->redeem_inflight = col_bool(st, 18);
	c->deleting = col_bool(st, 19);
	c->expired_alerted = col_bool(st, 20);
	c->redeem_amount = col_drops(st, 21, &ok);
	c->next_check = col_u64(st, 22, &ok);
	c->retry_at = col_u64(st, 23, &ok);
	c->last_redeem = col_u64(st, 24, &ok);
	r->redeem_n = col_u32(st, 25, &ok);
	r->redeem_close = col_bool(st, 26);
	v->ledger_index = col_u32(st, 27, &ok);
	c->frozen = col_bool(st, 28);
	r->due_ms = sqlite3_column_int64(st, 29);
	return ok;
}

enum xu_code eng_chan_in_get(struct eng_store *s,
			     const uint8_t id[CR_CHANNEL_ID_BYTES],
			     struct eng_chan_in *r, bool *found,
			     struct xu_err *err)
{
	static const char sql[] = "SELECT " IN_SEL " FROM pc_in WHERE id = ?1";
	sqlite3_stmt *st;
	enum xu_code rc;

	memset(r, 0, sizeof(*r));
	*found = false;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	return one_row(s, st, in_row, r, found, "pc_in", "(by id)",
		       "reading pc_in", err);
}

enum xu_code eng_chan_in_put(struct eng_store *s, const struct eng_chan_in *r,
			     struct xu_err *err)
{
	return eng_chan_in_put_due(s, r, 0, err);
}

/* Binds r and due_ms as ?1..?31 in IN_COLS order, then updated_at and
 * due_ms: the parameters of both of eng_chan_in_put_due's statements. */
static void bind_in(sqlite3_stmt *st, const struct eng_chan_in *r,
		    int64_t due_ms)
{
	const struct pc_in *c = &r->ch;
	const struct pc_view *v = &c->view;

	bind_id(st, 1, c->id);
	sqlite3_bind_text(st, 2, r->account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)c->state);
	bind_addr(st, 4, &c->self);
	bind_addr(st, 5, &c->peer);
	bind_bool(st, 6, c->has_view);
	if (c->has_view) {
		bind_addr(st, 7, &v->source);
		bind_addr(st, 8, &v->dest);
		sqlite3_bind_blob(st, 16, v->pubkey, CR_PUBKEY_BYTES,
				  SQLITE_TRANSIENT);
	}
	bind_drops(st, 9, v->amount);
	bind_drops(st, 10, v->balance);
	sqlite3_bind_int64(st, 11, v->settle_delay);
	bind_bool(st, 12, v->has_expiration);
	sqlite3_bind_int64(st, 13, v->expiration);
	bind_bool(st, 14, v->has_cancel_after);
	sqlite3_bind_int64(st, 15, v->cancel_after);
	bind_drops(st, 17, c->best);
	sqlite3_bind_blob(st, 18, c->best_sig, (int)c->best_siglen,
			  SQLITE_TRANSIENT);
	bind_bool(st, 19, c->redeem_inflight);
	bind_bool(st, 20, c->deleting);
	bind_bool(st, 21, c->expired_alerted);
	bind_drops(st, 22, c->redeem_amount);
	bind_u64(st, 23, c->next_check);
	bind_u64(st, 24, c->retry_at);
	bind_u64(st, 25, c->last_redeem);
	sqlite3_bind_int64(st, 26, r->redeem_n);
	bind_bool(st, 27, r->redeem_close);
	sqlite3_bind_int64(st, 28, v->ledger_index);
	bind_bool(st, 29, c->frozen);
	sqlite3_bind_int64(st, 30, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 31, due_ms);
}

enum xu_code eng_chan_in_put_due(struct eng_store *s,
				 const struct eng_chan_in *r, int64_t due_ms,
				 struct xu_err *err)
{
	/* A claim's write changes neither the id, the account, the state
	 * nor whether a redeem is in flight: an UPDATE that does not set
	 * them leaves pc_in_account and the partial pc_in_live as they are
	 * (docs/design.md#narrow-writes). */
	static const char narrow[] =
	    "UPDATE pc_in SET self = ?4, peer = ?5, has_view = ?6, "
	    "v_source = ?7, v_dest = ?8, v_amount = ?9, v_balance = ?10, "
	    "v_settle_delay = ?11, v_has_expiration = ?12, "
	    "v_expiration = ?13, v_has_cancel_after = ?14, "
	    "v_cancel_after = ?15, v_pubkey = ?16, best = ?17, "
	    "best_sig = ?18, deleting = ?20, expired_alerted = ?21, "
	    "redeem_amount = ?22, next_check = ?23, retry_at = ?24, "
	    "last_redeem = ?25, redeem_n = ?26, redeem_close = ?27, "
	    "v_ledger_index = ?28, frozen = ?29, updated_at = ?30, "
	    "due_ms = " DUE_OR_NOW(
		"?31",
		"pc_in") " "
			 "WHERE id = ?1 AND account = ?2 AND state = ?3 AND "
			 "redeem_inflight = ?19";
	static const char replace[] =
	    "INSERT OR REPLACE INTO pc_in (" IN_COLS ", updated_at, due_ms) "
	    "VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
	    "?28, ?29, ?30, " DUE_OR_NOW("?31", "pc_in") ")";
	sqlite3_stmt *st;
	enum xu_code rc;
	bool done;

	XU_ASSERT(eng_store_in_tx(s));
	rc = eng_store_prepare(s, narrow, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_in(st, r, due_ms);
	rc = step_narrow(s, st, &done, "writing pc_in", err);
	if (rc != XU_OK || done)
		return rc;
	rc = eng_store_prepare(s, replace, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_in(st, r, due_ms);
	return step_done(s, st, "writing pc_in", err);
}

/* Runs sql (bound to account when not NULL) into a malloc'd array. */
static enum xu_code in_query(struct eng_store *s, const char *sql,
			     const char *account, struct eng_chan_in **v,
			     size_t *n, struct xu_err *err)
{
	sqlite3_stmt *st;
	void *arr = NULL;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	if (account)
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	rc = all_rows(s, st, in_row, sizeof(**v), &arr, n, "pc_in",
		      "reading pc_in", err);
	*v = arr;
	return rc;
}

enum xu_code eng_chan_in_all(struct eng_store *s, const char *account,
			     struct eng_chan_in **v, size_t *n,
			     struct xu_err *err)
{
	static const char sql_all[] =
	    "SELECT " IN_SEL " FROM pc_in ORDER BY id";
	static const char sql_acct[] =
	    "SELECT " IN_SEL " FROM pc_in WHERE account = ?1 ORDER BY id";

	return in_query(s, account ? sql_acct : sql_all, account, v, n, err);
}

enum xu_code eng_chan_in_live(struct eng_store *s, struct eng_chan_in **v,
			      size_t *n, struct xu_err *err)
{
	/* The WHERE of the partial index pc_in_live, word for word. */
	static const char sql[] = "SELECT " IN_SEL " FROM pc_in"
				  " WHERE state <> 3 OR redeem_inflight <> 0"
				  " ORDER BY id";

	return in_query(s, sql, NULL, v, n, err);
}

/* The records of pc_out (out) or pc_in due at now_ms (sql), into *v. */
static enum xu_code due_rows(struct eng_store *s, const char *sql,
			     int64_t now_ms, bool out, void **v, size_t *n,
			     struct xu_err *err)
{
	const char *table = out ? "pc_out" : "pc_in";
	sqlite3_stmt *st;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	if (out)
		return all_rows(s, st, out_row, sizeof(struct eng_chan_out), v,
				n, table, "reading pc_out", err);
	return all_rows(s, st, in_row, sizeof(struct eng_chan_in), v, n, table,
			"reading pc_in", err);
}

enum xu_code eng_chan_out_due(struct eng_store *s, int64_t now_ms,
			      struct eng_chan_out **v, size_t *n,
			      struct xu_err *err)
{
	static const char sql[] = "SELECT " OUT_SEL " FROM pc_out"
				  " WHERE due_ms <= ?1 ORDER BY due_ms";
	void *arr;
	enum xu_code rc = due_rows(s, sql, now_ms, true, &arr, n, err);

	*v = arr;
	return rc;
}

enum xu_code eng_chan_in_due(struct eng_store *s, int64_t now_ms,
			     struct eng_chan_in **v, size_t *n,
			     struct xu_err *err)
{
	static const char sql[] = "SELECT " IN_SEL " FROM pc_in"
				  " WHERE due_ms <= ?1 ORDER BY due_ms";
	void *arr;
	enum xu_code rc = due_rows(s, sql, now_ms, false, &arr, n, err);

	*v = arr;
	return rc;
}

/* The records of pc_out (out) or pc_in due at now_ms, at most limit of
 * them after *at in the due index's order (sql), into *v; *at moves to
 * the last one read. */
static enum xu_code due_page(struct eng_store *s, const char *sql,
			     int64_t now_ms, struct eng_chan_due_at *at,
			     size_t limit, bool out, void **v, size_t *n,
			     struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, at->set ? at->due_ms : INT64_MIN);
	sqlite3_bind_text(st, 3, at->set ? at->key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
	if (out)
		rc = all_rows(s, st, out_row, sizeof(struct eng_chan_out), v, n,
			      "pc_out", "reading pc_out", err);
	else
		rc = all_rows(s, st, in_row, sizeof(struct eng_chan_in), v, n,
			      "pc_in", "reading pc_in", err);
	if (rc != XU_OK || *n == 0)
		return rc;
	at->set = true;
	if (out) {
		const struct eng_chan_out *last =
		    (const struct eng_chan_out *)*v + (*n - 1);

		at->due_ms = last->due_ms;
		snprintf(at->key, sizeof(at->key), "%s", last->account);
	} else {
		const struct eng_chan_in *last =
		    (const struct eng_chan_in *)*v + (*n - 1);

		at->due_ms = last->due_ms;
		xu_hex_encode(at->key, sizeof(at->key), last->ch.id,
			      CR_CHANNEL_ID_BYTES);
	}
	return XU_OK;
}

enum xu_code eng_chan_out_due_page(struct eng_store *s, int64_t now_ms,
				   struct eng_chan_due_at *at, size_t limit,
				   struct eng_chan_out **v, size_t *n,
				   struct xu_err *err)
{
	/* pc_out is WITHOUT ROWID, so its index pc_out_due holds
	 * (due_ms, account): the row value walks it, no sort. */
	static const char sql[] = "SELECT " OUT_SEL " FROM pc_out"
				  " WHERE due_ms <= ?1 AND"
				  " (due_ms, account) > (?2, ?3)"
				  " ORDER BY due_ms, account LIMIT ?4";
	void *arr;
	enum xu_code rc =
	    due_page(s, sql, now_ms, at, limit, true, &arr, n, err);

	*v = arr;
	return rc;
}

enum xu_code eng_chan_in_due_page(struct eng_store *s, int64_t now_ms,
				  struct eng_chan_due_at *at, size_t limit,
				  struct eng_chan_in **v, size_t *n,
				  struct xu_err *err)
{
	/* pc_in is WITHOUT ROWID: pc_in_due holds (due_ms, id), the id
	 * as its hex text. */
	static const char sql[] = "SELECT " IN_SEL " FROM pc_in"
				  " WHERE due_ms <= ?1 AND"
				  " (due_ms, id) > (?2, ?3)"
				  " ORDER BY due_ms, id LIMIT ?4";
	void *arr;
	enum xu_code rc =
	    due_page(s, sql, now_ms, at, limit, false, &arr, n, err);

	*v = arr;
	return rc;
}

enum xu_code eng_chan_out_page(struct eng_store *s, const char *after,
			       size_t limit, struct eng_chan_out **v, size_t *n,
			       struct xu_err *err)
{
	static const char sql[] = "SELECT " OUT_SEL " FROM pc_out"
				  " WHERE account > ?1 ORDER BY account"
				  " LIMIT ?2";
	sqlite3_stmt *st;
	void *arr = NULL;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	rc = all_rows(s, st, out_row, sizeof(**v), &arr, n, "pc_out",
		      "reading pc_out", err);
	*v = arr;
	return rc;
}

enum xu_code eng_chan_in_live_page(struct eng_store *s, const uint8_t *after,
				   size_t limit, struct eng_chan_in **v,
				   size_t *n, struct xu_err *err)
{
	/* The WHERE of the partial index pc_in_live, word for word. */
	static const char sql[] = "SELECT " IN_SEL " FROM pc_in"
				  " WHERE (state <> 3 OR redeem_inflight <> 0)"
				  " AND id > ?1 ORDER BY id LIMIT ?2";
	sqlite3_stmt *st;
	void *arr = NULL;
	enum xu_code rc;

	*v = NULL;
	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	if (after)
		bind_id(st, 1, after);
	else
		sqlite3_bind_text(st, 1, "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	rc = all_rows(s, st, in_row, sizeof(**v), &arr, n, "pc_in",
		      "reading pc_in", err);
	*v = arr;
	return rc;
}

/* Runs sql (?1 the key bound by bind, ?2 was, ?3 due); *set tells
 * whether the row still held was. */
static enum xu_code set_due(struct eng_store *s, const char *sql,
			    const char *account, const uint8_t *id, int64_t was,
			    int64_t due, bool *set, struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(s));
	if (set)
		*set = false;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	if (account)
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	else
		bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, was);
	sqlite3_bind_int64(st, 3, due);
	rc = step_done(s, st, "writing a due time", err);
	if (rc == XU_OK && set)
		*set = sqlite3_changes(eng_store_db(s)) > 0;
	return rc;
}

enum xu_code eng_chan_out_set_due(struct eng_store *s, const char *account,
				  int64_t was, int64_t due, bool *set,
				  struct xu_err *err)
{
	static const char sql[] = "UPDATE pc_out SET due_ms = ?3"
				  " WHERE account = ?1 AND due_ms = ?2";

	return set_due(s, sql, account, NULL, was, due, set, err);
}

enum xu_code eng_chan_in_set_due(struct eng_store *s,
				 const uint8_t id[CR_CHANNEL_ID_BYTES],
				 int64_t was, int64_t due, bool *set,
				 struct xu_err *err)
{
	static const char sql[] = "UPDATE pc_in SET due_ms = ?3"
				  " WHERE id = ?1 AND due_ms = ?2";

	return set_due(s, sql, NULL, id, was, due, set, err);
}

enum xu_code eng_chan_in_prune(struct eng_store *s, uint32_t keep_s,
			       uint32_t max, uint64_t *n, struct xu_err *err)
{
	/* updated_at is written on this clock (eng_chan_in_put). */
	int64_t before_unix = (int64_t)time(NULL) - keep_s;
	/* The WHERE of the partial index pc_in_done, plus the age. */
	/* The oldest max, the same rows in both statements. */
	static const char keep[] =
	    "INSERT OR REPLACE INTO pc_in_closed"
	    " SELECT id, account, v_amount, v_balance, best, updated_at"
	    " FROM pc_in WHERE state = 3 AND redeem_inflight = 0"
	    " AND updated_at < ?1 ORDER BY updated_at, id LIMIT ?2";
	static const char drop[] =
	    "DELETE FROM pc_in WHERE id IN (SELECT id FROM pc_in"
	    " WHERE state = 3 AND redeem_inflight = 0 AND updated_at < ?1"
	    " ORDER BY updated_at, id LIMIT ?2)";
	sqlite3_stmt *st;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(s));
	*n = 0;
	rc = eng_store_prepare(s, keep, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, before_unix);
	sqlite3_bind_int64(st, 2, max);
	rc = step_done(s, st, "keeping closed pc_in", err);
	if (rc != XU_OK)
		return rc;
	rc = eng_store_prepare(s, drop, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_int64(st, 1, before_unix);
	sqlite3_bind_int64(st, 2, max);
	rc = step_done(s, st, "pruning pc_in", err);
	if (rc == XU_OK)
		*n = (uint64_t)sqlite3_changes(eng_store_db(s));
	return rc;
}

/* ---- pc_in_closed, pc_in_final ---------------------------------------- */

static bool any_row(sqlite3_stmt *st, void *out)
{
	(void)st;
	(void)out;
	return true;
}

enum xu_code eng_chan_in_closed_has(struct eng_store *s,
				    const uint8_t id[CR_CHANNEL_ID_BYTES],
				    bool *found, struct xu_err *err)
{
	static const char sql[] = "SELECT 1 FROM pc_in_closed WHERE id = ?1";
	sqlite3_stmt *st;
	enum xu_code rc;

	*found = false;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	return one_row(s, st, any_row, NULL, found, "pc_in_closed", "(by id)",
		       "reading pc_in_closed", err);
}

enum xu_code eng_chan_in_final_put(struct eng_store *s,
				   const uint8_t id[CR_CHANNEL_ID_BYTES],
				   const char *account, int64_t at_ms,
				   struct xu_err *err)
{
	static const char put[] = "INSERT OR REPLACE INTO pc_in_final"
				  " (id, account, at) VALUES (?1, ?2, ?3)";
	static const char trim[] =
	    "DELETE FROM pc_in_final WHERE account = ?1 AND id NOT IN"
	    " (SELECT id FROM pc_in_final WHERE account = ?1"
	    " ORDER BY at DESC, id LIMIT ?2)";
	sqlite3_stmt *st;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(s));
	rc = eng_store_prepare(s, put, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at_ms);
	rc = step_done(s, st, "writing pc_in_final", err);
	if (rc != XU_OK)
		return rc;
	rc = eng_store_prepare(s, trim, &st, err);
	if (rc != XU_OK)
		return rc;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ENG_CHAN_IN_FINAL_KEEP);
	return step_done(s, st, "trimming pc_in_final", err);
}

enum xu_code eng_chan_in_final_take(struct eng_store *s,
				    const uint8_t id[CR_CHANNEL_ID_BYTES],
				    const char *account, bool *found,
				    struct xu_err *err)
{
	static const char get[] =
	    "SELECT 1 FROM pc_in_final WHERE id = ?1 AND account = ?2";
	static const char del[] =
	    "DELETE FROM pc_in_final WHERE id = ?1 AND account = ?2";
	sqlite3_stmt *st;
	enum xu_code rc;

	XU_ASSERT(eng_store_in_tx(s));
	*found = false;
	rc = eng_store_prepare(s, get, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	rc = one_row(s, st, any_row, NULL, found, "pc_in_final", "(by id)",
		     "reading pc_in_final", err);
	if (rc != XU_OK || !*found)
		return rc;
	rc = eng_store_prepare(s, del, &st, err);
	if (rc != XU_OK)
		return rc;
	bind_id(st, 1, id);
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	return step_done(s, st, "deleting pc_in_final", err);
}

/* ---- upkeep and counts ----------------------------------------------- */

enum xu_code eng_chan_peer_rearm_hellos(struct eng_store *s, struct xu_err *err)
{
	static const char sql[] = "UPDATE pc_peers SET hello_next_ms = 0 WHERE "
				  "address IS NULL AND hello_next_ms > 0";
	sqlite3_stmt *st;
	enum xu_code rc;

	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	return step_done(s, st, "re-arming hellos", err);
}

/* The single count(*) that sql selects into *n (0 on failure). */
static enum xu_code count_one(struct eng_store *s, const char *sql, uint64_t *n,
			      const char *reading, struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc;
	bool ok = true;
	int r;

	*n = 0;
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*n = col_u64(st, 0, &ok);
	else
		rc = eng_store_fail(s, err, reading);
	sqlite3_reset(st);
	if (rc == XU_OK && !ok) {
		*n = 0;
		rc =
		    xu_fail(err, XU_ESTORE, 0, "%s: a negative count", reading);
	}
	return rc;
}

/* Steps sql ("SELECT state, count(*) ... GROUP BY state") into n[state]
 * for states below nstates; n is all 0 on failure. */
static enum xu_code count_states(struct eng_store *s, const char *sql,
				 uint64_t *n, int nstates, const char *table,
				 struct xu_err *err)
{
	sqlite3_stmt *st;
	enum xu_code rc;
	bool ok = true;
	int r;

	memset(n, 0, (size_t)nstates * sizeof(*n));
	rc = eng_store_prepare(s, sql, &st, err);
	if (rc != XU_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);

		if (state < 0 || state >= nstates) {
			ok = false;
			break;
		}
		n[state] = col_u64(st, 1, &ok);
	}
	if (!ok)
		rc = corrupt(err, table, "(state)");
	else if (r != SQLITE_DONE)
		rc = eng_store_fail(s, err, "counting states");
	sqlite3_reset(st);
	if (rc != XU_OK)
		memset(n, 0, (size_t)nstates * sizeof(*n));
	return rc;
}

enum xu_code eng_chan_peer_count_unpaired(struct eng_store *s, uint64_t *n,
					  struct xu_err *err)
{
	static const char sql[] =
	    "SELECT count(*) FROM pc_peers WHERE address IS NULL";

	return count_one(s, sql, n, "counting pc_peers", err);
}

enum xu_code eng_chan_out_count_states(struct eng_store *s,
				       uint64_t n[PC_OUT_NSTATES],
				       struct xu_err *err)
{
	static const char sql[] =
	    "SELECT state, count(*) FROM pc_out GROUP BY state";

	return count_states(s, sql, n, PC_OUT_NSTATES, "pc_out", err);
}

enum xu_code eng_chan_out_count_recovering(struct eng_store *s, uint64_t *n,
					   struct xu_err *err)
{
	static const char sql[] =
	    "SELECT count(*) FROM pc_out WHERE recovering = 1";

	return count_one(s, sql, n, "counting pc_out", err);
}

enum xu_code eng_chan_in_count_states(struct eng_store *s,
				      uint64_t n[PC_IN_NSTATES],
				      struct xu_err *err)
{
	/* Pruned records count as closed (state 3). */
	static const char sql[] =
	    "SELECT state, sum(c) FROM ("
	    " SELECT state, count(*) AS c FROM pc_in GROUP BY state"
	    " UNION ALL SELECT 3, count(*) FROM pc_in_closed)"
	    " GROUP BY state";

	return count_states(s, sql, n, PC_IN_NSTATES, "pc_in", err);
}
