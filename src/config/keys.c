/* keys.c - see keys.h.
 *
 * The tables follow Promtail 3.x: clients/pkg/promtail/{config,server,client,
 * positions,limit,scrapeconfig,targets/file,wal} and the structs they embed
 * (dskit's server.Config, Prometheus' HTTPClientConfig and service
 * discovery configs), and its configuration reference. Keys are listed in
 * the order of that reference where it has them.
 */
#include "config/keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "config/config-internal.h"

#define READ(n) { .name = (n), .fate = SL_KEY_READ }
#define IGNORE(n, t, why) { .name = (n), .fate = SL_KEY_IGNORE, .type = (t), .what = (why) }
#define IGNORE_IF(n, t, w, why) \
        { .name = (n), .fate = SL_KEY_IGNORE, .type = (t), .when = (w), .what = (why) }
#define REFUSE(n, feature, h) { .name = (n), .fate = SL_KEY_REFUSE, .what = (feature), .hint = (h) }
#define REFUSE_YET(n, feature, h) \
        { .name = (n), .fate = SL_KEY_REFUSE, .what = (feature), .hint = (h), .yet = true }
#define UNWIRED(n, feature) { .name = (n), .fate = SL_KEY_UNWIRED, .what = (feature) }
#define TYPED(n, t) { .name = (n), .fate = SL_KEY_IGNORE, .type = (t) }
#define END { .name = NULL }

#define NO_GRPC "sluice has no gRPC server"
#define NO_REQUEST_LOG "sluice does not log the requests made to its HTTP server"
#define OWN_HTTP "sluice's HTTP server answers from memory and closes idle connections itself"
#define FILES_ONLY "sluice reads log files; list them with static_configs (__path__)"
#define DISCOVERY_HINT                                                                    \
        "sluice discovers Docker containers (docker_sd_configs) and Kubernetes pods "    \
        "(kubernetes_sd_configs); otherwise list the files with static_configs, e.g. "  \
        "__path__: /var/lib/docker/containers/*/*-json.log or /var/log/pods/*/*/*.log"

/* ---- the tables ----------------------------------------------------------- */

const struct sl_key_rule sl_keys_file_watch[] = {
        READ("min_poll_frequency"),
        IGNORE("max_poll_frequency", SL_KEY_DURATION,
               "sluice follows files with inotify and stat()s them every "
               "min_poll_frequency when it polls; it does not back off"),
        END,
};

const struct sl_key_rule sl_keys_global[] = {
        READ("file_watch_config"),
        END,
};

/* dskit's server TLS settings (server.grpc_tls_config). */
static const struct sl_key_rule server_tls_keys[] = {
        TYPED("cert", SL_KEY_STRING),
        TYPED("key", SL_KEY_STRING),
        TYPED("client_ca", SL_KEY_STRING),
        TYPED("cert_file", SL_KEY_STRING),
        TYPED("key_file", SL_KEY_STRING),
        TYPED("client_auth_type", SL_KEY_STRING),
        TYPED("client_ca_file", SL_KEY_STRING),
        END,
};

const struct sl_key_rule sl_keys_server[] = {
        READ("disable"),
        IGNORE_IF("profiling_enabled", SL_KEY_BOOL, "true",
                  "sluice serves no /debug/pprof endpoints"),
        READ("http_listen_address"),
        READ("http_listen_port"),
        IGNORE("http_listen_network", SL_KEY_STRING, "sluice's HTTP server listens on TCP"),
        IGNORE("http_listen_conn_limit", SL_KEY_INT,
               "sluice's HTTP server caps its connections itself (32)"),
        IGNORE("grpc_listen_address", SL_KEY_STRING, NO_GRPC),
        IGNORE("grpc_listen_port", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_listen_network", SL_KEY_STRING, NO_GRPC),
        IGNORE("grpc_listen_conn_limit", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_collect_max_streams_by_conn", SL_KEY_BOOL, NO_GRPC),
        IGNORE("proxy_protocol_enabled", SL_KEY_BOOL,
               "sluice's HTTP server does not read the PROXY protocol"),
        IGNORE("tls_cipher_suites", SL_KEY_STRING, "sluice's HTTP server does not serve TLS"),
        IGNORE("tls_min_version", SL_KEY_STRING, "sluice's HTTP server does not serve TLS"),
        REFUSE("http_tls_config", "HTTPS on sluice's own HTTP server (server.http_tls_config)",
               "serve /metrics on a private address, or behind a TLS proxy"),
        { .name = "grpc_tls_config", .fate = SL_KEY_IGNORE, .type = SL_KEY_MAP,
          .keys = server_tls_keys, .what = NO_GRPC },
        IGNORE_IF("register_instrumentation", SL_KEY_BOOL, "false",
                  "sluice always serves /metrics"),
        IGNORE("report_grpc_codes_in_instrumentation_label_enabled", SL_KEY_BOOL, NO_GRPC),
        READ("graceful_shutdown_timeout"),
        IGNORE("http_server_read_timeout", SL_KEY_DURATION, OWN_HTTP),
        IGNORE("http_server_read_header_timeout", SL_KEY_DURATION, OWN_HTTP),
        IGNORE("http_server_write_timeout", SL_KEY_DURATION, OWN_HTTP),
        IGNORE("http_server_idle_timeout", SL_KEY_DURATION, OWN_HTTP),
        IGNORE("http_log_closed_connections_without_response_enabled", SL_KEY_BOOL,
               NO_REQUEST_LOG),
        IGNORE("grpc_server_max_recv_msg_size", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_server_max_send_msg_size", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_server_max_concurrent_streams", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_server_max_connection_idle", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_max_connection_age", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_max_connection_age_grace", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_keepalive_time", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_keepalive_timeout", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_min_time_between_pings", SL_KEY_DURATION, NO_GRPC),
        IGNORE("grpc_server_ping_without_stream_allowed", SL_KEY_BOOL, NO_GRPC),
        IGNORE("grpc_server_num_workers", SL_KEY_INT, NO_GRPC),
        IGNORE("grpc_server_stats_tracking_enabled", SL_KEY_BOOL, NO_GRPC),
        IGNORE("grpc_server_recv_buffer_pools_enabled", SL_KEY_BOOL, NO_GRPC),
        READ("log_format"),
        READ("log_level"),
        IGNORE("log_source_ips_enabled", SL_KEY_BOOL, NO_REQUEST_LOG),
        IGNORE("log_source_ips_full", SL_KEY_BOOL, NO_REQUEST_LOG),
        IGNORE("log_source_ips_header", SL_KEY_STRING, NO_REQUEST_LOG),
        IGNORE("log_source_ips_regex", SL_KEY_STRING, NO_REQUEST_LOG),
        IGNORE("log_request_headers", SL_KEY_BOOL, NO_REQUEST_LOG),
        IGNORE("log_request_at_info_level_enabled", SL_KEY_BOOL, NO_REQUEST_LOG),
        IGNORE("log_request_exclude_headers_list", SL_KEY_STRING, NO_REQUEST_LOG),
        IGNORE("trace_request_headers", SL_KEY_BOOL, "sluice does not trace requests"),
        IGNORE("trace_request_exclude_headers_list", SL_KEY_STRING,
               "sluice does not trace requests"),
        IGNORE("create_new_traces", SL_KEY_BOOL, "sluice does not trace requests"),
        IGNORE("throughput_latency_cutoff", SL_KEY_DURATION,
               "sluice does not measure request throughput"),
        IGNORE("throughput_unit", SL_KEY_STRING, "sluice does not measure request throughput"),
        IGNORE("cluster_validation", SL_KEY_MAP,
               "sluice's HTTP server does not check cluster labels"),
        IGNORE("http_path_prefix", SL_KEY_STRING,
               "sluice serves /metrics, /ready and / at the root of its HTTP server"),
        IGNORE("external_url", SL_KEY_STRING, "sluice has no web UI to link to"),
        IGNORE_IF("health_check_target", SL_KEY_BOOL, "false",
                  "sluice's /ready answers 200 once it follows its files, whatever the targets"),
        READ("enable_runtime_reload"),
        END,
};

/* loki_push_api's server block: Promtail builds a whole server from it, so
 * every server key is accepted; sluice reads where to listen and the
 * connection limit. */
const struct sl_key_rule sl_keys_push_server[] = {
        READ("http_listen_address"),
        READ("http_listen_port"),
        READ("http_listen_conn_limit"),
        IGNORE("disable", SL_KEY_BOOL, "a push receiver always listens"),
        IGNORE("log_level", SL_KEY_STRING, "push receivers log through sluice's own log"),
        IGNORE("log_format", SL_KEY_STRING, "push receivers log through sluice's own log"),
        IGNORE("graceful_shutdown_timeout", SL_KEY_DURATION,
               "push receivers stop within the top-level server.graceful_shutdown_timeout"),
        IGNORE_IF("register_instrumentation", SL_KEY_BOOL, "true",
                  "push receivers serve no /metrics: sluice's own server does"),
        { .name = NULL, .keys = sl_keys_server }, /* then the server block's rules */
};

const struct sl_key_rule sl_keys_push_target[] = {
        READ("server"),
        READ("labels"),
        READ("use_incoming_timestamp"),
        READ("max_body_size"),        /* sluice's own */
        READ("max_entries_per_push"), /* sluice's own */
        READ("ack_timeout"),          /* sluice's own */
        END,
};

const struct sl_key_rule sl_keys_positions[] = {
        READ("filename"),
        READ("sync_period"),
        READ("ignore_invalid_yaml"),
        END,
};

const struct sl_key_rule sl_keys_backoff[] = {
        READ("min_period"),
        READ("max_period"),
        READ("max_retries"),
        END,
};

const struct sl_key_rule sl_keys_basic_auth[] = {
        READ("username"),
        READ("username_file"),
        REFUSE("username_ref", "secret manager references (basic_auth.username_ref)",
               "use username or username_file"),
        READ("password"),
        READ("password_file"),
        REFUSE("password_ref", "secret manager references (basic_auth.password_ref)",
               "use password or password_file"),
        END,
};

const struct sl_key_rule sl_keys_authorization[] = {
        READ("type"),
        READ("credentials"),
        READ("credentials_file"),
        REFUSE("credentials_ref", "secret manager references (authorization.credentials_ref)",
               "use credentials or credentials_file"),
        END,
};

const struct sl_key_rule sl_keys_tls[] = {
        READ("ca"),
        READ("cert"),
        READ("key"),
        READ("ca_file"),
        READ("cert_file"),
        READ("key_file"),
        REFUSE("ca_ref", "secret manager references (tls_config.ca_ref)", "use ca or ca_file"),
        REFUSE("cert_ref", "secret manager references (tls_config.cert_ref)",
               "use cert or cert_file"),
        REFUSE("key_ref", "secret manager references (tls_config.key_ref)",
               "use key or key_file"),
        READ("server_name"),
        READ("insecure_skip_verify"),
        READ("min_version"),
        READ("max_version"),
        END,
};

const struct sl_key_rule sl_keys_client[] = {
        READ("url"),
        READ("headers"),
        READ("tenant_id"),
        READ("batchwait"),
        READ("batchsize"),
        READ("basic_auth"),
        REFUSE("oauth2", "OAuth 2.0 authentication to Loki (oauth2)",
               "fetch a token outside sluice and pass it with bearer_token_file"),
        READ("authorization"),
        READ("bearer_token"),
        READ("bearer_token_file"),
        READ("proxy_url"),
        READ("no_proxy"),
        READ("proxy_from_environment"),
        READ("proxy_connect_header"),
        READ("tls_config"),
        REFUSE("http_headers", "Prometheus-style http_headers",
               "use Promtail's headers: {Name: value}"),
        IGNORE_IF("follow_redirects", SL_KEY_BOOL, "true",
                  "sluice does not follow redirects: give the push URL itself"),
        IGNORE("enable_http2", SL_KEY_BOOL,
               "Promtail turns HTTP/2 off for Loki and sluice leaves the choice to libcurl"),
        READ("backoff_config"),
        READ("drop_rate_limited_batches"),
        READ("external_labels"),
        READ("timeout"),
        IGNORE("name", SL_KEY_STRING, "sluice names each client by its URL"),
        END,
};

const struct sl_key_rule sl_keys_scrape[] = {
        READ("job_name"),
        READ("pipeline_stages"),
        READ("decompression"),
        REFUSE("journal", "the systemd journal source (journal)",
               "export the journal to a file (journalctl -f -o json > FILE) for sluice to read"),
        READ("encoding"),
        REFUSE("syslog", "the syslog receiver (syslog)",
               "have rsyslog or syslog-ng write files for sluice to read"),
        READ("loki_push_api"),
        REFUSE("windows_events", "the Windows event log source (windows_events)", NULL),
        REFUSE("gcplog", "the Google Cloud Platform logs source (gcplog)", NULL),
        REFUSE("azure_event_hubs", "the Azure Event Hubs source (azure_event_hubs)", NULL),
        REFUSE("kafka", "the Kafka source (kafka)", NULL),
        REFUSE("gelf", "the GELF receiver (gelf)", NULL),
        REFUSE("cloudflare", "the Cloudflare logs source (cloudflare)", NULL),
        REFUSE("heroku_drain", "the Heroku drain receiver (heroku_drain)", NULL),
        READ("relabel_configs"),
        READ("static_configs"),
        REFUSE_YET("file_sd_configs", "file-based target discovery (file_sd_configs)",
               DISCOVERY_HINT),
        READ("kubernetes_sd_configs"),
        REFUSE_YET("consul_sd_configs", "Consul target discovery (consul_sd_configs)",
               DISCOVERY_HINT),
        REFUSE_YET("consulagent_sd_configs",
               "Consul agent target discovery (consulagent_sd_configs)", DISCOVERY_HINT),
        READ("docker_sd_configs"),
        REFUSE("dns_sd_configs", "DNS target discovery (dns_sd_configs)", FILES_ONLY),
        REFUSE("digitalocean_sd_configs",
               "DigitalOcean target discovery (digitalocean_sd_configs)", FILES_ONLY),
        REFUSE("dockerswarm_sd_configs",
               "Docker Swarm target discovery (dockerswarm_sd_configs)", DISCOVERY_HINT),
        REFUSE("serverset_sd_configs", "Zookeeper target discovery (serverset_sd_configs)",
               FILES_ONLY),
        REFUSE("nerve_sd_configs", "Nerve target discovery (nerve_sd_configs)", FILES_ONLY),
        REFUSE("marathon_sd_configs", "Marathon target discovery (marathon_sd_configs)",
               FILES_ONLY),
        REFUSE("gce_sd_configs", "GCE target discovery (gce_sd_configs)", FILES_ONLY),
        REFUSE("ec2_sd_configs", "EC2 target discovery (ec2_sd_configs)", FILES_ONLY),
        REFUSE("openstack_sd_configs", "OpenStack target discovery (openstack_sd_configs)",
               FILES_ONLY),
        REFUSE("azure_sd_configs", "Azure target discovery (azure_sd_configs)", FILES_ONLY),
        REFUSE("triton_sd_configs", "Triton target discovery (triton_sd_configs)",
               FILES_ONLY),
        READ("pipeline"), /* sluice's own: a file of the pipelines directory */
        READ("otlp_logs"), /* sluice's own: OTLP/HTTP logs, shaped as loki_push_api */
        END,
};

/* ---- discovery (config/discovery-config.c reads what is READ) ---------- */

const struct sl_key_rule sl_keys_relabel[] = {
        READ("source_labels"),
        READ("separator"),
        READ("target_label"),
        READ("regex"),
        READ("modulus"),
        READ("replacement"),
        READ("action"),
        END,
};

/* A discovery config's tls_config (Prometheus' TLSConfig). */
const struct sl_key_rule sl_keys_sd_tls[] = {
        REFUSE("ca", "an inline CA certificate in a discovery tls_config (ca)",
               "write it to a file and use ca_file"),
        REFUSE("cert", "an inline client certificate in a discovery tls_config (cert)",
               "write it to a file and use cert_file"),
        REFUSE("key", "an inline client key in a discovery tls_config (key)",
               "write it to a file and use key_file"),
        READ("ca_file"),
        READ("cert_file"),
        READ("key_file"),
        REFUSE("ca_ref", "secret manager references (tls_config.ca_ref)", "use ca_file"),
        REFUSE("cert_ref", "secret manager references (tls_config.cert_ref)", "use cert_file"),
        REFUSE("key_ref", "secret manager references (tls_config.key_ref)", "use key_file"),
        READ("server_name"),
        READ("insecure_skip_verify"),
        REFUSE("min_version", "TLS version bounds in a discovery tls_config (min_version)",
               NULL),
        REFUSE("max_version", "TLS version bounds in a discovery tls_config (max_version)",
               NULL),
        END,
};

#define DOCKER_API_HINT "reach the Docker daemon over its unix socket, or tcp:// with tls_config"
#define KUBE_API_HINT "use bearer_token_file and tls_config, or kubeconfig_file"

const struct sl_key_rule sl_keys_docker_sd[] = {
        READ("host"),
        READ("port"),
        READ("host_networking_host"),
        READ("match_first_network"),
        READ("filters"),
        READ("refresh_interval"),
        REFUSE("basic_auth", "basic authentication to the Docker daemon (basic_auth)",
               DOCKER_API_HINT),
        REFUSE("authorization", "an Authorization header to the Docker daemon (authorization)",
               DOCKER_API_HINT),
        REFUSE("oauth2", "OAuth 2.0 to the Docker daemon (oauth2)", DOCKER_API_HINT),
        REFUSE("bearer_token", "a bearer token to the Docker daemon (bearer_token)",
               DOCKER_API_HINT),
        REFUSE("bearer_token_file", "a bearer token to the Docker daemon (bearer_token_file)",
               DOCKER_API_HINT),
        READ("tls_config"),
        REFUSE("proxy_url", "a proxy to the Docker daemon (proxy_url)", DOCKER_API_HINT),
        REFUSE("no_proxy", "a proxy to the Docker daemon (no_proxy)", DOCKER_API_HINT),
        REFUSE("proxy_from_environment",
               "a proxy to the Docker daemon (proxy_from_environment)", DOCKER_API_HINT),
        REFUSE("proxy_connect_header", "a proxy to the Docker daemon (proxy_connect_header)",
               DOCKER_API_HINT),
        REFUSE("http_headers", "extra HTTP headers to the Docker daemon (http_headers)", NULL),
        READ("follow_redirects"), /* read, without effect: the API does not redirect */
        READ("enable_http2"),     /* read, without effect: HTTP/1.1 over the socket */
        END,
};

const struct sl_key_rule sl_keys_docker_filter[] = {
        READ("name"),
        READ("values"),
        END,
};

const struct sl_key_rule sl_keys_kube_sd[] = {
        READ("api_server"),
        READ("role"),
        READ("kubeconfig_file"),
        REFUSE("basic_auth", "basic authentication to the Kubernetes API (basic_auth)",
               KUBE_API_HINT),
        REFUSE("authorization",
               "an Authorization header to the Kubernetes API (authorization)", KUBE_API_HINT),
        REFUSE("oauth2", "OAuth 2.0 to the Kubernetes API (oauth2)", KUBE_API_HINT),
        READ("bearer_token"),
        READ("bearer_token_file"),
        REFUSE("proxy_url", "a proxy to the Kubernetes API (proxy_url)", NULL),
        REFUSE("no_proxy", "a proxy to the Kubernetes API (no_proxy)", NULL),
        REFUSE("proxy_from_environment",
               "a proxy to the Kubernetes API (proxy_from_environment)", NULL),
        REFUSE("proxy_connect_header", "a proxy to the Kubernetes API (proxy_connect_header)",
               NULL),
        REFUSE("http_headers", "extra HTTP headers to the Kubernetes API (http_headers)", NULL),
        READ("tls_config"),
        READ("follow_redirects"), /* read, without effect */
        READ("enable_http2"),     /* read, without effect */
        READ("namespaces"),
        READ("selectors"),
        READ("attach_metadata"),
        END,
};

const struct sl_key_rule sl_keys_kube_namespaces[] = {
        READ("own_namespace"),
        READ("names"),
        END,
};

const struct sl_key_rule sl_keys_kube_selector[] = {
        READ("role"),
        READ("label"),
        READ("field"),
        END,
};

const struct sl_key_rule sl_keys_kube_attach[] = {
        { .name = "node", .fate = SL_KEY_REFUSE, .type = SL_KEY_BOOL, .when = "true",
          .what = "node metadata on pod targets (attach_metadata.node)",
          .hint = "the pod's node is __meta_kubernetes_pod_node_name" },
        END,
};

const struct sl_key_rule sl_keys_static_config[] = {
        READ("targets"),
        READ("labels"),
        END,
};

const struct sl_key_rule sl_keys_target[] = {
        READ("sync_period"),
        { .name = "stdin", .fate = SL_KEY_REFUSE, .type = SL_KEY_BOOL, .when = "true",
          .what = "reading log lines from standard input (target_config.stdin)",
          .hint = "write them to a file for sluice to follow" },
        READ("poll"),        /* sluice's own */
        READ("poll_period"), /* sluice's own */
        READ("rotated_suffixes"),            /* sluice's own */
        READ("read_rotated_at_first_start"), /* sluice's own */
        END,
};

const struct sl_key_rule sl_keys_limits[] = {
        READ("readline_rate_enabled"),
        READ("readline_rate"),
        READ("readline_burst"),
        READ("readline_rate_drop"),
        READ("max_streams"),
        READ("max_line_size"),
        READ("max_line_size_truncate"),
        READ("max_buffered_bytes"), /* sluice's own */
        READ("max_label_names_per_series"),
        READ("max_label_name_length"),
        READ("max_label_value_length"),
        READ("drop_over_label_limits"), /* sluice's own */
        END,
};

/* Promtail 3's options block is empty; Promtail 2 had stream_lag_labels. */
const struct sl_key_rule sl_keys_options[] = {
        IGNORE("stream_lag_labels", SL_KEY_ANY,
               "Promtail 2's labels of its stream lag metric, which Promtail 3 removed"),
        END,
};

static const struct sl_key_rule tracing_keys[] = {
        TYPED("enabled", SL_KEY_BOOL),
        TYPED("profiling_enabled", SL_KEY_BOOL),
        END,
};

static const struct sl_key_rule wal_watch_keys[] = {
        TYPED("minReadFrequency", SL_KEY_DURATION),
        TYPED("maxReadFrequency", SL_KEY_DURATION),
        END,
};

static const struct sl_key_rule wal_keys[] = {
        TYPED("enabled", SL_KEY_BOOL),
        TYPED("dir", SL_KEY_STRING),
        TYPED("cleanSegmentsOlderThan", SL_KEY_DURATION),
        { .name = "watchConfig", .fate = SL_KEY_IGNORE, .type = SL_KEY_MAP,
          .keys = wal_watch_keys },
        END,
};

const struct sl_key_rule sl_keys_top[] = {
        READ("global"),
        READ("server"),
        READ("clients"),
        READ("client"),
        READ("positions"),
        READ("scrape_configs"),
        READ("limits_config"),
        READ("target_config"),
        READ("options"),
        { .name = "tracing", .fate = SL_KEY_IGNORE, .type = SL_KEY_MAP, .keys = tracing_keys,
          .when_key = "enabled", .when = "true", .what = "sluice does not export traces" },
        { .name = "wal", .fate = SL_KEY_IGNORE, .type = SL_KEY_MAP, .keys = wal_keys,
          .when_key = "enabled", .when = "true",
          .what = "sluice keeps no write-ahead log: a file's position moves only once Loki "
                  "has acknowledged its lines, so the files themselves are replayed after "
                  "a crash" },
        END,
};

/* ---- checking ------------------------------------------------------------ */

#define NAMES_MAX 96

/* @path.@name, or @name at the top level. */
static const char *join(char *buf, const char *path, const char *name) {
        return path && *path ? sl_cfg_kp(buf, "%s.%s", path, name) : sl_cfg_kp(buf, "%s", name);
}

/* A value that configures nothing: null, {} or []. */
static bool empty(const struct sl_yaml_node *node) {
        return sl_cfg_absent(node) || ((node->kind == SL_YAML_MAP || node->kind == SL_YAML_SEQ) &&
                                node->count == 0);
}

/* A value that sets nothing: empty, "", false, or a map or sequence of
 * such values (`tls_config: {insecure_skip_verify: false}`). */
static bool sets_nothing(const struct sl_yaml_node *node) {
        bool b;

        if (empty(node))
                return true;
        if (node->kind == SL_YAML_SCALAR)
                return node->text_len == 0 ||
                       (sl_yaml_as_bool(node, "", &b, NULL) == 0 && !b);
        for (size_t i = 0; i < node->count; i++)
                if (!sets_nothing(node->values[i]))
                        return false;
        return true;
}

/* The rule after @r in its table, going on into the table a terminator's
 * @keys names (a table that extends another); NULL past the end. */
static const struct sl_key_rule *next_rule(const struct sl_key_rule *r) {
        r++;
        while (r && !r->name)
                r = r->keys;
        return r;
}

static const struct sl_key_rule *first_rule(const struct sl_key_rule *rules) {
        while (rules && !rules->name)
                rules = rules->keys;
        return rules;
}

static const struct sl_key_rule *find_rule(const struct sl_key_rule *rules, const char *name) {
        for (const struct sl_key_rule *r = first_rule(rules); r; r = next_rule(r))
                if (strcmp(r->name, name) == 0)
                        return r;
        return NULL;
}

void sl_config_warn(struct sl_config *c, const struct sl_yaml_node *node, const char *key,
                    const char *fmt, ...) {
        struct sl_cfg_error *w;
        va_list ap;

        if (!c)
                return;
        c->warnings = sl_xrealloc(c->warnings, (c->n_warnings + 1) * sizeof(*c->warnings));
        w = &c->warnings[c->n_warnings++];
        memset(w, 0, sizeof(*w));
        if (node) {
                snprintf(w->file, sizeof(w->file), "%s", node->file ? node->file : "");
                w->line = node->line;
                w->column = node->column;
        }
        snprintf(w->key, sizeof(w->key), "%s", key ? key : "");
        va_start(ap, fmt);
        vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
        va_end(ap);
}

static int check_map(const struct sl_yaml_node *node, const char *path,
                     const struct sl_key_rule *rules, struct sl_cfg_error *err);

/* Checks that @node is a value of @rule's type (and shape, for maps). */
static int check_type(const struct sl_key_rule *rule, const struct sl_yaml_node *node,
                      const char *key, struct sl_cfg_error *err) {
        int64_t i;
        uint64_t d;
        bool b;

        if (sl_cfg_absent(node))
                return 0;
        switch (rule->type) {
        case SL_KEY_ANY:
                return 0;
        case SL_KEY_STRING:
                return sl_yaml_expect(node, SL_YAML_SCALAR, key, err);
        case SL_KEY_BOOL:
                return sl_yaml_as_bool(node, key, &b, err);
        case SL_KEY_INT:
                return sl_yaml_as_int(node, key, INT64_MIN, INT64_MAX, &i, err);
        case SL_KEY_DURATION:
                return sl_yaml_as_duration(node, key, &d, err);
        case SL_KEY_MAP:
                if (rule->keys)
                        return check_map(node, key, rule->keys, err);
                return sl_yaml_expect(node, SL_YAML_MAP, key, err);
        case SL_KEY_SEQ:
                return sl_yaml_expect(node, SL_YAML_SEQ, key, err);
        case SL_KEY_STRINGS: {
                char item[SL_CFG_KEY_MAX];
                int r = sl_yaml_expect(node, SL_YAML_SEQ, key, err);
                for (size_t k = 0; r == 0 && k < node->count; k++) {
                        r = sl_yaml_expect(node->values[k], SL_YAML_SCALAR,
                                           sl_cfg_kp(item, "%s[%zu]", key, k), err);
                }
                return r;
        }
        }
        return 0;
}

/* The keys of @node known to @rules, and their values of the right type. */
static int check_map(const struct sl_yaml_node *node, const char *path,
                     const struct sl_key_rule *rules, struct sl_cfg_error *err) {
        const char *names[NAMES_MAX + 1];
        size_t n = 0;
        char key[SL_CFG_KEY_MAX];
        int r;

        for (const struct sl_key_rule *rule = first_rule(rules); rule && n < NAMES_MAX;
             rule = next_rule(rule))
                names[n++] = rule->name;
        names[n] = NULL;
        r = sl_yaml_map_check(node, path, names, err);
        if (r < 0 || sl_cfg_absent(node))
                return r;
        for (size_t i = 0; i < node->count; i++) {
                const struct sl_key_rule *rule = find_rule(rules, node->keys[i]->text);
                join(key, path, rule->name);
                if (rule->fate == SL_KEY_IGNORE || rule->fate == SL_KEY_REFUSE) {
                        r = check_type(rule, node->values[i], key, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Whether @rule's fate applies to @value: always, unless @when names the
 * boolean that must hold (an absent one counts as false). */
static int applies(const struct sl_key_rule *rule, const struct sl_yaml_node *value,
                   const char *key, bool *ret, struct sl_cfg_error *err) {
        const struct sl_yaml_node *v = value;
        char sub[SL_CFG_KEY_MAX];
        bool b = false;
        int r;

        if (rule->fate == SL_KEY_REFUSE ? sets_nothing(value) : empty(value)) {
                *ret = false;
                return 0;
        }
        if (!rule->when) {
                *ret = true;
                return 0;
        }
        if (rule->when_key) {
                v = sl_yaml_get(value, rule->when_key);
                key = sl_cfg_kp(sub, "%s.%s", key, rule->when_key);
        }
        r = sl_yaml_as_bool(v, key, &b, err);
        if (r < 0)
                return r;
        *ret = b == (strcmp(rule->when, "true") == 0);
        return 0;
}

int sl_keys_check(const struct sl_yaml_node *node, const char *path,
                  const struct sl_key_rule *rules, struct sl_config *c,
                  struct sl_cfg_error *err) {
        char key[SL_CFG_KEY_MAX];
        int r;

        r = check_map(node, path, rules, err);
        if (r < 0 || sl_cfg_absent(node))
                return r;
        for (size_t i = 0; i < node->count; i++) {
                const struct sl_key_rule *rule = find_rule(rules, node->keys[i]->text);
                const struct sl_yaml_node *v = node->values[i];
                bool on = false;

                if (rule->fate != SL_KEY_IGNORE && rule->fate != SL_KEY_REFUSE)
                        continue;
                join(key, path, rule->name);
                r = applies(rule, v, key, &on, err);
                if (r < 0)
                        return r;
                if (!on)
                        continue;
                if (rule->fate == SL_KEY_IGNORE) {
                        sl_config_warn(c, node->keys[i], key, "has no effect: %s", rule->what);
                        continue;
                }
                return sl_cfg_error_set(err, node->keys[i], key, "%s is not supported%s%s%s; %s",
                                        rule->what, rule->yet ? " yet" : "",
                                        rule->hint ? ": " : "", rule->hint ? rule->hint : "",
                                        SL_KEYS_SEE_README);
        }
        return 0;
}

int sl_keys_refuse_unwired(const struct sl_yaml_node *node, const char *path,
                           const struct sl_key_rule *rules, struct sl_cfg_error *err) {
        char key[SL_CFG_KEY_MAX];

        if (sl_cfg_absent(node) || node->kind != SL_YAML_MAP)
                return 0;
        for (size_t i = 0; i < node->count; i++) {
                const struct sl_key_rule *rule = find_rule(rules, node->keys[i]->text);

                if (!rule || rule->fate != SL_KEY_UNWIRED || sets_nothing(node->values[i]))
                        continue;
                join(key, path, rule->name);
                return sl_cfg_error_set(err, node->keys[i], key,
                                        "%s is not supported yet; %s", rule->what,
                                        SL_KEYS_SEE_README);
        }
        return 0;
}
