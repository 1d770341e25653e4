/* stage-json.c - the `json` stage: copies fields of a JSON line into the
 * entry's extracted values.
 *
 * Keys (as Promtail's): `expressions` maps an extracted name to a JMESPath
 * expression: a top-level key (`msg`), a dotted path (`req.method`,
 * `"@timestamp"` quoted for keys JMESPath would not take bare), or with
 * indexes, slices, projections and pipes (`items[0].id`, `items[*].id`,
 * see jmespath.h); an empty expression means the name itself. `source` parses an extracted
 * value instead of the line; `drop_malformed` drops lines that are not a JSON
 * object (reason "malformed_json") instead of keeping them as they are.
 *
 * Extracted values are text as Promtail makes it: strings as they are,
 * numbers as Go reads and prints a float64 (FormatFloat 'f': "30",
 * "0.5", "1000000000000000000000" for 1e21, 2^53+1 rounded), true/false,
 * objects and arrays as Go's json.Marshal writes them (keys sorted, see
 * jmespath.h); null leaves the name unset.
 *
 * Plain keys and dotted paths are the fast path: compiled once into a
 * json-scan path set, each line is validated and searched in one pass
 * (json-scan.h), with no tree built; a number already in its shortest
 * form is copied as it stands. Only when an expression needs more
 * (indexes, projections) is the line also parsed into a jansson tree, once,
 * for all such expressions. A string without escapes and a number in its
 * shortest form are extracted as slices of the input (the line, or the
 * extracted value named by `source`): they live as long as it does, which
 * is as long as the entry's run through the pipeline (entry.h), as for any
 * borrowed slice. Every other value (decoded escapes, numbers and
 * containers rendered again) is built in the entry's arena.
 *
 * While jansson parses or evaluates, its allocator hands out memory from
 * the entry's arena (json_set_alloc_funcs), so the hot path never calls
 * malloc; outside of that the allocator is plain malloc/free, for any
 * other jansson user.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/jmespath.h"
#include "stages/json-scan.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct json_expr {
        char *name;                /* owned: the extracted name */
        struct sl_str name_s;      /* slice of name */
        int slot;                  /* its path's value in json_ctx.values; -1: uses jmes */
        struct sl_jmespath *jmes;  /* owned: a full JMESPath expression, or NULL */
};

struct json_ctx {
        struct json_expr *exprs;      /* owned array */
        size_t n_exprs;               /* items in use */
        struct sl_json_paths *paths;  /* owned: the expressions' paths */
        struct sl_json_value *values; /* owned: one per path, rewritten by each scan */
        char *source;                 /* owned: extracted name to parse; NULL: the line */
        struct sl_str source_s;       /* slice of source */
        bool drop_malformed;          /* drop what does not parse instead of keeping it */
        bool need_tree;               /* an expression needs a jansson tree */
        uint64_t name_bits;           /* sl_kvs_name_bit() of the path expressions' names */
        struct sl_buf scratch;        /* owned: rendering of numbers and containers */
};

/* The arena jansson allocates from during a parse on this thread, or NULL. */
static _Thread_local struct sl_arena *parse_arena;

static void *arena_malloc(size_t n) {
        if (parse_arena)
                return sl_arena_alloc(parse_arena, n);
        return malloc(n);
}

/* Memory from the arena is reclaimed with it; the rest came from malloc. */
static void arena_free(void *p) {
        if (!p || (parse_arena && sl_arena_owns(parse_arena, p)))
                return;
        free(p);
}

static void install_allocator(void) {
        static bool installed;

        if (!installed) {
                json_set_alloc_funcs(arena_malloc, arena_free);
                installed = true;
        }
}

/* Whether the number text [@p, @p + @n) is already what Go's
 * FormatFloat(v, 'f', -1, 64) writes for its value: no exponent, at most
 * 15 significant digits (a double keeps 15, so no shorter text reads back
 * as the same value), no trailing zero after a point, no leading zero
 * before digits. Pino's numbers all are. */
static bool real_text_is_shortest(const char *p, size_t n) {
        const char *end = p + n, *first = NULL, *dot = NULL;
        size_t significant = 0;

        if (p < end && *p == '-')
                p++;
        for (const char *q = p; q < end; q++) {
                if (*q == '.') {
                        dot = q;
                        continue;
                }
                if (*q < '0' || *q > '9')
                        return false;
                if (!first && *q != '0')
                        first = q;
                if (first)
                        significant++;
        }
        if (dot && end[-1] == '0')
                return false;
        if (!first)
                return !dot; /* "0" or "-0" */
        return significant <= 15;
}

/* real_text_is_shortest() for the text of a JSON integer, which the scan
 * checked: an optional '-', then "0" or digits that do not start with 0.
 * So only the count of digits decides (pino's level and time on every
 * line). */
static inline bool integer_text_is_shortest(const char *p, size_t n) {
        return n - (n && *p == '-') <= 15;
}

/* @text rendered by @render into ctx->scratch, then copied to @arena. */
static struct sl_str scratch_copy(struct sl_buf *scratch, struct sl_arena *arena) {
        return sl_arena_strdup(arena, sl_buf_str(scratch));
}

/* The text of the object or array @v (a slice of the document), as Go's
 * json.Marshal writes it, in @arena. */
static bool container_text(const struct sl_json_value *v, struct sl_buf *scratch,
                           struct sl_arena *arena, struct sl_str *ret) {
        json_error_t error;
        json_t *root;

        parse_arena = arena;
        root = json_loadb(v->ptr, v->len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &error);
        if (root) {
                sl_buf_reset(scratch);
                sl_go_json_render(root, scratch);
                *ret = scratch_copy(scratch, arena);
                json_decref(root);
        }
        parse_arena = NULL;
        return root != NULL;
}

/* The text of @v: a slice of the scanned text when it stands there as it
 * is, else built in @arena (or static); false for null. */
static bool value_text(const struct sl_json_value *v, struct sl_buf *scratch, struct sl_arena *arena,
                       struct sl_str *ret) {
        char *out;
        ssize_t n;

        switch (v->type) {
        case SL_JSON_STRING:
                if (!v->escaped)
                        break;
                out = sl_arena_alloc(arena, v->len + 1);
                n = sl_json_unescape(v->ptr, v->len, out);
                if (n < 0)
                        return false; /* not after a scan: escapes were checked */
                *ret = sl_str_from(out, (size_t)n);
                return true;
        case SL_JSON_INTEGER:
        case SL_JSON_REAL:
                if (v->type == SL_JSON_INTEGER ? integer_text_is_shortest(v->ptr, v->len)
                                               : real_text_is_shortest(v->ptr, v->len))
                        break;
                /* The value is inside the object: a delimiter ends strtod. */
                sl_buf_reset(scratch);
                sl_go_format_float(strtod(v->ptr, NULL), scratch);
                *ret = scratch_copy(scratch, arena);
                return true;
        case SL_JSON_TRUE:
                *ret = SL_STR_LIT("true");
                return true;
        case SL_JSON_FALSE:
                *ret = SL_STR_LIT("false");
                return true;
        case SL_JSON_OBJECT:
        case SL_JSON_ARRAY:
                return container_text(v, scratch, arena, ret);
        case SL_JSON_NULL:
        case SL_JSON_ABSENT:
        default:
                return false;
        }
        /* The text as it stands in the input: borrowed from it. */
        *ret = sl_str_from(v->ptr, v->len);
        return true;
}

/* The text of the jansson value @v (from a JMESPath result); false for
 * null. */
static bool tree_text(const json_t *v, struct sl_buf *scratch, struct sl_arena *arena,
                      struct sl_str *ret) {
        switch (json_typeof(v)) {
        case JSON_STRING:
                *ret = sl_arena_strdup(arena, sl_str_from(json_string_value(v), json_string_length(v)));
                return true;
        case JSON_REAL:
        case JSON_INTEGER:
                sl_buf_reset(scratch);
                sl_go_format_float(json_number_value(v), scratch);
                *ret = scratch_copy(scratch, arena);
                return true;
        case JSON_TRUE:
                *ret = SL_STR_LIT("true");
                return true;
        case JSON_FALSE:
                *ret = SL_STR_LIT("false");
                return true;
        case JSON_OBJECT:
        case JSON_ARRAY:
                sl_buf_reset(scratch);
                sl_go_json_render(v, scratch);
                *ret = scratch_copy(scratch, arena);
                return true;
        default:
                return false;
        }
}

/* Evaluates the expressions that need a tree, parsing @input once. */
static void eval_tree(struct json_ctx *ctx, struct sl_entry *e, struct sl_str input) {
        json_error_t error;
        json_t *root;

        parse_arena = &e->arena;
        root = json_loadb(input.ptr, input.len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &error);
        for (size_t i = 0; root && i < ctx->n_exprs; i++) {
                struct sl_str text;
                json_t *r;

                if (!ctx->exprs[i].jmes)
                        continue;
                r = sl_jmespath_eval(ctx->exprs[i].jmes, root);
                if (r && tree_text(r, &ctx->scratch, &e->arena, &text))
                        sl_kvs_set(&e->extracted, ctx->exprs[i].name_s, text);
                json_decref(r);
        }
        json_decref(root);
        parse_arena = NULL;
}

static int json_process(void *userdata, struct sl_entry *e) {
        struct json_ctx *ctx = userdata;
        struct sl_str input = e->line;
        struct sl_json_doc doc;

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                input = *v;
        }

        if (sl_json_scan(ctx->paths, input.ptr, input.len, ctx->values, &doc) < 0 ||
            doc.top != SL_JSON_OBJECT) {
                if (ctx->drop_malformed) {
                        e->drop_reason = "malformed_json";
                        return SL_STAGE_DROP;
                }
                return SL_STAGE_KEEP;
        }
        /* The names are those of a YAML map: distinct. When the entry has
         * none of them yet (the usual case: a line's first parse), each is
         * appended without looking for it among the others. */
        bool fresh = !sl_kvs_may_hold(&e->extracted, ctx->name_bits);

        for (size_t i = 0; i < ctx->n_exprs; i++) {
                const struct sl_json_value *v;
                struct sl_str text;

                if (ctx->exprs[i].slot < 0)
                        continue;
                v = &ctx->values[ctx->exprs[i].slot];
                /* A string without escapes, the most common value, is
                 * taken here; value_text() does the rest. */
                if (v->type == SL_JSON_STRING && !v->escaped)
                        text = sl_str_from(v->ptr, v->len);
                else if (!value_text(v, &ctx->scratch, &e->arena, &text))
                        continue;
                if (fresh)
                        sl_kvs_append(&e->extracted, ctx->exprs[i].name_s, text);
                else
                        sl_kvs_set(&e->extracted, ctx->exprs[i].name_s, text);
        }
        if (ctx->need_tree)
                eval_tree(ctx, e, input);
        return SL_STAGE_KEEP;
}

static bool bare_key_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '$';
}

/* Not a plain path: a JMESPath expression of jmespath.h, or an error. */
static int unsupported(const char *text, const struct sl_yaml_node *node, const char *key,
                       struct json_expr *x, struct sl_cfg_error *err) {
        char msg[256];

        if (sl_jmespath_new(text, &x->jmes, msg, sizeof(msg)) < 0)
                return sl_cfg_error_set(err, node, key, "cannot compile JMESPath expression \"%s\": %s",
                                        text, msg);
        x->slot = -1;
        return 0;
}

/* Splits `a.b."c.d"` into keys and adds the path to @paths; sets x->slot.
 * Returns 0 or -EINVAL with @err filled. */
static int parse_expression(const char *text, const struct sl_yaml_node *node, const char *key,
                            struct json_expr *x, struct sl_json_paths *paths,
                            struct sl_cfg_error *err) {
        struct sl_str keys[SL_JSON_PATH_MAX_KEYS];
        size_t n_keys = 0;
        const char *p = text;

        for (;;) {
                const char *start, *stop;

                if (n_keys == SL_JSON_PATH_MAX_KEYS)
                        return sl_cfg_error_set(err, node, key, "expression \"%s\" is deeper than %d keys",
                                                text, SL_JSON_PATH_MAX_KEYS);
                if (*p == '"') {
                        start = ++p;
                        stop = strchr(p, '"');
                        if (!stop || stop == start)
                                return unsupported(text, node, key, x, err);
                        p = stop + 1;
                } else {
                        start = p;
                        while (bare_key_char(*p))
                                p++;
                        stop = p;
                        if (stop == start)
                                return unsupported(text, node, key, x, err);
                }
                keys[n_keys++] = sl_str_from(start, (size_t)(stop - start));
                if (*p == '\0')
                        break;
                if (*p != '.')
                        return unsupported(text, node, key, x, err);
                p++;
        }
        x->slot = sl_json_paths_add(paths, keys, n_keys);
        return 0;
}

static void json_destroy(void *userdata) {
        struct json_ctx *ctx = userdata;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n_exprs; i++) {
                free(ctx->exprs[i].name);
                sl_jmespath_free(ctx->exprs[i].jmes);
        }
        sl_buf_release(&ctx->scratch);
        free(ctx->exprs);
        sl_json_paths_free(ctx->paths);
        free(ctx->values);
        free(ctx->source);
        free(ctx);
}

static inline void json_destroyp(struct json_ctx **p) {
        json_destroy(*p);
}

static int json_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx) {
        _cleanup_(json_destroyp) struct json_ctx *ctx = sl_xnew(struct json_ctx);
        const struct sl_yaml_node *exprs = sl_yaml_get(node, "expressions");
        char key[160];
        int r;

        sl_stage_key(key, sizeof(key), path, "expressions");
        if (!exprs || exprs->kind != SL_YAML_MAP || exprs->count == 0)
                return sl_cfg_error_set(err, exprs ? exprs : node, key,
                                        "expected a map of at least one `name: expression`");
        sl_buf_init(&ctx->scratch, 16u << 20);
        ctx->exprs = sl_xcalloc(exprs->count, sizeof(*ctx->exprs));
        ctx->paths = sl_json_paths_new();
        for (size_t i = 0; i < exprs->count; i++) {
                const struct sl_yaml_node *kn = exprs->keys[i], *vn = exprs->values[i];
                struct json_expr *x = &ctx->exprs[ctx->n_exprs++];
                const char *text;
                char k[224];

                x->name = sl_xstrdup(kn->text ? kn->text : "");
                x->name_s = sl_str_c(x->name);
                snprintf(k, sizeof(k), "%s.%s", key, x->name);
                if (x->name_s.len == 0)
                        return sl_cfg_error_set(err, kn, key, "an extracted name cannot be empty");
                if (vn && vn->kind != SL_YAML_NULL && vn->kind != SL_YAML_SCALAR)
                        return sl_cfg_error_set(err, vn, k, "expected an expression (a string)");
                text = vn && vn->kind == SL_YAML_SCALAR && vn->text_len ? vn->text : x->name;
                r = parse_expression(text, vn ? vn : kn, k, x, ctx->paths, err);
                if (r < 0)
                        return r;
                if (x->jmes)
                        ctx->need_tree = true;
                else
                        ctx->name_bits |= sl_kvs_name_bit(x->name_s);
        }
        ctx->values = sl_xcalloc(sl_json_paths_count(ctx->paths), sizeof(*ctx->values));

        r = sl_stage_get_string(node, path, "source", &ctx->source, err);
        if (r < 0)
                return r;
        ctx->source_s = sl_str_c(ctx->source);
        r = sl_stage_get_bool(node, path, "drop_malformed", &ctx->drop_malformed, err);
        if (r < 0)
                return r;

        install_allocator();
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const json_keys[] = { "expressions", "source", "drop_malformed", NULL };

const struct sl_stage_type sl_stage_json = {
        .name = "json",
        .help = "extract fields of a JSON line (JMESPath: keys, paths, indexes, projections)",
        .keys = json_keys,
        .create = json_create,
        .process = json_process,
        .destroy = json_destroy,
};
