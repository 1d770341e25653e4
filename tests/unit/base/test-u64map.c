/* test-u64map.c - struct sl_u64map against a plain array model. */
#include <stdint.h>
#include <stdlib.h>

#include "base/u64map.h"
#include "sl-test.h"

START_TEST(matches_model_under_random_ops)
{
        enum { N = 512 };
        static uint64_t model[N];
        static bool present[N];
        struct sl_u64map m;
        uint64_t rng = 42, v;

        sl_u64map_init(&m);
        for (int step = 0; step < 20000; step++) {
                uint64_t k;
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                k = rng % N;
                if (rng & (1ULL << 40)) {
                        sl_u64map_put(&m, k * 1000003, step);
                        model[k] = (uint64_t)step;
                        present[k] = true;
                } else {
                        ck_assert_int_eq(sl_u64map_del(&m, k * 1000003), present[k]);
                        present[k] = false;
                }
        }
        size_t count = 0;
        for (int k = 0; k < N; k++) {
                bool got = sl_u64map_get(&m, (uint64_t)k * 1000003, &v);
                ck_assert_int_eq(got, present[k]);
                if (got)
                        ck_assert_uint_eq(v, model[k]);
                count += present[k];
        }
        ck_assert_uint_eq(m.len, count);
        sl_u64map_release(&m);
}
END_TEST

START_TEST(empty_map_lookups)
{
        struct sl_u64map m;
        uint64_t v = 7;
        sl_u64map_init(&m);
        ck_assert(!sl_u64map_get(&m, 1, &v));
        ck_assert(!sl_u64map_del(&m, 1));
        ck_assert_uint_eq(v, 7);
        sl_u64map_release(&m);
}
END_TEST

static Suite *u64map_suite(void) {
        Suite *s = suite_create("u64map");
        TCase *tc = tcase_create("u64map");
        tcase_add_test(tc, matches_model_under_random_ops);
        tcase_add_test(tc, empty_map_lookups);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(u64map_suite)
