/* stage-pack.c - the `pack` stage: wraps the line and some values into a
 * JSON object, so they can leave the stream labels.
 *
 * Keys (as Promtail's): `labels` (the names to embed) and
 * `ingest_timestamp` (default true: the entry's time becomes the time it
 * is packed, so entries of streams merged by dropping labels stay in
 * order). Each name found among the extracted values (which hold the
 * labels too, see pipeline.h) is embedded and removed from the labels. The
 * line becomes Promtail's exact JSON: the embedded names sorted, then
 * "_entry" with the line, every string written as Go's json.Marshal
 * writes it: {"app":"loki","level":"info","_entry":"the line"}.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "stages/go-template.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct pack_ctx {
        struct sl_stage_names *labels; /* owned, sorted by name; may be NULL (none) */
        bool ingest_timestamp;         /* set the time to now */
        struct sl_buf out;             /* owned: the packed line, reused */
};

static int pack_process(void *userdata, struct sl_entry *e) {
        struct pack_ctx *ctx = userdata;
        size_t n = ctx->labels ? ctx->labels->n : 0, written = 0;
        int r = 0;

        sl_buf_reset(&ctx->out);
        r = sl_buf_putc(&ctx->out, '{');
        for (size_t i = 0; i < n && r == 0; i++) {
                struct sl_str name = ctx->labels->slices[i];
                const struct sl_str *v = sl_kvs_get(&e->extracted, name);
                if (!v)
                        continue;
                if (written++)
                        sl_buf_putc(&ctx->out, ',');
                sl_go_json_string(name, &ctx->out);
                sl_buf_putc(&ctx->out, ':');
                sl_go_json_string(*v, &ctx->out);
                sl_kvs_del(&e->labels, name);
        }
        if (written)
                sl_buf_putc(&ctx->out, ',');
        sl_buf_append(&ctx->out, "\"_entry\":", 9);
        sl_go_json_string(e->line, &ctx->out);
        r = sl_buf_putc(&ctx->out, '}');
        if (r < 0)
                return r;
        e->line = sl_arena_strdup(&e->arena, sl_buf_str(&ctx->out));
        if (ctx->ingest_timestamp)
                e->ts_ns = sl_wall_ns();
        return SL_STAGE_KEEP;
}

static void pack_destroy(void *userdata) {
        struct pack_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_stage_names_free(ctx->labels);
        sl_buf_release(&ctx->out);
        free(ctx);
}

static inline void pack_destroyp(struct pack_ctx **p) {
        pack_destroy(*p);
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pack_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx) {
        _cleanup_(pack_destroyp) struct pack_ctx *ctx = sl_xnew(struct pack_ctx);
        const struct sl_yaml_node *labels = sl_yaml_get(node, "labels");
        char key[160];
        void *names = NULL;
        int r;

        sl_buf_init(&ctx->out, 8u << 20);
        ctx->ingest_timestamp = true;
        if (labels && labels->kind != SL_YAML_NULL) {
                r = sl_stage_names_new(labels, sl_stage_key(key, sizeof(key), path, "labels"), err, &names);
                if (r < 0)
                        return r;
                ctx->labels = names;
                qsort(ctx->labels->items, ctx->labels->n, sizeof(char *), by_name);
                /* A name written twice is embedded once. */
                for (size_t i = 0, kept = 0, n = ctx->labels->n; i < n; i++) {
                        if (kept && strcmp(ctx->labels->items[kept - 1], ctx->labels->items[i]) == 0) {
                                free(ctx->labels->items[i]);
                                ctx->labels->n--;
                                continue;
                        }
                        ctx->labels->items[kept] = ctx->labels->items[i];
                        ctx->labels->slices[kept] = sl_str_c(ctx->labels->items[kept]);
                        kept++;
                }
        }
        r = sl_stage_get_bool(node, path, "ingest_timestamp", &ctx->ingest_timestamp, err);
        if (r < 0)
                return r;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const pack_keys[] = { "labels", "ingest_timestamp", NULL };

const struct sl_stage_type sl_stage_pack = {
        .name = "pack",
        .help = "wrap the line and the named values into JSON, removing them from the labels",
        .keys = pack_keys,
        .create = pack_create,
        .process = pack_process,
        .destroy = pack_destroy,
};
