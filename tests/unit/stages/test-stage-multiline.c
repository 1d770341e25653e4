/* test-stage-multiline.c - the multiline stage: blocks joined per stream,
 * released by the next first line, max_lines, the wait (the pipeline's
 * timer, on the entries' read time), shutdown and forget; the position
 * held at a block's first line.
 *
 * Cases from Promtail 3.4 stages/multiline_test.go and the examples of the
 * stage's documentation page. */
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

#define PIPE "- multiline: {firstline: '^START', max_wait_time: 3s}\n"

/* Runs @line from source 1 with @labels at time @t (also its ts_ns, so
 * blocks can be told apart by the time of their first line). Returns the
 * verdict; a kept line is appended to out as released ones are. */
static int feed(struct sl_pipeline *p, const char *labels, const char *line, uint64_t t) {
        int r = st_run_at(p, &e, 1, labels, line, 0, t);

        if (r == SL_STAGE_KEEP)
                st_out_sink(&out, &e);
        return r;
}

/* Test_multilineStage_Process. */
START_TEST(process) {
        struct sl_pipeline *p = st_pipeline(PIPE);

        st_out_attach(&out, p);
        ck_assert_int_eq(feed(p, "value=label", "not a start line before 1", 1), SL_STAGE_KEEP);
        ck_assert_int_eq(feed(p, "value=label", "not a start line before 2", 2), SL_STAGE_KEEP);
        ck_assert_int_eq(feed(p, "value=label", "START line 1", 3), SL_STAGE_HOLD);
        ck_assert_int_eq(feed(p, "value=label", "not a start line", 4), SL_STAGE_HOLD);
        ck_assert_int_eq(feed(p, "value=label", "START line 2", 5), SL_STAGE_HOLD);
        ck_assert_int_eq(feed(p, "value=label", "START line 3", 6), SL_STAGE_HOLD);
        /* Promtail's input closes: what is held goes. */
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(out.n, 5);
        st_assert_str(out.e[0].line, "not a start line before 1");
        st_assert_str(out.e[1].line, "not a start line before 2");
        st_assert_str(out.e[2].line, "START line 1\nnot a start line");
        st_assert_str(out.e[3].line, "START line 2");
        st_assert_str(out.e[4].line, "START line 3");
        sl_pipeline_free(p);
}
END_TEST

static int by_read_time(const void *a, const void *b) {
        const struct sl_entry *x = a, *y = b;
        return x->read_ns < y->read_ns ? -1 : x->read_ns > y->read_ns;
}

/* Test_multilineStage_MultiStreams: Promtail sorts the blocks by time;
 * so does this test, by the read time of their first line. */
START_TEST(multi_streams) {
        struct sl_pipeline *p = st_pipeline(PIPE);

        st_out_attach(&out, p);
        feed(p, "value=one", "START line 1", 1);
        feed(p, "value=one", "not a start line 1", 2);
        feed(p, "value=two", "START line 1", 3);
        feed(p, "value=one", "not a start line 2", 4);
        feed(p, "value=two", "START line 2", 5);
        feed(p, "value=one", "START line 2", 6);
        feed(p, "value=one", "not a start line 1", 7);
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(out.n, 4);
        qsort(out.e, out.n, sizeof(out.e[0]), by_read_time);
        st_assert_str(out.e[0].line, "START line 1\nnot a start line 1\nnot a start line 2");
        st_assert_kv(&out.e[0].labels, "value", "one");
        st_assert_str(out.e[1].line, "START line 1");
        st_assert_kv(&out.e[1].labels, "value", "two");
        st_assert_str(out.e[2].line, "START line 2");
        st_assert_kv(&out.e[2].labels, "value", "two");
        st_assert_str(out.e[3].line, "START line 2\nnot a start line 1");
        st_assert_kv(&out.e[3].labels, "value", "one");
        sl_pipeline_free(p);
}
END_TEST

/* Test_multilineStage_MaxWaitTime: a block with no new line for
 * max_wait_time is released by the timer, not only by the next line; a
 * line after that starts a block of its own (which keeps the last first
 * line's time and values, as Promtail's). */
START_TEST(max_wait_time) {
        struct sl_pipeline *p = st_pipeline("- multiline: {firstline: '^START', max_wait_time: 2s}\n");
        uint64_t t0 = 50 * SL_NSEC_PER_SEC;

        st_out_attach(&out, p);
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);
        ck_assert_int_eq(feed(p, "value=label", "START line", t0), SL_STAGE_HOLD);
        ck_assert_uint_eq(sl_pipeline_deadline(p), t0 + 2 * SL_NSEC_PER_SEC);
        sl_pipeline_flush(p, t0 + 2 * SL_NSEC_PER_SEC - 1, false);
        ck_assert_uint_eq(out.n, 0);
        sl_pipeline_flush(p, t0 + 2 * SL_NSEC_PER_SEC, false);
        ck_assert_uint_eq(out.n, 1);
        st_assert_str(out.e[0].line, "START line");
        ck_assert_uint_eq(sl_pipeline_deadline(p), UINT64_MAX);

        ck_assert_int_eq(feed(p, "value=label", "not a start line hitting timeout",
                              t0 + 4 * SL_NSEC_PER_SEC),
                         SL_STAGE_HOLD);
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[1].line, "not a start line hitting timeout");
        ck_assert_uint_eq(out.e[1].read_ns, t0);
        sl_pipeline_free(p);
}
END_TEST

/* The wait runs from a block's last line, as Promtail's timer restarts
 * with every line of its stream. */
START_TEST(wait_restarts_with_each_line) {
        struct sl_pipeline *p = st_pipeline(PIPE);
        uint64_t s = SL_NSEC_PER_SEC;

        st_out_attach(&out, p);
        feed(p, NULL, "START", 10 * s);
        feed(p, NULL, "  at a", 12 * s);
        feed(p, NULL, "  at b", 14 * s);
        sl_pipeline_flush(p, 14 * s, false);
        sl_pipeline_flush(p, 16 * s, false);
        ck_assert_uint_eq(out.n, 0);
        ck_assert_uint_eq(sl_pipeline_deadline(p), 17 * s);
        sl_pipeline_flush(p, 17 * s, false);
        ck_assert_uint_eq(out.n, 1);
        st_assert_str(out.e[0].line, "START\n  at a\n  at b");
        sl_pipeline_free(p);
}
END_TEST

/* max_lines: a block is released once it has that many lines; the next
 * lines start another (with the first line's entry). */
START_TEST(max_lines) {
        struct sl_pipeline *p = st_pipeline("- multiline: {firstline: '^START', max_lines: 3}\n");

        st_out_attach(&out, p);
        e.ts_ns = 0;
        feed(p, NULL, "START", 1);
        feed(p, NULL, "1", 2);
        ck_assert_uint_eq(out.n, 0);
        feed(p, NULL, "2", 3);
        ck_assert_uint_eq(out.n, 1);
        st_assert_str(out.e[0].line, "START\n1\n2");
        feed(p, NULL, "3", 4);
        feed(p, NULL, "4", 5);
        feed(p, NULL, "START again", 6);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[1].line, "3\n4");
        ck_assert_uint_eq(out.e[1].read_ns, 1);
        sl_pipeline_flush(p, 0, true);
        st_assert_str(out.e[2].line, "START again");

        /* max_lines: 1 releases each line, the block before it first. */
        sl_pipeline_free(p);
        p = st_pipeline("- multiline: {firstline: '^S', max_lines: 1}\n");
        st_out_attach(&out, p);
        feed(p, NULL, "S1", 1);
        feed(p, NULL, "x", 2);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[0].line, "S1");
        st_assert_str(out.e[1].line, "x");
        sl_pipeline_free(p);
}
END_TEST

/* The block goes on through the stages after multiline, with the values
 * of its first line; stages before it see every line. */
START_TEST(later_stages_and_values) {
        struct sl_pipeline *p = st_pipeline(
                "- regex: {expression: '^(?P<first>\\w+)'}\n"
                "- multiline: {firstline: '^START'}\n"
                "- regex: {expression: '^START (?P<id>\\d+)(?s:.*)$'}\n"
                "- labels: {id: }\n");

        st_out_attach(&out, p);
        feed(p, "job=x", "START 42 boom", 1);
        feed(p, "job=x", "caused by", 2);
        feed(p, "job=x", "START 43", 3);
        ck_assert_uint_eq(out.n, 1);
        st_assert_str(out.e[0].line, "START 42 boom\ncaused by");
        st_assert_kv(&out.e[0].labels, "id", "42");
        st_assert_kv(&out.e[0].extracted, "first", "START");
        st_assert_kv(&out.e[0].labels, "job", "x");
        sl_pipeline_free(p);
}
END_TEST

/* The documentation page's first example: a Flask traceback, with the
 * regex stage after it taking the whole block. */
START_TEST(documentation_flask) {
        static const char *const lines[] = {
                "[2020-12-03 11:36:20] \"GET /hello HTTP/1.1\" 200 -",
                "[2020-12-03 11:36:23] ERROR in app: Exception on /error [GET]",
                "Traceback (most recent call last):",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/app.py\", line 2447, in wsgi_app",
                "    response = self.full_dispatch_request()",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/app.py\", line 1952, in full_dispatch_request",
                "    rv = self.handle_user_exception(e)",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/app.py\", line 1821, in handle_user_exception",
                "    reraise(exc_type, exc_value, tb)",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/_compat.py\", line 39, in reraise",
                "    raise value",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/app.py\", line 1950, in full_dispatch_request",
                "    rv = self.dispatch_request()",
                "  File \"/home/pallets/.pyenv/versions/3.8.5/lib/python3.8/site-packages/flask/app.py\", line 1936, in dispatch_request",
                "    return self.view_functions[rule.endpoint](**req.view_args)",
                "  File \"/home/pallets/src/deployment_tools/hello.py\", line 10, in error",
                "    raise Exception(\"Sorry, this route always breaks\")",
                "Exception: Sorry, this route always breaks",
                "[2020-12-03 11:36:23] \"GET /error HTTP/1.1\" 500 -",
                "[2020-12-03 11:36:26] \"GET /hello HTTP/1.1\" 200 -",
                "[2020-12-03 11:36:27] \"GET /hello HTTP/1.1\" 200 -",
        };
        struct sl_pipeline *p = st_pipeline(
                "- multiline:\n"
                "    firstline: '^\\[\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2}:\\d{2}\\]'\n"
                "    max_wait_time: 3s\n"
                "- regex:\n"
                "    expression: '^(?P<time>\\[\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2}:\\d{2}\\]) (?P<message>(?s:.*))$'\n");
        char block[4096] = "";

        st_out_attach(&out, p);
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                feed(p, NULL, lines[i], i);
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(out.n, 5);
        for (size_t i = 1; i <= 17; i++) {
                if (i > 1)
                        strcat(block, "\n");
                strcat(block, lines[i]);
        }
        st_assert_str(out.e[1].line, block);
        st_assert_kv(&out.e[1].extracted, "time", "[2020-12-03 11:36:23]");
        st_assert_kv(&out.e[1].extracted, "message", block + strlen("[2020-12-03 11:36:23] "));
        st_assert_str(out.e[0].line, lines[0]);
        st_assert_str(out.e[4].line, lines[20]);
        st_assert_kv(&out.e[4].extracted, "message", "\"GET /hello HTTP/1.1\" 200 -");
        sl_pipeline_free(p);
}
END_TEST

/* The page's second example: a zero-width space marks first lines. */
START_TEST(documentation_zero_width_space) {
        struct sl_pipeline *p = st_pipeline("- multiline:\n"
                                            "    firstline: '^\\x{200B}\\['\n"
                                            "    max_wait_time: 3s\n");

        st_out_attach(&out, p);
        feed(p, NULL, "\xe2\x80\x8b[2021-01-07 14:17:43,494] [DEBUG] [akka.io.TcpListener] - New connection accepted", 1);
        feed(p, NULL, "\xe2\x80\x8b[2021-01-07 14:17:43,499] [ERROR] [akka.actor.ActorSystemImpl] - Error during processing of request", 2);
        feed(p, NULL, "java.lang.Exception: oh no! oh is unknown", 3);
        feed(p, NULL, "\tat com.grafana.UserRoutes.$anonfun$userRoutes$6(UserRoutes.scala:28)", 4);
        feed(p, NULL, "  ...", 5);
        sl_pipeline_flush(p, 0, true);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[1].line,
                      "\xe2\x80\x8b[2021-01-07 14:17:43,499] [ERROR] [akka.actor.ActorSystemImpl] - Error during processing of request\n"
                      "java.lang.Exception: oh no! oh is unknown\n"
                      "\tat com.grafana.UserRoutes.$anonfun$userRoutes$6(UserRoutes.scala:28)\n"
                      "  ...");
        sl_pipeline_free(p);
}
END_TEST

/* While a block is held its file's position stays at the block's first
 * line; the block carries that offset and its last line's end. */
START_TEST(held_from_and_offsets) {
        struct sl_pipeline *p = st_pipeline(PIPE);
        uint64_t from;

        st_out_attach(&out, p);
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=out", "before", 0, 0), SL_STAGE_KEEP);
        ck_assert(!sl_pipeline_held_from(p, 5, &from));
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=out", "START a", 7, 0), SL_STAGE_HOLD);
        ck_assert(sl_pipeline_held_from(p, 5, &from));
        ck_assert_uint_eq(from, 7);
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=err", "START b", 15, 0), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=out", " more", 23, 0), SL_STAGE_HOLD);
        ck_assert_uint_eq(out.n, 0);
        /* The next first line of s=out releases its block; s=err's still
         * holds the position, at 15. */
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=out", "START c", 30, 0), SL_STAGE_HOLD);
        ck_assert_uint_eq(out.n, 1);
        ck_assert_uint_eq(out.e[0].offset, 7);
        ck_assert_uint_eq(out.e[0].end_offset, 23 + strlen(" more") + 1);
        ck_assert(sl_pipeline_held_from(p, 5, &from));
        ck_assert_uint_eq(from, 15);
        ck_assert(!sl_pipeline_held_from(p, 6, &from));

        /* The file is gone: its blocks are released. */
        sl_pipeline_forget(p, 5);
        ck_assert_uint_eq(out.n, 3);
        ck_assert(!sl_pipeline_held_from(p, 5, &from));
        /* The streams went with the file: a new file starts afresh. */
        ck_assert_int_eq(st_run_at(p, &e, 5, "s=out", " more", 40, 0), SL_STAGE_KEEP);
        sl_pipeline_free(p);
}
END_TEST

/* Inside match: a block released by the nested stages goes on through
 * the stages after match, and the timer reaches it. */
START_TEST(nested_in_match) {
        struct sl_pipeline *p = st_pipeline(
                "- match:\n"
                "    selector: '{app=\"java\"}'\n"
                "    stages:\n"
                "      - multiline: {firstline: '^\\d{4}-', max_wait_time: 1s}\n"
                "- static_labels: {after: match}\n");
        uint64_t from;

        st_out_attach(&out, p);
        ck_assert_int_eq(feed(p, "app=java", "2024-01-01 boom", SL_NSEC_PER_SEC), SL_STAGE_HOLD);
        ck_assert_int_eq(feed(p, "app=java", "\tat x", SL_NSEC_PER_SEC), SL_STAGE_HOLD);
        ck_assert(sl_pipeline_held_from(p, 1, &from));
        ck_assert_int_eq(feed(p, "app=go", "2024-01-01 not java", SL_NSEC_PER_SEC), SL_STAGE_KEEP);
        ck_assert_uint_eq(out.n, 1);
        ck_assert_uint_eq(sl_pipeline_deadline(p), 2 * SL_NSEC_PER_SEC);
        sl_pipeline_flush(p, 2 * SL_NSEC_PER_SEC, false);
        ck_assert_uint_eq(out.n, 2);
        st_assert_str(out.e[1].line, "2024-01-01 boom\n\tat x");
        st_assert_kv(&out.e[1].labels, "after", "match");
        sl_pipeline_free(p);
}
END_TEST

/* sluice: a block is capped at 1 MiB; a line longer than that goes on as
 * it is. */
START_TEST(block_cap) {
        struct sl_pipeline *p = st_pipeline(PIPE);
        size_t n = 400 * 1024;
        char *big = malloc(2 * 1024 * 1024 + 1);

        st_out_attach(&out, p);
        memset(big, 'x', n);
        big[n] = '\0';
        feed(p, NULL, "START", 1);
        feed(p, NULL, big, 2);
        feed(p, NULL, big, 3);
        ck_assert_uint_eq(out.n, 0);
        feed(p, NULL, big, 4);
        ck_assert_uint_eq(out.n, 1);
        ck_assert_uint_eq(out.e[0].line.len, 5 + 2 * (n + 1));
        memset(big, 'y', 2 * 1024 * 1024);
        big[2 * 1024 * 1024] = '\0';
        ck_assert_int_eq(feed(p, NULL, big, 5), SL_STAGE_KEEP);
        ck_assert_uint_eq(out.n, 3);
        ck_assert_uint_eq(out.e[1].line.len, n);
        ck_assert_uint_eq(out.e[2].line.len, 2 * 1024 * 1024);
        free(big);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const struct {
                const char *yaml, *key;
        } bad[] = {
                { "- multiline: {}\n", "pipeline_stages[0].multiline.firstline" },
                { "- multiline: {max_lines: 3}\n", "pipeline_stages[0].multiline.firstline" },
                { "- multiline: {firstline: '(a'}\n", "pipeline_stages[0].multiline.firstline" },
                { "- multiline: {firstline: '(?=a)'}\n", "pipeline_stages[0].multiline.firstline" },
                { "- multiline: {firstline: a, max_wait_time: 3x}\n", "pipeline_stages[0].multiline.max_wait_time" },
                { "- multiline: {firstline: a, max_lines: -1}\n", "pipeline_stages[0].multiline.max_lines" },
                { "- multiline: {firstline: a, max_line: 1}\n", "pipeline_stages[0].multiline.max_line" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, bad[i].key) == 0, "case %zu: %s", i, msg);
        }
        sl_pipeline_free(st_pipeline("- multiline: {firstline: a, max_wait_time: 0s, max_lines: 0}\n"));
}
END_TEST

static Suite *multiline_suite(void) {
        Suite *s = suite_create("stage-multiline");
        TCase *tc = tcase_create("multiline");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, process);
        tcase_add_test(tc, multi_streams);
        tcase_add_test(tc, max_wait_time);
        tcase_add_test(tc, wait_restarts_with_each_line);
        tcase_add_test(tc, max_lines);
        tcase_add_test(tc, later_stages_and_values);
        tcase_add_test(tc, documentation_flask);
        tcase_add_test(tc, documentation_zero_width_space);
        tcase_add_test(tc, held_from_and_offsets);
        tcase_add_test(tc, nested_in_match);
        tcase_add_test(tc, block_cap);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(multiline_suite)
