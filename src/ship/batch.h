/* batch.h - struct sl_batch, the unit handed from the batcher to a Loki client.
 *
 * A batch holds copies of entries grouped into streams (one stream per
 * rendered label set) plus the read positions ("marks") of the files whose
 * lines went into it, kept or not. Everything it points to lives in its own
 * arena, so a batch outlives the entries and buffers it was built from.
 *
 * Owns: its arenas (lines and metadata; rendered labels and tenants), its
 * arrays of streams, entries and marks. Borrows nothing.
 *
 * Calling sequence:
 *   building (the batcher only):
 *     sl_batch_new()           an empty open batch
 *     sl_batch_stream()        the index of a label set's stream, added if new
 *     sl_batch_add()           copies one entry into a stream
 *     sl_batch_mark()          keeps the last mark of a source
 *     sl_batch_set_created_ns() when the batch was opened (monotonic)
 *     sl_batch_seal()          sorts each stream by time; the batch is immutable
 *   reading (push-encode, loki-client, agent): any of the const getters
 *   the client, once it holds the batch's encoded body:
 *     sl_batch_drop_lines()    frees the entries and their bytes; the streams
 *                              (labels, tenants, counts), marks and sizes stay
 *     sl_batch_restore() per entry, then sl_batch_restore_end(): puts them
 *                              back, decoded from that body, when the batch
 *                              has to be encoded again in other ranges
 *   sl_batch_free()            by its one owner; NULL is a no-op
 *
 * Tenants: a stream may belong to a tenant of its own (Promtail's tenant
 * stage: the entry's "__tenant_id__" label); the same labels under two
 * tenants are two streams. Loki takes one tenant per request, so a sealed
 * batch keeps each tenant's streams together (sl_batch_seal()) and the
 * client sends each tenant's entries as requests of their own.
 *
 * Invariants: a sealed batch never changes and has one owner (batcher, then
 * the client from submit until done(), then agent), so it may be handed to
 * another thread as a whole. Streams are in order of first appearance (once
 * sealed: grouped by tenant, tenants in order of first appearance, streams
 * in that order within each); each sealed stream's entries are contiguous
 * and sorted by timestamp, ties in arrival order. Marks are in order of
 * first appearance of their source.
 * Threading: a batch is used by one thread at a time.
 */
#ifndef SL_SHIP_BATCH_H
#define SL_SHIP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/str.h"
#include "core/kv.h"

/* A file's read position just after some line. */
struct sl_mark {
        uint64_t source_id; /* the tailer's id of the file */
        uint64_t dev;       /* device of the file when read */
        uint64_t ino;       /* inode of the file when read */
        uint64_t offset;    /* bytes of the file consumed up to here */
};

/* One entry as kept in a batch. All slices point into the batch. */
struct sl_batch_entry {
        int64_t ts_ns;                /* Unix time in ns (never 0 once added) */
        struct sl_str line;           /* the line; NUL-terminated, may hold NULs */
        const struct sl_kv *metadata; /* structured metadata pairs; NULL when none */
        uint32_t n_metadata;          /* number of pairs in metadata */
        uint32_t stream;              /* index of the entry's stream in the batch */
};

/* One stream of a batch. */
struct sl_batch_stream {
        struct sl_str labels;                 /* rendered label set, NUL-terminated */
        struct sl_str tenant;                 /* X-Scope-OrgID of its entries (the tenant
                                               * stage's); empty: the client's own */
        const struct sl_batch_entry *entries; /* sealed: this stream's entries, sorted; NULL before */
        size_t n_entries;                     /* entries in this stream */
};

struct sl_batch;

/* ---- building: the batcher's side ---------------------------------------- */

/* Returns a new empty batch. @chunk_size: arena chunk size (0 = default);
 * @entries_hint: how many entries to make room for up front (0 = none). */
struct sl_batch *sl_batch_new(size_t chunk_size, size_t entries_hint);

/* Returns the index of the stream whose rendered label set is @labels,
 * copying @labels into a new stream if none has it yet. Not after sealing.
 * The stream has no tenant of its own (sl_batch_stream_of() with an empty
 * tenant). */
uint32_t sl_batch_stream(struct sl_batch *b, struct sl_str labels);
/* The same for the tenant @tenant (empty: the client's own; copied). */
uint32_t sl_batch_stream_of(struct sl_batch *b, struct sl_str tenant, struct sl_str labels);

/* Whether a stream with the rendered label set @labels (and no tenant of
 * its own) is in the batch (nothing is added). Not after sealing. */
bool sl_batch_has_stream(const struct sl_batch *b, struct sl_str labels);
/* The same for the tenant @tenant. */
bool sl_batch_has_stream_of(const struct sl_batch *b, struct sl_str tenant, struct sl_str labels);
/* Number of streams of the tenant @tenant (empty: those without one). */
size_t sl_batch_streams_of(const struct sl_batch *b, struct sl_str tenant);

/* Copies @line and @metadata (names and values; NULL = none) into stream
 * @stream with timestamp @ts_ns. Not after sealing. */
void sl_batch_add(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                  const struct sl_kvs *metadata);

/* Keeps *@m as the position of m->source_id, replacing an earlier mark of the
 * same source (kept at its first place). Not after sealing. */
void sl_batch_mark(struct sl_batch *b, const struct sl_mark *m);

/* Records @now_ns (CLOCK_MONOTONIC) as the time the batch was opened, i.e.
 * when the first line whose entry or mark it carries was read. Not after
 * sealing. */
void sl_batch_set_created_ns(struct sl_batch *b, uint64_t now_ns);

/* Groups the streams by tenant (see Invariants), sorts every stream's
 * entries by timestamp (stable) and makes the batch immutable. Idempotent. */
void sl_batch_seal(struct sl_batch *b);

/* ---- reading ------------------------------------------------------------- */

bool sl_batch_sealed(const struct sl_batch *b);
/* Number of entries, all streams together. */
size_t sl_batch_entries(const struct sl_batch *b);
/* Bytes counted against batch size: lines, metadata names and values, and
 * each stream's rendered labels once. */
uint64_t sl_batch_bytes(const struct sl_batch *b);
/* The streams, borrowed until the batch is freed (or, before sealing, until
 * the next change); their entries are set only once sealed. */
const struct sl_batch_stream *sl_batch_streams(const struct sl_batch *b, size_t *ret_n);
/* The marks, one per source, borrowed like the streams. */
const struct sl_mark *sl_batch_marks(const struct sl_batch *b, size_t *ret_n);
/* The creation time set by sl_batch_set_created_ns(); 0 if never set. */
uint64_t sl_batch_created_ns(const struct sl_batch *b);
/* The monotonic time since which the batch holds an entry not yet
 * acknowledged: its creation time when it has entries, UINT64_MAX when it
 * has none. The creation time may precede the first entry by at most
 * batchwait (a batch opened by a dropped line's mark); that line's position
 * is not acknowledged before the batch is either, so the age is honest. */
uint64_t sl_batch_oldest_ns(const struct sl_batch *b);

/* ---- dropping the lines: the client's side ------------------------------- */

/* Frees the entries of sealed @b (the array, the lines and their metadata)
 * and keeps the rest: streams with their labels, tenants and numbers of
 * entries (sl_batch_streams() gives them with entries NULL), marks,
 * sl_batch_entries(), sl_batch_bytes() and the times. A client that holds
 * the encoded body of the batch needs no more, and holds about a third of
 * the memory. Idempotent. */
void sl_batch_drop_lines(struct sl_batch *b);
/* False between sl_batch_drop_lines() and a successful restore. */
bool sl_batch_has_lines(const struct sl_batch *b);
/* Puts back one dropped entry: every entry of the batch, in its sealed
 * order (stream 0's first, each stream's sorted), with its stream's index;
 * the bytes are copied. */
void sl_batch_restore(struct sl_batch *b, uint32_t stream, int64_t ts_ns, struct sl_str line,
                      const struct sl_kvs *metadata);
/* Ends restoring: 0 when the entries put back are exactly those dropped
 * (their number per stream, in stream order): the batch has its lines
 * again. -EBADMSG otherwise: it is left without lines. */
int sl_batch_restore_end(struct sl_batch *b);

void sl_batch_free(struct sl_batch *b);
SL_DEFINE_CLEANUP(struct sl_batch *, sl_batch_free)

#endif
