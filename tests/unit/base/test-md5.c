/* test-md5.c - sl_md5 against RFC 1321's test suite (appendix A.5). */
#include <stdio.h>
#include <string.h>

#include "base/md5.h"
#include "sl-test.h"

static void hex(const uint8_t d[SL_MD5_SIZE], char out[33]) {
        for (int i = 0; i < SL_MD5_SIZE; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

START_TEST(rfc1321_suite)
{
        static const struct {
                const char *in;
                const char *digest;
        } cases[] = {
                { "", "d41d8cd98f00b204e9800998ecf8427e" },
                { "a", "0cc175b9c0f1b6a831c399e269772661" },
                { "abc", "900150983cd24fb0d6963f7d28e17f72" },
                { "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
                { "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
                { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                  "d174ab98d277d9f5a5611c2c9f419d9f" },
                { "1234567890123456789012345678901234567890123456789012345678901234567890"
                  "1234567890", "57edf4a22be3c955ac49da2e2107b67a" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t d[SL_MD5_SIZE];
                char h[33];

                sl_md5(cases[i].in, strlen(cases[i].in), d);
                hex(d, h);
                ck_assert_str_eq(h, cases[i].digest);
        }
}
END_TEST

START_TEST(block_boundaries)
{
        /* 55, 56, 63, 64 and 65 bytes: the padding takes one or two blocks.
         * Digests from coreutils' md5sum of "a" repeated. */
        static const struct {
                size_t n;
                const char *digest;
        } cases[] = {
                { 55, "ef1772b6dff9a122358552954ad0df65" },
                { 56, "3b0c8ac703f828b04c6c197006d17218" },
                { 63, "b06521f39153d618550606be297466d5" },
                { 64, "014842d480b571495a4a0363793f7367" },
                { 65, "c743a45e0d2e6a95cb859adae0248435" },
        };
        char buf[80];

        memset(buf, 'a', sizeof(buf));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t d[SL_MD5_SIZE];
                char h[33];

                sl_md5(buf, cases[i].n, d);
                hex(d, h);
                ck_assert_str_eq(h, cases[i].digest);
        }
}
END_TEST

static Suite *md5_suite(void) {
        Suite *s = suite_create("md5");
        TCase *tc = tcase_create("md5");

        tcase_add_test(tc, rfc1321_suite);
        tcase_add_test(tc, block_boundaries);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(md5_suite)
