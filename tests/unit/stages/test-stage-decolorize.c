/* test-stage-decolorize.c - the decolorize stage. Cases from Promtail 3.4
 * stages/decolorize_test.go, and more escape sequences. */
#include <check.h>

#include "sl-test.h"
#include "stage-test.h"

START_TEST(strips_escapes) {
        struct sl_pipeline *p = st_pipeline("- decolorize:\n");
        struct sl_entry e;
        const char *plain = "sample text";

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, plain), SL_STAGE_KEEP);
        ck_assert_ptr_eq(e.line.ptr, plain); /* untouched, not copied */
        ck_assert_int_eq(st_run(p, &e, 1, "\033[0;32mgreen\033[0m \033[0;31mred\033[0m"), SL_STAGE_KEEP);
        st_assert_str(e.line, "green red");
        /* bold, 256 colors, cursor moves, an OSC title ended by BEL, CSI as U+009B */
        ck_assert_int_eq(st_run(p, &e, 1, "\033[1m\033[38;5;208mA\033[2K\033]0;title\007B\xc2\x9b" "31mC"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line, "AB" "C");
        /* a lone ESC is kept */
        ck_assert_int_eq(st_run(p, &e, 1, "a\033 b"), SL_STAGE_KEEP);
        st_assert_str(e.line, "a\033 b");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

static Suite *decolorize_suite(void) {
        Suite *s = suite_create("stage-decolorize");
        TCase *tc = tcase_create("decolorize");

        tcase_add_test(tc, strips_escapes);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(decolorize_suite)
