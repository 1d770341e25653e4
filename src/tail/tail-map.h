/* tail-map.h - struct sl_tail_map, a hash map from a pair of uint64_t to a
 * pointer, for the tail layer's indexes: file identity (device, inode) to a
 * positions entry or an open file, and inotify watch descriptor to a watch.
 *
 * Owns: its slot array. Borrows: the values (never freed by the map).
 * Calling sequence: sl_tail_map_init(), put/get/remove, sl_tail_map_release().
 * Values are non-NULL (NULL marks an empty slot). Iterate with
 * sl_tail_map_next(); the map must not change during an iteration.
 * Threading: loop thread only.
 */
#ifndef SL_TAIL_TAIL_MAP_H
#define SL_TAIL_TAIL_MAP_H

#include <stddef.h>
#include <stdint.h>

struct sl_tail_map_slot {
        uint64_t a;     /* first half of the key (device, or watch descriptor) */
        uint64_t b;     /* second half of the key (inode, or 0) */
        void *value;    /* borrowed; NULL: the slot is empty */
};

struct sl_tail_map {
        struct sl_tail_map_slot *slots; /* owned; power-of-two count, or NULL */
        size_t cap;                     /* number of slots */
        size_t len;                     /* keys stored */
};

void sl_tail_map_init(struct sl_tail_map *m);
/* Frees the slots (not the values); the map may be init'ed again. */
void sl_tail_map_release(struct sl_tail_map *m);
/* The value stored for (@a, @b) (borrowed), or NULL. */
void *sl_tail_map_get(const struct sl_tail_map *m, uint64_t a, uint64_t b);
/* Stores @value (non-NULL) for (@a, @b), replacing what was there. */
void sl_tail_map_put(struct sl_tail_map *m, uint64_t a, uint64_t b, void *value);
/* Removes (@a, @b); returns the value it had (borrowed), or NULL. */
void *sl_tail_map_remove(struct sl_tail_map *m, uint64_t a, uint64_t b);
/* Iteration: start with *@cursor = 0; returns the next value, or NULL at the end. */
void *sl_tail_map_next(const struct sl_tail_map *m, size_t *cursor);

#endif
