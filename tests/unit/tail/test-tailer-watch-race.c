/* test-tailer-watch-race.c - a line written to a new file after the tailer
 * opened it but before its inotify watch was in place sends no event; the
 * tailer must still read it at once, not at the next safety-net stat.
 *
 * This test binary defines inotify_add_watch() itself (it wins over libc's):
 * when asked, the watch of an open file (by its /proc/self/fd path) is added
 * only after a line is appended to that file, which is the moment a
 * container writes its first line as Docker creates its log. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/tailer.h"

#define WAIT_MS 3000

static char *dir;
static char *race_file;   /* append a line to it before watching an open file */
static size_t n_lines;
static char last_line[64];

int inotify_add_watch(int fd, const char *path, uint32_t mask) {
        if (race_file && strncmp(path, "/proc/self/fd/", 14) == 0) {
                sl_test_append_file(race_file, "late\n", 5);
                free(race_file);
                race_file = NULL;
        }
        return (int)syscall(SYS_inotify_add_watch, fd, path, mask);
}

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        (void)ud;
        (void)f;
        (void)end;
        n_lines++;
        snprintf(last_line, sizeof(last_line), "%.*s", (int)line.len, line.ptr);
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(line_written_before_the_watch_is_read_at_once)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *glob = NULL, *path = NULL;
        uint64_t deadline;

        dir = sl_test_tmpdir();
        glob = sl_path_join(dir, "*.log");
        path = sl_path_join(dir, "app.log");
        t = sl_tailer_new(&o, p);
        ck_assert_int_eq(sl_tailer_add_glob(t, glob, NULL), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 0);
        ck_assert_int_ge(sl_tailer_fd(t), 0);

        race_file = sl_xstrdup(path);
        sl_test_write_file(path, "first\n", 6);
        /* Only the events of the creation and first write come; the late
         * line is read without any event of its own. */
        deadline = now_ms() + WAIT_MS;
        while (n_lines < 2) {
                struct pollfd pfd = { .fd = sl_tailer_fd(t), .events = POLLIN };
                uint64_t now = now_ms();

                ck_assert_msg(now < deadline, "%zu lines read; the one written before the watch "
                              "waits for a poll", n_lines);
                if (poll(&pfd, 1, (int)SL_MIN(deadline - now, 100)) > 0)
                        ck_assert_int_eq(sl_tailer_process_events(t), 0);
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, NULL);
        }
        ck_assert_ptr_null(race_file); /* the hook ran */
        ck_assert_uint_eq(n_lines, 2);
        ck_assert_str_eq(last_line, "late");
        sl_tailer_free(TAKE_PTR(t));
        sl_test_rmtree(dir);
        free(dir);
}
END_TEST

static Suite *race_suite(void) {
        Suite *s = suite_create("tailer-watch-race");
        TCase *tc = tcase_create("race");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, line_written_before_the_watch_is_read_at_once);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(race_suite)
