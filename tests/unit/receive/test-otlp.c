/* test-otlp.c - OTLP/HTTP logs (protobuf and OTLP/JSON) mapped into entries
 * as Loki 3.4 maps them. Cases from Loki 3.4 pkg/loghttp/push/otlp_test.go
 * (TestOTLPToLokiPushRequest, TestOTLPLogToPushEntry,
 * TestAttributesToLabels), written here both as protobuf (encoded by the
 * small writer below) and as OTLP/JSON.
 *
 * Entries are compared as receive-test.h renders them:
 *   <ts_ns> {labels} "line" [metadata] (extracted) */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "receive-test.h"
#include "receive/push-request.h"
#include "sl-test.h"

#define JSON "application/json"
#define PROTO "application/x-protobuf"
#define NOW "1700000000123456789"
#define NOW_NS 1700000000123456789ull

static struct sl_buf out, tmp;

static void setup(void) {
        sl_buf_init(&out, 64u << 20);
        sl_buf_init(&tmp, 64u << 20);
}

static void teardown(void) {
        sl_buf_release(&out);
        sl_buf_release(&tmp);
}

static void expect(const char *want) {
        const char *got = out.data ? out.data : "";
        ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
}

static void expect_err(const char *part) {
        ck_assert_msg(out.data && strncmp(out.data, "ERR ", 4) == 0 && strstr(out.data, part),
                      "got: %s\nwant an error with: %s", out.data ? out.data : "(nothing)", part);
}

static int otlp(const char *ctype, const void *body, size_t len) {
        return rt_decode(SL_PUSH_OTLP, ctype, NULL, body, len, NULL, &out);
}

static int otlp_json(const char *json) {
        return otlp(JSON, json, strlen(json));
}

/* ---- a small protobuf writer ------------------------------------------------ */

/* A message being written: a buffer of its own, added to its parent once
 * done (length-delimited). */
struct pb {
        struct sl_buf b;
};

static void pb_init(struct pb *m) {
        sl_buf_init(&m->b, 16u << 20);
}

static void pb_varint(struct pb *m, uint64_t v) {
        while (v >= 0x80) {
                sl_buf_putc(&m->b, (char)(v | 0x80));
                v >>= 7;
        }
        sl_buf_putc(&m->b, (char)v);
}

static void pb_key(struct pb *m, unsigned field, unsigned wire) {
        pb_varint(m, (uint64_t)field << 3 | wire);
}

static void pb_uint(struct pb *m, unsigned field, uint64_t v) {
        pb_key(m, field, 0);
        pb_varint(m, v);
}

static void pb_fixed64(struct pb *m, unsigned field, uint64_t v) {
        pb_key(m, field, 1);
        for (int i = 0; i < 8; i++)
                sl_buf_putc(&m->b, (char)(v >> (8 * i)));
}

static void pb_fixed32(struct pb *m, unsigned field, uint32_t v) {
        pb_key(m, field, 5);
        for (int i = 0; i < 4; i++)
                sl_buf_putc(&m->b, (char)(v >> (8 * i)));
}

static void pb_bytes(struct pb *m, unsigned field, const void *p, size_t n) {
        pb_key(m, field, 2);
        pb_varint(m, n);
        sl_buf_append(&m->b, p, n);
}

static void pb_str(struct pb *m, unsigned field, const char *s) {
        pb_bytes(m, field, s, strlen(s));
}

/* Adds @child (released) to @m as field @field. */
static void pb_sub(struct pb *m, unsigned field, struct pb *child) {
        pb_bytes(m, field, child->b.data ? child->b.data : "", child->b.len);
        sl_buf_release(&child->b);
}

/* AnyValue fields. */
enum { AV_STR = 1, AV_BOOL, AV_INT, AV_DOUBLE, AV_ARRAY, AV_KVLIST, AV_BYTES };

static void kv_str(struct pb *m, unsigned field, const char *key, const char *value) {
        struct pb kv, v;
        pb_init(&kv);
        pb_init(&v);
        pb_str(&kv, 1, key);
        pb_str(&v, AV_STR, value);
        pb_sub(&kv, 2, &v);
        pb_sub(m, field, &kv);
}

/* A KeyValue @key = {nested_key: value} (a one-pair map). */
static void kv_map1(struct pb *m, unsigned field, const char *key, const char *nested_key,
                    const char *value) {
        struct pb kv, v, list;
        pb_init(&kv);
        pb_init(&v);
        pb_init(&list);
        kv_str(&list, 1, nested_key, value);
        pb_sub(&v, AV_KVLIST, &list);
        pb_str(&kv, 1, key);
        pb_sub(&kv, 2, &v);
        pb_sub(m, field, &kv);
}

/* Record fields. */
enum {
        LR_TIME = 1, LR_SEVERITY = 2, LR_SEVERITY_TEXT = 3, LR_BODY = 5, LR_ATTRS = 6,
        LR_DROPPED = 7, LR_FLAGS = 8, LR_TRACE = 9, LR_SPAN = 10, LR_OBSERVED = 11,
};

static void record_body(struct pb *lr, const char *body) {
        struct pb v;
        pb_init(&v);
        pb_str(&v, AV_STR, body);
        pb_sub(lr, LR_BODY, &v);
}

/* Wraps @resource (NULL: none) and @scope_logs (each a ScopeLogs, released)
 * into a request of one ResourceLogs, into @dst. */
static void request1(struct pb *resource, struct pb *scope_logs, size_t n, struct pb *dst) {
        struct pb rl;
        pb_init(&rl);
        if (resource)
                pb_sub(&rl, 1, resource);
        for (size_t i = 0; i < n; i++)
                pb_sub(&rl, 2, &scope_logs[i]);
        pb_init(dst);
        pb_sub(dst, 1, &rl);
}

static int decode_pb(struct pb *req) {
        int r = otlp(PROTO, req->b.data ? req->b.data : "", req->b.len);
        sl_buf_release(&req->b);
        return r;
}

/* ---- cases from Loki ------------------------------------------------------------ */

START_TEST(test_loki_push_request_cases) {
        struct pb req, res, sl[1], lr, scope;

        /* "no logs" */
        ck_assert_int_eq(otlp(PROTO, "", 0), 0);
        expect("");
        ck_assert_int_eq(otlp_json("{}"), 0);
        expect("");

        /* "resource with no logs" */
        pb_init(&res);
        kv_str(&res, 1, "service.name", "service-1");
        request1(&res, NULL, 0, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect("");

        /* "resource with a log entry" */
        pb_init(&res);
        pb_init(&sl[0]);
        pb_init(&lr);
        kv_str(&res, 1, "service.name", "service-1");
        record_body(&lr, "test body");
        pb_fixed64(&lr, LR_TIME, NOW_NS);
        pb_sub(&sl[0], 2, &lr);
        request1(&res, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect(NOW " {service_name=service-1} \"test body\" [] ()\n");

        /* "no resource attributes defined" */
        pb_init(&sl[0]);
        pb_init(&lr);
        record_body(&lr, "test body");
        pb_fixed64(&lr, LR_TIME, NOW_NS);
        pb_sub(&sl[0], 2, &lr);
        request1(NULL, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect(NOW " {service_name=unknown_service} \"test body\" [] ()\n");

        /* "service.name not defined in resource attributes" */
        pb_init(&res);
        pb_init(&sl[0]);
        pb_init(&lr);
        kv_str(&res, 1, "service.namespace", "foo");
        record_body(&lr, "test body");
        pb_fixed64(&lr, LR_TIME, NOW_NS);
        pb_sub(&sl[0], 2, &lr);
        request1(&res, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect(NOW " {service_namespace=foo,service_name=unknown_service} \"test body\" [] ()\n");

        /* "resource attributes and scope attributes stored as structured
         * metadata": a record's metadata, then the resource's, then the
         * scope's attributes and its name. */
        pb_init(&res);
        pb_init(&sl[0]);
        pb_init(&scope);
        kv_str(&res, 1, "service.name", "service-1");
        kv_str(&res, 1, "service.image", "loki");
        pb_str(&scope, 1, "fizz");
        kv_str(&scope, 3, "op", "buzz");
        pb_sub(&sl[0], 1, &scope);
        for (int i = 0; i < 2; i++) {
                char body[32];
                snprintf(body, sizeof(body), "test body - %d", i);
                pb_init(&lr);
                record_body(&lr, body);
                pb_fixed64(&lr, LR_TIME, NOW_NS);
                pb_sub(&sl[0], 2, &lr);
        }
        request1(&res, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect(NOW " {service_name=service-1} \"test body - 0\" "
                   "[service_image=loki,op=buzz,scope_name=fizz] (service_image=loki,op=buzz,scope_name=fizz)\n" NOW
                   " {service_name=service-1} \"test body - 1\" "
                   "[service_image=loki,op=buzz,scope_name=fizz] (service_image=loki,op=buzz,scope_name=fizz)\n");

        /* "attributes with nested data" */
        pb_init(&res);
        pb_init(&sl[0]);
        pb_init(&scope);
        kv_str(&res, 1, "service.name", "service-1");
        kv_map1(&res, 1, "resource.nested", "foo", "bar");
        pb_str(&scope, 1, "fizz");
        kv_map1(&scope, 3, "scope.nested", "foo", "bar");
        pb_sub(&sl[0], 1, &scope);
        for (int i = 0; i < 2; i++) {
                char value[32];
                snprintf(value, sizeof(value), "bar - %d", i);
                pb_init(&lr);
                record_body(&lr, i ? "test body - 1" : "test body - 0");
                pb_fixed64(&lr, LR_TIME, NOW_NS);
                kv_map1(&lr, LR_ATTRS, "log.nested", "foo", value);
                pb_sub(&sl[0], 2, &lr);
        }
        request1(&res, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        ck_assert_msg(strstr(out.data, "\"test body - 0\" [log_nested_foo=bar - 0,"
                                       "resource_nested_foo=bar,scope_nested_foo=bar,"
                                       "scope_name=fizz]") &&
                              strstr(out.data, "\"test body - 1\" [log_nested_foo=bar - 1,"),
                      "%s", out.data);
}
END_TEST

/* TestOTLPLogToPushEntry "all the values set": every field of a record in
 * the metadata, in Loki's order; the level from the severity number. */
START_TEST(test_loki_all_record_fields) {
        static const uint8_t trace[16] = { 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78,
                                           0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78 };
        static const uint8_t span[8] = { 0x12, 0x23, 0xAD, 0x12, 0x23, 0xAD, 0x12, 0x23 };
        struct pb req, sl[1], lr;

        pb_init(&sl[0]);
        pb_init(&lr);
        record_body(&lr, "log body");
        pb_fixed64(&lr, LR_TIME, NOW_NS);
        pb_fixed64(&lr, LR_OBSERVED, NOW_NS + 1);
        pb_uint(&lr, LR_SEVERITY, 5);
        pb_str(&lr, LR_SEVERITY_TEXT, "debug");
        pb_uint(&lr, LR_DROPPED, 1);
        pb_fixed32(&lr, LR_FLAGS, 1);
        pb_bytes(&lr, LR_TRACE, trace, sizeof(trace));
        pb_bytes(&lr, LR_SPAN, span, sizeof(span));
        kv_str(&lr, LR_ATTRS, "foo", "bar");
        pb_sub(&sl[0], 2, &lr);
        request1(NULL, sl, 1, &req);
        ck_assert_int_eq(decode_pb(&req), 0);
        expect(NOW " {service_name=unknown_service} \"log body\" "
                   "[foo=bar,observed_timestamp=1700000000123456790,severity_number=5,"
                   "severity_text=debug,dropped_attributes_count=1,flags=1,"
                   "trace_id=12345678123456781234567812345678,span_id=1223ad1223ad1223] "
                   "(foo=bar,observed_timestamp=1700000000123456790,severity_number=5,"
                   "severity_text=debug,dropped_attributes_count=1,flags=1,"
                   "trace_id=12345678123456781234567812345678,span_id=1223ad1223ad1223,"
                   "level=debug)\n");

        /* The same record as OTLP/JSON. */
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                   "\"timeUnixNano\":\"" NOW "\","
                                   "\"observedTimeUnixNano\":\"1700000000123456790\","
                                   "\"severityNumber\":\"SEVERITY_NUMBER_DEBUG\","
                                   "\"severityText\":\"debug\",\"droppedAttributesCount\":1,"
                                   "\"flags\":1,\"traceId\":\"12345678123456781234567812345678\","
                                   "\"spanId\":\"1223AD1223AD1223\","
                                   "\"body\":{\"stringValue\":\"log body\"},"
                                   "\"attributes\":[{\"key\":\"foo\",\"value\":{\"stringValue\":\"bar\"}}]"
                                   "}]}]}]}"),
                         0);
        ck_assert_ptr_nonnull(strstr(out.data, "[foo=bar,observed_timestamp=1700000000123456790,"
                                               "severity_number=5,severity_text=debug,"
                                               "dropped_attributes_count=1,flags=1,"
                                               "trace_id=12345678123456781234567812345678,"
                                               "span_id=1223ad1223ad1223]"));
        ck_assert_ptr_nonnull(strstr(out.data, "level=debug)"));

        /* "only body and timestamp set" */
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                   "\"timeUnixNano\":" NOW ",\"body\":{\"stringValue\":\"log body\"}"
                                   "}]}]}]}"),
                         0);
        expect(NOW " {service_name=unknown_service} \"log body\" [] ()\n");
}
END_TEST

/* TestAttributesToLabels: each kind of value as Loki writes it (pcommon's
 * AsString: JSON for lists, base64 for bytes), maps flattened with their
 * names joined, names normalized as Prometheus does. */
START_TEST(test_loki_attributes_to_labels) {
        ck_assert_int_eq(
                otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"1\","
                          "\"attributes\":["
                          "{\"key\":\"empty\",\"value\":{}},"
                          "{\"key\":\"str\",\"value\":{\"stringValue\":\"val\"}},"
                          "{\"key\":\"int\",\"value\":{\"intValue\":\"1\"}},"
                          "{\"key\":\"double\",\"value\":{\"doubleValue\":3.14}},"
                          "{\"key\":\"bool\",\"value\":{\"boolValue\":true}},"
                          "{\"key\":\"bytes\",\"value\":{\"bytesValue\":\"AQID\"}},"
                          "{\"key\":\"slice\",\"value\":{\"arrayValue\":{\"values\":["
                          "{\"intValue\":1},{\"arrayValue\":{\"values\":[{\"stringValue\":\"foo\"}]}},"
                          "{\"kvlistValue\":{\"values\":[{\"key\":\"fizz\",\"value\":{\"stringValue\":\"buzz\"}}]}}"
                          "]}}},"
                          "{\"key\":\"nested\",\"value\":{\"kvlistValue\":{\"values\":["
                          "{\"key\":\"foo\",\"value\":{\"stringValue\":\"bar\"}},"
                          "{\"key\":\"more\",\"value\":{\"kvlistValue\":{\"values\":["
                          "{\"key\":\"key\",\"value\":{\"stringValue\":\"val\"}}]}}}]}}}"
                          "]}]}]}]}"),
                0);
        ck_assert_msg(strstr(out.data, "[empty=,str=val,int=1,double=3.14,bool=true,bytes=AQID,"
                                       "slice=[1,[\"foo\"],{\"fizz\":\"buzz\"}],nested_foo=bar,"
                                       "nested_more_key=val]"),
                      "%s", out.data);

        ck_assert_int_eq(
                otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"1\","
                          "\"attributes\":["
                          "{\"key\":\"st.r\",\"value\":{\"stringValue\":\"val\"}},"
                          "{\"key\":\"nest*ed\",\"value\":{\"kvlistValue\":{\"values\":["
                          "{\"key\":\"fo@o\",\"value\":{\"stringValue\":\"bar\"}},"
                          "{\"key\":\"m$ore\",\"value\":{\"kvlistValue\":{\"values\":["
                          "{\"key\":\"k_ey\",\"value\":{\"stringValue\":\"val\"}}]}}}]}}}"
                          "]}]}]}]}"),
                0);
        ck_assert_msg(strstr(out.data, "[st_r=val,nest_ed_fo_o=bar,nest_ed_m_ore_k_ey=val]"), "%s",
                      out.data);
}
END_TEST

/* ---- the mapping around the cases ---------------------------------------------- */

/* Loki's default index attributes become labels (names normalized), the
 * rest of the resource structured metadata; with no service.name, the
 * first index label on Loki's discover list names the service. */
START_TEST(test_index_labels_and_service_name) {
        ck_assert_int_eq(
                otlp_json("{\"resourceLogs\":[{\"resource\":{\"attributes\":["
                          "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"node-1\"}},"
                          "{\"key\":\"k8s.namespace.name\",\"value\":{\"stringValue\":\"shop\"}},"
                          "{\"key\":\"k8s.container.name\",\"value\":{\"stringValue\":\"worker\"}},"
                          "{\"key\":\"k8s.job.name\",\"value\":{\"stringValue\":\"nightly\"}},"
                          "{\"key\":\"cloud.region\",\"value\":{\"stringValue\":\"eu-1\"}}]},"
                          "\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"5\","
                          "\"body\":{\"stringValue\":\"x\"}}]}]}]}"),
                0);
        expect("5 {k8s_namespace_name=shop,k8s_container_name=worker,k8s_job_name=nightly,"
               "cloud_region=eu-1,service_name=worker} \"x\" [host_name=node-1] (host_name=node-1)\n");

        /* service.name wins; an empty one does not count. */
        ck_assert_int_eq(
                otlp_json("{\"resourceLogs\":[{\"resource\":{\"attributes\":["
                          "{\"key\":\"k8s.container.name\",\"value\":{\"stringValue\":\"worker\"}},"
                          "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"shop\"}}]},"
                          "\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"5\"}]}]},"
                          "{\"resource\":{\"attributes\":["
                          "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"\"}},"
                          "{\"key\":\"container.name\",\"value\":{\"stringValue\":\"c\"}}]},"
                          "\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"6\"}]}]}]}"),
                0);
        expect("5 {k8s_container_name=worker,service_name=shop} \"\" [] ()\n"
               "6 {service_name=c,container_name=c} \"\" [] ()\n");

        /* A resource whose labels Loki finds invalid (a value that is not
         * UTF-8) is skipped, the others kept. */
        {
                struct pb req, rl, res, sl, lr, kv, v;
                pb_init(&req);
                for (int i = 0; i < 2; i++) {
                        pb_init(&rl);
                        pb_init(&res);
                        pb_init(&sl);
                        pb_init(&lr);
                        pb_init(&kv);
                        pb_init(&v);
                        pb_str(&kv, 1, "service.name");
                        pb_str(&v, AV_STR, i ? "ok" : "bad\xff");
                        pb_sub(&kv, 2, &v);
                        pb_sub(&res, 1, &kv);
                        record_body(&lr, i ? "kept" : "skipped");
                        pb_sub(&sl, 2, &lr);
                        pb_sub(&rl, 1, &res);
                        pb_sub(&rl, 2, &sl);
                        pb_sub(&req, 1, &rl);
                }
                ck_assert_int_eq(decode_pb(&req), 0);
                expect("0 {service_name=ok} \"kept\" [] ()\n");
        }
}
END_TEST

/* Timestamps: the record's, else the observed one (then not repeated in
 * the metadata), else none (the receiver stamps it). */
START_TEST(test_timestamps) {
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":["
                                   "{\"observedTimeUnixNano\":\"7\"},{}]}]}]}"),
                         0);
        expect("7 {service_name=unknown_service} \"\" [] ()\n"
               "0 {service_name=unknown_service} \"\" [] ()\n");
}
END_TEST

/* The level for the pipeline: from the severity number as Loki's
 * distributor maps it, else from a severity text Loki knows. */
START_TEST(test_levels) {
        static const struct {
                const char *severity, *want;
        } cases[] = {
                { "\"severityNumber\":1", "trace" },
                { "\"severityNumber\":4", "trace" },
                { "\"severityNumber\":-3", "trace" },
                { "\"severityNumber\":5", "debug" },
                { "\"severityNumber\":9", "info" },
                { "\"severityNumber\":12", "info" },
                { "\"severityNumber\":13", "warn" },
                { "\"severityNumber\":17", "error" },
                { "\"severityNumber\":21", "fatal" },
                { "\"severityNumber\":24", "fatal" },
                { "\"severityNumber\":25", "unknown" },
                { "\"severityNumber\":\"SEVERITY_NUMBER_WARN2\"", "warn" },
                { "\"severityNumber\":9,\"severityText\":\"ERROR\"", "info" },
                { "\"severityText\":\"WARNING\"", "warn" },
                { "\"severityText\":\"Err\"", "error" },
                { "\"severityText\":\"critical\"", "critical" },
                { "\"severityText\":\"notice\"", NULL },
                { "\"severityNumber\":0", NULL },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                char json[256];
                snprintf(json, sizeof(json),
                         "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{%s}]}]}]}",
                         cases[i].severity);
                ck_assert_msg(otlp_json(json) == 0, "case %zu: %s", i, out.data);
                if (cases[i].want) {
                        char level[32];
                        snprintf(level, sizeof(level), "level=%s)", cases[i].want);
                        ck_assert_msg(strstr(out.data, level), "case %zu: %s", i, out.data);
                } else {
                        ck_assert_msg(!strstr(out.data, "level="), "case %zu: %s", i, out.data);
                }
        }
        /* A level field among the attributes wins, as in Loki's distributor:
         * "level" is extracted with the metadata, "severity" becomes the level. */
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                   "\"severityNumber\":17,\"attributes\":["
                                   "{\"key\":\"level\",\"value\":{\"stringValue\":\"warn\"}}]},"
                                   "{\"severityNumber\":9,\"attributes\":["
                                   "{\"key\":\"lvl\",\"value\":{\"stringValue\":\"x\"}},"
                                   "{\"key\":\"severity\",\"value\":{\"stringValue\":\"WARN\"}}]}"
                                   "]}]}]}"),
                         0);
        expect("0 {service_name=unknown_service} \"\" [level=warn,severity_number=17] "
               "(level=warn,severity_number=17)\n"
               "0 {service_name=unknown_service} \"\" [lvl=x,severity=WARN,severity_number=9] "
               "(lvl=x,severity=WARN,severity_number=9,level=WARN)\n");
        /* An attribute given twice counts by its last value, as the entry's
         * metadata keeps it (found by the otlp fuzz target: the level was
         * the first, empty "severity"). */
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                   "\"attributes\":["
                                   "{\"key\":\"severity\",\"value\":{}},"
                                   "{\"key\":\"severity\",\"value\":{\"stringValue\":\"WARN\"}}]}"
                                   "]}]}]}"),
                         0);
        ck_assert_msg(strstr(out.data, "level=WARN)"), "%s", out.data);
        /* A negative number is kept as Loki prints it. */
        ck_assert_int_eq(otlp_json("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                   "\"severityNumber\":-3}]}]}]}"),
                         0);
        ck_assert_ptr_nonnull(strstr(out.data, "[severity_number=-3]"));
}
END_TEST

/* Bodies as pcommon's AsString() writes them: Go's JSON for maps and
 * lists (keys sorted, the last of a repeated key, HTML characters escaped),
 * numbers as ES6 does. */
START_TEST(test_bodies) {
        static const struct {
                const char *value, *want;
        } cases[] = {
                { "{\"stringValue\":\"plain\"}", "plain" },
                { "{\"intValue\":\"-42\"}", "-42" },
                { "{\"doubleValue\":1.5}", "1.5" },
                { "{\"doubleValue\":100}", "100" },
                { "{\"doubleValue\":1e21}", "1e+21" },
                { "{\"doubleValue\":1e20}", "100000000000000000000" },
                { "{\"doubleValue\":0.000001}", "0.000001" },
                { "{\"doubleValue\":1e-7}", "1e-7" },
                { "{\"doubleValue\":-2.5e-10}", "-2.5e-10" },
                { "{\"doubleValue\":\"NaN\"}", "json: unsupported value: NaN" },
                { "{\"doubleValue\":\"-Infinity\"}", "json: unsupported value: -Inf" },
                { "{\"boolValue\":false}", "false" },
                { "{\"bytesValue\":\"aGVsbG8=\"}", "aGVsbG8=" },
                { "{\"kvlistValue\":{\"values\":[{\"key\":\"b\",\"value\":{\"intValue\":1}},"
                  "{\"key\":\"a\",\"value\":{\"stringValue\":\"<&>\"}},"
                  "{\"key\":\"b\",\"value\":{\"intValue\":2}}]}}",
                  "{\"a\":\"\\u003c\\u0026\\u003e\",\"b\":2}" },
                { "{\"arrayValue\":{\"values\":[{},{\"doubleValue\":0.5},{\"boolValue\":true},"
                  "{\"bytesValue\":\"AA==\"}]}}", "[null,0.5,true,\"AA==\"]" },
                { "{\"arrayValue\":{\"values\":[{\"doubleValue\":\"NaN\"}]}}", "" },
                { "{}", "" },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                char json[512], want[256];
                snprintf(json, sizeof(json),
                         "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":1,"
                         "\"body\":%s}]}]}]}", cases[i].value);
                snprintf(want, sizeof(want), "1 {service_name=unknown_service} \"%s\" [] ()\n",
                         cases[i].want);
                ck_assert_msg(otlp_json(json) == 0, "case %zu: %s", i, out.data);
                ck_assert_msg(strcmp(out.data, want) == 0, "case %zu: got %s", i, out.data);
        }
}
END_TEST

/* ---- refusals and limits ------------------------------------------------------------ */

START_TEST(test_refusals) {
        static const struct {
                const char *body, *reason;
        } cases[] = {
                { "{", "invalid JSON" },
                { "[]", "expected {\"resourceLogs\": [...]}" },
                { "{\"resourceLogs\":{}}", "expected {\"resourceLogs\"" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"x\"}]}]}]}",
                  "timeUnixNano must be an integer" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":\"xyz\"}]}]}]}",
                  "traceId must be hex" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":\"abcd\"}]}]}]}",
                  "a trace_id must have 16 bytes" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"spanId\":\"ab\"}]}]}]}",
                  "a span_id must have 8 bytes" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":"
                  "\"SEVERITY_NUMBER_LOUD\"}]}]}]}", "unknown severityNumber" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"boolValue\":1}}]}]}]}",
                  "boolValue must be true or false" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":\"text\"}]}]}]}",
                  "an AnyValue must be an object" },
                { "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":{}}]}]}]}",
                  "attributes must be a list" },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                ck_assert_msg(otlp_json(cases[i].body) == -EINVAL, "case %zu: %s", i, out.data);
                expect_err(cases[i].reason);
        }
        ck_assert_int_eq(otlp("text/plain", "{}", 2), -ENOTSUP);
        expect_err("Content-Type \"text/plain\" not supported");
        ck_assert_int_eq(otlp(NULL, "{}", 2), -ENOTSUP);
        ck_assert_int_eq(rt_decode(SL_PUSH_OTLP, JSON, "deflate", "{}", 2, NULL, &out), -ENOTSUP);
        ck_assert_int_eq(otlp(PROTO, "\xff\xff\xff", 3), -EINVAL);
        expect_err("not an OTLP ExportLogsServiceRequest");
        /* gzip is read. */
        rt_deflate("{}", 2, 16 + 15, &tmp);
        ck_assert_int_eq(rt_decode(SL_PUSH_OTLP, JSON, "gzip", tmp.data, tmp.len, NULL, &out), 0);
}
END_TEST

/* Values nested past a bound are refused before protobuf-c unpacks them
 * (it recurses), and in JSON. */
START_TEST(test_nesting) {
        struct pb req, v, a, lr, sl, rl;
        char *json;
        size_t n = 0;

        static const int depths[] = { 40, 60, 1000 };

        for (size_t d = 0; d < SL_ARRAY_SIZE(depths); d++) {
                int levels = depths[d];
                /* AnyValue{array_value{values: AnyValue{...}}} levels deep. */
                pb_init(&v);
                for (int i = 0; i < levels; i++) {
                        pb_init(&a);
                        pb_sub(&a, 1, &v);
                        pb_init(&v);
                        pb_sub(&v, AV_ARRAY, &a);
                }
                pb_init(&lr);
                pb_sub(&lr, LR_BODY, &v);
                pb_init(&sl);
                pb_sub(&sl, 2, &lr);
                pb_init(&rl);
                pb_sub(&rl, 2, &sl);
                pb_init(&req);
                pb_sub(&req, 1, &rl);
                if (levels == 40) {
                        ck_assert_msg(decode_pb(&req) == 0, "%s", out.data);
                } else {
                        ck_assert_int_eq(decode_pb(&req), -EINVAL);
                        expect_err("nested more than");
                }
        }

        json = malloc(200000);
        n += (size_t)sprintf(json, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
        for (int i = 0; i < 1000; i++)
                n += (size_t)sprintf(json + n, "{\"arrayValue\":{\"values\":[");
        for (int i = 0; i < 1000; i++)
                n += (size_t)sprintf(json + n, "]}}");
        sprintf(json + n, "}]}]}]}");
        ck_assert_int_eq(otlp_json(json), -EINVAL);
        free(json);
}
END_TEST

START_TEST(test_limits) {
        static const char three[] = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{},{}]},"
                                    "{\"logRecords\":[{}]}]},{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}";
        struct sl_push_limits limits = { .max_entries = 3 };

        ck_assert_int_eq(rt_decode(SL_PUSH_OTLP, JSON, NULL, three, strlen(three), &limits, &out),
                         -E2BIG);
        expect_err("more than 3 log records in one push");
        limits.max_entries = 4;
        ck_assert_int_eq(rt_decode(SL_PUSH_OTLP, JSON, NULL, three, strlen(three), &limits, &out),
                         0);
        limits = (struct sl_push_limits){ .max_body = 10 };
        ck_assert_int_eq(rt_decode(SL_PUSH_OTLP, JSON, NULL, three, strlen(three), &limits, &out),
                         -EMSGSIZE);
}
END_TEST

static Suite *otlp_suite(void) {
        Suite *s = suite_create("otlp");
        TCase *tc = tcase_create("loki");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_loki_push_request_cases);
        tcase_add_test(tc, test_loki_all_record_fields);
        tcase_add_test(tc, test_loki_attributes_to_labels);
        suite_add_tcase(s, tc);

        tc = tcase_create("mapping");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_index_labels_and_service_name);
        tcase_add_test(tc, test_timestamps);
        tcase_add_test(tc, test_levels);
        tcase_add_test(tc, test_bodies);
        tcase_add_test(tc, test_refusals);
        tcase_add_test(tc, test_nesting);
        tcase_add_test(tc, test_limits);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(otlp_suite)
