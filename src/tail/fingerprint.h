/* fingerprint.h - what a file's first bytes say about which file it is.
 *
 * Device and inode name a file only while it exists: once it is deleted,
 * the file system may give its inode number to the next file created. A
 * saved position keyed by device+inode alone would then be applied to that
 * newcomer, and its first lines skipped. A fingerprint, a hash of the file's
 * first bytes saved next to the position, tells the two apart: a position
 * applies only to a file whose first bytes still hash the same.
 *
 * A fingerprint covers the first `len` bytes of the file, len growing with
 * the file up to SL_FINGERPRINT_MAX. 1024 bytes because:
 *   - a Docker json-file line carries a nanosecond "time", so the first line
 *     alone (typically 100-400 bytes) already differs between files; 1 KiB
 *     covers several lines, also for plain text logs with a short banner;
 *   - checking it is one pread(2) of at most 1 KiB, cheap enough to do after
 *     every read block, which is what finds a file truncated and written
 *     past the old offset again (copytruncate) between two looks;
 *   - the longer it is, the longer a small file's identity keeps growing (a
 *     file under 1 KiB is only told apart by the bytes it has so far).
 * What it cannot tell apart: two files whose first `len` bytes are equal
 * (a fixed banner longer than the covered part, or an empty file: len 0
 * matches every file, which is how positions without a fingerprint behave).
 *
 * The hash is 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3) over the bytes. It is stored in the positions file, so it
 * must never change.
 *
 * Pure but for sl_fingerprint_check(), which reads; no allocation.
 * Threading: any.
 */
#ifndef SL_TAIL_FINGERPRINT_H
#define SL_TAIL_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_FINGERPRINT_MAX 1024u
#define SL_FINGERPRINT_EMPTY_HASH 0xcbf29ce484222325ULL /* the hash of no bytes */

struct sl_fingerprint {
        uint64_t hash;             /* FNV-1a 64 of the file's first len bytes */
        uint32_t len;              /* bytes covered, 0..SL_FINGERPRINT_MAX; 0 matches
                                    * every file */
};

/* Sets @fp to cover nothing (it matches every file). */
void sl_fingerprint_init(struct sl_fingerprint *fp);
/* The fingerprint of the first min(@len, SL_FINGERPRINT_MAX) bytes of @data. */
void sl_fingerprint_of(const void *data, size_t len, struct sl_fingerprint *ret_fp);
/* Whether @a and @b cover the same length with the same hash. */
bool sl_fingerprint_equal(const struct sl_fingerprint *a, const struct sl_fingerprint *b);

/* Reads the first bytes of @fd (pread from offset 0, at most
 * SL_FINGERPRINT_MAX) and tells whether the file still begins with what
 * @fp covers. Returns 1 when it does (always for @fp->len 0), 0 when the
 * bytes differ or the file is now shorter than @fp->len, -errno when reading
 * fails. On 0 and 1, *@ret_now is the fingerprint of what the file holds now
 * (as many bytes as it has, up to SL_FINGERPRINT_MAX): on 1 it extends @fp. */
int sl_fingerprint_check(int fd, const struct sl_fingerprint *fp, struct sl_fingerprint *ret_now);
/* The same for a file's first @n bytes at @head (at most SL_FINGERPRINT_MAX
 * are looked at; @n is short only when the file is): a compressed file's
 * uncompressed head, which no pread gives. Returns 1 or 0 as above. */
int sl_fingerprint_compare(const void *head, size_t n, const struct sl_fingerprint *fp,
                           struct sl_fingerprint *ret_now);

#endif
