/* tail-file.c - see tail-file.h. */
#include "tail/tail-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "tail/line-split.h"

int sl_tail_file_open(const char *path, size_t buf_cap, struct sl_tail_file **ret) {
        _cleanup_close_ int fd = -1;
        struct sl_tail_file *f;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;

        f = sl_xnew(struct sl_tail_file);
        f->open_path = sl_xstrdup(path);
        f->cur_path = sl_xstrdup(path);
        f->fd = TAKE_FD(fd);
        f->info.path = f->open_path;
        f->info.path_len = strlen(f->open_path);
        f->info.dev = (uint64_t)st.st_dev;
        f->info.ino = (uint64_t)st.st_ino;
        f->size = (uint64_t)st.st_size;
        sl_fingerprint_init(&f->fp);
        sl_buf_init(&f->buf, buf_cap);
        if (sl_tail_file_name_is_gz(path) && sl_gz_is_gzip(f->fd)) {
                f->gz = sl_gz_reader_new(f->fd);
                f->gz_file_size = f->size;
                /* Not known before the stream ends: something to read. */
                f->size = 1;
        }
        *ret = f;
        return 0;
}

bool sl_tail_file_name_is_gz(const char *path) {
        size_t n = strlen(path);

        return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

void sl_tail_file_free(struct sl_tail_file *f) {
        if (!f)
                return;
        sl_gz_reader_free(f->gz);
        if (f->fd >= 0)
                close(f->fd);
        sl_buf_release(&f->buf);
        free(f->open_path);
        free(f->cur_path);
        free(f);
}

/* The first bytes of a gzip file, uncompressed: up to SL_FINGERPRINT_MAX of
 * them into @head. Returns their count, -EAGAIN when the file ends before
 * they (or its stream's end) are written, or -errno. */
static ssize_t gz_head(struct sl_tail_file *f, unsigned char *head) {
        size_t got = 0;
        int r = sl_gz_reader_seek(f->gz, 0);

        if (r < 0)
                return r;
        while (got < SL_FINGERPRINT_MAX) {
                ssize_t n = sl_gz_reader_read(f->gz, head + got, SL_FINGERPRINT_MAX - got);
                if (n == 0)
                        break;
                if (n < 0)
                        return n;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

ssize_t sl_tail_file_head(struct sl_tail_file *f, unsigned char *head) {
        size_t got = 0;

        if (f->gz)
                return gz_head(f, head);
        while (got < SL_FINGERPRINT_MAX) {
                ssize_t n = pread(f->fd, head + got, SL_FINGERPRINT_MAX - got, (off_t)got);
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

int sl_tail_file_identify(struct sl_tail_file *f, const struct sl_fingerprint *saved) {
        struct sl_fingerprint none, now;
        int r;

        sl_fingerprint_init(&none);
        if (f->gz) {
                unsigned char head[SL_FINGERPRINT_MAX];
                ssize_t n = gz_head(f, head);
                if (n < 0)
                        return (int)n;
                r = sl_fingerprint_compare(head, (size_t)n, saved ? saved : &none, &now);
                f->fp = now;
                return r;
        }
        r = sl_fingerprint_check(f->fd, saved ? saved : &none, &now);
        if (r < 0)
                return r;
        f->fp = now;
        return r;
}

bool sl_tail_file_offset_valid(struct sl_tail_file *f, uint64_t offset) {
        char c;
        ssize_t n;

        if (offset == 0)
                return true;
        if (f->gz) {
                /* Inflating up to there is the only way to look. */
                if (sl_gz_reader_seek(f->gz, offset - 1) < 0)
                        return false;
                return sl_gz_reader_read(f->gz, &c, 1) == 1 && c == '\n';
        }
        if (offset > f->size)
                return false;
        do
                n = pread(f->fd, &c, 1, (off_t)(offset - 1));
        while (n < 0 && errno == EINTR);
        return n == 1 && c == '\n';
}

void sl_tail_file_set_open_path(struct sl_tail_file *f, const char *path) {
        free(f->open_path);
        f->open_path = sl_xstrdup(path);
        f->info.path = f->open_path;
        f->info.path_len = strlen(f->open_path);
}

void sl_tail_file_seek(struct sl_tail_file *f, uint64_t offset) {
        f->read_pos = offset;
        f->line_start = offset;
        sl_buf_reset(&f->buf);
        if (f->gz) {
                /* Whether bytes follow is known only by inflating on. */
                f->size = offset + 1;
                f->incomplete = false;
        }
}

int sl_tail_file_refresh(struct sl_tail_file *f) {
        struct stat st;
        int flags = 0;

        if (fstat(f->fd, &st) < 0)
                return -errno;
        if (f->gz) {
                /* Not appended to, but one being written grows: read on
                 * where its stream stopped. */
                if (f->incomplete && (uint64_t)st.st_size > f->gz_file_size) {
                        f->incomplete = false;
                        f->size = f->read_pos + 1;
                }
                f->gz_file_size = (uint64_t)st.st_size;
                return st.st_nlink == 0 ? SL_TAIL_FILE_UNLINKED : 0;
        }
        if ((uint64_t)st.st_size < f->read_pos) {
                sl_tail_file_seek(f, 0);
                sl_fingerprint_init(&f->fp);
                flags |= SL_TAIL_FILE_TRUNCATED;
        }
        f->size = (uint64_t)st.st_size;
        if (st.st_nlink == 0)
                flags |= SL_TAIL_FILE_UNLINKED;
        return flags;
}

static void emit(struct sl_tail_file *f, const struct sl_tail_reader *r, struct sl_str line,
                 uint64_t end_offset) {
        r->stats->lines_read++;
        f->lines++;
        r->sink(r->userdata, &f->info, line, end_offset);
}

/* Storage a file keeps for its partial line between reads: more is given
 * back once the partial line fits in a quarter of it. */
#define KEEP_SMALL 4096

/* Puts the file's partial line at the start of the reader's buffer, with
 * room for @want more bytes after it. Returns 0 or -ENOBUFS. */
static int stage(struct sl_tail_file *f, const struct sl_tail_reader *r, size_t want) {
        struct sl_buf *b = r->buf;

        sl_buf_reset(b);
        if (sl_buf_append(b, f->buf.data, f->buf.len) < 0)
                return -ENOBUFS;
        return sl_buf_reserve(b, want);
}

/* Keeps the @n bytes at @p, the partial line left by a read, in the file's
 * own buffer, sized to them. */
static void keep_partial(struct sl_tail_file *f, const char *p, size_t n) {
        if (f->buf.size > KEEP_SMALL && n < f->buf.size / 4)
                sl_buf_release(&f->buf);
        sl_buf_reset(&f->buf);
        /* Never more than max_line_size bytes: within the cap. */
        (void)sl_buf_append(&f->buf, p, n);
}

/* Hands out the complete lines of the reader's buffer (the file's bytes
 * [read_pos - len, read_pos)), and pieces of a line longer than
 * max_line_size; keeps the partial line (at most max_line_size bytes). */
static void split(struct sl_tail_file *f, const struct sl_tail_reader *r) {
        const char *data = r->buf->data;
        size_t len = r->buf->len, max = r->max_line_size, pos = 0;
        uint64_t base = f->read_pos - len;

        while (pos < len) {
                size_t avail = len - pos, n;
                struct sl_str line;

                /* Looking no further than a longest line plus its '\n'
                 * finds the lines to cut as early as the ones to keep, and
                 * a cut is made only where a byte other than '\n' follows,
                 * so the rest of a cut line is never empty. */
                n = sl_line_next(data + pos, SL_MIN(avail, max + 1), &line);
                if (n > 0) {
                        emit(f, r, line, base + pos + n);
                        pos += n;
                        f->line_start = base + pos;
                        continue;
                }
                if (avail <= max)
                        break;
                r->stats->lines_split++;
                emit(f, r, sl_str_from(data + pos, max), f->line_start);
                pos += max;
        }
        keep_partial(f, data + pos, len - pos);
}

/* sl_tail_file_read() for a gzip file: inflates at read_pos. */
static ssize_t gz_read(struct sl_tail_file *f, size_t max, const struct sl_tail_reader *r) {
        size_t want = SL_MIN(r->read_size, max);
        ssize_t n;
        int rr;

        if (want == 0 || !sl_tail_file_has_unread(f))
                return 0;
        rr = stage(f, r, want);
        if (rr < 0)
                return rr;
        rr = sl_gz_reader_tell(f->gz) == f->read_pos ? 0 : sl_gz_reader_seek(f->gz, f->read_pos);
        n = rr < 0 ? rr : sl_gz_reader_read(f->gz, r->buf->data + r->buf->len, want);
        if (n == 0 || n == -ENXIO) {
                f->size = f->read_pos;
                return 0;
        }
        if (n == -EAGAIN) {
                /* Written as far as this: read again when it grows. */
                f->incomplete = true;
                f->size = f->read_pos;
                return 0;
        }
        if (n < 0)
                return n == -EBADMSG ? -EIO : n;
        r->buf->len += (size_t)n;
        r->buf->data[r->buf->len] = '\0';
        f->read_pos += (uint64_t)n;
        f->size = f->read_pos + 1;
        r->stats->bytes_read += (uint64_t)n;
        split(f, r);
        return n;
}

ssize_t sl_tail_file_read(struct sl_tail_file *f, size_t max, const struct sl_tail_reader *r) {
        uint64_t unread = sl_tail_file_has_unread(f) ? f->size - f->read_pos : 0;
        size_t want = SL_MIN(r->read_size, max);
        struct sl_fingerprint now;
        ssize_t n;
        int rr;

        if (f->gz)
                return gz_read(f, max, r);
        if ((uint64_t)want > unread)
                want = (size_t)unread;
        if (want == 0)
                return 0;
        rr = stage(f, r, want);
        if (rr < 0)
                return rr;
        do
                n = pread(f->fd, r->buf->data + r->buf->len, want, (off_t)f->read_pos);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0) {
                /* Shorter than fstat said: truncated, which the next
                 * refresh will tell. Nothing is known to be unread now. */
                f->size = f->read_pos;
                return 0;
        }
        /* Only once the block is known to come from the content the
         * fingerprint is about may its lines go out. */
        rr = sl_fingerprint_check(f->fd, &f->fp, &now);
        if (rr < 0)
                return rr;
        if (rr == 0) {
                sl_tail_file_seek(f, 0);
                f->fp = now;
                return -ESTALE;
        }
        f->fp = now;
        r->buf->len += (size_t)n;
        r->buf->data[r->buf->len] = '\0';
        f->read_pos += (uint64_t)n;
        r->stats->bytes_read += (uint64_t)n;
        split(f, r);
        return n;
}

void sl_tail_file_flush(struct sl_tail_file *f, const struct sl_tail_reader *r) {
        if (f->buf.len == 0)
                return;
        emit(f, r, sl_buf_str(&f->buf), f->read_pos);
        sl_buf_reset(&f->buf);
        f->line_start = f->read_pos;
}
