/* config.h - sluice's configuration: Promtail-shaped YAML → plain structs.
 *
 * Reads the keys Promtail users know (server, positions, clients,
 * scrape_configs with static_configs and pipeline_stages) plus a few of
 * sluice's own (limits_config, target_config). Unknown keys are errors;
 * every error names file, line, key and what was expected.
 *
 * Owns: struct sl_config owns every string and array in it, and the YAML
 * documents its pipeline_stages nodes point into (the agent's pipelines are
 * built from those nodes, so the config outlives them).
 * Calling sequence:
 *   sl_config_load()  parses and validates; fills defaults
 *   ... read fields; the config is immutable once loaded ...
 *   sl_config_free()
 *
 * Rules the loader enforces (conf/sluice.yaml shows every key):
 *   - a key with no value (`batchwait:`) keeps its default;
 *   - clients: a non-empty list, or Promtail's singular `client:` map (not
 *     both); url must start with http:// or https://; an empty tenant_id is
 *     no tenant; backoff min_period <= max_period;
 *   - periods, timeouts, batchwait and batchsize must be above 0
 *     (graceful_shutdown_timeout and max_line_size may be 0);
 *   - label names are [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are
 *     reserved outside static_configs (whose __path__ is required unless
 *     relabel_configs may set it; its other "__" labels are for relabeling);
 *   - job_name is required and unique; static_configs is required unless
 *     docker_sd_configs or kubernetes_sd_configs discover the targets
 *     (those and relabel_configs: config/discovery-config.h);
 *   - pipeline_stages (kept as a node, not interpreted here) or
 *     `pipeline: NAME`, not both. NAME is [A-Za-z0-9_.-]+ and names
 *     <pipelines_dir>/NAME.yaml, a map with pipeline_stages (a sequence) and
 *     an optional description; each file is loaded once and shared by the
 *     jobs naming it.
 * Threading: none of its own; load once, then read from the loop thread.
 */
#ifndef SL_CONFIG_CONFIG_H
#define SL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/yaml-doc.h"

struct sl_label_pair {
        char *name;  /* owned */
        char *value; /* owned */
};

struct sl_client_config {
        char *url;                     /* owned; push URL, e.g. http://loki:3100/loki/api/v1/push */
        char *tenant_id;               /* owned; NULL: no X-Scope-OrgID header */
        uint64_t batchwait_ns;         /* default 1s: send a batch this long after its first entry */
        uint64_t batchsize;            /* default 1048576: send a batch at this many bytes of lines */
        uint64_t timeout_ns;           /* default 10s: one HTTP request */
        uint64_t backoff_min_ns;       /* backoff_config.min_period, default 500ms */
        uint64_t backoff_max_ns;       /* backoff_config.max_period, default 5m */
        uint64_t max_retries;          /* backoff_config.max_retries; 0 (default) retries until success */
        struct sl_label_pair *external_labels; /* owned; added to every stream */
        size_t n_external_labels;
};

struct sl_static_config {
        char *path_glob;               /* owned; the __path__ label (required unless the job
                                        * has relabel_configs, which may set it); NULL: none */
        struct sl_label_pair *labels;  /* owned; every label but __path__ (names starting with
                                        * "__" included: relabel_configs may read them) */
        size_t n_labels;
        char **targets;                /* owned; `targets` entries (each a target, its
                                        * __address__ label, as Promtail makes them) */
        size_t n_targets;
};

struct sl_discovery_config;

struct sl_scrape_config {
        char *job_name;                        /* owned; also the "job" label unless set */
        struct sl_static_config *static_configs; /* owned */
        size_t n_static_configs;
        const struct sl_yaml_node *pipeline_stages; /* borrowed from a doc the config owns; may be NULL */
        char *pipeline_file;                   /* owned; file holding pipeline_stages (config or NAME.yaml) */
        char *pipeline_name;                   /* owned; `pipeline: NAME`, or NULL */
        bool decompression_enabled;            /* Promtail's decompression.enabled (.gz files
                                                * are read decompressed either way) */
        uint64_t decompression_initial_delay_ns; /* decompression.initial_delay (read, unused:
                                                * a .gz being written is read as it grows) */
        struct sl_discovery_config *discovery; /* owned; relabel_configs, docker_sd_configs,
                                                * kubernetes_sd_configs (config/discovery-config.h);
                                                * NULL when the job has none of them */
};

struct sl_config {
        char *file;                            /* owned; path of the config file */
        struct {
                char *listen_address;          /* owned; default "0.0.0.0" */
                unsigned listen_port;          /* default 9080; 0 picks a free port */
                bool disable;                  /* no HTTP server */
                char *log_level;               /* owned; default "info" */
                uint64_t graceful_shutdown_timeout_ns; /* default 30s: flush deadline at exit */
        } server;
        struct {
                char *filename;                /* owned; default /var/lib/sluice/positions.yaml */
                uint64_t sync_period_ns;       /* default 10s */
                bool ignore_invalid;           /* start over when the file is unreadable */
        } positions;
        struct {
                uint64_t sync_period_ns;       /* target_config.sync_period: glob rescan, default 5s */
                bool poll;                     /* target_config.poll: stat() instead of inotify */
                uint64_t poll_period_ns;       /* default 250ms */
                char **rotated_suffixes;       /* owned, NULL-terminated; how rotated generations
                                                * are named after the live file (glob patterns,
                                                * tail/rotation.h); NULL: ".[0-9]*", "-[0-9]*" */
                bool read_rotated_at_first_start; /* with no positions saved yet, read the old
                                                * generations of each log too (default false) */
        } target;
        struct {
                uint64_t max_line_size;        /* limits_config.max_line_size; 0: no limit (default 256KB) */
                bool max_line_size_truncate;   /* truncate instead of drop */
                uint64_t max_buffered_bytes;   /* stop reading above this much held in memory; default 16MiB */
        } limits;
        struct sl_client_config *clients;      /* owned, at least one */
        size_t n_clients;
        struct sl_scrape_config *scrape_configs; /* owned */
        size_t n_scrape_configs;
        char *pipelines_dir;                   /* owned; where `pipeline: NAME` files are found */

        struct sl_yaml_doc **docs;             /* owned: the config and every pipeline file */
        size_t n_docs;
};

/* Loads @path. @pipelines_dir overrides where `pipeline: NAME` is looked up
 * (NULL: the "pipelines" directory next to the config if it exists, else
 * /etc/sluice/pipelines). Returns 0 and a new config in *@ret_config, or
 * -EINVAL with @err filled (also for files that cannot be read: err->msg then
 * says why). An error in a pipeline file names that file and its line. */
int sl_config_load(const char *path, const char *pipelines_dir, struct sl_config **ret_config,
                   struct sl_cfg_error *err);
/* Frees @config, its strings and arrays and its YAML documents (every
 * pipeline_stages node dies with it). NULL is a no-op. */

struct sl_config_load_options {
        const char *pipelines_dir; /* as @pipelines_dir above; NULL: the default */
        bool expand_env;           /* -config.expand-env: replace ${VAR} and
                                    * ${VAR:-default} in the config file (not in
                                    * pipeline files) with the environment's
                                    * values; "$$" stands for "$" */
};
/* sl_config_load() with options. */
int sl_config_load_opts(const char *path, const struct sl_config_load_options *opts,
                        struct sl_config **ret_config, struct sl_cfg_error *err);
void sl_config_free(struct sl_config *config);
SL_DEFINE_CLEANUP(struct sl_config *, sl_config_free)

#endif
