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
 *
 * Most stages need only create, process and destroy. The optional members
 * serve the few that need more, and cost the others nothing:
 *   - entries released later (multiline's blocks, cri's partial lines): the
 *     stage keeps a copy (sl_entry_copy()) and answers HOLD; it releases
 *     entries with sl_stage_emit() through the emitter bind() gave it, from
 *     process() (a block ended by the next first line), flush() (the
 *     pipeline's timer: deadline() says when) or forget() (its file is
 *     gone). held_from() tells how far its source may be acknowledged;
 *   - nested stage lists (match) build a pipeline of their own in create()
 *     and pass the optional calls on to it;
 *   - a reading pace (limit without drop): resume_at();
 *   - metrics of their own (metrics): collect(), at scrape time;
 *   - a per-entry tenant: the reserved label "__tenant_id__" (Promtail's,
 *     SL_TENANT_LABEL), which the batcher keeps apart (the tenant's own
 *     streams) and the Loki client sends as that push's X-Scope-OrgID.
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

struct sl_stage_emitter;

/* Runs @e, an entry the stage bound to @em releases on its own, through the
 * stages after it, then hands it to the pipeline's sink if they keep it
 * (pipeline.h, sl_pipeline_set_sink()). @e is borrowed for the call; the
 * stage may reuse it afterwards. Before releasing, the stage updates what
 * it holds, so that held_from() already answers for what is left. */
void sl_stage_emit(const struct sl_stage_emitter *em, struct sl_entry *e);

/* What a stage writes its metrics to at scrape time (the agent adapts it to
 * its Prometheus writer). Labels are NULL or NULL-terminated name, value
 * pairs, borrowed for the call. */
struct sl_stage_metrics_out {
        void *ud;
        /* The family @name (a full metric name) begins; @type is "counter",
         * "gauge" or "histogram"; @help may be NULL. Returns false when the
         * caller wants no samples of it now: skip to the next family. */
        bool (*family)(void *ud, const char *name, const char *type, const char *help);
        void (*sample)(void *ud, const char *name, const char *const *labels, double value);
        /* @counts: @n_bounds + 1 non-cumulative bucket counts, the last above
         * the highest of the ascending finite @bounds. */
        void (*histogram)(void *ud, const char *name, const char *const *labels,
                          const double *bounds, const uint64_t *counts, size_t n_bounds,
                          double sum);
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
         * state kept for it, releasing (sl_stage_emit()) what holds lines. */
        void (*forget)(void *ctx, uint64_t source_id);
        /* Frees the context; NULL is a no-op. */
        void (*destroy)(void *ctx);

        /* Optional, once after create(): the emitter through which the stage
         * releases entries on its own; borrowed for the pipeline's life. */
        void (*bind)(void *ctx, const struct sl_stage_emitter *em);
        /* Optional: the lowest entry->offset of @source_id among the lines
         * the stage holds: true and *@ret_offset, or false when it holds
         * none. A source's position is not acknowledged past it. Called per
         * line: answer fast when nothing is held. */
        bool (*held_from)(void *ctx, uint64_t source_id, uint64_t *ret_offset);
        /* Optional: the CLOCK_MONOTONIC time at which flush() has something
         * to release, UINT64_MAX for never. May be early (then flush()
         * releases nothing and the next deadline is asked again). */
        uint64_t (*deadline)(void *ctx);
        /* Optional: releases what is due at @now_ns (held longer than the
         * stage allows), or everything held when @all (shutdown). */
        void (*flush)(void *ctx, uint64_t now_ns, bool all);
        /* Optional: the reading pace the stage asks for (limit without
         * drop): the CLOCK_MONOTONIC time before which it takes no more
         * entries (0 or a time past: it takes them now), and, when it takes
         * them now, in *@ret_allowance how many it takes at @now_ns before
         * it asks to wait again (at least 1; untouched when it sets no
         * bound). The agent reads no more than that many lines in a round,
         * and nothing until the time given. */
        uint64_t (*resume_at)(void *ctx, uint64_t now_ns, uint64_t *ret_allowance);
        /* Optional: writes the stage's metrics to @out; @now_ns is the
         * monotonic time of the scrape (series idle too long go). */
        void (*collect)(void *ctx, uint64_t now_ns, const struct sl_stage_metrics_out *out);
};

#endif
