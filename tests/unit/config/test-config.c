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

/* A valid client and job, to complete configs that test something else. */
#define CLIENT "clients:\n  - url: http://loki:3100/loki/api/v1/push\n"
#define JOB                                                                    \
        "scrape_configs:\n"                                                    \
        "  - job_name: api\n"                                                  \
        "    static_configs:\n"                                                \
        "      - labels:\n"                                                    \
        "          __path__: /var/log/*.log\n"

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
                    "  max_buffered_bytes: 8MiB\n"
                    "  max_label_names_per_series: 30\n"
                    "  max_label_name_length: 0\n"
                    "  max_label_value_length: 4096\n"
                    "  drop_over_label_limits: true\n");

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
        ck_assert_uint_eq(c->limits.max_label_names, 30);
        ck_assert_uint_eq(c->limits.max_label_name_length, 0);
        ck_assert_uint_eq(c->limits.max_label_value_length, 4096);
        ck_assert(c->limits.drop_over_label_limits);
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
        ck_assert_uint_eq(c->limits.max_label_names, 15);
        ck_assert_uint_eq(c->limits.max_label_name_length, 1024);
        ck_assert_uint_eq(c->limits.max_label_value_length, 2048);
        ck_assert(!c->limits.drop_over_label_limits);

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

/* The Promtail keys sluice implements beyond the basics: limits, log
 * format, headers, client: merged into clients, file_watch_config. */
START_TEST(test_promtail_keys) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        const struct sl_client_config *a, *b, *one;

        c = load_ok("global:\n"
                    "  file_watch_config:\n"
                    "    min_poll_frequency: 100ms\n"
                    "server:\n"
                    "  log_format: json\n"
                    "client:\n"
                    "  url: http://one:3100/loki/api/v1/push\n"
                    "  external_labels: {region: eu, env: from-client}\n"
                    "clients:\n"
                    "  - url: http://a:3100/loki/api/v1/push\n"
                    "    tenant_id: team-a\n"
                    "    headers:\n"
                    "      CF-Access-Client-Id: id.access\n"
                    "      X-Empty: ''\n"
                    "      X-Scope-OrgID: ignored\n"
                    "    drop_rate_limited_batches: true\n"
                    "    external_labels: {env: prod}\n"
                    "  - url: http://b:3100/loki/api/v1/push\n"
                    "    headers: {X-Scope-OrgID: sent-without-tenant}\n"
                    "limits_config:\n"
                    "  readline_rate_enabled: true\n"
                    "  readline_rate: 2.5\n"
                    "  readline_burst: 7\n"
                    "  readline_rate_drop: false\n"
                    "  max_streams: 42\n"
                    JOB);

        ck_assert_str_eq(c->server.log_format, "json");
        ck_assert_uint_eq(c->target.poll_period_ns, 100 * MSEC);
        ck_assert(c->limits.readline_rate_enabled);
        ck_assert(c->limits.readline_rate == 2.5);
        ck_assert_uint_eq(c->limits.readline_burst, 7);
        ck_assert(!c->limits.readline_rate_drop);
        ck_assert_uint_eq(c->limits.max_streams, 42);

        /* client: comes after clients, and its labels go to every client. */
        ck_assert_uint_eq(c->n_clients, 3);
        a = &c->clients[0];
        b = &c->clients[1];
        one = &c->clients[2];
        ck_assert_str_eq(one->url, "http://one:3100/loki/api/v1/push");
        ck_assert_uint_eq(a->n_external_labels, 2);
        ck_assert_str_eq(a->external_labels[0].name, "env");
        ck_assert_str_eq(a->external_labels[0].value, "prod");
        ck_assert_str_eq(a->external_labels[1].name, "region");
        ck_assert_str_eq(a->external_labels[1].value, "eu");
        ck_assert_uint_eq(b->n_external_labels, 2);
        ck_assert_str_eq(b->external_labels[0].name, "region");
        ck_assert_str_eq(b->external_labels[1].value, "from-client");
        ck_assert_uint_eq(one->n_external_labels, 2);

        ck_assert(a->drop_rate_limited_batches);
        ck_assert(!b->drop_rate_limited_batches);
        ck_assert_uint_eq(a->n_headers, 2);
        ck_assert_str_eq(a->headers[0].name, "CF-Access-Client-Id");
        ck_assert_str_eq(a->headers[0].value, "id.access");
        ck_assert_str_eq(a->headers[1].name, "X-Empty");
        ck_assert_str_eq(a->headers[1].value, "");
        ck_assert_uint_eq(b->n_headers, 1);
        ck_assert_str_eq(b->headers[0].value, "sent-without-tenant");

        /* The X-Scope-OrgID header of the client with a tenant is not sent. */
        ck_assert_uint_eq(c->n_warnings, 1);
        ck_assert_str_eq(c->warnings[0].key, "clients[0].headers.X-Scope-OrgID");
        ck_assert_uint_eq(c->warnings[0].line, 15);
        ck_assert_msg(strstr(c->warnings[0].msg, "not sent"), "%s", c->warnings[0].msg);
}
END_TEST

/* TLS, authentication and proxy, read with Prometheus' meaning. */
START_TEST(test_tls_auth_proxy) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        const struct sl_client_config *a, *b, *d;

        c = load_ok("clients:\n"
                    "  - url: https://user@Logs.Example.com:443/loki/api/v1/push\n"
                    "    basic_auth: {username: promtail, password_file: /run/pw}\n"
                    "    tls_config:\n"
                    "      ca_file: /etc/ca.pem\n"
                    "      cert_file: /etc/c.pem\n"
                    "      key_file: /etc/k.pem\n"
                    "      server_name: logs.example.com\n"
                    "      insecure_skip_verify: false\n"
                    "      min_version: TLS12\n"
                    "    proxy_url: http://proxy:3128\n"
                    "    no_proxy: localhost\n"
                    "    proxy_connect_header: {Proxy-Authorization: [Basic a, Basic b]}\n"
                    "  - url: http://b/loki/api/v1/push\n"
                    "    bearer_token_file: /run/token\n"
                    "    proxy_from_environment: true\n"
                    "  - url: http://d/loki/api/v1/push\n"
                    "    authorization: {credentials: xyz}\n" JOB);
        a = &c->clients[0];
        ck_assert(a->auth.basic);
        ck_assert_str_eq(a->auth.username, "promtail");
        ck_assert_ptr_null(a->auth.password);
        ck_assert_str_eq(a->auth.password_file, "/run/pw");
        ck_assert_ptr_null(a->auth.type);
        ck_assert_str_eq(a->tls.ca_file, "/etc/ca.pem");
        ck_assert_str_eq(a->tls.cert_file, "/etc/c.pem");
        ck_assert_str_eq(a->tls.key_file, "/etc/k.pem");
        ck_assert_str_eq(a->tls.server_name, "logs.example.com");
        ck_assert(!a->tls.insecure_skip_verify);
        ck_assert_str_eq(a->tls.min_version, "TLS12");
        ck_assert_ptr_null(a->tls.max_version);
        ck_assert_str_eq(a->proxy.url, "http://proxy:3128");
        ck_assert_str_eq(a->proxy.no_proxy, "localhost");
        ck_assert_uint_eq(a->proxy.n_connect_headers, 2);
        ck_assert_str_eq(a->proxy.connect_headers[1].name, "Proxy-Authorization");
        ck_assert_str_eq(a->proxy.connect_headers[1].value, "Basic b");
        b = &c->clients[1];
        ck_assert(!b->auth.basic);
        ck_assert_str_eq(b->auth.type, "Bearer");
        ck_assert_ptr_null(b->auth.credentials);
        ck_assert_str_eq(b->auth.credentials_file, "/run/token");
        ck_assert(b->proxy.from_environment);
        d = &c->clients[2];
        ck_assert_str_eq(d->auth.type, "Bearer");
        ck_assert_str_eq(d->auth.credentials, "xyz");
        ck_assert_uint_eq(c->n_warnings, 0);
}
END_TEST

/* Promtail's defaults for what it has and sluice did not. */
START_TEST(test_promtail_defaults) {
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(minimal);

        ck_assert_str_eq(c->server.log_format, "logfmt");
        ck_assert(!c->limits.readline_rate_enabled);
        ck_assert(c->limits.readline_rate == 10000.0);
        ck_assert_uint_eq(c->limits.readline_burst, 10000);
        ck_assert(c->limits.readline_rate_drop);
        ck_assert_uint_eq(c->limits.max_streams, 0);
        ck_assert_uint_eq(c->clients[0].n_headers, 0);
        ck_assert(!c->clients[0].drop_rate_limited_batches);
        ck_assert_uint_eq(c->n_warnings, 0);
}
END_TEST

/* target_config.poll_period wins over file_watch_config. */
START_TEST(test_poll_period_wins) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;

        c = load_ok("global: {file_watch_config: {min_poll_frequency: 2s}}\n"
                    "target_config: {poll_period: 300ms}\n" CLIENT JOB);
        ck_assert_uint_eq(c->target.poll_period_ns, 300 * MSEC);
}
END_TEST

/* A url-less client: lends its external labels to the clients. */
START_TEST(test_client_labels_only) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;

        c = load_ok("client:\n  external_labels: {dc: x}\n" CLIENT JOB);
        ck_assert_uint_eq(c->n_clients, 1);
        ck_assert_uint_eq(c->clients[0].n_external_labels, 1);
        ck_assert_str_eq(c->clients[0].external_labels[0].name, "dc");
        ck_assert_uint_eq(c->n_warnings, 0);
        sl_config_free(c);

        /* Its other keys have no effect: a warning says so. */
        c = load_ok("client:\n  batchwait: 3s\n  external_labels: {dc: x}\n" CLIENT JOB);
        ck_assert_uint_eq(c->n_clients, 1);
        ck_assert_uint_eq(c->clients[0].batchwait_ns, 1 * SEC);
        ck_assert_uint_eq(c->n_warnings, 1);
        ck_assert_str_eq(c->warnings[0].key, "client");
}
END_TEST

/* A key accepted without effect: one warning naming it and why. */
START_TEST(test_warning_text) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;

        c = load_ok("server:\n  http_listen_port: 9080\n  grpc_listen_port: 9095\n"
                    "  register_instrumentation: true\n  profiling_enabled: false\n"
                    "tracing: {enabled: false}\nwal: {enabled: false, dir: /x}\n" CLIENT JOB);
        ck_assert_uint_eq(c->n_warnings, 1);
        ck_assert_str_eq(c->warnings[0].key, "server.grpc_listen_port");
        ck_assert_str_eq(c->warnings[0].file, config_path);
        ck_assert_uint_eq(c->warnings[0].line, 3);
        ck_assert_uint_eq(c->warnings[0].column, 3);
        ck_assert_str_eq(c->warnings[0].msg, "has no effect: sluice has no gRPC server");
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

/* loki_push_api (Promtail's) and otlp_logs (sluice's) with every key read,
 * and their defaults. */
START_TEST(test_push_receivers) {
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(
                CLIENT "scrape_configs:\n"
                "  - job_name: push1\n"
                "    loki_push_api:\n"
                "      server:\n"
                "        http_listen_address: 127.0.0.1\n"
                "        http_listen_port: 3500\n"
                "        http_listen_conn_limit: 10\n"
                "        grpc_listen_port: 3600\n"
                "      labels:\n"
                "        pushserver: push1\n"
                "      use_incoming_timestamp: true\n"
                "      max_body_size: 1MiB\n"
                "      max_entries_per_push: 500\n"
                "      ack_timeout: 2500ms\n"
                "    pipeline_stages:\n"
                "      - json: {expressions: {level: level}}\n"
                "  - job_name: otel\n"
                "    otlp_logs:\n"
                "      server: {http_listen_port: 4318}\n"
                "  - job_name: files\n"
                "    static_configs:\n"
                "      - labels: {__path__: /var/log/*.log}\n");
        const struct sl_receiver_config *rc;

        ck_assert_uint_eq(c->n_scrape_configs, 3);
        ck_assert_int_eq(c->scrape_configs[0].source, SL_SOURCE_LOKI_PUSH);
        ck_assert_uint_eq(c->scrape_configs[0].n_static_configs, 0);
        rc = &c->scrape_configs[0].receiver;
        ck_assert_str_eq(rc->listen_address, "127.0.0.1");
        ck_assert_uint_eq(rc->listen_port, 3500);
        ck_assert_uint_eq(rc->max_connections, 10);
        ck_assert_uint_eq(rc->n_labels, 1);
        ck_assert_str_eq(rc->labels[0].name, "pushserver");
        ck_assert_str_eq(rc->labels[0].value, "push1");
        ck_assert(rc->use_incoming_timestamp);
        ck_assert_uint_eq(rc->max_body_size, 1u << 20);
        ck_assert_uint_eq(rc->max_entries, 500);
        ck_assert_uint_eq(rc->ack_timeout_ns, 2500 * MSEC);
        ck_assert_ptr_nonnull(c->scrape_configs[0].pipeline_stages);
        /* grpc_listen_port: accepted with a warning, as in server. */
        ck_assert_uint_eq(c->n_warnings, 1);
        ck_assert_str_eq(c->warnings[0].key, "scrape_configs[0].loki_push_api.server.grpc_listen_port");

        /* The defaults; otlp_logs keeps the pushed timestamps. */
        ck_assert_int_eq(c->scrape_configs[1].source, SL_SOURCE_OTLP);
        rc = &c->scrape_configs[1].receiver;
        ck_assert_str_eq(rc->listen_address, "0.0.0.0");
        ck_assert_uint_eq(rc->listen_port, 4318);
        ck_assert_uint_eq(rc->max_connections, 64);
        ck_assert_uint_eq(rc->n_labels, 0);
        ck_assert(rc->use_incoming_timestamp);
        ck_assert_uint_eq(rc->max_body_size, 16u << 20);
        ck_assert_uint_eq(rc->max_entries, 100000);
        ck_assert_uint_eq(rc->ack_timeout_ns, 10 * SEC);
        ck_assert_int_eq(c->scrape_configs[2].source, SL_SOURCE_FILES);
}
END_TEST

START_TEST(test_push_receiver_defaults) {
        _cleanup_(sl_config_freep) struct sl_config *c = load_ok(
                CLIENT "scrape_configs:\n  - job_name: p\n    loki_push_api: {server: {}}\n");
        const struct sl_receiver_config *rc = &c->scrape_configs[0].receiver;

        /* Promtail's port 0 is a free port; its timestamps are replaced. */
        ck_assert_uint_eq(rc->listen_port, 0);
        ck_assert(!rc->use_incoming_timestamp);
        ck_assert_uint_eq(rc->max_connections, 64);
}
END_TEST

struct error_case {
        const char *name;
        const char *text;
        unsigned line;      /* expected line; 0: not checked */
        const char *key;    /* expected err.key */
        const char *substr; /* expected in the message */
};

static const struct error_case error_cases[] = {
        /* Push receivers. */
        { "two sources", CLIENT JOB "    loki_push_api: {server: {http_listen_port: 3500}}\n", 8,
          "scrape_configs[0].loki_push_api", "a job reads one source: static_configs and "
          "loki_push_api are both given" },
        { "push port", CLIENT "scrape_configs:\n  - job_name: p\n    loki_push_api:\n"
          "      server: {http_listen_port: 70000}\n", 6,
          "scrape_configs[0].loki_push_api.server.http_listen_port", "65535" },
        { "push typo", CLIENT "scrape_configs:\n  - job_name: p\n    loki_push_api:\n"
          "      use_incomming_timestamp: true\n", 6,
          "scrape_configs[0].loki_push_api.use_incomming_timestamp", "did you mean" },
        { "push entries", CLIENT "scrape_configs:\n  - job_name: p\n    otlp_logs:\n"
          "      max_entries_per_push: 0\n", 6,
          "scrape_configs[0].otlp_logs.max_entries_per_push", "" },
        { "push server typo", CLIENT "scrape_configs:\n  - job_name: p\n    otlp_logs:\n"
          "      server: {http_listen_prot: 1}\n", 6,
          "scrape_configs[0].otlp_logs.server.http_listen_prot", "did you mean" },
        { "push labels", CLIENT "scrape_configs:\n  - job_name: p\n    loki_push_api:\n"
          "      labels: {1x: y}\n", 6, "scrape_configs[0].loki_push_api.labels.1x", "" },
        { "push timeout", CLIENT "scrape_configs:\n  - job_name: p\n    loki_push_api:\n"
          "      ack_timeout: soon\n", 6, "scrape_configs[0].loki_push_api.ack_timeout",
          "duration" },
        { "no source", CLIENT "scrape_configs:\n  - job_name: p\n", 4,
          "scrape_configs[0].static_configs",
          "or loki_push_api, or otlp_logs, to receive pushes" },
        { "negative label limit",
          "limits_config:\n  max_label_value_length: -1\n" JOB
          "clients:\n  - url: http://loki:3100/loki/api/v1/push\n",
          2, "limits_config.max_label_value_length", "" },
        { "label limit not a number",
          "limits_config:\n  max_label_names_per_series: many\n" JOB
          "clients:\n  - url: http://loki:3100/loki/api/v1/push\n",
          2, "limits_config.max_label_names_per_series", "" },
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
        { "unknown server key", "server:\n  grpc_listen_prot: 0\n" CLIENT JOB, 2,
          "server.grpc_listen_prot", "did you mean \"grpc_listen_port\"" },
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
        /* Promtail's keys: values checked as Promtail checks them. */
        { "log format", "server:\n  log_format: text\n" CLIENT JOB, 2, "server.log_format",
          "expected one of logfmt, json, got \"text\"" },
        { "readline rate", "limits_config:\n  readline_rate: 0\n" CLIENT JOB, 2,
          "limits_config.readline_rate", "above 0" },
        { "readline rate text", "limits_config:\n  readline_rate: fast\n" CLIENT JOB, 2,
          "limits_config.readline_rate", "lines per second" },
        { "readline burst", "limits_config:\n  readline_burst: 0\n" CLIENT JOB, 2,
          "limits_config.readline_burst", "integer from 1" },
        { "readline enabled", "limits_config:\n  readline_rate_enabled: sometimes\n" CLIENT JOB,
          2, "limits_config.readline_rate_enabled", "expected true or false" },
        { "max streams", "limits_config:\n  max_streams: -1\n" CLIENT JOB, 2,
          "limits_config.max_streams", "integer from 0" },
        { "header name", CLIENT "    headers:\n      'Bad Header': x\n" JOB, 4,
          "clients[0].headers.Bad Header", "invalid header name" },
        { "header value", CLIENT "    headers:\n      X-A: \"a\\nb\"\n" JOB, 4,
          "clients[0].headers.X-A", "line break" },
        { "headers not a map", CLIENT "    headers: [a]\n" JOB, 3, "clients[0].headers",
          "expected a map" },
        { "drop rate limited", CLIENT "    drop_rate_limited_batches: 2\n" JOB, 3,
          "clients[0].drop_rate_limited_batches", "expected true or false" },
        { "client without url, no clients", "client:\n  external_labels: {a: b}\n" JOB, 1,
          "clients", "no clients" },
        /* Accepted without effect, but still checked. */
        { "ignored key type", "server:\n  grpc_listen_port: abc\n" CLIENT JOB, 2,
          "server.grpc_listen_port", "expected an integer" },
        { "ignored duration", "server:\n  http_server_read_timeout: 30\n" CLIENT JOB, 2,
          "server.http_server_read_timeout", "duration" },
        { "ignored map typo", "server:\n  grpc_tls_config:\n    cert_fil: x\n" CLIENT JOB, 3,
          "server.grpc_tls_config.cert_fil", "did you mean \"cert_file\"" },
        { "wal enabled", "wal:\n  enabled: maybe\n" CLIENT JOB, 2, "wal.enabled",
          "expected true or false" },
        { "tracing typo", "tracing:\n  enable: true\n" CLIENT JOB, 2, "tracing.enable",
          "did you mean \"enabled\"" },
        { "options typo", "options:\n  stream_lag_label: x\n" CLIENT JOB, 2,
          "options.stream_lag_label", "did you mean \"stream_lag_labels\"" },
        { "global typo", "global:\n  file_watch_config:\n    min_poll_frequncy: 1s\n" CLIENT JOB,
          3, "global.file_watch_config.min_poll_frequncy", "did you mean \"min_poll_frequency\"" },
        { "min poll frequency", "global:\n  file_watch_config:\n    min_poll_frequency: 0\n"
          CLIENT JOB, 3, "global.file_watch_config.min_poll_frequency", "above 0" },
        /* Refused: not supported, naming the feature and the README. */
        { "journal", CLIENT "scrape_configs:\n  - job_name: j\n    journal: {max_age: 12h}\n", 5,
          "scrape_configs[0].journal",
          "the systemd journal source (journal) is not supported: export the journal" },
        { "sources before a missing static_configs",
          CLIENT "scrape_configs:\n  - job_name: s\n    syslog:\n      listen_address: :1514\n",
          5, "scrape_configs[0].syslog", "see \"Moving from Promtail\" in sluice's README" },
        { "discovery", CLIENT "scrape_configs:\n  - job_name: k\n"
          "    consul_sd_configs: [{server: localhost:8500}]\n", 5,
          "scrape_configs[0].consul_sd_configs",
          "is not supported yet: sluice discovers Docker containers" },
        { "stdin", "target_config: {stdin: yes}\n" CLIENT JOB, 1, "target_config.stdin",
          "standard input" },
        { "stdin not a bool", "target_config: {stdin: 3}\n" CLIENT JOB, 1, "target_config.stdin",
          "expected true or false" },
        { "decompression format", CLIENT JOB "    decompression: {enabled: true, format: bz2}\n",
          8, "scrape_configs[0].decompression.format", "format \"bz2\" is not supported" },
        { "decompression typo", CLIENT JOB "    decompression: {enabled: false, fromat: gz}\n",
          8, "scrape_configs[0].decompression.fromat", "did you mean \"format\"" },
        { "encoding", CLIENT JOB "    encoding: ISO-8859-1\n", 8, "scrape_configs[0].encoding",
          "reading files in ISO-8859-1 (encoding) is not supported" },
        { "http tls", "server:\n  http_tls_config: {cert_file: a, key_file: b}\n" CLIENT JOB, 2,
          "server.http_tls_config", "not supported" },
        { "oauth2", CLIENT "    oauth2: {client_id: a, token_url: 'http://t'}\n" JOB, 3,
          "clients[0].oauth2", "OAuth 2.0 authentication to Loki (oauth2) is not supported" },
        { "http_headers", CLIENT "    http_headers: {X-A: {values: [a]}}\n" JOB, 3,
          "clients[0].http_headers", "use Promtail's headers" },
        /* TLS, auth, proxy: checked as Prometheus' client does. */
        { "server name", "clients:\n  - url: https://10.0.0.5:3100/loki/api/v1/push\n"
          "    tls_config: {server_name: loki.internal}\n" JOB, 3,
          "clients[0].tls_config.server_name", "other than the URL's host (\"10.0.0.5\") is not "
          "supported yet" },
        { "password twice", CLIENT "    basic_auth:\n      password: p\n"
          "      password_file: /f\n" JOB, 5, "clients[0].basic_auth.password_file",
          "use either password or password_file, not both" },
        { "username ref", CLIENT "    basic_auth: {username_ref: x}\n" JOB, 3,
          "clients[0].basic_auth.username_ref", "secret manager" },
        { "bearer twice", CLIENT "    bearer_token: t\n    bearer_token_file: /f\n" JOB, 4,
          "clients[0].bearer_token_file", "not both" },
        { "basic and bearer", CLIENT "    basic_auth: {username: u}\n    bearer_token: t\n"
          JOB, 4, "clients[0].bearer_token", "basic_auth or a bearer token" },
        { "authorization basic", CLIENT "    authorization: {type: Basic, credentials: x}\n" JOB,
          3, "clients[0].authorization.type", "use basic_auth" },
        { "authorization and bearer",
          CLIENT "    authorization: {credentials: x}\n    bearer_token: t\n" JOB, 3,
          "clients[0].authorization", "not both" },
        { "cert without key", CLIENT "    tls_config: {cert_file: /c}\n" JOB, 3,
          "clients[0].tls_config", "needs its key" },
        { "ca twice", CLIENT "    tls_config: {ca: x, ca_file: /c}\n" JOB, 3,
          "clients[0].tls_config.ca_file", "not both" },
        { "tls version", CLIENT "    tls_config: {min_version: TLS1.2}\n" JOB, 3,
          "clients[0].tls_config.min_version", "TLS10, TLS11, TLS12, TLS13" },
        { "no_proxy alone", CLIENT "    no_proxy: localhost\n" JOB, 3, "clients[0].no_proxy",
          "needs proxy_url" },
        { "proxy twice", CLIENT "    proxy_url: http://p:3128\n    proxy_from_environment: true\n"
          JOB, 4, "clients[0].proxy_from_environment", "neither proxy_url" },
        { "proxy url", CLIENT "    proxy_url: p:3128\n" JOB, 3, "clients[0].proxy_url",
          "expected a proxy URL" },
        { "connect header alone", CLIENT "    proxy_connect_header: {X-A: [b]}\n" JOB, 3,
          "clients[0].proxy_connect_header", "needs proxy_url" },
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
        ck_assert_uint_eq(c->limits.max_label_names, 15);
        ck_assert_uint_eq(c->limits.max_label_name_length, 1024);
        ck_assert_uint_eq(c->limits.max_label_value_length, 2048);
        ck_assert(!c->limits.drop_over_label_limits);
        ck_assert_str_eq(c->server.log_format, "logfmt");
        ck_assert(!c->limits.readline_rate_enabled);
        ck_assert(c->limits.readline_rate == 10000.0);
        ck_assert_uint_eq(c->limits.readline_burst, 10000);
        ck_assert(c->limits.readline_rate_drop);
        ck_assert_uint_eq(c->limits.max_streams, 0);
        ck_assert_uint_eq(c->clients[0].n_headers, 0);
        ck_assert(!c->clients[0].drop_rate_limited_batches);
        ck_assert_uint_eq(c->n_warnings, 0);
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

/* A labels map of 95,000 keys (15 to 23 s to load while each key was
 * compared with every one before it) loads well within its case's timeout,
 * every label kept in order (test-yaml-doc.c tests the loader's speed). */
START_TEST(test_big_labels_map) {
        const size_t n = 95000;
        size_t cap = strlen(minimal) + n * 40, len;
        _cleanup_free_ char *text = sl_xmalloc(cap);
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        const struct sl_static_config *sc;

        len = (size_t)snprintf(text, cap, "%s", minimal);
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, cap - len, "          k%zu: v%zu\n", i, i);
        c = load_ok(text);
        sc = &c->scrape_configs[0].static_configs[0];
        ck_assert_uint_eq(sc->n_labels, n);
        ck_assert_str_eq(sc->labels[0].name, "k0");
        ck_assert_str_eq(sc->labels[n - 1].name, "k94999");
        ck_assert_str_eq(sc->labels[n - 1].value, "v94999");
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
        tcase_add_test(tc, test_promtail_keys);
        tcase_add_test(tc, test_promtail_defaults);
        tcase_add_test(tc, test_tls_auth_proxy);
        tcase_add_test(tc, test_poll_period_wins);
        tcase_add_test(tc, test_client_labels_only);
        tcase_add_test(tc, test_warning_text);
        tcase_add_test(tc, test_pipeline_by_name);
        tcase_add_test(tc, test_pipelines_dir_next_to_config);
        tcase_add_test(tc, test_shipped_example);
        tcase_add_test(tc, test_expand_env);
        tcase_add_test(tc, test_push_receivers);
        tcase_add_test(tc, test_push_receiver_defaults);
        suite_add_tcase(s, tc);

        /* A big config: a timeout with room for a loaded machine and the sanitizers. */
        tc = tcase_create("big");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_big_labels_map);
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
