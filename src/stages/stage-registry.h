/* stage-registry.h - every stage sluice knows, by its Promtail name, and the
 * one call that builds a pipeline from them.
 *
 * Each stage is one file (stage-<name>.c) exporting a const struct
 * sl_stage_type; sl_stage_registry lists them in one table. Adding a stage
 * is one file, one line in that table and one test file.
 *
 * Owns nothing: the types are static; sl_stages_pipeline_new() returns a new
 * pipeline owned by the caller. Threading: as pipeline.h.
 */
#ifndef SL_STAGES_STAGE_REGISTRY_H
#define SL_STAGES_STAGE_REGISTRY_H

#include "base/yaml-doc.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage.h"

extern const struct sl_stage_type sl_stage_docker;              /* Docker json-file wrapper */
extern const struct sl_stage_type sl_stage_json;                /* JSON fields -> extracted */
extern const struct sl_stage_type sl_stage_level;               /* normalise + filter levels */
extern const struct sl_stage_type sl_stage_labels;              /* extracted -> stream labels */
extern const struct sl_stage_type sl_stage_structured_metadata; /* extracted -> metadata */
extern const struct sl_stage_type sl_stage_static_labels;       /* fixed labels */
extern const struct sl_stage_type sl_stage_timestamp;           /* extracted -> entry time */
extern const struct sl_stage_type sl_stage_output;              /* extracted -> line */
extern const struct sl_stage_type sl_stage_drop;                /* filter by line/value/age/size */
extern const struct sl_stage_type sl_stage_regex;               /* regex named groups -> extracted */
extern const struct sl_stage_type sl_stage_template;            /* Go template -> extracted */
extern const struct sl_stage_type sl_stage_replace;             /* rewrite regex captures */
extern const struct sl_stage_type sl_stage_logfmt;              /* logfmt fields -> extracted */
extern const struct sl_stage_type sl_stage_labeldrop;           /* remove labels */
extern const struct sl_stage_type sl_stage_labelallow;          /* keep only some labels */
extern const struct sl_stage_type sl_stage_decolorize;          /* strip ANSI escapes */
extern const struct sl_stage_type sl_stage_pack;                /* line + values -> JSON */
extern const struct sl_stage_type sl_stage_match;               /* nested stages by selector */

/* Every stage type, NULL-terminated, in the order `-help stages` lists them. */
extern const struct sl_stage_type *const sl_stage_registry[];

/* sl_pipeline_new() with sl_stage_registry: builds the pipeline for the
 * pipeline_stages sequence @stages (NULL: empty) read from @path. Returns 0
 * and a new pipeline in *@ret, or -EINVAL with @err filled. */
int sl_stages_pipeline_new(const struct sl_yaml_node *stages, const char *path,
                           struct sl_cfg_error *err, struct sl_pipeline **ret);

#endif
