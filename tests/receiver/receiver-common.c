/* receiver-common.c - allocation helpers and Loki label text for the test
 * receiver and the push client. See receiver-common.h. */
#include "receiver-common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *sl_rcv_xmalloc(size_t size) {
        void *p = malloc(size ? size : 1);

        if (!p)
                abort();
        return p;
}

void *sl_rcv_xrealloc(void *ptr, size_t size) {
        void *p = realloc(ptr, size ? size : 1);

        if (!p)
                abort();
        return p;
}

char *sl_rcv_xmemdup(const char *s, size_t len) {
        char *p = sl_rcv_xmalloc(len + 1);

        if (len)
                memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

bool sl_rcv_label_name_valid(const char *name, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                bool digit = c >= '0' && c <= '9';

                if (!alpha && !(digit && i > 0))
                        return false;
        }
        return true;
}

void sl_rcv_labels_add(struct sl_rcv_labels *set, const char *name, size_t name_len,
                       const char *value, size_t value_len) {
        if (set->n == set->cap) {
                set->cap = set->cap ? set->cap * 2 : 8;
                set->v = sl_rcv_xrealloc(set->v, set->cap * sizeof(*set->v));
        }
        set->v[set->n++] = (struct sl_rcv_label) {
                .name = sl_rcv_xmemdup(name, name_len),
                .name_len = name_len,
                .value = sl_rcv_xmemdup(value, value_len),
                .value_len = value_len,
        };
}

const struct sl_rcv_label *sl_rcv_labels_find(const struct sl_rcv_labels *set,
                                              const char *name, size_t name_len) {
        for (size_t i = 0; i < set->n; i++)
                if (set->v[i].name_len == name_len && memcmp(set->v[i].name, name, name_len) == 0)
                        return &set->v[i];
        return NULL;
}

void sl_rcv_labels_release(struct sl_rcv_labels *set) {
        if (!set)
                return;
        for (size_t i = 0; i < set->n; i++) {
                free(set->v[i].name);
                free(set->v[i].value);
        }
        free(set->v);
        *set = (struct sl_rcv_labels) {0};
}

/* A growing byte string local to this file (values and renderings). */
struct sl_rcv_text {
        char *p;        /* owned, NUL-terminated when non-NULL */
        size_t len;     /* bytes used */
        size_t cap;     /* bytes allocated */
};

static void text_add(struct sl_rcv_text *t, const void *data, size_t len) {
        if (t->len + len + 1 > t->cap) {
                t->cap = (t->len + len + 1) * 2;
                t->p = sl_rcv_xrealloc(t->p, t->cap);
        }
        memcpy(t->p + t->len, data, len);
        t->len += len;
        t->p[t->len] = '\0';
}

static void text_addc(struct sl_rcv_text *t, char c) {
        text_add(t, &c, 1);
}

/* Appends code point @cp encoded as UTF-8. */
static void text_add_utf8(struct sl_rcv_text *t, uint32_t cp) {
        char b[4];
        size_t n;

        if (cp < 0x80) {
                b[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (char) (0xc0 | (cp >> 6));
                b[1] = (char) (0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (char) (0xe0 | (cp >> 12));
                b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[2] = (char) (0x80 | (cp & 0x3f));
                n = 3;
        } else {
                b[0] = (char) (0xf0 | (cp >> 18));
                b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[3] = (char) (0x80 | (cp & 0x3f));
                n = 4;
        }
        text_add(t, b, n);
}

/* Parsing state: the text, the read position, and where errors go. */
struct sl_rcv_parser {
        const char *s;          /* borrowed label text */
        size_t len;             /* bytes in s */
        size_t pos;             /* next byte to read */
        char *err;              /* borrowed error buffer */
        size_t errlen;          /* bytes in err */
};

__attribute__((format(printf, 2, 3)))
static int parse_fail(struct sl_rcv_parser *p, const char *fmt, ...) {
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (p->errlen)
                snprintf(p->err, p->errlen, "%s at offset %zu", msg, p->pos);
        return -EINVAL;
}

static void skip_space(struct sl_rcv_parser *p) {
        while (p->pos < p->len) {
                char c = p->s[p->pos];

                if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                        return;
                p->pos++;
        }
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Reads @n hex digits at the read position into @ret. */
static int read_hex(struct sl_rcv_parser *p, size_t n, uint32_t *ret) {
        uint32_t v = 0;

        if (p->len - p->pos < n)
                return parse_fail(p, "truncated escape");
        for (size_t i = 0; i < n; i++) {
                int h = hex_value(p->s[p->pos + i]);

                if (h < 0)
                        return parse_fail(p, "invalid hex digit in escape");
                v = v * 16 + (uint32_t) h;
        }
        p->pos += n;
        *ret = v;
        return 0;
}

/* Reads one escape after the backslash, as Go's strconv.Unquote does for a
 * double-quoted literal, appending the bytes it stands for to @out. */
static int read_escape(struct sl_rcv_parser *p, struct sl_rcv_text *out) {
        static const char simple_in[] = "abfnrtv\\\"";
        static const char simple_out[] = "\a\b\f\n\r\t\v\\\"";
        const char *hit;
        uint32_t v;
        char c;
        int r;

        if (p->pos >= p->len)
                return parse_fail(p, "unterminated escape");
        c = p->s[p->pos];
        hit = c ? strchr(simple_in, c) : NULL;
        if (hit) {
                p->pos++;
                text_addc(out, simple_out[hit - simple_in]);
                return 0;
        }
        switch (c) {
        case 'x':
                p->pos++;
                r = read_hex(p, 2, &v);
                if (r < 0)
                        return r;
                text_addc(out, (char) v);
                return 0;
        case 'u':
        case 'U':
                p->pos++;
                r = read_hex(p, c == 'u' ? 4 : 8, &v);
                if (r < 0)
                        return r;
                if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                        return parse_fail(p, "escape \\%c is not a valid code point", c);
                text_add_utf8(out, v);
                return 0;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
                v = 0;
                for (int i = 0; i < 3; i++, p->pos++) {
                        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '7')
                                return parse_fail(p, "octal escape needs 3 digits");
                        v = v * 8 + (uint32_t) (p->s[p->pos] - '0');
                }
                if (v > 255)
                        return parse_fail(p, "octal escape out of range");
                text_addc(out, (char) v);
                return 0;
        default:
                return parse_fail(p, "unknown escape sequence");
        }
}

/* Reads a double-quoted value at the read position into @out. */
static int read_value(struct sl_rcv_parser *p, struct sl_rcv_text *out) {
        int r;

        if (p->pos >= p->len || p->s[p->pos] != '"')
                return parse_fail(p, "expected a double-quoted value");
        p->pos++;
        text_add(out, "", 0);
        while (p->pos < p->len) {
                char c = p->s[p->pos];

                if (c == '"') {
                        p->pos++;
                        return 0;
                }
                if (c == '\n')
                        return parse_fail(p, "newline in quoted value");
                p->pos++;
                if (c == '\\') {
                        r = read_escape(p, out);
                        if (r < 0)
                                return r;
                } else {
                        text_addc(out, c);
                }
        }
        return parse_fail(p, "unterminated quoted value");
}

static bool name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (!first && c >= '0' && c <= '9');
}

/* Reads one name="value" pair and appends it to @set. */
static int read_pair(struct sl_rcv_parser *p, struct sl_rcv_labels *set) {
        struct sl_rcv_text value = {0};
        size_t start = p->pos, name_len;
        int r;

        while (p->pos < p->len && name_char(p->s[p->pos], p->pos == start))
                p->pos++;
        name_len = p->pos - start;
        if (name_len == 0)
                return parse_fail(p, "expected a label name");
        if (sl_rcv_labels_find(set, p->s + start, name_len))
                return parse_fail(p, "duplicate label name \"%.*s\"",
                                  (int) name_len, p->s + start);
        skip_space(p);
        if (p->pos >= p->len || p->s[p->pos] != '=')
                return parse_fail(p, "expected '=' after label name");
        p->pos++;
        if (p->pos < p->len && p->s[p->pos] == '~')
                return parse_fail(p, "only '=' matchers are valid in a stream");
        skip_space(p);
        r = read_value(p, &value);
        if (r >= 0)
                sl_rcv_labels_add(set, p->s + start, name_len, value.p, value.len);
        free(value.p);
        return r;
}

int sl_rcv_labels_parse(const char *text, size_t len, struct sl_rcv_labels *set,
                        char *reterr, size_t errlen) {
        struct sl_rcv_parser p = { .s = text, .len = len, .err = reterr, .errlen = errlen };
        int r;

        if (errlen)
                reterr[0] = '\0';
        skip_space(&p);
        if (p.pos >= p.len || p.s[p.pos] != '{') {
                r = parse_fail(&p, "expected '{'");
                goto out_release;
        }
        p.pos++;
        skip_space(&p);
        while (p.pos < p.len && p.s[p.pos] != '}') {
                r = read_pair(&p, set);
                if (r < 0)
                        goto out_release;
                skip_space(&p);
                if (p.pos < p.len && p.s[p.pos] == ',') {
                        p.pos++;
                        skip_space(&p);
                } else if (p.pos < p.len && p.s[p.pos] != '}') {
                        r = parse_fail(&p, "expected ',' or '}'");
                        goto out_release;
                }
        }
        if (p.pos >= p.len) {
                r = parse_fail(&p, "expected '}'");
                goto out_release;
        }
        p.pos++;
        skip_space(&p);
        if (p.pos != p.len) {
                r = parse_fail(&p, "unexpected text after '}'");
                goto out_release;
        }
        return 0;

out_release:
        sl_rcv_labels_release(set);
        return r;
}

static int label_cmp(const void *a, const void *b) {
        const struct sl_rcv_label *la = *(const struct sl_rcv_label *const *) a;
        const struct sl_rcv_label *lb = *(const struct sl_rcv_label *const *) b;
        size_t n = la->name_len < lb->name_len ? la->name_len : lb->name_len;
        int c = memcmp(la->name, lb->name, n);

        if (c)
                return c;
        return la->name_len < lb->name_len ? -1 : la->name_len > lb->name_len;
}

/* Appends @value escaped as inside a Go string literal. */
static void escape_value(struct sl_rcv_text *out, const char *value, size_t len) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) value[i];
                char hex[5];

                switch (c) {
                case '\\': text_add(out, "\\\\", 2); break;
                case '"':  text_add(out, "\\\"", 2); break;
                case '\n': text_add(out, "\\n", 2); break;
                case '\r': text_add(out, "\\r", 2); break;
                case '\t': text_add(out, "\\t", 2); break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                snprintf(hex, sizeof(hex), "\\x%02x", c);
                                text_add(out, hex, 4);
                        } else {
                                text_addc(out, (char) c);
                        }
                }
        }
}

char *sl_rcv_labels_render(const struct sl_rcv_labels *set) {
        _cleanup_free_ const struct sl_rcv_label **sorted = NULL;
        struct sl_rcv_text out = {0};

        sorted = sl_rcv_xmalloc((set->n ? set->n : 1) * sizeof(*sorted));
        for (size_t i = 0; i < set->n; i++)
                sorted[i] = &set->v[i];
        qsort(sorted, set->n, sizeof(*sorted), label_cmp);
        text_addc(&out, '{');
        for (size_t i = 0; i < set->n; i++) {
                if (i)
                        text_add(&out, ", ", 2);
                text_add(&out, sorted[i]->name, sorted[i]->name_len);
                text_add(&out, "=\"", 2);
                escape_value(&out, sorted[i]->value, sorted[i]->value_len);
                text_addc(&out, '"');
        }
        text_addc(&out, '}');
        return out.p;
}
