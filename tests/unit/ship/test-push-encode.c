/* test-push-encode.c - batches encoded, then decoded the way Loki does
 * (snappy block, then protobuf), must come back field for field. */
#include <errno.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "core/entry.h"
#include "push.pb-c.h"
#include "ship/batcher.h"
#include "ship/push-encode.h"
#include "sl-test.h"

struct test_entry {
        int64_t ts;
        const char *line;
        size_t line_len;           /* 0: strlen(line) */
        const char *labels[7];     /* name, value, ..., NULL */
        const char *metadata[5];   /* name, value, ..., NULL */
};

static struct sl_batch *make_batch(const struct test_entry *in, size_t n) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        struct sl_mark m = { .source_id = 1, .offset = 42 };
        struct sl_batch *b;
        struct sl_entry e;

        sl_entry_init(&e);
        for (size_t i = 0; i < n; i++) {
                sl_entry_reset(&e);
                e.ts_ns = in[i].ts;
                e.line = sl_str_from(in[i].line, in[i].line_len ? in[i].line_len : strlen(in[i].line));
                for (size_t k = 0; in[i].labels[k]; k += 2)
                        sl_kvs_set(&e.labels, sl_str_c(in[i].labels[k]), sl_str_c(in[i].labels[k + 1]));
                for (size_t k = 0; in[i].metadata[k]; k += 2)
                        sl_kvs_set(&e.metadata, sl_str_c(in[i].metadata[k]),
                                   sl_str_c(in[i].metadata[k + 1]));
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        sl_batcher_mark(bt, &m, 0);
        b = sl_batcher_take(bt, 0, true);
        ck_assert_ptr_nonnull(b);
        return b;
}

static bool bytes_eq(ProtobufCBinaryData d, struct sl_str s) {
        return d.len == s.len && (s.len == 0 || memcmp(d.data, s.ptr, s.len) == 0);
}

/* Decodes @body like Loki and compares it with @b, field by field. */
static void check_round_trip(const struct sl_batch *b, const struct sl_buf *body) {
        const struct sl_batch_stream *streams;
        Logproto__PushRequest *req;
        size_t raw_len, n_streams, sent = 0;
        char *raw;

        ck_assert_int_eq(snappy_validate_compressed_buffer(body->data, body->len), SNAPPY_OK);
        ck_assert_int_eq(snappy_uncompressed_length(body->data, body->len, &raw_len), SNAPPY_OK);
        raw = malloc(raw_len ? raw_len : 1);
        ck_assert_int_eq(snappy_uncompress(body->data, body->len, raw, &raw_len), SNAPPY_OK);
        req = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
        ck_assert_ptr_nonnull(req);

        streams = sl_batch_streams(b, &n_streams);
        for (size_t i = 0; i < n_streams; i++)
                sent += streams[i].n_entries ? 1 : 0;
        ck_assert_uint_eq(req->n_streams, sent);
        for (size_t i = 0, si = 0; i < n_streams; i++) {
                const struct sl_batch_stream *s = &streams[i];
                Logproto__StreamAdapter *sa;

                if (!s->n_entries)
                        continue;
                sa = req->streams[si++];
                ck_assert_str_eq(sa->labels, s->labels.ptr);
                ck_assert_uint_eq(sa->hash, 0);
                ck_assert_uint_eq(sa->n_entries, s->n_entries);
                for (size_t j = 0; j < s->n_entries; j++) {
                        const struct sl_batch_entry *e = &s->entries[j];
                        Logproto__EntryAdapter *ea = sa->entries[j];
                        int64_t ts;

                        ck_assert_ptr_nonnull(ea->timestamp);
                        ck_assert_int_ge(ea->timestamp->nanos, 0);
                        ck_assert_int_lt(ea->timestamp->nanos, 1000000000);
                        ts = ea->timestamp->seconds * 1000000000LL + ea->timestamp->nanos;
                        ck_assert_int_eq(ts, e->ts_ns);
                        ck_assert(bytes_eq(ea->line, e->line));
                        ck_assert_uint_eq(ea->n_structuredmetadata, e->n_metadata);
                        for (uint32_t k = 0; k < e->n_metadata; k++) {
                                ck_assert(bytes_eq(ea->structuredmetadata[k]->name, e->metadata[k].name));
                                ck_assert(bytes_eq(ea->structuredmetadata[k]->value, e->metadata[k].value));
                        }
                }
        }
        logproto__push_request__free_unpacked(req, NULL);
        free(raw);
}

/* The body must be exactly what protobuf-c and snappy make of the message
 * it holds, packed whole and compressed in one call: the encoder writes the
 * wire format itself, 64 KiB at a time. */
static void check_same_as_protobuf_c(const struct sl_buf *body) {
        Logproto__PushRequest *req;
        size_t raw_len, whole_len;
        char *raw, *whole;

        ck_assert_int_eq(snappy_uncompressed_length(body->data, body->len, &raw_len), SNAPPY_OK);
        raw = malloc(raw_len ? raw_len : 1);
        ck_assert_int_eq(snappy_uncompress(body->data, body->len, raw, &raw_len), SNAPPY_OK);
        req = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
        ck_assert_ptr_nonnull(req);
        ck_assert_uint_eq(logproto__push_request__get_packed_size(req), raw_len);
        ck_assert_uint_eq(logproto__push_request__pack(req, (uint8_t *)raw), raw_len);
        whole_len = snappy_max_compressed_length(raw_len);
        whole = malloc(whole_len);
        ck_assert_int_eq(snappy_compress(raw, raw_len, whole, &whole_len), SNAPPY_OK);
        ck_assert_uint_eq(body->len, whole_len);
        ck_assert_mem_eq(body->data, whole, whole_len);
        logproto__push_request__free_unpacked(req, NULL);
        free(whole);
        free(raw);
}

static const struct test_entry two_streams[] = {
        { .ts = 1700000000123456789LL, .line = "{\"msg\":\"hello\",\"level\":30}",
          .labels = { "job", "api", "level", "info", NULL },
          .metadata = { "trace_id", "4bf92f3577b34da6", "span", "00f067aa", NULL } },
        { .ts = 1700000000000000001LL, .line = "nul\0inside", .line_len = 10,
          .labels = { "job", "api", "level", "info", NULL } },
        { .ts = 1700000001000000000LL, .line = "gr\xc3\xbc\xc3\x9f dich \xe2\x9c\x93 \xf0\x9f\x98\x80",
          .labels = { "level", "error", "job", "api", NULL }, .metadata = { NULL } },
        { .ts = 1, .line = "", .labels = { "level", "error", "job", "api", NULL },
          .metadata = { "empty_value", "", NULL } },
        { .ts = -1500000000LL, .line = "before 1970",
          .labels = { "job", "api", "level", "info", NULL } },
};

START_TEST(test_round_trip_two_streams) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
        const struct sl_batch_stream *s;
        struct sl_buf out;
        size_t n;

        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(s[0].n_entries, 3);
        ck_assert_uint_eq(s[1].n_entries, 2);
        /* The NUL byte travels inside the line. */
        ck_assert_uint_eq(s[0].entries[1].line.len, 10);

        sl_buf_init(&out, 1 << 20);
        ck_assert_int_eq(sl_push_encode(b, &out), 0);
        ck_assert_uint_gt(out.len, 0);
        check_round_trip(b, &out);
        sl_buf_release(&out);
}
END_TEST

START_TEST(test_encoder_reuse) {
        static const struct test_entry one[] = {
                { .ts = 5, .line = "only", .labels = { "a", "b", NULL } },
        };
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        struct sl_buf out;

        sl_buf_init(&out, 1 << 20);
        for (int round = 0; round < 3; round++) {
                _cleanup_(sl_batch_freep) struct sl_batch *big =
                        make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
                _cleanup_(sl_batch_freep) struct sl_batch *small = make_batch(one, 1);

                ck_assert_int_eq(sl_push_encoder_encode(enc, big, &out), 0);
                check_round_trip(big, &out);
                ck_assert_int_eq(sl_push_encoder_encode(enc, small, &out), 0);
                check_round_trip(small, &out);
        }
        sl_buf_release(&out);
}
END_TEST

START_TEST(test_many_entries) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        struct sl_buf out;
        struct sl_entry e;
        char line[64], job[8];

        sl_entry_init(&e);
        for (int i = 0; i < 5000; i++) {
                sl_entry_reset(&e);
                snprintf(line, sizeof(line), "line %d with some repeated text text text", i);
                snprintf(job, sizeof(job), "j%d", i % 7);
                e.ts_ns = 1000000000LL * (5000 - i);
                e.line = sl_str_c(line);
                sl_kvs_set(&e.labels, SL_STR_LIT("job"), sl_str_c(job));
                if (i % 3 == 0)
                        sl_kvs_set(&e.metadata, SL_STR_LIT("n"), sl_str_c(job));
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        sl_buf_init(&out, 16 << 20);
        ck_assert_int_eq(sl_push_encode(b, &out), 0);
        /* Snappy shrinks repetitive text. */
        ck_assert_uint_lt(out.len, sl_batch_bytes(b));
        check_round_trip(b, &out);
        check_same_as_protobuf_c(&out);
        sl_buf_release(&out);
}
END_TEST

/* Metadata names and values of every length from 0 to 40 bytes (the
 * encoder copies short ones its own way, by length class), with lines that
 * make entries end at every offset near a block's end: the body decodes
 * field for field and is the bytes protobuf-c and snappy make. */
START_TEST(test_metadata_lengths) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        static char line[1000];
        struct sl_buf out;
        struct sl_entry e;

        memset(line, 'x', sizeof(line));
        sl_entry_init(&e);
        for (size_t i = 0; i < 41 * 41; i++) {
                size_t name_len = i % 41, value_len = i / 41;

                sl_entry_reset(&e);
                e.ts_ns = 1700000000000000000LL + (int64_t)i;
                e.line = sl_str_from(line, 100 + i % 900);
                sl_kvs_set(&e.labels, SL_STR_LIT("job"), SL_STR_LIT("api"));
                /* A name may not be empty (a pair with one is not kept). */
                sl_kvs_set(&e.metadata, sl_str_from(text + i % 7, name_len ? name_len : 1),
                           sl_str_from(text + i % 11, value_len));
                if (i % 2)
                        sl_kvs_set(&e.metadata, SL_STR_LIT("k"), sl_str_from(text, name_len));
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        ck_assert_ptr_nonnull(b);
        sl_buf_init(&out, 16 << 20);
        ck_assert_int_eq(sl_push_encode(b, &out), 0);
        check_round_trip(b, &out);
        check_same_as_protobuf_c(&out);
        sl_buf_release(&out);
}
END_TEST

START_TEST(test_empty_batch) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(NULL, 0);
        struct sl_buf out;

        ck_assert_uint_eq(sl_batch_entries(b), 0);
        sl_buf_init(&out, 1024);
        ck_assert_int_eq(sl_push_encode(b, &out), 0);
        check_round_trip(b, &out);
        sl_buf_release(&out);
}
END_TEST

START_TEST(test_errors) {
        _cleanup_(sl_batch_freep) struct sl_batch *open = sl_batch_new(0, 0);
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *tiny = sl_push_encoder_new(16);
        struct sl_buf out, small;

        sl_buf_init(&out, 1 << 20);
        sl_buf_init(&small, 16);
        /* Not sealed. */
        sl_batch_add(open, sl_batch_stream(open, SL_STR_LIT("{a=\"1\"}")), 1, SL_STR_LIT("x"), NULL);
        ck_assert_int_eq(sl_push_encode(open, &out), -EINVAL);
        ck_assert_uint_eq(out.len, 0);
        /* The output's cap. */
        ck_assert_int_eq(sl_push_encode(b, &small), -ENOBUFS);
        ck_assert_uint_eq(small.len, 0);
        /* The encoder's cap. */
        ck_assert_int_eq(sl_push_encoder_encode(tiny, b, &out), -ENOBUFS);
        ck_assert_uint_eq(out.len, 0);
        /* The same batch still encodes with room. */
        ck_assert_int_eq(sl_push_encode(b, &out), 0);
        check_round_trip(b, &out);
        sl_buf_release(&out);
        sl_buf_release(&small);
}
END_TEST

/* The entry at flat index @i (streams in order, then entries). */
static const struct sl_batch_entry *flat_entry(const struct sl_batch *b, size_t i,
                                               size_t *ret_stream) {
        size_t n_streams;
        const struct sl_batch_stream *s = sl_batch_streams(b, &n_streams);

        for (size_t k = 0; k < n_streams; i -= s[k++].n_entries)
                if (i < s[k].n_entries) {
                        *ret_stream = k;
                        return &s[k].entries[i];
                }
        ck_abort_msg("index out of the batch");
        return NULL;
}

/* Decodes @body and checks it holds exactly the entries [first, first+count)
 * of @b, grouped in their streams (in order, each stream once). */
static void check_range(const struct sl_batch *b, size_t first, size_t count,
                        const struct sl_buf *body) {
        const struct sl_batch_stream *streams;
        Logproto__PushRequest *req;
        size_t raw_len, n_streams, at = first, prev_stream = SIZE_MAX;
        char *raw;

        ck_assert_int_eq(snappy_uncompressed_length(body->data, body->len, &raw_len), SNAPPY_OK);
        raw = malloc(raw_len ? raw_len : 1);
        ck_assert_int_eq(snappy_uncompress(body->data, body->len, raw, &raw_len), SNAPPY_OK);
        req = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
        ck_assert_ptr_nonnull(req);
        streams = sl_batch_streams(b, &n_streams);
        for (size_t i = 0; i < req->n_streams; i++) {
                Logproto__StreamAdapter *sa = req->streams[i];
                size_t si;

                ck_assert_uint_gt(sa->n_entries, 0);
                for (size_t j = 0; j < sa->n_entries; j++, at++) {
                        const struct sl_batch_entry *e;
                        Logproto__EntryAdapter *ea = sa->entries[j];

                        ck_assert_uint_lt(at, first + count);
                        e = flat_entry(b, at, &si);
                        if (j == 0) {
                                /* A new stream of the request is a new stream of the batch. */
                                ck_assert(prev_stream == SIZE_MAX || si > prev_stream);
                                ck_assert_str_eq(sa->labels, streams[si].labels.ptr);
                                prev_stream = si;
                        }
                        ck_assert_uint_eq(si, prev_stream);
                        ck_assert(bytes_eq(ea->line, e->line));
                        ck_assert_int_eq(ea->timestamp->seconds * 1000000000LL + ea->timestamp->nanos,
                                         e->ts_ns);
                        ck_assert_uint_eq(ea->n_structuredmetadata, e->n_metadata);
                }
        }
        ck_assert_uint_eq(at, first + count);
        logproto__push_request__free_unpacked(req, NULL);
        free(raw);
}

/* Every range of a two-stream batch encodes exactly its entries; the whole
 * range is the batch's own encoding; ranges outside the batch are refused. */
START_TEST(test_ranges) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        size_t n = sl_batch_entries(b);
        struct sl_buf out, whole;
        unsigned checked = 0;

        ck_assert_uint_eq(n, 5);
        sl_buf_init(&out, 1 << 20);
        sl_buf_init(&whole, 1 << 20);
        for (size_t first = 0; first <= n; first++)
                for (size_t count = 0; first + count <= n; count++) {
                        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, first, count, &out), 0);
                        check_range(b, first, count, &out);
                        check_same_as_protobuf_c(&out);
                        checked++;
                }
        ck_assert_uint_eq(checked, 21);

        ck_assert_int_eq(sl_push_encode(b, &whole), 0);
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 0, n, &out), 0);
        ck_assert_uint_eq(out.len, whole.len);
        ck_assert_mem_eq(out.data, whole.data, out.len);

        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 0, n + 1, &out), -ERANGE);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, n + 1, 0, &out), -ERANGE);
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 4, 2, &out), -ERANGE);
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 2, SIZE_MAX, &out), -ERANGE);
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, SIZE_MAX, 2, &out), -ERANGE);
        sl_buf_release(&out);
        sl_buf_release(&whole);
}
END_TEST

/* The body is compressed 64 KiB at a time without holding the serialized
 * message: it must still be exactly what snappy makes of the whole message
 * at once, as protobuf-c packs it (Loki reads either; equal bytes show no
 * block boundary was mishandled). Lines of several sizes, from one byte to past a block, so
 * that boundaries fall inside lines, labels, metadata and timestamps. */
START_TEST(test_blocks_equal_whole_message) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        static const size_t sizes[] = { 1, 127, 128, 500, 16383, 16384, 65535, 65536, 65537,
                                        200000 };
        static char text[200100];
        struct sl_buf out;
        struct sl_entry e;
        size_t raw_len;
        char job[8];
        unsigned seed = 7;

        for (size_t i = 0; i < sizeof(text) - 1; i++) {
                seed = seed * 1103515245u + 12345u;
                /* Some runs repeat (copies), some do not (literals). */
                text[i] = (char)(i % 3000 < 1500 ? 'a' + (seed >> 16) % 26 : 'a' + i % 7);
        }
        sl_entry_init(&e);
        for (int round = 0; round < 3; round++)
                for (size_t i = 0; i < SL_ARRAY_SIZE(sizes); i++) {
                        sl_entry_reset(&e);
                        snprintf(job, sizeof(job), "j%zu", i % 3);
                        e.ts_ns = 1700000000000000000LL + round * 1000 + (int64_t)i;
                        e.line = sl_str_from(text + round * 11 + i, sizes[i] + (size_t)round);
                        sl_kvs_set(&e.labels, SL_STR_LIT("job"), sl_str_c(job));
                        if (i % 2)
                                sl_kvs_set(&e.metadata, SL_STR_LIT("trace_id"),
                                           sl_str_from(text + i, 32));
                        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
                }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        ck_assert_ptr_nonnull(b);
        sl_buf_init(&out, 64 << 20);
        for (int pass = 0; pass < 2; pass++) { /* a warm encoder too */
                ck_assert_int_eq(sl_push_encoder_encode(enc, b, &out), 0);
                check_round_trip(b, &out);
        }
        ck_assert_int_eq(snappy_uncompressed_length(out.data, out.len, &raw_len), SNAPPY_OK);
        ck_assert_uint_gt(raw_len, 4 * 65536);
        check_same_as_protobuf_c(&out);
        sl_buf_release(&out);
}
END_TEST

/* A batch that dropped its lines (batch.h: a client holding its body)
 * keeps its streams and counts, refuses to be encoded, and once its entries
 * are put back in order encodes to the very same body; entries put back
 * wrong (too few, too many, out of stream order) leave it without lines. */
START_TEST(test_drop_and_restore_lines) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        const struct sl_batch_stream *streams;
        struct sl_batch_entry saved[SL_ARRAY_SIZE(two_streams)];
        struct sl_kvs meta[SL_ARRAY_SIZE(two_streams)];
        char *lines[SL_ARRAY_SIZE(two_streams)];
        struct sl_buf before, after;
        size_t n_streams, n = sl_batch_entries(b), at = 0;
        uint64_t bytes = sl_batch_bytes(b);

        sl_buf_init(&before, 1 << 20);
        sl_buf_init(&after, 1 << 20);
        ck_assert_int_eq(sl_push_encoder_encode(enc, b, &before), 0);
        /* Keep copies of the entries, in sealed order, to put back. */
        streams = sl_batch_streams(b, &n_streams);
        ck_assert_uint_eq(n_streams, 2);
        for (size_t i = 0; i < n_streams; i++)
                for (size_t j = 0; j < streams[i].n_entries; j++, at++) {
                        const struct sl_batch_entry *e = &streams[i].entries[j];
                        saved[at] = *e;
                        lines[at] = malloc(e->line.len + 1);
                        memcpy(lines[at], e->line.ptr, e->line.len);
                        saved[at].line.ptr = lines[at];
                        sl_kvs_init(&meta[at]);
                        for (size_t k = 0; k < e->n_metadata; k++)
                                sl_kvs_set(&meta[at], sl_str_from(strdup(e->metadata[k].name.ptr), e->metadata[k].name.len),
                                           sl_str_from(strdup(e->metadata[k].value.ptr), e->metadata[k].value.len));
                }
        ck_assert_uint_eq(at, n);

        for (int round = 0; round < 4; round++) {
                sl_batch_drop_lines(b);
                sl_batch_drop_lines(b); /* idempotent */
                ck_assert(!sl_batch_has_lines(b));
                ck_assert_uint_eq(sl_batch_entries(b), n);
                ck_assert_uint_eq(sl_batch_bytes(b), bytes);
                streams = sl_batch_streams(b, &n_streams);
                ck_assert_uint_eq(n_streams, 2);
                ck_assert_uint_eq(streams[0].n_entries + streams[1].n_entries, n);
                ck_assert_ptr_null(streams[0].entries);
                ck_assert_int_eq(sl_push_encoder_encode(enc, b, &after), -EINVAL);
                /* round 0: all in order; 1: one short; 2: one too many;
                 * 3: the streams swapped. */
                for (size_t i = 0; i < n - (round == 1); i++) {
                        size_t k = round == 3 ? (i + streams[1].n_entries) % n : i;
                        sl_batch_restore(b, saved[k].stream, saved[k].ts_ns, saved[k].line, &meta[k]);
                }
                if (round == 2)
                        sl_batch_restore(b, saved[0].stream, saved[0].ts_ns, saved[0].line, &meta[0]);
                if (round == 0) {
                        ck_assert_int_eq(sl_batch_restore_end(b), 0);
                        ck_assert(sl_batch_has_lines(b));
                        ck_assert_int_eq(sl_push_encoder_encode(enc, b, &after), 0);
                        ck_assert_uint_eq(after.len, before.len);
                        ck_assert_mem_eq(after.data, before.data, before.len);
                        check_round_trip(b, &after);
                } else {
                        ck_assert_int_eq(sl_batch_restore_end(b), -EBADMSG);
                        ck_assert(!sl_batch_has_lines(b));
                }
        }
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < meta[i].len; k++) {
                        free((char *)meta[i].items[k].name.ptr);
                        free((char *)meta[i].items[k].value.ptr);
                }
                sl_kvs_release(&meta[i]);
                free(lines[i]);
        }
        sl_buf_release(&before);
        sl_buf_release(&after);
}
END_TEST

/* Bodies read back into the batch they were made of (sl_push_decode_range)
 * give back the same entries: for every split point, the two halves' bodies
 * restore the batch, which then encodes to its very first body. A body of
 * another range, or one that is not a body, is refused. */
START_TEST(test_decode_range_restores) {
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(two_streams, SL_ARRAY_SIZE(two_streams));
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        size_t n = sl_batch_entries(b);
        struct sl_buf whole, head, tail, again;

        sl_buf_init(&whole, 1 << 20);
        sl_buf_init(&head, 1 << 20);
        sl_buf_init(&tail, 1 << 20);
        sl_buf_init(&again, 1 << 20);
        ck_assert_int_eq(sl_push_encoder_encode(enc, b, &whole), 0);
        for (size_t cut = 0; cut <= n; cut++) {
                ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 0, cut, &head), 0);
                ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, cut, n - cut, &tail), 0);
                sl_batch_drop_lines(b);
                ck_assert_int_eq(sl_push_decode_range(b, 0, cut, &head), 0);
                ck_assert_int_eq(sl_push_decode_range(b, cut, n - cut, &tail), 0);
                ck_assert_int_eq(sl_batch_restore_end(b), 0);
                ck_assert_int_eq(sl_push_encoder_encode(enc, b, &again), 0);
                ck_assert_uint_eq(again.len, whole.len);
                ck_assert_mem_eq(again.data, whole.data, whole.len);
        }
        /* The head's body for another range; the whole body for a part;
         * bytes that are not a body; a range past the end. */
        ck_assert_int_eq(sl_push_encoder_encode_range(enc, b, 0, 2, &head), 0);
        sl_batch_drop_lines(b);
        /* [2, 4) spans both streams, one entry each: not the head's shape. */
        ck_assert_int_eq(sl_push_decode_range(b, 2, 2, &head), -EBADMSG);
        ck_assert_int_eq(sl_push_decode_range(b, 0, 3, &whole), -EBADMSG);
        sl_buf_reset(&tail);
        sl_buf_append(&tail, "\x05hello", 6);
        ck_assert_int_eq(sl_push_decode_range(b, 0, n, &tail), -EBADMSG);
        ck_assert_int_eq(sl_push_decode_range(b, n, 1, &whole), -EBADMSG);
        ck_assert_int_eq(sl_batch_restore_end(b), -EBADMSG);
        ck_assert(!sl_batch_has_lines(b));
        /* Refused attempts leave the batch as dropped: it restores still. */
        ck_assert_int_eq(sl_push_decode_range(b, 0, n, &whole), 0);
        ck_assert_int_eq(sl_batch_restore_end(b), 0);
        ck_assert_int_eq(sl_push_encoder_encode(enc, b, &again), 0);
        ck_assert_mem_eq(again.data, whole.data, whole.len);
        sl_buf_release(&whole);
        sl_buf_release(&head);
        sl_buf_release(&tail);
        sl_buf_release(&again);
}
END_TEST

/* Times at both ends of int64 and around 1970 come back unchanged through
 * a body (the fuzz target found the lowest overflowing on the way back). */
START_TEST(test_decode_extreme_times) {
        static const struct test_entry extreme[] = {
                { .ts = INT64_MIN, .line = "lowest", .labels = { "job", "t", NULL } },
                { .ts = INT64_MIN + 1, .line = "lowest+1", .labels = { "job", "t", NULL } },
                { .ts = -1000000001LL, .line = "-1.000000001 s", .labels = { "job", "t", NULL } },
                { .ts = -1, .line = "-1 ns", .labels = { "job", "t", NULL } },
                { .ts = 1, .line = "1 ns", .labels = { "job", "t", NULL } },
                { .ts = INT64_MAX, .line = "highest", .labels = { "job", "t", NULL } },
        };
        _cleanup_(sl_batch_freep) struct sl_batch *b = make_batch(extreme, SL_ARRAY_SIZE(extreme));
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        const struct sl_batch_stream *streams;
        struct sl_buf body;
        size_t n;

        sl_buf_init(&body, 1 << 20);
        ck_assert_int_eq(sl_push_encoder_encode(enc, b, &body), 0);
        sl_batch_drop_lines(b);
        ck_assert_int_eq(sl_push_decode_range(b, 0, SL_ARRAY_SIZE(extreme), &body), 0);
        ck_assert_int_eq(sl_batch_restore_end(b), 0);
        streams = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 1);
        for (size_t i = 0; i < SL_ARRAY_SIZE(extreme); i++) {
                ck_assert_int_eq(streams[0].entries[i].ts_ns, extreme[i].ts);
                ck_assert_str_eq(streams[0].entries[i].line.ptr, extreme[i].line);
        }
        sl_buf_release(&body);
}
END_TEST

static Suite *push_encode_suite(void) {
        Suite *s = suite_create("push-encode");
        TCase *tc = tcase_create("core");

        /* Room for a loaded machine and the sanitizers: many entries, each checked. */
        tcase_set_timeout(tc, 30);

        tcase_add_test(tc, test_round_trip_two_streams);
        tcase_add_test(tc, test_encoder_reuse);
        tcase_add_test(tc, test_many_entries);
        tcase_add_test(tc, test_metadata_lengths);
        tcase_add_test(tc, test_empty_batch);
        tcase_add_test(tc, test_errors);
        tcase_add_test(tc, test_ranges);
        tcase_add_test(tc, test_blocks_equal_whole_message);
        tcase_add_test(tc, test_drop_and_restore_lines);
        tcase_add_test(tc, test_decode_range_restores);
        tcase_add_test(tc, test_decode_extreme_times);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(push_encode_suite)
