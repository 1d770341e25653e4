/* test-line-split.c - sl_line_next(): tables of inputs, and the same inputs
 * fed in pieces of every size as a reader would see them. */
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "sl-test.h"
#include "tail/line-split.h"

struct split_case {
        const char *name;
        const char *input;      /* may hold NULs: see len */
        size_t len;
        const char *lines[6];   /* expected lines, NULL-terminated (may hold NULs) */
        size_t line_lens[6];    /* their lengths */
        size_t rest;            /* bytes left without a '\n' */
};

#define S(s) s, sizeof(s) - 1

static const struct split_case cases[] = {
        { "empty",             S(""),                 { NULL }, { 0 }, 0 },
        { "no newline",        S("abc"),              { NULL }, { 0 }, 3 },
        { "one line",          S("abc\n"),            { "abc", NULL }, { 3 }, 0 },
        { "two and a rest",    S("a\nbc\nd"),         { "a", "bc", NULL }, { 1, 2 }, 1 },
        { "empty lines",       S("\n\nx\n\n"),        { "", "", "x", "", NULL }, { 0, 0, 1, 0 }, 0 },
        { "crlf kept",         S("a\r\nb\r\n"),       { "a\r", "b\r", NULL }, { 2, 2 }, 0 },
        { "lone cr is a byte", S("a\rb\n"),           { "a\rb", NULL }, { 3 }, 0 },
        { "nul inside",        S("a\0b\n\0\n"),       { "a\0b", "\0", NULL }, { 3, 1 }, 0 },
        { "trailing cr",       S("x\r"),              { NULL }, { 0 }, 2 },
};

/* Splits [p, p+len) fully; checks against @c; returns bytes left over. */
static size_t check_split(const struct split_case *c, const char *p, size_t len, size_t *li) {
        size_t pos = 0, n;
        struct sl_str line;

        while ((n = sl_line_next(p + pos, len - pos, &line)) > 0) {
                ck_assert_msg(c->lines[*li], "%s: unexpected line %zu", c->name, *li);
                ck_assert_uint_eq(line.len, c->line_lens[*li]);
                ck_assert_msg(memcmp(line.ptr, c->lines[*li], line.len) == 0, "%s: line %zu",
                              c->name, *li);
                /* The slice points into the input, just before its '\n'. */
                ck_assert_ptr_eq(line.ptr, p + pos);
                ck_assert_int_eq(line.ptr[line.len], '\n');
                ck_assert_uint_eq(n, line.len + 1);
                (*li)++;
                pos += n;
        }
        return len - pos;
}

START_TEST(table)
{
        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                const struct split_case *c = &cases[i];
                size_t li = 0, rest = check_split(c, c->input, c->len, &li);

                ck_assert_msg(c->lines[li] == NULL, "%s: missing line %zu", c->name, li);
                ck_assert_uint_eq(rest, c->rest);
        }
}
END_TEST

/* The input arrives in pieces of @chunk bytes; complete lines are taken
 * from the front of the buffer and the partial tail moves to the front, as
 * the tailer does. Every case must come out the same for every piece size. */
START_TEST(across_read_boundaries)
{
        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                const struct split_case *c = &cases[i];

                for (size_t chunk = 1; chunk <= c->len + 1; chunk++) {
                        char buf[64];
                        size_t have = 0, fed = 0, li = 0;

                        while (fed < c->len) {
                                size_t n = c->len - fed < chunk ? c->len - fed : chunk;
                                size_t rest;

                                memcpy(buf + have, c->input + fed, n);
                                have += n;
                                fed += n;
                                rest = check_split(c, buf, have, &li);
                                memmove(buf, buf + have - rest, rest);
                                have = rest;
                        }
                        ck_assert_msg(c->lines[li] == NULL, "%s/%zu: missing line %zu",
                                      c->name, chunk, li);
                        ck_assert_uint_eq(have, c->rest);
                }
        }
}
END_TEST

START_TEST(no_line_leaves_output_alone)
{
        struct sl_str line = SL_STR_LIT("untouched");

        ck_assert_uint_eq(sl_line_next("abc", 3, &line), 0);
        ck_assert_uint_eq(sl_line_next(NULL, 0, &line), 0);
        ck_assert(sl_str_eq_c(line, "untouched"));
}
END_TEST

START_TEST(length_bounds_the_search)
{
        struct sl_str line;

        /* A '\n' just past @len is not seen. */
        ck_assert_uint_eq(sl_line_next("ab\n", 2, &line), 0);
        ck_assert_uint_eq(sl_line_next("ab\n", 3, &line), 3);
        ck_assert(sl_str_eq_c(line, "ab"));
}
END_TEST

static Suite *line_split_suite(void) {
        Suite *s = suite_create("line-split");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, table);
        tcase_add_test(tc, across_read_boundaries);
        tcase_add_test(tc, no_line_leaves_output_alone);
        tcase_add_test(tc, length_bounds_the_search);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(line_split_suite)
