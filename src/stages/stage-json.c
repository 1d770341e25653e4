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
 * Parsing allocates nothing from malloc: while a line is parsed, jansson's
 * allocator hands out memory from the entry's arena (json_set_alloc_funcs),
 * so the strings jansson builds become the extracted values as they are and
 * everything is reclaimed when the entry is reset. Outside of a parse the
 * allocator is plain malloc/free, for any other jansson user.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define MAX_PATH_DEPTH 16

struct json_expr {
        char *name;                    /* owned: the extracted name */
        struct sl_str name_s;          /* slice of name */
        char *segments[MAX_PATH_DEPTH]; /* owned: keys from the top object down */
        size_t n_segments;             /* segments in use, at least 1 */
};

struct json_ctx {
        struct json_expr *exprs; /* owned array */
        size_t n_exprs;          /* items in use */
        char *source;            /* owned: extracted name to parse; NULL: the line */
        struct sl_str source_s;  /* slice of source */
        bool drop_malformed;     /* drop what does not parse instead of keeping it */
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

/* Parses @s as a JSON object. Returns a new reference, to be released while
 * parse_arena is still the arena it was parsed in, or NULL. */
static json_t *parse_object(struct sl_str s) {
        json_error_t error;
        json_t *root;

        if (s.len == 0)
                return NULL;
        root = json_loadb(s.ptr, s.len, JSON_ALLOW_NUL, &error);
        /* An integer too big for 64 bits is still JSON: read numbers as
         * doubles rather than calling the line malformed. */
        if (!root && json_error_code(&error) == json_error_numeric_overflow)
                root = json_loadb(s.ptr, s.len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &error);
        if (root && !json_is_object(root)) {
                json_decref(root);
                root = NULL;
        }
        return root;
}

static json_t *lookup(json_t *root, const struct json_expr *x) {
        json_t *v = root;

        for (size_t i = 0; i < x->n_segments && v; i++)
                v = json_is_object(v) ? json_object_get(v, x->segments[i]) : NULL;
        return v;
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

/* The text of @v in @arena (or static), or false for null. */
static bool value_text(json_t *v, struct sl_arena *arena, struct sl_str *ret) {
        char *out;
        size_t n;

        switch (json_typeof(v)) {
        case JSON_STRING:
                /* Allocated by jansson in the arena: lives until reset. */
                *ret = sl_str_from(json_string_value(v), json_string_length(v));
                return true;
        case JSON_INTEGER:
                out = sl_arena_alloc(arena, 24);
                n = (size_t)snprintf(out, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                *ret = sl_str_from(out, n);
                return true;
        case JSON_REAL:
                *ret = format_real(json_real_value(v), arena);
                return true;
        case JSON_TRUE:
                *ret = SL_STR_LIT("true");
                return true;
        case JSON_FALSE:
                *ret = SL_STR_LIT("false");
                return true;
        case JSON_NULL:
                return false;
        case JSON_OBJECT:
        case JSON_ARRAY:
                n = json_dumpb(v, NULL, 0, JSON_COMPACT);
                out = sl_arena_alloc(arena, n + 1);
                n = json_dumpb(v, out, n, JSON_COMPACT);
                *ret = sl_str_from(out, n);
                return true;
        }
        return false;
}

static int json_process(void *userdata, struct sl_entry *e) {
        struct json_ctx *ctx = userdata;
        struct sl_str input = e->line;
        json_t *root;

        if (ctx->source) {
                const struct sl_str *v = sl_kvs_get(&e->extracted, ctx->source_s);
                if (!v)
                        return SL_STAGE_KEEP;
                input = *v;
        }

        parse_arena = &e->arena;
        root = parse_object(input);
        if (root) {
                for (size_t i = 0; i < ctx->n_exprs; i++) {
                        json_t *v = lookup(root, &ctx->exprs[i]);
                        struct sl_str text;
                        if (v && value_text(v, &e->arena, &text))
                                sl_kvs_set(&e->extracted, ctx->exprs[i].name_s, text);
                }
                json_decref(root);
        }
        parse_arena = NULL;

        if (!root && ctx->drop_malformed) {
                e->drop_reason = "malformed_json";
                return SL_STAGE_DROP;
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

/* Splits `a.b."c.d"` into keys. Returns 0 or -EINVAL with @err filled. */
static int parse_expression(const char *text, const struct sl_yaml_node *node, const char *key,
                            struct json_expr *x, struct sl_cfg_error *err) {
        const char *p = text;

        for (;;) {
                const char *start, *stop;

                if (x->n_segments == MAX_PATH_DEPTH)
                        return sl_cfg_error_set(err, node, key, "expression \"%s\" is deeper than %d keys",
                                                text, MAX_PATH_DEPTH);
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
                x->segments[x->n_segments++] = sl_xstrndup(start, (size_t)(stop - start));
                if (*p == '\0')
                        return 0;
                if (*p != '.')
                        return unsupported(text, node, key, err);
                p++;
        }
}

static void json_destroy(void *userdata) {
        struct json_ctx *ctx = userdata;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n_exprs; i++) {
                free(ctx->exprs[i].name);
                for (size_t j = 0; j < ctx->exprs[i].n_segments; j++)
                        free(ctx->exprs[i].segments[j]);
        }
        free(ctx->exprs);
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
                r = parse_expression(text, vn ? vn : kn, k, x, err);
                if (r < 0)
                        return r;
        }

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
