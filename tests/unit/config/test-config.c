/* test-config.c - sl_config_load(): every field of a full config, the
 * defaults, `pipeline: NAME` files, and one case per kind of error, each
 * checked for file:line and the key path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/xalloc.h"
#include "config/config.h"
#include "sl-test.h"

#define SEC 1000000000ULL
#define MSEC 1000000ULL

static char *tmp;         /* per-test directory */
static char *config_path; /* tmp/sluice.yaml */
static char *pipes;       /* tmp/pipes, a pipelines dir */

static void setup(void) {
        tmp = sl_test_tmpdir();
        config_path = sl_xasprintf("%s/sluice.yaml", tmp);
        pipes = sl_xasprintf("%s/pipes", tmp);
        ck_assert_int_eq(mkdir(pipes, 0755), 0);
}

static void teardown(void) {
        sl_test_rmtree(tmp);
        free(tmp);
        free(config_path);
        free(pipes);
}

static void write_text(const char *path, const char *text) {
        sl_test_write_file(path, text, strlen(text));
}

static void write_pipeline(const char *name, const char *text) {
        _cleanup_free_ char *path = sl_xasprintf("%s/%s.yaml", pipes, name);
        write_text(path, text);
}

static struct sl_config *load_ok(const char *text) {
        struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        char msg[1024];
        int r;

        write_text(config_path, text);
        r = sl_config_load(config_path, pipes, &c, &err);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(r == 0, "load failed (%d): %s", r, msg);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* Loads @text expecting -EINVAL; returns the formatted error (static). */
static const char *load_fail(const char *text, struct sl_cfg_error *err) {
        static char msg[1024];
        struct sl_config *c = NULL;
        int r;

        memset(err, 0, sizeof(*err));
        write_text(config_path, text);
        r = sl_config_load(config_path, pipes, &c, err);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_null(c);
        sl_cfg_error_format(err, msg, sizeof(msg));
        return msg;
}

static const char *minimal =
        "clients:\n"
        "  - url: http://loki:3100/loki/api/v1/push\n"
        "scrape_configs:\n"
        "  - job_name: api\n"
        "    static_configs:\n"
        "      - labels:\n"
        "          __path__: /var/log/*.log\n";

START_TEST(test_full_config) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        const struct sl_scrape_config *sc;
        const struct sl_client_config *cl;

        c = load_ok("server:\n"
                    "  http_listen_address: 127.0.0.1\n"
                    "  http_listen_port: 0\n"
                    "  disable: true\n"
                    "  log_level: debug\n"
                    "  graceful_shutdown_timeout: 5s\n"
                    "positions:\n"
                    "  filename: /tmp/pos.yaml\n"
                    "  sync_period: 2s\n"
                    "  ignore_invalid_yaml: true\n"
                    "clients:\n"
                    "  - url: https://logs.example.com/loki/api/v1/push\n"
                    "    tenant_id: team-a\n"
                    "    batchwait: 250ms\n"
                    "    batchsize: 512KiB\n"
                    "    timeout: 3s\n"
                    "    backoff_config:\n"
                    "      min_period: 100ms\n"
                    "      max_period: 1m\n"
                    "      max_retries: 7\n"
                    "    external_labels:\n"
                    "      cluster: prod\n"
                    "      region: eu_1\n"
                    "  - url: http://second:3100/loki/api/v1/push\n"
                    "scrape_configs:\n"
                    "  - job_name: api\n"
                    "    static_configs:\n"
                    "      - targets: [localhost]\n"
                    "        labels:\n"
                    "          __path__: /var/log/a/*.log\n"
                    "          env: prod\n"
                    "          service: w40k\n"
                    "      - labels: {__path__: /var/log/b/*.log}\n"
                    "    pipeline_stages:\n"
                    "      - docker: {}\n"
                    "      - json:\n"
                    "          expressions: {level: level}\n"
                    "target_config:\n"
                    "  sync_period: 1s\n"
                    "  poll: true\n"
                    "  poll_period: 100ms\n"
                    "limits_config:\n"
                    "  max_line_size: 1MB\n"
                    "  max_line_size_truncate: true\n"
                    "  max_buffered_bytes: 8MiB\n");

        ck_assert_str_eq(c->file, config_path);
        ck_assert_str_eq(c->server.listen_address, "127.0.0.1");
        ck_assert_uint_eq(c->server.listen_port, 0);
        ck_assert(c->server.disable);
        ck_assert_str_eq(c->server.log_level, "debug");
        ck_assert_uint_eq(c->server.graceful_shutdown_timeout_ns, 5 * SEC);
        ck_assert_str_eq(c->positions.filename, "/tmp/pos.yaml");
        ck_assert_uint_eq(c->positions.sync_period_ns, 2 * SEC);
        ck_assert(c->positions.ignore_invalid);
        ck_assert_uint_eq(c->target.sync_period_ns, 1 * SEC);
        ck_assert(c->target.poll);
        ck_assert_uint_eq(c->target.poll_period_ns, 100 * MSEC);
        ck_assert_uint_eq(c->limits.max_line_size, 1000000);
        ck_assert(c->limits.max_line_size_truncate);
        ck_assert_uint_eq(c->limits.max_buffered_bytes, 8 << 20);
        ck_assert_str_eq(c->pipelines_dir, pipes);

        ck_assert_uint_eq(c->n_clients, 2);
        cl = &c->clients[0];
        ck_assert_str_eq(cl->url, "https://logs.example.com/loki/api/v1/push");
        ck_assert_str_eq(cl->tenant_id, "team-a");
        ck_assert_uint_eq(cl->batchwait_ns, 250 * MSEC);
        ck_assert_uint_eq(cl->batchsize, 512 * 1024);
        ck_assert_uint_eq(cl->timeout_ns, 3 * SEC);
        ck_assert_uint_eq(cl->backoff_min_ns, 100 * MSEC);
        ck_assert_uint_eq(cl->backoff_max_ns, 60 * SEC);
        ck_assert_uint_eq(cl->max_retries, 7);
        ck_assert_uint_eq(cl->n_external_labels, 2);
        ck_assert_str_eq(cl->external_labels[0].name, "cluster");
        ck_assert_str_eq(cl->external_labels[0].value, "prod");
        ck_assert_str_eq(cl->external_labels[1].name, "region");
        ck_assert_str_eq(cl->external_labels[1].value, "eu_1");
        cl = &c->clients[1];
        ck_assert_str_eq(cl->url, "http://second:3100/loki/api/v1/push");
        ck_assert_ptr_null(cl->tenant_id);
        ck_assert_uint_eq(cl->batchwait_ns, 1 * SEC);
        ck_assert_uint_eq(cl->batchsize, 1048576);
        ck_assert_uint_eq(cl->n_external_labels, 0);

        ck_assert_uint_eq(c->n_scrape_configs, 1);
        sc = &c->scrape_configs[0];
        ck_assert_str_eq(sc->job_name, "api");
        ck_assert_uint_eq(sc->n_static_configs, 2);
        ck_assert_str_eq(sc->static_configs[0].path_glob, "/var/log/a/*.log");
        ck_assert_uint_eq(sc->static_configs[0].n_labels, 2);
        ck_assert_str_eq(sc->static_configs[0].labels[0].name, "env");
        ck_assert_str_eq(sc->static_configs[0].labels[0].value, "prod");
        ck_assert_str_eq(sc->static_configs[0].labels[1].name, "service");
        ck_assert_str_eq(sc->static_configs[0].labels[1].value, "w40k");
        ck_assert_str_eq(sc->static_configs[1].path_glob, "/var/log/b/*.log");
        ck_assert_uint_eq(sc->static_configs[1].n_labels, 0);
        ck_assert_ptr_nonnull(sc->pipeline_stages);
        ck_assert_int_eq(sc->pipeline_stages->kind, SL_YAML_SEQ);
        ck_assert_uint_eq(sc->pipeline_stages->count, 2);
        ck_assert_str_eq(sc->pipeline_stages->values[0]->keys[0]->text, "docker");
        ck_assert_uint_eq(sc->pipeline_stages->values[1]->line, 36);
        ck_assert_str_eq(sc->pipeline_file, config_path);
        ck_assert_ptr_null(sc->pipeline_name);
        ck_assert_uint_eq(c->n_docs, 1);
}
END_TEST

START_TEST(test_defaults) {
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(minimal);
        const struct sl_client_config *cl = &c->clients[0];
        const struct sl_scrape_config *sc = &c->scrape_configs[0];

        ck_assert_str_eq(c->server.listen_address, "0.0.0.0");
        ck_assert_uint_eq(c->server.listen_port, 9080);
        ck_assert(!c->server.disable);
        ck_assert_str_eq(c->server.log_level, "info");
        ck_assert_uint_eq(c->server.graceful_shutdown_timeout_ns, 30 * SEC);
        ck_assert_str_eq(c->positions.filename, "/var/lib/sluice/positions.yaml");
        ck_assert_uint_eq(c->positions.sync_period_ns, 10 * SEC);
        ck_assert(!c->positions.ignore_invalid);
        ck_assert_uint_eq(c->target.sync_period_ns, 5 * SEC);
        ck_assert(!c->target.poll);
        ck_assert_uint_eq(c->target.poll_period_ns, 250 * MSEC);
        ck_assert_uint_eq(c->limits.max_line_size, 256000);
        ck_assert(!c->limits.max_line_size_truncate);
        ck_assert_uint_eq(c->limits.max_buffered_bytes, 16ULL << 20);

        ck_assert_uint_eq(c->n_clients, 1);
        ck_assert_str_eq(cl->url, "http://loki:3100/loki/api/v1/push");
        ck_assert_ptr_null(cl->tenant_id);
        ck_assert_uint_eq(cl->batchwait_ns, 1 * SEC);
        ck_assert_uint_eq(cl->batchsize, 1048576);
        ck_assert_uint_eq(cl->timeout_ns, 10 * SEC);
        ck_assert_uint_eq(cl->backoff_min_ns, 500 * MSEC);
        ck_assert_uint_eq(cl->backoff_max_ns, 300 * SEC);
        ck_assert_uint_eq(cl->max_retries, 0);
        ck_assert_ptr_null(cl->external_labels);
        ck_assert_uint_eq(cl->n_external_labels, 0);

        ck_assert_str_eq(sc->job_name, "api");
        ck_assert_uint_eq(sc->n_static_configs, 1);
        ck_assert_str_eq(sc->static_configs[0].path_glob, "/var/log/*.log");
        ck_assert_uint_eq(sc->static_configs[0].n_labels, 0);
        ck_assert_ptr_null(sc->pipeline_stages);
        ck_assert_ptr_null(sc->pipeline_file);
        ck_assert_ptr_null(sc->pipeline_name);
        ck_assert_uint_eq(c->n_docs, 1);
        ck_assert_ptr_nonnull(c->docs[0]);
}
END_TEST

START_TEST(test_empty_sections_keep_defaults) {
        _cleanup_free_ char *text = sl_xasprintf("server:\npositions:\ntarget_config:\n"
                                                 "limits_config: {}\n%s", minimal);
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(text);

        ck_assert_uint_eq(c->server.listen_port, 9080);
        ck_assert_uint_eq(c->positions.sync_period_ns, 10 * SEC);
        ck_assert_uint_eq(c->limits.max_line_size, 256000);
}
END_TEST

START_TEST(test_singular_client) {
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(
                "client:\n"
                "  url: http://loki:3100/loki/api/v1/push\n"
                "  tenant_id: \"\"\n"
                "  batchwait: 2s\n"
                "scrape_configs:\n"
                "  - job_name: api\n"
                "    static_configs: [{labels: {__path__: /x}}]\n");

        ck_assert_uint_eq(c->n_clients, 1);
        ck_assert_str_eq(c->clients[0].url, "http://loki:3100/loki/api/v1/push");
        ck_assert_ptr_null(c->clients[0].tenant_id);
        ck_assert_uint_eq(c->clients[0].batchwait_ns, 2 * SEC);
}
END_TEST

START_TEST(test_pipeline_by_name) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        _cleanup_free_ char *pino = sl_xasprintf("%s/pino.yaml", pipes);
        const struct sl_scrape_config *a, *b;

        write_pipeline("pino", "# pino JSON logs\n"
                               "description: pino JSON lines inside Docker's json-file\n"
                               "pipeline_stages:\n"
                               "  - docker: {}\n"
                               "  - json:\n"
                               "      expressions: {level: level, msg: msg}\n");
        c = load_ok("clients: [{url: 'http://loki:3100/loki/api/v1/push'}]\n"
                    "scrape_configs:\n"
                    "  - job_name: a\n"
                    "    static_configs: [{labels: {__path__: /a}}]\n"
                    "    pipeline: pino\n"
                    "  - job_name: b\n"
                    "    static_configs: [{labels: {__path__: /b}}]\n"
                    "    pipeline: pino\n");
        a = &c->scrape_configs[0];
        b = &c->scrape_configs[1];
        ck_assert_str_eq(a->pipeline_name, "pino");
        ck_assert_str_eq(a->pipeline_file, pino);
        ck_assert_ptr_nonnull(a->pipeline_stages);
        ck_assert_int_eq(a->pipeline_stages->kind, SL_YAML_SEQ);
        ck_assert_uint_eq(a->pipeline_stages->count, 2);
        ck_assert_str_eq(a->pipeline_stages->file, pino);
        ck_assert_uint_eq(a->pipeline_stages->values[0]->line, 4);
        /* Both jobs share the one loaded file. */
        ck_assert_ptr_eq(b->pipeline_stages, a->pipeline_stages);
        ck_assert_str_eq(b->pipeline_name, "pino");
        ck_assert_uint_eq(c->n_docs, 2);
        ck_assert_str_eq(c->docs[1]->file, pino);
}
END_TEST

START_TEST(test_pipelines_dir_next_to_config) {
        _cleanup_free_ char *dir = sl_xasprintf("%s/pipelines", tmp);
        _cleanup_free_ char *file = sl_xasprintf("%s/local.yaml", dir);
        _cleanup_free_ char *text = sl_xasprintf("%s    pipeline: local\n", minimal);
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };

        /* No pipelines/ next to the config: the system directory. */
        write_text(config_path, minimal);
        ck_assert_int_eq(sl_config_load(config_path, NULL, &c, &err), 0);
        ck_assert_str_eq(c->pipelines_dir, "/etc/sluice/pipelines");
        sl_config_free(c);
        c = NULL;

        ck_assert_int_eq(mkdir(dir, 0755), 0);
        write_text(file, "pipeline_stages: []\n");
        write_text(config_path, text);
        ck_assert_int_eq(sl_config_load(config_path, NULL, &c, &err), 0);
        ck_assert_str_eq(c->pipelines_dir, dir);
        ck_assert_str_eq(c->scrape_configs[0].pipeline_file, file);
        ck_assert_uint_eq(c->scrape_configs[0].pipeline_stages->count, 0);
}
END_TEST

struct error_case {
        const char *name;
        const char *text;
        unsigned line;      /* expected line; 0: not checked */
        const char *key;    /* expected err.key */
        const char *substr; /* expected in the message */
};

/* A valid client and job, to complete configs that test something else. */
#define CLIENT "clients:\n  - url: http://loki:3100/loki/api/v1/push\n"
#define JOB                                                                    \
        "scrape_configs:\n"                                                    \
        "  - job_name: api\n"                                                  \
        "    static_configs:\n"                                                \
        "      - labels:\n"                                                    \
        "          __path__: /var/log/*.log\n"

static const struct error_case error_cases[] = {
        { "typo after other sections",
          "server:\n  http_listen_port: 9080\n" JOB
          "clients:\n  - url: http://loki:3100/loki/api/v1/push\n    batchwiat: 5s\n",
          10, "clients[0].batchwiat", "did you mean \"batchwait\"" },
        { "typo line 7 exactly",
          "clients:\n"
          "  - url: http://loki:3100/loki/api/v1/push\n"
          "    batchwait: 1s\n"
          "    batchsize: 1MB\n"
          "    timeout: 10s\n"
          "    backoff_config:\n"
          "      max_retires: 3\n" JOB,
          7, "clients[0].backoff_config.max_retires", "expected one of: min_period" },
        { "unknown top-level key", CLIENT JOB "promtail: yes\n", 8, "promtail",
          "unknown key \"promtail\" in the top level" },
        { "unknown server key", "server:\n  grpc_listen_port: 0\n" CLIENT JOB, 2,
          "server.grpc_listen_port", "unknown key" },
        { "bad duration", CLIENT "    batchwait: fast\n" JOB, 3, "clients[0].batchwait",
          "expected a duration such as 500ms, 1s or 5m, got \"fast\"" },
        { "zero period", "positions:\n  sync_period: 0\n" CLIENT JOB, 2, "positions.sync_period",
          "above 0" },
        { "bad size", CLIENT "    batchsize: huge\n" JOB, 3, "clients[0].batchsize",
          "expected a size" },
        { "zero batchsize", CLIENT "    batchsize: 0\n" JOB, 3, "clients[0].batchsize",
          "above 0" },
        { "bad url", "clients:\n  - url: loki:3100/loki/api/v1/push\n" JOB, 2, "clients[0].url",
          "http:// or https://" },
        { "bare scheme", "clients:\n  - url: http://\n" JOB, 2, "clients[0].url",
          "http:// or https://" },
        { "missing url", "clients:\n  - tenant_id: a\n" JOB, 2, "clients[0].url",
          "url is required" },
        { "empty client", "clients:\n  -\n" JOB, 2, "clients[0]", "expected a map" },
        { "port range", "server:\n  http_listen_port: 70000\n" CLIENT JOB, 2,
          "server.http_listen_port", "from 0 to 65535" },
        { "log level", "server:\n  log_level: verbose\n" CLIENT JOB, 2, "server.log_level",
          "debug, info, warn, error" },
        { "bool", "server:\n  disable: maybe\n" CLIENT JOB, 2, "server.disable",
          "expected true or false" },
        { "section not a map", "server: [1]\n" CLIENT JOB, 1, "server", "expected a map" },
        { "backoff order",
          CLIENT "    backoff_config:\n      min_period: 10m\n      max_period: 1m\n" JOB, 4,
          "clients[0].backoff_config.min_period", "longer than max_period" },
        { "negative retries", CLIENT "    backoff_config: {max_retries: -1}\n" JOB, 3,
          "clients[0].backoff_config.max_retries", "integer from 0" },
        { "external label name", CLIENT "    external_labels:\n      bad-name: x\n" JOB, 4,
          "clients[0].external_labels.bad-name", "invalid label name" },
        { "external label value", CLIENT "    external_labels:\n      env:\n" JOB, 4,
          "clients[0].external_labels.env", "label value" },
        { "no clients", JOB, 1, "clients", "no clients" },
        { "empty clients", "clients: []\n" JOB, 1, "clients", "clients is empty" },
        { "clients not a list", "clients: {url: http://x}\n" JOB, 1, "clients",
          "expected a sequence" },
        { "client and clients", CLIENT "client:\n  url: http://x/\n" JOB, 3, "client",
          "not both" },
        { "no scrape_configs", CLIENT, 1, "scrape_configs", "no scrape_configs" },
        { "empty scrape_configs", CLIENT "scrape_configs: []\n", 3, "scrape_configs",
          "scrape_configs is empty" },
        { "missing job_name",
          CLIENT "scrape_configs:\n  - static_configs: [{labels: {__path__: /x}}]\n", 4,
          "scrape_configs[0].job_name", "job_name is required" },
        { "duplicate job_name",
          CLIENT JOB "  - job_name: api\n    static_configs: [{labels: {__path__: /y}}]\n", 8,
          "scrape_configs[1].job_name", "first at line 4, again at line 8" },
        { "missing static_configs", CLIENT "scrape_configs:\n  - job_name: api\n", 4,
          "scrape_configs[0].static_configs", "static_configs is required" },
        { "missing __path__",
          CLIENT "scrape_configs:\n  - job_name: api\n    static_configs:\n"
                 "      - labels: {env: prod}\n",
          6, "scrape_configs[0].static_configs[0].labels.__path__", "__path__ is required" },
        { "empty __path__",
          CLIENT "scrape_configs:\n  - job_name: api\n    static_configs:\n"
                 "      - labels:\n          __path__:\n",
          7, "scrape_configs[0].static_configs[0].labels.__path__", "file glob" },
        { "reserved label", CLIENT "    external_labels:\n      __tenant: x\n" JOB, 4,
          "clients[0].external_labels.__tenant", "reserved" },
        { "bad label name", CLIENT JOB "          1st: x\n", 8,
          "scrape_configs[0].static_configs[0].labels.1st", "invalid label name" },
        { "targets not a list",
          CLIENT JOB "        targets: localhost\n", 8,
          "scrape_configs[0].static_configs[0].targets", "expected a sequence" },
        { "static config typo", CLIENT JOB "        label: {}\n", 8,
          "scrape_configs[0].static_configs[0].label", "did you mean \"labels\"" },
        { "pipeline_stages not a list", CLIENT JOB "    pipeline_stages:\n      docker: {}\n", 9,
          "scrape_configs[0].pipeline_stages", "expected a sequence, got a map" },
        { "pipeline and pipeline_stages",
          CLIENT JOB "    pipeline_stages:\n      - docker: {}\n    pipeline: pino\n", 10,
          "scrape_configs[0].pipeline", "not both" },
        { "pipeline name with slash", CLIENT JOB "    pipeline: ../etc/passwd\n", 8,
          "scrape_configs[0].pipeline", "letters, digits" },
        { "pipeline name with .yaml", CLIENT JOB "    pipeline: pino.yaml\n", 8,
          "scrape_configs[0].pipeline", "without .yaml" },
        { "empty pipeline name", CLIENT JOB "    pipeline:\n", 8, "scrape_configs[0].pipeline",
          "pipeline name" },
        { "syntax error", CLIENT "  - url: [http://x\n" JOB, 0, "", "did not find expected" },
        { "empty file", "", 1, "", "the config file is empty" },
        { "comments only", "# nothing yet\n", 1, "", "the config file is empty" },
        { "root is a list", "- a\n- b\n", 1, "", "expected a map of sections" },
        { "duplicate key", CLIENT JOB "clients: []\n", 8, "clients", "duplicate key" },
};

START_TEST(test_errors) {
        const struct error_case *ec = &error_cases[_i];
        struct sl_cfg_error err;
        const char *msg = load_fail(ec->text, &err);
        char where[600];

        ck_assert_msg(strstr(msg, ec->substr), "%s: \"%s\" lacks \"%s\"", ec->name, msg,
                      ec->substr);
        ck_assert_msg(strcmp(err.key, ec->key) == 0, "%s: key \"%s\", wanted \"%s\" (%s)",
                      ec->name, err.key, ec->key, msg);
        ck_assert_str_eq(err.file, config_path);
        if (ec->line) {
                snprintf(where, sizeof(where), "%s:%u:", config_path, ec->line);
                ck_assert_msg(strncmp(msg, where, strlen(where)) == 0,
                              "%s: \"%s\" does not start with \"%s\"", ec->name, msg, where);
        }
        if (ec->key[0])
                ck_assert_msg(strstr(msg, ec->key), "%s: \"%s\" lacks the key", ec->name, msg);
}
END_TEST

START_TEST(test_missing_pipeline_file) {
        _cleanup_free_ char *tried = sl_xasprintf("%s/nope.yaml", pipes);
        _cleanup_free_ char *text = sl_xasprintf(CLIENT JOB "    pipeline: nope\n");
        _cleanup_free_ char *where = sl_xasprintf("%s:8:15: scrape_configs[0].pipeline: ",
                                                  config_path);
        struct sl_cfg_error err;
        const char *msg = load_fail(text, &err);

        ck_assert_msg(strncmp(msg, where, strlen(where)) == 0, "%s", msg);
        ck_assert_msg(strstr(msg, "pipeline \"nope\" not found"), "%s", msg);
        ck_assert_msg(strstr(msg, tried), "\"%s\" does not name %s", msg, tried);
}
END_TEST

struct pipeline_case {
        const char *name;
        const char *text;   /* content of pipes/p.yaml */
        unsigned line;      /* expected line in p.yaml */
        const char *key;
        const char *substr;
};

static const struct pipeline_case pipeline_cases[] = {
        { "not a map", "- docker: {}\n", 1, "", "expected a map" },
        { "empty", "", 1, "", "pipeline file is empty" },
        { "unknown key", "pipeline_stages: []\nstages: []\n", 2, "stages",
          "expected one of: description, pipeline_stages" },
        { "no stages", "description: x\n", 1, "pipeline_stages", "pipeline_stages is required" },
        { "stages not a list", "pipeline_stages: {docker: {}}\n", 1, "pipeline_stages",
          "expected a sequence" },
        { "description not a string", "description: [a]\npipeline_stages: []\n", 1,
          "description", "expected a string" },
        { "syntax", "pipeline_stages:\n  - docker: {\n", 3, "", "did not find expected" },
};

START_TEST(test_pipeline_file_errors) {
        const struct pipeline_case *pc = &pipeline_cases[_i];
        _cleanup_free_ char *file = sl_xasprintf("%s/p.yaml", pipes);
        _cleanup_free_ char *text = sl_xasprintf(CLIENT JOB "    pipeline: p\n");
        _cleanup_free_ char *where = sl_xasprintf("%s:%u:", file, pc->line);
        struct sl_cfg_error err;
        const char *msg;

        write_pipeline("p", pc->text);
        msg = load_fail(text, &err);
        ck_assert_str_eq(err.file, file);
        ck_assert_msg(strncmp(msg, where, strlen(where)) == 0, "%s: \"%s\" not at %s", pc->name,
                      msg, where);
        ck_assert_msg(strcmp(err.key, pc->key) == 0, "%s: key \"%s\" (%s)", pc->name, err.key,
                      msg);
        ck_assert_msg(strstr(msg, pc->substr), "%s: \"%s\" lacks \"%s\"", pc->name, msg,
                      pc->substr);
}
END_TEST

START_TEST(test_unreadable_config) {
        _cleanup_free_ char *missing = sl_xasprintf("%s/none.yaml", tmp);
        struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        char msg[1024];

        ck_assert_int_eq(sl_config_load(missing, pipes, &c, &err), -EINVAL);
        ck_assert_ptr_null(c);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_str_eq(err.file, missing);
        ck_assert_msg(strstr(msg, "cannot read the config file"), "%s", msg);
        ck_assert_msg(strstr(msg, strerror(ENOENT)), "%s", msg);
        sl_config_free(NULL);
}
END_TEST

START_TEST(test_shipped_example) {
        _cleanup_free_ char *path = sl_xasprintf("%s/conf/sluice.yaml", sl_test_source_root());
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        const struct sl_scrape_config *sc;
        char msg[1024];
        int r;

        write_pipeline("pino", "pipeline_stages:\n  - docker: {}\n");
        r = sl_config_load(path, pipes, &c, &err);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(r == 0, "conf/sluice.yaml: %s", msg);

        /* It is the sidecar case, and it spells out the defaults. */
        ck_assert_uint_eq(c->n_clients, 1);
        ck_assert_str_eq(c->clients[0].url, "http://loki:3100/loki/api/v1/push");
        ck_assert_ptr_null(c->clients[0].tenant_id);
        ck_assert_uint_eq(c->n_scrape_configs, 1);
        sc = &c->scrape_configs[0];
        ck_assert_str_eq(sc->job_name, "w40k-api");
        ck_assert_str_eq(sc->static_configs[0].path_glob,
                         "/var/lib/docker/containers/*/*-json.log");
        ck_assert_str_eq(sc->pipeline_name, "pino");
        ck_assert_uint_eq(sc->pipeline_stages->count, 1);
        ck_assert_str_eq(c->server.listen_address, "0.0.0.0");
        ck_assert_uint_eq(c->server.listen_port, 9080);
        ck_assert_str_eq(c->server.log_level, "info");
        ck_assert_uint_eq(c->server.graceful_shutdown_timeout_ns, 30 * SEC);
        ck_assert_str_eq(c->positions.filename, "/var/lib/sluice/positions.yaml");
        ck_assert_uint_eq(c->positions.sync_period_ns, 10 * SEC);
        ck_assert_uint_eq(c->clients[0].batchwait_ns, 1 * SEC);
        ck_assert_uint_eq(c->clients[0].batchsize, 1048576);
        ck_assert_uint_eq(c->clients[0].timeout_ns, 10 * SEC);
        ck_assert_uint_eq(c->clients[0].backoff_min_ns, 500 * MSEC);
        ck_assert_uint_eq(c->clients[0].backoff_max_ns, 300 * SEC);
        ck_assert_uint_eq(c->clients[0].max_retries, 0);
        ck_assert_uint_eq(c->target.sync_period_ns, 5 * SEC);
        ck_assert_uint_eq(c->target.poll_period_ns, 250 * MSEC);
        ck_assert_uint_eq(c->limits.max_line_size, 256000);
        ck_assert_uint_eq(c->limits.max_buffered_bytes, 16ULL << 20);
}
END_TEST


/* -config.expand-env: ${VAR}, ${VAR:-default}, "$$", and a '$' that is not a
 * reference (a regex anchor) left alone; an unset variable names its line. */
START_TEST(test_expand_env) {
        struct sl_config_load_options o = { .expand_env = true };
        struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        char msg[1024];

        o.pipelines_dir = pipes;
        setenv("SL_TEST_LOKI", "http://loki.example:3100/loki/api/v1/push", 1);
        unsetenv("SL_TEST_UNSET");
        write_text(config_path,
                   "clients:\n"
                   "  - url: ${SL_TEST_LOKI}\n"
                   "    tenant_id: ${SL_TEST_UNSET:-team-$$a}\n"
                   "scrape_configs:\n"
                   "  - job_name: api$\n"
                   "    static_configs:\n"
                   "      - labels:\n"
                   "          __path__: /var/log/*.log\n");
        ck_assert_int_eq(sl_config_load_opts(config_path, &o, &c, &err), 0);
        ck_assert_str_eq(c->clients[0].url, "http://loki.example:3100/loki/api/v1/push");
        ck_assert_str_eq(c->clients[0].tenant_id, "team-$a");
        ck_assert_str_eq(c->scrape_configs[0].job_name, "api$");
        sl_config_free(c);
        c = NULL;

        write_text(config_path, "clients:\n  - url: http://x\n    tenant_id: ${SL_TEST_UNSET}\n");
        ck_assert_int_eq(sl_config_load_opts(config_path, &o, &c, &err), -EINVAL);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(strstr(msg, ":3") && strstr(msg, "SL_TEST_UNSET is not set"), "%s", msg);

        /* Without the flag the text stays as written. */
        write_text(config_path, "clients:\n  - url: ${SL_TEST_LOKI}\n");
        ck_assert_int_eq(sl_config_load(config_path, pipes, &c, &err), -EINVAL);
}
END_TEST

static Suite *config_suite(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("load");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_full_config);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_empty_sections_keep_defaults);
        tcase_add_test(tc, test_singular_client);
        tcase_add_test(tc, test_pipeline_by_name);
        tcase_add_test(tc, test_pipelines_dir_next_to_config);
        tcase_add_test(tc, test_shipped_example);
        tcase_add_test(tc, test_expand_env);
        suite_add_tcase(s, tc);

        tc = tcase_create("errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_errors, 0, (int)SL_ARRAY_SIZE(error_cases));
        tcase_add_test(tc, test_missing_pipeline_file);
        tcase_add_loop_test(tc, test_pipeline_file_errors, 0, (int)SL_ARRAY_SIZE(pipeline_cases));
        tcase_add_test(tc, test_unreadable_config);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(config_suite)
