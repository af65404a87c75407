/* Writes random transactions and objects for the independent cross-check
 * (tests/ledger/xcheck.js, which uses ripple-binary-codec and
 * ripple-keypairs from testnet/node_modules).  One JSON line per case:
 *
 *   {"kind":"tree","blob":HEX,"json":{...}}      generic object
 *   {"kind":"tx","blob":HEX,"json":{...},"hash":HEX}   typed tx, signed
 *
 *   xcheck_gen COUNT [SEED]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/txjson.h"
#include "src/util/hex.h"
#include "tests/ledger/rndtx.h"

static struct xl_node nodes[256];
static uint8_t arena[65536], blob[131072];
static char hex[262145];

static void emit(const char *kind, const uint8_t *b, size_t n,
		 const uint8_t *hash)
{
	json_t *j;
	if (xl_json_decode(b, n, &j, NULL)) {
		fprintf(stderr, "xcheck_gen: cannot decode own output\n");
		exit(1);
	}
	json_t *o = json_object();
	xu_hex_encode(hex, sizeof(hex), b, n);
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "blob", json_string(hex));
	json_object_set_new(o, "json", j);
	if (hash) {
		xu_hex_encode(hex, sizeof(hex), hash, 32);
		json_object_set_new(o, "hash", json_string(hex));
	}
	char *s = json_dumps(o, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	rng_state =
	    argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	fprintf(stderr, "xcheck_gen: seed %" PRIu64 "\n", rng_state);
	static const char *const seeds[] = {"sp5fghtJtpUorTwvof1NpDXAzNwf5",
					    "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r"};
	struct cr_keypair kp[2];
	if (cr_init(NULL))
		return 1;
	for (int i = 0; i < 2; i++)
		if (cr_keypair_from_seed_text(&kp[i], seeds[i], 0, NULL))
			return 1;
	for (long i = 0; i < count; i++) {
		struct xl_tree t;
		size_t n;
		xl_tree_init(&t, nodes, 256, arena, sizeof(arena));
		rnd_object(&t, 0, 0);
		if (xl_encode(&t, 0, blob, sizeof(blob), &n, NULL))
			return 1;
		emit("tree", blob, n, NULL);

		static struct xl_tx tx;
		static struct xl_signed_tx st;
		memset(&tx, 0, sizeof(tx));
		rnd_tx(&tx);
		cr_account_id_of(&tx.account, &kp[i & 1].pub);
		if (xl_tx_sign(&tx, &kp[i & 1], &st, NULL))
			return 1;
		emit("tx", st.blob, st.len, st.hash);
	}
	for (int i = 0; i < 2; i++)
		cr_keypair_clear(&kp[i]);
	return 0;
}
