/* pipeline.c - see pipeline.h. */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/xalloc.h"
#include "core/labels.h"

struct stage {
        const struct sl_stage_type *type; /* borrowed: a static table */
        void *ctx;                        /* owned: released by type->destroy */
};

struct drop_count {
        char *reason;   /* owned copy of the first reason string seen */
        uint64_t count; /* entries dropped with this reason */
};

struct sl_pipeline {
        struct stage *stages;     /* owned array, in run order */
        size_t n_stages;          /* stages in use */
        struct drop_count *drops; /* owned array, one per distinct reason */
        size_t n_drops;           /* reasons in use */
        size_t cap_drops;         /* reasons allocated */
        uint64_t errors;          /* entries on which a stage returned -errno */
};

/* Fills @err for a problem the runner itself finds, at @node's position
 * (or in @path when the node has none). Returns -EINVAL. */
static int __attribute__((format(printf, 5, 6)))
fail(struct sl_cfg_error *err, const struct sl_yaml_node *node, const char *path, const char *key,
     const char *fmt, ...) {
        va_list ap;

        memset(err, 0, sizeof(*err));
        snprintf(err->file, sizeof(err->file), "%s",
                 node && node->file ? node->file : (path ? path : ""));
        if (node) {
                err->line = node->line;
                err->column = node->column;
        }
        snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* A stage's error may lack a position (a stage written as `- docker:` has
 * no node of its own): take the stage item's. */
static void fill_position(struct sl_cfg_error *err, const struct sl_yaml_node *node,
                          const char *path) {
        if (err->file[0] == '\0')
                snprintf(err->file, sizeof(err->file), "%s",
                         node && node->file ? node->file : (path ? path : ""));
        if (err->line == 0 && node) {
                err->line = node->line;
                err->column = node->column;
        }
}

static const struct sl_stage_type *find_type(const struct sl_stage_type *const *types,
                                             const char *name) {
        for (size_t i = 0; types && types[i]; i++)
                if (strcmp(types[i]->name, name) == 0)
                        return types[i];
        return NULL;
}

static int unknown_stage(struct sl_cfg_error *err, const struct sl_yaml_node *node,
                         const char *path, const char *key, const char *name,
                         const struct sl_stage_type *const *types) {
        char known[384];
        size_t len = 0;

        known[0] = '\0';
        for (size_t i = 0; types && types[i] && len < sizeof(known); i++) {
                int n = snprintf(known + len, sizeof(known) - len, "%s%s", i ? ", " : "",
                                 types[i]->name);
                if (n < 0)
                        break;
                len += (size_t)n;
        }
        return fail(err, node, path, key, "unknown stage \"%s\"; known stages: %s", name, known);
}

/* Builds the stage of item @i, a one-key map `<name>: <config>`. */
static int build_stage(struct sl_pipeline *p, size_t i, const struct sl_yaml_node *item,
                       const char *path, const struct sl_stage_type *const *types,
                       struct sl_cfg_error *err) {
        const struct sl_stage_type *type;
        const struct sl_yaml_node *conf;
        const char *name;
        char key[96];
        void *ctx = NULL;
        int r;

        snprintf(key, sizeof(key), "pipeline_stages[%zu]", i);
        if (!item || item->kind != SL_YAML_MAP || item->count != 1)
                return fail(err, item, path, key,
                            "expected a map with one key, the stage name (`- json: {...}`)");
        name = item->keys[0]->text ? item->keys[0]->text : "";
        type = find_type(types, name);
        if (!type)
                return unknown_stage(err, item->keys[0], path, key, name, types);

        snprintf(key, sizeof(key), "pipeline_stages[%zu].%s", i, type->name);
        conf = item->values[0];
        /* `- docker:` and `- docker: {}` both mean "no settings". */
        if (conf && (conf->kind == SL_YAML_NULL || (conf->kind == SL_YAML_MAP && conf->count == 0)))
                conf = NULL;
        if (type->takes_list) {
                if (conf && conf->kind != SL_YAML_SEQ)
                        return fail(err, conf, path, key, "expected a list of names");
        } else if (conf && conf->kind != SL_YAML_MAP) {
                return fail(err, conf, path, key, "expected a map of settings");
        }
        if (type->keys) {
                r = sl_yaml_map_check(conf, key, type->keys, err);
                if (r < 0) {
                        fill_position(err, item, path);
                        return r;
                }
        }
        r = type->create(conf, key, err, &ctx);
        if (r < 0) {
                fill_position(err, conf ? conf : item, path);
                return r;
        }
        p->stages[p->n_stages++] = (struct stage){ .type = type, .ctx = ctx };
        return 0;
}

int sl_pipeline_new(const struct sl_yaml_node *stages, const char *path,
                    const struct sl_stage_type *const *types, struct sl_cfg_error *err,
                    struct sl_pipeline **ret) {
        _cleanup_(sl_pipeline_freep) struct sl_pipeline *p = sl_xnew(struct sl_pipeline);
        int r;

        if (stages && stages->kind == SL_YAML_NULL)
                stages = NULL;
        if (stages && stages->kind != SL_YAML_SEQ)
                return fail(err, stages, path, "pipeline_stages",
                            "expected a list of stages (`- docker: {}`)");
        if (stages && stages->count) {
                p->stages = sl_xcalloc(stages->count, sizeof(*p->stages));
                for (size_t i = 0; i < stages->count; i++) {
                        r = build_stage(p, i, stages->values[i], path, types, err);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static void count_drop(struct sl_pipeline *p, const char *reason) {
        struct drop_count *d;

        if (!reason)
                reason = "unknown";
        for (size_t i = 0; i < p->n_drops; i++) {
                d = &p->drops[i];
                if (strcmp(d->reason, reason) == 0) {
                        d->count++;
                        return;
                }
        }
        /* A new reason: happens once per distinct reason, not per line. */
        sl_xgrow((void **)&p->drops, sizeof(*p->drops), &p->cap_drops, p->n_drops + 1);
        p->drops[p->n_drops++] = (struct drop_count){ .reason = sl_xstrdup(reason), .count = 1 };
}

int sl_pipeline_run(struct sl_pipeline *p, struct sl_entry *e) {
        /* Stages see the entry's labels as extracted values too (filename,
         * job, ...), as in Promtail; internal ("__") names excepted. */
        if (e->extracted.len == 0) {
                /* The common case, a fresh entry: one pass, no lookups. */
                sl_kvs_copy(&e->extracted, &e->labels);
                for (size_t i = 0; i < e->extracted.len;)
                        if (sl_label_name_internal(e->extracted.items[i].name))
                                e->extracted.items[i] = e->extracted.items[--e->extracted.len];
                        else
                                i++;
        } else {
                for (size_t i = 0; i < e->labels.len; i++)
                        if (!sl_label_name_internal(e->labels.items[i].name))
                                sl_kvs_set(&e->extracted, e->labels.items[i].name, e->labels.items[i].value);
        }
        for (size_t i = 0; i < p->n_stages; i++) {
                struct stage *s = &p->stages[i];
                int r = s->type->process(s->ctx, e);

                if (r < 0) {
                        p->errors++;
                        continue;
                }
                if (r == SL_STAGE_DROP) {
                        count_drop(p, e->drop_reason);
                        return SL_STAGE_DROP;
                }
                if (r == SL_STAGE_HOLD)
                        return SL_STAGE_HOLD;
        }
        return SL_STAGE_KEEP;
}

void sl_pipeline_forget(struct sl_pipeline *p, uint64_t source_id) {
        for (size_t i = 0; i < p->n_stages; i++)
                if (p->stages[i].type->forget)
                        p->stages[i].type->forget(p->stages[i].ctx, source_id);
}

void sl_pipeline_foreach_drop(const struct sl_pipeline *p,
                              void (*fn)(void *ud, const char *reason, uint64_t count), void *ud) {
        for (size_t i = 0; i < p->n_drops; i++)
                fn(ud, p->drops[i].reason, p->drops[i].count);
}

uint64_t sl_pipeline_errors(const struct sl_pipeline *p) {
        return p->errors;
}

size_t sl_pipeline_n_stages(const struct sl_pipeline *p) {
        return p->n_stages;
}

void sl_pipeline_free(struct sl_pipeline *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_stages; i++)
                if (p->stages[i].type->destroy)
                        p->stages[i].type->destroy(p->stages[i].ctx);
        for (size_t i = 0; i < p->n_drops; i++)
                free(p->drops[i].reason);
        free(p->drops);
        free(p->stages);
        free(p);
}
