/* jmespath.c - see jmespath.h. */
#include "stages/jmespath.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "stages/go-template.h"

enum op_kind {
        OP_FIELD,   /* .name */
        OP_INDEX,   /* [n] */
        OP_SLICE,   /* [a:b:c], then a projection */
        OP_PROJECT, /* [*] */
        OP_FLATTEN, /* [] */
        OP_VALUES,  /* .* */
        OP_PIPE,    /* | : ends projections */
};

struct op {
        enum op_kind kind;
        char *name;               /* OP_FIELD: owned */
        long index;               /* OP_INDEX */
        long start, stop, step;   /* OP_SLICE */
        bool has_start, has_stop; /* OP_SLICE */
};

struct sl_jmespath {
        struct op *ops; /* owned array */
        size_t n, cap;
};

struct parser {
        const char *text, *p;
        char *msg;
        size_t msg_size;
};

static int __attribute__((format(printf, 2, 3))) perr(struct parser *ps, const char *fmt, ...) {
        va_list ap;
        size_t n = (size_t)snprintf(ps->msg, ps->msg_size, "at offset %zu: ", (size_t)(ps->p - ps->text));

        if (n < ps->msg_size) {
                va_start(ap, fmt);
                vsnprintf(ps->msg + n, ps->msg_size - n, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static struct op *add(struct sl_jmespath *x, enum op_kind kind) {
        sl_xgrow((void **)&x->ops, sizeof(*x->ops), &x->cap, x->n + 1);
        memset(&x->ops[x->n], 0, sizeof(x->ops[0]));
        x->ops[x->n].kind = kind;
        return &x->ops[x->n++];
}

static bool id_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool id_char(char c) {
        return id_start(c) || (c >= '0' && c <= '9');
}

static void skip_ws(struct parser *ps) {
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
                ps->p++;
}

/* An identifier, bare or quoted, into a new string. */
static int identifier(struct parser *ps, char **ret) {
        if (*ps->p == '"') {
                const char *start = ps->p + 1, *q = start;
                json_t *s;
                char *lit;

                while (*q && *q != '"')
                        q += (*q == '\\' && q[1]) ? 2 : 1;
                if (*q != '"')
                        return perr(ps, "unterminated quoted identifier");
                /* JSON's escapes: let jansson decode the quoted text. */
                lit = sl_xstrndup(ps->p, (size_t)(q - ps->p) + 1);
                s = json_loads(lit, JSON_DECODE_ANY, NULL);
                free(lit);
                if (!s || !json_is_string(s)) {
                        json_decref(s);
                        return perr(ps, "invalid quoted identifier");
                }
                *ret = sl_xstrndup(json_string_value(s), json_string_length(s));
                json_decref(s);
                ps->p = q + 1;
                return 0;
        }
        if (!id_start(*ps->p)) {
                if (!*ps->p)
                        return perr(ps, "expected an identifier");
                return perr(ps, "unexpected '%c'", *ps->p);
        }
        {
                const char *start = ps->p;
                while (id_char(*ps->p))
                        ps->p++;
                *ret = sl_xstrndup(start, (size_t)(ps->p - start));
        }
        return 0;
}

static bool number(struct parser *ps, long *ret) {
        char *end;
        long v;

        if (!(*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')))
                return false;
        errno = 0;
        v = strtol(ps->p, &end, 10);
        if (end == ps->p || errno)
                return false;
        ps->p = end;
        *ret = v;
        return true;
}

/* A bracket at ps->p ('['). */
static int bracket(struct parser *ps, struct sl_jmespath *x) {
        struct op *op;
        long v;

        ps->p++;
        skip_ws(ps);
        if (*ps->p == '*') {
                ps->p++;
                skip_ws(ps);
                if (*ps->p != ']')
                        return perr(ps, "expected ']'");
                ps->p++;
                add(x, OP_PROJECT);
                return 0;
        }
        if (*ps->p == ']') {
                ps->p++;
                add(x, OP_FLATTEN);
                return 0;
        }
        if (*ps->p == '?')
                return perr(ps, "filter expressions ([?...]) are not supported");
        op = add(x, OP_INDEX);
        if (number(ps, &v)) {
                op->index = v;
                op->has_start = true;
                op->start = v;
        }
        skip_ws(ps);
        if (*ps->p == ']') {
                if (!op->has_start)
                        return perr(ps, "expected an index");
                ps->p++;
                return 0;
        }
        if (*ps->p != ':')
                return perr(ps, *ps->p ? "multi-select lists and other bracket forms are not supported"
                                       : "expected ']'");
        op->kind = OP_SLICE;
        op->step = 1;
        ps->p++;
        skip_ws(ps);
        if (number(ps, &v)) {
                op->stop = v;
                op->has_stop = true;
        }
        skip_ws(ps);
        if (*ps->p == ':') {
                ps->p++;
                skip_ws(ps);
                if (number(ps, &v)) {
                        if (v == 0)
                                return perr(ps, "a slice's step cannot be 0");
                        op->step = v;
                }
        }
        skip_ws(ps);
        if (*ps->p != ']')
                return perr(ps, "expected ']'");
        ps->p++;
        return 0;
}

int sl_jmespath_new(const char *text, struct sl_jmespath **ret, char *msg, size_t msg_size) {
        _cleanup_(sl_jmespath_freep) struct sl_jmespath *x = sl_xnew(struct sl_jmespath);
        struct parser ps = { text, text, msg, msg_size };
        bool need_term = true; /* at the start, after '.' or '|' */
        int r;

        skip_ws(&ps);
        while (*ps.p) {
                if (*ps.p == '[') {
                        r = bracket(&ps, x);
                        if (r < 0)
                                return r;
                        need_term = false;
                } else if (*ps.p == '.' && !need_term) {
                        ps.p++;
                        skip_ws(&ps);
                        if (*ps.p == '*') {
                                ps.p++;
                                add(x, OP_VALUES);
                                need_term = false;
                        } else if (*ps.p == '[' || *ps.p == '{') {
                                return perr(&ps, "multi-selects are not supported");
                        } else {
                                need_term = true;
                                continue;
                        }
                } else if (*ps.p == '|' && !need_term && ps.p[1] != '|') {
                        ps.p++;
                        add(x, OP_PIPE);
                        need_term = true;
                } else if (need_term && *ps.p == '*' && x->n == 0) {
                        ps.p++;
                        add(x, OP_VALUES);
                        need_term = false;
                } else if (need_term && (id_start(*ps.p) || *ps.p == '"')) {
                        char *name = NULL;
                        const char *at = ps.p;
                        r = identifier(&ps, &name);
                        if (r < 0)
                                return r;
                        skip_ws(&ps);
                        if (*ps.p == '(') {
                                free(name);
                                ps.p = at;
                                return perr(&ps, "functions are not supported");
                        }
                        add(x, OP_FIELD)->name = name;
                        need_term = false;
                } else if (need_term) {
                        if (*ps.p == '@' || *ps.p == '`' || *ps.p == '\'' || *ps.p == '{' ||
                            *ps.p == '&' || *ps.p == '!' || *ps.p == '(')
                                return perr(&ps, "'%c' (literals, current node, multi-selects, "
                                                 "expressions) is not supported",
                                            *ps.p);
                        return perr(&ps, "unexpected '%c'", *ps.p);
                } else {
                        return perr(&ps, "unexpected '%c'", *ps.p);
                }
                skip_ws(&ps);
        }
        if (need_term)
                return perr(&ps, x->n ? "expression ends after '.' or '|'" : "empty expression");
        *ret = TAKE_PTR(x);
        return 0;
}

void sl_jmespath_free(struct sl_jmespath *x) {
        if (!x)
                return;
        for (size_t i = 0; i < x->n; i++)
                free(x->ops[i].name);
        free(x->ops);
        free(x);
}

static json_t *eval(const struct sl_jmespath *x, size_t i, json_t *v);

/* Applies ops from @i (up to the next pipe or flatten, which apply to
 * the whole result) to every element of @arr, keeping what is not null.
 * Takes a reference to @arr. */
static json_t *project(const struct sl_jmespath *x, size_t i, json_t *arr) {
        json_t *out = json_array();
        size_t end = i, k;
        json_t *el;

        while (end < x->n && x->ops[end].kind != OP_PIPE && x->ops[end].kind != OP_FLATTEN)
                end++;
        json_array_foreach(arr, k, el) {
                json_t *r = eval(&(struct sl_jmespath){ x->ops, end, 0 }, i, el);
                if (r)
                        json_array_append_new(out, r);
        }
        json_decref(arr);
        if (end < x->n) {
                json_t *r = eval(x, x->ops[end].kind == OP_PIPE ? end + 1 : end, out);
                json_decref(out);
                return r;
        }
        return out;
}

/* JMESPath's slice of @arr; a new array. */
static json_t *slice(const struct op *op, json_t *arr) {
        long len = (long)json_array_size(arr), step = op->step, start, stop;
        json_t *out = json_array();

        if (step > 0) {
                start = op->has_start ? op->start : 0;
                stop = op->has_stop ? op->stop : len;
                if (start < 0)
                        start = start + len < 0 ? 0 : start + len;
                else if (start > len)
                        start = len;
                if (stop < 0)
                        stop = stop + len < 0 ? 0 : stop + len;
                else if (stop > len)
                        stop = len;
                for (long k = start; k < stop; k += step)
                        json_array_append(out, json_array_get(arr, (size_t)k));
        } else {
                start = op->has_start ? op->start : len - 1;
                stop = op->has_stop ? op->stop : LONG_MIN;
                if (start < 0)
                        start = start + len < 0 ? -1 : start + len;
                else if (start >= len)
                        start = len - 1;
                if (op->has_stop) {
                        if (stop < 0)
                                stop = stop + len < 0 ? -1 : stop + len;
                        else if (stop >= len)
                                stop = len - 1;
                } else {
                        stop = -1;
                }
                for (long k = start; k > stop; k += step)
                        json_array_append(out, json_array_get(arr, (size_t)k));
        }
        return out;
}

/* Evaluates ops [i, x->n) on @v (borrowed); a new reference or NULL. */
static json_t *eval(const struct sl_jmespath *x, size_t i, json_t *v) {
        for (; i < x->n; i++) {
                const struct op *op = &x->ops[i];
                json_t *arr;

                if (!v || json_is_null(v))
                        return NULL;
                switch (op->kind) {
                case OP_FIELD:
                        v = json_is_object(v) ? json_object_get(v, op->name) : NULL;
                        break;
                case OP_INDEX: {
                        long len, k = op->index;
                        if (!json_is_array(v))
                                return NULL;
                        len = (long)json_array_size(v);
                        if (k < 0)
                                k += len;
                        v = k >= 0 && k < len ? json_array_get(v, (size_t)k) : NULL;
                        break;
                }
                case OP_SLICE:
                        if (!json_is_array(v))
                                return NULL;
                        return project(x, i + 1, slice(op, v));
                case OP_PROJECT:
                        if (!json_is_array(v))
                                return NULL;
                        return project(x, i + 1, json_incref(v));
                case OP_FLATTEN: {
                        size_t k;
                        json_t *el;
                        if (!json_is_array(v))
                                return NULL;
                        arr = json_array();
                        json_array_foreach(v, k, el) {
                                if (json_is_array(el))
                                        json_array_extend(arr, el);
                                else
                                        json_array_append(arr, el);
                        }
                        return project(x, i + 1, arr);
                }
                case OP_VALUES: {
                        const char *key;
                        json_t *el;
                        if (!json_is_object(v))
                                return NULL;
                        arr = json_array();
                        json_object_foreach(v, key, el)
                                json_array_append(arr, el);
                        return project(x, i + 1, arr);
                }
                case OP_PIPE:
                        break;
                }
        }
        if (!v || json_is_null(v))
                return NULL;
        return json_incref(v);
}

json_t *sl_jmespath_eval(const struct sl_jmespath *x, json_t *root) {
        return eval(x, 0, root);
}

/* The shortest digits of @d ("%.Ne" form) and their decimal exponent. */
static int shortest(double d, char *sci, size_t size) {
        int digits;

        for (digits = 0; digits < 17; digits++) {
                snprintf(sci, size, "%.*e", digits, d);
                if (strtod(sci, NULL) == d)
                        break;
        }
        return digits;
}

int sl_go_format_float(double d, struct sl_buf *out) {
        char sci[40], digs[24];
        int n = 0, exp, r = 0;
        const char *p;

        if (isnan(d))
                return sl_buf_append(out, "NaN", 3);
        if (isinf(d))
                return sl_buf_printf(out, "%cInf", d > 0 ? '+' : '-');
        shortest(d, sci, sizeof(sci));
        p = sci;
        if (*p == '-') {
                r = sl_buf_putc(out, '-');
                p++;
        }
        for (; *p && *p != 'e'; p++)
                if (*p != '.')
                        digs[n++] = *p;
        exp = atoi(p + 1);
        /* digits d0.d1d2... times 10^exp */
        if (exp < 0) {
                r = r ?: sl_buf_append(out, "0.", 2);
                for (int i = 0; i < -exp - 1 && r == 0; i++)
                        r = sl_buf_putc(out, '0');
                r = r ?: sl_buf_append(out, digs, (size_t)n);
        } else if (exp + 1 >= n) {
                r = r ?: sl_buf_append(out, digs, (size_t)n);
                for (int i = 0; i < exp + 1 - n && r == 0; i++)
                        r = sl_buf_putc(out, '0');
        } else {
                r = r ?: sl_buf_append(out, digs, (size_t)exp + 1);
                r = r ?: sl_buf_putc(out, '.');
                r = r ?: sl_buf_append(out, digs + exp + 1, (size_t)(n - exp - 1));
        }
        return r;
}

/* Go's encoding/json float64: 'f' form, 'e' below 1e-6 and from 1e21. */
static int json_float(double d, struct sl_buf *out) {
        double a = fabs(d);
        char sci[40];
        size_t n;

        if (a == 0 || (a >= 1e-6 && a < 1e21))
                return sl_go_format_float(d, out);
        shortest(d, sci, sizeof(sci));
        n = strlen(sci);
        /* e-07 -> e-7 */
        if (n >= 4 && sci[n - 4] == 'e' && sci[n - 3] == '-' && sci[n - 2] == '0') {
                sci[n - 2] = sci[n - 1];
                sci[n - 1] = '\0';
        }
        return sl_buf_printf(out, "%s", sci);
}

static int by_key(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sl_go_json_render(const json_t *v, struct sl_buf *out) {
        int r = 0;

        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                size_t n = json_object_size(v), i = 0;
                const char **keys = sl_xcalloc(n ? n : 1, sizeof(*keys));
                const char *key;
                json_t *el;

                json_object_foreach((json_t *)v, key, el)
                        keys[i++] = key;
                qsort(keys, n, sizeof(*keys), by_key);
                r = sl_buf_putc(out, '{');
                for (i = 0; i < n && r == 0; i++) {
                        if (i)
                                sl_buf_putc(out, ',');
                        sl_go_json_string(sl_str_c(keys[i]), out);
                        sl_buf_putc(out, ':');
                        r = sl_go_json_render(json_object_get(v, keys[i]), out);
                }
                free(keys);
                return r ?: sl_buf_putc(out, '}');
        }
        case JSON_ARRAY: {
                size_t i;
                json_t *el;

                r = sl_buf_putc(out, '[');
                json_array_foreach((json_t *)v, i, el) {
                        if (i)
                                sl_buf_putc(out, ',');
                        r = r ?: sl_go_json_render(el, out);
                }
                return r ?: sl_buf_putc(out, ']');
        }
        case JSON_STRING:
                sl_go_json_string(sl_str_from(json_string_value(v), json_string_length(v)), out);
                return 0;
        case JSON_INTEGER:
                return json_float((double)json_integer_value(v), out);
        case JSON_REAL:
                return json_float(json_real_value(v), out);
        case JSON_TRUE:
                return sl_buf_append(out, "true", 4);
        case JSON_FALSE:
                return sl_buf_append(out, "false", 5);
        case JSON_NULL:
        default:
                return sl_buf_append(out, "null", 4);
        }
}
