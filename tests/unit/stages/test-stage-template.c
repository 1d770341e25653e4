/* test-stage-template.c - the template stage and the Go template engine.
 *
 * Cases from Promtail 3.4 stages/template_test.go (TestPipeline_Template,
 * TestTemplateValidation, TestTemplateStage_Process: its table processes
 * the expected map, so its "extracted" column is taken as the input here)
 * and the examples of the stage's documentation page. Where sluice
 * differs: Promtail keeps sprig's whole library; functions beyond the list
 * in go-template.h are a config error here.
 */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

/* The pipeline of the last run_template(): the names it set are borrowed
 * from it, so it lives until the next call (or last_free()). */
static struct sl_pipeline *last;

static void last_free(void) {
        sl_pipeline_free(last);
        last = NULL;
}

/* Runs a one-stage template pipeline on extracted pairs @kv (name, value,
 * ..., NULL), leaving the result in @e. */
static void run_template(const char *source, const char *tmpl, const char *const *kv,
                         struct sl_entry *e) {
        char yaml[4096];
        struct sl_pipeline *p;

        last_free();

        snprintf(yaml, sizeof(yaml), "- template:\n    source: %s\n    template: '%s'\n", source, tmpl);
        p = st_pipeline(yaml);
        sl_entry_reset(e);
        e->line = SL_STR_LIT("not important for this test");
        for (size_t i = 0; kv && kv[i]; i += 2)
                sl_kvs_set(&e->extracted, sl_str_c(kv[i]), sl_str_c(kv[i + 1]));
        ck_assert_int_eq(sl_pipeline_run(p, e), SL_STAGE_KEEP);
        last = p;
}

START_TEST(promtail_process_table) {
        struct sl_entry e;

        sl_entry_init(&e);
        run_template("some", "{{ .Value }} appended", (const char *[]){ "some", "value", NULL }, &e);
        st_assert_kv(&e.extracted, "some", "value appended");
        /* add missing */
        run_template("missing", "newval", (const char *[]){ "notmissing", "value", NULL }, &e);
        st_assert_kv(&e.extracted, "missing", "newval");
        st_assert_kv(&e.extracted, "notmissing", "value");
        run_template("message", "{{.Value}} in module {{.module}}",
                     (const char *[]){ "level", "warn", "app", "loki", "message", "warn for app loki",
                                       "module", "test", NULL },
                     &e);
        st_assert_kv(&e.extracted, "message", "warn for app loki in module test");
        run_template("missing", "{{ .level }} for app {{ .app | ToUpper }}",
                     (const char *[]){ "level", "warn", "app", "loki", NULL }, &e);
        st_assert_kv(&e.extracted, "missing", "warn for app LOKI");
        /* a missing key prints <no value> */
        run_template("message", "{{.Value}} in module {{.module}}",
                     (const char *[]){ "level", "warn", "app", "loki", "message", "warn for app loki", NULL },
                     &e);
        st_assert_kv(&e.extracted, "message", "warn for app loki in module <no value>");
        run_template("level", "{{ Replace .Value \"Warning\" \"warn\" 1 }}",
                     (const char *[]){ "level", "Warning", NULL }, &e);
        st_assert_kv(&e.extracted, "level", "warn");
        run_template("testval", "{{ .Value | ToLower }}", (const char *[]){ "testval", "Value", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "value");
        run_template("testval", "{{ add 7 3 }}", (const char *[]){ "testval", "Value", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "10");
        run_template("testval", "{{ ToLower .Value }}", (const char *[]){ "testval", "Value", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "value");
        /* ToLowerEmptyValue: no value for a string argument fails: nothing set */
        run_template("testval", "{{ .Value | ToLower }}", NULL, &e);
        ck_assert_uint_eq(e.extracted.len, 0);
        run_template("testval", "{{ Replace .Value \" \" \"_\" -1 | ToLower }}",
                     (const char *[]){ "testval", "Some Silly Value With Lots Of Spaces", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "some_silly_value_with_lots_of_spaces");
        run_template("testval", "{{ regexReplaceAll \"(Silly)\" .Value \"${1}foo\"  }}",
                     (const char *[]){ "testval", "Some Silly Value With Lots Of Spaces", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "Some Sillyfoo Value With Lots Of Spaces");
        /* a pattern Go refuses makes the execution fail: unchanged */
        run_template("testval", "{{ regexReplaceAll \"\\\\K\" .Value \"${1}foo\"  }}",
                     (const char *[]){ "testval", "Some Silly Value With Lots Of Spaces", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "Some Silly Value With Lots Of Spaces");
        run_template("testval", "{{ regexReplaceAll \"( |Of)\" .Value \"_\"  }}",
                     (const char *[]){ "testval", "Some Silly Value With Lots Of Spaces", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "Some_Silly_Value_With_Lots___Spaces");
        run_template("testval", "{{ regexReplaceAll \"\\\\K\" .Value \"err\"  }}",
                     (const char *[]){ "testval", "Some Silly Value With Lots Of Spaces", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "Some Silly Value With Lots Of Spaces");
        run_template("testval", "{{ Trim .Value \"!\" }}", (const char *[]){ "testval", "!!!!!WOOOOO!!!!!", NULL },
                     &e);
        st_assert_kv(&e.extracted, "testval", "WOOOOO");
        /* an empty result removes the value, or does not add it */
        run_template("testval", "", (const char *[]){ "testval", "WOOOOO", NULL }, &e);
        ck_assert_uint_eq(e.extracted.len, 0);
        run_template("testval", "", NULL, &e);
        ck_assert_uint_eq(e.extracted.len, 0);
        run_template("testval", "{{ Sha2Hash .Value \"salt\" }}",
                     (const char *[]){ "testval", "this is PII data", NULL }, &e);
        st_assert_kv(&e.extracted, "testval", "5526fd6f8ad457279cf8ff06453c6cb61bf479fa826e3b099caa6c846f9376f2");
        run_template("testval", "{{ Hash .Value \"salt\" }}", (const char *[]){ "testval", "this is PII data", NULL },
                     &e);
        st_assert_kv(&e.extracted, "testval", "0807ea24e992127128b38e4930f7155013786a4999c73a25910318a793847658");
        last_free();
        sl_entry_release(&e);
}
END_TEST

/* TestPipeline_Template: json, three templates, labels. */
START_TEST(promtail_pipeline) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {app: app, level: level}}\n"
                "- template: {source: app, template: '{{ .Value | ToUpper }} doki'}\n"
                "- template:\n    source: level\n    template: '{{ if eq .Value \"WARN\" }}{{ Replace "
                ".Value \"WARN\" \"OK\" -1 }}{{ else }}{{ .Value }}{{ end }}'\n"
                "- template: {source: nonexistent, template: TEST}\n"
                "- labels: {app: '', level: '', type: nonexistent}\n");
        struct sl_entry e;
        static const char line[] =
                "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"loki\",\"component\":[\"parser\","
                "\"type\"],\"level\" : \"WARN\",\"nested\" : {\"child\":\"value\"},\"message\" : \"this is "
                "a log line\"}";
        static const char missing[] =
                "{\"time\":\"2012-11-01T22:08:41+00:00\",\"component\":[\"parser\",\"type\"],\"level\" : "
                "\"WARN\",\"nested\" : {\"child\":\"value\"},\"message\" : \"this is a log line\"}";

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "app", "LOKI doki");
        st_assert_kv(&e.labels, "level", "OK");
        st_assert_kv(&e.labels, "type", "TEST");
        /* TestPipelineWithMissingKey_Template: no app, the rest goes on */
        ck_assert_int_eq(st_run(p, &e, 1, missing), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "app", NULL);
        st_assert_kv(&e.labels, "level", "OK");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page's examples. */
START_TEST(documentation_examples) {
        struct sl_entry e;
        struct sl_pipeline *p;

        sl_entry_init(&e);
        run_template("new_key", "hello world!", NULL, &e);
        st_assert_kv(&e.extracted, "new_key", "hello world!");
        run_template("app", "{{ .Value }}_some_suffix", (const char *[]){ "app", "loki", NULL }, &e);
        st_assert_kv(&e.extracted, "app", "loki_some_suffix");
        run_template("app", "{{ ToLower .Value }}", (const char *[]){ "app", "LOKI", NULL }, &e);
        st_assert_kv(&e.extracted, "app", "loki");
        run_template("output_msg", "{{ .level }} for app {{ ToUpper .app }}",
                     (const char *[]){ "level", "warn", "app", "loki", NULL }, &e);
        st_assert_kv(&e.extracted, "output_msg", "warn for app LOKI");
        run_template("app", "{{ .level }} for app {{ ToUpper .Value }} in module {{.module}}",
                     (const char *[]){ "level", "warn", "app", "loki", "module", "test", NULL }, &e);
        st_assert_kv(&e.extracted, "app", "warn for app LOKI in module test");
        run_template("app", "{{ Replace .Value \"loki\" \"blokey\" 1 }}",
                     (const char *[]){ "app", "loki loki", NULL }, &e);
        st_assert_kv(&e.extracted, "app", "blokey loki");
        run_template("app", "{{.app }}: {{ .Entry }}", (const char *[]){ "app", "loki", NULL }, &e);
        st_assert_kv(&e.extracted, "app", "loki: not important for this test");
        last_free();

        /* The 12-hour clock example, a YAML string folded with "\". */
        p = st_pipeline(
                "- template:\n"
                "    source: time\n"
                "    template: \"\\\n"
                "      {{ .date_local | substr 6 10 }}-{{ .date_local | substr 0 2 }}-{{ .date_local | substr 3 5 }}T\\\n"
                "      {{ if eq (.time_local | substr 0 2) \\\"12\\\" }}\\\n"
                "          {{ if eq .hour_period \\\"AM\\\" }}00{{ else }}12{{ end }}{{ .time_local | substr 2 10}}Z\\\n"
                "      {{ else }}\\\n"
                "          {{ if eq .hour_period \\\"AM\\\" }}\\\n"
                "              {{ if or (eq (.time_local | substr 0 2) \\\"11\\\") (eq (.time_local | substr 0 2) \\\"10\\\") }}{{ .time_local }}Z\\\n"
                "                  {{ else }}0{{ .time_local }}Z\\\n"
                "              {{ end }}\\\n"
                "          {{ else }}\\\n"
                "              {{ if eq (.time_local | substr 0 2) \\\"11\\\" }}23{{ .time_local | substr 2 10 }}Z{{ end }}\\\n"
                "              {{ if eq (.time_local | substr 0 2) \\\"10\\\" }}22{{ .time_local | substr 2 10 }}Z{{ end }}\\\n"
                "              {{ if eq (.time_local | substr 0 2) \\\"9:\\\" }}21{{ .time_local | substr 1 10 }}Z{{ end }}\\\n"
                "              {{ if eq (.time_local | substr 0 2) \\\"8:\\\" }}20{{ .time_local | substr 1 10 }}Z{{ end }}\\\n"
                "              {{ if and (le (.time_local | substr 0 1) \\\"7\\\") (eq (.time_local | substr 1 2) \\\":\\\") }}1{{ add (.time_local | substr 0 1) 2 }}{{ .time_local | substr 1 10 }}Z{{ end }}\\\n"
                "          {{ end }}\\\n"
                "      {{ end }}\"\n");
        sl_entry_reset(&e);
        sl_kvs_set(&e.extracted, SL_STR_LIT("date_local"), SL_STR_LIT("04/21/2023"));
        sl_kvs_set(&e.extracted, SL_STR_LIT("time_local"), SL_STR_LIT("7:15:02"));
        sl_kvs_set(&e.extracted, SL_STR_LIT("hour_period"), SL_STR_LIT("PM"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "time", "2023-04-21T19:15:02Z");
        sl_entry_reset(&e);
        sl_kvs_set(&e.extracted, SL_STR_LIT("date_local"), SL_STR_LIT("04/21/2023"));
        sl_kvs_set(&e.extracted, SL_STR_LIT("time_local"), SL_STR_LIT("12:30:00"));
        sl_kvs_set(&e.extracted, SL_STR_LIT("hour_period"), SL_STR_LIT("AM"));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "time", "2023-04-21T00:30:00Z");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The engine beyond Promtail's table: syntax and functions. */
START_TEST(engine) {
        static const struct {
                const char *tmpl, *want; /* want NULL: the execution fails */
        } cases[] = {
                { "{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", "A" },
                { "{{ if .none }}A{{ else if .b }}B{{ else }}C{{ end }}", "B" },
                { "{{ if .none }}A{{ else if .none }}B{{ else }}C{{ end }}", "C" },
                { "{{ if and .a .b }}yes{{ end }}", "yes" },
                { "{{ or .empty .a }}", "x" },
                { "{{ and .a .empty }}|", "|" },
                { "{{ if not .empty }}empty{{ end }}", "empty" },
                { "{{ if ne .a \"y\" }}ne{{ end }}", "ne" },
                { "{{ if eq .a \"q\" \"x\" }}one of{{ end }}", "one of" },
                { "{{ eq .a 1 }}", NULL },
                { "{{ eq .none \"x\" }}", NULL },
                { "{{ if lt .a \"y\" }}lt{{ end }}", "lt" },
                { "  {{- .a -}}  \n", "x" },
                { "a {{/* a comment */}}b", "a b" },
                { "{{ \"quo\\\"ted\\n\" }}", "quo\"ted\n" },
                { "{{ `raw\\n` }}", "raw\\n" },
                { "{{ 42 }} {{ -1 }} {{ 1.5 }} {{ true }} {{ nil }}", "42 -1 1.5 true <nil>" },
                { "{{ .a | printf \"%s-%s\" \"z\" }}", "z-x" },
                { "{{ print 1 2 \"s\" 3 }}", "1 2s3" },
                { "{{ len .long }}", "11" },
                { "{{ default \"d\" .none }}{{ default \"d\" .empty }}{{ .a | default \"d\" }}", "ddx" },
                { "{{ contains \"ll\" .long }}{{ hasPrefix \"he\" .long }}{{ hasSuffix \"x\" .long }}",
                  "truetruefalse" },
                { "{{ trunc 5 .long }}|{{ trunc -5 .long }}|{{ trunc 50 .long }}", "hello|world|hello world" },
                { "{{ upper .long }} {{ lower \"ABC\" }} {{ replace \"o\" \"0\" .long }}",
                  "HELLO WORLD abc hell0 w0rld" },
                { "{{ quote .long .a }}", "\"hello world\" \"x\"" },
                { "{{ .ctl | quote }}", "\"a\\tb\\x01\"" },
                { "{{ .html | toJson }}", "\"\\u003cb\\u003e \\u0026 \\\"q\\\"\"" },
                { "{{ toJson .none }}", "null" },
                { "{{ TrimSpace .spaced }}|{{ TrimLeft .spaced \" \" }}|{{ TrimPrefix .long \"hello \" }}"
                  "|{{ TrimSuffix .long \" world\" }}|{{ TrimRight \"xxaxx\" \"x\" }}",
                  "pad|pad  |world|hello|xxa" },
                { "{{ regexReplaceAllLiteral \"o\" .long \"$1\" }}", "hell$1 w$1rld" },
                { "{{ regexReplaceAll .pattern .long \"0\" }}", "hell0 w0rld" },
                { "{{ ToUpper 1 }}", NULL },
                { "{{ Replace .a \"x\" \"y\" \"1\" }}", NULL },
                { "{{ with .a }}[{{ . }}]{{ else }}none{{ end }}", "[x]" },
                { "{{ with .none }}[{{ . }}]{{ else }}none{{ end }}", "none" },
                { "{{ $.a }}{{ (.a) }}{{ (print .a \"y\") | ToUpper }}", "xxXY" },
                { "{{ .a.b }}", NULL },
        };
        static const char *const kv[] = { "a", "x", "b", "y", "empty", "", "long", "hello world",
                                           "ctl", "a\tb\x01", "html", "<b> & \"q\"", "spaced",
                                           "  pad  ", "pattern", "o", NULL };
        struct sl_entry e;

        sl_entry_init(&e);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_pipeline *p;
                char yaml[2048], esc[1024];
                size_t n = 0;

                /* single-quoted YAML: double the quotes */
                for (const char *c = cases[i].tmpl; *c && n + 2 < sizeof(esc); c++) {
                        if (*c == '\'')
                                esc[n++] = '\'';
                        esc[n++] = *c == '\n' ? ' ' : *c;
                }
                esc[n] = '\0';
                if (strchr(cases[i].tmpl, '\n'))
                        snprintf(yaml, sizeof(yaml), "- template:\n    source: out\n    template: \"%s\"\n",
                                 "  {{- .a -}}  \\n");
                else
                        snprintf(yaml, sizeof(yaml), "- template:\n    source: out\n    template: '%s'\n", esc);
                p = st_pipeline(yaml);
                sl_entry_reset(&e);
                for (size_t j = 0; kv[j]; j += 2)
                        sl_kvs_set(&e.extracted, sl_str_c(kv[j]), sl_str_c(kv[j + 1]));
                ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
                if (cases[i].want) {
                        const struct sl_str *v = sl_kvs_get(&e.extracted, SL_STR_LIT("out"));
                        ck_assert_msg(v && sl_str_eq_c(*v, cases[i].want), "%s: got \"%.*s\", want \"%s\"",
                                      cases[i].tmpl, v ? (int)v->len : 6, v ? v->ptr : "(none)",
                                      cases[i].want);
                } else {
                        ck_assert_msg(!sl_kvs_get(&e.extracted, SL_STR_LIT("out")), "%s: did not fail",
                                      cases[i].tmpl);
                }
                sl_pipeline_free(p);
        }
        sl_entry_release(&e);
}
END_TEST

/* TestTemplateValidation, and what the engine refuses at load. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *key, *msg;
        } cases[] = {
                { "- template: {}\n", "pipeline_stages[0].template.source", "required" },
                { "- template: {template: x}\n", "pipeline_stages[0].template.source", "required" },
                { "- template: {source: a, template: '{{ nope .Value }}'}\n",
                  "pipeline_stages[0].template.template", "function \"nope\" not defined" },
                { "- template: {source: a, template: '{{ .Value '}\n", "pipeline_stages[0].template.template",
                  "unclosed action" },
                { "- template: {source: a, template: '{{ if .a }}x'}\n", "pipeline_stages[0].template.template",
                  "missing {{end}}" },
                { "- template: {source: a, template: '{{ end }}'}\n", "pipeline_stages[0].template.template",
                  "unexpected {{end}}" },
                { "- template: {source: a, template: '{{ range .a }}{{ end }}'}\n",
                  "pipeline_stages[0].template.template", "not supported" },
                { "- template: {source: a, template: '{{ $x := .a }}'}\n", "pipeline_stages[0].template.template",
                  "variables" },
                { "- template: {source: a, template: '{{ ToLower }}'}\n", "pipeline_stages[0].template.template",
                  "wrong number of args" },
                { "- template: {source: a, template: '{{ .a .b }}'}\n", "pipeline_stages[0].template.template",
                  "non-function" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_pipeline_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, cases[i].key) == 0, "case %zu: key %s", i, err.key);
                ck_assert_msg(strstr(msg, cases[i].msg) != NULL, "case %zu: %s", i, msg);
        }
}
END_TEST

static Suite *template_suite(void) {
        Suite *s = suite_create("stage-template");
        TCase *tc = tcase_create("template");

        tcase_add_test(tc, promtail_process_table);
        tcase_add_test(tc, promtail_pipeline);
        tcase_add_test(tc, documentation_examples);
        tcase_add_test(tc, engine);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(template_suite)
