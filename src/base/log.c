/* log.c - see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum sl_log_level min_level = SL_LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

void sl_log_set_level(enum sl_log_level level) {
        min_level = level;
}

int sl_log_parse_level(const char *s, enum sl_log_level *ret_level) {
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i]) == 0) {
                        *ret_level = (enum sl_log_level)i;
                        return 0;
                }
        return -EINVAL;
}

bool sl_log_enabled(enum sl_log_level level) {
        return level >= min_level;
}

void sl_log(enum sl_log_level level, const char *msg, const char *fmt, ...) {
        char line[4096];
        struct timespec ts;
        struct tm tm;
        size_t n = 0;
        va_list ap;
        int saved = errno;

        if (level < min_level)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n += strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s msg=\"",
                              ts.tv_nsec / 1000000, names[level]);
        for (const char *p = msg; *p && n < sizeof(line) - 8; p++) {
                if (*p == '"' || *p == '\\')
                        line[n++] = '\\';
                line[n++] = *p;
        }
        line[n++] = '"';
        if (fmt && *fmt && n < sizeof(line) - 2) {
                int w;
                line[n++] = ' ';
                va_start(ap, fmt);
                w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
                va_end(ap);
                if (w > 0)
                        n += ((size_t)w < sizeof(line) - n - 2 ? (size_t)w : sizeof(line) - n - 2);
        }
        line[n++] = '\n';
        fwrite(line, 1, n, stderr);
        errno = saved;
}
