/* positions.h - how far each followed file has been acknowledged, and the
 * file that keeps it across restarts.
 *
 * A file is known by device + inode; its path is recorded for pruning and
 * for humans. The offset of an entry is the acknowledged high-water mark:
 * every byte before it has been shipped (or dropped for good), and a restart
 * resumes there. The tailer creates entries when it opens a file; the agent
 * moves them forward when Loki acknowledges a batch.
 *
 * Owns: every entry (dev, ino, path copy, offset, active flag), indexed by a
 * hash map; its filename copy; the text of the last load error.
 * Borrows: nothing.
 *
 * Calling sequence:
 *   sl_positions_new()      copies the filename; loads nothing
 *   sl_positions_load()     once, before the tailer opens files
 *   sl_positions_track()    tailer, on open;  sl_positions_release() on close
 *   sl_positions_ack()      agent, as batches are acknowledged
 *   sl_positions_prune()    then sl_positions_save(), every sync period and at exit
 *   sl_positions_free()
 *
 * The file (written whole by sl_write_atomic, so a crash leaves the old or
 * the new one):
 *      # sluice positions v1
 *      <dev> <ino> <offset> <path>
 *      ...
 * Numbers are unsigned decimal, fields are separated by one space, and the
 * path is the rest of the line: '\\' is written "\\\\", '\n' "\\n", and other
 * control bytes "\\xHH", so any path round-trips. Lines starting with '#'
 * after the first are comments. Every line ends with '\n'. Anything else is
 * rejected: a half-understood positions file would ship logs twice or skip
 * them, so the agent decides whether to stop or start over.
 *
 * Threading: loop thread only.
 */
#ifndef SL_TAIL_POSITIONS_H
#define SL_TAIL_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"

struct sl_positions;

/* A new, empty set; @filename is copied. Never NULL. */
struct sl_positions *sl_positions_new(const char *filename);
void sl_positions_free(struct sl_positions *p);
SL_DEFINE_CLEANUP(struct sl_positions *, sl_positions_free)

/* Replaces the entries with the file's content (all inactive). Returns 0 (also
 * when the file does not exist: nothing to resume), -EBADMSG when the content
 * is malformed or too big, or -errno when it cannot be read; on failure the
 * entries are left as they were and sl_positions_error() says why. */
int sl_positions_load(struct sl_positions *p);
/* Borrowed text of the last load error ("line 3: offset is not a number"),
 * valid until the next load or free; NULL when the last load succeeded. */
const char *sl_positions_error(const struct sl_positions *p);
/* The line the last load error is on; 0 when it is not about one line. */
unsigned sl_positions_error_line(const struct sl_positions *p);

/* Writes every entry with sl_write_atomic(). Returns 0 or -errno (the file
 * on disk is then the previous one and the next save tries again). Skips
 * writing when nothing changed since the last successful save or load. */
int sl_positions_save(struct sl_positions *p);

/* Sets *@ret_offset to the offset recorded for the file and returns true;
 * false (nothing written) when there is none. */
bool sl_positions_get(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                      uint64_t *ret_offset);
/* Creates or refreshes the entry of an opened file: records @path (copied)
 * and @offset (which may be lower than before: the tailer found the saved one
 * invalid), and marks the entry active. */
void sl_positions_track(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path,
                        uint64_t offset);
/* Moves the entry's offset forward to @offset. Ignored when there is no entry
 * or @offset is not past the recorded one: acks never move backwards. */
void sl_positions_ack(struct sl_positions *p, uint64_t dev, uint64_t ino, uint64_t offset);
/* Sets the entry's offset back to 0 (the file was truncated). */
void sl_positions_reset(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* The file is no longer open: the entry becomes inactive (kept, and saved,
 * until prune finds its path gone). */
void sl_positions_release(struct sl_positions *p, uint64_t dev, uint64_t ino);
/* Drops inactive entries whose path no longer exists or now names another
 * file (stat(2), following symlinks as the tailer does). Active entries and
 * paths that cannot be checked (EACCES...) are kept. */
void sl_positions_prune(struct sl_positions *p);
/* The number of entries, active or not. */
size_t sl_positions_count(const struct sl_positions *p);

#endif
