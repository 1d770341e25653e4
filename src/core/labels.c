/* labels.c - see labels.h. */
#include "core/labels.h"

#include <errno.h>

bool sl_label_name_valid(struct sl_str name) {
        if (name.len == 0)
                return false;
        for (size_t i = 0; i < name.len; i++) {
                char c = name.ptr[i];
                bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                if (!alpha && (i == 0 || c < '0' || c > '9'))
                        return false;
        }
        return true;
}

int sl_label_escape(struct sl_str value, struct sl_buf *out) {
        static const char hex[] = "0123456789abcdef";
        size_t start = 0;
        int r;

        /* No arithmetic on the pointer of an empty slice: it may be NULL. */
        if (value.len == 0)
                return sl_buf_append(out, "", 0);
        for (size_t i = 0; i < value.len; i++) {
                unsigned char c = (unsigned char)value.ptr[i];
                char esc[4];
                size_t n = 2;

                if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
                        continue;
                esc[0] = '\\';
                switch (c) {
                case '"': esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                case '\n': esc[1] = 'n'; break;
                case '\t': esc[1] = 't'; break;
                case '\r': esc[1] = 'r'; break;
                default:
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 15];
                        n = 4;
                }
                r = sl_buf_append(out, value.ptr + start, i - start);
                if (r < 0)
                        return r;
                r = sl_buf_append(out, esc, n);
                if (r < 0)
                        return r;
                start = i + 1;
        }
        return sl_buf_append(out, value.ptr + start, value.len - start);
}

int sl_labels_render(const struct sl_kvs *labels, struct sl_buf *out) {
        const struct sl_kv *order[SL_LABELS_RENDER_MAX];
        size_t n = 0;
        int r;

        for (size_t i = 0; i < labels->len && n < SL_LABELS_RENDER_MAX; i++) {
                const struct sl_kv *kv = &labels->items[i];
                size_t j;
                if (sl_label_name_internal(kv->name) || kv->value.len == 0 ||
                    !sl_label_name_valid(kv->name))
                        continue;
                /* Insertion sort: label sets are small. */
                for (j = n; j > 0 && sl_str_cmp(order[j - 1]->name, kv->name) > 0; j--)
                        order[j] = order[j - 1];
                order[j] = kv;
                n++;
        }
        r = sl_buf_putc(out, '{');
        for (size_t i = 0; i < n && r == 0; i++) {
                if (i)
                        r = sl_buf_append(out, ", ", 2);
                if (r == 0)
                        r = sl_buf_append_str(out, order[i]->name);
                if (r == 0)
                        r = sl_buf_append(out, "=\"", 2);
                if (r == 0)
                        r = sl_label_escape(order[i]->value, out);
                if (r == 0)
                        r = sl_buf_putc(out, '"');
        }
        if (r == 0)
                r = sl_buf_putc(out, '}');
        return r < 0 ? r : (int)n;
}
