/* fuzz-docker-api.c - what the Docker Engine API and the files beside a
 * container's log say (discovery/docker-meta.h), on hostile JSON, made
 * into Promtail's __meta_docker_* labels.
 *
 * Input: up to four parts separated by lines "#--": the container list
 * (GET /containers/json), the network list (GET /networks), an inspection
 * (GET /containers/<id>/json, or config.v2.json) and a hostconfig.json.
 * Checks, beyond the sanitizers:
 *   - every label is __address__ or __meta_docker_*, its name of
 *     [a-zA-Z0-9_] only, the set sorted with no empty value;
 *   - __meta_docker_container_id is the container's id when it has one;
 *   - making the labels twice gives the same set;
 *   - sl_docker_label_name() keeps the prefix and makes a valid name.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "discovery/docker-meta.h"
#include "fuzz-util.h"

#define PREFIX "__meta_docker_container_label_"

static void check_labels(const struct sl_label_set *ls) {
        for (size_t i = 0; i < ls->len; i++) {
                const char *n = ls->items[i].name;

                FUZZ_CHECK(strcmp(n, "__address__") == 0 || strncmp(n, "__meta_docker_", 14) == 0,
                           "label %s", n);
                for (const char *c = n; *c; c++)
                        FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                                           (*c >= '0' && *c <= '9') || *c == '_',
                                   "label name %s", n);
                FUZZ_CHECK(ls->items[i].value[0], "empty value of %s", n);
                if (i > 0)
                        FUZZ_CHECK(strcmp(ls->items[i - 1].name, n) < 0, "labels out of order");
        }
}

static void check_container(const struct sl_docker_container *c,
                            const struct sl_docker_meta_options *o, bool need_network) {
        struct sl_label_set a, b;
        const char *id;
        bool ra, rb;

        sl_label_set_init(&a);
        sl_label_set_init(&b);
        ra = sl_docker_container_meta(c, o, need_network, &a);
        rb = sl_docker_container_meta(c, o, need_network, &b);
        FUZZ_CHECK(ra == rb && sl_label_set_equal(&a, &b), "two makings differ");
        check_labels(&a);
        id = sl_label_set_get(&a, SL_STR_LIT("__meta_docker_container_id"));
        FUZZ_CHECK(!c->id || !*c->id || (id && strcmp(id, c->id) == 0), "id %s, label %s", c->id,
                   id ? id : "(none)");
        for (size_t i = 0; i < c->labels.len; i++) {
                _cleanup_free_ char *n = sl_docker_label_name(PREFIX, c->labels.items[i].name);

                FUZZ_CHECK(strncmp(n, PREFIX, strlen(PREFIX)) == 0, "prefix lost: %s", n);
                for (const char *p = n; *p; p++)
                        FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                           (*p >= '0' && *p <= '9') || *p == '_',
                                   "label name %s", n);
        }
        sl_label_set_release(&a);
        sl_label_set_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str list = fz_before(&in, "\n#--\n"), nets = fz_before(&in, "\n#--\n");
        struct sl_str inspect = fz_before(&in, "\n#--\n"), host = fz_before(&in, "\n#--\n");
        struct sl_docker_container *cs = NULL, c = { 0 };
        struct sl_docker_network_info *ns = NULL;
        size_t n_cs = 0, n_ns = 0;
        struct sl_docker_meta_options o = { .port = 80, .host_networking_host = "localhost" };

        if (sl_docker_network_list_parse(nets.ptr ? nets.ptr : "", nets.len, &ns, &n_ns) == 0) {
                o.networks = ns;
                o.n_networks = n_ns;
        }
        if (sl_docker_container_list_parse(list.ptr ? list.ptr : "", list.len, &cs, &n_cs) == 0) {
                sl_docker_containers_share_networks(cs, n_cs);
                for (size_t i = 0; i < n_cs; i++)
                        check_container(&cs[i], &o, true);
                sl_docker_containers_free(cs, n_cs);
        }
        if (sl_docker_container_parse(inspect.ptr ? inspect.ptr : "", inspect.len, &c) == 0) {
                (void)sl_docker_hostconfig_parse(host.ptr ? host.ptr : "", host.len, &c);
                o.port = 9100;
                check_container(&c, &o, false);
        }
        sl_docker_container_release(&c);
        sl_docker_networks_free(ns, n_ns);
        return 0;
}
