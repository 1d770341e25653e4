/* stage-regex.c - the `regex` stage: named groups of a regular expression
 * become extracted values.
 *
 * Keys (as Promtail's): `expression` (required; Go RE2 syntax, see
 * go-regex.h) and `source` (an extracted name to search instead of the
 * line; an entry without it is left alone). The search is unanchored, as
 * Go's FindStringSubmatch: write ^ and $ to anchor. On a match every named
 * group is set, to "" when the group took no part in the match (as Go
 * reports it); unnamed groups are ignored. No match changes nothing.
 * Values are slices of the searched text: no copy.
 */
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct regex_ctx {
        struct sl_go_regex *re;  /* owned */
        struct sl_str *names;    /* owned array: names[i] of group i, len 0 when unnamed */
        char *source;            /* owned: extracted name; NULL: the line */
        struct sl_str source_s;  /* slice of source */
};

static int regex_process(void *userdata, struct sl_entry *e) {
        struct regex_ctx *ctx = userdata;
        struct sl_str input = e->line;
        size_t n = sl_go_regex_groups(ctx->re);

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                input = *v;
        }
        if (!sl_go_regex_search(ctx->re, input, 0))
                return SL_STAGE_KEEP;
        for (size_t i = 1; i <= n; i++)
                if (ctx->names[i].len)
                        sl_kvs_set(&e->extracted, ctx->names[i],
                                   sl_go_regex_group(ctx->re, input, i, NULL));
        return SL_STAGE_KEEP;
}

static void regex_destroy(void *userdata) {
        struct regex_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_go_regex_free(ctx->re);
        free(ctx->names);
        free(ctx->source);
        free(ctx);
}

static inline void regex_destroyp(struct regex_ctx **p) {
        regex_destroy(*p);
}

static int regex_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                        void **ret_ctx) {
        _cleanup_(regex_destroyp) struct regex_ctx *ctx = sl_xnew(struct regex_ctx);
        _cleanup_free_ char *expression = NULL;
        char key[160];
        size_t n;
        int r;

        r = sl_stage_get_string(node, path, "expression", &expression, err);
        if (r < 0)
                return r;
        if (!expression)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "expression"),
                                        "required: a regular expression with named groups");
        r = sl_stage_get_source(node, path, &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_compile_regex(node, path, "expression", expression, &ctx->re, err);
        if (r < 0)
                return r;
        n = sl_go_regex_groups(ctx->re);
        ctx->names = sl_xcalloc(n + 1, sizeof(*ctx->names));
        for (size_t i = 1; i <= n; i++)
                ctx->names[i] = sl_str_c(sl_go_regex_group_name(ctx->re, i));
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const regex_keys[] = { "expression", "source", NULL };

const struct sl_stage_type sl_stage_regex = {
        .name = "regex",
        .help = "extract the named groups of a regular expression (Go RE2 syntax)",
        .keys = regex_keys,
        .create = regex_create,
        .process = regex_process,
        .destroy = regex_destroy,
};
