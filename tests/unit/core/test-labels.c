/* test-labels.c - label name rules and Loki's rendering of a label set. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "core/kv.h"
#include "core/labels.h"
#include "sl-test.h"

START_TEST(name_validity_table)
{
        static const struct { const char *name; bool valid; } cases[] = {
                { "job", true }, { "_x", true }, { "a1_B2", true }, { "__path__", true },
                { "", false }, { "1a", false }, { "a-b", false }, { "a.b", false }, { "é", false },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                ck_assert_msg(sl_label_name_valid(sl_str_c(cases[i].name)) == cases[i].valid,
                              "name %s", cases[i].name);
        ck_assert(sl_label_name_internal(SL_STR_LIT("__path__")));
        ck_assert(!sl_label_name_internal(SL_STR_LIT("_path")));
}
END_TEST

START_TEST(render_sorts_skips_and_escapes)
{
        struct sl_kvs kvs;
        struct sl_buf out;

        sl_kvs_init(&kvs);
        sl_buf_init(&out, 4096);
        sl_kvs_set(&kvs, SL_STR_LIT("level"), SL_STR_LIT("info"));
        sl_kvs_set(&kvs, SL_STR_LIT("__path__"), SL_STR_LIT("/var/log/x"));
        sl_kvs_set(&kvs, SL_STR_LIT("container"), SL_STR_LIT("a\"b\\c\nd\te"));
        sl_kvs_set(&kvs, SL_STR_LIT("empty"), SL_STR_LIT(""));
        sl_kvs_set(&kvs, SL_STR_LIT("bad-name"), SL_STR_LIT("x"));
        sl_kvs_set(&kvs, SL_STR_LIT("job"), SL_STR_LIT("w40k"));
        ck_assert_int_eq(sl_labels_render(&kvs, &out), 3);
        ck_assert_str_eq(out.data,
                         "{container=\"a\\\"b\\\\c\\nd\\te\", job=\"w40k\", level=\"info\"}");
        sl_buf_release(&out);
        sl_kvs_release(&kvs);
}
END_TEST

START_TEST(render_empty_set)
{
        struct sl_kvs kvs;
        struct sl_buf out;
        sl_kvs_init(&kvs);
        sl_buf_init(&out, 64);
        sl_kvs_set(&kvs, SL_STR_LIT("__internal"), SL_STR_LIT("x"));
        ck_assert_int_eq(sl_labels_render(&kvs, &out), 0);
        ck_assert_str_eq(out.data, "{}");
        sl_buf_release(&out);
        sl_kvs_release(&kvs);
}
END_TEST

START_TEST(escape_control_bytes)
{
        struct sl_buf out;
        sl_buf_init(&out, 64);
        ck_assert_int_eq(sl_label_escape(sl_str_from("a\x01z\x7f", 4), &out), 0);
        ck_assert_str_eq(out.data, "a\\x01z\\x7f");
        sl_buf_release(&out);
}
END_TEST

/* An empty value may come with a NULL pointer (str.h allows it): nothing
 * is appended and nothing is computed from the pointer (UBSan's
 * pointer-overflow check caught the old code, under a fuzzing run). */
START_TEST(escape_empty_null_value)
{
        struct sl_buf out;
        sl_buf_init(&out, 64);
        ck_assert_int_eq(sl_label_escape(SL_STR_NULL, &out), 0);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_str_eq(out.data, "");
        ck_assert_int_eq(sl_buf_append(&out, "a", 1), 0);
        ck_assert_int_eq(sl_label_escape(sl_str_from(NULL, 0), &out), 0);
        ck_assert_int_eq(sl_label_escape(sl_str_from("", 0), &out), 0);
        ck_assert_str_eq(out.data, "a");
        sl_buf_release(&out);
}
END_TEST

START_TEST(render_respects_cap)
{
        struct sl_kvs kvs;
        struct sl_buf out;
        sl_kvs_init(&kvs);
        sl_buf_init(&out, 10);
        sl_kvs_set(&kvs, SL_STR_LIT("job"), SL_STR_LIT("a-long-value"));
        ck_assert_int_eq(sl_labels_render(&kvs, &out), -ENOBUFS);
        sl_buf_release(&out);
        sl_kvs_release(&kvs);
}
END_TEST

/* Only the first SL_LABELS_RENDER_MAX labels that are sent count, in the
 * order of the set; labels that are not sent do not use up places. */
START_TEST(render_keeps_the_first_max_labels)
{
        struct sl_kvs kvs;
        struct sl_buf out;
        char names[80][8];
        int n = 0;

        sl_kvs_init(&kvs);
        sl_buf_init(&out, 1 << 16);
        for (int i = 79; i >= 0; i--) {
                snprintf(names[i], sizeof(names[i]), "l%02d", i);
                /* every tenth is internal: skipped, not counted */
                if (i % 10 == 0)
                        names[i][0] = '_', names[i][1] = '_';
                sl_kvs_set(&kvs, sl_str_c(names[i]), SL_STR_LIT("v"));
        }
        ck_assert_int_eq(sl_labels_render(&kvs, &out), SL_LABELS_RENDER_MAX);
        /* Set in the order l79, l78, ...: the first 64 sent are l79..l09 without
         * the internal ones (l70, ..., l10), so l08 and below are left out. */
        for (int i = 0; i < 80; i++) {
                char want[16];
                bool kept = i % 10 != 0 && i >= 9;

                snprintf(want, sizeof(want), "l%02d=\"v\"", i);
                ck_assert_msg((strstr(out.data, want) != NULL) == kept, "label %d", i);
                n += kept;
        }
        ck_assert_int_eq(n, SL_LABELS_RENDER_MAX);
        sl_buf_release(&out);
        sl_kvs_release(&kvs);
}
END_TEST

static Suite *labels_suite(void) {
        Suite *s = suite_create("labels");
        TCase *tc = tcase_create("labels");
        tcase_add_test(tc, name_validity_table);
        tcase_add_test(tc, render_sorts_skips_and_escapes);
        tcase_add_test(tc, render_empty_set);
        tcase_add_test(tc, escape_control_bytes);
        tcase_add_test(tc, escape_empty_null_value);
        tcase_add_test(tc, render_respects_cap);
        tcase_add_test(tc, render_keeps_the_first_max_labels);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(labels_suite)
