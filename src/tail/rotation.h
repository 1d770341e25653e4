/* rotation.h - the rotated generations of a log file: which files beside
 * it are its older selves, and in which order they were written.
 *
 * A live log L is rotated by renaming it (Docker's json-file driver:
 * L -> L.1, L.1 -> L.2 ...; logrotate: the same, or L -> L-20261205 with
 * dateext) and often compressing the renamed file (L.1.gz, L-20261205.gz).
 * Such a file is a sibling of L: in L's directory, named L's basename
 * followed by one of the rotation suffixes, glob(7) patterns matched
 * against the rest of the name. The defaults are ".[0-9]*" (L.1, L.2.gz,
 * kubelet's 0.log.20261205-101010) and "-[0-9]*" (logrotate's dateext).
 *
 * Order: siblings are listed oldest first by modification time (a rotated
 * file is not written after its rotation; a compressed copy is made right
 * after it), then, for the same time, by the number after the live name
 * (Docker's and logrotate's: the higher, the older).
 *
 * When L is a symbolic link (kubelet's links under /var/log/containers), its
 * siblings are those of the file it leads to, in that file's directory.
 *
 * Pure but for the directory reads and stat(2) calls; owns nothing past a
 * call but what it returns. Threading: any.
 */
#ifndef SL_TAIL_ROTATION_H
#define SL_TAIL_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ".[0-9]*", "-[0-9]*", NULL. */
extern const char *const sl_rotation_default_suffixes[];

struct sl_rotated {
        char *path;              /* owned; the sibling's path */
        uint64_t dev;            /* its device */
        uint64_t ino;            /* its inode */
        uint64_t size;           /* its size on disk (compressed for a .gz) */
        struct timespec mtime;   /* last modified */
        bool gz;                 /* its name ends in ".gz" */
};

/* Lists the regular files that are rotated generations of @live (see the
 * top; @suffixes NULL-terminated, NULL: the defaults), oldest first, into a
 * new array (*@ret, *@ret_n entries; NULL and 0 when there are none). @live
 * need not exist (its siblings may); when it is a symbolic link, its
 * target's siblings are listed. Returns 0, or -errno when the directory
 * cannot be read (ENOENT: none, returns 0). */
int sl_rotation_list(const char *live, const char *const *suffixes, struct sl_rotated **ret,
                     size_t *ret_n);
void sl_rotation_list_free(struct sl_rotated *list, size_t n);

/* Whether the name of @path is @live's basename followed by a rotation
 * suffix, in the same directory: @path is a rotated generation of @live. */
bool sl_rotation_is_sibling(const char *live, const char *path, const char *const *suffixes);
/* The live names @path could be a rotated generation of, longest first:
 * each is a prefix of @path that a suffix completes. Fills @ret_lens with
 * up to @max prefix lengths and returns how many there are. */
size_t sl_rotation_live_prefixes(const char *path, const char *const *suffixes, size_t *ret_lens,
                                 size_t max);

#endif
