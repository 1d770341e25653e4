/* test-label-index.c - label sets to numbers: any order finds the same set,
 * any byte of a name or value tells sets apart, hash collisions (forced with
 * few hash bits) never confuse sets, copies, growth and reset, and the sets
 * found or added last are found again without their hash. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/kv.h"
#include "ship/label-index.h"
#include "sl-test.h"

/* Replaces @set with @pairs: name, value, ..., NULL. */
static void set_fill(struct sl_kvs *set, const char *const *pairs) {
        sl_kvs_clear(set);
        for (size_t i = 0; pairs[i]; i += 2)
                sl_kvs_set(set, sl_str_c(pairs[i]), sl_str_c(pairs[i + 1]));
}

/* Whether @set is in @ix; its number in *@ret_value when it is. Asks the
 * recent sets first, as the batcher does: a hit there must be a set the
 * hash finds too, with the same number. */
static bool lookup(struct sl_label_index *ix, const struct sl_kvs *set, uint32_t *ret_value) {
        uint32_t recent = UINT32_MAX;

        if (sl_label_index_find_recent(ix, set, &recent)) {
                ck_assert(sl_label_index_find(ix, sl_label_index_hash(ix, set), set, ret_value));
                ck_assert_uint_eq(*ret_value, recent);
                return true;
        }
        return sl_label_index_find(ix, sl_label_index_hash(ix, set), set, ret_value);
}

static void add(struct sl_label_index *ix, const struct sl_kvs *set, uint32_t value) {
        sl_label_index_add(ix, sl_label_index_hash(ix, set), set, value);
}

/* Hash bits to run each test with: real hashes, a few bits (many sets per
 * hash) and none (every set has the same hash: only the pairs decide). */
static const unsigned hash_bits[] = { 64, 2, 0 };

START_TEST(any_order_same_set) {
        static const char *const orders[][9] = {
                { "job", "w40k", "filename", "/var/log/a.log", "stream", "stdout", "level", "info", NULL },
                { "level", "info", "stream", "stdout", "filename", "/var/log/a.log", "job", "w40k", NULL },
                { "filename", "/var/log/a.log", "job", "w40k", "level", "info", "stream", "stdout", NULL },
                { "stream", "stdout", "level", "info", "job", "w40k", "filename", "/var/log/a.log", NULL },
        };
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        struct sl_kvs set;
        uint32_t v = 0;

        sl_kvs_init(&set);
        set_fill(&set, orders[0]);
        ck_assert(!lookup(ix, &set, &v));
        add(ix, &set, 7);
        for (size_t i = 0; i < SL_ARRAY_SIZE(orders); i++) {
                set_fill(&set, orders[i]);
                v = 0;
                ck_assert_msg(lookup(ix, &set, &v), "order %zu", i);
                ck_assert_uint_eq(v, 7);
        }
        /* The hash itself ignores the order. */
        set_fill(&set, orders[0]);
        {
                uint64_t h0 = sl_label_index_hash(ix, &set);
                set_fill(&set, orders[1]);
                ck_assert_uint_eq(sl_label_index_hash(ix, &set), h0);
        }
        ck_assert_uint_eq(sl_label_index_count(ix), 1);
        sl_kvs_release(&set);
}
END_TEST

/* Sets close to the one added, none of which may be taken for it. */
START_TEST(near_misses_differ) {
        static const char *const base[] = {
                "job", "w40k", "filename",
                "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log", NULL,
        };
        static const char *const near[][7] = {
                /* the value differs only in its last byte, after a long prefix */
                { "job", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.loG", NULL },
                /* ... or in a byte inside an 8-byte block */
                { "job", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789Abcdef-json.log", NULL },
                /* a value that extends the other */
                { "job", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log.1", NULL },
                /* a prefix of it */
                { "job", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.lo", NULL },
                { "job", "w40K", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log", NULL },
                /* the same values under other names */
                { "jobs", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log", NULL },
                /* a subset, and a superset */
                { "job", "w40k", NULL },
                { "job", "w40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log",
                  "level", "info", NULL },
                /* bytes moved from a name to its value */
                { "jo", "bw40k", "filename",
                  "/var/lib/docker/containers/0123456789abcdef/0123456789abcdef-json.log", NULL },
        };
        static const char *const swapped_a[] = { "a", "1", "b", "2", NULL };
        static const char *const swapped_b[] = { "a", "2", "b", "1", NULL };
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        struct sl_kvs set;
        uint32_t v = 0;

        sl_kvs_init(&set);
        set_fill(&set, base);
        add(ix, &set, 1);
        for (size_t i = 0; i < SL_ARRAY_SIZE(near); i++) {
                set_fill(&set, near[i]);
                ck_assert_msg(!lookup(ix, &set, &v), "near miss %zu taken for the base set", i);
        }
        /* Each added with its own number is found as itself. */
        for (size_t i = 0; i < SL_ARRAY_SIZE(near); i++) {
                set_fill(&set, near[i]);
                add(ix, &set, (uint32_t)(100 + i));
        }
        set_fill(&set, base);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 1);
        for (size_t i = 0; i < SL_ARRAY_SIZE(near); i++) {
                set_fill(&set, near[i]);
                ck_assert_msg(lookup(ix, &set, &v), "near miss %zu", i);
                ck_assert_uint_eq(v, 100 + i);
        }

        /* Values swapped between two names. */
        set_fill(&set, swapped_a);
        add(ix, &set, 200);
        set_fill(&set, swapped_b);
        ck_assert(!lookup(ix, &set, &v));
        add(ix, &set, 201);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 201);
        set_fill(&set, swapped_a);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 200);
        sl_kvs_release(&set);
}
END_TEST

/* The index keeps copies: the caller's bytes may change after add. */
START_TEST(keeps_copies) {
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        char name[] = "level", value[] = "info";
        struct sl_kvs set;
        uint32_t v = 0;

        sl_kvs_init(&set);
        sl_kvs_set(&set, sl_str_c(name), sl_str_c(value));
        add(ix, &set, 3);
        memcpy(value, "warn", 4);
        ck_assert(!lookup(ix, &set, &v));
        memcpy(value, "info", 4);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 3);
        sl_kvs_release(&set);
}
END_TEST

/* A simple model: a set is "name=value;" pairs in name order, sets are equal
 * when those strings are. Random sets over a small universe (so repeats
 * and near repeats are frequent) must get the model's answer. */
struct model_set {
        char key[256];  /* canonical text of the set */
        uint32_t value; /* number it was added with */
};

static void canonical(const struct sl_kvs *set, char *out, size_t size) {
        const struct sl_kv *order[8];
        size_t n = 0, at = 0;

        for (size_t i = 0; i < set->len; i++) {
                size_t j = n++;
                for (; j > 0 && sl_str_cmp(order[j - 1]->name, set->items[i].name) > 0; j--)
                        order[j] = order[j - 1];
                order[j] = &set->items[i];
        }
        out[0] = '\0';
        for (size_t i = 0; i < n; i++)
                at += (size_t)snprintf(out + at, size - at, "%.*s=%.*s;", (int)order[i]->name.len,
                                       order[i]->name.ptr, (int)order[i]->value.len,
                                       order[i]->value.ptr);
}

START_TEST(random_against_model) {
        static const char *const names[] = { "job", "level", "stream", "filename", "a", "b" };
        static const char *const values[] = { "info", "warn", "stdout", "x", "xx", "",
                                              "/var/log/containers/a-json.log",
                                              "/var/log/containers/b-json.log" };
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        static struct model_set model[2000];
        size_t n_model = 0;
        uint64_t rng = 0x2545f4914f6cdd1dULL + _i;
        struct sl_kvs set;
        char key[256];

        sl_kvs_init(&set);
        for (int round = 0; round < 6000; round++) {
                size_t n, found_at = SIZE_MAX;
                uint32_t v = UINT32_MAX;
                bool hit;

                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                n = rng % 5;
                sl_kvs_clear(&set);
                for (size_t i = 0; i < n; i++) {
                        size_t pick = (size_t)(rng >> (8 + 6 * i));
                        sl_kvs_set(&set, sl_str_c(names[pick % SL_ARRAY_SIZE(names)]),
                                   sl_str_c(values[(pick / 8) % SL_ARRAY_SIZE(values)]));
                }
                canonical(&set, key, sizeof(key));
                for (size_t i = 0; i < n_model; i++)
                        if (strcmp(model[i].key, key) == 0)
                                found_at = i;
                hit = lookup(ix, &set, &v);
                ck_assert_msg(hit == (found_at != SIZE_MAX), "round %d: %s", round, key);
                if (hit) {
                        ck_assert_uint_eq(v, model[found_at].value);
                } else if (n_model < SL_ARRAY_SIZE(model)) {
                        add(ix, &set, (uint32_t)round);
                        snprintf(model[n_model].key, sizeof(model[n_model].key), "%s", key);
                        model[n_model++].value = (uint32_t)round;
                }
                ck_assert_uint_eq(sl_label_index_count(ix), n_model);
        }
        ck_assert_uint_gt(n_model, 50);
        sl_kvs_release(&set);
}
END_TEST

/* Many sets: the table grows and rehashes; then reset forgets them all,
 * also after so many that reset gives the memory back. */
START_TEST(growth_and_reset) {
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        const size_t counts[] = { 5, 3000, 40 };
        struct sl_kvs set;
        char values[3000][16];
        uint32_t v = 0;

        sl_kvs_init(&set);
        for (size_t i = 0; i < SL_ARRAY_SIZE(values); i++)
                snprintf(values[i], sizeof(values[i]), "v%zu", i);
        for (size_t round = 0; round < SL_ARRAY_SIZE(counts); round++) {
                /* Few sets when hashes are all alike: each find compares them all. */
                size_t n = hash_bits[_i] < 8 && counts[round] > 500 ? 500 : counts[round];

                for (size_t i = 0; i < n; i++) {
                        sl_kvs_clear(&set);
                        sl_kvs_set(&set, SL_STR_LIT("job"), SL_STR_LIT("w40k"));
                        sl_kvs_set(&set, SL_STR_LIT("n"), sl_str_c(values[i]));
                        ck_assert(!lookup(ix, &set, &v));
                        add(ix, &set, (uint32_t)(round * 10000 + i));
                }
                ck_assert_uint_eq(sl_label_index_count(ix), n);
                for (size_t i = 0; i < n; i++) {
                        sl_kvs_clear(&set);
                        sl_kvs_set(&set, SL_STR_LIT("n"), sl_str_c(values[i]));
                        sl_kvs_set(&set, SL_STR_LIT("job"), SL_STR_LIT("w40k"));
                        ck_assert(lookup(ix, &set, &v));
                        ck_assert_uint_eq(v, round * 10000 + i);
                }
                sl_label_index_reset(ix);
                ck_assert_uint_eq(sl_label_index_count(ix), 0);
                for (size_t i = 0; i < n; i++) {
                        sl_kvs_clear(&set);
                        sl_kvs_set(&set, SL_STR_LIT("job"), SL_STR_LIT("w40k"));
                        sl_kvs_set(&set, SL_STR_LIT("n"), sl_str_c(values[i]));
                        ck_assert(!lookup(ix, &set, &v));
                }
        }
        /* Resetting an empty index is harmless. */
        sl_label_index_reset(ix);
        sl_label_index_reset(ix);
        sl_kvs_release(&set);
}
END_TEST

/* The empty set is a set like the others. */
START_TEST(empty_set) {
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        static const char *const one[] = { "a", "1", NULL };
        struct sl_kvs set;
        uint32_t v = 0;

        sl_kvs_init(&set);
        set_fill(&set, one);
        add(ix, &set, 1);
        sl_kvs_clear(&set);
        ck_assert(!lookup(ix, &set, &v));
        add(ix, &set, 2);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 2);
        set_fill(&set, one);
        ck_assert(lookup(ix, &set, &v));
        ck_assert_uint_eq(v, 1);
        sl_kvs_release(&set);
}
END_TEST

/* The sets found or added last are found by their pairs alone; one used
 * longer ago is not, until the hash finds it again; reset forgets them;
 * a set one byte away is never taken for a recent one. */
START_TEST(recent_sets) {
        _cleanup_(sl_label_index_freep) struct sl_label_index *ix =
                sl_label_index_new(hash_bits[_i]);
        static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
        const size_t n = SL_ARRAY_SIZE(names);
        struct sl_kvs set;
        uint32_t v = 0;

        ck_assert_int_ge(n, SL_LABEL_INDEX_RECENT + 2);
        sl_kvs_init(&set);
        ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        for (size_t i = 0; i < n; i++) {
                sl_kvs_clear(&set);
                sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
                sl_kvs_set(&set, SL_STR_LIT("level"), sl_str_c(names[i]));
                add(ix, &set, (uint32_t)(100 + i));
        }
        /* The last ones added, in any order of lookup. */
        for (size_t k = 0; k < SL_LABEL_INDEX_RECENT; k++) {
                size_t i = n - 1 - (k * 3) % SL_LABEL_INDEX_RECENT;

                sl_kvs_clear(&set);
                sl_kvs_set(&set, SL_STR_LIT("level"), sl_str_c(names[i]));
                sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
                v = 0;
                ck_assert_msg(sl_label_index_find_recent(ix, &set, &v), "set %zu", i);
                ck_assert_uint_eq(v, 100 + i);
        }
        /* The first one added is not among them; found by its hash, it is. */
        sl_kvs_clear(&set);
        sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
        sl_kvs_set(&set, SL_STR_LIT("level"), sl_str_c(names[0]));
        ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        ck_assert(sl_label_index_find(ix, sl_label_index_hash(ix, &set), &set, &v));
        ck_assert_uint_eq(v, 100);
        v = 0;
        ck_assert(sl_label_index_find_recent(ix, &set, &v));
        ck_assert_uint_eq(v, 100);
        /* One byte away from a recent set, in a value or a name. */
        sl_kvs_clear(&set);
        sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/y-json.log"));
        sl_kvs_set(&set, SL_STR_LIT("level"), sl_str_c(names[0]));
        ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        sl_kvs_clear(&set);
        sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
        sl_kvs_set(&set, SL_STR_LIT("levek"), sl_str_c(names[0]));
        ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        /* A subset of a recent set is another set. */
        sl_kvs_clear(&set);
        sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
        ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        sl_label_index_reset(ix);
        for (size_t i = 0; i < n; i++) {
                sl_kvs_clear(&set);
                sl_kvs_set(&set, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/containers/x-json.log"));
                sl_kvs_set(&set, SL_STR_LIT("level"), sl_str_c(names[i]));
                ck_assert(!sl_label_index_find_recent(ix, &set, &v));
        }
        sl_kvs_release(&set);
}
END_TEST

START_TEST(free_null) {
        sl_label_index_free(NULL);
}
END_TEST

static Suite *label_index_suite(void) {
        Suite *s = suite_create("label-index");
        TCase *tc = tcase_create("core");

        /* Room for a loaded machine and the sanitizers: thousands of rounds against a model. */
        tcase_set_timeout(tc, 30);
        int n = (int)SL_ARRAY_SIZE(hash_bits);

        tcase_add_loop_test(tc, any_order_same_set, 0, n);
        tcase_add_loop_test(tc, near_misses_differ, 0, n);
        tcase_add_loop_test(tc, keeps_copies, 0, n);
        tcase_add_loop_test(tc, random_against_model, 0, n);
        tcase_add_loop_test(tc, growth_and_reset, 0, n);
        tcase_add_loop_test(tc, empty_set, 0, n);
        tcase_add_loop_test(tc, recent_sets, 0, n);
        tcase_add_test(tc, free_null);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(label_index_suite)
