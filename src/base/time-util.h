/* time-util.h - one unit for time: uint64_t nanoseconds.
 *
 * CLOCK_MONOTONIC for deadlines and durations, CLOCK_REALTIME for entry
 * timestamps. Durations in options are nanoseconds too.
 */
#ifndef SL_BASE_TIME_UTIL_H
#define SL_BASE_TIME_UTIL_H

#include <stdint.h>
#include <time.h>

#define SL_NSEC_PER_USEC 1000ULL
#define SL_NSEC_PER_MSEC 1000000ULL
#define SL_NSEC_PER_SEC  1000000000ULL
#define SL_TIME_INFINITY UINT64_MAX

static inline uint64_t sl_clock_ns(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * SL_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Monotonic now, for deadlines. */
static inline uint64_t sl_now_ns(void) {
        return sl_clock_ns(CLOCK_MONOTONIC);
}

/* Wall-clock now, for timestamps. */
static inline int64_t sl_wall_ns(void) {
        return (int64_t)sl_clock_ns(CLOCK_REALTIME);
}

#endif
