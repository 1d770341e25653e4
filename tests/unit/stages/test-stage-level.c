/* test-stage-level.c - the level stage: pino numbers and names, threshold,
 * drop counts with reasons, unknown levels, rewriting, config. */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

static struct sl_entry e;

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

/* Runs an entry whose extracted @key is @value through @p. */
static int run_level(struct sl_pipeline *p, const char *key, const char *value) {
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("line");
        if (key)
                sl_kvs_set(&e.extracted, sl_str_c(key), sl_str_c(value));
        return sl_pipeline_run(p, &e);
}

static const struct {
        const char *value;
        int verdict;      /* with min: info */
        const char *name; /* rewritten value when kept */
} pino_cases[] = {
        { "10", SL_STAGE_DROP, NULL },   { "20", SL_STAGE_DROP, NULL },
        { "30", SL_STAGE_KEEP, "info" }, { "40", SL_STAGE_KEEP, "warn" },
        { "50", SL_STAGE_KEEP, "error" }, { "60", SL_STAGE_KEEP, "fatal" },
        { "35", SL_STAGE_KEEP, "info" }, { "25", SL_STAGE_DROP, NULL },
        { "debug", SL_STAGE_DROP, NULL }, { "TRACE", SL_STAGE_DROP, NULL },
        { "INFO", SL_STAGE_KEEP, "info" }, { "notice", SL_STAGE_KEEP, "info" },
        { "Warning", SL_STAGE_KEEP, "warn" }, { "ERR", SL_STAGE_KEEP, "error" },
        { "critical", SL_STAGE_KEEP, "fatal" }, { "panic", SL_STAGE_KEEP, "fatal" },
        /* unknown: kept as it is */
        { "verbose", SL_STAGE_KEEP, "verbose" }, { "", SL_STAGE_KEEP, "" },
};

START_TEST(pino_and_names) {
        struct sl_pipeline *p = st_pipeline("- level: {}\n");
        int r = run_level(p, "level", pino_cases[_i].value);

        ck_assert_msg(r == pino_cases[_i].verdict, "\"%s\": verdict %d", pino_cases[_i].value, r);
        if (r == SL_STAGE_KEEP)
                st_assert_kv(&e.extracted, "level", pino_cases[_i].name);
        else
                ck_assert_str_eq(e.drop_reason, "level_below_min");
        sl_pipeline_free(p);
}
END_TEST

START_TEST(default_sources_in_order) {
        struct sl_pipeline *p = st_pipeline("- level:\n");

        ck_assert_int_eq(run_level(p, "lvl", "WARN"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "lvl", "warn");
        ck_assert_int_eq(run_level(p, "severity", "debug"), SL_STAGE_DROP);
        /* `level` comes first when several are present. */
        sl_entry_reset(&e);
        sl_kvs_set(&e.extracted, SL_STR_LIT("severity"), SL_STR_LIT("debug"));
        sl_kvs_set(&e.extracted, SL_STR_LIT("level"), SL_STR_LIT("error"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "level", "error");
        st_assert_kv(&e.extracted, "severity", "debug");
        /* Another name is not looked at. */
        ck_assert_int_eq(run_level(p, "loglevel", "debug"), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(custom_source_and_min) {
        struct sl_pipeline *p = st_pipeline("- level: {source: sev, min: WARN}\n");

        ck_assert_int_eq(run_level(p, "sev", "30"), SL_STAGE_DROP);
        ck_assert_int_eq(run_level(p, "sev", "40"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "sev", "warn");
        /* The defaults are not used when source is set. */
        ck_assert_int_eq(run_level(p, "level", "10"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "level", "10");
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

START_TEST(drop_counts_and_unknown) {
        struct sl_pipeline *p = st_pipeline("- level: {min: debug, drop_unknown: true}\n");
        struct drops d = { 0 };

        ck_assert_int_eq(run_level(p, "level", "10"), SL_STAGE_DROP);
        ck_assert_int_eq(run_level(p, "level", "trace"), SL_STAGE_DROP);
        ck_assert_int_eq(run_level(p, "level", "20"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "level", "debug");
        ck_assert_int_eq(run_level(p, "level", "loud"), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "level_unknown");
        ck_assert_int_eq(run_level(p, NULL, NULL), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "level_unknown");
        sl_pipeline_foreach_drop(p, collect, &d);
        ck_assert_int_eq(d.n, 2);
        ck_assert_str_eq(d.reason[0], "level_below_min");
        ck_assert_uint_eq(d.count[0], 2);
        ck_assert_str_eq(d.reason[1], "level_unknown");
        ck_assert_uint_eq(d.count[1], 2);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(missing_level_kept_by_default) {
        struct sl_pipeline *p = st_pipeline("- level: {min: error}\n");

        ck_assert_int_eq(run_level(p, NULL, NULL), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 0);
        ck_assert_int_eq(run_level(p, "level", "50"), SL_STAGE_KEEP);
        ck_assert_int_eq(run_level(p, "level", "40"), SL_STAGE_DROP);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(labels_after_level_see_the_name) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {level: }}\n"
                                            "- level: {}\n"
                                            "- labels: {level: }\n");

        ck_assert_int_eq(st_run(p, &e, 1, "{\"level\":30,\"msg\":\"hi\"}"), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "level", "info");
        ck_assert_int_eq(st_run(p, &e, 1, "{\"level\":\"WARNING\"}"), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "level", "warn");
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- level: {min: loud}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].level.min");
        ck_assert_msg(strstr(err.msg, "unknown level \"loud\"") != NULL, "%s", msg);
        st_pipeline_fails("- level: {min: 30}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].level.min");
        st_pipeline_fails("- level: {drop_unknown: 3}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].level.drop_unknown");
        st_pipeline_fails("- level: {source: [a]}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].level.source");
        st_pipeline_fails("- level: {threshold: info}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].level.threshold");
}
END_TEST

static Suite *level_suite(void) {
        Suite *s = suite_create("stage-level");
        TCase *tc = tcase_create("level");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, pino_and_names, 0, (int)(sizeof(pino_cases) / sizeof(pino_cases[0])));
        tcase_add_test(tc, default_sources_in_order);
        tcase_add_test(tc, custom_source_and_min);
        tcase_add_test(tc, drop_counts_and_unknown);
        tcase_add_test(tc, missing_level_kept_by_default);
        tcase_add_test(tc, labels_after_level_see_the_name);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(level_suite)
