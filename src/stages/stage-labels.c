/* stage-labels.c - the `labels` stage: makes extracted values stream labels.
 *
 * Config (as Promtail's): a map `label_name: extracted_name`; an empty value
 * means the same name (`labels: {level:}`). Names are checked at load
 * ([a-zA-Z_][a-zA-Z0-9_]*). A name whose value was not extracted for an
 * entry is left as it is. Every label is a new stream in Loki: keep to
 * values with few distinct spellings (level, not trace_id).
 */

#include "stages/stage-registry.h"
#include "stages/stage-util.h"

static int labels_process(void *userdata, struct sl_entry *e) {
        struct sl_stage_pairs *pairs = userdata;

        for (size_t i = 0; i < pairs->n; i++) {
                const struct sl_str *v = sl_kvs_get_hinted(&e->extracted, pairs->items[i].value_s,
                                                           &pairs->items[i].hint);
                if (v)
                        sl_kvs_set(&e->labels, pairs->items[i].name_s, *v);
        }
        return SL_STAGE_KEEP;
}

static int labels_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        return sl_stage_pairs_new(node, path, SL_STAGE_PAIRS_LABEL_NAMES, err, ret_ctx);
}

const struct sl_stage_type sl_stage_labels = {
        .name = "labels",
        .help = "set stream labels from extracted values (label: extracted name)",
        .keys = NULL, /* free-form: label names */
        .create = labels_create,
        .process = labels_process,
        .destroy = sl_stage_pairs_free,
};
