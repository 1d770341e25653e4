/* test-backoff.c - exponential growth, the ceiling, jitter bounds, reset. */
#include "base/backoff.h"
#include "sl-test.h"

START_TEST(doubles_within_jitter_and_caps)
{
        struct sl_backoff b;
        uint64_t expect = 100;
        sl_backoff_init(&b, 100, 1000, 7);
        for (int i = 0; i < 10; i++) {
                uint64_t d = sl_backoff_next(&b);
                /* Equal jitter: the wait lies in [d/2, d]. */
                ck_assert_uint_le(d, expect);
                ck_assert_uint_ge(d, expect / 2);
                expect = expect * 2 > 1000 ? 1000 : expect * 2;
        }
        sl_backoff_reset(&b);
        ck_assert_uint_le(sl_backoff_next(&b), 100);
}
END_TEST

START_TEST(jitter_varies)
{
        struct sl_backoff b;
        uint64_t first, differs = 0;
        sl_backoff_init(&b, 1000000, 1000000, 99);
        first = sl_backoff_next(&b);
        for (int i = 0; i < 20; i++)
                differs += sl_backoff_next(&b) != first;
        ck_assert_uint_gt(differs, 0);
}
END_TEST

static Suite *backoff_suite(void) {
        Suite *s = suite_create("backoff");
        TCase *tc = tcase_create("backoff");
        tcase_add_test(tc, doubles_within_jitter_and_caps);
        tcase_add_test(tc, jitter_varies);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(backoff_suite)
