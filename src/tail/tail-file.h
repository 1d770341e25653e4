/* tail-file.h - struct sl_tail_file, one followed file: its fd, identity,
 * read buffer and offsets, and how it is read and split into lines.
 *
 * Internal to the tail layer: the tailer owns every sl_tail_file and decides
 * when to open, refresh, read and release it; this module knows nothing of
 * globs, inotify or positions.
 *
 * Owns: the fd, the partial line's buffer, both path copies. Reads go
 * into a buffer the reader lends (struct sl_tail_reader's buf, one for all
 * files): a file keeps only its partial line between reads, in storage
 * sized to it, so an idle file holds no read buffer.
 * Calling sequence: sl_tail_file_open(), sl_tail_file_identify() (is it the
 * file a saved position is about?), sl_tail_file_seek() (where to start),
 * then any number of sl_tail_file_refresh() / sl_tail_file_read(),
 * sl_tail_file_flush() before a release, sl_tail_file_free().
 *
 * Content identity: fp is the fingerprint of the file's first bytes as last
 * read. After every read block the file must still begin with them (one
 * pread of at most 1 KiB), and the fingerprint grows with the file up to
 * SL_FINGERPRINT_MAX. A file truncated and written past the read offset
 * again between two looks (copytruncate, then fast writes) keeps a size
 * above the offset, so only its first bytes tell: the block just read (new
 * content, from the old offset) is dropped before any of its lines go out,
 * and the file is read again from 0 (sl_tail_file_read() returns -ESTALE).
 * Not detected: new content whose first fp.len bytes equal the old ones (for
 * a file of 1 KiB or more: the same first 1 KiB), and content rewritten in
 * place without a truncation is taken for one (read again from 0).
 *
 * Compressed files: a file whose name ends in ".gz" and whose first bytes
 * are gzip's magic is read through a gz-reader (gz-reader.h): offsets,
 * sizes and the fingerprint are those of its uncompressed bytes, so a
 * rotated file that was compressed keeps its identity and its place. Such
 * a file is not appended to, so it is not checked for truncation after
 * reads; its size is not known before the end of its stream (size is then
 * at least one past read_pos, so there is something to read), and one
 * still being written (its stream ends before the file does) is read as
 * far as it goes and again once it grows (incomplete).
 *
 * Offsets: read_pos is where the next read starts; buf holds the bytes
 * [read_pos - buf.len, read_pos), at most max_line_size of them between
 * reads (a partial line), and line_start (<= read_pos - buf.len) is the
 * offset just after the last '\n' handed out.
 * Threading: loop thread only.
 */
#ifndef SL_TAIL_TAIL_FILE_H
#define SL_TAIL_TAIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "tail/fingerprint.h"
#include "tail/gz-reader.h"
#include "tail/tailer.h"

struct sl_tail_file {
        struct sl_tail_file_info info; /* what sinks see; info.path is open_path */
        char *open_path;           /* owned; the path the file was opened by */
        char *cur_path;            /* owned; the matched name it was last seen under */
        int fd;                    /* owned; O_RDONLY */
        uint64_t read_pos;         /* file offset of the next read */
        uint64_t size;             /* file size last seen (fstat, or a read past it) */
        uint64_t line_start;       /* offset after the last '\n' handed out */
        struct sl_fingerprint fp;  /* the file's first bytes as last read (len 0 after
                                    * a truncation, until the next read) */
        struct sl_buf buf;         /* owned; read but not handed out: a partial line
                                    * (storage over 4 KiB is given back once the
                                    * partial line fits in a quarter of it) */
        struct sl_gz_reader *gz;   /* owned; the uncompressed bytes of a gzip file,
                                    * NULL for a plain one */
        bool incomplete;           /* gzip: the file ended before its stream; what is
                                    * there was read */
        uint64_t gz_file_size;     /* gzip: the compressed size last seen */
        /* Bookkeeping of the tailer, untouched here: */
        size_t glob;               /* index of the glob that opened it */
        void *watch;               /* the tailer's inotify watch record, or NULL */
        bool gone;                 /* deleted or renamed away: release at its end */
        bool check;                /* an event asked for a look at its size */
        bool check_name;           /* an event asked whether cur_path still leads to it */
        bool broken;               /* the last read failed (EIO...) */
        bool suspect;              /* cur_path names another file: renamed? */
        bool rotated;              /* renamed within the globs and not read to its end
                                    * since: read before the other files */
        bool unwatched;            /* no inotify watch could be added: polled */
        bool resumed;              /* read on from a position saved before this start */
        bool resumed_blind;        /* ... whose fingerprint was empty (saved while the
                                    * file was empty): its device and inode alone said
                                    * it is this file, and a reused inode says so too */
        uint64_t lines;            /* lines (and pieces) handed out of it */
};

/* How sl_tail_file_read() hands out lines. */
struct sl_tail_reader {
        struct sl_buf *buf;              /* borrowed: what a read goes into (the file's
                                          * partial line, then the bytes read); cap at
                                          * least max_line_size + read_size. Lines
                                          * handed out point into it */
        size_t read_size;                /* most bytes per read(2) */
        size_t max_line_size;            /* longest piece handed out without '\n' */
        sl_tail_sink_fn sink;            /* receives every line */
        void *userdata;                  /* passed to sink */
        struct sl_tailer_stats *stats;   /* lines_read, bytes_read, lines_split */
};

enum sl_tail_file_change {
        SL_TAIL_FILE_TRUNCATED = 1 << 0, /* size fell below read_pos: now reading from 0 */
        SL_TAIL_FILE_UNLINKED  = 1 << 1, /* no name left (st_nlink == 0) */
};

/* Opens @path for reading (O_CLOEXEC) and fstat()s it; a ".gz" file that
 * starts with gzip's magic is read uncompressed (see the top). Returns 0
 * with a new file positioned at 0 (info.id and info.target left 0/NULL for
 * the caller), -EINVAL when it is not a regular file, or -errno. @buf_cap is
 * the cap of the partial line's buffer: at least max_line_size. */
int sl_tail_file_open(const char *path, size_t buf_cap, struct sl_tail_file **ret);
void sl_tail_file_free(struct sl_tail_file *f);
/* Whether @path names a compressed file (ends in ".gz"). */
bool sl_tail_file_name_is_gz(const char *path);
SL_DEFINE_CLEANUP(struct sl_tail_file *, sl_tail_file_free)

/* Fingerprints the file's first bytes into f->fp and tells whether they
 * are those @saved covers (NULL or an empty @saved: any file matches).
 * Returns 1 (same), 0 (another file, or the file was truncated: not where a
 * saved position applies) or -errno; for a gzip file also -EAGAIN (its
 * first bytes are not written yet) or -EBADMSG (not readable as gzip). */
int sl_tail_file_identify(struct sl_tail_file *f, const struct sl_fingerprint *saved);
/* Reads the file's first bytes (uncompressed for a gzip file), at most
 * SL_FINGERPRINT_MAX of them, into @head. Returns their count (short only
 * when the file is), -EAGAIN (a gzip file whose first bytes are not written
 * yet), -EBADMSG (not readable as gzip) or -errno. */
ssize_t sl_tail_file_head(struct sl_tail_file *f, unsigned char *head);
/* Whether @offset is a place to resume: within the file and just after a
 * '\n' (or 0). */
bool sl_tail_file_offset_valid(struct sl_tail_file *f, uint64_t offset);
/* Makes @path (copied) the path sinks see (info.path): the file was opened
 * under another name than the one its lines are known by. */
void sl_tail_file_set_open_path(struct sl_tail_file *f, const char *path);
/* Starts reading at @offset, dropping anything buffered. */
void sl_tail_file_seek(struct sl_tail_file *f, uint64_t offset);

/* fstat()s the file: updates size, handles truncation (reading again from 0,
 * fingerprint emptied) and reports what changed as enum sl_tail_file_change
 * flags; -errno when fstat fails. */
int sl_tail_file_refresh(struct sl_tail_file *f);
/* Whether bytes are known to be unread. */
static inline bool sl_tail_file_has_unread(const struct sl_tail_file *f) {
        return f->size > f->read_pos;
}

/* Reads one block of at most min(read_size, @max) bytes (and no more than
 * known to be there), checks (and grows) the fingerprint and hands out every
 * complete line. Returns the bytes read (0 at the end of the file), -ESTALE
 * when the file's first bytes changed (nothing handed out; now reading from
 * 0 with the new content's fingerprint), or -errno. */
ssize_t sl_tail_file_read(struct sl_tail_file *f, size_t max, const struct sl_tail_reader *r);
/* Hands out what is buffered (a last line without '\n'), if anything. */
void sl_tail_file_flush(struct sl_tail_file *f, const struct sl_tail_reader *r);

#endif
