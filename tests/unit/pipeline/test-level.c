/* test-level.c - sl_level_parse(), sl_level_from_name(), sl_level_name(),
 * sl_level_str(). */
#include <check.h>
#include <string.h>

#include "pipeline/level.h"
#include "sl-test.h"

static const struct {
        const char *text;
        enum sl_level want;
} parse_cases[] = {
        /* pino numbers, exact */
        { "10", SL_LEVEL_TRACE },
        { "20", SL_LEVEL_DEBUG },
        { "30", SL_LEVEL_INFO },
        { "40", SL_LEVEL_WARN },
        { "50", SL_LEVEL_ERROR },
        { "60", SL_LEVEL_FATAL },
        /* between steps: the step below */
        { "0", SL_LEVEL_TRACE },
        { "5", SL_LEVEL_TRACE },
        { "19", SL_LEVEL_TRACE },
        { "25", SL_LEVEL_DEBUG },
        { "35", SL_LEVEL_INFO },
        { "49", SL_LEVEL_WARN },
        { "59", SL_LEVEL_ERROR },
        { "61", SL_LEVEL_FATAL },
        { "100", SL_LEVEL_FATAL },
        { "99999999999999999999999", SL_LEVEL_FATAL },
        /* names, any case */
        { "trace", SL_LEVEL_TRACE },
        { "TRACE", SL_LEVEL_TRACE },
        { "debug", SL_LEVEL_DEBUG },
        { "Debug", SL_LEVEL_DEBUG },
        { "dbg", SL_LEVEL_DEBUG },
        { "info", SL_LEVEL_INFO },
        { "INFO", SL_LEVEL_INFO },
        { "information", SL_LEVEL_INFO },
        { "Informational", SL_LEVEL_INFO },
        { "notice", SL_LEVEL_INFO },
        { "warn", SL_LEVEL_WARN },
        { "WARNING", SL_LEVEL_WARN },
        { "err", SL_LEVEL_ERROR },
        { "ERR", SL_LEVEL_ERROR },
        { "error", SL_LEVEL_ERROR },
        { "crit", SL_LEVEL_FATAL },
        { "critical", SL_LEVEL_FATAL },
        { "alert", SL_LEVEL_FATAL },
        { "emerg", SL_LEVEL_FATAL },
        { "emergency", SL_LEVEL_FATAL },
        { "fatal", SL_LEVEL_FATAL },
        { "PANIC", SL_LEVEL_FATAL },
        /* blanks around are ignored */
        { " info ", SL_LEVEL_INFO },
        { "\t40\n", SL_LEVEL_WARN },
        /* not levels */
        { "", SL_LEVEL_UNKNOWN },
        { "   ", SL_LEVEL_UNKNOWN },
        { "-10", SL_LEVEL_UNKNOWN },
        { "30.5", SL_LEVEL_UNKNOWN },
        { "3O", SL_LEVEL_UNKNOWN },
        { "inf", SL_LEVEL_UNKNOWN },
        { "infos", SL_LEVEL_UNKNOWN },
        { "warn ing", SL_LEVEL_UNKNOWN },
        { "verbose", SL_LEVEL_UNKNOWN },
};

START_TEST(parse_table) {
        const char *text = parse_cases[_i].text;
        enum sl_level got = sl_level_parse(sl_str_c(text));

        ck_assert_msg(got == parse_cases[_i].want, "\"%s\": got %s, want %s", text,
                      sl_level_name(got), sl_level_name(parse_cases[_i].want));
}
END_TEST

START_TEST(parse_is_length_bound) {
        /* The slice stops before "0": "3" alone is trace, not info. */
        ck_assert_int_eq(sl_level_parse(sl_str_from("30", 1)), SL_LEVEL_TRACE);
        ck_assert_int_eq(sl_level_parse(sl_str_from("infoXYZ", 4)), SL_LEVEL_INFO);
        ck_assert_int_eq(sl_level_parse(SL_STR_NULL), SL_LEVEL_UNKNOWN);
}
END_TEST

START_TEST(names_round_trip) {
        for (enum sl_level l = SL_LEVEL_TRACE; l <= SL_LEVEL_FATAL; l++) {
                const char *name = sl_level_name(l);
                ck_assert_int_eq(sl_level_from_name(name), l);
                ck_assert_int_eq(sl_level_parse(sl_str_c(name)), l);
        }
        ck_assert_str_eq(sl_level_name(SL_LEVEL_UNKNOWN), "unknown");
        ck_assert_str_eq(sl_level_name(SL_LEVEL_WARN), "warn");
        ck_assert_str_eq(sl_level_name((enum sl_level)42), "unknown");
        /* The slice form spells every level as the string form does. */
        for (enum sl_level l = SL_LEVEL_UNKNOWN; l <= SL_LEVEL_FATAL + 1; l++)
                ck_assert(sl_str_eq_c(sl_level_str(l), sl_level_name(l)));
}
END_TEST

START_TEST(from_name_is_names_only) {
        ck_assert_int_eq(sl_level_from_name("WARNING"), SL_LEVEL_WARN);
        ck_assert_int_eq(sl_level_from_name("notice"), SL_LEVEL_INFO);
        ck_assert_int_eq(sl_level_from_name("30"), SL_LEVEL_UNKNOWN);
        ck_assert_int_eq(sl_level_from_name("nope"), SL_LEVEL_UNKNOWN);
        ck_assert_int_eq(sl_level_from_name(NULL), SL_LEVEL_UNKNOWN);
}
END_TEST

START_TEST(order_is_severity) {
        ck_assert_int_lt(SL_LEVEL_UNKNOWN, SL_LEVEL_TRACE);
        ck_assert_int_lt(SL_LEVEL_TRACE, SL_LEVEL_DEBUG);
        ck_assert_int_lt(SL_LEVEL_DEBUG, SL_LEVEL_INFO);
        ck_assert_int_lt(SL_LEVEL_INFO, SL_LEVEL_WARN);
        ck_assert_int_lt(SL_LEVEL_WARN, SL_LEVEL_ERROR);
        ck_assert_int_lt(SL_LEVEL_ERROR, SL_LEVEL_FATAL);
}
END_TEST

static Suite *level_suite(void) {
        Suite *s = suite_create("level");
        TCase *tc = tcase_create("parse");

        tcase_add_loop_test(tc, parse_table, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
        tcase_add_test(tc, parse_is_length_bound);
        tcase_add_test(tc, names_round_trip);
        tcase_add_test(tc, from_name_is_names_only);
        tcase_add_test(tc, order_is_severity);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(level_suite)
