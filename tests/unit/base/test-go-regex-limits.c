/* test-go-regex-limits.c - go-regex's search limits: a pathological pattern on a
 * hostile line is cut short (and says so) instead of costing unbounded
 * time or memory; ordinary searches on any bytes are unaffected. (The RE2
 * syntax and Go semantics are test-go-regex.c's.) */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl-test.h"
#include "base/go-regex.h"

static struct sl_go_regex *compile_ok(const char *pattern) {
        struct sl_go_regex *re = NULL;
        char msg[256] = "";

        ck_assert_msg(sl_go_regex_new(pattern, &re, msg, sizeof(msg)) == 0, "%s: %s", pattern, msg);
        return re;
}

/* Runs the cheap searches after which @re is JIT-compiled (go-regex.h),
 * so that what follows is searched by the JIT and not the interpreter. */
static void warm(struct sl_go_regex *re) {
        for (unsigned i = 0; i < SL_GO_REGEX_JIT_AFTER; i++)
                (void)sl_go_regex_matches(re, SL_STR_LIT("b"));
}

START_TEST(compile_errors) {
        static const char *const cases[] = { "(unclosed", "a{2,1}", "[z-a]", "\\" };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_go_regex *re = NULL;
                char msg[256] = "";

                ck_assert_int_eq(sl_go_regex_new(cases[i], &re, msg, sizeof(msg)), -EINVAL);
                ck_assert_ptr_null(re);
                ck_assert_msg(msg[0] != '\0', "%s: no message", cases[i]);
        }
}
END_TEST

START_TEST(searches) {
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *re = compile_ok("GET /(health|ready)z? ");
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *any = compile_ok("^$");
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *utf = compile_ok("^caf.$");

        ck_assert(sl_go_regex_matches(re, SL_STR_LIT("10.0.0.1 GET /readyz 200")));
        ck_assert(!sl_go_regex_matches(re, SL_STR_LIT("GET /users 200")));
        ck_assert(!sl_go_regex_limited(re));
        /* Bytes that are not UTF-8 do not stop a search. */
        ck_assert(sl_go_regex_matches(re, SL_STR_LIT("\xff\xfe GET /health 1")));
        /* The subject is a slice: bytes past its length are not seen. */
        ck_assert(!sl_go_regex_matches(re, sl_str_from("GET /health 1", 11)));
        ck_assert(sl_go_regex_matches(any, SL_STR_NULL));
        ck_assert(!sl_go_regex_matches(any, SL_STR_LIT("x")));
        /* '.' is one character, as in RE2. */
        ck_assert(sl_go_regex_matches(utf, SL_STR_LIT("caf\xc3\xa9")));
}
END_TEST

/* (a+)+$ backtracks 2^n times on n a's and a c. Without limits of its own
 * PCRE2 tries them all on 21 a's (2 million steps) and then matches the
 * second alternative; under sluice's limit the search stops and says so.
 * The same line, short, matches. */
START_TEST(limits_bound_backtracking) {
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *re = compile_ok("^(?:(a+)+$|a+c)");
        char line[64];

        /* First by the interpreter, then (_i == 1) by the JIT. */
        if (_i == 1)
                warm(re);
        ck_assert(sl_go_regex_matches(re, SL_STR_LIT("aaac")));
        ck_assert(!sl_go_regex_limited(re));
        memset(line, 'a', 21);
        line[21] = 'c';
        ck_assert(!sl_go_regex_matches(re, sl_str_from(line, 22)));
        ck_assert(sl_go_regex_limited(re));
        memset(line, 'a', 40);
        line[40] = '!';
        ck_assert(!sl_go_regex_matches(re, sl_str_from(line, 41)));
        ck_assert(sl_go_regex_limited(re));
        /* The next search starts afresh. */
        ck_assert(sl_go_regex_matches(re, SL_STR_LIT("ac")));
        ck_assert(!sl_go_regex_limited(re));
}
END_TEST

/* A group repeated over a long line needs a backtracking frame per
 * repetition: a limit stops it, memory does not grow without bound. */
START_TEST(limits_bound_memory) {
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *re = compile_ok("^(?:(ab|cd)+)*x$");
        size_t n = 4 << 20;
        char *line = malloc(n + 1);

        if (_i == 1)
                warm(re);
        for (size_t i = 0; i < n; i += 2)
                memcpy(line + i, "ab", 2);
        line[n] = 'y';
        ck_assert(!sl_go_regex_matches(re, sl_str_from(line, n + 1)));
        ck_assert(sl_go_regex_limited(re));
        free(line);
}
END_TEST

static Suite *regex_suite(void) {
        Suite *s = suite_create("regex");
        TCase *tc = tcase_create("regex");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, compile_errors);
        tcase_add_test(tc, searches);
        tcase_add_loop_test(tc, limits_bound_backtracking, 0, 2);
        tcase_add_loop_test(tc, limits_bound_memory, 0, 2);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(regex_suite)
