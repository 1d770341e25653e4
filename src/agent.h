/* agent.h - the sluice agent: owns the loop and every module, and wires them.
 *
 * Data flows one way: tailer → pipeline (per job) → batcher (per client) →
 * Loki client. The only way back is a batch's acknowledgement, which moves
 * file positions forward (see docs/ARCHITECTURE.md).
 *
 * Owns: the config (given to sl_agent_new, replaced by a reload), the loop,
 * signalfd, tailer, positions, one pipeline per scrape config, one batcher
 * + Loki client per client, the metrics HTTP server.
 * Calling sequence:
 *   sl_agent_new()   takes the config and builds everything from it
 *                    (pipelines compiled, positions loaded, HTTP server
 *                    bound); logs nothing
 *   sl_agent_run()   runs until SIGTERM/SIGINT, then flushes within the
 *                    graceful shutdown deadline and saves positions
 *   sl_agent_free()
 *
 * Reload (SIGHUP, or /reload with server.enable_runtime_reload): the config
 * file is read again with the options it was first read with, and its
 * pipelines and clients built; a config that does not load is refused
 * (logged with its file, line and key, counted) and the running one goes
 * on. An accepted one takes over once the running clients have sent what
 * they hold (reading pauses meanwhile, for at most the graceful shutdown
 * timeout): then jobs, pipelines and clients are replaced, the tailer
 * keeps its files (those of globs that stay) and reads again from the
 * acknowledged offsets whatever was not acknowledged, so no line is lost or
 * sent twice. Positions, the HTTP server, poll mode and the tailer's line
 * sizes are kept from the start: changing them needs a restart (a warning
 * says so).
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
        const char *config_file;  /* borrowed: where a reload reads the config again;
                                   * NULL: no reload */
        struct sl_config_load_options load; /* borrowed strings: how it was read */
        bool log_level_fixed;     /* -log.level given: a reload keeps the level */
        bool promtail_metric_names; /* also export Promtail's metric names (its mixin's
                                   * dashboards and alerts work unchanged) */
};

/* Takes @config (also on failure). Returns 0, or -EINVAL with @err filled
 * (a pipeline or config problem), or another -errno with @err->msg saying
 * what failed (positions unreadable, port in use). */
int sl_agent_new(struct sl_config *config, const struct sl_agent_options *opts,
                 struct sl_cfg_error *err, struct sl_agent **ret);
/* Runs until a stop signal; returns the process exit code. */
int sl_agent_run(struct sl_agent *agent);
void sl_agent_free(struct sl_agent *agent);
SL_DEFINE_CLEANUP(struct sl_agent *, sl_agent_free)

#endif
