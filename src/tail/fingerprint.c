/* fingerprint.c - see fingerprint.h. */
#include "tail/fingerprint.h"

#include <errno.h>
#include <unistd.h>

#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t len) {
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= FNV_PRIME;
        }
        return h;
}

void sl_fingerprint_init(struct sl_fingerprint *fp) {
        fp->hash = SL_FINGERPRINT_EMPTY_HASH;
        fp->len = 0;
}

void sl_fingerprint_of(const void *data, size_t len, struct sl_fingerprint *ret_fp) {
        if (len > SL_FINGERPRINT_MAX)
                len = SL_FINGERPRINT_MAX;
        ret_fp->hash = fnv1a(SL_FINGERPRINT_EMPTY_HASH, data, len);
        ret_fp->len = (uint32_t)len;
}

bool sl_fingerprint_equal(const struct sl_fingerprint *a, const struct sl_fingerprint *b) {
        return a->len == b->len && a->hash == b->hash;
}

/* Reads up to SL_FINGERPRINT_MAX bytes from offset 0 into @buf; returns the
 * count (short only at the end of the file) or -errno. */
static ssize_t read_head(int fd, unsigned char *buf) {
        size_t got = 0;

        while (got < SL_FINGERPRINT_MAX) {
                ssize_t n = pread(fd, buf + got, SL_FINGERPRINT_MAX - got, (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

int sl_fingerprint_compare(const void *head, size_t n, const struct sl_fingerprint *fp,
                           struct sl_fingerprint *ret_now) {
        const unsigned char *buf = head;
        uint64_t h;
        bool same;

        if (n > SL_FINGERPRINT_MAX)
                n = SL_FINGERPRINT_MAX;
        if (fp->len == 0) {
                same = true;
                h = fnv1a(SL_FINGERPRINT_EMPTY_HASH, buf, n);
        } else if (n < fp->len) {
                same = false;
                h = fnv1a(SL_FINGERPRINT_EMPTY_HASH, buf, n);
        } else {
                /* One pass: the covered part is compared, then extended. */
                h = fnv1a(SL_FINGERPRINT_EMPTY_HASH, buf, fp->len);
                same = h == fp->hash;
                h = fnv1a(h, buf + fp->len, n - fp->len);
        }
        ret_now->hash = h;
        ret_now->len = (uint32_t)n;
        return same ? 1 : 0;
}

int sl_fingerprint_check(int fd, const struct sl_fingerprint *fp, struct sl_fingerprint *ret_now) {
        unsigned char buf[SL_FINGERPRINT_MAX];
        ssize_t n = read_head(fd, buf);

        if (n < 0)
                return (int)n;
        return sl_fingerprint_compare(buf, (size_t)n, fp, ret_now);
}
