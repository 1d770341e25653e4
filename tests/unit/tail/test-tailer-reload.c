/* test-tailer-reload.c - what a reload asks of the tailer: a new set of
 * globs (files of a glob that stays go on with the new target and their
 * place; files of a dropped glob are let go; a new glob's files are read
 * from their start) and a rewind to the acknowledged offsets (what was read
 * and not acknowledged is handed out again, once). Real files, real
 * inotify. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/positions.h"
#include "tail/tailer.h"

static char *dir;
static struct {
        char *text[64];
        void *target[64];
        uint64_t id[64], dev[64], ino[64], end[64];
        size_t n;
} got;

static void setup(void) {
        dir = sl_test_tmpdir();
        memset(&got, 0, sizeof(got));
}

static void teardown(void) {
        for (size_t i = 0; i < got.n; i++)
                free(got.text[i]);
        sl_test_rmtree(dir);
        free(dir);
}

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        (void)ud;
        ck_assert_uint_lt(got.n, 64);
        got.text[got.n] = sl_xstrndup(line.ptr, line.len);
        got.target[got.n] = f->target;
        got.id[got.n] = f->id;
        got.dev[got.n] = f->dev;
        got.ino[got.n] = f->ino;
        got.end[got.n] = end;
        got.n++;
}

static char *in(const char *name) {
        return sl_path_join(dir, name);
}

static void append(const char *name, const char *text) {
        _cleanup_free_ char *p = in(name);
        sl_test_append_file(p, text, strlen(text));
}

/* Reads what there is, taking in inotify's events (bounded). */
static void drain(struct sl_tailer *t) {
        for (int round = 0; round < 20; round++) {
                struct pollfd pfd = { .fd = sl_tailer_fd(t), .events = POLLIN };
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, NULL);
                if (poll(&pfd, 1, 50) <= 0)
                        break;
                ck_assert_int_eq(sl_tailer_process_events(t), 0);
        }
        while (sl_tailer_has_pending(t))
                sl_tailer_read(t, 1 << 20, sink, NULL);
}

static size_t seen(const char *text) {
        size_t n = 0;
        for (size_t i = 0; i < got.n; i++)
                n += strcmp(got.text[i], text) == 0;
        return n;
}

START_TEST(new_globs_keep_files_that_stay)
{
        _cleanup_free_ char *pos = in("positions"), *ga = in("a*.log"), *gb = in("b*.log");
        _cleanup_free_ char *gc = in("c*.log");
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = sl_tailer_new(&o, p);
        int ta, tb, ta2, tc;

        append("a.log", "a1\na2\n");
        append("b.log", "b1\n");
        append("c.log", "c1\n");
        ck_assert_int_eq(sl_tailer_add_glob(t, ga, &ta), 0);
        ck_assert_int_eq(sl_tailer_add_glob(t, gb, &tb), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 2);
        drain(t);
        ck_assert_uint_eq(got.n, 3);

        {
                const char *pats[] = { gc, ga };
                void *targets[] = { &tc, &ta2 };
                ck_assert_int_eq(sl_tailer_set_globs(t, pats, targets, 2), 0);
                const char *bad[] = { "" };
                ck_assert_int_eq(sl_tailer_set_globs(t, bad, targets, 1), -EINVAL);
        }
        ck_assert_uint_eq(sl_tailer_active_files(t), 2);
        append("a.log", "a3\n");
        append("b.log", "b2\n");
        append("c.log", "c2\n");
        drain(t);
        /* a.log goes on from where it was, with the new target. */
        ck_assert_uint_eq(seen("a1"), 1);
        ck_assert_uint_eq(seen("a3"), 1);
        for (size_t i = 0; i < got.n; i++) {
                if (strcmp(got.text[i], "a3") == 0)
                        ck_assert_ptr_eq(got.target[i], &ta2);
                if (got.text[i][0] == 'c')
                        ck_assert_ptr_eq(got.target[i], &tc);
        }
        /* b.log is not followed any more; c.log is read from its start. */
        ck_assert_uint_eq(seen("b2"), 0);
        ck_assert_uint_eq(seen("c1"), 1);
        ck_assert_uint_eq(seen("c2"), 1);
        /* A new file of the new glob is found by its directory event. */
        append("c-new.log", "n1\n");
        drain(t);
        ck_assert_uint_eq(seen("n1"), 1);
        append("b-new.log", "x1\n");
        drain(t);
        ck_assert_uint_eq(seen("x1"), 0);
}
END_TEST

START_TEST(rewind_hands_out_what_was_not_acknowledged)
{
        _cleanup_free_ char *pos = in("positions"), *g = in("*.log");
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = sl_tailer_new(&o, p);

        append("x.log", "one\ntwo\nthree\npart");
        ck_assert_int_eq(sl_tailer_add_glob(t, g, NULL), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        drain(t);
        ck_assert_uint_eq(got.n, 3);
        /* Loki answered for "one" only. */
        sl_positions_ack_source(p, got.dev[0], got.ino[0], got.id[0], got.end[0]);
        sl_tailer_rewind(t);
        append("x.log", "ial\n");
        drain(t);
        ck_assert_uint_eq(seen("one"), 1);
        ck_assert_uint_eq(seen("two"), 2);
        ck_assert_uint_eq(seen("three"), 2);
        ck_assert_uint_eq(seen("partial"), 1);
        /* All acknowledged: a rewind changes nothing. */
        sl_positions_ack_source(p, got.dev[got.n - 1], got.ino[got.n - 1], got.id[got.n - 1],
                                got.end[got.n - 1]);
        sl_tailer_rewind(t);
        drain(t);
        ck_assert_uint_eq(got.n, 6);
}
END_TEST

static Suite *reload_suite(void) {
        Suite *s = suite_create("tailer-reload");
        TCase *tc = tcase_create("reload");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, new_globs_keep_files_that_stay);
        tcase_add_test(tc, rewind_hands_out_what_was_not_acknowledged);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(reload_suite)
