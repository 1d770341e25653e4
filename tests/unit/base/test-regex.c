/* test-regex.c - RE2 syntax on PCRE2: what is refused, what is rewritten,
 * anchoring, and Go's Regexp.Expand rules for $1, ${1}, $name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/regex.h"
#include "sl-test.h"

static char *translate(const char *pattern, char *err, size_t n) {
        static char out[512];
        struct sl_buf b;
        int r;

        sl_buf_init(&b, 4096);
        err[0] = '\0';
        r = sl_regex_translate(pattern, &b, err, n);
        if (r < 0) {
                sl_buf_release(&b);
                return NULL;
        }
        snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
        sl_buf_release(&b);
        return out;
}

START_TEST(rewrites_escapes_pcre_reads_otherwise)
{
        char err[256];

        ck_assert_str_eq(translate("a\\vb", err, sizeof(err)), "a\\x0Bb");
        ck_assert_str_eq(translate("[\\v\\d]", err, sizeof(err)), "[\\x0B\\d]");
        ck_assert_str_eq(translate("\\12x", err, sizeof(err)), "\\o{12}x");
        ck_assert_str_eq(translate("\\0", err, sizeof(err)), "\\o{0}");
        ck_assert_str_eq(translate("\\1234", err, sizeof(err)), "\\o{123}4");
        /* A brace that is not a repeat is a literal, as in RE2. */
        ck_assert_str_eq(translate("a{,3}", err, sizeof(err)), "a\\{,3}");
        ck_assert_str_eq(translate("a{x}", err, sizeof(err)), "a\\{x}");
        /* Kept as they are. */
        ck_assert_str_eq(translate("(?P<n>a)(?<m>b)(?i:c)(?sU)\\pL\\p{Greek}[[:alpha:]]",
                                   err, sizeof(err)),
                         "(?P<n>a)(?<m>b)(?i:c)(?sU)\\pL\\p{Greek}[[:alpha:]]");
        ck_assert_str_eq(translate("\\Qa*(b\\E+", err, sizeof(err)), "\\Qa*(b\\E+");
        ck_assert_str_eq(translate("a{2,3}?b*?c+?d??", err, sizeof(err)), "a{2,3}?b*?c+?d??");
        ck_assert_str_eq(translate("[]a]", err, sizeof(err)), "[]a]");
        ck_assert_str_eq(translate("[^]a]\\x41\\x{263a}", err, sizeof(err)),
                         "[^]a]\\x41\\x{263a}");
}
END_TEST

START_TEST(refuses_what_re2_refuses)
{
        static const char *const bad[] = {
                "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "(a)\\1", "\\8", "(?P=n)",
                "(?P>n)", "(?R)", "(?1)", "(?(1)a|b)", "a*+", "a++", "a?+", "a{2}+", "a**",
                "a*??", "a{2}{3}", "\\K", "\\e", "\\Z", "\\G", "\\h", "\\R", "(*UTF)a", "(?x)a",
                "(?J)a", "a{1001}", "a{2,1001}", "[a", "\\", "\\x4", "\\x{}", "(?<n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sl_regex *re = NULL;
                char err[256] = "";
                int r = sl_regex_new(bad[i], 0, &re, err, sizeof(err));

                ck_assert_msg(r == -EINVAL, "accepted %s", bad[i]);
                ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
        }
}
END_TEST

START_TEST(errors_pcre_finds_are_reported)
{
        struct sl_regex *re = NULL;
        char err[256] = "";

        ck_assert_int_eq(sl_regex_new("(a", 0, &re, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "parenthes") != NULL, "%s", err);
        ck_assert_int_eq(sl_regex_new("*a", 0, &re, err, sizeof(err)), -EINVAL);
}
END_TEST

static bool full(const char *pattern, const char *s) {
        struct sl_regex *re = NULL;
        char err[256];
        bool m;

        ck_assert_msg(sl_regex_new(pattern, SL_REGEX_ANCHORED, &re, err, sizeof(err)) == 0, "%s",
                      err);
        m = sl_regex_match(re, sl_str_c(s));
        sl_regex_free(re);
        return m;
}

START_TEST(anchored_is_whole_string_and_dot_all)
{
        ck_assert(full("f(.*)", "foo"));
        ck_assert(!full("f(.*)", "xfoo"));
        ck_assert(!full("f|o", "foo"));
        ck_assert(full("line1.*line2", "line1\nline2"));
        ck_assert(full("", ""));
        ck_assert(!full("", "a"));
        /* $ is the end of the text, never before a final newline. */
        ck_assert(!full("a$", "a\n"));
        ck_assert(full("a\\n", "a\n"));
        ck_assert(full("(?i)FOO", "foo"));
        ck_assert(full("é.", "éé"));
        ck_assert(full("\\d+", "123"));
        ck_assert(!full("\\d", "\xd9\xa3")); /* ARABIC-INDIC DIGIT THREE: \d is ASCII */
        ck_assert(full("\\w+", "a_1"));
}
END_TEST

START_TEST(unanchored_dollar_is_end_of_text)
{
        struct sl_regex *re = NULL;
        char err[256];

        ck_assert_int_eq(sl_regex_new("b$", 0, &re, err, sizeof(err)), 0);
        ck_assert(sl_regex_match(re, sl_str_c("ab")));
        ck_assert(!sl_regex_match(re, sl_str_c("ab\n")));
        sl_regex_free(re);
        ck_assert_int_eq(sl_regex_new("(?m)b$", 0, &re, err, sizeof(err)), 0);
        ck_assert(sl_regex_match(re, sl_str_c("ab\nc")));
        sl_regex_free(re);
}
END_TEST

static const char *expand(const char *pattern, const char *subject, const char *tmpl) {
        static char out[256];
        struct sl_regex *re = NULL;
        struct sl_buf b;
        char err[256];

        ck_assert(sl_regex_new(pattern, SL_REGEX_ANCHORED, &re, err, sizeof(err)) == 0);
        ck_assert(sl_regex_match(re, sl_str_c(subject)));
        sl_buf_init(&b, 1024);
        ck_assert_int_eq(sl_regex_expand(re, sl_str_c(tmpl), &b), 0);
        snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
        sl_buf_release(&b);
        sl_regex_free(re);
        return out;
}

START_TEST(expand_follows_go)
{
        ck_assert_str_eq(expand("f(.*)", "foo", "ch${1}-ch$1"), "choo-choo");
        /* The longest name: $1x is ${1x}, which does not exist. */
        ck_assert_str_eq(expand("f(.*)", "foo", "$1x"), "");
        ck_assert_str_eq(expand("f(.*)", "foo", "${1}x"), "oox");
        ck_assert_str_eq(expand("f(.*)", "foo", "$$1"), "$1");
        ck_assert_str_eq(expand("f(.*)", "foo", "a$"), "a$");
        ck_assert_str_eq(expand("f(.*)", "foo", "a${"), "a${");
        ck_assert_str_eq(expand("f(.*)", "foo", "a${1"), "a${1");
        ck_assert_str_eq(expand("f(.*)", "foo", "a$-b"), "a$-b");
        ck_assert_str_eq(expand("f(.*)", "foo", "$0"), "foo");
        ck_assert_str_eq(expand("f(.*)", "foo", "[$2]"), "[]");
        ck_assert_str_eq(expand("f(.*)", "foo", "[$01]"), "[]");
        ck_assert_str_eq(expand("(line1).*(?<second>line2)", "line1\nline2",
                                "${1}_${second}_$second"),
                         "line1_line2_line2");
        ck_assert_str_eq(expand("(?P<x>a)|(b)", "b", "[$x][$2]"), "[][b]");
}
END_TEST

START_TEST(invalid_utf8_matches_no_character)
{
        /* Bytes that are not UTF-8 are never a character (where Go's RE2
         * would read each as U+FFFD): a documented difference. */
        ck_assert(!full("a.*", "a\xff\xfe"));
        ck_assert(full("a.*", "a\xc3\xbf"));
        /* \xff is the character U+00FF, as in Go, not the byte. */
        ck_assert(!full("\\xff", "\xff"));
        ck_assert(full("\\xff", "\xc3\xbf"));
}
END_TEST

static Suite *regex_suite(void) {
        Suite *s = suite_create("regex");
        TCase *tc = tcase_create("regex");

        tcase_add_test(tc, rewrites_escapes_pcre_reads_otherwise);
        tcase_add_test(tc, refuses_what_re2_refuses);
        tcase_add_test(tc, errors_pcre_finds_are_reported);
        tcase_add_test(tc, anchored_is_whole_string_and_dot_all);
        tcase_add_test(tc, unanchored_dollar_is_end_of_text);
        tcase_add_test(tc, expand_follows_go);
        tcase_add_test(tc, invalid_utf8_matches_no_character);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(regex_suite)
