/* log.h - the agent's own log, one line per event on stderr.
 *
 * Format (logfmt, so Loki can parse sluice's own log):
 *   ts=2026-11-26T01:02:03.456Z level=warn msg="..." key=value ...
 * Only the agent and main log above debug; library modules return errors and
 * let their caller log once, with context. Warnings the agent carries on past
 * end in ", ignoring".
 */
#ifndef SL_BASE_LOG_H
#define SL_BASE_LOG_H

#include <stdbool.h>

enum sl_log_level {
        SL_LOG_DEBUG = 0,
        SL_LOG_INFO = 1,
        SL_LOG_WARN = 2,
        SL_LOG_ERROR = 3,
};

/* Messages below @level are discarded. Default SL_LOG_INFO. */
void sl_log_set_level(enum sl_log_level level);
/* Parses "debug", "info", "warn", "error". Returns 0 or -EINVAL. */
int sl_log_parse_level(const char *s, enum sl_log_level *ret_level);
bool sl_log_enabled(enum sl_log_level level);
/* @msg is printed as msg="..."; @fmt/... append key=value pairs verbatim. */
void sl_log(enum sl_log_level level, const char *msg, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define sl_log_debug(msg, ...) sl_log(SL_LOG_DEBUG, msg, __VA_ARGS__)
#define sl_log_info(msg, ...)  sl_log(SL_LOG_INFO, msg, __VA_ARGS__)
#define sl_log_warn(msg, ...)  sl_log(SL_LOG_WARN, msg, __VA_ARGS__)
#define sl_log_error(msg, ...) sl_log(SL_LOG_ERROR, msg, __VA_ARGS__)

#endif
