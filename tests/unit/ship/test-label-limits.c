/* test-label-limits.c - Loki's label limits applied before sending: each
 * violation, what is kept of a set, the order labels are kept in, and
 * service_name, which Loki does not count. Limits and reason names from Loki
 * 3.4's pkg/validation/validate.go and pkg/distributor/validator.go. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kv.h"
#include "ship/label-limits.h"
#include "sl-test.h"

#define BIT(v) (1u << (v))

static const struct sl_label_limits loki = {
        SL_LOKI_MAX_LABEL_NAMES, SL_LOKI_MAX_LABEL_NAME_LENGTH, SL_LOKI_MAX_LABEL_VALUE_LENGTH
};

/* "a=1 b=2" into @kvs; the strings are borrowed from @spec's copy. */
static char *fill(struct sl_kvs *kvs, const char *spec) {
        char *copy = strdup(spec), *save = NULL;

        sl_kvs_clear(kvs);
        for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(tok, '=');
                /* names may repeat here: the set is built by hand, not by sl_kvs_set */
                kvs->items = realloc(kvs->items, (kvs->len + 1) * sizeof(*kvs->items));
                kvs->cap = kvs->len + 1;
                kvs->items[kvs->len++] = (struct sl_kv){ sl_str_from(tok, (size_t)(eq - tok)), sl_str_c(eq + 1) };
        }
        return copy;
}

static void render(const struct sl_kvs *kvs, char *out, size_t size) {
        size_t n = 0;

        out[0] = '\0';
        for (size_t i = 0; i < kvs->len; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%.*s=%.*s", i ? " " : "", (int)kvs->items[i].name.len,
                                      kvs->items[i].name.ptr, (int)kvs->items[i].value.len, kvs->items[i].value.ptr);
}

static const struct {
        const char *in;
        const char *out;
        unsigned changed;
} cases[] = {
        { "job=api level=info", "job=api level=info", 0 },
        /* never sent, not a violation */
        { "job=api __path__=/x empty=", "job=api", 0 },
        { "job=api 1bad=x a-b=y", "job=api", BIT(SL_LABEL_INVALID_NAME) },
        { "job=api job=again level=x", "job=api level=x", BIT(SL_LABEL_DUPLICATE_NAME) },
        { "job=api 1bad=x job=b", "job=api", BIT(SL_LABEL_INVALID_NAME) | BIT(SL_LABEL_DUPLICATE_NAME) },
        /* 15 names are fine, the 16th and later are left out, in order */
        { "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1",
          "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1", 0 },
        { "z=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1 p=1 a=1",
          "z=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1", BIT(SL_LABEL_TOO_MANY_NAMES) },
        /* service_name is not counted (Loki adds it when absent) */
        { "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 service_name=s o=1",
          "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 service_name=s o=1", 0 },
        { "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1 p=1 service_name=s",
          "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1 service_name=s",
          BIT(SL_LABEL_TOO_MANY_NAMES) },
        /* invalid labels left out do not count towards the limit */
        { "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 9x=1 o=1",
          "a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1", BIT(SL_LABEL_INVALID_NAME) },
};

START_TEST(table) {
        struct sl_kvs in, out;
        char got[1024];
        char *copy;
        unsigned changed;

        sl_kvs_init(&in);
        sl_kvs_init(&out);
        copy = fill(&in, cases[_i].in);
        changed = sl_label_limits_apply(&loki, &in, &out);
        render(&out, got, sizeof(got));
        ck_assert_msg(strcmp(got, cases[_i].out) == 0, "case %d: got \"%s\"", _i, got);
        ck_assert_msg(changed == cases[_i].changed, "case %d: changed %#x, want %#x", _i, changed, cases[_i].changed);
        free(copy);
        sl_kvs_release(&in);
        sl_kvs_release(&out);
}
END_TEST

/* Values over 2048 bytes are cut to 2048, at a character boundary; names
 * over 1024 bytes are left out; at the limits nothing changes. */
START_TEST(lengths) {
        size_t big = 3000;
        char *value = malloc(big + 1), *name = malloc(1100);
        struct sl_kvs in, out;

        memset(value, 'v', big);
        value[big] = '\0';
        memset(name, 'n', 1100);
        sl_kvs_init(&in);
        sl_kvs_init(&out);

        sl_kvs_set(&in, SL_STR_LIT("job"), SL_STR_LIT("api"));
        sl_kvs_set(&in, SL_STR_LIT("route"), sl_str_from(value, big));
        ck_assert_uint_eq(sl_label_limits_apply(&loki, &in, &out), BIT(SL_LABEL_VALUE_TOO_LONG));
        ck_assert_uint_eq(out.len, 2);
        ck_assert_uint_eq(out.items[1].value.len, 2048);
        ck_assert_ptr_eq(out.items[1].value.ptr, value);

        /* A 2-byte character across the limit: cut before it. */
        memcpy(value + 2047, "\xc3\xa9", 2);
        ck_assert_uint_eq(sl_label_limits_apply(&loki, &in, &out), BIT(SL_LABEL_VALUE_TOO_LONG));
        ck_assert_uint_eq(out.items[1].value.len, 2047);

        /* Exactly at the limit: kept whole. */
        sl_kvs_set(&in, SL_STR_LIT("route"), sl_str_from(value, 2048));
        memset(value, 'v', 2048);
        ck_assert_uint_eq(sl_label_limits_apply(&loki, &in, &out), 0);
        ck_assert_uint_eq(out.items[1].value.len, 2048);

        sl_kvs_set(&in, sl_str_from(name, 1024), SL_STR_LIT("x"));
        ck_assert_uint_eq(sl_label_limits_apply(&loki, &in, &out), 0);
        ck_assert_uint_eq(out.len, 3);
        sl_kvs_del(&in, sl_str_from(name, 1024));
        sl_kvs_set(&in, sl_str_from(name, 1025), SL_STR_LIT("x"));
        ck_assert_uint_eq(sl_label_limits_apply(&loki, &in, &out), BIT(SL_LABEL_NAME_TOO_LONG));
        ck_assert_uint_eq(out.len, 2);

        /* No limits: only what is never sent is left out. */
        {
                const struct sl_label_limits none = { 0, 0, 0 };
                sl_kvs_set(&in, SL_STR_LIT("route"), sl_str_from(value, big));
                ck_assert_uint_eq(sl_label_limits_apply(&none, &in, &out), 0);
                ck_assert_uint_eq(out.len, 3);
                ck_assert_uint_eq(out.items[1].value.len, big);
        }
        /* A limit under one character leaves the label out. */
        {
                const struct sl_label_limits tiny = { 0, 0, 1 };
                sl_kvs_set(&in, SL_STR_LIT("route"), SL_STR_LIT("\xc3\xa9"));
                ck_assert_uint_eq(sl_label_limits_apply(&tiny, &in, &out), BIT(SL_LABEL_VALUE_TOO_LONG));
                for (size_t i = 0; i < out.len; i++)
                        ck_assert(!sl_str_eq_c(out.items[i].name, "route"));
        }
        free(value);
        free(name);
        sl_kvs_release(&in);
        sl_kvs_release(&out);
}
END_TEST

START_TEST(reasons) {
        ck_assert_str_eq(sl_label_violation_reason(SL_LABEL_INVALID_NAME), "invalid_labels");
        ck_assert_str_eq(sl_label_violation_reason(SL_LABEL_NAME_TOO_LONG), "label_name_too_long");
        ck_assert_str_eq(sl_label_violation_reason(SL_LABEL_VALUE_TOO_LONG), "label_value_too_long");
        ck_assert_str_eq(sl_label_violation_reason(SL_LABEL_DUPLICATE_NAME), "duplicate_label_names");
        ck_assert_str_eq(sl_label_violation_reason(SL_LABEL_TOO_MANY_NAMES), "max_label_names_per_series");
}
END_TEST

static Suite *label_limits_suite(void) {
        Suite *s = suite_create("label-limits");
        TCase *tc = tcase_create("limits");

        tcase_add_loop_test(tc, table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
        tcase_add_test(tc, lengths);
        tcase_add_test(tc, reasons);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(label_limits_suite)
