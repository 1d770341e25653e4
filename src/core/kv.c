/* kv.c - see kv.h. */
#include "core/kv.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void sl_kvs_init(struct sl_kvs *kvs) {
        kvs->items = NULL;
        kvs->len = kvs->cap = 0;
}

void sl_kvs_release(struct sl_kvs *kvs) {
        free(kvs->items);
        sl_kvs_init(kvs);
}

/* Inlined: sl_kvs_set() and sl_kvs_get() are a dozen calls per line, each
 * over a few names, where a second call cost about what the search does. */
static inline __attribute__((always_inline)) struct sl_kv *find(const struct sl_kvs *kvs,
                                                                struct sl_str name) {
        if (name.len == 0) {
                for (size_t i = 0; i < kvs->len; i++)
                        if (kvs->items[i].name.len == 0)
                                return &kvs->items[i];
                return NULL;
        }
        /* Every stage looks its names up here for every line, among a
         * dozen names of a few bytes, many of one length: the first byte
         * turns most of them away before the rest is compared. Newest first:
         * names are unique, and a stage mostly asks for what an earlier
         * stage has just set (the json stage's values come after the labels
         * the runner copies in). */
        for (size_t i = kvs->len; i-- > 0;) {
                const struct sl_str *n = &kvs->items[i].name;
                if (n->len == name.len && n->ptr[0] == name.ptr[0] &&
                    sl_bytes_eq(n->ptr, name.ptr, name.len))
                        return &kvs->items[i];
        }
        return NULL;
}

void sl_kvs_append(struct sl_kvs *kvs, struct sl_str name, struct sl_str value) {
        if (kvs->len == kvs->cap)
                sl_xgrow((void **)&kvs->items, sizeof(*kvs->items), &kvs->cap, kvs->len + 1);
        kvs->items[kvs->len++] = (struct sl_kv){ name, value };
}

void sl_kvs_set(struct sl_kvs *kvs, struct sl_str name, struct sl_str value) {
        struct sl_kv *kv = find(kvs, name);
        if (kv) {
                kv->value = value;
                return;
        }
        sl_kvs_append(kvs, name, value);
}

const struct sl_str *sl_kvs_get(const struct sl_kvs *kvs, struct sl_str name) {
        const struct sl_kv *kv = find(kvs, name);
        return kv ? &kv->value : NULL;
}

const struct sl_str *sl_kvs_get_hinted(const struct sl_kvs *kvs, struct sl_str name,
                                       size_t *io_hint) {
        const struct sl_kv *kv;
        size_t h = *io_hint;

        if (h < kvs->len) {
                const struct sl_str *n = &kvs->items[h].name;

                if (sl_str_eq(*n, name))
                        return &kvs->items[h].value;
        }
        kv = find(kvs, name);
        if (!kv)
                return NULL;
        *io_hint = (size_t)(kv - kvs->items);
        return &kv->value;
}

struct sl_str *sl_kvs_value(struct sl_kvs *kvs, struct sl_str name) {
        struct sl_kv *kv = find(kvs, name);
        return kv ? &kv->value : NULL;
}

bool sl_kvs_del(struct sl_kvs *kvs, struct sl_str name) {
        struct sl_kv *kv = find(kvs, name);
        size_t i;
        if (!kv)
                return false;
        i = (size_t)(kv - kvs->items);
        memmove(kv, kv + 1, (kvs->len - i - 1) * sizeof(*kv));
        kvs->len--;
        return true;
}

void sl_kvs_copy(struct sl_kvs *dst, const struct sl_kvs *src) {
        sl_xgrow((void **)&dst->items, sizeof(*dst->items), &dst->cap, src->len);
        if (src->len)
                memcpy(dst->items, src->items, src->len * sizeof(*src->items));
        dst->len = src->len;
}
