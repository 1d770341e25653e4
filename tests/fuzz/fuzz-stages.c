/* fuzz-stages.c - any pipeline on any lines: the pipeline_stages of the
 * input are built (every stage's configuration reader), and, when they are
 * accepted, the lines that follow run through them.
 *
 * Input: a pipeline_stages sequence in YAML, a line "#--", then log lines
 * split at '\n'; a line starting with '\x01' comes from a second source.
 * Both sources are forgotten and the pipeline freed at the end of the input.
 * Checks, beyond the sanitizers: a verdict is KEEP, DROP or HOLD; a kept
 * entry's line, labels, metadata and extracted values are readable; a
 * refused pipeline says why.
 */
#include <stdint.h>

#include "base/yaml-doc.h"
#include "core/entry.h"
#include "fuzz-util.h"
#include "stages/stage-registry.h"

static struct sl_entry entry;
static volatile unsigned sink; /* makes every byte of a kept entry read */

static unsigned sum(struct sl_str s) {
        unsigned v = 0;

        for (size_t i = 0; i < s.len; i++)
                v += (unsigned char)s.ptr[i];
        return v;
}

static unsigned sum_kvs(const struct sl_kvs *kvs) {
        unsigned v = 0;

        for (size_t i = 0; i < kvs->len; i++)
                v += sum(kvs->items[i].name) + sum(kvs->items[i].value);
        return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        sl_entry_init(&entry);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str yaml = fz_before(&in, "\n#--\n");
        struct sl_yaml_doc *doc = NULL;
        struct sl_pipeline *p = NULL;
        struct sl_cfg_error err = { 0 };
        int r;

        r = sl_yaml_doc_parse("fuzz.yaml", yaml.ptr, yaml.len, &doc, &err);
        if (r == 0)
                r = sl_stages_pipeline_new(doc->root, "fuzz.yaml", &err, &p);
        sl_yaml_doc_free(doc);
        if (r < 0) {
                FUZZ_CHECK(err.msg[0] != '\0', "refused without a message");
                return 0;
        }
        while (!fz_empty(&in)) {
                struct sl_str line = fz_until(&in, '\n');
                uint64_t source = 1;
                int verdict;

                if (line.len && line.ptr[0] == '\x01') {
                        source = 2;
                        line.ptr++;
                        line.len--;
                }
                sl_entry_reset(&entry);
                entry.source_id = source;
                entry.line = line;
                sl_kvs_set(&entry.labels, SL_STR_LIT("job"), SL_STR_LIT("fuzz"));
                verdict = sl_pipeline_run(p, &entry);
                FUZZ_CHECK(verdict == SL_STAGE_KEEP || verdict == SL_STAGE_DROP || verdict == SL_STAGE_HOLD,
                           "verdict %d", verdict);
                if (verdict == SL_STAGE_KEEP)
                        sink = sum(entry.line) + sum_kvs(&entry.labels) + sum_kvs(&entry.metadata) +
                               sum_kvs(&entry.extracted);
        }
        sl_pipeline_forget(p, 1);
        sl_pipeline_forget(p, 2);
        sl_pipeline_free(p);
        return 0;
}
