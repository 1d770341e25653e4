/* test-push-request.c - Loki's push bodies (protobuf+snappy and JSON, with
 * gzip and deflate), Promtail's raw lines, the label text, the limits and
 * bodies that are garbage. OTLP is in test-otlp.c.
 *
 * Entries are compared as receive-test.h renders them:
 *   <ts_ns> {labels} "line" [metadata] (extracted) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "core/kv.h"
#include "push.pb-c.h"
#include "receive-test.h"
#include "receive/push-request.h"
#include "sl-test.h"

#define JSON "application/json"
#define PROTO "application/x-protobuf"

static struct sl_buf out, tmp;

static void setup(void) {
        sl_buf_init(&out, 64u << 20);
        sl_buf_init(&tmp, 64u << 20);
}

static void teardown(void) {
        sl_buf_release(&out);
        sl_buf_release(&tmp);
}

static int loki_json(const char *ctype, const char *enc, const char *json) {
        const void *body = json;
        size_t len = strlen(json);

        if (enc && strcmp(enc, "gzip") == 0) {
                rt_deflate(json, len, 16 + 15, &tmp);
                body = tmp.data, len = tmp.len;
        } else if (enc && strcmp(enc, "deflate") == 0) {
                rt_deflate(json, len, -15, &tmp);
                body = tmp.data, len = tmp.len;
        }
        return rt_decode(SL_PUSH_LOKI, ctype, enc, body, len, NULL, &out);
}

static void expect(const char *want) {
        const char *got = out.data ? out.data : "";
        ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
}

static void expect_err(const char *part) {
        ck_assert_msg(out.data && strncmp(out.data, "ERR ", 4) == 0 && strstr(out.data, part),
                      "got: %s\nwant an error with: %s", out.data ? out.data : "(nothing)", part);
}

/* ---- Loki's JSON ----------------------------------------------------------- */

static const char FIZZ[] = "{\"streams\": [{ \"stream\": { \"foo\": \"bar2\" }, \"values\": "
                           "[ [ \"1570818238000000000\", \"fizzbuzz\" ] ] }]}";
static const char FIZZ_WANT[] = "1570818238000000000 {foo=bar2} \"fizzbuzz\" [] ()\n";

/* Cases from Loki 3.4 pkg/loghttp/push/push_test.go (TestParseRequest):
 * which bodies, Content-Types and Content-Encodings are read. */
START_TEST(test_loki_json_cases_from_loki) {
        static const struct {
                const char *body, *ctype, *enc;
                bool valid;
        } cases[] = {
                { "", JSON, NULL, false },
                { FIZZ, NULL, NULL, false },
                { FIZZ, "", NULL, false },
                { FIZZ, JSON, NULL, true },
                { FIZZ, JSON, "", true },
                { "{\"streams\": [{ \"stream\": { \"foo\": \"bar2\" }, \"values\": "
                  "[ [ \"1570818238000000000\", {\"fizz\": \"buzz\"} ] ] }]}", JSON, NULL, false },
                { FIZZ, JSON, "gzip", true },
                { FIZZ, JSON, "deflate", true },
                { FIZZ, "application/json; charset=utf-8", "gzip", true },
                { FIZZ, "application/json; charset=utf-8", "deflate", true },
                { FIZZ, "application/jsonn; charset=utf-8", "gzip", false },
                { FIZZ, "application/jsonn; charset=utf-8", "deflate", false },
                { FIZZ, "application/json; charsetutf-8", "gzip", false },
                { FIZZ, "application/json; charsetutf-8", "deflate", false },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                int r = loki_json(cases[i].ctype, cases[i].enc, cases[i].body);
                ck_assert_msg((r == 0) == cases[i].valid, "case %zu: %d %s", i, r, out.data);
                if (cases[i].valid)
                        expect(FIZZ_WANT);
        }
        /* A gzip body said to be "snappy" (no encoding for JSON): not JSON. */
        rt_deflate(FIZZ, strlen(FIZZ), 16 + 15, &tmp);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, "snappy", tmp.data, tmp.len, NULL, &out),
                         -EINVAL);
        expect_err("invalid JSON");
        /* The last case: a metadata object, its pairs in order. */
        ck_assert_int_eq(loki_json("application/json; charset=utf-8", "deflate",
                                   "{\"streams\": [{ \"stream\": { \"foo\": \"bar2\" }, \"values\": "
                                   "[ [ \"1570818238000000000\", \"fizzbuzz\", {\"a\": \"a\", "
                                   "\"b\": \"b\"} ] ] }]}"),
                         0);
        expect("1570818238000000000 {foo=bar2} \"fizzbuzz\" [a=a,b=b] ()\n");
}
END_TEST

/* The third element of an entry as Loki reads it for a push
 * (pkg/loghttp/entry.go): pairs, or an object under "structuredMetadata";
 * a number is kept as its text. */
START_TEST(test_loki_json_metadata) {
        ck_assert_int_eq(loki_json(JSON, NULL,
                                   "{\"streams\":[{\"stream\":{\"app\":\"x\"},\"values\":["
                                   "[\"1\",\"a\",{\"trace_id\":\"0242ac120002\",\"user_id\":\"superUser123\"}],"
                                   "[\"2\",\"b\",{\"structuredMetadata\":{\"k\":\"v\",\"n\":7},"
                                   "\"parsed\":{\"msg\":\"text\"}}],"
                                   "[\"3\",\"c\",{\"code\":503,\"ok\":true}],"
                                   "[\"-4\",\"d\",{},\"ignored\"]]}]}"),
                         0);
        expect("1 {app=x} \"a\" [trace_id=0242ac120002,user_id=superUser123] ()\n"
               "2 {app=x} \"b\" [k=v,n=7] ()\n"
               "3 {app=x} \"c\" [code=503,ok=true] ()\n"
               "-4 {app=x} \"d\" [] ()\n");

        ck_assert_int_eq(loki_json(JSON, NULL, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
                                               "\"values\":[[\"1\",\"a\",\"md\"]]}]}"),
                         -EINVAL);
        expect_err("structured metadata must be an object");
        ck_assert_int_eq(loki_json(JSON, NULL, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
                                               "\"values\":[[\"1\",\"a\",{\"structuredMetadata\":"
                                               "{\"k\":[1]}}]]}]}"),
                         -EINVAL);
        expect_err("expected a string or a number");
}
END_TEST

START_TEST(test_loki_json_refusals) {
        static const struct {
                const char *body, *reason;
        } cases[] = {
                { "[]", "expected {\"streams\": [...]}" },
                { "{\"streams\": {}}", "expected {\"streams\": [...]}" },
                { "{\"streams\": [1]}", "streams[0]: expected" },
                { "{\"streams\": [{\"stream\": [], \"values\": []}]}", "streams[0]: expected" },
                { "{\"streams\": [{\"stream\": {\"a-b\": \"c\"}, \"values\": []}]}",
                  "invalid label name \"a-b\"" },
                { "{\"streams\": [{\"stream\": {\"\": \"c\"}, \"values\": []}]}",
                  "invalid label name" },
                { "{\"streams\": [{\"stream\": {\"a\": 1}, \"values\": []}]}",
                  "label a: expected a string value" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": [[\"1\"]]}]}",
                  "streams[0].values[0]: expected" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": [[1, \"x\"]]}]}",
                  "timestamp must be a string" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": [[\"x\", \"y\"]]}]}",
                  "timestamp must be a string" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": [[\"+1\", \"y\"]]}]}",
                  "timestamp" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": [[\" 1\", \"y\"]]}]}",
                  "timestamp" },
                { "{\"streams\": [{\"stream\": {\"a\": \"b\"}, \"values\": "
                  "[[\"99999999999999999999\", \"y\"]]}]}", "timestamp" },
                { "{\"streams\": [", "invalid JSON at line 1" },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                ck_assert_msg(loki_json(JSON, NULL, cases[i].body) == -EINVAL, "case %zu: %s", i,
                              out.data);
                expect_err(cases[i].reason);
        }
        /* An empty push is accepted, as Loki accepts it; a repeated key: the
         * last one counts. */
        ck_assert_int_eq(loki_json(JSON, NULL, "{\"streams\": []}"), 0);
        expect("");
        ck_assert_int_eq(loki_json(JSON, NULL, "{\"streams\": [{\"stream\": {\"a\": \"1\", "
                                               "\"a\": \"2\"}, \"values\": [[\"5\", \"x\"]]}]}"),
                         0);
        expect("5 {a=2} \"x\" [] ()\n");
}
END_TEST

/* ---- Loki's protobuf ----------------------------------------------------- */

/* A PushRequest of @n_streams streams, stream i labelled @labels[i] with
 * @per_stream entries "s<i>-e<j>" at second 1700000000+j, nanos j; entry 0
 * of each stream carries metadata trace_id=t<i>. Packed and snappy-compressed
 * into @dst. */
static void loki_proto(size_t n_streams, const char *const *labels, size_t per_stream,
                       struct sl_buf *dst) {
        Logproto__PushRequest req = LOGPROTO__PUSH_REQUEST__INIT;
        Logproto__StreamAdapter *streams = calloc(n_streams, sizeof(*streams));
        Logproto__StreamAdapter **sp = calloc(n_streams, sizeof(*sp));
        Logproto__EntryAdapter *entries = calloc(n_streams * per_stream + 1, sizeof(*entries));
        Logproto__EntryAdapter **ep = calloc(n_streams * per_stream + 1, sizeof(*ep));
        Logproto__Timestamp *ts = calloc(n_streams * per_stream + 1, sizeof(*ts));
        Logproto__LabelPairAdapter *md = calloc(n_streams + 1, sizeof(*md));
        Logproto__LabelPairAdapter **mdp = calloc(n_streams + 1, sizeof(*mdp));
        char (*lines)[32] = calloc(n_streams * per_stream + 1, sizeof(*lines));
        char (*mdv)[16] = calloc(n_streams + 1, sizeof(*mdv));
        uint8_t *packed;
        size_t len;

        for (size_t i = 0; i < n_streams; i++) {
                logproto__stream_adapter__init(&streams[i]);
                streams[i].labels = (char *)labels[i];
                streams[i].n_entries = per_stream;
                streams[i].entries = &ep[i * per_stream];
                sp[i] = &streams[i];
                logproto__label_pair_adapter__init(&md[i]);
                snprintf(mdv[i], sizeof(mdv[i]), "t%zu", i);
                md[i].name = (ProtobufCBinaryData){ 8, (uint8_t *)"trace_id" };
                md[i].value = (ProtobufCBinaryData){ strlen(mdv[i]), (uint8_t *)mdv[i] };
                mdp[i] = &md[i];
                for (size_t j = 0; j < per_stream; j++) {
                        size_t k = i * per_stream + j;
                        logproto__entry_adapter__init(&entries[k]);
                        logproto__timestamp__init(&ts[k]);
                        ts[k].seconds = 1700000000 + (int64_t)j;
                        ts[k].nanos = (int32_t)j;
                        snprintf(lines[k], sizeof(lines[k]), "s%zu-e%zu", i, j);
                        entries[k].timestamp = &ts[k];
                        entries[k].line = (ProtobufCBinaryData){ strlen(lines[k]),
                                                                 (uint8_t *)lines[k] };
                        if (j == 0) {
                                entries[k].n_structuredmetadata = 1;
                                entries[k].structuredmetadata = &mdp[i];
                        }
                        ep[k] = &entries[k];
                }
        }
        req.n_streams = n_streams;
        req.streams = sp;
        len = logproto__push_request__get_packed_size(&req);
        packed = malloc(len + 1);
        logproto__push_request__pack(&req, packed);
        rt_snappy(packed, len, dst);
        free(packed);
        free(streams), free(sp), free(entries), free(ep), free(ts), free(md), free(mdp);
        free(lines), free(mdv);
}

START_TEST(test_loki_protobuf) {
        static const char *const labels[] = { "{app=\"api\", env=\"prod\"}", "{app=\"web\"}" };
        struct sl_buf body;

        sl_buf_init(&body, 1u << 20);
        loki_proto(2, labels, 2, &body);
        /* Any Content-Type but JSON is protobuf; "snappy" as an encoding is
         * no encoding, as in Loki. */
        static const char *const types[] = { PROTO, "text/plain", "application/x-protobuf; a=b" };
        for (size_t t = 0; t < SL_ARRAY_SIZE(types); t++) {
                ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, types[t], t == 1 ? "snappy" : NULL,
                                           body.data, body.len, NULL, &out),
                                 0);
                expect("1700000000000000000 {app=api,env=prod} \"s0-e0\" [trace_id=t0] ()\n"
                       "1700000001000000001 {app=api,env=prod} \"s0-e1\" [] ()\n"
                       "1700000000000000000 {app=web} \"s1-e0\" [trace_id=t1] ()\n"
                       "1700000001000000001 {app=web} \"s1-e1\" [] ()\n");
        }
        /* gzip around the snappy body, as Loki reads it. */
        rt_deflate(body.data, body.len, 16 + 15, &tmp);
        ck_assert_msg(rt_decode(SL_PUSH_LOKI, PROTO, "gzip", tmp.data, tmp.len, NULL, &out) == 0,
                      "%s", out.data);
        ck_assert_ptr_nonnull(strstr(out.data, "\"s1-e1\""));
        sl_buf_release(&body);
}
END_TEST

START_TEST(test_loki_protobuf_refusals) {
        static const char *const bad_labels[][1] = {
                { "app=\"x\"" },        /* no braces */
                { "{1a=\"x\"}" },       /* a name starting with a digit */
                { "{a=\"x\",a=\"y\"}" }, /* a repeated name */
                { "{a=~\"x\"}" },       /* a matcher, not a label */
                { "{a=\"x\"" },         /* unterminated */
                { "up{a=\"x\"}" },      /* a metric name */
        };
        struct sl_buf body;
        uint8_t garbage[64];

        sl_buf_init(&body, 1u << 20);
        for (size_t i = 0; i < SL_ARRAY_SIZE(bad_labels); i++) {
                loki_proto(1, bad_labels[i], 1, &body);
                ck_assert_msg(rt_decode(SL_PUSH_LOKI, PROTO, NULL, body.data, body.len, NULL,
                                        &out) == -EINVAL,
                              "case %zu: %s", i, out.data);
        }
        /* Not snappy at all; snappy of something that is not a PushRequest. */
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, "\xff\xff\xff\xff\xff\xff", 6,
                                   NULL, &out),
                         -EINVAL);
        expect_err("snappy");
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = 0xff;
        rt_snappy(garbage, sizeof(garbage), &body);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, body.data, body.len, NULL, &out),
                         -EINVAL);
        expect_err("not a Loki PushRequest");
        /* A snappy body claiming 2 GiB (found by fuzz-push-request: it was
         * allocated before anything was checked). */
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, "\xfe\xff\xff\xff\x07  \t\xff", 9,
                                   NULL, &out),
                         -EINVAL);
        expect_err("not snappy");
        /* An encoding Loki does not read. */
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, "br", "x", 1, NULL, &out), -ENOTSUP);
        expect_err("Content-Encoding \"br\" not supported");
        /* A timestamp past what nanoseconds hold (year 2262). */
        {
                Logproto__Timestamp t = LOGPROTO__TIMESTAMP__INIT;
                Logproto__EntryAdapter e = LOGPROTO__ENTRY_ADAPTER__INIT, *ep = &e;
                Logproto__StreamAdapter s = LOGPROTO__STREAM_ADAPTER__INIT, *sp = &s;
                Logproto__PushRequest req = LOGPROTO__PUSH_REQUEST__INIT;
                uint8_t packed[256];
                size_t len;

                t.seconds = INT64_MAX / 2;
                e.timestamp = &t;
                s.labels = "{a=\"b\"}";
                s.n_entries = 1;
                s.entries = &ep;
                req.n_streams = 1;
                req.streams = &sp;
                len = logproto__push_request__pack(&req, packed);
                rt_snappy(packed, len, &body);
                ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, body.data, body.len, NULL,
                                           &out),
                                 -EINVAL);
                expect_err("timestamp out of range");
        }
        sl_buf_release(&body);
}
END_TEST

/* ---- the label text ---------------------------------------------------------- */

START_TEST(test_parse_labels) {
        static const struct {
                const char *text, *want; /* want: name=value,...; NULL: an error */
        } cases[] = {
                { "{}", "" },
                { " { } ", "" },
                { "{foo=\"bar\"}", "foo=bar" },
                { "{foo=\"bar\", baz=\"qux\"}", "foo=bar,baz=qux" },
                { "{ a = \"1\" ,b=\"2\", }", "a=1,b=2" },
                { "{a=\"x\\\"y\\\\z\\n\"}", "a=x\"y\\z\n" },
                { "{a=\"\\u00e9\\x41\\101\"}", "a=\xc3\xa9" "AA" },
                { "{a='s\\'q', b=`raw\\n`}", "a=s'q,b=raw\\n" },
                { "{_a_1=\"\"}", "_a_1=" },
                { "", NULL },
                { "{", NULL },
                { "{a}", NULL },
                { "{a=}", NULL },
                { "{a=b}", NULL },
                { "{a=\"b\" c=\"d\"}", NULL },
                { "{a=\"b\"} x", NULL },
                { "{a=\"b\\q\"}", NULL },
                { "{a=\"b\\u12\"}", NULL },
                { "{a=\"b\nc\"}", NULL },
                { "{a=\"b\",a=\"c\"}", NULL },
                { "{a!=\"b\"}", NULL },
        };
        struct sl_arena arena;

        sl_arena_init(&arena, 4096);
        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                struct sl_kvs labels;
                char reason[SL_PUSH_REASON_MAX] = "";
                int r;

                sl_kvs_init(&labels);
                r = sl_push_parse_labels(cases[i].text, strlen(cases[i].text), &arena, &labels,
                                         reason);
                if (!cases[i].want) {
                        ck_assert_msg(r == -EINVAL && reason[0], "case %zu accepted", i);
                } else {
                        sl_buf_reset(&out);
                        for (size_t k = 0; k < labels.len; k++)
                                sl_buf_printf(&out, "%s%.*s=%.*s", k ? "," : "",
                                              (int)labels.items[k].name.len,
                                              labels.items[k].name.ptr,
                                              (int)labels.items[k].value.len,
                                              labels.items[k].value.ptr);
                        ck_assert_msg(r == 0, "case %zu: %s", i, reason);
                        ck_assert_msg(strcmp(out.data ? out.data : "", cases[i].want) == 0,
                                      "case %zu: got %s", i, out.data);
                }
                sl_kvs_release(&labels);
        }
        sl_arena_release(&arena);
}
END_TEST

/* ---- raw lines ---------------------------------------------------------------- */

/* Promtail's /promtail/api/v1/raw: a line per LF, trailing CR and LF cut,
 * empty lines skipped, the last line without a newline kept. */
START_TEST(test_raw_lines) {
        static const char body[] = "one\r\n\ntwo\n\r\n{\"json\": 1}\r\r\nlast";

        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, NULL, NULL, body, strlen(body), NULL, &out), 0);
        expect("0 {} \"one\" [] ()\n0 {} \"two\" [] ()\n0 {} \"{\"json\": 1}\" [] ()\n"
               "0 {} \"last\" [] ()\n");
        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, "text/plain", NULL, "\n\n", 2, NULL, &out), 0);
        expect("");
        rt_deflate("a\nb\n", 4, 16 + 15, &tmp);
        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, NULL, "gzip", tmp.data, tmp.len, NULL, &out), 0);
        expect("0 {} \"a\" [] ()\n0 {} \"b\" [] ()\n");
}
END_TEST

/* ---- limits -------------------------------------------------------------------- */

START_TEST(test_limits) {
        struct sl_push_limits three = { .max_entries = 3 }, small = { .max_body = 100 };
        static const char *const labels[] = { "{a=\"b\"}", "{a=\"c\"}" };
        char big[200];
        struct sl_buf body, zeros;

        sl_buf_init(&body, 64u << 20);
        sl_buf_init(&zeros, 64u << 20);

        /* Entries per push, in each format: three pass, four do not. */
        static const char three_json[] = "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":"
                                         "[[\"1\",\"x\"],[\"2\",\"x\"],[\"3\",\"x\"]]}]}";
        static const char four_json[] = "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":"
                                        "[[\"1\",\"x\"],[\"2\",\"x\"]]},{\"stream\":{\"a\":\"c\"},"
                                        "\"values\":[[\"3\",\"x\"],[\"4\",\"x\"]]}]}";
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, NULL, three_json, strlen(three_json),
                                   &three, &out),
                         0);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, NULL, four_json, strlen(four_json),
                                   &three, &out),
                         -E2BIG);
        expect_err("more than 3 entries in one push");
        loki_proto(2, labels, 2, &body);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, body.data, body.len, &three, &out),
                         -E2BIG);
        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, NULL, NULL, "1\n2\n3\n", 6, &three, &out), 0);
        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, NULL, NULL, "1\n2\n3\n4", 7, &three, &out),
                         -E2BIG);

        /* Body size: as sent, and once decompressed (a small gzip of many
         * zeros, a snappy body announcing more than the cap). */
        memset(big, ' ', sizeof(big));
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, NULL, big, sizeof(big), &small, &out),
                         -EMSGSIZE);
        expect_err("larger than 100 bytes");
        ck_assert_int_eq(sl_buf_reserve(&zeros, 32u << 20), 0);
        memset(zeros.data, 0, 32u << 20);
        zeros.len = 32u << 20;
        rt_deflate(zeros.data, zeros.len, 16 + 15, &body);
        ck_assert_uint_lt(body.len, 100000);
        ck_assert_int_eq(rt_decode(SL_PUSH_RAW, NULL, "gzip", body.data, body.len,
                                   &(struct sl_push_limits){ .max_body = 1u << 20 }, &out),
                         -EMSGSIZE);
        expect_err("once decompressed");
        rt_deflate(zeros.data, zeros.len, -15, &body);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, "deflate", body.data, body.len,
                                   &(struct sl_push_limits){ .max_body = 1u << 20 }, &out),
                         -EMSGSIZE);
        rt_snappy(zeros.data, 4096, &body);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, PROTO, NULL, body.data, body.len,
                                   &(struct sl_push_limits){ .max_body = 1000 }, &out),
                         -EMSGSIZE);
        expect_err("once decompressed");

        /* A gzip body cut short, or not gzip. */
        rt_deflate(FIZZ, strlen(FIZZ), 16 + 15, &body);
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, "gzip", body.data, body.len / 2, NULL,
                                   &out),
                         -EINVAL);
        expect_err("ends early");
        ck_assert_int_eq(rt_decode(SL_PUSH_LOKI, JSON, "gzip", FIZZ, strlen(FIZZ), NULL, &out),
                         -EINVAL);
        expect_err("cannot decompress");
        sl_buf_release(&body);
        sl_buf_release(&zeros);
}
END_TEST

/* ---- garbage -------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Random bytes, and valid bodies with bytes changed or cut, in every format
 * and encoding: each is decoded or refused with a reason, never a crash
 * (the asserts are in rt_decode; run under the sanitizers too). */
START_TEST(test_garbage) {
        static const char *const labels[] = { "{app=\"api\"}", "{app=\"web\", x=\"y\"}" };
        static const struct {
                enum sl_push_format format;
                const char *ctype, *enc;
        } kinds[] = {
                { SL_PUSH_LOKI, PROTO, NULL },   { SL_PUSH_LOKI, JSON, NULL },
                { SL_PUSH_LOKI, JSON, "gzip" },  { SL_PUSH_LOKI, PROTO, "deflate" },
                { SL_PUSH_RAW, NULL, NULL },     { SL_PUSH_RAW, NULL, "gzip" },
                { SL_PUSH_OTLP, PROTO, NULL },   { SL_PUSH_OTLP, JSON, NULL },
                { SL_PUSH_OTLP, JSON, "gzip" },
        };
        struct sl_push_limits limits = { .max_body = 1u << 20, .max_entries = 1000 };
        struct sl_buf valid[3], body;
        size_t decoded = 0, refused = 0;

        for (int v = 0; v < 3; v++)
                sl_buf_init(&valid[v], 1u << 20);
        sl_buf_init(&body, 1u << 20);
        loki_proto(2, labels, 3, &valid[0]);
        sl_buf_append(&valid[1], FIZZ, strlen(FIZZ));
        rt_deflate(FIZZ, strlen(FIZZ), 16 + 15, &valid[2]);

        for (int round = 0; round < 3000; round++) {
                size_t k = (size_t)(rng() % SL_ARRAY_SIZE(kinds));
                sl_buf_reset(&body);
                if (round % 2) {
                        size_t n = (size_t)(rng() % 600);
                        for (size_t i = 0; i < n; i++)
                                sl_buf_putc(&body, (char)rng());
                } else {
                        const struct sl_buf *src = &valid[rng() % 3];
                        sl_buf_append(&body, src->data, src->len);
                        for (int flips = 1 + (int)(rng() % 4); flips > 0; flips--)
                                body.data[rng() % body.len] = (char)rng();
                        if (rng() % 4 == 0)
                                body.len = (size_t)(rng() % body.len);
                }
                if (rt_decode(kinds[k].format, kinds[k].ctype, kinds[k].enc,
                              body.data ? body.data : "", body.len, &limits, &out) == 0)
                        decoded++;
                else
                        refused++;
        }
        ck_assert_uint_gt(refused, 1000);
        for (int v = 0; v < 3; v++)
                sl_buf_release(&valid[v]);
        sl_buf_release(&body);
        (void)decoded;
}
END_TEST

static Suite *push_request_suite(void) {
        Suite *s = suite_create("push-request");
        TCase *tc = tcase_create("loki");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_loki_json_cases_from_loki);
        tcase_add_test(tc, test_loki_json_metadata);
        tcase_add_test(tc, test_loki_json_refusals);
        tcase_add_test(tc, test_loki_protobuf);
        tcase_add_test(tc, test_loki_protobuf_refusals);
        tcase_add_test(tc, test_parse_labels);
        tcase_add_test(tc, test_raw_lines);
        suite_add_tcase(s, tc);

        tc = tcase_create("limits");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_limits);
        tcase_add_test(tc, test_garbage);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(push_request_suite)
