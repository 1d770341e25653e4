/* stage-util.c - see stage-util.h. */
#include "stages/stage-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "core/labels.h"
#include "base/go-regex.h"
#include "stages/go-template.h"

char *sl_stage_key(char *buf, size_t size, const char *path, const char *key) {
        snprintf(buf, size, "%s.%s", path, key);
        return buf;
}

int sl_stage_get_string(const struct sl_yaml_node *conf, const char *path, const char *key,
                        char **ret_new, struct sl_cfg_error *err) {
        const struct sl_yaml_node *node = sl_yaml_get(conf, key);
        char k[160];

        if (!node || node->kind == SL_YAML_NULL)
                return 0;
        sl_stage_key(k, sizeof(k), path, key);
        if (node->kind != SL_YAML_SCALAR)
                return sl_cfg_error_set(err, node, k, "expected a string");
        if (node->text_len == 0)
                return 0;
        free(*ret_new);
        *ret_new = sl_xstrndup(node->text, node->text_len);
        return 0;
}

/* The node of @key, or NULL when it is absent or written as null. */
static const struct sl_yaml_node *get_set(const struct sl_yaml_node *conf, const char *key) {
        const struct sl_yaml_node *node = sl_yaml_get(conf, key);
        return node && node->kind != SL_YAML_NULL ? node : NULL;
}

int sl_stage_get_bool(const struct sl_yaml_node *conf, const char *path, const char *key,
                      bool *ret, struct sl_cfg_error *err) {
        char k[160];
        return sl_yaml_as_bool(get_set(conf, key), sl_stage_key(k, sizeof(k), path, key), ret, err);
}

int sl_stage_get_duration(const struct sl_yaml_node *conf, const char *path, const char *key,
                          uint64_t *ret_ns, struct sl_cfg_error *err) {
        char k[160];
        return sl_yaml_as_duration(get_set(conf, key), sl_stage_key(k, sizeof(k), path, key),
                                   ret_ns, err);
}

int sl_stage_get_size(const struct sl_yaml_node *conf, const char *path, const char *key,
                      uint64_t *ret_bytes, struct sl_cfg_error *err) {
        char k[160];
        return sl_yaml_as_size(get_set(conf, key), sl_stage_key(k, sizeof(k), path, key),
                               ret_bytes, err);
}

void sl_stage_pairs_release(struct sl_stage_pairs *pairs) {
        for (size_t i = 0; i < pairs->n; i++) {
                free(pairs->items[i].name);
                free(pairs->items[i].value);
        }
        free(pairs->items);
        pairs->items = NULL;
        pairs->n = 0;
}

int sl_stage_pairs_read(const struct sl_yaml_node *conf, const char *path,
                        enum sl_stage_pairs_flags flags, struct sl_stage_pairs *ret,
                        struct sl_cfg_error *err) {
        _cleanup_(sl_stage_pairs_release) struct sl_stage_pairs pairs = { NULL, 0 };
        char k[160];

        if (!conf || conf->kind != SL_YAML_MAP || conf->count == 0)
                return sl_cfg_error_set(err, conf, path, "expected a map of at least one name");
        pairs.items = sl_xcalloc(conf->count, sizeof(*pairs.items));
        for (size_t i = 0; i < conf->count; i++) {
                const struct sl_yaml_node *kn = conf->keys[i], *vn = conf->values[i];
                struct sl_stage_pair *pair = &pairs.items[pairs.n];
                const char *name = kn->text ? kn->text : "";

                sl_stage_key(k, sizeof(k), path, name);
                if ((flags & SL_STAGE_PAIRS_LABEL_NAMES) && !sl_label_name_valid(sl_str_c(name)))
                        return sl_cfg_error_set(err, kn, k,
                                                "\"%s\" is not a valid name: use [a-zA-Z_][a-zA-Z0-9_]*",
                                                name);
                if (vn && vn->kind != SL_YAML_NULL && vn->kind != SL_YAML_SCALAR)
                        return sl_cfg_error_set(err, vn, k, "expected a string");
                pair->name = sl_xstrdup(name);
                pair->name_s = sl_str_c(pair->name);
                pairs.n++;
                if (vn && vn->kind == SL_YAML_SCALAR && vn->text_len > 0)
                        pair->value = sl_xstrndup(vn->text, vn->text_len);
                else if (flags & SL_STAGE_PAIRS_VALUE_REQUIRED)
                        return sl_cfg_error_set(err, vn ? vn : kn, k, "a value is required");
                else
                        pair->value = sl_xstrdup(name);
                pair->value_s = sl_str_c(pair->value);
        }
        *ret = pairs;
        pairs = (struct sl_stage_pairs){ NULL, 0 };
        return 0;
}

int sl_stage_pairs_new(const struct sl_yaml_node *conf, const char *path,
                       enum sl_stage_pairs_flags flags, struct sl_cfg_error *err, void **ret_ctx) {
        struct sl_stage_pairs pairs;
        int r;

        r = sl_stage_pairs_read(conf, path, flags, &pairs, err);
        if (r < 0)
                return r;
        *ret_ctx = sl_xnew(struct sl_stage_pairs);
        *(struct sl_stage_pairs *)*ret_ctx = pairs;
        return 0;
}

void sl_stage_pairs_free(void *ctx) {
        struct sl_stage_pairs *pairs = ctx;

        if (!pairs)
                return;
        sl_stage_pairs_release(pairs);
        free(pairs);
}

int sl_stage_compile_regex(const struct sl_yaml_node *node, const char *path, const char *key,
                           const char *pattern, struct sl_go_regex **ret, struct sl_cfg_error *err) {
        char k[160], msg[256];

        if (sl_go_regex_new(pattern, ret, msg, sizeof(msg)) < 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, key), sl_stage_key(k, sizeof(k), path, key),
                                        "cannot compile regular expression \"%s\": %s", pattern, msg);
        return 0;
}

int sl_stage_get_source(const struct sl_yaml_node *conf, const char *path, char **ret_new,
                        struct sl_cfg_error *err) {
        const struct sl_yaml_node *node = sl_yaml_get(conf, "source");
        char k[160];

        if (node && node->kind == SL_YAML_SCALAR && node->text_len == 0)
                return sl_cfg_error_set(err, node, sl_stage_key(k, sizeof(k), path, "source"),
                                        "cannot be empty: name an extracted value, or leave "
                                        "`source` out to use the line");
        return sl_stage_get_string(conf, path, "source", ret_new, err);
}

int sl_stage_compile_template(const struct sl_yaml_node *node, const char *path, const char *key,
                              const char *text, struct sl_go_template **ret,
                              struct sl_cfg_error *err) {
        char k[160], msg[384];

        if (sl_go_template_new(text, ret, msg, sizeof(msg)) < 0)
                return sl_cfg_error_set(err, sl_yaml_get(node, key), sl_stage_key(k, sizeof(k), path, key),
                                        "cannot parse template: %s", msg);
        return 0;
}

void sl_stage_names_free(void *ctx) {
        struct sl_stage_names *names = ctx;

        if (!names)
                return;
        for (size_t i = 0; i < names->n; i++)
                free(names->items[i]);
        free(names->items);
        free(names->slices);
        free(names);
}

int sl_stage_names_new(const struct sl_yaml_node *seq, const char *path, struct sl_cfg_error *err,
                       void **ret_ctx) {
        _cleanup_(sl_stage_names_freep) struct sl_stage_names *names = NULL;
        char k[192];

        if (!seq || seq->kind != SL_YAML_SEQ || seq->count == 0)
                return sl_cfg_error_set(err, seq, path, "expected a list of at least one label name");
        names = sl_xnew(struct sl_stage_names);
        names->items = sl_xcalloc(seq->count, sizeof(*names->items));
        names->slices = sl_xcalloc(seq->count, sizeof(*names->slices));
        for (size_t i = 0; i < seq->count; i++) {
                const struct sl_yaml_node *v = seq->values[i];
                snprintf(k, sizeof(k), "%s[%zu]", path, i);
                if (!v || v->kind != SL_YAML_SCALAR || v->text_len == 0)
                        return sl_cfg_error_set(err, v, k, "expected a label name");
                names->items[names->n] = sl_xstrndup(v->text, v->text_len);
                names->slices[names->n] = sl_str_c(names->items[names->n]);
                names->n++;
        }
        *ret_ctx = TAKE_PTR(names);
        return 0;
}

bool sl_stage_names_has(const struct sl_stage_names *names, struct sl_str name) {
        for (size_t i = 0; i < names->n; i++)
                if (sl_str_eq(names->slices[i], name))
                        return true;
        return false;
}
