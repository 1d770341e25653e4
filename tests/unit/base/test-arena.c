/* test-arena.c - struct sl_arena: alignment, reuse after reset, big requests. */
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "sl-test.h"

START_TEST(alloc_is_aligned_and_distinct)
{
        struct sl_arena a;
        char *prev = NULL;
        sl_arena_init(&a, 256);
        for (int i = 1; i < 200; i++) {
                char *p = sl_arena_alloc(&a, (size_t)i % 37 + 1);
                ck_assert_uint_eq((uintptr_t)p % _Alignof(max_align_t), 0);
                ck_assert_ptr_ne(p, prev);
                ck_assert(sl_arena_owns(&a, p));
                memset(p, 'x', (size_t)i % 37 + 1);
                prev = p;
        }
        sl_arena_release(&a);
}
END_TEST

START_TEST(reset_reuses_chunks)
{
        struct sl_arena a;
        void *first;
        sl_arena_init(&a, 1024);
        first = sl_arena_alloc(&a, 100);
        sl_arena_reset(&a);
        ck_assert_uint_eq(a.used, 0);
        /* The chunk kept by reset serves the next allocation. */
        ck_assert_ptr_eq(sl_arena_alloc(&a, 100), first);
        sl_arena_release(&a);
}
END_TEST

START_TEST(large_request_and_strdup)
{
        struct sl_arena a;
        struct sl_str s;
        char *big;
        sl_arena_init(&a, 64);
        big = sl_arena_alloc(&a, 10000);
        memset(big, 'y', 10000);
        s = sl_arena_strdup(&a, SL_STR_LIT("hello"));
        ck_assert_uint_eq(s.len, 5);
        ck_assert_str_eq(s.ptr, "hello");
        ck_assert(!sl_arena_owns(&a, &s));
        sl_arena_reset(&a);
        sl_arena_release(&a);
}
END_TEST

static Suite *arena_suite(void) {
        Suite *s = suite_create("arena");
        TCase *tc = tcase_create("arena");
        tcase_add_test(tc, alloc_is_aligned_and_distinct);
        tcase_add_test(tc, reset_reuses_chunks);
        tcase_add_test(tc, large_request_and_strdup);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(arena_suite)
