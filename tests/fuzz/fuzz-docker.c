/* fuzz-docker.c - the docker stage's record decoder, alone in a pipeline,
 * on hostile lines from several sources.
 *
 * Input: lines split at '\n'; a line starting with "@N " (N a digit) comes
 * from source N, others from source 0, so pieces of split lines of several
 * sources interleave. Every source is forgotten at the end of the input.
 * Checks, beyond the sanitizers:
 *   - the verdict is KEEP or HOLD, never DROP or an error;
 *   - a kept line's bytes and its `stream` label are readable (ASan checks
 *     every byte), and the label equals the extracted `stream`;
 *   - against jansson: when jansson reads the line as an object whose `log`
 *     is a string ending in "\n" and the source holds no piece (a line that
 *     is not a record, kept as it came, leaves the pieces held), the entry's
 *     line is that string without its "\n", its `stream` label is jansson's
 *     `stream` when that is a non-empty string, and its time is `time`'s
 *     when that is an RFC 3339 time written without escapes. Lines holding
 *     "\u" are left out of this check: the stage reads only a key written
 *     plainly as "log", which is all Docker writes. So are lines with a NUL
 *     byte right after a number or a literal: jansson drops it and reads
 *     the record, the stage refuses it as RFC 8259 does and keeps the line
 *     as it came (the difference json-scan.h documents).
 */
#include <jansson.h>
#include <stdint.h>

#include "base/yaml-doc.h"
#include "core/entry.h"
#include "fuzz-util.h"
#include "stages/stage-registry.h"
#include "stages/time-parse.h"

#define N_SOURCES 10
#define FIRST_TS 1700000000000000000LL

static struct sl_pipeline *pipeline;
static struct sl_entry entry;
static volatile unsigned sink; /* makes every byte of a kept entry read */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static const char yaml[] = "- docker: {}\n";
        struct sl_yaml_doc *doc = NULL;
        struct sl_cfg_error err = { 0 };

        if (sl_yaml_doc_parse("docker.yaml", yaml, sizeof(yaml) - 1, &doc, &err) < 0 ||
            sl_stages_pipeline_new(doc->root, "docker.yaml", &err, &pipeline) < 0)
                abort();
        sl_yaml_doc_free(doc);
        sl_entry_init(&entry);
        return 0;
}

/* Compares the kept @e with jansson's reading of @line. */
static void check_against_jansson(struct sl_str line, const struct sl_entry *e, size_t no) {
        const json_t *log, *stream, *time;
        json_t *root;
        size_t n;

        if (memmem(line.ptr, line.len, "\\u", 2))
                return;
        for (size_t i = 1; i < line.len; i++)
                if (line.ptr[i] == '\0' && ((line.ptr[i - 1] >= '0' && line.ptr[i - 1] <= '9') ||
                                             (line.ptr[i - 1] >= 'a' && line.ptr[i - 1] <= 'z')))
                        return;
        root = json_loadb(line.ptr, line.len, JSON_ALLOW_NUL, NULL);
        if (!root)
                return;
        log = json_object_get(root, "log");
        n = json_is_string(log) ? json_string_length(log) : 0;
        if (n == 0 || json_string_value(log)[n - 1] != '\n') {
                json_decref(root);
                return;
        }
        FUZZ_CHECK(e->line.len == n - 1 && memcmp(e->line.ptr, json_string_value(log), n - 1) == 0,
                   "line %zu: \"%.*s\" differs from jansson's log", no, (int)e->line.len, e->line.ptr);
        stream = json_object_get(root, "stream");
        if (json_is_string(stream) && json_string_length(stream) > 0) {
                const struct sl_str *label = sl_kvs_get(&e->labels, SL_STR_LIT("stream"));

                FUZZ_CHECK(label && label->len == json_string_length(stream) &&
                                   memcmp(label->ptr, json_string_value(stream), label->len) == 0,
                           "line %zu: stream label differs from jansson's", no);
        }
        time = json_object_get(root, "time");
        if (json_is_string(time) && !memchr(json_string_value(time), '\\', json_string_length(time))) {
                int64_t ts;

                if (sl_time_parse_rfc3339(sl_str_from(json_string_value(time), json_string_length(time)), &ts) ==
                            0 &&
                    ts != 0)
                        FUZZ_CHECK(e->ts_ns == ts, "line %zu: time %lld, want %lld", no, (long long)e->ts_ns,
                                   (long long)ts);
        }
        json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        bool holding[N_SOURCES] = { false };
        size_t no = 0;

        while (!fz_empty(&in)) {
                struct sl_str line = fz_until(&in, '\n');
                const struct sl_str *label, *extracted;
                unsigned source = 0, sum = 0;
                int verdict;

                if (line.len >= 3 && line.ptr[0] == '@' && line.ptr[1] >= '0' && line.ptr[1] <= '9' &&
                    line.ptr[2] == ' ') {
                        source = (unsigned)(line.ptr[1] - '0');
                        line.ptr += 3;
                        line.len -= 3;
                }
                no++;
                sl_entry_reset(&entry);
                entry.source_id = source;
                entry.line = line;
                entry.ts_ns = FIRST_TS;
                verdict = sl_pipeline_run(pipeline, &entry);
                FUZZ_CHECK(verdict == SL_STAGE_KEEP || verdict == SL_STAGE_HOLD, "verdict %d", verdict);
                if (verdict == SL_STAGE_HOLD) {
                        holding[source] = true;
                        continue;
                }
                for (size_t i = 0; i < entry.line.len; i++)
                        sum += (unsigned char)entry.line.ptr[i];
                label = sl_kvs_get(&entry.labels, SL_STR_LIT("stream"));
                extracted = sl_kvs_get(&entry.extracted, SL_STR_LIT("stream"));
                FUZZ_CHECK((label == NULL) == (extracted == NULL), "label and extracted stream disagree");
                if (label) {
                        FUZZ_CHECK(label->len > 0 && sl_str_eq(*label, *extracted), "stream label");
                        for (size_t i = 0; i < label->len; i++)
                                sum += (unsigned char)label->ptr[i];
                }
                if (!holding[source])
                        check_against_jansson(line, &entry, no);
                /* A line that is not a record (kept as it came) leaves the
                 * pieces held; a record ends them. */
                if (entry.line.ptr != line.ptr || entry.line.len != line.len)
                        holding[source] = false;
                sink = sum;
        }
        for (unsigned s = 0; s < N_SOURCES; s++)
                sl_pipeline_forget(pipeline, s);
        return 0;
}
