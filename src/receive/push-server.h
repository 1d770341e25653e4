/* push-server.h - an HTTP server that receives pushed logs (Loki's push
 * API or OTLP/HTTP logs) and answers each push once its entries are safe.
 *
 * Routes, by kind:
 *   SL_PUSH_SERVER_LOKI  POST /loki/api/v1/push     Loki's push API (204)
 *                        POST /promtail/api/v1/raw  newline-delimited lines (204)
 *   SL_PUSH_SERVER_OTLP  POST /v1/logs              OTLP/HTTP logs (200 with an empty
 *                                                   ExportLogsServiceResponse, protobuf
 *                                                   or JSON as the request was)
 *   both                 GET|HEAD /ready            200 "ready"
 * Other paths are 404, other methods 405.
 *
 * End-to-end acknowledgement: a push is decoded and checked whole, then its
 * entries are handed to the handler under a push id. The handler returns 0
 * when they are on their way to Loki: the connection is suspended (it costs
 * no thread and no busy loop) until sl_push_server_ack(id) — then the push
 * is answered 2xx — or until ack_timeout passes, when it is answered 503
 * (with Retry-After) so that the sender sends it again. A push is thus
 * answered 2xx only once Loki has acknowledged every entry of it; a sender
 * that retries what was not answered 2xx loses nothing to a crash of sluice.
 *
 * Refusals: a body over max_body (as sent or decompressed), or with more
 * than max_entries entries: 413; a body that does not decode: 400 with the
 * reason as text (OTLP: a google.rpc.Status with the reason, protobuf or
 * JSON); an unknown Content-Type or Content-Encoding: 415; the handler
 * refusing (memory budget held, reloading, shutting down): 503 with
 * Retry-After. Past max_connections connections, libmicrohttpd stops
 * accepting: new ones wait in the listen queue until one closes. An idle
 * connection is closed after ack_timeout + 30 s (a waiting one is not
 * idle); this also bounds a client whose end of the connection arrives with
 * its last bytes, which libmicrohttpd (0.9.75, edge-triggered epoll) does
 * not notice until then.
 *
 * libmicrohttpd runs on the loop through base/mhd-loop.h, which runs it
 * again while a run closes connections (see there).
 *
 * Owns: the MHD daemon and listening socket, the requests being received
 * and those waiting for their acknowledgement.
 * Borrows: the loop (outlives the server), the handler's userdata.
 *
 * Calling sequence:
 *   sl_push_server_new()   binds, listens, registers on the loop
 *   ... handler->push() from inside the loop, sl_push_server_ack() later
 *   sl_push_server_reconfigure()     new limits and handler (a reload)
 *   sl_push_server_abort_waiting()   answers 503 to pushes still waiting
 *   sl_push_server_add_connection()  serves a connected socket (tests, fuzzing)
 *   sl_push_server_free()  answers 503 to pushes still waiting (and to any
 *                          that completes meanwhile), closes all
 * Threading: loop thread only.
 */
#ifndef SL_RECEIVE_PUSH_SERVER_H
#define SL_RECEIVE_PUSH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/loop.h"
#include "receive/push-request.h"

/* Push ids have this bit set, so that they never collide with a file's
 * source id in a batch's marks. */
#define SL_PUSH_ID_FLAG (UINT64_C(1) << 63)

enum sl_push_server_kind {
        SL_PUSH_SERVER_LOKI, /* loki_push_api */
        SL_PUSH_SERVER_OTLP, /* otlp_logs */
};

struct sl_push_server_options {
        enum sl_push_server_kind kind;
        const char *address;        /* numeric IPv4 or IPv6 ("[::1]" too; brackets
                                     * only around IPv6, base/listen.h); NULL or
                                     * "": 0.0.0.0 */
        unsigned port;              /* 0: a free port */
        unsigned max_connections;   /* connections served at once */
        size_t max_body;            /* bytes of a body, as sent and decompressed */
        size_t max_entries;         /* entries in one push */
        uint64_t ack_timeout_ns;    /* answer 503 when not acknowledged by then */
        uint64_t id_base;           /* ids are id_base + 1, + 2, ...; include SL_PUSH_ID_FLAG */
};

struct sl_push_handler {
        /* Takes the entries of @req (borrowed for the call) as push @id.
         * Returns 0 when they are on their way (the push is answered when
         * sl_push_server_ack(@id) is called, or 503 at the timeout), 1 when
         * nothing is left to wait for (answered 2xx now), or -errno to
         * refuse it (503: -ENOBUFS while too much is held, -EAGAIN while
         * reloading, -ESHUTDOWN). */
        int (*push)(void *userdata, struct sl_push_request *req, uint64_t id);
        void *userdata;
};

struct sl_push_server_stats {
        uint64_t accepted;        /* pushes answered 2xx */
        uint64_t bad;             /* answered 400: the body did not decode */
        uint64_t too_large;       /* answered 413 */
        uint64_t unsupported;     /* answered 415 */
        uint64_t unavailable;     /* answered 503 at once (the handler refused), or at a
                                   * reload or shutdown while waiting */
        uint64_t timed_out;       /* answered 503 after ack_timeout */
        uint64_t entries;         /* entries handed to the handler */
        uint64_t pending;         /* pushes waiting for their acknowledgement now */
};

struct sl_push_server;

/* Listens and serves from @loop; @opts and @handler are copied. Returns 0
 * or -errno (-EINVAL bad address, -EADDRINUSE, ...). */
int sl_push_server_new(struct sl_loop *loop, const struct sl_push_server_options *opts,
                       const struct sl_push_handler *handler, struct sl_push_server **ret);

unsigned sl_push_server_port(const struct sl_push_server *s);

/* Push @id's entries are acknowledged: answer it 2xx. Returns false when
 * @id is not waiting (answered already at its timeout, or not this
 * server's). May be called from any loop callback, also from inside the
 * handler's push() for an earlier id. */
bool sl_push_server_ack(struct sl_push_server *s, uint64_t id);

const struct sl_push_server_stats *sl_push_server_stats(const struct sl_push_server *s);

/* Takes @opts' kind, max_body, max_entries and ack_timeout_ns, and
 * @handler, from now on (a reload); the address, port, connection limit and
 * id_base stay. Pushes waiting keep their deadline. */
void sl_push_server_reconfigure(struct sl_push_server *s,
                                const struct sl_push_server_options *opts,
                                const struct sl_push_handler *handler);

/* Answers every push waiting for its acknowledgement 503 (with Retry-After)
 * and @reason: what they were waiting for will not come (a reload dropped
 * the clients that held their entries). Counted as unavailable. */
void sl_push_server_abort_waiting(struct sl_push_server *s, const char *reason);

/* Serves the connected stream socket @fd (taken over, also on failure).
 * Returns 0 or -errno. */
int sl_push_server_add_connection(struct sl_push_server *s, int fd);

void sl_push_server_free(struct sl_push_server *s);
SL_DEFINE_CLEANUP(struct sl_push_server *, sl_push_server_free)

#endif
