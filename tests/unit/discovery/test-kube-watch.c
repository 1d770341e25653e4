/* test-kube-watch.c - a watch body cut anywhere gives the same lines, a
 * line past the cap is refused, and each kind of event reads as the API
 * server writes it (shapes from the Kubernetes API's watch documentation:
 * {"type": ..., "object": ...}, a Status object with code 410 for a
 * resourceVersion that is gone, BOOKMARK with only metadata). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "discovery/kube-watch.h"
#include "sl-test.h"

static struct {
        char *line[16];
        size_t n;
        size_t stop_after; /* 0: never stop */
} got;

static void forget(void) {
        for (size_t i = 0; i < got.n; i++)
                free(got.line[i]);
        memset(&got, 0, sizeof(got));
}

static bool on_line(void *ud, const char *text, size_t len) {
        (void)ud;
        ck_assert_uint_lt(got.n, 16);
        got.line[got.n++] = sl_xstrndup(text, len);
        return got.stop_after == 0 || got.n < got.stop_after;
}

START_TEST(pieces_cut_anywhere_give_the_same_lines)
{
        static const char body[] = "{\"type\":\"ADDED\"}\n\n{\"type\":\"BOOKMARK\"}\nlast, cut";
        struct sl_kube_watch_reader r;

        /* Every cut in two, and byte by byte. */
        for (size_t cut = 0; cut <= sizeof(body) - 1; cut++) {
                sl_kube_watch_reader_init(&r, 1024);
                ck_assert_int_eq(sl_kube_watch_feed(&r, sl_str_from(body, cut), on_line, NULL), 1);
                ck_assert_int_eq(sl_kube_watch_feed(&r, sl_str_from(body + cut,
                                                                    sizeof(body) - 1 - cut),
                                                    on_line, NULL), 1);
                ck_assert_uint_eq(got.n, 3);
                ck_assert_str_eq(got.line[0], "{\"type\":\"ADDED\"}");
                ck_assert_str_eq(got.line[1], "");
                ck_assert_str_eq(got.line[2], "{\"type\":\"BOOKMARK\"}");
                forget();
                /* The unterminated tail waits; a reset forgets it. */
                ck_assert_uint_eq(r.line.len, strlen("last, cut"));
                sl_kube_watch_reader_reset(&r);
                ck_assert_int_eq(sl_kube_watch_feed(&r, SL_STR_LIT("x\n"), on_line, NULL), 1);
                ck_assert_str_eq(got.line[0], "x");
                forget();
                sl_kube_watch_reader_release(&r);
        }
        sl_kube_watch_reader_init(&r, 1024);
        for (size_t i = 0; i < sizeof(body) - 1; i++)
                ck_assert_int_eq(sl_kube_watch_feed(&r, sl_str_from(body + i, 1), on_line, NULL),
                                 1);
        ck_assert_uint_eq(got.n, 3);
        forget();
        sl_kube_watch_reader_release(&r);
}
END_TEST

START_TEST(stop_and_cap)
{
        struct sl_kube_watch_reader r;

        sl_kube_watch_reader_init(&r, 8);
        got.stop_after = 1;
        ck_assert_int_eq(sl_kube_watch_feed(&r, SL_STR_LIT("a\nb\nc\n"), on_line, NULL), 0);
        ck_assert_uint_eq(got.n, 1);
        forget();
        /* 8 bytes fit; the ninth does not, even across pieces. */
        ck_assert_int_eq(sl_kube_watch_feed(&r, SL_STR_LIT("12345678\n"), on_line, NULL), 1);
        ck_assert_int_eq(sl_kube_watch_feed(&r, SL_STR_LIT("12345"), on_line, NULL), 1);
        ck_assert_int_eq(sl_kube_watch_feed(&r, SL_STR_LIT("6789\n"), on_line, NULL), -E2BIG);
        ck_assert_uint_eq(got.n, 1);
        ck_assert_uint_eq(r.line.len, 0);
        forget();
        sl_kube_watch_reader_release(&r);
}
END_TEST

static void parse(const char *text, struct sl_kube_event *ev) {
        memset(ev, 0, sizeof(*ev));
        ck_assert_int_eq(sl_kube_event_parse(text, strlen(text), ev), 0);
}

START_TEST(events)
{
        struct sl_kube_event ev;

        parse("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"api-1\","
              "\"namespace\":\"w40k\",\"uid\":\"u-1\",\"resourceVersion\":\"1234\"},"
              "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"api\"}]},"
              "\"status\":{\"podIP\":\"10.1.0.7\",\"phase\":\"Running\"}}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_ADDED);
        ck_assert(ev.has_pod);
        ck_assert_str_eq(ev.pod.name, "api-1");
        ck_assert_str_eq(ev.pod.ns, "w40k");
        ck_assert_str_eq(ev.resource_version, "1234");
        ck_assert_uint_eq(ev.pod.n_targets, 1);
        ck_assert_str_eq(ev.pod.targets[0].container, "api");
        sl_kube_event_release(&ev);

        parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"api-1\","
              "\"namespace\":\"w40k\",\"resourceVersion\":\"1240\"}}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_DELETED);
        ck_assert(ev.has_pod);
        ck_assert_uint_eq(ev.pod.n_targets, 0); /* no IP: no targets, as in Prometheus */
        sl_kube_event_release(&ev);

        parse("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
              "{\"resourceVersion\":\"1300\"}}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_BOOKMARK);
        ck_assert(!ev.has_pod);
        ck_assert_str_eq(ev.resource_version, "1300");
        sl_kube_event_release(&ev);

        parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
              "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (1300)\","
              "\"reason\":\"Expired\",\"code\":410}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_ERROR);
        ck_assert_int_eq(ev.code, 410);
        sl_kube_event_release(&ev);

        /* A pod without a name is no pod; other types and shapes are no
         * event; what is not a JSON object is refused. */
        parse("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{}}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_MODIFIED);
        ck_assert(!ev.has_pod);
        sl_kube_event_release(&ev);
        /* An empty name is none either (found by fuzz-kube-watch). */
        parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"\","
              "\"namespace\":\"w40k\"}}}", &ev);
        ck_assert(!ev.has_pod);
        sl_kube_event_release(&ev);
        parse("{\"type\":\"SYNC\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_NONE);
        ck_assert_ptr_null(ev.resource_version);
        sl_kube_event_release(&ev);
        parse("{\"type\":7,\"object\":[]}", &ev);
        ck_assert_int_eq(ev.type, SL_KUBE_EVENT_NONE);
        sl_kube_event_release(&ev);
        memset(&ev, 0, sizeof(ev));
        ck_assert_int_eq(sl_kube_event_parse("[1]", 3, &ev), -EBADMSG);
        ck_assert_int_eq(sl_kube_event_parse("{\"type\":", 8, &ev), -EBADMSG);
        ck_assert_int_eq(sl_kube_event_parse("", 0, &ev), -EBADMSG);
        sl_kube_event_release(&ev);
}
END_TEST

static Suite *kube_watch_suite(void) {
        Suite *s = suite_create("kube-watch");
        TCase *tc = tcase_create("kube-watch");

        tcase_add_test(tc, pieces_cut_anywhere_give_the_same_lines);
        tcase_add_test(tc, stop_and_cap);
        tcase_add_test(tc, events);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(kube_watch_suite)
