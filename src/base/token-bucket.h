/* token-bucket.h - a token bucket on events (pure): Promtail's rate
 * limiters (golang.org/x/time/rate) in one struct, with an explicit clock.
 *
 * The bucket holds up to @burst tokens and gains @rate tokens per second;
 * it starts full. An event takes one token:
 *   sl_token_bucket_allow()   takes one if there is one (rate.Limiter.Allow):
 *                             the "drop" mode, where an event without a
 *                             token is dropped;
 *   sl_token_bucket_reserve() takes one in any case, the bucket going below
 *                             zero (rate.Limiter.Reserve, which Wait uses):
 *                             the "wait" mode, where the caller holds off
 *                             until sl_token_bucket_wait_ns(1) is 0 again,
 *                             which is when the next event's token is there
 *                             (Wait returns when the reserved token is).
 * Times are CLOCK_MONOTONIC nanoseconds; a time before the last one seen
 * counts as the last one.
 * Threading: none; one owner.
 */
#ifndef SL_BASE_TOKEN_BUCKET_H
#define SL_BASE_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct sl_token_bucket {
        double rate;      /* tokens gained per second; > 0 */
        double burst;     /* most tokens held; >= 1 */
        double tokens;    /* held at last_ns; below 0 after reservations */
        uint64_t last_ns; /* when tokens was last brought up to date */
};

/* A full bucket. @rate > 0, @burst >= 1. */
void sl_token_bucket_init(struct sl_token_bucket *b, double rate, double burst, uint64_t now_ns);
/* Takes a token if one is there at @now_ns; false (nothing taken) if not. */
bool sl_token_bucket_allow(struct sl_token_bucket *b, uint64_t now_ns);
/* Takes a token, going below zero if needed; returns how long after @now_ns
 * that token is there (0: at once). */
uint64_t sl_token_bucket_reserve(struct sl_token_bucket *b, uint64_t now_ns);
/* How long after @now_ns @n tokens are there (0: now; @n <= burst): with
 * @n = 1, when the reservations made are paid for and the next event may
 * happen; a larger @n waits for several events' worth at once. */
uint64_t sl_token_bucket_wait_ns(struct sl_token_bucket *b, double n, uint64_t now_ns);
/* The tokens there at @now_ns (below 0 while reservations are unpaid). */
double sl_token_bucket_tokens(struct sl_token_bucket *b, uint64_t now_ns);

#endif
