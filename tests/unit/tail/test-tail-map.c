/* test-tail-map.c - struct sl_tail_map against a plain array model, through
 * growth and many removals (backward-shift deletion must keep every other key
 * reachable). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sl-test.h"
#include "tail/tail-map.h"

/* Keys that share their low bits, so probe runs get long. */
static uint64_t key_a(unsigned k) {
        return (uint64_t)(k % 7) << 40;
}

static uint64_t key_b(unsigned k) {
        return (uint64_t)k * 1024;
}

START_TEST(matches_model_under_random_ops)
{
        enum { N = 600 };
        static int values[N];
        static bool present[N];
        struct sl_tail_map m;
        uint64_t rng = 7;

        sl_tail_map_init(&m);
        for (int step = 0; step < 30000; step++) {
                unsigned k;

                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                k = (unsigned)(rng % N);
                if (rng & (1ULL << 41)) {
                        sl_tail_map_put(&m, key_a(k), key_b(k), &values[k]);
                        present[k] = true;
                } else {
                        void *v = sl_tail_map_remove(&m, key_a(k), key_b(k));
                        ck_assert_ptr_eq(v, present[k] ? &values[k] : NULL);
                        present[k] = false;
                }
                if (step % 997 == 0) {
                        size_t count = 0;
                        for (unsigned j = 0; j < N; j++) {
                                void *v = sl_tail_map_get(&m, key_a(j), key_b(j));
                                ck_assert_ptr_eq(v, present[j] ? &values[j] : NULL);
                                count += present[j];
                        }
                        ck_assert_uint_eq(m.len, count);
                }
        }
        sl_tail_map_release(&m);
}
END_TEST

START_TEST(iteration_visits_each_value_once)
{
        int values[100];
        int seen[100] = { 0 };
        struct sl_tail_map m;
        size_t cursor = 0, n = 0;
        int *v;

        sl_tail_map_init(&m);
        ck_assert_ptr_null(sl_tail_map_next(&m, &cursor));
        for (int i = 0; i < 100; i++)
                sl_tail_map_put(&m, (uint64_t)i, 1, &values[i]);
        /* Replacing keeps one entry per key. */
        sl_tail_map_put(&m, 5, 1, &values[5]);
        ck_assert_uint_eq(m.len, 100);
        while ((v = sl_tail_map_next(&m, &cursor))) {
                seen[v - values]++;
                n++;
        }
        ck_assert_uint_eq(n, 100);
        for (int i = 0; i < 100; i++)
                ck_assert_int_eq(seen[i], 1);
        sl_tail_map_release(&m);
}
END_TEST

START_TEST(empty_and_half_keys)
{
        struct sl_tail_map m;
        int x, y;

        sl_tail_map_init(&m);
        ck_assert_ptr_null(sl_tail_map_get(&m, 1, 2));
        ck_assert_ptr_null(sl_tail_map_remove(&m, 1, 2));
        sl_tail_map_put(&m, 1, 2, &x);
        sl_tail_map_put(&m, 2, 1, &y);
        /* Both halves make the key. */
        ck_assert_ptr_eq(sl_tail_map_get(&m, 1, 2), &x);
        ck_assert_ptr_eq(sl_tail_map_get(&m, 2, 1), &y);
        ck_assert_ptr_null(sl_tail_map_get(&m, 1, 1));
        sl_tail_map_release(&m);
        ck_assert_uint_eq(m.len, 0);
}
END_TEST

static Suite *tail_map_suite(void) {
        Suite *s = suite_create("tail-map");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, matches_model_under_random_ops);
        tcase_add_test(tc, iteration_visits_each_value_once);
        tcase_add_test(tc, empty_and_half_keys);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tail_map_suite)
