/* stage-limit.c - the `limit` stage: holds entries to a rate.
 *
 * Keys (Promtail's): `rate` (entries per second, > 0) and `burst` (> 0), a
 * token bucket that starts full (golang.org/x/time/rate, base/token-bucket.h);
 * `drop` (default false); `by_label_name`: one bucket per value of that
 * label (entries without the label are not limited; needs drop: true);
 * `max_distinct_labels` (default and least 10,000): values kept, in two
 * generations as Promtail's: once the newer holds that many, the older is
 * forgotten (its buckets start full again when their value comes back).
 *
 * With drop, an entry without a token is dropped (reason
 * "ratelimit_drop_stage", as Promtail's); by label, counted per label value
 * too (collect(): sluice_dropped_entries_by_label_total{label_name,
 * label_value}, Promtail's logentry_dropped_lines_by_label_total, reset
 * when a generation is forgotten, as there).
 *
 * Without drop, Promtail blocks the pipeline until a token is there.
 * sluice's loop must not block: the entry takes its token in any case (the
 * bucket goes into debt) and goes on, and resume_at() asks the agent to
 * read nothing more until the debt is paid, and then no more lines in a
 * round than there are tokens (at least one). Entries pass at the rate, as
 * in Promtail; a read round may take a few more lines than there are
 * tokens (lines shorter than the average), and the pause stops reading for
 * every job, not this one only (differences the README lists). The clock
 * is the entries' read_ns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/token-bucket.h"
#include "base/xalloc.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define MIN_DISTINCT_LABELS 10000
#define DROP_REASON "ratelimit_drop_stage"

/* One label value's bucket. */
struct limiter {
        char *value;               /* owned; NULL: the slot is empty */
        size_t len;                /* bytes of value */
        uint64_t hash;             /* of value */
        struct sl_token_bucket tb; /* its bucket */
        uint64_t dropped;          /* entries dropped for this value */
};

/* One generation: an open-addressing table of values. */
struct generation {
        struct limiter *slots; /* owned; cap slots */
        size_t cap;            /* a power of two, at least twice n */
        size_t n;              /* values held */
};

struct limit_ctx {
        double rate;
        double burst;
        bool drop;
        char *by_label;            /* owned: by_label_name, or NULL */
        struct sl_str by_label_s;
        uint64_t max_distinct;     /* values per generation */
        struct sl_token_bucket tb; /* without by_label_name */
        bool started;              /* tb initialised (at the first entry's time) */
        struct generation gens[2]; /* [0] newer, [1] older */
        uint64_t resume_at;        /* wait mode: when the debt is paid */
};

static uint64_t hash_value(struct sl_str s) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < s.len; i++) {
                h ^= (unsigned char)s.ptr[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static void gen_release(struct generation *g) {
        for (size_t i = 0; i < g->cap; i++)
                free(g->slots[i].value);
        free(g->slots);
        *g = (struct generation){ 0 };
}

static struct limiter *gen_find(const struct generation *g, struct sl_str v, uint64_t hash) {
        if (!g->cap)
                return NULL;
        for (size_t i = hash & (g->cap - 1);; i = (i + 1) & (g->cap - 1)) {
                struct limiter *l = &g->slots[i];
                if (!l->value)
                        return NULL;
                if (l->hash == hash && l->len == v.len && memcmp(l->value, v.ptr, v.len) == 0)
                        return l;
        }
}

static struct limiter *gen_insert(struct generation *g, const struct limiter *from) {
        struct limiter *l;
        size_t i;

        if ((g->n + 1) * 2 > g->cap) {
                struct generation bigger = { .cap = g->cap ? g->cap * 2 : 64 };
                bigger.slots = sl_xcalloc(bigger.cap, sizeof(*bigger.slots));
                for (size_t k = 0; k < g->cap; k++)
                        if (g->slots[k].value) {
                                for (i = g->slots[k].hash & (bigger.cap - 1); bigger.slots[i].value;
                                     i = (i + 1) & (bigger.cap - 1))
                                        ;
                                bigger.slots[i] = g->slots[k];
                                bigger.n++;
                        }
                free(g->slots);
                *g = bigger;
        }
        for (i = from->hash & (g->cap - 1); g->slots[i].value; i = (i + 1) & (g->cap - 1))
                ;
        l = &g->slots[i];
        *l = *from;
        g->n++;
        return l;
}

/* The bucket of @v: from the newer generation, else carried over from the
 * older, else new and full. Turns the generations when the newer is full. */
static struct sl_token_bucket *bucket_of(struct limit_ctx *ctx, struct sl_str v, uint64_t now,
                                         struct limiter **ret) {
        uint64_t hash = hash_value(v);
        struct limiter *l = gen_find(&ctx->gens[0], v, hash), *old;
        struct limiter fresh;

        if (l) {
                *ret = l;
                return &l->tb;
        }
        old = gen_find(&ctx->gens[1], v, hash);
        if (old) {
                fresh = *old;
                fresh.value = sl_xstrndup(v.ptr, v.len);
        } else {
                fresh = (struct limiter){ .value = sl_xstrndup(v.ptr, v.len), .len = v.len,
                                          .hash = hash };
                sl_token_bucket_init(&fresh.tb, ctx->rate, ctx->burst, now);
        }
        l = gen_insert(&ctx->gens[0], &fresh);
        if (ctx->gens[0].n >= ctx->max_distinct) {
                /* The newer becomes the older; the per-value drop counts
                 * start over, as Promtail resets its metric then. */
                struct limiter copy = *l;
                gen_release(&ctx->gens[1]);
                ctx->gens[1] = ctx->gens[0];
                ctx->gens[0] = (struct generation){ 0 };
                for (size_t i = 0; i < ctx->gens[1].cap; i++)
                        ctx->gens[1].slots[i].dropped = 0;
                *ret = gen_find(&ctx->gens[1], sl_str_from(copy.value, copy.len), copy.hash);
                return &(*ret)->tb;
        }
        *ret = l;
        return &l->tb;
}

static int limit_process(void *userdata, struct sl_entry *e) {
        struct limit_ctx *ctx = userdata;
        uint64_t now = e->read_ns, wait;

        if (ctx->by_label) {
                const struct sl_str *v = sl_kvs_get(&e->labels, ctx->by_label_s);
                struct limiter *l;

                if (!v)
                        return SL_STAGE_KEEP;
                if (sl_token_bucket_allow(bucket_of(ctx, *v, now, &l), now))
                        return SL_STAGE_KEEP;
                l->dropped++;
                e->drop_reason = DROP_REASON;
                return SL_STAGE_DROP;
        }
        if (!ctx->started) {
                sl_token_bucket_init(&ctx->tb, ctx->rate, ctx->burst, now);
                ctx->started = true;
        }
        if (ctx->drop) {
                if (sl_token_bucket_allow(&ctx->tb, now))
                        return SL_STAGE_KEEP;
                e->drop_reason = DROP_REASON;
                return SL_STAGE_DROP;
        }
        wait = sl_token_bucket_reserve(&ctx->tb, now);
        if (wait && now + wait > ctx->resume_at)
                ctx->resume_at = now + wait;
        return SL_STAGE_KEEP;
}

static uint64_t limit_resume_at(void *userdata, uint64_t now_ns, uint64_t *ret_allowance) {
        struct limit_ctx *ctx = userdata;
        double tokens;
        uint64_t n;

        if (ctx->drop || ctx->by_label)
                return 0;
        if (ctx->resume_at > now_ns)
                return ctx->resume_at;
        /* As many as there are tokens (a full bucket before the first
         * entry), and at least the next one, which then waits its turn. */
        tokens = ctx->started ? sl_token_bucket_tokens(&ctx->tb, now_ns) : ctx->burst;
        n = tokens >= 1 ? (uint64_t)tokens : 1;
        if (n < *ret_allowance)
                *ret_allowance = n;
        return ctx->resume_at;
}

static void collect_gen(const struct limit_ctx *ctx, const struct generation *g,
                        const struct sl_stage_metrics_out *out) {
        for (size_t i = 0; i < g->cap; i++) {
                const struct limiter *l = &g->slots[i];
                const char *labels[] = { "label_name", ctx->by_label, "label_value", l->value, NULL };

                if (l->value && l->dropped)
                        out->sample(out->ud, "sluice_dropped_entries_by_label_total", labels,
                                    (double)l->dropped);
        }
}

static void limit_collect(void *userdata, uint64_t now_ns, const struct sl_stage_metrics_out *out) {
        struct limit_ctx *ctx = userdata;

        if (!ctx->by_label ||
            !out->family(out->ud, "sluice_dropped_entries_by_label_total", "counter",
                         "Entries dropped by a limit stage with by_label_name, by label value."))
                return;
        collect_gen(ctx, &ctx->gens[0], out);
        /* A value counted in both generations is in the newer only when it
         * came back after the turn, where its count started over. */
        for (size_t i = 0; i < ctx->gens[1].cap; i++) {
                const struct limiter *l = &ctx->gens[1].slots[i];
                const char *labels[] = { "label_name", ctx->by_label, "label_value", l->value, NULL };

                if (l->value && l->dropped &&
                    !gen_find(&ctx->gens[0], sl_str_from(l->value, l->len), l->hash))
                        out->sample(out->ud, "sluice_dropped_entries_by_label_total", labels,
                                    (double)l->dropped);
        }
}

static void limit_destroy(void *userdata) {
        struct limit_ctx *ctx = userdata;

        if (!ctx)
                return;
        gen_release(&ctx->gens[0]);
        gen_release(&ctx->gens[1]);
        free(ctx->by_label);
        free(ctx);
}

static inline void limit_destroyp(struct limit_ctx **p) {
        limit_destroy(*p);
}

/* A number as mapstructure's weak decoding reads one into a float64. */
static int get_number(const struct sl_yaml_node *node, const char *path, const char *key,
                      double *ret, struct sl_cfg_error *err) {
        const struct sl_yaml_node *n = sl_yaml_get(node, key);
        char k[160], *end;
        double v;

        if (!n || n->kind == SL_YAML_NULL)
                return 0;
        sl_stage_key(k, sizeof(k), path, key);
        if (n->kind != SL_YAML_SCALAR || n->text_len == 0)
                return sl_cfg_error_set(err, n, k, "expected a number");
        v = strtod(n->text, &end);
        if (*end || n->text[0] == ' ')
                return sl_cfg_error_set(err, n, k, "expected a number, not \"%s\"", n->text);
        *ret = v;
        return 0;
}

static int limit_create(const struct sl_yaml_node *node, const char *path, struct sl_cfg_error *err,
                        void **ret_ctx) {
        _cleanup_(limit_destroyp) struct limit_ctx *ctx = sl_xnew(struct limit_ctx);
        int64_t burst = 0, distinct = 0;
        char key[160];
        int r;

        r = get_number(node, path, "rate", &ctx->rate, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "burst"), sl_stage_key(key, sizeof(key), path, "burst"),
                           INT32_MIN, INT32_MAX, &burst, err);
        if (r < 0)
                return r;
        if (!(ctx->rate > 0) || burst <= 0)
                return sl_cfg_error_set(err, node, path,
                                        "rate and burst must both be above 0 (limit stage failed to parse rate or burst)");
        ctx->burst = (double)burst;
        r = sl_stage_get_bool(node, path, "drop", &ctx->drop, err);
        if (r < 0)
                return r;
        r = sl_stage_get_string(node, path, "by_label_name", &ctx->by_label, err);
        if (r < 0)
                return r;
        r = sl_yaml_as_int(sl_yaml_get(node, "max_distinct_labels"),
                           sl_stage_key(key, sizeof(key), path, "max_distinct_labels"), INT32_MIN,
                           INT32_MAX, &distinct, err);
        if (r < 0)
                return r;
        if (ctx->by_label && !ctx->drop)
                return sl_cfg_error_set(err, sl_yaml_get(node, "by_label_name"),
                                        sl_stage_key(key, sizeof(key), path, "by_label_name"),
                                        "when rate limiting by label, drop must be true");
        if (ctx->by_label)
                ctx->by_label_s = sl_str_c(ctx->by_label);
        /* Promtail raises a smaller value to 10,000 (with a warning). */
        ctx->max_distinct = distinct < MIN_DISTINCT_LABELS ? MIN_DISTINCT_LABELS : (uint64_t)distinct;
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const limit_keys[] = { "rate", "burst", "drop", "by_label_name",
                                          "max_distinct_labels", NULL };

const struct sl_stage_type sl_stage_limit = {
        .name = "limit",
        .help = "rate-limit entries (token bucket): drop those over the rate, or slow reading down",
        .keys = limit_keys,
        .create = limit_create,
        .process = limit_process,
        .destroy = limit_destroy,
        .resume_at = limit_resume_at,
        .collect = limit_collect,
};
