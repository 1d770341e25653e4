/* test-json-scan.c - the JSON scanner: which documents are valid (a table
 * with Python's json.loads verdict beside ours, every difference explained),
 * nesting depth, numbers at the double overflow threshold, extraction of
 * top-level and dotted paths, duplicate and escaped keys, the path set, and
 * the string unescape the docker stage shares. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl-test.h"
#include "stages/json-scan.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Builds a path set from dotted paths ("a.b"; no quoting needed here). */
static struct sl_json_paths *paths_of(const char *const *dotted, size_t n, int *slots) {
        struct sl_json_paths *paths = sl_json_paths_new();

        for (size_t i = 0; i < n; i++) {
                struct sl_str keys[SL_JSON_PATH_MAX_KEYS];
                size_t n_keys = 0;
                const char *p = dotted[i];

                for (;;) {
                        const char *dot = strchr(p, '.');
                        size_t len = dot ? (size_t)(dot - p) : strlen(p);
                        ck_assert_uint_lt(n_keys, SL_JSON_PATH_MAX_KEYS);
                        keys[n_keys++] = sl_str_from(p, len);
                        if (!dot)
                                break;
                        p = dot + 1;
                }
                slots[i] = sl_json_paths_add(paths, keys, n_keys);
                ck_assert_int_ge(slots[i], 0);
        }
        return paths;
}

/* Validity. `python` is what python3 -c 'json.loads(...)' said of the
 * text (bytes that are not UTF-8 counted as refused); `valid` is ours,
 * which is jansson's (the json stage's parser before the scanner). Where
 * the two differ, `why` says so. */
static const struct {
        const char *text;
        size_t len;
        bool python;
        bool valid;
        const char *why;
} validity_cases[] = {
        { "{}", 2, true, true, NULL },
        { "[]", 2, true, true, NULL },
        { "0", 1, true, true, NULL },
        { "-0", 2, true, true, NULL },
        { "1.5", 3, true, true, NULL },
        { "\"s\"", 3, true, true, NULL },
        { "true", 4, true, true, NULL },
        { "false", 5, true, true, NULL },
        { "null", 4, true, true, NULL },
        { " \t\n\r{}\r\n ", 9, true, true, NULL },
        { "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", 28, true, true, NULL },
        { "{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }", 29, true, true, NULL },
        { "", 0, false, false, NULL },
        { "   ", 3, false, false, NULL },
        { "1.", 2, false, false, NULL },
        { "-", 1, false, false, NULL },
        { "01", 2, false, false, NULL },
        { "-01", 3, false, false, NULL },
        { "00", 2, false, false, NULL },
        { "1e", 2, false, false, NULL },
        { "1e+", 3, false, false, NULL },
        { "1E-5", 4, true, true, NULL },
        { "1e+05", 5, true, true, NULL },
        { ".5", 2, false, false, NULL },
        { "+1", 2, false, false, NULL },
        { "1.5.3", 5, false, false, NULL },
        { "0x10", 4, false, false, NULL },
        { "--1", 3, false, false, NULL },
        { "-0.0e-0", 7, true, true, NULL },
        { "\"\\u12\"", 6, false, false, NULL },
        { "\"\\u12zz\"", 8, false, false, NULL },
        { "\"\\x\"", 4, false, false, NULL },
        { "\"\\U0041\"", 8, false, false, NULL },
        { "\"\\", 2, false, false, NULL },
        { "\"abc", 4, false, false, NULL },
        { "\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"", 18, true, true, NULL },
        { "[1,]", 4, false, false, NULL },
        { "{\"a\":1,}", 8, false, false, NULL },
        { "{,}", 3, false, false, NULL },
        { "[,1]", 4, false, false, NULL },
        { "[1 2]", 5, false, false, NULL },
        { "{\"a\" 1}", 7, false, false, NULL },
        { "{\"a\":}", 6, false, false, NULL },
        { "{1:2}", 5, false, false, NULL },
        { "{'a':1}", 7, false, false, NULL },
        { "{\"a\":1}}", 8, false, false, NULL },
        { "[1]]", 4, false, false, NULL },
        { "{\"a\":1", 6, false, false, NULL },
        { "[", 1, false, false, NULL },
        { "\xef\xbb\xbf{}", 5, false, false, NULL },
        { "{}x", 3, false, false, NULL },
        { "{} {}", 5, false, false, NULL },
        { "{}\x00", 3, false, false, NULL },
        /* jansson 2.14 drops a NUL right after a number, true, false or null
         * (found by the differential fuzz target); json-scan refuses such
         * text (json-scan.h). */
        { "1\x00", 2, false, false, NULL },
        { "0.3000000000000000\x00", 19, false, false, NULL },
        { "[1\x00,2]", 6, false, false, NULL },
        { "{\"a\":true\x00}", 11, false, false, NULL },
        { "[null\x00]", 7, false, false, NULL },
        { "\x0c{}", 3, false, false, NULL },
        { "nul", 3, false, false, NULL },
        { "tru", 3, false, false, NULL },
        { "nulll", 5, false, false, NULL },
        { "True", 4, false, false, NULL },
        { "NaN", 3, true, false, "Python accepts NaN and Infinity; RFC 8259 and jansson do not" },
        { "Infinity", 8, true, false, "Python accepts NaN and Infinity; RFC 8259 and jansson do not" },
        { "-Infinity", 9, true, false, "Python accepts NaN and Infinity; RFC 8259 and jansson do not" },
        { "\"a\x01\"", 4, false, false, NULL },
        { "\"a\x1f\"", 4, false, false, NULL },
        { "\"tab\there\"", 10, false, false, NULL },
        { "\"a\x7f\"", 4, true, true, NULL },
        { "\"a\x00\x62\"", 5, false, false, NULL },
        { "\"\\ud800\"", 8, true, false, "a lone surrogate: RFC 8259 allows it, jansson refuses it" },
        { "\"\\udc00\"", 8, true, false, "a lone surrogate: RFC 8259 allows it, jansson refuses it" },
        { "\"\\ud800\\u0041\"", 14, true, false, "a lone surrogate: RFC 8259 allows it, jansson refuses it" },
        { "\"\\ud800\\ud800\"", 14, true, false, "a lone surrogate: RFC 8259 allows it, jansson refuses it" },
        { "\"\\ud83d\\ude00\"", 14, true, true, NULL },
        { "\"\\uD834\\uDD1E\"", 14, true, true, NULL },
        { "{\"a\\u0000\":1}", 13, true, false, "jansson refuses \\u0000 in a key" },
        { "\"a\\u0000b\"", 10, true, true, NULL },
        { "\"\xc3\xa9\"", 4, true, true, NULL },
        { "\"\xe2\x82\xac\"", 5, true, true, NULL },
        { "\"\xf0\x9f\x98\x80\"", 6, true, true, NULL },
        { "\"\xc0\x80\"", 4, false, false, NULL },
        { "\"\xc1\xbf\"", 4, false, false, NULL },
        { "\"\xe0\x80\x80\"", 5, false, false, NULL },
        { "\"\xed\xa0\x80\"", 5, false, false, NULL },
        { "\"\xf0\x80\x80\x80\"", 6, false, false, NULL },
        { "\"\xf4\x90\x80\x80\"", 6, false, false, NULL },
        { "\"\xf5\x80\x80\x80\"", 6, false, false, NULL },
        { "\"\xff\"", 3, false, false, NULL },
        { "\"\x80\"", 3, false, false, NULL },
        { "\"\xe2\x82\"", 4, false, false, NULL },
        { "\"\xc3\"", 3, false, false, NULL },
        { "\xc3\xa9", 2, false, false, NULL },
        { "1e400", 5, true, false, "Python reads it as inf; jansson refuses a real that overflows" },
        { "-1e400", 6, true, false, "Python reads it as -inf; jansson refuses a real that overflows" },
        { "1e-400", 6, true, true, NULL },
        { "5e-324", 6, true, true, NULL },
        { "1.7976931348623157e308", 22, true, true, NULL },
        { "1.7976931348623158e308", 22, true, true, NULL },
        { "123456789012345678901234567890", 30, true, true, NULL },
        { "9223372036854775808", 19, true, true, NULL },
};

START_TEST(validity) {
        static const char *const dotted[] = { "a", "a.b", "c" };
        const char *text = validity_cases[_i].text;
        size_t len = validity_cases[_i].len;
        bool valid = validity_cases[_i].valid;
        struct sl_json_value values[3];
        struct sl_json_doc doc;
        int slots[3];
        struct sl_json_paths *paths = paths_of(dotted, 3, slots);
        /* A copy with no NUL after it, so nothing can read past len. */
        char *copy = malloc(len ? len : 1);

        memcpy(copy, text, len);
        ck_assert_msg(valid == validity_cases[_i].python || validity_cases[_i].why,
                      "case %d: differs from Python with no reason given", _i);
        ck_assert_msg((sl_json_scan(NULL, copy, len, NULL, &doc) == 0) == valid,
                      "case %d (%.*s): want %s", _i, (int)len, text, valid ? "valid" : "invalid");
        /* The same verdict when paths are looked for (members are walked
         * by the path-following code instead of the skipper). */
        ck_assert_msg((sl_json_scan(paths, copy, len, values, &doc) == 0) == valid,
                      "case %d (%.*s) with paths: want %s", _i, (int)len, text,
                      valid ? "valid" : "invalid");
        free(copy);
        sl_json_paths_free(paths);
}
END_TEST

START_TEST(top_level_types) {
        static const struct {
                const char *text;
                enum sl_json_type top;
        } cases[] = {
                { "{}", SL_JSON_OBJECT },  { " [1] ", SL_JSON_ARRAY }, { "\"x\"", SL_JSON_STRING },
                { "-12", SL_JSON_INTEGER }, { "1.0", SL_JSON_REAL },   { "1e2", SL_JSON_REAL },
                { "true", SL_JSON_TRUE },  { "false", SL_JSON_FALSE }, { "null", SL_JSON_NULL },
        };
        struct sl_json_doc doc;

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                ck_assert_int_eq(sl_json_scan(NULL, cases[i].text, strlen(cases[i].text), NULL, &doc), 0);
                ck_assert_int_eq(doc.top, cases[i].top);
                ck_assert(!doc.int_overflow);
        }
        /* Not NUL-terminated: only len bytes count. */
        ck_assert_int_eq(sl_json_scan(NULL, "123", 2, NULL, &doc), 0);
        ck_assert_int_eq(doc.top, SL_JSON_INTEGER);
        ck_assert_int_eq(sl_json_scan(NULL, "{\"a\":1}garbage", 7, NULL, &doc), 0);
        ck_assert_int_eq(sl_json_scan(NULL, "\"ab\"", 3, NULL, &doc), -EINVAL);
        ck_assert_int_eq(sl_json_scan(NULL, NULL, 0, NULL, &doc), -EINVAL);
}
END_TEST

/* Nesting: the top-level value has depth 1; values nest at most
 * SL_JSON_SCAN_MAX_DEPTH deep, as in jansson. (Python refuses far less
 * deep documents, around 1000, with a RecursionError.) */
START_TEST(depth) {
        static const char *const dotted[] = { "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a", "a.a.b", "a" };
        static const struct {
                unsigned levels; /* containers, one inside the other */
                bool objects;    /* {"a":...} rather than [...] */
                bool scalar;     /* a 1 inside the innermost */
                bool valid;
        } cases[] = {
                { 2048, false, false, true }, { 2048, false, true, false },
                { 2047, false, true, true },  { 2049, false, false, false },
                { 2047, true, true, true },   { 2048, true, true, false },
                { 2048, true, false, true },  { 2049, true, false, false },
                { 64, true, true, true },     { 65, false, true, true },
        };
        struct sl_json_value values[3];
        struct sl_json_doc doc;
        int slots[3];
        struct sl_json_paths *paths = paths_of(dotted, 3, slots);
        char *text = malloc(2049 * 6 + 2);

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                size_t len = 0;

                for (unsigned d = 0; d < cases[i].levels; d++) {
                        if (cases[i].objects && d + 1 < cases[i].levels) {
                                memcpy(text + len, "{\"a\":", 5);
                                len += 5;
                        } else if (cases[i].objects) {
                                text[len++] = '{';
                        } else {
                                text[len++] = '[';
                        }
                }
                if (cases[i].scalar) {
                        if (cases[i].objects) {
                                memcpy(text + len, "\"a\":", 4);
                                len += 4;
                        }
                        text[len++] = '1';
                }
                for (unsigned d = 0; d < cases[i].levels; d++)
                        text[len++] = cases[i].objects ? '}' : ']';
                ck_assert_msg((sl_json_scan(NULL, text, len, NULL, &doc) == 0) == cases[i].valid,
                              "case %zu", i);
                ck_assert_msg((sl_json_scan(paths, text, len, values, &doc) == 0) == cases[i].valid,
                              "case %zu with paths", i);
                if (cases[i].valid && cases[i].objects && cases[i].levels > 16) {
                        /* The deepest path reached an object: its text runs to the end
                         * but for the 16 closing braces above it. */
                        ck_assert_int_eq(values[slots[0]].type, SL_JSON_OBJECT);
                        ck_assert_uint_eq(values[slots[0]].len, len - 16 * 5 - 16);
                        ck_assert_int_eq(values[slots[1]].type, SL_JSON_ABSENT);
                }
        }
        free(text);
        sl_json_paths_free(paths);
}
END_TEST

/* The digits of 2^1024 - 2^970, the least number that rounds to infinity. */
static const char threshold[] =
        "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
        "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
        "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
        "936475292719074168444365510704342711559699508093042880177904174497792";

/* A number is valid unless it rounds to infinity: checked against strtod
 * on both sides of the threshold, written many ways. */
START_TEST(real_overflow) {
        static const char *const fixed[] = {
                "1e308", "1e309", "-1e309", "10e307", "0.1e309", "0.1e310", "1e-400", "0e999999",
                "1.7976931348623157e308", "1.7976931348623158e308", "1.797693134862315807e308",
                "1.797693134862315808e308", "-1.797693134862315808e308",
                "0.0001797693134862315808e312", "17976931348623158080e289", "1e99999999999999999999",
                "179769313486231570814527423731704356798070567525844996598917476803157260780028538"
                "760589558632766878171540458953514382464234321326889464182768467546703537516986049"
                "910576551282076245490090389328944075868508455133942304583236903222948165808559332"
                "123348274797826204144723168738177180919299881250404026184124858368",
        };
        char buf[1024];
        struct sl_json_doc doc;
        size_t n = strlen(threshold);

        for (size_t i = 0; i < N_ELEMENTS(fixed); i++) {
                bool finite = !isinf(strtod(fixed[i], NULL));
                ck_assert_msg((sl_json_scan(NULL, fixed[i], strlen(fixed[i]), NULL, &doc) == 0) == finite,
                              "%s: want %s", fixed[i], finite ? "valid" : "invalid");
        }
        /* The threshold itself and its neighbours, as integers, with a
         * fraction and with an exponent: T, T - 1 (last digit), T + 1,
         * T followed by zeros, by a 1 far down. */
        for (int variant = 0; variant < 5; variant++) {
                for (int form = 0; form < 3; form++) {
                        char digits[sizeof(threshold) + 8];
                        bool finite;

                        memcpy(digits, threshold, n + 1);
                        if (variant == 1)
                                digits[n - 1]--;
                        else if (variant == 2)
                                digits[n - 1]++;
                        else if (variant == 3)
                                strcat(digits, "000");
                        else if (variant == 4)
                                strcat(digits, "001");
                        if (form == 0 && variant < 3)
                                snprintf(buf, sizeof(buf), "%s", digits);
                        else if (form == 0)
                                snprintf(buf, sizeof(buf), "%.*s.%s", (int)n, digits, digits + n);
                        else if (form == 1)
                                snprintf(buf, sizeof(buf), "%.1s.%se308", digits, digits + 1);
                        else
                                snprintf(buf, sizeof(buf), "-0.%se309", digits);
                        finite = !isinf(strtod(buf, NULL));
                        ck_assert_msg((sl_json_scan(NULL, buf, strlen(buf), NULL, &doc) == 0) == finite,
                                      "variant %d form %d: want %s", variant, form,
                                      finite ? "valid" : "invalid");
                        /* Inside an array too, past the fast path for short numbers. */
                        memmove(buf + 1, buf, strlen(buf) + 1);
                        buf[0] = '[';
                        strcat(buf, "]");
                        ck_assert((sl_json_scan(NULL, buf, strlen(buf), NULL, &doc) == 0) == finite);
                }
        }
}
END_TEST

START_TEST(int_overflow) {
        static const struct {
                const char *text;
                bool overflow;
        } cases[] = {
                { "{\"a\":9223372036854775807}", false },  { "{\"a\":9223372036854775808}", true },
                { "{\"a\":-9223372036854775808}", false }, { "{\"a\":-9223372036854775809}", true },
                { "{\"a\":[1,2,12345678901234567890]}", true }, { "{\"a\":1234567890123456789}", false },
                { "{\"a\":92233720368547758070.0}", false }, { "{\"a\":1e30}", false },
        };
        struct sl_json_doc doc;

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                ck_assert_int_eq(sl_json_scan(NULL, cases[i].text, strlen(cases[i].text), NULL, &doc), 0);
                ck_assert_msg(doc.int_overflow == cases[i].overflow, "%s", cases[i].text);
        }
}
END_TEST

static void assert_value(const struct sl_json_value *v, enum sl_json_type type, const char *text,
                         bool escaped, const char *what) {
        ck_assert_msg(v->type == type, "%s: type %d, want %d", what, v->type, type);
        if (type == SL_JSON_ABSENT)
                return;
        ck_assert_msg(v->len == strlen(text) && memcmp(v->ptr, text, v->len) == 0,
                      "%s: \"%.*s\", want \"%s\"", what, (int)v->len, v->ptr, text);
        ck_assert_msg(v->escaped == escaped, "%s: escaped %d", what, v->escaped);
}

START_TEST(extraction) {
        static const char line[] =
                "{\"level\":30,\"time\":1700000000123,\"msg\":\"request completed\","
                "\"req\":{\"method\":\"GET\",\"headers\":{\"host\":\"x.io\"},\"n\":[1,2]},"
                "\"ok\":true,\"bad\":false,\"none\":null,\"ratio\":-0.5e-3,"
                "\"tags\":[\"a\",{\"k\":\"v\"}],\"esc\":\"caf\\u00e9 \\\"q\\\"\",\"empty\":\"\","
                "\"deep\":{\"a\":{\"b\":{\"c\":\"abc\"}}},\"sp\" : { \"x\" : 1 } }";
        static const char *const dotted[] = {
                "level", "time", "msg", "req.method", "req.headers.host", "req", "ok", "bad", "none",
                "ratio", "tags", "esc", "empty", "deep.a.b.c", "missing", "msg.x", "tags.0",
                "req.n", "req.headers.nope", "sp", "sp.x", "deep.a",
        };
        int slots[N_ELEMENTS(dotted)];
        struct sl_json_value values[N_ELEMENTS(dotted)];
        struct sl_json_paths *paths = paths_of(dotted, N_ELEMENTS(dotted), slots);
        struct sl_json_doc doc;

        ck_assert_uint_eq(sl_json_paths_count(paths), N_ELEMENTS(dotted));
        ck_assert_int_eq(sl_json_scan(paths, line, strlen(line), values, &doc), 0);
        ck_assert_int_eq(doc.top, SL_JSON_OBJECT);
        assert_value(&values[slots[0]], SL_JSON_INTEGER, "30", false, "level");
        assert_value(&values[slots[1]], SL_JSON_INTEGER, "1700000000123", false, "time");
        assert_value(&values[slots[2]], SL_JSON_STRING, "request completed", false, "msg");
        assert_value(&values[slots[3]], SL_JSON_STRING, "GET", false, "req.method");
        assert_value(&values[slots[4]], SL_JSON_STRING, "x.io", false, "req.headers.host");
        assert_value(&values[slots[5]], SL_JSON_OBJECT,
                     "{\"method\":\"GET\",\"headers\":{\"host\":\"x.io\"},\"n\":[1,2]}", false, "req");
        assert_value(&values[slots[6]], SL_JSON_TRUE, "true", false, "ok");
        assert_value(&values[slots[7]], SL_JSON_FALSE, "false", false, "bad");
        assert_value(&values[slots[8]], SL_JSON_NULL, "null", false, "none");
        assert_value(&values[slots[9]], SL_JSON_REAL, "-0.5e-3", false, "ratio");
        assert_value(&values[slots[10]], SL_JSON_ARRAY, "[\"a\",{\"k\":\"v\"}]", false, "tags");
        assert_value(&values[slots[11]], SL_JSON_STRING, "caf\\u00e9 \\\"q\\\"", true, "esc");
        assert_value(&values[slots[12]], SL_JSON_STRING, "", false, "empty");
        assert_value(&values[slots[13]], SL_JSON_STRING, "abc", false, "deep.a.b.c");
        assert_value(&values[slots[14]], SL_JSON_ABSENT, NULL, false, "missing");
        /* Paths go through objects only: not into strings or arrays. */
        assert_value(&values[slots[15]], SL_JSON_ABSENT, NULL, false, "msg.x");
        assert_value(&values[slots[16]], SL_JSON_ABSENT, NULL, false, "tags.0");
        assert_value(&values[slots[17]], SL_JSON_ARRAY, "[1,2]", false, "req.n");
        assert_value(&values[slots[18]], SL_JSON_ABSENT, NULL, false, "req.headers.nope");
        assert_value(&values[slots[19]], SL_JSON_OBJECT, "{ \"x\" : 1 }", false, "sp");
        assert_value(&values[slots[20]], SL_JSON_INTEGER, "1", false, "sp.x");
        assert_value(&values[slots[21]], SL_JSON_OBJECT, "{\"b\":{\"c\":\"abc\"}}", false, "deep.a");

        /* A second scan forgets the first one's values. */
        ck_assert_int_eq(sl_json_scan(paths, "{\"msg\":\"m\"}", 11, values, &doc), 0);
        assert_value(&values[slots[2]], SL_JSON_STRING, "m", false, "msg again");
        assert_value(&values[slots[0]], SL_JSON_ABSENT, NULL, false, "level again");
        assert_value(&values[slots[5]], SL_JSON_ABSENT, NULL, false, "req again");
        /* Paths are looked for only in a top-level object. */
        ck_assert_int_eq(sl_json_scan(paths, "[{\"msg\":\"m\"}]", 13, values, &doc), 0);
        ck_assert_int_eq(doc.top, SL_JSON_ARRAY);
        assert_value(&values[slots[2]], SL_JSON_ABSENT, NULL, false, "msg in an array");
        sl_json_paths_free(paths);
}
END_TEST

/* Objects nobody asked for, inside one that is searched: flat ones (only
 * strings and numbers in them) are skipped by a shortcut, which gives up on
 * anything else for the general skipper. The verdict, the overflow flag and
 * the values found are those of a scan that only validates. */
START_TEST(skipped_objects) {
        static const struct {
                const char *text;
                bool valid;
                bool overflow;
        } cases[] = {
                { "{\"u\":{\"a\":\"b\",\"c\":1},\"x\":2}", true, false },
                { "{\"u\":{},\"x\":2}", true, false },
                { "{\"u\":{ \"a\" : \"b\" , \"c\" : -1.5e3 } ,\"x\":2}", true, false },
                { "{\"u\":{\"a\":{\"b\":1}},\"x\":2}", true, false },
                { "{\"u\":{\"a\":\"b\",\"c\":[1]},\"x\":2}", true, false },
                { "{\"u\":{\"a\":\"b\",\"c\":true},\"x\":2}", true, false },
                { "{\"u\":{\"a\":\"b\\u0000\"},\"x\":2}", true, false },
                { "{\"u\":{\"a\":12345678901234567890},\"x\":2}", true, true },
                { "{\"u\":{\"a\":12345678901234567890,\"b\":null},\"x\":2}", true, true },
                { "{\"u\":{\"a\":12345678901234567890,\"b\":nul},\"x\":2}", false, false },
                { "{\"u\":{\"a\":\"b\",},\"x\":2}", false, false },
                { "{\"u\":{\"a\":\"b\" \"c\":1},\"x\":2}", false, false },
                { "{\"u\":{\"a\\u0000\":\"b\"},\"x\":2}", false, false },
                { "{\"u\":{\"a\":1e400},\"x\":2}", false, false },
                { "{\"u\":{\"a\":-},\"x\":2}", false, false },
                { "{\"u\":{\"a\":\"\xff\"},\"x\":2}", false, false },
                { "{\"u\":{\"a\":\"b\"", false, false },
                { "{\"u\":{\"a\":\"b\",", false, false },
                { "{\"u\":{\"a\"", false, false },
                { "{\"u\":{", false, false },
                { "{\"u\":{\"a\":\"b\"}", false, false },
                { "{\"u\":{\"a\":\"b\"}}}", false, false },
        };
        static const char *const dotted[] = { "x", "y.z" };
        int slots[N_ELEMENTS(dotted)];
        struct sl_json_value values[N_ELEMENTS(dotted)];
        struct sl_json_paths *paths = paths_of(dotted, N_ELEMENTS(dotted), slots);

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                size_t len = strlen(cases[i].text);
                /* A copy with no NUL after it, so nothing can read past len. */
                char *copy = malloc(len);
                struct sl_json_doc plain, searched;

                memcpy(copy, cases[i].text, len);
                ck_assert_msg((sl_json_scan(NULL, copy, len, NULL, &plain) == 0) == cases[i].valid,
                              "%s", cases[i].text);
                ck_assert_msg((sl_json_scan(paths, copy, len, values, &searched) == 0) ==
                                      cases[i].valid,
                              "%s with paths", cases[i].text);
                if (cases[i].valid) {
                        ck_assert_msg(plain.int_overflow == cases[i].overflow, "%s", cases[i].text);
                        ck_assert_msg(searched.int_overflow == cases[i].overflow, "%s with paths",
                                      cases[i].text);
                        assert_value(&values[slots[0]], SL_JSON_INTEGER, "2", false, "x");
                        assert_value(&values[slots[1]], SL_JSON_ABSENT, NULL, false, "y.z");
                }
                free(copy);
        }
        sl_json_paths_free(paths);
}
END_TEST

/* The last of duplicate keys wins, for what is below it too. */
START_TEST(duplicate_keys) {
        static const char *const dotted[] = { "a", "r", "r.m", "r.n.o" };
        static const struct {
                const char *text;
                const char *a, *r, *r_m, *r_n_o; /* NULL: absent */
        } cases[] = {
                { "{\"a\":1,\"a\":2}", "2", NULL, NULL, NULL },
                { "{\"a\":\"x\",\"b\":0,\"a\":null}", "null", NULL, NULL, NULL },
                { "{\"r\":{\"m\":\"x\"},\"r\":{\"n\":1}}", NULL, "{\"n\":1}", NULL, NULL },
                { "{\"r\":{\"m\":\"x\"},\"r\":5}", NULL, "5", NULL, NULL },
                { "{\"r\":5,\"r\":{\"m\":\"y\"}}", NULL, "{\"m\":\"y\"}", "y", NULL },
                { "{\"r\":{\"m\":1,\"m\":2}}", NULL, "{\"m\":1,\"m\":2}", "2", NULL },
                { "{\"r\":{\"n\":{\"o\":1},\"n\":{}}}", NULL, "{\"n\":{\"o\":1},\"n\":{}}", NULL, NULL },
                { "{\"r\":{\"n\":{\"o\":1}},\"r\":{\"m\":0,\"n\":{\"o\":2}}}", NULL,
                  "{\"m\":0,\"n\":{\"o\":2}}", "0", "2" },
        };
        int slots[4];
        struct sl_json_value values[4];
        struct sl_json_paths *paths = paths_of(dotted, 4, slots);
        struct sl_json_doc doc;

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                const char *want[4] = { cases[i].a, cases[i].r, cases[i].r_m, cases[i].r_n_o };

                ck_assert_int_eq(sl_json_scan(paths, cases[i].text, strlen(cases[i].text), values, &doc), 0);
                for (int k = 0; k < 4; k++) {
                        const struct sl_json_value *v = &values[slots[k]];
                        if (!want[k])
                                ck_assert_msg(v->type == SL_JSON_ABSENT, "case %zu: %s is set", i, dotted[k]);
                        else
                                ck_assert_msg(v->type != SL_JSON_ABSENT && v->len == strlen(want[k]) &&
                                                      memcmp(v->ptr, want[k], v->len) == 0,
                                              "case %zu: %s is \"%.*s\", want \"%s\"", i, dotted[k],
                                              v->type ? (int)v->len : 0, v->type ? v->ptr : "", want[k]);
                }
        }
        sl_json_paths_free(paths);
}
END_TEST

/* A key written with escapes matches the path key it decodes to. */
START_TEST(escaped_keys) {
        static const struct {
                const char *text;
                const char *path_key; /* one key, raw UTF-8 */
                bool match;
        } cases[] = {
                { "{\"m\\u0073g\":1}", "msg", true },
                { "{\"\\u006d\\u0073\\u0067\":1}", "msg", true },
                { "{\"\\u00e9t\\u00E9\":1}", "\xc3\xa9t\xc3\xa9", true },
                { "{\"\xc3\xa9t\xc3\xa9\":1}", "\xc3\xa9t\xc3\xa9", true },
                { "{\"\\ud83d\\ude00\":1}", "\xf0\x9f\x98\x80", true },
                { "{\"a\\/b\":1}", "a/b", true },
                { "{\"a\\\"b\":1}", "a\"b", true },
                { "{\"tab\\there\":1}", "tab\there", true },
                { "{\"a\\\\u0062\":1}", "ab", false },
                { "{\"a\\\\u0062\":1}", "a\\u0062", true },
                { "{\"msg\\u0000\":1}", "msg", false }, /* invalid: NUL in a key */
                { "{\"ms\":1}", "msg", false },
                { "{\"msgs\":1}", "msg", false },
                { "{\"m\\u0073\":1}", "msg", false },
                { "{\"m\\u0073gs\":1}", "msg", false },
        };
        struct sl_json_doc doc;

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                int slot;
                struct sl_json_value v;
                struct sl_json_paths *paths = paths_of(&cases[i].path_key, 1, &slot);
                int r = sl_json_scan(paths, cases[i].text, strlen(cases[i].text), &v, &doc);

                ck_assert_msg(cases[i].match ? r == 0 && v.type == SL_JSON_INTEGER
                                             : r < 0 || v.type == SL_JSON_ABSENT,
                              "case %zu: %s", i, cases[i].text);
                sl_json_paths_free(paths);
        }
}
END_TEST

START_TEST(path_set) {
        struct sl_json_paths *paths = sl_json_paths_new();
        struct sl_str keys[SL_JSON_PATH_MAX_KEYS + 1];

        for (size_t i = 0; i < N_ELEMENTS(keys); i++)
                keys[i] = SL_STR_LIT("k");
        ck_assert_uint_eq(sl_json_paths_count(paths), 0);
        ck_assert_int_eq(sl_json_paths_add(paths, keys, 0), -EINVAL);
        ck_assert_int_eq(sl_json_paths_add(paths, keys, SL_JSON_PATH_MAX_KEYS + 1), -EINVAL);
        ck_assert_int_eq(sl_json_paths_add(paths, keys, 2), 0);
        ck_assert_int_eq(sl_json_paths_add(paths, keys, 1), 1);
        ck_assert_int_eq(sl_json_paths_add(paths, keys, 2), 0); /* the same path again */
        ck_assert_int_eq(sl_json_paths_add(paths, keys, SL_JSON_PATH_MAX_KEYS), 2);
        ck_assert_uint_eq(sl_json_paths_count(paths), 3);
        ck_assert_uint_eq(sl_json_paths_count(NULL), 0);
        sl_json_paths_free(paths);
        sl_json_paths_free(NULL);
}
END_TEST

/* Strings are checked 8 bytes at a time where they are plain: a byte that
 * needs a look must be seen at every position of such a block. */
START_TEST(string_blocks) {
        static const struct {
                const char *insert;
                bool valid;
        } specials[] = {
                { "\x01", false }, { "\x1f", false },  { "\"", false },       { "\\", false },
                { "\x80", false }, { "\xc3\xa9", true }, { "\\n", true },      { "\\u00e9", true },
                { "\x7f", true },  { " ", true },      { "\xf0\x9f\x98\x80", true }, { "\xed\xa0\x80", false },
        };
        char text[128];
        struct sl_json_doc doc;

        for (size_t s = 0; s < N_ELEMENTS(specials); s++) {
                for (size_t at = 0; at < 40; at++) {
                        size_t len = 0, n = strlen(specials[s].insert);

                        text[len++] = '"';
                        memset(text + len, 'x', at);
                        len += at;
                        memcpy(text + len, specials[s].insert, n);
                        len += n;
                        memset(text + len, 'y', 20);
                        len += 20;
                        text[len++] = '"';
                        ck_assert_msg((sl_json_scan(NULL, text, len, NULL, &doc) == 0) == specials[s].valid,
                                      "special %zu at %zu", s, at);
                }
        }
}
END_TEST

/* A string that ends within the last 16 bytes of a longer text is looked
 * at in one step of the text's last 16 bytes, the ones before it (another
 * string's quotes here) ignored: every special byte at every place of it
 * is seen, and only there. */
START_TEST(string_tail) {
        static const struct {
                const char *insert;
                bool valid;
        } specials[] = {
                { "\x01", false }, { "\x1f", false },  { "\"", false },       { "\\", false },
                { "\x80", false }, { "\xc3\xa9", true }, { "\\n", true },      { "\\u00e9", true },
                { "\x7f", true },  { " ", true },      { "\xf0\x9f\x98\x80", true }, { "\xed\xa0\x80", false },
                { "", true },
        };
        char text[128];
        struct sl_json_doc doc;

        for (size_t s = 0; s < N_ELEMENTS(specials); s++) {
                for (size_t before = 0; before < 24; before++) {
                        for (size_t at = 0; at < 16; at++) {
                                for (size_t after = 0; after < 4; after++) {
                                        size_t len = 0, n = strlen(specials[s].insert);

                                        memcpy(text, "[\"", 2);
                                        len += 2;
                                        memset(text + len, 'a', before);
                                        len += before;
                                        memcpy(text + len, "\",\"", 3);
                                        len += 3;
                                        memset(text + len, 'x', at);
                                        len += at;
                                        memcpy(text + len, specials[s].insert, n);
                                        len += n;
                                        memset(text + len, 'y', after);
                                        len += after;
                                        memcpy(text + len, "\"]", 2);
                                        len += 2;
                                        ck_assert_msg((sl_json_scan(NULL, text, len, NULL, &doc) == 0) ==
                                                              specials[s].valid,
                                                      "special %zu, %zu %zu %zu", s, before, at, after);
                                        /* Without its closing quote. */
                                        ck_assert_int_eq(sl_json_scan(NULL, text, len - 2, NULL, &doc),
                                                         -EINVAL);
                                }
                        }
                }
        }
}
END_TEST

START_TEST(unescape) {
        static const struct {
                const char *in;
                const char *out; /* NULL: -EINVAL */
                size_t out_len;
        } cases[] = {
                { "plain", "plain", 5 },
                { "", "", 0 },
                { "a\\nb\\tc\\r\\b\\f\\/\\\\\\\"", "a\nb\tc\r\b\f/\\\"", 11 },
                { "caf\\u00e9", "caf\xc3\xa9", 5 },
                { "\\u20AC!", "\xe2\x82\xac!", 4 },
                { "\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4 },
                { "a\\u0000b", "a\0b", 3 },
                /* Lone surrogates become U+FFFD (the docker stage's choice). */
                { "\\ud800x", "\xef\xbf\xbdx", 4 },
                { "\\udc00", "\xef\xbf\xbd", 3 },
                { "\\ud800\\u0041", "\xef\xbf\xbd" "A", 4 },
                { "raw \xc3\xa9 bytes", "raw \xc3\xa9 bytes", 12 },
                { "\\x", NULL, 0 },
                { "\\u12", NULL, 0 },
                { "\\u12g4", NULL, 0 },
                { "end\\", NULL, 0 },
        };

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                size_t len = strlen(cases[i].in);
                char *out = malloc(len + 1);
                ssize_t n = sl_json_unescape(cases[i].in, len, out);

                if (!cases[i].out) {
                        ck_assert_msg(n == -EINVAL, "case %zu: %zd", i, n);
                } else {
                        ck_assert_msg(n == (ssize_t)cases[i].out_len, "case %zu: %zd bytes", i, n);
                        ck_assert_mem_eq(out, cases[i].out, cases[i].out_len);
                }
                free(out);
        }
}
END_TEST

/* Plain runs are copied 8 bytes at a time: an escape at every position of
 * such a block, and runs that end at every distance from the end. */
START_TEST(unescape_blocks) {
        static const struct {
                const char *escape;
                const char *decoded;
        } escapes[] = { { "\\\"", "\"" }, { "\\n", "\n" }, { "\\u00e9", "\xc3\xa9" }, { "\\\\", "\\" } };
        char in[64], want[64], out[64];

        for (size_t k = 0; k < N_ELEMENTS(escapes); k++) {
                for (size_t at = 0; at < 20; at++) {
                        for (size_t tail = 0; tail < 10; tail++) {
                                size_t len, want_len;
                                ssize_t n;

                                memset(in, 'x', at);
                                len = at + (size_t)sprintf(in + at, "%s", escapes[k].escape);
                                memset(in + len, 'y', tail);
                                len += tail;
                                memset(want, 'x', at);
                                want_len = at + (size_t)sprintf(want + at, "%s", escapes[k].decoded);
                                memset(want + want_len, 'y', tail);
                                want_len += tail;
                                memset(out, '#', sizeof(out));
                                n = sl_json_unescape(in, len, out);
                                ck_assert_msg(n == (ssize_t)want_len && memcmp(out, want, want_len) == 0,
                                              "escape %zu at %zu tail %zu: %zd", k, at, tail, n);
                                /* Nothing written past the input's length. */
                                ck_assert_int_eq(out[len], '#');
                        }
                }
        }
}
END_TEST

/* What sl_json_specials_of() flags, byte by byte. */
static bool special_ref(unsigned char c, bool non_ascii) {
        return c < 0x20 || c == '"' || c == '\\' || (non_ascii && c >= 0x80);
}

/* Neighbours for specials_exact: bytes of every kind around the one tested. */
static const unsigned char specials_fill[] = { 'x', '"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x23, 0x5d,
                                               0x7f, 0x80, 0xa2, 0xdc, 0xff, '#', ']' };

/* The word masks are exact for every byte, not only the first flagged
 * one: each byte value at each position, among neighbours of every kind
 * (bytes next to a flagged one are where borrows would show). One
 * iteration per mode and fill byte, so that no single case runs long on a
 * loaded machine; a mismatch is reported, a match costs no Check call. */
START_TEST(specials_exact) {
        const int non_ascii = _i % 2;
        const size_t f = (size_t)_i / 2;
        uint64_t rng = 0x853c49e6748fea9bULL + (uint64_t)_i;

        for (size_t at = 0; at < 8; at++) {
                for (unsigned v = 0; v < 256; v++) {
                        char w[8];
                        uint64_t mask;

                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        for (size_t i = 0; i < 8; i++)
                                w[i] = (char)(i % 2 ? specials_fill[f]
                                                    : specials_fill[(rng >> (4 * i)) % N_ELEMENTS(specials_fill)]);
                        w[at] = (char)v;
                        mask = sl_json_specials8(w, non_ascii);
                        if (mask != sl_json_specials_of(sl_json_load8(w), non_ascii))
                                ck_abort_msg("specials8 and specials_of differ: %02x at %zu, fill %02x, mode %d",
                                             v, at, specials_fill[f], non_ascii);
                        if ((mask & ~SL_JSON_BYTES(0x80)) != 0)
                                ck_abort_msg("bits outside the high bits: %02x at %zu, fill %02x, mode %d", v,
                                             at, specials_fill[f], non_ascii);
                        for (size_t i = 0; i < 8; i++)
                                if (((mask >> (8 * i + 7)) & 1) != special_ref((unsigned char)w[i], non_ascii))
                                        ck_abort_msg("byte %zu of word with %02x at %zu, fill %02x, mode %d", i,
                                                     v, at, specials_fill[f], non_ascii);
                }
        }
}
END_TEST

/* sl_json_string_stop() stops at the first flagged byte or the end, at any
 * length and position; load8/store8 keep the byte order. */
START_TEST(string_stop) {
        char text[48], back[8];

        for (int non_ascii = 0; non_ascii < 2; non_ascii++) {
                for (size_t len = 0; len <= 40; len++) {
                        for (size_t at = 0; at <= len; at++) {
                                static const char stops[] = { '"', '\\', 0x01, (char)0x80 };
                                for (size_t k = 0; k < N_ELEMENTS(stops); k++) {
                                        const char *want;

                                        memset(text, 'a', sizeof(text));
                                        if (at < len)
                                                text[at] = stops[k];
                                        want = at < len && special_ref((unsigned char)stops[k], non_ascii)
                                                       ? text + at
                                                       : text + len;
                                        if (sl_json_string_stop(text, text + len, non_ascii) != want)
                                                ck_abort_msg("stop %zu at %zu of %zu, mode %d", k, at, len,
                                                             non_ascii);
                                }
                        }
                }
        }
        memcpy(text, "01234567", 8);
        sl_json_store8(back, sl_json_load8(text));
        ck_assert_mem_eq(back, "01234567", 8);
        ck_assert_uint_eq(sl_json_load8(text) & 0xff, '0');
}
END_TEST

/* One escape decoded alone, as sl_json_unescape() decodes it; the output
 * pointer moves only on success. */
START_TEST(decode_escape_one) {
        static const struct {
                const char *in;
                const char *out; /* NULL: malformed */
                size_t used;     /* input bytes taken */
        } cases[] = {
                { "\\n", "\n", 2 },          { "\\\"x", "\"", 2 },       { "\\/", "/", 2 },
                { "\\u00e9", "\xc3\xa9", 6 }, { "\\u20ACz", "\xe2\x82\xac", 6 },
                { "\\ud83d\\ude00", "\xf0\x9f\x98\x80", 12 },
                { "\\ud83dx", "\xef\xbf\xbd", 6 }, { "\\ude00", "\xef\xbf\xbd", 6 },
                { "\\q", NULL, 0 },          { "\\u12", NULL, 0 },       { "\\", NULL, 0 },
                { "\\u12g4", NULL, 0 },
        };

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                size_t len = strlen(cases[i].in);
                char out[8] = { 0 }, *o = out;
                const char *next = sl_json_decode_escape(cases[i].in, cases[i].in + len, &o);

                if (!cases[i].out) {
                        ck_assert_msg(next == NULL, "case %zu", i);
                        ck_assert_ptr_eq(o, out);
                        continue;
                }
                ck_assert_msg(next == cases[i].in + cases[i].used, "case %zu", i);
                ck_assert_uint_eq((size_t)(o - out), strlen(cases[i].out));
                ck_assert_mem_eq(out, cases[i].out, strlen(cases[i].out));
                /* The two-byte ones are in the table too. */
                if (cases[i].used == 2)
                        ck_assert_int_eq(sl_json_simple_escapes[(unsigned char)cases[i].in[1]],
                                         cases[i].out[0]);
        }
        ck_assert_int_eq(sl_json_simple_escapes['u'], 0);
        ck_assert_int_eq(sl_json_simple_escapes['q'], 0);
}
END_TEST

static Suite *json_scan_suite(void) {
        Suite *s = suite_create("json-scan");
        TCase *tc = tcase_create("scan");

        tcase_add_loop_test(tc, validity, 0, (int)N_ELEMENTS(validity_cases));
        tcase_add_test(tc, top_level_types);
        tcase_add_test(tc, depth);
        tcase_add_test(tc, real_overflow);
        tcase_add_test(tc, int_overflow);
        tcase_add_test(tc, extraction);
        tcase_add_test(tc, skipped_objects);
        tcase_add_test(tc, duplicate_keys);
        tcase_add_test(tc, escaped_keys);
        tcase_add_test(tc, path_set);
        tcase_add_test(tc, string_blocks);
        tcase_add_test(tc, string_tail);
        tcase_add_test(tc, unescape);
        tcase_add_test(tc, unescape_blocks);
        tcase_add_loop_test(tc, specials_exact, 0, 2 * (int)N_ELEMENTS(specials_fill));
        tcase_add_test(tc, string_stop);
        tcase_add_test(tc, decode_escape_one);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(json_scan_suite)
