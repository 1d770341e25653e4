/* test-stage-labeldrop.c - the labeldrop stage. Cases from Promtail 3.4
 * stages/labeldrop_test.go and the stage's documentation page. */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

/* Runs @yaml on labels testLabel1..@n (all "testValue") and checks which
 * remain: @want is a string of '1'..'3' for the labels kept. */
static void check(const char *yaml, int n, const char *want) {
        static const char *const names[] = { "testLabel1", "testLabel2", "testLabel3" };
        struct sl_pipeline *p = st_pipeline(yaml);
        struct sl_entry e;

        sl_entry_init(&e);
        sl_entry_reset(&e);
        for (int i = 0; i < n; i++)
                sl_kvs_set(&e.labels, sl_str_c(names[i]), SL_STR_LIT("testValue"));
        sl_kvs_set(&e.labels, SL_STR_LIT("__path__"), SL_STR_LIT("/x"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        for (int i = 0; i < n; i++)
                st_assert_kv(&e.labels, names[i], strchr(want, '1' + i) ? "testValue" : NULL);
        /* internal labels are never sent, and never removed */
        st_assert_kv(&e.labels, "__path__", "/x");
        ck_assert_uint_eq(e.labels.len, strlen(want) + 1);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}

START_TEST(promtail_table) {
        check("- labeldrop: [testLabel1]\n", 2, "2");
        check("- labeldrop: [testLabel1, testLabel2]\n", 2, "");
        check("- labeldrop: [foobar]\n", 2, "12");
        /* the documentation page's form */
        check("- labeldrop:\n    - testLabel2\n", 3, "13");
}
END_TEST

START_TEST(config_errors) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- labeldrop: {a: b}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].labeldrop");
        ck_assert_msg(strstr(msg, "list") != NULL, "%s", msg);
        st_pipeline_fails("- labeldrop:\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].labeldrop");
        st_pipeline_fails("- labeldrop: [a, [b]]\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].labeldrop[1]");
}
END_TEST

static Suite *labeldrop_suite(void) {
        Suite *s = suite_create("stage-labeldrop");
        TCase *tc = tcase_create("labeldrop");

        tcase_add_test(tc, promtail_table);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(labeldrop_suite)
