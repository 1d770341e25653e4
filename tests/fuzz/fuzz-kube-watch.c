/* fuzz-kube-watch.c - a Kubernetes watch body (discovery/kube-watch.h) on
 * hostile bytes: split into event lines as it arrives in pieces, each line
 * read as an event and its pod (discovery/pod-meta.h).
 *
 * Input: one byte that chooses how the rest is cut into pieces (sizes
 * drawn from it), then the body. Checks, beyond the sanitizers:
 *   - the lines are those of the body cut at '\n' whatever the pieces (the
 *     unterminated tail is no line), and none is longer than the cap
 *     (such a line stops the feed, as it ends the watch);
 *   - reading a line twice gives the same event;
 *   - an event's pod targets have label sets (sorted, no empty value)
 *     named like Prometheus' labels, with the pod's namespace and name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "discovery/kube-watch.h"
#include "fuzz-util.h"

#define CAP 4096

struct lines {
        struct sl_str *v;
        size_t n, cap;
};

static bool collect(void *ud, const char *text, size_t len) {
        struct lines *l = ud;

        FUZZ_CHECK(len <= CAP, "a line of %zu bytes past the cap", len);
        if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 16;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                FUZZ_CHECK(l->v, "out of memory");
        }
        l->v[l->n++] = sl_str_from(fz_strdup(sl_str_from(text, len)), len);
        return true;
}

static void lines_free(struct lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free((char *)l->v[i].ptr);
        free(l->v);
}

/* Feeds @body in pieces whose sizes come from @seed (0: whole). Returns
 * the feed's last answer. */
static int feed(struct sl_str body, uint8_t seed, struct lines *out) {
        struct sl_kube_watch_reader r;
        uint32_t x = seed ? seed : 1;
        int ret = 1;

        sl_kube_watch_reader_init(&r, CAP);
        while (body.len > 0 && ret == 1) {
                size_t n = body.len;

                if (seed) {
                        x = x * 1103515245u + 12345u;
                        n = SL_MIN(body.len, (size_t)(x >> 16) % 97 + 1);
                }
                ret = sl_kube_watch_feed(&r, sl_str_from(body.ptr, n), collect, out);
                body.ptr += n;
                body.len -= n;
        }
        sl_kube_watch_reader_release(&r);
        return ret;
}

static bool name_valid(const char *s) {
        if (!*s)
                return false;
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                          (i > 0 && c >= '0' && c <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

static void check_event(struct sl_str line) {
        struct sl_kube_event a = { 0 }, b = { 0 };
        int ra = sl_kube_event_parse(line.ptr, line.len, &a);
        int rb = sl_kube_event_parse(line.ptr, line.len, &b);

        FUZZ_CHECK(ra == rb && (ra == 0 || ra == -EBADMSG), "read as %d, then %d", ra, rb);
        FUZZ_CHECK(a.type == b.type && a.has_pod == b.has_pod && a.code == b.code,
                   "two readings differ");
        FUZZ_CHECK(!a.resource_version == !b.resource_version &&
                           (!a.resource_version ||
                            strcmp(a.resource_version, b.resource_version) == 0),
                   "resource versions differ");
        if (a.has_pod) {
                FUZZ_CHECK(a.pod.name && *a.pod.name && a.pod.ns && a.pod.uid, "a pod without name");
                FUZZ_CHECK(a.pod.n_targets == b.pod.n_targets, "targets differ");
                for (size_t i = 0; i < a.pod.n_targets; i++) {
                        const struct sl_label_set *ls = &a.pod.targets[i].labels;
                        const char *ns = sl_label_set_get(ls, SL_STR_LIT("__meta_kubernetes_namespace"));
                        const char *name = sl_label_set_get(ls, SL_STR_LIT("__meta_kubernetes_pod_name"));

                        FUZZ_CHECK(sl_label_set_equal(ls, &b.pod.targets[i].labels),
                                   "target %zu differs", i);
                        for (size_t k = 0; k < ls->len; k++) {
                                FUZZ_CHECK(name_valid(ls->items[k].name), "label name \"%s\"",
                                           ls->items[k].name);
                                FUZZ_CHECK(ls->items[k].value[0], "empty value of %s",
                                           ls->items[k].name);
                                if (k > 0)
                                        FUZZ_CHECK(strcmp(ls->items[k - 1].name,
                                                          ls->items[k].name) < 0,
                                                   "labels out of order");
                        }
                        FUZZ_CHECK(!*a.pod.ns || (ns && strcmp(ns, a.pod.ns) == 0),
                                   "namespace %s, label %s", a.pod.ns, ns ? ns : "(none)");
                        FUZZ_CHECK(name && strcmp(name, a.pod.name) == 0, "pod %s, label %s",
                                   a.pod.name, name ? name : "(none)");
                }
        }
        sl_kube_event_release(&a);
        sl_kube_event_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        uint8_t seed = fz_byte(&in);
        struct sl_str body = sl_str_from(in.p, fz_left(&in));
        struct lines whole = { 0 }, pieces = { 0 };
        int rw = feed(body, 0, &whole), rp = feed(body, seed, &pieces);
        size_t want = 0;
        const char *p = body.ptr, *end = body.ptr + body.len;

        /* What the body holds: its '\n'-ended lines, up to one past the cap. */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl || (size_t)(nl - p) > CAP)
                        break;
                want++;
                p = nl + 1;
        }
        FUZZ_CHECK(rw == rp, "whole: %d, in pieces: %d", rw, rp);
        FUZZ_CHECK(whole.n == want && pieces.n == want, "%zu lines whole, %zu in pieces, want %zu",
                   whole.n, pieces.n, want);
        FUZZ_CHECK((rw == -E2BIG) == (p < end && (!memchr(p, '\n', (size_t)(end - p)) ?
                                                          (size_t)(end - p) > CAP : true)),
                   "the cap: %d", rw);
        for (size_t i = 0; i < want; i++) {
                FUZZ_CHECK(sl_str_eq(whole.v[i], pieces.v[i]), "line %zu differs", i);
                check_event(whole.v[i]);
        }
        lines_free(&whole);
        lines_free(&pieces);
        return 0;
}
