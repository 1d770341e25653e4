/* test-push-server.c - the push server on a real sl_loop: a push is answered
 * only once acknowledged, 503 at the timeout, at a handler's refusal, on
 * abort and at free; 400, 413, 415, 404 and 405 with their reasons; the
 * connection limit; a client sending garbage.
 *
 * Everything runs on the test thread: clients are non-blocking sockets, and
 * pump() turns the loop and reads what the clients got until a condition
 * holds or a generous deadline passes (no fixed sleeps). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/loop.h"
#include "base/time-util.h"
#include "receive-test.h"
#include "receive/push-server.h"
#include "sl-test.h"

#define DEADLINE_NS (20 * SL_NSEC_PER_SEC)
#define MAX_CLIENTS 8
#define MAX_PUSHES 64

static const char FIZZ[] = "{\"streams\": [{ \"stream\": { \"foo\": \"bar2\" }, \"values\": "
                           "[ [ \"1570818238000000000\", \"fizzbuzz\" ] ] }]}";

static const char FOUR[] = "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"l\"],"
                           "[\"2\",\"l\"],[\"3\",\"l\"],[\"4\",\"l\"]]}]}";
static const char ONE_RECORD[] = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}";

struct client {
        int fd;
        char got[16384];
        size_t len;
        bool eof;
};

/* What the handler saw and how it answers. */
struct handler_state {
        int answer;                 /* what push() returns */
        uint64_t ids[MAX_PUSHES];   /* push ids handed over, in order */
        size_t entries[MAX_PUSHES]; /* entries of each */
        size_t n;
};

static struct sl_loop *loop;
static struct sl_push_server *server;
static struct handler_state hs;
static struct client clients[MAX_CLIENTS];

static int on_push(void *userdata, struct sl_push_request *req, uint64_t id) {
        struct handler_state *h = userdata;

        ck_assert_uint_lt(h->n, MAX_PUSHES);
        h->ids[h->n] = id;
        h->entries[h->n] = sl_push_request_entries(req);
        h->n++;
        return h->answer;
}

static void start(enum sl_push_server_kind kind, unsigned max_connections, size_t max_body,
                  size_t max_entries, uint64_t ack_timeout_ns) {
        struct sl_push_server_options o = {
                .kind = kind,
                .address = "127.0.0.1",
                .max_connections = max_connections,
                .max_body = max_body,
                .max_entries = max_entries,
                .ack_timeout_ns = ack_timeout_ns,
                .id_base = SL_PUSH_ID_FLAG | (UINT64_C(7) << 40),
        };
        struct sl_push_handler h = { .push = on_push, .userdata = &hs };

        memset(&hs, 0, sizeof(hs));
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                clients[i] = (struct client){ .fd = -1 };
        loop = sl_loop_new();
        ck_assert_ptr_nonnull(loop);
        ck_assert_int_eq(sl_push_server_new(loop, &o, &h, &server), 0);
        ck_assert_uint_gt(sl_push_server_port(server), 0);
}

static void stop(void) {
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (clients[i].fd >= 0)
                        close(clients[i].fd);
        sl_push_server_free(server);
        server = NULL;
        sl_loop_free(loop);
        loop = NULL;
}

static struct client *connect_client(size_t i) {
        struct sockaddr_in addr = { .sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)sl_push_server_port(server)) };
        struct client *c = &clients[i];

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *c = (struct client){ .fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) };
        ck_assert_int_ge(c->fd, 0);
        /* Loopback connects at once (into the backlog when not accepted). */
        ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        return c;
}

static void send_all(struct client *c, const void *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        ck_assert_int_eq(sl_loop_run_once(loop, SL_NSEC_PER_MSEC), 0);
                        continue;
                }
                ck_assert_int_gt(k, 0);
                p = (const char *)p + k;
                n -= (size_t)k;
        }
}

static void send_request(struct client *c, const char *method, const char *path,
                         const char *headers, const void *body, size_t len) {
        char head[1024];
        int n = snprintf(head, sizeof(head),
                         "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n%s\r\n", method, path,
                         len, headers ? headers : "");
        send_all(c, head, (size_t)n);
        if (len)
                send_all(c, body, len);
}

static void read_clients(void) {
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
                struct client *c = &clients[i];
                ssize_t k;

                if (c->fd < 0 || c->eof)
                        continue;
                while ((k = recv(c->fd, c->got + c->len, sizeof(c->got) - 1 - c->len,
                                 MSG_DONTWAIT)) > 0)
                        c->len += (size_t)k;
                if (k == 0)
                        c->eof = true;
                c->got[c->len] = '\0';
        }
}

/* Whether @c holds a whole answer (head and Content-Length bytes of body). */
static bool answered(const struct client *c) {
        const char *end = strstr(c->got, "\r\n\r\n"), *cl;

        if (!end)
                return false;
        cl = strcasestr(c->got, "\r\nContent-Length:");
        if (!cl || cl > end)
                return true;
        return c->len - (size_t)(end + 4 - c->got) >= (size_t)strtoul(cl + 17, NULL, 10);
}

static int status_of(const struct client *c) {
        int status = -1;
        sscanf(c->got, "HTTP/1.1 %d", &status);
        return status;
}

static const char *body_of(const struct client *c) {
        const char *end = strstr(c->got, "\r\n\r\n");
        return end ? end + 4 : "";
}

/* Turns the loop until @done() holds; fails the test past the deadline. */
static void pump(bool (*done)(void *), void *arg, const char *what) {
        uint64_t deadline = sl_now_ns() + DEADLINE_NS;

        for (;;) {
                read_clients();
                if (done(arg))
                        return;
                ck_assert_msg(sl_now_ns() < deadline, "timed out waiting for %s", what);
                ck_assert_int_eq(sl_loop_run_once(loop, 5 * SL_NSEC_PER_MSEC), 0);
        }
}

static bool is_answered(void *arg) {
        return answered(arg);
}

static bool pushes_seen(void *arg) {
        return hs.n >= *(size_t *)arg;
}

/* Sends @body to @path and waits for the answer. */
static struct client *roundtrip(size_t i, const char *path, const char *headers, const void *body,
                                size_t len) {
        struct client *c = connect_client(i);

        send_request(c, "POST", path, headers, body, len);
        pump(is_answered, c, "an answer");
        return c;
}

/* Turns the loop for a while and says whether @c got anything: used only
 * to check that no answer came early (a wrong early answer would show up
 * here; the positive waits are all bounded by conditions). */
static bool quiet_for(struct client *c, unsigned rounds) {
        for (unsigned i = 0; i < rounds; i++) {
                ck_assert_int_eq(sl_loop_run_once(loop, 2 * SL_NSEC_PER_MSEC), 0);
                read_clients();
                if (c->len)
                        return false;
        }
        return true;
}

/* ---- acknowledgement ---------------------------------------------------------- */

START_TEST(test_answered_only_once_acknowledged) {
        struct client *a, *b;
        size_t one = 1, two = 2;

        start(SL_PUSH_SERVER_LOKI, 8, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        a = connect_client(0);
        send_request(a, "POST", "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                     strlen(FIZZ));
        pump(pushes_seen, &one, "the push handed over");
        ck_assert_uint_eq(hs.entries[0], 1);
        ck_assert_uint_eq(hs.ids[0], SL_PUSH_ID_FLAG | (UINT64_C(7) << 40) | 1);
        ck_assert_uint_eq(sl_push_server_stats(server)->pending, 1);
        ck_assert(quiet_for(a, 50));

        b = connect_client(1);
        send_request(b, "POST", "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                     strlen(FIZZ));
        pump(pushes_seen, &two, "the second push handed over");
        /* Acknowledged out of order: each is answered on its own. */
        ck_assert(sl_push_server_ack(server, hs.ids[1]));
        pump(is_answered, b, "the second answer");
        ck_assert_int_eq(status_of(b), 204);
        ck_assert_uint_eq(a->len, 0);
        ck_assert(!sl_push_server_ack(server, hs.ids[1])); /* answered already */
        ck_assert(!sl_push_server_ack(server, 12345));     /* not its id */
        ck_assert(sl_push_server_ack(server, hs.ids[0]));
        pump(is_answered, a, "the first answer");
        ck_assert_int_eq(status_of(a), 204);
        ck_assert_uint_eq(sl_push_server_stats(server)->accepted, 2);
        ck_assert_uint_eq(sl_push_server_stats(server)->pending, 0);

        /* The connection stays open for the next push. */
        a->len = 0;
        a->got[0] = '\0';
        hs.answer = 1; /* nothing to wait for: answered at once */
        send_request(a, "POST", "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                     strlen(FIZZ));
        pump(is_answered, a, "the third answer");
        ck_assert_int_eq(status_of(a), 204);
        stop();
}
END_TEST

START_TEST(test_timeout_answers_503) {
        struct client *c;

        start(SL_PUSH_SERVER_LOKI, 8, 1u << 20, 100, 200 * SL_NSEC_PER_MSEC);
        c = roundtrip(0, "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                      strlen(FIZZ));
        ck_assert_int_eq(status_of(c), 503);
        ck_assert_ptr_nonnull(strcasestr(c->got, "\r\nRetry-After: 1\r\n"));
        ck_assert_ptr_nonnull(strstr(body_of(c), "not acknowledged by Loki within 200 ms"));
        ck_assert_uint_eq(sl_push_server_stats(server)->timed_out, 1);
        /* A late acknowledgement finds nothing to answer. */
        ck_assert(!sl_push_server_ack(server, hs.ids[0]));
        stop();
}
END_TEST

START_TEST(test_refused_by_the_handler) {
        static const struct {
                int answer;
                const char *reason;
        } cases[] = {
                { -ENOBUFS, "holds too much" },
                { -EAGAIN, "reloading" },
                { -ESHUTDOWN, "shutting down" },
        };

        start(SL_PUSH_SERVER_LOKI, 8, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                struct client *c;
                hs.answer = cases[i].answer;
                c = roundtrip(i, "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                              strlen(FIZZ));
                ck_assert_int_eq(status_of(c), 503);
                ck_assert_ptr_nonnull(strcasestr(c->got, "\r\nRetry-After: 1\r\n"));
                ck_assert_msg(strstr(body_of(c), cases[i].reason), "%s", c->got);
        }
        ck_assert_uint_eq(sl_push_server_stats(server)->unavailable, 3);
        stop();
}
END_TEST

/* Pushes waiting are answered 503 when what they wait for will not come
 * (a reload), and when the server is freed; a reconfigured server takes
 * the new handler and limits. */
START_TEST(test_abort_reconfigure_and_free) {
        struct sl_push_server_options o = { .kind = SL_PUSH_SERVER_LOKI, .max_body = 1u << 20,
                                            .max_entries = 0, .ack_timeout_ns = 60 * SL_NSEC_PER_SEC };
        struct sl_push_handler h = { .push = on_push, .userdata = &hs };
        struct client *a, *b;
        size_t one = 1, two = 2;

        start(SL_PUSH_SERVER_LOKI, 8, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        a = connect_client(0);
        send_request(a, "POST", "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                     strlen(FIZZ));
        pump(pushes_seen, &one, "the push handed over");
        sl_push_server_abort_waiting(server, "sluice reloaded; send it again");
        pump(is_answered, a, "the aborted answer");
        ck_assert_int_eq(status_of(a), 503);
        ck_assert_ptr_nonnull(strstr(body_of(a), "sluice reloaded; send it again"));

        /* Now OTLP, at most 0 entries... that is no cap; max_body small. */
        o.kind = SL_PUSH_SERVER_OTLP;
        o.max_body = 10;
        sl_push_server_reconfigure(server, &o, &h);
        b = roundtrip(1, "/loki/api/v1/push", "Content-Type: application/json\r\n", FIZZ,
                      strlen(FIZZ));
        ck_assert_int_eq(status_of(b), 404);
        b = roundtrip(2, "/v1/logs", "Content-Type: application/json\r\n", FIZZ, strlen(FIZZ));
        ck_assert_int_eq(status_of(b), 413);

        o.max_body = 1u << 20;
        sl_push_server_reconfigure(server, &o, &h);
        b = connect_client(3);
        send_request(b, "POST", "/v1/logs", "Content-Type: application/json\r\n", ONE_RECORD,
                     strlen(ONE_RECORD));
        pump(pushes_seen, &two, "the OTLP push handed over");
        /* Freed while it waits: answered 503 before the connection closes. */
        sl_push_server_free(server);
        server = NULL;
        read_clients();
        for (int i = 0; i < 1000 && !answered(b); i++)
                read_clients();
        ck_assert_msg(answered(b), "no answer at free: %s", b->got);
        ck_assert_int_eq(status_of(b), 503);
        ck_assert_ptr_nonnull(strstr(b->got, "application/json"));
        ck_assert_ptr_nonnull(strstr(body_of(b), "\"code\":14"));
        ck_assert_ptr_nonnull(strstr(body_of(b), "shutting down"));
        stop();
}
END_TEST

/* ---- refusals -------------------------------------------------------------------- */

START_TEST(test_refusals) {
        struct client *c;
        char big[5000];

        start(SL_PUSH_SERVER_LOKI, 8, 4096, 3, 60 * SL_NSEC_PER_SEC);
        c = roundtrip(0, "/loki/api/v1/push", "Content-Type: application/json\r\n", "{", 1);
        ck_assert_int_eq(status_of(c), 400);
        ck_assert_ptr_nonnull(strstr(body_of(c), "invalid JSON"));

        memset(big, ' ', sizeof(big));
        c = roundtrip(1, "/loki/api/v1/push", "Content-Type: application/json\r\n", big,
                      sizeof(big));
        ck_assert_int_eq(status_of(c), 413);
        ck_assert_ptr_nonnull(strstr(body_of(c), "body larger than 4096 bytes"));

        /* Past max_body without a Content-Length (chunked): read, dropped, 413. */
        c = connect_client(2);
        {
                static const char head[] = "POST /loki/api/v1/push HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Transfer-Encoding: chunked\r\n\r\n";
                char chunk[64];
                send_all(c, head, strlen(head));
                for (int i = 0; i < 3; i++) {
                        snprintf(chunk, sizeof(chunk), "%x\r\n", (unsigned)sizeof(big));
                        send_all(c, chunk, strlen(chunk));
                        send_all(c, big, sizeof(big));
                        send_all(c, "\r\n", 2);
                }
                send_all(c, "0\r\n\r\n", 5);
        }
        pump(is_answered, c, "the chunked answer");
        ck_assert_int_eq(status_of(c), 413);

        c = roundtrip(3, "/loki/api/v1/push", "Content-Type: application/json\r\n", FOUR,
                      strlen(FOUR));
        ck_assert_int_eq(status_of(c), 413);
        ck_assert_ptr_nonnull(strstr(body_of(c), "more than 3 entries"));

        c = roundtrip(4, "/loki/api/v1/push",
                      "Content-Type: application/json\r\nContent-Encoding: br\r\n", "{}", 2);
        ck_assert_int_eq(status_of(c), 415);

        c = roundtrip(5, "/nope", NULL, "", 0);
        ck_assert_int_eq(status_of(c), 404);

        c = connect_client(6);
        send_request(c, "GET", "/loki/api/v1/push", NULL, "", 0);
        pump(is_answered, c, "the 405");
        ck_assert_int_eq(status_of(c), 405);
        ck_assert_ptr_nonnull(strcasestr(c->got, "\r\nAllow: POST\r\n"));

        c = connect_client(7);
        send_request(c, "GET", "/ready", NULL, "", 0);
        pump(is_answered, c, "ready");
        ck_assert_int_eq(status_of(c), 200);
        ck_assert_str_eq(body_of(c), "ready");

        ck_assert_uint_eq(hs.n, 0); /* nothing reached the handler */
        ck_assert_uint_eq(sl_push_server_stats(server)->bad, 1);
        ck_assert_uint_eq(sl_push_server_stats(server)->too_large, 3);
        ck_assert_uint_eq(sl_push_server_stats(server)->unsupported, 1);
        stop();
}
END_TEST

/* OTLP's answers: an empty ExportLogsServiceResponse in the request's
 * encoding, and a google.rpc.Status for a refusal. */
START_TEST(test_otlp_answers) {
        struct client *c;

        start(SL_PUSH_SERVER_OTLP, 8, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        hs.answer = 1;
        c = roundtrip(0, "/v1/logs", "Content-Type: application/json\r\n", "{}", 2);
        ck_assert_int_eq(status_of(c), 200);
        ck_assert_str_eq(body_of(c), "{}");
        c = roundtrip(1, "/v1/logs", "Content-Type: application/x-protobuf\r\n", "", 0);
        ck_assert_int_eq(status_of(c), 200);
        ck_assert_ptr_nonnull(strstr(c->got, "Content-Type: application/x-protobuf"));
        ck_assert_str_eq(body_of(c), "");
        c = roundtrip(2, "/v1/logs", "Content-Type: application/x-protobuf\r\n", "\xff", 1);
        ck_assert_int_eq(status_of(c), 400);
        /* Status{code: 3 (INVALID_ARGUMENT), message: ...} */
        ck_assert_int_eq(body_of(c)[0], 0x08);
        ck_assert_int_eq(body_of(c)[1], 3);
        ck_assert_int_eq(body_of(c)[2], 0x12);
        ck_assert_ptr_nonnull(strstr(body_of(c) + 4, "not an OTLP"));
        c = roundtrip(3, "/loki/api/v1/push", "Content-Type: application/json\r\n", "{}", 2);
        ck_assert_int_eq(status_of(c), 404);
        stop();
}
END_TEST

/* ---- connections and garbage -------------------------------------------------------- */

static bool two_answered(void *arg) {
        struct client *c = arg;
        return answered(&c[0]) && answered(&c[1]);
}

START_TEST(test_connection_limit) {
        struct client *extra;

        start(SL_PUSH_SERVER_LOKI, 2, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        connect_client(0);
        connect_client(1);
        send_request(&clients[0], "GET", "/ready", NULL, "", 0);
        send_request(&clients[1], "GET", "/ready", NULL, "", 0);
        pump(two_answered, clients, "two connections served");
        /* A third waits in the backlog while two are open. */
        extra = connect_client(2);
        send_request(extra, "GET", "/ready", NULL, "", 0);
        ck_assert(quiet_for(extra, 50));
        close(clients[0].fd);
        clients[0].fd = -1;
        pump(is_answered, extra, "the third served once one closed");
        ck_assert_int_eq(status_of(extra), 200);
        /* Every connection closed: the server still listens. */
        close(clients[1].fd);
        clients[1].fd = -1;
        close(extra->fd);
        extra->fd = -1;
        for (size_t i = 3; i < 6; i++) {
                struct client *c = roundtrip(i, "/loki/api/v1/push",
                                             "Content-Type: application/json\r\n", "{", 1);
                ck_assert_int_eq(status_of(c), 400);
                close(c->fd);
                c->fd = -1;
        }
        stop();
}
END_TEST

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* A client sending garbage: bytes that are not HTTP, heads with random
 * bytes, bodies of random bytes. Every connection is answered or closed,
 * and the server serves afterwards. */
START_TEST(test_garbage_client) {
        char junk[2048];

        start(SL_PUSH_SERVER_LOKI, 64, 4096, 100, 60 * SL_NSEC_PER_SEC);
        for (int round = 0; round < 60; round++) {
                struct client *c = connect_client(0);
                size_t n = 1 + (size_t)(rng() % sizeof(junk));

                for (size_t i = 0; i < n; i++)
                        junk[i] = (char)rng();
                switch (round % 3) {
                case 0: /* not HTTP; then the client is done */
                        junk[0] = (char)('A' + rng() % 26);
                        memcpy(junk + n - (n > 4 ? 4 : 0), "\r\n\r\n", n > 4 ? 4 : 0);
                        send_all(c, junk, n);
                        shutdown(c->fd, SHUT_WR);
                        break;
                case 1: /* a random body as JSON, protobuf, or an unknown type */
                        send_request(c, "POST", "/loki/api/v1/push",
                                     round % 2 ? "Content-Type: application/json\r\n"
                                               : "Content-Type: application/x-protobuf\r\n",
                                     junk, n);
                        break;
                default: /* a random body, gzip said */
                        send_request(c, "POST", "/loki/api/v1/push",
                                     "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
                                     junk, n);
                        break;
                }
                if (round % 3 == 0) {
                        /* The server may answer 400, close, or wait for the rest of
                         * a head: the client goes away either way. */
                        for (int i = 0; i < 5; i++)
                                ck_assert_int_eq(sl_loop_run_once(loop, SL_NSEC_PER_MSEC), 0);
                        read_clients();
                        if (answered(c))
                                ck_assert_int_ge(status_of(c), 400);
                } else {
                        pump(is_answered, c, "an answer to a garbage body");
                        ck_assert_msg(status_of(c) == 400 || status_of(c) == 413,
                                      "round %d: %s", round, c->got);
                        ck_assert_msg(body_of(c)[0], "a refusal says why");
                }
                close(c->fd);
                c->fd = -1;
        }
        ck_assert_uint_eq(hs.n, 0);
        hs.answer = 1;
        {
                struct client *c = roundtrip(1, "/loki/api/v1/push",
                                             "Content-Type: application/json\r\n", FIZZ,
                                             strlen(FIZZ));
                ck_assert_int_eq(status_of(c), 204);
        }
        stop();
}
END_TEST

/* A client that connects and says nothing costs nothing until it is shut
 * out; one that disconnects mid-body frees what it had sent. */
START_TEST(test_half_sent) {
        struct client *c;
        static const char head[] = "POST /loki/api/v1/push HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";

        start(SL_PUSH_SERVER_LOKI, 8, 1u << 20, 100, 60 * SL_NSEC_PER_SEC);
        c = connect_client(0);
        send_all(c, head, strlen(head));
        ck_assert(quiet_for(c, 20));
        close(c->fd);
        c->fd = -1;
        c = roundtrip(1, "/loki/api/v1/push", "Content-Type: application/json\r\n", "{", 1);
        ck_assert_int_eq(status_of(c), 400);
        ck_assert_uint_eq(hs.n, 0);
        stop();
}
END_TEST

/* The address is parsed as the metrics server's is (base/listen.h):
 * brackets only around an IPv6 address, no names, no port in it. */
START_TEST(test_bad_address)
{
        static const char *const bad[] = { "[127.0.0.1]", "[::1", "localhost", "127.0.0.1:80" };
        struct sl_push_handler h = { .push = on_push, .userdata = &hs };

        loop = sl_loop_new();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sl_push_server_options o = {
                        .kind = SL_PUSH_SERVER_LOKI,
                        .address = bad[i],
                        .max_connections = 4,
                        .max_body = 1024,
                        .max_entries = 16,
                        .ack_timeout_ns = SL_NSEC_PER_SEC,
                };
                struct sl_push_server *s = NULL;

                ck_assert_int_eq(sl_push_server_new(loop, &o, &h, &s), -EINVAL);
                ck_assert_ptr_null(s);
        }
        sl_loop_free(loop);
        loop = NULL;
}
END_TEST

static Suite *push_server_suite(void) {
        Suite *s = suite_create("push-server");
        TCase *tc = tcase_create("server");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_answered_only_once_acknowledged);
        tcase_add_test(tc, test_timeout_answers_503);
        tcase_add_test(tc, test_refused_by_the_handler);
        tcase_add_test(tc, test_abort_reconfigure_and_free);
        tcase_add_test(tc, test_refusals);
        tcase_add_test(tc, test_otlp_answers);
        tcase_add_test(tc, test_connection_limit);
        tcase_add_test(tc, test_garbage_client);
        tcase_add_test(tc, test_half_sent);
        tcase_add_test(tc, test_bad_address);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(push_server_suite)
