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
 * uses it too.
 */
#ifndef SL_STAGES_JSON_SCAN_H
#define SL_STAGES_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

#endif
