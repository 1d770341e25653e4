/* arena.h - struct sl_arena, a bump allocator reset as a whole.
 *
 * Per-entry scratch (unescaped lines, extracted values) and per-batch copies
 * live in arenas, so the hot path does not call malloc per line: after the
 * first few entries the chunks are reused, and sl_arena_reset() frees
 * nothing. Memory handed out stays valid until the next reset or release.
 *
 * Calling sequence: sl_arena_init(), sl_arena_alloc()/sl_arena_strdup() any
 * number of times, sl_arena_reset() to reuse, sl_arena_release() at the end.
 */
#ifndef SL_BASE_ARENA_H
#define SL_BASE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"

struct sl_arena_chunk;

struct sl_arena {
        struct sl_arena_chunk *head;  /* owned: chunk being filled; older ones follow */
        struct sl_arena_chunk *spare; /* owned: chunks kept by reset for reuse */
        size_t chunk_size;            /* default size of a new chunk */
        size_t used;                  /* bytes handed out since the last reset */
};

/* @chunk_size: size of each chunk (a larger request gets a chunk of its own). */
void sl_arena_init(struct sl_arena *a, size_t chunk_size);
void sl_arena_release(struct sl_arena *a);
/* Forgets every allocation and keeps the chunks for reuse. */
void sl_arena_reset(struct sl_arena *a);
/* Returns @n bytes aligned for any type, borrowed from @a. Never NULL. */
void *sl_arena_alloc(struct sl_arena *a, size_t n);
/* Copies @s into the arena with a trailing NUL; the slice excludes the NUL. */
struct sl_str sl_arena_strdup(struct sl_arena *a, struct sl_str s);
/* True if @p points into memory handed out by @a. */
bool sl_arena_owns(const struct sl_arena *a, const void *p);

#endif
