/* fuzz-json-diff.c - json-scan against jansson on the same bytes.
 *
 * json-scan promises (json-scan.h) to accept exactly what jansson 2.14's
 * json_loadb() accepts with JSON_DECODE_ANY | JSON_ALLOW_NUL, retried with
 * JSON_DECODE_INT_AS_REAL when an integer overflows, and, for an object, to
 * find the same value at a path as jansson (the last of duplicate keys
 * wins, escaped keys match their decoded form). So, for every input:
 *   - both accept it or both refuse it;
 *   - the top-level types agree, and so does the integer overflow;
 *   - for an object, every top-level key and every key one level below
 *     (up to MAX_PATHS paths) is looked up with json-scan; the value it
 *     finds has jansson's type and value: strings decode to the same
 *     bytes, integers and reals read to the same number, objects and
 *     arrays parse (with jansson) to an equal value.
 * A difference is a crash, so the fuzzer reports it, except the one
 * json-scan.h documents (jansson drops a NUL right after a number or a
 * literal): there the bytes are taken out and the two compared on the rest.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-util.h"
#include "stages/json-scan.h"

#define MAX_PATHS 64

struct path {
        struct sl_str keys[2];  /* slices of jansson's key strings */
        size_t n_keys;
        const json_t *want;     /* jansson's value at the path */
        int slot;
};

static json_t *load(const char *text, size_t len, bool int_as_real, json_error_t *err) {
        size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | (int_as_real ? JSON_DECODE_INT_AS_REAL : 0);

        return json_loadb(text, len, flags, err);
}

static enum sl_json_type type_of(const json_t *j) {
        switch (json_typeof(j)) {
        case JSON_OBJECT: return SL_JSON_OBJECT;
        case JSON_ARRAY: return SL_JSON_ARRAY;
        case JSON_STRING: return SL_JSON_STRING;
        case JSON_INTEGER: return SL_JSON_INTEGER;
        case JSON_REAL: return SL_JSON_REAL;
        case JSON_TRUE: return SL_JSON_TRUE;
        case JSON_FALSE: return SL_JSON_FALSE;
        case JSON_NULL: return SL_JSON_NULL;
        }
        return SL_JSON_ABSENT;
}

/* Checks json-scan's @v against jansson's @want; @real: the document was
 * read with every number as a real. */
static void compare(const struct sl_json_value *v, const json_t *want, bool real, size_t i) {
        enum sl_json_type t = type_of(want);
        char *copy;

        if (real && t == SL_JSON_REAL)
                FUZZ_CHECK(v->type == SL_JSON_REAL || v->type == SL_JSON_INTEGER, "path %zu: type %d, want a number",
                           i, v->type);
        else
                FUZZ_CHECK(v->type == t, "path %zu: type %d, jansson's %d", i, v->type, t);
        switch (t) {
        case SL_JSON_STRING: {
                char *out = malloc(v->len + 8);
                ssize_t n = sl_json_unescape(v->ptr, v->len, out);

                FUZZ_CHECK(n >= 0 && (size_t)n == json_string_length(want) &&
                                   memcmp(out, json_string_value(want), (size_t)n) == 0,
                           "path %zu: string differs", i);
                free(out);
                break;
        }
        case SL_JSON_INTEGER:
                copy = fz_strdup(sl_str_from(v->ptr, v->len));
                FUZZ_CHECK(strtoll(copy, NULL, 10) == json_integer_value(want), "path %zu: integer %s", i, copy);
                free(copy);
                break;
        case SL_JSON_REAL:
                copy = fz_strdup(sl_str_from(v->ptr, v->len));
                FUZZ_CHECK(strtod(copy, NULL) == json_real_value(want), "path %zu: real %s", i, copy);
                free(copy);
                break;
        case SL_JSON_OBJECT:
        case SL_JSON_ARRAY: {
                json_error_t err;
                json_t *sub = load(v->ptr, v->len, real, &err);

                FUZZ_CHECK(sub != NULL, "path %zu: the slice does not parse: %s", i, err.text);
                FUZZ_CHECK(json_equal(sub, want), "path %zu: the slice differs", i);
                json_decref(sub);
                break;
        }
        default:
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *)data;
        char *cleaned = NULL;
        struct sl_json_value values[MAX_PATHS];
        struct path paths[MAX_PATHS];
        struct sl_json_paths *set;
        struct sl_json_doc doc;
        json_error_t err;
        json_t *root;
        const char *key;
        json_t *value;
        bool real = false;
        size_t n = 0;
        int r;

        root = load(text, size, false, &err);
        if (!root && json_error_code(&err) == json_error_numeric_overflow) {
                real = true;
                root = load(text, size, true, &err);
        }
        r = sl_json_scan(NULL, text, size, NULL, &doc);
        /* The documented difference (json-scan.h): jansson drops a NUL right
         * after a number or a literal. Without those bytes, both must agree
         * on the text, and the comparison goes on with it. */
        if (root && r < 0 && memchr(text, '\0', size)) {
                size_t kept = 0;

                cleaned = malloc(size);
                for (size_t i = 0; i < size; i++)
                        if (!(text[i] == '\0' && i > 0 && ((text[i - 1] >= '0' && text[i - 1] <= '9') ||
                                                            (text[i - 1] >= 'a' && text[i - 1] <= 'z'))))
                                cleaned[kept++] = text[i];
                json_decref(root);
                root = load(cleaned, kept, real, &err);
                FUZZ_CHECK(root != NULL, "jansson refuses the text without the NULs after tokens");
                text = cleaned;
                size = kept;
                r = sl_json_scan(NULL, text, size, NULL, &doc);
        }
        FUZZ_CHECK((r == 0) == (root != NULL), "json-scan %s, jansson %s (%s)", r == 0 ? "accepts" : "refuses",
                   root ? "accepts" : "refuses", root ? "" : err.text);
        if (!root) {
                free(cleaned);
                return 0;
        }
        FUZZ_CHECK(doc.int_overflow == real, "integer overflow: json-scan %d, jansson %d", doc.int_overflow, real);
        FUZZ_CHECK(doc.top == type_of(root) || (real && json_is_real(root) && doc.top == SL_JSON_INTEGER),
                   "top type %d, jansson's %d", doc.top, type_of(root));

        if (json_is_object(root)) {
                set = sl_json_paths_new();
                json_object_foreach(root, key, value) {
                        const char *sub_key;
                        json_t *sub;

                        if (n == MAX_PATHS)
                                break;
                        paths[n] = (struct path){ .keys = { sl_str_c(key) }, .n_keys = 1, .want = value };
                        paths[n].slot = sl_json_paths_add(set, paths[n].keys, 1);
                        n++;
                        if (!json_is_object(value))
                                continue;
                        json_object_foreach(value, sub_key, sub) {
                                if (n == MAX_PATHS)
                                        break;
                                paths[n] = (struct path){ .keys = { sl_str_c(key), sl_str_c(sub_key) },
                                                          .n_keys = 2, .want = sub };
                                paths[n].slot = sl_json_paths_add(set, paths[n].keys, 2);
                                n++;
                        }
                }
                FUZZ_CHECK(sl_json_scan(set, text, size, values, &doc) == 0, "refused once paths are asked");
                for (size_t i = 0; i < n; i++)
                        compare(&values[paths[i].slot], paths[i].want, real, i);
                sl_json_paths_free(set);
        }
        json_decref(root);
        free(cleaned);
        return 0;
}
