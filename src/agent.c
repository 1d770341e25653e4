/* agent.c - see agent.h.
 *
 * All periodic duties are declared in one place, timers_start(), each with
 * its period. The hot path is on_line(): one tailed line through the job's
 * pipeline into every client's batcher, with no allocation once warm.
 */
#include "agent.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/time-util.h"
#include "base/tls-lib.h"
#include "base/token-bucket.h"
#include "base/u64map.h"
#include "base/xalloc.h"
#include "config/discovery-config.h"
#include "core/entry.h"
#include "core/labels.h"
#include "discovery/discovery.h"
#include "discovery/label-set.h"
#include "discovery/relabel.h"
#include "metrics/exposition.h"
#include "metrics/http-server.h"
#include "pipeline/pipeline.h"
#include "receive/push-server.h"
#include "ship/batcher.h"
#include "ship/loki-client.h"
#include "sl-version.h"
#include "stages/stage-registry.h"
#include "tail/positions.h"
#include "tail/tailer.h"

#define READ_BUDGET (1u << 20)          /* bytes read per loop iteration */
#define SAFETY_POLL_NS (1 * SL_NSEC_PER_SEC) /* stat() open files even with inotify */
#define SAFETY_CHECK_FILES 64                /* ... this many of them each time */
#define FULL_RESCAN_EVERY 12                 /* sync periods between glob rescans when
                                              * inotify watches everything */
#define REFUSAL_LOG_PERIOD_NS (60 * SL_NSEC_PER_SEC)
#define RETRY_LOG_PERIOD_NS (10 * SL_NSEC_PER_SEC) /* a failing Loki: a line this often */
#define MAX_CLIENTS 16
#define RELOAD_MSG_MAX 1024                  /* what /reload and the log say of a reload */
#define DISCOVERY_WAIT_NS (10 * SL_NSEC_PER_SEC) /* first answers awaited before the first scan */

/* What Loki refused a batch for, read from its status and message, so each
 * kind is logged (rate-limited) and counted on its own. The names follow the
 * `reason` label of Loki's loki_discarded_samples_total where one exists. */
enum refusal_kind {
        REFUSED_RATE_LIMITED,
        REFUSED_TOO_OLD,
        REFUSED_OUT_OF_ORDER,
        REFUSED_TOO_NEW,
        REFUSED_LINE_TOO_LONG,
        REFUSED_METADATA,
        REFUSED_LABELS,
        REFUSED_TOO_LARGE,
        REFUSED_NO_STREAMS,
        REFUSED_OTHER,
        REFUSAL_KINDS,
};

static const char *const refusal_reason[REFUSAL_KINDS] = {
        [REFUSED_RATE_LIMITED] = "rate_limited", /* 429 with drop_rate_limited_batches */
        [REFUSED_TOO_OLD] = "loki_too_old",
        [REFUSED_OUT_OF_ORDER] = "loki_out_of_order",
        [REFUSED_TOO_NEW] = "loki_too_new",
        [REFUSED_LINE_TOO_LONG] = "loki_line_too_long",
        [REFUSED_METADATA] = "loki_structured_metadata",
        [REFUSED_LABELS] = "loki_invalid_labels",
        [REFUSED_TOO_LARGE] = "loki_too_large",
        [REFUSED_NO_STREAMS] = "loki_no_valid_streams",
        [REFUSED_OTHER] = "loki_refused",
};

static enum refusal_kind classify_refusal(int status, const char *message) {
        if (status == 429)
                return REFUSED_RATE_LIMITED;
        if (strstr(message, "too old"))
                return REFUSED_TOO_OLD;
        if (strstr(message, "out of order") || strstr(message, "too far behind"))
                return REFUSED_OUT_OF_ORDER;
        if (strstr(message, "too new") || strstr(message, "in the future"))
                return REFUSED_TOO_NEW;
        if (strstr(message, "structured metadata"))
                return REFUSED_METADATA;
        if (strstr(message, "max entry size") || strstr(message, "line too long") ||
            strstr(message, "line size"))
                return REFUSED_LINE_TOO_LONG;
        if (strstr(message, "label"))
                return REFUSED_LABELS;
        if (status == 413)
                return REFUSED_TOO_LARGE;
        if (status == 422)
                return REFUSED_NO_STREAMS;
        return REFUSED_OTHER;
}

struct job {
        struct sl_agent *agent;                /* borrowed back-pointer for the sink and
                                                * the receiver */
        const struct sl_scrape_config *config; /* borrowed from the agent's config */
        struct sl_pipeline *pipeline;          /* owned */
        struct sl_push_server *receiver;       /* owned; loki_push_api or otlp_logs, else NULL */
        uint64_t receiver_serial;              /* the receiver's number, in its push ids */
        struct job *takes_over;                /* a reload's new job: the running job whose
                                                * receiver it takes over (borrowed), or NULL */
        uint64_t rate_dropped;                 /* entries over limits_config.readline_rate */
        uint64_t relabel_dropped;              /* lines of a stream relabeling dropped */
};

/* A file some stage of its job's pipeline holds lines of (a split line's
 * pieces, a multiline block, cri's partial lines): what a mark for it
 * needs when the stage releases them later, outside on_line(). */
struct held_source {
        uint64_t source_id;    /* the tailer's id of the file */
        uint64_t dev, ino;     /* its identity, for marks */
        uint64_t read_end;     /* offset after its last line read */
        struct job *job;       /* borrowed: the job whose pipeline holds them */
};

struct client {
        struct sl_agent *agent;           /* borrowed back-pointer for callbacks */
        unsigned index;                   /* position in agent->clients */
        const struct sl_client_config *config; /* borrowed */
        struct sl_batcher *batcher;       /* owned */
        struct sl_loki_client *loki;      /* owned */
        struct sl_kvs external_labels;    /* owned array; strings borrowed from config */
        struct sl_timer batch_timer;      /* seals the open batch at its deadline */
        struct sl_u64map acked;           /* source id → offset acked by this client
                                           * (used only with several clients) */
        uint64_t refused[REFUSAL_KINDS];  /* entries Loki refused for good, by kind */
        uint64_t gave_up;                 /* entries dropped after max_retries */
        uint64_t last_log_ns[REFUSAL_KINDS]; /* rate limit for logging each kind */
        uint64_t failures;                /* requests failed and retried since the last
                                           * batch done; 0: none */
        uint64_t failing_since_ns;        /* monotonic time of the first of them */
        uint64_t last_retry_log_ns;       /* rate limit for logging them */
};

/* What a reloaded config is made into while the running one's clients
 * drain (see "reload" below). Everything owned. */
struct next_config {
        struct sl_config *config;
        struct job *jobs;
        size_t n_jobs;
        struct sl_discovery *discovery;   /* built, providers not started */
        struct client *clients;
        size_t n_clients;
        bool pending;                     /* built: waiting to take over */
        bool deadline_passed;             /* the wait for the clients is over */
};

struct sl_agent {
        struct sl_config *config;         /* owned: the config running */
        struct sl_agent_options opts;     /* strings in it borrowed, see agent.h */
        struct sl_loop *loop;             /* owned */
        int signal_fd;                    /* owned */
        struct sl_positions *positions;   /* owned */
        struct sl_tailer *tailer;         /* owned */
        struct job *jobs;                 /* owned array, one per scrape config */
        size_t n_jobs;
        struct sl_discovery *discovery;   /* owned; the targets (each file's target,
                                           * struct sl_target, says its labels and job) */
        struct client *clients;           /* owned array */
        size_t n_clients;
        struct sl_http_server *http;      /* owned; NULL when disabled */
        struct sl_entry entry;            /* reused for every line */
        struct sl_label_set push_labels;  /* a pushed entry's labels while relabeling */
        struct held_source *held;         /* owned array: files stages hold lines of */
        size_t n_held;                    /* items in use */
        size_t cap_held;                  /* items allocated */
        struct sl_u64map held_index;      /* source id → index in held */
        const struct sl_tail_file_info *cur_file; /* borrowed: the file of the line
                                           * on_line() runs, NULL outside it */
        uint64_t cur_start;               /* where that line starts */
        struct sl_timer stage_timer;      /* the pipelines' next release (a multiline
                                           * block's wait, cri's partial lines) */
        struct sl_timer pace_timer;       /* a limit stage's pace: reading resumes */
        uint64_t pace_allowance;          /* lines the stages take in this round
                                           * (UINT64_MAX: no bound) */
        struct sl_buf scratch;            /* dry-run rendering */
        uint64_t read_now_ns;             /* monotonic time of the current read round */
        bool readline_limit;              /* limits_config.readline_rate_enabled */
        struct sl_token_bucket readline;  /* lines kept per second, all jobs together */
        struct sl_timer readline_timer;   /* wait mode: reading resumes when it fires */
        double readline_step;             /* wait mode: tokens to wait for before reading
                                           * again (about 10ms of the rate) */

        struct sl_timer rescan_timer;     /* glob rescan every target.sync_period */
        uint64_t rescan_ticks;            /* rescan timer firings */
        struct sl_timer positions_timer;  /* positions save every positions.sync_period */
        struct sl_timer poll_timer;       /* stat() open files (poll mode, or safety net) */
        struct sl_timer deadline_timer;   /* graceful shutdown deadline */

        enum sl_tailer_mode logged_mode;  /* tailer mode last logged about */
        uint64_t logged_watch_failures;   /* watch failures last logged about */

        bool ready;                       /* initial scan done, serving */
        bool stopping;                    /* first stop signal seen: no more reading */
        bool deadline_passed;             /* shutdown deadline reached */
        int exit_code;

        uint64_t entries_kept;            /* entries handed to the batchers */
        uint64_t positions_save_errors;   /* failed saves and flushes */
        uint64_t positions_saves;         /* whole writes (snapshots) */
        uint64_t positions_flushes;       /* journal flushes */

        struct next_config next;          /* a reload in progress */
        struct sl_timer reload_timer;     /* the most it waits for the clients to drain */
        uint64_t reloads_ok;              /* reloads that took effect */
        uint64_t reloads_failed;          /* reloads refused (the config kept running) */
        bool last_reload_failed;          /* the last reload was refused */
        uint64_t last_reload_ok_wall_ns;  /* wall time of the last one that took effect
                                           * (of the start, before any) */
        uint64_t receiver_serials;        /* push receivers opened so far */
        uint64_t bytes_abandoned;         /* bytes held by clients a reload replaced
                                           * before they were sent (read again) */
};

static void client_release(struct client *c);
static void ack_push(struct client *c, uint64_t id);
static void render_receiver_metrics(const struct sl_agent *a, struct sl_expo *w);
static void clients_free(struct client *clients, size_t n);
static void jobs_free(struct job *jobs, size_t n_jobs);
static int build_jobs(struct sl_agent *a, const struct sl_config *cfg, struct next_config *ret,
                      struct sl_cfg_error *err);
static int build_clients(struct sl_agent *a, const struct sl_config *cfg, struct next_config *ret,
                         struct sl_cfg_error *err);
static void take_jobs_and_clients(struct sl_agent *a, struct next_config *next);

/* ---- helpers ------------------------------------------------------------ */

static uint64_t held_bytes(const struct sl_agent *a) {
        uint64_t n = 0;
        for (size_t i = 0; i < a->n_clients; i++)
                n += sl_batcher_held_bytes(a->clients[i].batcher) +
                     sl_loki_client_held_bytes(a->clients[i].loki);
        return n;
}

/* Whether every client has a sealed batch waiting behind the one it is
 * sending: lines read now could go out no sooner than once those two are
 * done, so reading ahead would only hold memory. */
static bool clients_saturated(const struct sl_agent *a) {
        for (size_t i = 0; i < a->n_clients; i++)
                if (sl_loki_client_queued(a->clients[i].loki) < 2)
                        return false;
        return a->n_clients > 0;
}

/* Reading is allowed while memory held for Loki stays under the cap: during
 * an outage the files on disk are the buffer. Below the cap it pauses too
 * while no client could use more lines (clients_saturated()): a client that
 * is down or slow still lets the others read on, up to the cap. */
static bool has_room(const struct sl_agent *a) {
        if (a->opts.dry_run)
                return true;
        return held_bytes(a) < a->config->limits.max_buffered_bytes && !clients_saturated(a);
}

static void arm_batch_timer(struct client *c) {
        uint64_t deadline = sl_batcher_deadline(c->batcher);
        if (deadline == UINT64_MAX)
                sl_loop_timer_disarm(c->agent->loop, &c->batch_timer);
        else if (!c->batch_timer.armed || c->batch_timer.deadline_ns != deadline)
                sl_loop_timer_arm(c->agent->loop, &c->batch_timer, deadline);
}

/* Seals the client's open batch if it is due (or @force) and submits it.
 * A read round in progress stops at the end of its block once there is no
 * room left (see has_room()). */
static void flush_client(struct client *c, uint64_t now, bool force) {
        struct sl_batch *batch = sl_batcher_take(c->batcher, now, force);
        if (batch) {
                sl_loki_client_submit(c->loki, batch);
                if (c->agent->tailer && !has_room(c->agent))
                        sl_tailer_yield(c->agent->tailer);
        }
        arm_batch_timer(c);
}

/* ---- dry run ------------------------------------------------------------ */

static void print_entry(struct sl_agent *a, const struct sl_entry *e) {
        struct sl_buf *b = &a->scratch;
        char ts[64];
        struct tm tm;
        time_t secs = (time_t)(e->ts_ns / (int64_t)SL_NSEC_PER_SEC);

        sl_buf_reset(b);
        gmtime_r(&secs, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        sl_buf_printf(b, "%s.%09" PRId64 "Z\t", ts, e->ts_ns % (int64_t)SL_NSEC_PER_SEC);
        sl_labels_render(&e->labels, b);
        for (size_t i = 0; i < e->metadata.len; i++) {
                sl_buf_printf(b, "%s%.*s=\"", i ? " " : "\t",
                              (int)e->metadata.items[i].name.len, e->metadata.items[i].name.ptr);
                sl_label_escape(e->metadata.items[i].value, b);
                sl_buf_putc(b, '"');
        }
        sl_buf_putc(b, '\t');
        sl_buf_append_str(b, e->line);
        sl_buf_putc(b, '\n');
        fwrite(b->data, 1, b->len, stdout);
}

/* ---- held lines ---------------------------------------------------------
 *
 * Stages may hold lines and release them later (stage.h): a file's position
 * must not move past a line held, so every mark is where the file's first
 * held line starts while a stage holds some (sl_pipeline_held_from()), and
 * the end of what was read of it otherwise. held[] remembers, for the files
 * with lines held, what a mark needs when they are released outside
 * on_line() (the stage timer, a file released, shutdown). A file starts to
 * have lines held only on a line its pipeline answers HOLD for, so other
 * lines cost no lookup while nothing is held. */

static struct held_source *held_find(struct sl_agent *a, uint64_t source_id) {
        uint64_t i;

        if (!a->n_held || !sl_u64map_get(&a->held_index, source_id, &i))
                return NULL;
        return &a->held[i];
}

static struct held_source *held_add(struct sl_agent *a, const struct sl_tail_file_info *file,
                                    struct job *job) {
        sl_xgrow((void **)&a->held, sizeof(*a->held), &a->cap_held, a->n_held + 1);
        a->held[a->n_held] = (struct held_source){ .source_id = file->id, .dev = file->dev,
                                                   .ino = file->ino, .job = job };
        sl_u64map_put(&a->held_index, file->id, a->n_held);
        return &a->held[a->n_held++];
}

static void held_remove(struct sl_agent *a, uint64_t source_id) {
        uint64_t i;

        if (!a->n_held || !sl_u64map_get(&a->held_index, source_id, &i))
                return;
        sl_u64map_del(&a->held_index, source_id);
        if (i != a->n_held - 1) {
                a->held[i] = a->held[a->n_held - 1];
                sl_u64map_put(&a->held_index, a->held[i].source_id, i);
        }
        a->n_held--;
}

static void held_clear(struct sl_agent *a) {
        a->n_held = 0;
        sl_u64map_release(&a->held_index);
        sl_u64map_init(&a->held_index);
}

/* The offset of @source_id that may be acknowledged: where the first line
 * @p holds of it starts, or @read_end when it holds none. */
static uint64_t position_of(const struct sl_pipeline *p, uint64_t source_id, uint64_t read_end) {
        uint64_t from;

        if (sl_pipeline_held_from(p, source_id, &from) && from < read_end)
                return from;
        return read_end;
}

/* ---- the hot path ------------------------------------------------------- */

/* Hands @e, which its job's pipeline answered @verdict for, to every client
 * when kept (or prints it), and records @mark (NULL: none) after it in every
 * client's open batch. Applies the readline limit to kept entries. */
static void deliver(struct sl_agent *a, struct job *job, struct sl_entry *e, int verdict,
                    const struct sl_mark *mark, uint64_t now) {
        /* Promtail's readline limit, on the entries the pipeline keeps:
         * drop those over the rate, or take them and stop reading until
         * the bucket has paid for them (rate_allows_read()). */
        if (verdict == SL_STAGE_KEEP && a->readline_limit) {
                if (!a->config->limits.readline_rate_drop)
                        sl_token_bucket_reserve(&a->readline, now);
                else if (!sl_token_bucket_allow(&a->readline, now)) {
                        verdict = SL_STAGE_DROP;
                        job->rate_dropped++;
                }
        }
        if (a->opts.dry_run) {
                if (verdict == SL_STAGE_KEEP) {
                        if (!e->ts_ns)
                                e->ts_ns = sl_wall_ns();
                        print_entry(a, e);
                }
                return;
        }
        for (size_t i = 0; i < a->n_clients; i++) {
                struct client *c = &a->clients[i];
                if (verdict == SL_STAGE_KEEP && sl_batcher_add(c->batcher, e, now) == 1) {
                        if (mark)
                                sl_batcher_mark(c->batcher, mark, now);
                        flush_client(c, now, true);
                        continue;
                }
                if (mark)
                        sl_batcher_mark(c->batcher, mark, now);
                if (!c->batch_timer.armed)
                        arm_batch_timer(c);
        }
        if (verdict == SL_STAGE_KEEP)
                a->entries_kept++;
}

/* The pipeline's sink: an entry a stage released on its own (a multiline
 * block, cri's partial lines, a split line at its file's end), kept by the
 * stages after it. Its file's mark is taken from what is held now. */
static void on_released(void *userdata, struct sl_entry *e) {
        struct job *job = userdata;
        struct sl_agent *a = job->agent;
        const struct held_source *hs;
        struct sl_mark mark = { .source_id = e->source_id };
        bool marked = true;
        uint64_t now = sl_now_ns();

        if (a->cur_file && a->cur_file->id == e->source_id) {
                /* Released while a line of the same file runs: that line is
                 * not shipped yet, so the position stays before it. */
                mark.dev = a->cur_file->dev;
                mark.ino = a->cur_file->ino;
                mark.offset = position_of(job->pipeline, e->source_id, a->cur_start);
        } else if ((hs = held_find(a, e->source_id))) {
                mark.dev = hs->dev;
                mark.ino = hs->ino;
                mark.offset = position_of(job->pipeline, e->source_id, hs->read_end);
        } else {
                marked = false; /* not a file's (a test's entry): no position */
        }
        deliver(a, job, e, SL_STAGE_KEEP, marked ? &mark : NULL, now);
}

static void on_line(void *userdata, const struct sl_tail_file_info *file, struct sl_str line,
                    uint64_t end_offset) {
        struct sl_agent *a = userdata;
        const struct sl_target *t = file->target;
        const struct sl_kvs *labels = sl_target_labels(t, line);
        struct job *job = t->job;
        struct sl_entry *e = &a->entry;
        struct held_source *hs;
        struct sl_mark mark;
        uint64_t now = a->read_now_ns, from;
        /* Where this line began (a piece cut by the tailer reports its
         * line's start as end_offset already: never go below 0). */
        uint64_t start = end_offset > line.len ? end_offset - line.len - 1 : 0;
        int verdict;

        sl_entry_reset(e);
        e->line = line;
        e->source_id = file->id;
        e->offset = start;
        e->end_offset = end_offset;
        e->read_ns = now;

        hs = held_find(a, file->id);
        if (hs)
                hs->read_end = start;
        if (labels) {
                sl_kvs_copy(&e->labels, labels);
                sl_kvs_set(&e->labels, SL_STR_LIT("filename"), sl_str_from(file->path, file->path_len));
                a->cur_file = file;
                a->cur_start = start;
                verdict = sl_pipeline_run(job->pipeline, e);
                a->cur_file = NULL;
        } else {
                /* Relabeling dropped this line's stream (a keep on
                 * __meta_docker_container_log_stream): counted, and the
                 * position moves past it. */
                job->relabel_dropped++;
                verdict = SL_STAGE_DROP;
        }

        /* A file's position may move past a line only once nothing of it is
         * held (see "held lines" above). */
        mark = (struct sl_mark){ .source_id = file->id, .dev = file->dev, .ino = file->ino,
                                 .offset = end_offset };
        if (verdict == SL_STAGE_HOLD || hs) {
                hs = held_find(a, file->id); /* the sink may have moved held[] */
                if (sl_pipeline_held_from(job->pipeline, file->id, &from)) {
                        if (from < end_offset)
                                mark.offset = from;
                        if (!hs)
                                hs = held_add(a, file, job);
                        hs->read_end = end_offset;
                } else if (hs) {
                        held_remove(a, file->id);
                }
        }
        deliver(a, job, e, verdict, &mark, now);
}

/* A file saved in the positions vanished while sluice was stopped (rotated
 * away and deleted): what it still held cannot be read any more. */
static void on_file_lost(void *userdata, const struct sl_tail_lost *lost) {
        uint64_t known = lost->size_known && lost->size > lost->offset ? lost->size - lost->offset : 0;
        (void)userdata;

        if (lost->may_have_grown)
                sl_log_warn("file deleted while sluice was stopped, after its log was rotated past it; "
                            "the lines written to it after the acknowledged offset are lost",
                            "path=\"%s\" device=%" PRIu64 " inode=%" PRIu64 " offset=%" PRIu64
                            " bytes_lost_at_least=%" PRIu64 " hint=\"it grew after sluice last saw it: "
                            "keep more rotated files (max-file) or restart sluice sooner\"",
                            lost->path, lost->dev, lost->ino, lost->offset, known);
        else if (lost->size_known)
                sl_log_warn("file deleted while sluice was stopped; its unacknowledged lines are lost",
                            "path=\"%s\" device=%" PRIu64 " inode=%" PRIu64 " offset=%" PRIu64
                            " bytes_lost=%" PRIu64, lost->path, lost->dev, lost->ino, lost->offset,
                            known);
        else
                sl_log_warn("file deleted while sluice was stopped; lines after the saved offset may be lost",
                            "path=\"%s\" device=%" PRIu64 " inode=%" PRIu64 " offset=%" PRIu64
                            " bytes_lost=unknown", lost->path, lost->dev, lost->ino, lost->offset);
}

static void on_file_released(void *userdata, const struct sl_tail_file_info *file) {
        struct sl_agent *a = userdata;
        struct sl_target *t = file->target;
        struct job *job = t->job;

        /* What stages hold of it is released (to on_released(), marked at
         * its read end) or dropped. */
        sl_pipeline_forget(job->pipeline, file->id);
        held_remove(a, file->id);
        for (size_t i = 0; i < a->n_clients; i++)
                sl_u64map_del(&a->clients[i].acked, file->id);
        sl_discovery_file_released(t);
}

/* ---- discovery: which files, with which labels -------------------------- */

static void *file_target(void *userdata, const char *path, void *glob_target) {
        struct sl_agent *a = userdata;
        return sl_discovery_file_target(a->discovery, path, glob_target);
}

static void *file_retarget(void *userdata, const char *path, void *old, void *glob_target) {
        struct sl_agent *a = userdata;
        return sl_discovery_file_retarget(a->discovery, path, old, glob_target);
}

static int discovery_add_glob(void *userdata, const char *pattern, struct sl_target *t) {
        struct sl_agent *a = userdata;
        return sl_tailer_add_glob(a->tailer, pattern, t);
}

static void discovery_remove_glob(void *userdata, struct sl_target *t) {
        struct sl_agent *a = userdata;
        (void)sl_tailer_remove_glob(a->tailer, t);
}

static void discovery_warn(void *userdata, const char *msg, const char *detail) {
        (void)userdata;
        sl_log_warn(msg, "%s", detail);
}

/* ---- push receivers (loki_push_api, otlp_logs) ----------------------------- */

/* Push ids carry the serial number of the receiver that took them (the
 * bits above PUSH_SERIAL_SHIFT), so that an acknowledgement finds its
 * receiver whichever job owns it after a reload. */
#define PUSH_SERIAL_SHIFT 40

struct push_ctx {
        struct sl_agent *agent;
        struct job *job;
        uint64_t id;       /* the push: source id of its entries and of its mark */
        uint64_t now;      /* monotonic time the push arrived */
        size_t kept;       /* entries the pipeline kept */
};

/* The job's relabel_configs over a pushed entry's labels, as Promtail's
 * push target runs them over a stream's: false when they drop it (or leave
 * no label). The labels then borrow from a->push_labels until the next
 * entry. */
static bool relabel_pushed(struct sl_agent *a, const struct sl_discovery_config *dc,
                           struct sl_entry *e) {
        struct sl_label_set *ls = &a->push_labels;

        sl_label_set_clear(ls);
        for (size_t i = 0; i < e->labels.len; i++)
                sl_label_set_set(ls, e->labels.items[i].name, e->labels.items[i].value);
        if (!sl_relabel_process(dc->relabel, dc->n_relabel, ls) || ls->len == 0)
                return false;
        sl_label_set_to_kvs(ls, &e->labels);
        return true;
}

/* One pushed entry: the receiver's labels over the pushed ones, the job's
 * relabel_configs, internal "__" names dropped (as Promtail does), the time
 * it arrived unless the pushed one is kept, then the job's pipeline and
 * every client. */
static void on_pushed_entry(void *userdata, struct sl_entry *e) {
        struct push_ctx *p = userdata;
        struct sl_agent *a = p->agent;
        const struct sl_receiver_config *rc = &p->job->config->receiver;
        const struct sl_discovery_config *dc = p->job->config->discovery;
        int verdict;

        for (size_t i = 0; i < rc->n_labels; i++)
                sl_kvs_set(&e->labels, sl_str_c(rc->labels[i].name), sl_str_c(rc->labels[i].value));
        if (dc && dc->n_relabel && !relabel_pushed(a, dc, e)) {
                p->job->relabel_dropped++;
                return;
        }
        for (size_t i = 0; i < e->labels.len;) {
                if (sl_label_name_internal(e->labels.items[i].name))
                        sl_kvs_del(&e->labels, e->labels.items[i].name);
                else
                        i++;
        }
        if (!rc->use_incoming_timestamp || !e->ts_ns)
                e->ts_ns = sl_wall_ns();
        e->source_id = p->id;
        e->read_ns = p->now;
        verdict = sl_pipeline_run(p->job->pipeline, e);
        if (verdict == SL_STAGE_HOLD) {
                /* A stage holds it (a multiline block): released through
                 * on_released() at the latest when the push ends, before
                 * the push's mark, so the push waits for it too. */
                p->kept++;
                return;
        }
        if (verdict != SL_STAGE_KEEP)
                return;
        if (a->opts.dry_run) {
                print_entry(a, e);
                return;
        }
        for (size_t i = 0; i < a->n_clients; i++)
                if (sl_batcher_add(a->clients[i].batcher, e, p->now) == 1)
                        flush_client(&a->clients[i], p->now, true);
        a->entries_kept++;
        p->kept++;
}

/* A push decoded whole: its entries go into the batches, followed by a mark
 * for the push, so that the push is acknowledged (ack_push()) when the batch
 * holding its last entry is done with, as a file's position is. While a
 * reload waits for the clients to drain, pushes are refused (503), as file
 * reading pauses then: the clients that would take them are going away. */
static int on_push(void *userdata, struct sl_push_request *req, uint64_t id) {
        struct job *job = userdata;
        struct sl_agent *a = job->agent;
        struct push_ctx p = { .agent = a, .job = job, .id = id, .now = sl_now_ns() };
        struct sl_mark mark = { .source_id = id, .offset = 1 };

        if (a->stopping)
                return -ESHUTDOWN;
        if (a->next.pending)
                return -EAGAIN;
        if (!has_room(a))
                return -ENOBUFS;
        sl_push_request_foreach(req, &a->entry, on_pushed_entry, &p);
        sl_pipeline_forget(job->pipeline, id);
        /* Nothing of it on its way (an empty push, or every entry dropped
         * by the pipeline): nothing to wait for. */
        if (a->opts.dry_run || p.kept == 0)
                return 1;
        for (size_t i = 0; i < a->n_clients; i++) {
                sl_batcher_mark(a->clients[i].batcher, &mark, p.now);
                if (!a->clients[i].batch_timer.armed)
                        arm_batch_timer(&a->clients[i]);
        }
        return 0;
}

/* Client @c is done with push @id's entries; once every client is, the
 * push is answered. */
static void ack_push(struct client *c, uint64_t id) {
        struct sl_agent *a = c->agent;
        uint64_t serial = (id & ~SL_PUSH_ID_FLAG) >> PUSH_SERIAL_SHIFT, v;

        if (a->n_clients > 1) {
                sl_u64map_put(&c->acked, id, 1);
                for (size_t j = 0; j < a->n_clients; j++)
                        if (!sl_u64map_get(&a->clients[j].acked, id, &v))
                                return;
                for (size_t j = 0; j < a->n_clients; j++)
                        sl_u64map_del(&a->clients[j].acked, id);
        }
        for (size_t i = 0; i < a->n_jobs; i++)
                if (a->jobs[i].receiver && a->jobs[i].receiver_serial == serial) {
                        sl_push_server_ack(a->jobs[i].receiver, id);
                        return;
                }
}

static void receiver_options(const struct job *job, struct sl_push_server_options *o) {
        const struct sl_receiver_config *rc = &job->config->receiver;

        *o = (struct sl_push_server_options){
                .kind = job->config->source == SL_SOURCE_OTLP ? SL_PUSH_SERVER_OTLP
                                                              : SL_PUSH_SERVER_LOKI,
                .address = rc->listen_address,
                .port = rc->listen_port,
                .max_connections = rc->max_connections,
                .max_body = (size_t)rc->max_body_size,
                .max_entries = (size_t)rc->max_entries,
                .ack_timeout_ns = rc->ack_timeout_ns,
                .id_base = SL_PUSH_ID_FLAG | (job->receiver_serial << PUSH_SERIAL_SHIFT),
        };
}

/* The job of @old whose listener @job takes over at a reload: the same
 * address and port (a port chosen by the system: the same job name), or
 * NULL. */
static struct job *receiver_match(struct job *old, size_t n_old, const struct job *job) {
        const struct sl_receiver_config *rc = &job->config->receiver;

        for (size_t i = 0; i < n_old; i++) {
                const struct sl_receiver_config *o = &old[i].config->receiver;
                if (!old[i].receiver || o->listen_port != rc->listen_port ||
                    strcmp(o->listen_address, rc->listen_address) != 0)
                        continue;
                if (rc->listen_port == 0 &&
                    strcmp(old[i].config->job_name, job->config->job_name) != 0)
                        continue;
                return &old[i];
        }
        return NULL;
}

/* Listeners for the jobs of @jobs that receive pushes: each takes over the
 * listener of the job of @old (the running config's, at a reload) that
 * listens where it does, else opens its own. Returns 0 or -errno with @err
 * filled. */
static int open_receivers(struct sl_agent *a, struct job *jobs, size_t n_jobs, struct job *old,
                          size_t n_old, struct sl_cfg_error *err) {
        for (size_t i = 0; i < n_jobs; i++) {
                struct job *job = &jobs[i];
                const struct sl_receiver_config *rc = &job->config->receiver;
                struct sl_push_server_options o;
                struct sl_push_handler h = { .push = on_push, .userdata = job };
                int r;

                job->agent = a;
                if (job->config->source == SL_SOURCE_FILES)
                        continue;
                job->takes_over = receiver_match(old, n_old, job);
                for (size_t k = 0; job->takes_over && k < i; k++)
                        if (jobs[k].takes_over == job->takes_over) {
                                snprintf(err->msg, sizeof(err->msg),
                                         "jobs %s and %s both listen on %s:%u",
                                         jobs[k].config->job_name, job->config->job_name,
                                         rc->listen_address, rc->listen_port);
                                return -EADDRINUSE;
                        }
                if (job->takes_over) {
                        if (job->takes_over->config->receiver.max_connections !=
                            rc->max_connections)
                                sl_log_warn("reload: a listener's connection limit needs a restart; the old one stays",
                                            "job=\"%s\" http_listen_conn_limit=%u",
                                            job->config->job_name,
                                            job->takes_over->config->receiver.max_connections);
                        continue;
                }
                job->receiver_serial = ++a->receiver_serials;
                receiver_options(job, &o);
                r = sl_push_server_new(a->loop, &o, &h, &job->receiver);
                if (r < 0) {
                        snprintf(err->msg, sizeof(err->msg), "job %s cannot listen on %s:%u: %s",
                                 job->config->job_name, rc->listen_address, rc->listen_port,
                                 strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* At a reload's take-over: pushes still waiting for the old clients are
 * answered 503 (their entries went with those clients, unsent: the sender
 * sends them again), and each listener that stays moves to its new job. */
static void hand_over_receivers(struct sl_agent *a, struct job *jobs, size_t n_jobs) {
        for (size_t i = 0; i < a->n_jobs; i++)
                if (a->jobs[i].receiver)
                        sl_push_server_abort_waiting(a->jobs[i].receiver,
                                                     "sluice reloaded its config before Loki "
                                                     "acknowledged this push; send it again");
        for (size_t i = 0; i < n_jobs; i++) {
                struct job *job = &jobs[i], *from = job->takes_over;
                struct sl_push_server_options o;
                struct sl_push_handler h = { .push = on_push, .userdata = job };

                if (!from)
                        continue;
                job->receiver = from->receiver;
                job->receiver_serial = from->receiver_serial;
                job->takes_over = NULL;
                from->receiver = NULL;
                receiver_options(job, &o);
                sl_push_server_reconfigure(job->receiver, &o, &h);
        }
}

static void log_receivers(const struct sl_agent *a) {
        for (size_t i = 0; i < a->n_jobs; i++)
                if (a->jobs[i].receiver)
                        sl_log_info("listening for pushes", "job=\"%s\" api=%s address=%s port=%u",
                                    a->jobs[i].config->job_name,
                                    a->jobs[i].config->source == SL_SOURCE_OTLP ? "otlp"
                                                                               : "loki_push",
                                    a->jobs[i].config->receiver.listen_address,
                                    sl_push_server_port(a->jobs[i].receiver));
}

static void render_receiver_metrics(const struct sl_agent *a, struct sl_expo *w) {
        static const char *const outcomes[] = { "accepted", "bad_request", "too_large",
                                                "unsupported", "unavailable", "timed_out" };

        sl_expo_family(w, "sluice_push_requests_total", "counter",
                       "Pushes received, by how they were answered: accepted (2xx once Loki acknowledged them), bad_request (400), too_large (413), unsupported (415), unavailable (503: memory budget held, or reloading or stopping), timed_out (503: not acknowledged within ack_timeout).");
        for (size_t i = 0; i < a->n_jobs; i++) {
                const struct sl_push_server_stats *st;
                uint64_t v[6];
                if (!a->jobs[i].receiver)
                        continue;
                st = sl_push_server_stats(a->jobs[i].receiver);
                v[0] = st->accepted, v[1] = st->bad, v[2] = st->too_large;
                v[3] = st->unsupported, v[4] = st->unavailable, v[5] = st->timed_out;
                for (int k = 0; k < 6; k++) {
                        const char *labels[] = { "job", a->jobs[i].config->job_name, "outcome",
                                                 outcomes[k], NULL };
                        sl_expo_sample_u64(w, "sluice_push_requests_total", labels, v[k]);
                }
        }
        sl_expo_family(w, "sluice_push_entries_total", "counter", "Entries received in pushes that decoded.");
        for (size_t i = 0; i < a->n_jobs; i++) {
                const char *labels[] = { "job", a->jobs[i].config->job_name, NULL };
                if (a->jobs[i].receiver)
                        sl_expo_sample_u64(w, "sluice_push_entries_total", labels,
                                           sl_push_server_stats(a->jobs[i].receiver)->entries);
        }
        sl_expo_family(w, "sluice_push_pending", "gauge", "Pushes waiting for Loki's acknowledgement before they are answered.");
        for (size_t i = 0; i < a->n_jobs; i++) {
                const char *labels[] = { "job", a->jobs[i].config->job_name, NULL };
                if (a->jobs[i].receiver)
                        sl_expo_sample_u64(w, "sluice_push_pending", labels,
                                           sl_push_server_stats(a->jobs[i].receiver)->pending);
        }
}

/* ---- acknowledgements: the only flow back ------------------------------- */

static void ack_marks(struct client *c, const struct sl_batch *batch) {
        struct sl_agent *a = c->agent;
        size_t n;
        const struct sl_mark *marks = sl_batch_marks(batch, &n);

        for (size_t i = 0; i < n; i++) {
                const struct sl_mark *m = &marks[i];
                uint64_t low = m->offset, other;

                if (m->source_id & SL_PUSH_ID_FLAG) {
                        ack_push(c, m->source_id);
                        continue;
                }
                if (a->n_clients > 1) {
                        /* The position moves to the lowest offset every client acked. */
                        sl_u64map_put(&c->acked, m->source_id, m->offset);
                        for (size_t j = 0; j < a->n_clients; j++) {
                                if (j == c->index)
                                        continue;
                                if (!sl_u64map_get(&a->clients[j].acked, m->source_id, &other)) {
                                        low = 0;
                                        break;
                                }
                                if (other < low)
                                        low = other;
                        }
                        if (low == 0)
                                continue;
                }
                /* Tied to the file's source id: an ack for a file that was
                 * truncated or replaced since cannot move the new one on. */
                sl_positions_ack_source(a->positions, m->dev, m->ino, m->source_id, low);
        }
}

/* A push failed and will be retried: the first failure of a run is
 * logged at once, then a line every RETRY_LOG_PERIOD_NS, so that a Loki
 * that is down, or a wrong URL, certificate or password, shows in the log
 * without flooding it. */
static void on_push_retry(void *userdata, int status, const char *message, uint64_t wait_ns) {
        struct client *c = userdata;
        uint64_t now = sl_now_ns();

        if (!c->failures++)
                c->failing_since_ns = now;
        if (c->failures > 1 && now - c->last_retry_log_ns < RETRY_LOG_PERIOD_NS)
                return;
        c->last_retry_log_ns = now;
        sl_log_warn("push failed, will retry", "url=\"%s\" status=%d error=\"%.300s\" retry_in_ms=%" PRIu64
                    " failures=%" PRIu64, c->config->display_url, status, message,
                    (uint64_t)(wait_ns / SL_NSEC_PER_MSEC), c->failures);
}

static void on_push_done(void *userdata, struct sl_batch *batch, enum sl_push_outcome outcome,
                         int status, const char *message) {
        struct client *c = userdata;
        uint64_t now = sl_now_ns();

        if (c->failures) {
                if (outcome == SL_PUSH_SENT)
                        sl_log_info("push succeeded after failures", "url=\"%s\" failures=%" PRIu64
                                    " failing_for_ms=%" PRIu64, c->config->display_url, c->failures,
                                    (uint64_t)((now - c->failing_since_ns) / SL_NSEC_PER_MSEC));
                c->failures = 0;
        }

        switch (outcome) {
        case SL_PUSH_SENT:
        case SL_PUSH_EMPTY:
                break;
        case SL_PUSH_REFUSED: {
                /* Loki refused for good: retrying cannot help. Log once per kind a
                 * minute. A batch may be refused only in part (a 400 naming some
                 * streams, a split after a 413): count what was refused, under the
                 * kind of the first refusal. */
                enum refusal_kind kind = classify_refusal(status, message);
                uint64_t dropped = sl_loki_client_last_report(c->loki)->entries_refused;
                c->refused[kind] += dropped;
                if (!c->last_log_ns[kind] || now - c->last_log_ns[kind] >= REFUSAL_LOG_PERIOD_NS) {
                        sl_log_warn("Loki refused a batch, whole or in part; the refused entries are dropped",
                                    "url=\"%s\" status=%d reason=%s entries=%" PRIu64 " accepted=%" PRIu64
                                    " loki_message=\"%.300s\"",
                                    c->config->display_url, status, refusal_reason[kind], dropped,
                                    sl_loki_client_last_report(c->loki)->entries_sent, message);
                        c->last_log_ns[kind] = now;
                }
                break;
        }
        case SL_PUSH_GAVE_UP: {
                uint64_t dropped = sl_loki_client_last_report(c->loki)->entries_gave_up;
                c->gave_up += dropped;
                sl_log_error("giving up on a batch after max_retries; its entries are dropped",
                             "url=\"%s\" status=%d entries=%" PRIu64 " max_retries=%" PRIu64,
                             c->config->display_url, status, dropped, c->config->max_retries);
                break;
        }
        }
        /* Sent, refused or given up on: either way these lines are done with. */
        ack_marks(c, batch);
        sl_batch_free(batch);
        if (c->agent->stopping && !c->agent->deadline_passed) {
                bool idle = true;
                for (size_t i = 0; i < c->agent->n_clients; i++)
                        idle = idle && sl_loki_client_idle(c->agent->clients[i].loki);
                if (idle)
                        sl_loop_stop(c->agent->loop);
        }
}

/* ---- timers: every periodic duty ---------------------------------------- */

static void save_positions(struct sl_agent *a) {
        int r;
        if (a->opts.dry_run)
                return;
        sl_tailer_settle(a->tailer);
        sl_positions_prune(a->positions);
        r = sl_positions_save(a->positions);
        if (r < 0) {
                a->positions_save_errors++;
                sl_log_error("cannot save positions, will retry", "file=\"%s\" error=\"%s\"",
                             a->config->positions.filename, strerror(-r));
        } else {
                a->positions_saves++;
        }
}

/* Makes what changed in this loop iteration (files opened or renamed,
 * acknowledgements) survive a crash: one journal append (tail/positions.h). */
static void flush_positions(struct sl_agent *a) {
        int r;

        if (a->opts.dry_run || !sl_positions_pending(a->positions))
                return;
        r = sl_positions_flush(a->positions);
        if (r < 0) {
                a->positions_save_errors++;
                sl_log_error("cannot write positions, will retry", "file=\"%s\" error=\"%s\"",
                             a->config->positions.filename, strerror(-r));
        } else {
                a->positions_flushes++;
        }
}

static void on_rescan(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        int r;

        /* Containers renamed or relabeled (config.v2.json changed). */
        sl_discovery_tick(a->discovery);
        /* With every directory and file watched, inotify finds new files
         * at once (and an overflow rescans): the periodic glob expansion is
         * only a safety net then, run every FULL_RESCAN_EVERY periods, since
         * it costs a stat of every file (10,000 files: ~0.3 CPU s). */
        if (!a->config->target.poll && sl_tailer_mode(a->tailer) == SL_TAILER_INOTIFY &&
            ++a->rescan_ticks % FULL_RESCAN_EVERY != 0) {
                sl_loop_timer_arm(a->loop, t, now + a->config->target.sync_period_ns);
                return;
        }
        r = sl_tailer_scan(a->tailer);
        if (r < 0)
                sl_log_warn("rescan failed, ignoring", "error=\"%s\"", strerror(-r));
        else if (r > 0)
                sl_log_info("following new files", "count=%d", r);
        sl_loop_timer_arm(a->loop, t, now + a->config->target.sync_period_ns);
}

static void on_positions_sync(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        save_positions(a);
        sl_loop_timer_arm(a->loop, t, now + a->config->positions.sync_period_ns);
}

/* How often open files are stat()ed: every poll_period when some of them
 * are not watched by inotify (poll mode, or watches ran out), else once a
 * second as a safety net. */
static uint64_t poll_period(const struct sl_agent *a) {
        if (a->config->target.poll || sl_tailer_mode(a->tailer) != SL_TAILER_INOTIFY)
                return a->config->target.poll_period_ns;
        return SAFETY_POLL_NS;
}

/* Logs once when inotify could not be used for every file, and again when
 * more watches fail. */
static void check_tailer_mode(struct sl_agent *a) {
        const struct sl_tailer_stats *ts = sl_tailer_stats(a->tailer);
        enum sl_tailer_mode mode = sl_tailer_mode(a->tailer);

        if (mode == a->logged_mode && ts->watch_failures == a->logged_watch_failures)
                return;
        if (mode != SL_TAILER_INOTIFY && !a->config->target.poll)
                sl_log_warn("inotify watches could not be added; polling those files instead",
                            "mode=%s watch_failures=%" PRIu64 " poll_period_ms=%" PRIu64
                            " hint=\"raise fs.inotify.max_user_watches or max_user_instances\"",
                            mode == SL_TAILER_POLLED ? "polled" : "partly_polled",
                            ts->watch_failures,
                            (uint64_t)(a->config->target.poll_period_ns / SL_NSEC_PER_MSEC));
        a->logged_mode = mode;
        a->logged_watch_failures = ts->watch_failures;
}

static void on_poll(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        /* inotify tells of every change: the once-a-second safety net for
         * a lost event looks at a few files each time, so an idle agent
         * costs the same with 10 files or 10,000. */
        if (!a->config->target.poll && sl_tailer_mode(a->tailer) == SL_TAILER_INOTIFY)
                sl_tailer_check_some(a->tailer, SAFETY_CHECK_FILES);
        else
                sl_tailer_poll(a->tailer);
        check_tailer_mode(a);
        sl_loop_timer_arm(a->loop, t, now + poll_period(a));
}

static void on_batch_deadline(struct sl_timer *t, uint64_t now, void *userdata) {
        struct client *c = userdata;
        (void)t;
        flush_client(c, now, false);
}

static void on_shutdown_deadline(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        (void)t;
        (void)now;
        a->deadline_passed = true;
        sl_log_warn("shutdown deadline reached with batches unsent; they will be read again at the next start",
                    "held_bytes=%" PRIu64, held_bytes(a));
        sl_loop_stop(a->loop);
}

/* In the readline limit's wait mode, reading stops while the bucket has
 * not paid for the lines taken, and resumes once readline_step tokens are
 * there (readline_timer wakes the loop then), so that a high rate is read
 * in rounds rather than line by line. */
static bool rate_allows_read(struct sl_agent *a, uint64_t now) {
        uint64_t wait;

        if (!a->readline_limit || a->config->limits.readline_rate_drop)
                return true;
        wait = sl_token_bucket_wait_ns(&a->readline, a->readline_step, now);
        if (wait == 0)
                return true;
        if (!a->readline_timer.armed)
                sl_loop_timer_arm(a->loop, &a->readline_timer, now + wait);
        return false;
}

/* How much to read now: in the wait mode, about as many lines as there
 * are tokens, at the average line size so far (1 byte before the first
 * line, so the first round cannot take more lines than tokens), so that a
 * round does not take much more than the bucket allows. The lines of a
 * round are taken all the same, and the bucket's debt holds reading off. */
static size_t read_budget(struct sl_agent *a, uint64_t now) {
        const struct sl_tailer_stats *ts;
        double tokens = INFINITY, line;

        if (a->readline_limit && !a->config->limits.readline_rate_drop) {
                tokens = sl_token_bucket_tokens(&a->readline, now);
                if (tokens < 1)
                        tokens = 1;
        }
        /* A limit stage's pace bounds it the same way (pace_allows_read()). */
        if (a->pace_allowance != UINT64_MAX && (double)a->pace_allowance < tokens)
                tokens = (double)a->pace_allowance;
        if (isinf(tokens))
                return READ_BUDGET;
        ts = sl_tailer_stats(a->tailer);
        line = ts->lines_read ? (double)ts->bytes_read / (double)ts->lines_read : 1.0;
        if (tokens * line >= (double)READ_BUDGET)
                return READ_BUDGET;
        return (size_t)(tokens * line) + 1;
}

static void on_readline_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        (void)t;
        (void)now;
        (void)userdata; /* firing wakes the loop; the run loop reads again */
}

/* Stages that release held lines on their own time (multiline's
 * max_wait_time, cri's partial lines): the earliest deadline of every
 * pipeline arms stage_timer. Checked after each read round and release. */
static void arm_stage_timer(struct sl_agent *a) {
        uint64_t first = UINT64_MAX;

        for (size_t i = 0; i < a->n_jobs; i++) {
                uint64_t d = sl_pipeline_deadline(a->jobs[i].pipeline);
                if (d < first)
                        first = d;
        }
        if (first == UINT64_MAX)
                sl_loop_timer_disarm(a->loop, &a->stage_timer);
        else if (!a->stage_timer.armed || a->stage_timer.deadline_ns != first)
                sl_loop_timer_arm(a->loop, &a->stage_timer, first);
}

/* Releases what the stages hold (everything with @all: shutdown) through
 * on_released(), then forgets the files nothing is held of any more. */
static void flush_stages(struct sl_agent *a, uint64_t now, bool all) {
        for (size_t i = 0; i < a->n_jobs; i++)
                sl_pipeline_flush(a->jobs[i].pipeline, now, all);
        for (size_t i = 0; i < a->n_held;) {
                const struct held_source *hs = &a->held[i];
                uint64_t from;
                if (sl_pipeline_held_from(hs->job->pipeline, hs->source_id, &from))
                        i++;
                else
                        held_remove(a, hs->source_id); /* the last item moved to i */
        }
}

static void on_stage_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        (void)t;

        flush_stages(a, now, false);
        arm_stage_timer(a);
}

/* A limit stage without drop paces reading (stage.h, resume_at): reading
 * waits until the latest time a pipeline asks for, pace_timer waking the
 * loop then, and a round reads about as many lines as the stages take
 * (a->pace_allowance, for read_budget()). */
static bool pace_allows_read(struct sl_agent *a, uint64_t now) {
        uint64_t at = 0, allowance = UINT64_MAX;

        for (size_t i = 0; i < a->n_jobs; i++) {
                uint64_t t = sl_pipeline_resume_at(a->jobs[i].pipeline, now, &allowance);
                if (t > at)
                        at = t;
        }
        a->pace_allowance = allowance;
        if (at <= now)
                return true;
        if (!a->pace_timer.armed || a->pace_timer.deadline_ns != at)
                sl_loop_timer_arm(a->loop, &a->pace_timer, at);
        return false;
}

static void on_pace_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        (void)t;
        (void)now;
        (void)userdata; /* firing wakes the loop; the run loop reads again */
}

static void timers_start(struct sl_agent *a) {
        uint64_t now = sl_now_ns();

        sl_timer_init(&a->rescan_timer, on_rescan, a);
        sl_loop_timer_arm(a->loop, &a->rescan_timer, now + a->config->target.sync_period_ns);
        sl_timer_init(&a->positions_timer, on_positions_sync, a);
        sl_loop_timer_arm(a->loop, &a->positions_timer, now + a->config->positions.sync_period_ns);
        sl_timer_init(&a->poll_timer, on_poll, a);
        sl_loop_timer_arm(a->loop, &a->poll_timer, now + poll_period(a));
        sl_timer_init(&a->deadline_timer, on_shutdown_deadline, a);
        /* Armed by rate_allows_read() when the readline limit makes reading wait. */
        sl_timer_init(&a->readline_timer, on_readline_timer, a);
        /* Armed by arm_stage_timer() when stages hold lines for a while. */
        sl_timer_init(&a->stage_timer, on_stage_timer, a);
        /* Armed by pace_allows_read() when a limit stage makes reading wait. */
        sl_timer_init(&a->pace_timer, on_pace_timer, a);
        if (a->readline_limit) {
                double burst = (double)a->config->limits.readline_burst;
                sl_token_bucket_init(&a->readline, a->config->limits.readline_rate, burst, now);
                a->readline_step = a->config->limits.readline_rate / 100;
                a->readline_step = a->readline_step < 1 ? 1
                                   : a->readline_step > burst ? burst : a->readline_step;
        }
}

/* ---- reload ----------------------------------------------------------------
 *
 * start_reload() reads the config file again and builds its pipelines and
 * clients into a->next; the running clients are told to send what they
 * hold, and reading pauses. Once they are idle (or reload_timer fires),
 * finish_reload() (from the run loop, never inside a client's callback)
 * replaces jobs, targets and clients, gives the tailer the new globs and
 * makes it read again what was not acknowledged. */

static void next_config_free(struct next_config *next) {
        clients_free(next->clients, next->n_clients);
        sl_discovery_free(next->discovery);
        jobs_free(next->jobs, next->n_jobs);
        sl_config_free(next->config);
        *next = (struct next_config){ 0 };
}

static bool clients_idle(const struct sl_agent *a) {
        for (size_t i = 0; i < a->n_clients; i++)
                if (!sl_loki_client_idle(a->clients[i].loki))
                        return false;
        return true;
}

static void on_reload_deadline(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_agent *a = userdata;
        (void)t;
        (void)now;
        a->next.deadline_passed = true; /* the run loop finishes the reload */
}

/* What a reload cannot change: kept from the start, said once. */
static void warn_kept(const struct sl_config *old, const struct sl_config *new) {
        const char *what = NULL;

        if (strcmp(old->positions.filename, new->positions.filename) != 0)
                what = "positions.filename";
        else if (old->server.disable != new->server.disable ||
                 old->server.listen_port != new->server.listen_port ||
                 strcmp(old->server.listen_address, new->server.listen_address) != 0)
                what = "the HTTP server's address";
        else if (old->target.poll != new->target.poll)
                what = "target_config.poll";
        else if (old->limits.max_line_size != new->limits.max_line_size)
                what = "limits_config.max_line_size (the tailer's line cap)";
        if (what)
                sl_log_warn("reload: this setting needs a restart; the old value stays",
                            "setting=\"%s\"", what);
}

/* Reads the config again (the @why of it for the log). Returns 0 when the
 * new config is accepted and will take over, else -errno with what is
 * wrong in @msg (@size bytes): -EINVAL (file, line and key), -EBUSY (a
 * reload is under way), -ECANCELED (stopping), -ENOTSUP (no config file). */
static int start_reload(struct sl_agent *a, const char *why, char *msg, size_t size) {
        struct sl_cfg_error err = { 0 };
        struct next_config next = { 0 };
        uint64_t now = sl_now_ns(), wait;
        int r;

        if (!a->opts.config_file || a->opts.dry_run) {
                snprintf(msg, size, "reload is not available in this mode");
                return -ENOTSUP;
        }
        if (a->stopping) {
                snprintf(msg, size, "sluice is stopping");
                return -ECANCELED;
        }
        if (a->next.pending) {
                snprintf(msg, size, "a reload is under way");
                return -EBUSY;
        }
        r = sl_config_load_opts(a->opts.config_file, &a->opts.load, &next.config, &err);
        if (r >= 0)
                r = build_jobs(a, next.config, &next, &err);
        if (r >= 0)
                r = build_clients(a, next.config, &next, &err);
        if (r >= 0)
                r = open_receivers(a, next.jobs, next.n_jobs, a->jobs, a->n_jobs, &err);
        if (r < 0) {
                sl_cfg_error_format(&err, msg, size);
                next_config_free(&next);
                a->reloads_failed++;
                a->last_reload_failed = true;
                sl_log_error("reload refused; the running config goes on", "trigger=%s error=\"%s\"",
                             why, msg);
                return -EINVAL;
        }
        warn_kept(a->config, next.config);
        if (sl_config_may_use_tls(next.config) && !sl_tls_lib_error_texts())
                sl_log_warn("the new config speaks TLS, but sluice started without OpenSSL's error texts; "
                            "TLS errors are reported by code (openssl errstr CODE explains one) until a restart",
                            "file=\"%s\"", a->opts.config_file);
        next.pending = true;
        a->next = next;
        sl_log_info("reloading: the new config takes over once what is held is sent",
                    "trigger=%s file=\"%s\" jobs=%zu clients=%zu", why, a->opts.config_file,
                    next.n_jobs, next.n_clients);
        for (size_t i = 0; i < a->n_clients; i++)
                flush_client(&a->clients[i], now, true);
        wait = a->config->server.graceful_shutdown_timeout_ns;
        sl_timer_init(&a->reload_timer, on_reload_deadline, a);
        sl_loop_timer_arm(a->loop, &a->reload_timer, now + wait);
        snprintf(msg, size, "reloading %s", a->opts.config_file);
        return 0;
}

/* The new config takes over (see above). */
static void finish_reload(struct sl_agent *a) {
        struct next_config next = a->next;
        _cleanup_free_ const char **globs = NULL;
        _cleanup_free_ void **targets = NULL;
        struct sl_config *old = a->config;
        struct sl_discovery *old_discovery = a->discovery;
        struct job *old_jobs = a->jobs;
        size_t n_old_jobs = a->n_jobs, n_globs;
        enum sl_log_level level;
        uint64_t now = sl_now_ns();

        sl_loop_timer_disarm(a->loop, &a->reload_timer);
        a->next = (struct next_config){ 0 };
        /* What the old clients still hold is dropped here and read again
         * below: its positions have not moved. */
        a->bytes_abandoned += held_bytes(a);
        if (held_bytes(a))
                sl_log_warn("reload: the old clients could not send everything in time; it is read again",
                            "held_bytes=%" PRIu64, held_bytes(a));
        hand_over_receivers(a, next.jobs, next.n_jobs);
        clients_free(a->clients, a->n_clients);
        a->config = next.config;
        next.config = NULL;
        take_jobs_and_clients(a, &next);
        /* The files' source ids stay: the new pipelines start with no
         * state, and what the old ones held (pieces of a split line, a
         * multiline block) is read again from the acknowledged offset. */
        sl_loop_timer_disarm(a->loop, &a->stage_timer);

        /* The new discovery takes over the containers and pods of the jobs
         * that stay (their files go on), and its static targets' globs
         * replace the old ones: a file of a glob that stays goes on with
         * its new target, the others are let go through the old pipelines
         * (the old jobs and targets live until no file carries them). */
        sl_discovery_adopt(a->discovery, old_discovery);
        n_globs = sl_discovery_globs(a->discovery, &globs, &targets);
        (void)sl_tailer_set_globs(a->tailer, globs, (void *const *)targets, n_globs);
        held_clear(a);
        sl_tailer_rewind(a->tailer);
        sl_discovery_free(old_discovery);
        jobs_free(old_jobs, n_old_jobs);
        sl_discovery_start(a->discovery);

        /* Settings the loop reads each time take effect by themselves;
         * periods and the readline limit are set again. */
        a->readline_limit = a->config->limits.readline_rate_enabled;
        sl_loop_timer_disarm(a->loop, &a->readline_timer);
        if (a->readline_limit) {
                double burst = (double)a->config->limits.readline_burst;
                sl_token_bucket_init(&a->readline, a->config->limits.readline_rate, burst, now);
                a->readline_step = a->config->limits.readline_rate / 100;
                a->readline_step = a->readline_step < 1 ? 1
                                   : a->readline_step > burst ? burst : a->readline_step;
        }
        sl_loop_timer_arm(a->loop, &a->rescan_timer, now + a->config->target.sync_period_ns);
        sl_loop_timer_arm(a->loop, &a->positions_timer, now + a->config->positions.sync_period_ns);
        if (!a->opts.log_level_fixed && sl_log_parse_level(a->config->server.log_level, &level) == 0)
                sl_log_set_level(level);
        sl_config_free(old);

        a->reloads_ok++;
        a->last_reload_failed = false;
        a->last_reload_ok_wall_ns = sl_wall_ns();
        sl_log_info("reloaded", "jobs=%zu clients=%zu files=%zu", a->n_jobs, a->n_clients,
                    sl_tailer_active_files(a->tailer));
        log_receivers(a);
}

static unsigned on_http_reload(void *userdata, struct sl_buf *out) {
        struct sl_agent *a = userdata;
        char msg[RELOAD_MSG_MAX];
        int r = start_reload(a, "http", msg, sizeof(msg));

        if (r == 0) {
                sl_buf_printf(out, "%s\n", msg);
                return 200;
        }
        /* Promtail answers 500 with what failed. */
        sl_buf_printf(out, "failed to reload config: %s\n", msg);
        return r == -EBUSY ? 503 : 500;
}

/* ---- signals and shutdown ----------------------------------------------- */

static void begin_shutdown(struct sl_agent *a) {
        uint64_t now = sl_now_ns();

        if (a->next.pending) {
                /* A stop wins: the new config would not read a line. */
                sl_loop_timer_disarm(a->loop, &a->reload_timer);
                next_config_free(&a->next);
        }
        a->stopping = true;
        a->ready = false;
        sl_loop_timer_disarm(a->loop, &a->rescan_timer);
        sl_loop_timer_disarm(a->loop, &a->poll_timer);
        /* What stages hold (a multiline block waiting for its next line)
         * goes now, with the rest. */
        flush_stages(a, now, true);
        sl_loop_timer_disarm(a->loop, &a->stage_timer);
        if (a->opts.dry_run) {
                sl_loop_stop(a->loop);
                return;
        }
        for (size_t i = 0; i < a->n_clients; i++)
                flush_client(&a->clients[i], now, true);
        sl_loop_timer_arm(a->loop, &a->deadline_timer,
                          now + a->config->server.graceful_shutdown_timeout_ns);
        for (size_t i = 0; i < a->n_clients; i++)
                if (!sl_loki_client_idle(a->clients[i].loki))
                        return;
        sl_loop_stop(a->loop);
}

static void on_signal(int fd, uint32_t events, void *userdata) {
        struct sl_agent *a = userdata;
        struct signalfd_siginfo si;
        (void)events;

        while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        char msg[RELOAD_MSG_MAX];
                        (void)start_reload(a, "SIGHUP", msg, sizeof(msg));
                        continue;
                }
                if (!a->stopping) {
                        sl_log_info("stopping: sending what is held, then saving positions",
                                    "signal=%s deadline_ms=%" PRIu64, strsignal((int)si.ssi_signo),
                                    (uint64_t)(a->config->server.graceful_shutdown_timeout_ns / SL_NSEC_PER_MSEC));
                        begin_shutdown(a);
                } else {
                        sl_log_warn("second stop signal: exiting now; unsent lines will be read again at the next start",
                                    "signal=%s", strsignal((int)si.ssi_signo));
                        a->deadline_passed = true;
                        sl_loop_stop(a->loop);
                }
        }
}

static void on_inotify(int fd, uint32_t events, void *userdata) {
        struct sl_agent *a = userdata;
        int r;
        (void)fd;
        (void)events;
        r = sl_tailer_process_events(a->tailer);
        if (r < 0)
                sl_log_warn("reading inotify events failed, ignoring", "error=\"%s\"", strerror(-r));
}

/* The loop asks this before sleeping: unread lines and room for them mean
 * there is work without waiting for an event. */
static bool is_busy(void *userdata) {
        struct sl_agent *a = userdata;
        uint64_t now;

        if (a->stopping || a->next.pending || !sl_tailer_has_pending(a->tailer) || !has_room(a))
                return false;
        now = sl_now_ns();
        return rate_allows_read(a, now) && pace_allows_read(a, now);
}

/* ---- metrics ------------------------------------------------------------ */

/* What a per-file family reports about one followed file. */
enum file_metric { FILE_READ, FILE_SIZE, FILE_UNREAD, FILE_UNACKED, FILE_METRICS };

struct metrics_ctx {
        struct sl_expo *w;
        const struct sl_positions *positions;
        enum file_metric file_metric; /* the family metric_file() writes */
        const char *job;
        const char *client_url;
        const char *histogram;        /* the family metric_status() writes */
};

static const struct {
        const char *name;
        const char *help;
} file_metrics[] = {
        [FILE_READ] = { "sluice_read_bytes_total", "Offset read up to, per followed file." },
        [FILE_SIZE] = { "sluice_file_bytes", "Size of each followed file." },
        [FILE_UNREAD] = { "sluice_file_unread_bytes", "Bytes of each followed file not read yet." },
        /* What a crash now would make sluice read again, and how far
         * behind Loki is for this file. */
        [FILE_UNACKED] = { "sluice_file_unacked_bytes",
                           "Bytes of each followed file not yet acknowledged by Loki (size minus saved position)." },
};

static void metric_file(void *userdata, const struct sl_tail_file_stat *s) {
        struct metrics_ctx *m = userdata;
        const char *labels[] = { "path", s->path, NULL };
        uint64_t value = 0, acked = 0;

        switch (m->file_metric) {
        case FILE_READ:
                value = s->offset;
                break;
        case FILE_SIZE:
                value = s->size;
                break;
        case FILE_UNREAD:
                value = s->size > s->offset ? s->size - s->offset : 0;
                break;
        case FILE_UNACKED:
                if (!sl_positions_get(m->positions, s->dev, s->ino, &acked))
                        acked = 0;
                value = s->size > acked ? s->size - acked : 0;
                break;
        case FILE_METRICS:
                return;
        }
        sl_expo_sample_u64(m->w, file_metrics[m->file_metric].name, labels, value);
}

static void metric_drop(void *userdata, const char *reason, uint64_t count) {
        struct metrics_ctx *m = userdata;
        const char *labels[] = { "job", m->job, "reason", reason, NULL };
        sl_expo_sample_u64(m->w, "sluice_dropped_entries_total", labels, count);
}

static void metric_status(void *userdata, int status, uint64_t count, const uint64_t *buckets,
                          size_t n_buckets, const double *bounds, double sum_seconds) {
        struct metrics_ctx *m = userdata;
        char code[16];
        const char *labels[] = { "status_code", code, "host", m->client_url, NULL };
        uint64_t counts[SL_HISTOGRAM_MAX_BUCKETS + 1];
        size_t n_bounds;

        if (status > 0)
                snprintf(code, sizeof(code), "%d", status);
        else
                snprintf(code, sizeof(code), "error");
        /* The client counts cumulatively with +Inf as its last bound; the
         * writer takes per-bucket counts and finite bounds. */
        n_bounds = n_buckets && isinf(bounds[n_buckets - 1]) ? n_buckets - 1 : n_buckets;
        if (n_bounds > SL_HISTOGRAM_MAX_BUCKETS)
                return;
        for (size_t i = 0; i < n_bounds; i++)
                counts[i] = buckets[i] - (i ? buckets[i - 1] : 0);
        counts[n_bounds] = count - (n_bounds ? buckets[n_bounds - 1] : 0);
        sl_expo_histogram(m->w, m->histogram, labels, bounds, counts, n_bounds, sum_seconds);
}

/* A family with a single sample without labels. */
static void metric1(struct sl_expo *w, const char *name, const char *type, const char *help,
                    uint64_t value) {
        sl_expo_family(w, name, type, help);
        sl_expo_sample_u64(w, name, NULL, value);
}

/* ---- Promtail's metric names (-metrics.promtail-names) --------------------
 *
 * The same counters under the names and labels Promtail 3 exports
 * (clients/pkg/promtail/client and targets/file), so that the Promtail
 * mixin's dashboards and alerts work unchanged. host is the URL's host and
 * port, as Promtail's; tenant is the client's tenant_id (empty: none). */

/* The host[:port] of @url (a client's display URL) into @out. */
static void url_host(const char *url, char *out, size_t size) {
        const char *h = strstr(url, "://");
        size_t n;

        h = h ? h + 3 : url;
        n = strcspn(h, "/?#");
        snprintf(out, size, "%.*s", (int)SL_MIN(n, size - 1), h);
}

static void promtail_file(void *userdata, const struct sl_tail_file_stat *s) {
        struct metrics_ctx *m = userdata;
        const char *labels[] = { "path", s->path, NULL };
        uint64_t v = m->file_metric == FILE_READ ? s->offset
                     : m->file_metric == FILE_SIZE ? s->size : s->lines;
        static const char *const names[] = { [FILE_READ] = "promtail_read_bytes_total",
                                             [FILE_SIZE] = "promtail_file_bytes_total",
                                             [FILE_UNREAD] = "promtail_read_lines_total" };

        sl_expo_sample_u64(m->w, names[m->file_metric], labels, v);
}

static void render_promtail_metrics(struct sl_agent *a, struct sl_expo *w) {
        struct metrics_ctx m = { .w = w, .positions = a->positions,
                                 .histogram = "promtail_request_duration_seconds" };
        const char *build[] = { "version", SL_VERSION, "revision", "", "branch", "",
                                "goversion", "", NULL };
        static const struct {
                enum file_metric which;
                const char *name, *type, *help;
        } files[] = {
                { FILE_READ, "promtail_read_bytes_total", "gauge", "Number of bytes read." },
                { FILE_SIZE, "promtail_file_bytes_total", "gauge", "Number of bytes total." },
                /* FILE_UNREAD stands for the lines here. */
                { FILE_UNREAD, "promtail_read_lines_total", "counter", "Number of lines read." },
        };

        sl_expo_family(w, "promtail_build_info", "gauge", "A metric with a constant '1' value labeled by version, revision, branch, and goversion from which promtail was built.");
        sl_expo_sample_u64(w, "promtail_build_info", build, 1);
        for (size_t i = 0; i < SL_ARRAY_SIZE(files); i++) {
                sl_expo_family(w, files[i].name, files[i].type, files[i].help);
                m.file_metric = files[i].which;
                sl_tailer_foreach_file(a->tailer, promtail_file, &m);
        }
        metric1(w, "promtail_files_active_total", "gauge", "Number of active files.",
                sl_tailer_active_files(a->tailer));
        metric1(w, "promtail_targets_active_total", "gauge", "Number of active total.",
                sl_discovery_stats(a->discovery)->targets_active);

#define PROMTAIL_CLIENT(name, type, help, expr, ...)                                     \
        sl_expo_family(w, name, type, help);                                            \
        for (size_t i = 0; i < a->n_clients; i++) {                                     \
                const struct client *c = &a->clients[i];                                \
                const struct sl_loki_client_stats *cs = sl_loki_client_stats(c->loki);  \
                const char *tenant = c->config->tenant_id ? c->config->tenant_id : "";  \
                char host[256];                                                         \
                (void)cs;                                                               \
                (void)tenant;                                                           \
                url_host(c->config->display_url, host, sizeof(host));                   \
                __VA_ARGS__                                                             \
                sl_expo_sample_u64(w, name, labels, (expr));                            \
        }
        PROMTAIL_CLIENT("promtail_sent_entries_total", "counter", "Number of log entries sent to the ingester.",
                        cs->entries_sent, const char *labels[] = { "host", host, NULL };)
        PROMTAIL_CLIENT("promtail_sent_bytes_total", "counter", "Number of bytes sent.",
                        cs->bytes_sent, const char *labels[] = { "host", host, NULL };)
        PROMTAIL_CLIENT("promtail_encoded_bytes_total", "counter", "Number of bytes encoded and ready to send.",
                        cs->bytes_encoded, const char *labels[] = { "host", host, NULL };)
        PROMTAIL_CLIENT("promtail_batch_retries_total", "counter", "Number of times batches has had to be retried.",
                        cs->retries, const char *labels[] = { "host", host, "tenant", tenant, NULL };)
#undef PROMTAIL_CLIENT

        sl_expo_family(w, "promtail_dropped_entries_total", "counter", "Number of log entries dropped because failed to be sent to the ingester after all retries.");
        for (size_t i = 0; i < a->n_clients; i++) {
                const struct client *c = &a->clients[i];
                const struct sl_batcher_stats *bs = sl_batcher_stats(c->batcher);
                const char *tenant = c->config->tenant_id ? c->config->tenant_id : "";
                uint64_t ingester = c->gave_up;
                char host[256];
                struct {
                        const char *reason;
                        uint64_t n;
                } r[4];

                url_host(c->config->display_url, host, sizeof(host));
                for (int k = 0; k < REFUSAL_KINDS; k++)
                        if (k != REFUSED_RATE_LIMITED)
                                ingester += c->refused[k];
                r[0].reason = "ingester_error";
                r[0].n = ingester;
                r[1].reason = "rate_limited";
                r[1].n = c->refused[REFUSED_RATE_LIMITED];
                r[2].reason = "stream_limited";
                r[2].n = bs->entries_dropped_stream_limit;
                r[3].reason = "line_too_long";
                r[3].n = bs->entries_dropped_too_long;
                for (size_t k = 0; k < SL_ARRAY_SIZE(r); k++) {
                        const char *labels[] = { "host", host, "tenant", tenant, "reason",
                                                 r[k].reason, NULL };
                        sl_expo_sample_u64(w, "promtail_dropped_entries_total", labels, r[k].n);
                }
        }
        sl_expo_family(w, "promtail_request_duration_seconds", "histogram", "Duration of send requests.");
        for (size_t i = 0; i < a->n_clients; i++) {
                char host[256];
                url_host(a->clients[i].config->display_url, host, sizeof(host));
                m.client_url = host;
                sl_loki_client_foreach_status(a->clients[i].loki, metric_status, &m);
        }
        metric1(w, "promtail_config_reload_success_total", "counter", "Number of reload success times.",
                a->reloads_ok);
        metric1(w, "promtail_config_reload_fail_total", "counter", "Number of reload fail times.",
                a->reloads_failed);
}

/* ---- the stages' own metrics (the metrics stage, limit's by label) --------
 *
 * Each job's pipeline writes its families at scrape time (stage.h,
 * collect). Two jobs may define the same family, and the text format wants
 * a family's lines together: a first pass lists the families (their stages
 * are told to write no sample), then each family is written once, with the
 * samples of every job. */

struct stage_family {
        char *name;   /* owned */
        char *type;   /* owned: the first job's */
        char *help;   /* owned; NULL: none */
};

struct stage_metrics {
        struct sl_expo *w;              /* borrowed */
        struct stage_family *families;  /* owned array, in order of first appearance */
        size_t n, cap;
        const struct stage_family *only; /* the family written now; NULL: listing */
};

static bool stage_family(void *ud, const char *name, const char *type, const char *help) {
        struct stage_metrics *m = ud;

        if (m->only)
                return strcmp(name, m->only->name) == 0 && strcmp(type, m->only->type) == 0;
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->families[i].name, name) == 0)
                        return false;
        sl_xgrow((void **)&m->families, sizeof(*m->families), &m->cap, m->n + 1);
        m->families[m->n++] = (struct stage_family){ sl_xstrdup(name), sl_xstrdup(type),
                                                     help ? sl_xstrdup(help) : NULL };
        return false;
}

static void stage_sample(void *ud, const char *name, const char *const *labels, double value) {
        struct stage_metrics *m = ud;
        sl_expo_sample_f64(m->w, name, labels, value);
}

static void stage_histogram(void *ud, const char *name, const char *const *labels,
                            const double *bounds, const uint64_t *counts, size_t n_bounds,
                            double sum) {
        struct stage_metrics *m = ud;
        sl_expo_histogram(m->w, name, labels, bounds, counts, n_bounds, sum);
}

static void render_stage_metrics(struct sl_agent *a, struct sl_expo *w) {
        struct stage_metrics m = { .w = w };
        struct sl_stage_metrics_out out = { &m, stage_family, stage_sample, stage_histogram };
        uint64_t now = sl_now_ns();

        for (size_t i = 0; i < a->n_jobs; i++)
                sl_pipeline_collect(a->jobs[i].pipeline, now, &out);
        for (size_t f = 0; f < m.n; f++) {
                m.only = &m.families[f];
                sl_expo_family(w, m.only->name, m.only->type, m.only->help);
                for (size_t i = 0; i < a->n_jobs; i++)
                        sl_pipeline_collect(a->jobs[i].pipeline, now, &out);
        }
        for (size_t f = 0; f < m.n; f++) {
                free(m.families[f].name);
                free(m.families[f].type);
                free(m.families[f].help);
        }
        free(m.families);
}

static void render_metrics(void *userdata, struct sl_buf *out) {
        struct sl_agent *a = userdata;
        const struct sl_tailer_stats *ts = sl_tailer_stats(a->tailer);
        struct sl_expo w;
        struct metrics_ctx m = { .w = &w, .positions = a->positions,
                                 .histogram = "sluice_request_duration_seconds" };
        const char *build[] = { "version", SL_VERSION, NULL };

        sl_expo_init(&w, out);
        sl_expo_family(&w, "sluice_build_info", "gauge", "A metric with a constant 1 value labelled by the version sluice was built from.");
        sl_expo_sample_u64(&w, "sluice_build_info", build, 1);
        metric1(&w, "sluice_ready", "gauge", "1 while the agent is running and following its files.",
                a->ready ? 1 : 0);

        metric1(&w, "sluice_files_active", "gauge", "Files being followed.",
                sl_tailer_active_files(a->tailer));
        for (m.file_metric = 0; m.file_metric < FILE_METRICS; m.file_metric++) {
                sl_expo_family(&w, file_metrics[m.file_metric].name, "gauge",
                               file_metrics[m.file_metric].help);
                sl_tailer_foreach_file(a->tailer, metric_file, &m);
        }
        metric1(&w, "sluice_read_lines_total", "counter", "Lines read from all files.",
                ts->lines_read);
        metric1(&w, "sluice_files_opened_total", "counter", "Files opened for following.",
                ts->files_opened);
        metric1(&w, "sluice_file_rotations_total", "counter", "Followed files rotated away (renamed or deleted).",
                ts->rotations);
        metric1(&w, "sluice_file_truncations_total", "counter", "Files truncated (or rewritten from the start) and read again from the start.",
                ts->truncations);
        metric1(&w, "sluice_file_fingerprint_mismatches_total", "counter", "Saved positions not applied because another file now has that device and inode.",
                ts->fingerprint_mismatches);
        metric1(&w, "sluice_inotify_watch_failures_total", "counter", "inotify watches that could not be added (those files are polled).",
                ts->watch_failures);
        metric1(&w, "sluice_files_recovered_total", "counter", "Rotated generations read at a start: found under another name (or compressed) and read on from the saved offset, or never seen and read whole.",
                ts->files_recovered);
        metric1(&w, "sluice_files_unseen_total", "counter", "Of those, generations written and rotated while sluice was stopped, read whole.",
                ts->files_unseen);
        metric1(&w, "sluice_files_lost_total", "counter", "Files deleted while sluice was stopped before all their lines were acknowledged (or after growing unseen).",
                ts->files_lost);
        metric1(&w, "sluice_lost_bytes_total", "counter", "Bytes of those files known to be lost: seen and not acknowledged (growth after sluice last saw a file is not known).",
                ts->bytes_lost);
        metric1(&w, "sluice_lines_split_total", "counter", "Lines longer than the line cap, handed out in pieces.",
                ts->lines_split);
        {
                const struct sl_discovery_stats *ds = sl_discovery_stats(a->discovery);
                metric1(&w, "sluice_targets_active", "gauge", "Targets (static, containers, pods' containers) whose files are followed.",
                        ds->targets_active);
                metric1(&w, "sluice_targets_added_total", "counter", "Targets discovered and followed.",
                        ds->targets_added);
                metric1(&w, "sluice_targets_removed_total", "counter", "Targets gone (containers stopped, pods deleted): their files are read to their end.",
                        ds->targets_removed);
                metric1(&w, "sluice_targets_dropped_total", "counter", "Targets not followed: dropped by relabeling, or without __path__ or labels.",
                        ds->targets_dropped);
                metric1(&w, "sluice_discovery_refreshes_total", "counter", "Answers of the Docker and Kubernetes APIs (lists, watch events).",
                        ds->refreshes);
                metric1(&w, "sluice_discovery_refresh_errors_total", "counter", "Requests to the Docker and Kubernetes APIs that failed.",
                        ds->refresh_errors);
                metric1(&w, "sluice_container_meta_read_errors_total", "counter", "config.v2.json files that could not be read (their files get no __meta_docker_* labels).",
                        ds->meta_read_errors);
                metric1(&w, "sluice_container_meta_changes_total", "counter", "config.v2.json files found changed (a container renamed...): their files' targets relabeled.",
                        ds->meta_changes);
        }

        sl_expo_family(&w, "sluice_pipeline_errors_total", "counter", "Entries on which a stage failed (a cap or a regex limit reached); they went on as they stood.");
        for (size_t i = 0; i < a->n_jobs; i++) {
                const char *labels[] = { "job", a->jobs[i].config->job_name, NULL };
                sl_expo_sample_u64(&w, "sluice_pipeline_errors_total", labels,
                                   sl_pipeline_errors(a->jobs[i].pipeline));
        }
        sl_expo_family(&w, "sluice_dropped_entries_total", "counter", "Entries dropped, by reason: by a job's pipeline (job) or on the way to a client (host).");
        for (size_t i = 0; i < a->n_jobs; i++) {
                m.job = a->jobs[i].config->job_name;
                sl_pipeline_foreach_drop(a->jobs[i].pipeline, metric_drop, &m);
                if (a->readline_limit && a->config->limits.readline_rate_drop)
                        metric_drop(&m, "global_rate_limiter_drop", a->jobs[i].rate_dropped);
                if (a->jobs[i].relabel_dropped)
                        metric_drop(&m, "relabel_dropped", a->jobs[i].relabel_dropped);
        }
        for (size_t i = 0; i < a->n_clients; i++) {
                const struct sl_batcher_stats *bs = sl_batcher_stats(a->clients[i].batcher);
                const char *url = a->clients[i].config->display_url;
                const char *too_long[] = { "host", url, "reason", "line_too_long", NULL };
                const char *gave_up[] = { "host", url, "reason", "max_retries", NULL };
                const char *no_labels[] = { "host", url, "reason", "no_labels", NULL };
                const char *streams[] = { "host", url, "reason", "stream_limited", NULL };
                sl_expo_sample_u64(&w, "sluice_dropped_entries_total", too_long,
                                   bs->entries_dropped_too_long);
                sl_expo_sample_u64(&w, "sluice_dropped_entries_total", no_labels,
                                   bs->entries_dropped_no_labels);
                sl_expo_sample_u64(&w, "sluice_dropped_entries_total", gave_up,
                                   a->clients[i].gave_up);
                if (a->config->limits.max_streams)
                        sl_expo_sample_u64(&w, "sluice_dropped_entries_total", streams,
                                           bs->entries_dropped_stream_limit);
                for (int k = 0; k < REFUSAL_KINDS; k++) {
                        const char *refused[] = { "host", url, "reason", refusal_reason[k], NULL };
                        sl_expo_sample_u64(&w, "sluice_dropped_entries_total", refused,
                                           a->clients[i].refused[k]);
                }
                for (int k = 0; k < SL_LABEL_VIOLATIONS; k++) {
                        const char *labels[] = { "host", url, "reason", sl_label_violation_reason(k), NULL };
                        sl_expo_sample_u64(&w, "sluice_dropped_entries_total", labels, bs->label_dropped[k]);
                }
        }
        sl_expo_family(&w, "sluice_label_limited_entries_total", "counter", "Entries kept with their labels changed to meet Loki's limits (a value cut, labels left out), by reason.");
        for (size_t i = 0; i < a->n_clients; i++) {
                const struct sl_batcher_stats *bs = sl_batcher_stats(a->clients[i].batcher);
                for (int k = 0; k < SL_LABEL_VIOLATIONS; k++) {
                        const char *labels[] = { "host", a->clients[i].config->display_url, "reason",
                                                 sl_label_violation_reason(k), NULL };
                        sl_expo_sample_u64(&w, "sluice_label_limited_entries_total", labels,
                                           bs->label_limited[k]);
                }
        }
        sl_expo_family(&w, "sluice_truncated_entries_total", "counter", "Entries cut to limits_config.max_line_size.");
        for (size_t i = 0; i < a->n_clients; i++) {
                const char *labels[] = { "host", a->clients[i].config->display_url, NULL };
                sl_expo_sample_u64(&w, "sluice_truncated_entries_total", labels,
                                   sl_batcher_stats(a->clients[i].batcher)->entries_truncated);
        }

#define CLIENT_COUNTER(name, help, field)                                              \
        sl_expo_family(&w, name, "counter", help);                                     \
        for (size_t i = 0; i < a->n_clients; i++) {                                    \
                const char *labels[] = { "host", a->clients[i].config->display_url, NULL };   \
                sl_expo_sample_u64(&w, name, labels,                                   \
                                   sl_loki_client_stats(a->clients[i].loki)->field);   \
        }
        CLIENT_COUNTER("sluice_sent_entries_total", "Entries accepted by Loki.", entries_sent)
        CLIENT_COUNTER("sluice_sent_bytes_total", "Compressed bytes of accepted pushes.", bytes_sent)
        CLIENT_COUNTER("sluice_requests_total", "Push requests made, including retries.", requests)
        CLIENT_COUNTER("sluice_batch_retries_total", "Push requests retried after 429, 5xx or a connection error.", retries)
        CLIENT_COUNTER("sluice_batches_refused_total", "Batches Loki refused for good (4xx other than 429).", batches_refused)
#undef CLIENT_COUNTER
        sl_expo_family(&w, "sluice_request_duration_seconds", "histogram", "Duration of push requests, by status code.");
        for (size_t i = 0; i < a->n_clients; i++) {
                m.client_url = a->clients[i].config->display_url;
                sl_loki_client_foreach_status(a->clients[i].loki, metric_status, &m);
        }
        sl_expo_family(&w, "sluice_batches_pending", "gauge", "Batches waiting to be sent or acknowledged, per client.");
        for (size_t i = 0; i < a->n_clients; i++) {
                const char *labels[] = { "host", a->clients[i].config->display_url, NULL };
                sl_expo_sample_u64(&w, "sluice_batches_pending", labels,
                                   sl_loki_client_queued(a->clients[i].loki));
        }
        sl_expo_family(&w, "sluice_oldest_unacked_entry_age_seconds", "gauge",
                       "Age of the oldest entry read but not yet acknowledged by Loki, per client (0 when none).");
        for (size_t i = 0; i < a->n_clients; i++) {
                const char *labels[] = { "host", a->clients[i].config->display_url, NULL };
                uint64_t oldest = SL_MIN(sl_batcher_oldest_ns(a->clients[i].batcher),
                                         sl_loki_client_oldest_ns(a->clients[i].loki));
                uint64_t now = sl_now_ns();
                sl_expo_sample_f64(&w, "sluice_oldest_unacked_entry_age_seconds", labels,
                                   oldest == UINT64_MAX || oldest > now
                                           ? 0.0
                                           : (double)(now - oldest) / (double)SL_NSEC_PER_SEC);
        }
        metric1(&w, "sluice_buffered_bytes", "gauge", "Bytes of log lines held in memory for Loki.",
                held_bytes(a));
        render_receiver_metrics(a, &w);
        metric1(&w, "sluice_positions_saves_total", "counter", "Positions file writes.",
                a->positions_saves);
        metric1(&w, "sluice_config_reload_success", "gauge", "1 unless the last reload was refused.",
                a->last_reload_failed ? 0 : 1);
        sl_expo_family(&w, "sluice_config_last_reload_success_timestamp_seconds", "gauge",
                       "When the config running took effect (the start, or the last reload).");
        sl_expo_sample_f64(&w, "sluice_config_last_reload_success_timestamp_seconds", NULL,
                           (double)a->last_reload_ok_wall_ns / (double)SL_NSEC_PER_SEC);
        sl_expo_family(&w, "sluice_config_reloads_total", "counter", "Reloads (SIGHUP, /reload), by result.");
        {
                const char *ok[] = { "result", "success", NULL };
                const char *failed[] = { "result", "failure", NULL };
                sl_expo_sample_u64(&w, "sluice_config_reloads_total", ok, a->reloads_ok);
                sl_expo_sample_u64(&w, "sluice_config_reloads_total", failed, a->reloads_failed);
        }
        metric1(&w, "sluice_reload_abandoned_bytes_total", "counter", "Bytes the clients a reload replaced still held (read again from the files).",
                a->bytes_abandoned);
        metric1(&w, "sluice_positions_flushes_total", "counter", "Journal appends to the positions file (files opened, renamed, acknowledged).",
                a->positions_flushes);
        metric1(&w, "sluice_positions_save_errors_total", "counter", "Positions file writes that failed.",
                a->positions_save_errors);
        if (a->opts.promtail_metric_names)
                render_promtail_metrics(a, &w);
        render_stage_metrics(a, &w);
}

static bool render_ready(void *userdata, struct sl_buf *out) {
        struct sl_agent *a = userdata;
        if (a->ready) {
                sl_buf_printf(out, "ready\n");
                return true;
        }
        sl_buf_printf(out, a->stopping ? "shutting down\n" : "starting\n");
        return false;
}

static void render_status(void *userdata, struct sl_buf *out) {
        struct sl_agent *a = userdata;
        const struct sl_tailer_stats *ts = sl_tailer_stats(a->tailer);

        sl_buf_printf(out, "sluice %s\n\nstate: %s\nfiles followed: %zu\nlines read: %" PRIu64
                      "\nentries kept: %" PRIu64 "\nbuffered bytes: %" PRIu64 "\n\n",
                      SL_VERSION, a->ready ? "running" : (a->stopping ? "stopping" : "starting"),
                      sl_tailer_active_files(a->tailer), ts->lines_read, a->entries_kept,
                      held_bytes(a));
        for (size_t i = 0; i < a->n_clients; i++) {
                const struct sl_loki_client_stats *cs = sl_loki_client_stats(a->clients[i].loki);
                sl_buf_printf(out, "client %s: sent %" PRIu64 " entries, %zu batches pending, %" PRIu64
                              " retries\n", a->clients[i].config->display_url, cs->entries_sent,
                              sl_loki_client_queued(a->clients[i].loki), cs->retries);
        }
        sl_buf_printf(out, "\n/metrics  Prometheus metrics\n/ready    readiness\n");
}

/* ---- construction -------------------------------------------------------- */

static int setup_signals(struct sl_agent *a, struct sl_cfg_error *err) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* A closed pipe to a Loki connection is an error on that request, not a reason to die. */
        signal(SIGPIPE, SIG_IGN);
        a->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (a->signal_fd < 0) {
                snprintf(err->msg, sizeof(err->msg), "signalfd: %s", strerror(errno));
                return -errno;
        }
        r = sl_loop_add_fd(a->loop, a->signal_fd, EPOLLIN, on_signal, a);
        return r;
}

static void jobs_free(struct job *jobs, size_t n_jobs) {
        for (size_t i = 0; i < n_jobs; i++) {
                sl_push_server_free(jobs[i].receiver);
                sl_pipeline_free(jobs[i].pipeline);
        }
        free(jobs);
}

/* The jobs of @cfg with their compiled pipelines, and their targets (a
 * discovery, not started), into *@ret. Returns 0 or -errno with @err
 * filled (nothing kept). */
static int build_jobs(struct sl_agent *a, const struct sl_config *cfg, struct next_config *ret,
                      struct sl_cfg_error *err) {
        struct sl_discovery_hooks hooks = {
                .add_glob = discovery_add_glob,
                .remove_glob = discovery_remove_glob,
                .warn = discovery_warn,
                .userdata = a,
        };
        struct job *jobs = sl_xcalloc(cfg->n_scrape_configs ? cfg->n_scrape_configs : 1,
                                      sizeof(*jobs));
        _cleanup_free_ void **userdata = sl_xcalloc(cfg->n_scrape_configs + 1, sizeof(*userdata));
        struct sl_discovery *d = NULL;
        size_t n_jobs = 0;
        int r;

        for (size_t i = 0; i < cfg->n_scrape_configs; i++) {
                const struct sl_scrape_config *sc = &cfg->scrape_configs[i];
                struct job *job = &jobs[n_jobs];

                job->agent = a;
                job->config = sc;
                r = sl_stages_pipeline_new(sc->pipeline_stages,
                                           sc->pipeline_file ? sc->pipeline_file : cfg->file, err,
                                           &job->pipeline);
                if (r < 0) {
                        jobs_free(jobs, n_jobs);
                        return r;
                }
                sl_pipeline_set_sink(job->pipeline, on_released, job);
                userdata[i] = job;
                n_jobs++;
        }
        /* The targets (static ones at sl_discovery_start(), discovered ones
         * once the loop runs) reach the tailer through the hooks; each
         * target's job is its userdata. */
        r = sl_discovery_new(cfg, a->loop, &hooks, userdata, &d, err);
        if (r < 0) {
                jobs_free(jobs, n_jobs);
                return r;
        }
        ret->jobs = jobs;
        ret->n_jobs = n_jobs;
        ret->discovery = d;
        return 0;
}

/* tls_config's "TLS12" as the client wants it (12); NULL: 0. */
static int tls_version(const char *name) {
        return name && strlen(name) == 5 ? atoi(name + 3) : 0;
}

static void clients_free(struct client *clients, size_t n) {
        for (size_t i = 0; i < n; i++)
                client_release(&clients[i]);
        free(clients);
}

/* A client (batcher + Loki client on the loop) per client of @cfg, into
 * *@ret. Returns 0 or -errno with @err filled (nothing kept). */
static int build_clients(struct sl_agent *a, const struct sl_config *cfg, struct next_config *ret,
                         struct sl_cfg_error *err) {
        struct client *clients;
        size_t n_clients = 0;

        if (cfg->n_clients > MAX_CLIENTS) {
                snprintf(err->msg, sizeof(err->msg), "at most %d clients are supported", MAX_CLIENTS);
                return -EINVAL;
        }
        clients = sl_xcalloc(cfg->n_clients ? cfg->n_clients : 1, sizeof(*clients));
        for (size_t i = 0; i < cfg->n_clients; i++) {
                const struct sl_client_config *cc = &cfg->clients[i];
                struct client *c = &clients[i];
                struct sl_batcher_options bo;
                struct sl_loki_client_options lo;
                struct sl_kvs headers;
                char **proxy_headers;

                c->agent = a;
                c->index = (unsigned)i;
                c->config = cc;
                sl_kvs_init(&c->external_labels);
                sl_u64map_init(&c->acked);
                for (size_t k = 0; k < cc->n_external_labels; k++)
                        sl_kvs_set(&c->external_labels, sl_str_c(cc->external_labels[k].name),
                                   sl_str_c(cc->external_labels[k].value));
                bo = (struct sl_batcher_options){
                        .batchsize = cc->batchsize,
                        .batchwait_ns = cc->batchwait_ns,
                        .external_labels = &c->external_labels,
                        .max_line_size = cfg->limits.max_line_size,
                        .truncate = cfg->limits.max_line_size_truncate,
                        .label_limits = { cfg->limits.max_label_names, cfg->limits.max_label_name_length,
                                          cfg->limits.max_label_value_length },
                        .drop_over_label_limits = cfg->limits.drop_over_label_limits,
                        .max_streams = cfg->limits.max_streams,
                };
                c->batcher = sl_batcher_new(&bo);
                lo = (struct sl_loki_client_options){
                        .url = cc->url,
                        .tenant_id = cc->tenant_id,
                        .user_agent = "sluice/" SL_VERSION,
                        .timeout_ns = cc->timeout_ns,
                        .backoff_min_ns = cc->backoff_min_ns,
                        .backoff_max_ns = cc->backoff_max_ns,
                        .max_retries = cc->max_retries,
                        .headers = &headers,
                        .drop_rate_limited = cc->drop_rate_limited_batches,
                        .tls = { .ca_file = cc->tls.ca_file, .ca = cc->tls.ca,
                                 .cert_file = cc->tls.cert_file, .cert = cc->tls.cert,
                                 .key_file = cc->tls.key_file, .key = cc->tls.key,
                                 .insecure_skip_verify = cc->tls.insecure_skip_verify,
                                 .min_version = tls_version(cc->tls.min_version),
                                 .max_version = tls_version(cc->tls.max_version) },
                        .auth = { .basic = cc->auth.basic, .username = cc->auth.username,
                                  .username_file = cc->auth.username_file,
                                  .password = cc->auth.password,
                                  .password_file = cc->auth.password_file,
                                  .type = cc->auth.type, .credentials = cc->auth.credentials,
                                  .credentials_file = cc->auth.credentials_file },
                        .proxy = { .url = cc->proxy.url, .no_proxy = cc->proxy.no_proxy,
                                   .from_environment = cc->proxy.from_environment,
                                   .connect_headers = NULL },
                };
                sl_kvs_init(&headers);
                for (size_t k = 0; k < cc->n_headers; k++)
                        sl_kvs_set(&headers, sl_str_c(cc->headers[k].name),
                                   sl_str_c(cc->headers[k].value));
                proxy_headers = sl_xcalloc(cc->proxy.n_connect_headers + 1,
                                           sizeof(*proxy_headers));
                for (size_t k = 0; k < cc->proxy.n_connect_headers; k++)
                        proxy_headers[k] = sl_xasprintf("%s: %s",
                                                        cc->proxy.connect_headers[k].name,
                                                        cc->proxy.connect_headers[k].value);
                lo.proxy.connect_headers = (const char *const *)proxy_headers;
                c->loki = sl_loki_client_new(a->loop, &lo, on_push_done, c);
                if (c->loki)
                        sl_loki_client_set_retry_cb(c->loki, on_push_retry, c);
                sl_kvs_release(&headers);
                for (size_t k = 0; k < cc->proxy.n_connect_headers; k++)
                        free(proxy_headers[k]);
                free(proxy_headers);
                if (!c->loki) {
                        snprintf(err->msg, sizeof(err->msg), "cannot create the HTTP client for %s",
                                 cc->display_url);
                        clients_free(clients, n_clients + 1);
                        return -ENOMEM;
                }
                sl_timer_init(&c->batch_timer, on_batch_deadline, c);
                n_clients++;
        }
        ret->clients = clients;
        ret->n_clients = n_clients;
        return 0;
}

/* Makes what @next holds (built from a config) the agent's. */
static void take_jobs_and_clients(struct sl_agent *a, struct next_config *next) {
        a->jobs = next->jobs;
        a->n_jobs = next->n_jobs;
        a->discovery = next->discovery;
        a->clients = next->clients;
        a->n_clients = next->n_clients;
        next->jobs = NULL;
        next->discovery = NULL;
        next->clients = NULL;
        next->n_jobs = next->n_clients = 0;
}

int sl_agent_new(struct sl_config *config, const struct sl_agent_options *opts,
                 struct sl_cfg_error *err, struct sl_agent **ret) {
        _cleanup_(sl_agent_freep) struct sl_agent *a = NULL;
        struct sl_tailer_options to;
        int r;

        a = sl_xnew(struct sl_agent);
        a->config = config;
        a->last_reload_ok_wall_ns = sl_wall_ns();
        a->opts = *opts;
        a->readline_limit = config->limits.readline_rate_enabled;
        a->signal_fd = -1;
        a->pace_allowance = UINT64_MAX;
        sl_entry_init(&a->entry);
        sl_label_set_init(&a->push_labels);
        sl_u64map_init(&a->held_index);
        sl_buf_init(&a->scratch, 64u << 20);

        a->loop = sl_loop_new();
        if (!a->loop) {
                snprintf(err->msg, sizeof(err->msg), "epoll_create: %s", strerror(errno));
                return -errno;
        }

        a->positions = sl_positions_new(config->positions.filename);
        if (!opts->dry_run) {
                r = sl_positions_load(a->positions);
                if (r < 0 && !config->positions.ignore_invalid) {
                        snprintf(err->file, sizeof(err->file), "%s", config->positions.filename);
                        snprintf(err->msg, sizeof(err->msg),
                                 "positions file is unreadable (%s); fix or remove it, or set positions.ignore_invalid_yaml: true to start over",
                                 r == -EBADMSG ? sl_positions_error(a->positions) : strerror(-r));
                        return r;
                }
                if (r < 0) {
                        sl_log_warn("positions file is unreadable; starting over as configured",
                                    "file=\"%s\"", config->positions.filename);
                        sl_positions_free(a->positions);
                        a->positions = sl_positions_new(config->positions.filename);
                }
        }

        to = (struct sl_tailer_options){
                .read_size = 256u << 10,
                .max_line_size = 1u << 20,
                .poll = config->target.poll,
                .rotated_suffixes = (const char *const *)config->target.rotated_suffixes,
                .read_rotated_at_first_start = config->target.read_rotated_at_first_start,
        };
        /* Lines are read whole up to the larger of 1 MiB and Loki's limit,
         * so the limit (truncate or drop) is applied to the whole line. */
        if (config->limits.max_line_size > to.max_line_size)
                to.max_line_size = (size_t)config->limits.max_line_size;
        a->tailer = sl_tailer_new(&to, a->positions);
        sl_tailer_set_release_cb(a->tailer, on_file_released, a);
        sl_tailer_set_lost_cb(a->tailer, on_file_lost, a);
        sl_tailer_set_target_cb(a->tailer, file_target, a);
        sl_tailer_set_retarget_cb(a->tailer, file_retarget, a);

        r = build_jobs(a, config, &a->next, err);
        if (r < 0)
                return r;
        if (!opts->dry_run) {
                r = build_clients(a, config, &a->next, err);
                if (r < 0)
                        return r;
        }
        take_jobs_and_clients(a, &a->next);
        r = open_receivers(a, a->jobs, a->n_jobs, NULL, 0, err);
        if (r < 0)
                return r;
        r = setup_signals(a, err);
        if (r < 0)
                return r;

        if (!config->server.disable && !opts->dry_run) {
                struct sl_http_handlers h = {
                        .metrics = render_metrics,
                        .ready = render_ready,
                        .status = render_status,
                        .reload = config->server.enable_runtime_reload ? on_http_reload : NULL,
                        .userdata = a,
                };
                r = sl_http_server_new(a->loop, config->server.listen_address,
                                       config->server.listen_port, &h, &a->http);
                if (r < 0) {
                        snprintf(err->msg, sizeof(err->msg), "cannot listen on %s:%u: %s",
                                 config->server.listen_address, config->server.listen_port,
                                 strerror(-r));
                        return r;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int sl_agent_run(struct sl_agent *a) {
        uint64_t deadline;
        int r, fd;

        /* Discovered targets are known before the first scan, so the
         * rotation chain walk at the start covers their files too. */
        sl_discovery_start(a->discovery);
        deadline = sl_now_ns() + DISCOVERY_WAIT_NS;
        while (!sl_discovery_synced(a->discovery) && !sl_loop_stopped(a->loop) &&
               sl_now_ns() < deadline) {
                r = sl_loop_run_once(a->loop, deadline - sl_now_ns());
                if (r < 0)
                        break;
        }
        if (!sl_discovery_synced(a->discovery))
                sl_log_warn("discovery has not answered yet; starting with the targets known",
                            "waited_ms=%" PRIu64, (uint64_t)(DISCOVERY_WAIT_NS / SL_NSEC_PER_MSEC));
        r = sl_tailer_scan(a->tailer);
        if (r < 0)
                sl_log_warn("initial scan failed, will retry", "error=\"%s\"", strerror(-r));
        /* The files found are on disk before any of their lines is read. */
        flush_positions(a);
        fd = sl_tailer_fd(a->tailer);
        if (fd >= 0) {
                r = sl_loop_add_fd(a->loop, fd, EPOLLIN, on_inotify, a);
                if (r < 0) {
                        sl_log_error("cannot watch inotify descriptor", "error=\"%s\"", strerror(-r));
                        return 1;
                }
        }
        a->logged_mode = SL_TAILER_INOTIFY;
        check_tailer_mode(a);
        timers_start(a);
        sl_loop_set_busy(a->loop, is_busy, a);
        a->ready = true;
        if (a->http)
                sl_log_info("sluice started", "version=%s files=%zu clients=%zu http_port=%u",
                            SL_VERSION, sl_tailer_active_files(a->tailer), a->n_clients,
                            sl_http_server_port(a->http));
        else
                sl_log_info("sluice started", "version=%s files=%zu clients=%zu", SL_VERSION,
                            sl_tailer_active_files(a->tailer), a->n_clients);

        log_receivers(a);
        while (!sl_loop_stopped(a->loop)) {
                r = sl_loop_run_once(a->loop, SL_TIME_INFINITY);
                if (r < 0) {
                        sl_log_error("event loop failed", "error=\"%s\"", strerror(-r));
                        a->exit_code = 1;
                        break;
                }
                if (a->next.pending && (a->next.deadline_passed || clients_idle(a)))
                        finish_reload(a);
                if (!a->stopping && !a->next.pending && has_room(a)) {
                        /* One clock read per read round (at most READ_BUDGET
                         * bytes, a few ms), not one per line. */
                        a->read_now_ns = sl_now_ns();
                        if (rate_allows_read(a, a->read_now_ns) &&
                            pace_allows_read(a, a->read_now_ns)) {
                                sl_tailer_read(a->tailer, read_budget(a, a->read_now_ns),
                                               on_line, a);
                                arm_stage_timer(a);
                        }
                }
                flush_positions(a);
                if (a->opts.dry_run)
                        fflush(stdout);
        }
        if (a->opts.dry_run)
                fflush(stdout);

        save_positions(a);
        sl_log_info("sluice stopped", "entries=%" PRIu64 " positions=\"%s\"", a->entries_kept,
                    a->config->positions.filename);
        return a->exit_code;
}

static void client_release(struct client *c) {
        if (c->agent && c->agent->loop)
                sl_loop_timer_disarm(c->agent->loop, &c->batch_timer);
        sl_loki_client_free(c->loki);
        sl_batcher_free(c->batcher);
        sl_kvs_release(&c->external_labels);
        sl_u64map_release(&c->acked);
}

void sl_agent_free(struct sl_agent *a) {
        if (!a)
                return;
        sl_http_server_free(a->http);
        /* The receivers go first: pushes still waiting are answered 503. */
        for (size_t i = 0; i < a->n_jobs; i++)
                sl_push_server_free(TAKE_PTR(a->jobs[i].receiver));
        for (size_t i = 0; i < a->next.n_jobs; i++)
                sl_push_server_free(TAKE_PTR(a->next.jobs[i].receiver));
        clients_free(a->clients, a->n_clients);
        clients_free(a->next.clients, a->next.n_clients);
        /* The tailer's files borrow discovery's targets: tailer first. */
        sl_tailer_free(a->tailer);
        sl_discovery_free(a->discovery);
        sl_discovery_free(a->next.discovery);
        jobs_free(a->jobs, a->n_jobs);
        jobs_free(a->next.jobs, a->next.n_jobs);
        sl_config_free(a->next.config);
        sl_positions_free(a->positions);
        if (a->signal_fd >= 0) {
                if (a->loop)
                        sl_loop_del_fd(a->loop, a->signal_fd);
                close(a->signal_fd);
        }
        sl_loop_free(a->loop);
        sl_entry_release(&a->entry);
        sl_label_set_release(&a->push_labels);
        free(a->held);
        sl_u64map_release(&a->held_index);
        sl_buf_release(&a->scratch);
        sl_config_free(a->config);
        free(a);
}
