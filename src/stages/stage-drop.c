/* stage-drop.c - the `drop` stage: drops entries that match every condition
 * given.
 *
 * Keys (as Promtail's): `source` (an extracted name; alone, it drops entries
 * where the value exists), `expression` (a regex, PCRE2 here where Promtail
 * has RE2, searched in the source value or else the line), `value` (the
 * source value equals it; needs `source`, excludes `expression`),
 * `older_than` (the entry's time is older than now minus this duration),
 * `longer_than` (the line is longer than this many bytes, "8KB" style) and
 * `drop_counter_reason` (what the drop is counted as; default "drop_stage").
 * When several are given, all must hold (AND); use several stages for OR.
 * An entry whose `source` was not extracted is never dropped. The search
 * runs under base/go-regex.h's limits: a line on which it is cut short is
 * kept, and counted as a stage failure (sl_pipeline_errors()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct drop_ctx {
        char *source;             /* owned: extracted name; NULL: the line */
        struct sl_str source_s;   /* slice of source */
        struct sl_go_regex *re;   /* owned: compiled `expression`, or NULL */
        char *value;              /* owned: `value`, or NULL */
        struct sl_str value_s;    /* slice of value */
        uint64_t older_than_ns;   /* 0: no age condition */
        uint64_t longer_than;     /* 0: no length condition */
        char *reason;             /* owned: drop_counter_reason */
};

static int drop_process(void *userdata, struct sl_entry *e) {
        struct drop_ctx *ctx = userdata;
        struct sl_str subject = e->line;

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                subject = *v;
        }
        if (ctx->re && !sl_go_regex_matches(ctx->re, subject))
                /* A search a limit cut short is no match: kept, and
                 * counted as a stage failure. */
                return sl_go_regex_limited(ctx->re) ? -E2BIG : SL_STAGE_KEEP;
        if (ctx->value && !sl_str_eq(subject, ctx->value_s))
                return SL_STAGE_KEEP;
        if (ctx->older_than_ns) {
                int64_t limit = sl_wall_ns() - (int64_t)ctx->older_than_ns;
                if (e->ts_ns == 0 || e->ts_ns >= limit)
                        return SL_STAGE_KEEP;
        }
        if (ctx->longer_than && e->line.len <= ctx->longer_than)
                return SL_STAGE_KEEP;
        e->drop_reason = ctx->reason;
        return SL_STAGE_DROP;
}

static void drop_destroy(void *userdata) {
        struct drop_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_go_regex_free(ctx->re);
        free(ctx->source);
        free(ctx->value);
        free(ctx->reason);
        free(ctx);
}

static inline void drop_destroyp(struct drop_ctx **p) {
        drop_destroy(*p);
}

static int drop_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx) {
        _cleanup_(drop_destroyp) struct drop_ctx *ctx = sl_xnew(struct drop_ctx);
        _cleanup_free_ char *expression = NULL;
        char key[160];
        int r;

        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_get_string(node, path, "expression", &expression, err);
        if (r < 0)
                return r;
        r = sl_stage_get_string(node, path, "value", &ctx->value, err);
        if (r < 0)
                return r;
        ctx->value_s = sl_str_c(ctx->value);
        r = sl_stage_get_duration(node, path, "older_than", &ctx->older_than_ns, err);
        if (r < 0)
                return r;
        r = sl_stage_get_size(node, path, "longer_than", &ctx->longer_than, err);
        if (r < 0)
                return r;
        r = sl_stage_get_string(node, path, "drop_counter_reason", &ctx->reason, err);
        if (r < 0)
                return r;
        if (!ctx->reason)
                ctx->reason = sl_xstrdup("drop_stage");

        if (ctx->value && !ctx->source)
                return sl_cfg_error_set(err, sl_yaml_get(node, "value"),
                                        sl_stage_key(key, sizeof(key), path, "value"),
                                        "`value` needs `source`: the extracted name to compare");
        if (ctx->value && expression)
                return sl_cfg_error_set(err, sl_yaml_get(node, "value"),
                                        sl_stage_key(key, sizeof(key), path, "value"),
                                        "use either `value` or `expression`, not both");
        if (!ctx->source && !expression && !ctx->older_than_ns && !ctx->longer_than)
                return sl_cfg_error_set(err, node, path,
                                        "needs at least one of source, expression, older_than, "
                                        "longer_than");
        if (expression) {
                r = sl_stage_compile_regex(node, path, "expression", expression, &ctx->re, err);
                if (r < 0)
                        return r;
        }
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const drop_keys[] = { "source", "expression", "value", "older_than",
                                         "longer_than", "drop_counter_reason", NULL };

const struct sl_stage_type sl_stage_drop = {
        .name = "drop",
        .help = "drop entries matching all of: source exists, expression, value, older_than, longer_than",
        .keys = drop_keys,
        .create = drop_create,
        .process = drop_process,
        .destroy = drop_destroy,
};
