/* sl-test.h - what every unit test shares: a main() for a Check suite and
 * helpers for temporary directories and files.
 *
 * A test file defines `static Suite *xxx_suite(void)` and ends with
 * SL_TEST_MAIN(xxx_suite). CK_FORK=no (the valgrind setup) runs tests in the
 * test process; everything else works the same either way.
 */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <check.h>
#include <stddef.h>

/* Creates a new empty directory under $TMPDIR (or /tmp); returns its path
 * (new string). Aborts the test on failure. */
char *sl_test_tmpdir(void);
/* Removes @dir and everything below it. */
void sl_test_rmtree(const char *dir);
/* Writes @len bytes of @data to @path (created or truncated). */
void sl_test_write_file(const char *path, const void *data, size_t len);
/* Appends @len bytes of @data to @path. */
void sl_test_append_file(const char *path, const void *data, size_t len);
/* The directory holding the source tree's top (from SL_SOURCE_ROOT). */
const char *sl_test_source_root(void);

#define SL_TEST_MAIN(suite_fn)                                          \
        int main(void) {                                                \
                SRunner *sr = srunner_create(suite_fn());               \
                int failed;                                             \
                srunner_run_all(sr, CK_NORMAL);                         \
                failed = srunner_ntests_failed(sr);                     \
                srunner_free(sr);                                       \
                return failed == 0 ? 0 : 1;                             \
        }

#endif
