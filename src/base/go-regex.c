/* go-regex.c - see go-regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "base/go-regex.h"

#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"

/* Go's largest repeat count (syntax.maxRepeat... 1000). */
#define MAX_REPEAT 1000

struct sl_go_regex {
        pcre2_code *code;        /* owned */
        pcre2_match_data *match; /* owned: the last search's groups */
        pcre2_match_context *limits; /* owned: the search limits (go-regex.h) */
        bool limited;            /* the last search was cut short by a limit */
        uint32_t searches;       /* searches so far, up to SL_GO_REGEX_JIT_AFTER */
        size_t n_groups;         /* capture groups, 0 excluded */
        char **names;            /* owned: names[i] for group i (1-based); NULL entries unnamed */
};

static int __attribute__((format(printf, 3, 4)))
refuse(char *msg, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_xdigit(char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Checks the escape at @p (the byte after the backslash) as Go reads it,
 * appends what PCRE2 must see to @out and returns the byte after it, or
 * NULL with @msg filled. */
static const char *escape(const char *pattern, const char *p, struct sl_buf *out, char *msg,
                          size_t size) {
        char c = *p;
        size_t at = (size_t)(p - pattern) - 1;

        if (c == '\0') {
                refuse(msg, size, "trailing backslash at end of expression");
                return NULL;
        }
        if ((unsigned char)c >= 0x80) {
                refuse(msg, size, "invalid escape sequence at offset %zu", at);
                return NULL;
        }
        if (!is_alnum(c)) { /* escaped punctuation: itself */
                sl_buf_putc(out, '\\');
                sl_buf_putc(out, c);
                return p + 1;
        }
        if (c == 'v') { /* Go: the vertical tab; PCRE2: a class */
                sl_buf_append(out, "\\x0B", 4);
                return p + 1;
        }
        if (c >= '0' && c <= '9') {
                /* Go reads \0 and \1..\7 followed by an octal digit as an
                 * octal code of up to three digits; a lone \1..\9 would be a
                 * backreference. */
                if (c == '0' || (c <= '7' && p[1] >= '0' && p[1] <= '7')) {
                        unsigned v = 0;
                        int n = 0;
                        while (n < 3 && p[n] >= '0' && p[n] <= '7')
                                v = v * 8 + (unsigned)(p[n++] - '0');
                        sl_buf_printf(out, "\\x{%x}", v);
                        return p + n;
                }
                refuse(msg, size, "backreferences (\\%c at offset %zu) are not supported: Go's RE2 refuses them",
                       c, at);
                return NULL;
        }
        if (c == 'x') {
                /* \xHH (two hex digits) or \x{H...}: copied with the
                 * digits, so that the braces are not read as a literal. */
                const char *q = p + 1;
                size_t n = 0;

                if (*q == '{') {
                        for (q++; is_xdigit(*q); q++)
                                n++;
                        if (n == 0 || n > 8 || *q != '}') {
                                refuse(msg, size, "invalid escape sequence \\x at offset %zu", at);
                                return NULL;
                        }
                        q++;
                } else if (!is_xdigit(q[0]) || !is_xdigit(q[1])) {
                        refuse(msg, size, "invalid escape sequence \\x at offset %zu", at);
                        return NULL;
                } else {
                        q += 2;
                }
                sl_buf_putc(out, '\\');
                sl_buf_append(out, p, (size_t)(q - p));
                return q;
        }
        if (c == 'p' || c == 'P') {
                /* \pL or \p{Greek}: the class name goes with it. */
                const char *q = p + 1;

                if (*q == '{') {
                        const char *end = strchr(q, '}');
                        if (!end) {
                                refuse(msg, size, "invalid character class range at offset %zu", at);
                                return NULL;
                        }
                        q = end + 1;
                } else if (is_alnum(*q)) {
                        q++;
                } else {
                        refuse(msg, size, "invalid character class range at offset %zu", at);
                        return NULL;
                }
                sl_buf_putc(out, '\\');
                sl_buf_append(out, p, (size_t)(q - p));
                return q;
        }
        if (strchr("aftndDsSwWbBAz", c)) {
                sl_buf_putc(out, '\\');
                sl_buf_putc(out, c);
                return p + 1;
        }
        refuse(msg, size,
               "invalid escape sequence \\%c at offset %zu (Go's RE2 syntax does not have it)", c, at);
        return NULL;
}

/* Whether a repeat count {n}, {n,} or {n,m} starts at @p ('{'); sets
 * *@ret_end past it and *@ret_big when a count is over MAX_REPEAT. */
static bool repeat_count(const char *p, const char **ret_end, bool *ret_big) {
        long n = 0, m = -1;
        const char *q = p + 1;

        if (!is_digit(*q))
                return false;
        while (is_digit(*q)) {
                n = n * 10 + (*q++ - '0');
                if (n > 100000)
                        n = 100000;
        }
        if (*q == ',') {
                q++;
                if (is_digit(*q)) {
                        m = 0;
                        while (is_digit(*q)) {
                                m = m * 10 + (*q++ - '0');
                                if (m > 100000)
                                        m = 100000;
                        }
                }
        }
        if (*q != '}')
                return false;
        *ret_end = q + 1;
        *ret_big = n > MAX_REPEAT || m > MAX_REPEAT;
        return true;
}

/* Checks a group opening "(?" at @p (the '?') and copies it; returns the
 * byte after what was copied, or NULL. */
static const char *group(const char *pattern, const char *p, struct sl_buf *out, char *msg,
                         size_t size) {
        size_t at = (size_t)(p - pattern) - 1;
        const char *q;

        if (p[1] == 'P' && p[2] == '<') {
                q = p + 3;
        } else if (p[1] == '<' && p[2] != '=' && p[2] != '!') {
                q = p + 2;
        } else {
                /* Flags: (?i) (?-s) (?im:...) */
                q = p + 1;
                while (*q && strchr("imsU-", *q))
                        q++;
                if (*q == ':' || (q > p + 1 && *q == ')')) {
                        sl_buf_append(out, p, (size_t)(q - p));
                        return q;
                }
                refuse(msg, size,
                       "unsupported group \"(?%.*s\" at offset %zu: Go's RE2 has no lookaround, "
                       "atomic groups, conditionals or recursion",
                       (int)SL_MIN(strlen(p + 1), (size_t)3), p + 1, at);
                return NULL;
        }
        /* A named group: Go takes word characters only. */
        {
                const char *name = q;
                while (is_alnum(*q) || *q == '_')
                        q++;
                if (q == name || *q != '>') {
                        refuse(msg, size, "invalid named capture at offset %zu", at);
                        return NULL;
                }
        }
        sl_buf_append(out, "?P<", 3);
        sl_buf_append(out, p[1] == 'P' ? p + 3 : p + 2, (size_t)(q - (p[1] == 'P' ? p + 3 : p + 2)));
        return q; /* the '>' is copied by the caller's loop */
}

/* Rewrites the Go pattern @pattern for PCRE2 into @out, refusing what Go
 * refuses. */
static int translate(const char *pattern, struct sl_buf *out, char *msg, size_t size) {
        const char *p = pattern;
        /* After a quantifier (and its optional lazy '?'): another one is a
         * nested repetition. */
        bool after_quant = false, lazy_taken = false;

        while (*p) {
                char c = *p;

                if (c == '\\') {
                        if (p[1] == 'Q') { /* literal text up to \E */
                                const char *end = strstr(p + 2, "\\E");
                                size_t n = end ? (size_t)(end - p) + 2 : strlen(p);
                                sl_buf_append(out, p, n);
                                p += n;
                                after_quant = false;
                                continue;
                        }
                        p = escape(pattern, p + 1, out, msg, size);
                        if (!p)
                                return -EINVAL;
                        after_quant = false;
                        continue;
                }
                if (c == '[') {
                        const char *q = p + 1;
                        sl_buf_putc(out, '[');
                        if (*q == '^')
                                sl_buf_putc(out, *q++);
                        if (*q == ']')
                                sl_buf_putc(out, *q++);
                        while (*q && *q != ']') {
                                if (*q == '[' && q[1] == ':') {
                                        const char *end = strstr(q + 2, ":]");
                                        if (end) {
                                                sl_buf_append(out, q, (size_t)(end - q) + 2);
                                                q = end + 2;
                                                continue;
                                        }
                                }
                                if (*q == '\\') {
                                        q = escape(pattern, q + 1, out, msg, size);
                                        if (!q)
                                                return -EINVAL;
                                        continue;
                                }
                                sl_buf_putc(out, *q++);
                        }
                        if (*q != ']')
                                return refuse(msg, size, "missing closing ] in character class");
                        sl_buf_putc(out, ']');
                        p = q + 1;
                        after_quant = false;
                        continue;
                }
                if (c == '(' && p[1] == '?') {
                        sl_buf_putc(out, '(');
                        p = group(pattern, p + 1, out, msg, size);
                        if (!p)
                                return -EINVAL;
                        after_quant = false;
                        continue;
                }
                if (c == '*' || c == '+' || c == '?' || c == '{') {
                        const char *end = p + 1;
                        bool big = false;

                        if (c == '{' && !repeat_count(p, &end, &big)) {
                                sl_buf_putc(out, '\\'); /* a literal brace, as Go reads it */
                                sl_buf_putc(out, '{');
                                p++;
                                after_quant = false;
                                continue;
                        }
                        if (big)
                                return refuse(msg, size,
                                              "invalid repeat count at offset %zu (at most %d)",
                                              (size_t)(p - pattern), MAX_REPEAT);
                        if (after_quant) {
                                if (c == '?' && !lazy_taken) {
                                        lazy_taken = true;
                                        sl_buf_putc(out, '?');
                                        p++;
                                        continue;
                                }
                                return refuse(msg, size,
                                              "invalid nested repetition operator at offset %zu",
                                              (size_t)(p - pattern));
                        }
                        sl_buf_append(out, p, (size_t)(end - p));
                        p = end;
                        after_quant = true;
                        lazy_taken = false;
                        continue;
                }
                sl_buf_putc(out, c);
                p++;
                after_quant = false;
        }
        return 0;
}

static void read_names(struct sl_go_regex *re) {
        uint32_t count = 0, entry_size = 0;
        PCRE2_SPTR table = NULL;

        re->names = sl_xcalloc(re->n_groups + 1, sizeof(*re->names));
        pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
        if (count == 0)
                return;
        pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
        pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
        for (uint32_t i = 0; i < count; i++) {
                PCRE2_SPTR e = table + (size_t)i * entry_size;
                size_t n = ((size_t)e[0] << 8) | e[1];
                if (n >= 1 && n <= re->n_groups && !re->names[n])
                        re->names[n] = sl_xstrdup((const char *)e + 2);
        }
}

int sl_go_regex_new(const char *pattern, struct sl_go_regex **ret, char *msg, size_t msg_size) {
        _cleanup_(sl_go_regex_freep) struct sl_go_regex *re = NULL;
        pcre2_compile_context *cctx;
        struct sl_buf pcre;
        PCRE2_UCHAR err[256];
        PCRE2_SIZE offset;
        uint32_t captures = 0;
        int code, r;

        sl_buf_init(&pcre, 1u << 20);
        r = translate(pattern, &pcre, msg, msg_size);
        if (r < 0) {
                sl_buf_release(&pcre);
                return r;
        }
        cctx = pcre2_compile_context_create(NULL);
        if (!cctx)
                abort(); /* OOM, as sl_xmalloc */
        pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
        re = sl_xnew(struct sl_go_regex);
        re->code = pcre2_compile((PCRE2_SPTR)(pcre.data ? pcre.data : ""), pcre.len,
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &code,
                                 &offset, cctx);
        pcre2_compile_context_free(cctx);
        sl_buf_release(&pcre);
        if (!re->code) {
                pcre2_get_error_message(code, err, sizeof(err));
                return refuse(msg, msg_size, "%s", (const char *)err);
        }
        re->match = pcre2_match_data_create_from_pattern(re->code, NULL);
        re->limits = pcre2_match_context_create(NULL);
        if (!re->match || !re->limits)
                abort();
        pcre2_set_match_limit(re->limits, SL_GO_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(re->limits, SL_GO_REGEX_DEPTH_LIMIT);
        pcre2_set_heap_limit(re->limits, SL_GO_REGEX_HEAP_KIB);
        pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &captures);
        re->n_groups = captures;
        read_names(re);
        *ret = TAKE_PTR(re);
        return 0;
}

void sl_go_regex_free(struct sl_go_regex *re) {
        if (!re)
                return;
        for (size_t i = 0; re->names && i <= re->n_groups; i++)
                free(re->names[i]);
        free(re->names);
        pcre2_match_data_free(re->match);
        pcre2_match_context_free(re->limits);
        pcre2_code_free(re->code);
        free(re);
}

size_t sl_go_regex_groups(const struct sl_go_regex *re) {
        return re->n_groups;
}

const char *sl_go_regex_group_name(const struct sl_go_regex *re, size_t i) {
        return i >= 1 && i <= re->n_groups ? re->names[i] : NULL;
}

bool sl_go_regex_search(struct sl_go_regex *re, struct sl_str subject, size_t start) {
        int rc;

        re->limited = false;
        if (start > subject.len)
                return false;
        /* A failed JIT compile (no executable memory) leaves the interpreter. */
        if (re->searches < SL_GO_REGEX_JIT_AFTER && ++re->searches == SL_GO_REGEX_JIT_AFTER)
                (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
        rc = pcre2_match(re->code, (PCRE2_SPTR)(subject.ptr ? subject.ptr : ""), subject.len, start,
                         0, re->match, re->limits);
        re->limited = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
        return rc >= 0;
}

bool sl_go_regex_limited(const struct sl_go_regex *re) {
        return re->limited;
}

struct sl_str sl_go_regex_group(const struct sl_go_regex *re, struct sl_str subject, size_t i,
                                bool *ret_set) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->match);
        uint32_t n = pcre2_get_ovector_count(re->match);

        if (i >= n || ov[2 * i] == PCRE2_UNSET) {
                if (ret_set)
                        *ret_set = false;
                return sl_str_from(subject.ptr, 0);
        }
        if (ret_set)
                *ret_set = true;
        /* An empty subject may have no pointer (str.h): every group is
         * empty then, and no arithmetic is done on it. */
        if (!subject.ptr)
                return subject;
        return sl_str_from(subject.ptr + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

/* The group named @name (or numbered, when all digits) for Expand; -1 if
 * none. */
static long group_index(const struct sl_go_regex *re, const char *name, size_t len) {
        bool digits = len > 0;
        long num = 0;

        for (size_t i = 0; i < len; i++) {
                if (!is_digit(name[i])) {
                        digits = false;
                        break;
                }
                if (num < 100000000)
                        num = num * 10 + (name[i] - '0');
        }
        if (digits)
                return num <= (long)re->n_groups ? num : -1;
        for (size_t i = 1; i <= re->n_groups; i++)
                if (re->names[i] && strlen(re->names[i]) == len && memcmp(re->names[i], name, len) == 0)
                        return (long)i;
        return -1;
}

static bool name_char(unsigned char c) {
        /* Go takes Unicode letters too: any byte of a multi-byte rune. */
        return is_alnum((char)c) || c == '_' || c >= 0x80;
}

int sl_go_regex_expand(const struct sl_go_regex *re, struct sl_str subject, struct sl_str repl,
                       struct sl_buf *out) {
        const char *p = repl.ptr, *end = repl.ptr + repl.len;
        int r = 0;

        while (p < end && r == 0) {
                const char *dollar = memchr(p, '$', (size_t)(end - p));
                const char *name, *stop;
                long idx;

                if (!dollar) {
                        r = sl_buf_append(out, p, (size_t)(end - p));
                        break;
                }
                r = sl_buf_append(out, p, (size_t)(dollar - p));
                p = dollar + 1;
                if (p < end && *p == '$') {
                        r = r ?: sl_buf_putc(out, '$');
                        p++;
                        continue;
                }
                if (p < end && *p == '{') {
                        name = p + 1;
                        stop = name;
                        while (stop < end && name_char((unsigned char)*stop))
                                stop++;
                        if (stop == name || stop >= end || *stop != '}') {
                                r = r ?: sl_buf_putc(out, '$'); /* malformed: a plain '$' */
                                continue;
                        }
                        p = stop + 1;
                } else {
                        name = p;
                        stop = name;
                        while (stop < end && name_char((unsigned char)*stop))
                                stop++;
                        if (stop == name) {
                                r = r ?: sl_buf_putc(out, '$');
                                continue;
                        }
                        p = stop;
                }
                idx = group_index(re, name, (size_t)(stop - name));
                if (idx >= 0) {
                        bool set;
                        struct sl_str g = sl_go_regex_group(re, subject, (size_t)idx, &set);
                        if (set)
                                r = r ?: sl_buf_append_str(out, g);
                }
        }
        return r;
}

size_t sl_utf8_width(const char *p, const char *end) {
        unsigned char c = (unsigned char)*p;
        size_t n = c < 0x80 ? 1 : c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 1;

        if (n > (size_t)(end - p))
                return 1;
        for (size_t i = 1; i < n; i++)
                if (((unsigned char)p[i] & 0xc0) != 0x80)
                        return 1;
        return n;
}

int sl_go_regex_replace_all(struct sl_go_regex *re, struct sl_str subject, struct sl_str repl,
                            bool literal, struct sl_buf *out) {
        size_t search = 0, last_end = 0;
        int r = 0;

        while (search <= subject.len && r == 0) {
                struct sl_str m;
                size_t a0, a1, width;

                if (!sl_go_regex_search(re, subject, search))
                        break;
                m = sl_go_regex_group(re, subject, 0, NULL);
                a0 = (size_t)(m.ptr - subject.ptr);
                a1 = a0 + m.len;
                r = sl_buf_append(out, subject.ptr + last_end, a0 - last_end);
                /* No replacement for an empty match right after a match. */
                if (r == 0 && (a1 > last_end || a0 == 0)) {
                        if (literal)
                                r = sl_buf_append_str(out, repl);
                        else
                                r = sl_go_regex_expand(re, subject, repl, out);
                }
                last_end = a1;
                width = search < subject.len ? sl_utf8_width(subject.ptr + search,
                                                          subject.ptr + subject.len)
                                             : 1;
                if (search + width > a1)
                        search += width;
                else
                        search = a1;
        }
        if (r == 0 && last_end < subject.len)
                r = sl_buf_append(out, subject.ptr + last_end, subject.len - last_end);
        return r;
}
