/* stage-static-labels.c - the `static_labels` stage: adds fixed labels to
 * every entry.
 *
 * Config: a map `label_name: value`; both are required and the name must be
 * a valid label name. Values are copied at load; entries borrow them for as
 * long as the pipeline lives.
 */

#include "stages/stage-registry.h"
#include "stages/stage-util.h"

static int static_labels_process(void *userdata, struct sl_entry *e) {
        const struct sl_stage_pairs *pairs = userdata;

        for (size_t i = 0; i < pairs->n; i++)
                sl_kvs_set(&e->labels, pairs->items[i].name_s, pairs->items[i].value_s);
        return SL_STAGE_KEEP;
}

static int static_labels_create(const struct sl_yaml_node *node, const char *path,
                                struct sl_cfg_error *err, void **ret_ctx) {
        return sl_stage_pairs_new(node, path,
                                  SL_STAGE_PAIRS_LABEL_NAMES | SL_STAGE_PAIRS_VALUE_REQUIRED,
                                  err, ret_ctx);
}

const struct sl_stage_type sl_stage_static_labels = {
        .name = "static_labels",
        .help = "add fixed stream labels (label: value)",
        .keys = NULL, /* free-form: label names */
        .create = static_labels_create,
        .process = static_labels_process,
        .destroy = sl_stage_pairs_free,
};
