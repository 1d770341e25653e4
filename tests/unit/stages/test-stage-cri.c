/* test-stage-cri.c - the cri stage: the CRI format, partial lines joined
 * per stream, Promtail's bounds, and what sluice adds (release after a
 * wait, at forget, held_from).
 *
 * Cases from Promtail 3.4 stages/extensions_test.go (TestCRI_tags,
 * TestNewCri) and the example of the stage's documentation page. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "sl-test.h"
#include "stage-test.h"

static struct sl_entry e;
static struct st_out out;

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
        st_out_release(&out);
}

/* What a run of lines gave, in order: the lines kept at once and those
 * released later, as one list. */
struct got {
        char *lines[32];
        size_t n;
};

static void got_free(struct got *g) {
        for (size_t i = 0; i < g->n; i++)
                free(g->lines[i]);
        g->n = 0;
}

struct in {
        const char *line;
        const char *labels;
};

static void run_all(struct sl_pipeline *p, const struct in *in, size_t n, struct got *g) {
        for (size_t i = 0; i < n; i++) {
                size_t before = out.n;
                int r = st_run_at(p, &e, 1, in[i].labels, in[i].line, 100 * i, 0);

                /* Released entries come before the one that made them go. */
                for (size_t k = before; k < out.n; k++)
                        g->lines[g->n++] = strndup(out.e[k].line.ptr ? out.e[k].line.ptr : "",
                                                   out.e[k].line.len);
                if (r == SL_STAGE_KEEP)
                        g->lines[g->n++] = strndup(e.line.ptr ? e.line.ptr : "", e.line.len);
        }
}

static void assert_got(const struct got *g, const char *const *want, size_t n) {
        ck_assert_msg(g->n == n, "got %zu lines, want %zu", g->n, n);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(strcmp(g->lines[i], want[i]) == 0, "line %zu: got \"%s\", want \"%s\"",
                              i, g->lines[i], want[i]);
}

#define TP "2019-05-07T18:57:50.904275087+00:00"
#define TF "2019-05-07T18:57:55.904275087+00:00"

/* TestCRI_tags "tag F". */
START_TEST(tag_f) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");
        static const struct in in[] = {
                { TP " stdout F some full line", "foo=bar" },
                { TF " stdout F log", "foo=bar" },
        };
        static const char *const want[] = { "some full line", "log" };
        struct got g = { 0 };

        st_out_attach(&out, p);
        run_all(p, in, 2, &g);
        assert_got(&g, want, 2);
        got_free(&g);
        sl_pipeline_free(p);
}
END_TEST

/* TestCRI_tags "tag P multi-stream". */
START_TEST(tag_p_multi_stream) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");
        static const struct in in[] = {
                { TP " stdout P partial line 1 ", "foo=bar" },
                { TP " stdout P partial line 2 ", "foo=bar2" },
                { TF " stdout F log finished", "foo=bar" },
                { TF " stdout F another full log", "foo=bar2" },
        };
        static const char *const want[] = { "partial line 1 log finished",
                                            "partial line 2 another full log" };
        struct got g = { 0 };

        st_out_attach(&out, p);
        run_all(p, in, 4, &g);
        assert_got(&g, want, 2);
        got_free(&g);
        sl_pipeline_free(p);
}
END_TEST

/* TestCRI_tags "tag P multi-stream with maxPartialLines exceeded": Promtail
 * compares the lines as a set (it releases from a map); sluice releases
 * the held streams in the order they began. */
START_TEST(tag_p_max_partial_lines_exceeded) {
        struct sl_pipeline *p = st_pipeline("- cri: {max_partial_lines: 3}\n");
        static const struct in in[] = {
                { TP " stdout P partial line 1 ", "label1=val1,label2=val2" },
                { TP " stdout P partial line 2 ", "label1=val1" },
                { TP " stdout P partial line 3 ", "label1=val1,label2=val2" },
                { TP " stdout P partial line 4 ", "label1=val3" },
                /* Three streams held already: all of them go. */
                { TP " stdout P partial line 5 ", "label1=val4" },
                { TF " stdout F log finished", "label1=val1,label2=val2" },
                { TF " stdout F another full log", "label1=val3" },
                { TF " stdout F yet an another full log", "label1=val4" },
        };
        static const char *const want[] = {
                "partial line 1 partial line 3 ", "partial line 2 ", "partial line 4 ",
                "log finished", "another full log", "partial line 5 yet an another full log",
        };
        struct got g = { 0 };

        st_out_attach(&out, p);
        run_all(p, in, 8, &g);
        assert_got(&g, want, 6);
        got_free(&g);
        sl_pipeline_free(p);
}
END_TEST

/* TestCRI_tags "tag P single stream": max_partial_lines bounds streams,
 * not lines. */
START_TEST(tag_p_single_stream) {
        struct sl_pipeline *p = st_pipeline("- cri: {max_partial_lines: 3}\n");
        static const struct in in[] = {
                { TP " stdout P partial line 1 ", "foo=bar" },
                { TP " stdout P partial line 2 ", "foo=bar" },
                { TP " stdout P partial line 3 ", "foo=bar" },
                { TP " stdout P partial line 4 ", "foo=bar" },
                { TF " stdout F log finished", "foo=bar" },
                { TF " stdout F another full log", "foo=bar" },
        };
        static const char *const want[] = {
                "partial line 1 partial line 2 partial line 3 partial line 4 log finished",
                "another full log",
        };
        struct got g = { 0 };

        st_out_attach(&out, p);
        run_all(p, in, 6, &g);
        assert_got(&g, want, 2);
        got_free(&g);
        sl_pipeline_free(p);
}
END_TEST

/* TestCRI_tags "tag P multi-stream with truncation". */
START_TEST(tag_p_truncation) {
        struct sl_pipeline *p = st_pipeline("- cri:\n"
                                            "    max_partial_line_size_truncate: true\n"
                                            "    max_partial_line_size: 11\n");
        static const struct in in[] = {
                { TP " stdout P partial line 1 ", "foo=bar" },
                { TP " stdout P partial", "foo=bar2" },
                { TF " stdout F log finished", "foo=bar" },
                { TF " stdout F full", "foo=bar2" },
        };
        static const char *const want[] = { "partial lin", "partialfull" };
        struct got g = { 0 };

        st_out_attach(&out, p);
        run_all(p, in, 4, &g);
        assert_got(&g, want, 2);
        got_free(&g);
        sl_pipeline_free(p);
}
END_TEST

#define CRI_T "2019-01-01T01:00:00.000000001Z"
#define CRI_T_NS (1546304400LL * 1000000000LL + 1)

/* TestNewCri: happy path, multi line pass, invalid timestamp, invalid line. */
START_TEST(new_cri) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");

        ck_assert_int_eq(st_run(p, &e, 1, CRI_T " stderr F message"), SL_STAGE_KEEP);
        st_assert_str(e.line, "message");
        ck_assert_int_eq(e.ts_ns, CRI_T_NS);
        st_assert_kv(&e.labels, "stream", "stderr");

        ck_assert_int_eq(st_run(p, &e, 1, CRI_T " stderr F message\nmessage2"), SL_STAGE_KEEP);
        st_assert_str(e.line, "message\nmessage2");
        ck_assert_int_eq(e.ts_ns, CRI_T_NS);
        st_assert_kv(&e.labels, "stream", "stderr");

        /* The entry keeps the time it had (here none: the read time). */
        ck_assert_int_eq(st_run(p, &e, 1, "3242 stderr F message"), SL_STAGE_KEEP);
        st_assert_str(e.line, "message");
        ck_assert_int_eq(e.ts_ns, 0);
        st_assert_kv(&e.labels, "stream", "stderr");

        ck_assert_int_eq(st_run(p, &e, 1, "i'm invalid!!!"), SL_STAGE_KEEP);
        st_assert_str(e.line, "i'm invalid!!!");
        ck_assert_int_eq(e.ts_ns, 0);
        ck_assert_uint_eq(e.labels.len, 0);
        sl_pipeline_free(p);
}
END_TEST

/* The documentation page: the extracted values of a line (the page names
 * the time `timestamp`; Promtail's source, and sluice, call it `time`), and
 * which of its three sample lines are CRI lines. */
START_TEST(documentation_example) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");

        ck_assert_int_eq(st_run(p, &e, 1, "2019-04-30T02:12:41.8443515Z stdout F message"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "content", "message");
        st_assert_kv(&e.extracted, "stream", "stdout");
        st_assert_kv(&e.extracted, "flags", "F");
        st_assert_kv(&e.extracted, "time", "2019-04-30T02:12:41.8443515Z");
        ck_assert_int_eq(e.ts_ns, 1556590361LL * 1000000000LL + 844351500);

        /* Only the first is read (and, being partial, held). */
        ck_assert_int_eq(st_run(p, &e, 1, "2019-01-01T01:00:00.000000001Z stderr P test\ngood"),
                         SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 2, "2019-01-01 T01:00:00.000000001Z stderr testgood"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "flags", NULL);
        ck_assert_int_eq(st_run(p, &e, 2, "2019-01-01T01:00:00.000000001Z testgood"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "flags", NULL);
        sl_pipeline_free(p);
}
END_TEST

/* The form, field by field, as Promtail's regex reads it. */
START_TEST(line_forms) {
        static const struct {
                const char *line;
                bool cri;
                const char *flags, *content;
        } cases[] = {
                { CRI_T " stdout F ", true, "F", "" },
                { CRI_T " stdout F", false, NULL, NULL },
                { CRI_T "  stdout F x", false, NULL, NULL },
                { CRI_T "\tstdout F x", false, NULL, NULL },
                { CRI_T " stdin F x", false, NULL, NULL },
                { CRI_T " stdout F:x y z", true, "F:x", "y z" },
                { CRI_T " stdout P  two spaces", true, "P", " two spaces" },
                { " " CRI_T " stdout F x", false, NULL, NULL },
                { "", false, NULL, NULL },
        };
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_run(p, &e, 100 + i, cases[i].line);
                st_assert_kv(&e.extracted, "flags", cases[i].flags);
                st_assert_kv(&e.extracted, "content", cases[i].content);
                if (!cases[i].cri)
                        st_assert_str(e.line, cases[i].line);
        }
        sl_pipeline_free(p);
}
END_TEST

/* A partial line keeps its file's position at its start until it is
 * released; its joined line carries the first piece's offset. */
START_TEST(held_from_and_offsets) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n");
        uint64_t from = 0;

        st_out_attach(&out, p);
        ck_assert(!sl_pipeline_held_from(p, 7, &from));
        ck_assert_int_eq(st_run_at(p, &e, 7, NULL, TP " stdout P a", 1000, 0), SL_STAGE_HOLD);
        ck_assert(sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(from, 1000);
        ck_assert(!sl_pipeline_held_from(p, 8, &from));
        ck_assert_int_eq(st_run_at(p, &e, 7, NULL, TP " stderr P x", 1100, 0), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run_at(p, &e, 7, NULL, TP " stdout P b", 1200, 0), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run_at(p, &e, 7, NULL, TF " stdout F c", 1300, 0), SL_STAGE_KEEP);
        st_assert_str(e.line, "abc");
        ck_assert_uint_eq(e.offset, 1000);
        /* stderr's piece still holds the position. */
        ck_assert(sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(from, 1100);
        ck_assert_int_eq(st_run_at(p, &e, 7, NULL, TF " stderr F y", 1400, 0), SL_STAGE_KEEP);
        st_assert_str(e.line, "xy");
        ck_assert(!sl_pipeline_held_from(p, 7, &from));
        ck_assert_uint_eq(out.n, 0);
        sl_pipeline_free(p);
}
END_TEST

/* sluice: a partial line whose end never comes goes after 5 s (the timer),
 * everything at shutdown, a file's when it is gone. */
START_TEST(released_by_timer_forget_and_shutdown) {
        struct sl_pipeline *p = st_pipeline("- cri: {}\n- static_labels: {after: cri}\n");
        uint64_t t0 = 1000 * SL_NSEC_PER_SEC, from;

        st_out_attach(&out, p);
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, TP " stdout P lost ", 0, t0), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run_at(p, &e, 1, NULL, TP " stdout P end", 50, t0 + SL_NSEC_PER_SEC),
                         SL_STAGE_HOLD);
        ck_assert_int_eq(st_run_at(p, &e, 2, NULL, TP " stdout P other", 0, t0 + 2 * SL_NSEC_PER_SEC),
                         SL_STAGE_HOLD);
        ck_assert_uint_le(sl_pipeline_deadline(p), t0 + 6 * SL_NSEC_PER_SEC);
        /* Not yet: 5 s after the last piece of each. */
        sl_pipeline_flush(p, t0 + 5 * SL_NSEC_PER_SEC, false);
        ck_assert_uint_eq(out.n, 0);
        sl_pipeline_flush(p, t0 + 6 * SL_NSEC_PER_SEC, false);
        ck_assert_uint_eq(out.n, 1);
        st_assert_str(out.e[0].line, "lost end");
        /* The stages after cri ran on it. */
        st_assert_kv(&out.e[0].labels, "after", "cri");
        st_assert_kv(&out.e[0].labels, "stream", "stdout");
        ck_assert_uint_eq(out.e[0].offset, 0);
        ck_assert(!sl_pipeline_held_from(p, 1, &from));
        ck_assert_uint_eq(sl_pipeline_deadline(p), t0 + 7 * SL_NSEC_PER_SEC);

        sl_pipeline_forget(p, 2);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[1].line, "other");
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);

        ck_assert_int_eq(st_run_at(p, &e, 3, NULL, TP " stdout P at shutdown", 0, t0), SL_STAGE_HOLD);
        sl_pipeline_flush(p, t0, true);
        ck_assert_uint_eq(out.n, 3);
        st_assert_str(out.e[2].line, "at shutdown");
        sl_pipeline_free(p);
}
END_TEST

/* sluice: max_partial_line_size 0 with truncate cuts nothing (Promtail
 * would cut every partial line to nothing); joined text is capped at
 * 1 MiB. */
START_TEST(sluice_bounds) {
        struct sl_pipeline *p = st_pipeline("- cri: {max_partial_line_size_truncate: true}\n");
        size_t piece = 300 * 1024;
        char *line = malloc(piece + 64);
        size_t total = 0;

        st_out_attach(&out, p);
        ck_assert_int_eq(st_run(p, &e, 1, TP " stdout P abc"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 1, TF " stdout F def"), SL_STAGE_KEEP);
        st_assert_str(e.line, "abcdef");

        strcpy(line, TP " stdout P ");
        memset(line + strlen(line), 'x', piece);
        line[strlen(TP " stdout P ") + piece] = '\0';
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_HOLD);
        /* The fourth piece would pass 1 MiB: the first three went. */
        ck_assert_uint_eq(out.n, 1);
        ck_assert_uint_eq(out.e[0].line.len, 3 * piece);
        ck_assert_int_eq(st_run(p, &e, 1, TF " stdout F end"), SL_STAGE_KEEP);
        total = e.line.len;
        ck_assert_uint_eq(total, piece + 3);
        free(line);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const char *const bad[] = {
                "- cri: {max_partial_lines: -1}\n",
                "- cri: {max_partial_lines: many}\n",
                "- cri: {max_partial_line_size: lots}\n",
                "- cri: {max_partial_line_size_truncate: maybe}\n",
                "- cri: {max_lines: 3}\n",
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i], &err, msg, sizeof(msg));
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].cri", 22) == 0, "%s", msg);
        }
        sl_pipeline_free(st_pipeline("- cri: {max_partial_line_size: 256KiB}\n"));
        sl_pipeline_free(st_pipeline("- cri:\n"));
}
END_TEST

static Suite *cri_suite(void) {
        Suite *s = suite_create("stage-cri");
        TCase *tc = tcase_create("cri");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, tag_f);
        tcase_add_test(tc, tag_p_multi_stream);
        tcase_add_test(tc, tag_p_max_partial_lines_exceeded);
        tcase_add_test(tc, tag_p_single_stream);
        tcase_add_test(tc, tag_p_truncation);
        tcase_add_test(tc, new_cri);
        tcase_add_test(tc, documentation_example);
        tcase_add_test(tc, line_forms);
        tcase_add_test(tc, held_from_and_offsets);
        tcase_add_test(tc, released_by_timer_forget_and_shutdown);
        tcase_add_test(tc, sluice_bounds);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(cri_suite)
