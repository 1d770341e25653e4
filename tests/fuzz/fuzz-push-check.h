/* fuzz-push-check.h - decodes a push body as Loki does (snappy block, then
 * logproto.PushRequest) and checks that it carries exactly the entries of a
 * range of a sealed batch: the streams' label sets, each entry's time, line
 * and structured metadata, in the batch's order. Shared by the pipeline and
 * push targets. Header-only. */
#ifndef SL_FUZZ_PUSH_CHECK_H
#define SL_FUZZ_PUSH_CHECK_H

#include <snappy-c.h>

#include "base/buf.h"
#include "push.pb-c.h"
#include "ship/batch.h"
#include "fuzz-util.h"

static inline bool fz_bytes_eq(ProtobufCBinaryData b, struct sl_str s) {
        return b.len == s.len && (s.len == 0 || memcmp(b.data, s.ptr, s.len) == 0);
}

/* Checks that @body holds the entries [@first, @first + @count) of @batch,
 * numbered across its streams in order (see push-encode.h). */
static void fz_check_push_body(const struct sl_buf *body, const struct sl_batch *batch, size_t first,
                               size_t count) {
        size_t raw_len = 0, n_streams, at = 0, seen = 0, out_stream = 0;
        const struct sl_batch_stream *streams = sl_batch_streams(batch, &n_streams);
        Logproto__PushRequest *req;
        char *raw;

        FUZZ_CHECK(snappy_uncompressed_length(body->data, body->len, &raw_len) == SNAPPY_OK, "snappy length");
        raw = malloc(raw_len ? raw_len : 1);
        FUZZ_CHECK(raw && snappy_uncompress(body->data, body->len, raw, &raw_len) == SNAPPY_OK, "snappy");
        req = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
        FUZZ_CHECK(req != NULL, "the body is not a PushRequest");

        for (size_t s = 0; s < n_streams; s++) {
                const Logproto__StreamAdapter *out = NULL;
                size_t in_range = 0;

                for (size_t j = 0; j < streams[s].n_entries; j++, at++) {
                        const struct sl_batch_entry *be = &streams[s].entries[j];
                        const Logproto__EntryAdapter *oe;
                        __int128 ts;

                        if (at < first || at >= first + count)
                                continue;
                        if (!out) {
                                FUZZ_CHECK(out_stream < req->n_streams, "stream %zu missing", s);
                                out = req->streams[out_stream++];
                                FUZZ_CHECK(strlen(out->labels) == streams[s].labels.len &&
                                                   memcmp(out->labels, streams[s].labels.ptr,
                                                          streams[s].labels.len) == 0,
                                           "labels of stream %zu", s);
                        }
                        FUZZ_CHECK(in_range < out->n_entries, "stream %zu lacks entries", s);
                        oe = out->entries[in_range++];
                        FUZZ_CHECK(oe->timestamp != NULL, "entry without time");
                        FUZZ_CHECK(oe->timestamp->nanos >= 0 && oe->timestamp->nanos < 1000000000,
                                   "nanos %d", oe->timestamp->nanos);
                        ts = (__int128)oe->timestamp->seconds * 1000000000 + oe->timestamp->nanos;
                        FUZZ_CHECK(ts == be->ts_ns, "time of entry %zu", at);
                        FUZZ_CHECK(fz_bytes_eq(oe->line, be->line), "line of entry %zu", at);
                        FUZZ_CHECK(oe->n_structuredmetadata == be->n_metadata, "metadata of entry %zu", at);
                        for (size_t m = 0; m < be->n_metadata; m++)
                                FUZZ_CHECK(fz_bytes_eq(oe->structuredmetadata[m]->name, be->metadata[m].name) &&
                                                   fz_bytes_eq(oe->structuredmetadata[m]->value,
                                                               be->metadata[m].value),
                                           "metadata pair %zu of entry %zu", m, at);
                        seen++;
                }
                if (out)
                        FUZZ_CHECK(in_range == out->n_entries, "stream %zu has extra entries", s);
        }
        FUZZ_CHECK(out_stream == req->n_streams, "extra streams");
        FUZZ_CHECK(seen == count, "%zu entries of %zu", seen, count);
        logproto__push_request__free_unpacked(req, NULL);
        free(raw);
}

#endif
