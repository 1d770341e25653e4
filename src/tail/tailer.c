/* tailer.c - see tailer.h.
 *
 * Files are kept in an array (the round-robin order) and indexed by
 * (device, inode); inotify watch descriptors are indexed to their record: a
 * directory watch names the globs to rescan, a file watch its file. Events
 * only set flags; process_events then rescans the flagged globs first (so a
 * renamed file is found under its new name) and checks the flagged files
 * second. Reading happens only in sl_tailer_read(), where a sink is at hand,
 * which is also why files are released there.
 *
 * Files of saved positions rotated while sluice was stopped are looked for
 * after the glob scan of sl_tailer_scan() (recover_all), so that they are in
 * the file array, flagged gone, before anything is read: the read loop
 * finishes gone files first, which puts their lines before the new live
 * file's.
 */
#include "tail/tailer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "tail/rotation.h"
#include "tail/tail-file.h"
#include "tail/tail-map.h"

#define RELEASED_FPS 64   /* released files remembered for is_copy() */
#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)
#define FILE_EVENTS (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)

struct tail_glob {
        char *pattern;               /* owned; the glob(3) pattern; NULL: a free slot
                                      * (the glob was removed) */
        void *target;                /* borrowed; handed out with the files it opens */
        bool rescan;                 /* a directory event asked for a rescan */
        char **narrow;               /* owned; patterns of the glob narrowed to the names
                                      * directory events named (see narrow()), to scan
                                      * unless the whole glob is rescanned */
        size_t n_narrow;             /* narrow used */
        size_t cap_narrow;           /* narrow allocated */
        bool unwatched;              /* a directory of it has no watch: poll rescans it */
        bool watch_failed;           /* ... because a watch could not be added (counted
                                      * once until all its directories are watched) */
};

/* A file a glob matches that is not read: a rotated generation read
 * before, or a compressed copy of a file read (see tailer.h). */
struct skipped {
        uint64_t dev, ino;           /* its identity, the key */
        struct sl_fingerprint fp;    /* its first bytes: another file that gets the
                                      * inode is not skipped */
        uint64_t seen;               /* scan_gen when a scan last passed it by */
};

struct tail_watch {
        int wd;                      /* inotify watch descriptor */
        char *path;                  /* owned; a directory's path as watched, NULL for a
                                      * file */
        struct sl_tail_file *file;   /* borrowed; the file watched, NULL for a directory */
        size_t *globs;               /* owned; directory: indices of globs to rescan */
        size_t n_globs;              /* entries used in globs */
        size_t cap_globs;            /* entries allocated in globs */
};

struct sl_tailer {
        struct sl_tailer_options opts;      /* copy, defaults filled in; rotated_suffixes
                                             * points to suffixes */
        char **suffixes;                    /* owned copy of opts.rotated_suffixes, or NULL */
        struct sl_positions *positions;     /* borrowed */
        int inotify_fd;                     /* owned; -1: poll mode */
        struct tail_glob *globs;            /* owned array */
        size_t n_globs;                     /* globs used */
        size_t cap_globs;                   /* globs allocated */
        bool scanned;                       /* the first scan happened: no more globs */
        bool names_to_check;                /* files were flagged by a scan (a new file took
                                             * their name, or they were renamed, or were just
                                             * opened and watched): check them */
        struct sl_tail_file **files;        /* owned files, in round-robin order */
        size_t n_files;                     /* files used */
        size_t cap_files;                   /* files allocated */
        size_t cursor;                      /* index of the next file to read */
        size_t check_cursor;                /* index of the next file sl_tailer_check_some()
                                             * looks at */
        struct sl_tail_map by_id;           /* (dev, ino) -> file in files */
        struct sl_tail_map watches;         /* (wd, 0) -> struct tail_watch, owned */
        uint64_t last_id;                   /* id of the last file opened */
        bool first_walked;                  /* the first scan's chain walk happened */
        struct sl_position *displaced;      /* owned array; saved positions whose device
                                             * and inode a new file took at the first scan
                                             * (paths owned): their file may be a
                                             * compressed generation, for the chain walk */
        size_t n_displaced;                 /* displaced used */
        size_t cap_displaced;               /* displaced allocated */
        struct sl_tail_map skipped;         /* (dev, ino) -> struct skipped (owned): files
                                             * the globs match that are not to be read */
        uint64_t scan_gen;                  /* sl_tailer_scan() calls, for skipped's sweep */
        struct sl_fingerprint released_fp[RELEASED_FPS]; /* first bytes of the files last
                                             * released (a ring): a compressed copy made
                                             * of one after its release is not new */
        size_t released_next;               /* next slot of released_fp to write */
        sl_tail_release_fn release_fn;      /* may be NULL */
        void *release_userdata;             /* borrowed, passed to release_fn */
        sl_tail_lost_fn lost_fn;            /* may be NULL */
        void *lost_userdata;                /* borrowed, passed to lost_fn */
        sl_tail_target_fn target_fn;        /* may be NULL: files carry their glob's target */
        void *target_userdata;              /* borrowed, passed to target_fn */
        sl_tail_retarget_fn retarget_fn;    /* may be NULL: sl_tailer_set_globs() gives files
                                             * their new glob's target */
        void *retarget_userdata;            /* borrowed, passed to retarget_fn */
        struct sl_tailer_stats stats;       /* counters since new */
        bool yield;                         /* the sink asked sl_tailer_read() to return */
        struct sl_buf read_buf;             /* owned: what a read goes into, for every
                                             * file in turn (capped at max_line_size +
                                             * read_size); lines handed out point into it */
};

struct sl_tailer *sl_tailer_new(const struct sl_tailer_options *opts,
                                struct sl_positions *positions) {
        struct sl_tailer *t = sl_xnew(struct sl_tailer);

        t->opts = *opts;
        /* The suffixes are the caller's: kept as a copy, so that a
         * reloaded config can free its own. */
        if (opts->rotated_suffixes) {
                size_t n = 0;
                while (opts->rotated_suffixes[n])
                        n++;
                t->suffixes = sl_xcalloc(n + 1, sizeof(*t->suffixes));
                for (size_t i = 0; i < n; i++)
                        t->suffixes[i] = sl_xstrdup(opts->rotated_suffixes[i]);
                t->opts.rotated_suffixes = (const char *const *)t->suffixes;
        }
        if (t->opts.read_size == 0)
                t->opts.read_size = SL_TAILER_READ_SIZE_DEFAULT;
        if (t->opts.max_line_size == 0)
                t->opts.max_line_size = SL_TAILER_MAX_LINE_SIZE_DEFAULT;
        t->positions = positions;
        t->inotify_fd = -1;
        if (!t->opts.poll) {
                t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (t->inotify_fd < 0)
                        t->stats.watch_failures++;
        }
        sl_tail_map_init(&t->by_id);
        sl_tail_map_init(&t->watches);
        sl_tail_map_init(&t->skipped);
        sl_buf_init(&t->read_buf, t->opts.max_line_size + t->opts.read_size);
        return t;
}

static void narrow_clear(struct tail_glob *g) {
        for (size_t i = 0; i < g->n_narrow; i++)
                free(g->narrow[i]);
        g->n_narrow = 0;
}

static void watch_free(struct tail_watch *w) {
        if (!w)
                return;
        free(w->path);
        free(w->globs);
        free(w);
}

void sl_tailer_free(struct sl_tailer *t) {
        struct tail_watch *w;
        struct skipped *k;
        size_t cursor = 0;

        if (!t)
                return;
        for (size_t i = 0; t->suffixes && t->suffixes[i]; i++)
                free(t->suffixes[i]);
        free(t->suffixes);
        sl_buf_release(&t->read_buf);
        for (size_t i = 0; i < t->n_files; i++)
                sl_tail_file_free(t->files[i]);
        free(t->files);
        sl_tail_map_release(&t->by_id);
        while ((w = sl_tail_map_next(&t->watches, &cursor)))
                watch_free(w);
        sl_tail_map_release(&t->watches);
        cursor = 0;
        while ((k = sl_tail_map_next(&t->skipped, &cursor)))
                free(k);
        sl_tail_map_release(&t->skipped);
        for (size_t i = 0; i < t->n_displaced; i++)
                free((char *)t->displaced[i].path);
        free(t->displaced);
        for (size_t i = 0; i < t->n_globs; i++) {
                free(t->globs[i].pattern); /* NULL for a free slot */
                narrow_clear(&t->globs[i]);
                free(t->globs[i].narrow);
        }
        free(t->globs);
        if (t->inotify_fd >= 0)
                close(t->inotify_fd);
        free(t);
}

static int scan_glob(struct sl_tailer *t, size_t gi);
static void check_files(struct sl_tailer *t, bool all, bool fresh);

int sl_tailer_add_glob(struct sl_tailer *t, const char *glob, void *target) {
        size_t gi;

        if (!glob || !*glob)
                return -EINVAL;
        for (gi = 0; gi < t->n_globs && t->globs[gi].pattern; gi++)
                ;
        if (gi == t->n_globs) {
                sl_xgrow((void **)&t->globs, sizeof(*t->globs), &t->cap_globs, t->n_globs + 1);
                t->n_globs++;
        }
        t->globs[gi] = (struct tail_glob){ .pattern = sl_xstrdup(glob), .target = target };
        if (t->scanned) {
                /* Discovered while running: its files are followed now. */
                (void)scan_glob(t, gi);
                if (t->names_to_check)
                        check_files(t, false, false);
        }
        return 0;
}

static void unwatch_glob_dirs(struct sl_tailer *t, size_t gi);

size_t sl_tailer_remove_glob(struct sl_tailer *t, void *target) {
        size_t removed = 0;

        for (size_t gi = 0; gi < t->n_globs; gi++) {
                struct tail_glob *g = &t->globs[gi];

                if (!g->pattern || g->target != target)
                        continue;
                unwatch_glob_dirs(t, gi);
                free(g->pattern);
                narrow_clear(g);
                free(g->narrow);
                *g = (struct tail_glob){ 0 };
                removed++;
                /* Its files are read to their end, then released, as
                 * deleted files are. */
                for (size_t i = 0; i < t->n_files; i++) {
                        struct sl_tail_file *f = t->files[i];
                        if (f->glob == gi && !f->gone) {
                                f->gone = true;
                                f->glob = SIZE_MAX;
                        }
                }
        }
        while (t->n_globs > 0 && !t->globs[t->n_globs - 1].pattern)
                t->n_globs--;
        return removed;
}

void sl_tailer_set_target_cb(struct sl_tailer *t, sl_tail_target_fn fn, void *userdata) {
        t->target_fn = fn;
        t->target_userdata = userdata;
}
void sl_tailer_set_retarget_cb(struct sl_tailer *t, sl_tail_retarget_fn fn, void *userdata) {
        t->retarget_fn = fn;
        t->retarget_userdata = userdata;
}
void sl_tailer_set_release_cb(struct sl_tailer *t, sl_tail_release_fn fn, void *userdata) {
        t->release_fn = fn;
        t->release_userdata = userdata;
}

void sl_tailer_set_lost_cb(struct sl_tailer *t, sl_tail_lost_fn fn, void *userdata) {
        t->lost_fn = fn;
        t->lost_userdata = userdata;
}

int sl_tailer_fd(const struct sl_tailer *t) {
        return t->inotify_fd;
}

const struct sl_tailer_stats *sl_tailer_stats(const struct sl_tailer *t) {
        return &t->stats;
}

size_t sl_tailer_active_files(const struct sl_tailer *t) {
        return t->n_files;
}

enum sl_tailer_mode sl_tailer_mode(const struct sl_tailer *t) {
        if (t->inotify_fd < 0)
                return SL_TAILER_POLLED;
        for (size_t i = 0; i < t->n_globs; i++)
                if (t->globs[i].pattern && t->globs[i].watch_failed)
                        return SL_TAILER_PARTLY_POLLED;
        for (size_t i = 0; i < t->n_files; i++)
                if (t->files[i]->unwatched)
                        return SL_TAILER_PARTLY_POLLED;
        return SL_TAILER_INOTIFY;
}

void sl_tailer_foreach_file(const struct sl_tailer *t,
                            void (*fn)(void *ud, const struct sl_tail_file_stat *s), void *ud) {
        for (size_t i = 0; i < t->n_files; i++) {
                const struct sl_tail_file *f = t->files[i];
                struct sl_tail_file_stat s = { .path = f->open_path, .dev = f->info.dev,
                                               .ino = f->info.ino, .offset = f->read_pos,
                                               .size = f->size, .lines = f->lines };
                fn(ud, &s);
        }
}

/* ---- watches ------------------------------------------------------------ */

/* inotify_add_watch() within opts.max_watches: past it, a path that has no
 * watch yet gets none (-ENOSPC, as from the kernel). Returns the watch
 * descriptor or -errno. */
static int add_watch(struct sl_tailer *t, const char *path, uint32_t mask) {
        int wd = inotify_add_watch(t->inotify_fd, path, mask);

        if (wd < 0)
                return -errno;
        if (t->opts.max_watches && t->watches.len >= t->opts.max_watches &&
            !sl_tail_map_get(&t->watches, (uint64_t)wd, 0)) {
                inotify_rm_watch(t->inotify_fd, wd);
                return -ENOSPC;
        }
        return wd;
}

/* Watches directory @dir for entries coming and going, on behalf of glob
 * @gi. Returns 0 or -errno (ENOENT: not there yet; ENOSPC: out of watches). */
static int watch_dir(struct sl_tailer *t, const char *dir, size_t gi) {
        struct tail_watch *w;
        int wd;

        wd = add_watch(t, dir, DIR_EVENTS | IN_ONLYDIR);
        if (wd < 0)
                return wd;
        w = sl_tail_map_get(&t->watches, (uint64_t)wd, 0);
        if (!w) {
                w = sl_xnew(struct tail_watch);
                w->wd = wd;
                w->path = sl_xstrdup(dir);
                sl_tail_map_put(&t->watches, (uint64_t)wd, 0, w);
        }
        if (w->file)
                return -ENOTDIR;
        for (size_t i = 0; i < w->n_globs; i++)
                if (w->globs[i] == gi)
                        return 0;
        sl_xgrow((void **)&w->globs, sizeof(*w->globs), &w->cap_globs, w->n_globs + 1);
        w->globs[w->n_globs++] = gi;
        return 0;
}

/* Glob @gi goes: its directory watches forget it, and a directory watch
 * no other glob needs is removed. */
static void unwatch_glob_dirs(struct sl_tailer *t, size_t gi) {
        struct tail_watch **drop = NULL;
        struct tail_watch *w;
        size_t cursor = 0, n = 0, cap = 0;

        while ((w = sl_tail_map_next(&t->watches, &cursor))) {
                if (w->file)
                        continue;
                for (size_t i = 0; i < w->n_globs; i++) {
                        if (w->globs[i] == gi) {
                                w->globs[i] = w->globs[--w->n_globs];
                                break;
                        }
                }
                if (w->n_globs == 0) {
                        sl_xgrow((void **)&drop, sizeof(*drop), &cap, n + 1);
                        drop[n++] = w;
                }
        }
        for (size_t i = 0; i < n; i++) {
                inotify_rm_watch(t->inotify_fd, drop[i]->wd);
                sl_tail_map_remove(&t->watches, (uint64_t)drop[i]->wd, 0);
                watch_free(drop[i]);
        }
        free(drop);
}
static bool has_magic(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

/* Watches the directories glob @gi can match files in: its directory part
 * when that is plain; else every directory the directory part matches, plus
 * the deepest plain ancestor so new subdirectories are noticed. Deeper new
 * directories are found by the agent's periodic rescan. A glob with a
 * directory left unwatched is rescanned by sl_tailer_poll(). */
static void watch_glob_dirs(struct sl_tailer *t, size_t gi, const char *pattern) {
        struct tail_glob *g = &t->globs[gi];
        _cleanup_free_ char *dirpat = sl_path_dirname(pattern);
        bool whole = pattern == g->pattern;
        bool ok = true, failed = false;
        int r;

        if (!has_magic(dirpat)) {
                r = watch_dir(t, dirpat, gi);
                ok = r >= 0;
                failed = r < 0 && r != -ENOENT;
        } else {
                _cleanup_free_ char *prefix = NULL;
                size_t magic = strcspn(dirpat, "*?[");
                char *slash = memrchr(dirpat, '/', magic);
                glob_t gl;

                if (!slash)
                        prefix = sl_xstrdup(".");
                else if (slash == dirpat)
                        prefix = sl_xstrdup("/");
                else
                        prefix = sl_xstrndup(dirpat, (size_t)(slash - dirpat));
                r = watch_dir(t, prefix, gi);
                ok = r >= 0;
                failed = r < 0 && r != -ENOENT;
                if (glob(dirpat, GLOB_ONLYDIR, NULL, &gl) == 0) {
                        for (size_t i = 0; i < gl.gl_pathc; i++) {
                                r = watch_dir(t, gl.gl_pathv[i], gi);
                                /* Not a directory after all: nothing to watch;
                                 * gone since glob(): nothing to miss. */
                                if (r < 0 && r != -ENOTDIR && r != -ENOENT) {
                                        ok = false;
                                        failed = true;
                                }
                        }
                        globfree(&gl);
                }
        }
        /* A narrowed pattern watches part of the glob: it can tell of a
         * failure, not that the whole glob is watched. */
        if (!whole && ok)
                return;
        g->unwatched = !ok;
        /* Out of watches (or not allowed): polled instead, counted once
         * until the glob is fully watched again. */
        if (failed && !g->watch_failed)
                t->stats.watch_failures++;
        g->watch_failed = failed;
}

/* When matched @path is a symlink (Kubernetes' /var/log/containers), also
 * watches the directory of the file it leads to, on behalf of glob @gi: that
 * is where the file is rotated and its successor created. */
static void watch_link_target_dir(struct sl_tailer *t, const char *path, size_t gi) {
        _cleanup_free_ char *real = NULL, *real_dir = NULL;
        struct stat st;

        if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
                return;
        real = realpath(path, NULL);
        if (!real)
                return;
        real_dir = sl_path_dirname(real);
        (void)watch_dir(t, real_dir, gi);
}

/* Watches open file @f by its fd, so the watch is on the file we read even
 * if its path has moved on. On failure (ENOSPC) the file is left to
 * sl_tailer_poll(), counted once. */
static void watch_file(struct sl_tailer *t, struct sl_tail_file *f) {
        struct tail_watch *w;
        char proc[64];
        int wd;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
        wd = add_watch(t, proc, FILE_EVENTS);
        if (wd == -ENOENT) /* no /proc: the path is the next best thing */
                wd = add_watch(t, f->open_path, FILE_EVENTS);
        if (wd < 0) {
                if (!f->unwatched)
                        t->stats.watch_failures++;
                f->unwatched = true;
                return;
        }
        f->unwatched = false;
        if (sl_tail_map_get(&t->watches, (uint64_t)wd, 0))
                return;
        w = sl_xnew(struct tail_watch);
        w->wd = wd;
        w->file = f;
        sl_tail_map_put(&t->watches, (uint64_t)wd, 0, w);
        f->watch = w;
}

static void unwatch_file(struct sl_tailer *t, struct sl_tail_file *f) {
        struct tail_watch *w = f->watch;

        if (!w)
                return;
        inotify_rm_watch(t->inotify_fd, w->wd);
        sl_tail_map_remove(&t->watches, (uint64_t)w->wd, 0);
        watch_free(w);
        f->watch = NULL;
}

/* ---- opening and scanning ----------------------------------------------- */

/* Whether @path leads to @f's file now. */
static bool path_names(const char *path, const struct sl_tail_file *f) {
        struct stat st;

        return stat(path, &st) == 0 && (uint64_t)st.st_dev == f->info.dev &&
               (uint64_t)st.st_ino == f->info.ino;
}

/* A scan matched @path, which leads to followed file @f. When @f's last name
 * no longer leads to it, @f was renamed within the globs: it keeps being
 * followed under @path, and its position entry records the new name. */
static void found_under(struct sl_tailer *t, struct sl_tail_file *f, const char *path) {
        f->suspect = false;
        if (strcmp(f->cur_path, path) == 0 || path_names(f->cur_path, f))
                return;
        free(f->cur_path);
        f->cur_path = sl_xstrdup(path);
        f->gone = false;
        f->rotated = true;
        /* Its last bytes are read before its successor's: know its size. */
        f->check = true;
        t->names_to_check = true;
        t->stats.rotations++;
        sl_positions_set_path(t->positions, f->info.dev, f->info.ino, path);
}

/* A new file was opened at @path: a followed file last seen under that name
 * was renamed or deleted. Flags it for a look at its name, so it is known
 * gone (and read first) before its successor's lines go out. */
static void flag_previous_at(struct sl_tailer *t, const char *path) {
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                if (strcmp(f->cur_path, path) == 0) {
                        f->check_name = true;
                        t->names_to_check = true;
                }
        }
}

/* Starts following @f (taken), opened for glob @gi and read from @offset on:
 * gives it its id and target, and tracks it in the positions under @path. */
/* The size the positions record for @f: a compressed file's is known only
 * as far as it was read (its size field says "maybe more" past that). */
static uint64_t known_size(const struct sl_tail_file *f) {
        return f->gz ? SL_MIN(f->size, f->read_pos) : f->size;
}

static void add_file(struct sl_tailer *t, struct sl_tail_file *f, size_t gi, const char *path,
                     uint64_t offset, void *target) {
        f->info.id = ++t->last_id;
        f->info.target = target;
        f->glob = gi;
        sl_positions_track(t->positions, f->info.dev, f->info.ino, path, offset, &f->fp,
                           f->info.id);
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, known_size(f));
        sl_xgrow((void **)&t->files, sizeof(*t->files), &t->cap_files, t->n_files + 1);
        t->files[t->n_files++] = f;
        sl_tail_map_put(&t->by_id, f->info.dev, f->info.ino, f);
        t->stats.files_opened++;
}

/* The first glob that matches @path as glob(3) would have, or SIZE_MAX. */
static size_t glob_matching(const struct sl_tailer *t, const char *path) {
        for (size_t i = 0; i < t->n_globs; i++)
                if (t->globs[i].pattern &&
                    fnmatch(t->globs[i].pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0)
                        return i;
        return SIZE_MAX;
}

/* Sets *@ret to the target the lines of @path, matched by glob @gi,
 * carry: the glob's, or what the target callback says. Returns false
 * when the callback leaves the file alone for now. */
static bool file_target(struct sl_tailer *t, size_t gi, const char *path, void **ret) {
        *ret = t->globs[gi].target;
        if (t->target_fn)
                *ret = t->target_fn(t->target_userdata, path, *ret);
        return !t->target_fn || *ret;
}

static bool skip_known(struct sl_tailer *t, const char *path, const struct stat *st);
static bool defer_rotated(struct sl_tailer *t, const char *path, const struct stat *st);
static bool is_copy(struct sl_tailer *t, const char *path, const struct stat *st);

/* Opens @path, matched by glob @gi, unless its file is followed already.
 * Returns 1 when a file was opened, 0 when not, or -errno. */
static int open_file(struct sl_tailer *t, const char *path, size_t gi) {
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tail_file *known, *added;
        struct sl_position pos;
        void *target;
        uint64_t offset = 0;
        bool resumed = false;
        int r;

        r = sl_tail_file_open(path, t->opts.max_line_size, &f);
        if (r < 0) {
                /* Gone between glob and open, or not a regular file: no error. */
                if (r == -ENOENT || r == -EINVAL)
                        return 0;
                t->stats.open_errors++;
                return r;
        }
        known = sl_tail_map_get(&t->by_id, f->info.dev, f->info.ino);
        if (known) {
                found_under(t, known, path);
                return 0;
        }
        /* A saved position applies only to the file it was saved for: same
         * first bytes, and a line boundary within it. */
        if (sl_positions_find(t->positions, f->info.dev, f->info.ino, &pos)) {
                offset = pos.offset;
                r = sl_tail_file_identify(f, &pos.fp);
                if (r == 0) {
                        t->stats.fingerprint_mismatches++;
                        /* Saved before a restart: the file it was about was
                         * deleted while sluice was stopped, its inode given to
                         * this one. A compressed generation may hold it: the
                         * chain walk looks (else it is lost). */
                        if (!pos.resolved) {
                                sl_xgrow((void **)&t->displaced, sizeof(*t->displaced),
                                         &t->cap_displaced, t->n_displaced + 1);
                                t->displaced[t->n_displaced] = pos;
                                t->displaced[t->n_displaced++].path = sl_xstrdup(pos.path);
                        }
                        offset = 0;
                } else if (r > 0) {
                        resumed = !pos.resolved;
                        if (!sl_tail_file_offset_valid(f, offset))
                                offset = 0;
                }
        } else {
                offset = 0;
                r = sl_tail_file_identify(f, NULL);
        }
        if (r < 0) {
                t->stats.open_errors++;
                return r;
        }
        if (!file_target(t, gi, path, &target))
                return 0;
        sl_tail_file_seek(f, offset);
        f->resumed = resumed;
        f->resumed_blind = resumed && pos.fp.len == 0;
        flag_previous_at(t, path);
        added = TAKE_PTR(f);
        add_file(t, added, gi, path, offset, target);
        if (t->inotify_fd >= 0) {
                watch_file(t, added);
                watch_link_target_dir(t, path, gi);
                /* What was written between the open and the watch sent no
                 * event (a new container's first line, written as its file
                 * is created): its size is looked at once more, now that a
                 * later write would be told of. */
                added->check = true;
                t->names_to_check = true;
        }
        return 1;
}

/* Expands glob @gi: opens new files, notices followed files under new names.
 * Returns the number of files opened or -errno. */
static int scan_pattern(struct sl_tailer *t, size_t gi, const char *pattern) {
        int r, opened = 0, ret = 0;
        glob_t gl;

        if (t->inotify_fd >= 0)
                watch_glob_dirs(t, gi, pattern);
        r = glob(pattern, 0, NULL, &gl);
        if (r == GLOB_NOMATCH)
                return 0;
        if (r != 0) {
                globfree(&gl);
                return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
        }
        for (size_t i = 0; i < gl.gl_pathc; i++) {
                const char *path = gl.gl_pathv[i];
                struct sl_tail_file *f;
                struct stat st;

                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                f = sl_tail_map_get(&t->by_id, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
                if (f) {
                        found_under(t, f, path);
                        continue;
                }
                if (skip_known(t, path, &st))
                        continue;
                /* A rotated generation of a live file: at the first scan
                 * the chain walk decides whether it is read; later, a
                 * compressed copy of a file read is not read again. */
                if (!t->first_walked ? defer_rotated(t, path, &st) : is_copy(t, path, &st))
                        continue;
                r = open_file(t, path, gi);
                if (r > 0)
                        opened++;
                else if (r < 0 && ret == 0)
                        ret = r;
        }
        globfree(&gl);
        /* An unreadable file is retried by the next scan; the others count. */
        return opened > 0 || ret == 0 ? opened : ret;
}

/* Expands glob @gi whole: opens new files, notices followed files under new
 * names. Returns the number of files opened or -errno. */
static int scan_glob(struct sl_tailer *t, size_t gi) {
        struct tail_glob *g = &t->globs[gi];

        g->rescan = false;
        narrow_clear(g);
        return scan_pattern(t, gi, g->pattern);
}

/* Appends @s to @b with glob(3)'s special characters escaped. */
static void glob_escape(struct sl_buf *b, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (strchr("*?[]\\", s[i]))
                        (void)sl_buf_putc(b, '\\');
                (void)sl_buf_putc(b, s[i]);
        }
}

enum narrowed { NARROW_FULL, NARROW_NONE, NARROW_OK };

/* Narrows @pattern to directory @dir (a directory the pattern's first
 * components match), and to entry @name in it when not NULL: the pattern
 * with those components replaced by the literal names. A directory event
 * then costs a scan of what it named, not of every directory the pattern
 * matches (10,000 containers: a glob and 10,000 stats). Returns NARROW_OK
 * with *@ret (new), NARROW_NONE when @name cannot match (nothing to scan),
 * NARROW_FULL when @dir does not line up with the pattern's components (a
 * symbolic link's target directory): then the whole glob is scanned. */
static enum narrowed narrow(const char *pattern, const char *dir, const char *name,
                            char **ret) {
        size_t slashes = 0, dir_len = strlen(dir);
        const char *p = pattern, *comp, *rest;
        _cleanup_free_ char *prefix = NULL;
        struct sl_buf b;

        while (dir_len > 1 && dir[dir_len - 1] == '/')
                dir_len--;
        for (size_t i = 0; i < dir_len; i++)
                slashes += dir[i] == '/';
        /* The pattern's text up to its (slashes + 1)th slash: the part that
         * must match @dir. */
        for (size_t k = 0; k <= slashes; k++) {
                p = strchr(k ? p + 1 : p, '/');
                if (!p)
                        return NARROW_FULL;
        }
        prefix = sl_xstrndup(pattern, (size_t)(p - pattern));
        {
                _cleanup_free_ char *d = sl_xstrndup(dir, dir_len);
                if (fnmatch(prefix, d, FNM_PATHNAME | FNM_PERIOD) != 0)
                        return NARROW_FULL;
        }
        comp = p + 1;
        rest = strchr(comp, '/');
        sl_buf_init(&b, 4 * (dir_len + strlen(pattern) + (name ? strlen(name) : 0)) + 16);
        glob_escape(&b, dir, dir_len);
        (void)sl_buf_putc(&b, '/');
        if (name) {
                _cleanup_free_ char *c = sl_xstrndup(comp, rest ? (size_t)(rest - comp) : strlen(comp));
                if (fnmatch(c, name, FNM_PERIOD) != 0) {
                        sl_buf_release(&b);
                        return NARROW_NONE;
                }
                glob_escape(&b, name, strlen(name));
                if (rest)
                        (void)sl_buf_append(&b, rest, strlen(rest));
        } else {
                (void)sl_buf_append(&b, comp, strlen(comp));
        }
        *ret = sl_xstrndup(b.data, b.len);
        sl_buf_release(&b);
        return NARROW_OK;
}

/* A directory event named @name in @dir (NULL: the directory itself, or no
 * name): glob @gi gets the narrowed pattern to scan, or a whole rescan. */
static void want_scan(struct sl_tailer *t, size_t gi, const char *dir, const char *name) {
        struct tail_glob *g = &t->globs[gi];
        char *narrowed = NULL;

        if (!g->pattern || g->rescan)
                return;
        switch (dir ? narrow(g->pattern, dir, name, &narrowed) : NARROW_FULL) {
        case NARROW_NONE:
                return;
        case NARROW_FULL:
                g->rescan = true;
                narrow_clear(g);
                return;
        case NARROW_OK:
                break;
        }
        for (size_t i = 0; i < g->n_narrow; i++) {
                if (strcmp(g->narrow[i], narrowed) == 0) {
                        free(narrowed);
                        return;
                }
        }
        /* A burst of names in one read of events: past a few, one glob is
         * cheaper than many. */
        if (g->n_narrow >= 64) {
                free(narrowed);
                g->rescan = true;
                narrow_clear(g);
                return;
        }
        sl_xgrow((void **)&g->narrow, sizeof(*g->narrow), &g->cap_narrow, g->n_narrow + 1);
        g->narrow[g->n_narrow++] = narrowed;
}

/* Scans what directory events asked for: whole globs, or their narrowed
 * patterns. Returns how many globs were scanned whole. */
static size_t scan_wanted(struct sl_tailer *t, bool all) {
        size_t whole = 0;

        for (size_t i = 0; i < t->n_globs; i++) {
                struct tail_glob *g = &t->globs[i];
                if (!g->pattern)
                        continue;
                if (all || g->rescan) {
                        (void)scan_glob(t, i);
                        whole++;
                        continue;
                }
                for (size_t k = 0; k < g->n_narrow; k++)
                        (void)scan_pattern(t, i, g->narrow[k]);
                narrow_clear(g);
        }
        return whole;
}

static int scan_all(struct sl_tailer *t) {
        int opened = 0, ret = 0;

        for (size_t i = 0; i < t->n_globs; i++) {
                int r;

                if (!t->globs[i].pattern)
                        continue;
                r = scan_glob(t, i);
                if (r >= 0)
                        opened += r;
                else if (ret == 0)
                        ret = r;
        }
        return ret < 0 && opened == 0 ? ret : opened;
}

static int recover_chains(struct sl_tailer *t, bool first);
static void sweep_skipped(struct sl_tailer *t);

int sl_tailer_scan(struct sl_tailer *t) {
        bool first = !t->first_walked;
        int r, recovered = 0;

        t->scanned = true;
        t->scan_gen++;
        r = scan_all(t);
        /* After the glob scan: an entry whose file a glob leads to is
         * resolved by opening it, and only the others are looked for. */
        if (first || sl_positions_unresolved(t->positions) > 0 || t->n_displaced > 0)
                recovered = recover_chains(t, first);
        t->first_walked = true;
        sweep_skipped(t);
        /* Files whose name a new file took are renamed or deleted: known
         * so before the new file is read (every glob was just scanned). */
        if (t->names_to_check)
                check_files(t, false, true);
        return r < 0 && recovered == 0 ? r : SL_MAX(r, 0) + recovered;
}

/* ---- files rotated or deleted while stopped ----------------------------- */

/* A fingerprint covering @n head bytes vouches for entry fingerprint @fp
 * (see tailer.h): it covers them all, or enough to tell files apart. */
#define FP_MIN_TRUSTED 256u

static bool fp_vouches(const unsigned char *head, size_t n, const struct sl_fingerprint *fp) {
        struct sl_fingerprint now;

        if (fp->len == 0 || (fp->len != n && fp->len < FP_MIN_TRUSTED))
                return false;
        return sl_fingerprint_compare(head, n, fp, &now) == 1;
}

/* One generation of a rotated log, as the chain walk sees it. */
struct member {
        char *path;                  /* owned; where it is now */
        struct sl_tail_file *file;   /* owned until followed; NULL for one followed
                                      * already (see @followed) or dropped */
        struct sl_tail_file *followed; /* borrowed; the file if it is followed already */
        unsigned char head[SL_FINGERPRINT_MAX]; /* its first bytes (uncompressed) */
        size_t head_len;             /* bytes in head */
        struct sl_fingerprint fp;    /* of head */
        ssize_t entry;               /* index into the chain's entries it is, or -1 */
        bool known;                  /* sluice saw it before this start */
        bool vouched;                /* known by its first bytes, not by its device and
                                      * inode alone (an entry saved while its file was
                                      * empty matches whatever file got the inode) */
};

/* A saved position a chain walk looks for the file of. */
struct chain_entry {
        struct sl_position pos;      /* a copy; pos.path owned */
        bool matched;                /* a generation of the log is its file */
        bool displaced;              /* its device and inode belong to another file now
                                      * (that file's entry replaced it): never removed
                                      * by its identity */
};

/* One live log and everything of it sluice may have to read at a start. */
struct chain {
        char *live;                  /* owned; the live file's path */
        size_t glob;                 /* a glob matching it */
        struct chain_entry *entries; /* owned; the saved positions of its files */
        size_t n_entries;
        size_t cap_entries;
        bool retry;                  /* a generation could not be opened: losses are
                                      * not told, the entries wait for the next scan */
};

static void chain_release(struct chain *c) {
        for (size_t i = 0; i < c->n_entries; i++)
                free((char *)c->entries[i].pos.path);
        free(c->entries);
        free(c->live);
}

/* The live log @path belongs to: @path itself, unless it is a rotated name
 * (rotation.h) of a file that exists and a glob matches. New string. */
static char *live_of(const struct sl_tailer *t, const char *path) {
        size_t lens[8], n = sl_rotation_live_prefixes(path, t->opts.rotated_suffixes, lens, 8);
        struct stat st;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *live = sl_xstrndup(path, lens[i]);
                if (glob_matching(t, live) != SIZE_MAX && stat(live, &st) == 0 &&
                    S_ISREG(st.st_mode))
                        return TAKE_PTR(live);
        }
        return sl_xstrdup(path);
}

/* The chain of @live in @chains (*@n used, *@cap allocated), added if new. */
static struct chain *chain_get(struct chain **chains, size_t *n, size_t *cap, const char *live,
                               size_t gi) {
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*chains)[i].live, live) == 0)
                        return &(*chains)[i];
        sl_xgrow((void **)chains, sizeof(**chains), cap, *n + 1);
        (*chains)[*n] = (struct chain){ .live = sl_xstrdup(live), .glob = gi };
        return &(*chains)[(*n)++];
}

static void chain_add_entry(struct chain *c, const struct sl_position *pos, bool displaced) {
        sl_xgrow((void **)&c->entries, sizeof(*c->entries), &c->cap_entries, c->n_entries + 1);
        c->entries[c->n_entries] = (struct chain_entry){ .pos = *pos, .displaced = displaced };
        c->entries[c->n_entries].pos.path = sl_xstrdup(pos->path);
        c->n_entries++;
}

/* The file of @pos, whose path matches glob @gi, is gone: what it held past
 * the acknowledged offset is lost. Counted and told when that may be
 * anything (see tailer.h); with @remove, the entry goes (else a new file
 * takes it). */
static void lost_file(struct sl_tailer *t, const struct sl_position *pos, size_t gi,
                      bool remove, bool may_have_grown) {
        if (!pos->size_known || pos->size > pos->offset || may_have_grown) {
                struct sl_tail_lost lost = {
                        .path = pos->path, .dev = pos->dev, .ino = pos->ino,
                        .offset = pos->offset, .size = pos->size_known ? pos->size : 0,
                        .size_known = pos->size_known, .may_have_grown = may_have_grown,
                        .target = t->globs[gi].target,
                };
                t->stats.files_lost++;
                if (pos->size_known && pos->size > pos->offset)
                        t->stats.bytes_lost += pos->size - pos->offset;
                if (t->lost_fn)
                        t->lost_fn(t->lost_userdata, &lost);
        }
        if (remove)
                sl_positions_remove(t->positions, pos->dev, pos->ino);
}

/* Opens member @m of a chain and reads its first bytes. Returns 1, 0 when
 * it is to be left alone for now (gone since the listing, a gzip file not
 * written that far yet), or -errno. */
static int member_open(struct sl_tailer *t, struct member *m) {
        ssize_t n;
        int r = sl_tail_file_open(m->path, t->opts.max_line_size, &m->file);

        if (r == -ENOENT || r == -EINVAL)
                return 0;
        if (r < 0) {
                t->stats.open_errors++;
                return r;
        }
        n = sl_tail_file_head(m->file, m->head);
        if (n == -EAGAIN || n == -EBADMSG || n < 0) {
                if (n != -EAGAIN)
                        t->stats.open_errors++;
                sl_tail_file_free(m->file);
                m->file = NULL;
                return n == -EAGAIN || n == -EBADMSG ? 0 : (int)n;
        }
        m->head_len = (size_t)n;
        sl_fingerprint_of(m->head, m->head_len, &m->fp);
        return 1;
}

/* Which of two members with the same bytes is read (the higher). */
static int member_rank(const struct member *m) {
        if (m->followed)
                return 3;
        if (m->entry >= 0)
                return 2;
        return m->file && !m->file->gz ? 1 : 0;
}

/* Starts following member @m of chain @c from @offset: as a gone file (read
 * to its end, first, then released) under the live name its lines were
 * written under, or, when a glob matches its own name, as a file of that
 * glob. When @m is a copy of an entry's file (another device and inode: a
 * compressed rotation), the copy takes the entry's place. */
static bool member_follow(struct sl_tailer *t, const struct chain *c, struct member *m,
                          uint64_t offset) {
        const struct chain_entry *ce = m->entry >= 0 ? &c->entries[m->entry] : NULL;
        const struct sl_position *e = ce ? &ce->pos : NULL;
        struct sl_tail_file *f;
        size_t gi = glob_matching(t, m->path);
        const char *path = m->path;
        bool own_name = gi != SIZE_MAX;
        void *target;

        if (!own_name) {
                gi = c->glob;
                path = e ? e->path : c->live;
        }
        if (!file_target(t, gi, path, &target))
                return false;
        f = TAKE_PTR(m->file);
        if (e && !ce->displaced && (e->dev != f->info.dev || e->ino != f->info.ino))
                sl_positions_remove(t->positions, e->dev, e->ino);
        sl_tail_file_seek(f, offset);
        /* Its first bytes are its identity in the positions from now on
         * (a compressed file's are not read again). */
        f->fp = m->fp;
        f->resumed = e != NULL;
        f->resumed_blind = e && e->fp.len == 0;
        if (!own_name) {
                /* Its lines keep the name they were written under. */
                sl_tail_file_set_open_path(f, path);
                f->gone = true;
        }
        add_file(t, f, gi, path, offset, target);
        if (t->inotify_fd >= 0 && !f->gone)
                watch_file(t, f);
        t->stats.files_recovered++;
        if (!e)
                t->stats.files_unseen++;
        return true;
}

/* Remembers a rotated file a glob matches that is not to be read (read
 * before, or a compressed copy of a file followed): scans pass it by. */
static void skip_file(struct sl_tailer *t, uint64_t dev, uint64_t ino,
                      const struct sl_fingerprint *fp) {
        struct skipped *k = sl_tail_map_get(&t->skipped, dev, ino);

        if (!k) {
                k = sl_xnew(struct skipped);
                k->dev = dev;
                k->ino = ino;
                sl_tail_map_put(&t->skipped, dev, ino, k);
        }
        k->fp = *fp;
        k->seen = t->scan_gen;
}

/* Whether @path (not followed) is a file scans pass by: skipped before, and
 * still beginning with the same bytes. */
static bool skip_known(struct sl_tailer *t, const char *path, const struct stat *st) {
        struct skipped *k = sl_tail_map_get(&t->skipped, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        unsigned char head[SL_FINGERPRINT_MAX];
        struct sl_fingerprint fp;
        ssize_t n;

        if (!k)
                return false;
        /* A compressed file is immutable; only a new file with the inode
         * would differ, which its size and first bytes tell. */
        if (sl_tail_file_open(path, 1, &f) < 0)
                return true;
        n = sl_tail_file_head(f, head);
        if (n == -EAGAIN)
                return true;
        if (n >= 0) {
                sl_fingerprint_of(head, (size_t)n, &fp);
                if (sl_fingerprint_equal(&fp, &k->fp)) {
                        k->seen = t->scan_gen;
                        return true;
                }
        }
        free(sl_tail_map_remove(&t->skipped, (uint64_t)st->st_dev, (uint64_t)st->st_ino));
        return false;
}

/* At the first scan: whether @path, which no saved position names by its
 * device and inode, is a rotated generation of a live file a glob matches,
 * so that the chain walk decides whether it is read. */
static bool defer_rotated(struct sl_tailer *t, const char *path, const struct stat *st) {
        struct sl_position pos;
        _cleanup_free_ char *live = NULL;

        if (sl_positions_find(t->positions, (uint64_t)st->st_dev, (uint64_t)st->st_ino, &pos))
                return false;
        live = live_of(t, path);
        return strcmp(live, path) != 0;
}

/* After the first scan: whether @path, a compressed file no saved position
 * names by its device and inode, is a copy of a file sluice follows or has
 * a saved position for (same first bytes): Docker and logrotate compress a
 * rotated file into a new one, which a glob such as *-json.log* matches.
 * A copy is skipped from now on; one not written far enough to tell is
 * passed by until a later scan. Anything else is a file to read. */
static bool is_copy(struct sl_tailer *t, const char *path, const struct stat *st) {
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        unsigned char head[SL_FINGERPRINT_MAX];
        struct sl_fingerprint fp;
        struct sl_position pos;
        size_t cursor = 0;
        ssize_t n;

        if (!sl_tail_file_name_is_gz(path) || sl_tail_file_open(path, 1, &f) < 0 || !f->gz)
                return false;
        n = sl_tail_file_head(f, head);
        if (n == -EAGAIN)
                return true;
        if (n <= 0)
                return false;
        for (size_t i = 0; i < t->n_files; i++) {
                if (fp_vouches(head, (size_t)n, &t->files[i]->fp))
                        goto copy;
        }
        for (size_t i = 0; i < RELEASED_FPS; i++) {
                if (fp_vouches(head, (size_t)n, &t->released_fp[i]))
                        goto copy;
        }
        while (sl_positions_next(t->positions, &cursor, &pos)) {
                if (fp_vouches(head, (size_t)n, &pos.fp))
                        goto copy;
        }
        return false;
copy:
        sl_fingerprint_of(head, (size_t)n, &fp);
        skip_file(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino, &fp);
        return true;
}

/* Forgets skipped files no scan has passed by since the last sweep (gone,
 * or renamed out of the globs). */
static void sweep_skipped(struct sl_tailer *t) {
        _cleanup_free_ struct skipped **gone = NULL;
        struct skipped *k;
        size_t n = 0, cursor = 0;

        if (t->skipped.len == 0)
                return;
        gone = sl_xcalloc(t->skipped.len, sizeof(*gone));
        while ((k = sl_tail_map_next(&t->skipped, &cursor)))
                if (k->seen + 1 < t->scan_gen)
                        gone[n++] = k;
        for (size_t i = 0; i < n; i++) {
                sl_tail_map_remove(&t->skipped, gone[i]->dev, gone[i]->ino);
                free(gone[i]);
        }
}

/* Walks chain @c (see tailer.h, "Files rotated while stopped"). Returns the
 * number of files it started following, or -errno when the live file's
 * directory cannot be read (its entries stay unresolved, for the next
 * scan). */
static int walk_chain(struct sl_tailer *t, struct chain *c) {
        struct sl_rotated *list = NULL;
        _cleanup_free_ struct member *m = NULL;
        size_t n_list = 0, n = 0;
        ssize_t newest_known = -1, newest_vouched = -1, anchor;
        struct stat st;
        int r, opened = 0;
        bool read_unseen;

        r = sl_rotation_list(c->live, t->opts.rotated_suffixes, &list, &n_list);
        if (r < 0)
                return r;
        m = sl_xcalloc(n_list + 1, sizeof(*m));
        for (size_t i = 0; i < n_list; i++)
                m[n++] = (struct member){ .path = TAKE_PTR(list[i].path), .entry = -1 };
        sl_rotation_list_free(list, n_list);
        if (stat(c->live, &st) == 0 && S_ISREG(st.st_mode))
                m[n++] = (struct member){ .path = sl_xstrdup(c->live), .entry = -1 };

        /* Who is who: a followed file is known when it resumed from a saved
         * position; another is the file of an entry with its device and
         * inode (and first bytes), or, failing that, of an entry whose
         * first bytes its own begin with (a compressed copy keeps them). */
        for (size_t i = 0; i < n; i++) {
                struct member *mi = &m[i];
                if (stat(mi->path, &st) < 0)
                        continue;
                mi->followed = sl_tail_map_get(&t->by_id, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
                if (mi->followed) {
                        mi->known = mi->followed->resumed;
                        mi->vouched = mi->known && !mi->followed->resumed_blind;
                        mi->fp = mi->followed->fp;
                        continue;
                }
                if (sl_tail_map_get(&t->skipped, (uint64_t)st.st_dev, (uint64_t)st.st_ino))
                        continue;
                r = member_open(t, mi);
                if (r < 0)
                        c->retry = true;
                if (r <= 0)
                        continue;
                for (size_t k = 0; k < c->n_entries; k++) {
                        struct chain_entry *ce = &c->entries[k];
                        if (ce->matched || ce->displaced || ce->pos.dev != mi->file->info.dev ||
                            ce->pos.ino != mi->file->info.ino)
                                continue;
                        /* Same device and inode: the first bytes it had
                         * must still be there (identify's rule). */
                        if (sl_fingerprint_compare(mi->head, mi->head_len, &ce->pos.fp,
                                                   &(struct sl_fingerprint){ 0 }) == 1) {
                                mi->entry = (ssize_t)k;
                                ce->matched = true;
                        } else {
                                /* Another file got the inode. */
                                t->stats.fingerprint_mismatches++;
                        }
                        break;
                }
        }
        /* The same bytes twice (Docker writes <name>.1.gz before it removes
         * <name>.1): one file is read, the followed one, else the one with an
         * entry, else the plain one, else the oldest. */
        for (size_t i = 0; i < n; i++) {
                if (!m[i].file || m[i].entry >= 0 || m[i].head_len == 0)
                        continue;
                for (size_t k = 0; k < n; k++) {
                        if (k == i || (!m[k].file && !m[k].followed) ||
                            !sl_fingerprint_equal(&m[k].fp, &m[i].fp))
                                continue;
                        if (member_rank(&m[k]) > member_rank(&m[i]) ||
                            (member_rank(&m[k]) == member_rank(&m[i]) && k < i)) {
                                skip_file(t, m[i].file->info.dev, m[i].file->info.ino, &m[i].fp);
                                sl_tail_file_free(m[i].file);
                                m[i].file = NULL;
                                break;
                        }
                }
        }
        for (size_t i = 0; i < n; i++) {
                if (!m[i].file || m[i].entry >= 0)
                        continue;
                for (size_t k = 0; k < c->n_entries; k++) {
                        struct chain_entry *ce = &c->entries[k];
                        if (!ce->matched && fp_vouches(m[i].head, m[i].head_len, &ce->pos.fp)) {
                                m[i].entry = (ssize_t)k;
                                ce->matched = true;
                                break;
                        }
                }
        }
        for (size_t i = 0; i < n; i++) {
                if (m[i].entry >= 0) {
                        m[i].known = true;
                        m[i].vouched = c->entries[m[i].entry].pos.fp.len > 0;
                }
                if (m[i].known)
                        newest_known = (ssize_t)i;
                if (m[i].vouched)
                        newest_vouched = (ssize_t)i;
        }
        /* Where seen turns into unseen: at the newest file known by its
         * bytes (a done entry keeps the newest generation known, see
         * positions.h). An entry saved while its file was empty (just after
         * a rotation) names a device and inode only; while sluice was
         * stopped its file may have been filled, rotated and compressed (a
         * new inode) and its inode given to the next live file, which it
         * then matches: such a match marks nothing, and the generations
         * after the newest one known by its bytes are read whole. */
        anchor = newest_vouched;

        /* What to read: the files of entries from their offsets; files
         * newer than the newest known one whole (written while sluice was
         * stopped, never seen); older unknown ones were read before. A log
         * nothing of which is known is new: read whole too, but at a first
         * start (no positions at all) unless configured. */
        read_unseen = newest_known >= 0 || sl_positions_existed(t->positions) ||
                      t->opts.read_rotated_at_first_start;
        for (size_t i = 0; i < n; i++) {
                struct member *mi = &m[i];
                uint64_t offset = 0;

                if (!mi->file)
                        continue;
                if (mi->entry >= 0 && c->entries[mi->entry].pos.done) {
                        /* Read and acknowledged to its end before. */
                        sl_positions_resolve(t->positions, c->entries[mi->entry].pos.dev,
                                             c->entries[mi->entry].pos.ino);
                        if (glob_matching(t, mi->path) != SIZE_MAX)
                                skip_file(t, mi->file->info.dev, mi->file->info.ino, &mi->fp);
                        continue;
                }
                if (mi->entry >= 0) {
                        offset = c->entries[mi->entry].pos.offset;
                        if (!sl_tail_file_offset_valid(mi->file, offset))
                                offset = 0;
                        if (!mi->file->gz && offset >= mi->file->size) {
                                /* Read and acknowledged to its end. */
                                sl_positions_finish(t->positions, c->entries[mi->entry].pos.dev,
                                                    c->entries[mi->entry].pos.ino);
                                if (glob_matching(t, mi->path) != SIZE_MAX)
                                        skip_file(t, mi->file->info.dev, mi->file->info.ino, &mi->fp);
                                continue;
                        }
                } else if ((ssize_t)i < anchor || !read_unseen) {
                        if (glob_matching(t, mi->path) != SIZE_MAX)
                                skip_file(t, mi->file->info.dev, mi->file->info.ino, &mi->fp);
                        continue;
                }
                if (member_follow(t, c, mi, offset))
                        opened++;
        }

        /* Entries whose file is in no generation: deleted while stopped.
         * When the log is still there it was rotated past them, and may
         * have grown before that; when nothing of it is left (the
         * container removed), only what it held unacknowledged is known. */
        for (size_t k = 0; k < c->n_entries && !c->retry; k++) {
                const struct chain_entry *ce = &c->entries[k];
                /* Its identity may be another file's now, which keeps it. */
                bool taken = ce->displaced ||
                             sl_tail_map_get(&t->by_id, ce->pos.dev, ce->pos.ino) != NULL;
                if (ce->matched)
                        continue;
                if (ce->pos.done) {
                        /* Done with before: its file's deletion is no loss. */
                        if (!taken)
                                sl_positions_remove(t->positions, ce->pos.dev, ce->pos.ino);
                        continue;
                }
                lost_file(t, &ce->pos, c->glob, !taken, n > 0);
        }
        for (size_t i = 0; i < n; i++) {
                sl_tail_file_free(m[i].file);
                free(m[i].path);
        }
        return opened;
}

/* Groups the unresolved entries (and the displaced ones, and at the first
 * scan the files it opened) by live log, and walks each log's rotated
 * generations. Returns the number of files opened. */
static int recover_chains(struct sl_tailer *t, bool first) {
        _cleanup_free_ struct chain *chains = NULL;
        size_t n_chains = 0, cap = 0, cursor = 0;
        struct sl_position pos;
        int opened = 0;

        while (sl_positions_next_unresolved(t->positions, &cursor, &pos)) {
                _cleanup_free_ char *live = NULL;
                size_t gi = glob_matching(t, pos.path);

                if (pos.active || sl_tail_map_get(&t->by_id, pos.dev, pos.ino))
                        continue;
                if (gi == SIZE_MAX) {
                        /* No glob leads there any more: not ours to look for. */
                        sl_positions_resolve(t->positions, pos.dev, pos.ino);
                        continue;
                }
                live = live_of(t, pos.path);
                chain_add_entry(chain_get(&chains, &n_chains, &cap, live, gi), &pos, false);
        }
        for (size_t i = 0; i < t->n_displaced; i++) {
                const struct sl_position *d = &t->displaced[i];
                size_t gi = glob_matching(t, d->path);
                if (gi != SIZE_MAX) {
                        _cleanup_free_ char *live = live_of(t, d->path);
                        chain_add_entry(chain_get(&chains, &n_chains, &cap, live, gi), d, true);
                }
                free((char *)d->path);
        }
        t->n_displaced = 0;
        if (first) {
                for (size_t i = 0; i < t->n_files; i++) {
                        _cleanup_free_ char *live = live_of(t, t->files[i]->cur_path);
                        (void)chain_get(&chains, &n_chains, &cap, live, t->files[i]->glob);
                }
        }
        for (size_t i = 0; i < n_chains; i++) {
                struct chain *c = &chains[i];
                int r = walk_chain(t, c);

                if (r > 0)
                        opened += r;
                /* Settled, unless the log could not be looked at whole:
                 * then the next scan walks it again. */
                for (size_t k = 0; k < c->n_entries && r >= 0 && !c->retry; k++)
                        sl_positions_resolve(t->positions, c->entries[k].pos.dev,
                                             c->entries[k].pos.ino);
                chain_release(c);
        }
        return opened;
}

/* ---- noticing changes --------------------------------------------------- */

/* A file's identity reaches the positions as soon as it has bytes, not
 * when they are read: one opened empty (the successor of a rotation) would
 * otherwise be known by device and inode alone until read, and a crash
 * before that leaves no way to find it once it is rotated and compressed
 * (a new inode, its old one maybe given to the next live file). One pread
 * of at most 1 KiB, only while the fingerprint covers less than that. */
static void grow_fingerprint(struct sl_tailer *t, struct sl_tail_file *f) {
        struct sl_fingerprint now;

        if (f->gz || f->gone || f->fp.len >= SL_FINGERPRINT_MAX || f->size <= f->fp.len)
                return;
        if (sl_fingerprint_check(f->fd, &f->fp, &now) != 1 || now.len <= f->fp.len)
                return;         /* rewritten: the next read tells */
        f->fp = now;
        sl_positions_note_read(t->positions, f->info.dev, f->info.ino, f->read_pos, &f->fp);
}

/* fstat()s @f and acts on truncation and deletion; with @name, also looks
 * whether its name still leads to it. Returns whether it does not (the
 * file was renamed, or deleted and replaced). */
static bool check_file(struct sl_tailer *t, struct sl_tail_file *f, bool name) {
        int flags = sl_tail_file_refresh(f);

        if (flags < 0) {
                f->gone = true;
                f->broken = true;
                return false;
        }
        if (flags & SL_TAIL_FILE_TRUNCATED) {
                t->stats.truncations++;
                sl_positions_reset(t->positions, f->info.dev, f->info.ino);
        }
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, known_size(f));
        grow_fingerprint(t, f);
        if (flags & SL_TAIL_FILE_UNLINKED) {
                f->gone = true;
                return false;
        }
        if (!name || f->gone || path_names(f->cur_path, f))
                return false;
        f->suspect = true;
        return true;
}

/* Checks the files flagged by events (or all): a file whose name leads
 * elsewhere was renamed; unless a scan finds it under a name the globs
 * match (@fresh: every glob was just scanned), it is gone. */
/* Scans, for every file whose name leads elsewhere now, its glob narrowed
 * to its directory (where a rotation renames it), or whole when it cannot
 * be narrowed. */
static void scan_suspects_dirs(struct sl_tailer *t) {
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                _cleanup_free_ char *dir = NULL;

                if (!f->suspect)
                        continue;
                dir = sl_path_dirname(f->cur_path);
                for (size_t gi = 0; gi < t->n_globs; gi++)
                        want_scan(t, gi, dir, NULL);
        }
        (void)scan_wanted(t, false);
}

static void check_files(struct sl_tailer *t, bool all, bool fresh) {
        bool any_suspect = false;

        t->names_to_check = false;
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                if (all || f->check || f->check_name)
                        any_suspect |= check_file(t, f, all || f->check_name);
                f->check = f->check_name = false;
        }
        if (!any_suspect)
                return;
        if (!fresh)
                scan_suspects_dirs(t);
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                if (f->suspect) {
                        f->suspect = false;
                        f->gone = true;
                        t->stats.rotations++;
                } else if (f->check) {
                        /* Found renamed by that scan: its size, now. */
                        (void)check_file(t, f, false);
                        f->check = false;
                }
        }
}

/* Acts on one inotify event: flags the globs to rescan or the file to check. */
static void handle_event(struct sl_tailer *t, const struct inotify_event *ev) {
        struct tail_watch *w = sl_tail_map_get(&t->watches, (uint64_t)ev->wd, 0);

        if (!w)
                return;
        if (w->file) {
                /* Growth or truncation needs a look at the size; a rename,
                 * a link count change or deletion also at the name. */
                w->file->check = true;
                if (ev->mask & (IN_MOVE_SELF | IN_ATTRIB | IN_DELETE_SELF | IN_IGNORED))
                        w->file->check_name = true;
        } else {
                /* An entry named: scan the glob for it alone; the
                 * directory itself (gone, unmounted): the whole glob. */
                bool named = ev->len > 0 && ev->name[0] &&
                             !(ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF));
                for (size_t i = 0; i < w->n_globs; i++)
                        want_scan(t, w->globs[i], named ? w->path : NULL,
                                  named ? ev->name : NULL);
        }
        if (ev->mask & IN_IGNORED) {
                /* The kernel dropped the watch (directory removed, file
                 * system unmounted): forget it; a rescan watches again. */
                if (w->file)
                        w->file->watch = NULL;
                sl_tail_map_remove(&t->watches, (uint64_t)w->wd, 0);
                watch_free(w);
        }
}

int sl_tailer_process_events(struct sl_tailer *t) {
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool overflow = false;
        size_t rescanned = 0, active = 0;

        if (t->inotify_fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(t->inotify_fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->mask & IN_Q_OVERFLOW)
                                overflow = true;
                        else
                                handle_event(t, ev);
                        p += sizeof(*ev) + ev->len;
                }
        }
        for (size_t i = 0; i < t->n_globs; i++)
                active += t->globs[i].pattern != NULL;
        rescanned = scan_wanted(t, overflow);
        check_files(t, overflow, active > 0 && rescanned == active);
        return 0;
}

void sl_tailer_poll(struct sl_tailer *t) {
        size_t rescanned = 0, active = 0;

        if (t->inotify_fd >= 0)
                for (size_t i = 0; i < t->n_files; i++)
                        if (t->files[i]->unwatched)
                                watch_file(t, t->files[i]);

        for (size_t i = 0; i < t->n_globs; i++) {
                if (!t->globs[i].pattern)
                        continue;
                active++;
                if (t->inotify_fd < 0 || t->globs[i].unwatched) {
                        (void)scan_glob(t, i);
                        rescanned++;
                }
        }
        check_files(t, true, active > 0 && rescanned == active);
}

void sl_tailer_check_some(struct sl_tailer *t, size_t max) {
        bool any_suspect = false;
        size_t n = SL_MIN(max, t->n_files);

        for (size_t k = 0; k < n; k++) {
                struct sl_tail_file *f;

                if (t->check_cursor >= t->n_files)
                        t->check_cursor = 0;
                f = t->files[t->check_cursor++];
                any_suspect |= check_file(t, f, true);
        }
        if (!any_suspect)
                return;
        /* Renamed without an event seen: a scan finds it under its new
         * name, or it is gone (check_files' rule). */
        (void)scan_all(t);
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                if (f->suspect) {
                        f->suspect = false;
                        f->gone = true;
                        t->stats.rotations++;
                }
        }
}

/* ---- reading ------------------------------------------------------------ */

bool sl_tailer_has_pending(const struct sl_tailer *t) {
        for (size_t i = 0; i < t->n_files; i++) {
                const struct sl_tail_file *f = t->files[i];
                if (f->gone || sl_tail_file_has_unread(f))
                        return true;
        }
        return false;
}

/* Told after every read of @f: the positions learn how far acks may now
 * come, the file's first bytes and its size. */
static void note_read(struct sl_tailer *t, const struct sl_tail_file *f) {
        sl_positions_note_read(t->positions, f->info.dev, f->info.ino, f->read_pos, &f->fp);
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, known_size(f));
}

/* Closes files[@i] for good: hands out its last bytes (with a @reader),
 * tells the release callback and the positions. The next file moves to
 * index @i. */
static void release_file(struct sl_tailer *t, size_t i, const struct sl_tail_reader *reader) {
        struct sl_tail_file *f = t->files[i];

        if (reader)
                sl_tail_file_flush(f, reader);
        if (t->release_fn)
                t->release_fn(t->release_userdata, &f->info);
        sl_positions_release(t->positions, f->info.dev, f->info.ino);
        t->released_fp[t->released_next++ % RELEASED_FPS] = f->fp;
        unwatch_file(t, f);
        sl_tail_map_remove(&t->by_id, f->info.dev, f->info.ino);
        memmove(&t->files[i], &t->files[i + 1], (t->n_files - i - 1) * sizeof(*t->files));
        t->n_files--;
        if (t->cursor > i)
                t->cursor--;
        t->stats.files_released++;
        sl_tail_file_free(f);
}

/* files[@i] is gone and nothing is known to be unread: looks once more for
 * bytes written just before it went, and releases it if there are none (or
 * it cannot be read).
 * Returns whether it was released. */
static bool finish_gone(struct sl_tailer *t, size_t i, const struct sl_tail_reader *reader) {
        struct sl_tail_file *f = t->files[i];

        if (!f->broken)
                (void)check_file(t, f, false);
        if (sl_tail_file_has_unread(f) && !f->broken)
                return false;
        release_file(t, i, reader);
        return true;
}

void sl_tailer_settle(struct sl_tailer *t) {
        for (size_t i = 0; i < t->n_files;) {
                struct sl_tail_file *f = t->files[i];

                /* A deletion whose event is not taken in yet counts too. */
                if (!f->gone)
                        (void)check_file(t, f, false);
                if (f->gone && f->buf.len == 0 && !sl_tail_file_has_unread(f) &&
                    finish_gone(t, i, NULL))
                        continue;
                i++;
        }
}

/* Reads one block of @f; returns the bytes read. */
static size_t read_block(struct sl_tailer *t, struct sl_tail_file *f, size_t max,
                         const struct sl_tail_reader *reader) {
        ssize_t n = sl_tail_file_read(f, max, reader);

        if (n == -ESTALE) {
                /* Truncated and written again past the offset: the first
                 * bytes changed. Nothing went out; reading starts over. */
                t->stats.truncations++;
                t->stats.rewrites++;
                sl_positions_reset(t->positions, f->info.dev, f->info.ino);
                note_read(t, f);
                f->broken = false;
                return 0;
        }
        if (n < 0) {
                /* An I/O error: wait for the next event or poll (a gone
                 * file is released: it will not get better). */
                f->size = f->read_pos;
                f->broken = true;
                return 0;
        }
        f->broken = false;
        if (n > 0)
                note_read(t, f);
        return (size_t)n;
}

size_t sl_tailer_read(struct sl_tailer *t, size_t budget, sl_tail_sink_fn sink, void *userdata) {
        const struct sl_tail_reader reader = {
                .buf = &t->read_buf,
                .read_size = t->opts.read_size,
                .max_line_size = t->opts.max_line_size,
                .sink = sink,
                .userdata = userdata,
                .stats = &t->stats,
        };
        size_t total = 0, idle = 0;

        t->yield = false;
        /* Gone and renamed files first, to their end: a rotated file's
         * last lines come before those of its successor, and a gone file's
         * fd is closed soon. */
        for (size_t i = 0; i < t->n_files && total < budget && !t->yield;) {
                struct sl_tail_file *f = t->files[i];
                size_t n = 1;

                if (!f->gone && !f->rotated) {
                        i++;
                        continue;
                }
                while (n > 0 && total < budget && !t->yield && sl_tail_file_has_unread(f)) {
                        n = read_block(t, f, budget - total, &reader);
                        total += n;
                }
                if (sl_tail_file_has_unread(f)) {
                        i++;
                        continue;
                }
                f->rotated = false;
                if (!f->gone || !finish_gone(t, i, &reader))
                        i++;
        }

        /* Then one block per file in turn, until the budget is spent or a
         * whole round found nothing to read. */
        while (t->n_files > 0 && total < budget && idle < t->n_files && !t->yield) {
                struct sl_tail_file *f;
                size_t n = 0;

                if (t->cursor >= t->n_files)
                        t->cursor = 0;
                f = t->files[t->cursor];
                if (sl_tail_file_has_unread(f)) {
                        n = read_block(t, f, budget - total, &reader);
                        total += n;
                }
                if (f->gone && !sl_tail_file_has_unread(f) && finish_gone(t, t->cursor, &reader)) {
                        idle = 0;
                        continue;
                }
                idle = n > 0 ? 0 : idle + 1;
                t->cursor++;
        }
        return total;
}

void sl_tailer_yield(struct sl_tailer *t) {
        t->yield = true;
}

/* ---- a new set of globs (reload) ----------------------------------------- */

int sl_tailer_set_globs(struct sl_tailer *t, const char *const *patterns, void *const *targets,
                        size_t n) {
        struct tail_glob *globs = sl_xcalloc(n ? n : 1, sizeof(*globs));
        _cleanup_free_ size_t *moved = sl_xcalloc(t->n_globs ? t->n_globs : 1, sizeof(*moved));
        _cleanup_free_ struct tail_watch **empty = NULL;
        struct tail_watch *w;
        size_t cursor = 0, n_empty = 0;

        for (size_t i = 0; i < n; i++) {
                if (!patterns[i] || !*patterns[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(globs[k].pattern);
                        free(globs);
                        return -EINVAL;
                }
                globs[i] = (struct tail_glob){ .pattern = sl_xstrdup(patterns[i]),
                                               .target = targets[i] };
        }
        /* Where each old glob went: the first new one with its pattern. */
        for (size_t i = 0; i < t->n_globs; i++) {
                moved[i] = SIZE_MAX;
                for (size_t k = 0; t->globs[i].pattern && k < n && moved[i] == SIZE_MAX; k++)
                        if (strcmp(t->globs[i].pattern, globs[k].pattern) == 0)
                                moved[i] = k;
        }
        /* Files of a glob that stays go on, with its new target (or the
         * one the retarget callback gives); the others are let go (their
         * positions stay: a glob naming them again later resumes them). A
         * file of a removed glob, being read to its end, goes on only when
         * the retarget callback keeps it. */
        for (size_t i = 0; i < t->n_files;) {
                struct sl_tail_file *f = t->files[i];
                size_t k = f->glob < t->n_globs ? moved[f->glob] : SIZE_MAX;
                void *target = k != SIZE_MAX ? globs[k].target : NULL;

                if (t->retarget_fn)
                        target = t->retarget_fn(t->retarget_userdata, f->info.path,
                                                f->info.target, target);
                if (!target) {
                        release_file(t, i, NULL);
                        continue;
                }
                f->glob = k;
                f->info.target = target;
                i++;
        }
        /* Directory watches name globs by index: emptied, and watched again
         * by the scan below for the globs that need them. */
        while ((w = sl_tail_map_next(&t->watches, &cursor)))
                if (!w->file)
                        w->n_globs = 0;
        for (size_t i = 0; i < t->n_globs; i++) {
                free(t->globs[i].pattern);
                narrow_clear(&t->globs[i]);
                free(t->globs[i].narrow);
        }
        free(t->globs);
        t->globs = globs;
        t->n_globs = t->cap_globs = n;
        (void)scan_all(t);
        /* Directories no glob needs any more. */
        empty = sl_xcalloc(t->watches.len ? t->watches.len : 1, sizeof(*empty));
        cursor = 0;
        while ((w = sl_tail_map_next(&t->watches, &cursor)))
                if (!w->file && w->n_globs == 0)
                        empty[n_empty++] = w;
        for (size_t i = 0; i < n_empty; i++) {
                inotify_rm_watch(t->inotify_fd, empty[i]->wd);
                sl_tail_map_remove(&t->watches, (uint64_t)empty[i]->wd, 0);
                watch_free(empty[i]);
        }
        if (t->names_to_check)
                check_files(t, false, true);
        return 0;
}

void sl_tailer_rewind(struct sl_tailer *t) {
        for (size_t i = 0; i < t->n_files; i++) {
                struct sl_tail_file *f = t->files[i];
                struct sl_position pos;
                uint64_t to = 0;

                if (sl_positions_find(t->positions, f->info.dev, f->info.ino, &pos) &&
                    pos.source == f->info.id)
                        to = pos.offset;
                /* Nothing read past the acknowledged offset: nothing to do. */
                if (to >= f->read_pos && f->buf.len == 0)
                        continue;
                sl_tail_file_seek(f, to);
                if (!f->gz)
                        (void)sl_tail_file_refresh(f);
        }
}
