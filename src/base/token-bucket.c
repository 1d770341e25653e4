/* token-bucket.c - see token-bucket.h. */
#include "base/token-bucket.h"

#include <math.h>

#include "base/time-util.h"

void sl_token_bucket_init(struct sl_token_bucket *b, double rate, double burst, uint64_t now_ns) {
        *b = (struct sl_token_bucket){
                .rate = rate,
                .burst = burst,
                .tokens = burst,
                .last_ns = now_ns,
        };
}

/* Brings the tokens up to @now_ns. */
static void advance(struct sl_token_bucket *b, uint64_t now_ns) {
        if (now_ns <= b->last_ns)
                return;
        b->tokens += (double)(now_ns - b->last_ns) / (double)SL_NSEC_PER_SEC * b->rate;
        if (b->tokens > b->burst)
                b->tokens = b->burst;
        b->last_ns = now_ns;
}

/* The time, from now, until @deficit tokens have been gained. */
static uint64_t time_for(const struct sl_token_bucket *b, double deficit) {
        double ns;

        if (deficit <= 0)
                return 0;
        ns = ceil(deficit / b->rate * (double)SL_NSEC_PER_SEC);
        return ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
}

bool sl_token_bucket_allow(struct sl_token_bucket *b, uint64_t now_ns) {
        advance(b, now_ns);
        if (b->tokens < 1)
                return false;
        b->tokens -= 1;
        return true;
}

uint64_t sl_token_bucket_reserve(struct sl_token_bucket *b, uint64_t now_ns) {
        advance(b, now_ns);
        b->tokens -= 1;
        return time_for(b, -b->tokens);
}

uint64_t sl_token_bucket_wait_ns(struct sl_token_bucket *b, double n, uint64_t now_ns) {
        advance(b, now_ns);
        return time_for(b, n - b->tokens);
}

double sl_token_bucket_tokens(struct sl_token_bucket *b, uint64_t now_ns) {
        advance(b, now_ns);
        return b->tokens;
}
