/* test-kube-api.c - how kubernetes_sd_configs reaches the API: in-cluster
 * (environment and service account directory), kubeconfig_file, api_server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "discovery/kube-api.h"
#include "sl-test.h"

static char *dir;

static void setup(void) {
        dir = sl_test_tmpdir();
        unsetenv("KUBERNETES_SERVICE_HOST");
        unsetenv("KUBERNETES_SERVICE_PORT");
}

static void teardown(void) {
        sl_test_rmtree(dir);
        free(dir);
}

static void write_in(const char *name, const char *text) {
        char *p = sl_path_join(dir, name);
        sl_test_write_file(p, text, strlen(text));
        free(p);
}

START_TEST(in_cluster)
{
        struct sl_kube_sd_config cfg = { .own_namespace = true };
        struct sl_kube_api a;
        char err[400];

        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "KUBERNETES_SERVICE_HOST") != NULL, "%s", err);
        setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
        setenv("KUBERNETES_SERVICE_PORT", "443", 1);
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "token") != NULL, "%s", err);
        write_in("token", "tok\n");
        write_in("ca.crt", "-----BEGIN CERTIFICATE-----\n");
        write_in("namespace", "logging\n");
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), 0);
        ck_assert_str_eq(a.server, "https://10.96.0.1:443");
        ck_assert(strstr(a.token_file, "/token") != NULL);
        ck_assert(strstr(a.ca_file, "/ca.crt") != NULL);
        ck_assert_str_eq(a.own_namespace, "logging");
        ck_assert_ptr_null(a.token);
        sl_kube_api_release(&a);
        setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), 0);
        ck_assert_str_eq(a.server, "https://[fd00::1]:443");
        sl_kube_api_release(&a);
}
END_TEST

START_TEST(kubeconfig_file)
{
        struct sl_kube_sd_config cfg = { 0 };
        struct sl_kube_api a;
        char err[400];

        /* "LS0tQ0EtLS0K" is base64 for "---CA---\n". */
        write_in("kubeconfig",
                 "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
                 "contexts:\n- name: other\n  context: {cluster: x, user: x}\n"
                 "- name: dev\n  context: {cluster: kind, user: admin, namespace: ns}\n"
                 "clusters:\n- name: kind\n  cluster:\n    server: https://127.0.0.1:6443/\n"
                 "    certificate-authority-data: LS0tQ0EtLS0K\n    tls-server-name: kubernetes\n"
                 "users:\n- name: admin\n  user:\n    tokenFile: secrets/token\n"
                 "    client-certificate: /etc/cert.pem\n    client-key: key.pem\n");
        cfg.kubeconfig_file = sl_path_join(dir, "kubeconfig");
        ck_assert_msg(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)) == 0, "%s", err);
        ck_assert_str_eq(a.server, "https://127.0.0.1:6443");
        ck_assert_str_eq(a.ca_pem, "---CA---\n");
        ck_assert_str_eq(a.server_name, "kubernetes");
        ck_assert(strstr(a.token_file, "/secrets/token") != NULL && a.token_file[0] == '/');
        ck_assert_str_eq(a.cert_file, "/etc/cert.pem");
        ck_assert(strstr(a.key_file, dir) == a.key_file);
        sl_kube_api_release(&a);

        write_in("kubeconfig",
                 "current-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x'}\n"
                 "users:\n- name: u\n  user:\n    exec: {command: aws}\n");
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "exec") != NULL, "%s", err);
        write_in("kubeconfig", "current-context: nope\n");
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), -EINVAL);
        free(cfg.kubeconfig_file);
        cfg.kubeconfig_file = sl_path_join(dir, "missing");
        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "missing") != NULL, "%s", err);
        free(cfg.kubeconfig_file);
}
END_TEST

START_TEST(api_server)
{
        struct sl_kube_sd_config cfg = {
                .api_server = (char *)"http://127.0.0.1:8001/",
                .bearer_token_file = (char *)"/run/token",
                .tls = { .insecure_skip_verify = true },
        };
        struct sl_kube_api a;
        char err[400];

        ck_assert_int_eq(sl_kube_api_resolve(&cfg, dir, &a, err, sizeof(err)), 0);
        ck_assert_str_eq(a.server, "http://127.0.0.1:8001");
        ck_assert_str_eq(a.token_file, "/run/token");
        ck_assert(a.insecure);
        sl_kube_api_release(&a);
}
END_TEST

static Suite *kube_api_suite(void) {
        Suite *s = suite_create("kube-api");
        TCase *tc = tcase_create("kube-api");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, in_cluster);
        tcase_add_test(tc, kubeconfig_file);
        tcase_add_test(tc, api_server);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(kube_api_suite)
