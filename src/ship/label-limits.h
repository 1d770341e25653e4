/* label-limits.h - Loki's validation of a stream's labels, applied before
 * sending (pure).
 *
 * Loki refuses a whole stream, every entry of it, when its label set breaks
 * one of its limits (pkg/validation and pkg/distributor/validator.go in Loki
 * 3.4, with the defaults of limits_config):
 *   a name that is not [a-zA-Z_][a-zA-Z0-9_]*         invalid_labels
 *   a name longer than max_label_name_length (1024)    label_name_too_long
 *   a value longer than max_label_value_length (2048)  label_value_too_long
 *   a name given twice                                 duplicate_label_names
 *   more than max_label_names_per_series (15) names,
 *     service_name (which Loki adds) not counted       max_label_names_per_series
 *   no label at all                                    missing_labels
 * A label value often comes from the line (a request path made a label), so
 * one hostile line would lose the entries beside it in its batch. Applied
 * here first, a violation costs only what it must: the label set is changed
 * so that Loki takes it, the label names and values Loki would refuse being
 * left out or cut, in this order for each label, in the order given:
 *   an invalid name, a name too long, a name already given: left out;
 *   a value too long: cut to the limit (at a UTF-8 character boundary,
 *     at most 3 bytes short);
 * then, past max_label_names_per_series names (service_name aside), the
 * later labels are left out: the earlier ones (external labels, a target's
 * own labels, before those a pipeline sets) are kept. Each kind of change
 * sets a bit in the answer, named by Loki's reason; a caller that wants to
 * drop such entries instead tests the answer. A limit of 0 means none.
 * Internal names ("__" prefix) and empty values are never sent: they are
 * left out silently, as sl_labels_render() does.
 *
 * Owns nothing; the output set borrows the input's strings.
 */
#ifndef SL_SHIP_LABEL_LIMITS_H
#define SL_SHIP_LABEL_LIMITS_H

#include <stdint.h>

#include "core/kv.h"

/* Loki 3.4's defaults. */
#define SL_LOKI_MAX_LABEL_NAMES 15
#define SL_LOKI_MAX_LABEL_NAME_LENGTH 1024
#define SL_LOKI_MAX_LABEL_VALUE_LENGTH 2048

struct sl_label_limits {
        uint32_t max_names;        /* names per stream, service_name aside; 0: no limit */
        uint32_t max_name_length;  /* bytes; 0: no limit */
        uint32_t max_value_length; /* bytes; 0: no limit */
};

/* What was changed, one bit (1 << kind) each. */
enum sl_label_violation {
        SL_LABEL_INVALID_NAME,    /* invalid_labels */
        SL_LABEL_NAME_TOO_LONG,   /* label_name_too_long */
        SL_LABEL_VALUE_TOO_LONG,  /* label_value_too_long */
        SL_LABEL_DUPLICATE_NAME,  /* duplicate_label_names */
        SL_LABEL_TOO_MANY_NAMES,  /* max_label_names_per_series */
        SL_LABEL_VIOLATIONS,
};

/* Loki's reason for @v ("label_value_too_long"), a static string. */
const char *sl_label_violation_reason(enum sl_label_violation v);

/* Fills @out (emptied first) with @in changed to meet @limits as described
 * above, and returns the bits of the changes made (0: @out holds the labels
 * of @in that are sent at all, unchanged). @out borrows @in's strings; @in
 * and @out must differ. */
unsigned sl_label_limits_apply(const struct sl_label_limits *limits, const struct sl_kvs *in,
                               struct sl_kvs *out);

#endif
