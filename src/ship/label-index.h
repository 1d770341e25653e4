/* label-index.h - struct sl_label_index: label sets to numbers, without rendering.
 *
 * The batcher needs, for every entry, the stream of the open batch its label
 * set belongs to. Rendering the set to Loki's text (sorted, escaped) and
 * hashing that text per entry costs more than all the rest of the batcher,
 * while the sets repeat: a batch has a handful of streams. The index maps a
 * set, given as name/value pairs in any order, to a number (the stream) by
 * an order-independent hash of the pairs, and confirms a hit by comparing
 * the pairs with a copy it keeps of the set, so only a set it has not seen
 * needs rendering.
 *
 * Sets: two sets are the same when they hold the same pairs, in any order.
 * The names of a set are unique (a struct sl_kvs holds each name once); the
 * index relies on it. Values are compared byte for byte.
 *
 * Owns: copies of the pairs of every set added (in its arena), its tables.
 * Borrows nothing beyond each call.
 *
 * Calling sequence:
 *   sl_label_index_new()    an empty index
 *   sl_label_index_find_recent()  per set looked up first: the number of
 *                           one of the few sets found or added last, if
 *                           it is one, without hashing
 *   sl_label_index_hash()   after a miss there: its hash, for find and add
 *   sl_label_index_find()   the number of a set added before, if any
 *   sl_label_index_add()    after a miss: remembers the set with its number
 *   sl_label_index_reset()  forgets every set (the numbers mean nothing any
 *                           more: a new batch); keeps memory for reuse
 *   sl_label_index_free()   NULL is a no-op
 *
 * Most entries have the set of an entry just before them (a file's lines
 * come in runs, with a few values of a label such as `level`), so the few
 * sets found or added last are kept aside and compared with the pairs first:
 * a hit there costs no hash, whose cost grows with the values (file paths).
 *
 * Hot path: find_recent, hash and find allocate nothing; add copies the set into the
 * arena, which reset keeps. Memory grows with the sets added since the
 * last reset; its owner bounds that (the batcher resets it with every batch,
 * whose size is capped and counts each stream's labels).
 * Threading: loop thread only.
 */
#ifndef SL_SHIP_LABEL_INDEX_H
#define SL_SHIP_LABEL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "core/kv.h"

struct sl_label_index;

/* How many sets sl_label_index_find_recent() compares with at most. */
#define SL_LABEL_INDEX_RECENT 4

/* Returns a new empty index (never NULL; aborts on OOM). @hash_bits: how
 * many low bits of each hash are kept, 64 in use; tests pass fewer to make
 * different sets collide (0: every set has the same hash). */
struct sl_label_index *sl_label_index_new(unsigned hash_bits);
void sl_label_index_free(struct sl_label_index *ix);
SL_DEFINE_CLEANUP(struct sl_label_index *, sl_label_index_free)

/* Finds the set @set among the SL_LABEL_INDEX_RECENT sets found or added
 * last, by comparing pairs. Returns true and sets *@ret_value as
 * sl_label_index_find() does, or false: the set may still be in the index
 * (sl_label_index_hash(), then sl_label_index_find()). */
bool sl_label_index_find_recent(struct sl_label_index *ix, const struct sl_kvs *set,
                                uint32_t *ret_value);

/* The hash of the set @set: the same for the same pairs in any order. */
uint64_t sl_label_index_hash(const struct sl_label_index *ix, const struct sl_kvs *set);

/* Finds the set @set, whose sl_label_index_hash() is @hash. Returns true and
 * sets *@ret_value to the number it was added with, or false. */
bool sl_label_index_find(struct sl_label_index *ix, uint64_t hash, const struct sl_kvs *set,
                         uint32_t *ret_value);

/* Remembers a copy of the set @set (hash @hash, not found before) with the
 * number @value. */
void sl_label_index_add(struct sl_label_index *ix, uint64_t hash, const struct sl_kvs *set,
                        uint32_t value);

/* The number of sets added since the last reset. */
size_t sl_label_index_count(const struct sl_label_index *ix);

/* Forgets every set; keeps the memory for the next ones. */
void sl_label_index_reset(struct sl_label_index *ix);

#endif
