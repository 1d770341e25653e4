/* arena.c - see arena.h. */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct sl_arena_chunk {
        struct sl_arena_chunk *next; /* next older chunk */
        size_t size;                 /* bytes in data[] */
        size_t used;                 /* bytes handed out of data[] */
        _Alignas(max_align_t) char data[];
};

#define ALIGN (_Alignof(max_align_t))

void sl_arena_init(struct sl_arena *a, size_t chunk_size) {
        a->head = NULL;
        a->spare = NULL;
        a->chunk_size = chunk_size ? chunk_size : 4096;
        a->used = 0;
}

static void free_chunks(struct sl_arena_chunk *c) {
        while (c) {
                struct sl_arena_chunk *next = c->next;
                free(c);
                c = next;
        }
}

void sl_arena_release(struct sl_arena *a) {
        free_chunks(a->head);
        free_chunks(a->spare);
        a->head = a->spare = NULL;
        a->used = 0;
}

void sl_arena_reset(struct sl_arena *a) {
        struct sl_arena_chunk *c = a->head;

        /* Keep chunks of the default size for reuse; oversized ones go. */
        while (c) {
                struct sl_arena_chunk *next = c->next;
                if (c->size == a->chunk_size) {
                        c->used = 0;
                        c->next = a->spare;
                        a->spare = c;
                } else {
                        free(c);
                }
                c = next;
        }
        a->head = NULL;
        a->used = 0;
}

void *sl_arena_alloc(struct sl_arena *a, size_t n) {
        struct sl_arena_chunk *c = a->head;
        size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
        void *p;

        if (!c || c->size - c->used < need) {
                if (need <= a->chunk_size && a->spare) {
                        c = a->spare;
                        a->spare = c->next;
                } else {
                        size_t size = need > a->chunk_size ? need : a->chunk_size;
                        c = sl_xmalloc(sizeof(*c) + size);
                        c->size = size;
                }
                c->used = 0;
                c->next = a->head;
                a->head = c;
        }
        p = c->data + c->used;
        c->used += need;
        a->used += need;
        return p;
}

struct sl_str sl_arena_strdup(struct sl_arena *a, struct sl_str s) {
        char *p = sl_arena_alloc(a, s.len + 1);
        if (s.len)
                memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
        return (struct sl_str){ p, s.len };
}

bool sl_arena_owns(const struct sl_arena *a, const void *p) {
        const char *q = p;
        for (const struct sl_arena_chunk *c = a->head; c; c = c->next)
                if (q >= c->data && q < c->data + c->size)
                        return true;
        return false;
}
