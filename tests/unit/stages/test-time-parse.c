/* test-time-parse.c - RFC 3339 and Unix timestamps to ns. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sl-test.h"
#include "stages/time-parse.h"

#define S 1000000000LL

static const struct {
        const char *text;
        int64_t want; /* ignored when bad */
        bool bad;
} rfc_cases[] = {
        { "1970-01-01T00:00:00Z", 0, false },
        { "2026-01-02T03:04:05Z", 1767323045 * S, false },
        { "2026-01-02T03:04:05.123456789Z", 1767323045 * S + 123456789, false },
        { "2026-01-02T03:04:05.1Z", 1767323045 * S + 100000000, false },
        { "2026-01-02t03:04:05.000001z", 1767323045 * S + 1000, false },
        /* digits past the ns are ignored, as Go does */
        { "2026-01-02T03:04:05.1234567891234Z", 1767323045 * S + 123456789, false },
        { "2026-01-02T03:04:05+02:00", 1767315845 * S, false },
        { "2026-01-02T03:04:05.5-01:30", (1767323045LL + 5400) * S + 500000000, false },
        { "2000-02-29T23:59:59Z", 951868799 * S, false },
        { "1969-12-31T23:59:59.5Z", -500000000, false },
        { "1900-01-01T00:00:00Z", -2208988800LL * S, false },
        /* bad */
        { "", 0, true },
        { "2026-01-02", 0, true },
        { "2026-01-02T03:04:05", 0, true },          /* no zone */
        { "2026-01-02 03:04:05Z", 0, true },         /* space, not T */
        { "2026-13-02T03:04:05Z", 0, true },
        { "2026-00-02T03:04:05Z", 0, true },
        { "2026-02-29T03:04:05Z", 0, true },         /* not a leap year */
        { "2026-04-31T03:04:05Z", 0, true },
        { "2026-01-02T24:00:00Z", 0, true },
        { "2026-01-02T03:60:05Z", 0, true },
        { "2026-01-02T03:04:60Z", 0, true },
        { "2026-01-02T03:04:05.Z", 0, true },
        { "2026-01-02T03:04:05Zjunk", 0, true },
        { "2026-01-02T03:04:05+0200", 0, true },
        { "2026-01-02T03:04:05+24:00", 0, true },
        { "2026-1-02T03:04:05Z", 0, true },
        { "x026-01-02T03:04:05Z", 0, true },
        { "9999-01-02T03:04:05Z", 0, true },         /* past int64 ns */
};

START_TEST(rfc3339_table) {
        const char *text = rfc_cases[_i].text;
        int64_t got = 777;
        int r = sl_time_parse_rfc3339(sl_str_c(text), &got);

        if (rfc_cases[_i].bad) {
                ck_assert_msg(r == -EINVAL, "\"%s\" accepted as %lld", text, (long long)got);
                ck_assert_int_eq(got, 777);
        } else {
                ck_assert_msg(r == 0, "\"%s\" refused", text);
                ck_assert_msg(got == rfc_cases[_i].want, "\"%s\": got %lld want %lld", text,
                              (long long)got, (long long)rfc_cases[_i].want);
        }
}
END_TEST

/* Docker writes a time per line, most of them within the same minute:
 * one after the other, every one reads as it does alone. */
START_TEST(rfc3339_in_sequence) {
        static const struct {
                const char *text;
                int64_t want;
                bool bad;
        } seq[] = {
                { "2026-01-02T03:04:05.000191389Z", 1767323045 * S + 191389, false },
                { "2026-01-02T03:04:05.987654321Z", 1767323045 * S + 987654321, false },
                { "2026-01-02T03:04:59.12345678Z", 1767323099 * S + 123456780, false },
                { "2026-01-02T03:04:07.1234567Z", 1767323047 * S + 123456700, false },
                { "2026-01-02T03:04:07.12345678912Z", 1767323047 * S + 123456789, false },
                { "2026-01-02T03:04:60.000000000Z", 0, true },
                { "2026-01-02T03:04:1x.000000000Z", 0, true },
                { "2026-01-02T03:04+05.000000000Z", 0, true },
                { "2026-01-02T03:04:05.1234x678Z", 0, true },
                { "2026-01-02T03:04:05.12345678", 0, true },
                { "2026-01-02T03:04:05.000000001+01:00", 1767319445 * S + 1, false },
                { "2026-01-02T03:05:00.5Z", 1767323100 * S + 500000000, false },
                { "2026-01-02T03:04:05Z", 1767323045 * S, false },
                { "2026-02-30T03:04:05Z", 0, true },
                { "2026-02-30T03:04:05Z", 0, true },
                { "2026-01-02T03:04:05Z", 1767323045 * S, false },
        };

        for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
                int64_t got = 777;
                int r = sl_time_parse_rfc3339(sl_str_c(seq[i].text), &got);

                if (seq[i].bad) {
                        ck_assert_msg(r == -EINVAL, "\"%s\" accepted as %lld", seq[i].text,
                                      (long long)got);
                        ck_assert_int_eq(got, 777);
                } else {
                        ck_assert_msg(r == 0, "\"%s\" refused", seq[i].text);
                        ck_assert_msg(got == seq[i].want, "\"%s\": got %lld want %lld", seq[i].text,
                                      (long long)got, (long long)seq[i].want);
                }
        }
}
END_TEST

static const struct {
        const char *text;
        int64_t unit;
        int64_t want;
        bool bad;
} unix_cases[] = {
        { "0", S, 0, false },
        { "1700000000", S, 1700000000 * S, false },
        { "1700000000.123", S, 1700000000 * S + 123000000, false },
        { "1700000000.123456789", S, 1700000000 * S + 123456789, false },
        { "1700000000.1234567899", S, 1700000000 * S + 123456789, false },
        { "-1.5", S, -1500000000, false },
        { "1700000000123", 1000000, 1700000000123LL * 1000000, false },
        { "1700000000123.5", 1000000, 0, true },
        { "1700000000123456", 1000, 1700000000123456LL * 1000, false },
        { "1700000000123456789", 1, 1700000000123456789LL, false },
        { "9223372036854775807", 1, INT64_MAX, false },
        { "", S, 0, true },
        { "-", S, 0, true },
        { "1.", S, 0, true },
        { ".5", S, 0, true },
        { "1e9", S, 0, true },
        { "12a", S, 0, true },
        { " 12", S, 0, true },
        { "9223372036854775808", 1, 0, true },
        { "9223372037", S, 0, true },
        { "99999999999999999999999", S, 0, true },
        /* read 8 digits at a time where there are 8 */
        { "12345678", 1, 12345678, false },
        { "1234567812345678", 1, 1234567812345678LL, false },
        { "-1700000000123", 1000000, -1700000000123LL * 1000000, false },
        { "1700000x00123", 1000000, 0, true },
        { "17000000:0123", 1000000, 0, true },
        { "170000000/123", 1000000, 0, true },
        { "9223372036854775807", 10, 0, true },
};

START_TEST(unix_table) {
        const char *text = unix_cases[_i].text;
        int64_t got = 777;
        int r = sl_time_parse_unix(sl_str_c(text), unix_cases[_i].unit, unix_cases[_i].unit == S,
                                   &got);

        if (unix_cases[_i].bad) {
                ck_assert_msg(r == -EINVAL, "\"%s\" accepted as %lld", text, (long long)got);
                ck_assert_int_eq(got, 777);
        } else {
                ck_assert_msg(r == 0, "\"%s\" refused", text);
                ck_assert_msg(got == unix_cases[_i].want, "\"%s\": got %lld want %lld", text,
                              (long long)got, (long long)unix_cases[_i].want);
        }
}
END_TEST

START_TEST(fraction_only_when_asked) {
        int64_t got = 0;

        ck_assert_int_eq(sl_time_parse_unix(SL_STR_LIT("1.5"), S, true, &got), 0);
        ck_assert_int_eq(got, S + S / 2);
        ck_assert_int_eq(sl_time_parse_unix(SL_STR_LIT("1.5"), S, false, &got), -EINVAL);
        ck_assert_int_eq(sl_time_parse_unix(SL_STR_LIT("1.5"), 1000000, true, &got), 0);
        ck_assert_int_eq(got, 1500000);
}
END_TEST

START_TEST(slices_are_length_bound) {
        int64_t got;

        /* The slice ends before the junk. */
        ck_assert_int_eq(sl_time_parse_unix(sl_str_from("123xyz", 3), S, true, &got), 0);
        ck_assert_int_eq(got, 123 * S);
        ck_assert_int_eq(sl_time_parse_rfc3339(sl_str_from("1970-01-01T00:00:01Zjunk", 20), &got), 0);
        ck_assert_int_eq(got, S);
}
END_TEST

static Suite *time_parse_suite(void) {
        Suite *s = suite_create("time-parse");
        TCase *tc = tcase_create("parse");

        tcase_add_loop_test(tc, rfc3339_table, 0, (int)(sizeof(rfc_cases) / sizeof(rfc_cases[0])));
        tcase_add_test(tc, rfc3339_in_sequence);
        tcase_add_loop_test(tc, unix_table, 0, (int)(sizeof(unix_cases) / sizeof(unix_cases[0])));
        tcase_add_test(tc, fraction_only_when_asked);
        tcase_add_test(tc, slices_are_length_bound);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(time_parse_suite)
