/* regex.c - see regex.h.
 *
 * sl_regex_translate() walks the pattern once, keeping track of escapes,
 * \Q...\E quoting and character classes, refuses what RE2's parser refuses
 * and copies the rest, rewriting the few escapes PCRE2 reads otherwise.
 * PCRE2 then compiles the result and reports the errors both share
 * (unbalanced parentheses, a bad class, a quantifier with nothing to
 * repeat).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "base/regex.h"

#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define RE2_MAX_REPEAT 1000

struct sl_regex {
        char *pattern;             /* owned; as written */
        pcre2_code *code;          /* owned */
        pcre2_match_data *md;      /* owned; the last match's groups */
        const char *subject;       /* borrowed; the last matched subject */
        bool matched;              /* the last match succeeded */
};

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t errlen, const char *fmt, ...) {
        va_list ap;

        if (errbuf && errlen) {
                va_start(ap, fmt);
                vsnprintf(errbuf, errlen, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_octal(char c) {
        return c >= '0' && c <= '7';
}

static bool is_word(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* Reads a repeat count at *@p (digits); returns it, or -1 if none. Moves
 * *@p past the digits. */
static long read_count(const char **p) {
        long n = 0;
        bool any = false;

        while (is_digit(**p)) {
                if (n <= 100000)
                        n = n * 10 + (**p - '0');
                (*p)++;
                any = true;
        }
        return any ? n : -1;
}

/* If @p starts a {n}, {n,} or {n,m} repeat (RE2's only forms; anything
 * else is a literal brace), returns its length and checks its counts;
 * returns 0 for a literal brace, -EINVAL for a count RE2 refuses. */
static int brace_repeat(const char *p, char *errbuf, size_t errlen) {
        const char *q = p + 1;
        long lo, hi;

        lo = read_count(&q);
        if (lo < 0)
                return 0;
        hi = lo;
        if (*q == ',') {
                q++;
                hi = read_count(&q);
                if (hi < 0)
                        hi = lo; /* {n,}: no upper bound to check */
        }
        if (*q != '}')
                return 0;
        if (lo > RE2_MAX_REPEAT || hi > RE2_MAX_REPEAT)
                return fail(errbuf, errlen, "invalid repeat count %.*s: RE2 allows at most %d",
                            (int)(q + 1 - p), p, RE2_MAX_REPEAT);
        if (hi < lo)
                return fail(errbuf, errlen, "invalid repeat count %.*s", (int)(q + 1 - p), p);
        return (int)(q + 1 - p);
}

/* Translates the escape at @p (p[0] == '\\') into @out. Returns the bytes
 * consumed, or -EINVAL. @in_class: inside [...]. */
static int escape(const char *p, bool in_class, struct sl_buf *out, char *errbuf, size_t errlen) {
        char c = p[1];
        const char *q;

        if (c == '\0')
                return fail(errbuf, errlen, "trailing backslash at end of expression");
        /* Punctuation escapes itself, in RE2 as in PCRE2. */
        if (!is_word(c) && (unsigned char)c < 0x80) {
                sl_buf_append(out, p, 2);
                return 2;
        }
        switch (c) {
        case 'a': case 'f': case 't': case 'n': case 'r':
        case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
                sl_buf_append(out, p, 2);
                return 2;
        case 'v':
                /* RE2: the vertical tab; PCRE2: any vertical space. */
                sl_buf_append(out, "\\x0B", 4);
                return 2;
        case 'A': case 'z': case 'b': case 'B': case 'C':
                if (in_class)
                        break;
                sl_buf_append(out, p, 2);
                return 2;
        case 'x':
                if (p[2] == '{') {
                        q = strchr(p + 3, '}');
                        if (!q || q == p + 3)
                                return fail(errbuf, errlen, "invalid escape sequence \\x{");
                        for (const char *h = p + 3; h < q; h++)
                                if (!strchr("0123456789abcdefABCDEF", *h))
                                        return fail(errbuf, errlen,
                                                    "invalid escape sequence \\x{%.*s}",
                                                    (int)(q - p - 3), p + 3);
                        sl_buf_append(out, p, (size_t)(q + 1 - p));
                        return (int)(q + 1 - p);
                }
                if (!p[2] || !p[3] || !strchr("0123456789abcdefABCDEF", p[2]) ||
                    !strchr("0123456789abcdefABCDEF", p[3]))
                        return fail(errbuf, errlen, "invalid escape sequence \\x: two hex digits "
                                    "or \\x{...} expected");
                sl_buf_append(out, p, 4);
                return 4;
        case 'p': case 'P':
                if (p[2] == '{') {
                        q = strchr(p + 3, '}');
                        if (!q)
                                return fail(errbuf, errlen, "invalid character class range \\%c{",
                                            c);
                        sl_buf_append(out, p, (size_t)(q + 1 - p));
                        return (int)(q + 1 - p);
                }
                if (!p[2])
                        return fail(errbuf, errlen, "invalid character class range \\%c", c);
                sl_buf_append(out, p, 3);
                return 3;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
                /* RE2: a non-zero digit alone is a backreference (refused);
                 * otherwise up to three octal digits are a character code. */
                int n = 1;
                if (c != '0' && !is_octal(p[2]))
                        return fail(errbuf, errlen, "invalid escape sequence \\%c: "
                                    "backreferences are not supported (RE2 syntax)", c);
                while (n < 3 && is_octal(p[1 + n]))
                        n++;
                sl_buf_printf(out, "\\o{%.*s}", n, p + 1);
                return 1 + n;
        }
        case '8': case '9':
                return fail(errbuf, errlen, "invalid escape sequence \\%c: backreferences are "
                            "not supported (RE2 syntax)", c);
        default:
                break;
        }
        return fail(errbuf, errlen, "invalid escape sequence \\%c (not in RE2 syntax)", c);
}

/* Checks a group opening "(?" at @p. Returns the bytes to copy as they
 * are, or -EINVAL. */
static int group_open(const char *p, char *errbuf, size_t errlen) {
        const char *q = p + 2;

        if (q[0] == 'P' && q[1] == '<')
                q += 2;
        else if (q[0] == '<' && q[1] != '=' && q[1] != '!')
                q += 1;
        else
                q = NULL;
        if (q) {
                const char *name = q;
                while (is_word(*q))
                        q++;
                if (q == name || *q != '>')
                        return fail(errbuf, errlen, "invalid named capture %.*s",
                                    (int)(q + 1 - p), p);
                return (int)(q + 1 - p);
        }
        /* Flags: (?flags) or (?flags:...), RE2 knows i, m, s and U. */
        q = p + 2;
        while (*q && strchr("imsU-", *q))
                q++;
        if (q > p + 2 && (*q == ')' || *q == ':'))
                return (int)(q + 1 - p);
        if (q == p + 2 && *q == ':')
                return 3;
        if (q > p + 2 && *q && *q != ')' && *q != ':' && strchr("xnJX^", *q))
                return fail(errbuf, errlen, "invalid or unsupported Perl syntax: flag %c "
                            "(RE2 knows i, m, s and U)", *q);
        return fail(errbuf, errlen, "invalid or unsupported Perl syntax: `%.*s` "
                    "(lookarounds, atomic groups, backreferences and recursion are not in "
                    "RE2 syntax)", (int)strnlen(p, 4), p);
}

int sl_regex_translate(const char *pattern, struct sl_buf *out, char *errbuf, size_t errlen) {
        const char *p = pattern;
        bool in_class = false, quoted = false, after_repeat = false;
        int n;

        while (*p) {
                if (quoted) {
                        if (p[0] == '\\' && p[1] == 'E') {
                                quoted = false;
                                sl_buf_append(out, p, 2);
                                p += 2;
                        } else {
                                sl_buf_putc(out, *p++);
                        }
                        continue;
                }
                if (p[0] == '\\' && p[1] == 'Q') {
                        quoted = true;
                        sl_buf_append(out, p, 2);
                        p += 2;
                        after_repeat = false;
                        continue;
                }
                if (in_class) {
                        if (*p == '\\') {
                                n = escape(p, true, out, errbuf, errlen);
                                if (n < 0)
                                        return n;
                                p += n;
                                continue;
                        }
                        if (p[0] == '[' && p[1] == ':') {
                                const char *end = strstr(p + 2, ":]");
                                if (end) {
                                        sl_buf_append(out, p, (size_t)(end + 2 - p));
                                        p = end + 2;
                                        continue;
                                }
                        }
                        if (*p == ']')
                                in_class = false;
                        sl_buf_putc(out, *p++);
                        continue;
                }
                switch (*p) {
                case '\\':
                        n = escape(p, false, out, errbuf, errlen);
                        if (n < 0)
                                return n;
                        p += n;
                        after_repeat = false;
                        continue;
                case '[':
                        /* A ']' right after '[' or '[^' is a member. */
                        in_class = true;
                        sl_buf_putc(out, *p++);
                        if (*p == '^')
                                sl_buf_putc(out, *p++);
                        if (*p == ']')
                                sl_buf_putc(out, *p++);
                        after_repeat = false;
                        continue;
                case '(':
                        if (p[1] == '*')
                                return fail(errbuf, errlen, "missing argument to repetition "
                                            "operator: `*`");
                        if (p[1] == '?') {
                                n = group_open(p, errbuf, errlen);
                                if (n < 0)
                                        return n;
                                sl_buf_append(out, p, (size_t)n);
                                p += n;
                        } else {
                                sl_buf_putc(out, *p++);
                        }
                        after_repeat = false;
                        continue;
                case '*': case '+': case '?':
                        /* A repeat may be made lazy by one '?'; anything
                         * else right after it repeats a repeat. */
                        if (after_repeat)
                                return fail(errbuf, errlen, "invalid nested repetition operator: "
                                            "`%.2s`", p - 1);
                        sl_buf_putc(out, *p++);
                        if (*p == '?')
                                sl_buf_putc(out, *p++);
                        after_repeat = true;
                        continue;
                case '{':
                        n = brace_repeat(p, errbuf, errlen);
                        if (n < 0)
                                return n;
                        if (n > 0) {
                                if (after_repeat)
                                        return fail(errbuf, errlen, "invalid nested repetition "
                                                    "operator: `%.*s`", n, p);
                                sl_buf_append(out, p, (size_t)n);
                                p += n;
                                if (*p == '?')
                                        sl_buf_putc(out, *p++);
                                after_repeat = true;
                                continue;
                        }
                        /* A literal brace, as in RE2. */
                        sl_buf_append(out, "\\{", 2);
                        p++;
                        after_repeat = false;
                        continue;
                default:
                        sl_buf_putc(out, *p++);
                        after_repeat = false;
                        continue;
                }
        }
        if (in_class)
                return fail(errbuf, errlen, "missing closing ]: `%s`", pattern);
        return 0;
}

int sl_regex_new(const char *pattern, enum sl_regex_flags flags, struct sl_regex **ret,
                 char *errbuf, size_t errlen) {
        struct sl_buf pcre;
        struct sl_regex *re;
        PCRE2_UCHAR msg[256];
        PCRE2_SIZE offset;
        int code, r;

        sl_buf_init(&pcre, 1u << 20);
        if (flags & SL_REGEX_ANCHORED)
                sl_buf_append(&pcre, "^(?s:", 5);
        r = sl_regex_translate(pattern, &pcre, errbuf, errlen);
        if (r < 0) {
                sl_buf_release(&pcre);
                return r;
        }
        if (flags & SL_REGEX_ANCHORED)
                sl_buf_append(&pcre, ")$", 2);
        re = sl_xnew(struct sl_regex);
        re->code = pcre2_compile((PCRE2_SPTR)(pcre.data ? pcre.data : ""), pcre.len,
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                 &code, &offset, NULL);
        sl_buf_release(&pcre);
        if (!re->code) {
                pcre2_get_error_message(code, msg, sizeof(msg));
                free(re);
                return fail(errbuf, errlen, "%s", (const char *)msg);
        }
        (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
        re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
        re->pattern = sl_xstrdup(pattern);
        *ret = re;
        return 0;
}

void sl_regex_free(struct sl_regex *re) {
        if (!re)
                return;
        pcre2_match_data_free(re->md);
        pcre2_code_free(re->code);
        free(re->pattern);
        free(re);
}

const char *sl_regex_pattern(const struct sl_regex *re) {
        return re->pattern;
}

bool sl_regex_match(struct sl_regex *re, struct sl_str s) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)(s.ptr ? s.ptr : ""), s.len, 0, 0, re->md,
                             NULL);

        re->matched = rc >= 0;
        re->subject = s.ptr ? s.ptr : "";
        return re->matched;
}

int sl_regex_group(const struct sl_regex *re, unsigned n, struct sl_str *ret) {
        PCRE2_SIZE *ov;

        if (!re->matched || n >= pcre2_get_ovector_count(re->md))
                return 0;
        ov = pcre2_get_ovector_pointer(re->md);
        if (ov[2 * n] == PCRE2_UNSET)
                return 0;
        *ret = sl_str_from(re->subject + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
        return 1;
}

/* The group named @name (digits: by number, as Go's extract() reads them). */
static int group_by_name(const struct sl_regex *re, const char *name, size_t len,
                         struct sl_str *ret) {
        char buf[128];
        int num = 0;

        for (size_t i = 0; i < len; i++) {
                if (!is_digit(name[i]) || num >= 100000000) {
                        num = -1;
                        break;
                }
                num = num * 10 + (name[i] - '0');
        }
        if (len > 1 && name[0] == '0')
                num = -1; /* leading zeros: not a number, and no group has such a name */
        if (num >= 0)
                return sl_regex_group(re, (unsigned)num, ret);
        if (len >= sizeof(buf))
                return 0;
        memcpy(buf, name, len);
        buf[len] = '\0';
        num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)buf);
        if (num < 0)
                return 0;
        return sl_regex_group(re, (unsigned)num, ret);
}

int sl_regex_expand(const struct sl_regex *re, struct sl_str tmpl, struct sl_buf *out) {
        const char *p = tmpl.ptr, *end = tmpl.ptr + tmpl.len;

        while (p < end) {
                const char *dollar = memchr(p, '$', (size_t)(end - p));
                const char *name;
                size_t name_len;
                struct sl_str g;

                if (!dollar)
                        return sl_buf_append(out, p, (size_t)(end - p));
                if (sl_buf_append(out, p, (size_t)(dollar - p)) < 0)
                        return -ENOBUFS;
                p = dollar + 1;
                if (p < end && *p == '$') {
                        if (sl_buf_putc(out, '$') < 0)
                                return -ENOBUFS;
                        p++;
                        continue;
                }
                if (p < end && *p == '{') {
                        const char *q = p + 1;
                        while (q < end && is_word(*q))
                                q++;
                        if (q == p + 1 || q >= end || *q != '}') {
                                /* Malformed: the '$' is kept as it is. */
                                if (sl_buf_putc(out, '$') < 0)
                                        return -ENOBUFS;
                                continue;
                        }
                        name = p + 1;
                        name_len = (size_t)(q - name);
                        p = q + 1;
                } else {
                        const char *q = p;
                        while (q < end && is_word(*q))
                                q++;
                        if (q == p) {
                                if (sl_buf_putc(out, '$') < 0)
                                        return -ENOBUFS;
                                continue;
                        }
                        name = p;
                        name_len = (size_t)(q - p);
                        p = q;
                }
                if (group_by_name(re, name, name_len, &g) && sl_buf_append_str(out, g) < 0)
                        return -ENOBUFS;
        }
        return 0;
}
