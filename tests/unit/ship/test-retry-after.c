/* test-retry-after.c - Retry-After values and HTTP-dates, table-driven. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "ship/retry-after.h"
#include "sl-test.h"

#define NOW_2025 1764115200LL /* 2025-11-26T00:00:00Z */

struct date_case {
        const char *text;   /* the value */
        int64_t now_s;      /* for two-digit years */
        int ret;            /* expected return */
        int64_t unix_s;     /* expected time when ret is 0 */
};

static const struct date_case dates[] = {
        /* The example of RFC 9110 in its three forms. */
        { "Sun, 06 Nov 1994 08:49:37 GMT", NOW_2025, 0, 784111777 },
        { "Sunday, 06-Nov-94 08:49:37 GMT", NOW_2025, 0, 784111777 },
        { "Sun Nov  6 08:49:37 1994", NOW_2025, 0, 784111777 },
        { "  Sun, 06 Nov 1994 08:49:37 GMT \r\n", NOW_2025, 0, 784111777 },
        { "Thu, 01 Jan 1970 00:00:00 GMT", NOW_2025, 0, 0 },
        { "Wed, 26 Nov 2025 00:00:00 GMT", NOW_2025, 0, NOW_2025 },
        { "Thu, 29 Feb 2024 12:00:00 GMT", NOW_2025, 0, 1709208000 },
        { "Tue, 29 Feb 2000 00:00:00 GMT", NOW_2025, 0, 951782400 },
        { "Fri, 31 Dec 9999 23:59:59 GMT", NOW_2025, 0, 253402300799LL },
        { "Sat, 31 Dec 2016 23:59:60 GMT", NOW_2025, 0, 1483228800 }, /* leap second */
        { "Thu Feb 29 12:00:00 2024", NOW_2025, 0, 1709208000 },
        { "Mon Dec 31 23:59:59 2029", NOW_2025, 0, 1893455999 },
        /* RFC 850 years: within 50 years of now. */
        { "Monday, 01-Jan-74 00:00:00 GMT", NOW_2025, 0, 3281990400LL },  /* 2074 */
        { "Thursday, 01-Jan-76 00:00:00 GMT", NOW_2025, 0, 189302400 },     /* 1976 */
        { "Tuesday, 01-Jan-30 00:00:00 GMT", NOW_2025, 0, 1893456000 },    /* 2030 */
        /* Not HTTP-dates, or impossible ones. */
        { "", NOW_2025, -EINVAL, 0 },
        { "soon", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 08:49:37 UTC", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 08:49:37", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 08:49:37 GMT x", NOW_2025, -EINVAL, 0 },
        { "Sun, 6 Nov 1994 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
        { "sun, 06 Nov 1994 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 nov 1994 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 94 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
        { "Wed, 29 Feb 2023 00:00:00 GMT", NOW_2025, -EINVAL, 0 },
        { "Thu, 29 Feb 1900 00:00:00 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 31 Apr 1994 00:00:00 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 00 Nov 1994 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 24:00:00 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 08:60:00 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun, 06 Nov 1994 08:49:61 GMT", NOW_2025, -EINVAL, 0 },
        { "Sun Nov 6 08:49:37 1994", NOW_2025, -EINVAL, 0 },
        { "Sunday, 06 Nov 1994 08:49:37 GMT", NOW_2025, -EINVAL, 0 },
};

START_TEST(test_http_dates) {
        for (size_t i = 0; i < SL_ARRAY_SIZE(dates); i++) {
                const struct date_case *t = &dates[i];
                int64_t got = -42;
                int r = sl_http_date_parse(sl_str_c(t->text), t->now_s, &got);

                ck_assert_msg(r == t->ret, "\"%s\": returned %d, expected %d", t->text, r, t->ret);
                if (t->ret == 0)
                        ck_assert_msg(got == t->unix_s, "\"%s\": %lld, expected %lld", t->text,
                                      (long long)got, (long long)t->unix_s);
                else
                        ck_assert_int_eq(got, -42); /* nothing written */
        }
}
END_TEST

struct value_case {
        const char *text;
        int ret;
        enum sl_retry_after_kind kind;
        int64_t value;
};

static const struct value_case values[] = {
        { "0", 0, SL_RETRY_AFTER_DELAY, 0 },
        { "120", 0, SL_RETRY_AFTER_DELAY, 120 },
        { " 5 \r\n", 0, SL_RETRY_AFTER_DELAY, 5 },
        { "99999999999999999999999", 0, SL_RETRY_AFTER_DELAY, SL_RETRY_AFTER_MAX_S },
        { "Sun, 06 Nov 1994 08:49:37 GMT", 0, SL_RETRY_AFTER_DATE, 784111777 },
        { "Sun Nov  6 08:49:37 1994", 0, SL_RETRY_AFTER_DATE, 784111777 },
        { "", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
        { "  ", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
        { "-1", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
        { "1.5", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
        { "5s", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
        { "tomorrow", -EINVAL, SL_RETRY_AFTER_NONE, 0 },
};

START_TEST(test_retry_after_values) {
        for (size_t i = 0; i < SL_ARRAY_SIZE(values); i++) {
                const struct value_case *t = &values[i];
                struct sl_retry_after ra = { SL_RETRY_AFTER_NONE, -42 };
                int r = sl_retry_after_parse(sl_str_c(t->text), NOW_2025, &ra);

                ck_assert_msg(r == t->ret, "\"%s\": returned %d", t->text, r);
                if (r == 0) {
                        ck_assert_int_eq(ra.kind, t->kind);
                        ck_assert_int_eq(ra.value, t->value);
                } else {
                        ck_assert_int_eq(ra.kind, SL_RETRY_AFTER_NONE);
                        ck_assert_int_eq(ra.value, -42);
                }
        }
}
END_TEST

struct wait_case {
        struct sl_retry_after ra;
        int64_t server_date_s; /* negative: no Date header */
        int64_t now_wall_ns;
        uint64_t cap_ns;
        uint64_t expected_ns;
};

#define S(x) ((uint64_t)(x) * SL_NSEC_PER_SEC)
#define NOW_NS ((int64_t)NOW_2025 * (int64_t)SL_NSEC_PER_SEC)

static const struct wait_case waits[] = {
        /* delay-seconds, capped */
        { { SL_RETRY_AFTER_DELAY, 3 }, -1, NOW_NS, S(300), S(3) },
        { { SL_RETRY_AFTER_DELAY, 0 }, -1, NOW_NS, S(300), 0 },
        { { SL_RETRY_AFTER_DELAY, 3600 }, -1, NOW_NS, S(300), S(300) },
        { { SL_RETRY_AFTER_DELAY, SL_RETRY_AFTER_MAX_S }, -1, NOW_NS, UINT64_MAX,
          S(SL_RETRY_AFTER_MAX_S) },
        /* a date against the local clock, to the ns */
        { { SL_RETRY_AFTER_DATE, NOW_2025 + 10 }, -1, NOW_NS, S(300), S(10) },
        { { SL_RETRY_AFTER_DATE, NOW_2025 + 10 }, -1, NOW_NS + 250000000, S(300),
          S(10) - 250000000 },
        { { SL_RETRY_AFTER_DATE, NOW_2025 + 10 }, -1, NOW_NS, S(4), S(4) },
        { { SL_RETRY_AFTER_DATE, NOW_2025 }, -1, NOW_NS, S(300), 0 },
        { { SL_RETRY_AFTER_DATE, NOW_2025 - 100 }, -1, NOW_NS, S(300), 0 },
        /* a date against the answer's Date: this host's clock does not matter */
        { { SL_RETRY_AFTER_DATE, NOW_2025 + 10 }, NOW_2025 + 5, NOW_NS + S(3600), S(300), S(5) },
        { { SL_RETRY_AFTER_DATE, NOW_2025 + 10 }, NOW_2025 + 20, NOW_NS, S(300), 0 },
        { { SL_RETRY_AFTER_DATE, 253402300799LL }, NOW_2025, NOW_NS, UINT64_MAX,
          S(SL_RETRY_AFTER_MAX_S) },
        /* none */
        { { SL_RETRY_AFTER_NONE, 0 }, -1, NOW_NS, S(300), 0 },
};

START_TEST(test_wait) {
        for (size_t i = 0; i < SL_ARRAY_SIZE(waits); i++) {
                const struct wait_case *t = &waits[i];
                uint64_t got = sl_retry_after_wait_ns(&t->ra, t->server_date_s, t->now_wall_ns,
                                                      t->cap_ns);
                ck_assert_msg(got == t->expected_ns, "case %zu: %llu ns, expected %llu", i,
                              (unsigned long long)got, (unsigned long long)t->expected_ns);
        }
}
END_TEST

static Suite *retry_after_suite(void) {
        Suite *s = suite_create("retry-after");
        TCase *tc = tcase_create("parse");

        tcase_add_test(tc, test_http_dates);
        tcase_add_test(tc, test_retry_after_values);
        tcase_add_test(tc, test_wait);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(retry_after_suite)
