/* agent.h - the sluice agent: owns the loop and every module, and wires them.
 *
 * Data flows one way: tailer → pipeline (per job) → batcher (per client) →
 * Loki client. The only way back is a batch's acknowledgement, which moves
 * file positions forward (see docs/ARCHITECTURE.md).
 *
 * Owns: the loop, signalfd, tailer, positions, one pipeline per scrape
 * config, one batcher + Loki client per client, the metrics HTTP server.
 * Borrows: the config (immutable, outlives the agent).
 * Calling sequence:
 *   sl_agent_new()   builds everything from the config (pipelines compiled,
 *                    positions loaded, HTTP server bound); logs nothing
 *   sl_agent_run()   runs until SIGTERM/SIGINT, then flushes within the
 *                    graceful shutdown deadline and saves positions
 *   sl_agent_free()
 * Threading: one thread; every module runs on the loop.
 */
#ifndef SL_AGENT_H
#define SL_AGENT_H

#include <stdbool.h>

#include "base/cleanup.h"
#include "base/yaml-doc.h"
#include "config/config.h"

struct sl_agent;

struct sl_agent_options {
        bool dry_run;    /* print entries to stdout instead of pushing; no positions saved */
};

/* Returns 0, or -EINVAL with @err filled (a pipeline or config problem), or
 * another -errno with @err->msg saying what failed (positions unreadable,
 * port in use). */
int sl_agent_new(const struct sl_config *config, const struct sl_agent_options *opts,
                 struct sl_cfg_error *err, struct sl_agent **ret);
/* Runs until a stop signal; returns the process exit code. */
int sl_agent_run(struct sl_agent *agent);
void sl_agent_free(struct sl_agent *agent);
SL_DEFINE_CLEANUP(struct sl_agent *, sl_agent_free)

#endif
