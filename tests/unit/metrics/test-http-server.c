/* test-http-server.c - the metrics HTTP server on a real sl_loop: routes,
 * methods, /ready in both states, HEAD, keep-alive, errors at start.
 *
 * The server runs on the test thread, driven by sl_loop_run_once(); a plain
 * socket client runs on a second thread, records what it got, and wakes the
 * loop through a pipe when it is done. Assertions run on the test thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/loop.h"
#include "base/time-util.h"
#include "metrics/exposition.h"
#include "metrics/http-server.h"
#include "sl-test.h"

/* Upper bound for one client session; the loop is driven until then. */
#define SESSION_DEADLINE_NS (20 * SL_NSEC_PER_SEC)
/* Client socket timeouts, so a silent server cannot hang the client. */
#define CLIENT_TIMEOUT_S 5
#define RESPONSE_MAX 16384

/* What the handlers serve. */
struct app {
        atomic_bool ready;  /* written by the client thread before a request */
        atomic_int renders; /* handler calls, across both threads' view */
};

static void app_metrics(void *userdata, struct sl_buf *out) {
        struct app *app = userdata;
        struct sl_expo w;

        atomic_fetch_add(&app->renders, 1);
        sl_expo_init(&w, out);
        sl_expo_family(&w, "sl_test_requests_total", "counter", "Requests.");
        sl_expo_sample_u64(&w, "sl_test_requests_total", (const char *const[]){ "path", "/x", NULL }, 7);
}

static bool app_ready(void *userdata, struct sl_buf *out) {
        struct app *app = userdata;

        atomic_fetch_add(&app->renders, 1);
        if (atomic_load(&app->ready))
                return true;
        sl_buf_printf(out, "positions not loaded");
        return false;
}

static void app_status(void *userdata, struct sl_buf *out) {
        struct app *app = userdata;

        atomic_fetch_add(&app->renders, 1);
        sl_buf_printf(out, "sluice test\n");
}

static const char METRICS_BODY[] = "# HELP sl_test_requests_total Requests.\n"
                                   "# TYPE sl_test_requests_total counter\n"
                                   "sl_test_requests_total{path=\"/x\"} 7\n";

/* One request of a session, and what must come back. */
struct request_case {
        const char *method;
        const char *path;
        bool ready;               /* app->ready while this request is served */
        unsigned status;          /* expected status code */
        const char *content_type; /* expected Content-Type, NULL: not checked */
        const char *body;         /* expected exact body, NULL: not checked */
        const char *header;       /* a header line that must be present, or NULL */
};

/* What the client saw for one request. */
struct response {
        int status;                   /* -1: no parsable response */
        char raw[RESPONSE_MAX];       /* all bytes received, NUL-terminated */
        size_t raw_len;
        const char *body;             /* into raw, after the blank line */
        size_t body_len;
        long content_length;          /* -1 when absent */
};

struct session {
        unsigned port;
        struct app *app;
        const struct request_case *cases;
        size_t n_cases;
        struct response *responses; /* n_cases of them */
        bool keep_alive;            /* all requests on one connection */
        int done_fd;                /* written once the client is done */
};

static int client_connect(unsigned port) {
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
        int fd;

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static bool send_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t)k;
        }
        return true;
}

/* Parses status, Content-Length and the body start of r->raw. Returns true
 * when the head is complete. */
static bool parse_head(struct response *r) {
        const char *end = strstr(r->raw, "\r\n\r\n");
        const char *cl;
        int status;

        if (!end || sscanf(r->raw, "HTTP/1.%*d %d", &status) != 1)
                return false;
        r->status = status;
        r->body = end + 4;
        r->body_len = r->raw_len - (size_t)(r->body - r->raw);
        cl = strcasestr(r->raw, "\r\nContent-Length:");
        r->content_length = cl && cl < end ? strtol(cl + 17, NULL, 10) : -1;
        return true;
}

/* Reads one response: up to EOF when @until_eof, else up to the end of the
 * body that Content-Length announces. */
static void read_response(int fd, struct response *r, bool until_eof) {
        r->status = -1;
        r->raw_len = 0;
        r->raw[0] = '\0';
        for (;;) {
                ssize_t k;

                if (!until_eof && parse_head(r) && r->content_length >= 0 &&
                    r->body_len >= (size_t)r->content_length)
                        break;
                if (r->raw_len + 1 >= sizeof(r->raw))
                        break;
                k = recv(fd, r->raw + r->raw_len, sizeof(r->raw) - 1 - r->raw_len, 0);
                if (k <= 0)
                        break;
                r->raw_len += (size_t)k;
                r->raw[r->raw_len] = '\0';
        }
        if (!parse_head(r))
                r->status = -1;
}

static void *client_main(void *userdata) {
        struct session *ss = userdata;
        int fd = -1;

        for (size_t i = 0; i < ss->n_cases; i++) {
                const struct request_case *c = &ss->cases[i];
                bool last = i + 1 == ss->n_cases;
                bool close_after = !ss->keep_alive || last;
                char req[512];

                ss->responses[i].status = -1;
                if (fd < 0)
                        fd = client_connect(ss->port);
                if (fd < 0)
                        break;
                atomic_store(&ss->app->ready, c->ready);
                snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", c->method, c->path,
                         close_after ? "Connection: close\r\n" : "");
                if (!send_all(fd, req, strlen(req)))
                        break;
                read_response(fd, &ss->responses[i], close_after);
                if (close_after) {
                        close(fd);
                        fd = -1;
                }
        }
        if (fd >= 0)
                close(fd);
        (void)!write(ss->done_fd, "x", 1);
        return NULL;
}

static void on_client_done(int fd, uint32_t events, void *userdata) {
        bool *done = userdata;
        char c;

        (void)!read(fd, &c, 1);
        *done = true;
}

/* Runs the client thread through @ss's cases while the test thread drives
 * @loop, bounded by SESSION_DEADLINE_NS. */
static void run_session(struct sl_loop *loop, struct session *ss) {
        uint64_t deadline = sl_now_ns() + SESSION_DEADLINE_NS;
        bool done = false;
        pthread_t thread;
        int pipefd[2];

        ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
        ck_assert_int_eq(sl_loop_add_fd(loop, pipefd[0], EPOLLIN, on_client_done, &done), 0);
        ss->done_fd = pipefd[1];
        ck_assert_int_eq(pthread_create(&thread, NULL, client_main, ss), 0);
        while (!done) {
                uint64_t now = sl_now_ns();
                if (now >= deadline)
                        break;
                ck_assert_int_eq(sl_loop_run_once(loop, deadline - now), 0);
        }
        pthread_join(thread, NULL);
        sl_loop_del_fd(loop, pipefd[0]);
        close(pipefd[0]);
        close(pipefd[1]);
        ck_assert_msg(done, "client did not finish before the deadline");
}

static void check_responses(const struct session *ss) {
        for (size_t i = 0; i < ss->n_cases; i++) {
                const struct request_case *c = &ss->cases[i];
                const struct response *r = &ss->responses[i];
                char want[256];

                ck_assert_msg(r->status == (int)c->status, "%s %s: status %d, want %u\n%s", c->method, c->path,
                              r->status, c->status, r->raw);
                if (c->content_type) {
                        snprintf(want, sizeof(want), "\r\nContent-Type: %s\r\n", c->content_type);
                        ck_assert_msg(strcasestr(r->raw, want), "%s %s: no %s in\n%s", c->method, c->path, want,
                                      r->raw);
                }
                if (c->header) {
                        snprintf(want, sizeof(want), "\r\n%s\r\n", c->header);
                        ck_assert_msg(strcasestr(r->raw, want), "%s %s: no %s in\n%s", c->method, c->path, want,
                                      r->raw);
                }
                if (c->body) {
                        ck_assert_uint_eq(r->body_len, strlen(c->body));
                        ck_assert_int_eq(memcmp(r->body, c->body, r->body_len), 0);
                        ck_assert_int_eq(r->content_length, (long)strlen(c->body));
                }
        }
}

static const struct sl_http_handlers HANDLERS = {
        .metrics = app_metrics,
        .ready = app_ready,
        .status = app_status,
};

static struct sl_http_server *start(struct sl_loop *loop, struct app *app, const struct sl_http_handlers *base) {
        struct sl_http_handlers h = *base;
        struct sl_http_server *s = NULL;

        h.userdata = app;
        ck_assert_int_eq(sl_http_server_new(loop, "127.0.0.1", 0, &h, &s), 0);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_gt(sl_http_server_port(s), 0);
        return s;
}

static const struct request_case ROUTE_CASES[] = {
        { "GET", "/metrics", true, 200, SL_EXPO_CONTENT_TYPE, METRICS_BODY, NULL },
        { "GET", "/metrics?x=1", true, 200, SL_EXPO_CONTENT_TYPE, METRICS_BODY, NULL },
        { "GET", "/ready", true, 200, "text/plain; charset=utf-8", "ready\n", NULL },
        { "GET", "/ready", false, 503, "text/plain; charset=utf-8", "not ready: positions not loaded\n", NULL },
        { "HEAD", "/ready", false, 503, "text/plain; charset=utf-8", NULL, "Content-Length: 32" },
        { "GET", "/ready", true, 200, NULL, "ready\n", NULL },
        { "GET", "/", true, 200, "text/plain; charset=utf-8", "sluice test\n", NULL },
        { "GET", "/nope", true, 404, NULL, NULL, NULL },
        { "GET", "/metrics/", true, 404, NULL, NULL, NULL },
        { "POST", "/metrics", true, 405, NULL, NULL, "Allow: GET, HEAD" },
        { "DELETE", "/ready", true, 405, NULL, NULL, "Allow: GET, HEAD" },
        { "POST", "/nope", true, 404, NULL, NULL, NULL },
};

START_TEST(routes_and_methods)
{
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct response responses[SL_ARRAY_SIZE(ROUTE_CASES)];
        struct session ss = { .app = &app, .cases = ROUTE_CASES, .n_cases = SL_ARRAY_SIZE(ROUTE_CASES),
                              .responses = responses };
        struct sl_http_server *s;

        ck_assert_ptr_nonnull(loop);
        s = start(loop, &app, &HANDLERS);
        ss.port = sl_http_server_port(s);
        run_session(loop, &ss);
        check_responses(&ss);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

/* HEAD has GET's headers, Content-Length included, and no body. */
START_TEST(head_has_no_body)
{
        static const struct request_case cases[] = {
                { "HEAD", "/metrics", true, 200, SL_EXPO_CONTENT_TYPE, NULL, NULL },
        };
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct response responses[1];
        struct session ss = { .app = &app, .cases = cases, .n_cases = 1, .responses = responses };
        struct sl_http_server *s;

        s = start(loop, &app, &HANDLERS);
        ss.port = sl_http_server_port(s);
        run_session(loop, &ss);
        check_responses(&ss);
        ck_assert_uint_eq(responses[0].body_len, 0);
        ck_assert_int_eq(responses[0].content_length, (long)strlen(METRICS_BODY));
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

/* Several requests on one connection: MHD's timer and epoll paths carry
 * the connection from one request to the next. */
START_TEST(keep_alive)
{
        static const struct request_case cases[] = {
                { "GET", "/metrics", true, 200, SL_EXPO_CONTENT_TYPE, METRICS_BODY, NULL },
                { "GET", "/ready", false, 503, NULL, "not ready: positions not loaded\n", NULL },
                { "GET", "/", true, 200, NULL, "sluice test\n", NULL },
        };
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct response responses[SL_ARRAY_SIZE(cases)];
        struct session ss = { .app = &app, .cases = cases, .n_cases = SL_ARRAY_SIZE(cases),
                              .responses = responses, .keep_alive = true };
        struct sl_http_server *s;

        s = start(loop, &app, &HANDLERS);
        ss.port = sl_http_server_port(s);
        run_session(loop, &ss);
        check_responses(&ss);
        ck_assert_int_eq(atomic_load(&app.renders), 3);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

/* Without handlers only /ready answers, and it says ready. */
START_TEST(null_handlers)
{
        static const struct request_case cases[] = {
                { "GET", "/metrics", true, 404, NULL, NULL, NULL },
                { "GET", "/", true, 404, NULL, NULL, NULL },
                { "GET", "/ready", false, 200, NULL, "ready\n", NULL },
        };
        static const struct sl_http_handlers none = { 0 };
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct response responses[SL_ARRAY_SIZE(cases)];
        struct session ss = { .app = &app, .cases = cases, .n_cases = SL_ARRAY_SIZE(cases),
                              .responses = responses };
        struct sl_http_server *s;

        s = start(loop, &app, &none);
        ss.port = sl_http_server_port(s);
        run_session(loop, &ss);
        check_responses(&ss);
        ck_assert_int_eq(atomic_load(&app.renders), 0);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

START_TEST(port_in_use)
{
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct sl_http_server *s, *other = NULL;

        s = start(loop, &app, &HANDLERS);
        ck_assert_int_eq(sl_http_server_new(loop, "127.0.0.1", sl_http_server_port(s), &HANDLERS, &other),
                         -EADDRINUSE);
        ck_assert_ptr_null(other);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

static const struct {
        const char *address;
        unsigned port;
        int error;
} bad_cases[] = {
        { "not-an-ip", 0, -EINVAL },
        { "localhost", 0, -EINVAL },
        { "127.0.0.1:80", 0, -EINVAL },
        { "[127.0.0.1]", 0, -EINVAL },
        { "[::1", 0, -EINVAL },
        { "127.0.0.1", 65536, -EINVAL },
        { "192.0.2.1", 0, -EADDRNOTAVAIL }, /* TEST-NET-1: never a local address */
};

START_TEST(bad_address)
{
        struct sl_loop *loop = sl_loop_new();
        struct sl_http_server *s = NULL;

        ck_assert_int_eq(sl_http_server_new(loop, bad_cases[_i].address, bad_cases[_i].port, &HANDLERS, &s),
                         bad_cases[_i].error);
        ck_assert_ptr_null(s);
        sl_loop_free(loop);
}
END_TEST

/* IPv6 loopback, where the machine has it. */
START_TEST(ipv6_loopback)
{
        struct sl_loop *loop = sl_loop_new();
        struct sl_http_server *s = NULL;
        int r;

        r = sl_http_server_new(loop, "[::1]", 0, &HANDLERS, &s);
        if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
                ck_assert_ptr_null(s);
        } else {
                ck_assert_int_eq(r, 0);
                ck_assert_uint_gt(sl_http_server_port(s), 0);
        }
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

/* Freeing the server with a half-sent request open closes that
 * connection: the client sees the end of the stream. */
START_TEST(free_with_open_connection)
{
        static const char partial[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
        struct sl_loop *loop = sl_loop_new();
        struct app app = { 0 };
        struct sl_http_server *s;
        ssize_t n;
        char c;
        int fd;

        s = start(loop, &app, &HANDLERS);
        fd = client_connect(sl_http_server_port(s));
        ck_assert_int_ge(fd, 0);
        ck_assert(send_all(fd, partial, strlen(partial)));
        /* Let MHD accept and read what is there; nothing is waited for. */
        for (int i = 0; i < 10; i++)
                ck_assert_int_eq(sl_loop_run_once(loop, 0), 0);
        ck_assert_int_eq(atomic_load(&app.renders), 0);
        sl_http_server_free(s);
        n = recv(fd, &c, 1, 0);
        /* End of stream or reset; not the client's receive timeout. */
        ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET), "recv: %zd, %s", n, strerror(errno));
        close(fd);
        sl_loop_free(loop);
}
END_TEST

/* Reads the answer on non-blocking @fd until the server closes its end,
 * driving @loop meanwhile, bounded by SESSION_DEADLINE_NS. Returns the
 * bytes read into @out (NUL-terminated). */
static size_t read_answer(struct sl_loop *loop, int fd, char *out, size_t size) {
        uint64_t deadline = sl_now_ns() + SESSION_DEADLINE_NS;
        size_t len = 0;

        for (;;) {
                ssize_t k = recv(fd, out + len, size - 1 - len, 0);

                if (k == 0 || (k < 0 && errno != EAGAIN) || len + 1 >= size)
                        break;
                if (k > 0) {
                        len += (size_t)k;
                        continue;
                }
                ck_assert_msg(sl_now_ns() < deadline, "no answer before the deadline");
                ck_assert_int_eq(sl_loop_run_once(loop, 100 * SL_NSEC_PER_MSEC), 0);
        }
        out[len] = '\0';
        return len;
}

/* Sends @request on a socketpair handed to the server and reads the
 * answer until the server closes its end; drives @loop meanwhile, bounded
 * by SESSION_DEADLINE_NS. Returns the bytes read into @out (NUL-terminated). */
static size_t socketpair_exchange(struct sl_loop *loop, struct sl_http_server *s, const char *request,
                                  char *out, size_t size) {
        size_t len;
        int fds[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        ck_assert_int_eq(sl_http_server_add_connection(s, fds[1]), 0);
        ck_assert_int_eq(send(fds[0], request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
        len = read_answer(loop, fds[0], out, size);
        close(fds[0]);
        return len;
}

/* A connection made by other means than the listening socket (here a
 * socketpair) is served like an accepted one. */
START_TEST(added_connection)
{
        struct sl_loop *loop = sl_loop_new();
        struct app app = { .ready = true };
        struct sl_http_server *s = start(loop, &app, &HANDLERS);
        char out[RESPONSE_MAX];

        socketpair_exchange(loop, s, "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                            sizeof(out));
        ck_assert_msg(strncmp(out, "HTTP/1.1 200 ", 13) == 0, "%s", out);
        ck_assert_msg(strstr(out, "\r\n\r\nready\n"), "%s", out);
        /* A request that is not HTTP gets an error, not a hang. */
        socketpair_exchange(loop, s, "\x01\x02 not http\r\n\r\n", out, sizeof(out));
        ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0 || out[0] == '\0', "%s", out);
        socketpair_exchange(loop, s, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof(out));
        ck_assert_msg(strstr(out, METRICS_BODY), "%s", out);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

/* At its connection limit MHD stops listening and starts again only in a
 * run after connections close: once the clients that filled it have all
 * gone, a new connection is still served (it must not wait for a timer or
 * another connection's activity to wake the loop). */
START_TEST(connection_limit)
{
        static const char request[] = "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        struct sl_loop *loop = sl_loop_new();
        struct app app = { .ready = true };
        struct sl_http_server *s = start(loop, &app, &HANDLERS);
        int fds[SL_HTTP_MAX_CONNECTIONS + 2], fd, flags;
        char out[RESPONSE_MAX];

        for (size_t i = 0; i < SL_ARRAY_SIZE(fds); i++) {
                fds[i] = client_connect(sl_http_server_port(s));
                ck_assert_int_ge(fds[i], 0);
        }
        /* MHD accepts up to its limit. */
        for (int i = 0; i < 20; i++)
                ck_assert_int_eq(sl_loop_run_once(loop, 10 * SL_NSEC_PER_MSEC), 0);
        for (size_t i = 0; i < SL_ARRAY_SIZE(fds); i++)
                close(fds[i]);
        fd = client_connect(sl_http_server_port(s));
        ck_assert_int_ge(fd, 0);
        ck_assert(send_all(fd, request, strlen(request)));
        flags = fcntl(fd, F_GETFL);
        ck_assert_int_eq(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
        read_answer(loop, fd, out, sizeof(out));
        ck_assert_msg(strncmp(out, "HTTP/1.1 200 ", 13) == 0, "%s", out);
        close(fd);
        sl_http_server_free(s);
        sl_loop_free(loop);
}
END_TEST

START_TEST(free_null)
{
        sl_http_server_free(NULL);
}
END_TEST

static Suite *http_server_suite(void) {
        Suite *s = suite_create("http-server");
        TCase *tc = tcase_create("serve");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, routes_and_methods);
        tcase_add_test(tc, head_has_no_body);
        tcase_add_test(tc, keep_alive);
        tcase_add_test(tc, null_handlers);
        tcase_add_test(tc, free_with_open_connection);
        tcase_add_test(tc, added_connection);
        tcase_add_test(tc, connection_limit);
        suite_add_tcase(s, tc);
        tc = tcase_create("start");
        tcase_add_test(tc, port_in_use);
        tcase_add_loop_test(tc, bad_address, 0, SL_ARRAY_SIZE(bad_cases));
        tcase_add_test(tc, ipv6_loopback);
        tcase_add_test(tc, free_null);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(http_server_suite)
