/* A hash map of items by a key embedded in them: open addressing with
 * linear probing over a power-of-two table of {hash, item} slots, grown
 * at 3/4 full, deletion by backward shift (no tombstones, so a table
 * does not rot under churn).  Written here because Debian 12 ships no
 * small C hash map we may depend on (glib is too large a dependency for
 * this; uthash is macros over the items).
 *
 * The map does not own the items: it holds pointers, and the key is read
 * from each item at a fixed offset (klen bytes, or a NUL-terminated
 * string when klen is 0), so a key must not change while its item is in
 * the map.  The hash is seeded (xu_map_init) but not cryptographic: keys
 * an outsider picks (a peer's channel ids) must be few per outsider, as
 * docs/risks.md#random-channel-id-lookup-storms keeps them.
 *
 * Used for the service's per-account state and ledger lookups
 * (src/paychan) and the rippled client's pending requests (ledger/net),
 * which were lists scanned end to end (docs/design.md#scale). */
#ifndef XRPSE_UTIL_MAP_H
#define XRPSE_UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/err.h"

struct xu_map_slot {
	uint64_t hash;
	void *item; /* NULL: empty */
};

struct xu_map {
	struct xu_map_slot *slot;
	size_t cap; /* 0 or a power of two */
	size_t n;
	size_t koff; /* offset of the key in an item */
	size_t klen; /* its length; 0: a NUL-terminated string */
	uint64_t seed;
};

/* An empty map of items whose key is at byte offset koff, klen bytes long
 * (0: a NUL-terminated string).  Allocates nothing. */
void xu_map_init(struct xu_map *m, size_t koff, size_t klen, uint64_t seed);
/* Frees the table (not the items) and leaves m empty, as after init. */
void xu_map_clear(struct xu_map *m);
/* The item with key (borrowed), or NULL. */
void *xu_map_get(const struct xu_map *m, const void *key);
/* Adds item (its key read from it).  Returns XU_OK, XU_ECONFLICT when an
 * item with that key is in the map (nothing changes), or XU_ENOMEM. */
enum xu_code xu_map_put(struct xu_map *m, void *item,
			struct xu_err *err) XU_WARN_UNUSED;
/* Removes and returns the item with key, or NULL when there is none. */
void *xu_map_del(struct xu_map *m, const void *key);
static inline size_t xu_map_count(const struct xu_map *m)
{
	return m->n;
}
/* Iteration: the first item in a slot at or after *pos (start at 0), or
 * NULL at the end; *pos moves past it.  The map must not change during an
 * iteration (collect what to delete first). */
void *xu_map_next(const struct xu_map *m, size_t *pos);

#endif /* XRPSE_UTIL_MAP_H */
