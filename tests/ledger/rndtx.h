/* Seeded random generators for the ledger tests: typed transactions of
 * every supported type (through the builders) and generic trees over every
 * field of the table.  Header-only; the includer provides cmocka. */
#ifndef XRPSE_TESTS_LEDGER_RNDTX_H
#define XRPSE_TESTS_LEDGER_RNDTX_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger/codec.h"
#include "ledger/tx.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: small, seedable, good enough for test data. */
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void rnd_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* ---- random typed transactions */

static struct xl_drops rnd_drops(bool nonzero)
{
	struct xl_drops d;
	uint64_t v;
	switch (rnd_below(4)) {
	case 0:
		v = rnd_below(1000);
		break;
	case 1:
		v = rnd_below(UINT64_C(100000000000000001));
		break;
	case 2:
		v = UINT64_C(100000000000000000);
		break;
	default:
		v = rnd_below(UINT64_C(1) << 32);
		break;
	}
	if (nonzero && v == 0)
		v = 1;
	assert_true(xl_drops_from_u64(&d, v));
	return d;
}

static uint32_t rnd_u32(void)
{
	switch (rnd_below(3)) {
	case 0:
		return (uint32_t)rnd_below(10);
	case 1:
		return UINT32_MAX - (uint32_t)rnd_below(2);
	default:
		return (uint32_t)rnd();
	}
}

static void rnd_pubkey(struct cr_pubkey *pk)
{
	static const uint8_t pre[] = {0x02, 0x03, 0xED};
	pk->b[0] = pre[rnd_below(3)];
	rnd_bytes(pk->b + 1, 32);
}

static void rnd_common(struct xl_tx_common *c)
{
	memset(c, 0, sizeof(*c));
	rnd_bytes(c->account.b, 20);
	c->fee = rnd_drops(false);
	if (rnd_below(4) == 0)
		c->ticket_sequence = rnd_u32() | 1;
	else
		c->sequence = rnd_u32();
	if (rnd_below(2))
		c->last_ledger_sequence = rnd_u32() | 1;
	if (rnd_below(3) == 0)
		c->network_id = rnd_u32();
	if (rnd_below(2)) {
		c->has_source_tag = true;
		c->source_tag = rnd_u32();
	}
	if (rnd_below(3) == 0)
		c->flags = XL_TF_FULLY_CANONICAL_SIG;
}

static void rnd_tx(struct xl_tx *tx)
{
	struct xl_tx_common c;
	struct cr_account_id dst;
	struct cr_pubkey pk;
	uint8_t chan[32], sig[72];
	uint32_t a = rnd_u32(), b = rnd_u32();
	enum xu_code rc;
	rnd_common(&c);
	rnd_bytes(dst.b, 20);
	rnd_pubkey(&pk);
	rnd_bytes(chan, 32);
	switch (rnd_below(4)) {
	case 0:
		rc = xl_tx_payment(tx, &c, &dst, rnd_drops(true),
				   rnd_below(2) ? &a : NULL, NULL);
		break;
	case 1:
		rc = xl_tx_paychan_create(
		    tx, &c, &dst, rnd_drops(true), rnd_u32(), &pk,
		    rnd_below(2) ? &a : NULL, rnd_below(2) ? &b : NULL, NULL);
		break;
	case 2:
		rc = xl_tx_paychan_fund(tx, &c, chan, rnd_drops(true),
					rnd_below(2) ? &a : NULL, NULL);
		break;
	default: {
		struct xl_drops amt = rnd_drops(true), bal = amt;
		size_t siglen = 64 + rnd_below(9);
		bool with_sig = rnd_below(2);
		static const uint32_t fl[] = {0, XL_TF_RENEW, XL_TF_CLOSE};
		if (xl_drops_u64(amt) > 1 && rnd_below(2))
			assert_true(xl_drops_from_u64(
			    &bal, 1 + rnd_below(xl_drops_u64(amt))));
		rnd_bytes(sig, siglen);
		rc = xl_tx_paychan_claim(tx, &c, chan,
					 with_sig || rnd_below(2) ? &bal : NULL,
					 with_sig || rnd_below(2) ? &amt : NULL,
					 with_sig ? sig : NULL, siglen,
					 with_sig || rnd_below(2) ? &pk : NULL,
					 fl[rnd_below(3)], NULL);
		break;
	}
	}
	assert_int_equal(rc, XU_OK);
	/* Signed or not, with or without memos. */
	if (rnd_below(2)) {
		rnd_pubkey(&tx->signing_pub_key);
		tx->txn_signature.len = 64 + rnd_below(9);
		rnd_bytes(tx->txn_signature.b, tx->txn_signature.len);
		tx->has |= XL_HAS_SIGNING_PUB_KEY | XL_HAS_TXN_SIGNATURE;
	}
	if (rnd_below(4) == 0) {
		tx->nmemos = 1 + rnd_below(XL_MEMOS_MAX);
		for (size_t i = 0; i < tx->nmemos; i++) {
			struct xl_memo *m = &tx->memos[i];
			m->has_type = rnd_below(2);
			m->has_data = rnd_below(2);
			m->has_format = rnd_below(2);
			m->type_len = m->has_type ? rnd_below(20) : 0;
			m->data_len = m->has_data ? rnd_below(257) : 0;
			m->format_len = m->has_format ? rnd_below(20) : 0;
			rnd_bytes(m->type, m->type_len);
			rnd_bytes(m->data, m->data_len);
			rnd_bytes(m->format, m->format_len);
		}
	}
}

/* ---- random generic trees over every field type */

static void rnd_value(struct xl_tree *t, uint32_t idx, int depth);

static void rnd_object(struct xl_tree *t, uint32_t obj, int depth)
{
	size_t nf = rnd_below(depth ? 4 : 12) + 1;
	for (size_t k = 0; k < nf && t->n + 8 < t->cap; k++) {
		const struct xl_field *f =
		    xl_field_at(rnd_below(xl_field_count()));
		uint32_t idx;
		if ((f->type == XL_ST_OBJECT || f->type == XL_ST_ARRAY) &&
		    depth >= 3)
			continue;
		if (xl_tree_find(t, obj, f) != XL_NONE)
			continue;
		assert_int_equal(xl_tree_add(t, obj, f, &idx, NULL), XU_OK);
		rnd_value(t, idx, depth);
	}
}

static void rnd_value(struct xl_tree *t, uint32_t idx, int depth)
{
	struct xl_node *nd = &t->nodes[idx];
	const struct xl_field *f = nd->f;
	uint8_t b[300];
	size_t n = 0;
	enum xl_names which;
	switch (f->type) {
	case XL_ST_UINT8:
	case XL_ST_UINT16:
	case XL_ST_UINT32:
	case XL_ST_UINT64: {
		size_t w = xl_stype_width(f->type);
		nd->u = w == 8 ? rnd() : rnd() & ((UINT64_C(1) << 8 * w) - 1);
		if (xl_field_names(f, &which)) {
			/* JSON shows these as names: pick a known code. */
			static const unsigned codes[][3] = {
			    {0, 13, 15}, {0x78, 0x61, 0x64}, {0, 100, 104}};
			nd->u = codes[which][rnd_below(3)];
		}
		return;
	}
	case XL_ST_HASH128:
	case XL_ST_HASH160:
	case XL_ST_HASH256:
		n = xl_stype_width(f->type);
		rnd_bytes(b, n);
		break;
	case XL_ST_AMOUNT:
		if (rnd_below(2)) {
			xl_amount_xrp_bytes(
			    b, rnd_below(UINT64_C(100000000000000001)), false);
			n = 8;
		} else {
			char v[40];
			snprintf(v, sizeof(v), "%s%" PRIu64 "e%d",
				 rnd_below(2) ? "-" : "",
				 rnd_below(UINT64_C(10000000000000000)),
				 (int)rnd_below(150) - 80);
			assert_int_equal(xl_token_value_parse(b, v, NULL),
					 XU_OK);
			rnd_bytes(b + 8, 40);
			n = 48;
		}
		break;
	case XL_ST_BLOB:
		n = rnd_below(2) ? rnd_below(40) : rnd_below(300);
		rnd_bytes(b, n);
		break;
	case XL_ST_ACCOUNT:
		n = 20;
		rnd_bytes(b, n);
		break;
	case XL_ST_VECTOR256:
		n = 32 * rnd_below(4);
		rnd_bytes(b, n);
		break;
	case XL_ST_OBJECT:
		rnd_object(t, idx, depth + 1);
		return;
	case XL_ST_ARRAY: {
		size_t ne = rnd_below(3);
		for (size_t k = 0; k < ne && t->n + 8 < t->cap; k++) {
			const struct xl_field *ef;
			do
				ef = xl_field_at(rnd_below(xl_field_count()));
			while (ef->type != XL_ST_OBJECT);
			uint32_t ei;
			assert_int_equal(xl_tree_add(t, idx, ef, &ei, NULL),
					 XU_OK);
			rnd_object(t, ei, depth + 1);
		}
		return;
	}
	}
	assert_int_equal(xl_tree_put(t, idx, b, n, NULL), XU_OK);
}

#endif /* XRPSE_TESTS_LEDGER_RNDTX_H */
