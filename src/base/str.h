/* str.h - struct sl_str, a borrowed byte slice.
 *
 * An sl_str never owns its bytes and is not NUL-terminated. Whoever hands one
 * out states how long it stays valid (for a tailed line: until the sink
 * returns; for a value in an entry: until the entry is reset).
 */
#ifndef SL_BASE_STR_H
#define SL_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sl_str {
        const char *ptr; /* first byte; may be NULL when len is 0 */
        size_t len;      /* number of bytes */
};

#define SL_STR_NULL ((struct sl_str){ NULL, 0 })
/* A slice of a string literal: SL_STR_LIT("info"). */
#define SL_STR_LIT(s) ((struct sl_str){ (s), sizeof(s) - 1 })

static inline struct sl_str sl_str_from(const char *p, size_t n) {
        return (struct sl_str){ p, n };
}

static inline struct sl_str sl_str_c(const char *s) {
        return (struct sl_str){ s, s ? strlen(s) : 0 };
}

/* Whether the @len bytes at @a and @b are the same (either may be NULL when
 * @len is 0). Names and short values are compared on every line, inside
 * loops that a call would make spill their registers: words of 8 bytes,
 * the last one overlapping those before (every byte is in one of them),
 * then for fewer than 8 bytes two words of 4 that may overlap, or the
 * bytes themselves. No call of memcmp(). */
static inline bool sl_bytes_eq(const void *a, const void *b, size_t len) {
        const char *x = a, *y = b;

        if (len >= 8) {
                uint64_t x0, y0;

                for (size_t i = 0; i + 8 < len; i += 8) {
                        memcpy(&x0, x + i, 8);
                        memcpy(&y0, y + i, 8);
                        if (x0 != y0)
                                return false;
                }
                memcpy(&x0, x + len - 8, 8);
                memcpy(&y0, y + len - 8, 8);
                return x0 == y0;
        }
        if (len >= 4) {
                uint32_t x0, y0, x1, y1;

                memcpy(&x0, x, 4);
                memcpy(&y0, y, 4);
                memcpy(&x1, x + len - 4, 4);
                memcpy(&y1, y + len - 4, 4);
                return x0 == y0 && x1 == y1;
        }
        /* 0 to 3 bytes: the first, the middle and the last are all of them. */
        return len == 0 || (x[0] == y[0] && x[len / 2] == y[len / 2] && x[len - 1] == y[len - 1]);
}

/* Copies the @n bytes at @src to @dst (@src may be NULL when @n is 0);
 * returns the byte after the copy. For names and values of a few dozen
 * bytes, copied per line: up to 32 bytes take two moves of a fixed size
 * that may overlap (plain loads and stores, no call of memcpy(), which
 * costs more than such a copy); longer ones go to memcpy(). */
static inline char *sl_copy_short(char *dst, const char *src, size_t n) {
        if (n <= 32 && n >= 16) {
                memcpy(dst, src, 16);
                memcpy(dst + n - 16, src + n - 16, 16);
        } else if (n < 16 && n >= 8) {
                memcpy(dst, src, 8);
                memcpy(dst + n - 8, src + n - 8, 8);
        } else if (n < 8 && n >= 4) {
                memcpy(dst, src, 4);
                memcpy(dst + n - 4, src + n - 4, 4);
        } else if (n < 4) {
                for (size_t i = 0; i < n; i++)
                        dst[i] = src[i];
        } else {
                memcpy(dst, src, n);
        }
        return dst + n;
}

static inline bool sl_str_eq(struct sl_str a, struct sl_str b) {
        return a.len == b.len && sl_bytes_eq(a.ptr, b.ptr, a.len);
}

static inline bool sl_str_eq_c(struct sl_str a, const char *s) {
        return sl_str_eq(a, sl_str_c(s));
}

/* Orders like strcmp on the bytes, shorter first on a common prefix. */
static inline int sl_str_cmp(struct sl_str a, struct sl_str b) {
        size_t n = a.len < b.len ? a.len : b.len;
        int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
        if (c)
                return c;
        return (a.len > b.len) - (a.len < b.len);
}

static inline bool sl_str_has_suffix(struct sl_str s, const char *suffix) {
        size_t n = strlen(suffix);
        return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

/* The length of @s cut to at most @max bytes without splitting a UTF-8
 * sequence: at most 3 bytes short of @max. Bytes that are not UTF-8 are
 * cut at @max. */
static inline size_t sl_str_utf8_cut(struct sl_str s, size_t max) {
        if (s.len <= max)
                return s.len;
        for (size_t back = 0; back < 4 && back <= max; back++) {
                unsigned char c = (unsigned char)s.ptr[max - back];
                if ((c & 0xc0) != 0x80)
                        return max - back;
        }
        return max;
}

#endif
