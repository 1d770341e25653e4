/* line-split.c - see line-split.h. */
#include "tail/line-split.h"

#include <string.h>

size_t sl_line_next(const char *p, size_t len, struct sl_str *ret_line) {
        const char *nl;

        if (len == 0)
                return 0;
        nl = memchr(p, '\n', len);
        if (!nl)
                return 0;
        *ret_line = sl_str_from(p, (size_t)(nl - p));
        return (size_t)(nl - p) + 1;
}
