/* time-parse.h - timestamps as applications and Docker write them, to Unix
 * nanoseconds (pure).
 *
 * Shared by the docker stage (Docker's `time`, RFC 3339 with nanoseconds)
 * and the timestamp stage (the formats Promtail names RFC3339, RFC3339Nano,
 * Unix, UnixMs, UnixUs, UnixNs). Nothing is allocated; any thread (the
 * RFC 3339 reader remembers the last date, hour and minute it read, per
 * thread, to skip reading them again; no result depends on it).
 * Every function returns 0 and writes *ret_ns, or returns -EINVAL and leaves
 * it untouched.
 */
#ifndef SL_STAGES_TIME_PARSE_H
#define SL_STAGES_TIME_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/str.h"

/* "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456789+02:00": date, 'T'
 * (or 't'), time, an optional fraction of any length (digits past the 9th
 * are ignored), then 'Z' or a numeric offset. Ranges are checked (month,
 * day of that month, 23:59:59). Go reads RFC3339 and RFC3339Nano alike, and
 * so does this. */
int sl_time_parse_rfc3339(struct sl_str s, int64_t *ret_ns);

/* A count of @unit_ns (1e9 for seconds, 1e6 ms, 1e3 us, 1 ns) since the
 * epoch: digits with an optional leading '-', then, only when @fraction, an
 * optional fraction ("1700000000.123" in seconds; digits finer than 1ns are
 * ignored). Promtail takes a fraction for Unix only, so that a fallback list
 * [UnixMs, Unix] reads "1700000000.5" as seconds. Values that do not fit in
 * int64 ns fail. */
int sl_time_parse_unix(struct sl_str s, int64_t unit_ns, bool fraction, int64_t *ret_ns);

#endif
