/* The hash map of map.h: open addressing, linear probing, backward-shift
 * deletion.
 *
 *   slot[]: | h,item | h,item | 0,NULL | h,item | ...   (cap = 2^k)
 *
 * An item sits at or after its home slot (hash & (cap - 1)), with no
 * empty slot between them: a lookup probes from home to the first empty
 * slot.  A deletion closes the gap by moving back each following item
 * that may sit at the freed slot, so the rule holds without tombstones. */
#include "src/util/map.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16

/* A 64-bit seeded hash of len bytes (8 at a time, then the murmur3
 * finaliser to spread every input bit). */
static uint64_t hash_bytes(uint64_t seed, const uint8_t *p, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = seed ^ ((uint64_t)len * k);

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;

		memcpy(&w, p, len);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static const void *key_of(const struct xu_map *m, const void *item)
{
	return (const char *)item + m->koff;
}

static size_t key_len(const struct xu_map *m, const void *key)
{
	return m->klen ? m->klen : strlen(key);
}

static uint64_t hash_key(const struct xu_map *m, const void *key)
{
	return hash_bytes(m->seed, key, key_len(m, key));
}

static bool key_eq(const struct xu_map *m, const void *a, const void *b)
{
	if (m->klen)
		return !memcmp(a, b, m->klen);
	return !strcmp(a, b);
}

void xu_map_init(struct xu_map *m, size_t koff, size_t klen, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	m->koff = koff;
	m->klen = klen;
	m->seed = seed;
}

void xu_map_clear(struct xu_map *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = 0;
	m->n = 0;
}

/* The slot holding key (hash h), or cap when none does. */
static size_t find(const struct xu_map *m, const void *key, uint64_t h)
{
	size_t mask = m->cap - 1;

	if (!m->cap)
		return 0;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct xu_map_slot *s = &m->slot[i];

		if (!s->item)
			return m->cap;
		if (s->hash == h && key_eq(m, key_of(m, s->item), key))
			return i;
	}
}

/* Places item (hash h) in the first empty slot from its home; the table
 * has one. */
static void place(struct xu_map_slot *slot, size_t cap, uint64_t h, void *item)
{
	size_t mask = cap - 1, i = h & mask;

	while (slot[i].item)
		i = (i + 1) & mask;
	slot[i].hash = h;
	slot[i].item = item;
}

static bool grow(struct xu_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : MIN_CAP;
	struct xu_map_slot *s;

	if (cap < m->cap || cap > SIZE_MAX / sizeof(*s))
		return false;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].item)
			place(s, cap, m->slot[i].hash, m->slot[i].item);
	free(m->slot);
	m->slot = s;
	m->cap = cap;
	return true;
}

void *xu_map_get(const struct xu_map *m, const void *key)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = find(m, key, hash_key(m, key));
	return i < m->cap ? m->slot[i].item : NULL;
}

enum xu_code xu_map_put(struct xu_map *m, void *item, struct xu_err *err)
{
	const void *key = key_of(m, item);
	uint64_t h = hash_key(m, key);

	if (m->n && find(m, key, h) < m->cap)
		return xu_fail(err, XU_ECONFLICT, 0, "map: key already in");
	/* At most 3/4 full: probes stay short. */
	if ((m->n + 1) * 4 > m->cap * 3 && !grow(m))
		return xu_fail(err, XU_ENOMEM, 0, "map: out of memory");
	place(m->slot, m->cap, h, item);
	m->n++;
	return XU_OK;
}

void *xu_map_del(struct xu_map *m, const void *key)
{
	size_t mask = m->cap - 1, i, j;
	void *item;

	if (!m->n)
		return NULL;
	i = find(m, key, hash_key(m, key));
	if (i == m->cap)
		return NULL;
	item = m->slot[i].item;
	/* Backward shift: each following item of the run whose home is not
	 * in (i, j] may move back to the gap at i. */
	for (j = (i + 1) & mask; m->slot[j].item; j = (j + 1) & mask) {
		size_t home = m->slot[j].hash & mask;
		bool stays =
		    i <= j ? (i < home && home <= j) : (i < home || home <= j);

		if (stays)
			continue;
		m->slot[i] = m->slot[j];
		i = j;
	}
	m->slot[i].item = NULL;
	m->slot[i].hash = 0;
	m->n--;
	return item;
}

void *xu_map_next(const struct xu_map *m, size_t *pos)
{
	for (size_t i = *pos; i < m->cap; i++)
		if (m->slot[i].item) {
			*pos = i + 1;
			return m->slot[i].item;
		}
	*pos = m->cap;
	return NULL;
}
