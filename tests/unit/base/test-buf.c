/* test-buf.c - struct sl_buf: growth, the cap, NUL termination. */
#include <errno.h>
#include <string.h>

#include "base/buf.h"
#include "sl-test.h"

/* Invariants after every step: NUL after the content, len within cap. */
static void assert_sane(const struct sl_buf *b) {
        ck_assert_uint_le(b->len, b->cap);
        if (b->data) {
                ck_assert_uint_lt(b->len, b->size);
                ck_assert_int_eq(b->data[b->len], '\0');
        }
}

START_TEST(append_grows_and_terminates)
{
        struct sl_buf b;
        sl_buf_init(&b, 1 << 20);
        for (int i = 0; i < 1000; i++) {
                ck_assert_int_eq(sl_buf_append(&b, "abc", 3), 0);
                assert_sane(&b);
        }
        ck_assert_uint_eq(b.len, 3000);
        ck_assert_int_eq(memcmp(b.data + 2997, "abc", 3), 0);
        sl_buf_release(&b);
}
END_TEST

START_TEST(cap_refuses_and_keeps_content)
{
        struct sl_buf b;
        sl_buf_init(&b, 8);
        ck_assert_int_eq(sl_buf_append(&b, "12345678", 8), 0);
        ck_assert_int_eq(sl_buf_append(&b, "9", 1), -ENOBUFS);
        ck_assert_uint_eq(b.len, 8);
        ck_assert_str_eq(b.data, "12345678");
        assert_sane(&b);
        ck_assert_int_eq(sl_buf_printf(&b, "%d", 5), -ENOBUFS);
        sl_buf_release(&b);
}
END_TEST

START_TEST(consume_moves_rest_to_front)
{
        struct sl_buf b;
        sl_buf_init(&b, 100);
        sl_buf_append(&b, "line1\nline2", 11);
        sl_buf_consume(&b, 6);
        ck_assert_str_eq(b.data, "line2");
        assert_sane(&b);
        sl_buf_consume(&b, 100);
        ck_assert_uint_eq(b.len, 0);
        assert_sane(&b);
        ck_assert_int_eq(sl_buf_printf(&b, "%s=%d", "x", 42), 0);
        ck_assert_str_eq(b.data, "x=42");
        sl_buf_release(&b);
}
END_TEST

static Suite *buf_suite(void) {
        Suite *s = suite_create("buf");
        TCase *tc = tcase_create("buf");
        tcase_add_test(tc, append_grows_and_terminates);
        tcase_add_test(tc, cap_refuses_and_keeps_content);
        tcase_add_test(tc, consume_moves_rest_to_front);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(buf_suite)
