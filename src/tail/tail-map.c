/* tail-map.c - see tail-map.h. Linear probing with backward-shift deletion,
 * so there are no tombstones and lookups stay short after many removals. */
#include "tail/tail-map.h"

#include <stdlib.h>

#include "base/xalloc.h"

static size_t home_of(uint64_t a, uint64_t b, size_t cap) {
        uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ b;

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return (size_t)h & (cap - 1);
}

void sl_tail_map_init(struct sl_tail_map *m) {
        m->slots = NULL;
        m->cap = 0;
        m->len = 0;
}

void sl_tail_map_release(struct sl_tail_map *m) {
        free(m->slots);
        sl_tail_map_init(m);
}

/* The slot holding (@a, @b), or the empty slot where it would go. */
static size_t find(const struct sl_tail_map *m, uint64_t a, uint64_t b) {
        size_t i = home_of(a, b, m->cap);

        while (m->slots[i].value && (m->slots[i].a != a || m->slots[i].b != b))
                i = (i + 1) & (m->cap - 1);
        return i;
}

static void rehash(struct sl_tail_map *m, size_t cap) {
        struct sl_tail_map_slot *old = m->slots;
        size_t old_cap = m->cap;

        m->slots = sl_xcalloc(cap, sizeof(*m->slots));
        m->cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
                if (old[i].value)
                        m->slots[find(m, old[i].a, old[i].b)] = old[i];
        }
        free(old);
}

void *sl_tail_map_get(const struct sl_tail_map *m, uint64_t a, uint64_t b) {
        if (m->len == 0)
                return NULL;
        return m->slots[find(m, a, b)].value;
}

void sl_tail_map_put(struct sl_tail_map *m, uint64_t a, uint64_t b, void *value) {
        size_t i;

        /* Keep the load at or below 3/4 so probes stay short. */
        if ((m->len + 1) * 4 > m->cap * 3)
                rehash(m, m->cap ? m->cap * 2 : 16);
        i = find(m, a, b);
        if (!m->slots[i].value)
                m->len++;
        m->slots[i] = (struct sl_tail_map_slot){ a, b, value };
}

void *sl_tail_map_remove(struct sl_tail_map *m, uint64_t a, uint64_t b) {
        size_t mask = m->cap - 1, hole, i;
        void *value;

        if (m->len == 0)
                return NULL;
        hole = find(m, a, b);
        value = m->slots[hole].value;
        if (!value)
                return NULL;
        /* Pull later members of the probe run back into the hole when their
         * home slot does not lie cyclically between the hole and them. */
        for (i = (hole + 1) & mask; m->slots[i].value; i = (i + 1) & mask) {
                size_t home = home_of(m->slots[i].a, m->slots[i].b, m->cap);
                if (((i - home) & mask) >= ((i - hole) & mask)) {
                        m->slots[hole] = m->slots[i];
                        hole = i;
                }
        }
        m->slots[hole].value = NULL;
        m->len--;
        return value;
}

void *sl_tail_map_next(const struct sl_tail_map *m, size_t *cursor) {
        while (*cursor < m->cap) {
                void *v = m->slots[(*cursor)++].value;
                if (v)
                        return v;
        }
        return NULL;
}
