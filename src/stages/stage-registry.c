/* stage-registry.c - see stage-registry.h. */
#include "stages/stage-registry.h"

#include <stddef.h>

const struct sl_stage_type *const sl_stage_registry[] = {
        &sl_stage_docker,
        &sl_stage_json,
        &sl_stage_logfmt,
        &sl_stage_regex,
        &sl_stage_template,
        &sl_stage_replace,
        &sl_stage_level,
        &sl_stage_labels,
        &sl_stage_structured_metadata,
        &sl_stage_static_labels,
        &sl_stage_labeldrop,
        &sl_stage_labelallow,
        &sl_stage_timestamp,
        &sl_stage_output,
        &sl_stage_decolorize,
        &sl_stage_pack,
        &sl_stage_drop,
        &sl_stage_match,
        NULL,
};

int sl_stages_pipeline_new(const struct sl_yaml_node *stages, const char *path,
                           struct sl_cfg_error *err, struct sl_pipeline **ret) {
        return sl_pipeline_new(stages, path, sl_stage_registry, err, ret);
}
