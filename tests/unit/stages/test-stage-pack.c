/* test-stage-pack.c - the pack stage.
 *
 * Cases from Promtail 3.4 stages/pack_test.go (Test_packStage_Run, with
 * the labels given to the pipeline as labels, which it also sees as
 * extracted values) and the stage's documentation page. Where sluice
 * differs: Promtail skips a value that is not a string ([]int in its
 * table); every extracted value is text here.
 */
#include <check.h>
#include <string.h>

#include "base/time-util.h"
#include "sl-test.h"
#include "stage-test.h"

/* Runs @p on an entry with labels foo=bar, bar=baz, extracted pairs @kv
 * and time 1 s. */
static void run(struct sl_pipeline *p, struct sl_entry *e, const char *const *kv) {
        sl_entry_reset(e);
        e->line = SL_STR_LIT("test line 1");
        e->ts_ns = 1000000000;
        sl_kvs_set(&e->labels, SL_STR_LIT("foo"), SL_STR_LIT("bar"));
        sl_kvs_set(&e->labels, SL_STR_LIT("bar"), SL_STR_LIT("baz"));
        for (size_t i = 0; kv && kv[i]; i += 2)
                sl_kvs_set(&e->extracted, sl_str_c(kv[i]), sl_str_c(kv[i + 1]));
        ck_assert_int_eq(sl_pipeline_run(p, e), SL_STAGE_KEEP);
}

START_TEST(promtail_table) {
        struct sl_entry e;
        struct sl_pipeline *p;
        int64_t before;

        sl_entry_init(&e);
        /* no supplied labels list */
        p = st_pipeline("- pack: {ingest_timestamp: false}\n");
        run(p, &e, NULL);
        st_assert_str(e.line, "{\"_entry\":\"test line 1\"}");
        ck_assert_uint_eq(e.labels.len, 2);
        ck_assert_int_eq(e.ts_ns, 1000000000);
        sl_pipeline_free(p);
        /* match one supplied label */
        p = st_pipeline("- pack: {labels: [foo], ingest_timestamp: false}\n");
        run(p, &e, NULL);
        st_assert_str(e.line, "{\"foo\":\"bar\",\"_entry\":\"test line 1\"}");
        st_assert_kv(&e.labels, "foo", NULL);
        st_assert_kv(&e.labels, "bar", "baz");
        sl_pipeline_free(p);
        /* match all supplied labels: sorted (a name given twice, once) */
        p = st_pipeline("- pack: {labels: [foo, bar, foo], ingest_timestamp: false}\n");
        run(p, &e, NULL);
        st_assert_str(e.line, "{\"bar\":\"baz\",\"foo\":\"bar\",\"_entry\":\"test line 1\"}");
        ck_assert_uint_eq(e.labels.len, 0);
        sl_pipeline_free(p);
        /* match extracted map and labels */
        p = st_pipeline("- pack: {labels: [foo, extr1], ingest_timestamp: false}\n");
        run(p, &e, (const char *[]){ "extr1", "etr1val", "extr2", "etr2val", NULL });
        st_assert_str(e.line, "{\"extr1\":\"etr1val\",\"foo\":\"bar\",\"_entry\":\"test line 1\"}");
        ck_assert_uint_eq(e.labels.len, 1);
        st_assert_kv(&e.labels, "bar", "baz");
        sl_pipeline_free(p);
        /* escape quotes */
        p = st_pipeline("- pack: {labels: [foo, 'ex\"tr2'], ingest_timestamp: false}\n");
        run(p, &e, (const char *[]){ "extr1", "etr1val", "ex\"tr2", "\"fd\"", NULL });
        st_assert_str(e.line, "{\"ex\\\"tr2\":\"\\\"fd\\\"\",\"foo\":\"bar\",\"_entry\":\"test line 1\"}");
        sl_pipeline_free(p);
        /* ingest timestamp, the default */
        p = st_pipeline("- pack: {}\n");
        before = sl_wall_ns();
        run(p, &e, NULL);
        st_assert_str(e.line, "{\"_entry\":\"test line 1\"}");
        ck_assert_int_ge(e.ts_ns, before);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* Strings are written as Go's json.Marshal writes them. */
START_TEST(go_json_strings) {
        struct sl_pipeline *p = st_pipeline("- pack: {labels: [v], ingest_timestamp: false}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        run(p, &e, (const char *[]){ "v", "<a&b>\t\xe2\x80\xa8\x01\xff", NULL });
        st_assert_str(e.line, "{\"v\":\"\\u003ca\\u0026b\\u003e\\t\\u2028\\u0001\\ufffd\",\"_entry\":\"test line 1\"}");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page: container and pod packed, the line kept. */
START_TEST(documentation_example) {
        struct sl_pipeline *p = st_pipeline("- pack:\n    labels:\n      - pod\n      - container\n");
        struct sl_entry e;

        sl_entry_init(&e);
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("something went wrong");
        sl_kvs_set(&e.labels, SL_STR_LIT("cluster"), SL_STR_LIT("us-central1"));
        sl_kvs_set(&e.labels, SL_STR_LIT("job"), SL_STR_LIT("myjob"));
        sl_kvs_set(&e.labels, SL_STR_LIT("namespace"), SL_STR_LIT("myns"));
        sl_kvs_set(&e.labels, SL_STR_LIT("pod"), SL_STR_LIT("myapp-fcgt5"));
        sl_kvs_set(&e.labels, SL_STR_LIT("container"), SL_STR_LIT("myapp"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_str(e.line, "{\"container\":\"myapp\",\"pod\":\"myapp-fcgt5\",\"_entry\":\"something went wrong\"}");
        ck_assert_uint_eq(e.labels.len, 3);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

START_TEST(config_errors) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- pack: {labels: foo}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].pack.labels");
        st_pipeline_fails("- pack: {ingest_timestamp: maybe}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].pack.ingest_timestamp");
}
END_TEST

static Suite *pack_suite(void) {
        Suite *s = suite_create("stage-pack");
        TCase *tc = tcase_create("pack");

        tcase_add_test(tc, promtail_table);
        tcase_add_test(tc, go_json_strings);
        tcase_add_test(tc, documentation_example);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(pack_suite)
