/* batcher.c - see batcher.h. */
#include "ship/batcher.h"

#include <errno.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "core/labels.h"

#define LABELS_MAX (64u * 1024u)
#define CHUNK_MIN (16u * 1024u)
#define CHUNK_MAX (1024u * 1024u)

struct sl_batcher {
        struct sl_batcher_options opts; /* copy; external_labels points to ext */
        struct sl_arena ext_arena;      /* owned: bytes of the external labels */
        struct sl_kvs ext;              /* owned copy of the external labels */
        struct sl_kvs merged;           /* scratch: external labels, then the entry's */
        struct sl_buf rendered;         /* scratch: the merged set rendered, capped */
        struct sl_batch *open;          /* owned open batch; NULL when none */
        uint64_t opened_ns;             /* monotonic time of its first entry or mark */
        size_t entries_hint;            /* entries of the last sealed batch */
        size_t chunk_size;              /* arena chunk size of new batches */
        struct sl_batcher_stats stats;  /* counters */
};

struct sl_batcher *sl_batcher_new(const struct sl_batcher_options *opts) {
        struct sl_batcher *b = sl_xnew(struct sl_batcher);

        b->opts = *opts;
        sl_arena_init(&b->ext_arena, 1024);
        sl_kvs_init(&b->ext);
        sl_kvs_init(&b->merged);
        sl_buf_init(&b->rendered, LABELS_MAX);
        if (opts->external_labels)
                for (size_t i = 0; i < opts->external_labels->len; i++) {
                        const struct sl_kv *kv = &opts->external_labels->items[i];
                        sl_kvs_set(&b->ext, sl_arena_strdup(&b->ext_arena, kv->name),
                                   sl_arena_strdup(&b->ext_arena, kv->value));
                }
        b->opts.external_labels = &b->ext;
        b->chunk_size = SL_MIN(SL_MAX(opts->batchsize / 4, CHUNK_MIN), CHUNK_MAX);
        return b;
}

void sl_batcher_free(struct sl_batcher *b) {
        if (!b)
                return;
        sl_batch_free(b->open);
        sl_buf_release(&b->rendered);
        sl_kvs_release(&b->merged);
        sl_kvs_release(&b->ext);
        sl_arena_release(&b->ext_arena);
        free(b);
}

static struct sl_batch *open_batch(struct sl_batcher *b, uint64_t now_ns) {
        if (!b->open) {
                b->open = sl_batch_new(b->chunk_size, b->entries_hint);
                b->opened_ns = now_ns;
                sl_batch_set_created_ns(b->open, now_ns);
        }
        return b->open;
}

/* The length of @s cut to at most @max bytes without splitting a UTF-8
 * sequence; bytes that are not UTF-8 are cut at @max. */
static size_t utf8_cut(struct sl_str s, size_t max) {
        for (size_t back = 0; back < 4 && back <= max; back++) {
                unsigned char c = (unsigned char)s.ptr[max - back];
                if ((c & 0xc0) != 0x80)
                        return max - back;
        }
        return max;
}

int sl_batcher_add(struct sl_batcher *b, const struct sl_entry *e, uint64_t now_ns) {
        struct sl_str line = e->line;
        struct sl_batch *batch;
        uint32_t stream;
        int r;

        /* The entry's labels over the external ones: the entry wins. */
        sl_kvs_copy(&b->merged, &b->ext);
        for (size_t i = 0; i < e->labels.len; i++)
                sl_kvs_set(&b->merged, e->labels.items[i].name, e->labels.items[i].value);
        sl_buf_reset(&b->rendered);
        r = sl_labels_render(&b->merged, &b->rendered);
        if (r == -ENOBUFS) {
                b->stats.entries_dropped_labels_too_long++;
                return -ENOBUFS;
        }
        if (r <= 0) {
                b->stats.entries_dropped_no_labels++;
                return -EINVAL;
        }

        if (b->opts.max_line_size && line.len > b->opts.max_line_size) {
                if (!b->opts.truncate) {
                        b->stats.entries_dropped_too_long++;
                        return -E2BIG;
                }
                line.len = utf8_cut(line, (size_t)b->opts.max_line_size);
                b->stats.entries_truncated++;
        }

        batch = open_batch(b, now_ns);
        stream = sl_batch_stream(batch, sl_buf_str(&b->rendered));
        sl_batch_add(batch, stream, e->ts_ns ? e->ts_ns : sl_wall_ns(), line, &e->metadata);
        b->stats.entries_added++;
        return sl_batch_bytes(batch) >= b->opts.batchsize ? 1 : 0;
}

void sl_batcher_mark(struct sl_batcher *b, const struct sl_mark *m, uint64_t now_ns) {
        sl_batch_mark(open_batch(b, now_ns), m);
}

uint64_t sl_batcher_deadline(const struct sl_batcher *b) {
        if (!b->open)
                return UINT64_MAX;
        if (b->opts.batchwait_ns > UINT64_MAX - b->opened_ns)
                return UINT64_MAX - 1;
        return b->opened_ns + b->opts.batchwait_ns;
}

struct sl_batch *sl_batcher_take(struct sl_batcher *b, uint64_t now_ns, bool force) {
        struct sl_batch *batch = b->open;

        if (!batch)
                return NULL;
        if (!force && sl_batch_bytes(batch) < b->opts.batchsize && now_ns < sl_batcher_deadline(b))
                return NULL;
        sl_batch_seal(batch);
        b->entries_hint = sl_batch_entries(batch);
        b->stats.batches_sealed++;
        b->open = NULL;
        return batch;
}

uint64_t sl_batcher_oldest_ns(const struct sl_batcher *b) {
        return b->open ? sl_batch_oldest_ns(b->open) : UINT64_MAX;
}

uint64_t sl_batcher_held_bytes(const struct sl_batcher *b) {
        return b->open ? sl_batch_bytes(b->open) : 0;
}

const struct sl_batcher_stats *sl_batcher_stats(const struct sl_batcher *b) {
        return &b->stats;
}
