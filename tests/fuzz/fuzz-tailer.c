/* fuzz-tailer.c - the tailer (tail/tailer.h) and positions together, on a
 * script of what a container engine and an operator do to a log: lines
 * appended, Docker's rotations (plain or gzipped, max-file 3), reads, Loki's
 * acknowledgements, graceful stops and crashes, with writes and rotations
 * while sluice is stopped.
 *
 * The input is a script, one op per byte (the byte's low bits pick the op,
 * the high bits its argument); the first byte picks compression. Checks,
 * beyond the sanitizers:
 *   - every line handed out is a line written, whole (no piece, no mix);
 *   - within one opened file, lines come in the order they were written;
 *   - at the end, every line written was handed out at least once, unless
 *     its generation was deleted by a rotation before it had been read;
 *   - a line acknowledged is never handed out again, also after a stop or a
 *     crash;
 *   - no file is reported lost while every generation it could be is on disk
 *     (but for the case above: a position of an empty file knows too little).
 * While it runs, the tailer takes in the file system's events after every
 * write and rotation, as the agent does on every wakeup (paused or not): a
 * file created and rotated away before its creation is seen is read only
 * at the next start, and a stop within the moment between a rotation and
 * its events may read the rotated file again; this target makes neither.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/cleanup.h"
#include "fuzz-util.h"
#include "tail/positions.h"
#include "tail/tailer.h"

#define MAX_LINES 600
#define MAX_SEEN 4096
#define MAX_FILES 3   /* Docker's max-file */
#define LINE_PAD 280  /* every line alone is a trusted fingerprint (256 bytes) */

static char dir[64];

struct line {
        unsigned gen;      /* generation of the log it was written to */
        unsigned seen;     /* times handed out */
        bool acked;        /* acknowledged (Loki answered) */
        bool may_be_lost;  /* its generation was deleted before it was read */
};

static struct {
        bool compress;
        unsigned gen;                   /* generation of the live file */
        size_t n;                       /* lines written */
        struct line lines[MAX_LINES];
        /* handed out, in order */
        size_t seen;
        uint32_t seen_line[MAX_SEEN];
        uint64_t seen_id[MAX_SEEN], seen_dev[MAX_SEEN], seen_ino[MAX_SEEN], seen_end[MAX_SEEN];
        size_t acked_upto;              /* seen[] before this are acknowledged */
        size_t restart_at;              /* seen[] from this on came after the last restart */
        unsigned lost;                  /* lost callbacks */
        bool lost_allowed;              /* a generation with unread lines was deleted */
        bool release_pending;           /* a generation was deleted since the last read */
        bool live_empty_at_stop;        /* the live file was empty when sluice stopped */
        uint64_t last_id;               /* order check: the file of the previous line */
        uint32_t last_line;
        struct sl_positions *p;
        struct sl_tailer *t;
} s;

static void path_of(char *buf, size_t size, const char *name) {
        snprintf(buf, size, "%s/%s", dir, name);
}

static void clear_dir(void) {
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
                abort();
        while ((e = readdir(d))) {
                char p[512];
                if (e->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
                unlink(p);
        }
        closedir(d);
}

static void remove_dir(void) {
        clear_dir();
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char tmpl[] = "/tmp/fuzz-tailer-XXXXXX";

        if (!mkdtemp(tmpl))
                abort();
        snprintf(dir, sizeof(dir), "%s", tmpl);
        atexit(remove_dir);
        return 0;
}

/* "L000123 g4 " then padding: the number is the line's index. */
static int format_line(char *buf, size_t size, size_t i, unsigned gen) {
        return snprintf(buf, size, "L%06zu g%u %.*s", i, gen, LINE_PAD,
                        "................................................................"
                        "................................................................"
                        "................................................................"
                        "................................................................"
                        "................................................................");
}

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        char want[512];
        unsigned long i;
        char *stop;

        FUZZ_CHECK(line.len > 1 && line.ptr[0] == 'L', "not a line written: \"%.*s\"", (int)SL_MIN(line.len, 40),
                   line.ptr);
        i = strtoul(line.ptr + 1, &stop, 10);
        FUZZ_CHECK(i < s.n, "line %lu was never written", i);
        int n = format_line(want, sizeof(want), i, s.lines[i].gen);
        FUZZ_CHECK((size_t)n == line.len && memcmp(want, line.ptr, line.len) == 0,
                   "line %lu handed out as \"%.*s\"", i, (int)SL_MIN(line.len, 60), line.ptr);
        if (f->id == s.last_id)
                FUZZ_CHECK(i > s.last_line, "file %llu: line %lu after line %u", (unsigned long long)f->id, i,
                           s.last_line);
        s.last_id = f->id;
        s.last_line = (uint32_t)i;
        FUZZ_CHECK(!s.lines[i].acked, "line %lu was acknowledged, and is read again", i);
        s.lines[i].seen++;
        if (s.seen < MAX_SEEN) {
                s.seen_line[s.seen] = (uint32_t)i;
                s.seen_id[s.seen] = f->id;
                s.seen_dev[s.seen] = f->dev;
                s.seen_ino[s.seen] = f->ino;
                s.seen_end[s.seen] = end;
                s.seen++;
        }
}

static void on_lost(void *ud, const struct sl_tail_lost *l) {
        if (getenv("FUZZ_DEBUG"))
                fprintf(stderr, "lost %s %llu:%llu offset %llu size %llu grown %d\n", l->path, (unsigned long long)l->dev, (unsigned long long)l->ino, (unsigned long long)l->offset, (unsigned long long)l->size, l->may_have_grown);
        s.lost++;
}

static void write_lines(unsigned count) {
        char live[512], buf[512];
        int fd;

        path_of(live, sizeof(live), "x.log");
        fd = open(live, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        for (unsigned k = 0; k < count && s.n < MAX_LINES; k++) {
                int n = format_line(buf, sizeof(buf), s.n, s.gen);
                buf[n++] = '\n';
                if (write(fd, buf, (size_t)n) != n)
                        abort();
                s.lines[s.n++] = (struct line){ .gen = s.gen };
        }
        close(fd);
}

static void gzip_file(const char *from, const char *to) {
        char buf[65536];
        int in = open(from, O_RDONLY | O_CLOEXEC);
        gzFile gz = gzopen(to, "wb");
        ssize_t n;

        if (in < 0 || !gz)
                abort();
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (gzwrite(gz, buf, (unsigned)n) != (int)n)
                        abort();
        close(in);
        if (gzclose(gz) != Z_OK)
                abort();
        unlink(from);
}

/* Docker's rotation: the oldest generation deleted, the others shifted,
 * the live file renamed to .1 (then gzipped), a new empty live file.
 * Nothing to rotate while the live file is empty. */
static void rotate(void) {
        const char *ext = s.compress ? ".gz" : "";
        char live[512], from[512], to[512];
        struct stat st;
        unsigned gone;

        path_of(live, sizeof(live), "x.log");
        if (stat(live, &st) < 0 || st.st_size == 0)
                return;
        /* The position of an empty file cannot tell whether that file was
         * filled and compressed (a new inode) or deleted: it is reported
         * lost, as it may have grown. */
        if (!s.t && s.live_empty_at_stop)
                s.lost_allowed = true;
        snprintf(to, sizeof(to), "%s/x.log.%u%s", dir, MAX_FILES - 1, ext);
        if (unlink(to) == 0 && s.gen >= MAX_FILES - 1) {
                /* A position of a generation deleted while stopped is
                 * reported (it may have grown unseen), read or not. */
                if (!s.t)
                        s.lost_allowed = true;
                gone = s.gen - (MAX_FILES - 1);
                /* Deleted while followed: released by the next read; a
                 * crash before that leaves its position, and a restart
                 * cannot tell it from a file that was still written. */
                if (s.t)
                        s.release_pending = true;
                for (size_t i = 0; i < s.n; i++) {
                        if (s.lines[i].gen == gone && s.lines[i].seen == 0) {
                                s.lines[i].may_be_lost = true;
                                s.lost_allowed = true;
                        }
                }
        }
        for (unsigned i = MAX_FILES - 1; i > 1; i--) {
                snprintf(from, sizeof(from), "%s/x.log.%u%s", dir, i - 1, ext);
                snprintf(to, sizeof(to), "%s/x.log.%u%s", dir, i, ext);
                (void)rename(from, to);
        }
        snprintf(to, sizeof(to), "%s/x.log.1", dir);
        if (rename(live, to) < 0)
                abort();
        if (s.compress) {
                snprintf(from, sizeof(from), "%s/x.log.1.gz", dir);
                gzip_file(to, from);
        }
        /* Docker opens the new live file at once. */
        close(open(live, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        s.gen++;
}

static void start(void) {
        struct sl_tailer_options o = { .read_rotated_at_first_start = true };
        char pos[512], glob[512];

        path_of(pos, sizeof(pos), "positions");
        path_of(glob, sizeof(glob), "x.log");
        s.p = sl_positions_new(pos);
        FUZZ_CHECK(sl_positions_load(s.p) == 0, "positions written by sluice do not load: %s",
                   sl_positions_error(s.p));
        s.t = sl_tailer_new(&o, s.p);
        FUZZ_CHECK(sl_tailer_add_glob(s.t, glob, NULL) == 0, "glob");
        sl_tailer_set_lost_cb(s.t, on_lost, NULL);
        s.restart_at = s.seen;
        /* What the last run read and Loki had not acknowledged died with it. */
        s.acked_upto = s.seen;
        s.last_id = 0;
        FUZZ_CHECK(sl_tailer_scan(s.t) >= 0, "scan");
        FUZZ_CHECK(sl_positions_flush(s.p) == 0, "flush");
}

static void drain(void) {
        s.release_pending = false;
        for (int round = 0; round < 50; round++) {
                while (sl_tailer_has_pending(s.t))
                        sl_tailer_read(s.t, 1 << 20, sink, NULL);
                FUZZ_CHECK(sl_tailer_process_events(s.t) == 0, "events");
                sl_tailer_poll(s.t);
                if (!sl_tailer_has_pending(s.t))
                        break;
        }
        FUZZ_CHECK(!sl_tailer_has_pending(s.t), "still reading after 50 rounds");
        FUZZ_CHECK(sl_positions_flush(s.p) == 0, "flush");
}

static void ack(void) {
        for (size_t i = s.acked_upto; i < s.seen; i++) {
                sl_positions_ack_source(s.p, s.seen_dev[i], s.seen_ino[i], s.seen_id[i], s.seen_end[i]);
                s.lines[s.seen_line[i]].acked = true;
        }
        s.acked_upto = s.seen;
        FUZZ_CHECK(sl_positions_flush(s.p) == 0, "flush");
}

/* Stops (a save when @graceful, else a crash: the journal only). Lines
 * acknowledged until now must not come again. */
static void stop(bool graceful) {
        char live[512];
        struct stat st;

        path_of(live, sizeof(live), "x.log");
        s.live_empty_at_stop = stat(live, &st) == 0 && st.st_size == 0;
        /* A compressed file is known to be read to its end only by reading
         * on: one deleted unread past that point is not settled by a stop. */
        if (s.release_pending && (!graceful || s.compress))
                s.lost_allowed = true;
        s.release_pending = false;
        /* A crash loses what was read and not acknowledged when its file
         * is deleted before the restart: sluice says so. */
        if (!graceful && s.acked_upto < s.seen)
                s.lost_allowed = true;
        if (graceful) {
                /* The agent sends what it holds before it saves. */
                ack();
                sl_tailer_settle(s.t);
                sl_positions_prune(s.p);
                FUZZ_CHECK(sl_positions_save(s.p) == 0, "save");
        }
        sl_tailer_free(s.t);
        sl_positions_free(s.p);
        s.t = NULL;
        s.p = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz f = fz_init(data, size);
        bool running;

        memset(&s, 0, sizeof(s));
        clear_dir();
        s.compress = fz_byte(&f) & 1;
        start();
        running = true;
        for (unsigned ops = 0; !fz_empty(&f) && ops < 64; ops++) {
                uint8_t b = fz_byte(&f);
                switch (b & 7) {
                case 0:
                case 1:
                        write_lines(1 + (b >> 3) % 12);
                        /* The agent takes in events on every wakeup, paused
                         * or not: a new file is open before it can rotate. */
                        if (running) {
                                FUZZ_CHECK(sl_tailer_process_events(s.t) == 0, "events");
                                FUZZ_CHECK(sl_positions_flush(s.p) == 0, "flush");
                        }
                        break;
                case 2:
                        rotate();
                        if (running) {
                                FUZZ_CHECK(sl_tailer_process_events(s.t) == 0, "events");
                                FUZZ_CHECK(sl_positions_flush(s.p) == 0, "flush");
                        }
                        break;
                case 3:
                        if (running)
                                drain();
                        break;
                case 4:
                        if (running)
                                ack();
                        break;
                case 5:
                case 6:
                        if (running) {
                                stop((b & 7) == 5);
                                running = false;
                        } else {
                                start();
                                running = true;
                        }
                        break;
                case 7:
                        if (running) {
                                drain();
                                ack();
                        }
                        break;
                }
        }
        if (!running)
                start();
        drain();
        for (size_t i = 0; i < s.n; i++)
                FUZZ_CHECK(s.lines[i].seen > 0 || s.lines[i].may_be_lost,
                           "line %zu (generation %u of %u) was never read", i, s.lines[i].gen, s.gen);
        if (!s.lost_allowed)
                FUZZ_CHECK(s.lost == 0, "%u files reported lost, though every generation was read or on disk",
                           s.lost);
        stop(false);
        return 0;
}
