/* batcher.c - see batcher.h. */
#include "ship/batcher.h"

#include <errno.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "core/labels.h"
#include "ship/label-index.h"

#define LABELS_MAX (64u * 1024u)
/* An index value: the stream in the low bits, the label limits' changes
 * above (label-limits.h), so that a set seen before is neither checked nor
 * rendered again, and its entries are still counted. */
#define STREAM_BITS 24
#define STREAM_MAX ((1u << STREAM_BITS) - 1)
#define CHUNK_MIN (16u * 1024u)
#define CHUNK_MAX (1024u * 1024u)

struct sl_batcher {
        struct sl_batcher_options opts; /* copy; external_labels points to ext */
        struct sl_arena ext_arena;      /* owned: bytes of the external labels */
        struct sl_kvs ext;              /* owned copy of the external labels */
        struct sl_kvs merged;           /* scratch: the labels that may be sent, external
                                         * and the entry's merged; borrowed for one add */
        struct sl_str tenant;           /* scratch: the entry's "__tenant_id__" (empty:
                                         * none), borrowed for one add */
        struct sl_kvs limited;          /* scratch: merged within Loki's limits */
        struct sl_buf rendered;         /* scratch: the merged set rendered, capped */
        struct sl_label_index *streams; /* owned: label set -> stream of the open batch;
                                         * empty when no batch is open */
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
        sl_kvs_init(&b->limited);
        sl_buf_init(&b->rendered, LABELS_MAX);
        b->streams = sl_label_index_new(64);
        if (opts->external_labels)
                for (size_t i = 0; i < opts->external_labels->len; i++) {
                        const struct sl_kv *kv = &opts->external_labels->items[i];
                        sl_kvs_set(&b->ext, sl_arena_strdup(&b->ext_arena, kv->name),
                                   sl_arena_strdup(&b->ext_arena, kv->value));
                }
        b->opts.external_labels = &b->ext;
        /* 64 KiB for the default 1 MiB batch: the last, partly used chunk of
         * each batch wastes little, and chunks this size come from malloc's
         * heap and are reused there batch after batch (larger ones were
         * mapped and unmapped, and left freed memory resident in pieces:
         * 0.3 MiB more peak RSS on the benchmark). */
        b->chunk_size = SL_MIN(SL_MAX(opts->batchsize / 16, CHUNK_MIN), CHUNK_MAX);
        return b;
}

void sl_batcher_free(struct sl_batcher *b) {
        if (!b)
                return;
        sl_batch_free(b->open);
        sl_label_index_free(b->streams);
        sl_buf_release(&b->rendered);
        sl_kvs_release(&b->merged);
        sl_kvs_release(&b->limited);
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

/* Whether the label @kv can be sent at all: it has a value and is not
 * internal. Checking the name and the limits is left to a new set (see
 * sl_label_limits_apply()): a set seen before was checked then. */
static bool maybe_sent(const struct sl_kv *kv) {
        return kv->value.len && !sl_label_name_internal(kv->name);
}

/* Fills b->merged with the labels of @labels merged over the external ones
 * (the entry's value wins), less those never sent, in the order that
 * copying the external labels and setting the entry's over them gives: the
 * order sl_labels_render() meets them in. Names in a struct sl_kvs are
 * unique, so every name comes once. */
static void merge_labels(struct sl_batcher *b, const struct sl_kvs *labels) {
        struct sl_kvs *m = &b->merged;
        size_t need = b->ext.len + labels->len;

        sl_kvs_clear(m);
        if (need > m->cap)
                sl_xgrow((void **)&m->items, sizeof(*m->items), &m->cap, need);
        for (size_t i = 0; i < b->ext.len; i++) {
                struct sl_kv kv = b->ext.items[i];
                const struct sl_str *v = sl_kvs_get(labels, kv.name);
                if (v)
                        kv.value = *v;
                if (maybe_sent(&kv))
                        m->items[m->len++] = kv;
        }
        b->tenant = SL_STR_NULL;
        for (size_t i = 0; i < labels->len; i++) {
                const struct sl_kv *kv = &labels->items[i];
                if (maybe_sent(kv)) {
                        if (!(b->ext.len && sl_kvs_get(&b->ext, kv->name)))
                                m->items[m->len++] = *kv;
                } else if (kv->value.len && sl_str_eq_c(kv->name, SL_TENANT_LABEL)) {
                        b->tenant = kv->value;
                }
        }
}

/* Counts an entry kept with @changed labels. */
static void count_limited(struct sl_batcher *b, unsigned changed) {
        for (int k = 0; changed; k++, changed >>= 1)
                if (changed & 1)
                        b->stats.label_limited[k]++;
}

int sl_batcher_add(struct sl_batcher *b, const struct sl_entry *e, uint64_t now_ns) {
        struct sl_str line = e->line;
        struct sl_batch *batch;
        uint32_t stream = 0, value = 0;
        unsigned changed = 0;
        uint64_t hash = 0;
        bool indexed, known;
        int r;

        /* The stream: found by the label pairs themselves; the set is
         * checked against Loki's limits and rendered to Loki's text only
         * when the open batch has no stream for it yet. Past
         * SL_LABELS_RENDER_MAX labels the text depends on their order too:
         * such a set is checked and rendered every time. */
        merge_labels(b, &e->labels);
        if (b->merged.len == 0) {
                b->stats.entries_dropped_no_labels++;
                return -EINVAL;
        }
        indexed = b->merged.len <= SL_LABELS_RENDER_MAX;
        if (indexed) {
                /* A tenant's streams are its own: the tenant is one more
                 * pair of the set the index knows (never rendered). */
                struct sl_kvs *set = &b->merged;
                if (b->tenant.len) {
                        sl_xgrow((void **)&set->items, sizeof(*set->items), &set->cap, set->len + 1);
                        set->items[set->len++] = (struct sl_kv){ SL_STR_LIT(SL_TENANT_LABEL), b->tenant };
                }
                known = b->open && sl_label_index_find_recent(b->streams, set, &value);
                if (!known) {
                        hash = sl_label_index_hash(b->streams, set);
                        known = b->open && sl_label_index_find(b->streams, hash, set, &value);
                }
                if (known && b->tenant.len)
                        set->len--;
        } else {
                known = false;
        }
        if (known) {
                stream = value & STREAM_MAX;
                changed = value >> STREAM_BITS;
        } else {
                if (indexed && b->tenant.len)
                        b->merged.len--; /* the tenant pair, back in for add below */
                changed = sl_label_limits_apply(&b->opts.label_limits, &b->merged, &b->limited);
                if (changed && b->opts.drop_over_label_limits) {
                        b->stats.label_dropped[__builtin_ctz(changed)]++;
                        return -EPERM;
                }
                sl_buf_reset(&b->rendered);
                r = sl_labels_render(&b->limited, &b->rendered);
                if (r == -ENOBUFS) {
                        b->stats.entries_dropped_labels_too_long++;
                        return -ENOBUFS;
                }
                if (r <= 0) {
                        b->stats.entries_dropped_no_labels++;
                        return -EINVAL;
                }
        }

        if (!known && b->opts.max_streams && b->open) {
                size_t n;

                /* Per tenant, as Promtail keeps a batch per tenant. */
                n = sl_batch_streams_of(b->open, b->tenant);
                if (n >= b->opts.max_streams &&
                    !sl_batch_has_stream_of(b->open, b->tenant, sl_buf_str(&b->rendered))) {
                        b->stats.entries_dropped_stream_limit++;
                        return -ENOSPC;
                }
        }

        if (b->opts.max_line_size && line.len > b->opts.max_line_size) {
                if (!b->opts.truncate) {
                        b->stats.entries_dropped_too_long++;
                        return -E2BIG;
                }
                line.len = sl_str_utf8_cut(line, (size_t)b->opts.max_line_size);
                b->stats.entries_truncated++;
        }

        batch = open_batch(b, now_ns);
        if (!known) {
                /* By its text: sets that differ only in what was left out
                 * or cut share a stream. */
                stream = sl_batch_stream_of(batch, b->tenant, sl_buf_str(&b->rendered));
                if (indexed && stream <= STREAM_MAX) {
                        if (b->tenant.len)
                                b->merged.len++; /* the tenant pair, still in items */
                        sl_label_index_add(b->streams, hash, &b->merged, stream | changed << STREAM_BITS);
                }
        }
        count_limited(b, changed);
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
        sl_label_index_reset(b->streams);
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
