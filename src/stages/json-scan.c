/* json-scan.c - see json-scan.h. */
#include "stages/json-scan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* A child of a trie node, with what rejects most other keys at a glance. */
struct trie_child {
        uint64_t sig; /* key_sig() of its key */
        size_t node;  /* index in sl_json_paths.nodes; 0 (the root, never
                       * a child): an empty entry of trie_node.table */
};

/* One key of one or more paths. */
struct trie_node {
        char *key;                   /* owned: the key leading here; NULL at the root */
        size_t key_len;              /* bytes in key */
        int slot;                    /* the path that ends here, or -1 */
        struct trie_child *children; /* owned array */
        size_t n_children;           /* items in use */
        size_t cap_children;         /* items allocated */
        /* The children again, by sig_slot() of their signatures, open
         * addressing, at most a quarter full (so a probe for a key that is
         * not there mostly stops at the first entry, empty): one look for
         * a wanted key too, where a walk of children costs a compare per
         * child before it. Owned; NULL while there are no children. */
        struct trie_child *table;
        size_t table_mask;     /* entries - 1 */
        unsigned table_shift;  /* 64 - log2(entries) */
};

struct sl_json_paths {
        struct trie_node *nodes; /* owned array; nodes[0] is the root */
        size_t n_nodes;          /* items in use */
        size_t cap_nodes;        /* items allocated */
        size_t n_slots;          /* paths added (distinct) */
};

/* The state of one sl_json_scan() call. */
struct scanner {
        const char *p;                     /* next byte to read */
        const char *end;                   /* one past the last byte */
        const char *text;                  /* the first byte */
        const struct sl_json_paths *paths; /* borrowed; NULL: validate only */
        struct sl_json_value *values;      /* borrowed: one per slot */
        bool int_overflow;                 /* see struct sl_json_doc */
};

/* The digits of the least value that rounds to infinity as a double,
 * 2^1024 - 2^970: halfway between DBL_MAX and 2^1024, which rounds up as
 * ties go to even. An integer of 309 digits: its first digit has the
 * decimal exponent 308. */
static const char overflow_digits[] =
        "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
        "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
        "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
        "936475292719074168444365510704342711559699508093042880177904174497792";

/* ---- configuration: the trie ---- */

/* Length, first and last byte of a key in one word: keys with another
 * signature differ, so only keys with the same one are compared. */
static inline uint64_t key_sig(const char *key, size_t len) {
        if (len == 0)
                return 0;
        return (uint64_t)len << 16 | (uint64_t)(unsigned char)key[0] << 8 |
               (unsigned char)key[len - 1];
}

/* The first entry of trie_node.table to look at for a signature. */
static inline size_t sig_slot(uint64_t sig, unsigned shift) {
        return (size_t)((sig * UINT64_C(0x9e3779b97f4a7c15)) >> shift);
}

/* Builds nodes[@at].table anew from its children. */
static void build_table(struct sl_json_paths *paths, size_t at) {
        struct trie_node *node = &paths->nodes[at];
        unsigned bits = 4;

        while ((size_t)1 << bits < 4 * node->n_children)
                bits++;
        free(node->table);
        node->table = sl_xcalloc((size_t)1 << bits, sizeof(*node->table));
        node->table_mask = ((size_t)1 << bits) - 1;
        node->table_shift = 64 - bits;
        for (size_t i = 0; i < node->n_children; i++) {
                size_t h = sig_slot(node->children[i].sig, node->table_shift);

                while (node->table[h].node)
                        h = (h + 1) & node->table_mask;
                node->table[h] = node->children[i];
        }
}

struct sl_json_paths *sl_json_paths_new(void) {
        struct sl_json_paths *paths = sl_xnew(struct sl_json_paths);

        sl_xgrow((void **)&paths->nodes, sizeof(*paths->nodes), &paths->cap_nodes, 1);
        paths->nodes[0] = (struct trie_node){ .slot = -1 };
        paths->n_nodes = 1;
        return paths;
}

void sl_json_paths_free(struct sl_json_paths *paths) {
        if (!paths)
                return;
        for (size_t i = 0; i < paths->n_nodes; i++) {
                free(paths->nodes[i].key);
                free(paths->nodes[i].children);
                free(paths->nodes[i].table);
        }
        free(paths->nodes);
        free(paths);
}

/* The child of nodes[@at] for @key, or SIZE_MAX. */
static size_t child_of(const struct sl_json_paths *paths, size_t at, struct sl_str key) {
        const struct trie_node *node = &paths->nodes[at];

        for (size_t i = 0; i < node->n_children; i++) {
                const struct trie_node *c = &paths->nodes[node->children[i].node];
                if (sl_str_eq(sl_str_from(c->key, c->key_len), key))
                        return node->children[i].node;
        }
        return SIZE_MAX;
}

/* Adds a child of nodes[@at] for @key; returns its index. */
static size_t add_child(struct sl_json_paths *paths, size_t at, struct sl_str key) {
        size_t i = paths->n_nodes;
        struct trie_node *parent;

        sl_xgrow((void **)&paths->nodes, sizeof(*paths->nodes), &paths->cap_nodes, i + 1);
        paths->nodes[i] = (struct trie_node){ .key = sl_xmalloc(key.len + 1), .key_len = key.len,
                                              .slot = -1 };
        if (key.len)
                memcpy(paths->nodes[i].key, key.ptr, key.len);
        paths->nodes[i].key[key.len] = '\0';
        paths->n_nodes++;

        parent = &paths->nodes[at];
        sl_xgrow((void **)&parent->children, sizeof(*parent->children), &parent->cap_children,
                 parent->n_children + 1);
        parent->children[parent->n_children++] = (struct trie_child){ key_sig(key.ptr, key.len), i };
        build_table(paths, at);
        return i;
}

int sl_json_paths_add(struct sl_json_paths *paths, const struct sl_str *keys, size_t n_keys) {
        size_t at = 0;

        if (n_keys == 0 || n_keys > SL_JSON_PATH_MAX_KEYS)
                return -EINVAL;
        for (size_t i = 0; i < n_keys; i++) {
                size_t next = child_of(paths, at, keys[i]);
                at = next != SIZE_MAX ? next : add_child(paths, at, keys[i]);
        }
        if (paths->nodes[at].slot < 0)
                paths->nodes[at].slot = (int)paths->n_slots++;
        return paths->nodes[at].slot;
}

size_t sl_json_paths_count(const struct sl_json_paths *paths) {
        return paths ? paths->n_slots : 0;
}

/* ---- lexical pieces ---- */

static inline bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The first byte at or after @p (before @end) that is not a digit, or
 * @end. Eight bytes a step: pino's times are 13 digits. Per byte, t is the
 * byte minus '0' when it is a digit, 10 or more (or with bit 7 set) when
 * not, and t + 0x76 has bit 7 set exactly when t is 10 or more and below
 * 0x80; no sum reaches 0x100, so no carry crosses bytes and each byte is
 * judged exactly. */
static inline const char *skip_digits(const char *p, const char *end) {
        while (end - p >= 8) {
                uint64_t t = sl_json_load8(p) ^ SL_JSON_BYTES(0x30);
                uint64_t other = ((t + SL_JSON_BYTES(0x76)) | t) & SL_JSON_BYTES(0x80);

                if (other)
                        return p + (size_t)__builtin_ctzll(other) / 8;
                p += 8;
        }
        while (p < end && is_digit(*p))
                p++;
        return p;
}

static inline void skip_ws(struct scanner *s) {
        const char *p = s->p;

        /* Called between every two tokens, and compact JSON (pino's) has no
         * whitespace there: one test for the usual case. */
        if (p < s->end && (unsigned char)*p > ' ')
                return;
        while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
                p++;
        s->p = p;
}

/* Whether the next token, after whitespace if any, is @c (s->p then at
 * it). Tested for before the whitespace: compact JSON (pino's) has none
 * between tokens. */
static inline bool at_token(struct scanner *s, char c) {
        if (s->p < s->end && *s->p == c)
                return true;
        skip_ws(s);
        return s->p < s->end && *s->p == c;
}

/* Reads the 4 hex digits at @p. */
static bool hex4(const char *p, const char *end, uint32_t *ret) {
        uint32_t v = 0;

        if (end - p < 4)
                return false;
        for (int i = 0; i < 4; i++) {
                char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t)(c - 'A' + 10);
                else
                        return false;
        }
        *ret = v;
        return true;
}

static bool is_high_surrogate(uint32_t cp) {
        return cp >= 0xd800 && cp <= 0xdbff;
}

static bool is_low_surrogate(uint32_t cp) {
        return cp >= 0xdc00 && cp <= 0xdfff;
}

/* Validates the escape whose backslash is at @p; sets *@nul for \u0000.
 * Returns the byte after it, or NULL. */
static const char *check_escape(const char *p, const char *end, bool *nul) {
        uint32_t cp, lo;

        if (end - p < 2)
                return NULL;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                return p + 2;
        case 'u':
                if (!hex4(p + 2, end, &cp) || is_low_surrogate(cp))
                        return NULL;
                p += 6;
                if (cp == 0)
                        *nul = true;
                if (is_high_surrogate(cp)) {
                        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &lo) ||
                            !is_low_surrogate(lo))
                                return NULL;
                        p += 6;
                }
                return p;
        default:
                return NULL;
        }
}

/* Validates the UTF-8 sequence starting with the byte >= 0x80 at @p,
 * strictly: no overlong form, no surrogate, nothing above U+10FFFF.
 * Returns the byte after it, or NULL. */
static const char *check_utf8(const char *p, const char *end) {
        unsigned char c = (unsigned char)*p;
        uint32_t cp;
        size_t n;

        if (c < 0xc2) /* a continuation byte, or an overlong 2-byte lead */
                return NULL;
        if (c < 0xe0) {
                n = 2;
                cp = c & 0x1f;
        } else if (c < 0xf0) {
                n = 3;
                cp = c & 0x0f;
        } else if (c < 0xf5) {
                n = 4;
                cp = c & 0x07;
        } else {
                return NULL;
        }
        if ((size_t)(end - p) < n)
                return NULL;
        for (size_t i = 1; i < n; i++) {
                unsigned char cc = (unsigned char)p[i];
                if ((cc & 0xc0) != 0x80)
                        return NULL;
                cp = (cp << 6) | (cc & 0x3f);
        }
        if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
                return NULL;
        if (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
                return NULL;
        return p + n;
}

/* What scan_string() found in a valid string, as bits of its result. */
enum {
        STR_ESCAPED = 1, /* a backslash */
        STR_NUL = 2,     /* a \u0000 */
};

/* The rest of the string scan_string() began, from @p: the first byte of
 * it that is not plain ASCII (a quote, a backslash, a byte above 0x7f or
 * below 0x20), or the end of the text. Out of line, and with its findings
 * returned rather than stored through pointers: the strings of a line
 * seldom need it, and a flag whose address is taken would live in memory
 * in every caller, on every string. Returns what scan_string() does. */
static int scan_string_rest(struct scanner *s, const char *p) {
        const char *end = s->end;
        bool nul = false;
        int flags = 0;

        for (;;) {
                if (p >= end)
                        return -1;
                if (*p == '"') {
                        s->p = p + 1;
                        return flags | (nul ? STR_NUL : 0);
                }
                if (*p == '\\') {
                        flags |= STR_ESCAPED;
                        p = check_escape(p, end, &nul);
                } else if ((unsigned char)*p >= 0x80) {
                        p = check_utf8(p, end);
                } else {
                        return -1; /* a raw control byte */
                }
                if (!p)
                        return -1;
                p = sl_json_string_stop(p, end, true);
        }
}

/* Validates the string whose opening quote is at s->p and moves past its
 * closing quote. Returns -1 when it is not valid, else STR_ESCAPED when it
 * holds a backslash, STR_NUL when it holds \u0000, or 0.
 * Inlined into its callers: it runs for every key and string of every
 * line, mostly on a few bytes, where a call costs about what the scan
 * does. Only a string of plain ASCII up to its closing quote, the usual
 * one, is done here. */
static inline __attribute__((always_inline)) int scan_string(struct scanner *s) {
        const char *p = s->p + 1;
#ifdef __SSE2__
        /* As sl_json_string_stop() does, but a byte it finds is before the
         * end, with no test. With fewer than 16 bytes left, the last 16
         * bytes of the text are looked at in one step (those before p
         * shifted out) where the text has them: the last string of a line
         * (pino's msg) would take a step of 8 bytes and one per byte after
         * it. The bound is an address, as in sl_json_string_stop(). */
        const char *end = s->end;
        const uintptr_t last16 = (uintptr_t)end - 16;
        unsigned mask;

        for (;;) {
                if ((uintptr_t)p <= last16) {
                        mask = sl_json_specials16(p, true);
                        if (!mask) {
                                p += 16;
                                continue;
                        }
                } else if (p != end && end - s->text >= 16) {
                        mask = sl_json_specials16(end - 16, true) >> (16 - (end - p));
                        if (!mask)
                                return -1; /* no closing quote */
                } else {
                        break;
                }
                p += __builtin_ctz(mask);
                if (*p == '"') {
                        s->p = p + 1;
                        return 0;
                }
                return scan_string_rest(s, p);
        }
#endif
        p = sl_json_string_stop(p, s->end, true);
        if (p < s->end && *p == '"') {
                s->p = p + 1;
                return 0;
        }
        return scan_string_rest(s, p);
}

/* Whether the integer whose @n digits are at @digits is out of int64. */
static bool int64_overflows(const char *digits, size_t n, bool negative) {
        if (n != 19)
                return n > 19;
        return memcmp(digits, negative ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* Whether the valid JSON number [@p, @end) rounds to infinity as a double
 * (which makes jansson refuse the document). Decided on the digits, so it
 * needs no terminated copy of the text. */
static bool real_overflows(const char *p, const char *end) {
        const char *int_end, *digits_end, *first = NULL, *q;
        long exp10 = 0, x = 0;
        bool x_negative = false;
        size_t i = 0;

        if (*p == '-')
                p++;
        for (int_end = p; int_end < end && is_digit(*int_end);)
                int_end++;
        digits_end = int_end;
        if (digits_end < end && *digits_end == '.')
                for (digits_end++; digits_end < end && is_digit(*digits_end);)
                        digits_end++;
        /* The first significant digit and its decimal exponent. */
        for (q = p; q < digits_end && !first; q++)
                if (*q != '0' && *q != '.')
                        first = q;
        if (!first)
                return false; /* zero */
        exp10 = first < int_end ? (long)(int_end - first) - 1 : -(long)(first - int_end);
        q = digits_end;
        if (q < end && (*q == 'e' || *q == 'E')) {
                q++;
                if (*q == '+' || *q == '-')
                        x_negative = *q++ == '-';
                for (; q < end && is_digit(*q); q++)
                        if (x < 1000000)
                                x = x * 10 + (*q - '0');
        }
        exp10 += x_negative ? -x : x;
        if (exp10 != 308)
                return exp10 > 308;
        /* Same magnitude as the threshold: compare digit by digit. */
        for (q = first; q < digits_end; q++) {
                char want = i < sizeof(overflow_digits) - 1 ? overflow_digits[i] : '0';
                if (*q == '.')
                        continue;
                if (*q != want)
                        return *q > want;
                i++;
        }
        for (; i < sizeof(overflow_digits) - 1; i++)
                if (overflow_digits[i] != '0')
                        return false;
        return true; /* exactly the threshold */
}

/* Validates the number at s->p and moves past it. Inlined, as
 * scan_string() is: pino's level, time, pid and durations on every line. */
static inline __attribute__((always_inline)) bool scan_number(struct scanner *s,
                                                             enum sl_json_type *ret_type) {
        const char *p = s->p, *end = s->end, *int_start;
        bool negative = false, real = false, exponent = false;
        size_t n_int;

        if (*p == '-') {
                negative = true;
                p++;
        }
        int_start = p;
        if (p >= end || !is_digit(*p))
                return false;
        if (*p == '0')
                p++;
        else
                p = skip_digits(p, end);
        n_int = (size_t)(p - int_start);
        if (p < end && *p == '.') {
                p++;
                if (p >= end || !is_digit(*p))
                        return false;
                p = skip_digits(p, end);
                real = true;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
                p++;
                if (p < end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= end || !is_digit(*p))
                        return false;
                p = skip_digits(p, end);
                real = exponent = true;
        }
        if (!real && n_int >= 19 && int64_overflows(int_start, n_int, negative))
                s->int_overflow = true;
        /* Below 10^308 without an exponent: no need to look closer. */
        if ((exponent || n_int >= 309) && real_overflows(s->p, p))
                return false;
        s->p = p;
        *ret_type = real ? SL_JSON_REAL : SL_JSON_INTEGER;
        return true;
}

/* Reads the true, false or null at s->p. Returns its type, or
 * SL_JSON_ABSENT when it is none of them. */
static enum sl_json_type scan_literal(struct scanner *s) {
        static const struct {
                const char *word;
                size_t len;
                enum sl_json_type type;
        } literals[] = {
                { "true", 4, SL_JSON_TRUE }, { "false", 5, SL_JSON_FALSE }, { "null", 4, SL_JSON_NULL },
        };

        for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
                size_t n = literals[i].len;
                if (*s->p == literals[i].word[0]) {
                        if ((size_t)(s->end - s->p) < n || memcmp(s->p, literals[i].word, n) != 0)
                                return SL_JSON_ABSENT;
                        s->p += n;
                        return literals[i].type;
                }
        }
        return SL_JSON_ABSENT;
}

/* Reads `"key" :` of an object member nobody asked for. */
static bool skip_key(struct scanner *s) {
        int f;

        skip_ws(s);
        if (s->p >= s->end || *s->p != '"' || (f = scan_string(s)) < 0 || (f & STR_NUL))
                return false;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
                return false;
        s->p++;
        return true;
}

/* Validates the value at s->p, at depth @depth, and moves past it: nothing
 * inside is recorded. Iterative, so any depth up to the cap costs no stack
 * beyond one bit per level. Returns its type (and *@escaped for a string),
 * or SL_JSON_ABSENT when it is not valid. */
static enum sl_json_type skip_value(struct scanner *s, unsigned depth, bool *escaped) {
        uint64_t in_object[SL_JSON_SCAN_MAX_DEPTH / 64]; /* bit per open container */
        enum sl_json_type first = SL_JSON_ABSENT;
        unsigned level = 0; /* containers open inside the value */

        for (;;) {
                enum sl_json_type t;
                bool complete = true; /* the value just read needs no closing */

                skip_ws(s);
                if (s->p >= s->end || depth + level > SL_JSON_SCAN_MAX_DEPTH)
                        return SL_JSON_ABSENT;
                switch (*s->p) {
                case '{':
                case '[': {
                        char close = *s->p == '{' ? '}' : ']';

                        t = close == '}' ? SL_JSON_OBJECT : SL_JSON_ARRAY;
                        s->p++;
                        skip_ws(s);
                        if (s->p < s->end && *s->p == close) {
                                s->p++;
                                break;
                        }
                        if (t == SL_JSON_OBJECT) {
                                in_object[level / 64] |= UINT64_C(1) << (level % 64);
                                if (!skip_key(s))
                                        return SL_JSON_ABSENT;
                        } else {
                                in_object[level / 64] &= ~(UINT64_C(1) << (level % 64));
                        }
                        level++;
                        complete = false;
                        break;
                }
                case '"': {
                        int f = scan_string(s);

                        t = SL_JSON_STRING;
                        if (f < 0)
                                return SL_JSON_ABSENT;
                        if (level == 0 && (f & STR_ESCAPED))
                                *escaped = true;
                        break;
                }
                case 't':
                case 'f':
                case 'n':
                        t = scan_literal(s);
                        if (t == SL_JSON_ABSENT)
                                return SL_JSON_ABSENT;
                        break;
                default:
                        if (!scan_number(s, &t))
                                return SL_JSON_ABSENT;
                }
                if (first == SL_JSON_ABSENT)
                        first = t;
                if (!complete)
                        continue;
                /* After a complete value: a comma or the ends of containers. */
                for (;;) {
                        bool object;

                        if (level == 0)
                                return first;
                        object = in_object[(level - 1) / 64] & (UINT64_C(1) << ((level - 1) % 64));
                        skip_ws(s);
                        if (s->p >= s->end)
                                return SL_JSON_ABSENT;
                        if (*s->p == ',') {
                                s->p++;
                                if (object && !skip_key(s))
                                        return SL_JSON_ABSENT;
                                break;
                        }
                        if (*s->p != (object ? '}' : ']'))
                                return SL_JSON_ABSENT;
                        s->p++;
                        level--;
                }
        }
}

/* Reads the string or number at s->p, as skip_value() would but without its
 * bookkeeping of containers (most values of a line are one or the other).
 * Returns 1 with its type in *@ret_type (and *@escaped set for a string
 * holding a backslash), 0 when it is not valid, -1 when the value is
 * neither (s->p unchanged). */
static inline __attribute__((always_inline)) int scan_scalar(struct scanner *s,
                                                            enum sl_json_type *ret_type,
                                                            bool *escaped) {
        if (s->p < s->end && *s->p == '"') {
                int f = scan_string(s);

                *ret_type = SL_JSON_STRING;
                if (f & STR_ESCAPED) /* -1 too: then nobody looks */
                        *escaped = true;
                return f >= 0;
        }
        if (s->p < s->end && (is_digit(*s->p) || *s->p == '-'))
                return scan_number(s, ret_type);
        return -1;
}

/* Skips the object at s->p, a value at depth @depth, when every member's
 * value is a string or a number (pino's `req`, which nobody asks for), for
 * less than skip_value()'s bookkeeping of containers costs. Returns false
 * with s->p where it was when the object is anything else, or not valid:
 * skip_value() then reads it from its start, and decides. */
static bool skip_flat_object(struct scanner *s, unsigned depth) {
        const char *start = s->p;
        bool int_overflow = s->int_overflow;

        /* Its members are one level deeper. */
        if (depth + 1 > SL_JSON_SCAN_MAX_DEPTH)
                return false;
        s->p++;
        for (;;) {
                bool escaped = false;
                enum sl_json_type t;
                int f;

                if (!at_token(s, '"') || (f = scan_string(s)) < 0 || (f & STR_NUL))
                        break;
                if (!at_token(s, ':'))
                        break;
                s->p++;
                skip_ws(s);
                if (scan_scalar(s, &t, &escaped) != 1)
                        break;
                if (at_token(s, ',')) {
                        s->p++;
                        continue;
                }
                /* at_token() skipped the whitespace. */
                if (s->p < s->end && *s->p == '}') {
                        s->p++;
                        return true;
                }
                break;
        }
        s->p = start;
        s->int_overflow = int_overflow;
        return false;
}

/* ---- keys ---- */

static char *put_utf8(char *o, uint32_t cp) {
        if (cp < 0x80) {
                *o++ = (char)cp;
        } else if (cp < 0x800) {
                *o++ = (char)(0xc0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *o++ = (char)(0xe0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
        } else {
                *o++ = (char)(0xf0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
        }
        return o;
}

/* Decodes the escape whose backslash is at @p into @out (1 to 4 bytes; a
 * lone surrogate becomes U+FFFD). Returns the byte after the escape and
 * the end of the output in *@ret_o, or NULL when it is malformed. */
static const char *decode_escape(const char *p, const char *end, char *out, char **ret_o) {
        uint32_t cp, lo;

        if (end - p < 2)
                return NULL;
        switch (p[1]) {
        case '"': *out = '"'; break;
        case '\\': *out = '\\'; break;
        case '/': *out = '/'; break;
        case 'b': *out = '\b'; break;
        case 'f': *out = '\f'; break;
        case 'n': *out = '\n'; break;
        case 'r': *out = '\r'; break;
        case 't': *out = '\t'; break;
        case 'u':
                if (!hex4(p + 2, end, &cp))
                        return NULL;
                p += 6;
                if (is_high_surrogate(cp) && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                    hex4(p + 2, end, &lo) && is_low_surrogate(lo)) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        p += 6;
                } else if (is_high_surrogate(cp) || is_low_surrogate(cp)) {
                        cp = 0xfffd;
                }
                *ret_o = put_utf8(out, cp);
                return p;
        default:
                return NULL;
        }
        *ret_o = out + 1;
        return p + 2;
}

const char sl_json_simple_escapes[256] = {
        ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
        ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

const char *sl_json_decode_escape(const char *p, const char *end, char **io_out) {
        return decode_escape(p, end, *io_out, io_out);
}

/* Docker's records are pino's JSON as a JSON string: an escape every few
 * bytes. So plain runs are copied 8 bytes at a time and the common escapes
 * decoded inline, without a call per piece. */
ssize_t sl_json_unescape(const char *s, size_t len, char *out) {
        const char *p = s, *end = s + len;
        char *o = out;

        while (p < end) {
                /* Blocks of 8 are copied whole, up to the first backslash: no
                 * escape grows, so o + 8 <= out + len while p + 8 <= end. */
                while (end - p >= 8) {
                        uint64_t b = sl_json_load8(p) ^ SL_JSON_BYTES('\\');
                        size_t n = 8;

                        memcpy(o, p, 8);
                        b = (b - SL_JSON_BYTES(1)) & ~b & SL_JSON_BYTES(0x80);
                        if (b)
                                n = sl_json_first_flagged(b);
                        o += n;
                        p += n;
                        if (b)
                                break;
                }
                while (p < end && *p != '\\')
                        *o++ = *p++;
                if (p == end)
                        break;
                if (end - p >= 2 && sl_json_simple_escapes[(unsigned char)p[1]]) {
                        *o++ = sl_json_simple_escapes[(unsigned char)p[1]];
                        p += 2;
                        continue;
                }
                p = decode_escape(p, end, o, &o);
                if (!p)
                        return -EINVAL;
        }
        return o - out;
}

/* Whether the valid escaped key [@p, @end) decodes to @want. */
static bool escaped_key_is(const char *p, const char *end, const struct trie_node *want) {
        size_t at = 0;

        while (p < end) {
                char buf[4], *o;

                if (*p != '\\') {
                        buf[0] = *p++;
                        o = buf + 1;
                } else {
                        p = decode_escape(p, end, buf, &o);
                        if (!p)
                                return false;
                }
                if (at + (size_t)(o - buf) > want->key_len || memcmp(want->key + at, buf, (size_t)(o - buf)))
                        return false;
                at += (size_t)(o - buf);
        }
        return at == want->key_len;
}

/* The child of @node whose key is the string body [@key, @end), or NULL.
 * Called for every member of the objects on requested paths: most keys
 * are not wanted, and the table turns them away with one look, mostly at
 * an empty entry. @node has children. */
static const struct trie_node *find_child(const struct scanner *s, const struct trie_node *node,
                                          const char *key, const char *end, bool escaped) {
        size_t len = (size_t)(end - key);
        uint64_t sig;

        if (escaped) {
                for (size_t i = 0; i < node->n_children; i++) {
                        const struct trie_node *c = &s->paths->nodes[node->children[i].node];
                        if (escaped_key_is(key, end, c))
                                return c;
                }
                return NULL;
        }
        sig = key_sig(key, len);
        for (size_t h = sig_slot(sig, node->table_shift);; h = (h + 1) & node->table_mask) {
                const struct trie_child *e = &node->table[h];

                if (!e->node)
                        return NULL;
                if (e->sig == sig) {
                        const struct trie_node *c = &s->paths->nodes[e->node];

                        /* The signature holds the length: c->key has len bytes. */
                        if (sl_bytes_eq(c->key, key, len))
                                return c;
                }
        }
}

/* Forgets the values found under @node: its key came again, and the last
 * one wins. */
static void clear_below(struct scanner *s, const struct trie_node *node) {
        for (size_t i = 0; i < node->n_children; i++) {
                const struct trie_node *c = &s->paths->nodes[node->children[i].node];
                if (c->slot >= 0)
                        s->values[c->slot].type = SL_JSON_ABSENT;
                clear_below(s, c);
        }
}

/* ---- the walk ---- */

static bool scan_value(struct scanner *s, const struct trie_node *node, unsigned depth,
                       enum sl_json_type *ret_type);

/* Scans the value at s->p (depth @depth) reached through @node, as a whole
 * (whatever it is, nothing below it is looked for), and records it in
 * @node's slot if it has one. Inlined where a member leads to a node
 * without children (pino's level, msg, time, trace_id...): every wanted
 * value of every line, where a call cost about what the scan does. */
static inline __attribute__((always_inline)) bool scan_whole_value(struct scanner *s,
                                                                  const struct trie_node *node,
                                                                  unsigned depth,
                                                                  enum sl_json_type *ret_type) {
        const char *start;
        enum sl_json_type t;
        bool escaped = false;
        int r;

        skip_ws(s);
        start = s->p;
        r = scan_scalar(s, &t, &escaped);
        if (r == 0)
                return false;
        if (r < 0) {
                /* Not a string (scan_scalar() took those): skip_value()
                 * sets no flag of ours, and one whose address is taken
                 * would live in memory on every value. */
                bool ignored;

                t = skip_value(s, depth, &ignored);
                if (t == SL_JSON_ABSENT)
                        return false;
        }
        if (node->slot >= 0) {
                struct sl_json_value *v = &s->values[node->slot];
                if (t == SL_JSON_STRING)
                        *v = (struct sl_json_value){ start + 1, (size_t)(s->p - start) - 2, t, escaped };
                else
                        *v = (struct sl_json_value){ start, (size_t)(s->p - start), t, false };
        }
        *ret_type = t;
        return true;
}

/* Scans the object at s->p (depth @depth) whose members may lead to the
 * children of @node. */
static bool scan_members(struct scanner *s, const struct trie_node *node, unsigned depth) {
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == '}') {
                s->p++;
                return true;
        }
        for (;;) {
                const struct trie_node *child;
                const char *key;
                bool escaped;
                enum sl_json_type t;
                int f;

                /* Each token is tested for first, and whitespace skipped
                 * only when it is not there: compact JSON (pino's) has
                 * none between tokens. */
                if (s->p >= s->end || *s->p != '"') {
                        skip_ws(s);
                        if (s->p >= s->end || *s->p != '"')
                                return false;
                }
                key = s->p + 1;
                f = scan_string(s);
                if (f < 0 || (f & STR_NUL))
                        return false;
                escaped = f & STR_ESCAPED;
                child = find_child(s, node, key, s->p - 1, escaped);
                if (!at_token(s, ':'))
                        return false;
                s->p++;
                if (child && child->n_children == 0) {
                        if (!scan_whole_value(s, child, depth + 1, &t))
                                return false;
                } else if (child) {
                        /* Its own type variable: one whose address
                         * goes to a call lives in memory, and t is written
                         * on every member. */
                        enum sl_json_type child_type;

                        clear_below(s, child);
                        if (!scan_value(s, child, depth + 1, &child_type))
                                return false;
                } else {
                        /* Most members nobody asked for are strings or
                         * numbers: they need none of skip_value()'s
                         * bookkeeping of containers. */
                        bool ignored;
                        int r;

                        skip_ws(s);
                        r = scan_scalar(s, &t, &escaped);
                        if (r == 0)
                                return false;
                        if (r < 0 && !(s->p < s->end && *s->p == '{' && skip_flat_object(s, depth + 1)) &&
                            skip_value(s, depth + 1, &ignored) == SL_JSON_ABSENT)
                                return false;
                }
                if (s->p < s->end && *s->p == ',') {
                        s->p++;
                        continue;
                }
                skip_ws(s);
                if (s->p >= s->end)
                        return false;
                if (*s->p == ',') {
                        s->p++;
                } else if (*s->p == '}') {
                        s->p++;
                        return true;
                } else {
                        return false;
                }
        }
}

/* Scans the value at s->p (depth @depth) reached through @node: records it
 * in @node's slot, and when @node has children and the value is an object,
 * looks for them among its members. Recurses only along requested paths,
 * so at most SL_JSON_PATH_MAX_KEYS deep. */
static bool scan_value(struct scanner *s, const struct trie_node *node, unsigned depth,
                       enum sl_json_type *ret_type) {
        const char *start;

        skip_ws(s);
        start = s->p;
        if (node->n_children > 0 && s->p < s->end && *s->p == '{') {
                if (!scan_members(s, node, depth))
                        return false;
                if (node->slot >= 0)
                        s->values[node->slot] = (struct sl_json_value){
                                start, (size_t)(s->p - start), SL_JSON_OBJECT, false
                        };
                *ret_type = SL_JSON_OBJECT;
                return true;
        }
        return scan_whole_value(s, node, depth, ret_type);
}

int sl_json_scan(const struct sl_json_paths *paths, const char *text, size_t len,
                 struct sl_json_value *values, struct sl_json_doc *ret_doc) {
        static const struct trie_node no_paths = { .slot = -1 };
        struct scanner s = { text, text ? text + len : text, text, paths, values, false };
        enum sl_json_type top;

        if (paths && paths->n_slots)
                memset(values, 0, paths->n_slots * sizeof(*values));
        if (!text || !scan_value(&s, paths ? &paths->nodes[0] : &no_paths, 1, &top))
                return -EINVAL;
        skip_ws(&s);
        if (s.p != s.end)
                return -EINVAL;
        *ret_doc = (struct sl_json_doc){ .top = top, .int_overflow = s.int_overflow };
        return 0;
}
