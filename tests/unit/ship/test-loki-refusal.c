/* test-loki-refusal.c - counting what a 400 from Loki refused. The messages
 * are Loki 3.4's (pkg/validation/validate.go), formatted as its distributor
 * formats them and grouped as its util.GroupedErrors groups them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ship/batch.h"
#include "ship/loki-refusal.h"
#include "sl-test.h"

#define OK_STREAM "{job=\"api\", route=\"/ok\"}"
#define MANY_STREAM                                                                                        \
        "{l00=\"v\", l01=\"v\", l02=\"v\", l03=\"v\", l04=\"v\", l05=\"v\", l06=\"v\", l07=\"v\", l08=\"v\", " \
        "l09=\"v\", l10=\"v\", l11=\"v\", l12=\"v\", l13=\"v\", l14=\"v\", l15=\"v\", l16=\"v\", l17=\"v\", "   \
        "l18=\"v\", l19=\"v\"}"

static char long_stream[3100];
static char long_value[3001];

/* Streams in order: OK_STREAM 3 entries, long_stream 2, MANY_STREAM 1,
 * {job="x"} 4: entries 0-2, 3-4, 5, 6-9. */
static struct sl_batch *make(void) {
        struct sl_batch *b = sl_batch_new(0, 0);
        const char *labels[] = { OK_STREAM, long_stream, MANY_STREAM, "{job=\"x\"}" };
        const size_t n[] = { 3, 2, 1, 4 };

        memset(long_value, 'r', 3000);
        long_value[3000] = '\0';
        snprintf(long_stream, sizeof(long_stream), "{job=\"api\", route=\"%s\"}", long_value);
        for (size_t s = 0; s < 4; s++) {
                uint32_t stream = sl_batch_stream(b, sl_str_c(labels[s]));
                for (size_t i = 0; i < n[s]; i++)
                        sl_batch_add(b, stream, (int64_t)(s * 100 + i + 1), SL_STR_LIT("line"), NULL);
        }
        sl_batch_seal(b);
        return b;
}

static ssize_t count(const struct sl_batch *b, size_t first, size_t n, const char *text, bool complete) {
        return sl_loki_refused_entries(b, first, n, text, strlen(text), complete);
}

START_TEST(stream_refusals) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make();
        char *text = NULL;

        /* The case of the issue: a 3,000-byte label value and 20 labels. */
        ck_assert_int_gt(asprintf(&text,
                                  "1 errors like: stream '%s' has label value too long: '%s'; 1 errors like: "
                                  "entry for stream '" MANY_STREAM "' has 20 label names; limit 15",
                                  long_stream, long_value),
                         0);
        ck_assert_int_eq(count(b, 0, 10, text, true), 3);
        /* Alone, without the group prefix. */
        free(text);
        ck_assert_int_gt(asprintf(&text, "stream '%s' has label value too long: '%s'", long_stream, long_value), 0);
        ck_assert_int_eq(count(b, 0, 10, text, true), 2);
        free(text);
        ck_assert_int_eq(count(b, 0, 10, "stream '{job=\"x\"}' has label name too long: 'aaaa'", true), 4);
        ck_assert_int_eq(count(b, 0, 10, "stream '{job=\"x\"}' has duplicate label name: 'job'", true), 4);
        ck_assert_int_eq(count(b, 0, 10, "Error parsing labels '{job=\"x\"}' with error: 1:2: parse error", true), 4);
}
END_TEST

START_TEST(entry_refusals) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make();

        ck_assert_int_eq(count(b, 0, 10,
                               "1 errors like: entry for stream '" OK_STREAM "' has timestamp too old: "
                               "1970-01-01T00:00:00Z, oldest acceptable timestamp is: 2026-01-01T00:00:00Z; "
                               "1 errors like: entry for stream '" OK_STREAM "' has timestamp too old: "
                               "1970-01-01T00:00:01Z, oldest acceptable timestamp is: 2026-01-01T00:00:00Z",
                               true),
                         2);
        /* Grouped: N of them, at most the stream's entries. */
        ck_assert_int_eq(count(b, 0, 10,
                               "2 errors like: Max entry size '262144' bytes exceeded for stream '{job=\"x\"}' "
                               "while adding an entry with length '300000' bytes",
                               true),
                         2);
        ck_assert_int_eq(count(b, 0, 10,
                               "9 errors like: entry for stream '{job=\"x\"}' has timestamp too new: "
                               "2030-01-01T00:00:00Z",
                               true),
                         4);
        ck_assert_int_eq(count(b, 0, 10,
                               "stream '{job=\"x\"}' includes structured metadata, but this feature is "
                               "disallowed. Please see `limits_config.allow_structured_metadata` or contact "
                               "your Loki administrator to enable it.",
                               true),
                         1);
}
END_TEST

START_TEST(parts_and_unknown_answers) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make();
        const char *x = "stream '{job=\"x\"}' has label value too long: 'v'";

        /* Only the part's entries of a named stream: 6-9 in [5, 8) are 6, 7. */
        ck_assert_int_eq(count(b, 5, 3, x, true), 2);
        /* A stream outside the part is not counted; nothing of the part named. */
        ck_assert_int_eq(count(b, 0, 3, x, true), -1);
        /* Not Loki's wording, or not about these streams. */
        ck_assert_int_eq(count(b, 0, 10, "entry too far behind, entry timestamp is older than the newest", true), -1);
        ck_assert_int_eq(count(b, 0, 10, "", true), -1);
        ck_assert_int_eq(count(b, 0, 10, "missing required labels team for user fake", true), -1);
        /* A quoted label text that is not in a known message. */
        ck_assert_int_eq(count(b, 0, 10, "something about '{job=\"x\"}' here", true), -1);
        /* A cut answer: the streams it does not name may be in what was cut. */
        ck_assert_int_eq(count(b, 0, 10, x, false), 10);
        ck_assert_int_eq(count(b, 5, 3, x, false), 3);
        /* The labels text of one stream inside another's value is not a message about it. */
        ck_assert_int_eq(count(b, 0, 10, "stream '{job=\"x\"}' has label value too long: 'stream '" OK_STREAM "' x'",
                               true),
                         4);
}
END_TEST

static Suite *loki_refusal_suite(void) {
        Suite *s = suite_create("loki-refusal");
        TCase *tc = tcase_create("refusal");

        tcase_add_test(tc, stream_refusals);
        tcase_add_test(tc, entry_refusals);
        tcase_add_test(tc, parts_and_unknown_answers);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(loki_refusal_suite)
