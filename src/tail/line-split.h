/* line-split.h - find the next complete line in a byte range, without copying.
 *
 * Pure: no state, no allocation. The tailer calls it on its read buffer; the
 * slice it hands out points into that buffer.
 *
 * A line is everything before a '\n'. Nothing else is special: a '\r' before
 * the '\n' stays in the line (CRLF files keep their '\r'), and NUL bytes are
 * ordinary bytes.
 */
#ifndef SL_TAIL_LINE_SPLIT_H
#define SL_TAIL_LINE_SPLIT_H

#include <stddef.h>

#include "base/str.h"

/* If [@p, @p + @len) holds a '\n', sets *@ret_line to the bytes before the
 * first one (borrowed from @p, without the '\n') and returns the number of
 * bytes consumed, '\n' included (so always >= 1). Returns 0 and leaves
 * *@ret_line alone when there is no complete line. */
size_t sl_line_next(const char *p, size_t len, struct sl_str *ret_line);

#endif
