/* stage-metrics.c - the `metrics` stage: Prometheus metrics from log
 * entries, served on the agent's /metrics.
 *
 * The config maps metric names to (Promtail's keys): `type` (counter,
 * gauge or histogram, any case), `description` (the help text), `source`
 * (the extracted value read; default the metric's name), `prefix` (default
 * "promtail_custom_", before the name), `max_idle_duration` (default 5m, at
 * least 1s: a series not updated for that long goes) and `config`:
 *   counter:   `action` inc or add (required), `value` (count only when the
 *              source's value is this), `match_all` (count every entry,
 *              source or not), `count_entry_bytes` (with match_all and add:
 *              add the line's length);
 *   gauge:     `action` set, inc, dec, add or sub (required), `value`;
 *   histogram: `buckets` (default Prometheus' .005 to 10), `value`.
 * Keys of another type's config are accepted and ignored, as Promtail
 * ignores them (`match_all` in a gauge's).
 *
 * One series per label set of the entries: their labels but internal
 * ("__") ones and names Prometheus refuses. Numbers are read as Promtail
 * reads them: a float ("0.804"), else a Go duration in seconds ("932ms"
 * is 0.932); "true" and "false" are 1 and 0, as JSON booleans are there.
 * A value that is not a number updates nothing.
 *
 * Time: a series' last update is the entry's read_ns; at scrape (collect,
 * with the scrape's monotonic time) a series idle for max_idle_duration is
 * written one last time and then removed, as Promtail's.
 *
 * Where sluice differs, deliberately: a counter is never decreased (a
 * negative add is ignored; Promtail's panics); a metric holds at most
 * 10,000 series, past which a new label set is not counted and the entry
 * counts as a pipeline error; a histogram's buckets must be in increasing
 * order (a config error here, a failure at scrape there).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "core/labels.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define DEFAULT_PREFIX "promtail_custom_"
#define DEFAULT_IDLE_NS (5 * 60 * SL_NSEC_PER_SEC)
#define MAX_SERIES 10000

static const double default_buckets[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };

enum metric_type { COUNTER, GAUGE, HISTOGRAM };
enum action { ACT_NONE, ACT_INC, ACT_ADD, ACT_SET, ACT_DEC, ACT_SUB };

struct series {
        uint64_t hash;    /* of its labels (order-independent) */
        char **labels;    /* owned: name, value, ..., NULL; sorted by name */
        size_t n_labels;  /* pairs */
        double value;     /* counter or gauge */
        uint64_t *counts; /* owned, histogram: n_bounds + 1 per-bucket counts */
        double sum;       /* histogram */
        uint64_t last_ns; /* read_ns of the last update */
};

struct metric {
        char *name;             /* owned: prefix + name */
        char *help;             /* owned, or NULL */
        enum metric_type type;
        char *source;           /* owned */
        struct sl_str source_s;
        uint64_t max_idle_ns;
        char *value;            /* owned: config.value, or NULL */
        struct sl_str value_s;
        enum action action;
        bool match_all;
        bool count_bytes;
        double *bounds;         /* owned (histogram) */
        size_t n_bounds;
        struct series **series; /* owned array of owned series, oldest first */
        size_t n_series;
        size_t cap_series;
        size_t *table;          /* owned: open addressing, index + 1 into series; 0 empty */
        size_t table_cap;       /* a power of two >= 2 * n_series, or 0 */
};

struct metrics_ctx {
        struct metric *metrics; /* owned array, in config order */
        size_t n;
};

/* ---- series ----------------------------------------------------------- */

static bool label_kept(const struct sl_kv *kv) {
        return !sl_label_name_internal(kv->name) && sl_label_name_valid(kv->name);
}

static uint64_t hash_str(uint64_t h, struct sl_str s) {
        for (size_t i = 0; i < s.len; i++) {
                h ^= (unsigned char)s.ptr[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static uint64_t hash_labels(const struct sl_kvs *labels) {
        uint64_t sum = 0;

        for (size_t i = 0; i < labels->len; i++) {
                uint64_t h;
                if (!label_kept(&labels->items[i]))
                        continue;
                h = hash_str(hash_str(0xcbf29ce484222325ULL, labels->items[i].name) ^ 0xff,
                             labels->items[i].value);
                h ^= h >> 31;
                h *= 0x94d049bb133111ebULL;
                sum += h ^ (h >> 29);
        }
        return sum;
}

static bool series_is(const struct series *s, uint64_t hash, const struct sl_kvs *labels) {
        size_t n = 0;

        if (s->hash != hash)
                return false;
        for (size_t i = 0; i < labels->len; i++) {
                const struct sl_kv *kv = &labels->items[i];
                bool found = false;

                if (!label_kept(kv))
                        continue;
                n++;
                for (size_t k = 0; k < s->n_labels && !found; k++)
                        found = sl_str_eq_c(kv->name, s->labels[2 * k]) &&
                                sl_str_eq_c(kv->value, s->labels[2 * k + 1]);
                if (!found)
                        return false;
        }
        return n == s->n_labels;
}

static void table_put(struct metric *m, size_t index) {
        size_t i = m->series[index]->hash & (m->table_cap - 1);

        while (m->table[i])
                i = (i + 1) & (m->table_cap - 1);
        m->table[i] = index + 1;
}

static void table_rebuild(struct metric *m, size_t cap) {
        free(m->table);
        m->table_cap = cap;
        m->table = sl_xcalloc(cap, sizeof(*m->table));
        for (size_t i = 0; i < m->n_series; i++)
                table_put(m, i);
}

static void series_free(struct series *s) {
        if (!s)
                return;
        for (size_t i = 0; i < 2 * s->n_labels; i++)
                free(s->labels[i]);
        free(s->labels);
        free(s->counts);
        free(s);
}

static int cmp_pairs(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The series of @labels, made if new; NULL past MAX_SERIES. */
static struct series *series_of(struct metric *m, const struct sl_kvs *labels) {
        uint64_t hash = hash_labels(labels);
        struct series *s;
        size_t n = 0;

        if (m->table_cap)
                for (size_t i = hash & (m->table_cap - 1); m->table[i];
                     i = (i + 1) & (m->table_cap - 1))
                        if (series_is(m->series[m->table[i] - 1], hash, labels))
                                return m->series[m->table[i] - 1];
        if (m->n_series >= MAX_SERIES)
                return NULL;
        s = sl_xnew(struct series);
        s->hash = hash;
        s->labels = sl_xcalloc(2 * labels->len + 1, sizeof(*s->labels));
        for (size_t i = 0; i < labels->len; i++)
                if (label_kept(&labels->items[i])) {
                        s->labels[2 * n] = sl_xstrndup(labels->items[i].name.ptr, labels->items[i].name.len);
                        s->labels[2 * n + 1] = sl_xstrndup(labels->items[i].value.ptr,
                                                          labels->items[i].value.len);
                        n++;
                }
        s->n_labels = n;
        /* Sorted by name, as Prometheus' client writes them: pairs move
         * together as 2-pointer records. */
        qsort(s->labels, n, 2 * sizeof(*s->labels), cmp_pairs);
        if (m->type == HISTOGRAM)
                s->counts = sl_xcalloc(m->n_bounds + 1, sizeof(*s->counts));
        sl_xgrow((void **)&m->series, sizeof(*m->series), &m->cap_series, m->n_series + 1);
        m->series[m->n_series++] = s;
        if (m->n_series * 2 > m->table_cap)
                table_rebuild(m, m->table_cap ? m->table_cap * 2 : 16);
        else
                table_put(m, m->n_series - 1);
        return s;
}

/* ---- values ----------------------------------------------------------- */

/* Go's time.ParseDuration, in seconds: [-+]? then (number unit)+, or "0". */
static bool parse_go_duration(const char *s, double *ret) {
        static const struct {
                const char *unit;
                double seconds;
        } units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "\xce\xbcs", 1e-6 },
                      { "ms", 1e-3 }, { "s", 1 },      { "m", 60 },          { "h", 3600 } };
        double total = 0;
        bool neg = false;

        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (strcmp(s, "0") == 0) {
                *ret = 0;
                return true;
        }
        if (!*s)
                return false;
        while (*s) {
                const char *start = s;
                double v;
                char *end;
                size_t best = 0, best_len = 0;

                while ((*s >= '0' && *s <= '9') || *s == '.')
                        s++;
                if (s == start || (s - start == 1 && *start == '.'))
                        return false;
                v = strtod(start, &end);
                if (end != s)
                        return false;
                for (size_t i = 0; i < SL_ARRAY_SIZE(units); i++) {
                        size_t len = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, len) == 0 && len > best_len) {
                                best = i;
                                best_len = len;
                        }
                }
                if (!best_len)
                        return false;
                total += v * units[best].seconds;
                s += best_len;
        }
        *ret = neg ? -total : total;
        return true;
}

/* Promtail's getFloat for a string (and JSON's booleans). */
static bool get_float(struct sl_str v, double *ret) {
        char buf[128], *end;

        if (!v.ptr || v.len == 0 || v.len >= sizeof(buf))
                return false;
        memcpy(buf, v.ptr, v.len);
        buf[v.len] = '\0';
        if (strcmp(buf, "true") == 0 || strcmp(buf, "false") == 0) {
                *ret = buf[0] == 't';
                return true;
        }
        if (buf[0] != ' ' && buf[0] != '\t' && buf[0] != '\n') {
                *ret = strtod(buf, &end);
                if (*end == '\0')
                        return true;
        }
        return parse_go_duration(buf, ret);
}

/* Updates @m with the value @v (NULL: none, match_all) of an entry. */
static int record(struct metric *m, const struct sl_entry *e, const struct sl_str *v) {
        struct series *s;
        double f = 0;

        if (m->value && (!v || !sl_str_eq(*v, m->value_s)))
                return 0;
        if (m->type == HISTOGRAM || m->action == ACT_ADD || m->action == ACT_SET ||
            m->action == ACT_SUB) {
                if (m->count_bytes)
                        f = (double)e->line.len;
                else if (!v || !get_float(*v, &f))
                        return 0;
        }
        if (m->type == COUNTER && m->action == ACT_ADD && !(f >= 0))
                return 0;
        s = series_of(m, &e->labels);
        if (!s)
                return -ENOBUFS;
        s->last_ns = e->read_ns;
        switch (m->action) {
        case ACT_INC:
                s->value += 1;
                break;
        case ACT_DEC:
                s->value -= 1;
                break;
        case ACT_ADD:
                s->value += f;
                break;
        case ACT_SUB:
                s->value -= f;
                break;
        case ACT_SET:
                s->value = f;
                break;
        case ACT_NONE: {
                /* A histogram: the first bucket whose bound is >= f. */
                size_t i = 0;
                if (isnan(f))
                        break;
                while (i < m->n_bounds && m->bounds[i] < f)
                        i++;
                s->counts[i]++;
                s->sum += f;
                break;
        }
        }
        return 0;
}

static int metrics_process(void *userdata, struct sl_entry *e) {
        struct metrics_ctx *ctx = userdata;
        int r = 0;

        for (size_t i = 0; i < ctx->n; i++) {
                struct metric *m = &ctx->metrics[i];
                const struct sl_str *v;
                int q;

                if (m->match_all) {
                        q = record(m, e, NULL);
                } else {
                        v = sl_kvs_get(&e->extracted, m->source_s);
                        q = v ? record(m, e, v) : 0;
                }
                if (q < 0)
                        r = q;
        }
        return r < 0 ? r : SL_STAGE_KEEP;
}

/* ---- scrape ----------------------------------------------------------- */

static void prune(struct metric *m, uint64_t now_ns) {
        size_t kept = 0;

        for (size_t i = 0; i < m->n_series; i++) {
                struct series *s = m->series[i];
                if (now_ns >= s->last_ns && now_ns - s->last_ns >= m->max_idle_ns)
                        series_free(s);
                else
                        m->series[kept++] = s;
        }
        if (kept != m->n_series) {
                m->n_series = kept;
                table_rebuild(m, m->table_cap);
        }
}

static void metrics_collect(void *userdata, uint64_t now_ns, const struct sl_stage_metrics_out *out) {
        struct metrics_ctx *ctx = userdata;
        static const char *const types[] = { [COUNTER] = "counter", [GAUGE] = "gauge",
                                             [HISTOGRAM] = "histogram" };

        for (size_t i = 0; i < ctx->n; i++) {
                struct metric *m = &ctx->metrics[i];

                if (!out->family(out->ud, m->name, types[m->type], m->help))
                        continue;
                for (size_t k = 0; k < m->n_series; k++) {
                        const struct series *s = m->series[k];
                        const char *const *labels = (const char *const *)s->labels;

                        if (m->type == HISTOGRAM)
                                out->histogram(out->ud, m->name, labels, m->bounds, s->counts,
                                               m->n_bounds, s->sum);
                        else
                                out->sample(out->ud, m->name, labels, s->value);
                }
                /* Written once more, then gone: Promtail prunes after it
                 * collects. */
                prune(m, now_ns);
        }
}

/* ---- config ----------------------------------------------------------- */

static void metric_release(struct metric *m) {
        free(m->name);
        free(m->help);
        free(m->source);
        free(m->value);
        free(m->bounds);
        for (size_t i = 0; i < m->n_series; i++)
                series_free(m->series[i]);
        free(m->series);
        free(m->table);
}

static void metrics_destroy(void *userdata) {
        struct metrics_ctx *ctx = userdata;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n; i++)
                metric_release(&ctx->metrics[i]);
        free(ctx->metrics);
        free(ctx);
}

static inline void metrics_destroyp(struct metrics_ctx **p) {
        metrics_destroy(*p);
}

static bool metric_name_valid(const char *s) {
        if (!*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
                        return false;
        return true;
}

static int parse_action(struct metric *m, const char *action, const struct sl_yaml_node *node,
                        const char *key, struct sl_cfg_error *err) {
        static const struct {
                const char *name;
                enum action action;
                bool counter; /* valid for a counter (all are for a gauge) */
        } actions[] = { { "inc", ACT_INC, true }, { "add", ACT_ADD, true }, { "set", ACT_SET, false },
                        { "dec", ACT_DEC, false }, { "sub", ACT_SUB, false } };

        if (!action)
                return sl_cfg_error_set(err, node, key,
                                        m->type == COUNTER
                                                ? "counter action must be defined as either `inc` or `add`"
                                                : "gauge action must be defined as `set`, `inc`, `dec`, `add`, or `sub`");
        for (size_t i = 0; i < SL_ARRAY_SIZE(actions); i++)
                if (strcasecmp(action, actions[i].name) == 0 &&
                    (m->type == GAUGE || actions[i].counter)) {
                        m->action = actions[i].action;
                        return 0;
                }
        return sl_cfg_error_set(err, node, key,
                                m->type == COUNTER
                                        ? "action %s is not valid, action must be either `inc` or `add`"
                                        : "action %s is not valid, action must be `set`, `inc`, `dec`, `add`, or `sub`",
                                action);
}

static int parse_buckets(struct metric *m, const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err) {
        char key[256];

        sl_stage_key(key, sizeof(key), path, "buckets");
        if (!node || node->kind == SL_YAML_NULL) {
                m->n_bounds = SL_ARRAY_SIZE(default_buckets);
                m->bounds = sl_xmalloc(sizeof(default_buckets));
                memcpy(m->bounds, default_buckets, sizeof(default_buckets));
                return 0;
        }
        if (node->kind != SL_YAML_SEQ)
                return sl_cfg_error_set(err, node, key, "expected a list of numbers");
        m->bounds = sl_xcalloc(node->count + 1, sizeof(*m->bounds));
        for (size_t i = 0; i < node->count; i++) {
                const struct sl_yaml_node *b = node->values[i];
                char *end;

                if (!b || b->kind != SL_YAML_SCALAR || b->text_len == 0)
                        return sl_cfg_error_set(err, b ? b : node, key, "expected a number");
                m->bounds[i] = strtod(b->text, &end);
                if (*end || !isfinite(m->bounds[i]))
                        return sl_cfg_error_set(err, b, key, "expected a finite number, not \"%s\"",
                                                b->text);
                if (i && !(m->bounds[i] > m->bounds[i - 1]))
                        return sl_cfg_error_set(err, b, key,
                                                "histogram buckets must be in increasing order");
        }
        m->n_bounds = node->count;
        return 0;
}

static int parse_metric(struct metric *m, const char *name, const struct sl_yaml_node *node,
                        const char *path, struct sl_cfg_error *err) {
        static const char *const keys[] = { "type", "description", "source", "prefix",
                                            "max_idle_duration", "config", NULL };
        static const char *const config_keys[] = { "value", "action", "match_all",
                                                   "count_entry_bytes", "buckets", NULL };
        _cleanup_free_ char *type = NULL, *prefix = NULL, *action = NULL;
        const struct sl_yaml_node *config, *idle;
        char key[256], cpath[256];
        int r;

        if (!node || node->kind != SL_YAML_MAP)
                return sl_cfg_error_set(err, node, path, "expected a map with the metric's type and config");
        r = sl_yaml_map_check(node, path, keys, err);
        if (r < 0)
                return r;
        r = sl_stage_get_string(node, path, "type", &type, err);
        if (r < 0)
                return r;
        if (!type || (strcasecmp(type, "counter") != 0 && strcasecmp(type, "gauge") != 0 &&
                      strcasecmp(type, "histogram") != 0)) {
                for (char *p = type; p && *p; p++)
                        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
                return sl_cfg_error_set(err, sl_yaml_get(node, "type"),
                                        sl_stage_key(key, sizeof(key), path, "type"),
                                        "invalid metric type '%s', metric type must be one of 'counter', 'gauge', or 'histogram'",
                                        type ? type : "");
        }
        m->type = strcasecmp(type, "counter") == 0 ? COUNTER
                  : strcasecmp(type, "gauge") == 0 ? GAUGE
                                                   : HISTOGRAM;
        r = sl_stage_get_string(node, path, "description", &m->help, err);
        if (r == 0)
                r = sl_stage_get_string(node, path, "source", &m->source, err);
        if (r == 0)
                r = sl_stage_get_string(node, path, "prefix", &prefix, err);
        if (r < 0)
                return r;
        if (!m->source)
                m->source = sl_xstrdup(name);
        m->source_s = sl_str_c(m->source);
        m->name = sl_xasprintf("%s%s", prefix ? prefix : DEFAULT_PREFIX, name);
        if (!metric_name_valid(m->name))
                return sl_cfg_error_set(err, node, path,
                                        "\"%s\" is not a valid metric name: use [a-zA-Z_:][a-zA-Z0-9_:]*",
                                        m->name);
        m->max_idle_ns = DEFAULT_IDLE_NS;
        idle = sl_yaml_get(node, "max_idle_duration");
        r = sl_stage_get_duration(node, path, "max_idle_duration", &m->max_idle_ns, err);
        if (r < 0)
                return r;
        if (idle && idle->kind != SL_YAML_NULL && m->max_idle_ns < SL_NSEC_PER_SEC)
                return sl_cfg_error_set(err, idle, sl_stage_key(key, sizeof(key), path, "max_idle_duration"),
                                        "max_idle_duration less than 1s not allowed");

        config = sl_yaml_get(node, "config");
        sl_stage_key(cpath, sizeof(cpath), path, "config");
        if (config && config->kind == SL_YAML_NULL)
                config = NULL;
        if (config && config->kind != SL_YAML_MAP)
                return sl_cfg_error_set(err, config, cpath, "expected a map");
        r = sl_yaml_map_check(config, cpath, config_keys, err);
        if (r < 0)
                return r;
        r = sl_stage_get_string(config, cpath, "value", &m->value, err);
        if (r < 0)
                return r;
        if (m->value)
                m->value_s = sl_str_c(m->value);
        if (m->type == HISTOGRAM)
                return parse_buckets(m, sl_yaml_get(config, "buckets"), cpath, err);

        r = sl_stage_get_string(config, cpath, "action", &action, err);
        if (r < 0)
                return r;
        r = parse_action(m, action, config ? config : node, sl_stage_key(key, sizeof(key), cpath, "action"),
                         err);
        if (r < 0 || m->type == GAUGE)
                return r;
        r = sl_stage_get_bool(config, cpath, "match_all", &m->match_all, err);
        if (r == 0)
                r = sl_stage_get_bool(config, cpath, "count_entry_bytes", &m->count_bytes, err);
        if (r < 0)
                return r;
        if (m->match_all && m->value)
                return sl_cfg_error_set(err, config, cpath,
                                        "`match_all: true` cannot be combined with `value`, please remove `match_all` or `value`");
        if (m->count_bytes && !m->match_all)
                return sl_cfg_error_set(err, config, cpath,
                                        "`count_entry_bytes: true` can only be set with `match_all: true`");
        if (m->count_bytes && m->action != ACT_ADD)
                return sl_cfg_error_set(err, config, cpath,
                                        "`count_entry_bytes: true` can only be used with `action: add`");
        return 0;
}

static int metrics_create(const struct sl_yaml_node *node, const char *path,
                          struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(metrics_destroyp) struct metrics_ctx *ctx = sl_xnew(struct metrics_ctx);
        char key[256];
        int r;

        if (!node || node->kind != SL_YAML_MAP || node->count == 0)
                return sl_cfg_error_set(err, node, path, "empty metric stage configuration");
        ctx->metrics = sl_xcalloc(node->count, sizeof(*ctx->metrics));
        for (size_t i = 0; i < node->count; i++) {
                const char *name = node->keys[i]->text ? node->keys[i]->text : "";

                sl_stage_key(key, sizeof(key), path, name);
                ctx->n++;
                r = parse_metric(&ctx->metrics[i], name, node->values[i], key, err);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (strcmp(ctx->metrics[k].name, ctx->metrics[i].name) == 0)
                                return sl_cfg_error_set(err, node->keys[i], key,
                                                        "metric %s is defined twice in this stage",
                                                        ctx->metrics[i].name);
        }
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

const struct sl_stage_type sl_stage_metrics = {
        .name = "metrics",
        .help = "count, gauge or observe extracted values as Prometheus metrics (promtail_custom_*)",
        .keys = NULL, /* a map of metric names, checked by create */
        .create = metrics_create,
        .process = metrics_process,
        .destroy = metrics_destroy,
        .collect = metrics_collect,
};
