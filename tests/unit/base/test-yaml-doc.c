/* test-yaml-doc.c - the YAML tree (positions, nulls, anchors, merges, errors),
 * key checks, converters and the duration/size parsers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/yaml-doc.h"
#include "sl-test.h"

/* Parses @text or fails the test with the formatted error. */
static struct sl_yaml_doc *parse_ok(const char *text) {
        struct sl_yaml_doc *doc = NULL;
        struct sl_cfg_error err = { 0 };
        char msg[1024];
        int r = sl_yaml_doc_parse("t.yaml", text, strlen(text), &doc, &err);

        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_msg(r == 0, "parse failed (%d): %s", r, msg);
        ck_assert_ptr_nonnull(doc);
        ck_assert_ptr_nonnull(doc->root);
        return doc;
}

/* Parses @text expecting a failure; returns the formatted error in @msg. */
static void parse_fail(const char *text, struct sl_cfg_error *err, char *msg, size_t size) {
        struct sl_yaml_doc *doc = NULL;
        int r;

        memset(err, 0, sizeof(*err));
        r = sl_yaml_doc_parse("t.yaml", text, strlen(text), &doc, err);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_null(doc);
        sl_cfg_error_format(err, msg, size);
}

static const struct sl_yaml_node *at(const struct sl_yaml_node *map, const char *key) {
        const struct sl_yaml_node *n = sl_yaml_get(map, key);
        ck_assert_msg(n != NULL, "key %s missing", key);
        return n;
}

START_TEST(test_positions_and_kinds) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "# comment\n"
                "server:\n"
                "  port: 9080\n"
                "  name: \"quoted\"\n"
                "list:\n"
                "  - a\n"
                "  - {x: 1, y: [2, 3]}\n"
                "text: |\n"
                "  line1\n"
                "  line2\n");
        const struct sl_yaml_node *root = doc->root, *server, *list, *item, *y;

        ck_assert_int_eq(root->kind, SL_YAML_MAP);
        ck_assert_uint_eq(root->count, 3);
        ck_assert_str_eq(root->keys[0]->text, "server");
        ck_assert_uint_eq(root->keys[0]->line, 2);
        ck_assert_uint_eq(root->keys[0]->column, 1);
        ck_assert_str_eq(root->file, "t.yaml");

        server = at(root, "server");
        ck_assert_int_eq(server->kind, SL_YAML_MAP);
        ck_assert_uint_eq(server->line, 3);
        ck_assert_uint_eq(server->column, 3);
        ck_assert_str_eq(at(server, "port")->text, "9080");
        ck_assert_uint_eq(at(server, "port")->text_len, 4);
        ck_assert_uint_eq(at(server, "port")->line, 3);
        ck_assert_uint_eq(at(server, "port")->column, 9);
        ck_assert(!at(server, "port")->quoted);
        ck_assert_str_eq(at(server, "name")->text, "quoted");
        ck_assert(at(server, "name")->quoted);
        ck_assert_ptr_null(sl_yaml_get(server, "missing"));
        ck_assert_ptr_null(sl_yaml_get(at(server, "port"), "port"));
        ck_assert_ptr_null(sl_yaml_get(NULL, "port"));

        list = at(root, "list");
        ck_assert_int_eq(list->kind, SL_YAML_SEQ);
        ck_assert_uint_eq(list->count, 2);
        ck_assert_ptr_null(list->keys);
        ck_assert_str_eq(list->values[0]->text, "a");
        ck_assert_uint_eq(list->values[0]->line, 6);
        ck_assert_uint_eq(list->values[0]->column, 5);
        item = list->values[1];
        ck_assert_int_eq(item->kind, SL_YAML_MAP);
        ck_assert_uint_eq(item->line, 7);
        ck_assert_uint_eq(item->column, 5);
        y = at(item, "y");
        ck_assert_int_eq(y->kind, SL_YAML_SEQ);
        ck_assert_str_eq(y->values[1]->text, "3");
        ck_assert_uint_eq(y->values[1]->column, 19);

        ck_assert_str_eq(at(root, "text")->text, "line1\nline2\n");
        ck_assert(!at(root, "text")->quoted);
}
END_TEST

START_TEST(test_nulls) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "empty:\n"
                "tilde: ~\n"
                "lower: null\n"
                "title: Null\n"
                "upper: NULL\n"
                "quoted: \"null\"\n"
                "single: ''\n"
                "mixed: nULL\n"
                "tagged: !!str null\n"
                "block: |\n"
                "next: 1\n");
        const struct sl_yaml_node *root = doc->root;
        const char *nulls[] = { "empty", "tilde", "lower", "title", "upper" };

        for (size_t i = 0; i < SL_ARRAY_SIZE(nulls); i++) {
                const struct sl_yaml_node *n = at(root, nulls[i]);
                ck_assert_msg(n->kind == SL_YAML_NULL, "%s is not null", nulls[i]);
                ck_assert_ptr_null(n->text);
                ck_assert(!n->quoted);
        }
        ck_assert_int_eq(at(root, "quoted")->kind, SL_YAML_SCALAR);
        ck_assert_str_eq(at(root, "quoted")->text, "null");
        ck_assert_int_eq(at(root, "single")->kind, SL_YAML_SCALAR);
        ck_assert_str_eq(at(root, "single")->text, "");
        ck_assert_int_eq(at(root, "mixed")->kind, SL_YAML_SCALAR);
        ck_assert_int_eq(at(root, "tagged")->kind, SL_YAML_SCALAR);
        ck_assert_int_eq(at(root, "block")->kind, SL_YAML_SCALAR);
        ck_assert_str_eq(at(root, "block")->text, "");
}
END_TEST

START_TEST(test_empty_documents) {
        const char *texts[] = { "", "# only a comment\n", "---\n", "\n\n" };

        for (size_t i = 0; i < SL_ARRAY_SIZE(texts); i++) {
                _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(texts[i]);
                ck_assert_int_eq(doc->root->kind, SL_YAML_NULL);
                ck_assert_uint_ge(doc->root->line, 1);
        }
}
END_TEST

START_TEST(test_anchors_are_copies) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "base: &b\n"
                "  url: http://x\n"
                "  list: [1, 2]\n"
                "copy: *b\n"
                "word: &w hello\n"
                "again: *w\n");
        const struct sl_yaml_node *base = at(doc->root, "base"), *copy = at(doc->root, "copy");

        ck_assert_int_eq(copy->kind, SL_YAML_MAP);
        ck_assert_ptr_ne(copy, base);
        ck_assert_ptr_ne(at(copy, "list"), at(base, "list"));
        ck_assert_str_eq(at(copy, "url")->text, "http://x");
        ck_assert_ptr_ne(at(copy, "url")->text, at(base, "url")->text);
        /* A copy keeps the position where the value was written. */
        ck_assert_uint_eq(at(copy, "url")->line, 2);
        ck_assert_uint_eq(at(copy, "list")->count, 2);
        ck_assert_str_eq(at(doc->root, "again")->text, "hello");
}
END_TEST

/* Many anchors, each used once (a case that was quadratic while every alias
 * scanned the anchors), and anchors defined again: an alias names the
 * latest definition before it. */
START_TEST(test_many_anchors) {
        const size_t n = 45000;
        size_t cap = n * 48 + 64, len = 0;
        _cleanup_free_ char *text = sl_xmalloc(cap);
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        const struct sl_yaml_node *a, *b;

        len += (size_t)snprintf(text + len, cap - len, "a:\n");
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, cap - len, "  k%zu: &a%zu v%zu\n", i, i, i);
        len += (size_t)snprintf(text + len, cap - len, "  again: &a7 redefined\nb:\n");
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, cap - len, "  - *a%zu\n", i);
        doc = parse_ok(text);
        a = at(doc->root, "a");
        b = at(doc->root, "b");
        ck_assert_uint_eq(b->count, n);
        ck_assert_str_eq(b->values[0]->text, "v0");
        ck_assert_str_eq(b->values[7]->text, "redefined");
        ck_assert_str_eq(b->values[8]->text, "v8");
        ck_assert_str_eq(b->values[n - 1]->text, "v44999");
        ck_assert_str_eq(at(a, "k7")->text, "v7");
}
END_TEST

START_TEST(test_merge_keys) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "defaults: &d {batchwait: 1s, timeout: 10s}\n"
                "more: &m {tenant_id: a, timeout: 99s}\n"
                "client:\n"
                "  <<: [*d, *m]\n"
                "  url: http://x\n"
                "  batchwait: 2s\n");
        const struct sl_yaml_node *c = at(doc->root, "client");

        ck_assert_ptr_null(sl_yaml_get(c, "<<"));
        ck_assert_uint_eq(c->count, 4);
        ck_assert_str_eq(at(c, "batchwait")->text, "2s"); /* written here wins */
        ck_assert_str_eq(at(c, "timeout")->text, "10s");  /* earlier source wins */
        ck_assert_str_eq(at(c, "tenant_id")->text, "a");
        ck_assert_str_eq(at(c, "url")->text, "http://x");
}
END_TEST

START_TEST(test_merge_source_anchor_stays_usable) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "a:\n"
                "  <<: &inner {k: v}\n"
                "b: *inner\n");

        ck_assert_str_eq(at(at(doc->root, "a"), "k")->text, "v");
        ck_assert_str_eq(at(at(doc->root, "b"), "k")->text, "v");
}
END_TEST

/* "k0: 0\n" ... for @n keys, indented by @indent spaces; a new string. */
static char *many_keys(size_t n, unsigned indent, const char *first_line) {
        size_t cap = strlen(first_line) + n * (indent + 24) + 1, len;
        char *text = sl_xmalloc(cap);

        len = (size_t)snprintf(text, cap, "%s", first_line);
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, cap - len, "%*sk%zu: %zu\n", (int)indent, "", i, i);
        return text;
}

/* Maps of 95,000 keys (one took 15 to 23 s to load while each key was
 * compared with all before it) load well within this case's timeout, on a
 * loaded machine and under sanitizers too, and every key is there. Three
 * documents: a tenth of a second each when loading is linear, over 45 s
 * in all when it is quadratic, so such a regression fails at the timeout
 * whatever the machine. */
START_TEST(test_big_map_loads) {
        _cleanup_free_ char *text = many_keys(95000, 2, "labels:\n");

        for (int round = 0; round < 3; round++) {
                _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(text);
                const struct sl_yaml_node *m = at(doc->root, "labels");

                ck_assert_uint_eq(m->count, 95000);
                for (size_t i = 0; i < m->count; i += 997) {
                        char key[32];
                        snprintf(key, sizeof(key), "k%zu", i);
                        ck_assert_str_eq(m->keys[i]->text, key);
                        ck_assert_uint_eq(strtoul(m->values[i]->text, NULL, 10), i);
                }
        }
}
END_TEST

/* Duplicates are found at every position of a map, below and past the
 * size where the check starts using a hash. */
START_TEST(test_duplicates_at_every_position) {
        for (size_t n = 1; n <= 40; n++) {
                _cleanup_free_ char *text = many_keys(n, 0, "");

                for (size_t dup = 0; dup < n; dup++) {
                        _cleanup_free_ char *with = NULL;
                        struct sl_cfg_error err;
                        char msg[1024], want[96];

                        ck_assert_int_gt(asprintf(&with, "%sk%zu: again\n", text, dup), 0);
                        parse_fail(with, &err, msg, sizeof(msg));
                        snprintf(want, sizeof(want), "duplicate key \"k%zu\": first at line %zu, again at line %zu",
                                 dup, dup + 1, n + 1);
                        if (!strstr(msg, want))
                                ck_abort_msg("%zu keys, k%zu again: %s", n, dup, msg);
                }
        }
}
END_TEST

/* ... and at the end of a big map, with both lines named. */
START_TEST(test_duplicate_in_big_map) {
        _cleanup_free_ char *text = many_keys(90000, 2, "m:\n");
        _cleanup_free_ char *with = NULL;
        struct sl_cfg_error err;
        char msg[1024];

        ck_assert_int_gt(asprintf(&with, "%s  k89999: again\n", text), 0);
        parse_fail(with, &err, msg, sizeof(msg));
        ck_assert_msg(strstr(msg, "m.k89999: duplicate key \"k89999\": first at line 90001, again at line 90002"),
                      "%s", msg);
}
END_TEST

/* Merges into a map with many keys: written keys still win, and the merged
 * ones are found by later duplicate checks of merged keys. */
START_TEST(test_merge_into_big_map) {
        _cleanup_free_ char *base = many_keys(300, 2, "base: &b\n");
        _cleanup_free_ char *text = NULL;
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        const struct sl_yaml_node *m;

        /* "over" writes k0..k199 itself and merges *b twice (the second
         * source adds nothing). */
        {
                _cleanup_free_ char *own = many_keys(200, 2, "over:\n  <<: [*b, *b]\n");
                size_t len = strlen(base) + strlen(own) + 1;
                text = sl_xmalloc(len);
                snprintf(text, len, "%s%s", base, own);
        }
        doc = parse_ok(text);
        m = at(doc->root, "over");
        ck_assert_uint_eq(m->count, 300);
        ck_assert_str_eq(at(m, "k5")->text, "5");
        ck_assert_uint_eq(at(m, "k5")->line, 309);   /* written in over */
        ck_assert_uint_eq(at(m, "k250")->line, 252); /* merged from base */
}
END_TEST

struct error_case {
        const char *text;
        unsigned line;      /* expected error line */
        const char *substr; /* expected in the formatted message */
};

START_TEST(test_errors) {
        static const struct error_case cases[] = {
                /* libyaml's own problems, with position */
                { "a: 1\nb: [1, 2\n", 3, "did not find expected" },
                { "a:\n  b: 1\n c: 2\n", 3, "t.yaml:3:" },
                { "key: \"unterminated\n", 2, "found unexpected end of stream" },
                { "a: 1\n\tb: 2\n", 2, "t.yaml:2:" },
                /* ours */
                { "a: 1\n---\nb: 2\n", 2, "second YAML document" },
                { "url: a\nbatchwait: 1s\nurl: b\n", 3,
                  "url: duplicate key \"url\": first at line 1, again at line 3" },
                { "clients:\n  - url: a\n    url: b\n", 3, "clients[0].url: duplicate key" },
                { "? [a, b]\n: c\n", 1, "map keys must be scalars" },
                { "? {a: 1}\n: c\n", 1, "map keys must be scalars" },
                { "a: 1\n?\n: c\n", 2, "empty map key" },
                { "a: *nope\n", 1, "alias *nope: no anchor &nope" },
                { "a: &x [1, *x]\n", 1, "refers to a node that contains it" },
                { "a: {<<: 5}\n", 1, "merge key << expects a map" },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                struct sl_cfg_error err;
                char msg[1024];

                parse_fail(cases[i].text, &err, msg, sizeof(msg));
                ck_assert_msg(strstr(msg, cases[i].substr), "case %zu: \"%s\" lacks \"%s\"", i,
                              msg, cases[i].substr);
                ck_assert_msg(err.line == cases[i].line, "case %zu: line %u, wanted %u (%s)", i,
                              err.line, cases[i].line, msg);
                ck_assert_msg(err.column >= 1, "case %zu: no column", i);
                ck_assert_str_eq(err.file, "t.yaml");
        }
}
END_TEST

START_TEST(test_alias_bomb_is_refused) {
        /* Ten levels of ten aliases each would be 10^10 nodes. */
        char text[2048];
        size_t n = 0;
        struct sl_cfg_error err;
        char msg[1024];

        n += (size_t)snprintf(text + n, sizeof(text) - n, "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n,
                                      "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, "
                                      "*l%d, *l%d]\n", i, i, i - 1, i - 1, i - 1, i - 1, i - 1,
                                      i - 1, i - 1, i - 1, i - 1, i - 1);
        parse_fail(text, &err, msg, sizeof(msg));
        ck_assert_msg(strstr(msg, "document too large"), "%s", msg);
}
END_TEST

START_TEST(test_deep_nesting_is_refused) {
        size_t depth = 1000;
        char *text = sl_xmalloc(2 * depth + 2);
        struct sl_cfg_error err;
        char msg[1024];

        memset(text, '[', depth);
        memset(text + depth, ']', depth);
        text[2 * depth] = '\n';
        text[2 * depth + 1] = '\0';
        parse_fail(text, &err, msg, sizeof(msg));
        ck_assert_msg(strstr(msg, "nesting deeper than"), "%s", msg);
        free(text);
}
END_TEST

START_TEST(test_load_file) {
        _cleanup_free_ char *dir = sl_test_tmpdir();
        _cleanup_free_ char *path = sl_xasprintf("%s/c.yaml", dir);
        _cleanup_free_ char *missing = sl_xasprintf("%s/none.yaml", dir);
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        struct sl_yaml_doc *none = NULL;
        struct sl_cfg_error err = { 0 };
        const char *text = "a: 1\n";

        sl_test_write_file(path, text, strlen(text));
        ck_assert_int_eq(sl_yaml_doc_load(path, &doc, &err), 0);
        ck_assert_str_eq(doc->file, path);
        ck_assert_str_eq(doc->root->file, path);
        ck_assert_str_eq(at(doc->root, "a")->text, "1");
        ck_assert_int_eq(sl_yaml_doc_load(missing, &none, &err), -ENOENT);
        ck_assert_ptr_null(none);
        ck_assert_str_eq(err.file, missing);
        sl_test_rmtree(dir);
        sl_yaml_doc_free(NULL);
}
END_TEST

START_TEST(test_map_check) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "clients:\n"
                "  - url: http://x\n"
                "    batchwiat: 1s\n"
                "  - url: http://y\n"
                "    zzzzzz: 1\n"
                "list: [1]\n"
                "empty:\n");
        static const char *const allowed[] = { "url", "tenant_id", "batchwait", "batchsize", NULL };
        const struct sl_yaml_node *clients = at(doc->root, "clients");
        struct sl_cfg_error err = { 0 };
        char msg[1024];

        ck_assert_int_eq(sl_yaml_map_check(clients->values[0], "clients[0]", allowed, &err),
                         -EINVAL);
        sl_cfg_error_format(&err, msg, sizeof(msg));
        ck_assert_str_eq(msg, "t.yaml:3:5: clients[0].batchwiat: unknown key \"batchwiat\" in "
                              "clients[0] (did you mean \"batchwait\"?); expected one of: url, "
                              "tenant_id, batchwait, batchsize");
        ck_assert_str_eq(err.key, "clients[0].batchwiat");
        ck_assert_uint_eq(err.line, 3);

        ck_assert_int_eq(sl_yaml_map_check(clients->values[1], "clients[1]", allowed, &err),
                         -EINVAL);
        ck_assert_ptr_null(strstr(err.msg, "did you mean"));
        ck_assert_ptr_nonnull(strstr(err.msg, "unknown key \"zzzzzz\" in clients[1]; expected"));

        ck_assert_int_eq(sl_yaml_map_check(at(doc->root, "list"), "list", allowed, &err),
                         -EINVAL);
        ck_assert_str_eq(err.msg, "expected a map, got a sequence");
        ck_assert_str_eq(err.key, "list");

        /* Absent and empty pass; a map of allowed keys passes. */
        ck_assert_int_eq(sl_yaml_map_check(NULL, "x", allowed, &err), 0);
        ck_assert_int_eq(sl_yaml_map_check(at(doc->root, "empty"), "empty", allowed, &err), 0);
        {
                static const char *const top[] = { "clients", "list", "empty", NULL };
                static const char *const small[] = { "clients", NULL };
                ck_assert_int_eq(sl_yaml_map_check(doc->root, NULL, top, &err), 0);
                ck_assert_int_eq(sl_yaml_map_check(doc->root, NULL, small, &err), -EINVAL);
                ck_assert_str_eq(err.key, "list");
                ck_assert_ptr_nonnull(strstr(err.msg, "in the top level"));
        }
}
END_TEST

START_TEST(test_error_format) {
        struct sl_cfg_error err = { 0 };
        char out[256];

        ck_assert_int_eq(sl_cfg_error_set(&err, NULL, "a.b", "bad %d", 5), -EINVAL);
        sl_cfg_error_format(&err, out, sizeof(out));
        ck_assert_str_eq(out, "a.b: bad 5");
        snprintf(err.file, sizeof(err.file), "f.yaml");
        err.line = 7;
        err.column = 3;
        sl_cfg_error_format(&err, out, sizeof(out));
        ck_assert_str_eq(out, "f.yaml:7:3: a.b: bad 5");
        err.key[0] = '\0';
        sl_cfg_error_format(&err, out, sizeof(out));
        ck_assert_str_eq(out, "f.yaml:7:3: bad 5");
        /* Truncation keeps a terminated string. */
        sl_cfg_error_format(&err, out, 5);
        ck_assert_str_eq(out, "f.ya");
        ck_assert_int_eq(sl_cfg_error_set(NULL, NULL, NULL, "x"), -EINVAL);
}
END_TEST

START_TEST(test_converters) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = parse_ok(
                "s: hello\n"
                "q: \"42\"\n"
                "t: true\n"
                "y: yes\n"
                "off: Off\n"
                "badbool: maybe\n"
                "i: -12\n"
                "big: 70000\n"
                "notint: 12abc\n"
                "d: 1h30m\n"
                "fast: fast\n"
                "neg: -1s\n"
                "z: 512KiB\n"
                "badz: lots\n"
                "m: {a: 1}\n"
                "nul: ~\n");
        const struct sl_yaml_node *root = doc->root;
        struct sl_cfg_error err = { 0 };
        char *str = NULL;
        bool b = false;
        int64_t i = 7;
        uint64_t u = 7;

        ck_assert_int_eq(sl_yaml_as_string(at(root, "s"), "s", &str, &err), 0);
        ck_assert_str_eq(str, "hello");
        free(str);
        str = NULL;
        ck_assert_int_eq(sl_yaml_as_string(at(root, "m"), "m", &str, &err), -EINVAL);
        ck_assert_str_eq(err.msg, "expected a string, got a map");
        ck_assert_ptr_null(str);
        ck_assert_int_eq(sl_yaml_as_string(at(root, "nul"), "nul", &str, &err), 0);
        ck_assert_ptr_null(str);

        ck_assert_int_eq(sl_yaml_as_bool(at(root, "t"), "t", &b, &err), 0);
        ck_assert(b);
        ck_assert_int_eq(sl_yaml_as_bool(at(root, "off"), "off", &b, &err), 0);
        ck_assert(!b);
        ck_assert_int_eq(sl_yaml_as_bool(at(root, "y"), "y", &b, &err), 0);
        ck_assert(b);
        ck_assert_int_eq(sl_yaml_as_bool(at(root, "badbool"), "badbool", &b, &err), -EINVAL);
        ck_assert_str_eq(err.msg, "expected true or false, got \"maybe\"");
        ck_assert(b);

        ck_assert_int_eq(sl_yaml_as_int(at(root, "i"), "i", -100, 100, &i, &err), 0);
        ck_assert_int_eq(i, -12);
        ck_assert_int_eq(sl_yaml_as_int(at(root, "q"), "q", 0, 100, &i, &err), 0);
        ck_assert_int_eq(i, 42);
        ck_assert_int_eq(sl_yaml_as_int(at(root, "big"), "big", 0, 65535, &i, &err), -EINVAL);
        ck_assert_str_eq(err.msg, "expected an integer from 0 to 65535, got \"70000\"");
        ck_assert_str_eq(err.key, "big");
        ck_assert_uint_eq(err.line, 8);
        ck_assert_int_eq(sl_yaml_as_int(at(root, "notint"), "notint", 0, 100, &i, &err), -EINVAL);
        ck_assert_int_eq(i, 42);
        ck_assert_int_eq(sl_yaml_as_int(NULL, "x", 0, 1, &i, &err), 0);
        ck_assert_int_eq(i, 42);

        ck_assert_int_eq(sl_yaml_as_duration(at(root, "d"), "d", &u, &err), 0);
        ck_assert_uint_eq(u, 5400ULL * 1000000000ULL);
        ck_assert_int_eq(sl_yaml_as_duration(at(root, "fast"), "clients[0].batchwait", &u, &err),
                         -EINVAL);
        ck_assert_str_eq(err.msg, "expected a duration such as 500ms, 1s or 5m, got \"fast\"");
        ck_assert_str_eq(err.key, "clients[0].batchwait");
        ck_assert_int_eq(sl_yaml_as_duration(at(root, "neg"), "neg", &u, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "not negative"));
        ck_assert_int_eq(sl_yaml_as_duration(at(root, "nul"), "nul", &u, &err), 0);
        ck_assert_uint_eq(u, 5400ULL * 1000000000ULL);

        ck_assert_int_eq(sl_yaml_as_size(at(root, "z"), "z", &u, &err), 0);
        ck_assert_uint_eq(u, 512 * 1024);
        ck_assert_int_eq(sl_yaml_as_size(at(root, "badz"), "badz", &u, &err), -EINVAL);
        ck_assert_str_eq(err.msg, "expected a size such as 1048576, 512KiB or 1MB, got \"lots\"");
        ck_assert_int_eq(sl_yaml_as_size(at(root, "m"), "m", &u, &err), -EINVAL);
        ck_assert_uint_eq(u, 512 * 1024);

        ck_assert_int_eq(sl_yaml_expect(at(root, "m"), SL_YAML_MAP, "m", &err), 0);
        ck_assert_int_eq(sl_yaml_expect(at(root, "nul"), SL_YAML_SEQ, "nul", &err), 0);
        ck_assert_int_eq(sl_yaml_expect(at(root, "m"), SL_YAML_SEQ, "m", &err), -EINVAL);
        ck_assert_str_eq(err.msg, "expected a sequence, got a map");
}
END_TEST

#define NS 1ULL
#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL

START_TEST(test_durations) {
        static const struct {
                const char *text;
                uint64_t ns;
        } good[] = {
                { "0", 0 },
                { "+0", 0 },
                { "-0", 0 },
                { "0s", 0 },
                { "500ms", 500 * MS },
                { "1s", SEC },
                { "5m", 300 * SEC },
                { "1h", 3600 * SEC },
                { "1h30m", 5400 * SEC },
                { "1.5s", 1500 * MS },
                { ".5s", 500 * MS },
                { "1.s", SEC },
                { "2h45m30.5s", (2 * 3600 + 45 * 60 + 30) * SEC + 500 * MS },
                { "10ns", 10 * NS },
                { "7us", 7 * US },
                { "7\xc2\xb5s", 7 * US },
                { "7\xce\xbcs", 7 * US },
                { "1m1s", 61 * SEC },
                { "0.1s", 100 * MS },
                { "1.0000000000001s", SEC },
                { "+5s", 5 * SEC },
                { "9223372036854775807ns", 9223372036854775807ULL },
        };
        static const char *const bad[] = {
                "", "5", "fast", "1x", "-1s", "1S", "s", ".", ".s", "1h-5m", " 1s", "1s ",
                "1,5s", "9223372036854775808ns", "3000000h", "1d", "+", "00",
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(good); i++) {
                uint64_t ns = 12345;
                ck_assert_msg(sl_parse_duration(good[i].text, &ns) == 0, "%s refused",
                              good[i].text);
                ck_assert_msg(ns == good[i].ns, "%s: %llu, wanted %llu", good[i].text,
                              (unsigned long long)ns, (unsigned long long)good[i].ns);
        }
        for (size_t i = 0; i < SL_ARRAY_SIZE(bad); i++) {
                uint64_t ns = 12345;
                ck_assert_msg(sl_parse_duration(bad[i], &ns) == -EINVAL, "\"%s\" accepted",
                              bad[i]);
                ck_assert_uint_eq(ns, 12345);
        }
        ck_assert_int_eq(sl_parse_duration(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_sizes) {
        static const struct {
                const char *text;
                uint64_t bytes;
        } good[] = {
                { "0", 0 },
                { "1048576", 1048576 },
                { "1B", 1 },
                { "1b", 1 },
                { "1KB", 1000 },
                { "1kb", 1000 },
                { "1kB", 1000 },
                { "256KB", 256000 },
                { "1K", 1000 },
                { "1Ki", 1024 },
                { "1KiB", 1024 },
                { "1kib", 1024 },
                { "512KiB", 512 * 1024 },
                { "1MB", 1000000 },
                { "1MiB", 1048576 },
                { "64MiB", 64ULL << 20 },
                { "1GB", 1000000000ULL },
                { "1GiB", 1ULL << 30 },
                { "2TB", 2000000000000ULL },
                { "1TiB", 1ULL << 40 },
                { "1PB", 1000000000000000ULL },
                { "1EiB", 1ULL << 60 },
                { "1.5MB", 1500000 },
                { "1.5KiB", 1536 },
                { "0.5", 0 },
                { "10 MB", 10000000 },
                { "10MB ", 10000000 },
                { ".5KB", 500 },
        };
        static const char *const bad[] = {
                "", "big", "-1", "-1KB", "1XB", "1 K B", "KB", "1.2.3KB", ".", "1e3",
                "20EB", "1 024", "+1", "1ZB",
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(good); i++) {
                uint64_t b = 12345;
                ck_assert_msg(sl_parse_size(good[i].text, &b) == 0, "%s refused", good[i].text);
                ck_assert_msg(b == good[i].bytes, "%s: %llu, wanted %llu", good[i].text,
                              (unsigned long long)b, (unsigned long long)good[i].bytes);
        }
        for (size_t i = 0; i < SL_ARRAY_SIZE(bad); i++) {
                uint64_t b = 12345;
                ck_assert_msg(sl_parse_size(bad[i], &b) == -EINVAL, "\"%s\" accepted", bad[i]);
                ck_assert_uint_eq(b, 12345);
        }
}
END_TEST

static Suite *yaml_doc_suite(void) {
        Suite *s = suite_create("yaml-doc");
        TCase *tc = tcase_create("tree");

        /* Room for a loaded machine and the sanitizers: the alias bomb and the
         * duplicate checks parse thousands of documents. */
        tcase_set_timeout(tc, 20);

        tcase_add_test(tc, test_positions_and_kinds);
        tcase_add_test(tc, test_nulls);
        tcase_add_test(tc, test_empty_documents);
        tcase_add_test(tc, test_anchors_are_copies);
        tcase_add_test(tc, test_merge_keys);
        tcase_add_test(tc, test_merge_source_anchor_stays_usable);
        tcase_add_test(tc, test_errors);
        tcase_add_test(tc, test_alias_bomb_is_refused);
        tcase_add_test(tc, test_deep_nesting_is_refused);
        tcase_add_test(tc, test_load_file);
        tcase_add_test(tc, test_duplicates_at_every_position);
        tcase_add_test(tc, test_merge_into_big_map);
        suite_add_tcase(s, tc);

        /* Big documents: a timeout with room for a loaded machine and the
         * sanitizers (see test_big_map_loads). */
        tc = tcase_create("big");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_big_map_loads);
        tcase_add_test(tc, test_duplicate_in_big_map);
        tcase_add_test(tc, test_many_anchors);
        suite_add_tcase(s, tc);

        tc = tcase_create("checks");
        tcase_add_test(tc, test_map_check);
        tcase_add_test(tc, test_error_format);
        tcase_add_test(tc, test_converters);
        suite_add_tcase(s, tc);

        tc = tcase_create("parsers");
        tcase_add_test(tc, test_durations);
        tcase_add_test(tc, test_sizes);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(yaml_doc_suite)
