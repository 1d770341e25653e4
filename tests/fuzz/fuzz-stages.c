/* fuzz-stages.c - any pipeline on any lines: the pipeline_stages of the
 * input are built (every stage's configuration reader), and, when they are
 * accepted, the lines that follow run through them.
 *
 * Input: a pipeline_stages sequence in YAML, a line "#--", then log lines
 * split at '\n'; a line starting with '\x01' comes from a second source.
 * Each line is read 100 ms after the one before (the clock of multiline's
 * wait, limit's rate, the metrics' idle time), and the stages' timer is
 * run when due, as the agent's loop does; the stages' metrics are
 * collected every 16 lines. At the end of the input one source is
 * forgotten, what is held is flushed, and the pipeline freed.
 * Checks, beyond the sanitizers: a verdict is KEEP, DROP or HOLD; a kept
 * entry's line, labels, metadata and extracted values are readable, and so
 * is every entry a stage releases; an entry released or kept has offsets
 * within what was read of its source; a refused pipeline says why.
 */
#include <stdint.h>
#include <string.h>

#include "base/yaml-doc.h"
#include "core/entry.h"
#include "fuzz-util.h"
#include "stages/stage-registry.h"

static struct sl_entry entry;
static volatile unsigned sink; /* makes every byte of a kept entry read */
static uint64_t read_end[3];   /* per source: where its last line read ends */

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

static void check_entry(const struct sl_entry *e) {
        FUZZ_CHECK(e->source_id == 1 || e->source_id == 2, "source %llu",
                   (unsigned long long)e->source_id);
        FUZZ_CHECK(e->offset <= e->end_offset && e->end_offset <= read_end[e->source_id],
                   "offsets %llu..%llu past %llu", (unsigned long long)e->offset,
                   (unsigned long long)e->end_offset, (unsigned long long)read_end[e->source_id]);
        sink = sum(e->line) + sum_kvs(&e->labels) + sum_kvs(&e->metadata) + sum_kvs(&e->extracted);
}

static void released(void *ud, struct sl_entry *e) {
        check_entry(e);
}

static bool family(void *ud, const char *name, const char *type, const char *help) {
        sink = (unsigned)strlen(name) + (unsigned)strlen(type) + (help ? (unsigned)strlen(help) : 0);
        return true;
}

static void sample(void *ud, const char *name, const char *const *labels, double value) {
        for (size_t i = 0; labels && labels[i]; i++)
                sink = (unsigned)strlen(labels[i]);
        sink = value > 0; /* read, without converting a value that may be negative */
}

static void histogram(void *ud, const char *name, const char *const *labels, const double *bounds,
                      const uint64_t *counts, size_t n_bounds, double sum_value) {
        for (size_t i = 0; i + 1 < n_bounds; i++)
                FUZZ_CHECK(bounds[i] < bounds[i + 1], "buckets out of order");
        for (size_t i = 0; i <= n_bounds; i++)
                sink = (unsigned)counts[i];
        sink = sum_value > 0;
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
        sl_pipeline_set_sink(p, released, NULL);
        read_end[1] = read_end[2] = 0;
        for (uint64_t n = 0, now = 1000000000; !fz_empty(&in); n++, now += 100000000) {
                struct sl_str line = fz_until(&in, '\n');
                uint64_t source = 1, allowance = UINT64_MAX;
                int verdict;

                if (line.len && line.ptr[0] == '\x01') {
                        source = 2;
                        line.ptr++;
                        line.len--;
                }
                if (sl_pipeline_deadline(p) <= now)
                        sl_pipeline_flush(p, now, false);
                (void)sl_pipeline_resume_at(p, now, &allowance);
                FUZZ_CHECK(allowance >= 1, "allowance 0");
                sl_entry_reset(&entry);
                entry.source_id = source;
                entry.line = line;
                entry.offset = read_end[source];
                entry.end_offset = read_end[source] += line.len + 1;
                entry.read_ns = now;
                sl_kvs_set(&entry.labels, SL_STR_LIT("job"), SL_STR_LIT("fuzz"));
                verdict = sl_pipeline_run(p, &entry);
                FUZZ_CHECK(verdict == SL_STAGE_KEEP || verdict == SL_STAGE_DROP || verdict == SL_STAGE_HOLD,
                           "verdict %d", verdict);
                if (verdict == SL_STAGE_KEEP)
                        check_entry(&entry);
                if (n % 16 == 15) {
                        struct sl_stage_metrics_out out = { NULL, family, sample, histogram };
                        sl_pipeline_collect(p, now, &out);
                }
        }
        sl_pipeline_forget(p, 2);
        sl_pipeline_flush(p, UINT64_MAX - 1, true);
        sl_pipeline_free(p);
        return 0;
}
