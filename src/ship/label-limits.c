/* label-limits.c - see label-limits.h. */
#include "ship/label-limits.h"

#include <stdbool.h>

#include "base/xalloc.h"
#include "core/labels.h"

static const char *const reasons[SL_LABEL_VIOLATIONS] = {
        [SL_LABEL_INVALID_NAME] = "invalid_labels",
        [SL_LABEL_NAME_TOO_LONG] = "label_name_too_long",
        [SL_LABEL_VALUE_TOO_LONG] = "label_value_too_long",
        [SL_LABEL_DUPLICATE_NAME] = "duplicate_label_names",
        [SL_LABEL_TOO_MANY_NAMES] = "max_label_names_per_series",
};

const char *sl_label_violation_reason(enum sl_label_violation v) {
        return v < SL_LABEL_VIOLATIONS ? reasons[v] : "unknown";
}

static bool taken(const struct sl_kvs *out, struct sl_str name) {
        for (size_t i = 0; i < out->len; i++)
                if (sl_str_eq(out->items[i].name, name))
                        return true;
        return false;
}

unsigned sl_label_limits_apply(const struct sl_label_limits *limits, const struct sl_kvs *in,
                               struct sl_kvs *out) {
        unsigned changed = 0;
        size_t counted = 0;

        sl_kvs_clear(out);
        if (in->len > out->cap)
                sl_xgrow((void **)&out->items, sizeof(*out->items), &out->cap, in->len);
        for (size_t i = 0; i < in->len; i++) {
                struct sl_kv kv = in->items[i];
                bool service_name;

                if (kv.value.len == 0 || sl_label_name_internal(kv.name))
                        continue;
                if (!sl_label_name_valid(kv.name)) {
                        changed |= 1u << SL_LABEL_INVALID_NAME;
                        continue;
                }
                if (limits->max_name_length && kv.name.len > limits->max_name_length) {
                        changed |= 1u << SL_LABEL_NAME_TOO_LONG;
                        continue;
                }
                if (taken(out, kv.name)) {
                        changed |= 1u << SL_LABEL_DUPLICATE_NAME;
                        continue;
                }
                if (limits->max_value_length && kv.value.len > limits->max_value_length) {
                        kv.value.len = sl_str_utf8_cut(kv.value, limits->max_value_length);
                        changed |= 1u << SL_LABEL_VALUE_TOO_LONG;
                        if (kv.value.len == 0) /* a limit under one character */
                                continue;
                }
                /* Loki adds service_name itself and does not count it. */
                service_name = sl_str_eq_c(kv.name, "service_name");
                if (!service_name && limits->max_names && counted == limits->max_names) {
                        changed |= 1u << SL_LABEL_TOO_MANY_NAMES;
                        continue;
                }
                counted += !service_name;
                out->items[out->len++] = kv;
        }
        return changed;
}
