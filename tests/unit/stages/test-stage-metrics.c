/* test-stage-metrics.c - the metrics stage: counters, gauges and
 * histograms from extracted values, one series per label set, Promtail's
 * actions and validation, max_idle_duration.
 *
 * Cases from Promtail 3.4 stages/metrics_test.go (TestMetricsPipeline,
 * TestNegativeGauge, TestPipelineWithMissingKey_Metrics,
 * TestMetricsWithDropInPipeline, TestNonPrometheusLabelsShouldBeDropped,
 * TestValidateMetricsConfig, TestDefaultIdleDuration,
 * TestMetricStage_Process), logentry/metric/counters_test.go
 * (Test_validateCounterConfig, TestCounterExpiration) and the examples of
 * the stage's documentation page. Promtail's expected text is compared
 * line by line (values as %g writes them: "1" for Prometheus' "1.0"). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "sl-test.h"
#include "stage-test.h"

#define S SL_NSEC_PER_SEC

static struct sl_entry e;
static char text[16384];

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

/* Promtail's testMetricLogLine1 and 2, byte for byte (127 and 128 bytes). */
#define LINE1 "\n{\n\t\"time\":\"2012-11-01T22:08:41+00:00\",\n\t\"app\":\"loki\",\n    \"payload\": 10,\n\t\"component\": [\"parser\",\"type\"],\n\t\"level\" : \"WARN\"\n}\n"
#define LINE2 "\n{\n\t\"time\":\"2012-11-01T22:08:41+00:00\",\n\t\"app\":\"bloki\",\n    \"payload\": 20,\n\t\"component\": [\"parser\",\"type\"],\n\t\"level\" : \"WARN\"\n}\n"
#define LINE_MISSING_KEY "\n{\n\t\"time\":\"2012-11-01T22:08:41+00:00\",\n\t\"payload\": 20,\n\t\"component\": [\"parser\",\"type\"],\n\t\"level\" : \"WARN\"\n}\n"

#define TEST_METRIC_YAML                            \
        "- json:\n"                                 \
        "    expressions:\n"                        \
        "      app: app\n"                          \
        "      payload: payload\n"                  \
        "- metrics:\n"                              \
        "    loki_count:\n"                         \
        "      type: Counter\n"                     \
        "      description: uhhhhhhh\n"             \
        "      prefix: my_promtail_custom_\n"       \
        "      source: app\n"                       \
        "      config:\n"                           \
        "        value: loki\n"                     \
        "        action: inc\n"                     \
        "    bloki_count:\n"                        \
        "      type: Gauge\n"                       \
        "      description: blerrrgh\n"             \
        "      source: app\n"                       \
        "      config:\n"                           \
        "        value: bloki\n"                    \
        "        action: dec\n"                     \
        "    total_lines_count:\n"                  \
        "      type: Counter\n"                     \
        "      description: nothing to see here...\n" \
        "      config:\n"                           \
        "        match_all: true\n"                 \
        "        action: inc\n"                     \
        "    total_bytes_count:\n"                  \
        "      type: Counter\n"                     \
        "      description: nothing to see here...\n" \
        "      config:\n"                           \
        "        match_all: true\n"                 \
        "        count_entry_bytes: true\n"         \
        "        action: add\n"                     \
        "    payload_size_bytes:\n"                 \
        "      type: Histogram\n"                   \
        "      description: grrrragh\n"             \
        "      source: payload\n"                   \
        "      config:\n"                           \
        "        buckets: [10, 20]\n"

/* TestMetricsPipeline. */
START_TEST(pipeline) {
        struct sl_pipeline *p = st_pipeline(TEST_METRIC_YAML);
        static const char *const want[] = {
                "# HELP my_promtail_custom_loki_count uhhhhhhh",
                "# TYPE my_promtail_custom_loki_count counter",
                "my_promtail_custom_loki_count{test=\"app\"} 1",
                "# HELP promtail_custom_bloki_count blerrrgh",
                "# TYPE promtail_custom_bloki_count gauge",
                "promtail_custom_bloki_count{test=\"app\"} -1",
                "# HELP promtail_custom_payload_size_bytes grrrragh",
                "# TYPE promtail_custom_payload_size_bytes histogram",
                "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"10\"} 1",
                "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"20\"} 2",
                "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"+Inf\"} 2",
                "promtail_custom_payload_size_bytes_sum{test=\"app\"} 30",
                "promtail_custom_payload_size_bytes_count{test=\"app\"} 2",
                "# HELP promtail_custom_total_bytes_count nothing to see here...",
                "# TYPE promtail_custom_total_bytes_count counter",
                "promtail_custom_total_bytes_count{test=\"app\"} 255",
                "# HELP promtail_custom_total_lines_count nothing to see here...",
                "# TYPE promtail_custom_total_lines_count counter",
                "promtail_custom_total_lines_count{test=\"app\"} 2",
        };
        size_t lines = 0;

        ck_assert_int_eq(st_run_at(p, &e, 1, "test=app", LINE1, 0, S), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "test=app", LINE2, 0, S), SL_STAGE_KEEP);
        st_metrics_text(p, S, text, sizeof(text));
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                st_assert_line(text, want[i]);
        for (const char *c = text; *c; c++)
                lines += *c == '\n';
        ck_assert_uint_eq(lines, sizeof(want) / sizeof(want[0]));
        sl_pipeline_free(p);
}
END_TEST

/* TestNegativeGauge: set from a negative number (match_all in a gauge's
 * config is ignored, as in Promtail). */
START_TEST(negative_gauge) {
        struct sl_pipeline *p = st_pipeline(
                "- regex:\n"
                "    expression: 'vehicle=(?P<vehicle>\\d+) longitude=(?P<longitude>[-]?\\d+\\.\\d+) latitude=(?P<latitude>\\d+\\.\\d+)'\n"
                "- labels:\n"
                "    vehicle:\n"
                "- metrics:\n"
                "    longitude:\n"
                "        type: Gauge\n"
                "        description: \"longitude GPS vehicle\"\n"
                "        source: longitude\n"
                "        config:\n"
                "          match_all: true\n"
                "          action: set\n");

        st_run_at(p, &e, 1, "test=app", "#<13>Jan 28 14:25:52 vehicle=1 longitude=-10.1234 latitude=15.1234", 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "# HELP promtail_custom_longitude longitude GPS vehicle");
        st_assert_line(text, "# TYPE promtail_custom_longitude gauge");
        st_assert_line(text, "promtail_custom_longitude{test=\"app\",vehicle=\"1\"} -10.1234");
        sl_pipeline_free(p);
}
END_TEST

/* TestPipelineWithMissingKey_Metrics: without app, the value comparisons
 * fail and nothing but the match_all counters and the histogram moves. */
START_TEST(missing_key) {
        struct sl_pipeline *p = st_pipeline(TEST_METRIC_YAML);

        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, LINE_MISSING_KEY, 0, S), SL_STAGE_KEEP);
        st_metrics_text(p, S, text, sizeof(text));
        ck_assert(!st_has_sample(text, "my_promtail_custom_loki_count"));
        ck_assert(!st_has_sample(text, "promtail_custom_bloki_count"));
        st_assert_line(text, "promtail_custom_total_lines_count 1");
        st_assert_line(text, "promtail_custom_payload_size_bytes_sum 20");
        sl_pipeline_free(p);
}
END_TEST

/* TestMetricsWithDropInPipeline: a dropped entry counts in no metric. */
START_TEST(drop_in_pipeline) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app: app\n"
                                            "      drop: drop\n"
                                            "- match:\n"
                                            "    selector: '{drop=\"true\"}'\n"
                                            "    action: drop\n"
                                            "- metrics:\n"
                                            "    loki_count:\n"
                                            "      type: Counter\n"
                                            "      source: app\n"
                                            "      description: \"should only inc on non dropped labels\"\n"
                                            "      config:\n"
                                            "        action: inc\n");

        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, LINE1, 0, S), SL_STAGE_KEEP);
        ck_assert_int_eq(st_run_at(p, &e, 1, "drop=true", LINE2, 0, S), SL_STAGE_DROP);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "# HELP promtail_custom_loki_count should only inc on non dropped labels");
        st_assert_line(text, "promtail_custom_loki_count 1");
        ck_assert_ptr_null(strstr(text, "drop=\"true\""));
        sl_pipeline_free(p);
}
END_TEST

/* TestNonPrometheusLabelsShouldBeDropped: internal labels ("__", the
 * tenant's too) and names Prometheus refuses are not series labels. */
START_TEST(non_prometheus_labels) {
        static const char *const counter_match_all =
                "- metrics:\n"
                "    loki_count:\n"
                "      type: Counter\n"
                "      source: app\n"
                "      description: \"should count all entries\"\n"
                "      config:\n"
                "        match_all: true\n"
                "        action: inc\n";
        char yaml[1024];
        struct sl_pipeline *p;

        /* counter metric with non-prometheus incoming label */
        snprintf(yaml, sizeof(yaml), "- static_labels:\n    good_label: \"1\"\n%s", counter_match_all);
        p = st_pipeline(yaml);
        st_run_at(p, &e, 1, "__bad_label__=2", LINE1, 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_loki_count{good_label=\"1\"} 1");
        sl_pipeline_free(p);

        /* counter metric with tenant step injected label */
        snprintf(yaml, sizeof(yaml), "- static_labels:\n    good_label: \"1\"\n- tenant:\n    value: \"2\"\n%s",
                 counter_match_all);
        p = st_pipeline(yaml);
        st_run_at(p, &e, 1, NULL, LINE1, 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_loki_count{good_label=\"1\"} 1");
        sl_pipeline_free(p);

        /* gauge metric with non-prometheus incoming label */
        p = st_pipeline("- regex:\n"
                        "    expression: 'vehicle=(?P<vehicle>\\d+) longitude=(?P<longitude>[-]?\\d+\\.\\d+) latitude=(?P<latitude>\\d+\\.\\d+)'\n"
                        "- labels:\n"
                        "    vehicle:\n"
                        "- metrics:\n"
                        "    longitude:\n"
                        "        type: Gauge\n"
                        "        description: \"longitude GPS vehicle\"\n"
                        "        source: longitude\n"
                        "        config:\n"
                        "          match_all: true\n"
                        "          action: set\n");
        st_run_at(p, &e, 1, "__bad_label__=2", "#<13>Jan 28 14:25:52 vehicle=1 longitude=-10.1234 latitude=15.1234", 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_longitude{vehicle=\"1\"} -10.1234");
        sl_pipeline_free(p);

        /* histogram metric with non-prometheus incoming label */
        p = st_pipeline("- json:\n"
                        "    expressions:\n"
                        "      payload: payload\n"
                        "- metrics:\n"
                        "    payload_size_bytes:\n"
                        "      type: Histogram\n"
                        "      description: payload size in bytes\n"
                        "      source: payload\n"
                        "      config:\n"
                        "        buckets: [10, 20]\n");
        st_run_at(p, &e, 1, "test=app,__bad_label__=2", LINE1, 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "# HELP promtail_custom_payload_size_bytes payload size in bytes");
        st_assert_line(text, "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"10\"} 1");
        st_assert_line(text, "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"20\"} 1");
        st_assert_line(text, "promtail_custom_payload_size_bytes_bucket{test=\"app\",le=\"+Inf\"} 1");
        st_assert_line(text, "promtail_custom_payload_size_bytes_sum{test=\"app\"} 10");
        st_assert_line(text, "promtail_custom_payload_size_bytes_count{test=\"app\"} 1");
        sl_pipeline_free(p);

        /* sluice: a name Prometheus refuses is left out too. */
        p = st_pipeline(counter_match_all);
        st_run_at(p, &e, 1, "bad-name=1,ok=2", LINE1, 0, S);
        st_metrics_text(p, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_loki_count{ok=\"2\"} 1");
        sl_pipeline_free(p);
}
END_TEST

/* TestMetricStage_Process: two label sets, the same extracted values.
 * Promtail's json expressions there use JMESPath functions (length(keys(@)),
 * contains(values(@),'WARN')) that sluice's json stage does not evaluate,
 * so their results (8, true, false) are given as extracted values. */
START_TEST(stage_process) {
        struct sl_pipeline *json = st_pipeline("- json:\n"
                                               "    expressions:\n"
                                               "      numeric_float: numeric.float\n"
                                               "      numeric_integer: numeric.integer\n"
                                               "      numeric_string: numeric.string\n");
        struct sl_pipeline *p = st_pipeline(
                "- regex:\n"
                "    expression: \"(?P<get>\\\"GET).*HTTP/1.1\\\" (?P<status>\\\\d*) (?P<time>\\\\d*ms)\"\n"
                "- metrics:\n"
                "    total_keys:\n"
                "      type: Counter\n"
                "      description: the total keys per doc\n"
                "      config:\n"
                "        action: add\n"
                "    keys_per_line:\n"
                "      type: Histogram\n"
                "      description: keys per doc\n"
                "      config:\n"
                "        buckets: [1, 3, 5, 10]\n"
                "    numeric_float:\n"
                "      type: Gauge\n"
                "      description: numeric_float\n"
                "      config:\n"
                "        action: add\n"
                "    numeric_integer:\n"
                "      type: Gauge\n"
                "      description: numeric.integer\n"
                "      config:\n"
                "        action: add\n"
                "    numeric_string:\n"
                "      type: Gauge\n"
                "      description: numeric.string\n"
                "      config:\n"
                "        action: add\n"
                "    contains_warn:\n"
                "      type: Counter\n"
                "      description: contains_warn\n"
                "      config:\n"
                "        value: \"true\"\n"
                "        action: inc\n"
                "    contains_false:\n"
                "      type: Counter\n"
                "      description: contains_false\n"
                "      config:\n"
                "        value: \"true\"\n"
                "        action: add\n"
                "    matches:\n"
                "      type: Counter\n"
                "      source: time\n"
                "      description: all matches\n"
                "      config:\n"
                "        action: inc\n"
                "    response_time_seconds:\n"
                "      type: Histogram\n"
                "      source: time\n"
                "      description: response time in ms\n"
                "      config:\n"
                "        buckets: [0.5, 1, 2]\n");
        static const char *const want[] = {
                "promtail_custom_contains_warn{bar=\"foo\",foo=\"bar\"} 1",
                "promtail_custom_contains_warn{baz=\"fu\",fu=\"baz\"} 1",
                "promtail_custom_keys_per_line_bucket{bar=\"foo\",foo=\"bar\",le=\"1\"} 0",
                "promtail_custom_keys_per_line_bucket{bar=\"foo\",foo=\"bar\",le=\"3\"} 0",
                "promtail_custom_keys_per_line_bucket{bar=\"foo\",foo=\"bar\",le=\"5\"} 0",
                "promtail_custom_keys_per_line_bucket{bar=\"foo\",foo=\"bar\",le=\"10\"} 1",
                "promtail_custom_keys_per_line_bucket{bar=\"foo\",foo=\"bar\",le=\"+Inf\"} 1",
                "promtail_custom_keys_per_line_sum{bar=\"foo\",foo=\"bar\"} 8",
                "promtail_custom_keys_per_line_count{bar=\"foo\",foo=\"bar\"} 1",
                "promtail_custom_keys_per_line_bucket{baz=\"fu\",fu=\"baz\",le=\"10\"} 1",
                "promtail_custom_keys_per_line_sum{baz=\"fu\",fu=\"baz\"} 8",
                "promtail_custom_keys_per_line_count{baz=\"fu\",fu=\"baz\"} 1",
                "promtail_custom_matches{bar=\"foo\",foo=\"bar\"} 1",
                "promtail_custom_matches{baz=\"fu\",fu=\"baz\"} 1",
                "promtail_custom_numeric_float{bar=\"foo\",foo=\"bar\"} 12.34",
                "promtail_custom_numeric_float{baz=\"fu\",fu=\"baz\"} 12.34",
                "promtail_custom_numeric_integer{bar=\"foo\",foo=\"bar\"} 123",
                "promtail_custom_numeric_integer{baz=\"fu\",fu=\"baz\"} 123",
                "promtail_custom_numeric_string{bar=\"foo\",foo=\"bar\"} 123",
                "promtail_custom_numeric_string{baz=\"fu\",fu=\"baz\"} 123",
                "promtail_custom_response_time_seconds_bucket{bar=\"foo\",foo=\"bar\",le=\"0.5\"} 0",
                "promtail_custom_response_time_seconds_bucket{bar=\"foo\",foo=\"bar\",le=\"1\"} 1",
                "promtail_custom_response_time_seconds_bucket{bar=\"foo\",foo=\"bar\",le=\"2\"} 1",
                "promtail_custom_response_time_seconds_bucket{bar=\"foo\",foo=\"bar\",le=\"+Inf\"} 1",
                "promtail_custom_response_time_seconds_sum{bar=\"foo\",foo=\"bar\"} 0.932",
                "promtail_custom_response_time_seconds_count{bar=\"foo\",foo=\"bar\"} 1",
                "promtail_custom_response_time_seconds_sum{baz=\"fu\",fu=\"baz\"} 0.932",
                "promtail_custom_response_time_seconds_count{baz=\"fu\",fu=\"baz\"} 1",
                "promtail_custom_total_keys{bar=\"foo\",foo=\"bar\"} 8",
                "promtail_custom_total_keys{baz=\"fu\",fu=\"baz\"} 8",
        };
        static const char *const labels[] = { "foo=bar,bar=foo", "fu=baz,baz=fu" };

        for (int i = 0; i < 2; i++) {
                ck_assert_int_eq(st_run_at(json, &e, 1, labels[i],
                                           "{\"numeric\": {\"float\": 12.34, \"integer\": 123, \"string\": \"123\"}}",
                                           0, S),
                                 SL_STAGE_KEEP);
                sl_kvs_set(&e.extracted, SL_STR_LIT("total_keys"), SL_STR_LIT("8"));
                sl_kvs_set(&e.extracted, SL_STR_LIT("keys_per_line"), SL_STR_LIT("8"));
                sl_kvs_set(&e.extracted, SL_STR_LIT("contains_warn"), SL_STR_LIT("true"));
                sl_kvs_set(&e.extracted, SL_STR_LIT("contains_false"), SL_STR_LIT("false"));
                e.line = SL_STR_LIT("11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] \"GET /1986.js HTTP/1.1\" 200 932ms\"");
                ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        }
        st_metrics_text(p, S, text, sizeof(text));
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                st_assert_line(text, want[i]);
        ck_assert(!st_has_sample(text, "promtail_custom_contains_false"));
        sl_pipeline_free(json);
        sl_pipeline_free(p);
}
END_TEST

/* Promtail's getFloat: numbers, Go durations in seconds, booleans; other
 * text updates nothing. */
START_TEST(values) {
        static const struct {
                const char *value;
                const char *want; /* the gauge after set; NULL: not set */
        } cases[] = {
                { "0.804", "0.804" }, { "-3", "-3" },       { "1e3", "1000" },
                { "0.5ms", "0.0005" }, { "932ms", "0.932" }, { "10h", "36000" },
                { "1h30m", "5400" },   { "2us", "2e-06" },   { "true", "1" },
                { "false", "0" },      { "abc", NULL },      { "", NULL },
                { "5 ", NULL },        { "ms", NULL },       { "1x", NULL },
        };
        char line[128];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_pipeline *p = st_pipeline("- metrics:\n"
                                                    "    v:\n"
                                                    "      type: gauge\n"
                                                    "      config: {action: set}\n");
                sl_entry_reset(&e);
                e.line = SL_STR_LIT("x");
                sl_kvs_set(&e.extracted, SL_STR_LIT("v"), sl_str_c(cases[i].value));
                sl_pipeline_run(p, &e);
                st_metrics_text(p, 0, text, sizeof(text));
                if (cases[i].want) {
                        snprintf(line, sizeof(line), "promtail_custom_v %s", cases[i].want);
                        st_assert_line(text, line);
                } else {
                        ck_assert_msg(!st_has_sample(text, "promtail_custom_v"), "\"%s\" set: %s",
                                      cases[i].value, text);
                }
                sl_pipeline_free(p);
        }
}
END_TEST

/* Every gauge action, and a counter's add (a negative add is ignored:
 * Prometheus' counter would panic in Promtail). */
START_TEST(actions) {
        struct sl_pipeline *p = st_pipeline("- metrics:\n"
                                            "    g_inc: {type: Gauge, source: v, config: {action: inc}}\n"
                                            "    g_dec: {type: Gauge, source: v, config: {action: DEC}}\n"
                                            "    g_add: {type: Gauge, source: v, config: {action: add}}\n"
                                            "    g_sub: {type: Gauge, source: v, config: {action: sub}}\n"
                                            "    g_set: {type: Gauge, source: v, config: {action: set}}\n"
                                            "    c_add: {type: counter, source: v, config: {action: Add}}\n"
                                            "    c_inc: {type: COUNTER, source: v, config: {action: inc}}\n");
        static const char *const seen[] = { "5", "2", "-4" };

        for (size_t i = 0; i < 3; i++) {
                sl_entry_reset(&e);
                e.line = SL_STR_LIT("x");
                sl_kvs_set(&e.extracted, SL_STR_LIT("v"), sl_str_c(seen[i]));
                sl_pipeline_run(p, &e);
        }
        st_metrics_text(p, 0, text, sizeof(text));
        st_assert_line(text, "promtail_custom_g_inc 3");
        st_assert_line(text, "promtail_custom_g_dec -3");
        st_assert_line(text, "promtail_custom_g_add 3");
        st_assert_line(text, "promtail_custom_g_sub -3");
        st_assert_line(text, "promtail_custom_g_set -4");
        st_assert_line(text, "promtail_custom_c_add 7");
        st_assert_line(text, "promtail_custom_c_inc 3");
        sl_pipeline_free(p);
}
END_TEST

/* TestCounterExpiration (max_idle_duration 1s): a series not updated for
 * that long is written once more, then gone; TestDefaultIdleDuration: 5m. */
START_TEST(idle) {
        struct sl_pipeline *p = st_pipeline("- metrics:\n"
                                            "    test1:\n"
                                            "      type: Counter\n"
                                            "      description: HELP ME!!!!!\n"
                                            "      max_idle_duration: 1s\n"
                                            "      config: {match_all: true, action: inc}\n"
                                            "    five:\n"
                                            "      type: Counter\n"
                                            "      config: {match_all: true, action: inc}\n");
        uint64_t t = 1000 * S;

        st_run_at(p, &e, 1, "test=i don't wanna make this a constant", "x", 0, t);
        st_metrics_text(p, t, text, sizeof(text));
        st_assert_line(text, "promtail_custom_test1{test=\"i don't wanna make this a constant\"} 1");
        st_metrics_text(p, t + S / 2, text, sizeof(text));
        st_assert_line(text, "promtail_custom_test1{test=\"i don't wanna make this a constant\"} 1");
        st_run_at(p, &e, 1, "test=eat this linter", "x", 0, t + 1100 * SL_NSEC_PER_MSEC);
        /* Past its idle time: written one last time, then removed. */
        st_metrics_text(p, t + 1100 * SL_NSEC_PER_MSEC, text, sizeof(text));
        st_assert_line(text, "promtail_custom_test1{test=\"i don't wanna make this a constant\"} 1");
        st_metrics_text(p, t + 1200 * SL_NSEC_PER_MSEC, text, sizeof(text));
        ck_assert_ptr_null(strstr(text, "promtail_custom_test1{test=\"i don't"));
        st_assert_line(text, "promtail_custom_test1{test=\"eat this linter\"} 1");
        /* The default, five minutes. */
        st_assert_line(text, "promtail_custom_five{test=\"i don't wanna make this a constant\"} 1");
        st_metrics_text(p, t + 299 * S, text, sizeof(text));
        st_metrics_text(p, t + 299 * S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_five{test=\"i don't wanna make this a constant\"} 1");
        st_metrics_text(p, t + 300 * S, text, sizeof(text));
        st_metrics_text(p, t + 300 * S, text, sizeof(text));
        ck_assert_ptr_null(strstr(text, "promtail_custom_five{test=\"i don't"));
        st_assert_line(text, "promtail_custom_five{test=\"eat this linter\"} 1");
        /* A series that comes back starts over. */
        st_run_at(p, &e, 1, "test=i don't wanna make this a constant", "x", 0, t + 301 * S);
        st_metrics_text(p, t + 301 * S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_five{test=\"i don't wanna make this a constant\"} 1");
        sl_pipeline_free(p);
}
END_TEST

/* The documentation page's examples. */
START_TEST(documentation) {
        struct sl_pipeline *volume = st_pipeline("- metrics:\n"
                                                 "    log_lines_total:\n"
                                                 "      type: Counter\n"
                                                 "      description: \"total number of log lines\"\n"
                                                 "      prefix: my_promtail_custom_\n"
                                                 "      max_idle_duration: 24h\n"
                                                 "      config:\n"
                                                 "        match_all: true\n"
                                                 "        action: inc\n"
                                                 "    log_bytes_total:\n"
                                                 "      type: Counter\n"
                                                 "      description: \"total bytes of log lines\"\n"
                                                 "      prefix: my_promtail_custom_\n"
                                                 "      max_idle_duration: 24h\n"
                                                 "      config:\n"
                                                 "        match_all: true\n"
                                                 "        count_entry_bytes: true\n"
                                                 "        action: add\n");
        struct sl_pipeline *found = st_pipeline("- regex:\n"
                                                "    expression: \"^.*(?P<order_success>order successful).*$\"\n"
                                                "- metrics:\n"
                                                "    successful_orders_total:\n"
                                                "      type: Counter\n"
                                                "      description: \"log lines with the message `order successful`\"\n"
                                                "      source: order_success\n"
                                                "      config:\n"
                                                "        action: inc\n");
        struct sl_pipeline *status = st_pipeline("- regex:\n"
                                                 "    expression: \"^.* order_status=(?P<order_status>.*?) .*$\"\n"
                                                 "- metrics:\n"
                                                 "    successful_orders_total:\n"
                                                 "      type: Counter\n"
                                                 "      description: \"successful orders\"\n"
                                                 "      source: order_status\n"
                                                 "      config:\n"
                                                 "        value: success\n"
                                                 "        action: inc\n"
                                                 "    failed_orders_total:\n"
                                                 "      type: Counter\n"
                                                 "      description: \"failed orders\"\n"
                                                 "      source: order_status\n"
                                                 "      config:\n"
                                                 "        value: fail\n"
                                                 "        action: inc\n");
        struct sl_pipeline *retries = st_pipeline("- regex:\n"
                                                  "    expression: \"^.* retries=(?P<retries>\\\\d+) .*$\"\n"
                                                  "- metrics:\n"
                                                  "    retries_total:\n"
                                                  "      type: Gauge\n"
                                                  "      description: \"total retries\"\n"
                                                  "      source: retries\n"
                                                  "      config:\n"
                                                  "        action: add\n");
        struct sl_pipeline *histogram = st_pipeline("- metrics:\n"
                                                    "    http_response_time_seconds:\n"
                                                    "      type: Histogram\n"
                                                    "      description: \"distribution of log response time\"\n"
                                                    "      source: response_time\n"
                                                    "      config:\n"
                                                    "        buckets: [0.001,0.0025,0.005,0.010,0.025,0.050]\n");

        st_run_at(volume, &e, 1, "job=a", "12345", 0, S);
        st_run_at(volume, &e, 1, "job=a", "123", 0, S);
        st_metrics_text(volume, S, text, sizeof(text));
        st_assert_line(text, "my_promtail_custom_log_lines_total{job=\"a\"} 2");
        st_assert_line(text, "my_promtail_custom_log_bytes_total{job=\"a\"} 8");

        st_run_at(found, &e, 1, NULL, "2024 order successful id=1", 0, S);
        st_run_at(found, &e, 1, NULL, "2024 order failed id=2", 0, S);
        st_run_at(found, &e, 1, NULL, "order successful", 0, S);
        st_metrics_text(found, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_successful_orders_total 2");

        st_run_at(status, &e, 1, NULL, "t order_status=success id=1", 0, S);
        st_run_at(status, &e, 1, NULL, "t order_status=fail id=2", 0, S);
        st_run_at(status, &e, 1, NULL, "t order_status=success id=3", 0, S);
        st_run_at(status, &e, 1, NULL, "t order_status=pending id=4", 0, S);
        st_metrics_text(status, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_successful_orders_total 2");
        st_assert_line(text, "promtail_custom_failed_orders_total 1");

        st_run_at(retries, &e, 1, NULL, "t retries=3 x", 0, S);
        st_run_at(retries, &e, 1, NULL, "t retries=4 x", 0, S);
        st_metrics_text(retries, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_retries_total 7");

        sl_entry_reset(&e);
        e.line = SL_STR_LIT("x");
        sl_kvs_set(&e.extracted, SL_STR_LIT("response_time"), SL_STR_LIT("3ms"));
        sl_pipeline_run(histogram, &e);
        st_metrics_text(histogram, S, text, sizeof(text));
        st_assert_line(text, "promtail_custom_http_response_time_seconds_bucket{le=\"0.0025\"} 0");
        st_assert_line(text, "promtail_custom_http_response_time_seconds_bucket{le=\"0.005\"} 1");
        st_assert_line(text, "promtail_custom_http_response_time_seconds_bucket{le=\"+Inf\"} 1");
        st_assert_line(text, "promtail_custom_http_response_time_seconds_sum 0.003");

        sl_pipeline_free(volume);
        sl_pipeline_free(found);
        sl_pipeline_free(status);
        sl_pipeline_free(retries);
        sl_pipeline_free(histogram);
}
END_TEST

/* sluice: at most 10,000 series per metric; past it a new label set is
 * not counted and the entry counts as a pipeline error. Inside match, the
 * metrics are collected too. */
START_TEST(series_cap_and_nested) {
        struct sl_pipeline *p = st_pipeline("- match:\n"
                                            "    selector: '{job=\"x\"}'\n"
                                            "    stages:\n"
                                            "      - metrics:\n"
                                            "          lines: {type: Counter, config: {match_all: true, action: inc}}\n");
        char labels[64], *big;

        for (int i = 0; i < 10001; i++) {
                snprintf(labels, sizeof(labels), "job=x,id=%d", i);
                ck_assert_int_eq(st_run_at(p, &e, 1, labels, "x", 0, S), SL_STAGE_KEEP);
        }
        ck_assert_uint_eq(sl_pipeline_errors(p), 1);
        big = malloc(1u << 20);
        st_metrics_text(p, S, big, 1u << 20);
        st_assert_line(big, "promtail_custom_lines{id=\"0\",job=\"x\"} 1");
        st_assert_line(big, "promtail_custom_lines{id=\"9999\",job=\"x\"} 1");
        ck_assert(!strstr(big, "id=\"10000\""));
        free(big);
        sl_pipeline_free(p);
}
END_TEST

/* TestValidateMetricsConfig, Test_validateCounterConfig and the gauge's
 * validation. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *msg;
        } bad[] = {
                { "- metrics: {}\n", "empty metric stage configuration" },
                { "- metrics:\n", "empty metric stage configuration" },
                { "- metrics: {m: {type: Pipe_line}}\n",
                  "invalid metric type 'pipe_line', metric type must be one of 'counter', 'gauge', or 'histogram'" },
                { "- metrics: {m: {config: {action: inc}}}\n", "invalid metric type ''" },
                { "- metrics: {m: {type: Counter, max_idle_duration: 10f, config: {action: inc}}}\n",
                  "max_idle_duration" },
                { "- metrics: {m: {type: Counter, max_idle_duration: 500ms, config: {action: inc}}}\n",
                  "max_idle_duration less than 1s not allowed" },
                { "- metrics: {m: {type: Counter}}\n", "counter action must be defined as either `inc` or `add`" },
                { "- metrics: {m: {type: Counter, config: {action: del}}}\n",
                  "action del is not valid, action must be either `inc` or `add`" },
                { "- metrics: {m: {type: Counter, config: {action: set}}}\n", "action set is not valid" },
                { "- metrics: {m: {type: Counter, config: {match_all: true, value: some val, action: inc}}}\n",
                  "`match_all: true` cannot be combined with `value`" },
                { "- metrics: {m: {type: Counter, config: {count_entry_bytes: true, action: add}}}\n",
                  "`count_entry_bytes: true` can only be set with `match_all: true`" },
                { "- metrics: {m: {type: Counter, config: {match_all: true, count_entry_bytes: true, action: inc}}}\n",
                  "`count_entry_bytes: true` can only be used with `action: add`" },
                { "- metrics: {m: {type: Gauge}}\n",
                  "gauge action must be defined as `set`, `inc`, `dec`, `add`, or `sub`" },
                { "- metrics: {m: {type: Gauge, config: {action: del}}}\n",
                  "action del is not valid, action must be `set`, `inc`, `dec`, `add`, or `sub`" },
                { "- metrics: {m: {type: Histogram, config: {buckets: [2, 1]}}}\n", "increasing order" },
                { "- metrics: {m: {type: Histogram, config: {buckets: [a]}}}\n", "number" },
                { "- metrics: {m: {type: Histogram, config: {buckets: 5}}}\n", "list" },
                { "- metrics: {m: {type: Counter, config: {action: inc, colour: red}}}\n", "colour" },
                { "- metrics: {m: {type: Counter, labels: {a: b}, config: {action: inc}}}\n", "labels" },
                { "- metrics: {m: [1]}\n", "map" },
                { "- metrics: {m-1: {type: Counter, config: {action: inc}}}\n", "not a valid metric name" },
                { "- metrics: {m: {type: Counter, prefix: '9x', config: {action: inc}}}\n", "not a valid metric name" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strstr(msg, bad[i].msg) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].metrics", 26) == 0, "%s", msg);
        }
        /* The valid ones of the same tables. */
        sl_pipeline_free(st_pipeline("- metrics: {metric1: {type: Counter, description: some description, config: {action: inc}}}\n"));
        sl_pipeline_free(st_pipeline("- metrics: {m: {type: Counter, config: {match_all: true, count_entry_bytes: true, action: add}}}\n"));
        sl_pipeline_free(st_pipeline("- metrics: {m: {type: Counter, config: {value: some val, action: inc}}}\n"));
        sl_pipeline_free(st_pipeline("- metrics: {m: {type: Counter, config: {match_all: false, value: some val, action: inc}}}\n"));
        sl_pipeline_free(st_pipeline("- metrics: {m: {type: Histogram}}\n"));
}
END_TEST

static Suite *metrics_suite(void) {
        Suite *s = suite_create("stage-metrics");
        TCase *tc = tcase_create("metrics");

        tcase_add_checked_fixture(tc, setup, teardown);
        /* series_cap_and_nested makes 10,000 series: room for sanitizers. */
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, pipeline);
        tcase_add_test(tc, negative_gauge);
        tcase_add_test(tc, missing_key);
        tcase_add_test(tc, drop_in_pipeline);
        tcase_add_test(tc, non_prometheus_labels);
        tcase_add_test(tc, stage_process);
        tcase_add_test(tc, values);
        tcase_add_test(tc, actions);
        tcase_add_test(tc, idle);
        tcase_add_test(tc, documentation);
        tcase_add_test(tc, series_cap_and_nested);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(metrics_suite)
