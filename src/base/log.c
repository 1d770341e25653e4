/* log.c - see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

static enum sl_log_level min_level = SL_LOG_INFO;
static enum sl_log_format format = SL_LOG_LOGFMT;
static FILE *output;
static const char *const names[] = { "debug", "info", "warn", "error" };
static const char *const format_names[] = { "logfmt", "json" };

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

void sl_log_set_format(enum sl_log_format f) {
        format = f;
}

int sl_log_parse_format(const char *s, enum sl_log_format *ret_format) {
        for (unsigned i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
                if (strcmp(s, format_names[i]) == 0) {
                        *ret_format = (enum sl_log_format)i;
                        return 0;
                }
        return -EINVAL;
}

void sl_log_set_output(FILE *out) {
        output = out;
}

/* A line being built. Once something does not fit, nothing more is
 * written (the line is cut there, never inside an escape sequence); the
 * last bytes stay free for what closes the line ('"', '}', '\n'). */
struct line {
        char data[LINE_MAX_BYTES];
        size_t len;
        bool full;
};

#define LINE_RESERVE 3

static void puts_n(struct line *l, const char *s, size_t n) {
        if (l->full || l->len + n > sizeof(l->data) - LINE_RESERVE) {
                l->full = true;
                return;
        }
        memcpy(l->data + l->len, s, n);
        l->len += n;
}

static void put(struct line *l, char c) {
        puts_n(l, &c, 1);
}

/* @s (@n bytes) as the inside of a JSON string. */
static void put_json(struct line *l, const char *s, size_t n) {
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < n && !l->full; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

                if (c == '\n') {
                        puts_n(l, "\\n", 2);
                } else if (c == '\t') {
                        puts_n(l, "\\t", 2);
                } else if (c == '\r') {
                        puts_n(l, "\\r", 2);
                } else if (c < 0x20 || c == 0x7f) {
                        puts_n(l, esc, 6);
                } else if (c == '"' || c == '\\') {
                        esc[1] = (char)c;
                        puts_n(l, esc, 2);
                } else {
                        put(l, (char)c);
                }
        }
}

/* Appends the logfmt pairs in @p as JSON members ,"key":"value", each whole
 * or not at all. A quoted value loses its quotes and its \" and \\ escapes;
 * a word without '=' becomes a member with an empty value. */
static void pairs_to_json(struct line *l, const char *p) {
        struct line m;

        while (*p && !l->full) {
                const char *key, *value;
                size_t key_len, value_len = 0;
                char unq[LINE_MAX_BYTES];

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                key = p;
                while (*p && *p != '=' && *p != ' ')
                        p++;
                key_len = (size_t)(p - key);
                value = unq;
                if (*p == '=' && p[1] == '"') {
                        for (p += 2; *p && *p != '"'; p++) {
                                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                        p++;
                                if (value_len < sizeof(unq))
                                        unq[value_len++] = *p;
                        }
                        if (*p == '"')
                                p++;
                } else if (*p == '=') {
                        value = ++p;
                        while (*p && *p != ' ')
                                p++;
                        value_len = (size_t)(p - value);
                }
                m.len = 0;
                m.full = false;
                puts_n(&m, ",\"", 2);
                put_json(&m, key, key_len);
                puts_n(&m, "\":\"", 3);
                put_json(&m, value, value_len);
                put(&m, '"');
                if (!m.full)
                        puts_n(l, m.data, m.len);
        }
}

void sl_log(enum sl_log_level level, const char *msg, const char *fmt, ...) {
        struct line l;
        char ts[40], pairs[LINE_MAX_BYTES];
        struct timespec now;
        struct tm tm;
        size_t n;
        va_list ap;
        int saved = errno;

        if (level < min_level)
                return;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
        pairs[0] = '\0';
        if (fmt && *fmt) {
                va_start(ap, fmt);
                vsnprintf(pairs, sizeof(pairs), fmt, ap);
                va_end(ap);
        }

        l.len = 0;
        l.full = false;
        if (format == SL_LOG_JSON) {
                puts_n(&l, "{\"ts\":\"", 7);
                puts_n(&l, ts, strlen(ts));
                puts_n(&l, "\",\"level\":\"", 11);
                puts_n(&l, names[level], strlen(names[level]));
                puts_n(&l, "\",\"msg\":\"", 9);
                put_json(&l, msg, strlen(msg));
                l.full = false; /* the msg may be cut: its string is closed all the same */
                l.data[l.len++] = '"';
                pairs_to_json(&l, pairs);
                l.data[l.len++] = '}';
        } else {
                puts_n(&l, "ts=", 3);
                puts_n(&l, ts, strlen(ts));
                puts_n(&l, " level=", 7);
                puts_n(&l, names[level], strlen(names[level]));
                puts_n(&l, " msg=\"", 6);
                for (const char *p = msg; *p && !l.full; p++) {
                        char esc[2] = { '\\', *p };
                        bool quote = *p == '"' || *p == '\\';
                        puts_n(&l, quote ? esc : esc + 1, quote ? 2 : 1);
                }
                l.full = false;
                l.data[l.len++] = '"';
                if (pairs[0]) {
                        put(&l, ' ');
                        puts_n(&l, pairs, strlen(pairs));
                }
        }
        l.data[l.len++] = '\n';
        fwrite(l.data, 1, l.len, output ? output : stderr);
        errno = saved;
}
