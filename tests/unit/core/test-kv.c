/* test-kv.c - struct sl_kvs: set replaces in place, delete, copy, append
 * after sl_kvs_may_hold(). */
#include <string.h>

#include "base/cleanup.h"
#include "core/kv.h"
#include "sl-test.h"

START_TEST(set_get_replace_delete)
{
        struct sl_kvs kvs;
        const struct sl_str *v;

        sl_kvs_init(&kvs);
        sl_kvs_set(&kvs, SL_STR_LIT("a"), SL_STR_LIT("1"));
        sl_kvs_set(&kvs, SL_STR_LIT("b"), SL_STR_LIT("2"));
        sl_kvs_set(&kvs, SL_STR_LIT("a"), SL_STR_LIT("3"));
        ck_assert_uint_eq(kvs.len, 2);
        ck_assert(sl_str_eq_c(kvs.items[0].name, "a"));
        v = sl_kvs_get(&kvs, SL_STR_LIT("a"));
        ck_assert_ptr_nonnull(v);
        ck_assert(sl_str_eq_c(*v, "3"));
        /* Replaced in place through the value's address. */
        *sl_kvs_value(&kvs, SL_STR_LIT("b")) = SL_STR_LIT("4");
        ck_assert_ptr_null(sl_kvs_value(&kvs, SL_STR_LIT("c")));
        ck_assert_uint_eq(kvs.len, 2);
        ck_assert(sl_str_eq_c(*sl_kvs_get(&kvs, SL_STR_LIT("b")), "4"));
        ck_assert(sl_kvs_del(&kvs, SL_STR_LIT("a")));
        ck_assert(!sl_kvs_del(&kvs, SL_STR_LIT("a")));
        ck_assert_ptr_null(sl_kvs_get(&kvs, SL_STR_LIT("a")));
        ck_assert(sl_str_eq_c(kvs.items[0].name, "b"));
        sl_kvs_release(&kvs);
}
END_TEST

START_TEST(copy_and_clear_keep_storage)
{
        struct sl_kvs a, b;
        sl_kvs_init(&a);
        sl_kvs_init(&b);
        for (int i = 0; i < 20; i++)
                sl_kvs_set(&a, sl_str_from("abcdefghijklmnopqrstuvwxyz" + i, 1), SL_STR_LIT("v"));
        sl_kvs_copy(&b, &a);
        ck_assert_uint_eq(b.len, 20);
        ck_assert(sl_str_eq_c(b.items[19].name, "t"));
        sl_kvs_clear(&b);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_uint_ge(b.cap, 20);
        sl_kvs_release(&a);
        sl_kvs_release(&b);
}
END_TEST

/* A mask of name bits: a map holding one of its names may hold them (never
 * a false "no"); one holding none of a mask's bits does not; append adds
 * without a search, growing the array. */
START_TEST(may_hold_and_append)
{
        static const char *const names[] = { "level", "msg", "time", "trace_id", "span_id" };
        struct sl_kvs kvs;
        uint64_t mask = 0;

        sl_kvs_init(&kvs);
        for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++)
                mask |= sl_kvs_name_bit(sl_str_c(names[i]));
        ck_assert(!sl_kvs_may_hold(&kvs, mask));
        ck_assert_uint_eq(sl_kvs_name_bit(SL_STR_LIT("level")),
                          sl_kvs_name_bit(sl_str_from("levelx", 5)));
        ck_assert_uint_ne(sl_kvs_name_bit(SL_STR_NULL), 0);
        for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++) {
                struct sl_kvs one;

                sl_kvs_init(&one);
                sl_kvs_set(&one, SL_STR_LIT("filename"), SL_STR_LIT("/x"));
                sl_kvs_set(&one, sl_str_c(names[i]), SL_STR_LIT("v"));
                ck_assert_msg(sl_kvs_may_hold(&one, mask), "%s", names[i]);
                ck_assert(sl_kvs_may_hold(&one, sl_kvs_name_bit(sl_str_c(names[i]))));
                sl_kvs_release(&one);
        }
        for (int i = 0; i < 40; i++)
                sl_kvs_append(&kvs, sl_str_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN" + i, 1),
                              SL_STR_LIT("v"));
        ck_assert_uint_eq(kvs.len, 40);
        ck_assert_uint_ge(kvs.cap, 40);
        ck_assert(sl_str_eq_c(kvs.items[39].name, "N"));
        ck_assert(sl_str_eq_c(*sl_kvs_get(&kvs, SL_STR_LIT("a")), "v"));
        ck_assert(sl_kvs_may_hold(&kvs, sl_kvs_name_bit(SL_STR_LIT("q"))));
        sl_kvs_release(&kvs);
}
END_TEST

/* The hint is tried first and kept current; a stale one (another name
 * there, or past the end) still finds the name, and an absent name leaves
 * it alone. */
START_TEST(get_hinted)
{
        struct sl_kvs kvs;
        size_t hint = 0;

        sl_kvs_init(&kvs);
        sl_kvs_set(&kvs, SL_STR_LIT("job"), SL_STR_LIT("w40k"));
        sl_kvs_set(&kvs, SL_STR_LIT("trace_id"), SL_STR_LIT("t1"));
        sl_kvs_set(&kvs, SL_STR_LIT("span_id"), SL_STR_LIT("s1"));
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT("span_id"), &hint), "s1"));
        ck_assert_uint_eq(hint, 2);
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT("span_id"), &hint), "s1"));
        ck_assert_uint_eq(hint, 2);
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT("trace_id"), &hint), "t1"));
        ck_assert_uint_eq(hint, 1);
        ck_assert_ptr_null(sl_kvs_get_hinted(&kvs, SL_STR_LIT("trace_iD"), &hint));
        ck_assert_uint_eq(hint, 1);
        hint = 7;
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT("job"), &hint), "w40k"));
        ck_assert_uint_eq(hint, 0);
        sl_kvs_set(&kvs, SL_STR_LIT(""), SL_STR_LIT("empty"));
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT(""), &hint), "empty"));
        ck_assert_uint_eq(hint, 3);
        ck_assert(sl_str_eq_c(*sl_kvs_get_hinted(&kvs, SL_STR_LIT(""), &hint), "empty"));
        sl_kvs_release(&kvs);
}
END_TEST

/* Names of every length up to 39 bytes, and names one byte away from
 * each at every position, are told apart (names are compared as words). */
START_TEST(names_differing_anywhere)
{
        static const char text[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
        struct sl_kvs kvs;

        sl_kvs_init(&kvs);
        for (size_t len = 1; len < sizeof(text); len++)
                sl_kvs_set(&kvs, sl_str_from(text, len), sl_str_from(text, len));
        for (size_t len = 1; len < sizeof(text); len++) {
                char other[sizeof(text)];
                const struct sl_str *v = sl_kvs_get(&kvs, sl_str_from(text, len));
                size_t hint = len % 5;

                ck_assert_ptr_nonnull(v);
                ck_assert_uint_eq(v->len, len);
                ck_assert_ptr_nonnull(sl_kvs_get_hinted(&kvs, sl_str_from(text, len), &hint));
                ck_assert_uint_eq(hint, len - 1);
                for (size_t at = 0; at < len; at++) {
                        memcpy(other, text, len);
                        other[at] = 'Z';
                        ck_assert_msg(!sl_kvs_get(&kvs, sl_str_from(other, len)), "len %zu at %zu", len, at);
                        ck_assert(!sl_kvs_get_hinted(&kvs, sl_str_from(other, len), &hint));
                }
        }
        sl_kvs_release(&kvs);
}
END_TEST

static Suite *kv_suite(void) {
        Suite *s = suite_create("kv");
        TCase *tc = tcase_create("kv");
        tcase_add_test(tc, set_get_replace_delete);
        tcase_add_test(tc, copy_and_clear_keep_storage);
        tcase_add_test(tc, may_hold_and_append);
        tcase_add_test(tc, get_hinted);
        tcase_add_test(tc, names_differing_anywhere);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(kv_suite)
