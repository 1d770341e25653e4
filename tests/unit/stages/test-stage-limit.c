/* test-stage-limit.c - the limit stage: a token bucket (rate, burst) that
 * drops entries over the rate, or, without drop, makes reading wait
 * (resume_at); per label value with by_label_name, bounded by
 * max_distinct_labels in two generations.
 *
 * Cases from Promtail 3.4 stages/limit_test.go (TestLimitWaitPipeline,
 * TestLimitDropPipeline, TestLimitByLabelPipeline), the generational map
 * it uses (pkg/util/map.go) and the examples of the stage's documentation
 * page. The clock is the entries' read time, set by each test. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "base/time-util.h"
#include "sl-test.h"
#include "stage-test.h"

#define S SL_NSEC_PER_SEC
#define APP1 "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"app1\",\"level\":\"WARN\",\"nested\":{\"child\":\"value\"},\"message\":\"this is a log line\"}"
#define APP2 "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"poki\",\"level\":\"WARN\",\"nested\":{\"child\":\"value\"},\"message\":\"this is a log line\"}"
#define NON_APP "{\"time\":\"2012-11-01T22:08:41+00:00\",\"msg\":\"Non app log line\"}"

static struct sl_entry e;
static char text[8192];

/* sl_pipeline_resume_at() at @now, the allowance into *@ret (UINT64_MAX:
 * no bound). */
static uint64_t resume(struct sl_pipeline *p, uint64_t now, uint64_t *ret) {
        uint64_t allowance = UINT64_MAX, at = sl_pipeline_resume_at(p, now, &allowance);

        if (ret)
                *ret = allowance;
        return at;
}

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

struct drop_find {
        const char *reason;
        uint64_t n;
};

static void drop_find(void *ud, const char *reason, uint64_t count) {
        struct drop_find *d = ud;
        if (strcmp(reason, d->reason) == 0)
                d->n = count;
}

static uint64_t dropped(struct sl_pipeline *p) {
        struct drop_find d = { "ratelimit_drop_stage", 0 };
        sl_pipeline_foreach_drop(p, drop_find, &d);
        return d.n;
}

/* TestLimitWaitPipeline: rate 1, burst 1, no drop: every entry goes on;
 * Promtail's stage blocks until each has its token, sluice's asks the
 * reader to wait (resume_at) until the tokens taken are paid for. */
START_TEST(wait) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app:\n"
                                            "      msg:\n"
                                            "- limit:\n"
                                            "    rate: 1\n"
                                            "    burst: 1\n"
                                            "    drop: false\n");
        uint64_t t = 100 * S, allowance;

        /* Before any entry: the burst. */
        ck_assert_uint_eq(resume(p, t, &allowance), 0);
        ck_assert_uint_eq(allowance, 1);
        for (int i = 0; i < 5; i++) {
                ck_assert_int_eq(st_run_at(p, &e, 1, "app=loki", APP1, 0, t), SL_STAGE_KEEP);
                st_assert_str(e.line, APP1);
        }
        /* The first took the burst; the four others are paid for at one a
         * second. */
        ck_assert_uint_eq(resume(p, t, NULL), t + 4 * S);
        /* Read again once paid: one entry, which waits one second more. */
        ck_assert_uint_eq(resume(p, t + 4 * S, &allowance), t + 4 * S);
        ck_assert_uint_eq(allowance, 1);
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=loki", APP1, 0, t + 4 * S), SL_STAGE_KEEP);
        ck_assert_uint_eq(resume(p, t + 4 * S, NULL), t + 5 * S);
        /* After a long pause the bucket is full again: no wait. */
        ck_assert_uint_le(resume(p, t + 100 * S, &allowance), t + 100 * S);
        ck_assert_uint_eq(allowance, 1);
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=loki", APP1, 0, t + 100 * S), SL_STAGE_KEEP);
        ck_assert_uint_le(resume(p, t + 100 * S, NULL), t + 100 * S);
        ck_assert_uint_eq(dropped(p), 0);
        sl_pipeline_free(p);
}
END_TEST

/* TestLimitDropPipeline: rate 1, burst 1, drop: of 10 entries at once,
 * only the first goes on. */
START_TEST(drop) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app:\n"
                                            "      msg:\n"
                                            "- limit:\n"
                                            "    rate: 1\n"
                                            "    burst: 1\n"
                                            "    drop: true\n");
        uint64_t t = 100 * S;
        int kept = 0;

        for (int i = 0; i < 10; i++)
                kept += st_run_at(p, &e, 1, "app=loki", APP1, 0, t) == SL_STAGE_KEEP;
        ck_assert_int_eq(kept, 1);
        ck_assert_uint_eq(dropped(p), 9);
        /* With drop, no pace. */
        {
                uint64_t allowance;
                ck_assert_uint_eq(resume(p, t, &allowance), 0);
                ck_assert_uint_eq(allowance, UINT64_MAX);
        }
        /* A second later, one token more. */
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=loki", APP1, 0, t + S), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=loki", APP1, 0, t + S), SL_STAGE_DROP);
        st_assert_str(sl_str_c(e.drop_reason), "ratelimit_drop_stage");
        sl_pipeline_free(p);
}
END_TEST

/* TestLimitByLabelPipeline: a bucket per value of app; entries without
 * the label are not limited; the drops are counted per value too
 * (Promtail's logentry_dropped_lines_by_label_total, here
 * sluice_dropped_entries_by_label_total). */
START_TEST(by_label) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app:\n"
                                            "      msg:\n"
                                            "- limit:\n"
                                            "    rate: 1\n"
                                            "    burst: 1\n"
                                            "    drop: true\n"
                                            "    by_label_name: app\n");
        uint64_t t = 100 * S;
        int kept = 0, kept_loki = 0, kept_poki = 0, kept_none = 0;

        for (int i = 0; i < 5; i++) {
                int r = st_run_at(p, &e, 1, "app=loki", APP1, 0, t);
                kept_loki += r == SL_STAGE_KEEP;
        }
        for (int i = 0; i < 5; i++)
                kept_poki += st_run_at(p, &e, 1, "app=poki", APP2, 0, t) == SL_STAGE_KEEP;
        for (int i = 0; i < 5; i++)
                kept_none += st_run_at(p, &e, 1, NULL, NON_APP, 0, t) == SL_STAGE_KEEP;
        kept = kept_loki + kept_poki + kept_none;
        ck_assert_int_eq(kept, 2 + 5);
        ck_assert_int_eq(kept_loki, 1);
        ck_assert_int_eq(kept_poki, 1);
        ck_assert_uint_eq(dropped(p), 8);
        st_metrics_text(p, t, text, sizeof(text));
        st_assert_line(text, "# TYPE sluice_dropped_entries_by_label_total counter");
        st_assert_line(text, "sluice_dropped_entries_by_label_total{label_name=\"app\",label_value=\"loki\"} 4");
        st_assert_line(text, "sluice_dropped_entries_by_label_total{label_name=\"app\",label_value=\"poki\"} 4");
        sl_pipeline_free(p);
}
END_TEST

/* Tokens come back at the rate, up to burst. */
START_TEST(refill) {
        struct sl_pipeline *p = st_pipeline("- limit: {rate: 10, burst: 2, drop: true}\n");
        uint64_t t = 100 * S;

        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "a", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "b", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "c", 0, t), SL_STAGE_DROP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "d", 0, t + S / 10), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "e", 0, t + S / 10), SL_STAGE_DROP);
        /* Ten seconds later the bucket holds burst, not more. */
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "f", 0, t + 10 * S), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "g", 0, t + 10 * S), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "h", 0, t + 10 * S), SL_STAGE_DROP);
        /* A fractional rate (a number, as Promtail's float64). */
        sl_pipeline_free(p);
        p = st_pipeline("- limit: {rate: 0.5, burst: 1, drop: true}\n");
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "a", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "b", 0, t + S), SL_STAGE_DROP);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, "c", 0, t + 2 * S), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

/* max_distinct_labels: values are kept in two generations of that many;
 * once the newer is full it becomes the older and the one before is
 * forgotten: a value seen in the older one keeps its bucket (carried over),
 * a forgotten one starts full again, and the per-value drop counts start
 * over (Promtail resets its metric then). Values below 10,000 are raised to
 * it, as Promtail does. */
START_TEST(max_distinct_labels) {
        struct sl_pipeline *p = st_pipeline("- limit:\n"
                                            "    rate: 0.001\n"
                                            "    burst: 1\n"
                                            "    drop: true\n"
                                            "    by_label_name: id\n"
                                            "    max_distinct_labels: 100\n");
        uint64_t t = 100 * S;
        char labels[64];

        /* id=v0 takes its token, then is dropped (counted). */
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v0", "x", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v0", "x", 0, t), SL_STAGE_DROP);
        st_metrics_text(p, t, text, sizeof(text));
        st_assert_line(text, "sluice_dropped_entries_by_label_total{label_name=\"id\",label_value=\"v0\"} 1");
        /* 9,998 more values: with v0, 9,999, one short of a generation (the
         * 100 asked for is raised to 10,000): v0 is still limited. */
        for (int i = 1; i < 9999; i++) {
                snprintf(labels, sizeof(labels), "id=v%d", i);
                ck_assert_int_eq(st_run_at(p, &e, 1, labels, "x", 0, t), SL_STAGE_KEEP);
        }
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v0", "x", 0, t), SL_STAGE_DROP);
        /* The 10,000th value turns the generations: the counts start over. */
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v9999", "x", 0, t), SL_STAGE_KEEP);
        st_metrics_text(p, t, text, sizeof(text));
        ck_assert_ptr_null(strstr(text, "label_value=\"v0\""));
        /* v0 is in the older generation: carried over, still limited. */
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v0", "x", 0, t), SL_STAGE_DROP);
        st_metrics_text(p, t, text, sizeof(text));
        st_assert_line(text, "sluice_dropped_entries_by_label_total{label_name=\"id\",label_value=\"v0\"} 1");
        /* 9,999 new values turn them again: v1 (older than that) is
         * forgotten and starts full; v0, carried into the newer one before
         * the turn, is in the older one and still limited. */
        for (int i = 10000; i < 19999; i++) {
                snprintf(labels, sizeof(labels), "id=v%d", i);
                ck_assert_int_eq(st_run_at(p, &e, 1, labels, "x", 0, t), SL_STAGE_KEEP);
        }
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v1", "x", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "id=v0", "x", 0, t), SL_STAGE_DROP);
        sl_pipeline_free(p);
}
END_TEST

/* The documentation page's three examples. */
START_TEST(documentation) {
        struct sl_pipeline *throttle = st_pipeline("- limit:\n    rate: 10\n    burst: 10\n");
        struct sl_pipeline *dropping = st_pipeline("- limit:\n    rate: 10\n    burst: 10\n    drop: true\n");
        struct sl_pipeline *ns = st_pipeline("- limit:\n"
                                             "    rate: 10\n"
                                             "    burst: 10\n"
                                             "    drop: true\n"
                                             "    by_label_name: \"namespace\"\n");
        uint64_t t = 100 * S, allowance;
        int kept = 0, a = 0, b = 0, none = 0;

        /* Reading takes the burst at once, then one line at a time. */
        ck_assert_uint_eq(resume(throttle, t, &allowance), 0);
        ck_assert_uint_eq(allowance, 10);
        for (int i = 0; i < 30; i++)
                kept += st_run_at(throttle, &e, 1, NULL, "x", 0, t) == SL_STAGE_KEEP;
        ck_assert_int_eq(kept, 30);
        ck_assert_uint_eq(resume(throttle, t, NULL), t + 2 * S);
        kept = 0;
        for (int i = 0; i < 30; i++)
                kept += st_run_at(dropping, &e, 1, NULL, "x", 0, t) == SL_STAGE_KEEP;
        ck_assert_int_eq(kept, 10);
        for (int i = 0; i < 30; i++) {
                a += st_run_at(ns, &e, 1, "namespace=a", "x", 0, t) == SL_STAGE_KEEP;
                b += st_run_at(ns, &e, 1, "namespace=b", "x", 0, t) == SL_STAGE_KEEP;
                none += st_run_at(ns, &e, 1, "app=x", "x", 0, t) == SL_STAGE_KEEP;
        }
        ck_assert_int_eq(a, 10);
        ck_assert_int_eq(b, 10);
        ck_assert_int_eq(none, 30);
        sl_pipeline_free(throttle);
        sl_pipeline_free(dropping);
        sl_pipeline_free(ns);
}
END_TEST

/* Inside match, the pace reaches the pipeline. */
START_TEST(nested) {
        struct sl_pipeline *p = st_pipeline("- match:\n"
                                            "    selector: '{app=\"noisy\"}'\n"
                                            "    stages:\n"
                                            "      - limit: {rate: 1, burst: 1}\n");
        uint64_t t = 100 * S;

        ck_assert_int_eq(st_run_at(p, &e, 1, "app=quiet", "x", 0, t), SL_STAGE_KEEP);
        ck_assert_uint_eq(resume(p, t, NULL), 0);
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=noisy", "x", 0, t), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "app=noisy", "x", 0, t), SL_STAGE_KEEP);
        ck_assert_uint_eq(resume(p, t, NULL), t + S);
        sl_pipeline_free(p);
}
END_TEST

/* Promtail's validation: rate and burst above 0; by_label_name needs drop. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *msg;
        } bad[] = {
                { "- limit: {}\n", "rate and burst" },
                { "- limit: {rate: 10}\n", "rate and burst" },
                { "- limit: {burst: 10}\n", "rate and burst" },
                { "- limit: {rate: 0, burst: 10}\n", "rate and burst" },
                { "- limit: {rate: -1, burst: 10}\n", "rate and burst" },
                { "- limit: {rate: 1, burst: -1}\n", "rate and burst" },
                { "- limit: {rate: fast, burst: 1}\n", "number" },
                { "- limit: {rate: 1, burst: 1.5}\n", "burst" },
                { "- limit: {rate: 1, burst: 1, by_label_name: app}\n", "drop must be true" },
                { "- limit: {rate: 1, burst: 1, drop: maybe}\n", "drop" },
                { "- limit: {rate: 1, burst: 1, max_distinct_labels: x, drop: true}\n", "max_distinct_labels" },
                { "- limit: {rate: 1, burst: 1, by_label: app}\n", "by_label" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strstr(msg, bad[i].msg) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].limit", 24) == 0, "%s", msg);
        }
}
END_TEST

static Suite *limit_suite(void) {
        Suite *s = suite_create("stage-limit");
        TCase *tc = tcase_create("limit");

        tcase_add_checked_fixture(tc, setup, teardown);
        /* max_distinct_labels runs 20,000 entries: room for sanitizers. */
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, wait);
        tcase_add_test(tc, drop);
        tcase_add_test(tc, by_label);
        tcase_add_test(tc, refill);
        tcase_add_test(tc, max_distinct_labels);
        tcase_add_test(tc, documentation);
        tcase_add_test(tc, nested);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(limit_suite)
