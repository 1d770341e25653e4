/* fuzz-util.h - what the libFuzzer targets of tests/fuzz share: a reader
 * that cuts the fuzzer's bytes into the pieces a target needs, and a check
 * that turns a broken property into a crash the fuzzer reports.
 *
 * Each target is one file defining LLVMFuzzerTestOneInput() (and, when it
 * needs state built once, LLVMFuzzerInitialize()). A target must give the
 * same answer for the same input whatever ran before it: state kept across
 * inputs (a pipeline, a batcher) is brought back to its start at the end of
 * each input. Header-only: static functions.
 */
#ifndef SL_FUZZ_UTIL_H
#define SL_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

/* A property the target checks; when it fails, the input is a crash. */
#define FUZZ_CHECK(cond, ...)                                                              \
        do {                                                                               \
                if (!(cond)) {                                                             \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                      \
                        fputc('\n', stderr);                                               \
                        abort();                                                           \
                }                                                                          \
        } while (0)

/* The fuzzer's input, consumed from the front. */
struct fz {
        const char *p;   /* next byte */
        const char *end; /* one past the last */
};

static inline struct fz fz_init(const uint8_t *data, size_t size) {
        return (struct fz){ (const char *)data, (const char *)data + size };
}

static inline bool fz_empty(const struct fz *f) {
        return f->p >= f->end;
}

static inline size_t fz_left(const struct fz *f) {
        return (size_t)(f->end - f->p);
}

/* The next byte, or 0 once the input is used up. */
static inline uint8_t fz_byte(struct fz *f) {
        return f->p < f->end ? (uint8_t)*f->p++ : 0;
}

/* The next @n bytes as a little-endian number (missing bytes are 0). */
static inline uint64_t fz_uint(struct fz *f, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v |= (uint64_t)fz_byte(f) << (8 * i);
        return v;
}

/* The bytes up to the next @sep (excluded, and consumed) or to the end. The
 * slice borrows from the input. */
static inline struct sl_str fz_until(struct fz *f, char sep) {
        const char *at = memchr(f->p, sep, fz_left(f));
        struct sl_str s = sl_str_from(f->p, at ? (size_t)(at - f->p) : fz_left(f));

        f->p = at ? at + 1 : f->end;
        return s;
}

/* Splits off the part before the first occurrence of @marker (a string of
 * its own line, such as "\n#--\n"): returns it and moves @f past the
 * marker, or returns everything when there is none. */
static inline struct sl_str fz_before(struct fz *f, const char *marker) {
        size_t n = strlen(marker);
        const char *at = memmem(f->p, fz_left(f), marker, n);
        struct sl_str s = sl_str_from(f->p, at ? (size_t)(at - f->p) : fz_left(f));

        f->p = at ? at + n : f->end;
        return s;
}

/* A NUL-terminated copy of @s (new; the caller frees). */
static inline char *fz_strdup(struct sl_str s) {
        char *c = malloc(s.len + 1);

        if (!c)
                abort();
        if (s.len)
                memcpy(c, s.ptr, s.len);
        c[s.len] = '\0';
        return c;
}

/* The top of the source tree, where pipelines/ and conf/ are. */
static inline const char *fz_source_root(void) {
        const char *env = getenv("SL_SOURCE_ROOT");

        return env && *env ? env : SL_FUZZ_SOURCE_ROOT;
}

#endif
