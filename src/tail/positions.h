/* positions.h - how far each followed file has been acknowledged, and the
 * file that keeps it across restarts.
 *
 * A file is known by device + inode + fingerprint (a hash of its first bytes,
 * see fingerprint.h): device and inode find the entry, and the fingerprint
 * says whether the file there now is still the one the entry is about (an
 * inode freed by a delete may be reused by the next file created). Its path
 * is recorded for pruning and for humans. The offset of an entry is the
 * acknowledged high-water mark: every byte before it has been shipped (or
 * dropped for good), and a restart resumes there. The tailer creates entries
 * when it opens a file and keeps their fingerprint and read end up to date;
 * the agent moves offsets forward when Loki acknowledges a batch.
 *
 * Acks that are not for the file now followed: an ack names a file by device
 * and inode, so one still in flight for a file that is gone (deleted, then
 * its inode reused) or for a file's content before a truncation would move
 * the new file's position past lines never read. Each entry therefore keeps
 * the end of what the tailer has read of the file it follows now (read_end,
 * not saved): an ack past it cannot be for this file and is ignored. With
 * sl_positions_ack_source() the ack also names the tailer's id of the file
 * and is ignored when another file is followed under that identity now.
 *
 * Owns: every entry (dev, ino, fingerprint, path copy, offset, size last
 * seen, read end, source id, active and resolved flags), indexed by a hash
 * map; its filename copy; the text of the last load error; the descriptor
 * the journal is appended through, and the records not written yet.
 * Borrows: nothing.
 *
 * Calling sequence:
 *   sl_positions_new()      copies the filename; loads nothing
 *   sl_positions_load()     once, before the tailer opens files
 *   sl_positions_track()    tailer, on open; sl_positions_note_read() after
 *                           reads, sl_positions_note_size() when it learns
 *                           the size, sl_positions_set_path() on a rename,
 *                           sl_positions_reset() on a truncation,
 *                           sl_positions_release() on close;
 *                           sl_positions_next_unresolved() at scans, then
 *                           sl_positions_resolve() or sl_positions_remove()
 *   sl_positions_ack()      agent, as batches are acknowledged
 *   sl_positions_flush()    agent, after every loop iteration that changed
 *                           anything (a journal append: cheap)
 *   sl_positions_prune()    then sl_positions_save(), every sync period and at exit
 *   sl_positions_free()
 *
 * The file: a snapshot, written whole by sl_write_atomic (so a crash leaves
 * the old or the new one), then a journal appended to it:
 *      # sluice positions v5
 *      <dev> <ino> <offset> <fp-len> <fp-hash> <size> <state> <path>
 *      ...
 *      # journal: ...
 *      + <dev> <ino> <offset> <fp-len> <fp-hash> <size> <state> <path>
 *      - <dev> <ino>
 *      ...
 * A "+" record replaces (or adds) the entry of that file, a "-" record
 * removes it; load applies them in order after the snapshot.
 *
 * Why a journal: what is on disk must know every file sluice follows and
 * every acknowledgement, at once, not at the next sync period. A file
 * opened after the last save (the successor of a rotation) and unknown
 * after a crash is a file whose rotated generations nobody looks for; an
 * acknowledgement not on disk makes a restart send lines again, or count
 * lines already delivered as lost when their file is gone. So every change
 * to what is saved (a file tracked, renamed, acknowledged, truncated,
 * removed; the size alone excepted, which the next record or save carries)
 * makes its entry pending, and sl_positions_flush() appends the pending
 * entries' records in one write(2): once it returns, a crash of the process
 * loses none of it. The journal is not fsynced (the snapshot is): after a
 * crash of the machine its tail may be missing or torn, and load stops at
 * the first record that is not whole, leaving the state before it (older
 * offsets: lines sent again, never skipped). Every sync period, and when
 * the journal outgrows the snapshot, a save folds it into a new snapshot.
 *
 * Numbers are unsigned decimal but fp-hash, which is 16 hex digits; size is
 * the file's size when the tailer last looked, or "-" when not known (an
 * entry read from an older file and not followed since); state is "d" for a
 * done entry (below), else "-". Fields are
 * separated by one space, and the path is the rest of the line: '\\' is
 * written "\\\\", '\n' "\\n", and other control bytes "\\xHH", so any path
 * round-trips. fp-len is at most SL_FINGERPRINT_MAX. Lines starting with '#'
 * after the first are comments. Every line ends with '\n'. Older files are
 * read too: version 2 ("# sluice positions v2", entries "<dev> <ino>
 * <offset> <fp-len> <fp-hash> <path>") without sizes, version 1 ("# sluice
 * positions v1", entries "<dev> <ino> <offset> <path>") also without
 * fingerprints, so its entries are matched by device and inode alone (and
 * the tailer's offset check); v3 is v4 without a journal, v4 is v5 without
 * the state. Saving writes v5. Anything else is rejected:
 * a half-understood positions file would ship logs twice or skip them, so
 * the agent decides whether to stop or start over.
 *
 * Entries from before a restart: every entry load reads is "unresolved"
 * until the tailer follows a file under it (sl_positions_track) or has
 * settled what became of its file (sl_positions_resolve, or
 * sl_positions_remove). The tailer looks for the files of unresolved
 * entries its globs no longer lead to (rotated while sluice was stopped:
 * read on from the offset; deleted: lost). The size saved with an entry
 * tells how much of a deleted file was never acknowledged.
 *
 * Done entries: a released file (rotated away or deleted, read to its end)
 * acknowledged to its end is done: nothing of it is left to read. Its entry
 * is kept, marked done, while it is the newest generation of its log known
 * by its first bytes: until the path it was followed by leads to a file
 * another entry knows by a fingerprint (or to nothing). A restart needs it:
 * an entry saved while the live file was empty knows that file only by a
 * device and inode that the next live file may have been given, so without
 * a done generation to place the others against, the generations rotated
 * before it (read) could not be told from those rotated while sluice was
 * stopped (unread). A done entry whose file is gone at a restart was no loss.
 *
 * Threading: loop thread only.
 */
#ifndef SL_TAIL_POSITIONS_H
#define SL_TAIL_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "tail/fingerprint.h"

struct sl_positions;

/* A new, empty set; @filename is copied. Never NULL. */
struct sl_positions *sl_positions_new(const char *filename);
void sl_positions_free(struct sl_positions *p);
SL_DEFINE_CLEANUP(struct sl_positions *, sl_positions_free)

/* Replaces the entries with the file's content (all inactive and
 * unresolved). A Promtail positions file (`positions: {path: "offset"}`) is
 * read too, once, for users moving over: each path that exists becomes an
 * entry for the file it names now, at Promtail's offset; the next save
 * writes sluice's format. Returns 0 (also
 * when the file does not exist: nothing to resume), -EBADMSG when the content
 * is malformed or too big, or -errno when it cannot be read; on failure the
 * entries are left as they were and sl_positions_error() says why. */
int sl_positions_load(struct sl_positions *p);
/* Borrowed text of the last load error ("line 3: offset is not a number"),
 * valid until the next load or free; NULL when the last load succeeded. */
const char *sl_positions_error(const struct sl_positions *p);
/* The line the last load error is on; 0 when it is not about one line. */
unsigned sl_positions_error_line(const struct sl_positions *p);

/* Whether the last load found a file (false: a first start, nothing saved
 * before). */
bool sl_positions_existed(const struct sl_positions *p);
/* How many journal records the last load applied; *@ret_torn (if not NULL)
 * tells whether it stopped at a record that was not whole. */
size_t sl_positions_replayed(const struct sl_positions *p, bool *ret_torn);

/* Writes every entry as a new snapshot with sl_write_atomic() and opens it
 * for the journal. Returns 0 or -errno (the file on disk is then the
 * previous one and the next save tries again). Skips writing when nothing
 * changed since the last successful save or load (a file loaded stays in
 * its version until the first change). */
int sl_positions_save(struct sl_positions *p);
/* Makes every change since the last flush survive a crash of the process:
 * appends their journal records to the file in one write(2), or saves
 * whole (no snapshot yet, the journal outgrew it, or appending failed).
 * Returns 0 or -errno (then the changes wait for the next save). Nothing
 * to do when nothing changed. */
int sl_positions_flush(struct sl_positions *p);
/* Whether changes wait for sl_positions_flush(). */
bool sl_positions_pending(const struct sl_positions *p);

/* A copy of what an entry holds (sl_positions_find and _next_unresolved). */
struct sl_position {
        uint64_t dev;              /* device of the file */
        uint64_t ino;              /* inode of the file */
        uint64_t offset;           /* acknowledged offset: resume here */
        struct sl_fingerprint fp;  /* the file's first bytes; len 0: none known (v1) */
        uint64_t size;             /* the file's size when last seen (if size_known) */
        bool size_known;           /* false: read from a v1 or v2 file, not followed since */
        bool active;               /* the tailer has the file open */
        bool resolved;             /* false: loaded, neither tracked nor resolved since */
        uint64_t source;           /* the tailer's id of the file tracked now, 0: none */
        bool done;                 /* released and acknowledged to its end (see
                                    * "Done entries" above) */
        const char *path;          /* borrowed; valid until the entry is changed
                                    * (track, set_path) or removed (prune, remove,
                                    * load, free) */
};

/* Sets *@ret_offset to the offset recorded for the file and returns true;
 * false (nothing written) when there is none. */
bool sl_positions_get(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                      uint64_t *ret_offset);
/* Sets *@ret_fp to the fingerprint recorded for the file and returns true;
 * false (nothing written) when there is none. An entry read from a v1 file
 * has an empty fingerprint (len 0). */
bool sl_positions_get_fingerprint(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                                  struct sl_fingerprint *ret_fp);
/* Creates or replaces the entry of a file the tailer opened: records @path
 * (copied), @offset (which may be lower than before: the tailer found the
 * saved one invalid, or the file is not the one the entry was about), @fp
 * and @source_id (the tailer's id of the open file, 0: none); the read end
 * and the size become @offset (until sl_positions_note_size), and the entry
 * is active and resolved. */
void sl_positions_track(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path,
                        uint64_t offset, const struct sl_fingerprint *fp, uint64_t source_id);
/* The followed file now goes by @path (copied): renamed within the globs. */
void sl_positions_set_path(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path);
/* The tailer has read the file up to @read_end (acks up to there may come)
 * and its first bytes are @fp (grown, or unchanged). */
void sl_positions_note_read(struct sl_positions *p, uint64_t dev, uint64_t ino,
                            uint64_t read_end, const struct sl_fingerprint *fp);
/* Moves the entry's offset forward to @offset. Ignored when there is no
 * entry, when @offset is not past the recorded one (acks never move
 * backwards), or when it is past the entry's read end (a stale ack for a
 * file no longer followed under this identity, see above). */
void sl_positions_ack(struct sl_positions *p, uint64_t dev, uint64_t ino, uint64_t offset);
/* sl_positions_ack(), also ignored when @source_id is not the id the entry
 * was last tracked with: the ack is for a file that is gone. */
void sl_positions_ack_source(struct sl_positions *p, uint64_t dev, uint64_t ino,
                             uint64_t source_id, uint64_t offset);
/* The file was truncated: offset, read end and size go back to 0, and the
 * fingerprint is emptied until the tailer reads the new content. */
void sl_positions_reset(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* The file is no longer open (gone: deleted, or renamed away and read to
 * its end). Its entry is removed once everything read of it is
 * acknowledged and its path leads elsewhere (prune's rule): now, or at the
 * ack that gets there (until then it is kept
 * and saved, so that a crash still finds the file; prune drops it after
 * SL_POSITIONS_UNACKED_GRACE_NS). So what a restart finds of a log is the
 * entries of files that were open and of rotated files with lines not
 * acknowledged, nothing of rotated files done with. */
void sl_positions_release(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* Drops inactive entries whose path no longer exists or now names another
 * file (stat(2), following symlinks as the tailer does). Active entries and
 * paths that cannot be checked (EACCES...) are kept, and so are released
 * entries whose acknowledged offset is still behind what was read of them
 * (for up to SL_POSITIONS_UNACKED_GRACE_NS after the release): a crash
 * before Loki answers then still finds the file at the next start. */
#define SL_POSITIONS_UNACKED_GRACE_NS (3600ULL * 1000000000ULL)
void sl_positions_prune(struct sl_positions *p);
/* The number of entries, active or not. */
size_t sl_positions_count(const struct sl_positions *p);

/* Fills *@ret with what the entry of the file holds and returns true; false
 * (nothing written) when there is none. */
bool sl_positions_find(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                       struct sl_position *ret);
/* The tailer saw the file's size now: @size, saved with the entry so that
 * what a file deleted while sluice is stopped held unacknowledged is known.
 * Ignored when there is no entry. */
void sl_positions_note_size(struct sl_positions *p, uint64_t dev, uint64_t ino, uint64_t size);
/* The number of unresolved entries (see the top): 0 once the tailer has
 * settled every entry loaded. */
size_t sl_positions_unresolved(const struct sl_positions *p);
/* Iterates the unresolved entries: start with *@cursor = 0; fills *@ret and
 * returns true for the next one, false at the end. The entries must not be
 * added or removed during an iteration (collect identities first). */
bool sl_positions_next_unresolved(const struct sl_positions *p, size_t *cursor,
                                  struct sl_position *ret);
/* Iterates every entry, as sl_positions_next_unresolved() does the
 * unresolved ones. */
bool sl_positions_next(const struct sl_positions *p, size_t *cursor, struct sl_position *ret);
/* The tailer has settled what became of the file: not unresolved any more.
 * Ignored when there is no entry. */
void sl_positions_resolve(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* The tailer found the entry's file (not followed) read and acknowledged
 * to its end: resolved and done (see "Done entries"). No entry: nothing. */
void sl_positions_finish(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* Drops the entry (its file is gone for good); no entry: nothing. */
void sl_positions_remove(struct sl_positions *p, uint64_t dev, uint64_t ino);

#endif
