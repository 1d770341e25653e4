/* test-gz-reader.c - gz-reader on gzip files written here with zlib: whole
 * reads, seeks both ways, several members, a file still being written
 * (-EAGAIN, then the rest once it is there), trailing padding, corrupt and
 * non-gzip data; and tail-file reading a .gz: lines with uncompressed
 * offsets, its fingerprint equal to the plain file's, offsets checked and
 * resumed from. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"
#include "tail/fingerprint.h"
#include "tail/gz-reader.h"
#include "tail/tail-file.h"

static char *dir;

static void setup(void) {
        dir = sl_test_tmpdir();
}

static void teardown(void) {
        sl_test_rmtree(dir);
        free(dir);
}

/* @len bytes of @data as one gzip member (new buffer, *@ret_len bytes). */
static unsigned char *gzip_of(const void *data, size_t len, size_t *ret_len) {
        z_stream zs = { 0 };
        size_t cap = compressBound((uLong)len) + 64;
        unsigned char *out = sl_xmalloc(cap);

        ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                         Z_OK);
        zs.next_in = (unsigned char *)data;
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
        *ret_len = cap - zs.avail_out;
        deflateEnd(&zs);
        return out;
}

/* Lines "line 000000 ...\n" up to @n bytes (new buffer). */
static char *log_text(size_t n) {
        char *s = sl_xmalloc(n + 1);
        size_t pos = 0;

        for (unsigned i = 0; pos < n; i++) {
                char line[64];
                int k = snprintf(line, sizeof(line), "line %06u %.*s\n", i, (int)(i % 37),
                                 "abcdefghijklmnopqrstuvwxyz0123456789-");
                size_t m = SL_MIN((size_t)k, n - pos);
                memcpy(s + pos, line, m);
                pos += m;
        }
        s[n] = '\0';
        return s;
}

static int open_ro(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        return fd;
}

/* Reads everything from @z into a new buffer; *@ret_len bytes; the last
 * return of sl_gz_reader_read in *@ret_last. */
static char *read_all(struct sl_gz_reader *z, size_t *ret_len, ssize_t *ret_last) {
        size_t cap = 1 << 20, len = 0;
        char *out = sl_xmalloc(cap);
        ssize_t n;

        for (;;) {
                if (cap - len < 4096) {
                        cap *= 2;
                        out = sl_xrealloc(out, cap);
                }
                n = sl_gz_reader_read(z, out + len, 4093); /* odd sizes on purpose */
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        *ret_len = len;
        *ret_last = n;
        return out;
}

START_TEST(reads_whole_and_seeks_both_ways)
{
        const size_t n = 300000;
        _cleanup_free_ char *text = log_text(n), *path = sl_path_join(dir, "a.log.1.gz"), *got = NULL;
        _cleanup_free_ unsigned char *gz = NULL;
        _cleanup_(sl_gz_reader_freep) struct sl_gz_reader *z = NULL;
        _cleanup_close_ int fd = -1;
        size_t gz_len, got_len;
        ssize_t last;
        char buf[100];

        gz = gzip_of(text, n, &gz_len);
        sl_test_write_file(path, gz, gz_len);
        fd = open_ro(path);
        ck_assert(sl_gz_is_gzip(fd));
        z = sl_gz_reader_new(fd);
        got = read_all(z, &got_len, &last);
        ck_assert_int_eq(last, 0);
        ck_assert_uint_eq(got_len, n);
        ck_assert(memcmp(got, text, n) == 0);
        ck_assert(sl_gz_reader_at_end(z));
        ck_assert_uint_eq(sl_gz_reader_tell(z), n);

        /* Backward: starts over. */
        ck_assert_int_eq(sl_gz_reader_seek(z, 12345), 0);
        ck_assert_uint_eq(sl_gz_reader_tell(z), 12345);
        ck_assert_int_eq(sl_gz_reader_read(z, buf, sizeof(buf)), sizeof(buf));
        ck_assert(memcmp(buf, text + 12345, sizeof(buf)) == 0);
        /* Forward from there. */
        ck_assert_int_eq(sl_gz_reader_seek(z, 250000), 0);
        ck_assert_int_eq(sl_gz_reader_read(z, buf, sizeof(buf)), sizeof(buf));
        ck_assert(memcmp(buf, text + 250000, sizeof(buf)) == 0);
        /* To the very end, and past it. */
        ck_assert_int_eq(sl_gz_reader_seek(z, n), 0);
        ck_assert_int_eq(sl_gz_reader_read(z, buf, sizeof(buf)), 0);
        ck_assert_int_eq(sl_gz_reader_seek(z, n + 1), -ENXIO);
        ck_assert_uint_eq(sl_gz_reader_tell(z), n);
}
END_TEST

/* Docker compresses in the background: a reader may come while the file
 * holds only part of the stream. It reads what is there, says -EAGAIN,
 * and goes on from the same place once the rest is written. */
START_TEST(file_being_written_is_read_as_it_grows)
{
        const size_t n = 200000;
        _cleanup_free_ char *text = log_text(n), *path = sl_path_join(dir, "b.gz"), *got = NULL;
        _cleanup_free_ unsigned char *gz = NULL;
        _cleanup_(sl_gz_reader_freep) struct sl_gz_reader *z = NULL;
        _cleanup_close_ int fd = -1;
        size_t gz_len, got_len = 0, cut;
        ssize_t r;

        gz = gzip_of(text, n, &gz_len);
        cut = gz_len / 2;
        sl_test_write_file(path, gz, cut);
        fd = open_ro(path);
        z = sl_gz_reader_new(fd);
        got = sl_xmalloc(n + 1);
        while ((r = sl_gz_reader_read(z, got + got_len, n - got_len)) > 0)
                got_len += (size_t)r;
        ck_assert_int_eq(r, -EAGAIN);
        ck_assert_uint_gt(got_len, 0);
        ck_assert_uint_lt(got_len, n);
        ck_assert(!sl_gz_reader_at_end(z));
        /* Again: nothing new yet. */
        ck_assert_int_eq(sl_gz_reader_read(z, got + got_len, n - got_len), -EAGAIN);

        sl_test_append_file(path, gz + cut, gz_len - cut);
        while ((r = sl_gz_reader_read(z, got + got_len, n + 1 - got_len)) > 0)
                got_len += (size_t)r;
        ck_assert_int_eq(r, 0);
        ck_assert_uint_eq(got_len, n);
        ck_assert(memcmp(got, text, n) == 0);
}
END_TEST

START_TEST(members_in_a_row_are_one_stream_and_padding_ends_it)
{
        _cleanup_free_ char *path = sl_path_join(dir, "c.gz"), *got = NULL;
        _cleanup_free_ unsigned char *a = NULL, *b = NULL;
        _cleanup_(sl_gz_reader_freep) struct sl_gz_reader *z = NULL;
        _cleanup_close_ int fd = -1;
        size_t a_len, b_len, got_len;
        ssize_t last;
        static const char zeros[16];

        a = gzip_of("first member\n", 13, &a_len);
        b = gzip_of("second member\n", 14, &b_len);
        sl_test_write_file(path, a, a_len);
        sl_test_append_file(path, b, b_len);
        sl_test_append_file(path, zeros, sizeof(zeros));
        fd = open_ro(path);
        z = sl_gz_reader_new(fd);
        got = read_all(z, &got_len, &last);
        ck_assert_int_eq(last, 0);
        ck_assert_uint_eq(got_len, 27);
        ck_assert(memcmp(got, "first member\nsecond member\n", 27) == 0);
}
END_TEST

START_TEST(corrupt_or_foreign_data_is_an_error)
{
        const size_t n = 100000;
        _cleanup_free_ char *text = log_text(n), *path = sl_path_join(dir, "d.gz");
        _cleanup_free_ char *plain = sl_path_join(dir, "e.gz");
        _cleanup_free_ unsigned char *gz = NULL;
        size_t gz_len;
        char buf[4096];
        ssize_t r;

        gz = gzip_of(text, n, &gz_len);
        /* Flip bytes in the middle of the deflate data. */
        for (size_t i = gz_len / 2; i < gz_len / 2 + 64; i++)
                gz[i] ^= 0x5a;
        sl_test_write_file(path, gz, gz_len);
        {
                _cleanup_close_ int fd = open_ro(path);
                _cleanup_(sl_gz_reader_freep) struct sl_gz_reader *z = sl_gz_reader_new(fd);
                do
                        r = sl_gz_reader_read(z, buf, sizeof(buf));
                while (r > 0);
                ck_assert_int_eq(r, -EBADMSG);
                ck_assert_int_eq(sl_gz_reader_read(z, buf, sizeof(buf)), -EBADMSG);
                /* Starting over is allowed, and fails at the same place. */
                ck_assert_int_ne(sl_gz_reader_seek(z, 0), -EBADMSG);
        }
        sl_test_write_file(plain, "not gzip at all\n", 16);
        {
                _cleanup_close_ int fd = open_ro(plain);
                _cleanup_(sl_gz_reader_freep) struct sl_gz_reader *z = sl_gz_reader_new(fd);
                ck_assert(!sl_gz_is_gzip(fd));
                ck_assert_int_eq(sl_gz_reader_read(z, buf, sizeof(buf)), -EBADMSG);
        }
}
END_TEST

/* tail-file on a .gz --------------------------------------------------------- */

struct lines {
        char text[64][64];
        uint64_t end[64];
        size_t n;
        bool count_only;    /* only count lines */
};

static void collect(void *ud, const struct sl_tail_file_info *f, struct sl_str line,
                    uint64_t end) {
        struct lines *l = ud;
        (void)f;
        if (l->count_only) {
                l->n++;
                return;
        }
        ck_assert_uint_lt(l->n, 64);
        ck_assert_uint_lt(line.len, 64);
        memcpy(l->text[l->n], line.ptr, line.len);
        l->text[l->n][line.len] = '\0';
        l->end[l->n++] = end;
}

START_TEST(tail_file_reads_a_gz_by_uncompressed_offsets)
{
        const char *text = "one\ntwo\nthree\nfour\n";
        _cleanup_free_ char *plain = sl_path_join(dir, "x-json.log.1");
        _cleanup_free_ char *path = sl_path_join(dir, "x-json.log.1.gz");
        _cleanup_free_ unsigned char *gz = NULL;
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *p = NULL, *f = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct lines got = { 0 };
        struct sl_buf rbuf;
        const struct sl_tail_reader reader = { .buf = &rbuf, .read_size = 5,
                                               .max_line_size = 32,
                                               .sink = collect, .userdata = &got,
                                               .stats = &stats };
        size_t gz_len;
        ssize_t n;

        sl_buf_init(&rbuf, 64);
        sl_test_write_file(plain, text, strlen(text));
        gz = gzip_of(text, strlen(text), &gz_len);
        sl_test_write_file(path, gz, gz_len);
        ck_assert_int_eq(sl_tail_file_open(plain, 64, &p), 0);
        ck_assert_int_eq(sl_tail_file_open(path, 64, &f), 0);
        ck_assert_ptr_null(p->gz);
        ck_assert_ptr_nonnull(f->gz);

        /* The same content, the same identity. */
        ck_assert_int_eq(sl_tail_file_identify(p, NULL), 1);
        ck_assert_int_eq(sl_tail_file_identify(f, &p->fp), 1);
        ck_assert(sl_fingerprint_equal(&f->fp, &p->fp));

        /* Offsets are uncompressed: 8 follows "two\n", 9 is inside "three". */
        ck_assert(sl_tail_file_offset_valid(f, 8));
        ck_assert(!sl_tail_file_offset_valid(f, 9));
        ck_assert(!sl_tail_file_offset_valid(f, 100));
        sl_tail_file_seek(f, 8);
        ck_assert(sl_tail_file_has_unread(f));
        do
                n = sl_tail_file_read(f, 1 << 20, &reader);
        while (n > 0);
        ck_assert_int_eq(n, 0);
        ck_assert_uint_eq(got.n, 2);
        ck_assert_str_eq(got.text[0], "three");
        ck_assert_uint_eq(got.end[0], 14);
        ck_assert_str_eq(got.text[1], "four");
        ck_assert_uint_eq(got.end[1], 19);
        ck_assert(!sl_tail_file_has_unread(f));
        ck_assert_uint_eq(f->size, 19);
        ck_assert_uint_eq(stats.bytes_read, 11);
        /* A look at it changes nothing: it is not appended to. */
        ck_assert_int_eq(sl_tail_file_refresh(f), 0);
        ck_assert(!sl_tail_file_has_unread(f));

        /* Another file's fingerprint is not this one's. */
        {
                struct sl_fingerprint other;
                sl_fingerprint_of("zzz\n", 4, &other);
                ck_assert_int_eq(sl_tail_file_identify(f, &other), 0);
        }
        sl_buf_release(&rbuf);
}
END_TEST

/* A .gz still being written: read as far as it goes, then on once the
 * file has grown (refresh notices). */
START_TEST(tail_file_reads_a_growing_gz)
{
        const size_t n = 150000;
        _cleanup_free_ char *text = log_text(n), *path = sl_path_join(dir, "y.gz");
        _cleanup_free_ unsigned char *gz = NULL;
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct lines got = { .count_only = true };
        struct sl_buf rbuf;
        const struct sl_tail_reader reader = { .buf = &rbuf, .read_size = 1 << 20,
                                               .max_line_size = 1 << 20,
                                               .sink = collect, .userdata = &got,
                                               .stats = &stats };
        size_t gz_len, cut;
        ssize_t r;

        sl_buf_init(&rbuf, 2u << 20);
        gz = gzip_of(text, n, &gz_len);
        cut = gz_len / 3;
        sl_test_write_file(path, gz, cut);
        ck_assert_int_eq(sl_tail_file_open(path, 3u << 20, &f), 0);
        while ((r = sl_tail_file_read(f, 1 << 20, &reader)) > 0)
                ;
        ck_assert_int_eq(r, 0);
        ck_assert(f->incomplete);
        ck_assert(!sl_tail_file_has_unread(f));
        ck_assert_uint_lt(stats.bytes_read, n);
        sl_test_append_file(path, gz + cut, gz_len - cut);
        ck_assert_int_eq(sl_tail_file_refresh(f), 0);
        ck_assert(sl_tail_file_has_unread(f));
        while ((r = sl_tail_file_read(f, 1 << 20, &reader)) > 0)
                ;
        ck_assert_int_eq(r, 0);
        ck_assert(!f->incomplete);
        /* Every line once: the last one ends at n. */
        {
                size_t lines = 0;
                for (size_t i = 0; i < n; i++)
                        lines += text[i] == '\n';
                ck_assert_uint_eq(got.n, lines);
        }
        ck_assert_uint_eq(stats.bytes_read, n);
        ck_assert_uint_eq(f->read_pos, n);
        sl_buf_release(&rbuf);
}
END_TEST

static Suite *gz_suite(void) {
        Suite *s = suite_create("gz-reader");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, reads_whole_and_seeks_both_ways);
        tcase_add_test(tc, file_being_written_is_read_as_it_grows);
        tcase_add_test(tc, members_in_a_row_are_one_stream_and_padding_ends_it);
        tcase_add_test(tc, corrupt_or_foreign_data_is_an_error);
        tcase_add_test(tc, tail_file_reads_a_gz_by_uncompressed_offsets);
        tcase_add_test(tc, tail_file_reads_a_growing_gz);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(gz_suite)
