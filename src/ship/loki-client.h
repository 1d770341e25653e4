/* loki-client.h - struct sl_loki_client: pushes sealed batches to one Loki.
 *
 * Batches are sent one at a time, in submit order (one push in flight, as
 * Promtail does), so acknowledgements come back in order and each stream's
 * entries reach Loki in order. Each batch is encoded once (push-encode.h)
 * and POSTed with Content-Type: application/x-protobuf, the User-Agent, and
 * X-Scope-OrgID when a tenant is set. Loki's answer decides:
 *   any 2xx (also 260, "blocked by policy": final)      -> SL_PUSH_SENT
 *   429, 5xx, connection errors, timeouts               -> the same body is
 *       sent again after a backoff (sl_backoff; a Retry-After header in
 *       seconds replaces the wait, capped by backoff_max); when the
 *       max_retries-th retry fails too                  -> SL_PUSH_GAVE_UP
 *   any other status, never retried (a 400 may mean Loki stored part of
 *       the batch; 413 is not split), or a URL curl cannot use
 *                                                       -> SL_PUSH_REFUSED
 *   a batch without entries, with no request            -> SL_PUSH_EMPTY
 * done() is called exactly once per batch, in submit order, always from a
 * loop callback (never from inside submit), and takes ownership of the batch.
 *
 * I/O: libcurl's multi socket API driven by the loop: curl's sockets are
 * registered with sl_loop_add_fd() and its timeout is one struct sl_timer;
 * no call blocks. One easy handle is reused, so the connection is kept alive.
 *
 * Owns: the curl multi and easy handles, their sockets' registrations, three
 * timers, the queued batches (until done()), the encoded body of the head
 * batch, the response text (first 1 KiB). Borrows: the loop (must outlive
 * the client), the callback's userdata.
 *
 * Calling sequence:
 *   sl_loki_client_new()      copies its options; connects nothing yet
 *   sl_loki_client_submit()   queues a batch (ownership moves in)
 *   ... the loop runs; done() is called per batch ...
 *   sl_loki_client_idle()     true once every batch is done (to drain)
 *   sl_loki_client_free()     aborts the request in flight and frees the
 *                             batches not done, without calling done()
 * Callbacks (done) must not free the client; they may submit.
 * Threading: loop thread only.
 */
#ifndef SL_SHIP_LOKI_CLIENT_H
#define SL_SHIP_LOKI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/loop.h"
#include "ship/batch.h"

enum sl_push_outcome {
        SL_PUSH_SENT,    /* Loki answered 2xx */
        SL_PUSH_REFUSED, /* a final refusal (4xx other than 429, ...): dropped for good */
        SL_PUSH_GAVE_UP, /* max_retries retries failed: dropped */
        SL_PUSH_EMPTY,   /* no entries: nothing was sent */
};

/* Called once per batch. @batch: ownership passes to the callee. @http_status:
 * the last answer's status, 0 when there was none (connection error, timeout,
 * empty batch). @message: borrowed for the call; Loki's response body (at
 * most 1 KiB, trailing whitespace removed), curl's error text when there was
 * no answer, or "". */
typedef void (*sl_push_done_fn)(void *userdata, struct sl_batch *batch,
                                enum sl_push_outcome outcome, int http_status,
                                const char *message);

struct sl_loki_client_options {
        const char *url;         /* full push URL (.../loki/api/v1/push); copied */
        const char *tenant_id;   /* X-Scope-OrgID; NULL or "" = none; copied */
        const char *user_agent;  /* "sluice/<version>"; copied; NULL = curl's default */
        uint64_t timeout_ns;     /* whole request, connect included; 0 = none */
        uint64_t backoff_min_ns; /* first wait before a retry */
        uint64_t backoff_max_ns; /* longest wait, also caps Retry-After */
        uint64_t max_retries;    /* retries per batch before giving up (a batch is sent
                                  * at most 1 + max_retries times); 0 = forever */
};

struct sl_loki_client_stats {
        uint64_t requests;        /* requests finished (answered or failed), retries included */
        uint64_t retries;         /* requests repeated after 429, 5xx or no answer */
        uint64_t bytes_sent;      /* compressed body bytes of requests answered 2xx */
        uint64_t entries_sent;    /* entries of batches SENT */
        uint64_t entries_dropped; /* entries of batches REFUSED or GAVE_UP */
        uint64_t batches_sent;    /* batches SENT */
        uint64_t batches_refused; /* batches REFUSED */
        uint64_t batches_gave_up; /* batches GAVE_UP */
        uint64_t batches_empty;   /* batches EMPTY */
};

struct sl_loki_client;

/* Returns a new client, or NULL if curl cannot be set up. The loop and
 * userdata are borrowed; the strings in @opts are copied. */
struct sl_loki_client *sl_loki_client_new(struct sl_loop *loop,
                                          const struct sl_loki_client_options *opts,
                                          sl_push_done_fn done, void *userdata);
void sl_loki_client_free(struct sl_loki_client *c);
SL_DEFINE_CLEANUP(struct sl_loki_client *, sl_loki_client_free)

/* Queues @batch (sealed; ownership moves to the client, the caller clears
 * its pointer). Sending starts from the loop, never inside this call. */
void sl_loki_client_submit(struct sl_loki_client *c, struct sl_batch *batch);

/* Batches not done yet, the one in flight included. */
size_t sl_loki_client_queued(const struct sl_loki_client *c);
/* sl_batch_bytes() of the batches not done yet. */
uint64_t sl_loki_client_held_bytes(const struct sl_loki_client *c);
/* True when no batch is queued or in flight. */
bool sl_loki_client_idle(const struct sl_loki_client *c);

/* The counters, borrowed until sl_loki_client_free(). */
const struct sl_loki_client_stats *sl_loki_client_stats(const struct sl_loki_client *c);

/* Called per status seen, in order of first appearance. @status is the HTTP
 * status, 0 for requests that got no answer. The duration histogram is
 * Prometheus-style: @bounds are upper bounds in seconds, the last one
 * +INFINITY; @buckets[i] counts requests that took at most @bounds[i]
 * (cumulative, so the last equals @count). Arrays borrowed for the call. */
typedef void (*sl_loki_status_fn)(void *ud, int status, uint64_t count, const uint64_t *buckets,
                                  size_t n_buckets, const double *bounds, double sum_seconds);
void sl_loki_client_foreach_status(const struct sl_loki_client *c, sl_loki_status_fn fn,
                                   void *ud);

#endif
