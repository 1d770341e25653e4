/* stage-match.c - the `match` stage: runs nested stages, or drops the
 * entry, when its labels and line match a LogQL selector.
 *
 * Keys (as Promtail's): `selector` (required: a LogQL stream selector,
 * `{app="api", level=~"warn|error"}`, optionally followed by line filters
 * `|= "text"`, `!= "text"`, `|~ "regex"`, `!~ "regex"`, all of which must
 * hold), `action` (`keep`, the default: run `stages` on matching entries;
 * `drop`: drop them, counted under `drop_counter_reason`, default
 * "match_stage"), `stages` (the nested pipeline; required with keep,
 * refused with drop) and `pipeline_name` (a name for the nested pipeline;
 * may be omitted, not empty). Label matchers are anchored as Prometheus's
 * (`=~"a|b"` is `^(?:a|b)$`), line filter regexes are not; a label the
 * entry lacks matches as "". An entry that does not match goes on
 * unchanged. Regexes are Go RE2 syntax (go-regex.h).
 *
 * The nested stages are a pipeline of their own: what they hold, release
 * (a multiline block goes on through the stages after this one), wait for
 * or count in metrics is asked of them through this stage's optional
 * members (stage.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "base/go-regex.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

enum match_op { OP_EQ, OP_NE, OP_RE, OP_NRE };

struct matcher {
        char *name;             /* owned: label name (matchers) */
        struct sl_str name_s;
        enum match_op op;
        char *value;            /* owned: the text (= and != forms) */
        struct sl_str value_s;
        struct sl_go_regex *re; /* owned: the regex forms */
};

struct match_ctx {
        struct matcher *labels;    /* owned array: label matchers */
        size_t n_labels;
        struct matcher *filters;   /* owned array: line filters (name unused) */
        size_t n_filters;
        struct sl_pipeline *stages; /* owned: nested stages (keep), or NULL */
        const struct sl_stage_emitter *em; /* borrowed: where entries the nested
                                    * stages release go on (the outer stages) */
        bool drop;                 /* action: drop */
        char *reason;              /* owned: drop_counter_reason */
};

static bool test(struct matcher *m, struct sl_str s, bool contains) {
        bool hit;

        switch (m->op) {
        case OP_EQ:
        case OP_NE:
                hit = contains ? (m->value_s.len == 0 ||
                                  (s.len && memmem(s.ptr, s.len, m->value_s.ptr, m->value_s.len)))
                               : sl_str_eq(s, m->value_s);
                return m->op == OP_EQ ? hit : !hit;
        case OP_RE:
        case OP_NRE:
                hit = sl_go_regex_matches(m->re, s);
                return m->op == OP_RE ? hit : !hit;
        }
        return false;
}

static int match_process(void *userdata, struct sl_entry *e) {
        struct match_ctx *ctx = userdata;
        uint64_t errors;
        int r;

        for (size_t i = 0; i < ctx->n_labels; i++) {
                const struct sl_str *v = sl_kvs_get(&e->labels, ctx->labels[i].name_s);
                if (!test(&ctx->labels[i], v ? *v : SL_STR_LIT(""), false))
                        return SL_STAGE_KEEP;
        }
        for (size_t i = 0; i < ctx->n_filters; i++)
                if (!test(&ctx->filters[i], e->line, true))
                        return SL_STAGE_KEEP;
        if (ctx->drop) {
                e->drop_reason = ctx->reason;
                return SL_STAGE_DROP;
        }
        errors = sl_pipeline_errors(ctx->stages);
        r = sl_pipeline_run(ctx->stages, e);
        /* A nested stage's internal failure counts in the outer pipeline
         * too (the entry goes on as it stands either way). */
        if (r == SL_STAGE_KEEP && sl_pipeline_errors(ctx->stages) != errors)
                return -ENOBUFS;
        return r;
}

static void matchers_free(struct matcher *m, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(m[i].name);
                free(m[i].value);
                sl_go_regex_free(m[i].re);
        }
        free(m);
}

static void match_forget(void *userdata, uint64_t source_id) {
        struct match_ctx *ctx = userdata;

        if (ctx->stages)
                sl_pipeline_forget(ctx->stages, source_id);
}

/* An entry a nested stage released (a multiline block) and the nested
 * stages after it kept: it goes on through the stages after this one. */
static void match_sink(void *userdata, struct sl_entry *e) {
        struct match_ctx *ctx = userdata;

        if (ctx->em)
                sl_stage_emit(ctx->em, e);
}

static void match_bind(void *userdata, const struct sl_stage_emitter *em) {
        struct match_ctx *ctx = userdata;

        ctx->em = em;
        if (ctx->stages)
                sl_pipeline_set_sink(ctx->stages, match_sink, ctx);
}

static bool match_held_from(void *userdata, uint64_t source_id, uint64_t *ret_offset) {
        struct match_ctx *ctx = userdata;

        return ctx->stages && sl_pipeline_held_from(ctx->stages, source_id, ret_offset);
}

static uint64_t match_deadline(void *userdata) {
        struct match_ctx *ctx = userdata;

        return ctx->stages ? sl_pipeline_deadline(ctx->stages) : UINT64_MAX;
}

static void match_flush(void *userdata, uint64_t now_ns, bool all) {
        struct match_ctx *ctx = userdata;

        if (ctx->stages)
                sl_pipeline_flush(ctx->stages, now_ns, all);
}

static uint64_t match_resume_at(void *userdata, uint64_t now_ns, uint64_t *ret_allowance) {
        struct match_ctx *ctx = userdata;

        return ctx->stages ? sl_pipeline_resume_at(ctx->stages, now_ns, ret_allowance) : 0;
}

static void match_collect(void *userdata, uint64_t now_ns, const struct sl_stage_metrics_out *out) {
        struct match_ctx *ctx = userdata;

        if (ctx->stages)
                sl_pipeline_collect(ctx->stages, now_ns, out);
}

static void match_destroy(void *userdata) {
        struct match_ctx *ctx = userdata;

        if (!ctx)
                return;
        matchers_free(ctx->labels, ctx->n_labels);
        matchers_free(ctx->filters, ctx->n_filters);
        sl_pipeline_free(ctx->stages);
        free(ctx->reason);
        free(ctx);
}

static inline void match_destroyp(struct match_ctx **p) {
        match_destroy(*p);
}

/* ---- the selector ------------------------------------------------------- */

struct sel {
        const char *p;
        char *msg;
        size_t size;
};

static void ws(struct sel *s) {
        while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
                s->p++;
}

static bool name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* A LogQL string ("..." with Go escapes, or `...`) into a new string. */
static char *string_lit(struct sel *s) {
        struct sl_buf b;
        char *out;

        if (*s->p == '`') {
                const char *end = strchr(s->p + 1, '`');
                if (!end)
                        return NULL;
                out = sl_xstrndup(s->p + 1, (size_t)(end - s->p - 1));
                s->p = end + 1;
                return out;
        }
        if (*s->p != '"')
                return NULL;
        sl_buf_init(&b, 1u << 20);
        for (s->p++; *s->p && *s->p != '"'; s->p++) {
                char c = *s->p;
                if (c == '\\' && s->p[1]) {
                        c = *++s->p;
                        c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
                }
                sl_buf_putc(&b, c);
        }
        if (*s->p != '"') {
                sl_buf_release(&b);
                return NULL;
        }
        s->p++;
        out = sl_xstrndup(b.data ? b.data : "", b.len);
        sl_buf_release(&b);
        return out;
}

static int compile_value(struct matcher *m, bool anchored, char *msg, size_t size) {
        if (m->op == OP_EQ || m->op == OP_NE) {
                m->value_s = sl_str_c(m->value);
                return 0;
        }
        if (anchored) {
                _cleanup_free_ char *re = sl_xasprintf("^(?:%s)$", m->value);
                return sl_go_regex_new(re, &m->re, msg, size);
        }
        return sl_go_regex_new(m->value, &m->re, msg, size);
}

static int parse_selector(struct match_ctx *ctx, const char *text, char *msg, size_t size) {
        struct sel s = { text, msg, size };
        size_t cap = 0;

        ws(&s);
        if (*s.p != '{')
                return snprintf(msg, size, "expected '{' to start the stream selector"), -EINVAL;
        s.p++;
        ws(&s);
        while (*s.p != '}') {
                struct matcher m = { 0 };
                const char *start = s.p;

                if (!name_char(*s.p, true))
                        return snprintf(msg, size, "expected a label name at \"%.20s\"", s.p), -EINVAL;
                while (name_char(*s.p, false))
                        s.p++;
                m.name = sl_xstrndup(start, (size_t)(s.p - start));
                m.name_s = sl_str_c(m.name);
                ws(&s);
                if (s.p[0] == '=' && s.p[1] == '~')
                        m.op = OP_RE, s.p += 2;
                else if (s.p[0] == '!' && s.p[1] == '~')
                        m.op = OP_NRE, s.p += 2;
                else if (s.p[0] == '!' && s.p[1] == '=')
                        m.op = OP_NE, s.p += 2;
                else if (s.p[0] == '=')
                        m.op = OP_EQ, s.p += 1;
                else {
                        snprintf(msg, size, "expected =, !=, =~ or !~ after %s", m.name);
                        free(m.name);
                        return -EINVAL;
                }
                ws(&s);
                m.value = string_lit(&s);
                sl_xgrow((void **)&ctx->labels, sizeof(*ctx->labels), &cap, ctx->n_labels + 1);
                ctx->labels[ctx->n_labels++] = m;
                if (!m.value)
                        return snprintf(msg, size, "expected a quoted value for label %s", m.name), -EINVAL;
                if (compile_value(&ctx->labels[ctx->n_labels - 1], true, msg, size) < 0)
                        return -EINVAL;
                ws(&s);
                if (*s.p == ',') {
                        s.p++;
                        ws(&s);
                } else if (*s.p != '}') {
                        return snprintf(msg, size, "expected ',' or '}' at \"%.20s\"", s.p), -EINVAL;
                }
        }
        if (ctx->n_labels == 0)
                return snprintf(msg, size, "a stream selector needs at least one matcher"), -EINVAL;
        s.p++;
        cap = 0;
        for (;;) {
                struct matcher m = { 0 };

                ws(&s);
                if (!*s.p)
                        break;
                if (s.p[0] == '|' && s.p[1] == '=')
                        m.op = OP_EQ;
                else if (s.p[0] == '!' && s.p[1] == '=')
                        m.op = OP_NE;
                else if (s.p[0] == '|' && s.p[1] == '~')
                        m.op = OP_RE;
                else if (s.p[0] == '!' && s.p[1] == '~')
                        m.op = OP_NRE;
                else
                        return snprintf(msg, size,
                                        "only line filters (|=, !=, |~, !~) may follow the selector, at \"%.20s\"",
                                        s.p), -EINVAL;
                s.p += 2;
                ws(&s);
                m.value = string_lit(&s);
                if (!m.value)
                        return snprintf(msg, size, "expected a quoted string after a line filter"), -EINVAL;
                sl_xgrow((void **)&ctx->filters, sizeof(*ctx->filters), &cap, ctx->n_filters + 1);
                ctx->filters[ctx->n_filters++] = m;
                if (compile_value(&ctx->filters[ctx->n_filters - 1], false, msg, size) < 0)
                        return -EINVAL;
        }
        return 0;
}

static int match_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                        void **ret_ctx) {
        _cleanup_(match_destroyp) struct match_ctx *ctx = sl_xnew(struct match_ctx);
        _cleanup_free_ char *selector = NULL, *action = NULL;
        const struct sl_yaml_node *stages = sl_yaml_get(node, "stages"), *name = sl_yaml_get(node, "pipeline_name");
        char key[160], msg[384];
        int r;

        if (name && name->kind == SL_YAML_SCALAR && name->text_len == 0)
                return sl_cfg_error_set(err, name, sl_stage_key(key, sizeof(key), path, "pipeline_name"),
                                        "may be omitted but cannot be empty");
        r = sl_stage_get_string(node, path, "selector", &selector, err);
        if (r < 0)
                return r;
        if (!selector)
                return sl_cfg_error_set(err, node, sl_stage_key(key, sizeof(key), path, "selector"),
                                        "required: a LogQL stream selector, {app=\"api\"}");
        r = sl_stage_get_string(node, path, "action", &action, err);
        if (r < 0)
                return r;
        if (action && strcmp(action, "drop") == 0)
                ctx->drop = true;
        else if (action && strcmp(action, "keep") != 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "action"),
                                        sl_stage_key(key, sizeof(key), path, "action"),
                                        "expected keep or drop, not \"%s\"", action);
        if (stages && (stages->kind == SL_YAML_NULL || (stages->kind == SL_YAML_SEQ && stages->count == 0)))
                stages = NULL;
        if (!ctx->drop && (!stages || stages->kind != SL_YAML_SEQ || stages->count == 0))
                return sl_cfg_error_set(err, stages ? stages : node, sl_stage_key(key, sizeof(key), path, "stages"),
                                        "required with action keep: the stages to run on matching entries");
        if (ctx->drop && stages)
                return sl_cfg_error_set(err, stages, sl_stage_key(key, sizeof(key), path, "stages"),
                                        "a match stage that drops entries cannot have stages");
        if (parse_selector(ctx, selector, msg, sizeof(msg)) < 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, "selector"),
                                        sl_stage_key(key, sizeof(key), path, "selector"),
                                        "invalid selector \"%s\": %s", selector, msg);
        r = sl_stage_get_string(node, path, "drop_counter_reason", &ctx->reason, err);
        if (r < 0)
                return r;
        if (!ctx->reason)
                ctx->reason = sl_xstrdup("match_stage");
        if (stages) {
                r = sl_stages_pipeline_new(stages, stages->file ? stages->file : path, err, &ctx->stages);
                if (r < 0) {
                        /* name the nesting: <path>.stages + the inner key */
                        char inner[sizeof(err->key)], full[512];
                        snprintf(inner, sizeof(inner), "%s", err->key);
                        snprintf(full, sizeof(full), "%s.stages%s", path,
                                 strncmp(inner, "pipeline_stages", 15) == 0 ? inner + 15 : inner);
                        snprintf(err->key, sizeof(err->key), "%.*s", (int)sizeof(err->key) - 1, full);
                        return r;
                }
        }
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const match_keys[] = { "selector", "action", "stages", "pipeline_name",
                                          "drop_counter_reason", NULL };

const struct sl_stage_type sl_stage_match = {
        .name = "match",
        .help = "run nested stages on (or drop) entries matching a LogQL selector and line filters",
        .keys = match_keys,
        .create = match_create,
        .process = match_process,
        .forget = match_forget,
        .destroy = match_destroy,
        .bind = match_bind,
        .held_from = match_held_from,
        .deadline = match_deadline,
        .flush = match_flush,
        .resume_at = match_resume_at,
        .collect = match_collect,
};
