/* test-token-bucket.c - the token bucket behind limits_config.readline_rate:
 * starts full, refills at the rate up to the burst, allow() takes a token
 * only when there is one, reserve() always takes one and says how long
 * until it is paid for. Times are given, never read. */
#include "base/time-util.h"
#include "base/token-bucket.h"
#include "sl-test.h"

#define MS SL_NSEC_PER_MSEC
#define S SL_NSEC_PER_SEC
#define T0 (1000 * S) /* any start: the bucket measures from it */

START_TEST(full_at_start_then_refills) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 1.0, 3, T0);
        ck_assert(sl_token_bucket_allow(&b, T0));
        ck_assert(sl_token_bucket_allow(&b, T0));
        ck_assert(sl_token_bucket_allow(&b, T0));
        ck_assert(!sl_token_bucket_allow(&b, T0));
        ck_assert(!sl_token_bucket_allow(&b, T0 + 500 * MS)); /* half a token */
        ck_assert(sl_token_bucket_allow(&b, T0 + 1 * S));
        ck_assert(!sl_token_bucket_allow(&b, T0 + 1 * S));
}
END_TEST

/* A refusal takes nothing: the half token stays and grows to one. */
START_TEST(refusal_takes_nothing) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 2.0, 1, T0);
        ck_assert(sl_token_bucket_allow(&b, T0));
        for (int i = 0; i < 10; i++)
                ck_assert(!sl_token_bucket_allow(&b, T0 + 250 * MS));
        ck_assert(sl_token_bucket_allow(&b, T0 + 500 * MS));
}
END_TEST

START_TEST(refill_capped_at_burst) {
        struct sl_token_bucket b;
        int allowed = 0;

        sl_token_bucket_init(&b, 100.0, 5, T0);
        for (int i = 0; i < 5; i++)
                ck_assert(sl_token_bucket_allow(&b, T0));
        /* An hour idle still gives only the burst. */
        while (sl_token_bucket_allow(&b, T0 + 3600 * S))
                allowed++;
        ck_assert_int_eq(allowed, 5);
}
END_TEST

/* Over a long run, allow() lets through burst + rate * time. */
START_TEST(long_run_rate) {
        struct sl_token_bucket b;
        uint64_t allowed = 0;

        sl_token_bucket_init(&b, 100.0, 10, T0);
        for (uint64_t t = 0; t <= 10 * S; t += 1 * MS)
                for (int k = 0; k < 3; k++)
                        allowed += sl_token_bucket_allow(&b, T0 + t);
        ck_assert_uint_ge(allowed, 1009);
        ck_assert_uint_le(allowed, 1010);
}
END_TEST

START_TEST(fractional_rate) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 0.5, 1, T0);
        ck_assert(sl_token_bucket_allow(&b, T0));
        ck_assert(!sl_token_bucket_allow(&b, T0 + 1999 * MS));
        ck_assert(sl_token_bucket_allow(&b, T0 + 2 * S));
}
END_TEST

/* The wait mode: every reservation is granted; the debt says how long to
 * hold off. rate 10/s: one token every 100ms. */
START_TEST(reserve_goes_into_debt) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 10.0, 1, T0);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0), 0);
        ck_assert_uint_eq(sl_token_bucket_reserve(&b, T0), 0);
        /* Paid for; the next token comes in 100ms. */
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0), 100 * MS);
        ck_assert_uint_eq(sl_token_bucket_reserve(&b, T0), 100 * MS);
        ck_assert_uint_eq(sl_token_bucket_reserve(&b, T0), 200 * MS);
        ck_assert(sl_token_bucket_tokens(&b, T0) == -2);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0), 300 * MS);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0 + 150 * MS), 150 * MS);
        /* allow() finds no token while in debt. */
        ck_assert(!sl_token_bucket_allow(&b, T0 + 150 * MS));
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0 + 300 * MS), 0);
        ck_assert_uint_eq(sl_token_bucket_reserve(&b, T0 + 300 * MS), 0);
}
END_TEST

/* Waiting for several tokens at once: n - tokens at the rate. */
START_TEST(wait_for_several) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 100.0, 50, T0);
        for (int i = 0; i < 50; i++)
                sl_token_bucket_reserve(&b, T0);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 1, T0), 10 * MS);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 10, T0), 100 * MS);
        ck_assert_uint_eq(sl_token_bucket_wait_ns(&b, 10, T0 + 100 * MS), 0);
        ck_assert(sl_token_bucket_tokens(&b, T0 + 250 * MS) == 25);
}
END_TEST

/* Reading in rounds while the debt is paid: the long-run rate holds. */
START_TEST(reserve_long_run_rate) {
        struct sl_token_bucket b;
        uint64_t t = T0, taken = 0;

        sl_token_bucket_init(&b, 1000.0, 100, T0);
        while (t < T0 + 10 * S) {
                uint64_t wait = sl_token_bucket_wait_ns(&b, 1, t);
                if (wait) {
                        t += wait;
                        continue;
                }
                for (int k = 0; k < 250; k++) /* one read round: 250 lines */
                        sl_token_bucket_reserve(&b, t);
                taken += 250;
        }
        /* burst + rate * 10s, give or take a round. */
        ck_assert_uint_ge(taken, 10100 - 500);
        ck_assert_uint_le(taken, 10100 + 250);
}
END_TEST

START_TEST(clock_going_back) {
        struct sl_token_bucket b;

        sl_token_bucket_init(&b, 1.0, 1, T0);
        ck_assert(sl_token_bucket_allow(&b, T0));
        ck_assert(!sl_token_bucket_allow(&b, T0 - 10 * S));
        ck_assert(!sl_token_bucket_allow(&b, T0 + 999 * MS));
        ck_assert(sl_token_bucket_allow(&b, T0 + 1 * S));
}
END_TEST

static Suite *token_bucket_suite(void) {
        Suite *s = suite_create("token-bucket");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, full_at_start_then_refills);
        tcase_add_test(tc, refusal_takes_nothing);
        tcase_add_test(tc, refill_capped_at_burst);
        tcase_add_test(tc, long_run_rate);
        tcase_add_test(tc, fractional_rate);
        tcase_add_test(tc, reserve_goes_into_debt);
        tcase_add_test(tc, reserve_long_run_rate);
        tcase_add_test(tc, wait_for_several);
        tcase_add_test(tc, clock_going_back);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(token_bucket_suite)
