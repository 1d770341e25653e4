/* labels.h - label names and Loki's rendering of a label set (pure).
 *
 * Loki identifies a stream by its labels rendered in Prometheus selector
 * syntax, names sorted: {container="api", job="w40k", level="info"}.
 * Values are escaped like Go string literals (\\, \", \n, \t, \r and other
 * control bytes as \xNN... Loki's parser reads Go syntax). Names starting with
 * "__" are internal (such as __path__) and are not rendered.
 */
#ifndef SL_CORE_LABELS_H
#define SL_CORE_LABELS_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/str.h"
#include "core/kv.h"

/* True if @name matches [a-zA-Z_][a-zA-Z0-9_]*. */
bool sl_label_name_valid(struct sl_str name);
/* True if @name is internal ("__" prefix) and must not be sent. */
static inline bool sl_label_name_internal(struct sl_str name) {
        return name.len >= 2 && name.ptr[0] == '_' && name.ptr[1] == '_';
}

/* Most labels rendered: past these, the rest of a set is left out. */
#define SL_LABELS_RENDER_MAX 64

/* Appends the rendering of @labels to @out: sorted by name, internal names,
 * invalid names and empty values skipped; only the first
 * SL_LABELS_RENDER_MAX labels kept, in the order of @labels. Returns the
 * number of labels rendered (0 means the set is empty: Loki refuses a
 * stream without labels) or -ENOBUFS when @out's cap is reached. */
int sl_labels_render(const struct sl_kvs *labels, struct sl_buf *out);

/* Appends @value escaped as inside a Go string literal (without quotes).
 * An empty @value may have a NULL pointer (as str.h allows): nothing is
 * appended. Returns 0 or -ENOBUFS when @out's cap is reached. */
int sl_label_escape(struct sl_str value, struct sl_buf *out);

#endif
