/* go-time.c - see go-time.h. */
#include "stages/go-time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fs-util.h"
#include "base/xalloc.h"

enum std {
        STD_LITERAL = 0,
        STD_LONG_MONTH,    /* January */
        STD_MONTH,         /* Jan */
        STD_NUM_MONTH,     /* 1 */
        STD_ZERO_MONTH,    /* 01 */
        STD_LONG_WEEKDAY,  /* Monday */
        STD_WEEKDAY,       /* Mon */
        STD_DAY,           /* 2 */
        STD_UNDER_DAY,     /* _2 */
        STD_ZERO_DAY,      /* 02 */
        STD_UNDER_YDAY,    /* __2 */
        STD_ZERO_YDAY,     /* 002 */
        STD_HOUR,          /* 15 */
        STD_HOUR12,        /* 3 */
        STD_ZERO_HOUR12,   /* 03 */
        STD_MINUTE,        /* 4 */
        STD_ZERO_MINUTE,   /* 04 */
        STD_SECOND,        /* 5 */
        STD_ZERO_SECOND,   /* 05 */
        STD_LONG_YEAR,     /* 2006 */
        STD_YEAR,          /* 06 */
        STD_PM,            /* PM */
        STD_LOWER_PM,      /* pm */
        STD_TZ,            /* MST */
        STD_ISO_TZ,        /* Z0700 */
        STD_ISO_SECS_TZ,   /* Z070000 */
        STD_ISO_SHORT_TZ,  /* Z07 */
        STD_ISO_COLON_TZ,  /* Z07:00 */
        STD_ISO_COLON_SECS_TZ, /* Z07:00:00 */
        STD_NUM_TZ,        /* -0700 */
        STD_NUM_SECS_TZ,   /* -070000 */
        STD_NUM_SHORT_TZ,  /* -07 */
        STD_NUM_COLON_TZ,  /* -07:00 */
        STD_NUM_COLON_SECS_TZ, /* -07:00:00 */
        STD_FRAC0,         /* .000: exactly n digits */
        STD_FRAC9,         /* .999: optional, any digits */
};

struct elem {
        enum std std;
        char *text;  /* STD_LITERAL: owned */
        size_t len;  /* STD_LITERAL: its length; STD_FRAC*: digits */
};

struct sl_go_layout {
        struct elem *elems; /* owned */
        size_t n, cap;
        bool has_year;      /* "06" or "2006" appears in the text */
};

struct zone_type {
        int32_t offset;
        char abbr[16];
};

struct sl_go_zone {
        int64_t *trans;          /* owned: transition times */
        uint8_t *idx;            /* owned: type of each transition */
        size_t n_trans;
        struct zone_type *types; /* owned */
        size_t n_types;
};

static const char *const long_months[] = { "January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December" };
static const char *const long_days[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday" };

static const struct {
        const char *name, *layout;
} named[] = {
        { "ANSIC", "Mon Jan _2 15:04:05 2006" },
        { "UnixDate", "Mon Jan _2 15:04:05 MST 2006" },
        { "RubyDate", "Mon Jan 02 15:04:05 -0700 2006" },
        { "RFC822", "02 Jan 06 15:04 MST" },
        { "RFC822Z", "02 Jan 06 15:04 -0700" },
        { "RFC850", "Monday, 02-Jan-06 15:04:05 MST" },
        { "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST" },
        { "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700" },
        { "RFC3339", "2006-01-02T15:04:05Z07:00" },
        { "RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00" },
        { "Kitchen", "3:04PM" },
        { "Stamp", "Jan _2 15:04:05" },
        { "StampMilli", "Jan _2 15:04:05.000" },
        { "StampMicro", "Jan _2 15:04:05.000000" },
        { "StampNano", "Jan _2 15:04:05.000000000" },
        { "DateTime", "2006-01-02 15:04:05" },
        { "DateOnly", "2006-01-02" },
        { "TimeOnly", "15:04:05" },
};

const char *sl_go_named_layout(const char *name) {
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
                if (strcmp(named[i].name, name) == 0)
                        return named[i].layout;
        return NULL;
}

static bool starts(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool lower(char c) {
        return c >= 'a' && c <= 'z';
}

static bool digit(char c) {
        return c >= '0' && c <= '9';
}

/* The element starting at @p, or STD_LITERAL; *@len its length in the
 * layout (Go's nextStdChunk). */
static enum std std_at(const char *p, size_t *len, size_t *digits) {
        switch (*p) {
        case 'J':
                if (starts(p, "January")) return *len = 7, STD_LONG_MONTH;
                if (starts(p, "Jan") && !lower(p[3])) return *len = 3, STD_MONTH;
                break;
        case 'M':
                if (starts(p, "Monday")) return *len = 6, STD_LONG_WEEKDAY;
                if (starts(p, "Mon") && !lower(p[3])) return *len = 3, STD_WEEKDAY;
                if (starts(p, "MST")) return *len = 3, STD_TZ;
                break;
        case '0':
                if (p[1] >= '1' && p[1] <= '6') {
                        static const enum std zero[] = { STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12,
                                                         STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR };
                        return *len = 2, zero[p[1] - '1'];
                }
                if (p[1] == '0' && p[2] == '2') return *len = 3, STD_ZERO_YDAY;
                break;
        case '1':
                if (p[1] == '5') return *len = 2, STD_HOUR;
                return *len = 1, STD_NUM_MONTH;
        case '2':
                if (starts(p, "2006")) return *len = 4, STD_LONG_YEAR;
                return *len = 1, STD_DAY;
        case '_':
                if (p[1] == '2' && !starts(p + 1, "2006")) return *len = 2, STD_UNDER_DAY;
                if (p[1] == '_' && p[2] == '2') return *len = 3, STD_UNDER_YDAY;
                break;
        case '3': return *len = 1, STD_HOUR12;
        case '4': return *len = 1, STD_MINUTE;
        case '5': return *len = 1, STD_SECOND;
        case 'P':
                if (p[1] == 'M') return *len = 2, STD_PM;
                break;
        case 'p':
                if (p[1] == 'm') return *len = 2, STD_LOWER_PM;
                break;
        case '-':
                if (starts(p, "-070000")) return *len = 7, STD_NUM_SECS_TZ;
                if (starts(p, "-07:00:00")) return *len = 9, STD_NUM_COLON_SECS_TZ;
                if (starts(p, "-0700")) return *len = 5, STD_NUM_TZ;
                if (starts(p, "-07:00")) return *len = 6, STD_NUM_COLON_TZ;
                if (starts(p, "-07")) return *len = 3, STD_NUM_SHORT_TZ;
                break;
        case 'Z':
                if (starts(p, "Z070000")) return *len = 7, STD_ISO_SECS_TZ;
                if (starts(p, "Z07:00:00")) return *len = 9, STD_ISO_COLON_SECS_TZ;
                if (starts(p, "Z0700")) return *len = 5, STD_ISO_TZ;
                if (starts(p, "Z07:00")) return *len = 6, STD_ISO_COLON_TZ;
                if (starts(p, "Z07")) return *len = 3, STD_ISO_SHORT_TZ;
                break;
        case '.':
        case ',':
                if (p[1] == '0' || p[1] == '9') {
                        char ch = p[1];
                        size_t j = 1;
                        while (p[j] == ch)
                                j++;
                        if (!digit(p[j])) {
                                *digits = j - 1;
                                *len = j;
                                return ch == '0' ? STD_FRAC0 : STD_FRAC9;
                        }
                }
                break;
        }
        return STD_LITERAL;
}

static void add(struct sl_go_layout *l, enum std std, const char *text, size_t len) {
        struct elem *e;

        sl_xgrow((void **)&l->elems, sizeof(*l->elems), &l->cap, l->n + 1);
        e = &l->elems[l->n++];
        e->std = std;
        e->len = len;
        e->text = std == STD_LITERAL ? sl_xstrndup(text, len) : NULL;
}

int sl_go_layout_new(const char *layout, struct sl_go_layout **ret) {
        _cleanup_(sl_go_layout_freep) struct sl_go_layout *l = sl_xnew(struct sl_go_layout);
        const char *lit = layout, *p = layout;
        bool any = false;

        l->has_year = strstr(layout, "06") != NULL;
        while (*p) {
                size_t len = 0, digits = 0;
                enum std std = std_at(p, &len, &digits);

                if (std == STD_LITERAL) {
                        p++;
                        continue;
                }
                if (p > lit)
                        add(l, STD_LITERAL, lit, (size_t)(p - lit));
                add(l, std, NULL, std == STD_FRAC0 || std == STD_FRAC9 ? digits : 0);
                any = true;
                p += len;
                lit = p;
        }
        if (p > lit)
                add(l, STD_LITERAL, lit, (size_t)(p - lit));
        if (!any)
                return -EINVAL;
        *ret = TAKE_PTR(l);
        return 0;
}

void sl_go_layout_free(struct sl_go_layout *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->elems[i].text);
        free(l->elems);
        free(l);
}

/* ---- zones -------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p) {
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
        return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

int sl_go_zone_load(const char *name, struct sl_go_zone **ret, char *msg, size_t msg_size) {
        _cleanup_(sl_go_zone_freep) struct sl_go_zone *z = sl_xnew(struct sl_go_zone);
        _cleanup_free_ char *data = NULL, *path = NULL;
        const unsigned char *p, *end;
        uint32_t cnt[6];
        size_t len, skip;
        int r;

        if (!name[0] || strcmp(name, "UTC") == 0) {
                z->types = sl_xnew(struct zone_type);
                snprintf(z->types[0].abbr, sizeof(z->types[0].abbr), "UTC");
                z->n_types = 1;
                *ret = TAKE_PTR(z);
                return 0;
        }
        if (strcmp(name, "Local") == 0 || name[0] == '/' || strstr(name, "..")) {
                snprintf(msg, msg_size, "unknown time zone %s", name);
                return -EINVAL;
        }
        path = sl_xasprintf("/usr/share/zoneinfo/%s", name);
        r = sl_read_file(path, 1u << 20, &data, &len);
        if (r < 0) {
                snprintf(msg, msg_size, "unknown time zone %s", name);
                return -EINVAL;
        }
        p = (const unsigned char *)data;
        end = p + len;
        if (len < 44 || memcmp(p, "TZif", 4) != 0 || p[4] < '2') {
                snprintf(msg, msg_size, "%s: not a TZif file of version 2 or later", path);
                return -EINVAL;
        }
        for (int i = 0; i < 6; i++)
                cnt[i] = be32(p + 20 + 4 * i);
        /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: skip the
         * 32-bit block. */
        skip = 44 + (size_t)cnt[3] * 5 + (size_t)cnt[4] * 6 + cnt[5] + (size_t)cnt[2] * 8 + cnt[1] + cnt[0];
        p += skip;
        if (end - p < 44 || memcmp(p, "TZif", 4) != 0)
                goto bad;
        for (int i = 0; i < 6; i++)
                cnt[i] = be32(p + 20 + 4 * i);
        p += 44;
        if ((size_t)(end - p) < (size_t)cnt[3] * 9 + (size_t)cnt[4] * 6 + cnt[5] || cnt[4] == 0)
                goto bad;
        z->n_trans = cnt[3];
        z->trans = sl_xcalloc(cnt[3] + 1, sizeof(*z->trans));
        z->idx = sl_xcalloc(cnt[3] + 1, 1);
        for (size_t i = 0; i < cnt[3]; i++)
                z->trans[i] = be64(p + 8 * i);
        p += (size_t)cnt[3] * 8;
        memcpy(z->idx, p, cnt[3]);
        p += cnt[3];
        z->n_types = cnt[4];
        z->types = sl_xcalloc(cnt[4], sizeof(*z->types));
        for (size_t i = 0; i < cnt[4]; i++) {
                const unsigned char *t = p + 6 * i;
                size_t ai = t[5];
                z->types[i].offset = (int32_t)be32(t);
                if (ai < cnt[5])
                        snprintf(z->types[i].abbr, sizeof(z->types[i].abbr), "%s",
                                 (const char *)(p + 6 * cnt[4] + ai));
        }
        for (size_t i = 0; i < z->n_trans; i++)
                if (z->idx[i] >= z->n_types)
                        goto bad;
        *ret = TAKE_PTR(z);
        return 0;
bad:
        snprintf(msg, msg_size, "%s: malformed TZif file", path);
        return -EINVAL;
}

void sl_go_zone_free(struct sl_go_zone *z) {
        if (!z)
                return;
        free(z->trans);
        free(z->idx);
        free(z->types);
        free(z);
}

/* The zone type in effect at @secs, and the period [start, end) it
 * covers (Go's Location.lookup). */
static const struct zone_type *lookup(const struct sl_go_zone *z, int64_t secs, int64_t *start,
                                      int64_t *end) {
        size_t lo = 0, hi = z->n_trans;

        *start = INT64_MIN;
        *end = INT64_MAX;
        if (z->n_trans == 0 || secs < z->trans[0]) {
                if (z->n_trans)
                        *end = z->trans[0];
                return &z->types[0];
        }
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (z->trans[mid] <= secs)
                        lo = mid;
                else
                        hi = mid;
        }
        *start = z->trans[lo];
        if (lo + 1 < z->n_trans)
                *end = z->trans[lo + 1];
        return &z->types[z->idx[lo]];
}

/* ---- parsing ------------------------------------------------------------ */

static bool days_ok(int year, int month, int day) {
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int n = days[month - 1];

        if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
                n = 29;
        return day >= 1 && day <= n;
}

/* Days from 1970-01-01 to @y-@m-@d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* Case-insensitive prefix match of @name in @v; returns its length or 0. */
static size_t match_name(const char *v, size_t n, const char *name) {
        size_t len = strlen(name);

        if (n < len || strncasecmp(v, name, len) != 0)
                return 0;
        return len;
}

/* Go's getnum: one or two digits (@fixed: exactly two). */
static bool getnum(const char **v, const char *end, bool fixed, int *ret) {
        const char *p = *v;

        if (p >= end || !digit(*p))
                return false;
        if (p + 1 >= end || !digit(p[1])) {
                if (fixed)
                        return false;
                *ret = *p - '0';
                *v = p + 1;
                return true;
        }
        *ret = (p[0] - '0') * 10 + (p[1] - '0');
        *v = p + 2;
        return true;
}

static bool getnum3(const char **v, const char *end, bool fixed, int *ret) {
        int n = 0, i = 0;
        const char *p = *v;

        for (; i < 3 && p + i < end && digit(p[i]); i++)
                n = n * 10 + (p[i] - '0');
        if (i == 0 || (fixed && i != 3))
                return false;
        *ret = n;
        *v = p + i;
        return true;
}

/* Digits of a fraction, [p, p + n): nanoseconds. */
static int64_t nanos(const char *p, size_t n) {
        int64_t ns = 0;
        size_t i;

        for (i = 0; i < n && i < 9; i++)
                ns = ns * 10 + (p[i] - '0');
        for (; i < 9; i++)
                ns *= 10;
        return ns;
}

/* A numeric zone: sign, hours, [':'] minutes, [':'] seconds per @std. */
static bool numeric_zone(const char **v, const char *end, enum std std, int *ret_offset) {
        const char *p = *v;
        bool colon = std == STD_NUM_COLON_TZ || std == STD_ISO_COLON_TZ || std == STD_NUM_COLON_SECS_TZ ||
                     std == STD_ISO_COLON_SECS_TZ;
        bool secs = std == STD_NUM_SECS_TZ || std == STD_ISO_SECS_TZ || std == STD_NUM_COLON_SECS_TZ ||
                    std == STD_ISO_COLON_SECS_TZ;
        bool shrt = std == STD_NUM_SHORT_TZ || std == STD_ISO_SHORT_TZ;
        int hh, mm = 0, ss = 0, sign;
        size_t need = 3 + (shrt ? 0 : 2 + colon) + (secs ? 2 + colon : 0);

        if ((size_t)(end - p) < need || (*p != '+' && *p != '-'))
                return false;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digit(p[0]) || !digit(p[1]))
                return false;
        hh = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (!shrt) {
                if (colon && *p++ != ':')
                        return false;
                if (!digit(p[0]) || !digit(p[1]))
                        return false;
                mm = (p[0] - '0') * 10 + (p[1] - '0');
                p += 2;
        }
        if (secs) {
                if (colon && *p++ != ':')
                        return false;
                if (!digit(p[0]) || !digit(p[1]))
                        return false;
                ss = (p[0] - '0') * 10 + (p[1] - '0');
                p += 2;
        }
        if (hh > 24 || mm > 60 || ss > 60)
                return false;
        *ret_offset = sign * (hh * 3600 + mm * 60 + ss);
        *v = p;
        return true;
}

int sl_go_time_parse(const struct sl_go_layout *l, struct sl_str value, const struct sl_go_zone *zone,
                     int64_t now_ns, int64_t *ret_ns) {
        const char *v = value.ptr ? value.ptr : "", *end = v + value.len;
        int year = 0, month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, offset = 0;
        int64_t nsec = 0, secs;
        bool pm_set = false, am_set = false, has_offset = false, has_name = false;
        char zname[16] = "";

        for (size_t i = 0; i < l->n; i++) {
                const struct elem *e = &l->elems[i];
                size_t n;
                int x;

                switch (e->std) {
                case STD_LITERAL:
                        if ((size_t)(end - v) < e->len || memcmp(v, e->text, e->len) != 0)
                                return -EINVAL;
                        v += e->len;
                        break;
                case STD_YEAR:
                        if (end - v < 2 || !digit(v[0]) || !digit(v[1]))
                                return -EINVAL;
                        year = (v[0] - '0') * 10 + (v[1] - '0');
                        year += year >= 69 ? 1900 : 2000;
                        v += 2;
                        break;
                case STD_LONG_YEAR:
                        if (end - v < 4 || !digit(v[0]) || !digit(v[1]) || !digit(v[2]) || !digit(v[3]))
                                return -EINVAL;
                        year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
                        v += 4;
                        break;
                case STD_MONTH:
                case STD_LONG_MONTH:
                        for (x = 0; x < 12; x++) {
                                char shortname[4];
                                snprintf(shortname, sizeof(shortname), "%.3s", long_months[x]);
                                n = match_name(v, (size_t)(end - v),
                                               e->std == STD_MONTH ? shortname : long_months[x]);
                                if (n)
                                        break;
                        }
                        if (x == 12)
                                return -EINVAL;
                        month = x + 1;
                        v += n;
                        break;
                case STD_NUM_MONTH:
                case STD_ZERO_MONTH:
                        if (!getnum(&v, end, e->std == STD_ZERO_MONTH, &month) || month < 1 || month > 12)
                                return -EINVAL;
                        break;
                case STD_WEEKDAY:
                case STD_LONG_WEEKDAY:
                        for (x = 0; x < 7; x++) {
                                char shortname[4];
                                snprintf(shortname, sizeof(shortname), "%.3s", long_days[x]);
                                n = match_name(v, (size_t)(end - v),
                                               e->std == STD_WEEKDAY ? shortname : long_days[x]);
                                if (n)
                                        break;
                        }
                        if (x == 7)
                                return -EINVAL;
                        v += n;
                        break;
                case STD_DAY:
                case STD_UNDER_DAY:
                case STD_ZERO_DAY:
                        if (e->std == STD_UNDER_DAY && v < end && *v == ' ')
                                v++;
                        if (!getnum(&v, end, e->std == STD_ZERO_DAY, &day))
                                return -EINVAL;
                        break;
                case STD_UNDER_YDAY:
                case STD_ZERO_YDAY:
                        for (x = 0; x < 2 && e->std == STD_UNDER_YDAY && v < end && *v == ' '; x++)
                                v++;
                        if (!getnum3(&v, end, e->std == STD_ZERO_YDAY, &yday) || yday < 1 || yday > 366)
                                return -EINVAL;
                        break;
                case STD_HOUR:
                        if (!getnum(&v, end, false, &hour) || hour > 23)
                                return -EINVAL;
                        break;
                case STD_HOUR12:
                case STD_ZERO_HOUR12:
                        if (!getnum(&v, end, e->std == STD_ZERO_HOUR12, &hour) || hour > 12)
                                return -EINVAL;
                        break;
                case STD_MINUTE:
                case STD_ZERO_MINUTE:
                        if (!getnum(&v, end, e->std == STD_ZERO_MINUTE, &min) || min > 59)
                                return -EINVAL;
                        break;
                case STD_SECOND:
                case STD_ZERO_SECOND:
                        if (!getnum(&v, end, e->std == STD_ZERO_SECOND, &sec) || sec > 59)
                                return -EINVAL;
                        /* A fraction the layout does not name is read anyway,
                         * unless the next element is one. */
                        if (end - v >= 2 && (*v == '.' || *v == ',') && digit(v[1]) &&
                            !(i + 1 < l->n && (l->elems[i + 1].std == STD_FRAC0 ||
                                               l->elems[i + 1].std == STD_FRAC9))) {
                                const char *f = ++v;
                                while (v < end && digit(*v))
                                        v++;
                                nsec = nanos(f, (size_t)(v - f));
                        }
                        break;
                case STD_PM:
                case STD_LOWER_PM:
                        if (end - v < 2)
                                return -EINVAL;
                        if (e->std == STD_PM ? (v[0] == 'P' && v[1] == 'M') : (v[0] == 'p' && v[1] == 'm'))
                                pm_set = true;
                        else if (e->std == STD_PM ? (v[0] == 'A' && v[1] == 'M')
                                                  : (v[0] == 'a' && v[1] == 'm'))
                                am_set = true;
                        else
                                return -EINVAL;
                        v += 2;
                        break;
                case STD_ISO_TZ:
                case STD_ISO_SECS_TZ:
                case STD_ISO_SHORT_TZ:
                case STD_ISO_COLON_TZ:
                case STD_ISO_COLON_SECS_TZ:
                        if (v < end && *v == 'Z') {
                                v++;
                                has_offset = true;
                                offset = 0;
                                break;
                        }
                        /* fall through */
                case STD_NUM_TZ:
                case STD_NUM_SECS_TZ:
                case STD_NUM_SHORT_TZ:
                case STD_NUM_COLON_TZ:
                case STD_NUM_COLON_SECS_TZ:
                        if (!numeric_zone(&v, end, e->std, &offset))
                                return -EINVAL;
                        has_offset = true;
                        break;
                case STD_TZ: {
                        /* Go's parseTimeZone: UTC, or 3 to 5 upper-case
                         * letters (ChST, MeST too), or GMT+h. */
                        const char *s = v;
                        if (end - v >= 3 && memcmp(v, "UTC", 3) == 0) {
                                v += 3;
                                has_offset = true;
                                offset = 0;
                                break;
                        }
                        if (end - v >= 3 && memcmp(v, "GMT", 3) == 0) {
                                v += 3;
                                if (v < end && (*v == '+' || *v == '-')) {
                                        int sign = *v == '-' ? -1 : 1, h = 0;
                                        const char *q = v + 1;
                                        while (q < end && digit(*q) && q - v <= 2)
                                                h = h * 10 + (*q++ - '0');
                                        if (q == v + 1 || h > 23)
                                                return -EINVAL;
                                        offset = sign * h * 3600;
                                        v = q;
                                }
                                has_offset = true;
                                break;
                        }
                        while (v < end && v - s < 5 && *v >= 'A' && *v <= 'Z')
                                v++;
                        if (v - s < 3)
                                return -EINVAL;
                        snprintf(zname, sizeof(zname), "%.*s", (int)(v - s), s);
                        has_name = true;
                        break;
                }
                case STD_FRAC0:
                        if ((size_t)(end - v) < 1 + e->len || (*v != '.' && *v != ',') || !digit(v[1]))
                                return -EINVAL;
                        for (size_t k = 1; k <= e->len; k++)
                                if (!digit(v[k]))
                                        return -EINVAL;
                        nsec = nanos(v + 1, e->len);
                        v += 1 + e->len;
                        break;
                case STD_FRAC9: {
                        const char *f;
                        if (end - v < 2 || (*v != '.' && *v != ',') || !digit(v[1]))
                                break; /* omitted */
                        f = ++v;
                        while (v < end && digit(*v))
                                v++;
                        nsec = nanos(f, (size_t)(v - f));
                        break;
                }
                }
        }
        if (v != end)
                return -EINVAL; /* extra text */
        if (pm_set && hour < 12)
                hour += 12;
        else if (am_set && hour == 12)
                hour = 0;
        if (yday >= 0) {
                int m = 1, d = yday;
                static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
                bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
                for (; m <= 12; m++) {
                        int dm = days[m - 1] + (m == 2 && leap);
                        if (d <= dm)
                                break;
                        d -= dm;
                }
                if (m > 12 || (month >= 0 && month != m) || (day >= 0 && day != d))
                        return -EINVAL;
                month = m;
                day = d;
        }
        if (month < 0)
                month = 1;
        if (day < 0)
                day = 1;
        if (!l->has_year) {
                /* Promtail: the year is now's, or the one next to it
                 * across new year's eve. */
                time_t now = (time_t)(now_ns / 1000000000);
                struct tm tm;
                gmtime_r(&now, &tm);
                year = tm.tm_year + 1900;
                if (month == 12 && tm.tm_mon == 0)
                        year--;
                else if (month == 1 && tm.tm_mon == 11)
                        year++;
        }
        if (!days_ok(year, month, day))
                return -EINVAL;
        secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
        if (has_offset) {
                secs -= offset;
        } else if (has_name) {
                /* The zone's own abbreviation gives its offset; an
                 * unknown one is offset 0. */
                int64_t start, stop;
                const struct zone_type *t = zone ? lookup(zone, secs, &start, &stop) : NULL;
                if (t && strcmp(t->abbr, zname) == 0) {
                        secs -= t->offset;
                } else if (zone) {
                        for (size_t k = 0; k < zone->n_types; k++)
                                if (strcmp(zone->types[k].abbr, zname) == 0) {
                                        secs -= zone->types[k].offset;
                                        break;
                                }
                }
        } else if (zone) {
                /* Local time in @zone, as Go's time.Date resolves it. */
                int64_t start, stop;
                const struct zone_type *t = lookup(zone, secs, &start, &stop);
                int32_t off = t->offset;
                if (off != 0) {
                        int64_t utc = secs - off;
                        if (utc < start || utc >= stop)
                                off = lookup(zone, utc, &start, &stop)->offset;
                        secs -= off;
                }
        }
        if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1)
                return -EINVAL;
        *ret_ns = secs * 1000000000 + nsec;
        return 0;
}
