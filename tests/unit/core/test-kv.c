/* test-kv.c - struct sl_kvs: set replaces in place, delete, copy. */
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

static Suite *kv_suite(void) {
        Suite *s = suite_create("kv");
        TCase *tc = tcase_create("kv");
        tcase_add_test(tc, set_get_replace_delete);
        tcase_add_test(tc, copy_and_clear_keep_storage);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(kv_suite)
