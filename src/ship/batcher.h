/* batcher.h - struct sl_batcher: entries in, sealed batches out, per client.
 *
 * The batcher copies each kept entry (line, labels rendered once per stream,
 * structured metadata) into the open batch, and records the files' read
 * positions ("marks") for every line, kept, dropped or held. It seals the
 * open batch when it holds batchsize bytes, when batchwait has passed since
 * its first entry or mark, or on demand, and hands it out (new, owned by the
 * caller). The batcher keeps no timer: the caller asks sl_batcher_deadline()
 * and calls sl_batcher_take() when it passes.
 *
 * Labels: the stream of an entry is its labels merged over the client's
 * external labels; on a name in both, the entry's value wins (as Promtail's
 * client does: externalLabels.Merge(entry.Labels)). Internal names ("__")
 * and empty values are not sent. Loki's limits on a label set (label-limits.h:
 * name syntax and length, value length, duplicates, names per stream) are
 * applied before the set is rendered: by default the set is changed so that
 * Loki takes it (a value cut, labels left out) and the entry is kept, and
 * counted by reason (label_limited); with drop_over_label_limits the entry
 * is dropped and counted by its first reason (label_dropped). An entry left
 * without any label is refused.
 *
 * An entry's stream is found from its label pairs (struct sl_label_index,
 * an order-independent hash checked against a copy of each stream's
 * pairs); a set is rendered to Loki's text only for the first entry of its
 * stream in a batch.
 *
 * Streams: with max_streams, an entry of a stream new to the open batch is
 * dropped (counted) once the batch holds max_streams streams, as Promtail's
 * client does; the next batch starts with room again.
 *
 * Owns: the open batch, a copy of the external labels, the index of the open
 * batch's streams, scratch buffers.
 * Borrows nothing after sl_batcher_new() returns.
 *
 * Calling sequence:
 *   sl_batcher_new()       copies its options
 *   sl_batcher_add()       per kept entry; 1 means "take the batch now"
 *   sl_batcher_mark()      per line read, after add (or instead of it)
 *   sl_batcher_deadline()  when to call take next (UINT64_MAX: nothing open)
 *   sl_batcher_take()      the sealed batch, or NULL when not due
 *   sl_batcher_oldest_ns() for the lag gauge: since when an entry waits here
 *   sl_batcher_free()      frees the open batch too; NULL is a no-op
 *
 * Hot path: adding an entry copies its bytes into the batch's arena; once
 * the arena chunks and arrays of a batch have grown, nothing is allocated per
 * entry (arrays grow geometrically, and a new batch starts sized like the
 * last one). Times: now_ns arguments are CLOCK_MONOTONIC; entry timestamps
 * are Unix ns (0 is replaced by the wall clock at add).
 * Threading: loop thread only.
 */
#ifndef SL_SHIP_BATCHER_H
#define SL_SHIP_BATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "core/entry.h"
#include "core/kv.h"
#include "ship/batch.h"
#include "ship/label-limits.h"

struct sl_batcher_options {
        uint64_t batchsize;                   /* seal once the open batch holds this many
                                               * bytes (lines, metadata, labels per stream) */
        uint64_t batchwait_ns;                /* seal this long after the open batch's first
                                               * entry or mark */
        const struct sl_kvs *external_labels; /* borrowed during _new (copied); may be NULL;
                                               * added to every stream, entry labels win */
        uint64_t max_line_size;               /* longest line in bytes; 0 = no limit */
        uint64_t max_streams;                 /* most streams in one batch (Promtail's
                                               * limits_config.max_streams); 0 = no limit */
        bool truncate;                        /* longer lines: cut (true) or drop (false) */
        struct sl_label_limits label_limits;  /* Loki's limits on a stream's labels; all 0:
                                               * none */
        bool drop_over_label_limits;          /* drop an entry whose labels break them,
                                               * instead of changing its labels */
};

struct sl_batcher_stats {
        uint64_t entries_added;             /* entries copied into a batch */
        uint64_t entries_truncated;         /* of those, lines cut to max_line_size */
        uint64_t entries_dropped_too_long;  /* lines over max_line_size, not truncating */
        uint64_t entries_dropped_no_labels; /* entries without any label to send */
        uint64_t entries_dropped_labels_too_long; /* rendered label set over 64 KiB */
        uint64_t label_limited[SL_LABEL_VIOLATIONS]; /* entries kept with labels changed to meet
                                              * the limits, by kind (an entry may count
                                              * under several) */
        uint64_t label_dropped[SL_LABEL_VIOLATIONS]; /* entries dropped for their labels
                                              * (drop_over_label_limits), by first kind */
        uint64_t entries_dropped_stream_limit; /* a new stream in a batch holding max_streams */
        uint64_t batches_sealed;            /* batches handed out by take */
};

struct sl_batcher;

/* Returns a new batcher (never NULL; aborts on OOM). */
struct sl_batcher *sl_batcher_new(const struct sl_batcher_options *opts);
void sl_batcher_free(struct sl_batcher *b);
SL_DEFINE_CLEANUP(struct sl_batcher *, sl_batcher_free)

/* Copies what it keeps of @e (borrowed for the call) into the open batch,
 * opening one at @now_ns if none is. A line over max_line_size is cut (at a
 * UTF-8 character boundary, at most 3 bytes short of the limit) when
 * truncating. Returns 0; 1 when the batch now holds batchsize bytes (the
 * caller should take it); or, counted and with nothing added:
 *   -EINVAL   the entry has no label to send ("no_labels"),
 *   -EPERM    its labels break Loki's limits and drop_over_label_limits,
 *   -E2BIG    the line is too long and lines are not truncated,
 *   -ENOSPC   the entry's stream is not in the open batch, which already
 *             holds max_streams streams (Promtail's "stream_limited"),
 *   -ENOBUFS  its rendered label set is larger than 64 KiB. */
int sl_batcher_add(struct sl_batcher *b, const struct sl_entry *e, uint64_t now_ns);

/* Records that a file was read up to m->offset; the open batch keeps the last
 * mark per m->source_id. Opens a batch at @now_ns if none is. */
void sl_batcher_mark(struct sl_batcher *b, const struct sl_mark *m, uint64_t now_ns);

/* The monotonic time at which the open batch is due; UINT64_MAX if none. */
uint64_t sl_batcher_deadline(const struct sl_batcher *b);

/* Seals and returns the open batch (new, owned by the caller) when it is
 * full, its deadline has passed at @now_ns, or @force; otherwise, or when no
 * batch is open, NULL. A batch with marks and no entries is returned too: it
 * carries positions. */
struct sl_batch *sl_batcher_take(struct sl_batcher *b, uint64_t now_ns, bool force);

/* The monotonic time since which the open batch holds an entry (see
 * sl_batch_oldest_ns()); UINT64_MAX when no batch with entries is open.
 * Together with sl_loki_client_oldest_ns() it gives the age of the oldest
 * entry not yet acknowledged by Loki. */
uint64_t sl_batcher_oldest_ns(const struct sl_batcher *b);

/* Bytes held by the open batch (see sl_batch_bytes()); 0 if none. */
uint64_t sl_batcher_held_bytes(const struct sl_batcher *b);

/* The counters, borrowed until sl_batcher_free(). */
const struct sl_batcher_stats *sl_batcher_stats(const struct sl_batcher *b);

#endif
