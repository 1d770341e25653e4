/* discovery-config.c - see discovery-config.h.
 *
 * One reader per block, each checking its keys against a table first, so
 * an unknown key is named with its file and line, and a key of Prometheus'
 * HTTP client that sluice does not implement says "not supported".
 */
#include "config/discovery-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"
#include "config/config-internal.h"
#include "config/keys.h"

#define NS_PER_SEC 1000000000ULL
#define DEFAULT_DOCKER_REFRESH_NS (60 * NS_PER_SEC)
#define DEFAULT_DOCKER_PORT 80

static const char *const action_names[] = {
        [SL_RELABEL_REPLACE] = "replace",     [SL_RELABEL_KEEP] = "keep",
        [SL_RELABEL_DROP] = "drop",           [SL_RELABEL_KEEPEQUAL] = "keepequal",
        [SL_RELABEL_DROPEQUAL] = "dropequal", [SL_RELABEL_HASHMOD] = "hashmod",
        [SL_RELABEL_LABELMAP] = "labelmap",   [SL_RELABEL_LABELDROP] = "labeldrop",
        [SL_RELABEL_LABELKEEP] = "labelkeep", [SL_RELABEL_LOWERCASE] = "lowercase",
        [SL_RELABEL_UPPERCASE] = "uppercase",
};

const char *sl_relabel_action_name(enum sl_relabel_action action) {
        return action_names[action];
}

static bool is_word(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
}

/* Prometheus' relabelTarget: a label name in which $name and ${name}
 * references may stand for letters:
 * ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$ */
static bool target_template_valid(const char *s) {
        bool any = false;

        while (*s) {
                if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_') {
                        s++;
                } else if (*s == '$' && s[1] == '{') {
                        const char *q = s + 2;
                        while (is_word(*q))
                                q++;
                        if (q == s + 2 || *q != '}')
                                return false;
                        s = q + 1;
                } else if (*s == '$' && is_word(s[1])) {
                        s++;
                        while (is_word(*s))
                                s++;
                } else {
                        return false;
                }
                any = true;
                while (is_word(*s))
                        s++;
        }
        return any;
}

/* A string value: absent keeps *@field; null (`key:`) gives "" (as Go's
 * YAML decoder zeroes the field); a scalar replaces it. */
static int read_str(const struct sl_yaml_node *map, const char *name, const char *key,
                    char **field, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v = sl_yaml_get(map, name);
        char *s = NULL;
        int r;

        if (!v)
                return 0;
        if (v->kind == SL_YAML_NULL) {
                free(*field);
                *field = sl_xstrdup("");
                return 0;
        }
        r = sl_yaml_as_string(v, key, &s, err);
        if (r < 0)
                return r;
        free(*field);
        *field = s;
        return 0;
}

/* A non-empty string or nothing (NULL). */
static int read_opt_str(const struct sl_yaml_node *node, const char *key, char **field,
                        struct sl_cfg_error *err) {
        char *s = NULL;
        int r = sl_yaml_as_string(node, key, &s, err);

        if (r < 0)
                return r;
        if (s && !*s) {
                free(s);
                s = NULL;
        }
        if (s) {
                free(*field);
                *field = s;
        }
        return 0;
}

static void strv_free(char **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

/* A sequence of strings (a lone scalar is taken as a list of one, as
 * Prometheus' YAML decoder does for filter values). */
static int read_strings(const struct sl_yaml_node *node, const char *key, bool one_ok,
                        char ***ret, size_t *ret_n, struct sl_cfg_error *err) {
        char k[SL_CFG_KEY_MAX];
        char **v;
        int r;

        if (sl_cfg_absent(node))
                return 0;
        if (one_ok && node->kind == SL_YAML_SCALAR) {
                v = sl_xcalloc(1, sizeof(*v));
                v[0] = sl_xstrndup(node->text, node->text_len);
                *ret = v;
                *ret_n = 1;
                return 0;
        }
        r = sl_yaml_expect(node, SL_YAML_SEQ, key, err);
        if (r < 0)
                return r;
        v = sl_xcalloc(node->count + 1, sizeof(*v));
        for (size_t i = 0; i < node->count; i++) {
                r = sl_yaml_as_string(node->values[i], sl_cfg_kp(k, "%s[%zu]", key, i), &v[i], err);
                if (r == 0 && !v[i])
                        v[i] = sl_xstrdup("");
                if (r < 0) {
                        strv_free(v, node->count);
                        return r;
                }
        }
        *ret = v;
        *ret_n = node->count;
        return 0;
}

/* ---- relabel_configs ------------------------------------------------------ */

static void relabel_release(struct sl_relabel_config *rc) {
        strv_free(rc->source_labels, rc->n_source_labels);
        free(rc->separator);
        free(rc->regex_text);
        sl_go_regex_free(rc->regex);
        free(rc->target_label);
        free(rc->replacement);
}

void sl_relabel_configs_free(struct sl_relabel_config *rules, size_t n) {
        for (size_t i = 0; rules && i < n; i++)
                relabel_release(&rules[i]);
        free(rules);
}

static int read_relabel(struct sl_relabel_config *rc, const struct sl_yaml_node *node,
                        const char *path, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v, *regex_node, *sources;
        _cleanup_free_ char *action = NULL, *regex = NULL;
        char key[SL_CFG_KEY_MAX], msg[256];
        int64_t modulus = 0;
        bool found = false;
        int r;

        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a relabel rule (source_labels, regex, "
                                        "target_label, replacement, action), got nothing");
        r = sl_keys_check(node, path, sl_keys_relabel, NULL, err);
        if (r < 0)
                return r;
        rc->line = node->line;
        rc->separator = sl_xstrdup(";");
        rc->replacement = sl_xstrdup("$1");
        rc->target_label = sl_xstrdup("");

        /* action: case-insensitive; written as null, it is empty: refused. */
        action = sl_xstrdup("replace");
        v = sl_yaml_get(node, "action");
        r = read_str(node, "action", sl_cfg_kp(key, "%s.action", path), &action, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < SL_ARRAY_SIZE(action_names); i++) {
                if (strcasecmp(action, action_names[i]) == 0) {
                        rc->action = (enum sl_relabel_action)i;
                        found = true;
                }
        }
        if (!*action)
                return sl_cfg_error_set(err, v, key, "relabel action cannot be empty");
        if (!found)
                return sl_cfg_error_set(err, v, key,
                                        "unknown relabel action \"%s\": expected replace, keep, "
                                        "drop, keepequal, dropequal, hashmod, labelmap, "
                                        "labeldrop, labelkeep, lowercase or uppercase", action);

        sources = sl_yaml_get(node, "source_labels");
        r = read_strings(sources, sl_cfg_kp(key, "%s.source_labels", path), false,
                         &rc->source_labels, &rc->n_source_labels, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rc->n_source_labels; i++)
                if (!sl_cfg_label_name_valid(rc->source_labels[i]))
                        return sl_cfg_error_set(err, sources->values[i],
                                                sl_cfg_kp(key, "%s.source_labels[%zu]", path, i),
                                                "\"%s\" is not a valid label name",
                                                rc->source_labels[i]);
        r = read_str(node, "separator", sl_cfg_kp(key, "%s.separator", path), &rc->separator, err);
        if (r < 0)
                return r;
        r = read_str(node, "target_label", sl_cfg_kp(key, "%s.target_label", path),
                     &rc->target_label, err);
        if (r < 0)
                return r;
        r = read_str(node, "replacement", sl_cfg_kp(key, "%s.replacement", path), &rc->replacement,
                     err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "modulus"), sl_cfg_kp(key, "%s.modulus", path), 0,
                           INT64_MAX, &modulus, err);
        if (r < 0)
                return r;
        rc->modulus = (uint64_t)modulus;

        /* regex: absent is (.*); written as null it is "" (matches only
         * an empty value), as Prometheus reads it. */
        regex_node = sl_yaml_get(node, "regex");
        regex = sl_xstrdup("(.*)");
        r = read_str(node, "regex", sl_cfg_kp(key, "%s.regex", path), &regex, err);
        if (r < 0)
                return r;
        /* Checked as written (the message's offsets are the reader's),
         * then compiled anchored, as Prometheus does. */
        r = sl_go_regex_new(regex, &rc->regex, msg, sizeof(msg));
        if (r < 0)
                return sl_cfg_error_set(err, regex_node, key, "invalid regex \"%s\": %s", regex,
                                        msg);
        sl_go_regex_free(rc->regex);
        rc->regex = NULL;
        {
                _cleanup_free_ char *anchored = sl_xasprintf("^(?s:%s)$", regex);
                r = sl_go_regex_new(anchored, &rc->regex, msg, sizeof(msg));
        }
        if (r < 0)
                return sl_cfg_error_set(err, regex_node, key, "invalid regex \"%s\": %s", regex,
                                        msg);
        rc->regex_text = TAKE_PTR(regex);

        /* Prometheus' Validate(), in its order. */
        sl_cfg_kp(key, "%s", path);
        if (rc->action == SL_RELABEL_HASHMOD && rc->modulus == 0)
                return sl_cfg_error_set(err, node, sl_cfg_kp(key, "%s.modulus", path),
                                        "relabel configuration for hashmod requires non-zero "
                                        "modulus");
        switch (rc->action) {
        case SL_RELABEL_REPLACE: case SL_RELABEL_HASHMOD: case SL_RELABEL_LOWERCASE:
        case SL_RELABEL_UPPERCASE: case SL_RELABEL_KEEPEQUAL: case SL_RELABEL_DROPEQUAL:
                if (!*rc->target_label)
                        return sl_cfg_error_set(err, node, sl_cfg_kp(key, "%s.target_label", path),
                                                "relabel configuration for %s action requires "
                                                "'target_label' value", action_names[rc->action]);
                break;
        default:
                break;
        }
        v = sl_yaml_get(node, "target_label");
        if (rc->action == SL_RELABEL_REPLACE &&
            (strchr(rc->target_label, '$') ? !target_template_valid(rc->target_label)
                                           : !sl_cfg_label_name_valid(rc->target_label)))
                return sl_cfg_error_set(err, v, sl_cfg_kp(key, "%s.target_label", path),
                                        "\"%s\" is invalid 'target_label' for replace action",
                                        rc->target_label);
        if ((rc->action == SL_RELABEL_LOWERCASE || rc->action == SL_RELABEL_UPPERCASE ||
             rc->action == SL_RELABEL_KEEPEQUAL || rc->action == SL_RELABEL_DROPEQUAL ||
             rc->action == SL_RELABEL_HASHMOD) &&
            !sl_cfg_label_name_valid(rc->target_label))
                return sl_cfg_error_set(err, v, sl_cfg_kp(key, "%s.target_label", path),
                                        "\"%s\" is invalid 'target_label' for %s action",
                                        rc->target_label, action_names[rc->action]);
        if ((rc->action == SL_RELABEL_LOWERCASE || rc->action == SL_RELABEL_UPPERCASE ||
             rc->action == SL_RELABEL_KEEPEQUAL || rc->action == SL_RELABEL_DROPEQUAL) &&
            strcmp(rc->replacement, "$1") != 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "replacement"),
                                        sl_cfg_kp(key, "%s.replacement", path),
                                        "'replacement' can not be set for %s action",
                                        action_names[rc->action]);
        if (rc->action == SL_RELABEL_LABELMAP && !target_template_valid(rc->replacement))
                return sl_cfg_error_set(err, sl_yaml_get(node, "replacement"),
                                        sl_cfg_kp(key, "%s.replacement", path),
                                        "\"%s\" is invalid 'replacement' for labelmap action",
                                        rc->replacement);
        if ((rc->action == SL_RELABEL_KEEPEQUAL || rc->action == SL_RELABEL_DROPEQUAL) &&
            (regex_node || rc->modulus || strcmp(rc->separator, ";") != 0 ||
             strcmp(rc->replacement, "$1") != 0))
                return sl_cfg_error_set(err, node, sl_cfg_kp(key, "%s", path),
                                        "%s action requires only 'source_labels' and "
                                        "`target_label`, and no other fields",
                                        action_names[rc->action]);
        if ((rc->action == SL_RELABEL_LABELDROP || rc->action == SL_RELABEL_LABELKEEP) &&
            (sources || *rc->target_label || rc->modulus || strcmp(rc->separator, ";") != 0 ||
             strcmp(rc->replacement, "$1") != 0))
                return sl_cfg_error_set(err, node, sl_cfg_kp(key, "%s", path),
                                        "%s action requires only 'regex', and no other fields",
                                        action_names[rc->action]);
        return 0;
}

int sl_relabel_configs_read(const struct sl_yaml_node *list, const char *key,
                            struct sl_relabel_config **ret, size_t *ret_n,
                            struct sl_cfg_error *err) {
        struct sl_relabel_config *rules;
        char k[SL_CFG_KEY_MAX];
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (sl_cfg_absent(list))
                return 0;
        r = sl_yaml_expect(list, SL_YAML_SEQ, key, err);
        if (r < 0)
                return r;
        rules = sl_xcalloc(list->count + 1, sizeof(*rules));
        for (size_t i = 0; i < list->count; i++) {
                r = read_relabel(&rules[i], list->values[i], sl_cfg_kp(k, "%s[%zu]", key, i), err);
                if (r < 0) {
                        sl_relabel_configs_free(rules, i + 1);
                        return r;
                }
        }
        *ret = rules;
        *ret_n = list->count;
        return 0;
}

int sl_discovery_config_append_relabel(struct sl_discovery_config **dc,
                                       const struct sl_yaml_node *list, const char *key,
                                       struct sl_cfg_error *err) {
        struct sl_relabel_config *more = NULL;
        size_t n = 0;
        int r = sl_relabel_configs_read(list, key, &more, &n, err);

        if (r < 0 || n == 0)
                return r;
        if (!*dc)
                *dc = sl_xnew(struct sl_discovery_config);
        (*dc)->relabel = sl_xrealloc((*dc)->relabel,
                                     ((*dc)->n_relabel + n) * sizeof(*(*dc)->relabel));
        memcpy((*dc)->relabel + (*dc)->n_relabel, more, n * sizeof(*more));
        (*dc)->n_relabel += n;
        free(more);
        return 0;
}

/* ---- tls_config ------------------------------------------------------------ */

static void tls_release(struct sl_tls_config *t) {
        free(t->ca_file);
        free(t->cert_file);
        free(t->key_file);
        free(t->server_name);
}

static int read_tls(struct sl_tls_config *t, const struct sl_yaml_node *node, const char *path,
                    struct sl_cfg_error *err) {
        char key[SL_CFG_KEY_MAX];
        int r;

        r = sl_keys_check(node, path, sl_keys_sd_tls, NULL, err);
        if (r < 0)
                return r;
        r = read_opt_str(sl_yaml_get(node, "ca_file"), sl_cfg_kp(key, "%s.ca_file", path),
                         &t->ca_file, err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "cert_file"),
                                 sl_cfg_kp(key, "%s.cert_file", path), &t->cert_file, err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "key_file"), sl_cfg_kp(key, "%s.key_file", path),
                                 &t->key_file, err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "server_name"),
                                 sl_cfg_kp(key, "%s.server_name", path), &t->server_name, err);
        if (r == 0)
                r = sl_yaml_as_bool(sl_yaml_get(node, "insecure_skip_verify"),
                                    sl_cfg_kp(key, "%s.insecure_skip_verify", path),
                                    &t->insecure_skip_verify, err);
        if (r < 0)
                return r;
        if (!t->cert_file != !t->key_file)
                return sl_cfg_error_set(err, node, path,
                                        "cert_file and key_file go together: a client "
                                        "certificate needs its key");
        return 0;
}

/* ---- docker_sd_configs ---------------------------------------------------- */

static void docker_release(struct sl_docker_sd_config *d) {
        free(d->host);
        free(d->host_networking_host);
        for (size_t i = 0; d->filters && i < d->n_filters; i++) {
                free(d->filters[i].name);
                strv_free(d->filters[i].values, d->filters[i].n_values);
        }
        free(d->filters);
        tls_release(&d->tls);
}

static bool has_prefix(const char *s, const char *p) {
        return strncmp(s, p, strlen(p)) == 0;
}

static int read_docker(struct sl_docker_sd_config *d, const struct sl_yaml_node *node,
                       const char *path, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v, *filters;
        int64_t port = DEFAULT_DOCKER_PORT;
        bool ignored;
        char key[SL_CFG_KEY_MAX];
        int r;

        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with host: unix:///var/run/docker.sock, "
                                        "got nothing");
        r = sl_keys_check(node, path, sl_keys_docker_sd, NULL, err);
        if (r < 0)
                return r;
        d->line = node->line;
        d->refresh_interval_ns = DEFAULT_DOCKER_REFRESH_NS;
        d->host_networking_host = sl_xstrdup("localhost");
        d->match_first_network = true;

        v = sl_yaml_get(node, "host");
        r = read_opt_str(v, sl_cfg_kp(key, "%s.host", path), &d->host, err);
        if (r < 0)
                return r;
        if (!d->host)
                return sl_cfg_error_set(err, sl_cfg_absent(v) ? node : v, key,
                                        "host missing: the Docker daemon's address, such as "
                                        "unix:///var/run/docker.sock");
        if (!(has_prefix(d->host, "unix://") && d->host[7]) &&
            !(has_prefix(d->host, "tcp://") && d->host[6]) &&
            !(has_prefix(d->host, "http://") && d->host[7]) &&
            !(has_prefix(d->host, "https://") && d->host[8]))
                return sl_cfg_error_set(err, v, key,
                                        "expected unix:///path/to/docker.sock, tcp://host:port, "
                                        "http:// or https://, got \"%s\"", d->host);
        r = sl_yaml_as_int(sl_yaml_get(node, "port"), sl_cfg_kp(key, "%s.port", path), 0, 65535,
                           &port, err);
        if (r < 0)
                return r;
        d->port = (unsigned)port;
        r = read_opt_str(sl_yaml_get(node, "host_networking_host"),
                         sl_cfg_kp(key, "%s.host_networking_host", path), &d->host_networking_host,
                         err);
        if (r < 0)
                return r;
        r = sl_yaml_as_bool(sl_yaml_get(node, "match_first_network"),
                            sl_cfg_kp(key, "%s.match_first_network", path), &d->match_first_network,
                            err);
        if (r < 0)
                return r;
        /* Accepted: the engine API answers without redirects, over HTTP/1.1. */
        r = sl_yaml_as_bool(sl_yaml_get(node, "follow_redirects"),
                            sl_cfg_kp(key, "%s.follow_redirects", path), &ignored, err);
        if (r == 0)
                r = sl_yaml_as_bool(sl_yaml_get(node, "enable_http2"),
                                    sl_cfg_kp(key, "%s.enable_http2", path), &ignored, err);
        if (r < 0)
                return r;
        v = sl_yaml_get(node, "refresh_interval");
        r = sl_yaml_as_duration(v, sl_cfg_kp(key, "%s.refresh_interval", path),
                                &d->refresh_interval_ns, err);
        if (r < 0)
                return r;
        if (d->refresh_interval_ns == 0)
                return sl_cfg_error_set(err, v, key,
                                        "expected a duration above 0, such as 5s or 1m");
        r = read_tls(&d->tls, sl_yaml_get(node, "tls_config"),
                     sl_cfg_kp(key, "%s.tls_config", path), err);
        if (r < 0)
                return r;

        filters = sl_yaml_get(node, "filters");
        r = sl_yaml_expect(filters, SL_YAML_SEQ, sl_cfg_kp(key, "%s.filters", path), err);
        if (r < 0 || sl_cfg_absent(filters))
                return r;
        d->filters = sl_xcalloc(filters->count + 1, sizeof(*d->filters));
        for (size_t i = 0; i < filters->count; i++) {
                const struct sl_yaml_node *f = filters->values[i];
                struct sl_docker_filter *df = &d->filters[d->n_filters++];
                char fk[SL_CFG_KEY_MAX];

                sl_cfg_kp(fk, "%s.filters[%zu]", path, i);
                r = sl_keys_check(f, fk, sl_keys_docker_filter, NULL, err);
                if (r < 0)
                        return r;
                v = sl_yaml_get(f, "name");
                r = read_opt_str(v, sl_cfg_kp(key, "%s.name", fk), &df->name, err);
                if (r < 0)
                        return r;
                if (!df->name)
                        return sl_cfg_error_set(err, sl_cfg_absent(v) ? f : v, key,
                                                "a filter needs a name, such as label, name or "
                                                "network");
                r = read_strings(sl_yaml_get(f, "values"), sl_cfg_kp(key, "%s.values", fk), true,
                                 &df->values, &df->n_values, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- kubernetes_sd_configs ------------------------------------------------- */

static void kube_release(struct sl_kube_sd_config *k) {
        free(k->api_server);
        free(k->kubeconfig_file);
        free(k->bearer_token);
        free(k->bearer_token_file);
        tls_release(&k->tls);
        strv_free(k->namespaces, k->n_namespaces);
        free(k->selector.label);
        free(k->selector.field);
}

static bool tls_set(const struct sl_tls_config *t) {
        return t->ca_file || t->cert_file || t->key_file || t->server_name ||
               t->insecure_skip_verify;
}

static int read_kube(struct sl_kube_sd_config *k, const struct sl_yaml_node *node,
                     const char *path, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v, *ns, *sels, *attach;
        _cleanup_free_ char *role = NULL;
        bool ignored, custom_http;
        char key[SL_CFG_KEY_MAX];
        int r;

        if (sl_cfg_absent(node))
                return sl_cfg_error_set(err, node, path,
                                        "expected a map with role: pod, got nothing");
        r = sl_keys_check(node, path, sl_keys_kube_sd, NULL, err);
        if (r < 0)
                return r;
        k->line = node->line;

        v = sl_yaml_get(node, "role");
        r = read_opt_str(v, sl_cfg_kp(key, "%s.role", path), &role, err);
        if (r < 0)
                return r;
        if (!role)
                return sl_cfg_error_set(err, sl_cfg_absent(v) ? node : v, key,
                                        "role missing (one of: pod, service, endpoints, "
                                        "endpointslice, node, ingress)");
        if (strcmp(role, "service") == 0 || strcmp(role, "endpoints") == 0 ||
            strcmp(role, "endpointslice") == 0 || strcmp(role, "node") == 0 ||
            strcmp(role, "ingress") == 0)
                return sl_cfg_error_set(err, v, key,
                                        "Kubernetes discovery of role %s is not supported: "
                                        "sluice discovers pods (role: pod), whose log files "
                                        "it reads; %s", role, SL_KEYS_SEE_README);
        if (strcmp(role, "pod") != 0)
                return sl_cfg_error_set(err, v, key, "unknown Kubernetes SD role \"%s\"", role);

        r = read_opt_str(sl_yaml_get(node, "api_server"), sl_cfg_kp(key, "%s.api_server", path),
                         &k->api_server, err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "kubeconfig_file"),
                                 sl_cfg_kp(key, "%s.kubeconfig_file", path), &k->kubeconfig_file,
                                 err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "bearer_token"),
                                 sl_cfg_kp(key, "%s.bearer_token", path), &k->bearer_token, err);
        if (r == 0)
                r = read_opt_str(sl_yaml_get(node, "bearer_token_file"),
                                 sl_cfg_kp(key, "%s.bearer_token_file", path),
                                 &k->bearer_token_file, err);
        if (r == 0)
                r = read_tls(&k->tls, sl_yaml_get(node, "tls_config"),
                             sl_cfg_kp(key, "%s.tls_config", path), err);
        if (r == 0)
                r = sl_yaml_as_bool(sl_yaml_get(node, "follow_redirects"),
                                    sl_cfg_kp(key, "%s.follow_redirects", path), &ignored, err);
        if (r == 0)
                r = sl_yaml_as_bool(sl_yaml_get(node, "enable_http2"),
                                    sl_cfg_kp(key, "%s.enable_http2", path), &ignored, err);
        if (r < 0)
                return r;
        if (k->api_server && !has_prefix(k->api_server, "http://") &&
            !has_prefix(k->api_server, "https://"))
                return sl_cfg_error_set(err, sl_yaml_get(node, "api_server"),
                                        sl_cfg_kp(key, "%s.api_server", path),
                                        "expected an http:// or https:// URL, got \"%s\"",
                                        k->api_server);
        if (k->bearer_token && k->bearer_token_file)
                return sl_cfg_error_set(err, sl_yaml_get(node, "bearer_token_file"),
                                        sl_cfg_kp(key, "%s.bearer_token_file", path),
                                        "at most one of bearer_token & bearer_token_file must "
                                        "be configured");

        attach = sl_yaml_get(node, "attach_metadata");
        /* attach_metadata.node: true is refused by the table. */
        r = sl_keys_check(attach, sl_cfg_kp(key, "%s.attach_metadata", path), sl_keys_kube_attach,
                          NULL, err);
        if (r < 0)
                return r;

        ns = sl_yaml_get(node, "namespaces");
        r = sl_keys_check(ns, sl_cfg_kp(key, "%s.namespaces", path), sl_keys_kube_namespaces, NULL,
                          err);
        if (r == 0)
                r = sl_yaml_as_bool(sl_yaml_get(ns, "own_namespace"),
                                    sl_cfg_kp(key, "%s.namespaces.own_namespace", path),
                                    &k->own_namespace, err);
        if (r == 0)
                r = read_strings(sl_yaml_get(ns, "names"),
                                 sl_cfg_kp(key, "%s.namespaces.names", path),
                                 false, &k->namespaces, &k->n_namespaces, err);
        if (r < 0)
                return r;

        sels = sl_yaml_get(node, "selectors");
        r = sl_yaml_expect(sels, SL_YAML_SEQ, sl_cfg_kp(key, "%s.selectors", path), err);
        if (r < 0)
                return r;
        for (size_t i = 0; !sl_cfg_absent(sels) && i < sels->count; i++) {
                const struct sl_yaml_node *s = sels->values[i];
                _cleanup_free_ char *srole = NULL;
                char sk[SL_CFG_KEY_MAX];

                sl_cfg_kp(sk, "%s.selectors[%zu]", path, i);
                r = sl_keys_check(s, sk, sl_keys_kube_selector, NULL, err);
                if (r < 0)
                        return r;
                v = sl_yaml_get(s, "role");
                r = read_opt_str(v, sl_cfg_kp(key, "%s.role", sk), &srole, err);
                if (r < 0)
                        return r;
                if (!srole || strcmp(srole, "pod") != 0)
                        return sl_cfg_error_set(err, sl_cfg_absent(v) ? s : v, key,
                                                "pod role supports only pod selectors");
                if (i > 0)
                        return sl_cfg_error_set(err, v, key, "duplicated selector role: pod");
                r = read_opt_str(sl_yaml_get(s, "label"), sl_cfg_kp(key, "%s.label", sk),
                                 &k->selector.label, err);
                if (r == 0)
                        r = read_opt_str(sl_yaml_get(s, "field"), sl_cfg_kp(key, "%s.field", sk),
                                         &k->selector.field, err);
                if (r < 0)
                        return r;
        }

        /* Prometheus' rules on how the API is reached. */
        custom_http = k->bearer_token || k->bearer_token_file || tls_set(&k->tls);
        if (k->api_server && k->kubeconfig_file)
                return sl_cfg_error_set(err, sl_yaml_get(node, "kubeconfig_file"), path,
                                        "cannot use 'kubeconfig_file' and 'api_server' "
                                        "simultaneously");
        if (k->kubeconfig_file && custom_http)
                return sl_cfg_error_set(err, node, path,
                                        "cannot use a custom HTTP client configuration together "
                                        "with 'kubeconfig_file'");
        if (!k->api_server && !k->kubeconfig_file && custom_http)
                return sl_cfg_error_set(err, node, path,
                                        "to use custom HTTP client configuration please provide "
                                        "the 'api_server' URL explicitly");
        if ((k->api_server || k->kubeconfig_file) && k->own_namespace)
                return sl_cfg_error_set(err, sl_yaml_get(ns, "own_namespace"), path,
                                        "cannot use '%s' and 'namespaces.own_namespace' "
                                        "simultaneously",
                                        k->api_server ? "api_server" : "kubeconfig_file");
        return 0;
}

/* ---- the scrape config's discovery keys ----------------------------------- */

void sl_discovery_config_free(struct sl_discovery_config *dc) {
        if (!dc)
                return;
        sl_relabel_configs_free(dc->relabel, dc->n_relabel);
        for (size_t i = 0; dc->docker && i < dc->n_docker; i++)
                docker_release(&dc->docker[i]);
        free(dc->docker);
        for (size_t i = 0; dc->kube && i < dc->n_kube; i++)
                kube_release(&dc->kube[i]);
        free(dc->kube);
        free(dc);
}

int sl_discovery_config_read(const struct sl_yaml_node *scrape, const char *path,
                             struct sl_discovery_config **ret, struct sl_cfg_error *err) {
        _cleanup_(sl_discovery_config_freep) struct sl_discovery_config *dc = NULL;
        const struct sl_yaml_node *relabel = sl_yaml_get(scrape, "relabel_configs");
        const struct sl_yaml_node *docker = sl_yaml_get(scrape, "docker_sd_configs");
        const struct sl_yaml_node *kube = sl_yaml_get(scrape, "kubernetes_sd_configs");
        char key[SL_CFG_KEY_MAX];
        int r;

        *ret = NULL;
        if (sl_cfg_absent(relabel) && sl_cfg_absent(docker) && sl_cfg_absent(kube))
                return 0;
        dc = sl_xnew(struct sl_discovery_config);
        r = sl_relabel_configs_read(relabel, sl_cfg_kp(key, "%s.relabel_configs", path),
                                    &dc->relabel, &dc->n_relabel, err);
        if (r < 0)
                return r;
        r = sl_yaml_expect(docker, SL_YAML_SEQ, sl_cfg_kp(key, "%s.docker_sd_configs", path), err);
        if (r < 0)
                return r;
        if (!sl_cfg_absent(docker)) {
                dc->docker = sl_xcalloc(docker->count + 1, sizeof(*dc->docker));
                for (size_t i = 0; i < docker->count; i++) {
                        dc->n_docker++;
                        r = read_docker(&dc->docker[i], docker->values[i],
                                        sl_cfg_kp(key, "%s.docker_sd_configs[%zu]", path, i), err);
                        if (r < 0)
                                return r;
                }
        }
        r = sl_yaml_expect(kube, SL_YAML_SEQ, sl_cfg_kp(key, "%s.kubernetes_sd_configs", path),
                           err);
        if (r < 0)
                return r;
        if (!sl_cfg_absent(kube)) {
                dc->kube = sl_xcalloc(kube->count + 1, sizeof(*dc->kube));
                for (size_t i = 0; i < kube->count; i++) {
                        dc->n_kube++;
                        r = read_kube(&dc->kube[i], kube->values[i],
                                      sl_cfg_kp(key, "%s.kubernetes_sd_configs[%zu]", path, i),
                                      err);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(dc);
        return 0;
}
