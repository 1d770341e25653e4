/* loki-client.h - struct sl_loki_client: pushes sealed batches to one Loki.
 *
 * Batches are sent one at a time, in submit order (one push in flight, as
 * Promtail does), so acknowledgements come back in order and each stream's
 * entries reach Loki in order. A batch is sent as one part per tenant (its
 * streams' tenants, batch.h: those of the tenant stage; most batches have
 * one), each the range of that tenant's entries, unless Loki finds the
 * body too large: then that part is split in two halves, sent one after
 * the other (push-encode.h encodes a range of entries). Each part is
 * encoded once and POSTed with Content-Type: application/x-protobuf, the
 * User-Agent, X-Scope-OrgID (the part's tenant, else tenant_id, else a
 * configured X-Scope-OrgID header; none when there is none), and the
 * configured headers (Promtail's clients[].headers) but for those it sets
 * itself, which they do not overwrite. Loki's answer to a part decides:
 *   any 2xx (also 260, "blocked by policy": final)   -> the part is sent
 *   413 (or a body over the client's own cap), the part holding more than
 *       one entry                                    -> split into halves
 *   429 with drop_rate_limited                       -> the part is refused
 *   429, 5xx, connection errors, timeouts            -> the same body is
 *       sent again after a backoff wait (sl_backoff). A Retry-After header,
 *       delay-seconds or HTTP-date (retry-after.h), replaces that wait,
 *       capped by backoff_max. max_retries counts retries per part: after
 *       an answer that ends a part (or splits it), counting starts again.
 *       When the max_retries-th retry fails too, the client gives up the
 *       part and the parts of the batch not sent yet
 *   400: Loki validates stream by stream and stores what passes; its
 *       messages name what it refused (loki-refusal.h: the first 1 MiB of
 *       the answer is read)                          -> those entries are
 *       refused, the others sent; when the answer names none of the part's
 *       streams, the whole part is refused. Never retried.
 *   any other status, 413 for a single entry, a URL curl cannot use
 *                                                    -> the part is refused
 * The outcome of the batch combines those of its parts:
 *   every part sent                                  -> SL_PUSH_SENT
 *   the client gave up (the rest is dropped)         -> SL_PUSH_GAVE_UP
 *   otherwise, some entries refused (the others
 *       were sent: see sl_loki_client_last_report())  -> SL_PUSH_REFUSED
 *   a batch without entries, with no request         -> SL_PUSH_EMPTY
 * done() is called exactly once per batch, in submit order, always from a
 * loop callback (never from inside submit), and takes ownership of the
 * batch; the batch's marks belong to it whole, however it was split.
 *
 * Memory: a batch is encoded when it is submitted, one body per tenant, and
 * then drops its lines (batch.h), so that the batches waiting here hold
 * their compressed bodies (about a third of their lines) and not the lines
 * too. Retries send the same bodies. A split (413, or a part too large to
 * encode) needs the lines: they are put back, decoded from the bodies,
 * and the halves encoded from them. The batch handed to done() may thus
 * have no lines: its streams, counts and marks are there.
 *
 * Authentication, TLS and proxy follow Prometheus' HTTP client settings that
 * Promtail's clients use: basic auth (curl's, sent with the first request),
 * an Authorization header ("TYPE CREDENTIALS"), credentials, usernames and
 * passwords from files read again before every request (trimmed of white
 * space at both ends, as Prometheus does; a file that cannot be read fails
 * that request like a connection error, which is retried), CA and client
 * certificate and key as files or inline PEM, skipping verification, TLS
 * version bounds, a proxy (with no_proxy and CONNECT headers), and the
 * HTTP(S)_PROXY environment only when asked: by default no proxy is used.
 *
 * I/O: libcurl's multi socket API driven by the loop (base/curl-loop.h:
 * curl's sockets registered with sl_loop_add_fd(), its timeout one struct
 * sl_timer); no call blocks. One easy handle is reused, so the connection
 * is kept alive.
 *
 * Owns: the curl multi handle (an sl_curl_loop, with its sockets'
 * registrations and timer) and easy handle, two more timers, the queued
 * batches (until done()) with their encoded bodies, the parts of the head
 * batch still to send and the body of a part encoded apart (a split), the response (first 1 MiB; a
 * buffer over 64 KiB is given back before the next request), the latest
 * refusal's text (first 1 KiB). Borrows: the loop (must
 * outlive the client), the callback's userdata.
 *
 * Calling sequence:
 *   sl_loki_client_new()      copies its options; connects nothing yet
 *   sl_loki_client_submit()   queues a batch (ownership moves in)
 *   ... the loop runs; done() is called per batch ...
 *   sl_loki_client_idle()     true once every batch is done (to drain)
 *   sl_loki_client_oldest_ns() for the lag gauge: since when an entry waits
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
#include "core/kv.h"
#include "ship/batch.h"

enum sl_push_outcome {
        SL_PUSH_SENT,    /* Loki answered 2xx */
        SL_PUSH_REFUSED, /* a final refusal (4xx other than 429, ...) of the batch or of
                          * some of its parts: those entries are dropped for good */
        SL_PUSH_GAVE_UP, /* max_retries retries of a part failed: the entries not sent
                          * are dropped */
        SL_PUSH_EMPTY,   /* no entries: nothing was sent */
};

/* Called once per batch. @batch: ownership passes to the callee.
 * @http_status: for REFUSED, the status of the first refusal; otherwise
 * the last answer's; 0 when there was none (connection error, timeout,
 * empty batch, a body that could not be encoded). @message: borrowed for
 * the call; the text that goes with that status: Loki's response body (at
 * most 1 KiB, trailing whitespace removed), curl's error text when there
 * was no answer, or "". sl_loki_client_last_report() tells how many of the
 * batch's entries were sent and dropped. */
typedef void (*sl_push_done_fn)(void *userdata, struct sl_batch *batch,
                                enum sl_push_outcome outcome, int http_status,
                                const char *message);

/* Called each time a request fails in a way that is retried (429, 5xx,
 * no answer, a credentials file that cannot be read): @http_status as for
 * done (0: no answer), @message the text that goes with it (borrowed for
 * the call), @wait_ns the wait before the retry. It must not free the
 * client or submit. */
typedef void (*sl_push_retry_fn)(void *userdata, int http_status, const char *message,
                                 uint64_t wait_ns);

/* TLS to Loki (https:// URLs). Strings copied; NULL: not set. A file and
 * inline PEM of the same thing exclude each other (config checks). */
struct sl_loki_client_tls {
        const char *ca_file;        /* CA bundle that signs Loki's certificate */
        const char *ca;             /* the same, inline PEM */
        const char *cert_file;      /* client certificate (mutual TLS) */
        const char *cert;           /* inline PEM */
        const char *key_file;       /* its private key */
        const char *key;            /* inline PEM */
        bool insecure_skip_verify;  /* accept any certificate and name */
        int min_version;            /* 10..13 (TLS 1.0 .. 1.3); 0: libcurl's default */
        int max_version;            /* 10..13; 0: no bound */
};

/* Credentials. basic: username/password (or their files); else, with
 * auth_type, an "Authorization: TYPE CREDENTIALS" header. */
struct sl_loki_client_auth {
        bool basic;                 /* HTTP basic authentication */
        const char *username;       /* copied; NULL: "" (or username_file) */
        const char *username_file;  /* read before every request */
        const char *password;
        const char *password_file;
        const char *type;           /* "Bearer", ...; NULL: no Authorization header */
        const char *credentials;
        const char *credentials_file;
};

struct sl_loki_client_proxy {
        const char *url;            /* http://, https:// or socks5:// proxy; NULL: none */
        const char *no_proxy;       /* hosts that bypass it, comma-separated */
        bool from_environment;      /* use HTTP_PROXY, HTTPS_PROXY, NO_PROXY */
        const char *const *connect_headers; /* "Name: value" lines sent to the proxy
                                    * (CONNECT), NULL-terminated; copied; may be NULL */
};

struct sl_loki_client_options {
        const char *url;         /* full push URL (.../loki/api/v1/push); copied */
        const char *tenant_id;   /* X-Scope-OrgID of the entries without a tenant of
                                  * their own; NULL or "" = none; copied */
        const char *user_agent;  /* "sluice/<version>"; copied; NULL = curl's default */
        uint64_t timeout_ns;     /* whole request, connect included; 0 = none */
        uint64_t backoff_min_ns; /* first wait before a retry */
        uint64_t backoff_max_ns; /* longest wait, also caps Retry-After */
        uint64_t max_retries;    /* retries per part before giving up (a part is sent at
                                  * most 1 + max_retries times in a row without an
                                  * answer that ends it); 0 = until success */
        const struct sl_kvs *headers; /* sent with every request; borrowed during _new
                                  * (copied); may be NULL. Content-Type, User-Agent,
                                  * Expect and X-Scope-OrgID are skipped (any case):
                                  * the client sets them (X-Scope-OrgID's value
                                  * stands for tenant_id when that is not set) */
        bool drop_rate_limited;  /* a 429 refuses the part for good instead of
                                  * retrying it (drop_rate_limited_batches) */
        struct sl_loki_client_tls tls;
        struct sl_loki_client_auth auth;
        struct sl_loki_client_proxy proxy;
};

struct sl_loki_client_stats {
        uint64_t requests;        /* requests finished (answered or failed), retries included */
        uint64_t retries;         /* requests repeated after 429, 5xx or no answer */
        uint64_t bytes_sent;      /* compressed body bytes of requests answered 2xx */
        uint64_t bytes_encoded;   /* compressed body bytes encoded (each part once) */
        uint64_t entries_sent;    /* entries Loki accepted (2xx), whatever their batch's outcome */
        uint64_t entries_dropped; /* entries_refused + entries_gave_up */
        uint64_t entries_refused; /* entries of parts refused for good (400, 413 alone, ...) */
        uint64_t entries_gave_up; /* entries not sent when giving up after max_retries */
        uint64_t batches_sent;    /* batches SENT */
        uint64_t batches_refused; /* batches REFUSED (wholly or in part) */
        uint64_t batches_gave_up; /* batches GAVE_UP */
        uint64_t batches_empty;   /* batches EMPTY */
        uint64_t splits;          /* parts split in two after 413 (or too large to encode) */
};

/* What became of the entries of one batch (see sl_loki_client_last_report()).
 * entries_sent + entries_refused + entries_gave_up = sl_batch_entries(). */
struct sl_push_report {
        uint64_t entries_sent;    /* accepted by Loki */
        uint64_t entries_refused; /* in parts refused for good */
        uint64_t entries_gave_up; /* not sent: the client gave up */
        uint64_t requests;        /* requests made for the batch, retries included */
        uint64_t splits;          /* parts split in two */
};

struct sl_loki_client;

/* Returns a new client, or NULL if curl cannot be set up. The loop and
 * userdata are borrowed; the strings in @opts are copied. */
struct sl_loki_client *sl_loki_client_new(struct sl_loop *loop,
                                          const struct sl_loki_client_options *opts,
                                          sl_push_done_fn done, void *userdata);
void sl_loki_client_free(struct sl_loki_client *c);
SL_DEFINE_CLEANUP(struct sl_loki_client *, sl_loki_client_free)

/* Has @fn called (with @userdata, borrowed) before every retry; NULL: none. */
void sl_loki_client_set_retry_cb(struct sl_loki_client *c, sl_push_retry_fn fn, void *userdata);

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

/* The report of the batch done() was last called for (all zero before the
 * first), borrowed until the next batch is done: inside done() it is that
 * batch's. */
const struct sl_push_report *sl_loki_client_last_report(const struct sl_loki_client *c);

/* Loki's message of the latest refusal (borrowed until the next refusal;
 * "" if none yet), its status in *@ret_status (0 if none; may be NULL).
 * The agent logs refusals with a rate limit; this keeps the text at hand. */
const char *sl_loki_client_last_refusal(const struct sl_loki_client *c, int *ret_status);

/* The monotonic time since which the oldest queued batch holds an entry
 * not yet acknowledged (see sl_batch_oldest_ns()); UINT64_MAX when none.
 * A batch counts until done(), parts of it already sent included. */
uint64_t sl_loki_client_oldest_ns(const struct sl_loki_client *c);

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
