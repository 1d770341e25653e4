/* test-stage-logfmt.c - the logfmt stage.
 *
 * Cases from Promtail 3.4 stages/logfmt_test.go (TestPipeline_Logfmt,
 * TestLogfmtConfig_validate, TestLogfmtParser_Parse) and the examples of
 * the stage's documentation page; the decoder's corner cases as go-logfmt
 * reads them.
 */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

START_TEST(promtail_pipelines) {
        static const char line[] =
                "\n\t\ttime=2012-11-01T22:08:41+00:00 app=loki\tlevel=WARN duration=125 message=\"this is a "
                "log line\" extra=\"user=foo\"\"\n\t";
        struct sl_pipeline *p = st_pipeline("- logfmt:\n    mapping:\n      out:  message\n      app:\n"
                                            "      duration:\n      unknown:\n");
        struct sl_pipeline *p2 = st_pipeline("- logfmt:\n    mapping:\n      extra:\n"
                                             "- logfmt:\n    mapping:\n      user:\n    source: extra\n");
        struct sl_entry e;

        sl_entry_init(&e);
        /* The stray quote at the end stops the decoder: what came before stays. */
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "out", "this is a log line");
        st_assert_kv(&e.extracted, "app", "loki");
        st_assert_kv(&e.extracted, "duration", "125");
        ck_assert_uint_eq(e.extracted.len, 3);
        ck_assert_int_eq(st_run(p2, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "extra", "user=foo");
        st_assert_kv(&e.extracted, "user", "foo");
        ck_assert_uint_eq(e.extracted.len, 2);
        sl_pipeline_free(p);
        sl_pipeline_free(p2);
        sl_entry_release(&e);
}
END_TEST

static const char fixture[] = "\n\ttime=2012-11-01T22:08:41+00:00\n\tapp=loki\n\tlevel=WARN\n"
                              "\tnested=\"child=value\"\n\tmessage=\"this is a log line\"\n";

static void assert_fixture(struct sl_entry *e) {
        st_assert_kv(&e->extracted, "time", "2012-11-01T22:08:41+00:00");
        st_assert_kv(&e->extracted, "app", "loki");
        st_assert_kv(&e->extracted, "level", "WARN");
        st_assert_kv(&e->extracted, "nested", "child=value");
        st_assert_kv(&e->extracted, "message", "this is a log line");
}

START_TEST(promtail_parse) {
        struct sl_pipeline *p = st_pipeline("- logfmt: {mapping: {time: , app: , level: , nested: , message: }}\n");
        struct sl_pipeline *ps = st_pipeline(
                "- logfmt: {mapping: {time: , app: , level: , nested: , message: }, source: log}\n");
        struct sl_pipeline *p1 = st_pipeline("- logfmt: {mapping: {expr1: }}\n");
        struct sl_pipeline *p1s = st_pipeline("- logfmt: {mapping: {app: }, source: log}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        /* on the entry, records over several lines */
        ck_assert_int_eq(st_run(p, &e, 1, fixture), SL_STAGE_KEEP);
        assert_fixture(&e);
        ck_assert_uint_eq(e.extracted.len, 5);
        /* on extracted[source] */
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("{}");
        sl_kvs_set(&e.extracted, SL_STR_LIT("log"), sl_str_c(fixture));
        ck_assert_int_eq(sl_pipeline_run(ps, &e), SL_STAGE_KEEP);
        assert_fixture(&e);
        ck_assert_uint_eq(e.extracted.len, 6);
        /* missing extracted[source] */
        ck_assert_int_eq(st_run(p1s, &e, 1, "app=foo"), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 0);
        /* invalid logfmt on the entry and on extracted[source] */
        ck_assert_int_eq(st_run(p1, &e, 1, "{\"invalid\":\"logfmt\"}"), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 0);
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("{}");
        sl_kvs_set(&e.extracted, SL_STR_LIT("log"), SL_STR_LIT("not logfmt"));
        ck_assert_int_eq(sl_pipeline_run(p1s, &e), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 1);
        sl_pipeline_free(p);
        sl_pipeline_free(ps);
        sl_pipeline_free(p1);
        sl_pipeline_free(p1s);
        sl_entry_release(&e);
}
END_TEST

/* How go-logfmt reads the corners. */
START_TEST(decoder) {
        struct sl_pipeline *p = st_pipeline("- logfmt: {mapping: {a: , b: , c: , d: }}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        /* a key alone, an empty value, an empty quoted value */
        ck_assert_int_eq(st_run(p, &e, 1, "a b= c=\"\" d=x"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "");
        st_assert_kv(&e.extracted, "b", "");
        st_assert_kv(&e.extracted, "c", "");
        st_assert_kv(&e.extracted, "d", "x");
        /* escapes in a quoted value */
        ck_assert_int_eq(st_run(p, &e, 1, "a=\"x \\\"y\\\" \\u00e9\\n\" b=1"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "x \"y\" \xc3\xa9\n");
        st_assert_kv(&e.extracted, "b", "1");
        /* '=' inside a bare value is an error: stops there */
        ck_assert_int_eq(st_run(p, &e, 1, "a=1 b=x=y c=2"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "1");
        st_assert_kv(&e.extracted, "c", NULL);
        /* an unterminated quote, a key starting with '=' */
        ck_assert_int_eq(st_run(p, &e, 1, "a=1 b=\"open"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "1");
        st_assert_kv(&e.extracted, "b", NULL);
        ck_assert_int_eq(st_run(p, &e, 1, "a=1 =x c=2"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "c", NULL);
        /* the last value wins; \r\n ends a record */
        ck_assert_int_eq(st_run(p, &e, 1, "a=1\r\na=2 b=3\r"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "2");
        st_assert_kv(&e.extracted, "b", "3");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page's examples. */
START_TEST(documentation_examples) {
        struct sl_pipeline *p = st_pipeline("- logfmt:\n    mapping:\n      timestamp: time\n      app:\n"
                                            "      duration:\n      unknown:\n");
        struct sl_pipeline *p2 = st_pipeline("- logfmt:\n    mapping:\n      extra:\n"
                                             "- logfmt:\n    mapping:\n      user:\n    source: extra\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1,
                                "time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 message=\"this "
                                "is a log line\" extra=\"user=foo\""),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "timestamp", "2012-11-01T22:08:41+00:00");
        st_assert_kv(&e.extracted, "app", "loki");
        st_assert_kv(&e.extracted, "duration", "125");
        ck_assert_uint_eq(e.extracted.len, 3);
        ck_assert_int_eq(st_run(p2, &e, 1,
                                "time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 message=\"this "
                                "is a log line\" extra=\"user=foo\""),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "extra", "user=foo");
        st_assert_kv(&e.extracted, "user", "foo");
        sl_pipeline_free(p);
        sl_pipeline_free(p2);
        sl_entry_release(&e);
}
END_TEST

/* TestLogfmtConfig_validate. */
START_TEST(config_errors) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- logfmt: {}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].logfmt.mapping");
        st_pipeline_fails("- logfmt: {mapping: {}}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].logfmt.mapping");
        st_pipeline_fails("- logfmt: {mapping: {extr1: expr}, source: ''}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].logfmt.source");
        sl_pipeline_free(st_pipeline("- logfmt: {mapping: {foo1: foo, foo2: }}\n"));
        sl_pipeline_free(st_pipeline("- logfmt: {mapping: {foo1: foo, foo2: }, source: log}\n"));
}
END_TEST

static Suite *logfmt_suite(void) {
        Suite *s = suite_create("stage-logfmt");
        TCase *tc = tcase_create("logfmt");

        tcase_add_test(tc, promtail_pipelines);
        tcase_add_test(tc, promtail_parse);
        tcase_add_test(tc, decoder);
        tcase_add_test(tc, documentation_examples);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(logfmt_suite)
