/* time-parse.c - see time-parse.h. */
#include "stages/time-parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Reads exactly @n digits at @p. */
static bool digits(const char *p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!is_digit(p[i]))
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return true;
}

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads the 8 digits at @p into *@ret, a word at a time: the fraction of
 * Docker's times (nanoseconds) and apps' epoch times, on every line. False
 * when one of the bytes is not a digit. */
static bool digits8(const char *p, uint32_t *ret) {
        const uint64_t zeros = UINT64_C(0x3030303030303030), high = UINT64_C(0xf0f0f0f0f0f0f0f0);
        uint64_t x, d;

        memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        /* Each byte 0x30..0x39: high nibble 3, and the low one plus 6 does
         * not carry into the high nibble. */
        d = x - zeros;
        if ((x & high) != zeros || ((d + UINT64_C(0x0606060606060606)) & high))
                return false;
        /* The first byte is the most significant digit: pairs, then
         * quads, then the eight. */
        d = (d * (10 * 256 + 1) >> 8) & UINT64_C(0x00ff00ff00ff00ff);
        d = (d * (100 * 65536 + 1) >> 16) & UINT64_C(0x0000ffff0000ffff);
        d = d * (10000 * (UINT64_C(1) << 32) + 1) >> 32;
        *ret = (uint32_t)d;
        return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar: count
 * in 400-year eras starting in March, so the leap day ends each year. */
static int64_t days_from_civil(int y, int m, int d) {
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int sl_time_parse_rfc3339(struct sl_str s, int64_t *ret_ns) {
        const char *p = s.ptr, *end = s.ptr + s.len;
        int year, mon, day, hour, min, sec, oh = 0, om = 0;
        int64_t frac = 0, secs;
        int sign = 0;

        /* The seconds up to the minute of the last "YYYY-MM-DDTHH:MM"
         * read on this thread: Docker's times (one per line) share it for a
         * minute. Only a prefix that passed every check below is kept. */
        static _Thread_local char last_prefix[16];
        static _Thread_local int64_t last_minute_secs;
        int64_t minute_secs;

        /* YYYY-MM-DDTHH:MM:SS is 19 bytes, plus at least "Z". */
        if (s.len < 20)
                return -EINVAL;
        if (last_prefix[0] && memcmp(p, last_prefix, sizeof(last_prefix)) == 0) {
                minute_secs = last_minute_secs;
        } else {
                if (!digits(p, 4, &year) || p[4] != '-' || !digits(p + 5, 2, &mon) || p[7] != '-' ||
                    !digits(p + 8, 2, &day) || (p[10] != 'T' && p[10] != 't') ||
                    !digits(p + 11, 2, &hour) || p[13] != ':' || !digits(p + 14, 2, &min))
                        return -EINVAL;
                if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
                    min > 59)
                        return -EINVAL;
                minute_secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60;
                memcpy(last_prefix, p, sizeof(last_prefix));
                last_minute_secs = minute_secs;
        }
        if (p[16] != ':' || !digits(p + 17, 2, &sec) || sec > 59)
                return -EINVAL;
        p += 19;
        if (p < end && *p == '.') {
                int n = 0;
                uint32_t v8;

                p++;
                if (p >= end || !is_digit(*p))
                        return -EINVAL;
                if (end - p >= 8 && digits8(p, &v8)) {
                        frac = v8;
                        n = 8;
                        p += 8;
                }
                for (; p < end && is_digit(*p); p++, n++)
                        if (n < 9)
                                frac = frac * 10 + (*p - '0');
                for (; n < 9; n++)
                        frac *= 10;
        }
        if (p < end && (*p == 'Z' || *p == 'z')) {
                p++;
        } else if (p < end && (*p == '+' || *p == '-')) {
                sign = *p == '-' ? -1 : 1;
                if (end - p < 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
                    oh > 23 || om > 59)
                        return -EINVAL;
                p += 6;
        } else {
                return -EINVAL;
        }
        if (p != end)
                return -EINVAL;

        secs = minute_secs + sec;
        secs -= sign * (oh * 3600 + om * 60);
        /* int64 ns covers 1677-09-21 to 2262-04-11. */
        if (secs > INT64_MAX / NS_PER_SEC - 1 || secs < INT64_MIN / NS_PER_SEC + 1)
                return -EINVAL;
        *ret_ns = secs * NS_PER_SEC + frac;
        return 0;
}

int sl_time_parse_unix(struct sl_str s, int64_t unit_ns, bool fraction, int64_t *ret_ns) {
        const char *p = s.ptr, *end = s.ptr + s.len;
        bool neg = false;
        int64_t whole = 0, frac = 0, scale = unit_ns, ns;
        uint32_t v8;

        if (unit_ns <= 0 || s.len == 0)
                return -EINVAL;
        if (*p == '-') {
                neg = true;
                p++;
        }
        if (p >= end || !is_digit(*p))
                return -EINVAL;
        /* Checked with the overflow builtins rather than a division per
         * digit: the timestamp stage parses every line's time here. Eight
         * digits at a time while there are: the value only grows, so it
         * overflows after a block exactly when it would within it. */
        while (end - p >= 8 && digits8(p, &v8)) {
                if (__builtin_mul_overflow(whole, 100000000, &whole) ||
                    __builtin_add_overflow(whole, (int64_t)v8, &whole))
                        return -EINVAL;
                p += 8;
        }
        for (; p < end && is_digit(*p); p++) {
                if (__builtin_mul_overflow(whole, 10, &whole) ||
                    __builtin_add_overflow(whole, *p - '0', &whole))
                        return -EINVAL;
        }
        if (fraction && p < end && *p == '.') {
                p++;
                if (p >= end || !is_digit(*p))
                        return -EINVAL;
                /* Each fraction digit is worth a tenth of the one before;
                 * digits finer than a nanosecond are ignored. */
                for (; p < end && is_digit(*p); p++) {
                        scale /= 10;
                        frac += (*p - '0') * scale;
                }
        }
        if (p != end)
                return -EINVAL;
        if (whole > (INT64_MAX - frac) / unit_ns)
                return -EINVAL;
        ns = whole * unit_ns + frac;
        *ret_ns = neg ? -ns : ns;
        return 0;
}
