/* push-request.c - see push-request.h. Loki's push bodies and raw lines
 * here, OTLP in otlp.c. */
#include "receive/push-request.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/xalloc.h"
#include "receive/request-impl.h"
#include "push.pb-c.h" /* ship's generated code */

#define ARENA_CHUNK (64u << 10)

int sl_push_fail(char *reterr, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reterr, SL_PUSH_REASON_MAX, fmt, ap);
        va_end(ap);
        return r;
}

void sl_push_add_kv(struct sl_push_request *req, struct sl_str name, struct sl_str value) {
        sl_xgrow((void **)&req->kvs, sizeof(*req->kvs), &req->cap_kvs, req->n_kvs + 1);
        req->kvs[req->n_kvs++] = (struct sl_kv){ name, value };
}

uint32_t sl_push_begin_stream(struct sl_push_request *req) {
        sl_xgrow((void **)&req->streams, sizeof(*req->streams), &req->cap_streams,
                 req->n_streams + 1);
        req->streams[req->n_streams] = (struct kv_run){ .first = (uint32_t)req->n_kvs };
        return (uint32_t)req->n_streams++;
}

void sl_push_end_stream(struct sl_push_request *req) {
        struct kv_run *s = &req->streams[req->n_streams - 1];
        s->n = (uint32_t)(req->n_kvs - s->first);
}

struct rec *sl_push_add_rec(struct sl_push_request *req) {
        struct rec *r;

        if (req->max_entries && req->n_recs >= req->max_entries)
                return NULL;
        sl_xgrow((void **)&req->recs, sizeof(*req->recs), &req->cap_recs, req->n_recs + 1);
        r = &req->recs[req->n_recs++];
        *r = (struct rec){ .stream = req->n_streams ? (uint32_t)req->n_streams - 1 : 0,
                           .metadata.first = (uint32_t)req->n_kvs,
                           .extracted.first = (uint32_t)req->n_kvs };
        return r;
}

int sl_push_inflate(struct sl_push_request *req, const void *body, size_t len, int window_bits,
                    char *reterr) {
        z_stream z = { 0 };
        int zr;

        if (inflateInit2(&z, window_bits) != Z_OK)
                return sl_push_fail(reterr, -ENOMEM, "cannot start decompressing");
        z.next_in = (Bytef *)body;
        z.avail_in = (uInt)len;
        for (;;) {
                size_t room;

                if (req->inflated.len >= req->inflated.cap ||
                    sl_buf_reserve(&req->inflated, SL_MIN(64u << 10, req->inflated.cap - req->inflated.len)) < 0) {
                        inflateEnd(&z);
                        return sl_push_fail(reterr, -EMSGSIZE,
                                            "body larger than %zu bytes once decompressed",
                                            req->max_body);
                }
                room = req->inflated.size - req->inflated.len - 1;
                z.next_out = (Bytef *)req->inflated.data + req->inflated.len;
                z.avail_out = (uInt)(room > UINT_MAX ? UINT_MAX : room);
                zr = inflate(&z, Z_NO_FLUSH);
                req->inflated.len += (room > UINT_MAX ? UINT_MAX : room) - z.avail_out;
                if (zr == Z_STREAM_END)
                        break;
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        inflateEnd(&z);
                        return sl_push_fail(reterr, -EINVAL, "cannot decompress the body: %s",
                                            z.msg ? z.msg : "corrupt data");
                }
                if (zr == Z_BUF_ERROR && z.avail_in == 0) {
                        inflateEnd(&z);
                        return sl_push_fail(reterr, -EINVAL,
                                            "cannot decompress the body: it ends early");
                }
        }
        inflateEnd(&z);
        req->inflated.data[req->inflated.len] = '\0';
        return 0;
}

/* ---- labels: {name="value", ...} ----------------------------------------- */

static bool is_name_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c) {
        return is_name_start(c) || (c >= '0' && c <= '9');
}

static void skip_space(const char *s, size_t len, size_t *i) {
        while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r'))
                (*i)++;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void put_utf8(struct sl_buf *b, uint32_t cp) {
        char u[4];
        size_t n;

        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = 0xFFFD;
        if (cp < 0x80) {
                u[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
        } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
        }
        sl_buf_append(b, u, n);
}

/* A Go string literal at s[*i] ("..." or '...' with escapes, `...` raw),
 * unescaped into @out. */
static int parse_string(const char *s, size_t len, size_t *i, struct sl_buf *out, char *reterr) {
        char quote = s[*i];
        size_t p = *i + 1;

        sl_buf_reset(out);
        if (quote == '`') {
                while (p < len && s[p] != '`')
                        sl_buf_putc(out, s[p++]);
                if (p >= len)
                        return sl_push_fail(reterr, -EINVAL, "unterminated label value");
                *i = p + 1;
                return 0;
        }
        while (p < len && s[p] != quote) {
                char c = s[p++];
                uint32_t cp = 0;
                int digits = 0;

                if (c == '\n')
                        return sl_push_fail(reterr, -EINVAL, "newline in a label value");
                if (c != '\\') {
                        sl_buf_putc(out, c);
                        continue;
                }
                if (p >= len)
                        break;
                c = s[p++];
                switch (c) {
                case 'a': sl_buf_putc(out, '\a'); continue;
                case 'b': sl_buf_putc(out, '\b'); continue;
                case 'f': sl_buf_putc(out, '\f'); continue;
                case 'n': sl_buf_putc(out, '\n'); continue;
                case 'r': sl_buf_putc(out, '\r'); continue;
                case 't': sl_buf_putc(out, '\t'); continue;
                case 'v': sl_buf_putc(out, '\v'); continue;
                case '\\': sl_buf_putc(out, '\\'); continue;
                case '"':
                case '\'':
                        if (c != quote)
                                return sl_push_fail(reterr, -EINVAL,
                                                    "unknown escape \\%c in a label value", c);
                        sl_buf_putc(out, c);
                        continue;
                case 'x': digits = 2; break;
                case 'u': digits = 4; break;
                case 'U': digits = 8; break;
                default:
                        if (c >= '0' && c <= '7') {
                                if (p + 2 > len || s[p] < '0' || s[p] > '7' || s[p + 1] < '0' ||
                                    s[p + 1] > '7')
                                        return sl_push_fail(reterr, -EINVAL,
                                                            "bad octal escape in a label value");
                                cp = (uint32_t)((c - '0') * 64 + (s[p] - '0') * 8 + (s[p + 1] - '0'));
                                p += 2;
                                if (cp > 255)
                                        return sl_push_fail(reterr, -EINVAL,
                                                            "bad octal escape in a label value");
                                sl_buf_putc(out, (char)cp);
                                continue;
                        }
                        return sl_push_fail(reterr, -EINVAL, "unknown escape \\%c in a label value",
                                            c);
                }
                for (int k = 0; k < digits; k++) {
                        int h = p < len ? hexval(s[p]) : -1;
                        if (h < 0)
                                return sl_push_fail(reterr, -EINVAL,
                                                    "bad \\%c escape in a label value", c);
                        cp = cp * 16 + (uint32_t)h;
                        p++;
                }
                if (c == 'x')
                        sl_buf_putc(out, (char)cp);
                else
                        put_utf8(out, cp);
        }
        if (p >= len)
                return sl_push_fail(reterr, -EINVAL, "unterminated label value");
        *i = p + 1;
        return 0;
}

int sl_push_parse_labels(const char *s, size_t len, struct sl_arena *arena, struct sl_kvs *labels,
                         char *reterr) {
        struct sl_buf value;
        size_t i = 0;
        int r = 0;

        sl_buf_init(&value, len + 1);
        skip_space(s, len, &i);
        if (i >= len || s[i] != '{') {
                r = sl_push_fail(reterr, -EINVAL, "labels must be written {name=\"value\", ...}");
                goto out;
        }
        i++;
        for (;;) {
                size_t start;
                struct sl_str name;

                skip_space(s, len, &i);
                if (i < len && s[i] == '}') {
                        i++;
                        break;
                }
                if (i >= len || !is_name_start(s[i])) {
                        r = sl_push_fail(reterr, -EINVAL, "expected a label name at offset %zu", i);
                        goto out;
                }
                start = i;
                while (i < len && is_name_char(s[i]))
                        i++;
                name = sl_str_from(s + start, i - start);
                skip_space(s, len, &i);
                if (i >= len || s[i] != '=' || (i + 1 < len && s[i + 1] == '~')) {
                        r = sl_push_fail(reterr, -EINVAL, "expected = after label %.*s",
                                         (int)SL_MIN(name.len, 64), name.ptr);
                        goto out;
                }
                i++;
                skip_space(s, len, &i);
                if (i >= len || (s[i] != '"' && s[i] != '\'' && s[i] != '`')) {
                        r = sl_push_fail(reterr, -EINVAL, "expected a quoted value for label %.*s",
                                         (int)SL_MIN(name.len, 64), name.ptr);
                        goto out;
                }
                r = parse_string(s, len, &i, &value, reterr);
                if (r < 0)
                        goto out;
                if (sl_kvs_get(labels, name)) {
                        r = sl_push_fail(reterr, -EINVAL, "label %.*s given twice",
                                         (int)SL_MIN(name.len, 64), name.ptr);
                        goto out;
                }
                sl_kvs_set(labels, sl_arena_strdup(arena, name),
                           sl_arena_strdup(arena, sl_str_from(value.data, value.len)));
                skip_space(s, len, &i);
                if (i < len && s[i] == ',') {
                        i++;
                        continue;
                }
                if (i < len && s[i] == '}') {
                        i++;
                        break;
                }
                r = sl_push_fail(reterr, -EINVAL, "expected , or } after label %.*s",
                                 (int)SL_MIN(name.len, 64), name.ptr);
                goto out;
        }
        skip_space(s, len, &i);
        if (i != len)
                r = sl_push_fail(reterr, -EINVAL, "unexpected text after the labels' }");
out:
        sl_buf_release(&value);
        return r;
}

/* ---- Loki: protobuf ------------------------------------------------------ */

/* Parses a stream's label text into a new stream of the request. */
static int add_stream_labels(struct sl_push_request *req, const char *text, size_t len,
                             char *reterr) {
        struct sl_kvs labels;
        int r;

        sl_kvs_init(&labels);
        r = sl_push_parse_labels(text, len, &req->arena, &labels, reterr);
        if (r == 0) {
                sl_push_begin_stream(req);
                for (size_t i = 0; i < labels.len; i++)
                        sl_push_add_kv(req, labels.items[i].name, labels.items[i].value);
                sl_push_end_stream(req);
        }
        sl_kvs_release(&labels);
        return r;
}

static int too_many(const struct sl_push_request *req, char *reterr) {
        return sl_push_fail(reterr, -E2BIG, "more than %zu entries in one push",
                            req->max_entries);
}

static int decode_loki_proto(struct sl_push_request *req, const void *body, size_t len,
                             char *reterr) {
        Logproto__PushRequest *msg;
        size_t plain_len;

        /* Snappy's best ratio is a 64-byte copy in 3 bytes: a body claiming
         * more than that is not snappy (and would be allocated up front). */
        if (snappy_uncompressed_length(body, len, &plain_len) != SNAPPY_OK ||
            plain_len / 22 > len)
                return sl_push_fail(reterr, -EINVAL, "the body is not snappy-compressed protobuf");
        if (req->max_body && plain_len > req->max_body)
                return sl_push_fail(reterr, -EMSGSIZE,
                                    "body larger than %zu bytes once decompressed", req->max_body);
        if (sl_buf_reserve(&req->plain, plain_len) < 0)
                return sl_push_fail(reterr, -EMSGSIZE, "body too large once decompressed");
        if (snappy_uncompress(body, len, req->plain.data, &plain_len) != SNAPPY_OK)
                return sl_push_fail(reterr, -EINVAL, "the body is not valid snappy data");
        req->plain.len = plain_len;
        msg = logproto__push_request__unpack(NULL, plain_len, (const uint8_t *)req->plain.data);
        if (!msg)
                return sl_push_fail(reterr, -EINVAL, "the body is not a Loki PushRequest (protobuf)");
        req->loki = msg;

        for (size_t i = 0; i < msg->n_streams; i++) {
                const Logproto__StreamAdapter *st = msg->streams[i];
                int r = add_stream_labels(req, st->labels, strlen(st->labels), reterr);

                if (r < 0)
                        return r;
                for (size_t j = 0; j < st->n_entries; j++) {
                        const Logproto__EntryAdapter *en = st->entries[j];
                        struct rec *rec = sl_push_add_rec(req);

                        if (!rec)
                                return too_many(req, reterr);
                        if (en->timestamp) {
                                const Logproto__Timestamp *t = en->timestamp;
                                /* Unix nanoseconds fit int64 from 1677 to 2262. */
                                if (t->seconds < INT64_MIN / 1000000000 + 2 ||
                                    t->seconds > INT64_MAX / 1000000000 - 2)
                                        return sl_push_fail(reterr, -EINVAL,
                                                            "streams[%zu].entries[%zu]: timestamp "
                                                            "out of range", i, j);
                                rec->ts_ns = t->seconds * 1000000000 + t->nanos;
                        }
                        rec->line = sl_str_from((const char *)en->line.data, en->line.len);
                        for (size_t k = 0; k < en->n_structuredmetadata; k++) {
                                const Logproto__LabelPairAdapter *lp = en->structuredmetadata[k];
                                sl_push_add_kv(req,
                                               sl_str_from((const char *)lp->name.data, lp->name.len),
                                               sl_str_from((const char *)lp->value.data, lp->value.len));
                        }
                        rec->metadata.n = (uint32_t)(req->n_kvs - rec->metadata.first);
                        rec->extracted.first = (uint32_t)req->n_kvs;
                }
        }
        return 0;
}

/* ---- Loki: JSON ------------------------------------------------------------ */

static struct sl_str jstr(const json_t *v) {
        return sl_str_from(json_string_value(v), json_string_length(v));
}

static bool valid_label_name(const char *s) {
        if (!is_name_start(*s))
                return false;
        while (*++s)
                if (!is_name_char(*s))
                        return false;
        return true;
}

/* A stream's labels, {"name": "value", ...}: names as Loki parses them,
 * values strings. */
static int add_stream_map(struct sl_push_request *req, const json_t *obj, size_t index,
                          char *reterr) {
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)obj, key, v) {
                if (!valid_label_name(key))
                        return sl_push_fail(reterr, -EINVAL,
                                            "streams[%zu]: invalid label name \"%.64s\"", index,
                                            key);
                if (!json_is_string(v))
                        return sl_push_fail(reterr, -EINVAL,
                                            "streams[%zu]: label %.64s: expected a string value",
                                            index, key);
                sl_push_add_kv(req, sl_str_c(key), jstr(v));
        }
        return 0;
}

/* A value that is not a string, as the JSON text Loki keeps for it. */
static struct sl_str json_text(struct sl_push_request *req, const json_t *v) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        struct sl_str s = sl_arena_strdup(&req->arena, sl_str_c(text ? text : ""));

        free(text);
        return s;
}

/* An entry's third element, as Loki reads it for a push: each string value
 * is a pair, a number, boolean, null or list its JSON text; an object under
 * "structuredMetadata" replaces what came before it (its values strings or
 * numbers), any other object is skipped (a query's "parsed"). */
static int add_metadata(struct sl_push_request *req, struct rec *rec, const json_t *md,
                        size_t i, size_t j, char *reterr) {
        const char *key;
        json_t *v;

        if (!json_is_object(md))
                return sl_push_fail(reterr, -EINVAL,
                                    "streams[%zu].values[%zu]: structured metadata must be an "
                                    "object", i, j);
        json_object_foreach((json_t *)md, key, v) {
                const char *k2;
                json_t *v2;

                if (!json_is_object(v)) {
                        sl_push_add_kv(req, sl_str_c(key),
                                       json_is_string(v) ? jstr(v) : json_text(req, v));
                        continue;
                }
                if (strcmp(key, "structuredMetadata") != 0)
                        continue;
                req->n_kvs = rec->metadata.first;
                json_object_foreach(v, k2, v2) {
                        if (!json_is_string(v2) && !json_is_number(v2))
                                return sl_push_fail(reterr, -EINVAL,
                                                    "streams[%zu].values[%zu]: structured "
                                                    "metadata %.64s: expected a string or a "
                                                    "number", i, j, k2);
                        sl_push_add_kv(req, sl_str_c(k2),
                                       json_is_string(v2) ? jstr(v2) : json_text(req, v2));
                }
        }
        return 0;
}

/* Unix nanoseconds as Loki reads them from a string: an optional minus and
 * decimal digits, within int64. */
static int parse_ns(const json_t *v, int64_t *ret) {
        const char *s = json_string_value(v), *p;
        char *end;
        long long n;

        if (!s)
                return -EINVAL;
        p = s + (*s == '-');
        if (*p < '0' || *p > '9')
                return -EINVAL;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = n;
        return 0;
}

static int decode_loki_json(struct sl_push_request *req, const void *body, size_t len,
                            char *reterr) {
        json_error_t jerr;
        json_t *root, *streams;
        size_t i;

        /* A repeated key: the last one counts, as in Loki. */
        root = json_loadb(body, len, 0, &jerr);
        if (!root)
                return sl_push_fail(reterr, -EINVAL, "invalid JSON at line %d column %d: %s",
                                    jerr.line, jerr.column, jerr.text);
        req->json = root;
        streams = json_object_get(root, "streams");
        if (!json_is_object(root) || !json_is_array(streams))
                return sl_push_fail(reterr, -EINVAL, "expected {\"streams\": [...]}");
        for (i = 0; i < json_array_size(streams); i++) {
                json_t *st = json_array_get(streams, i), *labels, *values;
                int r;

                labels = json_object_get(st, "stream");
                values = json_object_get(st, "values");
                if (!json_is_object(st) || (labels && !json_is_object(labels)) ||
                    (values && !json_is_array(values)))
                        return sl_push_fail(reterr, -EINVAL,
                                            "streams[%zu]: expected {\"stream\": {...}, "
                                            "\"values\": [...]}", i);
                sl_push_begin_stream(req);
                r = add_stream_map(req, labels, i, reterr);
                if (r < 0)
                        return r;
                sl_push_end_stream(req);
                for (size_t j = 0; j < json_array_size(values); j++) {
                        json_t *val = json_array_get(values, j), *md;
                        struct rec *rec;

                        /* Past the third, elements are not read (as in Loki). */
                        if (!json_is_array(val) || json_array_size(val) < 2 ||
                            !json_is_string(json_array_get(val, 1)))
                                return sl_push_fail(reterr, -EINVAL,
                                                    "streams[%zu].values[%zu]: expected "
                                                    "[\"<unix ns>\", \"<line>\"] or with a "
                                                    "metadata object", i, j);
                        rec = sl_push_add_rec(req);
                        if (!rec)
                                return too_many(req, reterr);
                        if (parse_ns(json_array_get(val, 0), &rec->ts_ns) < 0)
                                return sl_push_fail(reterr, -EINVAL,
                                                    "streams[%zu].values[%zu]: the timestamp must "
                                                    "be a string of Unix nanoseconds", i, j);
                        rec->line = jstr(json_array_get(val, 1));
                        md = json_array_get(val, 2);
                        if (md) {
                                r = add_metadata(req, rec, md, i, j, reterr);
                                if (r < 0)
                                        return r;
                        }
                        rec->metadata.n = (uint32_t)(req->n_kvs - rec->metadata.first);
                        rec->extracted.first = (uint32_t)req->n_kvs;
                }
        }
        return 0;
}

/* ---- raw lines ----------------------------------------------------------- */

static int decode_raw(struct sl_push_request *req, const void *body, size_t len, char *reterr) {
        const char *p, *end;

        /* The lines borrow from the request: the body decompressed, or a
         * copy of the body as sent. */
        if (body != req->inflated.data && sl_buf_append(&req->plain, body, len) < 0)
                return sl_push_fail(reterr, -EMSGSIZE, "body too large");
        sl_push_begin_stream(req);
        sl_push_end_stream(req);
        p = body == req->inflated.data ? req->inflated.data : req->plain.data;
        end = p + len;
        while (p && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *stop = nl ? nl : end;
                struct rec *rec;

                while (stop > p && (stop[-1] == '\r' || stop[-1] == '\n'))
                        stop--;
                if (stop > p) {
                        rec = sl_push_add_rec(req);
                        if (!rec)
                                return too_many(req, reterr);
                        rec->line = sl_str_from(p, (size_t)(stop - p));
                }
                p = nl ? nl + 1 : end;
        }
        return 0;
}

/* ---- the request ---------------------------------------------------------- */

static bool is_token_char(char c) {
        return c > 0x20 && c < 0x7F && !strchr("()<>@,;:\\\"/[]?=", c);
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *token_end(const char *p) {
        while (is_token_char(*p))
                p++;
        return p;
}

/* Whether @ct, a Content-Type, is well-formed as Go's mime.ParseMediaType
 * reads it (type/subtype, then ";name=value" parameters, a value a token or
 * a quoted string, a trailing ";" allowed), and its media type is @want
 * (case-insensitively). Returns 1 for a match, 0 for another media type,
 * -EINVAL when malformed. */
static int media_type_is(const char *ct, const char *want) {
        const char *p = ct, *type, *type_end;

        while (is_space(*p))
                p++;
        type = p;
        p = token_end(p);
        if (p == type)
                return -EINVAL;
        if (*p == '/') {
                const char *sub = ++p;
                p = token_end(p);
                if (p == sub)
                        return -EINVAL;
        }
        type_end = p;
        while (is_space(*p))
                p++;
        if (*p && *p != ';')
                return -EINVAL;
        while (*p) {
                const char *key;

                p++; /* ';' */
                while (is_space(*p))
                        p++;
                if (!*p)
                        break; /* a trailing ';' */
                key = p;
                p = token_end(p);
                if (p == key)
                        return -EINVAL;
                while (is_space(*p))
                        p++;
                if (*p++ != '=')
                        return -EINVAL;
                while (is_space(*p))
                        p++;
                if (*p == '"') {
                        for (p++; *p && *p != '"'; p++)
                                if (*p == '\\' && p[1])
                                        p++;
                        if (*p++ != '"')
                                return -EINVAL;
                } else {
                        const char *value = p;
                        p = token_end(p);
                        if (p == value)
                                return -EINVAL;
                }
                while (is_space(*p))
                        p++;
                if (*p && *p != ';')
                        return -EINVAL;
        }
        return (size_t)(type_end - type) == strlen(want) &&
               strncasecmp(type, want, strlen(want)) == 0;
}

static bool encoding_is(const char *enc, const char *want) {
        return enc && strcasecmp(enc, want) == 0;
}

int sl_push_request_decode(enum sl_push_format format, const char *content_type,
                           const char *content_encoding, const void *body, size_t len,
                           const struct sl_push_limits *limits, struct sl_push_request **ret,
                           char *reterr) {
        _cleanup_(sl_push_request_freep) struct sl_push_request *req = NULL;
        int r;

        reterr[0] = '\0';
        req = sl_xnew(struct sl_push_request);
        req->format = format;
        req->max_entries = limits ? limits->max_entries : 0;
        req->max_body = limits && limits->max_body ? limits->max_body : SIZE_MAX / 2;
        sl_buf_init(&req->plain, req->max_body);
        sl_buf_init(&req->inflated, req->max_body);
        sl_arena_init(&req->arena, ARENA_CHUNK);
        if (content_encoding && !*content_encoding)
                content_encoding = NULL;

        /* Content-Encoding: Loki reads gzip and deflate (raw DEFLATE, as Go's
         * flate reader), and takes "snappy" as no encoding (a protobuf
         * body is snappy-compressed anyway); its OTLP endpoint reads gzip. */
        if (encoding_is(content_encoding, "gzip") ||
            (format != SL_PUSH_OTLP && encoding_is(content_encoding, "deflate"))) {
                r = sl_push_inflate(req, body, len,
                                    encoding_is(content_encoding, "gzip") ? 16 + 15 : -15, reterr);
                if (r < 0)
                        return r;
                body = req->inflated.data;
                len = req->inflated.len;
        } else if (content_encoding &&
                   !(format != SL_PUSH_OTLP && encoding_is(content_encoding, "snappy"))) {
                return sl_push_fail(reterr, -ENOTSUP, "Content-Encoding \"%.64s\" not supported",
                                    content_encoding);
        } else if (len > req->max_body) {
                return sl_push_fail(reterr, -EMSGSIZE, "body larger than %zu bytes",
                                    req->max_body);
        }

        switch (format) {
        case SL_PUSH_RAW:
                r = decode_raw(req, body, len, reterr);
                break;
        case SL_PUSH_OTLP:
                r = sl_push_decode_otlp(req, content_type, body, len, reterr);
                break;
        case SL_PUSH_LOKI:
        default:
                if (!content_type || !*content_type)
                        return sl_push_fail(reterr, -EINVAL, "no Content-Type: expected "
                                            "application/x-protobuf or application/json");
                r = media_type_is(content_type, "application/json");
                if (r < 0)
                        return sl_push_fail(reterr, -EINVAL, "malformed Content-Type \"%.64s\"",
                                            content_type);
                /* Anything but JSON is read as snappy-compressed protobuf. */
                if (r)
                        r = decode_loki_json(req, body, len, reterr);
                else
                        r = decode_loki_proto(req, body, len, reterr);
                break;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

size_t sl_push_request_entries(const struct sl_push_request *r) {
        return r->n_recs;
}

static void put_run(struct sl_kvs *dst, const struct sl_push_request *req, struct kv_run run) {
        for (uint32_t i = 0; i < run.n; i++) {
                const struct sl_kv *kv = &req->kvs[run.first + i];
                sl_kvs_set(dst, kv->name, kv->value);
        }
}

void sl_push_request_foreach(struct sl_push_request *req, struct sl_entry *e,
                             void (*fn)(void *ud, struct sl_entry *e), void *ud) {
        for (size_t i = 0; i < req->n_recs; i++) {
                const struct rec *rec = &req->recs[i];

                sl_entry_reset(e);
                if (req->n_streams)
                        put_run(&e->labels, req, req->streams[rec->stream]);
                put_run(&e->metadata, req, rec->metadata);
                put_run(&e->extracted, req, rec->extracted);
                e->ts_ns = rec->ts_ns;
                e->line = rec->line;
                fn(ud, e);
        }
}

void sl_push_request_free(struct sl_push_request *req) {
        if (!req)
                return;
        if (req->loki)
                logproto__push_request__free_unpacked(req->loki, NULL);
        if (req->otlp)
                protobuf_c_message_free_unpacked(req->otlp, NULL);
        if (req->json)
                json_decref(req->json);
        sl_buf_release(&req->plain);
        sl_buf_release(&req->inflated);
        sl_arena_release(&req->arena);
        free(req->kvs);
        free(req->streams);
        free(req->recs);
        free(req);
}
