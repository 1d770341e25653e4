/* gz-reader.c - see gz-reader.h. */
#include "tail/gz-reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/xalloc.h"

#define IN_SIZE (64u << 10)   /* compressed bytes per pread */
#define SKIP_SIZE (16u << 10) /* scratch for seeking forward */

struct sl_gz_reader {
        int fd;                    /* borrowed */
        z_stream zs;               /* inflate state; next_in points into in */
        unsigned char *in;         /* owned; IN_SIZE bytes of compressed input */
        uint64_t in_off;           /* file offset of the byte after those in @in */
        uint64_t out_off;          /* uncompressed offset of the next byte read */
        bool member_end;           /* a member ended: the next bytes, if any, start
                                    * another one */
        bool at_end;               /* the stream ended and nothing follows */
        bool broken;               /* inflate failed: every read says -EBADMSG */
};

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off) {
        ssize_t n;

        do
                n = pread(fd, buf, len, (off_t)off);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

bool sl_gz_is_gzip(int fd) {
        unsigned char magic[2];

        return pread_full(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* Back to uncompressed offset 0. */
static void restart(struct sl_gz_reader *z) {
        z->zs.next_in = z->in;
        z->zs.avail_in = 0;
        z->in_off = 0;
        z->out_off = 0;
        z->member_end = false;
        z->at_end = false;
        z->broken = false;
        inflateReset2(&z->zs, 16 + MAX_WBITS);
}

struct sl_gz_reader *sl_gz_reader_new(int fd) {
        struct sl_gz_reader *z = sl_xnew(struct sl_gz_reader);

        z->fd = fd;
        z->in = sl_xmalloc(IN_SIZE);
        /* 16 + MAX_WBITS: a gzip wrapper, the largest window. It fails only
         * for want of memory, which the sl_x* allocators abort on too. */
        if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK)
                abort();
        restart(z);
        return z;
}

void sl_gz_reader_free(struct sl_gz_reader *z) {
        if (!z)
                return;
        inflateEnd(&z->zs);
        free(z->in);
        free(z);
}

/* Refills the input buffer from the file. Returns the bytes added, 0 at the
 * end of the file, or -errno. */
static ssize_t refill(struct sl_gz_reader *z) {
        ssize_t n;

        if (z->zs.avail_in > 0 && z->zs.next_in != z->in)
                memmove(z->in, z->zs.next_in, z->zs.avail_in);
        z->zs.next_in = z->in;
        n = pread_full(z->fd, z->in + z->zs.avail_in, IN_SIZE - z->zs.avail_in, z->in_off);
        if (n > 0) {
                z->zs.avail_in += (uInt)n;
                z->in_off += (uint64_t)n;
        }
        return n;
}

/* A member ended: decides whether another one follows. Returns 1 (it does:
 * inflating goes on), 0 (the stream is over), -EAGAIN (the file ends here
 * for now: it may be being written) or -errno. */
static int next_member(struct sl_gz_reader *z) {
        ssize_t n;

        while (z->zs.avail_in < 2) {
                n = refill(z);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
        }
        if (z->zs.avail_in == 0) {
                /* A complete file ends after a member; one being written
                 * may go on, but a member's end is a clean place to stop. */
                return 0;
        }
        if (z->zs.avail_in < 2 || z->zs.next_in[0] != 0x1f || z->zs.next_in[1] != 0x8b) {
                /* Trailing bytes that are not a member (padding): the end,
                 * as gzip(1) takes it. */
                z->zs.avail_in = 0;
                return 0;
        }
        inflateReset2(&z->zs, 16 + MAX_WBITS);
        z->member_end = false;
        return 1;
}

ssize_t sl_gz_reader_read(struct sl_gz_reader *z, void *buf, size_t len) {
        int r;

        if (z->broken)
                return -EBADMSG;
        if (len == 0 || z->at_end)
                return 0;
        if (len > UINT32_MAX)
                len = UINT32_MAX;
        z->zs.next_out = buf;
        z->zs.avail_out = (uInt)len;
        while (z->zs.avail_out == len) {
                if (z->member_end) {
                        r = next_member(z);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                z->at_end = true;
                                return 0;
                        }
                }
                if (z->zs.avail_in == 0) {
                        ssize_t n = refill(z);
                        if (n < 0)
                                return n;
                        if (n == 0)
                                return -EAGAIN;
                }
                r = inflate(&z->zs, Z_NO_FLUSH);
                if (r == Z_STREAM_END) {
                        z->member_end = true;
                } else if (r == Z_BUF_ERROR) {
                        /* No progress possible without more input. */
                        if (z->zs.avail_in == 0)
                                continue;
                        z->broken = true;
                        return -EBADMSG;
                } else if (r != Z_OK) {
                        z->broken = true;
                        return -EBADMSG;
                }
        }
        len -= z->zs.avail_out;
        z->out_off += len;
        return (ssize_t)len;
}

int sl_gz_reader_seek(struct sl_gz_reader *z, uint64_t offset) {
        unsigned char scratch[SKIP_SIZE];

        if (offset < z->out_off)
                restart(z);
        while (z->out_off < offset) {
                uint64_t want = offset - z->out_off;
                ssize_t n = sl_gz_reader_read(z, scratch, want < SKIP_SIZE ? (size_t)want : SKIP_SIZE);
                if (n == 0)
                        return -ENXIO;
                if (n < 0)
                        return (int)n;
        }
        return 0;
}

uint64_t sl_gz_reader_tell(const struct sl_gz_reader *z) {
        return z->out_off;
}

bool sl_gz_reader_at_end(const struct sl_gz_reader *z) {
        return z->at_end;
}
