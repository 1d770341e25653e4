/* pod-meta.c - see pod-meta.h. */
#include "discovery/pod-meta.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "discovery/docker-meta.h"

static void set_absent(struct sl_label_set *out, const char *name, struct sl_str value) {
        if (!sl_label_set_get(out, sl_str_c(name)))
                sl_label_set_set(out, sl_str_c(name), value);
}

bool sl_pod_path_labels(const char *path, struct sl_label_set *out) {
        const char *p = path, *pod_dir, *container, *file, *u1, *u2;

        /* The last "/pods/" followed by exactly three more components. */
        for (const char *q = strstr(p, "/pods/"); q; q = strstr(q + 1, "/pods/")) {
                pod_dir = q + 6;
                container = strchr(pod_dir, '/');
                if (!container)
                        continue;
                container++;
                file = strchr(container, '/');
                if (!file || strchr(file + 1, '/') || !file[1])
                        continue;
                file++;
                /* <ns>_<pod>_<uid>: exactly two '_'. */
                u1 = memchr(pod_dir, '_', (size_t)(container - 1 - pod_dir));
                if (!u1)
                        continue;
                u2 = memchr(u1 + 1, '_', (size_t)(container - 1 - u1 - 1));
                if (!u2 || memchr(u2 + 1, '_', (size_t)(container - 1 - u2 - 1)) ||
                    u1 == pod_dir || u2 == u1 + 1 || u2 + 1 == container - 1 ||
                    file - 1 == container)
                        continue;
                set_absent(out, "namespace", sl_str_from(pod_dir, (size_t)(u1 - pod_dir)));
                set_absent(out, "pod", sl_str_from(u1 + 1, (size_t)(u2 - u1 - 1)));
                set_absent(out, "pod_uid", sl_str_from(u2 + 1, (size_t)(container - 1 - u2 - 1)));
                set_absent(out, "container",
                           sl_str_from(container, (size_t)(file - 1 - container)));
                return true;
        }
        return false;
}

/* ---- the API's pod objects ---------------------------------------------- */

#define K "__meta_kubernetes_"

static const char *str_of(json_t *v) {
        return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_of(json_t *v) {
        const char *s = str_of(v);
        return s ? sl_xstrdup(s) : NULL;
}

static void set_meta(struct sl_label_set *ls, const char *name, const char *value) {
        sl_label_set_set_c(ls, name, value ? value : "");
}

/* labels and annotations, with their "present" twins. */
static void object_map(struct sl_label_set *ls, json_t *map, const char *what) {
        const char *k;
        json_t *v;

        if (!json_is_object(map))
                return;
        json_object_foreach(map, k, v) {
                char *value_name, *present_name, *prefix;

                if (!json_is_string(v))
                        continue;
                prefix = sl_xasprintf(K "pod_%s_", what);
                value_name = sl_docker_label_name(prefix, k);
                free(prefix);
                prefix = sl_xasprintf(K "pod_%spresent_", what);
                present_name = sl_docker_label_name(prefix, k);
                free(prefix);
                sl_label_set_set_c(ls, value_name, json_string_value(v));
                sl_label_set_set_c(ls, present_name, "true");
                free(value_name);
                free(present_name);
        }
}

static const char *ready_of(json_t *status) {
        static char buf[32];
        size_t i;
        json_t *c;

        json_array_foreach(json_object_get(status, "conditions"), i, c) {
                const char *type = str_of(json_object_get(c, "type"));
                const char *st = str_of(json_object_get(c, "status"));
                if (type && st && strcmp(type, "Ready") == 0) {
                        size_t n = 0;
                        for (; st[n] && n + 1 < sizeof(buf); n++)
                                buf[n] = (char)((st[n] >= 'A' && st[n] <= 'Z') ? st[n] + 32
                                                                               : st[n]);
                        buf[n] = '\0';
                        return buf;
                }
        }
        return "unknown";
}

static const char *container_id(json_t *statuses, const char *name) {
        size_t i;
        json_t *s;

        json_array_foreach(statuses, i, s) {
                const char *n = str_of(json_object_get(s, "name"));
                if (n && strcmp(n, name) == 0) {
                        const char *id = str_of(json_object_get(s, "containerID"));
                        return id ? id : "";
                }
        }
        return "";
}

static void add_target(struct sl_pod *pod, const struct sl_label_set *group, const char *name) {
        struct sl_pod_target *t;

        pod->targets = sl_xrealloc(pod->targets, (pod->n_targets + 1) * sizeof(*pod->targets));
        t = &pod->targets[pod->n_targets++];
        t->container = sl_xstrdup(name);
        sl_label_set_init(&t->labels);
        sl_label_set_copy(&t->labels, group);
}

int sl_pod_parse(struct json_t *obj, struct sl_pod *pod) {
        json_t *meta = json_object_get(obj, "metadata"), *spec = json_object_get(obj, "spec");
        json_t *status = json_object_get(obj, "status"), *owners, *o;
        const char *name = str_of(json_object_get(meta, "name"));
        const char *ip = str_of(json_object_get(status, "podIP"));
        struct sl_label_set group;
        size_t i;

        if (!json_is_object(obj) || !name || !*name)
                return -EBADMSG;
        pod->name = sl_xstrdup(name);
        pod->ns = dup_of(json_object_get(meta, "namespace"));
        if (!pod->ns)
                pod->ns = sl_xstrdup("");
        pod->uid = dup_of(json_object_get(meta, "uid"));
        if (!pod->uid)
                pod->uid = sl_xstrdup("");
        pod->resource_version = dup_of(json_object_get(meta, "resourceVersion"));
        /* PodIP can be empty when a pod is starting or has been evicted. */
        if (!ip || !*ip)
                return 0;

        sl_label_set_init(&group);
        set_meta(&group, K "pod_ip", ip);
        set_meta(&group, K "pod_ready", ready_of(status));
        set_meta(&group, K "pod_phase", str_of(json_object_get(status, "phase")));
        set_meta(&group, K "pod_node_name", str_of(json_object_get(spec, "nodeName")));
        set_meta(&group, K "pod_host_ip", str_of(json_object_get(status, "hostIP")));
        set_meta(&group, K "pod_uid", pod->uid);
        set_meta(&group, K "pod_name", pod->name);
        object_map(&group, json_object_get(meta, "labels"), "label");
        object_map(&group, json_object_get(meta, "annotations"), "annotation");
        owners = json_object_get(meta, "ownerReferences");
        json_array_foreach(owners, i, o) {
                if (!json_is_true(json_object_get(o, "controller")))
                        continue;
                set_meta(&group, K "pod_controller_kind", str_of(json_object_get(o, "kind")));
                set_meta(&group, K "pod_controller_name", str_of(json_object_get(o, "name")));
                break;
        }
        set_meta(&group, K "namespace", pod->ns);

        for (int init = 0; init < 2; init++) {
                json_t *list = json_object_get(spec, init ? "initContainers" : "containers");
                json_t *statuses = json_object_get(status, init ? "initContainerStatuses"
                                                                 : "containerStatuses");
                json_t *c;

                json_array_foreach(list, i, c) {
                        const char *cname = str_of(json_object_get(c, "name"));
                        json_t *ports = json_object_get(c, "ports"), *p;
                        struct sl_label_set tl;
                        size_t k;

                        if (!cname)
                                continue;
                        sl_label_set_init(&tl);
                        sl_label_set_copy(&tl, &group);
                        set_meta(&tl, K "pod_container_name", cname);
                        set_meta(&tl, K "pod_container_id", container_id(statuses, cname));
                        set_meta(&tl, K "pod_container_image", str_of(json_object_get(c, "image")));
                        set_meta(&tl, K "pod_container_init", init ? "true" : "false");
                        if (!json_is_array(ports) || json_array_size(ports) == 0) {
                                set_meta(&tl, "__address__", ip);
                                add_target(pod, &tl, cname);
                                sl_label_set_release(&tl);
                                continue;
                        }
                        json_array_foreach(ports, k, p) {
                                json_t *num = json_object_get(p, "containerPort");
                                const char *proto = str_of(json_object_get(p, "protocol"));
                                char port[16], *addr;

                                snprintf(port, sizeof(port), "%lld",
                                         json_is_integer(num) ? (long long)json_integer_value(num)
                                                              : 0LL);
                                addr = strchr(ip, ':') ? sl_xasprintf("[%s]:%s", ip, port)
                                                       : sl_xasprintf("%s:%s", ip, port);
                                set_meta(&tl, "__address__", addr);
                                set_meta(&tl, K "pod_container_port_number", port);
                                set_meta(&tl, K "pod_container_port_name",
                                         str_of(json_object_get(p, "name")));
                                /* The API leaves out TCP, its default. */
                                set_meta(&tl, K "pod_container_port_protocol",
                                         proto ? proto : "TCP");
                                add_target(pod, &tl, cname);
                                free(addr);
                        }
                        sl_label_set_release(&tl);
                }
        }
        sl_label_set_release(&group);
        return 0;
}

int sl_pod_parse_text(const char *json, size_t len, struct sl_pod *pod) {
        json_error_t e;
        json_t *root = json_loadb(json, len, 0, &e);
        int r = root ? sl_pod_parse(root, pod) : -EBADMSG;

        json_decref(root);
        return r;
}

void sl_pod_release(struct sl_pod *pod) {
        free(pod->ns);
        free(pod->name);
        free(pod->uid);
        free(pod->resource_version);
        for (size_t i = 0; i < pod->n_targets; i++) {
                free(pod->targets[i].container);
                sl_label_set_release(&pod->targets[i].labels);
        }
        free(pod->targets);
        *pod = (struct sl_pod){ 0 };
}
