/* test-stage-sampling.c - the sampling stage: a random share of the
 * entries kept, the others dropped and counted.
 *
 * Cases from Promtail 3.4 stages/sampling_test.go (TestSamplingPipeline,
 * Test_validateSamplingConfig) and the examples of the stage's
 * documentation page. Promtail's own test keeps 30 to 70 of 100 entries at
 * rate 0.5; here the counts are large enough, and the bounds wide enough,
 * that a correct stage fails them with a probability below 1e-20. */
#include <check.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

#define LINE "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"loki\",\"component\":[\"parser\",\"type\"],\"level\":\"WARN\"}"

struct drops {
        const char *reason; /* the reason looked for */
        uint64_t count;     /* its count */
        size_t reasons;     /* reasons seen */
};

static void find_drop(void *ud, const char *reason, uint64_t count) {
        struct drops *d = ud;

        d->reasons++;
        if (strcmp(reason, d->reason) == 0)
                d->count = count;
}

/* Runs @n entries through @p; returns how many were kept, and checks that
 * the others were counted under @reason. */
static size_t kept_of(struct sl_pipeline *p, size_t n, const char *reason) {
        struct drops d = { .reason = reason };
        struct sl_entry e;
        size_t kept = 0;

        sl_entry_init(&e);
        for (size_t i = 0; i < n; i++) {
                int r = st_run(p, &e, 1, LINE);
                ck_assert(r == SL_STAGE_KEEP || r == SL_STAGE_DROP);
                kept += r == SL_STAGE_KEEP;
        }
        sl_entry_release(&e);
        sl_pipeline_foreach_drop(p, find_drop, &d);
        ck_assert_uint_eq(d.count, n - kept);
        ck_assert_uint_le(d.reasons, 1);
        return kept;
}

/* TestSamplingPipeline, with more entries: rate 0.5 keeps about half. */
START_TEST(half) {
        struct sl_pipeline *p = st_pipeline("- sampling:\n    rate: 0.5\n");
        size_t kept = kept_of(p, 20000, "sampling_stage");

        ck_assert_msg(kept >= 9000 && kept <= 11000, "kept %zu of 20000", kept);
        sl_pipeline_free(p);
}
END_TEST

/* The documentation page's simple example, rate 0.1, and the bounds: 0
 * keeps none, 1 keeps all. */
START_TEST(rates) {
        struct sl_pipeline *p = st_pipeline("- sampling:\n    rate: 0.1\n");
        size_t kept = kept_of(p, 20000, "sampling_stage");

        ck_assert_msg(kept >= 1400 && kept <= 2600, "kept %zu of 20000", kept);
        sl_pipeline_free(p);
        p = st_pipeline("- sampling: {rate: 0}\n");
        ck_assert_uint_eq(kept_of(p, 1000, "sampling_stage"), 0);
        sl_pipeline_free(p);
        p = st_pipeline("- sampling: {}\n");
        ck_assert_uint_eq(kept_of(p, 1000, "sampling_stage"), 0);
        sl_pipeline_free(p);
        p = st_pipeline("- sampling: {rate: 1}\n");
        ck_assert_uint_eq(kept_of(p, 1000, "sampling_stage"), 1000);
        sl_pipeline_free(p);
        p = st_pipeline("- sampling: {rate: 1.0, drop_counter_reason: sampled_out}\n");
        ck_assert_uint_eq(kept_of(p, 1000, "sampled_out"), 1000);
        sl_pipeline_free(p);
        p = st_pipeline("- sampling: {rate: 0.0, drop_counter_reason: sampled_out}\n");
        ck_assert_uint_eq(kept_of(p, 1000, "sampled_out"), 0);
        sl_pipeline_free(p);
}
END_TEST

/* The page's second example: sampling only the lines of one app, inside
 * a match. */
START_TEST(in_match) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app:\n"
                                            "- labels:\n"
                                            "    app:\n"
                                            "- match:\n"
                                            "    pipeline_name: \"app2\"\n"
                                            "    selector: '{app=\"poki\"}'\n"
                                            "    stages:\n"
                                            "    - sampling:\n"
                                            "        rate: 0.1\n");
        struct sl_entry e;
        size_t loki = 0, poki = 0;

        sl_entry_init(&e);
        for (int i = 0; i < 10000; i++) {
                loki += st_run(p, &e, 1, "{\"app\":\"loki\"}") == SL_STAGE_KEEP;
                poki += st_run(p, &e, 1, "{\"app\":\"poki\"}") == SL_STAGE_KEEP;
        }
        ck_assert_uint_eq(loki, 10000);
        ck_assert_msg(poki >= 600 && poki <= 1400, "kept %zu of 10000", poki);
        sl_entry_release(&e);
        sl_pipeline_free(p);
}
END_TEST

/* Two stages draw different numbers: they are seeded apart. */
START_TEST(independent) {
        struct sl_pipeline *a = st_pipeline("- sampling: {rate: 0.5}\n");
        struct sl_pipeline *b = st_pipeline("- sampling: {rate: 0.5}\n");
        struct sl_entry e;
        int same = 0;

        sl_entry_init(&e);
        for (int i = 0; i < 256; i++)
                same += st_run(a, &e, 1, "x") == st_run(b, &e, 1, "x");
        ck_assert_int_lt(same, 256);
        sl_entry_release(&e);
        sl_pipeline_free(a);
        sl_pipeline_free(b);
}
END_TEST

/* Test_validateSamplingConfig: a rate out of [0, 1] is refused. */
START_TEST(config_errors) {
        static const struct {
                const char *yaml, *msg;
        } bad[] = {
                { "- sampling: {rate: 12}\n", "between 0.0 and 1.0, received 12.000000" },
                { "- sampling: {rate: -0.1}\n", "between 0.0 and 1.0" },
                { "- sampling: {rate: half}\n", "number" },
                { "- sampling: {rate: [1]}\n", "number" },
                { "- sampling: {rate: 0.5, reason: x}\n", "reason" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strstr(msg, bad[i].msg) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].sampling", 27) == 0, "%s", msg);
        }
}
END_TEST

static Suite *sampling_suite(void) {
        Suite *s = suite_create("stage-sampling");
        TCase *tc = tcase_create("sampling");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, half);
        tcase_add_test(tc, rates);
        tcase_add_test(tc, in_match);
        tcase_add_test(tc, independent);
        tcase_add_test(tc, config_errors);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(sampling_suite)
