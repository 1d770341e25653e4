/* go-template.c - see go-template.h. */
#include "stages/go-template.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/go-regex.h"

/* Most bytes one execution may write. */
#define OUT_CAP (4u << 20)
/* Most arguments in one command. */
#define MAX_ARGS 16

/* ---- the tree ----------------------------------------------------------- */

enum arg_kind {
        A_FIELD,  /* .a.b: fields of dot */
        A_DOT,    /* . */
        A_ROOT,   /* $ or $.a.b: fields of the data */
        A_STRING, /* "text" or `text` */
        A_INT,
        A_FLOAT,
        A_BOOL,
        A_NIL,
        A_FUNC, /* a function name (first word of a command) */
        A_PIPE, /* ( pipeline ) */
};

struct pipe;

struct arg {
        enum arg_kind kind;
        struct sl_str *fields; /* owned array (A_FIELD, A_ROOT); strings owned */
        size_t n_fields;
        struct sl_str str;     /* owned (A_STRING) */
        int64_t i;             /* A_INT */
        double f;              /* A_FLOAT */
        bool b;                /* A_BOOL */
        int func;              /* A_FUNC: index in funcs[] */
        struct pipe *pipe;     /* owned (A_PIPE) */
        struct sl_go_regex *re; /* owned: A_STRING used as a constant regex */
};

struct cmd {
        struct arg *args; /* owned array */
        size_t n;
};

struct pipe {
        struct cmd *cmds; /* owned array */
        size_t n;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_WITH };

struct list {
        struct node *nodes; /* owned array */
        size_t n, cap;
};

struct node {
        enum node_kind kind;
        struct sl_str text;   /* N_TEXT: owned */
        struct pipe *pipe;    /* owned: the action's or condition's */
        struct list body;     /* N_IF, N_WITH */
        struct list els;      /* N_IF, N_WITH: else branch ("else if" is one N_IF in it) */
};

struct sl_go_template {
        struct list root;   /* owned */
        struct sl_buf out;  /* owned: the output, reused */
        bool constant;      /* text only */
};

/* ---- values ------------------------------------------------------------- */

enum vkind { V_MISSING, V_NIL, V_STR, V_INT, V_FLOAT, V_BOOL, V_DATA };

struct val {
        enum vkind k;
        struct sl_str s; /* V_STR */
        int64_t i;       /* V_INT */
        double f;        /* V_FLOAT */
        bool b;          /* V_BOOL */
};

struct exec {
        struct sl_go_template *t;
        sl_go_template_lookup_fn lookup;
        void *ud;
        struct sl_arena *arena;
        struct val dot;
};

/* ---- functions ---------------------------------------------------------- */

typedef int (*func_fn)(struct exec *x, struct val *args, size_t n, struct val *ret);

struct func {
        const char *name;
        int min, max;   /* argument count; max -1: any */
        func_fn fn;     /* NULL for and/or (evaluated in eval_cmd) */
        int regex_arg;  /* index of an argument that is a regex, or -1 */
};

static struct sl_str arena_copy(struct exec *x, const char *p, size_t n) {
        return sl_arena_strdup(x->arena, sl_str_from(p, n));
}

static struct val vstr(struct sl_str s) {
        return (struct val){ .k = V_STR, .s = s };
}

static struct val vbool(bool b) {
        return (struct val){ .k = V_BOOL, .b = b };
}

static int want_str(const struct val *v, struct sl_str *ret) {
        if (v->k != V_STR)
                return -EINVAL;
        *ret = v->s;
        return 0;
}

static int want_int(const struct val *v, int64_t *ret) {
        if (v->k != V_INT)
                return -EINVAL;
        *ret = v->i;
        return 0;
}

/* Go's truth: false, 0, "", nil and no value are false. */
static bool truth(const struct val *v) {
        switch (v->k) {
        case V_STR: return v->s.len > 0;
        case V_INT: return v->i != 0;
        case V_FLOAT: return v->f != 0;
        case V_BOOL: return v->b;
        case V_DATA: return true;
        default: return false;
        }
}

/* Go's %v of a float64: shortest digits, exponent form below 1e-4 and
 * from 1e21 on. */
static void format_float(double d, struct sl_buf *out) {
        char sci[40];
        int digits, exp;

        if (isinf(d)) {
                sl_buf_printf(out, "%s", d > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (isnan(d)) {
                sl_buf_append(out, "NaN", 3);
                return;
        }
        for (digits = 0; digits < 17; digits++) {
                snprintf(sci, sizeof(sci), "%.*e", digits, d);
                if (strtod(sci, NULL) == d)
                        break;
        }
        exp = atoi(strchr(sci, 'e') + 1);
        if (exp < -4 || exp >= 21)
                sl_buf_printf(out, "%s", sci);
        else
                sl_buf_printf(out, "%.*f", digits - exp > 0 ? digits - exp : 0, d);
}

/* Appends @v as Go's fmt prints it. */
static int print_val(const struct val *v, struct sl_buf *out) {
        switch (v->k) {
        case V_STR: return sl_buf_append_str(out, v->s);
        case V_INT: return sl_buf_printf(out, "%" PRId64, v->i);
        case V_FLOAT: format_float(v->f, out); return 0;
        case V_BOOL: return sl_buf_printf(out, "%s", v->b ? "true" : "false");
        case V_NIL: return sl_buf_append(out, "<nil>", 5);
        case V_MISSING: return sl_buf_append(out, "<no value>", 10);
        case V_DATA: return sl_buf_append(out, "map[]", 5);
        }
        return 0;
}

/* A string built in a buffer, copied to the arena. */
static struct val buf_val(struct exec *x, struct sl_buf *b) {
        return vstr(arena_copy(x, b->data ? b->data : "", b->len));
}

static int map_bytes(struct exec *x, struct val *a, struct val *ret, int (*conv)(int)) {
        struct sl_str s;
        char *o;

        if (want_str(a, &s) < 0)
                return -EINVAL;
        o = sl_arena_alloc(x->arena, s.len + 1);
        for (size_t i = 0; i < s.len; i++) {
                unsigned char c = (unsigned char)s.ptr[i];
                o[i] = c < 0x80 ? (char)conv(c) : (char)c;
        }
        o[s.len] = '\0';
        *ret = vstr(sl_str_from(o, s.len));
        return 0;
}

static int lower_c(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int upper_c(int c) {
        return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static int f_lower(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return map_bytes(x, &a[0], ret, lower_c);
}

static int f_upper(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return map_bytes(x, &a[0], ret, upper_c);
}

/* strings.Replace(s, old, new, n); n < 0: all. An empty @old matches
 * before every rune and at the end. */
static struct val replace_str(struct exec *x, struct sl_str s, struct sl_str old, struct sl_str new,
                              int64_t n) {
        struct sl_buf b;
        size_t i = 0;
        int64_t done = 0;
        struct val v;

        if (n == 0 || (old.len > 0 && !memmem(s.ptr ? s.ptr : "", s.len, old.ptr, old.len)))
                return vstr(s);
        sl_buf_init(&b, OUT_CAP);
        while (i <= s.len && (n < 0 || done < n)) {
                const char *hit;
                if (old.len == 0) {
                        sl_buf_append_str(&b, new);
                        done++;
                        if (i == s.len)
                                break;
                        sl_buf_putc(&b, s.ptr[i++]);
                        while (i < s.len && ((unsigned char)s.ptr[i] & 0xc0) == 0x80)
                                sl_buf_putc(&b, s.ptr[i++]);
                        continue;
                }
                hit = memmem(s.ptr + i, s.len - i, old.ptr, old.len);
                if (!hit)
                        break;
                sl_buf_append(&b, s.ptr + i, (size_t)(hit - (s.ptr + i)));
                sl_buf_append_str(&b, new);
                i = (size_t)(hit - s.ptr) + old.len;
                done++;
        }
        if (i < s.len)
                sl_buf_append(&b, s.ptr + i, s.len - i);
        v = buf_val(x, &b);
        sl_buf_release(&b);
        return v;
}

static int f_Replace(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s, old, new;
        int64_t count;

        (void)n;
        if (want_str(&a[0], &s) < 0 || want_str(&a[1], &old) < 0 || want_str(&a[2], &new) < 0 ||
            want_int(&a[3], &count) < 0)
                return -EINVAL;
        *ret = replace_str(x, s, old, new, count);
        return 0;
}

static int f_replace(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s, old, new;

        (void)n;
        if (want_str(&a[0], &old) < 0 || want_str(&a[1], &new) < 0 || want_str(&a[2], &s) < 0)
                return -EINVAL;
        *ret = replace_str(x, s, old, new, -1);
        return 0;
}

/* Whether the rune starting at @p (of @len bytes, see rune_at) is in
 * @cutset. */
static size_t rune_len(const char *p, size_t avail) {
        unsigned char c = (unsigned char)*p;
        size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return n <= avail ? n : 1;
}

static bool in_cutset(struct sl_str cut, const char *p, size_t n) {
        for (size_t i = 0; i < cut.len;) {
                size_t m = rune_len(cut.ptr + i, cut.len - i);
                if (m == n && memcmp(cut.ptr + i, p, n) == 0)
                        return true;
                i += m;
        }
        return false;
}

/* The last rune of [p, p + n): its start. */
static size_t last_rune(const char *p, size_t n) {
        size_t i = n - 1;
        while (i > 0 && n - i < 4 && ((unsigned char)p[i] & 0xc0) == 0x80)
                i--;
        return i;
}

static struct sl_str trim_set(struct sl_str s, struct sl_str cut, bool left, bool right) {
        if (left)
                while (s.len) {
                        size_t m = rune_len(s.ptr, s.len);
                        if (!in_cutset(cut, s.ptr, m))
                                break;
                        s.ptr += m;
                        s.len -= m;
                }
        if (right)
                while (s.len) {
                        size_t at = last_rune(s.ptr, s.len);
                        if (!in_cutset(cut, s.ptr + at, s.len - at))
                                break;
                        s.len = at;
                }
        return s;
}

static int trim_common(struct val *a, struct val *ret, bool left, bool right) {
        struct sl_str s, cut;

        if (want_str(&a[0], &s) < 0 || want_str(&a[1], &cut) < 0)
                return -EINVAL;
        *ret = vstr(trim_set(s, cut, left, right));
        return 0;
}

static int f_Trim(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x, (void)n;
        return trim_common(a, ret, true, true);
}

static int f_TrimLeft(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x, (void)n;
        return trim_common(a, ret, true, false);
}

static int f_TrimRight(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x, (void)n;
        return trim_common(a, ret, false, true);
}

static int f_TrimSpace(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s;

        (void)x, (void)n;
        if (want_str(&a[0], &s) < 0)
                return -EINVAL;
        *ret = vstr(trim_set(s, SL_STR_LIT(" \t\n\v\f\r\xc2\x85\xc2\xa0"), true, true));
        return 0;
}

static int f_TrimPrefix(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s, p;

        (void)x, (void)n;
        if (want_str(&a[0], &s) < 0 || want_str(&a[1], &p) < 0)
                return -EINVAL;
        if (s.len >= p.len && memcmp(s.ptr, p.ptr, p.len) == 0) {
                s.ptr += p.len;
                s.len -= p.len;
        }
        *ret = vstr(s);
        return 0;
}

static int f_TrimSuffix(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s, p;

        (void)x, (void)n;
        if (want_str(&a[0], &s) < 0 || want_str(&a[1], &p) < 0)
                return -EINVAL;
        if (s.len >= p.len && memcmp(s.ptr + s.len - p.len, p.ptr, p.len) == 0)
                s.len -= p.len;
        *ret = vstr(s);
        return 0;
}

static int digest(struct exec *x, struct val *a, const EVP_MD *md, struct val *ret) {
        struct sl_str salt, input;
        unsigned char h[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_MD_CTX *c;
        char *o;

        if (want_str(&a[0], &salt) < 0 || want_str(&a[1], &input) < 0)
                return -EINVAL;
        c = EVP_MD_CTX_new();
        if (!c || !md)
                abort();
        EVP_DigestInit_ex(c, md, NULL);
        EVP_DigestUpdate(c, salt.ptr ? salt.ptr : "", salt.len);
        EVP_DigestUpdate(c, input.ptr ? input.ptr : "", input.len);
        EVP_DigestFinal_ex(c, h, &len);
        EVP_MD_CTX_free(c);
        o = sl_arena_alloc(x->arena, 2 * len + 1);
        for (unsigned i = 0; i < len; i++)
                snprintf(o + 2 * i, 3, "%02x", h[i]);
        *ret = vstr(sl_str_from(o, 2 * len));
        return 0;
}

static int f_Hash(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return digest(x, a, EVP_sha3_256(), ret);
}

static int f_Sha2Hash(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return digest(x, a, EVP_sha256(), ret);
}

static int regex_replace(struct exec *x, struct val *a, struct sl_go_regex *constant, bool literal,
                         struct val *ret) {
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *own = NULL;
        struct sl_str pattern, s, repl;
        struct sl_buf b;
        char msg[256];
        int r;

        if (want_str(&a[0], &pattern) < 0 || want_str(&a[1], &s) < 0 || want_str(&a[2], &repl) < 0)
                return -EINVAL;
        if (!constant) {
                _cleanup_free_ char *p = sl_xstrndup(pattern.ptr ? pattern.ptr : "", pattern.len);
                /* Go panics (MustCompile): the execution fails. */
                if (sl_go_regex_new(p, &own, msg, sizeof(msg)) < 0)
                        return -EINVAL;
                constant = own;
        }
        sl_buf_init(&b, OUT_CAP);
        r = sl_go_regex_replace_all(constant, s, repl, literal, &b);
        if (r == 0)
                *ret = buf_val(x, &b);
        sl_buf_release(&b);
        return r;
}

/* Go's strconv.Quote, for sprig's quote. */
static void go_quote(struct sl_str s, struct sl_buf *out) {
        static const char hex[] = "0123456789abcdef";

        sl_buf_putc(out, '"');
        for (size_t i = 0; i < s.len;) {
                unsigned char c = (unsigned char)s.ptr[i];
                size_t m;

                if (c >= 0x80) {
                        m = rune_len(s.ptr + i, s.len - i);
                        bool ok = m > 1;
                        for (size_t j = 1; ok && j < m; j++)
                                ok = ((unsigned char)s.ptr[i + j] & 0xc0) == 0x80;
                        if (ok) {
                                sl_buf_append(out, s.ptr + i, m);
                                i += m;
                        } else {
                                sl_buf_printf(out, "\\x%c%c", hex[c >> 4], hex[c & 15]);
                                i++;
                        }
                        continue;
                }
                i++;
                switch (c) {
                case '"': sl_buf_append(out, "\\\"", 2); break;
                case '\\': sl_buf_append(out, "\\\\", 2); break;
                case '\a': sl_buf_append(out, "\\a", 2); break;
                case '\b': sl_buf_append(out, "\\b", 2); break;
                case '\f': sl_buf_append(out, "\\f", 2); break;
                case '\n': sl_buf_append(out, "\\n", 2); break;
                case '\r': sl_buf_append(out, "\\r", 2); break;
                case '\t': sl_buf_append(out, "\\t", 2); break;
                case '\v': sl_buf_append(out, "\\v", 2); break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                sl_buf_printf(out, "\\x%c%c", hex[c >> 4], hex[c & 15]);
                        else
                                sl_buf_putc(out, (char)c);
                }
        }
        sl_buf_putc(out, '"');
}

void sl_go_json_string(struct sl_str s, struct sl_buf *out) {
        static const char hex[] = "0123456789abcdef";

        sl_buf_putc(out, '"');
        for (size_t i = 0; i < s.len;) {
                unsigned char c = (unsigned char)s.ptr[i];
                if (c >= 0x80) {
                        size_t m = rune_len(s.ptr + i, s.len - i);
                        bool ok = m > 1;
                        for (size_t j = 1; ok && j < m; j++)
                                ok = ((unsigned char)s.ptr[i + j] & 0xc0) == 0x80;
                        if (!ok) {
                                sl_buf_append(out, "\\ufffd", 6);
                                i++;
                        } else if (m == 3 && c == 0xe2 && (unsigned char)s.ptr[i + 1] == 0x80 &&
                                   ((unsigned char)s.ptr[i + 2] == 0xa8 ||
                                    (unsigned char)s.ptr[i + 2] == 0xa9)) {
                                sl_buf_printf(out, "\\u202%c", s.ptr[i + 2] == (char)0xa8 ? '8' : '9');
                                i += 3;
                        } else {
                                sl_buf_append(out, s.ptr + i, m);
                                i += m;
                        }
                        continue;
                }
                i++;
                switch (c) {
                case '"': sl_buf_append(out, "\\\"", 2); break;
                case '\\': sl_buf_append(out, "\\\\", 2); break;
                case '\b': sl_buf_append(out, "\\b", 2); break;
                case '\f': sl_buf_append(out, "\\f", 2); break;
                case '\n': sl_buf_append(out, "\\n", 2); break;
                case '\r': sl_buf_append(out, "\\r", 2); break;
                case '\t': sl_buf_append(out, "\\t", 2); break;
                default:
                        if (c < 0x20 || c == '<' || c == '>' || c == '&')
                                sl_buf_printf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                        else
                                sl_buf_putc(out, (char)c);
                }
        }
        sl_buf_putc(out, '"');
}

static int f_regexReplaceAll(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return regex_replace(x, a, NULL, false, ret);
}

static int f_regexReplaceAllLiteral(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)n;
        return regex_replace(x, a, NULL, true, ret);
}

/* sprig's empty(): nil, no value, "", 0, false. */
static bool empty(const struct val *v) {
        return !truth(v);
}

static int f_default(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x;
        *ret = n < 2 || empty(&a[1]) ? a[0] : a[1];
        return 0;
}

static int f_contains(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str sub, s;

        (void)x, (void)n;
        if (want_str(&a[0], &sub) < 0 || want_str(&a[1], &s) < 0)
                return -EINVAL;
        *ret = vbool(sub.len == 0 || (s.len && memmem(s.ptr, s.len, sub.ptr, sub.len)));
        return 0;
}

static int f_hasPrefix(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str p, s;

        (void)x, (void)n;
        if (want_str(&a[0], &p) < 0 || want_str(&a[1], &s) < 0)
                return -EINVAL;
        *ret = vbool(s.len >= p.len && (p.len == 0 || memcmp(s.ptr, p.ptr, p.len) == 0));
        return 0;
}

static int f_hasSuffix(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str p, s;

        (void)x, (void)n;
        if (want_str(&a[0], &p) < 0 || want_str(&a[1], &s) < 0)
                return -EINVAL;
        *ret = vbool(s.len >= p.len && (p.len == 0 || memcmp(s.ptr + s.len - p.len, p.ptr, p.len) == 0));
        return 0;
}

static int f_trunc(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str s;
        int64_t c;

        (void)x, (void)n;
        if (want_int(&a[0], &c) < 0 || want_str(&a[1], &s) < 0)
                return -EINVAL;
        if (c < 0 && (int64_t)s.len + c > 0) {
                s.ptr += (int64_t)s.len + c;
                s.len = (size_t)-c;
        } else if (c >= 0 && (int64_t)s.len > c) {
                s.len = (size_t)c;
        }
        *ret = vstr(s);
        return 0;
}

static int f_substr(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int64_t start, end;
        struct sl_str s;

        (void)x, (void)n;
        if (want_int(&a[0], &start) < 0 || want_int(&a[1], &end) < 0 || want_str(&a[2], &s) < 0)
                return -EINVAL;
        /* sprig: s[:end] for a negative start, s[start:] for an end out
         * of range; Go panics (the execution fails) on other bad bounds. */
        if (start < 0) {
                start = 0;
        } else if (end < 0 || end > (int64_t)s.len) {
                end = (int64_t)s.len;
        }
        if (start > end || end > (int64_t)s.len)
                return -EINVAL;
        *ret = vstr(sl_str_from(s.ptr + start, (size_t)(end - start)));
        return 0;
}

/* sprig's strval: the text of any value. */
static void strval(const struct val *v, struct sl_buf *out) {
        print_val(v, out);
}

static int f_quote(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_buf b, tmp;
        bool first = true;

        sl_buf_init(&b, OUT_CAP);
        sl_buf_init(&tmp, OUT_CAP);
        for (size_t i = 0; i < n; i++) {
                if (a[i].k == V_NIL || a[i].k == V_MISSING)
                        continue;
                sl_buf_reset(&tmp);
                strval(&a[i], &tmp);
                if (!first)
                        sl_buf_putc(&b, ' ');
                first = false;
                go_quote(sl_buf_str(&tmp), &b);
        }
        *ret = buf_val(x, &b);
        sl_buf_release(&tmp);
        sl_buf_release(&b);
        return 0;
}

static int f_toJson(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_buf b;

        (void)n;
        sl_buf_init(&b, OUT_CAP);
        if (a[0].k == V_STR)
                sl_go_json_string(a[0].s, &b);
        else if (a[0].k == V_NIL || a[0].k == V_MISSING)
                sl_buf_append(&b, "null", 4);
        else
                print_val(&a[0], &b);
        *ret = buf_val(x, &b);
        sl_buf_release(&b);
        return 0;
}

/* cast.ToInt64, as sprig's add uses it: numbers, numeric strings, else 0. */
static int64_t to_int64(const struct val *v) {
        switch (v->k) {
        case V_INT: return v->i;
        case V_FLOAT: return (int64_t)v->f;
        case V_BOOL: return v->b;
        case V_STR: {
                char tmp[32];
                char *end;
                long long r;
                if (v->s.len == 0 || v->s.len >= sizeof(tmp))
                        return 0;
                memcpy(tmp, v->s.ptr, v->s.len);
                tmp[v->s.len] = '\0';
                r = strtoll(tmp, &end, 0);
                return *end ? 0 : r;
        }
        default: return 0;
        }
}

static int f_add(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int64_t sum = 0;

        (void)x;
        for (size_t i = 0; i < n; i++)
                sum += to_int64(&a[i]);
        *ret = (struct val){ .k = V_INT, .i = sum };
        return 0;
}

/* Go's comparison kinds. */
static int compare(const struct val *a, const struct val *b, int *ret) {
        if (a->k == V_MISSING || b->k == V_MISSING)
                return -EINVAL;
        if (a->k != b->k) {
                if ((a->k == V_INT || a->k == V_FLOAT) && (b->k == V_INT || b->k == V_FLOAT))
                        return -EINVAL; /* Go: incompatible types */
                return -EINVAL;
        }
        switch (a->k) {
        case V_STR: *ret = sl_str_cmp(a->s, b->s); return 0;
        case V_INT: *ret = (a->i > b->i) - (a->i < b->i); return 0;
        case V_FLOAT: *ret = (a->f > b->f) - (a->f < b->f); return 0;
        case V_BOOL: *ret = a->b != b->b; return 0;
        case V_NIL: *ret = 0; return 0;
        default: return -EINVAL;
        }
}

static int f_eq(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x;
        for (size_t i = 1; i < n; i++) {
                int c;
                if (a[0].k == V_MISSING || a[i].k == V_MISSING)
                        return -EINVAL;
                if (a[0].k != a[i].k) {
                        /* Different kinds: Go refuses when both are set. */
                        if (a[0].k != V_NIL && a[i].k != V_NIL)
                                return -EINVAL;
                        continue;
                }
                if (compare(&a[0], &a[i], &c) < 0)
                        return -EINVAL;
                if (c == 0) {
                        *ret = vbool(true);
                        return 0;
                }
        }
        *ret = vbool(false);
        return 0;
}

static int f_ne(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int r = f_eq(x, a, n, ret);
        ret->b = !ret->b;
        return r;
}

static int ordered(struct val *a, int *c) {
        if (a[0].k == V_BOOL || a[0].k == V_NIL)
                return -EINVAL; /* Go: invalid type for comparison */
        return compare(&a[0], &a[1], c);
}

static int f_lt(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int c;
        (void)x, (void)n;
        if (ordered(a, &c) < 0)
                return -EINVAL;
        *ret = vbool(c < 0);
        return 0;
}

static int f_le(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int c;
        (void)x, (void)n;
        if (ordered(a, &c) < 0)
                return -EINVAL;
        *ret = vbool(c <= 0);
        return 0;
}

static int f_gt(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int c;
        (void)x, (void)n;
        if (ordered(a, &c) < 0)
                return -EINVAL;
        *ret = vbool(c > 0);
        return 0;
}

static int f_ge(struct exec *x, struct val *a, size_t n, struct val *ret) {
        int c;
        (void)x, (void)n;
        if (ordered(a, &c) < 0)
                return -EINVAL;
        *ret = vbool(c >= 0);
        return 0;
}

static int f_not(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x, (void)n;
        if (a[0].k == V_MISSING)
                return -EINVAL;
        *ret = vbool(!truth(&a[0]));
        return 0;
}

static int f_len(struct exec *x, struct val *a, size_t n, struct val *ret) {
        (void)x, (void)n;
        if (a[0].k != V_STR)
                return -EINVAL;
        *ret = (struct val){ .k = V_INT, .i = (int64_t)a[0].s.len };
        return 0;
}

/* fmt.Sprint (@ln false: a space between operands when neither is a
 * string) or fmt.Sprintln (always, and a final newline). */
static int sprint(struct exec *x, struct val *a, size_t n, struct val *ret, bool ln) {
        struct sl_buf b;

        sl_buf_init(&b, OUT_CAP);
        for (size_t i = 0; i < n; i++) {
                if (i && (ln || (a[i - 1].k != V_STR && a[i].k != V_STR)))
                        sl_buf_putc(&b, ' ');
                print_val(&a[i], &b);
        }
        if (ln)
                sl_buf_putc(&b, '\n');
        *ret = buf_val(x, &b);
        sl_buf_release(&b);
        return 0;
}

static int f_print(struct exec *x, struct val *a, size_t n, struct val *ret) {
        return sprint(x, a, n, ret, false);
}

static int f_println(struct exec *x, struct val *a, size_t n, struct val *ret) {
        return sprint(x, a, n, ret, true);
}

/* fmt.Sprintf for %s %d %v %q %%. */
static int f_printf(struct exec *x, struct val *a, size_t n, struct val *ret) {
        struct sl_str f;
        struct sl_buf b, tmp;
        size_t arg = 1;

        if (want_str(&a[0], &f) < 0)
                return -EINVAL;
        sl_buf_init(&b, OUT_CAP);
        sl_buf_init(&tmp, OUT_CAP);
        for (size_t i = 0; i < f.len; i++) {
                char c = f.ptr[i];
                if (c != '%' || i + 1 == f.len) {
                        sl_buf_putc(&b, c);
                        continue;
                }
                c = f.ptr[++i];
                if (c == '%') {
                        sl_buf_putc(&b, '%');
                        continue;
                }
                if (arg >= n) {
                        sl_buf_printf(&b, "%%!%c(MISSING)", c);
                        continue;
                }
                if (c == 'q') {
                        sl_buf_reset(&tmp);
                        print_val(&a[arg++], &tmp);
                        go_quote(sl_buf_str(&tmp), &b);
                } else {
                        print_val(&a[arg++], &b);
                }
        }
        *ret = buf_val(x, &b);
        sl_buf_release(&tmp);
        sl_buf_release(&b);
        return 0;
}

enum { F_AND = 0, F_OR = 1 };

static const struct func funcs[] = {
        [F_AND] = { "and", 1, -1, NULL, -1 },
        [F_OR] = { "or", 1, -1, NULL, -1 },
        { "not", 1, 1, f_not, -1 },
        { "eq", 1, -1, f_eq, -1 },
        { "ne", 2, 2, f_ne, -1 },
        { "lt", 2, 2, f_lt, -1 },
        { "le", 2, 2, f_le, -1 },
        { "gt", 2, 2, f_gt, -1 },
        { "ge", 2, 2, f_ge, -1 },
        { "len", 1, 1, f_len, -1 },
        { "print", 0, -1, f_print, -1 },
        { "printf", 1, -1, f_printf, -1 },
        { "println", 0, -1, f_println, -1 },
        { "ToLower", 1, 1, f_lower, -1 },
        { "ToUpper", 1, 1, f_upper, -1 },
        { "Replace", 4, 4, f_Replace, -1 },
        { "Trim", 2, 2, f_Trim, -1 },
        { "TrimLeft", 2, 2, f_TrimLeft, -1 },
        { "TrimRight", 2, 2, f_TrimRight, -1 },
        { "TrimPrefix", 2, 2, f_TrimPrefix, -1 },
        { "TrimSuffix", 2, 2, f_TrimSuffix, -1 },
        { "TrimSpace", 1, 1, f_TrimSpace, -1 },
        { "Hash", 2, 2, f_Hash, -1 },
        { "Sha2Hash", 2, 2, f_Sha2Hash, -1 },
        { "regexReplaceAll", 3, 3, f_regexReplaceAll, 0 },
        { "regexReplaceAllLiteral", 3, 3, f_regexReplaceAllLiteral, 0 },
        { "default", 1, -1, f_default, -1 },
        { "contains", 2, 2, f_contains, -1 },
        { "hasPrefix", 2, 2, f_hasPrefix, -1 },
        { "hasSuffix", 2, 2, f_hasSuffix, -1 },
        { "trunc", 2, 2, f_trunc, -1 },
        { "substr", 3, 3, f_substr, -1 },
        { "lower", 1, 1, f_lower, -1 },
        { "upper", 1, 1, f_upper, -1 },
        { "replace", 3, 3, f_replace, -1 },
        { "quote", 0, -1, f_quote, -1 },
        { "toJson", 1, 1, f_toJson, -1 },
        { "add", 0, -1, f_add, -1 },
};

/* ---- parsing ------------------------------------------------------------ */

struct parser {
        const char *src;   /* the whole template */
        const char *p;     /* current position */
        const char *end;   /* end of the current action (at its "}}" or " -}}") */
        const char *after; /* what follows the current action's "}}" */
        bool trim_after;   /* the action ended with -}}: skip the spaces after it */
        char *msg;
        size_t msg_size;
        bool failed;
};

static void __attribute__((format(printf, 2, 3))) perr(struct parser *ps, const char *fmt, ...) {
        unsigned line = 1;
        va_list ap;
        size_t n;

        if (ps->failed)
                return;
        ps->failed = true;
        for (const char *q = ps->src; q < ps->p; q++)
                line += *q == '\n';
        n = (size_t)snprintf(ps->msg, ps->msg_size, "template: %u: ", line);
        if (n >= ps->msg_size)
                return;
        va_start(ap, fmt);
        vsnprintf(ps->msg + n, ps->msg_size - n, fmt, ap);
        va_end(ap);
}

static void pipe_free(struct pipe *pp);

static void arg_release(struct arg *a) {
        for (size_t i = 0; i < a->n_fields; i++)
                free((char *)a->fields[i].ptr);
        free(a->fields);
        free((char *)a->str.ptr);
        pipe_free(a->pipe);
        sl_go_regex_free(a->re);
}

static void pipe_free(struct pipe *pp) {
        if (!pp)
                return;
        for (size_t i = 0; i < pp->n; i++) {
                for (size_t j = 0; j < pp->cmds[i].n; j++)
                        arg_release(&pp->cmds[i].args[j]);
                free(pp->cmds[i].args);
        }
        free(pp->cmds);
        free(pp);
}

static void list_release(struct list *l) {
        for (size_t i = 0; i < l->n; i++) {
                struct node *nd = &l->nodes[i];
                free((char *)nd->text.ptr);
                pipe_free(nd->pipe);
                list_release(&nd->body);
                list_release(&nd->els);
        }
        free(l->nodes);
        l->nodes = NULL;
        l->n = l->cap = 0;
}

static struct node *list_add(struct list *l, enum node_kind kind) {
        sl_xgrow((void **)&l->nodes, sizeof(*l->nodes), &l->cap, l->n + 1);
        memset(&l->nodes[l->n], 0, sizeof(l->nodes[0]));
        l->nodes[l->n].kind = kind;
        return &l->nodes[l->n++];
}

static bool space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct parser *ps) {
        while (ps->p < ps->end && space(*ps->p))
                ps->p++;
}

static bool ident_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               (unsigned char)c >= 0x80;
}

/* Reads a word [A-Za-z0-9_]+ at ps->p. */
static struct sl_str word(struct parser *ps) {
        const char *s = ps->p;
        while (ps->p < ps->end && ident_char(*ps->p))
                ps->p++;
        return sl_str_from(s, (size_t)(ps->p - s));
}

static int find_func(struct sl_str name) {
        for (size_t i = 0; i < SL_ARRAY_SIZE(funcs); i++)
                if (sl_str_eq_c(name, funcs[i].name))
                        return (int)i;
        return -1;
}

/* Reads .a.b.c into @a's fields (ps->p at the first '.'). */
static void fields(struct parser *ps, struct arg *a) {
        size_t cap = 0;

        while (ps->p < ps->end && *ps->p == '.' && ps->p + 1 < ps->end && ident_char(ps->p[1])) {
                struct sl_str w;
                ps->p++;
                w = word(ps);
                sl_xgrow((void **)&a->fields, sizeof(*a->fields), &cap, a->n_fields + 1);
                a->fields[a->n_fields++] = sl_str_from(sl_xstrndup(w.ptr, w.len), w.len);
        }
}

/* Decodes a Go quoted string at ps->p ('"'). */
static bool quoted(struct parser *ps, struct arg *a) {
        struct sl_buf b;
        const char *q = ps->p + 1;

        sl_buf_init(&b, OUT_CAP);
        while (q < ps->end && *q != '"') {
                char c = *q++;
                if (c == '\n') {
                        break;
                }
                if (c != '\\') {
                        sl_buf_putc(&b, c);
                        continue;
                }
                if (q >= ps->end)
                        break;
                c = *q++;
                switch (c) {
                case 'n': sl_buf_putc(&b, '\n'); break;
                case 't': sl_buf_putc(&b, '\t'); break;
                case 'r': sl_buf_putc(&b, '\r'); break;
                case 'a': sl_buf_putc(&b, '\a'); break;
                case 'b': sl_buf_putc(&b, '\b'); break;
                case 'f': sl_buf_putc(&b, '\f'); break;
                case 'v': sl_buf_putc(&b, '\v'); break;
                case '\\': sl_buf_putc(&b, '\\'); break;
                case '"': sl_buf_putc(&b, '"'); break;
                case '\'': sl_buf_putc(&b, '\''); break;
                case 'x': {
                        unsigned v;
                        if (ps->end - q < 2 || sscanf(q, "%2x", &v) != 1)
                                goto bad;
                        sl_buf_putc(&b, (char)v);
                        q += 2;
                        break;
                }
                case 'u':
                case 'U': {
                        int digits = c == 'u' ? 4 : 8;
                        unsigned long v = 0;
                        char out[4];
                        int n;
                        if (ps->end - q < digits)
                                goto bad;
                        for (int i = 0; i < digits; i++) {
                                char h = *q++;
                                int d = h >= '0' && h <= '9' ? h - '0'
                                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                                if (d < 0)
                                        goto bad;
                                v = v * 16 + (unsigned long)d;
                        }
                        if (v >= 0xd800 && v < 0xe000)
                                v = 0xfffd;
                        if (v < 0x80) {
                                out[0] = (char)v;
                                n = 1;
                        } else if (v < 0x800) {
                                out[0] = (char)(0xc0 | (v >> 6));
                                out[1] = (char)(0x80 | (v & 0x3f));
                                n = 2;
                        } else if (v < 0x10000) {
                                out[0] = (char)(0xe0 | (v >> 12));
                                out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
                                out[2] = (char)(0x80 | (v & 0x3f));
                                n = 3;
                        } else {
                                if (v > 0x10ffff)
                                        goto bad;
                                out[0] = (char)(0xf0 | (v >> 18));
                                out[1] = (char)(0x80 | ((v >> 12) & 0x3f));
                                out[2] = (char)(0x80 | ((v >> 6) & 0x3f));
                                out[3] = (char)(0x80 | (v & 0x3f));
                                n = 4;
                        }
                        sl_buf_append(&b, out, (size_t)n);
                        break;
                }
                default:
                        if (c >= '0' && c <= '7' && ps->end - q >= 2) {
                                sl_buf_putc(&b, (char)((c - '0') * 64 + (q[0] - '0') * 8 + (q[1] - '0')));
                                q += 2;
                                break;
                        }
                        goto bad;
                }
        }
        if (q >= ps->end || *q != '"') {
                ps->p = q;
                perr(ps, "unterminated quoted string");
                sl_buf_release(&b);
                return false;
        }
        ps->p = q + 1;
        a->kind = A_STRING;
        a->str = sl_str_from(sl_xstrndup(b.data ? b.data : "", b.len), b.len);
        sl_buf_release(&b);
        return true;
bad:
        ps->p = q;
        perr(ps, "invalid syntax in quoted string");
        sl_buf_release(&b);
        return false;
}

static struct pipe *parse_pipe(struct parser *ps, bool in_parens);

/* One operand or function name. Returns false at the end of the command. */
static bool operand(struct parser *ps, struct arg *a, bool first) {
        char c;

        memset(a, 0, sizeof(*a));
        skip_space(ps);
        if (ps->p >= ps->end)
                return false;
        c = *ps->p;
        if (c == '|' || c == ')')
                return false;
        if (c == '.') {
                if (ps->p + 1 >= ps->end || !ident_char(ps->p[1])) {
                        ps->p++;
                        a->kind = A_DOT;
                        return true;
                }
                a->kind = A_FIELD;
                fields(ps, a);
                return true;
        }
        if (c == '$') {
                ps->p++;
                if (ps->p < ps->end && ident_char(*ps->p)) {
                        perr(ps, "variables are not supported (only $, the data)");
                        return false;
                }
                a->kind = A_ROOT;
                fields(ps, a);
                return true;
        }
        if (c == '"')
                return quoted(ps, a);
        if (c == '`') {
                const char *close = memchr(ps->p + 1, '`', (size_t)(ps->end - ps->p - 1));
                if (!close) {
                        perr(ps, "unterminated raw quoted string");
                        return false;
                }
                a->kind = A_STRING;
                a->str = sl_str_from(sl_xstrndup(ps->p + 1, (size_t)(close - ps->p - 1)),
                                     (size_t)(close - ps->p - 1));
                ps->p = close + 1;
                return true;
        }
        if (c == '(') {
                ps->p++;
                a->kind = A_PIPE;
                a->pipe = parse_pipe(ps, true);
                if (!a->pipe)
                        return false;
                fields(ps, a); /* (pipeline).field is not supported: refused below */
                if (a->n_fields) {
                        perr(ps, "fields of a parenthesized pipeline are not supported");
                        return false;
                }
                return true;
        }
        if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
                char tmp[64];
                const char *s = ps->p;
                char *end;
                size_t n;

                ps->p++;
                while (ps->p < ps->end && (ident_char(*ps->p) || *ps->p == '.' ||
                                           ((*ps->p == '-' || *ps->p == '+') &&
                                            (ps->p[-1] == 'e' || ps->p[-1] == 'E'))))
                        ps->p++;
                n = (size_t)(ps->p - s);
                if (n >= sizeof(tmp)) {
                        perr(ps, "bad number syntax");
                        return false;
                }
                memcpy(tmp, s, n);
                tmp[n] = '\0';
                errno = 0;
                a->i = strtoll(tmp, &end, 0);
                if (*end == '\0' && errno == 0) {
                        a->kind = A_INT;
                        return true;
                }
                a->f = strtod(tmp, &end);
                if (*end == '\0' && n > 0) {
                        a->kind = A_FLOAT;
                        if (a->f == (double)(int64_t)a->f && fabs(a->f) < 9e18) {
                                a->kind = A_INT; /* 1e3 is an int constant too */
                                a->i = (int64_t)a->f;
                        }
                        return true;
                }
                perr(ps, "bad number syntax: %s", tmp);
                return false;
        }
        if (ident_char(c)) {
                struct sl_str w = word(ps);
                if (sl_str_eq_c(w, "true") || sl_str_eq_c(w, "false")) {
                        a->kind = A_BOOL;
                        a->b = w.len == 4;
                        return true;
                }
                if (sl_str_eq_c(w, "nil")) {
                        a->kind = A_NIL;
                        return true;
                }
                a->func = find_func(w);
                if (a->func < 0) {
                        perr(ps, "function \"%.*s\" not defined", (int)w.len, w.ptr);
                        return false;
                }
                a->kind = A_FUNC;
                (void)first;
                return true;
        }
        perr(ps, "unexpected \"%c\" in command", c);
        return false;
}

static struct pipe *parse_pipe(struct parser *ps, bool in_parens) {
        struct pipe *pp = sl_xnew(struct pipe);
        size_t cap_cmds = 0;

        for (;;) {
                struct cmd *cmd;
                size_t cap_args = 0;
                struct arg a;

                sl_xgrow((void **)&pp->cmds, sizeof(*pp->cmds), &cap_cmds, pp->n + 1);
                cmd = &pp->cmds[pp->n++];
                memset(cmd, 0, sizeof(*cmd));
                while (operand(ps, &a, cmd->n == 0)) {
                        if (cmd->n == MAX_ARGS) {
                                arg_release(&a);
                                perr(ps, "too many arguments");
                                break;
                        }
                        if (a.kind == A_FUNC && cmd->n > 0) {
                                /* A function used as a value: Go calls it
                                 * with no arguments; not supported here. */
                                perr(ps, "function \"%s\" used as an argument: wrap it in ( )",
                                     funcs[a.func].name);
                                arg_release(&a);
                                break;
                        }
                        sl_xgrow((void **)&cmd->args, sizeof(*cmd->args), &cap_args, cmd->n + 1);
                        cmd->args[cmd->n++] = a;
                }
                if (ps->failed)
                        goto fail;
                if (cmd->n == 0) {
                        perr(ps, "missing value for command");
                        goto fail;
                }
                skip_space(ps);
                if (ps->p < ps->end && *ps->p == '|') {
                        ps->p++;
                        continue;
                }
                break;
        }
        if (in_parens) {
                if (ps->p >= ps->end || *ps->p != ')') {
                        perr(ps, "unclosed left paren");
                        goto fail;
                }
                ps->p++;
        } else if (ps->p < ps->end) {
                perr(ps, "unexpected \"%c\" in operand", *ps->p);
                goto fail;
        }
        /* Check argument counts, and compile constant regexes once. */
        for (size_t i = 0; i < pp->n; i++) {
                struct cmd *cmd = &pp->cmds[i];
                const struct func *f;
                size_t n;

                if (cmd->args[0].kind != A_FUNC) {
                        if (cmd->n > 1) {
                                perr(ps, "can't give argument to non-function");
                                goto fail;
                        }
                        if (i > 0) {
                                perr(ps, "can't give argument to non-function");
                                goto fail;
                        }
                        continue;
                }
                f = &funcs[cmd->args[0].func];
                n = cmd->n - 1 + (i > 0);
                if ((int)n < f->min || (f->max >= 0 && (int)n > f->max)) {
                        perr(ps, "wrong number of args for %s: want %d got %zu", f->name, f->min, n);
                        goto fail;
                }
                if (f->regex_arg >= 0 && (size_t)f->regex_arg + 1 < cmd->n &&
                    cmd->args[f->regex_arg + 1].kind == A_STRING) {
                        struct arg *ra = &cmd->args[f->regex_arg + 1];
                        char m[256];
                        /* Go compiles at execution and fails there; so does
                         * this for a pattern Go refuses. */
                        if (sl_go_regex_new(ra->str.ptr, &ra->re, m, sizeof(m)) < 0)
                                ra->re = NULL;
                }
        }
        return pp;
fail:
        pipe_free(pp);
        return NULL;
}

/* Finds the end of the action starting after "{{" at @p: the position of
 * "}}" (or of " -}}"), outside quotes. Sets *@trim_right. */
static const char *action_end(const char *p, bool *trim_right) {
        char quote = 0;

        for (; *p; p++) {
                if (quote) {
                        if (*p == '\\' && quote == '"' && p[1])
                                p++;
                        else if (*p == quote)
                                quote = 0;
                        continue;
                }
                if (*p == '"' || *p == '`' || *p == '\'') {
                        quote = *p;
                        continue;
                }
                if (p[0] == '}' && p[1] == '}') {
                        *trim_right = false;
                        return p;
                }
                if (space(p[0]) && p[1] == '-' && p[2] == '}' && p[3] == '}') {
                        *trim_right = true;
                        return p;
                }
        }
        return NULL;
}

enum stop { STOP_EOF, STOP_END, STOP_ELSE, STOP_ELSE_IF, STOP_ERROR };

/* Moves past the current action's closing "}}" (and the spaces after a
 * "-}}"). */
static void finish_action(struct parser *ps) {
        ps->p = ps->after;
        if (ps->trim_after)
                while (*ps->p && space(*ps->p))
                        ps->p++;
}

static enum stop parse_list(struct parser *ps, struct list *l);

/* After "if"/"with": the condition, the body, and an else branch. */
static enum stop parse_branch(struct parser *ps, struct list *l, enum node_kind kind) {
        struct node *nd;
        struct pipe *cond;
        enum stop stop;

        cond = parse_pipe(ps, false);
        if (!cond)
                return STOP_ERROR;
        nd = list_add(l, kind);
        nd->pipe = cond;
        finish_action(ps);
        stop = parse_list(ps, &nd->body);
        if (stop == STOP_ELSE) {
                stop = parse_list(ps, &nd->els);
        } else if (stop == STOP_ELSE_IF) {
                /* {{else if c}} is {{else}}{{if c}}...{{end}}: one end. */
                stop = parse_branch(ps, &nd->els, N_IF);
                if (stop == STOP_ERROR)
                        return stop;
                return STOP_END;
        }
        if (stop == STOP_EOF) {
                perr(ps, "unexpected EOF: missing {{end}}");
                return STOP_ERROR;
        }
        if (stop != STOP_END)
                return STOP_ERROR;
        return STOP_END;
}

static enum stop parse_list(struct parser *ps, struct list *l) {
        for (;;) {
                const char *open = strstr(ps->p, "{{"), *text_end, *inner, *close;
                bool trim_left, trim_right = false;
                struct sl_str kw;

                if (!open) {
                        size_t n = strlen(ps->p);
                        if (n) {
                                struct node *nd = list_add(l, N_TEXT);
                                nd->text = sl_str_from(sl_xstrndup(ps->p, n), n);
                        }
                        ps->p += n;
                        return STOP_EOF;
                }
                trim_left = open[2] == '-' && space(open[3]);
                text_end = open;
                if (trim_left)
                        while (text_end > ps->p && space(text_end[-1]))
                                text_end--;
                if (text_end > ps->p) {
                        struct node *nd = list_add(l, N_TEXT);
                        size_t n = (size_t)(text_end - ps->p);
                        nd->text = sl_str_from(sl_xstrndup(ps->p, n), n);
                }
                inner = open + 2 + (trim_left ? 2 : 0);
                ps->p = inner;
                close = action_end(inner, &trim_right);
                if (!close) {
                        perr(ps, "unclosed action");
                        return STOP_ERROR;
                }
                ps->end = close;
                ps->after = close + (trim_right ? 4 : 2);
                ps->trim_after = trim_right;
                skip_space(ps);
                if (ps->p + 1 < ps->end && ps->p[0] == '/' && ps->p[1] == '*') {
                        if (ps->end - ps->p < 4 || memcmp(ps->end - 2, "*/", 2) != 0) {
                                perr(ps, "unclosed comment");
                                return STOP_ERROR;
                        }
                        kw = SL_STR_NULL;
                } else {
                        const char *save = ps->p;
                        kw = word(ps);
                        if (!(sl_str_eq_c(kw, "if") || sl_str_eq_c(kw, "else") ||
                              sl_str_eq_c(kw, "end") || sl_str_eq_c(kw, "with") ||
                              sl_str_eq_c(kw, "range") || sl_str_eq_c(kw, "define") ||
                              sl_str_eq_c(kw, "template") || sl_str_eq_c(kw, "block") ||
                              sl_str_eq_c(kw, "break") || sl_str_eq_c(kw, "continue"))) {
                                ps->p = save;
                                kw = SL_STR_LIT("");
                        }
                }
                if (!kw.ptr) { /* a comment */
                        finish_action(ps);
                } else if (kw.len == 0) {
                        struct pipe *pp = parse_pipe(ps, false);
                        struct node *nd;
                        if (!pp)
                                return STOP_ERROR;
                        nd = list_add(l, N_ACTION);
                        nd->pipe = pp;
                        finish_action(ps);
                } else if (sl_str_eq_c(kw, "if") || sl_str_eq_c(kw, "with")) {
                        if (parse_branch(ps, l, sl_str_eq_c(kw, "if") ? N_IF : N_WITH) == STOP_ERROR)
                                return STOP_ERROR;
                } else if (sl_str_eq_c(kw, "end")) {
                        skip_space(ps);
                        if (ps->p != ps->end) {
                                perr(ps, "unexpected content after end");
                                return STOP_ERROR;
                        }
                        finish_action(ps);
                        return STOP_END;
                } else if (sl_str_eq_c(kw, "else")) {
                        skip_space(ps);
                        if (ps->p == ps->end) {
                                finish_action(ps);
                                return STOP_ELSE;
                        }
                        kw = word(ps);
                        if (!sl_str_eq_c(kw, "if")) {
                                perr(ps, "only \"else\" and \"else if\" are supported");
                                return STOP_ERROR;
                        }
                        return STOP_ELSE_IF;
                } else {
                        perr(ps, "{{%.*s}} is not supported (if, else, with and end are)", (int)kw.len,
                             kw.ptr);
                        return STOP_ERROR;
                }
        }
}

int sl_go_template_new(const char *text, struct sl_go_template **ret, char *msg, size_t msg_size) {
        _cleanup_(sl_go_template_freep) struct sl_go_template *t = sl_xnew(struct sl_go_template);
        struct parser ps = { .src = text, .p = text, .msg = msg, .msg_size = msg_size };
        enum stop stop;

        sl_buf_init(&t->out, OUT_CAP);
        stop = parse_list(&ps, &t->root);
        if (ps.failed)
                return -EINVAL;
        if (stop == STOP_END) {
                perr(&ps, "unexpected {{end}}");
                return -EINVAL;
        }
        if (stop == STOP_ELSE || stop == STOP_ELSE_IF) {
                perr(&ps, "unexpected {{else}}");
                return -EINVAL;
        }
        t->constant = t->root.n == 0 || (t->root.n == 1 && t->root.nodes[0].kind == N_TEXT);
        *ret = TAKE_PTR(t);
        return 0;
}

void sl_go_template_free(struct sl_go_template *t) {
        if (!t)
                return;
        list_release(&t->root);
        sl_buf_release(&t->out);
        free(t);
}

bool sl_go_template_is_constant(const struct sl_go_template *t) {
        return t->constant;
}

/* ---- execution ---------------------------------------------------------- */

static int eval_pipe(struct exec *x, const struct pipe *pp, struct val *ret);

/* The fields @f of the value @v. */
static int walk_fields(struct exec *x, struct val v, const struct sl_str *f, size_t n,
                       struct val *ret) {
        for (size_t i = 0; i < n; i++) {
                struct sl_str s;
                if (v.k != V_DATA)
                        return -EINVAL; /* Go: can't evaluate field in type string */
                if (x->lookup(x->ud, f[i], &s))
                        v = vstr(s);
                else
                        v = (struct val){ .k = V_MISSING };
        }
        *ret = v;
        return 0;
}

static int eval_arg(struct exec *x, const struct arg *a, struct val *ret) {
        switch (a->kind) {
        case A_FIELD: return walk_fields(x, x->dot, a->fields, a->n_fields, ret);
        case A_DOT: *ret = x->dot; return 0;
        case A_ROOT: return walk_fields(x, (struct val){ .k = V_DATA }, a->fields, a->n_fields, ret);
        case A_STRING: *ret = vstr(a->str); return 0;
        case A_INT: *ret = (struct val){ .k = V_INT, .i = a->i }; return 0;
        case A_FLOAT: *ret = (struct val){ .k = V_FLOAT, .f = a->f }; return 0;
        case A_BOOL: *ret = vbool(a->b); return 0;
        case A_NIL: *ret = (struct val){ .k = V_NIL }; return 0;
        case A_PIPE: return eval_pipe(x, a->pipe, ret);
        case A_FUNC: return -EINVAL;
        }
        return -EINVAL;
}

/* Parameters typed interface{} in Go take a missing value as nil; the
 * others (string, int, reflect.Value) refuse it. */
static bool takes_any(const struct func *f) {
        return f->fn == f_default || f->fn == f_quote || f->fn == f_toJson || f->fn == f_add ||
               f->fn == f_print || f->fn == f_println || (f->fn == f_printf);
}

static int eval_cmd(struct exec *x, const struct cmd *cmd, const struct val *piped, struct val *ret) {
        const struct func *f;
        struct val args[MAX_ARGS + 1];
        size_t n = 0;
        int r;

        if (cmd->args[0].kind != A_FUNC)
                return eval_arg(x, &cmd->args[0], ret);
        f = &funcs[cmd->args[0].func];
        if (!f->fn) { /* and / or: the first falsy (and) or truthy (or) operand */
                for (size_t i = 1; i <= cmd->n - 1 + (piped != NULL); i++) {
                        struct val v;
                        if (i < cmd->n) {
                                r = eval_arg(x, &cmd->args[i], &v);
                                if (r < 0)
                                        return r;
                        } else {
                                v = *piped;
                        }
                        if (v.k == V_MISSING)
                                return -EINVAL;
                        *ret = v;
                        if (truth(&v) == (cmd->args[0].func == F_OR))
                                return 0;
                }
                return 0;
        }
        for (size_t i = 1; i < cmd->n; i++) {
                r = eval_arg(x, &cmd->args[i], &args[n]);
                if (r < 0)
                        return r;
                n++;
        }
        if (piped)
                args[n++] = *piped;
        for (size_t i = 0; i < n; i++)
                if (args[i].k == V_MISSING) {
                        if (!takes_any(f))
                                return -EINVAL; /* Go: invalid value; expected string */
                        args[i].k = V_NIL;
                }
        if (f->regex_arg >= 0 && cmd->args[f->regex_arg + 1].re)
                return regex_replace(x, args, cmd->args[f->regex_arg + 1].re,
                                     f->fn == f_regexReplaceAllLiteral, ret);
        return f->fn(x, args, n, ret);
}

static int eval_pipe(struct exec *x, const struct pipe *pp, struct val *ret) {
        struct val v = { .k = V_MISSING };
        int r;

        for (size_t i = 0; i < pp->n; i++) {
                r = eval_cmd(x, &pp->cmds[i], i ? &v : NULL, &v);
                if (r < 0)
                        return r;
        }
        *ret = v;
        return 0;
}

static int exec_list(struct exec *x, const struct list *l) {
        for (size_t i = 0; i < l->n; i++) {
                const struct node *nd = &l->nodes[i];
                struct val v, saved;
                int r;

                switch (nd->kind) {
                case N_TEXT:
                        r = sl_buf_append_str(&x->t->out, nd->text);
                        break;
                case N_ACTION:
                        r = eval_pipe(x, nd->pipe, &v);
                        if (r == 0 && v.k == V_DATA)
                                r = -EINVAL;
                        if (r == 0)
                                r = print_val(&v, &x->t->out);
                        break;
                case N_IF:
                case N_WITH:
                        r = eval_pipe(x, nd->pipe, &v);
                        if (r < 0)
                                break;
                        if (!truth(&v)) {
                                r = exec_list(x, &nd->els);
                                break;
                        }
                        saved = x->dot;
                        if (nd->kind == N_WITH)
                                x->dot = v;
                        r = exec_list(x, &nd->body);
                        x->dot = saved;
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int sl_go_template_exec(struct sl_go_template *t, sl_go_template_lookup_fn lookup, void *ud,
                        struct sl_arena *arena, struct sl_str *ret) {
        struct exec x = { .t = t, .lookup = lookup, .ud = ud, .arena = arena, .dot = { .k = V_DATA } };
        int r;

        sl_buf_reset(&t->out);
        r = exec_list(&x, &t->root);
        if (r < 0)
                return r;
        *ret = sl_buf_str(&t->out);
        if (!ret->ptr)
                *ret = SL_STR_LIT("");
        return 0;
}
