/* fuzz-json-scan.c - json-scan's public functions on hostile bytes.
 *
 * Input: a first line of paths ("level;req.method;a.b.c": paths split at
 * ';', keys at '.'), then the JSON text. Checks, beyond the sanitizers:
 *   - the verdict does not depend on the paths asked for;
 *   - a path added again gets its slot back;
 *   - every value found lies inside the text, and a string found decodes
 *     (sl_json_unescape) without error, to at most its length;
 *   - sl_json_unescape() of the whole text as a string body, and
 *     sl_json_decode_escape() at each backslash, stay in bounds and agree;
 *   - sl_json_string_stop() and sl_json_specials8() agree with a byte by
 *     byte reading, in both modes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-util.h"
#include "stages/json-scan.h"

#define MAX_PATHS 16

static void check_string_helpers(const char *text, size_t len) {
        for (int mode = 0; mode < 2; mode++) {
                const char *stop = sl_json_string_stop(text, text + len, mode);
                const char *want = text;

                while (want < text + len && !sl_json_special_byte(*want, mode))
                        want++;
                FUZZ_CHECK(stop == want, "string_stop mode %d at %td, want %td", mode, stop - text,
                           want - text);
                for (size_t i = 0; i + 8 <= len && i < 64; i++) {
                        uint64_t mask = sl_json_specials8(text + i, mode);
                        for (size_t k = 0; k < 8; k++)
                                FUZZ_CHECK(((mask >> (8 * k + 7)) & 1) == sl_json_special_byte(text[i + k], mode),
                                           "specials8 byte %zu of word at %zu, mode %d", k, i, mode);
                }
        }
}

static void check_unescape(const char *text, size_t len) {
        char *out = malloc(len + 8), *one = malloc(len + 8);
        ssize_t n = sl_json_unescape(text, len, out);

        FUZZ_CHECK(n == -EINVAL || (n >= 0 && (size_t)n <= len), "unescape gave %zd of %zu", n, len);
        /* Decoding escape by escape gives the same bytes. */
        if (n >= 0) {
                const char *p = text, *end = text + len;
                char *o = one;

                while (p < end) {
                        if (*p != '\\') {
                                *o++ = *p++;
                                continue;
                        }
                        p = sl_json_decode_escape(p, end, &o);
                        FUZZ_CHECK(p != NULL, "an escape unescape accepted is refused alone");
                }
                FUZZ_CHECK(o - one == n && memcmp(one, out, (size_t)n) == 0, "decode_escape differs");
        }
        free(out);
        free(one);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str spec = fz_until(&in, '\n');
        const char *text = in.p;
        size_t len = fz_left(&in);
        _cleanup_(sl_json_paths_freep) struct sl_json_paths *paths = sl_json_paths_new();
        struct sl_json_value values[MAX_PATHS];
        struct sl_json_doc doc, doc_alone;
        struct fz specs = { spec.ptr, spec.ptr + spec.len };
        int slots[MAX_PATHS], r, r_alone;
        size_t n_paths = 0;

        while (!fz_empty(&specs) && n_paths < MAX_PATHS) {
                struct sl_str path = fz_until(&specs, ';');
                struct fz keys_in = { path.ptr, path.ptr + path.len };
                struct sl_str keys[SL_JSON_PATH_MAX_KEYS + 1];
                size_t n_keys = 0;

                while (n_keys <= SL_JSON_PATH_MAX_KEYS) {
                        keys[n_keys++] = fz_until(&keys_in, '.');
                        if (fz_empty(&keys_in))
                                break;
                }
                r = sl_json_paths_add(paths, keys, n_keys);
                if (n_keys > SL_JSON_PATH_MAX_KEYS) {
                        FUZZ_CHECK(r == -EINVAL, "a path of %zu keys was added", n_keys);
                        continue;
                }
                FUZZ_CHECK(r >= 0 && (size_t)r <= n_paths, "slot %d with %zu paths", r, n_paths);
                FUZZ_CHECK(sl_json_paths_add(paths, keys, n_keys) == r, "a path added again moved");
                slots[n_paths++] = r;
        }
        FUZZ_CHECK(sl_json_paths_count(paths) <= n_paths, "more slots than paths");

        r = sl_json_scan(paths, text, len, values, &doc);
        r_alone = sl_json_scan(NULL, text, len, NULL, &doc_alone);
        FUZZ_CHECK(r == r_alone, "verdict %d with paths, %d without", r, r_alone);
        FUZZ_CHECK(r == 0 || r == -EINVAL, "scan returned %d", r);
        if (r == 0) {
                FUZZ_CHECK(doc.top == doc_alone.top && doc.int_overflow == doc_alone.int_overflow,
                           "the document differs with paths");
                for (size_t i = 0; i < sl_json_paths_count(paths); i++) {
                        const struct sl_json_value *v = &values[i];

                        if (v->type == SL_JSON_ABSENT)
                                continue;
                        FUZZ_CHECK(v->ptr >= text && v->ptr + v->len <= text + len, "value %zu out of the text", i);
                        if (v->type == SL_JSON_STRING) {
                                char *out = malloc(v->len + 8);
                                ssize_t n = sl_json_unescape(v->ptr, v->len, out);

                                FUZZ_CHECK(n >= 0 && (size_t)n <= v->len, "a scanned string does not decode");
                                FUZZ_CHECK(v->escaped == (memchr(v->ptr, '\\', v->len) != NULL),
                                           "escaped flag of value %zu", i);
                                free(out);
                        }
                }
        }
        (void)slots;
        check_unescape(text, len);
        check_string_helpers(text, len);
        return 0;
}
