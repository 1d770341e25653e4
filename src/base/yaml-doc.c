/* yaml-doc.c - see yaml-doc.h.
 *
 * The tree is built from libyaml's event stream with an explicit stack of
 * open containers, so nesting depth never turns into C recursion while
 * parsing; copies and frees recurse, but only as deep as the depth cap.
 */
#include "base/yaml-doc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "base/fs-util.h"
#include "base/xalloc.h"

#define MAX_FILE_SIZE (4u << 20) /* config and pipeline files are small */
#define MAX_DEPTH 256            /* nesting levels, aliases included */
#define MAX_NODES 200000u        /* after alias expansion */
#define INDEX_MIN 16             /* keys of a map before its duplicate check uses a hash */

/* ---- errors -------------------------------------------------------------- */

static int error_setv(struct sl_cfg_error *err, const char *file, unsigned line, unsigned column,
                      const char *key, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static int error_setv(struct sl_cfg_error *err, const char *file, unsigned line, unsigned column,
                      const char *key, const char *fmt, va_list ap) {
        if (!err)
                return -EINVAL;
        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        err->line = line;
        err->column = column;
        snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        return -EINVAL;
}

static int error_at(struct sl_cfg_error *err, const char *file, unsigned line, unsigned column,
                    const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int error_at(struct sl_cfg_error *err, const char *file, unsigned line, unsigned column,
                    const char *key, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(err, file, line, column, key, fmt, ap);
        va_end(ap);
        return r;
}

int sl_cfg_error_set(struct sl_cfg_error *err, const struct sl_yaml_node *node, const char *key,
                     const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(err, node ? node->file : NULL, node ? node->line : 0,
                       node ? node->column : 0, key, fmt, ap);
        va_end(ap);
        return r;
}

void sl_cfg_error_format(const struct sl_cfg_error *err, char *out, size_t size) {
        size_t n = 0;
        int w;

        if (!out || size == 0)
                return;
        out[0] = '\0';
        if (!err)
                return;
/* Appends to @out, stopping (truncated, still terminated) when it is full. */
#define APPEND(...)                                                             \
        do {                                                                    \
                if (n < size) {                                                 \
                        w = snprintf(out + n, size - n, __VA_ARGS__);           \
                        n = w < 0 ? size : n + (size_t)w;                       \
                }                                                               \
        } while (0)
        if (err->file[0]) {
                APPEND("%s", err->file);
                if (err->line > 0) {
                        APPEND(":%u", err->line);
                        if (err->column > 0)
                                APPEND(":%u", err->column);
                }
                APPEND(": ");
        }
        if (err->key[0])
                APPEND("%s: ", err->key);
        APPEND("%s", err->msg);
#undef APPEND
}

/* Writes @text into @out as a short printable quotation for messages: at
 * most ~48 bytes, control bytes shown as '?'. */
static const char *quote_text(const char *text, char *out, size_t size) {
        size_t i, n = 0, max = size > 8 ? size - 5 : 0;

        if (!text)
                text = "";
        for (i = 0; text[i] && n < max; i++)
                out[n++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
        if (text[i] && n >= 3) {
                memcpy(out + n, "...", 3);
                n += 3;
        }
        out[n] = '\0';
        return out;
}

const char *sl_yaml_kind_name(enum sl_yaml_kind kind) {
        switch (kind) {
        case SL_YAML_NULL:
                return "null";
        case SL_YAML_SCALAR:
                return "scalar";
        case SL_YAML_MAP:
                return "map";
        case SL_YAML_SEQ:
                return "sequence";
        }
        return "node";
}

/* "a map", "a sequence", "null" or "\"text\"": what a message says was found. */
static const char *describe(const struct sl_yaml_node *node, char *out, size_t size) {
        char q[56];

        switch (node->kind) {
        case SL_YAML_MAP:
                return "a map";
        case SL_YAML_SEQ:
                return "a sequence";
        case SL_YAML_NULL:
                return "null";
        case SL_YAML_SCALAR:
                break;
        }
        snprintf(out, size, "\"%s\"", quote_text(node->text, q, sizeof(q)));
        return out;
}

/* ---- nodes --------------------------------------------------------------- */

static void node_free(struct sl_yaml_node *node) {
        if (!node)
                return;
        for (size_t i = 0; i < node->count; i++) {
                if (node->keys)
                        node_free(node->keys[i]);
                if (node->values)
                        node_free(node->values[i]);
        }
        free(node->keys);
        free(node->values);
        free(node->text);
        free(node);
}

SL_DEFINE_CLEANUP(struct sl_yaml_node *, node_free)

void sl_yaml_doc_free(struct sl_yaml_doc *doc) {
        if (!doc)
                return;
        node_free(doc->root);
        free(doc->file);
        free(doc);
}

/* ---- name index ----------------------------------------------------------- */

/* Positions in an array of named things (a map's keys, the anchors), found
 * by name in O(1): open addressing on a hash of the name, at most half
 * full. A slot holds a position + 1; 0 is empty. The array owns the names;
 * @name_at reads the name at a position. */
struct name_index {
        uint32_t *slots; /* owned; cap entries, a power of two */
        size_t cap;
        size_t len;      /* positions recorded */
};

typedef const char *name_at_fn(const void *array, size_t pos);

/* FNV-1a of a name (as far as strcmp compares it). */
static uint64_t name_hash(const char *name) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        return h;
}

/* The slot holding @name, or the empty slot where it would go. */
static size_t name_index_slot(const struct name_index *x, const char *name, name_at_fn *name_at,
                              const void *array) {
        size_t mask = x->cap - 1, at = (size_t)name_hash(name) & mask;

        while (x->slots[at] && strcmp(name_at(array, x->slots[at] - 1), name) != 0)
                at = (at + 1) & mask;
        return at;
}

/* The position recorded for @name, or -1. */
static ssize_t name_index_find(const struct name_index *x, const char *name, name_at_fn *name_at,
                               const void *array) {
        if (!x->slots)
                return -1;
        return (ssize_t)x->slots[name_index_slot(x, name, name_at, array)] - 1;
}

/* Records @pos for its name, replacing a position recorded for the same
 * name (the latest wins). */
static void name_index_put(struct name_index *x, size_t pos, name_at_fn *name_at,
                           const void *array) {
        size_t at;

        if ((x->len + 1) * 2 > x->cap) {
                struct name_index grown = { .cap = x->cap ? x->cap * 2 : 64 };

                grown.slots = sl_xcalloc(grown.cap, sizeof(*grown.slots));
                for (size_t i = 0; i < x->cap; i++) {
                        if (x->slots[i]) {
                                grown.slots[name_index_slot(&grown, name_at(array, x->slots[i] - 1),
                                                            name_at, array)] = x->slots[i];
                                grown.len++;
                        }
                }
                free(x->slots);
                *x = grown;
        }
        at = name_index_slot(x, name_at(array, pos), name_at, array);
        if (!x->slots[at])
                x->len++;
        x->slots[at] = (uint32_t)(pos + 1);
}

static void name_index_release(struct name_index *x) {
        free(x->slots);
        *x = (struct name_index){ 0 };
}

/* ---- builder ------------------------------------------------------------- */

struct anchor {
        char *name;                     /* owned */
        const struct sl_yaml_node *node; /* borrowed: a finished node of the tree */
};

/* One container that is being filled. It is attached to its parent only once
 * it is complete, so the frames own their nodes until then. */
struct frame {
        struct sl_yaml_node *node;       /* owned: the map or sequence */
        size_t cap;                      /* capacity of node->keys/values */
        char *anchor;                    /* owned; registered when the node completes */
        struct sl_yaml_node *key;        /* owned; MAP: key waiting for its value */
        bool key_is_merge;               /* MAP: that key is the merge key << */
        struct sl_yaml_node **merges;    /* owned; MAP: values of << in order */
        size_t n_merges;
        size_t cap_merges;
        struct name_index index;         /* owned; MAP: its keys, once it has INDEX_MIN */
};

struct builder {
        const char *file;              /* borrowed: doc->file */
        const char *data;              /* borrowed: the input, for reader error lines */
        struct frame *frames;          /* owned; open containers, outermost first */
        size_t depth;
        size_t cap_frames;
        struct anchor *anchors;        /* owned; latest definition wins */
        size_t n_anchors;
        size_t cap_anchors;
        struct name_index anchor_index; /* owned; the latest anchor of each name */
        struct sl_yaml_node **kept;    /* owned; merge sources and << keys: out of the
                                        * tree, but anchors may still name them */
        size_t n_kept;
        size_t cap_kept;
        size_t n_nodes;                /* nodes created, copies included */
        unsigned n_documents;
        struct sl_yaml_node *root;     /* owned; the finished document */
        struct sl_cfg_error *err;      /* borrowed */
};

static void builder_release(struct builder *b) {
        for (size_t i = 0; i < b->depth; i++) {
                struct frame *f = &b->frames[i];
                node_free(f->node);
                node_free(f->key);
                for (size_t j = 0; j < f->n_merges; j++)
                        node_free(f->merges[j]);
                free(f->merges);
                free(f->anchor);
                name_index_release(&f->index);
        }
        free(b->frames);
        for (size_t i = 0; i < b->n_anchors; i++)
                free(b->anchors[i].name);
        free(b->anchors);
        name_index_release(&b->anchor_index);
        for (size_t i = 0; i < b->n_kept; i++)
                node_free(b->kept[i]);
        free(b->kept);
        node_free(b->root);
}

static void builder_keep(struct builder *b, struct sl_yaml_node *node) {
        if (!node)
                return;
        sl_xgrow((void **)&b->kept, sizeof(*b->kept), &b->cap_kept, b->n_kept + 1);
        b->kept[b->n_kept++] = node;
}

/* The dotted path of what is being built (e.g. "clients[0].url"), with
 * @last appended as a map key when non-NULL. */
static void builder_path(const struct builder *b, const char *last, char *out, size_t size) {
        size_t n = 0;
        int w;

        out[0] = '\0';
        for (size_t i = 0; i < b->depth && n < size; i++) {
                const struct frame *f = &b->frames[i];
                const char *key = NULL;
                char idx[32] = "";

                if (i + 1 < b->depth) {
                        if (f->node->kind == SL_YAML_SEQ)
                                snprintf(idx, sizeof(idx), "[%zu]", f->node->count);
                        else if (f->key)
                                key = f->key->text;
                } else if (last) {
                        key = last;
                }
                if (key)
                        w = snprintf(out + n, size - n, "%s%s", n ? "." : "", key);
                else
                        w = snprintf(out + n, size - n, "%s", idx);
                n = w < 0 ? size : n + (size_t)w;
        }
}

static int builder_error(struct builder *b, const yaml_mark_t *mark, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int builder_error(struct builder *b, const yaml_mark_t *mark, const char *key,
                         const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(b->err, b->file, (unsigned)mark->line + 1, (unsigned)mark->column + 1, key,
                       fmt, ap);
        va_end(ap);
        return r;
}

static int node_error(struct builder *b, const struct sl_yaml_node *node, const char *key,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int node_error(struct builder *b, const struct sl_yaml_node *node, const char *key,
                      const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(b->err, b->file, node->line, node->column, key, fmt, ap);
        va_end(ap);
        return r;
}

/* Counts one more node; @line/@column (1-based) place the error. */
static int count_node(struct builder *b, unsigned line, unsigned column) {
        if (++b->n_nodes > MAX_NODES)
                return error_at(b->err, b->file, line, column, NULL,
                                "document too large: more than %u nodes once aliases are "
                                "expanded", MAX_NODES);
        return 0;
}

static struct sl_yaml_node *node_new(struct builder *b, enum sl_yaml_kind kind,
                                     const yaml_mark_t *mark) {
        struct sl_yaml_node *node = sl_xnew(struct sl_yaml_node);

        node->kind = kind;
        node->file = b->file;
        node->line = (unsigned)mark->line + 1;
        node->column = (unsigned)mark->column + 1;
        return node;
}

/* A deep copy of @src (an anchored node) for an alias met at nesting level
 * @depth, keeping the positions where it was written; @line/@column (the
 * alias) place an error. */
static int node_copy(struct builder *b, const struct sl_yaml_node *src, size_t depth,
                     unsigned line, unsigned column, struct sl_yaml_node **ret) {
        _cleanup_(node_freep) struct sl_yaml_node *node = NULL;
        int r;

        if (depth > MAX_DEPTH)
                return error_at(b->err, b->file, line, column, NULL,
                                "nesting deeper than %u levels once aliases are expanded",
                                MAX_DEPTH);
        r = count_node(b, line, column);
        if (r < 0)
                return r;
        node = sl_xnew(struct sl_yaml_node);
        *node = (struct sl_yaml_node){
                .kind = src->kind,
                .file = src->file,
                .line = src->line,
                .column = src->column,
                .text_len = src->text_len,
                .quoted = src->quoted,
        };
        if (src->text) {
                node->text = sl_xmalloc(src->text_len + 1);
                memcpy(node->text, src->text, src->text_len + 1);
        }
        if (src->count > 0) {
                node->values = sl_xcalloc(src->count, sizeof(*node->values));
                if (src->keys)
                        node->keys = sl_xcalloc(src->count, sizeof(*node->keys));
        }
        for (size_t i = 0; i < src->count; i++) {
                if (src->keys) {
                        r = node_copy(b, src->keys[i], depth + 1, line, column,
                                      &node->keys[i]);
                        if (r < 0)
                                return r;
                }
                /* Count the pair only once both halves exist, so a failure
                 * leaves nothing half-set for node_free. */
                r = node_copy(b, src->values[i], depth + 1, line, column, &node->values[i]);
                node->count++;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(node);
        return 0;
}

static ssize_t map_find(const struct sl_yaml_node *map, const char *key) {
        for (size_t i = 0; i < map->count; i++)
                if (map->keys[i] && strcmp(map->keys[i]->text, key) == 0)
                        return (ssize_t)i;
        return -1;
}

static const char *key_at(const void *map, size_t pos) {
        return ((const struct sl_yaml_node *)map)->keys[pos]->text;
}

/* The position of @key among the keys of @f's map, or -1. Small maps are
 * scanned; from INDEX_MIN keys on, the index answers, so that checking
 * every key of a big map for duplicates is not quadratic. */
static ssize_t frame_find(const struct frame *f, const char *key) {
        if (!f->index.slots)
                return map_find(f->node, key);
        return name_index_find(&f->index, key, key_at, f->node);
}

/* Appends an item (SEQ, @key NULL) or a pair (MAP); takes both nodes. */
static void frame_append(struct frame *f, struct sl_yaml_node *key, struct sl_yaml_node *value) {
        struct sl_yaml_node *n = f->node;
        size_t old_cap = f->cap;

        sl_xgrow((void **)&n->values, sizeof(*n->values), &f->cap, n->count + 1);
        if (n->kind == SL_YAML_MAP) {
                if (f->cap != old_cap || !n->keys)
                        n->keys = sl_xrealloc(n->keys, f->cap * sizeof(*n->keys));
                n->keys[n->count] = key;
                if (n->count + 1 == INDEX_MIN)
                        for (size_t i = 0; i < n->count; i++)
                                name_index_put(&f->index, i, key_at, n);
                if (n->count + 1 >= INDEX_MIN)
                        name_index_put(&f->index, n->count, key_at, n);
        }
        n->values[n->count++] = value;
}

/* Hands a finished @node (owned, also on failure) to the open container, or
 * makes it the document. */
static int builder_add(struct builder *b, struct sl_yaml_node *node) {
        _cleanup_(node_freep) struct sl_yaml_node *owned = node;
        char path[128], what[64], q[56];
        struct frame *f;

        if (b->depth == 0) {
                b->root = TAKE_PTR(owned);
                return 0;
        }
        f = &b->frames[b->depth - 1];
        if (f->node->kind == SL_YAML_SEQ) {
                frame_append(f, NULL, TAKE_PTR(owned));
                return 0;
        }

        if (!f->key) {
                ssize_t i;

                builder_path(b, NULL, path, sizeof(path));
                if (node->kind == SL_YAML_NULL)
                        return node_error(b, node, path, "empty map key; expected a key name");
                if (node->kind != SL_YAML_SCALAR)
                        return node_error(b, node, path, "map keys must be scalars, got %s",
                                          describe(node, what, sizeof(what)));
                if (!node->quoted && strcmp(node->text, "<<") == 0) {
                        f->key_is_merge = true;
                        f->key = TAKE_PTR(owned);
                        return 0;
                }
                i = frame_find(f, node->text);
                if (i >= 0) {
                        builder_path(b, node->text, path, sizeof(path));
                        return node_error(b, node, path,
                                          "duplicate key \"%s\": first at line %u, again at "
                                          "line %u", quote_text(node->text, q, sizeof(q)),
                                          f->node->keys[i]->line, node->line);
                }
                f->key_is_merge = false;
                f->key = TAKE_PTR(owned);
                return 0;
        }

        if (f->key_is_merge) {
                bool ok = node->kind == SL_YAML_MAP;

                if (node->kind == SL_YAML_SEQ) {
                        ok = true;
                        for (size_t i = 0; i < node->count; i++)
                                ok = ok && node->values[i]->kind == SL_YAML_MAP;
                }
                if (!ok) {
                        builder_path(b, "<<", path, sizeof(path));
                        return node_error(b, node, path,
                                          "merge key << expects a map or a sequence of maps "
                                          "(usually an alias such as *defaults), got %s",
                                          describe(node, what, sizeof(what)));
                }
                builder_keep(b, TAKE_PTR(f->key));
                sl_xgrow((void **)&f->merges, sizeof(*f->merges), &f->cap_merges,
                         f->n_merges + 1);
                f->merges[f->n_merges++] = TAKE_PTR(owned);
                return 0;
        }

        frame_append(f, TAKE_PTR(f->key), TAKE_PTR(owned));
        return 0;
}

/* Copies into @f's map every pair of @src whose key the map lacks: keys
 * written in the map win, then earlier merge sources over later ones. */
static int merge_from(struct builder *b, struct frame *f, const struct sl_yaml_node *src,
                      size_t depth) {
        for (size_t i = 0; i < src->count; i++) {
                _cleanup_(node_freep) struct sl_yaml_node *k = NULL;
                _cleanup_(node_freep) struct sl_yaml_node *v = NULL;
                int r;

                if (frame_find(f, src->keys[i]->text) >= 0)
                        continue;
                r = node_copy(b, src->keys[i], depth, src->line, src->column, &k);
                if (r < 0)
                        return r;
                r = node_copy(b, src->values[i], depth, src->line, src->column, &v);
                if (r < 0)
                        return r;
                frame_append(f, TAKE_PTR(k), TAKE_PTR(v));
        }
        return 0;
}

/* Applies the << values of the map in @f (nesting level @depth), then hands
 * them to the builder: anchors may still name them. */
static int frame_apply_merges(struct builder *b, struct frame *f, size_t depth) {
        int r = 0;

        for (size_t i = 0; i < f->n_merges && r >= 0; i++) {
                const struct sl_yaml_node *m = f->merges[i];

                if (m->kind == SL_YAML_MAP)
                        r = merge_from(b, f, m, depth);
                else
                        for (size_t j = 0; j < m->count && r >= 0; j++)
                                r = merge_from(b, f, m->values[j], depth);
        }
        for (size_t i = 0; i < f->n_merges; i++)
                builder_keep(b, f->merges[i]);
        free(f->merges);
        f->merges = NULL;
        f->n_merges = 0;
        return r;
}

static const char *anchor_name_at(const void *anchors, size_t pos) {
        return ((const struct anchor *)anchors)[pos].name;
}

static void anchor_add(struct builder *b, char *name_owned, const struct sl_yaml_node *node) {
        sl_xgrow((void **)&b->anchors, sizeof(*b->anchors), &b->cap_anchors, b->n_anchors + 1);
        b->anchors[b->n_anchors++] = (struct anchor){ .name = name_owned, .node = node };
        name_index_put(&b->anchor_index, b->n_anchors - 1, anchor_name_at, b->anchors);
}

static const struct sl_yaml_node *anchor_find(const struct builder *b, const char *name) {
        ssize_t i = name_index_find(&b->anchor_index, name, anchor_name_at, b->anchors);

        return i < 0 ? NULL : b->anchors[i].node;
}

static bool is_null_text(const char *s) {
        return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
               strcmp(s, "NULL") == 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev) {
        const char *tag = (const char *)ev->data.scalar.tag;
        const char *value = (const char *)ev->data.scalar.value;
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        bool null;
        struct sl_yaml_node *node;
        int r;

        if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
                null = true;
        else if (tag && strcmp(tag, YAML_STR_TAG) == 0)
                null = false;
        else
                null = plain && is_null_text(value);

        r = count_node(b, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1);
        if (r < 0)
                return r;
        node = node_new(b, null ? SL_YAML_NULL : SL_YAML_SCALAR, &ev->start_mark);
        if (!null) {
                node->text = sl_xstrndup(value, ev->data.scalar.length);
                node->text_len = ev->data.scalar.length;
                node->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                               ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        }
        if (ev->data.scalar.anchor)
                anchor_add(b, sl_xstrdup((const char *)ev->data.scalar.anchor), node);
        return builder_add(b, node);
}

static int on_alias(struct builder *b, const yaml_event_t *ev) {
        const char *name = (const char *)ev->data.alias.anchor;
        const struct sl_yaml_node *target = anchor_find(b, name);
        struct sl_yaml_node *copy = NULL;
        int r;

        if (!target) {
                for (size_t i = 0; i < b->depth; i++)
                        if (b->frames[i].anchor && strcmp(b->frames[i].anchor, name) == 0)
                                return builder_error(b, &ev->start_mark, NULL,
                                                     "alias *%s refers to a node that contains "
                                                     "it", name);
                return builder_error(b, &ev->start_mark, NULL,
                                     "alias *%s: no anchor &%s defined before it", name, name);
        }
        r = node_copy(b, target, b->depth, (unsigned)ev->start_mark.line + 1,
                      (unsigned)ev->start_mark.column + 1, &copy);
        if (r < 0) {
                node_free(copy);
                return r;
        }
        return builder_add(b, copy);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum sl_yaml_kind kind,
                    const yaml_char_t *anchor) {
        struct frame *f;
        int r;

        if (b->depth >= MAX_DEPTH)
                return builder_error(b, &ev->start_mark, NULL, "nesting deeper than %u levels",
                                     MAX_DEPTH);
        r = count_node(b, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1);
        if (r < 0)
                return r;
        sl_xgrow((void **)&b->frames, sizeof(*b->frames), &b->cap_frames, b->depth + 1);
        f = &b->frames[b->depth++];
        *f = (struct frame){
                .node = node_new(b, kind, &ev->start_mark),
                .anchor = anchor ? sl_xstrdup((const char *)anchor) : NULL,
        };
        return 0;
}

static int on_end(struct builder *b) {
        struct frame f = b->frames[--b->depth];
        int r;

        /* libyaml always gives a key its value (an empty scalar at least),
         * so f.key is NULL here; freeing it is only for robustness. */
        node_free(f.key);
        r = frame_apply_merges(b, &f, b->depth + 1);
        name_index_release(&f.index);
        if (r < 0) {
                node_free(f.node);
                free(f.anchor);
                return r;
        }
        if (f.anchor)
                anchor_add(b, f.anchor, f.node);
        return builder_add(b, f.node);
}

static unsigned line_of_offset(const char *data, size_t offset, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset && data[i]; i++) {
                if (data[i] == '\n') {
                        line++;
                        column = 1;
                } else {
                        column++;
                }
        }
        *ret_column = column;
        return line;
}

static int parser_error(struct builder *b, const yaml_parser_t *parser) {
        unsigned line, column;

        switch (parser->error) {
        case YAML_MEMORY_ERROR:
                return error_at(b->err, b->file, 0, 0, NULL, "out of memory while parsing");
        case YAML_READER_ERROR:
                line = line_of_offset(b->data, parser->problem_offset, &column);
                if (parser->problem_value != -1)
                        return error_at(b->err, b->file, line, column, NULL,
                                        "%s: #%X at byte %zu", parser->problem,
                                        (unsigned)parser->problem_value,
                                        parser->problem_offset);
                return error_at(b->err, b->file, line, column, NULL, "%s at byte %zu",
                                parser->problem, parser->problem_offset);
        default:
                line = (unsigned)parser->problem_mark.line + 1;
                column = (unsigned)parser->problem_mark.column + 1;
                if (parser->context)
                        return error_at(b->err, b->file, line, column, NULL,
                                        "%s (%s at line %u, column %u)",
                                        parser->problem ? parser->problem : "syntax error",
                                        parser->context,
                                        (unsigned)parser->context_mark.line + 1,
                                        (unsigned)parser->context_mark.column + 1);
                return error_at(b->err, b->file, line, column, NULL, "%s",
                                parser->problem ? parser->problem : "syntax error");
        }
}

/* Runs the event stream into b->root. */
static int build(struct builder *b, yaml_parser_t *parser) {
        for (;;) {
                yaml_event_t ev;
                int r = 0;
                bool done = false;

                if (!yaml_parser_parse(parser, &ev))
                        return parser_error(b, parser);
                switch (ev.type) {
                case YAML_DOCUMENT_START_EVENT:
                        if (b->n_documents++ > 0)
                                r = builder_error(b, &ev.start_mark, NULL,
                                                  "a second YAML document starts here; a "
                                                  "file holds one document (remove the ---)");
                        break;
                case YAML_SCALAR_EVENT:
                        r = on_scalar(b, &ev);
                        break;
                case YAML_ALIAS_EVENT:
                        r = on_alias(b, &ev);
                        break;
                case YAML_SEQUENCE_START_EVENT:
                        r = on_start(b, &ev, SL_YAML_SEQ, ev.data.sequence_start.anchor);
                        break;
                case YAML_MAPPING_START_EVENT:
                        r = on_start(b, &ev, SL_YAML_MAP, ev.data.mapping_start.anchor);
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        r = on_end(b);
                        break;
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
                if (r < 0)
                        return r;
                if (done)
                        return 0;
        }
}

int sl_yaml_doc_parse(const char *name, const char *data, size_t len,
                      struct sl_yaml_doc **ret_doc, struct sl_cfg_error *err) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        struct builder b = { 0 };
        yaml_parser_t parser;
        int r;

        doc = sl_xnew(struct sl_yaml_doc);
        doc->file = sl_xstrdup(name ? name : "");
        if (len > MAX_FILE_SIZE)
                return error_at(err, doc->file, 0, 0, NULL,
                                "file too large (%zu bytes; at most %u)", len, MAX_FILE_SIZE);
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
        b.file = doc->file;
        b.data = data;
        b.err = err;
        r = build(&b, &parser);
        yaml_parser_delete(&parser);
        if (r < 0) {
                builder_release(&b);
                return r;
        }
        doc->root = TAKE_PTR(b.root);
        builder_release(&b);
        if (!doc->root) {
                /* No document at all: an empty file or only comments. */
                doc->root = sl_xnew(struct sl_yaml_node);
                doc->root->kind = SL_YAML_NULL;
                doc->root->file = doc->file;
                doc->root->line = 1;
                doc->root->column = 1;
        }
        *ret_doc = TAKE_PTR(doc);
        return 0;
}

int sl_yaml_doc_load(const char *path, struct sl_yaml_doc **ret_doc, struct sl_cfg_error *err) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = sl_read_file(path, MAX_FILE_SIZE, &data, &len);
        if (r == -EFBIG)
                return error_at(err, path, 0, 0, NULL, "file too large (more than %u bytes)",
                                MAX_FILE_SIZE);
        if (r < 0) {
                error_at(err, path, 0, 0, NULL, "cannot read: %s", strerror(-r));
                return r;
        }
        return sl_yaml_doc_parse(path, data, len, ret_doc, err);
}

/* ---- lookups and checks -------------------------------------------------- */

const struct sl_yaml_node *sl_yaml_get(const struct sl_yaml_node *map, const char *key) {
        ssize_t i;

        if (!map || map->kind != SL_YAML_MAP || !key)
                return NULL;
        i = map_find(map, key);
        return i < 0 ? NULL : map->values[i];
}

static bool is_absent(const struct sl_yaml_node *node) {
        return !node || node->kind == SL_YAML_NULL;
}

int sl_yaml_expect(const struct sl_yaml_node *node, enum sl_yaml_kind kind, const char *key,
                   struct sl_cfg_error *err) {
        char what[64];

        if (is_absent(node) || node->kind == kind)
                return 0;
        return sl_cfg_error_set(err, node, key, "expected a %s, got %s", sl_yaml_kind_name(kind),
                                describe(node, what, sizeof(what)));
}

/* Levenshtein distance of @a and @b, or a large number past 32 bytes. */
static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b), row[33];

        if (la > 32 || lb > 32)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t best = diag + (a[i - 1] != b[j - 1]);
                        best = SL_MIN(best, up + 1);
                        best = SL_MIN(best, row[j - 1] + 1);
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

int sl_yaml_map_check(const struct sl_yaml_node *node, const char *path,
                      const char *const *allowed, struct sl_cfg_error *err) {
        char what[64];

        if (is_absent(node))
                return 0;
        if (node->kind != SL_YAML_MAP)
                return sl_cfg_error_set(err, node, path, "expected a map, got %s",
                                        describe(node, what, sizeof(what)));
        for (size_t i = 0; i < node->count; i++) {
                const struct sl_yaml_node *k = node->keys[i];
                const char *best = NULL;
                size_t best_d = SIZE_MAX, n = 0;
                char list[320], key[128], q[56], hint[96] = "";
                bool known = false;

                for (size_t j = 0; allowed && allowed[j]; j++) {
                        size_t d;
                        if (strcmp(allowed[j], k->text) == 0) {
                                known = true;
                                break;
                        }
                        d = edit_distance(allowed[j], k->text);
                        if (d < best_d) {
                                best_d = d;
                                best = allowed[j];
                        }
                }
                if (known)
                        continue;

                list[0] = '\0';
                for (size_t j = 0; allowed && allowed[j] && n < sizeof(list); j++) {
                        int w = snprintf(list + n, sizeof(list) - n, "%s%s", j ? ", " : "",
                                         allowed[j]);
                        n = w < 0 ? sizeof(list) : n + (size_t)w;
                }
                if (n >= sizeof(list))
                        memcpy(list + sizeof(list) - 4, "...", 4);
                /* Suggest a near miss: a typo of one or two letters. */
                if (best && best_d <= 2 && best_d < strlen(k->text))
                        snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
                if (path && *path)
                        snprintf(key, sizeof(key), "%s.%s", path, k->text);
                else
                        snprintf(key, sizeof(key), "%s", k->text);
                quote_text(k->text, q, sizeof(q));
                if (!allowed || !allowed[0])
                        return sl_cfg_error_set(err, k, key, "unknown key \"%s\" in %s; no keys "
                                                "are accepted here", q,
                                                path && *path ? path : "the top level");
                return sl_cfg_error_set(err, k, key, "unknown key \"%s\" in %s%s; expected one "
                                        "of: %s", q, path && *path ? path : "the top level",
                                        hint, list);
        }
        return 0;
}

/* ---- converters ---------------------------------------------------------- */

/* Fails unless @node is a scalar; @what names the expected value. */
static int want_scalar(const struct sl_yaml_node *node, const char *key, const char *what,
                       struct sl_cfg_error *err) {
        char d[64];

        if (node->kind == SL_YAML_SCALAR)
                return 0;
        return sl_cfg_error_set(err, node, key, "expected %s, got %s", what,
                                describe(node, d, sizeof(d)));
}

int sl_yaml_as_string(const struct sl_yaml_node *node, const char *key, char **ret_new,
                      struct sl_cfg_error *err) {
        int r;

        if (is_absent(node))
                return 0;
        r = want_scalar(node, key, "a string", err);
        if (r < 0)
                return r;
        *ret_new = sl_xstrndup(node->text, node->text_len);
        return 0;
}

int sl_yaml_as_bool(const struct sl_yaml_node *node, const char *key, bool *ret,
                    struct sl_cfg_error *err) {
        static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
                                           "on",   "On",   "ON",   "y",   "Y",   NULL };
        static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
                                          "off",   "Off",   "OFF",   "n",  "N",  NULL };
        char d[64];
        int r;

        if (is_absent(node))
                return 0;
        r = want_scalar(node, key, "true or false", err);
        if (r < 0)
                return r;
        for (size_t i = 0; yes[i]; i++)
                if (strcmp(node->text, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; no[i]; i++)
                if (strcmp(node->text, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return sl_cfg_error_set(err, node, key, "expected true or false, got %s",
                                describe(node, d, sizeof(d)));
}

int sl_yaml_as_int(const struct sl_yaml_node *node, const char *key, int64_t min, int64_t max,
                   int64_t *ret, struct sl_cfg_error *err) {
        const char *s, *p;
        char *end, d[64];
        long long v = 0;
        bool ok;
        int r;

        if (is_absent(node))
                return 0;
        r = want_scalar(node, key, "an integer", err);
        if (r < 0)
                return r;
        s = node->text;
        ok = strlen(s) == node->text_len;
        p = s + (*s == '-' || *s == '+');
        ok = ok && isdigit((unsigned char)*p);
        for (; ok && *p; p++)
                ok = isdigit((unsigned char)*p);
        if (ok) {
                errno = 0;
                v = strtoll(s, &end, 10);
                ok = errno != ERANGE && !*end && v >= min && v <= max;
        }
        if (!ok)
                return sl_cfg_error_set(err, node, key,
                                        "expected an integer from %" PRId64 " to %" PRId64
                                        ", got %s", min, max, describe(node, d, sizeof(d)));
        *ret = v;
        return 0;
}

int sl_yaml_as_duration(const struct sl_yaml_node *node, const char *key, uint64_t *ret_ns,
                        struct sl_cfg_error *err) {
        const char *what = "a duration such as 500ms, 1s or 5m";
        uint64_t v;
        char d[64];
        int r;

        if (is_absent(node))
                return 0;
        r = want_scalar(node, key, what, err);
        if (r < 0)
                return r;
        if (strlen(node->text) != node->text_len || sl_parse_duration(node->text, &v) < 0)
                return sl_cfg_error_set(err, node, key, "expected %s%s, got %s", what,
                                        node->text[0] == '-' ? " (not negative)" : "",
                                        describe(node, d, sizeof(d)));
        *ret_ns = v;
        return 0;
}

int sl_yaml_as_size(const struct sl_yaml_node *node, const char *key, uint64_t *ret_bytes,
                    struct sl_cfg_error *err) {
        const char *what = "a size such as 1048576, 512KiB or 1MB";
        uint64_t v;
        char d[64];
        int r;

        if (is_absent(node))
                return 0;
        r = want_scalar(node, key, what, err);
        if (r < 0)
                return r;
        if (strlen(node->text) != node->text_len || sl_parse_size(node->text, &v) < 0)
                return sl_cfg_error_set(err, node, key, "expected %s, got %s", what,
                                        describe(node, d, sizeof(d)));
        *ret_bytes = v;
        return 0;
}

/* ---- pure parsers -------------------------------------------------------- */

/* The unit at @s (length @len) in ns, or 0 if it is not one. */
static uint64_t duration_unit(const char *s, size_t len) {
        static const struct {
                const char *name;
                uint64_t ns;
        } units[] = {
                { "ns", 1ULL },
                { "us", 1000ULL },
                { "\xc2\xb5s", 1000ULL }, /* U+00B5 micro sign */
                { "\xce\xbcs", 1000ULL }, /* U+03BC Greek small letter mu */
                { "ms", 1000000ULL },
                { "s", 1000000000ULL },
                { "m", 60ULL * 1000000000ULL },
                { "h", 3600ULL * 1000000000ULL },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(units); i++)
                if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
                        return units[i].ns;
        return 0;
}

/* Go's time.ParseDuration, without negative results: [+]("0" | (number
 * unit)+), number = digits[.digits] or .digits; the fraction is scaled the way
 * Go does (in float64), and the total must fit an int64. */
int sl_parse_duration(const char *s, uint64_t *ret_ns) {
        const uint64_t limit = INT64_MAX;
        uint64_t total = 0;
        bool neg = false;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                uint64_t v = 0, frac = 0, unit;
                double scale = 1;
                bool digits = false, overflow_frac = false;
                const char *u;

                while (isdigit((unsigned char)*s)) {
                        unsigned dgt = (unsigned)(*s++ - '0');
                        if (v > (limit - dgt) / 10)
                                return -EINVAL;
                        v = v * 10 + dgt;
                        digits = true;
                }
                if (*s == '.') {
                        s++;
                        while (isdigit((unsigned char)*s)) {
                                unsigned dgt = (unsigned)(*s++ - '0');
                                digits = true;
                                /* Digits past int64 precision are dropped, as Go does. */
                                if (overflow_frac || frac > (limit - dgt) / 10) {
                                        overflow_frac = true;
                                        continue;
                                }
                                frac = frac * 10 + dgt;
                                scale *= 10;
                        }
                }
                if (!digits)
                        return -EINVAL;
                u = s;
                while (*s && *s != '.' && !isdigit((unsigned char)*s))
                        s++;
                unit = duration_unit(u, (size_t)(s - u));
                if (unit == 0)
                        return -EINVAL;
                if (v > limit / unit)
                        return -EINVAL;
                v *= unit;
                if (frac > 0) {
                        double f = (double)frac * ((double)unit / scale);
                        if (f >= 9223372036854775808.0)
                                return -EINVAL;
                        v += (uint64_t)f;
                        if (v > limit)
                                return -EINVAL;
                }
                if (v > limit - total)
                        return -EINVAL;
                total += v;
        }
        if (neg && total > 0)
                return -EINVAL;
        *ret_ns = total;
        return 0;
}

/* go-humanize's ParseBytes, as flagext.ByteSize uses it: the leading run of
 * digits and dots is the number, the rest (spaces trimmed, any case) is the
 * unit. */
int sl_parse_size(const char *s, uint64_t *ret_bytes) {
        static const struct {
                const char *name;
                double mult;
        } units[] = {
                { "", 1 },
                { "b", 1 },
                { "k", 1e3 },
                { "kb", 1e3 },
                { "ki", 0x1p10 },
                { "kib", 0x1p10 },
                { "m", 1e6 },
                { "mb", 1e6 },
                { "mi", 0x1p20 },
                { "mib", 0x1p20 },
                { "g", 1e9 },
                { "gb", 1e9 },
                { "gi", 0x1p30 },
                { "gib", 0x1p30 },
                { "t", 1e12 },
                { "tb", 1e12 },
                { "ti", 0x1p40 },
                { "tib", 0x1p40 },
                { "p", 1e15 },
                { "pb", 1e15 },
                { "pi", 0x1p50 },
                { "pib", 0x1p50 },
                { "e", 1e18 },
                { "eb", 1e18 },
                { "ei", 0x1p60 },
                { "eib", 0x1p60 },
        };
        char num[64], unit[8];
        size_t n = 0, ul = 0;
        const char *p, *end;
        char *num_end;
        double f;

        if (!s)
                return -EINVAL;
        while (isdigit((unsigned char)s[n]) || s[n] == '.')
                n++;
        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = '\0';
        /* The process runs in the C locale, so strtod's decimal point is '.'. */
        f = strtod(num, &num_end);
        if (*num_end)
                return -EINVAL;

        p = s + n;
        end = p + strlen(p);
        while (p < end && isspace((unsigned char)*p))
                p++;
        while (end > p && isspace((unsigned char)end[-1]))
                end--;
        if ((size_t)(end - p) >= sizeof(unit))
                return -EINVAL;
        for (; p < end; p++)
                unit[ul++] = (char)tolower((unsigned char)*p);
        unit[ul] = '\0';

        for (size_t i = 0; i < SL_ARRAY_SIZE(units); i++) {
                if (strcmp(units[i].name, unit) != 0)
                        continue;
                f *= units[i].mult;
                if (!(f < 18446744073709551616.0))
                        return -EINVAL;
                *ret_bytes = (uint64_t)f;
                return 0;
        }
        return -EINVAL;
}
