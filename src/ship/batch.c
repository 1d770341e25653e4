/* batch.c - see batch.h. */
#include "ship/batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/u64map.h"
#include "base/xalloc.h"

#define NO_STREAM UINT32_MAX
#define DEFAULT_CHUNK (64u * 1024u)

struct sl_batch {
        struct sl_arena arena;           /* owned: every byte the batch points to */
        struct sl_batch_stream *streams; /* owned array, in order of first appearance */
        size_t n_streams;                /* streams in use */
        size_t cap_streams;              /* streams allocated */
        uint32_t *chain;                 /* owned, parallel to streams: next stream whose
                                          * labels hash the same, NO_STREAM at the end */
        size_t cap_chain;                /* chain items allocated */
        struct sl_u64map by_hash;        /* label hash -> newest stream with it; open only */
        struct sl_batch_entry *entries;  /* owned array: arrival order, then sorted by seal */
        size_t n_entries;                /* entries in use */
        size_t cap_entries;              /* entries allocated */
        struct sl_mark *marks;           /* owned array, one per source */
        size_t n_marks;                  /* marks in use */
        size_t cap_marks;                /* marks allocated */
        struct sl_u64map by_source;      /* source_id -> index in marks; open only */
        uint64_t bytes;                  /* see sl_batch_bytes() */
        uint64_t created_ns;             /* monotonic time the batch was opened; 0 = unset */
        bool sealed;                     /* immutable from now on */
};

struct sl_batch *sl_batch_new(size_t chunk_size, size_t entries_hint) {
        struct sl_batch *b = sl_xnew(struct sl_batch);

        sl_arena_init(&b->arena, chunk_size ? chunk_size : DEFAULT_CHUNK);
        sl_u64map_init(&b->by_hash);
        sl_u64map_init(&b->by_source);
        if (entries_hint)
                sl_xgrow((void **)&b->entries, sizeof(*b->entries), &b->cap_entries, entries_hint);
        return b;
}

void sl_batch_free(struct sl_batch *b) {
        if (!b)
                return;
        sl_arena_release(&b->arena);
        sl_u64map_release(&b->by_hash);
        sl_u64map_release(&b->by_source);
        free(b->streams);
        free(b->chain);
        free(b->entries);
        free(b->marks);
        free(b);
}

/* FNV-1a; UINT64_MAX is reserved by sl_u64map, so it is folded away. */
static uint64_t hash_labels(struct sl_str s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < s.len; i++) {
                h ^= (unsigned char)s.ptr[i];
                h *= 0x100000001b3ULL;
        }
        return h == UINT64_MAX ? h - 1 : h;
}

bool sl_batch_has_stream(const struct sl_batch *b, struct sl_str labels) {
        uint64_t v;

        assert(!b->sealed);
        if (!sl_u64map_get(&b->by_hash, hash_labels(labels), &v))
                return false;
        for (uint32_t i = (uint32_t)v; i != NO_STREAM; i = b->chain[i])
                if (sl_str_eq(b->streams[i].labels, labels))
                        return true;
        return false;
}

uint32_t sl_batch_stream(struct sl_batch *b, struct sl_str labels) {
        uint64_t h = hash_labels(labels), v;
        uint32_t head = NO_STREAM, i;

        assert(!b->sealed);
        if (sl_u64map_get(&b->by_hash, h, &v)) {
                head = (uint32_t)v;
                for (i = head; i != NO_STREAM; i = b->chain[i])
                        if (sl_str_eq(b->streams[i].labels, labels))
                                return i;
        }
        i = (uint32_t)b->n_streams;
        sl_xgrow((void **)&b->streams, sizeof(*b->streams), &b->cap_streams, b->n_streams + 1);
        sl_xgrow((void **)&b->chain, sizeof(*b->chain), &b->cap_chain, b->n_streams + 1);
        b->streams[i] = (struct sl_batch_stream){ .labels = sl_arena_strdup(&b->arena, labels) };
        b->chain[i] = head;
        b->n_streams++;
        sl_u64map_put(&b->by_hash, h, i);
        b->bytes += labels.len;
        return i;
}

/* Copies @s to @at with a NUL after it; returns the copy. */
static struct sl_str copy_str(char **at, struct sl_str s) {
        struct sl_str copy = { *at, s.len };

        if (s.len)
                memcpy(*at, s.ptr, s.len);
        (*at)[s.len] = '\0';
        *at += s.len + 1;
        return copy;
}

void sl_batch_add(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                  const struct sl_kvs *metadata) {
        size_t n_meta = metadata ? metadata->len : 0, size;
        struct sl_batch_entry *e;
        struct sl_kv *kv = NULL;
        char *at;

        assert(!b->sealed && stream < b->n_streams);
        if (b->n_entries == b->cap_entries)
                sl_xgrow((void **)&b->entries, sizeof(*b->entries), &b->cap_entries, b->n_entries + 1);
        /* One piece of the arena per entry: its metadata pairs, then the
         * line and the names and values, each NUL-terminated. */
        size = n_meta * sizeof(*kv) + line.len + 1;
        for (size_t i = 0; i < n_meta; i++)
                size += metadata->items[i].name.len + metadata->items[i].value.len + 2;
        at = sl_arena_alloc(&b->arena, size);
        if (n_meta) {
                kv = (struct sl_kv *)(void *)at;
                at += n_meta * sizeof(*kv);
        }
        e = &b->entries[b->n_entries++];
        *e = (struct sl_batch_entry){
                .ts_ns = ts_ns,
                .line = copy_str(&at, line),
                .metadata = kv,
                .n_metadata = (uint32_t)n_meta,
                .stream = stream,
        };
        b->bytes += line.len;
        for (size_t i = 0; i < n_meta; i++) {
                kv[i].name = copy_str(&at, metadata->items[i].name);
                kv[i].value = copy_str(&at, metadata->items[i].value);
                b->bytes += kv[i].name.len + kv[i].value.len;
        }
        b->streams[stream].n_entries++;
}

void sl_batch_mark(struct sl_batch *b, const struct sl_mark *m) {
        uint64_t v;

        assert(!b->sealed);
        if (m->source_id != UINT64_MAX) {
                if (sl_u64map_get(&b->by_source, m->source_id, &v)) {
                        b->marks[v] = *m;
                        return;
                }
        } else {
                /* The one id the map cannot hold. */
                for (size_t i = 0; i < b->n_marks; i++)
                        if (b->marks[i].source_id == m->source_id) {
                                b->marks[i] = *m;
                                return;
                        }
        }
        sl_xgrow((void **)&b->marks, sizeof(*b->marks), &b->cap_marks, b->n_marks + 1);
        b->marks[b->n_marks] = *m;
        if (m->source_id != UINT64_MAX)
                sl_u64map_put(&b->by_source, m->source_id, b->n_marks);
        b->n_marks++;
}

void sl_batch_set_created_ns(struct sl_batch *b, uint64_t now_ns) {
        assert(!b->sealed);
        b->created_ns = now_ns;
}

static bool sorted_by_time(const struct sl_batch_entry *a, size_t n) {
        for (size_t i = 1; i < n; i++)
                if (a[i].ts_ns < a[i - 1].ts_ns)
                        return false;
        return true;
}

/* Stable bottom-up merge sort of @a by timestamp; @tmp holds @n entries. */
static void sort_by_time(struct sl_batch_entry *a, size_t n, struct sl_batch_entry *tmp) {
        struct sl_batch_entry *src = a, *dst = tmp, *swap;

        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = SL_MIN(lo + width, n), hi = SL_MIN(lo + 2 * width, n);
                        size_t i = lo, j = mid, k = lo;
                        while (i < mid && j < hi)
                                dst[k++] = src[j].ts_ns < src[i].ts_ns ? src[j++] : src[i++];
                        while (i < mid)
                                dst[k++] = src[i++];
                        while (j < hi)
                                dst[k++] = src[j++];
                }
                swap = src;
                src = dst;
                dst = swap;
        }
        if (src != a)
                memcpy(a, src, n * sizeof(*a));
}

/* Groups entries by stream, keeping arrival order inside each group. */
static void group_by_stream(struct sl_batch *b) {
        struct sl_batch_entry *grouped;
        size_t *next;

        if (b->n_streams < 2)
                return;
        next = sl_xmalloc(b->n_streams * sizeof(*next));
        for (size_t i = 0, at = 0; i < b->n_streams; i++) {
                next[i] = at;
                at += b->streams[i].n_entries;
        }
        grouped = sl_xmalloc(b->n_entries * sizeof(*grouped));
        for (size_t i = 0; i < b->n_entries; i++)
                grouped[next[b->entries[i].stream]++] = b->entries[i];
        free(b->entries);
        b->entries = grouped;
        b->cap_entries = b->n_entries;
        free(next);
}

void sl_batch_seal(struct sl_batch *b) {
        struct sl_batch_entry *tmp = NULL;
        size_t at = 0;

        if (b->sealed)
                return;
        if (b->n_entries) {
                group_by_stream(b);
                for (size_t i = 0; i < b->n_streams; i++) {
                        struct sl_batch_stream *s = &b->streams[i];
                        struct sl_batch_entry *seg = b->entries + at;

                        s->entries = seg;
                        at += s->n_entries;
                        if (sorted_by_time(seg, s->n_entries))
                                continue;
                        if (!tmp)
                                tmp = sl_xmalloc(b->n_entries * sizeof(*tmp));
                        sort_by_time(seg, s->n_entries, tmp);
                }
                free(tmp);
        }
        /* The indexes only serve building. */
        sl_u64map_release(&b->by_hash);
        sl_u64map_release(&b->by_source);
        free(b->chain);
        b->chain = NULL;
        b->cap_chain = 0;
        b->sealed = true;
}

bool sl_batch_sealed(const struct sl_batch *b) {
        return b->sealed;
}

size_t sl_batch_entries(const struct sl_batch *b) {
        return b->n_entries;
}

uint64_t sl_batch_bytes(const struct sl_batch *b) {
        return b->bytes;
}

const struct sl_batch_stream *sl_batch_streams(const struct sl_batch *b, size_t *ret_n) {
        *ret_n = b->n_streams;
        return b->streams;
}

const struct sl_mark *sl_batch_marks(const struct sl_batch *b, size_t *ret_n) {
        *ret_n = b->n_marks;
        return b->marks;
}

uint64_t sl_batch_created_ns(const struct sl_batch *b) {
        return b->created_ns;
}

uint64_t sl_batch_oldest_ns(const struct sl_batch *b) {
        return b->n_entries ? b->created_ns : UINT64_MAX;
}
