/* request-impl.h - what push-request.c and otlp.c share: the decoded form of
 * a request (streams of label pairs, records pointing at their line,
 * metadata and extracted values) and the helpers that fill it. Private to
 * src/receive. */
#ifndef SL_RECEIVE_REQUEST_IMPL_H
#define SL_RECEIVE_REQUEST_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "core/kv.h"
#include "receive/push-request.h"

/* A run of pairs in the request's pool. */
struct kv_run {
        uint32_t first; /* index in sl_push_request.kvs */
        uint32_t n;
};

struct rec {
        uint32_t stream;    /* index in sl_push_request.streams */
        int64_t ts_ns;      /* pushed time; 0: none */
        struct sl_str line; /* borrowed from the request */
        struct kv_run metadata;
        struct kv_run extracted;
};

struct sl_push_request {
        enum sl_push_format format;
        struct sl_buf inflated;        /* owned: the body once gunzipped or inflated */
        struct sl_buf plain;           /* owned: a snappy body uncompressed, or raw lines
                                        * copied from a body as sent */
        void *loki;                    /* owned: Logproto__PushRequest, or NULL */
        void *otlp;                    /* owned: Sluice__Otlp__ExportLogsServiceRequest
                                        * unpacked by protobuf-c, or NULL */
        void *json;                    /* owned: json_t tree, or NULL */
        struct sl_arena arena;         /* owned: strings built, OTLP messages from JSON */
        struct sl_kv *kvs;             /* owned: every pair (labels, metadata, extracted) */
        size_t n_kvs, cap_kvs;
        struct kv_run *streams;        /* owned: each stream's labels */
        size_t n_streams, cap_streams;
        struct rec *recs;              /* owned: the entries, in order */
        size_t n_recs, cap_recs;
        size_t max_entries;            /* limits->max_entries; 0: none */
        size_t max_body;               /* limits->max_body; 0: none */
};

/* Formats a reason into @reterr; returns @r. */
int sl_push_fail(char *reterr, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sl_push_add_kv(struct sl_push_request *req, struct sl_str name, struct sl_str value);
/* Starts a new stream whose labels are the pairs added from now on. */
uint32_t sl_push_begin_stream(struct sl_push_request *req);
void sl_push_end_stream(struct sl_push_request *req);
/* A new record (counted against max_entries: NULL past it). */
struct rec *sl_push_add_rec(struct sl_push_request *req);
/* Inflates @body with zlib (@window_bits: 16+15 gzip, -15 raw deflate) into
 * req->inflated, within req->max_body. 0, -EINVAL, -EMSGSIZE. */
int sl_push_inflate(struct sl_push_request *req, const void *body, size_t len, int window_bits,
                    char *reterr);

/* OTLP (otlp.c). */
int sl_push_decode_otlp(struct sl_push_request *req, const char *content_type, const void *body,
                        size_t len, char *reterr);

#endif
