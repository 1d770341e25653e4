/* test-stage-regex.c - the regex stage.
 *
 * Cases from Promtail 3.4 stages/regex_test.go (TestPipeline_Regex,
 * TestRegexConfig_validate, TestRegexParser_Parse), and the example of its
 * documentation page. Where sluice differs: a value that is not a string in
 * Promtail (the "invalid data type" case, a bool) is text here, so it is
 * searched as "true"; unknown keys in a stage are refused here, ignored by
 * Promtail.
 */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

#define APACHE_RE                                                                              \
        "^(?P<ip>\\\\S+) (?P<identd>\\\\S+) (?P<user>\\\\S+) "                                  \
        "\\\\[(?P<timestamp>[\\\\w:/]+\\\\s[+\\\\-]\\\\d{4})\\\\] \\\"(?P<action>\\\\S+)\\\\s?"  \
        "(?P<path>\\\\S+)?\\\\s?(?P<protocol>\\\\S+)?\\\" (?P<status>\\\\d{3}|-) "               \
        "(?P<size>\\\\d+|-)\\\\s?\\\"?(?P<referer>[^\\\"]*)\\\"?\\\\s?\\\"?(?P<useragent>"       \
        "[^\\\"]*)?\\\"?$"

static const char fixture[] =
        "11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] \"GET /1986.js HTTP/1.1\" 200 932 \"-\" "
        "\"Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 "
        "GTB6\"";

static void assert_apache(struct sl_entry *e) {
        st_assert_kv(&e->extracted, "ip", "11.11.11.11");
        st_assert_kv(&e->extracted, "identd", "-");
        st_assert_kv(&e->extracted, "user", "frank");
        st_assert_kv(&e->extracted, "timestamp", "25/Jan/2000:14:00:01 -0500");
        st_assert_kv(&e->extracted, "action", "GET");
        st_assert_kv(&e->extracted, "path", "/1986.js");
        st_assert_kv(&e->extracted, "protocol", "HTTP/1.1");
        st_assert_kv(&e->extracted, "status", "200");
        st_assert_kv(&e->extracted, "size", "932");
        st_assert_kv(&e->extracted, "referer", "-");
        st_assert_kv(&e->extracted, "useragent",
                     "Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 "
                     "Firefox/3.5.7 GTB6");
}

/* TestPipeline_Regex: one stage on the line, then a second on a value. */
START_TEST(pipeline_apache) {
        struct sl_pipeline *p = st_pipeline("- regex:\n    expression: \"" APACHE_RE "\"\n");
        struct sl_pipeline *p2 = st_pipeline(
                "- regex:\n    expression: \"" APACHE_RE "\"\n"
                "- regex:\n    source: protocol\n    expression: \"^HTTP\\\\/(?P<protocol_version>[0-9\\\\.]+)$\"\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, fixture), SL_STAGE_KEEP);
        assert_apache(&e);
        ck_assert_uint_eq(e.extracted.len, 11);
        st_assert_str(e.line, fixture);
        ck_assert_int_eq(st_run(p2, &e, 1, fixture), SL_STAGE_KEEP);
        assert_apache(&e);
        st_assert_kv(&e.extracted, "protocol_version", "1.1");
        ck_assert_uint_eq(e.extracted.len, 12);
        sl_pipeline_free(p);
        sl_pipeline_free(p2);
        sl_entry_release(&e);
}
END_TEST

/* TestRegexParser_Parse, case by case. */
START_TEST(parse_cases) {
        struct sl_entry e;
        struct sl_pipeline *p;

        sl_entry_init(&e);
        /* failed to match expression on entry: nothing extracted */
        p = st_pipeline("- regex: {expression: '^(?s)(?P<time>\\S+?) (?P<stream>stdout|stderr) "
                        "(?P<flags>\\S+?) (?P<message>.*)$'}\n");
        ck_assert_int_eq(st_run(p, &e, 1, "blahblahblah"), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 0);
        /* (?s) lets . cross newlines; a CRI line matches */
        ck_assert_int_eq(st_run(p, &e, 1, "2019-01-01T01:00:00.000000001Z stderr P my\nmessage"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "message", "my\nmessage");
        st_assert_kv(&e.extracted, "flags", "P");
        sl_pipeline_free(p);

        /* on extracted[source]: matches, fails, missing */
        p = st_pipeline("- regex: {expression: '^HTTP\\/(?P<protocol_version>.*)$', source: protocol}\n");
        sl_entry_reset(&e);
        e.line = sl_str_c(fixture);
        sl_kvs_set(&e.extracted, SL_STR_LIT("protocol"), SL_STR_LIT("HTTP/1.1"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "protocol_version", "1.1");
        ck_assert_uint_eq(e.extracted.len, 2);
        sl_entry_reset(&e);
        e.line = sl_str_c(fixture);
        sl_kvs_set(&e.extracted, SL_STR_LIT("protocol"), SL_STR_LIT("unknown"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 1);
        ck_assert_int_eq(st_run(p, &e, 1, fixture), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 0);
        /* invalid data type (true in Promtail; text here): no match either */
        sl_entry_reset(&e);
        e.line = sl_str_c(fixture);
        sl_kvs_set(&e.extracted, SL_STR_LIT("protocol"), SL_STR_LIT("true"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 1);
        sl_pipeline_free(p);

        /* case insensitive, unanchored: the first alternative found */
        p = st_pipeline("- regex: {expression: '(?i)(?P<bad>panic:|core_dumped|failure|error|attack| "
                        "bad |illegal |denied|refused|unauthorized|fatal|failed|Segmentation "
                        "Fault|Corrupted)'}\n");
        ck_assert_int_eq(st_run(p, &e, 1, "A Terrible Error has occurred!!!"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "bad", "Error");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* An optional group that does not take part is set to "", as Go reports
 * it; unnamed groups are not extracted. */
START_TEST(unset_groups_are_empty) {
        struct sl_pipeline *p = st_pipeline("- regex: {expression: '(?P<a>x)?(y)(?P<b>z)?'}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, "--y--"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "a", "");
        st_assert_kv(&e.extracted, "b", "");
        ck_assert_uint_eq(e.extracted.len, 2);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page's example: a value, then a regex on it. */
START_TEST(documentation_example) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {time: }}\n"
                "- regex:\n    expression: \"^(?P<year>\\\\d+)\"\n    source: time\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"time\":\"2019-01-01T01:00:00.000000001Z\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "year", "2019");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* TestRegexConfig_validate, and what RE2 refuses. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *key, *msg;
        } cases[] = {
                { "- regex: {}\n", "pipeline_stages[0].regex.expression", "required" },
                { "- regex: {expression: ''}\n", "pipeline_stages[0].regex.expression", "required" },
                { "- regex: {expression: '(?P<ts[0-9]+).*'}\n", "pipeline_stages[0].regex.expression",
                  "invalid named capture" },
                { "- regex: {expression: '(?P<ts>[0-9]+).*', source: ''}\n",
                  "pipeline_stages[0].regex.source", "cannot be empty" },
                { "- regex: {expression: '(?P<a>x)\\1'}\n", "pipeline_stages[0].regex.expression",
                  "backreferences" },
                { "- regex: {expression: '(?P<a>x)(?=y)'}\n", "pipeline_stages[0].regex.expression",
                  "lookaround" },
                { "- regex: {expression: '(?<!y)(?P<a>x)'}\n", "pipeline_stages[0].regex.expression",
                  "lookaround" },
                { "- regex: {expression: '(?P<a>x*+)'}\n", "pipeline_stages[0].regex.expression",
                  "nested repetition" },
                { "- regex: {expression: '(?P<a>x{1001})'}\n", "pipeline_stages[0].regex.expression",
                  "repeat count" },
                { "- regex: {expression: '(?P<a>x)\\K'}\n", "pipeline_stages[0].regex.expression",
                  "invalid escape" },
                { "- regex: {expression: '(?P<a>x', other: 1}\n", "pipeline_stages[0].regex", "other" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_pipeline_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strncmp(err.key, cases[i].key, strlen(cases[i].key)) == 0,
                              "case %zu: key %s", i, err.key);
                ck_assert_msg(strstr(msg, cases[i].msg) != NULL, "case %zu: %s", i, msg);
                ck_assert_uint_eq(err.line, 1);
        }
        /* valid without and with source */
        sl_pipeline_free(st_pipeline("- regex: {expression: '(?P<ts>[0-9]+).*'}\n"));
        sl_pipeline_free(st_pipeline("- regex: {expression: '(?P<ts>[0-9]+).*', source: log}\n"));
}
END_TEST

static Suite *regex_suite(void) {
        Suite *s = suite_create("stage-regex");
        TCase *tc = tcase_create("regex");

        tcase_add_test(tc, pipeline_apache);
        tcase_add_test(tc, parse_cases);
        tcase_add_test(tc, unset_groups_are_empty);
        tcase_add_test(tc, documentation_example);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(regex_suite)
