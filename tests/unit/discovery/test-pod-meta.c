/* test-pod-meta.c - labels from a kubelet log path, and Prometheus' pod
 * role targets from the API's pod objects (the pods and expected label
 * sets of TestPodDiscoveryBeforeRun and TestPodDiscoveryInitContainer in
 * Prometheus' discovery/kubernetes/pod_test.go, v0.55, written as the
 * API's JSON). */
#include <errno.h>
#include <string.h>

#include "discovery/pod-meta.h"
#include "sl-test.h"

START_TEST(kubelet_paths)
{
        struct sl_label_set ls;

        sl_label_set_init(&ls);
        ck_assert(sl_pod_path_labels(
                "/var/log/pods/shop_api-7d9f8c6b5-x2x9z_0b6e8f52-1c2d-4e5f-8a9b-0c1d2e3f4a5b/"
                "api/0.log", &ls));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("namespace")), "shop");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("pod")), "api-7d9f8c6b5-x2x9z");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("pod_uid")),
                         "0b6e8f52-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("container")), "api");
        ck_assert_uint_eq(ls.len, 4);
        sl_label_set_release(&ls);

        /* Labels already there stay. */
        sl_label_set_init(&ls);
        sl_label_set_set_c(&ls, "container", "mine");
        ck_assert(sl_pod_path_labels("/host/var/log/pods/ns_p_u/c/1.log.20260101-010101", &ls));
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("container")), "mine");
        ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT("pod_uid")), "u");
        sl_label_set_release(&ls);

        static const char *const not_pods[] = {
                "/var/log/containers/api_shop_api-123.log",
                "/var/log/pods/ns_pod/c/0.log",          /* no uid */
                "/var/log/pods/ns_pod_uid_x/c/0.log",    /* one '_' too many */
                "/var/log/pods/ns_pod_uid/0.log",        /* no container directory */
                "/var/log/pods/ns_pod_uid/c/d/0.log",    /* too deep */
                "/var/log/pods/_pod_uid/c/0.log",        /* empty namespace */
                "/var/log/pods/ns_pod_uid/c/",           /* no file */
                "/var/lib/docker/containers/abc/abc-json.log",
        };
        for (size_t i = 0; i < sizeof(not_pods) / sizeof(not_pods[0]); i++) {
                sl_label_set_init(&ls);
                ck_assert_msg(!sl_pod_path_labels(not_pods[i], &ls), "%s", not_pods[i]);
                ck_assert_uint_eq(ls.len, 0);
                sl_label_set_release(&ls);
        }
}
END_TEST

#define K "__meta_kubernetes_"

static void expect(const struct sl_label_set *ls, const char *const *pairs) {
        size_t n = 0;

        for (; pairs[n]; n += 2) {
                const char *v = sl_label_set_get(ls, sl_str_c(pairs[n]));
                ck_assert_msg(v != NULL, "%s missing", pairs[n]);
                ck_assert_msg(strcmp(v, pairs[n + 1]) == 0, "%s=%s, want %s", pairs[n], v,
                              pairs[n + 1]);
        }
        ck_assert_msg(ls->len == n / 2, "%zu labels, want %zu", ls->len, n / 2);
}

#define MULTI_GROUP                                                                      \
        K "pod_name", "testpod", K "namespace", "default",                               \
        K "pod_label_test_label", "testvalue", K "pod_labelpresent_test_label", "true",   \
        K "pod_annotation_test_annotation", "testannotationvalue",                       \
        K "pod_annotationpresent_test_annotation", "true", K "pod_node_name", "testnode", \
        K "pod_ip", "1.2.3.4", K "pod_host_ip", "2.3.4.5", K "pod_ready", "true",          \
        K "pod_phase", "Running", K "pod_uid", "abc123",                                 \
        K "pod_controller_kind", "testcontrollerkind",                                   \
        K "pod_controller_name", "testcontrollername"

START_TEST(prometheus_multi_port_pod)
{
        static const char json[] =
                "{\"metadata\":{\"name\":\"testpod\",\"namespace\":\"default\","
                "\"labels\":{\"test/label\":\"testvalue\"},"
                "\"annotations\":{\"test/annotation\":\"testannotationvalue\"},"
                "\"uid\":\"abc123\",\"ownerReferences\":[{\"kind\":\"testcontrollerkind\","
                "\"name\":\"testcontrollername\",\"controller\":true}]},"
                "\"spec\":{\"nodeName\":\"testnode\",\"containers\":["
                "{\"name\":\"testcontainer0\",\"image\":\"testcontainer0:latest\",\"ports\":["
                "{\"name\":\"testport0\",\"protocol\":\"TCP\",\"containerPort\":9000},"
                "{\"name\":\"testport1\",\"protocol\":\"UDP\",\"containerPort\":9001}]},"
                "{\"name\":\"testcontainer1\",\"image\":\"testcontainer1:latest\"}]},"
                "\"status\":{\"podIP\":\"1.2.3.4\",\"hostIP\":\"2.3.4.5\",\"phase\":\"Running\","
                "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                "\"containerStatuses\":[{\"name\":\"testcontainer0\","
                "\"containerID\":\"docker://a1b2c3d4e5f6\"},{\"name\":\"testcontainer1\","
                "\"containerID\":\"containerd://6f5e4d3c2b1a\"}]}}";
        struct sl_pod pod = { 0 };

        ck_assert_int_eq(sl_pod_parse_text(json, strlen(json), &pod), 0);
        ck_assert_str_eq(pod.ns, "default");
        ck_assert_str_eq(pod.name, "testpod");
        ck_assert_uint_eq(pod.n_targets, 3);
        ck_assert_str_eq(pod.targets[0].container, "testcontainer0");
        expect(&pod.targets[0].labels, (const char *const[]){
                "__address__", "1.2.3.4:9000", K "pod_container_name", "testcontainer0",
                K "pod_container_image", "testcontainer0:latest",
                K "pod_container_port_name", "testport0",
                K "pod_container_port_number", "9000",
                K "pod_container_port_protocol", "TCP", K "pod_container_init", "false",
                K "pod_container_id", "docker://a1b2c3d4e5f6", MULTI_GROUP, NULL });
        expect(&pod.targets[1].labels, (const char *const[]){
                "__address__", "1.2.3.4:9001", K "pod_container_name", "testcontainer0",
                K "pod_container_image", "testcontainer0:latest",
                K "pod_container_port_name", "testport1",
                K "pod_container_port_number", "9001",
                K "pod_container_port_protocol", "UDP", K "pod_container_init", "false",
                K "pod_container_id", "docker://a1b2c3d4e5f6", MULTI_GROUP, NULL });
        expect(&pod.targets[2].labels, (const char *const[]){
                "__address__", "1.2.3.4", K "pod_container_name", "testcontainer1",
                K "pod_container_image", "testcontainer1:latest",
                K "pod_container_init", "false",
                K "pod_container_id", "containerd://6f5e4d3c2b1a", MULTI_GROUP, NULL });
        sl_pod_release(&pod);
}
END_TEST

START_TEST(prometheus_init_container_pod)
{
        static const char json[] =
                "{\"metadata\":{\"name\":\"testpod\",\"namespace\":\"default\","
                "\"uid\":\"abc123\"},"
                "\"spec\":{\"nodeName\":\"testnode\",\"containers\":["
                "{\"name\":\"testcontainer\",\"image\":\"testcontainer:latest\",\"ports\":["
                "{\"name\":\"testport\",\"protocol\":\"TCP\",\"containerPort\":9000}]}],"
                "\"initContainers\":[{\"name\":\"initcontainer\","
                "\"image\":\"initcontainer:latest\"}]},"
                "\"status\":{\"podIP\":\"1.2.3.4\",\"hostIP\":\"2.3.4.5\",\"phase\":\"Pending\","
                "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
                "\"containerStatuses\":[{\"name\":\"testcontainer\","
                "\"containerID\":\"docker://a1b2c3d4e5f6\"}],"
                "\"initContainerStatuses\":[{\"name\":\"initcontainer\","
                "\"containerID\":\"containerd://6f5e4d3c2b1a\"}]}}";
#define INIT_GROUP                                                                       \
        K "pod_name", "testpod", K "namespace", "default", K "pod_node_name", "testnode", \
        K "pod_ip", "1.2.3.4", K "pod_host_ip", "2.3.4.5", K "pod_ready", "false",         \
        K "pod_phase", "Pending", K "pod_uid", "abc123"
        struct sl_pod pod = { 0 };

        ck_assert_int_eq(sl_pod_parse_text(json, strlen(json), &pod), 0);
        ck_assert_uint_eq(pod.n_targets, 2);
        expect(&pod.targets[0].labels, (const char *const[]){
                "__address__", "1.2.3.4:9000", K "pod_container_name", "testcontainer",
                K "pod_container_image", "testcontainer:latest",
                K "pod_container_port_name", "testport", K "pod_container_port_number", "9000",
                K "pod_container_port_protocol", "TCP", K "pod_container_init", "false",
                K "pod_container_id", "docker://a1b2c3d4e5f6", INIT_GROUP, NULL });
        expect(&pod.targets[1].labels, (const char *const[]){
                "__address__", "1.2.3.4", K "pod_container_name", "initcontainer",
                K "pod_container_image", "initcontainer:latest",
                K "pod_container_init", "true",
                K "pod_container_id", "containerd://6f5e4d3c2b1a", INIT_GROUP, NULL });
        sl_pod_release(&pod);
}
END_TEST

START_TEST(pods_without_ip_or_name)
{
        static const char no_ip[] = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},"
                                    "\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
                                    "\"status\":{\"phase\":\"Pending\"}}";
        struct sl_pod pod = { 0 };

        /* A pod without an IP yet has no targets (as in Prometheus). */
        ck_assert_int_eq(sl_pod_parse_text(no_ip, strlen(no_ip), &pod), 0);
        ck_assert_uint_eq(pod.n_targets, 0);
        ck_assert_str_eq(pod.uid, "");
        sl_pod_release(&pod);
        ck_assert_int_eq(sl_pod_parse_text("{\"metadata\":{}}", 14, &pod), -EBADMSG);
        sl_pod_release(&pod);
        ck_assert_int_eq(sl_pod_parse_text("[", 1, &pod), -EBADMSG);
        sl_pod_release(&pod);
}
END_TEST

static Suite *pod_meta_suite(void) {
        Suite *s = suite_create("pod-meta");
        TCase *tc = tcase_create("pod-meta");

        tcase_add_test(tc, kubelet_paths);
        tcase_add_test(tc, prometheus_multi_port_pod);
        tcase_add_test(tc, prometheus_init_container_pod);
        tcase_add_test(tc, pods_without_ip_or_name);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(pod_meta_suite)
