/* test-stage-timestamp.c - the timestamp stage: each format, Go layouts
 * and locations, fallbacks, fudge and skip on failure, config errors.
 * Cases from Promtail 3.4 stages/timestamp_test.go (TestTimestampValidation,
 * TestTimestampStage_Process, TestTimestampStage_ProcessActionOnFailure)
 * and the stage's documentation page. Where sluice differs (deliberately,
 * see stage-timestamp.c): fudge keeps a time the entry already has
 * (Docker's) where Promtail replaces it, so Promtail's fudge table is
 * ported with entries that have no time of their own; the last time is
 * keyed by file, Promtail's by label set (the test of colliding label
 * fingerprints has no counterpart). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"
#include "stages/go-time.h"
#include "stages/time-parse.h"
#include <time.h>

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
        /* Not this format: an entry with a time keeps it; one without
         * follows the last good one by 1ns. */
        ck_assert_int_eq(run_ts(p, 1, 5, "not a time"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 5);
        ck_assert_int_eq(run_ts(p, 1, 0, "not a time"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 6);
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

START_TEST(fudge_follows_last) {
        struct sl_pipeline *p = st_pipeline("- timestamp: {source: t, format: RFC3339Nano}\n");

        /* Nothing known yet for the source: the entry keeps its time. */
        ck_assert_int_eq(run_ts(p, 1, 1 * S, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1 * S);
        ck_assert_int_eq(run_ts(p, 4, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        /* Promtail's table: a good time, then two failures (missing). */
        ck_assert_int_eq(run_ts(p, 1, 0, "2019-10-01T01:02:03.400000000Z"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1569891723400000000LL);
        ck_assert_int_eq(run_ts(p, 1, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1569891723400000001LL);
        ck_assert_int_eq(run_ts(p, 1, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1569891723400000002LL);
        /* Per file: the right file's last time. */
        ck_assert_int_eq(run_ts(p, 2, 0, "2019-10-01T01:02:03.800000000Z"), SL_STAGE_KEEP);
        ck_assert_int_eq(run_ts(p, 1, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1569891723400000003LL);
        ck_assert_int_eq(run_ts(p, 2, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 1569891723800000001LL);
        /* An entry with its own time keeps it, and is the new last. */
        ck_assert_int_eq(run_ts(p, 2, 7 * S, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 7 * S);
        ck_assert_int_eq(run_ts(p, 2, 0, NULL), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 7 * S + 1);
        /* Forgotten sources start over. */
        sl_pipeline_forget(p, 1);
        ck_assert_int_eq(run_ts(p, 1, 0, "garbage"), SL_STAGE_KEEP);
        ck_assert_int_eq(e.ts_ns, 0);
        sl_pipeline_free(p);
}
END_TEST

/* Promtail's TestTimestampValidation and TestTimestampStage_Process, with
 * Go layouts, named layouts and locations. */
static const struct {
        const char *format, *location, *value;
        int64_t want; /* 0: fails */
} layout_cases[] = {
        { "RFC3339", NULL, "2012-11-01T22:08:41-04:00", 1351822121 * S },
        { "2006-01-02", NULL, "2009-01-01", 1230768000 * S },
        { "2006-01-02 15:04:05", "America/New_York", "2009-07-01 03:30:20", 1246433420 * S },
        { "2006-01-02 15:04:05", "America/New_York", "2019-07-22 20:29:32", 1563841772 * S },
        { "RFC3339", NULL, "2106-01-02T23:04:05-04:00", 4291931045LL * S },
        { "Unix", NULL, "1562708916.414123", 1562708916414123000LL },
        { "Unix", NULL, "1562708916.000000123", 1562708916000000123LL },
        { "UnixMs", NULL, "1562708916919", 1562708916919000000LL },
        /* the documentation page's and common layouts */
        { "02/Jan/2006:15:04:05 -0700", NULL, "25/Jan/2000:14:00:01 -0500", 948826801 * S },
        { "2006-01-02T15:04:05.000Z07:00", NULL, "2024-03-05T06:07:08.123+01:00", 1709615228123000000LL },
        { "2006-01-02T15:04:05.000Z07:00", NULL, "2024-03-05T06:07:08.12+01:00", 0 },
        { "2006-01-02 15:04:05,000", NULL, "2024-03-05 06:07:08,456", 1709618828456000000LL },
        { "2006-01-02 15:04:05.999999", NULL, "2024-03-05 06:07:08", 1709618828 * S },
        { "2006-01-02 15:04:05.999999", NULL, "2024-03-05 06:07:08.5", 1709618828500000000LL },
        { "2006-01-02 15:04:05", NULL, "2024-03-05 06:07:08.25", 1709618828250000000LL },
        { "2006/01/02 15:04:05", NULL, "2024/3/05 06:07:08", 0 },
        { "2006/1/2 3:04:05 PM", NULL, "2024/3/5 6:07:08 PM", 1709662028 * S },
        { "2006/1/2 3:04:05 PM", NULL, "2024/3/5 12:07:08 AM", 1709597228 * S },
        { "2006-01-02", NULL, "2023-02-29", 0 },
        { "2006-01-02", NULL, "2024-02-29", 1709164800 * S },
        { "2006-01-02", NULL, "2024-02-29 extra", 0 },
        { "ANSIC", NULL, "Tue Mar  5 06:07:08 2024", 1709618828 * S },
        { "ANSIC", "Europe/Berlin", "Tue Mar  5 06:07:08 2024", 1709618828 * S },
        { "UnixDate", NULL, "Tue Mar  5 06:07:08 UTC 2024", 1709618828 * S },
        { "RubyDate", NULL, "Tue Mar 05 06:07:08 +0100 2024", 1709615228 * S },
        { "RFC822Z", NULL, "05 Mar 24 06:07 -0130", 1709624220 * S },
        { "RFC850", NULL, "Tuesday, 05-Mar-24 06:07:08 UTC", 1709618828 * S },
        { "RFC1123", NULL, "Tue, 05 Mar 2024 06:07:08 GMT", 1709618828 * S },
        { "RFC1123Z", NULL, "Tue, 05 Mar 2024 06:07:08 +0000", 1709618828 * S },
        { "RFC1123", NULL, "tue, 05 mar 2024 06:07:08 UTC", 1709618828 * S },
        /* an unknown zone abbreviation is offset 0, as in Go */
        { "RFC1123", NULL, "Tue, 05 Mar 2024 06:07:08 PST", 1709618828 * S },
        /* a known one takes the location's offset */
        { "Mon, 02 Jan 2006 15:04:05 MST", "Europe/Berlin", "Tue, 05 Mar 2024 06:07:08 CET", 1709615228 * S },
        /* summer time, and Go's resolution of a local time in a gap */
        { "2006-01-02 15:04", "Europe/Berlin", "2024-07-01 12:00", 1719828000 * S },
        { "2006-01-02 15:04", "Europe/Berlin", "2024-03-31 02:30", 1711848600 * S },
        { "002 2006", NULL, "065 2024", 1709596800 * S },
        { "Jan _2 2006", NULL, "Mar  5 2024", 1709596800 * S },
};

START_TEST(layouts) {
        const char *loc = layout_cases[_i].location;
        char yaml[256];
        struct sl_pipeline *p;

        snprintf(yaml, sizeof(yaml), "- timestamp: {source: t, format: '%s'%s%s%s, action_on_failure: skip}\n",
                 layout_cases[_i].format, loc ? ", location: '" : "", loc ? loc : "", loc ? "'" : "");
        p = st_pipeline(yaml);
        ck_assert_int_eq(run_ts(p, 1, 7, layout_cases[_i].value), SL_STAGE_KEEP);
        ck_assert_msg(e.ts_ns == (layout_cases[_i].want ? layout_cases[_i].want : 7), "%s %s: got %lld",
                      layout_cases[_i].format, layout_cases[_i].value, (long long)e.ts_ns);
        sl_pipeline_free(p);
}
END_TEST

/* A layout without a year takes now's (TestTimestampValidation's "custom
 * format without year"), and the next or previous one across new year. */
START_TEST(layout_without_year) {
        struct sl_pipeline *p = st_pipeline("- timestamp: {source: t, format: 'Jan 02 15:04:05', action_on_failure: skip}\n");
        time_t now = time(NULL);
        struct tm tm;
        char want[32];
        struct sl_go_layout *l = NULL;
        int64_t ns;

        gmtime_r(&now, &tm);
        ck_assert_int_eq(run_ts(p, 1, 7, "Jul 15 01:02:03"), SL_STAGE_KEEP);
        snprintf(want, sizeof(want), "%d-07-15T01:02:03Z", tm.tm_year + 1900);
        {
                int64_t w;
                ck_assert_int_eq(sl_time_parse_rfc3339(sl_str_c(want), &w), 0);
                ck_assert_int_eq(e.ts_ns, w);
        }
        sl_pipeline_free(p);
        /* now = 2024-01-01: a December time is last year's; 2024-12-31: a
         * January time is next year's */
        ck_assert_int_eq(sl_go_layout_new("Jan 02 15:04:05", &l), 0);
        ck_assert_int_eq(sl_go_time_parse(l, SL_STR_LIT("Dec 31 23:59:59"), NULL, 1704067200 * S, &ns), 0);
        ck_assert_int_eq(ns, 1704067199 * S);
        ck_assert_int_eq(sl_go_time_parse(l, SL_STR_LIT("Jan 01 00:00:00"), NULL, 1735603200 * S, &ns), 0);
        ck_assert_int_eq(ns, 1735689600 * S);
        sl_go_layout_free(l);
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
                { "- timestamp: {source: t, format: 'yyyy-mm-dd'}\n",
                  "pipeline_stages[0].timestamp.format",
                  "supported: RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs, UnixNs" },
                { "- timestamp: {source: t, format: RFC1123, location: America/Canada}\n",
                  "pipeline_stages[0].timestamp.location", "invalid location" },
                { "- timestamp: {source: t, format: Unix, fallback_formats: UnixMs}\n",
                  "pipeline_stages[0].timestamp.fallback_formats", "list" },
                { "- timestamp: {source: t, format: Unix, fallback_formats: [UnixMs, Whenever]}\n",
                  "pipeline_stages[0].timestamp.fallback_formats[1]", "unsupported format" },
                { "- timestamp: {source: t, format: Unix, action_on_failure: retry}\n",
                  "pipeline_stages[0].timestamp.action_on_failure", "fudge or skip" },
                { "- timestamp: {source: t, format: Unix, zone: UTC}\n",
                  "pipeline_stages[0].timestamp.zone", "unknown key" },
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
                /* Quoted: the json stage renders a JSON number as Go's
                 * float64 does, which cannot hold these. */
                { "UnixNs", "\"9223372036854775807\"", INT64_MAX, INT64_MAX },
                { "UnixNs", "\"9223372036854775806\"", INT64_MAX, INT64_MAX },
                { "UnixNs", "\"-1\"", 1, 2 },
                { "UnixNs", "\"-2\"", -1, 1 },
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
        tcase_add_test(tc, fudge_follows_last);
        tcase_add_loop_test(tc, layouts, 0, (int)(sizeof(layout_cases) / sizeof(layout_cases[0])));
        tcase_add_test(tc, layout_without_year);
        tcase_add_test(tc, fudge_saturates);
        tcase_add_test(tc, skip_leaves_time);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(timestamp_suite)
