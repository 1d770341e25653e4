/* test-golden.c - the shipped pipelines against recorded input.
 *
 * For every directory tests/golden/<name>/ holding input.log and
 * expected.jsonl, loads pipelines/<name>.yaml, runs each line of input.log
 * through it (one source, as one container's log file) and renders every
 * kept entry as one JSON line:
 *   {"ts":"<ns>","labels":"{level=\"info\", stream=\"stdout\"}","line":"...","metadata":{...}}
 * Entries a stage releases later (a multiline block, cri's partial lines)
 * are rendered where they come out, and what is still held is released at
 * the end of the input, as when a file is let go. Then a last line with
 * the drops by reason and the number of lines answered "held" (pieces of
 * split messages, lines of a block). The text must equal expected.jsonl.
 *
 * `test-stages-golden --print pipelines/x.yaml input.log` prints the
 * rendering instead, to review a new or changed golden file by eye.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs-util.h"
#include "base/yaml-doc.h"
#include "core/entry.h"
#include "core/labels.h"
#include "sl-test.h"
#include "stages/stage-registry.h"

#define MAX_FILE (16u << 20)

/* Appends @s as a JSON string (quotes included). Bytes >= 0x80 are copied
 * as they are: the golden files are UTF-8. */
static void put_json_string(struct sl_buf *out, struct sl_str s) {
        sl_buf_putc(out, '"');
        for (size_t i = 0; i < s.len; i++) {
                unsigned char c = (unsigned char)s.ptr[i];
                switch (c) {
                case '"': sl_buf_append(out, "\\\"", 2); break;
                case '\\': sl_buf_append(out, "\\\\", 2); break;
                case '\n': sl_buf_append(out, "\\n", 2); break;
                case '\t': sl_buf_append(out, "\\t", 2); break;
                case '\r': sl_buf_append(out, "\\r", 2); break;
                default:
                        if (c < 0x20)
                                sl_buf_printf(out, "\\u%04x", c);
                        else
                                sl_buf_putc(out, (char)c);
                }
        }
        sl_buf_putc(out, '"');
}

/* @labels is scratch, reused from entry to entry. */
static void render_entry(struct sl_buf *out, struct sl_buf *labels, const struct sl_entry *e) {
        sl_buf_reset(labels);
        sl_labels_render(&e->labels, labels);
        sl_buf_printf(out, "{\"ts\":\"%lld\",\"labels\":", (long long)e->ts_ns);
        put_json_string(out, sl_buf_str(labels));
        sl_buf_append(out, ",\"line\":", 8);
        put_json_string(out, e->line);
        sl_buf_append(out, ",\"metadata\":{", 13);
        for (size_t i = 0; i < e->metadata.len; i++) {
                if (i)
                        sl_buf_putc(out, ',');
                put_json_string(out, e->metadata.items[i].name);
                sl_buf_putc(out, ':');
                put_json_string(out, e->metadata.items[i].value);
        }
        sl_buf_append(out, "}}\n", 3);
}

/* The pipeline's sink: entries a stage held and released later (a
 * multiline block, cri's partial lines), rendered where they come out. */
struct released {
        struct sl_buf *out;    /* borrowed */
        struct sl_buf *labels; /* borrowed scratch */
};

static void render_released(void *ud, struct sl_entry *e) {
        struct released *r = ud;
        render_entry(r->out, r->labels, e);
}

struct summary {
        struct sl_buf *out; /* borrowed */
        int n;              /* reasons written */
};

static void render_drop(void *ud, const char *reason, uint64_t count) {
        struct summary *s = ud;

        if (s->n++)
                sl_buf_putc(s->out, ',');
        put_json_string(s->out, sl_str_c(reason));
        sl_buf_printf(s->out, ":%llu", (unsigned long long)count);
}

/* Runs @input_path through the pipeline in @pipeline_path; appends the
 * rendering to @out. Returns 0, or -errno / -EINVAL with @msg set. */
static int run_golden(const char *pipeline_path, const char *input_path, struct sl_buf *out,
                      char *msg, size_t size) {
        /* relabel_configs apply to targets (config, discovery), not lines. */
        static const char *const top_keys[] = { "description", "pipeline_stages",
                                                "relabel_configs", NULL };
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        _cleanup_(sl_pipeline_freep) struct sl_pipeline *p = NULL;
        _cleanup_free_ char *input = NULL;
        struct sl_cfg_error err = { 0 };
        struct summary summary = { out, 0 };
        struct released released;
        struct sl_entry e;
        struct sl_buf labels;
        size_t len, held = 0;
        int r;

        r = sl_yaml_doc_load(pipeline_path, &doc, &err);
        if (r == 0)
                r = sl_yaml_map_check(doc->root, "", top_keys, &err);
        if (r == 0)
                r = sl_stages_pipeline_new(sl_yaml_get(doc->root, "pipeline_stages"), pipeline_path,
                                           &err, &p);
        if (r < 0) {
                sl_cfg_error_format(&err, msg, size);
                return r;
        }
        r = sl_read_file(input_path, MAX_FILE, &input, &len);
        if (r < 0) {
                snprintf(msg, size, "%s: %s", input_path, strerror(-r));
                return r;
        }

        sl_entry_init(&e);
        sl_buf_init(&labels, 1 << 20);
        released = (struct released){ out, &labels };
        sl_pipeline_set_sink(p, render_released, &released);
        for (char *line = input, *end = input + len; line < end;) {
                char *nl = memchr(line, '\n', (size_t)(end - line));
                size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

                sl_entry_reset(&e);
                e.source_id = 1;
                e.line = sl_str_from(line, n);
                r = sl_pipeline_run(p, &e);
                if (r == SL_STAGE_KEEP)
                        render_entry(out, &labels, &e);
                else if (r == SL_STAGE_HOLD)
                        held++;
                line += n + 1;
        }
        /* The end of the input: what stages still hold is released, as
         * when a file is let go. */
        sl_pipeline_forget(p, 1);
        sl_entry_release(&e);
        sl_buf_release(&labels);

        sl_buf_append(out, "{\"drops\":{", 10);
        sl_pipeline_foreach_drop(p, render_drop, &summary);
        sl_buf_printf(out, "},\"held\":%zu,\"errors\":%llu}\n", held,
                      (unsigned long long)sl_pipeline_errors(p));
        return 0;
}

/* The 1-based number of the first line where @a and @b differ. */
static unsigned first_difference(const char *a, const char *b) {
        unsigned line = 1;

        for (; *a && *a == *b; a++, b++)
                if (*a == '\n')
                        line++;
        return line;
}

START_TEST(golden_files_match) {
        char *golden_dir = sl_path_join(sl_test_source_root(), "tests/golden");
        DIR *dir = opendir(golden_dir);
        struct dirent *de;
        int checked = 0;

        ck_assert_msg(dir != NULL, "cannot open %s", golden_dir);
        while ((de = readdir(dir))) {
                char path[4096], pipeline[4096], input[4096], msg[1024] = "";
                _cleanup_free_ char *expected = NULL;
                struct sl_buf out;
                size_t len;
                int r;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s/expected.jsonl", golden_dir, de->d_name);
                if (sl_read_file(path, MAX_FILE, &expected, &len) < 0)
                        continue;
                snprintf(input, sizeof(input), "%s/%s/input.log", golden_dir, de->d_name);
                snprintf(pipeline, sizeof(pipeline), "%s/pipelines/%s.yaml", sl_test_source_root(),
                         de->d_name);

                sl_buf_init(&out, MAX_FILE);
                r = run_golden(pipeline, input, &out, msg, sizeof(msg));
                ck_assert_msg(r == 0, "%s: %s", de->d_name, msg);
                ck_assert_msg(strcmp(out.data, expected) == 0,
                              "%s: output differs from expected.jsonl at line %u; run "
                              "test-stages-golden --print %s %s",
                              de->d_name, first_difference(out.data, expected), pipeline, input);
                sl_buf_release(&out);
                checked++;
        }
        closedir(dir);
        free(golden_dir);
        /* pino at least: a test that finds nothing proves nothing. */
        ck_assert_int_ge(checked, 1);
}
END_TEST

static Suite *golden_suite(void) {
        Suite *s = suite_create("golden");
        TCase *tc = tcase_create("pipelines");

        tcase_add_test(tc, golden_files_match);
        suite_add_tcase(s, tc);
        return s;
}

int main(int argc, char **argv) {
        SRunner *sr;
        int failed;

        if (argc == 4 && strcmp(argv[1], "--print") == 0) {
                struct sl_buf out;
                char msg[1024] = "";
                int r;

                sl_buf_init(&out, MAX_FILE);
                r = run_golden(argv[2], argv[3], &out, msg, sizeof(msg));
                if (r < 0) {
                        fprintf(stderr, "%s\n", msg);
                        return 1;
                }
                fwrite(out.data, 1, out.len, stdout);
                sl_buf_release(&out);
                return 0;
        }
        sr = srunner_create(golden_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? 0 : 1;
}
