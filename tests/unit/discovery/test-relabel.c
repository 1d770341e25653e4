/* test-relabel.c - relabel_configs: reading and validation
 * (config/discovery-config.c) and the rules' effect (discovery/relabel.c).
 *
 * The cases of TestRelabel, TestRelabelValidate and TestTargetLabelValidity
 * come from Prometheus' model/relabel/relabel_test.go (v0.55, the version
 * Promtail 3.4 embeds; and the later cases that keep legacy label names):
 * their inputs and expected label sets, with the rules written as the YAML
 * a user would write (keys the Go test left empty are left out, which gives
 * the same defaults).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/discovery-config.h"
#include "discovery/relabel.h"
#include "sl-test.h"

/* Cases leave `drop` out when they keep the target. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct relabel_case {
        const char *in[40];     /* name, value, ..., NULL */
        const char *rules;      /* YAML: a sequence of rules */
        const char *out[40];    /* name, value, ..., NULL (unused when drop) */
        bool drop;
};

static const struct relabel_case prometheus_cases[] = {
        {
                { "a", "foo", "b", "bar", "c", "baz" },
                "- source_labels: [a]\n  regex: f(.*)\n  target_label: d\n  separator: ';'\n"
                "  replacement: ch${1}-ch${1}\n  action: replace\n",
                { "a", "foo", "b", "bar", "c", "baz", "d", "choo-choo" },
        },
        {
                { "a", "foo", "b", "bar", "c", "baz" },
                "- source_labels: [a, b]\n  regex: f(.*);(.*)r\n  target_label: a\n"
                "  separator: ';'\n  replacement: b${1}${2}m\n  action: replace\n"
                "- source_labels: [c, a]\n  regex: (b).*b(.*)ba(.*)\n  target_label: d\n"
                "  separator: ';'\n  replacement: $1$2$2$3\n  action: replace\n",
                { "a", "boobam", "b", "bar", "c", "baz", "d", "boooom" },
        },
        {
                { "a", "foo" },
                "- source_labels: [a]\n  regex: .*o.*\n  action: drop\n"
                "- source_labels: [a]\n  regex: f(.*)\n  target_label: d\n  separator: ';'\n"
                "  replacement: ch$1-ch$1\n  action: replace\n",
                { NULL },
                true,
        },
        {
                { "a", "foo", "b", "bar" },
                "- source_labels: [a]\n  regex: .*o.*\n  action: drop\n",
                { NULL },
                true,
        },
        {
                { "a", "abc" },
                "- source_labels: [a]\n  regex: .*(b).*\n  target_label: d\n  separator: ';'\n"
                "  replacement: $1\n  action: replace\n",
                { "a", "abc", "d", "b" },
        },
        {
                { "a", "foo" },
                "- source_labels: [a]\n  regex: no-match\n  action: drop\n",
                { "a", "foo" },
        },
        {
                { "a", "foo" },
                "- source_labels: [a]\n  regex: f|o\n  action: drop\n",
                { "a", "foo" },
        },
        {
                { "a", "foo" },
                "- source_labels: [a]\n  regex: no-match\n  action: keep\n",
                { NULL },
                true,
        },
        {
                { "a", "foo" },
                "- source_labels: [a]\n  regex: f.*\n  action: keep\n",
                { "a", "foo" },
        },
        {
                /* No replacement must be applied if there is no match. */
                { "a", "boo" },
                "- source_labels: [a]\n  regex: f\n  target_label: b\n  replacement: bar\n"
                "  action: replace\n",
                { "a", "boo" },
        },
        {
                /* Blank replacement should delete the label. */
                { "a", "foo", "f", "baz" },
                "- source_labels: [a]\n  regex: (f).*\n  target_label: $1\n  replacement: $2\n"
                "  action: replace\n",
                { "a", "foo" },
        },
        {
                { "a", "foo", "b", "bar", "c", "baz" },
                "- source_labels: [c]\n  target_label: d\n  separator: ';'\n  action: hashmod\n"
                "  modulus: 1000\n",
                { "a", "foo", "b", "bar", "c", "baz", "d", "976" },
        },
        {
                { "a", "foo\nbar" },
                "- source_labels: [a]\n  target_label: b\n  separator: ';'\n  action: hashmod\n"
                "  modulus: 1000\n",
                { "a", "foo\nbar", "b", "734" },
        },
        {
                { "a", "foo", "b1", "bar", "b2", "baz" },
                "- regex: (b.*)\n  replacement: bar_${1}\n  action: labelmap\n",
                { "a", "foo", "b1", "bar", "b2", "baz", "bar_b1", "bar", "bar_b2", "baz" },
        },
        {
                { "a", "foo", "__meta_my_bar", "aaa", "__meta_my_baz", "bbb", "__meta_other",
                  "ccc" },
                "- regex: __meta_(my.*)\n  replacement: ${1}\n  action: labelmap\n",
                { "a", "foo", "__meta_my_bar", "aaa", "__meta_my_baz", "bbb", "__meta_other",
                  "ccc", "my_bar", "aaa", "my_baz", "bbb" },
        },
        {
                /* valid case */
                { "a", "some-name-value" },
                "- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${2}\n  target_label: ${1}\n",
                { "a", "some-name-value", "name", "value" },
        },
        {
                /* invalid replacement "" */
                { "a", "some-name-value" },
                "- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${3}\n  target_label: ${1}\n",
                { "a", "some-name-value" },
        },
        {
                /* invalid target_labels */
                { "a", "some-name-0" },
                "- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${1}\n  target_label: ${3}\n"
                "- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${1}\n  target_label: ${3}\n"
                "- source_labels: [a]\n  regex: some-([^-]+)(-[^,]+)\n  action: replace\n"
                "  replacement: ${1}\n  target_label: ${3}\n",
                { "a", "some-name-0" },
        },
        {
                /* more complex real-life like usecase */
                { "__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar" },
                "- source_labels: [__meta_sd_tags]\n  regex: '(?:.+,|^)path:(/[^,]+).*'\n"
                "  action: replace\n  replacement: ${1}\n  target_label: __metrics_path__\n"
                "- source_labels: [__meta_sd_tags]\n  regex: '(?:.+,|^)job:([^,]+).*'\n"
                "  action: replace\n  replacement: ${1}\n  target_label: job\n"
                "- source_labels: [__meta_sd_tags]\n  regex: '(?:.+,|^)label:([^=]+)=([^,]+).*'\n"
                "  action: replace\n  replacement: ${2}\n  target_label: ${1}\n",
                { "__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar",
                  "__metrics_path__", "/secret", "job", "some-job", "foo", "bar" },
        },
        {
                /* From https://github.com/prometheus/prometheus/issues/12283 */
                { "__meta_kubernetes_pod_container_port_name", "foo",
                  "__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091" },
                "- regex: ^__meta_kubernetes_pod_container_port_name$\n  action: labeldrop\n"
                "- source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port]\n"
                "  regex: (.+)\n  action: replace\n  replacement: metrics\n"
                "  target_label: __meta_kubernetes_pod_container_port_name\n"
                "- source_labels: [__meta_kubernetes_pod_container_port_name]\n"
                "  regex: ^metrics$\n  action: keep\n",
                { "__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091",
                  "__meta_kubernetes_pod_container_port_name", "metrics" },
        },
        {
                { "a", "foo", "b1", "bar", "b2", "baz" },
                "- regex: (b.*)\n  action: labelkeep\n",
                { "b1", "bar", "b2", "baz" },
        },
        {
                { "a", "foo", "b1", "bar", "b2", "baz" },
                "- regex: (b.*)\n  action: labeldrop\n",
                { "a", "foo" },
        },
        {
                { "foo", "bAr123Foo" },
                "- source_labels: [foo]\n  action: uppercase\n  target_label: foo_uppercase\n"
                "- source_labels: [foo]\n  action: lowercase\n  target_label: foo_lowercase\n",
                { "foo", "bAr123Foo", "foo_lowercase", "bar123foo", "foo_uppercase",
                  "BAR123FOO" },
        },
        {
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
                "- source_labels: [__tmp_port]\n  action: keepequal\n  target_label: __port1\n",
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
        },
        {
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
                "- source_labels: [__tmp_port]\n  action: dropequal\n  target_label: __port1\n",
                { NULL },
                true,
        },
        {
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
                "- source_labels: [__tmp_port]\n  action: dropequal\n  target_label: __port2\n",
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
        },
        {
                { "__tmp_port", "1234", "__port1", "1234", "__port2", "5678" },
                "- source_labels: [__tmp_port]\n  action: keepequal\n  target_label: __port2\n",
                { NULL },
                true,
        },
        /* Later cases of the same table that keep legacy label names. */
        {
                { "a", "line1\nline2", "b", "bar", "c", "baz" },
                "- source_labels: [a]\n  regex: line1.*line2\n  target_label: d\n"
                "  separator: ';'\n  replacement: match${1}\n  action: replace\n",
                { "a", "line1\nline2", "b", "bar", "c", "baz", "d", "match" },
        },
        {
                { "a", "line1\nline2", "b", "bar", "c", "baz" },
                "- source_labels: [a]\n  regex: (line1).*(?<second>line2)\n"
                "  target_label: label1_${1}\n  separator: ';'\n  replacement: val_${second}\n"
                "  action: replace\n"
                "- source_labels: [a]\n  regex: (line1).*(?<second>line2)\n"
                "  target_label: label2_$1\n  separator: ';'\n  replacement: val_$second\n"
                "  action: replace\n",
                { "a", "line1\nline2", "b", "bar", "c", "baz", "label1_line1", "val_line2",
                  "label2_line1", "val_line2" },
        },
        {
                { "__name__", "http_requests_total" },
                "- source_labels: [__name__]\n  regex: .*_total$\n  target_label: __type__\n"
                "  replacement: counter\n  action: replace\n",
                { "__name__", "http_requests_total", "__type__", "counter" },
        },
        {
                { "__name__", "disk_usage_bytes" },
                "- source_labels: [__name__]\n  regex: .*_bytes$\n  target_label: __unit__\n"
                "  replacement: bytes\n  action: replace\n",
                { "__name__", "disk_usage_bytes", "__unit__", "bytes" },
        },
};

/* Prometheus' "kubernetes" relabel benchmark (BenchmarkRelabel): its rules
 * and its pod's labels. The rules end with a hashmod shard keeping shard 0
 * (md5 of __address__ modulo 3 is 1 here: dropped); the second run keeps
 * shard 1 instead, to see the labels the other rules made. */
static const char *const k8s_labels[] = {
        "__address__", "10.132.183.40:80",
        "__meta_kubernetes_namespace", "loki-boltdb-shipper",
        "__meta_kubernetes_pod_annotation_promtail_loki_boltdb_shipper_hash",
        "50523b9759094a144adcec2eae0aa4ad",
        "__meta_kubernetes_pod_annotationpresent_promtail_loki_boltdb_shipper_hash", "true",
        "__meta_kubernetes_pod_container_init", "false",
        "__meta_kubernetes_pod_container_name", "promtail",
        "__meta_kubernetes_pod_container_port_name", "http-metrics",
        "__meta_kubernetes_pod_container_port_number", "80",
        "__meta_kubernetes_pod_container_port_protocol", "TCP",
        "__meta_kubernetes_pod_controller_kind", "DaemonSet",
        "__meta_kubernetes_pod_controller_name", "promtail-loki-boltdb-shipper",
        "__meta_kubernetes_pod_host_ip", "10.128.0.178",
        "__meta_kubernetes_pod_ip", "10.132.183.40",
        "__meta_kubernetes_pod_label_controller_revision_hash", "555b77cd7d",
        "__meta_kubernetes_pod_label_name", "promtail-loki-boltdb-shipper",
        "__meta_kubernetes_pod_label_pod_template_generation", "45",
        "__meta_kubernetes_pod_labelpresent_controller_revision_hash", "true",
        "__meta_kubernetes_pod_labelpresent_name", "true",
        "__meta_kubernetes_pod_labelpresent_pod_template_generation", "true",
        "__meta_kubernetes_pod_name", "promtail-loki-boltdb-shipper-jgtr7",
        "__meta_kubernetes_pod_node_name", "gke-dev-us-central-0-main-n2s8-2-14d53341-9hkr",
        "__meta_kubernetes_pod_phase", "Running",
        "__meta_kubernetes_pod_ready", "true",
        "__meta_kubernetes_pod_uid", "4c586419-7f6c-448d-aeec-ca4fa5b05e60",
        "__metrics_path__", "/metrics",
        "__scheme__", "http",
        "__scrape_interval__", "15s",
        "__scrape_timeout__", "10s",
        "job", "kubernetes-pods",
        NULL,
};

static const char k8s_rules[] =
        "- source_labels: [__meta_kubernetes_pod_container_port_name]\n"
        "  regex: .*-metrics\n  action: keep\n"
        "- source_labels: [__meta_kubernetes_pod_label_name]\n  action: drop\n  regex: \"\"\n"
        "- source_labels: [__meta_kubernetes_pod_phase]\n  regex: Succeeded|Failed\n"
        "  action: drop\n"
        "- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]\n"
        "  regex: \"false\"\n  action: drop\n"
        "- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]\n"
        "  target_label: __scheme__\n  regex: (https?)\n  replacement: $1\n  action: replace\n"
        "- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]\n"
        "  target_label: __metrics_path__\n  regex: (.+)\n  replacement: $1\n"
        "  action: replace\n"
        "- source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]\n"
        "  target_label: __address__\n  regex: (.+?)(\\:\\d+)?;(\\d+)\n  replacement: $1:$3\n"
        "  action: replace\n"
        "- regex: __meta_kubernetes_pod_annotation_prometheus_io_param_(.+)\n"
        "  replacement: __param_$1\n  action: labelmap\n"
        "- regex: __meta_kubernetes_pod_label_prometheus_io_label_(.+)\n  action: labelmap\n"
        "- regex: __meta_kubernetes_pod_annotation_prometheus_io_label_(.+)\n"
        "  action: labelmap\n"
        "- source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_label_name]\n"
        "  separator: /\n  target_label: job\n  replacement: $1\n  action: replace\n"
        "- source_labels: [__meta_kubernetes_namespace]\n  target_label: namespace\n"
        "  action: replace\n"
        "- source_labels: [__meta_kubernetes_pod_name]\n  target_label: pod\n"
        "  action: replace\n"
        "- source_labels: [__meta_kubernetes_pod_container_name]\n  target_label: container\n"
        "  action: replace\n"
        "- source_labels: [__meta_kubernetes_pod_name, __meta_kubernetes_pod_container_name,\n"
        "                  __meta_kubernetes_pod_container_port_name]\n"
        "  separator: ':'\n  target_label: instance\n  action: replace\n"
        "- target_label: cluster\n  replacement: dev-us-central-0\n"
        "- source_labels: [__meta_kubernetes_namespace]\n  regex: hosted-grafana\n"
        "  action: drop\n"
        "- source_labels: [__address__]\n  target_label: __tmp_hash\n  modulus: 3\n"
        "  action: hashmod\n"
        "- source_labels: [__tmp_hash]\n  regex: ^%s$\n  action: keep\n"
        "- regex: __tmp_hash\n  action: labeldrop\n";

static int load_rules(const char *yaml, struct sl_relabel_config **ret, size_t *ret_n,
                      struct sl_cfg_error *err) {
        struct sl_yaml_doc *doc = NULL;
        int r;

        r = sl_yaml_doc_parse("relabel.yaml", yaml, strlen(yaml), &doc, err);
        if (r < 0)
                return r;
        r = sl_relabel_configs_read(doc->root, "relabel_configs", ret, ret_n, err);
        sl_yaml_doc_free(doc);
        return r;
}

static void fill(struct sl_label_set *ls, const char *const *pairs) {
        sl_label_set_init(ls);
        for (size_t i = 0; pairs[i]; i += 2)
                sl_label_set_set_c(ls, pairs[i], pairs[i + 1]);
}

static void check_case(const struct relabel_case *c, size_t idx) {
        struct sl_relabel_config *rules = NULL;
        struct sl_label_set ls, want;
        struct sl_cfg_error err = { 0 };
        size_t n = 0;
        bool keep;

        ck_assert_msg(load_rules(c->rules, &rules, &n, &err) == 0, "case %zu: %s: %s", idx,
                      err.key, err.msg);
        fill(&ls, c->in);
        keep = sl_relabel_process(rules, n, &ls);
        ck_assert_msg(keep == !c->drop, "case %zu: keep=%d", idx, keep);
        if (keep) {
                fill(&want, c->out);
                for (size_t i = 0; i < ls.len; i++)
                        ck_assert_msg(sl_label_set_get(&want, sl_str_c(ls.items[i].name)),
                                      "case %zu: unexpected %s=%s", idx, ls.items[i].name,
                                      ls.items[i].value);
                ck_assert_msg(sl_label_set_equal(&ls, &want), "case %zu: labels differ", idx);
                sl_label_set_release(&want);
        }
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);
}

START_TEST(prometheus_relabel_table)
{
        for (size_t i = 0; i < sizeof(prometheus_cases) / sizeof(prometheus_cases[0]); i++)
                check_case(&prometheus_cases[i], i);
}
END_TEST

START_TEST(prometheus_kubernetes_benchmark_rules)
{
        struct sl_relabel_config *rules = NULL;
        struct sl_label_set ls;
        struct sl_cfg_error err = { 0 };
        char yaml[sizeof(k8s_rules) + 8];
        size_t n = 0;

        /* Shard 0, as written: dropped (md5("10.132.183.40:80") % 3 == 1). */
        snprintf(yaml, sizeof(yaml), k8s_rules, "0");
        ck_assert_msg(load_rules(yaml, &rules, &n, &err) == 0, "%s: %s", err.key, err.msg);
        ck_assert_uint_eq(n, 20);
        fill(&ls, k8s_labels);
        ck_assert(!sl_relabel_process(rules, n, &ls));
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);

        snprintf(yaml, sizeof(yaml), k8s_rules, "1");
        ck_assert(load_rules(yaml, &rules, &n, &err) == 0);
        fill(&ls, k8s_labels);
        ck_assert(sl_relabel_process(rules, n, &ls));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("job")),
                         "loki-boltdb-shipper/promtail-loki-boltdb-shipper");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("namespace")), "loki-boltdb-shipper");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("pod")),
                         "promtail-loki-boltdb-shipper-jgtr7");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("container")), "promtail");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("instance")),
                         "promtail-loki-boltdb-shipper-jgtr7:promtail:http-metrics");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("cluster")), "dev-us-central-0");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("__address__")), "10.132.183.40:80");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("__scheme__")), "http");
        ck_assert_ptr_null(sl_label_set_get(&ls, SL_STR_LIT("__tmp_hash")));
        /* 29 labels in, 5 new (job replaced), __tmp_hash made and dropped. */
        ck_assert_uint_eq(ls.len, 29 + 5);
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);
}
END_TEST

/* A config that must be refused, and a piece of the message. */
static void refused(const char *yaml, const char *msg_part, unsigned line) {
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        size_t n = 0;
        int r = load_rules(yaml, &rules, &n, &err);

        ck_assert_msg(r == -EINVAL, "accepted:\n%s", yaml);
        ck_assert_msg(strstr(err.msg, msg_part) != NULL, "message \"%s\" lacks \"%s\"", err.msg,
                      msg_part);
        ck_assert_str_eq(err.file, "relabel.yaml");
        if (line)
                ck_assert_msg(err.line == line, "%s: line %u, not %u", err.msg, err.line, line);
}

static void accepted(const char *yaml) {
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        size_t n = 0;

        ck_assert_msg(load_rules(yaml, &rules, &n, &err) == 0, "refused %s: %s", yaml, err.msg);
        sl_relabel_configs_free(rules, n);
}

START_TEST(prometheus_validate_table)
{
        refused("- action: ''\n", "relabel action cannot be empty", 1);
        refused("- action: replace\n", "requires 'target_label' value", 0);
        refused("- action: lowercase\n", "requires 'target_label' value", 0);
        refused("- action: lowercase\n  target_label: ${3}\n", "\"${3}\" is invalid 'target_label'",
                2);
        accepted("- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                 "  replacement: ${1}\n  target_label: ${3}\n");
        refused("- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${1}\n  target_label: 0${3}\n",
                "\"0${3}\" is invalid 'target_label'", 5);
        refused("- source_labels: [a]\n  regex: some-([^-]+)-([^,]+)\n  action: replace\n"
                "  replacement: ${1}\n  target_label: -${3}\n",
                "\"-${3}\" is invalid 'target_label' for replace action", 5);
        accepted("- regex: __meta_kubernetes_pod_label_(strimzi_io_.+)\n  action: labelmap\n"
                 "  replacement: $1\n");
        accepted("- regex: __meta_(.+)\n  action: labelmap\n  replacement: ${1}\n");
}
END_TEST

START_TEST(prometheus_target_label_validity)
{
        static const struct {
                const char *s;
                bool valid;
        } cases[] = {
                { "-label", false },   { "label", true },      { "label${1}", true },
                { "${1}label", true }, { "${1}", true },       { "${", false },
                { "$", false },        { "${}", false },       { "foo${", false },
                { "$1", true },        { "asd$2asd", true },   { "-foo${1}bar-", false },
                { "_${1}_", true },    { "foo${bar}foo", true }, { "bar.foo${1}bar", false },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char yaml[256];
                struct sl_relabel_config *rules = NULL;
                struct sl_cfg_error err = { 0 };
                size_t n = 0;
                int r;

                snprintf(yaml, sizeof(yaml), "- target_label: '%s'\n", cases[i].s);
                r = load_rules(yaml, &rules, &n, &err);
                ck_assert_msg((r == 0) == cases[i].valid, "%s: %d (%s)", cases[i].s, r, err.msg);
                sl_relabel_configs_free(rules, n);
        }
}
END_TEST

START_TEST(other_validation)
{
        refused("- source_labels: [a]\n  target_label: b\n  action: hashmod\n",
                "requires non-zero modulus", 0);
        refused("- action: Keepit\n", "unknown relabel action \"Keepit\"", 1);
        accepted("- action: KEEP\n  source_labels: [a]\n");
        refused("- source_labels: [a]\n  target_label: b\n  regex: (.*)\n  action: keepequal\n",
                "requires only 'source_labels' and `target_label`", 0);
        refused("- source_labels: [a]\n  target_label: b\n  separator: ','\n  action: dropequal\n",
                "requires only 'source_labels' and `target_label`", 0);
        refused("- source_labels: [a]\n  regex: x\n  action: labeldrop\n",
                "requires only 'regex'", 0);
        refused("- regex: x\n  target_label: y\n  action: labelkeep\n", "requires only 'regex'",
                0);
        refused("- source_labels: [a]\n  target_label: b\n  replacement: x\n  action: uppercase\n",
                "'replacement' can not be set for uppercase action", 3);
        refused("- source_labels: [a-b]\n  target_label: c\n", "\"a-b\" is not a valid label name",
                1);
        refused("- source_labels: [a]\n  target_label: c\n  regex: (?=x)\n",
                "invalid regex \"(?=x)\"", 3);
        refused("- source_labels: [a]\n  target_label: c\n  regex: (a)\\1\n",
                "backreferences (\\1 at offset 3) are not supported", 3);
        refused("- source_labels: [a]\n  target_label: c\n  typo: 1\n", "typo", 3);
        refused("- regex: x\n  replacement: 'a-$1'\n  action: labelmap\n",
                "is invalid 'replacement' for labelmap action", 2);
        refused("foo: bar\n", "expected a sequence", 1);
}
END_TEST

START_TEST(defaults_and_null_values)
{
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_label_set ls;
        size_t n = 0;

        /* Absent keys take Prometheus' defaults. */
        ck_assert(load_rules("- source_labels: [a]\n  target_label: b\n", &rules, &n, &err) == 0);
        ck_assert_int_eq(rules[0].action, SL_RELABEL_REPLACE);
        ck_assert_str_eq(rules[0].separator, ";");
        ck_assert_str_eq(rules[0].replacement, "$1");
        ck_assert_str_eq(rules[0].regex_text, "(.*)");
        sl_relabel_configs_free(rules, n);

        /* `regex:` written without a value is "", which only an empty value
         * matches (as Prometheus reads it); `separator:` is "". */
        ck_assert(load_rules("- source_labels: [a, b]\n  separator:\n  regex:\n"
                             "  target_label: c\n  replacement: empty\n"
                             "- source_labels: [a, b]\n  separator:\n  target_label: d\n",
                             &rules, &n, &err) == 0);
        fill(&ls, (const char *const[]){ "a", "x", "b", "y", NULL });
        ck_assert(sl_relabel_process(rules, n, &ls));
        ck_assert_ptr_null(sl_label_set_get(&ls, SL_STR_LIT("c")));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("d")), "xy");
        sl_label_set_release(&ls);
        fill(&ls, (const char *const[]){ NULL });
        ck_assert(sl_relabel_process(rules, n, &ls));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("c")), "empty");
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);
}
END_TEST

START_TEST(case_mapping_is_unicode)
{
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_label_set ls;
        size_t n = 0;

        ck_assert(load_rules("- source_labels: [a]\n  target_label: lo\n  action: lowercase\n"
                             "- source_labels: [a]\n  target_label: up\n  action: uppercase\n",
                             &rules, &n, &err) == 0);
        fill(&ls, (const char *const[]){ "a", "ÉtÉ Straße Ωmega", NULL });
        ck_assert(sl_relabel_process(rules, n, &ls));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("lo")), "été straße ωmega");
        /* Go's ToUpper maps ß to itself (no single-rune upper case). */
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("up")), "ÉTÉ STRAßE ΩMEGA");
        sl_label_set_release(&ls);
        /* A lowercase of nothing removes the target label. */
        fill(&ls, (const char *const[]){ "lo", "old", NULL });
        ck_assert(sl_relabel_process(rules, n, &ls));
        ck_assert_ptr_null(sl_label_set_get(&ls, SL_STR_LIT("lo")));
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);
}
END_TEST

/* Whether a keep rule with @regex keeps a target whose label x is @value. */
static bool keeps(const char *regex, const char *value) {
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_label_set ls;
        char yaml[512];
        size_t n = 0;
        bool keep;

        snprintf(yaml, sizeof(yaml), "- {source_labels: [x], regex: '%s', action: keep}\n",
                 regex);
        ck_assert_msg(load_rules(yaml, &rules, &n, &err) == 0, "%s: %s", regex, err.msg);
        sl_label_set_init(&ls);
        sl_label_set_set_c(&ls, "x", value);
        keep = sl_relabel_process(rules, n, &ls);
        sl_label_set_release(&ls);
        sl_relabel_configs_free(rules, n);
        return keep;
}

/* Prometheus anchors a rule's regex as ^(?s:REGEX)$: the whole value, `.`
 * matching newlines, `$` the very end; RE2's classes are ASCII. */
START_TEST(regex_is_anchored_as_prometheus_anchors_it)
{
        ck_assert(keeps("f(.*)", "foo"));
        ck_assert(!keeps("f(.*)", "xfoo"));
        ck_assert(!keeps("f|o", "foo"));
        ck_assert(keeps("foo|bar", "bar"));
        ck_assert(keeps("line1.*line2", "line1\nline2"));
        ck_assert(keeps("", ""));
        ck_assert(!keeps("", "a"));
        ck_assert(!keeps("a$", "a\n"));
        ck_assert(keeps("a\\n", "a\n"));
        ck_assert(keeps("(?i)FOO", "foo"));
        ck_assert(keeps("\xc3\xa9.", "\xc3\xa9\xc3\xa9"));
        ck_assert(keeps("\\d+", "123"));
        ck_assert(!keeps("\\d", "\xd9\xa3")); /* ARABIC-INDIC DIGIT THREE */
        ck_assert(keeps("\\w+", "a_1"));
}
END_TEST

static Suite *relabel_suite(void) {
        Suite *s = suite_create("relabel");
        TCase *tc = tcase_create("relabel");

        tcase_add_test(tc, prometheus_relabel_table);
        tcase_add_test(tc, prometheus_kubernetes_benchmark_rules);
        tcase_add_test(tc, prometheus_validate_table);
        tcase_add_test(tc, prometheus_target_label_validity);
        tcase_add_test(tc, other_validation);
        tcase_add_test(tc, defaults_and_null_values);
        tcase_add_test(tc, case_mapping_is_unicode);
        tcase_add_test(tc, regex_is_anchored_as_prometheus_anchors_it);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(relabel_suite)
