/* config.h - sluice's configuration: Promtail-shaped YAML → plain structs.
 *
 * Reads Promtail's configuration file as it is. Every key Promtail 3.x
 * accepts, in every section (global, server, positions, clients and client,
 * scrape_configs, target_config, limits_config, options, tracing, wal), is
 * in one of three groups, listed key by key in config/keys.c:
 *   - implemented with Promtail's meaning (read into the structs below);
 *   - accepted without effect: one warning each in @warnings, logged at
 *     start-up (gRPC settings, HTTP server timeouts, ...);
 *   - refused with an error saying "not supported" and naming the feature
 *     (sources sluice lacks: journal, syslog, kafka, ...; discovery and
 *     relabeling until sluice has them), pointing to the README's "Moving
 *     from Promtail" table.
 * Keys Promtail does not know are errors too, with a "did you mean" hint.
 * A few keys are sluice's own (limits_config.max_buffered_bytes,
 * target_config.poll and poll_period, scrape_configs[].pipeline). Every
 * error names file, line, column, the dotted key and what was expected.
 *
 * Owns: struct sl_config owns every string and array in it, and the YAML
 * documents its pipeline_stages nodes point into (the agent's pipelines are
 * built from those nodes, so the config outlives them).
 * Calling sequence:
 *   sl_config_load()  parses and validates; fills defaults
 *   ... log config->warnings; read fields; the config is immutable ...
 *   sl_config_free()
 *
 * Rules the loader enforces (conf/sluice.yaml shows every key):
 *   - a key with no value (`batchwait:`) keeps its default;
 *   - clients: a list, and/or Promtail's singular `client:` map. As in
 *     Promtail, `client` with a url is one more client after the list, and
 *     its external_labels are added to every client (a client's own label
 *     of the same name wins); at least one client with a url is required.
 *     url must start with http:// or https://; an empty tenant_id is no
 *     tenant; backoff min_period <= max_period;
 *   - clients[].headers: names are HTTP tokens, values have no line breaks;
 *     the headers sluice sets itself (Content-Type, User-Agent, Expect, and
 *     X-Scope-OrgID when tenant_id is set) are not overwritten: a warning
 *     says so, as Promtail logs one;
 *   - clients[] TLS, authentication and proxy keys are read and checked as
 *     Promtail does (bearer_token becomes authorization Bearer; at most one
 *     way to authenticate; a client certificate needs its key; proxy_url
 *     and proxy_from_environment exclude each other); tls_config.server_name
 *     must name the URL's host (libcurl cannot check another name);
 *   - periods, timeouts, batchwait and batchsize must be above 0
 *     (graceful_shutdown_timeout and max_line_size may be 0);
 *   - limits_config.readline_rate above 0 and readline_burst at least 1
 *     when readline_rate_enabled (Promtail would drop every line);
 *   - label names are [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are
 *     reserved outside static_configs (whose __path__ is required unless
 *     relabel_configs may set it; its other "__" labels are for relabeling);
 *   - job_name is required and unique; static_configs is required unless
 *     docker_sd_configs or kubernetes_sd_configs discover the targets
 *     (those and relabel_configs: config/discovery-config.h);
 *     encoding, if given, must be UTF-8 (sluice converts no encodings);
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

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/yaml-doc.h"

struct sl_label_pair {
        char *name;  /* owned */
        char *value; /* owned */
};

/* An HTTP header sent with every push (clients[].headers). */
struct sl_header {
        char *name;  /* owned; an HTTP token, as written */
        char *value; /* owned; without CR or LF */
};

/* clients[].tls_config, Prometheus' TLS client settings. Inline PEM (ca,
 * cert, key) and files (*_file) exclude each other; cert and key go together. */
struct sl_client_tls {
        char *ca_file;                 /* owned; CA bundle verifying Loki's certificate */
        char *ca;                      /* owned; the same, inline PEM */
        char *cert_file;               /* owned; client certificate (mutual TLS) */
        char *cert;                    /* owned; inline PEM */
        char *key_file;                /* owned; its private key */
        char *key;                     /* owned; inline PEM */
        char *server_name;             /* owned; name expected in Loki's certificate: only
                                        * the URL's host is accepted */
        bool insecure_skip_verify;     /* do not verify Loki's certificate */
        char *min_version;             /* owned; "TLS10" ... "TLS13", NULL: the library's */
        char *max_version;             /* owned; same */
};

/* How a client authenticates: basic_auth, or authorization (bearer_token
 * and bearer_token_file are read as authorization of type Bearer). */
struct sl_client_auth {
        bool basic;                    /* basic_auth was given */
        char *username;                /* owned; basic_auth.username */
        char *username_file;           /* owned; basic_auth.username_file */
        char *password;                /* owned; basic_auth.password */
        char *password_file;           /* owned; basic_auth.password_file */
        char *type;                    /* owned; authorization.type ("Bearer" by default);
                                        * NULL when there is no authorization */
        char *credentials;             /* owned; authorization.credentials, or bearer_token */
        char *credentials_file;        /* owned; authorization.credentials_file, or
                                        * bearer_token_file */
};

/* clients[] proxy settings. */
struct sl_client_proxy {
        char *url;                     /* owned; proxy_url, NULL: none */
        char *no_proxy;                /* owned; hosts that bypass it (comma-separated) */
        bool from_environment;         /* proxy_from_environment: HTTP(S)_PROXY, NO_PROXY */
        struct sl_header *connect_headers; /* owned; proxy_connect_header, one per value */
        size_t n_connect_headers;
};

struct sl_client_config {
        char *url;                     /* owned; push URL, e.g. http://loki:3100/loki/api/v1/push */
        char *display_url;             /* owned; url without its user information (a password
                                        * may be there): what logs, metrics and pages show */
        char *tenant_id;               /* owned; NULL: no X-Scope-OrgID header */
        struct sl_header *headers;     /* owned; headers: sent with every push */
        size_t n_headers;
        bool drop_rate_limited_batches; /* a 429 drops the batch instead of retrying it */
        struct sl_client_auth auth;    /* basic_auth / authorization */
        struct sl_client_tls tls;      /* tls_config */
        struct sl_client_proxy proxy;  /* proxy_url, no_proxy, ... */
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

/* What a scrape config reads from: files (static_configs), or pushes it
 * listens for. */
enum sl_source_kind {
        SL_SOURCE_FILES,        /* static_configs */
        SL_SOURCE_LOKI_PUSH,    /* loki_push_api (Promtail's) */
        SL_SOURCE_OTLP,         /* otlp_logs (sluice's): OTLP/HTTP logs */
};

/* loki_push_api or otlp_logs: a server of its own, labels, limits. */
struct sl_receiver_config {
        char *listen_address;          /* owned; server.http_listen_address, default "0.0.0.0" */
        unsigned listen_port;          /* server.http_listen_port; 0 (Promtail's default):
                                        * a free port, logged at start-up */
        unsigned max_connections;      /* server.http_listen_conn_limit; default 64 */
        struct sl_label_pair *labels;  /* owned; labels: set on every entry (over the pushed ones) */
        size_t n_labels;
        bool use_incoming_timestamp;   /* keep the pushed timestamps; default false for
                                        * loki_push_api (Promtail's), true for otlp_logs */
        uint64_t max_body_size;        /* bytes of a request body, as sent and decompressed;
                                        * default 16 MiB (sluice's key) */
        uint64_t max_entries;          /* entries per push, default 100000 (sluice's key) */
        uint64_t ack_timeout_ns;       /* answer 503 when Loki has not acknowledged a push's
                                        * entries this long after it arrived; default 10s */
};

struct sl_scrape_config {
        char *job_name;                        /* owned; also the "job" label unless set */
        enum sl_source_kind source;            /* static_configs, loki_push_api or otlp_logs */
        struct sl_receiver_config receiver;    /* loki_push_api / otlp_logs; else zero */
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
                bool enable_runtime_reload;    /* serve /reload (SIGHUP reloads either way) */
                char *log_level;               /* owned; default "info" */
                char *log_format;              /* owned; "logfmt" (default) or "json" */
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
                uint64_t poll_period_ns;       /* default 250ms; also set by
                                                * global.file_watch_config.min_poll_frequency */
                char **rotated_suffixes;       /* owned, NULL-terminated; how rotated generations
                                                * are named after the live file (glob patterns,
                                                * tail/rotation.h); NULL: ".[0-9]*", "-[0-9]*" */
                bool read_rotated_at_first_start; /* with no positions saved yet, read the old
                                                * generations of each log too (default false) */
        } target;
        struct {
                bool readline_rate_enabled;    /* limits_config.readline_rate_enabled: a token
                                                * bucket on the lines kept by the pipelines */
                double readline_rate;          /* lines per second (default 10000) */
                uint64_t readline_burst;       /* bucket size in lines (default 10000) */
                bool readline_rate_drop;       /* over the rate: drop (default) or wait */
                uint64_t max_streams;          /* streams per batch; 0 (default): no limit */
                uint64_t max_line_size;        /* limits_config.max_line_size; 0: no limit (default 256KB) */
                bool max_line_size_truncate;   /* truncate instead of drop */
                uint64_t max_buffered_bytes;   /* stop reading above this much held in memory; default 16MiB */
                uint32_t max_label_names;      /* max_label_names_per_series (Loki's, default 15); 0: none */
                uint32_t max_label_name_length; /* bytes, default 1024; 0: none */
                uint32_t max_label_value_length; /* bytes, default 2048; 0: none */
                bool drop_over_label_limits;   /* drop such entries instead of cutting their labels */
        } limits;
        struct sl_client_config *clients;      /* owned, at least one */
        size_t n_clients;
        struct sl_scrape_config *scrape_configs; /* owned */
        size_t n_scrape_configs;
        char *pipelines_dir;                   /* owned; where `pipeline: NAME` files are found */
        struct sl_cfg_error *warnings;         /* owned; keys accepted without effect (and
                                                * headers not sent), one line each to log at
                                                * start-up, in file order */
        size_t n_warnings;

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
/* Writes the effective configuration as YAML into @out: every key sluice
 * reads with its value, defaults filled in. Secrets are written as
 * "<secret>": basic_auth.password, authorization.credentials (and bearer
 * tokens), tls_config.key, the user information of url and proxy_url, and
 * headers whose name speaks of one (auth, token, key, secret, cookie,
 * password, credential). Files holding secrets are named, not read. */
void sl_config_print(const struct sl_config *c, struct sl_buf *out);
/* Whether sluice may speak TLS with this config: a client or proxy URL
 * that is https://, proxies from the environment, a Kubernetes API, or
 * Docker's API elsewhere than its socket or plain http://. False only when
 * every connection it makes is plain HTTP (or a Unix socket). */
bool sl_config_may_use_tls(const struct sl_config *c);
/* @url (http://user:password@host/...) without its user information, as a
 * new string: what may be shown. Anything else is copied. */
char *sl_url_without_userinfo(const char *url);
SL_DEFINE_CLEANUP(struct sl_config *, sl_config_free)

#endif
