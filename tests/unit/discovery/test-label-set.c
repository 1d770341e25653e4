/* test-label-set.c - struct sl_label_set: sorted, owned, "" removes. */
#include <string.h>

#include "discovery/label-set.h"
#include "sl-test.h"

START_TEST(sorted_unique_and_empty_removes)
{
        struct sl_label_set ls, copy;
        struct sl_kvs kvs;

        sl_label_set_init(&ls);
        sl_label_set_set_c(&ls, "b", "2");
        sl_label_set_set_c(&ls, "a", "1");
        sl_label_set_set_c(&ls, "c", "3");
        sl_label_set_set_c(&ls, "a", "one");
        ck_assert_uint_eq(ls.len, 3);
        ck_assert_str_eq(ls.items[0].name, "a");
        ck_assert_str_eq(ls.items[0].value, "one");
        ck_assert_str_eq(ls.items[2].name, "c");
        sl_label_set_set_c(&ls, "b", "");
        ck_assert_uint_eq(ls.len, 2);
        ck_assert_ptr_null(sl_label_set_get(&ls, SL_STR_LIT("b")));
        sl_label_set_set_c(&ls, "__meta_x", "m");
        sl_label_set_set_c(&ls, "__path__", "/x");
        ck_assert_uint_eq(ls.len, 4);

        sl_label_set_init(&copy);
        sl_label_set_copy(&copy, &ls);
        ck_assert(sl_label_set_equal(&copy, &ls));
        sl_label_set_drop_internal(&copy);
        ck_assert_uint_eq(copy.len, 2);
        ck_assert(!sl_label_set_equal(&copy, &ls));
        ck_assert(!sl_label_set_del(&copy, SL_STR_LIT("zz")));
        ck_assert(sl_label_set_del(&copy, SL_STR_LIT("a")));
        ck_assert_str_eq(sl_label_set_get(&copy, SL_STR_LIT("c")), "3");

        sl_kvs_init(&kvs);
        sl_label_set_to_kvs(&ls, &kvs);
        ck_assert_uint_eq(kvs.len, 4);
        ck_assert(sl_str_eq_c(*sl_kvs_get(&kvs, SL_STR_LIT("__path__")), "/x"));
        sl_kvs_release(&kvs);
        sl_label_set_release(&copy);
        sl_label_set_release(&ls);
}
END_TEST

static Suite *label_set_suite(void) {
        Suite *s = suite_create("label-set");
        TCase *tc = tcase_create("label-set");

        tcase_add_test(tc, sorted_unique_and_empty_removes);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(label_set_suite)
