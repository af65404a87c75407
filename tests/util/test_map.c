/* Unit tests for src/util/map.c: insert, find, delete, growth, probe
 * runs (items displaced from their home slot, runs wrapping the table's
 * end) and string keys, against a reference array under random churn.
 * The invariant checked after every step: each item is found by probing
 * from its home slot with no empty slot in between. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/util/map.h"

struct item {
	uint8_t id[32];
	char name[24];
	int v;
};

static void make(struct item *it, uint32_t k)
{
	memset(it, 0, sizeof(*it));
	memcpy(it->id, &k, sizeof(k));
	it->id[31] = 0xaa;
	snprintf(it->name, sizeof(it->name), "acct-%u", (unsigned)k);
	it->v = (int)k;
}

/* Every item sits in the run from its home slot; returns how many sit
 * away from home and whether a run wraps the end. */
static size_t check_invariant(const struct xu_map *m, bool *wraps)
{
	size_t n = 0, away = 0, mask = m->cap - 1;

	for (size_t i = 0; i < m->cap; i++) {
		const struct xu_map_slot *s = &m->slot[i];

		if (!s->item)
			continue;
		n++;
		for (size_t j = s->hash & mask; j != i; j = (j + 1) & mask) {
			assert_non_null(m->slot[j].item);
			if (j == mask)
				*wraps = true;
		}
		if ((s->hash & mask) != i)
			away++;
	}
	assert_int_equal(n, xu_map_count(m));
	return away;
}

static void test_util_map_put_get_del(void **state)
{
	struct xu_map m;
	struct item a, b;
	struct xu_err e;

	(void)state;
	xu_map_init(&m, offsetof(struct item, id), 32, 1);
	make(&a, 1);
	make(&b, 2);
	assert_null(xu_map_get(&m, a.id));
	assert_null(xu_map_del(&m, a.id));
	assert_int_equal(xu_map_put(&m, &a, NULL), XU_OK);
	assert_ptr_equal(xu_map_get(&m, a.id), &a);
	assert_null(xu_map_get(&m, b.id));
	/* The same key again: refused, the first stays. */
	make(&b, 1);
	assert_int_equal(xu_map_put(&m, &b, &e), XU_ECONFLICT);
	assert_ptr_equal(xu_map_get(&m, a.id), &a);
	assert_int_equal(xu_map_count(&m), 1);
	assert_ptr_equal(xu_map_del(&m, a.id), &a);
	assert_null(xu_map_get(&m, a.id));
	assert_int_equal(xu_map_count(&m), 0);
	xu_map_clear(&m);
	xu_map_clear(&m); /* twice: harmless */
}

/* Random churn against a reference: present[k] says whether key k is in. */
static void churn(size_t koff, size_t klen, uint64_t seed, uint32_t keys,
		  unsigned steps)
{
	struct item *v = calloc(keys, sizeof(*v));
	bool *present = calloc(keys, sizeof(bool));
	struct xu_map m;
	size_t n = 0, away_max = 0, cap_max = 0;
	bool wraps = false;

	assert_non_null(v);
	assert_non_null(present);
	for (uint32_t k = 0; k < keys; k++)
		make(&v[k], k);
	xu_map_init(&m, koff, klen, seed);
	srand((unsigned)seed);
	for (unsigned s = 0; s < steps; s++) {
		uint32_t k = (uint32_t)rand() % keys;
		const void *key = (const char *)&v[k] + koff;

		if (present[k] && rand() % 2) {
			assert_ptr_equal(xu_map_del(&m, key), &v[k]);
			present[k] = false;
			n--;
		} else if (!present[k]) {
			assert_int_equal(xu_map_put(&m, &v[k], NULL), XU_OK);
			present[k] = true;
			n++;
		}
		assert_int_equal(xu_map_count(&m), n);
		if (s % 64 == 0 || keys <= 64) {
			size_t away = check_invariant(&m, &wraps);

			if (away > away_max)
				away_max = away;
			for (uint32_t j = 0; j < keys; j++) {
				const void *kj = (const char *)&v[j] + koff;

				assert_ptr_equal(xu_map_get(&m, kj),
						 present[j] ? &v[j] : NULL);
			}
		}
		if (m.cap > cap_max)
			cap_max = m.cap;
		assert_true(m.n * 4 <= m.cap * 3);
	}
	/* Collisions happened (items away from home), and the table grew. */
	assert_true(away_max > 0);
	assert_true(cap_max > 16);
	/* Iteration sees each item once. */
	{
		size_t pos = 0, seen = 0;
		struct item *it;

		while ((it = xu_map_next(&m, &pos)) != NULL) {
			assert_true(present[it->v]);
			seen++;
		}
		assert_int_equal(seen, n);
	}
	(void)wraps;
	xu_map_clear(&m);
	free(v);
	free(present);
}

static void test_util_map_churn_binary_keys(void **state)
{
	(void)state;
	churn(offsetof(struct item, id), 32, 7, 40, 20000);
	churn(offsetof(struct item, id), 32, 8, 5000, 60000);
}

static void test_util_map_churn_string_keys(void **state)
{
	(void)state;
	churn(offsetof(struct item, name), 0, 9, 40, 20000);
	churn(offsetof(struct item, name), 0, 10, 5000, 60000);
}

/* Backward shift across the table's end: a small table filled to its
 * limit, emptied one by one in random order, every other item still
 * found after each deletion, over many seeds until a run wrapped. */
static void test_util_map_wrapping_runs(void **state)
{
	struct item v[12];
	bool wrapped = false;

	(void)state;
	for (uint64_t seed = 1; seed < 400; seed++) {
		struct xu_map m;
		bool w = false;
		int order[12];

		xu_map_init(&m, offsetof(struct item, id), 32, seed);
		for (uint32_t k = 0; k < 12; k++) {
			make(&v[k], k);
			assert_int_equal(xu_map_put(&m, &v[k], NULL), XU_OK);
			order[k] = (int)k;
		}
		assert_int_equal(m.cap, 16);
		check_invariant(&m, &w);
		wrapped = wrapped || w;
		srand((unsigned)seed);
		for (int i = 11; i > 0; i--) {
			int j = rand() % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < 12; i++) {
			assert_ptr_equal(xu_map_del(&m, v[order[i]].id),
					 &v[order[i]]);
			check_invariant(&m, &w);
			for (int j = i + 1; j < 12; j++)
				assert_ptr_equal(xu_map_get(&m, v[order[j]].id),
						 &v[order[j]]);
		}
		xu_map_clear(&m);
	}
	assert_true(wrapped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_util_map_put_get_del),
	    cmocka_unit_test(test_util_map_churn_binary_keys),
	    cmocka_unit_test(test_util_map_churn_string_keys),
	    cmocka_unit_test(test_util_map_wrapping_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
