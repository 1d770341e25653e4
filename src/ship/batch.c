/* batch.c - see batch.h. */
#include "ship/batch.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/u64map.h"
#include "base/xalloc.h"

#define NO_STREAM UINT32_MAX
#define DEFAULT_CHUNK (64u * 1024u)
#define NAMES_CHUNK (4u * 1024u)

struct sl_batch {
        struct sl_arena arena;           /* owned: the entries' bytes (lines, metadata) */
        struct sl_arena names;           /* owned: the streams' labels and tenants */
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
        size_t last_mark;                /* index in marks of the mark set last: a
                                          * file's lines come in runs, so the next
                                          * mark is mostly for the same source */
        uint64_t bytes;                  /* see sl_batch_bytes() */
        uint64_t created_ns;             /* monotonic time the batch was opened; 0 = unset */
        bool tenants;                    /* some stream has a tenant of its own */
        bool sealed;                     /* immutable from now on */
        bool lines_dropped;              /* sl_batch_drop_lines(): no entries array, no
                                          * arena; streams keep their counts */
        size_t n_restored;               /* entries put back so far (sl_batch_restore) */
};

struct sl_batch *sl_batch_new(size_t chunk_size, size_t entries_hint) {
        struct sl_batch *b = sl_xnew(struct sl_batch);

        sl_arena_init(&b->arena, chunk_size ? chunk_size : DEFAULT_CHUNK);
        sl_arena_init(&b->names, NAMES_CHUNK);
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
        sl_arena_release(&b->names);
        sl_u64map_release(&b->by_hash);
        sl_u64map_release(&b->by_source);
        free(b->streams);
        free(b->chain);
        free(b->entries);
        free(b->marks);
        free(b);
}

/* FNV-1a of the tenant, a separator, then the labels; UINT64_MAX is
 * reserved by sl_u64map, so it is folded away. */
static uint64_t hash_stream(struct sl_str tenant, struct sl_str labels) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < tenant.len; i++) {
                h ^= (unsigned char)tenant.ptr[i];
                h *= 0x100000001b3ULL;
        }
        if (tenant.len) {
                h ^= 0xff;
                h *= 0x100000001b3ULL;
        }
        for (size_t i = 0; i < labels.len; i++) {
                h ^= (unsigned char)labels.ptr[i];
                h *= 0x100000001b3ULL;
        }
        return h == UINT64_MAX ? h - 1 : h;
}

static bool stream_is(const struct sl_batch_stream *s, struct sl_str tenant, struct sl_str labels) {
        return sl_str_eq(s->labels, labels) && s->tenant.len == tenant.len &&
               (!tenant.len || sl_str_eq(s->tenant, tenant));
}

bool sl_batch_has_stream_of(const struct sl_batch *b, struct sl_str tenant, struct sl_str labels) {
        uint64_t v;

        assert(!b->sealed);
        if (!sl_u64map_get(&b->by_hash, hash_stream(tenant, labels), &v))
                return false;
        for (uint32_t i = (uint32_t)v; i != NO_STREAM; i = b->chain[i])
                if (stream_is(&b->streams[i], tenant, labels))
                        return true;
        return false;
}

bool sl_batch_has_stream(const struct sl_batch *b, struct sl_str labels) {
        return sl_batch_has_stream_of(b, SL_STR_NULL, labels);
}

size_t sl_batch_streams_of(const struct sl_batch *b, struct sl_str tenant) {
        size_t n = 0;

        if (!b->tenants)
                return tenant.len ? 0 : b->n_streams;
        for (size_t i = 0; i < b->n_streams; i++)
                n += b->streams[i].tenant.len == tenant.len &&
                     (!tenant.len || sl_str_eq(b->streams[i].tenant, tenant));
        return n;
}

uint32_t sl_batch_stream_of(struct sl_batch *b, struct sl_str tenant, struct sl_str labels) {
        uint64_t h = hash_stream(tenant, labels), v;
        uint32_t head = NO_STREAM, i;

        assert(!b->sealed);
        if (sl_u64map_get(&b->by_hash, h, &v)) {
                head = (uint32_t)v;
                for (i = head; i != NO_STREAM; i = b->chain[i])
                        if (stream_is(&b->streams[i], tenant, labels))
                                return i;
        }
        i = (uint32_t)b->n_streams;
        sl_xgrow((void **)&b->streams, sizeof(*b->streams), &b->cap_streams, b->n_streams + 1);
        sl_xgrow((void **)&b->chain, sizeof(*b->chain), &b->cap_chain, b->n_streams + 1);
        b->streams[i] = (struct sl_batch_stream){ .labels = sl_arena_strdup(&b->names, labels) };
        if (tenant.len) {
                b->streams[i].tenant = sl_arena_strdup(&b->names, tenant);
                b->tenants = true;
        }
        b->chain[i] = head;
        b->n_streams++;
        sl_u64map_put(&b->by_hash, h, i);
        b->bytes += labels.len;
        return i;
}

uint32_t sl_batch_stream(struct sl_batch *b, struct sl_str labels) {
        return sl_batch_stream_of(b, SL_STR_NULL, labels);
}

/* Copies @s to @at with a NUL after it; returns the copy. */
static inline struct sl_str copy_str(char **at, struct sl_str s) {
        struct sl_str copy = { *at, s.len };
        char *end = sl_copy_short(*at, s.ptr, s.len);

        *end = '\0';
        *at = end + 1;
        return copy;
}

/* Copies the entry into the arena and appends it to the entries array;
 * returns the bytes it counts against the batch size. */
static uint64_t append_entry(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                             const struct sl_kvs *metadata) {
        size_t n_meta = metadata ? metadata->len : 0, size;
        struct sl_batch_entry *e;
        struct sl_kv *kv = NULL;
        uint64_t bytes = line.len;
        char *at;

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
        for (size_t i = 0; i < n_meta; i++) {
                kv[i].name = copy_str(&at, metadata->items[i].name);
                kv[i].value = copy_str(&at, metadata->items[i].value);
                bytes += kv[i].name.len + kv[i].value.len;
        }
        return bytes;
}

void sl_batch_add(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                  const struct sl_kvs *metadata) {
        assert(!b->sealed && stream < b->n_streams);
        b->bytes += append_entry(b, stream, ts_ns, line, metadata);
        b->streams[stream].n_entries++;
}

void sl_batch_mark(struct sl_batch *b, const struct sl_mark *m) {
        uint64_t v;

        assert(!b->sealed);
        if (b->n_marks && b->marks[b->last_mark].source_id == m->source_id) {
                b->marks[b->last_mark] = *m;
                return;
        }
        if (m->source_id != UINT64_MAX) {
                if (sl_u64map_get(&b->by_source, m->source_id, &v)) {
                        b->marks[v] = *m;
                        b->last_mark = (size_t)v;
                        return;
                }
        } else {
                /* The one id the map cannot hold. */
                for (size_t i = 0; i < b->n_marks; i++)
                        if (b->marks[i].source_id == m->source_id) {
                                b->marks[i] = *m;
                                b->last_mark = i;
                                return;
                        }
        }
        sl_xgrow((void **)&b->marks, sizeof(*b->marks), &b->cap_marks, b->n_marks + 1);
        b->marks[b->n_marks] = *m;
        if (m->source_id != UINT64_MAX)
                sl_u64map_put(&b->by_source, m->source_id, b->n_marks);
        b->last_mark = b->n_marks++;
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

/* Puts each tenant's streams together, tenants in order of first
 * appearance, streams in theirs within a tenant (renumbering the entries'
 * streams), so that each tenant's entries are one range once grouped. */
static void group_by_tenant(struct sl_batch *b) {
        struct sl_batch_stream *sorted;
        uint32_t *to;
        bool *placed;
        size_t n = 0;

        if (!b->tenants || b->n_streams < 2)
                return;
        sorted = sl_xmalloc(b->n_streams * sizeof(*sorted));
        to = sl_xmalloc(b->n_streams * sizeof(*to));
        placed = sl_xcalloc(b->n_streams, sizeof(*placed));
        for (size_t i = 0; i < b->n_streams; i++) {
                if (placed[i])
                        continue;
                for (size_t k = i; k < b->n_streams; k++) {
                        const struct sl_batch_stream *s = &b->streams[k];
                        if (placed[k] || s->tenant.len != b->streams[i].tenant.len ||
                            (s->tenant.len && !sl_str_eq(s->tenant, b->streams[i].tenant)))
                                continue;
                        placed[k] = true;
                        to[k] = (uint32_t)n;
                        sorted[n++] = *s;
                }
        }
        for (size_t i = 0; i < b->n_entries; i++)
                b->entries[i].stream = to[b->entries[i].stream];
        free(b->streams);
        b->streams = sorted;
        b->cap_streams = b->n_streams;
        free(placed);
        free(to);
}

void sl_batch_seal(struct sl_batch *b) {
        struct sl_batch_entry *tmp = NULL;
        size_t at = 0;

        if (b->sealed)
                return;
        group_by_tenant(b);
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

bool sl_batch_has_lines(const struct sl_batch *b) {
        return !b->lines_dropped;
}

/* Forgets the entries (their array and bytes), keeping the counts. */
static void forget_entries(struct sl_batch *b) {
        size_t n = b->n_entries;

        sl_arena_release(&b->arena);
        free(b->entries);
        b->entries = NULL;
        b->cap_entries = 0;
        for (size_t i = 0; i < b->n_streams; i++)
                b->streams[i].entries = NULL;
        b->n_entries = n;
        b->n_restored = 0;
        b->lines_dropped = true;
}

void sl_batch_drop_lines(struct sl_batch *b) {
        assert(b->sealed);
        if (!b->lines_dropped)
                forget_entries(b);
}

void sl_batch_restore(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                      const struct sl_kvs *metadata) {
        size_t n = b->n_entries;

        assert(b->lines_dropped);
        /* The array is built from n_restored on; n_entries is the count to reach. */
        if (b->n_restored >= n || stream >= b->n_streams) {
                b->n_restored = SIZE_MAX;
                return;
        }
        if (b->cap_entries < n)
                sl_xgrow((void **)&b->entries, sizeof(*b->entries), &b->cap_entries, n);
        b->n_entries = b->n_restored;
        (void)append_entry(b, stream, ts_ns, line, metadata);
        b->n_restored = b->n_entries;
        b->n_entries = n;
}

int sl_batch_restore_end(struct sl_batch *b) {
        size_t at = 0;

        assert(b->lines_dropped);
        if (b->n_restored != b->n_entries) {
                forget_entries(b);
                return -EBADMSG;
        }
        /* Each stream's entries must be its n_entries, in stream order. */
        for (size_t i = 0; i < b->n_streams; i++) {
                for (size_t j = 0; j < b->streams[i].n_entries; j++)
                        if (b->entries[at + j].stream != i) {
                                forget_entries(b);
                                return -EBADMSG;
                        }
                b->streams[i].entries = b->entries + at;
                at += b->streams[i].n_entries;
        }
        b->n_restored = 0;
        b->lines_dropped = false;
        return 0;
}
