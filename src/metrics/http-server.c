/* http-server.c - see http-server.h. */
#include "metrics/http-server.h"

#include <errno.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/socket.h>

#include "base/listen.h"
#include "base/mhd-loop.h"
#include "base/xalloc.h"
#include "metrics/exposition.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
/* Pending connections the kernel queues before MHD accepts them. */
#define LISTEN_BACKLOG 64

struct sl_http_server {
        struct sl_http_handlers handlers; /* copy of the caller's table */
        struct sl_mhd_loop mhd;           /* owned: the daemon (which owns the
                                           * listening socket) on the loop */
        struct sl_buf body;               /* scratch: the response being built */
        struct sl_buf reason;             /* scratch: why /ready says no */
        unsigned port;                    /* port bound */
};

enum route {
        ROUTE_NONE,    /* 404 */
        ROUTE_STATUS,  /* "/" */
        ROUTE_METRICS, /* "/metrics" */
        ROUTE_READY,   /* "/ready" */
        ROUTE_RELOAD,  /* "/reload" (any method, as Promtail) */
};

static enum route find_route(const struct sl_http_server *s, const char *url) {
        if (strcmp(url, "/metrics") == 0 && s->handlers.metrics)
                return ROUTE_METRICS;
        if (strcmp(url, "/ready") == 0)
                return ROUTE_READY;
        if (strcmp(url, "/") == 0 && s->handlers.status)
                return ROUTE_STATUS;
        if (strcmp(url, "/reload") == 0 && s->handlers.reload)
                return ROUTE_RELOAD;
        return ROUTE_NONE;
}

/* Queues a response with a copy of @body; HEAD gets the same headers and
 * no body (MHD drops it). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *content_type,
                               const struct sl_buf *body, bool allow_header) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(body->len, body->data ? body->data : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
            (allow_header && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* Fills s->body for a GET or HEAD of @route; returns the status code. */
static unsigned render(struct sl_http_server *s, enum route route, const char **ret_content_type) {
        const struct sl_http_handlers *h = &s->handlers;

        sl_buf_reset(&s->body);
        *ret_content_type = TEXT_PLAIN;
        switch (route) {
        case ROUTE_METRICS:
                h->metrics(h->userdata, &s->body);
                *ret_content_type = SL_EXPO_CONTENT_TYPE;
                return MHD_HTTP_OK;
        case ROUTE_STATUS:
                h->status(h->userdata, &s->body);
                return MHD_HTTP_OK;
        case ROUTE_READY:
                sl_buf_reset(&s->reason);
                if (!h->ready || h->ready(h->userdata, &s->reason)) {
                        sl_buf_printf(&s->body, "ready\n");
                        return MHD_HTTP_OK;
                }
                if (s->reason.len > 0)
                        sl_buf_printf(&s->body, "not ready: %s\n", s->reason.data);
                else
                        sl_buf_printf(&s->body, "not ready\n");
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        case ROUTE_RELOAD:
                return h->reload(h->userdata, &s->body);
        case ROUTE_NONE:
                break;
        }
        sl_buf_printf(&s->body, "404 page not found\n");
        return MHD_HTTP_NOT_FOUND;
}

/* MHD's access handler, called after the headers, then for each piece of a
 * request body, then once the request is complete. GET and HEAD (and any
 * method of /reload) are answered on that last call, so that MHD keeps the connection alive (a
 * body sent with them is skipped). Other methods are answered at once, from
 * the headers: MHD then discards their body and closes the connection. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        static char headers_seen; /* its address marks a request past its first call */
        struct sl_http_server *s = cls;
        enum route route = find_route(s, url);
        const char *content_type;
        unsigned status;

        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
            route != ROUTE_RELOAD) {
                if (route == ROUTE_NONE) {
                        status = render(s, route, &content_type);
                        return respond(conn, status, content_type, &s->body, false);
                }
                sl_buf_reset(&s->body);
                sl_buf_printf(&s->body, "method not allowed\n");
                return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN, &s->body, true);
        }
        if (!*con_cls) {
                *con_cls = &headers_seen;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                *upload_data_size = 0;
                return MHD_YES;
        }
        status = render(s, route, &content_type);
        return respond(conn, status, content_type, &s->body, false);
}

/* Starts MHD on the listening socket @fd, which it takes over, also on
 * failure. Returns 0 or -errno. */
static int start_daemon(struct sl_http_server *s, int fd) {
        const struct MHD_OptionItem options[] = {
                { MHD_OPTION_CONNECTION_LIMIT, SL_HTTP_MAX_CONNECTIONS, NULL },
                { MHD_OPTION_CONNECTION_TIMEOUT, SL_HTTP_IDLE_TIMEOUT_S, NULL },
                { MHD_OPTION_END, 0, NULL },
        };

        return sl_mhd_loop_start(&s->mhd, 0, fd, on_request, s, options);
}

int sl_http_server_new(struct sl_loop *loop, const char *address, unsigned port, const struct sl_http_handlers *h,
                       struct sl_http_server **ret_server) {
        _cleanup_(sl_http_server_freep) struct sl_http_server *s = NULL;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        int fd, r;

        r = sl_listen_parse_address(address, port, &addr, &addr_len);
        if (r < 0)
                return r;

        s = sl_xnew(struct sl_http_server);
        s->handlers = *h;
        /* Rerun after closes: at the connection limit MHD stops listening
         * until a run after some close (mhd-loop.h); without it, a client
         * filling the limit would leave /metrics and /ready deaf. */
        sl_mhd_loop_init(&s->mhd, loop, true);
        sl_buf_init(&s->body, SL_HTTP_BODY_MAX);
        sl_buf_init(&s->reason, SL_HTTP_REASON_MAX);

        fd = sl_listen_open(&addr, addr_len, LISTEN_BACKLOG, &s->port);
        if (fd < 0)
                return fd;
        r = start_daemon(s, fd);
        if (r < 0)
                return r;

        *ret_server = TAKE_PTR(s);
        return 0;
}

unsigned sl_http_server_port(const struct sl_http_server *s) {
        return s->port;
}

int sl_http_server_add_connection(struct sl_http_server *s, int fd) {
        return sl_mhd_loop_add_connection(&s->mhd, fd);
}

void sl_http_server_free(struct sl_http_server *s) {
        if (!s)
                return;
        sl_mhd_loop_release(&s->mhd);
        sl_buf_release(&s->body);
        sl_buf_release(&s->reason);
        free(s);
}
