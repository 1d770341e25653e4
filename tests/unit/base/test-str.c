/* test-str.c - the inline helpers of base/str.h that work by length class:
 * every length from 0 to past their largest class, at every alignment. */
#include <stdint.h>
#include <string.h>

#include "base/str.h"
#include "sl-test.h"

/* sl_copy_short() copies exactly the bytes asked for: the copy equals the
 * source, the bytes around it are untouched, and it returns the byte after. */
START_TEST(copy_short_every_length) {
        char src[128], dst[160];

        for (size_t i = 0; i < sizeof(src); i++)
                src[i] = (char)('A' + i % 53);
        for (size_t n = 0; n <= 80; n++)
                for (size_t at = 0; at < 16; at++) {
                        memset(dst, '#', sizeof(dst));
                        char *end = sl_copy_short(dst + 8 + at, src + at, n);
                        ck_assert_ptr_eq(end, dst + 8 + at + n);
                        if (n)
                                ck_assert_mem_eq(dst + 8 + at, src + at, n);
                        for (size_t k = 0; k < 8 + at; k++)
                                ck_assert_int_eq(dst[k], '#');
                        for (size_t k = 8 + at + n; k < sizeof(dst); k++)
                                ck_assert_int_eq(dst[k], '#');
                }
        /* Nothing to copy from nothing. */
        ck_assert_ptr_eq(sl_copy_short(dst, NULL, 0), dst);
}
END_TEST

/* sl_bytes_eq() against memcmp(): equal bytes, and one byte different at
 * each place, for every length from 0 to past its word loop. */
START_TEST(bytes_eq_every_length) {
        char a[80], b[80];

        for (size_t i = 0; i < sizeof(a); i++)
                a[i] = b[i] = (char)('a' + i % 26);
        for (size_t n = 0; n <= 40; n++) {
                ck_assert(sl_bytes_eq(a, b, n));
                for (size_t k = 0; k < n; k++) {
                        b[k] ^= 0x20;
                        ck_assert(!sl_bytes_eq(a, b, n));
                        b[k] ^= 0x20;
                }
        }
        ck_assert(sl_bytes_eq(NULL, NULL, 0));
}
END_TEST

static Suite *str_suite(void) {
        Suite *s = suite_create("str");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, copy_short_every_length);
        tcase_add_test(tc, bytes_eq_every_length);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(str_suite)
