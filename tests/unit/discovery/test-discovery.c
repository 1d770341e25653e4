/* test-discovery.c - targets: static ones relabeled, a static target's files
 * with their container's config.v2.json or their kubelet path, changes of
 * config.v2.json, per-stream labels, and provider groups coming and going. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/fs-util.h"
#include "base/xalloc.h"
#include "config/config.h"
#include "discovery/discovery-internal.h"
#include "discovery/discovery.h"
#include "sl-test.h"

static char *dir;

/* What the hooks were told. */
struct glob_call {
        char *pattern;
        struct sl_target *t;
};
static struct glob_call added[64];
static size_t n_added;
static struct sl_target *removed[64];
static size_t n_removed;
static int warnings;

static int add_glob(void *ud, const char *pattern, struct sl_target *t) {
        ck_assert_uint_lt(n_added, 64);
        added[n_added].pattern = sl_xstrdup(pattern);
        added[n_added++].t = t;
        return 0;
}

static void remove_glob(void *ud, struct sl_target *t) {
        ck_assert_uint_lt(n_removed, 64);
        removed[n_removed++] = t;
}

static void warn(void *ud, const char *msg, const char *detail) {
        warnings++;
}

static const struct sl_discovery_hooks hooks = {
        .add_glob = add_glob, .remove_glob = remove_glob, .warn = warn,
};
static void *const jobs[4] = { (void *)1, (void *)2, (void *)3, (void *)4 };

static void setup(void) {
        dir = sl_test_tmpdir();
        n_added = n_removed = 0;
        warnings = 0;
}

static void teardown(void) {
        for (size_t i = 0; i < n_added; i++)
                free(added[i].pattern);
        sl_test_rmtree(dir);
        free(dir);
}

static struct sl_config *load(const char *fmt) {
        char *text = NULL, *path = sl_path_join(dir, "sluice.yaml");
        struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };

        /* Each %1$s is the test directory. */
        {
                struct sl_buf b;
                const char *p = fmt, *q;

                sl_buf_init(&b, 1u << 16);
                while ((q = strstr(p, "%1$s"))) {
                        sl_buf_append(&b, p, (size_t)(q - p));
                        sl_buf_append(&b, dir, strlen(dir));
                        p = q + 4;
                }
                sl_buf_append(&b, p, strlen(p));
                text = sl_xstrdup(b.data);
                sl_buf_release(&b);
        }
        sl_test_write_file(path, text, strlen(text));
        ck_assert_msg(sl_config_load(path, dir, &c, &err) == 0, "%s: %s", err.key, err.msg);
        free(text);
        free(path);
        return c;
}

static void mkdir_in(const char *name) {
        _cleanup_free_ char *p = sl_path_join(dir, name);
        ck_assert_int_eq(mkdir(p, 0755), 0);
}

static const char *label(const struct sl_target *t, enum sl_target_stream s, const char *name) {
        return sl_label_set_get(&t->labels[s], sl_str_c(name));
}

/* Writes a container directory as Docker keeps it. */
static char *container(const char *id, const char *name, const char *service) {
        char *cdir = NULL, *p, json[1024];

        ck_assert_int_ge(asprintf(&cdir, "%s/containers/%s", dir, id), 0);
        mkdir(cdir, 0755);
        snprintf(json, sizeof(json),
                 "{\"ID\":\"%s\",\"Name\":\"/%s\",\"Config\":{\"Image\":\"img:%s\","
                 "\"Labels\":{\"com.docker.compose.service\":\"%s\"}},"
                 "\"NetworkSettings\":{\"Networks\":{\"none\":{\"NetworkID\":\"n0\","
                 "\"IPAddress\":\"\"}}}}", id, name, name, service);
        p = sl_path_join(cdir, "config.v2.json");
        sl_test_write_file(p, json, strlen(json));
        free(p);
        ck_assert_int_ge(asprintf(&p, "%s/%s-json.log", cdir, id), 0);
        sl_test_write_file(p, "", 0);
        free(cdir);
        return p;
}

#define CLIENT "clients: [{url: http://loki:3100/loki/api/v1/push}]\n"

START_TEST(static_target_relabeled_once)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: app\n"
                "    static_configs:\n"
                "      - targets: [a, b, a]\n"
                "        labels: {__path__: '%1$s/*.log', env: prod, __tmp: x}\n"
                "    relabel_configs:\n"
                "      - source_labels: [__tmp, __address__]\n"
                "        separator: '-'\n"
                "        target_label: tmp\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };

        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        ck_assert(sl_discovery_synced(d));
        sl_discovery_start(d);
        /* targets a and b; the second a is the same target. */
        ck_assert_uint_eq(n_added, 2);
        for (size_t i = 0; i < 2; i++) {
                struct sl_target *t = added[i].t;
                ck_assert_str_eq(added[i].pattern, t->glob);
                ck_assert_ptr_eq(t->job, jobs[0]);
                ck_assert(!t->by_stream);
                ck_assert_str_eq(label(t, 0, "env"), "prod");
                ck_assert_str_eq(label(t, 0, "job"), "app");
                ck_assert_ptr_null(label(t, 0, "__path__"));
                ck_assert_ptr_null(label(t, 0, "__tmp"));
                ck_assert(strcmp(label(t, 0, "tmp"), "x-a") == 0 ||
                          strcmp(label(t, 0, "tmp"), "x-b") == 0);
                ck_assert_uint_eq(t->kvs[0].len, 3);
                ck_assert_ptr_eq(sl_target_labels(t, SL_STR_LIT("a line")), &t->kvs[0]);
        }
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_active, 2);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(dropped_pathless_and_foreign_host_targets)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: drop\n"
                "    static_configs: [{labels: {__path__: '%1$s/a.log', x: y}}]\n"
                "    relabel_configs: [{source_labels: [x], regex: y, action: drop}]\n"
                "  - job_name: nopath\n"
                "    static_configs: [{labels: {x: y}}]\n"
                "    relabel_configs: [{source_labels: [x], target_label: z}]\n"
                "  - job_name: host\n"
                "    static_configs: [{labels: {__path__: '%1$s/b.log', __host__: elsewhere.example}}]\n"
                "  - job_name: empty\n"
                "    static_configs: [{labels: {__path__: '%1$s/c.log', job: j}}]\n"
                "    relabel_configs: [{regex: job, action: labeldrop}]\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };

        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        /* The dropped ones keep the glob written (files with labels of
         * their own could still be kept), but no file without is read. */
        for (size_t i = 0; i < n_added; i++) {
                struct sl_target *t = added[i].t;
                _cleanup_free_ char *f = sl_path_join(dir, "a.log");
                ck_assert(t->dropped[0] && t->dropped[1]);
                ck_assert_ptr_null(sl_discovery_file_target(d, f, t));
        }
        ck_assert_uint_eq(n_added, 3);
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_dropped, 1);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(files_get_their_containers_labels)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: docker\n"
                "    static_configs:\n"
                "      - labels:\n"
                "          __path__: '%1$s/containers/*/*-json.log'\n"
                "          __path_exclude__: '%1$s/containers/*/skip*'\n"
                "    relabel_configs:\n"
                "      - source_labels: [__meta_docker_container_name]\n"
                "        regex: /(.*)\n"
                "        target_label: container\n"
                "      - source_labels: [__meta_docker_container_label_com_docker_compose_service]\n"
                "        target_label: compose_service\n"
                "      - source_labels: [__meta_docker_container_name]\n"
                "        regex: /sluice\n"
                "        action: drop\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };
        _cleanup_free_ char *api = NULL, *worker = NULL, *me = NULL, *bare = NULL,
                            *rotated = NULL, *skip = NULL, *cfg = NULL;
        struct sl_target *st, *t_api, *t_worker;

        mkdir_in("containers");
        api = container("aaa", "w40k-api", "api");
        worker = container("bbb", "w40k-worker", "worker");
        me = container("ccc", "sluice", "sluice");
        ck_assert_int_ge(asprintf(&bare, "%s/containers/ddd/ddd-json.log", dir), 0);
        ck_assert_int_ge(asprintf(&skip, "%s/containers/aaa/skip-json.log", dir), 0);
        ck_assert_int_ge(asprintf(&rotated, "%s.1", api), 0);

        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        ck_assert_uint_eq(n_added, 1);
        st = added[0].t;
        /* Without config.v2.json: the static labels. */
        ck_assert_ptr_null(sl_label_set_get(&st->labels[0], SL_STR_LIT("container")));

        t_api = sl_discovery_file_target(d, api, st);
        ck_assert_ptr_nonnull(t_api);
        ck_assert_ptr_ne(t_api, st);
        ck_assert_str_eq(label(t_api, SL_STREAM_STDOUT, "container"), "w40k-api");
        ck_assert_str_eq(label(t_api, SL_STREAM_STDERR, "compose_service"), "api");
        ck_assert_str_eq(label(t_api, 0, "job"), "docker");
        ck_assert(!t_api->by_stream);
        ck_assert_ptr_eq(t_api->job, jobs[0]);
        /* Files of one directory share their target. */
        ck_assert_ptr_eq(sl_discovery_file_target(d, rotated, st), t_api);
        t_worker = sl_discovery_file_target(d, worker, st);
        ck_assert_str_eq(label(t_worker, 0, "container"), "w40k-worker");
        /* sluice's own container is dropped; excluded files too. */
        ck_assert_ptr_null(sl_discovery_file_target(d, me, st));
        ck_assert_ptr_null(sl_discovery_file_target(d, skip, st));
        ck_assert_ptr_eq(sl_discovery_file_target(d, bare, st), st);
        ck_assert_uint_eq(sl_discovery_stats(d)->file_targets, 2);

        /* Renamed: config.v2.json rewritten; the next tick relabels. */
        cfg = sl_path_join(dir, "containers/aaa/config.v2.json");
        {
                static const char renamed[] =
                        "{\"ID\":\"aaa\",\"Name\":\"/w40k-api-blue\",\"Config\":{\"Labels\":"
                        "{\"com.docker.compose.service\":\"api\"}}}";
                _cleanup_free_ char *tmp = sl_path_join(dir, "containers/aaa/tmp");
                sl_test_write_file(tmp, renamed, strlen(renamed));
                ck_assert_int_eq(rename(tmp, cfg), 0);
        }
        sl_discovery_tick(d);
        ck_assert_str_eq(label(t_api, 0, "container"), "w40k-api-blue");
        /* Unreadable now: the labels it had stay. */
        sl_test_write_file(cfg, "{not json", 9);
        sl_discovery_tick(d);
        ck_assert_uint_ge(sl_discovery_stats(d)->meta_read_errors, 1);

        /* Released: a directory's target goes with its last file. */
        sl_discovery_file_released(t_api);
        sl_discovery_file_released(t_api);
        sl_discovery_file_released(t_worker);
        sl_discovery_file_released(st);
        ck_assert_uint_eq(sl_discovery_stats(d)->file_targets, 0);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(unreadable_config_v2_leaves_labels_out)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: docker\n"
                "    static_configs: [{labels: {__path__: '%1$s/containers/*/*-json.log'}}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_docker_container_name], regex: /(.*), "
                "target_label: container}\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };
        _cleanup_free_ char *log = NULL, *cfg = NULL;
        struct sl_target *t;

        mkdir_in("containers");
        log = container("eee", "x", "y");
        cfg = sl_path_join(dir, "containers/eee/config.v2.json");
        sl_test_write_file(cfg, "[1,", 3);
        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        t = sl_discovery_file_target(d, log, added[0].t);
        ck_assert_ptr_nonnull(t);
        ck_assert_ptr_null(label(t, 0, "container"));
        ck_assert_str_eq(label(t, 0, "job"), "docker");
        ck_assert_uint_eq(sl_discovery_stats(d)->meta_read_errors, 1);
        sl_discovery_file_released(t);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(kubelet_paths_without_the_api)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: pods\n"
                "    static_configs: [{labels: {__path__: '%1$s/pods/*/*/*.log'}}]\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };
        _cleanup_free_ char *log = NULL;
        struct sl_target *t;

        ck_assert_int_ge(asprintf(&log, "%s/pods/shop_api-1_u-1/api/0.log", dir), 0);
        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        t = sl_discovery_file_target(d, log, added[0].t);
        ck_assert_str_eq(label(t, 0, "namespace"), "shop");
        ck_assert_str_eq(label(t, 0, "pod"), "api-1");
        ck_assert_str_eq(label(t, 0, "pod_uid"), "u-1");
        ck_assert_str_eq(label(t, 0, "container"), "api");
        ck_assert_str_eq(label(t, 0, "job"), "pods");
        sl_discovery_file_released(t);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(per_stream_labels_pick_by_line)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: docker\n"
                "    static_configs: [{labels: {__path__: '%1$s/containers/*/*-json.log'}}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_docker_container_log_stream], target_label: "
                "logstream}\n"
                "      - {source_labels: [__meta_docker_container_log_stream, "
                "__meta_docker_container_name], regex: 'stdout;/quiet', action: drop}\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };
        _cleanup_free_ char *loud = NULL, *quiet = NULL;
        struct sl_target *t, *q;
        const struct sl_kvs *kv;
        static const char out[] = "{\"log\":\"hi \\\"stream\\\":\\\"stderr\\\"\\n\","
                                  "\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}";
        static const char err_line[] = "{\"log\":\"oops\\n\",\"stream\":\"stderr\","
                                       "\"time\":\"2026-01-01T00:00:00Z\"}";

        mkdir_in("containers");
        loud = container("f1", "loud", "l");
        quiet = container("f2", "quiet", "q");
        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        t = sl_discovery_file_target(d, loud, added[0].t);
        ck_assert(t->by_stream);
        kv = sl_target_labels(t, sl_str_c(out));
        ck_assert(sl_str_eq_c(*sl_kvs_get(kv, SL_STR_LIT("logstream")), "stdout"));
        kv = sl_target_labels(t, sl_str_c(err_line));
        ck_assert(sl_str_eq_c(*sl_kvs_get(kv, SL_STR_LIT("logstream")), "stderr"));
        /* Only stderr is kept for "quiet": its stdout lines are dropped. */
        q = sl_discovery_file_target(d, quiet, added[0].t);
        ck_assert_ptr_nonnull(q);
        ck_assert_ptr_null(sl_target_labels(q, sl_str_c(out)));
        ck_assert_ptr_nonnull(sl_target_labels(q, sl_str_c(err_line)));
        sl_discovery_file_released(t);
        sl_discovery_file_released(q);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

START_TEST(groups_add_keep_update_and_remove)
{
        struct sl_config *c = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: sd\n"
                "    static_configs: [{labels: {__path__: '%1$s/none.log'}}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_x], target_label: x}\n"
                "      - {source_labels: [__meta_x], regex: gone, action: drop}\n");
        struct sl_discovery *d = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_discovered in[3];
        struct sl_target *t1, *t2;

        ck_assert_int_eq(sl_discovery_new(c, NULL, &hooks, jobs, &d, &err), 0);
        sl_discovery_start(d);
        free(added[0].pattern); /* the static target's */
        n_added = 0;
        for (int i = 0; i < 3; i++)
                sl_label_set_init(&in[i].labels);
        in[0] = (struct sl_discovered){ .id = "c1", .path = "/logs/c1[1]/c1-json.log",
                                        .streams = true, .labels = in[0].labels };
        sl_label_set_set_c(&in[0].labels, "__meta_x", "one");
        in[1] = (struct sl_discovered){ .id = "c2", .labels = in[1].labels };
        sl_label_set_set_c(&in[1].labels, "__meta_x", "two");
        sl_label_set_set_c(&in[1].labels, "__path__", "/logs/c2/*.log");
        in[2] = (struct sl_discovered){ .id = "c1", .labels = in[2].labels }; /* a duplicate */
        sl_label_set_set_c(&in[2].labels, "__meta_x", "dup");

        sl_discovery_group_set(d, 0, SL_TARGET_DOCKER, "docker/0", in, 3);
        ck_assert_uint_eq(n_added, 2);
        t1 = added[0].t;
        t2 = added[1].t;
        /* A LogPath is followed as it is named: glob characters escaped. */
        ck_assert_str_eq(added[0].pattern, "/logs/c1\\[1\\]/c1-json.log");
        ck_assert_str_eq(added[1].pattern, "/logs/c2/*.log");
        ck_assert_str_eq(label(t1, 0, "x"), "one");
        ck_assert(!t1->by_stream);

        /* The same again: nothing changes. A changed label: in place. */
        sl_label_set_set_c(&in[1].labels, "__meta_x", "deux");
        sl_discovery_group_set(d, 0, SL_TARGET_DOCKER, "docker/0", in, 2);
        ck_assert_uint_eq(n_added, 2);
        ck_assert_uint_eq(n_removed, 0);
        ck_assert_str_eq(label(t2, 0, "x"), "deux");

        /* c2 read by the tailer, then gone from the report: taken back,
         * and freed only when its file is released. */
        ck_assert_ptr_eq(sl_discovery_file_target(d, "/logs/c2/a.log", t2), t2);
        sl_discovery_group_set(d, 0, SL_TARGET_DOCKER, "docker/0", in, 1);
        ck_assert_uint_eq(n_removed, 1);
        ck_assert_ptr_eq(removed[0], t2);
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_active, 2); /* static + c1 */
        sl_discovery_file_released(t2);

        /* Relabeling drops c1 now: taken back. */
        sl_label_set_set_c(&in[0].labels, "__meta_x", "gone");
        sl_discovery_group_set(d, 0, SL_TARGET_DOCKER, "docker/0", in, 1);
        ck_assert_uint_eq(n_removed, 2);
        ck_assert_ptr_eq(removed[1], t1);
        ck_assert_uint_eq(sl_discovery_stats(d)->targets_removed, 2);
        for (int i = 0; i < 3; i++)
                sl_label_set_release(&in[i].labels);
        sl_discovery_free(d);
        sl_config_free(c);
}
END_TEST

/* A new discovery (a reloaded config) as one shared piece: what it takes
 * over, what it lists for the tailer, and what a followed file carries
 * afterwards. */
START_TEST(reload_adopts_targets_of_jobs_that_stay)
{
        struct sl_config *c1 = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: files\n"
                "    static_configs: [{labels: {__path__: '%1$s/containers/*/*-json.log'}}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_docker_container_name], target_label: name}\n"
                "  - job_name: docker\n"
                "    docker_sd_configs: [{host: 'unix://%1$s/none.sock'}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_x], target_label: x}\n"
                "  - job_name: gone\n"
                "    docker_sd_configs: [{host: 'unix://%1$s/none.sock'}]\n");
        struct sl_config *c2 = load(CLIENT
                "scrape_configs:\n"
                "  - job_name: docker\n"
                "    docker_sd_configs: [{host: 'unix://%1$s/none.sock'}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_x], regex: dropme, action: drop}\n"
                "      - {source_labels: [__meta_x], target_label: y}\n"
                "  - job_name: files\n"
                "    static_configs: [{labels: {__path__: '%1$s/containers/*/*-json.log'}}]\n"
                "    relabel_configs:\n"
                "      - {source_labels: [__meta_docker_container_name], target_label: again}\n");
        struct sl_discovery *d1 = NULL, *d2 = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_discovered in[2];
        struct sl_target *t1, *t2, *t3, *st1 = NULL, *st2 = NULL, *f1, *f2;
        _cleanup_free_ char *api = NULL;
        const char **pats = NULL;
        void **targets = NULL;
        size_t n;

        mkdir_in("containers");
        api = container("aaa", "w40k-api", "api");
        ck_assert_int_eq(sl_discovery_new(c1, NULL, &hooks, jobs, &d1, &err), 0);
        /* The static target as sl_discovery_start() would register it,
         * without starting the providers (there is no daemon). */
        n = sl_discovery_globs(d1, &pats, &targets);
        ck_assert_uint_eq(n, 1);
        st1 = targets[0];
        free(pats);
        free(targets);
        f1 = sl_discovery_file_target(d1, api, st1);
        ck_assert_uint_eq(f1->kind, SL_TARGET_FILE);
        ck_assert_str_eq(label(f1, 0, "name"), "/w40k-api");

        for (int i = 0; i < 2; i++)
                sl_label_set_init(&in[i].labels);
        in[0] = (struct sl_discovered){ .id = "c1", .path = "/logs/c1/c1-json.log",
                                        .streams = true, .labels = in[0].labels };
        sl_label_set_set_c(&in[0].labels, "__meta_x", "one");
        sl_label_set_set_c(&in[0].labels, "app", "a"); /* a label without rules */
        in[1] = (struct sl_discovered){ .id = "c2", .path = "/logs/c2/c2-json.log",
                                        .streams = true, .labels = in[1].labels };
        sl_label_set_set_c(&in[1].labels, "__meta_x", "dropme");
        sl_discovery_group_set(d1, 1, SL_TARGET_DOCKER, "docker/0", in, 2);
        sl_discovery_group_set(d1, 2, SL_TARGET_DOCKER, "docker/0", in, 1);
        ck_assert_uint_eq(n_added, 3);
        t1 = added[0].t;
        t2 = added[1].t;
        t3 = added[2].t;
        ck_assert_str_eq(label(t1, 0, "x"), "one");
        /* Their files, as the tailer follows them. */
        ck_assert_ptr_eq(sl_discovery_file_target(d1, "/logs/c1/c1-json.log", t1), t1);
        ck_assert_ptr_eq(sl_discovery_file_target(d1, "/logs/c2/c2-json.log", t2), t2);
        ck_assert_ptr_eq(sl_discovery_file_target(d1, "/logs/c1/c1-json.log", t3), t3);

        /* The reload. */
        ck_assert_int_eq(sl_discovery_new(c2, NULL, &hooks, jobs, &d2, &err), 0);
        sl_discovery_adopt(d2, d1);
        /* c1 of the job that stays, relabeled with the new rules, its job
         * the new config's; c2 now dropped, and the "gone" job's c1, stay
         * behind. */
        ck_assert_ptr_eq(t1->owner, d2);
        ck_assert_ptr_eq(t1->job, jobs[0]);
        ck_assert_uint_eq(t1->job_index, 0);
        ck_assert_str_eq(label(t1, 0, "y"), "one");
        ck_assert_ptr_null(label(t1, 0, "x"));
        ck_assert_ptr_eq(t2->owner, d1);
        ck_assert_ptr_eq(t3->owner, d1);
        ck_assert_uint_eq(sl_discovery_stats(d2)->targets_added, 4); /* carried over */

        n = sl_discovery_globs(d2, &pats, &targets);
        ck_assert_uint_eq(n, 2);
        for (size_t i = 0; i < n; i++) {
                if (targets[i] == t1) {
                        ck_assert_str_eq(pats[i], "/logs/c1/c1-json.log");
                } else {
                        st2 = targets[i];
                        ck_assert_uint_eq(st2->kind, SL_TARGET_STATIC);
                        ck_assert_ptr_eq(st2->owner, d2);
                }
        }
        ck_assert_ptr_nonnull(st2);
        free(pats);
        free(targets);
        ck_assert_uint_eq(sl_discovery_stats(d2)->targets_active, 2);

        /* What the tailer then asks for each followed file. */
        ck_assert_ptr_eq(sl_discovery_file_retarget(d2, "/logs/c1/c1-json.log", t1, t1), t1);
        ck_assert_uint_eq(t1->refs, 2); /* its glob and its file, as before */
        ck_assert_ptr_null(sl_discovery_file_retarget(d2, "/logs/c2/c2-json.log", t2, NULL));
        sl_discovery_file_released(t2); /* the tailer releases it */
        ck_assert_ptr_null(sl_discovery_file_retarget(d2, "/logs/c1/c1-json.log", t3, NULL));
        sl_discovery_file_released(t3);
        f2 = sl_discovery_file_retarget(d2, api, f1, st2);
        ck_assert_ptr_nonnull(f2);
        ck_assert_ptr_eq(f2->owner, d2);
        ck_assert_str_eq(label(f2, 0, "again"), "/w40k-api");
        /* The old discovery goes, with what no file carries any more. */
        sl_discovery_free(d1);

        /* The new provider reports c1 again: the same target, relabeled in
         * place, no new glob; then without it: taken back. */
        sl_label_set_set_c(&in[0].labels, "__meta_x", "uno");
        sl_discovery_group_set(d2, 0, SL_TARGET_DOCKER, "docker/0", in, 1);
        ck_assert_uint_eq(n_added, 3);
        ck_assert_str_eq(label(t1, 0, "y"), "uno");
        sl_discovery_group_set(d2, 0, SL_TARGET_DOCKER, "docker/0", in, 0);
        ck_assert_uint_eq(n_removed, 1);
        ck_assert_ptr_eq(removed[0], t1);
        sl_discovery_file_released(t1);
        sl_discovery_file_released(f2);
        for (int i = 0; i < 2; i++)
                sl_label_set_release(&in[i].labels);
        sl_discovery_free(d2);
        sl_config_free(c1);
        sl_config_free(c2);
}
END_TEST

static Suite *discovery_suite(void) {
        Suite *s = suite_create("discovery");
        TCase *tc = tcase_create("discovery");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, static_target_relabeled_once);
        tcase_add_test(tc, dropped_pathless_and_foreign_host_targets);
        tcase_add_test(tc, files_get_their_containers_labels);
        tcase_add_test(tc, unreadable_config_v2_leaves_labels_out);
        tcase_add_test(tc, kubelet_paths_without_the_api);
        tcase_add_test(tc, per_stream_labels_pick_by_line);
        tcase_add_test(tc, groups_add_keep_update_and_remove);
        tcase_add_test(tc, reload_adopts_targets_of_jobs_that_stay);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(discovery_suite)
