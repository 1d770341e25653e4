/* rotation.c - see rotation.h. */
#include "tail/rotation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/fs-util.h"
#include "base/xalloc.h"

const char *const sl_rotation_default_suffixes[] = { ".[0-9]*", "-[0-9]*", NULL };

SL_DEFINE_CLEANUP(DIR *, closedir)

static const char *const *suffixes_or_default(const char *const *suffixes) {
        return suffixes ? suffixes : sl_rotation_default_suffixes;
}

/* Whether @rest (what follows the live name) matches a suffix. */
static bool suffix_matches(const char *rest, const char *const *suffixes) {
        if (!*rest)
                return false;
        for (const char *const *s = suffixes; *s; s++)
                if (fnmatch(*s, rest, 0) == 0)
                        return true;
        return false;
}

static const char *base_name(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

bool sl_rotation_is_sibling(const char *live, const char *path, const char *const *suffixes) {
        const char *lb = base_name(live), *pb = base_name(path);
        size_t ld = (size_t)(lb - live), pd = (size_t)(pb - path), ln = strlen(lb);

        if (ld != pd || memcmp(live, path, ld) != 0 || strncmp(pb, lb, ln) != 0)
                return false;
        return suffix_matches(pb + ln, suffixes_or_default(suffixes));
}

size_t sl_rotation_live_prefixes(const char *path, const char *const *suffixes, size_t *ret_lens,
                                 size_t max) {
        const char *b = base_name(path);
        size_t n = 0, len = strlen(path);

        suffixes = suffixes_or_default(suffixes);
        /* Longest prefix first: cut as little as a suffix needs. A live
         * name is never empty. */
        for (size_t j = len; j-- > (size_t)(b - path) + 1 && n < max;) {
                if (suffix_matches(path + j, suffixes))
                        ret_lens[n++] = j;
        }
        return n;
}

/* The trailing number of the part of @name after @prefix_len bytes (Docker's
 * and logrotate's generation: ".3.gz" -> 3), or 0. */
static unsigned long generation(const char *name, size_t prefix_len) {
        const char *s = name + prefix_len;

        while (*s && (*s < '0' || *s > '9'))
                s++;
        return strtoul(s, NULL, 10);
}

struct listed {
        struct sl_rotated r;
        unsigned long gen;       /* generation number, for ties */
};

static int listed_cmp(const void *x, const void *y) {
        const struct listed *a = x, *b = y;

        if (a->r.mtime.tv_sec != b->r.mtime.tv_sec)
                return a->r.mtime.tv_sec < b->r.mtime.tv_sec ? -1 : 1;
        if (a->r.mtime.tv_nsec != b->r.mtime.tv_nsec)
                return a->r.mtime.tv_nsec < b->r.mtime.tv_nsec ? -1 : 1;
        if (a->gen != b->gen)
                return a->gen > b->gen ? -1 : 1;
        return strcmp(a->r.path, b->r.path);
}

int sl_rotation_list(const char *live, const char *const *suffixes, struct sl_rotated **ret,
                     size_t *ret_n) {
        _cleanup_free_ char *real = NULL, *dir = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ struct listed *items = NULL;
        const char *name;
        size_t n = 0, cap = 0, name_len;
        struct stat st;
        struct dirent *de;

        *ret = NULL;
        *ret_n = 0;
        suffixes = suffixes_or_default(suffixes);
        if (lstat(live, &st) == 0 && S_ISLNK(st.st_mode)) {
                real = realpath(live, NULL);
                if (!real)
                        return 0;   /* dangling: its siblings cannot be told */
                live = real;
        }
        dir = sl_path_dirname(live);
        name = base_name(live);
        name_len = strlen(name);
        d = opendir(dir);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (;;) {
                struct listed *it;

                errno = 0;
                de = readdir(d);
                if (!de)
                        break;
                if (strncmp(de->d_name, name, name_len) != 0 ||
                    !suffix_matches(de->d_name + name_len, suffixes))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;   /* gone since readdir, or not a file */
                sl_xgrow((void **)&items, sizeof(*items), &cap, n + 1);
                it = &items[n++];
                *it = (struct listed){
                        .r = { .path = sl_path_join(dir, de->d_name), .dev = (uint64_t)st.st_dev,
                               .ino = (uint64_t)st.st_ino, .size = (uint64_t)st.st_size,
                               .mtime = st.st_mtim },
                        .gen = generation(de->d_name, name_len),
                };
                it->r.gz = strlen(de->d_name) > 3 &&
                           strcmp(de->d_name + strlen(de->d_name) - 3, ".gz") == 0;
        }
        if (errno) {
                int r = -errno;
                for (size_t i = 0; i < n; i++)
                        free(items[i].r.path);
                return r;
        }
        if (n == 0)
                return 0;
        qsort(items, n, sizeof(*items), listed_cmp);
        *ret = sl_xcalloc(n, sizeof(**ret));
        for (size_t i = 0; i < n; i++)
                (*ret)[i] = items[i].r;
        *ret_n = n;
        return 0;
}

void sl_rotation_list_free(struct sl_rotated *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(list[i].path);
        free(list);
}
