/* test-tailer.c - the tailer on real files in a temporary directory, with
 * real inotify: lines across reads, appends, rotation by rename (and the
 * order of a rotated file's last lines and its successor's first), 
 * copytruncate (also truncated and written past the offset again), saved
 * positions and fingerprints (inode reuse), files matched twice, deletion
 * (many files: descriptors come back), long lines, poll mode, watch limits
 * and inotify set-up failures; files rotated or deleted while the tailer was
 * stopped (read on from the saved position first, or counted lost).
 * Waiting is poll(2) on the inotify fd with a bound, never a sleep. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/fingerprint.h"
#include "tail/tailer.h"

#define WAIT_MS 5000

struct got_line {
        char *text;          /* copy of the line */
        size_t len;          /* its length */
        uint64_t end;        /* end_offset */
        uint64_t id;         /* file id */
        char *path;          /* copy of file->path */
        void *target;        /* file->target */
        uint64_t dev, ino;    /* the file's identity, for acknowledging */
};

struct collector {
        struct got_line lines[512];   /* lines in the order handed out */
        size_t n;                     /* lines used */
        uint64_t released[128];       /* ids released, in order */
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
        g->dev = f->dev;
        g->ino = f->ino;
        g->path = sl_xstrdup(f->path);
        g->target = f->target;
}

/* Acknowledges every line collected so far, as the agent does once Loki
 * has answered for them: released entries are pruned only after that. */
static void ack_all(struct sl_positions *p) {
        for (size_t i = 0; i < col.n; i++)
                sl_positions_ack_source(p, col.lines[i].dev, col.lines[i].ino, col.lines[i].id,
                                        col.lines[i].end);
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
        /* Kept while its lines wait for Loki (a crash must find it again). */
        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ack_all(p);
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

struct rewrite_case {
        const char *name;
        bool poll;               /* poll mode instead of inotify */
        const char *before;      /* content read first */
        const char *after;       /* then: truncated and written with this, unseen between */
        const char *want[3];     /* the lines handed out after, NULL-terminated */
        uint64_t rewrites;       /* truncations found by the first bytes */
};

/* 1100 bytes: a 1023-byte line, then one of 76. */
#define KX "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define K1023 KX KX KX KX KX KX KX KX "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define Y75 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"

static const struct rewrite_case rewrite_cases[] = {
        { "shorter: the size tells", false, "aaaa\nbbbb\n", "cc\n", { "cc", NULL }, 0 },
        { "regrown past the offset", false, "aaaa\nbbbb\n", "cccccccccc\ndddd\n",
          { "cccccccccc", "dddd", NULL }, 1 },
        { "regrown past the offset, poll", true, "aaaa\nbbbb\n", "cccccccccc\ndddd\n",
          { "cccccccccc", "dddd", NULL }, 1 },
        /* Not detectable: the first 1 KiB is the same, the size grew. The
         * old offset is read on from, as if the file had been appended to. */
        { "first 1 KiB unchanged", false, K1023 "\n" Y75 "\n", K1023 "\n" "zz\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nlast\n",
          { "zzzzzzzz", "last", NULL }, 0 },
};

/* copytruncate: the file is truncated and written again between two looks
 * of the tailer. Shorter than the read offset, the size tells; longer, only
 * the first bytes (the fingerprint, checked after every read block) do. */
START_TEST(truncated_and_rewritten_is_read_from_zero)
{
        for (size_t k = 0; k < SL_ARRAY_SIZE(rewrite_cases); k++) {
                const struct rewrite_case *c = &rewrite_cases[k];
                struct sl_tailer_options o = { .poll = c->poll };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                _cleanup_free_ char *app = path_in("app.log");
                size_t base, n_want = 0;
                uint64_t dev, ino, off;

                write_in("app.log", c->before);
                stat_in("app.log", &dev, &ino);
                t = tailer_for(&o, p, "app.log");
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                base = col.n;
                sl_positions_ack(p, dev, ino, strlen(c->before));

                sl_test_write_file(app, c->after, strlen(c->after));  /* O_TRUNC, write */
                while (c->want[n_want])
                        n_want++;
                wait_for(t, base + n_want, 0);
                for (size_t i = 0; i < n_want; i++) {
                        size_t len = col.lines[base + i].len;
                        /* A case may name only the start of a long line. */
                        ck_assert_msg(len >= strlen(c->want[i]) &&
                                      memcmp(col.lines[base + i].text, c->want[i],
                                             strlen(c->want[i])) == 0,
                                      "%s: line %zu is \"%.20s\", want \"%s\"", c->name, i,
                                      col.lines[base + i].text, c->want[i]);
                }
                ck_assert_msg(sl_tailer_stats(t)->rewrites == c->rewrites, "%s: rewrites %lu",
                              c->name, (unsigned long)sl_tailer_stats(t)->rewrites);
                ck_assert_uint_eq(sl_tailer_stats(t)->truncations,
                                  c->rewrites || strlen(c->after) < strlen(c->before));
                /* A truncation takes the position back to 0, and acks still in
                 * flight for the old content cannot move it past what the new
                 * content had when read. */
                ck_assert(sl_positions_get(p, dev, ino, &off));
                if (sl_tailer_stats(t)->truncations) {
                        ck_assert_uint_eq(off, 0);
                        sl_positions_ack(p, dev, ino, strlen(c->after) + 1);
                        ck_assert(sl_positions_get(p, dev, ino, &off));
                        ck_assert_uint_eq(off, 0);
                }
                sl_tailer_free(TAKE_PTR(t));
                ck_assert_int_eq(unlink(app), 0);
        }
}
END_TEST

/* A rotated file's last lines come before its successor's first ones, also
 * when a rescan (the timer's, before any event was read) or a rename within
 * the globs is how the tailer learns of the rotation. */
struct order_case {
        const char *name;
        const char *glob;        /* x.log only, or its rotated names too */
        bool by_scan;            /* learnt by sl_tailer_scan(), not by events */
};

static const struct order_case order_cases[] = {
        { "renamed away, events",          "x.log",  false },
        { "renamed away, periodic rescan", "x.log",  true },
        { "renamed within globs, events",  "x.log*", false },
        { "renamed within globs, rescan",  "x.log*", true },
};

START_TEST(rotated_file_is_finished_before_its_successor)
{
        for (size_t k = 0; k < SL_ARRAY_SIZE(order_cases); k++) {
                const struct order_case *c = &order_cases[k];
                struct sl_tailer_options o = { 0 };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                _cleanup_free_ char *x = path_in("x.log"), *x1 = path_in("x.log.1");
                size_t base = col.n, released = col.n_released;

                write_in("x.log", "1\n");
                t = tailer_for(&o, p, c->glob);
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                wait_for(t, base + 1, released);

                append_in("x.log", "2\n2b\n");
                ck_assert_int_eq(rename(x, x1), 0);
                write_in("x.log", "3\n");
                if (c->by_scan) {
                        ck_assert_int_eq(sl_tailer_scan(t), 1);
                        while (sl_tailer_has_pending(t))
                                sl_tailer_read(t, 1 << 20, sink, &col);
                        ck_assert_uint_eq(col.n, base + 4);
                }
                wait_for(t, base + 4, released + (strcmp(c->glob, "x.log") == 0));
                ck_assert_msg(strcmp(col.lines[base + 1].text, "2") == 0 &&
                              strcmp(col.lines[base + 2].text, "2b") == 0 &&
                              strcmp(col.lines[base + 3].text, "3") == 0,
                              "%s: order %s %s %s", c->name, col.lines[base + 1].text,
                              col.lines[base + 2].text, col.lines[base + 3].text);
                ck_assert_uint_eq(col.lines[base + 3].id, 2);
                sl_tailer_free(TAKE_PTR(t));
                ck_assert_int_eq(unlink(x), 0);
                ck_assert_int_eq(unlink(x1), 0);
        }
}
END_TEST

/* What a saved position's fingerprint covers, for app.log = "a\nb\n". */
enum saved_fp {
        FP_NONE,        /* empty: a v1 entry, matched by device+inode */
        FP_PREFIX,      /* "a\n": saved when the file was shorter */
        FP_FULL,        /* "a\nb\n" */
        FP_OTHER,       /* "x\ny\n": another file had the inode */
        FP_LONGER,      /* "a\nb\nc\n": the file is shorter than what was saved */
};

struct saved_case {
        const char *name;
        enum saved_fp fp;
        bool resumed;            /* read from the saved offset 2 (else from 0) */
};

static const struct saved_case saved_cases[] = {
        { "v1 entry",              FP_NONE,   true },
        { "fingerprint of a prefix", FP_PREFIX, true },
        { "full fingerprint",      FP_FULL,   true },
        { "another file's",        FP_OTHER,  false },
        { "longer than the file",  FP_LONGER, false },
};

START_TEST(saved_position_is_resumed_only_for_the_same_file)
{
        static const char *const fp_text[] = { "", "a\n", "a\nb\n", "x\ny\n", "a\nb\nc\n" };

        for (size_t k = 0; k < SL_ARRAY_SIZE(saved_cases); k++) {
                const struct saved_case *c = &saved_cases[k];
                struct sl_tailer_options o = { 0 };
                _cleanup_free_ char *pos = path_in("positions");
                _cleanup_(sl_positions_freep) struct sl_positions *saved = sl_positions_new(pos);
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                _cleanup_free_ char *app = path_in("app.log");
                struct sl_fingerprint fp, got, want;
                uint64_t dev, ino, off;
                size_t base = col.n;

                write_in("app.log", "a\nb\n");
                stat_in("app.log", &dev, &ino);
                sl_fingerprint_of(fp_text[c->fp], strlen(fp_text[c->fp]), &fp);
                sl_positions_track(saved, dev, ino, app, 2, &fp, 0);
                ck_assert_int_eq(sl_positions_save(saved), 0);

                ck_assert_int_eq(sl_positions_load(p), 0);
                t = tailer_for(&o, p, "app.log");
                ck_assert_int_eq(sl_tailer_scan(t), 1);
                if (c->resumed) {
                        wait_for(t, base + 1, 0);
                        assert_line(base, "b", 4, 1);
                } else {
                        wait_for(t, base + 2, 0);
                        assert_line(base, "a", 2, 1);
                        assert_line(base + 1, "b", 4, 1);
                }
                ck_assert_msg(sl_tailer_stats(t)->fingerprint_mismatches == (c->fp >= FP_OTHER),
                              "%s: mismatches %lu", c->name,
                              (unsigned long)sl_tailer_stats(t)->fingerprint_mismatches);
                /* Either way the entry now has the file's own fingerprint. */
                sl_fingerprint_of("a\nb\n", 4, &want);
                ck_assert(sl_positions_get_fingerprint(p, dev, ino, &got));
                ck_assert_msg(sl_fingerprint_equal(&got, &want), "%s: fingerprint len %u",
                              c->name, got.len);
                ck_assert(sl_positions_get(p, dev, ino, &off));
                ck_assert_uint_eq(off, c->resumed ? 2 : 0);
        }
}
END_TEST

/* Deleted while stopped, and a new file created at the same path: when it
 * gets the old inode (likely on ext4, xfs...), device+inode alone would
 * apply the old offset to it; its first bytes say it is another file. When
 * the file system does not hand out the inode again, the position is moved
 * onto the new inode, which is what reuse looks like to the tailer. */
START_TEST(reused_inode_is_read_from_zero)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_free_ char *pos = path_in("positions");
        _cleanup_free_ char *app = path_in("app.log");
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(pos);
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        struct sl_fingerprint old_fp, got, want;
        uint64_t dev, ino, dev2, ino2, off;
        /* Offset 12 of the new content also follows a '\n': the offset check
         * alone would accept it. */
        const char *old_text = "old-1\nold-2\n", *new_text = "new-01\nnew2\nnew-3\n";
        bool reused = false;

        write_in("app.log", old_text);
        stat_in("app.log", &dev, &ino);
        t = tailer_for(&o, p, "app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 2, 0);
        sl_positions_ack(p, dev, ino, 12);
        ck_assert(sl_positions_get_fingerprint(p, dev, ino, &old_fp));
        ck_assert_uint_eq(old_fp.len, 12);
        ck_assert_int_eq(sl_positions_save(p), 0);
        sl_tailer_free(t);
        t = NULL;

        for (int attempt = 0; attempt < 8 && !reused; attempt++) {
                ck_assert_int_eq(unlink(app), 0);
                write_in("app.log", new_text);
                stat_in("app.log", &dev2, &ino2);
                reused = dev2 == dev && ino2 == ino;
        }
        ck_assert_int_eq(sl_positions_load(q), 0);
        if (!reused) {
                sl_positions_track(q, dev2, ino2, app, 12, &old_fp, 0);
                sl_positions_release(q, dev2, ino2);
        }
        t = tailer_for(&o, q, "app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 5, 0);
        assert_line(2, "new-01", 7, 1);
        assert_line(3, "new2", 12, 1);
        assert_line(4, "new-3", 18, 1);
        ck_assert_uint_eq(sl_tailer_stats(t)->fingerprint_mismatches, 1);
        ck_assert(sl_positions_get(q, dev2, ino2, &off));
        ck_assert_uint_eq(off, 0);
        sl_fingerprint_of(new_text, strlen(new_text), &want);
        ck_assert(sl_positions_get_fingerprint(q, dev2, ino2, &got));
        ck_assert(sl_fingerprint_equal(&got, &want));
}
END_TEST

START_TEST(fingerprint_grows_with_the_file)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        char big[SL_FINGERPRINT_MAX + 100];
        struct sl_fingerprint got, want;
        uint64_t dev, ino;

        write_in("app.log", "");
        stat_in("app.log", &dev, &ino);
        t = tailer_for(&o, p, "app.log");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        ck_assert(sl_positions_get_fingerprint(p, dev, ino, &got));
        ck_assert_uint_eq(got.len, 0);

        append_in("app.log", "ab\n");
        wait_for(t, 1, 0);
        ck_assert(sl_positions_get_fingerprint(p, dev, ino, &got));
        sl_fingerprint_of("ab\n", 3, &want);
        ck_assert(sl_fingerprint_equal(&got, &want));

        /* Past SL_FINGERPRINT_MAX it covers exactly that much. */
        memset(big, 'x', sizeof(big));
        big[0] = 'a';
        big[1] = 'b';
        big[2] = '\n';
        big[sizeof(big) - 1] = '\n';
        {
                _cleanup_free_ char *path = path_in("app.log");
                sl_test_write_file(path, big, sizeof(big));   /* same first 3 bytes */
        }
        wait_for(t, 2, 0);
        ck_assert_uint_eq(sl_tailer_stats(t)->rewrites, 0);
        sl_fingerprint_of(big, sizeof(big), &want);
        ck_assert_uint_eq(want.len, SL_FINGERPRINT_MAX);
        ck_assert(sl_positions_get_fingerprint(p, dev, ino, &got));
        ck_assert(sl_fingerprint_equal(&got, &want));
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
                struct sl_fingerprint none;


                write_in("app.log", "ab\ncd\n");
                stat_in("app.log", &dev, &ino);
                sl_fingerprint_init(&none);
                sl_positions_track(p, dev, ino, app, bad[k], &none, 0);
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
        /* Released in positions too: prune drops it once its lines are
         * acknowledged. */
        ck_assert(sl_positions_get(p, dev, ino, &off));
        sl_positions_prune(p);
        ck_assert(sl_positions_get(p, dev, ino, &off));
        ack_all(p);
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
        size_t same_identity;    /* files whose dev and ino are their path's */
};

static void view_file(void *ud, const struct sl_tail_file_stat *s) {
        struct file_view *v = ud;
        struct stat st;

        v->n++;
        v->offset += s->offset;
        v->size += s->size;
        if (stat(s->path, &st) == 0 && (uint64_t)st.st_dev == s->dev &&
            (uint64_t)st.st_ino == s->ino)
                v->same_identity++;
}

/* The number of descriptors this process has open. */
static size_t open_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1;   /* opendir's own */
}

/* Many files deleted while open: each is read to its end (its last bytes
 * without '\n' too), released, and its descriptor closed. */
START_TEST(deleted_files_are_finished_and_their_descriptors_closed)
{
        struct sl_tailer_options o = { .read_size = 7 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        enum { N = 100 };
        size_t before = open_fds(), seen[N] = { 0 };

        for (int i = 0; i < N; i++) {
                char name[32], text[64];
                snprintf(name, sizeof(name), "c%03d.log", i);
                snprintf(text, sizeof(text), "%d-first\n", i);
                write_in(name, text);
        }
        t = tailer_for(&o, p, "*.log");
        ck_assert_int_eq(sl_tailer_scan(t), N);
        wait_for(t, N, 0);
        ck_assert_uint_eq(open_fds(), before + 1 + N);
        /* Written to, then deleted, before the tailer looks again. */
        for (int i = 0; i < N; i++) {
                char name[32], text[64];
                _cleanup_free_ char *path = NULL;
                snprintf(name, sizeof(name), "c%03d.log", i);
                snprintf(text, sizeof(text), "%d-second\n%d-third", i, i);
                append_in(name, text);
                path = path_in(name);
                ck_assert_int_eq(unlink(path), 0);
        }
        wait_for(t, 3 * N, N);
        for (size_t i = N; i < col.n; i++) {
                int id;
                char what[16];
                ck_assert_int_eq(sscanf(col.lines[i].text, "%d-%15s", &id, what), 2);
                ck_assert(id >= 0 && id < N);
                ck_assert_str_eq(what, seen[id]++ == 0 ? "second" : "third");
        }
        ck_assert_uint_eq(sl_tailer_active_files(t), 0);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_released, N);
        ck_assert_uint_eq(open_fds(), before + 1);
        ack_all(p);
        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 0);
}
END_TEST

struct limit_case {
        const char *name;
        size_t max_watches;      /* the tailer's option */
        bool in_dirs;            /* files in directories d1, d2 (glob * /x.log), else *.log */
        uint64_t failures;       /* watch_failures after the scan */
        enum sl_tailer_mode mode;
};

static const struct limit_case limit_cases[] = {
        { "no limit",                      0, false, 0, SL_TAILER_INOTIFY },
        { "one file over the limit",       3, false, 1, SL_TAILER_PARTLY_POLLED },
        { "directories over the limit",    1, true,  3, SL_TAILER_PARTLY_POLLED },
};

/* Out of inotify watches: what cannot be watched is polled, counted once,
 * and watched again once watches are free. */
START_TEST(watch_limit_falls_back_to_polling)
{
        for (size_t k = 0; k < SL_ARRAY_SIZE(limit_cases); k++) {
                const struct limit_case *c = &limit_cases[k];
                struct sl_tailer_options o = { .max_watches = c->max_watches };
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                static const char *const flat[] = { "a.log", "b.log", "c.log" };
                static const char *const nested[] = { "d1/x.log", "d2/x.log" };
                const char *const *names = c->in_dirs ? nested : flat;
                size_t n = c->in_dirs ? 2 : 3, base = col.n;
                _cleanup_free_ char *sub = NULL;

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                if (c->in_dirs) {
                        _cleanup_free_ char *d1 = path_in("d1"), *d2 = path_in("d2");
                        ck_assert_int_eq(mkdir(d1, 0755), 0);
                        ck_assert_int_eq(mkdir(d2, 0755), 0);
                }
                for (size_t i = 0; i < n; i++)
                        write_in(names[i], "1\n");
                t = tailer_for(&o, p, c->in_dirs ? "*/x.log" : "*.log");
                ck_assert_int_eq(sl_tailer_scan(t), (int)n);
                ck_assert_msg(sl_tailer_stats(t)->watch_failures == c->failures,
                              "%s: failures %lu", c->name,
                              (unsigned long)sl_tailer_stats(t)->watch_failures);
                ck_assert_int_eq(sl_tailer_mode(t), c->mode);
                while (sl_tailer_has_pending(t))
                        sl_tailer_read(t, 1 << 20, sink, &col);
                ck_assert_uint_eq(col.n, base + n);

                /* Growth of every file, and (directories) a new one, are found:
                 * by events where there are watches, by the poll elsewhere. */
                for (size_t i = 0; i < n; i++)
                        append_in(names[i], "2\n");
                if (c->in_dirs) {
                        sub = path_in("d3");
                        ck_assert_int_eq(mkdir(sub, 0755), 0);
                        write_in("d3/x.log", "new\n");
                }
                if (c->failures == 0) {
                        wait_for(t, base + 2 * n, 0);
                } else {
                        drain(t);
                        ck_assert_uint_lt(col.n, base + 2 * n);
                        sl_tailer_poll(t);
                        while (sl_tailer_has_pending(t))
                                sl_tailer_read(t, 1 << 20, sink, &col);
                        ck_assert_uint_eq(col.n, base + 2 * n + c->in_dirs);
                }
                /* Failures are counted once, not per scan or poll. */
                sl_tailer_scan(t);
                sl_tailer_poll(t);
                ck_assert_uint_ge(sl_tailer_stats(t)->watch_failures, c->failures);
                ck_assert_uint_le(sl_tailer_stats(t)->watch_failures, c->failures + c->in_dirs);

                if (!c->in_dirs && c->failures) {
                        /* A watched file goes: the unwatched one gets its watch. */
                        _cleanup_free_ char *a = path_in("a.log");
                        ck_assert_int_eq(unlink(a), 0);
                        wait_for(t, base + 2 * n, 1);
                        sl_tailer_poll(t);
                        ck_assert_int_eq(sl_tailer_mode(t), SL_TAILER_INOTIFY);
                        append_in("c.log", "3\n");
                        wait_for(t, base + 2 * n + 1, 1);
                }
                col.n_released = 0;
        }
}
END_TEST

/* inotify cannot be set up (EMFILE: the descriptor limit, or
 * max_user_instances): everything is polled, and the mode says so. */
START_TEST(inotify_failure_falls_back_to_polling)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        struct rlimit saved, low;
        int lowest = dup(0);

        write_in("x.log", "1\n");
        ck_assert_int_ge(lowest, 0);
        close(lowest);
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
        low = saved;
        low.rlim_cur = (rlim_t)lowest;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
        t = tailer_for(&o, p, "x.log");
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);

        ck_assert_int_eq(sl_tailer_fd(t), -1);
        ck_assert_int_eq(sl_tailer_mode(t), SL_TAILER_POLLED);
        ck_assert_uint_eq(sl_tailer_stats(t)->watch_failures, 1);
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);
        append_in("x.log", "2\n");
        wait_for(t, 2, 0);
        assert_line(1, "2", 4, 1);
}
END_TEST

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
        ck_assert_uint_eq(v.same_identity, 2);

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

/* A sink that asks for the read round to end after its second line. */
static struct sl_tailer *yield_tailer;
static void yielding_sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line,
                          uint64_t end) {
        sink(ud, f, line, end);
        if (col.n == 2)
                sl_tailer_yield(yield_tailer);
}

/* sl_tailer_yield() from the sink ends the round once the lines of the
 * block being handed out are done, with budget left; the next round goes
 * on where it stopped, and a yield outside a round changes nothing. */
START_TEST(sink_can_end_a_read_round)
{
        struct sl_tailer_options o = { .read_size = 6 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;

        write_in("a.log", "a1\na2\na3\na4\n");
        write_in("b.log", "b1\nb2\nb3\nb4\n");
        t = tailer_for(&o, p, "*.log");
        yield_tailer = t;
        ck_assert_int_eq(sl_tailer_scan(t), 2);
        /* The first block (a1, a2) asks to stop: nothing more is read. */
        ck_assert_uint_eq(sl_tailer_read(t, 1 << 20, yielding_sink, &col), 6);
        ck_assert_uint_eq(col.n, 2);
        ck_assert_str_eq(col.lines[0].text, "a1");
        ck_assert_str_eq(col.lines[1].text, "a2");
        /* A yield between rounds is forgotten by the next one. */
        sl_tailer_yield(t);
        ck_assert_uint_eq(sl_tailer_read(t, 1 << 20, sink, &col), 18);
        ck_assert_uint_eq(col.n, 8);
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
        ck_assert_int_ge(sl_tailer_fd(t), 0);
        ck_assert(!sl_tailer_has_pending(t));
        sl_tailer_free(NULL);
}
END_TEST


START_TEST(globs_added_and_removed_while_running)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = tailer_for(&o, p, "a/*.log");
        _cleanup_free_ char *a = path_in("a"), *b = path_in("b"), *gb = path_in("b/*.log");
        int other = 0;
        size_t fds;

        ck_assert_int_eq(mkdir(a, 0755), 0);
        ck_assert_int_eq(mkdir(b, 0755), 0);
        write_in("a/x.log", "a1\n");
        write_in("b/y.log", "b1\nb2\n");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);
        fds = open_fds();

        /* Added while running: its file is followed at once. */
        ck_assert_int_eq(sl_tailer_add_glob(t, gb, &other), 0);
        ck_assert_uint_eq(sl_tailer_active_files(t), 2);
        wait_for(t, 3, 0);
        ck_assert_ptr_eq(col.lines[find_line("b2")].target, &other);
        append_in("b/y.log", "b3\n");

        /* Removed: what was written is still read, then the file goes. */
        ck_assert_uint_eq(sl_tailer_remove_glob(t, &other), 1);
        ck_assert_uint_eq(sl_tailer_remove_glob(t, &other), 0);
        ck_assert(sl_tailer_has_pending(t));
        wait_for(t, 4, 1);
        (void)find_line("b3");
        ck_assert_uint_eq(sl_tailer_active_files(t), 1);
        ck_assert_uint_eq(open_fds(), fds);
        /* Nothing of its directory is looked at any more. */
        append_in("b/y.log", "b4\n");
        write_in("b/z.log", "z1\n");
        append_in("a/x.log", "a2\n");
        wait_for(t, 5, 1);
        (void)find_line("a2");

        /* Added again (the container started again): read on from the
         * acknowledged offset, so nothing is shipped twice. */
        ack_all(p);
        ck_assert_int_eq(sl_tailer_add_glob(t, gb, &other), 0);
        wait_for(t, 7, 1);
        (void)find_line("b4");
        (void)find_line("z1");
        ck_assert_uint_eq(sl_tailer_active_files(t), 3);
}
END_TEST

/* The target callback of target_callback_decides_per_file: files named
 * skip*.log are left alone until `allow` is set; the others get their own
 * target. */
static int allow, asked, per_file_target;

static void *pick_target(void *ud, const char *path, void *glob_target) {
        asked++;
        ck_assert_ptr_eq(glob_target, &col);
        if (strstr(path, "/skip") && !allow)
                return NULL;
        return &per_file_target;
}

START_TEST(target_callback_decides_per_file)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new("unused");
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = tailer_for(&o, p, "*.log");

        allow = asked = 0;
        sl_tailer_set_target_cb(t, pick_target, NULL);
        write_in("keep.log", "k1\n");
        write_in("skip.log", "s1\n");
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 1, 0);
        ck_assert_ptr_eq(col.lines[0].target, &per_file_target);
        ck_assert_int_eq(asked, 2);
        /* Refused: asked again by the next scan, never read meanwhile. */
        ck_assert_int_eq(sl_tailer_scan(t), 0);
        ck_assert_int_eq(asked, 3);
        allow = 1;
        ck_assert_int_eq(sl_tailer_scan(t), 1);
        wait_for(t, 2, 0);
        (void)find_line("s1");
        ck_assert_int_eq(asked, 4);
        /* Followed files are not asked again. */
        ck_assert_int_eq(sl_tailer_scan(t), 0);
        ck_assert_int_eq(asked, 4);
}
END_TEST

/* ---- files rotated or deleted while the tailer was stopped --------------- */

struct lost_seen {
        char *path;              /* copy of lost->path */
        uint64_t dev, ino;       /* the file's identity */
        uint64_t offset, size;   /* as reported */
        bool size_known;         /* as reported */
        bool may_have_grown;     /* as reported */
        void *target;            /* lost->target */
};

static struct lost_seen lost_seen[8];
static size_t n_lost_seen;

static void on_lost(void *ud, const struct sl_tail_lost *l) {
        struct lost_seen *s;

        ck_assert_ptr_eq(ud, &col);
        ck_assert_uint_lt(n_lost_seen, SL_ARRAY_SIZE(lost_seen));
        s = &lost_seen[n_lost_seen++];
        *s = (struct lost_seen){ .path = sl_xstrdup(l->path), .dev = l->dev, .ino = l->ino,
                                 .offset = l->offset, .size = l->size,
                                 .size_known = l->size_known,
                                 .may_have_grown = l->may_have_grown, .target = l->target };
}

static void forget_lost(void) {
        for (size_t i = 0; i < n_lost_seen; i++)
                free(lost_seen[i].path);
        n_lost_seen = 0;
}

/* A run of sluice that stops with lines unacknowledged: follows @glob,
 * reads everything there is, acks @name up to @acked, then @name gets
 * @unseen appended (written after the tailer last looked); positions saved
 * to @pos, tailer freed. */
static void run_and_stop(const char *pos, const char *glob, const char *name, uint64_t acked,
                         const char *unseen) {
        struct sl_tailer_options o = { 0 };
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(pos);
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        uint64_t dev, ino, off;

        ck_assert_int_eq(sl_positions_load(p), 0);
        t = tailer_for(&o, p, glob);
        ck_assert_int_ge(sl_tailer_scan(t), 1);
        drain(t);
        stat_in(name, &dev, &ino);
        sl_positions_ack(p, dev, ino, acked);
        ck_assert(sl_positions_get(p, dev, ino, &off));
        ck_assert_uint_eq(off, acked);
        if (unseen)
                append_in(name, unseen);
        sl_positions_prune(p);
        ck_assert_int_eq(sl_positions_save(p), 0);
}

/* A new tailer on the positions saved at @pos, following @glob; lost files
 * are reported to on_lost. */
static struct sl_tailer *restart(const struct sl_tailer_options *o, const char *pos,
                                 struct sl_positions **ret_p, const char *glob) {
        struct sl_positions *p = sl_positions_new(pos);
        struct sl_tailer *t;

        ck_assert_int_eq(sl_positions_load(p), 0);
        t = tailer_for(o, p, glob);
        sl_tailer_set_lost_cb(t, on_lost, &col);
        *ret_p = p;
        return t;
}

struct recover_case {
        const char *name;
        bool poll;               /* poll mode */
        bool symlink;            /* the glob matches a symlink to pods/0.log (kubelet) */
};

static const struct recover_case recover_cases[] = {
        { "inotify",          false, false },
        { "poll",             true,  false },
        { "behind a symlink", false, true },
};

/* Stopped with lines unacknowledged (and some not even read); the file is
 * renamed to .1 and a new one takes its name; a glob on the live name only.
 * The restart reads the rest of .1 from the saved offset, under the live
 * name and before the new file, nothing twice; then .1 is released. */
START_TEST(file_rotated_while_stopped_is_read_on_first)
{
        for (size_t k = 0; k < SL_ARRAY_SIZE(recover_cases); k++) {
                const struct recover_case *c = &recover_cases[k];
                struct sl_tailer_options o = { .poll = c->poll };
                _cleanup_free_ char *pos = path_in("positions"), *link = path_in("app.log");
                _cleanup_free_ char *pods = path_in("pods");
                const char *live = c->symlink ? "pods/0.log" : "x.log";
                const char *rotated = c->symlink ? "pods/0.log.20251126-000000" : "x.log.1";
                const char *glob = c->symlink ? "*.log" : "x.log";
                _cleanup_free_ char *live_path = path_in(live), *rot_path = path_in(rotated);
                _cleanup_(sl_positions_freep) struct sl_positions *p = NULL;
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                const char *label = c->symlink ? link : live_path;
                uint64_t dev, old_ino, new_ino, off;
                size_t base = col.n, released = col.n_released;
                int fds;

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                if (c->symlink) {
                        ck_assert_int_eq(mkdir(pods, 0755), 0);
                        ck_assert_int_eq(symlink("pods/0.log", link), 0);
                }
                write_in(live, "one\ntwo\nthree\n");
                stat_in(live, &dev, &old_ino);
                /* "one" acknowledged; "two", "three" read, not; "four" unseen. */
                run_and_stop(pos, glob, live, 4, "four\n");
                base = col.n;

                ck_assert_int_eq(rename(live_path, rot_path), 0);
                write_in(live, "new-1\nnew-2\n");
                stat_in(live, &dev, &new_ino);
                fds = (int)open_fds();

                t = restart(&o, pos, &p, glob);
                ck_assert_int_eq(sl_tailer_scan(t), 2);
                ck_assert_uint_eq(sl_positions_unresolved(p), 0);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_recovered, 1);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_opened, 2);
                ck_assert_uint_eq(sl_tailer_active_files(t), 2);
                wait_for(t, base + 5, released + 1);
                /* The new live file is opened first (id 1), the rotated one
                 * found after (id 2): its lines still come first. */
                assert_line(base + 0, "two", 8, 2);
                assert_line(base + 1, "three", 14, 2);
                assert_line(base + 2, "four", 19, 2);
                assert_line(base + 3, "new-1", 6, 1);
                assert_line(base + 4, "new-2", 12, 1);
                for (size_t i = base; i < base + 5; i++)
                        ck_assert_msg(strcmp(col.lines[i].path, label) == 0,
                                      "%s: line %zu has path %s, want %s", c->name, i,
                                      col.lines[i].path, label);
                ck_assert_uint_eq(col.released[released], 2);
                ck_assert_uint_eq(sl_tailer_active_files(t), 1);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_released, 1);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_lost, 0);
                ck_assert_uint_eq(n_lost_seen, 0);
                /* Its descriptor is closed; its entry stays until acked to
                 * the end, then goes at once: its path leads to the new file. */
                ck_assert_int_eq((int)open_fds(), fds + (c->poll ? 1 : 2));
                sl_positions_ack_source(p, dev, old_ino, 2, 14);
                ck_assert(sl_positions_get(p, dev, old_ino, &off));
                ck_assert_uint_eq(off, 14);
                sl_positions_ack_source(p, dev, old_ino, 2, 19);
                ck_assert(!sl_positions_get(p, dev, old_ino, &off));
                ck_assert(sl_positions_get(p, dev, new_ino, &off));
                /* Later scans find nothing more to do. */
                ck_assert_int_eq(sl_tailer_scan(t), 0);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_recovered, 1);
        }
}
END_TEST

/* Stopped while two files of one log had unacknowledged lines (the older
 * was being finished after a rotation), then rotated once more: each is
 * read on from its offset, the less recently written first, then the live
 * file. */
START_TEST(two_rotated_files_are_read_oldest_first)
{
        struct sl_tailer_options o = { 0 };
        _cleanup_free_ char *pos = path_in("positions"), *x = path_in("x.log");
        _cleanup_free_ char *x1 = path_in("x.log.1"), *x2 = path_in("x.log.2");
        _cleanup_(sl_positions_freep) struct sl_positions *saved = sl_positions_new(pos);
        _cleanup_(sl_positions_freep) struct sl_positions *p = NULL;
        _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
        const struct timespec older[2] = { { 1000000, 0 }, { 1000000, 0 } };
        const struct timespec newer[2] = { { 2000000, 0 }, { 2000000, 0 } };
        struct sl_fingerprint fa, fb;
        uint64_t dev, ino_a, ino_b;

        /* Created newest first, so creation order does not give the answer. */
        write_in("x.log", "c1\n");
        write_in("x.log.1", "b1\nb2\n");
        write_in("x.log.2", "a1\na2\n");
        stat_in("x.log.2", &dev, &ino_a);
        stat_in("x.log.1", &dev, &ino_b);
        sl_fingerprint_of("a1\na2\n", 6, &fa);
        sl_fingerprint_of("b1\nb2\n", 6, &fb);
        /* Both were followed as x.log, and acked to their first line. */
        sl_positions_track(saved, dev, ino_a, x, 3, &fa, 0);
        sl_positions_note_size(saved, dev, ino_a, 6);
        sl_positions_track(saved, dev, ino_b, x, 3, &fb, 0);
        sl_positions_note_size(saved, dev, ino_b, 6);
        ck_assert_int_eq(sl_positions_save(saved), 0);
        ck_assert_int_eq(utimensat(AT_FDCWD, x2, older, 0), 0);
        ck_assert_int_eq(utimensat(AT_FDCWD, x1, newer, 0), 0);

        t = restart(&o, pos, &p, "x.log");
        ck_assert_int_eq(sl_tailer_scan(t), 3);
        wait_for(t, 3, 2);
        assert_line(0, "a2", 6, 2);
        assert_line(1, "b2", 6, 3);
        assert_line(2, "c1", 3, 1);
        ck_assert_uint_eq(col.released[0], 2);
        ck_assert_uint_eq(col.released[1], 3);
        ck_assert_uint_eq(sl_tailer_stats(t)->files_recovered, 2);
}
END_TEST

/* What is found at a stopped file's device and inode decides. */
enum gone_kind {
        GONE_DELETED,            /* deleted, a new live file */
        GONE_DELETED_ACKED,      /* deleted, but acked to what was last seen */
        GONE_DIR_REMOVED,        /* its whole directory removed (container removed) */
        GONE_REWRITTEN,          /* .1 has the inode, but other first bytes */
        GONE_ROTATED_ACKED,      /* .1 is the file, acked to its end */
        GONE_NOT_GLOBBED,        /* rotated, but no glob matches its path now */
        GONE_V2,                 /* deleted; positions saved by v2 (no size) */
};

struct gone_case {
        const char *name;
        enum gone_kind kind;
        bool lost;               /* reported lost */
        uint64_t bytes_lost;     /* bytes_lost */
        bool may_have_grown;     /* reported as maybe more: the log went on */
        size_t new_lines;        /* lines read after the restart */
        int opened;              /* files the first scan opens */
};

/* A file gone while its log goes on (a new live file) was rotated past
 * after sluice last saw it: it may have grown, even when everything seen
 * was acknowledged. A log removed whole (the container removed) lost only
 * what was seen and not acknowledged. .1 with other first bytes than the
 * saved file at its inode is a file never seen: read whole. */
static const struct gone_case gone_cases[] = {
        { "deleted",                     GONE_DELETED,       true,  14, true,  1, 1 },
        { "deleted, all acked",          GONE_DELETED_ACKED, true,  0,  true,  1, 1 },
        { "directory removed",           GONE_DIR_REMOVED,   true,  14, false, 0, 0 },
        { "inode reused (fingerprint)",  GONE_REWRITTEN,     true,  14, true,  5, 2 },
        { "rotated, all acked",          GONE_ROTATED_ACKED, false, 0,  false, 1, 1 },
        { "no glob matches it",          GONE_NOT_GLOBBED,   false, 0,  false, 1, 1 },
        { "deleted, v2 positions",       GONE_V2,            true,  0,  true,  1, 1 },
};

/* The stopped file is not there to read: lost (counted, told once, the
 * entry removed), or nothing to recover. Nothing of another file at its
 * inode is read. */
START_TEST(file_deleted_while_stopped_is_counted_lost)
{
        for (size_t k = 0; k < SL_ARRAY_SIZE(gone_cases); k++) {
                const struct gone_case *c = &gone_cases[k];
                struct sl_tailer_options o = { 0 };
                _cleanup_free_ char *pos = path_in("positions"), *sub = path_in("c1");
                _cleanup_free_ char *live = path_in("c1/x.log"), *rot = path_in("c1/x.log.1");
                _cleanup_(sl_positions_freep) struct sl_positions *p = NULL;
                _cleanup_(sl_tailer_freep) struct sl_tailer *t = NULL;
                const char *glob = c->kind == GONE_NOT_GLOBBED ? "c1/y.log" : "c1/x.log";
                bool acked_all = c->kind == GONE_DELETED_ACKED || c->kind == GONE_ROTATED_ACKED;
                uint64_t dev, ino, dev2 = 0, ino2 = 0, off;
                bool reused;
                size_t base;

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                ck_assert_int_eq(mkdir(sub, 0755), 0);
                forget_lost();
                write_in("c1/x.log", "line-1\nline-2\nline-3\n");   /* 21 bytes */
                stat_in("c1/x.log", &dev, &ino);
                /* Acked to line-1 (7) of 21 bytes seen; more written unseen:
                 * 14 bytes known lost. All acked: nothing known lost. */
                run_and_stop(pos, "c1/x.log", "c1/x.log", acked_all ? 21 : 7,
                             acked_all ? NULL : "unseen\n");
                if (c->kind == GONE_V2) {
                        char text[256];
                        struct sl_fingerprint fp;
                        sl_fingerprint_of("line-1\nline-2\nline-3\n", 21, &fp);
                        snprintf(text, sizeof(text), "# sluice positions v2\n%lu %lu 7 21 "
                                 "%016llx %s\n", (unsigned long)dev, (unsigned long)ino,
                                 (unsigned long long)fp.hash, live);
                        sl_test_write_file(pos, text, strlen(text));
                }
                switch (c->kind) {
                case GONE_DELETED:
                case GONE_DELETED_ACKED:
                case GONE_V2:
                        ck_assert_int_eq(unlink(live), 0);
                        write_in("c1/x.log", "fresh\n");
                        break;
                case GONE_DIR_REMOVED:
                        sl_test_rmtree(sub);
                        break;
                case GONE_REWRITTEN:
                        /* The same inode, other content: not the file saved. */
                        write_in("c1/x.log", "other-1\nother-2\nother-3\nother-4\n");
                        ck_assert_int_eq(rename(live, rot), 0);
                        write_in("c1/x.log", "fresh\n");
                        break;
                case GONE_ROTATED_ACKED:
                case GONE_NOT_GLOBBED:
                        ck_assert_int_eq(rename(live, rot), 0);
                        write_in("c1/x.log", "fresh\n");
                        if (c->kind == GONE_NOT_GLOBBED)
                                write_in("c1/y.log", "fresh\n");
                        break;
                }

                if (c->kind != GONE_DIR_REMOVED)
                        stat_in("c1/x.log", &dev2, &ino2);
                /* The new file may get the deleted one's inode: then it is
                 * the fingerprint that tells, and the entry is the new file's. */
                reused = dev2 == dev && ino2 == ino;
                base = col.n;
                t = restart(&o, pos, &p, glob);
                ck_assert_int_eq(sl_tailer_scan(t), c->opened);
                ck_assert_uint_eq(sl_positions_unresolved(p), 0);
                drain(t);
                ck_assert_msg(col.n - base == c->new_lines, "%s: %zu lines", c->name,
                              col.n - base);
                if (c->new_lines)
                        ck_assert_str_eq(col.lines[col.n - 1].text, "fresh");
                if (c->kind == GONE_REWRITTEN)
                        ck_assert_str_eq(col.lines[base].text, "other-1");
                ck_assert_uint_eq(sl_tailer_stats(t)->files_recovered,
                                  c->kind == GONE_REWRITTEN ? 1 : 0);
                ck_assert_uint_eq(sl_tailer_stats(t)->files_unseen,
                                  c->kind == GONE_REWRITTEN ? 1 : 0);
                ck_assert_msg(sl_tailer_stats(t)->files_lost == c->lost, "%s: lost %lu",
                              c->name, (unsigned long)sl_tailer_stats(t)->files_lost);
                ck_assert_msg(sl_tailer_stats(t)->bytes_lost == c->bytes_lost,
                              "%s: bytes lost %lu", c->name,
                              (unsigned long)sl_tailer_stats(t)->bytes_lost);
                ck_assert_uint_eq(n_lost_seen, c->lost);
                if (c->lost) {
                        struct lost_seen *l = &lost_seen[0];
                        ck_assert_str_eq(l->path, live);
                        ck_assert_uint_eq(l->dev, dev);
                        ck_assert_uint_eq(l->ino, ino);
                        ck_assert_uint_eq(l->offset, acked_all ? 21 : 7);
                        ck_assert_uint_eq(l->size_known, c->kind != GONE_V2);
                        ck_assert_uint_eq(l->size, c->kind != GONE_V2 ? 21 : 0);
                        ck_assert_uint_eq(l->may_have_grown, c->may_have_grown);
                        ck_assert_ptr_eq(l->target, &col);
                }
                /* Lost entries go at once; the others when pruned (their
                 * path leads elsewhere), but for the one no glob matches,
                 * which is left alone. */
                ck_assert_msg(sl_positions_get(p, dev, ino, &off) ==
                              (c->kind == GONE_ROTATED_ACKED || c->kind == GONE_NOT_GLOBBED ||
                               c->kind == GONE_REWRITTEN || reused),
                              "%s: entry kept wrongly", c->name);
                sl_positions_prune(p);
                /* .1, read whole and not acknowledged yet, keeps its entry. */
                ck_assert_msg(sl_positions_get(p, dev, ino, &off) ==
                              (reused || c->kind == GONE_REWRITTEN), "%s: entry after prune", c->name);
                if (reused)
                        ck_assert_uint_eq(off, 0);
                /* Told once: a later scan does not tell again. */
                ck_assert_int_eq(sl_tailer_scan(t), 0);
                ck_assert_uint_eq(n_lost_seen, c->lost);
        }
        forget_lost();
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
        tcase_add_test(tc, truncated_and_rewritten_is_read_from_zero);
        tcase_add_test(tc, rotated_file_is_finished_before_its_successor);
        tcase_add_test(tc, saved_position_is_resumed_only_for_the_same_file);
        tcase_add_test(tc, reused_inode_is_read_from_zero);
        tcase_add_test(tc, fingerprint_grows_with_the_file);
        tcase_add_test(tc, invalid_saved_position_reads_from_zero);
        tcase_add_test(tc, file_matched_twice_is_followed_once);
        tcase_add_test(tc, deleted_file_is_read_to_its_end_then_released);
        tcase_add_test(tc, long_lines_are_cut_in_pieces);
        tcase_add_test(tc, new_files_in_new_directories_are_found);
        tcase_add_test(tc, poll_mode_notices_growth_rotation_and_truncation);
        tcase_add_test(tc, round_robin_shares_the_budget);
        tcase_add_test(tc, sink_can_end_a_read_round);
        tcase_add_test(tc, deleted_files_are_finished_and_their_descriptors_closed);
        tcase_add_test(tc, watch_limit_falls_back_to_polling);
        tcase_add_test(tc, inotify_failure_falls_back_to_polling);
        tcase_add_test(tc, globs_are_checked);
        tcase_add_test(tc, globs_added_and_removed_while_running);
        tcase_add_test(tc, target_callback_decides_per_file);
        tcase_add_test(tc, file_rotated_while_stopped_is_read_on_first);
        tcase_add_test(tc, two_rotated_files_are_read_oldest_first);
        tcase_add_test(tc, file_deleted_while_stopped_is_counted_lost);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tailer_suite)
