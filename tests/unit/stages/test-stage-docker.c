/* test-stage-docker.c - the docker stage: decoding, escapes, zero copy,
 * split messages, malformed records kept raw. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

#define T0 "2026-01-02T03:04:05.123456789Z"
#define T0_NS (1767323045LL * 1000000000LL + 123456789)
#define T1 "2026-01-02T03:04:06Z"
#define T1_NS (1767323046LL * 1000000000LL)

static struct sl_pipeline *p;
static struct sl_entry e;

static void setup(void) {
        p = st_pipeline("- docker: {}\n");
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_pipeline_free(p);
        sl_entry_release(&e);
}

START_TEST(plain_record) {
        const char *in = "{\"log\":\"hello world\\n\",\"stream\":\"stdout\",\"time\":\"" T0 "\"}";

        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        st_assert_str(e.line, "hello world");
        ck_assert_int_eq(e.ts_ns, T0_NS);
        st_assert_kv(&e.labels, "stream", "stdout");
        st_assert_kv(&e.extracted, "stream", "stdout");
}
END_TEST

START_TEST(zero_copy_when_only_the_newline_is_escaped) {
        const char *in = "{\"log\":\"GET /health 200\\n\",\"stream\":\"stderr\",\"time\":\"" T0 "\"}";

        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        st_assert_str(e.line, "GET /health 200");
        /* The line is a slice of the record itself, nothing copied. */
        ck_assert_ptr_eq(e.line.ptr, in + strlen("{\"log\":\""));
        ck_assert(!sl_arena_owns(&e.arena, e.line.ptr));
        ck_assert_uint_eq(e.arena.used, 0);
        st_assert_kv(&e.labels, "stream", "stderr");
}
END_TEST

START_TEST(any_key_order_and_extra_keys) {
        const char *in = " { \"time\" : \"" T1 "\" , \"attrs\":{\"a\":[1,2,{\"b\":\"}]\\\"\"}]},"
                         "\"stream\":\"stderr\",\"n\":-1.5e3,\"t\":true,\"z\":null,"
                         "\"log\":\"x y\\n\" } \n";

        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        st_assert_str(e.line, "x y");
        ck_assert_int_eq(e.ts_ns, T1_NS);
        st_assert_kv(&e.labels, "stream", "stderr");
}
END_TEST

static const struct {
        const char *log;  /* JSON string body, as written */
        const char *want; /* decoded line */
        size_t want_len;  /* 0: strlen(want) */
        bool in_place;    /* only the final newline is escaped: no copy */
} escape_cases[] = {
        { "a\\tb\\\"c\\\\d\\/e\\n", "a\tb\"c\\d/e", 0, false },
        { "\\b\\f\\r\\n", "\b\f\r", 0, false },
        { "caf\\u00e9\\n", "caf\xc3\xa9", 0, false },
        { "caf\\u00E9\\n", "caf\xc3\xa9", 0, false },
        { "\\u20ac\\n", "\xe2\x82\xac", 0, false },
        { "smile \\ud83d\\ude00!\\n", "smile \xf0\x9f\x98\x80!", 0, false },
        { "lone \\ud83d here\\n", "lone \xef\xbf\xbd here", 0, false },
        { "lone \\ude00 low\\n", "lone \xef\xbf\xbd low", 0, false },
        { "nul \\u0000 byte\\n", "nul \0 byte", 10, false },
        { "two lines\\nin one\\n", "two lines\nin one", 0, false },
        /* an escaped backslash, then the newline */
        { "ends with \\\\\\n", "ends with \\", 0, false },
        { "utf8 as is: \xc3\xa9\\n", "utf8 as is: \xc3\xa9", 0, true },
};

START_TEST(escapes_table) {
        char in[256];
        const char *want = escape_cases[_i].want;
        size_t want_len = escape_cases[_i].want_len ? escape_cases[_i].want_len : strlen(want);

        snprintf(in, sizeof(in), "{\"log\":\"%s\",\"stream\":\"stdout\",\"time\":\"%s\"}",
                 escape_cases[_i].log, T0);
        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        ck_assert_msg(e.line.len == want_len && memcmp(e.line.ptr, want, want_len) == 0,
                      "case %d: got \"%.*s\"", _i, (int)e.line.len, e.line.ptr);
        /* Decoded text lives in the entry's arena; text whose only escape
         * is the final newline is not decoded at all. */
        ck_assert(sl_arena_owns(&e.arena, e.line.ptr) == !escape_cases[_i].in_place);
        ck_assert_int_eq(e.ts_ns, T0_NS);
}
END_TEST

START_TEST(split_three_pieces) {
        const char *pieces[] = {
                "{\"log\":\"first-\",\"stream\":\"stdout\",\"time\":\"" T0 "\"}",
                "{\"log\":\"se\\u00e7ond-\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}",
                "{\"log\":\"third\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}",
        };

        ck_assert_int_eq(st_run(p, &e, 5, pieces[0]), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, pieces[1]), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, pieces[2]), SL_STAGE_KEEP);
        st_assert_str(e.line, "first-se\xc3\xa7ond-third");
        /* The time of the first piece. */
        ck_assert_int_eq(e.ts_ns, T0_NS);
        st_assert_kv(&e.labels, "stream", "stdout");

        /* The next record of the source stands alone. */
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"next\\n\",\"time\":\"" T1 "\"}"),
                         SL_STAGE_KEEP);
        st_assert_str(e.line, "next");
        ck_assert_int_eq(e.ts_ns, T1_NS);
        /* And a new split message after that one works the same. */
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"again-\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"done\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "again-done");
}
END_TEST

START_TEST(split_back_to_back) {
        /* Two split messages in a row: the first one's buffer is reused. */
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"a1-\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"a2\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "a1-a2");
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"b1-\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"b2\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "b1-b2");
}
END_TEST

START_TEST(escaped_backslash_n_is_not_a_newline) {
        /* `a\\n` is "a", a backslash and "n": a piece, not a line. */
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"a\\\\n\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 5, "{\"log\":\"b\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "a\\nb");
}
END_TEST

START_TEST(split_two_sources_interleaved) {
        ck_assert_int_eq(st_run(p, &e, 1, "{\"log\":\"a1-\",\"time\":\"" T0 "\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 2, "{\"log\":\"b1-\",\"time\":\"" T1 "\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 3, "{\"log\":\"plain\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "plain");
        ck_assert_int_eq(st_run(p, &e, 1, "{\"log\":\"a2\\n\",\"time\":\"" T1 "\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "a1-a2");
        ck_assert_int_eq(e.ts_ns, T0_NS);
        ck_assert_int_eq(st_run(p, &e, 2, "{\"log\":\"b2-\"}"), SL_STAGE_HOLD);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"log\":\"a3\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "a3");
        ck_assert_int_eq(st_run(p, &e, 2, "{\"log\":\"b3\\n\",\"time\":\"" T0 "\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "b1-b2-b3");
        ck_assert_int_eq(e.ts_ns, T1_NS);
}
END_TEST

START_TEST(split_forget_drops_pieces) {
        ck_assert_int_eq(st_run(p, &e, 9, "{\"log\":\"lost-\"}"), SL_STAGE_HOLD);
        sl_pipeline_forget(p, 9);
        ck_assert_int_eq(st_run(p, &e, 9, "{\"log\":\"fresh\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "fresh");
        /* Forgetting an unknown source is harmless. */
        sl_pipeline_forget(p, 12345);
}
END_TEST

START_TEST(split_cap_ships_what_is_held) {
        enum { PIECE = 16384, CAP = 1024 * 1024 };
        size_t n_pieces = CAP / PIECE + 1, len = PIECE + 64;
        char *rec = malloc(len);
        int r;

        memcpy(rec, "{\"log\":\"", 8);
        memset(rec + 8, 'x', PIECE);
        memcpy(rec + 8 + PIECE, "\"}", 3);
        for (size_t i = 0; i + 1 < n_pieces; i++) {
                rec[8] = (char)('a' + i % 26);
                r = st_run(p, &e, 4, rec);
                ck_assert_msg(r == SL_STAGE_HOLD, "piece %zu: %d", i, r);
        }
        /* This piece takes the buffer past 1 MiB: everything held goes. */
        ck_assert_int_eq(st_run(p, &e, 4, rec), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.line.len, n_pieces * PIECE);
        ck_assert_int_eq(e.line.ptr[0], 'a');
        ck_assert_int_eq(e.line.ptr[PIECE], 'b');
        /* The rest of the message comes as an entry of its own. */
        ck_assert_int_eq(st_run(p, &e, 4, "{\"log\":\"tail\\n\"}"), SL_STAGE_KEEP);
        st_assert_str(e.line, "tail");
        free(rec);
}
END_TEST

static const char *const malformed_cases[] = {
        "not json at all",
        "",
        "{",
        "{\"log\":\"truncated",
        "{\"log\":\"x\\n\",\"stream\":\"stdout\"",
        "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"" T0 "\"",
        "{\"stream\":\"stdout\",\"time\":\"" T0 "\"}",
        "{}",
        "{\"log\":42}",
        "{\"log\":null}",
        "{\"log\":\"x\\n\",\"log\":{}}",
        "{\"log\":\"bad \\q escape\\n\"}",
        "{\"log\":\"bad \\u12 escape\\n\"}",
        "{\"log\":\"bad \\uzzzz escape\\n\"}",
        "{\"log\":\"ends in a backslash\\",
        "{\"log\":\"raw\ttab\\n\"}",
        "{\"log\":\"x\\n\"} trailing",
        "{\"log\":\"x\\n\",}",
        "{\"log\" \"x\\n\"}",
        "{log:\"x\\n\"}",
        "[{\"log\":\"x\\n\"}]",
        "{\"a\":{\"b\":[1,2},\"log\":\"x\\n\"}",
        "{\"a\":,\"log\":\"x\\n\"}",
        "\"log\"",
};

START_TEST(malformed_kept_raw) {
        const char *in = malformed_cases[_i];

        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        ck_assert_ptr_eq(e.line.ptr, in);
        ck_assert_uint_eq(e.line.len, strlen(in));
        ck_assert_int_eq(e.ts_ns, 0);
        st_assert_kv(&e.labels, "stream", NULL);
}
END_TEST

/* A NUL byte right after a number is not JSON (RFC 8259), though jansson
 * 2.14 drops it and reads the record: the stage keeps such a line as it
 * came (the fuzz target's regression input regress-nul-after-number). */
START_TEST(nul_after_number_kept_raw) {
        static const char in[] = "{\"log\":\"a\\n\",\"time\":1\0}";

        ck_assert_int_eq(st_run_n(p, &e, 1, in, sizeof(in) - 1), SL_STAGE_KEEP);
        ck_assert_ptr_eq(e.line.ptr, in);
        ck_assert_uint_eq(e.line.len, sizeof(in) - 1);
        ck_assert_int_eq(e.ts_ns, 0);
        st_assert_kv(&e.labels, "stream", NULL);
}
END_TEST

START_TEST(bad_or_missing_time_keeps_entry_time) {
        static const char *const recs[] = {
                "{\"log\":\"a\\n\",\"time\":\"yesterday\"}",
                "{\"log\":\"a\\n\",\"time\":\"2026-01-02T03:04:05\"}",
                "{\"log\":\"a\\n\",\"time\":12}",
                "{\"log\":\"a\\n\"}",
        };

        for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
                sl_entry_reset(&e);
                e.ts_ns = 42;
                e.source_id = 1;
                e.line = sl_str_c(recs[i]);
                ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
                st_assert_str(e.line, "a");
                ck_assert_int_eq(e.ts_ns, 42);
        }
}
END_TEST

START_TEST(escaped_stream) {
        ck_assert_int_eq(st_run(p, &e, 1, "{\"log\":\"a\\n\",\"stream\":\"std\\u006fut\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.labels, "stream", "stdout");
}
END_TEST

START_TEST(no_keys_accepted) {
        struct sl_cfg_error err;
        char msg[1024];

        st_pipeline_fails("- docker: {format: x}\n", &err, msg, sizeof(msg));
        ck_assert_str_eq(err.key, "pipeline_stages[0].docker.format");
        ck_assert_uint_eq(err.line, 1);
}
END_TEST

/* `log` is scanned and decoded 8 bytes at a time: every kind of byte that
 * needs a look, at every position of a block, with plain runs after it
 * ending at every distance from the end of the string. */
START_TEST(log_blocks) {
        static const struct {
                const char *raw;     /* as written in the JSON string */
                const char *decoded; /* NULL: the record is kept as it came */
        } specials[] = {
                { "\\\"", "\"" },          { "\\\\", "\\" },      { "\\/", "/" },
                { "\\t", "\t" },           { "\\u00e9", "\xc3\xa9" },
                { "\\ud83d\\ude00", "\xf0\x9f\x98\x80" },         { "\\ud83d", "\xef\xbf\xbd" },
                { "\\\"\\\\\\n", "\"\\\n" }, { "\xc3\xa9", "\xc3\xa9" }, { "\x7f\xff", "\x7f\xff" },
                { "\x01", NULL },          { "\x1f", NULL },      { "\\q", NULL },
                { "\\u12x4", NULL },       { "\\\x01", NULL },
        };
        char in[256], want[128];

        /* With a lead escape, decoding starts at once and the special
         * falls at every place of the 16-byte blocks decoding takes. */
        for (int lead = 0; lead < 2; lead++)
        for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
                for (size_t at = 0; at < (lead ? 40 : 20); at++) {
                        for (size_t tail = 0; tail < (lead ? 40 : 12); tail++) {
                                for (int newline = 0; newline < 2; newline++) {
                                        int n = snprintf(in, sizeof(in), "{\"log\":\"%s%.*s%s%.*s%s\"}",
                                                         lead ? "\\\"" : "", (int)at,
                                                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                                         specials[k].raw, (int)tail,
                                                         "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
                                                         newline ? "\\n" : "");
                                        int r = st_run_n(p, &e, 100 + (uint64_t)newline, in, (size_t)n);

                                        if (!specials[k].decoded) {
                                                ck_assert_msg(r == SL_STAGE_KEEP && e.line.ptr == in,
                                                              "special %zu at %zu tail %zu: not kept raw", k,
                                                              at, tail);
                                                continue;
                                        }
                                        size_t want_len;
                                        bool complete;

                                        snprintf(want, sizeof(want), "%s%.*s%s%.*s", lead ? "\"" : "",
                                                 (int)at, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                                 specials[k].decoded, (int)tail,
                                                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
                                        /* A decoded newline at the end completes it too. */
                                        want_len = strlen(want);
                                        complete = newline || want[want_len - 1] == '\n';
                                        if (!newline && complete)
                                                want[want_len - 1] = '\0';
                                        /* Without the final newline each record is a piece, held;
                                         * its text shows in the joined line of the next one. */
                                        ck_assert_int_eq(r, (complete ? SL_STAGE_KEEP : SL_STAGE_HOLD));
                                        if (!complete) {
                                                ck_assert_int_eq(st_run(p, &e, 100, "{\"log\":\"\\n\"}"),
                                                                 SL_STAGE_KEEP);
                                        }
                                        ck_assert_msg(sl_str_eq_c(e.line, want),
                                                      "special %zu at %zu tail %zu newline %d: got \"%.*s\"",
                                                      k, at, tail, newline, (int)e.line.len, e.line.ptr);
                                }
                        }
                }
        }
}
END_TEST

/* An app's JSON in `log`: escaped quotes every few bytes, in runs of
 * blocks decoded whole, with a backslash at every place (the last byte of a
 * block too, its quote in the next), among plain bytes, other escapes, and
 * a control byte (kept raw) now and then. Each text is drawn from a fixed
 * seed. */
START_TEST(log_escaped_quote_runs) {
        static const struct {
                const char *raw, *decoded;
        } pieces[] = {
                { "\\\"", "\"" }, { "\\\"", "\"" }, { "\\\"", "\"" }, { "a", "a" },
                { "bc", "bc" },   { "\\\\", "\\" }, { "\\n", "\n" },   { "\"", NULL },
                { "\x01", NULL },
        };
        char in[512], want[512];
        uint32_t seed = 1;

        for (int round = 0; round < 3000; round++) {
                size_t n = 0, w = 0, len;
                bool raw = false;
                int r;

                n = (size_t)snprintf(in, sizeof(in), "{\"log\":\"");
                seed = seed * 1103515245u + 12345u;
                len = 20 + (seed >> 16) % 200;
                while (n < len) {
                        size_t k;

                        seed = seed * 1103515245u + 12345u;
                        k = (seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]));
                        /* A lone quote or control byte: one record in 8 has them. */
                        if (!pieces[k].decoded && (round % 8 || raw))
                                k = 0;
                        memcpy(in + n, pieces[k].raw, strlen(pieces[k].raw));
                        n += strlen(pieces[k].raw);
                        if (!pieces[k].decoded) {
                                raw = true;
                                continue;
                        }
                        memcpy(want + w, pieces[k].decoded, strlen(pieces[k].decoded));
                        w += strlen(pieces[k].decoded);
                }
                want[w] = '\0';
                n += (size_t)snprintf(in + n, sizeof(in) - n, "\\n\",\"stream\":\"stdout\"}");
                r = st_run_n(p, &e, 7, in, n);
                ck_assert_int_eq(r, SL_STAGE_KEEP);
                if (raw) {
                        /* A lone quote ends the string before bytes that
                         * cannot follow it: not JSON either. */
                        ck_assert_msg(e.line.ptr == in && e.line.len == n, "round %d: \"%.*s\" not kept raw",
                                      round, (int)n, in);
                        continue;
                }
                ck_assert_msg(sl_str_eq_c(e.line, want), "round %d: \"%.*s\" gave \"%.*s\"", round, (int)n,
                              in, (int)e.line.len, e.line.ptr);
        }
}
END_TEST

/* The record whose only escape is the final newline stays a slice of the
 * line at every length, and a string without any escape too. */
START_TEST(log_in_place_any_length) {
        char in[128];

        for (size_t len = 0; len < 40; len++) {
                int n = snprintf(in, sizeof(in), "{\"log\":\"%.*s\\n\",\"stream\":\"stdout\"}", (int)len,
                                 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH");

                ck_assert_int_eq(st_run_n(p, &e, 1, in, (size_t)n), SL_STAGE_KEEP);
                ck_assert_ptr_eq(e.line.ptr, in + 8);
                ck_assert_uint_eq(e.line.len, len);
                ck_assert_uint_eq(e.arena.used, 0);
        }
}
END_TEST

/* A repeated `log`: the last one wins, whatever the ones before held. */
START_TEST(log_repeated) {
        static const struct {
                const char *in;
                const char *want; /* NULL: kept as it came */
        } cases[] = {
                { "{\"log\":\"a\\\"long\\\" first one\\n\",\"log\":\"b\\tc\\n\"}", "b\tc" },
                { "{\"log\":\"a\\tb\\n\",\"log\":\"plain\\n\"}", "plain" },
                { "{\"log\":\"bad \\q\\n\",\"log\":\"good\\t\\n\"}", "good\t" },
                { "{\"log\":\"good\\t\\n\",\"log\":\"bad \\q\\n\"}", NULL },
                { "{\"log\":\"bad \\u12\\n\",\"log\":\"good\\n\"}", "good" },
                { "{\"log\":\"x\\ty\\n\",\"log\":7}", NULL },
                { "{\"log\":7,\"log\":\"x\\ty\\n\"}", "x\ty" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ck_assert_int_eq(st_run(p, &e, 1, cases[i].in), SL_STAGE_KEEP);
                if (cases[i].want)
                        ck_assert_msg(sl_str_eq_c(e.line, cases[i].want), "case %zu: got \"%.*s\"", i,
                                      (int)e.line.len, e.line.ptr);
                else
                        ck_assert_msg(e.line.ptr == cases[i].in, "case %zu: not kept raw", i);
        }
}
END_TEST

/* However many `log` members a record repeats, decoding them takes room
 * for one line from the entry's arena, not one per member. */
START_TEST(log_repeated_memory_bounded) {
        enum { N = 2000 };
        const char member[] = "\"log\":\"a\\tb\\\"c\\\"d\\n\",";
        size_t len = 2 + N * (sizeof(member) - 1) + 16;
        char *in = malloc(len), *at = in;

        *at++ = '{';
        for (size_t i = 0; i < N; i++) {
                memcpy(at, member, sizeof(member) - 1);
                at += sizeof(member) - 1;
        }
        memcpy(at, "\"log\":\"end\\t\\n\"}", 17);
        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        st_assert_str(e.line, "end\t");
        ck_assert_uint_le(e.arena.used, 2 * strlen(in) + 64);
        free(in);
}
END_TEST

static Suite *docker_suite(void) {
        Suite *s = suite_create("stage-docker");
        TCase *tc = tcase_create("docker");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, plain_record);
        tcase_add_test(tc, nul_after_number_kept_raw);
        tcase_add_test(tc, zero_copy_when_only_the_newline_is_escaped);
        tcase_add_test(tc, any_key_order_and_extra_keys);
        tcase_add_loop_test(tc, escapes_table, 0,
                            (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
        tcase_add_test(tc, split_three_pieces);
        tcase_add_test(tc, split_back_to_back);
        tcase_add_test(tc, escaped_backslash_n_is_not_a_newline);
        tcase_add_test(tc, split_two_sources_interleaved);
        tcase_add_test(tc, split_forget_drops_pieces);
        tcase_add_test(tc, split_cap_ships_what_is_held);
        tcase_add_loop_test(tc, malformed_kept_raw, 0,
                            (int)(sizeof(malformed_cases) / sizeof(malformed_cases[0])));
        tcase_add_test(tc, bad_or_missing_time_keeps_entry_time);
        tcase_add_test(tc, escaped_stream);
        tcase_add_test(tc, no_keys_accepted);
        tcase_add_test(tc, log_blocks);
        tcase_add_test(tc, log_escaped_quote_runs);
        tcase_add_test(tc, log_in_place_any_length);
        tcase_add_test(tc, log_repeated);
        tcase_add_test(tc, log_repeated_memory_bounded);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(docker_suite)
