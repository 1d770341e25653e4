/* stage-structured-metadata.c - the `structured_metadata` stage: attaches
 * extracted values to the entry as Loki structured metadata (Loki 2.9+).
 *
 * Config: a map `name: extracted_name` like `labels`; an empty value means
 * the same name. Metadata travels with each entry without making a stream,
 * which is where per-request values (trace_id, span_id) belong: as labels
 * they would make one stream per request and exhaust Loki's stream limit.
 */

#include "stages/stage-registry.h"
#include "stages/stage-util.h"

static int metadata_process(void *userdata, struct sl_entry *e) {
        struct sl_stage_pairs *pairs = userdata;

        for (size_t i = 0; i < pairs->n; i++) {
                const struct sl_str *v = sl_kvs_get_hinted(&e->extracted, pairs->items[i].value_s,
                                                           &pairs->items[i].hint);
                if (v)
                        sl_kvs_set(&e->metadata, pairs->items[i].name_s, *v);
        }
        return SL_STAGE_KEEP;
}

static int metadata_create(const struct sl_yaml_node *node, const char *path,
                           struct sl_cfg_error *err, void **ret_ctx) {
        return sl_stage_pairs_new(node, path, SL_STAGE_PAIRS_LABEL_NAMES, err, ret_ctx);
}

const struct sl_stage_type sl_stage_structured_metadata = {
        .name = "structured_metadata",
        .help = "attach extracted values as structured metadata (name: extracted name)",
        .keys = NULL, /* free-form: metadata names */
        .create = metadata_create,
        .process = metadata_process,
        .destroy = sl_stage_pairs_free,
};
