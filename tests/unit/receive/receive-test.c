/* receive-test.c - see receive-test.h. */
#include "receive-test.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/entry.h"

static void put_pairs(struct sl_buf *out, const struct sl_kvs *kvs, char open, char close) {
        sl_buf_putc(out, open);
        for (size_t i = 0; i < kvs->len; i++) {
                if (i)
                        sl_buf_putc(out, ',');
                sl_buf_append_str(out, kvs->items[i].name);
                sl_buf_putc(out, '=');
                sl_buf_append_str(out, kvs->items[i].value);
        }
        sl_buf_putc(out, close);
}

static void render_one(void *ud, struct sl_entry *e) {
        struct sl_buf *out = ud;

        sl_buf_printf(out, "%" PRId64 " ", e->ts_ns);
        put_pairs(out, &e->labels, '{', '}');
        sl_buf_printf(out, " \"");
        sl_buf_append_str(out, e->line);
        sl_buf_printf(out, "\" ");
        put_pairs(out, &e->metadata, '[', ']');
        sl_buf_putc(out, ' ');
        put_pairs(out, &e->extracted, '(', ')');
        sl_buf_putc(out, '\n');
}

void rt_render(struct sl_push_request *r, struct sl_buf *out) {
        struct sl_entry e;

        sl_buf_reset(out);
        sl_entry_init(&e);
        sl_push_request_foreach(r, &e, render_one, out);
        sl_entry_release(&e);
}

int rt_decode(enum sl_push_format format, const char *content_type, const char *encoding,
              const void *body, size_t len, const struct sl_push_limits *limits,
              struct sl_buf *out) {
        struct sl_push_request *r = NULL;
        char reason[SL_PUSH_REASON_MAX];
        int ret;

        memset(reason, 'x', sizeof(reason));
        ret = sl_push_request_decode(format, content_type, encoding, body, len, limits, &r,
                                     reason);
        sl_buf_reset(out);
        if (ret < 0) {
                ck_assert_ptr_null(r);
                ck_assert_msg(memchr(reason, '\0', sizeof(reason)), "reason not terminated");
                ck_assert_msg(reason[0], "a refusal says why");
                sl_buf_printf(out, "ERR %s", reason);
                return ret;
        }
        ck_assert_ptr_nonnull(r);
        rt_render(r, out);
        sl_push_request_free(r);
        return 0;
}

void rt_deflate(const void *data, size_t len, int window_bits, struct sl_buf *out) {
        z_stream z = { 0 };
        uLong bound;

        ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
        bound = deflateBound(&z, (uLong)len) + 64;
        sl_buf_reset(out);
        ck_assert_int_eq(sl_buf_reserve(out, bound), 0);
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)bound;
        ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        out->len = z.total_out;
        deflateEnd(&z);
}

void rt_snappy(const void *data, size_t len, struct sl_buf *out) {
        size_t n = snappy_max_compressed_length(len);

        sl_buf_reset(out);
        ck_assert_int_eq(sl_buf_reserve(out, n), 0);
        ck_assert_int_eq(snappy_compress(data, len, out->data, &n), SNAPPY_OK);
        out->len = n;
}
