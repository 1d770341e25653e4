/* tailer.h - follow the files matched by the scrape globs, known by device,
 * inode and fingerprint, and hand out their complete lines.
 *
 * Owns: the inotify fd and its watches (each glob's directories, each open
 * file), every followed file (fd, identity, read buffer, offsets), copies of
 * the globs and options.
 * Borrows: the positions (must outlive the tailer): read when a file is opened
 * (sl_positions_find, then sl_positions_track), told
 * after every read block (sl_positions_note_read: read end, fingerprint;
 * sl_positions_note_size), when a file is truncated (sl_positions_reset),
 * renamed within the globs (sl_positions_set_path) or released
 * (sl_positions_release); its entries from before a restart are looked
 * into by sl_tailer_scan() (see "Files rotated while stopped"). The tailer
 * never acks: the agent does, once lines are shipped. Also borrows each
 * glob's @target.
 *
 * Calling sequence:
 *   sl_tailer_new()             copies the options; opens the inotify fd
 *   sl_tailer_add_glob() ...    every glob known at the start, before the first scan
 *   sl_tailer_set_release_cb(), sl_tailer_set_lost_cb(), sl_tailer_set_target_cb(),
 *   sl_tailer_set_retarget_cb() optional
 *   sl_tailer_scan()            opens the matched files; again on a rescan timer
 *   register sl_tailer_fd() for EPOLLIN; on readiness sl_tailer_process_events()
 *   sl_tailer_poll()            periodically (the poll period, or a slow safety net)
 *   sl_tailer_read()            while sl_tailer_has_pending() (and downstream has room)
 *   sl_tailer_stats(), sl_tailer_mode(), sl_tailer_foreach_file()   any time
 *   sl_tailer_add_glob(), sl_tailer_remove_glob()   any time: targets that
 *                               discovery finds or loses while running
 *   sl_tailer_set_globs(), then sl_tailer_rewind()  a reloaded config
 *   sl_tailer_free()            closes everything; NULL is a no-op
 *
 * Following: a file is followed by its fd, so a file renamed away (rotation)
 * is read to its end and then released; the path's new file is opened by the
 * rescan its directory event triggers, from offset 0. A file renamed to a
 * name the globs still match keeps being followed (no release, no re-read).
 * Renamed or gone files are read to their end before the others, so the last
 * lines of a rotated file come before the first ones of its successor. The
 * same device+inode under two matched names is followed once. A deleted
 * file is read to its end, then released (what a writer still holding it
 * open appends after that is not seen: it has no name left to be found by).
 *
 * Files rotated while stopped: a glob naming only the live file
 * (x-json.log) cannot lead to the files Docker rotated while sluice was
 * not running (x-json.log.1, x-json.log.2.gz), although lines after the
 * saved positions are still there. So the first sl_tailer_scan(), after
 * the glob scan, walks every log's rotation chain: the live files it
 * opened and the logs of the saved positions from before the start
 * (grouped by live name: a position recorded under x-json.log.1 belongs to
 * x-json.log). The generations are the live file's rotated siblings
 * (rotation.h: its name plus one of opts.rotated_suffixes), oldest first,
 * then the live file. Each is matched to a saved position by device and
 * inode (its first bytes still those saved), or else by its first bytes
 * alone (a compressed copy is a new file with the same uncompressed
 * bytes; a fingerprint vouches when it covers all the file's first KiB or
 * at least 256 bytes). Two generations with the same first bytes (Docker
 * writes x.1.gz before it removes x.1) are one: the followed, positioned
 * or plain one is read. Then:
 *   - a generation with a saved position is read on from its offset (the
 *     offset rules below applying; through gz-reader for a .gz), to its
 *     end, before the other files, then released; its lines carry the
 *     path recorded for it (sinks see the same path as before the
 *     rotation, so labels made from it stay the same); a compressed copy
 *     takes the position's place under its own device and inode;
 *   - generations newer than the newest known one (with a position, or the
 *     live file resumed from one) were written and rotated while sluice was
 *     stopped: read whole, the same way (counted in files_unseen too). A
 *     position saved while its file was empty (just after a rotation) knows
 *     only a device and inode, which the next live file may have been given
 *     after that file was filled and compressed: such a match marks the
 *     newest known one only when no generation is known by its bytes;
 *   - older ones without a position were read before: left alone;
 *   - a log nothing of which is known is new (created while sluice was
 *     stopped): read whole, unless positions were never saved (a first
 *     start: sl_positions_existed() false) and
 *     opts.read_rotated_at_first_start is not set: then only its live file;
 *   - a saved position no generation matches was deleted while sluice was
 *     stopped: the entry is removed, counted in files_lost (and bytes_lost:
 *     the saved size past the saved offset), and the lost callback told
 *     once. When the log is still there (rotated past the file), the file
 *     may have grown after sluice last saw it (may_have_grown), and it is
 *     told even when everything seen of it was acknowledged;
 *   - the directory or a generation cannot be read (EACCES...): nothing
 *     of that log is settled; the next scan walks it again.
 * Generations a glob matches by their own name (x-json.log*) are followed
 * under that name instead of being released, and the ones left alone are
 * remembered (with their first bytes) so that scans pass them by.
 * While running, a new .gz a glob matches whose first bytes are those of a
 * file followed, saved or released lately is a compressed copy of it: not
 * read (a gzip file still being written is passed by until it can tell).
 * Any other .gz is read once, whole.
 * Not known: a file created and deleted while sluice was stopped.
 *
 * Truncation (copytruncate): a file whose size falls below the read offset,
 * or whose first bytes no longer hash to its fingerprint (truncated and
 * written past the old offset again between two looks), is read again from
 * 0, and counted. Lines written before the truncation and not read by then
 * are not in the file any more: copytruncate's own race.
 *
 * Identity and offsets: a file is known by device, inode and fingerprint
 * (fingerprint.h). A file opened for the first time is read from its first
 * byte. A saved position is used only if the file's first bytes hash to the
 * saved fingerprint (else it is another file that got the inode: read from
 * 0, entry replaced, counted in fingerprint_mismatches), and the offset is
 * within the file and follows a '\n'; otherwise the file is read from 0 (at
 * least once beats never).
 *
 * inotify and its limits: directories of the globs and open files are
 * watched. When a watch cannot be added (ENOSPC: out of watches, or the
 * max_watches option), that file or glob is polled instead by
 * sl_tailer_poll(), and watch_failures counts it (once per file; once per
 * glob each time it loses a watch); when inotify cannot be set up at all
 * (EMFILE...), everything is polled. sl_tailer_mode() says which, so the
 * agent can warn once. An event queue overflow rescans every glob and checks
 * every file.
 *
 * Lines: a line is handed out once its '\n' has been read. A line longer than
 * max_line_size is handed out in pieces of max_line_size bytes as they arrive
 * (each counted in lines_split), then its remainder (1 to max_line_size
 * bytes) as a line; the buffer never holds more than max_line_size +
 * read_size bytes. Files that are gone (rotated away, deleted) are read
 * first, so their last lines come before those of the file replacing them.
 * When a released file ends without a '\n', its last bytes are handed out as
 * a final line.
 *
 * Globs while running: a glob added after the first scan is expanded at
 * once (its files are opened as a scan would; the rotation chain walk of
 * the first scan is not done for it). A glob removed stops matching; the
 * files it opened are read to their end and released, as deleted files
 * are (their saved positions stay while their path still leads to them,
 * so a glob added again later goes on from there). Directory watches only
 * it needed are removed. A file matched by two globs is followed once,
 * for the glob that found it first.
 *
 * Targets per file: without a target callback, a file's lines carry its
 * glob's target. With one, the callback is asked, before a matched file
 * is followed, which target its lines carry; NULL leaves the file alone
 * (the next scan that matches it asks again). Every target it returned is
 * handed back through the release callback (file->target) when that file
 * is released; targets of files still open at sl_tailer_free() are not.
 *
 * Threading: loop thread only. Sinks, the target and the release callbacks
 * must not call back into the tailer.
 */
#ifndef SL_TAIL_TAILER_H
#define SL_TAIL_TAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/str.h"
#include "tail/positions.h"

#define SL_TAILER_READ_SIZE_DEFAULT (256u << 10)
#define SL_TAILER_MAX_LINE_SIZE_DEFAULT (256u << 10)

struct sl_tailer_options {
        size_t read_size;          /* bytes per read(2); 0: SL_TAILER_READ_SIZE_DEFAULT */
        size_t max_line_size;      /* a line longer than this without '\n' is handed out in
                                    * pieces of this size (counted as split);
                                    * 0: SL_TAILER_MAX_LINE_SIZE_DEFAULT */
        bool poll;                 /* no inotify: stat() files each sl_tailer_poll() */
        size_t max_watches;        /* most inotify watches to hold (files and
                                    * directories); past it, as when the kernel refuses
                                    * one: polled. 0: no limit but the kernel's */
        const char *const *rotated_suffixes; /* copied, NULL-terminated; how rotated
                                    * generations are named after the live file
                                    * (rotation.h); NULL: the defaults */
        bool read_rotated_at_first_start; /* a log nothing of which is known is read
                                    * with its rotated generations even when no
                                    * positions were saved before (a first start) */
};

/* What the sink learns about a line's file. Valid (and its path) until the
 * sink or release callback returns. */
struct sl_tail_file_info {
        uint64_t id;               /* unique per opened file in this process, never
                                    * reused (from 1): the entry's source_id */
        const char *path;          /* borrowed; the path it was opened by (stays the
                                    * same when the file is renamed; for a file found
                                    * rotated after a restart, the path it was
                                    * followed by before) */
        size_t path_len;           /* strlen(path): the `filename` label of
                                    * every line, measured once */
        uint64_t dev;              /* device of the file */
        uint64_t ino;              /* inode of the file */
        void *target;              /* borrowed; userdata of the glob that matched */
};

/* Called per line. @line is borrowed until return. @end_offset is the file
 * offset just after the line's '\n': the position to ack once the line is
 * shipped. For a piece of a line longer than max_line_size it is the offset
 * where that line starts (a position never points into a line; a restart
 * reads a split line again whole), for the final bytes of a released file
 * without '\n' the file's end. */
typedef void (*sl_tail_sink_fn)(void *userdata, const struct sl_tail_file_info *file,
                                struct sl_str line, uint64_t end_offset);
/* Called when a file is released (deleted or rotated away, and read to its
 * end): stages forget state for file->id, which is never seen again. */
typedef void (*sl_tail_release_fn)(void *userdata, const struct sl_tail_file_info *file);

/* A file with a saved position that was deleted while sluice was stopped:
 * what it held past the saved offset is lost. Valid (and its path) until the
 * lost callback returns. */
struct sl_tail_lost {
        const char *path;          /* borrowed; the path recorded for the file */
        uint64_t dev;              /* device of the file */
        uint64_t ino;              /* inode of the file */
        uint64_t offset;           /* the acknowledged offset saved for it */
        uint64_t size;             /* its size when sluice last looked; more than
                                    * offset (valid only when size_known) */
        bool size_known;           /* false: saved by a sluice without sizes (v1, v2
                                    * positions): how much is lost is not known */
        bool may_have_grown;       /* the log was rotated past it after sluice last saw
                                    * it: it may have held more than size */
        void *target;              /* borrowed; userdata of the glob matching path */
};
/* Called once per lost file, from sl_tailer_scan(). */
typedef void (*sl_tail_lost_fn)(void *userdata, const struct sl_tail_lost *lost);

struct sl_tailer;

/* A new tailer with a copy of @opts; borrows @positions. Never NULL. If
 * inotify cannot be set up (EMFILE...) it works as in poll mode. */
struct sl_tailer *sl_tailer_new(const struct sl_tailer_options *opts,
                                struct sl_positions *positions);
void sl_tailer_free(struct sl_tailer *t);
SL_DEFINE_CLEANUP(struct sl_tailer *, sl_tailer_free)

/* Adds a glob(3) pattern (copied); files it matches carry @target (borrowed
 * until the glob is removed and its files released). After the first scan
 * its files are opened now. Returns 0, or -EINVAL for an empty pattern. */
int sl_tailer_add_glob(struct sl_tailer *t, const char *glob, void *target);
/* Removes every glob of @target (see "Globs while running"). Returns how
 * many were removed. */
size_t sl_tailer_remove_glob(struct sl_tailer *t, void *target);

/* Which target a file's lines carry: called with the path a glob matched
 * and the glob's target; returns the target (borrowed until the file is
 * released), or NULL to leave the file alone for now. */
typedef void *(*sl_tail_target_fn)(void *userdata, const char *path, void *glob_target);
void sl_tailer_set_target_cb(struct sl_tailer *t, sl_tail_target_fn fn, void *userdata);
/* Which target a followed file carries after sl_tailer_set_globs(): called
 * with the file's path, the target it carries now (@old) and the target of
 * the new glob of the same pattern (NULL when there is none, or for a file
 * of a removed glob being read to its end). Returns the target it carries
 * from now on, the callback having moved the file's hold from @old to it;
 * or NULL: the file is released, the release callback told with @old as
 * for any release. Without it, a file goes on with its new glob's target,
 * and is released when there is none. */
typedef void *(*sl_tail_retarget_fn)(void *userdata, const char *path, void *old,
                                     void *glob_target);
void sl_tailer_set_retarget_cb(struct sl_tailer *t, sl_tail_retarget_fn fn, void *userdata);
void sl_tailer_set_release_cb(struct sl_tailer *t, sl_tail_release_fn fn, void *userdata);
/* Sets the callback told about files deleted while sluice was stopped
 * (optional: they are counted either way). */
void sl_tailer_set_lost_cb(struct sl_tailer *t, sl_tail_lost_fn fn, void *userdata);

/* Expands every glob, opens the regular files not yet followed and (inotify
 * mode) watches their directories; then looks for the files of saved
 * positions rotated or deleted while sluice was stopped (see above), which
 * may call the lost callback. Returns the number of files opened (recovered
 * ones included), or -errno when a glob could not be expanded (the other
 * globs are still done). */
int sl_tailer_scan(struct sl_tailer *t);
/* The inotify fd to register for EPOLLIN (borrowed); -1 in poll mode. */
int sl_tailer_fd(const struct sl_tailer *t);
/* Drains the inotify events without blocking: rescans globs whose
 * directories changed, notes growth, truncation, rotation and deletion of
 * open files. Returns 0 or -errno (reading the fd failed). */
int sl_tailer_process_events(struct sl_tailer *t);
/* The same by stat(): fstat every open file, and rescan the globs that have
 * no directory watch (all of them in poll mode); tries again to watch the
 * files that have none. For poll mode, for what could not be watched, and as
 * a safety net for lost events. */
void sl_tailer_poll(struct sl_tailer *t);
/* Replaces the globs (a reloaded config): @n patterns (copied), the files
 * each matches carrying @targets[i] (borrowed). A followed file whose glob's
 * pattern is among the new ones goes on, with that glob's target (or the
 * one the retarget callback gives it, which may also keep a file of a
 * removed glob); the others are released without handing out a last
 * partial line (their positions stay: if a glob names them again they
 * resume). Then every new
 * glob is scanned (no rotation chain walk: that is for a start). Returns 0,
 * or -EINVAL for an empty pattern (nothing changed). */
int sl_tailer_set_globs(struct sl_tailer *t, const char *const *patterns, void *const *targets,
                        size_t n);
/* Makes every followed file read again from its acknowledged offset (the
 * positions' offset of the file followed now; 0 when there is none): what
 * was read but not acknowledged, and a partial line buffered, is handed out
 * again. For a reload that drops what the old pipelines and clients held. */
void sl_tailer_rewind(struct sl_tailer *t);

/* The safety net when everything is watched by inotify: looks at (fstat,
 * and whether its name still leads to it) at most @max open files, the
 * next ones in turn from where the last call stopped, and acts as
 * sl_tailer_poll() does on what it finds. Its cost does not grow with the
 * number of files: with many, each is looked at less often. */
void sl_tailer_check_some(struct sl_tailer *t, size_t max);
/* True when a file is known to have unread bytes, or a file is waiting to be
 * released (both go away with sl_tailer_read()): never true for nothing. */
/* Releases the files that are gone and read to their end, with no piece
 * of a line held (what sl_tailer_read() does as it goes): before positions
 * are saved, so that a stop while reading is paused does not leave them
 * looking like files that were still being written. */
void sl_tailer_settle(struct sl_tailer *t);
bool sl_tailer_has_pending(const struct sl_tailer *t);
/* Reads up to about @budget bytes, one read_size block per file in turn, and
 * hands every complete line to @sink; releases files that are gone and read
 * to their end. Returns the number of bytes read. */
size_t sl_tailer_read(struct sl_tailer *t, size_t budget, sl_tail_sink_fn sink, void *userdata);
/* Asks the sl_tailer_read() in progress to return once the lines of the
 * block being handed out are done, whatever is left of its budget: for a
 * sink that has no room for more (called from the sink; outside a read it
 * does nothing). */
void sl_tailer_yield(struct sl_tailer *t);

struct sl_tailer_stats {
        uint64_t lines_read;       /* lines (and pieces of lines) handed to sinks */
        uint64_t bytes_read;       /* bytes read from files */
        uint64_t files_opened;     /* files opened */
        uint64_t files_released;   /* files released (deleted or rotated away) */
        uint64_t truncations;      /* files found truncated and read again from 0 */
        uint64_t rotations;        /* followed files found renamed */
        uint64_t lines_split;      /* pieces of lines longer than max_line_size */
        uint64_t open_errors;      /* failed opens of matched files (EACCES...; each scan
                                    * tries again) */
        uint64_t rewrites;         /* of truncations, those found by the first bytes
                                    * changing while the size was past the read offset */
        uint64_t fingerprint_mismatches; /* saved positions not applied: the file at that
                                    * device+inode begins otherwise (a new file) */
        uint64_t watch_failures;   /* inotify watches that could not be added (or inotify
                                    * not set up): those files and globs are polled */
        uint64_t files_recovered;  /* of files_opened, rotated generations read at a
                                    * start: files of saved positions found under
                                    * another name (or compressed) and read on from the
                                    * saved offset, and files_unseen */
        uint64_t files_unseen;     /* of those, generations written and rotated while
                                    * sluice was stopped, never seen: read whole */
        uint64_t files_lost;       /* files of saved positions deleted while stopped,
                                    * with bytes past the saved offset (or not known) */
        uint64_t bytes_lost;       /* of those, the bytes known written and never
                                    * acknowledged (saved size minus saved offset); what
                                    * was written after sluice last looked is not known */
};
/* Borrowed, live: valid until sl_tailer_free(). */
const struct sl_tailer_stats *sl_tailer_stats(const struct sl_tailer *t);

/* How changes are noticed. */
enum sl_tailer_mode {
        SL_TAILER_INOTIFY = 0,     /* every glob directory and open file is watched */
        SL_TAILER_PARTLY_POLLED,   /* some watches could not be added: those files and
                                    * globs are polled (sl_tailer_poll's period) */
        SL_TAILER_POLLED,          /* no inotify: poll mode, or inotify_init1 failed */
};
/* The mode now (it changes as watches fail or come back). */
enum sl_tailer_mode sl_tailer_mode(const struct sl_tailer *t);

/* Per-file view for metrics; path borrowed for the duration of the callback.
 * The file's acknowledged offset is the positions' (sl_positions_get with
 * dev and ino): size minus it is what a crash now would read again. */
struct sl_tail_file_stat {
        const char *path;          /* the path the file was opened by */
        uint64_t dev;              /* device of the file */
        uint64_t ino;              /* inode of the file */
        uint64_t offset;           /* bytes read so far (file offset) */
        uint64_t size;             /* file size last seen */
        uint64_t lines;            /* lines handed out of it */
};
void sl_tailer_foreach_file(const struct sl_tailer *t,
                            void (*fn)(void *ud, const struct sl_tail_file_stat *s), void *ud);
/* The number of files open. */
size_t sl_tailer_active_files(const struct sl_tailer *t);

#endif
