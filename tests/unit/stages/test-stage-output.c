/* test-stage-output.c - the output stage. */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

START_TEST(line_becomes_the_value) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {msg: , level: }}\n"
                                            "- output: {source: msg}\n");
        struct sl_entry e;
        const char *plain = "not json";

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"level\":30,\"msg\":\"hello \\\"you\\\"\"}"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line, "hello \"you\"");
        /* Extracted values stay as they were. */
        st_assert_kv(&e.extracted, "level", "30");
        /* No such value: the line is left alone. */
        ck_assert_int_eq(st_run(p, &e, 1, "{\"level\":30}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "{\"level\":30}");
        ck_assert_int_eq(st_run(p, &e, 1, plain), SL_STAGE_KEEP);
        ck_assert_ptr_eq(e.line.ptr, plain);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

START_TEST(config_errors) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- output: {}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].output.source");
        ck_assert_msg(strstr(err.msg, "required") != NULL, "%s", msg);
        ck_assert_uint_eq(err.line, 1);
        st_pipeline_fails("- output: {source: ''}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].output.source");
        st_pipeline_fails("- json: {expressions: {a: }}\n- output: {source: a, format: x}\n", &err,
                          msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[1].output.format");
        ck_assert_uint_eq(err.line, 2);
}
END_TEST

static Suite *output_suite(void) {
        Suite *s = suite_create("stage-output");
        TCase *tc = tcase_create("output");

        tcase_add_test(tc, line_becomes_the_value);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(output_suite)
