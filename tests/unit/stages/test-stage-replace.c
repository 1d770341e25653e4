/* test-stage-replace.c - the replace stage.
 *
 * Cases from Promtail 3.4 stages/replace_test.go (TestPipeline_Replace,
 * TestReplaceConfig_validate) and the examples of the stage's
 * documentation page. Where sluice differs: a `replace` template that does
 * not parse is a config error here (Promtail parses it per line and then
 * does nothing).
 */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

static const char line[] =
        "11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] \"GET /1986.js HTTP/1.1\" 200 932 \"-\" "
        "\"Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6\"";
static const char upper[] =
        "11.11.11.11 - FRANK [25/JAN/2000:14:00:01 -0500] \"GET /1986.JS HTTP/1.1\" HttpStatusOk 932 "
        "\"-\" \"MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6\"";

#define STATUS_TMPL                                                                                  \
        "      replace: '{{ if eq .Value \"200\" }}{{ Replace .Value \"200\" \"HttpStatusOk\" -1 }}{{ "  \
        "else }}{{ .Value | ToUpper }}{{ end }}'\n"

static void assert_upper_named(struct sl_entry *e) {
        st_assert_kv(&e->extracted, "ip", "11.11.11.11");
        st_assert_kv(&e->extracted, "identd", "-");
        st_assert_kv(&e->extracted, "user", "FRANK");
        st_assert_kv(&e->extracted, "timestamp", "25/JAN/2000:14:00:01 -0500");
        st_assert_kv(&e->extracted, "action", "GET");
        st_assert_kv(&e->extracted, "path", "/1986.JS");
        st_assert_kv(&e->extracted, "protocol", "HTTP/1.1");
        st_assert_kv(&e->extracted, "status", "HttpStatusOk");
        st_assert_kv(&e->extracted, "referer", "-");
        st_assert_kv(&e->extracted, "useragent",
                     "MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6");
}

START_TEST(promtail_pipelines) {
        struct sl_entry e;
        struct sl_pipeline *p;
        static const char json_line[] =
                "{\"time\":\"2019-01-01T01:00:00.000000001Z\", \"level\": \"info\", \"msg\": \"11.11.11.11 - "
                "\\\"POST /loki/api/push/ HTTP/1.1\\\" 200 932 \\\"-\\\" \\\"Mozilla/5.0 (Windows; U; Windows "
                "NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6\\\"\"}";

        sl_entry_init(&e);
        /* 1 stage without source */
        p = st_pipeline("- replace:\n    expression: \"11.11.11.11 - (\\\\S+) .*\"\n    replace: dummy\n");
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line,
                      "11.11.11.11 - dummy [25/Jan/2000:14:00:01 -0500] \"GET /1986.js HTTP/1.1\" 200 932 \"-\" "
                      "\"Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6\"");
        ck_assert_uint_eq(e.extracted.len, 0);
        sl_pipeline_free(p);

        /* multi stage with source: the value changes, the line does not */
        p = st_pipeline("- json: {expressions: {level: , msg: }}\n"
                        "- replace:\n    expression: \"\\\\S+ - \\\"POST (\\\\S+) .*\"\n    source: msg\n"
                        "    replace: \"/loki/api/v1/push/\"\n");
        ck_assert_int_eq(st_run(p, &e, 1, json_line), SL_STAGE_KEEP);
        st_assert_str(e.line, json_line);
        st_assert_kv(&e.extracted, "level", "info");
        st_assert_kv(&e.extracted, "msg",
                     "11.11.11.11 - \"POST /loki/api/v1/push/ HTTP/1.1\" 200 932 \"-\" \"Mozilla/5.0 (Windows; "
                     "U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6\"");
        ck_assert_uint_eq(e.extracted.len, 2);
        sl_pipeline_free(p);

        /* named groups with a template */
        p = st_pipeline("- replace:\n      expression: \"^(?P<ip>\\\\S+) (?P<identd>\\\\S+) (?P<user>\\\\S+) "
                        "\\\\[(?P<timestamp>[\\\\w:/]+\\\\s[+\\\\-]\\\\d{4})\\\\] \\\"(?P<action>\\\\S+)\\\\s?"
                        "(?P<path>\\\\S+)?\\\\s?(?P<protocol>\\\\S+)?\\\" (?P<status>\\\\d{3}|-) (\\\\d+|-)\\\\s?"
                        "\\\"?(?P<referer>[^\\\"]*)\\\"?\\\\s?\\\"?(?P<useragent>[^\\\"]*)?\\\"?$\"\n" STATUS_TMPL);
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line, upper);
        assert_upper_named(&e);
        ck_assert_uint_eq(e.extracted.len, 10);
        sl_pipeline_free(p);

        /* nested groups: the outer one is replaced, both are extracted */
        p = st_pipeline("- replace:\n      expression: \"(?P<ip_user>^(?P<ip>\\\\S+) (?P<identd>\\\\S+) "
                        "(?P<user>\\\\S+)) \\\\[(?P<timestamp>[\\\\w:/]+\\\\s[+\\\\-]\\\\d{4})\\\\] \\\""
                        "(?P<action_path>(?P<action>\\\\S+)\\\\s?(?P<path>\\\\S+)?)\\\\s?(?P<protocol>\\\\S+)?\\\" "
                        "(?P<status>\\\\d{3}|-) (\\\\d+|-)\\\\s?\\\"?(?P<referer>[^\\\"]*)\\\"?\\\\s?\\\"?"
                        "(?P<useragent>[^\\\"]*)?\\\"?$\"\n" STATUS_TMPL);
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line, upper);
        assert_upper_named(&e);
        st_assert_kv(&e.extracted, "ip_user", "11.11.11.11 - FRANK");
        st_assert_kv(&e.extracted, "action_path", "GET /1986.JS");
        ck_assert_uint_eq(e.extracted.len, 12);
        sl_pipeline_free(p);

        /* unnamed groups with a template: nothing extracted */
        p = st_pipeline("- replace:\n      expression: \"^(\\\\S+) (\\\\S+) (\\\\S+) \\\\[([\\\\w:/]+\\\\s[+\\\\-]"
                        "\\\\d{4})\\\\] \\\"(\\\\S+)\\\\s?(\\\\S+)?\\\\s?(\\\\S+)?\\\" (\\\\d{3}|-) (\\\\d+|-)\\\\s?"
                        "\\\"?([^\\\"]*)\\\"?\\\\s?\\\"?([^\\\"]*)?\\\"?$\"\n" STATUS_TMPL);
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line, upper);
        ck_assert_uint_eq(e.extracted.len, 0);
        sl_pipeline_free(p);

        /* empty replace removes the capture */
        p = st_pipeline("- replace:\n      expression: \"11.11.11.11 - (\\\\S+\\\\s)\"\n      replace: ''\n");
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line,
                      "11.11.11.11 - [25/Jan/2000:14:00:01 -0500] \"GET /1986.js HTTP/1.1\" 200 932 \"-\" "
                      "\"Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6\"");
        sl_pipeline_free(p);

        /* adjacent capture groups: every match replaced */
        p = st_pipeline("- replace:\n      expression: '(a|b|c)'\n      replace: ''\n");
        ck_assert_int_eq(st_run(p, &e, 1, "abc"), SL_STAGE_KEEP);
        st_assert_str(e.line, "");
        /* no match: untouched */
        ck_assert_int_eq(st_run(p, &e, 1, "xyz"), SL_STAGE_KEEP);
        st_assert_str(e.line, "xyz");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page's examples. */
START_TEST(documentation_examples) {
        struct sl_entry e;
        struct sl_pipeline *p;

        sl_entry_init(&e);
        p = st_pipeline("- replace:\n    expression: \"password (\\\\S+)\"\n    replace: \"****\"\n");
        ck_assert_int_eq(st_run(p, &e, 1,
                                "2019-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive "
                                "information with password xyz!"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line,
                      "2019-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive information "
                      "with password ****");
        sl_pipeline_free(p);

        /* PII hashed with a salt; the credit card group is non-greedy */
        p = st_pipeline("- replace:\n    expression: '([0-9]{3}-[0-9]{2}-[0-9]{4})'\n"
                        "    replace: '*SSN*{{ .Value | Hash \"salt\" }}*'\n"
                        "- replace:\n    expression: '(\\d{1,3}[.]\\d{1,3}[.]\\d{1,3}[.]\\d{1,3})'\n"
                        "    replace: '*IP4*{{ .Value | Hash \"salt\" }}*'\n");
        ck_assert_int_eq(st_run(p, &e, 1, "ssn 123-45-6789 from 10.1.2.3"), SL_STAGE_KEEP);
        ck_assert_msg(strncmp(e.line.ptr, "ssn *SSN*", 9) == 0 && e.line.len == 9 + 64 + 12 + 64 + 1,
                      "%.*s", (int)e.line.len, e.line.ptr);
        ck_assert(memmem(e.line.ptr, e.line.len, "* from *IP4*", 12) != NULL);
        sl_pipeline_free(p);

        /* named and unnamed groups, upper case */
        p = st_pipeline("- replace:\n    expression: \"^(?P<ip>\\\\S+) (?P<identd>\\\\S+) (\\\\S+) "
                        "\\\\[(?P<timestamp>[\\\\w:/]+\\\\s[+\\\\-]\\\\d{4})\\\\] \\\"(?P<action>\\\\S+)\\\\s?"
                        "(?P<path>\\\\S+)?\\\\s?(?P<protocol>\\\\S+)?\\\" (?P<status>\\\\d{3}|-) (?P<size>"
                        "\\\\d+|-)\\\\s?\\\"?(?P<referer>[^\\\"]*)\\\"?\\\\s?\\\"?(?P<useragent>[^\\\"]*)?\\\"?$\"\n"
                        "    replace: '{{ .Value | ToUpper }}'\n");
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_str(e.line,
                      "11.11.11.11 - FRANK [25/JAN/2000:14:00:01 -0500] \"GET /1986.JS HTTP/1.1\" 200 932 \"-\" "
                      "\"MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6\"");
        st_assert_kv(&e.extracted, "size", "932");
        st_assert_kv(&e.extracted, "user", NULL);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* Empty matches and extracted values in the template. */
START_TEST(details) {
        struct sl_entry e;
        struct sl_pipeline *p;

        sl_entry_init(&e);
        p = st_pipeline("- regex: {expression: '^(?P<who>\\w+)'}\n"
                        "- replace: {expression: '(x*)', replace: '[{{ .who }}{{ .Value }}]'}\n");
        ck_assert_int_eq(st_run(p, &e, 1, "ab"), SL_STAGE_KEEP);
        st_assert_str(e.line, "[ab]a[ab]b[ab]");
        ck_assert_int_eq(st_run(p, &e, 1, "axxb"), SL_STAGE_KEEP);
        st_assert_str(e.line, "[axxb]a[axxbxx]b[axxb]");
        sl_pipeline_free(p);
        /* a failed execution leaves the line alone */
        p = st_pipeline("- replace: {expression: '(a)', replace: '{{ ToUpper .none }}'}\n");
        ck_assert_int_eq(st_run(p, &e, 1, "abc"), SL_STAGE_KEEP);
        st_assert_str(e.line, "abc");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* TestReplaceConfig_validate. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *key, *msg;
        } cases[] = {
                { "- replace: {}\n", "pipeline_stages[0].replace.expression", "required" },
                { "- replace: {expression: '(?P<ts[0-9]+).*', replace: test}\n",
                  "pipeline_stages[0].replace.expression", "invalid named capture" },
                { "- replace: {expression: '(?P<ts>[0-9]+).*', source: ''}\n", "pipeline_stages[0].replace.source",
                  "cannot be empty" },
                { "- replace: {expression: '(a)', replace: '{{ nope }}'}\n", "pipeline_stages[0].replace.replace",
                  "function \"nope\" not defined" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_pipeline_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, cases[i].key) == 0, "case %zu: key %s", i, err.key);
                ck_assert_msg(strstr(msg, cases[i].msg) != NULL, "case %zu: %s", i, msg);
        }
        sl_pipeline_free(st_pipeline("- replace: {expression: '(?P<ts>[0-9]+).*', replace: test}\n"));
        sl_pipeline_free(st_pipeline("- replace: {expression: '(?P<ts>[0-9]+).*', source: log, replace: test}\n"));
}
END_TEST

static Suite *replace_suite(void) {
        Suite *s = suite_create("stage-replace");
        TCase *tc = tcase_create("replace");

        tcase_add_test(tc, promtail_pipelines);
        tcase_add_test(tc, documentation_examples);
        tcase_add_test(tc, details);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(replace_suite)
