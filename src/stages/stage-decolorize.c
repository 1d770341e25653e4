/* stage-decolorize.c - the `decolorize` stage: strips ANSI escape
 * sequences (colors, cursor moves) from the line.
 *
 * No keys. The sequences are those LogQL's `decolorize` removes (the
 * stripansi pattern): ESC or CSI (U+009B), then parameters, then a final
 * byte, or an OSC ended by BEL. A line with neither ESC nor the bytes of
 * U+009B is left as it is, without a search.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define ANSI_PATTERN                                                                              \
        "[\\x{1B}\\x{9B}][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x{07})|(?:(?:\\d{1,4}" \
        "(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))"

struct decolorize_ctx {
        struct sl_go_regex *re; /* owned */
        struct sl_buf out;      /* owned: the stripped line, reused */
};

static int decolorize_process(void *userdata, struct sl_entry *e) {
        struct decolorize_ctx *ctx = userdata;

        if (!e->line.len || (!memchr(e->line.ptr, 0x1b, e->line.len) &&
                             !memmem(e->line.ptr, e->line.len, "\xc2\x9b", 2)))
                return SL_STAGE_KEEP;
        sl_buf_reset(&ctx->out);
        if (sl_go_regex_replace_all(ctx->re, e->line, SL_STR_LIT(""), true, &ctx->out) < 0)
                return -ENOBUFS;
        e->line = sl_arena_strdup(&e->arena, sl_buf_str(&ctx->out));
        return SL_STAGE_KEEP;
}

static void decolorize_destroy(void *userdata) {
        struct decolorize_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_go_regex_free(ctx->re);
        sl_buf_release(&ctx->out);
        free(ctx);
}

static int decolorize_create(const struct sl_yaml_node *node, const char *path,
                             struct sl_cfg_error *err, void **ret_ctx) {
        struct decolorize_ctx *ctx = sl_xnew(struct decolorize_ctx);
        char msg[256];

        (void)node, (void)path, (void)err;
        sl_buf_init(&ctx->out, 8u << 20);
        if (sl_go_regex_new(ANSI_PATTERN, &ctx->re, msg, sizeof(msg)) < 0)
                abort(); /* a constant pattern: cannot fail */
        *ret_ctx = ctx;
        return 0;
}

static const char *const decolorize_keys[] = { NULL };

const struct sl_stage_type sl_stage_decolorize = {
        .name = "decolorize",
        .help = "strip ANSI color and cursor escape sequences from the line",
        .keys = decolorize_keys,
        .create = decolorize_create,
        .process = decolorize_process,
        .destroy = decolorize_destroy,
};
