/* level.h - log severities as sluice understands them (pure).
 *
 * Applications write their level in many spellings: pino and bunyan use
 * numbers (10 trace ... 60 fatal), others names in any case ("INFO",
 * "warning", "ERR", "critical"). sl_level_parse() folds them all onto six
 * levels so a pipeline can filter on one threshold and label streams with
 * one spelling (sl_level_name()).
 *
 * Owns nothing; every function is pure and may be called from any thread.
 * Invariant: the enum is ordered by severity, so `a < b` means a is less
 * severe; SL_LEVEL_UNKNOWN sorts below everything and callers test for it.
 */
#ifndef SL_PIPELINE_LEVEL_H
#define SL_PIPELINE_LEVEL_H

#include "base/str.h"

enum sl_level {
        SL_LEVEL_UNKNOWN, /* missing or not recognised */
        SL_LEVEL_TRACE,   /* pino 10 */
        SL_LEVEL_DEBUG,   /* pino 20; debug, dbg */
        SL_LEVEL_INFO,    /* pino 30; info, information, informational, notice */
        SL_LEVEL_WARN,    /* pino 40; warn, warning */
        SL_LEVEL_ERROR,   /* pino 50; err, error */
        SL_LEVEL_FATAL,   /* pino 60; fatal, panic, crit, critical, alert, emerg, emergency */
};

/* Reads a level written as a pino number or as a name (case-insensitive,
 * surrounding blanks ignored). Numbers between pino's steps fall to the step
 * below (35 is info), numbers under 10 are trace, numbers over 60 fatal.
 * Anything else (empty, negative, fractional, unknown word) is
 * SL_LEVEL_UNKNOWN. */
enum sl_level sl_level_parse(struct sl_str s);

/* Reads a level name only (no numbers), for configuration: "info", "WARN".
 * Returns SL_LEVEL_UNKNOWN for NULL or an unknown name. */
enum sl_level sl_level_from_name(const char *name);

/* The canonical lower-case name: "trace", "debug", "info", "warn", "error",
 * "fatal", or "unknown". Returns a static string. */
const char *sl_level_name(enum sl_level level);
/* sl_level_name() as a slice (its length known: no strlen() per line). */
struct sl_str sl_level_str(enum sl_level level);

#endif
