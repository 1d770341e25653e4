/* label-set.h - struct sl_label_set: a set of labels that owns its strings.
 *
 * Discovery builds and relabels targets' labels with it: unlike an entry's
 * struct sl_kvs (borrowed slices, reused per line), a label set lives as
 * long as its target and copies what it is given. Labels are kept sorted
 * by name, one value per name, and a label never has an empty value:
 * setting "" removes it (as Prometheus' labels.Builder does).
 *
 * Calling sequence: sl_label_set_init(), set/get/del/copy any number of
 * times, sl_label_set_release().
 */
#ifndef SL_DISCOVERY_LABEL_SET_H
#define SL_DISCOVERY_LABEL_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"
#include "core/kv.h"

struct sl_label {
        char *name;  /* owned, NUL-terminated */
        char *value; /* owned, NUL-terminated, never empty */
};

struct sl_label_set {
        struct sl_label *items; /* owned, sorted by name */
        size_t len;             /* labels used */
        size_t cap;             /* labels allocated */
};

void sl_label_set_init(struct sl_label_set *ls);
void sl_label_set_release(struct sl_label_set *ls);
void sl_label_set_clear(struct sl_label_set *ls);
/* Replaces @dst's labels with copies of @src's. */
void sl_label_set_copy(struct sl_label_set *dst, const struct sl_label_set *src);

/* The value of @name (borrowed until the set changes), or NULL. */
const char *sl_label_set_get(const struct sl_label_set *ls, struct sl_str name);
/* Sets @name to a copy of @value; an empty @value removes the label. */
void sl_label_set_set(struct sl_label_set *ls, struct sl_str name, struct sl_str value);
static inline void sl_label_set_set_c(struct sl_label_set *ls, const char *name,
                                      const char *value) {
        sl_label_set_set(ls, sl_str_c(name), sl_str_c(value));
}
/* Removes @name; returns whether it was there. */
bool sl_label_set_del(struct sl_label_set *ls, struct sl_str name);
/* Removes every label whose name starts with "__". */
void sl_label_set_drop_internal(struct sl_label_set *ls);
bool sl_label_set_equal(const struct sl_label_set *a, const struct sl_label_set *b);

/* Fills @kvs with slices of @ls's labels (borrowed: valid while @ls is not
 * changed). */
void sl_label_set_to_kvs(const struct sl_label_set *ls, struct sl_kvs *kvs);

#endif
