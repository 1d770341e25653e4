/* test-fs-util.c - atomic replace, whole-file reads, path helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "sl-test.h"

START_TEST(write_atomic_replaces_and_leaves_no_temp)
{
        char *dir = sl_test_tmpdir();
        char *path = sl_path_join(dir, "state");
        char *tmp = NULL, *data = NULL;
        size_t len;

        ck_assert_int_eq(sl_write_atomic(path, "one\n", 4), 0);
        ck_assert_int_eq(sl_write_atomic(path, "two two\n", 8), 0);
        ck_assert_int_eq(sl_read_file(path, 1 << 20, &data, &len), 0);
        ck_assert_uint_eq(len, 8);
        ck_assert_str_eq(data, "two two\n");
        ck_assert(asprintf(&tmp, "%s.tmp", path) > 0);
        ck_assert_int_eq(access(tmp, F_OK), -1);
        free(tmp);
        free(data);
        free(path);
        sl_test_rmtree(dir);
        free(dir);
}
END_TEST

START_TEST(write_atomic_failure_keeps_old)
{
        char *path = sl_xstrdup("/nonexistent-dir-for-sluice/x");
        ck_assert_int_lt(sl_write_atomic(path, "x", 1), 0);
        free(path);
}
END_TEST

START_TEST(read_file_limits)
{
        char *dir = sl_test_tmpdir();
        char *path = sl_path_join(dir, "big");
        char *data = NULL;
        char block[10000];

        memset(block, 'a', sizeof(block));
        sl_test_write_file(path, block, sizeof(block));
        ck_assert_int_eq(sl_read_file(path, 100, &data, NULL), -EFBIG);
        ck_assert_ptr_null(data);
        ck_assert_int_eq(sl_read_file("/nonexistent-file-for-sluice", 100, &data, NULL), -ENOENT);
        free(path);
        sl_test_rmtree(dir);
        free(dir);
}
END_TEST

START_TEST(path_helpers)
{
        static const struct { const char *in, *dir; } cases[] = {
                { "/a/b/c", "/a/b" }, { "c", "." }, { "/c", "/" }, { "a/b", "a" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *d = sl_path_dirname(cases[i].in);
                ck_assert_str_eq(d, cases[i].dir);
                free(d);
        }
        char *j = sl_path_join("/x/", "y");
        ck_assert_str_eq(j, "/x/y");
        free(j);
        j = sl_path_join("/x", "y");
        ck_assert_str_eq(j, "/x/y");
        free(j);
}
END_TEST

static Suite *fs_util_suite(void) {
        Suite *s = suite_create("fs-util");
        TCase *tc = tcase_create("fs-util");
        tcase_add_test(tc, write_atomic_replaces_and_leaves_no_temp);
        tcase_add_test(tc, write_atomic_failure_keeps_old);
        tcase_add_test(tc, read_file_limits);
        tcase_add_test(tc, path_helpers);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(fs_util_suite)
