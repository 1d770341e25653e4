/* stage-multiline.c - the `multiline` stage: joins the lines of a block
 * (a stack trace after its first line) into one entry.
 *
 * Keys (Promtail's): `firstline` (required: a Go RE2 regex; a line it
 * matches starts a block), `max_wait_time` (default 3s: a block that gets
 * no new line for that long is released) and `max_lines` (default 128: a
 * block is released once it has that many lines; 0: no limit).
 *
 * As Promtail's, per stream (source and label set): lines pass through
 * unchanged until the stream's first `firstline` match; from then on every
 * line is held, joined to the block with "\n", and a first line releases
 * the block before it and starts the next. A released block has the time,
 * labels and extracted values of the block's first line: of the last first
 * line seen, for lines that come after a block was released by max_lines
 * or the wait (Promtail keeps that entry too).
 *
 * A held block is released by the next first line, by max_lines, by the
 * pipeline's timer once max_wait_time has passed since its last line (the
 * wait is measured with the entries' read_ns), at shutdown, and when its
 * file is gone. While a block is held, held_from() keeps its file's
 * position at the block's first line, so a restart reads it again.
 *
 * Where sluice differs, deliberately: a block is capped at 1 MiB (past
 * it, the block is released and the line starts the next); a line longer
 * than that on its own goes on as it is; a block does not continue across
 * files (a rotation ends it, as the file is gone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/held.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define DEFAULT_MAX_WAIT_NS (3 * SL_NSEC_PER_SEC)
#define DEFAULT_MAX_LINES 128
/* Most bytes of a block. */
#define TEXT_CAP (1024 * 1024)
/* A released block's buffer larger than this is given back. */
#define TEXT_KEEP (64 * 1024)

struct multiline_ctx {
        struct sl_go_regex *firstline;   /* owned */
        uint64_t max_wait_ns;            /* max_wait_time */
        uint64_t max_lines;              /* 0: no limit */
        struct sl_held_set streams;      /* streams past their first first line */
        uint64_t next_deadline;          /* a lower bound of the earliest release */
        const struct sl_stage_emitter *em; /* borrowed: where blocks go */
        /* Blocks on their way out, taken from their stream before they are
         * released (so the stream already holds what comes next). */
        struct sl_entry out[2];          /* owned */
        struct sl_buf out_text[2];       /* owned */
        unsigned n_out;                  /* blocks taken, not released yet */
};

/* Takes @h's block out into the next out slot; @h keeps its first line's
 * entry (Promtail's) and holds no block. */
static void take_block(struct multiline_ctx *ctx, struct sl_held *h) {
        unsigned i = ctx->n_out++;
        struct sl_buf t = ctx->out_text[i];
        struct sl_entry *e = &ctx->out[i];

        ctx->out_text[i] = h->text;
        h->text = t;
        sl_buf_reset(&h->text);
        sl_entry_copy(e, &h->entry);
        e->line = sl_buf_str(&ctx->out_text[i]);
        e->offset = h->offset;
        e->end_offset = h->end_offset;
        h->lines = 0;
}

/* Releases the blocks taken, in order. */
static void release_taken(struct multiline_ctx *ctx) {
        for (unsigned i = 0; i < ctx->n_out; i++) {
                if (ctx->em)
                        sl_stage_emit(ctx->em, &ctx->out[i]);
                sl_entry_reset(&ctx->out[i]);
                if (ctx->out_text[i].size > TEXT_KEEP) {
                        size_t cap = ctx->out_text[i].cap;
                        sl_buf_release(&ctx->out_text[i]);
                        sl_buf_init(&ctx->out_text[i], cap);
                } else {
                        sl_buf_reset(&ctx->out_text[i]);
                }
        }
        ctx->n_out = 0;
}

/* Joins @e's line to @h's block. */
static void append(struct multiline_ctx *ctx, struct sl_held *h, const struct sl_entry *e) {
        if (h->lines == 0)
                h->offset = e->offset;
        if (h->text.len > 0)
                (void)sl_buf_putc(&h->text, '\n');
        (void)sl_buf_append(&h->text, e->line.ptr, e->line.len);
        h->lines++;
        h->end_offset = e->end_offset;
        h->last_ns = e->read_ns;
        if (e->read_ns + ctx->max_wait_ns < ctx->next_deadline)
                ctx->next_deadline = e->read_ns + ctx->max_wait_ns;
}

static int multiline_process(void *userdata, struct sl_entry *e) {
        struct multiline_ctx *ctx = userdata;
        uint64_t hash = sl_held_labels_hash(&e->labels);
        struct sl_held *h = sl_held_find(&ctx->streams, e->source_id, &e->labels, hash);
        bool first = sl_go_regex_matches(ctx->firstline, e->line);

        if (!h) {
                if (!first)
                        return SL_STAGE_KEEP; /* before the stream's first block */
                h = sl_held_add(&ctx->streams, e->source_id, hash, TEXT_CAP + 1);
        }
        if (first) {
                if (h->lines)
                        take_block(ctx, h);
                sl_entry_copy(&h->entry, e);
        }
        if (e->line.len > TEXT_CAP) {
                /* Too long to hold: the block goes, the line as it is. */
                if (h->lines)
                        take_block(ctx, h);
                release_taken(ctx);
                return SL_STAGE_KEEP;
        }
        if (h->lines && h->text.len + 1 + e->line.len > TEXT_CAP)
                take_block(ctx, h);
        append(ctx, h, e);
        if (h->lines == ctx->max_lines)
                take_block(ctx, h);
        release_taken(ctx);
        return SL_STAGE_HOLD;
}

static bool multiline_held_from(void *userdata, uint64_t source_id, uint64_t *ret_offset) {
        struct multiline_ctx *ctx = userdata;
        uint64_t low = UINT64_MAX;
        bool held = false;

        for (struct sl_held *h = sl_held_first_of(&ctx->streams, source_id); h;
             h = h->next_of_source)
                if (h->lines && h->offset <= low) {
                        low = h->offset;
                        held = true;
                }
        if (held)
                *ret_offset = low;
        return held;
}

static uint64_t multiline_deadline(void *userdata) {
        struct multiline_ctx *ctx = userdata;

        return ctx->next_deadline;
}

static void multiline_flush(void *userdata, uint64_t now_ns, bool all) {
        struct multiline_ctx *ctx = userdata;

        ctx->next_deadline = UINT64_MAX;
        for (size_t i = 0; i < ctx->streams.n; i++) {
                struct sl_held *h = ctx->streams.items[i];
                uint64_t deadline = h->last_ns + ctx->max_wait_ns;

                if (!h->lines)
                        continue;
                if (all || deadline <= now_ns) {
                        /* Released one at a time: the stages after this one
                         * do not reach back into it. */
                        take_block(ctx, h);
                        release_taken(ctx);
                } else if (deadline < ctx->next_deadline) {
                        ctx->next_deadline = deadline;
                }
        }
}

static void multiline_forget(void *userdata, uint64_t source_id) {
        struct multiline_ctx *ctx = userdata;
        struct sl_held *h;

        while ((h = sl_held_first_of(&ctx->streams, source_id))) {
                sl_held_detach(&ctx->streams, h);
                if (h->lines) {
                        take_block(ctx, h);
                        release_taken(ctx);
                }
                sl_held_free(h);
        }
}

static void multiline_bind(void *userdata, const struct sl_stage_emitter *em) {
        struct multiline_ctx *ctx = userdata;

        ctx->em = em;
}

static void multiline_destroy(void *userdata) {
        struct multiline_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_go_regex_free(ctx->firstline);
        sl_held_set_release(&ctx->streams);
        for (unsigned i = 0; i < SL_ARRAY_SIZE(ctx->out); i++) {
                sl_entry_release(&ctx->out[i]);
                sl_buf_release(&ctx->out_text[i]);
        }
        free(ctx);
}

static inline void multiline_destroyp(struct multiline_ctx **p) {
        multiline_destroy(*p);
}

static int multiline_create(const struct sl_yaml_node *node, const char *path,
                            struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(multiline_destroyp) struct multiline_ctx *ctx = sl_xnew(struct multiline_ctx);
        _cleanup_free_ char *firstline = NULL;
        int64_t max_lines = DEFAULT_MAX_LINES;
        char key[160];
        int r;

        sl_held_set_init(&ctx->streams);
        for (unsigned i = 0; i < SL_ARRAY_SIZE(ctx->out); i++) {
                sl_entry_init_sized(&ctx->out[i], 1024);
                sl_buf_init(&ctx->out_text[i], TEXT_CAP + 1);
        }
        ctx->next_deadline = UINT64_MAX;
        ctx->max_wait_ns = DEFAULT_MAX_WAIT_NS;
        r = sl_stage_get_string(node, path, "firstline", &firstline, err);
        if (r < 0)
                return r;
        if (!firstline)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "firstline"),
                                        "required: the regular expression a block's first line matches");
        r = sl_stage_compile_regex(sl_yaml_get(node, "firstline"), path, "firstline", firstline,
                                   &ctx->firstline, err);
        if (r < 0)
                return r;
        r = sl_stage_get_duration(node, path, "max_wait_time", &ctx->max_wait_ns, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "max_lines"),
                           sl_stage_key(key, sizeof(key), path, "max_lines"), 0, INT64_MAX,
                           &max_lines, err);
        if (r < 0)
                return r;
        ctx->max_lines = (uint64_t)max_lines;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const multiline_keys[] = { "firstline", "max_wait_time", "max_lines", NULL };

const struct sl_stage_type sl_stage_multiline = {
        .name = "multiline",
        .help = "join the lines of a block (a stack trace) that starts with a line matching firstline",
        .keys = multiline_keys,
        .create = multiline_create,
        .process = multiline_process,
        .forget = multiline_forget,
        .destroy = multiline_destroy,
        .bind = multiline_bind,
        .held_from = multiline_held_from,
        .deadline = multiline_deadline,
        .flush = multiline_flush,
};
