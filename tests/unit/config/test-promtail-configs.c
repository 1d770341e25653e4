/* test-promtail-configs.c - every configuration in tests/promtail-configs
 * (Promtail's example configs and typical setups, in their shape) loads,
 * or is refused with "not supported" naming the feature, as its header
 * says; the keys accepted without effect are exactly those it lists. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "config/config.h"
#include "config/keys.h"
#include "sl-test.h"

#define MAX_FILES 128

enum expect { EXPECT_LOAD, EXPECT_REFUSED, EXPECT_ERROR };

struct header {
        enum expect expect;
        char key[128];     /* REFUSED, ERROR: the key the error names */
        char text[512];    /* REFUSED, ERROR: text the message holds */
        char warns[4096];  /* keys accepted without effect, space-separated */
};

static char *dir;               /* tests/promtail-configs */
static char *files[MAX_FILES];  /* names of its .yaml files, sorted */
static size_t n_files;

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_files(void) {
        DIR *d;
        struct dirent *de;

        dir = sl_xasprintf("%s/tests/promtail-configs", sl_test_source_root());
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d)) && n_files < MAX_FILES) {
                size_t len = strlen(de->d_name);
                if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
                        files[n_files++] = sl_xstrdup(de->d_name);
        }
        closedir(d);
        qsort(files, n_files, sizeof(*files), cmp_names);
}

static void trim(char *s) {
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = '\0';
}

/* Reads the "# expect:" and "# warns:" lines of @path. */
static void read_header(const char *path, struct header *h) {
        FILE *f = fopen(path, "r");
        char line[4096];
        bool have = false;

        ck_assert_msg(f, "cannot open %s", path);
        memset(h, 0, sizeof(*h));
        while (fgets(line, sizeof(line), f) && line[0] == '#') {
                char *v, *bar;

                trim(line);
                if (strncmp(line, "# warns: ", 9) == 0) {
                        snprintf(h->warns, sizeof(h->warns), "%.4000s", line + 9);
                        continue;
                }
                if (strncmp(line, "# expect: ", 10) != 0)
                        continue;
                v = line + 10;
                have = true;
                if (strcmp(v, "load") == 0) {
                        h->expect = EXPECT_LOAD;
                        continue;
                }
                if (strncmp(v, "refused ", 8) == 0)
                        h->expect = EXPECT_REFUSED, v += 8;
                else if (strncmp(v, "error ", 6) == 0)
                        h->expect = EXPECT_ERROR, v += 6;
                else
                        ck_abort_msg("%s: bad expect line \"%s\"", path, line);
                bar = strstr(v, " | ");
                ck_assert_msg(bar, "%s: expect line without \" | \"", path);
                *bar = '\0';
                snprintf(h->key, sizeof(h->key), "%.127s", v);
                snprintf(h->text, sizeof(h->text), "%.511s", bar + 3);
        }
        fclose(f);
        ck_assert_msg(have, "%s has no \"# expect:\" line", path);
}

START_TEST(test_corpus_is_there) {
        size_t load = 0, refused = 0;
        struct header h;

        /* The set covers every source type and every section. */
        ck_assert_uint_ge(n_files, 35);
        for (size_t i = 0; i < n_files; i++) {
                _cleanup_free_ char *path = sl_xasprintf("%s/%s", dir, files[i]);
                read_header(path, &h);
                load += h.expect == EXPECT_LOAD;
                refused += h.expect == EXPECT_REFUSED;
        }
        ck_assert_uint_ge(load, 12);
        /* One or more per source sluice does not have (journal, syslog,
         * gelf, kafka, ...): fewer as sources are added. */
        ck_assert_uint_ge(refused, 15);
}
END_TEST

START_TEST(test_config) {
        _cleanup_free_ char *path = NULL, *pipes = NULL;
        _cleanup_(sl_config_freep) struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        char msg[1024], warns[4096] = "";
        struct header h;
        size_t n = 0;
        int r;

        if ((size_t)_i >= n_files)
                return; /* fewer files than the loop: test_corpus_is_there says so */
        path = sl_xasprintf("%s/%s", dir, files[_i]);
        pipes = sl_xasprintf("%s/pipelines", sl_test_source_root());
        read_header(path, &h);
        r = sl_config_load(path, pipes, &c, &err);
        sl_cfg_error_format(&err, msg, sizeof(msg));

        if (h.expect == EXPECT_LOAD) {
                ck_assert_msg(r == 0, "%s should load: %s", files[_i], msg);
                for (size_t i = 0; i < c->n_warnings; i++)
                        n += (size_t)snprintf(warns + n, sizeof(warns) - n, "%s%s", i ? " " : "",
                                              c->warnings[i].key);
                ck_assert_msg(strcmp(warns, h.warns) == 0,
                              "%s: warnings for \"%s\", expected \"%s\"", files[_i], warns,
                              h.warns);
                for (size_t i = 0; i < c->n_warnings; i++) {
                        ck_assert_str_eq(c->warnings[i].file, path);
                        ck_assert_uint_gt(c->warnings[i].line, 0);
                        ck_assert_msg(c->warnings[i].msg[0], "%s: empty warning", files[_i]);
                }
                return;
        }
        ck_assert_msg(r == -EINVAL, "%s should fail: %d", files[_i], r);
        ck_assert_ptr_null(c);
        ck_assert_msg(strcmp(err.key, h.key) == 0, "%s: error at \"%s\", expected \"%s\": %s",
                      files[_i], err.key, h.key, msg);
        ck_assert_msg(strstr(msg, h.text), "%s: \"%s\" lacks \"%s\"", files[_i], msg, h.text);
        ck_assert_str_eq(err.file, path);
        ck_assert_uint_gt(err.line, 0);
        if (h.expect == EXPECT_REFUSED) {
                ck_assert_msg(strstr(msg, "not supported"), "%s: %s", files[_i], msg);
                ck_assert_msg(strstr(msg, SL_KEYS_SEE_README), "%s: %s", files[_i], msg);
        }
}
END_TEST

/* Whether @name appears in @text as a key: in backticks, or as a part of
 * a dotted key in backticks. */
static bool mentions(const char *text, const char *name) {
        size_t n = strlen(name);

        for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
                char before = p > text ? p[-1] : ' ', after = p[n];
                if ((before == '`' || before == '.') &&
                    (after == '`' || after == '.' || after == '['))
                        return true;
        }
        return false;
}

/* The README's "Moving from Promtail" table names every key of every
 * section table, so the two stay together. */
START_TEST(test_readme_lists_every_key) {
        static const struct {
                const char *section;
                const struct sl_key_rule *rules;
        } tables[] = {
                { "top", sl_keys_top },
                { "global", sl_keys_global },
                { "file_watch_config", sl_keys_file_watch },
                { "server", sl_keys_server },
                { "positions", sl_keys_positions },
                { "clients", sl_keys_client },
                { "backoff_config", sl_keys_backoff },
                { "basic_auth", sl_keys_basic_auth },
                { "authorization", sl_keys_authorization },
                { "tls_config", sl_keys_tls },
                { "scrape_configs", sl_keys_scrape },
                { "loki_push_api", sl_keys_push_target },
                { "loki_push_api.server", sl_keys_push_server },
                { "static_configs", sl_keys_static_config },
                { "target_config", sl_keys_target },
                { "limits_config", sl_keys_limits },
                { "options", sl_keys_options },
                { "relabel_configs", sl_keys_relabel },
                { "discovery tls_config", sl_keys_sd_tls },
                { "docker_sd_configs", sl_keys_docker_sd },
                { "docker_sd_configs.filters", sl_keys_docker_filter },
                { "kubernetes_sd_configs", sl_keys_kube_sd },
                { "kubernetes_sd_configs.namespaces", sl_keys_kube_namespaces },
                { "kubernetes_sd_configs.selectors", sl_keys_kube_selector },
                { "kubernetes_sd_configs.attach_metadata", sl_keys_kube_attach },
        };
        _cleanup_free_ char *path = sl_xasprintf("%s/README.md", sl_test_source_root());
        _cleanup_free_ char *text = NULL;
        char *start, *end;
        FILE *f = fopen(path, "r");
        long size;

        ck_assert_msg(f, "cannot open %s", path);
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        rewind(f);
        text = sl_xmalloc((size_t)size + 1);
        ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
        text[size] = '\0';
        fclose(f);
        start = strstr(text, "### Moving from Promtail");
        ck_assert_msg(start, "README.md has no \"Moving from Promtail\" section");
        end = strstr(start + 1, "\n## ");
        if (end)
                *end = '\0';
        for (size_t t = 0; t < SL_ARRAY_SIZE(tables); t++)
                for (const struct sl_key_rule *r = tables[t].rules; r->name; r++)
                        ck_assert_msg(mentions(start, r->name),
                                      "README's \"Moving from Promtail\" does not list %s.%s",
                                      tables[t].section, r->name);
}
END_TEST

static Suite *promtail_configs_suite(void) {
        Suite *s = suite_create("promtail-configs");
        TCase *tc = tcase_create("corpus");

        list_files();
        tcase_add_test(tc, test_corpus_is_there);
        tcase_add_test(tc, test_readme_lists_every_key);
        tcase_add_loop_test(tc, test_config, 0, MAX_FILES);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(promtail_configs_suite)
