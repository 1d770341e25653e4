/* test-pod-meta.c - labels from a kubelet log path. */
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

static Suite *pod_meta_suite(void) {
        Suite *s = suite_create("pod-meta");
        TCase *tc = tcase_create("pod-meta");

        tcase_add_test(tc, kubelet_paths);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(pod_meta_suite)
