/* fuzz-relabel.c - relabel_configs (config/discovery-config.h) read from
 * hostile YAML, then run (discovery/relabel.h) over hostile label sets:
 * Prometheus' validation, RE2 regexes on PCRE2 anchored as Prometheus
 * anchors them, and Go's Expand of $1, ${1}, ${name}.
 *
 * Input: the relabel_configs list (YAML), optionally followed by a line
 * "#--" and a label set, one "name=value" per line. Checks, beyond the
 * sanitizers:
 *   - a refusal names a key and says why;
 *   - the result is a label set (sorted names, each once, no empty value),
 *     and running the rules again on the same input gives the same result
 *     and verdict (nothing of a match outlives it);
 *   - for each rule's regex, a replace of one label with replacement "$0$$"
 *     sets the target to the whole value and a "$" exactly when the regex
 *     matches it (anchored: the match is the value);
 *   - hashmod lands in [0, modulus).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/go-regex.h"
#include "base/xalloc.h"
#include "base/yaml-doc.h"
#include "config/discovery-config.h"
#include "discovery/label-set.h"
#include "discovery/relabel.h"
#include "fuzz-util.h"

static void check_set(const struct sl_label_set *ls) {
        for (size_t i = 0; i < ls->len; i++) {
                FUZZ_CHECK(ls->items[i].value[0] != '\0', "label %s with an empty value",
                           ls->items[i].name);
                if (i > 0)
                        FUZZ_CHECK(strcmp(ls->items[i - 1].name, ls->items[i].name) < 0,
                                   "labels %s, %s out of order or repeated",
                                   ls->items[i - 1].name, ls->items[i].name);
        }
}

/* The label set of "name=value" lines (a line without '=' is a name with
 * an empty value, which the set leaves out). */
static void read_labels(struct fz *in, struct sl_label_set *ls) {
        while (!fz_empty(in)) {
                struct sl_str line = fz_until(in, '\n');
                const char *eq = memchr(line.ptr, '=', line.len);
                _cleanup_free_ char *name = NULL, *value = NULL;

                if (line.len == 0)
                        continue;
                name = fz_strdup(sl_str_from(line.ptr, eq ? (size_t)(eq - line.ptr) : line.len));
                value = fz_strdup(eq ? sl_str_from(eq + 1, (size_t)(line.ptr + line.len - eq - 1))
                                     : sl_str_from("", 0));
                sl_label_set_set_c(ls, name, value);
        }
}

/* Runs @rc's regex as a replace of label "v" = @value into "t". */
static void check_regex(const struct sl_relabel_config *rc, const char *value) {
        static char *sources[] = { "v" };
        struct sl_relabel_config probe = {
                .action = SL_RELABEL_REPLACE, .source_labels = sources, .n_source_labels = 1,
                .separator = ";", .regex_text = rc->regex_text, .regex = rc->regex,
                .target_label = "t", .replacement = "$0$$",
        };
        struct sl_label_set ls;
        const char *t;
        bool matched;

        sl_label_set_init(&ls);
        sl_label_set_set_c(&ls, "v", value);
        /* The value as the rule sees it: an empty one is no label. */
        matched = sl_go_regex_matches(rc->regex, sl_str_c(value));
        FUZZ_CHECK(sl_relabel_process(&probe, 1, &ls), "a replace dropped the target");
        t = sl_label_set_get(&ls, SL_STR_LIT("t"));
        if (matched) {
                _cleanup_free_ char *want = NULL;
                size_t n = strlen(value);

                want = sl_xmalloc(n + 2);
                memcpy(want, value, n);
                memcpy(want + n, "$", 2);
                FUZZ_CHECK(t && strcmp(t, want) == 0, "\"%s\" ~ /%s/ gave \"%s\"", value,
                           rc->regex_text, t ? t : "(none)");
        } else {
                FUZZ_CHECK(!t, "\"%s\" !~ /%s/ yet t=\"%s\"", value, rc->regex_text, t);
        }
        sl_label_set_release(&ls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str yaml = fz_before(&in, "\n#--\n");
        struct sl_yaml_doc *doc = NULL;
        struct sl_relabel_config *rules = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_label_set input, a, b;
        size_t n = 0;
        bool keep_a, keep_b;
        int r;

        if (sl_yaml_doc_parse("relabel.yaml", yaml.ptr ? yaml.ptr : "", yaml.len, &doc, &err) < 0)
                return 0;
        r = sl_relabel_configs_read(doc->root, "relabel_configs", &rules, &n, &err);
        sl_yaml_doc_free(doc);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL, "refused with %d", r);
                FUZZ_CHECK(err.key[0] && err.msg[0], "a refusal without key or message");
                return 0;
        }
        sl_label_set_init(&input);
        read_labels(&in, &input);
        check_set(&input);
        sl_label_set_init(&a);
        sl_label_set_init(&b);
        sl_label_set_copy(&a, &input);
        sl_label_set_copy(&b, &input);
        keep_a = sl_relabel_process(rules, n, &a);
        keep_b = sl_relabel_process(rules, n, &b);
        check_set(&a);
        FUZZ_CHECK(keep_a == keep_b && sl_label_set_equal(&a, &b), "two runs differ");

        for (size_t i = 0; i < n; i++) {
                struct sl_relabel_config *rc = &rules[i];

                check_regex(rc, "");
                for (size_t k = 0; k < input.len && k < 4; k++) {
                        check_regex(rc, input.items[k].name);
                        check_regex(rc, input.items[k].value);
                }
                if (rc->action == SL_RELABEL_HASHMOD) {
                        struct sl_label_set h;
                        const char *v;

                        sl_label_set_init(&h);
                        sl_label_set_copy(&h, &input);
                        FUZZ_CHECK(sl_relabel_process(rc, 1, &h), "hashmod dropped a target");
                        v = sl_label_set_get(&h, sl_str_c(rc->target_label));
                        FUZZ_CHECK(v && strtoull(v, NULL, 10) < rc->modulus, "hashmod %s of %llu",
                                   v ? v : "(none)", (unsigned long long)rc->modulus);
                        sl_label_set_release(&h);
                }
        }
        sl_label_set_release(&input);
        sl_label_set_release(&a);
        sl_label_set_release(&b);
        sl_relabel_configs_free(rules, n);
        return 0;
}
