/* stage-template.c - the `template` stage: sets an extracted value from a
 * Go template.
 *
 * Keys (as Promtail's): `source` (required: the extracted name written)
 * and `template` (Go text/template, see go-template.h for what is
 * supported; what is not is a config error). The template sees every
 * extracted value by name (.level), the value of `source` as .Value and the
 * line as .Entry. An empty result removes `source`; a failed execution (a
 * function given a missing value, say) leaves everything as it was, as in
 * Promtail.
 */
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/go-template.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct template_ctx {
        char *source;                 /* owned: the extracted name written */
        struct sl_str source_s;       /* slice of source */
        struct sl_go_template *tmpl;  /* owned */
};

struct lookup {
        const struct template_ctx *ctx; /* borrowed */
        const struct sl_entry *e;       /* borrowed */
};

static bool lookup_value(void *ud, struct sl_str name, struct sl_str *ret) {
        const struct lookup *l = ud;
        const struct sl_str *v;

        if (sl_str_eq_c(name, "Entry")) {
                *ret = l->e->line;
                return true;
        }
        if (l->ctx && sl_str_eq_c(name, "Value")) {
                v = sl_kvs_get(&l->e->extracted, l->ctx->source_s);
                if (v) {
                        *ret = *v;
                        return true;
                }
        }
        v = sl_kvs_get(&l->e->extracted, name);
        if (!v)
                return false;
        *ret = *v;
        return true;
}

static int template_process(void *userdata, struct sl_entry *e) {
        struct template_ctx *ctx = userdata;
        struct lookup l = { ctx, e };
        struct sl_str out;

        if (sl_go_template_exec(ctx->tmpl, lookup_value, &l, &e->arena, &out) < 0)
                return SL_STAGE_KEEP;
        if (out.len == 0)
                sl_kvs_del(&e->extracted, ctx->source_s);
        else
                sl_kvs_set(&e->extracted, ctx->source_s, sl_arena_strdup(&e->arena, out));
        return SL_STAGE_KEEP;
}

static void template_destroy(void *userdata) {
        struct template_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->source);
        sl_go_template_free(ctx->tmpl);
        free(ctx);
}

static inline void template_destroyp(struct template_ctx **p) {
        template_destroy(*p);
}

static int template_create(const struct sl_yaml_node *node, const char *path,
                           struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(template_destroyp) struct template_ctx *ctx = sl_xnew(struct template_ctx);
        _cleanup_free_ char *text = NULL;
        char key[160];
        int r;

        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        if (!ctx->source)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "source"),
                                        "required: the extracted name the template sets");
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_get_string(node, path, "template", &text, err);
        if (r < 0)
                return r;
        r = sl_stage_compile_template(node, path, "template", text ? text : "", &ctx->tmpl, err);
        if (r < 0)
                return r;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const template_keys[] = { "source", "template", NULL };

const struct sl_stage_type sl_stage_template = {
        .name = "template",
        .help = "set an extracted value from a Go template (.Value, .Entry, extracted names)",
        .keys = template_keys,
        .create = template_create,
        .process = template_process,
        .destroy = template_destroy,
};
