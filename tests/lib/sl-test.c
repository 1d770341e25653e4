/* sl-test.c - see sl-test.h. */
#include "sl-test.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sl_test_tmpdir(void) {
        const char *base = getenv("TMPDIR");
        char *path;

        if (!base || !*base)
                base = "/tmp";
        ck_assert(asprintf(&path, "%s/sl-test-XXXXXX", base) > 0);
        ck_assert_ptr_nonnull(mkdtemp(path));
        return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

void sl_test_rmtree(const char *dir) {
        if (dir)
                nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_flags(const char *path, const void *data, size_t len, int flags) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
        const char *p = data;

        ck_assert_msg(fd >= 0, "open %s", path);
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                ck_assert_msg(n > 0, "write %s", path);
                p += n;
                len -= (size_t)n;
        }
        close(fd);
}

void sl_test_write_file(const char *path, const void *data, size_t len) {
        write_flags(path, data, len, O_TRUNC);
}

void sl_test_append_file(const char *path, const void *data, size_t len) {
        write_flags(path, data, len, O_APPEND);
}

const char *sl_test_source_root(void) {
        const char *root = getenv("SL_SOURCE_ROOT");
        return root && *root ? root : ".";
}
