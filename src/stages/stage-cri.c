/* stage-cri.c - the `cri` stage: reads the CRI log format (containerd,
 * CRI-O: /var/log/pods/...) and joins partial lines.
 *
 * A CRI line is `<time> <stream> <flags> <content>`: time (RFC 3339 with
 * nanoseconds), stream (stdout or stderr), flags (F for a full line, P for
 * a partial one: the runtime split a long line) and the content, up to the
 * end of the line. As Promtail's (a regex, then labels, timestamp and
 * output), the stage extracts `time`, `stream`, `flags` and `content`, sets
 * the label `stream`, the entry's time (unchanged when unreadable) and the
 * line to the content. A line of another form goes on as it came.
 *
 * Partial lines: a P line is held, and the next P lines of the same stream
 * (source and label set, as Promtail keys it by label set) are joined to
 * it, until an F line of that stream completes it: the F line goes on with
 * the joined text, its own time and labels. Keys (Promtail's):
 * `max_partial_lines` (default 100): most streams holding partial lines;
 * when a P line comes with that many held, all of them are released as
 * they are and the P line starts anew. `max_partial_line_size` and
 * `max_partial_line_size_truncate`: with truncate, held and joined text is
 * cut to that many bytes.
 *
 * Where sluice differs, deliberately: a held partial line whose end does
 * not come is released after 5 s (Promtail keeps it until a line of its
 * stream comes), so that its file's position can move on; joined text is
 * capped at 1 MiB (past it, what is held is released and the piece starts
 * anew); `max_partial_line_size: 0` with truncate means no limit (Promtail
 * cuts lines to nothing); held lines of a file that is gone are released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "base/xalloc.h"
#include "stages/held.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"
#include "stages/time-parse.h"

#define DEFAULT_MAX_PARTIAL_LINES 100
/* Most bytes of joined partial lines held for one stream. */
#define TEXT_CAP (1024 * 1024)
/* Room over the cap for the piece that crosses it. */
#define TEXT_SLACK (256 * 1024)
/* A partial line held this long without its end is released. */
#define MAX_WAIT_NS (5 * SL_NSEC_PER_SEC)

struct cri_ctx {
        uint64_t max_partial_lines;      /* most streams holding partial lines */
        uint64_t max_partial_line_size;  /* with truncate: bytes kept; 0: no limit */
        bool truncate;                   /* max_partial_line_size_truncate */
        struct sl_held_set held;         /* streams holding partial lines */
        uint64_t next_deadline;          /* a lower bound of the earliest release
                                          * time; UINT64_MAX: nothing held */
        const struct sl_stage_emitter *em; /* borrowed: where released lines go */
};

/* RE2's \s: the bytes \S does not match. */
static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

struct cri_line {
        struct sl_str time, stream, flags, content;
};

/* Promtail's `^(?s)(?P<time>\S+?) (?P<stream>stdout|stderr) (?P<flags>\S+?)
 * (?P<content>.*)$`, read by hand: false when the line is not of that form. */
static bool parse_cri(struct sl_str line, struct cri_line *ret) {
        const char *p = line.ptr, *end = line.ptr + line.len, *start;

        if (!p)
                return false;
        for (start = p; p < end && !is_space(*p); p++)
                ;
        if (p == start || p >= end || *p != ' ')
                return false;
        ret->time = sl_str_from(start, (size_t)(p - start));
        p++;
        if (end - p < 7 || (memcmp(p, "stdout ", 7) != 0 && memcmp(p, "stderr ", 7) != 0))
                return false;
        ret->stream = sl_str_from(p, 6);
        p += 7;
        for (start = p; p < end && !is_space(*p); p++)
                ;
        if (p == start || p >= end || *p != ' ')
                return false;
        ret->flags = sl_str_from(start, (size_t)(p - start));
        p++;
        ret->content = sl_str_from(p, (size_t)(end - p));
        return true;
}

/* Cuts @len to max_partial_line_size when truncating. */
static size_t truncated(const struct cri_ctx *ctx, size_t len) {
        if (ctx->truncate && ctx->max_partial_line_size && len > ctx->max_partial_line_size)
                return (size_t)ctx->max_partial_line_size;
        return len;
}

/* Releases @h, already detached: through the stages after this one. */
static void release(struct cri_ctx *ctx, struct sl_held *h) {
        if (ctx->em)
                sl_stage_emit(ctx->em, sl_held_entry(h));
        sl_held_free(h);
}

/* Detaches every stream into @out (at least ctx->held.n items). */
static size_t detach_all(struct cri_ctx *ctx, struct sl_held **out) {
        size_t n = 0;

        while (ctx->held.n) {
                struct sl_held *h = ctx->held.items[0];
                sl_held_detach(&ctx->held, h);
                out[n++] = h;
        }
        return n;
}

/* Holds @e, a partial line, as a new stream (its text: the content). */
static struct sl_held *hold_new(struct cri_ctx *ctx, struct sl_entry *e, uint64_t hash) {
        struct sl_held *h = sl_held_add(&ctx->held, e->source_id, hash, TEXT_CAP + TEXT_SLACK);

        sl_entry_copy(&h->entry, e);
        (void)sl_buf_append(&h->text, e->line.ptr, truncated(ctx, e->line.len));
        h->lines = 1;
        h->offset = e->offset;
        h->end_offset = e->end_offset;
        h->last_ns = e->read_ns;
        if (e->read_ns + MAX_WAIT_NS < ctx->next_deadline)
                ctx->next_deadline = e->read_ns + MAX_WAIT_NS;
        return h;
}

static int hold_partial(struct cri_ctx *ctx, struct sl_entry *e) {
        uint64_t hash = sl_held_labels_hash(&e->labels);
        struct sl_held *h, *out;

        if (ctx->held.n >= ctx->max_partial_lines) {
                /* Promtail's bound: everything held goes as it is. */
                struct sl_held **all = sl_xcalloc(ctx->held.n, sizeof(*all));
                size_t n = detach_all(ctx, all);

                hold_new(ctx, e, hash);
                for (size_t i = 0; i < n; i++)
                        release(ctx, all[i]);
                free(all);
                return SL_STAGE_HOLD;
        }
        h = sl_held_find(&ctx->held, e->source_id, &e->labels, hash);
        if (!h) {
                hold_new(ctx, e, hash);
                return SL_STAGE_HOLD;
        }
        if (h->text.len + e->line.len > TEXT_CAP) {
                /* Too long to join further: what is held goes, this piece
                 * starts anew. */
                out = h;
                sl_held_detach(&ctx->held, out);
                hold_new(ctx, e, hash);
                release(ctx, out);
                return SL_STAGE_HOLD;
        }
        /* The stream keeps the latest piece's entry (time, values) with the
         * text joined so far. */
        sl_entry_copy(&h->entry, e);
        (void)sl_buf_append(&h->text, e->line.ptr, e->line.len);
        if (h->text.data && truncated(ctx, h->text.len) < h->text.len) {
                h->text.len = truncated(ctx, h->text.len);
                h->text.data[h->text.len] = '\0';
        }
        h->lines++;
        h->end_offset = e->end_offset;
        h->last_ns = e->read_ns;
        return SL_STAGE_HOLD;
}

static int cri_process(void *userdata, struct sl_entry *e) {
        struct cri_ctx *ctx = userdata;
        struct cri_line cl;
        struct sl_held *h;
        int64_t ts;
        char *joined;
        size_t len;

        if (parse_cri(e->line, &cl)) {
                sl_kvs_set(&e->extracted, SL_STR_LIT("time"), cl.time);
                sl_kvs_set(&e->extracted, SL_STR_LIT("stream"), cl.stream);
                sl_kvs_set(&e->extracted, SL_STR_LIT("flags"), cl.flags);
                sl_kvs_set(&e->extracted, SL_STR_LIT("content"), cl.content);
                sl_kvs_set(&e->labels, SL_STR_LIT("stream"), cl.stream);
                if (sl_time_parse_rfc3339(cl.time, &ts) == 0)
                        e->ts_ns = ts;
                e->line = cl.content;
                if (sl_str_eq_c(cl.flags, "P"))
                        return hold_partial(ctx, e);
        }
        /* A full line (or one of another form, as in Promtail): the end of
         * its stream's partial lines, if any. */
        if (ctx->held.n == 0)
                return SL_STAGE_KEEP;
        h = sl_held_find(&ctx->held, e->source_id, &e->labels, sl_held_labels_hash(&e->labels));
        if (!h)
                return SL_STAGE_KEEP;
        sl_held_detach(&ctx->held, h);
        len = truncated(ctx, h->text.len + e->line.len);
        joined = sl_arena_alloc(&e->arena, h->text.len + e->line.len + 1);
        if (h->text.len)
                memcpy(joined, h->text.data, h->text.len);
        if (e->line.len)
                memcpy(joined + h->text.len, e->line.ptr, e->line.len);
        e->line = sl_str_from(joined, len);
        e->offset = h->offset;
        sl_held_free(h);
        return SL_STAGE_KEEP;
}

static bool cri_held_from(void *userdata, uint64_t source_id, uint64_t *ret_offset) {
        struct cri_ctx *ctx = userdata;
        uint64_t low = UINT64_MAX;

        for (struct sl_held *h = sl_held_first_of(&ctx->held, source_id); h; h = h->next_of_source)
                if (h->offset < low)
                        low = h->offset;
        if (low == UINT64_MAX)
                return false;
        *ret_offset = low;
        return true;
}

static uint64_t cri_deadline(void *userdata) {
        struct cri_ctx *ctx = userdata;

        return ctx->held.n ? ctx->next_deadline : UINT64_MAX;
}

static void cri_flush(void *userdata, uint64_t now_ns, bool all) {
        struct cri_ctx *ctx = userdata;
        struct sl_held **due;
        size_t n = 0;

        if (ctx->held.n == 0)
                return;
        due = sl_xcalloc(ctx->held.n, sizeof(*due));
        ctx->next_deadline = UINT64_MAX;
        for (size_t i = 0; i < ctx->held.n;) {
                struct sl_held *h = ctx->held.items[i];
                uint64_t deadline = h->last_ns + MAX_WAIT_NS;

                if (all || deadline <= now_ns) {
                        sl_held_detach(&ctx->held, h);
                        due[n++] = h;
                        continue;
                }
                if (deadline < ctx->next_deadline)
                        ctx->next_deadline = deadline;
                i++;
        }
        for (size_t i = 0; i < n; i++)
                release(ctx, due[i]);
        free(due);
}

static void cri_forget(void *userdata, uint64_t source_id) {
        struct cri_ctx *ctx = userdata;
        struct sl_held *h;

        while ((h = sl_held_first_of(&ctx->held, source_id))) {
                sl_held_detach(&ctx->held, h);
                release(ctx, h);
        }
}

static void cri_bind(void *userdata, const struct sl_stage_emitter *em) {
        struct cri_ctx *ctx = userdata;

        ctx->em = em;
}

static void cri_destroy(void *userdata) {
        struct cri_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_held_set_release(&ctx->held);
        free(ctx);
}

static inline void cri_destroyp(struct cri_ctx **p) {
        cri_destroy(*p);
}

static int cri_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                      void **ret_ctx) {
        _cleanup_(cri_destroyp) struct cri_ctx *ctx = sl_xnew(struct cri_ctx);
        int64_t lines = 0;
        char key[160];
        int r;

        sl_held_set_init(&ctx->held);
        ctx->next_deadline = UINT64_MAX;
        r = sl_yaml_as_int(sl_yaml_get(node, "max_partial_lines"),
                           sl_stage_key(key, sizeof(key), path, "max_partial_lines"), 0, INT32_MAX,
                           &lines, err);
        if (r < 0)
                return r;
        /* 0 (or absent) is Promtail's default. */
        ctx->max_partial_lines = lines ? (uint64_t)lines : DEFAULT_MAX_PARTIAL_LINES;
        r = sl_stage_get_size(node, path, "max_partial_line_size", &ctx->max_partial_line_size, err);
        if (r < 0)
                return r;
        r = sl_stage_get_bool(node, path, "max_partial_line_size_truncate", &ctx->truncate, err);
        if (r < 0)
                return r;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const cri_keys[] = { "max_partial_lines", "max_partial_line_size",
                                        "max_partial_line_size_truncate", NULL };

const struct sl_stage_type sl_stage_cri = {
        .name = "cri",
        .help = "read CRI lines (time stream flags content): content -> line, time -> timestamp, "
                "stream -> label; partial (P) lines joined",
        .keys = cri_keys,
        .create = cri_create,
        .process = cri_process,
        .forget = cri_forget,
        .destroy = cri_destroy,
        .bind = cri_bind,
        .held_from = cri_held_from,
        .deadline = cri_deadline,
        .flush = cri_flush,
};
