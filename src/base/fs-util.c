/* fs-util.c - see fs-util.h. */
#include "base/fs-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"

static int write_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int sl_write_atomic(const char *path, const void *data, size_t len) {
        _cleanup_free_ char *tmp = sl_xasprintf("%s.tmp", path);
        _cleanup_free_ char *dir = sl_path_dirname(path);
        _cleanup_close_ int fd = -1;
        _cleanup_close_ int dfd = -1;
        int r;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r < 0)
                goto out_unlink;
        if (fsync(fd) < 0) {
                r = -errno;
                goto out_unlink;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto out_unlink;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto out_unlink;
        }
        /* The rename is durable only once the directory is. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (fsync(dfd) < 0)
                return -errno;
        return 0;

out_unlink:
        unlink(tmp);
        return r;
}

int sl_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        size_t len = 0, size = 4096;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        data = sl_xmalloc(size);
        for (;;) {
                ssize_t n;
                if (len + 1 >= size) {
                        if (size > max)
                                return -EFBIG;
                        size *= 2;
                        data = sl_xrealloc(data, size);
                }
                n = read(fd, data + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        data[len] = '\0';
        *ret_data = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

char *sl_path_dirname(const char *path) {
        const char *slash = strrchr(path, '/');
        if (!slash)
                return sl_xstrdup(".");
        if (slash == path)
                return sl_xstrdup("/");
        return sl_xstrndup(path, (size_t)(slash - path));
}

char *sl_path_join(const char *dir, const char *name) {
        size_t n = strlen(dir);
        if (n && dir[n - 1] == '/')
                return sl_xasprintf("%s%s", dir, name);
        return sl_xasprintf("%s/%s", dir, name);
}
