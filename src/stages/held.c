/* held.c - see held.h. */
#include "stages/held.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* Entries kept by these stages are small and many: small arena chunks. */
#define ENTRY_CHUNK 1024

void sl_held_set_init(struct sl_held_set *set) {
        set->items = NULL;
        set->n = set->cap = 0;
        sl_u64map_init(&set->sources);
}

void sl_held_set_release(struct sl_held_set *set) {
        for (size_t i = 0; i < set->n; i++)
                sl_held_free(set->items[i]);
        free(set->items);
        sl_u64map_release(&set->sources);
        sl_held_set_init(set);
}

static uint64_t hash_bytes(uint64_t h, struct sl_str s) {
        for (size_t i = 0; i < s.len; i++) {
                h ^= (unsigned char)s.ptr[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

uint64_t sl_held_labels_hash(const struct sl_kvs *labels) {
        uint64_t sum = 0;

        for (size_t i = 0; i < labels->len; i++) {
                uint64_t h = hash_bytes(0xcbf29ce484222325ULL, labels->items[i].name);
                h = hash_bytes(h ^ 0xff, labels->items[i].value);
                h ^= h >> 29;
                h *= 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 32;
                sum += h;
        }
        return sum ^ (uint64_t)labels->len;
}

static bool same_labels(const struct sl_kvs *a, const struct sl_kvs *b) {
        if (a->len != b->len)
                return false;
        for (size_t i = 0; i < a->len; i++) {
                const struct sl_str *v = sl_kvs_get(b, a->items[i].name);
                if (!v || !sl_str_eq(*v, a->items[i].value))
                        return false;
        }
        return true;
}

struct sl_held *sl_held_first_of(const struct sl_held_set *set, uint64_t source_id) {
        uint64_t p;

        if (set->n == 0 || source_id == UINT64_MAX || !sl_u64map_get(&set->sources, source_id, &p))
                return NULL;
        return (struct sl_held *)(uintptr_t)p;
}

struct sl_held *sl_held_find(const struct sl_held_set *set, uint64_t source_id,
                             const struct sl_kvs *labels, uint64_t hash) {
        for (struct sl_held *h = sl_held_first_of(set, source_id); h; h = h->next_of_source)
                if (h->hash == hash && same_labels(&h->entry.labels, labels))
                        return h;
        return NULL;
}

struct sl_held *sl_held_add(struct sl_held_set *set, uint64_t source_id, uint64_t hash,
                            size_t text_cap) {
        struct sl_held *h = sl_xnew(struct sl_held);

        h->source_id = source_id;
        h->hash = hash;
        sl_entry_init_sized(&h->entry, ENTRY_CHUNK);
        sl_buf_init(&h->text, text_cap);
        sl_xgrow((void **)&set->items, sizeof(*set->items), &set->cap, set->n + 1);
        set->items[set->n++] = h;
        if (source_id != UINT64_MAX) {
                h->next_of_source = sl_held_first_of(set, source_id);
                sl_u64map_put(&set->sources, source_id, (uint64_t)(uintptr_t)h);
        }
        return h;
}

void sl_held_detach(struct sl_held_set *set, struct sl_held *h) {
        struct sl_held *first = sl_held_first_of(set, h->source_id);

        for (size_t i = 0; i < set->n; i++)
                if (set->items[i] == h) {
                        memmove(&set->items[i], &set->items[i + 1],
                                (set->n - i - 1) * sizeof(*set->items));
                        set->n--;
                        break;
                }
        if (first == h) {
                if (h->next_of_source)
                        sl_u64map_put(&set->sources, h->source_id,
                                      (uint64_t)(uintptr_t)h->next_of_source);
                else
                        sl_u64map_del(&set->sources, h->source_id);
        } else {
                for (struct sl_held *p = first; p; p = p->next_of_source)
                        if (p->next_of_source == h) {
                                p->next_of_source = h->next_of_source;
                                break;
                        }
        }
        h->next_of_source = NULL;
}

void sl_held_free(struct sl_held *h) {
        if (!h)
                return;
        sl_entry_release(&h->entry);
        sl_buf_release(&h->text);
        free(h);
}

struct sl_entry *sl_held_entry(struct sl_held *h) {
        h->entry.line = sl_buf_str(&h->text);
        h->entry.offset = h->offset;
        h->entry.end_offset = h->end_offset;
        return &h->entry;
}
