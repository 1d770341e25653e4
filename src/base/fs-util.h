/* fs-util.h - file helpers that must be right once.
 */
#ifndef SL_BASE_FS_UTIL_H
#define SL_BASE_FS_UTIL_H

#include <stddef.h>

/* Replaces @path with @len bytes of @data so that a reader (or a crash at any
 * moment) sees either the old content or the new one, never a mix or an
 * empty file: writes "<path>.tmp", fsyncs it, renames it over @path and
 * fsyncs the directory. Returns 0 or -errno (the old file is then intact). */
int sl_write_atomic(const char *path, const void *data, size_t len);

/* Reads the whole file at @path into a new NUL-terminated buffer (caller
 * frees) of at most @max bytes. Returns 0, -ENOENT, -EFBIG or -errno. */
int sl_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* The directory part of @path ("." when it has none), as a new string. */
char *sl_path_dirname(const char *path);
/* @dir and @name joined with '/', as a new string. */
char *sl_path_join(const char *dir, const char *name);

#endif
