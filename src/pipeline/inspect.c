/* inspect.c - see inspect.h. */
#include "pipeline/inspect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"
#include "pipeline/stage.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

struct report {
        struct sl_buf *out; /* borrowed */
        bool color;
        int changes;        /* blocks written */
};

static void put_colored(struct report *r, const char *color, const char *fmt_prefix,
                        struct sl_str text) {
        if (r->color)
                sl_buf_printf(r->out, "%s", color);
        sl_buf_printf(r->out, "%s%.*s", fmt_prefix, (int)text.len, text.ptr ? text.ptr : "");
        if (r->color)
                sl_buf_printf(r->out, RESET);
}

/* One block: the path, then what it was and what it is (NULL: absent). */
static void change(struct report *r, const char *path, struct sl_str name, bool named,
                   const struct sl_str *was, const struct sl_str *is) {
        const char *color = was && is ? YELLOW : was ? RED : GREEN;

        sl_buf_putc(r->out, '\n');
        if (r->color)
                sl_buf_printf(r->out, "%s", color);
        if (named)
                sl_buf_printf(r->out, "%s[\"%.*s\"]:", path, (int)name.len, name.ptr);
        else
                sl_buf_printf(r->out, "%s:", path);
        if (r->color)
                sl_buf_printf(r->out, RESET);
        if (was) {
                sl_buf_putc(r->out, '\n');
                put_colored(r, is ? YELLOW : RED, "\t-: ", *was);
        }
        if (is) {
                sl_buf_putc(r->out, '\n');
                put_colored(r, GREEN, "\t+: ", *is);
        }
        r->changes++;
}

static int cmp_names(const void *a, const void *b) {
        return sl_str_cmp(*(const struct sl_str *)a, *(const struct sl_str *)b);
}

/* The blocks for one map: every name in either, in order. */
static void diff_kvs(struct report *r, const char *path, const struct sl_kvs *was,
                     const struct sl_kvs *is) {
        size_t n = 0;
        struct sl_str *names = sl_xcalloc(was->len + is->len + 1, sizeof(*names));

        for (size_t i = 0; i < was->len; i++)
                names[n++] = was->items[i].name;
        for (size_t i = 0; i < is->len; i++)
                if (!sl_kvs_get(was, is->items[i].name))
                        names[n++] = is->items[i].name;
        qsort(names, n, sizeof(*names), cmp_names);
        for (size_t i = 0; i < n; i++) {
                const struct sl_str *a = sl_kvs_get(was, names[i]), *b = sl_kvs_get(is, names[i]);
                if (a && b && sl_str_eq(*a, *b))
                        continue;
                change(r, path, names[i], true, a, b);
        }
        free(names);
}

/* A time as Go's time.Time prints it in UTC ("2019-04-30 02:12:41.8443515
 * +0000 UTC"), or "(not set)". */
static struct sl_str format_time(int64_t ns, char *buf, size_t size) {
        struct tm tm;
        time_t secs;
        int64_t frac;
        size_t len;

        if (ns == 0)
                return sl_str_c(strcpy(buf, "(not set)"));
        secs = (time_t)(ns / 1000000000);
        frac = ns % 1000000000;
        if (frac < 0) {
                frac += 1000000000;
                secs--;
        }
        gmtime_r(&secs, &tm);
        len = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
        if (frac) {
                char digits[16];
                int n = snprintf(digits, sizeof(digits), ".%09" PRId64, frac);
                while (n > 1 && digits[n - 1] == '0')
                        digits[--n] = '\0';
                len += (size_t)snprintf(buf + len, size - len, "%s", digits);
        }
        len += (size_t)snprintf(buf + len, size - len, " +0000 UTC");
        return sl_str_from(buf, len);
}

void sl_inspect_report(struct sl_buf *out, const char *stage, const struct sl_entry *before,
                       const struct sl_entry *after, int verdict, bool color) {
        struct report r = { out, color, 0 };

        sl_buf_printf(out, "[inspect: %s%s%s stage]: ", color ? BOLD : "", stage,
                      color ? RESET : "");
        diff_kvs(&r, "{stages.Entry}.Extracted", &before->extracted, &after->extracted);
        diff_kvs(&r, "{stages.Entry}.Entry.Labels", &before->labels, &after->labels);
        if (before->ts_ns != after->ts_ns) {
                char a[64], b[64];
                struct sl_str was = format_time(before->ts_ns, a, sizeof(a));
                struct sl_str is = format_time(after->ts_ns, b, sizeof(b));
                change(&r, "{stages.Entry}.Entry.Entry.Timestamp", SL_STR_NULL, false, &was, &is);
        }
        if (!sl_str_eq(before->line, after->line))
                change(&r, "{stages.Entry}.Entry.Entry.Line", SL_STR_NULL, false, &before->line,
                       &after->line);
        diff_kvs(&r, "{stages.Entry}.Entry.Entry.StructuredMetadata", &before->metadata,
                 &after->metadata);
        if (verdict == SL_STAGE_DROP) {
                sl_buf_putc(out, '\n');
                put_colored(&r, RED, "\tdropped: ",
                            sl_str_c(after->drop_reason ? after->drop_reason : "unknown"));
        } else if (verdict == SL_STAGE_HOLD) {
                sl_buf_putc(out, '\n');
                put_colored(&r, YELLOW, "\theld: ", SL_STR_LIT("released later, with others"));
        } else if (verdict < 0) {
                sl_buf_putc(out, '\n');
                put_colored(&r, RED, "\tfailed: ", sl_str_c(strerror(-verdict)));
        } else if (r.changes == 0) {
                put_colored(&r, RED, "", SL_STR_LIT("none"));
        }
        sl_buf_putc(out, '\n');
}
