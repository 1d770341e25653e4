/* push-encode.c - see push-encode.h. */
#include "ship/push-encode.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "base/xalloc.h"
#include "core/kv.h"
#include "ship/push.pb-c.h"

#define DEFAULT_MAX_PACKED (1024u * 1024u * 1024u)

/* Snappy compresses its input in blocks of 64 KiB, each on its own (a copy
 * refers to bytes of its block only), after a varint of the whole length:
 * compressing block by block and joining the results, less each block's own
 * length varint, gives the body snappy_compress() gives for the whole
 * message, without holding the message. */
#define SNAPPY_BLOCK (64u * 1024u)

/* The message is written here, then compressed onto the end of @out. */
struct block_sink {
        struct sl_buf *out;        /* borrowed: the body; room reserved up front */
        size_t len;                /* bytes in block */
        int err;                   /* first failure (-EIO), 0 if none */
        char block[SNAPPY_BLOCK];  /* the block being filled */
};

struct sl_push_encoder {
        uint32_t *sizes;           /* owned scratch: each entry's encoded size */
        size_t cap_sizes;          /* items allocated in sizes */
        size_t max_packed;         /* cap on the serialized request */
        struct block_sink *sink;   /* owned scratch: the block being compressed */
};

struct sl_push_encoder *sl_push_encoder_new(size_t max_packed) {
        struct sl_push_encoder *enc = sl_xnew(struct sl_push_encoder);
        enc->max_packed = max_packed ? max_packed : DEFAULT_MAX_PACKED;
        return enc;
}

void sl_push_encoder_free(struct sl_push_encoder *enc) {
        if (!enc)
                return;
        free(enc->sizes);
        free(enc->sink);
        free(enc);
}

/* ---- the wire format ------------------------------------------------------
 *
 * logproto.PushRequest as push.proto declares it, written field by field in
 * field-number order, with proto3's rules: a string, bytes or number field
 * equal to its default ("" or 0) is left out; a message field (timestamp) is
 * always there. That is what protobuf-c writes for the same message (a unit
 * test compares them byte for byte). Only what the batch holds is written:
 * StreamAdapter.hash is always 0, so never written. */

/* A field's key: its number and wire type. */
#define KEY(field, type) ((field) << 3 | (type))
#define VARINT 0
#define LEN 2

static size_t varint_size(uint64_t v) {
        size_t n = 1;

        while (v >= 0x80) {
                v >>= 7;
                n++;
        }
        return n;
}

static char *put_varint(char *p, uint64_t v) {
        while (v >= 0x80) {
                *p++ = (char)(v | 0x80);
                v >>= 7;
        }
        *p++ = (char)v;
        return p;
}

/* A length-delimited field of @len bytes (key, length, bytes). */
static size_t len_field_size(size_t len) {
        return 1 + varint_size(len) + len;
}

/* Same, left out when empty (proto3 strings and bytes). */
static size_t opt_len_field_size(size_t len) {
        return len ? len_field_size(len) : 0;
}

/* Unix ns as a protobuf Timestamp: nanos in [0, 1e9) also before 1970. */
static void split_stamp(int64_t ts_ns, int64_t *ret_sec, int32_t *ret_nsec) {
        int64_t sec = ts_ns / (int64_t)SL_NSEC_PER_SEC;
        int64_t nsec = ts_ns % (int64_t)SL_NSEC_PER_SEC;

        if (nsec < 0) {
                nsec += (int64_t)SL_NSEC_PER_SEC;
                sec--;
        }
        *ret_sec = sec;
        *ret_nsec = (int32_t)nsec;
}

/* The Timestamp message's bytes (int64 and int32 are varints of their
 * two's complement: a negative one takes 10 bytes). */
static size_t stamp_size(int64_t sec, int32_t nsec) {
        return (sec ? 1 + varint_size((uint64_t)sec) : 0) +
               (nsec ? 1 + varint_size((uint64_t)(int64_t)nsec) : 0);
}

static size_t entry_size(const struct sl_batch_entry *e) {
        int64_t sec;
        int32_t nsec;
        size_t n;

        split_stamp(e->ts_ns, &sec, &nsec);
        n = len_field_size(stamp_size(sec, nsec)) + opt_len_field_size(e->line.len);
        for (uint32_t k = 0; k < e->n_metadata; k++)
                n += len_field_size(opt_len_field_size(e->metadata[k].name.len) +
                                    opt_len_field_size(e->metadata[k].value.len));
        return n;
}

/* ---- output: 64 KiB blocks compressed onto the body ---------------------- */

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

static void put(struct block_sink *k, const void *data, size_t len) {
        const char *p = data;

        while (len > 0) {
                size_t n = SL_MIN(len, SNAPPY_BLOCK - k->len);

                memcpy(k->block + k->len, p, n);
                k->len += n;
                p += n;
                len -= n;
                if (k->len == SNAPPY_BLOCK)
                        flush_block(k);
        }
}

/* Writes a key and a length (at most 1 + 10 bytes). */
static void put_head(struct block_sink *k, unsigned key, uint64_t len) {
        char head[11], *p = head;

        *p++ = (char)key;
        p = put_varint(p, len);
        put(k, head, (size_t)(p - head));
}

/* A length-delimited field of @s; left out when empty if @optional. */
static void put_bytes(struct block_sink *k, unsigned key, struct sl_str s, bool optional) {
        if (optional && s.len == 0)
                return;
        put_head(k, key, s.len);
        put(k, s.ptr, s.len);
}

/* put_bytes() into the block at @p, which has room for the field. */
static inline char *put_bytes_at(char *p, unsigned key, struct sl_str s) {
        if (s.len == 0)
                return p;
        *p++ = (char)key;
        p = put_varint(p, s.len);
        return sl_copy_short(p, s.ptr, s.len);
}

/* The entry's @fields bytes after its timestamp, when they fit in the
 * block: written in place, not field by field through put(). False, with
 * nothing written, when they do not fit. */
static bool put_entry_fields_in_block(struct block_sink *k, const struct sl_batch_entry *e,
                                      size_t fields) {
        char *p = k->block + k->len;

        if (fields > SNAPPY_BLOCK - k->len)
                return false;
        if (e->line.len) {
                *p++ = (char)KEY(2, LEN);
                p = put_varint(p, e->line.len);
                memcpy(p, e->line.ptr, e->line.len);
                p += e->line.len;
        }
        for (uint32_t i = 0; i < e->n_metadata; i++) {
                const struct sl_kv *kv = &e->metadata[i];

                *p++ = (char)KEY(3, LEN);
                p = put_varint(p, opt_len_field_size(kv->name.len) + opt_len_field_size(kv->value.len));
                p = put_bytes_at(p, KEY(1, LEN), kv->name);
                p = put_bytes_at(p, KEY(2, LEN), kv->value);
        }
        k->len = (size_t)(p - k->block);
        if (k->len == SNAPPY_BLOCK)
                flush_block(k);
        return true;
}

static void put_entry(struct block_sink *k, const struct sl_batch_entry *e, uint32_t size) {
        char head[40], *p = head;
        int64_t sec;
        int32_t nsec;
        size_t stamp;

        /* The entry's key and size, then its timestamp, whole. */
        split_stamp(e->ts_ns, &sec, &nsec);
        stamp = stamp_size(sec, nsec);
        *p++ = (char)KEY(2, LEN);
        p = put_varint(p, size);
        *p++ = (char)KEY(1, LEN);
        p = put_varint(p, stamp);
        if (sec) {
                *p++ = (char)KEY(1, VARINT);
                p = put_varint(p, (uint64_t)sec);
        }
        if (nsec) {
                *p++ = (char)KEY(2, VARINT);
                p = put_varint(p, (uint64_t)(int64_t)nsec);
        }
        put(k, head, (size_t)(p - head));
        /* What is left of the entry: its size less the timestamp field. */
        if (put_entry_fields_in_block(k, e, size - len_field_size(stamp)))
                return;
        put_bytes(k, KEY(2, LEN), e->line, true);
        for (uint32_t i = 0; i < e->n_metadata; i++) {
                const struct sl_kv *kv = &e->metadata[i];

                put_head(k, KEY(3, LEN),
                         opt_len_field_size(kv->name.len) + opt_len_field_size(kv->value.len));
                put_bytes(k, KEY(1, LEN), kv->name, true);
                put_bytes(k, KEY(2, LEN), kv->value, true);
        }
}

/* The most bytes snappy may make of @n bytes compressed block by block. */
static size_t compressed_bound(size_t n) {
        size_t full = n / SNAPPY_BLOCK, rest = n % SNAPPY_BLOCK;

        return 10 + full * snappy_max_compressed_length(SNAPPY_BLOCK) +
               (rest ? snappy_max_compressed_length(rest) : 0);
}

/* The part of stream @s within the entries [first, end) counted from @at
 * (the flat index of its first entry): [*lo, *hi) of its entries. */
static bool stream_part(const struct sl_batch_stream *s, size_t at, size_t first, size_t end,
                        size_t *lo, size_t *hi) {
        *lo = first > at ? first - at : 0;
        *hi = end > at ? SL_MIN(s->n_entries, end - at) : 0;
        return *lo < *hi;
}

int sl_push_encoder_encode_range(struct sl_push_encoder *enc, const struct sl_batch *batch,
                                 size_t first, size_t count, struct sl_buf *out) {
        const struct sl_batch_stream *streams;
        size_t n_streams, n = sl_batch_entries(batch), end, at, ei, total = 0;
        struct block_sink *k;
        int r;

        sl_buf_reset(out);
        if (!sl_batch_sealed(batch) || !sl_batch_has_lines(batch))
                return -EINVAL;
        if (first > n || count > n - first)
                return -ERANGE;
        end = first + count;
        streams = sl_batch_streams(batch, &n_streams);

        /* Sizes first: every message is preceded by its length. An entry
         * is at most a line and its metadata (each under 4 GiB: the
         * batcher's limits) plus a few bytes. */
        sl_xgrow((void **)&enc->sizes, sizeof(*enc->sizes), &enc->cap_sizes, count);
        at = 0;
        ei = 0;
        for (size_t i = 0; i < n_streams; at += streams[i++].n_entries) {
                size_t lo, hi, stream = opt_len_field_size(streams[i].labels.len);

                if (!stream_part(&streams[i], at, first, end, &lo, &hi))
                        continue;
                for (size_t j = lo; j < hi; j++) {
                        size_t e = entry_size(&streams[i].entries[j]);

                        if (e > UINT32_MAX)
                                return -ENOBUFS;
                        enc->sizes[ei++] = (uint32_t)e;
                        stream += len_field_size(e);
                }
                total += len_field_size(stream);
        }
        if (total > enc->max_packed)
                return -ENOBUFS;
        r = sl_buf_reserve(out, compressed_bound(total));
        if (r < 0)
                return r;
        out->len = (size_t)(put_varint(out->data, total) - out->data);

        if (!enc->sink)
                enc->sink = sl_xmalloc(sizeof(*enc->sink));
        k = enc->sink;
        k->out = out;
        k->len = 0;
        k->err = 0;
        at = 0;
        ei = 0;
        for (size_t i = 0; i < n_streams; at += streams[i++].n_entries) {
                const struct sl_batch_stream *s = &streams[i];
                size_t lo, hi, stream = opt_len_field_size(s->labels.len);

                if (!stream_part(s, at, first, end, &lo, &hi))
                        continue;
                for (size_t j = lo, e = ei; j < hi; j++)
                        stream += len_field_size(enc->sizes[e++]);
                put_head(k, KEY(1, LEN), stream);
                put_bytes(k, KEY(1, LEN), s->labels, true);
                for (size_t j = lo; j < hi; j++)
                        put_entry(k, &s->entries[j], enc->sizes[ei++]);
        }
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

/* The Unix time in ns of a decoded timestamp; false when it does not fit.
 * The encoder wrote seconds rounded down and nanos in [0, 1e9), so a time
 * near the lowest one is found from seconds + 1 without overflowing. */
static bool timestamp_ns(const Logproto__Timestamp *t, int64_t *ret) {
        int64_t secs, nanos;

        if (!t) {
                *ret = 0;
                return true;
        }
        secs = t->seconds;
        nanos = t->nanos;
        if (secs < 0 && nanos > 0) {
                secs++;
                nanos -= (int64_t)SL_NSEC_PER_SEC;
        }
        return !__builtin_mul_overflow(secs, (int64_t)SL_NSEC_PER_SEC, ret) &&
               !__builtin_add_overflow(*ret, nanos, ret);
}

/* Puts back the entries of one decoded stream into stream @s. */
static int restore_stream(struct sl_batch *b, uint32_t s, const Logproto__StreamAdapter *st,
                          struct sl_kvs *meta) {
        for (size_t j = 0; j < st->n_entries; j++) {
                const Logproto__EntryAdapter *en = st->entries[j];
                int64_t ts;

                if (!timestamp_ns(en->timestamp, &ts))
                        return -EBADMSG;
                sl_kvs_clear(meta);
                for (size_t m = 0; m < en->n_structuredmetadata; m++) {
                        const Logproto__LabelPairAdapter *kv = en->structuredmetadata[m];
                        sl_kvs_set(meta, sl_str_from((const char *)kv->name.data, kv->name.len),
                                   sl_str_from((const char *)kv->value.data, kv->value.len));
                }
                sl_batch_restore(b, s, ts, sl_str_from((const char *)en->line.data, en->line.len), meta);
        }
        return 0;
}

int sl_push_decode_range(struct sl_batch *b, size_t first, size_t count, const struct sl_buf *body) {
        const struct sl_batch_stream *streams;
        Logproto__PushRequest *req = NULL;
        size_t n, len = 0, at = 0, end = first + count, s = 0;
        struct sl_kvs meta;
        char *raw = NULL;
        int r = 0;

        if (first > sl_batch_entries(b) || count > sl_batch_entries(b) - first || !body->data ||
            snappy_uncompressed_length(body->data, body->len, &len) != SNAPPY_OK)
                return -EBADMSG;
        raw = sl_xmalloc(len ? len : 1);
        if (snappy_uncompress(body->data, body->len, raw, &len) != SNAPPY_OK ||
            !(req = logproto__push_request__unpack(NULL, len, (const uint8_t *)raw))) {
                free(raw);
                return -EBADMSG;
        }
        sl_kvs_init(&meta);
        streams = sl_batch_streams(b, &n);
        /* The body's streams are the batch's streams with entries in the
         * range, in order, each with exactly those entries. */
        for (size_t i = 0; i < req->n_streams && r == 0; i++) {
                size_t lo, hi;

                for (; s < n; at += streams[s++].n_entries)
                        if (stream_part(&streams[s], at, first, end, &lo, &hi))
                                break;
                if (s >= n || req->streams[i]->n_entries != hi - lo) {
                        r = -EBADMSG;
                        break;
                }
                r = restore_stream(b, (uint32_t)s, req->streams[i], &meta);
                at += streams[s++].n_entries;
        }
        /* No stream of the range left out. */
        for (size_t lo, hi; r == 0 && s < n; at += streams[s++].n_entries)
                if (stream_part(&streams[s], at, first, end, &lo, &hi))
                        r = -EBADMSG;
        sl_kvs_release(&meta);
        logproto__push_request__free_unpacked(req, NULL);
        free(raw);
        return r;
}
