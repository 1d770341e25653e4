/* test-discovery-config.c - docker_sd_configs, kubernetes_sd_configs and
 * relabel_configs as a scrape config carries them (config/discovery-config.c),
 * and relabel_configs in a pipeline file. Validation rules as Prometheus'
 * (DockerSDConfig, kubernetes SDConfig); the relabel rules themselves are
 * tested in tests/unit/discovery/test-relabel.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs-util.h"
#include "config/config.h"
#include "config/discovery-config.h"
#include "sl-test.h"

static char *dir;

static void setup(void) {
        dir = sl_test_tmpdir();
}

static void teardown(void) {
        sl_test_rmtree(dir);
        free(dir);
}

#define HEAD "clients: [{url: http://loki:3100/loki/api/v1/push}]\nscrape_configs:\n  - job_name: j\n"

static int load(const char *text, struct sl_config **c, struct sl_cfg_error *err) {
        char *path = sl_path_join(dir, "sluice.yaml");
        int r;

        sl_test_write_file(path, text, strlen(text));
        memset(err, 0, sizeof(*err));
        r = sl_config_load(path, dir, c, err);
        free(path);
        return r;
}

static void refused(const char *text, const char *key, const char *msg_part) {
        struct sl_config *c = NULL;
        struct sl_cfg_error err;

        ck_assert_msg(load(text, &c, &err) == -EINVAL, "accepted:\n%s", text);
        ck_assert_msg(strstr(err.key, key) != NULL, "key %s, want %s (%s)", err.key, key,
                      err.msg);
        ck_assert_msg(strstr(err.msg, msg_part) != NULL, "message \"%s\" lacks \"%s\"", err.msg,
                      msg_part);
        ck_assert_uint_gt(err.line, 0);
}

START_TEST(docker_sd_defaults_and_values)
{
        struct sl_config *c = NULL;
        struct sl_cfg_error err;
        const struct sl_docker_sd_config *d;

        ck_assert_msg(load(HEAD "    docker_sd_configs:\n"
                           "      - host: unix:///var/run/docker.sock\n"
                           "      - host: tcp://docker:2376\n"
                           "        port: 8080\n        refresh_interval: 5s\n"
                           "        host_networking_host: 10.0.0.1\n"
                           "        match_first_network: false\n"
                           "        filters:\n          - name: label\n            values: [a=b, c]\n"
                           "          - {name: name, values: flog}\n"
                           "        tls_config: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem}\n",
                           &c, &err) == 0, "%s: %s", err.key, err.msg);
        ck_assert_uint_eq(c->scrape_configs[0].n_static_configs, 0);
        ck_assert_uint_eq(c->scrape_configs[0].discovery->n_docker, 2);
        d = &c->scrape_configs[0].discovery->docker[0];
        ck_assert_str_eq(d->host, "unix:///var/run/docker.sock");
        ck_assert_uint_eq(d->port, 80);
        ck_assert_uint_eq(d->refresh_interval_ns, 60000000000ULL);
        ck_assert_str_eq(d->host_networking_host, "localhost");
        ck_assert(d->match_first_network);
        d = &c->scrape_configs[0].discovery->docker[1];
        ck_assert_uint_eq(d->port, 8080);
        ck_assert_uint_eq(d->refresh_interval_ns, 5000000000ULL);
        ck_assert(!d->match_first_network);
        ck_assert_uint_eq(d->n_filters, 2);
        ck_assert_str_eq(d->filters[0].values[1], "c");
        ck_assert_uint_eq(d->filters[1].n_values, 1);
        ck_assert_str_eq(d->filters[1].values[0], "flog");
        ck_assert_str_eq(d->tls.key_file, "/k.pem");
        sl_config_free(c);
}
END_TEST

START_TEST(docker_sd_refusals)
{
        refused(HEAD "    docker_sd_configs: [{port: 1}]\n", "docker_sd_configs[0].host",
                "host missing");
        refused(HEAD "    docker_sd_configs: [{host: /var/run/docker.sock}]\n",
                "docker_sd_configs[0].host", "expected unix://");
        refused(HEAD "    docker_sd_configs:\n      - host: unix:///x\n"
                     "        basic_auth: {username: u}\n",
                "docker_sd_configs[0].basic_auth", "not supported");
        refused(HEAD "    docker_sd_configs:\n      - host: unix:///x\n        refresh: 5s\n",
                "docker_sd_configs[0].refresh", "refresh_interval");
        refused(HEAD "    docker_sd_configs:\n      - host: unix:///x\n"
                     "        filters: [{values: [x]}]\n",
                "filters[0].name", "needs a name");
        refused(HEAD "    docker_sd_configs:\n      - host: unix:///x\n"
                     "        tls_config: {cert_file: /c}\n",
                "tls_config", "go together");
}
END_TEST

START_TEST(kubernetes_sd_values_and_refusals)
{
        struct sl_config *c = NULL;
        struct sl_cfg_error err;
        const struct sl_kube_sd_config *k;

        ck_assert_msg(load(HEAD "    kubernetes_sd_configs:\n"
                           "      - role: pod\n"
                           "        namespaces: {names: [a, b]}\n"
                           "        selectors: [{role: pod, label: 'app=x', field: 'status.phase=Running'}]\n"
                           "      - role: pod\n        api_server: https://k8s:6443\n"
                           "        bearer_token_file: /t\n        tls_config: {insecure_skip_verify: true}\n",
                           &c, &err) == 0, "%s: %s", err.key, err.msg);
        k = &c->scrape_configs[0].discovery->kube[0];
        ck_assert_uint_eq(k->n_namespaces, 2);
        ck_assert_str_eq(k->selector.label, "app=x");
        ck_assert_str_eq(k->selector.field, "status.phase=Running");
        k = &c->scrape_configs[0].discovery->kube[1];
        ck_assert_str_eq(k->api_server, "https://k8s:6443");
        ck_assert(k->tls.insecure_skip_verify);
        sl_config_free(c);

        refused(HEAD "    kubernetes_sd_configs: [{namespaces: {names: [a]}}]\n",
                "kubernetes_sd_configs[0]", "role missing");
        refused(HEAD "    kubernetes_sd_configs: [{role: service}]\n",
                "kubernetes_sd_configs[0].role", "not supported");
        refused(HEAD "    kubernetes_sd_configs: [{role: pods}]\n",
                "kubernetes_sd_configs[0].role", "unknown Kubernetes SD role");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, api_server: 'https://x', "
                     "kubeconfig_file: /k}]\n",
                "kubernetes_sd_configs[0]", "simultaneously");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, bearer_token: t}]\n",
                "kubernetes_sd_configs[0]", "provide the 'api_server' URL");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, kubeconfig_file: /k, "
                     "namespaces: {own_namespace: true}}]\n",
                "kubernetes_sd_configs[0]", "own_namespace");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, selectors: [{role: node}]}]\n",
                "selectors[0].role", "only pod selectors");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, selectors: [{role: pod}, "
                     "{role: pod}]}]\n",
                "selectors[1].role", "duplicated selector role");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, attach_metadata: {node: true}}]\n",
                "attach_metadata", "not supported");
        refused(HEAD "    kubernetes_sd_configs: [{role: pod, api_server: 'https://x', "
                     "oauth2: {client_id: c}}]\n",
                "kubernetes_sd_configs[0].oauth2", "not supported");
}
END_TEST

START_TEST(static_labels_and_pipeline_relabel)
{
        struct sl_config *c = NULL;
        struct sl_cfg_error err;
        char *pipes = sl_path_join(dir, "p.yaml");
        const struct sl_scrape_config *sc;

        sl_test_write_file(pipes,
                           "pipeline_stages: [{docker: {}}]\n"
                           "relabel_configs:\n  - {source_labels: [a], target_label: b}\n",
                           strlen("pipeline_stages: [{docker: {}}]\n"
                                  "relabel_configs:\n  - {source_labels: [a], target_label: b}\n"));
        ck_assert_msg(load(HEAD "    static_configs:\n"
                           "      - targets: [h1, h2]\n"
                           "        labels: {__path__: /x, __path_exclude__: /x/y, __tmp: z}\n"
                           "    relabel_configs: [{source_labels: [__tmp], target_label: t}]\n"
                           "    pipeline: p\n", &c, &err) == 0, "%s: %s", err.key, err.msg);
        sc = &c->scrape_configs[0];
        ck_assert_uint_eq(sc->static_configs[0].n_targets, 2);
        ck_assert_uint_eq(sc->static_configs[0].n_labels, 2);
        /* The job's rule first, then the pipeline file's. */
        ck_assert_uint_eq(sc->discovery->n_relabel, 2);
        ck_assert_str_eq(sc->discovery->relabel[0].target_label, "t");
        ck_assert_str_eq(sc->discovery->relabel[1].target_label, "b");
        sl_config_free(c);

        /* __path__ may come from relabeling; without relabel_configs it is
         * required. */
        ck_assert(load(HEAD "    static_configs: [{labels: {a: b}}]\n"
                       "    relabel_configs: [{target_label: __path__, replacement: /y}]\n",
                       &c, &err) == 0);
        sl_config_free(c);
        refused(HEAD "    static_configs: [{labels: {a: b}}]\n", "__path__", "required");
        /* A pipeline file's bad rule names that file. */
        sl_test_write_file(pipes, "pipeline_stages: []\nrelabel_configs: [{action: nope}]\n",
                           strlen("pipeline_stages: []\nrelabel_configs: [{action: nope}]\n"));
        ck_assert(load(HEAD "    static_configs: [{labels: {__path__: /x}}]\n    pipeline: p\n",
                       &c, &err) == -EINVAL);
        ck_assert_msg(strstr(err.file, "p.yaml") != NULL, "%s", err.file);
        ck_assert_msg(strstr(err.msg, "unknown relabel action") != NULL, "%s", err.msg);
        free(pipes);
}
END_TEST

/* Whether a config may speak TLS (tls-lib.h leaves OpenSSL's error texts
 * out when it cannot): only plain http:// and Docker's socket say no. */
START_TEST(may_use_tls)
{
        static const struct {
                const char *text;
                bool tls;
        } cases[] = {
                { HEAD "    static_configs: [{targets: [localhost], labels: {__path__: /l}}]\n", false },
                { HEAD "    docker_sd_configs: [{host: unix:///var/run/docker.sock}]\n", false },
                { HEAD "    docker_sd_configs: [{host: http://docker:2375}]\n", false },
                { HEAD "    docker_sd_configs: [{host: tcp://docker:2376}]\n", true },
                { HEAD "    docker_sd_configs: [{host: https://docker:2376}]\n", true },
                { HEAD "    kubernetes_sd_configs: [{role: pod}]\n", true },
                { "clients: [{url: HTTPS://loki/loki/api/v1/push}]\nscrape_configs:\n  - job_name: j\n"
                  "    static_configs: [{targets: [localhost], labels: {__path__: /l}}]\n", true },
                { "clients: [{url: http://loki/p}, {url: https://loki2/p}]\nscrape_configs:\n"
                  "  - job_name: j\n    static_configs: [{targets: [x], labels: {__path__: /l}}]\n", true },
                { "clients: [{url: http://loki/p, proxy_url: https://proxy:3128}]\nscrape_configs:\n"
                  "  - job_name: j\n    static_configs: [{targets: [x], labels: {__path__: /l}}]\n", true },
                { "clients: [{url: http://loki/p, proxy_url: http://proxy:3128}]\nscrape_configs:\n"
                  "  - job_name: j\n    static_configs: [{targets: [x], labels: {__path__: /l}}]\n", false },
                { "clients: [{url: http://loki/p, proxy_from_environment: true}]\nscrape_configs:\n"
                  "  - job_name: j\n    static_configs: [{targets: [x], labels: {__path__: /l}}]\n", true },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sl_config *c = NULL;
                struct sl_cfg_error err;

                ck_assert_msg(load(cases[i].text, &c, &err) == 0, "%s: %s: %s", cases[i].text, err.key,
                              err.msg);
                ck_assert_msg(sl_config_may_use_tls(c) == cases[i].tls, "case %zu:\n%s", i,
                              cases[i].text);
                sl_config_free(c);
        }
}
END_TEST

static Suite *discovery_config_suite(void) {
        Suite *s = suite_create("discovery-config");
        TCase *tc = tcase_create("discovery-config");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, docker_sd_defaults_and_values);
        tcase_add_test(tc, docker_sd_refusals);
        tcase_add_test(tc, kubernetes_sd_values_and_refusals);
        tcase_add_test(tc, static_labels_and_pipeline_relabel);
        tcase_add_test(tc, may_use_tls);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(discovery_config_suite)
