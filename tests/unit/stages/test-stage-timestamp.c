/* test-stage-timestamp.c - the timestamp stage: each format, fallbacks,
 * fudge and skip on failure, config errors. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

#define S 1000000000LL

static struct sl_entry e;

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

/* Runs an entry from @source with time @ts_ns and extracted t=@value. */
static int run_ts(struct sl_pipeline *p, uint64_t source, int64_t ts_ns, const char *value) {
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("line");
        e.source_id = source;
        e.ts_ns = ts_ns;
        if (value)
                sl_kvs_set(&e.extracted, SL_STR_LIT("t"), sl_str_c(value));
        return sl_pipeline_run(p, &e);
}

static const struct {
        const char *format;
        const char *value;
        int64_t want;
} format_cases[] = {
        { "RFC3339", "2026-01-02T03:04:05Z", 1767323045 * S },
        { "RFC3339", "2026-01-02T03:04:05.5+01:00", 1767319445 * S + 500000000 },
        { "RFC3339Nano", "2026-01-02T03:04:05.123456789Z", 1767323045 * S + 123456789 },
        { "RFC3339Nano", "2026-01-02T03:04:05Z", 1767323045 * S },
        { "Unix", "1700000000", 1700000000 * S },
        { "Unix", "1700000000.25", 1700000000 * S + 250000000 },
        { "UnixMs", "1700000000123", 1700000000123LL * 1000000 },
        { "UnixUs", "1700000000123456", 1700000000123456LL * 1000 },
        { "UnixNs", "1700000000123456789", 1700000000123456789LL },
};

START_TEST(each_format) {
        char yaml[128];
        struct sl_pipeline *p;

        snprintf(yaml, sizeof(yaml), "- timestamp: {source: t, format: %s}\n",
                 format_cases[_i].format);
        p = st_pipeline(yaml);
        ck_assert_int_eq(run_ts(p, 1, 5, format_cases[_i].value), SL_STAGE_KEEP);
        ck_assert_msg(e.ts_ns == format_cases[_i].want, "%s %s: got %lld",
                      format_cases[_i].format, format_cases[_i].value, (long long)e.ts_ns);
        /* Not this format: the time stays. */
        ck_assert_int_eq(run_ts(p, 1, 5, "not a time"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 5);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(fallback_formats) {
        struct sl_pipeline *p = st_pipeline("- timestamp:\n"
                                            "    source: t\n"
                                            "    format: RFC3339\n"
                                            "    fallback_formats: [UnixMs, Unix]\n");

        ck_assert_int_eq(run_ts(p, 1, 0, "2026-01-02T03:04:05Z"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1767323045 * S);
        /* UnixMs comes before Unix: an integer is read as ms. */
        ck_assert_int_eq(run_ts(p, 1, 0, "1700000000123"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1700000000123LL * 1000000);
        /* UnixMs takes whole numbers only, so Unix reads this one. */
        ck_assert_int_eq(run_ts(p, 1, 0, "1700000000.5"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1700000000 * S + 500000000);
        /* None fits: the time stays. */
        ck_assert_int_eq(run_ts(p, 1, 3, "soon"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 3);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(fudge_keeps_entry_time_or_follows_last) {
        struct sl_pipeline *p = st_pipeline("- timestamp: {source: t, format: UnixMs}\n");

        /* No time at all, nothing seen yet for the source: stays 0. */
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        /* The entry already has a time (Docker's): failure keeps it... */
        ck_assert_int_eq(run_ts(p, 1, 777, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 777);
        ck_assert_int_eq(run_ts(p, 1, 778, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 778);
        /* ...and a time-less entry after it follows it by 1ns. */
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 779);
        /* After a good read, a time-less failure follows it by 1ns, then 2. */
        ck_assert_int_eq(run_ts(p, 1, 0, "1000"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1000 * 1000000LL);
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1000 * 1000000LL + 1);
        ck_assert_int_eq(run_ts(p, 1, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1000 * 1000000LL + 2);
        /* Per source. */
        ck_assert_int_eq(run_ts(p, 2, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        /* Forgotten sources start over. */
        sl_pipeline_forget(p, 1);
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(skip_leaves_time) {
        struct sl_pipeline *p =
                st_pipeline("- timestamp: {source: t, format: Unix, action_on_failure: skip}\n");

        ck_assert_int_eq(run_ts(p, 1, 0, "10"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 10 * S);
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        ck_assert_int_eq(run_ts(p, 1, 99, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 99);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const struct {
                const char *yaml;
                const char *key;
                const char *msg_part;
        } cases[] = {
                { "- timestamp: {format: Unix}\n", "pipeline_stages[0].timestamp.source", "required" },
                { "- timestamp: {source: t}\n", "pipeline_stages[0].timestamp.format", "required" },
                { "- timestamp: {source: t, format: '2006-01-02 15:04:05'}\n",
                  "pipeline_stages[0].timestamp.format",
                  "supported: RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs, UnixNs" },
                { "- timestamp: {source: t, format: RFC1123}\n", "pipeline_stages[0].timestamp.format",
                  "unsupported format \"RFC1123\"" },
                { "- timestamp: {source: t, format: Unix, fallback_formats: UnixMs}\n",
                  "pipeline_stages[0].timestamp.fallback_formats", "list" },
                { "- timestamp: {source: t, format: Unix, fallback_formats: [UnixMs, ANSIC]}\n",
                  "pipeline_stages[0].timestamp.fallback_formats[1]", "unsupported format" },
                { "- timestamp: {source: t, format: Unix, action_on_failure: retry}\n",
                  "pipeline_stages[0].timestamp.action_on_failure", "fudge or skip" },
                { "- timestamp: {source: t, format: Unix, location: UTC}\n",
                  "pipeline_stages[0].timestamp.location", "unknown key" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_pipeline_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, cases[i].key) == 0, "case %zu: %s", i, msg);
                ck_assert_msg(strstr(err.msg, cases[i].msg_part) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(err.line == 1 && strcmp(err.file, "test.yaml") == 0, "case %zu: %s",
                              i, msg);
        }
}
END_TEST

/* A source whose previous entry had the largest time: the fudged time
 * saturates there instead of wrapping to the earliest one (a fuzzing run
 * found it with the first two lines below). A time of -1 is followed by
 * 1, not by 0, which would mean "no time". */
START_TEST(fudge_saturates) {
        static const struct {
                const char *format;
                const char *time;
                int64_t want;  /* the time of the next line without one */
                int64_t again; /* and of the one after */
        } cases[] = {
                { "Unix", "\"9223372036.854775807\"", INT64_MAX, INT64_MAX },
                { "UnixNs", "9223372036854775807", INT64_MAX, INT64_MAX },
                { "UnixNs", "9223372036854775806", INT64_MAX, INT64_MAX },
                { "UnixNs", "-1", 1, 2 },
                { "UnixNs", "-2", -1, 1 },
        };
        char yaml[256], line[128];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_pipeline *p;

                snprintf(yaml, sizeof(yaml),
                         "- json: {expressions: {time: time}}\n"
                         "- timestamp: {source: time, format: %s}\n",
                         cases[i].format);
                p = st_pipeline(yaml);
                snprintf(line, sizeof(line), "{\"time\":%s}", cases[i].time);
                ck_assert_int_eq(st_run(p, &e, 7, line), SL_STAGE_KEEP);
                ck_assert_int_eq(st_run(p, &e, 7, "{"), SL_STAGE_KEEP);
                ck_assert_msg(e.ts_ns == cases[i].want, "case %zu: %lld", i, (long long)e.ts_ns);
                ck_assert_int_eq(st_run(p, &e, 7, "{"), SL_STAGE_KEEP);
                ck_assert_msg(e.ts_ns == cases[i].again,
                              "case %zu again: %lld", i, (long long)e.ts_ns);
                sl_pipeline_free(p);
        }
}
END_TEST

static Suite *timestamp_suite(void) {
        Suite *s = suite_create("stage-timestamp");
        TCase *tc = tcase_create("timestamp");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, each_format, 0, (int)(sizeof(format_cases) / sizeof(format_cases[0])));
        tcase_add_test(tc, fallback_formats);
        tcase_add_test(tc, fudge_keeps_entry_time_or_follows_last);
        tcase_add_test(tc, fudge_saturates);
        tcase_add_test(tc, skip_leaves_time);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(timestamp_suite)
