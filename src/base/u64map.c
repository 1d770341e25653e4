/* u64map.c - see u64map.h. Linear probing with backward-shift deletion. */
#include "base/u64map.h"

#include <stdlib.h>

#include "base/xalloc.h"

#define EMPTY UINT64_MAX

static size_t slot_of(uint64_t key, size_t cap) {
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        key ^= key >> 33;
        return (size_t)key & (cap - 1);
}

void sl_u64map_init(struct sl_u64map *m) {
        m->slots = NULL;
        m->cap = m->len = 0;
}

void sl_u64map_release(struct sl_u64map *m) {
        free(m->slots);
        sl_u64map_init(m);
}

static void rehash(struct sl_u64map *m, size_t cap) {
        struct sl_u64map_slot *old = m->slots;
        size_t old_cap = m->cap;

        m->slots = sl_xmalloc(cap * sizeof(*m->slots));
        for (size_t i = 0; i < cap; i++)
                m->slots[i].key = EMPTY;
        m->cap = cap;
        m->len = 0;
        for (size_t i = 0; i < old_cap; i++)
                if (old[i].key != EMPTY)
                        sl_u64map_put(m, old[i].key, old[i].value);
        free(old);
}

void sl_u64map_put(struct sl_u64map *m, uint64_t key, uint64_t value) {
        size_t i;

        if ((m->len + 1) * 4 > m->cap * 3)
                rehash(m, m->cap ? m->cap * 2 : 16);
        for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->slots[i].key == key) {
                        m->slots[i].value = value;
                        return;
                }
                if (m->slots[i].key == EMPTY) {
                        m->slots[i].key = key;
                        m->slots[i].value = value;
                        m->len++;
                        return;
                }
        }
}

static size_t find(const struct sl_u64map *m, uint64_t key) {
        if (!m->cap)
                return SIZE_MAX;
        for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->slots[i].key == key)
                        return i;
                if (m->slots[i].key == EMPTY)
                        return SIZE_MAX;
        }
}

bool sl_u64map_get(const struct sl_u64map *m, uint64_t key, uint64_t *ret_value) {
        size_t i = find(m, key);
        if (i == SIZE_MAX)
                return false;
        *ret_value = m->slots[i].value;
        return true;
}

bool sl_u64map_del(struct sl_u64map *m, uint64_t key) {
        size_t i = find(m, key), j;

        if (i == SIZE_MAX)
                return false;
        /* Shift later members of the probe run back so lookups still find them. */
        for (j = (i + 1) & (m->cap - 1); m->slots[j].key != EMPTY; j = (j + 1) & (m->cap - 1)) {
                size_t home = slot_of(m->slots[j].key, m->cap);
                bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
                if (movable) {
                        m->slots[i] = m->slots[j];
                        i = j;
                }
        }
        m->slots[i].key = EMPTY;
        m->len--;
        return true;
}
