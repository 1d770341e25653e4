/* test-go-regex.c - Go RE2 syntax on PCRE2: what is refused, what Go
 * means, and Go's ReplaceAll and Expand. Replacement cases from the
 * examples of Go's regexp package documentation. */
#include <check.h>
#include <string.h>

#include "base/buf.h"
#include "sl-test.h"
#include "base/go-regex.h"

static struct sl_go_regex *compile(const char *pattern) {
        struct sl_go_regex *re = NULL;
        char msg[256];

        ck_assert_msg(sl_go_regex_new(pattern, &re, msg, sizeof(msg)) == 0, "%s: %s", pattern, msg);
        return re;
}

static void refused(const char *pattern, const char *why) {
        struct sl_go_regex *re = NULL;
        char msg[256] = "";

        ck_assert_msg(sl_go_regex_new(pattern, &re, msg, sizeof(msg)) == -EINVAL, "%s accepted", pattern);
        ck_assert_ptr_null(re);
        ck_assert_msg(strstr(msg, why), "%s: %s", pattern, msg);
}

START_TEST(refuses_what_go_refuses) {
        refused("(a)\\1", "backreference");
        refused("(?P<n>a)(?P=n)", "unsupported group");
        refused("(?<n>a)\\k<n>", "invalid escape");
        refused("a(?=b)", "lookaround");
        refused("a(?!b)", "lookaround");
        refused("(?<=a)b", "lookaround");
        refused("(?<!a)b", "lookaround");
        refused("(?>ab)", "atomic");
        refused("(?(1)a|b)", "conditionals");
        refused("(?R)", "recursion");
        refused("(?#comment)", "unsupported group");
        refused("(?)", "unsupported group");
        refused("a*+", "nested repetition");
        refused("a++", "nested repetition");
        refused("a**", "nested repetition");
        refused("a{2}{3}", "nested repetition");
        refused("a{1001}", "repeat count");
        refused("a{1,1001}", "repeat count");
        refused("a\\Z", "invalid escape");
        refused("\\Ga", "invalid escape");
        refused("a\\K", "invalid escape");
        refused("\\R", "invalid escape");
        refused("\\h", "invalid escape");
        refused("[\\e]", "invalid escape");
        refused("a\\", "trailing backslash");
        refused("[ab", "missing closing ]");
        refused("(?P<a-b>x)", "invalid named capture");
        refused("\\x4", "invalid escape");
        refused("\\x{}", "invalid escape");
        refused("\\x{12", "invalid escape");
        refused("\\p{Greek", "invalid character class");
        refused("(unclosed", "missing closing parenthesis");
}
END_TEST

/* Whether @pattern matches @subject, asked of the interpreter and, after
 * the searches that make it JIT-compile the pattern (go-regex.h), of the
 * JIT: the two must agree. */
static bool match(const char *pattern, const char *subject) {
        struct sl_go_regex *re = compile(pattern);
        bool r = sl_go_regex_matches(re, sl_str_c(subject));
        for (unsigned i = 1; i <= SL_GO_REGEX_JIT_AFTER; i++)
                ck_assert_msg(sl_go_regex_matches(re, sl_str_c(subject)) == r,
                              "%s on \"%s\": search %u disagrees with the first", pattern, subject, i);
        sl_go_regex_free(re);
        return r;
}

START_TEST(go_meanings) {
        /* $ is the end of the text, not before a final newline */
        ck_assert(!match("a$", "a\n"));
        ck_assert(match("(?m)a$", "a\nb"));
        /* . stops at \n unless (?s) */
        ck_assert(!match("a.b", "a\nb"));
        ck_assert(match("(?s)a.b", "a\nb"));
        ck_assert(match("a.b", "a\rb"));
        /* \v is the vertical tab only */
        ck_assert(match("^\\v$", "\v"));
        ck_assert(!match("^\\v$", "\n"));
        ck_assert(match("^[\\v]$", "\v"));
        /* octal escapes */
        ck_assert(match("^\\101\\0$", "A\0") == false); /* NUL ends the C string: no match */
        ck_assert(match("^\\101$", "A"));
        /* ASCII classes, Unicode properties, (?<name>), (?U), \Q..\E, {literal */
        ck_assert(!match("^\\w$", "\xc3\xa9"));
        ck_assert(match("^\\pL$", "\xc3\xa9"));
        /* \x{...}, \xHH, \p{Name} and \P{Name} keep their braces (the
         * multiline documentation page's zero-width space) */
        ck_assert(match("^\\x{200B}\\[", "\xe2\x80\x8b[2021"));
        ck_assert(!match("^\\x{200B}\\[", "[2021"));
        ck_assert(match("^\\x41\\x{42}$", "AB"));
        ck_assert(match("^[\\x{e9}\\x41]+$", "A\xc3\xa9"));
        ck_assert(match("^\\p{Greek}+$", "\xce\xb1\xce\xb2"));
        ck_assert(!match("^\\P{Greek}$", "\xce\xb1"));
        ck_assert(match("^(?<x>a)$", "a"));
        ck_assert(match("^\\Qa.b\\E$", "a.b"));
        ck_assert(!match("^\\Qa.b\\E$", "axb"));
        ck_assert(match("^a{,2}$", "a{,2}"));
        ck_assert(match("^[[:alpha:]]+$", "abc"));
        ck_assert(match("^(?:ab)+(?i:C)$", "ababc"));
        ck_assert(match("^[]a]+$", "]a"));
        /* invalid UTF-8 is still searched */
        ck_assert(match("b", "\xff" "b"));
        /* unanchored: leftmost-first */
        {
                struct sl_go_regex *re = compile("a|ab");
                struct sl_str s = sl_str_c("xxab");
                ck_assert(sl_go_regex_search(re, s, 0));
                ck_assert(sl_str_eq_c(sl_go_regex_group(re, s, 0, NULL), "a"));
                sl_go_regex_free(re);
        }
        {
                struct sl_go_regex *re = compile("(?U)a+");
                struct sl_str s = sl_str_c("aaa");
                ck_assert(sl_go_regex_search(re, s, 0));
                ck_assert(sl_str_eq_c(sl_go_regex_group(re, s, 0, NULL), "a"));
                sl_go_regex_free(re);
        }
}
END_TEST

static void replace(const char *pattern, const char *subject, const char *repl, bool literal,
                    const char *want) {
        struct sl_go_regex *re = compile(pattern);
        struct sl_buf out;

        sl_buf_init(&out, 1 << 16);
        ck_assert_int_eq(sl_go_regex_replace_all(re, sl_str_c(subject), sl_str_c(repl), literal, &out), 0);
        ck_assert_msg(strcmp(out.data ? out.data : "", want) == 0, "%s on %s with %s: got %s, want %s",
                      pattern, subject, repl, out.data ? out.data : "", want);
        sl_buf_release(&out);
        sl_go_regex_free(re);
}

START_TEST(replace_all) {
        replace("a(x*)b", "-ab-axxb-", "T", false, "-T-T-");
        replace("a(x*)b", "-ab-axxb-", "$1", false, "--xx-");
        replace("a(x*)b", "-ab-axxb-", "$1W", false, "---");
        replace("a(x*)b", "-ab-axxb-", "${1}W", false, "-W-xxW-");
        replace("a(?P<x>x*)b", "-ab-axxb-", "${x}W", false, "-W-xxW-");
        replace("a(?P<x>x*)b", "-ab-axxb-", "$x.", false, "-.-xx.-");
        replace("a(x*)b", "-ab-axxb-", "$$1", false, "-$1-$1-");
        replace("a(x*)b", "-ab-axxb-", "${1", false, "-${1-${1-");
        replace("a(x*)b", "-ab-axxb-", "$", false, "-$-$-");
        replace("a(x*)b", "-ab-axxb-", "T", true, "-T-T-");
        replace("a(x*)b", "-ab-axxb-", "$1", true, "-$1-$1-");
        replace("a(x*)b", "-ab-axxb-", "${1}", true, "-${1}-${1}-");
        /* empty matches: not right after a match, one rune at a time */
        replace("a*", "baaac", "X", false, "XbXcX");
        replace("", "h\xc3\xa9", "-", false, "-h-\xc3\xa9-");
        replace("x*", "", "-", false, "-");
        replace("b", "abc", "", false, "ac");
}
END_TEST

START_TEST(group_names) {
        struct sl_go_regex *re = compile("(?P<a>x)(y)(?<c>z)");

        ck_assert_uint_eq(sl_go_regex_groups(re), 3);
        ck_assert_str_eq(sl_go_regex_group_name(re, 1), "a");
        ck_assert_ptr_null(sl_go_regex_group_name(re, 2));
        ck_assert_str_eq(sl_go_regex_group_name(re, 3), "c");
        ck_assert_ptr_null(sl_go_regex_group_name(re, 4));
        sl_go_regex_free(re);
}
END_TEST

/* An empty subject without a pointer (as an empty struct sl_buf gives it,
 * str.h allows it): matched, its groups and expansions are empty, with no
 * arithmetic on the pointer (found by fuzz-relabel: a relabel rule whose
 * source labels are all missing). */
START_TEST(empty_subject_without_pointer) {
        struct sl_go_regex *re = compile("^(?s:(.*))$");
        struct sl_str none = { NULL, 0 };
        struct sl_buf out;
        bool set = false;

        sl_buf_init(&out, 64);
        ck_assert(sl_go_regex_search(re, none, 0));
        ck_assert_uint_eq(sl_go_regex_group(re, none, 1, &set).len, 0);
        ck_assert(set);
        ck_assert_int_eq(sl_go_regex_expand(re, none, SL_STR_LIT("<$1>$0"), &out), 0);
        ck_assert_uint_eq(out.len, 2);
        ck_assert_int_eq(memcmp(out.data, "<>", 2), 0);
        sl_buf_release(&out);
        sl_go_regex_free(re);
}
END_TEST

static Suite *go_regex_suite(void) {
        Suite *s = suite_create("go-regex");
        TCase *tc = tcase_create("go-regex");

        tcase_add_test(tc, refuses_what_go_refuses);
        tcase_add_test(tc, go_meanings);
        tcase_add_test(tc, replace_all);
        tcase_add_test(tc, group_names);
        tcase_add_test(tc, empty_subject_without_pointer);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(go_regex_suite)
