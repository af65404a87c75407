/* libFuzzer target for what ledger/net can parse of a rippled frame
 * without a connection: the frame is loaded as ledger/net/ws.c's
 * rx_frame() loads it (json_loadb, duplicate keys refused, objects only),
 * then the public readers the client and the submission queue use on
 * responses, stream messages and account_channels results are run on it:
 *   - xl_ws_result(): non-NULL exactly for "status":"success" with an
 *     object "result", and then that object;
 *   - xl_json_u32() / xl_json_u64() / xl_json_str() on every member of
 *     every object down to depth 4 (the envelope, result, info,
 *     validated_ledger, account_data, drops, channels[i], transaction,
 *     tx_json, meta...), each compared with an oracle written here: an
 *     integer in range, or a string of decimal digits whose value fits;
 *   - a `transaction` stream message's "transaction" / a response's
 *     "tx_json" through xl_tx_from_json(XL_JSON_RIPPLED): it fails with an
 *     input error or gives a transaction whose binary decodes and
 *     re-encodes unchanged.
 * The frame handling itself (rx_frame, dispatch, the resync replies in
 * client.c) is static and needs a live lws connection, so it is not
 * reached here.  Any mismatch aborts.  tests/ledger/fuzz_replay.c replays
 * the committed corpus (tests/fuzz/corpus/rippled_frame/) in ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/sign.h"
#include "ledger/net/ws.h"
#include "ledger/tx.h"
#include "ledger/txjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 4

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_rippled_frame: %s\n", what);
		abort();
	}
}

/* The oracle: 1 and *v for a value a u<max> reader must accept, 0 for one
 * it must refuse, -1 for a string of more than 20 digits with leading
 * zeros whose value fits (either answer is fine). */
static int oracle(json_t *v, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return 0;
		*out = (uint64_t)i;
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	size_t lead = 0;
	uint64_t x = 0;
	if (n == 0 || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	while (lead + 1 < n && s[lead] == '0')
		lead++;
	if (n - lead > 20)
		return 0;
	for (size_t i = lead; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return 0;
		x = x * 10 + d;
	}
	if (x > max)
		return 0;
	*out = x;
	return n > 20 ? -1 : 1;
}

static void check_member(json_t *obj, const char *key, json_t *v)
{
	uint32_t u32 = 0xdeadbeef;
	uint64_t u64 = 0, want = 0;
	int o;
	bool got;

	o = oracle(v, UINT32_MAX, &want);
	got = xl_json_u32(obj, key, &u32);
	if (o >= 0)
		check(got == (o == 1), "xl_json_u32 accepts differently");
	if (got && o == 1)
		check(u32 == want, "xl_json_u32 value");
	if (!got) /* untouched (or zeroed) on failure */
		check(u32 == 0xdeadbeef || u32 == 0,
		      "xl_json_u32 wrote on failure");

	o = oracle(v, UINT64_MAX, &want);
	got = xl_json_u64(obj, key, &u64);
	if (o >= 0)
		check(got == (o == 1), "xl_json_u64 accepts differently");
	if (got && o == 1)
		check(u64 == want, "xl_json_u64 value");

	const char *s = xl_json_str(obj, key);
	check(json_is_string(v) ? s == json_string_value(v) : s == NULL,
	      "xl_json_str");
}

static void walk(json_t *v, int depth)
{
	const char *key;
	json_t *m;
	size_t i;

	if (depth > DEPTH_MAX)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, key, m)
		{
			check_member(v, key, m);
			walk(m, depth + 1);
		}
		/* Absent members. */
		check(!xl_json_u32(v,
				   "\001"
				   "absent",
				   &(uint32_t){0}) &&
			  xl_json_str(v, "\001"
					 "absent") == NULL,
		      "absent member read");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) walk(m, depth + 1);
	}
	/* Non-objects are refused, never crash. */
	if (!json_is_object(v))
		check(!xl_json_u64(v, "x", &(uint64_t){0}) &&
			  xl_json_str(v, "x") == NULL,
		      "member read from a non-object");
}

static void check_tx(json_t *txj)
{
	static struct xl_tx tx, tx2;
	static uint8_t out[XL_TX_MAX_BYTES * 4], out2[XL_TX_MAX_BYTES * 4];
	size_t n, m;
	enum xu_code rc;

	if (!json_is_object(txj))
		return;
	rc = xl_tx_from_json(&tx, txj, XL_JSON_RIPPLED, NULL);
	check(rc == XU_OK || rc == XU_EINVAL || rc == XU_EPARSE ||
		  rc == XU_ERANGE || rc == XU_ETOOBIG,
	      "tx_from_json: unexpected code");
	if (rc != XU_OK)
		return;
	rc = xl_tx_encode(&tx, out, sizeof(out), &n, NULL);
	if (rc != XU_OK) {
		/* The typed decoder accepts transactions without Account,
		 * Fee or Sequence; xl_tx_encode() refuses those (EINVAL). */
		const uint32_t req =
		    XL_HAS_ACCOUNT | XL_HAS_FEE | XL_HAS_SEQUENCE;
		check(rc == XU_EINVAL && (tx.has & req) != req,
		      "a rippled tx does not encode");
		return;
	}
	check(xl_tx_decode(&tx2, out, n, NULL) == XU_OK, "does not decode");
	check(xl_tx_encode(&tx2, out2, sizeof(out2), &m, NULL) == XU_OK &&
		  m == n && !memcmp(out, out2, n),
	      "rippled tx round trip differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	json_t *msg, *res, *status;

	if (!inited) {
		check(cr_init(NULL) == XU_OK, "cr_init");
		inited = 1;
	}
	msg =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (msg == NULL)
		return 0;
	if (!json_is_object(msg)) {
		check(xl_ws_result(msg) == NULL, "result of a non-object");
		walk(msg, 0);
		json_decref(msg);
		return 0;
	}
	res = xl_ws_result(msg);
	status = json_object_get(msg, "status");
	if (json_is_string(status) &&
	    strcmp(json_string_value(status), "success") == 0 &&
	    json_is_object(json_object_get(msg, "result")))
		check(res == json_object_get(msg, "result"),
		      "xl_ws_result missed a success result");
	else
		check(res == NULL, "xl_ws_result of a non-success");
	walk(msg, 0);
	check_tx(json_object_get(msg, "transaction"));
	check_tx(json_object_get(msg, "tx_json"));
	check_tx(res);
	if (res != NULL)
		check_tx(json_object_get(res, "tx_json"));
	json_decref(msg);
	return 0;
}
