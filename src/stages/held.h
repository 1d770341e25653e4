/* held.h - struct sl_held_set: what the stages that join lines (cri,
 * multiline) keep per stream until they release it.
 *
 * A stream is a source (file) and a label set, as Promtail keys these
 * stages by label set (its labels name the file too). Each held stream has
 * an entry (a copy: labels, extracted values, time, offsets) and the text
 * joined so far, capped. Streams are found by source, then by an
 * order-independent hash of the labels checked against the copy's labels,
 * so a lookup walks the few streams of one file (stdout, stderr).
 *
 * Owns: every struct sl_held (its entry and text). Borrows nothing.
 * Calling sequence:
 *   sl_held_set_init()
 *   sl_held_find() / sl_held_add()  per line
 *   sl_held_detach()                take a stream out (to release it), then
 *   sl_held_free()                  once released
 *   sl_held_set_release()           frees every stream still held
 * Iterate with set->items[0 .. n-1], in the order the streams were added.
 * Threading: one thread at a time.
 */
#ifndef SL_STAGES_HELD_H
#define SL_STAGES_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/u64map.h"
#include "core/entry.h"

struct sl_held {
        struct sl_held *next_of_source; /* borrowed: next stream of the same source */
        uint64_t source_id;             /* the source the stream reads */
        uint64_t hash;                  /* sl_held_labels_hash() of entry.labels */
        struct sl_entry entry;          /* owned copy of the entry kept; its line is
                                         * unused (the text is in @text) */
        struct sl_buf text;             /* owned: the lines joined so far */
        uint64_t lines;                 /* lines joined into @text; 0: none held */
        uint64_t offset;                /* where the first of them starts in the source */
        uint64_t end_offset;            /* where the last of them ends */
        uint64_t last_ns;               /* read_ns of the last line joined */
};

struct sl_held_set {
        struct sl_held **items;   /* owned array of owned streams, oldest first */
        size_t n;                 /* streams held */
        size_t cap;               /* items allocated */
        struct sl_u64map sources; /* source_id -> first stream of it (a pointer) */
};

void sl_held_set_init(struct sl_held_set *set);
/* Frees every stream; the set may be init'ed again. */
void sl_held_set_release(struct sl_held_set *set);

/* A hash of @labels that does not depend on their order. */
uint64_t sl_held_labels_hash(const struct sl_kvs *labels);

/* The stream of @source_id whose labels are @labels (@hash their hash), or
 * NULL. Borrowed until it is detached. */
struct sl_held *sl_held_find(const struct sl_held_set *set, uint64_t source_id,
                             const struct sl_kvs *labels, uint64_t hash);

/* The first stream of @source_id (then ->next_of_source), or NULL. */
struct sl_held *sl_held_first_of(const struct sl_held_set *set, uint64_t source_id);

/* A new empty stream of @source_id with @hash, added last; its text is
 * capped at @text_cap bytes. The caller copies the entry into it. */
struct sl_held *sl_held_add(struct sl_held_set *set, uint64_t source_id, uint64_t hash,
                            size_t text_cap);

/* Takes @h out of the set (it is no longer found); the caller releases it
 * and then frees it with sl_held_free(). */
void sl_held_detach(struct sl_held_set *set, struct sl_held *h);
/* NULL is a no-op. */
void sl_held_free(struct sl_held *h);

/* The entry of @h with its joined text as the line and its offsets, ready
 * to release; borrowed from @h. */
struct sl_entry *sl_held_entry(struct sl_held *h);

#endif
