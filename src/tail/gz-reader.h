/* gz-reader.h - the uncompressed bytes of a gzip file, read through its
 * descriptor from any offset.
 *
 * Rotated logs are often compressed: Docker's json-file driver with
 * compress=true gzips <name>.1 into <name>.1.gz right after a rotation,
 * logrotate's compress does the same one rotation later. Their offsets, in
 * positions and acknowledgements, are offsets into the uncompressed bytes,
 * so that a file keeps its place when it is compressed. gzip cannot be
 * entered in the middle: a seek inflates from the start (or from where the
 * reader is, going forward) and drops what it does not need. Rotated files
 * are read once, from the saved offset to the end, so that costs one pass.
 *
 * A gzip file being written (Docker compresses in the background) ends
 * before its stream does: a read there says -EAGAIN, keeps its place, and
 * the next read tries again from the same compressed offset. Several gzip
 * members in a row are read as one stream, as gzip(1) does.
 *
 * Owns: the zlib stream and the compressed input buffer.
 * Borrows: the descriptor (read with pread, so its file offset is unused).
 * Calling sequence: sl_gz_reader_new(), then any sl_gz_reader_read(),
 * sl_gz_reader_seek(), sl_gz_reader_tell(); sl_gz_reader_free().
 * Threading: one thread at a time.
 */
#ifndef SL_TAIL_GZ_READER_H
#define SL_TAIL_GZ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/cleanup.h"

struct sl_gz_reader;

/* Whether the file behind @fd begins with gzip's magic bytes (1f 8b). */
bool sl_gz_is_gzip(int fd);

/* A reader of @fd (borrowed) at uncompressed offset 0. Never NULL. */
struct sl_gz_reader *sl_gz_reader_new(int fd);
void sl_gz_reader_free(struct sl_gz_reader *z);
SL_DEFINE_CLEANUP(struct sl_gz_reader *, sl_gz_reader_free)

/* Reads up to @len uncompressed bytes at the current offset into @buf.
 * Returns the bytes read (> 0), 0 at the end of the stream (no more bytes,
 * ever), -EAGAIN when the compressed file ends before the stream does
 * (being written, or cut short: call again later), -EBADMSG when the data
 * is not gzip or is corrupt, or -errno from pread. */
ssize_t sl_gz_reader_read(struct sl_gz_reader *z, void *buf, size_t len);
/* Moves to uncompressed @offset: forward by inflating from where the reader
 * is, backward by starting over. Returns 0, -ENXIO when the stream ends
 * before @offset (then at its end), or an error of sl_gz_reader_read(). */
int sl_gz_reader_seek(struct sl_gz_reader *z, uint64_t offset);
/* The uncompressed offset of the next byte read. */
uint64_t sl_gz_reader_tell(const struct sl_gz_reader *z);
/* Whether the end of the stream was reached. */
bool sl_gz_reader_at_end(const struct sl_gz_reader *z);

#endif
