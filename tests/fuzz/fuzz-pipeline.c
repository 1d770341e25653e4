/* fuzz-pipeline.c - the hot path as the agent runs it, with the shipped
 * pino pipeline (pipelines/pino.yaml): each line of the input (split at
 * '\n', as the tailer splits a file) becomes an entry of one source with the
 * target's labels, runs through docker -> json -> level -> labels ->
 * structured_metadata -> timestamp, and what is kept goes into a batcher;
 * every sealed batch is encoded as a push body, decoded again and compared
 * with the batch. At the end of the input the source is forgotten (the
 * docker stage's pieces of a split line, the timestamp stage's last time)
 * and the open batch is taken, so every input starts from the same state.
 */
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/yaml-doc.h"
#include "core/entry.h"
#include "fuzz-push-check.h"
#include "fuzz-util.h"
#include "ship/batcher.h"
#include "ship/push-encode.h"
#include "stages/stage-registry.h"

#define SOURCE 7
#define NOW_NS 1000000000ULL

static struct sl_pipeline *pipeline;
static struct sl_batcher *batcher;
static struct sl_push_encoder *encoder;
static struct sl_buf body;
static struct sl_entry entry;

/* Encodes @b whole, and also in two parts split at @cut, checking each
 * body against the batch; then frees it. */
static void ship(struct sl_batch *b, size_t cut) {
        size_t n = sl_batch_entries(b);

        FUZZ_CHECK(sl_batch_sealed(b), "a taken batch is sealed");
        if (n > 0) {
                FUZZ_CHECK(sl_push_encoder_encode(encoder, b, &body) == 0, "encode");
                fz_check_push_body(&body, b, 0, n);
                cut %= n + 1;
                FUZZ_CHECK(sl_push_encoder_encode_range(encoder, b, 0, cut, &body) == 0, "encode head");
                fz_check_push_body(&body, b, 0, cut);
                FUZZ_CHECK(sl_push_encoder_encode_range(encoder, b, cut, n - cut, &body) == 0, "encode tail");
                fz_check_push_body(&body, b, cut, n - cut);
        }
        sl_batch_free(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        struct sl_batcher_options o = {
                .batchsize = 64 << 10,
                .batchwait_ns = NOW_NS,
                .max_line_size = 256000,
        };
        struct sl_yaml_doc *doc = NULL;
        struct sl_cfg_error err = { 0 };
        char path[4096], msg[1024];

        snprintf(path, sizeof(path), "%s/pipelines/pino.yaml", fz_source_root());
        if (sl_yaml_doc_load(path, &doc, &err) < 0 ||
            sl_stages_pipeline_new(sl_yaml_get(doc->root, "pipeline_stages"), path, &err, &pipeline) < 0) {
                sl_cfg_error_format(&err, msg, sizeof(msg));
                fprintf(stderr, "cannot build the pino pipeline: %s\n", msg);
                abort();
        }
        sl_yaml_doc_free(doc);
        batcher = sl_batcher_new(&o);
        encoder = sl_push_encoder_new(0);
        sl_buf_init(&body, 64u << 20);
        sl_entry_init(&entry);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_batch *b;
        uint64_t offset = 0;

        while (!fz_empty(&in)) {
                struct sl_str line = fz_until(&in, '\n');
                struct sl_mark mark;
                int verdict;

                offset += line.len + 1;
                sl_entry_reset(&entry);
                entry.source_id = SOURCE;
                entry.line = line;
                sl_kvs_set(&entry.labels, SL_STR_LIT("job"), SL_STR_LIT("fuzz"));
                sl_kvs_set(&entry.labels, SL_STR_LIT("filename"), SL_STR_LIT("/var/log/c/c-json.log"));
                verdict = sl_pipeline_run(pipeline, &entry);
                FUZZ_CHECK(verdict == SL_STAGE_KEEP || verdict == SL_STAGE_DROP || verdict == SL_STAGE_HOLD,
                           "verdict %d", verdict);
                mark = (struct sl_mark){ .source_id = SOURCE, .offset = offset };
                if (verdict == SL_STAGE_KEEP && sl_batcher_add(batcher, &entry, NOW_NS) == 1)
                        ship(sl_batcher_take(batcher, NOW_NS, true), offset);
                sl_batcher_mark(batcher, &mark, NOW_NS);
        }
        sl_pipeline_forget(pipeline, SOURCE);
        b = sl_batcher_take(batcher, NOW_NS, true);
        if (b)
                ship(b, size);
        return 0;
}
