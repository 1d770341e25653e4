/* stage-sampling.c - the `sampling` stage: keeps a random share of the
 * entries.
 *
 * Keys (Promtail's): `rate` (0.0 to 1.0: the share kept; 0 keeps none)
 * and `drop_counter_reason` (default "sampling_stage"). As Promtail's
 * (Jaeger's probabilistic sampler): a random 63-bit number, never 0, is
 * drawn per entry, and the entry is kept when it is at most rate times the
 * largest such number. The generator is xoshiro256** seeded from the clock
 * at start, so runs differ, as Promtail's do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

#define MAX_RANDOM 0x7fffffffffffffffULL

struct sampling_ctx {
        uint64_t boundary; /* kept when the draw is at most this */
        uint64_t s[4];     /* xoshiro256** state */
        char *reason;      /* owned: drop_counter_reason */
};

static uint64_t rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct sampling_ctx *ctx) {
        uint64_t *s = ctx->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return r;
}

static int sampling_process(void *userdata, struct sl_entry *e) {
        struct sampling_ctx *ctx = userdata;
        uint64_t draw;

        do
                draw = next(ctx) >> 1;
        while (draw == 0);
        if (ctx->boundary >= draw)
                return SL_STAGE_KEEP;
        e->drop_reason = ctx->reason;
        return SL_STAGE_DROP;
}

static void sampling_destroy(void *userdata) {
        struct sampling_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->reason);
        free(ctx);
}

static inline void sampling_destroyp(struct sampling_ctx **p) {
        sampling_destroy(*p);
}

/* splitmix64, to spread one seed over the generator's state. */
static uint64_t splitmix(uint64_t *x) {
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int sampling_create(const struct sl_yaml_node *node, const char *path,
                           struct sl_cfg_error *err, void **ret_ctx) {
        _cleanup_(sampling_destroyp) struct sampling_ctx *ctx = sl_xnew(struct sampling_ctx);
        const struct sl_yaml_node *n = sl_yaml_get(node, "rate");
        struct timespec ts;
        double rate = 0;
        uint64_t seed;
        char key[160], *end;
        int r;

        if (n && n->kind != SL_YAML_NULL) {
                sl_stage_key(key, sizeof(key), path, "rate");
                if (n->kind != SL_YAML_SCALAR || n->text_len == 0)
                        return sl_cfg_error_set(err, n, key, "expected a number from 0.0 to 1.0");
                rate = strtod(n->text, &end);
                if (*end || n->text[0] == ' ')
                        return sl_cfg_error_set(err, n, key, "expected a number, not \"%s\"", n->text);
                if (!(rate >= 0.0 && rate <= 1.0))
                        return sl_cfg_error_set(err, n, key,
                                                "sampling rate must be between 0.0 and 1.0, received %f",
                                                rate);
        }
        ctx->boundary = (uint64_t)((double)MAX_RANDOM * rate);
        r = sl_stage_get_string(node, path, "drop_counter_reason", &ctx->reason, err);
        if (r < 0)
                return r;
        if (!ctx->reason)
                ctx->reason = sl_xstrdup("sampling_stage");
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)(uintptr_t)ctx;
        for (int i = 0; i < 4; i++)
                ctx->s[i] = splitmix(&seed);
        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

static const char *const sampling_keys[] = { "rate", "drop_counter_reason", NULL };

const struct sl_stage_type sl_stage_sampling = {
        .name = "sampling",
        .help = "keep a random share (rate) of the entries, drop the rest",
        .keys = sampling_keys,
        .create = sampling_create,
        .process = sampling_process,
        .destroy = sampling_destroy,
};
