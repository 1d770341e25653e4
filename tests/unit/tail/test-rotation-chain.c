/* test-rotation-chain.c - the rotated generations of a log around a stop or
 * a crash, as Docker's json-file driver makes them (max-file, with and
 * without compress): every line still on disk at a start is read once,
 * oldest first; what was deleted meanwhile is reported lost; a first start
 * leaves old generations alone unless configured; compressed copies are
 * not read twice, under a glob that matches them too. Also the rotation
 * module's listing and names. Real files, real inotify, zlib for gzip. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/positions.h"
#include "tail/rotation.h"
#include "tail/tailer.h"

static char *dir;

/* Every line handed out, by text ("g3-l0007"), and what was lost. */
struct seen {
        char *text[4096];
        uint64_t id[4096];
        uint64_t dev[4096], ino[4096], end[4096];
        size_t n;
        size_t lost;             /* lost callbacks */
        uint64_t lost_offset;    /* of the last one */
        bool lost_grown;         /* of the last one */
};

static struct seen seen;

static void setup(void) {
        dir = sl_test_tmpdir();
        memset(&seen, 0, sizeof(seen));
}

static void teardown(void) {
        for (size_t i = 0; i < seen.n; i++)
                free(seen.text[i]);
        sl_test_rmtree(dir);
        free(dir);
}

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        (void)ud;
        ck_assert_uint_lt(seen.n, SL_ARRAY_SIZE(seen.text));
        seen.text[seen.n] = sl_xstrndup(line.ptr, line.len);
        seen.id[seen.n] = f->id;
        seen.dev[seen.n] = f->dev;
        seen.ino[seen.n] = f->ino;
        seen.end[seen.n] = end;
        seen.n++;
}

static void on_lost(void *ud, const struct sl_tail_lost *l) {
        (void)ud;
        seen.lost++;
        seen.lost_offset = l->offset;
        seen.lost_grown = l->may_have_grown;
}

static char *path_in(const char *name) {
        return sl_path_join(dir, name);
}

static bool exists_in(const char *name) {
        _cleanup_free_ char *p = path_in(name);
        struct stat st;
        return stat(p, &st) == 0;
}

/* The log being written: a Docker container's. */
struct writer {
        const char *name;        /* "x.log" */
        unsigned gen;            /* generation of the live file */
        unsigned next;           /* next line number */
        char *lines[4096];       /* every line written, in order */
        unsigned line_gen[4096]; /* its generation */
        size_t n;
};

static void writer_free(struct writer *w) {
        for (size_t i = 0; i < w->n; i++)
                free(w->lines[i]);
}

/* Appends @count lines to the live file. */
static void write_lines(struct writer *w, unsigned count) {
        _cleanup_free_ char *p = path_in(w->name);

        for (unsigned i = 0; i < count; i++) {
                char line[128];
                unsigned k = w->next++;
                int n = snprintf(line, sizeof(line), "g%u-l%05u %.*s\n", w->gen, k, (int)(k % 40),
                                 "padding-padding-padding-padding-padding-");
                sl_test_append_file(p, line, (size_t)n);
                ck_assert_uint_lt(w->n, SL_ARRAY_SIZE(w->lines));
                w->lines[w->n] = sl_xstrndup(line, (size_t)n - 1);
                w->line_gen[w->n++] = w->gen;
        }
}

/* gzips @from into @to (as Docker: a new file) and removes @from. */
static void gzip_file(const char *from, const char *to) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        gzFile gz;

        ck_assert_int_eq(sl_read_file(from, 64u << 20, &data, &len), 0);
        gz = gzopen(to, "wb");
        ck_assert_ptr_nonnull(gz);
        if (len)
                ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
        ck_assert_int_eq(gzclose(gz), Z_OK);
        ck_assert_int_eq(unlink(from), 0);
}

/* Docker's rotation with max-file @max: the oldest generation deleted, the
 * others shifted, the live file renamed to .1 (gzipped with @compress); the
 * next write creates a new live file. */
static void rotate(struct writer *w, unsigned max, bool compress) {
        const char *ext = compress ? ".gz" : "";
        char from[512], to[512];
        _cleanup_free_ char *live = path_in(w->name);

        snprintf(to, sizeof(to), "%s/%s.%u%s", dir, w->name, max - 1, ext);
        (void)unlink(to);
        for (unsigned i = max - 1; i > 1; i--) {
                snprintf(from, sizeof(from), "%s/%s.%u%s", dir, w->name, i - 1, ext);
                snprintf(to, sizeof(to), "%s/%s.%u%s", dir, w->name, i, ext);
                (void)rename(from, to);
        }
        snprintf(to, sizeof(to), "%s/%s.1", dir, w->name);
        ck_assert_int_eq(rename(live, to), 0);
        if (compress) {
                snprintf(from, sizeof(from), "%s/%s.1.gz", dir, w->name);
                gzip_file(to, from);
        }
        w->gen++;
}

/* A run of the tailer: positions loaded from "positions", glob @glob. */
struct run {
        struct sl_positions *p;
        struct sl_tailer *t;
};

static void run_start(struct run *r, const char *glob, const struct sl_tailer_options *o) {
        _cleanup_free_ char *pos = path_in("positions"), *g = path_in(glob);

        r->p = sl_positions_new(pos);
        ck_assert_int_eq(sl_positions_load(r->p), 0);
        r->t = sl_tailer_new(o, r->p);
        ck_assert_int_eq(sl_tailer_add_glob(r->t, g, NULL), 0);
        sl_tailer_set_lost_cb(r->t, on_lost, NULL);
        ck_assert_int_ge(sl_tailer_scan(r->t), 0);
        ck_assert_int_eq(sl_positions_flush(r->p), 0);
}

/* Reads everything there is and takes in the file system's events. */
static void run_drain(struct run *r) {
        for (int round = 0; round < 50; round++) {
                while (sl_tailer_has_pending(r->t))
                        sl_tailer_read(r->t, 1 << 20, sink, NULL);
                ck_assert_int_eq(sl_tailer_process_events(r->t), 0);
                sl_tailer_poll(r->t);
                if (!sl_tailer_has_pending(r->t))
                        break;
        }
        ck_assert(!sl_tailer_has_pending(r->t));
        ck_assert_int_eq(sl_positions_flush(r->p), 0);
}

/* Acknowledges the lines seen from index @from on (Loki answered). */
static void run_ack(struct run *r, size_t from) {
        for (size_t i = from; i < seen.n; i++)
                sl_positions_ack_source(r->p, seen.dev[i], seen.ino[i], seen.id[i], seen.end[i]);
        ck_assert_int_eq(sl_positions_flush(r->p), 0);
}

/* Stops: @graceful saves positions; else a crash (what the journal has). */
static void run_stop(struct run *r, bool graceful) {
        if (graceful) {
                sl_positions_prune(r->p);
                ck_assert_int_eq(sl_positions_save(r->p), 0);
        }
        sl_tailer_free(r->t);
        sl_positions_free(r->p);
        *r = (struct run){ 0 };
}

/* How often @text was handed out from index @from on. */
static size_t count_seen(const char *text, size_t from) {
        size_t n = 0;
        for (size_t i = from; i < seen.n; i++)
                n += strcmp(seen.text[i], text) == 0;
        return n;
}

/* Generation @gen of the log is still on disk: with @max files, the live
 * one is w->gen, the oldest kept w->gen - (max - 1). */
static bool on_disk(const struct writer *w, unsigned gen, unsigned max) {
        return gen + (max - 1) >= w->gen;
}

/* Stopped gracefully (everything acknowledged) while the log was written
 * and rotated 0 to 3 times (max-file 3), with and without compression:
 * the restart reads every line written meanwhile that is still on disk,
 * once, oldest first; a generation deleted meanwhile is reported lost. */
START_TEST(stop_across_rotations_reads_every_generation)
{
        for (int compress = 0; compress <= 1; compress++) {
                for (unsigned rotations = 0; rotations <= 3; rotations++) {
                        struct sl_tailer_options o = { 0 };
                        struct writer w = { .name = "x.log" };
                        struct run r = { 0 };
                        size_t before, first_new;
                        unsigned last_gen = 0;

                        sl_test_rmtree(dir);
                        ck_assert_int_eq(mkdir(dir, 0700), 0);
                        write_lines(&w, 30);
                        run_start(&r, "x.log", &o);
                        run_drain(&r);
                        run_ack(&r, 0);
                        run_stop(&r, true);
                        before = seen.n;
                        ck_assert_uint_eq(before, 30);
                        first_new = w.n;

                        for (unsigned i = 0; i < rotations; i++) {
                                write_lines(&w, 25);
                                rotate(&w, 3, compress);
                        }
                        write_lines(&w, 10);

                        seen.lost = 0;
                        run_start(&r, "x.log", &o);
                        run_drain(&r);
                        for (size_t i = 0; i < w.n; i++) {
                                size_t want = i >= first_new && on_disk(&w, w.line_gen[i], 3);
                                ck_assert_msg(count_seen(w.lines[i], before) == want,
                                              "compress=%d rotations=%u: %s seen %zu times",
                                              compress, rotations, w.lines[i],
                                              count_seen(w.lines[i], before));
                        }
                        /* Oldest first: generations never go backwards. */
                        for (size_t i = before; i < seen.n; i++) {
                                unsigned g = (unsigned)atoi(seen.text[i] + 1);
                                ck_assert_uint_ge(g, last_gen);
                                last_gen = g;
                        }
                        /* With three rotations the file read before the stop
                         * is gone, after growing: reported, grown. */
                        ck_assert_uint_eq(seen.lost, rotations == 3 ? 1 : 0);
                        ck_assert_uint_eq(sl_tailer_stats(r.t)->files_lost, seen.lost);
                        if (seen.lost)
                                ck_assert(seen.lost_grown);
                        run_stop(&r, true);
                        writer_free(&w);
                        for (size_t i = 0; i < seen.n; i++)
                                free(seen.text[i]);
                        seen.n = 0;
                }
        }
}
END_TEST

/* A crash (no save: the journal only) while a rotated generation was still
 * being acknowledged and its successor was read but not acknowledged; one
 * more rotation while stopped. The restart reads the rest of both from
 * their saved offsets (found compressed, under other names) and the new
 * live file whole: nothing missing, duplicates only what was not
 * acknowledged. */
START_TEST(crash_with_unacknowledged_generations)
{
        for (int compress = 0; compress <= 1; compress++) {
                struct sl_tailer_options o = { 0 };
                struct writer w = { .name = "x.log" };
                struct run r = { 0 };
                size_t acked;

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                memset(&seen, 0, sizeof(seen));
                write_lines(&w, 40);                /* gen 0: A */
                run_start(&r, "x.log", &o);
                run_drain(&r);
                ck_assert_uint_eq(seen.n, 40);
                /* Loki answered for the first 15 lines of A only. */
                for (size_t i = 0; i < 15; i++)
                        sl_positions_ack_source(r.p, seen.dev[i], seen.ino[i], seen.id[i],
                                                seen.end[i]);
                acked = 15;
                rotate(&w, 3, compress);             /* A -> .1(.gz) */
                write_lines(&w, 20);                 /* gen 1: B */
                run_drain(&r);
                ck_assert_uint_eq(seen.n, 60);
                run_stop(&r, false);                 /* crash */

                rotate(&w, 3, compress);             /* B -> .1, A -> .2 */
                write_lines(&w, 5);                  /* gen 2: C */
                run_start(&r, "x.log", &o);
                run_drain(&r);
                /* Everything but A's acknowledged lines once more. */
                for (size_t i = 0; i < w.n; i++) {
                        size_t want = i < acked ? 1 : (i < 60 ? 2 : 1);
                        ck_assert_msg(count_seen(w.lines[i], 0) == want,
                                      "compress=%d: %s seen %zu times, want %zu", compress,
                                      w.lines[i], count_seen(w.lines[i], 0), want);
                }
                ck_assert_uint_eq(seen.lost, 0);
                ck_assert_uint_eq(sl_tailer_stats(r.t)->files_recovered, 2);
                ck_assert_uint_eq(sl_tailer_stats(r.t)->files_unseen, 0);
                run_stop(&r, true);
                writer_free(&w);
                for (size_t i = 0; i < seen.n; i++)
                        free(seen.text[i]);
                seen.n = 0;
        }
}
END_TEST

/* Stopped (gracefully or by a crash) just after a rotation, while the new
 * live file was still empty: its position knows a device and an inode only.
 * While stopped it is filled and rotated (compressed: a new inode, and its
 * old one maybe given to the next live file). The restart reads each line
 * once: the generation read before is placed by its done entry, the ones
 * after it are read whole. Cases found by the tailer fuzz target. */
START_TEST(stop_while_the_new_live_file_is_empty)
{
        for (int variant = 0; variant < 4; variant++) {
                bool compress = variant & 1, graceful = variant & 2;
                struct sl_tailer_options o = { 0 };
                struct writer w = { .name = "x.log" };
                struct run r = { 0 };
                _cleanup_free_ char *live = path_in("x.log");

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                memset(&seen, 0, sizeof(seen));
                write_lines(&w, 20);
                run_start(&r, "x.log", &o);
                run_drain(&r);
                rotate(&w, 3, compress);
                sl_test_write_file(live, "", 0);  /* Docker opens the next file at once */
                run_drain(&r);
                run_ack(&r, 0);
                run_stop(&r, graceful);

                write_lines(&w, 15);
                rotate(&w, 3, compress);
                sl_test_write_file(live, "", 0);
                write_lines(&w, 5);

                run_start(&r, "x.log", &o);
                run_drain(&r);
                for (size_t i = 0; i < w.n; i++)
                        ck_assert_msg(count_seen(w.lines[i], 0) == 1,
                                      "compress=%d graceful=%d: %s seen %zu times", compress,
                                      graceful, w.lines[i], count_seen(w.lines[i], 0));
                /* The empty file's position may find no file of its own
                 * (it cannot tell a compressed copy): told, nothing counted. */
                ck_assert_uint_le(seen.lost, 1);
                ck_assert_uint_eq(sl_tailer_stats(r.t)->bytes_lost, 0);
                run_stop(&r, true);
                writer_free(&w);
                for (size_t i = 0; i < seen.n; i++)
                        free(seen.text[i]);
                seen.n = 0;
        }
}
END_TEST

/* A file opened empty and written before it is read: its first bytes reach
 * the positions when the tailer looks at its size, so a crash before the
 * read still finds it once rotated and compressed. */
START_TEST(file_written_but_unread_at_a_crash_is_found_compressed)
{
        struct sl_tailer_options o = { 0 };
        struct writer w = { .name = "x.log" };
        struct run r = { 0 };
        _cleanup_free_ char *live = path_in("x.log");

        write_lines(&w, 10);
        run_start(&r, "x.log", &o);
        run_drain(&r);
        run_ack(&r, 0);
        rotate(&w, 3, true);
        sl_test_write_file(live, "", 0);
        run_drain(&r);                       /* the new, empty file is followed */
        write_lines(&w, 12);
        ck_assert_int_eq(sl_tailer_process_events(r.t), 0);   /* seen grown, not read */
        sl_tailer_poll(r.t);
        ck_assert_int_eq(sl_positions_flush(r.p), 0);
        run_stop(&r, false);                 /* crash */

        rotate(&w, 3, true);
        sl_test_write_file(live, "", 0);
        write_lines(&w, 3);
        run_start(&r, "x.log", &o);
        run_drain(&r);
        for (size_t i = 0; i < w.n; i++)
                ck_assert_msg(count_seen(w.lines[i], 0) == 1, "%s seen %zu times", w.lines[i],
                              count_seen(w.lines[i], 0));
        ck_assert_uint_eq(seen.lost, 0);
        run_stop(&r, true);
        writer_free(&w);
}
END_TEST

/* No positions at all (a first start): the live file is read, its old
 * generations only when configured. Positions saved before but nothing of
 * this log (a container created while sluice was stopped): all of it. */
START_TEST(first_start_reads_old_generations_only_when_configured)
{
        for (int mode = 0; mode < 3; mode++) {
                struct sl_tailer_options o = { .read_rotated_at_first_start = mode == 1 };
                struct writer w = { .name = "x.log" };
                struct run r = { 0 };

                sl_test_rmtree(dir);
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                memset(&seen, 0, sizeof(seen));
                if (mode == 2) {
                        /* sluice ran before, on other files. */
                        const char *empty = "# sluice positions v5\n";
                        _cleanup_free_ char *pos = path_in("positions");
                        sl_test_write_file(pos, empty, strlen(empty));
                }
                write_lines(&w, 10);
                rotate(&w, 3, true);
                write_lines(&w, 10);
                rotate(&w, 3, true);
                write_lines(&w, 10);
                run_start(&r, "x.log", &o);
                run_drain(&r);
                ck_assert_uint_eq(seen.n, mode == 0 ? 10 : 30);
                ck_assert_msg(strncmp(seen.text[0], mode == 0 ? "g2-l00020" : "g0-l00000", 9) == 0,
                              "mode %d: first line %s", mode, seen.text[0]);
                ck_assert_uint_eq(sl_tailer_stats(r.t)->files_unseen, mode == 0 ? 0 : 2);
                run_stop(&r, true);
                writer_free(&w);
                for (size_t i = 0; i < seen.n; i++)
                        free(seen.text[i]);
                seen.n = 0;
        }
}
END_TEST

/* A glob that matches the rotated names too (x.log*): while running, the
 * compressed copy of the file just rotated is not read again; at a
 * restart, generations read before are not read again either. */
START_TEST(glob_matching_compressed_generations_reads_each_line_once)
{
        struct sl_tailer_options o = { 0 };
        struct writer w = { .name = "x.log" };
        struct run r = { 0 };

        write_lines(&w, 20);
        run_start(&r, "x.log*", &o);
        run_drain(&r);
        rotate(&w, 4, true);
        write_lines(&w, 20);
        run_drain(&r);
        rotate(&w, 4, true);
        write_lines(&w, 20);
        run_drain(&r);
        ck_assert(exists_in("x.log.2.gz"));
        ck_assert_uint_eq(seen.n, 60);
        for (size_t i = 0; i < w.n; i++)
                ck_assert_msg(count_seen(w.lines[i], 0) == 1, "%s", w.lines[i]);
        run_ack(&r, 0);
        run_stop(&r, true);

        write_lines(&w, 5);
        run_start(&r, "x.log*", &o);
        run_drain(&r);
        for (size_t i = 0; i < w.n; i++)
                ck_assert_msg(count_seen(w.lines[i], 0) == 1, "restart: %s seen %zu times",
                              w.lines[i], count_seen(w.lines[i], 0));
        ck_assert_uint_eq(seen.lost, 0);
        run_stop(&r, true);
        writer_free(&w);
}
END_TEST

/* Docker writes <name>.1.gz before it removes <name>.1: a start in between
 * sees the same lines twice, and reads them once. */
START_TEST(plain_and_compressed_copy_are_read_once)
{
        struct sl_tailer_options o = { 0 };
        struct writer w = { .name = "x.log" };
        struct run r = { 0 };
        _cleanup_free_ char *one = path_in("x.log.1"), *gz = path_in("x.log.1.gz");
        _cleanup_free_ char *data = NULL;
        size_t len;
        gzFile z;

        write_lines(&w, 20);
        run_start(&r, "x.log", &o);
        run_drain(&r);
        /* Loki answered for the first 5 lines. */
        for (size_t i = 0; i < 5; i++)
                sl_positions_ack_source(r.p, seen.dev[i], seen.ino[i], seen.id[i], seen.end[i]);
        run_stop(&r, true);
        write_lines(&w, 10);
        rotate(&w, 3, false);
        ck_assert_int_eq(sl_read_file(one, 1 << 20, &data, &len), 0);
        z = gzopen(gz, "wb");
        ck_assert_int_eq(gzwrite(z, data, (unsigned)len), (int)len);
        ck_assert_int_eq(gzclose(z), Z_OK);
        write_lines(&w, 3);

        for (size_t i = 0; i < seen.n; i++)
                free(seen.text[i]);
        seen.n = 0;
        run_start(&r, "x.log", &o);
        run_drain(&r);
        /* From the first line not acknowledged on, each once. */
        for (size_t i = 0; i < w.n; i++)
                ck_assert_msg(count_seen(w.lines[i], 0) == (i >= 5), "%s seen %zu times",
                              w.lines[i], count_seen(w.lines[i], 0));
        run_stop(&r, true);
        writer_free(&w);
}
END_TEST

/* The rotation module on its own: which names are generations, in which
 * order they are listed. */
START_TEST(rotation_names_and_order)
{
        size_t lens[8], n;
        struct sl_rotated *list = NULL;
        const struct timespec when[][2] = {
                { { 3000, 0 }, { 3000, 0 } }, /* x.log.1.gz: newest */
                { { 2000, 0 }, { 2000, 0 } }, /* x.log.2.gz */
                { { 2000, 0 }, { 2000, 0 } }, /* x.log.3.gz: same time, higher number */
                { { 1000, 0 }, { 1000, 0 } }, /* x.log-20261201 */
        };
        const char *names[] = { "x.log.1.gz", "x.log.2.gz", "x.log.3.gz", "x.log-20261201" };
        _cleanup_free_ char *live = path_in("x.log");

        ck_assert(sl_rotation_is_sibling("/d/x.log", "/d/x.log.1", NULL));
        ck_assert(sl_rotation_is_sibling("/d/x.log", "/d/x.log.12.gz", NULL));
        ck_assert(sl_rotation_is_sibling("/d/0.log", "/d/0.log.20261205-101010.gz", NULL));
        ck_assert(sl_rotation_is_sibling("/d/a.log", "/d/a.log-20261205", NULL));
        ck_assert(!sl_rotation_is_sibling("/d/x.log", "/d/x.log", NULL));
        ck_assert(!sl_rotation_is_sibling("/d/x.log", "/e/x.log.1", NULL));
        ck_assert(!sl_rotation_is_sibling("/d/x.log", "/d/x.logger", NULL));
        ck_assert(!sl_rotation_is_sibling("/d/x.log", "/d/x.log.old", NULL));
        {
                const char *const mine[] = { ".old", NULL };
                ck_assert(sl_rotation_is_sibling("/d/x.log", "/d/x.log.old", mine));
                ck_assert(!sl_rotation_is_sibling("/d/x.log", "/d/x.log.1", mine));
        }
        n = sl_rotation_live_prefixes("/d/x-json.log.1.gz", NULL, lens, 8);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(lens[0], strlen("/d/x-json.log"));
        n = sl_rotation_live_prefixes("/d/0.log.20261205-101010.gz", NULL, lens, 8);
        ck_assert_uint_eq(n, 2);   /* longest first: "0.log.20261205", then "0.log" */
        ck_assert_uint_eq(lens[0], strlen("/d/0.log.20261205"));
        ck_assert_uint_eq(lens[1], strlen("/d/0.log"));
        ck_assert_uint_eq(sl_rotation_live_prefixes("/d/x.log", NULL, lens, 8), 0);

        for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *p = path_in(names[i]);
                sl_test_write_file(p, "x\n", 2);
                ck_assert_int_eq(utimensat(AT_FDCWD, p, when[i], 0), 0);
        }
        {
                _cleanup_free_ char *other = path_in("y.log.1");
                sl_test_write_file(other, "y\n", 2);
        }
        ck_assert_int_eq(sl_rotation_list(live, NULL, &list, &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_str_eq(strrchr(list[0].path, '/') + 1, "x.log-20261201");
        ck_assert_str_eq(strrchr(list[1].path, '/') + 1, "x.log.3.gz");
        ck_assert_str_eq(strrchr(list[2].path, '/') + 1, "x.log.2.gz");
        ck_assert_str_eq(strrchr(list[3].path, '/') + 1, "x.log.1.gz");
        ck_assert(list[3].gz);
        ck_assert(!list[0].gz);
        sl_rotation_list_free(list, n);
        {
                _cleanup_free_ char *none = path_in("nothing/x.log");
                ck_assert_int_eq(sl_rotation_list(none, NULL, &list, &n), 0);
                ck_assert_uint_eq(n, 0);
        }
}
END_TEST

static Suite *chain_suite(void) {
        Suite *s = suite_create("rotation-chain");
        TCase *tc = tcase_create("chain");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, stop_across_rotations_reads_every_generation);
        tcase_add_test(tc, crash_with_unacknowledged_generations);
        tcase_add_test(tc, stop_while_the_new_live_file_is_empty);
        tcase_add_test(tc, file_written_but_unread_at_a_crash_is_found_compressed);
        tcase_add_test(tc, first_start_reads_old_generations_only_when_configured);
        tcase_add_test(tc, glob_matching_compressed_generations_reads_each_line_once);
        tcase_add_test(tc, plain_and_compressed_copy_are_read_once);
        tcase_add_test(tc, rotation_names_and_order);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(chain_suite)
