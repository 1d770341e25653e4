/* xalloc.c - see xalloc.h. */
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n) {
        char msg[96];
        int len = snprintf(msg, sizeof(msg), "sluice: out of memory (%zu bytes)\n", n);
        if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
                /* Nothing left to report with. */
        }
        abort();
}

void *sl_xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom(n);
        return p;
}

void *sl_xcalloc(size_t count, size_t n) {
        void *p = calloc(count ? count : 1, n ? n : 1);
        if (!p)
                oom(count * n);
        return p;
}

void *sl_xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        if (!q)
                oom(n);
        return q;
}

char *sl_xstrdup(const char *s) {
        return sl_xstrndup(s, strlen(s));
}

char *sl_xstrndup(const char *s, size_t n) {
        char *p = sl_xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *sl_xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                oom(0);
        va_end(ap);
        return s;
}

void sl_xgrow_slow(void **items, size_t size, size_t *cap, size_t need) {
        size_t n;

        if (need <= *cap)
                return;
        n = *cap ? *cap : 8;
        while (n < need)
                n *= 2;
        *items = sl_xrealloc(*items, n * size);
        *cap = n;
}
