/* kv.h - struct sl_kvs, a small ordered map of borrowed name/value slices.
 *
 * Used for an entry's labels, extracted values and structured metadata. The
 * map owns only its array (reused from entry to entry, so the hot path does
 * not allocate once it has grown); names and values are borrowed and must
 * outlive the map's current content: config strings, the entry's arena, or
 * the line being processed. Lookups are linear: these maps hold a handful
 * of items.
 */
#ifndef SL_CORE_KV_H
#define SL_CORE_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"

struct sl_kv {
        struct sl_str name;  /* borrowed */
        struct sl_str value; /* borrowed */
};

struct sl_kvs {
        struct sl_kv *items; /* owned array; contents borrowed */
        size_t len;          /* items in use */
        size_t cap;          /* items allocated */
};

void sl_kvs_init(struct sl_kvs *kvs);
void sl_kvs_release(struct sl_kvs *kvs);
/* Forgets the content, keeps the array. */
static inline void sl_kvs_clear(struct sl_kvs *kvs) {
        kvs->len = 0;
}
/* Sets @name to @value, replacing an existing value (kept in its place). */
void sl_kvs_set(struct sl_kvs *kvs, struct sl_str name, struct sl_str value);
/* The value of @name, or NULL. Borrowed until the map changes. */
const struct sl_str *sl_kvs_get(const struct sl_kvs *kvs, struct sl_str name);
/* sl_kvs_get() for a caller that asks for the same name entry after entry
 * (a stage's configured source name): *@io_hint, which the caller keeps (0
 * at first), is the index the name was found at last time. It is tried
 * first and updated when the name is found elsewhere. Names are unique in
 * a map, so a hit there is the answer sl_kvs_get() would give. */
const struct sl_str *sl_kvs_get_hinted(const struct sl_kvs *kvs, struct sl_str name, size_t *io_hint);
/* The value of @name, which the caller may replace in place (one search
 * where sl_kvs_get() then sl_kvs_set() of the same name take two), or
 * NULL. Valid until the map changes. */
struct sl_str *sl_kvs_value(struct sl_kvs *kvs, struct sl_str name);
/* Removes @name if present; returns whether it was. */
bool sl_kvs_del(struct sl_kvs *kvs, struct sl_str name);
/* Replaces the content of @dst with that of @src (slices copied, not bytes). */
void sl_kvs_copy(struct sl_kvs *dst, const struct sl_kvs *src);

/* Adds @name, which the caller knows is not in @kvs: sl_kvs_set() without
 * its search. For a stage that sets several names per entry and has made
 * sure with sl_kvs_may_hold() that the map holds none of them. */
void sl_kvs_append(struct sl_kvs *kvs, struct sl_str name, struct sl_str value);

/* One bit of 64 standing for @name (its length, first and last byte). A
 * stage ORs the bits of the names it sets into a mask at configuration. */
static inline uint64_t sl_kvs_name_bit(struct sl_str name) {
        uint64_t sig = 0;

        if (name.len)
                sig = (uint64_t)name.len << 16 | (uint64_t)(unsigned char)name.ptr[0] << 8 |
                      (unsigned char)name.ptr[name.len - 1];
        return UINT64_C(1) << ((sig * UINT64_C(0x9e3779b97f4a7c15)) >> 58);
}

/* Whether @kvs may hold a name whose sl_kvs_name_bit() is in @mask. False
 * means it holds none: names set next may be appended without a search.
 * One look at each name, for what one sl_kvs_set() of a new name costs. */
static inline bool sl_kvs_may_hold(const struct sl_kvs *kvs, uint64_t mask) {
        for (size_t i = 0; i < kvs->len; i++)
                if (mask & sl_kvs_name_bit(kvs->items[i].name))
                        return true;
        return false;
}

#endif
