/* fuzz-retry-after.c - the Retry-After header (ship/retry-after.h) on
 * hostile text, at a few "now"s (1970, 2026, 2100).
 *
 * The whole input is the header's value. Checks, beyond the sanitizers:
 *   - a delay lies in [0, SL_RETRY_AFTER_MAX_S];
 *   - a date is the one sl_http_date_parse() reads; written again as an
 *     IMF-fixdate it reads back to the same second (a leap second aside);
 *   - the wait never exceeds the cap, a date in the past means no wait,
 *     and a delay waits exactly its seconds (under the cap).
 */
#include <stdint.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/time-util.h"
#include "fuzz-util.h"
#include "ship/retry-after.h"

static const int64_t nows[] = { 0, 1767323045, 4102444800 };

static void check_date_round_trip(int64_t unix_s, int64_t now_s) {
        static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        time_t t = (time_t)unix_s;
        struct tm tm;
        char text[64];
        int64_t again = -1;

        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
                return;
        snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        FUZZ_CHECK(sl_http_date_parse(sl_str_c(text), now_s, &again) == 0 && again == unix_s,
                   "%lld written as \"%s\" reads as %lld", (long long)unix_s, text, (long long)again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sl_str s = sl_str_from((const char *)data, size);

        for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
                const uint64_t cap = 300 * SL_NSEC_PER_SEC;
                struct sl_retry_after ra = { SL_RETRY_AFTER_NONE, -1 };
                int64_t date = -1, now_ns = nows[i] * (int64_t)SL_NSEC_PER_SEC + 123456789;
                uint64_t wait;

                if (sl_retry_after_parse(s, nows[i], &ra) < 0) {
                        FUZZ_CHECK(ra.kind == SL_RETRY_AFTER_NONE && ra.value == -1, "written on a refusal");
                        continue;
                }
                wait = sl_retry_after_wait_ns(&ra, -1, now_ns, cap);
                FUZZ_CHECK(wait <= cap, "wait %llu over the cap", (unsigned long long)wait);
                if (ra.kind == SL_RETRY_AFTER_DELAY) {
                        FUZZ_CHECK(ra.value >= 0 && ra.value <= SL_RETRY_AFTER_MAX_S, "delay %lld",
                                   (long long)ra.value);
                        FUZZ_CHECK(wait == SL_MIN((uint64_t)ra.value * SL_NSEC_PER_SEC, cap), "delay wait");
                        continue;
                }
                FUZZ_CHECK(ra.kind == SL_RETRY_AFTER_DATE, "kind %d", ra.kind);
                FUZZ_CHECK(sl_http_date_parse(s, nows[i], &date) == 0 && date == ra.value, "date differs");
                if (ra.value <= nows[i])
                        FUZZ_CHECK(wait == 0, "a past date waits");
                FUZZ_CHECK(sl_retry_after_wait_ns(&ra, ra.value, now_ns, cap) == 0, "the server's now waits");
                FUZZ_CHECK(sl_retry_after_wait_ns(&ra, 0, now_ns, UINT64_MAX) <=
                                   (uint64_t)SL_RETRY_AFTER_MAX_S * SL_NSEC_PER_SEC,
                           "a wait past the longest delay");
                if (!memmem(s.ptr, s.len, ":60 ", 4))
                        check_date_round_trip(ra.value, nows[i]);
        }
        return 0;
}
