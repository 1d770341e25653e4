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
 *   sl_pipeline_set_sink()     where entries that stages release on their
 *                              own go (a multiline block, cri's partial lines)
 *   sl_pipeline_run()          once per entry; returns KEEP, DROP or HOLD
 *   sl_pipeline_held_from()    after run: how far the entry's source may be
 *                              acknowledged while stages hold its lines
 *   sl_pipeline_deadline()     when to call sl_pipeline_flush() next
 *   sl_pipeline_flush()        on that timer, and with @all at shutdown
 *   sl_pipeline_resume_at()    before reading: a stage's pace (limit)
 *   sl_pipeline_forget()       when a source (file) is closed for good
 *   sl_pipeline_foreach_drop() at scrape time: drops counted per reason
 *   sl_pipeline_collect()      at scrape time: the stages' own metrics
 *   sl_pipeline_free()         NULL is a no-op
 * Entries released by a stage go through the stages after it and, when
 * they keep them, to the sink, from inside run, flush or forget: the sink
 * must not call back into the pipeline.
 * Threading: one thread at a time (the loop thread); stages keep state.
 */
#ifndef SL_PIPELINE_PIPELINE_H
#define SL_PIPELINE_PIPELINE_H

#include <stdbool.h>
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
 * it (docker's pending pieces) or releases it to the sink (multiline's
 * block, cri's partial lines). */
void sl_pipeline_forget(struct sl_pipeline *p, uint64_t source_id);

/* Receives an entry a stage released (see stage.h, sl_stage_emit()) once
 * the stages after it kept it; @e is borrowed for the call. */
typedef void (*sl_pipeline_sink_fn)(void *ud, struct sl_entry *e);
/* Sets the sink (NULL: released entries are discarded); @ud is borrowed. */
void sl_pipeline_set_sink(struct sl_pipeline *p, sl_pipeline_sink_fn fn, void *ud);

/* The lowest offset of @source_id among the lines the stages hold: true
 * and *@ret_offset, or false when they hold none. Fast when no stage can
 * hold lines. */
bool sl_pipeline_held_from(const struct sl_pipeline *p, uint64_t source_id, uint64_t *ret_offset);

/* The earliest CLOCK_MONOTONIC time at which sl_pipeline_flush() has
 * something to release; UINT64_MAX when nothing waits. */
uint64_t sl_pipeline_deadline(const struct sl_pipeline *p);

/* Lets the stages release (to the sink) what is due at @now_ns, or
 * everything they hold when @all. */
void sl_pipeline_flush(struct sl_pipeline *p, uint64_t now_ns, bool all);

/* The CLOCK_MONOTONIC time before which a stage asks for no more entries
 * (limit's wait mode); 0 (or a time past) when they take entries now. Then
 * *@ret_allowance is lowered to how many entries the stages take at
 * @now_ns before one asks to wait (see stage.h); the caller sets it to
 * UINT64_MAX first. */
uint64_t sl_pipeline_resume_at(const struct sl_pipeline *p, uint64_t now_ns,
                               uint64_t *ret_allowance);

/* Writes the stages' own metrics (the metrics stage's) to @out. */
void sl_pipeline_collect(const struct sl_pipeline *p, uint64_t now_ns,
                         const struct sl_stage_metrics_out *out);

/* -inspect: when @fn is set, every pipeline of the process reports, for
 * each entry and stage, what the stage changed (pipeline/inspect.h; with
 * ANSI colors when @color), as text handed to @fn (borrowed for the call).
 * Slow: for debugging. NULL turns it off. */
typedef void (*sl_pipeline_inspect_fn)(void *ud, struct sl_str text);
void sl_pipeline_set_inspector(sl_pipeline_inspect_fn fn, void *ud, bool color);

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
