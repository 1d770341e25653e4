/* test-stage-json.c - the json stage: keys and dotted paths, value texts,
 * source, malformed lines, arena allocation, config errors. Value texts
 * are Promtail's: numbers as Go prints a float64 (FormatFloat 'f'),
 * objects and arrays as Go's json.Marshal writes them (keys sorted). */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "sl-test.h"
#include "stage-test.h"

static struct sl_entry e;

static void setup(void) {
        sl_entry_init(&e);
}

static void teardown(void) {
        sl_entry_release(&e);
}

static const char *const pino_line =
        "{\"level\":30,\"time\":1700000000123,\"pid\":7,\"hostname\":\"api-1\","
        "\"req\":{\"method\":\"GET\",\"url\":\"/users?id=1\",\"headers\":{\"host\":\"x.io\"}},"
        "\"msg\":\"request completed\",\"ok\":true,\"bad\":false,\"none\":null,"
        "\"ratio\":0.1,\"big\":1e3,\"neg\":-5,\"half\":1.5,"
        "\"tags\":[\"a\",1,null,{\"k\":\"v\"}],\"obj\":{\"b\":1, \"c\" : [1,\"x\"]},"
        "\"esc\":\"caf\\u00e9 \\\"q\\\"\",\"nul\":\"a\\u0000b\",\"@t\":\"at\"}";

START_TEST(top_level_and_dotted) {
        struct sl_pipeline *p = st_pipeline(
                "- json:\n"
                "    expressions:\n"
                "      level:\n"
                "      time: ''\n"
                "      msg: msg\n"
                "      method: req.method\n"
                "      host: req.headers.host\n"
                "      missing: req.nope\n"
                "      through_string: msg.x\n"
                "      at: '\"@t\"'\n");

        ck_assert_int_eq(st_run(p, &e, 1, pino_line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "level", "30");
        st_assert_kv(&e.extracted, "time", "1700000000123");
        st_assert_kv(&e.extracted, "msg", "request completed");
        st_assert_kv(&e.extracted, "method", "GET");
        st_assert_kv(&e.extracted, "host", "x.io");
        st_assert_kv(&e.extracted, "missing", NULL);
        st_assert_kv(&e.extracted, "through_string", NULL);
        st_assert_kv(&e.extracted, "at", "at");
        /* The line is untouched. */
        ck_assert_ptr_eq(e.line.ptr, pino_line);
        ck_assert_uint_eq(e.line.len, strlen(pino_line));
        sl_pipeline_free(p);
}
END_TEST

/* A name extracted before (here by an earlier json stage) is replaced in
 * its place, never added twice; a path that is absent leaves it as it was;
 * the new names follow, in the order of the expressions. */
START_TEST(names_already_extracted) {
        struct sl_pipeline *p = st_pipeline(
                "- json:\n"
                "    expressions:\n"
                "      msg: msg\n"
                "      keep: level\n"
                "      missing_later: time\n"
                "- json:\n"
                "    expressions:\n"
                "      level: level\n"
                "      msg: req.method\n"
                "      missing_later: req.nope\n");

        ck_assert_int_eq(st_run(p, &e, 1, pino_line), SL_STAGE_KEEP);
        ck_assert_uint_eq(e.extracted.len, 4);
        ck_assert(sl_str_eq_c(e.extracted.items[0].name, "msg"));
        ck_assert(sl_str_eq_c(e.extracted.items[0].value, "GET"));
        ck_assert(sl_str_eq_c(e.extracted.items[1].name, "keep"));
        ck_assert(sl_str_eq_c(e.extracted.items[2].name, "missing_later"));
        ck_assert(sl_str_eq_c(e.extracted.items[2].value, "1700000000123"));
        ck_assert(sl_str_eq_c(e.extracted.items[3].name, "level"));
        ck_assert(sl_str_eq_c(e.extracted.items[3].value, "30"));
        sl_pipeline_free(p);
}
END_TEST

START_TEST(value_texts) {
        struct sl_pipeline *p = st_pipeline(
                "- json:\n"
                "    expressions: {ok: , bad: , none: , ratio: , big: , neg: , half: , tags: ,"
                " obj: , esc: , nul: , req: }\n");
        const struct sl_str *v;

        ck_assert_int_eq(st_run(p, &e, 1, pino_line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "ok", "true");
        st_assert_kv(&e.extracted, "bad", "false");
        st_assert_kv(&e.extracted, "none", NULL);
        st_assert_kv(&e.extracted, "ratio", "0.1");
        st_assert_kv(&e.extracted, "big", "1000");
        st_assert_kv(&e.extracted, "neg", "-5");
        st_assert_kv(&e.extracted, "half", "1.5");
        st_assert_kv(&e.extracted, "tags", "[\"a\",1,null,{\"k\":\"v\"}]");
        st_assert_kv(&e.extracted, "obj", "{\"b\":1,\"c\":[1,\"x\"]}");
        st_assert_kv(&e.extracted, "req",
                     "{\"headers\":{\"host\":\"x.io\"},\"method\":\"GET\",\"url\":\"/users?id=1\"}");
        st_assert_kv(&e.extracted, "esc", "caf\xc3\xa9 \"q\"");
        v = sl_kvs_get(&e.extracted, SL_STR_LIT("nul"));
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(v->len, 3);
        ck_assert_mem_eq(v->ptr, "a\0b", 3);
        sl_pipeline_free(p);
}
END_TEST

static const struct {
        const char *json;
        const char *want;
} real_cases[] = {
        { "0.1", "0.1" },         { "1e3", "1000" },       { "1.5", "1.5" },
        { "-0.25", "-0.25" },     { "123.456", "123.456" }, { "2.5e-5", "0.000025" },
        { "1e21", "1000000000000000000000" }, { "1.5e-7", "0.00000015" }, { "3.0", "3" },
        { "1700000000.123", "1700000000.123" }, { "0.30000000000000004", "0.30000000000000004" },
};

START_TEST(reals) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {v: }}\n");
        char line[64];

        snprintf(line, sizeof(line), "{\"v\":%s}", real_cases[_i].json);
        ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "v", real_cases[_i].want);
        sl_pipeline_free(p);
}
END_TEST

START_TEST(values_live_in_the_arena) {
        struct sl_pipeline *p =
                st_pipeline("- json: {expressions: {msg: , obj: , level: , esc: , big: }}\n");
        const char *line = pino_line, *line_end = line + strlen(line), *v;
        json_malloc_t m;
        json_free_t f;

        ck_assert_int_eq(st_run(p, &e, 1, pino_line), SL_STAGE_KEEP);
        /* A plain string and a number in its shortest form are slices of
         * the line; what is built again (a container's dump, decoded
         * escapes, a number written again) is in the entry's arena. */
        v = sl_kvs_get(&e.extracted, SL_STR_LIT("msg"))->ptr;
        ck_assert(v >= line && v < line_end);
        v = sl_kvs_get(&e.extracted, SL_STR_LIT("level"))->ptr;
        ck_assert(v >= line && v < line_end);
        ck_assert(sl_arena_owns(&e.arena, sl_kvs_get(&e.extracted, SL_STR_LIT("obj"))->ptr));
        ck_assert(sl_arena_owns(&e.arena, sl_kvs_get(&e.extracted, SL_STR_LIT("esc"))->ptr));
        ck_assert(sl_arena_owns(&e.arena, sl_kvs_get(&e.extracted, SL_STR_LIT("big"))->ptr));
        json_get_alloc_funcs(&m, &f);
        ck_assert_ptr_ne((void *)m, (void *)malloc);

        /* Outside a parse jansson still works on the heap. */
        {
                json_t *o = json_pack("{s:s, s:[i,i]}", "a", "b", "c", 1, 2);
                char *text = json_dumps(o, JSON_COMPACT);
                ck_assert_str_eq(text, "{\"a\":\"b\",\"c\":[1,2]}");
                free(text);
                json_decref(o);
        }
        /* Reuse: the next entry reuses the arena's chunks. */
        for (int i = 0; i < 100; i++) {
                ck_assert_int_eq(st_run(p, &e, 1, pino_line), SL_STAGE_KEEP);
                st_assert_kv(&e.extracted, "msg", "request completed");
        }
        sl_pipeline_free(p);
}
END_TEST

START_TEST(huge_integer_is_not_malformed) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {id: , msg: }, drop_malformed: true}\n");

        ck_assert_int_eq(st_run(p, &e, 1, "{\"id\":123456789012345678901234567890,\"msg\":\"m\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "msg", "m");
        ck_assert_ptr_nonnull(sl_kvs_get(&e.extracted, SL_STR_LIT("id")));
        sl_pipeline_free(p);
}
END_TEST

START_TEST(source_parses_an_extracted_value) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {payload: , outer: }}\n"
                "- json: {expressions: {user: u.name}, source: payload}\n");

        ck_assert_int_eq(st_run(p, &e, 1, "{\"outer\":1,\"payload\":\"{\\\"u\\\":{\\\"name\\\":\\\"ann\\\"}}\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "user", "ann");
        /* Source absent: nothing happens, nothing is dropped. */
        ck_assert_int_eq(st_run(p, &e, 1, "{\"outer\":1}"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "outer", "1");
        st_assert_kv(&e.extracted, "user", NULL);
        sl_pipeline_free(p);
}
END_TEST

static const char *const malformed_cases[] = {
        "plain text line",
        "",
        "{\"level\":30,",
        "{\"level\":30}}",
        "[1,2,3]",
        "42",
        "\"just a string\"",
        "{'single':1}",
        "{\"a\":NaN}",
};

START_TEST(malformed_kept) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {level: }}\n");
        const char *in = malformed_cases[_i];

        ck_assert_int_eq(st_run(p, &e, 1, in), SL_STAGE_KEEP);
        ck_assert_ptr_eq(e.line.ptr, in);
        ck_assert_uint_eq(e.line.len, strlen(in));
        ck_assert_uint_eq(e.extracted.len, 0);
        sl_pipeline_free(p);
}
END_TEST

struct drops {
        char reason[4][32];
        uint64_t count[4];
        int n;
};

static void collect(void *ud, const char *reason, uint64_t count) {
        struct drops *d = ud;

        ck_assert_int_lt(d->n, 4);
        snprintf(d->reason[d->n], sizeof(d->reason[0]), "%s", reason);
        d->count[d->n++] = count;
}

START_TEST(malformed_dropped) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {level: }, drop_malformed: true}\n");
        struct drops d = { 0 };

        for (size_t i = 0; i < sizeof(malformed_cases) / sizeof(malformed_cases[0]); i++) {
                ck_assert_int_eq(st_run(p, &e, 1, malformed_cases[i]), SL_STAGE_DROP);
                ck_assert_str_eq(e.drop_reason, "malformed_json");
        }
        ck_assert_int_eq(st_run(p, &e, 1, "{\"level\":40}"), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "level", "40");
        sl_pipeline_foreach_drop(p, collect, &d);
        ck_assert_int_eq(d.n, 1);
        ck_assert_str_eq(d.reason[0], "malformed_json");
        ck_assert_uint_eq(d.count[0], sizeof(malformed_cases) / sizeof(malformed_cases[0]));
        sl_pipeline_free(p);
}
END_TEST

START_TEST(config_errors) {
        static const struct {
                const char *yaml;
                const char *key;
                const char *msg_part;
        } cases[] = {
                { "- json: {}\n", "pipeline_stages[0].json.expressions", "at least one" },
                { "- json: {source: x}\n", "pipeline_stages[0].json.expressions", "at least one" },
                { "- json: {expressions: [a, b]}\n", "pipeline_stages[0].json.expressions", "map" },
                { "- json: {expressions: {a: 'b[?c]'}}\n", "pipeline_stages[0].json.expressions.a",
                  "filter expressions" },
                { "- json: {expressions: {a: 'length(b)'}}\n", "pipeline_stages[0].json.expressions.a",
                  "functions are not supported" },
                { "- json: {expressions: {a: 'b.'}}\n", "pipeline_stages[0].json.expressions.a",
                  "cannot compile JMESPath" },
                /* Promtail's TestJSONConfig_validate */
                { "- json: {expressions: {extr1: '3##@$#33'}}\n", "pipeline_stages[0].json.expressions.extr1",
                  "cannot compile JMESPath" },
                { "- json: {expressions: {a: 'b[0'}}\n", "pipeline_stages[0].json.expressions.a",
                  "expected ']'" },
                { "- json: {expressions: {a: {b: c}}}\n", "pipeline_stages[0].json.expressions.a",
                  "expected an expression" },
                { "- json: {expressions: {a: }, drop_malformed: maybe}\n",
                  "pipeline_stages[0].json.drop_malformed", "true or false" },
                { "- json: {expressions: {a: }, sources: x}\n", "pipeline_stages[0].json.sources",
                  "unknown key" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                st_pipeline_fails(cases[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strcmp(err.key, cases[i].key) == 0, "case %zu: %s", i, msg);
                ck_assert_msg(strstr(err.msg, cases[i].msg_part) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(err.line == 1 && strcmp(err.file, "test.yaml") == 0, "case %zu: %s",
                              i, msg);
        }
}
END_TEST

/* Numbers whose text is not already the shortest form, and integers at
 * the edges of 64 bits. */
static const struct {
        const char *json;
        const char *want;
} number_cases[] = {
        { "-0", "-0" },         { "0", "0" },           { "2.50", "2.5" },
        { "-0.0", "-0" },       { "0.0", "0" },         { "0.0000001", "0.0000001" },
        { "0.000001", "0.000001" }, { "0.0000015", "0.0000015" },
        { "123456789.123456789", "123456789.12345679" }, { "1E2", "100" },
        { "9223372036854775807", "9223372036854776000" },
        { "-9223372036854775808", "-9223372036854776000" },
        { "1e-400", "0" },      { "5e-310", "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005" },
        { "999999999999999", "999999999999999" },
        { "12345678901234.5", "12345678901234.5" }, { "1234567890123456.5", "1234567890123456.5" },
        { "0.1e1", "1" },       { "-1.25E+2", "-125" }, { "100.000", "100" },
        /* integers: up to 15 digits as they stand, more as a double reads */
        { "-999999999999999", "-999999999999999" }, { "123456789012345", "123456789012345" },
        { "1234567890123456", "1234567890123456" }, { "12345678901234567", "12345678901234568" },
        { "-12345678901234567", "-12345678901234568" }, { "1000000000000000", "1000000000000000" },
};

START_TEST(numbers) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {v: , w: }}\n");

        for (size_t i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
                char line[96];

                /* Also as a member that is not asked for, and in an array. */
                snprintf(line, sizeof(line), "{\"x\":%s,\"v\":%s,\"w\":[%s]}", number_cases[i].json,
                         number_cases[i].json, number_cases[i].json);
                ck_assert_int_eq(st_run(p, &e, 1, line), SL_STAGE_KEEP);
                st_assert_kv(&e.extracted, "v", number_cases[i].want);
        }
        sl_pipeline_free(p);
}
END_TEST

/* One integer beyond 64 bits makes every number of the document a double
 * (jansson's retry with JSON_DECODE_INT_AS_REAL), in objects too. */
START_TEST(integer_overflow_reads_doubles) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {big: , level: , n: , z: , o: }}\n");

        ck_assert_int_eq(st_run(p, &e, 1,
                                "{\"big\":123456789012345678901234567890,\"level\":30,"
                                "\"n\":9007199254740993,\"z\":-0,\"o\":{\"a\":1,\"b\":[2.50]}}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "big", "123456789012345680000000000000");
        st_assert_kv(&e.extracted, "level", "30");
        st_assert_kv(&e.extracted, "n", "9007199254740992");
        st_assert_kv(&e.extracted, "z", "-0");
        st_assert_kv(&e.extracted, "o", "{\"a\":1,\"b\":[2.5]}");
        /* Go reads every number as a float64, big ones or not. */
        ck_assert_int_eq(st_run(p, &e, 1, "{\"n\":9007199254740993,\"z\":-0,\"o\":{\"a\":1e21,\"b\":[1e-7,-0.0]}}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "n", "9007199254740992");
        st_assert_kv(&e.extracted, "z", "-0");
        st_assert_kv(&e.extracted, "o", "{\"a\":1e+21,\"b\":[1e-7,-0]}");
        sl_pipeline_free(p);
}
END_TEST

START_TEST(keys_escaped_and_repeated) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {msg: , level: , method: req.method, req: , cafe: '\"caf\xc3\xa9\"'}}\n");

        ck_assert_int_eq(st_run(p, &e, 1,
                                "{\"m\\u0073g\":\"hi\",\"level\":30,\"level\":40,\"caf\\u00e9\":\"\\u00e9\","
                                "\"req\":{\"method\":\"GET\"},\"req\":{\"url\":\"/\"}}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "msg", "hi");
        st_assert_kv(&e.extracted, "level", "40");
        st_assert_kv(&e.extracted, "cafe", "\xc3\xa9");
        st_assert_kv(&e.extracted, "method", NULL);
        st_assert_kv(&e.extracted, "req", "{\"url\":\"/\"}");
        sl_pipeline_free(p);
}
END_TEST

START_TEST(string_and_container_escapes) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {s: , o: , a: }}\n");

        ck_assert_int_eq(st_run(p, &e, 1,
                                "{\"s\":\"\\ud83d\\ude00 \\/\\t\\\\\","
                                "\"o\":{ \"k\" : \"caf\\u00e9\\/\\u001f\\u0000\" , \"k\":\"last\", \"n\" : null },"
                                "\"a\":[ true , false , -0 , 1E2 , \"\\u2028\" ]}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "s", "\xf0\x9f\x98\x80 /\t\\");
        st_assert_kv(&e.extracted, "o", "{\"k\":\"last\",\"n\":null}");
        st_assert_kv(&e.extracted, "a", "[true,false,-0,100,\"\\u2028\"]");
        ck_assert_int_eq(st_run(p, &e, 1, "{\"o\":{\"k\":\"caf\\u00e9\\/\\u001f\\u0000\\\"\"}}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "o", "{\"k\":\"caf\xc3\xa9/\\u001f\\u0000\\\"\"}");
        sl_pipeline_free(p);
}
END_TEST

/* What jansson refused stays malformed: lines with these are dropped. */
static const struct {
        const char *json;
        size_t len; /* 0: strlen */
} more_malformed_cases[] = {
        { "{\"a\":\"\\ud800\"}", 0 },          { "{\"a\":\"\\udc00x\"}", 0 },
        { "{\"a\":\"\xc0\x80\"}", 0 },         { "{\"a\":\"\xed\xa0\x80\"}", 0 },
        { "{\"a\":\"\xff\"}", 0 },             { "{\"a\\u0000\":1}", 0 },
        { "{\"level\":1e400}", 0 },            { "\xef\xbb\xbf{\"level\":30}", 0 },
        { "{\"level\":30}\0", 13 },            { "{\"level\":30,}", 0 },
        { "{\"a\":[1,]}", 0 },                 { "{\"level\":01}", 0 },
        { "{\"level\":1.}", 0 },               { "{\"level\":-}", 0 },
        { "{\"a\":\"\\u12\"}", 0 },            { "{\"a\":\"x\x01\"}", 0 },
        { "{\"level\":30} {}", 0 },            { "{\"level\":30,\"level\"}", 0 },
};

START_TEST(more_malformed_dropped) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {level: }, drop_malformed: true}\n");
        const char *in = more_malformed_cases[_i].json;
        size_t len = more_malformed_cases[_i].len ? more_malformed_cases[_i].len : strlen(in);

        ck_assert_int_eq(st_run_n(p, &e, 1, in, len), SL_STAGE_DROP);
        ck_assert_str_eq(e.drop_reason, "malformed_json");
        ck_assert_uint_eq(e.extracted.len, 0);
        sl_pipeline_free(p);
}
END_TEST

/* jansson's depth limit: values 2048 deep parse, 2049 do not. */
START_TEST(nesting_limit) {
        struct sl_pipeline *p = st_pipeline(
                "- json: {expressions: {level: , deep: a.a.a}, drop_malformed: true}\n");
        size_t cap = 16 + 2048 * 6;
        char *line = malloc(cap);

        for (unsigned levels = 2047; levels <= 2048; levels++) {
                size_t len = 0;

                len += (size_t)snprintf(line, cap, "{\"level\":30,\"a\":");
                for (unsigned d = 1; d < levels; d++)
                        line[len++] = '[';
                line[len++] = '1';
                for (unsigned d = 1; d < levels; d++)
                        line[len++] = ']';
                line[len++] = '}';
                ck_assert_int_eq(st_run_n(p, &e, 1, line, len),
                                 levels == 2047 ? SL_STAGE_KEEP : SL_STAGE_DROP);
                st_assert_kv(&e.extracted, "level", levels == 2047 ? "30" : NULL);
        }
        free(line);
        sl_pipeline_free(p);
}
END_TEST


/* Promtail 3.4 stages/json_test.go, TestJSONParser_Parse on logFixture,
 * on the line and on extracted[source], and TestPipeline_JSON. */
static const char log_fixture[] =
        "\n{\n\t\"time\":\"2012-11-01T22:08:41+00:00\",\n\t\"app\":\"loki\",\n\t\"component\": "
        "[\"parser\",\"type\"],\n\t\"level\" : \"WARN\",\n\t\"numeric\": {\n\t\t\"float\": 12.34,\n\t\t"
        "\"integer\": 123,\n\t\t\"string\": \"123\"\n\t},\n\t\"nested\" : {\"child\":\"value\"},\n\t"
        "\"message\" : \"this is a log line\",\n\t\"complex\" : {\n\t\t\"log\" : {\"array\":[{\"test1\":"
        "\"test2\"},{\"test3\":\"test4\"}],\"prop\":\"value\",\"prop2\":\"val2\"}\n\t}\n}\n";

static void assert_fixture(void) {
        st_assert_kv(&e.extracted, "time", "2012-11-01T22:08:41+00:00");
        st_assert_kv(&e.extracted, "app", "loki");
        st_assert_kv(&e.extracted, "component", "[\"parser\",\"type\"]");
        st_assert_kv(&e.extracted, "level", "WARN");
        st_assert_kv(&e.extracted, "float", "12.34");
        st_assert_kv(&e.extracted, "integer", "123");
        st_assert_kv(&e.extracted, "string", "123");
        st_assert_kv(&e.extracted, "nested", "{\"child\":\"value\"}");
        st_assert_kv(&e.extracted, "message", "this is a log line");
        st_assert_kv(&e.extracted, "complex", "test4");
}

#define FIXTURE_EXPRS                                                                            \
        "{time: , app: , component: , level: , float: numeric.float, integer: numeric.integer, " \
        "string: numeric.string, nested: , message: , complex: 'complex.log.array[1].test3'}"

START_TEST(promtail_parse) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: " FIXTURE_EXPRS "}\n");
        struct sl_pipeline *ps = st_pipeline("- json: {expressions: " FIXTURE_EXPRS ", source: log}\n");
        struct sl_pipeline *pl = st_pipeline(
                "- json:\n    expressions:\n      out:  message\n      app:\n      nested:\n"
                "      duration:\n      unknown:\n");
        struct sl_pipeline *pl2 = st_pipeline("- json: {expressions: {extra: }}\n"
                                              "- json: {expressions: {user: }, source: extra}\n");
        static const char line[] =
                "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"loki\",\"component\":[\"parser\",\"type\"],"
                "\"level\" : \"WARN\",\"nested\" : {\"child\":\"value\"},\"duration\" : 125,\"message\" : "
                "\"this is a log line\",\"extra\": \"{\\\"user\\\":\\\"marco\\\"}\"}";

        ck_assert_int_eq(st_run(p, &e, 1, log_fixture), SL_STAGE_KEEP);
        assert_fixture();
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("{}");
        sl_kvs_set(&e.extracted, SL_STR_LIT("log"), sl_str_c(log_fixture));
        ck_assert_int_eq(sl_pipeline_run(ps, &e), SL_STAGE_KEEP);
        assert_fixture();
        ck_assert_int_eq(st_run(pl, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "out", "this is a log line");
        st_assert_kv(&e.extracted, "app", "loki");
        st_assert_kv(&e.extracted, "nested", "{\"child\":\"value\"}");
        st_assert_kv(&e.extracted, "duration", "125");
        st_assert_kv(&e.extracted, "unknown", NULL);
        ck_assert_int_eq(st_run(pl2, &e, 1, line), SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "extra", "{\"user\":\"marco\"}");
        st_assert_kv(&e.extracted, "user", "marco");
        sl_pipeline_free(p);
        sl_pipeline_free(ps);
        sl_pipeline_free(pl);
        sl_pipeline_free(pl2);
}
END_TEST

/* JMESPath beyond paths, as the JMESPath specification's examples. */
START_TEST(jmespath_expressions) {
        static const struct {
                const char *expr, *want; /* want NULL: unset (null) */
        } cases[] = {
                { "people[0].first", "James" },
                { "people[-1].first", "Jayden" },
                { "people[5]", NULL },
                { "people[*].first", "[\"James\",\"Jacob\",\"Jayden\"]" },
                { "people[*].age", "[35,40]" },
                { "people[0:2].first", "[\"James\",\"Jacob\"]" },
                { "people[::-1].first", "[\"Jayden\",\"Jacob\",\"James\"]" },
                { "people[1:].last", "[\"Smith\"]" },
                { "nums[::2]", "[0,2,4]" },
                { "nums[-2:]", "[4,5]" },
                { "nums[:-4]", "[0,1]" },
                { "nested[]", "[1,2,3,[4],5]" },
                { "nested[][]", "[1,2,3,4,5]" },
                { "ops.*.n", "[1,2]" },
                { "people[*].first | [0]", "James" },
                { "people[*] | [1].first", "Jacob" },
                { "\"odd key\"[0]", "x" },
                { "people[0]", "{\"age\":35,\"first\":\"James\",\"last\":\"d\",\"pets\":[{\"name\":\"a\"},{\"name\":\"b\"}]}" },
                { "people[*].pets[*].name", "[[\"a\",\"b\"],[]]" },
                { "people[0].first[0]", NULL },
                { "flag[0]", NULL },
                { "ratio[0]", "0.5" },
                { "deep[0][1]", "true" },
        };
        static const char doc[] =
                "{\"people\":[{\"first\":\"James\",\"last\":\"d\",\"age\":35,\"pets\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
                "{\"first\":\"Jacob\",\"age\":40,\"pets\":[]},{\"first\":\"Jayden\",\"last\":\"Smith\"}],"
                "\"nums\":[0,1,2,3,4,5],\"nested\":[[1,2],3,[[4],5]],\"ops\":{\"a\":{\"n\":1},\"b\":{\"n\":2}},"
                "\"odd key\":[\"x\"],\"flag\":true,\"ratio\":[0.5],\"deep\":[[false,true]]}";

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char yaml[256];
                struct sl_pipeline *p;
                const struct sl_str *v;

                snprintf(yaml, sizeof(yaml), "- json: {expressions: {v: '%s', level: }}\n", cases[i].expr);
                p = st_pipeline(yaml);
                ck_assert_int_eq(st_run(p, &e, 1, doc), SL_STAGE_KEEP);
                v = sl_kvs_get(&e.extracted, SL_STR_LIT("v"));
                if (cases[i].want)
                        ck_assert_msg(v && sl_str_eq_c(*v, cases[i].want), "%s: got %.*s, want %s", cases[i].expr,
                                      v ? (int)v->len : 6, v ? v->ptr : "(none)", cases[i].want);
                else
                        ck_assert_msg(!v, "%s: got %.*s", cases[i].expr, (int)v->len, v->ptr);
                /* not JSON: nothing, whatever the expression */
                ck_assert_int_eq(st_run(p, &e, 1, "{\"people\":"), SL_STAGE_KEEP);
                ck_assert_ptr_null(sl_kvs_get(&e.extracted, SL_STR_LIT("v")));
                sl_pipeline_free(p);
        }
}
END_TEST

/* The documentation page's examples. */
START_TEST(documentation_examples) {
        struct sl_pipeline *p = st_pipeline("- json: {expressions: {output: log, stream: stream, timestamp: time}}\n");
        struct sl_pipeline *p2 = st_pipeline(
                "- json: {expressions: {output: log, stream: '\"grpc.stream\"', timestamp: time}}\n");

        ck_assert_int_eq(st_run(p, &e, 1,
                                "{\"log\":\"log message\\n\",\"stream\":\"stderr\",\"time\":\"2019-04-30T02:12:41.8443515Z\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "output", "log message\n");
        st_assert_kv(&e.extracted, "stream", "stderr");
        st_assert_kv(&e.extracted, "timestamp", "2019-04-30T02:12:41.8443515Z");
        ck_assert_int_eq(st_run(p2, &e, 1,
                                "{\"timestamp\":\"2022-02-21T17:33:56.466Z\",\"grpc.stream\":\"stdout\","
                                "\"log\":\"a\",\"time\":\"t\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.extracted, "stream", "stdout");
        sl_pipeline_free(p);
        sl_pipeline_free(p2);
}
END_TEST

static Suite *json_suite(void) {
        Suite *s = suite_create("stage-json");
        TCase *tc = tcase_create("json");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, top_level_and_dotted);
        tcase_add_test(tc, names_already_extracted);
        tcase_add_test(tc, value_texts);
        tcase_add_loop_test(tc, reals, 0, (int)(sizeof(real_cases) / sizeof(real_cases[0])));
        tcase_add_test(tc, values_live_in_the_arena);
        tcase_add_test(tc, huge_integer_is_not_malformed);
        tcase_add_test(tc, source_parses_an_extracted_value);
        tcase_add_loop_test(tc, malformed_kept, 0,
                            (int)(sizeof(malformed_cases) / sizeof(malformed_cases[0])));
        tcase_add_test(tc, malformed_dropped);
        tcase_add_test(tc, config_errors);
        tcase_add_test(tc, numbers);
        tcase_add_test(tc, integer_overflow_reads_doubles);
        tcase_add_test(tc, keys_escaped_and_repeated);
        tcase_add_test(tc, string_and_container_escapes);
        tcase_add_loop_test(tc, more_malformed_dropped, 0,
                            (int)(sizeof(more_malformed_cases) / sizeof(more_malformed_cases[0])));
        tcase_add_test(tc, nesting_limit);
        tcase_add_test(tc, promtail_parse);
        tcase_add_test(tc, jmespath_expressions);
        tcase_add_test(tc, documentation_examples);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(json_suite)
