/* fuzz-labels.c - label names, escaping and Loki's rendering of a label
 * set (core/labels.h) on hostile names and values.
 *
 * Input: one "name=value" pair per line (a line without '=' is a name with
 * an empty value, passed with a NULL pointer as str.h allows). Checks,
 * beyond the sanitizers:
 *   - sl_label_name_valid() is [a-zA-Z_][a-zA-Z0-9_]*;
 *   - every value, escaped alone, reads back to itself;
 *   - the rendering reads back (Go string escapes undone) to the expected
 *     set: internal names, invalid names and empty values left out, the
 *     first SL_LABELS_RENDER_MAX of the rest, sorted by name;
 *   - rendering into a small buffer either gives the same text or fails
 *     with -ENOBUFS;
 *   - Loki's label limits (ship/label-limits.h), at Loki's defaults and at
 *     small ones: the set kept has valid, unique, short enough names, at
 *     most the limit of them (service_name aside), each value the start of
 *     the one given for that name; nothing changed means the set kept is
 *     the labels that are sent at all.
 */
#include <errno.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/kv.h"
#include "core/labels.h"
#include "fuzz-util.h"
#include "ship/label-limits.h"

static bool name_ref(struct sl_str n) {
        if (n.len == 0)
                return false;
        for (size_t i = 0; i < n.len; i++) {
                char c = n.ptr[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                          (i > 0 && c >= '0' && c <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

/* Checks sl_label_limits_apply() of @in under @lim. */
static void check_limits(const struct sl_kvs *in, const struct sl_label_limits *lim) {
        struct sl_kvs out;
        size_t counted = 0, sent = 0;
        unsigned changed;

        sl_kvs_init(&out);
        changed = sl_label_limits_apply(lim, in, &out);
        FUZZ_CHECK(changed < (1u << SL_LABEL_VIOLATIONS), "changed %#x", changed);
        for (size_t i = 0; i < out.len; i++) {
                const struct sl_kv *kv = &out.items[i];
                const struct sl_str *given = sl_kvs_get(in, kv->name);

                FUZZ_CHECK(name_ref(kv->name) && !sl_label_name_internal(kv->name), "name %zu", i);
                FUZZ_CHECK(!lim->max_name_length || kv->name.len <= lim->max_name_length, "name %zu long", i);
                FUZZ_CHECK(kv->value.len > 0 && (!lim->max_value_length || kv->value.len <= lim->max_value_length),
                           "value %zu", i);
                FUZZ_CHECK(given && kv->value.ptr == given->ptr && kv->value.len <= given->len, "value %zu not a prefix",
                           i);
                for (size_t j = 0; j < i; j++)
                        FUZZ_CHECK(!sl_str_eq(out.items[j].name, kv->name), "name %zu twice", i);
                counted += !sl_str_eq_c(kv->name, "service_name");
        }
        FUZZ_CHECK(!lim->max_names || counted <= lim->max_names, "%zu names", counted);
        for (size_t i = 0; i < in->len; i++)
                sent += in->items[i].value.len > 0 && !sl_label_name_internal(in->items[i].name);
        if (!changed)
                FUZZ_CHECK(out.len == sent, "unchanged, but %zu of %zu kept", out.len, sent);
        sl_kvs_release(&out);
}

static int hex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Reads a quoted value at *@p (after the opening quote) into @out, undoing
 * the escapes sl_label_escape() writes; leaves *@p after the closing quote. */
static void read_value(const char **p, const char *end, struct sl_buf *out) {
        sl_buf_reset(out);
        for (;;) {
                char c;

                FUZZ_CHECK(*p < end, "unterminated value");
                c = *(*p)++;
                if (c == '"')
                        return;
                FUZZ_CHECK((unsigned char)c >= 0x20 && c != 0x7f, "raw control byte %02x", (unsigned char)c);
                if (c != '\\') {
                        sl_buf_putc(out, c);
                        continue;
                }
                FUZZ_CHECK(*p < end, "escape at the end");
                c = *(*p)++;
                switch (c) {
                case '\\': sl_buf_putc(out, '\\'); break;
                case '"': sl_buf_putc(out, '"'); break;
                case 'n': sl_buf_putc(out, '\n'); break;
                case 't': sl_buf_putc(out, '\t'); break;
                case 'r': sl_buf_putc(out, '\r'); break;
                case 'x':
                        FUZZ_CHECK(end - *p >= 2 && hex((*p)[0]) >= 0 && hex((*p)[1]) >= 0, "bad \\x");
                        sl_buf_putc(out, (char)(hex((*p)[0]) * 16 + hex((*p)[1])));
                        *p += 2;
                        break;
                default:
                        FUZZ_CHECK(false, "unknown escape \\%c", c);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        const struct sl_kv *want[SL_LABELS_RENDER_MAX];
        struct sl_kvs kvs;
        struct sl_buf out, small, value;
        size_t n_want = 0;
        const char *p, *end;
        int n, r;

        sl_kvs_init(&kvs);
        while (!fz_empty(&in)) {
                struct sl_str line = fz_until(&in, '\n');
                const char *eq = memchr(line.ptr, '=', line.len);
                struct sl_str name = eq ? sl_str_from(line.ptr, (size_t)(eq - line.ptr)) : line;
                struct sl_str v = eq ? sl_str_from(eq + 1, line.len - name.len - 1) : SL_STR_NULL;

                if (v.len == 0)
                        v = SL_STR_NULL;
                FUZZ_CHECK(sl_label_name_valid(name) == name_ref(name), "name validity");
                sl_kvs_set(&kvs, name, v);
        }

        /* The expected set: the first eligible labels, sorted by name. */
        for (size_t i = 0; i < kvs.len && n_want < SL_LABELS_RENDER_MAX; i++) {
                const struct sl_kv *kv = &kvs.items[i];
                size_t j;

                if (sl_label_name_internal(kv->name) || kv->value.len == 0 || !name_ref(kv->name))
                        continue;
                for (j = n_want; j > 0 && sl_str_cmp(want[j - 1]->name, kv->name) > 0; j--)
                        want[j] = want[j - 1];
                want[j] = kv;
                n_want++;
        }

        sl_buf_init(&out, 1u << 24);
        sl_buf_init(&small, 96);
        sl_buf_init(&value, 1u << 24);
        n = sl_labels_render(&kvs, &out);
        FUZZ_CHECK(n == (int)n_want, "rendered %d labels, want %zu", n, n_want);
        p = out.data;
        end = out.data + out.len;
        FUZZ_CHECK(out.len >= 2 && *p++ == '{' && end[-1] == '}', "not braced");
        end--;
        for (size_t i = 0; i < n_want; i++) {
                if (i) {
                        FUZZ_CHECK(end - p >= 2 && p[0] == ',' && p[1] == ' ', "no separator");
                        p += 2;
                }
                FUZZ_CHECK((size_t)(end - p) > want[i]->name.len + 1 &&
                                   memcmp(p, want[i]->name.ptr, want[i]->name.len) == 0,
                           "label %zu: name", i);
                p += want[i]->name.len;
                FUZZ_CHECK(end - p >= 2 && p[0] == '=' && p[1] == '"', "label %zu: no =\"", i);
                p += 2;
                read_value(&p, end, &value);
                FUZZ_CHECK(sl_str_eq(sl_buf_str(&value), want[i]->value), "label %zu: value", i);
        }
        FUZZ_CHECK(p == end, "trailing text");

        /* Each value escaped alone (empty ones with their NULL pointer). */
        for (size_t i = 0; i < kvs.len; i++) {
                struct sl_buf esc;
                const char *q;

                sl_buf_init(&esc, 1u << 24);
                FUZZ_CHECK(sl_label_escape(kvs.items[i].value, &esc) == 0, "escape %zu", i);
                FUZZ_CHECK(sl_buf_append(&esc, "\"", 1) == 0, "append");
                q = esc.data;
                read_value(&q, esc.data + esc.len, &value);
                FUZZ_CHECK(q == esc.data + esc.len && sl_str_eq(sl_buf_str(&value), kvs.items[i].value),
                           "value %zu does not read back", i);
                sl_buf_release(&esc);
        }

        {
                const struct sl_label_limits loki = { SL_LOKI_MAX_LABEL_NAMES, SL_LOKI_MAX_LABEL_NAME_LENGTH,
                                                      SL_LOKI_MAX_LABEL_VALUE_LENGTH };
                const struct sl_label_limits small_limits = { 3, 4, 5 };
                const struct sl_label_limits none = { 0, 0, 0 };

                check_limits(&kvs, &loki);
                check_limits(&kvs, &small_limits);
                check_limits(&kvs, &none);
        }

        r = sl_labels_render(&kvs, &small);
        FUZZ_CHECK(r == -ENOBUFS || (r == n && sl_str_eq(sl_buf_str(&small), sl_buf_str(&out))),
                   "small buffer: %d", r);

        sl_buf_release(&out);
        sl_buf_release(&small);
        sl_buf_release(&value);
        sl_kvs_release(&kvs);
        return 0;
}
