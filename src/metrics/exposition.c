/* exposition.c - see exposition.h. */
#include "metrics/exposition.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for any number this file prints: "-1.2345678901234567e-308" and
 * "18446744073709551615" both fit with margin. */
#define NUMBER_MAX 40

void sl_expo_init(struct sl_expo *w, struct sl_buf *out) {
        *w = (struct sl_expo){ .out = out };
}

int sl_expo_error(const struct sl_expo *w) {
        return w->error;
}

static bool is_alpha_(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

bool sl_expo_name_valid(const char *name) {
        if (!name || !(is_alpha_(name[0]) || name[0] == ':'))
                return false;
        for (const char *p = name + 1; *p; p++)
                if (!is_alpha_(*p) && !is_digit(*p) && *p != ':')
                        return false;
        return true;
}

bool sl_expo_label_name_valid(const char *name) {
        if (!name || !is_alpha_(name[0]) || (name[0] == '_' && name[1] == '_'))
                return false;
        for (const char *p = name + 1; *p; p++)
                if (!is_alpha_(*p) && !is_digit(*p))
                        return false;
        return true;
}

/* Records @err unless an earlier error is already recorded. */
static void fail(struct sl_expo *w, int err) {
        if (w->error == 0)
                w->error = err;
}

/* Appends @n bytes; on hitting the cap marks the writer full (the caller of
 * the public function undoes its partial output in finish()). */
static void emit(struct sl_expo *w, const char *p, size_t n) {
        if (w->full)
                return;
        if (sl_buf_append(w->out, p, n) < 0) {
                w->full = true;
                fail(w, -ENOBUFS);
        }
}

static void emit_c(struct sl_expo *w, const char *s) {
        emit(w, s, strlen(s));
}

/* Appends @s with "\" and newline escaped, and '"' too when @quote. */
static void emit_escaped(struct sl_expo *w, const char *s, bool quote) {
        const char *run = s;

        for (const char *p = s; *p; p++) {
                const char *esc;
                if (*p == '\\')
                        esc = "\\\\";
                else if (*p == '\n')
                        esc = "\\n";
                else if (*p == '"' && quote)
                        esc = "\\\"";
                else
                        continue;
                emit(w, run, (size_t)(p - run));
                emit(w, esc, 2);
                run = p + 1;
        }
        emit_c(w, run);
}

/* Returns true when the writer may write: it is not full. Remembers where
 * this call's output starts. */
static bool begin(struct sl_expo *w, size_t *start) {
        *start = w->out->len;
        return !w->full;
}

/* Undoes this call's output when it did not fit, so only whole lines (and
 * whole histograms) stay in the buffer. */
static void finish(struct sl_expo *w, size_t start) {
        if (!w->full)
                return;
        w->out->len = start;
        if (w->out->data)
                w->out->data[start] = '\0';
}

/* Writes @v as Prometheus' Go client does (strconv 'g', shortest): the
 * fewest significant digits that read back as @v, in exponent form when the
 * decimal exponent is below -4 or at least 6; "+Inf", "-Inf", "NaN"; both
 * zeros as "0". */
static void format_f64(char out[static NUMBER_MAX], double v) {
        int digits, exp10;

        if (isnan(v)) {
                strcpy(out, "NaN");
                return;
        }
        if (isinf(v)) {
                strcpy(out, v > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (v == 0) {
                strcpy(out, "0");
                return;
        }
        /* 17 significant digits always read back exactly. */
        for (digits = 1;; digits++) {
                snprintf(out, NUMBER_MAX, "%.*e", digits - 1, v);
                if (digits == 17 || strtod(out, NULL) == v)
                        break;
        }
        exp10 = atoi(strchr(out, 'e') + 1);
        if (exp10 < -4 || exp10 >= 6)
                return;
        snprintf(out, NUMBER_MAX, "%.*f", digits - 1 - exp10 > 0 ? digits - 1 - exp10 : 0, v);
}

/* Checks every label name of @labels; @no_le also rejects "le". */
static bool labels_valid(const char *const *labels, bool no_le) {
        for (size_t i = 0; labels && labels[i]; i += 2) {
                if (!sl_expo_label_name_valid(labels[i]) || !labels[i + 1])
                        return false;
                if (no_le && strcmp(labels[i], "le") == 0)
                        return false;
        }
        return true;
}

/* Writes `name{labels,le="le"} value\n`: the braces only when there is a
 * label; @suffix (may be "") follows the name; @le may be NULL. */
static void emit_sample(struct sl_expo *w, const char *name, const char *suffix, const char *const *labels,
                        const char *le, const char *value) {
        bool any = false;

        emit_c(w, name);
        emit_c(w, suffix);
        for (size_t i = 0; labels && labels[i]; i += 2) {
                emit_c(w, any ? "," : "{");
                emit_c(w, labels[i]);
                emit_c(w, "=\"");
                emit_escaped(w, labels[i + 1], true);
                emit_c(w, "\"");
                any = true;
        }
        if (le) {
                emit_c(w, any ? "," : "{");
                emit_c(w, "le=\"");
                emit_c(w, le);
                emit_c(w, "\"");
                any = true;
        }
        if (any)
                emit_c(w, "}");
        emit_c(w, " ");
        emit_c(w, value);
        emit_c(w, "\n");
}

void sl_expo_family(struct sl_expo *w, const char *name, const char *type, const char *help) {
        static const char *const types[][2] = {
                { "counter", "counter" }, { "gauge", "gauge" },     { "histogram", "histogram" },
                { "summary", "summary" }, { "untyped", "untyped" }, { "info", "gauge" },
        };
        const char *written = NULL;
        size_t start;

        for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(type, types[i][0]) == 0)
                        written = types[i][1];
        if (!sl_expo_name_valid(name) || !written) {
                fail(w, -EINVAL);
                return;
        }
        if (w->last_family && strcmp(w->last_family, name) == 0)
                return;
        if (!begin(w, &start))
                return;
        if (help) {
                emit_c(w, "# HELP ");
                emit_c(w, name);
                emit_c(w, " ");
                emit_escaped(w, help, false);
                emit_c(w, "\n");
        }
        emit_c(w, "# TYPE ");
        emit_c(w, name);
        emit_c(w, " ");
        emit_c(w, written);
        emit_c(w, "\n");
        finish(w, start);
        if (!w->full)
                w->last_family = name;
}

/* The shared part of the two sample functions, @value already formatted. */
static void sample(struct sl_expo *w, const char *name, const char *const *labels, const char *value) {
        size_t start;

        if (!sl_expo_name_valid(name) || !labels_valid(labels, false)) {
                fail(w, -EINVAL);
                return;
        }
        if (!begin(w, &start))
                return;
        emit_sample(w, name, "", labels, NULL, value);
        finish(w, start);
}

void sl_expo_sample_u64(struct sl_expo *w, const char *name, const char *const *labels, uint64_t value) {
        char num[NUMBER_MAX];

        snprintf(num, sizeof(num), "%" PRIu64, value);
        sample(w, name, labels, num);
}

void sl_expo_sample_f64(struct sl_expo *w, const char *name, const char *const *labels, double value) {
        char num[NUMBER_MAX];

        format_f64(num, value);
        sample(w, name, labels, num);
}

void sl_expo_histogram(struct sl_expo *w, const char *name, const char *const *labels, const double *bounds,
                       const uint64_t *counts, size_t n_bounds, double sum) {
        char le[NUMBER_MAX], num[NUMBER_MAX];
        uint64_t cumulative = 0;
        size_t start;

        if (!sl_expo_name_valid(name) || !labels_valid(labels, true)) {
                fail(w, -EINVAL);
                return;
        }
        for (size_t i = 0; i < n_bounds; i++) {
                if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
                        fail(w, -EINVAL);
                        return;
                }
        }
        if (!begin(w, &start))
                return;
        for (size_t i = 0; i <= n_bounds; i++) {
                cumulative += counts[i];
                if (i < n_bounds)
                        format_f64(le, bounds[i]);
                else
                        strcpy(le, "+Inf");
                snprintf(num, sizeof(num), "%" PRIu64, cumulative);
                emit_sample(w, name, "_bucket", labels, le, num);
        }
        format_f64(num, sum);
        emit_sample(w, name, "_sum", labels, NULL, num);
        snprintf(num, sizeof(num), "%" PRIu64, cumulative);
        emit_sample(w, name, "_count", labels, NULL, num);
        finish(w, start);
}

void sl_expo_histogram_of(struct sl_expo *w, const char *name, const char *const *labels,
                          const struct sl_histogram *h) {
        sl_expo_histogram(w, name, labels, h->bounds, h->counts, h->n, h->sum);
}
