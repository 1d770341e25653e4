/* test-regex.c - stage regexes: compile errors, searches on any bytes, and
 * the limits that bound a pathological pattern on a hostile line. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl-test.h"
#include "stages/regex.h"

static struct sl_regex *compile_ok(const char *pattern) {
        struct sl_regex *re = NULL;
        char msg[256] = "";
        size_t offset = 0;

        ck_assert_msg(sl_regex_new(pattern, &re, msg, sizeof(msg), &offset) == 0, "%s: %s", pattern, msg);
        return re;
}

START_TEST(compile_errors) {
        static const struct {
                const char *pattern;
                size_t offset;
        } cases[] = { { "(unclosed", 9 }, { "a{2,1}", 5 }, { "[z-a]", 3 }, { "\\", 1 } };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_regex *re = NULL;
                char msg[256] = "";
                size_t offset = 0;

                ck_assert_int_eq(sl_regex_new(cases[i].pattern, &re, msg, sizeof(msg), &offset), -EINVAL);
                ck_assert_ptr_null(re);
                ck_assert_msg(msg[0] != '\0', "%s: no message", cases[i].pattern);
                ck_assert_msg(offset == cases[i].offset, "%s: offset %zu", cases[i].pattern, offset);
        }
}
END_TEST

START_TEST(searches) {
        _cleanup_(sl_regex_freep) struct sl_regex *re = compile_ok("GET /(health|ready)z? ");
        _cleanup_(sl_regex_freep) struct sl_regex *any = compile_ok("^$");
        _cleanup_(sl_regex_freep) struct sl_regex *utf = compile_ok("^caf.$");

        ck_assert_int_eq(sl_regex_search(re, SL_STR_LIT("10.0.0.1 GET /readyz 200")), 1);
        ck_assert_int_eq(sl_regex_search(re, SL_STR_LIT("GET /users 200")), 0);
        /* Bytes that are not UTF-8 do not stop a search. */
        ck_assert_int_eq(sl_regex_search(re, SL_STR_LIT("\xff\xfe GET /health 1")), 1);
        /* The subject is a slice: bytes past its length are not seen. */
        ck_assert_int_eq(sl_regex_search(re, sl_str_from("GET /health 1", 11)), 0);
        ck_assert_int_eq(sl_regex_search(any, SL_STR_NULL), 1);
        ck_assert_int_eq(sl_regex_search(any, SL_STR_LIT("x")), 0);
        /* '.' is one character, as in RE2. */
        ck_assert_int_eq(sl_regex_search(utf, SL_STR_LIT("caf\xc3\xa9")), 1);
}
END_TEST

/* (a+)+$ backtracks 2^n times on n a's and a c. Without limits of its own
 * PCRE2 tries them all on 21 a's (2 million steps) and then matches the
 * second alternative; under sluice's limit the search stops and says so.
 * The same line, short, matches. */
START_TEST(limits_bound_backtracking) {
        _cleanup_(sl_regex_freep) struct sl_regex *re = compile_ok("^(?:(a+)+$|a+c)");
        char line[64];

        ck_assert_int_eq(sl_regex_search(re, SL_STR_LIT("aaac")), 1);
        memset(line, 'a', 21);
        line[21] = 'c';
        ck_assert_int_eq(sl_regex_search(re, sl_str_from(line, 22)), -E2BIG);
        memset(line, 'a', 40);
        line[40] = '!';
        ck_assert_int_eq(sl_regex_search(re, sl_str_from(line, 41)), -E2BIG);
}
END_TEST

/* A nested group repeated over a long line needs a backtracking frame per
 * repetition: the depth (or heap) limit stops it, it does not grow memory
 * without bound. */
START_TEST(limits_bound_memory) {
        _cleanup_(sl_regex_freep) struct sl_regex *re = compile_ok("^(?:(ab|cd)(?=.))*x$");
        size_t n = 4 << 20;
        char *line = malloc(n + 1);

        for (size_t i = 0; i < n; i += 2)
                memcpy(line + i, "ab", 2);
        line[n] = 'y';
        ck_assert_int_eq(sl_regex_search(re, sl_str_from(line, n + 1)), -E2BIG);
        free(line);
}
END_TEST

static Suite *regex_suite(void) {
        Suite *s = suite_create("regex");
        TCase *tc = tcase_create("regex");

        tcase_add_test(tc, compile_errors);
        tcase_add_test(tc, searches);
        tcase_add_test(tc, limits_bound_backtracking);
        tcase_add_test(tc, limits_bound_memory);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(regex_suite)
