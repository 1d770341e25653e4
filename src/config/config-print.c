/* config-print.c - sl_config_print(): the effective configuration as YAML,
 * defaults filled in, secrets hidden (see config.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"
#include "config/config.h"
#include "config/discovery-config.h"

#define SECRET "<secret>"

/* A scalar, quoted when YAML would read it otherwise (or not at all). */
static void scalar(struct sl_buf *b, const char *s) {
        bool plain = *s && !strchr("-?:,[]{}#&*!|>'\"%@` ~", s[0]) &&
                     s[strlen(s) - 1] != ' ' && !strstr(s, ": ") && !strstr(s, " #") &&
                     strcspn(s, "\n\t\r\"\\") == strlen(s) && strcmp(s, "true") != 0 &&
                     strcmp(s, "false") != 0 && strcmp(s, "null") != 0;

        for (const char *p = s; plain && *p; p++)
                if ((unsigned char)*p < 0x20)
                        plain = false;
        /* A number-looking string stays a string. */
        if (plain && strspn(s, "0123456789.+-eE") == strlen(s))
                plain = false;
        if (plain) {
                sl_buf_append(b, s, strlen(s));
                return;
        }
        sl_buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        sl_buf_printf(b, "\\%c", *p);
                else if (*p == '\n')
                        sl_buf_append(b, "\\n", 2);
                else if (*p < 0x20)
                        sl_buf_printf(b, "\\x%02x", *p);
                else
                        sl_buf_putc(b, (char)*p);
        }
        sl_buf_putc(b, '"');
}

static void indent(struct sl_buf *b, int n) {
        for (int i = 0; i < n; i++)
                sl_buf_putc(b, ' ');
}

static void kv_str(struct sl_buf *b, int ind, const char *key, const char *value) {
        if (!value)
                return;
        indent(b, ind);
        sl_buf_printf(b, "%s: ", key);
        scalar(b, value);
        sl_buf_putc(b, '\n');
}

static void kv_secret(struct sl_buf *b, int ind, const char *key, const char *value) {
        if (value)
                kv_str(b, ind, key, SECRET);
}

static void kv_bool(struct sl_buf *b, int ind, const char *key, bool v) {
        indent(b, ind);
        sl_buf_printf(b, "%s: %s\n", key, v ? "true" : "false");
}

static void kv_u64(struct sl_buf *b, int ind, const char *key, uint64_t v) {
        indent(b, ind);
        sl_buf_printf(b, "%s: %" PRIu64 "\n", key, v);
}

/* A duration as Go prints one (1s, 500ms, 1m30s, 1h0m0s). */
static void kv_duration(struct sl_buf *b, int ind, const char *key, uint64_t ns) {
        uint64_t s = ns / 1000000000u, rest = ns % 1000000000u;

        indent(b, ind);
        sl_buf_printf(b, "%s: ", key);
        if (ns == 0)
                sl_buf_printf(b, "0s");
        else if (ns < 1000u)
                sl_buf_printf(b, "%" PRIu64 "ns", ns);
        else if (ns < 1000000u)
                sl_buf_printf(b, "%gus", (double)ns / 1e3);
        else if (ns < 1000000000u)
                sl_buf_printf(b, "%gms", (double)ns / 1e6);
        else {
                if (s >= 3600)
                        sl_buf_printf(b, "%" PRIu64 "h", s / 3600);
                if (s >= 60)
                        sl_buf_printf(b, "%" PRIu64 "m", s / 60 % 60);
                if (rest)
                        sl_buf_printf(b, "%g", (double)(s % 60) + (double)rest / 1e9);
                else
                        sl_buf_printf(b, "%" PRIu64, s % 60);
                sl_buf_putc(b, 's');
        }
        sl_buf_putc(b, '\n');
}

/* A header whose value is a credential, by its name. */
static bool header_is_secret(const char *name) {
        static const char *const words[] = { "auth", "token", "key", "secret", "cookie",
                                             "password", "credential", NULL };

        for (const char *const *w = words; *w; w++)
                if (strcasestr(name, *w))
                        return true;
        return false;
}

static void headers(struct sl_buf *b, int ind, const char *key, const struct sl_header *h,
                    size_t n) {
        if (n == 0)
                return;
        indent(b, ind);
        sl_buf_printf(b, "%s:\n", key);
        for (size_t i = 0; i < n; i++) {
                indent(b, ind + 2);
                scalar(b, h[i].name);
                sl_buf_append(b, ": ", 2);
                scalar(b, header_is_secret(h[i].name) ? SECRET : h[i].value);
                sl_buf_putc(b, '\n');
        }
}

static void labels(struct sl_buf *b, int ind, const char *key, const struct sl_label_pair *l,
                   size_t n, const char *path) {
        indent(b, ind);
        sl_buf_printf(b, "%s:%s\n", key, n || path ? "" : " {}");
        if (path)
                kv_str(b, ind + 2, "__path__", path);
        for (size_t i = 0; i < n; i++)
                kv_str(b, ind + 2, l[i].name, l[i].value);
}

/* A YAML node as it was read (pipeline stages). */
static void node(struct sl_buf *b, int ind, const struct sl_yaml_node *n, bool in_seq) {
        if (!n || n->kind == SL_YAML_NULL) {
                sl_buf_printf(b, " null\n");
                return;
        }
        if (n->kind == SL_YAML_SCALAR) {
                sl_buf_putc(b, ' ');
                scalar(b, n->text);
                sl_buf_putc(b, '\n');
                return;
        }
        if (n->count == 0) {
                sl_buf_printf(b, n->kind == SL_YAML_MAP ? " {}\n" : " []\n");
                return;
        }
        if (!in_seq)
                sl_buf_putc(b, '\n');
        for (size_t i = 0; i < n->count; i++) {
                if (!(in_seq && i == 0))
                        indent(b, ind);
                if (n->kind == SL_YAML_SEQ) {
                        sl_buf_append(b, "-", 1);
                        if (n->values[i] && n->values[i]->kind != SL_YAML_SCALAR &&
                            n->values[i]->kind != SL_YAML_NULL && n->values[i]->count > 0) {
                                sl_buf_putc(b, ' ');
                                node(b, ind + 2, n->values[i], true);
                        } else {
                                node(b, ind + 2, n->values[i], false);
                        }
                        continue;
                }
                scalar(b, n->keys[i]->text);
                sl_buf_putc(b, ':');
                node(b, ind + 2, n->values[i], false);
        }
}

static void client(struct sl_buf *b, const struct sl_client_config *c) {
        _cleanup_free_ char *proxy = c->proxy.url ? sl_url_without_userinfo(c->proxy.url) : NULL;

        /* The URL without its user information: a password may be there. */
        indent(b, 2);
        sl_buf_printf(b, "- url: ");
        scalar(b, c->display_url ? c->display_url : c->url);
        sl_buf_putc(b, '\n');
        kv_str(b, 4, "tenant_id", c->tenant_id);
        kv_duration(b, 4, "batchwait", c->batchwait_ns);
        kv_u64(b, 4, "batchsize", c->batchsize);
        kv_duration(b, 4, "timeout", c->timeout_ns);
        indent(b, 4);
        sl_buf_printf(b, "backoff_config:\n");
        kv_duration(b, 6, "min_period", c->backoff_min_ns);
        kv_duration(b, 6, "max_period", c->backoff_max_ns);
        kv_u64(b, 6, "max_retries", c->max_retries);
        labels(b, 4, "external_labels", c->external_labels, c->n_external_labels, NULL);
        headers(b, 4, "headers", c->headers, c->n_headers);
        kv_bool(b, 4, "drop_rate_limited_batches", c->drop_rate_limited_batches);
        if (c->auth.basic) {
                indent(b, 4);
                sl_buf_printf(b, "basic_auth:\n");
                kv_str(b, 6, "username", c->auth.username);
                kv_str(b, 6, "username_file", c->auth.username_file);
                kv_secret(b, 6, "password", c->auth.password);
                kv_str(b, 6, "password_file", c->auth.password_file);
        }
        if (c->auth.type) {
                indent(b, 4);
                sl_buf_printf(b, "authorization:\n");
                kv_str(b, 6, "type", c->auth.type);
                kv_secret(b, 6, "credentials", c->auth.credentials);
                kv_str(b, 6, "credentials_file", c->auth.credentials_file);
        }
        indent(b, 4);
        sl_buf_printf(b, "tls_config:\n");
        kv_str(b, 6, "ca_file", c->tls.ca_file);
        kv_str(b, 6, "ca", c->tls.ca);
        kv_str(b, 6, "cert_file", c->tls.cert_file);
        kv_str(b, 6, "cert", c->tls.cert);
        kv_str(b, 6, "key_file", c->tls.key_file);
        kv_secret(b, 6, "key", c->tls.key);
        kv_str(b, 6, "server_name", c->tls.server_name);
        kv_bool(b, 6, "insecure_skip_verify", c->tls.insecure_skip_verify);
        kv_str(b, 6, "min_version", c->tls.min_version);
        kv_str(b, 6, "max_version", c->tls.max_version);
        kv_str(b, 4, "proxy_url", proxy);
        kv_str(b, 4, "no_proxy", c->proxy.no_proxy);
        kv_bool(b, 4, "proxy_from_environment", c->proxy.from_environment);
        headers(b, 4, "proxy_connect_header", c->proxy.connect_headers, c->proxy.n_connect_headers);
}

/* A sequence of scalars in flow style: [a, b]. */
static void kv_strings(struct sl_buf *b, int ind, const char *key, char *const *v, size_t n) {
        indent(b, ind);
        sl_buf_printf(b, "%s: [", key);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        sl_buf_append(b, ", ", 2);
                scalar(b, v[i]);
        }
        sl_buf_printf(b, "]\n");
}

static void sd_tls(struct sl_buf *b, int ind, const struct sl_tls_config *t) {
        if (!t->ca_file && !t->cert_file && !t->key_file && !t->server_name &&
            !t->insecure_skip_verify)
                return;
        indent(b, ind);
        sl_buf_printf(b, "tls_config:\n");
        kv_str(b, ind + 2, "ca_file", t->ca_file);
        kv_str(b, ind + 2, "cert_file", t->cert_file);
        kv_str(b, ind + 2, "key_file", t->key_file);
        kv_str(b, ind + 2, "server_name", t->server_name);
        kv_bool(b, ind + 2, "insecure_skip_verify", t->insecure_skip_verify);
}

/* relabel_configs (the pipeline file's after the job's), docker_sd_configs
 * and kubernetes_sd_configs of a scrape config. */
static void discovery(struct sl_buf *b, const struct sl_discovery_config *dc) {
        if (!dc)
                return;
        if (dc->n_relabel) {
                indent(b, 4);
                sl_buf_printf(b, "relabel_configs:\n");
        }
        for (size_t i = 0; i < dc->n_relabel; i++) {
                const struct sl_relabel_config *rc = &dc->relabel[i];

                indent(b, 6);
                sl_buf_printf(b, "- action: %s\n", sl_relabel_action_name(rc->action));
                kv_strings(b, 8, "source_labels", rc->source_labels, rc->n_source_labels);
                kv_str(b, 8, "separator", rc->separator);
                kv_str(b, 8, "regex", rc->regex_text);
                if (rc->action == SL_RELABEL_HASHMOD)
                        kv_u64(b, 8, "modulus", rc->modulus);
                if (*rc->target_label)
                        kv_str(b, 8, "target_label", rc->target_label);
                kv_str(b, 8, "replacement", rc->replacement);
        }
        if (dc->n_docker) {
                indent(b, 4);
                sl_buf_printf(b, "docker_sd_configs:\n");
        }
        for (size_t i = 0; i < dc->n_docker; i++) {
                const struct sl_docker_sd_config *d = &dc->docker[i];

                indent(b, 6);
                sl_buf_printf(b, "- host: ");
                scalar(b, d->host);
                sl_buf_putc(b, '\n');
                kv_u64(b, 8, "port", d->port);
                kv_str(b, 8, "host_networking_host", d->host_networking_host);
                kv_bool(b, 8, "match_first_network", d->match_first_network);
                kv_duration(b, 8, "refresh_interval", d->refresh_interval_ns);
                if (d->n_filters) {
                        indent(b, 8);
                        sl_buf_printf(b, "filters:\n");
                }
                for (size_t k = 0; k < d->n_filters; k++) {
                        indent(b, 10);
                        sl_buf_printf(b, "- name: ");
                        scalar(b, d->filters[k].name);
                        sl_buf_putc(b, '\n');
                        kv_strings(b, 12, "values", d->filters[k].values,
                                   d->filters[k].n_values);
                }
                sd_tls(b, 8, &d->tls);
        }
        if (dc->n_kube) {
                indent(b, 4);
                sl_buf_printf(b, "kubernetes_sd_configs:\n");
        }
        for (size_t i = 0; i < dc->n_kube; i++) {
                const struct sl_kube_sd_config *k = &dc->kube[i];

                indent(b, 6);
                sl_buf_printf(b, "- role: pod\n");
                kv_str(b, 8, "api_server", k->api_server);
                kv_str(b, 8, "kubeconfig_file", k->kubeconfig_file);
                kv_secret(b, 8, "bearer_token", k->bearer_token);
                kv_str(b, 8, "bearer_token_file", k->bearer_token_file);
                sd_tls(b, 8, &k->tls);
                if (k->own_namespace || k->n_namespaces) {
                        indent(b, 8);
                        sl_buf_printf(b, "namespaces:\n");
                        kv_bool(b, 10, "own_namespace", k->own_namespace);
                        kv_strings(b, 10, "names", k->namespaces, k->n_namespaces);
                }
                if (k->selector.label || k->selector.field) {
                        indent(b, 8);
                        sl_buf_printf(b, "selectors:\n");
                        indent(b, 10);
                        sl_buf_printf(b, "- role: pod\n");
                        kv_str(b, 12, "label", k->selector.label);
                        kv_str(b, 12, "field", k->selector.field);
                }
        }
}

/* loki_push_api or otlp_logs, under a job. */
static void receiver(struct sl_buf *b, const struct sl_scrape_config *sc) {
        const struct sl_receiver_config *rc = &sc->receiver;

        indent(b, 4);
        sl_buf_printf(b, "%s:\n", sc->source == SL_SOURCE_OTLP ? "otlp_logs" : "loki_push_api");
        indent(b, 6);
        sl_buf_printf(b, "server:\n");
        kv_str(b, 8, "http_listen_address", rc->listen_address);
        kv_u64(b, 8, "http_listen_port", rc->listen_port);
        kv_u64(b, 8, "http_listen_conn_limit", rc->max_connections);
        labels(b, 6, "labels", rc->labels, rc->n_labels, NULL);
        kv_bool(b, 6, "use_incoming_timestamp", rc->use_incoming_timestamp);
        kv_u64(b, 6, "max_body_size", rc->max_body_size);
        kv_u64(b, 6, "max_entries_per_push", rc->max_entries);
        kv_duration(b, 6, "ack_timeout", rc->ack_timeout_ns);
}

void sl_config_print(const struct sl_config *c, struct sl_buf *b) {
        sl_buf_printf(b, "# effective configuration of %s: defaults filled in, secrets hidden\n",
                      c->file);
        sl_buf_printf(b, "server:\n");
        kv_str(b, 2, "http_listen_address", c->server.listen_address);
        kv_u64(b, 2, "http_listen_port", c->server.listen_port);
        kv_bool(b, 2, "disable", c->server.disable);
        kv_bool(b, 2, "enable_runtime_reload", c->server.enable_runtime_reload);
        kv_str(b, 2, "log_level", c->server.log_level);
        kv_str(b, 2, "log_format", c->server.log_format);
        kv_duration(b, 2, "graceful_shutdown_timeout", c->server.graceful_shutdown_timeout_ns);

        sl_buf_printf(b, "positions:\n");
        kv_str(b, 2, "filename", c->positions.filename);
        kv_duration(b, 2, "sync_period", c->positions.sync_period_ns);
        kv_bool(b, 2, "ignore_invalid_yaml", c->positions.ignore_invalid);

        sl_buf_printf(b, "clients:\n");
        for (size_t i = 0; i < c->n_clients; i++)
                client(b, &c->clients[i]);

        sl_buf_printf(b, "scrape_configs:\n");
        for (size_t i = 0; i < c->n_scrape_configs; i++) {
                const struct sl_scrape_config *sc = &c->scrape_configs[i];
                indent(b, 2);
                sl_buf_printf(b, "- job_name: ");
                scalar(b, sc->job_name);
                sl_buf_putc(b, '\n');
                if (sc->source != SL_SOURCE_FILES)
                        receiver(b, sc);
                else {
                        indent(b, 4);
                        sl_buf_printf(b, "static_configs:%s\n", sc->n_static_configs ? "" : " []");
                }
                for (size_t j = 0; j < sc->n_static_configs; j++) {
                        const struct sl_static_config *st = &sc->static_configs[j];

                        indent(b, 6);
                        sl_buf_printf(b, "- ");
                        if (st->n_targets) {
                                kv_strings(b, 0, "targets", st->targets, st->n_targets);
                                indent(b, 8);
                        }
                        sl_buf_printf(b, "labels:\n");
                        kv_str(b, 10, "__path__", sc->static_configs[j].path_glob);
                        for (size_t k = 0; k < sc->static_configs[j].n_labels; k++)
                                kv_str(b, 10, sc->static_configs[j].labels[k].name,
                                       sc->static_configs[j].labels[k].value);
                }
                discovery(b, sc->discovery);
                if (sc->pipeline_name) {
                        indent(b, 4);
                        sl_buf_printf(b, "# pipeline: %s, from %s\n", sc->pipeline_name,
                                      sc->pipeline_file);
                }
                indent(b, 4);
                sl_buf_printf(b, "pipeline_stages:");
                node(b, 6, sc->pipeline_stages, false);
                if (sc->decompression_enabled) {
                        indent(b, 4);
                        sl_buf_printf(b, "decompression:\n");
                        kv_bool(b, 6, "enabled", true);
                        kv_duration(b, 6, "initial_delay", sc->decompression_initial_delay_ns);
                        kv_str(b, 6, "format", "gz");
                }
        }

        sl_buf_printf(b, "target_config:\n");
        kv_duration(b, 2, "sync_period", c->target.sync_period_ns);
        kv_bool(b, 2, "poll", c->target.poll);
        kv_duration(b, 2, "poll_period", c->target.poll_period_ns);
        indent(b, 2);
        sl_buf_printf(b, "rotated_suffixes:");
        if (c->target.rotated_suffixes) {
                sl_buf_putc(b, '\n');
                for (char **s = c->target.rotated_suffixes; *s; s++) {
                        indent(b, 4);
                        sl_buf_printf(b, "- ");
                        scalar(b, *s);
                        sl_buf_putc(b, '\n');
                }
        } else {
                sl_buf_printf(b, " [\".[0-9]*\", \"-[0-9]*\"]\n");
        }
        kv_bool(b, 2, "read_rotated_at_first_start", c->target.read_rotated_at_first_start);

        sl_buf_printf(b, "limits_config:\n");
        kv_bool(b, 2, "readline_rate_enabled", c->limits.readline_rate_enabled);
        indent(b, 2);
        sl_buf_printf(b, "readline_rate: %g\n", c->limits.readline_rate);
        kv_u64(b, 2, "readline_burst", c->limits.readline_burst);
        kv_bool(b, 2, "readline_rate_drop", c->limits.readline_rate_drop);
        kv_u64(b, 2, "max_streams", c->limits.max_streams);
        kv_u64(b, 2, "max_line_size", c->limits.max_line_size);
        kv_bool(b, 2, "max_line_size_truncate", c->limits.max_line_size_truncate);
        kv_u64(b, 2, "max_buffered_bytes", c->limits.max_buffered_bytes);
        kv_u64(b, 2, "max_label_names_per_series", c->limits.max_label_names);
        kv_u64(b, 2, "max_label_name_length", c->limits.max_label_name_length);
        kv_u64(b, 2, "max_label_value_length", c->limits.max_label_value_length);
        kv_bool(b, 2, "drop_over_label_limits", c->limits.drop_over_label_limits);
}
