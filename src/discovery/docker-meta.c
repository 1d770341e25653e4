/* docker-meta.c - see docker-meta.h. JSON through jansson: these documents
 * are read when a container is discovered or changes, never per line. */
#include "discovery/docker-meta.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

#define META "__meta_docker_"

static char *dup_str(json_t *v) {
        return json_is_string(v) ? sl_xstrndup(json_string_value(v), json_string_length(v)) : NULL;
}

static void replace(char **field, json_t *v) {
        char *s = dup_str(v);

        if (s) {
                free(*field);
                *field = s;
        }
}

void sl_docker_container_release(struct sl_docker_container *c) {
        free(c->id);
        free(c->name);
        free(c->image);
        free(c->image_id);
        free(c->network_mode);
        free(c->log_path);
        free(c->log_driver);
        sl_label_set_release(&c->labels);
        for (size_t i = 0; i < c->n_networks; i++) {
                free(c->networks[i].name);
                free(c->networks[i].id);
                free(c->networks[i].ip);
        }
        free(c->networks);
        for (size_t i = 0; i < c->n_ports; i++)
                free(c->ports[i].public_ip);
        free(c->ports);
        *c = (struct sl_docker_container){ 0 };
}

void sl_docker_containers_free(struct sl_docker_container *c, size_t n) {
        for (size_t i = 0; c && i < n; i++)
                sl_docker_container_release(&c[i]);
        free(c);
}

void sl_docker_networks_free(struct sl_docker_network_info *n, size_t count) {
        for (size_t i = 0; n && i < count; i++) {
                free(n[i].id);
                free(n[i].name);
                free(n[i].scope);
                sl_label_set_release(&n[i].labels);
        }
        free(n);
}

static void read_labels(json_t *obj, struct sl_label_set *out) {
        const char *k;
        json_t *v;

        if (!json_is_object(obj))
                return;
        json_object_foreach(obj, k, v) {
                if (json_is_string(v))
                        sl_label_set_set(out, sl_str_c(k),
                                         sl_str_from(json_string_value(v), json_string_length(v)));
        }
}

static int network_cmp(const void *a, const void *b) {
        return strcmp(((const struct sl_docker_network *)a)->name,
                      ((const struct sl_docker_network *)b)->name);
}

/* NetworkSettings.Networks: name -> {NetworkID, IPAddress}; null entries
 * are skipped (Prometheus does too). */
static void read_networks(json_t *nets, struct sl_docker_container *c) {
        const char *k;
        json_t *v;

        if (!json_is_object(nets))
                return;
        c->networks = sl_xcalloc(json_object_size(nets) + 1, sizeof(*c->networks));
        json_object_foreach(nets, k, v) {
                struct sl_docker_network *n;

                if (!json_is_object(v))
                        continue;
                n = &c->networks[c->n_networks++];
                n->name = sl_xstrdup(k);
                n->id = dup_str(json_object_get(v, "NetworkID"));
                n->ip = dup_str(json_object_get(v, "IPAddress"));
                if (!n->id)
                        n->id = sl_xstrdup("");
                if (!n->ip)
                        n->ip = sl_xstrdup("");
        }
        qsort(c->networks, c->n_networks, sizeof(*c->networks), network_cmp);
}

static unsigned port_number(json_t *v) {
        if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 65536)
                return (unsigned)json_integer_value(v);
        if (json_is_string(v)) {
                long n = strtol(json_string_value(v), NULL, 10);
                if (n > 0 && n < 65536)
                        return (unsigned)n;
        }
        return 0;
}

/* The list's Ports: [{IP, PrivatePort, PublicPort, Type}]. */
static void read_list_ports(json_t *ports, struct sl_docker_container *c) {
        size_t i;
        json_t *p;

        if (!json_is_array(ports))
                return;
        c->ports = sl_xcalloc(json_array_size(ports) + 1, sizeof(*c->ports));
        json_array_foreach(ports, i, p) {
                struct sl_docker_port *dp;
                json_t *type;

                if (!json_is_object(p))
                        continue;
                dp = &c->ports[c->n_ports++];
                dp->private_port = port_number(json_object_get(p, "PrivatePort"));
                dp->public_port = port_number(json_object_get(p, "PublicPort"));
                dp->public_ip = dup_str(json_object_get(p, "IP"));
                if (!dp->public_ip)
                        dp->public_ip = sl_xstrdup("");
                type = json_object_get(p, "Type");
                dp->tcp = json_is_string(type) && strcmp(json_string_value(type), "tcp") == 0;
        }
}

/* Inspection's NetworkSettings.Ports: {"80/tcp": [{HostIp, HostPort}] or null}. */
static void read_inspect_ports(json_t *ports, struct sl_docker_container *c) {
        const char *k;
        json_t *v;

        if (!json_is_object(ports))
                return;
        c->ports = sl_xcalloc(json_object_size(ports) + 1, sizeof(*c->ports));
        json_object_foreach(ports, k, v) {
                struct sl_docker_port *dp = &c->ports[c->n_ports++];
                const char *slash = strchr(k, '/');
                json_t *first = json_is_array(v) ? json_array_get(v, 0) : NULL;
                long n = strtol(k, NULL, 10);

                dp->private_port = n > 0 && n < 65536 ? (unsigned)n : 0;
                dp->tcp = !slash || strcmp(slash, "/tcp") == 0;
                if (json_is_object(first)) {
                        dp->public_port = port_number(json_object_get(first, "HostPort"));
                        dp->public_ip = dup_str(json_object_get(first, "HostIp"));
                }
                if (!dp->public_ip)
                        dp->public_ip = sl_xstrdup("");
        }
}

static json_t *load(const char *json, size_t len) {
        json_error_t e;
        json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, &e);

        if (root && !json_is_object(root) && !json_is_array(root)) {
                json_decref(root);
                return NULL;
        }
        return root;
}

static void read_inspect(json_t *root, struct sl_docker_container *c) {
        json_t *config = json_object_get(root, "Config");
        json_t *host = json_object_get(root, "HostConfig");
        json_t *state = json_object_get(root, "State");
        json_t *net = json_object_get(root, "NetworkSettings");

        replace(&c->id, json_object_get(root, "Id"));
        replace(&c->id, json_object_get(root, "ID")); /* config.v2.json */
        replace(&c->name, json_object_get(root, "Name"));
        replace(&c->image, json_object_get(config, "Image"));
        replace(&c->image_id, json_object_get(root, "Image"));
        replace(&c->log_path, json_object_get(root, "LogPath"));
        replace(&c->network_mode, json_object_get(host, "NetworkMode"));
        replace(&c->log_driver, json_object_get(json_object_get(host, "LogConfig"), "Type"));
        c->running = json_is_true(json_object_get(state, "Running"));
        read_labels(json_object_get(config, "Labels"), &c->labels);
        read_networks(json_object_get(net, "Networks"), c);
        read_inspect_ports(json_object_get(net, "Ports"), c);
        if (!c->id)
                c->id = sl_xstrdup("");
        if (!c->name)
                c->name = sl_xstrdup("");
}

int sl_docker_container_parse(const char *json, size_t len, struct sl_docker_container *c) {
        json_t *root = load(json, len);

        if (!json_is_object(root)) {
                json_decref(root);
                return -EBADMSG;
        }
        read_inspect(root, c);
        json_decref(root);
        return 0;
}

int sl_docker_hostconfig_parse(const char *json, size_t len, struct sl_docker_container *c) {
        json_t *root = load(json, len);

        if (!json_is_object(root)) {
                json_decref(root);
                return -EBADMSG;
        }
        replace(&c->network_mode, json_object_get(root, "NetworkMode"));
        replace(&c->log_driver, json_object_get(json_object_get(root, "LogConfig"), "Type"));
        json_decref(root);
        return 0;
}

int sl_docker_container_list_parse(const char *json, size_t len,
                                   struct sl_docker_container **ret, size_t *ret_n) {
        json_t *root = load(json, len), *item;
        struct sl_docker_container *cs;
        size_t i, n = 0;

        if (!json_is_array(root)) {
                json_decref(root);
                return -EBADMSG;
        }
        cs = sl_xcalloc(json_array_size(root) + 1, sizeof(*cs));
        json_array_foreach(root, i, item) {
                struct sl_docker_container *c;
                json_t *names;

                if (!json_is_object(item))
                        continue;
                c = &cs[n++];
                c->id = dup_str(json_object_get(item, "Id"));
                names = json_object_get(item, "Names");
                if (json_is_array(names))
                        c->name = dup_str(json_array_get(names, 0));
                c->image = dup_str(json_object_get(item, "Image"));
                c->image_id = dup_str(json_object_get(item, "ImageID"));
                c->network_mode = dup_str(json_object_get(json_object_get(item, "HostConfig"),
                                                          "NetworkMode"));
                c->running = true;
                read_labels(json_object_get(item, "Labels"), &c->labels);
                read_networks(json_object_get(json_object_get(item, "NetworkSettings"),
                                              "Networks"), c);
                read_list_ports(json_object_get(item, "Ports"), c);
                if (!c->id)
                        c->id = sl_xstrdup("");
        }
        json_decref(root);
        *ret = cs;
        *ret_n = n;
        return 0;
}

int sl_docker_network_list_parse(const char *json, size_t len,
                                 struct sl_docker_network_info **ret, size_t *ret_n) {
        json_t *root = load(json, len), *item;
        struct sl_docker_network_info *ns;
        size_t i, n = 0;

        if (!json_is_array(root)) {
                json_decref(root);
                return -EBADMSG;
        }
        ns = sl_xcalloc(json_array_size(root) + 1, sizeof(*ns));
        json_array_foreach(root, i, item) {
                struct sl_docker_network_info *ni;

                if (!json_is_object(item))
                        continue;
                ni = &ns[n++];
                ni->id = dup_str(json_object_get(item, "Id"));
                ni->name = dup_str(json_object_get(item, "Name"));
                ni->scope = dup_str(json_object_get(item, "Scope"));
                ni->internal = json_is_true(json_object_get(item, "Internal"));
                ni->ingress = json_is_true(json_object_get(item, "Ingress"));
                read_labels(json_object_get(item, "Labels"), &ni->labels);
                if (!ni->id)
                        ni->id = sl_xstrdup("");
        }
        json_decref(root);
        *ret = ns;
        *ret_n = n;
        return 0;
}

void sl_docker_containers_share_networks(struct sl_docker_container *cs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct sl_docker_container *from = &cs[i];

                /* Follow container:<id> modes (a few hops at most; a loop
                 * ends the walk). */
                for (int hop = 0; hop < 8 && from->n_networks == 0 && from->network_mode &&
                                  strncmp(from->network_mode, "container:", 10) == 0;
                     hop++) {
                        const char *id = from->network_mode + 10;
                        const struct sl_docker_container *next = NULL;

                        for (size_t k = 0; k < n && !next; k++)
                                if (strcmp(cs[k].id, id) == 0)
                                        next = &cs[k];
                        if (!next)
                                break;
                        from = next;
                }
                if (from == &cs[i] || from->n_networks == 0 || cs[i].n_networks > 0)
                        continue;
                free(cs[i].networks);
                cs[i].networks = sl_xcalloc(from->n_networks, sizeof(*cs[i].networks));
                for (size_t k = 0; k < from->n_networks; k++) {
                        cs[i].networks[k].name = sl_xstrdup(from->networks[k].name);
                        cs[i].networks[k].id = sl_xstrdup(from->networks[k].id);
                        cs[i].networks[k].ip = sl_xstrdup(from->networks[k].ip);
                }
                cs[i].n_networks = from->n_networks;
        }
}

char *sl_docker_label_name(const char *prefix, const char *name) {
        struct sl_buf b;
        char *out;

        sl_buf_init(&b, 1u << 16);
        sl_buf_append(&b, prefix, strlen(prefix));
        for (const unsigned char *p = (const unsigned char *)name; *p;) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '_') {
                        sl_buf_putc(&b, (char)*p++);
                        continue;
                }
                /* One '_' per character: skip a UTF-8 sequence's continuation bytes. */
                sl_buf_putc(&b, '_');
                p++;
                while ((*p & 0xc0) == 0x80)
                        p++;
        }
        out = sl_xstrdup(b.data ? b.data : prefix);
        sl_buf_release(&b);
        return out;
}

static void set_prefixed(struct sl_label_set *out, const char *prefix, const char *name,
                         const char *value) {
        char *ln = sl_docker_label_name(prefix, name);

        sl_label_set_set_c(out, ln, value);
        free(ln);
}

static const struct sl_docker_network_info *network_info(const struct sl_docker_meta_options *o,
                                                         const char *id) {
        for (size_t i = 0; o->networks && id && i < o->n_networks; i++)
                if (strcmp(o->networks[i].id, id) == 0)
                        return &o->networks[i];
        return NULL;
}

bool sl_docker_container_meta(const struct sl_docker_container *c,
                              const struct sl_docker_meta_options *opts, bool need_network,
                              struct sl_label_set *out) {
        const struct sl_docker_network *n = c->n_networks ? &c->networks[0] : NULL;
        char addr[320];

        sl_label_set_set_c(out, META "container_id", c->id);
        sl_label_set_set_c(out, META "container_name", c->name);
        if (c->network_mode)
                sl_label_set_set_c(out, META "container_network_mode", c->network_mode);
        if (c->image)
                sl_label_set_set_c(out, META "container_image", c->image);
        if (c->image_id)
                sl_label_set_set_c(out, META "container_image_id", c->image_id);
        for (size_t i = 0; i < c->labels.len; i++)
                set_prefixed(out, META "container_label_", c->labels.items[i].name,
                             c->labels.items[i].value);
        /* Networks are sorted by name: the first is the one
         * match_first_network keeps (Promtail keeps one target per
         * container either way). */
        if (!n)
                return !need_network;

        sl_label_set_set_c(out, META "network_ip", n->ip);
        {
                const struct sl_docker_network_info *ni = network_info(opts, n->id);
                if (ni) {
                        sl_label_set_set_c(out, META "network_id", ni->id);
                        if (ni->name)
                                sl_label_set_set_c(out, META "network_name", ni->name);
                        if (ni->scope)
                                sl_label_set_set_c(out, META "network_scope", ni->scope);
                        sl_label_set_set_c(out, META "network_internal",
                                           ni->internal ? "true" : "false");
                        sl_label_set_set_c(out, META "network_ingress",
                                           ni->ingress ? "true" : "false");
                        for (size_t i = 0; i < ni->labels.len; i++)
                                set_prefixed(out, META "network_label_", ni->labels.items[i].name,
                                             ni->labels.items[i].value);
                } else if (!opts->networks) {
                        /* No network list (config.v2.json): what the
                         * container's own entry says. */
                        sl_label_set_set_c(out, META "network_id", n->id);
                        sl_label_set_set_c(out, META "network_name", n->name);
                }
        }
        for (size_t i = 0; i < c->n_ports; i++) {
                const struct sl_docker_port *p = &c->ports[i];
                char num[16];

                if (!p->tcp)
                        continue;
                snprintf(num, sizeof(num), "%u", p->private_port);
                sl_label_set_set_c(out, META "port_private", num);
                if (p->public_port > 0) {
                        snprintf(num, sizeof(num), "%u", p->public_port);
                        sl_label_set_set_c(out, META "port_public", num);
                        sl_label_set_set_c(out, META "port_public_ip", p->public_ip);
                }
                snprintf(addr, sizeof(addr), "%s%s%s:%u", strchr(n->ip, ':') ? "[" : "", n->ip,
                         strchr(n->ip, ':') ? "]" : "", p->private_port);
                sl_label_set_set_c(out, "__address__", addr);
                return true;
        }
        if (c->network_mode && strcmp(c->network_mode, "host") == 0)
                snprintf(addr, sizeof(addr), "%s", opts->host_networking_host);
        else
                snprintf(addr, sizeof(addr), "%s%s%s:%u", strchr(n->ip, ':') ? "[" : "", n->ip,
                         strchr(n->ip, ':') ? "]" : "", opts->port);
        sl_label_set_set_c(out, "__address__", addr);
        return true;
}
