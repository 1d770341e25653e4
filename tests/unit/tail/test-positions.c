/* test-positions.c - positions: track/ack/reset/release rules, save and load
 * round trips, what load rejects, atomic and skipped saves, prune. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "sl-test.h"
#include "tail/positions.h"

static char *dir;
static char *file;

static void setup(void) {
        dir = sl_test_tmpdir();
        file = sl_path_join(dir, "positions");
}

static void teardown(void) {
        sl_test_rmtree(dir);
        free(dir);
        free(file);
}

static uint64_t offset_of(const struct sl_positions *p, uint64_t dev, uint64_t ino) {
        uint64_t off = 12345;
        ck_assert_msg(sl_positions_get(p, dev, ino, &off), "no entry %lu/%lu",
                      (unsigned long)dev, (unsigned long)ino);
        return off;
}

static bool exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0;
}

START_TEST(missing_file_loads_empty)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        uint64_t off = 77;

        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 0);
        ck_assert_ptr_null(sl_positions_error(p));
        ck_assert(!sl_positions_get(p, 1, 2, &off));
        ck_assert_uint_eq(off, 77);
        /* Nothing tracked, nothing changed: no file appears. */
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(!exists(file));
}
END_TEST

static const char *const odd_paths[] = {
        "/var/log/plain.log",
        "/var/log/with space/and  two.log",
        " leading space",
        "back\\slash\\",
        "new\nline",
        "tab\tand\x7f del and \x01",
        "caf\xc3\xa9 \xe2\x9c\x93.log",
        "ends with space ",
        "\\n literally",
};

START_TEST(round_trip_keeps_every_path_and_offset)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;
        size_t n = SL_ARRAY_SIZE(odd_paths);

        for (size_t i = 0; i < n; i++)
                sl_positions_track(p, 2049, 100 + i, odd_paths[i], i * 1000);
        sl_positions_track(p, UINT64_MAX, UINT64_MAX, "/max", UINT64_MAX);
        ck_assert_int_eq(sl_positions_save(p), 0);

        ck_assert_int_eq(sl_read_file(file, 1 << 20, &text, NULL), 0);
        ck_assert_msg(strncmp(text, "# sluice positions v1\n", 22) == 0, "header: %s", text);
        ck_assert_ptr_nonnull(strstr(text, "2049 100 0 /var/log/plain.log\n"));

        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_count(q), n + 1);
        for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(offset_of(q, 2049, 100 + i), i * 1000);
        ck_assert_uint_eq(offset_of(q, UINT64_MAX, UINT64_MAX), UINT64_MAX);

        /* Paths came back byte for byte: saving q writes the same file. */
        {
                _cleanup_free_ char *again = NULL;
                sl_positions_ack(q, 2049, 100, 1); /* change, then change back */
                sl_positions_reset(q, 2049, 100);
                ck_assert_int_eq(sl_positions_save(q), 0);
                ck_assert_int_eq(sl_read_file(file, 1 << 20, &again, NULL), 0);
                ck_assert_str_eq(again, text);
        }
}
END_TEST

START_TEST(save_is_atomic_and_skipped_when_unchanged)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *tmp = sl_path_join(dir, "positions.tmp");

        sl_positions_track(p, 1, 2, "/a", 10);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(exists(file));
        ck_assert(!exists(tmp));

        /* Unchanged: not written (a removed file stays removed). */
        ck_assert_int_eq(unlink(file), 0);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(!exists(file));
        /* Neither a backwards ack nor a release is a change worth saving. */
        sl_positions_ack(p, 1, 2, 5);
        sl_positions_release(p, 1, 2);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(!exists(file));

        sl_positions_ack(p, 1, 2, 11);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(exists(file));
        ck_assert(!exists(tmp));
}
END_TEST

START_TEST(failed_save_is_retried)
{
        _cleanup_free_ char *bad = sl_path_join(dir, "no-such-dir/positions");
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(bad);

        sl_positions_track(p, 1, 2, "/a", 10);
        ck_assert_int_eq(sl_positions_save(p), -ENOENT);
        /* Still dirty: the next save tries again instead of claiming success. */
        ck_assert_int_eq(sl_positions_save(p), -ENOENT);
}
END_TEST

START_TEST(acks_only_move_forward)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        uint64_t off;

        sl_positions_ack(p, 1, 1, 50);          /* no entry: ignored */
        ck_assert(!sl_positions_get(p, 1, 1, &off));
        ck_assert_uint_eq(sl_positions_count(p), 0);

        sl_positions_track(p, 1, 1, "/a", 10);
        sl_positions_ack(p, 1, 1, 5);
        ck_assert_uint_eq(offset_of(p, 1, 1), 10);
        sl_positions_ack(p, 1, 1, 20);
        ck_assert_uint_eq(offset_of(p, 1, 1), 20);
        sl_positions_reset(p, 1, 1);
        ck_assert_uint_eq(offset_of(p, 1, 1), 0);
        sl_positions_ack(p, 1, 1, 3);
        ck_assert_uint_eq(offset_of(p, 1, 1), 3);
        /* Track sets the offset the tailer starts at, even lower. */
        sl_positions_track(p, 1, 1, "/a", 0);
        ck_assert_uint_eq(offset_of(p, 1, 1), 0);
        ck_assert_uint_eq(sl_positions_count(p), 1);
}
END_TEST

struct corrupt_case {
        const char *name;
        const char *content;
        unsigned line;           /* expected error line, 0: none */
};

#define HDR "# sluice positions v1\n"

static const struct corrupt_case corrupt[] = {
        { "empty file",         "",                                             0 },
        { "not ours",           "positions:\n  /a: \"1\"\n",                    1 },
        { "future version",     "# sluice positions v2\n1 2 3 /a\n",            1 },
        { "header only part",   "# sluice positions\n",                         1 },
        { "no path",            HDR "1 2 3\n",                                  2 },
        { "empty path",         HDR "1 2 3 \n",                                 2 },
        { "offset not number",  HDR "1 2 x /a\n",                               2 },
        { "negative",           HDR "-1 2 3 /a\n",                              2 },
        { "overflow",           HDR "1 18446744073709551616 3 /a\n",            2 },
        { "two spaces",         HDR "1  2 3 /a\n",                              2 },
        { "empty line",         HDR "# fine\n\n",                               3 },
        { "bad escape",         HDR "1 2 3 /a\\q\n",                            2 },
        { "short hex escape",   HDR "1 2 3 /a\\x4\n",                           2 },
        { "nul escape",         HDR "1 2 3 /a\\x00\n",                          2 },
        { "raw control byte",   HDR "1 2 3 /a\r\n",                             2 },
        { "duplicate identity", HDR "# c\n1 2 3 /a\n1 2 4 /b\n",                4 },
        { "truncated",          HDR "1 2 3 /a\n4 5 6 /b",                       3 },
};

START_TEST(corrupt_files_are_rejected_with_a_line)
{
        for (size_t i = 0; i < SL_ARRAY_SIZE(corrupt); i++) {
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
                const struct corrupt_case *c = &corrupt[i];
                const char *err;

                /* A good load first: a bad one must leave it in place. */
                sl_test_write_file(file, HDR "7 8 9 /kept\n", strlen(HDR "7 8 9 /kept\n"));
                ck_assert_int_eq(sl_positions_load(p), 0);

                sl_test_write_file(file, c->content, strlen(c->content));
                ck_assert_msg(sl_positions_load(p) == -EBADMSG, "%s: accepted", c->name);
                err = sl_positions_error(p);
                ck_assert_ptr_nonnull(err);
                ck_assert_msg(sl_positions_error_line(p) == c->line, "%s: line %u: %s", c->name,
                              sl_positions_error_line(p), err);
                if (c->line) {
                        char prefix[32];
                        snprintf(prefix, sizeof(prefix), "line %u: ", c->line);
                        ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "%s: %s",
                                      c->name, err);
                }
                ck_assert_uint_eq(sl_positions_count(p), 1);
                ck_assert_uint_eq(offset_of(p, 7, 8), 9);
        }
}
END_TEST

START_TEST(comments_and_escapes_are_read)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        const char *text = HDR "# a comment\n1 2 3 /a b\\\\c\\nd\\x09e\n";

        sl_test_write_file(file, text, strlen(text));
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_ptr_null(sl_positions_error(p));
        ck_assert_uint_eq(offset_of(p, 1, 2), 3);
}
END_TEST

START_TEST(unreadable_file_is_an_errno)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = NULL;
        int r;

        ck_assert_int_eq(mkdir(file, 0755), 0);
        p = sl_positions_new(file);
        r = sl_positions_load(p);
        ck_assert_int_lt(r, 0);
        ck_assert_int_ne(r, -EBADMSG);
        ck_assert_ptr_nonnull(sl_positions_error(p));
}
END_TEST

static void stat_path(const char *path, uint64_t *dev, uint64_t *ino) {
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        *dev = (uint64_t)st.st_dev;
        *ino = (uint64_t)st.st_ino;
}

START_TEST(prune_drops_inactive_entries_whose_path_moved_on)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        _cleanup_free_ char *a = sl_path_join(dir, "a.log");
        _cleanup_free_ char *b = sl_path_join(dir, "b.log");
        _cleanup_free_ char *c = sl_path_join(dir, "c.log");
        _cleanup_free_ char *c2 = sl_path_join(dir, "c2.log");
        _cleanup_free_ char *d = sl_path_join(dir, "d.log");
        uint64_t da, ia, db, ib, dc, ic, dd, id, off;

        sl_test_write_file(a, "x\n", 2);
        sl_test_write_file(b, "x\n", 2);
        sl_test_write_file(c, "x\n", 2);
        sl_test_write_file(d, "x\n", 2);
        stat_path(a, &da, &ia);
        stat_path(b, &db, &ib);
        stat_path(c, &dc, &ic);
        stat_path(d, &dd, &id);
        sl_positions_track(p, da, ia, a, 2);
        sl_positions_track(p, db, ib, b, 2);
        sl_positions_track(p, dc, ic, c, 2);
        sl_positions_track(p, dd, id, d, 2);
        ck_assert_int_eq(sl_positions_save(p), 0);

        /* b deleted; c's name now leads to another file; d gone but still open. */
        ck_assert_int_eq(unlink(b), 0);
        sl_test_write_file(c2, "y\n", 2);
        ck_assert_int_eq(rename(c2, c), 0);
        ck_assert_int_eq(unlink(d), 0);
        sl_positions_release(p, da, ia);
        sl_positions_release(p, db, ib);
        sl_positions_release(p, dc, ic);

        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ck_assert(sl_positions_get(p, da, ia, &off));
        ck_assert(!sl_positions_get(p, db, ib, &off));
        ck_assert(!sl_positions_get(p, dc, ic, &off));
        ck_assert(sl_positions_get(p, dd, id, &off));

        /* Pruning is a change: saved, and loaded back the same. */
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_count(q), 2);

        /* Once released, d goes too; a stays while its path leads to it. */
        sl_positions_release(p, dd, id);
        sl_positions_prune(p);
        ck_assert_uint_eq(sl_positions_count(p), 1);
        ck_assert(sl_positions_get(p, da, ia, &off));
}
END_TEST

START_TEST(track_records_a_new_path)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;

        sl_positions_track(p, 1, 2, "/old", 4);
        ck_assert_int_eq(sl_positions_save(p), 0);
        sl_positions_track(p, 1, 2, "/new", 4);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_ptr_nonnull(strstr(text, "1 2 4 /new\n"));
        ck_assert_ptr_null(strstr(text, "/old"));
        ck_assert_uint_eq(sl_positions_count(p), 1);
}
END_TEST

static Suite *positions_suite(void) {
        Suite *s = suite_create("positions");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, missing_file_loads_empty);
        tcase_add_test(tc, round_trip_keeps_every_path_and_offset);
        tcase_add_test(tc, save_is_atomic_and_skipped_when_unchanged);
        tcase_add_test(tc, failed_save_is_retried);
        tcase_add_test(tc, acks_only_move_forward);
        tcase_add_test(tc, corrupt_files_are_rejected_with_a_line);
        tcase_add_test(tc, comments_and_escapes_are_read);
        tcase_add_test(tc, unreadable_file_is_an_errno);
        tcase_add_test(tc, prune_drops_inactive_entries_whose_path_moved_on);
        tcase_add_test(tc, track_records_a_new_path);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(positions_suite)
