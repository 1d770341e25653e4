/* docker-sd.c - docker_sd_configs: containers from the Docker Engine API.
 *
 * Every refresh_interval (and at the start): GET /containers/json (running
 * containers, with the configured filters) and GET /networks, then
 * GET /containers/<id>/json for each container not inspected yet (its
 * LogPath and log driver; kept while the container is listed). The
 * containers make one group, "docker/<n>" (n: the entry's index among the
 * job's docker_sd_configs): discovery.c adds the new ones'
 * targets, keeps the known ones and finishes the files of those gone.
 *
 * sluice reads a container's json-file log at its LogPath (Promtail reads
 * the API's logs endpoint instead); a container with another log driver is
 * reported once (warn hook) and not followed. A refresh that fails keeps
 * the targets as they are and is reported once until one succeeds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "discovery/discovery-internal.h"
#include "discovery/docker-meta.h"
#include "discovery/http-client.h"

#define MAX_INSPECTING 8  /* inspections in flight at once, to spare the daemon */

/* What an inspection said about a container, kept while it is listed. */
struct inspected {
        char *id;                    /* owned */
        char *log_path;              /* owned; NULL: none */
        char *driver;                /* owned; NULL: not said */
        bool warned;                 /* its log driver was reported */
        uint64_t gen;                /* the refresh that last listed it */
};

struct docker_sd {
        struct sl_provider p;        /* first: discovery's view */
        const struct sl_docker_sd_config *cfg; /* borrowed from the config */
        char group[40];              /* "docker/<index>": one group per docker_sd_configs
                                      * entry */
        struct sl_http_client *http; /* owned */
        char *list_url;              /* owned */
        char *networks_url;          /* owned */
        char *base;                  /* owned; the API's URL without a path */
        struct sl_timer timer;       /* the next refresh */
        bool busy;                   /* a refresh is under way */
        bool failed;                 /* a request of this refresh failed */
        char failure[256];           /* what failed, for the report */
        bool reported;               /* the failure streak was reported */
        struct sl_http_request *list_req, *net_req; /* in flight (NULL when answered) */
        size_t inspect_pending;      /* inspections in flight */
        size_t inspect_next;         /* the next container of list to look at */
        struct inspect_ctx *inspecting; /* owned list: their contexts */
        struct sl_docker_container *list; /* owned: this refresh's containers */
        size_t n_list;
        struct sl_docker_network_info *nets; /* owned: this refresh's networks */
        size_t n_nets;
        bool have_list, have_nets;   /* answered */
        struct inspected *known;     /* owned */
        size_t n_known, cap_known;
        uint64_t gen;                /* refreshes started */
};

static struct inspected *find_known(struct docker_sd *s, const char *id) {
        for (size_t i = 0; i < s->n_known; i++)
                if (strcmp(s->known[i].id, id) == 0)
                        return &s->known[i];
        return NULL;
}

static void known_prune(struct docker_sd *s) {
        size_t w = 0;

        for (size_t i = 0; i < s->n_known; i++) {
                if (s->known[i].gen == s->gen) {
                        s->known[w++] = s->known[i];
                } else {
                        free(s->known[i].id);
                        free(s->known[i].log_path);
                        free(s->known[i].driver);
                }
        }
        s->n_known = w;
}

static void refresh_reset(struct docker_sd *s) {
        sl_docker_containers_free(s->list, s->n_list);
        sl_docker_networks_free(s->nets, s->n_nets);
        s->list = NULL;
        s->nets = NULL;
        s->n_list = s->n_nets = 0;
        s->have_list = s->have_nets = false;
        s->inspect_next = 0;
        s->failed = false;
        s->busy = false;
}

static void schedule(struct docker_sd *s) {
        sl_loop_timer_arm(sl_discovery_loop(s->p.d), &s->timer,
                          sl_now_ns() + s->cfg->refresh_interval_ns);
}

static void fail(struct docker_sd *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct docker_sd *s, const char *fmt, ...) {
        va_list ap;

        if (s->failed)
                return;
        s->failed = true;
        va_start(ap, fmt);
        vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
        va_end(ap);
}

/* Publishes the refresh (or reports its failure), once every answer is in. */
static void maybe_finish(struct docker_sd *s) {
        struct sl_discovered *found;
        struct sl_docker_meta_options o;
        size_t n = 0;

        if (s->list_req || s->net_req || s->inspect_pending > 0)
                return;
        s->p.synced = true;
        if (s->failed) {
                sl_discovery_count(s->p.d, false);
                if (!s->reported)
                        sl_discovery_warn(s->p.d, "docker_sd: cannot list containers, keeping "
                                          "the targets known; will retry",
                                          "job=\"%s\" host=\"%s\" error=\"%s\"",
                                          sl_discovery_job_name(s->p.d, s->p.job), s->cfg->host,
                                          s->failure);
                s->reported = true;
                refresh_reset(s);
                schedule(s);
                return;
        }
        s->reported = false;
        sl_discovery_count(s->p.d, true);
        o = (struct sl_docker_meta_options){
                .port = s->cfg->port,
                .host_networking_host = s->cfg->host_networking_host,
                .networks = s->nets,
                .n_networks = s->n_nets,
        };
        sl_docker_containers_share_networks(s->list, s->n_list);
        found = sl_xcalloc(s->n_list + 1, sizeof(*found));
        for (size_t i = 0; i < s->n_list; i++) {
                const struct sl_docker_container *c = &s->list[i];
                struct inspected *k = find_known(s, c->id);
                struct sl_discovered *in;

                if (!k)
                        continue; /* gone before it could be inspected */
                if (!k->driver || strcmp(k->driver, "json-file") != 0 || !k->log_path ||
                    !*k->log_path) {
                        if (!k->warned)
                                sl_discovery_warn(s->p.d, "docker_sd: a container does not log "
                                                  "to a json-file sluice can read; its lines "
                                                  "are not shipped",
                                                  "container=\"%s\" id=\"%.12s\" "
                                                  "log_driver=\"%s\"", c->name ? c->name : "",
                                                  c->id, k->driver ? k->driver : "unknown");
                        k->warned = true;
                        continue;
                }
                in = &found[n];
                sl_label_set_init(&in->labels);
                /* Prometheus makes no target of a container without networks. */
                if (!sl_docker_container_meta(c, &o, true, &in->labels)) {
                        sl_label_set_release(&in->labels);
                        continue;
                }
                in->id = c->id;
                in->path = k->log_path;
                in->streams = true;
                n++;
        }
        sl_discovery_group_set(s->p.d, s->p.job, SL_TARGET_DOCKER, s->group, found, n);
        for (size_t i = 0; i < n; i++)
                sl_label_set_release(&found[i].labels);
        free(found);
        known_prune(s);
        refresh_reset(s);
        schedule(s);
}

/* One inspection in flight. */
struct inspect_ctx {
        struct docker_sd *s;         /* borrowed */
        char *id;                    /* owned */
        struct inspect_ctx *prev, *next; /* the provider's list */
};

static void ctx_free(struct docker_sd *s, struct inspect_ctx *ctx) {
        if (ctx->prev)
                ctx->prev->next = ctx->next;
        else
                s->inspecting = ctx->next;
        if (ctx->next)
                ctx->next->prev = ctx->prev;
        free(ctx->id);
        free(ctx);
}

/* What went wrong with an answer, for messages. */
static const char *answer_error(long status, const char *error, char *buf, size_t size) {
        if (error)
                return error;
        snprintf(buf, size, "status %ld", status);
        return buf;
}

static void inspect_new(struct docker_sd *s);

static void on_inspect(void *userdata, long status, struct sl_str body, const char *error) {
        struct inspect_ctx *ctx = userdata;
        struct docker_sd *s = ctx->s;
        struct sl_docker_container c = { 0 };

        s->inspect_pending--;
        if (status == 200 && sl_docker_container_parse(body.ptr, body.len, &c) == 0) {
                struct inspected *k;

                sl_xgrow((void **)&s->known, sizeof(*s->known), &s->cap_known, s->n_known + 1);
                k = &s->known[s->n_known++];
                *k = (struct inspected){ .id = TAKE_PTR(ctx->id), .gen = s->gen };
                k->log_path = c.log_path ? sl_xstrdup(c.log_path) : NULL;
                k->driver = c.log_driver ? sl_xstrdup(c.log_driver) : NULL;
        } else if (status != 404) {
                /* 404: removed since it was listed; anything else fails the
                 * refresh (the next one asks again). */
                char why[64];
                fail(s, "GET /containers/%.12s/json: %s", ctx->id,
                     answer_error(status, error, why, sizeof(why)));
        }
        sl_docker_container_release(&c);
        ctx_free(s, ctx);
        inspect_new(s);
        maybe_finish(s);
}

/* Starts inspections of the listed containers not inspected yet, at most
 * MAX_INSPECTING at a time (each answer starts the next). */
static void inspect_new(struct docker_sd *s) {
        for (; s->inspect_next < s->n_list && s->inspect_pending < MAX_INSPECTING;
             s->inspect_next++) {
                size_t i = s->inspect_next;
                struct inspected *k = find_known(s, s->list[i].id);
                struct inspect_ctx *ctx;
                _cleanup_free_ char *url = NULL;
                struct sl_buf id;

                if (k) {
                        k->gen = s->gen;
                        continue;
                }
                if (!*s->list[i].id)
                        continue;
                sl_buf_init(&id, 1024);
                sl_http_query_escape(sl_str_c(s->list[i].id), &id);
                url = sl_xasprintf("%s/containers/%s/json", s->base, id.data ? id.data : "");
                sl_buf_release(&id);
                ctx = sl_xnew(struct inspect_ctx);
                ctx->s = s;
                ctx->id = sl_xstrdup(s->list[i].id);
                ctx->next = s->inspecting;
                if (s->inspecting)
                        s->inspecting->prev = ctx;
                s->inspecting = ctx;
                s->inspect_pending++;
                (void)sl_http_get(s->http, url, 0, NULL, on_inspect, ctx);
        }
}

static void on_list(void *userdata, long status, struct sl_str body, const char *error) {
        struct docker_sd *s = userdata;
        char why[64];

        s->list_req = NULL;
        if (status != 200)
                fail(s, "GET /containers/json: %s", answer_error(status, error, why, sizeof(why)));
        else if (sl_docker_container_list_parse(body.ptr, body.len, &s->list, &s->n_list) < 0)
                fail(s, "GET /containers/json: not a JSON list");
        else
                s->have_list = true;
        if (s->have_list && s->have_nets)
                inspect_new(s);
        maybe_finish(s);
}

static void on_networks(void *userdata, long status, struct sl_str body, const char *error) {
        struct docker_sd *s = userdata;
        char why[64];

        s->net_req = NULL;
        if (status != 200)
                fail(s, "GET /networks: %s", answer_error(status, error, why, sizeof(why)));
        else if (sl_docker_network_list_parse(body.ptr, body.len, &s->nets, &s->n_nets) < 0)
                fail(s, "GET /networks: not a JSON list");
        else
                s->have_nets = true;
        if (s->have_list && s->have_nets)
                inspect_new(s);
        maybe_finish(s);
}

static void refresh(struct docker_sd *s) {
        if (s->busy)
                return;
        s->busy = true;
        s->gen++;
        s->list_req = sl_http_get(s->http, s->list_url, 0, NULL, on_list, s);
        s->net_req = sl_http_get(s->http, s->networks_url, 0, NULL, on_networks, s);
}

static void on_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        refresh(userdata);
}

static void docker_start(struct sl_provider *p) {
        refresh((struct docker_sd *)p);
}

static void docker_free(struct sl_provider *p) {
        struct docker_sd *s = (struct docker_sd *)p;

        if (!s)
                return;
        sl_loop_timer_disarm(sl_discovery_loop(p->d), &s->timer);
        /* In-flight requests go without their callbacks: their contexts
         * are freed here. */
        sl_http_client_free(s->http);
        while (s->inspecting)
                ctx_free(s, s->inspecting);
        refresh_reset(s);
        s->gen++;
        known_prune(s);
        free(s->known);
        free(s->list_url);
        free(s->networks_url);
        free(s->base);
        free(s);
}

static const struct sl_provider_ops docker_ops = {
        .name = "docker_sd",
        .start = docker_start,
        .free = docker_free,
};

/* The filters as the API's `filters` query parameter: a JSON map of name to
 * values, URL-encoded. */
static void filters_query(const struct sl_docker_sd_config *cfg, struct sl_buf *out) {
        struct sl_buf json;

        sl_buf_init(&json, 1u << 20);
        sl_buf_putc(&json, '{');
        for (size_t i = 0; i < cfg->n_filters; i++) {
                bool first_of_name = true;

                for (size_t k = 0; k < i; k++)
                        first_of_name = first_of_name &&
                                        strcmp(cfg->filters[k].name, cfg->filters[i].name) != 0;
                if (!first_of_name)
                        continue;
                sl_buf_printf(&json, "%s\"", json.len > 1 ? "," : "");
                for (const char *c = cfg->filters[i].name; *c; c++)
                        sl_buf_printf(&json, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
                sl_buf_append(&json, "\":[", 3);
                /* Every filter of that name: their values together. */
                for (size_t k = i, n = 0; k < cfg->n_filters; k++) {
                        if (strcmp(cfg->filters[k].name, cfg->filters[i].name) != 0)
                                continue;
                        for (size_t v = 0; v < cfg->filters[k].n_values; v++) {
                                sl_buf_printf(&json, "%s\"", n++ ? "," : "");
                                for (const char *c = cfg->filters[k].values[v]; *c; c++)
                                        sl_buf_printf(&json,
                                                      *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
                                sl_buf_putc(&json, '"');
                        }
                }
                sl_buf_putc(&json, ']');
        }
        sl_buf_putc(&json, '}');
        sl_buf_append(out, "?filters=", 9);
        sl_http_query_escape(sl_buf_str(&json), out);
        sl_buf_release(&json);
}

int sl_docker_sd_new(struct sl_discovery *d, size_t job, size_t index,
                     const struct sl_docker_sd_config *cfg, struct sl_provider **ret,
                     struct sl_cfg_error *err) {
        struct docker_sd *s = sl_xnew(struct docker_sd);
        struct sl_http_client_options o = {
                .ca_file = cfg->tls.ca_file,
                .cert_file = cfg->tls.cert_file,
                .key_file = cfg->tls.key_file,
                .server_name = cfg->tls.server_name,
                .insecure_skip_verify = cfg->tls.insecure_skip_verify,
                .timeout_ns = cfg->refresh_interval_ns,
                .user_agent = "sluice",
        };
        bool tls = cfg->tls.ca_file || cfg->tls.cert_file || cfg->tls.insecure_skip_verify;
        struct sl_buf url;
        size_t len;

        s->p = (struct sl_provider){ .ops = &docker_ops, .d = d, .job = job, .index = index };
        s->cfg = cfg;
        snprintf(s->group, sizeof(s->group), "docker/%zu", index);
        if (strncmp(cfg->host, "unix://", 7) == 0) {
                o.unix_socket = cfg->host + 7;
                s->base = sl_xstrdup("http://localhost");
        } else if (strncmp(cfg->host, "tcp://", 6) == 0) {
                s->base = sl_xasprintf("%s://%s", tls ? "https" : "http", cfg->host + 6);
        } else {
                s->base = sl_xstrdup(cfg->host);
        }
        len = strlen(s->base);
        while (len > 0 && s->base[len - 1] == '/')
                s->base[--len] = '\0';
        s->http = sl_http_client_new(sl_discovery_loop(d), &o);
        sl_buf_init(&url, 1u << 20);
        sl_buf_printf(&url, "%s/containers/json", s->base);
        if (cfg->n_filters)
                filters_query(cfg, &url);
        s->list_url = sl_xstrdup(url.data);
        sl_buf_release(&url);
        s->networks_url = sl_xasprintf("%s/networks", s->base);
        sl_timer_init(&s->timer, on_timer, s);
        (void)err;
        *ret = &s->p;
        return 0;
}
