/* config.c - see config.h.
 *
 * One reader function per section. Each starts from the defaults, rejects
 * keys that are not in its table, then converts the keys it knows; the first
 * error stops the load and names file:line:column and the dotted key.
 */
#include "config/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/fs-util.h"
#include "base/xalloc.h"
#include "config/discovery-config.h"

#define DEFAULT_LISTEN_ADDRESS "0.0.0.0"
#define DEFAULT_LISTEN_PORT 9080
#define DEFAULT_LOG_LEVEL "info"
#define DEFAULT_GRACEFUL_SHUTDOWN_NS (30 * NS_PER_SEC)
#define DEFAULT_POSITIONS_FILE "/var/lib/sluice/positions.yaml"
#define DEFAULT_POSITIONS_SYNC_NS (10 * NS_PER_SEC)
#define DEFAULT_BATCHWAIT_NS (1 * NS_PER_SEC)
#define DEFAULT_BATCHSIZE 1048576
#define DEFAULT_TIMEOUT_NS (10 * NS_PER_SEC)
#define DEFAULT_BACKOFF_MIN_NS (500 * NS_PER_MSEC)
#define DEFAULT_BACKOFF_MAX_NS (5 * 60 * NS_PER_SEC)
#define DEFAULT_MAX_RETRIES 0
#define DEFAULT_TARGET_SYNC_NS (5 * NS_PER_SEC)
#define DEFAULT_POLL_PERIOD_NS (250 * NS_PER_MSEC)
/* Loki's distributor default: "256KB", which flagext.ByteSize reads as 256000. */
#define DEFAULT_MAX_LINE_SIZE 256000
#define DEFAULT_MAX_BUFFERED_BYTES (16ULL << 20)
#define DEFAULT_PIPELINES_DIR "/etc/sluice/pipelines"

#define NS_PER_MSEC 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* Accepted keys of each section, as sl_yaml_map_check wants them. */
static const char *const top_keys[] = {
        "server", "positions", "clients", "client", "scrape_configs", "target_config",
        "limits_config", NULL,
};
static const char *const server_keys[] = {
        "http_listen_address", "http_listen_port", "disable", "log_level",
        "graceful_shutdown_timeout", NULL,
};
static const char *const positions_keys[] = {
        "filename", "sync_period", "ignore_invalid_yaml", NULL,
};
static const char *const client_keys[] = {
        "url", "tenant_id", "batchwait", "batchsize", "timeout", "backoff_config",
        "external_labels", NULL,
};
static const char *const backoff_keys[] = {
        "min_period", "max_period", "max_retries", NULL,
};
static const char *const scrape_keys[] = {
        "job_name", "static_configs", "pipeline_stages", "pipeline", "decompression",
        "relabel_configs", "docker_sd_configs", "kubernetes_sd_configs", NULL,
};
static const char *const decompression_keys[] = {
        "enabled", "format", "initial_delay", NULL,
};
static const char *const static_config_keys[] = {
        "targets", "labels", NULL,
};
static const char *const target_keys[] = {
        "sync_period", "poll", "poll_period", "rotated_suffixes", "read_rotated_at_first_start",
        NULL,
};
static const char *const limits_keys[] = {
        "max_line_size", "max_line_size_truncate", "max_buffered_bytes", NULL,
};
static const char *const pipeline_file_keys[] = {
        "description", "pipeline_stages", "relabel_configs", NULL,
};
static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };

/* Longest dotted key path we build; longer ones are cut in messages. */
#define KEY_MAX 128

/* Formats a dotted key path into @buf and returns it. */
static const char *kp(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *kp(char *buf, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, KEY_MAX, fmt, ap);
        va_end(ap);
        return buf;
}

/* ---- freeing ------------------------------------------------------------- */

static void labels_free(struct sl_label_pair *labels, size_t n) {
        for (size_t i = 0; labels && i < n; i++) {
                free(labels[i].name);
                free(labels[i].value);
        }
        free(labels);
}

void sl_config_free(struct sl_config *config) {
        if (!config)
                return;
        free(config->file);
        free(config->server.listen_address);
        free(config->server.log_level);
        free(config->positions.filename);
        for (size_t i = 0; config->clients && i < config->n_clients; i++) {
                struct sl_client_config *c = &config->clients[i];
                free(c->url);
                free(c->tenant_id);
                labels_free(c->external_labels, c->n_external_labels);
        }
        free(config->clients);
        for (size_t i = 0; config->scrape_configs && i < config->n_scrape_configs; i++) {
                struct sl_scrape_config *sc = &config->scrape_configs[i];
                free(sc->job_name);
                for (size_t j = 0; sc->static_configs && j < sc->n_static_configs; j++) {
                        free(sc->static_configs[j].path_glob);
                        for (size_t k = 0; k < sc->static_configs[j].n_targets; k++)
                                free(sc->static_configs[j].targets[k]);
                        free(sc->static_configs[j].targets);
                        labels_free(sc->static_configs[j].labels, sc->static_configs[j].n_labels);
                }
                free(sc->static_configs);
                free(sc->pipeline_file);
                free(sc->pipeline_name);
                sl_discovery_config_free(sc->discovery);
        }
        free(config->scrape_configs);
        free(config->pipelines_dir);
        for (size_t i = 0; config->target.rotated_suffixes && config->target.rotated_suffixes[i]; i++)
                free(config->target.rotated_suffixes[i]);
        free(config->target.rotated_suffixes);
        for (size_t i = 0; config->docs && i < config->n_docs; i++)
                sl_yaml_doc_free(config->docs[i]);
        free(config->docs);
        free(config);
}

/* ---- typed readers on top of the yaml-doc converters ---------------------- */

static bool absent(const struct sl_yaml_node *node) {
        return !node || node->kind == SL_YAML_NULL;
}

/* The key node of @key in @map (for errors about the key itself), or NULL. */
static const struct sl_yaml_node *key_of(const struct sl_yaml_node *map, const char *key) {
        for (size_t i = 0; map && map->kind == SL_YAML_MAP && i < map->count; i++)
                if (strcmp(map->keys[i]->text, key) == 0)
                        return map->keys[i];
        return NULL;
}

/* Replaces *@field (owned) with the string in @node, if any. An empty string
 * is refused unless @allow_empty. */
static int read_string(const struct sl_yaml_node *node, const char *key, bool allow_empty,
                       char **field, struct sl_cfg_error *err) {
        char *s = NULL;
        int r;

        r = sl_yaml_as_string(node, key, &s, err);
        if (r < 0)
                return r;
        if (!s)
                return 0;
        if (!*s && !allow_empty) {
                free(s);
                return sl_cfg_error_set(err, node, key, "expected a non-empty string, got \"\"");
        }
        free(*field);
        *field = s;
        return 0;
}

/* A duration; 0 is refused unless @allow_zero (periods and timeouts of 0
 * would spin or never wait). */
static int read_duration(const struct sl_yaml_node *node, const char *key, bool allow_zero,
                         uint64_t *ret_ns, struct sl_cfg_error *err) {
        uint64_t v = *ret_ns;
        int r;

        r = sl_yaml_as_duration(node, key, &v, err);
        if (r < 0)
                return r;
        if (!absent(node) && v == 0 && !allow_zero)
                return sl_cfg_error_set(err, node, key,
                                        "expected a duration above 0, such as 500ms, 1s or 5m, "
                                        "got \"%s\"", node->text);
        *ret_ns = v;
        return 0;
}

static int read_size(const struct sl_yaml_node *node, const char *key, bool allow_zero,
                     uint64_t *ret, struct sl_cfg_error *err) {
        uint64_t v = *ret;
        int r;

        r = sl_yaml_as_size(node, key, &v, err);
        if (r < 0)
                return r;
        if (!absent(node) && v == 0 && !allow_zero)
                return sl_cfg_error_set(err, node, key,
                                        "expected a size above 0, such as 1048576, 512KiB or "
                                        "1MB, got \"%s\"", node->text);
        *ret = v;
        return 0;
}

/* Prometheus/Loki label names: [a-zA-Z_][a-zA-Z0-9_]*. (core/labels.h has
 * the same rule, but config links only base.) */
static bool label_name_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];
                bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
                        return false;
        }
        return true;
}

/* Reads a map of label name → value into a new array. The name @keep_path
 * (when non-NULL) is taken out into *@ret_path instead; other names starting
 * with "__" are reserved and refused. */
static int read_labels(const struct sl_yaml_node *map, const char *path, const char *keep_path,
                       struct sl_label_pair **ret_labels, size_t *ret_n, char **ret_path,
                       struct sl_cfg_error *err) {
        struct sl_label_pair *labels;
        size_t n = 0;
        char key[KEY_MAX];
        int r;

        r = sl_yaml_expect(map, SL_YAML_MAP, path, err);
        if (r < 0)
                return r;
        if (absent(map))
                return 0;
        labels = sl_xcalloc(map->count, sizeof(*labels));
        for (size_t i = 0; i < map->count; i++) {
                const struct sl_yaml_node *k = map->keys[i], *v = map->values[i];
                const char *name = k->text;
                char *value = NULL;

                kp(key, "%s.%s", path, name);
                if (keep_path && strcmp(name, keep_path) == 0) {
                        r = read_string(v, key, false, ret_path, err);
                        if (r < 0)
                                goto out_free;
                        if (!*ret_path) {
                                r = sl_cfg_error_set(err, absent(v) ? k : v, key,
                                                     "expected a file glob such as "
                                                     "/var/lib/docker/containers/*/*-json.log");
                                goto out_free;
                        }
                        continue;
                }
                if (!label_name_valid(name)) {
                        r = sl_cfg_error_set(err, k, key,
                                             "invalid label name \"%s\": expected letters, "
                                             "digits and _ ([a-zA-Z_][a-zA-Z0-9_]*)", name);
                        goto out_free;
                }
                if (strncmp(name, "__", 2) == 0 && !keep_path) {
                        r = sl_cfg_error_set(err, k, key,
                                             "label names starting with __ are reserved");
                        goto out_free;
                }
                r = read_string(v, key, false, &value, err);
                if (r < 0)
                        goto out_free;
                if (!value) {
                        r = sl_cfg_error_set(err, absent(v) ? k : v, key,
                                             "expected a label value, got nothing");
                        goto out_free;
                }
                labels[n].name = sl_xstrdup(name);
                labels[n++].value = value;
        }
        *ret_labels = labels;
        *ret_n = n;
        return 0;

out_free:
        labels_free(labels, n);
        return r;
}

/* ---- sections ------------------------------------------------------------ */

static int read_server(struct sl_config *c, const struct sl_yaml_node *node,
                       struct sl_cfg_error *err) {
        const struct sl_yaml_node *v;
        int64_t port = c->server.listen_port;
        char *level = NULL;
        bool known = false;
        int r;

        r = sl_yaml_map_check(node, "server", server_keys, err);
        if (r < 0)
                return r;
        r = read_string(sl_yaml_get(node, "http_listen_address"), "server.http_listen_address",
                        false, &c->server.listen_address, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "http_listen_port"), "server.http_listen_port", 0,
                           65535, &port, err);
        if (r < 0)
                return r;
        c->server.listen_port = (unsigned)port;
        r = sl_yaml_as_bool(sl_yaml_get(node, "disable"), "server.disable", &c->server.disable,
                            err);
        if (r < 0)
                return r;
        v = sl_yaml_get(node, "log_level");
        r = sl_yaml_as_string(v, "server.log_level", &level, err);
        if (r < 0)
                return r;
        if (level) {
                for (size_t i = 0; log_levels[i]; i++)
                        known = known || strcmp(level, log_levels[i]) == 0;
                if (!known) {
                        free(level);
                        return sl_cfg_error_set(err, v, "server.log_level",
                                                "expected one of debug, info, warn, error, got "
                                                "\"%s\"", v->text);
                }
                free(c->server.log_level);
                c->server.log_level = level;
        }
        return read_duration(sl_yaml_get(node, "graceful_shutdown_timeout"),
                             "server.graceful_shutdown_timeout", true,
                             &c->server.graceful_shutdown_timeout_ns, err);
}

static int read_positions(struct sl_config *c, const struct sl_yaml_node *node,
                          struct sl_cfg_error *err) {
        int r;

        r = sl_yaml_map_check(node, "positions", positions_keys, err);
        if (r < 0)
                return r;
        r = read_string(sl_yaml_get(node, "filename"), "positions.filename", false,
                        &c->positions.filename, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "sync_period"), "positions.sync_period", false,
                          &c->positions.sync_period_ns, err);
        if (r < 0)
                return r;
        return sl_yaml_as_bool(sl_yaml_get(node, "ignore_invalid_yaml"),
                               "positions.ignore_invalid_yaml", &c->positions.ignore_invalid, err);
}

/* A list of rotation suffixes (glob patterns, see tail/rotation.h) into a
 * new NULL-terminated array; absent: NULL (the defaults). */
static int read_suffixes(const struct sl_yaml_node *node, const char *key, char ***ret,
                         struct sl_cfg_error *err) {
        char k[KEY_MAX];
        int r = sl_yaml_expect(node, SL_YAML_SEQ, key, err);

        if (r < 0 || absent(node))
                return r;
        if (node->count == 0)
                return sl_cfg_error_set(err, node, key,
                                        "expected at least one suffix, e.g. [\".[0-9]*\", "
                                        "\"-[0-9]*\"]");
        *ret = sl_xcalloc(node->count + 1, sizeof(**ret));
        for (size_t i = 0; i < node->count; i++) {
                r = read_string(node->values[i], kp(k, "%s[%zu]", key, i), false, &(*ret)[i], err);
                if (r < 0)
                        return r;
                if (!(*ret)[i] || !strchr(".-_", (*ret)[i][0]))
                        return sl_cfg_error_set(err, node->values[i], k,
                                                "a suffix starts with '.', '-' or '_' (what "
                                                "follows the live file's name), e.g. \".[0-9]*\"");
        }
        return 0;
}

/* Promtail's decompression block. sluice reads every .gz file it is given
 * decompressed, and one still being written as it grows, so enabled and
 * initial_delay change nothing; formats other than gz are not read. */
static int read_decompression(struct sl_scrape_config *sc, const struct sl_yaml_node *node,
                              const char *path, struct sl_cfg_error *err) {
        _cleanup_free_ char *format = NULL;
        char key[KEY_MAX];
        int r;

        if (absent(node))
                return 0;
        r = sl_yaml_map_check(node, path, decompression_keys, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "enabled"), kp(key, "%s.enabled", path),
                            &sc->decompression_enabled, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "initial_delay"), kp(key, "%s.initial_delay", path),
                          true, &sc->decompression_initial_delay_ns, err);
        if (r < 0)
                return r;
        r = read_string(sl_yaml_get(node, "format"), kp(key, "%s.format", path), false, &format,
                        err);
        if (r < 0)
                return r;
        if (format && strcmp(format, "gz") != 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "format"), key,
                                        "decompression format \"%s\" is not supported: sluice "
                                        "reads gz (see the README's table of Promtail "
                                        "features)", format);
        return 0;
}

static int read_target(struct sl_config *c, const struct sl_yaml_node *node,
                       struct sl_cfg_error *err) {
        int r;

        r = sl_yaml_map_check(node, "target_config", target_keys, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "sync_period"), "target_config.sync_period", false,
                          &c->target.sync_period_ns, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "poll"), "target_config.poll", &c->target.poll, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "read_rotated_at_first_start"),
                            "target_config.read_rotated_at_first_start",
                            &c->target.read_rotated_at_first_start, err);
        if (r < 0)
                return r;
        r = read_suffixes(sl_yaml_get(node, "rotated_suffixes"), "target_config.rotated_suffixes",
                          &c->target.rotated_suffixes, err);
        if (r < 0)
                return r;
        return read_duration(sl_yaml_get(node, "poll_period"), "target_config.poll_period", false,
                             &c->target.poll_period_ns, err);
}

static int read_limits(struct sl_config *c, const struct sl_yaml_node *node,
                       struct sl_cfg_error *err) {
        int r;

        r = sl_yaml_map_check(node, "limits_config", limits_keys, err);
        if (r < 0)
                return r;
        r = read_size(sl_yaml_get(node, "max_line_size"), "limits_config.max_line_size", true,
                      &c->limits.max_line_size, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "max_line_size_truncate"),
                            "limits_config.max_line_size_truncate",
                            &c->limits.max_line_size_truncate, err);
        if (r < 0)
                return r;
        return read_size(sl_yaml_get(node, "max_buffered_bytes"),
                         "limits_config.max_buffered_bytes", false, &c->limits.max_buffered_bytes,
                         err);
}

static bool has_prefix_nocase(const char *s, const char *prefix) {
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int read_client(struct sl_client_config *cl, const struct sl_yaml_node *node,
                       const char *path, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v, *backoff;
        int64_t retries = (int64_t)cl->max_retries;
        char key[KEY_MAX];
        int r;

        if (absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with at least a url, got nothing");
        r = sl_yaml_map_check(node, path, client_keys, err);
        if (r < 0)
                return r;

        v = sl_yaml_get(node, "url");
        r = read_string(v, kp(key, "%s.url", path), false, &cl->url, err);
        if (r < 0)
                return r;
        if (!cl->url)
                return sl_cfg_error_set(err, absent(v) ? node : v, key,
                                        "url is required: the Loki push URL, e.g. "
                                        "http://loki:3100/loki/api/v1/push");
        if (!((has_prefix_nocase(cl->url, "http://") && cl->url[7]) ||
              (has_prefix_nocase(cl->url, "https://") && cl->url[8])))
                return sl_cfg_error_set(err, v, key,
                                        "expected an http:// or https:// URL such as "
                                        "http://loki:3100/loki/api/v1/push, got \"%s\"",
                                        cl->url);

        r = read_string(sl_yaml_get(node, "tenant_id"), kp(key, "%s.tenant_id", path), true,
                        &cl->tenant_id, err);
        if (r < 0)
                return r;
        if (cl->tenant_id && !*cl->tenant_id) {
                /* An empty tenant is no tenant: no X-Scope-OrgID header. */
                free(cl->tenant_id);
                cl->tenant_id = NULL;
        }
        r = read_duration(sl_yaml_get(node, "batchwait"), kp(key, "%s.batchwait", path), false,
                          &cl->batchwait_ns, err);
        if (r < 0)
                return r;
        r = read_size(sl_yaml_get(node, "batchsize"), kp(key, "%s.batchsize", path), false,
                      &cl->batchsize, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "timeout"), kp(key, "%s.timeout", path), false,
                          &cl->timeout_ns, err);
        if (r < 0)
                return r;

        backoff = sl_yaml_get(node, "backoff_config");
        r = sl_yaml_map_check(backoff, kp(key, "%s.backoff_config", path), backoff_keys, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(backoff, "min_period"),
                          kp(key, "%s.backoff_config.min_period", path), false,
                          &cl->backoff_min_ns, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(backoff, "max_period"),
                          kp(key, "%s.backoff_config.max_period", path), false,
                          &cl->backoff_max_ns, err);
        if (r < 0)
                return r;
        if (cl->backoff_min_ns > cl->backoff_max_ns) {
                v = sl_yaml_get(backoff, "min_period");
                return sl_cfg_error_set(err, absent(v) ? backoff : v,
                                        kp(key, "%s.backoff_config.min_period", path),
                                        "min_period must not be longer than max_period");
        }
        r = sl_yaml_as_int(sl_yaml_get(backoff, "max_retries"),
                           kp(key, "%s.backoff_config.max_retries", path), 0, INT32_MAX,
                           &retries, err);
        if (r < 0)
                return r;
        cl->max_retries = (uint64_t)retries;

        return read_labels(sl_yaml_get(node, "external_labels"),
                           kp(key, "%s.external_labels", path), NULL, &cl->external_labels,
                           &cl->n_external_labels, NULL, err);
}

static void client_defaults(struct sl_client_config *cl) {
        *cl = (struct sl_client_config){
                .batchwait_ns = DEFAULT_BATCHWAIT_NS,
                .batchsize = DEFAULT_BATCHSIZE,
                .timeout_ns = DEFAULT_TIMEOUT_NS,
                .backoff_min_ns = DEFAULT_BACKOFF_MIN_NS,
                .backoff_max_ns = DEFAULT_BACKOFF_MAX_NS,
                .max_retries = DEFAULT_MAX_RETRIES,
        };
}

/* `clients:` (a list), or Promtail's older `client:` (one map). */
static int read_clients(struct sl_config *c, const struct sl_yaml_node *root,
                        struct sl_cfg_error *err) {
        const struct sl_yaml_node *list = sl_yaml_get(root, "clients");
        const struct sl_yaml_node *one = sl_yaml_get(root, "client");
        char key[KEY_MAX];
        int r;

        if (list && one)
                return sl_cfg_error_set(err, key_of(root, "client"), "client",
                                        "use either clients (a list) or client (one map), not "
                                        "both");
        if (one) {
                if (absent(one))
                        return sl_cfg_error_set(err, one, "client",
                                                "expected a map with at least a url, got nothing");
                c->clients = sl_xcalloc(1, sizeof(*c->clients));
                c->n_clients = 1;
                client_defaults(&c->clients[0]);
                return read_client(&c->clients[0], one, "client", err);
        }
        if (absent(list))
                return sl_cfg_error_set(err, list ? list : root, "clients",
                                        "no clients: add a clients: list with at least one "
                                        "entry such as - url: http://loki:3100/loki/api/v1/push");
        r = sl_yaml_expect(list, SL_YAML_SEQ, "clients", err);
        if (r < 0)
                return r;
        if (list->count == 0)
                return sl_cfg_error_set(err, list, "clients",
                                        "clients is empty: expected at least one "
                                        "- url: http://loki:3100/loki/api/v1/push");
        c->clients = sl_xcalloc(list->count, sizeof(*c->clients));
        c->n_clients = list->count;
        for (size_t i = 0; i < list->count; i++) {
                client_defaults(&c->clients[i]);
                r = read_client(&c->clients[i], list->values[i], kp(key, "clients[%zu]", i), err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_static_config(struct sl_static_config *st, const struct sl_yaml_node *node,
                              const char *path, bool relabeled, struct sl_cfg_error *err) {
        const struct sl_yaml_node *targets, *labels;
        char key[KEY_MAX];
        int r;

        if (absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with labels: {__path__: GLOB}, got "
                                        "nothing");
        r = sl_yaml_map_check(node, path, static_config_keys, err);
        if (r < 0)
                return r;
        /* targets is accepted for Promtail compatibility; files come from __path__. */
        targets = sl_yaml_get(node, "targets");
        r = sl_yaml_expect(targets, SL_YAML_SEQ, kp(key, "%s.targets", path), err);
        if (r < 0)
                return r;
        for (size_t i = 0; targets && i < targets->count; i++) {
                r = sl_yaml_expect(targets->values[i], SL_YAML_SCALAR,
                                   kp(key, "%s.targets[%zu]", path, i), err);
                if (r < 0)
                        return r;
        }
        if (targets && targets->kind == SL_YAML_SEQ && targets->count > 0) {
                st->targets = sl_xcalloc(targets->count + 1, sizeof(*st->targets));
                for (size_t i = 0; i < targets->count; i++)
                        if (targets->values[i]->kind == SL_YAML_SCALAR)
                                st->targets[st->n_targets++] = sl_xstrdup(targets->values[i]->text);
        }
        labels = sl_yaml_get(node, "labels");
        r = read_labels(labels, kp(key, "%s.labels", path), "__path__", &st->labels, &st->n_labels,
                        &st->path_glob, err);
        if (r < 0)
                return r;
        /* With relabel_configs, __path__ may come from a rule. */
        if (!st->path_glob && !relabeled)
                return sl_cfg_error_set(err, absent(labels) ? node : labels,
                                        kp(key, "%s.labels.__path__", path),
                                        "__path__ is required: the files to read, e.g. "
                                        "labels: {__path__: /var/lib/docker/containers/*/"
                                        "*-json.log}");
        return 0;
}

static bool pipeline_name_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++) {
                char c = *s;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-'))
                        return false;
        }
        return true;
}

/* The already loaded doc of @file, or NULL. */
static struct sl_yaml_doc *find_doc(const struct sl_config *c, const char *file) {
        for (size_t i = 0; i < c->n_docs; i++)
                if (strcmp(c->docs[i]->file, file) == 0)
                        return c->docs[i];
        return NULL;
}

static void add_doc(struct sl_config *c, struct sl_yaml_doc *doc) {
        c->docs = sl_xrealloc(c->docs, (c->n_docs + 1) * sizeof(*c->docs));
        c->docs[c->n_docs++] = doc;
}

/* Checks the shape of a pipeline file: a map with pipeline_stages (a
 * sequence) and an optional description. */
static int check_pipeline_doc(const struct sl_yaml_doc *doc, struct sl_cfg_error *err) {
        const struct sl_yaml_node *root = doc->root, *stages;
        char *description = NULL;
        int r;

        if (root->kind == SL_YAML_NULL)
                return sl_cfg_error_set(err, root, NULL,
                                        "the pipeline file is empty; expected a map with "
                                        "pipeline_stages: [...]");
        r = sl_yaml_map_check(root, NULL, pipeline_file_keys, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_string(sl_yaml_get(root, "description"), "description", &description, err);
        free(description);
        if (r < 0)
                return r;
        stages = sl_yaml_get(root, "pipeline_stages");
        if (!stages)
                return sl_cfg_error_set(err, root, "pipeline_stages",
                                        "pipeline_stages is required: the list of stages");
        return sl_yaml_expect(stages, SL_YAML_SEQ, "pipeline_stages", err);
}

/* Resolves `pipeline: NAME` (@node, at @key) to NAME.yaml in the pipelines
 * directory, loading it once per config. */
static int read_pipeline_ref(struct sl_config *c, struct sl_scrape_config *sc,
                             const struct sl_yaml_node *node, const char *key,
                             struct sl_cfg_error *err) {
        _cleanup_free_ char *name = NULL, *file = NULL, *path = NULL;
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *loaded = NULL;
        struct sl_yaml_doc *doc;
        size_t len;
        int r;

        r = read_string(node, key, false, &name, err);
        if (r < 0)
                return r;
        if (!name)
                return sl_cfg_error_set(err, node, key,
                                        "expected a pipeline name such as pino, got nothing");
        len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, ".yaml") == 0)
                return sl_cfg_error_set(err, node, key,
                                        "expected a pipeline name without .yaml (pipeline: %.*s "
                                        "reads %.*s.yaml from %s)", (int)(len - 5), name,
                                        (int)(len - 5), name, c->pipelines_dir);
        if (!pipeline_name_valid(name))
                return sl_cfg_error_set(err, node, key,
                                        "expected a pipeline name of letters, digits, _ . and - "
                                        "(a file NAME.yaml in %s), got \"%s\"", c->pipelines_dir,
                                        name);
        file = sl_xasprintf("%s.yaml", name);
        path = sl_path_join(c->pipelines_dir, file);

        doc = find_doc(c, path);
        if (!doc) {
                struct sl_cfg_error ferr;

                r = sl_yaml_doc_load(path, &loaded, &ferr);
                if (r == -EINVAL) {
                        if (err)
                                *err = ferr;
                        return r;
                }
                if (r == -ENOENT)
                        return sl_cfg_error_set(err, node, key,
                                                "pipeline \"%s\" not found: no file %s", name,
                                                path);
                if (r < 0)
                        return sl_cfg_error_set(err, node, key,
                                                "cannot read pipeline \"%s\" from %s: %s", name,
                                                path, strerror(-r));
                r = check_pipeline_doc(loaded, err);
                if (r < 0)
                        return r;
                doc = TAKE_PTR(loaded);
                add_doc(c, doc);
        }
        sc->pipeline_stages = sl_yaml_get(doc->root, "pipeline_stages");
        /* sluice's own: a pipeline file's relabel_configs follow the job's. */
        r = sl_discovery_config_append_relabel(&sc->discovery,
                                               sl_yaml_get(doc->root, "relabel_configs"),
                                               "relabel_configs", err);
        if (r < 0)
                return r;
        sc->pipeline_file = TAKE_PTR(path);
        sc->pipeline_name = TAKE_PTR(name);
        return 0;
}

/* Reads item @idx of the scrape_configs sequence @jobs. */
static int read_scrape_config(struct sl_config *c, const struct sl_yaml_node *jobs, size_t idx,
                              struct sl_cfg_error *err) {
        struct sl_scrape_config *sc = &c->scrape_configs[idx];
        const struct sl_yaml_node *node = jobs->values[idx];
        const struct sl_yaml_node *v, *list, *stages, *pipeline;
        char path[KEY_MAX], key[KEY_MAX];
        int r;

        kp(path, "scrape_configs[%zu]", idx);
        if (absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with job_name and static_configs, got "
                                        "nothing");
        r = sl_yaml_map_check(node, path, scrape_keys, err);
        if (r < 0)
                return r;

        v = sl_yaml_get(node, "job_name");
        r = read_string(v, kp(key, "%s.job_name", path), false, &sc->job_name, err);
        if (r < 0)
                return r;
        if (!sc->job_name)
                return sl_cfg_error_set(err, absent(v) ? node : v, key,
                                        "job_name is required: it names the job and becomes its "
                                        "job label");
        for (size_t i = 0; i < idx; i++) {
                if (strcmp(c->scrape_configs[i].job_name, sc->job_name) == 0) {
                        const struct sl_yaml_node *first =
                                sl_yaml_get(jobs->values[i], "job_name");
                        return sl_cfg_error_set(err, v, key,
                                                "duplicate job_name \"%s\": first at line %u, "
                                                "again at line %u", sc->job_name, first->line,
                                                v->line);
                }
        }

        /* relabel_configs, docker_sd_configs, kubernetes_sd_configs:
         * config/discovery-config.c. */
        r = sl_discovery_config_read(node, path, &sc->discovery, err);
        if (r < 0)
                return r;
        list = sl_yaml_get(node, "static_configs");
        r = sl_yaml_expect(list, SL_YAML_SEQ, kp(key, "%s.static_configs", path), err);
        if (r < 0)
                return r;
        if ((absent(list) || list->count == 0) &&
            !(sc->discovery && (sc->discovery->n_docker || sc->discovery->n_kube)))
                return sl_cfg_error_set(err, absent(list) ? node : list, key,
                                        "static_configs is required (or docker_sd_configs, "
                                        "kubernetes_sd_configs): at least one "
                                        "- labels: {__path__: GLOB} naming the files to read");
        if (!absent(list) && list->count > 0) {
                sc->static_configs = sl_xcalloc(list->count, sizeof(*sc->static_configs));
                sc->n_static_configs = list->count;
        }
        for (size_t i = 0; sc->static_configs && i < list->count; i++) {
                r = read_static_config(&sc->static_configs[i], list->values[i],
                                       kp(key, "%s.static_configs[%zu]", path, i),
                                       sc->discovery && sc->discovery->n_relabel > 0, err);
                if (r < 0)
                        return r;
        }

        r = read_decompression(sc, sl_yaml_get(node, "decompression"),
                               kp(key, "%s.decompression", path), err);
        if (r < 0)
                return r;
        stages = sl_yaml_get(node, "pipeline_stages");
        pipeline = sl_yaml_get(node, "pipeline");
        if (stages && pipeline)
                return sl_cfg_error_set(err, key_of(node, "pipeline"), kp(key, "%s.pipeline", path),
                                        "use either pipeline_stages (stages written here) or "
                                        "pipeline: NAME (a file in %s), not both",
                                        c->pipelines_dir);
        if (pipeline)
                return read_pipeline_ref(c, sc, pipeline, kp(key, "%s.pipeline", path), err);
        r = sl_yaml_expect(stages, SL_YAML_SEQ, kp(key, "%s.pipeline_stages", path), err);
        if (r < 0)
                return r;
        if (!absent(stages)) {
                /* The stages are the pipeline's to interpret; only keep them. */
                sc->pipeline_stages = stages;
                sc->pipeline_file = sl_xstrdup(c->file);
        }
        return 0;
}

static int read_scrape_configs(struct sl_config *c, const struct sl_yaml_node *root,
                               struct sl_cfg_error *err) {
        const struct sl_yaml_node *list = sl_yaml_get(root, "scrape_configs");
        int r;

        if (absent(list))
                return sl_cfg_error_set(err, list ? list : root, "scrape_configs",
                                        "no scrape_configs: add at least one job with job_name "
                                        "and static_configs");
        r = sl_yaml_expect(list, SL_YAML_SEQ, "scrape_configs", err);
        if (r < 0)
                return r;
        if (list->count == 0)
                return sl_cfg_error_set(err, list, "scrape_configs",
                                        "scrape_configs is empty: expected at least one job with "
                                        "job_name and static_configs");
        c->scrape_configs = sl_xcalloc(list->count, sizeof(*c->scrape_configs));
        c->n_scrape_configs = list->count;
        for (size_t i = 0; i < list->count; i++) {
                r = read_scrape_config(c, list, i, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* @override, else "<dir of config>/pipelines" when it is a directory, else
 * the system directory. */
static char *pipelines_dir(const char *config_path, const char *override) {
        _cleanup_free_ char *dir = NULL;
        char *candidate;
        struct stat st;

        if (override)
                return sl_xstrdup(override);
        dir = sl_path_dirname(config_path);
        candidate = sl_path_join(dir, "pipelines");
        if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode))
                return candidate;
        free(candidate);
        return sl_xstrdup(DEFAULT_PIPELINES_DIR);
}

static struct sl_config *config_new(const char *path) {
        struct sl_config *c = sl_xnew(struct sl_config);

        c->file = sl_xstrdup(path);
        c->server.listen_address = sl_xstrdup(DEFAULT_LISTEN_ADDRESS);
        c->server.listen_port = DEFAULT_LISTEN_PORT;
        c->server.log_level = sl_xstrdup(DEFAULT_LOG_LEVEL);
        c->server.graceful_shutdown_timeout_ns = DEFAULT_GRACEFUL_SHUTDOWN_NS;
        c->positions.filename = sl_xstrdup(DEFAULT_POSITIONS_FILE);
        c->positions.sync_period_ns = DEFAULT_POSITIONS_SYNC_NS;
        c->target.sync_period_ns = DEFAULT_TARGET_SYNC_NS;
        c->target.poll_period_ns = DEFAULT_POLL_PERIOD_NS;
        c->limits.max_line_size = DEFAULT_MAX_LINE_SIZE;
        c->limits.max_buffered_bytes = DEFAULT_MAX_BUFFERED_BYTES;
        return c;
}

/* Replaces ${VAR} and ${VAR:-default} in @in by the environment's values
 * (an unset VAR without default is an error naming it); "$$" gives "$".
 * Other '$' are kept, so regular expressions such as "error$" pass as they are. */
static int expand_env(const char *path, const char *in, size_t len, struct sl_buf *out,
                      struct sl_cfg_error *err) {
        unsigned line = 1;

        for (size_t i = 0; i < len; i++) {
                const char *close, *name, *def = NULL, *value;
                size_t name_len, def_len = 0;
                char var[256];

                if (in[i] == '\n')
                        line++;
                if (in[i] != '$' || i + 1 >= len || (in[i + 1] != '{' && in[i + 1] != '$')) {
                        if (sl_buf_putc(out, in[i]) < 0)
                                goto out_too_big;
                        continue;
                }
                if (in[i + 1] == '$') {
                        if (sl_buf_putc(out, '$') < 0)
                                goto out_too_big;
                        i++;
                        continue;
                }
                close = memchr(in + i + 2, '}', len - i - 2);
                if (!close || memchr(in + i + 2, '\n', (size_t)(close - in - i - 2))) {
                        snprintf(err->file, sizeof(err->file), "%s", path);
                        err->line = line;
                        snprintf(err->msg, sizeof(err->msg), "unterminated ${ in -config.expand-env");
                        return -EINVAL;
                }
                name = in + i + 2;
                name_len = (size_t)(close - name);
                for (size_t k = 0; k + 1 < name_len; k++)
                        if (name[k] == ':' && name[k + 1] == '-') {
                                def = name + k + 2;
                                def_len = name_len - k - 2;
                                name_len = k;
                                break;
                        }
                if (name_len == 0 || name_len >= sizeof(var)) {
                        snprintf(err->file, sizeof(err->file), "%s", path);
                        err->line = line;
                        snprintf(err->msg, sizeof(err->msg), "bad variable reference ${%.*s}",
                                 (int)SL_MIN(name_len, 64), name);
                        return -EINVAL;
                }
                memcpy(var, name, name_len);
                var[name_len] = '\0';
                value = getenv(var);
                if (value && *value) {
                        if (sl_buf_append(out, value, strlen(value)) < 0)
                                goto out_too_big;
                } else if (def) {
                        for (size_t k = 0; k < def_len; k++) {
                                if (def[k] == '$' && k + 1 < def_len && def[k + 1] == '$')
                                        k++;
                                if (sl_buf_putc(out, def[k]) < 0)
                                        goto out_too_big;
                        }
                } else {
                        snprintf(err->file, sizeof(err->file), "%s", path);
                        err->line = line;
                        snprintf(err->key, sizeof(err->key), "${%.100s}", var);
                        snprintf(err->msg, sizeof(err->msg),
                                 "environment variable %.100s is not set (write ${%.100s:-default} to give a default)",
                                 var, var);
                        return -EINVAL;
                }
                i = (size_t)(close - in);
        }
        return 0;

out_too_big:
        snprintf(err->file, sizeof(err->file), "%s", path);
        snprintf(err->msg, sizeof(err->msg), "the config is too large after -config.expand-env");
        return -EINVAL;
}

static int load_root_doc(const char *path, bool expand, struct sl_yaml_doc **ret_doc,
                         struct sl_cfg_error *err) {
        _cleanup_free_ char *data = NULL;
        struct sl_buf out;
        size_t len = 0;
        int r;

        if (!expand)
                return sl_yaml_doc_load(path, ret_doc, err);
        r = sl_read_file(path, 4u << 20, &data, &len);
        if (r < 0)
                return r;
        sl_buf_init(&out, 8u << 20);
        r = expand_env(path, data, len, &out, err);
        if (r == 0)
                r = sl_yaml_doc_parse(path, out.data ? out.data : "", out.len, ret_doc, err);
        sl_buf_release(&out);
        return r;
}

int sl_config_load(const char *path, const char *pipelines_dir_override,
                   struct sl_config **ret_config, struct sl_cfg_error *err) {
        struct sl_config_load_options o = { .pipelines_dir = pipelines_dir_override };
        return sl_config_load_opts(path, &o, ret_config, err);
}

int sl_config_load_opts(const char *path, const struct sl_config_load_options *opts,
                        struct sl_config **ret_config, struct sl_cfg_error *err) {
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        const char *pipelines_dir_override = opts->pipelines_dir;
        struct sl_yaml_doc *doc = NULL;
        const struct sl_yaml_node *root;
        int r;

        r = load_root_doc(path, opts->expand_env, &doc, err);
        if (r == -EINVAL)
                return r;
        if (r < 0) {
                r = sl_cfg_error_set(err, NULL, NULL, "cannot read the config file: %s",
                                     strerror(-r));
                if (err)
                        snprintf(err->file, sizeof(err->file), "%s", path);
                return r;
        }
        c = config_new(path);
        add_doc(c, doc);
        c->pipelines_dir = pipelines_dir(path, pipelines_dir_override);

        root = doc->root;
        if (root->kind == SL_YAML_NULL)
                return sl_cfg_error_set(err, root, NULL,
                                        "the config file is empty; expected a map with at least "
                                        "clients and scrape_configs");
        if (root->kind != SL_YAML_MAP)
                return sl_cfg_error_set(err, root, NULL,
                                        "expected a map of sections (server, positions, clients, "
                                        "scrape_configs, ...), got a %s",
                                        sl_yaml_kind_name(root->kind));
        r = sl_yaml_map_check(root, NULL, top_keys, err);
        if (r < 0)
                return r;
        r = read_server(c, sl_yaml_get(root, "server"), err);
        if (r < 0)
                return r;
        r = read_positions(c, sl_yaml_get(root, "positions"), err);
        if (r < 0)
                return r;
        r = read_clients(c, root, err);
        if (r < 0)
                return r;
        r = read_target(c, sl_yaml_get(root, "target_config"), err);
        if (r < 0)
                return r;
        r = read_limits(c, sl_yaml_get(root, "limits_config"), err);
        if (r < 0)
                return r;
        r = read_scrape_configs(c, root, err);
        if (r < 0)
                return r;
        *ret_config = TAKE_PTR(c);
        return 0;
}
