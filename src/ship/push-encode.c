/* push-encode.c - see push-encode.h. */
#include "ship/push-encode.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "base/xalloc.h"
#include "push.pb-c.h"

#define DEFAULT_MAX_PACKED (1024u * 1024u * 1024u)

struct sl_push_encoder {
        Logproto__StreamAdapter *streams;       /* owned scratch, one per sent stream */
        Logproto__StreamAdapter **stream_ptrs;  /* owned scratch: what the request lists */
        size_t cap_streams;                     /* items allocated in streams */
        size_t cap_stream_ptrs;                 /* items allocated in stream_ptrs */
        Logproto__EntryAdapter *entries;        /* owned scratch, one per entry */
        Logproto__EntryAdapter **entry_ptrs;    /* owned scratch: each stream lists a slice */
        Logproto__Timestamp *stamps;            /* owned scratch, one per entry */
        size_t cap_entries;                     /* items allocated in entries */
        size_t cap_entry_ptrs;                  /* items allocated in entry_ptrs */
        size_t cap_stamps;                      /* items allocated in stamps */
        Logproto__LabelPairAdapter *pairs;      /* owned scratch, one per metadata pair */
        Logproto__LabelPairAdapter **pair_ptrs; /* owned scratch: each entry lists a slice */
        size_t cap_pairs;                       /* items allocated in pairs */
        size_t cap_pair_ptrs;                   /* items allocated in pair_ptrs */
        size_t max_packed;                      /* cap on the serialized request */
        struct block_sink *sink;                /* owned scratch: the block being compressed */
};

/* Snappy compresses its input in blocks of 64 KiB, each on its own (a copy
 * refers to bytes of its block only), after a varint of the whole length:
 * compressing block by block and joining the results, less each block's own
 * length varint, gives the body snappy_compress() gives for the whole
 * message, without holding the message. */
#define SNAPPY_BLOCK (64u * 1024u)

/* A protobuf-c output that compresses what it is given, block by block,
 * onto the end of @out. */
struct block_sink {
        ProtobufCBuffer base;      /* protobuf-c appends through this */
        struct sl_buf *out;        /* borrowed: the body; room reserved up front */
        size_t len;                /* bytes in block */
        int err;                   /* first failure (-EIO), 0 if none */
        char block[SNAPPY_BLOCK];  /* the block being filled */
};

struct sl_push_encoder *sl_push_encoder_new(size_t max_packed) {
        struct sl_push_encoder *enc = sl_xnew(struct sl_push_encoder);
        enc->max_packed = max_packed ? max_packed : DEFAULT_MAX_PACKED;
        return enc;
}

void sl_push_encoder_free(struct sl_push_encoder *enc) {
        if (!enc)
                return;
        free(enc->streams);
        free(enc->stream_ptrs);
        free(enc->entries);
        free(enc->entry_ptrs);
        free(enc->stamps);
        free(enc->pairs);
        free(enc->pair_ptrs);
        free(enc->sink);
        free(enc);
}

static ProtobufCBinaryData bytes_of(struct sl_str s) {
        return (ProtobufCBinaryData){ .len = s.len, .data = (uint8_t *)s.ptr };
}

/* Unix ns as a protobuf Timestamp: nanos in [0, 1e9) also before 1970. */
static void set_stamp(Logproto__Timestamp *t, int64_t ts_ns) {
        int64_t sec = ts_ns / (int64_t)SL_NSEC_PER_SEC;
        int64_t nsec = ts_ns % (int64_t)SL_NSEC_PER_SEC;

        if (nsec < 0) {
                nsec += (int64_t)SL_NSEC_PER_SEC;
                sec--;
        }
        logproto__timestamp__init(t);
        t->seconds = sec;
        t->nanos = (int32_t)nsec;
}

/* Points the scratch message structs at the bytes of @batch's entries
 * [@first, @first + @count) (numbered across streams in order); fills @req. */
static void build_request(struct sl_push_encoder *enc, const struct sl_batch *batch,
                          size_t first, size_t count, Logproto__PushRequest *req) {
        const struct sl_batch_stream *streams;
        size_t n_streams, n_pairs = 0, end = first + count;
        size_t si = 0, ei = 0, pi = 0, at = 0;

        streams = sl_batch_streams(batch, &n_streams);
        for (size_t i = 0; i < n_streams; at += streams[i++].n_entries)
                for (size_t j = 0; j < streams[i].n_entries; j++)
                        if (at + j >= first && at + j < end)
                                n_pairs += streams[i].entries[j].n_metadata;

        sl_xgrow((void **)&enc->streams, sizeof(*enc->streams), &enc->cap_streams, n_streams);
        sl_xgrow((void **)&enc->stream_ptrs, sizeof(*enc->stream_ptrs), &enc->cap_stream_ptrs,
                 n_streams);
        sl_xgrow((void **)&enc->entries, sizeof(*enc->entries), &enc->cap_entries, count);
        sl_xgrow((void **)&enc->entry_ptrs, sizeof(*enc->entry_ptrs), &enc->cap_entry_ptrs, count);
        sl_xgrow((void **)&enc->stamps, sizeof(*enc->stamps), &enc->cap_stamps, count);
        sl_xgrow((void **)&enc->pairs, sizeof(*enc->pairs), &enc->cap_pairs, n_pairs);
        sl_xgrow((void **)&enc->pair_ptrs, sizeof(*enc->pair_ptrs), &enc->cap_pair_ptrs, n_pairs);

        logproto__push_request__init(req);
        at = 0;
        for (size_t i = 0; i < n_streams && at < end; at += streams[i++].n_entries) {
                const struct sl_batch_stream *s = &streams[i];
                size_t lo = first > at ? first - at : 0;
                size_t hi = SL_MIN(s->n_entries, end - at);
                Logproto__StreamAdapter *sa;

                if (lo >= hi)
                        continue;
                sa = &enc->streams[si];
                logproto__stream_adapter__init(sa);
                sa->labels = (char *)s->labels.ptr;
                sa->n_entries = hi - lo;
                sa->entries = &enc->entry_ptrs[ei];
                enc->stream_ptrs[si++] = sa;

                for (size_t j = lo; j < hi; j++) {
                        const struct sl_batch_entry *e = &s->entries[j];
                        Logproto__EntryAdapter *ea = &enc->entries[ei];

                        logproto__entry_adapter__init(ea);
                        set_stamp(&enc->stamps[ei], e->ts_ns);
                        ea->timestamp = &enc->stamps[ei];
                        ea->line = bytes_of(e->line);
                        ea->n_structuredmetadata = e->n_metadata;
                        ea->structuredmetadata = e->n_metadata ? &enc->pair_ptrs[pi] : NULL;
                        for (uint32_t k = 0; k < e->n_metadata; k++) {
                                Logproto__LabelPairAdapter *p = &enc->pairs[pi];
                                logproto__label_pair_adapter__init(p);
                                p->name = bytes_of(e->metadata[k].name);
                                p->value = bytes_of(e->metadata[k].value);
                                enc->pair_ptrs[pi++] = p;
                        }
                        enc->entry_ptrs[ei++] = ea;
                }
        }
        req->n_streams = si;
        req->streams = si ? enc->stream_ptrs : NULL;
}

/* Compresses the block held by @k onto the end of its body. */
static void flush_block(struct block_sink *k) {
        struct sl_buf *out = k->out;
        size_t skip = k->len < 128 ? 1 : k->len < 16384 ? 2 : 3; /* the block's varint */
        size_t room = out->size - out->len - 1, n = room + skip;
        char keep[3], *at;

        if (k->len == 0 || k->err)
                return;
        /* Compressed over the last bytes written, which are put back over
         * the block's own varint: the output is not copied. The body starts
         * with the whole length's varint, at least as long as a block's. */
        at = out->data + out->len - skip;
        memcpy(keep, at, skip);
        if (snappy_compress(k->block, k->len, at, &n) != SNAPPY_OK || n < skip) {
                k->err = -EIO;
                return;
        }
        memcpy(at, keep, skip);
        out->len += n - skip;
        k->len = 0;
}

static void sink_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data) {
        struct block_sink *k = (struct block_sink *)buffer;

        while (len > 0 && !k->err) {
                size_t n = SL_MIN(len, SNAPPY_BLOCK - k->len);

                memcpy(k->block + k->len, data, n);
                k->len += n;
                data += n;
                len -= n;
                if (k->len == SNAPPY_BLOCK)
                        flush_block(k);
        }
}

/* Appends @v as a varint to @out (room reserved). */
static void put_varint(struct sl_buf *out, uint64_t v) {
        do {
                out->data[out->len++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
        } while (v);
}

/* The most bytes snappy may make of @n bytes compressed block by block. */
static size_t compressed_bound(size_t n) {
        size_t full = n / SNAPPY_BLOCK, rest = n % SNAPPY_BLOCK;

        return 10 + full * snappy_max_compressed_length(SNAPPY_BLOCK) +
               (rest ? snappy_max_compressed_length(rest) : 0);
}

int sl_push_encoder_encode_range(struct sl_push_encoder *enc, const struct sl_batch *batch,
                                 size_t first, size_t count, struct sl_buf *out) {
        Logproto__PushRequest req;
        size_t packed_len, n = sl_batch_entries(batch);
        struct block_sink *k;
        int r;

        sl_buf_reset(out);
        if (!sl_batch_sealed(batch))
                return -EINVAL;
        if (first > n || count > n - first)
                return -ERANGE;
        build_request(enc, batch, first, count, &req);

        packed_len = logproto__push_request__get_packed_size(&req);
        if (packed_len > enc->max_packed)
                return -ENOBUFS;
        r = sl_buf_reserve(out, compressed_bound(packed_len));
        if (r < 0)
                return r;
        put_varint(out, packed_len);

        if (!enc->sink)
                enc->sink = sl_xmalloc(sizeof(*enc->sink));
        k = enc->sink;
        k->base.append = sink_append;
        k->out = out;
        k->len = 0;
        k->err = 0;
        logproto__push_request__pack_to_buffer(&req, &k->base);
        flush_block(k);
        if (k->err < 0) {
                sl_buf_reset(out);
                return k->err;
        }
        out->data[out->len] = '\0';
        return 0;
}

int sl_push_encoder_encode(struct sl_push_encoder *enc, const struct sl_batch *batch,
                           struct sl_buf *out) {
        return sl_push_encoder_encode_range(enc, batch, 0, sl_batch_entries(batch), out);
}

int sl_push_encode(const struct sl_batch *batch, struct sl_buf *out) {
        _cleanup_(sl_push_encoder_freep) struct sl_push_encoder *enc = sl_push_encoder_new(0);
        return sl_push_encoder_encode(enc, batch, out);
}
