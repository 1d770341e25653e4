/* backoff.c - see backoff.h. */
#include "base/backoff.h"

void sl_backoff_init(struct sl_backoff *b, uint64_t min_ns, uint64_t max_ns, uint64_t seed) {
        b->min_ns = min_ns ? min_ns : 1;
        b->max_ns = max_ns < b->min_ns ? b->min_ns : max_ns;
        b->attempt = 0;
        b->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static uint64_t next_random(struct sl_backoff *b) {
        uint64_t x = b->rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b->rng = x;
        return x;
}

uint64_t sl_backoff_next(struct sl_backoff *b) {
        uint64_t d = b->min_ns;
        uint64_t half;

        for (unsigned i = 0; i < b->attempt && d < b->max_ns; i++)
                d = d > b->max_ns / 2 ? b->max_ns : d * 2;
        if (d > b->max_ns)
                d = b->max_ns;
        if (b->attempt < 64)
                b->attempt++;
        half = d / 2;
        return d - (half ? next_random(b) % (half + 1) : 0);
}

void sl_backoff_reset(struct sl_backoff *b) {
        b->attempt = 0;
}
