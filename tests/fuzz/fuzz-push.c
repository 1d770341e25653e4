/* fuzz-push.c - the batcher and the push encoder (ship/batcher.h,
 * ship/push-encode.h) driven by a script of operations.
 *
 * Input: a few bytes of options (batch size, line limit, truncation, a
 * small encoder cap, external labels), then operations, one byte each
 * followed by its arguments; strings end at a NUL byte:
 *   0, 1  add an entry: labels (name, value) x n, metadata x m, the line,
 *         8 bytes of time (0: the batcher's clock)
 *   2     a mark of one of four sources
 *   3     the clock moves on; take the batch if it is due
 *   4     take the batch now
 * Every batch taken is checked (entries counted by what was added, streams
 * sorted by time, one mark per source), encoded whole and in the parts a
 * byte of the input chooses, and each body is decoded and compared with
 * the batch; then its lines are dropped and put back from the parts'
 * bodies, and it must encode to the same whole body; an encoder or buffer
 * too small says so (-ENOBUFS).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "core/entry.h"
#include "fuzz-push-check.h"
#include "fuzz-util.h"
#include "ship/batcher.h"
#include "ship/push-encode.h"

#define MS 1000000ULL
#define PARTS 8

struct state {
        struct fz in;
        struct sl_batcher *batcher;
        struct sl_push_encoder *encoder;       /* no cap */
        struct sl_push_encoder *small_encoder; /* a cap from the input */
        struct sl_buf body;
        struct sl_buf whole;                   /* the whole batch's body */
        struct sl_buf parts[PARTS];            /* its parts' bodies */
        size_t first[PARTS];                   /* their first entries */
        size_t n_parts;
        size_t added;                          /* entries added since the last take */
        uint64_t now;
};

static void check_batch(const struct sl_batch *b, size_t added) {
        size_t n_streams, n_marks, total = 0;
        const struct sl_batch_stream *streams = sl_batch_streams(b, &n_streams);
        const struct sl_mark *marks = sl_batch_marks(b, &n_marks);

        FUZZ_CHECK(sl_batch_sealed(b), "not sealed");
        FUZZ_CHECK(sl_batch_entries(b) == added, "%zu entries, %zu added", sl_batch_entries(b), added);
        for (size_t s = 0; s < n_streams; s++) {
                FUZZ_CHECK(streams[s].labels.len > 2 && streams[s].labels.ptr[streams[s].labels.len] == '\0',
                           "stream %zu labels", s);
                for (size_t j = 1; j < streams[s].n_entries; j++)
                        FUZZ_CHECK(streams[s].entries[j - 1].ts_ns <= streams[s].entries[j].ts_ns,
                                   "stream %zu not sorted at %zu", s, j);
                for (size_t j = 0; j < streams[s].n_entries; j++)
                        FUZZ_CHECK(streams[s].entries[j].ts_ns != 0 && streams[s].entries[j].stream == s,
                                   "entry %zu of stream %zu", j, s);
                total += streams[s].n_entries;
        }
        FUZZ_CHECK(total == added, "streams hold %zu entries", total);
        for (size_t i = 0; i < n_marks; i++)
                for (size_t j = 0; j < i; j++)
                        FUZZ_CHECK(marks[i].source_id != marks[j].source_id, "two marks of one source");
}

static void ship(struct state *st, struct sl_batch *b) {
        size_t n = sl_batch_entries(b), first = 0;
        struct sl_buf tiny;
        int r;

        check_batch(b, st->added);
        st->added = 0;
        FUZZ_CHECK(sl_push_encoder_encode(st->encoder, b, &st->body) == 0, "encode");
        if (n)
                fz_check_push_body(&st->body, b, 0, n);
        sl_buf_reset(&st->whole);
        sl_buf_append(&st->whole, st->body.data, st->body.len);
        /* In parts, as a 413 splits a batch, each part's body kept. */
        st->n_parts = 0;
        while (first < n && st->n_parts < PARTS) {
                size_t count = st->n_parts == PARTS - 1 ? n - first : 1 + fz_byte(&st->in) % (n - first);
                struct sl_buf *part = &st->parts[st->n_parts];

                FUZZ_CHECK(sl_push_encoder_encode_range(st->encoder, b, first, count, part) == 0, "range");
                fz_check_push_body(part, b, first, count);
                st->first[st->n_parts++] = first;
                first += count;
        }
        /* The lines dropped, as a client holding the bodies does, then put
         * back from the parts: the batch encodes to its first body again. */
        sl_batch_drop_lines(b);
        FUZZ_CHECK(sl_push_encoder_encode(st->encoder, b, &st->body) == -EINVAL, "encoded without lines");
        for (size_t i = 0; i < st->n_parts; i++) {
                size_t end = i + 1 < st->n_parts ? st->first[i + 1] : n;
                FUZZ_CHECK(sl_push_decode_range(b, st->first[i], end - st->first[i], &st->parts[i]) == 0,
                           "part %zu does not decode", i);
        }
        FUZZ_CHECK(sl_batch_restore_end(b) == 0, "the lines are not put back");
        FUZZ_CHECK(sl_push_encoder_encode(st->encoder, b, &st->body) == 0, "encode after restoring");
        FUZZ_CHECK(st->body.len == st->whole.len && memcmp(st->body.data, st->whole.data, st->whole.len) == 0,
                   "restored batch encodes differently");
        FUZZ_CHECK(sl_push_encoder_encode_range(st->encoder, b, n, 1, &st->body) == -ERANGE, "a range past the end");
        r = sl_push_encoder_encode(st->small_encoder, b, &st->body);
        FUZZ_CHECK(r == 0 || r == -ENOBUFS, "small encoder: %d", r);
        if (r == 0 && n)
                fz_check_push_body(&st->body, b, 0, n);
        sl_buf_init(&tiny, 64);
        r = sl_push_encoder_encode(st->encoder, b, &tiny);
        FUZZ_CHECK(r == 0 || (r == -ENOBUFS && tiny.len == 0), "tiny buffer: %d", r);
        sl_buf_release(&tiny);
        sl_batch_free(b);
}

static void add(struct state *st, struct sl_entry *e) {
        unsigned n_labels = fz_byte(&st->in) % 5, n_meta = fz_byte(&st->in) % 3;
        struct sl_batch *b;
        int r;

        sl_entry_reset(e);
        for (unsigned i = 0; i < n_labels; i++) {
                struct sl_str name = fz_until(&st->in, '\0');
                sl_kvs_set(&e->labels, name, fz_until(&st->in, '\0'));
        }
        for (unsigned i = 0; i < n_meta; i++) {
                struct sl_str name = fz_until(&st->in, '\0');
                sl_kvs_set(&e->metadata, name, fz_until(&st->in, '\0'));
        }
        e->line = fz_until(&st->in, '\0');
        e->ts_ns = (int64_t)fz_uint(&st->in, 8);
        r = sl_batcher_add(st->batcher, e, st->now);
        FUZZ_CHECK(r == 0 || r == 1 || r == -EINVAL || r == -E2BIG || r == -ENOBUFS, "add: %d", r);
        if (r < 0)
                return;
        st->added++;
        if (r == 1) {
                b = sl_batcher_take(st->batcher, st->now, false);
                FUZZ_CHECK(b != NULL, "a full batch is not due");
                ship(st, b);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct state st = { .in = fz_init(data, size), .now = 1000 * MS };
        struct sl_batcher_options o = { .batchwait_ns = 1000 * MS };
        struct sl_kvs external;
        struct sl_entry e;
        struct sl_batch *b;
        uint64_t offset = 0;
        unsigned n_external;

        o.batchsize = 1 + fz_uint(&st.in, 3);
        o.max_line_size = fz_uint(&st.in, 2);
        o.truncate = fz_byte(&st.in) & 1;
        st.small_encoder = sl_push_encoder_new(1 + fz_uint(&st.in, 2));
        n_external = fz_byte(&st.in) % 3;
        sl_kvs_init(&external);
        for (unsigned i = 0; i < n_external; i++) {
                struct sl_str name = fz_until(&st.in, '\0');
                sl_kvs_set(&external, name, fz_until(&st.in, '\0'));
        }
        o.external_labels = &external;
        st.batcher = sl_batcher_new(&o);
        sl_kvs_release(&external);
        st.encoder = sl_push_encoder_new(0);
        sl_buf_init(&st.body, 64u << 20);
        sl_buf_init(&st.whole, 64u << 20);
        for (size_t i = 0; i < PARTS; i++)
                sl_buf_init(&st.parts[i], 64u << 20);
        sl_entry_init(&e);

        while (!fz_empty(&st.in)) {
                switch (fz_byte(&st.in) % 5) {
                case 0:
                case 1:
                        add(&st, &e);
                        break;
                case 2: {
                        struct sl_mark m = { .source_id = fz_byte(&st.in) % 4, .offset = ++offset };
                        sl_batcher_mark(st.batcher, &m, st.now);
                        break;
                }
                case 3:
                        st.now += fz_byte(&st.in) * 10 * MS;
                        b = sl_batcher_take(st.batcher, st.now, false);
                        if (b)
                                ship(&st, b);
                        else
                                FUZZ_CHECK(st.now < sl_batcher_deadline(st.batcher), "a due batch not taken");
                        break;
                case 4:
                        b = sl_batcher_take(st.batcher, st.now, true);
                        if (b)
                                ship(&st, b);
                        break;
                }
        }
        b = sl_batcher_take(st.batcher, st.now, true);
        if (b)
                ship(&st, b);
        FUZZ_CHECK(st.added == 0, "entries left behind");
        sl_entry_release(&e);
        sl_buf_release(&st.body);
        sl_buf_release(&st.whole);
        for (size_t i = 0; i < PARTS; i++)
                sl_buf_release(&st.parts[i]);
        sl_push_encoder_free(st.encoder);
        sl_push_encoder_free(st.small_encoder);
        sl_batcher_free(st.batcher);
        return 0;
}
