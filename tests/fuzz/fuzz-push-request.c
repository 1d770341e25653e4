/* fuzz-push-request.c - Loki's push bodies, Promtail's raw lines and the
 * label text (receive/push-request.h) on hostile input.
 *
 * Input: a mode byte, then the body.
 *   mode & 7:  0  a Loki protobuf body as given (snappy expected)
 *              1  a Loki protobuf body, snappy-compressed here first (so that
 *                 the fuzzer reaches the protobuf and label parsing)
 *              2  a Loki JSON body as given
 *              3  a Loki JSON body, gzip-compressed here first
 *              4  a Content-Type line, a Content-Encoding line, a Loki body
 *              5  raw lines as given
 *              6  raw lines, gzip-compressed here first
 *              7  a label text for sl_push_parse_labels()
 *   mode >> 3 & 3: limits: none, 3 entries, 256 bytes, both
 * Checks, beyond the sanitizers: a refusal is one of the documented errors
 * with a reason; what is accepted keeps the limits, its entries are read
 * whole (every byte of every slice), Loki's JSON labels are Prometheus
 * names, raw lines are the input's non-empty lines; decoding is
 * deterministic; parsed labels have valid, distinct names.
 */
#include <errno.h>
#include <snappy-c.h>
#include <stdint.h>
#include <zlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "core/entry.h"
#include "core/kv.h"
#include "fuzz-util.h"
#include "receive/push-request.h"

static bool valid_name(struct sl_str s) {
        if (s.len == 0)
                return false;
        for (size_t i = 0; i < s.len; i++) {
                char c = s.ptr[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                      (i > 0 && c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

struct walk {
        enum sl_push_format format;
        bool json;
        uint64_t sum;       /* every byte of every slice, so that ASan sees them */
        size_t entries;
        struct fz raw;      /* raw mode: the lines expected, in order */
};

static void sum_str(struct walk *w, struct sl_str s) {
        for (size_t i = 0; i < s.len; i++)
                w->sum = w->sum * 31 + (uint8_t)s.ptr[i];
        w->sum = w->sum * 31 + s.len;
}

static void sum_kvs(struct walk *w, const struct sl_kvs *kvs) {
        for (size_t i = 0; i < kvs->len; i++) {
                sum_str(w, kvs->items[i].name);
                sum_str(w, kvs->items[i].value);
        }
}

/* The next non-empty line of a raw body, as Promtail cuts it. */
static struct sl_str next_raw_line(struct fz *f) {
        while (!fz_empty(f)) {
                struct sl_str line = fz_until(f, '\n');
                while (line.len && (line.ptr[line.len - 1] == '\r' || line.ptr[line.len - 1] == '\n'))
                        line.len--;
                if (line.len)
                        return line;
        }
        return SL_STR_NULL;
}

static void on_entry(void *ud, struct sl_entry *e) {
        struct walk *w = ud;

        w->entries++;
        sum_str(w, e->line);
        sum_kvs(w, &e->labels);
        sum_kvs(w, &e->metadata);
        sum_kvs(w, &e->extracted);
        w->sum = w->sum * 31 + (uint64_t)e->ts_ns;
        if (w->format == SL_PUSH_RAW) {
                struct sl_str want = next_raw_line(&w->raw);
                FUZZ_CHECK(e->labels.len == 0 && e->metadata.len == 0 && e->ts_ns == 0,
                           "a raw line with labels, metadata or a time");
                FUZZ_CHECK(sl_str_eq(e->line, want), "raw line %zu differs", w->entries);
        }
        if (w->format == SL_PUSH_LOKI)
                for (size_t i = 0; i < e->labels.len; i++)
                        FUZZ_CHECK(valid_name(e->labels.items[i].name), "label name \"%.*s\"",
                                   (int)e->labels.items[i].name.len, e->labels.items[i].name.ptr);
}

static void compress_gzip(const void *data, size_t len, struct sl_buf *out) {
        z_stream z = { 0 };
        uLong bound;

        if (deflateInit2(&z, 1, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                abort();
        bound = deflateBound(&z, (uLong)len) + 64;
        if (sl_buf_reserve(out, bound) < 0)
                abort();
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                abort();
        out->len = z.total_out;
        deflateEnd(&z);
}

static void compress_snappy(const void *data, size_t len, struct sl_buf *out) {
        size_t n = snappy_max_compressed_length(len);

        if (sl_buf_reserve(out, n) < 0 || snappy_compress(data, len, out->data, &n) != SNAPPY_OK)
                abort();
        out->len = n;
}

/* Decodes and walks; returns the error, or 0 with the walk's results. */
static int decode(enum sl_push_format format, const char *ctype, const char *enc,
                  const void *body, size_t len, const struct sl_push_limits *limits,
                  struct walk *w) {
        struct sl_push_request *r = NULL;
        char reason[SL_PUSH_REASON_MAX];
        struct sl_entry e;
        int ret;

        memset(reason, 0x55, sizeof(reason));
        ret = sl_push_request_decode(format, ctype, enc, body, len, limits, &r, reason);
        if (ret < 0) {
                FUZZ_CHECK(!r, "a request with an error");
                FUZZ_CHECK(ret == -EINVAL || ret == -ENOTSUP || ret == -EMSGSIZE || ret == -E2BIG,
                           "error %d", ret);
                FUZZ_CHECK(memchr(reason, '\0', sizeof(reason)) && reason[0], "no reason");
                return ret;
        }
        FUZZ_CHECK(r, "no request");
        FUZZ_CHECK(!limits->max_entries || sl_push_request_entries(r) <= limits->max_entries,
                   "%zu entries over the limit", sl_push_request_entries(r));
        sl_entry_init(&e);
        sl_push_request_foreach(r, &e, on_entry, w);
        sl_entry_release(&e);
        FUZZ_CHECK(w->entries == sl_push_request_entries(r), "foreach saw %zu of %zu", w->entries,
                   sl_push_request_entries(r));
        sl_push_request_free(r);
        return 0;
}

static void check_labels(struct sl_str text) {
        struct sl_arena arena;
        struct sl_kvs labels;
        char reason[SL_PUSH_REASON_MAX] = "";
        int r;

        sl_arena_init(&arena, 4096);
        sl_kvs_init(&labels);
        r = sl_push_parse_labels(text.ptr, text.len, &arena, &labels, reason);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL && reason[0], "error %d without a reason", r);
        } else {
                for (size_t i = 0; i < labels.len; i++) {
                        FUZZ_CHECK(valid_name(labels.items[i].name), "label %zu", i);
                        for (size_t j = 0; j < i; j++)
                                FUZZ_CHECK(!sl_str_eq(labels.items[i].name, labels.items[j].name),
                                           "a name twice");
                }
        }
        sl_kvs_release(&labels);
        sl_arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        uint8_t mode = fz_byte(&in);
        static const struct sl_push_limits all_limits[4] = {
                { 0, 0 }, { .max_entries = 3 }, { .max_body = 256 }, { 256, 3 } };
        const struct sl_push_limits *limits = &all_limits[(mode >> 3) & 3];
        enum sl_push_format format = SL_PUSH_LOKI;
        const char *ctype = "application/x-protobuf", *enc = NULL;
        char *ctype_copy = NULL, *enc_copy = NULL;
        const void *body = in.p;
        size_t len = fz_left(&in);
        struct sl_buf packed;
        struct walk w1 = { 0 }, w2 = { 0 };
        int r1, r2;

        sl_buf_init(&packed, 64u << 20);
        switch (mode & 7) {
        case 0:
                break;
        case 1:
                compress_snappy(body, len, &packed);
                body = packed.data, len = packed.len;
                break;
        case 2:
                ctype = "application/json";
                break;
        case 3:
                ctype = "application/json";
                enc = "gzip";
                compress_gzip(body, len, &packed);
                body = packed.data, len = packed.len;
                break;
        case 4:
                ctype = ctype_copy = fz_strdup(fz_until(&in, '\n'));
                enc = enc_copy = fz_strdup(fz_until(&in, '\n'));
                body = in.p, len = fz_left(&in);
                break;
        case 5:
                format = SL_PUSH_RAW;
                ctype = NULL;
                break;
        case 6:
                format = SL_PUSH_RAW;
                ctype = NULL;
                enc = "gzip";
                compress_gzip(body, len, &packed);
                body = packed.data, len = packed.len;
                break;
        default:
                check_labels(sl_str_from(in.p, fz_left(&in)));
                sl_buf_release(&packed);
                return 0;
        }
        w1.format = w2.format = format;
        w1.raw = w2.raw = fz_init((const uint8_t *)in.p, fz_left(&in));
        r1 = decode(format, ctype, enc, body, len, limits, &w1);
        r2 = decode(format, ctype, enc, body, len, limits, &w2);
        FUZZ_CHECK(r1 == r2 && w1.sum == w2.sum && w1.entries == w2.entries, "not deterministic");
        if (format == SL_PUSH_RAW && r1 == 0)
                FUZZ_CHECK(next_raw_line(&w1.raw).ptr == NULL, "raw lines left out");
        free(ctype_copy);
        free(enc_copy);
        sl_buf_release(&packed);
        return 0;
}
