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
#include "tail/tail-file.h"
#include "tail/tail-map.h"

#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)
#define FILE_EVENTS (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)

struct tail_glob {
        char *pattern;               /* owned; the glob(3) pattern */
        void *target;                /* borrowed; handed out with the files it opens */
        bool rescan;                 /* a directory event asked for a rescan */
        bool unwatched;              /* a directory of it has no watch: poll rescans it */
        bool watch_failed;           /* ... because a watch could not be added (counted
                                      * once until all its directories are watched) */
};

struct tail_watch {
        int wd;                      /* inotify watch descriptor */
        struct sl_tail_file *file;   /* borrowed; the file watched, NULL for a directory */
        size_t *globs;               /* owned; directory: indices of globs to rescan */
        size_t n_globs;              /* entries used in globs */
        size_t cap_globs;            /* entries allocated in globs */
};

struct sl_tailer {
        struct sl_tailer_options opts;      /* copy, defaults filled in */
        struct sl_positions *positions;     /* borrowed */
        int inotify_fd;                     /* owned; -1: poll mode */
        struct tail_glob *globs;            /* owned array */
        size_t n_globs;                     /* globs used */
        size_t cap_globs;                   /* globs allocated */
        bool scanned;                       /* the first scan happened: no more globs */
        bool names_to_check;                /* files were flagged by a scan (a new file took
                                             * their name, or they were renamed): check them */
        struct sl_tail_file **files;        /* owned files, in round-robin order */
        size_t n_files;                     /* files used */
        size_t cap_files;                   /* files allocated */
        size_t cursor;                      /* index of the next file to read */
        struct sl_tail_map by_id;           /* (dev, ino) -> file in files */
        struct sl_tail_map watches;         /* (wd, 0) -> struct tail_watch, owned */
        uint64_t last_id;                   /* id of the last file opened */
        sl_tail_release_fn release_fn;      /* may be NULL */
        void *release_userdata;             /* borrowed, passed to release_fn */
        sl_tail_lost_fn lost_fn;            /* may be NULL */
        void *lost_userdata;                /* borrowed, passed to lost_fn */
        struct sl_tailer_stats stats;       /* counters since new */
};

struct sl_tailer *sl_tailer_new(const struct sl_tailer_options *opts,
                                struct sl_positions *positions) {
        struct sl_tailer *t = sl_xnew(struct sl_tailer);

        t->opts = *opts;
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
        return t;
}

static void watch_free(struct tail_watch *w) {
        if (!w)
                return;
        free(w->globs);
        free(w);
}

void sl_tailer_free(struct sl_tailer *t) {
        struct tail_watch *w;
        size_t cursor = 0;

        if (!t)
                return;
        for (size_t i = 0; i < t->n_files; i++)
                sl_tail_file_free(t->files[i]);
        free(t->files);
        sl_tail_map_release(&t->by_id);
        while ((w = sl_tail_map_next(&t->watches, &cursor)))
                watch_free(w);
        sl_tail_map_release(&t->watches);
        for (size_t i = 0; i < t->n_globs; i++)
                free(t->globs[i].pattern);
        free(t->globs);
        if (t->inotify_fd >= 0)
                close(t->inotify_fd);
        free(t);
}

int sl_tailer_add_glob(struct sl_tailer *t, const char *glob, void *target) {
        if (!glob || !*glob)
                return -EINVAL;
        if (t->scanned)
                return -EBUSY;
        sl_xgrow((void **)&t->globs, sizeof(*t->globs), &t->cap_globs, t->n_globs + 1);
        t->globs[t->n_globs++] = (struct tail_glob){ .pattern = sl_xstrdup(glob), .target = target };
        return 0;
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
                if (t->globs[i].watch_failed)
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
                                               .size = f->size };
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

static bool has_magic(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

/* Watches the directories glob @gi can match files in: its directory part
 * when that is plain; else every directory the directory part matches, plus
 * the deepest plain ancestor so new subdirectories are noticed. Deeper new
 * directories are found by the agent's periodic rescan. A glob with a
 * directory left unwatched is rescanned by sl_tailer_poll(). */
static void watch_glob_dirs(struct sl_tailer *t, size_t gi) {
        struct tail_glob *g = &t->globs[gi];
        _cleanup_free_ char *dirpat = sl_path_dirname(g->pattern);
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
static void add_file(struct sl_tailer *t, struct sl_tail_file *f, size_t gi, const char *path,
                     uint64_t offset) {
        f->info.id = ++t->last_id;
        f->info.target = t->globs[gi].target;
        f->glob = gi;
        sl_positions_track(t->positions, f->info.dev, f->info.ino, path, offset, &f->fp,
                           f->info.id);
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, f->size);
        sl_xgrow((void **)&t->files, sizeof(*t->files), &t->cap_files, t->n_files + 1);
        t->files[t->n_files++] = f;
        sl_tail_map_put(&t->by_id, f->info.dev, f->info.ino, f);
        t->stats.files_opened++;
}

/* The first glob that matches @path as glob(3) would have, or SIZE_MAX. */
static size_t glob_matching(const struct sl_tailer *t, const char *path) {
        for (size_t i = 0; i < t->n_globs; i++)
                if (fnmatch(t->globs[i].pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0)
                        return i;
        return SIZE_MAX;
}

static void lost_file(struct sl_tailer *t, const struct sl_position *pos, size_t gi,
                      bool remove);

/* Opens @path, matched by glob @gi, unless its file is followed already.
 * Returns 1 when a file was opened, 0 when not, or -errno. */
static int open_file(struct sl_tailer *t, const char *path, size_t gi) {
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tail_file *known, *added;
        struct sl_position pos;
        uint64_t offset = 0;
        size_t lost_gi;
        int r;

        r = sl_tail_file_open(path, t->opts.max_line_size + t->opts.read_size, &f);
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
                         * deleted while sluice was stopped. */
                        lost_gi = glob_matching(t, pos.path);
                        if (!pos.resolved && lost_gi != SIZE_MAX)
                                lost_file(t, &pos, lost_gi, false);
                        offset = 0;
                } else if (r > 0 && !sl_tail_file_offset_valid(f, offset)) {
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
        sl_tail_file_seek(f, offset);
        flag_previous_at(t, path);
        added = TAKE_PTR(f);
        add_file(t, added, gi, path, offset);
        if (t->inotify_fd >= 0) {
                watch_file(t, added);
                watch_link_target_dir(t, path, gi);
        }
        return 1;
}

/* Expands glob @gi: opens new files, notices followed files under new names.
 * Returns the number of files opened or -errno. */
static int scan_glob(struct sl_tailer *t, size_t gi) {
        struct tail_glob *g = &t->globs[gi];
        int r, opened = 0, ret = 0;
        glob_t gl;

        g->rescan = false;
        if (t->inotify_fd >= 0)
                watch_glob_dirs(t, gi);
        r = glob(g->pattern, 0, NULL, &gl);
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

static int scan_all(struct sl_tailer *t) {
        int opened = 0, ret = 0;

        for (size_t i = 0; i < t->n_globs; i++) {
                int r = scan_glob(t, i);
                if (r >= 0)
                        opened += r;
                else if (ret == 0)
                        ret = r;
        }
        return ret < 0 && opened == 0 ? ret : opened;
}

static void check_files(struct sl_tailer *t, bool all, bool fresh);
static int recover_all(struct sl_tailer *t);

int sl_tailer_scan(struct sl_tailer *t) {
        int r, recovered;

        t->scanned = true;
        r = scan_all(t);
        /* After the glob scan: an entry whose file a glob leads to is
         * resolved by opening it, and only the others are looked for. */
        recovered = recover_all(t);
        /* Files whose name a new file took are renamed or deleted: known
         * so before the new file is read (every glob was just scanned). */
        if (t->names_to_check)
                check_files(t, false, true);
        return r < 0 && recovered == 0 ? r : SL_MAX(r, 0) + recovered;
}

/* ---- files rotated or deleted while stopped ----------------------------- */

SL_DEFINE_CLEANUP(DIR *, closedir)

struct recovered {
        struct sl_tail_file *file; /* owned until added */
        size_t glob;               /* index of the glob matching its recorded path */
        char *path;                /* owned; the recorded path */
        uint64_t offset;           /* where to read from */
        struct timespec mtime;     /* last written: older files are read first */
};

/* Looks in directory @dir for a regular file with device @dev and inode
 * @ino. Returns 1 and sets *@ret_path (new) when there is one, 0 when there
 * is none (or no such directory), -errno when the directory cannot be read. */
static int find_in_dir(const char *dir, uint64_t dev, uint64_t ino, char **ret_path) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (;;) {
                struct stat st;

                errno = 0;
                de = readdir(d);
                if (!de)
                        return errno ? -errno : 0;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;   /* gone since readdir */
                if (S_ISREG(st.st_mode) && (uint64_t)st.st_dev == dev &&
                    (uint64_t)st.st_ino == ino) {
                        *ret_path = sl_path_join(dir, de->d_name);
                        return 1;
                }
        }
}

/* Where the file @dev/@ino last followed as @path may be now: in @path's
 * directory under another name (Docker's <name>.1 ...), or, when @path is a
 * symlink, in its target's directory (kubelet's 0.log.<time>). Same returns
 * as find_in_dir(). */
static int find_rotated(const char *path, uint64_t dev, uint64_t ino, char **ret_path) {
        _cleanup_free_ char *dir = sl_path_dirname(path), *real = NULL, *real_dir = NULL;
        struct stat st;
        int r;

        r = find_in_dir(dir, dev, ino, ret_path);
        if (r != 0)
                return r;
        if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
                return 0;
        real = realpath(path, NULL);
        if (!real)
                return 0;
        real_dir = sl_path_dirname(real);
        if (strcmp(real_dir, dir) == 0)
                return 0;
        return find_in_dir(real_dir, dev, ino, ret_path);
}

/* The file of @pos, whose path matches glob @gi, was deleted while sluice
 * was stopped: counted and told when it held unacknowledged bytes (or that
 * is not known); with @remove, the entry goes (else a new file takes it). */
static void lost_file(struct sl_tailer *t, const struct sl_position *pos, size_t gi,
                      bool remove) {
        if (!pos->size_known || pos->size > pos->offset) {
                struct sl_tail_lost lost = {
                        .path = pos->path, .dev = pos->dev, .ino = pos->ino,
                        .offset = pos->offset, .size = pos->size_known ? pos->size : 0,
                        .size_known = pos->size_known, .target = t->globs[gi].target,
                };
                t->stats.files_lost++;
                if (pos->size_known)
                        t->stats.bytes_lost += pos->size - pos->offset;
                if (t->lost_fn)
                        t->lost_fn(t->lost_userdata, &lost);
        }
        if (remove)
                sl_positions_remove(t->positions, pos->dev, pos->ino);
}

/* What became of the file of unresolved entry @dev/@ino (see tailer.h).
 * Returns 1 and fills *@ret when it was found with bytes past the saved
 * offset (opened, not yet followed), else 0: resolved, or left for the
 * next scan. */
static int recover_entry(struct sl_tailer *t, uint64_t dev, uint64_t ino,
                         struct recovered *ret) {
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        _cleanup_free_ char *found = NULL;
        struct sl_position pos;
        uint64_t offset;
        struct stat st;
        size_t gi;
        int r;

        if (!sl_positions_find(t->positions, dev, ino, &pos) || pos.resolved || pos.active)
                return 0;
        gi = glob_matching(t, pos.path);
        if (gi == SIZE_MAX || sl_tail_map_get(&t->by_id, dev, ino)) {
                /* No glob leads there any more: not ours to look for. */
                sl_positions_resolve(t->positions, dev, ino);
                return 0;
        }
        if (stat(pos.path, &st) == 0) {
                /* Still under its name: for the glob scan to open. */
                if ((uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
                        return 0;
        } else if (errno != ENOENT && errno != ENOTDIR) {
                return 0;
        }

        r = find_rotated(pos.path, dev, ino, &found);
        if (r < 0)
                return 0;
        if (r > 0) {
                r = sl_tail_file_open(found, t->opts.max_line_size + t->opts.read_size, &f);
                if (r < 0 && r != -ENOENT)
                        t->stats.open_errors++;
                /* Renamed again since readdir, or unreadable: next scan. */
                if (r < 0 || f->info.dev != dev || f->info.ino != ino)
                        return 0;
                r = sl_tail_file_identify(f, &pos.fp);
                if (r < 0) {
                        t->stats.open_errors++;
                        return 0;
                }
        }
        if (r == 0) {
                /* Not there, or another file got the inode. */
                lost_file(t, &pos, gi, true);
                return 0;
        }
        offset = sl_tail_file_offset_valid(f, pos.offset) ? pos.offset : 0;
        if (offset >= f->size) {
                /* Read and acknowledged to its end: nothing to do (prune
                 * drops the entry). */
                sl_positions_resolve(t->positions, dev, ino);
                return 0;
        }
        if (fstat(f->fd, &st) < 0)
                st.st_mtim = (struct timespec){ 0 };
        sl_tail_file_seek(f, offset);
        /* Its lines keep the name they had before the rotation. */
        sl_tail_file_set_open_path(f, pos.path);
        /* Renamed away: read to its end first, then released. */
        f->gone = true;
        *ret = (struct recovered){ .file = TAKE_PTR(f), .glob = gi,
                                   .path = sl_xstrdup(pos.path), .offset = offset,
                                   .mtime = st.st_mtim };
        return 1;
}

/* Least recently written first. */
static int recovered_cmp(const void *x, const void *y) {
        const struct recovered *a = x, *b = y;

        if (a->mtime.tv_sec != b->mtime.tv_sec)
                return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
        if (a->mtime.tv_nsec != b->mtime.tv_nsec)
                return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
        return 0;
}

/* Looks for the files of the unresolved positions entries (see tailer.h) and
 * follows those found, least recently written first (so that two rotated
 * generations of one log are read in the order they were written). Returns
 * the number of files opened. */
static int recover_all(struct sl_tailer *t) {
        size_t n = sl_positions_unresolved(t->positions), k = 0, m = 0, cursor = 0;
        _cleanup_free_ uint64_t *ids = NULL;
        _cleanup_free_ struct recovered *rec = NULL;
        struct sl_position pos;

        if (n == 0)
                return 0;
        /* Identities first: resolving removes entries, which an iteration
         * must not see. */
        ids = sl_xcalloc(2 * n, sizeof(*ids));
        while (k < n && sl_positions_next_unresolved(t->positions, &cursor, &pos)) {
                ids[2 * k] = pos.dev;
                ids[2 * k + 1] = pos.ino;
                k++;
        }
        rec = sl_xcalloc(k ? k : 1, sizeof(*rec));
        for (size_t i = 0; i < k; i++)
                m += (size_t)recover_entry(t, ids[2 * i], ids[2 * i + 1], &rec[m]);
        qsort(rec, m, sizeof(*rec), recovered_cmp);
        for (size_t i = 0; i < m; i++) {
                add_file(t, rec[i].file, rec[i].glob, rec[i].path, rec[i].offset);
                free(rec[i].path);
                t->stats.files_recovered++;
        }
        return (int)m;
}

/* ---- noticing changes --------------------------------------------------- */

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
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, f->size);
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
                (void)scan_all(t);
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
                for (size_t i = 0; i < w->n_globs; i++)
                        t->globs[w->globs[i]].rescan = true;
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
        size_t rescanned = 0;

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
        for (size_t i = 0; i < t->n_globs; i++) {
                if (overflow || t->globs[i].rescan) {
                        (void)scan_glob(t, i);
                        rescanned++;
                }
        }
        check_files(t, overflow, t->n_globs > 0 && rescanned == t->n_globs);
        return 0;
}

void sl_tailer_poll(struct sl_tailer *t) {
        size_t rescanned = 0;

        if (t->inotify_fd >= 0)
                for (size_t i = 0; i < t->n_files; i++)
                        if (t->files[i]->unwatched)
                                watch_file(t, t->files[i]);

        for (size_t i = 0; i < t->n_globs; i++) {
                if (t->inotify_fd < 0 || t->globs[i].unwatched) {
                        (void)scan_glob(t, i);
                        rescanned++;
                }
        }
        check_files(t, true, t->n_globs > 0 && rescanned == t->n_globs);
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
        sl_positions_note_size(t->positions, f->info.dev, f->info.ino, f->size);
}

/* Closes files[@i] for good: hands out its last bytes, tells the release
 * callback and the positions. The next file moves to index @i. */
static void release_file(struct sl_tailer *t, size_t i, const struct sl_tail_reader *reader) {
        struct sl_tail_file *f = t->files[i];

        sl_tail_file_flush(f, reader);
        if (t->release_fn)
                t->release_fn(t->release_userdata, &f->info);
        sl_positions_release(t->positions, f->info.dev, f->info.ino);
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
                .read_size = t->opts.read_size,
                .max_line_size = t->opts.max_line_size,
                .sink = sink,
                .userdata = userdata,
                .stats = &t->stats,
        };
        size_t total = 0, idle = 0;

        /* Gone and renamed files first, to their end: a rotated file's
         * last lines come before those of its successor, and a gone file's
         * fd is closed soon. */
        for (size_t i = 0; i < t->n_files && total < budget;) {
                struct sl_tail_file *f = t->files[i];
                size_t n = 1;

                if (!f->gone && !f->rotated) {
                        i++;
                        continue;
                }
                while (n > 0 && total < budget && sl_tail_file_has_unread(f)) {
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
        while (t->n_files > 0 && total < budget && idle < t->n_files) {
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
