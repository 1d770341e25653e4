/* stage-test.h - what the stage tests share: a pipeline built from YAML
 * text, one entry run through it, and assertions on slices.
 *
 * Header-only (static functions) so each test stays one file linked against
 * the stages library. The YAML document is freed as soon as the pipeline is
 * built: stages copy what they keep, and the tests prove it.
 */
#ifndef SL_STAGE_TEST_H
#define SL_STAGE_TEST_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/yaml-doc.h"
#include "core/entry.h"
#include "stages/stage-registry.h"

/* Builds the pipeline whose pipeline_stages list is @yaml; fails the test
 * with the formatted error if it cannot. */
static inline struct sl_pipeline *st_pipeline(const char *yaml) {
        struct sl_yaml_doc *doc = NULL;
        struct sl_pipeline *p = NULL;
        struct sl_cfg_error err;
        char msg[1024];
        int r;

        memset(&err, 0, sizeof(err));
        r = sl_yaml_doc_parse("test.yaml", yaml, strlen(yaml), &doc, &err);
        if (r == 0)
                r = sl_stages_pipeline_new(doc->root, "test.yaml", &err, &p);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(r == 0, "pipeline refused: %s", msg);
        sl_yaml_doc_free(doc);
        return p;
}

/* Expects @yaml to be refused; returns the formatted error in @out. */
static inline void st_pipeline_fails(const char *yaml, struct sl_cfg_error *err, char *out,
                                     size_t size) {
        struct sl_yaml_doc *doc = NULL;
        struct sl_pipeline *p = NULL;
        int r;

        memset(err, 0, sizeof(*err));
        r = sl_yaml_doc_parse("test.yaml", yaml, strlen(yaml), &doc, err);
        ck_assert_msg(r == 0, "YAML did not parse: %s", err->msg);
        r = sl_stages_pipeline_new(doc->root, "test.yaml", err, &p);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_null(p);
        sl_cfg_error_format(err, out, size);
        sl_yaml_doc_free(doc);
}

/* Resets @e, gives it @line (borrowed) from @source and runs it through @p. */
static inline int st_run_n(struct sl_pipeline *p, struct sl_entry *e, uint64_t source,
                           const char *line, size_t len) {
        sl_entry_reset(e);
        e->source_id = source;
        e->line = sl_str_from(line, len);
        return sl_pipeline_run(p, e);
}

static inline int st_run(struct sl_pipeline *p, struct sl_entry *e, uint64_t source,
                         const char *line) {
        return st_run_n(p, e, source, line, strlen(line));
}

/* Entries stages released on their own (multiline's blocks, cri's partial
 * lines), copied as the pipeline's sink received them, in order. */
#define ST_OUT_MAX 256
struct st_out {
        struct sl_entry e[ST_OUT_MAX]; /* the first n are initialised */
        size_t n;                      /* entries received */
        size_t inited;                 /* entries initialised */
};

static inline void st_out_sink(void *ud, struct sl_entry *e) {
        struct st_out *o = ud;

        ck_assert_msg(o->n < ST_OUT_MAX, "more than %d released entries", ST_OUT_MAX);
        if (o->n == o->inited)
                sl_entry_init_sized(&o->e[o->inited++], 1024);
        sl_entry_copy(&o->e[o->n++], e);
}

/* Makes @o @p's sink, empty. */
static inline void st_out_attach(struct st_out *o, struct sl_pipeline *p) {
        o->n = 0;
        sl_pipeline_set_sink(p, st_out_sink, o);
}

static inline void st_out_release(struct st_out *o) {
        for (size_t i = 0; i < o->inited; i++)
                sl_entry_release(&o->e[i]);
        o->n = o->inited = 0;
}

/* Resets @e and runs @line from @source with the labels @labels
 * ("a=1,b=2"; NULL: none; the strings must outlive the run: literals), the
 * offsets a file would give it and the read time @read_ns. */
static inline int st_run_at(struct sl_pipeline *p, struct sl_entry *e, uint64_t source,
                            const char *labels, const char *line, uint64_t offset,
                            uint64_t read_ns) {
        sl_entry_reset(e);
        e->source_id = source;
        e->line = sl_str_c(line);
        e->offset = offset;
        e->end_offset = offset + strlen(line) + 1;
        e->read_ns = read_ns;
        for (const char *l = labels; l && *l;) {
                const char *eq = strchr(l, '='), *comma = strchr(l, ',');
                const char *end = comma ? comma : l + strlen(l);
                ck_assert_msg(eq && eq < end, "bad test labels %s", labels);
                sl_kvs_set(&e->labels, sl_str_from(l, (size_t)(eq - l)),
                           sl_str_from(eq + 1, (size_t)(end - eq - 1)));
                l = comma ? comma + 1 : end;
        }
        return sl_pipeline_run(p, e);
}

/* The stages' metrics (sl_pipeline_collect() at @now_ns) as Prometheus
 * text, into @buf: "# HELP", "# TYPE", then one line per sample, name
 * {labels} value (%g); a histogram as cumulative _bucket{le} lines, _sum
 * and _count, as Prometheus' client writes them. */
struct st_text {
        char *buf;
        size_t size, len;
};

static inline void st_text_put(struct st_text *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static inline void st_text_put(struct st_text *t, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
        va_end(ap);
        ck_assert_msg(n >= 0 && (size_t)n < t->size - t->len, "metrics text too long");
        t->len += (size_t)n;
}

static inline void st_text_labels(struct st_text *t, const char *const *labels, const char *le) {
        bool any = false;

        for (size_t i = 0; labels && labels[i]; i += 2) {
                st_text_put(t, "%s%s=\"%s\"", any ? "," : "{", labels[i], labels[i + 1]);
                any = true;
        }
        if (le) {
                st_text_put(t, "%sle=\"%s\"", any ? "," : "{", le);
                any = true;
        }
        if (any)
                st_text_put(t, "}");
}

static inline bool st_text_family(void *ud, const char *name, const char *type, const char *help) {
        struct st_text *t = ud;

        if (help)
                st_text_put(t, "# HELP %s %s\n", name, help);
        st_text_put(t, "# TYPE %s %s\n", name, type);
        return true;
}

static inline void st_text_sample(void *ud, const char *name, const char *const *labels,
                                  double value) {
        struct st_text *t = ud;

        st_text_put(t, "%s", name);
        st_text_labels(t, labels, NULL);
        st_text_put(t, " %g\n", value);
}

static inline void st_text_histogram(void *ud, const char *name, const char *const *labels,
                                     const double *bounds, const uint64_t *counts, size_t n_bounds,
                                     double sum) {
        struct st_text *t = ud;
        uint64_t total = 0;
        char le[64];

        for (size_t i = 0; i <= n_bounds; i++) {
                total += counts[i];
                if (i < n_bounds)
                        snprintf(le, sizeof(le), "%g", bounds[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                st_text_put(t, "%s_bucket", name);
                st_text_labels(t, labels, le);
                st_text_put(t, " %llu\n", (unsigned long long)total);
        }
        st_text_put(t, "%s_sum", name);
        st_text_labels(t, labels, NULL);
        st_text_put(t, " %g\n", sum);
        st_text_put(t, "%s_count", name);
        st_text_labels(t, labels, NULL);
        st_text_put(t, " %llu\n", (unsigned long long)total);
}

/* Renders @p's metrics at @now_ns into @buf (@size bytes); returns @buf. */
static inline const char *st_metrics_text(struct sl_pipeline *p, uint64_t now_ns, char *buf,
                                          size_t size) {
        struct st_text t = { buf, size, 0 };
        struct sl_stage_metrics_out out = { &t, st_text_family, st_text_sample, st_text_histogram };

        buf[0] = '\0';
        sl_pipeline_collect(p, now_ns, &out);
        return buf;
}

/* Whether @text has the line @line (without its "\n"). */
static inline bool st_has_line(const char *text, const char *line) {
        size_t n = strlen(line);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, line, n) == 0 && p[n] == '\n')
                        return true;
        return false;
}

/* Whether @text has a sample of the metric @name (a line "name " or
 * "name{"). */
static inline bool st_has_sample(const char *text, const char *name) {
        size_t n = strlen(name);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '{'))
                        return true;
        return false;
}

#define st_assert_line(text, line)                                                   \
        ck_assert_msg(st_has_line((text), (line)), "no line \"%s\" in:\n%s", (line), (text))

#define st_assert_str(s, want)                                                        \
        do {                                                                          \
                struct sl_str _s = (s);                                               \
                const char *_w = (want);                                              \
                ck_assert_msg(sl_str_eq_c(_s, _w), "got \"%.*s\" (%zu bytes), want \"%s\"", \
                              (int)_s.len, _s.ptr ? _s.ptr : "", _s.len, _w);         \
        } while (0)

/* Asserts that @kvs maps @name to @want (or has no @name when want is NULL). */
#define st_assert_kv(kvs, name, want)                                                 \
        do {                                                                          \
                const struct sl_str *_v = sl_kvs_get((kvs), sl_str_c(name));          \
                const char *_w2 = (want);                                             \
                if (!_w2)                                                             \
                        ck_assert_msg(_v == NULL, "%s is set to \"%.*s\"", (name),    \
                                      _v ? (int)_v->len : 0, _v ? _v->ptr : "");      \
                else {                                                                \
                        ck_assert_msg(_v != NULL, "%s is not set", (name));           \
                        st_assert_str(*_v, _w2);                                      \
                }                                                                     \
        } while (0)

#endif
