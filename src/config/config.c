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
#include "config/config-internal.h"
#include "config/discovery-config.h"
#include "config/keys.h"

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
/* Loki 3.4's limits_config defaults for a stream's labels. */
#define DEFAULT_MAX_LABEL_NAMES 15
#define DEFAULT_MAX_LABEL_NAME_LENGTH 1024
#define DEFAULT_MAX_LABEL_VALUE_LENGTH 2048
#define DEFAULT_LOG_FORMAT "logfmt"
/* Promtail's flag defaults for limits_config. */
#define DEFAULT_READLINE_RATE 10000.0
#define DEFAULT_READLINE_BURST 10000
#define DEFAULT_READLINE_RATE_DROP true
#define DEFAULT_PIPELINES_DIR "/etc/sluice/pipelines"
#define DEFAULT_RECEIVER_CONNECTIONS 64
#define DEFAULT_RECEIVER_BODY_SIZE (16ULL << 20)
#define DEFAULT_RECEIVER_ENTRIES 100000
#define DEFAULT_RECEIVER_ACK_TIMEOUT_NS (10 * NS_PER_SEC)

#define NS_PER_MSEC 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* Promtail's decompression block (read_decompression). */
static const char *const decompression_keys[] = {
        "enabled", "format", "initial_delay", NULL,
};
static const char *const pipeline_file_keys[] = {
        "description", "pipeline_stages", "relabel_configs", NULL,
};
static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const log_formats[] = { "logfmt", "json", NULL };

const char *sl_cfg_kp(char *buf, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, SL_CFG_KEY_MAX, fmt, ap);
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

static void headers_free(struct sl_header *headers, size_t n) {
        for (size_t i = 0; headers && i < n; i++) {
                free(headers[i].name);
                free(headers[i].value);
        }
        free(headers);
}

static void client_release(struct sl_client_config *c) {
        free(c->url);
        free(c->display_url);
        free(c->tenant_id);
        headers_free(c->headers, c->n_headers);
        labels_free(c->external_labels, c->n_external_labels);
        free(c->auth.username);
        free(c->auth.username_file);
        free(c->auth.password);
        free(c->auth.password_file);
        free(c->auth.type);
        free(c->auth.credentials);
        free(c->auth.credentials_file);
        free(c->tls.ca_file);
        free(c->tls.ca);
        free(c->tls.cert_file);
        free(c->tls.cert);
        free(c->tls.key_file);
        free(c->tls.key);
        free(c->tls.server_name);
        free(c->tls.min_version);
        free(c->tls.max_version);
        free(c->proxy.url);
        free(c->proxy.no_proxy);
        headers_free(c->proxy.connect_headers, c->proxy.n_connect_headers);
}

void sl_config_free(struct sl_config *config) {
        if (!config)
                return;
        free(config->file);
        free(config->server.listen_address);
        free(config->server.log_level);
        free(config->server.log_format);
        free(config->positions.filename);
        for (size_t i = 0; config->clients && i < config->n_clients; i++)
                client_release(&config->clients[i]);
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
                free(sc->receiver.listen_address);
                labels_free(sc->receiver.labels, sc->receiver.n_labels);
                free(sc->pipeline_file);
                free(sc->pipeline_name);
                sl_discovery_config_free(sc->discovery);
        }
        free(config->scrape_configs);
        free(config->pipelines_dir);
        for (size_t i = 0; config->target.rotated_suffixes && config->target.rotated_suffixes[i]; i++)
                free(config->target.rotated_suffixes[i]);
        free(config->target.rotated_suffixes);
        free(config->warnings);
        for (size_t i = 0; config->docs && i < config->n_docs; i++)
                sl_yaml_doc_free(config->docs[i]);
        free(config->docs);
        free(config);
}

/* ---- typed readers on top of the yaml-doc converters ---------------------- */

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
        if (!sl_cfg_absent(node) && v == 0 && !allow_zero)
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
        if (!sl_cfg_absent(node) && v == 0 && !allow_zero)
                return sl_cfg_error_set(err, node, key,
                                        "expected a size above 0, such as 1048576, 512KiB or "
                                        "1MB, got \"%s\"", node->text);
        *ret = v;
        return 0;
}

bool sl_cfg_label_name_valid(const char *s) {
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
        char key[SL_CFG_KEY_MAX];
        int r;

        r = sl_yaml_expect(map, SL_YAML_MAP, path, err);
        if (r < 0)
                return r;
        if (sl_cfg_absent(map))
                return 0;
        labels = sl_xcalloc(map->count, sizeof(*labels));
        for (size_t i = 0; i < map->count; i++) {
                const struct sl_yaml_node *k = map->keys[i], *v = map->values[i];
                const char *name = k->text;
                char *value = NULL;

                sl_cfg_kp(key, "%s.%s", path, name);
                if (keep_path && strcmp(name, keep_path) == 0) {
                        r = read_string(v, key, false, ret_path, err);
                        if (r < 0)
                                goto out_free;
                        if (!*ret_path) {
                                r = sl_cfg_error_set(err, sl_cfg_absent(v) ? k : v, key,
                                                     "expected a file glob such as "
                                                     "/var/lib/docker/containers/*/*-json.log");
                                goto out_free;
                        }
                        continue;
                }
                if (!sl_cfg_label_name_valid(name)) {
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
                        r = sl_cfg_error_set(err, sl_cfg_absent(v) ? k : v, key,
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

/* Replaces *@field with @node's string when it is one of @allowed. */
static int read_choice(const struct sl_yaml_node *node, const char *key,
                       const char *const *allowed, const char *expected, char **field,
                       struct sl_cfg_error *err) {
        char *v = NULL;
        bool known = false;
        int r;

        r = sl_yaml_as_string(node, key, &v, err);
        if (r < 0 || !v)
                return r;
        for (size_t i = 0; allowed[i]; i++)
                known = known || strcmp(v, allowed[i]) == 0;
        if (!known) {
                free(v);
                return sl_cfg_error_set(err, node, key, "expected one of %s, got \"%s\"",
                                        expected, node->text);
        }
        free(*field);
        *field = v;
        return 0;
}

static int read_server(struct sl_config *c, const struct sl_yaml_node *node,
                       struct sl_cfg_error *err) {
        int64_t port = c->server.listen_port;
        int r;

        r = sl_keys_check(node, "server", sl_keys_server, c, err);
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
        r = sl_yaml_as_bool(sl_yaml_get(node, "enable_runtime_reload"),
                            "server.enable_runtime_reload", &c->server.enable_runtime_reload,
                            err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "disable"), "server.disable", &c->server.disable,
                            err);
        if (r < 0)
                return r;
        r = read_choice(sl_yaml_get(node, "log_level"), "server.log_level", log_levels,
                        "debug, info, warn, error", &c->server.log_level, err);
        if (r < 0)
                return r;
        r = read_choice(sl_yaml_get(node, "log_format"), "server.log_format", log_formats,
                        "logfmt, json", &c->server.log_format, err);
        if (r < 0)
                return r;
        return read_duration(sl_yaml_get(node, "graceful_shutdown_timeout"),
                             "server.graceful_shutdown_timeout", true,
                             &c->server.graceful_shutdown_timeout_ns, err);
}

static int read_positions(struct sl_config *c, const struct sl_yaml_node *node,
                          struct sl_cfg_error *err) {
        int r;

        r = sl_keys_check(node, "positions", sl_keys_positions, c, err);
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
        char k[SL_CFG_KEY_MAX];
        int r = sl_yaml_expect(node, SL_YAML_SEQ, key, err);

        if (r < 0 || sl_cfg_absent(node))
                return r;
        if (node->count == 0)
                return sl_cfg_error_set(err, node, key,
                                        "expected at least one suffix, e.g. [\".[0-9]*\", "
                                        "\"-[0-9]*\"]");
        *ret = sl_xcalloc(node->count + 1, sizeof(**ret));
        for (size_t i = 0; i < node->count; i++) {
                r = read_string(node->values[i], sl_cfg_kp(k, "%s[%zu]", key, i), false, &(*ret)[i],
                                err);
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
        char key[SL_CFG_KEY_MAX];
        int r;

        if (sl_cfg_absent(node))
                return 0;
        r = sl_yaml_map_check(node, path, decompression_keys, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "enabled"), sl_cfg_kp(key, "%s.enabled", path),
                            &sc->decompression_enabled, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "initial_delay"),
                          sl_cfg_kp(key, "%s.initial_delay", path),
                          true, &sc->decompression_initial_delay_ns, err);
        if (r < 0)
                return r;
        r = read_string(sl_yaml_get(node, "format"), sl_cfg_kp(key, "%s.format", path), false,
                        &format, err);
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

        r = sl_keys_check(node, "target_config", sl_keys_target, c, err);
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

/* A count from 0 (no limit) to UINT32_MAX into *@ret (kept when absent). */
static int read_count(const struct sl_yaml_node *node, const char *key, uint32_t *ret,
                      struct sl_cfg_error *err) {
        int64_t v = *ret;
        int r = sl_yaml_as_int(node, key, 0, UINT32_MAX, &v, err);

        if (r == 0)
                *ret = (uint32_t)v;
        return r;
}

/* A number (Promtail's float64): decimal, with an optional fraction and
 * exponent; finite and above 0. */
static int read_rate(const struct sl_yaml_node *node, const char *key, double *ret,
                     struct sl_cfg_error *err) {
        char *end = NULL;
        double v;
        int r;

        if (sl_cfg_absent(node))
                return 0;
        r = sl_yaml_expect(node, SL_YAML_SCALAR, key, err);
        if (r < 0)
                return r;
        errno = 0;
        v = strtod(node->text, &end);
        if (end == node->text || *end || errno || !(v > 0) || v > 1e12)
                return sl_cfg_error_set(err, node, key,
                                        "expected a number of lines per second above 0, such as "
                                        "100 or 2.5, got \"%s\"", node->text);
        *ret = v;
        return 0;
}

static int read_limits(struct sl_config *c, const struct sl_yaml_node *node,
                       struct sl_cfg_error *err) {
        const struct sl_yaml_node *v;
        int64_t burst = (int64_t)c->limits.readline_burst;
        int64_t streams = (int64_t)c->limits.max_streams;
        int r;

        r = sl_keys_check(node, "limits_config", sl_keys_limits, c, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "readline_rate_enabled"),
                            "limits_config.readline_rate_enabled",
                            &c->limits.readline_rate_enabled, err);
        if (r < 0)
                return r;
        r = read_rate(sl_yaml_get(node, "readline_rate"), "limits_config.readline_rate",
                      &c->limits.readline_rate, err);
        if (r < 0)
                return r;
        /* A burst of 0 lets no line through: Promtail would drop every
         * line (or not limit at all when waiting). */
        v = sl_yaml_get(node, "readline_burst");
        r = sl_yaml_as_int(v, "limits_config.readline_burst", 1, INT32_MAX, &burst, err);
        if (r < 0)
                return r;
        c->limits.readline_burst = (uint64_t)burst;
        r = sl_yaml_as_bool(sl_yaml_get(node, "readline_rate_drop"),
                            "limits_config.readline_rate_drop", &c->limits.readline_rate_drop,
                            err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "max_streams"), "limits_config.max_streams", 0,
                           INT32_MAX, &streams, err);
        if (r < 0)
                return r;
        c->limits.max_streams = (uint64_t)streams;
        r = read_size(sl_yaml_get(node, "max_line_size"), "limits_config.max_line_size", true,
                      &c->limits.max_line_size, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "max_line_size_truncate"),
                            "limits_config.max_line_size_truncate",
                            &c->limits.max_line_size_truncate, err);
        if (r < 0)
                return r;
        r = read_size(sl_yaml_get(node, "max_buffered_bytes"), "limits_config.max_buffered_bytes", false,
                      &c->limits.max_buffered_bytes, err);
        if (r < 0)
                return r;
        r = read_count(sl_yaml_get(node, "max_label_names_per_series"),
                       "limits_config.max_label_names_per_series", &c->limits.max_label_names, err);
        if (r < 0)
                return r;
        r = read_count(sl_yaml_get(node, "max_label_name_length"), "limits_config.max_label_name_length",
                       &c->limits.max_label_name_length, err);
        if (r < 0)
                return r;
        r = read_count(sl_yaml_get(node, "max_label_value_length"), "limits_config.max_label_value_length",
                       &c->limits.max_label_value_length, err);
        if (r < 0)
                return r;
        return sl_yaml_as_bool(sl_yaml_get(node, "drop_over_label_limits"),
                               "limits_config.drop_over_label_limits", &c->limits.drop_over_label_limits,
                               err);
}

/* global.file_watch_config.min_poll_frequency is how often Promtail polls
 * files: sluice's poll period, unless target_config.poll_period is set. */
static int read_global(struct sl_config *c, const struct sl_yaml_node *root,
                       struct sl_cfg_error *err) {
        const struct sl_yaml_node *node = sl_yaml_get(root, "global"), *watch;
        uint64_t ns = c->target.poll_period_ns;
        int r;

        r = sl_keys_check(node, "global", sl_keys_global, c, err);
        if (r < 0)
                return r;
        watch = sl_yaml_get(node, "file_watch_config");
        r = sl_keys_check(watch, "global.file_watch_config", sl_keys_file_watch, c, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(watch, "min_poll_frequency"),
                          "global.file_watch_config.min_poll_frequency", false, &ns, err);
        if (r < 0)
                return r;
        if (sl_cfg_absent(sl_yaml_get(sl_yaml_get(root, "target_config"), "poll_period")))
                c->target.poll_period_ns = ns;
        return 0;
}

char *sl_url_without_userinfo(const char *url) {
        const char *scheme = strstr(url, "://"), *host, *at, *end;

        if (!scheme)
                return sl_xstrdup(url);
        host = scheme + 3;
        end = host + strcspn(host, "/?#");
        at = memrchr(host, '@', (size_t)(end - host));
        if (!at)
                return sl_xstrdup(url);
        return sl_xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

static bool has_prefix_nocase(const char *s, const char *prefix) {
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* RFC 9110 token characters: what a header name may hold. */
static bool header_name_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch)))
                        return false;
        }
        return true;
}

/* Appends @name: @value (copied) to @headers. */
static void header_add(struct sl_header **headers, size_t *n, const char *name,
                       const char *value) {
        *headers = sl_xrealloc(*headers, (*n + 1) * sizeof(**headers));
        (*headers)[*n].name = sl_xstrdup(name);
        (*headers)[(*n)++].value = sl_xstrdup(value);
}

/* Reads the value of one header at @key: a string without line breaks. */
static int read_header_value(const struct sl_yaml_node *v, const char *key, char **ret,
                             struct sl_cfg_error *err) {
        int r = read_string(v, key, true, ret, err);
        if (r < 0)
                return r;
        if (!*ret)
                *ret = sl_xstrdup("");
        if (strpbrk(*ret, "\r\n"))
                return sl_cfg_error_set(err, v, key, "a header value cannot hold a line break");
        return 0;
}

/* clients[].headers: name -> value. Promtail does not overwrite the headers
 * it sets itself, and logs that it skips them: so does sluice, at load. */
static int read_headers(struct sl_config *c, struct sl_client_config *cl,
                        const struct sl_yaml_node *map, const char *path,
                        struct sl_cfg_error *err) {
        static const char *const own[] = { "Content-Type", "User-Agent", "Expect" };
        char key[SL_CFG_KEY_MAX];
        int r;

        r = sl_yaml_expect(map, SL_YAML_MAP, path, err);
        if (r < 0 || sl_cfg_absent(map))
                return r;
        for (size_t i = 0; i < map->count; i++) {
                const char *name = map->keys[i]->text;
                _cleanup_free_ char *value = NULL;
                bool skip = false;

                sl_cfg_kp(key, "%s.%s", path, name);
                if (!header_name_valid(name))
                        return sl_cfg_error_set(err, map->keys[i], key,
                                                "invalid header name \"%s\": expected letters, "
                                                "digits and !#$%%&'*+-.^_`|~", name);
                r = read_header_value(map->values[i], key, &value, err);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < SL_ARRAY_SIZE(own); k++)
                        skip = skip || strcasecmp(name, own[k]) == 0;
                if (skip || (cl->tenant_id && strcasecmp(name, "X-Scope-OrgID") == 0)) {
                        sl_config_warn(c, map->keys[i], key,
                                       "not sent: sluice sets %s itself%s", name,
                                       skip ? "" : " (from tenant_id)");
                        continue;
                }
                header_add(&cl->headers, &cl->n_headers, name, value);
        }
        return 0;
}

/* Reads the string at @node into *@field, refusing a second way of giving
 * the same thing (@other, already read from @other_name). */
static int read_exclusive(const struct sl_yaml_node *parent, const char *name,
                          const char *other_name, const char *other, const char *path,
                          char **field, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v = sl_yaml_get(parent, name);
        char key[SL_CFG_KEY_MAX];
        int r;

        r = read_string(v, sl_cfg_kp(key, "%s.%s", path, name), true, field, err);
        if (r < 0)
                return r;
        if (*field && !**field) {
                free(*field);
                *field = NULL;
        }
        if (*field && other)
                return sl_cfg_error_set(err, v, key, "use either %s or %s, not both", other_name,
                                        name);
        return 0;
}

static int read_basic_auth(struct sl_config *c, struct sl_client_auth *a,
                           const struct sl_yaml_node *node, const char *path,
                           struct sl_cfg_error *err) {
        int r;

        r = sl_keys_check(node, path, sl_keys_basic_auth, c, err);
        if (r < 0 || sl_cfg_absent(node))
                return r;
        a->basic = true;
        r = read_exclusive(node, "username", NULL, NULL, path, &a->username, err);
        if (r < 0)
                return r;
        r = read_exclusive(node, "username_file", "username", a->username, path,
                           &a->username_file, err);
        if (r < 0)
                return r;
        r = read_exclusive(node, "password", NULL, NULL, path, &a->password, err);
        if (r < 0)
                return r;
        return read_exclusive(node, "password_file", "password", a->password, path,
                              &a->password_file, err);
}

/* authorization, or the older bearer_token / bearer_token_file, which
 * Prometheus reads as authorization of type Bearer. */
static int read_authorization(struct sl_config *c, struct sl_client_auth *a,
                              const struct sl_yaml_node *client, const char *path,
                              struct sl_cfg_error *err) {
        const struct sl_yaml_node *node = sl_yaml_get(client, "authorization");
        _cleanup_free_ char *token = NULL, *token_file = NULL;
        char key[SL_CFG_KEY_MAX], sub[SL_CFG_KEY_MAX];
        int r;

        r = read_exclusive(client, "bearer_token", NULL, NULL, path, &token, err);
        if (r < 0)
                return r;
        r = read_exclusive(client, "bearer_token_file", "bearer_token", token, path,
                           &token_file, err);
        if (r < 0)
                return r;
        if ((token || token_file) && a->basic)
                return sl_cfg_error_set(err, key_of(client, token ? "bearer_token" :
                                                                    "bearer_token_file"),
                                        sl_cfg_kp(key, "%s.%s", path, token ? "bearer_token" :
                                                                       "bearer_token_file"),
                                        "use either basic_auth or a bearer token, not both");
        sl_cfg_kp(key, "%s.authorization", path);
        r = sl_keys_check(node, key, sl_keys_authorization, c, err);
        if (r < 0)
                return r;
        if (sl_cfg_absent(node)) {
                if (token || token_file) {
                        a->type = sl_xstrdup("Bearer");
                        a->credentials = TAKE_PTR(token);
                        a->credentials_file = TAKE_PTR(token_file);
                }
                return 0;
        }
        if (token || token_file)
                return sl_cfg_error_set(err, key_of(client, "authorization"), key,
                                        "use either authorization or bearer_token(_file), "
                                        "not both");
        if (a->basic)
                return sl_cfg_error_set(err, key_of(client, "authorization"), key,
                                        "use either basic_auth or authorization, not both");
        r = read_string(sl_yaml_get(node, "type"), sl_cfg_kp(sub, "%s.type", key), true, &a->type,
                        err);
        if (r < 0)
                return r;
        if (!a->type || !*a->type) {
                free(a->type);
                a->type = sl_xstrdup("Bearer");
        }
        if (strcasecmp(a->type, "basic") == 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "type"), sub,
                                        "authorization type cannot be Basic: use basic_auth");
        r = read_exclusive(node, "credentials", NULL, NULL, key, &a->credentials, err);
        if (r < 0)
                return r;
        return read_exclusive(node, "credentials_file", "credentials", a->credentials, key,
                              &a->credentials_file, err);
}

/* The host of @url (http[s]://[user@]host[:port]/...), as a new string;
 * an IPv6 literal keeps no brackets. */
static char *url_host(const char *url) {
        const char *p = strstr(url, "://"), *end, *at;

        p = p ? p + 3 : url;
        end = p + strcspn(p, "/?#");
        at = memchr(p, '@', (size_t)(end - p));
        if (at)
                p = at + 1;
        if (*p == '[') {
                const char *close = memchr(p, ']', (size_t)(end - p));
                if (close)
                        return sl_xstrndup(p + 1, (size_t)(close - p - 1));
        }
        for (const char *q = p; q < end; q++)
                if (*q == ':')
                        end = q;
        return sl_xstrndup(p, (size_t)(end - p));
}

static int read_tls(struct sl_config *c, struct sl_client_tls *t, const char *url,
                    const struct sl_yaml_node *node, const char *path,
                    struct sl_cfg_error *err) {
        static const char *const versions[] = { "TLS10", "TLS11", "TLS12", "TLS13", NULL };
        char key[SL_CFG_KEY_MAX];
        int r;

        r = sl_keys_check(node, path, sl_keys_tls, c, err);
        if (r < 0 || sl_cfg_absent(node))
                return r;
        r = read_exclusive(node, "ca", NULL, NULL, path, &t->ca, err);
        if (r == 0)
                r = read_exclusive(node, "ca_file", "ca", t->ca, path, &t->ca_file, err);
        if (r == 0)
                r = read_exclusive(node, "cert", NULL, NULL, path, &t->cert, err);
        if (r == 0)
                r = read_exclusive(node, "cert_file", "cert", t->cert, path, &t->cert_file, err);
        if (r == 0)
                r = read_exclusive(node, "key", NULL, NULL, path, &t->key, err);
        if (r == 0)
                r = read_exclusive(node, "key_file", "key", t->key, path, &t->key_file, err);
        if (r == 0)
                r = read_exclusive(node, "server_name", NULL, NULL, path, &t->server_name, err);
        if (r < 0)
                return r;
        if (t->server_name && url) {
                _cleanup_free_ char *host = url_host(url);
                /* libcurl checks the certificate against the URL's host and
                 * has no way to name another one. */
                if (strcasecmp(host, t->server_name) != 0)
                        return sl_cfg_error_set(err, sl_yaml_get(node, "server_name"),
                                                sl_cfg_kp(key, "%s.server_name", path),
                                                "a server name other than the URL's host "
                                                "(\"%s\") is not supported yet: put \"%s\" in "
                                                "the url; %s", host, t->server_name,
                                                SL_KEYS_SEE_README);
        }
        if ((t->cert || t->cert_file) != (t->key || t->key_file))
                return sl_cfg_error_set(err, node, path,
                                        "a client certificate needs its key: give both "
                                        "cert_file (or cert) and key_file (or key)");
        r = sl_yaml_as_bool(sl_yaml_get(node, "insecure_skip_verify"),
                            sl_cfg_kp(key, "%s.insecure_skip_verify", path),
                            &t->insecure_skip_verify, err);
        if (r < 0)
                return r;
        r = read_choice(sl_yaml_get(node, "min_version"), sl_cfg_kp(key, "%s.min_version", path),
                        versions, "TLS10, TLS11, TLS12, TLS13", &t->min_version, err);
        if (r < 0)
                return r;
        return read_choice(sl_yaml_get(node, "max_version"), sl_cfg_kp(key, "%s.max_version", path),
                           versions, "TLS10, TLS11, TLS12, TLS13", &t->max_version, err);
}

/* proxy_url, no_proxy, proxy_from_environment, proxy_connect_header, with
 * Prometheus' rules on which go together. */
static int read_proxy(struct sl_client_proxy *p, const struct sl_yaml_node *client,
                      const char *path, struct sl_cfg_error *err) {
        const struct sl_yaml_node *h = sl_yaml_get(client, "proxy_connect_header");
        char key[SL_CFG_KEY_MAX], sub[SL_CFG_KEY_MAX];
        int r;

        r = read_exclusive(client, "proxy_url", NULL, NULL, path, &p->url, err);
        if (r < 0)
                return r;
        sl_cfg_kp(key, "%s.proxy_url", path);
        if (p->url && !((has_prefix_nocase(p->url, "http://") && p->url[7]) ||
                        (has_prefix_nocase(p->url, "https://") && p->url[8]) ||
                        (has_prefix_nocase(p->url, "socks5://") && p->url[9])))
                return sl_cfg_error_set(err, sl_yaml_get(client, "proxy_url"), key,
                                        "expected a proxy URL such as http://proxy:3128, got "
                                        "\"%s\"", p->url);
        r = read_exclusive(client, "no_proxy", NULL, NULL, path, &p->no_proxy, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(client, "proxy_from_environment"),
                            sl_cfg_kp(key, "%s.proxy_from_environment", path), &p->from_environment,
                            err);
        if (r < 0)
                return r;
        if (p->from_environment && (p->url || p->no_proxy))
                return sl_cfg_error_set(err, key_of(client, "proxy_from_environment"),
                                        sl_cfg_kp(key, "%s.proxy_from_environment", path),
                                        "with proxy_from_environment, set neither proxy_url "
                                        "nor no_proxy");
        if (p->no_proxy && !p->url)
                return sl_cfg_error_set(err, key_of(client, "no_proxy"),
                                        sl_cfg_kp(key, "%s.no_proxy", path),
                                        "no_proxy needs proxy_url");
        sl_cfg_kp(key, "%s.proxy_connect_header", path);
        r = sl_yaml_expect(h, SL_YAML_MAP, key, err);
        if (r < 0 || sl_cfg_absent(h))
                return r;
        for (size_t i = 0; i < h->count; i++) {
                const struct sl_yaml_node *list = h->values[i];
                const char *name = h->keys[i]->text;

                sl_cfg_kp(sub, "%s.%s", key, name);
                if (!header_name_valid(name))
                        return sl_cfg_error_set(err, h->keys[i], sub,
                                                "invalid header name \"%s\"", name);
                r = sl_yaml_expect(list, SL_YAML_SEQ, sub, err);
                for (size_t k = 0; r == 0 && list && k < list->count; k++) {
                        _cleanup_free_ char *value = NULL;
                        char item[SL_CFG_KEY_MAX];

                        r = read_header_value(list->values[k], sl_cfg_kp(item, "%s[%zu]", sub, k),
                                              &value, err);
                        if (r == 0)
                                header_add(&p->connect_headers, &p->n_connect_headers, name,
                                           value);
                }
                if (r < 0)
                        return r;
        }
        if (p->n_connect_headers && !p->url && !p->from_environment)
                return sl_cfg_error_set(err, key_of(client, "proxy_connect_header"), key,
                                        "proxy_connect_header needs proxy_url or "
                                        "proxy_from_environment");
        return 0;
}

/* Reads one client map. @need_url: false for Promtail's singular `client:`,
 * which may carry only external_labels for the other clients. */
static int read_client(struct sl_config *c, struct sl_client_config *cl,
                       const struct sl_yaml_node *node, const char *path, bool need_url,
                       struct sl_cfg_error *err) {
        const struct sl_yaml_node *v, *backoff;
        int64_t retries = (int64_t)cl->max_retries;
        char key[SL_CFG_KEY_MAX];
        int r;

        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with at least a url, got nothing");
        r = sl_keys_check(node, path, sl_keys_client, c, err);
        if (r < 0)
                return r;

        v = sl_yaml_get(node, "url");
        r = read_string(v, sl_cfg_kp(key, "%s.url", path), false, &cl->url, err);
        if (r < 0)
                return r;
        if (!cl->url && need_url)
                return sl_cfg_error_set(err, sl_cfg_absent(v) ? node : v, key,
                                        "url is required: the Loki push URL, e.g. "
                                        "http://loki:3100/loki/api/v1/push");
        if (cl->url && !((has_prefix_nocase(cl->url, "http://") && cl->url[7]) ||
                         (has_prefix_nocase(cl->url, "https://") && cl->url[8])))
                return sl_cfg_error_set(err, v, key,
                                        "expected an http:// or https:// URL such as "
                                        "http://loki:3100/loki/api/v1/push");

        r = read_string(sl_yaml_get(node, "tenant_id"), sl_cfg_kp(key, "%s.tenant_id", path), true,
                        &cl->tenant_id, err);
        if (r < 0)
                return r;
        if (cl->tenant_id && !*cl->tenant_id) {
                /* An empty tenant is no tenant: no X-Scope-OrgID header. */
                free(cl->tenant_id);
                cl->tenant_id = NULL;
        }
        r = read_headers(c, cl, sl_yaml_get(node, "headers"), sl_cfg_kp(key, "%s.headers", path),
                         err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "batchwait"), sl_cfg_kp(key, "%s.batchwait", path),
                          false, &cl->batchwait_ns, err);
        if (r < 0)
                return r;
        r = read_size(sl_yaml_get(node, "batchsize"), sl_cfg_kp(key, "%s.batchsize", path), false,
                      &cl->batchsize, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(node, "timeout"), sl_cfg_kp(key, "%s.timeout", path), false,
                          &cl->timeout_ns, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "drop_rate_limited_batches"),
                            sl_cfg_kp(key, "%s.drop_rate_limited_batches", path),
                            &cl->drop_rate_limited_batches, err);
        if (r < 0)
                return r;

        backoff = sl_yaml_get(node, "backoff_config");
        r = sl_keys_check(backoff, sl_cfg_kp(key, "%s.backoff_config", path), sl_keys_backoff, c,
                          err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(backoff, "min_period"),
                          sl_cfg_kp(key, "%s.backoff_config.min_period", path), false,
                          &cl->backoff_min_ns, err);
        if (r < 0)
                return r;
        r = read_duration(sl_yaml_get(backoff, "max_period"),
                          sl_cfg_kp(key, "%s.backoff_config.max_period", path), false,
                          &cl->backoff_max_ns, err);
        if (r < 0)
                return r;
        if (cl->backoff_min_ns > cl->backoff_max_ns) {
                v = sl_yaml_get(backoff, "min_period");
                return sl_cfg_error_set(err, sl_cfg_absent(v) ? backoff : v,
                                        sl_cfg_kp(key, "%s.backoff_config.min_period", path),
                                        "min_period must not be longer than max_period");
        }
        r = sl_yaml_as_int(sl_yaml_get(backoff, "max_retries"),
                           sl_cfg_kp(key, "%s.backoff_config.max_retries", path), 0, INT32_MAX,
                           &retries, err);
        if (r < 0)
                return r;
        cl->max_retries = (uint64_t)retries;

        r = read_labels(sl_yaml_get(node, "external_labels"),
                        sl_cfg_kp(key, "%s.external_labels", path), NULL, &cl->external_labels,
                        &cl->n_external_labels, NULL, err);
        if (r < 0)
                return r;

        /* TLS, authentication and proxy, checked as Prometheus' client does. */
        r = read_basic_auth(c, &cl->auth, sl_yaml_get(node, "basic_auth"),
                            sl_cfg_kp(key, "%s.basic_auth", path), err);
        if (r < 0)
                return r;
        r = read_authorization(c, &cl->auth, node, path, err);
        if (r < 0)
                return r;
        r = read_tls(c, &cl->tls, cl->url, sl_yaml_get(node, "tls_config"),
                     sl_cfg_kp(key, "%s.tls_config", path), err);
        if (r < 0)
                return r;
        r = read_proxy(&cl->proxy, node, path, err);
        if (r < 0)
                return r;
        return sl_keys_refuse_unwired(node, path, sl_keys_client, err);
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

/* Adds @one's external labels to @cl where it has no label of that name. */
static void merge_external_labels(struct sl_client_config *cl,
                                  const struct sl_client_config *one) {
        for (size_t i = 0; i < one->n_external_labels; i++) {
                bool have = false;

                for (size_t k = 0; k < cl->n_external_labels && !have; k++)
                        have = strcmp(cl->external_labels[k].name,
                                      one->external_labels[i].name) == 0;
                if (have)
                        continue;
                cl->external_labels = sl_xrealloc(cl->external_labels,
                                                  (cl->n_external_labels + 1) *
                                                          sizeof(*cl->external_labels));
                cl->external_labels[cl->n_external_labels].name =
                        sl_xstrdup(one->external_labels[i].name);
                cl->external_labels[cl->n_external_labels++].value =
                        sl_xstrdup(one->external_labels[i].value);
        }
}

/* `clients:` (a list) and Promtail's older `client:` (one map), as Promtail
 * combines them: `client` with a url comes after the list, and its
 * external_labels go to every client (a client's own label wins). */
static int read_clients(struct sl_config *c, const struct sl_yaml_node *root,
                        struct sl_cfg_error *err) {
        const struct sl_yaml_node *list = sl_yaml_get(root, "clients");
        const struct sl_yaml_node *one = sl_yaml_get(root, "client");
        struct sl_client_config single;
        size_t n_list = 0;
        char key[SL_CFG_KEY_MAX];
        int r;

        r = sl_yaml_expect(list, SL_YAML_SEQ, "clients", err);
        if (r < 0)
                return r;
        if (list && !sl_cfg_absent(list))
                n_list = list->count;
        if (one && sl_cfg_absent(one))
                return sl_cfg_error_set(err, one, "client",
                                        "expected a map with at least a url, got nothing");
        if (list && !sl_cfg_absent(list) && n_list == 0 && !one)
                return sl_cfg_error_set(err, list, "clients",
                                        "clients is empty: expected at least one "
                                        "- url: http://loki:3100/loki/api/v1/push");
        c->clients = sl_xcalloc(n_list + 1, sizeof(*c->clients));
        for (size_t i = 0; i < n_list; i++) {
                client_defaults(&c->clients[i]);
                c->n_clients++;
                r = read_client(c, &c->clients[i], list->values[i],
                                sl_cfg_kp(key, "clients[%zu]", i), true, err);
                if (r < 0)
                        return r;
        }
        if (one) {
                client_defaults(&single);
                r = read_client(c, &single, one, "client", false, err);
                if (r < 0) {
                        client_release(&single);
                        return r;
                }
                for (size_t i = 0; i < c->n_clients; i++)
                        merge_external_labels(&c->clients[i], &single);
                if (single.url) {
                        c->clients[c->n_clients++] = single;
                } else {
                        if (one->count > 1 || !sl_yaml_get(one, "external_labels"))
                                sl_config_warn(c, key_of(root, "client"), "client",
                                               "has no url: only its external_labels are "
                                               "used, added to every client in clients");
                        client_release(&single);
                }
        }
        if (c->n_clients == 0)
                return sl_cfg_error_set(err, list ? list : one ? key_of(root, "client") : root,
                                        "clients",
                                        "no clients: add a clients: list with at least one "
                                        "entry such as - url: http://loki:3100/loki/api/v1/push");
        return 0;
}

static int read_static_config(struct sl_static_config *st, const struct sl_yaml_node *node,
                              const char *path, bool relabeled, struct sl_cfg_error *err) {
        const struct sl_yaml_node *targets, *labels;
        char key[SL_CFG_KEY_MAX];
        int r;

        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with labels: {__path__: GLOB}, got "
                                        "nothing");
        r = sl_keys_check(node, path, sl_keys_static_config, NULL, err);
        if (r < 0)
                return r;
        /* targets is accepted for Promtail compatibility; files come from __path__. */
        targets = sl_yaml_get(node, "targets");
        r = sl_yaml_expect(targets, SL_YAML_SEQ, sl_cfg_kp(key, "%s.targets", path), err);
        if (r < 0)
                return r;
        for (size_t i = 0; targets && i < targets->count; i++) {
                r = sl_yaml_expect(targets->values[i], SL_YAML_SCALAR,
                                   sl_cfg_kp(key, "%s.targets[%zu]", path, i), err);
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
        r = read_labels(labels, sl_cfg_kp(key, "%s.labels", path), "__path__", &st->labels,
                        &st->n_labels, &st->path_glob, err);
        if (r < 0)
                return r;
        /* With relabel_configs, __path__ may come from a rule. */
        if (!st->path_glob && !relabeled)
                return sl_cfg_error_set(err, sl_cfg_absent(labels) ? node : labels,
                                        sl_cfg_kp(key, "%s.labels.__path__", path),
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

/* scrape_configs[].encoding: Promtail converts files from this encoding to
 * UTF-8; sluice reads UTF-8 only, so only UTF-8 itself is accepted. */
static int check_encoding(const struct sl_yaml_node *node, const char *key,
                          struct sl_cfg_error *err) {
        static const char *const utf8[] = { "utf-8", "utf8", "unicode-1-1-utf-8", "" };
        int r;

        if (sl_cfg_absent(node))
                return 0;
        r = sl_yaml_expect(node, SL_YAML_SCALAR, key, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < SL_ARRAY_SIZE(utf8); i++)
                if (strcasecmp(node->text, utf8[i]) == 0)
                        return 0;
        return sl_cfg_error_set(err, node, key,
                                "reading files in %s (encoding) is not supported: sluice reads "
                                "UTF-8; %s", node->text, SL_KEYS_SEE_README);
}

/* Reads item @idx of the scrape_configs sequence @jobs. */
/* loki_push_api (Promtail's) or otlp_logs (sluice's, the same shape): a
 * server block of Promtail's server keys (address, port and connection
 * limit read), labels, use_incoming_timestamp, and sluice's limits. */
static int read_receiver(struct sl_config *c, struct sl_receiver_config *rc,
                         const struct sl_yaml_node *node, const char *path, bool otlp,
                         struct sl_cfg_error *err) {
        const struct sl_yaml_node *server = sl_yaml_get(node, "server");
        int64_t port = 0, conns = 0, entries = DEFAULT_RECEIVER_ENTRIES;
        char key[SL_CFG_KEY_MAX];
        char *unused = NULL;
        int r;

        rc->listen_address = sl_xstrdup(DEFAULT_LISTEN_ADDRESS);
        rc->max_connections = DEFAULT_RECEIVER_CONNECTIONS;
        rc->use_incoming_timestamp = otlp;
        rc->max_body_size = DEFAULT_RECEIVER_BODY_SIZE;
        rc->max_entries = DEFAULT_RECEIVER_ENTRIES;
        rc->ack_timeout_ns = DEFAULT_RECEIVER_ACK_TIMEOUT_NS;

        r = sl_keys_check(node, path, sl_keys_push_target, c, err);
        if (r < 0)
                return r;
        r = sl_keys_check(server, sl_cfg_kp(key, "%s.server", path), sl_keys_push_server, c, err);
        if (r < 0)
                return r;
        r = read_string(sl_yaml_get(server, "http_listen_address"),
                        sl_cfg_kp(key, "%s.server.http_listen_address", path), true,
                        &rc->listen_address, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(server, "http_listen_port"),
                           sl_cfg_kp(key, "%s.server.http_listen_port", path), 0, 65535, &port,
                           err);
        if (r < 0)
                return r;
        rc->listen_port = (unsigned)port;
        r = sl_yaml_as_int(sl_yaml_get(server, "http_listen_conn_limit"),
                           sl_cfg_kp(key, "%s.server.http_listen_conn_limit", path), 0, 65536,
                           &conns, err);
        if (r < 0)
                return r;
        /* Promtail's 0 is "no limit": sluice keeps its default cap then. */
        if (conns > 0)
                rc->max_connections = (unsigned)conns;
        r = read_labels(sl_yaml_get(node, "labels"), sl_cfg_kp(key, "%s.labels", path), NULL,
                        &rc->labels, &rc->n_labels, &unused, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "use_incoming_timestamp"),
                            sl_cfg_kp(key, "%s.use_incoming_timestamp", path),
                            &rc->use_incoming_timestamp, err);
        if (r < 0)
                return r;
        r = read_size(sl_yaml_get(node, "max_body_size"), sl_cfg_kp(key, "%s.max_body_size", path),
                      false, &rc->max_body_size, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "max_entries_per_push"),
                           sl_cfg_kp(key, "%s.max_entries_per_push", path), 1, INT32_MAX, &entries,
                           err);
        if (r < 0)
                return r;
        rc->max_entries = (uint64_t)entries;
        return read_duration(sl_yaml_get(node, "ack_timeout"),
                             sl_cfg_kp(key, "%s.ack_timeout", path),
                             false, &rc->ack_timeout_ns, err);
}

/* Which source the job reads: exactly one of static_configs, loki_push_api
 * and otlp_logs. */
static int read_source(struct sl_config *c, struct sl_scrape_config *sc,
                       const struct sl_yaml_node *node, const char *path,
                       struct sl_cfg_error *err) {
        static const char *const names[] = { "static_configs", "loki_push_api", "otlp_logs" };
        const struct sl_yaml_node *given[3];
        const char *first = NULL;
        char key[SL_CFG_KEY_MAX];
        int which = -1;

        for (int i = 0; i < 3; i++) {
                given[i] = sl_yaml_get(node, names[i]);
                if (sl_cfg_absent(given[i]))
                        continue;
                if (first)
                        return sl_cfg_error_set(err, key_of(node, names[i]),
                                                sl_cfg_kp(key, "%s.%s", path, names[i]),
                                                "a job reads one source: %s and %s are both "
                                                "given; make them two jobs", first, names[i]);
                first = names[i];
                which = i;
        }
        if (which <= 0) {
                sc->source = SL_SOURCE_FILES;
                return 0;
        }
        sc->source = which == 1 ? SL_SOURCE_LOKI_PUSH : SL_SOURCE_OTLP;
        return read_receiver(c, &sc->receiver, given[which],
                             sl_cfg_kp(key, "%s.%s", path, names[which]), which == 2, err);
}

static int read_scrape_config(struct sl_config *c, const struct sl_yaml_node *jobs, size_t idx,
                              struct sl_cfg_error *err) {
        struct sl_scrape_config *sc = &c->scrape_configs[idx];
        const struct sl_yaml_node *node = jobs->values[idx];
        const struct sl_yaml_node *v, *list, *stages, *pipeline;
        char path[SL_CFG_KEY_MAX], key[SL_CFG_KEY_MAX];
        int r;

        sl_cfg_kp(path, "scrape_configs[%zu]", idx);
        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with job_name and static_configs, got "
                                        "nothing");
        r = sl_keys_check(node, path, sl_keys_scrape, c, err);
        if (r < 0)
                return r;
        r = check_encoding(sl_yaml_get(node, "encoding"), sl_cfg_kp(key, "%s.encoding", path), err);
        if (r < 0)
                return r;

        v = sl_yaml_get(node, "job_name");
        r = read_string(v, sl_cfg_kp(key, "%s.job_name", path), false, &sc->job_name, err);
        if (r < 0)
                return r;
        if (!sc->job_name)
                return sl_cfg_error_set(err, sl_cfg_absent(v) ? node : v, key,
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
        r = read_source(c, sc, node, path, err);
        if (r < 0)
                return r;
        if (sc->source != SL_SOURCE_FILES && sc->discovery) {
                const struct sl_discovery_config *dc = sc->discovery;
                const char *what = dc->n_docker ? "docker_sd_configs"
                                   : dc->n_kube ? "kubernetes_sd_configs" : NULL;
                if (what)
                        return sl_cfg_error_set(err, key_of(node, what), sl_cfg_kp(key, "%s.%s", path, what),
                                                "a job reads one source: %s and a push receiver are "
                                                "both given; make them two jobs", what);
        }
        list = sl_yaml_get(node, "static_configs");
        r = sl_yaml_expect(list, SL_YAML_SEQ, sl_cfg_kp(key, "%s.static_configs", path), err);
        if (r < 0)
                return r;
        if (sc->source != SL_SOURCE_FILES)
                list = NULL;
        else if ((sl_cfg_absent(list) || list->count == 0) &&
                 !(sc->discovery && (sc->discovery->n_docker || sc->discovery->n_kube)))
                return sl_cfg_error_set(err, sl_cfg_absent(list) ? node : list, key,
                                        "static_configs is required (or docker_sd_configs, "
                                        "kubernetes_sd_configs): at least one "
                                        "- labels: {__path__: GLOB} naming the files to read "
                                        "(or loki_push_api, or otlp_logs, to receive pushes)");
        if (list && !sl_cfg_absent(list) && list->count > 0) {
                sc->static_configs = sl_xcalloc(list->count, sizeof(*sc->static_configs));
                sc->n_static_configs = list->count;
        }
        for (size_t i = 0; sc->static_configs && i < list->count; i++) {
                r = read_static_config(&sc->static_configs[i], list->values[i],
                                       sl_cfg_kp(key, "%s.static_configs[%zu]", path, i),
                                       sc->discovery && sc->discovery->n_relabel > 0, err);
                if (r < 0)
                        return r;
        }

        r = read_decompression(sc, sl_yaml_get(node, "decompression"),
                               sl_cfg_kp(key, "%s.decompression", path), err);
        if (r < 0)
                return r;
        stages = sl_yaml_get(node, "pipeline_stages");
        pipeline = sl_yaml_get(node, "pipeline");
        if (stages && pipeline)
                return sl_cfg_error_set(err, key_of(node, "pipeline"),
                                        sl_cfg_kp(key, "%s.pipeline", path),
                                        "use either pipeline_stages (stages written here) or "
                                        "pipeline: NAME (a file in %s), not both",
                                        c->pipelines_dir);
        if (pipeline)
                return read_pipeline_ref(c, sc, pipeline, sl_cfg_kp(key, "%s.pipeline", path), err);
        r = sl_yaml_expect(stages, SL_YAML_SEQ, sl_cfg_kp(key, "%s.pipeline_stages", path), err);
        if (r < 0)
                return r;
        if (!sl_cfg_absent(stages)) {
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

        if (sl_cfg_absent(list))
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
        c->server.log_format = sl_xstrdup(DEFAULT_LOG_FORMAT);
        c->server.graceful_shutdown_timeout_ns = DEFAULT_GRACEFUL_SHUTDOWN_NS;
        c->positions.filename = sl_xstrdup(DEFAULT_POSITIONS_FILE);
        c->positions.sync_period_ns = DEFAULT_POSITIONS_SYNC_NS;
        c->target.sync_period_ns = DEFAULT_TARGET_SYNC_NS;
        c->target.poll_period_ns = DEFAULT_POLL_PERIOD_NS;
        c->limits.readline_rate = DEFAULT_READLINE_RATE;
        c->limits.readline_burst = DEFAULT_READLINE_BURST;
        c->limits.readline_rate_drop = DEFAULT_READLINE_RATE_DROP;
        c->limits.max_line_size = DEFAULT_MAX_LINE_SIZE;
        c->limits.max_buffered_bytes = DEFAULT_MAX_BUFFERED_BYTES;
        c->limits.max_label_names = DEFAULT_MAX_LABEL_NAMES;
        c->limits.max_label_name_length = DEFAULT_MAX_LABEL_NAME_LENGTH;
        c->limits.max_label_value_length = DEFAULT_MAX_LABEL_VALUE_LENGTH;
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

/* Orders warnings as the keys appear in the file. */
static int warning_cmp(const void *a, const void *b) {
        const struct sl_cfg_error *x = a, *y = b;
        int r = strcmp(x->file, y->file);

        if (r)
                return r;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->column < y->column ? -1 : x->column > y->column;
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
        r = sl_keys_check(root, NULL, sl_keys_top, c, err);
        if (r < 0)
                return r;
        r = sl_keys_check(sl_yaml_get(root, "options"), "options", sl_keys_options, c, err);
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
        for (size_t i = 0; i < c->n_clients; i++)
                c->clients[i].display_url = sl_url_without_userinfo(c->clients[i].url);
        r = read_target(c, sl_yaml_get(root, "target_config"), err);
        if (r < 0)
                return r;
        r = read_global(c, root, err);
        if (r < 0)
                return r;
        r = read_limits(c, sl_yaml_get(root, "limits_config"), err);
        if (r < 0)
                return r;
        r = read_scrape_configs(c, root, err);
        if (r < 0)
                return r;
        if (c->n_warnings > 1)
                qsort(c->warnings, c->n_warnings, sizeof(*c->warnings), warning_cmp);
        *ret_config = TAKE_PTR(c);
        return 0;
}

bool sl_config_may_use_tls(const struct sl_config *c) {
        for (size_t i = 0; i < c->n_clients; i++) {
                const struct sl_client_config *cl = &c->clients[i];
                if ((cl->url && !has_prefix_nocase(cl->url, "http://")) ||
                    (cl->proxy.url && !has_prefix_nocase(cl->proxy.url, "http://")) ||
                    cl->proxy.from_environment)
                        return true;
        }
        for (size_t i = 0; i < c->n_scrape_configs; i++) {
                const struct sl_discovery_config *d = c->scrape_configs[i].discovery;
                if (!d)
                        continue;
                if (d->n_kube)
                        return true;
                for (size_t k = 0; k < d->n_docker; k++)
                        if (!d->docker[k].host ||
                            !(has_prefix_nocase(d->docker[k].host, "unix://") ||
                              has_prefix_nocase(d->docker[k].host, "http://")))
                                return true;
        }
        return false;
}
