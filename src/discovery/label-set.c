/* label-set.c - see label-set.h. A sorted array with binary search: sets
 * hold tens of labels and change only at discovery time. */
#include "discovery/label-set.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void sl_label_set_init(struct sl_label_set *ls) {
        *ls = (struct sl_label_set){ 0 };
}

void sl_label_set_clear(struct sl_label_set *ls) {
        for (size_t i = 0; i < ls->len; i++) {
                free(ls->items[i].name);
                free(ls->items[i].value);
        }
        ls->len = 0;
}

void sl_label_set_release(struct sl_label_set *ls) {
        sl_label_set_clear(ls);
        free(ls->items);
        sl_label_set_init(ls);
}

void sl_label_set_copy(struct sl_label_set *dst, const struct sl_label_set *src) {
        if (dst == src)
                return;
        sl_label_set_clear(dst);
        sl_xgrow((void **)&dst->items, sizeof(*dst->items), &dst->cap, src->len);
        for (size_t i = 0; i < src->len; i++) {
                dst->items[i].name = sl_xstrdup(src->items[i].name);
                dst->items[i].value = sl_xstrdup(src->items[i].value);
        }
        dst->len = src->len;
}

/* The index of @name, or where it would go (*@found false). */
static size_t find(const struct sl_label_set *ls, struct sl_str name, bool *found) {
        size_t lo = 0, hi = ls->len;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = sl_str_cmp(sl_str_c(ls->items[mid].name), name);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

const char *sl_label_set_get(const struct sl_label_set *ls, struct sl_str name) {
        bool found;
        size_t i = find(ls, name, &found);

        return found ? ls->items[i].value : NULL;
}

bool sl_label_set_del(struct sl_label_set *ls, struct sl_str name) {
        bool found;
        size_t i = find(ls, name, &found);

        if (!found)
                return false;
        free(ls->items[i].name);
        free(ls->items[i].value);
        memmove(&ls->items[i], &ls->items[i + 1], (ls->len - i - 1) * sizeof(*ls->items));
        ls->len--;
        return true;
}

void sl_label_set_set(struct sl_label_set *ls, struct sl_str name, struct sl_str value) {
        bool found;
        size_t i;

        if (value.len == 0) {
                sl_label_set_del(ls, name);
                return;
        }
        i = find(ls, name, &found);
        if (found) {
                free(ls->items[i].value);
                ls->items[i].value = sl_xstrndup(value.ptr, value.len);
                return;
        }
        sl_xgrow((void **)&ls->items, sizeof(*ls->items), &ls->cap, ls->len + 1);
        memmove(&ls->items[i + 1], &ls->items[i], (ls->len - i) * sizeof(*ls->items));
        ls->items[i].name = sl_xstrndup(name.ptr ? name.ptr : "", name.len);
        ls->items[i].value = sl_xstrndup(value.ptr, value.len);
        ls->len++;
}

void sl_label_set_drop_internal(struct sl_label_set *ls) {
        size_t w = 0;

        for (size_t i = 0; i < ls->len; i++) {
                if (strncmp(ls->items[i].name, "__", 2) == 0) {
                        free(ls->items[i].name);
                        free(ls->items[i].value);
                } else {
                        ls->items[w++] = ls->items[i];
                }
        }
        ls->len = w;
}

bool sl_label_set_equal(const struct sl_label_set *a, const struct sl_label_set *b) {
        if (a->len != b->len)
                return false;
        for (size_t i = 0; i < a->len; i++)
                if (strcmp(a->items[i].name, b->items[i].name) != 0 ||
                    strcmp(a->items[i].value, b->items[i].value) != 0)
                        return false;
        return true;
}

void sl_label_set_to_kvs(const struct sl_label_set *ls, struct sl_kvs *kvs) {
        /* Names are unique already: no lookups. */
        sl_xgrow((void **)&kvs->items, sizeof(*kvs->items), &kvs->cap, ls->len);
        for (size_t i = 0; i < ls->len; i++)
                kvs->items[i] = (struct sl_kv){ sl_str_c(ls->items[i].name),
                                                sl_str_c(ls->items[i].value) };
        kvs->len = ls->len;
}
