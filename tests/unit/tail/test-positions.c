/* test-positions.c - positions: track/ack/reset/release rules, stale acks,
 * fingerprints, sizes, save and load round trips (v3, and v1 and v2 files
 * read), what load rejects, atomic and skipped saves, prune, and the
 * entries from before a restart (unresolved until tracked or resolved). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "sl-test.h"
#include "tail/positions.h"

/* The line a snapshot ends with, before its journal records. */
#define JOURNAL_LINE "# journal: \"+ <entry>\" adds or replaces, \"- <device> <inode>\" removes\n"

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

static struct sl_fingerprint fp_of(const char *text) {
        struct sl_fingerprint fp;
        sl_fingerprint_of(text, strlen(text), &fp);
        return fp;
}

static const struct sl_fingerprint fp_empty_v = { .hash = SL_FINGERPRINT_EMPTY_HASH, .len = 0 };

static struct sl_fingerprint fp_empty(void) {
        struct sl_fingerprint fp;
        sl_fingerprint_init(&fp);
        return fp;
}

/* Tracks a file without a fingerprint, read far enough that any ack applies. */
static void track(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path,
                  uint64_t offset) {
        struct sl_fingerprint fp = fp_empty();

        sl_positions_track(p, dev, ino, path, offset, &fp, 0);
        sl_positions_note_read(p, dev, ino, UINT64_MAX, &fp);
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

        struct sl_fingerprint full = fp_of("a first line\n"), got;

        for (size_t i = 0; i < n; i++)
                track(p, 2049, 100 + i, odd_paths[i], i * 1000);
        track(p, UINT64_MAX, UINT64_MAX, "/max", UINT64_MAX);
        /* Fingerprints: grown by a read, one with a hash of all bits set. */
        sl_positions_note_read(p, 2049, 101, 0, &full);
        sl_positions_note_read(p, UINT64_MAX, UINT64_MAX, 0,
                               &(struct sl_fingerprint){ .hash = UINT64_MAX,
                                                         .len = SL_FINGERPRINT_MAX });
        /* Sizes: as tracked (the offset), or as the tailer saw them. */
        sl_positions_note_size(p, 2049, 102, 123456);
        sl_positions_note_size(p, UINT64_MAX, UINT64_MAX, UINT64_MAX - 1);
        ck_assert_int_eq(sl_positions_save(p), 0);

        ck_assert_int_eq(sl_read_file(file, 1 << 20, &text, NULL), 0);
        ck_assert_msg(strncmp(text, "# sluice positions v5\n", 22) == 0, "header: %s", text);
        ck_assert_ptr_nonnull(strstr(text, "2049 100 0 0 cbf29ce484222325 0 - /var/log/plain.log\n"));
        ck_assert_ptr_nonnull(strstr(text, "2049 102 2000 0 cbf29ce484222325 123456 - "
                                           " leading space\n"));
        ck_assert_ptr_nonnull(strstr(text, "18446744073709551615 18446744073709551615 "
                                           "18446744073709551615 1024 ffffffffffffffff "
                                           "18446744073709551614 - /max\n"));

        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_count(q), n + 1);
        for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(offset_of(q, 2049, 100 + i), i * 1000);
        ck_assert_uint_eq(offset_of(q, UINT64_MAX, UINT64_MAX), UINT64_MAX);
        ck_assert(sl_positions_get_fingerprint(q, 2049, 101, &got));
        ck_assert(sl_fingerprint_equal(&got, &full));
        ck_assert_uint_eq(got.len, 13);
        ck_assert(sl_positions_get_fingerprint(q, 2049, 100, &got));
        ck_assert_uint_eq(got.len, 0);
        ck_assert(sl_positions_get_fingerprint(q, UINT64_MAX, UINT64_MAX, &got));
        ck_assert_uint_eq(got.hash, UINT64_MAX);
        ck_assert_uint_eq(got.len, SL_FINGERPRINT_MAX);
        {
                struct sl_position pos;
                ck_assert(sl_positions_find(q, 2049, 102, &pos));
                ck_assert(pos.size_known);
                ck_assert_uint_eq(pos.size, 123456);
                ck_assert_str_eq(pos.path, odd_paths[2]);
                ck_assert(sl_positions_find(q, 2049, 103, &pos));
                ck_assert_uint_eq(pos.size, 3000);
                ck_assert(sl_positions_find(q, UINT64_MAX, UINT64_MAX, &pos));
                ck_assert_uint_eq(pos.size, UINT64_MAX - 1);
        }

        /* Paths came back byte for byte: saving q writes the same file. */
        {
                _cleanup_free_ char *again = NULL;
                struct sl_fingerprint fp = fp_empty();
                /* change, then change back */
                sl_positions_track(q, 2049, 100, odd_paths[0], 0, &fp, 7);
                sl_positions_note_read(q, 2049, 100, 10, &fp);
                sl_positions_ack(q, 2049, 100, 1);
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

        track(p, 1, 2, "/a", 10);
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

        track(p, 1, 2, "/a", 10);
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

        track(p, 1, 1, "/a", 10);
        sl_positions_ack(p, 1, 1, 5);
        ck_assert_uint_eq(offset_of(p, 1, 1), 10);
        sl_positions_ack(p, 1, 1, 20);
        ck_assert_uint_eq(offset_of(p, 1, 1), 20);
        sl_positions_reset(p, 1, 1);
        ck_assert_uint_eq(offset_of(p, 1, 1), 0);
        track(p, 1, 1, "/a", 0);
        sl_positions_ack(p, 1, 1, 3);
        ck_assert_uint_eq(offset_of(p, 1, 1), 3);
        /* Track sets the offset the tailer starts at, even lower. */
        track(p, 1, 1, "/a", 0);
        ck_assert_uint_eq(offset_of(p, 1, 1), 0);
        ck_assert_uint_eq(sl_positions_count(p), 1);
}
END_TEST

/* What happens to the file's entry before an ack arrives. */
enum stale_step {
        STEP_NONE,          /* nothing: the file is still the one read */
        STEP_TRUNCATED,     /* sl_positions_reset(): the content before is gone */
        STEP_REPLACED,      /* re-tracked for a new file (inode reused), source 2 */
        STEP_READ_ON,       /* the new content was read up to 100 since */
};

struct stale_case {
        const char *name;
        enum stale_step steps[3];  /* in order, STEP_NONE ends */
        bool with_source;          /* ack_source(source 1) instead of ack() */
        uint64_t ack;              /* the ack that arrives */
        uint64_t want;             /* the offset after it */
};

static const struct stale_case stale[] = {
        { "ack within what was read",        { STEP_NONE },                       false, 40, 40 },
        { "ack past what was read",          { STEP_NONE },                       false, 60, 10 },
        { "ack after a truncation",          { STEP_TRUNCATED },                  false, 40, 0 },
        { "truncated, new content read on",  { STEP_TRUNCATED, STEP_READ_ON },    false, 40, 40 },
        { "inode reused",                    { STEP_REPLACED },                   false, 40, 0 },
        { "inode reused, read on (by dev+ino)", { STEP_REPLACED, STEP_READ_ON },  false, 40, 40 },
        { "inode reused, read on (by source)",  { STEP_REPLACED, STEP_READ_ON },  true, 40, 0 },
        { "same source",                     { STEP_NONE },                       true, 40, 40 },
};

START_TEST(stale_acks_are_ignored)
{
        for (size_t i = 0; i < SL_ARRAY_SIZE(stale); i++) {
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
                const struct stale_case *c = &stale[i];
                struct sl_fingerprint a = fp_of("a\n"), b = fp_of("b\n"), got;

                /* File 1 opened at 10, read up to 50. */
                sl_positions_track(p, 1, 2, "/x", 10, &a, 1);
                sl_positions_note_read(p, 1, 2, 50, &a);
                for (size_t k = 0; k < SL_ARRAY_SIZE(c->steps) && c->steps[k] != STEP_NONE; k++) {
                        switch (c->steps[k]) {
                        case STEP_TRUNCATED:
                                sl_positions_reset(p, 1, 2);
                                ck_assert(sl_positions_get_fingerprint(p, 1, 2, &got));
                                ck_assert_uint_eq(got.len, 0);
                                break;
                        case STEP_REPLACED:
                                sl_positions_track(p, 1, 2, "/x", 0, &b, 2);
                                break;
                        case STEP_READ_ON:
                                sl_positions_note_read(p, 1, 2, 100, &b);
                                break;
                        case STEP_NONE:
                                break;
                        }
                }
                if (c->with_source)
                        sl_positions_ack_source(p, 1, 2, 1, c->ack);
                else
                        sl_positions_ack(p, 1, 2, c->ack);
                ck_assert_msg(offset_of(p, 1, 2) == c->want, "%s: offset %lu, want %lu",
                              c->name, (unsigned long)offset_of(p, 1, 2),
                              (unsigned long)c->want);
        }
}
END_TEST

START_TEST(fingerprint_follows_the_file)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        struct sl_fingerprint small = fp_of("ab"), grown = fp_of("ab\ncd\n"), got;

        ck_assert(!sl_positions_get_fingerprint(p, 1, 2, &got));
        sl_positions_track(p, 1, 2, "/x", 0, &small, 1);
        ck_assert_int_eq(sl_positions_save(p), 0);
        /* The same fingerprint again is no change: nothing written. */
        ck_assert_int_eq(unlink(file), 0);
        sl_positions_note_read(p, 1, 2, 2, &small);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(!exists(file));
        /* Grown: saved, and read back. */
        sl_positions_note_read(p, 1, 2, 6, &grown);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert(sl_positions_get_fingerprint(q, 1, 2, &got));
        ck_assert(sl_fingerprint_equal(&got, &grown));
        /* A rename keeps it; the path changes. */
        sl_positions_set_path(p, 1, 2, "/x.1");
        ck_assert(sl_positions_get_fingerprint(p, 1, 2, &got));
        ck_assert(sl_fingerprint_equal(&got, &grown));
        ck_assert_int_eq(sl_positions_save(p), 0);
        {
                _cleanup_free_ char *text = NULL;
                ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
                ck_assert_ptr_nonnull(strstr(text, " /x.1\n"));
        }
        sl_positions_set_path(p, 9, 9, "/none");  /* no entry: nothing */
        ck_assert_uint_eq(sl_positions_count(p), 1);
}
END_TEST

START_TEST(v1_file_is_read_and_saved_as_v5)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;
        const char *v1 = "# sluice positions v1\n# device inode offset path\n"
                         "2049 7 120 /var/log/a b.log\n2049 8 0 /b\n";
        struct sl_fingerprint got;

        sl_test_write_file(file, v1, strlen(v1));
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ck_assert_uint_eq(offset_of(p, 2049, 7), 120);
        ck_assert(sl_positions_get_fingerprint(p, 2049, 7, &got));
        ck_assert_uint_eq(got.len, 0);
        /* Loading is no change; the first change writes v3, sizes unknown. */
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, v1);
        free(text);
        text = NULL;
        sl_positions_set_path(p, 2049, 8, "/c");
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, "# sluice positions v5\n"
                               "# device inode offset fingerprint-length fingerprint-hash size state path\n"
                               "2049 8 0 0 cbf29ce484222325 - - /c\n"
                               "2049 7 120 0 cbf29ce484222325 - - /var/log/a b.log\n" JOURNAL_LINE);
        /* v1 files reject what v1 rejected: a v2 entry is not a v1 path. */
        sl_test_write_file(file, "# sluice positions v1\n1 2 3\n", 26);
        ck_assert_int_eq(sl_positions_load(p), -EBADMSG);
}
END_TEST

/* A v2 file (what the previous sluice wrote): fingerprints kept, sizes
 * unknown until the tailer looks, written back as v3. */
START_TEST(v2_file_is_read_and_saved_as_v5)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;
        const char *v2 = "# sluice positions v2\n"
                         "# device inode offset fingerprint-length fingerprint-hash path\n"
                         "2049 7 120 13 00000000000000ff /var/log/a b.log\n"
                         "2049 8 0 0 cbf29ce484222325 /b\n";
        struct sl_fingerprint got;
        struct sl_position pos;

        sl_test_write_file(file, v2, strlen(v2));
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ck_assert_uint_eq(offset_of(p, 2049, 7), 120);
        ck_assert(sl_positions_get_fingerprint(p, 2049, 7, &got));
        ck_assert_uint_eq(got.len, 13);
        ck_assert_uint_eq(got.hash, 0xff);
        ck_assert(sl_positions_find(p, 2049, 7, &pos));
        ck_assert(!pos.size_known);
        ck_assert(!pos.resolved);
        ck_assert(!pos.active);
        ck_assert_str_eq(pos.path, "/var/log/a b.log");
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, v2);
        free(text);
        text = NULL;
        sl_positions_note_size(p, 2049, 8, 77);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, "# sluice positions v5\n"
                               "# device inode offset fingerprint-length fingerprint-hash size state path\n"
                               "2049 8 0 0 cbf29ce484222325 77 - /b\n"
                               "2049 7 120 13 00000000000000ff - - /var/log/a b.log\n" JOURNAL_LINE);
        /* And that reads back the same. */
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert(sl_positions_find(p, 2049, 8, &pos));
        ck_assert(pos.size_known);
        ck_assert_uint_eq(pos.size, 77);
        ck_assert(sl_positions_find(p, 2049, 7, &pos));
        ck_assert(!pos.size_known);
        ck_assert_uint_eq(pos.fp.len, 13);
}
END_TEST

struct corrupt_case {
        const char *name;
        const char *content;
        unsigned line;           /* expected error line, 0: none */
};

#define HDR "# sluice positions v3\n"
#define E "0 cbf29ce484222325 - " /* an empty fingerprint, no size, as v3 writes it */

static const struct corrupt_case corrupt[] = {
        { "empty file",         "",                                             0 },
        { "not ours",           "offsets:\n  /a: \"1\"\n",                      1 },
        { "future version",     "# sluice positions v6\n1 2 3 /a\n",            1 },
        { "state neither d nor -", "# sluice positions v5\n1 2 3 0 cbf29ce484222325 4 x /a\n", 2 },
        { "v4 entry in v5",     "# sluice positions v5\n1 2 3 0 cbf29ce484222325 4 /a\n", 2 },
        { "journal in v3",      HDR "+ 1 2 3 " E "/a\n",                      2 },
        { "v1 entry in v3",     HDR "1 2 3 /a\n",                               2 },
        { "v2 entry in v3",     HDR "1 2 3 0 cbf29ce484222325 /a\n",            2 },
        { "size not a number",  HDR "1 2 3 0 cbf29ce484222325 12x /a\n",        2 },
        { "size negative",      HDR "1 2 3 0 cbf29ce484222325 -1 /a\n",         2 },
        { "size overflow",      HDR "1 2 3 0 cbf29ce484222325 18446744073709551616 /a\n", 2 },
        { "no path after size", HDR "1 2 3 0 cbf29ce484222325 12\n",            2 },
        { "fp length too big",  HDR "1 2 3 1025 0123456789abcdef - /a\n",       2 },
        { "fp hash too short",  HDR "1 2 3 10 0123456789abcde - /a\n",          2 },
        { "fp hash not hex",    HDR "1 2 3 10 0123456789abcdeg - /a\n",         2 },
        { "fp hash too long",   HDR "1 2 3 10 0123456789abcdef0 - /a\n",        2 },
        { "no path after fp",   HDR "1 2 3 10 0123456789abcdef\n",              2 },
        { "header only part",   "# sluice positions\n",                         1 },
        { "no path",            HDR "1 2 3 " E "\n",                                  2 },
        { "empty path",         HDR "1 2 3 " E "\n",                                 2 },
        { "offset not number",  HDR "1 2 x /a\n",                               2 },
        { "negative",           HDR "-1 2 3 /a\n",                              2 },
        { "overflow",           HDR "1 18446744073709551616 3 /a\n",            2 },
        { "two spaces",         HDR "1  2 3 /a\n",                              2 },
        { "empty line",         HDR "# fine\n\n",                               3 },
        { "bad escape",         HDR "1 2 3 " E "/a\\q\n",                            2 },
        { "short hex escape",   HDR "1 2 3 " E "/a\\x4\n",                           2 },
        { "nul escape",         HDR "1 2 3 " E "/a\\x00\n",                          2 },
        { "raw control byte",   HDR "1 2 3 " E "/a\r\n",                             2 },
        { "duplicate identity", HDR "# c\n1 2 3 " E "/a\n1 2 4 " E "/b\n",                4 },
        { "truncated",          HDR "1 2 3 " E "/a\n4 5 6 " E "/b",                       3 },
};

START_TEST(corrupt_files_are_rejected_with_a_line)
{
        for (size_t i = 0; i < SL_ARRAY_SIZE(corrupt); i++) {
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
                const struct corrupt_case *c = &corrupt[i];
                const char *err;

                /* A good load first: a bad one must leave it in place. */
                sl_test_write_file(file, HDR "7 8 9 " E "/kept\n", strlen(HDR "7 8 9 " E "/kept\n"));
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
        const char *text = HDR "# a comment\n1 2 3 " E "/a b\\\\c\\nd\\x09e\n";

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

/* Tracks a file read exactly up to @offset (and acknowledged there). */
static void track_read(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path,
                       uint64_t offset) {
        struct sl_fingerprint fp = fp_empty();

        sl_positions_track(p, dev, ino, path, offset, &fp, 0);
        sl_positions_note_read(p, dev, ino, offset, &fp);
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
        uint64_t da, ia, db, ib, dc, ic, dc2, ic2, dd, id, off;
        struct sl_position pos;

        sl_test_write_file(a, "x\n", 2);
        sl_test_write_file(b, "x\n", 2);
        sl_test_write_file(c, "x\n", 2);
        sl_test_write_file(d, "x\n", 2);
        stat_path(a, &da, &ia);
        stat_path(b, &db, &ib);
        stat_path(c, &dc, &ic);
        stat_path(d, &dd, &id);
        track_read(p, da, ia, a, 2);
        track_read(p, db, ib, b, 2);
        track_read(p, dc, ic, c, 2);
        track_read(p, dd, id, d, 2);
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
        /* c's name leads to a file no entry knows by its bytes yet: c stays,
         * done, as the newest known generation of its log; once the new
         * file is followed and fingerprinted, c goes. */
        ck_assert_uint_eq(sl_positions_count(p), 3);
        ck_assert(sl_positions_find(p, dc, ic, &pos) && pos.done);
        ck_assert(sl_positions_get(p, da, ia, &off));
        ck_assert(!sl_positions_get(p, db, ib, &off));
        ck_assert(sl_positions_get(p, dd, id, &off));
        stat_path(c, &dc2, &ic2);
        sl_positions_track(p, dc2, ic2, c, 0, &(struct sl_fingerprint){ .hash = 1, .len = 2 }, 0);
        {
                /* Done is saved. */
                _cleanup_(sl_positions_freep) struct sl_positions *r = sl_positions_new(file);
                ck_assert_int_eq(sl_positions_save(p), 0);
                ck_assert_int_eq(sl_positions_load(r), 0);
                ck_assert(sl_positions_find(r, dc, ic, &pos) && pos.done);
                ck_assert(sl_positions_find(r, dd, id, &pos) && !pos.done);
        }
        sl_positions_prune(p);
        ck_assert(!sl_positions_get(p, dc, ic, &off));
        ck_assert(sl_positions_get(p, dc2, ic2, &off));
        sl_positions_remove(p, dc2, ic2);
        ck_assert_uint_eq(sl_positions_count(p), 2);

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

/* A released file whose read lines Loki has not acknowledged yet keeps its
 * entry (a crash now must find it at the next start); the last ack frees it. */
START_TEST(prune_keeps_released_entries_until_acknowledged)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *a = sl_path_join(dir, "a.log");
        struct sl_fingerprint fp = fp_empty();
        uint64_t da, ia, off;

        sl_test_write_file(a, "0123456789\n", 11);
        stat_path(a, &da, &ia);
        sl_positions_track(p, da, ia, a, 0, &fp, 7);
        sl_positions_note_read(p, da, ia, 11, &fp);
        sl_positions_ack_source(p, da, ia, 7, 5);
        ck_assert_int_eq(unlink(a), 0);
        sl_positions_release(p, da, ia);

        sl_positions_prune(p);
        ck_assert(sl_positions_get(p, da, ia, &off));
        ck_assert_uint_eq(off, 5);
        sl_positions_ack_source(p, da, ia, 7, 11);
        sl_positions_prune(p);
        ck_assert(!sl_positions_get(p, da, ia, &off));
}
END_TEST

/* Moving from Promtail: its positions file is read once, for the paths that
 * exist, and saved in sluice's format. */
START_TEST(promtail_positions_are_imported)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *a = sl_path_join(dir, "a.log");
        _cleanup_free_ char *b = sl_path_join(dir, "b b.log");
        _cleanup_free_ char *text = NULL, *data = NULL;
        uint64_t da, ia, db, ib, off;

        sl_test_write_file(a, "one\ntwo\n", 8);
        sl_test_write_file(b, "x\n", 2);
        stat_path(a, &da, &ia);
        stat_path(b, &db, &ib);
        ck_assert(asprintf(&text,
                           "positions:\n"
                           "  %s: \"4\"\n"
                           "  \"%s\": \"2\"\n"
                           "  %s/gone.log: \"10\"\n"
                           "  journal-abc: \"s=1;i=2\"\n"
                           "  %s/x.log: \"not a number\"\n",
                           a, b, dir, dir) > 0);
        sl_test_write_file(file, text, strlen(text));
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ck_assert(sl_positions_get(p, da, ia, &off));
        ck_assert_uint_eq(off, 4);
        ck_assert(sl_positions_get(p, db, ib, &off));
        ck_assert_uint_eq(off, 2);

        /* Saved in sluice's format from then on. */
        track(p, da, ia, a, 4);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &data, NULL), 0);
        ck_assert(strncmp(data, "# sluice positions v", 20) == 0);

        /* An empty Promtail file is no error; a malformed one is. */
        sl_test_write_file(file, "positions: {}\n", 14);
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 0);
        sl_test_write_file(file, "positions: [1, 2\n", 17);
        ck_assert_int_eq(sl_positions_load(p), -EBADMSG);
        ck_assert_ptr_nonnull(sl_positions_error(p));
}
END_TEST

START_TEST(track_records_a_new_path)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;

        track(p, 1, 2, "/old", 4);
        ck_assert_int_eq(sl_positions_save(p), 0);
        track(p, 1, 2, "/new", 4);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_ptr_nonnull(strstr(text, "1 2 4 0 cbf29ce484222325 4 - /new\n"));
        ck_assert_ptr_null(strstr(text, "/old"));
        ck_assert_uint_eq(sl_positions_count(p), 1);
}
END_TEST

/* Entries loaded are unresolved until a file is tracked under them or the
 * tailer settles them; new entries never are. Remove drops one for good. */
START_TEST(entries_from_before_are_unresolved_until_settled)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        struct sl_position pos;
        size_t cursor = 0, seen = 0;
        uint64_t off;

        track(p, 1, 1, "/a", 1);
        track(p, 1, 2, "/b", 2);
        track(p, 1, 3, "/c", 3);
        track(p, 1, 4, "/d", 4);
        ck_assert_uint_eq(sl_positions_unresolved(p), 0);
        ck_assert(!sl_positions_next_unresolved(p, &cursor, &pos));
        ck_assert(sl_positions_find(p, 1, 1, &pos));
        ck_assert(pos.resolved);
        ck_assert(pos.active);
        ck_assert(!sl_positions_find(p, 9, 9, &pos));
        ck_assert_int_eq(sl_positions_save(p), 0);

        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_unresolved(q), 4);
        cursor = 0;
        while (sl_positions_next_unresolved(q, &cursor, &pos)) {
                ck_assert(!pos.resolved);
                ck_assert(!pos.active);
                ck_assert_uint_eq(pos.dev, 1);
                ck_assert_uint_eq(pos.offset, pos.ino);
                seen |= 1u << pos.ino;
        }
        ck_assert_uint_eq(seen, 0x1e);

        /* Tracked (the tailer opened it), resolved, removed: each once. */
        track_read(q, 1, 1, "/a", 1);
        sl_positions_resolve(q, 1, 2);
        sl_positions_resolve(q, 1, 2);
        ck_assert_uint_eq(sl_positions_unresolved(q), 2);
        /* Resolving is no change to save. */
        ck_assert_int_eq(unlink(file), 0);
        ck_assert_int_eq(sl_positions_save(q), 0);
        ck_assert(!exists(file));
        sl_positions_remove(q, 1, 3);
        sl_positions_remove(q, 1, 3);
        sl_positions_remove(q, 1, 2);
        ck_assert(!sl_positions_get(q, 1, 3, &off));
        ck_assert_uint_eq(sl_positions_count(q), 2);
        ck_assert_uint_eq(sl_positions_unresolved(q), 1);
        cursor = 0;
        ck_assert(sl_positions_next_unresolved(q, &cursor, &pos));
        ck_assert_uint_eq(pos.ino, 4);
        ck_assert_str_eq(pos.path, "/d");
        ck_assert(!sl_positions_next_unresolved(q, &cursor, &pos));
        /* Removing is a change: saved without it. */
        ck_assert_int_eq(sl_positions_save(q), 0);
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert_uint_eq(sl_positions_count(p), 2);
        ck_assert(!sl_positions_get(p, 1, 3, &off));
        /* Prune of an unresolved entry keeps the count right: /d is gone. */
        sl_positions_release(q, 1, 1);
        sl_positions_prune(q);
        ck_assert_uint_eq(sl_positions_count(q), 0);
        ck_assert_uint_eq(sl_positions_unresolved(q), 0);
        cursor = 0;
        ck_assert(!sl_positions_next_unresolved(q, &cursor, &pos));
}
END_TEST

/* The size last seen: the offset when tracked, then what the tailer notes;
 * a truncation takes it to 0; a change is saved, the same size is not. */
START_TEST(sizes_follow_the_tailer)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        struct sl_fingerprint fp = fp_empty();
        struct sl_position pos;

        sl_positions_note_size(p, 1, 2, 10);   /* no entry: nothing */
        ck_assert_uint_eq(sl_positions_count(p), 0);
        sl_positions_track(p, 1, 2, "/x", 40, &fp, 1);
        ck_assert(sl_positions_find(p, 1, 2, &pos));
        ck_assert(pos.size_known);
        ck_assert_uint_eq(pos.size, 40);
        sl_positions_note_size(p, 1, 2, 100);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(sl_positions_find(p, 1, 2, &pos));
        ck_assert_uint_eq(pos.size, 100);
        ck_assert_int_eq(unlink(file), 0);
        sl_positions_note_size(p, 1, 2, 100);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(!exists(file));
        sl_positions_note_size(p, 1, 2, 120);
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert(exists(file));
        sl_positions_reset(p, 1, 2);
        ck_assert(sl_positions_find(p, 1, 2, &pos));
        ck_assert_uint_eq(pos.size, 0);
        ck_assert_uint_eq(pos.offset, 0);
}
END_TEST


/* The journal: what a flush appends is what a new process loads, without a
 * save in between (a crash right after the flush). */
START_TEST(flushed_changes_survive_without_a_save)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;
        struct sl_fingerprint fp = fp_of("first line\n");
        struct sl_position pos;
        bool torn = true;

        ck_assert(!sl_positions_pending(p));
        ck_assert_int_eq(sl_positions_flush(p), 0);
        ck_assert(!exists(file));

        /* A file opened: known on disk at the first flush (no snapshot yet:
         * the flush writes one). */
        sl_positions_track(p, 1, 10, "/logs/a", 0, &fp, 1);
        ck_assert(sl_positions_pending(p));
        ck_assert_int_eq(sl_positions_flush(p), 0);
        ck_assert(!sl_positions_pending(p));
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert(sl_positions_existed(q));
        ck_assert_uint_eq(sl_positions_replayed(q, &torn), 0);
        ck_assert(!torn);
        ck_assert(sl_positions_find(q, 1, 10, &pos));
        ck_assert_str_eq(pos.path, "/logs/a");

        /* Read, acknowledged, a second file, a rename: appended records. */
        sl_positions_note_read(p, 1, 10, 500, &fp);
        sl_positions_note_size(p, 1, 10, 700);
        sl_positions_ack(p, 1, 10, 300);
        sl_positions_track(p, 1, 11, "/logs/b", 0, &fp_empty_v, 2);
        sl_positions_set_path(p, 1, 10, "/logs/a.1");
        ck_assert_int_eq(sl_positions_flush(p), 0);
        ck_assert_int_eq(sl_read_file(file, 1 << 20, &text, NULL), 0);
        ck_assert_ptr_nonnull(strstr(text, JOURNAL_LINE "+ 1 10 300 11 "));
        ck_assert_ptr_nonnull(strstr(text, " 700 - /logs/a.1\n+ 1 11 0 0 cbf29ce484222325 0 - /logs/b\n"));
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_replayed(q, &torn), 2);
        ck_assert(!torn);
        ck_assert_uint_eq(sl_positions_count(q), 2);
        ck_assert(sl_positions_find(q, 1, 10, &pos));
        ck_assert_uint_eq(pos.offset, 300);
        ck_assert_uint_eq(pos.size, 700);
        ck_assert(sl_fingerprint_equal(&pos.fp, &fp));
        ck_assert_str_eq(pos.path, "/logs/a.1");

        /* A removal, then the same file tracked again, in one flush. */
        sl_positions_remove(p, 1, 11);
        sl_positions_track(p, 1, 11, "/logs/c", 0, &fp_empty_v, 3);
        sl_positions_remove(p, 1, 10);
        ck_assert_int_eq(sl_positions_flush(p), 0);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_count(q), 1);
        ck_assert(!sl_positions_find(q, 1, 10, &pos));
        ck_assert(sl_positions_find(q, 1, 11, &pos));
        ck_assert_str_eq(pos.path, "/logs/c");

        /* A save folds the journal into the snapshot. */
        ck_assert_int_eq(sl_positions_save(p), 0);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(sl_positions_replayed(q, NULL), 0);
        ck_assert_uint_eq(sl_positions_count(q), 1);
}
END_TEST

/* A machine crash may leave the journal's tail torn or filled with zeros:
 * load keeps the records before it (the state they make), never fails. */
START_TEST(torn_journal_tail_stops_the_replay)
{
        static const char *const tails[] = {
                "+ 1 3 40 0 cbf29ce484222325 50 /c",          /* no newline */
                "+ 1 3 40 0 cbf29ce48422\n",                   /* cut, then a newline */
                "\0\0\0\0\0\0\0\0\n",                           /* zeros */
                "- 1\n",                                       /* half a removal */
                "1 3 40 0 cbf29ce484222325 50 /c\n",          /* a snapshot line after records */
        };
        const char *base = "# sluice positions v4\n"
                           "1 1 10 0 cbf29ce484222325 10 /a\n"
                           "# journal\n"
                           "+ 1 2 20 0 cbf29ce484222325 30 /b\n"
                           "+ 1 1 15 0 cbf29ce484222325 15 /a\n";

        for (size_t i = 0; i < SL_ARRAY_SIZE(tails); i++) {
                _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
                char buf[512];
                size_t n = strlen(base), tail = i == 2 ? 9 : strlen(tails[i]);
                bool torn = false;

                memcpy(buf, base, n);
                memcpy(buf + n, tails[i], tail);
                sl_test_write_file(file, buf, n + tail);
                ck_assert_msg(sl_positions_load(p) == 0, "tail %zu: %s", i,
                              sl_positions_error(p) ? sl_positions_error(p) : "");
                ck_assert_ptr_null(sl_positions_error(p));
                ck_assert_uint_eq(sl_positions_replayed(p, &torn), 2);
                ck_assert_msg(torn, "tail %zu", i);
                ck_assert_uint_eq(sl_positions_count(p), 2);
                ck_assert_uint_eq(offset_of(p, 1, 1), 15);
                ck_assert_uint_eq(offset_of(p, 1, 2), 20);
        }
}
END_TEST

/* The journal does not grow without bound: past its slack it is folded
 * into a snapshot by the flush itself. */
START_TEST(journal_is_folded_when_it_outgrows_the_snapshot)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        struct sl_fingerprint fp = fp_of("x\n");
        struct stat st;
        off_t biggest = 0;

        sl_positions_track(p, 1, 1, "/logs/a-rather-long-path-to-make-records-bigger.log", 0, &fp, 1);
        sl_positions_note_read(p, 1, 1, UINT64_MAX, &fp);
        ck_assert_int_eq(sl_positions_flush(p), 0);
        for (uint64_t i = 1; i <= 20000; i++) {
                sl_positions_ack(p, 1, 1, i * 10);
                ck_assert_int_eq(sl_positions_flush(p), 0);
                ck_assert_int_eq(stat(file, &st), 0);
                if (st.st_size > biggest)
                        biggest = st.st_size;
        }
        /* 20000 records of ~80 bytes would be 1.6 MB. */
        ck_assert_msg(biggest < (off_t)(300u << 10), "file grew to %lld", (long long)biggest);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(offset_of(q, 1, 1), 200000);
}
END_TEST

/* A v3 file (what the previous sluice wrote) has no journal to append to:
 * the first flush writes it whole as v4. */
START_TEST(first_flush_after_loading_v3_saves_whole)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        _cleanup_(sl_positions_freep) struct sl_positions *q = sl_positions_new(file);
        _cleanup_free_ char *text = NULL;
        const char *v3 = "# sluice positions v3\n"
                         "# device inode offset fingerprint-length fingerprint-hash size path\n"
                         "1 1 10 0 cbf29ce484222325 10 /a\n";

        sl_test_write_file(file, v3, strlen(v3));
        ck_assert_int_eq(sl_positions_load(p), 0);
        track(p, 1, 1, "/a", 10);
        sl_positions_ack(p, 1, 1, 20);
        ck_assert_int_eq(sl_positions_flush(p), 0);
        ck_assert_int_eq(sl_read_file(file, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, "# sluice positions v5\n"
                               "# device inode offset fingerprint-length fingerprint-hash size state path\n"
                               "1 1 20 0 cbf29ce484222325 10 - /a\n" JOURNAL_LINE);
        ck_assert_int_eq(sl_positions_load(q), 0);
        ck_assert_uint_eq(offset_of(q, 1, 1), 20);
}
END_TEST

/* A first start: no file. A file that exists, even without entries, says
 * sluice ran before. */
START_TEST(existed_tells_a_first_start)
{
        _cleanup_(sl_positions_freep) struct sl_positions *p = sl_positions_new(file);
        const char *empty = "# sluice positions v4\n";

        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert(!sl_positions_existed(p));
        sl_test_write_file(file, empty, strlen(empty));
        ck_assert_int_eq(sl_positions_load(p), 0);
        ck_assert(sl_positions_existed(p));
        ck_assert_uint_eq(sl_positions_count(p), 0);
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
        tcase_add_test(tc, stale_acks_are_ignored);
        tcase_add_test(tc, fingerprint_follows_the_file);
        tcase_add_test(tc, v1_file_is_read_and_saved_as_v5);
        tcase_add_test(tc, v2_file_is_read_and_saved_as_v5);
        tcase_add_test(tc, entries_from_before_are_unresolved_until_settled);
        tcase_add_test(tc, sizes_follow_the_tailer);
        tcase_add_test(tc, corrupt_files_are_rejected_with_a_line);
        tcase_add_test(tc, comments_and_escapes_are_read);
        tcase_add_test(tc, unreadable_file_is_an_errno);
        tcase_add_test(tc, prune_drops_inactive_entries_whose_path_moved_on);
        tcase_add_test(tc, prune_keeps_released_entries_until_acknowledged);
        tcase_add_test(tc, promtail_positions_are_imported);
        tcase_add_test(tc, track_records_a_new_path);
        tcase_add_test(tc, flushed_changes_survive_without_a_save);
        tcase_add_test(tc, torn_journal_tail_stops_the_replay);
        tcase_add_test(tc, journal_is_folded_when_it_outgrows_the_snapshot);
        tcase_add_test(tc, first_flush_after_loading_v3_saves_whole);
        tcase_add_test(tc, existed_tells_a_first_start);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(positions_suite)
