/* stage-logfmt.c - the `logfmt` stage: copies fields of a logfmt line
 * (key=value key2="quoted value") into the entry's extracted values.
 *
 * Keys (as Promtail's): `mapping` (required: extracted name -> logfmt key;
 * an empty key means the same name) and `source` (an extracted name to
 * parse instead of the line; an entry without it is left alone).
 *
 * The text is read as Promtail's decoder (go-logfmt) reads it: records
 * are lines; a key runs up to '=' or a space; a bare value up to a space
 * (a '=' or '"' inside is an error); a quoted value ends at its unescaped
 * quote and has JSON's escapes; a key without '=' has an empty value. At
 * the first syntax error the decoding stops, keeping what was extracted
 * before it. Values are slices of the text, or decoded into the entry's
 * arena when they hold escapes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/json-scan.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct logfmt_ctx {
        struct sl_stage_pairs mapping; /* owned: extracted name -> logfmt key */
        char *source;                  /* owned: extracted name; NULL: the line */
        struct sl_str source_s;        /* slice of source */
};

static void found(struct logfmt_ctx *ctx, struct sl_entry *e, struct sl_str key, struct sl_str value) {
        for (size_t i = 0; i < ctx->mapping.n; i++)
                if (sl_str_eq(ctx->mapping.items[i].value_s, key))
                        sl_kvs_set(&e->extracted, ctx->mapping.items[i].name_s, value);
}

/* Whether [p, end) holds a byte that does not start or continue valid
 * UTF-8 (go-logfmt refuses such keys). */
static bool bad_utf8(const char *p, const char *end) {
        while (p < end) {
                unsigned char c = (unsigned char)*p;
                size_t n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
                         : c >= 0xf0 && c < 0xf5 ? 4 : 0;
                if (n == 0 || (size_t)(end - p) < n)
                        return true;
                for (size_t i = 1; i < n; i++)
                        if (((unsigned char)p[i] & 0xc0) != 0x80)
                                return true;
                p += n;
        }
        return false;
}

/* Decodes one record (a line). Returns false at a syntax error. */
static bool record(struct logfmt_ctx *ctx, struct sl_entry *e, const char *p, const char *end) {
        for (;;) {
                const char *k0;
                struct sl_str key, value = SL_STR_LIT("");

                while (p < end && (unsigned char)*p <= ' ')
                        p++;
                if (p >= end)
                        return true;
                k0 = p;
                while (p < end && (unsigned char)*p > ' ' && *p != '=' && *p != '"')
                        p++;
                if (p < end && *p == '"')
                        return false;
                if (p == k0)
                        return false; /* '=' with no key */
                key = sl_str_from(k0, (size_t)(p - k0));
                if (bad_utf8(k0, p))
                        return false;
                if (p >= end || *p != '=') {
                        found(ctx, e, key, value);
                        continue;
                }
                p++; /* '=' */
                if (p < end && *p == '"') {
                        const char *v0 = ++p;
                        bool esc = false, has_esc = false;
                        while (p < end && (esc || *p != '"')) {
                                if (esc)
                                        esc = false;
                                else if (*p == '\\')
                                        esc = has_esc = true;
                                p++;
                        }
                        if (p >= end)
                                return false; /* unterminated quoted value */
                        value = sl_str_from(v0, (size_t)(p - v0));
                        p++;
                        if (has_esc) {
                                char *out = sl_arena_alloc(&e->arena, value.len + 1);
                                ssize_t n;
                                for (size_t i = 0; i < value.len; i++)
                                        if ((unsigned char)value.ptr[i] < ' ')
                                                return false; /* invalid quoted value */
                                n = sl_json_unescape(value.ptr, value.len, out);
                                if (n < 0)
                                        return false;
                                value = sl_str_from(out, (size_t)n);
                        }
                } else {
                        const char *v0 = p;
                        while (p < end && (unsigned char)*p > ' ') {
                                if (*p == '=' || *p == '"')
                                        return false;
                                p++;
                        }
                        value = sl_str_from(v0, (size_t)(p - v0));
                }
                found(ctx, e, key, value);
        }
}

static int logfmt_process(void *userdata, struct sl_entry *e) {
        struct logfmt_ctx *ctx = userdata;
        struct sl_str input = e->line;
        const char *p, *end;

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                input = *v;
        }
        p = input.ptr;
        end = p + input.len;
        while (p && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p)), *stop = nl ? nl : end;
                if (stop > p && stop[-1] == '\r')
                        stop--;
                if (!record(ctx, e, p, stop))
                        break;
                p = nl ? nl + 1 : end;
        }
        return SL_STAGE_KEEP;
}

static void logfmt_destroy(void *userdata) {
        struct logfmt_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_stage_pairs_release(&ctx->mapping);
        free(ctx->source);
        free(ctx);
}

static inline void logfmt_destroyp(struct logfmt_ctx **p) {
        logfmt_destroy(*p);
}

static int logfmt_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                         void **ret_ctx) {
        _cleanup_(logfmt_destroyp) struct logfmt_ctx *ctx = sl_xnew(struct logfmt_ctx);
        const struct sl_yaml_node *mapping = sl_yaml_get(node, "mapping");
        char key[160];
        int r;

        sl_stage_key(key, sizeof(key), path, "mapping");
        if (!mapping || mapping->kind != SL_YAML_MAP || mapping->count == 0)
                return sl_cfg_error_set(err, mapping ? mapping : node, key,
                                        "required: a map of at least one `name: logfmt key`");
        r = sl_stage_pairs_read(mapping, key, 0, &ctx->mapping, err);
        if (r < 0)
                return r;
        r = sl_stage_get_source(node, path, &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const logfmt_keys[] = { "mapping", "source", NULL };

const struct sl_stage_type sl_stage_logfmt = {
        .name = "logfmt",
        .help = "extract fields of a logfmt line (key=value) into extracted values",
        .keys = logfmt_keys,
        .create = logfmt_create,
        .process = logfmt_process,
        .destroy = logfmt_destroy,
};
