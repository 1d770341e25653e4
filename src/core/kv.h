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
/* Removes @name if present; returns whether it was. */
bool sl_kvs_del(struct sl_kvs *kvs, struct sl_str name);
/* Replaces the content of @dst with that of @src (slices copied, not bytes). */
void sl_kvs_copy(struct sl_kvs *dst, const struct sl_kvs *src);

#endif
