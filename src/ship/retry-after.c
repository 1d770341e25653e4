/* retry-after.c - see retry-after.h. */
#include "ship/retry-after.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/time-util.h"

static const char *const day_short[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_long[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* What is left of the text being parsed. */
struct cursor {
        const char *p;   /* next byte */
        const char *end; /* one past the last byte */
};

static bool take_char(struct cursor *c, char ch) {
        if (c->p < c->end && *c->p == ch) {
                c->p++;
                return true;
        }
        return false;
}

static bool is_digit(char ch) {
        return ch >= '0' && ch <= '9';
}

/* Exactly @n digits. */
static bool take_digits(struct cursor *c, int n, int *ret) {
        int v = 0;

        if (c->end - c->p < n)
                return false;
        for (int i = 0; i < n; i++) {
                if (!is_digit(c->p[i]))
                        return false;
                v = v * 10 + (c->p[i] - '0');
        }
        c->p += n;
        *ret = v;
        return true;
}

/* One of @names (exact bytes); returns its index or -1. */
static int take_name(struct cursor *c, const char *const *names, int n) {
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]);
                if ((size_t)(c->end - c->p) >= len && memcmp(c->p, names[i], len) == 0) {
                        c->p += len;
                        return i;
                }
        }
        return -1;
}

static bool take_word(struct cursor *c, const char *w) {
        size_t len = strlen(w);
        if ((size_t)(c->end - c->p) < len || memcmp(c->p, w, len) != 0)
                return false;
        c->p += len;
        return true;
}

/* time-of-day = hour ":" minute ":" second */
static bool take_time(struct cursor *c, int *h, int *m, int *s) {
        return take_digits(c, 2, h) && take_char(c, ':') && take_digits(c, 2, m) &&
               take_char(c, ':') && take_digits(c, 2, s);
}

static bool leap_year(int64_t y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m) {
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m in 1..12):
 * years counted from March, so the leap day ends a year; 400-year eras of
 * 146097 days. */
static int64_t days_from_civil(int64_t y, int m, int d) {
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* A two-digit year as the one within 50 years of the current year. */
static int64_t full_year(int yy, int64_t now_s) {
        time_t t = (time_t)now_s;
        struct tm tm;
        int64_t now_year, y;

        if (!gmtime_r(&t, &tm))
                return 1900 + yy;
        now_year = (int64_t)tm.tm_year + 1900;
        y = now_year - now_year % 100 + yy;
        if (y > now_year + 50)
                y -= 100;
        else if (y <= now_year - 50)
                y += 100;
        return y;
}

static struct sl_str trim(struct sl_str s) {
        while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
                s.ptr++, s.len--;
        while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
                         s.ptr[s.len - 1] == '\r' || s.ptr[s.len - 1] == '\n'))
                s.len--;
        return s;
}

int sl_http_date_parse(struct sl_str s, int64_t now_s, int64_t *ret_unix_s) {
        struct cursor c;
        int day = 0, month, hour, min, sec, y4 = 0, yy;
        int64_t year;

        s = trim(s);
        c = (struct cursor){ s.ptr, s.ptr + s.len };
        if (!s.len)
                return -EINVAL;

        if (take_name(&c, day_long, 7) >= 0) {
                /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
                if (!take_char(&c, ',') || !take_char(&c, ' ') || !take_digits(&c, 2, &day) ||
                    !take_char(&c, '-') || (month = take_name(&c, months, 12)) < 0 ||
                    !take_char(&c, '-') || !take_digits(&c, 2, &yy) || !take_char(&c, ' ') ||
                    !take_time(&c, &hour, &min, &sec) || !take_word(&c, " GMT"))
                        return -EINVAL;
                year = full_year(yy, now_s);
        } else if (take_name(&c, day_short, 7) >= 0) {
                if (take_char(&c, ',')) {
                        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
                        if (!take_char(&c, ' ') || !take_digits(&c, 2, &day) ||
                            !take_char(&c, ' ') || (month = take_name(&c, months, 12)) < 0 ||
                            !take_char(&c, ' ') || !take_digits(&c, 4, &y4) ||
                            !take_char(&c, ' ') || !take_time(&c, &hour, &min, &sec) ||
                            !take_word(&c, " GMT"))
                                return -EINVAL;
                } else {
                        /* asctime: Sun Nov  6 08:49:37 1994 */
                        if (!take_char(&c, ' ') || (month = take_name(&c, months, 12)) < 0 ||
                            !take_char(&c, ' '))
                                return -EINVAL;
                        if (take_char(&c, ' ')) {
                                if (!take_digits(&c, 1, &day))
                                        return -EINVAL;
                        } else if (!take_digits(&c, 2, &day)) {
                                return -EINVAL;
                        }
                        if (!take_char(&c, ' ') || !take_time(&c, &hour, &min, &sec) ||
                            !take_char(&c, ' ') || !take_digits(&c, 4, &y4))
                                return -EINVAL;
                }
                year = y4;
        } else {
                return -EINVAL;
        }
        if (c.p != c.end)
                return -EINVAL;
        month++;
        /* second 60: a leap second, as the grammar allows. */
        if (day < 1 || day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        *ret_unix_s = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
        return 0;
}

int sl_retry_after_parse(struct sl_str s, int64_t now_s, struct sl_retry_after *ret) {
        int64_t v = 0;
        size_t i;

        s = trim(s);
        if (!s.len)
                return -EINVAL;
        for (i = 0; i < s.len && is_digit(s.ptr[i]); i++)
                if (v < SL_RETRY_AFTER_MAX_S)
                        v = v * 10 + (s.ptr[i] - '0');
        if (i == s.len) {
                *ret = (struct sl_retry_after){ SL_RETRY_AFTER_DELAY,
                                                SL_MIN(v, (int64_t)SL_RETRY_AFTER_MAX_S) };
                return 0;
        }
        if (sl_http_date_parse(s, now_s, &v) < 0)
                return -EINVAL;
        *ret = (struct sl_retry_after){ SL_RETRY_AFTER_DATE, v };
        return 0;
}

uint64_t sl_retry_after_wait_ns(const struct sl_retry_after *ra, int64_t server_date_s,
                                int64_t now_wall_ns, uint64_t cap_ns) {
        int64_t ref_s, ref_frac_ns, ahead_s;
        uint64_t wait;

        switch (ra->kind) {
        case SL_RETRY_AFTER_DELAY:
                wait = (uint64_t)ra->value * SL_NSEC_PER_SEC;
                break;
        case SL_RETRY_AFTER_DATE:
                if (server_date_s >= 0) {
                        ref_s = server_date_s;
                        ref_frac_ns = 0;
                } else {
                        ref_s = now_wall_ns / (int64_t)SL_NSEC_PER_SEC;
                        ref_frac_ns = now_wall_ns % (int64_t)SL_NSEC_PER_SEC;
                }
                if (ra->value <= ref_s)
                        return 0;
                ahead_s = ra->value - ref_s;
                if (ahead_s > SL_RETRY_AFTER_MAX_S)
                        ahead_s = SL_RETRY_AFTER_MAX_S;
                wait = (uint64_t)ahead_s * SL_NSEC_PER_SEC - (uint64_t)ref_frac_ns;
                break;
        default:
                return 0;
        }
        return SL_MIN(wait, cap_ns);
}
