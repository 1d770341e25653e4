/* stage-output.c - the `output` stage: makes an extracted value the line.
 *
 * Key (as Promtail's): `source` (required). When the value was not
 * extracted for an entry, the line is left as it is.
 */
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct output_ctx {
        char *source;           /* owned: extracted name */
        struct sl_str source_s; /* slice of source */
};

static int output_process(void *userdata, struct sl_entry *e) {
        struct output_ctx *ctx = userdata;
        const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);

        if (v)
                e->line = *v;
        return SL_STAGE_KEEP;
}

static void output_destroy(void *userdata) {
        struct output_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->source);
        free(ctx);
}

static inline void output_destroyp(struct output_ctx **p) {
        output_destroy(*p);
}

static int output_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(output_destroyp) struct output_ctx *ctx = sl_xnew(struct output_ctx);
        char key[160];
        int r;

        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        if (!ctx->source)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "source"),
                                        "required: the extracted name that becomes the line");
        ctx->source_s = sl_str_c(ctx->source);
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const output_keys[] = { "source", NULL };

const struct sl_stage_type sl_stage_output = {
        .name = "output",
        .help = "replace the line with an extracted value",
        .keys = output_keys,
        .create = output_create,
        .process = output_process,
        .destroy = output_destroy,
};
