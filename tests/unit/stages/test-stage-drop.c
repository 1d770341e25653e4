/* test-stage-drop.c - the drop stage: each condition, AND of several,
 * counter reasons, config errors. */
#include <check.h>
#include <string.h>

#include "base/time-util.h"
#include "sl-test.h"
#include "stage-test.h"

static struct sl_entry e;

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

/* Runs @line with extracted k=@value (when not NULL) and time @ts_ns. */
static int run_drop(struct sl_pipeline *p, const char *line, const char *value, int64_t ts_ns) {
        sl_entry_reset(&e);
        e.line = sl_str_c(line);
        e.ts_ns = ts_ns;
        if (value)
                sl_kvs_set(&e.extracted, SL_STR_LIT("k"), sl_str_c(value));
        return sl_pipeline_run(p, &e);
}

START_TEST(expression_on_line) {
        struct sl_pipeline *p = st_pipeline("- drop: {expression: 'GET /(health|ready)z? '}\n");

        ck_assert_int_eq(run_drop(p, "GET /health 200", NULL, 0), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "drop_stage");
        ck_assert_int_eq(run_drop(p, "10.0.0.1 GET /readyz 200", NULL, 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "GET /users 200", NULL, 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "", NULL, 0), SL_STAGE_KEEP);
        /* Invalid UTF-8 in a line does not break matching. */
        ck_assert_int_eq(run_drop(p, "\xff\xfe GET /health 1", NULL, 0), SL_STAGE_DROP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(expression_on_source) {
        struct sl_pipeline *p = st_pipeline("- drop: {source: k, expression: '^debug$'}\n");

        ck_assert_int_eq(run_drop(p, "debug", NULL, 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "x", "debug", 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "x", "debugger", 0), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(source_alone_and_value) {
        struct sl_pipeline *p = st_pipeline("- drop: {source: k}\n");

        ck_assert_int_eq(run_drop(p, "x", "anything", 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "x", "", 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "x", NULL, 0), SL_STAGE_KEEP);
        sl_pipeline_free(p);

        p = st_pipeline("- drop: {source: k, value: stderr, drop_counter_reason: no_stderr}\n");
        ck_assert_int_eq(run_drop(p, "x", "stderr", 0), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "no_stderr");
        ck_assert_int_eq(run_drop(p, "x", "stdout", 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "x", "stderr2", 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "stderr", NULL, 0), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(older_than) {
        struct sl_pipeline *p = st_pipeline("- drop: {older_than: 1h}\n");
        int64_t now = sl_wall_ns();

        ck_assert_int_eq(run_drop(p, "x", NULL, now - 2 * 3600 * 1000000000LL), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "x", NULL, now - 60 * 1000000000LL), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "x", NULL, now + 60 * 1000000000LL), SL_STAGE_KEEP);
        /* No time yet: not judged old. */
        ck_assert_int_eq(run_drop(p, "x", NULL, 0), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(longer_than) {
        struct sl_pipeline *p = st_pipeline("- drop: {longer_than: 8}\n");

        ck_assert_int_eq(run_drop(p, "12345678", NULL, 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "123456789", NULL, 0), SL_STAGE_DROP);
        sl_pipeline_free(p);
        p = st_pipeline("- drop: {longer_than: 1KiB}\n");
        {
                char big[1100];
                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                ck_assert_int_eq(run_drop(p, big, NULL, 0), SL_STAGE_DROP);
                big[1024] = '\0';
                ck_assert_int_eq(run_drop(p, big, NULL, 0), SL_STAGE_KEEP);
        }
        sl_pipeline_free(p);
}
END_TEST

START_TEST(conditions_are_anded) {
        struct sl_pipeline *p = st_pipeline("- drop: {expression: debug, longer_than: 10}\n");

        ck_assert_int_eq(run_drop(p, "debug", NULL, 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "a very long line", NULL, 0), SL_STAGE_KEEP);
        ck_assert_int_eq(run_drop(p, "a long debug line", NULL, 0), SL_STAGE_DROP);
        sl_pipeline_free(p);
}
END_TEST

struct drops {
        char reason[4][32];
        uint64_t count[4];
        int n;
};

static void collect(void *ud, const char *reason, uint64_t count) {
        struct drops *d = ud;

        ck_assert_int_lt(d->n, 4);
        snprintf(d->reason[d->n], sizeof(d->reason[0]), "%s", reason);
        d->count[d->n++] = count;
}

START_TEST(reasons_counted) {
        struct sl_pipeline *p = st_pipeline("- drop: {expression: health, drop_counter_reason: probes}\n"
                                            "- drop: {expression: noise}\n");
        struct drops d = { 0 };

        ck_assert_int_eq(run_drop(p, "health", NULL, 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "noise", NULL, 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "health noise", NULL, 0), SL_STAGE_DROP);
        ck_assert_int_eq(run_drop(p, "signal", NULL, 0), SL_STAGE_KEEP);
        sl_pipeline_foreach_drop(p, collect, &d);
        ck_assert_int_eq(d.n, 2);
        ck_assert_str_eq(d.reason[0], "probes");
        ck_assert_uint_eq(d.count[0], 2);
        ck_assert_str_eq(d.reason[1], "drop_stage");
        ck_assert_uint_eq(d.count[1], 1);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const struct {
                const char *yaml;
                const char *key;
                const char *msg_part;
        } cases[] = {
                { "- drop: {}\n", "pipeline_stages[0].drop", "at least one" },
                { "- drop: {drop_counter_reason: x}\n", "pipeline_stages[0].drop", "at least one" },
                { "- drop: {value: x}\n", "pipeline_stages[0].drop.value", "needs `source`" },
                { "- drop: {source: a, value: x, expression: y}\n", "pipeline_stages[0].drop.value",
                  "either" },
                { "- drop: {expression: '(unclosed'}\n", "pipeline_stages[0].drop.expression",
                  "cannot compile regular expression" },
                { "- drop: {older_than: soon}\n", "pipeline_stages[0].drop.older_than", "duration" },
                { "- drop: {longer_than: big}\n", "pipeline_stages[0].drop.longer_than", "size" },
                { "- drop: {separator: ','}\n", "pipeline_stages[0].drop.separator", "unknown key" },
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

/* A pathological expression on a hostile line: the search stops at the
 * regex limits (stages/regex.h), the entry is kept, and the pipeline counts
 * the stage's failure. PCRE2 alone would backtrack 2 million times and then
 * drop it. */
START_TEST(pathological_expression_is_bounded) {
        struct sl_pipeline *p = st_pipeline("- drop: {expression: '^(?:(a+)+$|a+c)'}\n");
        char line[64];

        ck_assert_int_eq(run_drop(p, "aaac", NULL, 0), SL_STAGE_DROP);
        memset(line, 'a', 21);
        strcpy(line + 21, "c");
        ck_assert_int_eq(run_drop(p, line, NULL, 0), SL_STAGE_KEEP);
        ck_assert_uint_eq(sl_pipeline_errors(p), 1);
        ck_assert_int_eq(run_drop(p, "xaaac", NULL, 0), SL_STAGE_KEEP);
        ck_assert_uint_eq(sl_pipeline_errors(p), 1);
        sl_pipeline_free(p);
}
END_TEST

static Suite *drop_suite(void) {
        Suite *s = suite_create("stage-drop");
        TCase *tc = tcase_create("drop");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, expression_on_line);
        tcase_add_test(tc, expression_on_source);
        tcase_add_test(tc, source_alone_and_value);
        tcase_add_test(tc, older_than);
        tcase_add_test(tc, longer_than);
        tcase_add_test(tc, conditions_are_anded);
        tcase_add_test(tc, reasons_counted);
        tcase_add_test(tc, config_errors);
        tcase_add_test(tc, pathological_expression_is_bounded);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(drop_suite)
