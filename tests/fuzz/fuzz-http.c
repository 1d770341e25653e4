/* fuzz-http.c - the metrics HTTP server's request handling
 * (metrics/http-server.h) on hostile bytes.
 *
 * Each input gets a server of its own on a loop, as in the agent, and is
 * sent on a socketpair handed to it with sl_http_server_add_connection();
 * the sending side is then shut and the loop runs until the server closes
 * the connection or stays idle for a few rounds (libmicrohttpd 0.9.75 in
 * epoll mode keeps a connection whose client left in the middle of a
 * request until its idle timeout), and the server is freed, which closes
 * what is left. Checks, beyond the sanitizers: the connection is accepted,
 * the server does not keep working past a bound, and what comes back is
 * empty or starts like an HTTP response.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/time-util.h"
#include "fuzz-util.h"
#include "metrics/exposition.h"
#include "metrics/http-server.h"

#define DEADLINE_NS (5 * SL_NSEC_PER_SEC)

#define IDLE_ROUNDS 8

static struct sl_loop *loop;
static unsigned renders;

static void app_metrics(void *userdata, struct sl_buf *out) {
        struct sl_expo w;

        sl_expo_init(&w, out);
        sl_expo_family(&w, "sluice_fuzz_renders_total", "counter", "Renders.");
        sl_expo_sample_u64(&w, "sluice_fuzz_renders_total", (const char *const[]){ "path", "/x\"\n", NULL },
                           ++renders);
}

static bool app_ready(void *userdata, struct sl_buf *out) {
        if (++renders % 2)
                return true;
        sl_buf_printf(out, "not yet");
        return false;
}

static void app_status(void *userdata, struct sl_buf *out) {
        sl_buf_printf(out, "sluice fuzz %u\n", ++renders);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        loop = sl_loop_new();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct sl_http_handlers h = { .metrics = app_metrics, .ready = app_ready, .status = app_status };
        uint64_t deadline = sl_now_ns() + DEADLINE_NS;
        struct sl_http_server *server = NULL;
        char reply[4096], scratch[4096];
        size_t sent = 0, got = 0;
        unsigned idle = 0;
        bool closed = false;
        int fds[2], r;

        FUZZ_CHECK(sl_http_server_new(loop, "127.0.0.1", 0, &h, &server) == 0, "server");
        FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
        r = sl_http_server_add_connection(server, fds[1]);
        FUZZ_CHECK(r == 0, "connection refused: %d", r);
        while (!closed && idle < IDLE_ROUNDS) {
                ssize_t k;

                FUZZ_CHECK(sl_now_ns() < deadline, "the server is still busy");
                idle++;
                if (sent < size) {
                        k = send(fds[0], data + sent, size - sent, MSG_NOSIGNAL);
                        if (k > 0) {
                                sent += (size_t)k;
                                idle = 0;
                        }
                        else if (k < 0 && errno != EAGAIN)
                                sent = size; /* the server closed first */
                        if (sent == size)
                                shutdown(fds[0], SHUT_WR);
                } else if (size == 0 && sent == 0) {
                        shutdown(fds[0], SHUT_WR);
                        sent = 1;
                }
                for (;;) {
                        /* The start of the answer is kept, the rest read into scratch. */
                        bool keep = got < sizeof(reply);

                        k = recv(fds[0], keep ? reply + got : scratch, keep ? sizeof(reply) - got : sizeof(scratch),
                                 0);
                        if (k > 0) {
                                if (keep)
                                        got += (size_t)k;
                                idle = 0;
                                continue;
                        }
                        closed = k == 0 || (k < 0 && errno != EAGAIN);
                        break;
                }
                if (!closed)
                        FUZZ_CHECK(sl_loop_run_once(loop, 0) == 0, "loop");
        }
        close(fds[0]);
        sl_http_server_free(server);
        FUZZ_CHECK(got == 0 || (got >= 5 && memcmp(reply, "HTTP/", 5) == 0), "not an HTTP answer");
        return 0;
}
