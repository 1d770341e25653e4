/* push-encode.c - see push-encode.h. */
#include "ship/push-encode.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdlib.h>

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
        struct sl_buf packed;                   /* owned: the serialized request, capped */
};

struct sl_push_encoder *sl_push_encoder_new(size_t max_packed) {
        struct sl_push_encoder *enc = sl_xnew(struct sl_push_encoder);
        sl_buf_init(&enc->packed, max_packed ? max_packed : DEFAULT_MAX_PACKED);
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
        sl_buf_release(&enc->packed);
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

int sl_push_encoder_encode_range(struct sl_push_encoder *enc, const struct sl_batch *batch,
                                 size_t first, size_t count, struct sl_buf *out) {
        Logproto__PushRequest req;
        size_t packed_len, compressed_len, n = sl_batch_entries(batch);
        int r;

        sl_buf_reset(out);
        if (!sl_batch_sealed(batch))
                return -EINVAL;
        if (first > n || count > n - first)
                return -ERANGE;
        build_request(enc, batch, first, count, &req);

        packed_len = logproto__push_request__get_packed_size(&req);
        sl_buf_reset(&enc->packed);
        r = sl_buf_reserve(&enc->packed, packed_len);
        if (r < 0)
                return r;
        enc->packed.len = logproto__push_request__pack(&req, (uint8_t *)enc->packed.data);
        enc->packed.data[enc->packed.len] = '\0';

        compressed_len = snappy_max_compressed_length(enc->packed.len);
        r = sl_buf_reserve(out, compressed_len);
        if (r < 0)
                return r;
        if (snappy_compress(enc->packed.data, enc->packed.len, out->data, &compressed_len) !=
            SNAPPY_OK)
                return -EIO;
        out->len = compressed_len;
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
