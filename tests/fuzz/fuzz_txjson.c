/* libFuzzer target for the XRPL JSON form (ledger/txjson.h): the
 * transactions `xrpse tx` reads from users and the tx_json objects rippled
 * sends back.
 *
 * The input is parsed as JSON; for an object:
 *   - xl_json_encode() either fails with an input error code or gives
 *     canonical binary: the generic decoder accepts it and re-encodes it
 *     byte for byte, and (unless a value has no JSON form, XU_EINVAL)
 *     xl_json_decode() gives JSON that encodes to the same bytes again;
 *   - xl_tx_from_json() (plain) accepts only what xl_json_encode() takes,
 *     and its typed struct encodes to the same bytes; with XL_JSON_RIPPLED
 *     it either fails or gives a struct whose encoding decodes and
 *     re-encodes unchanged;
 *   - xl_json_sign() with a fixed ed25519 test key either fails or gives a
 *     canonical blob whose id is SHA-512Half("TXN\0"||blob), whose
 *     SigningPubKey is the key and whose TxnSignature verifies over
 *     "STX\0" || the signing fields.
 * Any mismatch aborts.  tests/ledger/fuzz_replay.c replays the committed
 * corpus (tests/fuzz/corpus/txjson/) through this function in ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/keys.h"
#include "crypto/sign.h"
#include "ledger/codec.h"
#include "ledger/fields.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The ed25519 account of tests/vectors/data/txs.json (a public test key). */
#define TEST_SEED "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r"
#define OUT_CAP (1 << 18)
#define NODES 1024

static uint8_t out[OUT_CAP], out2[OUT_CAP], sd[OUT_CAP];
static struct xl_node nodes[NODES];
static struct xl_tx tx, tx2;
static struct xl_signed_tx st;
static struct cr_keypair kp;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_txjson: %s\n", what);
		abort();
	}
}

static int input_code(enum xu_code rc)
{
	return rc == XU_EINVAL || rc == XU_EPARSE || rc == XU_ERANGE ||
	       rc == XU_ETOOBIG;
}

/* blob[0..n) is canonical: the tree decoder takes it and gives it back. */
static void check_canonical(const uint8_t *blob, size_t n, const char *what)
{
	struct xl_tree t;
	size_t m;

	xl_tree_init(&t, nodes, NODES, NULL, 0);
	if (xl_decode(&t, blob, n, NULL) != XU_OK) {
		fprintf(stderr, "fuzz_txjson: %s\n", what);
		check(0, "our binary does not decode");
	}
	check(xl_encode(&t, 0, out2, sizeof(out2), &m, NULL) == XU_OK &&
		  m == n && !memcmp(out2, blob, n),
	      "our binary is not canonical");
}

/* st holds what xl_json_sign() produced (read back through the generic
 * tree: the typed struct holds only some transaction types). */
static void check_signed(void)
{
	uint8_t id[XL_HASH_BYTES];
	size_t m;
	struct xl_tree t;
	uint32_t ipk, isig;

	check_canonical(st.blob, st.len, "json_sign");
	xl_tx_id(id, st.blob, st.len);
	check(!memcmp(id, st.hash, sizeof(id)), "tx id differs");
	xl_tree_init(&t, nodes, NODES, NULL, 0);
	check(xl_decode(&t, st.blob, st.len, NULL) == XU_OK, "signed decode");
	memcpy(sd, "STX", 4);
	check(xl_encode(&t, XL_ENC_SIGNING, sd + 4, sizeof(sd) - 4, &m, NULL) ==
		  XU_OK,
	      "signing data");
	ipk = xl_tree_find(&t, 0, xl_field_by_name("SigningPubKey"));
	isig = xl_tree_find(&t, 0, xl_field_by_name("TxnSignature"));
	check(ipk != XL_NONE && isig != XL_NONE,
	      "signed blob lacks the signature fields");
	check(t.nodes[ipk].len == sizeof(kp.pub.b) &&
		  !memcmp(t.nodes[ipk].p, kp.pub.b, sizeof(kp.pub.b)),
	      "SigningPubKey is not the key");
	check(cr_verify(t.nodes[ipk].p, t.nodes[ipk].len, sd, m + 4,
			t.nodes[isig].p, t.nodes[isig].len),
	      "signature does not verify");
}

/* The typed decoder accepts transactions without Account, Fee or
 * Sequence, which xl_tx_encode() refuses (XU_EINVAL, as documented): only
 * that may stop a decoded transaction from encoding. */
static void check_lacks_required(const struct xl_tx *t, enum xu_code rc)
{
	const uint32_t req = XL_HAS_ACCOUNT | XL_HAS_FEE | XL_HAS_SEQUENCE;
	check(rc == XU_EINVAL && (t->has & req) != req,
	      "a decoded transaction does not encode");
}

static void json_side(const json_t *j)
{
	size_t n = 0, m;
	json_t *back = NULL;
	enum xu_code rc = xl_json_encode(j, out, sizeof(out), &n, NULL);
	int encoded = rc == XU_OK;

	check(encoded || input_code(rc), "json_encode: unexpected code");
	if (encoded && n == 0) {
		/* Known (reported, corpus found-empty-object): {} encodes to
		 * zero bytes, which xl_decode() refuses ("empty input"). */
		struct xl_tree t;
		xl_tree_init(&t, nodes, NODES, NULL, 0);
		check(xl_decode(&t, out, 0, NULL) == XU_EPARSE,
		      "empty input decode changed: update this target");
		encoded = 0;
	}
	if (encoded) {
		check_canonical(out, n, "json_encode");
		rc = xl_json_decode(out, n, &back, NULL);
		check(rc == XU_OK || rc == XU_EINVAL,
		      "json_decode of our binary failed");
		if (rc == XU_OK) {
			check(xl_json_encode(back, out2, sizeof(out2), &m,
					     NULL) == XU_OK &&
				  m == n && !memcmp(out2, out, n),
			      "JSON round trip differs");
			json_decref(back);
		}
	}

	rc = xl_tx_from_json(&tx, j, 0, NULL);
	check(rc == XU_OK || input_code(rc), "tx_from_json: unexpected code");
	if (rc == XU_OK) {
		check(encoded, "tx_from_json took what json_encode refused");
		rc = xl_tx_encode(&tx, out2, sizeof(out2), &m, NULL);
		if (rc == XU_OK)
			check(m == n && !memcmp(out2, out, n),
			      "typed encoding differs from the JSON encoding");
		else
			check_lacks_required(&tx, rc);
	}
	rc = xl_tx_from_json(&tx, j, XL_JSON_RIPPLED, NULL);
	check(rc == XU_OK || input_code(rc), "tx_from_json: unexpected code");
	if (rc == XU_OK) {
		rc = xl_tx_encode(&tx, out, sizeof(out), &n, NULL);
		if (rc != XU_OK) {
			check_lacks_required(&tx, rc);
		} else {
			check_canonical(out, n, "tx_from_json rippled");
			check(xl_tx_decode(&tx2, out, n, NULL) == XU_OK &&
				  xl_tx_encode(&tx2, out2, sizeof(out2), &m,
					       NULL) == XU_OK &&
				  m == n && !memcmp(out2, out, n),
			      "rippled tx typed round trip differs");
		}
	}

	rc = xl_json_sign(j, &kp, &st, NULL);
	check(rc == XU_OK || input_code(rc), "json_sign: unexpected code");
	if (rc == XU_OK)
		check_signed();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	json_t *j;

	if (!inited) {
		check(cr_init(NULL) == XU_OK, "cr_init");
		check(cr_keypair_from_seed_text(&kp, TEST_SEED, 0, NULL) ==
			  XU_OK,
		      "test key");
		inited = 1;
	}
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		return 0;
	json_side(j);
	json_decref(j);
	return 0;
}
