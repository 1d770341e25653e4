/* stage-level.c - the `level` stage (sluice's own): reads the entry's level
 * from an extracted value, drops entries below a threshold, and rewrites the
 * value to one spelling so a later `labels: {level:}` makes level="info"
 * whether the application wrote 30, "INFO" or "information".
 *
 * Keys: `source` (extracted name; default: the first present of level, lvl,
 * severity), `min` (threshold, default info; drops count as
 * "level_below_min"), `drop_unknown` (default false: entries whose level is
 * missing or not recognised are kept untouched; true drops them as
 * "level_unknown").
 */
#include <errno.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "pipeline/level.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct level_ctx {
        char *source;           /* owned: extracted name; NULL: the defaults */
        struct sl_str source_s; /* slice of source */
        enum sl_level min;      /* entries below this are dropped */
        bool drop_unknown;      /* drop entries without a recognised level */
};

static const struct sl_str default_sources[] = {
        SL_STR_LIT("level"),
        SL_STR_LIT("lvl"),
        SL_STR_LIT("severity"),
};

static int level_process(void *userdata, struct sl_entry *e) {
        struct level_ctx *ctx = userdata;
        struct sl_str *value = NULL;
        struct sl_str name = ctx->source_s;
        enum sl_level level = SL_LEVEL_UNKNOWN;

        if (ctx->source) {
                value = sl_kvs_value(&e->extracted, name);
        } else {
                for (size_t i = 0; i < SL_ARRAY_SIZE(default_sources) && !value; i++) {
                        name = default_sources[i];
                        value = sl_kvs_value(&e->extracted, name);
                }
        }
        if (value)
                level = sl_level_parse(*value);
        if (level == SL_LEVEL_UNKNOWN) {
                if (!ctx->drop_unknown)
                        return SL_STAGE_KEEP;
                e->drop_reason = "level_unknown";
                return SL_STAGE_DROP;
        }
        if (level < ctx->min) {
                e->drop_reason = "level_below_min";
                return SL_STAGE_DROP;
        }
        *value = sl_level_str(level); /* the name found, rewritten in its place */
        return SL_STAGE_KEEP;
}

static void level_destroy(void *userdata) {
        struct level_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->source);
        free(ctx);
}

static inline void level_destroyp(struct level_ctx **p) {
        level_destroy(*p);
}

static int level_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                        void **ret_ctx) {
        _cleanup_(level_destroyp) struct level_ctx *ctx = sl_xnew(struct level_ctx);
        _cleanup_free_ char *min = NULL;
        char key[160];
        int r;

        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_get_string(node, path, "min", &min, err);
        if (r < 0)
                return r;
        ctx->min = min ? sl_level_from_name(min) : SL_LEVEL_INFO;
        if (ctx->min == SL_LEVEL_UNKNOWN)
                return sl_cfg_error_set(err, sl_yaml_get(node, "min"),
                                        sl_stage_key(key, sizeof(key), path, "min"),
                                        "unknown level \"%s\": use trace, debug, info, warn, error or fatal",
                                        min);
        r = sl_stage_get_bool(node, path, "drop_unknown", &ctx->drop_unknown, err);
        if (r < 0)
                return r;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const level_keys[] = { "source", "min", "drop_unknown", NULL };

const struct sl_stage_type sl_stage_level = {
        .name = "level",
        .help = "normalise the extracted level (pino 10-60 or names) and drop entries below `min`",
        .keys = level_keys,
        .create = level_create,
        .process = level_process,
        .destroy = level_destroy,
};
