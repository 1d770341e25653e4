/* test-kube-sd.c - kubernetes_sd_configs (role pod) against the fake
 * Kubernetes API (tests/fakes/fake_kube.py): list then watch, pods coming,
 * changing, moving to another node and going, a watch that closes, 410
 * Gone (as an event and as a status), a refused token, and the relabeling
 * of the Promtail Helm chart's config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs-util.h"
#include "base/loop.h"
#include "base/xalloc.h"
#include "config/config.h"
#include "discovery/discovery.h"
#include "fake-api.h"
#include "sl-test.h"

static char *dir;
static struct fake_api fake;
static struct sl_loop *loop;
static struct sl_config *config;
static struct sl_discovery *d;

static struct sl_target *live[64];    /* registered targets */
static char *globs[64];
static size_t n_live;
static size_t n_added, n_removed, n_warned;

static int add_glob(void *ud, const char *pattern, struct sl_target *t) {
        ck_assert_uint_lt(n_live, 64);
        globs[n_live] = sl_xstrdup(pattern);
        live[n_live++] = t;
        n_added++;
        ck_assert_ptr_eq(sl_discovery_file_target(d, pattern, t), t);
        return 0;
}

static void remove_glob(void *ud, struct sl_target *t) {
        for (size_t i = 0; i < n_live; i++) {
                if (live[i] == t) {
                        free(globs[i]);
                        live[i] = live[n_live - 1];
                        globs[i] = globs[n_live - 1];
                        n_live--;
                        n_removed++;
                        /* Its file, finished, is released. */
                        sl_discovery_file_released(t);
                        return;
                }
        }
        ck_abort_msg("removed a target that was not added");
}

static void warn(void *ud, const char *msg, const char *detail) {
        n_warned++;
}

static const struct sl_discovery_hooks hooks = {
        .add_glob = add_glob, .remove_glob = remove_glob, .warn = warn,
};

/* The relabeling the Promtail Helm chart renders for its kubernetes-pods
 * job. */
#define HELM_RELABEL                                                                     \
        "    relabel_configs:\n"                                                         \
        "      - source_labels: [__meta_kubernetes_pod_controller_name]\n"                \
        "        regex: ([0-9a-z-.]+?)(-[0-9a-f]{8,10})?\n"                               \
        "        action: replace\n"                                                      \
        "        target_label: __tmp_controller_name\n"                                  \
        "      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name,\n"   \
        "                        __meta_kubernetes_pod_label_app, __tmp_controller_name,\n" \
        "                        __meta_kubernetes_pod_name]\n"                           \
        "        regex: ^;*([^;]+)(;.*)?$\n"                                             \
        "        action: replace\n"                                                      \
        "        target_label: app\n"                                                    \
        "      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_instance,\n" \
        "                        __meta_kubernetes_pod_label_instance]\n"                 \
        "        regex: ^;*([^;]+)(;.*)?$\n"                                             \
        "        action: replace\n"                                                      \
        "        target_label: instance\n"                                               \
        "      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_component,\n" \
        "                        __meta_kubernetes_pod_label_component]\n"                \
        "        regex: ^;*([^;]+)(;.*)?$\n"                                             \
        "        action: replace\n"                                                      \
        "        target_label: component\n"                                              \
        "      - action: replace\n"                                                      \
        "        source_labels: [__meta_kubernetes_pod_node_name]\n"                     \
        "        target_label: node_name\n"                                              \
        "      - action: replace\n"                                                      \
        "        source_labels: [__meta_kubernetes_namespace]\n"                         \
        "        target_label: namespace\n"                                              \
        "      - action: replace\n"                                                      \
        "        replacement: $1\n"                                                      \
        "        separator: /\n"                                                         \
        "        source_labels: [namespace, app]\n"                                      \
        "        target_label: job\n"                                                    \
        "      - action: replace\n"                                                      \
        "        source_labels: [__meta_kubernetes_pod_name]\n"                          \
        "        target_label: pod\n"                                                    \
        "      - action: replace\n"                                                      \
        "        source_labels: [__meta_kubernetes_pod_container_name]\n"                \
        "        target_label: container\n"                                              \
        "      - action: replace\n"                                                      \
        "        replacement: /var/log/pods/*$1/*.log\n"                                 \
        "        separator: /\n"                                                         \
        "        source_labels: [__meta_kubernetes_pod_uid,\n"                            \
        "                        __meta_kubernetes_pod_container_name]\n"                 \
        "        target_label: __path__\n"                                               \
        "      - action: replace\n"                                                      \
        "        regex: true/(.*)\n"                                                     \
        "        replacement: /var/log/pods/*$1/*.log\n"                                 \
        "        separator: /\n"                                                         \
        "        source_labels:\n"                                                       \
        "          - __meta_kubernetes_pod_annotationpresent_kubernetes_io_config_hash\n" \
        "          - __meta_kubernetes_pod_annotation_kubernetes_io_config_hash\n"       \
        "          - __meta_kubernetes_pod_container_name\n"                             \
        "        target_label: __path__\n"

static void start(const char *extra) {
        char *cfg_path, *text;
        struct sl_cfg_error err = { 0 };
        void *jobs[1] = { (void *)1 };

        text = sl_xasprintf(
                "clients: [{url: http://loki:3100/loki/api/v1/push}]\n"
                "scrape_configs:\n"
                "  - job_name: kubernetes-pods\n"
                "    kubernetes_sd_configs:\n"
                "      - role: pod\n"
                "        api_server: http://127.0.0.1:%d\n"
                "        bearer_token: %s\n"
                "%s" HELM_RELABEL, fake.port, "s3cret", extra ? extra : "");
        cfg_path = sl_path_join(dir, "sluice.yaml");
        sl_test_write_file(cfg_path, text, strlen(text));
        ck_assert_msg(sl_config_load(cfg_path, dir, &config, &err) == 0, "%s %s", err.key,
                      err.msg);
        ck_assert_msg(sl_discovery_new(config, loop, &hooks, jobs, &d, &err) == 0, "%s",
                      err.msg);
        sl_discovery_start(d);
        free(cfg_path);
        free(text);
}

static void setup(void) {
        dir = sl_test_tmpdir();
        n_live = n_added = n_removed = n_warned = 0;
        fake_api_start(&fake, dir, "fake_kube.py", NULL);
        setenv("HOSTNAME", "node-a", 1);
        loop = sl_loop_new();
}

static void teardown(void) {
        sl_discovery_free(d);
        d = NULL;
        sl_loop_free(loop);
        sl_config_free(config);
        config = NULL;
        fake_api_stop(&fake);
        for (size_t i = 0; i < n_live; i++)
                free(globs[i]);
        sl_test_rmtree(dir);
        free(dir);
}

/* A pod as the API shows it. */
static char *pod(const char *ns, const char *name, const char *uid, const char *node,
                 const char *app, const char *containers) {
        return sl_xasprintf(
                "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\","
                "\"labels\":{\"app.kubernetes.io/name\":\"%s\"},"
                "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"%s-7d9f8c6b5\","
                "\"controller\":true}]},"
                "\"spec\":{\"nodeName\":\"%s\",\"containers\":[%s]},"
                "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.2.3\",\"hostIP\":\"10.0.0.1\","
                "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
                name, ns, uid, app, app, node, containers);
}

static void set_pods(int rv, const char *extra, const char *const *pods) {
        char *json = sl_xasprintf("{\"rv\":%d,\"token\":\"s3cret\"%s%s,\"pods\":[", rv,
                                  extra ? "," : "", extra ? extra : ""), *next;

        for (size_t i = 0; pods[i]; i++) {
                next = sl_xasprintf("%s%s%s", json, i ? "," : "", pods[i]);
                free(json);
                json = next;
        }
        next = sl_xasprintf("%s]}", json);
        free(json);
        fake_api_set_state(&fake, next);
        free(next);
}

static struct sl_target *find(const char *pod_name, const char *container) {
        for (size_t i = 0; i < n_live; i++) {
                const struct sl_label_set *ls = &live[i]->labels[0];
                const char *p = sl_label_set_get(ls, SL_STR_LIT("pod"));
                const char *c = sl_label_set_get(ls, SL_STR_LIT("container"));
                if (p && c && strcmp(p, pod_name) == 0 && strcmp(c, container) == 0)
                        return live[i];
        }
        return NULL;
}

static const char *label(const struct sl_target *t, const char *name) {
        return sl_label_set_get(&t->labels[0], sl_str_c(name));
}

static bool synced(void *ud) {
        return sl_discovery_synced(d);
}

static bool live_is(void *ud) {
        return n_live == *(size_t *)ud;
}

static const char *want_app;

static bool app_is(void *ud) {
        const struct sl_target *t = find("api-1", "api");
        return t && strcmp(label(t, "app"), want_app) == 0;
}

static size_t list_requests_wanted;

static bool c_not_b(void *ud) {
        return find("c-1", "envoy") && !find("b-1", "envoy");
}

static bool watching(void *ud) {
        return fake_api_requests(&fake, " watch") >= 1;
}

static bool lists_reached(void *ud) {
        return fake_api_requests(&fake, " list") >= list_requests_wanted;
}

#define C_API "{\"name\":\"api\",\"image\":\"shop/api:1\",\"ports\":[{\"name\":\"http\"," \
              "\"containerPort\":8080},{\"name\":\"metrics\",\"containerPort\":9090}]}"
#define C_SIDECAR "{\"name\":\"envoy\",\"image\":\"envoy:1\"}"

START_TEST(list_then_watch_follows_the_nodes_pods)
{
        char *api = pod("shop", "api-1", "uid-1", "node-a", "api", C_API "," C_SIDECAR);
        char *other = pod("shop", "api-2", "uid-2", "node-b", "api", C_API);
        char *web = pod("web", "web-1", "uid-3", "node-a", "web", C_SIDECAR);
        struct sl_target *t;
        size_t want;

        set_pods(10, NULL, (const char *const[]){ api, other, NULL });
        start(NULL);
        ck_assert(run_until(loop, synced, NULL, 10000));
        /* node-a's pod only (spec.nodeName=$HOSTNAME), one target per
         * container whatever its ports. */
        ck_assert_uint_eq(n_live, 2);
        t = find("api-1", "api");
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(label(t, "namespace"), "shop");
        ck_assert_str_eq(label(t, "app"), "api");
        ck_assert_str_eq(label(t, "job"), "shop/api");
        ck_assert_str_eq(label(t, "node_name"), "node-a");
        ck_assert_uint_eq(t->labels[0].len, 6);
        for (size_t i = 0; i < n_live; i++) {
                const char *c = label(live[i], "container");
                char *want_glob = sl_xasprintf("/var/log/pods/*uid-1/%s/*.log", c);
                ck_assert_str_eq(globs[i], want_glob);
                free(want_glob);
        }
        ck_assert_uint_eq(fake_api_requests(&fake, "/api/v1/pods list"), 1);

        /* A new pod comes: from the watch. */
        set_pods(11, NULL, (const char *const[]){ api, other, web, NULL });
        want = 3;
        ck_assert(run_until(loop, live_is, &want, 10000));
        ck_assert_str_eq(label(find("web-1", "envoy"), "job"), "web/web");

        /* A label changes: relabeled in place, the target stays. */
        free(api);
        api = pod("shop", "api-1", "uid-1", "node-a", "api-v2", C_API "," C_SIDECAR);
        set_pods(12, NULL, (const char *const[]){ api, other, web, NULL });
        want_app = "api-v2";
        ck_assert(run_until(loop, app_is, NULL, 10000));
        ck_assert_uint_eq(n_added, 3);
        ck_assert_uint_eq(n_removed, 0);

        /* Moved to another node: gone from this one. Deleted: gone. */
        free(web);
        web = pod("web", "web-1", "uid-3", "node-b", "web", C_SIDECAR);
        set_pods(13, NULL, (const char *const[]){ api, other, web, NULL });
        want = 2;
        ck_assert(run_until(loop, live_is, &want, 10000));
        ck_assert_ptr_null(find("web-1", "envoy"));
        set_pods(14, NULL, (const char *const[]){ other, web, NULL });
        want = 0;
        ck_assert(run_until(loop, live_is, &want, 10000));
        /* Listed once: every change came from the watch. */
        ck_assert_uint_eq(fake_api_requests(&fake, " list"), 1);
        ck_assert_uint_eq(n_warned, 0);
        free(api);
        free(other);
        free(web);
}
END_TEST

START_TEST(closed_watches_resume_and_gone_relists)
{
        char *a = pod("shop", "a-1", "uid-a", "node-a", "a", C_SIDECAR);
        char *b = pod("shop", "b-1", "uid-b", "node-a", "b", C_SIDECAR);
        char *c = pod("shop", "c-1", "uid-c", "node-a", "c", C_SIDECAR);
        size_t want;

        set_pods(20, NULL, (const char *const[]){ a, NULL });
        start(NULL);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_live, 1);
        ck_assert(run_until(loop, watching, NULL, 10000));

        /* The server closes the watch: watched again from where it was,
         * without a list, and a change made meanwhile still arrives. */
        set_pods(21, "\"close_watches\":1", (const char *const[]){ a, b, NULL });
        want = 2;
        ck_assert(run_until(loop, live_is, &want, 10000));
        ck_assert_uint_eq(fake_api_requests(&fake, " list"), 1);
        ck_assert_uint_ge(fake_api_requests(&fake, " watch"), 2);

        /* 410 Gone as an ERROR event: listed again; what changed while the
         * watch was broken (b deleted, c added) is what the list says. */
        set_pods(30, "\"close_watches\":2,\"compacted\":29", (const char *const[]){ a, c, NULL });
        list_requests_wanted = 2;
        ck_assert(run_until(loop, lists_reached, NULL, 10000));
        ck_assert(run_until(loop, c_not_b, NULL, 10000));
        ck_assert_uint_eq(n_live, 2);

        /* 410 as the HTTP status: the same. */
        set_pods(40, "\"close_watches\":3,\"compacted\":39,\"gone_as_status\":true",
                 (const char *const[]){ c, NULL });
        list_requests_wanted = 3;
        ck_assert(run_until(loop, lists_reached, NULL, 10000));
        want = 1;
        ck_assert(run_until(loop, live_is, &want, 10000));
        ck_assert_uint_eq(n_warned, 0);
        free(a);
        free(b);
        free(c);
}
END_TEST

START_TEST(namespaces_and_selectors)
{
        char *a = pod("shop", "a-1", "uid-a", "node-a", "a", C_SIDECAR);
        char *b = pod("web", "b-1", "uid-b", "node-a", "b", C_SIDECAR);
        char *c = pod("ops", "c-1", "uid-c", "node-a", "c", C_SIDECAR);

        set_pods(5, NULL, (const char *const[]){ a, b, c, NULL });
        start("        namespaces: {names: [shop, web]}\n"
              "        selectors: [{role: pod, label: 'app.kubernetes.io/name!=b'}]\n");
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_live, 1);
        ck_assert_ptr_nonnull(find("a-1", "envoy"));
        ck_assert_uint_eq(fake_api_requests(&fake, "/api/v1/namespaces/shop/pods list"), 1);
        ck_assert_uint_eq(fake_api_requests(&fake, "/api/v1/namespaces/web/pods list"), 1);
        ck_assert_uint_eq(fake_api_requests(&fake, "/api/v1/pods"), 0);
        free(a);
        free(b);
        free(c);
}
END_TEST

START_TEST(refused_token_is_reported_and_retried)
{
        char *a = pod("shop", "a-1", "uid-a", "node-a", "a", C_SIDECAR);
        size_t want = 1;

        fake_api_set_state(&fake, "{\"rv\":1,\"token\":\"other\"}");
        start(NULL);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_live, 0);
        ck_assert_uint_eq(n_warned, 1);
        /* Accepted again: the next attempt (after 1 s) lists. */
        set_pods(2, NULL, (const char *const[]){ a, NULL });
        ck_assert(run_until(loop, live_is, &want, 10000));
        ck_assert_uint_eq(n_warned, 1);
        free(a);
}
END_TEST

static Suite *kube_sd_suite(void) {
        Suite *s = suite_create("kube-sd");
        TCase *tc = tcase_create("kube-sd");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, list_then_watch_follows_the_nodes_pods);
        tcase_add_test(tc, closed_watches_resume_and_gone_relists);
        tcase_add_test(tc, namespaces_and_selectors);
        tcase_add_test(tc, refused_token_is_reported_and_retried);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(kube_sd_suite)
