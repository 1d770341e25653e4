/* log.h - the agent's own log, one line per event on stderr.
 *
 * Two formats, as Promtail's server.log_format:
 *   logfmt (default), so Loki can parse sluice's own log:
 *     ts=2026-11-26T01:02:03.456Z level=warn msg="..." key=value ...
 *   json, one object per line, every value a string:
 *     {"ts":"2026-11-26T01:02:03.456Z","level":"warn","msg":"...","key":"value"}
 * Callers write their fields as logfmt (key=value, or key="value" with \" and
 * \\ escaped inside quotes); the json format reads them back from that.
 * Only the agent and main log above debug; library modules return errors and
 * let their caller log once, with context. Warnings the agent carries on past
 * end in ", ignoring".
 */
#ifndef SL_BASE_LOG_H
#define SL_BASE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum sl_log_level {
        SL_LOG_DEBUG = 0,
        SL_LOG_INFO = 1,
        SL_LOG_WARN = 2,
        SL_LOG_ERROR = 3,
};

enum sl_log_format {
        SL_LOG_LOGFMT = 0,
        SL_LOG_JSON = 1,
};

/* Messages below @level are discarded. Default SL_LOG_INFO. */
void sl_log_set_level(enum sl_log_level level);
/* Parses "debug", "info", "warn", "error". Returns 0 or -EINVAL. */
int sl_log_parse_level(const char *s, enum sl_log_level *ret_level);
bool sl_log_enabled(enum sl_log_level level);
/* Default SL_LOG_LOGFMT. */
void sl_log_set_format(enum sl_log_format format);
/* Parses "logfmt", "json". Returns 0 or -EINVAL. */
int sl_log_parse_format(const char *s, enum sl_log_format *ret_format);
/* Where lines go (borrowed; NULL: stderr, the default). For tests. */
void sl_log_set_output(FILE *out);
/* @msg is printed as msg="..."; @fmt/... append key=value pairs verbatim
 * (logfmt), or converted to JSON members. Lines are cut at 4 KiB. */
void sl_log(enum sl_log_level level, const char *msg, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define sl_log_debug(msg, ...) sl_log(SL_LOG_DEBUG, msg, __VA_ARGS__)
#define sl_log_info(msg, ...)  sl_log(SL_LOG_INFO, msg, __VA_ARGS__)
#define sl_log_warn(msg, ...)  sl_log(SL_LOG_WARN, msg, __VA_ARGS__)
#define sl_log_error(msg, ...) sl_log(SL_LOG_ERROR, msg, __VA_ARGS__)

#endif
