/* pipeline.h - a job's chain of stages, built from its pipeline_stages YAML,
 * and the runner that passes each entry through it.
 *
 * The runner knows the stage contract (pipeline/stage.h), not the stages:
 * the caller hands it a NULL-terminated table of stage types (the registry
 * lives in src/stages, see stages/stage-registry.h).
 *
 * Owns: every stage context it built, and the drop counters (one per
 * distinct drop reason, the reason string copied once).
 * Borrows: the YAML nodes only during sl_pipeline_new(); the stage types
 * for its whole life (they are static tables).
 *
 * Calling sequence:
 *   sl_pipeline_new()          builds every stage; fails on the first bad one
 *   sl_pipeline_run()          once per entry; returns KEEP, DROP or HOLD
 *   sl_pipeline_forget()       when a source (file) is closed for good
 *   sl_pipeline_foreach_drop() at scrape time: drops counted per reason
 *   sl_pipeline_free()         NULL is a no-op
 * Threading: one thread at a time (the loop thread); stages keep state.
 */
#ifndef SL_PIPELINE_PIPELINE_H
#define SL_PIPELINE_PIPELINE_H

#include <stdint.h>

#include "base/cleanup.h"
#include "base/yaml-doc.h"
#include "core/entry.h"
#include "pipeline/stage.h"

struct sl_pipeline;

/* Builds the pipeline described by @stages: a YAML sequence of one-key maps
 * (`- docker: {}`, `- json: {expressions: {...}}`), or NULL (or a null
 * node) for an empty pipeline that keeps every entry. @path names the file
 * for errors when the nodes do not carry it. @types is a NULL-terminated
 * table of the known stage types; a type whose @keys is NULL takes a
 * free-form map (labels: name -> source) and checks it itself.
 * Errors (-EINVAL, @err filled) name file:line and the key
 * pipeline_stages[i].<stage>[.<key>]: an item that is not a one-key map,
 * an unknown stage (the message lists the known ones), an unknown key
 * inside a stage, or whatever the stage's create() refuses.
 * On success *@ret is a new pipeline owned by the caller. */
int sl_pipeline_new(const struct sl_yaml_node *stages, const char *path,
                    const struct sl_stage_type *const *types, struct sl_cfg_error *err,
                    struct sl_pipeline **ret);

/* Runs @e through the stages in order, after setting its labels (but
 * internal "__" ones) as extracted values, as Promtail does. Returns an enum sl_stage_verdict:
 * SL_STAGE_KEEP (ship @e), SL_STAGE_DROP (counted under e->drop_reason, or
 * "unknown" when a stage set none) or SL_STAGE_HOLD (a stage kept the line
 * as a piece of a longer one; nothing to ship for it). A stage's internal
 * failure (-errno) does not stop the entry: it goes on, as it stands, to the
 * next stage, and sl_pipeline_errors() counts it. */
int sl_pipeline_run(struct sl_pipeline *p, struct sl_entry *e);

/* Tells every stage that @source_id is gone so it drops what it keeps for
 * it (docker's pending pieces). */
void sl_pipeline_forget(struct sl_pipeline *p, uint64_t source_id);

/* Calls @fn once per drop reason seen so far, with its count. @reason is
 * borrowed from the pipeline until it is freed. */
void sl_pipeline_foreach_drop(const struct sl_pipeline *p,
                              void (*fn)(void *ud, const char *reason, uint64_t count), void *ud);

/* Number of entries on which a stage failed internally (a cap reached). */
uint64_t sl_pipeline_errors(const struct sl_pipeline *p);

/* Number of stages in the chain. */
size_t sl_pipeline_n_stages(const struct sl_pipeline *p);

void sl_pipeline_free(struct sl_pipeline *p);
SL_DEFINE_CLEANUP(struct sl_pipeline *, sl_pipeline_free)

#endif
