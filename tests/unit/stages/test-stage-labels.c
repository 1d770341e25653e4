/* test-stage-labels.c - labels, structured_metadata and static_labels. */
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

static int run_with(struct sl_pipeline *p, const char *const *kv) {
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("line");
        for (; kv && kv[0]; kv += 2)
                sl_kvs_set(&e.extracted, sl_str_c(kv[0]), sl_str_c(kv[1]));
        return sl_pipeline_run(p, &e);
}

START_TEST(labels_from_extracted) {
        struct sl_pipeline *p = st_pipeline("- labels:\n"
                                            "    level:\n"
                                            "    method: ''\n"
                                            "    svc: service\n"
                                            "    absent:\n");
        static const char *const kv[] = { "level", "info", "method", "GET", "service", "api",
                                          "other", "x", NULL };

        ck_assert_int_eq(run_with(p, kv), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "level", "info");
        st_assert_kv(&e.labels, "method", "GET");
        st_assert_kv(&e.labels, "svc", "api");
        st_assert_kv(&e.labels, "service", NULL);
        st_assert_kv(&e.labels, "absent", NULL);
        st_assert_kv(&e.labels, "other", NULL);
        ck_assert_uint_eq(e.labels.len, 3);
        ck_assert_uint_eq(e.metadata.len, 0);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(metadata_from_extracted) {
        struct sl_pipeline *p = st_pipeline("- structured_metadata: {trace_id: , span: span_id}\n");
        static const char *const kv[] = { "trace_id", "4bf92f3577b34da6", "span_id", "00f067aa",
                                          NULL };
        static const char *const only_trace[] = { "trace_id", "t2", NULL };

        ck_assert_int_eq(run_with(p, kv), SL_STAGE_KEEP);
        st_assert_kv(&e.metadata, "trace_id", "4bf92f3577b34da6");
        st_assert_kv(&e.metadata, "span", "00f067aa");
        ck_assert_uint_eq(e.labels.len, 0);
        ck_assert_int_eq(run_with(p, only_trace), SL_STAGE_KEEP);
        st_assert_kv(&e.metadata, "trace_id", "t2");
        st_assert_kv(&e.metadata, "span", NULL);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(static_labels_fixed) {
        struct sl_pipeline *p = st_pipeline("- static_labels: {env: prod, team: 'core api'}\n"
                                            "- labels: {env: }\n");
        static const char *const kv[] = { "env", "dev", NULL };

        ck_assert_int_eq(run_with(p, NULL), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "env", "prod");
        st_assert_kv(&e.labels, "team", "core api");
        /* A later labels stage overrides a static value. */
        ck_assert_int_eq(run_with(p, kv), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "env", "dev");
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const struct {
                const char *yaml;
                const char *key;
                const char *msg_part;
        } cases[] = {
                { "- labels: {}\n", "pipeline_stages[0].labels", "at least one" },
                { "- labels:\n", "pipeline_stages[0].labels", "at least one" },
                { "- labels: {level-x: }\n", "pipeline_stages[0].labels.level-x", "not a valid name" },
                { "- labels: {9lives: }\n", "pipeline_stages[0].labels.9lives", "not a valid name" },
                { "- labels: {a: [b]}\n", "pipeline_stages[0].labels.a", "expected a string" },
                { "- labels: [a, b]\n", "pipeline_stages[0].labels", "map" },
                { "- structured_metadata: {trace.id: }\n",
                  "pipeline_stages[0].structured_metadata.trace.id", "not a valid name" },
                { "- static_labels: {env: }\n", "pipeline_stages[0].static_labels.env", "required" },
                { "- static_labels: {env: ''}\n", "pipeline_stages[0].static_labels.env", "required" },
                { "- static_labels: {'a b': x}\n", "pipeline_stages[0].static_labels.a b",
                  "not a valid name" },
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

static Suite *labels_suite(void) {
        Suite *s = suite_create("stage-labels");
        TCase *tc = tcase_create("labels");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, labels_from_extracted);
        tcase_add_test(tc, metadata_from_extracted);
        tcase_add_test(tc, static_labels_fixed);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(labels_suite)
