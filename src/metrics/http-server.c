/* http-server.c - see http-server.h. */
#include "metrics/http-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/time-util.h"
#include "base/xalloc.h"
#include "metrics/exposition.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
/* Pending connections the kernel queues before MHD accepts them. */
#define LISTEN_BACKLOG 64
/* Longest wait asked of the loop, whatever MHD says: it only matters when
 * MHD asks for none at all, which it tells us with MHD_NO instead. */
#define MAX_WAIT_NS (3600 * SL_NSEC_PER_SEC)

struct sl_http_server {
        struct sl_loop *loop;             /* borrowed; outlives the server */
        struct sl_http_handlers handlers; /* copy of the caller's table */
        struct MHD_Daemon *daemon;        /* owned; owns the listening socket */
        int epoll_fd;                     /* MHD's, registered on loop; -1 when not */
        struct sl_timer timer;            /* armed at MHD_get_timeout()'s deadline */
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

/* Fills @ret_addr from the numeric @address ("1.2.3.4", "::1", "[::1]";
 * NULL or "" for 0.0.0.0) and @port. Returns 0 or -EINVAL. */
static int parse_address(const char *address, unsigned port, struct sockaddr_storage *ret_addr,
                         socklen_t *ret_len) {
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        char host[INET6_ADDRSTRLEN];
        bool bracketed = false;
        size_t n;

        if (port > UINT16_MAX)
                return -EINVAL;
        if (!address || !*address)
                address = "0.0.0.0";
        n = strlen(address);
        if (address[0] == '[') {
                if (n < 2 || address[n - 1] != ']')
                        return -EINVAL;
                bracketed = true;
                address++;
                n -= 2;
        }
        if (n >= sizeof(host))
                return -EINVAL;
        memcpy(host, address, n);
        host[n] = '\0';

        if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)port);
                *ret_len = sizeof(*in4);
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                *ret_len = sizeof(*in6);
        } else {
                return -EINVAL;
        }
        *ret_addr = ss;
        return 0;
}

/* Opens a non-blocking socket listening on @addr. We bind it ourselves
 * rather than through MHD_OPTION_SOCK_ADDR so that a failure comes back as
 * its errno (-EADDRINUSE). Returns the new descriptor, or -errno. */
static int open_listener(const struct sockaddr_storage *addr, socklen_t len, unsigned *ret_port) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof(bound);
        int one = 1;

        fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Lets a restarted agent bind while old connections sit in TIME_WAIT;
         * a live listener on the port still fails with EADDRINUSE. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *)addr, len) < 0)
                return -errno;
        if (listen(fd, LISTEN_BACKLOG) < 0)
                return -errno;
        if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0)
                return -errno;
        if (bound.ss_family == AF_INET)
                *ret_port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        else
                *ret_port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        return TAKE_FD(fd);
}

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

/* Arms the timer at the deadline MHD wants to be run by, or disarms it
 * when MHD has none (no connection and nothing pending). */
static void schedule(struct sl_http_server *s) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t wait;

        if (MHD_get_timeout(s->daemon, &ms) != MHD_YES) {
                sl_loop_timer_disarm(s->loop, &s->timer);
                return;
        }
        wait = ms < MAX_WAIT_NS / SL_NSEC_PER_MSEC ? (uint64_t)ms * SL_NSEC_PER_MSEC : MAX_WAIT_NS;
        sl_loop_timer_arm(s->loop, &s->timer, sl_now_ns() + wait);
}

static void on_epoll_ready(int fd, uint32_t events, void *userdata) {
        struct sl_http_server *s = userdata;

        MHD_run(s->daemon);
        schedule(s);
}

static void on_timer(struct sl_timer *timer, uint64_t now_ns, void *userdata) {
        struct sl_http_server *s = userdata;

        MHD_run(s->daemon);
        schedule(s);
}

/* Starts MHD in external epoll mode on the listening socket @fd, which it
 * takes over, also on failure. Returns 0 or -errno. */
static int start_daemon(struct sl_http_server *s, int fd) {
        const union MHD_DaemonInfo *info;
        struct stat before, after;
        int r;

        if (fstat(fd, &before) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        errno = 0;
        s->daemon = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, s,
                                     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)SL_HTTP_MAX_CONNECTIONS,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SL_HTTP_IDLE_TIMEOUT_S,
                                     MHD_OPTION_END);
        if (!s->daemon) {
                r = errno > 0 ? -errno : -EIO;
                /* MHD closes a socket it was given on some failure paths and
                 * not on others: close it only if it is still ours. */
                if (fstat(fd, &after) == 0 && after.st_dev == before.st_dev && after.st_ino == before.st_ino)
                        close(fd);
                return r;
        }
        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sl_loop_add_fd(s->loop, info->epoll_fd, EPOLLIN, on_epoll_ready, s);
        if (r < 0)
                return r;
        s->epoll_fd = info->epoll_fd;
        schedule(s);
        return 0;
}

int sl_http_server_new(struct sl_loop *loop, const char *address, unsigned port, const struct sl_http_handlers *h,
                       struct sl_http_server **ret_server) {
        _cleanup_(sl_http_server_freep) struct sl_http_server *s = NULL;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        int fd, r;

        r = parse_address(address, port, &addr, &addr_len);
        if (r < 0)
                return r;

        s = sl_xnew(struct sl_http_server);
        s->loop = loop;
        s->handlers = *h;
        s->epoll_fd = -1;
        sl_timer_init(&s->timer, on_timer, s);
        sl_buf_init(&s->body, SL_HTTP_BODY_MAX);
        sl_buf_init(&s->reason, SL_HTTP_REASON_MAX);

        fd = open_listener(&addr, addr_len, &s->port);
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
        /* libmicrohttpd wants a peer address; a socketpair has none to give. */
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int r = 0;

        errno = 0;
        if (MHD_add_connection(s->daemon, fd, (const struct sockaddr *)&peer, sizeof(peer)) != MHD_YES)
                r = errno > 0 ? -errno : -EIO; /* MHD closed @fd */
        schedule(s);
        return r;
}

void sl_http_server_free(struct sl_http_server *s) {
        if (!s)
                return;
        if (s->epoll_fd >= 0)
                sl_loop_del_fd(s->loop, s->epoll_fd);
        sl_loop_timer_disarm(s->loop, &s->timer);
        if (s->daemon)
                MHD_stop_daemon(s->daemon);
        sl_buf_release(&s->body);
        sl_buf_release(&s->reason);
        free(s);
}
