/* test-docker-sd.c - docker_sd_configs against the fake Docker Engine API
 * (tests/fakes/fake_docker.py on a unix socket): containers discovered,
 * followed by their LogPath with Promtail's labels, inspected once,
 * finished when they stop, other log drivers reported once, failures
 * keeping the targets. */
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

static struct sl_target *added[64];
static char *patterns[64];
static size_t n_added;
static struct sl_target *removed[64];
static size_t n_removed;
static char warned[8][512];
static size_t n_warned;

/* As the tailer: a target's file is followed when its glob comes, and
 * released after its glob went (files_released()). */
static int add_glob(void *ud, const char *pattern, struct sl_target *t) {
        ck_assert_uint_lt(n_added, 64);
        patterns[n_added] = sl_xstrdup(pattern);
        added[n_added++] = t;
        ck_assert_ptr_eq(sl_discovery_file_target(d, pattern, t), t);
        return 0;
}

static void remove_glob(void *ud, struct sl_target *t) {
        ck_assert_uint_lt(n_removed, 64);
        removed[n_removed++] = t;
}

static size_t n_released;

static void files_released(void) {
        for (; n_released < n_removed; n_released++)
                sl_discovery_file_released(removed[n_released]);
}

static void warn(void *ud, const char *msg, const char *detail) {
        if (n_warned < 8)
                snprintf(warned[n_warned], sizeof(warned[0]), "%s %s", msg, detail);
        n_warned++;
}

static const struct sl_discovery_hooks hooks = {
        .add_glob = add_glob, .remove_glob = remove_glob, .warn = warn,
};

static void setup(void) {
        const char *args[] = { "--socket", NULL, NULL };
        char *sock, *cfg_path, *text;
        struct sl_cfg_error err = { 0 };
        void *jobs[1] = { (void *)1 };

        dir = sl_test_tmpdir();
        n_added = n_removed = n_warned = n_released = 0;
        sock = sl_path_join(dir, "docker.sock");
        args[1] = sock;
        fake_api_start(&fake, dir, "fake_docker.py", args);
        text = sl_xasprintf(
                "clients: [{url: http://loki:3100/loki/api/v1/push}]\n"
                "scrape_configs:\n"
                "  - job_name: docker\n"
                "    docker_sd_configs:\n"
                "      - host: unix://%s\n"
                "        refresh_interval: 100ms\n"
                "        filters: [{name: label, values: [logging=on]}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_docker_container_name], regex: /(.*), "
                "target_label: container}\n"
                "      - {source_labels: "
                "[__meta_docker_container_label_com_docker_compose_service], target_label: "
                "service}\n", sock);
        cfg_path = sl_path_join(dir, "sluice.yaml");
        sl_test_write_file(cfg_path, text, strlen(text));
        ck_assert_msg(sl_config_load(cfg_path, dir, &config, &err) == 0, "%s", err.msg);
        loop = sl_loop_new();
        ck_assert_int_eq(sl_discovery_new(config, loop, &hooks, jobs, &d, &err), 0);
        free(sock);
        free(cfg_path);
        free(text);
}

static void teardown(void) {
        sl_discovery_free(d);
        sl_loop_free(loop);
        sl_config_free(config);
        fake_api_stop(&fake);
        for (size_t i = 0; i < n_added; i++)
                free(patterns[i]);
        sl_test_rmtree(dir);
        free(dir);
}

/* A container of the fake's state. */
static char *container(const char *id, const char *name, const char *service,
                       const char *driver) {
        return sl_xasprintf(
                "{\"Id\":\"%s\",\"Name\":\"/%s\",\"Image\":\"app:1\","
                "\"Labels\":{\"logging\":\"on\",\"com.docker.compose.service\":\"%s\"},"
                "\"LogPath\":\"/var/lib/docker/containers/%s/%s-json.log\","
                "\"LogDriver\":\"%s\"}", id, name, service, id, id, driver);
}

static void set_containers(const char *const *ids, const char *extra) {
        char *json = sl_xstrdup("{\"containers\":["), *next;

        for (size_t i = 0; ids[i]; i++) {
                char *c = container(ids[i], ids[i] + 2, "svc", "json-file");
                next = sl_xasprintf("%s%s%s", json, i ? "," : "", c);
                free(json);
                free(c);
                json = next;
        }
        next = sl_xasprintf("%s]%s%s}", json, extra ? "," : "", extra ? extra : "");
        free(json);
        fake_api_set_state(&fake, next);
        free(next);
}

static bool synced(void *ud) {
        return sl_discovery_synced(d);
}

static size_t want_added, want_removed;

static bool counts_reached(void *ud) {
        return n_added >= want_added && n_removed >= want_removed;
}

static bool refreshed_times(void *ud) {
        return sl_discovery_stats(d)->refreshes >= *(uint64_t *)ud;
}

static bool errors_seen(void *ud) {
        return sl_discovery_stats(d)->refresh_errors >= *(uint64_t *)ud;
}

static const char *label(const struct sl_target *t, const char *name) {
        return sl_label_set_get(&t->labels[0], sl_str_c(name));
}

START_TEST(containers_are_discovered_and_followed_by_log_path)
{
        char *a = container("c1aaaa", "w40k-api", "api", "json-file");
        char *b = container("c2bbbb", "w40k-worker", "worker", "json-file");
        char *j = container("c3cccc", "journald-app", "j", "journald");
        char *state = sl_xasprintf(
                "{\"containers\":[%s,%s,%s,{\"Id\":\"c4dddd\",\"Name\":\"/unlabeled\","
                "\"LogPath\":\"/x\"}],\"networks\":[{\"Id\":\"net-bridge\",\"Name\":\"bridge\","
                "\"Scope\":\"local\",\"Labels\":{\"l\":\"v\"}}]}", a, b, j);
        uint64_t n = 5;

        fake_api_set_state(&fake, state);
        ck_assert(!sl_discovery_synced(d));
        sl_discovery_start(d);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_added, 2);
        for (size_t i = 0; i < 2; i++) {
                const struct sl_target *t = added[i];
                const char *id = strcmp(label(t, "container"), "w40k-api") == 0 ? "c1aaaa"
                                                                               : "c2bbbb";
                char *want = sl_xasprintf("/var/lib/docker/containers/%s/%s-json.log", id, id);

                ck_assert_str_eq(patterns[i], want);
                ck_assert_str_eq(label(t, "service"),
                                 strcmp(id, "c1aaaa") == 0 ? "api" : "worker");
                ck_assert_uint_eq(t->labels[0].len, 2);
                ck_assert_ptr_eq(t->job, (void *)1);
                ck_assert_int_eq(t->kind, SL_TARGET_DOCKER);
                free(want);
        }
        /* The journald container is reported once, whatever the refreshes. */
        ck_assert(run_until(loop, refreshed_times, &n, 10000));
        ck_assert_uint_eq(n_warned, 1);
        ck_assert_msg(strstr(warned[0], "log_driver=\"journald\"") != NULL, "%s", warned[0]);
        ck_assert_uint_eq(n_added, 2);
        ck_assert_uint_eq(n_removed, 0);
        /* Inspected once each, listed every time, with the filter. */
        ck_assert_uint_eq(fake_api_requests(&fake, "GET /containers/c1aaaa/json"), 1);
        ck_assert_uint_eq(fake_api_requests(&fake, "GET /containers/c4dddd/json"), 0);
        ck_assert_uint_ge(fake_api_requests(&fake, "GET /containers/json"), 5);
        ck_assert_uint_ge(fake_api_requests(&fake, "GET /networks"), 5);
        free(a);
        free(b);
        free(j);
        free(state);
}
END_TEST

START_TEST(stopped_containers_go_and_new_ones_come)
{
        const char *first[] = { "c1aaaa", "c2bbbb", NULL };
        const char *second[] = { "c2bbbb", "c5eeee", NULL };
        struct sl_target *gone;

        set_containers(first, NULL);
        sl_discovery_start(d);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_added, 2);
        gone = strcmp(label(added[0], "container"), "aaaa") == 0 ? added[0] : added[1];
        set_containers(second, NULL);
        want_added = 3;
        want_removed = 1;
        ck_assert(run_until(loop, counts_reached, NULL, 10000));
        ck_assert_ptr_eq(removed[0], gone);
        /* Still there for its file, until the tailer releases it. */
        ck_assert_str_eq(label(gone, "container"), "aaaa");
        files_released();
        ck_assert_str_eq(label(added[2], "container"), "eeee");
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_active, 2);
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_removed, 1);
}
END_TEST

START_TEST(failures_keep_the_targets_and_are_reported_once)
{
        const char *ids[] = { "c1aaaa", NULL };
        uint64_t errors = 3, ok;

        set_containers(ids, NULL);
        sl_discovery_start(d);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert_uint_eq(n_added, 1);
        set_containers(ids, "\"fail\":{\"/containers/json\":500}");
        ck_assert(run_until(loop, errors_seen, &errors, 10000));
        ck_assert_uint_eq(n_removed, 0);
        ck_assert_uint_eq(n_warned, 1);
        ck_assert_msg(strstr(warned[0], "status 500") != NULL, "%s", warned[0]);
        ok = sl_discovery_stats(d)->refreshes + 2;
        set_containers(ids, NULL);
        ck_assert(run_until(loop, refreshed_times, &ok, 10000));
        ck_assert_uint_eq(n_added, 1);
        ck_assert_uint_eq(n_removed, 0);
        ck_assert_uint_eq(n_warned, 1);
}
END_TEST

START_TEST(no_daemon_is_a_failed_refresh)
{
        uint64_t errors = 1;

        fake_api_stop(&fake);
        sl_discovery_start(d);
        ck_assert(run_until(loop, synced, NULL, 10000));
        ck_assert(run_until(loop, errors_seen, &errors, 10000));
        ck_assert_uint_eq(n_added, 0);
        ck_assert_uint_eq(n_warned, 1);
}
END_TEST

static Suite *docker_sd_suite(void) {
        Suite *s = suite_create("docker-sd");
        TCase *tc = tcase_create("docker-sd");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, containers_are_discovered_and_followed_by_log_path);
        tcase_add_test(tc, stopped_containers_go_and_new_ones_come);
        tcase_add_test(tc, failures_keep_the_targets_and_are_reported_once);
        tcase_add_test(tc, no_daemon_is_a_failed_refresh);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(docker_sd_suite)
