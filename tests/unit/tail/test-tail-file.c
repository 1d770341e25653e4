/* test-tail-file.c - one followed file read through a buffer the reader
 * lends: lines across reads, long lines in pieces, and what a file keeps
 * between reads (its partial line only, in storage sized to it). The gzip
 * side of tail-file is in test-gz-reader.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs-util.h"
#include "tail/tail-file.h"
#include "sl-test.h"

static char *dir;

static void setup(void) {
        dir = sl_test_tmpdir();
}

static void teardown(void) {
        sl_test_rmtree(dir);
        free(dir);
}

struct seen {
        size_t n;               /* lines handed out */
        size_t bytes;           /* their bytes */
        uint64_t last_end;      /* end offset of the last one */
        size_t last_len;        /* length of the last one */
        char first;             /* first byte of the last one */
        const struct sl_buf *in; /* the reader's buffer: every line must point into it */
};

static void sink(void *ud, const struct sl_tail_file_info *f, struct sl_str line, uint64_t end) {
        struct seen *s = ud;
        (void)f;
        ck_assert_ptr_nonnull(line.ptr);
        ck_assert(line.ptr >= s->in->data && line.ptr + line.len <= s->in->data + s->in->len);
        s->n++;
        s->bytes += line.len;
        s->last_end = end;
        s->last_len = line.len;
        s->first = line.len ? line.ptr[0] : 0;
}

/* Reads @f until nothing is left; returns the bytes read. */
static size_t read_all(struct sl_tail_file *f, const struct sl_tail_reader *r) {
        size_t total = 0;
        ssize_t n;

        ck_assert_int_ge(sl_tail_file_refresh(f), 0);
        while ((n = sl_tail_file_read(f, SIZE_MAX, r)) > 0)
                total += (size_t)n;
        ck_assert_int_eq(n, 0);
        return total;
}

/* A line longer than a read is put together across reads; between reads
 * the file holds only its partial line, and once that is short again the
 * storage the long one needed is given back. */
START_TEST(partial_line_is_all_a_file_keeps)
{
        _cleanup_free_ char *path = sl_path_join(dir, "a-json.log");
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct sl_buf rbuf;
        struct seen got = { .in = &rbuf };
        const struct sl_tail_reader r = { .buf = &rbuf, .read_size = 4096,
                                          .max_line_size = 256 * 1024, .sink = sink,
                                          .userdata = &got, .stats = &stats };
        const size_t big = 100 * 1024;
        char *long_line = malloc(big);

        memset(long_line, 'L', big);
        sl_buf_init(&rbuf, r.max_line_size + r.read_size);
        sl_test_write_file(path, "one\ntwo\n", 8);
        ck_assert_int_eq(sl_tail_file_open(path, r.max_line_size, &f), 0);

        ck_assert_uint_eq(read_all(f, &r), 8);
        ck_assert_uint_eq(got.n, 2);
        ck_assert_uint_eq(got.last_end, 8);
        ck_assert_uint_eq(f->buf.len, 0);

        /* 100 KiB without '\n' yet: 25 reads, nothing handed out, all kept. */
        sl_test_append_file(path, long_line, big);
        ck_assert_uint_eq(read_all(f, &r), big);
        ck_assert_uint_eq(got.n, 2);
        ck_assert_uint_eq(f->buf.len, big);
        ck_assert_uint_eq(f->line_start, 8);

        /* Its end and a short partial line: the long line comes out whole,
         * and the file keeps "sh" in a small buffer. */
        sl_test_append_file(path, "\nsh", 3);
        ck_assert_uint_eq(read_all(f, &r), 3);
        ck_assert_uint_eq(got.n, 3);
        ck_assert_uint_eq(got.last_len, big);
        ck_assert_int_eq(got.first, 'L');
        ck_assert_uint_eq(got.last_end, 8 + big + 1);
        ck_assert_uint_eq(f->buf.len, 2);
        ck_assert_uint_le(f->buf.size, 4096);

        /* Read to the end of its line: nothing kept at all. */
        sl_test_append_file(path, "ort\n", 4);
        ck_assert_uint_eq(read_all(f, &r), 4);
        ck_assert_uint_eq(got.n, 4);
        ck_assert_uint_eq(got.last_len, 5);
        ck_assert_uint_eq(got.last_end, 8 + big + 1 + 6);
        ck_assert_uint_eq(f->buf.len, 0);
        ck_assert_uint_le(f->buf.size, 4096);
        ck_assert_uint_eq(stats.lines_read, 4);
        sl_buf_release(&rbuf);
        free(long_line);
}
END_TEST

/* Two files read in turn through one buffer: each keeps its own partial
 * line, and no line of one carries bytes of the other. */
START_TEST(files_share_the_reader_buffer)
{
        _cleanup_free_ char *pa = sl_path_join(dir, "a.log"), *pb = sl_path_join(dir, "b.log");
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *a = NULL, *b = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct sl_buf rbuf;
        struct seen got = { .in = &rbuf };
        const struct sl_tail_reader r = { .buf = &rbuf, .read_size = 3, .max_line_size = 16,
                                          .sink = sink, .userdata = &got, .stats = &stats };

        sl_buf_init(&rbuf, r.max_line_size + r.read_size);
        sl_test_write_file(pa, "aaaa\naa", 7);
        sl_test_write_file(pb, "bbbbbb\nb", 8);
        ck_assert_int_eq(sl_tail_file_open(pa, r.max_line_size, &a), 0);
        ck_assert_int_eq(sl_tail_file_open(pb, r.max_line_size, &b), 0);
        /* Interleaved reads of 3 bytes. */
        for (int i = 0; i < 4; i++) {
                ck_assert_int_ge(sl_tail_file_read(a, SIZE_MAX, &r), 0);
                if (got.n)
                        ck_assert_int_eq(got.first, 'a');
                got.n = 0;
                ck_assert_int_ge(sl_tail_file_read(b, SIZE_MAX, &r), 0);
                if (got.n) {
                        ck_assert_int_eq(got.first, 'b');
                        ck_assert_uint_eq(got.last_len, 6);
                }
                got.n = 0;
        }
        ck_assert_uint_eq(a->read_pos, 7);
        ck_assert_uint_eq(b->read_pos, 8);
        ck_assert_uint_eq(a->buf.len, 2);
        ck_assert_mem_eq(a->buf.data, "aa", 2);
        ck_assert_uint_eq(b->buf.len, 1);
        ck_assert_mem_eq(b->buf.data, "b", 1);
        ck_assert_uint_eq(stats.lines_read, 2);
        ck_assert_uint_eq(stats.bytes_read, 15);

        /* The last line without '\n' goes out at a flush, from the file's
         * own buffer. */
        got.in = &a->buf;
        sl_tail_file_flush(a, &r);
        ck_assert_uint_eq(got.n, 1);
        ck_assert_uint_eq(got.last_len, 2);
        ck_assert_uint_eq(got.last_end, 7);
        ck_assert_uint_eq(a->buf.len, 0);
        sl_buf_release(&rbuf);
}
END_TEST

/* A line longer than max_line_size goes out in pieces as it arrives; the
 * file never keeps more than max_line_size bytes. */
START_TEST(long_line_in_pieces)
{
        _cleanup_free_ char *path = sl_path_join(dir, "c.log");
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct sl_buf rbuf;
        struct seen got = { .in = &rbuf };
        const struct sl_tail_reader r = { .buf = &rbuf, .read_size = 7, .max_line_size = 10,
                                          .sink = sink, .userdata = &got, .stats = &stats };
        const char *text = "0123456789abcdefghijKLM\nz\n";

        sl_buf_init(&rbuf, r.max_line_size + r.read_size);
        sl_test_write_file(path, text, strlen(text));
        ck_assert_int_eq(sl_tail_file_open(path, r.max_line_size, &f), 0);
        ck_assert_int_eq(sl_tail_file_refresh(f), 0);
        while (sl_tail_file_read(f, SIZE_MAX, &r) > 0)
                ck_assert_uint_le(f->buf.len, r.max_line_size);
        ck_assert_uint_eq(stats.lines_split, 2);
        ck_assert_uint_eq(got.n, 4);
        ck_assert_uint_eq(got.bytes, 23 + 1);
        ck_assert_uint_eq(got.last_end, strlen(text));
        sl_buf_release(&rbuf);
}
END_TEST

/* A reader's buffer too small for the partial line and a read: refused,
 * nothing lost (the file still has its partial line and its offset). */
START_TEST(small_reader_buffer_is_refused)
{
        _cleanup_free_ char *path = sl_path_join(dir, "d.log");
        _cleanup_(sl_tail_file_freep) struct sl_tail_file *f = NULL;
        struct sl_tailer_stats stats = { 0 };
        struct sl_buf rbuf;
        struct seen got = { .in = &rbuf };
        struct sl_tail_reader r = { .buf = &rbuf, .read_size = 8, .max_line_size = 32,
                                    .sink = sink, .userdata = &got, .stats = &stats };

        sl_buf_init(&rbuf, 12);
        sl_test_write_file(path, "abcdefghijklmnopqrst", 20);
        ck_assert_int_eq(sl_tail_file_open(path, r.max_line_size, &f), 0);
        ck_assert_int_eq(sl_tail_file_refresh(f), 0);
        ck_assert_int_eq(sl_tail_file_read(f, SIZE_MAX, &r), 8);
        ck_assert_uint_eq(f->buf.len, 8);
        ck_assert_int_eq(sl_tail_file_read(f, SIZE_MAX, &r), -ENOBUFS);
        ck_assert_uint_eq(f->buf.len, 8);
        ck_assert_uint_eq(f->read_pos, 8);
        sl_buf_release(&rbuf);
        sl_buf_init(&rbuf, 40);
        ck_assert_int_eq(sl_tail_file_read(f, SIZE_MAX, &r), 8);
        ck_assert_int_eq(sl_tail_file_read(f, SIZE_MAX, &r), 4);
        ck_assert_uint_eq(f->buf.len, 20);
        ck_assert_mem_eq(f->buf.data, "abcdefghijklmnopqrst", 20);
        ck_assert_uint_eq(got.n, 0);
        sl_buf_release(&rbuf);
}
END_TEST

static Suite *tail_file_suite(void) {
        Suite *s = suite_create("tail-file");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, partial_line_is_all_a_file_keeps);
        tcase_add_test(tc, files_share_the_reader_buffer);
        tcase_add_test(tc, long_line_in_pieces);
        tcase_add_test(tc, small_reader_buffer_is_refused);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tail_file_suite)
