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
        const char *drop_reason;  /* static string set by a stage on DROP */
};

void sl_entry_init(struct sl_entry *e);
void sl_entry_release(struct sl_entry *e);
/* Empties the entry for the next line; keeps arrays and arena chunks. */
void sl_entry_reset(struct sl_entry *e);

#endif
