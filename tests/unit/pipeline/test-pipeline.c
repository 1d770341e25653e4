/* test-pipeline.c - the runner: building from YAML, errors with file:line,
 * verdicts, drop counts, forget and destroy, with stage types of its own
 * (the runner does not know the real stages). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/yaml-doc.h"
#include "core/entry.h"
#include "pipeline/pipeline.h"
#include "sl-test.h"

/* What the fake stages saw, reset by each test. */
static struct {
        int created;      /* contexts built */
        int destroyed;    /* contexts freed */
        int processed;    /* process() calls, all stages */
        uint64_t forgot;  /* last source_id given to forget() */
        int forget_calls; /* forget() calls */
        bool null_node;   /* the last create() got a NULL node */
} seen;

struct mark_ctx {
        char *name;  /* owned */
        char *value; /* owned */
};

/* "mark": sets label @name to @value (name required). */
static int mark_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx) {
        struct mark_ctx *ctx;
        char *name = NULL, *value = NULL;
        char key[128];

        seen.null_node = node == NULL;
        snprintf(key, sizeof(key), "%s.name", path);
        if (sl_yaml_as_string(sl_yaml_get(node, "name"), key, &name, err) < 0)
                return -EINVAL;
        if (!name)
                return sl_cfg_error_set(err, NULL, key, "required");
        snprintf(key, sizeof(key), "%s.value", path);
        if (sl_yaml_as_string(sl_yaml_get(node, "value"), key, &value, err) < 0) {
                free(name);
                return -EINVAL;
        }
        ctx = sl_xnew(struct mark_ctx);
        ctx->name = name;
        ctx->value = value ? value : sl_xstrdup("x");
        seen.created++;
        *ret_ctx = ctx;
        return 0;
}

static int mark_process(void *userdata, struct sl_entry *e) {
        struct mark_ctx *ctx = userdata;
        seen.processed++;
        sl_kvs_set(&e->labels, sl_str_c(ctx->name), sl_str_c(ctx->value));
        return SL_STAGE_KEEP;
}

static void mark_destroy(void *userdata) {
        struct mark_ctx *ctx = userdata;
        if (!ctx)
                return;
        seen.destroyed++;
        free(ctx->name);
        free(ctx->value);
        free(ctx);
}

static const char *const mark_keys[] = { "name", "value", NULL };
static const struct sl_stage_type mark_type = {
        .name = "mark", .keys = mark_keys, .create = mark_create,
        .process = mark_process, .destroy = mark_destroy,
};

/* "dropper": drops when the line equals `when` (every line when unset),
 * with `reason` (none: drop_reason stays NULL). The ctx is the config. */
struct dropper_ctx {
        char *reason; /* owned, or NULL */
        char *when;   /* owned, or NULL */
};

static int dropper_create(const struct sl_yaml_node *node, const char *path,
                          struct sl_cfg_error *err, void **ret_ctx) {
        struct dropper_ctx *ctx = sl_xnew(struct dropper_ctx);
        seen.null_node = node == NULL;
        sl_yaml_as_string(sl_yaml_get(node, "reason"), "reason", &ctx->reason, err);
        sl_yaml_as_string(sl_yaml_get(node, "when"), "when", &ctx->when, err);
        seen.created++;
        *ret_ctx = ctx;
        return 0;
}

static int dropper_process(void *userdata, struct sl_entry *e) {
        struct dropper_ctx *ctx = userdata;
        seen.processed++;
        if (ctx->when && !sl_str_eq_c(e->line, ctx->when))
                return SL_STAGE_KEEP;
        e->drop_reason = ctx->reason;
        return SL_STAGE_DROP;
}

static void dropper_destroy(void *userdata) {
        struct dropper_ctx *ctx = userdata;
        if (!ctx)
                return;
        seen.destroyed++;
        free(ctx->reason);
        free(ctx->when);
        free(ctx);
}

static const char *const dropper_keys[] = { "reason", "when", NULL };
static const struct sl_stage_type dropper_type = {
        .name = "dropper", .keys = dropper_keys, .create = dropper_create,
        .process = dropper_process, .destroy = dropper_destroy,
};

/* "holder": holds lines starting with "piece", has forget(); free-form keys. */
static int holder_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        seen.created++;
        *ret_ctx = NULL;
        return 0;
}

static int holder_process(void *userdata, struct sl_entry *e) {
        seen.processed++;
        return e->line.len >= 5 && memcmp(e->line.ptr, "piece", 5) == 0 ? SL_STAGE_HOLD
                                                                          : SL_STAGE_KEEP;
}

static void holder_forget(void *userdata, uint64_t source_id) {
        seen.forgot = source_id;
        seen.forget_calls++;
}

static const struct sl_stage_type holder_type = {
        .name = "holder", .keys = NULL, .create = holder_create,
        .process = holder_process, .forget = holder_forget,
};

/* "failer": fails internally on every entry. */
static int failer_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        seen.created++;
        *ret_ctx = NULL;
        return 0;
}

static int failer_process(void *userdata, struct sl_entry *e) {
        seen.processed++;
        return -ENOBUFS;
}

static const char *const no_keys[] = { NULL };
static const struct sl_stage_type failer_type = {
        .name = "failer", .keys = no_keys, .create = failer_create, .process = failer_process,
};

/* "keeper": the optional members of the contract. A line "hold" is kept
 * (a copy, HOLD); "release" releases what is kept (emit) before going on
 * itself; flush() releases it when its deadline (the kept line's read_ns
 * + 10) has passed or with @all; resume_at() answers `pace` with an
 * allowance of `allow`; collect() writes one gauge, `value`. */
struct keeper_ctx {
        const struct sl_stage_emitter *em; /* borrowed */
        struct sl_entry kept;              /* owned copy */
        bool holding;
        uint64_t pace, allow;
        int collected;                     /* collect() calls */
};

static int keeper_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        struct keeper_ctx *ctx = sl_xnew(struct keeper_ctx);
        int64_t v = 0;

        sl_entry_init_sized(&ctx->kept, 256);
        sl_yaml_as_int(sl_yaml_get(node, "pace"), "pace", 0, INT64_MAX, &v, err);
        ctx->pace = (uint64_t)v;
        v = 0;
        sl_yaml_as_int(sl_yaml_get(node, "allow"), "allow", 0, INT64_MAX, &v, err);
        ctx->allow = (uint64_t)v;
        seen.created++;
        *ret_ctx = ctx;
        return 0;
}

static void keeper_release(struct keeper_ctx *ctx) {
        if (!ctx->holding)
                return;
        ctx->holding = false; /* held_from() answers for what is left first */
        sl_stage_emit(ctx->em, &ctx->kept);
}

static int keeper_process(void *userdata, struct sl_entry *e) {
        struct keeper_ctx *ctx = userdata;

        seen.processed++;
        if (sl_str_eq_c(e->line, "hold")) {
                sl_entry_copy(&ctx->kept, e);
                ctx->holding = true;
                return SL_STAGE_HOLD;
        }
        if (sl_str_eq_c(e->line, "release"))
                keeper_release(ctx);
        return SL_STAGE_KEEP;
}

static void keeper_bind(void *userdata, const struct sl_stage_emitter *em) {
        ((struct keeper_ctx *)userdata)->em = em;
}

static bool keeper_held_from(void *userdata, uint64_t source_id, uint64_t *ret_offset) {
        struct keeper_ctx *ctx = userdata;

        if (!ctx->holding || ctx->kept.source_id != source_id)
                return false;
        *ret_offset = ctx->kept.offset;
        return true;
}

static uint64_t keeper_deadline(void *userdata) {
        struct keeper_ctx *ctx = userdata;
        return ctx->holding ? ctx->kept.read_ns + 10 : UINT64_MAX;
}

static void keeper_flush(void *userdata, uint64_t now_ns, bool all) {
        struct keeper_ctx *ctx = userdata;
        if (ctx->holding && (all || now_ns >= ctx->kept.read_ns + 10))
                keeper_release(ctx);
}

static void keeper_forget(void *userdata, uint64_t source_id) {
        struct keeper_ctx *ctx = userdata;
        if (ctx->holding && ctx->kept.source_id == source_id)
                keeper_release(ctx);
}

static uint64_t keeper_resume_at(void *userdata, uint64_t now_ns, uint64_t *ret_allowance) {
        struct keeper_ctx *ctx = userdata;
        if (ctx->allow && ctx->allow < *ret_allowance)
                *ret_allowance = ctx->allow;
        return ctx->pace;
}

static void keeper_collect(void *userdata, uint64_t now_ns, const struct sl_stage_metrics_out *out) {
        struct keeper_ctx *ctx = userdata;
        const char *labels[] = { "at", "x", NULL };

        ctx->collected++;
        if (out->family(out->ud, "keeper_value", "gauge", NULL))
                out->sample(out->ud, "keeper_value", labels, (double)now_ns);
}

static void keeper_destroy(void *userdata) {
        struct keeper_ctx *ctx = userdata;
        if (!ctx)
                return;
        seen.destroyed++;
        sl_entry_release(&ctx->kept);
        free(ctx);
}

static const char *const keeper_keys[] = { "pace", "allow", NULL };
static const struct sl_stage_type keeper_type = {
        .name = "keeper", .keys = keeper_keys, .create = keeper_create,
        .process = keeper_process, .destroy = keeper_destroy, .forget = keeper_forget,
        .bind = keeper_bind, .held_from = keeper_held_from, .deadline = keeper_deadline,
        .flush = keeper_flush, .resume_at = keeper_resume_at, .collect = keeper_collect,
};

static const struct sl_stage_type *const types[] = { &mark_type, &dropper_type, &holder_type,
                                                     &failer_type, &keeper_type, NULL };

static struct sl_yaml_doc *parse(const char *yaml) {
        struct sl_yaml_doc *doc = NULL;
        struct sl_cfg_error err;

        ck_assert_msg(sl_yaml_doc_parse("pipe.yaml", yaml, strlen(yaml), &doc, &err) == 0,
                      "bad test YAML: %s", err.msg);
        return doc;
}

static struct sl_pipeline *build(const char *yaml) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse(yaml);
        struct sl_pipeline *p = NULL;
        struct sl_cfg_error err;
        char msg[1024];
        int r = sl_pipeline_new(doc->root, "pipe.yaml", types, &err, &p);

        if (r < 0)
                sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(r == 0, "refused: %s", msg);
        return p;
}

/* Builds @yaml expecting failure; returns the formatted error. */
static void build_fails(const char *yaml, struct sl_cfg_error *err, char *msg, size_t size) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse(yaml);
        struct sl_pipeline *p = NULL;

        memset(err, 0, sizeof(*err));
        ck_assert_int_eq(sl_pipeline_new(doc->root, "pipe.yaml", types, err, &p), -EINVAL);
        ck_assert_ptr_null(p);
        sl_cfg_error_format(err, msg, size);
}

static void reset_seen(void) {
        memset(&seen, 0, sizeof(seen));
}

static int run(struct sl_pipeline *p, struct sl_entry *e, uint64_t source, const char *line) {
        sl_entry_reset(e);
        e->source_id = source;
        e->line = sl_str_c(line);
        return sl_pipeline_run(p, e);
}

START_TEST(empty_pipelines_keep) {
        struct sl_pipeline *p = NULL;
        struct sl_entry e;
        struct sl_cfg_error err;
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse("pipeline_stages:\n");

        sl_entry_init(&e);
        ck_assert_int_eq(sl_pipeline_new(NULL, "x.yaml", types, &err, &p), 0);
        ck_assert_uint_eq(sl_pipeline_n_stages(p), 0);
        ck_assert_int_eq(run(p, &e, 1, "hello"), SL_STAGE_KEEP);
        sl_pipeline_free(p);
        p = NULL;
        /* A key with no value is a null node: empty too. */
        ck_assert_int_eq(sl_pipeline_new(sl_yaml_get(doc->root, "pipeline_stages"), "x.yaml", types,
                                         &err, &p),
                         0);
        ck_assert_uint_eq(sl_pipeline_n_stages(p), 0);
        sl_pipeline_free(p);
        sl_pipeline_free(NULL);
        sl_entry_release(&e);
}
END_TEST

START_TEST(stages_run_in_order) {
        struct sl_pipeline *p;
        struct sl_entry e;

        reset_seen();
        p = build("- mark: {name: a, value: '1'}\n"
                  "- mark: {name: a, value: '2'}\n"
                  "- mark: {name: b}\n");
        ck_assert_uint_eq(sl_pipeline_n_stages(p), 3);
        ck_assert_int_eq(seen.created, 3);
        sl_entry_init(&e);
        ck_assert_int_eq(run(p, &e, 1, "x"), SL_STAGE_KEEP);
        ck_assert_int_eq(seen.processed, 3);
        /* The later stage wins. */
        ck_assert(sl_str_eq_c(*sl_kvs_get(&e.labels, SL_STR_LIT("a")), "2"));
        ck_assert(sl_str_eq_c(*sl_kvs_get(&e.labels, SL_STR_LIT("b")), "x"));
        sl_pipeline_free(p);
        ck_assert_int_eq(seen.destroyed, 3);
        sl_entry_release(&e);
}
END_TEST

START_TEST(null_and_empty_configs_are_null) {
        struct sl_pipeline *p;

        reset_seen();
        p = build("- dropper:\n");
        ck_assert(seen.null_node);
        sl_pipeline_free(p);
        reset_seen();
        p = build("- dropper: {}\n");
        ck_assert(seen.null_node);
        sl_pipeline_free(p);
        reset_seen();
        p = build("- dropper: {reason: r}\n");
        ck_assert(!seen.null_node);
        sl_pipeline_free(p);
}
END_TEST

struct drops {
        const char *reason[4]; /* borrowed from the pipeline */
        uint64_t count[4];
        int n;
};

static void collect_drop(void *ud, const char *reason, uint64_t count) {
        struct drops *g = ud;

        ck_assert_int_lt(g->n, 4);
        g->reason[g->n] = reason;
        g->count[g->n++] = count;
}

START_TEST(drops_counted_per_reason) {
        struct sl_pipeline *p;
        struct sl_entry e;
        struct drops got = { 0 };

        reset_seen();
        p = build("- dropper: {when: a, reason: first}\n"
                  "- dropper: {when: b}\n"
                  "- dropper: {when: c, reason: first}\n"
                  "- mark: {name: kept}\n");
        sl_entry_init(&e);
        ck_assert_int_eq(run(p, &e, 1, "a"), SL_STAGE_DROP);
        /* Stages after a drop do not run. */
        ck_assert_int_eq(seen.processed, 1);
        ck_assert_int_eq(run(p, &e, 1, "a"), SL_STAGE_DROP);
        ck_assert_int_eq(run(p, &e, 1, "b"), SL_STAGE_DROP);
        ck_assert_int_eq(run(p, &e, 1, "c"), SL_STAGE_DROP);
        ck_assert_int_eq(run(p, &e, 1, "d"), SL_STAGE_KEEP);
        ck_assert_ptr_nonnull(sl_kvs_get(&e.labels, SL_STR_LIT("kept")));

        sl_pipeline_foreach_drop(p, collect_drop, &got);
        ck_assert_int_eq(got.n, 2);
        ck_assert_str_eq(got.reason[0], "first");
        ck_assert_uint_eq(got.count[0], 3);
        ck_assert_str_eq(got.reason[1], "unknown");
        ck_assert_uint_eq(got.count[1], 1);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

START_TEST(hold_stops_the_entry) {
        struct sl_pipeline *p;
        struct sl_entry e;

        reset_seen();
        p = build("- holder: {anything: goes}\n- mark: {name: after}\n");
        sl_entry_init(&e);
        ck_assert_int_eq(run(p, &e, 7, "piece 1"), SL_STAGE_HOLD);
        ck_assert_int_eq(seen.processed, 1);
        ck_assert_ptr_null(sl_kvs_get(&e.labels, SL_STR_LIT("after")));
        ck_assert_int_eq(run(p, &e, 7, "whole"), SL_STAGE_KEEP);
        ck_assert_int_eq(seen.processed, 3);
        sl_pipeline_forget(p, 7);
        ck_assert_int_eq(seen.forget_calls, 1);
        ck_assert_uint_eq(seen.forgot, 7);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

START_TEST(internal_failure_keeps_going) {
        struct sl_pipeline *p;
        struct sl_entry e;

        reset_seen();
        p = build("- failer:\n- mark: {name: after}\n");
        sl_entry_init(&e);
        ck_assert_int_eq(run(p, &e, 1, "x"), SL_STAGE_KEEP);
        ck_assert_int_eq(run(p, &e, 1, "y"), SL_STAGE_KEEP);
        ck_assert_ptr_nonnull(sl_kvs_get(&e.labels, SL_STR_LIT("after")));
        ck_assert_uint_eq(sl_pipeline_errors(p), 2);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

START_TEST(error_unknown_stage) {
        struct sl_cfg_error err;
        char msg[1024];

        build_fails("- mark: {name: a}\n"
                    "- jsno: {}\n",
                    &err, msg, sizeof(msg));
        ck_assert_str_eq(err.file, "pipe.yaml");
        ck_assert_uint_eq(err.line, 2);
        ck_assert_str_eq(err.key, "pipeline_stages[1]");
        ck_assert_msg(strstr(err.msg, "unknown stage \"jsno\"") != NULL, "%s", msg);
        ck_assert_msg(strstr(err.msg, "mark, dropper, holder, failer") != NULL, "%s", msg);
        ck_assert_msg(strncmp(msg, "pipe.yaml:2:", 12) == 0, "%s", msg);
}
END_TEST

START_TEST(error_unknown_key) {
        struct sl_cfg_error err;
        char msg[1024];

        build_fails("- mark: {name: a}\n"
                    "- mark:\n"
                    "    name: b\n"
                    "    vaule: c\n",
                    &err, msg, sizeof(msg));
        ck_assert_str_eq(err.file, "pipe.yaml");
        ck_assert_uint_eq(err.line, 4);
        ck_assert_str_eq(err.key, "pipeline_stages[1].mark.vaule");
        ck_assert_msg(strstr(err.msg, "vaule") != NULL, "%s", msg);
        /* No context was leaked: the first stage was destroyed. */
}
END_TEST

START_TEST(error_from_create_has_position) {
        struct sl_cfg_error err;
        char msg[1024];

        reset_seen();
        /* `- mark:` has no node of its own: the item's position is used. */
        build_fails("- mark: {name: a}\n"
                    "- mark:\n",
                    &err, msg, sizeof(msg));
        ck_assert_int_eq(seen.created, 1);
        ck_assert_int_eq(seen.destroyed, 1);
        ck_assert_str_eq(err.file, "pipe.yaml");
        ck_assert_uint_eq(err.line, 2);
        ck_assert_str_eq(err.key, "pipeline_stages[1].mark.name");
        ck_assert_str_eq(err.msg, "required");
}
END_TEST

START_TEST(error_bad_shapes) {
        static const struct {
                const char *yaml;
                unsigned line;
                const char *key;
                const char *msg_part;
        } cases[] = {
                { "mark: {name: a}\n", 1, "pipeline_stages", "list of stages" },
                { "- mark: {name: a}\n- just text\n", 2, "pipeline_stages[1]", "one key" },
                { "- mark: {name: a}\n  dropper: {}\n", 1, "pipeline_stages[0]", "one key" },
                { "- {}\n", 1, "pipeline_stages[0]", "one key" },
                { "- mark: [name, a]\n", 1, "pipeline_stages[0].mark", "map" },
                { "- failer: {x: 1}\n", 1, "pipeline_stages[0].failer.x", "unknown key" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                build_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(err.line == cases[i].line, "case %zu: line %u: %s", i, err.line, msg);
                ck_assert_msg(strcmp(err.key, cases[i].key) == 0, "case %zu: %s", i, msg);
                ck_assert_msg(strstr(err.msg, cases[i].msg_part) != NULL, "case %zu: %s", i, msg);
                ck_assert_str_eq(err.file, "pipe.yaml");
        }
}
END_TEST

/* What the sink received: the lines and a label, in order. */
static struct {
        char lines[8][32];
        char after[8][8]; /* the label "after" */
        size_t n;
} sunk;

static void sink(void *ud, struct sl_entry *e) {
        const struct sl_str *v = sl_kvs_get(&e->labels, SL_STR_LIT("after"));

        ck_assert_ptr_eq(ud, &sunk);
        ck_assert_uint_lt(sunk.n, 8);
        snprintf(sunk.lines[sunk.n], sizeof(sunk.lines[0]), "%.*s", (int)e->line.len, e->line.ptr);
        snprintf(sunk.after[sunk.n], sizeof(sunk.after[0]), "%.*s", v ? (int)v->len : 0,
                 v ? v->ptr : "");
        sunk.n++;
}

static int run_at(struct sl_pipeline *p, struct sl_entry *e, uint64_t source, const char *line,
                  uint64_t offset, uint64_t read_ns) {
        sl_entry_reset(e);
        e->source_id = source;
        e->line = sl_str_c(line);
        e->offset = offset;
        e->read_ns = read_ns;
        return sl_pipeline_run(p, e);
}

/* A released entry goes through the stages after the one that held it,
 * not those before, then to the sink if they keep it; a later drop counts
 * as the pipeline's. held_from() answers for what is held, deadline() and
 * flush() release on time, forget() and flush(all) release the rest. */
START_TEST(held_and_released) {
        struct sl_pipeline *p;
        struct sl_entry e;
        uint64_t from;

        reset_seen();
        memset(&sunk, 0, sizeof(sunk));
        p = build("- mark: {name: before, value: '1'}\n"
                  "- keeper: {}\n"
                  "- mark: {name: after, value: '1'}\n"
                  "- dropper: {when: drop-me, reason: late}\n");
        sl_pipeline_set_sink(p, sink, &sunk);
        sl_entry_init(&e);
        ck_assert(!sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);
        ck_assert_int_eq(run_at(p, &e, 7, "hold", 100, 1000), SL_STAGE_HOLD);
        ck_assert_int_eq(seen.processed, 2);
        ck_assert(sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(from, 100);
        ck_assert(!sl_pipeline_held_from(p, 8, &from));
        ck_assert_uint_eq(sl_pipeline_deadline(p), 1010);
        /* "release" releases the held one first, then goes on itself. */
        ck_assert_int_eq(run_at(p, &e, 7, "release", 200, 1001), SL_STAGE_KEEP);
        ck_assert_uint_eq(sunk.n, 1);
        ck_assert_str_eq(sunk.lines[0], "hold");
        ck_assert_str_eq(sunk.after[0], "1");
        ck_assert(!sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);

        /* The timer: not before the deadline. */
        run_at(p, &e, 7, "hold", 300, 2000);
        sl_pipeline_flush(p, 2009, false);
        ck_assert_uint_eq(sunk.n, 1);
        sl_pipeline_flush(p, 2010, false);
        ck_assert_uint_eq(sunk.n, 2);
        /* forget() and shutdown. */
        run_at(p, &e, 9, "hold", 0, 3000);
        sl_pipeline_forget(p, 8);
        ck_assert_uint_eq(sunk.n, 2);
        sl_pipeline_forget(p, 9);
        ck_assert_uint_eq(sunk.n, 3);
        run_at(p, &e, 9, "hold", 0, 3000);
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(sunk.n, 4);

        sl_pipeline_free(p);
        sl_entry_release(&e);

        /* A released entry a later stage drops never reaches the sink, and
         * counts as the pipeline's drop; without a sink, released entries
         * go nowhere. */
        p = build("- keeper: {}\n- dropper: {when: hold, reason: late}\n");
        sl_entry_init(&e);
        run_at(p, &e, 1, "hold", 0, 0);
        run_at(p, &e, 1, "release", 0, 0);
        sl_pipeline_set_sink(p, sink, &sunk);
        run_at(p, &e, 1, "hold", 0, 0);
        run_at(p, &e, 1, "release", 0, 0);
        ck_assert_uint_eq(sunk.n, 4);
        {
                struct drops got = { 0 };
                sl_pipeline_foreach_drop(p, collect_drop, &got);
                ck_assert_int_eq(got.n, 1);
                ck_assert_str_eq(got.reason[0], "late");
                ck_assert_uint_eq(got.count[0], 2);
        }
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* resume_at: the latest time of any stage, the smallest allowance. */
START_TEST(pace) {
        struct sl_pipeline *p = build("- keeper: {pace: 50, allow: 7}\n"
                                      "- keeper: {pace: 80, allow: 3}\n"
                                      "- keeper: {}\n");
        struct sl_pipeline *q = build("- mark: {name: a}\n");
        uint64_t allowance = UINT64_MAX;

        ck_assert_uint_eq(sl_pipeline_resume_at(p, 0, &allowance), 80);
        ck_assert_uint_eq(allowance, 3);
        allowance = UINT64_MAX;
        ck_assert_uint_eq(sl_pipeline_resume_at(q, 0, &allowance), 0);
        ck_assert_uint_eq(allowance, UINT64_MAX);
        sl_pipeline_free(p);
        sl_pipeline_free(q);
}
END_TEST

static bool all_families(void *ud, const char *name, const char *type, const char *help) {
        (*(int *)ud)++;
        return true;
}

static bool no_family(void *ud, const char *name, const char *type, const char *help) {
        (*(int *)ud)++;
        return false;
}

static void count_sample(void *ud, const char *name, const char *const *labels, double value) {
        (*(int *)ud) += 100;
}

/* collect reaches every stage that has metrics, with the scrape's time. */
START_TEST(collect) {
        struct sl_pipeline *p = build("- keeper: {}\n- mark: {name: a}\n- keeper: {}\n");
        int calls = 0;
        struct sl_stage_metrics_out out = { &calls, all_families, count_sample, NULL };

        sl_pipeline_collect(p, 5, &out);
        ck_assert_int_eq(calls, 202);
        calls = 0;
        out.family = no_family;
        sl_pipeline_collect(p, 5, &out);
        ck_assert_int_eq(calls, 2);
        sl_pipeline_free(p);
}
END_TEST

static char inspected[4096];

static void inspect_fn(void *ud, struct sl_str text) {
        size_t len = strlen(inspected);
        ck_assert_ptr_eq(ud, inspected);
        snprintf(inspected + len, sizeof(inspected) - len, "%.*s", (int)text.len, text.ptr);
}

/* -inspect: one report per stage run, for every pipeline of the process,
 * until it is turned off. */
START_TEST(inspector) {
        struct sl_pipeline *p = build("- mark: {name: a, value: '1'}\n- dropper: {reason: gone}\n");
        struct sl_entry e;

        sl_entry_init(&e);
        inspected[0] = '\0';
        sl_pipeline_set_inspector(inspect_fn, inspected, false);
        ck_assert_int_eq(run(p, &e, 1, "x"), SL_STAGE_DROP);
        sl_pipeline_set_inspector(NULL, NULL, false);
        ck_assert_str_eq(inspected,
                         "[inspect: mark stage]: \n{stages.Entry}.Entry.Labels[\"a\"]:\n\t+: 1\n"
                         "[inspect: dropper stage]: \n\tdropped: gone\n");
        inspected[0] = '\0';
        ck_assert_int_eq(run(p, &e, 1, "x"), SL_STAGE_DROP);
        ck_assert_str_eq(inspected, "");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

static Suite *pipeline_suite(void) {
        Suite *s = suite_create("pipeline");
        TCase *run_tc = tcase_create("run"), *err_tc = tcase_create("errors");

        tcase_add_test(run_tc, empty_pipelines_keep);
        tcase_add_test(run_tc, stages_run_in_order);
        tcase_add_test(run_tc, null_and_empty_configs_are_null);
        tcase_add_test(run_tc, drops_counted_per_reason);
        tcase_add_test(run_tc, hold_stops_the_entry);
        tcase_add_test(run_tc, internal_failure_keeps_going);
        tcase_add_test(run_tc, held_and_released);
        tcase_add_test(run_tc, pace);
        tcase_add_test(run_tc, collect);
        tcase_add_test(run_tc, inspector);
        suite_add_tcase(s, run_tc);
        tcase_add_test(err_tc, error_unknown_stage);
        tcase_add_test(err_tc, error_unknown_key);
        tcase_add_test(err_tc, error_from_create_has_position);
        tcase_add_test(err_tc, error_bad_shapes);
        suite_add_tcase(s, err_tc);
        return s;
}

SL_TEST_MAIN(pipeline_suite)
