/* retry-after.h - the Retry-After header of a 429 or 503 answer (pure).
 *
 * RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds. A recipient
 * must accept the three HTTP-date forms (§5.6.7):
 *   IMF-fixdate   Sun, 06 Nov 1994 08:49:37 GMT   (the one senders use)
 *   RFC 850       Sunday, 06-Nov-94 08:49:37 GMT  (two-digit year: within
 *                                                  50 years of now)
 *   asctime       Sun Nov  6 08:49:37 1994
 * Names are matched case-sensitively, as the grammar says; surrounding
 * whitespace is ignored. A date is turned into a wait against the answer's
 * own Date header when it has one (so clock skew between Loki and this host
 * does not matter), else against the local wall clock.
 *
 * Owns and borrows nothing; every function works on its arguments only.
 * Threading: any thread.
 */
#ifndef SL_SHIP_RETRY_AFTER_H
#define SL_SHIP_RETRY_AFTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/str.h"

#define SL_RETRY_AFTER_MAX_S (7 * 24 * 3600) /* longer delays are clamped to this */

enum sl_retry_after_kind {
        SL_RETRY_AFTER_NONE,  /* no usable header */
        SL_RETRY_AFTER_DELAY, /* delay-seconds */
        SL_RETRY_AFTER_DATE,  /* an HTTP-date */
};

struct sl_retry_after {
        enum sl_retry_after_kind kind; /* which form was given */
        int64_t value;                 /* DELAY: seconds, clamped to SL_RETRY_AFTER_MAX_S;
                                        * DATE: Unix seconds */
};

/* Parses an HTTP-date in any of the three forms into Unix seconds. @now_s
 * (Unix seconds) places an RFC 850 two-digit year. Returns 0, or -EINVAL
 * (nothing written) when @s is not an HTTP-date or names an impossible
 * date. */
int sl_http_date_parse(struct sl_str s, int64_t now_s, int64_t *ret_unix_s);

/* Parses a Retry-After value (the header's text after the colon). Returns 0
 * with *@ret filled, or -EINVAL (nothing written) when it is neither
 * delay-seconds nor an HTTP-date. */
int sl_retry_after_parse(struct sl_str s, int64_t now_s, struct sl_retry_after *ret);

/* The wait @ra asks for, in ns, at most @cap_ns. A date is compared with
 * @server_date_s (the answer's Date header in Unix seconds; negative when
 * absent) or else with @now_wall_ns; a date in the past means no wait.
 * Returns 0 for SL_RETRY_AFTER_NONE. */
uint64_t sl_retry_after_wait_ns(const struct sl_retry_after *ra, int64_t server_date_s,
                                int64_t now_wall_ns, uint64_t cap_ns);

#endif
