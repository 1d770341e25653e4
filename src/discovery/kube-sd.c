/* kube-sd.c - kubernetes_sd_configs, role pod: pods listed, then watched.
 *
 * One watcher per namespace (or one for all): it lists the pods
 * (GET .../pods?labelSelector&fieldSelector&limit=500, following
 * `continue`), makes one group per pod ("pod/<ns>/<name>" under the
 * watcher's prefix, "kube/<the entry's index among the job's
 * kubernetes_sd_configs>/<namespace, or *>/"; targets removed for pods no
 * longer listed), then
 * watches from the list's resourceVersion (?watch=1, streamed JSON lines:
 * ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) and updates the pod's group
 * at every event. A watch that ends (the server's timeoutSeconds, a closed
 * connection) is started again from the last resourceVersion; one answered
 * 410 Gone (or an ERROR event with code 410) lists again. Failures are
 * reported once (warn hook) and retried after a backoff of 1 s doubling to
 * 30 s.
 *
 * Like Promtail, the pod role's field selector gets spec.nodeName=<this
 * host's name> ($HOSTNAME, else gethostname(); the DaemonSet sets HOSTNAME
 * to the node's name), so each agent discovers only its node's pods.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "discovery/discovery-internal.h"
#include "discovery/http-client.h"
#include "discovery/kube-api.h"
#include "discovery/kube-watch.h"
#include "discovery/pod-meta.h"

#define WATCH_TIMEOUT_S 300          /* asked of the server; it may end sooner */
#define EVENT_MAX (16u << 20)        /* longest watch event line */
#define BACKOFF_MIN_NS (1 * SL_NSEC_PER_SEC)
#define BACKOFF_MAX_NS (30 * SL_NSEC_PER_SEC)

struct kube_sd;

enum watcher_state {
        W_IDLE,
        W_LISTING,
        W_WATCHING,
        W_WAITING,                   /* after a failure: lists again at the timer */
        W_PAUSED,                    /* a watch ended at once, empty: watches again at
                                      * the timer (no busy loop on a server that
                                      * closes every watch) */
};

/* The pods of one namespace (NULL: all). */
struct watcher {
        struct kube_sd *sd;          /* borrowed back-pointer */
        char *ns;                    /* owned; NULL: every namespace */
        char *prefix;                /* owned; its groups' prefix */
        enum watcher_state state;
        struct sl_http_request *req; /* in flight, or NULL */
        char *rv;                    /* owned; the resourceVersion to watch from */
        char *cont;                  /* owned; the list's continue token */
        char **listed;               /* owned; groups of the pods listed so far */
        size_t n_listed, cap_listed;
        struct sl_kube_watch_reader events; /* the watch's body, split into events */
        struct sl_buf status_body;   /* a watch's body when it was not 200 */
        bool relist;                 /* the watch said 410 Gone */
        bool synced;                 /* listed (or failed) once */
        bool reported;               /* the failure streak was reported */
        uint64_t backoff_ns;         /* the next wait after a failure */
        uint64_t watch_started_ns;   /* when the current watch began */
        uint64_t watch_events;       /* events it brought */
        struct sl_timer timer;       /* the wait */
};

struct kube_sd {
        struct sl_provider p;        /* first: discovery's view */
        const struct sl_kube_sd_config *cfg; /* borrowed */
        struct sl_kube_api api;      /* owned */
        struct sl_http_client *http; /* owned */
        char *query;                 /* owned; the selectors as query parameters */
        struct watcher *watchers;    /* owned */
        size_t n_watchers;
};

static void watcher_list(struct watcher *w);
static void watcher_watch(struct watcher *w);

static void update_synced(struct kube_sd *s) {
        bool all = true;

        for (size_t i = 0; i < s->n_watchers; i++)
                all = all && s->watchers[i].synced;
        s->p.synced = all;
}

static void replace_str(char **field, const char *v) {
        free(*field);
        *field = v ? sl_xstrdup(v) : NULL;
}

/* The group of pod @ns/@name for watcher @w. New string. */
static char *group_of(const struct watcher *w, const char *ns, const char *name) {
        return sl_xasprintf("%spod/%s/%s", w->prefix, ns, name);
}

/* Sets pod @pod's group: one target per container (its first port's). */
static void publish_pod(struct watcher *w, const struct sl_pod *pod) {
        struct sl_discovered *found = sl_xcalloc(pod->n_targets + 1, sizeof(*found));
        _cleanup_free_ char *group = group_of(w, pod->ns, pod->name);

        for (size_t i = 0; i < pod->n_targets; i++) {
                found[i].id = pod->targets[i].container;
                found[i].labels = pod->targets[i].labels;
        }
        /* Identities repeat for a container's other ports: the first wins. */
        sl_discovery_group_set(w->sd->p.d, w->sd->p.job, SL_TARGET_KUBE, group, found,
                               pod->n_targets);
        free(found);
}

static void retry_later(struct watcher *w, const char *what, const char *error) {
        struct kube_sd *s = w->sd;

        sl_discovery_count(s->p.d, false);
        if (!w->reported)
                sl_discovery_warn(s->p.d, "kubernetes_sd: cannot list or watch pods, keeping "
                                  "the targets known; will retry",
                                  "job=\"%s\" api_server=\"%s\" namespace=\"%s\" request=%s "
                                  "error=\"%s\"", sl_discovery_job_name(s->p.d, s->p.job),
                                  s->api.server, w->ns ? w->ns : "(all)", what, error);
        w->reported = true;
        w->state = W_WAITING;
        w->synced = true;
        update_synced(s);
        sl_loop_timer_arm(sl_discovery_loop(s->p.d), &w->timer, sl_now_ns() + w->backoff_ns);
        w->backoff_ns = SL_MIN(w->backoff_ns * 2, BACKOFF_MAX_NS);
}

static void on_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        struct watcher *w = userdata;

        /* After a failure: list again (the resourceVersion may be gone). */
        if (w->state == W_WAITING)
                watcher_list(w);
        else if (w->state == W_PAUSED)
                watcher_watch(w);
}

/* ---- listing ------------------------------------------------------------ */

static void listed_add(struct watcher *w, char *group) {
        sl_xgrow((void **)&w->listed, sizeof(*w->listed), &w->cap_listed, w->n_listed + 1);
        w->listed[w->n_listed++] = group;
}

static void listed_clear(struct watcher *w) {
        for (size_t i = 0; i < w->n_listed; i++)
                free(w->listed[i]);
        w->n_listed = 0;
}

static void start_list_page(struct watcher *w);

static void on_list(void *userdata, long status, struct sl_str body, const char *error) {
        struct watcher *w = userdata;
        struct kube_sd *s = w->sd;
        json_error_t e;
        json_t *root, *items, *item, *meta;
        char why[96];
        size_t i;

        w->req = NULL;
        if (status != 200) {
                snprintf(why, sizeof(why), "status %ld", status);
                listed_clear(w);
                retry_later(w, "list", error ? error : why);
                return;
        }
        root = json_loadb(body.ptr, body.len, 0, &e);
        items = json_object_get(root, "items");
        meta = json_object_get(root, "metadata");
        if (!json_is_array(items)) {
                json_decref(root);
                listed_clear(w);
                retry_later(w, "list", "not a pod list");
                return;
        }
        json_array_foreach(items, i, item) {
                struct sl_pod pod = { 0 };

                if (sl_pod_parse(item, &pod) == 0) {
                        publish_pod(w, &pod);
                        listed_add(w, group_of(w, pod.ns, pod.name));
                }
                sl_pod_release(&pod);
        }
        replace_str(&w->rv, json_string_value(json_object_get(meta, "resourceVersion")));
        replace_str(&w->cont, json_string_value(json_object_get(meta, "continue")));
        json_decref(root);
        if (w->cont && *w->cont) {
                start_list_page(w);
                return;
        }
        /* The whole list: pods not in it are gone. */
        sl_discovery_groups_prune(s->p.d, s->p.job, w->prefix, (const char *const *)w->listed,
                                  w->n_listed);
        listed_clear(w);
        sl_discovery_count(s->p.d, true);
        w->reported = false;
        w->backoff_ns = BACKOFF_MIN_NS;
        w->synced = true;
        update_synced(s);
        watcher_watch(w);
}

static char *pods_url(const struct watcher *w) {
        const struct kube_sd *s = w->sd;
        struct sl_buf ns;
        char *url;

        if (!w->ns)
                return sl_xasprintf("%s/api/v1/pods?%s", s->api.server, s->query);
        sl_buf_init(&ns, 4096);
        sl_http_query_escape(sl_str_c(w->ns), &ns);
        url = sl_xasprintf("%s/api/v1/namespaces/%s/pods?%s", s->api.server,
                           ns.data ? ns.data : "", s->query);
        sl_buf_release(&ns);
        return url;
}

static void start_list_page(struct watcher *w) {
        _cleanup_free_ char *base = pods_url(w);
        struct sl_buf url;

        sl_buf_init(&url, 1u << 20);
        sl_buf_printf(&url, "%s&limit=500", base);
        if (w->cont && *w->cont) {
                sl_buf_append(&url, "&continue=", 10);
                sl_http_query_escape(sl_str_c(w->cont), &url);
        }
        w->state = W_LISTING;
        w->req = sl_http_get(w->sd->http, url.data, 0, NULL, on_list, w);
        sl_buf_release(&url);
}

static void watcher_list(struct watcher *w) {
        replace_str(&w->cont, NULL);
        listed_clear(w);
        start_list_page(w);
}

/* ---- watching ------------------------------------------------------------- */

/* One watch event (a JSON line). Returns false to end the watch. */
static bool watch_event(void *userdata, const char *text, size_t len) {
        struct watcher *w = userdata;
        struct sl_kube_event ev = { 0 };
        bool go_on = true;

        if (sl_kube_event_parse(text, len, &ev) < 0)
                return true; /* not an event: skipped */
        w->watch_events++;
        switch (ev.type) {
        case SL_KUBE_EVENT_NONE:
                break;
        case SL_KUBE_EVENT_ERROR:
                /* A Status object: 410 means the resourceVersion is gone. */
                w->relist = ev.code == 410;
                go_on = false;
                break;
        case SL_KUBE_EVENT_BOOKMARK:
                if (ev.resource_version)
                        replace_str(&w->rv, ev.resource_version);
                break;
        case SL_KUBE_EVENT_ADDED:
        case SL_KUBE_EVENT_MODIFIED:
        case SL_KUBE_EVENT_DELETED:
                if (!ev.has_pod)
                        break;
                if (ev.type == SL_KUBE_EVENT_DELETED) {
                        _cleanup_free_ char *group = group_of(w, ev.pod.ns, ev.pod.name);
                        sl_discovery_group_set(w->sd->p.d, w->sd->p.job, SL_TARGET_KUBE, group,
                                               NULL, 0);
                } else {
                        publish_pod(w, &ev.pod);
                }
                if (ev.resource_version)
                        replace_str(&w->rv, ev.resource_version);
                sl_discovery_count(w->sd->p.d, true);
                break;
        }
        sl_kube_event_release(&ev);
        return go_on;
}

static bool on_watch_data(void *userdata, long status, struct sl_str piece) {
        struct watcher *w = userdata;

        if (status != 200) {
                /* Kept to read the Status object (410 Gone) when done. */
                (void)sl_buf_append(&w->status_body, piece.ptr, piece.len);
                return true;
        }
        /* An event past EVENT_MAX (-E2BIG), or one that ends the watch. */
        return sl_kube_watch_feed(&w->events, piece, watch_event, w) > 0;
}

static void on_watch_done(void *userdata, long status, struct sl_str body, const char *error) {
        struct watcher *w = userdata;
        bool gone = w->relist || status == 410;
        char why[96];

        w->req = NULL;
        w->relist = false;
        sl_kube_watch_reader_reset(&w->events);
        if (status == 200 && !gone && (!error || strstr(error, "stopped by the reader"))) {
                if (error) {
                        /* An ERROR event other than 410, or an event too
                         * long: list again after a while. */
                        retry_later(w, "watch", "the watch reported an error");
                        return;
                }
                /* The server ended the watch (its timeout): go on, at once
                 * unless it ended at once and empty. */
                if (w->watch_events == 0 &&
                    sl_now_ns() - w->watch_started_ns < BACKOFF_MIN_NS) {
                        w->state = W_PAUSED;
                        sl_loop_timer_arm(sl_discovery_loop(w->sd->p.d), &w->timer,
                                          sl_now_ns() + BACKOFF_MIN_NS);
                        return;
                }
                watcher_watch(w);
                return;
        }
        sl_buf_reset(&w->status_body);
        if (gone) {
                /* Too old a resourceVersion: list again, now. */
                watcher_list(w);
                return;
        }
        snprintf(why, sizeof(why), "status %ld", status);
        retry_later(w, "watch", error ? error : why);
}

static void watcher_watch(struct watcher *w) {
        _cleanup_free_ char *base = pods_url(w);
        struct sl_buf url;

        sl_buf_init(&url, 1u << 20);
        sl_buf_printf(&url, "%s&watch=1&allowWatchBookmarks=true&timeoutSeconds=%d", base,
                      WATCH_TIMEOUT_S);
        if (w->rv && *w->rv) {
                sl_buf_append(&url, "&resourceVersion=", 17);
                sl_http_query_escape(sl_str_c(w->rv), &url);
        }
        w->state = W_WATCHING;
        w->watch_started_ns = sl_now_ns();
        w->watch_events = 0;
        sl_buf_reset(&w->status_body);
        w->req = sl_http_get(w->sd->http, url.data, (WATCH_TIMEOUT_S + 60) * SL_NSEC_PER_SEC,
                             on_watch_data, on_watch_done, w);
        sl_buf_release(&url);
}

/* ---- the provider ---------------------------------------------------------- */

static void kube_start(struct sl_provider *p) {
        struct kube_sd *s = (struct kube_sd *)p;

        for (size_t i = 0; i < s->n_watchers; i++)
                watcher_list(&s->watchers[i]);
}

static void kube_free(struct sl_provider *p) {
        struct kube_sd *s = (struct kube_sd *)p;

        if (!s)
                return;
        sl_http_client_free(s->http);
        for (size_t i = 0; i < s->n_watchers; i++) {
                struct watcher *w = &s->watchers[i];
                sl_loop_timer_disarm(sl_discovery_loop(p->d), &w->timer);
                free(w->ns);
                free(w->prefix);
                free(w->rv);
                free(w->cont);
                listed_clear(w);
                free(w->listed);
                sl_kube_watch_reader_release(&w->events);
                sl_buf_release(&w->status_body);
        }
        free(s->watchers);
        free(s->query);
        sl_kube_api_release(&s->api);
        free(s);
}

static const struct sl_provider_ops kube_ops = {
        .name = "kubernetes_sd",
        .start = kube_start,
        .free = kube_free,
};

static void add_watcher(struct kube_sd *s, const char *ns) {
        struct watcher *w = &s->watchers[s->n_watchers];

        *w = (struct watcher){ .sd = s, .ns = ns ? sl_xstrdup(ns) : NULL,
                               .backoff_ns = BACKOFF_MIN_NS };
        w->prefix = sl_xasprintf("kube/%zu/%s/", s->p.index, ns ? ns : "*");
        sl_kube_watch_reader_init(&w->events, EVENT_MAX);
        sl_buf_init(&w->status_body, 64u << 10);
        sl_timer_init(&w->timer, on_timer, w);
        s->n_watchers++;
}

/* labelSelector and fieldSelector, the latter with this node's name added
 * (Promtail's fulfillKubePodSelector). */
static char *selectors(const struct sl_kube_sd_config *cfg, const char *hostname) {
        _cleanup_free_ char *node = sl_xasprintf("spec.nodeName=%s", hostname);
        _cleanup_free_ char *field = NULL;
        struct sl_buf q;
        char *out;

        if (!cfg->selector.field || !*cfg->selector.field)
                field = sl_xstrdup(node);
        else if (strstr(cfg->selector.field, node))
                field = sl_xstrdup(cfg->selector.field);
        else
                field = sl_xasprintf("%s,%s", cfg->selector.field, node);
        sl_buf_init(&q, 1u << 16);
        sl_buf_append(&q, "fieldSelector=", 14);
        sl_http_query_escape(sl_str_c(field), &q);
        if (cfg->selector.label && *cfg->selector.label) {
                sl_buf_append(&q, "&labelSelector=", 15);
                sl_http_query_escape(sl_str_c(cfg->selector.label), &q);
        }
        out = sl_xstrdup(q.data);
        sl_buf_release(&q);
        return out;
}

int sl_kube_sd_new(struct sl_discovery *d, size_t job, size_t index,
                   const struct sl_kube_sd_config *cfg, struct sl_provider **ret,
                   struct sl_cfg_error *err) {
        struct kube_sd *s = sl_xnew(struct kube_sd);
        struct sl_http_client_options o;
        char msg[400];
        int r;

        s->p = (struct sl_provider){ .ops = &kube_ops, .d = d, .job = job, .index = index };
        s->cfg = cfg;
        r = sl_kube_api_resolve(cfg, SL_KUBE_SA_DIR, &s->api, msg, sizeof(msg));
        if (r < 0) {
                if (err) {
                        snprintf(err->key, sizeof(err->key), "%s.kubernetes_sd_configs",
                                 sl_discovery_job_name(d, job));
                        err->line = cfg->line;
                        snprintf(err->msg, sizeof(err->msg), "kubernetes_sd_configs: %s", msg);
                }
                free(s);
                return r;
        }
        o = (struct sl_http_client_options){
                .ca_file = s->api.ca_file, .ca_pem = s->api.ca_pem,
                .cert_file = s->api.cert_file, .key_file = s->api.key_file,
                .cert_pem = s->api.cert_pem, .key_pem = s->api.key_pem,
                .server_name = s->api.server_name,
                .insecure_skip_verify = s->api.insecure,
                .bearer_token = s->api.token, .bearer_token_file = s->api.token_file,
                .user_agent = "sluice",
        };
        s->http = sl_http_client_new(sl_discovery_loop(d), &o);
        s->query = selectors(cfg, sl_discovery_hostname(d));
        s->watchers = sl_xcalloc(cfg->n_namespaces + 2, sizeof(*s->watchers));
        if (cfg->n_namespaces == 0 && !s->api.own_namespace) {
                add_watcher(s, NULL);
        } else {
                for (size_t i = 0; i < cfg->n_namespaces; i++)
                        add_watcher(s, cfg->namespaces[i]);
                if (s->api.own_namespace)
                        add_watcher(s, s->api.own_namespace);
        }
        *ret = &s->p;
        return 0;
}
