/* stage-util.h - what several stages share: reading their options with
 * errors that name pipeline_stages[i].<stage>.<key>, and the "name: source"
 * maps of the labels and structured_metadata stages.
 *
 * Used at create time only (it allocates). Owns nothing beyond what it
 * returns: strings are new (free(3)), a struct sl_stage_pairs is released
 * with sl_stage_pairs_release().
 */
#ifndef SL_STAGES_STAGE_UTIL_H
#define SL_STAGES_STAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"
#include "base/yaml-doc.h"

/* Writes "<path>.<key>" into @buf and returns @buf. */
char *sl_stage_key(char *buf, size_t size, const char *path, const char *key);

/* Reads the scalar @key of @conf into *@ret_new (a new string), keeping
 * *@ret_new as it is when the key is absent or null. An empty string counts
 * as absent. Returns 0 or -EINVAL with @err filled. */
int sl_stage_get_string(const struct sl_yaml_node *conf, const char *path, const char *key,
                        char **ret_new, struct sl_cfg_error *err);

/* The same for a bool, a duration (ns) and a size (bytes), through the
 * yaml-doc converters. */
int sl_stage_get_bool(const struct sl_yaml_node *conf, const char *path, const char *key,
                      bool *ret, struct sl_cfg_error *err);
int sl_stage_get_duration(const struct sl_yaml_node *conf, const char *path, const char *key,
                          uint64_t *ret_ns, struct sl_cfg_error *err);
int sl_stage_get_size(const struct sl_yaml_node *conf, const char *path, const char *key,
                      uint64_t *ret_bytes, struct sl_cfg_error *err);

/* Reads `source` as sl_stage_get_string() does, but refuses an empty
 * string, as Promtail does ("source: ''" names nothing). */
int sl_stage_get_source(const struct sl_yaml_node *conf, const char *path, char **ret_new,
                        struct sl_cfg_error *err);

struct sl_go_regex;
/* Compiles @pattern (Go RE2 syntax, go-regex.h), the value of @key in
 * @node; an error names <path>.<key> and says why. */
int sl_stage_compile_regex(const struct sl_yaml_node *node, const char *path, const char *key,
                           const char *pattern, struct sl_go_regex **ret, struct sl_cfg_error *err);

struct sl_go_template;
/* Parses the Go template @text, the value of @key in @node; an error names
 * <path>.<key> and says what is wrong (an unknown function by name). */
int sl_stage_compile_template(const struct sl_yaml_node *node, const char *path, const char *key,
                              const char *text, struct sl_go_template **ret,
                              struct sl_cfg_error *err);

struct sl_stage_pair {
        char *name;          /* owned: the label / metadata / extracted name */
        char *value;         /* owned: the source key, or the fixed value */
        struct sl_str name_s;  /* slice of name, for the hot path */
        struct sl_str value_s; /* slice of value, for the hot path */
        size_t hint;           /* where value_s was found among the extracted
                                * values last time (sl_kvs_get_hinted()) */
};

struct sl_stage_pairs {
        struct sl_stage_pair *items; /* owned array */
        size_t n;                    /* items in use */
};

enum sl_stage_pairs_flags {
        SL_STAGE_PAIRS_LABEL_NAMES = 1 << 0,    /* names must match [a-zA-Z_][a-zA-Z0-9_]* */
        SL_STAGE_PAIRS_VALUE_REQUIRED = 1 << 1, /* a null/empty value is an error, not "same name" */
};

/* Reads a map `name: value` (@conf, described by @path in errors) into
 * @ret. A null or empty value means "the same as the name" unless
 * SL_STAGE_PAIRS_VALUE_REQUIRED. An empty map is an error: the stage would
 * do nothing. Returns 0 or -EINVAL with @err filled; @ret is written only
 * on success. */
int sl_stage_pairs_read(const struct sl_yaml_node *conf, const char *path,
                        enum sl_stage_pairs_flags flags, struct sl_stage_pairs *ret,
                        struct sl_cfg_error *err);
void sl_stage_pairs_release(struct sl_stage_pairs *pairs);

/* For stages whose whole context is a struct sl_stage_pairs (labels,
 * structured_metadata, static_labels): reads @conf as sl_stage_pairs_read
 * does into a new context (a stage's create), and frees one (a stage's
 * destroy; NULL is a no-op). */
int sl_stage_pairs_new(const struct sl_yaml_node *conf, const char *path,
                       enum sl_stage_pairs_flags flags, struct sl_cfg_error *err, void **ret_ctx);
void sl_stage_pairs_free(void *ctx);

/* A list of names (labeldrop, labelallow, pack's labels). */
struct sl_stage_names {
        char **items;          /* owned strings */
        struct sl_str *slices; /* owned array: slices of items */
        size_t n;
};

/* Reads the YAML sequence @seq (described by @path) into a new struct
 * sl_stage_names in *@ret_ctx; an empty list or a non-string item is an
 * error. */
int sl_stage_names_new(const struct sl_yaml_node *seq, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx);
/* NULL is a no-op. */
void sl_stage_names_free(void *ctx);
static inline void sl_stage_names_freep(struct sl_stage_names **p) {
        sl_stage_names_free(*p);
}
bool sl_stage_names_has(const struct sl_stage_names *names, struct sl_str name);

#endif
