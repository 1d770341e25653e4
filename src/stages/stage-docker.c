/* stage-docker.c - the `docker` stage: unwraps Docker's json-file records.
 *
 * Each line Docker writes is {"log":"<text>\n","stream":"stdout","time":"<RFC
 * 3339 ns>"}. The stage makes <text> (without its "\n") the line, `time` the
 * entry's timestamp and `stream` a label (and an extracted value). It reads
 * the object with a scanner of its own instead of a JSON library: the line
 * is a slice of the input when `log` holds no escape but its final "\n",
 * which is the common case, and only escaped text is decoded, into the
 * entry's arena, in the same pass that finds the end of `log` (an app that
 * logs JSON has an escape every few bytes). Strings are scanned 8 bytes at a
 * time with the word helpers of json-scan.h, and escapes decoded with its
 * decoder, so both read JSON alike.
 *
 * Docker splits messages longer than 16 KiB into pieces; every piece but the
 * last lacks the final "\n". Pieces are joined per source in a buffer the
 * context owns (HOLD until the last one comes); the joined line stays valid
 * until the next call for that source, and carries the first piece's time
 * and offset; while pieces are held, held_from() keeps the source's
 * position at the first one.
 * The buffer is capped (SPLIT_CAP): past it, what is held is shipped as one
 * entry and the next piece starts a new message.
 *
 * A record that is not such an object (plain text, truncated JSON, no
 * `log`, a bad escape) is kept exactly as it came.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>
#endif

#include "base/buf.h"
#include "base/u64map.h"
#include "base/xalloc.h"
#include "stages/json-scan.h"
#include "stages/stage-registry.h"
#include "stages/time-parse.h"

/* Most bytes of a split message held before it is shipped as it is. */
#define SPLIT_CAP (1024 * 1024)
/* Room over the cap for the piece that crosses it (Docker's are 16 KiB). */
#define SPLIT_SLACK (64 * 1024)

/* A JSON string as it appears in the record, quotes excluded. */
struct raw_string {
        const char *ptr;      /* first byte after the opening quote */
        size_t len;           /* bytes before the closing quote */
        const char *first_bs; /* first backslash inside, or NULL */
};

/* The `log` member, decoded. */
struct log_text {
        struct sl_str text; /* without its final "\n": a slice of the record, or
                             * in the entry's arena */
        bool complete;      /* it ended with "\n": a whole message, or the
                             * last piece of a split one */
        bool bad_escape;    /* an escape in it is malformed: the record is
                             * kept as it came */
};

/* The members of a record the stage uses. */
struct record {
        struct log_text log;      /* the text */
        char *log_buf;            /* in the entry's arena: room for any `log` of
                                   * this record decoded; NULL until needed */
        struct raw_string stream; /* "stdout" / "stderr" */
        struct raw_string time;   /* RFC 3339 with nanoseconds */
        bool has_log;             /* `log` was present and a string */
        bool has_stream;          /* `stream` was present and a string */
        bool has_time;            /* `time` was present and a string */
};

/* Pieces of a split message from one source. */
struct pending {
        uint64_t source_id; /* the source the pieces come from */
        struct sl_buf buf;  /* owned: the pieces joined so far */
        int64_t ts_ns;      /* time of the first piece; 0 if it had none */
        uint64_t offset;    /* where the first piece starts in the source */
        bool shipped;       /* buf holds a message already handed out: it
                             * stays valid until the next call for source_id */
};

struct docker_ctx {
        struct pending *pending; /* owned array: sources with a buffer */
        size_t n_pending;        /* items in use */
        size_t cap_pending;      /* items allocated */
        struct sl_u64map index;  /* source_id -> position in pending[] */
};

static const char *skip_ws(const char *p, const char *end) {
        /* Between every two tokens of the record, and Docker writes none
         * there: one test for the usual case. */
        if (p < end && (unsigned char)*p > ' ')
                return p;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
        return p;
}

/* Scans the rest of a string from @p, which is inside its body: @start is
 * the body's first byte, @first_bs its first backslash so far (or NULL).
 * Returns the byte after the closing quote, or NULL if the string is not
 * valid (unterminated, a raw control byte, a backslash at the end). Escapes
 * are checked when decoded. Every byte of every record passes here, so
 * plain runs are skipped 8 bytes at a time and every quote, backslash or
 * control byte of a word is taken from one mask (see sl_json_specials8();
 * bytes above 0x7f are plain). */
static const char *scan_body(const char *start, const char *p, const char *end,
                             const char *first_bs, struct raw_string *ret) {
        while (end - p >= 8) {
                uint64_t mask = sl_json_specials8(p, false);
                size_t at = 8;

                while (mask) {
                        at = sl_json_first_flagged(mask);
                        if (p[at] == '"') {
                                *ret = (struct raw_string){ start, (size_t)(p + at - start), first_bs };
                                return p + at + 1;
                        }
                        if (p[at] != '\\' || end - (p + at) < 2)
                                return NULL; /* a control byte, or a backslash at the end */
                        if (!first_bs)
                                first_bs = p + at;
                        /* The escaped byte is taken as it is, whatever it is. */
                        at += 2;
                        if (at >= 8)
                                break;
                        mask &= ~UINT64_C(0) << (8 * at);
                        if (!mask)
                                at = 8;
                }
                p += at;
        }
        for (; p < end; p++) {
                unsigned char c = (unsigned char)*p;
                if (c == '"') {
                        *ret = (struct raw_string){ start, (size_t)(p - start), first_bs };
                        return p + 1;
                }
                if (c == '\\') {
                        if (!first_bs)
                                first_bs = p;
                        if (++p >= end)
                                return NULL;
                } else if (c < 0x20) {
                        return NULL;
                }
        }
        return NULL;
}

/* Scans the string whose opening quote is at @p (see scan_body()). The
 * record's keys and its stream and time have no escape: one
 * sl_json_string_stop() finds their end, and scan_body() takes over at the
 * first backslash or control byte. Inlined: five strings of a few bytes
 * in every record, where a call cost about what the scan does. */
static inline __attribute__((always_inline)) const char *scan_string(const char *p, const char *end,
                                                                    struct raw_string *ret) {
        const char *start = p + 1, *stop = sl_json_string_stop(start, end, false);

        if (stop < end && *stop == '"') {
                *ret = (struct raw_string){ start, (size_t)(stop - start), NULL };
                return stop + 1;
        }
        return scan_body(start, stop, end, NULL, ret);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_DECODE16 1
/* For each 8-bit mask of bytes to drop, the shuffle that keeps the others
 * of an 8-byte half in order (0x80: a zero byte), and how many it keeps.
 * Filled by init_decode16(). */
static uint8_t drop8_shuffle[256][8];
/* The same for the high half: the indexes are those above plus 8. Entries
 * of 8 bytes (only a shuffle's low half is stored), found by the mask
 * scaled in the address, without a shift. */
static uint8_t drop8_shuffle_hi[256][8];
static uint8_t drop8_kept[256];
/* decode16() compiled for the CPU (see init_decode16()); NULL without
 * SSSE3's byte shuffle. */
static bool (*decode16)(const char **io_p, char **io_o, const char *end);
static bool decode16_ssse3(const char **io_p, char **io_o, const char *end);
static bool decode16_avx(const char **io_p, char **io_o, const char *end);

static void init_decode16(void) {
        if (decode16 || !__builtin_cpu_supports("ssse3"))
                return;
        for (unsigned m = 0; m < 256; m++) {
                unsigned n = 0;

                memset(drop8_shuffle[m], 0x80, sizeof(drop8_shuffle[m]));
                memset(drop8_shuffle_hi[m], 0x80, sizeof(drop8_shuffle_hi[m]));
                for (unsigned i = 0; i < 8; i++)
                        if (!(m & (1u << i))) {
                                drop8_shuffle_hi[m][n] = (uint8_t)(i + 8);
                                drop8_shuffle[m][n++] = (uint8_t)i;
                        }
                drop8_kept[m] = (uint8_t)n;
        }
        /* The same code in AVX's three-operand encoding where there is
         * one: SSE's shuffles and compares overwrite an operand, so that
         * every vector used twice is copied first. */
        decode16 = __builtin_cpu_supports("avx") ? decode16_avx : decode16_ssse3;
}

/* Stores the bytes of @x not flagged in the 16-bit @slashes at @o, in
 * order, 8 bytes a half (the text never grows: the room is there); returns
 * the byte after them. */
__attribute__((target("ssse3"))) static inline char *drop_slashes16(__m128i x, unsigned slashes,
                                                                    char *o) {
        __m128i lo = _mm_loadl_epi64((const __m128i *)(const void *)drop8_shuffle[slashes & 0xff]);
        __m128i hi = _mm_loadl_epi64((const __m128i *)(const void *)drop8_shuffle_hi[slashes >> 8]);

        _mm_storel_epi64((__m128i *)(void *)o, _mm_shuffle_epi8(x, lo));
        o += drop8_kept[slashes & 0xff];
        _mm_storel_epi64((__m128i *)(void *)o, _mm_shuffle_epi8(x, hi));
        return o + drop8_kept[slashes >> 8];
}

/* The word loop of scan_log() 16 bytes a step: copies plain bytes and
 * decodes two-byte escapes from *@io_p to *@io_o while at least 32 bytes
 * are left, so that every 16-byte load (from a byte not yet copied) and
 * every store (the text never grows) stays inside the record and the
 * decoding room. True when it stopped at a byte it leaves to the caller
 * (the closing quote, a control byte, another escape, or an escape cut by
 * the block's end); false when fewer than 32 bytes are left.
 *
 * A block whose only specials are escaped quotes (an app's JSON: `\"` every
 * few bytes) has its backslashes dropped with two byte shuffles, whatever
 * their number; other blocks are walked escape by escape. */
__attribute__((target("ssse3"))) static inline __attribute__((always_inline)) bool
decode16_body(const char **io_p, char **io_o, const char *end) {
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
        const __m128i below_space = _mm_set1_epi8(0x1f);
        const char *p = *io_p;
        char *o = *io_o;
        bool stopped = false;
        /* Two-block steps start before it (33 bytes left): one compare a
         * step. p itself when there is none (p never goes back). */
        const char *pairs_end = end - p >= 33 ? end - 32 : p;

        for (;;) {
                __m128i x, next, is_slash, is_control, odd;
                unsigned slashes, quotes, controls, mask;
                size_t pos = 0, at = 16; /* bytes of the block taken; where to stop */

                /* Two blocks at once while 33 bytes are left (the byte after
                 * the second is read), tested as one: the escaped quotes of
                 * an app's JSON run on for hundreds of bytes. A backslash
                 * ending the first block has its quote first in the second,
                 * kept by the second's shuffle. A loop of its own, its
                 * vectors apart from the block's below: shared, they cost
                 * copies on every step. */
                while (p < pairs_end) {
                        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
                        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
                        __m128i a_slash = _mm_cmpeq_epi8(a, backslash);
                        __m128i b_slash = _mm_cmpeq_epi8(b, backslash);
                        /* A control byte in either block is one in their
                         * bytewise minimum. */
                        __m128i low = _mm_min_epu8(a, b);
                        __m128i a_odd = _mm_xor_si128(
                                a_slash, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 1)),
                                                        quote));
                        __m128i b_odd = _mm_xor_si128(
                                b_slash, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 17)),
                                                        quote));
                        unsigned a_slashes, b_slashes;
                        size_t last;

                        if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a_odd, b_odd),
                                                           _mm_cmpeq_epi8(_mm_min_epu8(low, below_space), low))) ||
                            *p == '"')
                                break;
                        a_slashes = (unsigned)_mm_movemask_epi8(a_slash);
                        b_slashes = (unsigned)_mm_movemask_epi8(b_slash);
                        last = b_slashes >> 15;
                        o = drop_slashes16(a, a_slashes, o);
                        o = drop_slashes16(b, b_slashes, o);
                        /* The quote after a last backslash, stored whatever
                         * it is: a byte past o is overwritten or unused. */
                        *o = p[32];
                        o += last;
                        p += 32 + last;
                }
                if (end - p < 32)
                        break;
                x = _mm_loadu_si128((const __m128i *)(const void *)p);
                /* The block moved one byte on: byte i of it is the one after
                 * byte i of x (read: 32 bytes are left). */
                next = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
                is_slash = _mm_cmpeq_epi8(x, backslash);
                /* Unsigned below 0x20: the unsigned minimum with 0x1f is the
                 * byte itself. */
                is_control = _mm_cmpeq_epi8(_mm_min_epu8(x, below_space), x);
                /* Set where a backslash is not followed by a quote, where a
                 * quote follows no backslash (byte 0 is tested apart), and at
                 * control bytes. */
                odd = _mm_or_si128(_mm_xor_si128(is_slash, _mm_cmpeq_epi8(next, quote)), is_control);
                slashes = (unsigned)_mm_movemask_epi8(is_slash);

                /* Every quote escaped and every backslash escaping a quote,
                 * that of the last byte the first byte of the next block,
                 * taken with this one (a block without specials too). */
                if (!_mm_movemask_epi8(odd) && *p != '"') {
                        size_t last = slashes >> 15;

                        o = drop_slashes16(x, slashes, o);
                        *o = p[16];
                        o += last;
                        p += 16 + last;
                        continue;
                }
                quotes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
                controls = (unsigned)_mm_movemask_epi8(is_control);
                mask = quotes | slashes | controls;
                while (mask) {
                        char c;

                        at = (size_t)__builtin_ctz(mask);
                        c = at < 15 && p[at] == '\\' ? sl_json_simple_escapes[(unsigned char)p[at + 1]]
                                                     : 0;
                        if (!c)
                                break;
                        _mm_storeu_si128((__m128i *)(void *)o,
                                         _mm_loadu_si128((const __m128i *)(const void *)(p + pos)));
                        o += at - pos;
                        *o++ = c;
                        pos = at + 2;
                        at = 16;
                        mask = pos < 16 ? mask & (~0u << pos) : 0;
                }
                if (pos < at) {
                        _mm_storeu_si128((__m128i *)(void *)o,
                                         _mm_loadu_si128((const __m128i *)(const void *)(p + pos)));
                        o += at - pos;
                }
                p += at;
                if (at < 16) {
                        stopped = true;
                        break;
                }
        }
        *io_p = p;
        *io_o = o;
        return stopped;
}

__attribute__((target("ssse3"))) static bool decode16_ssse3(const char **io_p, char **io_o,
                                                            const char *end) {
        return decode16_body(io_p, io_o, end);
}

__attribute__((target("avx"))) static bool decode16_avx(const char **io_p, char **io_o,
                                                        const char *end) {
        return decode16_body(io_p, io_o, end);
}
#endif

/* Scans the `log` string whose opening quote is at @p, as scan_string()
 * does, and decodes it into rec->log on the way: a slice of the record when
 * its only escape is the final "\n" (or it has none), else decoded into
 * rec->log_buf, taken from @arena the first time. A malformed escape makes
 * rec->log.bad_escape; the string is still scanned to its end, so the
 * record is read exactly as scan_string() reads it. */
static const char *scan_log(const char *p, const char *end, struct sl_arena *arena,
                            struct record *rec) {
        const char *start = p + 1;
        struct raw_string raw;
        char *o;

        p = sl_json_string_stop(start, end, false);
        if (p >= end)
                return NULL;
        if (*p == '"') {
                /* No escape: no "\n" either (a raw one is invalid). */
                rec->log = (struct log_text){ sl_str_from(start, (size_t)(p - start)), false, false };
                return p + 1;
        }
        if (*p != '\\')
                return NULL; /* a control byte */
        if (end - p >= 3 && p[1] == 'n' && p[2] == '"') {
                rec->log = (struct log_text){ sl_str_from(start, (size_t)(p - start)), true, false };
                return p + 3;
        }

        /* Decoding: the text never grows, so the rest of the line (and 8
         * bytes for whole-word stores) is room enough, for this `log` and
         * any later one (the last one wins). */
        if (!rec->log_buf)
                rec->log_buf = sl_arena_alloc(arena, (size_t)(end - start) + 8);
        o = rec->log_buf;
        /* An app's JSON: the escape comes first but for the brace. */
        if (p - start <= 8 && end - start >= 8)
                sl_json_store8(o, sl_json_load8(start));
        else
                memcpy(o, start, (size_t)(p - start));
        o += p - start;
        for (;;) {
                const char *next;
                char c;

                /* p is at a byte the word loop below left to this one: the
                 * closing quote, a control byte, or an escape other than a
                 * two-byte one inside a word. */
                if (p >= end)
                        return NULL;
                if (*p == '"')
                        break;
                if (*p != '\\' || end - p < 2)
                        return NULL; /* a control byte, or a backslash at the end */
                c = sl_json_simple_escapes[(unsigned char)p[1]];
                if (c) {
                        *o++ = c;
                        p += 2;
                } else {
                        char *t = o; /* o itself stays out of memory */

                        next = sl_json_decode_escape(p, end, &t);
                        o = t;
                        if (!next) {
                                rec->log.bad_escape = true;
                                return scan_body(start, p, end, p, &raw);
                        }
                        p = next;
                }

#ifdef HAVE_DECODE16
                if (decode16 && decode16(&p, &o, end))
                        continue;
#endif
                /* Word by word (what decode16() leaves, or every byte where
                 * there is no SSSE3): plain bytes are copied with whole-word stores
                 * and two-byte escapes decoded from the word's mask, without
                 * reading the text again (an escape every few bytes is the
                 * usual case). */
                for (;;) {
                        uint64_t x, mask;
                        size_t pos = 0, at = 8; /* bytes of x taken; where to stop */

                        if (end - p < 8) {
                                while (p < end && !sl_json_special_byte(*p, false))
                                        *o++ = *p++;
                                break;
                        }
                        x = sl_json_load8(p);
                        mask = sl_json_specials_of(x, false);
                        while (mask) {
                                at = sl_json_first_flagged(mask);
                                c = at < 7 && (unsigned char)(x >> (8 * at)) == '\\'
                                            ? sl_json_simple_escapes[(unsigned char)(x >> (8 * at + 8))]
                                            : 0;
                                if (!c)
                                        break;
                                sl_json_store8(o, x >> (8 * pos));
                                o += at - pos;
                                *o++ = c;
                                pos = at + 2;
                                at = 8;
                                mask = pos < 8 ? mask & (~UINT64_C(0) << (8 * pos)) : 0;
                        }
                        if (pos < at) {
                                sl_json_store8(o, x >> (8 * pos));
                                o += at - pos;
                        }
                        p += at;
                        if (at < 8)
                                break;
                }
        }
        rec->log = (struct log_text){ sl_str_from(rec->log_buf, (size_t)(o - rec->log_buf)), false,
                                      false };
        if (rec->log.text.len && rec->log.text.ptr[rec->log.text.len - 1] == '\n') {
                rec->log.text.len--;
                rec->log.complete = true;
        }
        return p + 1;
}

/* Skips one JSON value the stage does not use. Nested containers are only
 * checked for balance: the record is Docker's, the nesting never used. */
static const char *skip_value(const char *p, const char *end) {
        struct raw_string ignored;
        size_t depth = 0;

        if (p >= end)
                return NULL;
        if (*p == '"')
                return scan_string(p, end, &ignored);
        if (*p != '{' && *p != '[') {
                const char *start = p;
                while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                                   *p == '-' || *p == '+' || *p == '.' || *p == 'E'))
                        p++;
                return p > start ? p : NULL;
        }
        for (; p < end; p++) {
                if (*p == '"') {
                        p = scan_string(p, end, &ignored);
                        if (!p)
                                return NULL;
                        p--;
                } else if (*p == '{' || *p == '[') {
                        depth++;
                } else if (*p == '}' || *p == ']') {
                        if (--depth == 0)
                                return p + 1;
                }
        }
        return NULL;
}

static bool key_is(const struct raw_string *k, const char *name, size_t len) {
        return !k->first_bs && k->len == len && memcmp(k->ptr, name, len) == 0;
}

/* Reads a whole line as a Docker record, decoding `log` into @arena when it
 * has escapes. False when it is not one. */
static bool parse_record(struct sl_str line, struct sl_arena *arena, struct record *rec) {
        const char *p = line.ptr, *end = line.ptr + line.len;

        memset(rec, 0, sizeof(*rec));
        if (!p)
                return false;
        p = skip_ws(p, end);
        if (p >= end || *p != '{')
                return false;
        p = skip_ws(p + 1, end);
        if (p < end && *p == '}') {
                p++;
        } else {
                for (;;) {
                        struct raw_string key, value;
                        enum { KEY_OTHER, KEY_LOG, KEY_STREAM, KEY_TIME } which;

                        if (p >= end || *p != '"')
                                return false;
                        /* Docker's keys as Docker writes them, colon and
                         * the string value's opening quote included, are
                         * told by one compare each: the general path below
                         * reads them alike, with a scan, a look-up and skips
                         * of no space. */
                        if (end - p >= 7 && memcmp(p, "\"log\":\"", 7) == 0) {
                                which = KEY_LOG;
                                p += 6;
                        } else if (end - p >= 10 && memcmp(p, "\"stream\":\"", 10) == 0) {
                                which = KEY_STREAM;
                                p += 9;
                        } else if (end - p >= 8 && memcmp(p, "\"time\":\"", 8) == 0) {
                                which = KEY_TIME;
                                p += 7;
                        } else {
                                p = scan_string(p, end, &key);
                                if (!p)
                                        return false;
                                p = skip_ws(p, end);
                                if (p >= end || *p != ':')
                                        return false;
                                p = skip_ws(p + 1, end);
                                if (p >= end)
                                        return false;
                                which = key_is(&key, "log", 3)      ? KEY_LOG
                                        : key_is(&key, "stream", 6) ? KEY_STREAM
                                        : key_is(&key, "time", 4)   ? KEY_TIME
                                                                    : KEY_OTHER;
                        }
                        if (*p == '"' && which == KEY_LOG) {
                                /* A repeated key: the last one wins, as in Go. */
                                p = scan_log(p, end, arena, rec);
                                if (!p)
                                        return false;
                                rec->has_log = true;
                        } else if (*p == '"') {
                                p = scan_string(p, end, &value);
                                if (!p)
                                        return false;
                                if (which == KEY_STREAM) {
                                        rec->stream = value;
                                        rec->has_stream = true;
                                } else if (which == KEY_TIME) {
                                        rec->time = value;
                                        rec->has_time = true;
                                }
                        } else {
                                if (which == KEY_LOG)
                                        rec->has_log = false;
                                p = skip_value(p, end);
                                if (!p)
                                        return false;
                        }
                        /* Docker's `,"` between members: no space to skip. */
                        if (end - p >= 2 && p[0] == ',' && p[1] == '"') {
                                p++;
                                continue;
                        }
                        p = skip_ws(p, end);
                        if (p < end && *p == ',') {
                                p = skip_ws(p + 1, end);
                                continue;
                        }
                        if (p < end && *p == '}') {
                                p++;
                                break;
                        }
                        return false;
                }
        }
        return (p == end || skip_ws(p, end) == end) && rec->has_log;
}

/* The text of @s: a slice of the record when it has no escape, else decoded
 * into @arena. Returns 0 or -EINVAL on a bad escape. */
static int decode_string(const struct raw_string *s, struct sl_arena *arena, struct sl_str *ret) {
        char *out;
        ssize_t n;

        if (!s->first_bs) {
                *ret = sl_str_from(s->ptr, s->len);
                return 0;
        }
        out = sl_arena_alloc(arena, s->len + 1);
        n = sl_json_unescape(s->ptr, s->len, out);
        if (n < 0)
                return (int)n;
        *ret = sl_str_from(out, (size_t)n);
        return 0;
}

static struct pending *find_pending(struct docker_ctx *ctx, uint64_t source_id) {
        uint64_t i;

        if (ctx->n_pending == 0 || source_id == UINT64_MAX ||
            !sl_u64map_get(&ctx->index, source_id, &i))
                return NULL;
        return &ctx->pending[i];
}

static struct pending *add_pending(struct docker_ctx *ctx, uint64_t source_id) {
        struct pending *pd;

        sl_xgrow((void **)&ctx->pending, sizeof(*ctx->pending), &ctx->cap_pending,
                 ctx->n_pending + 1);
        pd = &ctx->pending[ctx->n_pending];
        *pd = (struct pending){ .source_id = source_id };
        sl_buf_init(&pd->buf, SPLIT_CAP + SPLIT_SLACK);
        sl_u64map_put(&ctx->index, source_id, ctx->n_pending);
        ctx->n_pending++;
        return pd;
}

/* Frees @pd's buffer and fills its place with the last slot. */
static void remove_pending(struct docker_ctx *ctx, struct pending *pd) {
        size_t i = (size_t)(pd - ctx->pending), last = ctx->n_pending - 1;

        sl_buf_release(&pd->buf);
        sl_u64map_del(&ctx->index, pd->source_id);
        if (i != last) {
                ctx->pending[i] = ctx->pending[last];
                sl_u64map_put(&ctx->index, ctx->pending[i].source_id, i);
        }
        ctx->n_pending--;
}

/* Hands the joined message out as @e's line. */
static void ship_pending(struct pending *pd, struct sl_entry *e) {
        e->line = sl_buf_str(&pd->buf);
        e->offset = pd->offset;
        if (pd->ts_ns)
                e->ts_ns = pd->ts_ns;
        pd->shipped = true;
}

static int docker_process(void *userdata, struct sl_entry *e) {
        struct docker_ctx *ctx = userdata;
        struct record rec;
        struct sl_str text = SL_STR_NULL, stream = SL_STR_NULL;
        struct pending *pd;
        bool complete;
        int64_t ts = 0;
        int r;

        if (!parse_record(e->line, &e->arena, &rec) || rec.log.bad_escape)
                return SL_STAGE_KEEP;
        text = rec.log.text;
        complete = rec.log.complete;
        if (rec.has_stream && decode_string(&rec.stream, &e->arena, &stream) < 0)
                stream = SL_STR_NULL;
        if (rec.has_time && !rec.time.first_bs)
                (void)sl_time_parse_rfc3339(sl_str_from(rec.time.ptr, rec.time.len), &ts);

        pd = find_pending(ctx, e->source_id);
        if (pd && pd->shipped) {
                /* The message handed out last time is no longer borrowed. */
                if (complete) {
                        remove_pending(ctx, pd);
                        pd = NULL;
                } else {
                        sl_buf_reset(&pd->buf);
                        pd->shipped = false;
                }
        }

        if (!complete) {
                if (!pd)
                        pd = add_pending(ctx, e->source_id);
                if (pd->buf.len == 0) {
                        pd->ts_ns = ts;
                        pd->offset = e->offset;
                }
                r = sl_buf_append_str(&pd->buf, text);
                if (r < 0)
                        return r;
                if (pd->buf.len <= SPLIT_CAP)
                        return SL_STAGE_HOLD;
                ship_pending(pd, e);
        } else if (pd && pd->buf.len > 0) {
                r = sl_buf_append_str(&pd->buf, text);
                if (r < 0) {
                        /* Cannot join: what was held is lost, this record
                         * goes on as it came. */
                        remove_pending(ctx, pd);
                        return r;
                }
                if (!pd->ts_ns)
                        pd->ts_ns = ts;
                ship_pending(pd, e);
        } else {
                e->line = text;
                if (ts)
                        e->ts_ns = ts;
        }
        if (stream.len) {
                sl_kvs_set(&e->labels, SL_STR_LIT("stream"), stream);
                sl_kvs_set(&e->extracted, SL_STR_LIT("stream"), stream);
        }
        return SL_STAGE_KEEP;
}

static void docker_forget(void *userdata, uint64_t source_id) {
        struct docker_ctx *ctx = userdata;
        struct pending *pd = find_pending(ctx, source_id);

        if (pd)
                remove_pending(ctx, pd);
}

/* A split message being joined holds its source's position at its first
 * piece, so that a restart reads it again whole. */
static bool docker_held_from(void *userdata, uint64_t source_id, uint64_t *ret_offset) {
        struct docker_ctx *ctx = userdata;
        struct pending *pd = find_pending(ctx, source_id);

        if (!pd || pd->shipped || pd->buf.len == 0)
                return false;
        *ret_offset = pd->offset;
        return true;
}

static void docker_destroy(void *userdata) {
        struct docker_ctx *ctx = userdata;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n_pending; i++)
                sl_buf_release(&ctx->pending[i].buf);
        free(ctx->pending);
        sl_u64map_release(&ctx->index);
        free(ctx);
}

static int docker_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        struct docker_ctx *ctx = sl_xnew(struct docker_ctx);

#ifdef HAVE_DECODE16
        init_decode16();
#endif
        sl_u64map_init(&ctx->index);
        *ret_ctx = ctx;
        return 0;
}

static const char *const docker_keys[] = { NULL };

const struct sl_stage_type sl_stage_docker = {
        .name = "docker",
        .help = "unwrap Docker json-file records: log -> line, time -> timestamp, stream -> label",
        .keys = docker_keys,
        .create = docker_create,
        .process = docker_process,
        .forget = docker_forget,
        .destroy = docker_destroy,
        .held_from = docker_held_from,
};
