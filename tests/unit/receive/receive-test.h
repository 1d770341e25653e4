/* receive-test.h - what the receive suites share: decoding a body and
 * rendering its entries as text to compare, and compressing a body. */
#ifndef SL_TEST_RECEIVE_H
#define SL_TEST_RECEIVE_H

#include <stddef.h>

#include "base/buf.h"
#include "receive/push-request.h"

/* The entries of @r, one line each:
 *   <ts_ns> {labels} "line" [metadata] (extracted)
 * pairs as name=value in the order they are held, comma-separated. Into
 * @out (reset first). */
void rt_render(struct sl_push_request *r, struct sl_buf *out);

/* Decodes and renders: returns 0 with the entries in @out, or -errno with
 * "ERR <reason>" in @out. */
int rt_decode(enum sl_push_format format, const char *content_type, const char *encoding,
              const void *body, size_t len, const struct sl_push_limits *limits,
              struct sl_buf *out);

/* @len bytes of @data compressed with zlib: @window_bits 16+15 gzip, -15 raw
 * DEFLATE. Into @out (reset first). */
void rt_deflate(const void *data, size_t len, int window_bits, struct sl_buf *out);

/* Snappy-compressed @len bytes of @data, into @out (reset first). */
void rt_snappy(const void *data, size_t len, struct sl_buf *out);

#endif
