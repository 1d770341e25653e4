/* buf.c - see buf.h. */
#include "base/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void sl_buf_init(struct sl_buf *b, size_t cap) {
        b->data = NULL;
        b->len = 0;
        b->size = 0;
        b->cap = cap;
}

void sl_buf_release(struct sl_buf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->size = 0;
}

int sl_buf_reserve(struct sl_buf *b, size_t n) {
        size_t need, size;

        if (n > b->cap || b->len > b->cap - n)
                return -ENOBUFS;
        need = b->len + n + 1;
        if (need <= b->size)
                return 0;
        size = b->size ? b->size : 64;
        while (size < need)
                size *= 2;
        if (size > b->cap + 1)
                size = b->cap + 1;
        b->data = sl_xrealloc(b->data, size);
        b->size = size;
        return 0;
}

int sl_buf_append(struct sl_buf *b, const void *p, size_t n) {
        int r = sl_buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int sl_buf_append_str(struct sl_buf *b, struct sl_str s) {
        return sl_buf_append(b, s.ptr, s.len);
}

int sl_buf_putc(struct sl_buf *b, char c) {
        return sl_buf_append(b, &c, 1);
}

int sl_buf_printf(struct sl_buf *b, const char *fmt, ...) {
        va_list ap;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        r = sl_buf_reserve(b, (size_t)n);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return 0;
}

void sl_buf_consume(struct sl_buf *b, size_t n) {
        if (n >= b->len) {
                sl_buf_reset(b);
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
        b->data[b->len] = '\0';
}
