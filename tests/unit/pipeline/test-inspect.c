/* test-inspect.c - -inspect's report of one stage: what changed, in
 * Promtail's go-cmp path notation, and the verdict. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "base/buf.h"
#include "core/entry.h"
#include "pipeline/inspect.h"
#include "pipeline/stage.h"
#include "sl-test.h"

static struct sl_entry before, after;
static struct sl_buf out;

static void setup(void) {
        sl_entry_init(&before);
        sl_entry_init(&after);
        sl_buf_init(&out, 1 << 20);
}

static void teardown(void) {
        sl_entry_release(&before);
        sl_entry_release(&after);
        sl_buf_release(&out);
}

static const char *report(const char *stage, int verdict, bool color) {
        sl_buf_reset(&out);
        sl_inspect_report(&out, stage, &before, &after, verdict, color);
        ck_assert_uint_eq(out.data[out.len - 1], '\n');
        return out.data;
}

/* Nothing changed: Promtail's "none". */
START_TEST(none) {
        before.line = after.line = SL_STR_LIT("same");
        ck_assert_str_eq(report("json", SL_STAGE_KEEP, false), "[inspect: json stage]: none\n");
}
END_TEST

/* Additions, changes and removals of extracted values, labels and
 * metadata, names in order within each; the time as Go prints it; the
 * line. */
START_TEST(changes) {
        before.line = SL_STR_LIT("{\"level\":\"info\",\"msg\":\"hi\"}");
        after.line = SL_STR_LIT("hi");
        sl_kvs_set(&before.extracted, SL_STR_LIT("gone"), SL_STR_LIT("x"));
        sl_kvs_set(&after.extracted, SL_STR_LIT("msg"), SL_STR_LIT("hi"));
        sl_kvs_set(&after.extracted, SL_STR_LIT("level"), SL_STR_LIT("info"));
        sl_kvs_set(&before.labels, SL_STR_LIT("job"), SL_STR_LIT("a"));
        sl_kvs_set(&after.labels, SL_STR_LIT("job"), SL_STR_LIT("b"));
        sl_kvs_set(&after.metadata, SL_STR_LIT("trace_id"), SL_STR_LIT("t1"));
        before.ts_ns = 0;
        after.ts_ns = 1556590361844351500LL;
        ck_assert_str_eq(report("json", SL_STAGE_KEEP, false),
                         "[inspect: json stage]: \n"
                         "{stages.Entry}.Extracted[\"gone\"]:\n\t-: x\n"
                         "{stages.Entry}.Extracted[\"level\"]:\n\t+: info\n"
                         "{stages.Entry}.Extracted[\"msg\"]:\n\t+: hi\n"
                         "{stages.Entry}.Entry.Labels[\"job\"]:\n\t-: a\n\t+: b\n"
                         "{stages.Entry}.Entry.Entry.Timestamp:\n\t-: (not set)\n"
                         "\t+: 2019-04-30 02:12:41.8443515 +0000 UTC\n"
                         "{stages.Entry}.Entry.Entry.Line:\n\t-: {\"level\":\"info\",\"msg\":\"hi\"}\n\t+: hi\n"
                         "{stages.Entry}.Entry.Entry.StructuredMetadata[\"trace_id\"]:\n\t+: t1\n");
}
END_TEST

/* Whole seconds print without a fraction. */
START_TEST(whole_second) {
        before.ts_ns = 1000000000LL;
        after.ts_ns = 2000000000LL;
        ck_assert_str_eq(report("timestamp", SL_STAGE_KEEP, false),
                         "[inspect: timestamp stage]: \n"
                         "{stages.Entry}.Entry.Entry.Timestamp:\n"
                         "\t-: 1970-01-01 00:00:01 +0000 UTC\n"
                         "\t+: 1970-01-01 00:00:02 +0000 UTC\n");
}
END_TEST

/* What became of the entry, beyond Promtail's report. */
START_TEST(verdicts) {
        after.drop_reason = "match_stage";
        ck_assert_str_eq(report("match", SL_STAGE_DROP, false),
                         "[inspect: match stage]: \n\tdropped: match_stage\n");
        after.drop_reason = NULL;
        ck_assert_str_eq(report("drop", SL_STAGE_DROP, false),
                         "[inspect: drop stage]: \n\tdropped: unknown\n");
        ck_assert_str_eq(report("multiline", SL_STAGE_HOLD, false),
                         "[inspect: multiline stage]: \n\theld: released later, with others\n");
        ck_assert_ptr_nonnull(strstr(report("regex", -ENOBUFS, false), "\tfailed: "));
}
END_TEST

/* With color: the stage's name bold, additions green, changes yellow,
 * removals red, "none" red; every color reset. */
START_TEST(colors) {
        const char *r;

        sl_kvs_set(&after.labels, SL_STR_LIT("a"), SL_STR_LIT("1"));
        r = report("labels", SL_STAGE_KEEP, true);
        ck_assert_ptr_nonnull(strstr(r, "\033[1mlabels\033[0m"));
        ck_assert_ptr_nonnull(strstr(r, "\033[32m{stages.Entry}.Entry.Labels[\"a\"]:\033[0m"));
        ck_assert_ptr_nonnull(strstr(r, "\033[32m\t+: 1\033[0m"));
        sl_kvs_set(&before.labels, SL_STR_LIT("a"), SL_STR_LIT("0"));
        r = report("labels", SL_STAGE_KEEP, true);
        ck_assert_ptr_nonnull(strstr(r, "\033[33m\t-: 0\033[0m"));
        sl_kvs_clear(&after.labels);
        r = report("labeldrop", SL_STAGE_KEEP, true);
        ck_assert_ptr_nonnull(strstr(r, "\033[31m\t-: 0\033[0m"));
        sl_kvs_clear(&before.labels);
        r = report("noop", SL_STAGE_KEEP, true);
        ck_assert_ptr_nonnull(strstr(r, "\033[31mnone\033[0m"));
}
END_TEST

static Suite *inspect_suite(void) {
        Suite *s = suite_create("inspect");
        TCase *tc = tcase_create("report");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, none);
        tcase_add_test(tc, changes);
        tcase_add_test(tc, whole_second);
        tcase_add_test(tc, verdicts);
        tcase_add_test(tc, colors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(inspect_suite)
