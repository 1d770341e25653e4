/* http-server.h - the agent's small HTTP endpoint: /metrics, /ready and /.
 *
 * libmicrohttpd runs without a thread of its own, in its external epoll
 * mode (base/mhd-loop.h): its epoll descriptor is registered on the agent's
 * loop and MHD_run() is called when it is readable, or when the deadline
 * MHD_get_timeout() gives passes (an embedded sl_timer). Requests are answered at once from
 * the handlers, which render into a scratch buffer owned by the server.
 *
 *   GET|HEAD /metrics  200, SL_EXPO_CONTENT_TYPE, the body from h->metrics
 *   GET|HEAD /ready    200 "ready", or 503 "not ready: <reason>"
 *   GET|HEAD /         200, text/plain, the body from h->status
 *   other methods on those paths: 405 with "Allow: GET, HEAD"
 *   any other path: 404
 *
 * Owns: the MHD daemon, the listening socket, the scratch buffers, a copy of
 * the handler table. Borrows: the loop (it must outlive the server) and the
 * handlers' userdata.
 *
 * Calling sequence:
 *   sl_http_server_new()   binds, listens, registers on the loop
 *   sl_loop_run() ...      requests are served from inside the loop
 *   sl_http_server_port()  the bound port (useful when 0 was asked for)
 *   sl_http_server_add_connection()  serves a socket connected by other
 *                          means (a socketpair: tests and fuzzing drive the
 *                          request handling without TCP)
 *   sl_http_server_free()  unregisters, closes the socket and connections
 *
 * Threading: loop thread only; the handlers are called on it, from inside
 * sl_loop_run_once(). A handler must not free the server.
 */
#ifndef SL_METRICS_HTTP_SERVER_H
#define SL_METRICS_HTTP_SERVER_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/loop.h"

/* Cap of a response body a handler renders; text past it is lost (the
 * exposition writer stops at whole lines, see exposition.h). */
#define SL_HTTP_BODY_MAX (64u << 20)
/* Cap of the reason a ready handler gives. */
#define SL_HTTP_REASON_MAX 4096u
/* Most connections served at once; libmicrohttpd turns away the rest. */
#define SL_HTTP_MAX_CONNECTIONS 32u
/* Seconds after which an idle connection is closed. */
#define SL_HTTP_IDLE_TIMEOUT_S 10u

struct sl_http_handlers {
        /* Renders the /metrics body into @out (empty on entry; Prometheus
         * text format 0.0.4). NULL: /metrics is 404. */
        void (*metrics)(void *userdata, struct sl_buf *out);
        /* Returns true when ready (200 "ready"), else false with a short
         * reason in @out (empty on entry) for the 503 body. NULL: always
         * ready. */
        bool (*ready)(void *userdata, struct sl_buf *out);
        /* Renders a short text/plain status page for GET / into @out (empty
         * on entry). NULL: / is 404. */
        void (*status)(void *userdata, struct sl_buf *out);
        /* Reloads the configuration for /reload (any method, as Promtail's
         * server.enable_runtime_reload): writes a short text/plain answer
         * into @out (empty on entry) and returns the status code. NULL:
         * /reload is 404. */
        unsigned (*reload)(void *userdata, struct sl_buf *out);
        void *userdata; /* borrowed, passed to every handler */
};

struct sl_http_server;

/* Listens on @address:@port and serves requests from @loop. @address is a
 * numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]"; base/listen.h);
 * NULL or "" mean every IPv4 address. @port 0 picks a free port. @h is copied.
 * On success *@ret_server is a new server, owned by the caller. Returns 0 or
 * -errno: -EINVAL for a bad address or port, -EADDRINUSE when the port is
 * taken, -EADDRNOTAVAIL for an address that is not local, others from the
 * socket calls or libmicrohttpd. */
int sl_http_server_new(struct sl_loop *loop, const char *address, unsigned port, const struct sl_http_handlers *h,
                       struct sl_http_server **ret_server);

/* The port the server listens on. */
unsigned sl_http_server_port(const struct sl_http_server *s);

/* Serves the connected stream socket @fd (taken over, also on failure)
 * like a connection accepted on the listening socket: the same limits,
 * handlers and timeouts. Returns 0, or -errno when libmicrohttpd refuses it
 * (-EAGAIN at the connection limit). */
int sl_http_server_add_connection(struct sl_http_server *s, int fd);

/* Stops serving: unregisters from the loop, closes every connection and the
 * listening socket. NULL is a no-op. */
void sl_http_server_free(struct sl_http_server *s);
SL_DEFINE_CLEANUP(struct sl_http_server *, sl_http_server_free)

#endif
