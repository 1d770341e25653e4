/* yaml-doc.h - a YAML document as a tree of nodes that remember where they
 * were written, and the helpers every config reader uses to validate keys
 * and convert scalars with an error that names file, line and key.
 *
 * Owns: struct sl_yaml_doc owns every node and string of the tree.
 * Calling sequence:
 *   sl_yaml_doc_load()      parses a file (libyaml) into a tree
 *   sl_yaml_map_check()     rejects keys that are not in a table
 *   sl_yaml_get()/sl_yaml_as_*()  read values, filling a struct sl_cfg_error
 *   sl_yaml_doc_free()      frees the tree; every node pointer dies with it
 * Anchors and aliases are resolved by copying the reference (the tree has no
 * shared nodes); merge keys (`<<: *base`) are applied, keys written in the
 * map winning over merged ones. Multi-document streams are refused, as are
 * non-scalar keys and a key written twice in one map (the error names both
 * lines).
 * Limits: files up to 4 MiB, nesting up to 256 levels, at most 200000 nodes
 * after alias expansion (so a "billion laughs" file fails instead of eating
 * memory). A key's duplicate check and an alias's anchor are found by hash,
 * so the time to load grows with the size of the document, not its square.
 * sl_yaml_get() scans the map: readers look up the few keys they know.
 * Absent and null: a key written with no value (`key:`), `~` or plain
 * null/Null/NULL gives an SL_YAML_NULL node; every converter and
 * sl_yaml_map_check() treat it like an absent key (NULL pointer), so a
 * default stays in place. A quoted "null" is a scalar.
 * Threading: no global state; one document per caller.
 */
#ifndef SL_BASE_YAML_DOC_H
#define SL_BASE_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"

enum sl_yaml_kind {
        SL_YAML_NULL,   /* empty value, "~" or "null" */
        SL_YAML_SCALAR, /* any other scalar, kept as text */
        SL_YAML_MAP,
        SL_YAML_SEQ,
};

struct sl_yaml_node {
        enum sl_yaml_kind kind;
        const char *file;          /* borrowed from the doc: where it was read */
        unsigned line;             /* 1-based */
        unsigned column;           /* 1-based */
        char *text;                /* SCALAR: the text, NUL-terminated; else NULL */
        size_t text_len;           /* SCALAR: its length */
        bool quoted;               /* SCALAR: written with quotes (never null) */
        struct sl_yaml_node **keys;   /* MAP: key nodes (scalars), in order */
        struct sl_yaml_node **values; /* MAP: value of keys[i]; SEQ: items */
        size_t count;              /* MAP: pairs; SEQ: items */
};

/* A configuration error: where, which key, and what was expected. */
struct sl_cfg_error {
        char file[256]; /* the file being read, or empty */
        unsigned line;  /* 1-based; 0 when unknown */
        unsigned column;
        char key[128];  /* dotted path of the key, e.g. clients[0].batchwait */
        char msg[512];  /* what is wrong and what was expected */
};

/* Formats "file:line:col: key: msg" into @out (parts that are unknown, such
 * as a line of 0 or an empty key, are left out). */
void sl_cfg_error_format(const struct sl_cfg_error *err, char *out, size_t size);
/* Fills @err from @node's position with @key and a printf message. @node
 * may be NULL (no position), @key may be NULL (no key), @err may be NULL.
 * Returns -EINVAL so a caller can `return sl_cfg_error_set(...)`. */
int sl_cfg_error_set(struct sl_cfg_error *err, const struct sl_yaml_node *node, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct sl_yaml_doc {
        char *file;                 /* owned path of the file */
        struct sl_yaml_node *root;  /* owned tree; NULL-kind node for an empty file */
};

/* Parses @path. On a syntax error fills @err (with libyaml's message and
 * position) and returns -EINVAL; -errno when the file cannot be read. */
int sl_yaml_doc_load(const char *path, struct sl_yaml_doc **ret_doc, struct sl_cfg_error *err);
/* Same, from memory; @name is used in error positions. */
int sl_yaml_doc_parse(const char *name, const char *data, size_t len, struct sl_yaml_doc **ret_doc,
                      struct sl_cfg_error *err);
void sl_yaml_doc_free(struct sl_yaml_doc *doc);
SL_DEFINE_CLEANUP(struct sl_yaml_doc *, sl_yaml_doc_free)

/* The value of @key in @map (borrowed from the doc), or NULL (also when
 * @map is not a map). A key written with no value gives an SL_YAML_NULL node,
 * not NULL. */
const struct sl_yaml_node *sl_yaml_get(const struct sl_yaml_node *map, const char *key);

/* Fails (filling @err, naming @path.key) when @node is not a map, or when it
 * holds a key not in the NULL-terminated @allowed list. A NULL node (the key
 * was absent or empty) passes. */
int sl_yaml_map_check(const struct sl_yaml_node *node, const char *path,
                      const char *const *allowed, struct sl_cfg_error *err);

/* "map", "sequence", "scalar" or "null": for messages. */
const char *sl_yaml_kind_name(enum sl_yaml_kind kind);

/* Fails (filling @err, naming @key) unless @node is of @kind. NULL and
 * SL_YAML_NULL nodes pass, like an absent key. */
int sl_yaml_expect(const struct sl_yaml_node *node, enum sl_yaml_kind kind, const char *key,
                   struct sl_cfg_error *err);

/* Converters: each takes the node (NULL or an SL_YAML_NULL node keeps *ret
 * untouched and returns 0), the dotted @key for messages, and fills @err on a
 * wrong type or value, saying what was expected. Quoted and plain scalars are
 * read alike. *ret is written only on success.
 * sl_yaml_as_string: *ret_new is a new string (caller frees; an old value in
 * *ret_new is not freed). Bools are YAML 1.1's (true/false, yes/no, on/off,
 * y/n in lower, Title or UPPER case), integers are decimal. */
int sl_yaml_as_string(const struct sl_yaml_node *node, const char *key, char **ret_new,
                      struct sl_cfg_error *err);
int sl_yaml_as_bool(const struct sl_yaml_node *node, const char *key, bool *ret,
                    struct sl_cfg_error *err);
int sl_yaml_as_int(const struct sl_yaml_node *node, const char *key, int64_t min, int64_t max,
                   int64_t *ret, struct sl_cfg_error *err);
/* "500ms", "1s", "5m", "1h30m", "1.5s" (Go's time.ParseDuration: units ns,
 * us, µs, ms, s, m, h; a bare "0"; no negatives). In ns, at most INT64_MAX. */
int sl_yaml_as_duration(const struct sl_yaml_node *node, const char *key, uint64_t *ret_ns,
                        struct sl_cfg_error *err);
/* "1MB", "512KiB", "1048576" (bytes; KB/MB/GB are powers of 1000, KiB/MiB/GiB
 * of 1024, as Promtail's flagext.ByteSize reads them through go-humanize's
 * ParseBytes: a decimal number (fraction allowed, "1.5MB"), optional spaces,
 * then a unit in any case: B, K/KB, Ki/KiB, M/MB, Mi/MiB ... up to E/EiB;
 * no unit means bytes; the product is truncated to whole bytes). */
int sl_yaml_as_size(const struct sl_yaml_node *node, const char *key, uint64_t *ret_bytes,
                    struct sl_cfg_error *err);

/* Pure parsers behind the converters. Return 0 or -EINVAL (also on
 * overflow); *ret_* is written only on success. */
int sl_parse_duration(const char *s, uint64_t *ret_ns);
int sl_parse_size(const char *s, uint64_t *ret_bytes);

#endif
