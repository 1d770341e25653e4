/* discovery-config.h - the discovery keys of a scrape config:
 * relabel_configs, docker_sd_configs and kubernetes_sd_configs, as Promtail
 * (and the Prometheus code it embeds) reads them.
 *
 * config.c hands each scrape config's map to sl_discovery_config_read(),
 * which reads only these three keys and leaves the others to config.c.
 * Validation follows Prometheus' relabel.Config.Validate() (the version
 * Promtail 3.4 embeds): an action needs its target_label, keepequal and
 * dropequal take only source_labels and target_label, labeldrop and
 * labelkeep only regex, hashmod a modulus above 0, label names are
 * [a-zA-Z_][a-zA-Z0-9_]*. Regexes are RE2 syntax (base/go-regex.h),
 * compiled here, anchored as Prometheus anchors them (^(?s:REGEX)$: the
 * whole value, `.` matching newlines too), so a bad one is an error at load
 * with its file, line and key.
 *
 * Owns: everything in struct sl_discovery_config (strings, arrays, the
 * compiled regexes).
 * Calling sequence: sl_discovery_config_read() once per scrape config, read
 * the fields, sl_discovery_config_free().
 */
#ifndef SL_CONFIG_DISCOVERY_CONFIG_H
#define SL_CONFIG_DISCOVERY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/go-regex.h"
#include "base/yaml-doc.h"

enum sl_relabel_action {
        SL_RELABEL_REPLACE = 0,  /* target_label = expand(replacement) when regex matches */
        SL_RELABEL_KEEP,         /* drop the target unless regex matches */
        SL_RELABEL_DROP,         /* drop the target when regex matches */
        SL_RELABEL_KEEPEQUAL,    /* drop the target unless the value equals target_label's */
        SL_RELABEL_DROPEQUAL,    /* drop the target when the value equals target_label's */
        SL_RELABEL_HASHMOD,      /* target_label = md5(value) % modulus */
        SL_RELABEL_LABELMAP,     /* copy labels whose name matches to expand(replacement) */
        SL_RELABEL_LABELDROP,    /* remove labels whose name matches */
        SL_RELABEL_LABELKEEP,    /* remove labels whose name does not match */
        SL_RELABEL_LOWERCASE,    /* target_label = lower(value) */
        SL_RELABEL_UPPERCASE,    /* target_label = upper(value) */
};

/* The action's name as written in YAML ("replace", ...). */
const char *sl_relabel_action_name(enum sl_relabel_action action);

/* One rule of relabel_configs. */
struct sl_relabel_config {
        enum sl_relabel_action action;  /* default replace */
        char **source_labels;           /* owned; names whose values are joined */
        size_t n_source_labels;
        char *separator;                /* owned; default ";" */
        char *regex_text;               /* owned; the regex as written; default (.*) */
        struct sl_go_regex *regex;      /* owned; regex_text anchored: ^(?s:...)$ */
        uint64_t modulus;               /* hashmod only */
        char *target_label;             /* owned; may hold $1, ${name} (replace) */
        char *replacement;              /* owned; default "$1" */
        unsigned line;                  /* where the rule was written, for messages */
};

/* A key/value filter of the Docker API (docker_sd_configs[].filters). */
struct sl_docker_filter {
        char *name;                     /* owned; e.g. "label", "name", "network" */
        char **values;                  /* owned */
        size_t n_values;
};

/* TLS settings for a connection to an API (tls_config). */
struct sl_tls_config {
        char *ca_file;                  /* owned; NULL: the system's CAs */
        char *cert_file;                /* owned; client certificate, with key_file */
        char *key_file;                 /* owned */
        char *server_name;              /* owned; SNI and name to verify, NULL: the host's */
        bool insecure_skip_verify;      /* do not verify the server's certificate */
};

/* One docker_sd_configs entry (Prometheus' DockerSDConfig). */
struct sl_docker_sd_config {
        char *host;                     /* owned; unix:///var/run/docker.sock, tcp://h:p,
                                         * http:// or https:// */
        unsigned port;                  /* default 80: __address__ of a container
                                         * without a TCP port */
        char *host_networking_host;     /* owned; default "localhost" */
        bool match_first_network;       /* default true */
        uint64_t refresh_interval_ns;   /* default 60s */
        struct sl_docker_filter *filters; /* owned */
        size_t n_filters;
        struct sl_tls_config tls;       /* for tcp:// and https:// hosts */
        unsigned line;                  /* where it was written */
};

/* A selector of kubernetes_sd_configs (role pod only). */
struct sl_kube_selector {
        char *label;                    /* owned; a label selector, or NULL */
        char *field;                    /* owned; a field selector, or NULL */
};

/* One kubernetes_sd_configs entry (Prometheus' kubernetes SDConfig), role pod. */
struct sl_kube_sd_config {
        char *api_server;               /* owned; NULL: in-cluster (or kubeconfig_file) */
        char *kubeconfig_file;          /* owned; NULL: none */
        char *bearer_token;             /* owned; NULL: none */
        char *bearer_token_file;        /* owned; NULL: none */
        struct sl_tls_config tls;       /* tls_config */
        bool own_namespace;             /* namespaces.own_namespace */
        char **namespaces;              /* owned; namespaces.names; none: all */
        size_t n_namespaces;
        struct sl_kube_selector selector; /* the pod role's selector (label and field) */
        unsigned line;                  /* where it was written */
};

struct sl_discovery_config {
        struct sl_relabel_config *relabel;     /* owned; relabel_configs, in order */
        size_t n_relabel;
        struct sl_docker_sd_config *docker;    /* owned; docker_sd_configs */
        size_t n_docker;
        struct sl_kube_sd_config *kube;        /* owned; kubernetes_sd_configs */
        size_t n_kube;
};

/* Reads relabel_configs, docker_sd_configs and kubernetes_sd_configs from
 * the scrape config map @scrape (its dotted key is @path, such as
 * "scrape_configs[0]"). Returns 0 and a new config in *@ret (NULL when none
 * of the three keys is there), or -EINVAL with @err naming file, line, key. */
int sl_discovery_config_read(const struct sl_yaml_node *scrape, const char *path,
                             struct sl_discovery_config **ret, struct sl_cfg_error *err);
/* Reads one relabel_configs list (a sequence node) into a new array.
 * Also for tests. Returns 0 or -EINVAL. */
int sl_relabel_configs_read(const struct sl_yaml_node *list, const char *key,
                            struct sl_relabel_config **ret, size_t *ret_n,
                            struct sl_cfg_error *err);
void sl_relabel_configs_free(struct sl_relabel_config *rules, size_t n);
/* Reads the relabel_configs list @list (of a pipeline file: sluice's own)
 * and appends its rules to *@dc's, creating *@dc if needed. Returns 0 or
 * -EINVAL. */
int sl_discovery_config_append_relabel(struct sl_discovery_config **dc,
                                       const struct sl_yaml_node *list, const char *key,
                                       struct sl_cfg_error *err);
void sl_discovery_config_free(struct sl_discovery_config *dc);
SL_DEFINE_CLEANUP(struct sl_discovery_config *, sl_discovery_config_free)

#endif
