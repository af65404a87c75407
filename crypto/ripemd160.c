/* RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), written from the
 * published specification: libsodium has none and the XRPL needs it for
 * AccountID = RIPEMD160(SHA256(public key)).  Two parallel lines of five
 * rounds of 16 steps over a 512-bit block; little-endian words and length.
 * Pure; no allocation.  Not used on secrets. */
#include "crypto/hash.h"

#include <string.h>

struct rmd_ctx {
	uint32_t h[5];
	uint64_t total; /* bytes hashed so far */
	uint8_t buf[64];
	size_t used;
};

/* Message word selection, left and right lines. */
static const uint8_t rl[80] = {
    0,	1, 2,  3, 4,  5,  6, 7,	 8, 9,	10, 11, 12, 13, 14, 15, 7,  4,	13, 1,
    10, 6, 15, 3, 12, 0,  9, 5,	 2, 14, 11, 8,	3,  10, 14, 4,	9,  15, 8,  1,
    2,	7, 0,  6, 13, 11, 5, 12, 1, 9,	11, 10, 0,  8,	12, 4,	13, 3,	7,  15,
    14, 5, 6,  2, 4,  0,  5, 9,	 7, 12, 2,  10, 14, 1,	3,  8,	11, 6,	15, 13};
static const uint8_t rr[80] = {
    5,	14, 7,	0,  9,	2,  11, 4,  13, 6, 15, 8, 1,  10, 3,  12, 6, 11, 3, 7,
    0,	13, 5,	10, 14, 15, 8,	12, 4,	9, 1,  2, 15, 5,  1,  3,  7, 14, 6, 9,
    11, 8,  12, 2,  10, 0,  4,	13, 8,	6, 4,  1, 3,  11, 15, 0,  5, 12, 2, 13,
    9,	7,  10, 14, 12, 15, 10, 4,  1,	5, 8,  7, 6,  2,  13, 14, 0, 3,	 9, 11};
/* Rotation amounts, left and right lines. */
static const uint8_t sl[80] = {
    11, 14, 15, 12, 5,	8,  7,	9,  11, 13, 14, 15, 6,	7,  9,	8,
    7,	6,  8,	13, 11, 9,  7,	15, 7,	12, 15, 9,  11, 7,  13, 12,
    11, 13, 6,	7,  14, 9,  13, 15, 14, 8,  13, 6,  5,	12, 7,	5,
    11, 12, 14, 15, 14, 15, 9,	8,  9,	14, 5,	6,  8,	6,  5,	12,
    9,	15, 5,	11, 6,	8,  13, 12, 5,	12, 13, 14, 11, 8,  5,	6};
static const uint8_t sr[80] = {
    8,	9,  9,	11, 13, 15, 15, 5,  7,	7,  8,	11, 14, 14, 12, 6,
    9,	13, 15, 7,  12, 8,  9,	11, 7,	7,  12, 7,  6,	15, 13, 11,
    9,	7,  15, 11, 8,	6,  6,	14, 12, 13, 5,	14, 13, 13, 7,	5,
    15, 5,  8,	11, 14, 14, 6,	14, 6,	9,  12, 9,  12, 5,  15, 8,
    8,	5,  12, 9,  12, 5,  14, 6,  8,	13, 6,	5,  15, 13, 11, 11};
static const uint32_t kl[5] = {0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC,
			       0xA953FD4E};
static const uint32_t kr[5] = {0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9,
			       0x00000000};

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* The five boolean functions, selected by round 0..4. */
static uint32_t f(unsigned round, uint32_t x, uint32_t y, uint32_t z)
{
	switch (round) {
	case 0:
		return x ^ y ^ z;
	case 1:
		return (x & y) | (~x & z);
	case 2:
		return (x | ~y) ^ z;
	case 3:
		return (x & z) | (y & ~z);
	default:
		return x ^ (y | ~z);
	}
}

static void compress(uint32_t h[5], const uint8_t block[64])
{
	uint32_t x[16];

	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t)block[4 * i] |
		       (uint32_t)block[4 * i + 1] << 8 |
		       (uint32_t)block[4 * i + 2] << 16 |
		       (uint32_t)block[4 * i + 3] << 24;

	uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
	uint32_t ar = h[0], br = h[1], cr = h[2], dr = h[3], er = h[4];
	for (unsigned j = 0; j < 80; j++) {
		unsigned round = j / 16;
		uint32_t t;

		t = rol(al + f(round, bl, cl, dl) + x[rl[j]] + kl[round],
			sl[j]) +
		    el;
		al = el;
		el = dl;
		dl = rol(cl, 10);
		cl = bl;
		bl = t;

		t = rol(ar + f(4 - round, br, cr, dr) + x[rr[j]] + kr[round],
			sr[j]) +
		    er;
		ar = er;
		er = dr;
		dr = rol(cr, 10);
		cr = br;
		br = t;
	}
	uint32_t t = h[1] + cl + dr;
	h[1] = h[2] + dl + er;
	h[2] = h[3] + el + ar;
	h[3] = h[4] + al + br;
	h[4] = h[0] + bl + cr;
	h[0] = t;
}

static void rmd_init(struct rmd_ctx *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xEFCDAB89;
	c->h[2] = 0x98BADCFE;
	c->h[3] = 0x10325476;
	c->h[4] = 0xC3D2E1F0;
	c->total = 0;
	c->used = 0;
}

static void rmd_update(struct rmd_ctx *c, const uint8_t *in, size_t len)
{
	if (len == 0)
		return; /* in may be NULL */
	c->total += len;
	if (c->used) {
		size_t n = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->buf + c->used, in, n);
		c->used += n;
		in += n;
		len -= n;
		if (c->used < 64)
			return;
		compress(c->h, c->buf);
		c->used = 0;
	}
	for (; len >= 64; in += 64, len -= 64)
		compress(c->h, in);
	memcpy(c->buf, in, len);
	c->used = len;
}

static void rmd_final(struct rmd_ctx *c, uint8_t out[CR_RIPEMD160_BYTES])
{
	uint64_t bits = c->total * 8;
	uint8_t pad[72] = {0x80};
	/* Pad to 56 mod 64, then the 64-bit little-endian bit length. */
	size_t padlen = (c->used < 56 ? 56 : 120) - c->used;

	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (8 * i));
	rmd_update(c, pad, padlen + 8);
	for (int i = 0; i < 5; i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (uint8_t)(c->h[i] >> (8 * b));
}

void cr_ripemd160(uint8_t out[CR_RIPEMD160_BYTES], const uint8_t *in,
		  size_t len)
{
	struct rmd_ctx c;

	rmd_init(&c);
	rmd_update(&c, in, len);
	rmd_final(&c, out);
}
