/* relabel.c - see relabel.h. */
#include "discovery/relabel.h"

#include <locale.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/buf.h"
#include "base/xalloc.h"

/* Prometheus' legacy label name rule. */
static bool name_valid(struct sl_str s) {
        if (s.len == 0)
                return false;
        for (size_t i = 0; i < s.len; i++) {
                char c = s.ptr[i];
                bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
                        return false;
        }
        return true;
}

/* Decodes one UTF-8 character at @p (@n bytes left); returns its length,
 * or 0 for an invalid sequence. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret) {
        uint32_t c;
        size_t len;

        if (p[0] < 0x80) {
                *ret = p[0];
                return 1;
        }
        if ((p[0] & 0xe0) == 0xc0) {
                len = 2;
                c = p[0] & 0x1f;
        } else if ((p[0] & 0xf0) == 0xe0) {
                len = 3;
                c = p[0] & 0x0f;
        } else if ((p[0] & 0xf8) == 0xf0) {
                len = 4;
                c = p[0] & 0x07;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
            c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return len;
}

static void utf8_encode(uint32_t c, struct sl_buf *out) {
        char b[4];

        if (c < 0x80) {
                sl_buf_putc(out, (char)c);
                return;
        }
        if (c < 0x800) {
                b[0] = (char)(0xc0 | (c >> 6));
                b[1] = (char)(0x80 | (c & 0x3f));
                sl_buf_append(out, b, 2);
        } else if (c < 0x10000) {
                b[0] = (char)(0xe0 | (c >> 12));
                b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
                b[2] = (char)(0x80 | (c & 0x3f));
                sl_buf_append(out, b, 3);
        } else {
                b[0] = (char)(0xf0 | (c >> 18));
                b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
                b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
                b[3] = (char)(0x80 | (c & 0x3f));
                sl_buf_append(out, b, 4);
        }
}

/* Case mapping of Unicode letters through the C.UTF-8 locale's tables
 * (ASCII only if the system has no such locale). Invalid bytes are kept. */
static void change_case(struct sl_str s, bool upper, struct sl_buf *out) {
        static locale_t utf8 = (locale_t)0;
        static bool tried;
        const unsigned char *p = (const unsigned char *)s.ptr;
        size_t i = 0;

        if (!tried) {
                utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
                tried = true;
        }
        while (i < s.len) {
                uint32_t c;
                size_t n = utf8_decode(p + i, s.len - i, &c);

                if (n == 0) {
                        sl_buf_putc(out, (char)p[i++]);
                        continue;
                }
                if (c < 0x80)
                        c = upper ? (uint32_t)(c >= 'a' && c <= 'z' ? c - 32 : c)
                                  : (uint32_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                else if (utf8)
                        c = (uint32_t)(upper ? towupper_l((wint_t)c, utf8)
                                             : towlower_l((wint_t)c, utf8));
                utf8_encode(c, out);
                i += n;
        }
}

/* The labels' (name, value) pairs as they are now: rules that walk the
 * labels see them as before the rule, whatever it changes. */
static void snapshot(const struct sl_label_set *ls, struct sl_label_set *copy) {
        sl_label_set_init(copy);
        sl_label_set_copy(copy, ls);
}

static bool relabel_one(struct sl_relabel_config *rc, struct sl_label_set *ls,
                        struct sl_buf *val, struct sl_buf *a, struct sl_buf *b) {
        struct sl_label_set snap;
        struct sl_str v;

        sl_buf_reset(val);
        for (size_t i = 0; i < rc->n_source_labels; i++) {
                const char *x = sl_label_set_get(ls, sl_str_c(rc->source_labels[i]));
                if (i > 0)
                        sl_buf_append(val, rc->separator, strlen(rc->separator));
                if (x)
                        sl_buf_append(val, x, strlen(x));
        }
        v = sl_buf_str(val);

        switch (rc->action) {
        case SL_RELABEL_DROP:
                return !sl_go_regex_matches(rc->regex, v);
        case SL_RELABEL_KEEP:
                return sl_go_regex_matches(rc->regex, v);
        case SL_RELABEL_DROPEQUAL: {
                const char *t = sl_label_set_get(ls, sl_str_c(rc->target_label));
                return !sl_str_eq(v, sl_str_c(t ? t : ""));
        }
        case SL_RELABEL_KEEPEQUAL: {
                const char *t = sl_label_set_get(ls, sl_str_c(rc->target_label));
                return sl_str_eq(v, sl_str_c(t ? t : ""));
        }
        case SL_RELABEL_REPLACE:
                if (!sl_go_regex_matches(rc->regex, v))
                        break;
                sl_buf_reset(a);
                sl_buf_reset(b);
                sl_go_regex_expand(rc->regex, v, sl_str_c(rc->target_label), a);
                if (!name_valid(sl_buf_str(a)))
                        break;
                sl_go_regex_expand(rc->regex, v, sl_str_c(rc->replacement), b);
                /* An empty result removes the label. */
                sl_label_set_set(ls, sl_buf_str(a), sl_buf_str(b));
                break;
        case SL_RELABEL_LOWERCASE:
        case SL_RELABEL_UPPERCASE:
                sl_buf_reset(a);
                change_case(v, rc->action == SL_RELABEL_UPPERCASE, a);
                sl_label_set_set(ls, sl_str_c(rc->target_label), sl_buf_str(a));
                break;
        case SL_RELABEL_HASHMOD: {
                unsigned char sum[EVP_MAX_MD_SIZE];
                uint64_t h = 0;
                char num[24];

                /* Prometheus: the last 8 bytes of the value's MD5, big-endian. */
                if (!EVP_Digest(v.ptr ? v.ptr : "", v.len, sum, NULL, EVP_md5(), NULL))
                        abort(); /* only when libcrypto cannot allocate */
                for (int i = 8; i < 16; i++)
                        h = h << 8 | sum[i];
                snprintf(num, sizeof(num), "%llu", (unsigned long long)(h % rc->modulus));
                sl_label_set_set_c(ls, rc->target_label, num);
                break;
        }
        case SL_RELABEL_LABELMAP:
                snapshot(ls, &snap);
                for (size_t i = 0; i < snap.len; i++) {
                        struct sl_str name = sl_str_c(snap.items[i].name);
                        if (!sl_go_regex_matches(rc->regex, name))
                                continue;
                        /* The regex is anchored: one match, the whole name. */
                        sl_buf_reset(a);
                        sl_go_regex_expand(rc->regex, name, sl_str_c(rc->replacement), a);
                        sl_label_set_set(ls, sl_buf_str(a), sl_str_c(snap.items[i].value));
                }
                sl_label_set_release(&snap);
                break;
        case SL_RELABEL_LABELDROP:
        case SL_RELABEL_LABELKEEP:
                snapshot(ls, &snap);
                for (size_t i = 0; i < snap.len; i++) {
                        struct sl_str name = sl_str_c(snap.items[i].name);
                        if (sl_go_regex_matches(rc->regex, name) ==
                            (rc->action == SL_RELABEL_LABELDROP))
                                sl_label_set_del(ls, name);
                }
                sl_label_set_release(&snap);
                break;
        }
        return true;
}

bool sl_relabel_process(struct sl_relabel_config *rules, size_t n, struct sl_label_set *ls) {
        struct sl_buf val, a, b;
        bool keep = true;

        sl_buf_init(&val, 1u << 20);
        sl_buf_init(&a, 1u << 20);
        sl_buf_init(&b, 1u << 20);
        for (size_t i = 0; i < n && keep; i++)
                keep = relabel_one(&rules[i], ls, &val, &a, &b);
        sl_buf_release(&val);
        sl_buf_release(&a);
        sl_buf_release(&b);
        return keep;
}
