/* test-tailer.c - the tailer on real files in a temporary directory, with
 * real inotify: lines across reads, appends, rotation by rename, copytruncate,
 * saved positions, files matched twice, deletion, long lines, poll mode.
 * Waiting is poll(2) on the inotify fd with a bound, never a sleep. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/tailer.h"

#define WAIT_MS 5000

struct got_line {
        char *text;          /* copy of the line */
        size_t len;          /* its length */
        uint64_t end;        /* end_offset */
        uint64_t id;         /* file id */
        char *path;          /* copy of file->path */
        void *target;        /* file->target */
};

struct collector {
        struct got_line lines[256];   /* lines in the order handed out */
        size_t n;                     /* lines used */
        uint64_t released[16];        /* ids released, in order */
        size_t n_released;            /* released used */
};

static char *dir;
static struct collector col;

static void setup(void) {
        dir = sl_test_tmpdir();
        memset(&col, 0, sizeof(col));
}

static void teardown(void) {
        for (size_t i = 0; i < col.n; i++) {
                free(col.lines[i].text);
                free(col.lines[i].path);
        }
        sl_test_rmtree(dir);
        free(dir);
}

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        struct collector *c = ud;
        struct got_line *g;

        ck_assert_uint_lt(c->n, SL_ARRAY_SIZE(c->lines));
        g = &c->lines[c->n++];
        g->text = sl_xstrndup(line.ptr, line.len);
        g->len = line.len;
        g->end = end;
        g->id = f->id;
        g->path = sl_xstrdup(f->path);
        g->target = f->target;
}

static void on_release(void *ud, const struct sl_tail_file_info *f) {
        struct collector *c = ud;

        ck_assert_uint_lt(c->n_released, SL_ARRAY_SIZE(c->released));
        c->released[c->n_released++] = f->id;
}

static char *path_in(const char *name) {
        return sl_path_join(dir, name);
}

static void write_in(const char *name, const char *text) {
        _cleanup_free_ char *p = path_in(name);
        sl_test_write_file(p, text, strlen(text));
}

static void append_in(const char *name, const char *text) {
        _cleanup_free_ char *p = path_in(name);
        sl_test_append_file(p, text, strlen(text));
}

static void stat_in(const char *name, uint64_t *dev, uint64_t *ino) {
        _cleanup_free_ char *p = path_in(name);
        struct stat st;
        ck_assert_int_eq(stat(p, &st), 0);
        *dev = (uint64_t)st.st_dev;
        *ino = (uint64_t)st.st_ino;
}

static struct sl_tailer *tailer_for(const struct sl_tailer_options *o, struct sl_positions *p,
                                    const char *glob_name) {
        _cleanup_free_ char *glob = path_in(glob_name);
        struct sl_tailer *t = sl_tailer_new(o, p);

        ck_assert_int_eq(sl_tailer_add_glob(t, glob, &col), 0);
        sl_tailer_set_release_cb(t, on_release, &col);
        return t;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads all there is, then drains inotify events without waiting. */
static void drain(struct sl_tailer *t) {
        for (int round = 0; round < 100; round++) {
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                ck_assert_int_eq(sl_tailer_process_events(t), 0);
                if (!sl_tailer_has_pending(t))
                        return;
        }
        ck_abort_msg("tailer keeps having pending work");
}

/* Reads and waits for inotify events until @lines lines and @released
 * releases were seen, or WAIT_MS pass. In poll mode, polls once instead
 * (stat is synchronous: nothing to wait for). */
static void wait_for(struct sl_tailer *t, size_t lines, size_t released) {
        uint64_t deadline = now_ms() + WAIT_MS;
        int fd = sl_tailer_fd(t);

        if (fd < 0)
                sl_tailer_poll(t);
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                uint64_t now;

                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                if (col.n >= lines && col.n_released >= released)
                        break;
                now = now_ms();
                ck_assert_msg(fd >= 0 && now < deadline,
                              "waited for %zu lines/%zu releases, have %zu/%zu", lines,
                              released, col.n, col.n_released);
                if (poll(&pfd, 1, (int)(deadline - now)) > 0)
                        ck_assert_int_eq(sl_tailer_process_events(t), 0);
        }
        /* Whatever else the events said is processed too: no late extras. */
        if (fd >= 0)
                drain(t);
        ck_assert_uint_eq(col.n, lines);
        ck_assert_uint_eq(col.n_released, released);
}

/* The index of the one line with @text; fails unless there is exactly one. */
static size_t find_line(const char *text) {
        size_t found = SIZE_MAX;

        for (size_t i = 0; i < col.n; i++) {
                if (col.lines[i].len == strlen(text) && memcmp(col.lines[i].text, text,
                                                                col.lines[i].len) == 0) {
                        ck_assert_msg(found == SIZE_MAX, "line \"%s\" handed out twice", text);
                        found = i;
                }
        }
        ck_assert_msg(found != SIZE_MAX, "line \"%s\" not handed out", text);
        return found;
}

static void assert_line(size_t i, const char *text, uint64_t end, uint64_t id) {
        ck_assert_uint_lt(i, col.n);
        ck_assert_msg(col.lines[i].len == strlen(text) && memcmp(col.lines[i].text, text,
                      col.lines[i].len) == 0, "line %zu: \"%s\", want \"%s\"", i,
                      col.lines[i].text, text);
        ck_assert_msg(col.lines[i].end == end, "line %zu (%s): end %lu, want %lu", i, text,
                      (unsigned long)col.lines[i].end, (unsigned long)end);
        ck_assert_msg(col.lines[i].id == id, "line %zu (%s): file %lu, want %lu", i, text,
                      (unsigned long)col.lines[i].id, (unsigned long)id);
}

START_TEST(lines_across_tiny_reads_then_appends)
{
        static const size_t read_sizes[] = { 1, 2, 3, 5, 7, 64 };

        for (size_t k = 0; k < SL_ARRAY_SIZE(read_sizes); k++) {
                struct sl_tailer_options o = { .read_size = read_sizes[k], .max_line_size = 64 };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                size_t base = col.n;
                char name[32];

                snprintf(name, sizeof(name), "f%zu.log", k);
                write_in(name, "one\n\ntwo\r\nthree\nfour-part");
                t = tailer_for(&o, p, name);
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                ck_assert_int_eq(sl_tailer_scan(t), 0);
                ck_assert(sl_tailer_has_pending(t));
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                ck_assert_uint_eq(col.n - base, 4);
                assert_line(base + 0, "one", 4, 1);
                assert_line(base + 1, "", 5, 1);
                assert_line(base + 2, "two\r", 10, 1);
                assert_line(base + 3, "three", 16, 1);
                /* Nothing unread: nothing pending, and reading finds nothing. */
                ck_assert(!sl_tailer_has_pending(t));
                ck_assert_uint_eq(sl_tailer_read(t, 1 << 20, sink, &col), 0);

                append_in(name, "-done\nfive\n");
                wait_for(t, base + 6, 0);
                assert_line(base + 4, "four-part-done", 31, 1);
                assert_line(base + 5, "five", 36, 1);
                ck_assert_ptr_eq(col.lines[base].target, &col);
                ck_assert_uint_eq(sl_tailer_stats(t)->lines_read, 6);
                ck_assert_uint_eq(sl_tailer_stats(t)->bytes_read, 36);
                ck_assert(!sl_tailer_has_pending(t));
        }
}
END_TEST

START_TEST(rename_rotation_finishes_old_file_and_reads_new_from_zero)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *x = path_in("x.log"), *x1 = path_in("x.log.1");
        uint64_t dev, ino1, ino2, off;

        write_in("x.log", "1\n2\n");
        stat_in("x.log", &dev, &ino1);
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 2, 0);

        append_in("x.log", "3\n");
        ck_assert_int_eq(rename(x, x1), 0);
        write_in("x.log", "4\n");
        stat_in("x.log", &dev, &ino2);
        wait_for(t, 4, 1);

        assert_line(2, "3", 6, 1);
        assert_line(3, "4", 2, 2);
        ck_assert_uint_eq(col.released[0], 1);
        ck_assert_str_eq(col.lines[3].path, x);
        ck_assert_uint_eq(sl_tailer_active_files(t), 1);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_opened, 2);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_released, 1);
        ck_assert_uint_ge(sl_tailer_stats(t)->rotations, 1);
        /* The new file has a position from 0; the old one is inactive and
         * pruned once its path leads elsewhere. */
        ck_assert(sl_positions_get(p, dev, ino2, &off));
        ck_assert_uint_eq(off, 0);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 1);
        ck_assert(!sl_positions_get(p, dev, ino1, &off));
}
END_TEST

START_TEST(rename_within_globs_keeps_following)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *x = path_in("x.log"), *x1 = path_in("x.log.1");

        write_in("x.log", "1\n");
        t = tailer_for(&o, p, "x.log*");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);

        append_in("x.log", "2\n");
        ck_assert_int_eq(rename(x, x1), 0);
        write_in("x.log", "3\n");
        wait_for(t, 3, 0);
        /* No order between two files; within one, the file's order. */
        assert_line(find_line("2"), "2", 4, 1);
        assert_line(find_line("3"), "3", 2, 2);
        /* Still followed, under its opening name, from where it was. */
        append_in("x.log.1", "late\n");
        wait_for(t, 4, 0);
        assert_line(3, "late", 9, 1);
        ck_assert_str_eq(col.lines[3].path, x);
        ck_assert_uint_eq(sl_tailer_active_files(t), 2);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_opened, 2);
        ck_assert_uint_eq(sl_tailer_stats(t)->rotations, 1);

        /* Its position entry now records the new name, so prune keeps it. */
        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 2);

        /* Rotated out of the globs at last: read to its end, released. */
        append_in("x.log.1", "last\n");
        {
                _cleanup_free_ char *gone = path_in("archived");
                ck_assert_int_eq(rename(x1, gone), 0);
        }
        wait_for(t, 5, 1);
        assert_line(4, "last", 14, 1);
        ck_assert_uint_eq(col.released[0], 1);
}
END_TEST

START_TEST(rotation_behind_a_symlink)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *real = path_in("pods"), *link = path_in("app.log");
        _cleanup_free_ char *cur = path_in("pods/0.log"), *old = path_in("pods/0.log.1");

        ck_assert_int_eq(mkdir(real, 0755), 0);
        write_in("pods/0.log", "1\n");
        ck_assert_int_eq(symlink("pods/0.log", link), 0);
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);

        append_in("pods/0.log", "2\n");
        ck_assert_int_eq(rename(cur, old), 0);
        wait_for(t, 2, 1);
        /* The successor appears later, in a directory no glob names. */
        write_in("pods/0.log", "3\n");
        wait_for(t, 3, 1);
        assert_line(1, "2", 4, 1);
        assert_line(2, "3", 2, 2);
        ck_assert_str_eq(col.lines[2].path, link);
        ck_assert_uint_eq(col.released[0], 1);
}
END_TEST

START_TEST(copytruncate_reads_again_from_zero)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        uint64_t dev, ino, off;

        write_in("app.log", "aaa\nbbb\n");
        stat_in("app.log", &dev, &ino);
        t = tailer_for(&o, p, "app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 2, 0);
        sl_positions_ack(p, dev, ino, 8);

        write_in("app.log", "c\n"); /* O_TRUNC, then a short write */
        wait_for(t, 3, 0);
        assert_line(2, "c", 2, 1);
        ck_assert_uint_eq(sl_tailer_stats(t)->truncations, 1);
        ck_assert(sl_positions_get(p, dev, ino, &off));
        ck_assert_uint_eq(off, 0);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_released, 0);
}
END_TEST

START_TEST(saved_position_is_resumed)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_free_ char *pos = path_in("positions");
        _cleanup_(sl_positions_freep) struct sl_positions *saved = sl_positions_new(pos);
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *app = path_in("app.log");
        uint64_t dev, ino;

        write_in("app.log", "a\nb\n");
        stat_in("app.log", &dev, &ino);
        sl_positions_track(saved, dev, ino, app, 2);
        ck_assert_int_eq(sl_positions_save(saved), 0);

        ck_assert_int_eq(sl_positions_load(p), 0);
        t = tailer_for(&o, p, "app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);
        assert_line(0, "b", 4, 1);
}
END_TEST

START_TEST(invalid_saved_position_reads_from_zero)
{
        static const uint64_t bad[] = { 1, 2, 100 };

        for (size_t k = 0; k < SL_ARRAY_SIZE(bad); k++) {
                struct sl_tailer_options o = { 0 };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                _cleanup_free_ char *app = path_in("app.log");
                uint64_t dev, ino, off;
                size_t base = col.n;

                write_in("app.log", "ab\ncd\n");
                stat_in("app.log", &dev, &ino);
                sl_positions_track(p, dev, ino, app, bad[k]);
                t = tailer_for(&o, p, "app.log");
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                wait_for(t, base + 2, 0);
                assert_line(base, "ab", 3, 1);
                assert_line(base + 1, "cd", 6, 1);
                ck_assert(sl_positions_get(p, dev, ino, &off));
                ck_assert_uint_eq(off, 0);
        }
}
END_TEST

START_TEST(file_matched_twice_is_followed_once)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = sl_tailer_new(&o, p);
        _cleanup_free_ char *g1 = path_in("*.log"), *g2 = path_in("x.*");
        _cleanup_free_ char *x = path_in("x.log"), *y = path_in("y.log");
        int target2;

        write_in("x.log", "1\n");
        ck_assert_int_eq(link(x, y), 0);   /* the same file under a second name */
        ck_assert_int_eq(sl_tailer_add_glob(t, g1, &col), 0);
        ck_assert_int_eq(sl_tailer_add_glob(t, g2, &target2), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);
        ck_assert_ptr_eq(col.lines[0].target, &col);
        append_in("y.log", "2\n");
        wait_for(t, 2, 0);
        assert_line(1, "2", 4, 1);
        ck_assert_uint_eq(sl_tailer_active_files(t), 1);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_opened, 1);
        /* One name going away is not the file going away. */
        ck_assert_int_eq(unlink(x), 0);
        drain(t);
        ck_assert_uint_eq(sl_tailer_active_files(t), 1);
        ck_assert_uint_eq(col.n_released, 0);
}
END_TEST

START_TEST(deleted_file_is_read_to_its_end_then_released)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *app = path_in("app.log");
        uint64_t dev, ino, off;

        write_in("app.log", "1\n");
        stat_in("app.log", &dev, &ino);
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);

        append_in("app.log", "2\nno newline");
        ck_assert_int_eq(unlink(app), 0);
        wait_for(t, 3, 1);
        assert_line(1, "2", 4, 1);
        /* The last bytes of a released file are its last line. */
        assert_line(2, "no newline", 14, 1);
        ck_assert_uint_eq(col.released[0], 1);
        ck_assert_uint_eq(sl_tailer_active_files(t), 0);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_released, 1);
        ck_assert(!sl_tailer_has_pending(t));
        /* Released in positions too: prune drops it. */
        ck_assert(sl_positions_get(p, dev, ino, &off));
        sl_positions_prune(p);
        ck_assert(!sl_positions_get(p, dev, ino, &off));
}
END_TEST

START_TEST(long_lines_are_cut_in_pieces)
{
        static const size_t read_sizes[] = { 3, 4, 5, 64 };

        for (size_t k = 0; k < SL_ARRAY_SIZE(read_sizes); k++) {
                struct sl_tailer_options o = { .read_size = read_sizes[k], .max_line_size = 4 };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                size_t base = col.n;

                write_in("long.log", "abcdefghij\nABCDEFGH\nwxyz\n\nxy\n");
                t = tailer_for(&o, p, "long.log");
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                ck_assert_uint_eq(col.n - base, 8);
                /* Pieces carry the offset where their line starts. */
                assert_line(base + 0, "abcd", 0, 1);
                assert_line(base + 1, "efgh", 0, 1);
                assert_line(base + 2, "ij", 11, 1);
                assert_line(base + 3, "ABCD", 11, 1);
                assert_line(base + 4, "EFGH", 20, 1);   /* the rest, with its '\n' */
                assert_line(base + 5, "wxyz", 25, 1);   /* exactly max: whole */
                assert_line(base + 6, "", 26, 1);       /* a real empty line stays */
                assert_line(base + 7, "xy", 29, 1);
                ck_assert_uint_eq(sl_tailer_stats(t)->lines_split, 3);
        }
}
END_TEST

START_TEST(new_files_in_new_directories_are_found)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *c1 = path_in("c1");

        t = tailer_for(&o, p, "*/app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 0);
        ck_assert_int_eq(mkdir(c1, 0755), 0);
        write_in("c1/app.log", "hello\n");
        wait_for(t, 1, 0);
        assert_line(0, "hello", 6, 1);
        write_in("c1/other.log", "not matched\n");
        drain(t);
        ck_assert_uint_eq(col.n, 1);
}
END_TEST

START_TEST(poll_mode_notices_growth_rotation_and_truncation)
{
        struct sl_tailer_options o = { .poll = true };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        _cleanup_free_ char *x = path_in("x.log"), *x1 = path_in("x.log.1");

        write_in("x.log", "1\n");
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_fd(t), -1);
        ck_assert_int_eq(sl_tailer_process_events(t), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);

        append_in("x.log", "2\n");
        ck_assert(!sl_tailer_has_pending(t));   /* not known before a poll */
        sl_tailer_poll(t);
        ck_assert(sl_tailer_has_pending(t));
        wait_for(t, 2, 0);

        append_in("x.log", "3\n");
        ck_assert_int_eq(rename(x, x1), 0);
        write_in("x.log", "4\n");
        wait_for(t, 4, 1);
        assert_line(2, "3", 6, 1);
        assert_line(3, "4", 2, 2);

        write_in("x.log", "");
        sl_tailer_poll(t);
        ck_assert_uint_eq(sl_tailer_stats(t)->truncations, 1);
        append_in("x.log", "5\n");
        wait_for(t, 5, 1);
        assert_line(4, "5", 2, 2);
}
END_TEST

struct file_view {
        size_t n;
        uint64_t offset, size;
};

static void view_file(void *ud, const struct sl_tail_file_stat *s) {
        struct file_view *v = ud;
        v->n++;
        v->offset += s->offset;
        v->size += s->size;
}

START_TEST(round_robin_shares_the_budget)
{
        struct sl_tailer_options o = { .read_size = 4 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        struct file_view v = { 0 };
        size_t from_a = 0, from_b = 0;

        write_in("a.log", "a1\na2\na3\na4\n");
        write_in("b.log", "b1\nb2\nb3\nb4\n");
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_scan(t), 2);
        sl_tailer_foreach_file(t, view_file, &v);
        ck_assert_uint_eq(v.n, 2);
        ck_assert_uint_eq(v.offset, 0);
        ck_assert_uint_eq(v.size, 24);

        /* Each call reads about the budget, one block per file in turn. */
        ck_assert_uint_eq(sl_tailer_read(t, 8, sink, &col), 8);
        for (size_t i = 0; i < col.n; i++)
                *(col.lines[i].id == 1 ? &from_a : &from_b) += 1;
        ck_assert_uint_eq(from_a, 1);
        ck_assert_uint_eq(from_b, 1);
        ck_assert_uint_eq(sl_tailer_read(t, 1 << 20, sink, &col), 16);
        ck_assert_uint_eq(col.n, 8);
        memset(&v, 0, sizeof(v));
        sl_tailer_foreach_file(t, view_file, &v);
        ck_assert_uint_eq(v.offset, 24);
        ck_assert(!sl_tailer_has_pending(t));
}
END_TEST

START_TEST(globs_are_checked)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = sl_tailer_new(&o, p);
        _cleanup_free_ char *g = path_in("*.log");

        ck_assert_int_eq(sl_tailer_add_glob(t, "", NULL), -EINVAL);
        ck_assert_int_eq(sl_tailer_add_glob(t, g, NULL), 0);
        ck_assert_int_eq(sl_tailer_scan(t), 0);
        ck_assert_int_eq(sl_tailer_add_glob(t, g, NULL), -EBUSY);
        ck_assert_int_ge(sl_tailer_fd(t), 0);
        ck_assert(!sl_tailer_has_pending(t));
        sl_tailer_free(NULL);
}
END_TEST

static Suite *tailer_suite(void) {
        Suite *s = suite_create("tailer");
        TCase *tc = tcase_create("files");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, lines_across_tiny_reads_then_appends);
        tcase_add_test(tc, rename_rotation_finishes_old_file_and_reads_new_from_zero);
        tcase_add_test(tc, rename_within_globs_keeps_following);
        tcase_add_test(tc, rotation_behind_a_symlink);
        tcase_add_test(tc, copytruncate_reads_again_from_zero);
        tcase_add_test(tc, saved_position_is_resumed);
        tcase_add_test(tc, invalid_saved_position_reads_from_zero);
        tcase_add_test(tc, file_matched_twice_is_followed_once);
        tcase_add_test(tc, deleted_file_is_read_to_its_end_then_released);
        tcase_add_test(tc, long_lines_are_cut_in_pieces);
        tcase_add_test(tc, new_files_in_new_directories_are_found);
        tcase_add_test(tc, poll_mode_notices_growth_rotation_and_truncation);
        tcase_add_test(tc, round_robin_shares_the_budget);
        tcase_add_test(tc, globs_are_checked);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tailer_suite)
