/* stage-timestamp.c - the `timestamp` stage: sets the entry's time from an
 * extracted value.
 *
 * Keys (as Promtail's): `source` (required), `format` (required),
 * `fallback_formats` (tried in order when `format` fails), `location` (an
 * IANA zone for layouts without one) and `action_on_failure`. Formats:
 * RFC3339 and RFC3339Nano (read alike, any fraction), Unix (seconds,
 * "1700000000.123" accepted), UnixMs, UnixUs, UnixNs (whole numbers), Go's
 * named layouts (ANSIC, UnixDate, RubyDate, RFC822, RFC822Z, RFC850,
 * RFC1123, RFC1123Z; beyond Promtail's list: Kitchen, Stamp, StampMilli,
 * StampMicro, StampNano, DateTime, DateOnly, TimeOnly), and any Go
 * reference layout ("02/Jan/2006:15:04:05 -0700", see go-time.h). As in
 * Promtail, `location` applies to custom layouts only.
 *
 * On failure (value missing or unreadable): `fudge` (default) keeps the
 * time the entry already has, Docker's for instance, and only when it has
 * none uses the time of the source's previous entry through this stage
 * plus 1ns, so the entry stays in order behind its predecessor; `skip`
 * leaves the time as it is in every case. Promtail's fudge differs
 * deliberately here: every Promtail entry has a time (the read time at
 * worst) and fudge replaces it with the previous good time plus 1ns, keyed
 * by label set; sluice keeps a real time (Docker's, CRI's) when there is
 * one, and keys by file. The fudged time saturates at the largest time (it
 * never wraps to the past) and is never 0, which means "no time".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "base/u64map.h"
#include "base/xalloc.h"
#include "stages/stage-registry.h"
#include "stages/go-time.h"
#include "stages/stage-util.h"
#include "stages/time-parse.h"

#define MAX_FORMATS 8

enum ts_format {
        TS_RFC3339, /* RFC3339, RFC3339Nano */
        TS_UNIX,    /* seconds */
        TS_UNIX_MS,
        TS_UNIX_US,
        TS_UNIX_NS,
        TS_LAYOUT,  /* a Go layout, named or custom */
};

static const struct {
        const char *name;
        enum ts_format format;
} format_names[] = {
        { "RFC3339", TS_RFC3339 },
        { "RFC3339Nano", TS_RFC3339 },
        { "Unix", TS_UNIX },
        { "UnixMs", TS_UNIX_MS },
        { "UnixUs", TS_UNIX_US },
        { "UnixNs", TS_UNIX_NS },
};

#define SUPPORTED_FORMATS "RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs, UnixNs, a Go named layout or a Go reference layout"

struct ts_format_spec {
        enum ts_format format;
        struct sl_go_layout *layout; /* owned: TS_LAYOUT */
        bool in_location;            /* a custom layout: `location` applies */
};

struct timestamp_ctx {
        char *source;                       /* owned: extracted name */
        struct sl_str source_s;             /* slice of source */
        size_t source_hint;                 /* where source was found last (sl_kvs_get_hinted()) */
        struct ts_format_spec formats[MAX_FORMATS]; /* format, then fallbacks */
        struct sl_go_zone *zone;            /* owned: `location`, or NULL (UTC) */
        size_t n_formats;                   /* formats in use, at least 1 */
        bool skip;                          /* action_on_failure: skip */
        struct sl_u64map last;              /* fudge: source_id -> time of its last entry */
};

static int parse_with(const struct timestamp_ctx *ctx, const struct ts_format_spec *f, struct sl_str s,
                      int64_t *ret_ns) {
        switch (f->format) {
        case TS_LAYOUT:
                return sl_go_time_parse(f->layout, s, f->in_location ? ctx->zone : NULL, sl_wall_ns(),
                                        ret_ns);
        case TS_RFC3339: return sl_time_parse_rfc3339(s, ret_ns);
        case TS_UNIX: return sl_time_parse_unix(s, 1000000000, true, ret_ns);
        case TS_UNIX_MS: return sl_time_parse_unix(s, 1000000, false, ret_ns);
        case TS_UNIX_US: return sl_time_parse_unix(s, 1000, false, ret_ns);
        case TS_UNIX_NS: return sl_time_parse_unix(s, 1, false, ret_ns);
        }
        return -EINVAL;
}

/* The time 1ns after @last, saturating at INT64_MAX; never 0 ("no time"). */
static int64_t fudge_after(int64_t last) {
        if (last == INT64_MAX)
                return INT64_MAX;
        return last + 1 != 0 ? last + 1 : 1;
}

static int timestamp_process(void *userdata, struct sl_entry *e) {
        struct timestamp_ctx *ctx = userdata;
        const struct sl_str *v = sl_kvs_get_hinted(&e->extracted, ctx->source_s, &ctx->source_hint);
        bool track = !ctx->skip && e->source_id != UINT64_MAX;
        uint64_t last;
        int64_t ts;

        for (size_t i = 0; v && i < ctx->n_formats; i++) {
                if (parse_with(ctx, &ctx->formats[i], *v, &ts) == 0) {
                        e->ts_ns = ts;
                        if (track)
                                sl_u64map_put(&ctx->last, e->source_id, (uint64_t)ts);
                        return SL_STAGE_KEEP;
                }
        }
        if (!track)
                return SL_STAGE_KEEP;
        if (e->ts_ns == 0) {
                if (!sl_u64map_get(&ctx->last, e->source_id, &last))
                        return SL_STAGE_KEEP;
                e->ts_ns = fudge_after((int64_t)last);
        }
        sl_u64map_put(&ctx->last, e->source_id, (uint64_t)e->ts_ns);
        return SL_STAGE_KEEP;
}

static void timestamp_forget(void *userdata, uint64_t source_id) {
        struct timestamp_ctx *ctx = userdata;

        if (source_id != UINT64_MAX)
                sl_u64map_del(&ctx->last, source_id);
}

static void timestamp_destroy(void *userdata) {
        struct timestamp_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->source);
        for (size_t i = 0; i < ctx->n_formats; i++)
                sl_go_layout_free(ctx->formats[i].layout);
        sl_go_zone_free(ctx->zone);
        sl_u64map_release(&ctx->last);
        free(ctx);
}

static inline void timestamp_destroyp(struct timestamp_ctx **p) {
        timestamp_destroy(*p);
}

/* Appends the format named by @node to @ctx. */
static int add_format(struct timestamp_ctx *ctx, const struct sl_yaml_node *node, const char *key,
                      struct sl_cfg_error *err) {
        if (!node || node->kind != SL_YAML_SCALAR)
                return sl_cfg_error_set(err, node, key, "expected a format name (%s)",
                                        SUPPORTED_FORMATS);
        if (ctx->n_formats == MAX_FORMATS)
                return sl_cfg_error_set(err, node, key, "at most %d formats", MAX_FORMATS);
        for (size_t i = 0; i < SL_ARRAY_SIZE(format_names); i++) {
                if (strcmp(node->text, format_names[i].name) == 0) {
                        ctx->formats[ctx->n_formats++] = (struct ts_format_spec){ .format = format_names[i].format };
                        return 0;
                }
        }
        {
                const char *named = sl_go_named_layout(node->text);
                struct ts_format_spec *f = &ctx->formats[ctx->n_formats];

                if (sl_go_layout_new(named ? named : node->text, &f->layout) < 0)
                        return sl_cfg_error_set(err, node, key,
                                                "unsupported format \"%s\" (no element of Go's reference "
                                                "time Mon Jan 2 15:04:05 -0700 MST 2006 in it); supported: %s",
                                                node->text, SUPPORTED_FORMATS);
                f->format = TS_LAYOUT;
                f->in_location = !named;
                ctx->n_formats++;
        }
        return 0;
}

static int timestamp_create(const struct sl_yaml_node *node, const char *path,
                            struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(timestamp_destroyp) struct timestamp_ctx *ctx = sl_xnew(struct timestamp_ctx);
        _cleanup_free_ char *action = NULL;
        const struct sl_yaml_node *fallbacks;
        char key[160];
        int r;

        sl_u64map_init(&ctx->last);
        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        if (!ctx->source)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "source"),
                                        "required: the extracted name holding the time");
        ctx->source_s = sl_str_c(ctx->source);

        sl_stage_key(key, sizeof(key), path, "format");
        if (!sl_yaml_get(node, "format") || sl_yaml_get(node, "format")->kind == SL_YAML_NULL)
                return sl_cfg_error_set(err, node, key, "required: one of %s", SUPPORTED_FORMATS);
        r = add_format(ctx, sl_yaml_get(node, "format"), key, err);
        if (r < 0)
                return r;

        fallbacks = sl_yaml_get(node, "fallback_formats");
        if (fallbacks && fallbacks->kind != SL_YAML_NULL) {
                if (fallbacks->kind != SL_YAML_SEQ)
                        return sl_cfg_error_set(err, fallbacks,
                                                sl_stage_key(key, sizeof(key), path, "fallback_formats"),
                                                "expected a list of formats");
                for (size_t i = 0; i < fallbacks->count; i++) {
                        char k[192];
                        snprintf(k, sizeof(k), "%s.fallback_formats[%zu]", path, i);
                        r = add_format(ctx, fallbacks->values[i], k, err);
                        if (r < 0)
                                return r;
                }
        }

        {
                _cleanup_free_ char *location = NULL;
                char msg[256];

                r = sl_stage_get_string(node, path, "location", &location, err);
                if (r < 0)
                        return r;
                if (location && sl_go_zone_load(location, &ctx->zone, msg, sizeof(msg)) < 0)
                        return sl_cfg_error_set(err, sl_yaml_get(node, "location"),
                                                sl_stage_key(key, sizeof(key), path, "location"),
                                                "invalid location: %s", msg);
        }
        r = sl_stage_get_string(node, path, "action_on_failure", &action, err);
        if (r < 0)
                return r;
        if (action && strcmp(action, "skip") == 0)
                ctx->skip = true;
        else if (action && strcmp(action, "fudge") != 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "action_on_failure"),
                                        sl_stage_key(key, sizeof(key), path, "action_on_failure"),
                                        "expected fudge or skip, not \"%s\"", action);

        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const timestamp_keys[] = { "source", "format", "fallback_formats", "location",
                                              "action_on_failure", NULL };

const struct sl_stage_type sl_stage_timestamp = {
        .name = "timestamp",
        .help = "set the entry's time from an extracted value (RFC3339, Unix*, Go layouts, location)",
        .keys = timestamp_keys,
        .create = timestamp_create,
        .process = timestamp_process,
        .forget = timestamp_forget,
        .destroy = timestamp_destroy,
};
