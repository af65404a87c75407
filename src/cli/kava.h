/* `xrpse import kava`: taking over the channels Kava's
 * ilp-plugin-xrp-paychan (0.4.5) left on the ledger, with the claims and
 * the books (docs/design.md#moving-from-kavas-plugin).
 *
 * The input is the plugin's store as a JSON object of its keys and string
 * values, as the plugin wrote them:
 *
 *   "accounts"                  JSON text: ["NAME", ...]
 *   "NAME:account"              JSON text: {"accountName", "xrpAddress",
 *                               "incoming": CHANNEL | null,
 *                               "outgoing": CHANNEL | null, ...}
 *   "CHANNELID:incoming-channel" "NAME": the account the plugin linked
 *                               an incoming channel to
 *
 * with CHANNEL = {"channelId": HEX, "spent": "drops", "signature": HEX,
 * "value": "drops", ...}: for `incoming`, spent + signature is the best
 * claim the plugin held from the peer (and credited); for `outgoing`, the
 * last claim it signed to the peer, with the plugin's key for NAME
 * (cr_kava_channel_keypair).
 *
 * Each plugin account becomes the xrpse account of the same name (or the
 * one --account maps it to): its incoming channel adopted with that claim
 * as the best held, already credited (eng_paychan_adopt_in), its outgoing
 * channel as the account's outgoing channel (eng_paychan_adopt_out), both
 * checked against the validated ledger.  One store transaction per
 * account; an account that already holds exactly what the dump would
 * import is reported "already_imported" and nothing changes. */
#ifndef XRPSE_SRC_CLI_KAVA_H
#define XRPSE_SRC_CLI_KAVA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "channel/channel.h"
#include "crypto/keys.h"
#include "src/store/store.h"
#include "src/util/err.h"

/* The validated ledger, as the import asks it. */
struct eng_kava_ledger {
	/* Channel id on the validated ledger: *found and *v (its
	 * ledger_index set), or *found false when the validated ledger
	 * lacks it.  Any other answer is an error (XU_EUNAVAIL, ...). */
	enum xu_code (*channel)(void *arg,
				const uint8_t id[CR_CHANNEL_ID_BYTES],
				struct pc_view *v, bool *found,
				struct xu_err *err);
	/* Whether the validated ledger holds account `id`. */
	enum xu_code (*account)(void *arg, const struct cr_account_id *id,
				bool *found, struct xu_err *err);
	void *arg;
	uint32_t ledger_time;  /* close time of the validated ledger */
	uint32_t ledger_index; /* its index (reported) */
};

/* A plugin account NAME imported as xrpse account ID (--account NAME=ID). */
struct eng_kava_map {
	const char *name, *id;
};

/* Imports dump (the plugin's store) into st for the account of seed
 * (the plugin's xrpSecret), with the channel rules of cfg.  Returns the
 * report (owned; see docs/design.md#moving-from-kavas-plugin for its
 * shape), or NULL with err filled when nothing could be imported at all:
 * a dump without a readable "accounts" list (XU_EPARSE), our own account
 * unknown to the ledger (XU_ENOTFOUND), a ledger or store failure before
 * any account.  An account's failure (a refused channel, a ledger that
 * stops answering) is in its report entry. */
json_t *eng_kava_import(struct eng_store *st, const struct pc_cfg *cfg,
			const struct cr_seed *seed, json_t *dump,
			const struct eng_kava_map *map, size_t nmap,
			const struct eng_kava_ledger *lg, struct xu_err *err);

#endif /* XRPSE_SRC_CLI_KAVA_H */
