/* The transaction journal interface: how the submission queue persists
 * every signed transaction BEFORE it is submitted, and finds unfinished
 * ones after a restart.  ledger/net cannot include src/, so the store side
 * (src/store/txjournal.c over the tx_journal table) implements these function
 * pointers and the daemon hands them in.
 *
 * Rules every implementation keeps:
 *  - `intent` is UNIQUE: one live row per intent, so a crash can never
 *    lead to two different transactions for one intent;
 *  - every call is durable when it returns XU_OK (its own committed
 *    transaction, synchronous);
 *  - retire() renames the intent of a failed row to "<intent>#<row id>"
 *    and marks it failed in one statement, freeing the intent for a
 *    rebuilt transaction (intents therefore never contain '#'). */
#ifndef XRPSE_LEDGER_NET_JOURNAL_H
#define XRPSE_LEDGER_NET_JOURNAL_H

#include <stdint.h>

#include "crypto/base58.h"
#include "ledger/tx.h"
#include "src/util/err.h"

#define XL_INTENT_MAX 128 /* with the terminating NUL */
#define XL_RESULT_MAX 48
#define XL_HASH_HEX 65
#define XL_BLOB_HEX_MAX (2 * XL_TX_MAX_BYTES + 1)

/* Persisted as text: "submitted-pending", "validated", "failed". */
enum xl_jstate {
	XL_JSTATE_PENDING = 1,
	XL_JSTATE_VALIDATED = 2, /* in a validated ledger: tes or tec */
	XL_JSTATE_FAILED = 3,	 /* tef/tem/refused/expired: not applied */
};

struct xl_jentry {
	int64_t id; /* row id (set by the journal) */
	char account[CR_ADDRESS_STRLEN];
	uint32_t sequence;
	char tx_type[32];
	char intent[XL_INTENT_MAX];
	char hash[XL_HASH_HEX];	    /* upper-case hex tx id */
	char blob[XL_BLOB_HEX_MAX]; /* upper-case hex tx_blob */
	uint32_t lls;		    /* LastLedgerSequence */
	enum xl_jstate state;
	char result[XL_RESULT_MAX]; /* "tesSUCCESS", "expired"... or "" */
};

struct xl_journal {
	/* Inserts e (state must be PENDING).  XU_EEXIST when the intent has
	 * a row already. */
	enum xu_code (*insert)(void *ctx, const struct xl_jentry *e,
			       struct xu_err *err);
	/* Sets the final state and result of the row of intent. */
	enum xu_code (*finish)(void *ctx, const char *intent,
			       enum xl_jstate state, const char *result,
			       struct xu_err *err);
	/* Marks the row failed with result and renames its intent to
	 * "<intent>#<id>". */
	enum xu_code (*retire)(void *ctx, const char *intent,
			       const char *result, struct xu_err *err);
	/* Reads the row of intent into *out; XU_ENOTFOUND when none. */
	enum xu_code (*get)(void *ctx, const char *intent,
			    struct xl_jentry *out, struct xu_err *err);
	/* Calls fn for every PENDING row of account, oldest first. */
	enum xu_code (*pending)(void *ctx, const char *account,
				void (*fn)(void *arg,
					   const struct xl_jentry *e),
				void *arg, struct xu_err *err);
	void *ctx;
};

/* "submitted-pending", "validated", "failed"; parse returns false for
 * anything else. */
const char *xl_jstate_name(enum xl_jstate st);
bool xl_jstate_parse(enum xl_jstate *st, const char *s) XU_WARN_UNUSED;

#endif /* XRPSE_LEDGER_NET_JOURNAL_H */
