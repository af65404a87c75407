/* libFuzzer target for the binary codec.  For arbitrary bytes:
 *   - the generic decoder either fails cleanly or yields a tree whose
 *     encoding is exactly the input (the decoder accepts only canonical
 *     bytes, so anything it accepts must round-trip);
 *   - the JSON form of a decoded tree, when it has one, encodes back to
 *     the same bytes;
 *   - the typed decoder either fails or re-encodes to the same bytes.
 * Any mismatch aborts.  Built with -DXRPSE_FUZZ=ON (clang,
 * -fsanitize=fuzzer,address); fuzz_replay.c runs the committed corpus
 * through the same function in every ctest run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/codec.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODES 1024

static struct xl_node nodes[NODES];
static uint8_t out[1 << 20];

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_codec: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xl_tree t;
	size_t n;
	xl_tree_init(&t, nodes, NODES, NULL, 0);
	if (xl_decode(&t, data, size, NULL) == XU_OK) {
		check(xl_encode(&t, 0, NULL, 0, &n, NULL) == XU_OK,
		      "sizing failed");
		check(n == size, "sized length differs");
		check(xl_encode(&t, 0, out, sizeof(out), &n, NULL) == XU_OK,
		      "re-encode failed");
		check(n == size && !memcmp(out, data, size),
		      "re-encode differs from canonical input");
		check(xl_encode(&t, XL_ENC_SIGNING, out, sizeof(out), &n,
				NULL) == XU_OK,
		      "signing encode failed");
		json_t *j = NULL;
		if (xl_tree_to_json(&t, &j, NULL) == XU_OK) {
			enum xu_code rc =
			    xl_json_encode(j, out, sizeof(out), &n, NULL);
			/* Only size limits may stop the way back. */
			check(rc == XU_OK || rc == XU_ETOOBIG,
			      "JSON of a decoded tree rejected");
			if (rc == XU_OK)
				check(n == size && !memcmp(out, data, size),
				      "JSON round trip differs");
			json_decref(j);
		}
	}
	static struct xl_tx tx;
	if (xl_tx_decode(&tx, data, size, NULL) == XU_OK) {
		if (xl_tx_encode(&tx, out, sizeof(out), &n, NULL) == XU_OK)
			check(n == size && !memcmp(out, data, size),
			      "typed round trip differs");
	}
	return 0;
}
