/* stage-json.c - the `json` stage: copies fields of a JSON line into the
 * entry's extracted values.
 *
 * Keys (as Promtail's): `expressions` maps an extracted name to where the
 * value is in the object, a top-level key (`msg`) or a dotted path
 * (`req.method`, `"@timestamp"` quoted for keys JMESPath would not take bare);
 * an empty expression means the name itself. `source` parses an extracted
 * value instead of the line; `drop_malformed` drops lines that are not a JSON
 * object (reason "malformed_json") instead of keeping them as they are.
 *
 * Extracted values are text: strings as they are, numbers as their shortest
 * decimal form, true/false, objects and arrays as compact JSON; null leaves
 * the name unset.
 *
 * The expressions' paths are compiled once into a json-scan path set; each
 * line is then validated and searched in one pass (json-scan.h), with no
 * tree built. What is valid, and the texts made of values, are what they
 * were when the stage parsed lines with jansson: numbers that are not in
 * their shortest form already are converted as jansson read them (a
 * document holding an integer beyond 64 bits has all of its numbers read
 * as doubles). Every extracted value lives in the entry's arena, valid
 * until the entry is reset whatever the input's lifetime (for unescaped
 * strings and numbers a short copy, which does not show in profiles).
 *
 * Objects and arrays, rare in what pipelines extract, are still rendered by
 * jansson (the same compact text as before: keys once, escapes and reals
 * written jansson's way). While it parses one, jansson's allocator hands
 * out memory from the entry's arena (json_set_alloc_funcs), so the hot path
 * never calls malloc; outside of that the allocator is plain malloc/free,
 * for any other jansson user.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/json-scan.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

struct json_expr {
        char *name;           /* owned: the extracted name */
        struct sl_str name_s; /* slice of name */
        int slot;             /* its path's value in json_ctx.values */
};

struct json_ctx {
        struct json_expr *exprs;      /* owned array */
        size_t n_exprs;               /* items in use */
        struct sl_json_paths *paths;  /* owned: the expressions' paths */
        struct sl_json_value *values; /* owned: one per path, rewritten by each scan */
        char *source;                 /* owned: extracted name to parse; NULL: the line */
        struct sl_str source_s;       /* slice of source */
        bool drop_malformed;          /* drop what does not parse instead of keeping it */
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

/* The shortest text that reads back as @d, written as JavaScript writes
 * numbers (pino is JavaScript): plain decimals for exponents -6 to 20
 * ("1000", "0.1"), exponent form beyond ("1e+21"). */
static struct sl_str format_real(double d, struct sl_arena *arena) {
        char *out = sl_arena_alloc(arena, 48), sci[32];
        int digits = 0, exp, n;

        for (digits = 0; digits < 17; digits++) {
                snprintf(sci, sizeof(sci), "%.*e", digits, d);
                if (strtod(sci, NULL) == d)
                        break;
        }
        exp = atoi(strchr(sci, 'e') + 1);
        if (exp >= -6 && exp < 21)
                n = snprintf(out, 48, "%.*f", digits - exp > 0 ? digits - exp : 0, d);
        else
                n = snprintf(out, 48, "%.*g", digits + 1, d);
        return sl_str_from(out, n > 0 ? (size_t)n : 0);
}

/* Whether the number text [@p, @p + @n) is already what format_real()
 * writes for its value: no exponent, at most 15 significant digits (a
 * double keeps 15, so no shorter text reads back as the same value), no
 * trailing zero after a point, and not below 1e-6, where format_real()
 * turns to exponent form. Pino's numbers all are. */
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
        if (significant > 15)
                return false;
        return !dot || first < dot || first - dot - 1 <= 5;
}

/* The compact JSON text of the object or array @v, rendered by jansson as
 * before (see the top of the file), in @arena. */
static bool container_text(const struct sl_json_value *v, const struct sl_json_doc *doc,
                           struct sl_arena *arena, struct sl_str *ret) {
        size_t flags = JSON_ALLOW_NUL | (doc->int_overflow ? JSON_DECODE_INT_AS_REAL : 0);
        json_error_t error;
        json_t *root;
        char *out;
        size_t n;

        parse_arena = arena;
        root = json_loadb(v->ptr, v->len, flags, &error);
        if (root) {
                n = json_dumpb(root, NULL, 0, JSON_COMPACT);
                out = sl_arena_alloc(arena, n + 1);
                n = json_dumpb(root, out, n, JSON_COMPACT);
                *ret = sl_str_from(out, n);
                json_decref(root);
        }
        parse_arena = NULL;
        return root != NULL;
}

/* The text of @v, found in a document described by @doc, in @arena (or
 * static); false for null. */
static bool value_text(const struct sl_json_value *v, const struct sl_json_doc *doc,
                       struct sl_arena *arena, struct sl_str *ret) {
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
                if (v->type == SL_JSON_INTEGER && !doc->int_overflow) {
                        /* An int64 as jansson wrote it: the literal, but -0 is 0. */
                        if (v->len == 2 && v->ptr[0] == '-' && v->ptr[1] == '0') {
                                *ret = SL_STR_LIT("0");
                                return true;
                        }
                        break;
                }
                /* A double (every number, when an integer overflowed). */
                if (real_text_is_shortest(v->ptr, v->len))
                        break;
                /* The value is inside the object: a delimiter ends strtod. */
                *ret = format_real(strtod(v->ptr, NULL), arena);
                return true;
        case SL_JSON_TRUE:
                *ret = SL_STR_LIT("true");
                return true;
        case SL_JSON_FALSE:
                *ret = SL_STR_LIT("false");
                return true;
        case SL_JSON_OBJECT:
        case SL_JSON_ARRAY:
                return container_text(v, doc, arena, ret);
        case SL_JSON_NULL:
        case SL_JSON_ABSENT:
        default:
                return false;
        }
        /* The text as it stands in the input. */
        *ret = sl_arena_strdup(arena, sl_str_from(v->ptr, v->len));
        return true;
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
        for (size_t i = 0; i < ctx->n_exprs; i++) {
                struct sl_str text;
                if (value_text(&ctx->values[ctx->exprs[i].slot], &doc, &e->arena, &text))
                        sl_kvs_set(&e->extracted, ctx->exprs[i].name_s, text);
        }
        return SL_STAGE_KEEP;
}

static bool bare_key_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '$';
}

static int unsupported(const char *text, const struct sl_yaml_node *node, const char *key,
                       struct sl_cfg_error *err) {
        return sl_cfg_error_set(err, node, key,
                                "unsupported expression \"%s\": use a key or a dotted path "
                                "(req.method; quote keys with other characters: '\"@t\"')",
                                text);
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
                                return unsupported(text, node, key, err);
                        p = stop + 1;
                } else {
                        start = p;
                        while (bare_key_char(*p))
                                p++;
                        stop = p;
                        if (stop == start)
                                return unsupported(text, node, key, err);
                }
                keys[n_keys++] = sl_str_from(start, (size_t)(stop - start));
                if (*p == '\0')
                        break;
                if (*p != '.')
                        return unsupported(text, node, key, err);
                p++;
        }
        x->slot = sl_json_paths_add(paths, keys, n_keys);
        return 0;
}

static void json_destroy(void *userdata) {
        struct json_ctx *ctx = userdata;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n_exprs; i++)
                free(ctx->exprs[i].name);
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
        .help = "extract fields of a JSON line (keys or dotted paths) into extracted values",
        .keys = json_keys,
        .create = json_create,
        .process = json_process,
        .destroy = json_destroy,
};
