/* fuzz-otlp.c - OTLP/HTTP logs bodies (receive/push-request.h with
 * SL_PUSH_OTLP: protobuf and OTLP/JSON) on hostile input.
 *
 * Input: a mode byte, then the body.
 *   mode & 3:      0 protobuf, 1 OTLP/JSON, 2 protobuf and 3 OTLP/JSON
 *                  gzip-compressed here first (Content-Encoding: gzip)
 *   mode >> 2 & 3: limits: none, 3 records, 512 bytes, both
 * Checks, beyond the sanitizers: a refusal is one of the documented errors
 * with a reason; what is accepted keeps the limits; every entry's labels are
 * valid for Loki (Prometheus names, UTF-8 values) with one service_name;
 * its extracted values are its metadata and at most a level (one Loki
 * knows, or a level field's value); every byte of every slice is read;
 * decoding is deterministic.
 */
#include <errno.h>
#include <stdint.h>
#include <zlib.h>

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

/* Whether @s is valid UTF-8 (no surrogates, no overlong forms). */
static bool valid_utf8(struct sl_str s) {
        const unsigned char *p = (const unsigned char *)s.ptr;
        size_t i = 0;

        while (i < s.len) {
                uint32_t cp;
                size_t n;

                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                if (p[i] >= 0xC2 && p[i] <= 0xDF)
                        n = 2, cp = p[i] & 0x1F;
                else if (p[i] >= 0xE0 && p[i] <= 0xEF)
                        n = 3, cp = p[i] & 0x0F;
                else if (p[i] >= 0xF0 && p[i] <= 0xF4)
                        n = 4, cp = p[i] & 0x07;
                else
                        return false;
                if (i + n > s.len)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((p[i + k] & 0xC0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + k] & 0x3F);
                }
                if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                        return false;
                i += n;
        }
        return true;
}

static bool known_level(struct sl_str s) {
        static const char *const levels[] = { "trace", "debug", "info", "warn", "error",
                                              "critical", "fatal", "unknown" };
        for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
                if (sl_str_eq_c(s, levels[i]))
                        return true;
        return false;
}

/* Whether @level is the value of one of Loki's level fields in @e's
 * metadata. */
static bool from_level_field(const struct sl_entry *e, struct sl_str level) {
        static const char *const fields[] = { "LEVEL", "Level", "severity", "SEVERITY",
                                              "Severity", "lvl", "LVL", "Lvl" };
        for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
                const struct sl_str *v = sl_kvs_get(&e->metadata, sl_str_c(fields[i]));
                if (v && sl_str_eq(*v, level))
                        return true;
        }
        return false;
}

struct walk {
        uint64_t sum;
        size_t entries;
};

static void sum_str(struct walk *w, struct sl_str s) {
        for (size_t i = 0; i < s.len; i++)
                w->sum = w->sum * 31 + (uint8_t)s.ptr[i];
        w->sum = w->sum * 31 + s.len;
}

static void on_entry(void *ud, struct sl_entry *e) {
        struct walk *w = ud;
        size_t services = 0;
        const struct sl_str *level;

        w->entries++;
        sum_str(w, e->line);
        w->sum = w->sum * 31 + (uint64_t)e->ts_ns;
        for (size_t i = 0; i < e->labels.len; i++) {
                const struct sl_kv *kv = &e->labels.items[i];
                sum_str(w, kv->name);
                sum_str(w, kv->value);
                FUZZ_CHECK(valid_name(kv->name), "label name \"%.*s\"", (int)kv->name.len,
                           kv->name.ptr);
                FUZZ_CHECK(valid_utf8(kv->value), "label %.*s: not UTF-8", (int)kv->name.len,
                           kv->name.ptr);
                /* Empty when the attribute that names the service is empty,
                 * as in Loki. */
                if (sl_str_eq_c(kv->name, "service_name"))
                        services++;
        }
        FUZZ_CHECK(services == 1, "%zu service_name labels", services);
        for (size_t i = 0; i < e->metadata.len; i++) {
                const struct sl_kv *kv = &e->metadata.items[i];
                const struct sl_str *x = sl_kvs_get(&e->extracted, kv->name);
                sum_str(w, kv->name);
                sum_str(w, kv->value);
                FUZZ_CHECK(x && sl_str_eq(*x, kv->value), "metadata %.*s not extracted",
                           (int)kv->name.len, kv->name.ptr);
        }
        level = sl_kvs_get(&e->extracted, SL_STR_LIT("level"));
        if (level && !sl_kvs_get(&e->metadata, SL_STR_LIT("level")))
                FUZZ_CHECK(known_level(*level) || from_level_field(e, *level), "level \"%.*s\"",
                           (int)level->len, level->ptr);
        FUZZ_CHECK(e->extracted.len <= e->metadata.len + 1, "more extracted than metadata");
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

static int decode(const char *ctype, const char *enc, const void *body, size_t len,
                  const struct sl_push_limits *limits, struct walk *w) {
        struct sl_push_request *r = NULL;
        char reason[SL_PUSH_REASON_MAX];
        struct sl_entry e;
        int ret;

        memset(reason, 0x55, sizeof(reason));
        ret = sl_push_request_decode(SL_PUSH_OTLP, ctype, enc, body, len, limits, &r, reason);
        if (ret < 0) {
                FUZZ_CHECK(!r, "a request with an error");
                FUZZ_CHECK(ret == -EINVAL || ret == -EMSGSIZE || ret == -E2BIG, "error %d", ret);
                FUZZ_CHECK(memchr(reason, '\0', sizeof(reason)) && reason[0], "no reason");
                return ret;
        }
        FUZZ_CHECK(!limits->max_entries || sl_push_request_entries(r) <= limits->max_entries,
                   "%zu records over the limit", sl_push_request_entries(r));
        sl_entry_init(&e);
        sl_push_request_foreach(r, &e, on_entry, w);
        sl_entry_release(&e);
        FUZZ_CHECK(w->entries == sl_push_request_entries(r), "foreach saw %zu of %zu", w->entries,
                   sl_push_request_entries(r));
        sl_push_request_free(r);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        uint8_t mode = fz_byte(&in);
        static const struct sl_push_limits all_limits[4] = {
                { 0, 0 }, { .max_entries = 3 }, { .max_body = 512 }, { 512, 3 } };
        const struct sl_push_limits *limits = &all_limits[(mode >> 2) & 3];
        const char *ctype = mode & 1 ? "application/json" : "application/x-protobuf";
        const char *enc = mode & 2 ? "gzip" : NULL;
        const void *body = in.p;
        size_t len = fz_left(&in);
        struct sl_buf packed;
        struct walk w1 = { 0 }, w2 = { 0 };
        int r1, r2;

        sl_buf_init(&packed, 64u << 20);
        if (enc) {
                compress_gzip(body, len, &packed);
                body = packed.data, len = packed.len;
        }
        r1 = decode(ctype, enc, body, len, limits, &w1);
        r2 = decode(ctype, enc, body, len, limits, &w2);
        FUZZ_CHECK(r1 == r2 && w1.sum == w2.sum && w1.entries == w2.entries, "not deterministic");
        sl_buf_release(&packed);
        return 0;
}
