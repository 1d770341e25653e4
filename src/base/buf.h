/* buf.h - struct sl_buf, a growing byte buffer with a ceiling.
 *
 * Every buffer that grows with input has a cap chosen by its owner
 * (sl_buf_init's @cap). Growing past it fails with -ENOBUFS and leaves the
 * buffer as it was; the owner counts and handles that, it is not an OOM.
 * The bytes are always followed by a NUL (not counted in len), so the
 * content can be handed to C string APIs.
 *
 * Calling sequence: sl_buf_init() (cannot fail), any number of append /
 * reset, sl_buf_release() (frees the storage; the buf may be init'ed again).
 */
#ifndef SL_BASE_BUF_H
#define SL_BASE_BUF_H

#include <stddef.h>

#include "base/str.h"

struct sl_buf {
        char *data;  /* owned; NULL until the first append */
        size_t len;  /* bytes used, excluding the trailing NUL */
        size_t size; /* bytes allocated */
        size_t cap;  /* most bytes the content may hold */
};

void sl_buf_init(struct sl_buf *b, size_t cap);
void sl_buf_release(struct sl_buf *b);
/* Empties the buffer and keeps its storage. */
static inline void sl_buf_reset(struct sl_buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}
/* Makes room for @n more bytes. Returns 0 or -ENOBUFS. */
int sl_buf_reserve(struct sl_buf *b, size_t n);
/* Appends @n bytes of @p. Returns 0 or -ENOBUFS (buffer unchanged). */
int sl_buf_append(struct sl_buf *b, const void *p, size_t n);
int sl_buf_append_str(struct sl_buf *b, struct sl_str s);
int sl_buf_putc(struct sl_buf *b, char c);
int sl_buf_printf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first @n bytes, moving the rest to the front. */
void sl_buf_consume(struct sl_buf *b, size_t n);
/* The content as a borrowed slice, valid until the next change to @b. */
static inline struct sl_str sl_buf_str(const struct sl_buf *b) {
        return (struct sl_str){ b->data, b->len };
}

#endif
