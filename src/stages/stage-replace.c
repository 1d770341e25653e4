/* stage-replace.c - the `replace` stage: rewrites what the groups of a
 * regular expression capture, in the line or in an extracted value.
 *
 * Keys (as Promtail's): `expression` (required; Go RE2 syntax, see
 * go-regex.h), `source` (an extracted name instead of the line; an entry
 * without it is left alone) and `replace` (a Go template, see
 * go-template.h; empty or absent: the captured text is removed). For every
 * match of the expression (Go's FindAll: non-overlapping, an empty match
 * right after a match skipped), every capture group that took part is
 * replaced by the template run with .Value the captured text and every
 * extracted value by name; a group inside one already replaced is not
 * replaced again. Named groups of the first match are then extracted with
 * their replaced text. A template whose execution fails leaves the entry
 * as it was. Unlike Promtail, which parses the template for every line, a
 * template that does not parse is a config error.
 */
#include <stdlib.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/go-template.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

/* Most bytes of a rewritten line or value. */
#define RESULT_CAP (8u << 20)

struct replace_ctx {
        struct sl_go_regex *re;       /* owned */
        struct sl_go_template *tmpl;  /* owned: the `replace` template */
        struct sl_str *names;         /* owned array: name of group i, len 0 when unnamed */
        struct sl_str *first;         /* owned array: replaced text of group i in the first match */
        bool *first_set;              /* owned array: group i took part in the first match */
        char *source;                 /* owned: extracted name; NULL: the line */
        struct sl_str source_s;       /* slice of source */
        struct sl_buf result;         /* owned: the rewritten text, reused */
};

struct lookup {
        const struct sl_entry *e; /* borrowed */
        struct sl_str value;      /* the captured text */
};

static bool lookup_value(void *ud, struct sl_str name, struct sl_str *ret) {
        const struct lookup *l = ud;
        const struct sl_str *v;

        if (sl_str_eq_c(name, "Value")) {
                *ret = l->value;
                return true;
        }
        v = sl_kvs_get(&l->e->extracted, name);
        if (!v)
                return false;
        *ret = *v;
        return true;
}

/* Runs the template for @captured; the text goes into the entry's arena. */
static int render(struct replace_ctx *ctx, struct sl_entry *e, struct sl_str captured,
                  struct sl_str *ret) {
        struct lookup l = { e, captured };
        struct sl_str out;
        int r;

        r = sl_go_template_exec(ctx->tmpl, lookup_value, &l, &e->arena, &out);
        if (r < 0)
                return r;
        *ret = sl_arena_strdup(&e->arena, out);
        return 0;
}

static int replace_process(void *userdata, struct sl_entry *e) {
        struct replace_ctx *ctx = userdata;
        size_t n = sl_go_regex_groups(ctx->re), pos = 0, prev_end = 0;
        struct sl_str input = e->line, empty_st = SL_STR_NULL;
        bool any = false, empty_seen = false;
        long long prev_match_end = -1;

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                input = *v;
        }
        sl_buf_reset(&ctx->result);
        while (pos <= input.len && sl_go_regex_search(ctx->re, input, pos)) {
                struct sl_str m = sl_go_regex_group(ctx->re, input, 0, NULL);
                size_t a0 = (size_t)(m.ptr - input.ptr), a1 = a0 + m.len;
                bool accept = true;

                if (a1 == pos) {
                        if ((long long)a0 == prev_match_end)
                                accept = false;
                        pos += pos < input.len ? sl_utf8_width(input.ptr + pos, input.ptr + input.len) : 1;
                } else {
                        pos = a1;
                }
                prev_match_end = (long long)a1;
                if (!accept)
                        continue;
                for (size_t i = 1; i <= n; i++) {
                        bool set;
                        struct sl_str g = sl_go_regex_group(ctx->re, input, i, &set), st;
                        size_t g0 = (size_t)(g.ptr - input.ptr);

                        if (!any)
                                ctx->first_set[i] = set;
                        if (!set)
                                continue;
                        if (render(ctx, e, g, &st) < 0)
                                return SL_STAGE_KEEP;
                        if (!any)
                                ctx->first[i] = st;
                        if (g.len == 0) {
                                empty_seen = true;
                                empty_st = st;
                        }
                        if (prev_end == 0 || prev_end <= g0) {
                                if (sl_buf_append(&ctx->result, input.ptr + prev_end, g0 - prev_end) < 0 ||
                                    sl_buf_append_str(&ctx->result, st) < 0)
                                        return -ENOBUFS;
                                prev_end = g0 + g.len;
                        }
                }
                any = true;
        }
        if (!any)
                return SL_STAGE_KEEP;
        if (sl_buf_append(&ctx->result, input.ptr + prev_end, input.len - prev_end) < 0)
                return -ENOBUFS;
        if (ctx->source)
                sl_kvs_set(&e->extracted, ctx->source_s, sl_arena_strdup(&e->arena, sl_buf_str(&ctx->result)));
        else
                e->line = sl_arena_strdup(&e->arena, sl_buf_str(&ctx->result));
        /* Named groups of the first match: Go looks their text up among
         * everything captured; a group that took no part reads as "". */
        for (size_t i = 1; i <= n; i++) {
                if (!ctx->names[i].len)
                        continue;
                if (ctx->first_set[i])
                        sl_kvs_set(&e->extracted, ctx->names[i], ctx->first[i]);
                else if (empty_seen)
                        sl_kvs_set(&e->extracted, ctx->names[i], empty_st);
        }
        return SL_STAGE_KEEP;
}

static void replace_destroy(void *userdata) {
        struct replace_ctx *ctx = userdata;

        if (!ctx)
                return;
        sl_go_regex_free(ctx->re);
        sl_go_template_free(ctx->tmpl);
        free(ctx->names);
        free(ctx->first);
        free(ctx->first_set);
        free(ctx->source);
        sl_buf_release(&ctx->result);
        free(ctx);
}

static inline void replace_destroyp(struct replace_ctx **p) {
        replace_destroy(*p);
}

static int replace_create(const struct sl_yaml_node *node, const char *path,
                          struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(replace_destroyp) struct replace_ctx *ctx = sl_xnew(struct replace_ctx);
        _cleanup_free_ char *expression = NULL, *replace = NULL;
        char key[160];
        size_t n;
        int r;

        sl_buf_init(&ctx->result, RESULT_CAP);
        r = sl_stage_get_string(node, path, "expression", &expression, err);
        if (r < 0)
                return r;
        if (!expression)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "expression"),
                                        "required: a regular expression with capture groups");
        r = sl_stage_get_source(node, path, &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_get_string(node, path, "replace", &replace, err);
        if (r < 0)
                return r;
        r = sl_stage_compile_regex(node, path, "expression", expression, &ctx->re, err);
        if (r < 0)
                return r;
        r = sl_stage_compile_template(node, path, "replace", replace ? replace : "", &ctx->tmpl, err);
        if (r < 0)
                return r;
        n = sl_go_regex_groups(ctx->re);
        ctx->names = sl_xcalloc(n + 1, sizeof(*ctx->names));
        ctx->first = sl_xcalloc(n + 1, sizeof(*ctx->first));
        ctx->first_set = sl_xcalloc(n + 1, sizeof(*ctx->first_set));
        for (size_t i = 1; i <= n; i++)
                ctx->names[i] = sl_str_c(sl_go_regex_group_name(ctx->re, i));
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const replace_keys[] = { "expression", "source", "replace", NULL };

const struct sl_stage_type sl_stage_replace = {
        .name = "replace",
        .help = "replace what the groups of a regular expression capture (Go template)",
        .keys = replace_keys,
        .create = replace_create,
        .process = replace_process,
        .destroy = replace_destroy,
};
