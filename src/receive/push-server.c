/* push-server.c - see push-server.h.
 *
 * libmicrohttpd runs in its external epoll mode, as the metrics server
 * does (base/mhd-loop.h): its epoll descriptor is on the agent's loop and
 * MHD_run() is called when it is readable or when MHD's timeout passes. A push waiting for its
 * acknowledgement is a suspended MHD connection; resuming it wakes MHD's
 * epoll descriptor (its inter-thread channel), and MHD then calls the access
 * handler again, which queues the answer decided meanwhile. */
#include "receive/push-server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/listen.h"
#include "base/mhd-loop.h"
#include "base/time-util.h"
#include "base/xalloc.h"

#define LISTEN_BACKLOG 128
#define ANSWER_MAX 4096u
#define TEXT_PLAIN "text/plain; charset=utf-8"

enum route {
        ROUTE_NONE,
        ROUTE_READY,
        ROUTE_LOKI,
        ROUTE_RAW,
        ROUTE_OTLP,
};

/* One request, from its headers until MHD says it is complete. */
struct request {
        struct sl_push_server *s;       /* borrowed back-pointer */
        struct MHD_Connection *conn;    /* borrowed from MHD */
        enum route route;
        struct sl_buf body;             /* owned; capped at max_body */
        bool too_big;                   /* the body passed max_body: its rest is skipped */
        bool json;                      /* OTLP: the request was JSON, answer in JSON */
        bool suspended;                 /* waiting for its acknowledgement */
        unsigned status;                /* the answer decided; 0 while none */
        char reason[SL_PUSH_REASON_MAX];/* for a refusal */
        uint64_t id;                    /* push id while waiting */
        uint64_t deadline_ns;           /* answer 503 then */
        struct request *prev, *next;    /* the waiting list, oldest first */
};

struct sl_push_server {
        struct sl_loop *loop;               /* borrowed */
        struct sl_push_server_options opts; /* copy; address not kept */
        struct sl_push_handler handler;     /* copy */
        struct sl_mhd_loop mhd;             /* owned: the daemon on the loop, run
                                             * again while a run closes connections */
        struct sl_timer ack_timer;          /* the oldest waiting push's deadline */
        struct request *wait_head;          /* waiting pushes, oldest first (borrowed:
                                             * MHD's requests own them) */
        struct request *wait_tail;
        uint64_t next_id;                   /* last id handed out, less id_base */
        unsigned port;
        struct sl_push_server_stats stats;
};

/* ---- waiting pushes ---------------------------------------------------------- */

static void arm_ack_timer(struct sl_push_server *s) {
        if (s->wait_head)
                sl_loop_timer_arm(s->loop, &s->ack_timer, s->wait_head->deadline_ns);
        else
                sl_loop_timer_disarm(s->loop, &s->ack_timer);
}

static void unlink_waiting(struct sl_push_server *s, struct request *rq) {
        if (rq->prev)
                rq->prev->next = rq->next;
        else if (s->wait_head == rq)
                s->wait_head = rq->next;
        if (rq->next)
                rq->next->prev = rq->prev;
        else if (s->wait_tail == rq)
                s->wait_tail = rq->prev;
        rq->prev = rq->next = NULL;
        s->stats.pending--;
}

/* Decides @rq's answer and lets MHD send it. */
static void finish_waiting(struct sl_push_server *s, struct request *rq, unsigned status) {
        unlink_waiting(s, rq);
        rq->status = status;
        rq->suspended = false;
        MHD_resume_connection(rq->conn);
}

bool sl_push_server_ack(struct sl_push_server *s, uint64_t id) {
        /* Acknowledgements come in push order (one batch in flight per
         * client), so the one acknowledged is nearly always the oldest. */
        for (struct request *rq = s->wait_head; rq; rq = rq->next) {
                if (rq->id != id)
                        continue;
                s->stats.accepted++;
                finish_waiting(s, rq, rq->route == ROUTE_OTLP ? MHD_HTTP_OK : MHD_HTTP_NO_CONTENT);
                arm_ack_timer(s);
                sl_mhd_loop_run(&s->mhd);
                return true;
        }
        return false;
}

static void on_ack_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        struct sl_push_server *s = userdata;

        while (s->wait_head && s->wait_head->deadline_ns <= now) {
                struct request *rq = s->wait_head;
                snprintf(rq->reason, sizeof(rq->reason),
                         "not acknowledged by Loki within %llu ms; send it again",
                         (unsigned long long)(s->opts.ack_timeout_ns / SL_NSEC_PER_MSEC));
                s->stats.timed_out++;
                finish_waiting(s, rq, MHD_HTTP_SERVICE_UNAVAILABLE);
        }
        arm_ack_timer(s);
        sl_mhd_loop_run(&s->mhd);
}

/* ---- answers ----------------------------------------------------------------- */

/* Appends a protobuf varint. */
static void put_varint(struct sl_buf *b, uint64_t v) {
        while (v >= 0x80) {
                sl_buf_putc(b, (char)(v | 0x80));
                v >>= 7;
        }
        sl_buf_putc(b, (char)v);
}

/* The gRPC code OTLP's google.rpc.Status carries for an HTTP status. */
static unsigned grpc_code(unsigned status) {
        switch (status) {
        case MHD_HTTP_BAD_REQUEST: return 3;           /* INVALID_ARGUMENT */
        case MHD_HTTP_CONTENT_TOO_LARGE: return 8;     /* RESOURCE_EXHAUSTED */
        case MHD_HTTP_UNSUPPORTED_MEDIA_TYPE: return 3;
        case MHD_HTTP_SERVICE_UNAVAILABLE: return 14;  /* UNAVAILABLE */
        default: return 2;                             /* UNKNOWN */
        }
}

static enum MHD_Result queue(struct request *rq, struct MHD_Connection *conn, unsigned status) {
        struct sl_buf body;
        const char *type = TEXT_PLAIN;
        struct MHD_Response *resp;
        enum MHD_Result ret;

        sl_buf_init(&body, ANSWER_MAX);
        if (status == MHD_HTTP_OK && (!rq || rq->route == ROUTE_READY)) {
                sl_buf_printf(&body, "ready"); /* as Promtail's push server */
        } else if (status < 300) {
                if (rq && rq->route == ROUTE_OTLP) {
                        /* An empty ExportLogsServiceResponse. */
                        type = rq->json ? "application/json" : "application/x-protobuf";
                        if (rq->json)
                                sl_buf_printf(&body, "{}");
                }
        } else if (rq && rq->route == ROUTE_OTLP) {
                size_t n = strlen(rq->reason);
                if (rq->json) {
                        type = "application/json";
                        sl_buf_printf(&body, "{\"code\":%u,\"message\":\"", grpc_code(status));
                        for (size_t i = 0; i < n; i++) {
                                unsigned char c = (unsigned char)rq->reason[i];
                                if (c == '"' || c == '\\')
                                        sl_buf_printf(&body, "\\%c", c);
                                else if (c < 0x20)
                                        sl_buf_printf(&body, "\\u%04x", c);
                                else
                                        sl_buf_putc(&body, (char)c);
                        }
                        sl_buf_printf(&body, "\"}");
                } else {
                        type = "application/x-protobuf";
                        sl_buf_putc(&body, 0x08);
                        put_varint(&body, grpc_code(status));
                        sl_buf_putc(&body, 0x12);
                        put_varint(&body, n);
                        sl_buf_append(&body, rq->reason, n);
                }
        } else if (rq && rq->reason[0]) {
                sl_buf_printf(&body, "%s\n", rq->reason);
        } else if (status == MHD_HTTP_NOT_FOUND) {
                sl_buf_printf(&body, "404 page not found\n");
        } else if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
                sl_buf_printf(&body, "method not allowed\n");
        }
        resp = MHD_create_response_from_buffer(body.len, body.data ? body.data : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
        sl_buf_release(&body);
        if (!resp)
                return MHD_NO;
        if (status != MHD_HTTP_NO_CONTENT)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                        rq && rq->route == ROUTE_READY ? "GET, HEAD" : "POST");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum route find_route(const struct sl_push_server *s, const char *url) {
        if (strcmp(url, "/ready") == 0)
                return ROUTE_READY;
        if (s->opts.kind == SL_PUSH_SERVER_LOKI) {
                if (strcmp(url, "/loki/api/v1/push") == 0)
                        return ROUTE_LOKI;
                if (strcmp(url, "/promtail/api/v1/raw") == 0)
                        return ROUTE_RAW;
        } else if (strcmp(url, "/v1/logs") == 0) {
                return ROUTE_OTLP;
        }
        return ROUTE_NONE;
}

static unsigned status_of(int r) {
        switch (r) {
        case -EMSGSIZE:
        case -E2BIG:
                return MHD_HTTP_CONTENT_TOO_LARGE;
        case -ENOTSUP:
                return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        default:
                return MHD_HTTP_BAD_REQUEST;
        }
}

static void count_refusal(struct sl_push_server *s, unsigned status) {
        if (status == MHD_HTTP_CONTENT_TOO_LARGE)
                s->stats.too_large++;
        else if (status == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE)
                s->stats.unsupported++;
        else if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
                s->stats.unavailable++;
        else
                s->stats.bad++;
}

/* The whole body is in: decode it, hand it over, and either answer now or
 * wait for the acknowledgement. */
static enum MHD_Result complete(struct sl_push_server *s, struct request *rq,
                                struct MHD_Connection *conn) {
        _cleanup_(sl_push_request_freep) struct sl_push_request *req = NULL;
        struct sl_push_limits limits = { s->opts.max_body, s->opts.max_entries };
        const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_CONTENT_ENCODING);
        enum sl_push_format format = rq->route == ROUTE_OTLP ? SL_PUSH_OTLP
                                     : rq->route == ROUTE_RAW ? SL_PUSH_RAW : SL_PUSH_LOKI;
        unsigned status;
        int r;

        rq->json = type && strncasecmp(type, "application/json", 16) == 0;
        if (rq->too_big) {
                snprintf(rq->reason, sizeof(rq->reason), "body larger than %zu bytes",
                         s->opts.max_body);
                s->stats.too_large++;
                return queue(rq, conn, MHD_HTTP_CONTENT_TOO_LARGE);
        }
        r = sl_push_request_decode(format, type, enc, rq->body.data ? rq->body.data : "",
                                   rq->body.len, &limits, &req, rq->reason);
        /* The body is decoded (and copied where needed): its buffer goes. */
        sl_buf_release(&rq->body);
        if (r < 0) {
                status = status_of(r);
                count_refusal(s, status);
                return queue(rq, conn, status);
        }
        rq->id = s->opts.id_base + ++s->next_id;
        s->stats.entries += sl_push_request_entries(req);
        r = s->handler.push ? s->handler.push(s->handler.userdata, req, rq->id) : -ESHUTDOWN;
        if (r < 0) {
                snprintf(rq->reason, sizeof(rq->reason), "%s",
                         r == -ESHUTDOWN ? "shutting down; send it again later"
                         : r == -EAGAIN  ? "reloading the config; send it again later"
                                         : "sluice holds too much for Loki now; send it again later");
                s->stats.unavailable++;
                return queue(rq, conn, MHD_HTTP_SERVICE_UNAVAILABLE);
        }
        if (r > 0) {
                s->stats.accepted++;
                return queue(rq, conn, rq->route == ROUTE_OTLP ? MHD_HTTP_OK : MHD_HTTP_NO_CONTENT);
        }
        /* Wait for the acknowledgement. */
        rq->deadline_ns = sl_now_ns() + s->opts.ack_timeout_ns;
        rq->prev = s->wait_tail;
        if (s->wait_tail)
                s->wait_tail->next = rq;
        else
                s->wait_head = rq;
        s->wait_tail = rq;
        s->stats.pending++;
        rq->suspended = true;
        MHD_suspend_connection(conn);
        if (!s->ack_timer.armed)
                arm_ack_timer(s);
        return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        struct sl_push_server *s = cls;
        struct request *rq = *con_cls;

        if (!rq) {
                enum route route = find_route(s, url);
                bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                           strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
                struct request tmp = { .route = route };
                const char *len;

                if (route == ROUTE_NONE)
                        return queue(NULL, conn, MHD_HTTP_NOT_FOUND);
                if ((route == ROUTE_READY) != get)
                        return queue(&tmp, conn, MHD_HTTP_METHOD_NOT_ALLOWED);
                rq = sl_xnew(struct request);
                rq->s = s;
                rq->conn = conn;
                rq->route = route;
                sl_buf_init(&rq->body, s->opts.max_body);
                *con_cls = rq;
                /* A Content-Length over the limit is refused before its body. */
                len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (len && strtoull(len, NULL, 10) > s->opts.max_body) {
                        /* Answered from the headers: MHD skips the body. */
                        snprintf(rq->reason, sizeof(rq->reason), "body larger than %zu bytes",
                                 s->opts.max_body);
                        s->stats.too_large++;
                        rq->status = MHD_HTTP_CONTENT_TOO_LARGE;
                        return queue(rq, conn, MHD_HTTP_CONTENT_TOO_LARGE);
                }
                return MHD_YES;
        }
        if (rq->route == ROUTE_READY) {
                /* Answered once the request is in, so that MHD keeps the
                 * connection alive (a body sent with a GET is skipped). */
                if (*upload_data_size > 0) {
                        *upload_data_size = 0;
                        return MHD_YES;
                }
                return queue(rq, conn, MHD_HTTP_OK);
        }
        if (rq->status) {
                /* Resumed: the acknowledgement or the timeout decided. */
                return queue(rq, conn, rq->status);
        }
        if (*upload_data_size > 0) {
                /* Past max_body the rest is read and dropped; the answer is
                 * 413 once the body is in (MHD sends an answer only then). */
                if (!rq->too_big && sl_buf_append(&rq->body, upload_data, *upload_data_size) < 0) {
                        rq->too_big = true;
                        sl_buf_release(&rq->body);
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        return complete(s, rq, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        struct sl_push_server *s = cls;
        struct request *rq = *con_cls;

        if (!rq)
                return;
        if (rq->suspended)
                unlink_waiting(s, rq);
        sl_buf_release(&rq->body);
        free(rq);
        *con_cls = NULL;
}

/* ---- lifecycle --------------------------------------------------------------- */

int sl_push_server_new(struct sl_loop *loop, const struct sl_push_server_options *opts,
                       const struct sl_push_handler *handler, struct sl_push_server **ret) {
        _cleanup_(sl_push_server_freep) struct sl_push_server *s = NULL;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        unsigned idle_s;
        int fd, r;
        struct MHD_OptionItem options[] = {
                { MHD_OPTION_CONNECTION_LIMIT, 0, NULL },
                { MHD_OPTION_CONNECTION_TIMEOUT, 0, NULL },
                { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL },
                { MHD_OPTION_END, 0, NULL },
        };

        r = sl_listen_parse_address(opts->address, opts->port, &addr, &addr_len);
        if (r < 0)
                return r;
        s = sl_xnew(struct sl_push_server);
        s->loop = loop;
        s->opts = *opts;
        s->opts.address = NULL;
        s->handler = *handler;
        sl_mhd_loop_init(&s->mhd, loop, true);
        sl_timer_init(&s->ack_timer, on_ack_timer, s);

        fd = sl_listen_open(&addr, addr_len, LISTEN_BACKLOG, &s->port);
        if (fd < 0)
                return fd;
        /* An idle connection is closed after a while; one waiting for its
         * acknowledgement is answered before that. */
        idle_s = (unsigned)(opts->ack_timeout_ns / SL_NSEC_PER_SEC) + 30;
        options[0].value = opts->max_connections;
        options[1].value = idle_s;
        options[2].ptr_value = s;
        r = sl_mhd_loop_start(&s->mhd, MHD_ALLOW_SUSPEND_RESUME, fd, on_request, s, options);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

unsigned sl_push_server_port(const struct sl_push_server *s) {
        return s->port;
}

const struct sl_push_server_stats *sl_push_server_stats(const struct sl_push_server *s) {
        return &s->stats;
}

int sl_push_server_add_connection(struct sl_push_server *s, int fd) {
        return sl_mhd_loop_add_connection(&s->mhd, fd);
}

void sl_push_server_reconfigure(struct sl_push_server *s,
                                const struct sl_push_server_options *opts,
                                const struct sl_push_handler *handler) {
        s->opts.kind = opts->kind;
        s->opts.max_body = opts->max_body;
        s->opts.max_entries = opts->max_entries;
        s->opts.ack_timeout_ns = opts->ack_timeout_ns;
        s->handler = *handler;
}

static void answer_waiting(struct sl_push_server *s, const char *reason) {
        while (s->wait_head) {
                snprintf(s->wait_head->reason, sizeof(s->wait_head->reason), "%s", reason);
                s->stats.unavailable++;
                finish_waiting(s, s->wait_head, MHD_HTTP_SERVICE_UNAVAILABLE);
        }
        arm_ack_timer(s);
}

void sl_push_server_abort_waiting(struct sl_push_server *s, const char *reason) {
        if (!s->wait_head)
                return;
        answer_waiting(s, reason);
        sl_mhd_loop_run(&s->mhd);
}

void sl_push_server_free(struct sl_push_server *s) {
        if (!s)
                return;
        /* Nothing is handed over any more: a push that completes now is
         * answered 503. */
        s->handler.push = NULL;
        if (sl_mhd_loop_daemon(&s->mhd)) {
                /* Pushes still waiting are answered 503: the sender sends
                 * them again, to this sluice once restarted. */
                answer_waiting(s, "shutting down; send it again later");
                MHD_run(sl_mhd_loop_daemon(&s->mhd));
        }
        sl_mhd_loop_release(&s->mhd);
        sl_loop_timer_disarm(s->loop, &s->ack_timer);
        free(s);
}
