/* exposition.h - Prometheus text format (version 0.0.4) writer, and a
 * fixed-size histogram other modules can embed in their stats.
 *
 * Pure: no I/O, no allocation of its own. The writer appends to an sl_buf the
 * caller owns; that buffer's cap bounds the output.
 *
 * Owns: nothing. Borrows: the output buffer (struct sl_expo.out) for the
 * writer's whole life, and each family name until the next sl_expo_family().
 *
 * Calling sequence:
 *   sl_expo_init()          binds the writer to an output buffer
 *   sl_expo_family()        # HELP and # TYPE of a family, written once even
 *                           when called before every sample of that family
 *   sl_expo_sample_u64() / sl_expo_sample_f64() / sl_expo_histogram()
 *                           the family's samples, right after it
 *   ...                     next family
 *   sl_expo_error()         0, or the first thing that went wrong
 *
 * Invariants the caller keeps: all samples of a family follow its
 * sl_expo_family() call without another family in between (the format wants
 * a family's lines together); names are static strings of the program, not
 * input (they are still checked, see below).
 *
 * Errors never abort and never leave half a line behind:
 *   -EINVAL   a bad metric or label name, an unknown type, a histogram with
 *             an "le" label or bounds not strictly ascending and finite:
 *             that one call writes nothing; later calls go on.
 *   -ENOBUFS  the output buffer reached its cap: the call that hit it is
 *             undone (a histogram as a whole) and every later call writes
 *             nothing, so the output is a well-formed prefix.
 *
 * struct sl_histogram needs only this header (its functions are inline), so
 * a module can count observations without linking the metrics layer.
 *
 * Threading: a writer or histogram is used from one thread at a time (the
 * loop thread in sluice).
 */
#ifndef SL_METRICS_EXPOSITION_H
#define SL_METRICS_EXPOSITION_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* The Content-Type of a body written by this module. */
#define SL_EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct sl_expo {
        struct sl_buf *out;      /* borrowed: where the text is appended */
        const char *last_family; /* borrowed: family written last, NULL before the first */
        int error;               /* first error (-EINVAL or -ENOBUFS), 0 while none */
        bool full;               /* the buffer hit its cap: nothing more is written */
};

/* Binds @w to @out (appended to; existing content is kept). Cannot fail. */
void sl_expo_init(struct sl_expo *w, struct sl_buf *out);

/* The first error met since sl_expo_init(), or 0. */
int sl_expo_error(const struct sl_expo *w);

/* Metric name rule: [a-zA-Z_:][a-zA-Z0-9_:]*. NULL is not valid. */
bool sl_expo_name_valid(const char *name);
/* Label name rule: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved
 * by Prometheus). NULL is not valid. */
bool sl_expo_label_name_valid(const char *name);

/* Starts the family @name: writes "# HELP" (omitted when @help is NULL; "\"
 * and newlines escaped) and "# TYPE" lines unless the previous family call
 * was for the same name. @type is "counter", "gauge", "histogram", "summary"
 * or "untyped"; "info" is written as "gauge". @name must stay valid until the
 * next call (string literals in practice). */
void sl_expo_family(struct sl_expo *w, const char *name, const char *type, const char *help);

/* One sample line `name{l1="v1",l2="v2"} value`. @labels is NULL or a
 * NULL-terminated array of name, value pairs: {"path", "/x", "status",
 * "204", NULL}. Values are escaped (\\, \", \n); they are expected to be
 * UTF-8. The u64 form prints the integer exactly (18446744073709551615);
 * the f64 form prints the shortest text that reads back as the same double
 * (exponent form outside [1e-4, 1e6), as Prometheus' Go client does), and
 * +Inf, -Inf, NaN. */
void sl_expo_sample_u64(struct sl_expo *w, const char *name, const char *const *labels, uint64_t value);
void sl_expo_sample_f64(struct sl_expo *w, const char *name, const char *const *labels, double value);

/* A histogram's lines: name_bucket{labels...,le="b"} (cumulative) for each of
 * the @n_bounds ascending finite upper bounds @bounds (without +Inf), then
 * le="+Inf", name_sum and name_count. @counts holds n_bounds + 1
 * NON-cumulative bucket counts, the last one being the overflow above the
 * highest bound. @labels must not contain "le". */
void sl_expo_histogram(struct sl_expo *w, const char *name, const char *const *labels, const double *bounds,
                       const uint64_t *counts, size_t n_bounds, double sum);

struct sl_histogram;
/* sl_expo_histogram() for a struct sl_histogram. */
void sl_expo_histogram_of(struct sl_expo *w, const char *name, const char *const *labels,
                          const struct sl_histogram *h);

/* Most upper bounds a struct sl_histogram takes (the +Inf bucket aside). */
#define SL_HISTOGRAM_MAX_BUCKETS 32

/* Observations counted into fixed buckets. Embed it, sl_histogram_init()
 * it, sl_histogram_observe() values, write it with sl_expo_histogram_of(). */
struct sl_histogram {
        const double *bounds;                          /* borrowed: n ascending upper bounds (static) */
        size_t n;                                      /* number of bounds */
        uint64_t counts[SL_HISTOGRAM_MAX_BUCKETS + 1]; /* per bucket, non-cumulative; [n] is +Inf */
        double sum;                                    /* sum of the observed values */
        uint64_t count;                                /* number of observations */
};

/* Sets @h empty with the @n upper bounds @bounds (borrowed for @h's life).
 * Returns 0, or -EINVAL when n > SL_HISTOGRAM_MAX_BUCKETS or the bounds are
 * not strictly ascending finite numbers; @h then has no bounds (everything
 * is counted in +Inf) and is still usable. */
static inline int sl_histogram_init(struct sl_histogram *h, const double *bounds, size_t n) {
        bool ok = n <= SL_HISTOGRAM_MAX_BUCKETS;

        for (size_t i = 0; ok && i < n; i++)
                ok = isfinite(bounds[i]) && (i == 0 || bounds[i - 1] < bounds[i]);
        *h = (struct sl_histogram){ .bounds = ok ? bounds : NULL, .n = ok ? n : 0 };
        return ok ? 0 : -EINVAL;
}

/* Counts @value in the first bucket whose bound is >= @value (bounds are
 * inclusive, as Prometheus' "le" says). NaN is ignored. */
static inline void sl_histogram_observe(struct sl_histogram *h, double value) {
        size_t lo = 0, hi = h->n;

        if (isnan(value))
                return;
        /* First index whose bound >= value; h->n when there is none. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (h->bounds[mid] < value)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        h->counts[lo]++;
        h->sum += value;
        h->count++;
}

#endif
