/* json-scan.h - a validating, single-pass JSON scanner that picks out the
 * values at a few requested paths, without building a tree.
 *
 * The json stage reads a handful of fields (`level`, `msg`, `req.method`)
 * out of every line. Instead of parsing the whole document into a tree, the
 * paths are compiled once into a small trie (struct sl_json_paths), and each
 * text is walked once: every byte is validated, the members whose keys lead
 * to a requested path are recorded as slices of the text, everything else
 * is skipped.
 *
 * What counts as valid is what jansson 2.14's json_loadb() accepts with
 * JSON_DECODE_ANY | JSON_ALLOW_NUL, retried with JSON_DECODE_INT_AS_REAL
 * when an integer overflows (the json stage's parser before this scanner):
 * RFC 8259 with these choices:
 *   - strings must be valid UTF-8 (no overlong forms, no encoded surrogates,
 *     nothing above U+10FFFF); raw bytes below 0x20 are invalid;
 *   - \uXXXX escapes of surrogates must form a pair: a lone surrogate is
 *     invalid; \u0000 is valid in values, invalid in object keys;
 *   - a number whose value rounds to infinity as a double is invalid;
 *   - values nest at most SL_JSON_SCAN_MAX_DEPTH deep (the top-level value
 *     has depth 1);
 *   - only whitespace may follow the top-level value (no BOM before it).
 *   - one difference: jansson 2.14 drops a NUL byte that directly follows
 *     a number, true, false or null ("1\0", "[true\0,2]": its reader of
 *     those tokens swallows it); json-scan refuses such text, as RFC 8259
 *     does (a raw NUL is never valid outside a string).
 * Duplicate keys: the last one wins, including for paths below it
 * (`{"a":{"b":1},"a":2}` has no `a.b`), as jansson and Go decide.
 * A key written with escapes ("m\u0073g") matches its decoded form.
 *
 * Calling sequence: sl_json_paths_new(), sl_json_paths_add() per path (at
 * configuration time; allocates), then sl_json_scan() per text (pure: no
 * allocation, no state kept between calls), sl_json_paths_free().
 * Everything is loop-thread only; a struct sl_json_paths is read-only while
 * scanning, so one set may serve any number of scans.
 *
 * sl_json_unescape() decodes the escapes of a string slice; the docker stage
 * uses it too, and shares the word-at-a-time string scanning below
 * (sl_json_specials8(), sl_json_string_stop()): pure inline helpers.
 */
#ifndef SL_STAGES_JSON_SCAN_H
#define SL_STAGES_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/cleanup.h"
#include "base/str.h"

/* Deepest value nesting accepted (jansson's JSON_PARSER_MAX_DEPTH). */
#define SL_JSON_SCAN_MAX_DEPTH 2048
/* Most keys in one path. */
#define SL_JSON_PATH_MAX_KEYS 16

enum sl_json_type {
        SL_JSON_ABSENT = 0, /* the path is not in the document */
        SL_JSON_OBJECT,     /* slice: the text from '{' to '}' */
        SL_JSON_ARRAY,      /* slice: the text from '[' to ']' */
        SL_JSON_STRING,     /* slice: the raw text between the quotes */
        SL_JSON_INTEGER,    /* slice: a number with no fraction and no exponent */
        SL_JSON_REAL,       /* slice: a number with a fraction or an exponent */
        SL_JSON_TRUE,       /* slice: "true" */
        SL_JSON_FALSE,      /* slice: "false" */
        SL_JSON_NULL,       /* slice: "null" */
};

/* A value found in the text. */
struct sl_json_value {
        const char *ptr;        /* borrowed from the scanned text */
        size_t len;             /* bytes in the slice */
        enum sl_json_type type; /* SL_JSON_ABSENT: not found, ptr/len unset */
        bool escaped;           /* a string holding at least one backslash */
};

/* What sl_json_scan() learns about the document as a whole. */
struct sl_json_doc {
        enum sl_json_type top; /* the type of the top-level value */
        bool int_overflow;     /* an integer does not fit in 64 bits (jansson
                                * then reads every number as a double) */
};

struct sl_json_paths;

/* A new, empty set of paths. Never NULL (aborts on OOM). */
struct sl_json_paths *sl_json_paths_new(void);
/* NULL is a no-op. */
void sl_json_paths_free(struct sl_json_paths *paths);
SL_DEFINE_CLEANUP(struct sl_json_paths *, sl_json_paths_free)

/* Adds the path of @n_keys keys (1 to SL_JSON_PATH_MAX_KEYS; @keys are
 * copied) from the top-level object down. Returns its slot, the index of
 * its value in sl_json_scan()'s @values: slots are numbered 0, 1, ... in
 * the order paths are first added, and adding a path again returns the
 * slot it already has. Returns -EINVAL when @n_keys is out of range. */
int sl_json_paths_add(struct sl_json_paths *paths, const struct sl_str *keys, size_t n_keys);
/* The number of slots. */
size_t sl_json_paths_count(const struct sl_json_paths *paths);

/* Validates the JSON text @text (@len bytes; need not be NUL-terminated) and
 * records into @values[slot] the value at each path of @paths (which may be
 * NULL to validate only). @values must have sl_json_paths_count() items; it
 * is scratch, overwritten by every call and meaningful only when 0 is
 * returned; its slices borrow from @text. Returns 0 with @ret_doc filled,
 * or -EINVAL when the text is not valid JSON. */
int sl_json_scan(const struct sl_json_paths *paths, const char *text, size_t len,
                 struct sl_json_value *values, struct sl_json_doc *ret_doc);

/* Decodes the JSON escapes of the string body @s (@len bytes, quotes
 * excluded) into @out, which must hold at least @len bytes: no escape
 * grows, and the bytes of @out after the decoded text may be overwritten
 * too. A lone surrogate escape becomes U+FFFD, as Go's decoder makes it
 * (sl_json_scan() rejects those, so a scanned string never has one); raw
 * bytes are copied as they are. Returns the decoded length, or -EINVAL on
 * a malformed escape. */
ssize_t sl_json_unescape(const char *s, size_t len, char *out);

/* What the two-byte escape \<c> stands for, indexed by <c> as unsigned
 * char; 0 when \<c> is not one (\u and malformed escapes). For decoders
 * that walk a string themselves (the docker stage), with
 * sl_json_decode_escape() for the rest. */
extern const char sl_json_simple_escapes[256];

/* Decodes the one escape whose backslash is at @p (before @end) into
 * *@io_out and moves *@io_out past it (1 to 4 bytes), as sl_json_unescape()
 * does. Returns the byte after the escape, or NULL when it is malformed
 * (*@io_out untouched). */
const char *sl_json_decode_escape(const char *p, const char *end, char **io_out);

/* ---- word-at-a-time string scanning (shared with the docker stage) ---- */

/* @b repeated in each byte of a word. */
#define SL_JSON_BYTES(b) (UINT64_C(0x0101010101010101) * (uint8_t)(b))

/* The 8 bytes at @p as a word, the first one in the lowest bits. */
static inline uint64_t sl_json_load8(const char *p) {
        uint64_t x;

        memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        return x;
}

/* Stores the word @x at @p as 8 bytes, the lowest bits first (the inverse
 * of sl_json_load8()). */
static inline void sl_json_store8(char *p, uint64_t x) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        memcpy(p, &x, 8);
}

/* The bytes of the word @x (as sl_json_load8() reads them) that end a plain
 * run inside a JSON string: a quote, a backslash, a byte below 0x20 and, if
 * @non_ascii, a byte above 0x7f. Byte i is flagged by bit 8 * i + 7. Exact
 * for every byte (no carry crosses bytes: each sum stays below 0x100), so a
 * caller may walk all the flags of one word. */
static inline uint64_t sl_json_specials_of(uint64_t x, bool non_ascii) {
        const uint64_t low7 = SL_JSON_BYTES(0x7f);
        uint64_t m = x & low7, plain;

        /* Per byte, bit 7 of each term: its low 7 bits are not '"', not
         * '\\', not below 0x20. */
        plain = ((m ^ SL_JSON_BYTES('"')) + low7) & ((m ^ SL_JSON_BYTES('\\')) + low7) &
                (m + SL_JSON_BYTES(0x80 - 0x20));
        if (non_ascii)
                return (~plain | x) & SL_JSON_BYTES(0x80);
        return ~(plain | x) & SL_JSON_BYTES(0x80);
}

/* sl_json_specials_of() the 8 bytes at @p. */
static inline uint64_t sl_json_specials8(const char *p, bool non_ascii) {
        return sl_json_specials_of(sl_json_load8(p), non_ascii);
}

/* The offset of the byte of the lowest flag in @mask (not 0). */
static inline size_t sl_json_first_flagged(uint64_t mask) {
        return (size_t)__builtin_ctzll(mask) / 8;
}

/* Whether the byte @ch is one sl_json_specials8() flags. */
static inline bool sl_json_special_byte(char ch, bool non_ascii) {
        unsigned char c = (unsigned char)ch;
        return c < 0x20 || c == '"' || c == '\\' || (non_ascii && c >= 0x80);
}

#ifdef __SSE2__
/* sl_json_specials8() of the 16 bytes at @p (SSE2, the baseline of every
 * x86-64), byte i flagged by bit i. Flipping bit 1 maps '"' (0x22) to
 * 0x20 and the bytes below 0x20 onto themselves, and no other byte below
 * 0x21: one signed compare takes the quote and the control bytes, and
 * bytes above 0x7f too (they stay negative); those are cleared again by
 * their sign bits when they are plain. */
static inline unsigned sl_json_specials16(const char *p, bool non_ascii) {
        const __m128i flip = _mm_set1_epi8(0x02), below = _mm_set1_epi8(0x21);
        const __m128i backslash = _mm_set1_epi8('\\');
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_cmplt_epi8(_mm_xor_si128(x, flip), below), _mm_cmpeq_epi8(x, backslash)));

        if (!non_ascii)
                mask &= ~(unsigned)_mm_movemask_epi8(x);
        return mask;
}
#endif

/* The first byte in [@p, @end) that sl_json_specials8() flags, or @end. */
static inline const char *sl_json_string_stop(const char *p, const char *end, bool non_ascii) {
#ifdef __SSE2__
        /* 16 bytes a step: the hot path's strings (pino's values, Docker's
         * escaped records) run longer than a word between stops often
         * enough to pay for it. The bound is kept as an address (no text
         * lies within 16 bytes of address 0), so a step tests one
         * compare. */
        const uintptr_t last16 = (uintptr_t)end - 16;

        while ((uintptr_t)p <= last16) {
                unsigned mask = sl_json_specials16(p, non_ascii);

                if (mask)
                        return p + __builtin_ctz(mask);
                p += 16;
        }
#endif
        while (end - p >= 8) {
                uint64_t mask = sl_json_specials8(p, non_ascii);
                if (mask)
                        return p + sl_json_first_flagged(mask);
                p += 8;
        }
        while (p < end && !sl_json_special_byte(*p, non_ascii))
                p++;
        return p;
}

#endif
