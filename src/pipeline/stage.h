/* stage.h - the contract every stages/stage-*.c implements.
 *
 * A stage is a const struct sl_stage_type (its vtable) plus a context built
 * from the stage's YAML at load time. The pipeline calls process() for each
 * entry in order; a stage mutates the entry in place and returns a verdict.
 * Stage state lives in the context, never in tail or entry structs: a stage
 * that needs state per source file (docker's split lines) keys it by
 * entry->source_id and drops it in forget().
 *
 * Rules for process() (the hot path):
 *   - no malloc per entry: new strings go into entry->arena or a buffer the
 *     context owns and reuses;
 *   - never fail on bad input: a line that does not parse is left as it is
 *     (KEEP) or dropped with entry->drop_reason set, never an error;
 *   - a negative errno return is for internal failures only (a cap reached)
 *     and makes the pipeline keep the entry as it stands.
 */
#ifndef SL_PIPELINE_STAGE_H
#define SL_PIPELINE_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/yaml-doc.h"
#include "core/entry.h"

enum sl_stage_verdict {
        SL_STAGE_KEEP = 0, /* go on to the next stage */
        SL_STAGE_DROP = 1, /* discard the entry; entry->drop_reason says why */
        SL_STAGE_HOLD = 2, /* the stage kept the line (a piece of a longer
                            * one); nothing to ship yet, stop this entry */
};

struct sl_stage_type {
        const char *name;            /* Promtail's name in pipeline_stages */
        const char *help;            /* one line, for -help stages */
        const char *const *keys;     /* accepted keys, NULL-terminated */
        bool takes_list;             /* the config is a YAML sequence, not a
                                      * map (labeldrop: [a, b]); keys unused */

        /* Builds the context from the stage's YAML node (a map, or NULL for
         * `- docker: {}` / `- docker:`). @path names the stage in errors
         * ("pipelines/pino.yaml: pipeline_stages[2].json"). Unknown keys
         * were already rejected using @keys. Returns 0 or -EINVAL with @err
         * filled. */
        int (*create)(const struct sl_yaml_node *node, const char *path,
                      struct sl_cfg_error *err, void **ret_ctx);
        /* Processes one entry. Returns an enum sl_stage_verdict or -errno. */
        int (*process)(void *ctx, struct sl_entry *entry);
        /* Optional: the source @source_id is gone (file closed); drop any
         * state kept for it. */
        void (*forget)(void *ctx, uint64_t source_id);
        /* Frees the context; NULL is a no-op. */
        void (*destroy)(void *ctx);
};

#endif
