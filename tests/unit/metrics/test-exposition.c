/* test-exposition.c - the Prometheus text writer and struct sl_histogram:
 * HELP/TYPE once per family, escaping, number formats, cumulative buckets,
 * name rules, and the cap (only whole lines, whole histograms). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "metrics/exposition.h"
#include "sl-test.h"

#define BIG_CAP (1u << 20)

/* Invariants of the writer's output after every call: NUL-terminated, and
 * empty or ending with a whole line. */
static void assert_sane(const struct sl_buf *b) {
        ck_assert_uint_le(b->len, b->cap);
        if (b->data)
                ck_assert_int_eq(b->data[b->len], '\0');
        if (b->len > 0)
                ck_assert_int_eq(b->data[b->len - 1], '\n');
}

static const char *text(const struct sl_buf *b) {
        return b->data ? b->data : "";
}

START_TEST(family_written_once)
{
        static const char *const get[] = { "method", "GET", NULL };
        static const char *const put[] = { "method", "PUT", NULL };
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        /* Collectors announce the family before each of their samples. */
        sl_expo_family(&w, "sl_requests_total", "counter", "Requests served.");
        sl_expo_sample_u64(&w, "sl_requests_total", get, 3);
        assert_sane(&b);
        sl_expo_family(&w, "sl_requests_total", "counter", "Requests served.");
        sl_expo_sample_u64(&w, "sl_requests_total", put, 4);
        sl_expo_family(&w, "sl_up", "gauge", NULL);
        sl_expo_sample_u64(&w, "sl_up", NULL, 1);
        sl_expo_family(&w, "sl_build_info", "info", "Build.");
        sl_expo_sample_u64(&w, "sl_build_info", (const char *const[]){ "version", "0.1.0", NULL }, 1);
        assert_sane(&b);
        ck_assert_str_eq(text(&b), "# HELP sl_requests_total Requests served.\n"
                                   "# TYPE sl_requests_total counter\n"
                                   "sl_requests_total{method=\"GET\"} 3\n"
                                   "sl_requests_total{method=\"PUT\"} 4\n"
                                   "# TYPE sl_up gauge\n"
                                   "sl_up 1\n"
                                   "# HELP sl_build_info Build.\n"
                                   "# TYPE sl_build_info gauge\n"
                                   "sl_build_info{version=\"0.1.0\"} 1\n");
        ck_assert_int_eq(sl_expo_error(&w), 0);
        sl_buf_release(&b);
}
END_TEST

START_TEST(label_values_and_help_escaped)
{
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_family(&w, "x", "gauge", "a \\ b \"q\"\nnext");
        sl_expo_sample_u64(&w, "x",
                           (const char *const[]){ "path", "C:\\dir\\\"f\"\n2", "empty", "", "plain", "é/ü", NULL }, 0);
        assert_sane(&b);
        /* HELP escapes backslash and newline only; label values quotes too. */
        ck_assert_str_eq(text(&b), "# HELP x a \\\\ b \"q\"\\nnext\n"
                                   "# TYPE x gauge\n"
                                   "x{path=\"C:\\\\dir\\\\\\\"f\\\"\\n2\",empty=\"\",plain=\"é/ü\"} 0\n");
        ck_assert_int_eq(sl_expo_error(&w), 0);
        sl_buf_release(&b);
}
END_TEST

static const struct {
        uint64_t value;
        const char *text;
} u64_cases[] = {
        { 0, "0" },
        { 1, "1" },
        { 9007199254740993ULL, "9007199254740993" }, /* 2^53 + 1: not a double */
        { UINT64_MAX, "18446744073709551615" },
};

START_TEST(integers_exact)
{
        char want[64];
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_sample_u64(&w, "n", NULL, u64_cases[_i].value);
        snprintf(want, sizeof(want), "n %s\n", u64_cases[_i].text);
        ck_assert_str_eq(text(&b), want);
        sl_buf_release(&b);
}
END_TEST

/* What Prometheus' Go client prints (strconv 'g', shortest). */
static const struct {
        double value;
        const char *text;
} f64_cases[] = {
        { 0.0, "0" },
        { -0.0, "0" },
        { 1.0, "1" },
        { 100.0, "100" },
        { 409600.0, "409600" },
        { 999999.0, "999999" },
        { 1e6, "1e+06" },
        { 1638400.0, "1.6384e+06" },
        { 0.1, "0.1" },
        { 0.005, "0.005" },
        { 0.0001, "0.0001" },
        { 0.00001, "1e-05" },
        { 0.000015, "1.5e-05" },
        { 2.5, "2.5" },
        { -3.25, "-3.25" },
        { 0.1 + 0.2, "0.30000000000000004" },
        { 1.0 / 3.0, "0.3333333333333333" },
        { 123456789.0, "1.23456789e+08" },
        { DBL_MAX, "1.7976931348623157e+308" },
        { 5e-324, "5e-324" },
        { INFINITY, "+Inf" },
        { -INFINITY, "-Inf" },
        { NAN, "NaN" },
};

START_TEST(doubles_shortest)
{
        char want[64];
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_sample_f64(&w, "f", (const char *const[]){ "k", "v", NULL }, f64_cases[_i].value);
        snprintf(want, sizeof(want), "f{k=\"v\"} %s\n", f64_cases[_i].text);
        ck_assert_str_eq(text(&b), want);
        /* Finite values read back exactly. */
        if (isfinite(f64_cases[_i].value))
                ck_assert(strtod(f64_cases[_i].text, NULL) == f64_cases[_i].value);
        sl_buf_release(&b);
}
END_TEST

START_TEST(histogram_cumulative)
{
        static const double bounds[] = { 0.1, 1, 10 };
        static const uint64_t counts[] = { 1, 2, 0, 3 };
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_family(&w, "sl_push_seconds", "histogram", "Push latency.");
        sl_expo_histogram(&w, "sl_push_seconds", (const char *const[]){ "client", "a\"b", NULL }, bounds, counts, 3,
                          42.5);
        sl_expo_histogram(&w, "sl_push_seconds", NULL, bounds, counts, 3, 0.25);
        assert_sane(&b);
        ck_assert_str_eq(text(&b), "# HELP sl_push_seconds Push latency.\n"
                                   "# TYPE sl_push_seconds histogram\n"
                                   "sl_push_seconds_bucket{client=\"a\\\"b\",le=\"0.1\"} 1\n"
                                   "sl_push_seconds_bucket{client=\"a\\\"b\",le=\"1\"} 3\n"
                                   "sl_push_seconds_bucket{client=\"a\\\"b\",le=\"10\"} 3\n"
                                   "sl_push_seconds_bucket{client=\"a\\\"b\",le=\"+Inf\"} 6\n"
                                   "sl_push_seconds_sum{client=\"a\\\"b\"} 42.5\n"
                                   "sl_push_seconds_count{client=\"a\\\"b\"} 6\n"
                                   "sl_push_seconds_bucket{le=\"0.1\"} 1\n"
                                   "sl_push_seconds_bucket{le=\"1\"} 3\n"
                                   "sl_push_seconds_bucket{le=\"10\"} 3\n"
                                   "sl_push_seconds_bucket{le=\"+Inf\"} 6\n"
                                   "sl_push_seconds_sum 0.25\n"
                                   "sl_push_seconds_count 6\n");
        ck_assert_int_eq(sl_expo_error(&w), 0);
        sl_buf_release(&b);
}
END_TEST

START_TEST(histogram_no_bounds)
{
        static const uint64_t counts[] = { 5 };
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_histogram(&w, "h", NULL, NULL, counts, 0, 1.5);
        ck_assert_str_eq(text(&b), "h_bucket{le=\"+Inf\"} 5\nh_sum 1.5\nh_count 5\n");
        sl_buf_release(&b);
}
END_TEST

START_TEST(histogram_observe)
{
        static const double bounds[] = { 1, 5, 10 };
        static const double values[] = { 0.5, 1, 1.0001, 5, 7, 10, 11, 1e9, NAN, -3 };
        static const uint64_t want_counts[] = { 3, 2, 2, 2 };
        struct sl_histogram h;
        double sum = 0;
        struct sl_buf b;
        struct sl_expo w;

        ck_assert_int_eq(sl_histogram_init(&h, bounds, 3), 0);
        ck_assert_uint_eq(h.count, 0);
        for (size_t i = 0; i < SL_ARRAY_SIZE(values); i++) {
                sl_histogram_observe(&h, values[i]);
                if (!isnan(values[i]))
                        sum += values[i];
        }
        for (size_t i = 0; i < SL_ARRAY_SIZE(want_counts); i++)
                ck_assert_uint_eq(h.counts[i], want_counts[i]);
        ck_assert_uint_eq(h.count, 9);
        ck_assert(h.sum == sum);

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_histogram_of(&w, "h", NULL, &h);
        ck_assert_ptr_nonnull(strstr(text(&b), "h_bucket{le=\"1\"} 3\n"
                                               "h_bucket{le=\"5\"} 5\n"
                                               "h_bucket{le=\"10\"} 7\n"
                                               "h_bucket{le=\"+Inf\"} 9\n"
                                               "h_sum "));
        ck_assert_ptr_nonnull(strstr(text(&b), "\nh_count 9\n"));
        sl_buf_release(&b);
}
END_TEST

START_TEST(histogram_init_rejects)
{
        static const double unsorted[] = { 1, 0.5 };
        static const double repeated[] = { 1, 1 };
        static const double with_inf[] = { 1, INFINITY };
        static double many[SL_HISTOGRAM_MAX_BUCKETS + 1];
        struct sl_histogram h;

        for (size_t i = 0; i < SL_ARRAY_SIZE(many); i++)
                many[i] = (double)i;
        ck_assert_int_eq(sl_histogram_init(&h, unsorted, 2), -EINVAL);
        ck_assert_int_eq(sl_histogram_init(&h, repeated, 2), -EINVAL);
        ck_assert_int_eq(sl_histogram_init(&h, with_inf, 2), -EINVAL);
        ck_assert_int_eq(sl_histogram_init(&h, many, SL_ARRAY_SIZE(many)), -EINVAL);
        /* Still usable: everything lands in +Inf. */
        ck_assert_uint_eq(h.n, 0);
        sl_histogram_observe(&h, 3);
        ck_assert_uint_eq(h.counts[0], 1);
        ck_assert_uint_eq(h.count, 1);
        ck_assert_int_eq(sl_histogram_init(&h, many, SL_HISTOGRAM_MAX_BUCKETS), 0);
        sl_histogram_observe(&h, 1000);
        ck_assert_uint_eq(h.counts[SL_HISTOGRAM_MAX_BUCKETS], 1);
}
END_TEST

static const struct {
        const char *name;
        bool metric; /* valid as a metric name */
        bool label;  /* valid as a label name */
} name_cases[] = {
        { "a", true, true },
        { "_x", true, true },
        { "sl_lines_total", true, true },
        { "A9_b", true, true },
        { ":x", true, false },
        { "ns:sub_total", true, false },
        { "__name__", true, false },
        { "_", true, true },
        { "", false, false },
        { NULL, false, false },
        { "1a", false, false },
        { "a-b", false, false },
        { "a b", false, false },
        { "a.b", false, false },
        { "é", false, false },
        { "a{", false, false },
};

START_TEST(name_rules)
{
        ck_assert_int_eq(sl_expo_name_valid(name_cases[_i].name), name_cases[_i].metric);
        ck_assert_int_eq(sl_expo_label_name_valid(name_cases[_i].name), name_cases[_i].label);
}
END_TEST

START_TEST(invalid_calls_write_nothing)
{
        static const double bounds[] = { 1, 2 };
        static const double unsorted[] = { 2, 1 };
        static const uint64_t counts[] = { 1, 1, 1 };
        struct sl_buf b;
        struct sl_expo w;

        sl_buf_init(&b, BIG_CAP);
        sl_expo_init(&w, &b);
        sl_expo_family(&w, "bad-name", "counter", "x");
        ck_assert_int_eq(sl_expo_error(&w), -EINVAL);
        sl_expo_family(&w, "ok", "distribution", "x");
        sl_expo_family(&w, "ok", NULL, "x");
        sl_expo_sample_u64(&w, "1bad", NULL, 1);
        sl_expo_sample_u64(&w, "ok", (const char *const[]){ "bad label", "v", NULL }, 1);
        sl_expo_sample_f64(&w, "ok", (const char *const[]){ "__reserved", "v", NULL }, 1);
        sl_expo_histogram(&w, "h", (const char *const[]){ "le", "1", NULL }, bounds, counts, 2, 0);
        sl_expo_histogram(&w, "h", NULL, unsorted, counts, 2, 0);
        ck_assert_uint_eq(b.len, 0);
        /* Later valid calls still write. */
        sl_expo_family(&w, "ok", "counter", NULL);
        sl_expo_sample_u64(&w, "ok", NULL, 2);
        ck_assert_str_eq(text(&b), "# TYPE ok counter\nok 2\n");
        ck_assert_int_eq(sl_expo_error(&w), -EINVAL);
        sl_buf_release(&b);
}
END_TEST

/* Writes a fixed document with two families and a histogram. */
static void write_document(struct sl_expo *w) {
        static const double bounds[] = { 0.5, 1 };
        static const uint64_t counts[] = { 1, 2, 3 };

        sl_expo_family(w, "a_total", "counter", "First family.");
        sl_expo_sample_u64(w, "a_total", (const char *const[]){ "k", "one", NULL }, 1);
        sl_expo_sample_u64(w, "a_total", (const char *const[]){ "k", "two", NULL }, 2);
        sl_expo_family(w, "h", "histogram", "A histogram.");
        sl_expo_histogram(w, "h", NULL, bounds, counts, 2, 3.5);
        sl_expo_family(w, "z", "gauge", NULL);
        sl_expo_sample_f64(w, "z", NULL, 0.5);
}

/* At every cap the output is a prefix of the full document made of whole
 * lines, a histogram is all there or absent, and nothing follows a refusal. */
START_TEST(cap_keeps_whole_lines)
{
        struct sl_buf full, b;
        struct sl_expo w;

        sl_buf_init(&full, BIG_CAP);
        sl_expo_init(&w, &full);
        write_document(&w);
        ck_assert_int_eq(sl_expo_error(&w), 0);

        for (size_t cap = 0; cap <= full.len; cap++) {
                const char *h_first, *h_count;

                sl_buf_init(&b, cap);
                sl_expo_init(&w, &b);
                write_document(&w);
                assert_sane(&b);
                ck_assert_int_eq(strncmp(text(&b), full.data, b.len), 0);
                ck_assert_int_eq(sl_expo_error(&w), cap < full.len ? -ENOBUFS : 0);
                h_first = strstr(text(&b), "h_bucket");
                h_count = strstr(text(&b), "h_count");
                ck_assert_int_eq(h_first != NULL, h_count != NULL);
                /* Refused means refused: the short last line is not squeezed in. */
                if (cap < full.len)
                        ck_assert_ptr_null(strstr(text(&b), "z 0.5"));
                sl_buf_release(&b);
        }
        sl_buf_release(&full);
}
END_TEST

static Suite *exposition_suite(void) {
        Suite *s = suite_create("exposition");
        TCase *tc = tcase_create("writer");
        tcase_add_test(tc, family_written_once);
        tcase_add_test(tc, label_values_and_help_escaped);
        tcase_add_loop_test(tc, integers_exact, 0, SL_ARRAY_SIZE(u64_cases));
        tcase_add_loop_test(tc, doubles_shortest, 0, SL_ARRAY_SIZE(f64_cases));
        tcase_add_test(tc, histogram_cumulative);
        tcase_add_test(tc, histogram_no_bounds);
        tcase_add_loop_test(tc, name_rules, 0, SL_ARRAY_SIZE(name_cases));
        tcase_add_test(tc, invalid_calls_write_nothing);
        tcase_add_test(tc, cap_keeps_whole_lines);
        suite_add_tcase(s, tc);
        tc = tcase_create("histogram");
        tcase_add_test(tc, histogram_observe);
        tcase_add_test(tc, histogram_init_rejects);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(exposition_suite)
