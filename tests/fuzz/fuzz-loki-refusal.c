/* fuzz-loki-refusal.c - reading Loki's 400 answers (ship/loki-refusal.h)
 * on hostile text.
 *
 * Input: label texts of the streams of a batch, one per line (stream i gets
 * 1 + i % 3 entries), a line "#--", then the answer. Checks, beyond the
 * sanitizers: the count is -1 or lies within the part's entries, for the
 * whole batch and for every part of it split at one point; a cut answer
 * never counts fewer than the whole one, and names the same streams.
 */
#include <stdint.h>

#include "fuzz-util.h"
#include "ship/batch.h"
#include "ship/loki-refusal.h"

#define MAX_STREAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str streams = fz_before(&in, "\n#--\n");
        struct fz lines = { streams.ptr, streams.ptr + streams.len };
        const char *text = in.p;
        size_t len = fz_left(&in), n = 0, n_streams = 0;
        struct sl_batch *b = sl_batch_new(0, 0);

        while (!fz_empty(&lines) && n_streams < MAX_STREAMS) {
                struct sl_str labels = fz_until(&lines, '\n');
                uint32_t s;

                if (labels.len == 0)
                        continue;
                s = sl_batch_stream(b, labels);
                for (size_t k = 0; k <= n_streams % 3; k++, n++)
                        sl_batch_add(b, s, (int64_t)n + 1, SL_STR_LIT("x"), NULL);
                n_streams++;
        }
        sl_batch_seal(b);
        for (size_t cut = 0; cut <= n; cut++) {
                const size_t parts[2][2] = { { 0, cut }, { cut, n - cut } };

                for (int p = 0; p < (cut ? 2 : 1); p++) {
                        size_t first = cut ? parts[p][0] : 0, count = cut ? parts[p][1] : n;
                        ssize_t whole = sl_loki_refused_entries(b, first, count, text, len, true);
                        ssize_t cut_short = sl_loki_refused_entries(b, first, count, text, len, false);

                        FUZZ_CHECK(whole == -1 || (whole >= 0 && (size_t)whole <= count), "%zd of %zu", whole, count);
                        FUZZ_CHECK((whole == -1) == (cut_short == -1), "named differently when cut");
                        FUZZ_CHECK(cut_short >= whole && (cut_short == -1 || (size_t)cut_short <= count),
                                   "cut: %zd, whole: %zd", cut_short, whole);
                }
                if (cut > 8)
                        break;
        }
        sl_batch_free(b);
        return 0;
}
