/* level.c - see level.h. */
#include "pipeline/level.h"

#include <stdbool.h>
#include <stdint.h>
#include <strings.h>

static const struct {
        const char *name;
        enum sl_level level;
} level_names[] = {
        { "trace", SL_LEVEL_TRACE },
        { "debug", SL_LEVEL_DEBUG },
        { "dbg", SL_LEVEL_DEBUG },
        { "info", SL_LEVEL_INFO },
        { "information", SL_LEVEL_INFO },
        { "informational", SL_LEVEL_INFO },
        { "notice", SL_LEVEL_INFO },
        { "warn", SL_LEVEL_WARN },
        { "warning", SL_LEVEL_WARN },
        { "err", SL_LEVEL_ERROR },
        { "error", SL_LEVEL_ERROR },
        { "crit", SL_LEVEL_FATAL },
        { "critical", SL_LEVEL_FATAL },
        { "alert", SL_LEVEL_FATAL },
        { "emerg", SL_LEVEL_FATAL },
        { "emergency", SL_LEVEL_FATAL },
        { "fatal", SL_LEVEL_FATAL },
        { "panic", SL_LEVEL_FATAL },
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Maps a pino number onto the step at or below it. */
static enum sl_level from_number(uint64_t n) {
        if (n < 20)
                return SL_LEVEL_TRACE;
        if (n < 30)
                return SL_LEVEL_DEBUG;
        if (n < 40)
                return SL_LEVEL_INFO;
        if (n < 50)
                return SL_LEVEL_WARN;
        if (n < 60)
                return SL_LEVEL_ERROR;
        return SL_LEVEL_FATAL;
}

static enum sl_level from_word(struct sl_str s) {
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
                if (strlen(level_names[i].name) == s.len &&
                    strncasecmp(level_names[i].name, s.ptr, s.len) == 0)
                        return level_names[i].level;
        return SL_LEVEL_UNKNOWN;
}

enum sl_level sl_level_parse(struct sl_str s) {
        uint64_t n = 0;

        while (s.len && is_blank(s.ptr[0])) {
                s.ptr++;
                s.len--;
        }
        while (s.len && is_blank(s.ptr[s.len - 1]))
                s.len--;
        if (s.len == 0)
                return SL_LEVEL_UNKNOWN;
        if (s.ptr[0] < '0' || s.ptr[0] > '9')
                return from_word(s);
        for (size_t i = 0; i < s.len; i++) {
                char c = s.ptr[i];
                if (c < '0' || c > '9')
                        return SL_LEVEL_UNKNOWN;
                /* Saturate: anything this large is fatal anyway. */
                if (n < 1000000)
                        n = n * 10 + (uint64_t)(c - '0');
        }
        return from_number(n);
}

enum sl_level sl_level_from_name(const char *name) {
        if (!name)
                return SL_LEVEL_UNKNOWN;
        return from_word(sl_str_c(name));
}

struct sl_str sl_level_str(enum sl_level level) {
        static const struct sl_str names[] = {
                [SL_LEVEL_UNKNOWN] = { "unknown", 7 }, [SL_LEVEL_TRACE] = { "trace", 5 },
                [SL_LEVEL_DEBUG] = { "debug", 5 },     [SL_LEVEL_INFO] = { "info", 4 },
                [SL_LEVEL_WARN] = { "warn", 4 },       [SL_LEVEL_ERROR] = { "error", 5 },
                [SL_LEVEL_FATAL] = { "fatal", 5 },
        };

        if ((size_t)level >= sizeof(names) / sizeof(names[0]))
                return names[SL_LEVEL_UNKNOWN];
        return names[level];
}

const char *sl_level_name(enum sl_level level) {
        return sl_level_str(level).ptr; /* the table's literals end in NUL */
}
