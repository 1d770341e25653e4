/* entry.h - struct sl_entry, one log line on its way through a pipeline.
 *
 * The agent owns one entry per pipeline and reuses it for every line:
 * sl_entry_reset() empties it without freeing, so processing a line does not
 * allocate once the arrays and the arena have grown to their working size.
 *
 * Lifetimes: every slice in an entry is borrowed. The line starts as a slice
 * of the tailer's read buffer (valid until the tailer's sink returns); stages
 * that build new strings put them in @arena (valid until the next reset) or
 * in their own context. Whoever keeps an entry beyond the sink (the batcher)
 * copies what it keeps.
 */
#ifndef SL_CORE_ENTRY_H
#define SL_CORE_ENTRY_H

#include <stdint.h>

#include "base/arena.h"
#include "base/str.h"
#include "core/kv.h"

struct sl_entry {
        int64_t ts_ns;            /* Unix time in ns; 0 = not set yet */
        struct sl_str line;       /* the line that will be shipped; borrowed */
        struct sl_kvs labels;     /* stream labels; "__"-names are not sent */
        struct sl_kvs extracted;  /* values parsed out of the line by stages */
        struct sl_kvs metadata;   /* structured metadata sent with the entry */
        struct sl_arena arena;    /* owned scratch for strings stages build */
        uint64_t source_id;       /* the file the line came from, for stages
                                   * that keep state per source (docker) */
        uint64_t offset;          /* where the entry's text starts in its source:
                                   * the first line of a joined block */
        uint64_t end_offset;      /* where its last line ends: the position to
                                   * acknowledge once it is shipped */
        uint64_t read_ns;         /* CLOCK_MONOTONIC time it was read; the clock
                                   * of stages that need one (multiline's wait,
                                   * limit's rate, metrics' idle time) */
        const char *drop_reason;  /* static string set by a stage on DROP */
};

void sl_entry_init(struct sl_entry *e);
/* sl_entry_init() with arena chunks of @chunk_size bytes (sl_entry_init's
 * are 16 KiB): for entries a stage keeps, many at a time. */
void sl_entry_init_sized(struct sl_entry *e, size_t chunk_size);
void sl_entry_release(struct sl_entry *e);
/* Empties the entry for the next line; keeps arrays and arena chunks. */
void sl_entry_reset(struct sl_entry *e);

/* Makes @dst a copy of @src that borrows nothing from it: @dst is reset,
 * then the line, the names and values of labels, extracted values and
 * metadata are copied into @dst's arena, the numbers and drop_reason (a
 * static string) as they are. For a stage that keeps an entry beyond the
 * call (multiline's block start, cri's partial lines). */
void sl_entry_copy(struct sl_entry *dst, const struct sl_entry *src);

#endif
