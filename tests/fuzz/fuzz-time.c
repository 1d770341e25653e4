/* fuzz-time.c - timestamp parsing (stages/time-parse.h) on hostile text.
 *
 * The whole input is the text. Checks, beyond the sanitizers:
 *   - RFC 3339: a time that is read, written again in UTC with all nine
 *     digits of its fraction, reads back to the same nanosecond;
 *   - Unix in each unit (s, ms, us, ns; with and without a fraction):
 *     the answer is the one of a reference reading with 128-bit arithmetic
 *     (digits with an optional '-', a fraction only where allowed, digits
 *     finer than the unit ignored, refused when the magnitude passes
 *     INT64_MAX ns), and nothing is written on a refusal.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "fuzz-util.h"
#include "stages/time-parse.h"

#define NS 1000000000LL

static void check_rfc3339(struct sl_str s) {
        int64_t ns = 777, again = 0, secs, frac;
        struct tm tm;
        time_t t;
        char text[64];

        if (sl_time_parse_rfc3339(s, &ns) < 0) {
                FUZZ_CHECK(ns == 777, "written on a refusal");
                return;
        }
        secs = ns / NS;
        frac = ns % NS;
        if (frac < 0) {
                secs--;
                frac += NS;
        }
        t = (time_t)secs;
        FUZZ_CHECK(gmtime_r(&t, &tm) != NULL, "gmtime of %lld", (long long)secs);
        snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
        FUZZ_CHECK(sl_time_parse_rfc3339(sl_str_c(text), &again) == 0 && again == ns,
                   "%lld written as %s reads as %lld", (long long)ns, text, (long long)again);
}

/* The reference reading of @s as a count of @unit_ns (a power of ten). */
static bool unix_ref(struct sl_str s, int64_t unit_ns, bool fraction, int64_t *ret) {
        const char *p = s.ptr, *end = s.ptr + s.len;
        __int128 whole = 0, frac = 0, v;
        bool neg = false;
        int64_t scale = unit_ns;

        if (p < end && *p == '-') {
                neg = true;
                p++;
        }
        if (p >= end || *p < '0' || *p > '9')
                return false;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
                if ((whole = whole * 10 + (*p - '0')) > INT64_MAX)
                        return false;
        if (fraction && p < end && *p == '.') {
                if (++p >= end || *p < '0' || *p > '9')
                        return false;
                for (; p < end && *p >= '0' && *p <= '9'; p++) {
                        scale /= 10;
                        frac += (*p - '0') * (__int128)scale;
                }
        }
        if (p != end)
                return false;
        v = whole * unit_ns + frac;
        if (v > INT64_MAX)
                return false;
        *ret = (int64_t)(neg ? -v : v);
        return true;
}

static void check_unix(struct sl_str s) {
        static const int64_t units[] = { 1, 1000, 1000000, NS };

        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
                for (int fraction = 0; fraction < 2; fraction++) {
                        int64_t got = 777, want = 0;
                        bool ok = unix_ref(s, units[u], fraction, &want);
                        int r = sl_time_parse_unix(s, units[u], fraction, &got);

                        FUZZ_CHECK((r == 0) == ok, "unit %lld fraction %d: %d, reference %d", (long long)units[u],
                                   fraction, r, ok);
                        FUZZ_CHECK(ok ? got == want : got == 777, "unit %lld fraction %d: %lld, want %lld",
                                   (long long)units[u], fraction, (long long)got, (long long)want);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sl_str s = sl_str_from((const char *)data, size);

        check_rfc3339(s);
        check_unix(s);
        return 0;
}
