/* u64map.h - struct sl_u64map, an open-addressing hash map from uint64_t
 * keys to uint64_t values.
 *
 * For per-source bookkeeping on the hot path (a lookup is a few instructions,
 * no allocation once grown). Key UINT64_MAX is reserved.
 * Calling sequence: sl_u64map_init(), put/get/del, sl_u64map_release().
 */
#ifndef SL_BASE_U64MAP_H
#define SL_BASE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_u64map_slot {
        uint64_t key;   /* UINT64_MAX: empty */
        uint64_t value;
};

struct sl_u64map {
        struct sl_u64map_slot *slots; /* owned; power-of-two count */
        size_t cap;                   /* number of slots */
        size_t len;                   /* keys stored */
};

void sl_u64map_init(struct sl_u64map *m);
void sl_u64map_release(struct sl_u64map *m);
void sl_u64map_put(struct sl_u64map *m, uint64_t key, uint64_t value);
/* Returns true and sets *ret_value when @key is present. */
bool sl_u64map_get(const struct sl_u64map *m, uint64_t key, uint64_t *ret_value);
/* Returns whether @key was present. */
bool sl_u64map_del(struct sl_u64map *m, uint64_t key);

#endif
