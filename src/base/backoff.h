/* backoff.h - exponential backoff with jitter (pure).
 *
 * The n-th retry waits min(max, min * 2^n), then a random part of it is taken
 * away ("equal jitter": the wait lies in [d/2, d]), so agents that failed
 * together do not retry together.
 */
#ifndef SL_BASE_BACKOFF_H
#define SL_BASE_BACKOFF_H

#include <stdint.h>

struct sl_backoff {
        uint64_t min_ns;      /* first wait */
        uint64_t max_ns;      /* longest wait */
        unsigned attempt;     /* retries made since the last success */
        uint64_t rng;         /* xorshift state for the jitter; never 0 */
};

void sl_backoff_init(struct sl_backoff *b, uint64_t min_ns, uint64_t max_ns, uint64_t seed);
/* Returns the wait before the next retry and counts the attempt. */
uint64_t sl_backoff_next(struct sl_backoff *b);
/* A success: the next failure starts again from min. */
void sl_backoff_reset(struct sl_backoff *b);

#endif
