/* test-stage-match.c - the match stage.
 *
 * Cases from Promtail 3.4 stages/match_test.go (TestMatcher: the line is
 * "foo", the nested stage sets a label; TestMatchPipeline;
 * TestValidateMatcherConfig) and the stage's documentation page.
 */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

static const struct {
        const char *selector, *labels; /* labels: "k=v,k=v" */
        bool drop, should_drop, should_run, want_err;
} cases[] = {
        { "{foo=\"bar\"} |= \"foo\"", "foo=bar", false, false, true, false },
        { "{foo=\"bar\"} |~ \"foo\"", "foo=bar", false, false, true, false },
        { "{foo=\"bar\"} |= \"bar\"", "foo=bar", false, false, false, false },
        { "{foo=\"bar\"} |~ \"bar\"", "foo=bar", false, false, false, false },
        { "{foo=\"bar\"} != \"bar\"", "foo=bar", false, false, true, false },
        { "{foo=\"bar\"} !~ \"bar\"", "foo=bar", false, false, true, false },
        { "{foo=\"bar\"} != \"foo\"", "foo=bar", false, false, false, false },
        { "{foo=\"bar\"} |= \"foo\"", "foo=bar", true, true, false, false },
        { "{foo=\"bar\"} |~ \"foo\"", "foo=bar", true, true, false, false },
        { "{foo=\"bar\"} |= \"bar\"", "foo=bar", true, false, false, false },
        { "{foo=\"bar\"} |~ \"bar\"", "foo=bar", true, false, false, false },
        { "{foo=\"bar\"} != \"bar\"", "foo=bar", true, true, false, false },
        { "{foo=\"bar\"} !~ \"bar\"", "foo=bar", true, true, false, false },
        { "{foo=\"bar\"} != \"foo\"", "foo=bar", true, false, false, false },
        { "{foo=\"bar\"} !~ \"[]\"", "foo=bar", true, false, false, true },
        { "foo", "foo=bar", false, false, false, true },
        { "{}", "foo=bar", false, false, false, true },
        { "{", "foo=bar", false, false, false, true },
        { "", "foo=bar", false, false, true, true },
        { "{foo=\"bar\"}", "foo=bar", false, false, true, false },
        { "{foo=\"\"}", "foo=bar", false, false, false, false },
        { "{foo=\"\"}", "", false, false, true, false },
        { "{foo!=\"bar\"}", "foo=bar", false, false, false, false },
        { "{foo!=\"bar\"}", "foo=bar", true, false, false, false },
        { "{foo=\"bar\",bar!=\"test\"}", "foo=bar", false, false, true, false },
        { "{foo=\"bar\",bar!=\"test\"}", "foo=bar", true, true, false, false },
        { "{foo=\"bar\",bar!=\"test\"}", "foo=bar,bar=test", false, false, false, false },
        { "{foo=\"bar\",bar=~\"te.*\"}", "foo=bar,bar=test", true, true, false, false },
        { "{foo=\"bar\",bar=~\"te.*\"}", "foo=bar,bar=test", false, false, true, false },
        { "{foo=\"bar\",bar!~\"te.*\"}", "foo=bar,bar=test", false, false, false, false },
        { "{foo=\"bar\",bar!~\"te.*\"}", "foo=bar,bar=test", true, false, false, false },
        { "{foo=\"bar\"} |= \"foo\" | status >= 200", "foo=bar", false, false, false, true },
        /* label regexes are anchored */
        { "{bar=~\"te\"}", "bar=test", false, false, false, false },
};

START_TEST(promtail_matcher) {
        char yaml[512], esc[256];
        size_t n = 0;
        struct sl_entry e;
        char labels[64];

        for (const char *c = cases[_i].selector; *c; c++) {
                if (*c == '\'')
                        esc[n++] = '\'';
                esc[n++] = *c;
        }
        esc[n] = '\0';
        if (cases[_i].drop)
                snprintf(yaml, sizeof(yaml), "- match: {selector: '%s', action: drop}\n", esc);
        else
                snprintf(yaml, sizeof(yaml),
                         "- match:\n    selector: '%s'\n    stages:\n      - static_labels: {test_label: x}\n",
                         esc);
        if (cases[_i].want_err) {
                struct sl_cfg_error err;
                char msg[1024];
                st_pipeline_fails(yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].match", 24) == 0, "%s", msg);
                return;
        }
        struct sl_pipeline *p = st_pipeline(yaml);
        sl_entry_init(&e);
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("foo");
        snprintf(labels, sizeof(labels), "%s", cases[_i].labels);
        for (char *tok = strtok(labels, ","); tok; tok = strtok(NULL, ",")) {
                char *eq = strchr(tok, '=');
                *eq = '\0';
                sl_kvs_set(&e.labels, sl_str_c(tok), sl_str_c(eq + 1));
        }
        ck_assert_int_eq(sl_pipeline_run(p, &e), cases[_i].should_drop ? SL_STAGE_DROP : SL_STAGE_KEEP);
        if (cases[_i].should_drop)
                ck_assert_str_eq(e.drop_reason, "match_stage");
        else
                st_assert_kv(&e.labels, "test_label", cases[_i].should_run ? "x" : NULL);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* TestMatchPipeline: two apps, each its own nested json and output. */
START_TEST(promtail_pipeline) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {app: }}\n"
                "- labels: {app: }\n"
                "- match:\n    selector: '{app=\"loki\"}'\n    stages:\n"
                "      - json: {expressions: {msg: message}}\n"
                "- match:\n    pipeline_name: app2\n    selector: '{app=\"poki\"}'\n    stages:\n"
                "      - json: {expressions: {msg: msg}}\n"
                "- output: {source: msg}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"loki\",\"component\":"
                                          "[\"parser\",\"type\"],\"level\":\"WARN\",\"message\":\"app1 log line\"}"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line, "app1 log line");
        ck_assert_int_eq(st_run(p, &e, 1, "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"poki\",\"component\":"
                                          "[\"parser\",\"type\"],\"level\":\"WARN\",\"msg\":\"app2 log line\"}"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line, "app2 log line");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page: drop by selector and line filter with a reason;
 * a nested drop is counted under its reason. */
START_TEST(documentation_example) {
        struct sl_pipeline *p = st_pipeline(
                "- match:\n    selector: '{app=\"promtail\"} |= \"debug\"'\n    action: drop\n"
                "    drop_counter_reason: promtail_noisy_error\n"
                "- match:\n    selector: '{app=\"pokey\"}'\n    stages:\n"
                "      - drop: {expression: '.*noise.*'}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("level=debug msg=x");
        sl_kvs_set(&e.labels, SL_STR_LIT("app"), SL_STR_LIT("promtail"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "promtail_noisy_error");
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("some noise here");
        sl_kvs_set(&e.labels, SL_STR_LIT("app"), SL_STR_LIT("pokey"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "drop_stage");
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("level=info");
        sl_kvs_set(&e.labels, SL_STR_LIT("app"), SL_STR_LIT("promtail"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* TestValidateMatcherConfig. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *key;
        } bad[] = {
                { "- match: {pipeline_name: '', selector: '{app=\"foo\"}', stages: [{labels: {a: }}]}\n",
                  "pipeline_stages[0].match.pipeline_name" },
                { "- match: {selector: '', stages: [{labels: {a: }}]}\n", "pipeline_stages[0].match.selector" },
                { "- match: {selector: '{app=\"foo\"}', action: keep}\n", "pipeline_stages[0].match.stages" },
                { "- match: {selector: '{app=\"foo\"}', action: keep, stages: []}\n", "pipeline_stages[0].match.stages" },
                { "- match: {selector: '{app=\"foo\"}', action: drop, stages: [{labels: {a: }}]}\n",
                  "pipeline_stages[0].match.stages" },
                { "- match: {selector: '{app=\"foo}', stages: [{labels: {a: }}]}\n", "pipeline_stages[0].match.selector" },
                { "- match: {selector: '{app=\"foo\"}', action: nope, stages: [{labels: {a: }}]}\n",
                  "pipeline_stages[0].match.action" },
                { "- match: {selector: '{app=\"foo\"}', stages: [{nope: {}}]}\n",
                  "pipeline_stages[0].match.stages[0]" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, bad[i].key) == 0, "case %zu: %s", i, msg);
        }
        sl_pipeline_free(st_pipeline("- match: {pipeline_name: x, selector: '{app=\"foo\"}', action: drop, stages: []}\n"));
        sl_pipeline_free(st_pipeline("- match: {pipeline_name: x, selector: '{app=\"foo\"}', stages: [{labels: {a: }}]}\n"));
}
END_TEST

static Suite *match_suite(void) {
        Suite *s = suite_create("stage-match");
        TCase *tc = tcase_create("match");

        tcase_add_loop_test(tc, promtail_matcher, 0, (int)(sizeof(cases) / sizeof(cases[0])));
        tcase_add_test(tc, promtail_pipeline);
        tcase_add_test(tc, documentation_example);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(match_suite)
